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
    for A in (np.array([[-1.0, 0.0], [0.0, 1.0]]), np.full((2, 2), np.nan)):
        assert np.isnan(wire.jit(linalg.sqrtm)(A)).all()
    assert wire.jit(linalg.sqrtm)(np.eye(2, dtype=np.float32)).dtype == np.float32
    assert wire.jit(linalg.sqrtm)(np.eye(2, dtype=np.int64)).dtype == np.float64
    assert wire.jit(linalg.sqrtm)(np.zeros((0, 0))).shape == (0, 0)


def test_traced_limits_raise():
    stack = np.stack([np.eye(2), 4.0 * np.eye(2)])  # a stack is batched, as SciPy's
    np.testing.assert_allclose(wire.jit(linalg.sqrtm)(stack), sl.sqrtm(stack))
    with pytest.raises(wire.WireError, match="square|n, n|shape"):
        wire.jit(linalg.sqrtm)(np.ones((2, 3)))
    with pytest.raises(wire.WireError, match="disp=False"):
        wire.jit(lambda A: linalg.sqrtm(A, disp=False))(np.eye(2))


POLAR_CASES = [((4, 3), "right"), ((3, 3), "right"), ((3, 3), "left"), ((2, 4), "left")]


@pytest.mark.parametrize("shape,side", POLAR_CASES)
def test_polar_against_scipy_and_finite_differences(shape, side):
    A = rng.normal(size=shape)
    u, p = wire.jit(lambda A: linalg.polar(A, side))(A)
    U, P = sl.polar(A, side)
    np.testing.assert_allclose(u, U, atol=1e-14)
    np.testing.assert_allclose(p, P, atol=1e-14)
    Wu, Wp = rng.normal(size=U.shape), rng.normal(size=P.shape)

    def f(A):
        u, p = linalg.polar(A, side)
        return wnp.sum(u * Wu) + wnp.sum(p * Wp)

    def F(A):
        u, p = sl.polar(A, side)
        return np.sum(u * Wu) + np.sum(p * Wp)

    g, h = wire.grad(f)(A), 1e-6
    fd = np.zeros_like(A)
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            E = np.zeros_like(A)
            E[i, j] = h
            fd[i, j] = (F(A + E) - F(A - E)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_polar_at_repeated_singular_values():
    # the SVD's own derivative is singular here; the Sylvester form is not: at a = I,
    # p = √(aᵀa) moves by the symmetric part of da, u by the antisymmetric part
    dA = rng.normal(size=(3, 3))
    gp = wire.grad(lambda A: wnp.sum(linalg.polar(A)[1] * dA))(np.eye(3))
    gu = wire.grad(lambda A: wnp.sum(linalg.polar(A)[0] * dA))(np.eye(3))
    np.testing.assert_allclose(gp, (dA + dA.T) / 2, atol=1e-14)
    np.testing.assert_allclose(gu, (dA - dA.T) / 2, atol=1e-14)


def test_polar_second_derivative_against_finite_differences():
    A = rng.normal(size=(3, 3)) + 2 * np.eye(3)
    f = lambda A: linalg.polar(A)[1][0, 1]
    H = wire.hessian(f)(A)
    h = 1e-5
    E = np.zeros_like(A)
    E[2, 0] = h
    fd = (wire.grad(f)(A + E) - wire.grad(f)(A - E)) / (2 * h)
    np.testing.assert_allclose(H[:, :, 2, 0], fd, rtol=1e-6, atol=1e-9)


def test_polar_bad_side_raises():
    with pytest.raises(wire.WireError, match="side"):
        wire.jit(lambda A: linalg.polar(A, "up"))(np.eye(2))
