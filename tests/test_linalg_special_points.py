"""``wire.numpy.linalg`` at degenerate inputs, traced and under ``jit``, against NumPy:
singular and rank-deficient matrices (``cond``, ``lstsq``), the order ``multi_dot`` multiplies
in (it decides the rounding), and the derivative of a p-norm at the zero vector.

Oracles: NumPy's values, dtypes and ranks; closed forms; central differences.
"""

import numpy as np
import pytest
from finite_differences import fd_grad

import wire
import wire.numpy as wnp

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/NaN on purpose

la = wnp.linalg

SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
RANK_ONE_TALL = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])


def modes(f, *args):
    """``f`` traced-and-evaluated and jitted."""
    return [wire.evaluate(wire.trace(f, *args), *args), wire.jit(f)(*args)]


# --------------------------------------------------------------------------- cond


@pytest.mark.parametrize("p", [1, -1, np.inf, -np.inf, "fro"])
@pytest.mark.parametrize("a", [
    SINGULAR,
    np.zeros((3, 3)),
    np.arange(9.0).reshape(3, 3) + 1,  # exactly singular in LU
    np.stack([np.array([[2.0, 1.0], [1.0, 3.0]]), SINGULAR]),  # one singular member
    SINGULAR.astype(np.float32),
    SINGULAR * (1 + 1j),
], ids=["2x2", "zero", "3x3", "stack", "f32", "complex"])
def test_cond_of_a_singular_matrix_is_inf_as_numpy_not_an_error(a, p):
    ref = np.linalg.cond(a, p)
    for got in modes(lambda a: la.cond(a, p), a):
        got = np.asarray(got)
        assert got.dtype == ref.dtype and got.shape == ref.shape
        np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_cond_keeps_its_derivative_at_regular_matrices():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    for p in (1, np.inf, "fro"):
        fd = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            e = np.zeros_like(a)
            e[i] = 1e-6
            fd[i] = (np.linalg.cond(a + e, p) - np.linalg.cond(a - e, p)) / 2e-6
        for g in (wire.grad(lambda a: la.cond(a, p))(a), wire.jit(wire.grad(lambda a: la.cond(a, p)))(a)):
            np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_cond_of_a_non_square_matrix_with_an_inverse_norm_is_a_shape_error():
    with pytest.raises(wire.ShapeError, match="cond"):
        wire.jit(lambda a: la.cond(a, 1))(np.ones((2, 3)))


# --------------------------------------------------------------------------- lstsq


@pytest.mark.parametrize("rcond", [None, 0.5])
@pytest.mark.parametrize("a", [
    RANK_ONE_TALL,
    np.zeros((3, 2)),
    np.arange(6.0).reshape(3, 2),  # rank 1 at rcond=0.5
    np.arange(6.0).reshape(3, 2) + np.eye(3, 2),
    np.arange(6.0).reshape(2, 3),  # wide
    RANK_ONE_TALL.T.copy(),  # wide, rank 1
    (np.arange(6.0) + 1j * np.arange(6.0)[::-1]).reshape(3, 2),
    (np.arange(6.0) - 2j).reshape(2, 3),
    np.arange(6.0, dtype=np.float32).reshape(3, 2),
], ids=["rank1", "zero", "rcond", "full", "wide", "wide-rank1", "complex", "complex-wide", "f32"])
def test_lstsq_rank_and_residuals_follow_numpy(a, rcond):
    b = np.ones(a.shape[0], a.dtype)
    x0, res0, rank0, s0 = np.linalg.lstsq(a, b, rcond=rcond)
    for x, res, rank, s in modes(lambda a, b: la.lstsq(a, b, rcond=rcond), a, b):
        rank, res = np.asarray(rank), np.asarray(res)
        assert rank.dtype == np.int32 and rank.shape == () and int(rank) == int(rank0)
        assert res.dtype == res0.dtype
        np.testing.assert_allclose(x, x0, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(s, s0, rtol=1e-5, atol=1e-6)
        if res0.size or a.shape[0] <= a.shape[1]:
            np.testing.assert_allclose(res, res0, rtol=1e-5, atol=1e-5)
        else:
            # NumPy's residuals of a rank-deficient tall matrix are an empty array; a traced
            # shape cannot depend on the rank, so they are NaN (never a number NumPy lacks)
            assert res.shape == (1,) and np.isnan(res).all()


def test_lstsq_matrix_right_hand_side_and_shape_errors():
    b = np.arange(6.0).reshape(3, 2)
    x0, res0, rank0, _ = np.linalg.lstsq(RANK_ONE_TALL + np.eye(3, 2), b)
    x, res, rank, _ = wire.jit(lambda a, b: la.lstsq(a, b))(RANK_ONE_TALL + np.eye(3, 2), b)
    np.testing.assert_allclose(x, x0)
    np.testing.assert_allclose(res, res0)
    assert int(rank) == rank0 == 2
    _, res, rank, _ = wire.jit(lambda a, b: la.lstsq(a, b))(RANK_ONE_TALL, b)
    assert int(rank) == 1 and res.shape == (2,) and np.isnan(res).all()
    with pytest.raises(wire.ShapeError, match=r"lstsq.*\(3, 2\) and \(4,\)"):
        wire.jit(lambda a: la.lstsq(a, np.ones(4)))(RANK_ONE_TALL)


# --------------------------------------------------------------------------- multi_dot


@pytest.mark.parametrize("shapes", [
    [(3, 3), (3, 3), (3, 3)],  # a tie: NumPy multiplies a (b c)
    [(5, 3), (3, 7), (7, 2), (2, 4)],
    [(3,), (3, 7), (7, 2), (2,)],
    [(3,), (3, 3), (3, 3)],
    [(4, 3), (3, 3), (3,)],
    [(2, 6), (6, 6), (6, 6), (6, 1), (1, 5)],
])
def test_multi_dot_multiplies_in_numpys_order_bit_for_bit(shapes):
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=s) for s in shapes]
    ref = np.linalg.multi_dot(arrays)
    for got in modes(lambda *xs: la.multi_dot(list(xs)), *arrays):
        got = np.asarray(got)
        assert got.shape == ref.shape and got.dtype == ref.dtype
        assert np.array_equal(got, ref)


def test_multi_dot_gradient_and_errors():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    g = wire.grad(lambda a: wnp.sum(la.multi_dot([a, b, b.T])))(a)
    np.testing.assert_allclose(g, np.ones((3, 4)) @ (b @ b.T).T)
    with pytest.raises(wire.ShapeError, match="2-D"):
        wire.jit(lambda a: la.multi_dot([a, np.ones((2, 2, 2)), a]))(np.ones((2, 2)))


# --------------------------------------------------------------------------- norms at zero


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("p", [3, 1.5, 4.0])
def test_p_norm_gradient_at_the_zero_vector_is_zero_like_the_two_norm(p, dtype):
    z = np.zeros(3, dtype)
    for g in (wire.grad(lambda x: la.norm(x, p))(z), wire.jit(wire.grad(lambda x: la.norm(x, p)))(z),
              wire.grad(lambda x: la.vector_norm(x, ord=p))(z)):
        assert g.dtype == dtype and np.array_equal(g, np.zeros(3, dtype))
    # away from 0 (a zero entry included) the derivative is the usual one
    x = np.array([0.0, 1.0, -2.0])
    expected = np.sign(x) * np.abs(x) ** (p - 1) * np.sum(np.abs(x) ** p) ** (1 / p - 1)
    np.testing.assert_allclose(wire.grad(lambda x: la.norm(x, p))(x), expected, rtol=1e-12)
    assert float(wire.jit(lambda x: la.norm(x, p))(z)) == 0.0


def test_norms_below_one_have_no_derivative_at_zero():
    # |x|^p with p < 1 is infinitely steep at 0 (no subgradient): NaN, not a made-up 0
    assert np.isnan(wire.grad(lambda x: la.norm(x, 0.5))(np.zeros(2))).all()


# --------------------------------------------------------------------------- qr at rank deficiency


def _fd(f, a):
    return fd_grad(f, a, eps=1e-7)


# the second column a multiple of the first: r11 is rounding noise (2e-15 here); the first
# column a zero one: r00 is exactly 0 (the rules' triangular solves were singular)
QR_DEFICIENT = {"rounding": RANK_ONE_TALL, "exact": np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]]),
                # square, an earlier pivot zero (a zero *last* pivot of a square q is smooth:
                # tests/test_qr_rank_deficient.py)
                "square": np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 1.0], [3.0, 6.0, 2.0]])}


@pytest.mark.parametrize("kind", ["rounding", "square"])
def test_qr_leading_factors_keep_their_derivative_at_rank_deficiency(kind):
    a = QR_DEFICIENT[kind]
    for name, sel in [("r00", lambda q, r: r[0, 0]), ("r01", lambda q, r: r[0, 1]),
                      ("q0", lambda q, r: q[0, 0] + 2 * q[-1, 0])]:
        fd = _fd(lambda a: sel(*np.linalg.qr(a)), a)
        for g in (wire.grad(lambda a: sel(*la.qr(a)))(a), wire.jit(wire.grad(lambda a: sel(*la.qr(a))))(a)):
            np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("kind", QR_DEFICIENT)
def test_qr_derivatives_through_the_noise_factors_are_nan_not_made_up(kind):
    a = QR_DEFICIENT[kind]
    n = a.shape[1]
    for f in (lambda a: la.qr(a)[1][n - 1, n - 1],  # a norm at 0: no derivative
              lambda a: wnp.sum(la.qr(a)[1]),
              lambda a: wnp.sum(la.qr(a)[0][:, n - 1]),  # the noise column of q
              lambda a: wnp.sum(la.qr(a, mode="r") ** 2 * np.arange(1.0, n + 1))):
        for g in (wire.grad(f)(a), wire.jit(wire.grad(f))(a)):
            assert g.shape == a.shape and np.isnan(g).all()
    # forward mode: the leading tangents are exact, the noise ones NaN
    t = np.arange(1.0, a.size + 1).reshape(a.shape)
    (q, r), (dq, dr) = wire.jvp(lambda a: tuple(la.qr(a)), (a,), (t,))
    assert np.isnan(dq[:, n - 1]).all() and np.isnan(dr[n - 1, n - 1])
    if kind != "exact":
        h = 1e-7
        fd = (np.linalg.qr(a + h * t)[0][:, 0] - np.linalg.qr(a - h * t)[0][:, 0]) / (2 * h)
        np.testing.assert_allclose(dq[:, 0], fd, rtol=1e-6, atol=1e-7)


def test_qr_rank_rule_is_per_matrix_in_a_stack_and_holds_for_float32_complex_and_wide():
    full = np.array([[2.0, 1.0], [1.0, 3.0], [0.5, -1.0]])
    stack = np.stack([full, RANK_ONE_TALL])

    def f(a):
        return wnp.sum(la.qr(a)[1] ** 2 * np.array([1.0, 2.0]))

    g = wire.grad(f)(stack)
    np.testing.assert_allclose(g[0], _fd(lambda a: np.sum(np.linalg.qr(a)[1] ** 2 * [1.0, 2.0]), full),
                               rtol=1e-6)
    assert np.isnan(g[1]).all()
    g32 = wire.grad(f)(RANK_ONE_TALL.astype(np.float32) * np.float32(1 + 2**-20))
    assert g32.dtype == np.float32 and np.isnan(g32).all()
    gc = wire.grad(lambda a: wnp.sum(wnp.abs(la.qr(a)[1]) ** 2 * np.array([1.0, 2.0])))(
        RANK_ONE_TALL * (1 + 1j))
    assert np.isnan(gc).all()
    # wide: the leading square block decides (here deficient before its last pivot), as the
    # rule differentiates it
    wide = np.array([[1.0, 2.0, 0.0, 1.0], [2.0, 4.0, 1.0, 0.0], [3.0, 6.0, 2.0, 2.0]])
    assert np.isnan(wire.grad(lambda a: wnp.sum(la.qr(a)[1]))(wide)).all()
    # a well-conditioned matrix is untouched by the rule
    np.testing.assert_allclose(wire.grad(lambda a: la.qr(a)[1][1, 1])(full),
                               _fd(lambda a: np.linalg.qr(a)[1][1, 1], full), rtol=1e-6)


@pytest.mark.parametrize("ord", [0, 1, 2, 3, np.inf])
def test_vector_norm_over_several_axes_beside_an_empty_axis(ord):
    x = np.zeros((2, 0, 3))
    ref = np.linalg.vector_norm(x, ord=ord, axis=(0, 2), keepdims=True)
    for got in modes(lambda x: la.vector_norm(x, ord=ord, axis=(0, 2), keepdims=True), x):
        assert got.shape == ref.shape == (1, 0, 1) and got.dtype == ref.dtype


# --------------------------------------------------------------------------- products


Z = np.array([[1 + 1j, 2.0], [3.0, 4j]])


@pytest.mark.parametrize("a, b", [
    (Z, Z), (Z, np.array([[1, 2], [3, 4]])), (Z, np.array([[True, False], [True, True]])),
    (np.array([1.0, -2.0]), Z[0]), (Z.astype(np.complex64), Z.real.astype(np.float32)),
    (np.ones((2, 3)), np.arange(6.0)), (np.array([True, False]), np.array([True, True])),
])
def test_vdot_conjugates_its_first_argument_as_numpy(a, b):
    ref = np.vdot(a, b)
    for got in [wnp.vdot(a, b)] + modes(wnp.vdot, a, b):
        got = np.asarray(got)
        assert got.dtype == np.asarray(ref).dtype and got.shape == ()
        np.testing.assert_allclose(got, ref, rtol=1e-6)
    assert float(np.real(wire.jit(wnp.vdot)(Z, Z))) == 31.0 and np.imag(wire.jit(wnp.vdot)(Z, Z)) == 0


def test_vdot_gradient_is_jaxs_and_sizes_must_match():
    z, w = np.array([1 + 2j, 3 - 1j]), np.array([2 - 1j, 1 + 1j])
    # d Re(Σ conj(z) w) / dz under JAX's convention (the conjugate of the Wirtinger gradient)
    np.testing.assert_allclose(wire.grad(lambda z: wnp.real(wnp.vdot(z, w)))(z), np.conj(w))
    np.testing.assert_allclose(wire.grad(lambda z: wnp.real(wnp.vdot(z, z)))(z), 2 * np.conj(z))
    with pytest.raises(wire.ShapeError, match="vdot"):
        wire.jit(wnp.vdot)(np.ones(3), np.ones(4))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int16])
def test_vecdot_keeps_small_integer_dtypes(dtype):
    a = np.array([[100, 100], [100, 1]]).astype(dtype)
    for b in (a, np.array([[True, False], [True, True]])):
        ref = np.vecdot(a, b)
        for f in (wnp.vecdot, la.vecdot):
            for got in modes(f, a, b):
                assert got.dtype == ref.dtype and np.array_equal(got, ref)


@pytest.mark.parametrize("f, args", [
    (wnp.matvec, (np.ones((3, 1)), np.float64(5.0))),  # a scalar is no vector
    (wnp.matvec, (np.ones(3), np.ones(3))),  # a vector is no matrix
    (wnp.matvec, (np.ones((3, 1)), np.ones(2))),  # a core dimension does not broadcast
    (wnp.vecmat, (np.float64(5.0), np.ones((1, 3)))),
    (wnp.vecmat, (np.ones(3), np.ones(3))),
    (wnp.vecmat, (np.ones(2), np.ones((1, 3)))),
])
def test_matvec_and_vecmat_refuse_what_numpy_refuses(f, args):
    with pytest.raises(ValueError):
        f(*args)
    with pytest.raises(wire.ShapeError):
        wire.jit(f)(*args)


# --------------------------------------------------------------------------- scipy.linalg.expm


def test_expm_keeps_float32_and_takes_infinite_diagonals_as_scipy():
    sl = pytest.importorskip("scipy.linalg")
    import wire.scipy.linalg as wsl

    a = np.array([[2.0, 1.0], [1.0, 3.0]], np.float32)
    for got in modes(wsl.expm, a):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, sl.expm(a), rtol=1e-5)
    for d in ([np.inf, 1.0], [-np.inf, 1.0], [-np.inf, np.inf]):
        a = np.diag(d)
        ref = sl.expm(a)
        for got in modes(wsl.expm, a):
            np.testing.assert_array_equal(got, ref)  # exp of the diagonal: inf, 0, e
    # a finite diagonal matrix keeps its derivative (the exact branch is not differentiated)
    g = wire.grad(lambda a: wnp.sum(wsl.expm(a)))(np.diag([1.0, 2.0]))
    np.testing.assert_allclose(np.diag(g), np.exp([1.0, 2.0]), rtol=1e-12)


# --------------------------------------------------------------------------- hermitian=True


HERM_INPUTS = {
    "real": np.array([[2.0, 7.0], [-1.0, 3.0]]),
    "complex": np.array([[2.0 + 0.5j, 7.0 + 2j], [-1.0 + 1j, 3.0 - 1j]]),
    "lower-singular": np.array([[1.0, 5.0], [2.0, 4.0]]),  # the mirrored lower triangle: rank 1
    "stack": np.stack([np.array([[2.0, 7.0], [-1.0, 3.0]]), np.array([[1.0, 5.0], [2.0, 4.0]])]),
}


@pytest.mark.parametrize("kind", HERM_INPUTS)
def test_hermitian_true_reads_the_lower_triangle_as_numpy(kind):
    a = HERM_INPUTS[kind]
    cases = [
        (lambda m, a: m.linalg.pinv(a, hermitian=True), 1e-12),
        (lambda m, a: m.linalg.svd(a, hermitian=True, compute_uv=False), 1e-12),
        (lambda m, a: (lambda u, s, vh: m.matmul(u * s[..., None, :], vh))(
            *m.linalg.svd(a, hermitian=True)), 1e-12),
        (lambda m, a: m.linalg.matrix_rank(a, hermitian=True), 0),
    ]
    for f, tol in cases:
        ref = f(np, a)
        for got in modes(lambda a: f(wnp, a), a):
            assert np.asarray(got).shape == np.shape(ref)
            np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)


def test_hermitian_pinv_gradient_ignores_the_upper_triangle():
    a = np.array([[2.0, 7.0], [-1.0, 3.0]])
    g = wire.grad(lambda a: wnp.sum(la.pinv(a, hermitian=True)))(a)
    assert g[0, 1] == 0.0
    sym = np.array([[2.0, -1.0], [-1.0, 3.0]])
    full = wire.grad(lambda a: wnp.sum(la.pinv(a)))(sym)
    np.testing.assert_allclose(g[1, 0], full[1, 0] + full[0, 1], rtol=1e-12)
    np.testing.assert_allclose(np.diag(g), np.diag(full), rtol=1e-12)


@pytest.mark.parametrize("n", [2.0, 2.5, np.float64(3.0)])
def test_matrix_power_refuses_a_float_exponent_as_numpy(n):
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    with pytest.raises(TypeError):
        np.linalg.matrix_power(a, n)
    with pytest.raises(TypeError, match="integer"):
        wire.jit(lambda a: la.matrix_power(a, n))(a)
    got = wire.jit(lambda a: la.matrix_power(a, np.int8(3)))(a)
    np.testing.assert_array_equal(got, np.linalg.matrix_power(a, 3))


@pytest.mark.parametrize("kw", [
    {"tol": np.array([0.3, 1.6])}, {"rtol": np.array([0.3, 0.8])},
    {"tol": np.array([[0.3], [0.4]])}, {"rtol": np.array([[0.3], [0.8]])},  # broadcast in front
    {"tol": 0.3}, {"rtol": 0.3}, {},
])
def test_matrix_rank_takes_one_tolerance_per_matrix_of_a_stack(kw):
    a = np.stack([np.diag([1.0, 0.5, 0.1]), np.diag([2.0, 1.5, 0.3])])
    ref = np.linalg.matrix_rank(a, **kw)
    for got in modes(lambda a: la.matrix_rank(a, **kw), a):
        assert got.shape == ref.shape and np.array_equal(got, ref)


# --------------------------------------------------------------------------- eig at defective matrices


JORDAN = {
    "jordan2": np.array([[1.0, 1.0], [0.0, 1.0]]),
    "jordan3": np.array([[2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 2.0]]),
    "nilpotent": np.array([[0.0, 1.0], [0.0, 0.0]]),
}


@pytest.mark.parametrize("kind", JORDAN)
def test_eig_derivatives_at_a_defective_matrix_are_nan_not_wrong(kind):
    a = JORDAN[kind]
    # sum(λ²) = tr(a²) has gradient 2aᵀ; the eigen-decomposition rule gave 2λ·I, missing the
    # nilpotent part; a single eigenvalue (a square-root branch point) got a made-up 4.5e15
    for f in (lambda a: wnp.sum(wnp.real(la.eigvals(a) ** 2)),
              lambda a: wnp.real(la.eigvals(a)[0]),
              lambda a: wnp.sum(wnp.abs(la.eig(a)[1]) ** 2 * np.arange(a.shape[0]))):
        for g in (wire.grad(f)(a), wire.jit(wire.grad(f))(a)):
            assert np.isnan(g).all()
    _, (dw, dv) = wire.jvp(lambda a: la.eig(a), (a,), (np.ones_like(a),))
    assert np.isnan(dw).all() and np.isnan(dv).all()


def test_eig_derivatives_near_a_defective_matrix_and_at_diagonalizable_ties_stay_exact():
    # eigenvalues 1 and 1 + 1e-10: diagonalizable, ill-conditioned eigenvectors; the gradient
    # of tr(a²) (nilpotent-like off-diagonal term included) is still 2aᵀ
    a = np.array([[1.0, 1.0], [0.0, 1.0 + 1e-10]])
    g = wire.grad(lambda a: wnp.sum(wnp.real(la.eigvals(a) ** 2)))(a)
    np.testing.assert_allclose(g, 2 * a.T, rtol=1e-5, atol=1e-5)
    # a tie with independent eigenvectors (the identity) keeps its exact gradients
    for f, expected in ((lambda a: wnp.sum(wnp.real(la.eigvals(a))), np.eye(3)),
                        (lambda a: wnp.sum(wnp.real(la.eigvals(a) ** 2)), 4 * np.eye(3))):
        np.testing.assert_allclose(wire.grad(f)(2 * np.eye(3)), expected, rtol=1e-12)
    # a stack: the rule is per matrix
    stack = np.stack([JORDAN["jordan2"], np.array([[2.0, 1.0], [0.0, 3.0]])])
    g = wire.grad(lambda a: wnp.sum(wnp.real(la.eigvals(a) ** 2)))(stack)
    assert np.isnan(g[0]).all()
    np.testing.assert_allclose(g[1], 2 * stack[1].T, rtol=1e-12)
    assert wire.grad(lambda a: wnp.sum(wnp.real(la.eigvals(a))))(np.zeros((2, 0, 0))).shape == (2, 0, 0)


@pytest.mark.parametrize("a, b", [(np.array([1.0, 2.0]), np.array([3.0, 4.0])),
                                  (np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0]))])
def test_linalg_cross_takes_3_vectors_only_as_numpy(a, b):
    with pytest.raises(ValueError):
        np.linalg.cross(a, b)
    with pytest.raises(ValueError):
        la.cross(a, b)
    with pytest.raises(wire.ShapeError, match="3-vectors"):
        wire.jit(la.cross)(a, b)
    x, y = np.ones((2, 3)), np.arange(3.0)
    np.testing.assert_array_equal(wire.jit(la.cross)(x, y), np.linalg.cross(x, y))


@pytest.mark.parametrize("f, args", [
    (la.outer, (np.ones((2, 3)), np.ones(2))),  # NumPy's linalg.outer does not flatten
    (la.outer, (np.float64(2.0), np.ones(2))),
    (la.matrix_transpose, (np.ones(3),)),  # a vector is no matrix
])
def test_array_api_linalg_functions_refuse_what_numpy_refuses(f, args):
    with pytest.raises(ValueError):
        f(*args)
    with pytest.raises(wire.ShapeError):
        wire.jit(f)(*args)


@pytest.mark.parametrize("uplo", ["X", "lower", ""])
def test_eigh_refuses_an_unknown_uplo_as_numpy(uplo):
    a = np.array([[2.0, 7.0], [-1.0, 3.0]])
    with pytest.raises(ValueError):
        np.linalg.eigvalsh(a, uplo)
    with pytest.raises(wire.WireError, match="UPLO"):
        wire.jit(lambda a: la.eigvalsh(a, uplo))(a)
    for side in ("l", "u"):  # NumPy upper-cases it
        np.testing.assert_allclose(wire.jit(lambda a: la.eigvalsh(a, side))(a),
                                   np.linalg.eigvalsh(a, side), rtol=1e-12)


def test_tensorsolve_names_the_shapes_that_do_not_fit():
    with pytest.raises(wire.ShapeError, match=r"\(6, 2, 2\).*\(6,\)"):
        wire.jit(lambda a: la.tensorsolve(a, np.ones(6)))(np.ones((6, 2, 2)))
