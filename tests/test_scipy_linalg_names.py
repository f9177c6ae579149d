"""wire.scipy.linalg's SciPy names (solve with assume_a, inv, det, eigh, svd, qr, lu, lstsq,
pinv, the special matrices, Sylvester/Lyapunov …): traced values against SciPy's, gradients
(and some second derivatives) against finite differences, only the triangle SciPy reads
differentiated, and an autograd-style Gaussian-process script."""

import numpy as np
import pytest
from finite_differences import fd_grad as _fd_grad

import wire
import wire.numpy as wnp
from wire.scipy import linalg as wl

sl = pytest.importorskip("scipy.linalg")

RNG = np.random.default_rng(7)


def _spd(n, rng=RNG):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def _check_grad(f, x, rtol=1e-6, atol=1e-8):
    """``grad(f)`` (eager and under jit) against central differences of ``f`` on arrays."""
    want = _fd_grad(lambda y: float(f(y)), x)
    np.testing.assert_allclose(wire.grad(f)(x), want, rtol=rtol, atol=atol)
    np.testing.assert_allclose(wire.jit(wire.grad(f))(x), want, rtol=rtol, atol=atol)


def _same(got, want, rtol=1e-10, atol=1e-12):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w, rtol, atol)
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- values

A4 = RNG.normal(size=(4, 4))
S4 = _spd(4)
B4 = RNG.normal(size=(4, 2))
T53 = RNG.normal(size=(5, 3))
W35 = RNG.normal(size=(3, 5))

CASES = [  # name, function of the arguments, the arguments
    ("inv", lambda a: wl.inv(a), (A4,)),
    ("det", lambda a: wl.det(a), (A4,)),
    ("solve", lambda a, b: wl.solve(a, b), (A4, B4)),
    ("solve 1-D b", lambda a, b: wl.solve(a, b), (A4, B4[:, 0])),
    ("solve transposed", lambda a, b: wl.solve(a, b, transposed=True), (A4, B4)),
    ("solve sym lower", lambda a, b: wl.solve(np.triu(a, 1) * 7.0 + a, b, assume_a="sym",
                                              lower=True), (S4, B4)),
    ("solve sym upper", lambda a, b: wl.solve(np.tril(a, -1) * 7.0 + a, b, assume_a="sym"),
     (S4, B4)),
    ("solve pos lower", lambda a, b: wl.solve(np.triu(a, 1) * 7.0 + a, b, assume_a="pos",
                                              lower=True), (S4, B4)),
    ("solve her", lambda a, b: wl.solve(a, b, assume_a="her"), (S4, B4)),
    ("solve diagonal", lambda a, b: wl.solve(a, b, assume_a="diagonal"), (np.diag(S4.diagonal()) + 0.0, B4)),
    ("solve upper triangular", lambda a, b: wl.solve(a, b, assume_a="upper triangular"),
     (np.triu(A4) + 4 * np.eye(4), B4)),
    ("solve lower triangular", lambda a, b: wl.solve(a, b, assume_a="lower triangular"),
     (np.tril(A4) + 4 * np.eye(4), B4)),
    ("eigvalsh", lambda a: wl.eigvalsh(a), (S4,)),
    ("eigvalsh upper", lambda a: wl.eigvalsh(a, lower=False), (S4,)),
    ("eigh generalized values", lambda a, b: wl.eigh(a, b, eigvals_only=True), (S4 - 5 * np.eye(4), _spd(4))),
    ("eigh subset", lambda a: wl.eigh(a, subset_by_index=[1, 2], eigvals_only=True), (S4,)),
    ("svdvals", lambda a: wl.svdvals(a), (T53,)),
    ("svd values", lambda a: wl.svd(a, compute_uv=False), (W35,)),
    ("qr r", lambda a: tuple(np.abs(r) for r in wl.qr(a, mode="r")) if isinstance(a, np.ndarray)
     else tuple(wnp.abs(r) for r in wl.qr(a, mode="r")), (T53,)),
    ("norm", lambda a: wl.norm(a), (T53,)),
    ("norm 1", lambda a: wl.norm(a, 1), (T53,)),
    ("norm nuc", lambda a: wl.norm(a, "nuc"), (T53,)),
    ("norm axis", lambda a: wl.norm(a, 3, axis=0), (T53,)),
    ("pinv", lambda a: wl.pinv(a), (T53,)),
    ("pinv rank", lambda a: wl.pinv(np.outer(np.ones(5), [1.0, 2.0, 3.0]) + 0 * a, return_rank=True), (T53,)),
    ("pinvh", lambda a: wl.pinvh(a), (S4,)),
    ("lstsq tall", lambda a, b: wl.lstsq(a, b)[:3], (T53, RNG.normal(size=5))),
    ("lstsq tall 2-D b", lambda a, b: wl.lstsq(a, b)[:3], (T53, RNG.normal(size=(5, 2)))),
    ("lstsq wide", lambda a, b: wl.lstsq(a, b)[:1], (W35, RNG.normal(size=3))),
    ("lu", lambda a: wl.lu(a), (A4,)),
    ("lu tall", lambda a: wl.lu(a), (T53,)),
    ("lu wide permute_l", lambda a: wl.lu(a, permute_l=True), (W35,)),
    ("lu p_indices", lambda a: wl.lu(a, p_indices=True), (A4,)),
    ("lu_factor", lambda a: wl.lu_factor(a), (A4,)),
    ("lu_factor ties", lambda a: wl.lu_factor(a), (np.array([[1.0, 2.0], [-1.0, 3.0]]),)),
    ("lu_factor zero column", lambda a: wl.lu_factor(a), (np.array([[0.0, 2.0], [0.0, 3.0]]),)),
    ("lu_solve", lambda a, b: wl.lu_solve(wl.lu_factor(a), b), (A4, B4)),
    ("lu_solve trans", lambda a, b: wl.lu_solve(wl.lu_factor(a), b, trans=1), (A4, B4)),
    ("block_diag", lambda a, b: wl.block_diag(a, b, 2.0), (A4, T53)),
    ("block_diag 1-D", lambda a: wl.block_diag(a, a[:2, 0]), (A4,)),
    ("toeplitz", lambda c, r: wl.toeplitz(c, r), (RNG.normal(size=4), RNG.normal(size=3))),
    ("toeplitz symmetric", lambda c: wl.toeplitz(c), (RNG.normal(size=4),)),
    ("toeplitz batched", lambda c, r: wl.toeplitz(c, r), (RNG.normal(size=(2, 4)), RNG.normal(size=3))),
    ("circulant", lambda c: wl.circulant(c), (RNG.normal(size=5),)),
    ("hankel", lambda c, r: wl.hankel(c, r), (RNG.normal(size=4), RNG.normal(size=3))),
    ("hankel default", lambda c: wl.hankel(c), (RNG.normal(size=4),)),
    ("companion", lambda a: wl.companion(a), (RNG.normal(size=4),)),
    ("eigvalsh_tridiagonal", lambda d, e: wl.eigvalsh_tridiagonal(d, e), (RNG.normal(size=5), RNG.normal(size=4))),
    ("solve_sylvester", lambda a, b, q: wl.solve_sylvester(a, b, q), (S4, _spd(3), RNG.normal(size=(4, 3)))),
    ("solve_continuous_lyapunov", lambda a, q: wl.solve_continuous_lyapunov(a, q), (A4 - 5 * np.eye(4), S4)),
    ("solve_discrete_lyapunov", lambda a, q: wl.solve_discrete_lyapunov(a, q), (A4 / 4, S4)),
]


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")  # the singular LU case
@pytest.mark.parametrize("name, f, args", CASES, ids=[c[0] for c in CASES])
def test_traced_values_equal_scipys(name, f, args):
    want = f(*args)  # concrete: SciPy itself
    got = wire.jit(f)(*args)
    _same(got, want)
    got_dtypes = [np.asarray(g).dtype for g in (got if isinstance(got, tuple) else (got,))]
    want_dtypes = [np.asarray(w).dtype for w in (want if isinstance(want, tuple) else (want,))]
    assert got_dtypes == want_dtypes


def test_decompositions_reconstruct_their_matrix():
    w, v = wire.jit(lambda a: wl.eigh(a))(S4)
    _same(v @ np.diag(w) @ v.T, S4)
    a, b = S4 - 5 * np.eye(4), _spd(4)
    w, v = wire.jit(lambda a, b: wl.eigh(a, b))(a, b)
    _same(a @ v, b @ v @ np.diag(w))
    _same(v.T @ b @ v, np.eye(4))  # SciPy's normalisation
    u, s, vh = wire.jit(lambda a: wl.svd(a, full_matrices=False))(T53)
    _same(u @ np.diag(s) @ vh, T53)
    q, r = wire.jit(lambda a: wl.qr(a, mode="economic"))(T53)
    _same(q @ r, T53)
    q, r = wire.jit(lambda a: wl.qr(a))(W35)
    _same(q @ r, W35)
    w, vr = wire.jit(lambda a: wl.eig(a))(A4)
    _same(A4 @ vr, vr * w)
    w, v = wire.jit(lambda d, e: wl.eigh_tridiagonal(d, e))(np.arange(4.0), np.ones(3))
    t = np.diag(np.arange(4.0)) + np.diag(np.ones(3), 1) + np.diag(np.ones(3), -1)
    _same(t @ v, v * w)


# --------------------------------------------------------------------------- derivatives

W = RNG.normal(size=(4, 4))


@pytest.mark.parametrize("name, loss", [
    ("inv", lambda a: wnp.sum(wl.inv(a) * W)),
    ("det", lambda a: wl.det(a)),
    ("solve", lambda a: wnp.sum(wl.solve(a, B4) ** 2)),
    ("solve transposed", lambda a: wnp.sum(wl.solve(a, B4, transposed=True) * B4)),
    ("lu", lambda a: wnp.sum(wl.lu(a)[1] * W) + wnp.sum(wl.lu(a)[2] * W.T)),
    ("lu permute_l", lambda a: wnp.sum(wl.lu(a, permute_l=True)[0] * W)),
    ("lu_factor", lambda a: wnp.sum(wl.lu_factor(a)[0] * W)),
    ("lu_solve", lambda a: wnp.sum(wl.lu_solve(wl.lu_factor(a), B4) ** 2)),
    ("lu_solve trans", lambda a: wnp.sum(wl.lu_solve(wl.lu_factor(a), B4, trans=1) * B4)),
    ("svdvals", lambda a: wnp.sum(wl.svdvals(a) ** 3)),
    ("pinv", lambda a: wnp.sum(wl.pinv(a[:, :3]) * W[:3])),
    ("lstsq", lambda a: wnp.sum(wl.lstsq(a[:, :3], B4[:, 0])[0] ** 2) + wl.lstsq(a[:, :3], B4[:, 0])[1]),
    ("norm 2", lambda a: wl.norm(a, 2)),
    ("companion", lambda a: wnp.sum(wl.companion(a[0]) * W[:3, :3])),
    ("toeplitz", lambda a: wnp.sum(wl.toeplitz(a[0], a[1]) * W)),
    ("hankel", lambda a: wnp.sum(wl.hankel(a[0], a[1]) * W)),
    ("circulant", lambda a: wnp.sum(wl.circulant(a[0]) * W)),
    ("block_diag", lambda a: wnp.sum(wl.block_diag(a[:2, :2], a[2:, 1:]) ** 2)),
    ("solve_sylvester", lambda a: wnp.sum(wl.solve_sylvester(a + 4 * np.eye(4), S4[:3, :3], W[:, :3]))),
    ("solve_discrete_lyapunov", lambda a: wnp.sum(wl.solve_discrete_lyapunov(a / 4, S4) * W)),
])
def test_gradients_match_finite_differences(name, loss):
    _check_grad(loss, A4.copy())


@pytest.mark.parametrize("assume_a, lower", [("sym", True), ("sym", False), ("pos", True),
                                             ("pos", False), ("her", True),
                                             ("upper triangular", False),
                                             ("lower triangular", False), ("diagonal", False)])
def test_solve_differentiates_only_what_scipy_reads(assume_a, lower):
    a = S4 + (np.eye(4) * 4 if "triangular" in assume_a else 0)

    def loss(a):
        return wnp.sum(wl.solve(a, B4, assume_a=assume_a, lower=lower) * B4)

    g = wire.grad(loss)(a)
    n = 4
    read = {"sym": np.tril if lower else np.triu, "pos": np.tril if lower else np.triu,
            "her": np.tril if lower else np.triu, "upper triangular": np.triu,
            "lower triangular": np.tril, "diagonal": lambda m: np.diag(np.diag(m))}[assume_a]
    unread = ~read(np.ones((n, n), bool))
    assert np.all(g[unread] == 0.0)
    # the read part matches SciPy's function of it, by finite differences
    fd = _fd_grad(lambda x: float(np.sum(sl.solve(x, B4, assume_a=assume_a, lower=lower) * B4)),
                  a)
    np.testing.assert_allclose(g, np.where(unread, 0.0, fd), rtol=1e-6, atol=1e-8)


def test_eigh_gradients_read_one_triangle_and_match_finite_differences():
    def loss(a, lower):
        w, v = wl.eigh(a, lower=lower)
        return wnp.sum(w * np.arange(1.0, 5.0)) + wnp.sum((v[:, 0] * v[:, 1]) ** 2)

    for lower, keep in ((True, np.tril), (False, np.triu)):
        g = wire.grad(loss)(S4, lower)
        fd = _fd_grad(lambda x: float(loss(keep(x) + keep(x, -1 if lower else 1).T, lower)),
                      S4)
        np.testing.assert_allclose(g, keep(fd), rtol=1e-6, atol=1e-8)
    # the generalized problem: values depend on both matrices
    b = _spd(4)
    gw = wire.grad(lambda b: wnp.sum(wl.eigvalsh(S4 - 5 * np.eye(4), b) ** 2))(b)
    fd = _fd_grad(lambda x: float(np.sum(sl.eigvalsh(S4 - 5 * np.eye(4), np.tril(x) + np.tril(x, -1).T) ** 2)), b)
    np.testing.assert_allclose(gw, np.tril(fd), rtol=1e-6, atol=1e-8)


def test_eigh_tridiagonal_gradients_in_d_and_e():
    d, e = RNG.normal(size=5), RNG.normal(size=4)
    loss = lambda d, e: wnp.sum(wl.eigvalsh_tridiagonal(d, e) ** 3)  # noqa: E731
    gd, ge = wire.grad(loss, argnums=(0, 1))(d, e)
    ref = lambda d, e: float(np.sum(sl.eigvalsh_tridiagonal(d, e) ** 3))  # noqa: E731
    np.testing.assert_allclose(gd, _fd_grad(lambda x: ref(x, e), d), rtol=1e-6)
    np.testing.assert_allclose(ge, _fd_grad(lambda x: ref(d, x), e), rtol=1e-6)


def test_second_derivatives_of_lu_solve_and_solve():
    b = B4[:, 0]
    for f in (lambda a: wnp.sum(wl.lu_solve(wl.lu_factor(a), b) ** 2),
              lambda a: wnp.sum(wl.solve(a, b, assume_a="pos") ** 2)):
        a = S4.copy()
        h = wire.hessian(f)(a)
        g = wire.grad(f)
        fd = np.zeros((4, 4, 4, 4))
        for i in np.ndindex(4, 4):
            e = np.zeros((4, 4))
            e[i] = 1e-5
            fd[i] = (g(a + e) - g(a - e)) / 2e-5
        fd = np.moveaxis(fd, (0, 1), (2, 3))  # hessian's layout: output index first
        np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-7)


def test_lu_pivots_follow_lapack_and_the_derivative_follows_the_rows():
    a = np.array([[1.0, 2.0, 0.0], [4.0, 1.0, 1.0], [-4.0, 0.5, 3.0]])  # a tie in column 0
    lu, piv = wire.jit(wl.lu_factor)(a)
    lu_ref, piv_ref = sl.lu_factor(a)
    _same(lu, lu_ref)
    np.testing.assert_array_equal(piv, piv_ref)
    # away from ties the pivot order is locally constant: the factors are smooth in a
    a = np.array([[1.0, 2.0, 0.0], [4.0, 1.0, 1.0], [-3.0, 0.5, 3.0]])
    _check_grad(lambda a: wnp.sum(wl.lu(a)[2] ** 2) + wnp.sum(wl.lu(a)[1] ** 3), a)


# --------------------------------------------------------------------------- bad input


def test_bad_input_raises_clear_errors():
    with pytest.raises(wire.ShapeError, match=r"solve: a is 4x4 but b has shape \(3,\)"):
        wire.jit(lambda a: wl.solve(a, np.ones(3)))(A4)
    with pytest.raises(wire.WireError, match="unknown assume_a='posdef'"):
        wire.jit(lambda a: wl.solve(a, np.ones(4), assume_a="posdef"))(A4)
    with pytest.raises(wire.WireError, match="mode='economic'"):
        wire.jit(lambda a: wl.qr(a))(T53)
    with pytest.raises(wire.WireError, match="pivoting=True"):
        wire.jit(lambda a: wl.qr(a, pivoting=True))(A4)
    with pytest.raises(wire.ShapeError, match=r"lu: traced values must be an \(m, n\) matrix"):
        wire.jit(wl.lu)(np.ones(3))
    with pytest.raises(wire.ShapeError, match="companion: the polynomial needs at least 2"):
        wire.jit(wl.companion)(np.ones(1))
    with pytest.raises(wire.ShapeError, match=r"solve_sylvester: q must be \(4, 3\)"):
        wire.jit(lambda a: wl.solve_sylvester(a, np.eye(3), np.ones((3, 3))))(A4)


# --------------------------------------------------------------------------- a script


def test_gaussian_process_marginal_likelihood_as_in_an_autograd_script():
    """The negative log marginal likelihood of a GP, written as an autograd user writes it
    (``scipy.linalg.cho_factor``/``cho_solve`` and ``solve`` with ``assume_a="pos"``), with
    its gradient in the log hyperparameters against finite differences and a fit."""
    rng = np.random.default_rng(3)
    xs = np.sort(rng.uniform(0.0, 6.0, 25))
    ys = np.sin(xs) + 0.1 * rng.normal(size=25)

    def kernel(params):
        amp, ell, noise = wnp.exp(params[0]), wnp.exp(params[1]), wnp.exp(params[2])
        d2 = (xs[:, None] - xs[None, :]) ** 2
        return amp * wnp.exp(-0.5 * d2 / ell**2) + (noise + 1e-6) * np.eye(len(xs))

    def nll_cho(params):
        c, low = wl.cho_factor(kernel(params), lower=True)
        alpha = wl.cho_solve((c, low), ys)
        return 0.5 * ys @ alpha + wnp.sum(wnp.log(wnp.diagonal(c)))

    def nll_solve(params):
        K = kernel(params)
        _, logdet = wnp.linalg.slogdet(K)
        return 0.5 * ys @ wl.solve(K, ys, assume_a="pos") + 0.5 * logdet

    p = np.array([0.1, 0.2, np.log(0.05)])
    for nll in (nll_cho, nll_solve):
        _check_grad(nll, p, rtol=1e-5)
    assert float(nll_cho(p)) == pytest.approx(float(nll_solve(p)), rel=1e-10)
    step = wire.jit(wire.value_and_grad(nll_cho))
    start, _ = step(p)
    for _ in range(100):
        value, g = step(p)
        p = p - 0.02 * g
    assert value < start


def test_complex_matrices_match_scipy():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    h = a @ a.conj().T + 4 * np.eye(4)
    b = rng.normal(size=(4, 2)) + 1j * rng.normal(size=(4, 2))
    junk = np.triu(rng.normal(size=(4, 4)), 1)  # in the triangle that is not read
    for kw in (dict(assume_a="her", lower=True), dict(assume_a="pos", lower=True), dict()):
        m = h + junk if kw else h
        _same(wire.jit(lambda x, y: wl.solve(x, y, **kw))(m, b), sl.solve(m, b, **kw))  # noqa: B023
    _same(wire.jit(wl.lu_factor)(a), sl.lu_factor(a))
    _same(wire.jit(lambda x, y: wl.lu_solve(wl.lu_factor(x), y, trans=2))(a, b),
          sl.lu_solve(sl.lu_factor(a), b, trans=2))
    _same(wire.jit(wl.toeplitz)(a[0]), sl.toeplitz(a[0]))
    _same(wire.jit(lambda x: wl.eigvalsh(x, lower=False))(h), sl.eigvalsh(h, lower=False))
    _same(wire.jit(wl.solve_discrete_lyapunov)(a / 5, h), sl.solve_discrete_lyapunov(a / 5, h))
    _same(wire.jit(wl.solve_continuous_lyapunov)(a - 6 * np.eye(4), h),
          sl.solve_continuous_lyapunov(a - 6 * np.eye(4), h))
