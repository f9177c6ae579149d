"""``wire.scipy.stats`` quantiles, discrete quantiles and ``t``'s df-derivative against
mpmath and SciPy, at the tails and edges where they went wrong."""

import math
import warnings

import numpy as np
import pytest

import wire
import wire.scipy.stats as st
from selection import sampled_grid, skip_unless_slow

mpmath = pytest.importorskip("mpmath")
scipy_stats = pytest.importorskip("scipy.stats")
mp = mpmath.mp


def _beta_cdf(a, b, x):
    return mpmath.betainc(a, b, 0, x, regularized=True)


def _mp_root(f, lo, hi, steps=400):
    """The root of increasing ``f`` in ``(lo, hi)`` (``0 < lo``) by bisection on the log."""
    lo, hi = mpmath.mpf(lo), mpmath.mpf(hi)
    for _ in range(steps):
        mid = mpmath.sqrt(lo * hi)
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < hi * mpmath.mpf(2) ** -80:
            break
    return (lo + hi) / 2


# ------------------------------------------------------------------ continuous quantiles


def test_beta_isf_near_one_rounds_to_the_nearest_double():
    # the mirror image: 1 - z = ppf(q; b, a), found where the doubles are dense
    assert float(st.beta.isf(1e-300, 3.0, 2.0)) == 1.0  # was 0.9999999999999998
    assert float(st.beta.ppf(1.0 - 2.0 ** -53, 0.5, 0.5)) == 1.0
    with mp.workdps(40):
        for q, a, b in [(1e-20, 3.0, 2.0), (1e-12, 0.5, 0.5), (1e-30, 2.0, 7.0)]:
            guess = scipy_stats.beta.ppf(q, b, a)
            w = _mp_root(lambda w: _beta_cdf(b, a, w) - q, guess / 2, guess * 2)
            want = float(1 - w)
            assert float(st.beta.isf(q, a, b)) == want


def test_beta_quantile_near_one_at_a_tiny_shape():
    # the mirror is taken only above 1 - 2^-26: its sf near 0 at a tiny first shape rounds to
    # 0 (I_z(3, 1e-300) = 1e-300 at z = 0.9003, SciPy's value)
    got = float(st.beta.ppf(1e-300, 3.0, 1e-300))
    assert abs(got - scipy_stats.beta.ppf(1e-300, 3.0, 1e-300)) < 1e-13


def test_beta_isf_shape_derivative_near_one():
    # z = 1 - w with I_w(b, a) = q: dz/da = (dI/da) / (dI/dw), ~1e-151, was 6.5e-17
    q, a, b = 1e-300, 3.0, 2.0
    got = float(wire.grad(st.beta.isf, argnums=1)(q, a, b))
    with mp.workdps(40):
        w = _mp_root(lambda w: _beta_cdf(b, a, w) - q, 1e-160, 1e-140)
        dIda = mpmath.diff(lambda s: _beta_cdf(b, s, w), a)
        dIdw = w ** (b - 1) * (1 - w) ** (a - 1) / mpmath.beta(b, a)
        want = float(dIda / dIdw)
    assert math.isclose(got, want, rel_tol=1e-8)


@pytest.mark.parametrize("a, q", [(3.0, 1e-300), (1.0, 1e-50), (1.0, 1e-17)])
def test_tail_quantiles_are_not_limited_by_the_log_of_the_tail(a, q):
    # the residual log(P(z) / p) where p is normal, and the root bisected in z itself:
    # z = exp(u) from a bisection in u was ~|u| ulps off (gamma.ppf(1e-300, 3) 1.1e-14
    # relative, gamma.ppf(1e-50, 1) 5.6e-15). (SciPy's gammainc(1, 1e-300) is itself 2.4e-14
    # off, and bounds the quantile there.)
    with mp.workdps(40):
        got = float(st.gamma.ppf(q, a))
        want = float(_mp_root(lambda z: mpmath.gammainc(a, 0, z, regularized=True) - q,
                              got / 2, got * 2))
    assert abs(got - want) <= 4e-15 * want, (a, q, got, want)


def test_quantile_rounded_to_a_support_end_has_a_zero_derivative():
    # beta.ppf(1e-10; 0.01, 5) is 1e-1000: 0 in doubles, and dz/dq = 1/pdf(z) rounds to 0
    # (it was NaN, from the residual's inf/0 at the end)
    assert float(st.beta.ppf(1e-10, 0.01, 5.0)) == 0.0
    grads = wire.grad(st.beta.ppf, argnums=(0, 1, 2))(1e-10, 0.01, 5.0)
    assert [float(g) for g in grads] == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------- discrete quantiles

_QS = np.array([0.0, 1e-10, 0.01, 0.3, 0.5, 0.7, 0.99, 1.0 - 1e-10, 1.0, np.nan, -0.1, 1.1])


@pytest.mark.parametrize("name, params", [
    ("poisson", (3.0,)), ("poisson", (0.0,)), ("poisson", (0.5,)), ("poisson", (-1.0,)),
    ("poisson", (np.nan,)), ("poisson", (np.inf,)), ("poisson", (2.5e4,)),
    ("binom", (10, 0.3)), ("binom", (10, 0.0)), ("binom", (10, 1.0)), ("binom", (10.5, 0.3)),
    ("binom", (0, 0.3)), ("binom", (1000, 1e-5)), ("binom", (7, 0.999)), ("binom", (3, np.nan)),
    ("nbinom", (3, 0.3)), ("geom", (0.3,)), ("bernoulli", (0.3,))])
def test_discrete_ppf_isf_match_scipy(name, params):
    # SciPy's semantics: q = 0 and 1 give the ends (lower - 1 and the upper end), NaN and q
    # outside [0, 1] NaN, invalid parameters NaN, float64 results
    for method in ("ppf", "isf"):
        got = getattr(getattr(st, name), method)(_QS, *params)
        want = getattr(getattr(scipy_stats, name), method)(_QS, *params)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(np.asarray(got), want, err_msg=f"{name}{params}.{method}")


def test_discrete_quantiles_loc_dtype_and_derivative():
    got = st.poisson.ppf(np.array([[0.3], [0.9]]), np.array([1.0, 30.0]), loc=np.array([0.0, 2.0]))
    want = scipy_stats.poisson.ppf(np.array([[0.3], [0.9]]), np.array([1.0, 30.0]),
                                   loc=np.array([0.0, 2.0]))
    np.testing.assert_array_equal(np.asarray(got), want)
    assert st.binom.ppf(np.float32(0.3), 10, np.float32(0.3)).dtype == np.float32
    assert float(st.binom.median(10, 0.3)) == scipy_stats.binom.median(10, 0.3)
    assert tuple(map(float, st.poisson.interval(0.9, 4.0))) == scipy_stats.poisson.interval(0.9, 4.0)
    # a step function: derivative 0, under jit too
    assert wire.grad(lambda q, mu: st.poisson.ppf(q, mu), argnums=(0, 1))(0.3, 3.0) == (0.0, 0.0)
    assert float(wire.jit(st.binom.isf)(0.3, 10, 0.3)) == 4.0


def test_discrete_isf_of_a_tiny_q_uses_the_sf():
    # the smallest k with sf(k) <= q (SciPy's ppf(1 - q) rounds 1 - 1e-20 to 1: NaN)
    with mp.workdps(40):
        def sf(k, mu):
            return 1 - mpmath.exp(-mu) * mpmath.fsum(mpmath.mpf(mu) ** j / mpmath.factorial(j)
                                                     for j in range(k + 1))
        for q, mu in [(1e-20, 3.0), (1e-12, 0.5)]:
            want = next(k for k in range(200) if sf(k, mu) <= q)
            assert float(st.poisson.isf(q, mu)) == want
    assert float(st.binom.isf(1e-20, 1000, 1e-5)) == next(
        k for k in range(1000) if scipy_stats.binom.sf(k, 1000, 1e-5) <= 1e-20)


# ------------------------------------------------------------------ t's df-derivatives


def _t_cdf_mp(z, d):
    z, d = mpmath.mpf(z), mpmath.mpf(d)
    half = mpmath.betainc(d / 2, mpmath.mpf(1) / 2, 0, d / (d + z * z), regularized=True) / 2
    return half if z < 0 else 1 - half


@pytest.mark.parametrize("z, df", sampled_grid(
    [(-1e-3, 49.9), (1.0, 45.0), (-0.2, 0.5), (-0.3, 49.9), (0.5, 20.0), (-1e-3, 7.5),
     (1.2, 3.0)], key=lambda case: case[0] < 0 and case[1] > 40))
def test_t_cdf_df_derivative_near_the_center(z, df, request):
    skip_unless_slow(request)
    # the hypergeometric series there: the betainc(ν/2, ν/2, x) form's ν-derivative is a
    # difference of terms ~1000 times larger (4.4e-9 relative off at z = -1e-3, df = 49.9;
    # 1.7e-12 at z = 1, df = 49.9), and log C(ν) without a difference of log-gammas
    with mp.workdps(40):
        want = float(mpmath.diff(lambda s: _t_cdf_mp(z, s), df))
        want2 = float(mpmath.diff(lambda s: _t_cdf_mp(z, s), df, 2))
        value = float(_t_cdf_mp(z, df))
    g = wire.grad(st.t.cdf, argnums=1)
    assert abs(float(g(z, df)) - want) <= 2e-14 * abs(want)
    assert abs(float(wire.grad(g, argnums=1)(z, df)) - want2) <= 1e-12 * abs(want2)
    assert abs(float(st.t.cdf(z, df)) - value) <= 4e-16 * abs(value) * 4


@pytest.mark.parametrize("z, df", [(0.0, 199.0), (0.5, 150.0), (1.0, 49.0), (0.0, 0.3)])
def test_t_logpdf_df_derivative(z, df):
    # log C(ν) = R(ν/2) - log(2π)/2 with R(h) = log Γ(h + 1/2) - log Γ(h) - log(h)/2, O(1/h)
    # in each term (the difference of log-gammas gave 9.8e-11 relative at df = 199)
    with mp.workdps(40):
        def logpdf(d):
            return (mpmath.loggamma((d + 1) / 2) - mpmath.loggamma(d / 2)
                    - mpmath.log(d * mpmath.pi) / 2 - (d + 1) / 2 * mpmath.log1p(z * z / d))
        want = float(mpmath.diff(logpdf, df))
    got = float(wire.grad(st.t.logpdf, argnums=1)(z, df))
    assert abs(got - want) <= 4e-14 * abs(want)


# ------------------------------------------------------- gammainc at a huge shape


def _gammainc_mp(a, x):
    """P(a, x) by its series ``x^a e^-x / Γ(a + 1) Σ x^n / ((a + 1)…(a + n))`` (x < a)."""
    a, x = mpmath.mpf(a), mpmath.mpf(x)
    term = total = mpmath.mpf(1)
    n = 0
    while term > total * mpmath.mpf(10) ** -18:
        n += 1
        term = term * x / (a + n)
        total += term
    return mpmath.exp(a * mpmath.log(x) - x - mpmath.loggamma(a + 1)) * total


def test_gammainc_at_a_huge_shape_below_the_mode():
    # SciPy's P(1e6, 1e6 - 6e3) is 6e-7 relative off (P(1e8, 1e8 - 6e4) 7.0e-10, the truth
    # 9.80e-10): Temme's integral there
    import wire.scipy.special as sc
    with mp.workdps(25):
        for a, x in [(1e6, 1e6 - 6e3)]:
            want = _gammainc_mp(a, x)
            assert abs(float(sc.gammainc(a, x)) / float(want) - 1) < 1e-13
            assert abs(float(sc.gammaincc(a, x)) - float(1 - want)) <= 2.3e-16
    # and the poisson tail (its sf is P(k + 1, mu)): mu + 6 sd has sf ~ 1e-9
    with mp.workdps(25):
        k, mu = 1e6 + 6e3, 1e6
        want = float(_gammainc_mp(k + 1, mu))
    assert abs(float(st.poisson.sf(k, mu)) / want - 1) < 1e-13


def test_t_at_a_huge_df_is_the_normal():
    # past |z| = 40 the series' z^46 overflowed (NaN at df = 1e100), and SciPy's betainc at
    # shapes of 5e39 gave t.cdf(-1e12, 1e40) = 0.5; t.ppf(0.3, 1e300) was -6.9e138
    for df in (1e40, 1e100, 1e300):
        got = np.asarray(st.t.cdf(np.array([-1e12, -50.0, 50.0, 1e12]), df))
        np.testing.assert_array_equal(got, [0.0, 0.0, 1.0, 1.0])
    want = scipy_stats.norm.ppf([1e-300, 0.3, 0.9])
    np.testing.assert_allclose(np.asarray(st.t.ppf(np.array([1e-300, 0.3, 0.9]), 1e300)), want,
                               rtol=1e-14)
    assert wire.grad(st.t.cdf, argnums=(0, 1))(-1e12, 1e40) == (0.0, 0.0)


def test_t_logcdf_where_the_cdf_underflows_at_a_large_df():
    # log Φ(z) + log1p(φ/Φ · the expansion's sum): t.logcdf(-120, 1e9) was -inf (as SciPy's);
    # the oracle integrates the density in mpmath
    with mp.workdps(30):
        for z, df in [(-120.0, 1e9), (-300.0, 1e12)]:
            def logf(t):
                return (mpmath.loggamma((df + 1) / 2) - mpmath.loggamma(df / 2)
                        - mpmath.log(df * mpmath.pi) / 2 - (df + 1) / 2 * mpmath.log1p(t * t / df))
            top = logf(mpmath.mpf(z))
            want = top + mpmath.log(mpmath.quad(lambda t: mpmath.exp(logf(t) - top),
                                                [-mpmath.inf, 2 * z, z]))
            assert abs(float(st.t.logcdf(z, df)) / float(want) - 1) < 4e-16
            dz = float(wire.grad(st.t.logcdf)(z, df))
            assert abs(dz / float(mpmath.exp(top - want)) - 1) < 4e-15


def test_beta_density_at_large_shapes():
    # Loader's saddle-point form (as SciPy's binom.pmf) for a, b >= 31: the direct form's
    # logs cancel terms of size a log x (binom.pmf(500, 1000, 0.5) 6.9e-13 relative off,
    # binom.pmf(5000, 10000, 0.5) 3.6e-12, beta.pdf(0.3, 40.5, 77.25) 1.1e-14)
    with mp.workdps(40):
        for k, n, p in [(500, 1000, 0.5), (5000, 10000, 0.5), (30000, 100000, 0.3)]:
            want = mpmath.binomial(n, k) * mpmath.mpf(p) ** k * (1 - mpmath.mpf(p)) ** (n - k)
            assert abs(float(st.binom.pmf(k, n, p)) / float(want) - 1) < 1e-14
        for x, a, b in [(0.3, 40.5, 77.25), (0.5, 5001.0, 5001.0)]:
            want = (mpmath.mpf(x) ** (a - 1) * (1 - mpmath.mpf(x)) ** (b - 1)
                    / mpmath.beta(a, b))
            assert abs(float(st.beta.pdf(x, a, b)) / float(want) - 1) < 5e-15
