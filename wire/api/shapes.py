"""``eval_shape``: the shapes and dtypes of a function's outputs, found by tracing it
abstractly (nothing is computed), as ``jax.eval_shape``."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import tree
from ..core import Tracer, flat_avals, trace_flat, weak_leaves
from ..ir import Aval
from .callback import ShapeDtypeStruct


def _is_struct(x) -> bool:
    """A stand-in for an array: a ``ShapeDtypeStruct`` or anything with ``shape`` and
    ``dtype`` that is not an array or a tracer."""
    return (not isinstance(x, (np.ndarray, np.generic, Tracer)) and hasattr(x, "shape")
            and hasattr(x, "dtype"))


def eval_shape(f: Callable, *args, **kwargs):
    """The pytree of :class:`ShapeDtypeStruct` that ``f(*args, **kwargs)`` would return;
    ``f`` is traced at the shapes and dtypes of ``args`` (arrays, Python scalars or
    ``ShapeDtypeStruct``), never run. Keyword arguments are passed as they are.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> wire.eval_shape(lambda x, w: wnp.tanh(x @ w), wire.ShapeDtypeStruct((8, 3), np.float32),
    ...                 np.ones((3, 2), np.float32))
    ShapeDtypeStruct(shape=(8, 2), dtype=float32)
    """
    leaves, in_tree = tree.flatten(args)
    structs = [i for i, x in enumerate(leaves) if _is_struct(x)]
    concrete = [np.zeros((), np.int8) if i in structs else x for i, x in enumerate(leaves)]
    avals = flat_avals(concrete, in_tree)
    for i in structs:
        avals[i] = Aval(tuple(int(d) for d in leaves[i].shape), np.dtype(leaves[i].dtype))
    graph = trace_flat(lambda *a: f(*a, **kwargs), avals, in_tree, weak_leaves(concrete))
    return tree.unflatten(graph.out_tree,
                          [ShapeDtypeStruct(a.shape, a.dtype) for a in graph.out_avals])
