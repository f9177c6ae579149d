"""wire.scipy.special's Bessel functions, exponential integrals and the Γ family (rgamma,
gammasgn, factorial): values and dtypes against SciPy (traced and concrete),
derivatives against mpmath's and finite differences, at special points (0, negative x, ±inf,
NaN, the poles of Γ) too."""

import numpy as np
import pytest

import wire
import wire.scipy.special as ws

ss = pytest.importorskip("scipy.special")
mpmath = pytest.importorskip("mpmath")

# name, mpmath's function of x, its domain of real values
FIXED = {
    "j0": (lambda x: mpmath.besselj(0, x), "all"),
    "j1": (lambda x: mpmath.besselj(1, x), "all"),
    "y0": (lambda x: mpmath.bessely(0, x), "pos"),
    "y1": (lambda x: mpmath.bessely(1, x), "pos"),
    "i0": (lambda x: mpmath.besseli(0, x), "all"),
    "i1": (lambda x: mpmath.besseli(1, x), "all"),
    "i0e": (lambda x: mpmath.besseli(0, x) * mpmath.exp(-abs(x)), "all"),
    "i1e": (lambda x: mpmath.besseli(1, x) * mpmath.exp(-abs(x)), "all"),
    "k0": (lambda x: mpmath.besselk(0, x), "pos"),
    "k1": (lambda x: mpmath.besselk(1, x), "pos"),
    "k0e": (lambda x: mpmath.besselk(0, x) * mpmath.exp(x), "pos"),
    "k1e": (lambda x: mpmath.besselk(1, x) * mpmath.exp(x), "pos"),
    "erfcx": (lambda x: mpmath.exp(x * x) * mpmath.erfc(x), "all"),
    "expi": (lambda x: mpmath.ei(x), "nonzero"),
    "exp1": (lambda x: mpmath.e1(x), "pos"),
    "rgamma": (lambda x: mpmath.rgamma(x), "all"),
}
ORDERED = {  # name, mpmath's function of (v, x), orders to try, real domain
    "jv": (mpmath.besselj, (0.0, 1.0, 2.5, 3.0, -1.5), "pos"),
    "yv": (mpmath.bessely, (0.0, 1.0, 2.5, 3.0, -1.5), "pos"),
    "iv": (mpmath.besseli, (0.0, 1.0, 2.5, 3.0, -1.5), "pos"),
    "ive": (lambda v, x: mpmath.besseli(v, x) * mpmath.exp(-abs(x)), (0.0, 1.0, 2.5, 3.0), "pos"),
    "kv": (mpmath.besselk, (0.0, 1.0, 2.5, 3.0, -1.5), "pos"),
    "kve": (lambda v, x: mpmath.besselk(v, x) * mpmath.exp(x), (0.0, 1.0, 2.5, 3.0), "pos"),
    "yn": (mpmath.bessely, (0, 1, 2, 5), "pos"),
    "kn": (mpmath.besselk, (0, 1, 2, 5), "pos"),
}
POINTS = {"all": [-7.3, -1.2, -0.3, 0.4, 1.0, 2.7, 9.5], "pos": [0.3, 1.0, 2.7, 9.5],
          "nonzero": [-3.1, -0.4, 0.4, 1.0, 2.7, 9.5]}
SPECIAL = np.array([0.0, -0.0, 0.5, -0.5, 1.0, -1.0, -2.0, 3.0, 50.0, -50.0, 700.0,
                    np.inf, -np.inf, np.nan])


def _mp_deriv(f, x, order=1):
    with mpmath.workdps(30):
        return float(mpmath.diff(f, mpmath.mpf(x), order))


def _close(a, b, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name", sorted(FIXED))
def test_values_traced_and_concrete_equal_scipys_at_special_points(name):
    f, ref = getattr(ws, name), getattr(ss, name)
    with np.errstate(all="ignore"):
        want = ref(SPECIAL)
        for got in (f(SPECIAL), wire.jit(f)(SPECIAL)):
            assert got.dtype == want.dtype
            _close(got, want, rtol=1e-12, atol=0.0)  # the Bessel family: bit for bit
        # float32 stays float32, integers become float64, as SciPy's loops
        for x in (SPECIAL.astype(np.float32), np.array([1, 2, 3])):
            got, want = wire.jit(f)(x), ref(x)
            assert got.dtype == want.dtype, (x.dtype, got.dtype, want.dtype)
            _close(got, want, rtol=1e-6, atol=0.0)


@pytest.mark.parametrize("name", sorted(FIXED))
def test_first_and_second_derivatives_match_mpmath(name):
    f, (mp, domain) = getattr(ws, name), FIXED[name]
    d1, d2 = wire.jit(wire.elementwise_grad(f)), wire.jit(wire.elementwise_grad(
        wire.elementwise_grad(f)))
    xs = np.array(POINTS[domain])
    want1 = [_mp_deriv(mp, x) for x in xs]
    want2 = [_mp_deriv(mp, x, 2) for x in xs]
    _close(d1(xs), want1, rtol=1e-9)
    _close(d2(xs), want2, rtol=1e-8)
    assert wire.grad(f)(float(xs[1])) == pytest.approx(want1[1], rel=1e-9)  # eager


@pytest.mark.parametrize("name", sorted(ORDERED))
def test_orders_values_and_derivatives(name):
    f, ref = getattr(ws, name), getattr(ss, name)
    mp, orders, domain = ORDERED[name]
    xs = np.array(POINTS[domain])
    for v in orders:
        _close(wire.jit(lambda x: f(v, x))(xs), ref(v, xs), rtol=1e-14, atol=0.0)
        d1 = wire.jit(wire.elementwise_grad(lambda x: f(v, x)))(xs)
        d2 = wire.jit(wire.elementwise_grad(wire.elementwise_grad(lambda x: f(v, x))))(xs)
        _close(d1, [_mp_deriv(lambda x: mp(v, x), x) for x in xs], rtol=1e-9)
        _close(d2, [_mp_deriv(lambda x: mp(v, x), x, 2) for x in xs], rtol=1e-8)


def test_derivatives_at_zero_negative_x_infinities_and_nan():
    g = lambda name: wire.jit(wire.elementwise_grad(getattr(ws, name)))  # noqa: E731
    x = np.array([0.0, -0.0, -1.5, 1e-300, np.nan])
    a = -1.5
    # i0' = i1 (odd); i1' is 1/2 at 0 (i0 - i1/x would be 0/0); j0' = -j1; j1' is 1/2 at 0
    _close(g("i0")(x), [0.0, 0.0, ss.i1(a), 5e-301, np.nan])
    _close(g("i1")(x), [0.5, 0.5, ss.i0(a) - ss.i1(a) / a, 0.5, np.nan])
    _close(g("j0")(x), [0.0, 0.0, -ss.j1(a), -5e-301, np.nan])
    _close(g("j1")(x), [0.5, 0.5, ss.j0(a) - ss.j1(a) / a, 0.5, np.nan])
    # i0e' = i1e - sign(x) i0e: 0 at the kink x = 0 (JAX's convention), one-sided beside it
    _close(g("i0e")(x), [0.0, 0.0, ss.i1e(a) + ss.i0e(a), -1.0, np.nan])
    _close(g("i1e")(x), [0.5, 0.5, ss.i0e(a) - ss.i1e(a) / a + ss.i1e(a), 0.5, np.nan])
    # y0 and k0 diverge at 0: y0' = -y1 -> inf, k0' = -k1 -> -inf
    assert float(g("y0")(np.array(0.0))) == np.inf
    assert float(g("k0")(np.array(0.0))) == -np.inf
    # at ±inf the derivatives are the closed forms of SciPy's values there (SciPy gives NaN
    # for i0(inf), i1(inf), j1(inf)...; 0 for the scaled and decaying ones)
    inf = np.array([np.inf, -np.inf])
    with np.errstate(all="ignore"):
        _close(g("i0e")(inf), ss.i1e(inf) - np.sign(inf) * ss.i0e(inf))
        _close(g("k0e")(inf[:1]), ss.k0e(inf[:1]) - ss.k1e(inf[:1]))
        _close(g("k1")(inf[:1]), [0.0])
        # erfcx' -> 0 at +inf (its asymptotic series; 2x erfcx - 2/sqrt(pi) was NaN there)
        _close(g("erfcx")(np.array([0.0, 30.0, np.inf])),
               [-2 / np.sqrt(np.pi), _mp_deriv(FIXED["erfcx"][0], 30.0), 0.0])


def test_float32_derivatives_stay_float32():
    x = np.array([0.5, 1.5], np.float32)
    for name in ("i0e", "j1", "k1e", "erfcx", "rgamma"):
        d = wire.jit(wire.elementwise_grad(getattr(ws, name)))(x)
        assert d.dtype == np.float32, name
        _close(d, wire.jit(wire.elementwise_grad(getattr(ws, name)))(x.astype(np.float64)),
               rtol=1e-5)


def test_rgamma_is_exact_through_the_poles_of_gamma():
    poles = np.array([0.0, -1.0, -2.0, -5.0])
    d1 = wire.jit(wire.elementwise_grad(ws.rgamma))(poles)
    _close(d1, [1.0, -1.0, 2.0, -120.0])  # (-1)^n n!
    d2 = wire.jit(wire.elementwise_grad(wire.elementwise_grad(ws.rgamma)))(poles)
    _close(d2, [_mp_deriv(mpmath.rgamma, x, 2) for x in poles], rtol=1e-9)
    with np.errstate(all="ignore"):
        x = np.array([-200.0, -200.5, -170.5, 171.5, 1e-300, -np.inf, np.inf, -0.0])
        got, want = wire.jit(ws.rgamma)(x), ss.rgamma(x)
    _close(got, want, rtol=1e-12, atol=0.0)
    assert np.array_equal(np.signbit(got), np.signbit(want))


def test_gammasgn_matches_scipy_and_has_zero_derivative():
    x = np.array([2.5, 1e-300, -0.5, -1.5, -2.5, 0.0, -0.0, -1.0, -3.0, np.inf, -np.inf,
                  np.nan])
    with np.errstate(all="ignore"):
        _close(wire.jit(ws.gammasgn)(x), ss.gammasgn(x), rtol=0, atol=0)
    assert wire.grad(ws.gammasgn)(-1.5) == 0.0


def test_factorial_matches_scipy_with_derivatives():
    n = np.array([-1.0, -0.5, 0.0, 2.5, 3.0, 170.0, 171.0, np.nan])
    with np.errstate(all="ignore"):
        _close(wire.jit(ws.factorial)(n), ss.factorial(n), rtol=1e-12, atol=0)
    assert wire.grad(ws.factorial)(2.5) == pytest.approx(_mp_deriv(mpmath.factorial, 2.5))
    assert wire.grad(ws.factorial)(-0.5) == 0.0
    assert ws.factorial(10, exact=True) == 3628800


def test_bad_orders_and_arguments_raise_clear_errors():
    with pytest.raises(wire.WireError, match=r"iv: the order must be a concrete number"):
        wire.grad(lambda v: ws.iv(v, 1.0))(0.5)
    with pytest.raises(wire.WireError, match=r"yn: the order n must be an integer"):
        wire.grad(lambda x: ws.yn(1.5, x))(1.0)
    with pytest.raises(wire.WireError, match=r"one number, got shape \(2,\)"):
        wire.grad(lambda x: ws.jv(np.array([0.0, 1.0]), x))(1.0)
    with pytest.raises(wire.WireError, match="complex"):
        wire.jit(ws.j0)(np.array([1.0 + 1j]))
    with pytest.raises(wire.WireError, match="exact=True"):
        wire.grad(lambda n: ws.factorial(n, exact=True))(3.0)


def test_von_mises_log_likelihood_with_i0e_as_in_an_autograd_script():
    """log p(x | mu, kappa) = kappa cos(x - mu) - log(2 pi I0(kappa)), with I0 through i0e
    (kappa up to 1e3 would overflow i0); gradients against finite differences."""
    import wire.numpy as wnp

    rng = np.random.default_rng(0)
    data = rng.vonmises(0.7, 4.0, size=200)

    def nll(params):
        mu, log_kappa = params[0], params[1]
        kappa = wnp.exp(log_kappa)
        log_i0 = wnp.log(ws.i0e(kappa)) + kappa
        return -wnp.sum(kappa * wnp.cos(data - mu) - np.log(2 * np.pi) - log_i0)

    p = np.array([0.3, np.log(900.0)])
    g = wire.grad(nll)(p)
    h = 1e-6
    fd = [(nll(p + h * e) - nll(p - h * e)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    # a few gradient steps recover the generating parameters
    step = wire.jit(wire.grad(nll))
    p = np.array([0.0, 0.0])
    for _ in range(300):
        p = p - 2e-3 * step(p)
    assert abs(p[0] - 0.7) < 0.1 and abs(np.exp(p[1]) - 4.0) < 1.0


@pytest.mark.parametrize("name", ["i0e", "i1e", "k0e", "k1e"])
def test_scaled_bessel_derivatives_at_infinity_are_their_limit(name):
    """``i0e``/``i1e`` tend to 0 like 1/sqrt(|x|) at ±inf and ``k0e``/``k1e`` at +inf: their
    derivatives there are 0 (JAX's), not the NaN SciPy's higher-order ``ive``/``kve`` give
    at infinity; NaN stays NaN, and eager, jit and the second derivative agree."""
    f = getattr(ws, name)
    points = np.array([np.inf, -np.inf, np.nan]) if name[0] == "i" else np.array([np.inf, np.nan])
    want = np.where(np.isnan(points), np.nan, 0.0)
    for g in (wire.elementwise_grad(f), wire.jit(wire.elementwise_grad(f))):
        np.testing.assert_array_equal(np.asarray(g(points)), want)
    assert float(wire.grad(wire.grad(f))(np.inf)) == 0.0
