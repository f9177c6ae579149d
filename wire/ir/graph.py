"""``Graph`` (inputs + outputs + the pytree structure of both, with a canonical topological
``nodes`` vector computed once by an iterative walk) and its text form, one line per node like
a jaxpr::

    graph(a:f64[3], b:f64[3]) {
      c:f64[3] = mul a b            # model.py:12
      d:f64[] = reduce_sum[axes=(0,)] c
      return d
    }

Names a, b, c … are given at print time in canonical (topological) order; params are sorted;
scalar constants print inline.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from pyrsistent import pvector

from ..tree import LEAF, TreeDef
from .nodes import ConstValue, Node, const_op, make_node, toposort, var_op


def names():
    """Node names a, b, …, z, aa, ab, … in order (what the text form and the compiler use)."""
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
    gen = names()
    label: dict[Node, str] = {}

    def ref(n: Node) -> str:
        if n.op is const_op and n.aval.shape == ():
            return repr(n.params["value"].array.item())
        return label[n]

    for n in graph.inputs:
        label[n] = next(gen)
    free = [n for n in graph.nodes if n.is_leaf and n.op is not const_op and n not in label]
    for n in free:
        label[n] = n.params["name"] if n.op is var_op else next(gen)
    head = ", ".join(f"{label[n]}:{n.aval!r}" for n in graph.inputs)
    lines = [f"{pad}graph({head})" + (
        " closes over(" + ", ".join(f"{label[n]}:{n.aval!r}" for n in free) + ")" if free else ""
    ) + " {"]
    for n in graph.nodes:
        if n in label or (n.op is const_op and n.aval.shape == ()):
            continue
        label[n] = next(gen)
        aval = repr(n.aval) if not isinstance(n.aval, tuple) else (
            "(" + ", ".join(repr(a) for a in n.aval) + ")"
        )
        args = " ".join(ref(i) for i in n.inputs)
        line = f"{pad}  {label[n]}:{aval} = {n.op.name}{format_node_params(n)} {args}".rstrip()
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


# --------------------------------------------------------------------------- the graph type


class Graph:
    """An immutable computation: ``inputs`` (positional input nodes) to ``outputs``.

    ``in_tree``/``out_tree`` remember the pytree structure of the arguments and results.
    Graphs hash and compare by structure. ``len(graph)`` counts operation nodes (not inputs
    or constants); ``graph.nodes`` lists every node in topological order.
    """

    __slots__ = ("inputs", "outputs", "in_tree", "out_tree", "_nodes", "_hash", "_free")

    def __init__(
        self,
        inputs: Sequence[Node],
        outputs: Sequence[Node],
        in_tree: TreeDef | None = None,
        out_tree: TreeDef | None = None,
    ):
        sa = object.__setattr__
        inputs, outputs = tuple(inputs), tuple(outputs)
        sa(self, "inputs", inputs)
        sa(self, "outputs", outputs)
        sa(self, "in_tree", in_tree if in_tree is not None else _flat_tree(len(inputs)))
        sa(self, "out_tree", out_tree if out_tree is not None else _flat_tree(len(outputs)))
        sa(self, "_nodes", None)
        sa(self, "_free", None)
        sa(self, "_hash", hash((inputs, outputs, self.in_tree, self.out_tree)))

    def __setattr__(self, name, value):
        raise AttributeError("wire graphs are immutable: Graph attributes cannot be set")

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return (
            isinstance(other, Graph)
            and self._hash == other._hash
            and self.inputs == other.inputs
            and self.outputs == other.outputs
            and self.in_tree == other.in_tree
            and self.out_tree == other.out_tree
        )

    @property
    def nodes(self):
        """Every node (inputs, constants, operations) in canonical topological order."""
        if self._nodes is None:
            order = toposort(self.inputs + self.outputs)
            object.__setattr__(self, "_nodes", pvector(order))
        return self._nodes

    def __len__(self):
        return sum(1 for n in self.nodes if not n.is_leaf)

    @property
    def in_avals(self):
        return tuple(n.aval for n in self.inputs)

    @property
    def out_avals(self):
        return tuple(n.aval for n in self.outputs)

    @property
    def free_vars(self) -> tuple[Node, ...]:
        """Leaf nodes that are neither inputs nor constants (open-trace args, named vars)."""
        if self._free is None:  # computed once: every call of a graph asks
            ins = set(self.inputs)
            object.__setattr__(self, "_free", tuple(
                n for n in self.nodes if n.is_leaf and n.op is not const_op and n not in ins
            ))
        return self._free

    def __repr__(self):
        return format_graph(self)

    __str__ = __repr__

    def __reduce__(self):
        # Flat (one entry per node, inputs by position), so pickling a deep graph never
        # recurses node by node; nodes are re-interned on unpickling.
        nodes = list(self.nodes)
        pos = {n: k for k, n in enumerate(nodes)}
        flat = tuple((n.op, tuple(pos[i] for i in n.inputs), n.params, n.aval, n.loc)
                     for n in nodes)
        return _graph_from_flat, (
            flat, tuple(pos[n] for n in self.inputs), tuple(pos[n] for n in self.outputs),
            self.in_tree, self.out_tree,
        )


def _graph_from_flat(flat, inputs, outputs, in_tree, out_tree) -> Graph:
    nodes: list[Node] = []
    for op, ins, params, aval, loc in flat:
        nodes.append(make_node(op, tuple(nodes[i] for i in ins), params, aval, loc))
    return Graph([nodes[i] for i in inputs], [nodes[i] for i in outputs], in_tree, out_tree)


def _flat_tree(n: int) -> TreeDef:
    return TreeDef("tuple", tuple, None, (LEAF,) * n)
