"""wire.scipy.special's zeta, boxcox, boxcox1p, expn, dawsn, spence, sici, fresnel, hyp1f1,
hyp2f1, owens_t, bessel_jn and bernoulli: values and dtypes against SciPy (traced and concrete,
bit for bit), first and second derivatives against mpmath's and finite differences at ordinary
and special points (0, the branch points, ±inf, huge arguments), the arguments without a
derivative (a clear error), jit and vmap."""

import numpy as np
import pytest

import wire
import wire.scipy.special as ws
from wire.testing import check_grads

ss = pytest.importorskip("scipy.special")
mpmath = pytest.importorskip("mpmath")

SPECIAL = np.array([0.0, -0.0, 0.5, -0.5, 1.0, -1.0, -2.0, 3.0, 1e-300, 5e-324, 50.0, -50.0,
                    700.0, 1e10, 1e300, np.inf, -np.inf, np.nan])
PARAMS = np.array([0.0, -0.0, 0.5, -1.5, 1.0, 2.0, -2.0, 3.0, 1e-12, 40.0, np.inf, np.nan])


def _mp_deriv(f, x, order=1):
    with mpmath.workdps(40):
        return float(mpmath.diff(f, mpmath.mpf(x), order))


def _close(a, b, rtol=1e-10, atol=1e-13):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def _same(got, want):
    """Bit for bit, dtype included (NaN equals NaN; the sign of zero counts)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    for part in ((got.real, want.real), (got.imag, want.imag)) if got.dtype.kind == "c" else (
            (got, want),):
        np.testing.assert_array_equal(np.signbit(part[0]), np.signbit(part[1]))


def _d(f, argnum, order=1):
    """The ``order``-th elementwise derivative of ``f`` in argument ``argnum``, jitted."""
    for _ in range(order):
        f = wire.elementwise_grad(f, argnum)
    return wire.jit(f)


# --------------------------------------------------------------------------- values

# name -> the SciPy call on a grid of special values (one or more broadcast arguments)
GRIDS = {
    "zeta": (SPECIAL[:, None], PARAMS[None, :]),
    "boxcox": (SPECIAL[:, None], PARAMS[None, :]),
    "boxcox1p": (SPECIAL[:, None], PARAMS[None, :]),
    "expn": (np.array([0, 1, 2, 5, -1])[:, None], SPECIAL[None, :]),
    "owens_t": (SPECIAL[:, None], PARAMS[None, :]),
    # x up to 700 only: SciPy 1.17's hyp1f1 does not return for large positive x (1e14, inf)
    "hyp1f1": (PARAMS[:, None, None], PARAMS[None, :, None], SPECIAL[SPECIAL <= 700][None, None, :]),
    "hyp2f1": (np.array([0.5, -2.0, 1.0])[:, None, None, None],
               np.array([1.5, 3.0])[None, :, None, None],
               np.array([2.0, -1.0, 0.5])[None, None, :, None],
               np.array([-0.0, 0.5, -3.0, 1.0, 0.999, np.nan])[None, None, None, :]),
}
UNARY = ["dawsn", "spence", "sici", "fresnel"]


@pytest.mark.parametrize("name", sorted(GRIDS) + UNARY)
def test_values_traced_and_concrete_equal_scipys_bit_for_bit(name):
    f, ref = getattr(ws, name), getattr(ss, name)
    args = GRIDS.get(name, (SPECIAL,))
    with _quiet():
        want = ref(*args)
        for got in (f(*args), wire.jit(f)(*args)):
            if isinstance(want, tuple):
                assert isinstance(got, tuple) and len(got) == len(want)
                for g, w in zip(got, want):
                    _same(g, w)
            else:
                _same(got, want)


@pytest.mark.parametrize("name", sorted(GRIDS) + UNARY)
def test_float32_stays_float32_and_integers_become_float64(name):
    f, ref = getattr(ws, name), getattr(ss, name)
    args = GRIDS.get(name, (SPECIAL,))
    with _quiet():
        for dt in (np.float32, np.float16):
            cast = [a if a.dtype.kind == "i" else a.astype(dt) for a in args]
            want, got = ref(*cast), wire.jit(f)(*cast)
            for g, w in zip(*((got, want) if isinstance(want, tuple) else ((got,), (want,)))):
                _same(g, w)
        ints = [np.array([1, 2, 3]) for _ in args]
        want, got = ref(*ints), wire.jit(f)(*ints)
        for g, w in zip(*((got, want) if isinstance(want, tuple) else ((got,), (want,)))):
            _same(g, w)


def test_riemann_zeta_below_one_and_the_pole():
    x = np.array([-1.5, -2.0, 0.0, 0.5, 1.0, 1.0 + 1e-12, 2.0, 50.0, np.inf, -np.inf, np.nan])
    with _quiet():
        _same(wire.jit(ws.zeta)(x), ss.zeta(x))
        _same(wire.jit(ws.zeta)(x.astype(np.float32)), ss.zeta(x.astype(np.float32)))
    assert float(ws.zeta(-1.0)) == pytest.approx(-1 / 12, rel=1e-14)


class _quiet:
    """SciPy's warnings of its own (expn truncating a float order, domain errors)."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)
        self._e = np.errstate(all="ignore")
        self._e.__enter__()

    def __exit__(self, *exc):
        self._e.__exit__(*exc)
        self._w.__exit__(*exc)


# --------------------------------------------------------------------------- derivatives

def _dawsn_mp(x):
    return mpmath.sqrt(mpmath.pi) / 2 * mpmath.exp(-x * x) * mpmath.erfi(x)


def _owens_t_mp(h, a):
    return mpmath.quad(lambda t: mpmath.exp(-h * h * (1 + t * t) / 2) / (1 + t * t), [0, a]) / (
        2 * mpmath.pi)


# name, wire function of x, mpmath function of x, points
SMOOTH = {
    "zeta in q": (lambda q: ws.zeta(3.0, q), lambda q: mpmath.zeta(3, q), [0.3, 1.0, 2.5, 40.0]),
    "zeta in q, negative q": (lambda q: ws.zeta(2.0, q), lambda q: mpmath.zeta(2, q),
                              [-1.5, -0.25]),
    "boxcox in x": (lambda x: ws.boxcox(x, 0.7), lambda x: (x ** 0.7 - 1) / 0.7,
                    [0.1, 1.0, 3.5, 1e5]),
    "boxcox in lambda": (lambda lm: ws.boxcox(2.5, lm), lambda lm: (2.5 ** lm - 1) / lm
                         if lm else mpmath.log(2.5), [-3.0, -0.7, 1e-9, 0.3, 0.6, 4.0]),
    "boxcox in lambda, far": (lambda lm: ws.boxcox(1e-5, lm),
                              lambda lm: ((1e-5) ** lm - 1) / lm, [-0.5, 0.04, 0.5]),
    "boxcox1p in x": (lambda x: ws.boxcox1p(x, -0.4), lambda x: ((1 + x) ** -0.4 - 1) / -0.4,
                      [-0.9, -1e-8, 0.3, 20.0]),
    "boxcox1p in lambda": (lambda lm: ws.boxcox1p(1e-3, lm),
                           lambda lm: ((1 + mpmath.mpf("1e-3")) ** lm - 1) / lm,
                           [-2.0, 0.5, 3.0]),
    "expn 0": (lambda x: ws.expn(0, x), lambda x: mpmath.expint(0, x), [0.2, 1.0, 30.0]),
    "expn 1": (lambda x: ws.expn(1, x), lambda x: mpmath.expint(1, x), [0.2, 1.0, 30.0]),
    "expn 4": (lambda x: ws.expn(4, x), lambda x: mpmath.expint(4, x), [0.2, 1.0, 30.0]),
    "dawsn": (ws.dawsn, _dawsn_mp, [-20.0, -1.3, 0.0, 0.4, 9.9, 10.1, 300.0]),
    "spence": (ws.spence, lambda z: mpmath.polylog(2, 1 - z),
               [0.05, 0.5, 0.97, 1.0, 1.0 + 1e-9, 1.04, 1.3, 50.0]),
    "si": (lambda x: ws.sici(x)[0], mpmath.si, [-7.0, -0.05, 0.0, 0.09, 0.2, 3.0, 1e4]),
    "ci": (lambda x: ws.sici(x)[1], mpmath.ci, [0.01, 0.5, 3.0, 1e4]),
    "fresnel S": (lambda x: ws.fresnel(x)[0], mpmath.fresnels, [-2.2, 0.0, 0.7, 3.3]),
    "fresnel C": (lambda x: ws.fresnel(x)[1], mpmath.fresnelc, [-2.2, 0.0, 0.7, 3.3]),
    "hyp1f1 in z": (lambda z: ws.hyp1f1(0.5, 1.5, z), lambda z: mpmath.hyp1f1(0.5, 1.5, z),
                    [-3.0, 0.0, 0.8, 5.0]),
    "hyp1f1 in z, a negative integer": (lambda z: ws.hyp1f1(-3.0, 2.0, z),
                                        lambda z: mpmath.hyp1f1(-3, 2, z), [-1.0, 2.0]),
    "hyp2f1 in z": (lambda z: ws.hyp2f1(0.5, 1.5, 2.5, z),
                    lambda z: mpmath.hyp2f1(0.5, 1.5, 2.5, z), [-2.0, 0.0, 0.7]),
    "owens_t in h": (lambda h: ws.owens_t(h, 0.8), lambda h: _owens_t_mp(h, 0.8),
                     [-2.0, 0.0, 0.6, 5.0]),
    "owens_t in a": (lambda a: ws.owens_t(1.3, a), lambda a: _owens_t_mp(1.3, a),
                     [-4.0, 0.0, 0.7, 30.0]),
}


@pytest.mark.parametrize("case", sorted(SMOOTH))
def test_first_and_second_derivatives_match_mpmath(case):
    f, mp, points = SMOOTH[case]
    xs = np.array(points)
    d1, d2 = _d(f, 0), _d(f, 0, 2)
    _close(d1(xs), [_mp_deriv(mp, x) for x in points], rtol=1e-9)
    _close(d2(xs), [_mp_deriv(mp, x, 2) for x in points], rtol=1e-7)
    assert wire.grad(f)(points[1]) == pytest.approx(_mp_deriv(mp, points[1]), rel=1e-9)


@pytest.mark.parametrize("f, args", [
    (ws.boxcox, (np.array([0.4, 2.0]), np.array([-0.3, 1.7]))),
    (ws.boxcox1p, (np.array([-0.4, 2.0]), np.array([0.2, -1.1]))),
    (ws.owens_t, (np.array([0.4, -1.5]), np.array([0.9, -0.3]))),
    (lambda q: ws.zeta(2.5, q), (np.array([0.7, 3.0]),)),
    (lambda x: ws.expn(2, x), (np.array([0.7, 3.0]),)),
    (lambda z: ws.hyp1f1(1.5, 2.5, z), (np.array([-1.0, 0.5]),)),
    (lambda z: ws.hyp2f1(1.5, 0.5, 2.5, z), (np.array([-1.0, 0.5]),)),
    (ws.dawsn, (np.array([-0.5, 11.0]),)),
    (ws.spence, (np.array([0.98, 2.0]),)),
    (lambda x: ws.sici(x)[0] * ws.sici(x)[1], (np.array([0.05, 2.0]),)),
    (lambda x: ws.fresnel(x)[0] - ws.fresnel(x)[1], (np.array([0.3, 1.7]),)),
])
def test_check_grads_to_second_order(f, args):
    check_grads(lambda *a: wire.numpy.sum(f(*a)), args, order=2)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0), 1/0 at the edges, on purpose
def test_derivatives_at_special_points():
    # si' = sin x / x: 1 at 0 (both zeros), 0 at ±inf; si'' = 0 at 0
    si, ci = (lambda x: ws.sici(x)[0]), (lambda x: ws.sici(x)[1])
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    _close(_d(si, 0)(x), [1.0, 1.0, 0.0, 0.0, np.nan])
    _close(_d(si, 0, 2)(x[:2]), [0.0, 0.0])
    _close(_d(si, 0, 3)(x[:2]), [-1 / 3, -1 / 3])
    # ci' = cos x / x: ±inf at ±0, 0 at ±inf
    _close(_d(ci, 0)(x), [np.inf, -np.inf, 0.0, 0.0, np.nan])
    # dawsn' = 1 - 2x dawsn: 1 at 0, 0 at ±inf (not inf * 0)
    _close(_d(ws.dawsn, 0)(x), [1.0, 1.0, 0.0, 0.0, np.nan])
    # spence' = log z / (1 - z): -1 at 1 (not 0/0), 1/2 its derivative there; -inf at 0
    z = np.array([1.0, 0.0, -1.0])
    _close(_d(ws.spence, 0)(z), [-1.0, -np.inf, np.nan])
    _close(_d(ws.spence, 0, 2)(z[:1]), [0.5])
    _close(_d(ws.spence, 0, 3)(z[:1]), [_mp_deriv(lambda t: mpmath.polylog(2, 1 - t), 1.0, 3)])
    # boxcox in λ at λ = 0: log² x / 2, then log³ x / 3; at x = 0 (value -1/λ) 1/λ²
    dl = _d(ws.boxcox, 1)
    _close(dl(np.array([np.e, 0.0, 0.0, np.inf]), np.array([0.0, 0.5, -0.5, -2.0])),
           [0.5, 4.0, np.inf, 0.25])
    _close(_d(ws.boxcox, 1, 2)(np.e, 0.0), 1 / 3)
    _close(_d(ws.boxcox, 0)(np.array([0.0, 0.0, -1.0]), np.array([1.0, 2.0, 2.0])),
           [1.0, 0.0, np.nan])
    # owens_t in h is 0 at ±inf (not 0 * nan)
    _close(_d(ws.owens_t, 0)(np.array([np.inf, -np.inf]), np.array([0.0, 1.0])), [0.0, 0.0])
    # the Fresnel derivatives at NaN and ±inf: NaN (sin of an unknown phase), not sin(0)
    S1 = _d(lambda x: ws.fresnel(x)[0], 0)
    _close(S1(np.array([np.nan, np.inf, -np.inf, 0.0])), [np.nan, np.nan, np.nan, 0.0])
    # expn' at 0: -E_{n-1}(0)
    _close(_d(lambda x: ws.expn(2, x), 0)(np.array(0.0)), -np.inf)
    _close(_d(lambda x: ws.expn(3, x), 0)(np.array(0.0)), -1.0)


def test_huge_arguments_keep_their_derivatives():
    # dawsn' ~ -1/(2x²): 1 - 2x dawsn(x) cancelled every digit there
    x = np.array([1e4, 1e8, -1e150])
    _close(_d(ws.dawsn, 0)(x), -0.5 / x**2 - 0.75 / x**2 / x**2, rtol=1e-13)
    _close(_d(ws.dawsn, 0, 2)(x[:2]), 1.0 / x[:2]**3, rtol=1e-10)
    # the Fresnel phase πx²/2 taken exactly: x² = 1e16 + 2e8 + 1 at x = 1e8 + 1 is 1 mod 4
    S1, C1 = _d(lambda x: ws.fresnel(x)[0], 0), _d(lambda x: ws.fresnel(x)[1], 0)
    xs = np.array([1e8 + 1.0, 2.0**53 + 2.0, 1e200, 12345.678])
    with mpmath.workdps(60):
        want_s = [float(mpmath.sinpi(mpmath.mpf(v) ** 2 / 2)) for v in xs]
        want_c = [float(mpmath.cospi(mpmath.mpf(v) ** 2 / 2)) for v in xs]
    _close(S1(xs), want_s, atol=1e-12)
    _close(C1(xs), want_c, atol=1e-12)
    # float32 x: its square is exact in float64
    x32 = np.float32(4097.3)
    with mpmath.workdps(60):
        want = float(mpmath.sinpi(mpmath.mpf(float(x32)) ** 2 / 2))
    got = S1(np.array(x32))
    assert got.dtype == np.float32 and abs(float(got) - want) < 1e-6
    # second derivative: πx cos(πx²/2)
    _close(_d(lambda x: ws.fresnel(x)[0], 0, 2)(np.array(1e8 + 1.0)),
           np.pi * (1e8 + 1.0) * want_c[0], rtol=1e-12)


def test_float32_derivatives_stay_float32():
    x = np.array([0.5, 1.5], np.float32)
    for f in (ws.dawsn, ws.spence, lambda x: ws.sici(x)[0], lambda x: ws.fresnel(x)[1],
              lambda x: ws.boxcox(x, np.float32(0.5)), lambda x: ws.expn(2.0, x),
              lambda x: ws.owens_t(x, np.float32(0.5)), lambda x: ws.zeta(np.float32(2), x)):
        d = _d(f, 0)(x)
        assert d.dtype == np.float32
        _close(d, _d(f, 0)(x.astype(np.float64)), rtol=1e-5)
    # an integer order takes SciPy's loop for integers: float64, exact for every int64
    assert wire.jit(lambda x: ws.expn(2, x))(x).dtype == ss.expn(2, x).dtype == np.float64
    n = np.array([2**62, 3])
    with _quiet():
        _same(wire.jit(ws.expn)(n, np.array([1.0, 1.0])), ss.expn(n, np.array([1.0, 1.0])))


@pytest.mark.parametrize("f, argnum, match", [
    (lambda n: ws.expn(n, 1.0), 0, "expn: no derivative in n"),
    (lambda a: ws.hyp1f1(a, 2.0, 0.5), 0, "hyp1f1: no derivative in a"),
    (lambda b: ws.hyp1f1(1.0, b, 0.5), 0, "hyp1f1: no derivative in b"),
    (lambda c: ws.hyp2f1(1.0, 2.0, c, 0.5), 0, "hyp2f1: no derivative in c"),
])
def test_no_derivative_in_the_parameters_raises(f, argnum, match):
    for mode in (wire.grad(f), lambda x: wire.jvp(f, (x,), (1.0,))):
        with pytest.raises(wire.NonDifferentiableError, match=match):
            mode(1.5)
    # the other arguments still differentiate, the parameter traced but held
    assert np.isfinite(wire.grad(lambda z: ws.hyp1f1(wire.stop_gradient(z), 2.0, z))(0.5))


def test_vmap_jit_and_broadcasting():
    x = np.linspace(0.1, 3.0, 6)
    lm = np.array([-0.5, 0.0, 0.5])
    got = wire.vmap(lambda l: ws.boxcox(x, l))(lm)
    _same(got, ss.boxcox(x[None, :], lm[:, None]))
    _same(wire.vmap(ws.dawsn)(x), ss.dawsn(x))
    s, c = wire.jit(wire.vmap(ws.fresnel))(x)
    _same(s, ss.fresnel(x)[0])
    _same(c, ss.fresnel(x)[1])
    n = np.array([0, 1, 2, 3])
    _same(wire.vmap(ws.expn, in_axes=(0, None))(n, 1.5), ss.expn(n, 1.5))
    g = wire.vmap(wire.grad(lambda z, a: ws.hyp1f1(a, 2.0, z)), in_axes=(0, None))(x, 1.5)
    _close(g, 1.5 / 2.0 * ss.hyp1f1(2.5, 3.0, x), rtol=1e-14)
    # empty and size-0 batches
    _same(wire.jit(ws.spence)(np.zeros((0, 2))), ss.spence(np.zeros((0, 2))))


def test_bessel_jn_stacks_the_orders():
    z = np.array([[0.0, 1.0], [7.5, -2.0]])
    want = np.stack([ss.jv(k, z) for k in range(4)])
    _same(ws.bessel_jn(z, v=3), want)
    _same(wire.jit(lambda t: ws.bessel_jn(t, v=3))(z), want)
    assert ws.bessel_jn(np.float32(1.0), v=2).dtype == np.float32
    assert wire.jit(lambda t: ws.bessel_jn(t, v=2))(np.float32(1.0)).dtype == np.float32
    # d/dz J_k = (J_{k-1} - J_{k+1}) / 2
    d = wire.jacfwd(lambda t: ws.bessel_jn(t, v=2))(1.3)
    _close(d, [-ss.jv(1, 1.3), (ss.jv(0, 1.3) - ss.jv(2, 1.3)) / 2,
               (ss.jv(1, 1.3) - ss.jv(3, 1.3)) / 2], rtol=1e-12)
    for bad in (-1, 1.5):
        with pytest.raises(wire.WireError, match="bessel_jn: v must be"):
            ws.bessel_jn(z, v=bad)


def test_bernoulli_is_scipys_and_needs_a_concrete_n():
    _same(ws.bernoulli(6), ss.bernoulli(6))
    _same(ws.bernoulli(0), ss.bernoulli(0))
    with pytest.raises(wire.WireError, match="bernoulli: n must be a concrete integer"):
        wire.jit(ws.bernoulli)(np.int64(3))


def test_wofz_values_and_holomorphic_derivatives():
    z = np.array([0.0, 1j, -2.5 + 0.3j, 3.0 - 1.0j, 1e3 + 1e3j, np.inf, np.nan + 0j])
    with _quiet():
        _same(wire.jit(ws.wofz)(z), ss.wofz(z))
        _same(wire.jit(ws.wofz)(z.astype(np.complex64)), ss.wofz(z.astype(np.complex64)))
        x = np.array([0.0, -0.0, 1.5, -30.0, np.inf, np.nan])
        for dt in (np.float64, np.float32, np.float16):
            _same(wire.jit(ws.wofz)(x.astype(dt)), ss.wofz(x.astype(dt)))
    # w' = 2i/√π - 2z w, against mpmath's derivative of e^(-z²) erfc(-iz)
    pts = [0.3 + 0.2j, -1.0 + 0.5j, 2.0 - 0.4j]
    with mpmath.workdps(30):
        mp = [complex(mpmath.diff(lambda t: mpmath.exp(-t * t) * mpmath.erfc(-1j * t),
                                  mpmath.mpc(p))) for p in pts]
        mp2 = [complex(mpmath.diff(lambda t: mpmath.exp(-t * t) * mpmath.erfc(-1j * t),
                                   mpmath.mpc(p), 2)) for p in pts]
    zs = np.array(pts)
    _, d1 = wire.jvp(ws.wofz, (zs,), (np.ones(3, complex),))
    _close(d1, mp, rtol=1e-12)
    d2 = wire.jvp(lambda t: wire.jvp(ws.wofz, (t,), (np.ones(3, complex),))[1], (zs,),
                  (np.ones(3, complex),))[1]
    _close(d2, mp2, rtol=1e-10)
    # a real x: the gradient of the real and imaginary parts
    re = wire.grad(lambda t: wire.numpy.real(ws.wofz(t)))(0.7)
    im = wire.grad(lambda t: wire.numpy.imag(ws.wofz(t)))(0.7)
    want = complex(mpmath.diff(lambda t: mpmath.exp(-t * t) * mpmath.erfc(-1j * t), 0.7))
    _close([re, im], [want.real, want.imag], rtol=1e-12)
    assert wire.jit(ws.wofz)(np.float32(1.0)).dtype == ss.wofz(np.float32(1.0)).dtype


def test_sph_harm_y_values_and_angle_derivatives():
    n, m = np.array([0, 1, 2, 3, 3, 2]), np.array([0, -1, 2, 1, -3, 3])
    t = np.array([0.3, 0.05, np.pi, 1.1, 2.0, 0.7])
    p = np.array([0.1, 2.0, -1.0, 0.4, 5.0, 0.2])
    _same(wire.jit(ws.sph_harm_y)(n, m, t, p), ss.sph_harm_y(n, m, t, p))
    # at the pole θ = 0: ∂θ Y_1^-1 = √(3/2π) e^(-iφ) / 2 (no cot θ in the rule: 0 · inf)
    d0 = wire.jvp(lambda x: ws.sph_harm_y(1, -1, x, 2.0), (0.0,), (1.0,))[1]
    _close(d0, 0.5 * np.sqrt(3 / (2 * np.pi)) * np.exp(-2j), rtol=1e-14)
    _same(wire.jit(ws.sph_harm_y)(n, m, t.astype(np.float32), p.astype(np.float32)),
          ss.sph_harm_y(n, m, t.astype(np.float32), p.astype(np.float32)))

    def mp_y(nn, mm, tt, pp):
        return mpmath.spherharm(int(nn), int(mm), tt, pp) if abs(mm) <= nn else mpmath.mpc(0)

    with mpmath.workdps(30):
        want_t = [complex(mpmath.diff(lambda x: mp_y(a, b, x, d), c)) for a, b, c, d in
                  zip(n, m, t, p)]
        want_p = [complex(mpmath.diff(lambda x: mp_y(a, b, c, x), d)) for a, b, c, d in
                  zip(n, m, t, p)]
        want_tt = [complex(mpmath.diff(lambda x: mp_y(a, b, x, d), c, 2)) for a, b, c, d in
                   zip(n, m, t, p)]
    one = np.ones(6)
    dt = wire.jvp(lambda x: ws.sph_harm_y(n, m, x, p), (t,), (one,))[1]
    dp = wire.jvp(lambda x: ws.sph_harm_y(n, m, t, x), (p,), (one,))[1]
    dtt = wire.jvp(lambda y: wire.jvp(lambda x: ws.sph_harm_y(n, m, x, p), (y,), (one,))[1],
                   (t,), (one,))[1]
    _close(dt, want_t, rtol=1e-10, atol=1e-12)
    _close(dp, want_p, rtol=1e-10, atol=1e-12)
    _close(dtt, want_tt, rtol=1e-8, atol=1e-10)
    # reverse mode on a real function of it
    g = wire.grad(lambda x: wire.numpy.imag(ws.sph_harm_y(3, 1, x, 0.4)))(1.1)
    _close(g, want_t[3].imag, rtol=1e-10)
    with pytest.raises(wire.WireError, match="diff_n=1 is supported on concrete"):
        wire.jit(lambda x: ws.sph_harm_y(1, 0, x, 0.0, diff_n=1))(0.5)
    with pytest.raises(wire.WireError, match="n must be an integer"):
        wire.jit(lambda x: ws.sph_harm_y(1.0, 0, x, 0.0))(0.5)
