"""``wire.linear_transpose`` of complex functions (as ``jax.linear_transpose``: the plain
transpose of the real-linear map under the pairing ``Re(sum(a * b))``, never the conjugate),
and reverse mode over the forward-mode derivative of ``expm`` (whose squaring loop is a
``while_loop``)."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

RNG = np.random.default_rng(26)
Z = RNG.normal(size=3) + 1j * RNG.normal(size=3)
X = RNG.normal(size=3)
M = RNG.normal(size=(3, 3)) + 1j * RNG.normal(size=(3, 3))
CZ = RNG.normal(size=3) + 1j * RNG.normal(size=3)
CX = RNG.normal(size=3)


class Lib:
    def __init__(self, is_jax):
        self.np = jnp if is_jax else wnp
        self.lax = jax.lax if is_jax else wire.lax


# name -> (f(L, *args), primals, cotangent)
CASES = {
    "holomorphic_scale": (lambda L, v: v * (2 + 1j), (Z,), CZ),
    "conj": (lambda L, v: L.np.conj(v), (Z,), CZ),
    "conj_scaled": (lambda L, v: (2 + 1j) * L.np.conj(v) + 3j * v, (Z,), CZ),
    "real": (lambda L, v: L.np.real(v), (Z,), CX),
    "imag": (lambda L, v: v.imag, (Z,), CX),
    "matmul": (lambda L, v: M @ v, (Z,), CZ),
    "fft": (lambda L, v: L.np.fft.fft(v), (Z,), CZ),
    "ifft_sum": (lambda L, v: L.np.sum(L.np.fft.ifft(v) * 1j), (Z,), np.complex128(1 - 2j)),
    "real_to_complex": (lambda L, v: M @ v, (X,), CZ),
    "complex_to_real": (lambda L, v: L.np.real(M @ v) - 2.0 * v.imag, (Z,), CX),
    "lax_complex": (lambda L, v: L.lax.complex(v, 2.0 * v), (X,), CZ),
    "mixed_arguments": (lambda L, a, b: (a * (1 + 1j) + b, L.np.real(b)), (X, Z), (CZ, CX)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_complex_linear_transpose_is_jaxs(name):
    f, primals, ct = CASES[name]
    got = wire.linear_transpose(lambda *a: f(Lib(False), *a), *primals)(ct)
    want = jax.linear_transpose(lambda *a: f(Lib(True), *a), *primals)(ct)
    assert len(got) == len(want) == len(primals)
    for g, w, p in zip(got, want, primals):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype == p.dtype  # a real argument: a real cotangent
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-13)
    # the transpose under Re(sum(a * b)): <f(x), ct> = <x, f_T(ct)> at a random x
    xs = [RNG.normal(size=np.shape(p)) + (1j * RNG.normal(size=np.shape(p))
                                          if np.iscomplexobj(p) else 0) for p in primals]
    outs = f(Lib(False), *xs)
    outs, cts = (outs, ct) if isinstance(ct, tuple) else ((outs,), (ct,))
    lhs = sum(np.real(np.sum(np.asarray(o) * c)) for o, c in zip(outs, cts))
    rhs = sum(np.real(np.sum(x * np.asarray(g))) for x, g in zip(xs, got))
    assert abs(lhs - rhs) <= 1e-12 * (1 + abs(lhs))


def test_complex_transpose_agrees_with_vjp_and_keeps_single_precision():
    z = Z.astype(np.complex64)
    f = lambda v: wnp.conj(v) * np.complex64(2 - 1j) + v  # noqa: E731
    (got,) = wire.linear_transpose(f, z)(CZ.astype(np.complex64))
    assert got.dtype == np.complex64
    (pulled,) = wire.vjp(f, z)[1](CZ.astype(np.complex64))
    np.testing.assert_allclose(got, pulled, rtol=1e-6)
    want = jax.linear_transpose(lambda v: jnp.conj(v) * np.complex64(2 - 1j) + v, z)(
        CZ.astype(np.complex64))[0]
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-6)
    # special values pass through as in JAX (-0.0, inf, NaN)
    special = np.array([np.nan + 0j, np.inf + 0j, -0.0 + 0j])
    with np.errstate(invalid="ignore"):
        got = wire.linear_transpose(lambda v: wnp.conj(v) * 1j, np.zeros(3, complex))(special)[0]
    want = np.asarray(jax.linear_transpose(lambda v: jnp.conj(v) * 1j,
                                           np.zeros(3, complex))(special)[0])
    np.testing.assert_array_equal(got, want)
    assert np.signbit(got[2].imag) == np.signbit(want[2].imag)


def test_complex_refusals():
    for f in (wnp.abs, lambda v: v * wnp.conj(v), lambda v: wnp.real(v) * v, wnp.angle,
              wnp.exp):
        with pytest.raises(wire.NonDifferentiableError, match="not linear"):
            wire.linear_transpose(f, Z)
    t = wire.linear_transpose(lambda v: v * (2 + 1j), X)
    for bad in (X, CZ.astype(np.complex64)):  # the cotangent must be the output's dtype
        with pytest.raises(wire.WireTypeError, match="c128"):
            t(bad)
    with pytest.raises(wire.WireNotImplementedError, match="floating-point"):
        wire.linear_transpose(lambda i: i * 2, np.arange(3))


# --------------------------------------------------------------------------- expm, reverse
# over forward: the squarings' loop transposes (reverse mode by recomputation)

import scipy.linalg as sl  # noqa: E402

import wire.scipy.linalg as wsl  # noqa: E402
from wire.higher_order.while_loop import reversible_while  # noqa: E402

A2 = np.array([[0.1, 0.2], [0.3, -0.4]])
A3 = np.array([[1.1, 2.2, 0.3], [0.3, -3.4, 1.0], [2.0, 1.0, 0.5]]) * 2.0  # norm > 5.4: squarings


def _f(a):
    return wnp.sum(wsl.expm(a) ** 2)


def _hessian_fd(a, h=1e-5):
    """Central differences of the exact gradient of sum(expm(a) ** 2), by SciPy:
    L(aᵀ, 2 expm(a)) (``expm_frechet``); shape (n, n, n, n) like ``wire.hessian``'s."""
    grad = lambda x: sl.expm_frechet(x.T, 2.0 * sl.expm(x), compute_expm=False)  # noqa: E731
    out = np.zeros(a.shape * 2)
    for i in range(a.shape[0]):
        for k in range(a.shape[1]):
            e = np.zeros_like(a)
            e[i, k] = h
            out[:, :, i, k] = (grad(a + e) - grad(a - e)) / (2 * h)
    return out


def _rel(got, want):
    got, want = np.asarray(got), np.asarray(want)
    return np.max(np.abs(got - want)) / np.max(np.abs(want))


@pytest.mark.parametrize("a", [A2, A3], ids=["no_squaring", "squarings"])
def test_expm_second_derivatives_every_way(a):
    # jacrev(jacfwd), jacrev(grad) and the grad of a jvp transpose expm's forward-mode
    # derivative (its squaring loop): they raised NonDifferentiableError (while_loop)
    want = _hessian_fd(a)
    hess = wire.hessian(_f)(a)
    assert _rel(hess, want) < 1e-8
    for how in (wire.jacfwd(wire.jacrev(_f)), wire.jacrev(wire.jacfwd(_f)),
                wire.jacrev(wire.grad(_f))):
        assert _rel(how(a), hess) < 1e-13
    v = np.arange(a.size, dtype=float).reshape(a.shape) - 1.0
    got = wire.grad(lambda x: wire.jvp(_f, (x,), (v,))[1])(a)
    assert _rel(got, np.tensordot(hess, v, 2)) < 1e-13


def test_expm_second_derivatives_batched_and_scalar():
    xs = np.stack([A2, 30.0 * A2])  # different numbers of squarings in one batch
    want = np.stack([wire.hessian(_f)(x) for x in xs])
    assert _rel(wire.vmap(wire.jacrev(wire.grad(_f)))(xs), want) < 1e-13
    assert _rel(wire.vmap(wire.jacrev(wire.jacfwd(_f)))(xs), want) < 1e-13
    # d²/dt² sum(expm(t A)) = sum(A² expm(t A))
    s = lambda t: wnp.sum(wsl.expm(A3 * t))  # noqa: E731
    want = np.sum(A3 @ A3 @ sl.expm(0.7 * A3))
    assert abs(wire.grad(wire.grad(s))(0.7) - want) < 1e-12 * abs(want)


def _power(x, n=3):
    """x ** (n + 1) by a loop of n steps of multiplying by x."""
    return reversible_while(lambda c, k: k[0] < n, lambda c, k: [k[0] + 1, k[1] * c[0]], [x],
                            [np.int64(0), x])[1]


def test_reversible_while_reverse_mode_by_recomputation():
    assert wire.grad(_power)(2.0) == 32.0
    assert wire.grad(wire.grad(_power))(2.0) == 48.0
    assert wire.jacrev(wire.jacfwd(_power))(2.0) == 48.0
    assert wire.grad(wire.grad(wire.grad(_power)))(2.0) == 48.0
    assert wire.jit(wire.grad(_power))(2.0) == 32.0
    # a trip count read from the values, per example under vmap: x ** k, k the first power
    # reaching 10
    until = lambda x: reversible_while(  # noqa: E731
        lambda c, k: k[1] < 10.0, lambda c, k: [k[0] + 1, k[1] * c[0]], [x],
        [np.int64(0), x])[1]
    got = wire.vmap(wire.grad(until))(np.array([1.5, 2.0, 3.0, 20.0]))
    np.testing.assert_allclose(got, [6 * 1.5 ** 5, 4 * 2.0 ** 3, 3 * 3.0 ** 2, 1.0])


def test_reversible_while_transposes_when_linear():
    m = np.array([[1.0, 2.0], [0.0, 1.0]])
    f = lambda x: reversible_while(  # noqa: E731
        lambda c, k: k[0] < 3, lambda c, k: [k[0] + 1, c[0] @ k[1]], [m], [np.int64(0), x])[1]
    ct = np.array([1.0, -1.0])
    (got,) = wire.linear_transpose(f, np.zeros(2))(ct)
    np.testing.assert_allclose(got, np.linalg.matrix_power(m, 3).T @ ct)
    z = np.zeros(2)
    with pytest.raises(wire.NonDifferentiableError, match="predicate of a while loop"):
        wire.linear_transpose(lambda x: reversible_while(
            lambda c, k: wnp.sum(k[1]) < 10.0, lambda c, k: [k[0] + 1, 2.0 * k[1]], [],
            [np.int64(0), x])[1], z)
    with pytest.raises(wire.NonDifferentiableError, match="'mul'.*while loop"):
        wire.linear_transpose(lambda x: reversible_while(
            lambda c, k: k[0] < 3, lambda c, k: [k[0] + 1, k[1] * k[1]], [],
            [np.int64(0), x])[1], z)
    # linear_transpose through solve(a, b) in b, as JAX's
    a = np.array([[4.0, 1.0], [2.0, 3.0]])
    (got,) = wire.linear_transpose(lambda b: wnp.linalg.solve(a, b), z)(ct)
    np.testing.assert_allclose(got, np.linalg.solve(a.T, ct))
    with pytest.raises(wire.NonDifferentiableError, match="'solve'"):
        wire.linear_transpose(lambda x: wnp.linalg.solve(np.eye(2) + wnp.diag(x), x), z)
