"""wire.scipy.sparse.linalg: cg, gmres and bicgstab against SciPy's solvers (the same
solution to tolerance on SPD, nonsymmetric, ill-conditioned and complex systems) and JAX's;
implicit derivatives against finite differences and jax.grad; eager, jit, vmap, grad,
pytrees, and the edge cases (b = 0, 1x1, maxiter=0, non-convergence, NaN, shape mismatch,
float32)."""

import warnings

import numpy as np
import pytest
import scipy.sparse.linalg as ssl

import wire
import wire.numpy as wnp
from finite_differences import fd_grad
from selection import sampled_grid, skip_unless_slow, slow_selected
from wire.scipy.sparse import linalg as L

SOLVERS = {
    "cg": (L.cg, ssl.cg, {}),
    "bicgstab": (L.bicgstab, ssl.bicgstab, {}),
    "gmres-batched": (L.gmres, ssl.gmres, {"solve_method": "batched"}),
    "gmres-incremental": (L.gmres, ssl.gmres, {"solve_method": "incremental"}),
}
GENERAL = ["bicgstab", "gmres-batched", "gmres-incremental"]


def _spd(n, seed=0, cond=None):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eig = np.linspace(1.0, 1.0 if cond is None else cond, n) if cond else rng.uniform(1, 3, n)
    return (q * eig) @ q.T


def _nonsymmetric(n, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n)) + 2 * np.sqrt(n) * np.eye(n)


def _scipy(sfn, a, b, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sfn(a, b, rtol=1e-13, atol=0.0, **kw)[0]


# the ill-conditioned systems take gmres hundreds of restarts: one of them in every run
@pytest.mark.parametrize("system,name", sampled_grid(
    [(system, name) for system in ("spd", "nonsymmetric", "ill-conditioned")
     for name in SOLVERS],
    lambda case: case if case[0] != "ill-conditioned" or not case[1].startswith("gmres")
    else "gmres"))
def test_same_solution_as_scipy(name, system, request):
    skip_unless_slow(request)
    fn, sfn, kw = SOLVERS[name]
    n = 12
    if system == "nonsymmetric" and name == "cg":
        pytest.skip("cg needs a symmetric positive definite A")
    a = {"spd": _spd(n), "nonsymmetric": _nonsymmetric(n),
         "ill-conditioned": _spd(n, cond=1e6)}[system]
    b = np.random.default_rng(2).standard_normal(n)
    extra = {"restart": n} if name.startswith("gmres") else {}
    x, _ = fn(a, b, tol=1e-13, **kw, **extra)
    exact = np.linalg.solve(a, b)
    scale = np.linalg.cond(a) * 1e-13 * np.abs(exact).max() * 10
    assert np.abs(x - exact).max() <= max(scale, 1e-12)
    xs = _scipy(sfn, a, b, **extra)
    assert np.abs(x - xs).max() <= max(scale, 1e-12)


@pytest.mark.parametrize("name", list(SOLVERS))
def test_complex_hermitian_system(name):
    fn, sfn, kw = SOLVERS[name]
    rng = np.random.default_rng(3)
    n = 6
    m = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    a = m @ m.conj().T + n * np.eye(n)              # Hermitian positive definite
    b = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    x, _ = fn(a, b, tol=1e-13, **kw)
    assert x.dtype == np.complex128
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=0, atol=1e-12)
    np.testing.assert_allclose(x, _scipy(sfn, a, b), rtol=0, atol=1e-12)
    # complex A, real b: a complex solution, as SciPy (was an internal dtype error)
    x, _ = fn(a, b.real, tol=1e-13, **kw)
    np.testing.assert_allclose(x, np.linalg.solve(a, b.real), rtol=0, atol=1e-12)
    np.testing.assert_allclose(x, _scipy(sfn, a, b.real), rtol=0, atol=1e-12)
    # the derivative of a complex solve: d/ds Re sum (sA)⁻¹b = -Re sum A⁻¹b at s = 1
    g = wire.grad(lambda s: wnp.real(wnp.sum(fn(lambda v: s * (a @ v), b, tol=1e-13,
                                                **kw)[0])))(1.0)
    assert abs(g + np.real(np.sum(np.linalg.solve(a, b)))) < 1e-9


# JAX imports and compiles each solver for seconds: these run with -m slow
@pytest.mark.slow
@pytest.mark.parametrize("name", list(SOLVERS))
def test_same_as_jax_including_preconditioner_and_x0(name, request):
    if not slow_selected(request.config):
        pytest.skip("runs with -m slow")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.scipy.sparse.linalg as jsl  # noqa: PLC0415  (optional oracle)
    fn, _, kw = SOLVERS[name]
    jfn = {"cg": jsl.cg, "bicgstab": jsl.bicgstab}.get(name, jsl.gmres)
    n = 8
    a = _spd(n, seed=4) if name == "cg" else _nonsymmetric(n, seed=4)
    b = np.random.default_rng(5).standard_normal(n)
    m = np.diag(1 / np.diag(a))
    x0 = np.full(n, 0.1)
    # a few iterations only: the iterates themselves must agree, not just the solution
    x, _ = fn(a, b, x0=x0, M=m, maxiter=3, tol=1e-14, **kw)
    xj, _ = jfn(a, b, x0=x0, M=m, maxiter=3, tol=1e-14, **kw)
    np.testing.assert_allclose(x, np.asarray(xj), rtol=1e-10, atol=1e-12)


def _loss(fn, kw, a, c):
    n = a.shape[0]

    def loss(s, b):
        x, _ = fn(lambda v: (a + s * np.eye(n)) @ v, b, tol=1e-13, **kw)
        return wnp.dot(c, x)
    return loss


@pytest.mark.parametrize("name", list(SOLVERS))
def test_gradients_in_b_and_in_parameters_of_a(name):
    fn, _, kw = SOLVERS[name]
    n = 5
    a = _spd(n, seed=6) if name == "cg" else _nonsymmetric(n, seed=6)
    rng = np.random.default_rng(7)
    b, c = rng.standard_normal(n), rng.standard_normal(n)
    loss = _loss(fn, kw, a, c)
    exact = lambda s, b: c @ np.linalg.solve(a + s * np.eye(n), b)  # noqa: E731
    gs, gb = wire.grad(loss, argnums=(0, 1))(0.3, b)
    fs = fd_grad(lambda s: exact(float(s), b), np.array(0.3))
    assert abs(gs - fs) < 1e-7
    np.testing.assert_allclose(gb, fd_grad(lambda v: exact(0.3, v), b), atol=1e-8)
    # under jit too, and the matrix itself as the differentiated argument
    gj = wire.jit(wire.grad(loss, argnums=(0, 1)))(0.3, b)
    np.testing.assert_allclose(gj[0], gs, atol=1e-12)
    np.testing.assert_allclose(gj[1], gb, atol=1e-12)
    ga = wire.grad(lambda m: wnp.dot(c, fn(m, b, tol=1e-13, **kw)[0]))(a)
    ai = np.linalg.inv(a)
    np.testing.assert_allclose(ga, -np.outer(ai.T @ c, ai @ b), atol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cg", "gmres-batched"])
def test_gradients_match_jax_grad(name, request):
    if not slow_selected(request.config):
        pytest.skip("runs with -m slow")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp  # noqa: PLC0415  (optional oracle)
    import jax.scipy.sparse.linalg as jsl  # noqa: PLC0415
    fn, _, kw = SOLVERS[name]
    jfn = jsl.cg if name == "cg" else jsl.gmres
    n = 5
    a = _spd(n, seed=8) if name == "cg" else _nonsymmetric(n, seed=8)
    rng = np.random.default_rng(9)
    b, c = rng.standard_normal(n), rng.standard_normal(n)
    g = wire.grad(lambda m, b: wnp.dot(c, fn(m, b, tol=1e-12, **kw)[0]), argnums=(0, 1))(a, b)
    gj = jax.grad(lambda m, b: jnp.dot(c, jfn(m, b, tol=1e-12, **kw)[0]), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(g[0], np.asarray(gj[0]), atol=1e-9)
    np.testing.assert_allclose(g[1], np.asarray(gj[1]), atol=1e-9)


@pytest.mark.parametrize("name", list(SOLVERS))
def test_vmap_jacfwd_and_pytrees(name):
    fn, _, kw = SOLVERS[name]
    n = 4
    a = _spd(n, seed=10) if name == "cg" else _nonsymmetric(n, seed=10)
    bs = np.random.default_rng(11).standard_normal((3, n))
    xs = wire.vmap(lambda b: fn(a, b, tol=1e-13, **kw)[0])(bs)
    np.testing.assert_allclose(xs, np.linalg.solve(a, bs.T).T, atol=1e-12)
    jac = wire.jacfwd(lambda b: fn(a, b, tol=1e-13, **kw)[0])(bs[0])
    np.testing.assert_allclose(jac, np.linalg.inv(a), atol=1e-11)

    def matvec(t):   # A acting on a dict of two pieces of the vector
        w = a @ wnp.concatenate([t["u"], t["v"]])
        return {"u": w[:1], "v": w[1:]}
    x, _ = fn(matvec, {"u": bs[0, :1], "v": bs[0, 1:]}, tol=1e-13, **kw)
    np.testing.assert_allclose(np.concatenate([x["u"], x["v"]]),
                               np.linalg.solve(a, bs[0]), atol=1e-12)


@pytest.mark.parametrize("name", list(SOLVERS))
def test_edge_cases(name):
    fn, sfn, kw = SOLVERS[name]
    a = _spd(4, seed=12)
    b = np.array([1.0, -2.0, 0.5, 3.0])
    x, _ = fn(a, np.zeros(4), **kw)                     # b = 0: x = 0 at once
    np.testing.assert_array_equal(x, np.zeros(4))
    x, _ = fn(np.array([[2.0]]), np.array([3.0]), **kw)  # 1x1
    np.testing.assert_allclose(x, [1.5], rtol=1e-14)
    x, _ = fn(a, b, x0=np.ones(4), maxiter=0, **kw)    # maxiter=0: x0 back
    np.testing.assert_array_equal(x, np.ones(4))
    for bad in (np.nan, np.inf):                       # NaN like SciPy (JAX returns 0)
        x, info = fn(a, np.array([bad, 1.0, 2.0, 3.0]), **kw)
        assert np.isnan(x).all(), x
        assert np.isnan(_scipy(sfn, a, np.array([bad, 1.0, 2.0, 3.0]))).all()
        if name.startswith("gmres"):
            assert int(info) == -1
    x32, _ = fn(a.astype(np.float32), b.astype(np.float32), **kw)
    assert x32.dtype == np.float32
    np.testing.assert_allclose(x32, np.linalg.solve(a, b), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(fn(a, np.array([1, 2, 3, 4]), tol=1e-13, **kw)[0],
                               np.linalg.solve(a, [1.0, 2.0, 3.0, 4.0]), atol=1e-12)


@pytest.mark.parametrize("name", list(SOLVERS))
def test_non_convergence_returns_the_last_iterate(name):
    fn, _, kw = SOLVERS[name]
    a = _spd(30, seed=13, cond=1e4)
    b = np.random.default_rng(14).standard_normal(30)
    extra = {"restart": 2} if name.startswith("gmres") else {}
    x1, info = fn(a, b, maxiter=1, tol=1e-14, **kw, **extra)
    x2, _ = fn(a, b, maxiter=2, tol=1e-14, **kw, **extra)
    r1, r2 = np.linalg.norm(a @ x1 - b), np.linalg.norm(a @ x2 - b)
    assert np.isfinite(x1).all() and r1 > 1e-6 * np.linalg.norm(b)   # not converged,
    assert not np.allclose(x1, x2)                                  # an iterate, not x0
    assert info is None or int(info) == 0                           # as JAX: no report


@pytest.mark.parametrize("name", list(SOLVERS))
def test_shape_mismatch_names_both(name):
    fn, _, kw = SOLVERS[name]
    b = np.ones(4)
    with pytest.raises(wire.ShapeError, match=r"shape \(4,\).*shape \(2,\)"):
        fn(lambda v: v[:2], b, **kw)
    with pytest.raises(wire.ShapeError, match=r"structure"):
        fn(lambda v: {"a": v}, b, **kw)
    with pytest.raises(wire.ShapeError, match=r"x0 \(shape \(3,\)\) and b \(shape \(4,\)\)"):
        fn(np.eye(4), b, x0=np.zeros(3), **kw)
    with pytest.raises(wire.ShapeError, match=r"square matrix.*\(3, 4\)"):
        fn(np.ones((3, 4)), b, **kw)
    with pytest.raises(wire.ShapeError, match="preconditioner M"):
        fn(np.eye(4), b, M=lambda v: v[:3], **kw)
    with pytest.raises(wire.WireError):
        fn(np.eye(3), b, **kw)
    with pytest.raises(wire.ShapeError, match="A is a matrix, so b must be one array"):
        fn(np.eye(2), [1.0, 2.0], **kw)                # a list is a pytree of two scalars


def test_gmres_argument_errors():
    with pytest.raises(wire.WireError, match="solve_method"):
        L.gmres(np.eye(2), np.ones(2), solve_method="qr")
    with pytest.raises(wire.WireError, match="restart"):
        L.gmres(np.eye(2), np.ones(2), restart=0)


@pytest.mark.parametrize("name", sampled_grid(
    [(name,) for name in SOLVERS], lambda case: case[0][:5]))   # one gmres in every run
def test_tiny_and_huge_right_hand_sides(name, request):
    """The loops compare squared norms: unscaled, |b| = 1e-170 underflows and the solver
    returned x0 = 0 at once (SciPy returns b itself), |b| = 1e160 overflowed to NaN."""
    skip_unless_slow(request)
    fn, _, kw = SOLVERS[name]
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    for scale in (1e-300, 1e-170, 1e160, 1e300):
        b = np.array([1.0, 2.0]) * scale
        x, _ = fn(a, b, tol=1e-12, **kw)
        np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-12)
    g = wire.grad(lambda b: wnp.sum(fn(a, b, tol=1e-12, **kw)[0]) * 1e170)(
        np.array([1e-170, 2e-170]))
    np.testing.assert_allclose(g, np.linalg.solve(a.T, np.ones(2)) * 1e170, rtol=1e-12)
