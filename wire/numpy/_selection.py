"""Selections and insertions of ``wire.numpy`` that NumPy defines by index bookkeeping:
``choose``, ``compress``, ``extract``, ``insert``, ``piecewise`` and the
``*_indices_from`` helpers.

Where the layout depends only on concrete arguments (``insert``'s positions, ``compress``'s
condition), NumPy itself computes it on an array of labels and the traced values are
gathered accordingly, so the result matches NumPy's layout exactly and each derivative is
one scatter-add.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..errors import (
    WireAxisError, WireError, WireIndexError, WireTypeError, WireValueError, at, user_location,
)
from ..core import Tracer
from ..ops import indexing as I
from ..ops.shape import to_tracer
from ._creation import zeros_like
from ._rearranging import take, take_along_axis
from ._math import _as_bool, logical_not, where
from ._along_axis import argsort
from ._promote import cast, holds_tracer, known, lift, refuse_out, result_dtype, static_size
from ._static_size import _array
from ._names import _MUTATES, _SIZES, ConcreteOnly, _wire_error
from ._shape import broadcast_arrays, concatenate, moveaxis, ravel, reshape, stack

__all__ = [
    "choose",
    "compress",
    "diag_indices_from",
    "extract",
    "fill_diagonal",
    "insert",
    "piecewise",
    "ravel_multi_index",
    "tril_indices_from",
    "triu_indices_from",
    "unravel_index",
]


def _t(*xs) -> bool:
    return builtins.any(holds_tracer(x) for x in xs)


def _shape_of(a):
    return a.shape if isinstance(a, Tracer) else np.shape(a)


def choose(a, choices, out=None, mode="raise"):
    """``choices[a[i]][i]`` for every position (NumPy's ``choose``); differentiable in the
    choices, ``a`` (integers) may be traced.

    >>> choose(np.array([0, 1, 0]), [np.zeros(3), np.ones(3)])
    array([0., 1., 0.])
    """
    if not _t(a, choices):
        return np.choose(a, choices, out=out, mode=mode)
    refuse_out(out, "choose")
    choices = list(choices) if not isinstance(choices, Tracer) else [
        choices[i] for i in range(choices.shape[0])]
    n = len(choices)
    a = lift(a)
    if mode not in ("raise", "wrap", "clip"):
        raise WireValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}"
                             f"{at(user_location())}")
    if isinstance(a, Tracer):
        if a.dtype.kind not in "iub":
            raise WireTypeError(f"choose: indices must be integers, got {a.aval!r}"
                                f"{at(user_location())}")
        if mode == "wrap":
            a = a % n
        elif mode == "clip":
            a = where(a < 0, 0, where(a > n - 1, n - 1, a))
        elif known(a):  # an eager trace knows the indices: check them as NumPy does
            v = np.asarray(a._value("choose's indices"))
            if v.size and (v.min() < 0 or v.max() >= n):
                raise WireValueError(f"choose: invalid entry in choice array: indices must lie "
                                     f"in 0 .. {n - 1} for {n} choices{at(user_location())}")
        else:  # under jit: a negative index must fail at evaluation as one past the end does,
            a = where(a < 0, n, a)  # not pick a choice counted from the end
    else:
        a = np.asarray(a)
        if mode == "wrap":
            a = a % n
        elif mode == "clip":
            a = np.clip(a, 0, n - 1)
        elif a.size and (a.min() < 0 or a.max() >= n):
            raise WireValueError(f"choose: invalid entry in choice array: indices must lie in "
                                 f"0 .. {n - 1} for {n} choices{at(user_location())}")
    dt = result_dtype(*choices)
    try:
        parts = broadcast_arrays(a, *[cast(c, dt) for c in choices])
    except ValueError as e:
        if isinstance(e, WireError):
            raise
        raise WireValueError(f"choose: {e}{at(user_location())}") from None
    idx, stacked = parts[0], stack(parts[1:], axis=0)
    if not isinstance(idx, Tracer):
        idx = np.asarray(idx).astype(np.intp)
    return take_along_axis(stacked, reshape(idx, (1,) + tuple(_shape_of(idx))), 0)[0]


def compress(condition, a, axis=None, out=None, *, size=None, fill_value=0):
    """The slices of ``a`` along ``axis`` where the (concrete) ``condition`` holds.

    With ``size=k`` (JAX's form) the condition may be traced: the first ``k`` selected
    slices, then slices of ``fill_value``, so the shape is fixed (``k`` at most the length
    of the axis; as in JAX, a condition longer or shorter than the axis is cut to the
    shorter of the two).

    >>> compress([False, True, True], np.array([1.0, 2.0, 3.0]))
    array([2., 3.])
    >>> compress(np.array([1.0, 2.0, 3.0]) > 1.5, np.array([1.0, 2.0, 3.0]), size=3)
    array([2., 3., 0.])
    """
    if size is not None:
        refuse_out(out, "compress")
        return _compress_size(condition, a, axis, size, fill_value, "compress")
    if not _t(condition, a):
        return np.compress(condition, a, axis=axis, out=out)
    refuse_out(out, "compress")
    if isinstance(condition, Tracer) and known(condition):  # an eager trace's value
        condition = condition._value("compress/extract's condition")
    if holds_tracer(condition):
        raise WireError(
            "compress/extract with a traced condition: the result's shape would depend on the "
            f"values{at(user_location())}; pass size=k (and fill_value=...) for k entries, as "
            "in jax.numpy, or use wire.numpy.where(condition, a, 0)"
        )
    keep = np.nonzero(np.asarray(condition).ravel())[0]
    return take(lift(a), keep, axis=axis)


def _compress_size(condition, a, axis, size, fill_value, name):
    """JAX's ``compress(..., size=)``: the selected slices first (in order), then filled ones."""
    k = static_size(size, name)
    cond, arr = _as_bool(_array(condition, name)), _array(a, name)
    if len(_shape_of(cond)) != 1:
        raise WireValueError(f"{name}: condition must be 1-D, got shape "
                             f"{tuple(_shape_of(cond))}{at(user_location())}")
    if axis is None:
        arr, axis = ravel(arr), 0
    else:
        nd = len(_shape_of(arr))
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)) or \
                not -nd <= axis < nd:
            raise WireAxisError(f"{name}: axis {axis!r} is out of bounds for an array of "
                                f"dimension {nd}{at(user_location())}")
        axis = int(axis) % nd
        arr = moveaxis(arr, axis, 0)
    m = builtins.min(_shape_of(cond)[0], _shape_of(arr)[0])
    cond, arr = cond[:m], arr[:m]
    if k > m:
        raise WireValueError(f"{name}: size={k} is more than the {m} entries along the axis "
                             f"(JAX refuses it too){at(user_location())}")
    nd = len(_shape_of(arr))
    arr = where(reshape(cond, (m,) + (1,) * (nd - 1)), arr,
                cast(_array(fill_value, name), arr.dtype))
    order = argsort(logical_not(cond), kind="stable")  # selected first, each part in order
    return moveaxis(take(arr, order[:k], axis=0), 0, axis)


def extract(condition, arr, *, size=None, fill_value=0):
    """The entries of ``arr`` where the (concrete) ``condition`` holds, flattened; with
    ``size=k`` (JAX's form, the condition may be traced) ``k`` entries, padded with
    ``fill_value``.

    >>> extract(np.array([[True, False], [False, True]]), np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([1., 4.])
    """
    if size is not None:
        return _compress_size(ravel(_array(condition, "extract")), ravel(_array(arr, "extract")),
                              None, size, fill_value, "extract")
    if not _t(condition, arr):
        return np.extract(condition, arr)
    return compress(np.ravel(condition) if not holds_tracer(condition) else condition,
                    ravel(lift(arr)))


def insert(arr, obj, values, axis=None):
    """``arr`` with ``values`` inserted before the (concrete) indices ``obj``, NumPy's
    ``insert``; differentiable in ``arr`` and ``values``.

    >>> insert(np.array([1.0, 2.0]), 1, 9.0)
    array([1., 9., 2.])
    """
    if not _t(arr, values):
        return np.insert(arr, obj, values, axis=axis)
    if holds_tracer(obj):
        raise WireError(f"insert: the positions obj must be concrete (they set the shape)"
                        f"{at(user_location())}")
    arr, values = lift(arr), lift(values)
    arr = arr if isinstance(arr, Tracer) else np.asarray(arr)
    values = cast(values, arr.dtype)
    n, m = int(np.prod(_shape_of(arr), dtype=np.int64)), int(np.prod(_shape_of(values),
                                                                     dtype=np.int64))
    # NumPy lays out labels: 0..n-1 for arr's entries, n.. for values' (broadcast as it would)
    try:
        labels = np.insert(np.arange(n).reshape(_shape_of(arr)), obj,
                           np.arange(n, n + m).reshape(_shape_of(values)), axis=axis)
    except (ValueError, IndexError) as e:  # NumPy's refusal, as the WireError of its class
        cls = WireAxisError if isinstance(e, ValueError) and isinstance(e, IndexError) else \
            WireIndexError if isinstance(e, IndexError) else WireValueError
        raise cls(f"insert: {e}{at(user_location())}") from None
    pool = concatenate([ravel(arr), ravel(values)]) if m else ravel(arr)
    return take(pool, labels)


def piecewise(x, condlist, funclist, *args, **kw):
    """``funclist[i](x)`` where ``condlist[i]`` holds (the last function or value where none
    does, if there is one more entry than conditions), NumPy's ``piecewise``.

    On traced values each function gets the whole ``x`` and the results are chosen with
    ``where``, so functions must be elementwise; a function undefined outside its piece
    (``sqrt`` of negatives) gives a NaN derivative there unless it guards its input.

    >>> piecewise(np.array([-1.0, 2.0]), [np.array([True, False])], [lambda v: -v, lambda v: v * v])
    array([1., 4.])
    """
    if not _t(x, condlist) and not builtins.any(isinstance(f, Tracer) for f in funclist):
        return np.piecewise(x, condlist, funclist, *args, **kw)
    x = lift(x)
    if isinstance(condlist, Tracer) or not isinstance(condlist, (list, tuple)) or (
            condlist and not isinstance(condlist[0], (list, tuple, np.ndarray, Tracer))):
        condlist = [condlist]
    condlist = list(condlist)
    n = len(condlist)
    if len(funclist) not in (n, n + 1):
        raise WireError(f"piecewise: {len(funclist)} functions for {n} conditions (need {n} or "
                        f"{n + 1}){at(user_location())}")

    def value(f):
        return f(x, *args, **kw) if callable(f) else f

    out = value(funclist[n]) + zeros_like(x) if len(funclist) == n + 1 else zeros_like(x)
    for cond, f in zip(condlist, funclist):  # later conditions win, as in NumPy
        out = where(cond, value(f), out)
    return cast(out, x.dtype)


def tril_indices_from(arr, k=0):
    """Indices of the lower triangle of a (traced or concrete) 2-D array; only its shape is
    read.

    >>> tril_indices_from(np.ones((2, 2)))
    (array([0, 1, 1]), array([0, 0, 1]))
    """
    shape = _shape_of(arr)
    if len(shape) != 2:
        raise WireError(f"tril_indices_from: input must be 2-D{at(user_location())}")
    return np.tril_indices(shape[-2], k=k, m=shape[-1])


def triu_indices_from(arr, k=0):
    """Indices of the upper triangle of a (traced or concrete) 2-D array.

    >>> triu_indices_from(np.ones((2, 2)))
    (array([0, 0, 1]), array([0, 1, 1]))
    """
    shape = _shape_of(arr)
    if len(shape) != 2:
        raise WireError(f"triu_indices_from: input must be 2-D{at(user_location())}")
    return np.triu_indices(shape[-2], k=k, m=shape[-1])


def diag_indices_from(arr):
    """Indices of the main diagonal of a (traced or concrete) array with equal dimensions.

    >>> diag_indices_from(np.ones((2, 2)))
    (array([0, 1]), array([0, 1]))
    """
    shape = _shape_of(arr)
    if len(shape) < 2 or len(set(shape)) != 1:
        raise WireError(f"diag_indices_from: all dimensions must be equal and at least 2, got "
                        f"{tuple(shape)}{at(user_location())}")
    return np.diag_indices(shape[0], len(shape))


# NumPy's in-place form, guarded against traced values (it writes into its argument)
_NUMPY_FILL_DIAGONAL = ConcreteOnly(
    np.fill_diagonal, "numpy.fill_diagonal",
    _MUTATES + ", or wire.numpy.fill_diagonal(a, val, inplace=False) as in JAX")


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """``a`` with ``val`` on its main diagonal. With ``inplace=False`` (JAX's form) a new
    array is returned and ``a`` and ``val`` may be traced (``val`` repeated along the
    diagonal, as JAX's; differentiable in both); the default writes into a concrete ``a``,
    as NumPy's ``fill_diagonal``.

    >>> fill_diagonal(np.zeros((2, 3)), 5.0, inplace=False)
    array([[5., 0., 0.],
           [0., 5., 0.]])
    """
    if inplace:
        return _NUMPY_FILL_DIAGONAL(a, val, wrap)
    if wrap:
        raise WireValueError(f"fill_diagonal: wrap=True goes with inplace=True only (JAX "
                             f"refuses it too){at(user_location())}")
    a, val = lift(a), lift(val)
    shape = tuple(_shape_of(a))
    if len(shape) < 2 or (len(shape) > 2 and len(set(shape)) != 1):
        raise WireValueError(f"fill_diagonal: a must be 2-d, or have equal dimensions, got "
                             f"shape {shape}{at(user_location())}")
    n = builtins.min(shape)
    idx = np.diag_indices(n, len(shape))
    if len(_shape_of(val)):  # JAX's: the entries of val in turn, repeated to n
        flat = ravel(val)
        if _shape_of(flat)[0] == 0:
            return a
        val = take(flat, np.arange(n) % _shape_of(flat)[0])
    if not _t(a, val):
        out = np.array(a, copy=True)
        out[idx] = np.asarray(val).astype(out.dtype)
        return out
    a = a if isinstance(a, Tracer) else to_tracer(np.asarray(a))
    return a.at[idx].set(cast(val, a.dtype))


# ``unravel_index`` and ``ravel_multi_index``: NumPy's own on concrete (or known) values; one
# primitive each on traced integer positions, the shape static as in JAX
_NP_UNRAVEL = ConcreteOnly(np.unravel_index, "numpy.unravel_index", _SIZES)
_NP_RAVEL = ConcreteOnly(np.ravel_multi_index, "numpy.ravel_multi_index", _SIZES)


def _static_dims(shape, name: str) -> tuple:
    if holds_tracer(shape):
        raise WireTypeError(f"{name}: the shape must be concrete integers (it fixes the "
                            f"result's structure), got a traced value{at(user_location())}")
    try:  # integers only (NumPy refuses 2.5 too; int() would truncate it)
        dims = ((operator.index(shape),) if np.ndim(shape) == 0
                else tuple(operator.index(d) for d in shape))
    except TypeError:
        raise WireTypeError(f"{name}: the dimensions {shape!r} must be integers"
                            f"{at(user_location())}") from None
    if builtins.any(d < 0 for d in dims):
        raise WireValueError(f"{name}: the dimensions {shape!r} must be non-negative "
                             f"integers{at(user_location())}")
    return dims


def _int_positions(x, name: str):
    x = to_tracer(x)
    if x.dtype.kind not in "biu":
        raise WireTypeError(f"{name}: only int indices permitted, got dtype {x.dtype} "
                            f"(NumPy refuses it too){at(user_location())}")
    return x if x.dtype == np.intp else cast(x, np.intp)


def _numpy_check(fn, name: str, *args, **kwargs):
    """NumPy's refusal of the static arguments (order, modes, dims), on empty positions."""
    try:
        fn(*args, **kwargs)
    except (ValueError, TypeError) as e:
        raise _wire_error(e, name) from None


def unravel_index(indices, shape, order="C"):
    """The coordinates of flat positions ``indices`` in an array of ``shape`` (NumPy's
    ``unravel_index``): a tuple of ``intp`` arrays, one per axis. ``indices`` may be traced
    (the standard ``unravel_index(argmax(x), x.shape)``; ``shape`` stays static, as in JAX);
    an index outside the array raises ``wire.WireValueError`` (a ``ValueError``) as NumPy
    does, at trace time when it is known, when the graph runs when it is not (JAX clips).

    >>> import numpy as np, wire
    >>> wire.jit(lambda x: unravel_index(wire.numpy.argmax(x), x.shape))(np.eye(3)[::-1])
    (array(0), array(2))
    """
    if not holds_tracer(indices):
        return _NP_UNRAVEL(indices, shape, order=order)
    name = "unravel_index"
    dims = _static_dims(shape, name)
    _numpy_check(np.unravel_index, name, np.zeros(0 if dims else (), np.intp), dims, order=order)
    i = _int_positions(indices, name)
    out = I.unravel_index(i, dims, order)
    return tuple(out[k] for k in range(len(dims)))


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """The flat positions of coordinates ``multi_index`` (one integer array per axis of
    ``dims``) in an array of shape ``dims`` (NumPy's ``ravel_multi_index``), with NumPy's
    ``mode`` (``"raise"``, ``"wrap"``, ``"clip"``, or a tuple of them, one per axis). The
    coordinates may be traced, ``dims`` stays static; under ``"raise"`` a coordinate
    outside its axis raises ``wire.WireValueError`` (a ``ValueError``), at trace time when
    it is known, when the graph runs when it is not.

    >>> import numpy as np, wire
    >>> wire.jit(lambda i, j: ravel_multi_index((i, j), (3, 4)))(np.array([1, 2]), np.array([3, 0]))
    array([7, 8])
    """
    if not holds_tracer(multi_index):
        return _NP_RAVEL(multi_index, dims, mode=mode, order=order)
    name = "ravel_multi_index"
    shape = _static_dims(dims, name)
    coords = list(multi_index)
    empty = np.zeros(0, np.intp)
    _numpy_check(np.ravel_multi_index, name, tuple(empty for _ in coords), shape, mode=mode,
                 order=order)
    modes = (mode,) * len(shape) if isinstance(mode, str) else tuple(mode)
    coords = [_int_positions(c, name) for c in coords]
    return I.ravel_multi_index(broadcast_arrays(*coords), shape, modes, order)
