"""``wnp.asarray(np_array)`` inside ``wire.jit`` is an array a traced index can gather from, as
JAX's ``jnp.asarray(a)[i]`` is (a NumPy array indexed by a traced integer cannot be)."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

TABLE = np.array([0.5, -0.0, np.nan, 3.0, -7.25])


@pytest.mark.parametrize("make", ["asarray", "array", "asanyarray"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
def test_a_constant_array_indexed_by_a_traced_integer_under_jit(make, dtype):
    table = TABLE.astype(dtype)
    f = wire.jit(lambda i: getattr(wnp, make)(table)[i])
    for i in range(-5, 5):
        got = f(np.int64(i))
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, table[i])
        assert np.signbit(got) == np.signbit(table[i])


def test_slices_lists_and_gradients_through_a_gathered_constant():
    rows = np.arange(12.0).reshape(3, 4)
    f = wire.jit(lambda i, x: wnp.asarray(rows)[i, 1:] * x)
    np.testing.assert_array_equal(f(np.int64(2), 2.0), rows[2, 1:] * 2.0)
    g = wire.jit(wire.grad(lambda x, i: wnp.sum(wnp.asarray([1.0, 2.0, 4.0])[i] * x)))
    assert g(3.0, np.int64(2)) == 4.0
    assert wire.grad(lambda x, i: wnp.asarray(TABLE)[i] * x)(1.0, 3) == 3.0


def test_outside_a_trace_and_in_eager_transforms_it_stays_a_numpy_array():
    assert type(wnp.asarray(TABLE)) is np.ndarray
    assert type(wnp.array([1.0, 2.0])) is np.ndarray

    def f(x):
        a = wnp.array(TABLE)
        a[0] = 2.0  # a NumPy array outside jit: NumPy's in-place writes work
        return a[0] * x

    assert wire.grad(f)(1.0) == 2.0
