"""The ranges of the Python-int carries of a loop (``scan``, ``fori_loop``, ``while_loop``).

A carry given as a Python int stays one while the loop body keeps it weakly typed, and
Python's integers do not wrap; the traced carry is int64, whose arithmetic does. So that a
carry meeting a narrower integer array raises as NumPy's promotion does (and one beyond
int64 is never used wrapped), the range of values each such carry takes over the loop is
found here, by Python's integer arithmetic on intervals (``wire.core.tracer``'s span rules)
over the body's graph:

- step by step over a ``scan``'s known steps (exact where the values are known: an eager
  loop, or a jitted function's Python-int arguments' values, beside their cache-key ranges);
- cheaply where that would cost about as much as the loop: a range a step keeps (``c % 10``),
  a counter's drift (``c + k`` over ``n`` steps);
- for a ``while_loop``: the smallest range a step keeps, widened where it grows and narrowed
  by comparisons in its predicate (``c < n``), counters bounded by the steps another counter
  allows (a ``fori_loop``'s index under jit), and this call's values step by step where they
  decide the predicate.

Where none of these finds a bound, the carry's range is marked as having none
(``IntRanges.loop``, an entry ``(None, None, None, None)``), and its meeting a narrower
integer array raises (``wire.numpy``'s promotion). Used by ``wire.api.control_flow``.
"""

from __future__ import annotations

import numpy as np

from ..core import Tracer
from ..core.tracer import IntRanges, current_trace, graph_int_spans, node_int_span
from ..ir import const_op

__all__ = ["I64", "carry_ranges", "carry_spans", "restrict", "tracked_spans"]


I64 = (int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max))


def tracked_spans(leaves, avals, n, weak) -> dict:
    """The spans of the strongly typed int64 scalar carries among the first ``n`` whose
    values' range is known (a NumPy integer, or computed from Python-int arguments)."""
    state, out = current_trace(), {}
    for i in range(n):
        if i in weak or avals[i].shape != () or avals[i].dtype != np.int64:
            continue
        x = leaves[i]
        if isinstance(x, Tracer):
            sp = node_int_span(x.node, state)
        else:
            v = int(np.asarray(x))
            sp = (v, v, v, v, ())
        if sp is not None:
            out[i] = sp
    return out


def restrict(found, keep) -> tuple:
    """``found`` (spans by carry position, or None; then ``never``) restricted to the
    positions ``keep``."""
    return (*(None if d is None else {i: d[i] for i in keep} for d in found[:3]), found[3])


def carry_ranges(spans: dict, where: str) -> IntRanges:
    """The :class:`IntRanges` of a loop body's (or predicate's) Python-int carries, their
    ranges ``spans`` (None: no bound found), naming the enclosing traces' ranges they use."""
    out = IntRanges()
    out.loop = where
    for i, s in spans.items():
        if s is None:
            out[i] = (None, None, None, None)
        else:
            out[i] = s[:4]
            out.parents += tuple(r for r in s[4] if isinstance(r, IntRanges)
                                 and all(r is not p for p in out.parents))
    return out


# how far a loop's Python-int carries are followed step by step (rule applications: under a
# trace, and where the loop runs at once on values, then costing about as much as the loop);
# beyond, the ranges are widened to a bound that holds for every step (or none is found)
_STEP_BUDGET = 100_000
_EAGER_BUDGET = 1_000_000
_HULL_ROUNDS = 32
_WIDE = 1 << 256  # (a bound past every dtype's, below the range rules' limit)


def carry_spans(graph, consts, n, init, steps, pred, fixed, where, strong=(), exact=True):
    """The ranges of a loop's Python-int carries (positions ``init``, their initial spans:
    see ``wire.core.tracer._int_span``) through the body ``graph`` (operands ``consts``, then
    the ``n`` carries, then per-step inputs), by Python's integer arithmetic on intervals:
    step by step over the ``steps`` steps of a ``scan`` (exact for known values), else the
    smallest range closed under a step (widened where it keeps growing, then narrowed by a
    ``while_loop``'s predicate ``pred``); ``exact=False`` tries the bounds that cost little
    first (a range a step keeps, a counter's drift ``c + k``); ``strong``: positions of
    strongly typed int64 carries followed as long as they stay within int64 (whose
    arithmetic wraps beyond). Returns ``(out, body_in,
    cond_in)``: the ranges of the final carries, of the carries the body sees and of those
    the predicate sees (None: no bound found; ``body_in`` is None where the body never runs
    in this call), and ``never``: the ranges to key the trace on where the body does not run
    in this call but may in others (else None)."""
    state = current_trace()
    nc = len(consts)
    c_spans = [node_int_span(c.node, state) for c in consts]
    rest = [None] * (len(graph.inputs) - nc - n)
    budget = _EAGER_BUDGET if state is None and not consts else _STEP_BUDGET
    ints = list(init)
    run = graph_int_spans(graph, [graph.outputs[i] for i in ints])
    fixed = fixed or {}

    def step(cur):
        spans = run(c_spans + [cur.get(i) for i in range(n)] + rest)
        return {i: spans[graph.outputs[i]] for i in ints}

    feasible = steps is not None and steps * run.size <= budget
    if steps is not None and not (feasible and (exact or steps <= 8)):
        hull = dict(init)
        for _ in range(8):
            new = _hull_step(step, lambda h: h, init, hull, {})
            if _same(new, hull):
                return hull, hull, hull, None
            hull = new
        drift = _drift(graph, nc, n, ints, fixed, run, c_spans, rest, init, steps)
        if drift is not None:
            return drift
    if feasible:
        cur, hull = dict(init), dict(init)  # the carries of step k, of steps 0 .. k
        for k in range(steps):
            new = step(cur)
            if _same(new, cur):
                break
            cur = new
            if k < steps - 1:
                hull = {i: _union(hull[i], cur[i]) for i in ints}
        return cur, hull, hull, None
    refine = (lambda h: h) if pred is None else _refiner(pred, state, n, ints)
    unknown: set = set()  # (carries with no bound: those depending on them have none either)
    for _ in range(len(ints) + 1):  # (each round finds one more, or none: then it holds)
        before = set(unknown)
        held = {**fixed, **dict.fromkeys(unknown)}
        hull = {**init, **{i: sp for i, sp in held.items() if i in init}}
        for _ in range(_HULL_ROUNDS):
            new = _hull_step(step, refine, init, hull, held)
            if _same(new, hull):
                break
            last, hull = hull, new
        else:  # still growing: widen what grows, then narrow by the predicate
            wide = {i: _widen(last[i], hull[i]) for i in ints}
            hull = _hull_step(step, refine, init, wide, held, keep=False)
            again = _hull_step(step, refine, init, hull, held)
            unknown |= {i for i in ints if not _same({0: again[i]}, {0: hull[i]})}
        unknown |= {i for i in ints if hull[i] is None or (i in strong and (
            hull[i][0] is None or hull[i][0] < I64[0] or hull[i][1] > I64[1]))}
        if unknown == before:
            break
    hull.update(dict.fromkeys(unknown))
    if unknown and pred is not None:  # counters of a loop whose steps a counter bounds
        _count_bounded(graph, nc, n, ints, unknown, run, c_spans, rest, init, hull, refine)
    body_in = refine(hull)  # (None: the body never runs)
    if pred is not None and (exact or any(hull[i] is None for i in ints)):
        # this call's values, where known, step by step as the loop runs
        values = _run_values(step, pred, state, n, init, run.size, budget, strong)
        if values is not None:  # (decided by the predicate's operands' values too: ``used``)
            out, seen, used = values
            used += tuple(r for sp in c_spans if sp is not None for r in sp[4])
            cond_in = {i: _with_values(hull[i], out[i] if seen[i] is None else
                                       _union(seen[i], out[i]), init[i], used) for i in ints}
            hull = {i: _with_values(hull[i], out[i], init[i], used) for i in ints}
            never = None
            if body_in is not None:
                body_in = {i: _with_values(body_in[i], seen[i], init[i], used) for i in ints}
                if any(seen[i] is None for i in ints):  # (not in this call: see never)
                    never = used + tuple(r for sp in init.values() for r in sp[4])
            return hull, body_in, cond_in, never
    return hull, body_in, hull, None


def _with_values(span, values, init, more):
    """``span`` (None: no bound found) with this call's values ``values`` (a span; None: the
    body never sees any); ``init`` the carry's initial span, ``more`` the ranges the values
    were decided by, for the ranges it uses."""
    lo, hi, used = (None, None, init[4]) if span is None else (span[0], span[1], span[4])
    used += tuple(r for r in more if all(r is not q for q in used))
    if values is None:
        return None if lo is None else (lo, hi, None, None, used)
    return (lo, hi, *values[2:4], used)


def _run_values(step, pred, state, n, init, cost, budget, strong=()):
    """A ``while_loop``'s Python-int carries in this call, where their values are known and
    decide its predicate at every step: ``(final, seen)`` (``seen``: the hull of the values the
    body gets, None if it never runs), or None if the predicate cannot be decided on them
    (it reads another value), the steps exceed the budget or a ``strong`` (int64) carry
    leaves int64."""
    graph, consts, _ = pred
    c_spans = [node_int_span(c.node, state) for c in consts]
    used = tuple(r for sp in c_spans if sp is not None for r in sp[4])
    run = graph_int_spans(graph, graph.outputs)
    cost += run.size
    values = lambda sp: None if sp is None or sp[2] is None else (None, None, *sp[2:])  # noqa
    cur = {i: values(sp) for i, sp in init.items()}
    c_spans = [values(sp) for sp in c_spans]
    seen = dict.fromkeys(init)
    for _ in range(budget // cost + 1):
        if any(sp is None for sp in cur.values()):
            return None
        spans = run(c_spans + [cur.get(i) for i in range(n)])
        holds = _truth(graph.outputs[0], spans)
        if holds is None:
            return None
        if not holds:
            return cur, seen, used
        seen = {i: cur[i] if seen[i] is None else _union(seen[i], cur[i]) for i in cur}
        cur = {i: values(sp) for i, sp in step(cur).items()}
        if any(cur[i] is not None and (cur[i][2] < I64[0] or cur[i][3] > I64[1])
               for i in strong):
            return None
    return None


_DECIDE = {"lt": lambda a, b: (a[1] < b[0], a[0] >= b[1]),
           "le": lambda a, b: (a[1] <= b[0], a[0] > b[1]),
           "gt": lambda a, b: (a[0] > b[1], a[1] <= b[0]),
           "ge": lambda a, b: (a[0] >= b[1], a[1] < b[0]),
           "eq": lambda a, b: (a[0] == a[1] == b[0] == b[1], a[1] < b[0] or b[1] < a[0]),
           "ne": lambda a, b: (a[1] < b[0] or b[1] < a[0], a[0] == a[1] == b[0] == b[1])}


def _truth(node, spans):
    """Whether the boolean ``node`` of a predicate is true for the values of ``spans`` (their
    values' parts), as far as comparisons joined by and/or decide it; None if they do not."""
    if node.is_leaf:
        if node.op is const_op and node.aval.shape == ():
            return bool(node.params["value"].array)
        return None
    name = node.op.name
    if name in ("and", "bitwise_and", "or", "bitwise_or") and node.aval.dtype.kind == "b":
        parts = [_truth(i, spans) for i in node.inputs]
        if name.endswith("and"):
            return False if False in parts else (True if all(parts) else None)
        return True if True in parts else (False if parts.count(False) == len(parts) else None)
    rule = _DECIDE.get(name)
    if rule is None or node.inputs[0].aval.shape != () or node.inputs[1].aval.shape != ():
        return None
    a, b = (spans.get(i) for i in node.inputs)
    if a is None or b is None or a[2] is None or b[2] is None:
        return None
    yes, no = rule(a[2:4], b[2:4])
    return True if yes else (False if no else None)


def _count_bounded(graph, nc, n, ints, unknown, run, c_spans, rest, init, hull, refine):
    """Bound the ``unknown`` carries of a ``while_loop`` that are counters (``c + d``, see
    :func:`_drift`) by the number of steps its predicate allows another counter ``j + d``
    (``d >= 1``) bounded by it (``j < n``: at most ``(n - 1 - j0) // d + 1`` steps): the
    index of a ``fori_loop`` under jit. Updates ``hull`` in place."""
    body_in = refine(hull)
    if body_in is None:
        return
    spans = run(c_spans + [hull.get(i) for i in range(n)] + rest)
    steps = None
    for j in ints:
        d = _step_of(graph, nc, j, spans)
        top, start = body_in.get(j), init[j]
        if j in unknown or d is None or d[0] is None or d[0] < 1 or top is None or \
                top[1] is None or start[0] is None:
            continue
        k = max((top[1] - start[0]) // d[0] + 1, 0)
        steps = k if steps is None else min(steps, k)
    if steps is None:
        return
    for i in sorted(unknown):
        d = _step_of(graph, nc, i, spans)
        moved = None if d is None else _moved(init[i], d, steps, True)
        if moved is not None:
            hull[i] = moved
            unknown.discard(i)


def _step_of(graph, nc, i, spans):
    """The span of ``d`` where the body's new carry ``i`` is ``c + d`` or ``c - d`` (as
    ``+ (-d)``) of the carry ``c`` itself, ``spans`` the body's; else None."""
    o, x = graph.outputs[i], graph.inputs[nc + i]
    name = None if o.is_leaf else o.op.name
    if name == "add" and (o.inputs[0] is x) != (o.inputs[1] is x):
        return spans.get(o.inputs[1] if o.inputs[0] is x else o.inputs[0])
    if name == "sub" and o.inputs[0] is x and o.inputs[1] is not x:
        d = spans.get(o.inputs[1])
        return None if d is None else (
            None if d[1] is None else -d[1], None if d[0] is None else -d[0],
            None if d[3] is None else -d[3], None if d[2] is None else -d[2], d[4])
    return None


def _drift(graph, nc, n, ints, fixed, run, c_spans, rest, init, steps):
    """``(out, body_in, body_in)`` of a ``scan`` whose Python-int carries are counters: each
    new carry ``c + d`` (or ``c - d``) with ``d`` of a range that does not depend on the
    carries (a constant, the operands, a ``fori_loop``'s index), so that after ``k`` steps
    ``c`` lies within ``c0 + k * d``; None if some carry is not one."""
    spans = run(c_spans + [fixed.get(i) for i in range(n)] + rest)
    out, body_in = {}, {}
    for i in ints:
        d = _step_of(graph, nc, i, spans)
        if d is None:
            return None
        out[i] = _moved(init[i], d, steps, False)
        body_in[i] = _moved(init[i], d, steps - 1, True)
        if out[i] is None or body_in[i] is None:
            return None
    return out, body_in, body_in, None


def _moved(c, d, k, hull):
    """The span of ``c`` plus ``k`` steps of ``d`` (with ``hull``: of any number up to
    ``k``); None if neither part is known."""
    parts = []
    for a, b in ((0, 1), (2, 3)):
        if c[a] is None or d[a] is None:
            parts += [None, None]
        elif hull:
            parts += [c[a] + min(0, k * d[a]), c[b] + max(0, k * d[b])]
        else:
            parts += [c[a] + k * d[a], c[b] + k * d[b]]
    if parts[0] is None and parts[2] is None:
        return None
    return (*parts, c[4] + tuple(r for r in d[4] if all(r is not q for q in c[4])))


def _hull_step(step, refine, init, hull, fixed, keep=True):
    """``init`` joined with a step from the carries ``hull`` (as the predicate lets them in),
    and with ``hull`` itself (``keep``)."""
    body_in = refine(hull)
    if body_in is None:  # (the body never runs)
        return dict(init)
    out = step(body_in)
    new = {i: _union(_union(init[i], hull[i]) if keep else init[i], out[i]) for i in init}
    new.update((i, s) for i, s in fixed.items() if i in new)
    return new


def _same(a: dict, b: dict) -> bool:
    return all((a[i] is None) == (b[i] is None) and (a[i] is None or a[i][:4] == b[i][:4])
               for i in a)


def _min(a, b):
    return None if a is None or b is None else min(a, b)


def _max(a, b):
    return None if a is None or b is None else max(a, b)


def _union(a, b):
    """The smallest span holding spans ``a`` and ``b`` (None: not known)."""
    if a is None or b is None:
        return None
    lo, hi, elo, ehi = _min(a[0], b[0]), _max(a[1], b[1]), _min(a[2], b[2]), _max(a[3], b[3])
    if lo is None and elo is None:
        return None
    return (lo, hi, elo, ehi, a[4] + tuple(r for r in b[4] if all(r is not q for q in a[4])))


def _widen(old, new):
    """``new`` with each bound that moved past ``old``'s pushed out to ``_WIDE``."""
    if old is None or new is None:
        return None
    lo, hi, elo, ehi = new[:4]
    if lo is not None and lo < old[0]:
        lo = -_WIDE
    if hi is not None and hi > old[1]:
        hi = _WIDE
    if elo is not None and elo < old[2]:
        elo = -_WIDE
    if ehi is not None and ehi > old[3]:
        ehi = _WIDE
    return (lo, hi, elo, ehi, new[4])


_FLIP = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _refiner(pred, state, n, ints):
    """The carries' spans narrowed to where the ``while_loop`` predicate ``pred`` (its traced
    ``(graph, consts, tree)``) holds, as far as it is a conjunction of comparisons of a
    Python-int carry with a value of known range (``c < 10``, ``(c < n) & (d >= 0)``); None
    where it cannot hold (the body never runs)."""
    graph, consts, _ = pred
    nc = len(consts)
    c_spans = [node_int_span(c.node, state) for c in consts]
    position = {graph.inputs[nc + i]: i for i in ints}
    run = graph_int_spans(graph, graph.outputs)

    def refine(hull):
        spans = run(c_spans + [hull.get(i) for i in range(n)])
        out = dict(hull)
        stack = [graph.outputs[0]]
        while stack:
            node = stack.pop()
            name = node.op.name if not node.is_leaf else None
            if name in ("and", "bitwise_and") and node.aval.dtype.kind == "b":
                stack.extend(node.inputs)
            elif name in _FLIP and len(node.inputs) == 2:
                a, b = node.inputs
                for c, other, op in ((a, b, name), (b, a, _FLIP[name])):
                    i = position.get(c)
                    if i is not None and out[i] is not None and spans.get(other) is not None:
                        out[i] = _bounded(out[i], op, spans[other])
                        if out[i] is False:
                            return None
        return out

    return refine


def _bounded(span, op, other):
    """``span`` narrowed to the values ``c`` with ``c op v`` for some ``v`` of ``other``'s;
    False where none is."""
    lo, hi, elo, ehi, used = span
    olo, ohi, oelo, oehi, oused = other
    if op in ("lt", "le"):
        d = 1 if op == "lt" else 0
        hi = hi if ohi is None or hi is None else min(hi, ohi - d)
        ehi = ehi if oehi is None or ehi is None else min(ehi, oehi - d)
    else:
        d = 1 if op == "gt" else 0
        lo = lo if olo is None or lo is None else max(lo, olo + d)
        elo = elo if oelo is None or elo is None else max(elo, oelo + d)
    if lo is not None and lo > hi:
        return False
    if elo is not None and elo > ehi:
        elo = ehi = None  # (not in this call: the body never runs in it)
    return (lo, hi, elo, ehi, used + tuple(r for r in oused if all(r is not q for q in used)))
