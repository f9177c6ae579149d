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

import contextlib
import contextvars
import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Sequence

import numpy as np

from pyrsistent import pmap, pvector

from ..tree import LEAF, TreeDef
from .nodes import (
    ConstValue, LeafOp, Node, TraceTag, _toposort, arg_node, const_op, input_node, input_op,
    make_node, toposort, var_op,
)


_NO_LOCS: Mapping = MappingProxyType({})  # the table of graphs without one
_ABSENT = object()  # what a table lookup gives for a node it does not hold

# The location tables of the graphs being run, printed or transformed, outermost first, while
# the work descends into the sub-graphs their nodes hold (a ``cond``'s branches, a ``scan``'s
# body). Those sub-graphs are node params, so interning shares them between equal nodes traced
# at different lines; the enclosing graph's table knows this trace's lines for their nodes.
# Set only by ``with`` blocks (per thread and task); no result depends on it, only reported
# locations do.
_ENCLOSING: contextvars.ContextVar = contextvars.ContextVar("wire_enclosing_locs", default=())


@contextlib.contextmanager
def locating_by(graph: "Graph"):
    """Inside the block, every graph's :meth:`Graph.loc` looks in ``graph``'s location table
    first (after those of graphs already entered): what runs, prints or transforms ``graph``
    wraps its work in this, so the sub-graphs inside its nodes report ``graph``'s lines."""
    table = graph.locs
    chain = _ENCLOSING.get()
    if not table or any(t is table for t in chain):
        yield
        return
    token = _ENCLOSING.set(chain + (table,))
    try:
        yield
    finally:
        _ENCLOSING.reset(token)


def _holds_graphs(items: tuple) -> bool:
    """Whether a node's params (its sorted ``_items``) hold a graph, as :func:`sub_graphs`
    finds them (read from the items tuple: no walk over the params mapping)."""
    for _, v in items:
        t = type(v)
        if t is Graph or (t is tuple and v and type(v[0]) is Graph):
            return True
    return False


def sub_graphs(params) -> list:
    """The graphs a node's params hold (a ``cond``'s branches, a loop's body and condition,
    a custom rule's call graph); ``[]`` for ordinary params."""
    out = []
    for v in params.values():
        if type(v) is Graph:
            out.append(v)
        elif type(v) is tuple and v and type(v[0]) is Graph:
            out.extend(g for g in v if type(g) is Graph)
    return out


def nested_locs(nodes, table: Mapping, into: dict) -> dict:
    """Add to ``into`` (without overriding) the locations of the nodes of the sub-graphs that
    ``nodes`` hold, at any depth, as a trace closes: from ``table`` (the trace's recording,
    which has them for a control-flow node that ``bind`` found already interned) else from
    the sub-graph's own table (the trace made it; its table covers its own sub-graphs).
    Returns ``into``. The graph keeps them, as interning may swap in another trace's
    sub-graphs for equal ones."""
    # (a node's items tuple says whether it has params, without the pmap's __len__)
    stack = [(g, g.locs) for n in nodes if n._items and not n.is_leaf
             for g in sub_graphs(n.params)]
    seen: set = set()
    while stack:
        g, own = stack.pop()
        if id(g) in seen:
            continue
        seen.add(id(g))
        for m in g.nodes:
            if m.is_leaf:
                continue
            loc = table.get(m) or own.get(m)
            if loc is not None:
                into.setdefault(m, loc)
            if m.params:
                stack.extend((h, own) for h in sub_graphs(m.params))
    return into


def live_nodes(graph: "Graph") -> list:
    """The nodes whose locations ``graph`` can report: its own (in order) and those of the
    sub-graphs its nodes hold, at any depth (each sub-graph once, in the order met)."""
    out = list(graph.nodes)
    # (the items tuple says whether a node holds graphs: sub_graphs runs for those only)
    stack = [g for n in reversed(out) if n._items and _holds_graphs(n._items)
             and type(n.op) is not LeafOp for g in reversed(sub_graphs(n.params))]
    seen: set = set()
    while stack:
        g = stack.pop()
        if id(g) in seen:
            continue
        seen.add(id(g))
        nodes = g.nodes
        out.extend(nodes)
        stack.extend(h for n in reversed(nodes) if n.params and not n.is_leaf
                     for h in reversed(sub_graphs(n.params)))
    return out


def live_locs(graph: "Graph") -> "Graph":
    """``graph`` with a location table of only the nodes it can report on (see
    :func:`live_nodes`): passes and traces leave entries for nodes they made and dropped,
    which every later copy of the table would carry. The same graph if nothing is dropped.

    >>> import wire
    >>> g = wire.trace(lambda x: x * 2.0 + 1.0, 1.0)
    >>> smaller = Graph(g.inputs, [g.outputs[0].inputs[0]], locs=g.locs)
    >>> len(smaller.locs), len(live_locs(smaller).locs)
    (2, 1)
    """
    table = graph.locs
    if not table:
        return graph
    get = table.get  # (one lookup per node; a table never holds _ABSENT)
    nodes = graph.nodes
    # one walk over the graph's own nodes, noting those that hold graphs as it goes (hold
    # returns None: every node goes on to the lookup); if some do, live_nodes' walk, which
    # adds their sub-graphs' nodes
    holders: list = []
    hold = holders.append
    kept = {n: loc for n in nodes
            if (n._items and _holds_graphs(n._items) and hold(n)) or
            (loc := get(n, _ABSENT)) is not _ABSENT}
    if holders:
        kept = {n: loc for n in live_nodes(graph) if (loc := get(n, _ABSENT)) is not _ABSENT}
    return graph if len(kept) == len(table) else graph.with_locs(kept)


def adopt_sub_graph_locs(node: Node, params: Mapping, table: dict) -> None:
    """``node`` was made from ``params``; if it was interned before, it holds the sub-graphs
    of its first maker (with their lines) instead of ``params``' equal ones: put the lines
    of ``params``' graphs (their own sub-graphs' included) in ``table``, the table of the
    graph being built, so that graph reports them (see :func:`locating_by`)."""
    held = node.params
    for k, v in params.items():
        if (type(v) is Graph or type(v) is tuple and v and type(v[0]) is Graph) \
                and held.get(k) is not v:
            for fresh in (v,) if type(v) is Graph else v:
                if type(fresh) is Graph and fresh.locs:
                    for m, loc in fresh.locs.items():
                        table.setdefault(m, loc)


def located(graph: "Graph") -> "Graph":
    """``graph`` with a table of the lines it reports here (inside :func:`locating_by`
    blocks: the enclosing graphs'), for its nodes and its sub-graphs' — what pickling
    writes for a sub-graph, which interning may share with another trace."""
    table: dict = {}
    stack, seen = [graph], set()
    while stack:
        g = stack.pop()
        if id(g) in seen:
            continue
        seen.add(id(g))
        for m in g.nodes:
            if m.is_leaf:
                continue
            loc = g.loc(m)
            if loc is not None:
                table.setdefault(m, loc)
            if m.params:
                stack.extend(sub_graphs(m.params))
    return graph.with_locs(table)


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
    with locating_by(graph):  # its sub-graphs print the lines of this graph's trace
        return _format_graph(graph, indent)


def _format_graph(graph: Graph, indent: int) -> str:
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
        loc = graph.loc(n)
        if loc:
            line = f"{line:<60}  # {loc}"
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

    ``locs`` maps nodes to the user's ``file:line`` where *this* graph's trace made them.
    Nodes are interned, so one node may belong to graphs traced from different lines; its
    own ``node.loc`` is where it was first made anywhere. The table is not part of the
    graph's structure (equal graphs may carry different tables); :meth:`loc` is what
    printing, ``debug_nans`` and error messages report.

    >>> import wire, wire.numpy as wnp
    >>> g = wire.trace(lambda x: wnp.sin(x) * x, 0.5)
    >>> len(g), [n.op.name for n in g.nodes]
    (2, ['input', 'sin', 'mul'])
    >>> g == wire.trace(lambda x: wnp.sin(x) * x, 0.5)      # equal structure, equal graphs
    True
    """

    __slots__ = ("inputs", "outputs", "in_tree", "out_tree", "locs", "_nodes", "_hash",
                 "_locs_key", "_free", "_len")

    def __init__(
        self,
        inputs: Sequence[Node],
        outputs: Sequence[Node],
        in_tree: TreeDef | None = None,
        out_tree: TreeDef | None = None,
        locs: Mapping | None = None,
    ):
        sa = object.__setattr__
        inputs, outputs = tuple(inputs), tuple(outputs)
        sa(self, "inputs", inputs)
        sa(self, "outputs", outputs)
        sa(self, "in_tree", in_tree if in_tree is not None else _flat_tree(len(inputs)))
        sa(self, "out_tree", out_tree if out_tree is not None else _flat_tree(len(outputs)))
        sa(self, "locs", locs if locs is not None else _NO_LOCS)
        sa(self, "_nodes", None)
        sa(self, "_len", None)
        sa(self, "_free", None)
        sa(self, "_hash", hash((inputs, outputs, self.in_tree, self.out_tree)))
        sa(self, "_locs_key", None)

    def loc(self, node: Node) -> str | None:
        """Where this graph's trace made ``node`` (``file:line``), else where it was first
        made (``node.loc``). Inside :func:`locating_by` blocks, the enclosing graphs' tables
        are asked first (the node may be in a sub-graph shared with another trace).

        >>> import wire, wire.numpy as wnp
        >>> g = wire.trace(lambda x: wnp.sin(x) * 2.0, 0.5)
        >>> g.loc(g.outputs[0])                      # the line of the lambda in this example
        '<doctest wire.ir.graph.Graph.loc[1]>:1'
        """
        for table in _ENCLOSING.get():
            got = table.get(node)
            if got is not None:
                return got
        return self.locs.get(node) or node.loc

    def locator(self):
        """:meth:`loc` as a plain function of the node, for a walk that asks it for every node
        and enters no :func:`locating_by` block meanwhile (the blocks entered now are read
        once, here).

        >>> import wire, wire.numpy as wnp
        >>> g = wire.trace(lambda x: wnp.sin(x) * 2.0, 0.5)
        >>> g.locator()(g.outputs[0]) == g.loc(g.outputs[0])
        True
        """
        own = self.locs
        chain = _ENCLOSING.get()
        get = own.get
        if not chain:
            return lambda node: get(node) or node.loc
        if len(chain) == 1 and chain[0] is own:  # (inside locating_by(self))
            def loc(node):
                got = get(node)
                return node.loc if got is None else got
            return loc
        return self.loc

    @property
    def locs_key(self) -> int:
        """A hash of the locations of this graph's nodes (computed once): caches that hand
        back graphs derived from this one key on it, so the graph they hand back reports
        this graph's locations, not those of an equal graph traced elsewhere. Inside a
        :func:`locating_by` block, the locations it reports there (a sub-graph shared by
        interning reports the enclosing graph's lines)."""
        if _ENCLOSING.get():  # inside an enclosing graph's block: the lines it reports here
            return hash(frozenset((n, self.loc(n)) for n in self.nodes if not n.is_leaf))
        key = self._locs_key
        if key is None:
            # only the entries of its own nodes and its sub-graphs' count (a table may hold
            # more: the nodes a trace or a pass made and dropped), in node order — equal
            # graphs list equal nodes in the same order, and a tuple of strings hashes
            # without calling Node.__hash__ (the frozenset of items was quadratic-looking on
            # grad(grad) of big graphs, whose tables held 3x more entries than nodes)
            table = self.locs
            key = hash(tuple([table.get(n) for n in live_nodes(self)])) if table else 0
            object.__setattr__(self, "_locs_key", key)
        return key

    def with_locs(self, locs: Mapping) -> "Graph":
        """This graph with the location table ``locs``.

        >>> import wire
        >>> g = wire.trace(lambda x: x * 2.0, 0.5)
        >>> h = g.with_locs({g.outputs[0]: "model.py:7"})
        >>> h == g, h.loc(h.outputs[0])                # same structure, other lines
        (True, 'model.py:7')
        """
        g = Graph(self.inputs, self.outputs, self.in_tree, self.out_tree, locs)
        object.__setattr__(g, "_nodes", self._nodes)
        object.__setattr__(g, "_len", self._len)
        return g

    def __setattr__(self, name, value):
        raise AttributeError("wire graphs are immutable: Graph attributes cannot be set")

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return (
            isinstance(other, __class__)  # (not the global: gone at interpreter exit)
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
            leaves: list = []
            order = _toposort(self.inputs + self.outputs, leaves)
            object.__setattr__(self, "_nodes", pvector(order))
            if self._len is None:  # (len(graph) then needs no walk: leaf ops have no inputs)
                object.__setattr__(self, "_len", len(order) - len(
                    [1 for n in leaves if type(n.op) is LeafOp]))
        return self._nodes

    def __len__(self):
        n = self._len
        if n is None:  # (counted once: simplify compares sizes after every round)
            n = len([1 for n in self.nodes if type(n.op) is not LeafOp])
            object.__setattr__(self, "_len", n)
        return n

    @property
    def in_avals(self):
        return tuple(n.aval for n in self.inputs)

    @property
    def out_avals(self):
        return tuple(n.aval for n in self.outputs)

    @property
    def closes_over_inputs(self) -> bool:
        """Whether this graph uses input nodes of another graph (possible only for graphs
        built while a transform runs user code): graphs derived from it must not take
        positional inputs, which could be the very same nodes."""
        ins = set(self.inputs)
        return any(n.op is input_op and n not in ins for n in self.nodes)

    @property
    def free_vars(self) -> tuple[Node, ...]:
        """Leaf nodes that are neither inputs nor constants (open-trace args, named vars)."""
        if self._free is None:  # computed once: every call of a graph asks
            ins = set(self.inputs)
            object.__setattr__(self, "_free", tuple(  # (type(op): no property call per node)
                n for n in self.nodes
                if type(n.op) is LeafOp and n.op is not const_op and n not in ins
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
        with locating_by(self):  # sub-graphs go with the lines this graph reports for them
            flat = tuple((n.op, tuple(pos[i] for i in n.inputs), _located_params(n.params),
                          n.aval, self.loc(n)) for n in nodes)
        return _graph_from_flat, (
            flat, tuple(pos[n] for n in self.inputs), tuple(pos[n] for n in self.outputs),
            self.in_tree, self.out_tree,
        )


def graph_in_order(inputs, outputs, in_tree, out_tree, locs, nodes: list) -> Graph:
    """``Graph(inputs, outputs, in_tree, out_tree, locs)`` whose node order is known already:
    ``nodes`` must be ``toposort(inputs + outputs)`` (a trace that renamed its nodes walked
    them in that order; the graph then need not walk them again).

    >>> import wire
    >>> g = wire.trace(lambda x: x * 2.0, 1.0)
    >>> h = graph_in_order(g.inputs, g.outputs, g.in_tree, g.out_tree, g.locs, list(g.nodes))
    >>> h == g and list(h.nodes) == list(g.nodes)
    True
    """
    g = Graph(inputs, outputs, in_tree, out_tree, locs)
    object.__setattr__(g, "_nodes", pvector(nodes))
    return g


def _located_params(params):
    if not params or not sub_graphs(params):
        return params
    return pmap({k: located(v) if type(v) is Graph else
                 tuple(located(g) for g in v) if type(v) is tuple and v and type(v[0]) is Graph
                 else v for k, v in params.items()})


def _graph_from_flat(flat, inputs, outputs, in_tree, out_tree) -> Graph:
    nodes: list[Node] = []
    locs: dict = {}
    for op, ins, params, aval, loc in flat:
        node = make_node(op, tuple(nodes[i] for i in ins), params, aval, loc)
        nodes.append(node)
        if loc is not None and node.loc != loc:
            locs[node] = loc
        if params:
            adopt_sub_graph_locs(node, params, locs)
    return Graph([nodes[i] for i in inputs], [nodes[i] for i in outputs], in_tree, out_tree,
                 locs)


def fresh_inputs(avals, graph: Graph | None = None, start: int = 0) -> list[Node]:
    """Input nodes for a graph being derived from ``graph`` (its ``start``-th input onwards).

    Positional ``input`` nodes, so that equal derivations give equal graphs — unless
    ``graph`` closes over input nodes of another graph: an ``input(i)`` of ours could then be
    one of those very nodes (interning makes equal nodes one), merging two different values.
    Such a graph gets argument nodes of its own tag instead, which nothing else can share.
    """
    if graph is not None and graph.closes_over_inputs:
        tag = TraceTag()
        return [arg_node(start + i, a, tag) for i, a in enumerate(avals)]
    return [input_node(start + i, a) for i, a in enumerate(avals)]


def carry_locs(graph: Graph, mapping: Mapping | None = None, into: dict | None = None) -> dict:
    """The location table of a graph made from ``graph`` by replacing nodes per ``mapping``
    (old node -> new node; nodes not in it are kept): each new node reports the location of
    the old one. ``into``: a table to add to (its entries win)."""
    table = dict(into) if into else {}
    if mapping is None:
        for n, loc in graph.locs.items():
            table.setdefault(n, loc)
        return table
    for old, new in mapping.items():
        loc = graph.loc(old)
        if loc is not None:
            table.setdefault(new, loc)
    for n, loc in graph.locs.items():  # kept nodes, and the nodes of sub-graphs
        if n not in mapping:
            table.setdefault(n, loc)
    return table


@functools.lru_cache(maxsize=64)
def _flat_tree(n: int) -> TreeDef:
    # one object per n: eager calls key their memos on it, and identity compares fastest
    return TreeDef("tuple", tuple, None, (LEAF,) * n)
