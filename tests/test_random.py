"""wire.random: reproducibility, independence of split keys, distributions, errors."""

import numpy as np
import pytest

import wire
from wire import random as wr


def test_key_reproducible_and_platform_fixed():
    k = wr.key(1234)
    assert k.dtype == np.uint32 and k.shape == (4,)
    np.testing.assert_array_equal(wr.normal(k, (5,)), wr.normal(wr.key(1234), (5,)))
    np.testing.assert_array_equal(wr.split(k), wr.split(wr.key(1234)))
    # raw bits are pinned: Philox's stream is fixed by the algorithm, not the platform
    assert wr.bits(wr.key(0), (2,)).tolist() == wr.bits(wr.key(0), (2,)).tolist()
    u = wr.uniform(wr.key(7), (1000,))
    assert ((u * 2**53) % 1 == 0).all()  # exact binary fractions


def test_golden_values():
    # pinned stream: any change to the key derivation or the float conversion shows up here
    assert wr.split(wr.key(0))[0].tolist() == [1469663869, 3103266502, 2476110724, 579547176]
    assert wr.bits(wr.key(0), (2,)).tolist() == [213000021201967259, 4455796210202625458]
    assert wr.uniform(wr.key(42), (2,)).tolist() == [0.8201981478608876, 0.18924562408645496]


def test_split_keys_are_independent():
    keys = wr.split(wr.key(0), 8)
    assert len({k.tobytes() for k in keys}) == 8
    samples = np.stack([wr.normal(k, (4000,)) for k in keys])
    corr = np.corrcoef(samples)
    off = corr[~np.eye(8, dtype=bool)]
    assert np.abs(off).max() < 0.08
    # splitting, sampling and folding in use different streams of the same key
    k = wr.key(3)
    assert not np.array_equal(wr.split(k, 1)[0], wr.fold_in(k, 0))
    z = wr.normal(k, (4000,))
    assert abs(np.corrcoef(z, wr.normal(wr.split(k, 1)[0], (4000,)))[0, 1]) < 0.08


def test_fold_in_distinct():
    k = wr.key(0)
    folded = {wr.fold_in(k, i).tobytes() for i in range(100)}
    assert len(folded) == 100


def test_distributions_moments():
    k = wr.key(11)
    z = wr.normal(k, (20000,))
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    u = wr.uniform(k, (20000,), minval=2.0, maxval=4.0)
    assert u.min() >= 2 and u.max() < 4 and abs(u.mean() - 3) < 0.02
    b = wr.bernoulli(k, 0.3, (20000,))
    assert b.dtype == bool and abs(b.mean() - 0.3) < 0.02
    t = wr.truncated_normal(k, -1.0, 0.5, (5000,))
    assert t.min() > -1 and t.max() < 0.5
    assert wr.normal(k, (3,), dtype=np.float32).dtype == np.float32


def test_categorical_and_permutation():
    k = wr.key(5)
    logits = np.log(np.array([0.2, 0.5, 0.3]))
    draws = wr.categorical(k, logits, shape=(20000,))
    freq = np.bincount(draws, minlength=3) / 20000
    np.testing.assert_allclose(freq, [0.2, 0.5, 0.3], atol=0.02)
    batch = wr.categorical(k, np.zeros((4, 6)))
    assert batch.shape == (4,)
    p = wr.permutation(k, 10)
    assert sorted(p.tolist()) == list(range(10))
    x = np.arange(12).reshape(6, 2)
    px = wr.permutation(k, x)
    assert sorted(px[:, 0].tolist()) == [0, 2, 4, 6, 8, 10]
    np.testing.assert_array_equal(px, wr.permutation(k, x))


def test_traced_key_samples_like_a_concrete_one():
    def f(k, x):
        return x * wr.normal(k, (2,))

    g = wire.grad(lambda x, k: (f(k, x)).sum())
    np.testing.assert_array_equal(g(np.ones(2), wr.key(0)), wr.normal(wr.key(0), (2,)))
    # under jit the key is an input of the graph: sampling from it is part of the graph
    np.testing.assert_array_equal(wire.jit(g)(np.ones(2), wr.key(0)), wr.normal(wr.key(0), (2,)))
    with pytest.raises(wire.WireTypeError, match="key"):
        wire.jit(lambda k: wr.normal(k, (2,)))(np.zeros(4))


def test_bad_keys():
    with pytest.raises(wire.WireTypeError):
        wr.normal(np.zeros(4), (2,))
    with pytest.raises(wire.WireTypeError):
        wr.key(1.5)


# ---------------------------------------------------------------- fold_in: integer arithmetic


def test_fold_in_golden_value_unchanged():
    # values below 2**53 kept their keys when the counter stopped going through float64
    assert wr.fold_in(wr.key(0), 1).tolist() == [1270058133, 46915488, 3650289174, 3205912773]


def test_fold_in_takes_data_modulo_2_64():
    k = wr.key(7)
    same = [(-1, 2**64 - 1), (-(2**63), 2**63), (2**64 + 5, 5), (-(2**64), 0)]
    for a, b in same:
        np.testing.assert_array_equal(wr.fold_in(k, a), wr.fold_in(k, b))
    edges = [0, 1, -1, -2, 2**53, 2**53 + 1, 2**62, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 3]
    keys = {wr.fold_in(k, d).tobytes() for d in edges}
    assert len(keys) == len(edges)  # the bug: every d < 0 or >= 2**63 gave one key


def test_fold_in_arrays_match_scalars():
    k = wr.key(2**127 + 12345)
    for data in (np.array([0, -1, 2**62, -(2**63), 12345678901234567]),
                 np.array([2**64 - 1, 2**63, 7], dtype=np.uint64),
                 np.array([-1, 3], dtype=np.int8)):
        many = wr.fold_in(k, data)
        assert many.shape == data.shape + (4,) and many.dtype == np.uint32
        one_by_one = np.stack([wr.fold_in(k, int(d)) for d in data])
        np.testing.assert_array_equal(many, one_by_one)
    # a Python list mixing signs and huge values is never routed through float64
    np.testing.assert_array_equal(wr.fold_in(k, [-1, 2**63]),
                                  np.stack([wr.fold_in(k, -1), wr.fold_in(k, 2**63)]))
    assert wr.fold_in(k, np.zeros((2, 0), int)).shape == (2, 0, 4)


def test_fold_in_keys_are_distinct_over_many_values():
    data = np.concatenate([np.arange(-50_000, 50_000),
                           np.arange(2**63 - 1000, 2**63 + 1000, dtype=np.uint64).view(np.int64)])
    keys = wr.fold_in(wr.key(0), data)
    assert len(np.unique(keys, axis=0)) == len(np.unique(data))


def test_fold_in_refuses_non_integers():
    for bad in (1.5, np.array([1.0]), True, "3"):
        with pytest.raises(wire.WireTypeError, match="integer"):
            wr.fold_in(wr.key(0), bad)
    with pytest.raises(wire.WireTypeError, match="integer"):
        wire.jit(lambda k, i: wr.fold_in(k, i))(wr.key(0), 3.0)


# ---------------------------------------------------------------- exact ranges


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_uniform_never_reaches_maxval(dtype):
    k = wr.key(3)
    u = wr.uniform(k, (2**17,), dtype)
    assert u.dtype == dtype and u.min() >= 0 and u.max() < 1
    v = wr.uniform(k, (2**17,), dtype, 1.0, 2.0)  # float32 rounding took 2 - 2**-24 to 2.0
    assert v.min() >= 1 and v.max() < 2
    bits = np.finfo(dtype).nmant + 1
    assert ((u * 2.0**bits) % 1 == 0).all()  # exact multiples of 2**-bits
    w = wr.uniform(k, (5,), dtype, 2.0, 2.0)
    np.testing.assert_array_equal(w, 2.0)
    with pytest.raises(wire.WireError, match="minval <= maxval"):
        wr.uniform(k, (5,), dtype, 2.0, 1.0)


def test_uniform_float16_has_no_ones_and_all_values():
    u = wr.uniform(wr.key(0), (2**18,), np.float16)
    assert (u == 1).sum() == 0  # was about 2.4e-4 of the draws
    assert len(np.unique(u)) == 2**11


def test_uniform_longdouble_uses_its_precision():
    dt = np.dtype(np.longdouble)
    u = wr.uniform(wr.key(1), (4096,), dt)
    assert u.dtype == dt and ((u >= 0) & (u < 1)).all()
    if np.finfo(dt).nmant > 52:  # a wider longdouble gets more than float32's 24 bits
        assert (u * np.longdouble(2.0) ** 53 % 1 != 0).any()


def test_uniform_huge_span_stays_finite():
    u = wr.uniform(wr.key(0), (1000,), np.float64, -1.7e308, 1.7e308)
    assert np.isfinite(u).all() and (u < 1.7e308).all() and (u >= -1.7e308).all()


def test_randint_has_no_modulo_bias_for_large_spans():
    x = wr.randint(wr.key(0), (200_000,), 0, 3 * 2**61)
    frac = (x < 2**62).mean()
    assert abs(frac - 2 / 3) < 4 * np.sqrt(2 / 9 / 200_000)  # was 0.75
    assert x.min() >= 0 and x.max() < 3 * 2**61


def test_randint_full_int64_range_and_dtypes():
    x = wr.randint(wr.key(1), (100_000,), -(2**63), 2**63 - 1)
    assert x.dtype == np.int64 and abs((x < 0).mean() - 0.5) < 0.01
    u = wr.randint(wr.key(1), (100,), 0, 2**64, dtype=np.uint64)
    assert u.dtype == np.uint64 and u.max() >= 2**63
    s = wr.randint(wr.key(1), (1000,), -5, 5, dtype=np.int8)
    assert s.dtype == np.int8 and set(s.tolist()) == set(range(-5, 5))
    # small spans keep their stream: the rejection step changes nothing below 2**-40
    assert wr.randint(wr.key(0), (4,), 0, 10).tolist() == (
        wr.bits(wr.key(0), (4,)) % np.uint64(10)).astype(np.int64).tolist()


def test_randint_bounds_that_do_not_fit_raise():
    with pytest.raises(wire.WireError, match="does not fit in int64"):
        wr.randint(wr.key(0), (2,), 0, 2**64)
    with pytest.raises(wire.WireError, match="does not fit in int8"):
        wr.randint(wr.key(0), (2,), 0, 200, dtype=np.int8)
    with pytest.raises(wire.WireError, match="minval < maxval"):
        wr.randint(wr.key(0), (2,), 3, 3)
    with pytest.raises(wire.WireTypeError, match="integer dtype"):
        wr.randint(wr.key(0), (2,), 0, 3, dtype=np.float64)


@pytest.mark.parametrize("lower,upper", [(8.0, 9.0), (-9.0, -8.0), (40.0, np.inf),
                                         (-np.inf, -40.0), (3.0, 3.0001), (-1e-3, 2e-3)])
def test_truncated_normal_any_interval_returns(lower, upper):
    one = wr.truncated_normal(wr.key(0), lower, upper, ())
    assert one.shape == () and lower < float(one) < upper  # (8, 9) with shape () hung
    z = wr.truncated_normal(wr.key(1), lower, upper, (1000,), np.float32)
    assert z.dtype == np.float32 and ((z > lower) & (z < upper)).all()


def test_truncated_normal_float16_stays_strictly_inside():
    z = wr.truncated_normal(wr.key(0), -1.0, 1.0, (20_000,), np.float16)
    assert z.dtype == np.float16 and (np.abs(z) < 1).all()
