"""Reductions of ``wire.numpy`` (``axis``, ``keepdims`` as in NumPy) and statistics."""

from __future__ import annotations

import numpy as np

from ..errors import WireError, at, user_location
from ..ops import reductions as R
from ..ops.shape import ones_like_, reshape
from ..core import Tracer
from ._axes import normalize_axes
from ._promote import cast
from ._creation import ones_like
from ._math import _as_bool, isnan, not_equal, sqrt, where

__all__ = [
    "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "argmax", "argmin",
    "any", "all", "average", "count_nonzero", "nansum", "ptp",
]


def _keep(x, y, axes, keepdims):
    if not keepdims:
        return y
    if axes is None:
        raise WireError("keepdims on a value of unknown shape: give wire.var a shape"
                        + at(user_location()))
    return reshape(y, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))


def _reduce(binder, np_fn, x, axis, keepdims, name):
    if not isinstance(x, Tracer):
        return np_fn(x, axis=axis, keepdims=keepdims)
    if x.shape is None:
        if axis is not None:
            raise WireError(f"{name} over an axis of a value of unknown shape: give wire.var a "
                            "shape" + at(user_location()))
        return binder(x, None)
    axes = normalize_axes(axis, x.ndim)
    return _keep(x, binder(x, axes), axes, keepdims)


def sum(a, axis=None, dtype=None, keepdims=False):
    """Sum over ``axis`` (all by default). Booleans and small integers sum as NumPy does.

    >>> sum(np.arange(6.0).reshape(2, 3), axis=0)
    array([3., 5., 7.])
    """
    if isinstance(a, Tracer):
        if dtype is not None:
            a = cast(a, dtype)
        elif a.dtype.kind in "biu" and a.dtype.itemsize < np.dtype(np.intp).itemsize or a.dtype == bool:
            a = cast(a, np.intp if a.dtype.kind != "u" else np.uintp)
    elif dtype is not None:
        return np.sum(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return _reduce(R.reduce_sum, np.sum, a, axis, keepdims, "sum")


def _count(a, axis):
    if axis is None:
        return a.size
    axes = normalize_axes(axis, a.ndim)
    return int(np.prod([a.shape[i] for i in axes], dtype=np.int64))


def mean(a, axis=None, dtype=None, keepdims=False):
    """Arithmetic mean over ``axis``.

    >>> mean(np.array([1.0, 2.0, 6.0]))
    np.float64(3.0)
    """
    if not isinstance(a, Tracer):
        return np.mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    if dtype is not None:
        a = cast(a, dtype)
    elif a.dtype.kind not in "fc":
        a = cast(a, np.float64)
    if a.shape is None:
        return sum(a, axis) / sum(ones_like_(a), axis)
    n = _count(a, axis)
    return sum(a, axis=axis, keepdims=keepdims) / (float(n) if n else float("nan"))


def prod(a, axis=None, dtype=None, keepdims=False):
    """Product over ``axis``; its derivative is exact even where entries are zero.

    >>> prod(np.array([2.0, 3.0, 4.0]))
    np.float64(24.0)
    """
    if isinstance(a, Tracer) and dtype is not None:
        a = cast(a, dtype)
    elif dtype is not None:
        return np.prod(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return _reduce(R.reduce_prod, np.prod, a, axis, keepdims, "prod")


def max(a, axis=None, keepdims=False):
    """Maximum over ``axis``; at ties the derivative is split evenly among the maxima.

    >>> max(np.array([1.0, 5.0, 2.0]))
    np.float64(5.0)
    """
    return _reduce(R.reduce_max, np.max, a, axis, keepdims, "max")


def min(a, axis=None, keepdims=False):
    """Minimum over ``axis``; at ties the derivative is split evenly among the minima.

    >>> min(np.array([1.0, 5.0, 2.0]))
    np.float64(1.0)
    """
    return _reduce(R.reduce_min, np.min, a, axis, keepdims, "min")


amax, amin = max, min


def var(a, axis=None, dtype=None, ddof=0, keepdims=False):
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom.

    >>> var(np.array([1.0, 2.0, 3.0, 4.0]))
    np.float64(1.25)
    """
    if not isinstance(a, Tracer):
        return np.var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    if a.dtype.kind not in "fc":
        a = cast(a, np.float64)
    centered = a - mean(a, axis=axis, keepdims=True)
    sq = centered * centered
    n = _count(a, axis)
    return sum(sq, axis=axis, keepdims=keepdims) / float(n - ddof)


def std(a, axis=None, dtype=None, ddof=0, keepdims=False):
    """Standard deviation over ``axis``.

    >>> std(np.array([1.0, 3.0]))
    np.float64(1.0)
    """
    if not isinstance(a, Tracer):
        return np.std(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    return sqrt(var(a, axis=axis, ddof=ddof, keepdims=keepdims))


def _arg(binder, np_fn, a, axis, keepdims):
    if not isinstance(a, Tracer):
        return np_fn(a, axis=axis, keepdims=keepdims)
    if axis is None:
        out = binder(reshape(a, (a.size,)), 0)
        return reshape(out, (1,) * a.ndim) if keepdims else out
    ax = normalize_axes(axis, a.ndim)[0]
    out = binder(a, ax)
    if keepdims:
        out = reshape(out, tuple(1 if i == ax else d for i, d in enumerate(a.shape)))
    return out


def argmax(a, axis=None, keepdims=False):
    """Index of the (first) maximum; not differentiable (integer output).

    >>> argmax(np.array([1.0, 5.0, 2.0]))
    np.int64(1)
    """
    return _arg(R.argmax, np.argmax, a, axis, keepdims)


def argmin(a, axis=None, keepdims=False):
    """Index of the (first) minimum; not differentiable (integer output)."""
    return _arg(R.argmin, np.argmin, a, axis, keepdims)


def any(a, axis=None, keepdims=False):
    """Whether any element along ``axis`` is true."""
    if not isinstance(a, Tracer):
        return np.any(a, axis=axis, keepdims=keepdims)
    return _reduce(R.reduce_max, np.max, _as_bool(a), axis, keepdims, "any")


def all(a, axis=None, keepdims=False):
    """Whether all elements along ``axis`` are true."""
    if not isinstance(a, Tracer):
        return np.all(a, axis=axis, keepdims=keepdims)
    return _reduce(R.reduce_min, np.min, _as_bool(a), axis, keepdims, "all")


def average(a, axis=None, weights=None):
    """Weighted average, NumPy's ``average`` (without ``returned``)."""
    if weights is None:
        return mean(a, axis=axis)
    return sum(a * weights, axis=axis) / sum(weights * ones_like(a), axis=axis)


def count_nonzero(a, axis=None):
    """Number of non-zero entries (integer, not differentiable)."""
    return sum(not_equal(a, 0), axis=axis)


def nansum(a, axis=None, keepdims=False):
    """Sum treating NaN as zero."""
    return sum(where(isnan(a), 0.0, a), axis=axis, keepdims=keepdims)


def ptp(a, axis=None, keepdims=False):
    """Range (max - min) along ``axis``."""
    return max(a, axis=axis, keepdims=keepdims) - min(a, axis=axis, keepdims=keepdims)
