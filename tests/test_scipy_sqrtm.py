"""wire.scipy.linalg.sqrtm on traced values: against SciPy (values), finite differences of
SciPy's root (gradients, by the Sylvester equation), the identity X @ X = A, and the matrices
with no real principal root."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.scipy import linalg

sl = pytest.importorskip("scipy.linalg")

rng = np.random.default_rng(3)
_S = rng.normal(size=(4, 4))
MATRICES = {
    "spd": _S @ _S.T + 0.5 * np.eye(4),
    "nonsymmetric": rng.normal(size=(4, 4)) + 4.0 * np.eye(4),
    "complex eigenvalues": np.array([[1.0, -2.0], [2.0, 1.0]]),
    "triangular": np.array([[4.0, 1.0], [0.0, 9.0]]),
    "identity": np.eye(3),
    "ill-conditioned": np.diag([1e-6, 1.0, 1e6]),
    "1x1": np.array([[2.0]]),
}


@pytest.mark.parametrize("name", MATRICES)
def test_values_match_scipy(name):
    A = MATRICES[name]
    X = wire.jit(linalg.sqrtm)(A)
    want = sl.sqrtm(A)
    np.testing.assert_allclose(X, want, rtol=1e-13, atol=1e-14 * np.abs(want).max())
    np.testing.assert_allclose(X @ X, A, rtol=1e-12, atol=1e-12 * np.abs(A).max())


@pytest.mark.parametrize("name", ["spd", "nonsymmetric", "complex eigenvalues", "triangular"])
def test_gradient_against_finite_differences(name):
    A = MATRICES[name]
    W = rng.normal(size=A.shape)
    g = wire.grad(lambda A: wnp.sum(linalg.sqrtm(A) * W))(A)
    h = 1e-6
    fd = np.zeros_like(A)
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            E = np.zeros_like(A)
            E[i, j] = h
            fd[i, j] = (np.sum(sl.sqrtm(A + E) * W) - np.sum(sl.sqrtm(A - E) * W)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_derivative_solves_the_sylvester_equation():
    A = MATRICES["nonsymmetric"]
    X = sl.sqrtm(A)
    dA = rng.normal(size=A.shape)
    dX = wire.jvp(linalg.sqrtm, (A,), (dA,))[1]
    np.testing.assert_allclose(X @ dX + dX @ X, dA, atol=1e-11)
    W = rng.normal(size=A.shape)
    g = wire.grad(lambda A: wnp.sum(linalg.sqrtm(A) * W))(A)
    assert np.sum(g * dA) == pytest.approx(np.sum(W * dX), rel=1e-10)


def test_second_derivative_of_a_scalar_root():
    # sqrtm of a x I is √a I: d²/da² of its trace is -n / (4 a^1.5)
    f = lambda a: wnp.trace(linalg.sqrtm(a * np.eye(3)))
    assert float(wire.grad(wire.grad(f))(4.0)) == pytest.approx(-3 / (4 * 8.0), rel=1e-10)


def test_no_real_root_gives_nan_and_dtypes():
    for A in (np.array([[-1.0, 0.0], [0.0, 1.0]]), np.zeros((2, 2)), np.full((2, 2), np.nan)):
        assert np.isnan(wire.jit(linalg.sqrtm)(A)).all()
    assert wire.jit(linalg.sqrtm)(np.eye(2, dtype=np.float32)).dtype == np.float32
    assert wire.jit(linalg.sqrtm)(np.eye(2, dtype=np.int64)).dtype == np.float64
    assert wire.jit(linalg.sqrtm)(np.zeros((0, 0))).shape == (0, 0)


def test_traced_limits_raise():
    with pytest.raises(wire.WireError, match="one \\(n, n\\) matrix"):
        wire.jit(linalg.sqrtm)(np.stack([np.eye(2)] * 2))
    with pytest.raises(wire.WireError, match="square|n, n|shape"):
        wire.jit(linalg.sqrtm)(np.ones((2, 3)))
    with pytest.raises(wire.WireError, match="disp=False"):
        wire.jit(lambda A: linalg.sqrtm(A, disp=False))(np.eye(2))
