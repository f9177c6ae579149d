"""Traced parameters of the wire.random samplers: the draws their values give eagerly (bit
for bit), NaN from float samplers where they are invalid, and an error as the code runs
from samplers whose outputs have no NaN; never a plausible draw."""

import numpy as np
import pytest

import wire
from wire import random as wr

K = wr.key(3)


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True), (a, b)


@pytest.mark.parametrize("lo, hi", [(-1.0, 2.0), (8.0, 9.0), (-np.inf, -40.0), (3.0, np.inf),
                                    (-np.inf, np.inf), (0.0, 1e-300)])
def test_truncated_normal_traced_bounds_draw_as_eager(lo, hi):
    f = wire.jit(lambda k, a, b: wr.truncated_normal(k, a, b, (5,)))
    same(f(K, lo, hi), wr.truncated_normal(K, lo, hi, (5,)))
    g = wire.jit(lambda k, a, b: wr.truncated_normal(k, a, b, (2, 3), np.float32))
    if np.nextafter(np.float32(lo), np.float32(np.inf)) < np.float32(hi):
        same(g(K, lo, hi), wr.truncated_normal(K, lo, hi, (2, 3), np.float32))


def test_truncated_normal_vmap_over_keys_and_bounds():
    keys = wr.split(K, 4)
    lo, hi = np.array([-1.0, 8.0, -np.inf, 0.5]), np.array([2.0, 9.0, -40.0, 0.5])
    v = wire.vmap(lambda k, a, b: wr.truncated_normal(k, a, b, (3,)))(keys, lo, hi)
    for i in range(3):
        same(v[i], wr.truncated_normal(keys[i], lo[i], hi[i], (3,)))
    assert np.isnan(v[3]).all()  # lower == upper: no distribution
    # one key, a batch of bounds: each row is that key's eager draw
    w = wire.vmap(lambda a: wr.truncated_normal(K, a, 1.0, (2,)))(np.array([-1.0, 0.0]))
    same(w[1], wr.truncated_normal(K, 0.0, 1.0, (2,)))
    assert wire.vmap(lambda a: wr.truncated_normal(K, a, 1.0, (2,)))(np.zeros(0)).shape == (0, 2)


@pytest.mark.parametrize("lo, hi", [(2.0, 1.0), (1.0, 1.0), (np.nan, 1.0), (0.0, np.nan),
                                    (np.inf, np.inf), (-np.inf, -np.inf)])
def test_truncated_normal_invalid_traced_bounds_give_nan(lo, hi):
    out = wire.jit(lambda a, b: wr.truncated_normal(K, a, b, (3,)))(lo, hi)
    assert out.shape == (3,) and np.isnan(out).all()
    with pytest.raises(wire.WireError):
        wr.truncated_normal(K, lo, hi, (3,))
    # no float16 strictly between the bounds
    f16 = wire.jit(lambda a: wr.truncated_normal(K, a, 1.0004, (2,), np.float16))(1.0)
    assert f16.dtype == np.float16 and np.isnan(f16).all()


def test_truncated_normal_traced_array_bounds_draw_as_eager_and_must_be_real():
    np.testing.assert_array_equal(
        wire.jit(lambda a: wr.truncated_normal(K, a, 1.0, (2,)))(np.zeros(2)),
        wr.truncated_normal(K, np.zeros(2), 1.0, (2,)))
    with pytest.raises(wire.WireTypeError):
        wire.jit(lambda a: wr.truncated_normal(K, a, 1.0, (2,)))(np.complex128(0))


@pytest.mark.parametrize("lo, hi, dt", [(2, 9, np.int64), (-5, 2**40, np.int64),
                                        (0, 256, np.uint8), (-128, 127, np.int8),
                                        (-(2**63), 2**63 - 1, np.int64)])
def test_randint_traced_bounds_draw_as_eager(lo, hi, dt):
    f = wire.jit(lambda k, a, b: wr.randint(k, (6,), a, b, dt))
    same(f(K, np.int64(lo), np.int64(hi)), wr.randint(K, (6,), lo, hi, dt))
    g = wire.jit(lambda a: wr.randint(K, (2,), a, hi, dt))  # one bound traced
    same(g(np.int64(lo)), wr.randint(K, (2,), lo, hi, dt))


def test_randint_traced_bound_beside_a_uint64_one():
    f = wire.jit(lambda a: wr.randint(K, (3,), a, 2**64 - 1, np.uint64))
    same(f(np.int64(5)), wr.randint(K, (3,), 5, 2**64 - 1, np.uint64))
    with pytest.raises(wire.WireError, match="64 bits"):  # 2**64 itself: concrete bounds only
        wire.jit(lambda a: wr.randint(K, (3,), a, 2**64, np.uint64))(np.int64(5))


def test_randint_vmap_over_bounds():
    out = wire.vmap(lambda a: wr.randint(K, (3,), a, 10))(np.arange(3))
    for i in range(3):
        same(out[i], wr.randint(K, (3,), i, 10))


@pytest.mark.parametrize("lo, hi, dt", [(5, 5, np.int64), (6, 5, np.int64),
                                        (-129, 100, np.int8), (0, 257, np.uint8)])
def test_randint_invalid_traced_bounds_raise_when_run(lo, hi, dt):
    f = wire.jit(lambda a, b: wr.randint(K, (4,), a, b, dt))
    with pytest.raises(wr.InvalidParameterError, match="randint"):
        f(np.int64(lo), np.int64(hi))
    with pytest.raises(wire.WireError):
        wr.randint(K, (4,), lo, hi, dt)
    with pytest.raises(wire.WireTypeError, match="integer"):
        wire.jit(lambda a: wr.randint(K, (4,), a, 10))(1.5)


def test_uniform_invalid_traced_bounds_give_nan():
    # before: crossed bounds gave numbers between them, as if the interval were [hi, lo)
    f = wire.jit(lambda a, b: wr.uniform(K, (3,), minval=a, maxval=b))
    same(f(0.0, 1.0), wr.uniform(K, (3,), minval=0.0, maxval=1.0))  # a scalar maxval failed
    with np.errstate(invalid="ignore"):
        for lo, hi in [(2.0, 1.0), (np.nan, 1.0), (0.0, np.inf), (-np.inf, 0.0)]:
            assert np.isnan(f(lo, hi)).all(), (lo, hi)
    same(f(1.0, 1.0), np.ones(3))
    b = wire.vmap(lambda a: wr.uniform(K, (2,), minval=a, maxval=1.0))(np.array([0.0, 2.0]))
    same(b[0], wr.uniform(K, (2,), minval=0.0, maxval=1.0))
    assert np.isnan(b[1]).all()


@pytest.mark.parametrize("p", [1.5, -0.1, np.nan])
def test_bernoulli_invalid_traced_p_raises_when_run(p):
    f = wire.jit(lambda p: wr.bernoulli(K, p, (4,)))
    same(f(0.3), wr.bernoulli(K, 0.3, (4,)))
    with pytest.raises(wr.InvalidParameterError, match="0 <= p <= 1"):
        f(p)  # was all True, all False, all False
    with pytest.raises(wr.InvalidParameterError):
        wire.vmap(lambda p: wr.bernoulli(K, p, (2,)))(np.array([0.5, p]))


@pytest.mark.parametrize("logits", [[-np.inf, -np.inf], [0.0, np.nan], [np.inf, 0.0, np.inf]])
def test_categorical_invalid_traced_logits_raise_when_run(logits):
    f = wire.jit(lambda l: wr.categorical(K, l))
    same(f(np.array([0.0, 1.0, -1.0])), wr.categorical(K, np.array([0.0, 1.0, -1.0])))
    with pytest.raises(wr.InvalidParameterError, match="categorical"):
        f(np.array(logits))  # was index 0, 1 and 0
    # a batch with one bad row (the category axis stays last under vmap)
    good = np.zeros(len(logits))
    with pytest.raises(wr.InvalidParameterError):
        wire.vmap(f)(np.stack([good, np.array(logits)]))
    assert wire.vmap(f)(np.stack([good, good])).shape == (2,)


def test_traced_parameters_pass_no_gradient_and_keep_others():
    # (the samplers other than truncated_normal have no gradient in their parameters)
    g = wire.grad(lambda p: wr.bernoulli(K, p, (3,)).sum() * p)(0.3)
    assert g == float(wr.bernoulli(K, 0.3, (3,)).sum())
    # truncated_normal's bounds carry the implicit reparameterisation gradient:
    # dz/da = phi(a) (1 - F(z)) / phi(z), F the truncated cdf at the draw z
    from scipy.stats import norm
    z = np.asarray(wr.truncated_normal(K, 0.0, 2.0, (3,)))
    cdf = (norm.cdf(z) - norm.cdf(0.0)) / (norm.cdf(2.0) - norm.cdf(0.0))
    want = 2.0 + np.sum(norm.pdf(0.0) * (1 - cdf) / norm.pdf(z))
    g = wire.grad(lambda a: wr.truncated_normal(K, a, 2.0, (3,)).sum() + 2.0 * a)(0.0)
    np.testing.assert_allclose(g, want, rtol=1e-12)
