"""``wire.numpy``'s statistics and ufunc methods compute what NumPy computes, bit for bit,
eagerly, under ``jit`` and under ``vmap``: NumPy's dtype policy for float16 (``mean`` sums in
float32, ``var`` and the nan-functions in float16) and its division by an integer count (in
float64, never by a count rounded to float16), the summation order under ``where=``, and
the ``reduce``/``accumulate``/``outer``/``at``/``reduceat`` methods of the binary ufuncs."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from oracles import exact_difference


def _agree(fn, np_fn, x, batched=True):
    """``fn`` eagerly, under jit and (``batched``) under vmap over three examples is
    ``np_fn``'s result bit for bit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np_fn(x)
        for how, got in (("eager", fn(x)), ("jit", wire.jit(fn)(x))):
            diff = exact_difference(want, got)
            assert diff is None, f"{how}: {diff}"
        if batched:
            xs = np.stack([x, x[::-1], x * 2])
            want = np.stack([np.asarray(np_fn(v)) for v in xs])
            diff = exact_difference(want, wire.vmap(fn)(xs))
            assert diff is None, f"vmap: {diff}"


# --------------------------------------------------------------------------- float16 statistics

BIG = np.full((5000, 20), 20, np.float16)  # its float16 sum overflows: NumPy's var is inf


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("kw", [{}, {"axis": 0}, {"axis": (0, 1)}, {"ddof": 1}])
def test_float16_var_sums_in_float16_as_numpy(name, kw):
    # NumPy's var of float16 takes the mean of the float16 sum (inf here, 0.4995 over
    # axis 0), not the float32 mean (was 0 under jit)
    _agree(lambda a: getattr(wnp, name)(a, **kw), lambda a: getattr(np, name)(a, **kw), BIG)


def test_float16_var_of_ordinary_values():
    x = (np.random.default_rng(1).normal(size=(6, 5)) * 3).astype(np.float16)
    for kw in ({}, {"axis": 0}, {"ddof": 1}, {"axis": 1, "keepdims": True}):
        _agree(lambda a: wnp.var(a, **kw), lambda a: np.var(a, **kw), x)
        _agree(lambda a: wnp.std(a, **kw), lambda a: np.std(a, **kw), x)


def test_float16_nanmean_divides_by_the_exact_count():
    # 2572 numbers: the count rounded to float16 (2572 -> 2572, but 2573 -> 2572) made the
    # mean 0.999 where NumPy's is 0.9995
    rng = np.random.default_rng(0)
    x = (1 + rng.normal(size=3000) * 1e-3).astype(np.float16)
    x[::7] = np.nan
    want = np.nanmean(x)
    assert exact_difference(want, wire.jit(wnp.nanmean)(x)) is None
    _agree(wnp.nanmean, np.nanmean, x, batched=False)
    for name in ("nanvar", "nanstd"):
        _agree(getattr(wnp, name), getattr(np, name), x * np.float16(30), batched=False)


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.complex64])
def test_mean_divides_as_numpy(dt):
    rng = np.random.default_rng(5)
    x = (rng.normal(size=(3, 2051)) + 3).astype(dt)
    for kw in ({}, {"axis": 1}, {"axis": 1, "keepdims": True}, {"dtype": dt}):
        _agree(lambda a: wnp.mean(a, **kw), lambda a: np.mean(a, **kw), x)
    _agree(lambda a: wnp.var(a, dtype=dt), lambda a: np.var(a, dtype=dt), x)


@pytest.mark.parametrize("dt", [np.float16, np.float32])
def test_where_masks_sum_in_numpy_order(dt):
    # the mean under where= is NumPy's masked sum (not a plain sum with zeros in the
    # unselected places); nanmean sums under the caller's where, not under ~isnan
    rng = np.random.default_rng(2)
    x = (1 + rng.normal(size=(3, 700)) * 1e-2).astype(dt)
    w = rng.random(x.shape) < 0.7
    _agree(lambda a: wnp.mean(a, where=w), lambda a: np.mean(a, where=w), x, batched=False)
    x[:, ::7] = np.nan
    _agree(lambda a: wnp.nanmean(a, where=w), lambda a: np.nanmean(a, where=w), x,
           batched=False)
    _agree(lambda a: wnp.nanmean(a, dtype=dt), lambda a: np.nanmean(a, dtype=dt), x)
