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


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_single_precision_results_have_scipys_dtypes(dtype):
    rng = np.random.default_rng(1)
    a = (rng.normal(size=(3, 3)) + 3 * np.eye(3)).astype(dtype)
    b = rng.normal(size=(3, 2)).astype(dtype)
    c = (rng.normal(size=(2, 2)) + 3 * np.eye(2)).astype(dtype)
    cases = [
        (lambda a, b: linalg.solve_triangular(a, b, lower=True, unit_diagonal=True),
         lambda a, b: sl.solve_triangular(a, b, lower=True, unit_diagonal=True), (a, b)),
        (lambda a, b: linalg.lu_solve(linalg.lu_factor(a), b),
         lambda a, b: sl.lu_solve(sl.lu_factor(a), b), (a, b)),
        (linalg.solve_sylvester, sl.solve_sylvester, (a, c, b)),
        (linalg.solve_continuous_lyapunov, sl.solve_continuous_lyapunov, (a, a)),
        (linalg.solve_discrete_lyapunov, sl.solve_discrete_lyapunov, (a / 10, a)),
        (linalg.det, sl.det, (a,)),  # SciPy's det is double precision
        (linalg.expm_frechet, sl.expm_frechet, (a / 4, a)),
    ]
    for f, g, args in cases:
        got, want = wire.jit(f)(*args), g(*args)
        for x, y in zip(*((got, want) if isinstance(want, tuple) else ((got,), (want,)))):
            assert x.dtype == y.dtype, (f, x.dtype, y.dtype)
            np.testing.assert_allclose(x, y, rtol=2e-3, atol=2e-3)


def test_expm_frechet_of_empty_matrix():
    z = np.zeros((0, 0))
    e, L = wire.jit(linalg.expm_frechet)(z, z)
    E, LL = sl.expm_frechet(z, z)
    assert e.shape == E.shape == L.shape == LL.shape == (0, 0)


def test_eigh_tridiagonal_complex_is_an_error_as_scipy():
    d, e = np.array([1.0 + 1j, 2.0]), np.array([0.5 + 0j])
    with pytest.raises(TypeError):
        sl.eigh_tridiagonal(d, e)
    with pytest.raises(TypeError):
        wire.jit(linalg.eigh_tridiagonal)(d, e)


# --------------------------------------------------------------------------- sqrtm


@pytest.mark.parametrize("A", [
    np.array([[1.0, 1.0], [1.0, 1.0]]),  # singular PSD
    np.zeros((2, 2)),
    np.array([[1.0, 1.0], [0.0, 0.0]]),  # singular, not symmetric
    # PSD, singular to rounding: the smallest eigenvalue of this tridiagonal is 2 - √2
    np.array([[2.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 2.0]])
    - (2 - np.sqrt(2)) * np.eye(3),
    np.diag([1.0, 1e-300]),
])
def test_sqrtm_of_singular_matrix_as_scipy(A):
    want = np.real(sl.sqrtm(A))
    got = wire.jit(linalg.sqrtm)(A)
    np.testing.assert_allclose(got, want, atol=1e-12)
    np.testing.assert_allclose(got @ got, A, atol=1e-12)


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e200, 1e300])
def test_sqrtm_of_tiny_and_huge_matrices(scale):
    # the iteration's determinant scaling under/overflowed and it ran out of steps: NaN
    A = scale * np.array([[2.0, 1.0, 0.5], [0.3, 3.0, 1.0], [0.1, 0.2, 1.5]])
    np.testing.assert_allclose(wire.jit(linalg.sqrtm)(A), sl.sqrtm(A), rtol=1e-12)


def test_sqrtm_without_root_is_nan():
    # a nilpotent Jordan block has no square root (SciPy: inf/NaN); -1 has no real one
    for A in (np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[-1.0, 0.0], [0.0, 1.0]])):
        assert np.isnan(wire.jit(linalg.sqrtm)(A)).all()


def test_sqrtm_derivatives_against_finite_differences():
    A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 1.0]])
    B = np.array([[4.0, 1.0], [0.5, 9.0]])
    for M in (A, B):
        f = lambda M: wnp.sum(linalg.sqrtm(M) * np.arange(M.size).reshape(M.shape))
        w = np.arange(M.size).reshape(M.shape)
        fd = _fd_grad(lambda M: np.sum(np.real(sl.sqrtm(M)) * w), M)
        np.testing.assert_allclose(wire.grad(f)(M), fd, atol=1e-7)
        t = np.ones_like(M)
        _, jv = wire.jvp(lambda M: linalg.sqrtm(M), (M,), (t,))
        fdj = (np.real(sl.sqrtm(M + 1e-6 * t)) - np.real(sl.sqrtm(M - 1e-6 * t))) / 2e-6
        np.testing.assert_allclose(jv, fdj, atol=1e-7)
        h = wire.hessian(lambda M: linalg.sqrtm(M)[0, 1])(M)
        fdh = _fd_grad(wire.grad(lambda M: linalg.sqrtm(M)[0, 1]), M, h=1e-5)
        np.testing.assert_allclose(h, fdh, atol=1e-6)


def test_sqrtm_derivative_at_singular_matrix_is_nan():
    # the Sylvester equation X dX + dX X = dA is singular there: its solve gave a finite
    # gradient of sum(sqrtm) that was wrong, and 4.5e15 for one entry
    A = np.array([[1.0, 1.0], [1.0, 1.0]])
    for f in (lambda A: wnp.sum(linalg.sqrtm(A)), lambda A: linalg.sqrtm(A)[0, 1]):
        assert np.isnan(wire.grad(f)(A)).all()


def test_polar_forward_mode_at_repeated_singular_values():
    # forward mode went through the SVD, whose derivative is NaN at a = I; the Sylvester
    # form is exact there: p moves by the symmetric part of da, u by the antisymmetric one
    dA = np.arange(9.0).reshape(3, 3)
    _, (du, dp) = wire.jvp(linalg.polar, (np.eye(3),), (dA,))
    np.testing.assert_allclose(dp, (dA + dA.T) / 2, atol=1e-14)
    np.testing.assert_allclose(du, (dA - dA.T) / 2, atol=1e-14)
    A = np.array([[2.0, 1.0], [0.5, 3.0]])
    d = dA[:2, :2]
    fd = (sl.polar(A + 1e-6 * d)[0] - sl.polar(A - 1e-6 * d)[0]) / 2e-6
    np.testing.assert_allclose(wire.jvp(linalg.polar, (A,), (dA[:2, :2],))[1][0], fd, atol=1e-8)


def test_polar_derivatives_at_singular_matrix_are_nan():
    # u is not unique there; the solves with p's inverse gave small finite numbers
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    W = np.arange(1, 10).reshape(3, 3) / 10
    for k in (0, 1):
        assert np.isnan(wire.grad(lambda a: wnp.sum(linalg.polar(a)[k] * W))(a)).all()
    assert np.isnan(wire.jvp(linalg.polar, (a,), (W,))[1][0]).all()


# --------------------------------------------------------------------------- norm

_U = np.array([1.0, -2.0, 2.0])


@pytest.mark.parametrize("dtype,scale", [(np.float32, 1e-30), (np.float32, 1e30),
                                         (np.float32, 1e-20), (np.float64, 1e-300),
                                         (np.float64, 1e300), (np.float64, 1e-160)])
@pytest.mark.parametrize("ord", [None, 2, 3, 1.5, -1])
def test_norm_gradient_at_tiny_and_huge_vectors(dtype, scale, ord):
    # NumPy's value underflows (overflows) with the squares; the gradient must not: it is
    # x / |x| for the 2-norm (it was 0, or NaN), sign(x) (|x|/|x|_p)^(p-1) for a p-norm
    x = (scale * _U).astype(dtype)
    p = ord or 2
    want = np.sign(_U) * (np.abs(_U) / np.linalg.norm(_U, p)) ** (p - 1)
    g = wire.grad(lambda x: wnp.linalg.norm(x, ord))(x)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, want, rtol=1e-5 if dtype == np.float32 else 1e-12)
    value = wire.jit(lambda x: wnp.linalg.norm(x, ord))(x)
    np.testing.assert_allclose(value, np.linalg.norm(x, ord), rtol=1e-6)  # NumPy's, kept
    assert value.dtype == np.linalg.norm(x, ord).dtype


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_matrix_norm_gradients_at_tiny_and_huge_matrices(scale):
    M = scale * np.array([[1.0, -2.0], [2.0, 4.0]])
    want = M / scale / 5
    for f in (lambda M: wnp.linalg.norm(M), lambda M: wnp.linalg.norm(M, "fro"),
              lambda M: wnp.linalg.matrix_norm(M), lambda M: wnp.linalg.vector_norm(M)):
        np.testing.assert_allclose(wire.grad(f)(M), want, rtol=1e-12)
    g = wire.grad(lambda M: wnp.linalg.norm(M, axis=1)[0])(M)
    np.testing.assert_allclose(g, [[1 / 5 ** 0.5, -2 / 5 ** 0.5], [0, 0]], rtol=1e-12)


def test_norm_derivatives_at_tiny_vector_match_the_scaled_ones():
    # the Hessian (I - u uᵀ)/|x| and a complex gradient, 1e-200 from the origin
    x = 1e-200 * _U
    h = wire.hessian(lambda x: wnp.linalg.norm(x))(x)
    u = _U / 3
    np.testing.assert_allclose(h * 1e-200, (np.eye(3) - np.outer(u, u)) / 3, rtol=1e-12)
    z = 1e-200 * np.array([3.0 + 4.0j, 0.0])
    g = wire.grad(lambda z: wnp.linalg.norm(z))(z)
    np.testing.assert_allclose(g, wire.grad(lambda z: wnp.linalg.norm(z))(z * 1e200), rtol=1e-12)


def test_norm_hessian_at_vector_with_zero_entries():
    # (I - u uᵀ) / |x| also where an entry of x is 0 (the rule must not hold those entries)
    for x in (np.array([0.0, 1.0]), np.array([-0.0, 0.0, 2.0])):
        u = x / np.linalg.norm(x)
        want = (np.eye(x.size) - np.outer(u, u)) / np.linalg.norm(x)
        np.testing.assert_allclose(wire.hessian(wnp.linalg.norm)(x), want, atol=1e-15)
        M = x.reshape(1, -1)
        np.testing.assert_allclose(wire.hessian(wnp.linalg.norm)(M).reshape(x.size, x.size),
                                   want, atol=1e-15)


def test_norm_gradient_at_zero_and_non_finite():
    # at 0: 0 for the 2-norm and p > 1 (+0.0; JAX: NaN); an inf entry: NaN there, 0 elsewhere
    for ord in (None, 3):
        g = wire.grad(lambda x: wnp.linalg.norm(x, ord))(np.array([-0.0, 0.0]))
        np.testing.assert_array_equal(g, [0.0, 0.0])
        assert not np.signbit(g).any()
        g = wire.grad(lambda x: wnp.linalg.norm(x, ord))(np.array([np.inf, 1.0, 0.0]))
        np.testing.assert_array_equal(g, [np.nan, 0.0, 0.0])
    assert np.isnan(wire.grad(lambda x: wnp.linalg.norm(x))(np.array([np.nan, 0.0]))).all()


@pytest.mark.parametrize("p", [1, -1, np.inf, -np.inf, "fro", "nuc"])
@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_cond_of_tiny_single_precision_matrix(p, dtype):
    # NumPy inverts in double precision; in float32 the inverse's norm overflowed to inf
    a = (1e-20 * np.array([[2.0, 1.0, 0.5], [0.3, 3.0, 1.0], [0.1, 0.2, 1.5]])).astype(dtype)
    got, want = wire.jit(lambda a: wnp.linalg.cond(a, p))(a), np.linalg.cond(a, p)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("dtype,scale", [(np.float64, 1e200), (np.float64, 1e-200),
                                         (np.float32, 1e30), (np.float32, 1e-30),
                                         (np.complex128, 1e-300)])
def test_scipy_norm_of_vector_does_not_under_or_overflow(dtype, scale):
    # SciPy's vector 2-norm is BLAS nrm2, which scales; NumPy's squares (inf or 0 here)
    x = (scale * np.array([1.0, -2.0, 2.0])).astype(dtype)
    want = sl.norm(x)
    np.testing.assert_allclose(wire.jit(linalg.norm)(x), want, rtol=1e-6)
    g = wire.grad(lambda x: linalg.norm(x))(x)
    np.testing.assert_allclose(g, np.array([1.0, -2.0, 2.0]) / 3, rtol=1e-6)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_hankel_of_multidimensional_input_as_installed_scipy():
    # SciPy < 1.19 ravels c and r (batches from 1.19); traced, wire batched regardless
    c, r = np.arange(6.0).reshape(2, 3), np.arange(4.0)
    want = sl.hankel(c, r)
    got = wire.jit(lambda c, r: linalg.hankel(c, r))(c, r)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("subset", [[0, 5], [-1, 1], [2, 1]])
def test_eigh_invalid_subset_by_index_raises_as_scipy(subset):
    # a slice quietly gave all, none or fewer eigenvalues
    a = np.diag([1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        sl.eigh(a, subset_by_index=subset)
    with pytest.raises(ValueError):
        wire.jit(lambda a: linalg.eigh(a, subset_by_index=subset, eigvals_only=True))(a)
    with pytest.raises(ValueError):
        wire.jit(lambda d, e: linalg.eigh_tridiagonal(d, e, select="i", select_range=subset))(
            np.diag(a), np.zeros(2))


def test_svd_hermitian_vectors_are_numpys():
    # NumPy builds them from eigh (vh carries the eigenvalues' signs); a general SVD of the
    # same matrix picked other signs for u and vh
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3, 3))
    a = a + np.swapaxes(a, -1, -2)
    z = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    for m in (a, z + z.conj().T, np.diag([1.0, -1.0, -0.0])):
        got = wire.jit(lambda m: wnp.linalg.svd(m, hermitian=True))(m)
        for x, y in zip(got, np.linalg.svd(m, hermitian=True)):
            assert x.dtype == y.dtype
            np.testing.assert_allclose(x, y, atol=1e-12)
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    m = np.array([[2.0, 1.0], [1.0, -3.0]])
    f = lambda m, M=wnp: (lambda u, s, vh: M.sum(u * W) + M.sum(vh * W.T) + M.sum(s))(
        *(wnp.linalg if M is wnp else np.linalg).svd(m, hermitian=True))
    np.testing.assert_allclose(wire.grad(f)(m), _fd_grad(lambda m: f(m, np), m), atol=1e-7)


def test_svd_gesvd_vectors_are_not_silently_gesdds():
    a = np.random.default_rng(0).normal(size=(4, 3))
    u, _, _ = sl.svd(a, full_matrices=False, lapack_driver="gesvd")
    with pytest.raises(wire.WireError, match="gesvd"):
        got = wire.jit(lambda a: linalg.svd(a, full_matrices=False, lapack_driver="gesvd"))(a)
        np.testing.assert_allclose(got[0], u)  # (what the old code would be checked by)
    s = wire.jit(lambda a: linalg.svd(a, compute_uv=False, lapack_driver="gesvd"))(a)
    np.testing.assert_allclose(s, sl.svdvals(a), rtol=1e-13)
    with pytest.raises(ValueError):
        wire.jit(lambda a: linalg.svd(a, compute_uv=False, lapack_driver="nope"))(a)
