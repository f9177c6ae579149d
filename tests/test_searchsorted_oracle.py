"""searchsorted and digitize give NumPy's indices bit for bit, eagerly, under jit and under
vmap: special values (NaN sorts last, +-0.0 tie, +-inf), empty and size-1 arrays, mixed dtypes,
and NumPy's answer even where ``a`` is not sorted (digitize's NaN bins lead there)."""

import itertools

import numpy as np
import pytest

import wire
import wire.numpy as wnp

SPECIAL = [np.nan, -np.inf, np.inf, 0.0, -0.0, 1.0, 0.1, 2.0, 1.0000001]


def _cases(seed=0, n_cases=120):
    rng = np.random.default_rng(seed)
    for dt in (np.float64, np.float32, np.float16, np.int64, np.int32):
        for _ in range(n_cases // 5):
            n = int(rng.integers(0, 6))
            if np.dtype(dt).kind == "f":
                a = np.sort(np.array(rng.choice(SPECIAL, n)).astype(dt))
            else:
                a = np.sort(rng.integers(-3, 3, n).astype(dt))
            v = rng.choice(SPECIAL + [3.0, -1.0, 0.5], int(rng.integers(0, 4)))
            yield a, v


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_matches_numpy_on_special_values(side):
    bad = []
    for a, v in _cases():
        for vv in (v, v.reshape(-1, 1), (v[0] if v.size else 0.5)):
            ref = np.searchsorted(a, vv, side=side)
            eager = wnp.searchsorted(a, vv, side=side)
            jitted = wire.jit(lambda a, v: wnp.searchsorted(a, v, side=side))(a, np.asarray(vv))
            for got in (eager, jitted):
                got = np.asarray(got)
                if got.shape != np.shape(ref) or not np.array_equal(got, ref):
                    bad.append((a, vv, ref, got))
    assert not bad, bad[:5]


def test_searchsorted_unsorted_a_and_sorter_match_numpy():
    rng = np.random.default_rng(1)
    for _ in range(30):
        a = rng.choice(SPECIAL, 6)
        v = rng.choice(SPECIAL, 4)
        for side in ("left", "right"):
            ref = np.searchsorted(a, v, side=side)
            got = wire.jit(lambda a, v: wnp.searchsorted(a, v, side=side))(a, v)
            np.testing.assert_array_equal(got, ref)
        sorter = np.argsort(a)
        ref = np.searchsorted(a, v, sorter=sorter)
        got = wire.jit(lambda a, v, s: wnp.searchsorted(a, v, sorter=s))(a, v, sorter)
        np.testing.assert_array_equal(got, ref)


def test_searchsorted_under_vmap_is_numpy_per_row():
    rng = np.random.default_rng(2)
    a = np.sort(rng.normal(size=(4, 7)), axis=1)
    a[1, -2:] = np.nan
    v = rng.normal(size=(4, 3))
    v[2, 0] = np.nan
    for side in ("left", "right"):
        ref = np.stack([np.searchsorted(a[i], v[i], side=side) for i in range(4)])
        np.testing.assert_array_equal(
            wire.vmap(lambda a, v: wnp.searchsorted(a, v, side=side))(a, v), ref)
        np.testing.assert_array_equal(
            wire.jit(wire.vmap(lambda a, v: wnp.searchsorted(a, v, side=side)))(a, v), ref)
        ref_v = np.stack([np.searchsorted(a[0], v[i], side=side) for i in range(4)])
        np.testing.assert_array_equal(
            wire.vmap(lambda v: wnp.searchsorted(a[0], v, side=side))(v), ref_v)


def test_searchsorted_is_a_step_function_for_grad():
    f = lambda a: wnp.sum(a) * wnp.searchsorted(a, 0.15, side="right")
    np.testing.assert_array_equal(wire.grad(f)(np.array([0.1, 0.2])), [1.0, 1.0])


def test_searchsorted_large_inputs_do_not_compare_all_pairs():
    # an n*m comparison matrix here would take 600 MB
    a = np.linspace(0.0, 1.0, 30_000)
    v = np.linspace(-0.5, 1.5, 20_001)
    got = wire.jit(lambda a, v: wnp.searchsorted(a, v))(a, v)
    np.testing.assert_array_equal(got, np.searchsorted(a, v))


@pytest.mark.parametrize("right", [False, True])
def test_digitize_matches_numpy_with_nan_and_ties_in_bins(right):
    rng = np.random.default_rng(3)
    bad = []
    for dt, i in itertools.product((np.float64, np.float32), range(80)):
        b = np.sort(np.array(rng.choice(SPECIAL, int(rng.integers(0, 5)))).astype(dt))
        b = b if i % 2 else b[::-1].copy()
        x = np.array(rng.choice(SPECIAL, 3))
        try:
            ref = np.digitize(x, b, right=right)
        except ValueError:
            with pytest.raises(ValueError):
                wnp.digitize(x, b, right=right)
            continue
        for got in (wire.jit(lambda x, b: wnp.digitize(x, b, right=right))(x, b),
                    wire.jit(lambda x: wnp.digitize(x, b, right=right))(x)):
            if not np.array_equal(got, ref):
                bad.append((b, x, ref, got))
    assert not bad, bad[:5]
