"""Higher derivatives at huge arguments and at ``±inf``, where a derivative's value is tiny or
zero but its formula's parts overflow: nested ``wire.grad`` (Taylor mode from the third order
on, see ``wire.grad``) and ``wire.taylor``, orders 1 to 5, against mpmath.

The derivatives of arctan, arcsinh and arccosh are rational in ``x`` and a square root; a
series written in ``x`` and ``1/(1 + x²)`` let the simplifier regroup its terms into
``x² · (1/(1 + x²))³``, whose ``inf · 0`` was NaN beyond ``|x| ≈ 1e154`` from the third
derivative on (beyond 1e77 from the fifth; in float32 beyond 1e10). The second order is
reverse over reverse, through the primitives' first-order rules; it keeps the limits of
those (NaN at ``±inf`` for arctan and arccosh, as in JAX).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp

mpmath = pytest.importorskip("mpmath")

INF = math.inf


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _mp_derivative(f, x: float, n: int) -> float:
    """``f⁽ⁿ⁾(x)`` to double precision: ``g(t) = f(x + |x|·t)`` is smooth at the scale of 1,
    so mpmath's finite differences are exact there, and ``f⁽ⁿ⁾(x) = g⁽ⁿ⁾(0) / |x|ⁿ`` (with
    digits to spare for arctan's ``g⁽ⁿ⁾ ≈ 1/x`` beside ``g ≈ π/2``)."""
    if math.isinf(x):
        return 0.0  # each derivative of these three tends to 0 at +-inf
    with mpmath.workdps(40 + int(math.log10(abs(x)))):
        s = abs(mpmath.mpf(x))
        return float(mpmath.diff(lambda t: f(x + s * t), 0, n) / s ** n)


def _agrees(got, want: float) -> bool:
    got = float(got)
    if want == 0.0 or abs(want) < 1e-300:  # an underflow: 0 of either sign, or subnormal
        return abs(got) <= abs(want) * 1.001 + 1e-305
    return abs(got - want) <= 1e-9 * abs(want)


POINTS = [1.7, 1e20, 1e100, 1e155, 1e200, 1e300, INF]
FUNCTIONS = [
    ("arctan", wnp.arctan, mpmath.atan, POINTS + [-x for x in POINTS]),
    ("arcsinh", wnp.arcsinh, mpmath.asinh, POINTS + [-x for x in POINTS]),
    ("arccosh", wnp.arccosh, mpmath.acosh, POINTS),
]


@pytest.mark.parametrize("name, f, mp_f, xs", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_nested_grad_and_taylor_far_out(name, f, mp_f, xs):
    """``grad⁵(arctan)(1e200)`` is ``24/x⁵ → 0``, and every order at ``±inf`` is 0: each was
    NaN from the third order on (``wire.taylor`` at ``±inf`` from the second)."""
    bad = []
    for x in xs:
        series = wire.taylor(f, 5)(x)
        g = f
        for n in range(1, 6):
            g = wire.grad(g)
            want = _mp_derivative(mp_f, x, n)
            got = g(x)
            # (order 2 is reverse over reverse, through the first-order rule: arctan'' =
            # -2x/(1 + x²)² underflows in (1/(1 + x²))/(1 + x²) for |x| > 1e77, and is NaN
            # at ±inf for arctan and arccosh, as in JAX: checked in Taylor mode only)
            lossy = n == 2 and (name == "arctan" and abs(x) > 1e77 or
                                name == "arccosh" and math.isinf(x))
            if not (lossy or _agrees(got, want)) or not _agrees(series[n], want):
                bad.append((x, n, float(got), float(series[n]), want))
    assert not bad, bad


@pytest.mark.parametrize("name, f, mp_f, xs", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_nested_grad_far_out_in_float32(name, f, mp_f, xs):
    """In float32 ``x²`` overflows beyond 1.8e19: ``grad⁵(arctan)(1e10)`` was NaN."""
    for x in [np.float32(2.0), np.float32(1e10), np.float32(1e30), np.float32(np.inf)]:
        g = f
        for n in range(1, 6):
            g = wire.grad(g)
            got = g(x)
            if n == 2 and np.isinf(x) and name != "arcsinh":
                continue  # reverse over reverse: NaN at inf, as above
            assert got.dtype == np.float32
            want = np.float32(_mp_derivative(mp_f, float(x), n))
            assert np.isfinite(got) and (
                abs(got - want) <= 1e-5 * abs(want) + 1e-44), (x, n, got, want)


def test_arccosh_derivatives_at_minus_infinity_stay_nan():
    """``arccosh(-inf)`` is NaN, so is each of its derivatives (the limit at ``+inf`` must not
    leak to ``-inf``)."""
    g = wnp.arccosh
    for _ in range(4):
        g = wire.grad(g)
        assert np.isnan(g(-INF))
    assert all(np.isnan(c) for c in wire.taylor(wnp.arccosh, 4)(-INF))


def _log_branch(x):
    return wire.cond(x > 0, lambda x: wnp.log(x), lambda x: wnp.log(-x) * 2.0, x)


@pytest.mark.parametrize("x", [0.0, -0.0, -2.0, 3.0])
def test_higher_derivatives_through_cond_are_the_branch_s(x):
    """From the third order, nested grad runs a Taylor series through ``cond``; the series
    of ``x + t`` has known-zero coefficients past the first, which the branch must skip as
    it does outside a cond (they multiplied log's ``1/x = inf`` at 0: NaN, where
    ``d³/dx³ 2 log(-x) = 4/x³`` is +inf at +0.0 and -inf at -0.0, as in JAX)."""
    branch = (lambda v: wnp.log(v)) if x > 0 else (lambda v: wnp.log(-v) * 2.0)
    d_cond, d_branch = _log_branch, branch
    for n in range(1, 6):
        d_cond, d_branch = wire.grad(d_cond), wire.grad(d_branch)
        got, want = float(d_cond(x)), float(d_branch(x))
        assert _same(got, want), (n, got, want)
    series = wire.taylor(_log_branch, 5)(x)
    assert all(_same(float(a), float(b)) for a, b in zip(series, wire.taylor(branch, 5)(x)))


def _same(got: float, want: float) -> bool:
    """The same NaN, infinity or signed zero, else within rounding."""
    if not math.isfinite(want) or want == 0.0:
        return (math.isnan(got) and math.isnan(want)) or (
            got == want and math.copysign(1, got) == math.copysign(1, want))
    return abs(got - want) <= 1e-13 * abs(want)


def test_higher_derivatives_through_scan_over_the_argument():
    """``scan`` over ``xs = [x, x]`` summing ``log``: ``2 log(x)``, whose derivatives at 0 are
    ``±inf`` (alternating). The per-step slices' known-zero coefficients are not passed into
    the body as zeros (``0 · inf`` made the third and fourth derivatives NaN). The carry's
    coefficients cannot be skipped this way once a step makes them nonzero."""
    def f(x):
        return wire.scan(lambda c, z: (c + wnp.log(z), c), 0.0, wnp.stack([x, x]))[0]

    want = [-INF, INF, -INF, INF, -INF]
    got = [float(v) for v in wire.taylor(f, 4)(0.0)]
    assert got == want
    d = f
    for n in range(1, 5):
        d = wire.grad(d)
        if n >= 3:  # Taylor mode (the second order is reverse over reverse: NaN, as in JAX)
            assert float(d(0.0)) == want[n]
