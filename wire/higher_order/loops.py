"""Graph passes for loops: share and prune ``scan`` nodes (``scan``'s ``simplify_pass``, run
by ``wire.simplify``). The passes take the scan primitive as an argument.

* :func:`merge_loops` — a scan whose body outputs are a prefix of another scan's (same
  operands and params) is read from the larger one: the primal loop and the
  residual-saving loop of its VJP become one.
* :func:`prune_loops` — per-step outputs (``ys``) that nothing reads are dropped from the body.
* :func:`fori_bounds` — JAX's rules for ``fori_loop``'s bounds: which loop, which index type.

The two passes are ``Graph -> Graph``, keep inputs, structure and output avals, and rebuild in one
topological walk.
"""

from __future__ import annotations

import numpy as np

from ..core import Tracer, proj_p
from ..errors import WireTypeError, WireValueError, at, user_location
from ..ir import Graph, Node, carry_locs, located, make_node, sub_graphs, toposort, with_inputs


def _rebuild(graph: Graph, visit, first=()) -> Graph:
    """``graph`` rebuilt in one topological walk: ``visit(node, inputs, env)`` returns the new
    node for ``node`` given its rebuilt ``inputs`` (``env`` maps old nodes to new ones);
    ``first``: nodes to rebuild (with what they use) before the rest."""
    env: dict[Node, Node] = {}
    for n in toposort(list(first) + list(graph.outputs)) if first else graph.nodes:
        ins = tuple([env[i] for i in n.inputs])
        env[n] = visit(n, ins, env)
    outs = [env[o] for o in graph.outputs]
    if all(a is b for a, b in zip(outs, graph.outputs)):
        return graph
    changed = {old: new for old, new in env.items() if old is not new}
    locs = carry_locs(graph, changed)  # each new node where the old one was traced
    for old in changed:  # a new loop's body is made of the old one's nodes: their lines
        for g in sub_graphs(old.params) if old.params else ():
            for m, loc in located(g).locs.items():
                locs.setdefault(m, loc)
    return Graph(graph.inputs, outs, graph.in_tree, graph.out_tree, locs)


def _same(n: Node, ins: tuple) -> Node:
    if all(a is b for a, b in zip(ins, n.inputs)):
        return n
    return with_inputs(n, ins)


def merge_loops(graph: Graph, scan) -> Graph:
    """Let scans that differ only by extra per-step outputs share one loop.

    The VJP of ``scan`` runs a forward scan whose body is the primal body plus residual
    outputs; when the primal scan's results are needed too (``value_and_grad``, or a loss
    that uses the final carry), both would run. Here every output of a scan whose body
    outputs are a prefix of another scan's (same operands and params) is read from the larger
    scan instead. A ``Graph -> Graph`` pass; ``wire.simplify`` runs it (:func:`simplify_loops`).

    >>> import numpy as np, wire
    >>> from wire.higher_order.scan import scan_p
    >>> f = lambda w: wire.scan(lambda c, x: (c * w + x, None), 0.0, np.ones(5))[0] ** 2
    >>> g = wire.trace(wire.grad(f, simplify=False), 0.5)
    >>> [n.op.name for n in g.nodes].count("scan"), [
    ...     n.op.name for n in merge_loops(g, scan_p).nodes].count("scan")
    (3, 2)
    """
    while True:  # one group at a time: merging one can make the operands of others equal
        target = _merge_targets(graph, scan)
        if not target:
            return graph

        def visit(n, ins, env):
            if n.op is proj_p and n.inputs[0] in target:
                big = env[target[n.inputs[0]]]
                return make_node(proj_p, (big,), n.params, n.aval, n.loc)
            return _same(n, ins)

        bigs = set(target.values())
        graph = _rebuild(graph, visit, first=[n for n in graph.nodes if n in bigs])


def _merge_targets(graph: Graph, scan) -> dict:
    """For the topologically first group of mergeable scans: {smaller scan: larger scan}."""
    groups: dict = {}
    for n in graph.nodes:
        if n.op is scan:
            p = n.params
            key = (n.inputs, p["length"], p["reverse"], p["num_consts"], p["num_carry"],
                   p["body"].inputs)
            groups.setdefault(key, []).append(n)
    for nodes in groups.values():
        nodes = sorted(nodes, key=lambda n: -len(n.params["body"].outputs))
        target = {}
        for i, small in enumerate(nodes):
            so = small.params["body"].outputs
            for big in nodes[:i]:
                bo = big.params["body"].outputs
                if len(bo) > len(so) and bo[:len(so)] == so:
                    target[small] = target.get(big, big)
                    break
        if target:
            return target
    return {}


def prune_loops(graph: Graph, scan) -> Graph:
    """Drop per-step outputs (``ys``) of scans that nothing reads.

    A gradient graph often keeps a forward scan only for its carries and residuals; the ys
    the user's loss computed per step are then dead work inside the loop (and dead memory),
    which a generic dead-node pass cannot see through the sub-graph boundary.

    >>> import numpy as np, wire
    >>> f = lambda xs: wire.scan(lambda c, x: (c + x, c * x), 0.0, xs)[0]
    >>> from wire.higher_order.scan import scan_p
    >>> g = prune_loops(wire.trace(f, np.ones(3)), scan_p)
    >>> [n for n in g.nodes if n.op is scan_p][0].params["body"].outputs[1:]
    ()
    """
    used: dict[Node, set] = {}
    for n in graph.nodes:
        if n.op is proj_p and n.inputs[0].op is scan:
            used.setdefault(n.inputs[0], set()).add(n.params["index"])
    keep: dict[Node, list] = {}
    for node, idx in used.items():
        nk, n_out = node.params["num_carry"], len(node.params["body"].outputs)
        kept = list(range(nk)) + [i for i in range(nk, n_out) if i in idx]
        if len(kept) < n_out:
            keep[node] = kept
    if not keep:
        return graph

    def visit(n, ins, env):
        if n in keep:
            body, kept = n.params["body"], keep[n]
            new_body = Graph(body.inputs, [body.outputs[i] for i in kept])
            return make_node(scan, ins, n.params.set("body", new_body),
                             tuple(n.aval[i] for i in kept), n.loc)
        if n.op is proj_p and n.inputs[0] in keep:
            index = keep[n.inputs[0]].index(n.params["index"])
            return make_node(proj_p, ins, n.params.set("index", index), n.aval, n.loc)
        return _same(n, ins)

    return _rebuild(graph, visit)


def simplify_loops(graph: Graph, scan) -> Graph:
    """:func:`merge_loops`, then :func:`prune_loops`: ``scan``'s ``simplify_pass``, which
    ``wire.simplify`` runs on graphs holding scans."""
    return prune_loops(merge_loops(graph, scan), scan)


# --------------------------------------------------------------------------- fori_loop's bounds


def _bound_dtype(x) -> np.dtype:
    if isinstance(x, Tracer):
        return x.dtype
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        return np.result_type(type(x))  # a Python number: bool, int64, float64, complex128
    return np.asarray(x).dtype


def _weak_bound(x) -> bool:
    """A Python int or a weakly typed tracer (a Python int given to ``jit``): JAX's weak type."""
    if isinstance(x, Tracer):
        return bool(getattr(x, "weak", False))
    return isinstance(x, int) and not isinstance(x, (bool, np.generic))


def fori_bounds(lower, upper, unroll=None):
    """JAX's rules for the bounds of ``fori_loop(lower, upper, ...)``.

    Returns ``("scan", lo, hi)`` (Python ints) when both bounds are concrete: the loop runs
    ``range(lo, hi)`` with a Python-int index (weakly typed, as in JAX), and float or bool
    bounds are truncated by ``int()`` as JAX's are. Otherwise ``("while", dtype)``: the index
    has ``dtype`` and runs while it is below ``upper``. As in JAX, the two bounds must have one
    dtype, except that a Python int goes with any signed integer; ``unroll`` (other than
    ``None``, ``False`` or 1) needs concrete bounds. Anything else raises a
    ``wire.WireError`` naming the dtypes.

    >>> fori_bounds(0, np.int32(3)), fori_bounds(0.0, 2.5)
    (('scan', 0, 3), ('scan', 0, 2))
    """
    ld, ud = _bound_dtype(lower), _bound_dtype(upper)
    for name, x, dt in (("lower", lower, ld), ("upper", upper, ud)):
        shape = tuple(x.shape) if isinstance(x, Tracer) else np.shape(x)
        if shape != () or dt.kind not in "biuf":
            raise WireTypeError(f"fori_loop: {name} must be a real scalar (an integer, as in "
                                f"range), got {dt}{list(shape)}{at(user_location())}")
    dtype = ld
    if ld != ud:
        lw, uw = _weak_bound(lower), _weak_bound(upper)
        if ld.kind == ud.kind == "i" and lw != uw:
            dtype = ud if lw else ld
        else:
            raise WireTypeError(
                f"fori_loop: lower and upper must have one dtype, got {ld} and {ud} (as in "
                f"JAX, only a Python int may go with another signed integer type; cast one "
                f"bound){at(user_location())}")
    if not isinstance(lower, Tracer) and not isinstance(upper, Tracer):
        try:
            return "scan", int(lower), int(upper)
        except (ValueError, OverflowError):
            raise WireValueError(f"fori_loop: the bounds {lower!r}, {upper!r} are not finite"
                                 f"{at(user_location())}") from None
    if unroll is not None and unroll is not False and unroll != 1:
        raise WireValueError(f"fori_loop: unroll={unroll!r} needs concrete bounds (the trip "
                             f"count of a traced bound is not known; JAX refuses it too)"
                             f"{at(user_location())}")
    return "while", dtype
