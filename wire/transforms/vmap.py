"""Vectorisation (``vmap``) as a graph transform.

:func:`vmap_flat` takes a graph traced at the shapes of *one example* and returns the graph
that computes a whole batch at once. Its inputs are the batched versions of the old ones
(``size`` inserted at each input's batch axis; ``None`` = same value for every example). The
driver walks the nodes in topological order, tracking for each node its new value and where
its batch axis is (``None``: not batched). A node none of whose inputs is batched is kept as
it is (rebuilt on the new inputs, which interning makes the very same node when nothing
changed), so work that does not depend on the batch is done once. A node with a batched input
goes to its primitive's batching rule (``Primitive.batch``, see ``wire.ops.batching``); the driver checks what the rule
returns against the node's shape and dtype. Outputs get their batch axis moved to where
``out_dims`` asks (unbatched outputs are broadcast along it).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import tree
from ..core import Tracer, call_graph_flat, flat_avals, to_tracer, trace_flat
from ..core.locations import _SITE, recording, rule_site
from ..errors import WireError, at
from ..ir import Aval, Graph, Node, fresh_inputs, gc_paused, locating_by, with_inputs
from ..ops.batching import materialize, moveaxis


def batched_aval(aval: Aval, d, size: int) -> Aval:
    """``aval`` with an axis of ``size`` inserted at ``d`` (``d=None``: unchanged)."""
    if d is None:
        return aval
    s = aval.shape
    return Aval(s[:d] + (size,) + s[d:], aval.dtype)


def vmap_flat(graph: Graph, in_dims: Sequence, size: int, out_dims: Sequence) -> Graph:
    """The batched graph of ``graph``: flat ``in_dims``/``out_dims`` (int or None per input /
    output leaf, non-negative), batch ``size``. Structure (``in_tree``/``out_tree``) is kept."""
    with gc_paused():  # see wire.ir.pause
        return _vmap_flat(graph, in_dims, size, out_dims)


def _vmap_flat(graph: Graph, in_dims: Sequence, size: int, out_dims: Sequence) -> Graph:
    inputs = fresh_inputs(
        [batched_aval(n.aval, d, size) for n, d in zip(graph.inputs, in_dims)], graph)
    # env: old node -> (new Node, None) when unbatched, else (Tracer or tuple of them, dim(s))
    env: dict[Node, tuple] = {
        old: ((new, None) if d is None else (Tracer(new), d))
        for old, new, d in zip(graph.inputs, inputs, in_dims)
    }
    with recording() as table, locating_by(graph):  # sub-graphs: graph's lines
        for node in graph.nodes:
            if node in env:
                continue
            if node.is_leaf:  # constants, named vars, values of an enclosing trace
                env[node] = (node, None)
                continue
            ins = [env[i] for i in node.inputs]
            if all(d is None for _, d in ins):
                new_ins = tuple(v for v, _ in ins)
                same = all(a is b for a, b in zip(new_ins, node.inputs))
                new = node if same else with_inputs(node, new_ins)
                env[node] = (new, None)
                continue
            token = _SITE.set(rule_site(graph.loc(node)))
            try:
                env[node] = _apply_rule(node, ins, size, graph)
            finally:
                _SITE.reset(token)
        outs = [
            _place_output(env[o], d, size, k, o, graph)
            for k, (o, d) in enumerate(zip(graph.outputs, out_dims))
        ]
    return Graph(inputs, outs, graph.in_tree, graph.out_tree, _locs(graph, env, table))


def _locs(graph: Graph, env: dict, table: dict) -> dict:
    """The batched graph's locations: each node's batched value where the old node was."""
    for old, (value, _) in env.items():
        for v in value if isinstance(value, tuple) else (value,):
            node = v.node if isinstance(v, Tracer) else v
            if not node.is_leaf and node not in table:
                loc = graph.loc(old)
                if loc is not None:
                    table[node] = loc
    for n, loc in graph.locs.items():  # the sub-graphs' lines (unbatched loops keep theirs)
        table.setdefault(n, loc)
    return table


def _apply_rule(node: Node, ins, size: int, graph: Graph):
    prim = node.op
    if prim.batch is None:
        raise WireError(
            f"vmap: primitive {prim.name!r} ({node.aval!r}) has no batching rule; give it "
            f"batch= (see wire/ops/batching.py){at(graph.loc(node))}"
        )
    args = [Tracer(v) if d is None else v for v, d in ins]
    dims = [d for _, d in ins]
    out, out_dim = prim.batch(args, dims, **node.params)
    if isinstance(node.aval, tuple):
        outs = tuple(
            _checked(prim, o, d, a, size, node, graph)
            for o, d, a in zip(out, out_dim, node.aval)
        )
        # the outputs stay tracers even where unbatched (proj's rule hands them on as values)
        return tuple(Tracer(o) if d is None else o for o, d in outs), tuple(d for _, d in outs)
    return _checked(prim, out, out_dim, node.aval, size, node, graph)


def _checked(prim, out, d, aval: Aval, size: int, node: Node, graph: Graph):
    """``(value, dim)`` in env form, after checking the rule's result has the right shape."""
    t = to_tracer(out)
    got = t.aval
    want = aval if d is None else batched_aval(aval, d, size) if aval.shape is not None else aval
    if (want.shape is not None and got.shape != want.shape) or got.dtype != aval.dtype:
        raise WireError(
            f"vmap: the batching rule of {prim.name!r} returned {got!r} with batch axis {d}, "
            f"expected {want!r} (unbatched {aval!r}, batch size {size}) — a bug in the rule"
            f"{at(graph.loc(node))}"
        )
    return (t.node, None) if d is None else (t, d)


def _place_output(entry, d_out, size: int, k: int, old: Node, graph: Graph) -> Node:
    value, d = entry
    if d is None:
        if d_out is None:
            return value
        return to_tracer(materialize(Tracer(value), None, size, d_out)).node
    if d_out is None:
        raise WireError(
            f"vmap: out_axes is None for output {k} ({old.aval!r}), but it depends on the "
            f"mapped inputs; give it an axis to map it along{at(graph.loc(old))}"
        )
    return to_tracer(moveaxis(value, d, d_out)).node


def vmap_leaves(fn, args: tuple, dims) -> object:
    """``fn(*args)`` computed for every example at once: ``args`` is a tuple of pytrees whose
    leaves are batched at axis 0 where ``dims`` (one 0/None per leaf) says. The result's
    leaves are batched at axis 0. The function form of :func:`vmap_flat` for rules that batch
    a user's function (``wire.vmap`` is the public one, with ``in_axes`` and error messages).

    >>> import numpy as np
    >>> vmap_leaves(lambda a, b: a * b, (np.arange(3.0), np.array(2.0)), [0, None])
    array([0., 2., 4.])
    """
    leaves, in_tree = tree.flatten(tuple(args))
    size = next(to_tracer(x).shape[0] for x, d in zip(leaves, dims) if d is not None)
    avals = [a if d is None else Aval(a.shape[1:], a.dtype)
             for a, d in zip(flat_avals(leaves, in_tree), dims)]
    graph = trace_flat(fn, avals, in_tree)
    batched = vmap_flat(graph, list(dims), size, [0] * len(graph.outputs))
    return tree.unflatten(graph.out_tree, call_graph_flat(batched, leaves))
