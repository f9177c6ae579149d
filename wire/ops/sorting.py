"""Sorting primitives: ``argsort`` (the permutation that sorts an axis).

Only the permutation is a primitive, and it carries no derivative (integer output).
``wire.numpy.sort`` gathers ``x`` with it (``take_along_axis``), so the derivative of a sort
flows through the permutation by the gather's rule: each sorted entry's cotangent goes back
to the position it came from.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval
from ..core.primitive import Primitive
from ..core import bind
from ..core.lowering import XpImpl
from ..core.formula import ARRAYS_ONLY
from .batching import axis_batch


def _argsort_impl(x, *, axis, descending, stable):
    x = np.asarray(x)
    kind = "stable" if stable else None
    if descending:
        # stable descending order: sort the flipped axis, then map indices back
        n = x.shape[axis]
        idx = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
        return np.flip(n - 1 - idx, axis)
    return np.argsort(x, axis=axis, kind=kind)


def _argsort_shape(a, *, axis, descending, stable):
    if not 0 <= axis < a.ndim:
        raise ShapeError(f"argsort: axis {axis} is out of range for {a!r}")
    return Aval(a.shape, np.intp)


argsort_p = Primitive(
    "argsort",
    _argsort_impl,
    _argsort_shape,
    dtype=lambda d, **params: np.dtype(np.intp),
    nondiff=True,
    batch=axis_batch(lambda: argsort_p),
    xp=XpImpl(lambda bk, x, *, axis, descending, stable: bk.xp.argsort(
        x, axis=axis, descending=descending, stable=stable), "argsort"),
    sample=lambda rng: ([rng.normal(size=(3, 4))], {"axis": 1, "descending": False,
                                                     "stable": True}),
    doc="indices that sort x along axis (NumPy's argsort; ties in stable order if stable)",
    sympy=ARRAYS_ONLY,
)


def argsort(x, axis: int, descending: bool = False, stable: bool = False):
    return bind(argsort_p, x, axis=int(axis), descending=bool(descending), stable=bool(stable))
