"""wire.scipy.stats additions against SciPy: traced ``mode``/``rankdata`` through a sort,
``vonmises.cdf``/``sf``, ``betabinom`` cdf/sf/logcdf/logsf, ``truncnorm`` quantiles and
moments, ``gaussian_kde.resample``."""

import warnings

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st

import wire
from wire.scipy.stats import betabinom, gaussian_kde, mode, rankdata, truncnorm, vonmises
from wire.testing import check_grads

RNG = np.random.default_rng(0)
SHAPES = [(7,), (3, 5), (2, 3, 4), (1,), (4, 1), (0, 3), (3, 0)]
DTYPES = [np.float64, np.int64, np.float32, np.int8, np.uint8]


def _data(i):
    shape, dt = SHAPES[i % len(SHAPES)], DTYPES[i % len(DTYPES)]
    x = RNG.integers(0, 4, shape).astype(dt)
    if x.dtype.kind == "f" and x.size:
        if i % 3 == 0:
            x.flat[RNG.integers(0, x.size)] = np.nan
        if i % 4 == 1:
            x.flat[0] = -0.0  # ties with 0.0
    return x


@pytest.mark.parametrize("i", range(21))
def test_traced_rankdata_and_mode_match_scipy(i):
    x = _data(i)
    for axis in (None, 0, -1):
        for m in ("average", "min", "max", "dense", "ordinal"):
            want = st.rankdata(x, method=m, axis=axis)
            got = wire.jit(lambda v: rankdata(v, m, axis=axis))(x)
            assert got.shape == want.shape
            np.testing.assert_array_equal(np.asarray(got, float), np.asarray(want, float))
        if x.size and (axis is None or x.shape[axis]):
            for kd in (False, True):
                w = st.mode(x, axis=axis, keepdims=kd)
                g = wire.jit(lambda v: mode(v, axis=axis, keepdims=kd))(x)
                np.testing.assert_array_equal(g.mode, w.mode)
                np.testing.assert_array_equal(g.count, w.count)
                assert np.shape(g.mode) == np.shape(w.mode)


def test_traced_rankdata_and_mode_are_n_log_n():
    # before: an n x n comparison matrix (9e6 entries for n = 3000)
    x = RNG.integers(0, 100, 3000).astype(float)
    for fn in (lambda v: rankdata(v), lambda v: mode(v).mode,
               lambda v: rankdata(v, "dense"), lambda v: rankdata(v, "ordinal")):
        g = wire.trace(fn, x)
        sizes = [int(np.prod(n.aval.shape)) for n in g.nodes
                 if not isinstance(n.aval, tuple) and n.aval.shape is not None]
        assert max(sizes) <= 2 * x.size
    np.testing.assert_array_equal(wire.jit(rankdata)(x), st.rankdata(x))
    np.testing.assert_array_equal(wire.jit(lambda v: mode(v).mode)(x), st.mode(x).mode)


def test_traced_rankdata_and_mode_under_vmap_and_grad():
    x = np.array([[3.0, 1.0, 3.0, 2.0], [5.0, 5.0, 1.0, np.nan]])
    np.testing.assert_array_equal(wire.vmap(lambda r: rankdata(r))(x),
                                  st.rankdata(x, axis=1))
    np.testing.assert_array_equal(wire.vmap(lambda r: mode(r).mode)(x), st.mode(x, axis=1).mode)
    # the mode's derivative goes to the first entry holding it
    np.testing.assert_array_equal(wire.grad(lambda v: mode(v).mode)(np.array([2., 1., 2., 1.])),
                                  [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(wire.grad(lambda v: (rankdata(v) * v).sum())(x[0]),
                                  st.rankdata(x[0]))


# --------------------------------------------------------------------------- vonmises


def _rel(got, want):
    got, want = np.asarray(got, float), np.asarray(want, float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want) & (got != want)  # equal (infinities too): no error
    return np.concatenate([[0.0], np.abs(got[ok] - want[ok]) / np.maximum(np.abs(want[ok]),
                                                                          1e-300)])


def test_vonmises_cdf_is_scipys_series_bit_for_bit():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-12, 12, 2000), [np.pi, -np.pi, 0.0, 4.0, 1e300, -1e-300]])
    k = np.concatenate([rng.uniform(0, 49.9, 2000), [1.0, 1.0, 3.0, 1.0, 1.0, 0.0]])
    want = st.vonmises.cdf(x, k)
    np.testing.assert_array_equal(vonmises.cdf(x, k), want)  # SciPy's own arithmetic
    np.testing.assert_array_equal(wire.jit(vonmises.cdf)(x, k), want)
    # above kappa = 50 SciPy's normal approximation, through wire's ndtr (not bit for bit)
    kb = rng.uniform(50, 1e4, 500)
    xb = rng.uniform(-7, 7, 500)
    assert _rel(vonmises.cdf(xb, kb), st.vonmises.cdf(xb, kb)).max() < 1e-12
    with np.errstate(all="ignore"):
        for m in ("sf", "logcdf", "logsf"):  # (SciPy's logs are slow: 100 points)
            got, w = getattr(vonmises, m)(x[-100:], k[-100:]), getattr(st.vonmises, m)(
                x[-100:], k[-100:])
            ok = np.isfinite(w) & (np.abs(w) > 1e-300)
            assert _rel(got[ok], w[ok]).max() < 1e-12, m  # sf: 1 - cdf, as SciPy (< 0 past π)
    # the ends of the support, NaN, invalid kappa, loc/scale, size 0
    np.testing.assert_array_equal(vonmises.cdf(np.array([np.inf, -np.inf, np.nan]), 1.0),
                                  [1.0, 0.0, np.nan])
    assert np.isnan(vonmises.cdf(0.5, -1.0)) and np.isnan(vonmises.sf(0.5, np.nan))
    assert vonmises.cdf(0.5, 2.0, loc=1.0, scale=2.0) == st.vonmises.cdf(0.5, 2.0, 1.0, 2.0)
    assert vonmises.cdf(np.zeros(0), 1.0).shape == (0,)
    # against mpmath: 1/2 + x/2π + Σ I_n(κ)/I_0(κ) sin(nx)/(nπ)
    mp.mp.dps = 30
    for x0, k0 in ((0.7, 3.0), (-2.5, 20.3), (3.0, 0.01)):
        s = mp.fsum(mp.besseli(n, k0) * mp.sin(n * x0) / n for n in range(1, 80))
        truth = 0.5 + x0 / (2 * mp.pi) + s / (mp.besseli(0, k0) * mp.pi)
        assert float(vonmises.cdf(x0, k0)) == pytest.approx(float(truth), rel=1e-12)


def test_vonmises_cdf_derivatives_and_transforms():
    x = np.array([0.3, -2.0, 1.0, 5.0])
    # kappa away from the points where SciPy's term count (a step function) changes
    check_grads(lambda a, b: vonmises.cdf(a, b), (x, np.array([0.5, 3.3, 20.3, 60.0])), order=2,
                modes=("rev",))
    check_grads(lambda a, b: vonmises.sf(a, b, loc=0.2, scale=1.5),
                (x, np.array([10.3, 80.0, 55.0, 1.3])), order=1)
    # d cdf / dx is the density
    np.testing.assert_allclose(wire.grad(lambda a: vonmises.cdf(a, 2.0).sum())(x),
                               st.vonmises.pdf(x, 2.0), rtol=1e-10)
    np.testing.assert_array_equal(wire.vmap(lambda a: vonmises.cdf(a, 2.0))(x),
                                  vonmises.cdf(x, 2.0))


# --------------------------------------------------------------------------- betabinom


def test_betabinom_cdf_sf_against_scipy_and_mpmath():
    rng = np.random.default_rng(2)
    n = rng.integers(0, 40, 300).astype(float)
    k = np.floor(rng.uniform(-2, 45, 300))
    a, b = rng.uniform(0.1, 5, 300), rng.uniform(0.1, 5, 300)
    k = np.concatenate([k, [np.inf, -np.inf, np.nan, 3.5, 0.0, 2.0]])
    n = np.concatenate([n, [5.0, 5.0, 5.0, 5.0, 0.0, 2.5]])
    a = np.concatenate([a, [1.0] * 6])
    b = np.concatenate([b, [1.0] * 6])
    with np.errstate(all="ignore"):
        for m in ("cdf", "logcdf"):
            got = getattr(betabinom, m)(k, n, a, b)
            traced = wire.jit(lambda kk, aa, bb: getattr(betabinom, m)(kk, n, aa, bb))(k, a, b)
            np.testing.assert_array_equal(got, traced)
        want = st.betabinom.cdf(k, n, a, b)
        assert _rel(betabinom.cdf(k, n, a, b), want).max() < 1e-12
        # logcdf near 0 is log1p(-sf): SciPy's log(cdf) keeps only absolute accuracy there
        assert _rel(np.exp(betabinom.logcdf(k, n, a, b)), want).max() < 1e-12
        # sf sums the upper terms: SciPy's 1 - cdf has only absolute accuracy
        got, want = betabinom.sf(k, n, a, b), st.betabinom.sf(k, n, a, b)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.exp(betabinom.logsf(k, n, a, b)), got, rtol=1e-12)
    mp.mp.dps = 40

    def pmf(j, n0, a0, b0):
        return mp.binomial(n0, j) * mp.beta(j + a0, n0 - j + b0) / mp.beta(a0, b0)

    # the last two: SciPy's 1 - cdf gives 0 and 4.4e-16 for 4.1e-17 and 2.8e-17
    for k0, n0, a0, b0 in ((37, 40, 0.5, 9.0), (2, 30, 3.0, 0.2), (35, 40, 0.3, 30.0),
                           (30, 40, 0.5, 50.0)):
        tail = mp.fsum(pmf(j, n0, a0, b0) for j in range(k0 + 1, n0 + 1))
        head = mp.fsum(pmf(j, n0, a0, b0) for j in range(k0 + 1))
        assert float(betabinom.sf(k0, n0, a0, b0)) == pytest.approx(float(tail), rel=1e-12)
        assert float(betabinom.cdf(k0, n0, a0, b0)) == pytest.approx(float(head), rel=1e-12)
        assert float(betabinom.logcdf(k0, n0, a0, b0)) == pytest.approx(float(mp.log(head)),
                                                                         rel=1e-12)
        assert float(betabinom.logsf(k0, n0, a0, b0)) == pytest.approx(float(mp.log(tail)),
                                                                        rel=1e-12)


def test_betabinom_cdf_derivatives_and_traced_n():
    k, n = np.array([1.0, 3.0, 6.0]), np.array([5.0, 8.0, 10.0])
    check_grads(lambda a, b: betabinom.cdf(k, n, a, b), (np.array([0.7, 2.0, 3.0]),
                                                         np.array([1.5, 0.4, 2.0])), order=2)
    check_grads(lambda a, b: betabinom.logsf(k, n, a, b), (np.array([0.7, 2.0, 3.0]),
                                                           np.array([1.5, 0.4, 2.0])), order=1)
    with pytest.raises(wire.WireTypeError, match="n must be concrete"):
        wire.jit(lambda nn: betabinom.cdf(1.0, nn, 1.0, 1.0))(4.0)
    assert betabinom.cdf(np.zeros((0, 2)), 3.0, 1.0, 1.0).shape == (0, 2)


# --------------------------------------------------------------------------- truncnorm


def test_truncnorm_quantiles_against_scipy():
    rng = np.random.default_rng(3)
    n = 3000
    a = rng.uniform(-40, 40, n)
    b = a + np.exp(rng.uniform(-5, 3, n))
    a[:50], b[50:100] = -np.inf, np.inf
    q = rng.uniform(0, 1, n)
    q[::7] = 10.0 ** rng.uniform(-300, -1, len(q[::7]))
    q[3::11] = 1 - 10.0 ** rng.uniform(-16, -1, len(q[3::11]))
    assert _rel(truncnorm.ppf(q, a, b), st.truncnorm.ppf(q, a, b)).max() < 1e-12
    assert _rel(wire.jit(truncnorm.ppf)(q, a, b), st.truncnorm.ppf(q, a, b)).max() < 1e-12
    # isf where SciPy's is accurate (its own form cancels in upper tails: the mpmath tests
    # below; part of that loss remains here)
    ok = (q > 1e-6) & (q < 1 - 1e-6) & (a < 5) & (b > -5)
    assert _rel(truncnorm.isf(q[ok], a[ok], b[ok]), st.truncnorm.isf(q[ok], a[ok], b[ok])).max() \
        < 1e-10
    # the ends of the support, outside [0, 1], invalid shapes, loc/scale, float32, size 0
    np.testing.assert_array_equal(truncnorm.ppf(np.array([0.0, 1.0, -0.1, 1.1, np.nan]), -1.0, 2.0),
                                  [-1.0, 2.0, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(truncnorm.isf(np.array([0.0, 1.0]), -1.0, 2.0), [2.0, -1.0])
    assert np.isnan(truncnorm.ppf(0.5, 2.0, 1.0)) and np.isnan(truncnorm.isf(0.5, 1.0, 1.0))
    assert float(truncnorm.ppf(0.3, -1.0, 2.0, loc=1.0, scale=3.0)) == pytest.approx(
        st.truncnorm.ppf(0.3, -1.0, 2.0, loc=1.0, scale=3.0), rel=1e-14)
    assert truncnorm.ppf(0.5, np.float32(-1.0), np.float32(2.0)).dtype == np.float32
    assert truncnorm.ppf(np.zeros(0), 0.0, 1.0).shape == (0,)
    assert float(truncnorm.median(30.0, 31.0)) == pytest.approx(30.023070467827313, rel=1e-13)


def _isf_truth(q, a, b):
    mp.mp.dps = 400
    a, b = mp.mpf(a), mp.mpf(b)
    sa, sb = mp.ncdf(-a), mp.ncdf(-b)
    # sf(x) = q in logs (the equation's scale is that of q), 1 - q exact from the float q
    target = mp.log(mp.mpf(q)) + mp.log(sa - sb)
    start = float(truncnorm.isf(q, float(a), float(b)))
    return mp.findroot(lambda x: mp.log(mp.ncdf(-x) - sb) - target, start, verify=False)


@pytest.mark.parametrize("q, a, b, scipy_gives", [(1.8e-78, 4.944777498471197, np.inf, 9.8189),
                                                  (4.38e-264, -np.inf, 48.15, 8.1977),
                                                  (0.9999999999711122, -np.inf, -31.169, None),
                                                  (0.3, -1.0, 2.0, None), (0.01, 3.0, 7.5, None)])
def test_truncnorm_isf_in_upper_tails_against_mpmath(q, a, b, scipy_gives):
    truth = float(_isf_truth(q, a, b))
    assert float(truncnorm.isf(q, a, b)) == pytest.approx(truth, rel=1e-13)
    if scipy_gives is not None:  # SciPy 1.17's isf: every digit lost
        assert abs(scipy_gives - truth) > 1.0


def test_truncnorm_moments_and_entropy():
    rng = np.random.default_rng(4)
    a = rng.uniform(-10, 10, 400)
    b = a + np.exp(rng.uniform(-1, 2, 400))
    a[:20], b[20:40] = -np.inf, np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in ("mean", "var", "std"):
            assert _rel(getattr(truncnorm, m)(a, b), getattr(st.truncnorm, m)(a, b)).max() < 1e-10
        want = st.truncnorm.entropy(a, b)
        # SciPy: NaN at an infinite end, and Z = Φ(b) - Φ(a) cancels in the upper tail
        # (entropy(8.0, 10.9) is 2.385 there, the truth -1.117: mpmath below)
        ok = np.isfinite(want) & (a < 2)
        assert _rel(truncnorm.entropy(a, b)[ok], want[ok]).max() < 1e-11
        got = truncnorm.stats(a[40:], b[40:], moments="mvsk")
        for g, w in zip(got, st.truncnorm.stats(a[40:], b[40:], moments="mvsk")):
            assert _rel(g, w).max() < 1e-6  # skewness, kurtosis: SciPy's cancellation
    assert np.isfinite(truncnorm.entropy(-np.inf, 1.0))
    mp.mp.dps = 50
    for a0, b0 in ((-np.inf, 1.0), (30.0, 31.0), (-1.0, 2.0), (8.063911767014762, 10.85)):
        A, B = mp.mpf(a0), mp.mpf(b0)
        z = mp.ncdf(B) - mp.ncdf(A) if a0 < 0 else mp.ncdf(-A) - mp.ncdf(-B)
        ends = sum(s * e * mp.npdf(e) for s, e in ((1, A), (-1, B)) if mp.isfinite(e))
        h = mp.log(mp.sqrt(2 * mp.pi * mp.e) * z) + ends / (2 * z)
        # far in a tail the end terms (a φ(a)/Z ~ a²) cancel against log Z: 1e-10 there
        assert float(truncnorm.entropy(a0, b0)) == pytest.approx(float(h), rel=1e-10)
    np.testing.assert_array_equal(truncnorm.stats(-np.inf, np.inf, moments="mvsk"),
                                  [0.0, 1.0, 0.0, 0.0])
    assert np.isnan(truncnorm.mean(1.0, 1.0)) and np.isnan(truncnorm.var(0.0, 1.0, scale=-1))
    v = truncnorm.var(-1.0, 2.0, loc=3.0, scale=2.0)
    assert float(v) == pytest.approx(st.truncnorm.var(-1.0, 2.0, 3.0, 2.0), rel=1e-14)


def test_truncnorm_quantile_and_moment_derivatives():
    q = np.array([0.1, 0.5, 0.9, 0.3])
    a, b = np.array([-1.0, 0.5, -3.0, -np.inf]), np.array([2.0, 1.5, -1.0, 0.5])
    check_grads(lambda q, a, b: truncnorm.ppf(q, a, b), (q, a, b), order=2)
    check_grads(lambda q, a, b: truncnorm.isf(q, a, b, loc=0.3, scale=2.0),
                (q, a, np.array([2.0, 1.5, -1.0, np.inf])), order=1)
    check_grads(lambda a, b: truncnorm.mean(a, b) + truncnorm.var(a, b)
                + truncnorm.entropy(a, b), (a[2:], b[2:]), order=2, modes=("rev",))
    check_grads(lambda a, b: sum(truncnorm.stats(a, b, moments="mvsk")), (a, b), order=1)
    check_grads(lambda q: truncnorm.ppf(q, -45.0, -40.0), (np.array([0.2, 0.7]),), order=1)
    # d ppf / dq = 1 / pdf(ppf)
    x = truncnorm.ppf(0.3, -1.0, 2.0)
    assert float(wire.grad(truncnorm.ppf)(0.3, -1.0, 2.0)) == pytest.approx(
        1.0 / st.truncnorm.pdf(float(x), -1.0, 2.0), rel=1e-12)
    np.testing.assert_array_equal(wire.vmap(lambda q: truncnorm.ppf(q, -1.0, 2.0))(q),
                                  truncnorm.ppf(q, -1.0, 2.0))


def test_quantiles_keep_float32():
    # before: a float32 location or shape gave float64 quantiles (the scale's mask made an array)
    from wire.scipy.stats import norm

    f = np.float32
    assert norm.ppf(0.5, f(1.0)).dtype == np.float32
    assert norm.isf(f(0.25)).dtype == np.float32
    assert norm.ppf(0.5).dtype == np.float64


# --------------------------------------------------------------------------- gaussian_kde


def test_kde_resample_moments():
    rng = np.random.default_rng(0)
    data = np.vstack([rng.normal(size=200), rng.normal(size=200) * 2 + 1])
    w = rng.uniform(0.1, 1, 200)
    kde = gaussian_kde(data, weights=w)
    n = 100_000
    x = kde.resample(n, key=wire.random.key(1))
    assert x.shape == (2, n)
    wn = w / w.sum()
    mean = data @ wn
    dev = data - mean[:, None]
    cov = (dev * wn) @ dev.T + np.asarray(kde.covariance)  # a mixture's covariance
    se = np.sqrt(np.diag(cov) / n)
    assert (np.abs(x.mean(1) - mean) < 5 * se).all()
    np.testing.assert_allclose(np.cov(x), cov, rtol=0.03, atol=0.03)
    # the picks follow the weights: a one-point-heavy estimate stays near that point
    heavy = gaussian_kde(np.array([0.0, 10.0, 20.0]), bw_method=0.01,
                         weights=np.array([1e-9, 1.0, 1e-9]))
    assert np.abs(heavy.resample(1000, key=wire.random.key(0)) - 10.0).max() < 1.0
    # the default size is int(neff), as SciPy's; an int seed is wire.random.key(seed)
    assert kde.resample(key=wire.random.key(1)).shape == (2, int(st.gaussian_kde(
        data, weights=w).neff))
    np.testing.assert_array_equal(kde.resample(5, seed=3), kde.resample(5, key=wire.random.key(3)))
    assert kde.resample(0, seed=3).shape == (2, 0)
    with pytest.raises(wire.WireError, match="key"):
        kde.resample(5)
    with pytest.raises(wire.WireError):
        kde.resample(5, key=np.zeros(3))


def test_kde_resample_traced_key_and_data():
    data = np.array([0.0, 1.0, 2.5, 4.0])
    keys = wire.random.split(wire.random.key(5), 3)
    eager = gaussian_kde(data).resample(6, key=keys[1])
    np.testing.assert_allclose(wire.jit(lambda k: gaussian_kde(data).resample(6, key=k))(keys[1]),
                               eager, rtol=1e-15, atol=1e-15)
    batch = wire.vmap(lambda k: gaussian_kde(data).resample(6, key=k))(keys)
    np.testing.assert_allclose(batch[1], eager, rtol=1e-15, atol=1e-15)
    # reparametrized draws: d(sum of draws)/d(data) is finite, checked by finite differences
    check_grads(lambda d: gaussian_kde(d).resample(8, key=keys[0]), (data,), order=1)
