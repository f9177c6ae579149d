"""``wire.evaluate`` and the seed design's ``Executor``: evaluation of graphs and of nodes on a
feed dict, on NumPy or another backend (the walker itself is ``wire.core.evaluate``).

``evaluate(graph, *args)`` resolves each node to ``(function, input slots)`` once per graph
(a memoized *plan*), then walks the plan keeping values in a local list that dies with the
call, dropping each value after its last use. Nothing is written into the arguments and no
state survives the call, so one graph may be evaluated from many threads at once.
"""

from __future__ import annotations

import numpy as np

from .. import tree
from ..core.evaluate import evaluate_flat, feed_nodes
from ..errors import WireError, at, user_location
from ..ir import Graph, Node, var_op
from ..core import Tracer, to_node
from ..core.deferred import specialised
from . import backends


def evaluate(graph_or_nodes, *args, backend="numpy", chunks=None, compute=False):
    """Evaluate a graph on concrete arguments, or nodes on a feed dict. Pure: no state survives.

    Two forms::

        evaluate(graph, *args)          # args shaped like the traced function's arguments
        evaluate(nodes, feed_dict)      # nodes: one tracer or a list; feed_dict {var: value}

    ``backend`` (``"numpy"``, ``"dask"``, ``"cupy"`` or an Array-API namespace) picks the array
    library (see :mod:`wire.runtime.backends`): on Dask, NumPy inputs are chunked by ``chunks=`` and
    results stay lazy Dask arrays unless ``compute=True``.

    >>> import numpy as np, wire
    >>> x, y = wire.var("x"), wire.var("y")
    >>> wire.evaluate([x * y + x], {x: np.array([2.0]), y: np.array([3.0])})
    [array([8.])]
    """
    if backend != "numpy" and backend is not None:  # a separate path: NumPy's stays as fast
        if backends.resolve(backend).name != "numpy":
            return backends.evaluate(graph_or_nodes, args, backend, chunks, compute)
    if isinstance(graph_or_nodes, Graph):
        graph = graph_or_nodes
        leaves, _ = tree.flatten(args)
        if len(leaves) == len(graph.inputs) and any(n.aval.shape is None for n in graph.inputs):
            graph = _specialised_graph(graph, leaves)
        outs = evaluate_flat(graph, leaves)
        return tree.unflatten(graph.out_tree, outs)
    single = isinstance(graph_or_nodes, (Tracer, Node))
    items = [graph_or_nodes] if single else list(graph_or_nodes)
    nodes = []
    for x in items:
        if isinstance(x, Tracer):
            nodes.append(x.node)
        elif isinstance(x, Node):
            nodes.append(x)
        else:
            nodes.append(to_node(x))
    if len(args) > 1:
        raise WireError("evaluate(nodes, feed_dict) takes one feed dict" + at(user_location()))
    leaves, values = feed_nodes(nodes, args[0] if args else {})
    if any(n.aval.shape is None for n in leaves):  # shapeless vars: made for the fed shapes
        signature = tuple((n, tuple(v.shape)) for n, v in zip(leaves, values)
                          if n.aval.shape is None)
        nodes, made = specialised(tuple(nodes), signature)
        leaves = [made.get(n, n) for n in leaves]
    outs = evaluate_flat(Graph(leaves, nodes), values)
    return outs[0] if single else outs


def _specialised_graph(graph: Graph, leaves) -> Graph:
    """``graph`` (inputs of unknown shape: shapeless vars) made for the shapes of ``leaves``."""
    signature = tuple((n, tuple(np.shape(v))) for n, v in zip(graph.inputs, leaves)
                      if n.aval.shape is None and n.op is var_op)
    outputs, made = specialised(tuple(graph.outputs), signature)
    return Graph([made.get(n, n) for n in graph.inputs], outputs, graph.in_tree, graph.out_tree)


class Executor:
    """The first seed design's executor, now a stateless convenience over :func:`evaluate`.

    >>> import numpy as np, wire as gw
    >>> x1, x2 = gw.Variable(name="x1"), gw.Variable(name="x2")
    >>> y = x1 * x2 + x1
    >>> g1, g2 = gw.gradients(y, [x1, x2])
    >>> gw.Executor([y, g1, g2]).run(feed_dict={x1: 2 * np.ones(3), x2: 3 * np.ones(3)})[0]
    array([8., 8., 8.])
    """

    __slots__ = ("eval_node_list",)

    def __init__(self, eval_node_list):
        object.__setattr__(self, "eval_node_list", tuple(eval_node_list))

    def __setattr__(self, name, value):
        raise AttributeError("Executor is immutable")

    def run(self, feed_dict):
        """Values of the executor's nodes given ``feed_dict`` ({var: array}).

        >>> import wire
        >>> x = wire.var("x")
        >>> wire.Executor([x * 3.0]).run({x: 2.0})
        [array(6.)]
        """
        return evaluate(list(self.eval_node_list), feed_dict)

