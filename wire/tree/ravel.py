"""``ravel(tree) -> (flat, unravel)``: a pytree of arrays as one 1-D vector (JAX's
``ravel_pytree``), for optimisers and solvers that want a single vector of parameters.

The vector's dtype is the promotion of the leaves' dtypes in JAX's lattice
(:mod:`wire.tree.promotion`; a Python number counts as its 64-bit type, as in JAX's
``ravel_pytree`` with 64-bit types on). When every leaf already has that dtype,
``unravel`` keeps whatever dtype it is given; otherwise it requires the vector's dtype and
casts each piece back to its leaf's dtype. An empty tree gives an empty ``float64`` vector.
Leaves may be arrays, numbers or tracers: the work is done with NumPy calls, which dispatch
to ``wire.numpy`` on tracers, so ``ravel`` can be traced, jitted and differentiated.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError, WireTypeError, at, user_location
from .promotion import leaf_dtype, promote_types
from .walk import flatten, unflatten


def ravel(tree):
    """``(flat, unravel)``: the leaves of ``tree`` raveled and concatenated into one vector,
    and the function rebuilding a tree of that structure from such a vector.

    >>> import numpy as np
    >>> flat, unravel = ravel({"b": np.ones(2, np.float32), "w": np.zeros((1, 2))})
    >>> flat
    array([1., 1., 0., 0.])
    >>> unravel(flat * 2)["b"]
    array([2., 2.], dtype=float32)
    """
    leaves, treedef = flatten(tree)
    shapes = [tuple(np.shape(x)) for x in leaves]
    sizes = [math.prod(s) for s in shapes]
    from_dtypes = [leaf_dtype(x) for x in leaves]
    to_dtype = promote_types(from_dtypes)
    total = sum(sizes)
    if not leaves:
        flat = np.zeros(0, np.float64)
    else:
        parts = [np.ravel(x).astype(to_dtype) if _dtype_of(x) != to_dtype else np.ravel(x)
                 for x in leaves]
        flat = np.concatenate(parts) if len(parts) > 1 else _fresh(parts[0])
    polymorphic = all(d == to_dtype for d in from_dtypes)

    def unravel(vector):
        """Rebuild the tree from a vector like ``flat``."""
        if tuple(np.shape(vector)) != (total,):
            raise ShapeError(
                f"unravel expects a vector of shape ({total},) (the raveled tree has {total} "
                f"elements), got shape {tuple(np.shape(vector))}{at(user_location())}"
            )
        if not polymorphic and _dtype_of(vector) != to_dtype:
            raise WireTypeError(
                f"unravel expects a vector of dtype {to_dtype} (the leaves have dtypes "
                f"{sorted({str(d) for d in from_dtypes})}), got {_dtype_of(vector)}"
                f"{at(user_location())}"
            )
        out, start = [], 0
        for shape, size, dt in zip(shapes, sizes, from_dtypes):
            piece = vector[start:start + size].reshape(shape)
            if not polymorphic and dt != to_dtype:
                piece = _cast(piece, dt)
            out.append(piece)
            start += size
        return unflatten(treedef, out)

    return flat, unravel


def _dtype_of(x) -> np.dtype:
    dt = getattr(x, "dtype", None)
    return np.dtype(dt) if dt is not None else np.result_type(x)


def _fresh(x):
    # one leaf: its raveled view would share memory with the caller's array
    return x.copy() if isinstance(x, np.ndarray) else x


def _cast(piece, dtype):
    if np.dtype(dtype).kind not in "c" and _dtype_of(piece).kind == "c":
        piece = piece.real  # complex vector to a real leaf: the real part, as JAX does
    return piece.astype(dtype)
