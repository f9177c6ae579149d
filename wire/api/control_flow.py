"""User-facing control flow: ``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``.

Each function traces its Python callables (branches, loop bodies) into closed sub-graphs and
binds one primitive of ``wire.higher_order`` (``cond``, ``scan``, ``while``), so a loop is one node whatever its trip count,
and the result is differentiable, batchable and printable like any other node. Inside a
trace the result is symbolic; called on concrete values it runs at once.

*Closure conversion.* A body may use values from the enclosing computation (outer tracers,
``wire.var`` nodes). :func:`trace_closed` finds every maximal sub-expression of the body
that does not depend on the body's own arguments but is not a constant, and turns it into an
extra operand of the primitive. The sub-graph is then closed (no free values), loop-invariant
work is done once outside the loop, and derivatives flow to the closed-over values through
the operands.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from .. import tree
from ..errors import ShapeError, WireError, WireTypeError, at, user_location
from ..ir import (
    Aval, Graph, arg_node, const_op, dead_arg, input_node, substitute_map, toposort,
)
from ..higher_order.cond import cond_bind
from ..higher_order.scan import scan_bind
from ..higher_order.loops import fori_bounds
from ..higher_order.while_loop import while_bind
from ..ops.elementwise import convert, ne
from ..higher_order.subgraph import closed_graph, inline
from ..core import _ARRAY_TYPES, Tracer, TraceTag, WeakTracer, flat_avals, to_node, weak_leaves
from ..core.locations import current_table, recording, site
from ..core.tracer import (
    IntRanges, check_leaks, current_trace, open_trace, remember_int_span, tracer_int_span,
    weak_int_range,
)
from ..higher_order.carry_ranges import (
    I64, carry_ranges, carry_spans, restrict, tracked_spans,
)
from ..errors import WireOverflowError

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan"]


# --------------------------------------------------------------------------- tracing bodies


def trace_closed(fn: Callable, in_avals: Sequence[Aval], in_tree, what: str, weak=(),
                 hoist: bool = True, ranges: IntRanges | None = None):
    """Trace ``fn`` into a closed graph over ``closed-over values + arguments``.

    Returns ``(graph, consts, out_tree)``: ``graph`` has inputs ``consts`` first, then the
    flat arguments; ``consts`` are tracers of the enclosing computation that ``fn`` uses.
    The arguments at positions ``weak`` are traced weakly typed (they stand for Python
    numbers). With ``hoist`` (a loop body), work ``fn`` does on closed-over values alone is
    lifted out of the graph, to run once; without it (a ``cond`` branch, which must not run
    unless chosen) only the values ``fn`` closes over become operands, and what ``fn``
    computes from them stays in the graph. ``ranges`` (a loop's Python-int carries): the
    range of values each weakly typed integer argument it names takes in the loop, so that
    where one meets a narrower integer array the promotion is checked as NumPy's.
    """
    for a in in_avals:
        if a.shape is None:
            raise ShapeError(
                f"{what} needs values of known shape, got {a!r}; give wire.var a shape"
                f"{at(user_location())}"
            )
    # an abstract trace is open while the body runs, as under wire.jit: the body's values
    # are unknown, so wire.numpy.asarray(table) gives a traced constant a traced index can
    # gather from (``jnp.asarray(table)[i]``), in a loop body as in a jitted function
    with open_trace(where=user_location()) as state, recording() as table, site(None):
        if ranges is None:
            tag = TraceTag(user_location())
            tracers = [WeakTracer(n) if i in weak else Tracer(n)
                       for i, n in enumerate(arg_node(i, a, tag) for i, a in enumerate(in_avals))]
        else:  # (the ranged arguments belong to this trace, which knows their ranges)
            tag = state.tag
            state.int_ranges = ranges
            tracers = [(WeakTracer(n, state) if i in ranges else WeakTracer(n)) if i in weak
                       else Tracer(n)
                       for i, n in enumerate(arg_node(i, a, tag) for i, a in enumerate(in_avals))]
        args = [t.node for t in tracers]
        result = fn(*tree.unflatten(in_tree, tracers))
    out_leaves, out_tree = tree.flatten(result)
    outs = []
    for i, o in enumerate(out_leaves):
        if not isinstance(o, (Tracer, *_ARRAY_TYPES)):
            path = tree.leaf_paths(out_tree)[i]
            raise WireTypeError(
                f"{what} returned a {type(o).__name__} at {path}; it must return arrays, "
                f"numbers or containers of them{at(user_location())}"
            )
        outs.append(to_node(o))
    consts = _free_values(outs, args, None if hoist else table)
    if consts and current_table() is None:  # called outside any trace: no later check
        order = toposort(consts)
        if any(dead_arg(c) for c in order):
            check_leaks(order)
    n = len(consts)
    mapping = {c: input_node(j, c.aval) for j, c in enumerate(consts)}
    mapping.update({a: input_node(n + i, a.aval) for i, a in enumerate(args)})
    for c in consts:
        if c.aval.shape is None or isinstance(c.aval, tuple):
            raise ShapeError(
                f"{what} uses a value of unknown shape {c.aval!r} from outside; give wire.var "
                f"a shape{at(c.loc)}"
            )
    inputs = [mapping[c] for c in consts] + [mapping[a] for a in args]
    tag.done = True  # the body's argument tracers must not be used after this
    new = substitute_map(outs, mapping)
    locs = {m: table[old] for old, m in new.items() if old in table}
    graph = Graph(inputs, [new[o] for o in outs], locs=locs)
    return graph, [Tracer(c) for c in consts], out_tree


def _free_values(outs, args, local=None) -> list:
    """Maximal sub-expressions of ``outs`` that use no ``args`` but some non-constant leaf;
    with ``local`` (the nodes the body made), only sub-expressions made outside the body."""
    argset = set(args)
    inner, free = set(), set()
    order = toposort(outs)
    for n in order:
        if n in argset or (local is not None and not n.is_leaf and n in local):
            inner.add(n)
        elif n.is_leaf:
            if n.op is not const_op:
                free.add(n)
        elif any(i in inner for i in n.inputs):
            inner.add(n)
        elif any(i in free for i in n.inputs):
            free.add(n)
    used = set()
    for n in order:
        if n in inner and not n.is_leaf:
            used.update(i for i in n.inputs if i in free)
    used.update(o for o in outs if o in free)
    return [n for n in order if n in used]


def _flatten_args(args, what: str):
    leaves, in_tree = tree.flatten(args)
    return leaves, in_tree, flat_avals(leaves, in_tree)


def _mismatch(what: str, expected_tree, expected, got_tree, got) -> str | None:
    if expected_tree != got_tree:
        return f"{what}: structure {got_tree!r} differs from {expected_tree!r}"
    paths = tree.leaf_paths(expected_tree)
    for p, e, g in zip(paths, expected, got):
        if e != g:
            return f"{what}: leaf {p} is {g!r} but must be {e!r}"
    return None


# --------------------------------------------------------------------------- cond / switch


def _branch_index(index, n: int, what: str):
    if isinstance(index, Tracer):
        if index.shape != ():
            raise ShapeError(
                f"{what} needs a scalar predicate/index, got {index.aval!r}; for elementwise "
                f"choices use wire.numpy.where, or wire.vmap over the cond{at(user_location())}"
            )
        if index.dtype.kind == "b":
            return convert(index, np.int32)
        if index.dtype.kind in "iu" and what != "cond":
            return index  # (switch clamps it)
        if n == 2 and what == "cond":  # any nonzero number is true, as bool(pred)
            return convert(ne(index, 0), np.int32)
        raise WireTypeError(
            f"{what} needs an integer index, got {index.aval!r}; use .astype(int)"
            f"{at(user_location())}"
        )
    a = np.asarray(index)
    if a.shape != ():
        raise ShapeError(
            f"{what} needs a scalar predicate/index, got shape {a.shape}{at(user_location())}"
        )
    if what == "cond":
        return np.array(int(bool(a)), np.int32)
    if a.dtype.kind not in "iub":
        raise WireTypeError(f"{what} needs an integer index, got {a.dtype}{at(user_location())}")
    return np.array(min(max(int(a), 0), n - 1), np.int32)  # clamped (as traced: never wraps)


def _trace_carry(body, leaves, avals, in_tree, n, what: str, out_avals, extra=(),
                 hoist=True, steps=None, pred=None, fixed=None, loop="the loop"):
    """Trace a loop ``body`` whose first ``n`` flat inputs are the carry ``leaves``, as JAX
    does: a carry given as a Python number is weakly typed, and if the body turns it into
    another dtype (``0.0`` times a float32 array is float32; ``0`` plus ``1.0`` is a float),
    the initial value is cast to the dtype the two promote to and the body traced again. So a
    Python number never makes a float32 loop float64, nor a float loop an error.

    A carry the body keeps weakly typed (``c + 1``) stays a Python number out of the loop
    (``weak_out``), as in a Python loop over NumPy values. A Python-int carry gets the range
    of values it takes over the loop (``wire.higher_order.carry_ranges``: ``steps`` steps,
    or while ``pred`` holds; ``fixed``: leaves whose range is known, a ``fori_loop``'s
    index), and the body is traced again knowing it, so that where the carry meets a
    narrower integer array the promotion raises as NumPy's would instead of wrapping.

    ``out_avals(traced)`` gives the carry avals the body returns; ``extra`` are the avals of
    the inputs after the carry; ``pred(avals, weak, ranges)`` traces a ``while_loop``'s
    predicate; ``loop`` names the loop in messages.
    Returns ``(traced, leaves, avals, weak_out, spans, pred_traced)``: ``weak_out`` the carry
    positions that stay weakly typed, ``spans`` their ranges (by position)."""
    weak = set(weak_leaves(leaves))
    flags: dict = {}
    body = _recording_weak(body, flags)
    where = f"{loop}{at(user_location())}"
    fixed = {i: sp for i, sp in (fixed or {}).items() if i in weak} if steps else {}
    known = carry_ranges(fixed, where) if fixed else None  # (a fori_loop's index: known)
    traced = trace_closed(body, list(avals) + list(extra), in_tree, what, weak, hoist, known)
    leaves, avals = list(leaves), list(avals)
    while weak:  # each round makes at least one more leaf strongly typed, or ends
        changed = set()
        for i, got in enumerate(out_avals(traced)[:n]):
            a = avals[i]
            if i in weak and got.shape == a.shape and got.dtype != a.dtype:
                dtype = np.result_type(got.dtype, _PYTHON_KIND.get(a.dtype.kind, 0))
                if dtype != a.dtype:
                    # a Python-int init out of the dtype's range raises as NumPy's promotion
                    # (eagerly a bare OverflowError, under jit a cast that wrapped 300 to 44)
                    x = _fits(leaves[i], dtype, what, "the initial carry is")
                    leaves[i] = (convert(x, dtype) if isinstance(x, Tracer)
                                 else np.asarray(x, dtype))
                    avals[i] = Aval(a.shape, dtype)
                    changed.add(i)
        if not changed:
            break
        # a promoted carry is strongly typed from then on (as in JAX): ``c * 2.0`` of a
        # carry promoted to float32 stays float32, and so may promote another weak leaf
        weak -= changed
        traced = trace_closed(body, avals + list(extra), in_tree, what, weak, hoist, known)
    weak_out = [i for i in sorted(weak) if i < n and flags["weak"][i]]
    ints = [i for i in weak_out if avals[i].dtype.kind in "iu"]
    pred_traced = None if pred is None else pred(avals, weak, None)
    spans: dict = {}
    init_spans = {i: tracer_int_span(leaves[i]) for i in ints}
    if any(i not in fixed for i in ints) and steps != 0 and \
            all(sp is not None for sp in init_spans.values()):
        g, consts, _ = traced
        # a loop that runs at once on values is followed step by step only where the cheap
        # bounds (a range a step keeps, a counter's drift) do not do: it would cost about as
        # much as the loop; a traced one (under jit) is followed step by step at once
        eager = current_trace() is None and not consts
        # a while_loop's int64 scalars of known values (a fori_loop's index under jit, its
        # bounds Python-int arguments) are followed too: they may decide its predicate
        tracked = {} if pred is None else tracked_spans(leaves, avals, n, weak)
        args = (g, consts, n, {**init_spans, **tracked}, steps, pred_traced, fixed, where,
                set(tracked))
        found = restrict(carry_spans(*args, exact=not eager), init_spans)
        if eager and any(sp is None or sp[0] is None or sp[0] < I64[0] or sp[1] > I64[1]
                         for sp in found[0].values()):
            found = restrict(carry_spans(*args, exact=True), init_spans)  # (leaves int64?)
        retrace = functools.partial(_retrace_ranged, body, avals, extra, in_tree, what, weak,
                                    hoist, where)
        try:
            traced, spans, cond_ranges = retrace(*found)
        except WireOverflowError:
            if not eager:
                raise
            found = restrict(carry_spans(*args, exact=True), init_spans)  # (too wide?)
            traced, spans, cond_ranges = retrace(*found)
        if pred is not None:
            pred_traced = pred(avals, weak, cond_ranges)
    return traced, leaves, avals, weak_out, spans, pred_traced


def _retrace_ranged(body, avals, extra, in_tree, what, weak, hoist, where, spans, body_in,
                    cond_in, never):
    """Trace ``body`` again knowing its Python-int carries' ranges ``body_in`` (None: the
    body never runs, and checks nothing); returns the traced body, the results' spans (marked
    where no bound was found: where such a result meets a narrower integer array, that raises
    instead of wrapping unchecked) and the :class:`IntRanges` for the predicate. ``never``:
    the body does not run in this call, so where a check of ``body_in`` (the other calls'
    ranges) fails, the trace is keyed on the values (the ranges ``never``) and checks
    nothing."""
    body_ranges = carry_ranges(body_in or {}, where)
    try:
        traced = trace_closed(body, avals + list(extra), in_tree, what, weak, hoist,
                              body_ranges)
    except WireOverflowError:
        if never is None:
            raise
        for r in never:
            if isinstance(r, IntRanges):
                r.mark_exact()
        body_ranges = carry_ranges({}, where)
        traced = trace_closed(body, avals + list(extra), in_tree, what, weak, hoist,
                              body_ranges)
    spans = {i: (None, None, None, None, (body_ranges,)) if sp is None
             else (*sp[:4], (*sp[4], body_ranges)) for i, sp in spans.items()}
    return traced, spans, carry_ranges(cond_in, where)


def _recording_weak(body, flags: dict):
    """``body``, noting in ``flags["weak"]`` which of its output leaves are weakly typed."""
    def recorded(*args):
        out = body(*args)
        flags["weak"] = [_is_weak(o) or isinstance(o, WeakTracer) for o in tree.leaves(out)]
        return out

    return recorded


def _weak_outs(outs, weak_out, spans) -> list:
    """A loop's results, those at positions ``weak_out`` weakly typed, as the carry was: a
    Python number when computed (a NumPy loop's carry ``c = c + 1`` stays a Python int), a
    weakly typed tracer knowing its range (``spans``) when traced."""
    outs = list(outs)
    for i in weak_out:
        o = outs[i]
        span = spans.get(i)
        if isinstance(o, Tracer):
            # (a loop's results belong to the trace it is called in: its operands may be
            # tracers of no trace, the closed-over values)
            o = WeakTracer(o.node, o._state if o._state is not None else current_trace())
            remember_int_span(o, span)
        else:
            o = np.asarray(o)
            if o.dtype.kind in "iu" and span is not None:
                info = np.iinfo(o.dtype)
                lo, hi = (span[2], span[3]) if span[2] is not None else span[:2]
                if lo is not None and (lo < info.min or hi > info.max):
                    raise WireOverflowError(
                        f"the loop's Python-int carry reaches {hi if hi > info.max else lo}, "
                        f"beyond {o.dtype}, the dtype it is computed in, where Python's "
                        f"integers would not wrap{at(user_location())}; carry a NumPy integer "
                        f"(np.int64(0): modular arithmetic) or a float")
            o = o.item()
        outs[i] = o
    return outs


# a Python number of each kind, to promote a weakly typed value as NEP 50 does
_PYTHON_KIND = {"b": False, "i": 0, "u": 0, "f": 0.0, "c": 0j}


def _is_weak(leaf) -> bool:
    """A Python number: weakly typed (NEP 50), so it must not become a typed operand."""
    return isinstance(leaf, (bool, int, float, complex)) and not isinstance(leaf, np.generic)


def _branches(fns, operands, what: str):
    all_leaves, full_tree = tree.flatten(tuple(operands))
    # Python numbers among the operands reach the branches as they are (weakly typed, as
    # in JAX): an int operand must not turn a float32 computation into float64.
    weak = [_is_weak(x) for x in all_leaves]
    strong = [x for x, w in zip(all_leaves, weak) if not w]
    leaves, in_tree, avals = _flatten_args(tuple(strong), what)

    weak_out: dict = {}  # branch -> per output leaf, whether it is weakly typed

    def with_numbers(f, k, cast=None):
        def branch(*traced):
            it = iter(traced)
            ops = [x if w else next(it) for x, w in zip(all_leaves, weak)]
            out = f(*tree.unflatten(full_tree, ops))
            leaves_, tree_ = tree.flatten(out)
            weak_out[k] = [_is_weak(o) or isinstance(o, WeakTracer) for o in leaves_]
            if cast is None:
                return out
            return tree.unflatten(tree_, [o if d is None else convert(_fits(o, d, what), d)
                                          for o, d in zip(leaves_, cast)])

        return branch

    # a branch's work on closed-over values stays in the branch: lifted out, it would run
    # whichever branch is chosen, and its derivative (exp'(x) = inf in the branch not
    # taken) would meet the branch's zero cotangent outside the cond (0 * inf = NaN)
    traced = [trace_closed(with_numbers(f, k), avals, in_tree, f"{what} branch {k}",
                           hoist=False) for k, f in enumerate(fns)]
    casts = _weak_casts(traced, weak_out)
    if casts is not None:  # a Python number meets a typed value (as JAX: that type)
        traced = [trace_closed(with_numbers(f, k, c), avals, in_tree, f"{what} branch {k}",
                               hoist=False) for k, (f, c) in enumerate(zip(fns, casts))]
    g0, _, tree0 = traced[0]
    for k, (g, _, t) in enumerate(traced[1:], 1):
        msg = _mismatch(f"{what}: branch {k}'s output", tree0, g0.out_avals, t, g.out_avals)
        if msg:
            raise ShapeError(
                f"{msg} (branch 0 returns it); all branches must return the same structure, "
                f"shapes and dtypes{at(user_location())}"
            )
    # One operand list for every branch: the union of their closed-over values, then operands.
    union, pos = [], {}
    for _, consts, _ in traced:
        for c in consts:
            if c.node not in pos:
                pos[c.node] = len(union)
                union.append(c)
    u_avals = [c.aval for c in union]
    graphs = []
    for g, consts, _ in traced:
        where = [pos[c.node] for c in consts]
        nu = len(union)
        graphs.append(closed_graph(
            lambda *a, g=g, where=where, nu=nu: inline(g, [a[j] for j in where] + list(a[nu:])),
            u_avals + avals,
        ))
    return tuple(graphs), union + leaves, tree0


def _fits(o, dtype, what: str, role: str = "a branch returns"):
    """The weakly typed ``o`` (a Python int, or a weakly typed tracer of a known range) — a
    branch's output, or a loop's initial carry (``role``) — checked to fit the integer
    ``dtype`` the typed branches or the loop body give it: a cast would wrap it
    (``switch(1, [lambda: np.int8(1), lambda: 300])`` was 44), where NumPy's promotion
    raises (and JAX refuses the branches)."""
    if dtype.kind not in "iu" or isinstance(o, bool):
        return o
    info = np.iinfo(dtype)
    if isinstance(o, Tracer):
        span = weak_int_range(o, (int(info.min), int(info.max)))
        lo, hi, value = span if span is not None else (info.min, info.max, None)
    elif isinstance(o, int):
        lo = hi = value = o
    else:
        return o
    if lo < info.min or hi > info.max:
        shown = f"Python integer {value}" if value is not None else \
            f"a Python integer in [{lo}, {hi}]"
        raise WireOverflowError(
            f"{what}: {role} the {shown}, out of bounds for {dtype}, the dtype it takes "
            f"there (as NumPy raises for a Python int meeting an array it does not fit)"
            f"{at(user_location())}; give it a NumPy dtype that holds it")
    return o


def _weak_casts(traced, weak_out):
    """Per branch, the dtype to cast each output leaf to (``None``: as it is), where the
    branches' dtypes differ only by weakly typed outputs (Python numbers), which take the
    typed branches' dtype as NEP 50 promotes them (JAX's rule); ``None`` if no cast helps."""
    trees = [t for _, _, t in traced]
    if any(t != trees[0] for t in trees[1:]):
        return None
    per_leaf = list(zip(*[g.out_avals for g, _, _ in traced]))
    casts = [[None] * len(per_leaf) for _ in traced]
    changed = False
    for j, avals in enumerate(per_leaf):
        if all(a == avals[0] for a in avals[1:]) or any(a.shape != avals[0].shape for a in avals):
            continue
        strong = {a.dtype for k, a in enumerate(avals) if not weak_out[k][j]}
        if len(strong) != 1:
            return None
        (target,) = strong
        for k, a in enumerate(avals):
            if a.dtype == target:
                continue
            if not weak_out[k][j] or np.result_type(target, _PYTHON_KIND[a.dtype.kind]) != target:
                return None
            casts[k][j] = target
            changed = True
    return casts if changed else None


def cond(pred, true_fn: Callable, false_fn: Callable, *operands):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``, staged as one node.

    Both branches are traced (they must return the same structure, shapes and dtypes); only
    the chosen one runs. Differentiable in both modes; under ``vmap`` with a batched ``pred``
    both branches run and the results are selected elementwise.

    >>> import numpy as np, wire
    >>> f = lambda x: wire.cond(x > 0, lambda v: v * v, lambda v: -v, x)
    >>> f(3.0), f(-2.0)
    (array(9.), array(2.))
    >>> wire.grad(f)(3.0)
    array(6.)
    """
    index = _branch_index(pred, 2, "cond")
    graphs, ops, out_tree = _branches([false_fn, true_fn], operands, "cond")
    return tree.unflatten(out_tree, list(cond_bind(index, ops, graphs)))


def switch(index, branches: Sequence[Callable], *operands):
    """``branches[index](*operands)``, with ``index`` clamped to ``[0, len(branches) - 1]``.

    >>> import numpy as np, wire
    >>> fs = [lambda x: x + 1.0, lambda x: x * 10.0, lambda x: -x]
    >>> [float(wire.switch(i, fs, 2.0)) for i in (0, 1, 2, 7)]
    [3.0, 20.0, -2.0, -2.0]
    """
    branches = list(branches)
    if not branches:
        raise WireError(f"switch needs at least one branch{at(user_location())}")
    idx = _branch_index(index, len(branches), "switch")
    graphs, ops, out_tree = _branches(branches, operands, "switch")
    return tree.unflatten(out_tree, list(cond_bind(idx, ops, graphs)))


# --------------------------------------------------------------------------- while / fori


def while_loop(cond_fn: Callable, body_fn: Callable, init):
    """Repeat ``val = body_fn(val)`` while ``cond_fn(val)``; returns the final ``val``.

    ``val`` is a pytree whose structure, shapes and dtypes ``body_fn`` keeps. The loop is one
    node; forward mode (``wire.jvp``) differentiates it, reverse mode does not (the trip count
    depends on the data) — use ``fori_loop`` with Python-int bounds or ``scan`` for that. A
    carry given as a Python number that ``body_fn`` keeps one (``c + 1``, not ``c + x`` of an
    array ``x``) comes out as a Python number, as from a Python loop; a Python int's range is
    followed through the loop (bounded by comparisons in ``cond_fn``), so that where it meets
    a narrower integer array it raises ``wire.WireOverflowError`` as NumPy would, never wraps.

    >>> import numpy as np, wire
    >>> wire.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 2.0), (0, 1.0))
    (5, 32.0)
    >>> wire.while_loop(lambda c: c < 5, lambda c: c + 1, 0) + np.ones(2, np.int8)
    array([6, 6], dtype=int8)
    """
    leaves, in_tree, avals = _flatten_args((init,), "while_loop")

    def pred(avals, weak, ranges):
        return trace_closed(_as_predicate(cond_fn), avals, in_tree, "while_loop cond_fn",
                            weak, ranges=ranges)

    (bg, bc, bt), leaves, avals, weak_out, spans, (cg, cc, ct) = _trace_carry(
        body_fn, leaves, avals, in_tree, len(leaves), "while_loop body_fn",
        lambda t: t[0].out_avals, pred=pred, loop="the while_loop")
    if ct != tree.flatten(0)[1] or cg.out_avals[0].shape != ():
        raise ShapeError(
            f"while_loop: cond_fn must return one scalar (a boolean), got "
            f"{[a for a in cg.out_avals]}{at(user_location())}"
        )
    msg = _mismatch("while_loop: body_fn's result", in_tree.children[0], avals, bt, bg.out_avals)
    if msg:
        raise ShapeError(
            f"{msg}; body_fn must return a value like init (same structure, shapes and "
            f"dtypes — cast with .astype if needed){at(user_location())}"
        )
    outs = while_bind(cc, bc, leaves, cond=cg, body=bg)
    return tree.unflatten(bt, _weak_outs(outs, weak_out, spans))


def _as_predicate(fn):
    def pred(*args):
        p = fn(*args)
        if isinstance(p, Tracer) and p.dtype.kind != "b":
            return ne(p, 0)
        if not isinstance(p, Tracer) and not isinstance(p, (tuple, list, dict)):
            return np.asarray(p).astype(bool)
        return p

    return pred


def fori_loop(lower, upper, body_fn: Callable, init, *, unroll=None):
    """``val = body_fn(i, val)`` for ``i`` in ``range(lower, upper)``; returns ``val``.

    With concrete bounds the loop is a ``scan`` of static length, so it is differentiable in
    both modes, and ``i`` is a Python int (weakly typed); with traced bounds it is a
    ``while_loop`` (forward mode only) whose ``i`` has the bounds' dtype. Either way the body
    is traced once. The bounds follow JAX's rules (``wire.higher_order.loops.fori_bounds``):
    one dtype for both, or a Python int beside a signed integer; concrete float or bool
    bounds are truncated by ``int()``. ``unroll`` (JAX's loop-unrolling hint) is checked
    and accepted; values do not depend on it. A Python-number carry the body keeps one comes
    out as a Python number, as from a Python loop (see :func:`scan`).

    >>> import numpy as np, wire
    >>> wire.fori_loop(0, 4, lambda i, x: x * 2.0 + i, 1.0)
    27.0
    >>> wire.grad(lambda x: wire.fori_loop(0, 3, lambda i, v: v * x, 1.0))(2.0)
    array(12.)
    """
    _check_unroll(unroll, "fori_loop")
    bounds = fori_bounds(lower, upper, unroll)
    if bounds[0] == "scan":  # concrete bounds: a Python-int (weakly typed) index, as in JAX
        lo, hi = bounds[1:]

        def step(carry, _):
            i, val = carry
            return (i + 1, body_fn(i, val)), None

        n = max(hi - lo, 0)
        index = (lo, hi - 1, lo, hi - 1, ())  # (the range of i in the body)
        (_, val), _ = _scan(step, (lo, init), None, n, False, {0: index}, "the fori_loop")
        return val
    dtype = bounds[1]
    i0 = convert(lower, dtype) if isinstance(lower, Tracer) else np.asarray(lower, dtype)
    if isinstance(upper, Tracer) and upper.dtype != dtype:
        upper = convert(upper, dtype)
    _, val = while_loop(
        lambda c: c[0] < upper,
        lambda c: (c[0] + 1, body_fn(c[0], c[1])),
        (i0, init),
    )
    return val


def _check_unroll(unroll, what: str) -> None:
    """JAX's ``unroll``: None, a bool or a non-negative int (how many steps one iteration
    of the compiled loop runs, 0 all of them as True; wire's loop nodes take no such hint)."""
    if unroll is None or isinstance(unroll, (bool, np.bool_)):
        return
    if not isinstance(unroll, (int, np.integer)) or unroll < 0:
        raise WireTypeError(f"{what}: unroll must be a bool or a non-negative int, got "
                            f"{unroll!r}{at(user_location(3))}")


# --------------------------------------------------------------------------- scan


def scan(f: Callable, init, xs=None, length=None, reverse: bool = False, unroll=1):
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; return ``(carry, ys)``.

    ``init``/``carry`` and ``xs``/``ys`` are pytrees (``xs`` may be ``None`` with ``length``
    given; ``y`` may be ``None``). ``ys`` stacks the per-step ``y`` on a new leading axis;
    ``reverse=True`` walks ``xs`` from the end (``ys`` stays in ``xs`` order). The loop is one
    node whatever ``length`` is. Differentiable to any order; reverse mode stores, per step,
    the intermediates of ``f`` its derivative needs (memory grows with ``length``).
    ``unroll`` (JAX's loop-unrolling hint) is checked and accepted; values do not depend on it.

    A carry given as a Python number stays weakly typed while the body keeps it so (``c + 1``;
    ``c + x`` of an int8 ``x`` makes it int8, as in JAX) and then comes out as a Python number,
    as from a Python loop over NumPy values. A Python-int carry's values are followed step by
    step (exactly on known values), so where the carry meets a narrower integer array, in the
    body or after the loop, a value it does not fit raises ``wire.WireOverflowError`` as
    NumPy's ``OverflowError``, never wraps.

    >>> import numpy as np, wire
    >>> wire.scan(lambda c, x: (c + x, c * x), 0.0, np.arange(1.0, 4.0))
    (array(6.), array([0., 2., 9.]))
    >>> wire.scan(lambda c, x: (c + 1, c + x), 0, np.ones((3, 2), np.int8))
    (3, array([[1, 1],
           [2, 2],
           [3, 3]], dtype=int8))
    """
    _check_unroll(unroll, "scan")
    return _scan(f, init, xs, length, reverse, None, "the scan")


def _scan(f: Callable, init, xs, length, reverse: bool, fixed, loop: str):
    """:func:`scan`; ``fixed``: carry leaves of known range (a ``fori_loop``'s index)."""
    c_leaves, c_tree, c_avals = _flatten_args(init, "scan")
    x_leaves, x_tree, x_avals = _flatten_args(xs, "scan")
    length = _scan_length(x_avals, x_tree, length)
    slices = [Aval(a.shape[1:], a.dtype) for a in x_avals]
    _, in_tree = tree.flatten((init, xs))
    trees = {}

    def body(carry, x):
        out = f(carry, x)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise WireTypeError(
                f"scan: f must return a pair (carry, y), got {type(out).__name__}"
                f"{at(user_location())}"
            )
        new_c, new_c_tree = tree.flatten(out[0])
        ys, trees["y"] = tree.flatten(out[1])
        trees["c"] = new_c_tree
        return tuple(new_c) + tuple(ys)

    nk = len(c_leaves)
    # a scan of no steps lifts nothing out of its body: the lifted work's derivative would
    # meet the zero cotangent of the steps that never run (exp'(w) = inf: 0 * inf = NaN)
    (g, consts, _), c_leaves, c_avals, weak_out, spans, _ = _trace_carry(
        body, c_leaves, c_avals, in_tree, nk, "scan f", lambda t: t[0].out_avals, slices,
        hoist=length > 0, steps=length, fixed=fixed, loop=loop)
    msg = _mismatch("scan: f's new carry", c_tree, c_avals, trees["c"], g.out_avals[:nk])
    if msg:
        raise ShapeError(
            f"{msg}; f must return a carry like init (same structure, shapes and dtypes — "
            f"cast with .astype if needed){at(user_location())}"
        )
    outs = scan_bind(consts, c_leaves, x_leaves, body=g, length=length, reverse=reverse)
    return (tree.unflatten(c_tree, _weak_outs(outs[:nk], weak_out, spans)),
            tree.unflatten(trees["y"], list(outs[nk:])))


def _scan_length(x_avals, x_tree, length) -> int:
    lengths = set()
    for p, a in zip(tree.leaf_paths(x_tree), x_avals):
        if not a.shape:
            raise ShapeError(
                f"scan: xs leaf {p} is a scalar {a!r}; every xs leaf needs a leading axis to "
                f"scan over{at(user_location())}"
            )
        lengths.add(a.shape[0])
    if length is not None:
        length = int(length)
        lengths.add(length)
    if len(lengths) > 1:
        shown = ", ".join(f"{p}: {a!r}" for p, a in zip(tree.leaf_paths(x_tree), x_avals))
        raise ShapeError(
            f"scan: the leading axes of xs ({shown}) and length={length} disagree"
            f"{at(user_location())}"
        )
    if not lengths:
        raise WireError(
            f"scan: give length= when xs is None (or has no leaves){at(user_location())}"
        )
    return lengths.pop()
