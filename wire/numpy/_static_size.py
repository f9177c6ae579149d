"""JAX's fixed-shape forms of NumPy's value-dependent functions: ``nonzero`` (and
one-argument ``where``), ``argwhere``, ``flatnonzero``, ``unique`` (with ``unique_values``,
``unique_counts``, ``unique_inverse``, ``unique_all``), ``union1d`` and ``setdiff1d`` take
``size=`` and ``fill_value=``, and ``repeat`` takes ``total_repeat_length=``, as in
``jax.numpy``.

With ``size=k`` the result has ``k`` entries whatever the values: the first ``k`` matches,
then padding. The padding is JAX's: ``fill_value`` where given, else index 0 (``nonzero``) or
the smallest unique value (``unique``, whose padded counts are 0). So these functions work
under ``wire.jit`` and ``wire.vmap``, and ``x[wnp.nonzero(x, size=k)]`` is differentiable.
Without ``size`` they are NumPy's functions (on concrete values, and in an eager trace where
the values are known); on abstract values (under ``jit``) they raise
``wire.WireTypeError``, which says to pass ``size=``.

Each is written once, on ``wire.numpy``'s own functions, so one code path serves concrete
arrays (NumPy computes at once) and tracers (graph nodes), and the results agree with JAX's
bit for bit (positions are ``int64``, NumPy's index type, where JAX without x64 gives
``int32``).

>>> import numpy as np, wire
>>> wire.jit(lambda x: nonzero(x > 0, size=3, fill_value=-1))(np.array([1.0, -1.0, 2.0]))
(array([ 0,  2, -1]),)
"""

from __future__ import annotations

import builtins
import collections
import math

import numpy as np

from ..core import Tracer
from ..errors import WireTypeError, WireValueError, at, user_location
from ._along_axis import argsort, cumsum, diff, searchsorted
from ._creation import full
from ._math import _as_bool, isnan, logical_and, logical_not, not_equal
from ._math import where as _where
from ._logic import isin
from ._names import ConcreteOnly
from ._ordering import lexsort
from ._promote import cast, lift, static_size
from ._rearranging import repeat as _repeat
from ._rearranging import take
from ._reductions import any as any_
from ._reductions import sum as sum_
from ._shape import concatenate, moveaxis, ravel, reshape, stack, transpose

__all__ = [
    "argwhere",
    "flatnonzero",
    "nonzero",
    "unique",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unique_values",
    "repeat",
    "setdiff1d",
    "union1d",
    "where",
]

_SIZE_HINT = ("its result's shape depends on the values, which are not known while "
              "tracing; pass size=k (and fill_value=...) for a result of k entries, as in "
              "jax.numpy, or use a fixed-shape form such as wire.numpy.where(mask, x, 0)")

# NumPy's functions for calls without ``size`` (concrete values, or an eager trace's)
_NUMPYS = {name: ConcreteOnly(getattr(np, name), f"numpy.{name}", _SIZE_HINT)
           for name in __all__ if name not in ("repeat", "where")}

UniqueAllResult = collections.namedtuple(
    "UniqueAllResult", ["values", "indices", "inverse_indices", "counts"])
UniqueCountsResult = collections.namedtuple("UniqueCountsResult", ["values", "counts"])
UniqueInverseResult = collections.namedtuple("UniqueInverseResult",
                                             ["values", "inverse_indices"])


def _shape(x):
    return tuple(x.shape) if isinstance(x, Tracer) else np.shape(x)


def _dtype(x):
    return x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype


def _array(x, name: str):
    x = lift(x)
    if isinstance(x, Tracer):
        return x
    if isinstance(x, (str, bytes)) or x is None:
        raise WireTypeError(f"{name}: expected an array, got {type(x).__name__}"
                            f"{at(user_location())}")
    return np.asarray(x)


def _positions(size: int):
    return np.arange(size, dtype=np.intp)


# --------------------------------------------------------------------------- nonzero


def _nonzero(arr, size: int, fill_value, name: str) -> tuple:
    shape = _shape(arr)
    if len(shape) == 0:
        raise WireValueError(f"{name}: a 0-d array has no positions (NumPy and JAX refuse it "
                             f"too); use wire.numpy.atleast_1d(x){at(user_location())}")
    if fill_value is not None:
        fills = fill_value if isinstance(fill_value, tuple) else (fill_value,) * len(shape)
        if len(fills) != len(shape) or builtins.any(_shape(f) != () for f in fills):
            raise WireValueError(
                f"{name}: fill_value must be a scalar or a tuple of {len(shape)} scalars (one "
                f"per dimension of the {len(shape)}-d input), got {fill_value!r}"
                f"{at(user_location())}")
    n = math.prod(shape)
    if n == 0 or size == 0:  # JAX's result here is zeros, whatever fill_value
        return tuple(np.zeros(size, np.intp) for _ in shape)
    mask = ravel(_as_bool(arr))
    count = cumsum(cast(mask, np.intp))
    # the flat position of the j-th true entry; n past the last one (n maps to 0 below)
    flat = searchsorted(count, np.arange(1, size + 1, dtype=np.intp), side="left")
    strides = [math.prod(shape[d + 1:]) for d in range(len(shape))]
    out = tuple((flat // s) % d for s, d in zip(strides, shape))
    if fill_value is not None:
        pad = sum_(cast(mask, np.intp)) <= _positions(size)
        out = tuple(_where(pad, f, o) for f, o in zip(fills, out))
    return out


def nonzero(a, *, size=None, fill_value=None):
    """The indices of the non-zero entries of ``a``, one array per dimension (NumPy's
    ``nonzero``). With ``size=k`` (JAX's form) each array has ``k`` entries: the first ``k``
    non-zeros, then ``fill_value`` (default 0), so it works on traced values under ``jit``.

    >>> nonzero(np.array([1.0, 0.0, 2.0]), size=3, fill_value=-1)
    (array([ 0,  2, -1]),)
    """
    if size is None:  # (JAX ignores fill_value then too: nothing is padded)
        return _NUMPYS["nonzero"](a)
    return _nonzero(_array(a, "nonzero"), static_size(size, "nonzero"), fill_value, "nonzero")


def flatnonzero(a, *, size=None, fill_value=None):
    """The indices of the non-zero entries of ``ravel(a)`` (NumPy's ``flatnonzero``); with
    ``size=k``, ``k`` of them padded with ``fill_value`` (default 0), as in JAX.

    >>> flatnonzero(np.array([[0.0, 1.0], [2.0, 0.0]]), size=3, fill_value=-1)
    array([ 1,  2, -1])
    """
    if size is None:
        return _NUMPYS["flatnonzero"](a)
    a = ravel(_array(a, "flatnonzero"))
    return _nonzero(a, static_size(size, "flatnonzero"), fill_value, "flatnonzero")[0]


def argwhere(a, *, size=None, fill_value=None):
    """The indices of the non-zero entries of ``a`` as rows, shape ``(matches, a.ndim)``
    (NumPy's ``argwhere``); with ``size=k``, ``k`` rows padded with ``fill_value`` (default
    0), as in JAX.

    >>> argwhere(np.array([[0.0, 1.0], [2.0, 0.0]]), size=3, fill_value=-1)
    array([[ 0,  1],
           [ 1,  0],
           [-1, -1]])
    """
    if size is None:
        return _NUMPYS["argwhere"](a)
    a = _array(a, "argwhere")
    k = static_size(size, "argwhere")
    if len(_shape(a)) == 0:  # JAX's: k rows of no columns, whatever the value
        return np.zeros((k, 0), np.intp)
    return stack(_nonzero(a, k, fill_value, "argwhere"), axis=1)


def where(condition, x=None, y=None, *, size=None, fill_value=None):
    """Choose ``x`` where ``condition`` holds, else ``y`` (broadcasting all three).

    With one argument, the indices of the non-zeros, ``nonzero(condition)``: that needs
    concrete values, or JAX's ``size=k`` (and ``fill_value=``) for ``k`` indices, padded.

    >>> where(np.array([True, False]), 1.0, 2.0)
    array([1., 2.])
    >>> where(np.array([3.0, 0.0]), size=2, fill_value=-1)
    (array([ 0, -1]),)
    """
    if x is None and y is None and size is not None:
        return _nonzero(_array(condition, "where"), static_size(size, "where"), fill_value,
                        "where")
    if (size is not None or fill_value is not None) and (x is not None or y is not None):
        raise WireValueError(f"where: size and fill_value go with the one-argument form "
                             f"where(condition) only (JAX refuses them with x and y too)"
                             f"{at(user_location())}")
    return _where(condition, x, y)


# --------------------------------------------------------------------------- unique


def _unique_sorted_mask(aux, equal_nan: bool):
    """JAX's ``_unique_sorted_mask`` on ``aux`` (the axis to make unique in front): the
    sorted rows, the mask of first rows of each run of equal ones, and the permutation."""
    if _dtype(aux).kind == "c":  # as JAX: a complex NaN anywhere is one NaN (sorts last)
        aux = _where(isnan(aux), np.array(np.nan, _dtype(aux)), aux)
    n, rest = _shape(aux)[0], _shape(aux)[1:]
    m = math.prod(rest)
    if m == 0:
        n, perm = 1, np.zeros(1, np.intp)
    elif m == 1:
        perm = argsort(reshape(aux, (n,)), kind="stable")
    else:
        keys = transpose(reshape(aux, (n, m)))
        perm = lexsort([keys[i] for i in range(m - 1, -1, -1)])
    aux = take(aux, perm, axis=0)
    if math.prod(_shape(aux)):
        a, b = aux[1:], aux[:-1]
        neq = not_equal(a, b)
        if _dtype(aux).kind in "fc" and equal_nan:
            neq = logical_and(neq, logical_not(logical_and(isnan(a), isnan(b))))
        if len(rest):
            neq = any_(neq, axis=tuple(range(1, 1 + len(rest))))
        mask = concatenate([np.ones(1, bool), neq])
    else:
        mask = np.zeros(n, bool)
    return aux, mask, perm


def _unique(ar, return_index, return_inverse, return_counts, axis, equal_nan, size,
            fill_value, name):
    ar = _array(ar, name)
    k = static_size(size, name)
    ar_shape = _shape(ar)
    if axis is None:
        arr, ax = ravel(ar), 0
    else:
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
            raise WireTypeError(f"{name}: axis must be an int or None, got {axis!r}"
                                f"{at(user_location())}")
        nd = len(ar_shape)
        if not -nd <= axis < nd:
            raise WireValueError(f"{name}: axis {axis} is out of bounds for an array of "
                                 f"dimension {nd}{at(user_location())}")
        arr, ax = ar, int(axis) % nd
    n = _shape(arr)[ax]
    if n == 0 and k and fill_value is None:
        raise WireValueError(f"{name}: an empty input with size={k} needs fill_value (there "
                             f"is no value to pad with; JAX refuses it too)"
                             f"{at(user_location())}")
    aux, mask, perm = _unique_sorted_mask(moveaxis(arr, ax, 0), equal_nan)
    filled = math.prod(_shape(aux)) > 0
    ind = _nonzero(mask, k, None, name)[0] if _shape(mask)[0] else np.zeros(k, np.intp)
    result = take(aux, ind, axis=0) if filled else aux
    true_size = sum_(cast(mask, np.intp))
    if fill_value is not None:
        fill = cast(_array(fill_value, name), _dtype(result))
        rest = _shape(result)[1:]
        if _shape(result)[0]:
            valid = reshape(true_size > _positions(k), (k,) + (1,) * len(rest))
            result = _where(valid, result, fill)
        else:
            result = full((k,) + rest, 0, _dtype(result)) + fill
    out = [moveaxis(result, 0, ax)]
    if return_index:
        out.append(take(perm, ind) if filled else perm)
    if return_inverse:
        if filled:
            inv = take(cumsum(cast(mask, np.intp)) - 1, argsort(perm, kind="stable"))
        else:
            inv = np.zeros(n, np.intp)
        out.append(reshape(inv, ar_shape) if axis is None else inv)
    if return_counts:
        if filled:
            idx = _nonzero(mask, k + 1, None, name)[0]
            tail = idx[1:]
            idx = concatenate([idx[:1], _where(tail != 0, tail, _shape(mask)[0])])
            out.append(diff(idx))
        elif n:
            out.append(np.full((1,), n, np.intp))
        else:
            out.append(np.zeros(0, np.intp))
    return out[0] if len(out) == 1 else tuple(out)


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, size=None, fill_value=None, sorted=True):
    """The sorted unique entries of ``ar`` (NumPy's ``numpy.unique``, optionally with first
    indices, inverse and counts). Without ``size`` the result's shape depends on the values,
    so it needs concrete ones; with ``size=k`` (JAX's form) it has ``k`` entries: the
    smallest ``k`` unique values, padded with ``fill_value`` (default: the smallest value;
    padded counts are 0), so it works under ``jit`` and is differentiable in ``ar``.

    >>> unique(np.array([3.0, 1.0, 3.0]), size=3, fill_value=0.0)
    array([1., 3., 0.])
    """
    if size is None:
        kw = {} if equal_nan is True else {"equal_nan": equal_nan}
        if sorted is not True:
            kw["sorted"] = sorted
        return _NUMPYS["unique"](ar, return_index, return_inverse, return_counts, axis, **kw)
    return _unique(ar, return_index, return_inverse, return_counts, axis, equal_nan, size,
                   fill_value, "unique")


def unique_values(x, /, *, size=None, fill_value=None):
    """The sorted unique values of ``x`` (each NaN its own), NumPy's ``unique_values``; with
    ``size=k`` padded to ``k`` as in JAX's.

    >>> unique_values(np.array([2.0, 1.0, 2.0]), size=3, fill_value=-1.0)
    array([ 1.,  2., -1.])
    """
    if size is None:
        return _NUMPYS["unique_values"](x)
    return _unique(x, False, False, False, None, False, size, fill_value, "unique_values")


def unique_counts(x, /, *, size=None, fill_value=None):
    """``(values, counts)`` of the unique values of ``x``, NumPy's ``unique_counts``; with
    ``size=k`` padded to ``k`` as in JAX's (padded counts are 0).

    >>> unique_counts(np.array([2.0, 1.0, 2.0]), size=3).counts
    array([1, 2, 0])
    """
    if size is None:
        return _NUMPYS["unique_counts"](x)
    return UniqueCountsResult(*_unique(x, False, False, True, None, False, size, fill_value,
                                       "unique_counts"))


def unique_inverse(x, /, *, size=None, fill_value=None):
    """``(values, inverse_indices)`` with ``values[inverse_indices] == x``, NumPy's
    ``unique_inverse``; with ``size=k`` the values padded to ``k`` as in JAX's.

    >>> unique_inverse(np.array([2.0, 1.0, 2.0]), size=3).inverse_indices
    array([1, 0, 1])
    """
    if size is None:
        return _NUMPYS["unique_inverse"](x)
    return UniqueInverseResult(*_unique(x, False, True, False, None, False, size, fill_value,
                                        "unique_inverse"))


def unique_all(x, /, *, size=None, fill_value=None):
    """``(values, indices, inverse_indices, counts)``, NumPy's ``unique_all``; with ``size=k``
    padded to ``k`` as in JAX's.

    >>> unique_all(np.array([2.0, 1.0, 2.0]), size=3).indices
    array([1, 0, 1])
    """
    if size is None:
        return _NUMPYS["unique_all"](x)
    return UniqueAllResult(*_unique(x, True, True, True, None, False, size, fill_value,
                                    "unique_all"))


# --------------------------------------------------------------------------- set operations


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """The sorted unique values of both arrays (NumPy's ``union1d``); with ``size=k`` JAX's
    padded form, ``unique(concatenate((ar1, ar2), axis=None), size=k, fill_value=...)``.

    >>> union1d(np.array([3.0, 1.0]), np.array([1.0, 2.0]), size=4, fill_value=0.0)
    array([1., 2., 3., 0.])
    """
    if size is None:
        return _NUMPYS["union1d"](ar1, ar2)
    both = concatenate([ravel(_array(ar1, "union1d")), ravel(_array(ar2, "union1d"))])
    return _unique(both, False, False, False, None, True, size, fill_value, "union1d")


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values of ``ar1`` not in ``ar2`` (NumPy's ``setdiff1d``); with
    ``size=k`` JAX's form: ``k`` of them, padded with ``fill_value`` (default 0).

    >>> setdiff1d(np.array([3.0, 1.0, 2.0]), np.array([1.0]), size=3)
    array([2., 3., 0.])
    """
    if size is None:
        return _NUMPYS["setdiff1d"](ar1, ar2, assume_unique)
    k = static_size(size, "setdiff1d")
    a1, a2 = ravel(_array(ar1, "setdiff1d")), ravel(_array(ar2, "setdiff1d"))
    fill = cast(_array(0 if fill_value is None else fill_value, "setdiff1d"), _dtype(a1))
    if _shape(fill) != ():
        raise WireValueError(f"setdiff1d: fill_value must be a scalar, got shape "
                             f"{_shape(fill)}{at(user_location())}")
    n = _shape(a1)[0]
    if n == 0:
        return full((k,), 0, _dtype(a1)) + fill
    if not assume_unique:
        a1 = _unique(a1, False, False, False, None, True, k and n, None, "setdiff1d")
        n = _shape(a1)[0]
    keep = logical_not(isin(a1, a2))
    if not assume_unique and n:
        # unique's padding repeats its first (smallest) value: not a member of the result
        n_unique = n + 1 - sum_(cast(a1 == a1[0], np.intp))
        keep = logical_and(keep, _positions(n) < n_unique)
    picked = take(a1, _nonzero(keep, k, None, "setdiff1d")[0]) if n else full((k,), 0, _dtype(a1))
    return _where(sum_(cast(keep, np.intp)) > _positions(k), picked, fill)


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Repeat each element ``repeats`` times (an int or one count per element), NumPy's
    ``repeat``. With JAX's ``total_repeat_length=L`` the result has ``L`` entries along the
    axis whatever the counts, so they may be traced under ``jit``: as in JAX, a longer result
    is cut at ``L`` and a shorter one continues with its last element.

    >>> repeat(np.array([1.0, 2.0]), np.array([1, 2]), total_repeat_length=5)
    array([1., 2., 2., 2., 2.])
    """
    if total_repeat_length is None:
        return _repeat(a, repeats, axis)
    n_out = static_size(total_repeat_length, "repeat", "total_repeat_length")
    a = _array(a, "repeat")
    if axis is None:
        a, axis = ravel(a), 0
    shape = _shape(a)
    reps = ravel(_array(repeats, "repeat"))
    if _dtype(reps).kind not in "iub":
        raise WireTypeError(f"repeat: repeats must be integers, got {_dtype(reps)}"
                            f"{at(user_location())}")
    if not shape:
        if _shape(reps) != (1,):
            raise WireValueError(f"repeat: a 0-d array takes one count, got shape "
                                 f"{_shape(reps)} (JAX refuses it too){at(user_location())}")
        return full((n_out,), 0, _dtype(a)) + a
    nd = len(shape)
    if not -nd <= axis < nd:
        raise WireValueError(f"repeat: axis {axis} is out of bounds for an array of dimension "
                             f"{nd}{at(user_location())}")
    axis = int(axis) % nd
    n = shape[axis]
    if _shape(reps) not in ((1,), (n,)):
        raise WireValueError(f"repeat: {_shape(reps)[0]} counts for an axis of {n} entries"
                             f"{at(user_location())}")
    if n_out == 0 or n == 0:
        return take(a, np.zeros(0, np.intp), axis=axis) if n_out == 0 else a
    reps = cast(reps, np.intp) + np.zeros(n, np.intp)
    starts = cumsum(reps) - reps  # where each element's run begins
    index = searchsorted(starts, _positions(n_out), side="right") - 1
    return take(a, index, axis=axis)

