"""The simplifier's accuracy audit: no rewrite of the default table may make a result less
accurate than the graph it replaces, nor change its NaN, infinities or signed zeros.

For every rule of :data:`wire.transforms.rules.ALGEBRA` and for the collection of terms
(:mod:`wire.transforms.polynomial`), graphs the rule fires on are evaluated with and without
it on tail and special inputs (±0, ±inf, NaN, subnormals, huge and tiny values, points of
cancellation). Identities claim the very same bits; rewrites that round differently (a sum of
``n`` equal terms as one product, re-associated polynomials) are compared with mpmath in ulps:
``err(rewritten) <= 4 err(original) + 16 ulps`` (re-rounding near a root of the result moves
a few ulps either way; what the audit catches is a loss of orders of magnitude: a term absorbed
by a constant, an expanded product cancelling). A test asserts that every rule of the table has
cases, so a new rule cannot join it unaudited. The opt-in :data:`~wire.transforms.rules.UNSAFE`
rules are shown to change NaN/inf results, which is why they are opt-in.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import mpmath as mp
import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.core import bind, to_tracer as const
from wire.ops import reductions as RED
from wire.ops import shape as S
from wire.ops.elementwise import convert_p
from wire.scipy.special import erf
from wire.transforms import rules as R
from wire.transforms.polynomial import collect_terms
from wire.transforms.simplify import rewrite

mp.mp.dps = 60

F64_SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, -1e-300, 5e-324,
                        1e300, -1e300, 1e-8, 1.0 + 2.0 ** -52, np.inf, -np.inf, np.nan])
F32_SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-38, -1e-38, 1e-45, 3e38,
                        -3e38, 1e-4, 1.0 + 2.0 ** -23, np.inf, -np.inf, np.nan], np.float32)


def special(dtype):
    return F32_SPECIAL if np.dtype(dtype) == np.float32 else F64_SPECIAL


def pairs(v):
    """Every pair of ``v``'s values, as two broadcasting operands."""
    return v[:, None], v[None, :]


def grid(*axes):
    """Every combination of the values of ``axes``, as arrays of one shape (the collection
    of terms only reads operands of the node's own shape)."""
    return tuple(np.ascontiguousarray(a) for a in np.meshgrid(*axes, indexing="ij"))


class Case(NamedTuple):
    name: str
    fn: Callable  # the traced function
    args: Callable  # dtype -> argument tuple (tail and special values)
    mp: Callable | None = None  # mpmath reference on the flattened float64 args, or None:
    #                              the rule claims the very same bits
    zero_sign: bool = True  # whether the sign of an exact zero result must be kept
    pointwise: bool = False  # traced at a scalar, evaluated at each point of the arguments
    nan_to_inf: bool = False  # collecting terms may factor an infinity out (documented)


def unary(fn, mp_fn=None, **kw):
    return lambda name: Case(name, fn, lambda dt: (F32_SPECIAL if dt == np.float32
                                                   else F64_SPECIAL,), mp_fn, **kw)


def binary(fn, mp_fn=None, **kw):
    return lambda name: Case(name, fn, lambda dt: pairs(F32_SPECIAL if dt == np.float32
                                                        else F64_SPECIAL), mp_fn, **kw)


def case(fn, args, mp_fn=None, **kw):
    return lambda name: Case(name, fn, args, mp_fn, **kw)


X = lambda dt: (np.linspace(-3, 3, 12).astype(dt).reshape(3, 4),)  # noqa: E731
MAT = lambda dt: (np.arange(24.0).astype(dt).reshape(2, 3, 4) - 11.5,)  # noqa: E731


# fmt: off
# rule name -> cases it fires on
CASES = {
    "fold_constant": [
        unary(lambda x: x * wnp.sin(const(np.asarray(0.7))) + wnp.exp(const(np.asarray(-0.3))),
              lambda x: x * mp.sin(mp.mpf(0.7)) + mp.exp(mp.mpf(-0.3))),
        unary(lambda x: x + wnp.log1p(const(np.asarray(1e-10))) * 3.0,
              lambda x: x + mp.log1p(mp.mpf(1e-10)) * 3),
    ],
    "sort_operands": [
        binary(lambda x, y: y * x + x * y),
        binary(lambda x, y: wnp.add(y, x) - wnp.add(x, y)),
        binary(lambda x, y: (y == x) & (x != y)),
    ],
    "add_zero": [unary(lambda x: x + np.asarray(-0.0)), unary(lambda x: np.asarray(-0.0) + x)],
    "add_neg": [binary(lambda x, y: x + (-y)), binary(lambda x, y: (-x) + y)],
    "sub_zero": [unary(lambda x: x - np.asarray(0.0)), unary(lambda x: np.asarray(-0.0) - x)],
    "sub_neg": [binary(lambda x, y: x - (-y)),
                case(lambda x, y: (-x) - y, lambda dt: pairs(np.arange(-3, 4).astype(np.int64)))],
    "mul_one": [unary(lambda x: x * np.asarray(1.0)), unary(lambda x: np.asarray(-1.0) * x)],
    "mul_zero_finite": [unary(lambda x: x + const(np.full(17, -2.0)) * np.asarray(0.0)),
                        unary(lambda x: x * (const(np.asarray(3.0)) * np.asarray(-0.0)))],
    "negations_up": [binary(lambda x, y: (-x) * (-y)), binary(lambda x, y: (-x) / y),
                     binary(lambda x, y: x * (-y))],
    "div_one": [unary(lambda x: x / np.asarray(1.0)), unary(lambda x: x / np.asarray(-1.0))],
    "neg_neg": [unary(lambda x: -(-x)),
                case(lambda x, y: -(x - y), lambda dt: pairs(np.arange(-3, 4).astype(np.int64)))],
    "integer_pow_trivial": [unary(lambda x: x ** 1), unary(lambda x: x ** 0)],
    "convert_same": [unary(lambda x: bind(convert_p, x, dtype=x.dtype) * 2.0)],
    "select_known": [unary(lambda x: wnp.where(x > 0, x, x)),
                     unary(lambda x: wnp.where(np.asarray(True), x, -x))],
    "reshape_chain": [unary(lambda x: x.reshape(17, 1).reshape(1, 17)),
                      unary(lambda x: bind(S.reshape_p, x, shape=(17,))),
                      unary(lambda x: x + const(np.zeros(17)).reshape(1, 17).reshape(17))],
    "transpose_chain": [case(lambda x: x.T.T, MAT),
                        case(lambda x: wnp.transpose(wnp.transpose(x, (1, 2, 0)), (2, 0, 1)), MAT),
                        case(lambda x: bind(S.transpose_p, x, perm=(0, 1, 2)), MAT)],
    "transpose_unit_axes": [case(lambda x: wnp.transpose(x.reshape(2, 1, 12), (1, 0, 2)), MAT)],
    "swapaxes_trivial": [
        case(lambda x: bind(S.swapaxes_p, bind(S.swapaxes_p, x, axis1=0, axis2=2), axis1=2,
                            axis2=0), MAT),
        case(lambda x: bind(S.swapaxes_p, x, axis1=1, axis2=1), MAT)],
    "broadcast_chain": [unary(lambda x: wnp.broadcast_to(wnp.broadcast_to(x, (2, 17)), (3, 2, 17))),
                        unary(lambda x: bind(S.broadcast_to_p, x, shape=(17,)))],
    "reduce_sum_trivial": [
        case(lambda x: wnp.sum(x.reshape(17, 1), axis=1), lambda dt: (special(dt),)),
        # the sum of up to 3 copies of a scalar as one product: the very same bits
        unary(lambda x: wnp.stack([bind(RED.reduce_sum_p, bind(S.broadcast_to_p, x[i],
                                                                shape=(3, 1)), axes=None)
                                   for i in range(17)])),
        case(lambda x: wnp.sum(wnp.broadcast_to(x[:, :1], (3, 0)), axis=1), X),
    ],
    # (the derivative table only) the sum of n copies of a scalar as one product: more
    # accurate, never less, but not NumPy's bits
    "reduce_sum_copies": [
        case(lambda s: wnp.sum(wnp.broadcast_to(s, (7,))), lambda dt: (special(dt)[3],),
             lambda s: 7 * s),
        # ... for every special value as the scalar
        unary(lambda x: wnp.stack([bind(RED.reduce_sum_p, bind(S.broadcast_to_p, x[i],
                                                                shape=(3, 5)), axes=None)
                                   for i in range(17)]), lambda x: 15 * x),
    ],
    "full_like_known": [unary(lambda x: x + bind(S.full_like_p, x, value=2.0))],
}
# fmt: on

UNSAFE_CASES = {
    "mul_zero": (lambda x: x * np.asarray(0.0)),
    "sub_self": (lambda x: x - x),
    "div_self": (lambda x: x / x),
}


def _rules_of(table) -> dict:
    out = {}
    for key, fns in table.items():
        if key == R.COLLECT:  # the collection of terms: audited below
            continue
        for fn in fns:
            out.setdefault(fn.__name__, (fn, []))[1].append(key)
    return out


DEFAULT_RULES = _rules_of(R.DERIVATIVES)  # (ALGEBRA's rules, and those of derivatives only)


def test_every_rule_of_the_default_table_is_audited():
    assert set(DEFAULT_RULES) == set(CASES), (
        f"rules without accuracy cases: {sorted(set(DEFAULT_RULES) - set(CASES))}; "
        f"cases for no rule: {sorted(set(CASES) - set(DEFAULT_RULES))}")
    assert set(_rules_of(R.UNSAFE)) == set(UNSAFE_CASES)


# --------------------------------------------------------------------------- comparison


def _ulps(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|got - ref| in units of the last place of ``ref`` (in ``got``'s dtype)."""
    spacing = np.spacing(np.abs(ref).astype(got.dtype)).astype(np.float64)
    spacing = np.where(spacing == 0, np.finfo(got.dtype).smallest_subnormal, spacing)
    return np.abs(got.astype(np.float64) - ref) / spacing


def _reference(mp_fn, args, dtype) -> np.ndarray:
    b = np.broadcast_arrays(*[np.asarray(a, np.float64) for a in args])
    out = np.empty(b[0].shape, np.float64) if b else np.empty(())
    for idx in np.ndindex(out.shape):
        vals = [v[idx] for v in b]
        if not all(math.isfinite(v) for v in vals):
            out[idx] = np.nan  # specials are compared by class, not against mpmath
            continue
        r = mp_fn(*[mp.mpf(float(v)) for v in vals])
        out[idx] = float(r)
    return out


def assert_not_worse(name, old, new, ref=None, zero_sign=True, nan_to_inf=False):
    """``new`` keeps ``old``'s NaNs, infinities and zero signs, and is as accurate."""
    old, new = np.asarray(old), np.asarray(new)
    assert old.shape == new.shape and old.dtype == new.dtype, name
    if old.dtype.kind not in "fc":
        np.testing.assert_array_equal(new, old, err_msg=name)
        return
    if ref is not None:
        ref = np.broadcast_to(ref, old.shape)
    if nan_to_inf:  # a NaN may have become an infinity, never a finite value
        lost = np.isnan(old) & ~np.isnan(new)
        assert np.isinf(new[lost]).all(), f"{name}: a NaN became finite"
        old, new = old[~lost], new[~lost]
        ref = None if ref is None else ref[~lost]
    assert np.array_equal(np.isnan(old), np.isnan(new)), f"{name}: NaN where there was none " \
        f"(or none where there was one): {old[np.isnan(old) != np.isnan(new)]} -> " \
        f"{new[np.isnan(old) != np.isnan(new)]}"
    inf = np.isinf(old) | np.isinf(new)
    assert np.array_equal(old[inf], new[inf]), f"{name}: infinities changed: {old[inf]} -> " \
        f"{new[inf]}"
    zero = (old == 0) & (new == 0)
    if zero_sign:
        assert np.array_equal(np.signbit(old[zero]), np.signbit(new[zero])), \
            f"{name}: the sign of a zero changed"
    finite = np.isfinite(old) & np.isfinite(new) & ~zero
    if ref is None:
        assert np.array_equal(old[finite], new[finite]), f"{name}: values changed: " \
            f"{old[finite & (old != new)]} -> {new[finite & (old != new)]}"
        return
    ok = finite & np.isfinite(ref)
    e_old, e_new = _ulps(old[ok], ref[ok]), _ulps(new[ok], ref[ok])
    worse = e_new > 4 * e_old + 16
    assert not worse.any(), f"{name}: less accurate: {e_old[worse]} ulps -> {e_new[worse]} " \
        f"ulps against mpmath"


# --------------------------------------------------------------------------- the rules


RULE_CASES = [(rule, k, make) for rule, makes in CASES.items() for k, make in enumerate(makes)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("rule,k,make", RULE_CASES, ids=[f"{r}-{k}" for r, k, _ in RULE_CASES])
def test_a_rule_keeps_specials_and_accuracy(rule, k, make, dtype):
    c = make(f"{rule}[{k}]")
    args = c.args(dtype)
    graph = wire.trace(c.fn, *args)
    fn, keys = DEFAULT_RULES[rule]
    rewritten = rewrite({key: (fn,) for key in keys})(graph)
    assert rewritten != graph, f"{c.name}: the rule does not fire on this graph"
    with np.errstate(all="ignore"):
        old = wire.evaluate(graph, *args)
        new = wire.evaluate(rewritten, *args)
    ref = _reference(c.mp, args, dtype) if c.mp is not None else None
    assert_not_worse(c.name, old, new, ref, c.zero_sign)


@pytest.mark.parametrize("rule", sorted(UNSAFE_CASES))
def test_unsafe_rules_change_nan_or_inf(rule):
    graph = wire.trace(UNSAFE_CASES[rule], F64_SPECIAL)
    table = R.combine(R.ALGEBRA, R.UNSAFE)
    with np.errstate(all="ignore"):
        old = wire.evaluate(graph, F64_SPECIAL)
        new = wire.evaluate(wire.simplify(graph, table), F64_SPECIAL)
    with pytest.raises(AssertionError, match="NaN"):
        assert_not_worse(rule, old, new)
    assert rule not in DEFAULT_RULES


# --------------------------------------------------------------------------- collecting terms


def _raw(f, order=1):
    """The ``order``-th derivative of elementwise ``f``, unsimplified."""
    for _ in range(order):
        f = wire.grad(lambda x, f=f: wnp.sum(f(x)), simplify=False)
    return f


def _gelu(x):
    return x * 0.5 * (1.0 + erf(x / np.sqrt(2.0)))


def _gelu_mp(x):
    return x * (1 + mp.erf(x / mp.sqrt(2))) / 2


def _set(x):
    return wnp.sin(x) * wnp.exp(wnp.tanh(x))


def _set_mp(x):
    return mp.sin(x) * mp.exp(mp.tanh(x))


def _logistic(x):
    return 1.0 / (1.0 + wnp.exp(-x))


def _logistic_mp(x):
    return 1 / (1 + mp.exp(-x))


TAILS = np.array([-40.0, -20.0, -10.0, -8.5, -5.0, -1.5, -0.3, 0.0, 0.7, 3.0, 8.0, 19.0])


def _derivative_case(name, f, f_mp, order, points=TAILS):
    return case(_raw(f, order), lambda dt: (points.astype(dt),),
                lambda x: mp.diff(f_mp, x, order), pointwise=True)(name)


SPECIAL_PAIRS = np.array([1.0, -1.0, 0.0, -0.0, 2.5, np.inf, -np.inf, np.nan])

POLY_CASES = [
    # gelu's derivative: 0.5*(1 + erf) must not become 0.5*erf + 0.5 (the tail is lost)
    *[_derivative_case(f"gelu d{k}", _gelu, _gelu_mp, k) for k in (1, 2)],
    *[_derivative_case(f"sin*exp(tanh) d{k}", _set, _set_mp, k,
                       np.array([-20.0, -8.0, -1.0, 0.3, 3.0, 10.0])) for k in (1, 2, 3, 4)],
    *[_derivative_case(f"logistic d{k}", _logistic, _logistic_mp, k) for k in (2, 3)],
    # -(a - b) is -0.0 where a == b; b - a is +0.0
    case(lambda a, b: -(a - b), lambda dt: grid(SPECIAL_PAIRS.astype(dt), SPECIAL_PAIRS.astype(dt)),
         lambda a, b: b - a)("negated difference"),
    case(lambda a, b: -(a - b) * 1.5 + a,
         lambda dt: grid(SPECIAL_PAIRS.astype(dt), SPECIAL_PAIRS.astype(dt)),
         lambda a, b: (b - a) * mp.mpf(1.5) + a)("negated difference, scaled"),
    # b - (b - a)*(1 - t) at b = inf is nan, a + (b - a)*t is inf
    case(lambda a, b, t: b - (b - a) * (1.0 - t) + (a - a),
         lambda dt: grid(SPECIAL_PAIRS.astype(dt), SPECIAL_PAIRS.astype(dt),
                         np.array([0.25, 0.5, 1.0], dt)),
         lambda a, b, t: b - (b - a) * (1 - t), nan_to_inf=True)("lerp"),
    case(lambda x, y: x * y + y * x - x * y + (x + 1.0) * (x + 1.0) * (x + 1.0),
         lambda dt: grid(*[np.concatenate([SPECIAL_PAIRS, [-1 + 1e-6, -1 - 1e-6]]).astype(dt)] * 2),
         lambda x, y: x * y + (x + 1) ** 3)("like terms and a cube near its root"),
    # a product distributed over a sum of non-constant terms (and factored back) rounds as
    # the sum rounds, and the sign of an exactly-zero result follows the new grouping (see
    # wire.transforms.polynomial): documented, so zero signs are not compared here
    case(lambda a, b, c: a * c - b * c + (a - b) * c * c,
         lambda dt: grid(SPECIAL_PAIRS.astype(dt), SPECIAL_PAIRS.astype(dt),
                         np.array([-1.0, 2.0], dt)),
         lambda a, b, c: a * c - b * c + (a - b) * c * c, zero_sign=False)("distributed product"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("c", POLY_CASES, ids=lambda c: c.name)
def test_collecting_terms_keeps_specials_and_accuracy(c, dtype):
    args = c.args(dtype)
    example = [a.reshape(-1)[0] for a in args] if c.pointwise else args
    graph = wire.trace(c.fn, *example)

    def run(g):
        if not c.pointwise:
            return wire.evaluate(g, *args)
        return np.array([wire.evaluate(g, *point) for point in zip(*args)])

    ref = _reference(c.mp, args, dtype) if c.mp is not None else None
    with np.errstate(all="ignore"):
        old = run(graph)
        # the default simplify does not re-associate: everything is kept, to the bit
        assert_not_worse(f"{c.name} (simplify)", old, run(wire.simplify(graph)), ref)
        # collecting terms (the transforms' derivative graphs): accuracy and the documented
        # effects of re-association only
        for name, new_graph in (("collect_terms", collect_terms(graph)),
                                ("DERIVATIVES", wire.simplify(graph, R.DERIVATIVES))):
            assert_not_worse(f"{c.name} ({name})", old, run(new_graph), ref, c.zero_sign,
                             c.nan_to_inf)


def test_gelu_derivative_keeps_its_far_negative_tail():
    # 0.5*(1 + erf(x/√2)) + x*φ(x): 1 + erf rounds to 0 below x ≈ -8.5, so the formula itself is
    # 1% off at -10 (mpmath: -7.618e-22); simplifying must not lose the rest (it made 0.0)
    g = wire.grad(_gelu)(-10.0)
    for other in (wire.grad(_gelu, simplify=False)(-10.0), wire.jit(wire.grad(_gelu))(-10.0)):
        assert g == pytest.approx(other, rel=1e-14, abs=0)
    assert g == pytest.approx(float(mp.diff(_gelu_mp, -10.0)), rel=0.02, abs=0)


def test_nanquantile_of_an_infinity_is_nan_under_jit():
    a = np.array([1.0, np.inf])
    with np.errstate(invalid="ignore"):
        expected = np.nanquantile(a, 0.5)
        assert np.isnan(expected)
        assert np.isnan(wire.jit(lambda v: wnp.nanquantile(v, 0.5))(a))
        lerp = wire.jit(lambda lo, hi, t: hi - (hi - lo) * (1.0 - t))
        assert np.isnan(lerp(1.0, np.inf, 0.5))


def test_negated_difference_keeps_its_negative_zero():
    g = wire.simplify(wire.trace(lambda a, b: -(a - b), 1.0, 1.0))
    assert np.signbit(wire.evaluate(g, 1.0, 1.0)) and np.signbit(-(np.float64(1.0) - 1.0))
    assert np.signbit(wire.jit(lambda a, b: -(a - b))(1.0, 1.0))
