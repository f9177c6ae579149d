"""wire.scipy.stats at special inputs, against SciPy and mpmath: multivariate_normal at an
infinite component; log tails past underflow (chi, invgamma, loggamma, skewnorm, poisson,
binom, nbinom); truncnorm's short intervals and quantiles at the ends; derivatives where a
tail is saturated (gumbel, t, loggamma, weibull_min); eager, under jit and vmap."""

import warnings

import numpy as np
import pytest
import scipy.stats as ss

import wire
import wire.scipy.stats as ws

INF = np.inf
_RNG = np.random.default_rng(29)
_A = _RNG.normal(size=(3, 3))
COV = _A @ _A.T + 0.1 * np.eye(3)
MEAN = _RNG.normal(size=3)


def _scipy(fn, *args, **kw):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


@pytest.mark.parametrize("allow_singular", [False, True])
def test_multivariate_normal_at_an_infinite_component(allow_singular):
    # an infinite component is infinitely far from the mean: density 0, logpdf -inf (SciPy's
    # -inf for one infinite entry). wire's triangular solve met inf - inf: logpdf([inf, 0, 0])
    # was NaN, and the gradient of a batch holding such a row NaN in every entry. Where SciPy
    # is NaN too ([inf, -inf, 1], [inf, inf, inf]: inf - inf in its own projection) the limit
    # is still -inf (the quadratic form of a positive definite cov grows without bound)
    x = np.array([[INF, 0, 0], [0, -INF, 0], [INF, -INF, 1], [INF, INF, INF],
                  [np.nan, INF, 0], [1, 2, 3]])
    want = np.array([-INF, -INF, -INF, -INF, np.nan,
                     _scipy(ss.multivariate_normal.logpdf, x[5], MEAN, COV)])
    np.testing.assert_array_equal(
        _scipy(ss.multivariate_normal.logpdf, x[:2], MEAN, COV, allow_singular=allow_singular),
        want[:2])
    for fn in (ws.multivariate_normal.logpdf,
               wire.jit(ws.multivariate_normal.logpdf, static_argnames="allow_singular")):
        got = np.asarray(fn(x, MEAN, COV, allow_singular=allow_singular))
        np.testing.assert_allclose(got, want, rtol=1e-13)
    np.testing.assert_array_equal(ws.multivariate_normal.pdf(x[:4], MEAN, COV), np.zeros(4))
    # the finite row's gradient is untouched by the infinite one beside it
    g = wire.grad(lambda m: ws.multivariate_normal.logpdf(x[[0, 5]], m, COV,
                                                          allow_singular=allow_singular).sum())
    np.testing.assert_allclose(g(MEAN), np.linalg.solve(COV, x[5] - MEAN), rtol=1e-12)


def test_log_tails_where_the_gamma_argument_overflows():
    # chi's log Q(df/2, z²/2) met z²/2 = inf past z = 1.9e154, invgamma's log Q(a, 1/z) a
    # subnormal z: the continued fraction gave NaN (chi.logsf(1e155, 3), SciPy -inf, the
    # truth -5e309; invgamma.logcdf(1e-310, 3), truth -1e310), and NaN derivatives
    z = np.array([1.3e154, 1e155, 1e300])
    for df in (1.0, 3.0):
        got = ws.chi.logsf(z, df)
        np.testing.assert_allclose(got[0], -0.5 * z[0] ** 2, rtol=1e-13)
        np.testing.assert_array_equal(got[1:], [-INF, -INF])
        with np.errstate(over="ignore"):  # z² overflows in the traced program's NumPy
            np.testing.assert_array_equal(wire.jit(lambda v: ws.chi.logsf(v, df))(z), got)
            np.testing.assert_array_equal(
                wire.vmap(wire.grad(lambda v: ws.chi.logsf(v, df)))(z[1:]), -z[1:])
    np.testing.assert_array_equal(ws.invgamma.logcdf(np.array([0.0, 1e-310, 5e-324]), 3.0),
                                  [-INF, -INF, -INF])
    np.testing.assert_allclose(ws.invgamma.logcdf(1e-300, 3.0), -1e300, rtol=1e-13)


def test_loggamma_where_exp_z_underflows():
    # cdf/sf were gammainc(c, e^z) with e^z = 0 past z = -745: loggamma.sf(-1000, 0.001) was
    # 1 (the truth 0.632), cdf(-1000, 0.5) 0 (the truth 8.04e-218), logsf(-1000, 1e-10) -0.0
    # (the truth -16.1), and their derivatives NaN. Truths: mpmath's gammainc(c, exp(z))
    mp = pytest.importorskip("mpmath")
    with mp.workdps(60):
        for c, z in [(1e-10, -1000.0), (1e-3, -1000.0), (0.5, -1000.0), (0.5, -745.0),
                     (3.0, -41.0), (0.29, -100.0), (0.31, -100.0)]:
            x = mp.exp(mp.mpf(z))
            p = mp.gammainc(c, 0, x, regularized=True)
            q = mp.gammainc(c, x, mp.inf, regularized=True)
            dens = mp.exp(c * mp.mpf(z) - x - mp.loggamma(c))
            for method, want, rtol in [("cdf", p, 1e-13), ("sf", q, 1e-13),
                                       ("logcdf", mp.log(p) if p < 0.5 else mp.log1p(-q), 1e-13),
                                       ("logsf", mp.log(q) if q < 0.5 else mp.log1p(-p), 1e-13)]:
                fn = getattr(ws.loggamma, method)
                np.testing.assert_allclose(fn(z, c), float(want), rtol=rtol, err_msg=method)
            np.testing.assert_allclose(wire.grad(lambda v: ws.loggamma.cdf(v, c))(z),
                                       float(dens), rtol=1e-12)
            np.testing.assert_allclose(wire.grad(lambda v: ws.loggamma.logsf(v, c))(z),
                                       float(-dens / q), rtol=1e-12)
    np.testing.assert_allclose(wire.jit(ws.loggamma.sf)(-1000.0, 1e-3), 0.6319084543517673,
                               rtol=1e-13)


def test_truncnorm_probabilities_of_short_intervals():
    # the mass of [x, b] was Φ(b) - Φ(x) (or the difference of their logs), which cancels
    # to an ulp of the larger: truncnorm.sf(-1e-10, -inf, 0) was 7.3e-7 relative off (as
    # SciPy's), sf(-1e-300, -inf, 0) 0 where the truth is 8e-301 (logsf -inf), logpdf on
    # [1e-300, 2e-300] inf. Truths: the integral of the normal density (mpmath)
    mp = pytest.importorskip("mpmath")
    with mp.workdps(60):
        for a, b, x in [(-INF, 0.0, -1e-10), (-1.0, 2.0, 2 - 1e-10), (5.0, 8.0, 8 - 1e-12),
                        (-8.0, -5.0, -5 - 1e-13), (-0.1, 0.1, 0.05), (30.0, 30.008, 30.004),
                        (0.3, 10.0, 9.9999903), (1e-300, 2e-300, 1.5e-300)]:
            z = mp.quad(mp.npdf, [a, b])
            want = {"cdf": mp.quad(mp.npdf, [a, x]) / z, "sf": mp.quad(mp.npdf, [x, b]) / z}
            want.update(logcdf=mp.log(want["cdf"]), logsf=mp.log(want["sf"]),
                        logpdf=-mp.mpf(x) ** 2 / 2 - mp.log(mp.sqrt(2 * mp.pi)) - mp.log(z))
            for method, w in want.items():
                np.testing.assert_allclose(getattr(ws.truncnorm, method)(x, a, b), float(w),
                                           rtol=2e-12, err_msg=f"{method}({x}, {a}, {b})")
            np.testing.assert_allclose(wire.grad(lambda v: ws.truncnorm.logpdf(x, a, v))(b),
                                       float(-mp.npdf(b) / z), rtol=1e-10)
    np.testing.assert_allclose(ws.truncnorm.sf(-1e-300, -INF, 0.0), 2e-300 / np.sqrt(2 * np.pi),
                               rtol=1e-12)
    np.testing.assert_allclose(wire.jit(ws.truncnorm.logsf)(-1e-300, -INF, 0.0),
                               np.log(2e-300 / np.sqrt(2 * np.pi)), rtol=1e-15)


@pytest.mark.parametrize("a, b", [(-1.0, 2.0), (5.0, 8.0), (-0.1, 0.1), (-8.0, -5.0)])
def test_truncnorm_quantiles_stay_in_the_support(a, b):
    # the mirrored tail's rounding put isf(1e-300, -1, 2) at 2.0000000000000004 and
    # isf(1e-300, 5, 8) at 8.000000000000002, past b, where logpdf is -inf (SciPy's ppf of
    # (-8, -5) at 1e-300 is below a by 1.8e-15)
    q = np.array([1e-300, 1e-20, 1e-10, 0.5, 1 - 1e-10])
    for fn in (ws.truncnorm.ppf, ws.truncnorm.isf):
        got = fn(q, a, b)
        assert np.all((got >= a) & (got <= b)), (fn, got)
        assert np.all(np.isfinite(ws.truncnorm.logpdf(got, a, b)))


def _poisson_tails(mp, k, mu):
    mu = mp.mpf(mu)
    c = mp.fsum(mp.exp(j * mp.log(mu) - mu - mp.loggamma(j + 1)) for j in range(int(k) + 1))
    return c, 1 - c, mp.exp(k * mp.log(mu) - mu - mp.loggamma(k + 1))


def _binom_tails(mp, k, n, p):
    p = mp.mpf(p)
    terms = [mp.binomial(n, j) * p ** j * (1 - p) ** (n - j) for j in range(n + 1)]
    # d cdf / dp = -n pmf(k; n - 1, p)
    d = n * mp.binomial(n - 1, k) * p ** k * (1 - p) ** (n - 1 - k)
    return mp.fsum(terms[:int(k) + 1]), mp.fsum(terms[int(k) + 1:]), d


@pytest.mark.parametrize("dist, k, params", [
    ("poisson", 3.0, (1000.0,)), ("poisson", 0.0, (1e4,)), ("poisson", 50.0, (2000.0,)),
    ("poisson", 500.0, (40.0,)), ("binom", 0.0, (400, 0.9)), ("binom", 3.0, (400, 0.999999)),
    ("binom", 300.0, (400, 0.999999)), ("binom", 399.0, (400, 0.01)),
    ("binom", 100.0, (400, 1e-6)),
])
def test_discrete_log_tails_past_underflow(dist, k, params):
    # the log of an underflowed cdf or sf was -inf (SciPy's too) and its derivative NaN:
    # poisson.logcdf(3, 1000) -inf, the truth -981.0; binom.logcdf(3, 400, 0.9) -inf, the
    # truth -898.3. Truths: sums of the pmf in mpmath
    mp = pytest.importorskip("mpmath")
    fn = getattr(ws, dist)
    with mp.workdps(400):
        if dist == "poisson":
            c, s, d = _poisson_tails(mp, k, *params)
        else:
            c, s, d = _binom_tails(mp, k, *params)
        wants = {"logcdf": (mp.log(c), -d / c), "logsf": (mp.log(s), d / s)}
        for method, (value, slope) in wants.items():
            got = getattr(fn, method)(k, *params)
            np.testing.assert_allclose(got, float(value), rtol=1e-11, err_msg=method)
            g = wire.grad(lambda v: getattr(fn, method)(k, *params[:-1], v))(params[-1])
            np.testing.assert_allclose(g, float(slope), rtol=1e-9, err_msg=method)


def test_nbinom_log_tails_past_underflow():
    # nbinom.logcdf(3, 1000, 0.3) and logsf(1000, 3, 0.9) were -inf (SciPy's too), their
    # derivatives NaN. Truths: mpmath's log I_p(n, k + 1), log I_(1-p)(k + 1, n) and their
    # derivatives in p
    cases = [("logcdf", 3.0, 1000.0, 0.3, -1186.104045074576, 3329.053737985114),
             ("logsf", 1000.0, 3.0, 0.9, -2291.9708204506702, -10007.780241984562)]
    for method, k, n, p, value, slope in cases:
        fn = getattr(ws.nbinom, method)
        np.testing.assert_allclose(fn(k, n, p), value, rtol=1e-13)
        np.testing.assert_allclose(wire.jit(fn)(k, n, p), value, rtol=1e-13)
        np.testing.assert_allclose(wire.grad(lambda v: fn(k, n, v))(p), slope, rtol=1e-10)


@pytest.mark.parametrize("x", [-1e300, -1e30, -1000.0, -746.0])
def test_gumbel_derivatives_where_the_tail_is_saturated(x):
    # e^-z overflowed in gumbel_r's cdf, sf and logsf (gumbel_l's sf, cdf, logcdf at -x):
    # the chain rule's e^-y · y was 0 · inf, so cdf'(-1000) was NaN where the truth, the
    # density, is 0 (e^(1000 - e^1000)); the values were right (0, 1, 0)
    for dist, z in ((ws.gumbel_r, x), (ws.gumbel_l, -x)):
        for method in ("cdf", "sf", "logsf" if dist is ws.gumbel_r else "logcdf"):
            fn = getattr(dist, method)
            assert float(wire.grad(fn)(z)) == 0.0, (dist, method)
            assert float(wire.grad(lambda s: fn(z, scale=s))(1.5)) == 0.0, (dist, method)
            np.testing.assert_array_equal(fn(z), _scipy(getattr(getattr(ss, dist.name), method), z))


@pytest.mark.parametrize("x", [40.0, 100.0, 1e30])
def test_t_logcdf_derivatives_where_the_upper_tail_underflows(x):
    # t.logcdf(x, 1e4) is log1p(-sf) with sf underflowed to 0; the unused branch's log(0) had
    # an infinite derivative, times its zero cotangent NaN: d/dx and d/ddf were NaN where the
    # truth is pdf/cdf and d cdf/d df, both below 1e-320 here (and so is the mirror logsf)
    fns = (lambda v, d: ws.t.logcdf(v, d), lambda v, d: ws.t.logsf(-v, d))
    for fn in fns:
        assert float(fn(x, 1e4)) == 0.0
        for argnums in (0, 1):
            g = float(wire.grad(fn, argnums=argnums)(x, 1e4))
            assert abs(g) < 1e-300, (argnums, g)


@pytest.mark.parametrize("a", [-3.0, -0.5, 0.0, 0.01])
def test_skewnorm_log_tail_where_nothing_cancels(a):
    # where a z >= -1 the log-cdf was log(Φ(z) - 2T(z, a)), which underflows from z = -37.5:
    # skewnorm.logcdf(-40, -3) (logsf(40, 3)) was -inf, logcdf(-38, -0.5) -726.557 from a
    # subnormal cdf (the truth -725.864), logcdf(-40, 0) -inf where norm's is -804.61.
    # Truths: at a = 0 the normal's; for a <= 0 below z = -30, Φ(a t) is 1 to 1e-300 in the
    # integral, so the cdf is 2Φ(z); at a = 0.01 against a = 0 and the sign of the slope
    z = np.array([-30.5, -38.0, -40.0, -100.0, -1000.0])
    got = ws.skewnorm.logcdf(z, a)
    norm = np.asarray(ws.norm.logcdf(z))
    if a <= 0:
        np.testing.assert_allclose(got, norm + (np.log(2.0) if a < 0 else 0.0), rtol=1e-14)
    else:
        assert np.all((got < norm) & (got > norm - 0.01 * z * z))
    np.testing.assert_allclose(ws.skewnorm.logsf(-z, -a), got, rtol=1e-15)
    np.testing.assert_allclose(wire.jit(ws.skewnorm.logcdf)(z, a), got, rtol=1e-15)
    slope = wire.vmap(wire.grad(lambda v: ws.skewnorm.logcdf(v, a)))(z)
    if a <= 0:  # d/dz log(2Φ(z)) = φ(z)/Φ(z)
        np.testing.assert_allclose(slope, wire.vmap(wire.grad(ws.norm.logcdf))(z), rtol=1e-13)
    assert np.all(np.isfinite(slope))


def test_loggamma_derivatives_past_the_overflow_of_exp_z():
    # e^z = inf past z = 710 made loggamma's cdf, sf and logcdf derivatives NaN, where the
    # truth (the density e^(c z - e^z) / Γ(c) and its ratios) is 0; the values were right
    for z in (710.0, 1000.0, 1e300):
        for method in ("cdf", "sf", "logcdf"):
            fn = getattr(ws.loggamma, method)
            assert float(wire.grad(fn)(z, 3.0)) == 0.0, (method, z)
            assert float(wire.grad(fn, argnums=1)(z, 3.0)) == 0.0, (method, z)


@pytest.mark.parametrize("c", [2.0, 3.0])
def test_weibull_min_derivatives_where_z_to_the_c_overflows(c):
    # weibull_min.cdf(1e300, 2): z^c = inf, and e^-inf times its infinite derivative was NaN
    # (cdf, sf, logcdf; in x, c and scale), where the truth is 0; the values stay SciPy's
    x = np.array([30.0, 1e3, 1e300])
    for method in ("cdf", "sf", "logcdf"):
        fn = getattr(ws.weibull_min, method)
        np.testing.assert_allclose(fn(x, c), _scipy(getattr(ss.weibull_min, method), x, c),
                                   rtol=1e-13)
        for v in x[c * np.log(x / 1.5) > np.log(800.0)]:  # settled at scale 1.5 too
            with np.errstate(over="ignore"):  # z^c overflows in the traced program's NumPy
                assert float(wire.grad(fn)(v, c)) == 0.0, (method, v)
                assert float(wire.grad(fn, argnums=1)(v, c)) == 0.0, (method, v)
                assert float(wire.grad(lambda s: fn(v, c, scale=s))(1.5)) == 0.0, (method, v)
