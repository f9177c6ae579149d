"""The ``while`` primitive: operands ``(*cond_consts, *body_consts, *carry)``, params ``cond``,
``body`` (closed graphs), ``cond_nconsts``, ``body_nconsts``; outputs the final carry.

Forward mode differentiates through the loop (a ``while`` over the carry and its tangents);
reverse mode has no VJP, since the trip count depends on the data and the steps to store are
not known in advance (``wire.fori_loop`` with static bounds and ``wire.scan`` are reverse-mode
differentiable). A batched predicate runs until every example is done, freezing the finished
ones.
"""

from __future__ import annotations

import numpy as np

from ..core import NoCotangent, bind, to_tracer
from ..core.lowering import XpImpl
from ..core.primitive import Primitive
from ..core.formula import NoFormula
from ..errors import NonDifferentiableError, ShapeError, at
from ..ir import Aval, Graph
from ..ops.batching import batch_size, materialize
from ..ops.elementwise import convert, gt
from ..ops.reductions import reduce_sum
from .scan import body_jvp_graph, body_series_graph, carry_nonzero, series_flags
from .subgraph import (
    batch_graph,
    batch_to_front,
    batched_outputs,
    check_avals,
    closed_graph,
    coef_flags,
    flat_coefs,
    fresh,
    fmt_avals,
    inline,
    loc_of,
    pick,
    runner,
    select_examples,
    series_mask,
    spread,
    unflat_coefs,
    zeros_if_none,
)


def _while_split(args, ncc, nbc):
    return list(args[:ncc]), list(args[ncc:ncc + nbc]), list(args[ncc + nbc:])


def _while_impl(*args, cond, body, cond_nconsts, body_nconsts):
    cc, bc, carry = _while_split(args, cond_nconsts, body_nconsts)
    test, step = runner(cond), runner(body)
    while bool(test(cc + carry)[0]):
        carry = step(bc + carry)
    return fresh(carry, args)  # (no step: the initial carry, not the caller's array)


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
    new_body = body_jvp_graph(body, nb, nk, b_nz, k_nz, [], [])
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


def _while_taylor(series, out, *args, cond, body, cond_nconsts, body_nconsts):
    """The loop over the carry and its Taylor coefficients; the predicate reads the carry."""
    order = len(next(s for s in series if s is not None))
    cc, bc, carry = _while_split(args, cond_nconsts, body_nconsts)
    _, sb, sk = _while_split(series, cond_nconsts, body_nconsts)
    nb, nk = len(bc), len(carry)
    b_has = [series_mask(s) for s in sb]
    k_has, _ = series_flags(body, nb, nk, b_has, [series_mask(s) for s in sk], [], order)
    new_body = body_series_graph(body, nb, nk, b_has, k_has, [], [], order)
    n_in = len(cond.inputs)
    extra = [a for a, h in zip(body.out_avals, k_has) for f in (coef_flags(h, order) or ())
             if f]
    new_cond = closed_graph(lambda *a: inline(cond, a[:n_in]), list(cond.in_avals) + extra)
    res = while_bind(cc, bc + flat_coefs(sb, b_has, bc, order),
                     carry + flat_coefs(sk, k_has, carry, order), cond=new_cond, body=new_body)
    return tuple(unflat_coefs(res[nk:], k_has, order))


def _while_vjp(ct, out, *args, cond, body, cond_nconsts, body_nconsts):
    # The predicate's operands and integer values get no cotangent (zero, as in JAX): a
    # loop whose float carry does not depend on what is differentiated (only its trip count
    # does) has derivative zero. A float carry or body operand that does cannot be reversed.
    error = NonDifferentiableError(
        "reverse-mode derivative of wire.while_loop: its trip count depends on the data, so "
        "the steps to store are not known in advance. Use wire.fori_loop with concrete "
        "(Python int) bounds or wire.scan with a fixed length, which are differentiable in "
        f"reverse mode; forward mode (wire.jvp) works through while_loop{at(loc_of(out))}"
    )
    return tuple(None if k < cond_nconsts or x.dtype.kind not in "fc" else NoCotangent(error)
                 for k, x in enumerate(args))


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
    # (a count of the running examples, not their max: that has no value over a batch of 0)
    any_cond = closed_graph(
        lambda *a: [gt(reduce_sum(convert(inline(cond_v, a)[0], np.int64), None), 0)],
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
    sympy=NoFormula("a loop whose trip count depends on the values has no closed formula"),
    taylor=_while_taylor,
)
