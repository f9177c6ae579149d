"""Derivatives of special functions and distributions that were wrong, NaN or infinite where
a finite exact value exists, against mpmath (closed forms or 50-digit numerical derivatives).
"""

import math

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as sp
import wire.scipy.stats as st
from oracles import close_to

mpmath = pytest.importorskip("mpmath")
mp = mpmath.mp


def _t_cdf(z, d):
    x = d / (d + z * z)
    h = mpmath.betainc(d / 2, mpmath.mpf(1) / 2, 0, x, regularized=True) / 2
    return h if z < 0 else 1 - h


@pytest.mark.parametrize("z, df", [(1.0, 1e10), (-0.1, 1e4), (0.5, 100.0), (-5.0, 1e3)])
def test_t_cdf_derivative_in_df_at_large_df(z, df):
    # the betainc form's df-derivative cancels: 1.3e-16 for 1.2e-21 at (1, 1e10), 2e-6
    # relative off at (-0.1, 1e4)
    with mp.workdps(60):
        want = mpmath.diff(lambda d: _t_cdf(mpmath.mpf(z), d), mpmath.mpf(df))
    f = st.t.cdf
    assert close_to(wire.grad(f, 1)(z, df), want, 1e-13)
    assert close_to(wire.jvp(f, (z, df), (0.0, 1.0))[1], want, 1e-13)
    with mp.workdps(30):
        value = _t_cdf(mpmath.mpf(z), mpmath.mpf(df))
    assert close_to(f(z, df), value, 2e-15)  # (1.9e-12 off at z = 1, df = 1e10)


@pytest.mark.parametrize("z, df", [(1.0, 1e3), (-2.0, 1e6)])
def test_t_cdf_second_derivatives_in_df(z, df):
    with mp.workdps(60):
        zz, dd = mpmath.mpf(z), mpmath.mpf(df)
        want2 = mpmath.diff(lambda d: _t_cdf(zz, d), dd, 2)
        want_zd = mpmath.diff(_t_cdf, (zz, dd), (1, 1))
    f = st.t.cdf
    assert close_to(wire.grad(wire.grad(f, 1), 1)(z, df), want2, 1e-12)
    assert close_to(wire.grad(wire.grad(f, 1), 0)(z, df), want_zd, 1e-12)


def _log_q(x, a):
    return mpmath.log(mpmath.gammainc(a, x, mpmath.inf, regularized=True))


def _log_p(x, a):
    return mpmath.log(mpmath.gammainc(a, 0, x, regularized=True))


def _gamma_log_density(x, a):
    return -x + (a - 1) * mpmath.log(x) - mpmath.loggamma(a)


@pytest.mark.parametrize("x, a", [(800.0, 2.0), (750.0, 1e-3), (4000.0, 1e3)])
def test_gamma_logsf_past_underflow(x, a):
    # Q underflows: logsf was -inf with NaN derivatives (truth -0.99875 in x at (800, 2))
    with mp.workdps(40):
        xx, aa = mpmath.mpf(x), mpmath.mpf(a)
        want = _log_q(xx, aa)
        want_x = -mpmath.exp(_gamma_log_density(xx, aa) - want)
        want_a = mpmath.diff(lambda s: _log_q(xx, s), aa)
    assert close_to(st.gamma.logsf(x, a), want, 1e-13)
    assert close_to(wire.grad(st.gamma.logsf, 0)(x, a), want_x, 1e-12)
    assert close_to(wire.grad(st.gamma.logsf, 1)(x, a), want_a, 1e-12)
    assert close_to(wire.grad(st.chi2.logsf, 0)(2 * x, 2 * a), want_x / 2, 1e-12)


@pytest.mark.parametrize("x, a", [(1e-300, 5.0), (10.0, 300.0), (6000.0, 1e4), (1e-320, 1.0)])
def test_gamma_logcdf_past_underflow(x, a):
    with mp.workdps(40):
        xx, aa = mpmath.mpf(x), mpmath.mpf(a)
        want = _log_p(xx, aa)
        want_x = mpmath.exp(_gamma_log_density(xx, aa) - want)
        want_a = mpmath.diff(lambda s: _log_p(xx, s), aa)
    assert close_to(st.gamma.logcdf(x, a), want, 1e-13)
    assert close_to(wire.grad(st.gamma.logcdf, 0)(x, a), want_x, 1e-12)
    assert close_to(wire.grad(st.gamma.logcdf, 1)(x, a), want_a, 1e-12)


@pytest.mark.parametrize("a, b", [(5e-324, 1.0), (2e-308, 0.5)])
def test_beta_partial_next_to_a_subnormal_shape(a, b):
    # ∂b B = B (ψ(b) - ψ(a + b)) is inf times a subnormal where B overflows: it was -inf,
    # the truth -ψ'(b) (-π²/6 at b = 1); ∂b² is finite too (mpmath needs ~340 digits here)
    with mp.workdps(360):
        aa, bb = mpmath.mpf(a), mpmath.mpf(b)
        beta = mpmath.beta(aa, bb)
        want = beta * (mpmath.digamma(bb) - mpmath.digamma(aa + bb))
        step = mpmath.digamma(bb) - mpmath.digamma(aa + bb)
        want_bb = beta * (step ** 2 + mpmath.psi(1, bb) - mpmath.psi(1, aa + bb))
    assert close_to(wire.grad(sp.beta, 1)(a, b), want, 1e-13)
    assert close_to(wire.grad(sp.beta, 0)(b, a), want, 1e-13)
    assert close_to(wire.grad(wire.grad(sp.beta, 1), 1)(a, b), want_bb, 1e-12)
    assert wire.grad(sp.beta, 0)(a, b) == -np.inf  # -B/a overflows


def test_beta_and_betaln_partials_at_two_subnormal_shapes():
    # ψ(a) - ψ(2a) was -inf + inf = NaN at a = b = 5e-324; the truth -1/(2a) overflows
    assert wire.grad(sp.betaln, 0)(5e-324, 5e-324) == -np.inf
    assert wire.grad(sp.beta, 1)(5e-324, 5e-324) == -np.inf
    with mp.workdps(60):
        want = mpmath.digamma(mpmath.mpf(1e-10)) - mpmath.digamma(mpmath.mpf(3e-10))
    assert close_to(wire.grad(sp.betaln, 0)(1e-10, 2e-10), want, 1e-13)


@pytest.mark.parametrize("x, q", [(1.001, 0.5), (3.3, 0.01), (40.0, 30.0)])
def test_hurwitz_zeta_derivatives_in_the_order(x, q):
    # d/dx zeta(x, q) raised NonDifferentiableError; now Σ -log(n+q) (n+q)^-x to every order
    with mp.workdps(40):
        want = [mpmath.zeta(x, q, m) for m in (1, 2)]
        want_xq = mpmath.diff(lambda s: mpmath.zeta(x, s, 1), q)
    g = wire.grad(sp.zeta, 0)
    assert close_to(g(x, q), want[0], 1e-14)
    assert close_to(wire.jvp(sp.zeta, (x, q), (1.0, 0.0))[1], want[0], 1e-14)
    assert close_to(wire.grad(g, 0)(x, q), want[1], 1e-14)
    assert close_to(wire.grad(g, 1)(x, q), want_xq, 1e-13)  # the q-derivative recursion
    assert close_to(wire.grad(wire.grad(sp.zeta, 1), 0)(x, q), want_xq, 1e-13)


@pytest.mark.parametrize("x", [-30.0, -2.0, -1e-3, 0.3, 5.0])
def test_riemann_zeta_derivatives(x):
    with mp.workdps(40):
        want = [mpmath.zeta(x, 1, m) for m in (1, 2)]
    assert close_to(wire.grad(sp.zeta)(x), want[0], 1e-13)
    assert close_to(wire.grad(wire.grad(sp.zeta))(x), want[1], 1e-13)


def test_zeta_order_derivative_at_its_edges():
    g = wire.grad(sp.zeta, 0)
    assert g(1.0, 2.0) == -np.inf  # the pole: -1/(x-1)²
    assert g(np.inf, 2.0) == 0.0 and g(np.inf, 1.0) == 0.0
    assert np.isnan(g(3.0, -1.5))  # (n + q)^-x of a negative base: no real derivative
    out = wire.grad(sp.zeta, 0)(np.float32(3.0), np.float32(2.0))
    assert out.dtype == np.float32 and close_to(out, mpmath.zeta(3, 2, 1), 1e-6, np.float32)


@pytest.mark.parametrize("x", [1e6, 1e6 + 0.5, 12345.25, -7.0, 2.0 ** 40])
def test_sinc_derivatives_at_large_arguments(x):
    # sin(πx) of the rounded πx: sinc''(1e6) was 3.5e-4 relative off; and π (x - r) was
    # distributed into πx - πr in the derivative graphs (sinc'''(1e6 + 0.5) 6e-5 off)
    with mp.workdps(40):
        want = [mpmath.diff(mpmath.sincpi, mpmath.mpf(x), k) for k in (1, 2, 3)]
    for f in (sp.sinc, wnp.sinc):  # (wire.numpy.sinc's: its sinc''(1e6) was 3e-4 off too)
        for k, w in enumerate(want):
            f = wire.grad(f)
            assert close_to(f(x), w, 1e-9), k  # (cos(fl(π/2)) is 6e-17, not 0)
    assert float(sp.sinc(x)) == float(np.sinc(x))  # NumPy's values
    assert float(wire.jit(sp.sinc)(x)) == float(np.sinc(x))
    assert float(wire.jit(wnp.sinc)(x)) == float(np.sinc(x))


def test_chi2_density_at_subnormal_arguments():
    # z/2 underflowed: chi2.pdf(5e-324, 1) was inf, the truth 1/sqrt(2π z) = 1.79e161
    for z in (5e-324, 1e-320, 3e-308):
        want = 1 / mpmath.sqrt(2 * mpmath.pi * mpmath.mpf(z))
        assert close_to(st.chi2.pdf(z, 1.0), want * mpmath.exp(-mpmath.mpf(z) / 2), 1e-13)
        # df = 3: sqrt(z) e^(-z/2) / (2^1.5 Γ(1.5)), derivative z^(-1/2) / (2 sqrt(2π))
        deriv = 1 / (2 * mpmath.sqrt(2 * mpmath.pi * mpmath.mpf(z)))
        assert close_to(wire.grad(st.chi2.pdf)(z, 3.0), deriv, 1e-13)


@pytest.mark.parametrize("z, df", [(1e200, 3.0), (-1e300, 0.5), (1e101, 1e10)])
def test_t_logpdf_far_out(z, df):
    # z² overflowed: logpdf was -inf (SciPy's too) with a NaN df-derivative
    def logpdf(x, d):
        return (mpmath.loggamma((d + 1) / 2) - mpmath.loggamma(d / 2) - mpmath.log(d * mpmath.pi) / 2
                - (d + 1) / 2 * mpmath.log1p(x * x / d))

    with mp.workdps(30):
        zz, dd = mpmath.mpf(z), mpmath.mpf(df)
        want, want_d = logpdf(zz, dd), mpmath.diff(lambda d: logpdf(zz, d), dd)
    assert close_to(st.t.logpdf(z, df), want, 1e-15)
    assert close_to(wire.grad(st.t.logpdf, 1)(z, df), want_d, 1e-13)
    assert wire.grad(st.t.pdf, 1)(z, df) == 0.0  # the density underflows, and so does this


@pytest.mark.parametrize("q", [1e-310, 1e-320, 5e-324])
def test_beta_quantile_of_a_subnormal_probability(q):
    # SciPy's I_x is 0 below ~1e-308: logcdf was -inf there and ppf stuck at 4.3e-155
    # (I_x(2, 3) = 6x² - 8x³ + 3x⁴, so x = sqrt(q/6) here)
    want = mpmath.sqrt(mpmath.mpf(q) / 6)
    assert close_to(st.beta.ppf(q, 2.0, 3.0), want, 1e-13)
    assert close_to(st.beta.logcdf(float(want), 2.0, 3.0), mpmath.log(mpmath.mpf(q)), 1e-13)


def test_beta_log_tails_past_underflow():
    with mp.workdps(40):
        a, b, x = mpmath.mpf(2), mpmath.mpf(3), mpmath.mpf(1e-160)
        want = mpmath.log(mpmath.betainc(a, b, 0, x, regularized=True))
        dens = mpmath.exp(mpmath.log(x) + 2 * mpmath.log1p(-x) - mpmath.log(mpmath.beta(a, b)))
    assert close_to(st.beta.logcdf(1e-160, 2.0, 3.0), want, 1e-14)
    assert close_to(wire.grad(st.beta.logcdf)(1e-160, 2.0, 3.0), dens / mpmath.exp(want), 1e-13)
    with mp.workdps(40):  # sf(0.9; 2, 400) = I_0.1(400, 2) ~ 1e-397
        want_sf = mpmath.log(mpmath.betainc(400, 2, 0, mpmath.mpf(1) - mpmath.mpf(0.9),
                                            regularized=True))
    assert close_to(st.beta.logsf(0.9, 2.0, 400.0), want_sf, 1e-13)


def test_beta_logsf_derivative_next_to_zero_keeps_the_tiny_argument():
    # logsf's far branch works on 1 - z; the generic branch must see z itself
    a, b = 0.5, 2.0
    with mp.workdps(40):
        pdf = mpmath.mpf(1e-300) ** (a - 1) / mpmath.beta(a, b)
        sf = mpmath.betainc(a, b, mpmath.mpf(1e-300), 1, regularized=True)
    assert close_to(wire.grad(st.beta.logsf)(1e-300, a, b), -pdf / sf, 1e-12)
