"""The counts and tables the simplification passes read without walking a graph again:
``len(graph)`` counted from the leaves its topological walk met, and ``live_locs``' one walk
that only descends into sub-graphs where a node holds them. Each is checked against the plain
definition it stands for, on graphs with input-less operations that are not leaves (``full``),
with sub-graphs (``cond``, ``scan``) and on a derivative graph."""

import numpy as np

import wire
import wire.numpy as wnp
from wire.ir import Graph, live_locs, toposort
from wire.ir.graph import live_nodes
from wire.ir.nodes import LeafOp
from wire.transforms.rules import DERIVATIVES


def _graphs():
    def chain(x):
        for _ in range(5):
            x = wnp.tanh(wnp.sin(x) * 1.01) * 0.99
        return x

    def with_full(x):  # zeros_like: a full node (no inputs, not a leaf op)
        return x * 2.0 + wnp.zeros_like(x) + wnp.ones(3)

    def with_cond(x):
        return wire.cond(x.sum() > 0, lambda v: wnp.sin(v) * 2.0, lambda v: v * v, x)

    def with_scan(xs):
        return wire.scan(lambda c, x: (c * x + 1.0, c), 1.0, xs)[0]

    x = np.linspace(0.1, 0.7, 3)
    out = [wire.trace(chain, 0.3), wire.trace(with_full, x), wire.trace(with_cond, x),
           wire.trace(with_scan, x)]
    out.append(wire.grad(out[0], simplify=False))
    out.append(wire.simplify(out[-1], DERIVATIVES))
    return out


def test_len_counts_the_operation_nodes():
    for g in _graphs():
        fresh = Graph(g.inputs, g.outputs, g.in_tree, g.out_tree)  # (len not yet known)
        want = sum(1 for n in toposort(g.inputs + g.outputs) if not isinstance(n.op, LeafOp))
        assert len(fresh) == want
        assert len(fresh.with_locs({})) == want


def test_live_locs_keeps_exactly_the_entries_of_live_nodes():
    for g in _graphs():
        live = live_nodes(g)
        dead = wire.trace(lambda x: wnp.cos(x) * 3.0, 0.25).outputs[0]  # not in g
        table = dict(g.locs)
        for n in live[::2]:
            table.setdefault(n, "here.py:1")
        table[dead] = "elsewhere.py:2"
        h = live_locs(g.with_locs(table))
        want = {n: table[n] for n in live if n in table}
        assert dict(h.locs) == want
        assert dead not in h.locs
        assert list(h.nodes) == list(g.nodes)
        # nothing to drop: the same graph back
        assert live_locs(h) is h
