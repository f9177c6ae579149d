"""Text form of graphs, one line per node like a jaxpr::

    graph(a:f64[3], b:f64[3]) {
      c:f64[3] = mul a b            # model.py:12
      d:f64[] = reduce_sum[axes=(0,)] c
      return d
    }

Names a, b, c … are given at print time in canonical (topological) order; params are sorted;
scalar constants print inline.
"""

from __future__ import annotations

import numpy as np

from .ir import ConstValue, Graph, Node, const_op, var_op


def _names():
    letters = "abcdefghijklmnopqrstuvwxyz"
    n = 0
    while True:
        s, k = "", n
        while True:
            s = letters[k % 26] + s
            k = k // 26 - 1
            if k < 0:
                break
        yield s
        n += 1


def _param(v) -> str:
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, ConstValue):
        return repr(v)
    if isinstance(v, Graph):
        return "{graph}"
    if _graphs(v):
        return "{" + f"{len(v)} graphs" + "}"
    return repr(v)


def _graphs(v) -> bool:
    return isinstance(v, tuple) and bool(v) and all(isinstance(g, Graph) for g in v)


def format_node_params(node: Node) -> str:
    items = [(k, v) for k, v in sorted(node.params.items()) if k != "tag"]
    if not items:
        return ""
    return "[" + ", ".join(f"{k}={_param(v)}" for k, v in items) + "]"


def format_graph(graph: Graph, indent: int = 0) -> str:
    """The text form of ``graph`` (what ``print(graph)`` shows)."""
    pad = " " * indent
    gen = _names()
    names: dict[Node, str] = {}

    def ref(n: Node) -> str:
        if n.op is const_op and n.aval.shape == ():
            return repr(n.params["value"].array.item())
        return names[n]

    for n in graph.inputs:
        names[n] = next(gen)
    free = [n for n in graph.nodes if n.is_leaf and n.op is not const_op and n not in names]
    for n in free:
        names[n] = n.params["name"] if n.op is var_op else next(gen)
    head = ", ".join(f"{names[n]}:{n.aval!r}" for n in graph.inputs)
    lines = [f"{pad}graph({head})" + (
        " closes over(" + ", ".join(f"{names[n]}:{n.aval!r}" for n in free) + ")" if free else ""
    ) + " {"]
    for n in graph.nodes:
        if n in names or (n.op is const_op and n.aval.shape == ()):
            continue
        names[n] = next(gen)
        aval = repr(n.aval) if not isinstance(n.aval, tuple) else (
            "(" + ", ".join(repr(a) for a in n.aval) + ")"
        )
        args = " ".join(ref(i) for i in n.inputs)
        line = f"{pad}  {names[n]}:{aval} = {n.op.name}{format_node_params(n)} {args}".rstrip()
        if n.loc:
            line = f"{line:<60}  # {n.loc}"
        lines.append(line)
        for k, v in sorted(n.params.items()):
            if isinstance(v, Graph):
                lines.append(f"{pad}    {k} =")
                lines.append(format_graph(v, indent + 6))
            elif _graphs(v):
                for j, g in enumerate(v):
                    lines.append(f"{pad}    {k}[{j}] =")
                    lines.append(format_graph(g, indent + 6))
    lines.append(f"{pad}  return " + ", ".join(ref(o) for o in graph.outputs))
    lines.append(f"{pad}}}")
    return "\n".join(lines)
