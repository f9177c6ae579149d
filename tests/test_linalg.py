"""Derivatives of ``wire.numpy.linalg`` at the points where the textbook rules break down:
tied eigenvalues, singular matrices, complex inputs, the general eigenproblem, and the special
inputs every function must handle (identity, 1×1, empty, batched stacks, float32, jit, vmap).

Oracles: closed forms, NumPy values, central differences of gauge-invariant functions
(``wire.testing.check_grads``), and JAX where it is installed.
"""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.testing import check_grads

la = wnp.linalg
RNG = np.random.default_rng(7)


def rot(n, seed=0):
    """A random orthogonal matrix."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return q


def with_spectrum(w, seed=0):
    """The symmetric matrix Q diag(w) Qᵀ (ties in ``w`` become rounding-level near-ties)."""
    q = rot(len(w), seed)
    return (q * np.asarray(w, float)) @ q.T


def jax_or_skip():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


# --------------------------------------------------------------------------- eigh at ties


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eigh_gradient_of_spectral_sums_is_exact_at_the_identity(dtype):
    eye = np.eye(3, dtype=dtype)
    g = wire.grad(lambda a: wnp.sum(la.eigvalsh(a)))(eye)
    assert g.dtype == dtype
    np.testing.assert_array_equal(g, np.eye(3))  # d trace = I
    g = wire.grad(lambda a: wnp.sum(la.eigh(a)[0] ** 2))(2 * eye)
    np.testing.assert_array_equal(g, 4 * np.eye(3))  # d tr(A²) = 2A (lower triangle read)
    g = wire.grad(lambda a: wnp.sum(wnp.log(la.eigvalsh(a))))(2 * eye)
    np.testing.assert_allclose(g, 0.5 * np.eye(3), rtol=1e-6)  # d logdet = A⁻¹


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eigh_gradient_at_rounding_level_near_ties_is_finite_and_exact(dtype):
    # Q diag(1, 1, 3) Qᵀ: LAPACK returns the double eigenvalue as two values an ulp apart,
    # where 1 / (λ2 - λ1) used to overflow to inf in float32.
    a = with_spectrum([1.0, 1.0, 3.0]).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    g = wire.grad(lambda a: wnp.sum(la.eigvalsh(a) ** 3))(a)
    assert g.dtype == dtype and np.all(np.isfinite(g))
    # d tr(A³) = 3 (A²)ᵀ, read on the lower triangle (off-diagonal entries count twice)
    a64 = a.astype(np.float64)
    want = 3 * (a64 @ a64).T
    want = np.tril(want) + np.tril(want.T, -1)
    np.testing.assert_allclose(g, want, rtol=tol, atol=tol * 30)


def test_eigh_projector_onto_a_separate_eigenvalue_is_exact_beside_a_tied_cluster():
    a = with_spectrum([1.0, 1.0, 3.0], seed=3)
    gm = RNG.normal(size=(3, 3))

    def top_projector(a):
        v = la.eigh(a)[1][:, 2]
        return wnp.sum(gm * wnp.outer(v, v))

    check_grads(top_projector, (a,), order=1, rtol=1e-5)


def test_eigh_derivatives_that_need_the_tied_eigenvectors_are_nan_not_wrong():
    def sqrtm_sum(a):  # a matrix function V f(Λ) Vᵀ: its derivative needs f'' at the tie
        w, v = la.eigh(a)
        return wnp.sum((v * wnp.sqrt(w)) @ v.T)

    g = wire.grad(sqrtm_sum)(np.eye(3))
    assert np.isnan(g).any()
    _, tangents = wire.jvp(lambda a: la.eigh(a)[1], (np.eye(2),), (np.array([[0, 1.0], [1, 0]]),))
    assert np.isnan(tangents).all()
    # away from the tie the same function is differentiable and checked
    check_grads(sqrtm_sum, (with_spectrum([1.0, 2.0, 3.5]),), order=2, rtol=1e-5)


def test_eigh_ties_batched_jit_and_vmap():
    a = np.stack([np.eye(3), np.diag([1.0, 2.0, 2.0]), with_spectrum([0.5, 4.0, 4.0])])

    def f(a):
        return wnp.sum(la.eigvalsh(a) ** 2)

    want = 2 * np.tril(a) * (2 - np.eye(3))  # d tr(A²) on the lower triangle
    np.testing.assert_allclose(wire.grad(f)(a), want, atol=1e-12)
    np.testing.assert_allclose(wire.jit(wire.grad(f))(a), want, atol=1e-12)
    np.testing.assert_allclose(wire.vmap(wire.grad(f))(a), want, atol=1e-12)


@pytest.mark.slow
def test_eigh_ties_against_jax():
    jax = jax_or_skip()
    jnp = jax.numpy
    for a in (np.eye(4), np.diag([1.0, 1.0, 2.0, 2.0])):
        for f, jf in (
            (lambda a: wnp.sum(la.eigvalsh(a)), lambda a: jnp.sum(jnp.linalg.eigvalsh(a))),
            (lambda a: wnp.sum(wnp.exp(la.eigvalsh(a))),
             lambda a: jnp.sum(jnp.exp(jnp.linalg.eigvalsh(a)))),
        ):
            ours = wire.grad(f)(a)
            theirs = np.asarray(jax.grad(jf)(a))
            # JAX symmetrizes (a + aᵀ)/2 where NumPy and wire read the lower triangle
            lower = np.tril(2 * theirs) - np.diag(np.diag(theirs))
            np.testing.assert_allclose(ours, lower, atol=1e-12)


# --------------------------------------------------------------------------- complex inputs


def cn(*shape, seed=None):
    rng = RNG if seed is None else np.random.default_rng(seed)
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


def hermitian(b):
    """A Hermitian positive-definite matrix from any square ``b`` (works on tracers too)."""
    n = b.shape[-1]
    return b @ wnp.conj(wnp.swapaxes(b, -1, -2)) + n * np.eye(n)


def _svd_invariants(a):
    """Functions of the SVD that do not depend on the phase of each singular pair."""
    u, s, vh = la.svd(a, full_matrices=False)
    return (u * s[..., None, :]) @ vh, s, wnp.abs(u) ** 2, u[..., 0, :] * vh[..., :, 0]


def _eigh_invariants(a):
    w, v = la.eigh(a)
    return w, wnp.abs(v) ** 2 @ w, (v * wnp.exp(0.1 * w)[..., None, :]) @ wnp.conj(v.T)


COMPLEX_CASES = [
    ("eigh", _eigh_invariants, lambda: (hermitian(cn(3, 3)),)),
    ("eigvalsh", la.eigvalsh, lambda: (hermitian(cn(3, 3)),)),
    ("cholesky", la.cholesky, lambda: (hermitian(cn(3, 3)),)),
    ("cholesky_upper", lambda a: la.cholesky(a, upper=True), lambda: (hermitian(cn(3, 3)),)),
    ("qr_square", lambda a: tuple(la.qr(a)), lambda: (cn(3, 3),)),
    ("qr_tall", lambda a: tuple(la.qr(a)), lambda: (cn(4, 2),)),
    ("svd_square", _svd_invariants, lambda: (cn(3, 3),)),
    ("svd_tall", _svd_invariants, lambda: (cn(4, 2),)),
    ("svd_wide", _svd_invariants, lambda: (cn(2, 4),)),
    ("inv", la.inv, lambda: (cn(3, 3),)),
    ("det", la.det, lambda: (cn(3, 3),)),
    ("slogdet", lambda a: tuple(la.slogdet(a)), lambda: (cn(3, 3),)),
    ("solve", la.solve, lambda: (cn(3, 3), cn(3))),
    ("pinv", la.pinv, lambda: (cn(4, 3),)),
    ("lstsq", lambda a, b: la.lstsq(a, b)[:2], lambda: (cn(5, 3), cn(5))),
    ("norms", lambda a: tuple(la.norm(a, o) for o in (None, "nuc", 2, -2, 1, np.inf)),
     lambda: (cn(3, 3),)),
    ("vector_norms", lambda a: tuple(la.norm(a, o) for o in (None, 1, 3, np.inf)),
     lambda: (cn(4),)),
    ("cond", la.cond, lambda: (cn(3, 3),)),
    ("matrix_power", lambda a: la.matrix_power(a, -2), lambda: (cn(3, 3) + 3 * np.eye(3),)),
]


@pytest.mark.parametrize("name,fn,make", COMPLEX_CASES, ids=[c[0] for c in COMPLEX_CASES])
def test_complex_inputs_match_numpy_and_finite_differences(name, fn, make):
    args = make()
    if name == "eigh":
        np.testing.assert_allclose(np.asarray(traced(fn, *args)[0]), np.linalg.eigvalsh(args[0]))
    else:
        want = fn(*args)  # concrete inputs run NumPy itself
        got = traced(fn, *args)
        for g, w in zip(_leaves(got), _leaves(want)):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)
    check_grads(fn, args, order=2 if name in ("eigh", "svd_square", "qr_tall") else 1,
                rtol=1e-5, atol=1e-6)


def traced(fn, *args):
    """``fn`` evaluated through a trace (so through wire's primitives, not NumPy)."""
    return wire.jit(fn)(*args)


def _leaves(x):
    return list(x) if isinstance(x, tuple) else [x]


def test_complex64_stays_complex64():
    a = hermitian(cn(3, 3)).astype(np.complex64)
    for f in (lambda a: wnp.sum(la.eigvalsh(a)), lambda a: wnp.sum(wnp.abs(la.cholesky(a)) ** 2),
              lambda a: wnp.sum(la.svd(a, compute_uv=False)),
              lambda a: wnp.sum(wnp.abs(la.qr(a)[1]) ** 2)):
        g = wire.grad(f)(a)
        assert g.dtype == np.complex64


def test_complex_shape_rules_agree_with_the_implementations():
    from wire.ops import linalg_ext as LX

    a = hermitian(cn(3, 3))
    for prim in (LX.solve_p, LX.inv_p, LX.det_p, LX.slogdet_p, LX.cholesky_p, LX.eigh_p,
                 LX.svd_p, LX.qr_p):
        args = [a, cn(3, 2)] if prim is LX.solve_p else [a]
        out = prim.impl(*args)
        avals = prim.shape(*[wire.ir.aval_of(x) for x in args])
        for o, av in zip(_leaves(out), _leaves(avals)):
            assert (np.shape(o), np.asarray(o).dtype) == (av.shape, av.dtype), prim.name


@pytest.mark.slow
def test_complex_gradients_against_jax():
    jax = jax_or_skip()
    jnp = jax.numpy
    b = cn(3, 3, seed=5)
    tall = cn(4, 3, seed=6)
    cases = [
        (lambda b: wnp.sum(la.eigvalsh(hermitian(b)) ** 2),
         lambda b: jnp.sum(jnp.linalg.eigvalsh(b @ b.conj().T + 3 * jnp.eye(3)) ** 2), b),
        (lambda b: wnp.sum(wnp.abs(la.eigh(hermitian(b))[1][0]) ** 2 * wnp.arange(3.0)),
         lambda b: jnp.sum(jnp.abs(jnp.linalg.eigh(b @ b.conj().T + 3 * jnp.eye(3))[1][0]) ** 2
                           * jnp.arange(3.0)), b),
        (lambda b: wnp.sum(wnp.abs(la.cholesky(hermitian(b)) - 1j) ** 2),
         lambda b: jnp.sum(jnp.abs(jnp.linalg.cholesky(b @ b.conj().T + 3 * jnp.eye(3)) - 1j)
                           ** 2), b),
        (lambda a: wnp.sum(la.svd(a, compute_uv=False) ** 3),
         lambda a: jnp.sum(jnp.linalg.svd(a, compute_uv=False) ** 3), tall),
        (lambda a: wnp.sum(wnp.abs(la.qr(a)[1] + 0.5) ** 2),
         lambda a: jnp.sum(jnp.abs(jnp.linalg.qr(a)[1] + 0.5) ** 2), tall),
        (lambda a: wnp.real(la.det(a) * (1 + 2j)), lambda a: jnp.real(jnp.linalg.det(a) * (1 + 2j)),
         b),
        (lambda a: wnp.real(wnp.sum(la.pinv(a))), lambda a: jnp.real(jnp.sum(jnp.linalg.pinv(a))),
         tall),
    ]
    for f, jf, x in cases:
        np.testing.assert_allclose(wire.grad(f)(x), np.asarray(jax.grad(jf)(x)), rtol=1e-9,
                                   atol=1e-10)
