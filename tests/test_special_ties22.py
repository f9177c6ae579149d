"""Derivatives of special functions at the ends of their domains, at ties between their
arguments and at extreme shapes, against limits worked out by hand and high-precision
(mpmath) values."""

import math

import numpy as np
import pytest

import wire
from oracles import close_to
from wire.scipy import special as S

INF = math.inf


def _d(f, argnum, order):
    """The ``order``-th derivative of ``f`` in argument ``argnum`` (reverse mode)."""
    for _ in range(order):
        f = wire.grad(f, argnums=argnum)
    return f


# Box-Cox at x = 0 and x = inf (boxcox1p at x = -1 and inf), where log x = L is infinite.
# λL < 0: the value tends to -1/λ, so ∂ᵏλ = (-1)^(k+1) k! / λ^(k+1). λL >= 0 (λ = 0 too): the
# k-th derivative is L^(k+1) g^(k-1)(λL) with g(u) = ∫_0^1 t e^(ut) dt and all g^(j) > 0, so
# it is ±inf by the sign of L^(k+1).
def _boxcox_limit(L, lm, k):
    if lm * L < 0:
        return (-1.0) ** (k + 1) * math.factorial(k) / lm ** (k + 1)
    return math.copysign(INF, L ** (k + 1))


@pytest.mark.parametrize("f, x, L", [(S.boxcox, 0.0, -INF), (S.boxcox, INF, INF),
                                     (S.boxcox1p, -1.0, -INF), (S.boxcox1p, INF, INF)])
@pytest.mark.parametrize("lm", [2.0, 0.5, 0.0, -0.5, -2.0])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_boxcox_lambda_derivatives_at_infinite_log(f, x, L, lm, k):
    got = float(_d(f, 1, k)(x, lm))
    want = _boxcox_limit(L, lm, k)
    assert close_to(got, want, 1e-15), (f.__name__, x, lm, k, got, want)


@pytest.mark.parametrize("x, lm", [(0.0, INF), (INF, -INF)])
def test_boxcox_second_lambda_derivative_at_infinite_lambda(x, lm):
    # the value tends to -1/λ → 0: every λ-derivative tends to 0 (was NaN: inf / inf)
    assert float(_d(S.boxcox, 1, 2)(x, lm)) == 0.0


# The shape derivatives of P(a, x) at a large shape a, near and at the tie x = a: the
# series took O(√a) terms (NaN past 20000, from a = 1e7) after a prefactor that cancels to
# O(1) from terms of size a log a. The oracle integrates ∂ᵐ_a of the density in t.
def _mp_shape_derivative(a, x, m):
    import mpmath

    with mpmath.workdps(40):
        a, x = mpmath.mpf(a), mpmath.mpf(x)
        lg, psi0, psi1 = mpmath.loggamma(a), mpmath.psi(0, a), mpmath.psi(1, a)

        def f(t):
            d = mpmath.log(t) - psi0
            dens = mpmath.exp((a - 1) * mpmath.log(t) - t - lg)
            return dens * (d if m == 1 else d * d - psi1)

        sd = mpmath.sqrt(a)
        if x <= a:  # ∫_0^x, the mass below a - 60√a negligible
            pts = [a - 60 * sd] + [p for p in (a - 20 * sd, a - 5 * sd, a - sd) if p < x] + [x]
            return mpmath.quad(f, pts)
        pts = [x] + [p for p in (a + sd, a + 5 * sd, a + 20 * sd) if p > x] + [a + 60 * sd]
        return -mpmath.quad(f, pts)  # ∂ᵐ_a P = -∂ᵐ_a Q


_LARGE_SHAPES = [(a, x) for a in (1e7, 1e12, 1e20)
                 for x in (a, a + math.sqrt(a), a - 3 * math.sqrt(a))]


@pytest.mark.parametrize("a, x", _LARGE_SHAPES)
def test_gammainc_shape_derivative_at_large_shape(a, x):
    from wire import lax

    want = _mp_shape_derivative(a, x, 1)
    got = {
        "gammainc": wire.grad(S.gammainc)(a, x),
        "-gammaincc": -wire.grad(S.gammaincc)(a, x),
        "lax.igamma": wire.grad(lax.igamma)(a, x),
        "-lax.igammac": -wire.grad(lax.igammac)(a, x),
        "jvp": wire.jvp(lambda s: S.gammainc(s, x), (a,), (1.0,))[1],
    }
    for name, g in got.items():
        assert close_to(g, want, 1e-13), (name, a, x, float(g), float(want))


@pytest.mark.parametrize("a, x", [(1e7, 1e7 + 3162.0), (1e12, 1e12 - 2e6)])
def test_gammainc_second_shape_derivative_at_large_shape(a, x):
    got = _d(S.gammainc, 0, 2)(a, x)
    assert close_to(got, _mp_shape_derivative(a, x, 2), 1e-11), float(got)


# ∂_x P (the density x^(a-1) e^-x / Γ(a)) and its derivatives at a large shape: the direct
# log-density cancels terms of size a log a (the density was 0 at a = 1e20, x = a + 1e10,
# and 3e-9 off at a = 1e17, where a - 1 rounds).
@pytest.mark.parametrize("a, x", [(1e17, 1e17 + 1e8), (1e20, 1e20 + 1e10), (1e20, 1e20 - 3e10),
                                  (1e12, 1e12)])
def test_gammainc_x_derivatives_at_large_shape(a, x):
    import mpmath

    with mpmath.workdps(40):
        A, X = mpmath.mpf(a), mpmath.mpf(x)
        f = mpmath.exp((A - 1) * mpmath.log(X) - X - mpmath.loggamma(A))
        want = {"x": f, "xx": f * ((A - 1) / X - 1), "xa": f * (mpmath.log(X) - mpmath.psi(0, A))}
    dx = wire.grad(S.gammainc, argnums=1)
    got = {"x": dx(a, x), "xx": wire.grad(dx, argnums=1)(a, x),
           "xa": wire.grad(dx, argnums=0)(a, x)}
    for k in want:
        assert close_to(got[k], want[k], 1e-14), (k, float(got[k]), float(want[k]))


# lnB and B where one shape is tiny next to the other: ψ(b) - ψ(a + b) cancelled (∂_b lnB
# 6e-8 off at (1e-10, 2), 0 at (1e-300, 1); ∂_b B(1e-300, 1) was 0, the truth -ψ'(1)).
def _mp_beta_partials(a, b):
    import mpmath

    with mpmath.workdps(40 + int(-math.log10(min(a, b, 1.0)))):
        A, B = mpmath.mpf(a), mpmath.mpf(b)
        da = mpmath.psi(0, A) - mpmath.psi(0, A + B)
        db = mpmath.psi(0, B) - mpmath.psi(0, A + B)
        return (da, db), (mpmath.beta(A, B) * da, mpmath.beta(A, B) * db)


@pytest.mark.parametrize("a, b", [(2.0, 1e-10), (1e-300, 1.0), (1e-10, 1e-10), (0.5, 1e-4),
                                  (3.0, 2.9)])
def test_betaln_beta_partials_with_a_tiny_shape(a, b):
    (la, lb), (ba, bb) = _mp_beta_partials(a, b)
    ga, gb = wire.grad(S.betaln, argnums=(0, 1))(a, b)
    assert close_to(ga, la, 1e-14) and close_to(gb, lb, 1e-14), (float(ga), float(gb))
    # (B = exp(lnB): exp's condition number |lnB| <= 700 on top)
    ga, gb = wire.grad(S.beta, argnums=(0, 1))(a, b)
    assert close_to(ga, ba, 3e-13) and close_to(gb, bb, 3e-13), (float(ga), float(gb))


def test_beta_partials_past_overflow_are_infinite_not_nan():
    # B(1e-300, 1e-300) = 2e300; its partials -B² / ... are about -1e600
    ga, gb = wire.grad(S.beta, argnums=(0, 1))(1e-300, 1e-300)
    assert float(ga) == float(gb) == -INF


def test_betaln_second_partials_with_a_tiny_shape():
    import mpmath

    h = wire.hessian(S.betaln, argnums=(0, 1))(1e-10, 2.0)
    with mpmath.workdps(60):
        A, B = mpmath.mpf(1e-10), mpmath.mpf(2.0)
        t = mpmath.psi(1, A + B)
        want = [[mpmath.psi(1, A) - t, -t], [-t, mpmath.psi(1, B) - t]]
    for i in range(2):
        for j in range(2):
            assert close_to(h[i][j], want[i][j], 1e-14), (i, j, float(h[i][j]))


# Student's t log-density in df at a large df: the derivative is O(1/df²), a sum of O(1/df)
# parts in lnΓ((df+1)/2) - lnΓ(df/2) - ln(df)/2 - (df+1)/2 log1p(z²/df) (2.5e-4 off at
# df = 1e12).
@pytest.mark.parametrize("z, df", [(0.5, 1e8), (2.0, 1e12), (3.0, 1001.0), (0.0, 1e6)])
def test_t_logpdf_df_derivative_at_large_df(z, df):
    import mpmath

    from wire.scipy import stats

    with mpmath.workdps(60):
        Z, D = mpmath.mpf(z), mpmath.mpf(df)

        def f(d):
            return (mpmath.loggamma((d + 1) / 2) - mpmath.loggamma(d / 2)
                    - mpmath.log(d * mpmath.pi) / 2 - (d + 1) / 2 * mpmath.log1p(Z * Z / d))

        want = mpmath.diff(f, D)
    got = wire.grad(lambda d: stats.t.logpdf(z, d))(df)
    assert close_to(got, want, 1e-13), (float(got), float(want))
