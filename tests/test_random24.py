"""jax.random's shape-parameter samplers in wire.random: gamma, loggamma, beta, dirichlet,
chisquare, f, t, poisson, binomial, multivariate_normal and truncated_normal with array
bounds. Distributions against scipy.stats with fixed keys (deterministic: the thresholds are
far from the statistics a correct sampler gives and far below those of a wrong scale or a
shape parameter off by one), special parameters, the implicit reparameterisation gradient of
gamma against finite differences of the inverse CDF at fixed uniforms, and jit/vmap giving
the eager draws. The draws of the samplers that existed before are pinned."""

import hashlib

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

import wire
import wire.random as wr
from wire.ops import random_params as RP

K = wr.key(24)
N = 4000


def _ks(x, cdf, *args):
    return st.kstest(np.ravel(x), cdf, args=args).pvalue


def _digest(v):
    return hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()[:16]


# --------------------------------------------------------------------------- existing streams

# exact bits (integers, uniforms, keys) and rounded values (through log/cos) of the samplers
# that existed before these were added: adding samplers must not move them
_PINNED = {
    "uniform": ("3d49a5c1dfbfb673", lambda k: wr.uniform(k, (5,))),
    "randint": ("78cfad70cfdc8200", lambda k: wr.randint(k, (5,), 0, 100)),
    "split": ("18bce13e123e18b3", lambda k: wr.split(k, 3)),
    "fold_in": ("9c2ae5f959d04249", lambda k: wr.fold_in(k, 5)),
    "bernoulli": ("e03bb68c650bcbe9", lambda k: wr.bernoulli(k, 0.3, (8,))),
    "permutation": ("6ec306e8fcb3088b", lambda k: wr.permutation(k, 6)),
    "choice": ("3d32c9dac6ea3724", lambda k: wr.choice(k, 10, (3,), replace=False)),
    "categorical": ("75e9bfad57705629",
                    lambda k: wr.categorical(k, np.log(np.array([0.2, 0.3, 0.5])), shape=(6,))),
}
_PINNED_FLOATS = {
    "normal": ([-1.7777090466, -0.6932172991, 0.975883516], lambda k: wr.normal(k, (3,))),
    "truncated_normal": ([1.0361548788, -0.8187130772, -0.975496435],
                         lambda k: wr.truncated_normal(k, -1.0, 2.0, (3,))),
    "truncated_tail": ([6.3336913977, 6.056809495, 6.0884243831],
                       lambda k: wr.truncated_normal(k, 6.0, np.inf, (3,))),
    "gumbel": ([-0.7209077872, 1.0496053418, 0.6071610608], lambda k: wr.gumbel(k, (3,))),
}


@pytest.mark.parametrize("name", sorted(_PINNED))
def test_existing_streams_are_unchanged(name):
    digest, draw = _PINNED[name]
    assert _digest(draw(wr.key(7))) == digest


@pytest.mark.parametrize("name", sorted(_PINNED_FLOATS))
def test_existing_float_streams_are_unchanged(name):
    values, draw = _PINNED_FLOATS[name]
    np.testing.assert_allclose(draw(wr.key(7)), values, rtol=1e-9)


# --------------------------------------------------------------------------- distributions


@pytest.mark.parametrize("a", [0.05, 0.3, 1.0, 7.5, 1e4])
def test_gamma_matches_scipy(a):
    x = wr.gamma(K, a, (N,))
    assert _ks(x, st.gamma(a).cdf) > 1e-3
    assert _ks(x, st.gamma(a + 1).cdf) < 1e-6 or a > 100  # a shape off by one is caught
    # so is a wrong scale (for a tiny shape the CDF is (x / scale)^a: only a large one shows)
    assert _ks(x, st.gamma(a, scale=1.3 if a > 0.1 else 20).cdf) < 1e-6


def test_loggamma_of_a_tiny_shape_matches_its_limit():
    # for a -> 0, a * log X + lnΓ(a + 1) -> log U: -a log X is standard exponential
    a = 1e-30
    y = wr.loggamma(K, a, (N,))
    assert np.isfinite(y).all() and (wr.gamma(K, a, (N,)) == 0).all()  # gamma underflows
    assert _ks(-a * y, st.expon.cdf) > 1e-3
    assert _ks(-a * y, st.expon(scale=1.1).cdf) < 1e-6
    # a moderately small shape: exp of the log draws is the gamma CDF
    a = 1e-3
    y = wr.loggamma(K, a, (N,))
    seen = np.exp(y) > 1e-290  # the rest underflow (their logs are checked above)
    assert 0.2 < seen.mean() < 0.8
    np.testing.assert_allclose(sc.gammainc(a, np.exp(y[seen])),
                               RP.uniforms(RP.key_int(K), N)[seen], rtol=1e-10)


@pytest.mark.parametrize("a", [0.2, 2.0, 40.0])
def test_loggamma_is_the_log_of_gamma(a):
    np.testing.assert_allclose(np.exp(wr.loggamma(K, a, (50,))), wr.gamma(K, a, (50,)),
                               rtol=1e-14)


def test_gamma_quantiles_are_accurate_in_both_tails():
    a = np.array([1e-8, 1e-3, 0.4, 3.0, 1e3, 1e8])
    u = RP.uniforms(RP.key_int(K), 6 * 500).reshape(500, 6)
    x = wr.gamma(K, np.broadcast_to(a, (500, 6)))
    lo = u <= 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(lo, sc.gammainc(a, x), sc.gammaincc(a, x))
        err = np.abs(p - np.where(lo, u, 1 - u)) / np.where(lo, u, 1 - u)
    ok = x > 1e-290  # the rest underflow, as they should (loggamma has them)
    assert err[ok].max() < 1e-9


@pytest.mark.parametrize("a, b", [(0.5, 0.5), (2.0, 3.0), (0.1, 5.0)])
def test_beta_matches_scipy(a, b):
    x = wr.beta(K, a, b, (N,))
    assert _ks(x, st.beta(a, b).cdf) > 1e-3
    assert _ks(x, st.beta(a + 1, b).cdf) < 1e-6


def test_dirichlet_marginals_are_beta():
    alpha = np.array([0.5, 1.0, 3.0])
    x = wr.dirichlet(K, alpha, (N,))
    assert x.shape == (N, 3)
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    for i in range(3):
        assert _ks(x[:, i], st.beta(alpha[i], alpha.sum() - alpha[i]).cdf) > 1e-3
    assert _ks(x[:, 2], st.beta(4.0, 1.5).cdf) < 1e-6


@pytest.mark.parametrize("df", [1.0, 4.5, 30.0])
def test_chisquare_and_t_match_scipy(df):
    c = wr.chisquare(K, df, (N,))
    assert _ks(c, st.chi2(df).cdf) > 1e-3 and _ks(c, st.chi2(df + 1).cdf) < 1e-6
    x = wr.t(K, df, (N,))
    assert _ks(x, st.t(df).cdf) > 1e-3
    assert _ks(x, st.t(df, scale=1.3).cdf) < 1e-6
    if df < 2:
        assert _ks(x, st.t(df + 2).cdf) < 1e-6


def test_f_matches_scipy():
    x = wr.f(K, 3.0, 7.0, (N,))
    assert _ks(x, st.f(3, 7).cdf) > 1e-3
    assert _ks(x, st.f(4, 7).cdf) < 1e-6


def _chi2_gof(counts, pmf, support):
    """Pearson's statistic over ``support`` (tails lumped into the ends) and its p-value."""
    n = counts.size
    lo, hi = support[0], support[-1]
    obs = np.array([np.sum(np.clip(counts, lo, hi) == k) for k in support], float)
    exp = pmf(np.asarray(support, float)) * n
    exp[0] += pmf(np.arange(0, lo, dtype=float)).sum() * n if lo > 0 else 0
    exp[-1] = n - exp[:-1].sum()
    return st.chisquare(obs, exp).pvalue


@pytest.mark.parametrize("lam", [0.7, 6.0, 10.0, 37.5, 1e5])
def test_poisson_matches_scipy(lam):
    c = wr.poisson(K, lam, (N,))
    assert c.dtype == np.int64
    sd = np.sqrt(lam)
    support = np.arange(max(0, int(lam - 3 * sd)), int(lam + 3 * sd) + 1)
    if support.size > 40:
        assert _ks(c, st.poisson(lam).cdf) > 1e-3 or abs(c.mean() - lam) < 3 * sd / np.sqrt(N)
        assert abs(c.mean() - lam) < 4 * sd / np.sqrt(N)
        assert abs(c.var() / lam - 1) < 0.1
        return
    assert _chi2_gof(c, st.poisson(lam).pmf, support) > 1e-3
    assert _chi2_gof(c, st.poisson(lam * 1.1).pmf, support) < 1e-3


@pytest.mark.parametrize("n, p", [(10, 0.3), (50, 0.9), (400, 0.2), (25, 0.5)])
def test_binomial_matches_scipy(n, p):
    c = wr.binomial(K, n, p, (N,))
    assert c.dtype == np.float64 and (c == np.round(c)).all()
    sd = np.sqrt(n * p * (1 - p))
    support = np.arange(max(0, int(n * p - 3 * sd)), min(n, int(n * p + 3 * sd)) + 1)
    assert _chi2_gof(c, st.binom(n, p).pmf, support) > 1e-3
    assert _chi2_gof(c, st.binom(n, min(p + 0.05, 1)).pmf, support) < 1e-3


def test_poisson_and_binomial_of_huge_parameters():
    c = wr.poisson(K, 1e15, (N,))
    z = (c - 1e15) / np.sqrt(1e15)
    assert _ks(z, st.norm.cdf) > 1e-3
    b = wr.binomial(K, 2.0 ** 52, 0.25, (N,))
    z = (b - 2.0 ** 50) / np.sqrt(2.0 ** 52 * 0.1875)
    assert _ks(z, st.norm.cdf) > 1e-3


def test_multivariate_normal_moments_and_projections():
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    mean = np.array([1.0, -2.0, 0.5])
    for method in ("cholesky", "eigh", "svd"):
        x = wr.multivariate_normal(K, mean, cov, (N,), method=method)
        assert x.shape == (N, 3)
        w = np.array([0.3, -1.0, 2.0])
        proj = x @ w
        assert _ks(proj, st.norm(mean @ w, np.sqrt(w @ cov @ w)).cdf) > 1e-3
        assert _ks(proj, st.norm(mean @ w, 1.2 * np.sqrt(w @ cov @ w)).cdf) < 1e-6
        np.testing.assert_allclose(np.cov(x.T), cov, atol=0.12)


def test_truncated_normal_array_bounds_match_scipy():
    lo = np.array([-np.inf, -1.0, 0.5, 6.0, -40.0])
    hi = np.array([0.0, 1.0, 0.6, np.inf, -39.0])
    z = wr.truncated_normal(K, lo, hi, (N, 5))
    assert z.shape == (N, 5) and (z > lo).all() and (z < hi).all()
    for i in range(5):
        assert _ks(z[:, i], st.truncnorm(lo[i], hi[i]).cdf) > 1e-3
    assert _ks(z[:, 1], st.truncnorm(-1.0, 1.2).cdf) < 1e-3
    # shape None: the bounds' broadcast shape; one bound an array, the other a scalar
    assert wr.truncated_normal(K, np.zeros((2, 1)), np.ones(3)).shape == (2, 3)
    assert wr.truncated_normal(K, np.array([-1.0, 0.0]), 1.0, (3, 2)).shape == (3, 2)
    # scalar bounds keep their own (pinned) stream
    np.testing.assert_array_equal(wr.truncated_normal(K, -1.0, 2.0, (4,)),
                                  wr.truncated_normal(K, np.float64(-1.0), 2.0, (4,)))


# --------------------------------------------------------------------------- special inputs


def test_gamma_special_shapes():
    x = wr.gamma(K, np.array([0.0, np.inf, 1e-300]))
    assert x[0] == 0 and x[1] == np.inf and x[2] == 0
    y = wr.loggamma(K, np.array([0.0, np.inf, 1e-300]))
    assert y[0] == -np.inf and y[1] == np.inf and np.isfinite(y[2]) and y[2] < -1e290
    for bad in (np.nan, -1.0):
        with pytest.raises(wire.WireError, match="a must be >= 0"):
            wr.gamma(K, bad)
        with pytest.raises(wire.WireError):
            wr.loggamma(K, np.array([1.0, bad]))
    out = wire.jit(lambda a: wr.gamma(K, a))(np.array([np.nan, -1.0, 2.0]))
    assert np.isnan(out[:2]).all() and out[2] > 0


def test_poisson_special_rates():
    assert (wr.poisson(K, 0.0, (5,)) == 0).all()
    for bad in (-1.0, np.inf, np.nan):
        with pytest.raises(wire.WireError, match="poisson"):
            wr.poisson(K, bad)
        with pytest.raises(wr.InvalidParameterError):
            wire.jit(lambda lam: wr.poisson(K, lam, (2,)))(np.float64(bad))
    with pytest.raises(wire.WireError, match="int8"):
        wr.poisson(K, 200.0, dtype=np.int8)
    assert wr.poisson(K, 3.0, (4,), np.int16).dtype == np.int16


def test_binomial_special_parameters():
    n = np.array([7.0, 7.0, 0.0, 1e6])
    p = np.array([0.0, 1.0, 0.4, 1.0])
    np.testing.assert_array_equal(wr.binomial(K, n, p), [0.0, 7.0, 0.0, 1e6])
    for n_, p_ in ((5.5, 0.5), (-1.0, 0.5), (5.0, 1.5), (5.0, np.nan), (np.inf, 0.5)):
        with pytest.raises(wire.WireError, match="binomial"):
            wr.binomial(K, n_, p_)
    out = wire.jit(lambda n_, p_: wr.binomial(K, n_, p_))(np.array([5.5, 5.0]),
                                                       np.array([0.5, 0.5]))
    assert np.isnan(out[0]) and 0 <= out[1] <= 5


def test_t_and_f_at_infinite_degrees_of_freedom():
    k1, _ = wr.split(K)
    np.testing.assert_allclose(wr.t(K, np.inf, (6,)), wr.normal(k1, (6,)), rtol=1e-15)
    assert _ks(wr.t(K, np.array(np.inf), (N,)), st.norm.cdf) > 1e-3
    x = wr.f(K, 3.0, np.inf, (N,))
    assert _ks(x, st.chi2(3, scale=1 / 3).cdf) > 1e-3
    assert (wr.f(K, np.inf, np.inf, (3,)) == 1).all()
    assert (wr.chisquare(K, np.array([0.0, np.inf])) == [0.0, np.inf]).all()
    for fn, args in ((wr.t, (0.0,)), (wr.t, (np.nan,)), (wr.f, (1.0, -2.0)),
                     (wr.beta, (1.0, 0.0)), (wr.beta, (np.inf, 1.0)),
                     (wr.dirichlet, (np.array([1.0, -1.0]),)), (wr.chisquare, (-1.0,))):
        with pytest.raises(wire.WireError):
            fn(K, *args)


def test_tiny_shapes_give_vertices_not_nan():
    b = wr.beta(K, 1e-30, 1e-30, (200,))
    assert set(np.unique(b)) <= {0.0, 1.0} and 0 < b.mean() < 1
    d = wr.dirichlet(K, np.full(4, 1e-30), (50,))
    assert np.isfinite(d).all() and ((d == 0) | (d == 1)).all()
    np.testing.assert_array_equal(d.sum(-1), 1.0)


def test_multivariate_normal_singular_covariance():
    cov = np.array([[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(wire.WireError, match="eigh"):
        wr.multivariate_normal(K, np.zeros(2), cov)
    for method in ("eigh", "svd"):
        x = wr.multivariate_normal(K, np.zeros(2), cov, (500,), method=method)
        np.testing.assert_allclose(x[:, 0], x[:, 1], atol=1e-12)  # on the line x0 = x1
        assert _ks(x[:, 0], st.norm.cdf) > 1e-3
    with pytest.raises(wire.WireError, match="semi-definite"):
        wr.multivariate_normal(K, np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]),
                               method="eigh")
    with pytest.raises(wire.WireError, match="method"):
        wr.multivariate_normal(K, np.zeros(2), np.eye(2), method="qr")
    with pytest.raises(wire.WireError, match=r"\(3,\)"):
        wr.multivariate_normal(K, np.zeros(3), np.eye(2))


# --------------------------------------------------------------------------- shapes and dtypes


def test_shapes_broadcast_as_jax():
    assert wr.gamma(K, np.ones(2), (3, 2)).shape == (3, 2)
    assert wr.gamma(K, np.ones((2, 1))).shape == (2, 1)
    with pytest.raises(wire.WireError, match="broadcast"):
        wr.gamma(K, np.ones(3), (2,))
    assert wr.beta(K, np.ones(3), np.ones((2, 1))).shape == (2, 3)
    assert wr.dirichlet(K, np.ones((2, 3)), (4, 2)).shape == (4, 2, 3)
    with pytest.raises(wire.WireError):
        wr.dirichlet(K, np.ones((2, 3)), (4, 3))
    assert wr.multivariate_normal(K, np.zeros((3, 2)), np.eye(2), (4, 3)).shape == (4, 3, 2)
    assert wr.poisson(K, np.ones(2), (3, 2)).shape == (3, 2)
    assert wr.binomial(K, 5, np.full(2, 0.5), (3, 2)).shape == (3, 2)
    assert wr.t(K, np.ones((2, 2))).shape == (2, 2)


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64])
def test_float_dtypes(dt):
    for draw in (lambda: wr.gamma(K, 2.0, (500,), dt), lambda: wr.beta(K, 2.0, 2.0, (500,), dt),
                 lambda: wr.t(K, 3.0, (500,), dt), lambda: wr.chisquare(K, 2.0, (500,), dt),
                 lambda: wr.f(K, 2.0, 3.0, (500,), dt), lambda: wr.binomial(K, 9, 0.5, (500,), dt),
                 lambda: wr.loggamma(K, 1e-30, (500,), dt),
                 lambda: wr.multivariate_normal(K, np.zeros(2), np.eye(2), (500,), dt),
                 lambda: wr.dirichlet(K, np.ones(3), (500,), dt),
                 lambda: wr.truncated_normal(K, np.zeros(2), 1.0, (250, 2), dt)):
        x = draw()
        assert x.dtype == dt
    x = wr.gamma(K, 2.0, (N,), np.float32)
    assert _ks(x, st.gamma(2.0).cdf) > 1e-3
    with pytest.raises(wire.WireTypeError):
        wr.gamma(K, 1.0, dtype=np.int32)
    with pytest.raises(wire.WireTypeError):
        wr.poisson(K, 1.0, dtype=np.float32)


def test_a_draw_depends_only_on_its_own_parameters():
    a = np.array([0.5, 2.0, 9.0])
    b = a.copy()
    b[1] = 30.0
    x, y = wr.gamma(K, a), wr.gamma(K, b)
    assert x[0] == y[0] and x[2] == y[2] and x[1] != y[1]
    lam = np.array([3.0, 50.0, 700.0])
    c1, c2 = wr.poisson(K, lam), wr.poisson(K, lam * [1, 1, 2])
    assert (c1[:2] == c2[:2]).all()


# --------------------------------------------------------------------------- derivatives


def _inverse_cdf_slope(a, x, h=1e-6):
    """d x / d a at fixed u = P(a, x): central differences of SciPy's inverse CDF."""
    u = sc.gammainc(a, x)
    q = sc.gammaincc(a, x)
    up = np.where(u <= 0.5, sc.gammaincinv(a + h * a, u), sc.gammainccinv(a + h * a, q))
    dn = np.where(u <= 0.5, sc.gammaincinv(a - h * a, u), sc.gammainccinv(a - h * a, q))
    return (up - dn) / (2 * h * a)


@pytest.mark.parametrize("a", [0.01, 0.3, 1.0, 4.0, 250.0])
def test_gamma_gradient_is_the_implicit_reparameterisation(a):
    aa = np.full(8, a)
    x = wr.gamma(K, aa)
    fd = _inverse_cdf_slope(aa, x)
    g = wire.grad(lambda v: wr.gamma(K, v).sum())(aa)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-300)
    # the same through jit, and per element through vmap (each a scalar draw of its own)
    np.testing.assert_array_equal(wire.jit(wire.grad(lambda v: wr.gamma(K, v).sum()))(aa), g)
    gv = wire.vmap(wire.grad(lambda s: wr.gamma(K, s)))(aa)
    np.testing.assert_allclose(gv, wire.grad(lambda s: wr.gamma(K, s))(a), rtol=1e-13)
    # forward mode agrees
    _, tangent = wire.jvp(lambda v: wr.gamma(K, v), (aa,), (np.ones(8),))
    np.testing.assert_allclose(tangent, g, rtol=1e-12)


def test_loggamma_gradient_at_tiny_shapes():
    # log x = (log u + lnΓ(a + 1)) / a where x underflows: d/da from that closed form
    u = RP.uniforms(RP.key_int(K), 4)
    for a in (1e-30, 1e-5):
        aa = np.full(4, a)
        g = wire.grad(lambda v: wr.loggamma(K, v).sum())(aa)
        y = np.log(u) / aa + sc.gammaln(aa + 1) / aa
        fd = -(y - sc.digamma(aa + 1)) / aa
        np.testing.assert_allclose(g, fd, rtol=1e-6)
    # a moderate shape: the log of the inverse CDF's slope
    aa = np.array([0.5, 3.0])
    x = wr.gamma(K, aa)
    g = wire.grad(lambda v: wr.loggamma(K, v).sum())(aa)
    np.testing.assert_allclose(g, _inverse_cdf_slope(aa, x) / x, rtol=1e-5)


def test_second_derivative_of_gamma():
    a = 2.5
    d1 = wire.grad(lambda s: wr.gamma(K, s))
    d2 = wire.grad(d1)(a)
    h = 1e-4
    np.testing.assert_allclose(d2, (d1(a + h) - d1(a - h)) / (2 * h), rtol=1e-5)


def test_beta_and_dirichlet_gradients_flow_through_gamma():
    k1, k2 = wr.split(K)
    u1 = RP.uniforms(RP.key_int(k1), 1)[0]
    u2 = RP.uniforms(RP.key_int(k2), 1)[0]

    def beta_by_inverse(a, b):
        x, y = sc.gammaincinv(a, u1), sc.gammaincinv(b, u2)
        return x / (x + y)

    h = 1e-6
    ga, gb = wire.grad(lambda a, b: wr.beta(K, a, b), argnums=(0, 1))(1.7, 2.4)
    np.testing.assert_allclose(ga, (beta_by_inverse(1.7 + h, 2.4) - beta_by_inverse(1.7 - h, 2.4))
                               / (2 * h), rtol=1e-5)
    np.testing.assert_allclose(gb, (beta_by_inverse(1.7, 2.4 + h) - beta_by_inverse(1.7, 2.4 - h))
                               / (2 * h), rtol=1e-5)
    alpha = np.array([0.7, 1.5, 3.0])
    g = wire.grad(lambda al: wr.dirichlet(K, al)[1])(alpha)
    fd = [(wr.dirichlet(K, alpha + h * e)[1] - wr.dirichlet(K, alpha - h * e)[1]) / (2 * h)
          for e in np.eye(3)]
    np.testing.assert_allclose(g, fd, rtol=1e-5)


def test_t_chisquare_f_gradients_match_finite_differences():
    h = 1e-6
    for fn in (lambda d: wr.t(K, d), lambda d: wr.chisquare(K, d), lambda d: wr.f(K, d, 4.0),
               lambda d: wr.f(K, 3.0, d)):
        g = wire.grad(fn)(3.3)
        np.testing.assert_allclose(g, (fn(3.3 + h) - fn(3.3 - h)) / (2 * h), rtol=1e-5)


def test_multivariate_normal_gradient():
    mean, cov = np.array([0.5, -1.0]), np.array([[2.0, 0.3], [0.3, 1.0]])
    draw = lambda m, c: wr.multivariate_normal(K, m, c)[1]  # noqa: E731
    gm, gc = wire.grad(draw, argnums=(0, 1))(mean, cov)
    np.testing.assert_array_equal(gm, [0.0, 1.0])
    h = 1e-6
    e = np.zeros((2, 2))
    e[1, 1] = 1
    np.testing.assert_allclose(gc[1, 1], (draw(mean, cov + h * e) - draw(mean, cov - h * e))
                               / (2 * h), rtol=1e-6)


# --------------------------------------------------------------------------- jit and vmap


_SAMPLERS = {
    "gamma": (lambda k, p: wr.gamma(k, p, (3,)), np.array([0.4, 2.0, 8.0])),
    "loggamma": (lambda k, p: wr.loggamma(k, p, (3,)), np.array([1e-20, 2.0, 8.0])),
    "beta": (lambda k, p: wr.beta(k, p, 2.0, (3,)), np.array([0.4, 2.0, 8.0])),
    "dirichlet": (lambda k, p: wr.dirichlet(k, p, (2,)), np.array([0.4, 2.0, 8.0])),
    "t": (lambda k, p: wr.t(k, p, (3,)), np.array([0.4, 2.0, np.inf])),
    "chisquare": (lambda k, p: wr.chisquare(k, p, (3,)), np.array([0.4, 2.0, 8.0])),
    "f": (lambda k, p: wr.f(k, p, p + 1, (3,)), np.array([0.4, 2.0, 8.0])),
    "poisson": (lambda k, p: wr.poisson(k, p, (3,)), np.array([0.4, 20.0, 800.0])),
    "binomial": (lambda k, p: wr.binomial(k, 60, p / 20, (3,)), np.array([0.4, 2.0, 8.0])),
    "mvn": (lambda k, p: wr.multivariate_normal(k, p, np.diag(p), (2,)),
            np.array([0.4, 2.0, 8.0])),
    "truncated_normal": (lambda k, p: wr.truncated_normal(k, -p, p / 2, (3,)),
                         np.array([0.4, 2.0, 8.0])),
}


@pytest.mark.parametrize("name", sorted(_SAMPLERS))
def test_jit_and_vmap_give_the_eager_draws(name):
    draw, p = _SAMPLERS[name]
    eager = draw(K, p)
    np.testing.assert_array_equal(wire.jit(draw)(K, p), eager)
    np.testing.assert_array_equal(wire.jit(lambda q: draw(K, q))(p), eager)
    keys = wr.split(K, 3)
    ps = np.stack([p, p * 1.5, p * 0.5])
    batched = wire.vmap(draw)(keys, ps)
    for i in range(3):
        np.testing.assert_array_equal(batched[i], draw(keys[i], ps[i]))
    by_key = wire.vmap(draw, in_axes=(0, None))(keys, p)
    for i in range(3):
        np.testing.assert_array_equal(by_key[i], draw(keys[i], p))


def test_gamma_quantiles_without_scipys_inverse(monkeypatch):
    # the Newton iteration on wire's own incomplete gamma, used where SciPy is missing
    a = np.repeat([1e-6, 1e-3, 0.1, 0.7, 3.0, 50.0, 1e4, 1e7], 50)
    u = RP.uniforms(RP.key_int(K), a.size)
    with_scipy = RP.gamma_inverse(a, u, True)
    monkeypatch.setattr(RP, "_sp", None)
    newton = RP.gamma_inverse(a, u, True)
    np.testing.assert_allclose(newton, with_scipy, rtol=1e-12, atol=1e-12)


def test_gamma_gradient_agrees_with_lax_random_gamma_grad():
    a = np.array([0.3, 1.0, 6.0, 80.0])
    x = wr.gamma(K, a)
    g = wire.grad(lambda v: wr.gamma(K, v).sum())(a)
    np.testing.assert_allclose(g, wire.lax.random_gamma_grad(a, x), rtol=1e-8)


# --------------------------------------------------------------------------- the other samplers


def test_geometric_matches_scipy():
    g = wr.geometric(K, 0.3, (N,))
    assert g.dtype == np.int64 and g.min() >= 1
    support = np.arange(1, 13)
    assert _chi2_gof(g, st.geom(0.3).pmf, support) > 1e-3
    assert _chi2_gof(g, st.geom(0.33).pmf, support) < 1e-3
    assert (wr.geometric(K, 1.0, (5,)) == 1).all()
    for bad in (0.0, -0.1, 1.5, np.nan):
        with pytest.raises(wire.WireError, match="geometric"):
            wr.geometric(K, bad)
        with pytest.raises(wr.InvalidParameterError):
            wire.jit(lambda p: wr.geometric(K, p, (2,)))(np.float64(bad))
    with pytest.raises(wire.WireError, match="int8"):
        wr.geometric(K, 1e-6, (50,), np.int8)


def test_triangular_wald_generalized_normal_match_scipy():
    x = wr.triangular(K, -1.0, 0.5, 3.0, (N,))
    assert _ks(x, st.triang(0.375, loc=-1, scale=4).cdf) > 1e-3
    assert _ks(x, st.triang(0.5, loc=-1, scale=4).cdf) < 1e-6
    x = wr.wald(K, 1.7, (N,))
    assert _ks(x, st.invgauss(1.7).cdf) > 1e-3
    assert _ks(x, st.invgauss(2.0).cdf) < 1e-6
    for p in (0.7, 2.0, 5.0):
        x = wr.generalized_normal(K, p, (N,))
        assert _ks(x, st.gennorm(p).cdf) > 1e-3
        assert _ks(x, st.gennorm(p, scale=1.3).cdf) < 1e-6
    for fn, args in ((wr.triangular, (1.0, 0.0, 2.0)), (wr.triangular, (0.0, 0.0, 0.0)),
                     (wr.wald, (0.0,)), (wr.generalized_normal, (-1.0,))):
        with pytest.raises(wire.WireError):
            fn(K, *args)
    out = wire.jit(lambda lo: wr.triangular(K, lo, 0.0, 1.0, (2,)))(np.float64(0.5))
    assert np.isnan(out).all()


def test_ball_and_orthogonal_are_uniform():
    for p in (1.0, 2.0):
        x = wr.ball(K, 3, p, (N,))
        r = (np.abs(x) ** p).sum(-1) ** (1 / p)
        assert x.shape == (N, 3) and (r <= 1).all()
        assert _ks(r ** 3, st.uniform.cdf) > 1e-3  # the volume inside radius r is r**3
        assert _ks(r ** 2.5, st.uniform.cdf) < 1e-6
    q = wr.orthogonal(K, 3, (N,))
    np.testing.assert_allclose(q @ np.swapaxes(q, -1, -2), np.broadcast_to(np.eye(3), q.shape),
                               atol=1e-12)
    assert _ks(q[:, 0, 0], st.uniform(-1, 2).cdf) > 1e-3  # a coordinate on S^2 (Archimedes)
    assert _ks(q[:, 1, 2], st.uniform(-1, 2).cdf) > 1e-3
    assert wr.orthogonal(K, 2, m=4).shape == (2, 4)
    s = wr.orthogonal(K, 4, m=2)
    np.testing.assert_allclose(s.T @ s, np.eye(2), atol=1e-12)


def test_multinomial_matches_scipy():
    p = np.array([0.1, 0.25, 0.65])
    c = wr.multinomial(K, 30, p, shape=(N, 3))
    assert c.shape == (N, 3) and (c.sum(-1) == 30).all()
    for i in range(3):
        sd = np.sqrt(30 * p[i] * (1 - p[i]))
        support = np.arange(max(0, int(30 * p[i] - 3 * sd)), int(30 * p[i] + 3 * sd) + 1)
        assert _chi2_gof(c[:, i], st.binom(30, p[i]).pmf, support) > 1e-3
    assert wr.multinomial(K, np.array([5.0, 7.0]), p, shape=(2, 3)).sum(-1).tolist() == [5, 7]
    assert wr.multinomial(K, 4, np.array([0.0, 1.0, 0.0])).tolist() == [0, 4, 0]
    with pytest.raises(wire.WireError):
        wr.multinomial(K, 4, np.array([0.5, -0.1]))
    with pytest.raises(wire.WireError):
        wr.multinomial(K, 4, p, shape=(4,))


def test_the_other_samplers_under_jit_and_vmap():
    cases = [
        (lambda k, v: wr.geometric(k, v / 10, (3,)), np.array([1.0, 3.0, 9.0])),
        (lambda k, v: wr.triangular(k, -v, 0.0, v, (3,)), np.array([1.0, 3.0, 9.0])),
        (lambda k, v: wr.wald(k, v, (3,)), np.array([1.0, 3.0, 9.0])),
        (lambda k, v: wr.generalized_normal(k, v, (3,)), np.array([1.0, 3.0, 9.0])),
        (lambda k, v: wr.ball(k, 3, v[0], (2,)), np.array([1.0, 3.0, 9.0])),
        (lambda k, v: wr.orthogonal(k, 3) * v, np.array([1.0, 3.0, 9.0])),
        (lambda k, v: wr.multinomial(k, 12, v), np.array([1.0, 3.0, 9.0])),
    ]
    keys = wr.split(K, 2)
    for draw, v in cases:
        eager = draw(K, v)
        np.testing.assert_array_equal(wire.jit(draw)(K, v), eager)
        batched = wire.vmap(draw)(keys, np.stack([v, v + 1]))
        for i in range(2):
            np.testing.assert_array_equal(batched[i], draw(keys[i], v + i))


def test_the_other_samplers_gradients():
    h = 1e-6
    for fn in (lambda v: wr.triangular(K, -1.0, v, 2.0), lambda v: wr.wald(K, v),
               lambda v: wr.generalized_normal(K, v)):
        g = wire.grad(fn)(0.8)
        np.testing.assert_allclose(g, (fn(0.8 + h) - fn(0.8 - h)) / (2 * h), rtol=1e-5)


@pytest.mark.parametrize("name", sorted(_SAMPLERS))
def test_empty_draws_under_jit(name):
    draw, p = _SAMPLERS[name]
    keys = wr.split(K, 2)[:0]  # no keys: an empty batch
    out = wire.vmap(draw, in_axes=(0, None))(keys, p)
    assert out.shape == (0,) + draw(K, p).shape
    assert wire.jit(lambda q: wr.gamma(K, q, (0, 3)))(p).shape == (0, 3)
