"""Cumulative primitives: ``cumsum`` along one axis (forward or reversed).

``cumsum`` is linear: its transpose is the reversed cumulative sum. Cumulative products,
maxima and minima are compositions in ``wire.numpy`` (a log-depth scan of ``mul``/``maximum``
over shifted copies), so their derivatives are exact even at zeros and ties.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..core.primitive import Primitive
from ..core import bind
from ..core.lowering import XpImpl
from .batching import axis_batch


def _cumsum_impl(x, *, axis, reverse):
    x = np.asarray(x)
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
    return np.cumsum(x, axis=axis, dtype=x.dtype)


def _cumsum_shape(a, *, axis, reverse):
    if not 0 <= axis < a.ndim:
        raise ShapeError(f"cumsum: axis {axis} is out of range for {a!r}")
    return a


def _cumsum_sample(rng):
    x = rng.normal(size=(3, 4))
    return [x], {"axis": int(rng.integers(0, 2)), "reverse": bool(rng.integers(0, 2))}


def _cumsum_xp(bk, x, *, axis, reverse):
    xp = bk.xp
    if reverse:
        return xp.flip(xp.cumulative_sum(xp.flip(x, axis=axis), axis=axis, dtype=x.dtype), axis=axis)
    return xp.cumulative_sum(x, axis=axis, dtype=x.dtype)


cumsum_p = Primitive(
    "cumsum",
    _cumsum_impl,
    _cumsum_shape,
    linear=True,
    vjp=lambda ct, out, x, *, axis, reverse: (cumsum(ct, axis, not reverse),),
    jvp=lambda ts, out, x, *, axis, reverse: cumsum(ts[0], axis, reverse),
    batch=axis_batch(lambda: cumsum_p),
    xp=XpImpl(_cumsum_xp, "cumulative_sum"),
    sample=_cumsum_sample,
    doc="cumulative sum along a non-negative axis; reverse=True sums from the end",
)


def cumsum(x, axis: int, reverse: bool = False):
    return bind(cumsum_p, x, axis=int(axis), reverse=bool(reverse))
