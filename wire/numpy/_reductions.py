"""Reductions of ``wire.numpy`` (``axis``, ``keepdims`` as in NumPy) and statistics."""

from __future__ import annotations

import builtins
import functools

import numpy as np

from ..errors import WireError, WireTypeError, WireValueError, at, user_location
from ..ops import reductions as R
from ..core import Tracer
from ..core.tracer import bind
from ..ops.layout import shared_nan
from ..ops.shape import ones_like_, reshape, to_tracer
from ._axes import normalize_axes
from ._creation import ones_like
from ._elementwise_composed import conj, imag, real
from ._math import _as_bool, isnan, logical_not, maximum, minimum, not_equal, sqrt, where
from ._promote import cast, lifting, refuse_out, strong
from ._shape import broadcast_to, concatenate, transpose

__all__ = [
    "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "argmax", "argmin",
    "any", "all", "average", "count_nonzero", "nansum", "ptp",
]


def ufunc_axis(fn):
    """``fn`` taking ``axis`` 0 or -1 of a 0-d traced array as no axis, as NumPy's ufunc
    reductions and the functions built on them do (``np.sum(np.array(2.0), axis=0)`` is 2.0;
    ``mean``, ``var`` and ``sort`` refuse it, and so does wire)."""

    # fn is mostly lifting's (wire.numpy._promote), which changes a list or tuple only: for
    # any other operand the function behind it is called at once, one Python frame less
    behind = getattr(fn, "__wire_lifting__", None)
    if behind is None or getattr(fn, "__wrapped__", None) is not behind:
        behind = fn

    @functools.wraps(fn)
    def wrapper(a, axis=None, *args, **kwargs):
        if axis is not None and isinstance(a, Tracer) and a.ndim == 0 and \
                not isinstance(axis, (tuple, list)) and int(axis) in (0, -1):
            axis = None  # (not an axis tuple: np.sum(np.array(2.0), axis=(0,)) raises)
        if isinstance(a, (list, tuple)):
            return fn(a, axis, *args, **kwargs)
        return behind(a, axis, *args, **kwargs)

    return wrapper


def ufunc_axis_if_inexact(fn):
    """:func:`ufunc_axis` for NumPy's nan-functions: they reduce a float or complex array with
    ufuncs (``axis=0`` of a 0-d one is no axis) but pass any other to ``mean``/``var``, which
    refuse it (``np.nanmean(np.array(3), axis=0)`` raises ``AxisError``)."""
    with_ufunc_axis = ufunc_axis(fn)

    @functools.wraps(fn)
    def wrapper(a, *args, **kwargs):
        inexact = isinstance(a, Tracer) and a.dtype.kind in "fc"
        return (with_ufunc_axis if inexact else fn)(a, *args, **kwargs)

    return wrapper


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


# --------------------------------------------------------------------------- initial=, where=, out=


def _extras(name, a, where, initial, out, np_fn, axis, keepdims, **kw) -> tuple:
    """``(done, value)``: NumPy's own result where nothing is traced, else a refusal of
    ``out=`` (a traced result cannot be written into an array)."""
    if not builtins.any(isinstance(v, Tracer) for v in (a, where, initial)):
        extra = {} if initial is None else {"initial": initial}
        return True, np_fn(a, axis=axis, keepdims=keepdims, where=where, out=out, **kw, **extra)
    refuse_out(out, name)
    return False, None


def _masked(a, where_, fill):
    """``a`` with the entries outside ``where_`` (broadcast to ``a``'s shape) set to ``fill``."""
    a = to_tracer(a)
    return where(_mask_like(where_, a.shape), a, cast(fill, a.dtype))


def _mask_like(where_, shape):
    w = _as_bool(where_)
    return w if (w.shape if isinstance(w, Tracer) else np.shape(w)) == shape else \
        broadcast_to(w, shape)


def _count_where(a, where_, axis, keepdims):
    """How many entries of ``a`` along ``axis`` are selected by ``where_`` (int64)."""
    return sum(_mask_like(where_, a.shape), axis=axis, keepdims=keepdims)


def _with_extras(name, np_fn, plain, a, axis, dtype, keepdims, initial, where, out, unit,
                 combine):
    """``sum``/``prod`` with ``where=``/``initial=``/``out=``: NumPy's own on concrete input
    (see ``_extras``), else the plain reduction of ``a`` with the entries outside ``where``
    set to ``unit``, combined with ``initial`` in the result's dtype."""
    done, v = _extras(name, a, where, initial, out, np_fn, axis, keepdims, dtype=dtype)
    if done:
        return v
    a = to_tracer(a)
    if not isinstance(initial, Tracer) and a.shape is not None:
        a = _accumulated(a, dtype)
        axes = normalize_axes(axis, a.ndim)
        init = None if initial is None else shared_nan(np.asarray(initial).astype(a.dtype).item())
        if name == "sum" or where is not True and a.dtype.kind in "fc":
            # NumPy's own: initial plus a row's pairwise sum, zeros as there; a product of the
            # runs of selected entries (see reduce_prod_where)
            mask = _mask_like(where, a.shape)
            if not isinstance(mask, Tracer):
                mask = to_tracer(np.broadcast_to(np.asarray(mask, bool), a.shape))
            fn = R.reduce_sum_where if name == "sum" else R.reduce_prod_where
            return _keep(a, fn(a, mask, axes, init), axes, keepdims)
        # a product is one multiplication after another from initial (NumPy's order): the
        # unselected entries become 1 and initial comes first along the reduced entries
        if where is not True:
            a = _masked(a, where, unit)
        if init is not None:  # (dtype again: without it a narrow integer widens to int64)
            a = _initial_first(a, axes, init)
            return _keep_shape(plain(a, -1, dtype, False), a.shape[:-1], axes, keepdims)
        return plain(a, axis, dtype, keepdims)
    if where is not True:
        a = _masked(a, where, unit)
    total = plain(a, axis, dtype, keepdims)
    return total if initial is None else combine(total, cast(initial, total.dtype))


def _initial_first(a, axes, init):
    """``a``'s reduced ``axes`` flattened into a last one (in C order), ``init`` before them."""
    kept = [i for i in range(a.ndim) if i not in axes]
    n = int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
    shape = tuple(a.shape[i] for i in kept)
    rows = reshape(transpose(a, kept + list(axes)), shape + (n,))
    return concatenate([broadcast_to(cast(init, a.dtype), shape + (1,)), rows], axis=-1)


def _keep_shape(y, kept_shape, axes, keepdims):
    return y if not keepdims else reshape(y, _kept_dims(y, kept_shape, axes))


def _kept_dims(y, kept_shape, axes):
    it = iter(kept_shape)
    ndim = len(kept_shape) + len(axes)
    return tuple(1 if i in axes else next(it) for i in range(ndim))


def _unpromoted(a, dtype, promote_integers):
    """JAX's ``promote_integers=False``: an integer array sums in its own dtype (NumPy's and
    JAX's default widen small integers to int64)."""
    if promote_integers or dtype is not None:
        return dtype
    dt = a.dtype if isinstance(a, Tracer) else np.asarray(a).dtype
    return dt if dt.kind in "iu" else None


@ufunc_axis
@lifting
def sum(a, axis=None, dtype=None, keepdims=False, *, initial=None, where=True, out=None,
        promote_integers=True):
    """Sum over ``axis`` (all by default). Booleans and small integers sum as NumPy does, and
    so do zeros: NumPy's sums start from ``+0.0``, so a sum of ``-0.0`` alone is ``0.0``.
    ``initial`` is added (in the result's dtype), entries outside ``where`` count as 0.

    >>> sum(np.arange(6.0).reshape(2, 3), axis=0)
    array([3., 5., 7.])
    """
    if not promote_integers:
        dtype = _unpromoted(a, dtype, promote_integers)
    if where is not True or initial is not None or out is not None:
        return _with_extras("sum", np.sum, sum, a, axis, dtype, keepdims, initial, where, out,
                            0, lambda total, init: total + init)
    if type(a) is Tracer and axis is None and dtype is None and not keepdims:
        aval = a.node.aval
        if aval.shape and aval.dtype.kind in "fc":  # the common case: a float sum over all
            return bind(R.reduce_sum_p, a, axes=tuple(range(len(aval.shape))))  # (sorted)
    if isinstance(a, Tracer) and _buffered(a, axis, dtype):  # NumPy's buffered casting
        axes = normalize_axes(axis, a.ndim)
        return _keep(a, R.reduce_sum_as(a, axes, dtype), axes, keepdims)
    if isinstance(a, Tracer):
        a = _accumulated(a, dtype)
        if a.shape is not None and a.dtype.kind in "fc" and not normalize_axes(axis, a.ndim):
            return a + 0.0  # a sum over no axis: each value plus the starting +0.0
    elif dtype is not None:
        return np.sum(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return _reduce(R.reduce_sum, np.sum, a, axis, keepdims, "sum")


def _buffered(a: Tracer, axis, dtype) -> bool:
    """Whether NumPy sums float ``a`` into another float ``dtype`` over more entries than its
    buffer holds (``np.getbufsize()``): there its sum is not the sum of ``a`` cast whole."""
    if dtype is None or a.shape is None or a.dtype.kind not in "fc":
        return False
    dtype = np.dtype(dtype)
    if dtype == a.dtype or dtype.kind not in "fc" or not np.can_cast(a.dtype, dtype):
        return False
    return _count(a, axis) > np.getbufsize()


def _count(a, axis):
    if axis is None:
        return a.size
    axes = normalize_axes(axis, a.ndim)
    return int(np.prod([a.shape[i] for i in axes], dtype=np.int64))


@lifting
def mean(a, axis=None, dtype=None, keepdims=False, *, where=True, out=None):
    """Arithmetic mean over ``axis`` (of the entries selected by ``where``), NumPy's steps:
    the sum (float16 in float32, integers in float64) divided by the count as NumPy divides
    by its integer count (see :func:`divide_by_count`), float16 rounded back.

    >>> mean(np.array([1.0, 2.0, 6.0]))
    np.float64(3.0)
    """
    if where is not True or out is not None:
        done, v = _extras("mean", a, where, None, out, np.mean, axis, keepdims, dtype=dtype)
        if done:
            return v
    if not isinstance(a, Tracer):
        return np.mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    a = to_tracer(a)
    half = dtype is None and a.dtype == np.float16  # NumPy sums float16 in float32
    acc = np.dtype(np.float32) if half else np.dtype(dtype) if dtype is not None else (
        a.dtype if a.dtype.kind in "fc" else np.dtype(np.float64))
    if a.shape is None:
        a = cast(a, acc)
        out = sum(a, axis) / sum(ones_like_(a), axis)
        return cast(out, np.float16) if half else out
    if where is True:
        count = _count(a, axis)
        total = sum(a, axis=axis, dtype=acc, keepdims=keepdims)
        count = count if count else float("nan")  # (an empty mean: NaN, with no 0/0)
    else:
        count = _count_where(a, where, axis, keepdims)
        total = sum(a, axis=axis, dtype=acc, keepdims=keepdims, where=where)
    if half and total.shape == ():  # NumPy's scalar path: float64 quotient to float16
        return cast(cast(total, np.float64) / _float_count(count), np.float16)
    out = divide_by_count(total, count)  # (NumPy's array path: float64, float32, float16)
    return cast(out, np.float16) if half else out


def _float_count(count):
    return float(count) if isinstance(count, (int, float, np.number)) else cast(count, np.float64)


def _exact_in(n: float, dtype) -> bool:
    with np.errstate(over="ignore"):
        return float(np.dtype(dtype).type(n)) == n


def divide_by_count(total, count):
    """NumPy's ``true_divide(total, count, casting='unsafe')``, how its ``mean``, ``var`` and
    nan-functions divide a sum by its count (a Python number, or an integer array or tracer,
    NumPy's ``intp``): in the dtype NumPy's loop takes for the pair (float64 for a float16 or
    float32 sum, complex128 for complex64, float64 for integers) and cast back to the sum's
    dtype. A Python number where it is exact in the sum's dtype is the same division in that
    dtype; elsewhere it is not rounded to it (a float16 sum over 2049 entries is divided by
    2049, not by the float16 2048 a weakly typed count would be).

    >>> total = np.sum(np.ones(2049, np.float16))  # 2048.0: float16 stops counting there
    >>> float(divide_by_count(total, 2049)), float(total / 2049)  # NumPy's intp, a weak int
    (0.99951171875, 1.0)
    """
    dt = total.dtype if isinstance(total, Tracer) else np.asarray(total).dtype
    if not isinstance(count, (int, float, np.number)):  # an array of counts (int or float)
        return cast(total / count, dt)
    count = float(count)
    if dt in (np.float64, np.complex128) or dt.kind == "f" and _exact_in(count, dt):
        return total / count
    if dt.kind not in "fc":  # an integer or boolean sum: the float64 quotient cast back
        return cast(total / count, dt)
    wide = np.complex128 if dt.kind == "c" else np.float64
    return cast(cast(total, wide) / count, dt)


@ufunc_axis
@lifting
def prod(a, axis=None, dtype=None, keepdims=False, *, initial=None, where=True, out=None,
         promote_integers=True):
    """Product over ``axis``; its derivative is exact even where entries are zero. The
    product is multiplied by ``initial``; entries outside ``where`` count as 1.

    >>> prod(np.array([2.0, 3.0, 4.0]))
    np.float64(24.0)
    """
    dtype = _unpromoted(a, dtype, promote_integers)
    if where is not True or initial is not None or out is not None:
        return _with_extras("prod", np.prod, prod, a, axis, dtype, keepdims, initial, where, out,
                            1, lambda total, init: total * init)
    if isinstance(a, Tracer):
        a = _accumulated(a, dtype)
    elif dtype is not None:
        return np.prod(a, axis=axis, dtype=dtype, keepdims=keepdims)
    return _reduce(R.reduce_prod, np.prod, a, axis, keepdims, "prod")


def _accumulated(a: Tracer, dtype) -> Tracer:
    """``a`` in the dtype NumPy's sum and product accumulate it in: ``dtype`` when given, else
    the platform's integer for booleans and narrower integers (``np.prod(int8_array)`` is
    int64), else its own."""
    if dtype is not None:  # (strongly typed: np.sum(1.0, dtype=np.float32) is float32)
        return strong(cast(a, dtype))
    if a.dtype == bool or a.dtype.kind in "iu" and a.dtype.itemsize < np.dtype(np.intp).itemsize:
        return cast(a, np.intp if a.dtype.kind != "u" else np.uintp)
    return a


@ufunc_axis
@lifting
def max(a, axis=None, keepdims=False, *, initial=None, where=True, out=None):
    """Maximum over ``axis``; at ties the derivative is split evenly among the maxima.
    ``initial`` takes part in the maximum (and is the result over no entries); entries
    outside ``where`` do not (NumPy needs ``initial`` with ``where``).

    >>> max(np.array([1.0, 5.0, 2.0]))
    np.float64(5.0)
    """
    if where is not True or initial is not None or out is not None:
        return _extremum_extras("max", max, maximum, np.max, a, axis, keepdims, initial,
                                where, out)
    return _reduce(R.reduce_max, np.max, a, axis, keepdims, "max")


@ufunc_axis
@lifting
def min(a, axis=None, keepdims=False, *, initial=None, where=True, out=None):
    """Minimum over ``axis``; at ties the derivative is split evenly among the minima
    (``initial`` and ``where`` as for :func:`max`).

    >>> min(np.array([1.0, 5.0, 2.0]))
    np.float64(1.0)
    """
    if where is not True or initial is not None or out is not None:
        return _extremum_extras("min", min, minimum, np.min, a, axis, keepdims, initial,
                                where, out)
    return _reduce(R.reduce_min, np.min, a, axis, keepdims, "min")


def _extremum_extras(name, reduce_fn, pair, np_fn, a, axis, keepdims, initial, where_, out):
    done, v = _extras(name, a, where_, initial, out, np_fn, axis, keepdims)
    if done:
        return v
    ufunc = "maximum" if name == "max" else "minimum"
    if initial is None:
        if where_ is not True:
            raise WireValueError(f"reduction operation '{ufunc}' does not have an identity, "
                                 f"so to use a where mask one has to specify 'initial' (as "
                                 f"NumPy says){at(user_location())}")
        return reduce_fn(a, axis, keepdims)
    a = to_tracer(a)
    if not isinstance(initial, Tracer) and a.shape is not None:
        return extremum_where(name, a, axis, keepdims, initial, where_)
    init = cast(initial, a.dtype)
    if where_ is not True:
        a = _masked(a, where_, init)
    axes = normalize_axes(axis, a.ndim)
    if builtins.any(a.shape[i] == 0 for i in axes):  # nothing to reduce: initial alone
        shape = tuple(1 if i in axes else d for i, d in enumerate(a.shape)) if keepdims else \
            tuple(d for i, d in enumerate(a.shape) if i not in axes)
        return broadcast_to(init, shape)
    return pair(reduce_fn(a, axis, keepdims), init)


amax, amin = max, min


def extremum_where(kind, a, axis, keepdims, initial, where_):
    """``max``/``min`` (``kind``; ``fmax``/``fmin`` for the NaN-skipping ones) of tracer ``a``
    with a concrete ``initial`` and ``where`` mask: NumPy's own reduction (a primitive), whose
    choice between 0.0 and -0.0 at ties no combination of plain reductions reproduces."""
    axes = normalize_axes(axis, a.ndim)
    init = shared_nan(np.asarray(initial).astype(a.dtype).item())
    mask = _mask_like(True if where_ is True else where_, a.shape)
    if not isinstance(mask, Tracer):
        mask = to_tracer(np.broadcast_to(np.asarray(mask, bool), a.shape))
    return _keep(a, R.reduce_extremum_where(kind, a, mask, axes, init), axes, keepdims)




def resolve_ddof(name, ddof, correction):
    """``correction`` (the Array API's and NumPy 2's name for ``ddof``) as ``ddof``."""
    if correction is None:
        return ddof
    if ddof != 0:
        raise WireValueError(f"{name}: ddof and correction can't both be given (NumPy refuses "
                             f"it too){at(user_location())}")
    return correction


def var_about(name, a, mean_, axis, dtype, ddof, keepdims, where_, nan):
    """The variance of ``a`` about a given mean (NumPy 2's and JAX's ``mean=``, shaped as
    with ``keepdims=True``): ``sum(|a - mean|**2) / (n - ddof)`` over the entries selected by
    ``where_`` (and not NaN, for ``nan``)."""
    if not builtins.any(isinstance(v, Tracer) for v in (a, mean_, where_)):
        fn = getattr(np, name)
        return fn(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where_,
                  mean=mean_)
    a = to_tracer(a)
    if dtype is not None:
        a = cast(a, dtype)
    elif a.dtype.kind not in "fc":
        a = cast(a, np.float64)
    ok = _as_bool(where_) if where_ is not True else True
    if nan and a.dtype.kind in "fc":
        ok = logical_not(isnan(a)) if ok is True else ok & logical_not(isnan(a))
    d = a - mean_
    sq = real(d) * real(d) + imag(d) * imag(d) if d.dtype.kind == "c" else d * d
    if ok is not True:
        sq = where(ok, sq, cast(0, sq.dtype))
    n = sum(ones_like(sq) if ok is True else cast(ok, sq.dtype) + 0 * sq, axis=axis,
            keepdims=keepdims)
    dof = n - ddof
    out = sum(sq, axis=axis, keepdims=keepdims) / dof
    return where(dof <= 0, cast(np.nan, out.dtype), out) if nan else out


@lifting
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None,
        correction=None):
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (of the entries selected
    by ``where``); for complex input the mean of ``|x - mean|**2``, a real value with a real
    derivative (as NumPy's value).

    >>> var(np.array([1.0, 2.0, 3.0, 4.0]))
    np.float64(1.25)
    >>> float(var(np.array([1 + 1j, 2 - 1j])))
    1.25
    >>> float(var(np.array([1.0, 9.0, 3.0]), where=np.array([True, False, True])))
    1.0
    >>> float(var(np.array([1.0, 3.0]), correction=1, mean=2.0))
    2.0
    """
    ddof = resolve_ddof("var", ddof, correction)
    if not builtins.any(isinstance(v, Tracer) for v in (a, where, mean)):
        return np.var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                      where=where, **({} if mean is None else {"mean": mean}))
    refuse_out(out, "var")
    if mean is not None:
        return var_about("var", a, mean, axis, dtype, ddof, keepdims, where, nan=False)
    if where is not True:
        return var_steps(to_tracer(a), axis, dtype, ddof, keepdims, where, nan=False)
    if dtype is not None and a.shape is not None and (np.dtype(dtype) != a.dtype
                                                      or a.dtype.kind not in "fc"):
        return _var_in(a, axis, np.dtype(dtype), ddof, keepdims)
    if dtype is not None:
        a = cast(a, dtype)
    elif a.dtype.kind not in "fc":
        a = cast(a, np.float64)
    # NumPy's steps: the mean is the sum in a's dtype (float16 too) divided by the count,
    # the squared deviations are summed in it and divided by the count less ddof
    n = _count(a, axis)
    mu = divide_by_count(sum(a, axis=axis, keepdims=True), n if n else float("nan"))
    centered = a - mu
    if centered.dtype.kind == "c":
        re, im = real(centered), imag(centered)
        sq = re * re + im * im
    else:
        sq = centered * centered
    # (summed in dtype: a complex dtype gives a complex variance, as NumPy's)
    total = sum(sq, axis=axis, dtype=dtype, keepdims=keepdims)
    return divide_by_count(total, builtins.max(n - ddof, 0))


def _var_in(a, axis, dtype, ddof, keepdims):
    """NumPy's variance with an explicit ``dtype`` other than ``a``'s, step by step: the mean
    is summed in ``dtype`` and divided back into it, the deviations are ``a`` minus it in
    their common type (complex: squared magnitude), summed in ``dtype`` and divided back."""
    n = _count(a, axis)
    mu = divide_by_count(sum(a, axis=axis, dtype=dtype, keepdims=True), n)
    x = a - mu
    if x.dtype.kind == "c":
        re, im = real(x), imag(x)
        sq = re * re + im * im
    else:
        sq = x * x
    total = sum(sq, axis=axis, dtype=dtype, keepdims=keepdims)
    return divide_by_count(total, builtins.max(n - ddof, 0))


def sqrt_spread(v):
    """``sqrt(v)`` of a variance, with derivative 0 where ``v == 0``.

    There every entry equals the mean: std is identically 0 for a single value, and has a
    cone-shaped kink for several equal values, where 0 is a subgradient. Plain ``sqrt``
    would give ``inf * 0 = nan``. Where ``v`` is NaN (an infinite entry) it is ``sqrt(v)``,
    so that every derivative is NaN too (``v * 0`` there would give a zero third derivative:
    the variance is a polynomial of the entries, its third derivative a structural zero).
    """
    spread = ~(v <= 0)  # True for NaN
    return where(spread, sqrt(where(spread, v, 1.0)), v * 0.0)


def var_steps(a, axis, dtype, ddof, keepdims, where_, nan):
    """NumPy's ``var`` (``nan``: ``nanvar``) step by step, for ``where`` masks and ``dtype``:
    the mean is the sum of the selected entries (in ``dtype``; NaN entries as 0 for ``nan``)
    divided by their count and cast back to the sum's dtype; the deviations (``nanvar``: cast
    to ``a``'s dtype, NaN entries 0) are squared (complex: squared magnitude), summed over the
    selected entries in ``dtype`` and divided by the count less ``ddof`` (NumPy's
    ``max(count - ddof, 0)`` for ``var``; NaN where it is not positive for ``nanvar``)."""
    if dtype is not None:
        dtype = np.dtype(dtype)
    if nan and a.dtype.kind in "fc":
        if dtype is not None and dtype.kind not in "fc":
            raise WireTypeError(f"nanvar of {a.aval!r} in dtype {dtype}: if a is inexact, then "
                                f"dtype must be inexact (NumPy raises TypeError){at(user_location())}")
        missing = isnan(a)
        a = where(missing, cast(0, a.dtype), a)
    else:
        missing = None
        if dtype is None and a.dtype.kind not in "fc":
            dtype = np.dtype(np.float64)  # NumPy's var of integers and booleans
    mask = _mask_like(where_, a.shape) if where_ is not True else None
    selected = mask if missing is None else ~missing if mask is None else mask & ~missing
    count = sum(selected if selected is not None else ones_like(a, dtype=bool), axis=axis,
                keepdims=True)
    total = sum(a, axis=axis, dtype=dtype, keepdims=True, where=where_)
    mu = cast(total / count, total.dtype)  # NumPy divides into the sum (casting='unsafe')
    x = a - mu
    if nan:  # nanvar subtracts into a (casting='unsafe') and zeroes its NaN places again
        x = cast(x, a.dtype)
        if missing is not None:
            x = where(missing, cast(0, x.dtype), x)
    if x.dtype.kind == "c" and nan:  # nanvar's |x|**2: real(x * conj(x)), as NumPy's
        sq = real(x * conj(x))
    elif x.dtype.kind == "c":
        re, im = real(x), imag(x)
        sq = re * re + im * im
    else:
        sq = x * x
    ret = sum(sq, axis=axis, dtype=dtype, keepdims=keepdims, where=where_)
    if not keepdims:
        count = reshape(count, ret.shape)
    dof = count - ddof
    if not nan:
        return cast(ret / maximum(dof, 0), ret.dtype)
    return where(dof <= 0, cast(np.nan, ret.dtype), cast(ret / dof, ret.dtype))


@lifting
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None,
        correction=None):
    """Standard deviation over ``axis``; its derivative is 0 where all entries are equal
    (a single value's std is identically 0).

    >>> std(np.array([1.0, 3.0]))
    np.float64(1.0)
    >>> import wire
    >>> wire.grad(std)(np.array([2.0]))
    array([0.])
    """
    ddof = resolve_ddof("std", ddof, correction)
    if not builtins.any(isinstance(v, Tracer) for v in (a, where, mean)):
        return np.std(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                      where=where, **({} if mean is None else {"mean": mean}))
    refuse_out(out, "std")
    a = to_tracer(a)
    if dtype is not None and np.dtype(dtype).kind not in "fc":
        raise WireTypeError(f"std of {a.aval!r} in dtype {np.dtype(dtype)}: the square root of "
                            f"the variance cannot be held in it (NumPy refuses it for arrays)"
                            f"{at(user_location())}")
    return sqrt_spread(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims,
                           where=where, mean=mean))


def _arg(binder, np_fn, a, axis, keepdims):
    if not isinstance(a, Tracer):
        return np_fn(a, axis=axis, keepdims=keepdims)
    if axis is not None and not isinstance(axis, (int, np.integer)):
        raise WireTypeError(f"{np_fn.__name__}: axis must be an integer or None, got {axis!r} "
                            f"(NumPy refuses it too){at(user_location())}")
    if axis is None:
        out = binder(reshape(a, (a.size,)), 0)
        return reshape(out, (1,) * a.ndim) if keepdims else out
    ax = normalize_axes(axis, a.ndim)[0]
    out = binder(a, ax)
    if keepdims:
        out = reshape(out, tuple(1 if i == ax else d for i, d in enumerate(a.shape)))
    return out


@ufunc_axis
@lifting
def argmax(a, axis=None, keepdims=False):
    """Index of the (first) maximum; not differentiable (integer output).

    >>> argmax(np.array([1.0, 5.0, 2.0]))
    np.int64(1)
    """
    return _arg(R.argmax, np.argmax, a, axis, keepdims)


@ufunc_axis
@lifting
def argmin(a, axis=None, keepdims=False):
    """Index of the (first) minimum; not differentiable (integer output)."""
    return _arg(R.argmin, np.argmin, a, axis, keepdims)


@ufunc_axis
@lifting
def any(a, axis=None, keepdims=False, *, where=True, out=None):
    """Whether any element along ``axis`` (and in ``where``) is true (False over none)."""
    if where is not True or out is not None:
        done, v = _extras("any", a, where, None, out, np.any, axis, keepdims)
        if done:
            return v
        a = _masked(_as_bool(to_tracer(a)), where, False)
    if not isinstance(a, Tracer):
        return np.any(a, axis=axis, keepdims=keepdims)
    return sum(_as_bool(a), axis=axis, keepdims=keepdims) > 0  # a count: fine when empty


@ufunc_axis
@lifting
def all(a, axis=None, keepdims=False, *, where=True, out=None):
    """Whether all elements along ``axis`` (and in ``where``) are true (True over none)."""
    if where is not True or out is not None:
        done, v = _extras("all", a, where, None, out, np.all, axis, keepdims)
        if done:
            return v
        a = _masked(_as_bool(to_tracer(a)), where, True)
    if not isinstance(a, Tracer):
        return np.all(a, axis=axis, keepdims=keepdims)
    return sum(logical_not(a), axis=axis, keepdims=keepdims) == 0


@lifting
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Weighted average, NumPy's ``average``; with ``returned=True`` also the sum of the
    weights (the number of entries without weights), shaped like the average.

    On traced values an all-zero weight gives NaN where NumPy raises ``ZeroDivisionError``
    (the weights are not known while tracing).

    >>> average(np.array([1.0, 3.0]), weights=np.array([1.0, 3.0]), returned=True)
    (np.float64(2.5), np.float64(4.0))
    """
    if not isinstance(a, Tracer) and not isinstance(weights, Tracer):
        return np.average(a, axis=axis, weights=weights, returned=returned,
                          **({"keepdims": True} if keepdims else {}))
    if weights is None:
        out = mean(a, axis=axis, keepdims=keepdims)
        if out.shape is not None and 0 in out.shape:  # NumPy's scale a.size / out.size
            raise WireError(f"average over axis {axis} of {a.aval!r}: the result is empty "
                            f"(NumPy raises ZeroDivisionError){at(user_location())}")
        scale = a.size // builtins.max(out.size, 1) if a.shape is not None else None
        scale = cast(scale, out.dtype) if scale is not None else None
    else:
        out, scale = _weighted(to_tracer(a), axis, weights, keepdims)
    if not returned:
        return out
    return out, broadcast_to(cast(scale, out.dtype), out.shape)


def _weighted(a, axis, weights, keepdims):
    """NumPy's weighted average and the sum of the weights: weights of another shape than
    ``a``'s lie along ``axis`` (one weight per entry of those axes, broadcast over the others,
    never along trailing axes by broadcasting), in NumPy's result dtype (float64 at least for
    integer and boolean ``a``)."""
    traced = isinstance(weights, Tracer)
    w_shape = tuple(weights.shape) if traced else np.shape(weights)
    w_dt = weights.dtype if traced else np.asarray(weights).dtype
    dt = np.result_type(a.dtype, w_dt, *([np.float64] if a.dtype.kind in "biu" else []))
    axes = None if axis is None else tuple(
        int(ax) % builtins.max(a.ndim, 1)
        for ax in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if w_shape != tuple(a.shape):
        if axes is None:
            raise WireTypeError(f"average of {a.aval!r} with weights of shape {w_shape}: Axis "
                                f"must be specified when shapes of a and weights differ (NumPy "
                                f"raises TypeError){at(user_location())}")
        if w_shape != tuple(a.shape[ax] for ax in axes):
            raise WireValueError(f"average of {a.aval!r} over axis {axis} with weights of shape "
                                 f"{w_shape}: Shape of weights must be consistent with shape of "
                                 f"a along specified axis (NumPy raises ValueError)"
                                 f"{at(user_location())}")
        order = [int(i) for i in np.argsort(axes)]
        shape = tuple(d if ax in axes else 1 for ax, d in enumerate(a.shape))
        weights = reshape(transpose(weights, order), shape) if traced else \
            np.asarray(weights).transpose(order).reshape(shape)
    scale = sum(weights, axis=axes, dtype=dt, keepdims=keepdims)
    total = sum(cast(a, dt) * cast(weights, dt), axis=axes, keepdims=keepdims)
    return total / scale, scale


@ufunc_axis
@lifting
def count_nonzero(a, axis=None, *, keepdims=False):
    """Number of non-zero entries (integer, not differentiable).

    >>> count_nonzero(np.array([[0.0, 1.0], [2.0, 3.0]]), axis=1, keepdims=True)
    array([[1],
           [2]])
    """
    if not isinstance(a, Tracer):
        return np.count_nonzero(a, axis=axis, keepdims=keepdims)
    return sum(not_equal(a, 0), axis=axis, keepdims=keepdims)


@ufunc_axis
@lifting
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, *, initial=None, where=True):
    """Sum treating NaN as zero (``dtype``, ``initial`` and ``where`` as :func:`sum`'s)."""
    if not builtins.any(isinstance(v, Tracer) for v in (a, where, initial)):
        extra = {} if initial is None else {"initial": initial}
        return np.nansum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, where=where,
                         **extra)
    if a.dtype.kind in "fc":
        a = _masked(a, ~isnan(a), 0)
    return sum(a, axis, dtype, keepdims, initial=initial, where=where, out=out)


@ufunc_axis
@lifting
def ptp(a, axis=None, keepdims=False):
    """Range (max - min) along ``axis``."""
    return max(a, axis=axis, keepdims=keepdims) - min(a, axis=axis, keepdims=keepdims)
