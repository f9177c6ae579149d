"""``collect_terms``: rewrite sums and products as polynomials, then re-emit them compactly.

Derivative graphs are mostly sums of products of a few transcendental values: the n-th
derivative of ``sin(x)*exp(tanh(x))`` is ``E*(P(t)*s + Q(t)*c)`` with polynomials P, Q in
``t = tanh(x)``, but the chain rule builds it as thousands of partial products. This pass
computes, for every node made of ``add``/``sub``/``neg``/``mul``/``integer_pow`` and scalar
constants, its polynomial over *atoms* (every other node: ``sin``, ``exp``, inputs, matmuls,
…), merging like terms, and emits each polynomial that something else needs in nested Horner
form (the most frequent atom first), so equal sub-polynomials become one node.

Exactness: the result is the same polynomial, so values agree up to rounding of the
re-associated arithmetic, with these rules to keep what re-association would lose:

* *Accuracy at the tails.* A sum with a constant term (``1 + erf(x)``, tanh's ``1 - t**2``) is
  kept as written, an atom: such sums are where terms cancel (``erf(x) -> -1``), and written
  out they would let another term be absorbed first (``0.5*erf + (0.5 + tiny)``: gelu's
  derivative was 0 below x = -8.5) or expand into powers that cancel catastrophically
  (``(1 - t**2)**2`` as ``1 - 2 t**2 + t**4`` near t = ±1). tests/test_simplify_accuracy.py
  measures this against mpmath.
* *NaN.* Like terms of opposite signs (``x - x``, ``2xy - xy``) leave ``g - g`` behind, ``g``
  the sum of their atoms: ``+0.0`` for finite values (as an exact cancellation is) and NaN
  where one of them is inf or NaN, as ``inf - inf`` was.
* *Signed zeros.* A node with an exact-zero constant operand (``x + 0.0``, ``x * 0.0``) stays an
  atom, as written: its result depends on the sign of zeros (``-0.0 + 0.0 = 0.0``,
  ``-2 * 0.0 = -0.0``), which a polynomial does not track; so does a negated sum
  (``-(a - b)`` is ``-0.0`` where ``b - a`` is ``+0.0``).
* *Overflow and underflow.* Regrouping must not overflow where the graph as written did not
  (and so turn its finite result into inf or NaN): a monomial holds at most one factor,
  counted with its exponent, of atoms not known to be small, unless it is a power of one atom
  alone; a product that would make more stays as written. Small atoms are those whose values
  interval arithmetic over a few levels of their graph bounds by the 64th root of the largest
  float (6.6e4 in float64: sin, tanh, ``exp(tanh(x))``, tanh's ``1 - t*t``); then every
  partial product of small factors stays far from overflowing, and times the one large factor
  it stays below that factor. ``(x*e)*x`` with ``e = exp(-x*x)`` is 0 at x = 1e155, but
  ``x**2 * e`` is inf * 0 = nan; ``((c*b)*e)*a`` at a = b = 1e300 is 0, but ``(a*b)*e`` is
  nan. A coefficient that over- or underflows when constants are multiplied or like terms
  added (``1e200 * (1e200 * x)``: 1e400 -> inf) keeps its node as written too.

What re-association still changes: the rounding where terms without a constant nearly cancel,
where an intermediate underflows (``(t*s)*u`` is 0 where ``(t*u)*s`` is 1e-100, at t = s =
1e-200, u = 1e300; a subnormal input loses digits in another order), a sum factored out of its terms (``e*(1 - 2x)`` for ``e - 2*x*e``) at ``|x|``
near the largest float, the sign of an exactly-zero result whose terms were distributed or
factored (``x*(y + z)`` for ``x*y + x*z``), and a NaN into an infinity where an infinite atom
is factored out (``b - b*t`` as ``b*(1 - t)`` at ``b = inf``) or a product that overflowed
in the original order no longer does. That is why :func:`wire.simplify` collects terms only
when its table holds :data:`wire.transforms.rules.COLLECT` (the transforms' derivative
graphs, or opt-in).
Guards keep it cheap and bounded (terms per polynomial, atoms per monomial, exponents); a node
whose polynomial would break them stays an atom too.
Only float nodes whose operands all share its aval (or are uniform constants) take part.

Multiplying out a product of two sums pays only when like terms then merge. A cheap first
walk (:func:`_merges`) follows only the shape of each polynomial — its term count and atoms
— and stops where like terms could first meet; when they cannot meet anywhere (a long chain
of distinct factors, as in the gradient of a deep elementwise chain), products of sums stay
products instead of being expanded, which keeps every polynomial small and the pass fast.
"""

from __future__ import annotations

import cmath
import math
from collections import Counter

import numpy as np
from pyrsistent import pmap

from ..ir import (
    EMPTY_PARAMS, Aval, Graph, Node, const_op, make_aval, with_inputs,
)
from ..ir.graph import _ENCLOSING
from ..ir.nodes import _intern
from ..core.locations import recording
from ..ops import elementwise as ew
from ..ops.shape import full_p
from ..tracebacks import internal
from .rules import CONSTANT_OPS as _CONSTANT_OPS, constant, uniform

__all__ = ["collect", "collect_terms"]

MAX_TERMS = 96
MAX_PRODUCT = 4096  # len(p) * len(q) when multiplying
MAX_EXPONENT = 32
MAX_ATOMS = 24
WORK_PER_NODE = 8  # emission work (terms x atoms) allowed per node of the graph; see collect

# Graph.loc without its entry point (it is public): asked for every node the pass rebuilds
_graph_loc = internal(Graph.loc)


def loc_reader(graph: Graph):
    """``graph.loc`` as a function of the node, for a pass over ``graph`` run inside the
    same :func:`~wire.ir.locating_by` blocks: where the only tables it would look in are
    ``graph``'s own (a pass at the top level, inside ``locating_by(graph)``), one lookup in
    that table instead of the walk over the enclosing ones (passes ask for most nodes)."""
    get = own_table_get(graph)
    if get is None:
        return _graph_loc.__get__(graph)
    return lambda n: get(n) or n.loc


def own_table_get(graph: Graph):
    """``graph.locs.get`` where :func:`loc_reader` reads that table alone (no enclosing
    graph's table comes first: a pass inside ``locating_by(graph)`` at the top level), else
    None."""
    table = graph.locs
    if any(t is not table for t in _ENCLOSING.get()):
        return None
    return table.get

_POLY_OPS = frozenset((ew.add_p, ew.sub_p, ew.neg_p, ew.mul_p, ew.integer_pow_p))
_MUL, _ADD = ew.mul_p, ew.add_p


class _Refuse(Exception):
    """This node's polynomial would break a guard or cancel a term: keep it an atom."""


class _OverBudget(Exception):
    """The pass has built as many nodes as the graph has: its result would not be smaller."""


class _Merged(Exception):
    """Like terms may meet: expanding products of sums can pay (see :func:`_merges`)."""


class _Diverged(Exception):
    """A walk that does not expand met what :func:`_merges` would have answered on: like
    terms that may meet, or a product of two sums (see :func:`collect`)."""


class _Arith:
    """Polynomial arithmetic: a polynomial is ``{monomial: coefficient}``, a monomial a sorted
    tuple of ``(atom index, exponent)``. ``expand=False`` keeps a product of two sums as an
    atom (refuses it) instead of multiplying it out."""

    __slots__ = ("expand", "ranges", "small", "watch")

    def __init__(self, expand: bool = True, watch: bool = False):
        self.expand = expand
        # watch (with expand=False): raise _Diverged where _SketchArith would raise _Merged
        # or compute something else (a product of sums it would expand, a coefficient that
        # overflows or underflows)
        self.watch = watch
        self.small: list = []  # atom index -> whether it is known to be small (_bounded)
        self.ranges: dict = {}  # (_range's memo)

    @staticmethod
    def constant(u: float) -> dict:
        return {(): u} if u != 0 else {}

    @staticmethod
    def atom(index: int) -> dict:
        return {((index, 1),): 1.0}

    @staticmethod
    def neg(p: dict) -> dict:
        return {m: -c for m, c in p.items()}

    @staticmethod
    def num_atoms(p: dict) -> int:
        if len(p) == 1:  # a monomial holds each atom once
            for m in p:
                return len(m)
        return len({v for m in p for v, _ in m})

    @staticmethod
    def size(p: dict) -> int:
        return len(p)

    @staticmethod
    def has_constant(p: dict) -> bool:
        return () in p

    def add(self, p: dict, q: dict, sign: float, poison: set) -> dict:
        if self.watch and ((() in p and () in q) or not _atoms(p).isdisjoint(_atoms(q))):
            raise _Diverged
        out = dict(p)
        for m, c in q.items():
            if m in out:
                s = out[m] + sign * c
                if abs(s) > _HUGE:  # 1e308*x + 1e308*x: 2e308*x would be inf where x < 1
                    raise _Refuse
                if (s == 0) or (out[m] > 0) != (sign * c > 0):
                    # like terms of opposite signs: where the monomial is inf the original
                    # gave inf - inf = nan, so its atoms must still poison the result
                    poison.update(v for v, _ in m)
                if s == 0:
                    del out[m]
                else:
                    out[m] = s
            else:
                out[m] = sign * c
        if len(out) > MAX_TERMS:
            raise _Refuse
        return out

    def mul(self, p: dict, q: dict, poison: set) -> dict:
        if not p or not q:  # exact zero times q: 0, poisoned by q's atoms (inf*0 = nan)
            poison.update(v for m in (q or p) for v, _ in m)
            return {}
        if len(p) == 1 and len(q) == 1:  # a monomial times a monomial (products of chains)
            ((ma, ca),) = p.items()
            ((mb, cb),) = q.items()
            c = ca * cb
            if not _TINY <= abs(c) <= _HUGE:  # the coefficient over- or underflows
                if self.watch:
                    raise _Diverged
                raise _Refuse
            m = _mono_mul(ma, mb)
            if len(m) > 1 and _regroups(m, self.small):
                raise _Refuse
            if _scales_large(m, c, self.small):
                if self.watch:
                    raise _Diverged
                raise _Refuse
            return {m: c}
        if len(p) * len(q) > MAX_PRODUCT:
            raise _Refuse
        if not self.expand and len(p) > 1 and len(q) > 1:
            if self.watch:
                raise _Diverged
            raise _Refuse
        _check_powers(p, q, self.small)
        out: dict = {}
        for ma, ca in p.items():
            for mb, cb in q.items():
                m = _mono_mul(ma, mb)
                c = ca * cb
                if not _TINY <= abs(c) <= _HUGE:
                    if self.watch:
                        raise _Diverged
                    raise _Refuse
                if m in out and (out[m] > 0) != (c > 0):  # as in add: inf - inf is nan
                    poison.update(v for v, _ in m)
                out[m] = s = out.get(m, 0.0) + c
                if abs(s) > _HUGE or _scales_large(m, s, self.small):
                    raise _Refuse
        for m in [m for m, c in out.items() if c == 0]:
            if self.watch:
                raise _Diverged
            del out[m]
            poison.update(v for v, _ in m)
        if len(out) > MAX_TERMS:
            raise _Refuse
        return out

    def pow(self, p: dict, k: int, poison: set) -> dict:
        out = p
        for _ in range(k - 1):
            out = self.mul(out, p, poison)
        return out


def _atoms(p: dict) -> set:
    return {v for m in p for v, _ in m}


_TINY = 2.2250738585072014e-308  # the smallest normal float64
_HUGE = 1.7976931348623157e308  # the largest float64
_UNIT = (-1.0, 1.0)
_UNIT_OPS = frozenset((ew.sin_p, ew.cos_p, ew.tanh_p, ew.sign_p))  # values in [-1, 1] or NaN
_RANGE_DEPTH = 10  # how deep :func:`_range` looks
_UNKNOWN = object()


def _range(n: Node, memo: dict, depth: int = _RANGE_DEPTH):
    """An interval ``(lo, hi)`` holding every value of ``n`` but NaN, or None where not known:
    interval arithmetic over sin, cos, tanh, sign, exp, constants and the polynomial ops, a
    few levels deep (``exp(tanh(x))`` lies in [1/e, e], tanh's ``1 - t*t`` in [0, 1]).
    ``memo``: the intervals found so far (each node's worked out once)."""
    r = memo.get(n, _UNKNOWN)
    if r is _UNKNOWN:
        r = memo[n] = _range_of(n, memo, depth)
    return r


_REAL: dict = {}  # memo: aval -> whether it is a real floating aval (one array, dtype kind f)


def _real(aval) -> bool:
    real = not isinstance(aval, tuple) and aval.dtype.kind == "f"
    if len(_REAL) < 1024:
        _REAL[aval] = real
    return real


def _range_of(n: Node, memo: dict, depth: int):
    op = n.op
    if op in _UNIT_OPS:
        return _UNIT
    if depth == 0:
        return None
    real = _REAL.get(n.aval)
    if real is None:
        real = _real(n.aval)
    if not real:
        return None
    if op is const_op or op is full_p:
        u = uniform(n)
        if u is None or isinstance(u, bool) or not math.isfinite(u):
            return None
        return (float(u), float(u))
    ins = n.inputs
    depth -= 1
    if op is ew.add_p or op is ew.sub_p or op is ew.mul_p:
        a, b = ins
        # (the operands' intervals read in place where known: _range's memo, or [-1, 1])
        ra = memo.get(a, _UNKNOWN)
        if ra is _UNKNOWN:
            if a.op in _UNIT_OPS:
                ra = _UNIT
            else:  # (_range, inline)
                ra = memo[a] = _range_of(a, memo, depth)
        if ra is None:
            return None
        if op is ew.mul_p and a is b:  # a square
            lo, hi = ra[0] * ra[0], ra[1] * ra[1]
            if ra[0] <= 0 <= ra[1]:
                return (0.0, max(lo, hi))
            return (min(lo, hi), max(lo, hi))
        rb = memo.get(b, _UNKNOWN)
        if rb is _UNKNOWN:
            op_b = b.op
            if op_b in _UNIT_OPS:
                rb = _UNIT
            elif op_b is ew.integer_pow_p and b.inputs[0].op in _UNIT_OPS and depth \
                    and _REAL.get(b.aval):  # (tanh's 1 - t**2: _range_of's answer, inline)
                rb = memo[b] = _UNIT_POWERS.get(_exponent(b))
            else:  # (_range, inline)
                rb = memo[b] = _range_of(b, memo, depth)
        if rb is None or max(-ra[0], ra[1], -rb[0], rb[1]) > 1e100:
            return None
        if op is ew.add_p:
            return (ra[0] + rb[0], ra[1] + rb[1])
        if op is ew.sub_p:
            return (ra[0] - rb[1], ra[1] - rb[0])
        ps = (ra[0] * rb[0], ra[0] * rb[1], ra[1] * rb[0], ra[1] * rb[1])
        return (min(ps), max(ps))
    if op is ew.integer_pow_p:
        a = ins[0]
        if a.op in _UNIT_OPS:  # (tanh(x)**2: by the exponent alone, no call)
            return _UNIT_POWERS.get(_exponent(n))
        return _power_range(_range(a, memo, depth), _exponent(n))
    if op is ew.exp_p:
        r = _range(ins[0], memo, depth)
        if r is None or r[1] > 700:
            return None
        return (math.exp(r[0]), math.exp(r[1]))
    if op is ew.neg_p:
        r = _range(ins[0], memo, depth)
        return None if r is None else (-r[1], -r[0])
    if op is ew.select_p:  # where(c, t, f): either branch
        c, t, f = ins
        rt = _clamped(t, c, True) or _range(t, memo, depth)
        rf = _clamped(f, c, False) or _range(f, memo, depth)
        if rt is None or rf is None:
            return None
        return (min(rt[0], rf[0]), max(rt[1], rf[1]))
    return None


def _power_range(r, y: int):
    """The interval of ``x**y`` for ``x`` in ``r`` (None: not known)."""
    if r is None or not 1 <= y <= MAX_EXPONENT or max(-r[0], r[1]) > 1e4:
        return None
    lo, hi = r[0] ** y, r[1] ** y
    if y % 2:
        return (lo, hi)
    if r[0] <= 0 <= r[1]:
        return (0.0, max(lo, hi))
    return (min(lo, hi), max(lo, hi))


_UNIT_POWERS = {y: _power_range(_UNIT, y) for y in range(1, MAX_EXPONENT + 1)}


def _exponent(n: Node) -> int:
    """``integer_pow`` node ``n``'s exponent, read from its intern key (its one param; the
    params mapping's lookup costs several calls)."""
    items = n._items
    if len(items) == 1 and items[0][0] == "y":
        return items[0][1]
    return n.params["y"]


_ABOVE = {ew.gt_p: True, ew.ge_p: True, ew.lt_p: False, ew.le_p: False}


def _clamped(v: Node, c: Node, taken_if: bool):
    """``(-k, k)`` where ``where(c, ...)`` takes its branch ``v`` (on ``c == taken_if``)
    only where ``|v| <= k`` or ``v`` is NaN: ``c`` is ``|v| > k`` (or ``>=``, or ``k < |v|``)
    for the other branch, ``|v| < k`` for this one — the guard of a function's tail
    (``where(|x| > 40, 0, x)``). Else None."""
    above = _ABOVE.get(c.op)
    if above is None:
        return None
    a, b = c.inputs
    if a.op is ew.abs_p and a.inputs[0] is v:
        k = b
    elif b.op is ew.abs_p and b.inputs[0] is v:
        k, above = a, not above
    else:
        return None
    if above == taken_if or (k.op is not const_op and k.op is not full_p):
        return None  # (|v| > k taken: no bound)
    u = uniform(k)
    if u is None or isinstance(u, bool) or not math.isfinite(u):
        return None
    return (-abs(float(u)), abs(float(u)))


def _bounded(n: Node, memo: dict) -> bool:
    """Whether atom ``n``'s values are small in magnitude (or NaN): at most the 64th root of
    the largest float of its dtype (float64: 6.6e4, float32: 4.0, float16: 1.19), so that no
    power the pass makes of it (up to MAX_EXPONENT) comes near overflowing."""
    r = memo.get(n, _UNKNOWN)  # (_range, inline)
    if r is _UNKNOWN:
        r = memo[n] = _range_of(n, memo, _RANGE_DEPTH)
    if r is None:
        return False
    m = max(-r[0], r[1])
    return m <= 1.0 or m <= _power_limit(n.aval.dtype)


_POWER_LIMITS: dict = {}


def _power_limit(dtype) -> float:
    lim = _POWER_LIMITS.get(dtype)
    if lim is None:
        lim = _POWER_LIMITS[dtype] = float(np.finfo(dtype).max) ** (0.5 / MAX_EXPONENT)
    return lim


def _regroups(m: tuple, small: list) -> bool:
    """Whether the monomial ``m`` can be multiplied out in an order that overflows where the
    graph's order did not: it holds more than one factor, counted with its exponent, of atoms
    not known to be small (``small[atom]``), and three factors or more, and more than one
    atom. ``(x*e)*x`` with ``e = exp(-x*x)`` is 0 at x = 1e155, but ``x**2 * e`` is
    inf * 0 = nan; ``((c*b)*e)*a`` is 0 at a = b = 1e300, e = 0, but ``(b*a)*e`` is nan.
    With at most one such factor every partial product of small factors stays small, and
    times the large one it stays below it; two factors (``x*y``) and the powers of one atom
    (``x*x*x``) have one order only."""
    if len(m) == 1:
        return False
    large = total = 0
    for v, e in m:
        total += e
        if not small[v]:
            large += e
    return large > 1 and total > 2


def _adds_large(ma: tuple, v: int, e: int, small: list) -> bool:
    """:func:`_regroups` of ``ma * atom_v**e`` (the usual product in a chain), knowing
    ``ma`` passed it: only a monomial of two atoms or one can hold two large factors."""
    if len(ma) == 1 and ma[0][0] == v:  # still a power of one atom alone
        return False
    if small[v]:
        if len(ma) == 1:  # a large power beside a new factor
            u, f = ma[0]
            return f > 1 and not small[u]
        if len(ma) == 2:  # x*y: both large
            return not small[ma[0][0]] and not small[ma[1][0]]
        return False
    large, total = e, e
    for u, f in ma:
        total += f
        if not small[u]:
            large += f
    return large > 1 and total > 2


def _scales_large(m: tuple, c: float, small: list) -> bool:
    """Whether the term ``c * m`` (``m`` passed :func:`_regroups`) is a product of two large
    factors scaled down: emitted as ``(x*y)*c``, ``x*y`` overflows where ``(x*c)*y`` did not
    (``x*(1e-200*y)`` at x = y = 1e200). Only a monomial of two atoms or one can hold two
    large factors."""
    if len(m) > 2 or not abs(c) < 1.0 or not m:
        return False
    large = 0
    for v, e in m:
        if not small[v]:
            large += e
    return large > 1


def _max_exponents(p: dict) -> dict:
    exps: dict = {}
    for m in p:
        for v, e in m:
            if e > exps.get(v, 0):
                exps[v] = e
    return exps


def _check_powers(p: dict, q: dict, small: list) -> None:
    """:func:`_regroups` for a product of polynomials, as :class:`_SketchArith` checks it
    (on each atom's highest exponents, added): raises :class:`_Refuse` where it may."""
    exps = _max_exponents(p)
    for v, e in _max_exponents(q).items():
        exps[v] = exps.get(v, 0) + e
    if len(exps) > 1 and sum(e for v, e in exps.items() if not small[v]) > 1 \
            and sum(exps.values()) > 2:
        raise _Refuse


def _mono_mul(a: tuple, b: tuple) -> tuple:
    if not a:
        return b
    if not b:
        return a
    if len(b) == 1:  # times one atom (the usual case): insert it in place
        ((v, e),) = b
        if e > MAX_EXPONENT:
            raise _Refuse
        if v > a[-1][0]:
            return a + b
        for j, (u, f) in enumerate(a):
            if u == v:
                f += e
                if f > MAX_EXPONENT:
                    raise _Refuse
                return a[:j] + ((v, f),) + a[j + 1:]
            if u > v:
                return a[:j] + b + a[j:]
    d = dict(a)
    for v, e in b:
        d[v] = d.get(v, 0) + e
        if d[v] > MAX_EXPONENT:
            raise _Refuse
    return tuple(sorted(d.items()))


class _Sketch:
    """What :func:`_merges` tracks of a polynomial instead of its terms: their number,
    whether one is constant, and the highest exponent of each atom. Exact as long as no like
    terms meet, which is all that walk needs (it stops at the first possible meeting)."""

    __slots__ = ("const", "exps", "terms")

    def __init__(self, terms: int, const: bool, exps: dict):
        self.terms = terms
        self.const = const
        self.exps = exps


_ZERO = _Sketch(0, False, {})
_ONE = _Sketch(1, True, {})


class _SketchArith:
    """The arithmetic of :class:`_Arith` on sketches, raising :class:`_Merged` wherever like
    terms could meet: a sum of two polynomials sharing an atom (or both with a constant
    term), a product of two sums sharing an atom, a power of a sum. The guards refuse
    exactly where :class:`_Arith` would (term counts and exponents are exact)."""

    def __init__(self):
        self.small: list = []  # as _Arith's
        self.ranges: dict = {}

    @staticmethod
    def constant(u: float) -> _Sketch:
        return _ONE if u != 0 else _ZERO

    @staticmethod
    def atom(index: int) -> _Sketch:
        return _Sketch(1, False, {index: 1})

    @staticmethod
    def neg(p: _Sketch) -> _Sketch:
        return p

    @staticmethod
    def num_atoms(p: _Sketch) -> int:
        return len(p.exps)

    @staticmethod
    def size(p: _Sketch) -> int:
        return p.terms

    @staticmethod
    def has_constant(p: _Sketch) -> bool:
        return p.const

    def add(self, p: _Sketch, q: _Sketch, sign: float, poison: set) -> _Sketch:
        if (p.const and q.const) or not p.exps.keys().isdisjoint(q.exps):
            raise _Merged
        if p.terms + q.terms > MAX_TERMS:
            raise _Refuse
        return _Sketch(p.terms + q.terms, p.const or q.const, {**p.exps, **q.exps})

    def mul(self, p: _Sketch, q: _Sketch, poison: set) -> _Sketch:
        if not p.terms or not q.terms:
            poison.update((q if p.terms else p).exps)
            return _ZERO
        n = p.terms * q.terms
        if n > MAX_PRODUCT:
            raise _Refuse
        if p.terms > 1 and q.terms > 1 and not p.exps.keys().isdisjoint(q.exps):
            raise _Merged
        exps = dict(p.exps)
        for v, e in q.exps.items():
            e += exps.get(v, 0)
            if e > MAX_EXPONENT:
                raise _Refuse
            exps[v] = e
        if n > MAX_TERMS:
            raise _Refuse
        if len(exps) > 1 and sum(e for v, e in exps.items() if not self.small[v]) > 1 \
                and sum(exps.values()) > 2:
            raise _Refuse  # (see _regroups)
        return _Sketch(n, p.const and q.const, exps)

    def pow(self, p: _Sketch, k: int, poison: set) -> _Sketch:
        out = p
        for _ in range(k - 1):
            out = self.mul(out, p, poison)
        return out


_NO_POISON = frozenset()


class _Emitter:
    """Builds nodes for polynomials: nested Horner form, memoized by polynomial."""

    def __init__(self, atoms: list, total: int, in_order=None, keying=None):
        self.atoms = atoms  # index -> node
        self.memo: dict = {}
        # the operand order the rewrite after this pass gives sums and products (None: as
        # emitted): nodes made in that order at once are the nodes it keeps, so it need not
        # rebuild them (nor everything after them)
        self.in_order = in_order
        # where that order is the rewrite's own (wire.transforms.simplify's), its
        # structural_key: the nodes made are put in that order and keyed as they are made,
        # without calls (a derivative graph's re-emitted products are most of them)
        # (``keying``: simplify's structural_key, op codes, name codes, key setter and params
        # code, given by wire.transforms.simplify, which imports this module)
        self.keyed = None
        if in_order is not None and keying is not None:
            self.keyed, self.codes, self.code_of, self.set_key, self.params_code = keying
        self.consts: dict = {}  # (value, sign, aval, loc) -> const node: one per coefficient
        self.avals: dict = {}  # memo of shape rules, see _make
        self.pow_params: dict = {}
        # the budget (see collect): at most ``total`` nodes, and at most a slack plus one
        # for each node of the graph the walk has passed (``passed``, set by the walk)
        self.made = 0
        self.total = total
        self.slack = max(256, total // 8)
        self.passed = 0
        # and a budget of work: Horner emission costs (terms x atoms) per polynomial, 8192
        # plus WORK_PER_NODE for each node passed
        self.work = 0
        # the location table _collect_walk records into (set there): the line of each node
        self.table = None

    def _make(self, prim, inputs, loc, y=None) -> Node:
        """The node ``prim(*inputs)`` (``y``: integer_pow's exponent), counted against the
        budget."""
        made = self.made = self.made + 1
        if made > self.slack + self.passed or made > self.total:
            raise _OverBudget
        keyed = self.keyed
        # shape rules are pure: one call per (primitive, operand avals, exponent)
        if len(inputs) == 2:  # (mul, add, sub)
            x, z = inputs
            if keyed is not None:
                # the rewrite's operand order (its _in_order, inline), and the operands'
                # structural keys, which the key of the node made is built from
                kx, kz = x._skey, z._skey
                if kx is None:
                    kx = keyed(x)
                if kz is None:
                    kz = keyed(z)
                if (prim is _MUL or prim is _ADD) and x is not z:
                    cx = x.op in _CONSTANT_OPS
                    if ((kz < kx) if cx is (z.op in _CONSTANT_OPS) else cx) \
                            and x.aval.dtype.kind != "c" and z.aval.dtype.kind != "c":
                        x, z, kx, kz = z, x, kz, kx
                    inputs = (x, z)
            elif self.in_order is not None and (prim is _MUL or prim is _ADD):
                inputs = x, z = self.in_order(inputs)
            key = (prim, None, x.aval, z.aval)
        else:
            key = (prim, y, inputs[0].aval)
        aval = self.avals.get(key)
        if aval is None:
            avals = [i.aval for i in inputs]
            aval = self.avals[key] = prim.shape(*avals) if y is None else prim.shape(*avals, y=y)
        if y is None:
            node = _intern(prim, inputs, (), EMPTY_PARAMS, aval, loc)  # (make_node's)
        else:  # one pmap (and intern key items) per exponent, not one per node
            pp = self.pow_params.get(y)  # [params, intern items, params code or None]
            if pp is None:
                pp = self.pow_params[y] = [pmap({"y": y}), (("y", y),), None]
            node = _intern(prim, inputs, pp[1], pp[0], aval, loc)
        if keyed is not None and node._skey is None:
            # (structural_key's, inline: a commutative node hashes its operands' keys in
            # sorted order; the rewrite after this pass asks for the key of every node made)
            code = self.codes.get(prim)
            if code is None:
                code = self.codes[prim] = self.code_of(prim.name)
            if len(inputs) == 2:
                if kz < kx and (prim is _MUL or prim is _ADD):
                    kx, kz = kz, kx
                self.set_key(node, hash((code, 0, kx, kz)))
            else:
                (x,) = inputs
                kx = x._skey
                if kx is None:
                    kx = keyed(x)
                if y is None:
                    pcode = 0
                else:  # (the code of the params {y}: one per exponent, as _params_code's)
                    pcode = pp[2]
                    if pcode is None:
                        pcode = pp[2] = self.params_code(node)
                self.set_key(node, hash((code, pcode, kx)))
        table = self.table  # collect's: the node reports the line of the node it rewrites
        if table is not None and loc is not None:
            table.setdefault(node, loc)
        return node

    def constant(self, c: float, aval: Aval, loc=None) -> Node:
        """:func:`~wire.transforms.rules.constant` of ``c``, made once per pass."""
        key = (c, math.copysign(1.0, c), aval, loc)
        node = self.consts.get(key)
        if node is None:
            node = self.consts[key] = constant(c, aval, loc)
        return node

    def emit_guarded(self, p: dict, poison, aval: Aval, loc) -> Node:
        """``p`` plus ``g - g`` (``g`` the sum of the poison atoms) for atoms of cancelled terms
        that ``p`` lacks: a nan/inf in them still makes the result non-finite, as before
        cancelling, and a finite ``g - g`` is ``+0.0``, the sign an exact cancellation has."""
        if not poison:
            return self.emit(p, aval, loc) if p else constant(0, aval, loc)
        # every atom of a cancelled term, even one other terms still hold: inf - inf is nan
        # where the terms left may only make inf (b - (b - a)*(1 - t) is not a + (b - a)*t)
        guard = sorted(poison)
        g = self.atoms[guard[0]]
        for v in guard[1:]:
            g = self._make(ew.add_p, (g, self.atoms[v]), loc)
        g = self._make(ew.sub_p, (g, g), loc)
        if not p:
            return g
        return self._make(ew.add_p, (self.emit(p, aval, loc), g), loc)

    def emit_scaled(self, n: Node, m: tuple, c: float) -> Node | None:
        """``n`` itself where emitting its polynomial ``c * m`` (one term) would make ``n``
        again: ``n`` is ``x * k`` (a forward step's ``x * 1.01``, most of the products a
        derivative graph keeps) with ``m`` the atom ``x`` as it is and ``k`` the constant
        emitted for ``c``. Then nothing is built: the node that would be made is counted
        against the budget and memoized, as :meth:`emit_term` would. None where that is not
        known."""
        if len(m) != 1 or m[0][1] != 1 or c == 1 or c == -1:
            return None
        x, k = n.inputs
        a = self.atoms[m[0][0]]
        if a is k:
            x, k = k, x
        if a is not x or k.op is not const_op:
            return None
        aval = n.aval
        key = (m, c, aval)  # (emit_term's key)
        node = self.memo.get(key)
        if node is not None:
            return node
        if self.constant(c, _scalar(aval)) is not k:
            return None
        ins = (x, k) if self.in_order is None else self.in_order((x, k))
        if ins[0] is not n.inputs[0] or ins[1] is not n.inputs[1]:
            return None
        if self.avals.get((ew.mul_p, None, ins[0].aval, ins[1].aval)) is not aval:
            return None  # (its first time: emitted as usual, which fills the memo of avals)
        self.made += 1
        if self.made > self.slack + self.passed or self.made > self.total:
            raise _OverBudget
        self.memo[key] = n
        return n

    def emit_term(self, m: tuple, c: float, aval: Aval, loc) -> Node:
        """:meth:`emit` of the polynomial of one term ``c * m`` (held as the pair, most
        polynomials: no mapping)."""
        key = (m, c, aval)
        node = self.memo.get(key)
        if node is not None:
            return node
        if not m:
            node = self.constant(c, aval, loc)
        else:
            if len(m) == 1:  # (one atom: _monomial's loop once, inline)
                ((v, e),) = m
                node = self.atoms[v]
                if e != 1:
                    node = self._make(ew.integer_pow_p, (node,), loc, y=e)
            else:
                node = self._monomial(m, aval, loc)
            if c == -1:
                node = self._make(ew.neg_p, (node,), loc)
            elif c != 1:
                node = self._make(ew.mul_p, (node, self.constant(c, _scalar(aval))), loc)
        self.memo[key] = node
        return node

    def emit(self, p: dict, aval: Aval, loc) -> Node:
        if len(p) == 1:  # (one term, most polynomials: its monomial and coefficient)
            ((m, c),) = p.items()
            return self.emit_term(m, c, aval, loc)
        key = (frozenset(p.items()), aval)
        node = self.memo.get(key)
        if node is None:
            node = self._emit(p, aval, loc)
            self.memo[key] = node
        return node

    def _signed(self, p: dict, aval: Aval, loc):
        """(node, sign) with ``sign * node == p``, preferring positive leading coefficients."""
        if all(c < 0 for c in p.values()):
            return self.emit({m: -c for m, c in p.items()}, aval, loc), -1
        return self.emit(p, aval, loc), 1

    def _emit(self, p: dict, aval: Aval, loc) -> Node:
        if len(p) == 1:
            ((m, c),) = p.items()
            return self.emit_term(m, c, aval, loc)
        counts = Counter(v for m in p for v, _ in m)
        self.work += len(p) * len(counts)
        if self.work > 8192 + WORK_PER_NODE * self.passed:
            raise _OverBudget
        v, _ = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        # group by the exponent of v: p = sum_k v**k * p_k
        groups: dict[int, dict] = {}
        for m, c in p.items():
            k, rest = 0, m
            for j, (a, e) in enumerate(m):
                if a == v:  # drop v; the rest of the sorted monomial stays sorted
                    k, rest = e, m[:j] + m[j + 1:]
                    break
            groups.setdefault(k, {})[rest] = c
        ks = sorted(groups, reverse=True)
        atom = self.atoms[v]
        # acc stands for coef * node (node None: the constant coef)
        node, coef = self._leading(groups[ks[0]], aval, loc)
        for i, k in enumerate(ks):
            nxt = ks[i + 1] if i + 1 < len(ks) else 0
            gap = k - nxt
            if gap:
                factor = atom if gap == 1 else self._make(ew.integer_pow_p, (atom,), loc, y=gap)
                node = factor if node is None else self._make(ew.mul_p, (node, factor), loc)
            if i + 1 < len(ks):
                node, coef = self._unit(node, coef, aval, loc)
                term, tsign = self._signed(groups[nxt], aval, loc)
                if coef == tsign:
                    node = self._make(ew.add_p, (node, term), loc)
                elif coef > 0:
                    node = self._make(ew.sub_p, (node, term), loc)
                else:
                    node, coef = self._make(ew.sub_p, (term, node), loc), 1
        node, coef = self._unit(node, coef, aval, loc)
        return node if coef > 0 else self._make(ew.neg_p, (node,), loc)

    def _leading(self, p: dict, aval: Aval, loc):
        if len(p) == 1 and () in p:
            return None, p[()]
        return self._signed(p, aval, loc)

    def _unit(self, node, coef, aval: Aval, loc):
        """``(node', ±1)`` with the same value as ``coef * node``."""
        if node is None:
            return self.constant(abs(coef), aval, loc), (1 if coef > 0 else -1)
        if abs(coef) == 1:
            return node, coef
        k = self.constant(abs(coef), _scalar(aval))
        return self._make(ew.mul_p, (node, k), loc), (1 if coef > 0 else -1)

    def _monomial(self, m: tuple, aval: Aval, loc) -> Node:
        atoms = self.atoms
        keyed = self.keyed
        if keyed is None:
            node = None
            for v, e in m:
                a = atoms[v]
                f = a if e == 1 else self._make(ew.integer_pow_p, (a,), loc, y=e)
                node = f if node is None else self._make(_MUL, (node, f), loc)
            return node
        # (the products as _make makes them where they are keyed, inline: the monomials of
        # a chain's derivative are long)
        avals, table, set_key = self.avals, self.table, self.set_key
        node = None
        for v, e in m:
            a = atoms[v]
            z = a if e == 1 else self._make(ew.integer_pow_p, (a,), loc, y=e)
            if node is None:
                node = z
                continue
            made = self.made = self.made + 1
            if made > self.slack + self.passed or made > self.total:
                raise _OverBudget
            x = node
            kx, kz = x._skey, z._skey
            if kx is None:
                kx = keyed(x)
            if kz is None:
                kz = keyed(z)
            if x is not z:
                cx = x.op in _CONSTANT_OPS
                if ((kz < kx) if cx is (z.op in _CONSTANT_OPS) else cx) \
                        and x.aval.dtype.kind != "c" and z.aval.dtype.kind != "c":
                    x, z, kx, kz = z, x, kz, kx
            key = (_MUL, None, x.aval, z.aval)
            av = avals.get(key)
            if av is None:
                av = avals[key] = _MUL.shape(x.aval, z.aval)
            node = _intern(_MUL, (x, z), (), EMPTY_PARAMS, av, loc)
            if node._skey is None:
                code = self.codes.get(_MUL)
                if code is None:
                    code = self.codes[_MUL] = self.code_of(_MUL.name)
                if kz < kx:
                    kx, kz = kz, kx
                set_key(node, hash((code, 0, kx, kz)))
            if table is not None and loc is not None:
                table.setdefault(node, loc)
        return node


def _scalar(aval: Aval) -> Aval:
    """The 0-d aval of ``aval``'s dtype (coefficients are scalar constants)."""
    return aval if aval.shape == () else make_aval((), aval.dtype)


def _poly_candidate(node: Node) -> bool:
    """Whether ``node``, one of ``_POLY_OPS``, may have a polynomial."""
    a = node.aval
    if isinstance(a, tuple) or a.shape is None or a.dtype.kind != "f":
        return False
    if node.op is ew.integer_pow_p and not 1 <= _exponent(node) <= MAX_EXPONENT:
        return False
    for i in node.inputs:
        if i.aval is not a and i.aval != a and not (
                uniform(i) is not None and i.aval.shape == ()):
            return False
    return True


def _polynomial(n: Node, operands: list, arith):
    """``(terms, poison)`` of candidate ``n`` from its operands' polynomials (or _Refuse)."""
    if len(operands) == 2:  # (add, sub, mul)
        (p0, s0), (p1, s1) = operands
        poison = set(s0) if s0 else set()
        if s1:
            poison.update(s1)
    else:  # (neg, integer_pow)
        ((p0, s0),) = operands
        poison = set(s0) if s0 else set()
    op = n.op
    if op is ew.mul_p:
        p = arith.mul(p0, p1, poison)
    elif op is ew.add_p or op is ew.sub_p:
        p = arith.add(p0, p1, 1.0 if op is ew.add_p else -1.0, poison)
        if arith.size(p) > 1 and arith.has_constant(p):
            raise _Refuse  # a constant offset: kept as written (see the module docstring)
    elif op is ew.neg_p:
        if arith.size(p0) > 1:
            raise _Refuse  # -(a - b) is -0.0 where b - a is +0.0: kept as written
        p = arith.neg(p0)
    else:
        p = arith.pow(p0, _exponent(n), poison)
    if arith.num_atoms(p) > MAX_ATOMS or len(poison) > MAX_ATOMS:
        raise _Refuse
    return p, (frozenset(poison) if poison else _NO_POISON)


def _operand(i: Node, arith, atom):
    """``(terms, poison)`` that node ``i`` stands for in its consumers' polynomials when it
    has no polynomial of its own there (or is shared): a scalar constant, else an atom.
    Raises :class:`_Refuse` for an exact zero (its consumer stays as written)."""
    op = i.op
    if op is const_op or op is full_p:
        u = uniform(i)
        if u is not None and not isinstance(u, bool) and i.aval.dtype.kind in "fc":
            if not (cmath.isfinite(u) if isinstance(u, complex) else math.isfinite(u)):
                return arith.atom(atom(i)), _NO_POISON
            if u == 0:  # x + 0.0, x * -0.0: the result's sign of zero depends on it
                raise _Refuse
            return arith.constant(float(u)), _NO_POISON
    return arith.atom(atom(i)), _NO_POISON


def _walk(order, candidate, shared, arith, atom, polys: dict) -> None:
    """Fill ``polys`` with the ``(terms, poison)`` of every node of ``order`` that has one.

    ``arith`` is :class:`_Arith` or :class:`_SketchArith`; ``atom(n)`` is the atom index of
    node ``n`` (asked once per node, where it is first an operand). (:func:`_collect_walk`
    is this walk with the rebuilding of the other nodes, and fast paths, inline.)
    """
    # what each node is as an operand, once known: its polynomial (unless shared) or
    # _operand's (polynomials never hold more than MAX_TERMS terms, so none is ever too big
    # to pass on)
    known: dict = {}
    get = known.get
    for n in order:
        if n in candidate:
            try:
                operands = []
                for i in n.inputs:
                    v = get(i)
                    if v is None:
                        v = known[i] = _operand(i, arith, atom)
                    operands.append(v)
                polys[n] = got = _polynomial(n, operands, arith)
            except _Refuse:
                continue
            if n not in shared:
                known[n] = got


def _merges(order, candidate, shared) -> bool:
    """Whether like terms may meet anywhere when sums are multiplied out: a walk over
    :class:`_Sketch` es (atoms: the original nodes) that stops at the first possible meeting.
    ``True`` may be a false alarm (two atoms shared by terms that still differ); then the
    pass simply expands every product, as it would without this check."""
    index: dict[Node, int] = {}
    arith = _SketchArith()
    small, ranges = arith.small, arith.ranges

    def atom(n: Node) -> int:
        i = index.get(n)
        if i is None:
            i = index[n] = len(small)
            small.append(_bounded(n, ranges))
        return i

    try:
        _walk(order, candidate, shared, arith, atom, {})
    except _Merged:
        return True
    return False


def collect_terms(graph: Graph) -> Graph:
    """Merge like terms of sums and products and re-emit them in Horner form.

    >>> import wire
    >>> g = wire.trace(lambda x, y: x * y + y * x + x * y, 1.0, 2.0)
    >>> len(g), len(collect_terms(g))  # 3 * (x * y)
    (4, 2)
    """
    return collect(graph)[0]


def collect(graph: Graph, in_order=None, keying=None) -> tuple[Graph, bool]:
    """:func:`collect_terms` of ``graph``, and whether like terms could merge anywhere.

    Without merges the pass only re-emits products and powers it found, so running it again
    on its own (simplified) result cannot find more: :func:`wire.simplify` stops there.
    ``in_order(operands)``, if given, orders the operands of the sums and products it makes
    (as the rewrite that follows would); ``keying``, with the rewrite's own order, the
    rewrite's ``(structural_key, op codes, name code, key setter, params code)`` so the nodes
    it makes are keyed as they are made.
    """
    outputs = graph.outputs
    order = graph.nodes
    # (one loop over the nodes for the three facts the walks need)
    # the candidates (nodes that may have a polynomial), with two operands and with one
    binary: set[Node] = set()
    unary: set[Node] = set()
    mark = binary.add
    # a polynomial node also used by a non-polynomial consumer (or returned) is emitted
    # once and shared: its polynomial consumers see it as an atom rather than re-expanding it
    shared = set(outputs)
    share = shared.update
    float_avals: dict = {}  # aval -> whether its nodes may have polynomials
    fa = None  # the aval last found to be one of those
    for n in order:
        op = n.op
        if op in _POLY_OPS:
            ins = n.inputs
            if len(ins) == 2:  # (add, sub, mul: _poly_candidate, inline)
                a = n.aval
                x, y = ins
                if x.aval is a and y.aval is a:
                    if a is fa:
                        mark(n)
                        continue
                    ok = float_avals.get(a)
                    if ok is None:
                        ok = float_avals[a] = not isinstance(a, tuple) \
                            and a.shape is not None and a.dtype.kind == "f"
                    if ok:
                        fa = a
                        mark(n)
                        continue
                if _poly_candidate(n):
                    mark(n)
                    continue
            elif _poly_candidate(n):
                unary.add(n)
                continue
        share(n.inputs)  # (a leaf's are none)
    if not binary and not unary:
        return graph, False
    total = len(graph)  # operation nodes (counted with graph.nodes)
    # Whether like terms can meet decides whether products of sums are expanded
    # (:func:`_merges`, a walk of its own). Where they cannot (deep chains of products),
    # the walk that does not expand computes what that walk would, up to the first place
    # they could meet: so it runs first, watching for such a place, and only where it meets
    # one (or stops on its budget) do the check and the chosen walk run.
    try:
        return _collect_walk(graph, order, binary, unary, shared,
                             _Arith(expand=False, watch=True), total, in_order, keying), False
    except (_Diverged, _OverBudget):
        pass
    merging = _merges(order, binary | unary, shared)
    try:
        return _collect_walk(graph, order, binary, unary, shared, _Arith(expand=merging),
                             total, in_order, keying), merging
    except _OverBudget:
        return graph, merging


def _collect_walk(graph: Graph, order, binary, unary, shared, arith, total, in_order,
                  keying=None) -> Graph:
    """The graph :func:`collect` makes with ``arith`` (``graph`` if nothing changes); raises
    :class:`_OverBudget` where that would not pay, and lets ``arith`` raise
    :class:`_Diverged`.

    :func:`_walk` with fast paths, and the rebuilding of the nodes without a polynomial,
    inline. A polynomial of one term without poison (most of them: the products of a chain)
    is held as the pair ``(monomial, coefficient)``, a tuple; any other as the list
    ``[terms, poison]`` (:func:`_polynomial`'s answer).
    """
    outputs = graph.outputs
    atoms: list[Node] = []
    atom_index: dict[Node, int] = {}
    # a node's polynomial is in ``known`` (what it is as an operand), or, for a shared node
    # (an atom as an operand), in ``polys``
    polys: dict = {}
    new: dict[Node, Node] = {}
    # A budget keeps the pass linear where it does not pay: a result with as many new nodes
    # as the graph has operation nodes would not be kept (wire.simplify keeps only
    # improvements), and building nodes much faster than the walk passes old ones means the
    # same (the second derivative of a deep chain made 3 nodes for each one it replaced).
    # Then the pass stops and returns the graph as it was.
    emitter = _Emitter(atoms, total, in_order, keying)
    watch = arith.watch
    loc_of = loc_reader(graph)
    lget = own_table_get(graph)  # (loc_of's table, if it reads one alone)
    origin: dict[int, Node] = {}  # (watch) atom index -> the node :func:`_merges` would see
    small, ranges = arith.small, arith.ranges
    mul_p, add_p, sub_p = ew.mul_p, ew.add_p, ew.sub_p
    emit_term, emit_scaled = emitter.emit_term, emitter.emit_scaled
    # whether in_order is the rewrite's own (wire.transforms.simplify's _in_order): then a
    # product of a non-constant of this pass (a real float) and a constant is in its order
    keyed_order = in_order is not None and keying is not None

    def built(n: Node) -> Node:
        """The rebuilt node for ``n`` (emitting its polynomial if it has one)."""
        b = new.get(n)
        if b is None:
            emitter.passed = passed  # (the budget: see _Emitter)
            got = polys[n] if n in shared else known[n]
            if type(got) is tuple:  # one term, no poison
                m, c = got
                # (emit_scaled needs a constant operand: most products of a chain have none)
                if n.op is mul_p and (
                        n.inputs[1].op is const_op or n.inputs[0].op is const_op):
                    b = emit_scaled(n, m, c)
                    if b is not None:
                        new[n] = b
                        return b
                b = new[n] = emit_term(m, c, n.aval, (lget(n) or n.loc) if lget is not None
                                       else loc_of(n))
            else:
                terms, poison = got
                if poison or not terms:
                    b = new[n] = emitter.emit_guarded(terms, poison, n.aval, loc_of(n))
                else:  # (emit_guarded's first case)
                    b = new[n] = emitter.emit(terms, n.aval, loc_of(n))
        return b

    def atom(n: Node) -> int:
        built_n = new.get(n) or built(n)  # (nodes are true)
        idx = atom_index.get(built_n)
        if idx is None:
            idx = atom_index[built_n] = len(atoms)
            atoms.append(built_n)
            # (sin, cos, tanh, sign: in [-1, 1], as _bounded finds, without its calls)
            small.append(True if built_n.op in _UNIT_OPS else _bounded(built_n, ranges))
            if watch:
                origin[idx] = n
        elif watch and origin[idx] is not n:
            # two nodes rebuilt as one: one atom here, two in _merges' walk
            raise _Diverged
        return idx

    def operand(i: Node):
        """:func:`_operand` of ``i`` as a pair ``(monomial, coefficient)``, with :func:`atom`
        inline for the atoms (most operands)."""
        op = i.op
        if op is const_op or op is full_p:
            ((m, c),) = _operand(i, arith, atom)[0].items()  # (a constant or an atom)
            return m, c
        built_i = new.get(i) or built(i)  # (nodes are true)
        idx = atom_index.get(built_i)
        if idx is None:
            idx = atom_index[built_i] = len(atoms)
            atoms.append(built_i)
            if built_i.op in _UNIT_OPS:  # (sin, cos, tanh, sign: in [-1, 1])
                small.append(True)
            else:  # (_bounded, inline)
                r = ranges.get(built_i, _UNKNOWN)
                if r is _UNKNOWN:
                    r = ranges[built_i] = _range_of(built_i, ranges, _RANGE_DEPTH)
                small.append(r is not None and (
                    (r := max(-r[0], r[1])) <= 1.0 or r <= _power_limit(built_i.aval.dtype)))
            if watch:
                origin[idx] = i
        elif watch and origin[idx] is not i:
            raise _Diverged
        return ((idx, 1),), 1.0

    known: dict = {}  # what each node is as an operand, once known (see _walk)
    get = known.get
    scaling: dict = {}  # (constant node, aval) -> whether x * it is kept as it is
    with recording() as table:
        emitter.table = table
        passed = 0  # (the nodes passed, read by built: the budget)
        for passed, n in enumerate(order, 1):
            if n in binary:
                ins = n.inputs
                try:
                    a, b = ins
                    pa = get(a)
                    if pa is None:
                        pa = known[a] = operand(a)
                    pb = get(b)
                    if pb is None:
                        pb = known[b] = operand(b)
                    op = n.op
                    if type(pa) is tuple and type(pb) is tuple:  # two single terms
                        ma, ca = pa
                        mb, cb = pb
                        if op is mul_p:
                            if not mb and b.op is const_op and n in shared:
                                # a product of an atom and a constant that something
                                # else needs (a forward step's x * 1.01): emitted, it
                                # is the node itself (see _Emitter.emit_scaled), so it
                                # is kept at once. Whether the coefficient's constant
                                # is ``b``: emitter.constant's answer, asked once per
                                # constant node and aval
                                scales = scaling.get((b, n.aval))
                                if scales is None:
                                    scales = scaling[b, n.aval] = cb != 1 and cb != -1 \
                                        and _TINY <= abs(cb) <= _HUGE \
                                        and emitter.constant(cb, _scalar(n.aval)) is b
                                if scales and ca == 1.0 and len(ma) == 1 \
                                        and ma[0][1] == 1 and atoms[ma[0][0]] is a and (
                                            in_order is None or (
                                                # (the rewrite's order, _in_order's
                                                # first case inline: a constant last)
                                                keyed_order
                                                and a.op not in _CONSTANT_OPS
                                                and b.aval.dtype.kind != "c")
                                            or in_order(ins) is ins):
                                    made = emitter.made = emitter.made + 1  # (as emitted)
                                    if made > emitter.slack + passed or made > total:
                                        raise _OverBudget
                                    new[n] = n
                                    continue
                            # a monomial times a monomial (the products of chains): as
                            # _polynomial computes it
                            c = ca * cb
                            if _TINY <= abs(c) <= _HUGE:  # (else: _polynomial)
                                if not mb:  # times a constant
                                    # (_scales_large's first test inline: a product of
                                    # three atoms or more, or c >= 1, never scales down)
                                    if len(ma) <= 2 and abs(c) < 1.0 \
                                            and _scales_large(ma, c, small):
                                        raise _Refuse
                                    m = ma
                                elif not ma:
                                    if len(mb) <= 2 and abs(c) < 1.0 \
                                            and _scales_large(mb, c, small):
                                        raise _Refuse
                                    m = mb
                                else:
                                    if len(ma) == 1 and len(mb) > 1:
                                        # an atom times a product (the product is the
                                        # second operand): the same monomial, made by
                                        # inserting the atom (not _mono_mul's merge)
                                        ma, mb = mb, ma
                                    if len(mb) == 1 and mb[0][0] > ma[-1][0] \
                                            and mb[0][1] <= MAX_EXPONENT:
                                        m = ma + mb  # (_mono_mul's first case)
                                        # (_adds_large is False for a small atom times
                                        # three atoms or more: not called then)
                                        if (len(ma) <= 2 or not small[mb[0][0]]) and \
                                                _adds_large(ma, mb[0][0], mb[0][1], small):
                                            raise _Refuse
                                    else:
                                        m = _mono_mul(ma, mb)
                                        if len(m) > 1 and (
                                                _adds_large(ma, mb[0][0], mb[0][1], small)
                                                if len(mb) == 1 else _regroups(m, small)):
                                            raise _Refuse
                                    if len(m) > MAX_ATOMS or (
                                            len(m) <= 2 and abs(c) < 1.0
                                            and _scales_large(m, c, small)):
                                        raise _Refuse
                                if n in shared:
                                    polys[n] = m, c
                                else:
                                    known[n] = m, c
                                continue
                        elif (op is add_p or op is sub_p) and (not ma) is not (not mb):
                            # a constant plus a polynomial without one (tanh's 1 - t**2):
                            # _polynomial keeps it as written (no like terms to meet);
                            # (refused without raising _Refuse: pa None)
                            pa = None
                        if pa is not None:
                            pa = [{ma: ca}, _NO_POISON]
                            pb = [{mb: cb}, _NO_POISON]
                    else:
                        if type(pa) is tuple:
                            pa = [{pa[0]: pa[1]}, _NO_POISON]
                        if type(pb) is tuple:
                            pb = [{pb[0]: pb[1]}, _NO_POISON]
                        if op is add_p or op is sub_p:
                            p, q = pa[0], pb[0]
                            if len(p) == 1 and () in p:
                                if q and () not in q:
                                    raise _Refuse  # (as above)
                            elif len(q) == 1 and () in q and p and () not in p:
                                raise _Refuse
                    if pa is not None:
                        p, poison = _polynomial(n, [pa, pb], arith)
                        if len(p) == 1 and not poison:
                            ((m, c),) = p.items()
                            got = m, c
                        else:
                            got = [p, poison]
                        if n in shared:
                            polys[n] = got
                        else:
                            known[n] = got
                        continue
                except _Refuse:
                    pass
                # no polynomial: the node as it is, on its operands rebuilt
                x, y = ins
                bx = new.get(x)
                if bx is None:
                    bx = built(x)
                by = new.get(y)
                if by is None:
                    by = built(y)
                if bx is not x or by is not y:
                    bs = (bx, by)
                    if in_order is not None and (n.op is mul_p or n.op is add_p):
                        bs = in_order(bs)
                    new[n] = with_inputs(n, bs)
                else:
                    new[n] = n
                continue
            ins = n.inputs
            if n in unary:
                try:
                    (a,) = ins
                    pa = get(a)
                    if pa is None:
                        pa = known[a] = operand(a)
                    if type(pa) is tuple:
                        pa = [{pa[0]: pa[1]}, _NO_POISON]
                    p, poison = _polynomial(n, [pa], arith)
                    if len(p) == 1 and not poison:
                        ((m, c),) = p.items()
                        got = m, c
                    else:
                        got = [p, poison]
                    if n in shared:
                        polys[n] = got
                    else:
                        known[n] = got
                    continue
                except _Refuse:
                    pass
            # no polynomial: the node as it is, on its operands rebuilt
            if len(ins) == 1:
                (i,) = ins
                b = new.get(i)
                if b is None:
                    b = built(i)
                if b is not i:
                    new[n] = with_inputs(n, (b,))
                    continue
            elif len(ins) == 2:  # (a binary node: no list)
                x, y = ins
                bx = new.get(x)
                if bx is None:
                    bx = built(x)
                by = new.get(y)
                if by is None:
                    by = built(y)
                if bx is not x or by is not y:
                    bs = (bx, by)
                    if in_order is not None and (n.op is mul_p or n.op is add_p):
                        bs = in_order(bs)
                    new[n] = with_inputs(n, bs)
                    continue
            elif ins:
                bs = tuple([new.get(i) or built(i) for i in ins])
                if bs != ins:  # element identity: nodes compare by identity
                    if in_order is not None and (n.op is mul_p or n.op is add_p):
                        bs = in_order(bs)
                    new[n] = with_inputs(n, bs)
                    continue
            new[n] = n
        outs = tuple(new.get(o) or built(o) for o in outputs)
    if outs == outputs:
        return graph
    own = graph.locs
    lget = own_table_get(graph)
    if lget is not None:  # (the usual case, as one comprehension: loc_of inline)
        table.update({b: loc for old, b in new.items() if (b is not old or old not in own)
                      and (loc := lget(old) or old.loc) is not None})
    else:
        for old, b in new.items():
            if b is old and old in own:
                continue  # (the update below gives it its line)
            loc = loc_of(old)
            if loc is not None:
                table[b] = loc
    table.update(own)
    return Graph(graph.inputs, outs, graph.in_tree, graph.out_tree, table)
