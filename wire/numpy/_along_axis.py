"""Cumulative, differencing, sorting and order-statistic functions of ``wire.numpy``.

``cumsum`` and ``cumprod`` are primitives (``cumprod``'s derivative is exact even at zeros);
``maximum``/``minimum`` accumulation is a log-depth scan over shifted copies. ``sort`` gathers
with the ``argsort`` permutation, so derivatives flow back through it; ``median``,
``percentile`` and ``quantile`` interpolate between sorted entries (NumPy's "linear" method).
"""

from __future__ import annotations

import builtins

import numpy as np

from ..errors import ShapeError, WireError, WireTypeError, WireValueError, at, user_location
from ..ops import complex_parts as CP
from ..ops import cumulative as K
from ..ops import reductions as R
from ..ops import sorting as SO
from ..core import Tracer
from ..ops.shape import full, to_tracer
from ._elementwise_composed import conj, imag, real
from ._math import clip, isnan, maximum, minimum, sqrt, stop_gradient, where
from ._math import where as where_
from ._products import matmul
from ._promote import cast, lifting, refuse_out, result_dtype
from ._rearranging import diagonal, flip, pad, take, take_along_axis
from ._reductions import all as all_
from ._reductions import (
    _reduce, argmax, argmin, divide_by_count, max, mean, min, normalize_axes, prod,
    resolve_ddof, sqrt_spread, sum, var, var_about, extremum_where, ufunc_axis,
    ufunc_axis_if_inexact, var_steps,
)
from ._shape import (
    atleast_2d, broadcast_to, concatenate, expand_dims, moveaxis, ravel, reshape, transpose,
)

__all__ = [
    "argsort",
    "convolve",
    "corrcoef",
    "correlate",
    "cov",
    "cumprod",
    "cumsum",
    "cumulative_prod",
    "cumulative_sum",
    "diff",
    "ediff1d",
    "gradient",
    "median",
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmedian",
    "nanmin",
    "nanprod",
    "nanstd",
    "nanvar",
    "percentile",
    "quantile",
    "searchsorted",
    "sort",
    "trapezoid",
]


def _t(*xs) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


def _acc_dtype(a, dtype):
    if dtype is not None:
        return cast(a, dtype)
    if a.dtype.kind in "bi" and a.dtype.itemsize < np.dtype(np.intp).itemsize or a.dtype == bool:
        return cast(a, np.intp)
    if a.dtype.kind == "u" and a.dtype.itemsize < np.dtype(np.uintp).itemsize:
        return cast(a, np.uintp)
    return a


def _flat_axis(a, axis):
    if axis is None:
        return ravel(a), 0
    if isinstance(axis, (tuple, list)):  # (an axis tuple was taken as its first axis)
        raise WireTypeError(f"'{type(axis).__name__}' object cannot be interpreted as an "
                            f"integer: a cumulative sum or product runs along one axis (NumPy "
                            f"raises TypeError){at(user_location())}")
    return a, normalize_axes(axis, a.ndim)[0]


def _cumulative_axis(x, axis):
    """NumPy 2's ``cumulative_sum``/``cumulative_prod`` need ``axis`` beyond one dimension
    (one axis: a tuple of one is that axis)."""
    if isinstance(axis, (tuple, list)):
        if len(axis) != 1:
            raise WireValueError(f"accumulate does not allow multiple axes, got axis={axis!r} "
                                 f"(NumPy raises ValueError){at(user_location())}")
        axis = axis[0]
    if axis is None and x.ndim > 1:
        raise WireValueError(f"For arrays which have more than one dimension ``axis`` argument "
                             f"is required (NumPy raises ValueError), got {x.aval!r}"
                             f"{at(user_location())}")
    return axis if axis is not None else (0 if x.ndim == 1 else None)


@ufunc_axis
@lifting
def cumsum(a, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (flattened if None).

    >>> cumsum(np.array([1.0, 2.0, 3.0]))
    array([1., 3., 6.])
    """
    if not _t(a):
        return np.cumsum(a, axis=axis, dtype=dtype)
    a, axis = _flat_axis(_acc_dtype(a, dtype), axis)
    return K.cumsum(a, axis)


def scan(a, axis, op):
    """Inclusive scan of binary ``op`` along ``axis`` in ``ceil(log2 n)`` steps (Hillis–Steele):
    each step combines every entry with the one ``2**k`` places before it, the earlier one as
    the first operand, as NumPy's ``accumulate`` does (``out[i] = op(out[i-1], a[i])``: at a
    tie of 0.0 and -0.0, ``maximum`` returns one operand by its place); the first ``2**k``
    entries are kept as they are (no padding value, which no dtype has for every ``op``: a
    complex ``minimum`` padded with 1 gave 1 for entries above it)."""
    n = a.shape[axis]
    k = 1
    while k < n:
        idx = [slice(None)] * a.ndim
        head, early, late = list(idx), list(idx), list(idx)
        head[axis], early[axis], late[axis] = slice(0, k), slice(0, n - k), slice(k, n)
        a = concatenate([a[tuple(head)], op(a[tuple(early)], a[tuple(late)])], axis=axis)
        k *= 2
    return a


@ufunc_axis
@lifting
def cumprod(a, axis=None, dtype=None):
    """Cumulative product along ``axis``; derivatives are exact at zeros too.

    >>> cumprod(np.array([1.0, 2.0, 3.0]))
    array([1., 2., 6.])
    """
    if not _t(a):
        return np.cumprod(a, axis=axis, dtype=dtype)
    a, axis = _flat_axis(_acc_dtype(a, dtype), axis)
    return K.cumprod(a, axis)


@lifting
def cumulative_sum(x, axis=None, dtype=None, include_initial=False):
    """NumPy 2's ``cumulative_sum`` (optionally starting with 0)."""
    if not _t(x):
        return np.cumulative_sum(x, axis=axis, dtype=dtype, include_initial=include_initial)
    out = cumsum(x, _cumulative_axis(to_tracer(x), axis), dtype)
    return _initial(out, axis, include_initial, 0)


@lifting
def cumulative_prod(x, axis=None, dtype=None, include_initial=False):
    """NumPy 2's ``cumulative_prod`` (optionally starting with 1)."""
    if not _t(x):
        return np.cumulative_prod(x, axis=axis, dtype=dtype, include_initial=include_initial)
    out = cumprod(x, _cumulative_axis(to_tracer(x), axis), dtype)
    return _initial(out, axis, include_initial, 1)


def _initial(out, axis, include, value):
    if not include:
        return out
    ax = 0 if axis is None else axis % out.ndim
    shape = list(out.shape)
    shape[ax] = 1
    return concatenate([np.full(shape, value, out.dtype), out], axis=ax)


def accumulate(name, a, axis=0, dtype=None):
    """``np.<ufunc>.accumulate`` for add, multiply, maximum and minimum."""
    if name in ("add", "multiply"):
        a = _acc_dtype(a, dtype)
    elif dtype is not None:  # np.maximum.accumulate(int8, dtype=np.int16) is int16
        a = cast(a, dtype)
    axis = normalize_axes(axis, a.ndim)[0]
    if name == "add":
        return K.cumsum(a, axis)
    if name == "multiply":
        return K.cumprod(a, axis)
    if name in ("maximum", "minimum"):
        return scan(a, axis, maximum if name == "maximum" else minimum)
    raise WireError(f"numpy.{name}.accumulate is not supported on traced values{at(user_location())}")


@ufunc_axis
@lifting
def nancumsum(a, axis=None, dtype=None):
    """Cumulative sum treating NaN as 0."""
    if not _t(a):
        return np.nancumsum(a, axis=axis, dtype=dtype)
    return cumsum(where(isnan(a), 0, a), axis, dtype)


@ufunc_axis
@lifting
def nancumprod(a, axis=None, dtype=None):
    """Cumulative product treating NaN as 1."""
    if not _t(a):
        return np.nancumprod(a, axis=axis, dtype=dtype)
    return cumprod(where(isnan(a), 1, a), axis, dtype)


@lifting
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """``n``-th discrete difference along ``axis``.

    >>> diff(np.array([1.0, 4.0, 9.0, 16.0]), 2)
    array([2., 2.])
    """
    kw = {k: v for k, v in (("prepend", prepend), ("append", append)) if v is not np._NoValue}
    if not _t(a, *kw.values()):
        return np.diff(a, n, axis, **kw)
    if not isinstance(a, Tracer):
        a = to_tracer(np.asarray(a))
    if n < 0:
        raise WireValueError(f"diff: order must be non-negative but got {n}{at(user_location())}")
    if a.ndim == 0:
        raise ShapeError(f"diff requires input that is at least one dimensional"
                         f"{at(user_location())}")
    if axis is None or isinstance(axis, (tuple, list)):  # (None was the last axis)
        raise WireTypeError(f"diff: axis must be an integer, got {axis!r} (NumPy raises "
                            f"TypeError){at(user_location())}")
    axis = normalize_axes(axis, a.ndim)[0]
    parts = []
    for key in ("prepend", "append"):
        if key in kw:
            v = kw[key]
            if np.ndim(v) == 0 if not isinstance(v, Tracer) else v.ndim == 0:
                shape = list(a.shape)
                shape[axis] = 1
                v = broadcast_to(v, tuple(shape))
            parts.append((key, v))
    if parts:
        seq = [v for k, v in parts if k == "prepend"] + [a] + [v for k, v in parts if k == "append"]
        a = concatenate(seq, axis=axis)
    for _ in range(n):
        m = a.shape[axis]
        hi = [slice(None)] * a.ndim
        lo = [slice(None)] * a.ndim
        hi[axis], lo[axis] = slice(1, m), slice(0, m - 1)
        if a.dtype == np.bool_:  # NumPy's diff of booleans: whether neighbours differ
            a = a[tuple(hi)] != a[tuple(lo)]
        else:
            a = a[tuple(hi)] - a[tuple(lo)]
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened array, with optional values at the ends."""
    if not _t(ary, to_end, to_begin):
        return np.ediff1d(ary, to_end, to_begin)
    if ary.dtype == np.bool_:
        raise WireTypeError(f"ediff1d of a boolean array {ary.aval!r}: NumPy refuses it too (it "
                            f"subtracts booleans){at(user_location())}")
    d = diff(ravel(ary))

    def end(v, name):  # NumPy's: cast to ary's dtype, if the same_kind rule allows it
        dt = v.dtype if isinstance(v, Tracer) else np.asarray(v).dtype
        if not np.can_cast(dt, d.dtype, casting="same_kind"):
            raise WireTypeError(f"ediff1d: dtype of `{name}` ({dt}) must be compatible with "
                                f"input `ary` ({d.dtype}) under the `same_kind` rule (NumPy "
                                f"raises TypeError){at(user_location())}")
        return cast(ravel(v), d.dtype) if isinstance(v, Tracer) else \
            np.ravel(v).astype(d.dtype)

    parts = ([end(to_begin, "to_begin")] if to_begin is not None else []) + [d]
    if to_end is not None:
        parts.append(end(to_end, "to_end"))
    return concatenate(parts) if len(parts) > 1 else d


def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's ``gradient``: second-order central differences inside, one-sided differences
    of order ``edge_order`` (1 or 2) at the ends; spacings are scalars or coordinate arrays
    (traced or not), one per axis or one for all, with NumPy's formulas term for term."""
    if not _t(f, *varargs):
        return np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    f = to_tracer(f)
    otype = f.dtype if f.dtype.kind in "fc" else np.dtype(np.float64)
    if f.dtype.kind not in "fc":
        f = cast(f, np.float64)  # as NumPy: integer differences would wrap around
    axes = normalize_axes(axis, f.ndim)
    spacing = _gradient_spacings(f, axes, varargs)
    if edge_order not in (1, 2):
        raise WireValueError(f"gradient: 'edge_order' must be 1 or 2, got {edge_order}"
                             f"{at(user_location())}")
    outs = []
    for ax, h in zip(axes, spacing):
        n = f.shape[ax]
        if n < edge_order + 1:  # NumPy's ValueError: no difference can be taken
            raise WireValueError(f"gradient along axis {ax} of {f.aval!r}: at least "
                            f"{edge_order + 1} elements are needed (edge_order + 1)"
                            f"{at(user_location())}")

        def sl(a, b, ax=ax):
            idx = [slice(None)] * f.ndim
            idx[ax] = slice(a, b)
            return f[tuple(idx)]

        def along(v, ax=ax):  # a 1-D coefficient, broadcast along axis ax
            return reshape(v, tuple(-1 if i == ax else 1 for i in range(f.ndim)))

        uniform = np.ndim(h) == 0 and not (isinstance(h, Tracer) and h.ndim)
        if uniform:
            inner = (sl(2, n) - sl(0, n - 2)) / (2.0 * h)
        else:
            dx1, dx2 = h[0:-1], h[1:]
            a = -(dx2) / (dx1 * (dx1 + dx2))
            b = (dx2 - dx1) / (dx1 * dx2)
            c = dx1 / (dx2 * (dx1 + dx2))
            inner = along(a) * sl(0, n - 2) + along(b) * sl(1, n - 1) + along(c) * sl(2, n)
        if edge_order == 1:
            first = (sl(1, 2) - sl(0, 1)) / (h if uniform else h[0])
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / (h if uniform else h[-1])
        else:
            if uniform:
                a, b, c = -1.5 / h, 2.0 / h, -0.5 / h
            else:
                dx1, dx2 = h[0], h[1]
                a = -(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2))
                b = (dx1 + dx2) / (dx1 * dx2)
                c = -dx1 / (dx2 * (dx1 + dx2))
            first = a * sl(0, 1) + b * sl(1, 2) + c * sl(2, 3)
            if uniform:
                a, b, c = 0.5 / h, -2.0 / h, 1.5 / h
            else:
                dx1, dx2 = h[-2], h[-1]
                a = (dx2) / (dx1 * (dx1 + dx2))
                b = -(dx2 + dx1) / (dx1 * dx2)
                c = (2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2))
            last = a * sl(n - 3, n - 2) + b * sl(n - 2, n - 1) + c * sl(n - 1, n)
        parts = [cast(p, otype) for p in (first, inner, last)]  # NumPy's out has f's dtype
        outs.append(concatenate(parts, axis=ax))
    return outs[0] if len(outs) == 1 else tuple(outs)


def _gradient_spacings(f, axes, varargs) -> list:
    """NumPy's spacing per axis: 1.0, one scalar for all, or per axis a scalar or the
    differences of 1-D coordinates (a scalar where concrete coordinates are evenly spaced,
    as NumPy reduces them)."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0 and not (
            isinstance(varargs[0], Tracer) and varargs[0].ndim):
        return list(varargs) * len(axes)
    if len(varargs) != len(axes):
        raise WireTypeError(f"gradient: invalid number of spacing arguments ({len(varargs)} "
                            f"for {len(axes)} axes){at(user_location())}")
    out = []
    for ax, d in zip(axes, varargs):
        ndim = d.ndim if isinstance(d, Tracer) else np.ndim(d)
        if ndim == 0:
            out.append(d)
            continue
        if ndim != 1:
            raise ShapeError(f"gradient: distances must be either scalars or 1d"
                             f"{at(user_location())}")
        length = d.shape[0] if isinstance(d, Tracer) else np.shape(d)[0]
        if length != f.shape[ax]:
            raise ShapeError(f"gradient: when 1d, distances must match the length of the "
                             f"corresponding dimension ({length} != {f.shape[ax]})"
                             f"{at(user_location())}")
        if isinstance(d, Tracer):
            dd = diff(cast(d, np.float64) if d.dtype.kind in "iub" else d)
        else:
            d = np.asarray(d)
            dd = np.diff(d.astype(np.float64) if d.dtype.kind in "iu" else d)
            if (dd == dd[0]).all():
                dd = dd[0]
        out.append(dd)
    return out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral by the trapezoidal rule along ``axis``."""
    if not _t(y, x):
        return np.trapezoid(y, x=x, dx=dx, axis=axis)
    (axis,) = normalize_axes(axis, y.ndim)  # (an axis out of range: WireAxisError)
    n = y.shape[axis]
    hi = [slice(None)] * y.ndim
    lo = [slice(None)] * y.ndim
    hi[axis], lo[axis] = slice(1, n), slice(0, n - 1)
    avg = (y[tuple(hi)] + y[tuple(lo)]) * 0.5
    if x is None:
        return sum(avg, axis=axis) * dx
    d = diff(x) if np.ndim(x) == 1 or getattr(x, "ndim", 0) == 1 else diff(x, axis=axis)
    if (x.ndim if isinstance(x, Tracer) else np.ndim(x)) == 1:
        shape = [1] * y.ndim
        shape[axis] = n - 1
        d = reshape(d, shape)
    return sum(avg * d, axis=axis)


# --------------------------------------------------------------------------- sorting


def _check_kind(name, kind):
    """NumPy's check of a sort ``kind`` (by its first letter: quick, heap, merge, stable)."""
    if kind is not None and not (isinstance(kind, str) and kind[:1].lower() in ("q", "h", "m", "s")):
        raise WireValueError(f"{name}: kind must be one of 'quicksort', 'heapsort', 'mergesort' "
                             f"or 'stable', got {kind!r} (NumPy refuses it too)"
                             f"{at(user_location())}")


@lifting
def argsort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False, dtype=None):
    """Indices that sort ``a`` along ``axis`` (integer output, no derivative).

    JAX's keywords: ``descending=True`` sorts from the largest (NaNs first); stable (the
    default for it, as in JAX) it keeps ties in their order, with ``stable=False`` it is the
    stable ascending order reversed (JAX's). ``dtype`` is the type of the indices.

    >>> argsort(np.array([3.0, 1.0, 2.0]))
    array([1, 2, 0])
    >>> argsort(np.array([1.0, 3.0, 1.0]), descending=True)
    array([1, 0, 2])
    """
    if descending:
        out = _argsort_descending(a, axis, kind, order, stable)
    elif not _t(a):
        out = np.argsort(a, axis=axis, kind=kind, order=order, stable=stable)
    else:
        if order is not None:
            raise WireError(f"argsort: order= is not supported on traced values"
                            f"{at(user_location())}")
        _check_kind("argsort", kind)
        if a.ndim == 0:  # NumPy sorts a 0-d array as one element
            out = SO.argsort(reshape(a, (1,)), 0)
        else:
            a, axis = _flat_axis(a, axis)
            out = SO.argsort(a, axis, stable=bool(stable) or kind in ("stable", "mergesort"))
    return out if dtype is None else cast(out, _index_dtype(dtype, "argsort"))


def _index_dtype(dtype, name):
    dt = np.dtype(dtype)
    if dt.kind not in "iu":
        raise WireTypeError(f"{name}: dtype must be an integer type, got {dt}"
                            f"{at(user_location())}")
    return dt


def _at_least_1d(a):
    """``a`` as an array or tracer, a 0-d one as one element (as NumPy sorts it)."""
    a = a if _t(a) else np.asarray(a)
    return reshape(a, (1,)) if a.ndim == 0 else a


def _argsort_descending(a, axis, kind, order, stable):
    """JAX's descending ``argsort``: stable (ties in their order) unless ``stable=False``,
    which reverses the ascending order."""
    if order is not None:
        raise WireError(f"argsort: order= does not go with descending=True{at(user_location())}")
    _check_kind("argsort", kind)
    a, axis = _flat_axis(_at_least_1d(a), axis)
    if stable is False:  # (JAX's ties then come last first: its sort is stable anyway)
        return flip(argsort(a, axis, stable=True), axis)
    n = a.shape[axis]
    return (n - 1) - flip(argsort(flip(a, axis), axis, stable=True), axis)


@lifting
def sort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    """Sorted copy of ``a``; the derivative flows back through the sorting permutation.
    ``descending=True`` (JAX's keyword) is the ascending sort reversed, NaNs first.

    >>> sort(np.array([3.0, 1.0, 2.0]))
    array([1., 2., 3.])
    >>> sort(np.array([3.0, 1.0, 2.0]), descending=True)
    array([3., 2., 1.])
    """
    if descending:
        if order is not None:
            raise WireError(f"sort: order= does not go with descending=True"
                            f"{at(user_location())}")
        a, axis = _flat_axis(_at_least_1d(a), axis)
        return flip(sort(a, axis, kind, stable=True), axis)  # JAX's sort is stable
    if not _t(a):
        return np.sort(a, axis=axis, kind=kind, order=order, stable=stable)
    if order is not None:
        raise WireError(f"sort: order= is not supported on traced values{at(user_location())}")
    _check_kind("sort", kind)
    a, axis = _flat_axis(a, axis)
    return SO.sort(a, axis, stable=bool(stable) or kind in ("stable", "mergesort"))


_SEARCH_METHODS = ("scan", "scan_unrolled", "sort", "compare_all")


def check_method(name, method, methods):
    """JAX's ``method=`` hint (how XLA searches); wire's result is the same for each."""
    if method not in methods:
        raise WireValueError(f"{name}: method must be one of {', '.join(map(repr, methods))} "
                             f"(JAX's choices), got {method!r}{at(user_location())}")


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """Insertion indices keeping a sorted 1-D ``a`` sorted (integer output, NumPy's values).

    >>> searchsorted(np.array([1.0, 2.0, 3.0]), np.array([2.0, 9.0]), side="right")
    array([2, 3])
    """
    check_method("searchsorted", method, _SEARCH_METHODS)
    if not _t(a, v, sorter):
        return np.searchsorted(a, v, side=side, sorter=sorter)
    if side not in ("left", "right"):
        raise WireValueError(f"searchsorted: side must be 'left' or 'right' (got {side!r})"
                             f"{at(user_location())}")
    a = to_tracer(a)
    if a.ndim != 1:
        raise ShapeError(f"searchsorted: a must be 1-D, got shape {a.shape} (NumPy refuses it "
                         f"too){at(user_location())}")
    if sorter is not None:
        sorter = to_tracer(sorter)
        if sorter.dtype.kind not in "iu" or sorter.shape != a.shape:
            raise WireTypeError(f"searchsorted: sorter must be 1-D integers as long as a "
                                f"{a.aval!r}, got {sorter.aval!r}{at(user_location())}")
        a = take(a, sorter)
    v = to_tracer(v)
    # NumPy's own binary search per entry (O(m log n), NaN sorted last, NumPy's answer even
    # for an unsorted ``a``), not a comparison of every entry of ``v`` with all of ``a``
    return reshape(SO.searchsorted(a, reshape(v, (-1,)), side), v.shape)


def _positions(q, n, method):
    if method != "linear":
        raise WireError(f"quantile: only method='linear' is supported on traced values{at(user_location())}")
    if isinstance(q, Tracer):
        raise WireError(f"quantile: q must be concrete{at(user_location())}")
    q = np.asarray(q)
    q = q.astype(np.result_type(q.dtype, np.float16))  # NumPy's positions: in q's float dtype
    if np.any((q < 0) | (q > 1)):
        raise WireValueError(f"quantile: q must lie in [0, 1]{at(user_location())}")
    pos = q * (n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    # NumPy's weight: at the last position its neighbours are both index -1 and the weight
    # pos - (-1) (so b - (b - a)(1 - t) there turns a -0.0 into +0.0, as NumPy's does)
    top = pos >= n - 1
    lo = np.where(top, n - 1, lo)
    frac = np.where(top, pos + 1, pos - np.floor(pos))
    return q, lo, hi, frac.astype(q.dtype)


def _slices(a, axis, name, keep_dtype=False):
    """``a`` as float ``(..., n)`` rows (``keep_dtype``: in its own dtype), one per reduced
    slice, and the kept shapes."""
    if a.dtype.kind == "c" and name in ("quantile", "nanquantile", "nanpercentile"):
        raise WireTypeError(f"{name} of a complex array {a.aval!r}: a must be an array of real "
                            f"numbers (NumPy refuses it too){at(user_location())}")
    if a.dtype == np.bool_ and name == "quantile":
        raise WireTypeError(f"{name} of a boolean array {a.aval!r}: NumPy refuses it too (it "
                            f"subtracts booleans){at(user_location())}")
    if a.dtype.kind not in "fc" and not keep_dtype:
        a = cast(a, np.float64)
    axes = normalize_axes(axis, a.ndim)
    rest = [i for i in range(a.ndim) if i not in axes]
    kept = tuple(a.shape[i] for i in rest)
    n = int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
    flat = reshape(transpose(a, rest + list(axes)), kept + (n,))
    keep_shape = tuple(1 if i in axes else d for i, d in enumerate(a.shape))
    return flat, kept, keep_shape


def _lerp(a, b, t, dtype):
    """NumPy's quantile interpolation: ``a + (b - a) t`` below ``t = 0.5``, ``b - (b - a)(1 - t)``
    from there on (so ``t = 1`` gives ``b`` exactly). As NumPy's ``_lerp``, the sorted
    neighbours are subtracted in their own dtype, ``t`` (float64) and ``1 - t`` are computed in
    float64, and the rest in ``dtype`` (the result type of the data and ``q``: for a Python
    ``q`` NumPy's gamma is a weak Python float, so float32 data stays float32).

    Where ``t`` is traced (``nanquantile``'s), ``b - a``, ``t`` and ``1 - t`` each get ``+ 0.0``:
    such nodes are atoms of simplify's collect_terms, which would otherwise find the two
    branches one polynomial and keep only ``a + (b - a) t`` under ``wire.jit``. That changes
    the sign of a zero difference of tied -0.0 and 0.0, so a concrete ``t`` (``quantile``'s)
    does without it: NumPy's ``b - a`` of the partitioned ``[0.0, -0.0]`` is -0.0."""
    d = cast(b - a, dtype)
    if isinstance(t, Tracer):
        d = d + 0.0
    upper = t >= 0.5
    a, b = cast(a, dtype), cast(b, dtype)
    t, u = cast(t + 0.0, dtype), cast((1.0 - t) + 0.0, dtype)
    return where(upper, b - d * u, a + d * t)


def _partitioned(flat, kth):
    """The rows of ``flat`` as NumPy's quantile leaves them before reading them: partitioned
    at the positions ``kth`` (NumPy's own partition), so that tied -0.0 and 0.0 come out in its
    order (a sort orders them otherwise: quantile([0.0, -0.0, -0.0], 0.3) is 0.0 in NumPy, the
    sorted rows give -0.0). The values flow back through the permutation, as for ``sort``."""
    kth = tuple(int(k) for k in np.asarray(kth, np.int64).ravel())  # as given: its order,
    # repeats and negative entries change NumPy's result
    return SO.partition(flat, flat.ndim - 1, kth)


def _nan_slices(s, res):
    """``res`` with NaN where the sorted row ``s`` holds a NaN (NaN sorts last): that last
    entry itself, as NumPy's (a complex one keeps its other part: median of a slice holding
    ``nan+1j`` is ``nan+1j``), with no derivative."""
    last = take(s, [s.shape[-1] - 1], axis=-1)
    if s.dtype.kind == "c":
        return where(isnan(last), stop_gradient(last), res)
    return where(isnan(last), np.nan, res)


@lifting
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """``q``-th quantiles (``q`` concrete, in [0, 1]) by linear interpolation of sorted values
    (or by any other of NumPy's ``method`` s, at NumPy's positions); NaN where a slice holds a
    NaN, the dtype of ``a`` and ``q`` together, as NumPy's.

    >>> float(quantile(np.array([1.0, 2.0, 3.0, 4.0]), 0.5))
    2.5
    """
    if not _t(a):
        return np.quantile(a, q, axis=axis, method=method, keepdims=keepdims, out=out)
    refuse_out(out, "quantile")
    if method != "linear" or np.asarray(q).dtype.kind in "iub":  # (integer q: NumPy takes)
        return _quantile_by_method(a, q, axis, method, keepdims)
    flat, kept, keep_shape, dt = _quantile_rows(a, q, axis)
    n = flat.shape[-1]
    if n == 0:
        raise WireError(f"quantile of an empty slice of {a.aval!r} (NumPy raises IndexError)"
                        f"{at(user_location())}")
    qq, lo, hi, frac = _positions(q, n, method)
    top = (qq * (n - 1) >= n - 1).ravel()  # NumPy's index there is -1 (see _positions)
    s = _partitioned(flat, np.unique(np.concatenate((
        [0, -1], np.where(top, -1, lo.ravel()), np.where(top, -1, hi.ravel())))))
    vlo = take(s, lo.ravel(), axis=-1)
    vhi = take(s, hi.ravel(), axis=-1)
    res = _nan_slices(s, _lerp(vlo, vhi, frac.ravel(), dt))  # (..., nq)
    res = moveaxis(res, -1, 0)
    res = reshape(res, qq.shape + kept)
    if keepdims:
        res = reshape(res, qq.shape + keep_shape)
    return res


def _quantile_rows(a, q, axis):
    """:func:`_slices` of ``a`` for an interpolating quantile, and the result's dtype: that of
    ``a`` and ``q`` together (a Python ``q`` weak, NEP 50), always a float one (``int8`` data
    with a ``float32`` q give float32, as NumPy's); integer rows are cast to it first, so
    their differences cannot wrap."""
    a = to_tracer(a)
    weak = isinstance(q, (int, float)) and not isinstance(q, np.generic)  # NEP 50
    dt = np.result_type(result_dtype(a, float(q) if weak else np.asarray(q)), np.float16)
    flat, kept, keep_shape = _slices(a, axis, "quantile", keep_dtype=True)
    if flat.dtype.kind not in "fc":
        flat = cast(flat, dt)
    return flat, kept, keep_shape, dt


def _method_props(method):
    """NumPy's own rule for ``method`` (its virtual index of a quantile among ``n`` sorted
    values, and how the interpolation weight is fixed), from the implementation of
    ``np.quantile``, so that every method's positions are NumPy's to the bit."""
    try:
        from numpy.lib import _function_base_impl as fb
        methods, get_indexes, get_gamma = fb._QuantileMethods, fb._get_indexes, fb._get_gamma
    except (ImportError, AttributeError):  # a NumPy without it: linear only
        raise WireError(f"quantile: only method='linear' is supported on traced values with "
                        f"this NumPy{at(user_location())}") from None
    if method not in methods:
        raise WireValueError(f"quantile: {method!r} is not a valid method; use one of "
                             f"{sorted(methods)}{at(user_location())}")
    return methods[method], get_indexes, get_gamma


def _quantile_by_method(a, q, axis, method, keepdims):
    """:func:`quantile` for a ``method`` other than linear: NumPy's virtual indices (``q`` and
    the slice length are concrete); the discrete methods take one sorted value (in ``a``'s
    dtype, as NumPy's), the others interpolate between the two around the index."""
    props, get_indexes, get_gamma = _method_props(method)
    _positions(q, 2, "linear")  # the checks of q that the linear method makes
    qq = np.asanyarray(q)  # NumPy's: integer q gives integer (discrete) positions
    a = to_tracer(a)
    # booleans only where a value is taken, not interpolated (NumPy subtracts them otherwise)
    flat, kept, keep_shape = _slices(a if a.dtype != bool else cast(a, np.int8), axis,
                                     "quantile", keep_dtype=True)
    n = flat.shape[-1]
    if n == 0:
        raise WireError(f"quantile of an empty slice of {a.aval!r} (NumPy raises IndexError)"
                        f"{at(user_location())}")
    virtual = np.asanyarray(props["get_virtual_index"](n, qq))
    discrete = props["fix_gamma"] is None or (method == "linear"
                                               and virtual.dtype.kind in "iu")
    if a.dtype == bool:
        if not discrete:
            _slices(a, axis, "quantile")  # NumPy's refusal
        flat = cast(flat, bool)
    if not discrete:
        flat, kept, keep_shape, dt = _quantile_rows(a, q, axis)
    if discrete:  # NumPy's kth: the positions read, and the last (NaN sorts there)
        kth = np.concatenate((np.asarray(virtual).ravel(), [-1] if flat.dtype.kind in "fc" else []))
    else:
        lo, hi = get_indexes(np.empty(0, flat.dtype), virtual, n)
        kth = np.unique(np.concatenate(([0, -1], lo.ravel(), hi.ravel())))
    s = _partitioned(flat, kth)
    if discrete:
        res = take(s, (np.asarray(virtual, np.intp) % n).ravel(), axis=-1)
        if res.dtype.kind in "fc":
            res = _nan_slices(s, res)
    else:
        lo, hi = get_indexes(np.empty(0), virtual, n)
        gamma = get_gamma(virtual, lo, props)
        vlo, vhi = take(s, (lo % n).ravel(), axis=-1), take(s, (hi % n).ravel(), axis=-1)
        res = _nan_slices(s, _lerp(vlo, vhi, np.asarray(gamma).ravel(), dt))
    res = reshape(moveaxis(res, -1, 0), qq.shape + kept)
    return reshape(res, qq.shape + keep_shape) if keepdims else res


@lifting
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False):
    """``q``-th percentiles (``q`` in [0, 100])."""
    if not _t(a):
        return np.percentile(a, q, axis=axis, method=method, keepdims=keepdims, out=out)
    refuse_out(out, "percentile")
    weak = isinstance(q, (int, float)) and not isinstance(q, np.generic)
    q = q / 100.0 if weak else np.asarray(q) / 100.0
    return quantile(a, q, axis, method=method, keepdims=keepdims)


def _two_middle(flat, count):
    """The two middle entries of each sorted row (the same one for odd counts), at positions
    known only at run time when ``count`` is traced (NaN-free counts of ``nanmedian``)."""
    lo = (count - 1) // 2
    hi = count // 2
    if isinstance(count, Tracer):
        lo, hi = where(lo < 0, 0, lo), where(hi < 0, 0, hi)  # all-NaN rows: any entry (NaN)
        return take_along_axis(flat, lo, axis=-1), take_along_axis(flat, hi, axis=-1), lo == hi
    return take(flat, [lo], axis=-1), take(flat, [hi], axis=-1), lo == hi


def _median_rows(s, count):
    """NumPy's median of sorted rows ``s`` (shape ``(..., 1)``): the middle entry, or the mean
    of the two middle ones (summed in float32 for float16, as ``np.mean`` does)."""
    vlo, vhi, odd = _two_middle(s, count)
    acc = np.float32 if s.dtype == np.float16 else s.dtype
    # np.mean's sum starts from +0.0, so a mean of zeros is +0.0 (-0.0 + -0.0 is not)
    pair = (cast(vlo, acc) + 0.0 + cast(vhi, acc)) / 2.0
    mid = cast(vlo, acc) + 0.0
    if s.dtype.kind == "c":  # np.mean divides by the count: an infinite part makes the other NaN
        mid = mid / 1.0
    return cast(where(odd, mid, pair), s.dtype)


@lifting
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Median (mean of the two middle values for even counts); NaN where a slice holds a NaN,
    and NaN for an empty slice, as NumPy's.

    >>> float(median(np.array([3.0, 1.0, 4.0, 2.0])))
    2.5
    """
    if not _t(a):
        return np.median(a, axis=axis, keepdims=keepdims, out=out)
    refuse_out(out, "median")
    flat, kept, keep_shape = _slices(a, axis, "median")
    n = flat.shape[-1]
    if n == 0:
        return reshape(full_of(np.nan, kept, flat.dtype), keep_shape if keepdims else kept)
    s = sort(flat, axis=-1)
    res = _nan_slices(s, _median_rows(s, n))
    return reshape(res, keep_shape if keepdims else kept)


@lifting
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Median ignoring NaN (NaN for an all-NaN or empty slice), NumPy's ``nanmedian``
    (``overwrite_input`` is accepted: nothing is written).

    >>> float(nanmedian(np.array([1.0, np.nan, 3.0])))
    2.0
    """
    if not _t(a):
        return np.nanmedian(a, axis=axis, out=out, keepdims=keepdims)
    refuse_out(out, "nanmedian")
    flat, kept, keep_shape = _slices(a, axis, "nanmedian")
    n = flat.shape[-1]
    if n == 0:
        return reshape(full_of(np.nan, kept, flat.dtype), keep_shape if keepdims else kept)
    s = sort(flat, axis=-1)  # the NaNs last: the first `count` entries are the numbers
    count = sum(~isnan(flat), axis=-1, keepdims=True)
    if a.ndim > 1 and axis is not None and n < 600:
        # NumPy's masked-array path for these shapes halves the sum of the two middle
        # entries in the array's dtype, the one middle entry twice for odd counts
        vlo, vhi, _ = _two_middle(s, count)
        res = (vlo + 0.0 + vhi) / 2.0  # (its sum starts from +0.0 too: zeros give +0.0)
    else:
        res = _median_rows(s, count)
    # a slice of only NaN: the value is NaN, with derivative 0 (as nanmax's), not 1 for the
    # entry that happens to sort first
    res = where(count == 0, stop_gradient(res), res)
    return reshape(res, keep_shape if keepdims else kept)


def full_of(value, shape, dtype):
    return full(shape, value, dtype)


# --------------------------------------------------------------------------- NaN-aware


def _nan_fill(a, value):
    return where(isnan(a), value, a)


def _all_nan(a, axis, keepdims):
    return all_(isnan(a), axis=axis, keepdims=keepdims)


def _nonempty(a, axis, name):
    """NumPy's error for an extremum over no elements (raised while tracing: it depends on
    the shape only)."""
    axes = normalize_axes(axis, a.ndim)
    if any(a.shape[i] == 0 for i in axes) or a.size == 0 and axis is None:
        raise WireValueError(f"{name} of an empty slice of {a.aval!r}: there is no extremum "
                             f"(NumPy raises ValueError){at(user_location())}")


@ufunc_axis
@lifting
def nanmax(a, axis=None, keepdims=False, *, initial=None, where=True, out=None):
    """Maximum ignoring NaN (NaN for an all-NaN slice): NumPy's ``np.fmax.reduce``, whose
    choice between 0.0 and -0.0 at a tie differs from ``max``'s.

    >>> float(nanmax(np.array([1.0, np.nan, 3.0])))
    3.0
    """
    if initial is not None or where is not True or out is not None:
        return _nan_extremum("nanmax", max, np.nanmax, a, axis, keepdims, initial, where, out)
    if not _t(a):
        return np.nanmax(a, axis=axis, keepdims=keepdims)
    if a.dtype.kind not in "fc":
        return max(a, axis=axis, keepdims=keepdims)
    _nonempty(a, axis, "nanmax")
    return _reduce(R.reduce_fmax, np.fmax.reduce, a, axis, keepdims, "nanmax")


@ufunc_axis
@lifting
def nanmin(a, axis=None, keepdims=False, *, initial=None, where=True, out=None):
    """Minimum ignoring NaN (NaN for an all-NaN slice): NumPy's ``np.fmin.reduce``.

    >>> float(nanmin(np.array([1.0, np.nan, 3.0])))
    1.0
    """
    if initial is not None or where is not True or out is not None:
        return _nan_extremum("nanmin", min, np.nanmin, a, axis, keepdims, initial, where, out)
    if not _t(a):
        return np.nanmin(a, axis=axis, keepdims=keepdims)
    if a.dtype.kind not in "fc":
        return min(a, axis=axis, keepdims=keepdims)
    _nonempty(a, axis, "nanmin")
    return _reduce(R.reduce_fmin, np.fmin.reduce, a, axis, keepdims, "nanmin")


def _nan_extremum(name, reduce_fn, np_fn, a, axis, keepdims, initial, where_, out):
    """``nanmax``/``nanmin`` with ``initial``/``where``/``out``: NaN and unselected entries
    become ``initial`` (NumPy's fmax/fmin reductions start from it and skip NaN)."""
    if not _t(a, initial, where_):
        extra = {} if initial is None else {"initial": initial}
        return np_fn(a, axis=axis, keepdims=keepdims, where=where_, out=out, **extra)
    refuse_out(out, name)
    if initial is None:
        ufunc = "fmax" if name == "nanmax" else "fmin"
        raise WireValueError(f"reduction operation '{ufunc}' does not have an identity, so to "
                             f"use a where mask one has to specify 'initial' (as NumPy says)"
                             f"{at(user_location())}")
    a = to_tracer(a)
    if a.dtype.kind == "f" and not isinstance(initial, Tracer):  # NumPy's fmax/fmin.reduce
        return extremum_where("f" + name[3:], a, axis, keepdims, initial, where_)
    if a.dtype.kind in "fc":
        keep = ~isnan(a)
        where_ = keep if where_ is True else keep & where_
    return reduce_fn(a, axis, keepdims, initial=initial, where=where_)


def _nanarg(arg, np_fn, fill, a, axis, keepdims):
    if not _t(a):
        return np_fn(a, axis=axis, keepdims=keepdims)
    if a.dtype.kind not in "fc":
        return arg(a, axis=axis, keepdims=keepdims)
    _nonempty(a, axis, np_fn.__name__)
    out = arg(_nan_fill(a, fill), axis=axis, keepdims=keepdims)
    return where(_all_nan(a, axis, keepdims), -1, out)


@ufunc_axis
@lifting
def nanargmax(a, axis=None, keepdims=False):
    """Index of the maximum ignoring NaN (integer output). An all-NaN slice gives -1 on traced
    values, where NumPy raises ``ValueError`` (JAX's choice: the values are not known while
    tracing); on concrete arrays it raises as NumPy does."""
    return _nanarg(argmax, np.nanargmax, -np.inf, a, axis, keepdims)


@ufunc_axis
@lifting
def nanargmin(a, axis=None, keepdims=False):
    """Index of the minimum ignoring NaN (-1 for an all-NaN slice on traced values, as
    :func:`nanargmax`)."""
    return _nanarg(argmin, np.nanargmin, np.inf, a, axis, keepdims)


@ufunc_axis
@lifting
def nanprod(a, axis=None, keepdims=False, *, dtype=None, initial=None, where=True, out=None):
    """Product treating NaN as 1 (``dtype``, ``initial`` and ``where`` as :func:`prod`'s)."""
    if not _t(a, initial, where):
        extra = {} if initial is None else {"initial": initial}
        return np.nanprod(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where, out=out,
                          **extra)
    if a.dtype.kind in "fc":
        a = _nan_fill(a, 1.0)
    return prod(a, axis, dtype, keepdims, initial=initial, where=where, out=out)


def _nan_count(a, axis, keepdims):
    return sum(~isnan(a), axis=axis, keepdims=keepdims)


@ufunc_axis_if_inexact
@lifting
def nanmean(a, axis=None, keepdims=False, *, dtype=None, where=True, out=None):
    """Mean ignoring NaN (NaN for an all-NaN slice); float32 stays float32. With ``dtype``
    or ``where``, NumPy's steps: the sum of the selected numbers (in ``dtype``) over their
    count."""
    if dtype is not None or where is not True or out is not None:
        if not _t(a, where):
            return np.nanmean(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where,
                              out=out)
        refuse_out(out, "nanmean")
        a = to_tracer(a)
        if a.dtype.kind not in "fc":
            return mean(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
        if dtype is not None and np.dtype(dtype).kind not in "fc":
            raise WireTypeError(f"nanmean of {a.aval!r} in dtype {np.dtype(dtype)}: if a is "
                                f"inexact, then dtype must be inexact (NumPy raises TypeError)"
                                f"{at(user_location())}")
        keep = ~isnan(a)
        keep = keep if where is True else keep & broadcast_to(where, a.shape)
        # NumPy's: the sum under the caller's where (NaN as 0) over the count of numbers
        total = sum(_nan_fill(a, 0.0), axis=axis, dtype=dtype, keepdims=keepdims, where=where)
        return divide_by_count(total, sum(keep, axis=axis, keepdims=keepdims))
    if not _t(a):
        return np.nanmean(a, axis=axis, keepdims=keepdims)
    if a.dtype.kind not in "fc":
        return mean(a, axis=axis, keepdims=keepdims)
    total = sum(_nan_fill(a, 0.0), axis=axis, keepdims=keepdims)
    return divide_by_count(total, _nan_count(a, axis, keepdims))


@ufunc_axis_if_inexact
@lifting
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
           mean=None, correction=None):
    """Variance ignoring NaN (NaN where fewer than ``ddof + 1`` numbers remain); ``dtype``
    and ``where`` as NumPy's (an integer ``dtype`` for float data is refused, as there).

    >>> float(nanvar(np.array([1.0, np.nan, 3.0])))
    1.0
    """
    ddof = resolve_ddof("nanvar", ddof, correction)
    if not _t(a, where, mean):
        return np.nanvar(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                         where=where, **({} if mean is None else {"mean": mean}))
    refuse_out(out, "nanvar")
    if mean is not None:
        return var_about("nanvar", a, mean, axis, dtype, ddof, keepdims, where, nan=True)
    a = to_tracer(a)
    if a.dtype.kind not in "fc":
        return var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where)
    if dtype is not None or where is not True:
        return var_steps(a, axis, dtype, ddof, keepdims, where, nan=True)
    ok = ~isnan(a)
    m = nanmean(a, axis=axis, keepdims=True)
    d = where_(ok, a - m, 0.0)
    if d.dtype.kind == "c":  # |d|**2 as NumPy's nanvar takes it: real(d * conj(d))
        sq = real(d * conj(d))
    else:
        sq = d * d
    dof = _nan_count(a, axis, keepdims) - ddof
    res = divide_by_count(sum(sq, axis=axis, keepdims=keepdims), dof)
    return where_(dof <= 0, np.nan, res)


@ufunc_axis_if_inexact
@lifting
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
           mean=None, correction=None):
    """Standard deviation ignoring NaN (derivative 0 where all entries are equal, as ``std``;
    ``dtype`` and ``where`` as :func:`nanvar`'s).

    >>> float(nanstd(np.array([1.0, np.nan, 3.0])))
    1.0
    """
    ddof = resolve_ddof("nanstd", ddof, correction)
    if not _t(a, where, mean):
        return np.nanstd(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                         where=where, **({} if mean is None else {"mean": mean}))
    refuse_out(out, "nanstd")
    if dtype is not None and np.dtype(dtype).kind not in "fc":
        raise WireTypeError(f"nanstd in dtype {np.dtype(dtype)}: the square root of the "
                            f"variance cannot be held in it (NumPy refuses it too)"
                            f"{at(user_location())}")
    return sqrt_spread(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims,
                              where=where, mean=mean))


# --------------------------------------------------------------------------- signals, statistics


def convolve(a, v, mode="full"):
    """Discrete linear convolution of two 1-D arrays (one gather and one matrix product).

    >>> convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    if not _t(a, v):
        return np.convolve(a, v, mode)
    a, v = _signal_pair("convolve", a, v, mode, ndmin=1)
    dtype = np.result_type(a.dtype, v.dtype)
    n, m = a.shape[0], v.shape[0]
    if m > n:
        a, v, n, m = v, a, m, n
    padded = pad(a, (m - 1, m - 1)) if isinstance(a, Tracer) else np.pad(a, (m - 1, m - 1))
    idx = np.arange(n + m - 1)[:, None] + np.arange(m)[None, :]
    windows = take(padded, idx)
    vr = v[::-1]
    inside = (idx >= m - 1) & (idx < n + m - 1)
    if inside.all():
        full = matmul(windows, vr)
    else:  # only overlapping terms: a padding 0 times inf in v is not a NaN term of NumPy's
        zero = np.zeros((), result_dtype(windows, vr))
        full = sum(where(inside, windows * vr, zero), axis=-1)
    if full.dtype != dtype:  # NumPy sums in the inputs' type: booleans OR, int8 wraps
        full = cast(full, dtype)
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return full[start:start + n]
    return full[m - 1:n]


def _signal_pair(name, a, v, mode, ndmin):
    """``a`` and ``v`` as tracers, refused where NumPy's ``convolve``/``correlate`` refuse
    them: not 1-D (``convolve`` takes 0-d as one element), empty, or an unknown ``mode``."""
    a, v = to_tracer(a), to_tracer(v)
    if ndmin:
        a, v = (reshape(x, (1,)) if x.ndim == 0 else x for x in (a, v))
    for what, x in (("a", a), ("v", v)):
        if x.ndim != 1:
            raise ShapeError(f"{name}: {what} must be 1-D, got shape {x.shape} (NumPy refuses "
                             f"it too){at(user_location())}")
        if x.shape[0] == 0:
            raise WireValueError(f"{name}: {what} cannot be empty{at(user_location())}")
    if mode not in ("full", "same", "valid"):
        raise WireValueError(f"{name}: mode must be one of 'valid', 'same', or 'full' (got "
                             f"{mode!r}){at(user_location())}")
    return a, v


def correlate(a, v, mode="valid"):
    """Cross-correlation of two 1-D arrays, NumPy's ``correlate``."""
    if not _t(a, v):
        return np.correlate(a, v, mode)
    a, v = _signal_pair("correlate", a, v, mode, ndmin=0)
    vr = conj(v[::-1]) if v.dtype.kind == "c" else v[::-1]  # (conj makes booleans int8)
    na, nv = a.shape[0], vr.shape[0]
    out = convolve(a, vr, "full")
    k = builtins.min(na, nv) - 1
    if mode == "valid":
        return out[k:builtins.max(na, nv)]
    if mode == "same":
        start = k // 2 if na >= nv else k - k // 2
        return out[start:start + builtins.max(na, nv)]
    return out


def cov(m, y=None, rowvar=True, bias=False, ddof=None):
    """Covariance matrix of the rows (variables) of ``m``."""
    if not _t(m, y):
        return np.cov(m, y, rowvar=rowvar, bias=bias, ddof=ddof)
    for v in (m, y):
        if v is not None and np.ndim(v) > 2:
            raise WireValueError(f"cov: {'m' if v is m else 'y'} has more than 2 dimensions "
                                 f"(shape {np.shape(v)}; NumPy refuses it too){at(user_location())}")
    x = atleast_2d(m)
    if not rowvar and x.shape[0] != 1:
        x = x.T
    if y is not None:
        yy = atleast_2d(y)
        if not rowvar and yy.shape[0] != 1:
            yy = yy.T
        x = concatenate([x, yy], axis=0)
    x = cast(x, np.result_type(x.dtype, np.float64))  # NumPy's cov: float64 or complex128
    n = x.shape[1]
    dd = (0 if bias else 1) if ddof is None else ddof
    xc = x - mean(x, axis=1, keepdims=True)
    # NumPy's: times the reciprocal of max(n - ddof, 0) (inf, so NaN or inf, for no degrees
    # of freedom), which rounds otherwise than a division
    c = matmul(xc, conj(xc).T if xc.dtype.kind == "c" else xc.T) * np.true_divide(1, builtins.max(n - dd, 0))
    if c.shape == (1, 1):
        return reshape(c, ())
    return c


def corrcoef(x, y=None, rowvar=True):
    """Pearson correlation coefficients."""
    if not _t(x, y):
        return np.corrcoef(x, y, rowvar=rowvar)
    c = cov(x, y, rowvar)
    if c.ndim == 0:
        return c / c
    d = diagonal(c)
    d = sqrt(real(d) if d.dtype.kind == "c" else d)
    c = c / reshape(d, (-1, 1)) / reshape(d, (1, -1))
    # NumPy clips the parts to [-1, 1] (rounding can leave them just outside)
    if c.dtype.kind == "c":
        return CP.complex_(clip(real(c), -1.0, 1.0), clip(imag(c), -1.0, 1.0))
    return clip(c, -1.0, 1.0)
