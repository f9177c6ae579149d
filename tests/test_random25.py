"""wire.random: vmap over keys samples every key of the batch at once (one pass over the
batch, not a loop over keys) with the bits each key gives alone; truncated_normal's implicit
reparameterisation gradient in its bounds; a cheap distribution check of every sampler that
fails on a wrong parameter."""

import numpy as np
import pytest
from scipy import stats

import wire
from selection import slow_only
from wire import random as wr
from wire.ops import random_bits as R
from wire.ops import random_params as RP

# name -> sampler of a key; parameters picked to reach the rare branches too: rejection
# rounds (truncated normals of low acceptance, randint of a span just above 2**63, PTRS and
# BTRS beside inversion), tiny gamma shapes (series), and several streams per key
SAMPLERS = {
    "uniform": lambda k: wr.uniform(k, (5,)),
    "uniform float16": lambda k: wr.uniform(k, (5,), np.float16, -1.0, 3.0),
    "normal": lambda k: wr.normal(k, (3, 3), np.float32),
    "bits": lambda k: wr.bits(k, (5,)),
    "bits uint8": lambda k: wr.bits(k, (5,), np.uint8),
    "randint": lambda k: wr.randint(k, (6,), 0, 7),
    "randint huge span": lambda k: wr.randint(k, (40,), 0, 2**63 + 5, dtype=np.uint64),
    "bernoulli": lambda k: wr.bernoulli(k, 0.3, (6,)),
    "categorical": lambda k: wr.categorical(k, np.log([0.2, 0.5, 0.3]), shape=(6,)),
    "categorical without replacement": lambda k: wr.categorical(
        k, np.zeros(5), shape=(3,), replace=False),
    "gumbel": lambda k: wr.gumbel(k, (5,), np.float32),
    "truncated_normal": lambda k: wr.truncated_normal(k, -1.0, 2.0, (5,)),
    "truncated_normal several streams": lambda k: wr.truncated_normal(k, -0.1, 1.5, (60,)),
    "truncated_normal tail": lambda k: wr.truncated_normal(k, 6.0, np.inf, (70,), np.float32),
    "truncated_normal short": lambda k: wr.truncated_normal(k, -9.0, -8.9, (5,)),
    "truncated_normal arrays": lambda k: wr.truncated_normal(
        k, np.array([-1.0, 3.0, -np.inf, 0.1]), np.array([1.0, np.inf, -40.0, 0.3]), (2, 4)),
    "permutation": lambda k: wr.permutation(k, 9),
    "permutation independent": lambda k: wr.permutation(
        k, np.arange(12).reshape(3, 4), 1, independent=True),
    "choice": lambda k: wr.choice(k, 10, (4,)),
    "choice without replacement": lambda k: wr.choice(k, 10, (4,), replace=False),
    "choice p": lambda k: wr.choice(k, 4, (5,), p=np.array([0.1, 0.2, 0.3, 0.4])),
    "choice p without replacement": lambda k: wr.choice(
        k, 4, (3,), replace=False, p=np.array([0.1, 0.2, 0.3, 0.4])),
    "exponential": lambda k: wr.exponential(k, (5,)),
    "laplace": lambda k: wr.laplace(k, (5,)),
    "logistic": lambda k: wr.logistic(k, (5,)),
    "cauchy": lambda k: wr.cauchy(k, (5,)),
    "rademacher": lambda k: wr.rademacher(k, (5,)),
    "lognormal": lambda k: wr.lognormal(k, 0.5, (5,)),
    "rayleigh": lambda k: wr.rayleigh(k, 2.0, (5,)),
    "pareto": lambda k: wr.pareto(k, 3.0, (5,)),
    "weibull_min": lambda k: wr.weibull_min(k, 1.0, 2.0, (5,)),
    "maxwell": lambda k: wr.maxwell(k, (5,)),
    "double_sided_maxwell": lambda k: wr.double_sided_maxwell(k, 0.0, 1.0, (5,)),
    "gamma": lambda k: wr.gamma(k, np.array([0.01, 0.5, 3.0, 50.0, 1e-30, 0.0, np.inf])),
    "loggamma": lambda k: wr.loggamma(k, np.array([1e-30, 0.2, 4.0])),
    "beta": lambda k: wr.beta(k, 2.0, 0.3, (4,)),
    "dirichlet": lambda k: wr.dirichlet(k, np.array([0.1, 1.0, 5.0]), (2,)),
    "chisquare": lambda k: wr.chisquare(k, 3.0, (4,)),
    "f": lambda k: wr.f(k, 5.0, 2.0, (4,)),
    "t": lambda k: wr.t(k, 4.0, (4,)),
    "poisson": lambda k: wr.poisson(k, np.array([0.0, 0.5, 3.0, 9.9, 10.0, 50.0, 1e5])),
    "binomial": lambda k: wr.binomial(k, np.array([20, 1000, 5, 1e6, 0, 3, 60.0]),
                                      np.array([0.3, 0.5, 0.9, 1e-3, 0.5, 0.0, 1.0])),
    "multivariate_normal": lambda k: wr.multivariate_normal(
        k, np.zeros(2), np.array([[2.0, 1.0], [1.0, 2.0]]), (3,)),
    "geometric": lambda k: wr.geometric(k, 0.3, (5,)),
    "triangular": lambda k: wr.triangular(k, 0.0, 1.0, 3.0, (5,)),
    "wald": lambda k: wr.wald(k, 2.0, (5,)),
    "generalized_normal": lambda k: wr.generalized_normal(k, 1.5, (5,)),
    "ball": lambda k: wr.ball(k, 3, shape=(2,)),
    "orthogonal": lambda k: wr.orthogonal(k, 3),
    "multinomial": lambda k: wr.multinomial(k, 30, np.array([0.2, 0.3, 0.5])),
}
NOT_SAMPLERS = {"key", "split", "fold_in", "is_key", "PRNGKey", "InvalidParameterError"}


def test_every_sampler_is_checked_here():
    covered = {name.split(" ")[0] for name in SAMPLERS}
    assert set(wr.__all__) - NOT_SAMPLERS <= covered


def same(batched, eager):
    batched, eager = np.asarray(batched), np.asarray(eager)
    assert batched.dtype == eager.dtype and batched.shape == eager.shape
    assert batched.tobytes() == eager.tobytes()  # bit for bit (NaN, -0.0 included)


# the draws are bitwise; what these compute from them goes through a batched matmul, whose
# sums BLAS may order differently from the unbatched one (the last bit)
MATMUL = {"multivariate_normal"}


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_vmap_over_keys_gives_each_key_its_own_bits(name):
    f = SAMPLERS[name]
    keys = wr.split(wr.key(25), 6)
    eager = np.stack([f(k) for k in keys])
    for batched in (wire.vmap(f)(keys), wire.jit(wire.vmap(f))(keys)):
        if name in MATMUL:
            np.testing.assert_allclose(batched, eager, rtol=1e-14, atol=1e-15)
        else:
            same(batched, eager)


@pytest.mark.parametrize("name", ["gamma", "poisson", "binomial", "truncated_normal arrays",
                                  "randint huge span", "truncated_normal several streams"])
def test_vmap_over_no_keys_and_over_keys_of_a_grid(name):
    f = SAMPLERS[name]
    keys = wr.split(wr.key(3), (2, 3))
    eager = np.stack([np.stack([f(k) for k in row]) for row in keys])
    same(wire.vmap(wire.vmap(f))(keys), eager)
    empty = wire.vmap(f)(np.zeros((0, 4), np.uint32))
    assert empty.shape == (0,) + eager.shape[2:]


# samplers of parameters that vmap maps together with the keys: one value per key
PARAM_SAMPLERS = {
    "gamma": (lambda k, a: wr.gamma(k, a, (3,)), [0.01, 1.0, 7.0, 1e-30]),
    "loggamma": (lambda k, a: wr.loggamma(k, a, (3,)), [0.01, 1.0, 7.0, 1e-30]),
    "poisson": (lambda k, lam: wr.poisson(k, lam, (4,)), [0.5, 9.0, 12.0, 3e3]),
    "binomial": (lambda k, n: wr.binomial(k, n, 0.3, (4,)), [3.0, 30.0, 100.0, 1e6]),
    "geometric": (lambda k, p: wr.geometric(k, p, (3,)), [0.1, 0.5, 0.9, 1.0]),
    "truncated_normal": (lambda k, lo: wr.truncated_normal(k, lo, np.inf, (3,)),
                         [-1.0, 0.5, 4.0, -6.0]),
    "truncated_normal arrays": (lambda k, lo: wr.truncated_normal(
        k, lo + np.array([0.0, 1.0]), np.array([np.inf, 9.0]), (2, 2)), [-1.0, 0.5, 4.0, -6.0]),
    "randint": (lambda k, hi: wr.randint(k, (5,), 0, hi), [1, 3, 2**40, 2**62 + 1]),
    "bernoulli": (lambda k, p: wr.bernoulli(k, p, (5,)), [0.0, 0.3, 0.9, 1.0]),
}


@pytest.mark.parametrize("name", list(PARAM_SAMPLERS))
def test_vmap_over_keys_and_parameters_gives_the_eager_draws(name):
    f, values = PARAM_SAMPLERS[name]
    keys = wr.split(wr.key(5), len(values))
    values = np.array(values)
    eager = np.stack([f(k, v.item()) for k, v in zip(keys, values)])
    same(wire.vmap(f)(keys, values), eager)
    same(wire.jit(wire.vmap(f))(keys, values), eager)
    shared = wire.jit(wire.vmap(f, in_axes=(0, None)))(keys, values[1])
    same(shared, np.stack([f(k, values[1].item()) for k in keys]))


def test_samplers_take_a_batch_of_keys_or_one_key_alike():
    # the mechanism itself: row i of a batch is what key i gives alone, and the eager
    # functions (one key's int) are the rows of the batched ones
    keys = wr.split(wr.key(9), 4)
    rows = R.truncated(keys, 50, np.dtype(np.float64), -0.1, 1.5)
    for k, row in zip(keys, rows):
        same(row, R.truncated(R.key_int(k), 50, np.dtype(np.float64), -0.1, 1.5))
    lam = np.array([[0.5, 50.0], [9.0, 1e4], [0.0, 3.0], [11.0, 2.0]])
    counts = RP.poissons(keys, (2,), np.dtype(np.int64), lam)
    for k, row, lk in zip(keys, counts, lam):
        same(row, RP.poissons(R.key_int(k), (2,), np.dtype(np.int64), lk))


def test_randint_rejections_past_the_first_stream_are_per_key():
    # a span just above 2**63 rejects about half the words: several streams, each key its own
    keys = wr.split(wr.key(11), 30)
    f = lambda k: wr.randint(k, (300,), 0, 2**63 + 1, dtype=np.uint64)
    same(wire.vmap(f)(keys), np.stack([f(k) for k in keys]))


@pytest.mark.parametrize("name", [n for n in SAMPLERS if n != "truncated_normal tail"])
def test_vmap_over_keys_makes_no_generator_per_key(name, monkeypatch):
    # a NumPy Philox generator per key made vmap over 500 keys of gamma(k, 3.0, (10,)) take
    # 91 ms (4.6 ms with the keys' words computed together); few words per key never need one
    f = wire.jit(wire.vmap(SAMPLERS[name]))
    keys = wr.split(wr.key(1), 40)
    f(keys)
    made = []
    philox = np.random.Philox
    monkeypatch.setattr(np.random, "Philox", lambda *a, **k: made.append(1) or philox(*a, **k))
    f(keys)
    assert len(made) <= 2


# --------------------------------------------------------------------------- truncated normal's
# derivative in its bounds: the implicit reparameterisation gradient (was zero)

mpmath = pytest.importorskip("mpmath")
BOUNDS = [(0.5, 2.0), (-1.0, 2.0), (-3.0, -1.0), (6.0, np.inf), (-np.inf, 0.3), (8.0, 9.0),
          (-40.0, -39.5), (-0.1, 0.1), (-np.inf, np.inf), (-2.0, 30.0)]


def _quantile(u, a, b, z0):
    """The sample as a function of its bounds at a fixed uniform ``u``: ``F^-1(u; a, b)``
    in 40-digit arithmetic (tails through erfc, without cancellation), near ``z0``."""
    s2 = mpmath.sqrt(2)
    if a >= 0:  # upper tail: survival functions
        q = lambda x: mpmath.erfc(x / s2) / 2 if x < mpmath.inf else mpmath.mpf(0)
        qa, qb = q(a), q(b)
        F = lambda x: (qa - q(x)) / (qa - qb)
    else:
        p = lambda x: mpmath.erfc(-x / s2) / 2 if x > -mpmath.inf else mpmath.mpf(0)
        pa, pb = p(a), p(b)
        F = lambda x: (p(x) - pa) / (pb - pa)
    return mpmath.findroot(lambda x: F(x) - u, z0)


def _cdf(z, a, b):
    s2 = mpmath.sqrt(2)
    if a >= 0:
        q = lambda x: mpmath.erfc(x / s2) / 2 if x < mpmath.inf else mpmath.mpf(0)
        return (q(a) - q(z)) / (q(a) - q(b))
    p = lambda x: mpmath.erfc(-x / s2) / 2 if x > -mpmath.inf else mpmath.mpf(0)
    return (p(z) - p(a)) / (p(b) - p(a))


@pytest.mark.parametrize("lo, hi", BOUNDS, ids=str)
def test_truncated_normal_bound_derivatives_are_those_of_the_quantile_at_a_fixed_uniform(lo, hi):
    k = wr.split(wr.key(4), 3)[1]
    draw = lambda a, b: wr.truncated_normal(k, a, b)
    z = float(draw(lo, hi))
    d_lo, d_hi = (float(d) for d in wire.grad(draw, argnums=(0, 1))(lo, hi))
    with mpmath.workdps(40):
        u = _cdf(mpmath.mpf(z), mpmath.mpf(lo), mpmath.mpf(hi))
        h = mpmath.mpf("1e-12")
        # central differences of the sample at the same u (40 digits: no rounding)
        q = lambda a, b: _quantile(u, a, b, mpmath.mpf(z))
        fd = [0.0 if not np.isfinite(v) else float(
              (q(mpmath.mpf(lo) + h * e, mpmath.mpf(hi) + h * (1 - e))
               - q(mpmath.mpf(lo) - h * e, mpmath.mpf(hi) - h * (1 - e))) / (2 * h))
              for v, e in ((lo, 1), (hi, 0))]
    np.testing.assert_allclose([d_lo, d_hi], fd, rtol=1e-9, atol=1e-20)
    assert 0.0 <= d_lo <= 1.0 and 0.0 <= d_hi <= 1.0  # a bound moves a draw, never past it


def test_truncated_normal_second_derivative_and_array_bounds():
    k = wr.key(6)
    lo, hi = 0.5, 2.5
    z = float(wr.truncated_normal(k, lo, hi))
    d2 = float(wire.grad(wire.grad(lambda a: wr.truncated_normal(k, a, hi)))(lo))
    with mpmath.workdps(40):
        u = _cdf(mpmath.mpf(z), mpmath.mpf(lo), mpmath.mpf(hi))
        want = mpmath.diff(lambda a: _quantile(u, a, mpmath.mpf(hi), mpmath.mpf(z)),
                           mpmath.mpf(lo), 2)
    np.testing.assert_allclose(d2, float(want), rtol=1e-7)
    # array bounds: each draw's derivative in its own bounds, the same as scalar bounds give
    los, his = np.array([0.5, -1.0, -3.0]), np.array([2.0, 2.0, -1.0])
    g = wire.grad(lambda a: (wr.truncated_normal(k, a, his) * np.array([1.0, 2.0, 3.0])).sum())(los)
    z = wr.truncated_normal(k, los, his)
    slopes = R.truncated_slopes(z, los, his)[0]
    np.testing.assert_allclose(g, slopes * np.array([1.0, 2.0, 3.0]), rtol=1e-13)
    assert (g > 0).all()


def test_truncated_normal_bound_derivatives_under_jit_vmap_and_in_float32():
    keys = wr.split(wr.key(2), 4)
    los = np.array([-1.0, 0.5, 3.0, -5.0])
    f = lambda k, a: wr.truncated_normal(k, a, 4.0, (3,)).sum()
    eager = np.array([float(wire.grad(f, argnums=1)(k, a)) for k, a in zip(keys, los)])
    assert (eager > 0).all()
    np.testing.assert_array_equal(wire.jit(wire.vmap(wire.grad(f, argnums=1)))(keys, los), eager)
    g32 = wire.grad(lambda a: wr.truncated_normal(keys[0], a, 4.0, (3,), np.float32).sum())(-1.0)
    np.testing.assert_allclose(float(g32), eager[0], rtol=1e-6)


@slow_only
def test_truncated_normal_bound_derivatives_match_jax_x64():
    """(-m slow: importing JAX and compiling its draw take about 10 s)"""
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    was = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        draw = lambda a, b, jk: jax.random.truncated_normal(jk, a, b, dtype=jnp.float64)
        # each of 8 keys' draw and its gradient in both bounds, compiled once
        f = jax.jit(jax.vmap(jax.value_and_grad(draw, argnums=(0, 1)), in_axes=(None, None, 0)))
        jkeys = jax.random.split(jax.random.key(0), 8)
        for lo, hi in [(0.5, 2.0), (-1.0, 2.0), (-3.0, -1.0), (1.0, np.inf), (-np.inf, 0.3)]:
            z, want = f(jnp.float64(lo), jnp.float64(hi), jkeys)
            got = R.truncated_slopes(np.asarray(z), np.full(8, lo), np.full(8, hi))
            np.testing.assert_allclose(np.stack(got), np.stack(want), rtol=1e-7, atol=1e-12)
    finally:
        jax.config.update("jax_enable_x64", was)


# --------------------------------------------------------------------------- distributions
# Every sampler against scipy.stats: the largest distance D between the empirical CDF of N
# draws (one fixed key) and the true CDF, which exceeds sqrt(log(2 / alpha) / (2 N)) with
# probability at most alpha whatever the distribution (Dvoretzky-Kiefer-Wolfowitz-Massart);
# alpha = 1e-6. The same D against a wrong parameter must exceed that bound: the check can fail.

N = 20000
BOUND = float(np.sqrt(np.log(2 / 1e-6) / (2 * N)))


def _keys(k, f):
    """N draws of a per-key scalar statistic ``f(key)``, one key each, by vmap."""
    return np.asarray(wire.vmap(f)(wr.split(k, N)))


def _dsm_cdf(x):
    x = np.asarray(x)
    return 0.5 + np.sign(x) * 0.5 * stats.maxwell.cdf(np.abs(x))


MV_COV = np.array([[2.0, 0.6], [0.6, 1.0]])
MV_DIR = np.array([0.8, -0.6])
PROBS = np.array([0.1, 0.2, 0.3, 0.4])

# name -> (draws of a key, the true law, a wrong law): a scipy frozen distribution or a CDF
DISTRIBUTIONS = {
    "uniform": (lambda k: wr.uniform(k, (N,), minval=1.0, maxval=3.0),
                stats.uniform(1, 2), stats.uniform(1, 2.2)),
    "normal": (lambda k: wr.normal(k, (N,)), stats.norm(), stats.norm(0, 1.15)),
    "bits": (lambda k: wr.bits(k, (N,)).astype(np.float64) * 2.0**-64,
             stats.uniform(), stats.uniform(0, 1.07)),
    "bits uint8": (lambda k: wr.bits(k, (N,), np.uint8), stats.randint(0, 256),
                   stats.randint(0, 240)),
    "randint": (lambda k: wr.randint(k, (N,), -2, 5), stats.randint(-2, 5),
                stats.randint(-2, 6)),
    "bernoulli": (lambda k: wr.bernoulli(k, 0.3, (N,)), stats.bernoulli(0.3),
                  stats.bernoulli(0.35)),
    "categorical": (lambda k: wr.categorical(k, np.log(PROBS), shape=(N,)),
                    stats.rv_discrete(values=(np.arange(4), PROBS)),
                    stats.rv_discrete(values=(np.arange(4), [0.15, 0.2, 0.3, 0.35]))),
    "categorical without replacement": (
        lambda k: _keys(k, lambda kk: wr.categorical(kk, np.log(PROBS), shape=(2,),
                                                     replace=False)[0]),
        stats.rv_discrete(values=(np.arange(4), PROBS)),
        stats.rv_discrete(values=(np.arange(4), [0.15, 0.2, 0.3, 0.35]))),
    "gumbel": (lambda k: wr.gumbel(k, (N,)), stats.gumbel_r(), stats.gumbel_r(0.12)),
    "truncated_normal": (lambda k: wr.truncated_normal(k, -1.0, 2.0, (N,)),
                         stats.truncnorm(-1, 2), stats.truncnorm(-1, 1.6)),
    "truncated_normal tail": (lambda k: wr.truncated_normal(k, 5.0, np.inf, (N,)),
                              stats.truncnorm(5, np.inf), stats.truncnorm(5.02, np.inf)),
    "truncated_normal arrays": (
        lambda k: wr.truncated_normal(k, np.full(N, -np.inf), np.full(N, -3.0)),
        stats.truncnorm(-np.inf, -3), stats.truncnorm(-np.inf, -3.05)),
    "permutation": (lambda k: _keys(k, lambda kk: wr.permutation(kk, 5)[2]),
                    stats.randint(0, 5), stats.randint(0, 6)),
    "permutation independent": (
        lambda k: wr.permutation(k, np.tile(np.arange(5), (N, 1)), 1, independent=True)[:, 0],
        stats.randint(0, 5), stats.randint(0, 6)),
    "choice": (lambda k: wr.choice(k, 7, (N,)), stats.randint(0, 7), stats.randint(0, 8)),
    "choice without replacement": (lambda k: _keys(k, lambda kk: wr.choice(
        kk, 7, (3,), replace=False)[1]), stats.randint(0, 7), stats.randint(0, 8)),
    "choice p": (lambda k: wr.choice(k, 4, (N,), p=PROBS),
                 stats.rv_discrete(values=(np.arange(4), PROBS)),
                 stats.rv_discrete(values=(np.arange(4), [0.15, 0.2, 0.3, 0.35]))),
    "choice p without replacement": (lambda k: _keys(k, lambda kk: wr.choice(
        kk, 4, (2,), replace=False, p=PROBS)[0]),
        stats.rv_discrete(values=(np.arange(4), PROBS)),
        stats.rv_discrete(values=(np.arange(4), [0.15, 0.2, 0.3, 0.35]))),
    "exponential": (lambda k: wr.exponential(k, (N,)), stats.expon(), stats.expon(0, 1.1)),
    "laplace": (lambda k: wr.laplace(k, (N,)), stats.laplace(), stats.laplace(0, 1.15)),
    "logistic": (lambda k: wr.logistic(k, (N,)), stats.logistic(), stats.logistic(0, 1.15)),
    "cauchy": (lambda k: wr.cauchy(k, (N,)), stats.cauchy(), stats.cauchy(0, 1.2)),
    "rademacher": (lambda k: wr.rademacher(k, (N,)),
                   stats.rv_discrete(values=([-1, 1], [0.5, 0.5])),
                   stats.rv_discrete(values=([-1, 1], [0.45, 0.55]))),
    "lognormal": (lambda k: wr.lognormal(k, 0.5, (N,)), stats.lognorm(0.5),
                  stats.lognorm(0.58)),
    "rayleigh": (lambda k: wr.rayleigh(k, 2.0, (N,)), stats.rayleigh(scale=2.0),
                 stats.rayleigh(scale=2.2)),
    "pareto": (lambda k: wr.pareto(k, 3.0, (N,)), stats.pareto(3.0), stats.pareto(3.5)),
    "weibull_min": (lambda k: wr.weibull_min(k, 1.5, 2.0, (N,)),
                    stats.weibull_min(2.0, scale=1.5), stats.weibull_min(2.3, scale=1.5)),
    "maxwell": (lambda k: wr.maxwell(k, (N,)), stats.maxwell(), stats.maxwell(scale=1.08)),
    "double_sided_maxwell": (lambda k: wr.double_sided_maxwell(k, 0.0, 1.0, (N,)), _dsm_cdf,
                             lambda x: _dsm_cdf(np.asarray(x) / 1.1)),
    "gamma": (lambda k: wr.gamma(k, 3.0, (N,)), stats.gamma(3.0), stats.gamma(3.25)),
    "gamma small": (lambda k: wr.gamma(k, 0.05, (N,)), stats.gamma(0.05), stats.gamma(0.06)),
    "loggamma": (lambda k: wr.loggamma(k, 0.5, (N,)), lambda y: stats.gamma.cdf(np.exp(y), 0.5),
                 lambda y: stats.gamma.cdf(np.exp(y), 0.55)),
    "beta": (lambda k: wr.beta(k, 2.0, 0.3, (N,)), stats.beta(2.0, 0.3),
             stats.beta(2.0, 0.34)),
    "dirichlet": (lambda k: wr.dirichlet(k, np.array([0.5, 1.0, 2.0]), (N,))[:, 0],
                  stats.beta(0.5, 3.0), stats.beta(0.56, 3.0)),
    "chisquare": (lambda k: wr.chisquare(k, 3.0, (N,)), stats.chi2(3.0), stats.chi2(3.3)),
    "f": (lambda k: wr.f(k, 5.0, 10.0, (N,)), stats.f(5.0, 10.0), stats.f(6.5, 10.0)),
    "t": (lambda k: wr.t(k, 4.0, (N,)), stats.t(4.0), stats.t(2.5)),
    "poisson": (lambda k: wr.poisson(k, 3.0, (N,)), stats.poisson(3.0), stats.poisson(3.2)),
    "poisson large": (lambda k: wr.poisson(k, 300.0, (N,)), stats.poisson(300.0),
                      stats.poisson(303.0)),
    "binomial": (lambda k: wr.binomial(k, 20, 0.3, (N,)), stats.binom(20, 0.3),
                 stats.binom(20, 0.32)),
    "binomial large": (lambda k: wr.binomial(k, 1000, 0.4, (N,)), stats.binom(1000, 0.4),
                       stats.binom(1000, 0.405)),
    "multivariate_normal": (
        lambda k: wr.multivariate_normal(k, np.zeros(2), MV_COV, (N,)) @ MV_DIR,
        stats.norm(0, np.sqrt(MV_DIR @ MV_COV @ MV_DIR)),
        stats.norm(0, 1.12 * np.sqrt(MV_DIR @ MV_COV @ MV_DIR))),
    "geometric": (lambda k: wr.geometric(k, 0.3, (N,)), stats.geom(0.3), stats.geom(0.33)),
    "triangular": (lambda k: wr.triangular(k, 0.0, 1.0, 3.0, (N,)),
                   stats.triang(1 / 3, 0.0, 3.0), stats.triang(0.4, 0.0, 3.0)),
    "wald": (lambda k: wr.wald(k, 2.0, (N,)), stats.invgauss(2.0), stats.invgauss(2.4)),
    "generalized_normal": (lambda k: wr.generalized_normal(k, 1.5, (N,)),
                           stats.gennorm(1.5), stats.gennorm(1.8)),
    "ball": (lambda k: np.linalg.norm(wr.ball(k, 3, shape=(N,)), axis=-1),
             stats.beta(3, 1), stats.beta(3.4, 1)),  # P(|x| <= r) = r**3
    "orthogonal": (lambda k: _keys(k, lambda kk: wr.orthogonal(kk, 3)[0, 0]),
                   stats.uniform(-1, 2), stats.uniform(-1, 2.15)),  # Archimedes: uniform
    "multinomial": (lambda k: wr.multinomial(k, 30, np.array([0.2, 0.3, 0.5]),
                                             shape=(N, 3))[:, 0],
                    stats.binom(30, 0.2), stats.binom(30, 0.22)),
}


def test_every_sampler_has_a_distribution_check():
    covered = {name.split(" ")[0] for name in DISTRIBUTIONS}
    assert set(wr.__all__) - NOT_SAMPLERS <= covered


def _distance(x, law) -> float:
    """The largest distance between the empirical CDF of ``x`` and ``law``'s CDF (for
    integer draws, over every integer of their range: where the empirical CDF jumps)."""
    cdf = law if callable(law) and not hasattr(law, "cdf") else law.cdf
    x = np.sort(np.asarray(x, np.float64))
    if np.all(x == np.round(x)) and x[-1] - x[0] < 10**6:
        grid = np.arange(x[0] - 1, x[-1] + 1)
        ecdf = np.searchsorted(x, grid, side="right") / x.size
        return float(np.max(np.abs(ecdf - cdf(grid))))
    f = cdf(x)
    i = np.arange(1, x.size + 1) / x.size
    return float(max(np.max(i - f), np.max(f - (i - 1.0 / x.size))))


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_every_sampler_has_its_distribution(name):
    draw, law, wrong = DISTRIBUTIONS[name]
    x = np.asarray(draw(wr.key(2025)))
    assert x.size == N
    assert _distance(x, law) < BOUND
    assert _distance(x, wrong) > BOUND  # the check can fail: a wrong parameter is seen
