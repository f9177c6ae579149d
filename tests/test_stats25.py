"""wire.scipy.stats's f, lognorm, weibull_min, chi, rayleigh, invgamma, halfnorm, halfcauchy,
skewnorm, loggamma (and wrapcauchy's quantiles), and the descriptive statistics (zscore,
entropy, moment, skew, kurtosis, variation, gmean, hmean, pmean, iqr, median_abs_deviation,
trim_mean, pearsonr, spearmanr, kendalltau): values against SciPy 1.17, against mpmath in the
tails where SciPy's formula fails, special inputs (support ends, ±inf, NaN, invalid
parameters, constant, size-1 and empty data, ties), nan_policy and keepdims, float32 kept,
derivatives of first and second order against finite differences."""

import warnings

import numpy as np
import pytest
from selection import sampled_grid, skip_unless_slow, slow_only

import wire
from wire.scipy import stats as ws
from wire.testing import check_grads

st = pytest.importorskip("scipy.stats")
mpmath = pytest.importorskip("mpmath")

NEW = {
    "f": [(2.0, 3.0), (0.5, 3.0), (5.0, 3.0), (30.0, 1000.0)],
    "lognorm": [(0.5,), (3.0,)],
    "weibull_min": [(0.5,), (1.0,), (2.0,)],
    "chi": [(0.5,), (1.0,), (3.0,), (50.0,)],
    "rayleigh": [()],
    "invgamma": [(0.5,), (3.0,)],
    "halfnorm": [()],
    "halfcauchy": [()],
    "skewnorm": [(3.0,), (-2.0,), (0.0,)],
    "loggamma": [(0.5,), (3.0,)],
    "wrapcauchy": [(0.5,), (0.9,)],
}
CASES = [(name, s) for name, ss in NEW.items() for s in ss]
X = np.array([-1.0, -0.0, 0.0, 1e-300, 1e-5, 0.3, 1.0, 2.5, 6.0, 40.0, 1e10, -np.inf, np.nan])
METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")


def _mp(f, *args, dps=50):
    with mpmath.workdps(dps):
        return float(f(*[mpmath.mpf(a) for a in args]))


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    with np.errstate(all="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        return np.where(same, 0.0, np.abs(a - b) / np.maximum(np.abs(b), 1e-300))


# points where SciPy's value is off (mpmath's shown by the tests below): compared there instead
SCIPY_OFF = {("halfnorm", (), "logsf", 1e-300), ("skewnorm", (-2.0,), "sf", 2.5),
             ("skewnorm", (-2.0,), "logcdf", 2.5), ("halfnorm", (), "logcdf", 6.0),
             ("skewnorm", (-2.0,), "sf", 6.0), ("skewnorm", (-2.0,), "logcdf", 6.0),
             ("skewnorm", (-2.0,), "logsf", 2.5)}


@pytest.mark.parametrize("name,shapes", CASES)
def test_values_against_scipy(name, shapes):
    dist, ref = getattr(ws, name), getattr(st, name)
    bad = []
    with np.errstate(all="ignore"):
        for m in METHODS:
            want = getattr(ref, m)(X, *shapes)
            got = np.asarray(getattr(dist, m)(X, *shapes))
            assert got.shape == want.shape
            for x, g, w in zip(X, got, want):
                if (name, shapes, m, x) in SCIPY_OFF:
                    continue
                if m in ("logcdf", "logsf") and w == -np.inf and np.isfinite(g):
                    continue  # SciPy's log of an underflowed probability (see TAILS)
                assert np.isnan(g) == np.isnan(w), (name, shapes, m, x, g, w)
                bad.extend([(m, x, g, w)] if _rel(g, w) >= 1e-11 else [])
        assert not bad, (name, shapes, bad)
        # at +inf the densities' limits (SciPy's formulas give NaN for some shapes there)
        assert float(dist.logpdf(np.inf, *shapes)) == -np.inf
        assert float(dist.pdf(np.inf, *shapes)) == 0.0


# numeric quantiles (a bisection, ~1 s per call eagerly): one case each in every run
NUMERIC = ("f", "chi", "skewnorm", "loggamma")


@pytest.mark.parametrize("name,shapes", sampled_grid(
    CASES, lambda c: "numeric" if c[0] in NUMERIC + ("invgamma",) else c[0]))
def test_quantiles_against_scipy(name, shapes, request):
    skip_unless_slow(request)
    dist, ref = getattr(ws, name), getattr(st, name)
    q = np.array([0.0, 1e-6, 0.01, 0.3, 0.5, 0.9, 0.999999, 1.0])
    for m in ("ppf", "isf"):
        want = getattr(ref, m)(q, *shapes)
        got = np.asarray(getattr(dist, m)(q, *shapes))
        ok = (_rel(got, want) < 1e-8) | (np.abs(got - want) < 1e-14)
        assert ok.all(), (name, shapes, m, q[~ok], got[~ok], want[~ok])
    # round trips, and far in the tails by the log-probabilities
    qq = np.array([1e-12, 0.01, 0.4, 0.95]) if name != "wrapcauchy" else np.array([0.01, 0.4])
    for m, inv in (("ppf", "cdf"), ("isf", "sf")):
        back = np.asarray(getattr(dist, inv)(dist.__getattribute__(m)(qq, *shapes), *shapes))
        assert (_rel(back, qq) < 1e-9).all(), (name, shapes, m, qq, back)
    if name in ("wrapcauchy", "halfcauchy", "f"):
        return  # quantiles of 1e-200 underflow or are beyond the doubles
    for m, inv in (("ppf", "logcdf"), ("isf", "logsf")):
        z = dist.__getattribute__(m)(1e-200, *shapes)
        if float(z) in (0.0, np.inf):
            continue  # the quantile underflows (weibull_min's for c = 0.5: 1e-400)
        assert abs(float(getattr(dist, inv)(z, *shapes)) / np.log(1e-200) - 1) < 1e-9, m


@pytest.mark.parametrize("name,shapes", [c for c in CASES if c[0] != "skewnorm"])
def test_moments_and_entropy_against_scipy(name, shapes):
    dist, ref = getattr(ws, name), getattr(st, name)
    for m in ("mean", "var", "std", "entropy"):
        got, want = dist.__getattribute__(m)(*shapes), getattr(ref, m)(*shapes)
        assert _rel(got, want) < 1e-10 or abs(got - want) < 1e-15, m
    if name in NUMERIC + ("invgamma",) and (name, shapes) != ("chi", (1.0,)):
        return  # (median and interval are the quantiles: one numeric case)
    assert _rel(dist.median(*shapes), ref.median(*shapes)) < 1e-9
    lo, hi = dist.interval(0.9, *shapes)
    want = ref.interval(0.9, *shapes)
    assert _rel(lo, want[0]) < 1e-9 and _rel(hi, want[1]) < 1e-9


def test_skewnorm_moments_and_entropy():
    for a in (3.0, -2.0, 0.0, 1e3):
        assert _rel(ws.skewnorm.mean(a), st.skewnorm.mean(a)) < 1e-13
        assert _rel(ws.skewnorm.var(a), st.skewnorm.var(a)) < 1e-13
    a = np.array([0.0, 0.3, 1.0, 1.5, 3.0, 10.0, 100.0, -2.0])
    np.testing.assert_allclose(ws.skewnorm.entropy(a, scale=2.0),
                               st.skewnorm.entropy(a, scale=2.0), rtol=2e-15)
    # at a = -1e4 SciPy's quadrature gives the half-normal's limit 0.72579 (mpmath: 0.72586)
    with mpmath.workdps(30):
        big = mpmath.mpf(-1e4)
        want = float(mpmath.quad(lambda z: -2 * mpmath.npdf(z) * mpmath.ncdf(big * z) * mpmath.log(
            2 * mpmath.npdf(z) * mpmath.ncdf(big * z)), [-mpmath.inf, -1, -1e-2, -1e-4, 0, 1e-4,
                                                         1e-2, 1, mpmath.inf]))
    assert _rel(ws.skewnorm.entropy(-1e4), want) < 1e-14
    check_grads(lambda a, s: ws.skewnorm.entropy(a, scale=s), (1.7, 1.3), order=2)
    check_grads(lambda a, s: ws.skewnorm.entropy(a, scale=s), (0.4, 1.3), order=2)


def test_chi_moments_at_a_large_df():
    # var = df - mean² cancels: -df expm1(2R) keeps it (mpmath)
    for df in (1e3, 1e8):
        m = _mp(lambda d: mpmath.sqrt(2) * mpmath.gamma((d + 1) / 2) / mpmath.gamma(d / 2), df)
        v = _mp(lambda d: d - 2 * (mpmath.gamma((d + 1) / 2) / mpmath.gamma(d / 2)) ** 2, df)
        assert _rel(ws.chi.mean(df), m) < 1e-14
        assert _rel(ws.chi.var(df), v) < 1e-12


# --------------------------------------------------------------------------- tails (mpmath)


def _skewnorm_tail(z, a):
    """log P(X <= z) for skewnorm(a) by mpmath quadrature on a grid scaled to the tail."""
    z, a = mpmath.mpf(z), mpmath.mpf(a)
    kap = abs(z) * (1 + a * a) + abs(a)
    pts = [-mpmath.inf] + [z - k / kap for k in (400, 200, 100, 50, 20, 10, 5, 2, 1, 0.5, 0)]
    return mpmath.log(mpmath.quad(lambda t: 2 * mpmath.npdf(t) * mpmath.ncdf(a * t), pts))


def _fsf(x, n, d):
    x, n, d = (mpmath.mpf(v) for v in (x, n, d))
    t = n * x
    return mpmath.betainc(n / 2, d / 2, t / (t + d), 1, regularized=True)


def _fcdf(x, n, d):
    x, n, d = (mpmath.mpf(v) for v in (x, n, d))
    t = n * x
    return mpmath.betainc(n / 2, d / 2, 0, t / (t + d), regularized=True)


TAILS = [
    # (what, wire's value, mpmath's, tolerance); SciPy is off at most of these
    ("skewnorm.logcdf(-3, 2)", lambda: ws.skewnorm.logcdf(-3.0, 2.0),
     lambda: _skewnorm_tail(-3.0, 2.0), 1e-13),
    ("skewnorm.logcdf(-40, 10)", lambda: ws.skewnorm.logcdf(-40.0, 10.0),
     lambda: _skewnorm_tail(-40.0, 10.0), 1e-13),
    ("skewnorm.sf(2.5, -2)", lambda: ws.skewnorm.sf(2.5, -2.0),
     lambda: mpmath.exp(_skewnorm_tail(-2.5, 2.0)), 1e-13),
    ("skewnorm.logsf(6, -2)", lambda: ws.skewnorm.logsf(6.0, -2.0),
     lambda: _skewnorm_tail(-6.0, 2.0), 1e-13),
    ("f.isf(1e-10, 2, 3)", lambda: ws.f.sf(ws.f.isf(1e-10, 2.0, 3.0), 2.0, 3.0),
     lambda: mpmath.mpf(1e-10), 1e-12),
    ("f.sf(1, 1e-3, 5)", lambda: ws.f.sf(1.0, 1e-3, 5.0), lambda: _fsf(1, 1e-3, 5), 1e-13),
    ("f.sf(1e-300, 1e-3, 4)", lambda: ws.f.sf(1e-300, 1e-3, 4.0),
     lambda: _fsf(1e-300, 1e-3, 4), 1e-13),
    ("f.logcdf(1e-300, 5, 3)", lambda: ws.f.logcdf(1e-300, 5.0, 3.0),
     lambda: mpmath.log(_fcdf(1e-300, 5, 3)), 1e-13),
    ("halfnorm.ppf(1e-10)", lambda: ws.halfnorm.ppf(1e-10),
     lambda: mpmath.sqrt(2) * mpmath.erfinv(mpmath.mpf(1e-10)), 1e-14),
    ("halfnorm.logsf(1e-300)", lambda: ws.halfnorm.logsf(1e-300),
     lambda: mpmath.log1p(-mpmath.erf(mpmath.mpf(1e-300) / mpmath.sqrt(2))), 1e-14),
    ("halfnorm.logcdf(6)", lambda: ws.halfnorm.logcdf(6.0),
     lambda: mpmath.log(mpmath.erf(6 / mpmath.sqrt(2))), 1e-12),
    ("halfcauchy.ppf(1 - 1e-10)", lambda: ws.halfcauchy.ppf(1 - 1e-10),
     lambda: mpmath.tan(mpmath.pi * mpmath.mpf(1 - 1e-10) / 2), 1e-13),
    ("weibull_min.logcdf(1e-300, 2)", lambda: ws.weibull_min.logcdf(1e-300, 2.0),
     lambda: mpmath.log(-mpmath.expm1(-mpmath.mpf(1e-300) ** 2)), 1e-14),
    ("rayleigh.logcdf(1e-200)", lambda: ws.rayleigh.logcdf(1e-200),
     lambda: mpmath.log(-mpmath.expm1(-mpmath.mpf(1e-200) ** 2 / 2)), 1e-14),
    ("chi.logcdf(1e-300, 3)", lambda: ws.chi.logcdf(1e-300, 3.0),
     lambda: mpmath.log(mpmath.gammainc(1.5, 0, mpmath.mpf(1e-300) ** 2 / 2, regularized=True)),
     1e-14),
    ("chi.ppf(1e-300, 1)", lambda: ws.chi.ppf(1e-300, 1.0),
     lambda: mpmath.sqrt(2) * mpmath.erfinv(mpmath.mpf(1e-300)), 1e-12),
    ("loggamma.logcdf(-800, 2)", lambda: ws.loggamma.logcdf(-800.0, 2.0),
     lambda: mpmath.log(mpmath.gammainc(2, 0, mpmath.exp(-800), regularized=True)), 1e-14),
    ("loggamma.logsf(1e3, 2)", lambda: ws.loggamma.logsf(800.0, 2.0),
     lambda: mpmath.log(mpmath.gammainc(2, mpmath.exp(800), mpmath.inf, regularized=True)),
     1e-14),
    ("invgamma.logsf(1e-3, 3)", lambda: ws.invgamma.logsf(1e-3, 3.0),
     lambda: mpmath.log(mpmath.gammainc(3, 0, 1000, regularized=True)), 1e-13),
    ("invgamma.logcdf(1e-3, 3)", lambda: ws.invgamma.logcdf(1e-3, 3.0),
     lambda: mpmath.log(mpmath.gammainc(3, 1000, mpmath.inf, regularized=True)), 1e-13),
    ("lognorm.logsf(1e200, 0.5)", lambda: ws.lognorm.logsf(1e200, 0.5),
     lambda: mpmath.log(mpmath.ncdf(-mpmath.log(mpmath.mpf(1e200)) / mpmath.mpf(0.5))), 1e-13),
    ("wrapcauchy.isf(1e-12, 0.5)", lambda: ws.wrapcauchy.isf(1 - 1e-12, 0.5),
     lambda: 2 * mpmath.atan(mpmath.mpf(1) / 3 * mpmath.tan(
         mpmath.pi * (1 - mpmath.mpf(1 - 1e-12)))), 1e-13),
]


@pytest.mark.parametrize("what,got,want,tol", TAILS, ids=[t[0] for t in TAILS])
def test_tails_against_mpmath(what, got, want, tol):
    with mpmath.workdps(60):
        w = float(want())
    g = float(got())
    assert _rel(g, w) < tol, (what, g, w)


@slow_only
def test_skewnorm_quantiles_in_the_far_tails():
    # SciPy: ppf(1e-300, 3) = -36.2 (its cdf there is 0 by then); wire's satisfies logcdf
    q, a = np.array([1e-300, 1e-10]), 3.0
    for z in (ws.skewnorm.ppf(q, a), -ws.skewnorm.isf(q, -a)):
        for zi, qi in zip(np.asarray(z), q):
            assert abs(float(_skewnorm_tail(zi, a)) - np.log(qi)) < 1e-9 * abs(np.log(qi))


# --------------------------------------------------------------------------- conventions


@pytest.mark.parametrize("name,bad", [
    ("f", (0.0, 2.0)), ("f", (2.0, -1.0)), ("lognorm", (0.0,)), ("weibull_min", (-1.0,)),
    ("chi", (0.0,)), ("invgamma", (-2.0,)), ("loggamma", (0.0,)), ("skewnorm", (np.inf,)),
    ("skewnorm", (np.nan,)), ("wrapcauchy", (1.0,))])
def test_invalid_parameters_give_nan(name, bad):
    dist, ref = getattr(ws, name), getattr(st, name)
    for m in METHODS + (("ppf", "isf") if name not in NUMERIC else ()):
        arg = 0.5 if m in ("ppf", "isf") else 1.0
        assert np.isnan(getattr(dist, m)(arg, *bad)), (name, bad, m)
        assert np.isnan(getattr(ref, m)(arg, *bad))
    for m in ("mean", "var"):
        assert np.isnan(getattr(dist, m)(*bad))


def test_scale_invalid_and_loc_scale_broadcast():
    for name in ("lognorm", "halfnorm", "f"):
        shapes = NEW[name][0]
        dist, ref = getattr(ws, name), getattr(st, name)
        assert np.isnan(dist.cdf(1.0, *shapes, scale=0.0))
        assert np.isnan(dist.logpdf(1.0, *shapes, scale=-1.0))
        x = np.array([0.5, 1.5, 4.0])
        loc, scale = np.array([[0.0], [0.2]]), np.array([1.0, 2.0, 0.5])
        got = dist.logsf(x, *shapes, loc=loc, scale=scale)
        want = ref.logsf(x, *shapes, loc=loc, scale=scale)
        assert got.shape == want.shape == (2, 3)
        assert (_rel(got, want) < 1e-12).all()
        frozen = dist(*shapes, loc=0.2, scale=2.0)
        assert _rel(frozen.cdf(x), ref(*shapes, loc=0.2, scale=2.0).cdf(x)).max() < 1e-12


def test_float32_kept():
    x = np.array([0.5, 1.5], np.float32)
    for name, s in [(n, ss[0]) for n, ss in NEW.items()]:
        dist = getattr(ws, name)
        for m in ("logpdf", "cdf", "logsf"):
            assert getattr(dist, m)(x, *s).dtype == np.float32, (name, m)
        if name in FAST + ("invgamma",):
            assert dist.ppf(np.float32(0.3), *s).dtype == np.float32


# --------------------------------------------------------------------------- derivatives

GRAD_POINTS = [
    ("f", (2.5, 3.5), 0.7), ("f", (0.7, 6.0), 1.9), ("lognorm", (0.6,), 0.7),
    ("weibull_min", (1.7,), 1.9), ("weibull_min", (0.6,), 0.7), ("chi", (2.5,), 1.9),
    ("rayleigh", (), 0.7), ("invgamma", (2.5,), 0.7), ("halfnorm", (), 1.9),
    ("halfcauchy", (), 0.7), ("skewnorm", (3.0,), -1.3), ("skewnorm", (-2.0,), 0.4),
    ("skewnorm", (2.0,), -3.0), ("loggamma", (1.5,), 0.7), ("wrapcauchy", (0.4,), 1.9),
]


def _grads(name, shapes, x, methods, order):
    dist = getattr(ws, name)
    for m in methods:
        def fn(x, loc, scale, *sh, m=m):
            return getattr(dist, m)(x, *sh, loc=loc, scale=scale)
        check_grads(fn, (x, 0.1, 1.2) + tuple(float(v) for v in shapes), order=order,
                    rtol=1e-5, atol=1e-7)


# closed forms (a few ms each): every run; numeric quantiles and the heavier cdfs: -m slow
FAST = ("lognorm", "weibull_min", "rayleigh", "halfnorm", "halfcauchy", "wrapcauchy")


def _quantile_grads(name, shapes):
    dist = getattr(ws, name)
    for m in ("ppf", "isf"):
        check_grads(lambda q, loc, scale, *sh, m=m: getattr(dist, m)(q, *sh, loc=loc,
                                                                      scale=scale),
                    (0.3, 0.1, 1.2) + tuple(float(v) for v in shapes), order=1, rtol=1e-5,
                    atol=1e-7)


@pytest.mark.parametrize("name,shapes,x", [p for p in GRAD_POINTS if p[0] in FAST])
def test_derivatives_of_closed_forms(name, shapes, x):
    _grads(name, shapes, x, ("logpdf", "cdf", "logsf"), 2)
    _quantile_grads(name, shapes)


@pytest.mark.parametrize("name,shapes,x,method", [
    ("f", (2.5, 3.5), 0.7, "sf"), ("chi", (2.5,), 1.9, "cdf"), ("invgamma", (2.5,), 0.7, "logpdf"),
    ("skewnorm", (2.0,), -3.0, "logcdf"), ("loggamma", (1.5,), 0.7, "sf")])
def test_derivatives_of_the_incomplete_function_forms(name, shapes, x, method):
    _grads(name, shapes, x, (method,), 1)


@slow_only
def test_every_method_to_second_order():
    for name, shapes, x in GRAD_POINTS:
        _grads(name, shapes, x, METHODS, 2)
        _quantile_grads(name, shapes)
        dist = getattr(ws, name)
        for m in ("mean", "var", "entropy"):
            if (name, m) == ("skewnorm", "entropy") or name == "halfcauchy" and m != "entropy":
                continue
            if (name, m) == ("f", "var") and shapes[1] <= 4:
                continue  # inf
            check_grads(lambda loc, scale, *sh, m=m: getattr(dist, m)(*sh, loc=loc, scale=scale),
                        (0.1, 1.2) + tuple(float(v) for v in shapes), order=2, rtol=1e-5,
                        atol=1e-7)


def test_derivative_in_a_tail_against_mpmath():
    # d/dz logcdf = pdf / cdf in skewnorm's cancelling tail (where Φ - 2T has no digits left)
    z, a = -4.0, 3.0
    got = float(wire.grad(ws.skewnorm.logcdf)(z, a))
    with mpmath.workdps(50):
        pdf = 2 * mpmath.npdf(z) * mpmath.ncdf(a * z)
        want = float(pdf / mpmath.exp(_skewnorm_tail(z, a)))
    assert _rel(got, want) < 1e-12


@slow_only
def test_shape_derivative_in_a_tail_against_mpmath():
    # d/ddfd f.sf far out: the incomplete beta's shape derivative (mpmath's diff)
    got = float(wire.grad(ws.f.logsf, argnums=2)(50.0, 3.0, 4.0))
    with mpmath.workdps(40):
        want = float(mpmath.diff(lambda d: mpmath.log(_fsf(50, 3, d)), 4))
    assert _rel(got, want) < 1e-9


def test_derivatives_far_in_closed_form_tails_against_mpmath():
    # d/ds lognorm.logsf(1e200; s) and d/dc weibull_min.logcdf(1e-300; c): where SciPy's
    # values are -inf, the derivatives of the true log-probabilities
    with mpmath.workdps(50):
        want = float(mpmath.diff(lambda s: mpmath.log(mpmath.ncdf(
            -mpmath.log(mpmath.mpf(1e200)) / s)), mpmath.mpf(0.5)))
        want_c = float(mpmath.diff(lambda c: mpmath.log(-mpmath.expm1(
            -mpmath.mpf(1e-300) ** c)), 2))
    assert _rel(wire.grad(ws.lognorm.logsf, argnums=1)(1e200, 0.5), want) < 1e-13
    assert _rel(wire.grad(ws.weibull_min.logcdf, argnums=1)(1e-300, 2.0), want_c) < 1e-13


def test_support_end_values_and_derivatives():
    # at 0 the limits, with finite (zero) derivatives where the formula has a pole
    for name, s in (("invgamma", (2.0,)), ("lognorm", (0.5,))):
        dist = getattr(ws, name)
        assert float(dist.pdf(0.0, *s)) == 0.0 and float(dist.cdf(0.0, *s)) == 0.0
        assert float(wire.grad(dist.cdf)(0.0, *s)) == 0.0
        assert float(wire.grad(dist.sf, argnums=1)(0.0, *s)) == 0.0
    assert float(ws.loggamma.logsf(1e10, 2.0)) == -np.inf


# --------------------------------------------------------------------------- descriptive

RNG = np.random.default_rng(0)
A = RNG.normal(size=(4, 7))
A[1, 2] = np.nan
B = RNG.gamma(2.0, size=(4, 7))

DESCRIPTIVE = [
    ("zscore", (A,), dict(axis=1)), ("zscore", (A,), dict(axis=1, nan_policy="omit")),
    ("zscore", (A,), dict(axis=None, ddof=1)),
    ("moment", (A,), dict(order=3, axis=1)),
    ("moment", (A,), dict(order=[0, 1, 2, 4], axis=1, nan_policy="omit")),
    ("moment", (A,), dict(order=2, center=0.3, axis=0, keepdims=True)),
    ("skew", (A,), dict(axis=1)), ("skew", (A,), dict(axis=1, bias=False, nan_policy="omit")),
    ("skew", (A,), dict(axis=None, nan_policy="omit", keepdims=True)),
    ("kurtosis", (A,), dict(axis=1, fisher=False)),
    ("kurtosis", (A,), dict(axis=1, bias=False, nan_policy="omit")),
    ("variation", (B,), dict(axis=1, ddof=1)), ("gmean", (B,), dict(axis=1)),
    ("gmean", (B,), dict(axis=0, weights=B[::-1])), ("hmean", (B,), dict(axis=1)),
    ("pmean", (B, 2.5), dict(axis=1)), ("pmean", (B, -1.5), dict(axis=0, keepdims=True)),
    ("entropy", (B,), dict(axis=1)), ("entropy", (B,), dict(qk=B[::-1], base=2, axis=0)),
    ("entropy", (B[0],), dict(qk=B[1])),
    ("iqr", (A,), dict(axis=1)), ("iqr", (A,), dict(axis=1, nan_policy="omit", scale="normal")),
    ("iqr", (B,), dict(rng=(10, 80), interpolation="midpoint")),
    ("iqr", (B,), dict(axis=0, interpolation="nearest")),
    ("iqr", (B,), dict(axis=0, interpolation="lower", keepdims=True)),
    ("iqr", (B,), dict(axis=1, interpolation="higher")),
    ("median_abs_deviation", (A,), dict(axis=1)),
    ("median_abs_deviation", (A,), dict(axis=1, nan_policy="omit", scale="normal")),
    ("trim_mean", (A,), dict(proportiontocut=0.2, axis=1)),
    ("trim_mean", (A,), dict(proportiontocut=0.2, axis=1, nan_policy="omit")),
    ("trim_mean", (B,), dict(proportiontocut=0.3, axis=None)),
]


@pytest.mark.parametrize("name,args,kw", DESCRIPTIVE)
def test_descriptive_against_scipy(name, args, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(st, name)(*args, **kw)
        got = getattr(ws, name)(*args, **kw)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-14)


SPECIAL = {"const": np.full(5, 2.5), "one": np.array([3.0]), "empty": np.array([]),
           "nan": np.array([1.0, np.nan, 3.0, 4.0]), "inf": np.array([1.0, np.inf, 3.0, 4.0]),
           "ninf": np.array([1.0, -np.inf, 3.0]), "zero": np.array([0.0, 1.0, 2.0]),
           "neg": np.array([-1.0, 1.0, 2.0]), "ties": np.array([1.0, 2.0, 2.0, 3.0, 3.0, 3.0]),
           "int": np.array([1, 2, 5, 9]), "2d_empty": np.zeros((3, 0))}
FUNCS = {"zscore": {}, "moment": dict(order=3), "skew": {}, "skew_nb": dict(bias=False),
         "kurtosis": {}, "kurtosis_nb": dict(bias=False), "variation": {}, "gmean": {},
         "hmean": {}, "pmean": dict(p=1.5), "entropy": {}, "iqr": {},
         "median_abs_deviation": {}, "trim_mean": dict(proportiontocut=0.1)}


def _run(fn, *args, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kw)
        except Exception as e:
            return type(e), []
    return out, [w for w in caught if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("policy", ["propagate", "omit"])
@pytest.mark.parametrize("func", list(FUNCS))
def test_descriptive_special_inputs(func, policy):
    name, kw = func.split("_nb")[0], FUNCS[func]
    for what, x in SPECIAL.items():
        want, w_warn = _run(getattr(st, name), x, axis=-1, nan_policy=policy, **kw)
        got, g_warn = _run(getattr(ws, name), x, axis=-1, nan_policy=policy, **kw)
        if isinstance(want, type):
            assert isinstance(got, type), (func, what, got)
            continue
        assert np.shape(got) == np.shape(want), (func, what)
        np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=1e-12,
                                   err_msg=f"{func} {what}")
        if what not in ("inf", "ninf"):  # there SciPy's are NumPy's inf - inf warnings
            assert bool(g_warn) == bool(w_warn), (func, what, w_warn, g_warn)


def test_skew_of_constant_data_warns_and_is_nan():
    with pytest.warns(RuntimeWarning, match="Precision loss"):
        assert np.isnan(ws.skew(np.full(4, 1.0)))
    with pytest.warns(RuntimeWarning, match="Precision loss"):
        out = ws.kurtosis(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]), axis=1)
    assert not np.isnan(out[0]) and np.isnan(out[1])


def test_nan_policy_raise_and_bad_arguments():
    for name, kw in FUNCS.items():
        with pytest.raises(wire.WireValueError, match="contains NaN"):
            getattr(ws, name.split("_nb")[0])(SPECIAL["nan"], nan_policy="raise", **kw)
    assert float(ws.skew(np.array([1.0, 2.0, 4.0]), nan_policy="raise")) == \
        pytest.approx(st.skew([1.0, 2.0, 4.0]), rel=1e-14)
    with pytest.raises(wire.WireValueError, match="nan_policy"):
        ws.skew(A, nan_policy="ignore")
    with pytest.raises(wire.WireValueError, match="traced"):
        wire.grad(lambda a: ws.skew(a, nan_policy="raise"))(np.array([1.0, 2.0, 4.0]))
    with pytest.raises(wire.WireValueError, match="axis 2 is out of bounds"):
        ws.moment(A, 2, axis=2)
    with pytest.raises(wire.WireValueError, match="length at least 2"):
        ws.pearsonr(np.array([1.0]), np.array([2.0]))


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_correlations_against_scipy(alternative):
    x, y = B[0], B[1] + 0.3 * B[0]
    got, want = ws.pearsonr(x, y, alternative=alternative), st.pearsonr(x, y,
                                                                       alternative=alternative)
    r, p = got  # unpacks as SciPy's
    assert _rel(r, want.statistic) < 1e-14 and _rel(p, want.pvalue) < 1e-12
    assert np.allclose(got.confidence_interval(0.9), want.confidence_interval(0.9), rtol=1e-13)
    for fn in ("spearmanr", "kendalltau"):
        got = getattr(ws, fn)(x, y, alternative=alternative)
        want = getattr(st, fn)(x, y, alternative=alternative)
        assert _rel(got.statistic, want.statistic) < 1e-13
        assert _rel(got.pvalue, want.pvalue) < 1e-12


def test_pearsonr_along_an_axis_and_small_samples():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 8))
    y = x + rng.normal(size=(3, 8))
    for axis in (0, 1):
        got, want = ws.pearsonr(x, y, axis=axis), st.pearsonr(x, y, axis=axis)
        np.testing.assert_allclose(got.statistic, want.statistic, rtol=1e-13)
        np.testing.assert_allclose(got.pvalue, want.pvalue, rtol=1e-12)
        np.testing.assert_allclose(got.confidence_interval(), want.confidence_interval(),
                                   rtol=1e-13)
    two = ws.pearsonr(np.array([1.0, 2.0]), np.array([3.0, 1.0]))
    assert two.statistic == -1.0 and two.pvalue == 1.0          # SciPy's exact ±1
    three = ws.pearsonr(np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0]))
    assert tuple(three.confidence_interval()) == (-1.0, 1.0)


def test_rank_correlations_with_ties_nan_and_matrices():
    xt = np.array([1, 2, 2, 3, 4, 4, 4, 5, 6, 7.0])
    yt = np.array([2, 1, 3, 3, 5, 4, 6, 6, 8, 7.0])
    for fn, kw in (("spearmanr", {}), ("kendalltau", {}), ("kendalltau", dict(variant="c"))):
        got, want = getattr(ws, fn)(xt, yt, **kw), getattr(st, fn)(xt, yt, **kw)
        assert _rel(got.statistic, want.statistic) < 1e-13
        assert _rel(got.pvalue, want.pvalue) < 1e-12
    x, y = B[0].copy(), B[1]
    x[2] = np.nan
    for fn in ("spearmanr", "kendalltau"):
        got, want = getattr(ws, fn)(x, y, nan_policy="omit"), getattr(st, fn)(x, y,
                                                                           nan_policy="omit")
        assert _rel(got.statistic, want.statistic) < 1e-13
        assert _rel(got.pvalue, want.pvalue) < 1e-12
        assert np.isnan(getattr(ws, fn)(x, y).statistic)
    m = RNG.normal(size=(10, 3))
    got, want = ws.spearmanr(m), st.spearmanr(m)
    np.testing.assert_allclose(got.statistic, want.statistic, rtol=1e-13)
    # (the diagonal's p-values: 0 here for the exact 1, SciPy's 7e-64 from its rounded 1)
    np.testing.assert_allclose(got.pvalue, want.pvalue, rtol=1e-12, atol=1e-60)
    xl = RNG.normal(size=50)
    yl = xl + RNG.normal(size=50)
    assert _rel(ws.kendalltau(xl, yl).pvalue, st.kendalltau(xl, yl).pvalue) < 1e-12
    with pytest.warns(RuntimeWarning, match="constant"):
        assert np.isnan(ws.pearsonr(np.ones(4), np.arange(4.0)).statistic)


DIFFERENTIABLE = {
    "zscore": lambda a: ws.zscore(a, axis=1, ddof=1),
    "zscore_omit": lambda a: ws.zscore(a, axis=1, nan_policy="omit"),
    "moment": lambda a: ws.moment(a, 3, axis=1),
    "skew": lambda a: ws.skew(a, axis=1, bias=False),
    "kurtosis": lambda a: ws.kurtosis(a, axis=0, bias=False),
    "variation": lambda a: ws.variation(a, axis=1, ddof=1),
    "iqr": lambda a: ws.iqr(a, axis=1),
    "trim_mean": lambda a: ws.trim_mean(a, 0.2, axis=1),
    "pearsonr": lambda a: ws.pearsonr(a[0], a[1]).statistic,
    "pearsonr_p": lambda a: ws.pearsonr(a[0], a[1]).pvalue,
    "gmean": lambda a: ws.gmean(a * a + 0.5, axis=1),
    "hmean": lambda a: ws.hmean(a * a + 0.5, axis=1, weights=np.arange(1.0, 7.0)),
    "pmean": lambda a: ws.pmean(a * a + 0.5, -0.7, axis=0),
    "entropy": lambda a: ws.entropy(a * a + 0.5, axis=1),
    "kl": lambda a: ws.entropy(a[0] ** 2 + 0.5, a[1] ** 2 + 0.5, base=2.0),
}


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_descriptive_derivatives(name):
    a = np.random.default_rng(1).normal(size=(3, 6))
    check_grads(DIFFERENTIABLE[name], (a,), order=2, rtol=1e-5, atol=1e-7)


def test_omit_derivative_and_jit():
    an = A.copy()
    g = wire.grad(lambda a: ws.skew(a, axis=1, nan_policy="omit").sum())(an)
    assert g[1, 2] == 0.0 and np.isfinite(g).all()
    # the others' derivative is the one of the data without the NaN
    row = np.delete(an[1], 2)
    g_row = wire.grad(lambda r: ws.skew(r))(row)
    np.testing.assert_allclose(np.delete(g[1], 2), g_row, rtol=1e-12)
    jk = wire.jit(lambda a: ws.kurtosis(a, axis=1, nan_policy="omit"))
    np.testing.assert_allclose(jk(an), st.kurtosis(an, axis=1, nan_policy="omit"), rtol=1e-13)
    ji = wire.jit(lambda a: ws.iqr(a, axis=1, nan_policy="omit"))
    np.testing.assert_allclose(ji(an), st.iqr(an, axis=1, nan_policy="omit"), rtol=1e-13)
    jt = wire.jit(lambda x, y: ws.kendalltau(x, y).pvalue)
    assert _rel(jt(B[0], B[1]), st.kendalltau(B[0], B[1]).pvalue) < 1e-12
    # ranks are piecewise constant
    assert (wire.grad(lambda x: ws.spearmanr(x, B[1]).statistic)(B[0]) == 0).all()


def test_float32_descriptive():
    a = B.astype(np.float32)
    for fn in (ws.skew, ws.kurtosis, ws.gmean, ws.hmean, ws.variation, ws.iqr, ws.zscore,
               ws.median_abs_deviation, ws.entropy, ws.moment):
        out = fn(a, axis=1)
        assert out.dtype == np.float32, fn.__name__
        want = getattr(st, fn.__name__)(B, axis=1)
        np.testing.assert_allclose(out, want, rtol=2e-5, atol=1e-6, err_msg=fn.__name__)
    assert ws.pmean(a, 2.0, axis=1).dtype == np.float32
