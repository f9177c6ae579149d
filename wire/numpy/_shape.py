"""Shape manipulation and indexing of ``wire.numpy``: reshape, transpose, broadcast, join,
split, and ``x[index]`` with ints, slices, None, Ellipsis, integer arrays and boolean masks."""

from __future__ import annotations

import builtins

import numpy as np

from ..errors import ShapeError, WireError, at, user_location
from ..ops import shape as S
from ..core import Tracer, to_node
from ._promote import holds_tracer, known, promote
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


def reshape(a, newshape, order="C"):
    """Array of the same data with shape ``newshape`` (one entry may be -1).

    >>> reshape(np.arange(6), (2, -1)).shape
    (2, 3)
    """
    if order != "C":
        raise WireError("reshape: only order='C' is supported" + at(user_location()))
    if not isinstance(a, Tracer):
        return np.reshape(a, newshape)
    _need_shape(a, "reshape")
    if isinstance(newshape, (int, np.integer)):
        newshape = (newshape,)
    newshape = [int(d) for d in newshape]
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


def ravel(a):
    """Flattened 1-D view of ``a``."""
    return reshape(a, (-1,))


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
        axes = tuple(int(x) % a.ndim for x in axes)
    return S.transpose(a, axes)


def swapaxes(a, axis1, axis2):
    """Interchange two axes."""
    if not isinstance(a, Tracer):
        return np.swapaxes(a, axis1, axis2)
    if a.shape is None:
        return S.swapaxes(a, axis1, axis2)
    perm = list(range(a.ndim))
    i, j = axis1 % a.ndim, axis2 % a.ndim
    perm[i], perm[j] = perm[j], perm[i]
    return S.transpose(a, tuple(perm))


def moveaxis(a, source, destination):
    """Move axes to new positions, NumPy's ``moveaxis``."""
    if not isinstance(a, Tracer):
        return np.moveaxis(a, source, destination)
    src = normalize_axes(source, a.ndim) if not isinstance(source, int) else (source % a.ndim,)
    if isinstance(source, (list, tuple)):
        src = tuple(int(s) % a.ndim for s in source)
    dst = (
        (destination % a.ndim,)
        if isinstance(destination, int)
        else tuple(int(d) % a.ndim for d in destination)
    )
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return S.transpose(a, tuple(order))


def expand_dims(a, axis):
    """Insert size-1 axes at ``axis`` (int or tuple)."""
    if not isinstance(a, Tracer):
        return np.expand_dims(a, axis)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = a.ndim + len(axes)
    axes = normalize_axes(axes, nd)
    it = iter(a.shape)
    return S.reshape(a, tuple(1 if i in axes else next(it) for i in range(nd)))


def squeeze(a, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    if not isinstance(a, Tracer):
        return np.squeeze(a, axis)
    _need_shape(a, "squeeze")
    if axis is None:
        axes = tuple(i for i, d in enumerate(a.shape) if d == 1)
    else:
        axes = normalize_axes(axis, a.ndim)
        bad = [i for i in axes if a.shape[i] != 1]
        if bad:
            raise ShapeError(
                f"squeeze: axis {bad[0]} of {a.aval!r} has size {a.shape[bad[0]]}, not 1"
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
    """Broadcast arrays against each other."""
    shape = np.broadcast_shapes(*[np.shape(a) if not isinstance(a, Tracer) else a.shape for a in args])
    return [broadcast_to(a, shape) for a in args]


def concatenate(arrays, axis=0):
    """Join arrays along an existing axis (``axis=None`` flattens first).

    >>> concatenate([np.ones(2), np.zeros(1)])
    array([1., 1., 0.])
    """
    arrays = list(arrays)
    if not builtins.any(isinstance(a, Tracer) for a in arrays):
        return np.concatenate(arrays, axis=axis)
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    arrays = promote(*arrays)
    nd = np.ndim(arrays[0]) if not isinstance(arrays[0], Tracer) else arrays[0].ndim
    if nd == 0:
        raise ShapeError(f"concatenate: zero-dimensional arrays cannot be concatenated{at(user_location())}")
    return S.concatenate(arrays, axis % nd)


def stack(arrays, axis=0):
    """Join arrays along a new axis.

    >>> stack([np.ones(2), np.zeros(2)]).shape
    (2, 2)
    """
    arrays = list(arrays)
    if not builtins.any(isinstance(a, Tracer) for a in arrays):
        return np.stack(arrays, axis=axis)
    shapes = {tuple(np.shape(a)) if not isinstance(a, Tracer) else a.shape for a in arrays}
    if len(shapes) != 1:
        raise ShapeError(f"stack: all arrays must have one shape, got {sorted(shapes)}{at(user_location())}")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


def hstack(arrays):
    """Stack horizontally (along axis 1, or 0 for 1-D arrays)."""
    arrays = [atleast_1d(a) for a in arrays]
    return concatenate(arrays, axis=0 if np.ndim(arrays[0]) == 1 or getattr(arrays[0], "ndim", 0) == 1 else 1)


def vstack(arrays):
    """Stack vertically (along axis 0, promoting 1-D arrays to rows)."""
    return concatenate([atleast_2d(a) for a in arrays], axis=0)


def array_split(a, indices_or_sections, axis=0):
    """Split into sub-arrays; sections need not divide evenly."""
    if not isinstance(a, Tracer):
        return np.array_split(a, indices_or_sections, axis=axis)
    axis = axis % a.ndim
    n = a.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
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
    if isinstance(indices_or_sections, (int, np.integer)) and isinstance(a, Tracer):
        if a.shape[axis] % int(indices_or_sections):
            raise ShapeError(
                f"split: axis {axis} of {a.aval!r} does not divide into "
                f"{indices_or_sections} equal sections{at(user_location())}"
            )
    if not isinstance(a, Tracer):
        return np.split(a, indices_or_sections, axis=axis)
    return array_split(a, indices_or_sections, axis=axis)


def atleast_1d(a):
    """``a`` with at least one dimension."""
    if not isinstance(a, Tracer):
        return np.atleast_1d(a)
    return reshape(a, (1,)) if a.ndim == 0 else a


def atleast_2d(a):
    """``a`` with at least two dimensions."""
    if not isinstance(a, Tracer):
        return np.atleast_2d(a)
    return reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a


def atleast_3d(a):
    """``a`` with at least three dimensions (NumPy's placement of new axes)."""
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


def size(a):
    """Number of elements of ``a``."""
    if isinstance(a, Tracer):
        _need_shape(a, "size")
        return a.size
    return np.size(a)


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
        raise WireError(f"rollaxis: start {start} is out of range for rank {n}{at(user_location())}")
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
            raise WireError(f"block: lists must not be empty{at(user_location())}")
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
            a = item if isinstance(item, Tracer) else np.asarray(item)
            nd = a.ndim if isinstance(a, Tracer) else np.ndim(a)
            shape = a.shape if isinstance(a, Tracer) else np.shape(a)
            return reshape(a, (1,) * (ndim - nd) + tuple(shape))
        if not isinstance(item, list):
            raise WireError(f"block: lists nested to different depths{at(user_location())}")
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
    arrays, spec = index_spec(x, index)
    return S.getitem(x, arrays, spec)


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
        item = np.asarray(item)
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
            raise ShapeError(
                f"boolean index of shape {m} does not match the indexed array's axes "
                f"{tuple(shape[pos:pos + n])} (array shape {tuple(shape)}, from axis {pos})"
                f"{at(user_location())}"
            )
        pos += n


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
                    raise WireError(f"slice bounds must be concrete integers, got a traced value{at(user_location())}")
                parts.append(None if v is None else int(v))
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
                raise WireError(f"index arrays must be integers, got {item.aval!r}{at(user_location())}")
            spec.append(("a", len(arrays)))
            arrays.append(item)
        else:
            arr = np.asarray(item)
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
                raise WireError(f"index arrays must be integers or booleans, got dtype {arr.dtype}{at(user_location())}")
            spec.append(("a", len(arrays)))
            arrays.append(arr.astype(np.intp))
    if builtins.sum(1 for e in spec if e[0] == "e") > 1:
        raise WireError(f"an index can only have one Ellipsis{at(user_location())}")
    return [Tracer(to_node(a)) if not isinstance(a, Tracer) else a for a in arrays], tuple(spec)
