"""``nanquantile``/``nanpercentile`` over slices of only NaN, traced, against NumPy (values, the
sign bit of the NaN, dtypes) and JAX (derivatives): NaN there and nothing else, and no stray
floating-point warning from the arithmetic on the NaN stand-ins (NumPy's own warning,
"All-NaN slice encountered", comes from the concrete path, which is NumPy's function)."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from selection import slow_only

ROWS = np.array([[np.nan, np.nan, np.nan, np.nan], [1.0, np.nan, 3.0, -0.0],
                 [np.nan, np.nan, np.nan, 2.0], [-0.0, -0.0, 5.0, 7.0]])  # (an inf warns in NumPy too)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
@pytest.mark.parametrize("name,q", [("nanquantile", 0.0), ("nanquantile", 0.3),
                                    ("nanquantile", 1.0), ("nanpercentile", 50.0),
                                    ("nanquantile", [0.0, 0.5, 1.0])])
def test_all_nan_slices_under_jit_match_numpy_without_stray_warnings(name, q, dtype):
    a = ROWS.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = getattr(np, name)(a, q, axis=1)
        eager = getattr(wnp, name)(a, q, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        got = wire.jit(lambda x: getattr(wnp, name)(x, q, axis=1))(a)
    # (an array q: NumPy's dtype is that of its first slice's result, float32 where that
    # slice is all NaN, else float64, a dtype no traced value can depend on: wire's is float64)
    assert got.dtype == (ref.dtype if not isinstance(q, list) else np.float64)
    assert eager.dtype == ref.dtype
    for r in (eager, got):
        assert r.shape == ref.shape
        np.testing.assert_array_equal(r, ref)
        np.testing.assert_array_equal(np.signbit(r), np.signbit(ref))


def test_size_one_and_whole_array_all_nan():
    for a in (np.array([np.nan]), np.full((2, 3), np.nan), np.array([[np.nan], [1.5]])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = np.nanquantile(a, 0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = wire.jit(lambda x: wnp.nanquantile(x, 0.5))(a)
        np.testing.assert_array_equal(got, ref)


def test_derivative_is_zero_on_an_all_nan_slice():
    f = lambda x: wnp.sum(wnp.nansum(wnp.nanquantile(x, 0.3, axis=1)))  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for got in (wire.grad(f)(ROWS[:3]), wire.jit(wire.grad(f))(ROWS[:3])):
            # JAX's: the slice of only NaN gets none; [1, nan, 3, -0]'s 0.3-quantile lies 0.6
            # of the way from -0.0 to 1.0
            np.testing.assert_allclose(got, [[0, 0, 0, 0], [0.6, 0, 0, 0.4], [0, 0, 0, 1]],
                                       rtol=1e-15)


@slow_only
def test_derivative_on_all_nan_slices_is_jaxs():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    for q in (0.0, 0.3, 0.5, 1.0):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = wire.jit(wire.grad(lambda x: wnp.sum(wnp.nansum(
                wnp.nanquantile(x, q, axis=1)))))(ROWS[:3])
        ref = jax.grad(lambda x: jnp.nansum(jnp.nanquantile(x, q, axis=1)))(ROWS[:3])
        np.testing.assert_array_equal(got, np.asarray(ref))
