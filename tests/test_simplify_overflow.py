"""Collecting terms (wire/transforms/polynomial.py) must not make an intermediate overflow or
underflow that the graph as written did not: ``x * (exp(-x*x) * -2x)`` regrouped as
``(x*x) * exp(-x*x) * -2`` overflows ``x*x`` to inf at x = 1e155, and inf * 0 = nan where the
graph as written gives 0. The reference is the same derivative graph evaluated without
simplification (``wire.grad(f, simplify=False)``); at the huge inputs it is checked against
JAX too."""

import math

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.transforms.polynomial import collect_terms
from wire.transforms.rules import DERIVATIVES

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

CASES = [  # (name, f, points): gradients at huge, tiny, zero and infinite inputs
    ("x*exp(-x*x)", lambda x: x * wnp.exp(-x * x), [1e155, 1e200, -1e300, 1e-170, 0.0, 3.0]),
    ("x*x*exp(-x)", lambda x: x * x * wnp.exp(-x), [1e155, 1e300, 800.0, 1e-170]),
    ("x**2*e*x**3", lambda x: x ** 2 * wnp.exp(-x * x) * x ** 3, [1e60, 1e100, 1e155, 2.0]),
    ("(x*e)**2", lambda x: (x * wnp.exp(-x * x)) ** 2, [1e100, 1e155, 1e200, 0.5]),
    ("x*t*(x*e)", lambda x: x * wnp.tanh(x) * (x * wnp.exp(-x * x)), [1e155, 1e200, 1.5]),
    ("c1*(c2*x)", lambda x: 1e200 * (1e200 * wnp.sin(x) * x), [1e-300, 1e-250, 1e-100]),
    ("c1*(c2*x) tiny", lambda x: 1e-200 * (1e-200 * x * wnp.sin(x)), [1e300, 1e250, 2.0]),
    ("(x*y)/y", lambda x: (x * wnp.exp(-x * x)) / wnp.exp(-x * x), [1e155, 30.0, 1e-300]),
    ("gauss", lambda x: wnp.exp(-x * x / 2), [1e155, 1e200, 40.0, 0.0, -0.0]),
]

# two large distinct factors: ((c*b)*e)*a is 0 at a = b = 1e300 (e = exp(-a*a) = 0), where
# (b*a)*e is inf * 0 = nan
TWO = [
    (lambda x, y: wnp.sin((wnp.exp(-(x * x)) - 1.0) * (wnp.sin(-1.0) * y)) ** 2,
     [(1e300, 1e300), (-1e300, 1e155), (1e200, 1e200), (0.5, 2.0)]),
    (lambda x, y: (x * wnp.exp(-x * x)) * y, [(1e300, 1e300), (1e200, 1e200), (1.5, 2.0)]),
    (lambda x, y: wnp.tanh(x) * (y * wnp.exp(-y * y)) * x * 3.0, [(1e300, 1e300), (2.0, 1.0)]),
]


@pytest.mark.parametrize("i", range(len(TWO)))
def test_grad_of_two_large_factors_keeps_nan_inf_status(i):
    f, points = TWO[i]
    g = wire.grad(f, argnums=(0, 1))
    ref = wire.grad(f, argnums=(0, 1), simplify=False)
    for x, y in points:
        for got, want in zip(g(x, y), ref(x, y)):
            assert _same(got, want), (i, x, y, got, want)


def _same(a, b) -> bool:
    a, b = float(a), float(b)
    if math.isnan(b) or math.isinf(b) or b == 0:
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == pytest.approx(b, rel=1e-13, abs=0)


@pytest.mark.parametrize("name,f,points", CASES, ids=[c[0] for c in CASES])
def test_grad_keeps_nan_inf_status_at_huge_and_tiny_inputs(name, f, points):
    g, ref = wire.grad(f), wire.grad(f, simplify=False)
    for x in points + [np.inf, -np.inf, np.nan]:
        got, want = g(x), ref(x)
        assert _same(got, want), (name, x, got, want)


def test_gaussian_tail_gradient_matches_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    d = jax.grad(lambda x: x * jnp.exp(-x * x))
    for x in (1e155, 1e200, -1e300):
        want = float(d(x))
        got = float(wire.grad(lambda x: x * wnp.exp(-x * x))(x))
        assert got == want == 0.0, (x, got, want)


FORWARD = [  # graphs simplified with the derivative table directly
    (lambda x: (x * wnp.exp(-x * x)) * x, [1e155, 1e200, 2.0]),
    (lambda x: 3.0 * ((x * wnp.exp(-x * x)) * x) - (x * wnp.exp(-x * x)) * x, [1e155, 2.0]),
    (lambda x: 1e300 * (1e300 * x) - 0.5 * (1e300 * (1e300 * x)), [1e-300, 1e-310]),
    (lambda x: 1e308 * x + 1e308 * x, [0.5, 1e-300]),  # the coefficient 2e308 overflows
    (lambda x: (x * 3.0) * (wnp.exp(-x * x) * (x * 0.5)), [1e155, 1e300, 2.0]),
]

TWO_INPUTS = [  # x*y scaled down: (x*y)*2e-200 overflows where (y+y)*(x*1e-200) did not
    (lambda x, y: (y + y) * (x * 1e-200), [(1e300, 1e155), (-1e300, 1e155), (2.0, 3.0)]),
    (lambda x, y: 1e-200 * (x * x), [(1e200, 0.0), (2.0, 0.0)]),
]


@pytest.mark.parametrize("i", range(len(TWO_INPUTS)))
def test_simplify_keeps_values_where_a_small_coefficient_comes_last(i):
    f, points = TWO_INPUTS[i]
    g = wire.trace(f, 1.0, 1.0)
    for s in (wire.simplify(g, DERIVATIVES), collect_terms(g)):
        for x, y in points:
            a = wire.evaluate(s, np.float64(x), np.float64(y))
            b = wire.evaluate(g, np.float64(x), np.float64(y))
            assert _same(a, b), (i, x, y, a, b)


@pytest.mark.parametrize("i", range(len(FORWARD)))
def test_simplify_keeps_values_where_regrouping_would_overflow(i):
    f, points = FORWARD[i]
    g = wire.trace(f, 1.0)
    for s in (wire.simplify(g, DERIVATIVES), collect_terms(g)):
        for x in points:
            a, b = wire.evaluate(s, np.float64(x)), wire.evaluate(g, np.float64(x))
            assert _same(a, b), (i, x, a, b)


def test_small_atoms_are_still_collected():
    # powers of tanh and of exp(tanh) beside other factors cannot overflow: still merged
    g = wire.trace(lambda x: wnp.tanh(x) * wnp.exp(wnp.tanh(x)) * wnp.tanh(x)
                   * wnp.exp(wnp.tanh(x)) * x, 1.0)
    ops = [n.op.name for n in collect_terms(g).nodes]
    assert ops.count("integer_pow") == 2, ops
