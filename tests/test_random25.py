"""wire.random: vmap over keys samples every key of the batch at once (one pass over the
batch, not a loop over keys) with the bits each key gives alone; truncated_normal's implicit
reparameterisation gradient in its bounds; a cheap distribution check of every sampler that
fails on a wrong parameter."""

import numpy as np
import pytest
from scipy import stats

import wire
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


def test_truncated_normal_bound_derivatives_match_jax_x64():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    was = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        for lo, hi in [(0.5, 2.0), (-1.0, 2.0), (-3.0, -1.0), (1.0, np.inf), (-np.inf, 0.3)]:
            for jk in jax.random.split(jax.random.key(0), 4):
                f = lambda a, b: jax.random.truncated_normal(jk, a, b, dtype=jnp.float64)
                z = float(f(lo, hi))
                want = [float(v) for v in jax.grad(f, argnums=(0, 1))(lo, hi)]
                got = [float(v) for v in R.truncated_slopes(np.float64(z), np.float64(lo),
                                                            np.float64(hi))]
                np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-12)
    finally:
        jax.config.update("jax_enable_x64", was)
