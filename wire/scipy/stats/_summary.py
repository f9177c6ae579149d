"""Summary functions of ``wire.scipy.stats``: ``sem``, ``mode``, ``rankdata``, with SciPy's
signatures. On concrete arrays SciPy's own functions run when SciPy is installed; traced
values take the formulas here (``mode`` and ``rankdata`` through a stable sort along the
axis and the runs of equal values in it: ``O(n log n)`` in the axis length).

``sem`` is differentiable; ``mode``'s value is one of the data (its derivative goes to that
entry: to the first of the tied entries holding it); ranks are piecewise constant (derivative
0).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ... import numpy as wnp
from ...errors import WireValueError, at, user_location
from .._traced import traced as _traced
from ...ops.optional import module as _optional_module

_st = _optional_module("scipy.stats")  # None without SciPy; imported on first use

ModeResult = namedtuple("ModeResult", ("mode", "count"))


def _policy(nan_policy, what):
    if nan_policy != "propagate":
        raise WireValueError(f"{what}: only nan_policy='propagate' is implemented for traced "
                             f"values, got {nan_policy!r}{at(user_location())}")


def _to_last(a, axis):
    if axis is None:
        return wnp.reshape(a, (-1,))
    return wnp.moveaxis(a, axis, -1)


def sem(a, axis=0, ddof=1, nan_policy="propagate", *, keepdims=False):
    """Standard error of the mean, ``std(a, ddof=ddof) / sqrt(n)`` along ``axis`` (``None``:
    all entries); NaN where ``n <= ddof`` or a NaN is present, as SciPy.

    >>> import numpy as np
    >>> round(float(sem(np.array([1.0, 2.0, 4.0]))), 12)
    0.881917103688
    """
    if not _traced(a) and _st is not None:
        return _st.sem(a, axis=axis, ddof=ddof, nan_policy=nan_policy, keepdims=keepdims)
    _policy(nan_policy, "sem")
    a = wnp.asarray(a)
    if a.dtype.kind not in "fc":
        a = wnp.asarray(a, np.float64)
    if axis is None:
        n = int(np.prod(a.shape))
        out = wnp.std(a, ddof=ddof, keepdims=keepdims) if n > ddof else wnp.full(
            (1,) * a.ndim if keepdims else (), np.nan, a.dtype)
    else:
        n = a.shape[axis]
        if n > ddof:
            out = wnp.std(a, axis=axis, ddof=ddof, keepdims=keepdims)
        else:
            out = wnp.sum(a, axis=axis, keepdims=keepdims) * np.nan
    return out / np.sqrt(max(n, 1)).astype(a.dtype)


def _runs(x, nan_equal):
    """The runs of equal values of ``x`` sorted along its last axis (``n >= 1``): the stable
    ``order``, the sorted values ``xs``, and for each sorted position the start and end
    (exclusive) of its run and the run's number (1 for the smallest value). NaNs sort last;
    with ``nan_equal`` they are one run, else each NaN is its own."""
    n = x.shape[-1]
    order = wnp.argsort(x, axis=-1, kind="stable")
    xs = wnp.take_along_axis(x, order, axis=-1)
    new = xs[..., 1:] != xs[..., :-1]
    if nan_equal and x.dtype.kind in "fc":
        new = wnp.logical_and(new, wnp.logical_not(
            wnp.logical_and(wnp.isnan(xs[..., 1:]), wnp.isnan(xs[..., :-1]))))
    first = wnp.ones(tuple(x.shape[:-1]) + (1,), bool)
    starts = wnp.concatenate([first, new], axis=-1)
    run = wnp.cumsum(wnp.asarray(starts, np.int64), axis=-1)  # 1, 1, 2, ...
    # the positions where runs start, in order, come first in a stable sort of ~starts
    where_start = wnp.argsort(wnp.asarray(wnp.logical_not(starts), np.int8), axis=-1,
                              kind="stable")
    start = wnp.take_along_axis(where_start, run - 1, axis=-1)
    runs = run[..., -1:]
    nxt = wnp.take_along_axis(where_start, wnp.minimum(run, n - 1), axis=-1)
    end = wnp.where(run < runs, nxt, n)
    return order, xs, start, end, run


def mode(a, axis=0, nan_policy="propagate", keepdims=False):
    """The most frequent value along ``axis`` (the smallest of equally frequent ones) and its
    count, as SciPy's ``ModeResult(mode, count)``; ``axis=None`` takes all entries.

    >>> import numpy as np
    >>> mode(np.array([3, 1, 2, 2]))
    ModeResult(mode=np.int64(2), count=np.int64(2))
    """
    if not _traced(a) and _st is not None:
        return _st.mode(a, axis=axis, nan_policy=nan_policy, keepdims=keepdims)
    _policy(nan_policy, "mode")
    a = wnp.asarray(a)
    x = _to_last(a, axis)
    if x.shape[-1] == 0:
        raise WireValueError(f"mode of an empty axis{at(user_location())}")
    # NaNs are one value, as SciPy's (np.unique) counts them, and sort last
    _, xs, start, end, _ = _runs(x, nan_equal=True)
    counts = end - start
    top = wnp.max(counts, axis=-1, keepdims=True)
    first = wnp.argmax(counts == top, axis=-1)  # the smallest of the most frequent
    value = wnp.take_along_axis(xs, first[..., None], axis=-1)[..., 0]
    count = top[..., 0]
    if keepdims:
        if axis is None:
            value = wnp.reshape(value, (1,) * a.ndim)
            count = wnp.reshape(count, (1,) * a.ndim)
        else:
            value, count = wnp.expand_dims(value, axis), wnp.expand_dims(count, axis)
    return ModeResult(value, count)


_METHODS = ("average", "min", "max", "dense", "ordinal")


def rankdata(a, method="average", *, axis=None, nan_policy="propagate"):
    """Ranks of the data, 1 for the smallest, ties by ``method``: ``'average'`` (float),
    ``'min'``, ``'max'``, ``'dense'``, ``'ordinal'``. ``axis=None`` ranks the flattened
    array. A slice holding a NaN ranks as NaN, as SciPy's. Traced floating input gives
    float64 ranks for every method (SciPy's integer ranks of the other methods are decided
    by the values: a NaN makes them float).

    >>> import numpy as np
    >>> rankdata(np.array([3, 1, 2, 2]))
    array([4. , 1. , 2.5, 2.5])
    """
    if method not in _METHODS:
        raise WireValueError(f"rankdata: method must be one of {', '.join(_METHODS)}, got "
                             f"{method!r}{at(user_location())}")
    if not _traced(a) and _st is not None:
        return _st.rankdata(a, method=method, axis=axis, nan_policy=nan_policy)
    _policy(nan_policy, "rankdata")
    a = wnp.asarray(a)
    x = _to_last(a, axis)
    n = x.shape[-1]
    if n == 0:
        ranks = wnp.zeros(tuple(x.shape), np.float64 if method == "average" else np.int64)
    else:
        order, _, start, end, run = _runs(x, nan_equal=False)
        if method == "average":
            in_order = 0.5 * (start + 1 + end)
        elif method == "min":
            in_order = start + 1
        elif method == "max":
            in_order = end
        elif method == "dense":
            in_order = run
        else:  # ordinal: the position in the stable sort
            in_order = wnp.broadcast_to(np.arange(1, n + 1), tuple(x.shape))
        # back to the data's order: the inverse permutation of the sort
        ranks = wnp.take_along_axis(in_order, wnp.argsort(order, axis=-1), axis=-1)
    if x.dtype.kind in "fc":
        nan = wnp.any(wnp.isnan(x), axis=-1, keepdims=True)
        ranks = wnp.where(nan, np.nan, wnp.asarray(ranks, np.float64))
    elif method != "average":
        ranks = wnp.asarray(ranks, np.int64)
    if axis is None:
        return ranks
    return wnp.moveaxis(ranks, -1, axis)
