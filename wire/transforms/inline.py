"""Inlining of sub-graph calls, the last step before compiling a graph.

Primitives that only call a sub-graph with rules of their own attached (``Primitive.call_graph``
names the param holding it: ``custom_jvp_call``/``custom_vjp_call`` keep the user's function
as a sub-graph so that later transforms can still apply the user's rule). Once a graph is only going to be
evaluated, the calls can be replaced by their bodies: interning then merges the body with
identical work elsewhere (e.g. the forward pass that a custom VJP's ``fwd`` recomputes), and
the compiler sees plain primitives.
"""

from __future__ import annotations

from ..core import proj_p
from ..ir import Graph, Node, substitute_map, with_inputs


def _calls(node: Node) -> bool:
    return not node.is_leaf and node.op.call_graph is not None


def inline_calls(graph: Graph) -> Graph:
    """``graph`` with every custom-rule call replaced by its body (values unchanged).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> @wire.custom_jvp
    ... def f(x):
    ...     return wnp.sin(x)
    >>> f.defjvp(lambda p, t: (f(p[0]), t[0]))  # doctest: +ELLIPSIS
    <function <lambda> at ...>
    >>> g = wire.trace(f, np.ones(2))
    >>> [n.op.name for n in inline_calls(g).nodes if not n.is_leaf]
    ['sin']
    """
    while any(_calls(n) for n in graph.nodes):
        new: dict = {}
        locs = dict(graph.locs)
        for n in graph.nodes:
            ins = tuple([new.get(i, i) for i in n.inputs])
            if _calls(n):
                body = n.params[n.op.call_graph]
                made = substitute_map(list(body.outputs), dict(zip(body.inputs, ins)))
                new[n] = tuple(made[o] for o in body.outputs)
                for old, m in made.items():  # the body's lines, not the call's
                    if not m.is_leaf and m not in locs and body.loc(old):
                        locs[m] = body.loc(old)
            elif n.op is proj_p and isinstance(new.get(n.inputs[0]), tuple):
                new[n] = new[n.inputs[0]][n.params["index"]]
            elif ins != n.inputs:
                new[n] = with_inputs(n, ins)
                if graph.loc(n):
                    locs.setdefault(new[n], graph.loc(n))
        outs = [new.get(o, o) for o in graph.outputs]
        graph = Graph(graph.inputs, outs, graph.in_tree, graph.out_tree, locs)
    return graph
