"""wire.random (and the initializers and Dropout built on it) against scipy.stats.

Each distribution is drawn ~1e5 times from a fixed key and put through a goodness-of-fit
test: Kolmogorov-Smirnov for continuous ones, chi-square for discrete ones, a binomial test
for Bernoulli. The keys are fixed, so every run sees the same numbers and the same p-values;
a p-value below 1e-4 fails (on 1e5 draws a wrong distribution, a biased range or a lost
tail gives p-values that are astronomically small).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wire import nn
from wire import random as wr

stats = pytest.importorskip("scipy.stats")

N = 100_000


def ks(stat_check, component, what, sample, cdf):
    res = stats.kstest(np.asarray(sample, np.float64), cdf)
    stat_check(component, what, res.pvalue, res.statistic)


def chi2(stat_check, component, what, counts, probs):
    counts = np.asarray(counts, np.float64)
    expected = counts.sum() * np.asarray(probs, np.float64)
    stat_check(component, what, stats.chisquare(counts, expected).pvalue)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_normal(dtype, stat_check):
    z = wr.normal(wr.key(1), (N,), dtype)
    assert z.dtype == dtype
    ks(stat_check, "random.normal", f"N(0, 1) [{np.dtype(dtype)}]", z, stats.norm.cdf)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16],
                         ids=["f64", "f32", "f16"])
@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (-3.0, 5.0), (1.0, 2.0)])
def test_uniform(lo, hi, dtype, stat_check):
    u = wr.uniform(wr.key(2), (N,), dtype, lo, hi)
    assert u.dtype == dtype and u.min() >= lo and u.max() < hi
    ks(stat_check, "random.uniform", f"U[{lo}, {hi}) [{np.dtype(dtype)}]", u,
       stats.uniform(lo, hi - lo).cdf)


def truncnorm_cdf(a, b, scale=1.0):
    """scipy.stats.truncnorm(a, b, scale=scale).cdf from scipy.stats.norm, written in the
    tail where the mass lies (sf above 0), so it stays accurate for (8, 9): the same values
    as truncnorm's, about 20 times faster on 1e5 points."""
    n = stats.norm
    if a >= 0:
        return lambda z: (n.sf(a) - n.sf(np.clip(z / scale, a, b))) / (n.sf(a) - n.sf(b))
    return lambda z: (n.cdf(np.clip(z / scale, a, b)) - n.cdf(a)) / (n.cdf(b) - n.cdf(a))


TRUNCATIONS = [(-2.0, 2.0), (-1.0, 0.5), (0.5, np.inf), (-np.inf, -5.0), (8.0, 9.0),
               (-0.01, 0.02), (3.0, 3.5), (-np.inf, np.inf), (20.0, np.inf)]


def test_truncnorm_cdf_is_scipys():
    for a, b in TRUNCATIONS:
        ref = stats.truncnorm(a, b, scale=1.5)
        z = ref.ppf(np.linspace(0.001, 0.999, 41))
        np.testing.assert_allclose(truncnorm_cdf(a, b, 1.5)(z), ref.cdf(z), rtol=1e-9,
                                   atol=1e-13)


@pytest.mark.parametrize("lo,hi", TRUNCATIONS)
def test_truncated_normal(lo, hi, stat_check):
    z = wr.truncated_normal(wr.key(3), lo, hi, (N,))
    assert ((z > lo) & (z < hi)).all()
    ks(stat_check, "random.truncated_normal", f"({lo}, {hi})", z, truncnorm_cdf(lo, hi))


def test_gumbel(stat_check):
    ks(stat_check, "random.gumbel", "standard", wr.gumbel(wr.key(4), (N,)), stats.gumbel_r.cdf)


@pytest.mark.parametrize("p", [0.3, 0.001])
def test_bernoulli(p, stat_check):
    b = wr.bernoulli(wr.key(5), p, (N,))
    res = stats.binomtest(int(b.sum()), N, p)
    stat_check("random.bernoulli", f"p={p}", res.pvalue)


def test_categorical(stat_check):
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    draws = wr.categorical(wr.key(6), np.log(probs), shape=(N,))
    chi2(stat_check, "random.categorical", "4 classes", np.bincount(draws, minlength=4), probs)
    rows = wr.categorical(wr.key(7), np.log(np.tile(probs[::-1], (N // 10, 1))))
    chi2(stat_check, "random.categorical", "batched logits", np.bincount(rows, minlength=4),
         probs[::-1])


@pytest.mark.parametrize("lo,hi,bins", [
    (-3, 4, 7),                     # every value its own bin
    (0, 3 * 2**61, 3),              # bins of 2**61: modulo bias made P(x < 2**62) = 0.75
    (-(2**63), 2**63 - 1, 8),       # the whole int64 range (the top value left out)
    (0, 2**63 + 2**62, 3),          # beyond int64's positive half, as uint64
])
def test_randint(lo, hi, bins, stat_check):
    dtype = np.uint64 if hi > 2**63 else np.int64
    x = wr.randint(wr.key(8), (N,), lo, hi, dtype=dtype)
    assert x.dtype == dtype and int(x.min()) >= lo and int(x.max()) < hi
    width = (hi - lo) // bins
    idx = np.array([(int(v) - lo) // width for v in x])
    idx = np.minimum(idx, bins - 1)
    probs = np.full(bins, width / (hi - lo))
    probs[-1] = 1.0 - probs[:-1].sum()
    chi2(stat_check, "random.randint", f"[{lo}, {hi}) in {bins} bins",
         np.bincount(idx, minlength=bins), probs)


def test_bits_and_keys_are_uniform_bytes(stat_check):
    words = wr.bits(wr.key(9), (N // 4,))
    chi2(stat_check, "random.bits", "bytes", np.bincount(words.view(np.uint8), minlength=256),
         np.full(256, 1 / 256))
    for name, keys in (("split", wr.split(wr.key(9), N // 4)),
                       ("fold_in", wr.fold_in(wr.key(9), np.arange(-N // 8, N // 8)))):
        chi2(stat_check, f"random.{name}", "key bytes",
             np.bincount(keys.view(np.uint8).ravel(), minlength=256), np.full(256, 1 / 256))


def test_permutation(stat_check):
    keys = wr.fold_in(wr.key(10), np.arange(3000))
    perms = list(itertools.permutations(range(3)))
    seen = [perms.index(tuple(wr.permutation(k, 3).tolist())) for k in keys]
    chi2(stat_check, "random.permutation", "all 6 orders of 3", np.bincount(seen, minlength=6),
         np.full(6, 1 / 6))
    first = [int(np.argmax(wr.permutation(k, 10) == 0)) for k in keys[:2000]]
    chi2(stat_check, "random.permutation", "position of an element among 10",
         np.bincount(first, minlength=10), np.full(10, 0.1))


# ---------------------------------------------------------------- built on wire.random

TRUNC_STD = stats.truncnorm(-2, 2).std()


@pytest.mark.parametrize("name,init,fan,dist", [
    ("glorot_uniform", nn.initializers.glorot_uniform(), "avg", "uniform"),
    ("he_uniform", nn.initializers.he_uniform(), "in2", "uniform"),
    ("lecun_uniform", nn.initializers.lecun_uniform(), "in", "uniform"),
    ("glorot_normal", nn.initializers.glorot_normal(), "avg", "truncated"),
    ("he_normal", nn.initializers.he_normal(), "in2", "truncated"),
    ("lecun_normal", nn.initializers.lecun_normal(), "in", "truncated"),
    ("variance_scaling(normal)", nn.initializers.variance_scaling(1.5, "fan_out", "normal"),
     "out1.5", "normal"),
])
def test_variance_scaling_initializers(name, init, fan, dist, stat_check):
    shape = (3, 3, 40, 30)  # a conv kernel: receptive field 9
    w = init(wr.key(11), shape)
    fan_in, fan_out = 9 * 40, 9 * 30
    var = {"avg": 2 / (fan_in + fan_out), "in2": 2 / fan_in, "in": 1 / fan_in,
           "out1.5": 1.5 / fan_out}[fan]
    if dist == "uniform":  # torch's xavier_uniform_/kaiming_uniform_ use the same bound
        lim = np.sqrt(3 * var)
        assert np.abs(w).max() < lim
        ref = stats.uniform(-lim, 2 * lim)
    elif dist == "truncated":  # JAX's and Keras's truncated normal, rescaled to var
        ref = stats.truncnorm(-2, 2, scale=np.sqrt(var) / TRUNC_STD)
    else:
        ref = stats.norm(scale=np.sqrt(var))
    cdf = truncnorm_cdf(-2, 2, ref.kwds["scale"]) if dist == "truncated" else ref.cdf
    ks(stat_check, f"nn.initializers.{name.split('(')[0]}", name, w.ravel(), cdf)
    np.testing.assert_allclose(ref.var(), var, rtol=1e-12)


def test_normal_and_uniform_initializers(stat_check):
    w = nn.initializers.normal(0.05)(wr.key(12), (300, 300))
    ks(stat_check, "nn.initializers.normal", "stddev 0.05", w.ravel(), stats.norm(0, 0.05).cdf)
    u = nn.initializers.uniform(0.2)(wr.key(12), (300, 300))
    ks(stat_check, "nn.initializers.uniform", "scale 0.2 (JAX: [0, scale))", u.ravel(),
       stats.uniform(0.0, 0.2).cdf)


def test_orthogonal_is_haar(stat_check):
    """Under the Haar measure on O(2), the angle of the first column is uniform on
    (-pi, pi]."""
    init = nn.initializers.orthogonal()
    keys = wr.fold_in(wr.key(13), np.arange(2000))
    q = np.stack([init(k, (2, 2)) for k in keys])
    np.testing.assert_allclose(q.transpose(0, 2, 1) @ q, np.broadcast_to(np.eye(2), q.shape),
                               atol=1e-12)
    angle = np.arctan2(q[:, 1, 0], q[:, 0, 0])
    ks(stat_check, "nn.initializers.orthogonal", "first-column angle", angle,
       stats.uniform(-np.pi, 2 * np.pi).cdf)
    det = np.linalg.det(q)
    stat_check("nn.initializers.orthogonal", "det +1 or -1 equally",
               stats.binomtest(int((det > 0).sum()), len(det), 0.5).pvalue)


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_dropout_keep_fraction(rate, stat_check):
    y = nn.Dropout(rate).apply(None, np.ones(N), key=wr.key(14), train=True)
    assert set(np.unique(y)) == {0.0, 1 / (1 - rate)}
    stat_check("nn.Dropout", f"dropped fraction, rate {rate}",
               stats.binomtest(int((y == 0).sum()), N, rate).pvalue)
