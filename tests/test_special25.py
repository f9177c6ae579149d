"""The complementary incomplete beta function ``betaincc`` (a primitive, SciPy's values) and the
distributions that use it where ``1 - betainc`` lost the digits of a small probability (``f``'s
sf/logsf/isf at a tiny ``dfn``, ``beta.sf``, ``binom.cdf`` and ``nbinom.sf`` at a small ``p``);
logcdf/logsf derivatives where the cdf/sf is subnormal (the ratio pdf/cdf in log space, not
``0/0`` or ``x/0``). Oracles: mpmath, SciPy."""

import numpy as np
import pytest

import wire
from wire.scipy import special as wsp
from wire.scipy import stats as ws

sps = pytest.importorskip("scipy.special")
mp = pytest.importorskip("mpmath")


def _q(a, b, x, dps=50):
    with mp.workdps(dps):
        return mp.betainc(mp.mpf(a), mp.mpf(b), mp.mpf(x), 1, regularized=True)


# --------------------------------------------------------------------------- betaincc


def test_betaincc_values_match_scipy_and_keep_the_digits_of_a_small_complement():
    a = np.array([0.5, 2.0, 5e-9, 1e-30, 0.5, 3.0, 1.0, 1.0, np.nan, 2.0])
    b = np.array([2.0, 3.0, 5.0, 2.0, 0.5, 1e-300, 1.0, 1.0, 1.0, 2.0])
    x = np.array([0.3, 0.9, 0.5, 0.3, 1 - 1e-12, 0.9, 0.0, 1.0, 0.5, 1.5])
    with np.errstate(all="ignore"):
        want = sps.betaincc(a, b, x)
    got = wsp.betaincc(a, b, x)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(wire.jit(wsp.betaincc)(a, b, x), want)
    # 1 - betainc had 4 digits at (5e-9, 5, 0.5) and 0 at (1e-30, 2, 0.3)
    for i in (2, 3, 4):
        assert got[i] == pytest.approx(float(_q(a[i], b[i], x[i])), rel=1e-14, abs=0)
    assert wsp.betaincc(np.float32(0.5), np.float32(2.0), np.float32(0.3)).dtype == np.float32


@pytest.mark.parametrize("a, b, x", [(0.5, 2.0, 0.3), (2.0, 3.0, 0.9), (1e-8, 5.0, 0.5)])
def test_betaincc_derivatives_match_mpmath(a, b, x):
    q = lambda *v: mp.betainc(v[0], v[1], v[2], 1, regularized=True)
    for k in range(3):
        with mp.workdps(30):  # (another test may have left mp.mp.dps anywhere)
            want = float(mp.diff(q, (mp.mpf(a), mp.mpf(b), mp.mpf(x)),
                                 tuple(int(j == k) for j in range(3))))
        got = float(wire.grad(wsp.betaincc, argnums=k)(a, b, x))
        assert got == pytest.approx(want, rel=1e-9, abs=0), k
    # second order: -∂²I, and betainc + betaincc = 1 in every derivative
    d2 = wire.grad(wire.grad(wsp.betaincc, argnums=0), argnums=2)(a, b, x)
    d2i = wire.grad(wire.grad(wsp.betainc, argnums=0), argnums=2)(a, b, x)
    assert float(d2) == -float(d2i)
    g = wire.vmap(wire.grad(wsp.betaincc, argnums=2))(np.array([a, a]), np.array([b, b]),
                                                       np.array([x, 0.25]))
    assert g[0] == wire.grad(wsp.betaincc, argnums=2)(a, b, x)


# --------------------------------------------------------------------------- distributions


def _f_sf(x, n, d):
    x, n, d = mp.mpf(x), mp.mpf(n), mp.mpf(d)
    return mp.betainc(d / 2, n / 2, 0, d / (d + n * x), regularized=True)


@pytest.mark.parametrize("x, dfn, dfd", [(1.0, 1e-8, 5.0), (0.5, 1e-8, 3.0),
                                          (100.0, 1e-6, 2.0)])
def test_f_tails_at_a_tiny_dfn(x, dfn, dfd):
    # old: f.sf(1, 1e-8, 5) = 9.374872733669548e-08, the truth 9.374872739921844e-08;
    # f.isf of that 0.99999999537, not 1
    with mp.workdps(50):
        sf = _f_sf(x, dfn, dfd)
        assert float(ws.f.sf(x, dfn, dfd)) == pytest.approx(float(sf), rel=1e-14, abs=0)
        assert float(ws.f.logsf(x, dfn, dfd)) == pytest.approx(float(mp.log(sf)), rel=1e-14, abs=0)
        assert float(ws.f.cdf(x, dfn, dfd)) == pytest.approx(float(1 - sf), rel=1e-15, abs=0)
        assert float(ws.f.isf(float(sf), dfn, dfd)) == pytest.approx(x, rel=1e-13, abs=0)


def test_beta_sf_at_a_tiny_shape_and_a_tiny_z():
    # old: 2.0942515410737883e-07 (1 - I), the truth 2.0942515411180114e-07
    a, b, z = 1e-8, 5.0, 1e-10
    want = _q(a, b, z)
    assert float(ws.beta.sf(z, a, b)) == pytest.approx(float(want), rel=1e-14, abs=0)
    assert float(ws.beta.logsf(z, a, b)) == pytest.approx(float(mp.log(want)), rel=1e-14, abs=0)
    # the derivative in z is -pdf, finite at a tiny z
    d = wire.grad(ws.beta.sf)(1e-300, 0.5, 2.0)
    assert float(d) == pytest.approx(-float(ws.beta.pdf(1e-300, 0.5, 2.0)), rel=1e-14, abs=0)


def test_binom_cdf_and_nbinom_sf_at_a_small_p():
    # old: binom.cdf(80, 1e18, 1e-16) = 0.00122 (1 - p rounded), the truth 0.0226; its
    # p-derivative -3.6e14, the truth -5.2e15; nbinom.sf(5e17, 3, 1e-17) = 1, the truth 0.125
    k, n, p = 80.0, 1e18, 1e-16
    assert float(ws.binom.cdf(k, n, p)) == pytest.approx(float(_q(k + 1, n - k, p)), rel=1e-12, abs=0)
    with mp.workdps(30):
        dp = mp.diff(lambda q: mp.betainc(k + 1, n - k, q, 1, regularized=True), p)
    assert float(wire.grad(ws.binom.cdf, argnums=2)(k, n, p)) == pytest.approx(float(dp),
                                                                                rel=1e-9, abs=0)
    assert float(ws.nbinom.sf(5e17, 3.0, 1e-17)) == pytest.approx(
        float(_q(3.0, 5e17 + 1, 1e-17)), rel=1e-12, abs=0)
    # the ends and plain values still SciPy's
    sst = pytest.importorskip("scipy.stats")
    ks = np.array([-1.0, 0.0, 3.0, 10.0, 11.0])
    np.testing.assert_allclose(ws.binom.cdf(ks, 10.0, 0.3), sst.binom.cdf(ks, 10, 0.3),
                               rtol=1e-14)
    np.testing.assert_allclose(ws.binom.cdf(ks, 10.0, np.array([[0.0], [1.0]])),
                               sst.binom.cdf(ks, 10, np.array([[0.0], [1.0]])), rtol=1e-14)
    np.testing.assert_allclose(ws.nbinom.sf(ks, 3.0, 0.4), sst.nbinom.sf(ks, 3, 0.4),
                               rtol=1e-14)
    np.testing.assert_allclose(ws.nbinom.sf(ks, 3.0, 1.0), sst.nbinom.sf(ks, 3, 1.0),
                               rtol=1e-14)


# --------------------------------------------------------------------------- log tails


def _t_logcdf(z, nu):
    z, nu = mp.mpf(z), mp.mpf(nu)
    return mp.log(mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + z * z), regularized=True) / 2)


@pytest.mark.parametrize("z, df", [(-50.0, 1e4), (-300.0, 1e4), (-40.0, 1e6)])
def test_t_logcdf_where_the_cdf_underflows_between_the_series(z, df):
    # old: -inf with a NaN derivative (z⁴ > 2 df: not the normal expansion; x >= 0.01: not the
    # series in x), the truth t.logcdf(-50, 1e4) = -1120.44
    with mp.workdps(40):
        want = _t_logcdf(z, df)
        dz = mp.diff(lambda v: _t_logcdf(v, df), mp.mpf(z))
        dnu = mp.diff(lambda v: _t_logcdf(z, v), mp.mpf(df))
    assert float(ws.t.logcdf(z, df)) == pytest.approx(float(want), rel=1e-11, abs=0)
    assert float(ws.t.logsf(-z, df)) == pytest.approx(float(want), rel=1e-11, abs=0)
    gz, gnu = wire.grad(ws.t.logcdf, argnums=(0, 1))(z, df)
    assert float(gz) == pytest.approx(float(dz), rel=1e-11, abs=0)
    assert float(gnu) == pytest.approx(float(dnu), rel=1e-8, abs=0)


def test_cauchy_log_tails_keep_the_derivative_where_the_density_is_subnormal():
    # old: logcdf'(-1e161) = 9.8813e-162 (the subnormal pdf over the cdf), the truth 1e-161;
    # 0 past |z| ~ 1e308 / ... ; now -log(-π z) - 1/(3 z²) below z = -1e8
    sst = pytest.importorskip("scipy.stats")
    for z in (-1e161, -1e306, -1e9):
        with mp.workdps(40):
            zz = mp.mpf(z)
            want = mp.log(mp.atan(-1 / zz) / mp.pi)
            d = mp.diff(lambda v: mp.log(mp.atan(-1 / v) / mp.pi), zz, h=abs(zz) * mp.mpf(1e-15))
        assert float(ws.cauchy.logcdf(z)) == pytest.approx(float(want), rel=1e-15, abs=0)
        assert float(wire.grad(ws.cauchy.logcdf)(z)) == pytest.approx(float(d), rel=1e-13, abs=0)
        assert float(wire.grad(ws.cauchy.logsf)(-z)) == pytest.approx(-float(d), rel=1e-13, abs=0)
    z = np.array([-np.inf, -1e20, -1e8, -3.0, 0.0, 2.0, 1e8, 1e20, np.inf, np.nan])
    np.testing.assert_allclose(ws.cauchy.logcdf(z), sst.cauchy.logcdf(z), rtol=1e-15)
    np.testing.assert_allclose(ws.cauchy.logsf(z), sst.cauchy.logsf(z), rtol=1e-15)


def test_chi_logcdf_second_derivative_near_the_underflow_of_z_squared():
    # old: chi.logcdf''(1e-105; 3) was NaN (the curvature of log P in y = z²/2 overflowed),
    # the truth -3/z² = -3e210
    for z in (1e-105, 1e-30, 1e-9):
        with mp.workdps(50):
            want = mp.log(mp.gammainc(1.5, 0, mp.mpf(z) ** 2 / 2, regularized=True))
        assert float(ws.chi.logcdf(z, 3.0)) == pytest.approx(float(want), rel=1e-15, abs=0)
        assert float(wire.grad(ws.chi.logcdf)(z, 3.0)) == pytest.approx(3.0 / z, rel=1e-14, abs=0)
        g2 = wire.grad(wire.grad(ws.chi.logcdf))(z, 3.0)
        assert float(g2) == pytest.approx(-3.0 / z ** 2, rel=1e-14, abs=0)
