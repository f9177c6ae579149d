"""Limits that random tests never reach, in ``wire.nn`` activations and ``wire.scipy``'s
special functions and distributions: values and derivatives at ``±inf``, where an
intermediate overflows but the result does not, at tiny parameters and at NaN. Expected
values are closed forms, mpmath, or SciPy."""

import numpy as np
import pytest

import wire
from wire import nn

INF = np.inf

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _d(fn, order):
    for _ in range(order):
        fn = wire.grad(fn)
    return fn


# activation, its limit at +inf / -inf for (value, first, second derivative)
_SATURATING = [
    ("gelu", nn.gelu),
    ("gelu_exact", lambda x: nn.gelu(x, approximate=False)),
    ("silu", nn.silu),
]


@pytest.mark.parametrize("name,fn", _SATURATING)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_saturating_activations_take_their_limits_at_infinity(name, fn, dtype):
    # x * Phi(x) and x * sigmoid(x): at +inf the value is inf, the derivative 1, the second
    # derivative 0; at -inf the value is -0.0 and both derivatives 0. The product form makes
    # inf * 0 = NaN (JAX and torch do), as does an overflowed x**2 at 1e300
    for x, want in [(INF, (INF, 1.0, 0.0)), (1e300, (INF if dtype != np.float64 else 1e300, 1.0, 0.0)),
                    (-INF, (-0.0, 0.0, 0.0)), (-1e300, (-0.0, 0.0, 0.0))]:
        xx = np.asarray(x, dtype)
        for order in range(3):
            got = np.asarray(_d(fn, order)(xx))
            assert got.dtype == dtype, (name, x, order)
            assert got == np.asarray(want[order], dtype), (name, x, order, got)
        jvp = wire.jvp(fn, (np.array([xx]),), (np.ones(1, dtype),))[1]
        assert jvp[0] == want[1], (name, x, jvp)
    # NaN stays NaN, in the value and the derivative
    assert np.isnan(fn(np.asarray(np.nan, dtype)))
    assert np.isnan(wire.grad(fn)(np.asarray(np.nan, dtype)))


@pytest.mark.parametrize("name,fn", _SATURATING)
def test_saturating_activations_are_unchanged_near_the_switch(name, fn):
    # the limits are taken only where the formula already equals them in float64: compare
    # the derivatives with central differences in mpmath across the switch points
    import mpmath
    mpmath.mp.dps = 40
    # F(x) with f(x) = x * F(x); for x > 0 differentiate x * (1 - F(x)) = x * F(-x)
    # (these three are odd-symmetric that way) to keep the tiny tail free of cancellation
    cdf = {
        "gelu": lambda x: 1 / (1 + mpmath.exp(-2 * mpmath.sqrt(2 / mpmath.pi)
                                                * (x + mpmath.mpf("0.044715") * x ** 3))),
        "gelu_exact": mpmath.ncdf,
        "silu": lambda x: 1 / (1 + mpmath.exp(-x)),
    }[name]

    def exact(x, order):
        if x < 0:
            return mpmath.diff(lambda t: t * cdf(t), mpmath.mpf(x), order)
        tail = mpmath.diff(lambda t: t * cdf(-t), mpmath.mpf(x), order)
        return [x, 1, 0][order] - tail

    for x in [-900.0, -45.0, -31.0, -29.0, -8.0, -1.5, 0.5, 3.0, 29.0, 31.0, 45.0, 900.0]:
        for order in (0, 1, 2):
            want = float(exact(x, order))
            got = float(_d(fn, order)(x))
            assert got == pytest.approx(want, rel=1e-9, abs=1e-300), (x, order, got, want)


@pytest.mark.parametrize("a,b,x", [(1e-12, 0.5, 0.3), (1e-12, 50.0, 0.01), (1e-8, 1.0, 0.3),
                                   (1e-8, 3.0, 1e-10), (1e-4, 1e4, 1e-6), (1e-3, 50.0, 0.01),
                                   (0.05, 2.0, 0.2), (2.0, 1e-9, 0.9), (3.0, 1e-5, 0.99)])
def test_betainc_shape_derivatives_at_tiny_shapes(a, b, x):
    # the continued fraction's prefactor 1 / (a B(a, b)) has log-derivatives -1/a - psi(a)
    # that cancel to O(1), and its x^a y^b cancels the fraction's value to derivatives of
    # size O(a): both lost relative accuracy like eps / a (a = 1e-12: 1e-4 in d/da, 1e-2
    # in d/db). mpmath differentiates the smaller of I and 1 - I, free of that cancellation
    import mpmath
    from wire.scipy.special import betainc
    mpmath.mp.dps = 50
    small_is_i = float(mpmath.betainc(a, b, 0, x, regularized=True)) < 0.5

    def ref(i, j):
        lo, hi, sign = (0, x, 1) if small_is_i else (x, 1, -1)
        d = mpmath.diff(lambda p, q: mpmath.betainc(p, q, lo, hi, regularized=True), (a, b), (i, j))
        return sign * float(d) if (i, j) != (0, 0) else float(mpmath.betainc(a, b, 0, x, regularized=True))

    da, db = wire.grad(betainc, argnums=(0, 1))(a, b, x)
    assert float(da) == pytest.approx(ref(1, 0), rel=1e-12, abs=0)
    assert float(db) == pytest.approx(ref(0, 1), rel=1e-12, abs=0)
    daa = wire.grad(wire.grad(betainc, 0), 0)(a, b, x)
    dab = wire.grad(wire.grad(betainc, 0), 1)(a, b, x)
    dbb = wire.grad(wire.grad(betainc, 1), 1)(a, b, x)
    assert float(daa) == pytest.approx(ref(2, 0), rel=1e-11, abs=0)
    assert float(dab) == pytest.approx(ref(1, 1), rel=1e-11, abs=0)
    assert float(dbb) == pytest.approx(ref(0, 2), rel=1e-11, abs=0)
    assert float(betainc(a, b, x)) == pytest.approx(ref(0, 0), rel=1e-14, abs=0)


# (n, k, d binom/dn, d binom/dk) at zeros of binom (n-k+1 or k+1 a pole of Gamma), where
# B * (psi - psi) was 0 * inf = NaN; values from mpmath.diff(mpmath.binomial)
_BINOM_ZEROS = [
    (0.0, 3.0, 1 / 3, -1 / 3), (1.0, 3.0, -1 / 6, 1 / 6), (0.0, 10.0, -0.1, 0.1),
    (3.0, 300.0, 7.557638138320951e-10, -7.557638138320951e-10),
    (50.0, 300.0, -1.285044642949306e-60, 1.285044642949306e-60),
    (-2.5, 2.5, 17.066666666666666, -17.066666666666666),
    (-0.5, 171.5, -0.13524659295150998, 0.13524659295150998),
    (-200.5, -30.5, -3.6942036747505913e-38, 3.6942036747505913e-38),
    (50.0, -1.0, 0.0, 0.0196078431372549), (-30.5, -1.0, 0.0, -0.03389830508474576),
    (1e10, -1.0, 0.0, 9.999999999e-11),
]


@pytest.mark.parametrize("n,k,dn,dk", _BINOM_ZEROS)
def test_binom_derivatives_at_its_zeros(n, k, dn, dk):
    from wire.scipy.special import binom
    assert float(binom(n, k)) == 0.0
    gn, gk = wire.grad(binom, argnums=(0, 1))(n, k)
    assert float(gn) == pytest.approx(dn, rel=1e-12, abs=1e-300)
    assert float(gk) == pytest.approx(dk, rel=1e-12, abs=1e-300)
    # forward mode agrees; the second derivative there is not claimed: NaN, not a number
    tn = wire.jvp(binom, (np.array([n]), np.array([k])), (np.ones(1), np.zeros(1)))[1]
    assert tn[0] == pytest.approx(dn, rel=1e-12, abs=1e-300)
    assert np.isnan(wire.grad(wire.grad(binom, 1), 1)(n, k))


def test_binom_k_derivative_where_k_plus_one_rounds():
    # d/dk binom(n, k) at n = k = 1e17 is psi(1) - psi(1e17 + 1) = -39.7212 (mpmath); k + 1
    # rounds to k there, and psi(n - k + 1) was taken at 0: -inf
    from wire.scipy.special import binom
    assert float(wire.grad(binom, 1)(1e17, 1e17)) == pytest.approx(-39.72116224580031, rel=1e-13, abs=0)


@pytest.mark.parametrize("a,m,da,dm", [
    (0.0, 2.5, 1.329340388179137, 0.0), (-1.0, 10.0, -40320.0, 0.0),
    (0.0, -0.5, -3.544907701811032, 0.0), (-1.0, -0.5, -2.363271801207355, 0.0),
    (0.0, 171.5, 9.4833675668248e307, 0.0), (-1.0, -30.5, -6.780309345060872e-35, 0.0),
    # both a and a + m poles: m is an integer and poch(., m) rational: (1/(a-1))' = -1/4
    (-1.0, -1.0, -0.25, np.nan), (-1.0, 1.0, 1.0, np.nan), (0.0, 0.0, 0.0, np.nan),
    (-3.0, 2.0, -5.0, np.nan),
])
def test_poch_derivatives_at_poles_of_gamma_a(a, m, da, dm):
    # poch = Gamma(a + m) / Gamma(a) is 0 at a pole of Gamma(a); P * (psi(a+m) - psi(a))
    # was 0 * inf = NaN. mpmath.diff(mpmath.rf); in m it jumps where both are poles: NaN
    from wire.scipy.special import poch
    ga, gm = wire.grad(poch, argnums=(0, 1))(a, m)
    assert float(ga) == pytest.approx(da, rel=1e-12, abs=0)
    if np.isnan(dm):
        assert np.isnan(gm)
    else:
        assert float(gm) == dm


_CONTINUOUS = {"norm": (), "t": (3.0,), "beta": (2.0, 3.0), "gamma": (2.5,), "chi2": (3.0,),
               "expon": (), "laplace": (), "logistic": (), "cauchy": (), "uniform": ()}


@pytest.mark.parametrize("name", sorted(_CONTINUOUS))
def test_stats_derivatives_at_a_nan_input_are_nan(name):
    # the masks gave NaN inputs a constant NaN, of derivative 0; JAX's formulas carry the
    # NaN into every derivative. Any one argument NaN: value and all derivatives NaN
    from wire.scipy import stats
    dist = getattr(stats, name)
    shapes = _CONTINUOUS[name]
    for method in ("logpdf", "pdf", "cdf", "sf", "logcdf", "logsf", "ppf", "isf"):
        if not hasattr(dist, method) or (method in ("ppf", "isf") and shapes):
            continue
        fn = getattr(dist, method)
        base = [0.3, *shapes, 0.1, 1.2]
        for i in range(len(base)):
            args = list(base)
            args[i] = np.nan
            grads = wire.grad(fn, argnums=tuple(range(len(base))))(*args)
            assert all(np.isnan(g) for g in grads), (name, method, i, grads)
            assert np.isnan(fn(*args))
        # finite inputs keep their finite derivatives (and jit agrees)
        g = wire.grad(fn)(*base)
        assert np.isfinite(g) and g == wire.jit(wire.grad(fn))(*base)
    for method in ("mean", "var", "std", "entropy"):
        fn = getattr(dist, method)
        base = [*shapes, 0.1, 1.2]
        for i in range(len(base)):
            args = list(base)
            args[i] = np.nan
            assert np.isnan(fn(*args)), (name, method, i)  # SciPy: NaN loc makes var NaN
            assert np.isnan(wire.grad(fn, argnums=i)(*args)), (name, method, i)


def test_stats_nan_entries_of_an_array_poison_only_themselves():
    from wire.scipy import stats
    x = np.array([0.5, np.nan, -1.0, np.inf])
    g = wire.grad(lambda x: stats.norm.logpdf(x).sum())(x)
    assert g[0] == -0.5 and np.isnan(g[1]) and g[2] == 1.0 and g[3] == 0.0
    gs = wire.grad(lambda s: stats.norm.logpdf(x, 0.0, s).sum())(1.0)
    assert np.isnan(gs)  # the sum has a NaN term
    # discrete distributions too
    gk = wire.grad(stats.poisson.logpmf, argnums=1)(2.0, np.nan)
    assert np.isnan(gk)
    assert np.isnan(wire.grad(stats.binom.cdf, argnums=2)(2.0, 5.0, np.nan))


@pytest.mark.parametrize("fn,args", [
    ("entr", (np.nan,)), ("rgamma", (np.nan,)), ("kl_div", (np.nan, 0.7)),
    ("kl_div", (0.7, np.nan)), ("rel_entr", (np.nan, 0.7)), ("rel_entr", (0.7, np.nan)),
])
def test_special_derivatives_at_a_nan_input_are_nan(fn, args):
    from wire.scipy import special
    f = getattr(special, fn)
    assert np.isnan(f(*args))
    grads = wire.grad(f, argnums=tuple(range(len(args))))(*args)
    assert all(np.isnan(g) for g in grads), grads
    # float32 keeps its dtype
    args32 = tuple(np.float32(a) for a in args)
    assert wire.grad(f)(*args32).dtype == np.float32


def test_beta_sf_and_logcdf_at_tiny_x_with_a_tiny_shape():
    # I_x(0.001, 2) = 0.5017 at x = 1e-300: sf took I_{1-x}(2, 0.001) = I_1 = 1 there (1 - x
    # rounds to 1) and gave sf = 0, logcdf = log1p(-0) ... = -inf; SciPy and mpmath: 0.49831
    from wire.scipy import stats
    import scipy.stats as ss
    for x in (1e-300, 1e-20, 1e-9):
        want = ss.beta.sf(x, 0.001, 2.0)
        assert float(stats.beta.sf(x, 0.001, 2.0)) == pytest.approx(want, rel=1e-12, abs=0)
        assert float(stats.beta.logcdf(x, 0.001, 2.0)) == pytest.approx(
            ss.beta.logcdf(x, 0.001, 2.0), rel=1e-12, abs=0)
        # d sf / dx = -pdf
        assert float(wire.grad(stats.beta.sf)(x, 0.001, 2.0)) == pytest.approx(
            -ss.beta.pdf(x, 0.001, 2.0), rel=1e-12, abs=0)


@pytest.mark.parametrize("name,shapes", [("beta", (2.0, 3.0)), ("gamma", (2.5,)),
                                         ("chi2", (3.0,)), ("expon", ())])
def test_logcdf_is_minus_inf_where_z_reaches_the_lower_end_before_x(name, shapes):
    # z = (x - loc) / scale is 0 (scale = inf, or an underflow) while x - loc is not: the
    # cdf is 0 (SciPy: logcdf -inf); the log of the distance x - loc gave log(0.5), log(40),
    # and NaN for x < loc
    from wire.scipy import stats
    dist = getattr(stats, name)
    for x in (-1.0, 1e-300, 0.5, 40.0):
        assert float(dist.logcdf(x, *shapes, 0.0, np.inf)) == -INF, x
    assert float(dist.logcdf(1e-300, *shapes, 0.0, 1e300)) == -INF
    # at x = loc itself: still -inf, with derivative +inf in x (log of the distance)
    assert float(dist.logcdf(0.0, *shapes)) == -INF
    assert float(wire.grad(dist.logcdf)(0.0, *shapes)) == INF


@pytest.mark.parametrize("a,x,want", [
    # mpmath: exp((a-1) log x - x - loggamma(a)), 40 digits
    (1e10, 1e10, 3.989422803981082e-06), (1e10, 1e10 + 3e5, 4.432114323802871e-08),
    (1e6, 1e6 + 500, 0.0003519040096146755), (1500.0, 1400.0, 0.0003368345690234791),
])
def test_gamma_density_at_large_shapes(a, x, want):
    # x^(a-1) e^-x / Gamma(a) by the exponential of (a-1) log x - x - lnGamma(a): terms of
    # size 2e11 cancelling to -12.4 lost 1e-5 (gamma.pdf, poisson.pmf at 1e10)
    from wire.scipy import stats
    assert float(stats.gamma.pdf(x, a)) == pytest.approx(want, rel=1e-13, abs=0)
    assert float(stats.poisson.pmf(a - 1.0, x)) == pytest.approx(want, rel=1e-13, abs=0)
    assert float(wire.jit(stats.gamma.pdf)(x, a)) == pytest.approx(want, rel=1e-13, abs=0)


@pytest.mark.parametrize("dtype,big", [(np.float64, 1e200), (np.float64, 1e154),
                                       (np.float32, 1e20), (np.float16, 6e4)])
def test_layer_and_batch_norm_of_values_whose_squares_overflow(dtype, big):
    # the variance of [big, -big, 0] overflowed to inf and the output was 0 (torch's too);
    # the truth is (±sqrt(3/2), 0). Ordinary inputs give the unscaled formula's bits
    init, apply = nn.LayerNorm()
    p = init(None, (1, 3))
    x = np.array([[big, -big, 0.0]], dtype)
    r = np.sqrt(1.5)
    np.testing.assert_allclose(apply(p, x), [[r, -r, 0.0]], rtol=2e-3 if dtype == np.float16 else 1e-6)
    g = wire.grad(lambda x: (apply(p, x) * np.arange(3.0)).sum())(x)
    assert np.all(np.isfinite(g))
    bi, ba = nn.BatchNorm()
    y, _ = ba(bi(None, (1, 1)), np.array([[big], [-big]], dtype), train=True)
    np.testing.assert_allclose(y[:, 0], [1.0, -1.0], rtol=1e-3)
    xs = np.random.default_rng(0).normal(size=(6, 5)) * np.logspace(-5, 5, 6)[:, None]
    want = (xs - xs.mean(-1, keepdims=True)) / np.sqrt(xs.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_array_equal(nn.LayerNorm()[1](nn.LayerNorm()[0](None, (1, 5)), xs), want)


def _central(f, x, h):
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


@pytest.mark.parametrize("method,x", [("logcdf", 250.0), ("logcdf", 400.0), ("logsf", 250.0)])
def test_gamma_log_probabilities_differentiate_in_a_large_shape(method, x):
    # logcdf picks log(cdf) or log1p(-sf); the unused one ran at the interior point z = 1,
    # where sf(1; a=300) = 1: log1p(-1)'s infinite derivative times 0 made d/da NaN
    from wire.scipy import stats
    import scipy.stats as ss
    want = _central(lambda a: getattr(ss.gamma, method)(x, a), 300.0, 1e-3)
    got = float(wire.grad(getattr(stats.gamma, method), argnums=1)(x, 300.0))
    assert got == pytest.approx(want, rel=1e-6, abs=0)


@pytest.mark.parametrize("n,x,want", [
    # mpmath.polygamma, 30 digits
    (2, -100000.5, -9.99980000274997e-11), (2, -1000.5, -9.98002747002644e-07),
    (4, -100000.5, None), (1, -100000.25, 19.739198802253718), (3, -30.3, None),
])
def test_polygamma_reflection_at_large_negative_arguments(n, x, want):
    # SciPy's reflection rounds pi*x: polygamma(2, -100000.5) was off by 4e-6 relative and
    # polygamma(4, -100000.5) by 8e5 (their cotangent terms vanish at half-integers)
    import mpmath
    from wire.scipy.special import polygamma, digamma
    mpmath.mp.dps = 30
    want = float(mpmath.polygamma(n, mpmath.mpf(x)))
    assert float(polygamma(n, x)) == pytest.approx(want, rel=1e-14, abs=0)
    if n == 2:  # the derivatives of digamma are these polygammas
        assert float(wire.grad(wire.grad(digamma))(x)) == pytest.approx(want, rel=1e-14, abs=0)
