"""Array backends: one graph evaluated with NumPy (the default), Dask, CuPy or PyTorch.

``backend=`` in :func:`wire.evaluate` and :func:`wire.jit` takes ``"numpy"``, ``"dask"``,
``"cupy"``, ``"torch"`` (``"torch:cuda"`` …) or any Array-API namespace object
(``array_api_strict``, ``dask.array``, ...). NumPy is always there; the others are extras
(``pip install 'wire[dask]'``, ``'wire[cupy]'``, ``'wire[torch]'``) imported on first use
through ``array-api-compat``.

On Dask, evaluating a graph *is* lowering it: each primitive becomes ``dask.array``
operations, so the gradient graph becomes a Dask task graph that the threaded scheduler or a
``dask.distributed`` Client runs chunk by chunk. Results stay lazy unless ``compute=True``.

>>> import numpy as np, wire
>>> g = wire.trace(lambda x: (x * x).sum(), np.ones(4))
>>> wire.evaluate(g, np.arange(4.0), backend="numpy")
array(14.)

What lives here: the backend class (``_core``) and its resolution (``_resolve``), the Dask,
CuPy and torch specifics (``_dask``, ``_cupy``, ``_torch``) and the plan walk (``_run``). Each primitive
declares its implementation against an Array-API namespace itself (``Primitive.xp``). The
NumPy fast paths in ``wire.evaluate`` and ``wire.runtime.compiler`` do not go through this
package.
"""

from __future__ import annotations

from ... import tree
from ...errors import WireError
from ...ir import Aval, Graph, Node, const_op, toposort, var_op
from ...core import Tracer, call_graph_flat, leaf_aval as numpy_leaf_aval, to_node
from ...core.evaluate import feed_nodes
from ...core.deferred import specialised
from ._core import Backend
from ._resolve import resolve
from ._run import run_flat
from ._torch import is_torch_name

__all__ = [
    "Backend",
    "Program",
    "compute",
    "evaluate",
    "is_torch_name",
    "leaf_aval",
    "resolve",
    "run_flat",
]


def compute(values, backend) -> list:
    """Materialise lazy results in one pass (Dask: ``dask.compute``; others unchanged)."""
    return resolve(backend).compute(list(values))


def _finish(bk, graph, outs, compute_):
    outs = bk.compute(outs) if compute_ else outs
    return tree.unflatten(graph.out_tree, outs)


def evaluate(graph_or_nodes, args, backend, chunks=None, compute=False):
    """:func:`wire.evaluate` on a backend: ``args`` as there (arrays, or one feed dict).

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda x: x * 2.0, np.ones(2))
    >>> evaluate(g, (np.ones(2),), "numpy")
    array([2., 2.])
    """
    bk = resolve(backend)
    if isinstance(graph_or_nodes, Graph):
        leaves, _ = tree.flatten(args)
        return _finish(bk, graph_or_nodes, run_flat(graph_or_nodes, leaves, bk, chunks), compute)
    single = isinstance(graph_or_nodes, (Tracer, Node))
    items = [graph_or_nodes] if single else list(graph_or_nodes)
    nodes = [x.node if isinstance(x, Tracer) else x if isinstance(x, Node) else to_node(x)
             for x in items]
    if len(args) > 1:
        raise WireError("evaluate(nodes, feed_dict) takes one feed dict")
    leaves, values = _feed(nodes, args[0] if args else {})
    if any(n.aval.shape is None for n in leaves):  # shapeless vars: made for the fed shapes
        signature = tuple((n, tuple(leaf_aval(v).shape)) for n, v in zip(leaves, values)
                          if n.aval.shape is None)
        nodes, made = specialised(tuple(nodes), signature)
        leaves = [made.get(n, n) for n in leaves]
    outs = run_flat(Graph(leaves, nodes), values, bk, chunks)
    outs = bk.compute(outs) if compute else outs
    return outs[0] if single else outs


def _feed(nodes, feed_dict):
    """Free leaves of ``nodes`` and their values from ``feed_dict`` (values left as given)."""
    by_node, by_name, marks = {}, {}, {}
    for k, v in (feed_dict or {}).items():
        if isinstance(k, (Tracer, Node)):
            by_node[k.node if isinstance(k, Tracer) else k] = v
        elif isinstance(k, str):
            by_name[k] = v
    # let wire.evaluate's matcher report unbound inputs, on zero-size stand-ins
    stand_in = {}
    for n in toposort(nodes):
        if n.is_leaf and n.op is not const_op:
            v = by_node.get(n)
            if v is None and n.op is var_op:
                v = by_name.get(n.params["name"])
            if v is not None:
                marks[n] = v
                stand_in[n] = _placeholder(v)
    leaves, _ = feed_nodes(nodes, stand_in)
    return leaves, [marks[n] for n in leaves]


def _placeholder(v):
    import numpy as np

    a = leaf_aval(v)
    return np.broadcast_to(np.zeros((), a.dtype), a.shape)


def leaf_aval(value) -> Aval:
    """Shape and dtype of an argument of any backend (Dask/CuPy arrays are not read).

    >>> import numpy as np
    >>> leaf_aval(np.ones((2, 3)))
    f64[2,3]
    """
    import numpy as np

    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, Tracer):
        try:
            dt = np.dtype(value.dtype)
        except TypeError:
            dt = np.dtype(str(value.dtype).rsplit(".", 1)[-1])
        return Aval(tuple(value.shape), dt)
    return numpy_leaf_aval(value)


class Program:
    """A graph bound to a backend: what ``wire.jit(..., backend=...)`` runs per signature.

    Calling it evaluates the (simplified) graph on the backend; ``source`` is the graph's
    text form (there is no generated code: on Dask the walk itself builds the task graph).
    """

    __slots__ = ("backend", "chunks", "compute", "graph")

    def __init__(self, graph: Graph, backend, chunks=None, compute=False):
        self.graph = graph
        self.backend = resolve(backend)
        self.chunks = chunks
        self.compute = compute

    def fn(self, *leaves):
        """Run on flat input leaves (what the jit cache calls)."""
        outs = run_flat(self.graph, list(leaves), self.backend, self.chunks)
        return _finish(self.backend, self.graph, outs, self.compute)

    @property
    def source(self) -> str:
        return f"# backend {self.backend.name}\n{self.graph!r}"

    def __call__(self, *args):
        leaves, _ = tree.flatten(args)
        if any(isinstance(x, Tracer) for x in leaves):  # inside another trace: inline
            return tree.unflatten(self.graph.out_tree, call_graph_flat(self.graph, leaves))
        return self.fn(*leaves)

    def __repr__(self):
        return f"<wire.runtime.backends.Program on {self.backend.name}: {len(self.graph)} nodes>"
