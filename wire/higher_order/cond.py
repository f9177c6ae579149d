"""The ``cond`` primitive: operands ``(index, *ops)``, param ``branches`` (a tuple of closed
graphs over ``ops``); runs ``branches[clip(index)]`` and returns a tuple of outputs.
``wire.cond`` is the two-branch case (false, true), ``wire.switch`` the general one.

Every sub-graph is closed (its free values were turned into operands by
``wire.api.control_flow``), so a sub-graph is a plain hashable value and evaluation, printing,
comparison and caching need nothing special. Derivative rules build *new* branch graphs from
the old ones (Graph -> Graph, by tracing a function that inlines the old graph and runs the
jvp/vjp driver on it) and bind ``cond`` again, so derivatives of derivatives work. Rules never
trace a function that closes over a tracer of the graph being transformed: helper traces
close over graphs and masks only.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..core import bind, to_tracer
from ..core.formula import number_from_truth, translate
from ..core.lowering import XpImpl
from ..core.primitive import Primitive
from ..errors import ShapeError
from ..ir import Aval, Graph
from ..ops.batching import batch_size, materialize, to_front
from ..ops.elementwise import convert, eq, ge, maximum, minimum, sin, stop_gradient
from ..transforms.vjp import WithPrimals
from .subgraph import (
    batch_graph,
    batch_to_front,
    batched_outputs,
    calls_custom,
    rebased_graph,
    check_avals,
    closed_graph,
    float_mask,
    inline,
    jet_inline,
    jvp_inline,
    pick,
    run,
    select_examples,
    series_coefs,
    spread,
    vjp_inline,
    zeros_if_none,
)


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
    return _with_rebased_primals(tuple(spread(res, out_f)), index, ops, branches, False)


def _with_rebased_primals(derivatives, index, ops, branches, reverse: bool):
    """The rule's result, with the outputs as the custom rules inside compute them when
    some branch calls one (wire.transforms.vjp: rules apply once)."""
    if not any(calls_custom(b) for b in branches):
        return derivatives
    new = tuple(rebased_graph(b, reverse) for b in branches)
    if new == tuple(branches):
        return derivatives
    return WithPrimals(derivatives, cond_bind(index, ops, new))


def _series_order(series) -> int:
    return len(next(s for s in series if s is not None))


def _cond_series_graph(branch: Graph, has, out_f, order: int, keep=None,
                       found_mask: list | None = None) -> Graph:
    """The branch's Taylor coefficients: inputs ``ops`` + the coefficients that are not
    known zeros (``has``: per op, ``None`` or a flag per coefficient), outputs the float
    outputs' coefficients flagged in ``keep`` (per float output, a flag per coefficient; all
    if ``None``), zeros where this branch has none. ``found_mask`` receives which
    coefficients the branch has (its series' ``None`` are exact zeros).

    A known zero stays ``None`` inside the branch, as outside: the driver skips the terms it
    multiplies, which may be infinite (``0 · (1/x)`` at ``x = 0`` in log's series was NaN
    in the third derivative of a cond, where the branch alone gives inf)."""
    n = len(branch.inputs)
    avals = list(branch.in_avals) + [a for a, h in zip(branch.in_avals, has) if h is not None
                                     for p in h if p]

    def fn(*args):
        it = iter(args[n:])
        series = [None if h is None else [next(it) if p else None for p in h] for h in has]
        outs, found = jet_inline(branch, args[:n], series, order)
        flo = [(o, s) for o, s, f in zip(outs, found, out_f) if f]
        if found_mask is not None:
            found_mask.extend(tuple(s is not None and s[k] is not None for k in range(order))
                              for _, s in flo)
        kept = keep or [(True,) * order] * len(flo)
        return [c for (o, s), m in zip(flo, kept)
                for c, k in zip(series_coefs(s, o, order), m) if k]

    return closed_graph(fn, avals)


def _cond_taylor(series, out, index, *ops, branches):
    order = _series_order(series)
    has = [None if s is None else tuple(c is not None for c in s) for s in series[1:]]
    out_f = float_mask(branches[0].out_avals)
    masks = []
    for b in branches:
        found: list = []
        _cond_series_graph(b, has, out_f, order, found_mask=found)
        masks.append(found)
    keep = [tuple(any(m[j][k] for m in masks) for k in range(order))
            for j in range(len(masks[0]))]
    new = tuple(_cond_series_graph(b, has, out_f, order, keep) for b in branches)
    coefs = [c for s in series[1:] if s is not None for c in s if c is not None]
    it = iter(bind(cond_p, index, *ops, *coefs, branches=new))
    per_float = [[next(it) if k else None for k in m] for m in keep]
    per_float = [None if all(c is None for c in s) else s for s in per_float]
    return tuple(spread(per_float, out_f))


def branch_vjp_graph(branch: Graph, in_f, out_f) -> Graph:
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
    new = tuple(branch_vjp_graph(b, in_f, out_f) for b in branches)
    res = bind(cond_p, index, *ops, *pick(ct, out_f), branches=new)
    return _with_rebased_primals((None, *spread(res, in_f)), index, ops, branches, True)


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
    last = len(branches) - 1
    clipped = minimum(maximum(convert(idx, np.int64), 0), last)
    floats = [_is_float(o) for o in ops]
    per_example = [materialize(o, None, size, 0) if f and not bt else o
                   for o, f, bt in zip(ops, floats, in_b)]
    in_k = [bt or f for bt, f in zip(in_b, floats)]
    results = []
    for k, b in enumerate(branches):
        # Each branch sees the examples that do not take it through a stop_gradient: their
        # values there are only picked away, but a derivative that is inf or NaN there
        # (sqrt's at -1) would meet their zero cotangent as 0 * NaN, poisoning the
        # gradient, as the branch not taken never does in an unbatched cond. Float operands
        # the examples share are broadcast to the batch first (as JAX does), or their
        # cotangent would be summed over the examples inside the branch, NaN included.
        take = eq(clipped, k)
        ops_k = [_taken_only(take, o, size) if f else o for o, f in zip(per_example, floats)]
        results.append(inline(batch_graph(b, in_k, size, [True] * n_out), ops_k))
    out = list(results[0])
    for k in range(1, len(branches)):  # index >= k takes branch k: clamps like the impl
        take = ge(idx, k)
        out = [select_examples(take, r, o, size) for o, r in zip(out, results[k])]
    return tuple(out), (0,) * n_out


def _is_float(x) -> bool:
    return to_tracer(x).aval.dtype.kind in "fc"


def _taken_only(take, x, size: int):
    """``x``, differentiable only in the examples where ``take`` holds."""
    return select_examples(take, x, stop_gradient(x), size)


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


def _cond_formula(sp, node, index, *ops):
    """``branches[clip(index)](*ops)`` as a piecewise formula per output."""
    branches = [translate(sp, g, list(ops)) for g in node.params["branches"]]
    if node.inputs[0].aval.dtype.kind == "b":
        index = number_from_truth(sp, index)
    outs = []
    for j in range(len(branches[0])):
        pieces = [(b[j], sp.Le(index, k)) for k, b in enumerate(branches[:-1])]
        pieces.append((branches[-1][j], True))
        outs.append(sp.piecewise_fold(sp.Piecewise(*pieces)))
    return tuple(outs)


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
    sympy=_cond_formula,
    taylor=_cond_taylor,
)


def cond_bind(index, ops: Sequence, branches: tuple) -> tuple:
    """Bind ``cond_p``: ``branches[index](*ops)`` as a tuple of outputs."""
    return bind(cond_p, index, *ops, branches=tuple(branches))


