"""Indexing primitives: ``getitem`` (gather: basic slicing and integer-array indexing) and its
transpose ``scatter_add``, with their batching rules.

An index is a static ``spec`` (a tuple of entries) plus integer-array operands::

    ("s", start, stop, step)  a slice      ("i", k)  an integer
    ("n",)  None / newaxis                 ("e",)  Ellipsis
    ("a", j)  the j-th integer-array operand
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..core.taylor import COEFFICIENTWISE
from ..core import bind
from ..core.lowering import MissingFunction, XpImpl
from ..core.primitive import Primitive
from ..core.formula import ARRAYS_ONLY
from ..errors import ShapeError, WireIndexError, WireValueError, at, user_location
from ..ir import Aval, make_aval
from .layout import (
    batch_size, broadcast_to, example_ndim, example_shape, expand_rank, materialize, moveaxis,
    shape_of, to_front,
)


# --------------------------------------------------------------------------- gather / scatter
# An index of ``getitem``/``scatter_add`` is a static ``spec`` plus integer-array operands (see
# wire/ops/shape.py). With batched operands the index is rewritten so that one getitem computes
# every example: a batched ``x`` gets a leading full slice (or, when index arrays are batched
# too, a leading ``arange(size)`` index array so that example i reads from x[i]); batched index
# arrays get their batch axis in front, padded to the index arrays' common rank so that they
# broadcast with the unbatched ones. Where NumPy puts the batch axis of the result (advanced
# indices may move to the front) is found by indexing a zero-byte probe array.

_FULL_SLICE = ("s", None, None, None)


def _first_advanced_axis(spec, ndim: int):
    """(spec position, axis of the indexed array) of the first array/int entry of ``spec``."""
    consuming = sum(1 for e in spec if e[0] in "sia")
    axis = 0
    for k, e in enumerate(spec):
        if e[0] in "ia":
            return k, axis
        if e[0] == "s":
            axis += 1
        elif e[0] == "e":
            axis += ndim - consuming
    raise AssertionError("no advanced index in spec")


def batch_index(
    idx: Sequence, idims: Sequence, spec: tuple, size: int, x_batched: bool, x_ndim: int
):
    """Rewrite the index ``(idx, spec)`` of a gather or scatter for batched operands.

    ``x_batched``: the indexed array (of example rank ``x_ndim``) is batched. Returns ``(idx,
    spec, flags, x_axis)``: ``getitem(x, idx, spec)`` holds every example's result when ``x``
    has its batch axis at ``x_axis`` (if batched); ``flags[j]`` tells whether the new index
    array ``j`` has a batch axis (in front). An unbatched ``x`` stays unbatched when only index
    arrays are batched. When both are batched, the new ``arange`` index goes right before the
    first advanced index (and x's batch axis with it), so that NumPy keeps the advanced block
    where it was for one example.
    """
    flags = [d is not None for d in idims]
    if not any(flags):
        return list(idx), (_FULL_SLICE,) + tuple(spec), flags, 0
    shapes = [example_shape(i, d) for i, d in zip(idx, idims)]
    rank = len(np.broadcast_shapes(*shapes))
    new = [i if d is None else expand_rank(to_front(i, d), rank) for i, d in zip(idx, idims)]
    if not x_batched:
        return new, tuple(spec), flags, None
    k, x_axis = _first_advanced_axis(spec, x_ndim)
    arange = np.arange(size, dtype=np.intp).reshape((size,) + (1,) * rank)
    spec = tuple(spec[:k]) + (("a", len(new)),) + tuple(spec[k:])
    return new + [arange], spec, flags + [True], x_axis


def index_result(x_shape, x_axis, idx, flags, spec) -> tuple[tuple, int]:
    """Example shape and batch axis of ``getitem`` on rewritten operands (from
    :func:`batch_index`; ``x_axis``: the batch axis of ``x`` or None, ``flags``: which index
    arrays have a batch axis in front)."""
    probe = 1 + max([1, *x_shape, *[s for i in idx for s in shape_of(i)]])
    empty = np.empty((), np.dtype([]))  # zero-byte elements: probing allocates nothing

    def dummy(shape, d, value):
        shape = tuple(shape)
        if d is not None:
            shape = shape[:d] + (probe,) + shape[d + 1 :]
        return np.broadcast_to(value, shape)

    xs = dummy(x_shape, x_axis, empty)
    arrays = [
        dummy(shape_of(i), 0 if b else None, np.zeros((), np.intp)) for i, b in zip(idx, flags)
    ]
    out = xs[build_index(spec, arrays)].shape
    d = out.index(probe)
    return out[:d] + out[d + 1 :], d


def getitem_batch(args, dims, *, spec):
    """Gather with batched ``x`` and/or batched index arrays."""
    x, dx = args[0], dims[0]
    size = batch_size(args, dims)
    idx, spec, flags, x_axis = batch_index(
        args[1:], dims[1:], spec, size, dx is not None, example_ndim(x, dx)
    )
    if dx is not None:
        x = moveaxis(x, dx, x_axis)
    _, d = index_result(shape_of(x), x_axis, idx, flags, spec)
    return getitem(x, idx, spec), d


def scatter_add_batch(args, dims, *, spec, shape):
    """Scatter-add (the transpose of gather) with batched updates and/or index arrays.

    The output is always batched; the updates are laid out as the matching batched gather's
    result (batch axis where NumPy puts it) and broadcast to its full shape.
    """
    u, du = args[0], dims[0]
    size = batch_size(args, dims)
    shape = tuple(shape)
    idx, spec, flags, x_axis = batch_index(args[1:], dims[1:], spec, size, True, len(shape))
    out_shape = shape[:x_axis] + (size,) + shape[x_axis:]
    ex_shape, d = index_result(out_shape, x_axis, idx, flags, spec)
    u = expand_rank(materialize(u, du, size), len(ex_shape))
    u = moveaxis(broadcast_to(u, (size,) + ex_shape), 0, d)
    return scatter_add(u, idx, spec, out_shape), x_axis


def build_index(spec, arrays):
    out = []
    for e in spec:
        tag = e[0]
        if tag == "s":
            out.append(slice(e[1], e[2], e[3]))
        elif tag == "i":
            out.append(e[1])
        elif tag == "n":
            out.append(None)
        elif tag == "e":
            out.append(Ellipsis)
        else:
            out.append(arrays[e[1]])
    return tuple(out)


def _dummy(aval):
    return np.broadcast_to(np.zeros((), aval.dtype), aval.shape)


def _getitem_shape(x, *idx, spec):
    try:
        probe = _dummy(x)[build_index(spec, [np.zeros(a.shape, np.intp) for a in idx])]
    except IndexError as e:  # a constant index outside its axis: NumPy's IndexError
        raise WireIndexError(f"indexing {x!r}: {e}{at(user_location())}") from None
    return make_aval(probe.shape, x.dtype)


def _getitem_impl(x, *idx, spec):
    return np.asarray(x)[build_index(spec, idx)]


def _has_arrays(spec) -> bool:
    return any(e[0] == "a" for e in spec)


def _getitem_sample(rng):
    x = rng.normal(size=(4, 3, 2))
    idx = np.array([0, 2, 2, 3])
    return [x, idx], {"spec": (("a", 0), ("s", None, None, -1), ("n",), ("i", 1))}


def _getitem_xp(bk, x, *idx, spec):
    return x[build_index(spec, [bk.index(i) for i in idx])]


def _scatter_add_xp(bk, ct, *idx, spec, shape):
    xp = bk.xp
    index = build_index(spec, [bk.index(i) for i in idx])
    if _has_arrays(spec):
        add = getattr(xp, "add", None)
        if not hasattr(add, "at"):
            raise MissingFunction(f"{bk.name} has no add.at for repeated-index accumulation")
        half = ct.dtype == xp.float16
        z = xp.zeros(tuple(shape), dtype=xp.float32 if half else ct.dtype)
        add.at(z, index, xp.astype(ct, xp.float32) if half else ct)
        return xp.astype(z, ct.dtype) if half else z
    z = xp.zeros(tuple(shape), dtype=ct.dtype)
    z[index] = ct  # basic indexing selects each element at most once
    return z


getitem_p = Primitive(
    "getitem",
    _getitem_impl,
    _getitem_shape,
    dtype=lambda x, *idx, spec: x,
    linear=True,
    vjp=lambda ct, out, x, *idx, spec: (scatter_add(ct, idx, spec, x.shape),) + (None,) * len(idx),
    jvp=lambda ts, out, x, *idx, spec: getitem(ts[0], idx, spec),
    batch=getitem_batch,
    xp=XpImpl(_getitem_xp, "__getitem__"),
    sample=_getitem_sample,
    doc="x[index]: basic slicing and integer-array (advanced) indexing",
    sympy=ARRAYS_ONLY,
    taylor=COEFFICIENTWISE,
)


def _scatter_add_impl(ct, *idx, spec, shape):
    """Repeated indices accumulate; float16 in float32 (as NumPy's float16 sums do), rounded
    once: ``np.add.at`` in float16 stops at 2048 when adding ones (2048 + 1 rounds back), so
    the gradient of ``sum(repeat(v, 3000))`` came out 2048 per entry."""
    ct = np.asarray(ct)
    index = build_index(spec, idx)
    if _has_arrays(spec):
        z = np.zeros(shape, dtype=_ACCUMULATE.get(ct.dtype, ct.dtype))
        np.add.at(z, index, ct)
        return z.astype(ct.dtype, copy=False)
    z = np.zeros(shape, dtype=ct.dtype)
    z[index] = ct  # basic indexing selects each element at most once
    return z


# the dtype repeated indices accumulate in (a derivative is not bound to np.add.at's roundings)
_ACCUMULATE = {np.dtype(np.float16): np.dtype(np.float32)}


def _scatter_add_sample(rng):
    idx = np.array([0, 2, 2, 3])
    spec = (("a", 0), ("s", None, None, -1), ("n",), ("i", 1))
    return [rng.normal(size=(4, 3, 1)), idx], {"spec": spec, "shape": (4, 3, 2)}


scatter_add_p = Primitive(
    "scatter_add",
    _scatter_add_impl,
    lambda ct, *idx, spec, shape: make_aval(shape, ct.dtype),
    dtype=lambda ct, *idx, spec, shape: ct,
    linear=True,
    vjp=lambda ct, out, u, *idx, spec, shape: (getitem(ct, idx, spec),) + (None,) * len(idx),
    jvp=lambda ts, out, u, *idx, spec, shape: scatter_add(ts[0], idx, spec, shape),
    batch=scatter_add_batch,
    xp=XpImpl(_scatter_add_xp, "zeros / __setitem__ (index arrays: add.at)"),
    sample=_scatter_add_sample,
    doc="zeros(shape) with u added at x[index] (repeated indices accumulate)",
    sympy=ARRAYS_ONLY,
    taylor=COEFFICIENTWISE,
)


def getitem(x, idx_arrays, spec):
    return bind(getitem_p, x, *idx_arrays, spec=spec)


def take_along_axis(x, indices, axis: int):
    """``x`` gathered by ``indices`` along ``axis`` (NumPy's ``take_along_axis``, ``indices``
    already of ``x``'s rank): one ``getitem`` with an ``arange`` broadcast on every other axis.

    >>> import numpy as np
    >>> take_along_axis(np.array([[3., 1.], [2., 5.]]), np.array([[1, 0], [0, 1]]), 1)
    array([[1., 3.],
           [2., 5.]])
    """
    nd = np.ndim(x)
    arrays = []
    for k in range(nd):
        if k == axis:
            arrays.append(indices)
        else:
            shape = [1] * nd
            shape[k] = np.shape(x)[k]
            arrays.append(np.arange(np.shape(x)[k]).reshape(shape))
    return getitem(x, arrays, tuple(("a", k) for k in range(nd)))


def scatter_add(u, idx_arrays, spec, shape):
    return bind(scatter_add_p, u, *idx_arrays, spec=spec, shape=tuple(shape))


# --------------------------------------------------------------------------- unravel / ravel
# NumPy's ``unravel_index`` and ``ravel_multi_index`` of traced integer positions, the shape
# static (as in JAX). Unlike JAX, which clips, an index outside the array is NumPy's
# ``ValueError`` when the graph runs (a ``wire.WireValueError`` naming the primitive and the
# user's line, as for any primitive NumPy refuses): never a silently wrong position.


def _unravel_impl(i, *, shape, order):
    i = np.asarray(i)
    if not shape:  # shape (): the only index is 0 (NumPy takes 0-d positions only)
        if i.size and (i.min() != 0 or i.max() != 0):
            bad = i.min() if i.min() != 0 else i.max()
            raise ValueError(f"index {bad} is out of bounds for array with size 1")
        return np.zeros((0,) + i.shape, np.intp)
    parts = np.unravel_index(i, shape, order=order)  # NumPy's range check and message
    return np.stack([np.asarray(p, np.intp) for p in parts])


def _out_of_range(bk, c, lo, hi):
    """The first offending value of ``c`` (an integer array of backend ``bk``) outside
    ``[lo, hi)``, else None (an array backend reads the values, as NumPy's check does)."""
    xp = bk.xp
    if not math.prod(c.shape):
        return None
    small, big = int(xp.min(c)), int(xp.max(c))
    return small if small < lo else big if big >= hi else None


def _unravel_xp(bk, i, *, shape, order, _node=None):
    xp = bk.xp
    dt = bk.dtype(np.intp)
    size = math.prod(shape)
    bad = _out_of_range(bk, i, 0, size)
    if bad is not None:  # (as the NumPy backend reports NumPy's ValueError)
        raise WireValueError(f"unravel_index: index {bad} is out of bounds for array with "
                             f"size {size}{at(_node.loc if _node is not None else None)}")
    if not shape:
        return xp.zeros((0,) + tuple(i.shape), dtype=dt)
    rem = xp.astype(i, dt)
    axes = range(len(shape) - 1, -1, -1) if order == "C" else range(len(shape))
    coords = [None] * len(shape)
    for k in axes:  # (the last axis varies fastest in C order, the first in F order)
        coords[k] = rem % shape[k]
        rem = rem // shape[k]
    return xp.stack(coords)


_unravel_xp.wants_node = True  # (its error names the user's line)


def _unravel_batch(args, dims, *, shape, order):
    return unravel_index(args[0], shape, order), dims[0] + 1


def _unravel_sample(rng):
    shape = (2, 3, 4)
    return [rng.integers(0, 24, size=5)], {"shape": shape, "order": "CF"[int(rng.integers(0, 2))]}


unravel_index_p = Primitive(
    "unravel_index",
    _unravel_impl,
    lambda i, *, shape, order: make_aval((len(shape),) + tuple(i.shape), np.intp),
    dtype=lambda d, *, shape, order: np.dtype(np.intp),
    nondiff=True,
    batch=_unravel_batch,
    xp=XpImpl(_unravel_xp, "astype / % / // / stack"),
    sample=_unravel_sample,
    doc="numpy.unravel_index(i, shape, order), its coordinates stacked on a new first axis",
    sympy=ARRAYS_ONLY,
)


def unravel_index(i, shape, order="C"):
    """The coordinates of flat positions ``i`` (integers) in an array of static ``shape``,
    stacked on a new first axis (``intp``); out of range raises NumPy's ``ValueError``.

    >>> unravel_index(np.array([5, 1]), (2, 3), "C")
    array([[1, 0],
           [2, 1]])
    """
    return bind(unravel_index_p, i, shape=tuple(int(d) for d in shape), order=order)


def _ravel_impl(*coords, shape, mode, order):
    coords = [np.asarray(c) for c in coords]
    for k, (c, d, m) in enumerate(zip(coords, shape, mode)):
        if m == "raise" and c.size and (c.min() < 0 or c.max() >= d):
            bad = c.min() if c.min() < 0 else c.max()
            raise ValueError(f"invalid entry in coordinates array: {bad} is out of bounds for "
                             f"axis {k} with size {d}")
    return np.asarray(np.ravel_multi_index(tuple(coords), shape, mode=mode, order=order),
                      np.intp)


def _ravel_xp(bk, *coords, shape, mode, order, _node=None):
    xp = bk.xp
    dt = bk.dtype(np.intp)
    out_shape = np.broadcast_shapes(*[tuple(c.shape) for c in coords])
    fixed = []
    for k, (c, d, m) in enumerate(zip(coords, shape, mode)):
        c = xp.astype(c, dt)
        if m == "raise":
            bad = _out_of_range(bk, c, 0, d)
            if bad is not None:
                raise WireValueError(
                    f"ravel_multi_index: invalid entry in coordinates array: {bad} is out of "
                    f"bounds for axis {k} with size {d}"
                    f"{at(_node.loc if _node is not None else None)}")
        elif m == "wrap":
            c = c % d
        else:  # clip
            c = xp.clip(c, 0, d - 1)
        fixed.append(xp.broadcast_to(c, out_shape))
    flat = xp.zeros(out_shape, dtype=dt)
    stride = 1
    for k in (range(len(shape) - 1, -1, -1) if order == "C" else range(len(shape))):
        flat = flat + fixed[k] * stride
        stride *= shape[k]
    return flat


_ravel_xp.wants_node = True


def _ravel_batch(args, dims, *, shape, mode, order):
    size = batch_size(args, dims)
    examples = [tuple(s for k, s in enumerate(shape_of(a)) if k != d) for a, d in zip(args, dims)]
    out_shape = (size,) + np.broadcast_shapes(*examples)
    moved = [broadcast_to(expand_rank(materialize(a, d, size), len(out_shape) - 1), out_shape)
             for a, d in zip(args, dims)]
    return ravel_multi_index(moved, shape, mode, order), 0


def _ravel_sample(rng):
    shape = (3, 4)
    return ([rng.integers(0, 3, size=5), rng.integers(0, 4, size=5)],
            {"shape": shape, "mode": ("raise", "raise"), "order": "CF"[int(rng.integers(0, 2))]})


ravel_multi_index_p = Primitive(
    "ravel_multi_index",
    _ravel_impl,
    lambda *coords, shape, mode, order: make_aval(
        np.broadcast_shapes(*[tuple(c.shape) for c in coords]), np.intp),
    dtype=lambda *d, shape, mode, order: np.dtype(np.intp),
    nondiff=True,
    batch=_ravel_batch,
    xp=XpImpl(_ravel_xp, "astype / % / clip / broadcast_to"),
    sample=_ravel_sample,
    doc="numpy.ravel_multi_index(coords, shape, mode, order): flat positions of coordinates",
    sympy=ARRAYS_ONLY,
)


def ravel_multi_index(coords, shape, mode, order="C"):
    """The flat positions of the coordinates ``coords`` (one integer array per axis of the
    static ``shape``) with NumPy's per-axis ``mode`` (a tuple of ``"raise"``/``"wrap"``/
    ``"clip"``).

    >>> ravel_multi_index([np.array([1, 0]), np.array([2, 1])], (2, 3), ("raise", "raise"))
    array([5, 1])
    """
    shape = tuple(int(d) for d in shape)
    return bind(ravel_multi_index_p, *coords, shape=shape, mode=tuple(mode), order=order)
