"""Control-flow primitives whose params hold immutable, closed sub-graphs.

* ``cond``  — operands ``(index, *ops)``, param ``branches`` (a tuple of graphs over ``ops``):
  runs ``branches[clip(index)]``. ``wire.cond`` is the two-branch case (false, true).
* ``scan``  — operands ``(*consts, *carry, *xs)``, params ``body`` (graph over
  ``consts + carry + x-slices`` returning ``new carry + y-slices``), ``length``, ``reverse``,
  ``num_consts``, ``num_carry``; outputs the final carry and the ys stacked on a new axis 0.
* ``while`` — operands ``(*cond_consts, *body_consts, *carry)``, params ``cond``, ``body``,
  ``cond_nconsts``, ``body_nconsts``; outputs the final carry.

Every sub-graph is closed (its free values were turned into operands by
``wire.api.control_flow``), so a sub-graph is a plain hashable value and evaluation, printing,
comparison and caching need nothing special. Each primitive returns a tuple of outputs.

Derivative rules build *new* sub-graphs from the old ones (Graph -> Graph, by tracing a
function that inlines the old graph and runs the jvp/vjp driver on it) and bind the same
primitives again, so derivatives of derivatives work: the VJP of ``scan`` is two ``scan``
nodes, which have VJPs of their own. Rules never trace a function that closes over a tracer
of the graph being transformed: helper traces close over graphs and masks only.

Reverse mode through ``scan`` stores residuals: a forward ``scan`` computes, next to the
carry and ys, the intermediates of the body that its VJP needs (values depending on the carry
or the x-slice), stacked over all steps; values depending only on the loop constants are
computed once outside the loop. A reverse ``scan`` then consumes them. Memory is
``length * (size of those per-step intermediates)``. ``while`` with a data-dependent trip
count has no VJP (forward mode works).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..core import bind, to_tracer
from ..core.lowering import XpImpl
from ..core.primitive import Primitive
from ..errors import NonDifferentiableError, ShapeError, at
from ..ir import Aval, Graph, Node, input_node, substitute
from ..ops.batching import batch_size, materialize, moveaxis, to_front
from ..ops.elementwise import ge, sin, tanh
from ..ops.layout import zeros_like_
from ..ops.reductions import reduce_max
from .loops import simplify_loops
from .subgraph import (
    batch_graph,
    batch_to_front,
    batched_outputs,
    check_avals,
    closed_graph,
    float_mask,
    fmt_avals,
    inline,
    jvp_inline,
    loc_of,
    out_nonzero,
    pick,
    run,
    runner,
    select_examples,
    spread,
    vjp_inline,
    zeros_if_none,
)

# --------------------------------------------------------------------------- cond / switch


def _cond_impl(index, *ops, branches):
    i = int(np.clip(int(np.asarray(index)), 0, len(branches) - 1))
    return tuple(run(branches[i], ops))


def _cond_shape(index, *ops, branches):
    if index.dtype.kind not in "iub" or index.shape != ():
        raise ShapeError(f"cond/switch: the branch index must be an integer scalar, got {index!r}")
    check_avals("cond/switch", [o for o in ops], branches[0].in_avals)
    return tuple(branches[0].out_avals)


def _cond_jvp_graph(branch: Graph, in_nz, out_f) -> Graph:
    n = len(branch.inputs)
    avals = list(branch.in_avals) + pick(branch.in_avals, in_nz)

    def fn(*args):
        primals = args[:n]
        ts = spread(args[n:], in_nz)
        outs, touts = jvp_inline(branch, primals, ts)
        return zeros_if_none(pick(touts, out_f), pick(outs, out_f))

    return closed_graph(fn, avals)


def _cond_jvp(ts, out, index, *ops, branches):
    in_nz = [t is not None for t in ts[1:]]
    out_f = float_mask(branches[0].out_avals)
    new = tuple(_cond_jvp_graph(b, in_nz, out_f) for b in branches)
    res = bind(cond_p, index, *ops, *[t for t in ts[1:] if t is not None], branches=new)
    return tuple(spread(res, out_f))


def _cond_vjp_graph(branch: Graph, in_f, out_f) -> Graph:
    n = len(branch.inputs)
    avals = list(branch.in_avals) + pick(branch.out_avals, out_f)

    def fn(*args):
        return vjp_inline(branch, args[:n], spread(args[n:], out_f), in_f)

    return closed_graph(fn, avals)


def _cond_vjp(ct, out, index, *ops, branches):
    in_f = [o.aval.is_float for o in ops]
    out_f = float_mask(branches[0].out_avals)
    if not any(in_f):
        return (None,) * (1 + len(ops))
    new = tuple(_cond_vjp_graph(b, in_f, out_f) for b in branches)
    res = bind(cond_p, index, *ops, *pick(ct, out_f), branches=new)
    return (None, *spread(res, in_f))


def _cond_batch(args, dims, *, branches):
    size = batch_size(args, dims)
    ops = batch_to_front(args[1:], dims[1:])
    in_b = [d is not None for d in dims[1:]]
    n_out = len(branches[0].outputs)
    if dims[0] is None:  # every example takes the same branch: batch the branches
        out_b = [any(bs) for bs in zip(*[batched_outputs(b, in_b) for b in branches])]
        new = tuple(batch_graph(b, in_b, size, out_b) for b in branches)
        return cond_bind(args[0], ops, new), tuple(0 if b else None for b in out_b)
    # A batched index: run every branch on the whole batch, then pick per example.
    idx = to_front(args[0], dims[0])
    results = [inline(batch_graph(b, in_b, size, [True] * n_out), ops) for b in branches]
    out = list(results[0])
    for k in range(1, len(branches)):  # index >= k takes branch k: clamps like the impl
        take = ge(idx, k)
        out = [select_examples(take, r, o, size) for o, r in zip(out, results[k])]
    return tuple(out), (0,) * n_out


def _cond_sample(rng):
    x, y = rng.normal(size=(3,)), rng.normal(size=(2, 3))
    avals = [Aval(x.shape, x.dtype), Aval(y.shape, y.dtype)]
    branches = (
        closed_graph(lambda a, b: [sin(a) * b], avals),
        closed_graph(lambda a, b: [a * a + b], avals),
        closed_graph(lambda a, b: [b - a], avals),
    )
    return [np.array(int(rng.integers(0, 3))), x, y], {"branches": branches}


def _cond_xp(bk, index, *ops, branches):
    i = int(np.clip(int(bk.scalar(index)), 0, len(branches) - 1))
    return tuple(bk.run(branches[i], ops))


cond_p = Primitive(
    "cond",
    _cond_impl,
    _cond_shape,
    jvp=_cond_jvp,
    vjp=_cond_vjp,
    batch=_cond_batch,
    xp=XpImpl(_cond_xp, "(branch on a scalar)"),
    sample=_cond_sample,
    doc="branches[clip(index)](*ops): switch/cond over closed sub-graphs (multi-output)",
)


def cond_bind(index, ops: Sequence, branches: tuple) -> tuple:
    """Bind ``cond_p``: ``branches[index](*ops)`` as a tuple of outputs."""
    return bind(cond_p, index, *ops, branches=tuple(branches))


# --------------------------------------------------------------------------- scan


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
    return tuple(np.asarray(c) for c in carry) + tuple(ys)


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


def _scan_jvp_graph(body: Graph, nc: int, nk: int, c_nz, k_nz, x_nz, y_nz) -> Graph:
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
    new = _scan_jvp_graph(body, nc, nk, c_nz, k_nz, x_nz, y_nz)
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
    return tuple(t_carry + t_ys)


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
    backward = Graph(new_inputs, substitute(list(vjp.outputs), mapping))
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
    g = _cond_vjp_graph(body, in_f, out_f)  # (primals, cts) -> cts of float primals
    hoisted, residuals, bwd = split_residuals(g, nc, np_)
    # Forward pass: the body also emits the residuals, stacked over the steps.
    fwd_body = Graph(body.inputs, list(body.outputs) + residuals)
    fwd = scan_bind(consts, carry, xs, body=fwd_body, length=length, reverse=reverse)
    saved = fwd[len(body.outputs):]
    hs = inline(Graph(g.inputs[:nc], hoisted), consts) if hoisted else []
    ct_k = pick(ct[:nk], k_f)
    ct_y = pick(ct[nk:], out_f[nk:])
    acc0 = [zeros_like_(c) for c in pick(consts, c_f)]
    nkf, ncf = len(ct_k), len(acc0)
    w = _scan_bwd_body(bwd, len(hs), len(saved), nkf, ncf, len(ct_y))
    res = scan_bind(hs, ct_k + acc0, list(saved) + ct_y, body=w, length=length,
                    reverse=not reverse)
    ct_init, ct_consts, ct_xs = res[:nkf], res[nkf:nkf + ncf], res[nkf + ncf:]
    return tuple(spread(ct_consts, c_f) + spread(ct_init, k_f) + spread(ct_xs, x_f))


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
)


# --------------------------------------------------------------------------- while


def _while_split(args, ncc, nbc):
    return list(args[:ncc]), list(args[ncc:ncc + nbc]), list(args[ncc + nbc:])


def _while_impl(*args, cond, body, cond_nconsts, body_nconsts):
    cc, bc, carry = _while_split(args, cond_nconsts, body_nconsts)
    test, step = runner(cond), runner(body)
    while bool(test(cc + carry)[0]):
        carry = step(bc + carry)
    return tuple(np.asarray(c) for c in carry)


def _while_shape(*avals, cond, body, cond_nconsts, body_nconsts):
    cc, bc, carry = _while_split(avals, cond_nconsts, body_nconsts)
    check_avals("while_loop cond", cc + carry, cond.in_avals)
    check_avals("while_loop body", bc + carry, body.in_avals)
    if tuple(body.out_avals) != tuple(carry):
        raise ShapeError(
            f"while_loop: the body returns {fmt_avals(body.out_avals)}, which differs from "
            f"the carry {fmt_avals(carry)}"
        )
    (c,) = cond.out_avals
    if c.shape != () or c.dtype != np.bool_:
        raise ShapeError(f"while_loop: cond must return a boolean scalar, got {c!r}")
    return tuple(carry)


def while_bind(cond_consts, body_consts, carry, *, cond, body) -> tuple:
    """Bind ``while_p``; returns the final carry as a tuple."""
    return bind(while_p, *cond_consts, *body_consts, *carry, cond=cond, body=body,
                cond_nconsts=len(cond_consts), body_nconsts=len(body_consts))


def _while_jvp(ts, out, *args, cond, body, cond_nconsts, body_nconsts):
    cc, bc, carry = _while_split(args, cond_nconsts, body_nconsts)
    _, tb, tk = _while_split(ts, cond_nconsts, body_nconsts)
    nb, nk = len(bc), len(carry)
    b_nz = [t is not None for t in tb]
    k_nz, _ = carry_nonzero(body, nb, nk, b_nz, [t is not None for t in tk], [])
    new_body = _scan_jvp_graph(body, nb, nk, b_nz, k_nz, [], [])
    n_in = len(cond.inputs)
    new_cond = closed_graph(
        lambda *a: inline(cond, a[:n_in]), list(cond.in_avals) + pick(body.out_avals, k_nz)
    )
    res = while_bind(
        cc, bc + [t for t in tb if t is not None], carry + zeros_if_none(pick(tk, k_nz),
                                                                           pick(carry, k_nz)),
        cond=new_cond, body=new_body,
    )
    return tuple(spread(res[nk:], k_nz))


def _while_vjp(ct, out, *args, cond, body, cond_nconsts, body_nconsts):
    raise NonDifferentiableError(
        "reverse-mode derivative of wire.while_loop: its trip count depends on the data, so "
        "the steps to store are not known in advance. Use wire.fori_loop with concrete "
        "(Python int) bounds or wire.scan with a fixed length, which are differentiable in "
        f"reverse mode; forward mode (wire.jvp) works through while_loop{at(loc_of(out))}"
    )


def _while_batch(args, dims, *, cond, body, cond_nconsts, body_nconsts):
    size = batch_size(args, dims)
    cc, bc, carry = _while_split(args, cond_nconsts, body_nconsts)
    dcc, dbc, dk = _while_split(dims, cond_nconsts, body_nconsts)
    cc_b, bc_b = [d is not None for d in dcc], [d is not None for d in dbc]
    k_b, _ = carry_nonzero_any(body, bc_b, [d is not None for d in dk])
    pred_b = batched_outputs(cond, cc_b + k_b)[0]
    if pred_b:  # examples stop at different steps: every carry differs per example
        k_b = [True] * len(carry)
    cc, bc = batch_to_front(cc, dcc), batch_to_front(bc, dbc)
    carry = [materialize(x, d, size, 0) if b else x for x, d, b in zip(carry, dk, k_b)]
    cond_v = batch_graph(cond, cc_b + k_b, size, [pred_b])
    body_v = batch_graph(body, bc_b + k_b, size, k_b)
    out_dims = tuple(0 if b else None for b in k_b)
    if not pred_b:
        return while_bind(cc, bc, carry, cond=cond_v, body=body_v), out_dims
    ncc, nbc = len(cc), len(bc)
    cc_avals = [to_tracer(x).aval for x in cc]
    bc_avals = [to_tracer(x).aval for x in bc]
    k_avals = [to_tracer(x).aval for x in carry]
    any_cond = closed_graph(lambda *a: [reduce_max(inline(cond_v, a)[0], None)],
                            cc_avals + k_avals)

    def masked_body(*a):  # update only the examples whose predicate still holds
        c_, b_, k_ = a[:ncc], a[ncc:ncc + nbc], a[ncc + nbc:]
        (take,) = inline(cond_v, list(c_) + list(k_))
        new = inline(body_v, list(b_) + list(k_))
        return [select_examples(take, n, o, size) for n, o in zip(new, k_)]

    body_m = closed_graph(masked_body, cc_avals + bc_avals + k_avals)
    return while_bind(cc, cc + bc, carry, cond=any_cond, body=body_m), out_dims


def carry_nonzero_any(body: Graph, c_b, k_b) -> tuple[list, list]:
    """Fixed point of which carries of a loop body depend on flagged inputs (any dtype)."""
    k_b = list(k_b)
    while True:
        ob = batched_outputs(body, list(c_b) + k_b)
        new = [a or b for a, b in zip(k_b, ob[:len(k_b)])]
        if new == k_b:
            return k_b, ob
        k_b = new


def _while_sample(rng):
    # Integer carries only: reverse mode through while_loop is an error by design, so the
    # generic registry test (which differentiates float operands) has nothing to check here;
    # tests/test_control_flow.py covers while_loop's forward mode.
    i64 = Aval((), np.int64)
    cond = closed_graph(lambda lim, i, j: [i < lim], [i64, i64, i64])
    body = closed_graph(lambda s, i, j: [i + 1, j * s], [i64, i64, i64])
    args = [np.array(int(rng.integers(0, 5))), np.array(2), np.array(0), np.array(1)]
    return args, {"cond": cond, "body": body, "cond_nconsts": 1, "body_nconsts": 1}


def _while_xp(bk, *args, cond, body, cond_nconsts, body_nconsts):
    cc, bc, carry = _while_split(args, cond_nconsts, body_nconsts)
    while bool(bk.scalar(bk.run(cond, cc + carry)[0])):
        carry = list(bk.run(body, bc + carry))
    return tuple(carry)


while_p = Primitive(
    "while",
    _while_impl,
    _while_shape,
    jvp=_while_jvp,
    vjp=_while_vjp,
    batch=_while_batch,
    xp=XpImpl(_while_xp, "(loop on a scalar predicate)"),
    sample=_while_sample,
    doc="repeat a closed body while a closed cond holds (forward-mode differentiable only)",
)
