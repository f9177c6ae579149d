"""Derivatives of ``wire.numpy.linalg`` at the points where the textbook rules break down:
tied eigenvalues, singular matrices, complex inputs, the general eigenproblem, and the special
inputs every function must handle (identity, 1×1, empty, batched stacks, float32, jit, vmap).

Oracles: closed forms, NumPy values, central differences of gauge-invariant functions
(``wire.testing.check_grads``), and JAX where it is installed.
"""

import itertools
import math
from fractions import Fraction
from functools import partial

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.testing import check_grads

from selection import slow_selected

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


def test_eigh_derivatives_that_need_the_tied_eigenvectors_are_nan_not_wrong():
    def sqrtm_sum(a):  # a matrix function V f(Λ) Vᵀ: its derivative needs f'' at the tie
        w, v = la.eigh(a)
        return wnp.sum((v * wnp.sqrt(w)) @ v.T)

    g = wire.grad(sqrtm_sum)(np.eye(3))
    assert np.isnan(g).any()
    # stationary in LAPACK's basis (the coupling numerator is 0) but discontinuous at the tie
    weights = np.arange(9.0).reshape(3, 3)
    g = wire.grad(lambda a: wnp.sum(la.eigh(a)[1] ** 2 * weights))(np.eye(3))
    assert np.isnan(g).any()
    # V diag(λ) Vᵀ = A is smooth, but at a repeated zero eigenvalue the cotangent of the tied
    # eigenvectors vanishes at the point only: the coupling still matters, so NaN, not a
    # gradient that misses it
    low_rank = with_spectrum([0.0, 0.0, 2.0])

    def rebuilt(a):
        w, v = la.eigh(a)
        return wnp.sum(((v * w) @ v.T) * weights)

    assert np.isnan(wire.grad(rebuilt)(low_rank)).any()
    check_grads(rebuilt, (with_spectrum([0.0, 1.0, 2.0]),), order=1)
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
    ("qr_wide", lambda a: tuple(la.qr(a)), lambda: (cn(2, 4),)),
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
    from wire.ops import factorizations as LX

    a = hermitian(cn(3, 3))
    for prim in (LX.solve_p, LX.inv_p, LX.det_p, LX.slogdet_p, LX.cholesky_p, LX.eigh_p,
                 LX.svd_p, LX.qr_p):
        args = [a, cn(3, 2)] if prim is LX.solve_p else [a]
        out = prim.impl(*args)
        avals = prim.shape(*[wire.ir.aval_of(x) for x in args])
        for o, av in zip(_leaves(out), _leaves(avals)):
            assert (np.shape(o), np.asarray(o).dtype) == (av.shape, av.dtype), prim.name


# --------------------------------------------------------------------------- det at singular a


def cofactors(a):
    """The cofactor matrix from its definition (signed minors), with NumPy."""
    n = a.shape[-1]
    if n == 1:
        return np.ones_like(a)
    c = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, -2), j, -1)
            c[..., i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return c


SINGULAR = {
    "rank2": np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]),
    "rank1": np.outer([1.0, 2, 3], [1.0, -1, 2]),
    "zero": np.zeros((3, 3)),
    "rank3_of_4": with_spectrum([0.0, 1.0, 2.0, -3.0], seed=2),
    "zero_2x2": np.zeros((2, 2)),
    "identity": np.eye(3),
    "ties": np.diag([2.0, 2.0, 0.0]),
}


@pytest.mark.parametrize("name", SINGULAR)
def test_det_gradient_is_the_cofactor_matrix(name):
    a = SINGULAR[name]
    g = wire.grad(la.det)(a)
    np.testing.assert_allclose(g, cofactors(a), atol=1e-12)
    check_grads(la.det, (a,), order=2)  # the Hessian too (det is a polynomial: exact FD)


def test_det_hessian_at_singular_matrices_is_the_derivative_of_the_cofactors():
    for name in ("rank2", "rank1", "zero"):  # 3×3: cofactors are quadratic, so FD is exact
        a = SINGULAR[name]
        h = wire.hessian(la.det)(a)
        eps = 1e-3
        fd = np.empty((3, 3, 3, 3))
        for k in range(3):
            for l in range(3):
                e = np.zeros((3, 3))
                e[k, l] = eps
                fd[:, :, k, l] = (cofactors(a + e) - cofactors(a - e)) / (2 * eps)
        np.testing.assert_allclose(h, fd, atol=1e-9)


def test_det_special_shapes_dtypes_and_transforms():
    assert wire.grad(la.det)(np.zeros((1, 1))).tolist() == [[1.0]]
    assert wire.grad(lambda a: wnp.sum(la.det(a)))(np.zeros((2, 0, 0))).shape == (2, 0, 0)
    stack = np.stack([SINGULAR["rank2"], SINGULAR["rank1"], SINGULAR["zero"], rot(3)])
    want = np.stack([cofactors(m) for m in stack])

    def total(a):
        return wnp.sum(la.det(a))

    np.testing.assert_allclose(wire.grad(total)(stack), want, atol=1e-12)
    np.testing.assert_allclose(wire.jit(wire.grad(total))(stack), want, atol=1e-12)
    np.testing.assert_allclose(wire.vmap(wire.grad(la.det))(stack), want, atol=1e-12)
    g32 = wire.grad(la.det)(SINGULAR["rank2"].astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, cofactors(SINGULAR["rank2"]), atol=1e-4)
    az = SINGULAR["rank2"] * (1 + 1j) + 1j * np.outer([1.0, 2, 3], [0.5, 0, 1])
    assert abs(np.linalg.det(az)) < 1e-12
    gz = wire.grad(lambda a: wnp.real(la.det(a)))(az)  # holomorphic: d/da Re det = adj(a)ᵀ
    np.testing.assert_allclose(gz, cofactors(az), atol=1e-12)
    assert np.abs(cofactors(az)).min() > 0.1


def test_slogdet_gradient_at_singular_matrices_is_a_pole_not_an_error():
    a = SINGULAR["rank2"]
    g = wire.grad(lambda a: la.slogdet(a).logabsdet)(a)
    np.testing.assert_array_equal(g, np.sign(cofactors(a)) * np.inf)
    g = wire.grad(lambda a: la.slogdet(a).logabsdet)(np.diag([1.0, 0.0]))
    np.testing.assert_array_equal(np.isnan(g), [[True, True], [True, False]])  # 0/0 and 1/0
    assert g[1, 1] == np.inf
    stack = np.stack([a, 2 * np.eye(3)])  # one singular member does not spoil the others
    g = wire.grad(lambda a: wnp.sum(la.slogdet(a).logabsdet))(stack)
    np.testing.assert_allclose(g[1], 0.5 * np.eye(3))
    # where defined: inv(a)ᵀ, to first and second order, real and complex
    check_grads(lambda a: la.slogdet(a).logabsdet, (rot(3) + 0.1,), order=2)
    check_grads(lambda a: tuple(la.slogdet(a)), (cn(3, 3),), order=2)


# --------------------------------------------------------------------------- det to every order
# det is a polynomial, so every derivative exists everywhere. The oracle is exact rational
# arithmetic: D^k det(a)[h_1, …, h_k] is the sum, over ordered choices of k distinct columns
# c_i, of det(a with column c_i taken from h_i) — "determinants with k columns replaced".


def exact_det(rows):
    """det of a square matrix of Fractions (Gaussian elimination, no rounding)."""
    m, det = [list(r) for r in rows], Fraction(1)
    for c in range(len(m)):
        p = next((r for r in range(c, len(m)) if m[r][c] != 0), None)
        if p is None:
            return Fraction(0)
        if p != c:
            m[c], m[p], det = m[p], m[c], -det
        det *= m[c][c]
        for r in range(c + 1, len(m)):
            f = m[r][c] / m[c][c]
            m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return det


def det_derivative(a, dirs):
    """D^k det(a)[dirs] exactly (a Fraction), from column replacements."""
    n = a.shape[-1]
    exact = [[Fraction(float(x)) for x in row] for row in a]
    total = Fraction(0)
    for cols in itertools.permutations(range(n), len(dirs)):
        m = [row[:] for row in exact]
        for h, c in zip(dirs, cols):
            for r in range(n):
                m[r][c] = Fraction(float(h[r, c]))
        total += exact_det(m)
    return total


def exact_cofactors(a):
    n = a.shape[-1]
    unit = [np.eye(1, n * n, i * n + j).reshape(n, n) for i in range(n) for j in range(n)]
    return np.array([float(det_derivative(a, [e])) for e in unit]).reshape(n, n)


EVERY_ORDER = {
    "identity": np.eye(3),
    "identity_4x4": np.eye(4),
    "minus_identity": -np.eye(3),
    "orthogonal": rot(3),
    "scaled_orthogonal": 2.5 * rot(4, seed=1),
    "permutation": np.eye(3)[[1, 2, 0]],
    "diagonal_ties": np.diag([2.0, 2.0, 1.0]),
    "diagonal_ties_and_zeros": np.diag([0.0, 3.0, 3.0, 0.0]),
    "rank_n-1": SINGULAR["rank2"],
    "rank_n-2": SINGULAR["rank1"],
    "rank_n-2_4x4": np.outer([1.0, 2, 0, 1], [1.0, 0, 1, 2]) + np.outer([0.0, 1, 1, 1], [2.0, 1, 0, 0]),
    "zero": np.zeros((3, 3)),
    "zero_4x4": np.zeros((4, 4)),
    "identity_2x2": np.eye(2),
    "zero_2x2": np.zeros((2, 2)),
    "one_1x1": np.ones((1, 1)),
    "zero_1x1": np.zeros((1, 1)),
    "empty": np.zeros((0, 0)),
}


def _directional_derivatives(f, order):
    out, d = [], f
    for _ in range(order):
        d = wire.grad(d)
        out.append(float(d(0.0)))
    return out


@pytest.mark.parametrize("name", EVERY_ORDER)
def test_det_derivatives_of_every_order_are_exact(name):
    a = EVERY_ORDER[name]
    n = a.shape[-1]
    v = np.round(np.random.default_rng(n).normal(size=a.shape), 2)
    got = _directional_derivatives(lambda t: la.det(a + t * v), n + 1)  # past the degree: 0
    want = [float(det_derivative(a, [v] * k)) for k in range(1, n + 2)]
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", [k for k, a in EVERY_ORDER.items() if 0 < a.shape[-1] <= 3])
def test_det_hessian_and_third_derivative_are_the_column_replacement_sums(name):
    a = EVERY_ORDER[name]
    n = a.shape[-1]
    unit = [np.eye(1, n * n, i).reshape(n, n) for i in range(n * n)]
    want = np.array([[float(det_derivative(a, [e, f])) for f in unit] for e in unit])
    want = want.reshape(n, n, n, n)
    for hess in (wire.hessian(la.det), wire.jacfwd(wire.jacfwd(la.det)),
                 wire.jit(wire.jacrev(wire.grad(la.det)))):
        np.testing.assert_allclose(hess(a), want, rtol=1e-12, atol=1e-12)
    h, k, l = np.round(RNG.normal(size=(3, n, n)), 2)

    def d2(x):
        return wire.jvp(lambda y: wire.jvp(la.det, (y,), (h,))[1], (x,), (k,))[1]

    third = wire.jvp(d2, (a,), (l,))[1]  # forward over forward over forward
    assert abs(float(third) - float(det_derivative(a, [h, k, l]))) < 1e-12
    want3 = np.array([float(det_derivative(a, [h, k, e])) for e in unit]).reshape(n, n)
    np.testing.assert_allclose(wire.grad(d2)(a), want3, atol=1e-12)  # reverse over forward

    def rev2(x):  # reverse over reverse: D² det(x)[h, k]
        return wnp.sum(wire.grad(lambda y: wnp.sum(wire.grad(la.det)(y) * h))(x) * k)

    np.testing.assert_allclose(wire.grad(rev2)(a), want3, atol=1e-12)
    fourth = wire.grad(lambda x: wnp.sum(wire.grad(rev2)(x) * l))(a)  # det has degree n <= 3
    assert np.array_equal(fourth, np.zeros((n, n)))


def test_det_derivatives_batched_float32_complex_and_nan():
    points = [EVERY_ORDER[k] for k in ("identity", "orthogonal", "diagonal_ties", "rank_n-1",
                                       "rank_n-2", "zero")]
    stack = np.stack(points)
    v = np.round(RNG.normal(size=(3, 3)), 2)  # one direction for the whole stack
    got = _directional_derivatives(lambda t: wnp.sum(la.det(stack + t * v)), 3)
    want = [sum(float(det_derivative(p, [v] * k)) for p in points) for k in (1, 2, 3)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    hs = wire.vmap(wire.hessian(la.det))(stack)
    for p, h in zip(points, hs):
        np.testing.assert_allclose(h, wire.hessian(la.det)(p), rtol=0, atol=1e-15)

    for name in ("identity", "rank_n-2", "zero"):  # float32 stays float32, same numbers
        a32, v32 = EVERY_ORDER[name].astype(np.float32), v.astype(np.float32)
        d = wire.grad(wire.grad(wire.grad(lambda t, a=a32, v=v32: la.det(a + t * v))))(
            np.float32(0))
        assert np.asarray(d).dtype == np.float32
        np.testing.assert_allclose(d, 6 * np.linalg.det(v), rtol=1e-5)
        h32 = wire.hessian(la.det)(a32)
        assert h32.dtype == np.float32
        np.testing.assert_allclose(h32, wire.hessian(la.det)(EVERY_ORDER[name]), atol=1e-5)

    # complex (holomorphic): d^k/dt^k det(a + t v) along a complex v, at a scaled unitary
    # matrix and at a complex rank-1 one, against column replacements with NumPy's det
    vz = cn(3, 3, seed=3)
    for az in ((1 + 1j) * rot(3), np.outer([1, 1j, 2], [1j, 1, -1])):
        for part in (wnp.real, wnp.imag):
            got = _directional_derivatives(lambda t, p=part, a=az: p(la.det(a + t * vz)), 3)
            want = [replaced_columns_det(az, [vz] * k) for k in (1, 2, 3)]
            np.testing.assert_allclose(got, getattr(np, part.__name__)(want), atol=1e-12)

    bad = np.array([[1.0, np.nan, 0], [0, 1, 0], [0, 0, 1]])
    with np.errstate(invalid="ignore"):
        assert np.isnan(wire.grad(la.det)(bad)).all()  # not LinAlgError
        assert np.isnan(wire.hessian(la.det)(bad)).all()


def replaced_columns_det(a, dirs):
    """D^k det(a)[dirs] with NumPy's det (complex input)."""
    total = 0
    for cols in itertools.permutations(range(a.shape[-1]), len(dirs)):
        m = a.astype(complex)
        for h, c in zip(dirs, cols):
            m[:, c] = h[:, c]
        total += np.linalg.det(m)
    return total


def test_adjugate_values_match_exact_cofactors():
    # the gradient of det (the cofactor matrix) against exact rational cofactors of the same
    # float matrix: errors within a few ulps of the natural scale σ₁^(n-1), the accuracy of
    # a backward-stable method (random, ill-conditioned, rank-deficient and badly scaled a)
    hilbert = 1.0 / (np.arange(6)[:, None] + np.arange(6) + 1)  # cond ~ 1.5e7
    rng = np.random.default_rng(5)
    for a in (rng.normal(size=(5, 5)), hilbert, rng.normal(size=(5, 3)) @ rng.normal(size=(3, 5)),
              rng.normal(size=(4, 4)) * np.array([1e3, 1.0, 1e-3, 1.0])[:, None]):
        n, want = a.shape[-1], exact_cofactors(a)
        bound = 2 * n * np.finfo(float).eps * np.linalg.norm(a, 2) ** (n - 1)
        err = np.abs(wire.grad(la.det)(a) - want).max()
        assert err <= bound, (err, bound)
        assert la.det(wnp.asarray(a)) == np.linalg.det(a)  # det itself is NumPy's


def test_adjugate_primitive_on_other_backends_and_after_save(tmp_path):
    from wire.ops.factorizations import adjugate, adjugate_jet

    strict = pytest.importorskip("array_api_strict")
    for name in ("identity", "diagonal_ties_and_zeros", "rank_n-2", "zero", "zero_2x2"):
        a = EVERY_ORDER[name]
        n = a.shape[-1]
        dirs = list(np.round(RNG.normal(size=(n, n, n)), 2))
        for k in range(n + 1):
            want = adjugate_jet(np, a, dirs[:k])
            got = adjugate_jet(strict, strict.asarray(a), [strict.asarray(t) for t in dirs[:k]])
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-14, atol=1e-14)
    a, v = SINGULAR["ties"], np.round(RNG.normal(size=(3, 3)), 2)
    g = wire.trace(wire.grad(wire.grad(wire.grad(lambda t: la.det(a + t * v)))), 0.0)
    assert any(node.op.name == "adjugate" and len(node.inputs) == 3 for node in g.nodes)
    wire.save(g, tmp_path / "d3.json")
    assert wire.evaluate(wire.load(tmp_path / "d3.json"), 0.0) == pytest.approx(
        6 * np.linalg.det(v), rel=1e-12)
    pytest.importorskip("dask.array")
    out = wire.evaluate(g, 0.0, backend="dask")
    assert float(wire.runtime.backends.compute([out], "dask")[0]) == pytest.approx(
        6 * np.linalg.det(v), rel=1e-12)
    with pytest.raises(wire.ShapeError, match="direction"):
        wire.trace(lambda x: adjugate(x, x[:2, :2]), np.eye(3))


@pytest.mark.parametrize("a", [np.eye(3), rot(3), 2 * np.eye(2)], ids=["identity", "orthogonal",
                                                                         "scaled_identity"])
def test_inverse_family_third_derivatives_at_orthogonal_matrices(a):
    # d^k/dt^k (a + t v)⁻¹ = (-1)^k k! (a⁻¹ v)^k a⁻¹ and d^k log|det| = (-1)^(k-1) (k-1)! tr((a⁻¹ v)^k)
    n = a.shape[-1]
    v, w = np.round(RNG.normal(size=(2, n, n)), 2)
    b = np.round(RNG.normal(size=(n,)), 2)
    ai = a.T / np.linalg.det(a) ** (2 / n)  # a⁻¹ (a is a scaled orthogonal matrix)
    powers = [np.linalg.matrix_power(ai @ v, k) @ ai for k in (1, 2, 3)]
    inv_want = [(-1) ** k * math.factorial(k) * np.sum(p * w) for k, p in zip((1, 2, 3), powers)]
    cases = {
        "inv": (lambda t: wnp.sum(la.inv(a + t * v) * w), inv_want),
        "pinv": (lambda t: wnp.sum(la.pinv(a + t * v) * w), inv_want),
        "solve": (lambda t: wnp.sum(la.solve(a + t * v, b) * w[0]),
                  [(-1) ** k * math.factorial(k) * (p @ b) @ w[0] for k, p in
                   zip((1, 2, 3), powers)]),
        "slogdet": (lambda t: la.slogdet(a + t * v).logabsdet,
                    [(-1) ** (k - 1) * math.factorial(k - 1)
                     * np.trace(np.linalg.matrix_power(ai @ v, k)) for k in (1, 2, 3)]),
    }
    for name, (f, want) in cases.items():
        got = _directional_derivatives(f, 3)
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12, err_msg=name)


# --------------------------------------------------------------------------- eig


def nonsymmetric(seed=0, n=3):
    """A real matrix with a complex pair and a real eigenvalue, well separated."""
    base = np.array([[0.5, 2.0, 0.0], [-0.5, 0.5, 0.0], [0.0, 0.0, -1.5]])[:n, :n]
    return base + 0.2 * np.random.default_rng(seed).normal(size=(n, n))


EIG_INPUTS = {
    "real_with_complex_pair": nonsymmetric(),
    "real_spectrum": np.array([[2.0, 1.0, 0.0], [0.3, -1.0, 0.5], [0.0, 0.2, 0.5]]),
    "complex": cn(3, 3, seed=11),
    "1x1": np.array([[-2.5]]),
}


@pytest.mark.parametrize("name", EIG_INPUTS)
def test_eig_values_vectors_and_derivatives(name):
    a = EIG_INPUTS[name]
    w, v = traced(lambda a: tuple(la.eig(a)), a)
    w0, v0 = np.linalg.eig(a)
    assert w.dtype == v.dtype == np.complex128
    np.testing.assert_allclose(w, w0, atol=1e-12)
    np.testing.assert_allclose(v, v0, atol=1e-12)  # the same normalisation as LAPACK
    if name != "real_spectrum":
        # the eigenvectors follow LAPACK's normalisation, so even they match finite
        # differences, except where LAPACK's sign of a real eigenvector (which the
        # normalisation leaves free) flips between neighbouring matrices, as it does here
        check_grads(lambda a: tuple(la.eig(a)), (a,), order=2, rtol=1e-5)

    def invariants(a):  # functions that do not depend on the eigenvector normalisation
        w, v = la.eig(a)
        vn = v / wnp.sqrt(wnp.sum(wnp.abs(v) ** 2, axis=0))
        return wnp.sum(w), wnp.prod(w), wnp.abs(vn) ** 2, w ** 2

    check_grads(invariants, (a,), order=1, rtol=1e-5)
    g = wire.grad(lambda a: wnp.real(wnp.sum(la.eigvals(a))))(a)
    np.testing.assert_allclose(g, np.eye(len(a)), atol=1e-12)  # d trace = I
    g = wire.grad(lambda a: wnp.real(wnp.prod(la.eigvals(a))))(a)
    np.testing.assert_allclose(g, cofactors(a), atol=1e-10)  # d det = cofactors


def test_eig_at_tied_eigenvalues_keeps_symmetric_functions_exact():
    for a in (np.eye(3), np.diag([1.0, 1.0, 2.0]), np.eye(2, dtype=np.float32)):
        g = wire.grad(lambda a: wnp.real(wnp.sum(la.eigvals(a) ** 2)))(a)
        assert g.dtype == a.dtype
        np.testing.assert_allclose(g, 2 * a.T, atol=1e-6)  # d tr(A²) = 2Aᵀ
    weights = np.arange(9.0).reshape(3, 3)
    g = wire.grad(lambda a: wnp.sum(wnp.abs(la.eig(a)[1]) ** 2 * weights))(np.eye(3))
    assert np.isnan(g).any()  # tied eigenvectors: no derivative, said as NaN


def test_eig_dtypes_batches_and_transforms():
    a32 = nonsymmetric().astype(np.float32)
    w, v = traced(lambda a: tuple(la.eig(a)), a32)
    assert w.dtype == v.dtype == np.complex64
    g = wire.grad(lambda a: wnp.sum(wnp.abs(la.eigvals(a))))(a32)
    assert g.dtype == np.float32
    stack = np.stack([nonsymmetric(s) for s in range(4)])

    def f(a):
        return wnp.sum(wnp.abs(la.eigvals(a)) ** 2)

    each = np.stack([wire.grad(f)(m) for m in stack])
    np.testing.assert_allclose(wire.grad(f)(stack), each, atol=1e-12)
    np.testing.assert_allclose(wire.jit(wire.grad(f))(stack), each, atol=1e-12)
    np.testing.assert_allclose(wire.vmap(wire.grad(f))(stack), each, atol=1e-12)
    # plain numpy.linalg.eig on a tracer dispatches here
    g = wire.grad(lambda a: np.real(np.linalg.eigvals(a)).sum() + np.abs(np.linalg.eig(a)[0][0]))(
        stack[0])
    np.testing.assert_allclose(g, np.eye(3) + wire.grad(lambda a: wnp.abs(la.eigvals(a)[0]))(
        stack[0]), atol=1e-12)


def test_eig_against_autograd():
    autograd = pytest.importorskip("autograd")
    anp = autograd.numpy
    weights = np.arange(9.0).reshape(3, 3)
    a = EIG_INPUTS["real_with_complex_pair"]

    def ours(a):
        w, v = la.eig(a)
        return wnp.sum(wnp.abs(w) ** 3) + wnp.sum(wnp.abs(v) ** 2 * weights)

    def theirs(a):
        w, v = anp.linalg.eig(a)
        return anp.sum(anp.abs(w) ** 3) + anp.sum(anp.abs(v) ** 2 * weights)

    np.testing.assert_allclose(wire.grad(ours)(a), autograd.grad(theirs)(a), rtol=1e-10)


# --------------------------------------------------------------------------- special inputs


def _b(a):
    return np.arange(1.0, a.shape[-1] + 1.0)


def _sum_real(x):
    return wnp.sum(wnp.real(x))


# name -> (scalar function of a stack of square matrices, behaviour at a tied spectrum,
# whether it maps over a stack). At ties: "smooth" = differentiable, checked against finite
# differences; "kink" = not differentiable (max/min of tied values), a finite subgradient;
# "nan" = needs the undetermined singular vectors of tied values (documented NaN).
SPECIAL = {
    "cholesky": (lambda a: wnp.sum(la.cholesky(a) ** 2 * np.tri(a.shape[-1])), "smooth", True),
    "cholesky_upper": (lambda a: wnp.sum(la.cholesky(a, upper=True)), "smooth", True),
    "cond_fro": (lambda a: wnp.sum(la.cond(a, "fro")), "smooth", True),
    "cond_2": (lambda a: wnp.sum(la.cond(a)), "kink", True),
    "cross": (lambda a: wnp.sum(la.cross(a[..., 0, :], a[..., -1, :]) ** 2), "smooth", True),
    "det": (lambda a: wnp.sum(la.det(a)), "smooth", True),
    "diagonal": (lambda a: wnp.sum(la.diagonal(a) ** 2), "smooth", True),
    "eig": (lambda a: _sum_real(la.eig(a)[0] ** 2), "smooth", True),
    "eigvals": (lambda a: _sum_real(wnp.exp(la.eigvals(a))), "smooth", True),
    "eigh": (lambda a: wnp.sum(la.eigh(a)[0] ** 3), "smooth", True),
    "eigvalsh": (lambda a: wnp.sum(wnp.log(la.eigvalsh(a))), "smooth", True),
    "inv": (lambda a: wnp.sum(la.inv(a) * np.tri(a.shape[-1])), "smooth", True),
    "lstsq": (lambda a: wnp.sum(la.lstsq(a[0] if a.ndim > 2 else a, _b(a))[0]), "smooth", False),
    "matmul": (lambda a: wnp.sum(la.matmul(a, a)), "smooth", True),
    "matrix_norm_fro": (lambda a: wnp.sum(la.matrix_norm(a)), "smooth", True),
    "matrix_norm_nuc": (lambda a: wnp.sum(la.matrix_norm(a, ord="nuc")), "smooth", True),
    "matrix_power": (lambda a: wnp.sum(la.matrix_power(a, 3)), "smooth", True),
    "matrix_power_inv": (lambda a: wnp.sum(la.matrix_power(a, -2)), "smooth", True),
    "matrix_transpose": (lambda a: wnp.sum(la.matrix_transpose(a) * np.tri(a.shape[-1])),
                         "smooth", True),
    "multi_dot": (lambda a: wnp.sum(la.multi_dot([a[..., 0, :], a, a, a[..., -1, :]])),
                  "smooth", False),
    "norm_2": (lambda a: wnp.sum(la.norm(a, 2, axis=(-2, -1))), "kink", True),
    "norm_1": (lambda a: wnp.sum(la.norm(a, 1, axis=(-2, -1))), "kink", True),
    "norm_vector": (lambda a: wnp.sum(la.norm(a + 1.0, axis=-1)), "smooth", True),
    "outer": (lambda a: wnp.sum(la.outer(wnp.ravel(a), wnp.ravel(a)) ** 2), "smooth", False),
    "pinv": (lambda a: wnp.sum(la.pinv(a) * np.tri(a.shape[-1])), "smooth", True),
    "qr": (lambda a: wnp.sum(la.qr(a)[1] ** 2 * np.tri(a.shape[-1]).T) + wnp.sum(
        la.qr(a)[0][..., 0, :] * la.qr(a)[1][..., :, 0]), "smooth", True),
    "slogdet": (lambda a: wnp.sum(la.slogdet(a)[1]), "smooth", True),
    "solve": (lambda a: wnp.sum(la.solve(a, _b(a)[:, None])), "smooth", True),
    "svd": (lambda a: wnp.sum(la.svd(a)[1] ** 2), "smooth", True),
    "svd_vectors": (lambda a: wnp.sum(la.svd(a)[0] @ la.svd(a)[2]), "nan", True),
    "svdvals": (lambda a: wnp.sum(wnp.exp(la.svdvals(a))), "smooth", True),
    "tensordot": (lambda a: la.tensordot(a, a, a.ndim), "smooth", True),
    "tensorinv": (lambda a: wnp.sum(la.tensorinv(a, 1) * np.tri(a.shape[-1])), "smooth", False),
    "tensorsolve": (lambda a: wnp.sum(la.tensorsolve(a, _b(a))), "smooth", False),
    "trace": (lambda a: wnp.sum(la.trace(a) ** 2), "smooth", True),
    "vecdot": (lambda a: wnp.sum(la.vecdot(a, a + 1.0)), "smooth", True),
    "vector_norm": (lambda a: wnp.sum(la.vector_norm(a, axis=-1, ord=3)), "smooth", True),
}
SPD_BATCH = np.stack([with_spectrum([1.0, 2.0, 4.0], s) for s in (1, 2)])
SPECIAL_INPUTS = {
    "identity": np.eye(3),
    "diagonal_ties": np.diag([2.0, 2.0, 5.0]),
    "1x1": np.array([[1.7]]),
    "batched": SPD_BATCH,
    "empty": np.zeros((2, 0, 0)),
}
NEEDS_3 = {"cross"}
# NumPy itself raises on empty matrices here (a max/min over no singular values), or the
# table's function indexes a row that an empty matrix does not have
UNDEFINED_ON_EMPTY = {"cond_2", "cond_fro", "cross", "multi_dot", "qr"}


def test_every_differentiable_linalg_function_is_in_the_special_input_table():
    from wire import catalog as _catalog

    names = set(_catalog.functions(la)) - _catalog.NON_DIFFERENTIABLE
    missing = {n for n in names if not any(k == n or k.startswith(n + "_") for k in SPECIAL)}
    assert not missing, sorted(missing)


@pytest.mark.parametrize("kind", SPECIAL_INPUTS)
@pytest.mark.parametrize("name", SPECIAL)
def test_derivatives_on_special_inputs(name, kind):
    f, at_ties, batches = SPECIAL[name]
    a = SPECIAL_INPUTS[kind]
    if kind == "empty" and name in UNDEFINED_ON_EMPTY:
        with pytest.raises((ValueError, IndexError)):
            f(a)  # concrete: NumPy
        with pytest.raises((wire.WireError, IndexError)):
            wire.grad(f)(a)
        return
    if (kind in ("batched", "empty") and not batches) or (name in NEEDS_3 and a.shape[-1] < 3):
        pytest.skip("not defined for this input")
    tied = kind in ("identity", "diagonal_ties")
    g = wire.grad(f)(a)
    assert g.shape == a.shape and g.dtype == a.dtype
    if tied and at_ties == "nan":
        assert np.isnan(g).any()
        return
    assert np.all(np.isfinite(g)), g
    np.testing.assert_allclose(wire.jit(wire.grad(f))(a), g, rtol=1e-12, atol=1e-12)
    if kind in ("batched", "empty"):
        each = np.stack([wire.grad(f)(m) for m in a])
        np.testing.assert_allclose(wire.vmap(wire.grad(f))(a), each, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, each, rtol=1e-12, atol=1e-12)
    g32 = wire.grad(f)(a.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, g, rtol=2e-3, atol=2e-3 * (1 + np.abs(g).max(initial=0)))
    if at_ties == "smooth" or not tied:
        check_grads(f, (a,), order=1, modes=("rev",), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- JAX as the oracle


def _jax_cases(jax):
    """(name, wire function, JAX function, input): gradients that must agree."""
    jnp = jax.numpy
    b, tall = cn(3, 3, seed=5), cn(4, 3, seed=6)
    eye3 = 3 * jnp.eye(3)

    def eig_loss(mod, eig):
        def f(a):
            w, v = eig(a)
            return mod.sum(mod.abs(w) ** 3) + mod.sum(mod.abs(v) ** 2 * np.arange(3.0))
        return f

    jax_eig = partial(jax.lax.linalg.eig, compute_left_eigenvectors=False,
                      enable_eigvec_derivs=True)
    return [
        # tied eigenvalues (JAX symmetrizes where NumPy and wire read the lower triangle, so
        # compare on the symmetric matrices b + bᵀ)
        ("eigvalsh_ties", lambda b: wnp.sum(wnp.exp(la.eigvalsh(b + b.T))),
         lambda b: jnp.sum(jnp.exp(jnp.linalg.eigvalsh(b + b.T))), np.diag([0.5, 0.5, 1.0, 1.0])),
        ("eigvalsh_identity", lambda b: wnp.sum(la.eigvalsh(b + b.T) ** 2),
         lambda b: jnp.sum(jnp.linalg.eigvalsh(b + b.T) ** 2), 0.5 * np.eye(3)),
        # complex factorizations
        ("eigh_complex", lambda b: wnp.sum(wnp.abs(la.eigh(hermitian(b))[1][0]) ** 2
                                           * wnp.arange(3.0)),
         lambda b: jnp.sum(jnp.abs(jnp.linalg.eigh(b @ b.conj().T + eye3)[1][0]) ** 2
                           * jnp.arange(3.0)), b),
        ("cholesky_complex", lambda b: wnp.sum(wnp.abs(la.cholesky(hermitian(b)) - 1j) ** 2),
         lambda b: jnp.sum(jnp.abs(jnp.linalg.cholesky(b @ b.conj().T + eye3) - 1j) ** 2), b),
        ("svdvals_complex", lambda a: wnp.sum(la.svd(a, compute_uv=False) ** 3),
         lambda a: jnp.sum(jnp.linalg.svd(a, compute_uv=False) ** 3), tall),
        ("qr_complex", lambda a: wnp.sum(wnp.abs(la.qr(a)[1] + 0.5) ** 2),
         lambda a: jnp.sum(jnp.abs(jnp.linalg.qr(a)[1] + 0.5) ** 2), tall),
        ("qr_wide", lambda a: wnp.sum(wnp.abs(la.qr(a)[1] + 0.5) ** 2)
         + wnp.sum(wnp.abs(la.qr(a)[0][0])),
         lambda a: jnp.sum(jnp.abs(jnp.linalg.qr(a)[1] + 0.5) ** 2)
         + jnp.sum(jnp.abs(jnp.linalg.qr(a)[0][0])), tall.T),
        ("det_complex", lambda a: wnp.real(la.det(a) * (1 + 2j)),
         lambda a: jnp.real(jnp.linalg.det(a) * (1 + 2j)), b),
        ("pinv_complex", lambda a: wnp.real(wnp.sum(la.pinv(a))),
         lambda a: jnp.real(jnp.sum(jnp.linalg.pinv(a))), tall),
        ("pinv_orthogonal", lambda a: wnp.sum(la.pinv(a) ** 2),
         lambda a: jnp.sum(jnp.linalg.pinv(a) ** 2), rot(3)),
        # singular determinants
        ("det_rank2", la.det, jnp.linalg.det, SINGULAR["rank2"]),
        ("det_rank3_of_4", la.det, jnp.linalg.det, SINGULAR["rank3_of_4"]),
        # eig, with eigenvector derivatives
        ("eig_real", eig_loss(wnp, la.eig), eig_loss(jnp, jax_eig),
         EIG_INPUTS["real_with_complex_pair"]),
        ("eig_complex", eig_loss(wnp, la.eig), eig_loss(jnp, jax_eig), EIG_INPUTS["complex"]),
    ]


# a plain run compares one case of each kind (a complex factorization, a singular determinant,
# eig's eigenvectors, a Hessian at a singular matrix: JAX compiles each for a second or more);
# -m slow compares them all
CI_JAX_CASES = ("eigh_complex", "det_rank2", "eig_real", "hessian rank2")


@pytest.mark.slow
def test_gradients_against_jax(request):
    jax = jax_or_skip()
    every = slow_selected(request.config)
    for name, ours, theirs, x in _jax_cases(jax):
        if not every and name not in CI_JAX_CASES:
            continue
        want = np.asarray(jax.jit(jax.grad(theirs))(x))
        np.testing.assert_allclose(wire.grad(ours)(x), want, rtol=1e-9, atol=1e-10,
                                   err_msg=name)
    for name in ("rank2", "rank1", "zero"):  # Hessians of det at singular matrices
        if not every and f"hessian {name}" not in CI_JAX_CASES:
            continue
        a = SINGULAR[name]
        want = np.asarray(jax.jit(jax.hessian(jax.numpy.linalg.det))(a))
        np.testing.assert_allclose(wire.hessian(la.det)(a), want, atol=1e-12, err_msg=name)
