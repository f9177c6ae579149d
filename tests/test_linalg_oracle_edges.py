"""Traced linear algebra against NumPy/SciPy at the inputs random tests miss: singular,
rank-deficient and empty matrices, structured solves, complex dtypes, tiny and huge norms."""

import numpy as np
import pytest
import scipy.linalg as sl

import wire
import wire.numpy as wnp
from wire.scipy import linalg

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _fd_grad(f, x, h=1e-6):
    """Central differences: shape ``x.shape + f(x).shape``."""
    rows = []
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        rows.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.stack(rows).reshape(x.shape + np.shape(rows[0]))


# --------------------------------------------------------------------------- solve


@pytest.mark.parametrize("assume_a", ["diagonal", "upper triangular", "lower triangular", None,
                                      "sym", "her", "pos", "tridiagonal"])
def test_solve_singular_raises_as_scipy(assume_a):
    a = np.array([[1.0, 0.0], [0.0, 0.0]])
    b = np.ones(2)
    with pytest.raises(np.linalg.LinAlgError):
        sl.solve(a, b, assume_a=assume_a)
    with pytest.raises(np.linalg.LinAlgError):
        wire.jit(lambda a, b: linalg.solve(a, b, assume_a=assume_a))(a, b)


def test_solve_triangular_singular_lower_raises():
    # pivoting this lower triangle rounds its zero pivot away: the general solve gave 1e20s
    a = np.array([[-0.0009571690296654037, 0.0, 0.0], [0.3827693557973629, 0.0, 0.0],
                  [1.6812565279254326, -1.167843292195985, -0.022632455812083438]])
    with pytest.raises(np.linalg.LinAlgError):
        sl.solve_triangular(a, np.ones(3), lower=True)
    with pytest.raises(np.linalg.LinAlgError):
        wire.jit(lambda a, b: linalg.solve_triangular(a, b, lower=True))(a, np.ones(3))
    with pytest.raises(np.linalg.LinAlgError):
        wire.jit(lambda a, b: linalg.solve(a, b, assume_a="lower triangular"))(a, np.ones(3))


def test_solve_diagonal_values_and_gradient_read_the_diagonal_only():
    a = np.array([[2.0, 5.0], [7.0, 4.0]])
    b = np.array([1.0, 3.0])
    f = lambda a, b: linalg.solve(a, b, assume_a="diagonal")
    np.testing.assert_allclose(wire.jit(f)(a, b), sl.solve(a, b, assume_a="diagonal"))
    g = wire.grad(lambda a: wnp.sum(f(a, b)))(a)
    np.testing.assert_allclose(g, [[-0.25, 0.0], [0.0, -3 / 16]])


def test_solve_tridiagonal_reads_the_band_only():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    b = rng.normal(size=(4, 2))
    for transposed in (False, True):
        want = sl.solve(a, b, assume_a="tridiagonal", transposed=transposed)
        got = wire.jit(lambda a, b: linalg.solve(a, b, assume_a="tridiagonal",
                                                 transposed=transposed))(a, b)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    g = wire.grad(lambda a: wnp.sum(linalg.solve(a, b, assume_a="tridiagonal")))(a)
    assert g[0, 2] == g[3, 0] == 0.0 and g[0, 1] != 0.0


def test_solve_complex_transposed_is_an_error_as_scipy():
    a = np.array([[2.0 + 1j, 1.0], [0.5, 3.0 - 1j]])
    b = np.array([1.0, 1j])
    with pytest.raises(NotImplementedError):
        sl.solve(a, b, transposed=True)
    with pytest.raises(wire.WireError, match="transposed"):
        wire.jit(lambda a, b: linalg.solve(a, b, transposed=True))(a, b)


# --------------------------------------------------------------------------- lu, pinv


def test_lu_of_complex_matrix_has_real_permutation():
    a = np.array([[1.0 + 1j, 2.0], [3.0, 4j]])
    p, l, u = wire.jit(linalg.lu)(a)
    P, L, U = sl.lu(a)
    assert p.dtype == P.dtype == np.float64
    np.testing.assert_array_equal(p, P)
    np.testing.assert_allclose(l, L, rtol=1e-14)
    np.testing.assert_allclose(u, U, rtol=1e-14)


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (2, 0)])
def test_pinv_of_empty_matrix_with_rank(shape):
    a = np.zeros(shape)
    for fn in (linalg.pinv, linalg.pinvh) if shape == (0, 0) else (linalg.pinv,):
        want, rank = fn(a, return_rank=True)
        g = wire.trace(lambda a: fn(a, return_rank=True), a)
        out, r = wire.evaluate(g, a)
        assert out.shape == want.shape and int(r) == rank == 0
        outs, rs = wire.vmap(lambda a: fn(a, return_rank=True))(np.zeros((2,) + shape))
        assert outs.shape == (2,) + want.shape and rs.tolist() == [0, 0]
