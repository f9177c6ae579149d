"""The ``while`` primitive: operands ``(*cond_consts, *body_consts, *carry)``, params ``cond``,
``body`` (closed graphs), ``cond_nconsts``, ``body_nconsts``; outputs the final carry.

Forward mode differentiates through the loop (a ``while`` over the carry and its tangents);
reverse mode has no VJP, since the trip count depends on the data and the steps to store are
not known in advance (``wire.fori_loop`` with static bounds and ``wire.scan`` are reverse-mode
differentiable). A batched predicate runs until every example is done, freezing the finished
ones.

``recomputing_while`` (:func:`reversible_while`) is the same loop with a reverse mode: its
VJP counts the steps, then runs them backwards, recomputing the carry of step ``j`` from the
initial one (``j`` body evaluations: ``N²/2`` for ``N`` steps, no stored steps), so reverse
mode and the transpose of its forward-mode derivative (``jacrev(jacfwd(f))``, a custom JVP
rule's transpose) work through it, at a quadratic cost. Wire's own loops of few steps use it
(``expm``'s squarings); ``wire.while_loop`` stays forward-mode only, as JAX's.
"""

from __future__ import annotations

import functools

import numpy as np

from ..core import NoCotangent, bind, to_tracer
from ..core.lowering import XpImpl
from ..core.primitive import Primitive
from ..core.formula import NoFormula
from ..errors import NonDifferentiableError, ShapeError, at
from ..ir import Aval, Graph
from ..ops.batching import batch_size, materialize
from ..ops.elementwise import add, convert, gt, lt, sub
from ..ops.layout import zeros_like_
from ..ops.reductions import reduce_sum
from .cond import branch_vjp_graph
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


def while_bind(cond_consts, body_consts, carry, *, cond, body, prim=None) -> tuple:
    """Bind ``while_p`` (or ``prim``, ``recomputing_while_p``); returns the final carry as a
    tuple."""
    return bind(while_p if prim is None else prim, *cond_consts, *body_consts, *carry,
                cond=cond, body=body, cond_nconsts=len(cond_consts),
                body_nconsts=len(body_consts))


def _while_jvp(ts, out, *args, cond, body, cond_nconsts, body_nconsts, prim=None):
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
        cond=new_cond, body=new_body, prim=prim,
    )
    return tuple(spread(res[nk:], k_nz))


def _while_taylor(series, out, *args, cond, body, cond_nconsts, body_nconsts, prim=None):
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
                     carry + flat_coefs(sk, k_has, carry, order), cond=new_cond, body=new_body,
                     prim=prim)
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


def _while_batch(args, dims, *, cond, body, cond_nconsts, body_nconsts, prim=None):
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
        return while_bind(cc, bc, carry, cond=cond_v, body=body_v, prim=prim), out_dims
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
    return while_bind(cc, cc + bc, carry, cond=any_cond, body=body_m, prim=prim), out_dims


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


# --------------------------------------------------------------------------- recomputing_while
# A while loop with a reverse mode by recomputation. Its forward mode, batching and series
# are while_p's, binding this primitive again (so the loops they make keep the reverse mode).


def _count_graph(cond: Graph, body: Graph, ncc: int, nbc: int) -> tuple[Graph, Graph]:
    """cond and body of the loop over ``(n, *carry)`` that also counts its steps in ``n``."""
    cc_avals, bc_avals = list(cond.in_avals[:ncc]), list(body.in_avals[:nbc])
    k_avals = list(body.out_avals)
    i64 = Aval((), np.dtype(np.int64))
    new_cond = closed_graph(lambda *a: inline(cond, list(a[:ncc]) + list(a[ncc + 1:])),
                            cc_avals + [i64] + k_avals)
    new_body = closed_graph(
        lambda *a: [add(a[nbc], np.int64(1))] + inline(body, list(a[:nbc]) + list(a[nbc + 1:])),
        bc_avals + [i64] + k_avals)
    return new_cond, new_body


def _steps_graphs(body: Graph, nbc: int) -> tuple[Graph, Graph]:
    """cond and body of the loop over ``(i, *carry)`` taking ``j`` steps (``j`` its one cond
    constant): the carry of step ``j`` recomputed from the initial one."""
    bc_avals, k_avals = list(body.in_avals[:nbc]), list(body.out_avals)
    i64 = Aval((), np.dtype(np.int64))
    cond = closed_graph(lambda j, i, *k: [lt(i, j)], [i64, i64] + k_avals)
    step = closed_graph(
        lambda *a: [add(a[nbc], np.int64(1))] + inline(body, list(a[:nbc]) + list(a[nbc + 1:])),
        bc_avals + [i64] + k_avals)
    return cond, step


def _recomputing_vjp(ct, out, *args, cond, body, cond_nconsts, body_nconsts):
    """Count the steps ``N``; then for ``j = N - 1 … 0`` recompute the carry of step ``j``
    from the initial carry and pull the cotangent back through one step of the body. The
    predicate's operands (and integers) get no cotangent, as ``wire.while_loop``'s
    trip count has no derivative (as in forward mode, and in JAX)."""
    ncc, nbc = cond_nconsts, body_nconsts
    cc, bc, carry = _while_split(args, ncc, nbc)
    nk = len(carry)
    b_f = [to_tracer(x).aval.is_float for x in bc]
    k_f = [to_tracer(x).aval.is_float for x in carry]
    if not any(b_f) and not any(k_f):
        return (None,) * len(args)
    prim = recomputing_while_p
    count_cond, count_body = _count_graph(cond, body, ncc, nbc)
    zero = np.int64(0)
    n = while_bind(cc, bc, [zero] + list(carry), cond=count_cond, body=count_body,
                   prim=prim)[0]
    steps_cond, steps_body = _steps_graphs(body, nbc)
    ct_k = [zeros_like_(x) if c is None else c
            for c, x in zip(pick(list(ct), k_f), pick(carry, k_f))]
    acc0 = [zeros_like_(x) for x in pick(bc, b_f)]
    nkf, nbf = len(ct_k), len(acc0)
    bc_avals, k_avals = list(body.in_avals[:nbc]), list(body.out_avals)
    i64 = Aval((), np.dtype(np.int64))
    ct_avals = pick(k_avals, k_f)
    acc_avals = pick(bc_avals, b_f)

    # one step pulled back, on its own inputs (not through the loop recomputing x_j)
    pull = branch_vjp_graph(body, b_f + k_f, k_f)

    def back(*a):  # consts (bc, carry0), then (j, ct_k, acc)
        b_, k0 = list(a[:nbc]), list(a[nbc:nbc + nk])
        j, ct_, acc = a[nbc + nk], list(a[nbc + nk + 1:nbc + nk + 1 + nkf]), list(
            a[nbc + nk + 1 + nkf:])
        j1 = sub(j, np.int64(1))
        x_j = while_bind([j1], b_, [zero] + k0, cond=steps_cond, body=steps_body,
                         prim=prim)[1:]
        pulled = inline(pull, b_ + list(x_j) + ct_)
        ct_b, ct_prev = pulled[:nbf], pulled[nbf:]
        return [j1] + list(ct_prev) + [p + q for p, q in zip(acc, ct_b)]

    back_graph = closed_graph(back, bc_avals + k_avals + [i64] + ct_avals + acc_avals)
    back_cond = closed_graph(lambda j, *rest: [gt(j, np.int64(0))], [i64] + ct_avals
                             + acc_avals)
    res = while_bind([], list(bc) + list(carry), [n] + ct_k + acc0, cond=back_cond,
                     body=back_graph, prim=prim)
    ct_init, ct_b = res[1:1 + nkf], res[1 + nkf:]
    return tuple([None] * ncc + spread(list(ct_b), b_f) + spread(list(ct_init), k_f))


def _recomputing_sample(rng):
    # float carries (a step count, and x) and a float body constant: the registry tests
    # check the VJP and the JVP
    f0, f3 = Aval((), np.dtype(np.float64)), Aval((3,), np.dtype(np.float64))
    # (the limit 2.5 and the count's start 0: a small change of either keeps 3 steps)
    cond = closed_graph(lambda lim, i, x: [lt(i, lim)], [f0, f0, f3])
    body = closed_graph(lambda w, i, x: [add(i, 1.0), x * w + w], [f3, f0, f3])
    args = [np.array(2.5), rng.normal(size=3), np.array(0.0), rng.normal(size=3)]
    return args, {"cond": cond, "body": body, "cond_nconsts": 1, "body_nconsts": 1}


def _with_prim(rule):
    return functools.wraps(rule)(lambda *a, **k: rule(*a, **k, prim=recomputing_while_p))


recomputing_while_p = Primitive(
    "recomputing_while",
    _while_impl,
    _while_shape,
    jvp=_with_prim(_while_jvp),
    vjp=_recomputing_vjp,
    batch=_with_prim(_while_batch),
    xp=XpImpl(_while_xp, "(loop on a scalar predicate)"),
    sample=_recomputing_sample,
    doc="a while loop whose reverse mode recomputes each step's carry from the first "
        "(N²/2 body evaluations for N steps)",
    sympy=NoFormula("a loop whose trip count depends on the values has no closed formula"),
    taylor=_with_prim(_while_taylor),
)


def reversible_while(cond_fn, body_fn, consts, init) -> list:
    """``while cond_fn(consts, carry): carry = body_fn(consts, carry)`` as one
    ``recomputing_while`` node: reverse mode works through it (by recomputation, quadratic
    in the number of steps). ``consts`` and ``init`` are lists of arrays or tracers;
    ``cond_fn`` returns a boolean scalar, ``body_fn`` a list like ``init``; both close over
    no tracer. Returns the final carry (a list).

    >>> import numpy as np, wire
    >>> f = lambda x: reversible_while(lambda c, k: k[0] < 3, lambda c, k: [k[0] + 1,
    ...                                k[1] * c[0]], [x], [np.int64(0), x])[1]
    >>> float(wire.jit(f)(2.0)), float(wire.grad(f)(2.0))    # x ** 4, 4 x ** 3
    (16.0, 32.0)
    """
    consts = [to_tracer(c) for c in consts]
    init = [to_tracer(x) for x in init]
    nc = len(consts)
    c_avals, k_avals = [c.aval for c in consts], [x.aval for x in init]
    cond = closed_graph(lambda *a: [cond_fn(list(a[:nc]), list(a[nc:]))], c_avals + k_avals)
    body = closed_graph(lambda *a: list(body_fn(list(a[:nc]), list(a[nc:]))),
                        c_avals + k_avals)
    return list(while_bind(consts, consts, init, cond=cond, body=body,
                           prim=recomputing_while_p))
