"""The ``scan`` primitive: operands ``(*consts, *carry, *xs)``, params ``body`` (a closed graph
over ``consts + carry + x-slices`` returning ``new carry + y-slices``), ``length``,
``reverse``, ``num_consts``, ``num_carry``; outputs the final carry and the ys stacked on a
new axis 0.

Derivative rules build new body graphs from the old one and bind ``scan`` again: the VJP of
``scan`` is two ``scan`` nodes, which have VJPs of their own. Reverse mode stores residuals: a
forward ``scan`` computes, next to the carry and ys, the intermediates of the body that its
VJP needs (values depending on the carry or the x-slice), stacked over all steps; values
depending only on the loop constants are computed once outside the loop. A reverse ``scan``
then consumes them. Memory is ``length * (size of those per-step intermediates)``.
``wire.simplify`` merges and prunes scans through ``scan``'s ``simplify_pass``.
"""

from __future__ import annotations

import numpy as np

from ..core import bind
from ..core.lowering import XpImpl
from ..core.primitive import Primitive
from ..core.formula import ARRAYS_ONLY, NoFormula
from ..errors import ShapeError
from ..ir import Aval, Graph, Node, carry_locs, input_node, located, substitute_map
from ..ops.batching import batch_size, materialize, moveaxis
from ..ops.elementwise import tanh
from ..ops.layout import zeros_like_
from .cond import branch_vjp_graph
from ..transforms.vjp import WithPrimals
from .loops import simplify_loops
from .subgraph import (
    batch_graph,
    batch_to_front,
    batched_outputs,
    calls_custom,
    check_avals,
    closed_graph,
    coef_count,
    coef_flags,
    flat_coefs,
    float_mask,
    fresh,
    fmt_avals,
    inline,
    jet_inline,
    jvp_inline,
    mask_union,
    out_nonzero,
    pick,
    rebased_graph,
    runner,
    series_coefs,
    series_mask,
    spread,
    unflat_coefs,
    zeros_if_none,
)


def _scan_split(args, nc, nk):
    return list(args[:nc]), list(args[nc:nc + nk]), list(args[nc + nk:])


def _scan_impl(*args, body, length, reverse, num_consts, num_carry):
    consts, carry, xs = _scan_split(args, num_consts, num_carry)
    xs = [np.asarray(x) for x in xs]
    y_avals = body.out_avals[num_carry:]
    ys = [np.empty((length,) + a.shape, a.dtype) for a in y_avals]
    steps = range(length - 1, -1, -1) if reverse else range(length)
    step = runner(body)
    for i in steps:
        outs = step(consts + carry + [x[i] for x in xs])
        carry = outs[:num_carry]
        for y, v in zip(ys, outs[num_carry:]):
            y[i] = v
    return fresh(list(carry) + ys, args)  # (no step: the initial carry, not the caller's)


def _scan_shape(*avals, body, length, reverse, num_consts, num_carry):
    consts, carry, xs = _scan_split(avals, num_consts, num_carry)
    for x in xs:
        if not x.shape or x.shape[0] != length:
            raise ShapeError(
                f"scan over length {length}: every xs leaf needs a leading axis of that length, "
                f"got {x!r}"
            )
    sliced = [Aval(x.shape[1:], x.dtype) for x in xs]
    check_avals("scan", consts + carry + sliced, body.in_avals)
    outs = body.out_avals
    if tuple(outs[:num_carry]) != tuple(carry):
        raise ShapeError(
            f"scan: the body returns a carry {fmt_avals(outs[:num_carry])} that differs from the "
            f"initial carry {fmt_avals(carry)}"
        )
    return tuple(carry) + tuple(Aval((length,) + a.shape, a.dtype) for a in outs[num_carry:])


def scan_bind(consts, carry, xs, *, body, length, reverse=False) -> tuple:
    """Bind ``scan_p``; returns ``final carry + stacked ys`` as one tuple."""
    return bind(
        scan_p, *consts, *carry, *xs, body=body, length=int(length), reverse=bool(reverse),
        num_consts=len(consts), num_carry=len(carry),
    )


def carry_nonzero(body: Graph, nc: int, nk: int, c_nz, k_nz, x_nz) -> tuple[list, list]:
    """Fixed point of which carries have nonzero tangents; also which body outputs do."""
    k_nz = list(k_nz)
    while True:
        onz = out_nonzero(body, list(c_nz) + k_nz + list(x_nz))
        new = [a or b for a, b in zip(k_nz, onz[:nk])]
        if new == k_nz:
            return k_nz, onz
        k_nz = new


def body_jvp_graph(body: Graph, nc: int, nk: int, c_nz, k_nz, x_nz, y_nz) -> Graph:
    ins = list(body.in_avals)
    cs, ks, xs = ins[:nc], ins[nc:nc + nk], ins[nc + nk:]
    avals = cs + pick(cs, c_nz) + ks + pick(ks, k_nz) + xs + pick(xs, x_nz)
    sizes = [nc, sum(c_nz), nk, sum(k_nz), len(xs), sum(x_nz)]

    def fn(*args):
        parts, k = [], 0
        for s in sizes:
            parts.append(list(args[k:k + s]))
            k += s
        c, tc, kk, tk, x, tx = parts
        ts = spread(tc, c_nz) + spread(tk, k_nz) + spread(tx, x_nz)
        outs, touts = jvp_inline(body, c + kk + x, ts)
        carry, ys = outs[:nk], outs[nk:]
        tcarry = zeros_if_none(pick(touts[:nk], k_nz), pick(carry, k_nz))
        tys = zeros_if_none(pick(touts[nk:], y_nz), pick(ys, y_nz))
        return carry + tcarry + ys + tys

    return closed_graph(fn, avals)


def _scan_jvp(ts, out, *args, body, length, reverse, num_consts, num_carry):
    nc, nk = num_consts, num_carry
    consts, carry, xs = _scan_split(args, nc, nk)
    tc, tk, tx = _scan_split(ts, nc, nk)
    c_nz = [t is not None for t in tc]
    x_nz = [t is not None for t in tx]
    k_nz, onz = carry_nonzero(body, nc, nk, c_nz, [t is not None for t in tk], x_nz)
    y_nz = onz[nk:]
    new = body_jvp_graph(body, nc, nk, c_nz, k_nz, x_nz, y_nz)
    tk = zeros_if_none(pick(tk, k_nz), pick(carry, k_nz))
    res = scan_bind(
        consts + [t for t in tc if t is not None],
        carry + tk,
        xs + [t for t in tx if t is not None],
        body=new, length=length, reverse=reverse,
    )
    nkt, ny = sum(k_nz), len(body.outputs) - nk
    t_carry = spread(res[nk:nk + nkt], k_nz)
    t_ys = spread(res[nk + nkt + ny:], y_nz)
    if not calls_custom(body):
        return tuple(t_carry + t_ys)
    # the primal outputs as the custom rules in the body compute them (wire.transforms.vjp)
    return WithPrimals(t_carry + t_ys, list(res[:nk]) + list(res[nk + nkt:nk + nkt + ny]))


def body_series_graph(body: Graph, nc: int, nk: int, c_has, k_has, x_has, y_has,
                      order: int, found_sink: list | None = None) -> Graph:
    """The body's Taylor mode: inputs ``consts + their coefficients + carry + its coefficients
    + x-slices + their coefficients``, outputs likewise for the new carry and the y-slices.
    The flags (see :func:`coef_flags`) say which coefficients are passed: the others are
    known zeros, which the body skips as the driver does outside a loop (their ``0 · inf``
    was NaN). ``found_sink`` receives the flags of what the body's outputs have."""
    ins = list(body.in_avals)
    cs, ks, xs = ins[:nc], ins[nc:nc + nk], ins[nc + nk:]

    def rep(avals, has):
        return [a for a, h in zip(avals, has) for f in (coef_flags(h, order) or ()) if f]

    groups = [cs, rep(cs, c_has), ks, rep(ks, k_has), xs, rep(xs, x_has)]

    def fn(*args):
        parts, k = [], 0
        for g in groups:
            parts.append(list(args[k:k + len(g)]))
            k += len(g)
        c, tc, kk, tk, x, tx = parts
        series = (unflat_coefs(tc, c_has, order) + unflat_coefs(tk, k_has, order)
                  + unflat_coefs(tx, x_has, order))
        outs, found = jet_inline(body, c + kk + x, series, order)
        if found_sink is not None:
            found_sink.extend(series_mask(f) for f in found)
        carry, ys = outs[:nk], outs[nk:]
        return (carry + flat_coefs(found[:nk], k_has, carry, order)
                + ys + flat_coefs(found[nk:], y_has, ys, order))

    return closed_graph(fn, [a for g in groups for a in g])


def series_flags(body: Graph, nc: int, nk: int, c_has, k_has, x_has, order: int):
    """``(carry flags, y flags)`` of a loop body in Taylor mode: the carry's are a fixed point
    (a coefficient is passed on if the initial carry or some step may make it nonzero)."""
    k_has = list(k_has)
    while True:
        found: list = []
        body_series_graph(body, nc, nk, c_has, k_has, x_has, [None] * (len(body.outputs) - nk),
                          order, found)
        new = [mask_union(a, b) for a, b in zip(k_has, found[:nk])]
        if new == k_has:
            return k_has, found[nk:]
        k_has = new


def _scan_taylor(series, out, *args, body, length, reverse, num_consts, num_carry):
    nc, nk = num_consts, num_carry
    order = len(next(s for s in series if s is not None))
    consts, carry, xs = _scan_split(args, nc, nk)
    sc, sk, sx = _scan_split(series, nc, nk)
    c_has = [series_mask(s) for s in sc]
    x_has = [series_mask(s) for s in sx]
    k_has, y_has = series_flags(body, nc, nk, c_has, [series_mask(s) for s in sk], x_has,
                                order)
    new = body_series_graph(body, nc, nk, c_has, k_has, x_has, y_has, order)
    res = scan_bind(
        consts + flat_coefs(sc, c_has, consts, order),
        carry + flat_coefs(sk, k_has, carry, order),
        xs + flat_coefs(sx, x_has, xs, order),
        body=new, length=length, reverse=reverse,
    )
    nkt, ny = coef_count(k_has, order), len(body.outputs) - nk
    return tuple(unflat_coefs(res[nk:nk + nkt], k_has, order)
                 + unflat_coefs(res[nk + nkt + ny:], y_has, order))


def split_residuals(vjp: Graph, nc: int, np_: int):
    """Split a body's VJP graph into what the forward pass must save and a backward graph.

    ``vjp`` has inputs ``consts (nc) + per-step primals + cotangents`` (primals end at
    ``np_``). Returns ``(hoisted, residuals, backward)``: nodes that depend on the constants
    only (computed once, outside the loop), nodes that depend on per-step primals (saved
    each step), and a closed graph ``(hoisted, residuals, cotangents) -> vjp outputs``.
    """
    const_in, vary_in, ct_in = vjp.inputs[:nc], vjp.inputs[nc:np_], vjp.inputs[np_:]
    d_ct, d_var, d_const = set(ct_in), set(vary_in), set(const_in)
    order = list(vjp.nodes)
    for n in order:
        for i in n.inputs:
            if i in d_ct:
                d_ct.add(n)
            if i in d_var:
                d_var.add(n)
            if i in d_const:
                d_const.add(n)
    boundary: set[Node] = set()
    for n in order:
        if n in d_ct and not n.is_leaf:
            boundary.update(i for i in n.inputs if i not in d_ct)
    boundary.update(o for o in vjp.outputs if o not in d_ct)
    residuals = [n for n in order if n in boundary and n in d_var]
    hoisted = [n for n in order if n in boundary and n not in d_var and n in d_const]
    new_inputs = [
        input_node(k, n.aval) for k, n in enumerate(hoisted + residuals + list(ct_in))
    ]
    mapping = dict(zip(hoisted + residuals + list(ct_in), new_inputs))
    new = substitute_map(list(vjp.outputs), mapping)
    backward = Graph(new_inputs, [new[o] for o in vjp.outputs], locs=carry_locs(vjp, new))
    return hoisted, residuals, backward


def _scan_bwd_body(bwd: Graph, nh: int, nr: int, nkf: int, ncf: int, nyf: int) -> Graph:
    """Reverse-scan body: (hoisted, ct_carry, acc, residuals_t, ct_y_t) -> (ct_carry, acc, ct_x)."""
    ins = list(bwd.in_avals)
    h, r, k = ins[:nh], ins[nh:nh + nr], ins[nh + nr:nh + nr + nkf]
    yv = ins[nh + nr + nkf:]
    acc = list(bwd.out_avals[:ncf])
    avals = h + k + acc + r + yv

    def fn(*args):
        a_h = args[:nh]
        a_k = args[nh:nh + nkf]
        a_acc = args[nh + nkf:nh + nkf + ncf]
        a_r = args[nh + nkf + ncf:nh + nkf + ncf + nr]
        a_y = args[nh + nkf + ncf + nr:]
        outs = inline(bwd, list(a_h) + list(a_r) + list(a_k) + list(a_y))
        ct_c, ct_k, ct_x = outs[:ncf], outs[ncf:ncf + nkf], outs[ncf + nkf:]
        return list(ct_k) + [a + c for a, c in zip(a_acc, ct_c)] + list(ct_x)

    return closed_graph(fn, avals)


def _scan_vjp(ct, out, *args, body, length, reverse, num_consts, num_carry):
    nc, nk = num_consts, num_carry
    consts, carry, xs = _scan_split(args, nc, nk)
    np_ = len(body.inputs)
    in_f, out_f = float_mask(body.in_avals), float_mask(body.out_avals)
    c_f, k_f, x_f = in_f[:nc], in_f[nc:nc + nk], in_f[nc + nk:]
    if not any(in_f):
        return (None,) * len(args)
    g = branch_vjp_graph(body, in_f, out_f)  # (primals, cts) -> cts of float primals
    hoisted, residuals, bwd = split_residuals(g, nc, np_)
    # Forward pass: the body also emits the residuals, stacked over the steps. It computes
    # the carries as the custom rules inside do (fwd), so outer derivatives differentiate
    # the rules' code (wire.transforms.vjp: rules apply once).
    primal_body = rebased_graph(body, True) if calls_custom(body) else body
    fwd_body = Graph(body.inputs, list(primal_body.outputs) + residuals,
                     locs=carry_locs(g, into=located(body).locs))
    fwd = scan_bind(consts, carry, xs, body=fwd_body, length=length, reverse=reverse)
    saved = fwd[len(body.outputs):]
    hs = inline(Graph(g.inputs[:nc], hoisted, locs=g.locs), consts) if hoisted else []
    ct_k = pick(ct[:nk], k_f)
    ct_y = pick(ct[nk:], out_f[nk:])
    acc0 = [zeros_like_(c) for c in pick(consts, c_f)]
    nkf, ncf = len(ct_k), len(acc0)
    w = _scan_bwd_body(bwd, len(hs), len(saved), nkf, ncf, len(ct_y))
    res = scan_bind(hs, ct_k + acc0, list(saved) + ct_y, body=w, length=length,
                    reverse=not reverse)
    ct_init, ct_consts, ct_xs = res[:nkf], res[nkf:nkf + ncf], res[nkf + ncf:]
    cts = tuple(spread(ct_consts, c_f) + spread(ct_init, k_f) + spread(ct_xs, x_f))
    if primal_body is body:
        return cts
    return WithPrimals(cts, fwd[:len(body.outputs)])


def _scan_batch(args, dims, *, body, length, reverse, num_consts, num_carry):
    size = batch_size(args, dims)
    nc, nk = num_consts, num_carry
    consts, carry, xs = _scan_split(args, nc, nk)
    dc, dk, dx = _scan_split(dims, nc, nk)
    c_b, x_b = [d is not None for d in dc], [d is not None for d in dx]
    k_b = [d is not None for d in dk]
    while True:  # a carry is batched if its initial value or its update is
        ob = batched_outputs(body, c_b + k_b + x_b)
        new = [a or b for a, b in zip(k_b, ob[:nk])]
        if new == k_b:
            break
        k_b = new
    y_b = ob[nk:]
    consts = batch_to_front(consts, dc)
    carry = [materialize(x, d, size, 0) if b else x for x, d, b in zip(carry, dk, k_b)]
    xs = [x if d is None else moveaxis(x, d, 1) for x, d in zip(xs, dx)]  # axis 0 is time
    new_body = batch_graph(body, c_b + k_b + x_b, size, k_b + y_b)
    outs = scan_bind(consts, carry, xs, body=new_body, length=length, reverse=reverse)
    return outs, tuple([0 if b else None for b in k_b] + [1 if b else None for b in y_b])


def _scan_sample(rng):
    w = rng.normal(size=(3, 3)) * 0.5
    h0 = rng.normal(size=(3,))
    xs = rng.normal(size=(4, 3))
    a = Aval((3,), np.float64)
    body = closed_graph(
        lambda w_, h, x: [tanh(w_ @ h + x), h * x], [Aval((3, 3), np.float64), a, a]
    )
    params = {"body": body, "length": 4, "reverse": bool(rng.integers(0, 2)),
              "num_consts": 1, "num_carry": 1}
    return [w, h0, xs], params


def _scan_xp(bk, *args, body, length, reverse, num_consts, num_carry):
    consts, carry, xs = _scan_split(args, num_consts, num_carry)
    ys: list[list] = [[] for _ in body.outputs[num_carry:]]
    steps = range(length - 1, -1, -1) if reverse else range(length)
    for i in steps:
        outs = bk.run(body, consts + carry + [x[i, ...] for x in xs])
        carry = list(outs[:num_carry])
        for y, v in zip(ys, outs[num_carry:]):
            y.append(v)
    if reverse:
        ys = [y[::-1] for y in ys]
    stacked = []
    for y, a in zip(ys, body.out_avals[num_carry:]):
        stacked.append(bk.xp.stack(y) if y else bk.xp.zeros((0,) + a.shape, dtype=bk.dtype(a.dtype)))
    return tuple(carry) + tuple(stacked)


scan_p = Primitive(
    "scan",
    _scan_impl,
    _scan_shape,
    jvp=_scan_jvp,
    vjp=_scan_vjp,
    batch=_scan_batch,
    xp=XpImpl(_scan_xp, "stack"),
    sample=_scan_sample,
    simplify_pass=lambda graph: simplify_loops(graph, scan_p),
    doc="loop a closed body over the leading axis of xs, threading a carry (multi-output)",
    sympy=NoFormula("a loop over array slices: " + ARRAYS_ONLY.reason),
    taylor=_scan_taylor,
)


