"""Shape manipulation and indexing of ``wire.numpy``: reshape, transpose, broadcast, join,
split, and ``x[index]`` with ints, slices, None, Ellipsis, integer arrays and boolean masks."""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..errors import (
    ShapeError, WireAxisError, WireError, WireIndexError, WireTypeError, WireValueError, at,
    user_location,
)
from ..ops import shape as S
from ..core import Tracer, to_node
from ._promote import cast, holds_tracer, known, promote, refuse_out
from ._axes import normalize_axes

__all__ = [
    "reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "broadcast_to",
    "broadcast_arrays", "concatenate", "stack", "hstack", "vstack", "split", "array_split",
    "ravel", "atleast_1d", "atleast_2d", "atleast_3d", "shape", "ndim", "size", "concat",
    "permute_dims", "matrix_transpose", "rollaxis", "hsplit", "vsplit", "dsplit", "row_stack",
    "unstack", "block", "resize",
]


def _need_shape(x, what):
    if x.shape is None:
        raise WireError(f"{what} of a shapeless wire.var is known only when the shapes are fed: "
                        f"give wire.var(name, shape=...){at(user_location())}")


def _order(order, what):
    if order not in ("C", "F", "A", "K"):
        raise WireValueError(f"{what}: order must be one of 'C', 'F', 'A' or 'K', got {order!r}"
                             f"{at(user_location())}")
    # traced values have no memory layout: 'A' and 'K' read them as 'C' (NumPy's default)
    return "F" if order == "F" else "C"


def _dim(d) -> int:
    """A dimension of a new shape: an integer (``operator.index``), never a float truncated."""
    try:
        return operator.index(d)
    except TypeError:
        raise WireTypeError(f"reshape: a dimension must be an integer, got {d!r} (NumPy refuses "
                            f"it too){at(user_location())}") from None


def reshape(a, newshape=None, order="C", *, shape=None, copy=None):
    """Array of the same data with shape ``newshape`` (one entry may be -1); ``order="F"``
    reads and writes the entries with the first index changing fastest, as NumPy's.

    >>> reshape(np.arange(6), (2, -1)).shape
    (2, 3)
    >>> reshape(np.arange(6), (2, 3), order="F")
    array([[0, 2, 4],
           [1, 3, 5]])
    >>> reshape(np.arange(6), shape=(3, 2)).shape
    (3, 2)
    """
    if shape is not None:  # NumPy 2.1's and JAX's name for newshape
        if newshape is not None:
            raise WireTypeError(f"reshape: the shape is given twice (newshape and shape=)"
                                f"{at(user_location())}")
        newshape = shape
    if newshape is None:
        raise WireTypeError(f"reshape: missing the new shape{at(user_location())}")
    if not isinstance(a, Tracer):
        return np.reshape(a, newshape, order=order, **({} if copy is None else {"copy": copy}))
    if _order(order, "reshape") == "F":
        shape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
        return transpose(reshape(transpose(a), shape[::-1]))
    _need_shape(a, "reshape")
    if isinstance(newshape, (int, np.integer)):
        newshape = (newshape,)
    newshape = [_dim(d) for d in newshape]
    if newshape.count(-1) > 1:
        raise ShapeError(f"reshape: only one -1 allowed in {tuple(newshape)}{at(user_location())}")
    if -1 in newshape:
        known = int(np.prod([d for d in newshape if d != -1], dtype=np.int64))
        if known == 0 or a.size % known:
            raise ShapeError(
                f"reshape: cannot reshape {a.aval!r} into {tuple(newshape)}{at(user_location())}"
            )
        newshape[newshape.index(-1)] = a.size // known
    return S.reshape(a, tuple(newshape))


def ravel(a, order="C"):
    """Flattened 1-D view of ``a`` (``order="F"``: first index fastest).

    >>> ravel(np.arange(4).reshape(2, 2), order="F")
    array([0, 2, 1, 3])
    """
    if not isinstance(a, Tracer):
        return np.ravel(a, order=order)
    return reshape(a, (-1,), order=_order(order, "ravel"))


def _axis_list(axes, ndim, what):
    """``axes`` (ints, negative allowed) as non-negative axes, each checked as NumPy checks."""
    out = []
    for x in axes:
        x = int(x)
        if not -ndim <= x < ndim:
            raise WireAxisError(f"{what}: axis {x} is out of bounds for an array of rank {ndim}"
                                f"{at(user_location())}")
        out.append(x % ndim)
    return out


def transpose(a, axes=None):
    """Permute axes (reverse them by default).

    >>> transpose(np.ones((2, 3))).shape
    (3, 2)
    """
    if not isinstance(a, Tracer):
        return np.transpose(a, axes)
    if axes is None:
        if a.shape is None:
            raise WireError("transpose of a value of unknown rank: use swapaxes(x, -1, -2)"
                            + at(user_location()))
        axes = tuple(reversed(range(a.ndim)))
    else:
        axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
        if len(axes) != a.ndim:
            raise ShapeError(f"transpose: axes {axes} don't match {a.aval!r}{at(user_location())}")
        axes = tuple(_axis_list(axes, a.ndim, "transpose"))
        if len(set(axes)) != len(axes):
            raise ShapeError(f"transpose: repeated axis in {axes} for {a.aval!r}"
                             f"{at(user_location())}")
    return S.transpose(a, axes)


def swapaxes(a, axis1, axis2):
    """Interchange two axes."""
    if not isinstance(a, Tracer):
        return np.swapaxes(a, axis1, axis2)
    if a.shape is None:
        return S.swapaxes(a, axis1, axis2)
    perm = list(range(a.ndim))
    i, j = _axis_list((axis1, axis2), a.ndim, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return S.transpose(a, tuple(perm))


def moveaxis(a, source, destination):
    """Move axes to new positions, NumPy's ``moveaxis``."""
    if not isinstance(a, Tracer):
        return np.moveaxis(a, source, destination)
    one = lambda v: (v,) if isinstance(v, (int, np.integer)) else tuple(v)  # noqa: E731
    src = _axis_list(one(source), a.ndim, "moveaxis: source")
    dst = _axis_list(one(destination), a.ndim, "moveaxis: destination")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise WireValueError(f"moveaxis: repeated axis in {source} or {destination}"
                             f"{at(user_location())}")
    if len(src) != len(dst):
        raise WireValueError("moveaxis: source and destination must have the same number of "
                             f"elements, got {source} and {destination}{at(user_location())}")
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return S.transpose(a, tuple(order))


def expand_dims(a, axis):
    """Insert size-1 axes at ``axis`` (int or tuple)."""
    if not isinstance(a, Tracer):
        return np.expand_dims(a, axis)
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    nd = a.ndim + len(axes)
    axes = normalize_axes(axes, nd)
    it = iter(a.shape)
    return S.reshape(a, tuple(1 if i in axes else next(it) for i in range(nd)))


def squeeze(a, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    if not isinstance(a, Tracer):
        return np.squeeze(a, axis)
    _need_shape(a, "squeeze")
    if a.ndim == 0 and isinstance(axis, (int, np.integer)) and axis in (0, -1):
        return a  # NumPy accepts axis 0 (or -1) of a 0-d array (not as a tuple)
    if axis is None:
        axes = tuple(i for i, d in enumerate(a.shape) if d == 1)
    else:
        axes = normalize_axes(axis, a.ndim)
        bad = [i for i in axes if a.shape[i] != 1]
        if bad:
            raise ShapeError(
                f"squeeze: cannot select an axis to squeeze out which has size not equal to "
                f"one: axis {bad[0]} of {a.aval!r} has size {a.shape[bad[0]]}"
                f"{at(user_location())}"
            )
    return S.reshape(a, tuple(d for i, d in enumerate(a.shape) if i not in axes))


def broadcast_to(array, shape):
    """Broadcast ``array`` to ``shape``."""
    if not isinstance(array, Tracer):
        return np.broadcast_to(array, shape)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return S.broadcast_to(array, shape)


def broadcast_arrays(*args):
    """Broadcast arrays against each other.

    >>> [a.shape for a in broadcast_arrays(np.ones((2, 1)), np.ones(3))]
    [(2, 3), (2, 3)]
    """
    shapes = [np.shape(a) if not isinstance(a, Tracer) else a.shape for a in args]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(f"shape mismatch: shapes {', '.join(map(str, shapes))} cannot be "
                         f"broadcast to a single shape{at(user_location())}") from None
    return [broadcast_to(a, shape) for a in args]


def _cast_all(arrays, dtype, casting, name):
    """``arrays`` in ``dtype`` (NumPy's and JAX's ``dtype=``), each cast allowed by
    ``casting`` as NumPy checks it."""
    if dtype is None:
        return arrays
    dt = np.dtype(dtype)
    out = []
    for a in arrays:
        src = a.dtype if isinstance(a, Tracer) else np.asarray(a).dtype
        if not np.can_cast(src, dt, casting=casting):
            raise WireTypeError(f"{name}: cannot cast an array of {src} to {dt} with casting "
                                f"rule {casting!r} (NumPy refuses it too){at(user_location())}")
        out.append(cast(a, dt))
    return out


def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Join arrays along an existing axis (``axis=None`` flattens first); ``dtype`` casts
    them first (by the ``casting`` rule), as NumPy's and JAX's ``dtype=``.

    >>> concatenate([np.ones(2), np.zeros(1)])
    array([1., 1., 0.])
    >>> concatenate([np.ones(1), np.zeros(1, np.float32)], dtype=np.float32).dtype
    dtype('float32')
    """
    arrays = list(arrays)
    if not builtins.any(isinstance(a, Tracer) for a in arrays):
        return np.concatenate(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
    refuse_out(out, "concatenate")
    arrays = _cast_all(arrays, dtype, casting, "concatenate")
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    arrays = promote(*arrays)
    nd = np.ndim(arrays[0]) if not isinstance(arrays[0], Tracer) else arrays[0].ndim
    if nd == 0:
        raise ShapeError(f"concatenate: zero-dimensional arrays cannot be concatenated{at(user_location())}")
    return S.concatenate(arrays, _axis_list((axis,), nd, "concatenate")[0])


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Join arrays along a new axis (``dtype``, ``casting`` as :func:`concatenate`'s).

    >>> stack([np.ones(2), np.zeros(2)]).shape
    (2, 2)
    """
    arrays = list(arrays)
    if not builtins.any(isinstance(a, Tracer) for a in arrays):
        return np.stack(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
    refuse_out(out, "stack")
    arrays = _cast_all(arrays, dtype, casting, "stack")
    shapes = {tuple(np.shape(a)) if not isinstance(a, Tracer) else a.shape for a in arrays}
    if len(shapes) != 1:
        raise ShapeError(f"stack: all arrays must have one shape, got {sorted(shapes)}{at(user_location())}")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


def hstack(arrays, *, dtype=None, casting="same_kind"):
    """Stack horizontally (along axis 1, or 0 for 1-D arrays)."""
    arrays = _cast_all([atleast_1d(a) for a in arrays], dtype, casting, "hstack")
    return concatenate(arrays, axis=0 if np.ndim(arrays[0]) == 1 or getattr(arrays[0], "ndim", 0) == 1 else 1)


def vstack(arrays, *, dtype=None, casting="same_kind"):
    """Stack vertically (along axis 0, promoting 1-D arrays to rows)."""
    return concatenate(_cast_all([atleast_2d(a) for a in arrays], dtype, casting, "vstack"),
                       axis=0)


def array_split(a, indices_or_sections, axis=0):
    """Split into sub-arrays; sections need not divide evenly.

    >>> [p.shape for p in array_split(np.arange(5), 2)]
    [(3,), (2,)]
    """
    if not isinstance(a, Tracer):
        return np.array_split(a, indices_or_sections, axis=axis)
    axis = _axis_list((axis,), a.ndim, "array_split")[0]
    n = a.shape[axis]
    if np.ndim(indices_or_sections) == 0:  # a number of sections (NumPy takes 2.0 too)
        k = int(indices_or_sections)
        if k <= 0:
            raise WireValueError(f"array_split: the number of sections must be larger than 0, "
                                 f"got {k}{at(user_location())}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        bounds = np.cumsum([0] + sizes).tolist()
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    out = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        idx = [slice(None)] * a.ndim
        idx[axis] = slice(start, stop)
        out.append(a[tuple(idx)])
    return out


def split(a, indices_or_sections, axis=0):
    """Split into equal sections (or at given indices), NumPy's ``split``.

    >>> [p.shape for p in split(np.arange(6), 3)]
    [(2,), (2,), (2,)]
    """
    if not isinstance(a, Tracer):
        return np.split(a, indices_or_sections, axis=axis)
    if np.ndim(indices_or_sections) == 0:
        ax = _axis_list((axis,), a.ndim, "split")[0]
        k = int(indices_or_sections)
        if k <= 0 or a.shape[ax] % k:
            raise ShapeError(
                f"split: axis {axis} of {a.aval!r} does not divide into "
                f"{indices_or_sections} equal sections{at(user_location())}"
            )
    return array_split(a, indices_or_sections, axis=axis)


def _each(fn, arys):
    """NumPy's ``atleast_*d(*arys)``: one array for one argument, else a tuple."""
    return fn(arys[0]) if len(arys) == 1 else tuple(fn(a) for a in arys)


def atleast_1d(*arys):
    """Each argument with at least one dimension (a tuple for several).

    >>> atleast_1d(1.0)
    array([1.])
    """
    return _each(_atleast_1d, arys)


def atleast_2d(*arys):
    """Each argument with at least two dimensions (a tuple for several).

    >>> atleast_2d(1.0).shape
    (1, 1)
    """
    return _each(_atleast_2d, arys)


def atleast_3d(*arys):
    """Each argument with at least three dimensions, NumPy's placement of new axes (a tuple
    for several).

    >>> atleast_3d(np.ones(2)).shape
    (1, 2, 1)
    """
    return _each(_atleast_3d, arys)


def _atleast_1d(a):
    if not isinstance(a, Tracer):
        return np.atleast_1d(a)
    return reshape(a, (1,)) if a.ndim == 0 else a


def _atleast_2d(a):
    if not isinstance(a, Tracer):
        return np.atleast_2d(a)
    return reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a


def _atleast_3d(a):
    if not isinstance(a, Tracer):
        return np.atleast_3d(a)
    if a.ndim == 0:
        return reshape(a, (1, 1, 1))
    if a.ndim == 1:
        return reshape(a, (1, a.shape[0], 1))
    if a.ndim == 2:
        return reshape(a, a.shape + (1,))
    return a


def shape(a):
    """Shape of ``a``."""
    if isinstance(a, Tracer):
        _need_shape(a, "shape")
        return a.shape
    return np.shape(a)


def ndim(a):
    """Number of dimensions of ``a``."""
    if isinstance(a, Tracer):
        _need_shape(a, "ndim")
        return a.ndim
    return np.ndim(a)


def size(a, axis=None):
    """Number of elements of ``a`` (along ``axis``: an int or a tuple of them).

    >>> size(np.ones((2, 3)), axis=1)
    3
    """
    if isinstance(a, Tracer):
        _need_shape(a, "size")
        if axis is None:
            return a.size
        axes = _axis_list(axis if isinstance(axis, (tuple, list)) else (axis,), a.ndim, "size")
        return int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
    return np.size(a, axis) if not isinstance(axis, (tuple, list)) else int(
        np.prod([np.shape(a)[i] for i in _axis_list(tuple(axis), np.ndim(a), "size")],
                dtype=np.int64))


def concat(arrays, /, *, axis=0):
    """NumPy 2's Array-API name for :func:`concatenate`.

    >>> concat([np.ones(1), np.zeros(1)])
    array([1., 0.])
    """
    return concatenate(arrays, axis=axis)


def permute_dims(a, /, axes=None):
    """NumPy 2's Array-API name for :func:`transpose`.

    >>> permute_dims(np.ones((2, 3)), (1, 0)).shape
    (3, 2)
    """
    return transpose(a, axes)


def matrix_transpose(x, /):
    """Swap the last two axes.

    >>> matrix_transpose(np.ones((2, 3, 4))).shape
    (2, 4, 3)
    """
    if not isinstance(x, Tracer):
        return np.matrix_transpose(x)
    if x.ndim < 2:
        raise ShapeError(f"matrix_transpose needs at least 2 dimensions, got {x.aval!r}"
                         f"{at(user_location())}")
    return swapaxes(x, -1, -2)


def rollaxis(a, axis, start=0):
    """Roll ``axis`` back until it lies before ``start`` (NumPy's older ``moveaxis``).

    >>> rollaxis(np.ones((3, 4, 5)), 2).shape
    (5, 3, 4)
    """
    if not isinstance(a, Tracer):
        return np.rollaxis(a, axis, start)
    n = a.ndim
    axis = normalize_axes(axis, n)[0]
    if start < 0:
        start += n
    if not 0 <= start <= n:
        raise WireAxisError(f"rollaxis: start {start} is out of range for rank {n}{at(user_location())}")
    if axis < start:
        start -= 1
    if axis == start:
        return a
    return moveaxis(a, axis, start)


def _split_along(a, indices_or_sections, axis, name, min_ndim):
    nd = a.ndim if isinstance(a, Tracer) else np.ndim(a)
    if nd < min_ndim:
        raise ShapeError(f"{name} needs an array of at least {min_ndim} dimensions"
                         f"{at(user_location())}")
    return split(a, indices_or_sections, axis=axis)


def hsplit(ary, indices_or_sections):
    """Split along the second axis (the first for 1-D arrays).

    >>> [p.shape for p in hsplit(np.ones((2, 4)), 2)]
    [(2, 2), (2, 2)]
    """
    nd = ary.ndim if isinstance(ary, Tracer) else np.ndim(ary)
    return _split_along(ary, indices_or_sections, 1 if nd > 1 else 0, "hsplit", 1)


def vsplit(ary, indices_or_sections):
    """Split along the first axis (arrays of at least 2 dimensions).

    >>> [p.shape for p in vsplit(np.ones((4, 2)), [1])]
    [(1, 2), (3, 2)]
    """
    return _split_along(ary, indices_or_sections, 0, "vsplit", 2)


def dsplit(ary, indices_or_sections):
    """Split along the third axis (arrays of at least 3 dimensions).

    >>> [p.shape for p in dsplit(np.ones((1, 1, 4)), 2)]
    [(1, 1, 2), (1, 1, 2)]
    """
    return _split_along(ary, indices_or_sections, 2, "dsplit", 3)


def row_stack(tup):
    """``vstack`` (NumPy's deprecated alias, without the warning).

    >>> row_stack([np.ones(2), np.zeros(2)]).shape
    (2, 2)
    """
    return vstack(tup)


def unstack(x, /, *, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple (NumPy 2's ``unstack``).

    >>> [u.shape for u in unstack(np.ones((2, 3)), axis=1)]
    [(2,), (2,), (2,)]
    """
    if not isinstance(x, Tracer):
        return np.unstack(x, axis=axis)
    axis = normalize_axes(axis, x.ndim)[0]
    idx = [slice(None)] * x.ndim
    out = []
    for i in range(x.shape[axis]):
        idx[axis] = i
        out.append(x[tuple(idx)])
    return tuple(out)


def _block_depth(arrays):
    depth = 0
    while isinstance(arrays, list):
        if not arrays:
            raise WireValueError(f"block: lists must not be empty{at(user_location())}")
        arrays, depth = arrays[0], depth + 1
    return depth


def block(arrays):
    """Assemble an array from nested lists of blocks (NumPy's ``block``).

    >>> block([[np.eye(2), np.zeros((2, 1))], [np.ones((1, 2)), np.ones((1, 1))]]).shape
    (3, 3)
    """
    if not holds_tracer(arrays):
        return np.block(arrays)
    depth = _block_depth(arrays)
    ndim = builtins.max(depth, _max_ndim(arrays))

    def assemble(item, level):
        if level == depth:
            if isinstance(item, list):
                raise WireValueError(f"block: lists nested to different depths{at(user_location())}")
            a = item if isinstance(item, Tracer) else np.asarray(item)
            nd = a.ndim if isinstance(a, Tracer) else np.ndim(a)
            shape = a.shape if isinstance(a, Tracer) else np.shape(a)
            return reshape(a, (1,) * (ndim - nd) + tuple(shape))
        if not isinstance(item, list):
            raise WireValueError(f"block: lists nested to different depths{at(user_location())}")
        return concatenate([assemble(v, level + 1) for v in item], axis=ndim - depth + level)

    return assemble(arrays, 0)


def _max_ndim(arrays):
    if isinstance(arrays, list):
        return builtins.max(_max_ndim(v) for v in arrays)
    return arrays.ndim if isinstance(arrays, Tracer) else np.ndim(arrays)


def resize(a, new_shape):
    """``a`` repeated (or cut) to fill ``new_shape``, NumPy's ``resize``.

    >>> resize(np.array([1.0, 2.0, 3.0]), (2, 2))
    array([[1., 2.],
           [3., 1.]])
    """
    if not isinstance(a, Tracer):
        return np.resize(a, new_shape)
    new_shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    n = int(np.prod(new_shape, dtype=np.int64))
    flat = ravel(a)
    if flat.shape[0] == 0 or n == 0:
        return np.zeros(new_shape, a.dtype)  # wire.numpy.zeros is NumPy's
    idx = np.arange(n) % flat.shape[0]
    return reshape(flat[idx], new_shape)


# --------------------------------------------------------------------------- indexing


def getitem(x: Tracer, index):
    """``x[index]`` for a tracer: ints, slices, None, Ellipsis, integer arrays (concrete or
    traced) and boolean masks of concrete values (turned into integer arrays)."""
    x, index = _scalar_masks(x, index)
    arrays, spec = index_spec(x, index)
    return S.getitem(x, arrays, spec)


def _is_scalar_mask(item) -> bool:
    if isinstance(item, (bool, np.bool_)):
        return True
    return isinstance(item, np.ndarray) and item.dtype == np.bool_ and item.ndim == 0


def _scalar_masks(x: Tracer, index):
    """NumPy's 0-d boolean index (``x[True]``, ``x[..., False]``): a new axis of length 1
    (True) or 0 (False), itself indexed as an advanced index. Returns ``x`` with those axes
    inserted and the index with ``[0]`` or ``[]`` for them."""
    items = index if isinstance(index, tuple) else (index,)
    if not builtins.any(_is_scalar_mask(i) for i in items) or x.shape is None:
        return x, index

    def width(item):
        if item is None or item is Ellipsis or _is_scalar_mask(item):
            return 0
        shape = _mask_shape(item) if not isinstance(item, slice) else None
        return len(shape) if shape is not None else 1

    used = builtins.sum(width(i) for i in items)
    shape, new, pos = list(x.shape), [], 0
    for item in items:
        if _is_scalar_mask(item):
            shape.insert(pos, 1)
            new.append(np.array([0] if bool(item) else [], dtype=np.intp))
            pos += 1
            continue
        new.append(item)
        pos += builtins.max(x.ndim - used, 0) if item is Ellipsis else width(item)
    return S.reshape(x, tuple(shape)), tuple(new)


def _mask_value(mask: Tracer) -> np.ndarray:
    """The value of a traced boolean mask, known in an eager trace (``wire.grad(f)(x)`` on
    concrete arrays, as in JAX and autograd): the result's shape depends on it, so under
    ``jit`` it is refused."""
    if not known(mask):
        raise WireError(
            "indexing with a traced boolean mask makes a data-dependent shape; use "
            "wire.numpy.where(mask, x, 0) instead, or call without wire.jit"
            f"{at(user_location())}"
        )
    return np.asarray(mask._value("Indexing with a boolean mask"))


def _mask_shape(item):
    """The shape of a boolean mask among the index items, else None."""
    dtype = getattr(item, "dtype", None)
    if dtype is None and not isinstance(item, (list, tuple)):
        return None
    if dtype is None:
        try:
            item = np.asarray(item)
        except ValueError as e:  # a ragged list
            raise WireValueError(f"index {item!r}: {e}{at(user_location())}") from None
        dtype = item.dtype
    return tuple(item.shape) if dtype == np.bool_ else None


def _check_masks(shape: tuple, index: tuple) -> None:
    """A boolean mask must match the axes it indexes, as NumPy requires (taking its
    non-zeros alone would silently index a prefix of them)."""
    masks = [_mask_shape(item) for item in index]
    if all(m is None for m in masks):
        return
    used = [0 if item is None or item is Ellipsis else 1 if m is None else len(m)
            for item, m in zip(index, masks)]
    pos = 0
    for item, m, n in zip(index, masks, used):
        if item is Ellipsis:
            pos += max(len(shape) - builtins.sum(used), 0)
            continue
        if m is not None and tuple(shape[pos:pos + n]) != m:
            raise WireIndexError(
                f"boolean index of shape {m} does not match the indexed array's axes "
                f"{tuple(shape[pos:pos + n])} (array shape {tuple(shape)}, from axis {pos})"
                f"{at(user_location())}"
            )
        pos += n


def _check_bounds(shape: tuple, spec: tuple, arrays: list) -> None:
    """Concrete integer index arrays must lie inside the axes they index (NumPy's
    ``IndexError``), found here rather than when the graph runs."""
    used = builtins.sum(1 for e in spec if e[0] in "sia")
    pos = 0
    for e in spec:
        if e[0] == "e":
            pos += builtins.max(len(shape) - used, 0)
        elif e[0] in "si":
            pos += 1
        elif e[0] == "a":
            a = arrays[e[1]]
            if pos < len(shape) and not isinstance(a, Tracer) and a.size:
                n = shape[pos]
                hi, lo = int(a.max()), int(a.min())
                if hi >= n or lo < -n:
                    raise WireIndexError(f"index {hi if hi >= n else lo} is out of bounds for "
                                         f"axis {pos} with size {n}{at(user_location())}")
            pos += 1


def index_spec(x: Tracer, index) -> tuple[list, tuple]:
    """``(index arrays, spec)`` of a NumPy index into ``x``: what ``getitem``/``scatter``
    primitives take (see :mod:`wire.ops.indexing`)."""
    _need_shape(x, "indexing")
    if not isinstance(index, tuple):
        index = (index,)
    _check_masks(x.shape, index)
    spec, arrays = [], []
    for item in index:
        if item is None:
            spec.append(("n",))
        elif item is Ellipsis:
            spec.append(("e",))
        elif isinstance(item, slice):
            parts = []
            for v in (item.start, item.stop, item.step):
                if isinstance(v, Tracer):
                    # known in an eager trace (as in autograd and JAX without jit); else the
                    # TracerBoolError that says what to use instead
                    v = v.__index__()
                elif v is not None:
                    try:  # (NumPy's rule: an int or an object with __index__, never a float)
                        v = operator.index(v)
                    except TypeError:
                        raise WireTypeError(
                            f"slice indices must be integers or None or have an __index__ "
                            f"method, got {type(v).__name__} {v!r}{at(user_location())}"
                        ) from None
                parts.append(v)
            if parts[2] == 0:
                raise WireValueError(f"slice step cannot be zero{at(user_location())}")
            spec.append(("s", *parts))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            spec.append(("i", int(item)))
        elif isinstance(item, Tracer):
            if item.dtype == np.bool_:
                for ix in np.nonzero(_mask_value(item)):
                    spec.append(("a", len(arrays)))
                    arrays.append(ix.astype(np.intp))
                continue
            if item.dtype.kind not in "iu":
                raise WireIndexError(f"arrays used as indices must be of integer (or boolean) "
                                     f"type, got {item.aval!r}{at(user_location())}")
            spec.append(("a", len(arrays)))
            arrays.append(item)
        else:
            try:
                arr = np.asarray(item)
            except ValueError as e:  # a ragged list
                raise WireValueError(f"index {item!r}: {e}{at(user_location())}") from None
            if arr.size == 0 and isinstance(item, (list, tuple)):
                arr = arr.astype(np.intp)  # NumPy indexes by an empty list as by intp
            if arr.dtype == np.bool_ and not arr.ndim:
                raise WireError(f"a scalar boolean index (x[True]) is not supported on traced "
                                f"values; x[None] adds the axis it adds{at(user_location())}")
            if arr.dtype == np.bool_:
                # a concrete mask: its non-zero positions are integer index arrays
                for ix in np.nonzero(arr):
                    spec.append(("a", len(arrays)))
                    arrays.append(ix.astype(np.intp))
                continue
            if arr.dtype.kind not in "iu":
                raise WireIndexError(
                    "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and "
                    f"integer or boolean arrays are valid indices, got {item!r} of dtype "
                    f"{arr.dtype}{at(user_location())}")
            spec.append(("a", len(arrays)))
            arrays.append(arr.astype(np.intp))
    if builtins.sum(1 for e in spec if e[0] == "e") > 1:
        raise WireIndexError(f"an index can only have a single ellipsis ('...'){at(user_location())}")
    _check_bounds(x.shape, spec, arrays)
    return [Tracer(to_node(a)) if not isinstance(a, Tracer) else a for a in arrays], tuple(spec)
