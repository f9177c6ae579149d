"""wire.scipy.linalg and wire.scipy.special on complex and edge inputs: traced values against
SciPy's (and mpmath's), derivatives against central differences."""

import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import wire
import wire.numpy as wnp
from finite_differences import fd_grad

L = wire.scipy.linalg
ROTATION = np.array([[1.0, -2.0], [2.0, 1.0]])  # eigenvalues 1 ± 2i: every power is real


@pytest.mark.parametrize("t", [0.5, 0.3, -0.5, 1.5])
def test_fractional_power_real_with_complex_eigenvalues(t):
    # SciPy returns complex with 1e-17 imaginary parts (its logm and funm drop them, its
    # fractional_matrix_power does not); the traced value was NaN, the derivative finite
    want = sl.fractional_matrix_power(ROTATION, t)
    assert want.dtype.kind == "c" and np.abs(want.imag).max() < 1e-15
    fn = lambda a: L.fractional_matrix_power(a, t)  # noqa: E731
    for scale in (1.0, 1e8):  # (the tolerance is relative to the result's size)
        np.testing.assert_allclose(wire.jit(fn)(scale * ROTATION),
                                   sl.fractional_matrix_power(scale * ROTATION, t).real,
                                   rtol=1e-13)
    stack = np.stack([ROTATION, np.diag([-1.0, 2.0]), ROTATION.T])
    got = wire.vmap(fn)(stack)
    np.testing.assert_allclose(got[0], want.real, rtol=1e-13)
    assert np.isnan(got[1]).all()  # a negative eigenvalue: the power is complex, NaN
    loss = lambda a: wnp.sum(fn(a))  # noqa: E731
    g = wire.grad(loss)(ROTATION)
    np.testing.assert_array_equal(wire.jit(wire.grad(loss))(ROTATION), g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fd = fd_grad(lambda a: np.sum(sl.fractional_matrix_power(a, t).real), ROTATION)
    np.testing.assert_allclose(g, fd, rtol=1e-7)
    assert np.isnan(wire.grad(lambda a: wnp.sum(fn(a)))(np.diag([-1.0, 2.0]))).all()


# --------------------------------------------------------------------------- complex log Γ

S = wire.scipy.special


def _complex_points():
    rng = np.random.default_rng(27)
    r, th = 200 * np.sqrt(rng.random(120)), rng.uniform(-np.pi, np.pi, 120)
    n = rng.integers(-199, 1, 80)
    near_pole = n + rng.choice([1e-12, 1e-6, 0.1, 0.45], 80) * np.exp(1j * rng.uniform(-3, 3, 80))
    axis = rng.uniform(-200, 0, 40) + 1j * rng.choice([1e-300, 1e-9, -1e-9, 3.0, -6.9], 40)
    ones = rng.choice([1.0, 2.0], 60) + 0.25 * rng.random(60) * np.exp(1j * rng.uniform(-3, 3, 60))
    z = np.concatenate([r * np.exp(1j * th), near_pole, axis, ones,
                        [complex(-2.5, 0.0), complex(-2.5, -0.0), complex(0.5, 0.0), 1 + 1e-9j]])
    return z[~((z.imag == 0) & (z.real <= 0) & (np.floor(z.real) == z.real))]


def _mp_loggamma(z):
    import mpmath

    with mpmath.workdps(30):
        # the negative real axis: the side of the imaginary part's sign, as SciPy's
        y = z.imag if z.imag != 0 else np.copysign(1e-40, z.imag)
        return complex(mpmath.loggamma(mpmath.mpc(z.real, y)))


def _rel(a, b):
    return np.abs(a - b) / np.abs(b)


def test_loggamma_gamma_rgamma_of_traced_complex():
    # they raised WireTypeError traced (loggamma, gamma: "floor of a complex array", rgamma);
    # now SciPy's principal branch, within 1e-12 of mpmath and of SciPy over |z| <= 200
    import scipy.special as ss

    z = _complex_points()
    got = np.asarray(wire.jit(S.loggamma)(z))
    want = np.array([_mp_loggamma(v) for v in z])
    assert _rel(got, want).max() < 1e-12
    with np.errstate(all="ignore"):
        assert _rel(got, ss.loggamma(z)).max() < 1e-12
        for name in ("gamma", "rgamma"):
            got, ref = np.asarray(wire.jit(getattr(S, name))(z)), getattr(ss, name)(z)
            fine = np.isfinite(ref) & (np.abs(ref) > 1e-290)
            assert (np.isfinite(got) == np.isfinite(ref)).all(), name
            assert _rel(got[fine], ref[fine]).max() < 1e-12, name
    assert np.array_equal(wire.vmap(S.loggamma)(z[:5]), wire.jit(S.loggamma)(z[:5]))
    z64 = z[:20].astype(np.complex64)  # complex64 in, complex64 out, as SciPy's loop
    got = wire.jit(S.loggamma)(z64)
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, ss.loggamma(z64), rtol=1e-6)


def test_complex_loggamma_special_values_are_scipys():
    import scipy.special as ss

    vals = [0.0, -0.0, 1.0, -1.0, -2.0, 0.5, 0.1, np.inf, -np.inf, np.nan, 1e-300, -1e300]
    z = np.array([complex(a, b) for a in vals for b in vals])
    with np.errstate(all="ignore"):
        for name in ("loggamma", "gamma", "rgamma"):
            got, want = np.asarray(wire.jit(getattr(S, name))(z)), getattr(ss, name)(z)
            for part in (np.real, np.imag):
                g, w = part(got), part(want)
                same = (np.isnan(g) & np.isnan(w)) | (g == w) | (np.abs(g - w) <= 1e-12 * np.abs(w))
                # (below 1e-280 both are rounding noise of an imaginary part that is 0)
                assert (same | (np.abs(w) < 1e-280)).all(), (name, z[~same], g[~same], w[~same])


def test_complex_loggamma_gamma_derivatives_are_holomorphic():
    import scipy.special as ss

    z = np.array([1 + 1j, complex(-2.5, 0.1), complex(-2.5, -0.1), 0.3 - 4j, 50 + 60j,
                  -100.3 + 2j, 1.1 + 0.05j, 2.1 - 0.01j, -3 + 1e-7j])
    one = np.ones_like(z)
    for name, d in (("loggamma", ss.psi), ("gamma", lambda q: ss.gamma(q) * ss.psi(q)),
                    ("rgamma", lambda q: -ss.rgamma(q) * ss.psi(q))):
        f = getattr(S, name)
        t = wire.jvp(f, (z,), (one,))[1]
        assert _rel(t, d(z)).max() < 1e-12, name
        np.testing.assert_array_equal(wire.jit(lambda a: wire.jvp(f, (a,), (one,))[1])(z), t)
    # 1/Γ at its zeros: derivative (-1)^n n! (not -ψ/Γ = 0 · inf)
    poles = np.array([0.0, -1.0, -2.0, -5.0]) + 0j
    t = wire.jvp(S.rgamma, (poles,), (np.ones_like(poles),))[1]
    np.testing.assert_allclose(t, [1.0, -1.0, 2.0, -120.0], rtol=1e-13)


def test_complex_erf_erfc_ndtr_digamma_far_out_are_scipys():
    # z² overflowed past |z| = 1e154 (1/v² in ψ's series, exp(-z²) in erfc): NaN where
    # SciPy's values are finite (ψ(1e300j) = 690.8 + 1.57j, erf(1e200 + 1e199j) = 1), and
    # erf(inf + 1j) was NaN, SciPy's 1
    import scipy.special as ss

    far = np.array([1e300j, -1e200 + 3e200j, 1e200 + 1e199j, -1e200 - 1e199j, 3e160 - 2e155j,
                    2 + 1j])
    edge = np.array([complex(np.inf, 1.0), complex(-np.inf, -2.0), complex(np.inf, 0.0)])
    with np.errstate(all="ignore"):
        for name, z in (("digamma", far), ("erf", far[2:]), ("erfc", far[2:]),
                        ("ndtr", far[2:]), ("erf", edge), ("erfc", edge)):
            got, want = np.asarray(wire.jit(getattr(S, name))(z)), getattr(ss, name)(z)
            assert np.isfinite(want).all()
            np.testing.assert_allclose(got, want, rtol=1e-13, err_msg=name)


def test_kl_div_of_close_arguments_keeps_its_digits():
    # x log(x/y) - x + y cancelled: kl_div(1, 1 - 1e-6) was 5.000444e-13 (8.8e-5 off;
    # SciPy's 4.99933e-13), kl_div(x, x (1 + 1e-9)) 0 instead of 5e-19 x
    import mpmath

    rng = np.random.default_rng(4)
    x = rng.random(60)
    y = x * (1 + rng.choice([1e-9, -1e-6, 1e-3, -0.05, 0.0999], 60))
    with mpmath.workdps(40):
        want = np.array([float(mpmath.mpf(a) * mpmath.log(mpmath.mpf(a) / b) - a + b)
                         for a, b in zip(x, y)])
    for fn in (S.kl_div, wire.jit(S.kl_div)):
        np.testing.assert_allclose(fn(x, y), want, rtol=1e-14)
    y1 = 1.0 - 1e-6
    with mpmath.workdps(40):  # ∂x = log(x/y), ∂y = 1 - x/y
        want = [float(-mpmath.log(y1)), float(1 - 1 / mpmath.mpf(y1))]
    np.testing.assert_allclose(wire.grad(S.kl_div, argnums=(0, 1))(1.0, y1), want, rtol=1e-14)


def _cplx(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def test_sqrtm_and_polar_of_traced_complex_matrices():
    # both raised WireError traced ("a traced A must be real"); now SciPy's values, and
    # derivatives against central differences of SciPy's
    rng = np.random.default_rng(12)
    a = _cplx(rng, 3, 3) + 2 * np.eye(3)
    cases = [(L.sqrtm, sl.sqrtm, a), (L.sqrtm, sl.sqrtm, np.stack([a, 2 * a]))]
    for side, x in (("right", _cplx(rng, 4, 2)), ("left", _cplx(rng, 2, 4)),
                    ("right", _cplx(rng, 2, 3, 3))):
        cases.append((lambda m, s=side: L.polar(m, s), lambda m, s=side: sl.polar(m, s), x))
    h = 1e-6
    parts = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,)  # noqa: E731
    for fn, ref, x in cases:
        for g, w in zip(parts(wire.jit(fn)(x)), parts(ref(x))):
            assert g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-14)
        e = _cplx(rng, *x.shape)
        tangent = wire.jvp(fn, (x,), (e,))[1]
        for t, p, m in zip(parts(tangent), parts(ref(x + h * e)), parts(ref(x - h * e))):
            fd = (p - m) / (2 * h)
            assert np.abs(t - fd).max() < 1e-7 * np.abs(fd).max()


def test_traced_matrix_functions_of_a_non_finite_matrix_are_nan_not_an_error():
    # under jit, SciPy's own check inside logm/funm/signm/fractional_matrix_power/polar
    # raised "scipy_linalg: array must not contain infs or NaNs" for the whole stack; the
    # traced values are unchecked (NaN flows through, as documented), so that matrix is NaN
    good = np.array([[4.0, 1.0], [1.0, 3.0]])
    stack = np.stack([np.array([[np.nan, 0.0], [0.0, 1.0]]), good])
    for name, fn in (("logm", L.logm), ("signm", L.signm), ("funm", lambda a: L.funm(a, wnp.exp)),
                     ("fmp", lambda a: L.fractional_matrix_power(a, 0.5)),
                     ("polar", lambda a: L.polar(a)[1])):
        got = np.asarray(wire.jit(fn)(stack))
        assert np.isnan(got[0]).all(), name
        np.testing.assert_allclose(got[1], np.real(fn(good)), rtol=1e-13, err_msg=name)
        # and its derivatives NaN too (wire's eig and svd raised on the NaN matrix)
        g = wire.jit(wire.grad(lambda s: wnp.sum(fn(s))))(stack)
        assert np.isnan(g[0]).all(), name
        np.testing.assert_allclose(g[1], wire.grad(lambda a: wnp.sum(fn(a)))(good), rtol=1e-12)
    with pytest.raises(ValueError, match="infs or NaNs"):  # eager: SciPy's check_finite
        L.logm(stack[0])


def test_digamma_near_its_negative_poles_keeps_its_digits():
    # SciPy's digamma (wire's primitive) rounds πx in its reflection: digamma(-1 + 1e-9) was
    # 1.0e-7 off, digamma(-2 + 1e-9) 8.7e-9, and gammaln's derivative with them
    import mpmath

    x = np.array([-1 + 1e-9, -2 + 1e-9, -100 + 1e-6, -0.999, -0.7, -3.5, -1e5 + 1e-3])
    with mpmath.workdps(30):
        want = np.array([float(mpmath.digamma(v)) for v in x])
    for fn in (S.digamma, wire.jit(S.digamma), wire.vmap(wire.grad(S.gammaln))):
        np.testing.assert_allclose(fn(x), want, rtol=1e-14)
