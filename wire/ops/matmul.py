"""Linear-algebra primitives: batched matrix multiplication (NumPy ``matmul`` on operands of
rank >= 2; ``wire.numpy`` promotes vectors). Its transposes use ``swapaxes``, which works even
when the rank is unknown, so the seed-style ``wire.var`` API can differentiate products too."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval, make_aval
from ..core.taylor import BILINEAR
from ..core.primitive import Primitive, broadcast_shapes
from ..core import bind
from ..core.lowering import Emitter, call_expr, xp_function
from ..core.formula import ARRAYS_ONLY
from .elementwise import mul
from .layout import example_ndim, expand_rank, reshape, shape_of, swapaxes, to_front, transpose


def _matmul_shape(a, b):
    if a.ndim < 2 or b.ndim < 2:
        raise ShapeError(f"matmul primitive needs rank >= 2 operands, got {a!r} and {b!r}")
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(
            f"matmul: contracting dimension {a.shape[-1]} of {a!r} does not match "
            f"{b.shape[-2]} of {b!r}"
        )
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], op="matmul batch dimensions")
    dt = a.dtype if a.dtype is b.dtype else np.result_type(a.dtype, b.dtype)
    return make_aval(batch + (a.shape[-2], b.shape[-1]), dt)


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


# --------------------------------------------------------------------------- batching


def matmul_batch(args, dims):
    """Batched ``matmul`` (rank >= 2 operands, NumPy batch broadcasting).

    When one side is an unbatched matrix the batch folds into the other's rows (or columns),
    so the whole batch is a single matrix product; otherwise batch axes go in front.
    """
    (a, b), (da, db) = args, dims
    sa, sb = shape_of(a), shape_of(b)
    ra, rb = example_ndim(a, da), example_ndim(b, db)
    if db is None and rb == 2 and da != len(sa) - 1:
        # rows of a (any leading axes, the batch among them) times one matrix
        out = matmul(reshape(a, (int(np.prod(sa[:-1])), sa[-1])), b)
        return reshape(out, sa[:-1] + (sb[-1],)), da
    if da is None and ra == 2 and len(sa) == 2:
        # one matrix times every column of every example: put the contracted axis of b first
        # and fold all its other axes (the batch among them) into columns, so the whole batch
        # is one (m, k) @ (k, R) product instead of a stack of matrix-vector products
        nb = len(sb)
        k_axis = [i for i in range(nb) if i != db][-2]
        rest = [i for i in range(nb) if i != k_axis]
        bt = transpose(b, (k_axis, *rest))
        cols = int(np.prod([sb[i] for i in rest], dtype=np.int64))
        out = matmul(a, reshape(bt, (sb[k_axis], cols)))
        out = reshape(out, (sa[0],) + tuple(sb[i] for i in rest))
        back = tuple(range(1, k_axis + 1)) + (0,) + tuple(range(k_axis + 1, nb))
        return transpose(out, back), db
    stack = max(ra, rb) - 2
    a = a if da is None else expand_rank(to_front(a, da), stack + 2)
    b = b if db is None else expand_rank(to_front(b, db), stack + 2)
    if shape_of(a)[-1] == 1:
        # a contraction of size 1 is an outer product: NumPy broadcasts a multiply faster
        # than it runs a stack of rank-1 matrix products (per-example weight gradients)
        return mul(a, b), 0
    return matmul(a, b), 0


def _matmul_expr(ctx, node, args, out):
    # np.matmul, as the primitive's impl: np.dot's 1x1 products skip the +0.0 start of
    # matmul's sums, so dot([[0.0]], [[-0.0]]) is -0.0 where matmul gives 0.0; `out`: a
    # buffer of the result's shape and dtype (BLAS writes into it as into a fresh array)
    return call_expr(ctx.bind_numpy(np.matmul), args, out)


matmul_p = Primitive(
    "matmul",
    np.matmul,
    _matmul_shape,
    vjp=lambda ct, out, x, y: (matmul(ct, _mT(y)), matmul(_mT(x), ct)),
    vjp_parts=(lambda ct, out, x, y: matmul(ct, _mT(y)), lambda ct, out, x, y: matmul(_mT(x), ct)),
    jvp=_matmul_jvp,
    batch=matmul_batch,
    emit=Emitter(_matmul_expr, "fresh", reads_transposes=True, writes_out=True),
    xp=xp_function("matmul"),
    sample=_matmul_sample,
    doc="batched matrix product of rank >= 2 operands (batch dimensions broadcast)",
    sympy=ARRAYS_ONLY,
    taylor=BILINEAR,
)


def matmul(x, y):
    return bind(matmul_p, x, y)
