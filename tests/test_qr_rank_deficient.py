"""``wire.numpy.linalg.qr``'s derivatives where ``q`` is square (m <= n) and only the last
pivot ``r[k-1, k-1]`` is zero: LAPACK's last Householder reflector is then the identity, ``q``'s
last column is the unit vector orthogonal to the others, and both factors are smooth in real
arithmetic. Elsewhere (a tall matrix, a zero pivot before the last, two zero pivots, complex
phases) the noise factors keep NaN derivatives.

Oracles: central differences of NumPy's ``qr`` (float64), the textbook JVP
``dq = q(do - c) + x``, ``dr = (c - do) r`` written in NumPy at full rank, and
``<vjp(ct), t> = <ct, jvp(t)>``.
"""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from finite_differences import fd_grad

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

la = wnp.linalg
RNG = np.random.default_rng(20)

# rank 2, r[2, 2] is rounding noise (6e-16)
A3 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
# a zero last column: r[2, 2] is exactly 0
A3_EXACT = np.array([[-3.0, -2.0, 0.0], [2.0, 3.0, 0.0], [2.0, -1.0, 0.0]])
# column 3 = c0 - 2 c1 + c2
_C = np.array([[1.0, 0.0, 2.0], [2.0, 1.0, -1.0], [0.0, 3.0, 1.0], [1.0, -1.0, 0.0]])
A4 = np.column_stack([_C, _C @ [1.0, -2.0, 1.0]])
# column 2 = c0 + c1
B3 = np.array([[2.0, 1.0, 3.0], [0.0, 1.0, 1.0], [1.0, -1.0, 0.0]])
BATCH = np.stack([A3, B3])
# wide: the square part A3 is deficient in its last pivot
WIDE = np.column_stack([A3, [[1.0, -1.0], [0.0, 2.0], [3.0, 1.0]]])

LAST_PIVOT_ZERO = {"3x3": A3, "3x3 exact zero": A3_EXACT, "4x4": A4, "batch": BATCH,
                   "wide 3x5": WIDE}


def _fd_jvp(f, a, t, h=1e-6):
    return (f(a + h * t) - f(a - h * t)) / (2 * h)


def _weights(a, which):
    q, r = np.linalg.qr(a)
    return np.random.default_rng(7).normal(size=(q if which == 0 else r).shape)


@pytest.mark.parametrize("which", [0, 1], ids=["q", "r"])
@pytest.mark.parametrize("name", LAST_PIVOT_ZERO)
def test_grad_at_a_zero_last_pivot_matches_finite_differences(name, which):
    a = LAST_PIVOT_ZERO[name]
    w = _weights(a, which)

    def f(a):
        return wnp.sum(la.qr(a)[which] * w)

    fd = fd_grad(lambda a: np.sum(np.linalg.qr(a)[which] * w), a)
    for g in (wire.grad(f)(a), wire.jit(wire.grad(f))(a)):
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", LAST_PIVOT_ZERO)
def test_jvp_and_jacfwd_at_a_zero_last_pivot_match_finite_differences(name):
    a = LAST_PIVOT_ZERO[name]
    t = np.random.default_rng(3).normal(size=a.shape)
    (q, r), (dq, dr) = wire.jvp(lambda a: tuple(la.qr(a)), (a,), (t,))
    for got, i in ((dq, 0), (dr, 1)):
        np.testing.assert_allclose(got, _fd_jvp(lambda a: np.linalg.qr(a)[i], a, t),
                                   rtol=1e-6, atol=1e-7)
    if a.ndim == 2:
        jq = wire.jacfwd(lambda a: la.qr(a)[0])(a)
        jr = wire.jacfwd(lambda a: la.qr(a)[1])(a)
        for i in np.ndindex(a.shape):
            e = np.zeros_like(a)
            e[i] = 1.0
            np.testing.assert_allclose(jq[(..., *i)], _fd_jvp(lambda a: np.linalg.qr(a)[0], a, e),
                                       rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(jr[(..., *i)], _fd_jvp(lambda a: np.linalg.qr(a)[1], a, e),
                                       rtol=1e-6, atol=1e-7)


def _pairing_gap(a):
    """``|<vjp(ct), t> - <ct, jvp(t)>|`` relative to its size (real parts: the pairing wire's
    complex rules use)."""
    rng = np.random.default_rng(11)

    def draw(shape):
        x = rng.normal(size=shape)
        return x + 1j * rng.normal(size=shape) if np.iscomplexobj(a) else x

    t = draw(a.shape)
    (q, r), (dq, dr) = wire.jvp(lambda a: tuple(la.qr(a)), (a,), (t,))
    ct_q, ct_r = draw(q.shape), draw(r.shape)
    (ga,) = wire.vjp(lambda a: tuple(la.qr(a)), a)[1]((ct_q, ct_r))
    lhs = np.real(np.sum(ga * t))
    rhs = np.real(np.sum(ct_q * dq) + np.sum(ct_r * dr))
    return abs(lhs - rhs) / (abs(lhs) + abs(rhs))


@pytest.mark.parametrize("name", LAST_PIVOT_ZERO)
def test_vjp_is_the_transpose_of_jvp_at_a_zero_last_pivot(name):
    assert _pairing_gap(LAST_PIVOT_ZERO[name]) < 1e-12


def _reference_jvp(a, t):
    """The textbook QR JVP in NumPy (full rank, square or tall a; wide through its square part
    and r2 = qᴴ a2)."""
    q, r = np.linalg.qr(a)
    m, n = a.shape
    if m < n:
        dq, dr1 = _reference_jvp(a[:, :m], t[:, :m])
        return dq, np.hstack([dr1, dq.conj().T @ a[:, m:] + q.conj().T @ t[:, m:]])
    x = np.linalg.solve(r.T, t.T).T
    c = q.conj().T @ x
    low = np.tril(c, -1)
    do = low - low.conj().T
    if np.iscomplexobj(c):
        do = do + np.diag(1j * np.diag(c).imag)
    return q @ (do - c) + x, (c - do) @ r


FULL_RANK = {"4x4": RNG.normal(size=(4, 4)), "wide 3x5": RNG.normal(size=(3, 5)),
             "tall 4x3": RNG.normal(size=(4, 3)),
             "complex 3x3": RNG.normal(size=(3, 3)) + 1j * RNG.normal(size=(3, 3)),
             "complex wide 2x3": RNG.normal(size=(2, 3)) + 1j * RNG.normal(size=(2, 3))}


@pytest.mark.parametrize("name", FULL_RANK)
def test_full_rank_derivatives_are_the_textbook_ones(name):
    a = FULL_RANK[name]
    rng = np.random.default_rng(5)
    t = rng.normal(size=a.shape) + (1j * rng.normal(size=a.shape) if np.iscomplexobj(a) else 0)
    (q, r), (dq, dr) = wire.jvp(lambda a: tuple(la.qr(a)), (a,), (t,))
    ref_q, ref_r = _reference_jvp(a, t)
    np.testing.assert_allclose(dq, ref_q, rtol=0, atol=1e-10)
    np.testing.assert_allclose(dr, ref_r, rtol=0, atol=1e-10)
    assert _pairing_gap(a) < 1e-12
    if not np.iscomplexobj(a):
        w = _weights(a, 1)
        g = wire.grad(lambda a: wnp.sum(la.qr(a)[1] * w))(a)
        np.testing.assert_allclose(g, fd_grad(lambda a: np.sum(np.linalg.qr(a)[1] * w), a),
                                   rtol=1e-6, atol=1e-7)


def test_near_deficient_last_pivot_is_accurate():
    # r[2, 2] ~ 1e-9, above the rank tolerance: the former formula lost 1e-6 of dq to
    # cancellation in x = da r⁻¹'s huge last column
    a = A3 + 1e-9 * np.random.default_rng(5).normal(size=(3, 3))
    t = np.random.default_rng(6).normal(size=(3, 3))
    (q, r), (dq, dr) = wire.jvp(lambda a: tuple(la.qr(a)), (a,), (t,))
    np.testing.assert_allclose(dq, _fd_jvp(lambda a: np.linalg.qr(a)[0], a, t, 1e-5), atol=1e-9)
    np.testing.assert_allclose(dr, _fd_jvp(lambda a: np.linalg.qr(a)[1], a, t, 1e-5), atol=1e-9)
    assert _pairing_gap(a) < 1e-12


# where the factors are genuinely noise, the NaN stays
NOISE = {
    "tall, last pivot": np.vstack([A3, [0.0, 1.0, 1.0]]),  # q's last column is not determined
    "square, earlier pivot": np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 1.0], [3.0, 6.0, 2.0]]),
    "square, two pivots": np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]),
    "wide, earlier pivot": np.array([[1.0, 2.0, 0.0, 1.0], [2.0, 4.0, 1.0, 0.0],
                                     [3.0, 6.0, 2.0, 2.0]]),
    "complex square, last pivot": A3 * (1 + 1j),  # q's last column has the noise's phase
}


@pytest.mark.parametrize("name", NOISE)
def test_noise_factors_still_have_nan_derivatives(name):
    a = NOISE[name]
    k = min(a.shape)
    w_q, w_r = _weights(a, 0), _weights(a, 1)
    for f in (lambda a: wnp.real(wnp.sum(la.qr(a)[0] * w_q)),
              lambda a: wnp.real(wnp.sum(la.qr(a)[1] * w_r)),
              lambda a: wnp.real(la.qr(a)[0][0, k - 1])):
        assert np.isnan(wire.grad(f)(a)).all()
    t = np.ones(a.shape, a.dtype)
    (q, r), (dq, dr) = wire.jvp(lambda a: tuple(la.qr(a)), (a,), (t,))
    assert np.isnan(dq[:, k - 1]).all() and np.isnan(dr[k - 1, k - 1])
    # the leading column keeps its derivative
    fd = _fd_jvp(lambda a: np.linalg.qr(a)[0][:, 0], a, t)
    np.testing.assert_allclose(dq[:, 0], fd, rtol=1e-6, atol=1e-7)


def test_second_derivatives_at_a_zero_last_pivot():
    w = _weights(A3, 0)

    def f(a):
        q, r = la.qr(a)
        return wnp.sum(q * w) + wnp.sum(r ** 2 * w)

    h = wire.hessian(f)(A3)
    g = wire.grad(f)
    fd = np.stack([fd_grad(lambda a: g(a)[i], A3, 1e-5) for i in np.ndindex(A3.shape)])
    np.testing.assert_allclose(h.reshape(fd.shape), fd, rtol=1e-6, atol=1e-7)


def test_float32_a_stack_with_a_full_rank_matrix_and_a_zero_1xn():
    w = _weights(A3, 1)
    g64 = wire.grad(lambda a: wnp.sum(la.qr(a)[1] * w))(A3)
    g32 = wire.grad(lambda a: wnp.sum(la.qr(a)[1] * w))(A3.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)
    full = np.random.default_rng(2).normal(size=(3, 3))
    stack = np.stack([A3, full])
    wq = _weights(A3, 0)
    gs = wire.grad(lambda a: wnp.sum(la.qr(a)[0] * wq))(stack)
    for a, g in zip(stack, gs):
        np.testing.assert_allclose(g, fd_grad(lambda a: np.sum(np.linalg.qr(a)[0] * wq), a),
                                   rtol=1e-6, atol=1e-7)
    # a 1 x n matrix: q = [[1]] and r = a, whatever a[0, 0] (the 1x1 reflector is the identity)
    for a in (np.array([[0.0]]), np.array([[-0.0, 1.0, -1.0]])):
        w = np.arange(1.0, a.shape[1] + 1)
        np.testing.assert_array_equal(wire.grad(lambda a: wnp.sum(la.qr(a)[1] * w))(a), w[None])
        np.testing.assert_array_equal(wire.grad(lambda a: wnp.sum(la.qr(a)[0]))(a), 0 * a)
