"""Sorting primitives: ``argsort`` (the permutation that sorts an axis) and ``sort``.

The permutation carries no derivative (integer output). ``sort``'s value is NumPy's own
``np.sort``, so the order of entries that compare equal (``-0.0`` and ``0.0``, NaNs of either
sign) is NumPy's, per example under ``vmap`` and under ``jit`` alike; a gather by
``argsort`` can order such ties otherwise (NumPy's unstable sort and argsort are distinct
algorithms, and its vectorised sort writes NaNs back as the default NaN). The derivative
flows through the permutation: each sorted entry's tangent is the one of the entry
``argsort`` puts there, and each cotangent goes back to the position it came from.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval
from ..core.primitive import Primitive
from ..core import bind
from ..core.lowering import XpImpl
from ..core.formula import ARRAYS_ONLY
from ..core.taylor import COEFFICIENTWISE
from .batching import axis_batch, trailing_batch
from .indexing import take_along_axis


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


# --------------------------------------------------------------------------- sort


def _sort_impl(x, *, axis, stable):
    return np.sort(np.asarray(x), axis=axis, kind="stable" if stable else None)


def _sort_shape(a, *, axis, stable):
    if not 0 <= axis < a.ndim:
        raise ShapeError(f"sort: axis {axis} is out of range for {a!r}")
    return a


def _sort_jvp(ts, out, x, *, axis, stable):
    return take_along_axis(ts[0], argsort(x, axis, stable=stable), axis)


def _sort_vjp(ct, out, x, *, axis, stable):
    # the inverse permutation sends each cotangent back to where its entry came from
    inv = argsort(argsort(x, axis, stable=stable), axis, stable=True)
    return (take_along_axis(ct, inv, axis),)


def _sort_sample(rng):
    return [rng.normal(size=(3, 4))], {"axis": int(rng.integers(0, 2)),
                                       "stable": bool(rng.integers(0, 2))}


sort_p = Primitive(
    "sort",
    _sort_impl,
    _sort_shape,
    vjp=_sort_vjp,
    jvp=_sort_jvp,
    batch=axis_batch(lambda: sort_p),
    xp=XpImpl(lambda bk, x, *, axis, stable: bk.xp.sort(x, axis=axis, stable=stable), "sort"),
    sample=_sort_sample,
    doc="x sorted along axis, NumPy's values bit for bit (stable=True: NumPy's stable sort)",
    sympy=ARRAYS_ONLY,
    taylor=COEFFICIENTWISE,
)


def sort(x, axis: int, stable: bool = False):
    return bind(sort_p, x, axis=int(axis), stable=bool(stable))


# --------------------------------------------------------------------------- argpartition


def _argpartition_shape(a, *, axis, kth):
    if not 0 <= axis < a.ndim:
        raise ShapeError(f"argpartition: axis {axis} is out of range for {a!r}")
    return Aval(a.shape, np.intp)


argpartition_p = Primitive(
    "argpartition",
    lambda x, *, axis, kth: np.argpartition(np.asarray(x), list(kth), axis=axis),
    _argpartition_shape,
    dtype=lambda d, **params: np.dtype(np.intp),
    nondiff=True,
    batch=axis_batch(lambda: argpartition_p),
    xp=XpImpl(lambda bk, x, *, axis, kth: bk.xp.argsort(x, axis=axis, stable=True),
              "argsort (a sort is a partition for every kth)"),
    sample=lambda rng: ([rng.normal(size=(3, 4))], {"axis": 1, "kth": (0, 2, -1)}),
    doc="NumPy's argpartition of x along axis for the kth positions (a tuple): gathering x "
        "by it gives np.partition's values bit for bit, its order of tied -0.0 and 0.0 "
        "(which np.quantile's selection keeps)",
    sympy=ARRAYS_ONLY,
)


def argpartition(x, axis: int, kth) -> "np.ndarray":
    """NumPy's ``argpartition`` permutation (integer output, no derivative)."""
    return bind(argpartition_p, x, axis=int(axis), kth=tuple(int(k) for k in kth))


# --------------------------------------------------------------------------- partition


def _partition_source(x, out, axis):
    """For each entry of ``out`` (a permutation of ``x`` along ``axis``) the index of an entry of
    ``x`` holding the same value: the k-th smallest of ``out`` is matched with the k-th smallest
    of ``x`` (both ranked by a stable sort, so equal values pair off one to one)."""
    ranks = argsort(argsort(out, axis, stable=True), axis, stable=True)
    return take_along_axis(argsort(x, axis, stable=True), ranks, axis)


def _partition_jvp(ts, out, x, *, axis, kth):
    return take_along_axis(ts[0], _partition_source(x, out, axis), axis)


def _partition_vjp(ct, out, x, *, axis, kth):
    inv = argsort(_partition_source(x, out, axis), axis, stable=True)
    return (take_along_axis(ct, inv, axis),)


def _partition_shape(a, *, axis, kth):
    if not 0 <= axis < a.ndim:
        raise ShapeError(f"partition: axis {axis} is out of range for {a!r}")
    return a


partition_p = Primitive(
    "partition",
    lambda x, *, axis, kth: np.partition(np.asarray(x), list(kth), axis=axis),
    _partition_shape,
    vjp=_partition_vjp,
    jvp=_partition_jvp,
    batch=axis_batch(lambda: partition_p),
    xp=XpImpl(lambda bk, x, *, axis, kth: bk.xp.sort(x, axis=axis, stable=True),
              "sort (a sort is a partition for every kth)"),
    sample=lambda rng: ([rng.normal(size=(3, 4))], {"axis": 1, "kth": (0, 2, -1)}),
    doc="NumPy's partition of x along axis for the kth positions (a tuple), its values bit "
        "for bit (np.partition's order of tied -0.0 and 0.0 and of NaNs is not that of x "
        "gathered by np.argpartition); each entry's derivative is that of an entry of x "
        "with its value",
    sympy=ARRAYS_ONLY,
    taylor=COEFFICIENTWISE,
)


def partition(x, axis: int, kth):
    """NumPy's ``partition`` along ``axis`` (differentiable through the permutation)."""
    return bind(partition_p, x, axis=int(axis), kth=tuple(int(k) for k in kth))


# --------------------------------------------------------------------------- searchsorted


def _searchsorted_impl(a, v, *, side):
    """NumPy's binary search of each row of ``v`` (``(*stack, m)``) in the matching row of
    ``a`` (``(*stack, n)``); the stack axes broadcast. NumPy's own routine, so its result
    (NaN order, the common dtype of ``a`` and ``v``, and the value it gives for an unsorted
    ``a``) is NumPy's."""
    a, v = np.asarray(a), np.asarray(v)
    if a.ndim == 1 and v.ndim == 1:
        return np.searchsorted(a, v, side=side)
    stack = np.broadcast_shapes(a.shape[:-1], v.shape[:-1])
    a = np.broadcast_to(a, stack + a.shape[-1:])
    v = np.broadcast_to(v, stack + v.shape[-1:])
    out = np.empty(stack + v.shape[-1:], np.intp)
    for i in np.ndindex(*stack):
        out[i] = np.searchsorted(a[i], v[i], side=side)
    return out


def _searchsorted_xp(bk, a, v, *, side):
    xp = bk.xp
    if a.ndim == 1 and v.ndim == 1:
        return xp.searchsorted(a, v, side=side)
    stack = np.broadcast_shapes(tuple(a.shape[:-1]), tuple(v.shape[:-1]))
    a = xp.broadcast_to(a, stack + tuple(a.shape[-1:]))
    v = xp.broadcast_to(v, stack + tuple(v.shape[-1:]))
    rows = [xp.searchsorted(a[i + (...,)], v[i + (...,)], side=side) for i in np.ndindex(*stack)]
    return xp.reshape(xp.stack(rows), stack + tuple(v.shape[-1:]))


def _searchsorted_shape(a, v, *, side):
    if a.ndim < 1 or v.ndim < 1:
        raise ShapeError(f"searchsorted: a and v need a last axis, got {a!r} and {v!r}")
    try:
        stack = np.broadcast_shapes(a.shape[:-1], v.shape[:-1])
    except ValueError:
        raise ShapeError(f"searchsorted: the stacks of {a!r} and {v!r} do not broadcast") from None
    return Aval(stack + v.shape[-1:], np.intp)


def _searchsorted_sample(rng):
    return [np.sort(rng.normal(size=(2, 5)), axis=-1), rng.normal(size=(2, 3))], {
        "side": ("left", "right")[int(rng.integers(0, 2))]}


searchsorted_p = Primitive(
    "searchsorted",
    _searchsorted_impl,
    _searchsorted_shape,
    dtype=lambda *d, **params: np.dtype(np.intp),
    nondiff=True,
    batch=trailing_batch(lambda: searchsorted_p, core_ndim=1),
    xp=XpImpl(_searchsorted_xp, "searchsorted"),
    sample=_searchsorted_sample,
    doc="insertion indices of each row of v into the sorted matching row of a "
        "(NumPy's binary search, O(m log n); side 'left' or 'right')",
    sympy=ARRAYS_ONLY,
)


def searchsorted(a, v, side: str = "left"):
    """Bind ``searchsorted_p``: ``a`` is ``(*stack, n)``, ``v`` is ``(*stack, m)``."""
    return bind(searchsorted_p, a, v, side=str(side))
