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
