"""The two generic primitives behind ``wire.custom_jvp`` and ``wire.custom_vjp``.

The user's function is a closed sub-graph in the params (so evaluation and printing need
nothing special) and the user's rule is a callable param. The registry stays closed: users
never add primitives, they parametrise these two.
"""

from __future__ import annotations

import numpy as np

from .. import tree
from ..errors import ShapeError, WireError, at, user_location
from ..ir import make_node
from ..core.primitive import Primitive
from ..core import TraceTag, Tracer
from ..transforms.vjp import backward
from ..transforms.vmap_custom import custom_jvp_batch, custom_vjp_batch
from .shape import to_tracer, zeros_like_


def _run_graph(*args, graph, **_):
    from ..core import evaluate_flat

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
    from pyrsistent import pmap

    from ..ir import arg_op

    holders = [
        Tracer(make_node(arg_op, (), pmap({"index": i, "tag": tag}), x.aval))
        for i, x in enumerate(xs)
    ]
    tangents_out = _custom_jvp_jvp(
        tuple(holders), out, *xs, graph=graph, rule=rule, in_tree=in_tree, static=static
    )
    cts = backward([t.node for t in tangents_out], list(ct), [h.node for h in holders])
    from ..ir import substitute

    zeros = {h.node: zeros_like_(h).node for h in holders}
    result = []
    for c in cts:
        if c is None:
            result.append(None)
        else:
            result.append(Tracer(substitute([c.node], zeros)[0]))
    return tuple(result)


def _log1pexp_graph():
    from ..core import trace

    from .elementwise import exp, log1p

    return trace(lambda x: log1p(exp(x)), np.zeros(3))


def _sample_custom_jvp(rng):
    from .elementwise import exp

    def rule(primals, tangents):
        (x,), (t,) = primals, tangents
        return None, t * (1.0 - 1.0 / (1.0 + exp(x)))

    g = _log1pexp_graph()
    return [rng.normal(size=3)], {
        "graph": g, "rule": rule, "in_tree": tree.flatten((np.zeros(3),))[1], "static": (),
        "name": "log1pexp",
    }


custom_jvp_call_p = Primitive(
    "custom_jvp_call",
    _run_graph,
    _out_avals,
    jvp=_custom_jvp_jvp,
    vjp=_custom_jvp_vjp,
    batch=custom_jvp_batch,
    sample=_sample_custom_jvp,
    doc="a user function (graph param) with a user-defined JVP rule (wire.custom_jvp)",
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
    from ..transforms.jvp import forward
    from ..ir import substitute

    outs = substitute(list(graph.outputs), {i: x.node for i, x in zip(graph.inputs, xs)})
    tangents = forward(outs, [x.node for x in xs], list(ts))
    return tuple(zeros_like_(o) if t is None else t for t, o in zip(tangents, out))


def _sample_custom_vjp(rng):
    from .elementwise import cos, sin

    def fwd(x):
        return sin(x), cos(x)

    def bwd(c, g):
        return (g * c,)

    from ..core import trace

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
    doc="a user function (graph param) with user-defined fwd/bwd rules (wire.custom_vjp)",
)
