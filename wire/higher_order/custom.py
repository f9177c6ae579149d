"""The two generic primitives behind ``wire.custom_jvp`` and ``wire.custom_vjp``.

The user's function is a closed sub-graph in the params (so evaluation and printing need
nothing special) and the user's rule is a callable param. The registry stays closed: users
never add primitives, they parametrise these two.
"""

from __future__ import annotations

import numpy as np

from pyrsistent import pmap

from .. import tree
from ..core import TraceTag, Tracer, bind, evaluate_flat, to_tracer, trace
from ..core.lowering import xp_run_graph
from ..core.primitive import Primitive
from ..core.formula import call_graph as call_graph_formula
from ..core.taylor import BY_JVP
from ..errors import ShapeError, WireError, at, user_location
from ..ir import arg_op, make_node, substitute
from ..ops.batching import batch_size, to_front
from ..ops.elementwise import cos, exp, log1p, sin
from ..ops.layout import zeros_like_
from ..ops.reductions import reduce_sum
from ..transforms.jvp import forward
from ..transforms.vjp import backward
from ..transforms.vmap import vmap_flat, vmap_leaves
from .subgraph import jet_inline


def _run_graph(*args, graph, **_):
    return tuple(evaluate_flat(graph, list(args)))


def _out_avals(*avals, graph, **_):
    return tuple(graph.out_avals)


def _fit_list(values, like, who):
    values = list(values)
    if len(values) != len(like):
        raise WireError(f"{who} returned {len(values)} values where {len(like)} were expected"
                        + at(user_location()))
    out = []
    for i, (v, ref) in enumerate(zip(values, like)):
        v = to_tracer(v) if not isinstance(v, Tracer) else v
        if v.shape != ref.shape:
            raise ShapeError(
                f"{who}: entry {i} has shape {v.shape} but should match {ref.aval!r}"
                + at(user_location())
            )
        out.append(v)
    return out


# --------------------------------------------------------------------------- custom_jvp


def _custom_jvp_jvp(ts, out, *xs, graph, rule, in_tree, static, **_):
    ts = [zeros_like_(x) if t is None else t for t, x in zip(ts, xs)]
    primals = tree.unflatten(in_tree, list(xs))
    tangents = tree.unflatten(in_tree, ts)
    result = rule(*static, primals, tangents) if static else rule(primals, tangents)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise WireError("a custom_jvp rule must return a pair (primal_out, tangent_out)"
                        + at(user_location()))
    t_leaves = tree.leaves(result[1])
    return tuple(_fit_list(t_leaves, list(out), "custom_jvp rule's tangent output"))


def _custom_jvp_vjp(ct, out, *xs, graph, rule, in_tree, static, **params):
    # The JVP rule is linear in the tangents: its transpose at any tangent (we use fresh
    # placeholders) gives the VJP.
    tag = TraceTag()
    holders = [
        Tracer(make_node(arg_op, (), pmap({"index": i, "tag": tag}), x.aval))
        for i, x in enumerate(xs)
    ]
    tangents_out = _custom_jvp_jvp(
        tuple(holders), out, *xs, graph=graph, rule=rule, in_tree=in_tree, static=static
    )
    cts = backward([t.node for t in tangents_out], list(ct), [h.node for h in holders])
    zeros = {h.node: zeros_like_(h).node for h in holders}
    result = []
    for c in cts:
        if c is None:
            result.append(None)
        else:
            result.append(Tracer(substitute([c.node], zeros)[0]))
    return tuple(result)


def _log1pexp_graph():
    return trace(lambda x: log1p(exp(x)), np.zeros(3))


def _sample_custom_jvp(rng):
    def rule(primals, tangents):
        (x,), (t,) = primals, tangents
        return None, t * (1.0 - 1.0 / (1.0 + exp(x)))

    g = _log1pexp_graph()
    return [rng.normal(size=3)], {
        "graph": g, "rule": rule, "in_tree": tree.flatten((np.zeros(3),))[1], "static": (),
        "name": "log1pexp",
    }


# --------------------------------------------------------------------------- batching
# The batched node is again a custom call: its function graph is the batched graph, and its
# user rules are the user's rules under vmap (so derivatives taken *after* vmap still use the
# custom rule). Batched operands get their batch axis in front first, so every batched value
# inside (outputs, residuals, cotangents) is batched along axis 0. Cotangents of unbatched
# operands are summed over the batch, since one value served every example.


def _front(args, dims):
    size = batch_size(args, dims)
    xs = [x if d is None else to_front(x, d) for x, d in zip(args, dims)]
    return xs, [None if d is None else 0 for d in dims], size


def custom_jvp_batch(args, dims, *, graph, rule, in_tree, static, **params):
    xs, in_dims, size = _front(args, dims)
    out_dims = [0] * len(graph.outputs)

    def batched_rule(*a):
        *st, primals, tangents = a
        return vmap_leaves(lambda p, t: rule(*st, p, t), (primals, tangents), in_dims + in_dims)

    outs = bind(
        custom_jvp_call_p,
        *xs,
        graph=vmap_flat(graph, in_dims, size, out_dims),
        rule=batched_rule,
        in_tree=in_tree,
        static=static,
        **params,
    )
    return tuple(outs), tuple(out_dims)


def custom_vjp_batch(args, dims, *, graph, fwd, bwd, in_tree, out_tree, static, **params):
    xs, in_dims, size = _front(args, dims)
    out_dims = [0] * len(graph.outputs)
    n_static = len(static)

    def batched_fwd(*a):
        st, primals = a[:n_static], a[n_static:]
        return vmap_leaves(lambda *p: fwd(*st, *p), tuple(primals), in_dims)

    per_arg, start = [], 0  # the batch dims of each positional argument's leaves
    for child in in_tree.children:
        per_arg.append(in_dims[start : start + child.num_leaves])
        start += child.num_leaves

    def batched_bwd(*a):
        st, res, ct = a[:n_static], a[-2], a[-1]
        n_leaves = len(tree.leaves((res, ct)))
        cts = vmap_leaves(lambda r, c: bwd(*st, r, c), (res, ct), [0] * n_leaves)
        out = []
        for g, ds in zip(cts, per_arg):
            if g is None:
                out.append(None)
                continue
            leaves, g_tree = tree.flatten(g)
            leaves = [gl if d == 0 else reduce_sum(gl, (0,)) for gl, d in zip(leaves, ds)]
            out.append(tree.unflatten(g_tree, leaves))
        return tuple(out)

    outs = bind(
        custom_vjp_call_p,
        *xs,
        graph=vmap_flat(graph, in_dims, size, out_dims),
        fwd=batched_fwd,
        bwd=batched_bwd,
        in_tree=in_tree,
        out_tree=out_tree,
        static=static,
        **params,
    )
    return tuple(outs), tuple(out_dims)


custom_jvp_call_p = Primitive(
    "custom_jvp_call",
    _run_graph,
    _out_avals,
    jvp=_custom_jvp_jvp,
    vjp=_custom_jvp_vjp,
    batch=custom_jvp_batch,
    sample=_sample_custom_jvp,
    call_graph="graph",
    xp=xp_run_graph("graph"),
    doc="a user function (graph param) with a user-defined JVP rule (wire.custom_jvp)",
    sympy=call_graph_formula,
    # the user's rule, differentiated again for the higher orders (as nested jvp does)
    taylor=BY_JVP,
)


# --------------------------------------------------------------------------- custom_vjp


def _custom_vjp_vjp(ct, out, *xs, graph, fwd, bwd, in_tree, out_tree, static, name):
    primals = tree.unflatten(in_tree, list(xs))
    args = tuple(static) + tuple(primals)
    res = fwd(*args)
    if not (isinstance(res, (tuple, list)) and len(res) == 2):
        raise WireError(f"custom_vjp fwd of {name} must return a pair (output, residuals)"
                        + at(user_location()))
    ct_tree = tree.unflatten(out_tree, list(ct))
    got = bwd(*static, res[1], ct_tree)
    if not isinstance(got, (tuple, list)):
        raise WireError(
            f"custom_vjp bwd of {name} must return a tuple with one cotangent per "
            f"differentiable argument ({len(primals)}), got a {type(got).__name__}"
            + at(user_location())
        )
    if len(got) != len(primals):
        raise WireError(
            f"custom_vjp bwd of {name} returned {len(got)} cotangents for {len(primals)} "
            "differentiable arguments" + at(user_location())
        )
    flat = []
    for i, (g, p) in enumerate(zip(got, primals)):
        p_leaves, p_tree = tree.flatten(p)
        if g is None:
            flat.extend([None] * len(p_leaves))
            continue
        g_leaves, g_tree = tree.flatten(g)
        if g_tree != p_tree:
            raise WireError(
                f"custom_vjp bwd of {name}: cotangent {i} has structure {g_tree!r}, but "
                f"argument {i} has {p_tree!r}" + at(user_location())
            )
        for j, (gl, pl) in enumerate(zip(g_leaves, p_leaves)):
            gs = gl.shape if isinstance(gl, Tracer) else np.shape(gl)
            if tuple(gs) != pl.shape:
                raise ShapeError(
                    f"custom_vjp bwd of {name}: cotangent {i} (leaf {j}) has shape "
                    f"{tuple(gs)}, but argument {i} is {pl.aval!r}" + at(user_location())
                )
            flat.append(gl)
    return tuple(flat)


def _custom_vjp_jvp(ts, out, *xs, graph, **_):
    # Forward mode ignores the custom rule and differentiates the function itself.
    outs = substitute(list(graph.outputs), {i: x.node for i, x in zip(graph.inputs, xs)})
    tangents = forward(outs, [x.node for x in xs], list(ts))
    return tuple(zeros_like_(o) if t is None else t for t, o in zip(tangents, out))


def _custom_vjp_taylor(series, out, *xs, graph, **_):
    # As forward mode: the series of the function itself (JAX's jet does the same).
    _, found = jet_inline(graph, xs, series, len(next(s for s in series if s is not None)))
    return tuple(found)


def _sample_custom_vjp(rng):
    def fwd(x):
        return sin(x), cos(x)

    def bwd(c, g):
        return (g * c,)

    g = trace(lambda x: sin(x), np.zeros(3))
    return [rng.normal(size=3)], {
        "graph": g, "fwd": fwd, "bwd": bwd, "in_tree": tree.flatten((np.zeros(3),))[1],
        "out_tree": g.out_tree, "static": (), "name": "sin",
    }


custom_vjp_call_p = Primitive(
    "custom_vjp_call",
    _run_graph,
    _out_avals,
    jvp=_custom_vjp_jvp,
    vjp=_custom_vjp_vjp,
    batch=custom_vjp_batch,
    sample=_sample_custom_vjp,
    call_graph="graph",
    xp=xp_run_graph("graph"),
    doc="a user function (graph param) with user-defined fwd/bwd rules (wire.custom_vjp)",
    sympy=call_graph_formula,
    taylor=_custom_vjp_taylor,
)
