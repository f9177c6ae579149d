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
