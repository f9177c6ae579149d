"""Linear-algebra primitives: batched matrix multiplication (NumPy ``matmul`` on operands of
rank >= 2; ``wire.numpy`` promotes vectors). Its transposes use ``swapaxes``, which works even
when the rank is unknown, so the seed-style ``wire.var`` API can differentiate products too."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval
from ..core.primitive import Primitive, broadcast_shapes
from ..batching import matmul_batch
from ..core import bind
from .shape import swapaxes


def _matmul_shape(a, b):
    if a.ndim < 2 or b.ndim < 2:
        raise ShapeError(f"matmul primitive needs rank >= 2 operands, got {a!r} and {b!r}")
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(
            f"matmul: contracting dimension {a.shape[-1]} of {a!r} does not match "
            f"{b.shape[-2]} of {b!r}"
        )
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], op="matmul batch dimensions")
    return Aval(batch + (a.shape[-2], b.shape[-1]), np.result_type(a.dtype, b.dtype))


def _mT(x):
    return swapaxes(x, -1, -2)


def _matmul_jvp(ts, out, x, y):
    tx, ty = ts
    if tx is None:
        return matmul(x, ty)
    if ty is None:
        return matmul(tx, y)
    return matmul(tx, y) + matmul(x, ty)


def _matmul_sample(rng):
    return [rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 2))], {}


matmul_p = Primitive(
    "matmul",
    np.matmul,
    _matmul_shape,
    vjp=lambda ct, out, x, y: (matmul(ct, _mT(y)), matmul(_mT(x), ct)),
    jvp=_matmul_jvp,
    batch=matmul_batch,
    sample=_matmul_sample,
    doc="batched matrix product of rank >= 2 operands (batch dimensions broadcast)",
)


def matmul(x, y):
    return bind(matmul_p, x, y)
