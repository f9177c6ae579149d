"""Order-based functions of ``wire.numpy`` beyond ``sort``: ``partition``/``argpartition``,
``lexsort``, ``sort_complex``, ``digitize``, ``bincount`` and the NaN-aware quantiles.

All are built on the ``argsort`` permutation and gathers, so values flow back through the
permutation exactly as for ``sort``; integer results (indices, counts) carry no derivative.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..errors import ShapeError, WireAxisError, WireError, WireTypeError, WireValueError, at, user_location
from ..ops import shape as S
from ..ops import sorting as SO
from ..core import Tracer
from ._along_axis import (_SEARCH_METHODS, _lerp, _positions, _slices, argsort, check_method,
                          nanmean, quantile, searchsorted, sort)
from ._elementwise_composed import imag, real
from ._math import floor, isnan, minimum, where
from ._host_valued import numpy_valued
from ._promote import cast, lift, refuse_out, result_dtype, static_size
from ._rearranging import take, take_along_axis
from ._reductions import all as all_
from ._reductions import argmin, normalize_axes, sum
from ._shape import reshape, stack

__all__ = [
    "argpartition",
    "bincount",
    "digitize",
    "lexsort",
    "nanpercentile",
    "nanquantile",
    "partition",
    "sort_complex",
]


def _t(*xs) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


def _check_kth(kth, n, name):
    for k in np.atleast_1d(np.asarray(kth)).ravel():
        if not -n <= int(k) < n:
            raise WireError(f"{name}: kth {int(k)} is out of bounds for an axis of size {n}"
                            f"{at(user_location())}")


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """A copy with the ``kth`` entries where sorting would put them, smaller ones before and
    larger ones after: NumPy's own partition, bit for bit (the entries inside each part, tied
    -0.0 and 0.0 and NaNs in NumPy's order). The derivative flows back through the
    permutation (at ties, to one of the tied entries).

    >>> float(partition(np.array([3.0, 1.0, 2.0]), 1)[1])
    2.0
    """
    a = lift(a)
    if not _t(a):
        return np.partition(a, kth, axis=axis, kind=kind, order=order)
    a, ax = _partition_axis(a, kth, axis, "partition")
    return SO.partition(a, ax, np.atleast_1d(kth).ravel())


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """Indices that partition ``a``: NumPy's own ``argpartition`` (integer output).

    >>> int(argpartition(np.array([3.0, 1.0, 2.0]), 0)[0])
    1
    """
    a = lift(a)
    if not _t(a):
        return np.argpartition(a, kth, axis=axis, kind=kind, order=order)
    if a.ndim == 0:  # NumPy's argpartition takes a 0-d array as one element (partition not)
        axis = None
    a, ax = _partition_axis(a, kth, axis, "argpartition")
    return SO.argpartition(a, ax, np.atleast_1d(kth).ravel())


def _partition_axis(a, kth, axis, name):
    """``a`` (flattened for ``axis=None``) and the axis to partition, ``kth`` checked."""
    if axis is None:
        a, ax = reshape(a, (a.size,)), 0
    elif a.ndim == 0:
        raise WireAxisError(f"{name} of a 0-d array {a.aval!r}: there is no axis to partition "
                            f"(NumPy raises AxisError){at(user_location())}")
    else:
        ax = normalize_axes(axis, a.ndim)[0]
    kth_ = np.asarray(kth)
    if kth_.dtype.kind not in "iu":
        raise WireTypeError(f"{name}: kth must be integers, got {kth!r}{at(user_location())}")
    _check_kth(kth_, a.shape[ax], name)
    return a, ax


def lexsort(keys, axis=-1):
    """Indices that sort by the last key, then the one before, … (NumPy's ``lexsort``); keys
    may be traced (integer result, no derivative).

    >>> lexsort((np.array([1, 0, 1]), np.array([2, 2, 1])))
    array([2, 1, 0])
    """
    if isinstance(keys, Tracer):
        keys = [keys[i] for i in range(keys.shape[0])]
    if not _t(*keys):
        return np.lexsort(keys, axis=axis)
    keys = [k if isinstance(k, Tracer) else S.to_tracer(np.asarray(k)) for k in keys]
    axis = normalize_axes(axis, keys[0].ndim)[0]
    # a stable sort by each key in turn, least significant first, keeps earlier orders on ties
    perm = argsort(keys[0], axis=axis, kind="stable")
    for key in keys[1:]:
        step = argsort(take_along_axis(key, perm, axis), axis=axis, kind="stable")
        perm = take_along_axis(perm, step, axis)
    return perm


def sort_complex(a):
    """Sort by real part, then imaginary part; the result is complex (NumPy's rules, NaNs
    included: ``R + Rj``, ``R + nanj``, ``nan + Rj``, ``nan + nanj``).

    >>> sort_complex(np.array([2.0, 1.0]))
    array([1.+0.j, 2.+0.j])
    """
    if not _t(a):
        return np.sort_complex(a)
    if a.ndim == 0:
        raise WireAxisError(f"sort_complex of a 0-d array {a.aval!r}: there is no axis to "
                            f"sort (NumPy raises AxisError){at(user_location())}")
    dt = a.dtype
    if dt.kind != "c":
        dt = np.dtype(np.complex64) if dt.char in "bhBH" else np.dtype(np.complex128)
        a = cast(a, dt)
    # NumPy's order with NaNs: R + Rj, then R + nanj, nan + Rj, nan + nanj, each class by its
    # numbers (a lexsort by real, then imaginary part alone would interleave the first two)
    re, im = real(a), imag(a)
    nan_class = cast(isnan(re), np.int8) * 2 + cast(isnan(im), np.int8)
    return take_along_axis(a, lexsort((im, re, nan_class)), -1)


def digitize(x, bins, right=False, *, method="scan"):
    """Indices of the ``bins`` (monotonic, increasing or decreasing) each ``x`` falls in
    (integer result, no derivative).

    >>> digitize(np.array([0.5, 1.5, 3.0]), np.array([0.0, 1.0, 2.0]))
    array([1, 2, 3])
    """
    check_method("digitize", method, _SEARCH_METHODS)
    if not _t(x, bins):
        return np.digitize(x, bins, right=right)
    side = "left" if right else "right"
    if not isinstance(bins, Tracer):
        bins = np.asarray(bins)
        if bins.ndim != 1:
            raise WireError(f"digitize: bins must be 1-D{at(user_location())}")
        try:  # NumPy's own check (NaN compares as it does there)
            np.digitize(np.empty(0, bins.dtype), bins)
        except ValueError as e:
            raise WireValueError(f"digitize: {e}{at(user_location())}") from None
        same = np.flatnonzero(bins[1:] != bins[:1])
        if not same.size or bins[0] < bins[same[0] + 1]:
            return searchsorted(bins, x, side=side)
        return bins.size - searchsorted(bins[::-1], x, side=side)
    n = bins.shape[0]
    up = searchsorted(bins, x, side=side)
    if n < 2:
        return up
    down = n - searchsorted(bins[::-1], x, side=side)
    # NumPy's direction: increasing where bins[0] is below the first entry unequal to it
    # (or all are equal), else decreasing (NaN compares false)
    eq = bins[1:] == bins[0]
    first = take(bins, argmin(eq) + 1)
    return where(all_(eq) | (bins[0] < first), up, down)


def bincount(x, weights=None, minlength=0, *, length=None):
    """Number of occurrences (or sum of ``weights``) of each non-negative integer of ``x``.
    ``x`` sets the result's length, so it must be concrete; traced ``weights`` are
    differentiable (the derivative of each bin is 1 for its entries). With JAX's ``length=``
    the result has ``length`` bins whatever ``x`` holds, so ``x`` may be traced too: as in
    JAX, entries of ``x`` past the last bin are dropped, negative ones counted in bin 0, and
    the sums keep the weights' dtype (``minlength`` is then ignored).

    >>> bincount(np.array([0, 2, 2]), np.array([0.5, 1.0, 2.0]))
    array([0.5, 0. , 3. ])
    >>> bincount(np.array([0, 2, 2, 7]), length=3)
    array([1, 0, 2])
    """
    if length is not None:
        return _bincount_length(x, weights, length)
    if not _t(x, weights):
        return np.bincount(x, weights, minlength)
    if isinstance(x, Tracer):
        raise WireError(
            "bincount: the counted integers set the result's length, so they must be concrete, "
            f"not traced{at(user_location())}; with a known number of bins n use "
            "wire.numpy.sum(weights[:, None] * (x[:, None] == wire.numpy.arange(n)), axis=0)"
        )
    x = np.asarray(x)
    if x.ndim != 1 or x.dtype.kind not in "iub" or (x.size and x.min() < 0):
        raise WireError(f"bincount: x must be a 1-D array of non-negative integers"
                        f"{at(user_location())}")
    n = builtins.max(int(x.max()) + 1 if x.size else 0, int(minlength))
    if weights.dtype.kind == "c":
        raise WireTypeError(f"bincount: complex weights {weights.aval!r} (NumPy sums them as "
                            f"float64 and refuses complex ones too){at(user_location())}")
    w = cast(weights, np.float64)  # NumPy sums every weight dtype as float64
    return S.scatter_add(w, [x.astype(np.intp)], (("a", 0),), (n,))


def _bincount_length(x, weights, length):
    """JAX's ``bincount(x, weights, length=k)``: ``zeros(k).at[clip(x, 0)].add(weights)``,
    dropping entries past the end."""
    k = static_size(length, "bincount", "length")
    xs = x.shape if isinstance(x, Tracer) else np.shape(x)
    xd = x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype
    if len(xs) != 1 or xd.kind not in "iub":
        raise WireTypeError(f"bincount: x must be a 1-D array of integers, got {xd}{list(xs)}"
                            f"{at(user_location())}")
    if weights is None:
        weights = np.ones(xs, np.int64)
    ws = weights.shape if isinstance(weights, Tracer) else np.shape(weights)
    wd = weights.dtype if isinstance(weights, Tracer) else np.asarray(weights).dtype
    if tuple(ws) != tuple(xs) or wd.kind not in "iufc":
        raise WireTypeError(f"bincount: weights must be numbers shaped like x {tuple(xs)}, got "
                            f"{wd}{list(ws)} (JAX refuses it too){at(user_location())}")
    idx = where(x < 0, 0, where(x >= k, k, x))  # bin k collects what is dropped
    if not _t(idx, weights):
        out = np.zeros(k + 1, wd)
        np.add.at(out, np.asarray(idx, np.intp), np.asarray(weights))
        return out[:k]
    return S.to_tracer(np.zeros(k + 1, wd)).at[idx].add(weights)[:k]


def _nan_quantiles(a, q, axis, keepdims, name):
    """NumPy's ``nanquantile``: per slice, the quantiles of its numbers (``quantile``'s
    positions, in float64, and its interpolation over the first ``count`` sorted entries); NaN
    for a slice of only NaN. An empty array gives ``nanmean``'s result, as NumPy's (which
    drops ``q``'s axis there)."""
    if a.dtype == np.bool_:
        raise WireTypeError(f"{name} of a boolean array {a.aval!r}: NumPy refuses it too (it "
                            f"subtracts booleans){at(user_location())}")
    if a.dtype.kind == "c":
        raise WireTypeError(f"{name} of a complex array {a.aval!r}: a must be an array of real "
                            f"numbers (NumPy refuses it too){at(user_location())}")
    if 0 in a.shape:
        return nanmean(a, axis=axis, keepdims=keepdims)
    flat, kept, keep_shape = _slices(a, axis, name)
    weak = isinstance(q, (int, float)) and not isinstance(q, np.generic)  # NEP 50, as quantile
    dt = result_dtype(flat, q if weak else np.asarray(q))
    qq = _positions(q, 2, "linear")[0]  # the checks of q that quantile makes
    valid = ~isnan(flat)
    count = sum(valid, axis=-1, keepdims=True)  # entries that are not NaN, per slice
    s = sort(where(valid, flat, np.inf), axis=-1)  # NaNs (as inf) go to the end
    last = cast(count - 1, qq.dtype)  # NumPy's positions: in q's float dtype
    none = count == 0
    outs = []
    for qk in qq.ravel():
        pos = last * qk
        lo = floor(pos)
        hi = minimum(lo + 1.0, last)
        ilo, ihi = cast(where(lo < 0, 0.0, lo), np.intp), cast(where(hi < 0, 0.0, hi), np.intp)
        vlo, vhi = take_along_axis(s, ilo, -1), take_along_axis(s, ihi, -1)
        # a slice of only NaN reads two of its +inf stand-ins: zeros instead, so that no
        # inf - inf raises a stray "invalid value" warning (its result is NaN all the same)
        vlo, vhi = where(none, 0.0, vlo), where(none, 0.0, vhi)
        # NumPy's weight, pos - (-1) at the last position (see quantile's)
        frac = where(pos >= last, pos + 1.0, pos - lo)
        val = _lerp(vlo, vhi, frac, dt)  # NumPy's, so infinities come out as there
        outs.append(where(none, np.nan, val)[..., 0])
    res = reshape(stack(outs, axis=0), qq.shape + kept)
    # a slice without NaN: NumPy's nanquantile is its quantile of the slice, which reads
    # NumPy's partition of it, not a sort: tied -0.0 and 0.0 in its order, so that the zero's
    # sign is NumPy's (nanquantile([-0., 0., -0., 0.], 0.5) is 0.0; the sorted slice gave -0.0)
    exact = quantile(reshape(flat, kept + (flat.shape[-1],)), q, axis=-1)
    res = where(reshape(count, kept) == flat.shape[-1], cast(exact, res.dtype), res)
    return reshape(res, qq.shape + keep_shape) if keepdims else res


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False):
    """``q``-th quantiles ignoring NaN (``q`` concrete, in [0, 1]; NumPy's "linear" method);
    a slice of only NaN gives NaN.

    >>> float(nanquantile(np.array([1.0, np.nan, 3.0]), 0.5))
    2.0
    """
    a = lift(a)
    if not _t(a):
        return np.nanquantile(a, q, axis=axis, method=method, keepdims=keepdims, out=out)
    refuse_out(out, "nanquantile")
    if method != "linear":
        raise WireError(f"nanquantile: only method='linear' is supported on traced values"
                        f"{at(user_location())}")
    _nan_quantiles(a, q, axis, keepdims, "nanquantile")  # (its checks, at the user's call)
    return _numpy_nan_quantiles("nanquantile", a, q, axis, keepdims)


def _numpy_nan_quantiles(name, a, q, axis, keepdims):
    """NumPy's ``nanquantile``/``nanpercentile`` for the value (its slices with the NaNs moved
    out, partitioned: tied -0.0 and 0.0 in its order, so the zero's sign is NumPy's, as a sort
    does not give it), :func:`_nan_quantiles` for the derivatives."""
    axis = axis if axis is None or isinstance(axis, int) else tuple(axis)
    return numpy_valued(_nanq_host, _nanq_composite, a, (name, _frozen(q), axis, keepdims))


def _frozen(q):
    """``q`` as a hashable key: a Python or NumPy scalar as it is (NumPy promotes by its type),
    an array as its dtype, shape and entries."""
    if isinstance(q, (int, float, np.generic)):
        return q
    q = np.asarray(q)
    return ("array", q.dtype.str, q.shape, tuple(q.ravel().tolist()))


def _thawed(q):
    if isinstance(q, tuple) and q and q[0] == "array":
        return np.array(q[3], dtype=np.dtype(q[1])).reshape(q[2])
    return q


def _nanq_host(x, name, q, axis, keepdims):
    """NumPy's function; an all-NaN slice gives NaN without NumPy's "All-NaN slice"
    warning (the traced function warns of nothing: its NaN is its answer there)."""
    fn, q, x = getattr(np, name), _thawed(q), np.asarray(x)
    gone = np.isnan(x).all(axis=axis, keepdims=True) if x.size else None
    if gone is None or not gone.any():
        return fn(x, q, axis=axis, keepdims=keepdims)
    out = fn(np.where(gone, np.zeros((), x.dtype), x), q, axis=axis, keepdims=keepdims)
    return np.where(np.isnan(x).all(axis=axis, keepdims=keepdims), np.nan, out)


def _nanq_composite(a, name, q, axis, keepdims):
    q = _thawed(q)
    if name == "nanpercentile":
        weak = isinstance(q, (int, float)) and not isinstance(q, np.generic)
        q = q / 100.0 if weak else np.asarray(q) / 100.0
    return _nan_quantiles(a, q, axis, keepdims, name)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False):
    """``q``-th percentiles ignoring NaN (``q`` in [0, 100]).

    >>> float(nanpercentile(np.array([1.0, np.nan, 3.0]), 50))
    2.0
    """
    a = lift(a)
    if not _t(a):
        return np.nanpercentile(a, q, axis=axis, method=method, keepdims=keepdims, out=out)
    refuse_out(out, "nanpercentile")
    if isinstance(q, Tracer):
        raise WireError(f"nanpercentile: q must be concrete{at(user_location())}")
    if method != "linear":
        raise WireError(f"nanpercentile: only method='linear' is supported on traced values"
                        f"{at(user_location())}")
    _nanq_composite(a, "nanpercentile", _frozen(q), axis, keepdims)  # (its checks, here)
    return _numpy_nan_quantiles("nanpercentile", a, q, axis, keepdims)

