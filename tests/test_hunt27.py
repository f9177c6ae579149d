"""wire.scipy.linalg and wire.scipy.special on complex and edge inputs: traced values against
SciPy's (and mpmath's), derivatives against central differences."""

import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import wire
import wire.numpy as wnp
from finite_differences import fd_grad

L = wire.scipy.linalg
ROTATION = np.array([[1.0, -2.0], [2.0, 1.0]])  # eigenvalues 1 ± 2i: every power is real


@pytest.mark.parametrize("t", [0.5, 0.3, -0.5, 1.5])
def test_fractional_power_real_with_complex_eigenvalues(t):
    # SciPy returns complex with 1e-17 imaginary parts (its logm and funm drop them, its
    # fractional_matrix_power does not); the traced value was NaN, the derivative finite
    want = sl.fractional_matrix_power(ROTATION, t)
    assert want.dtype.kind == "c" and np.abs(want.imag).max() < 1e-15
    fn = lambda a: L.fractional_matrix_power(a, t)  # noqa: E731
    for scale in (1.0, 1e8):  # (the tolerance is relative to the result's size)
        np.testing.assert_allclose(wire.jit(fn)(scale * ROTATION),
                                   sl.fractional_matrix_power(scale * ROTATION, t).real,
                                   rtol=1e-13)
    stack = np.stack([ROTATION, np.diag([-1.0, 2.0]), ROTATION.T])
    got = wire.vmap(fn)(stack)
    np.testing.assert_allclose(got[0], want.real, rtol=1e-13)
    assert np.isnan(got[1]).all()  # a negative eigenvalue: the power is complex, NaN
    loss = lambda a: wnp.sum(fn(a))  # noqa: E731
    g = wire.grad(loss)(ROTATION)
    np.testing.assert_array_equal(wire.jit(wire.grad(loss))(ROTATION), g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fd = fd_grad(lambda a: np.sum(sl.fractional_matrix_power(a, t).real), ROTATION)
    np.testing.assert_allclose(g, fd, rtol=1e-7)
    assert np.isnan(wire.grad(lambda a: wnp.sum(fn(a)))(np.diag([-1.0, 2.0]))).all()
