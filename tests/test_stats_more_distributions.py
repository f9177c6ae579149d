"""wire.scipy.stats's gumbel_r, gumbel_l, pareto, gennorm, wrapcauchy, vonmises, geom, nbinom,
betabinom and multinomial: every method against SciPy on ordinary and special inputs (±0,
±inf, NaN, support edges, huge and tiny parameters, invalid parameters, integer and
non-integer k, broadcasting, loc/scale), and against mpmath where SciPy's formula fails
(gumbel_r.logsf and gumbel_l.logcdf in the far tail, pareto far out and for tiny b,
wrapcauchy for c near 1); derivatives of first and second order against finite differences;
float32 kept; jit and vmap."""

import warnings

import numpy as np
import pytest
from selection import sampled_grid, skip_unless_slow, slow_only

import wire
from wire.scipy import stats as ws
from wire.testing import check_grads

st = pytest.importorskip("scipy.stats")
mpmath = pytest.importorskip("mpmath")

X = np.array([-np.inf, -1e300, -800.0, -50.0, -3.0, -1.0, -0.0, 0.0, 1e-300, 0.5, 1.0, 1.5,
              np.pi, 6.0, 2 * np.pi, 40.0, 800.0, 1e300, np.inf, np.nan])

CONTINUOUS = {
    "gumbel_r": [()],
    "gumbel_l": [()],
    "pareto": [(2.5,), (0.1,), (1e-300,), (1e10,), (0.0,), (-1.0,), (np.nan,)],
    "gennorm": [(1.5,), (0.5,), (1.0,), (8.0,), (1e-3,), (0.0,)],
    "wrapcauchy": [(0.3,), (1e-10,), (0.99,), (0.0,), (1.0,)],
    "vonmises": [(2.0,), (0.0,), (1e-300,), (700.0,), (1e5,), (-1.0,)],
}
METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
INVALID = {("pareto", (0.0,)), ("pareto", (-1.0,)), ("pareto", (np.nan,)), ("gennorm", (0.0,)),
           ("wrapcauchy", (0.0,)), ("wrapcauchy", (1.0,)), ("vonmises", (-1.0,))}


def _mp(f, *args, dps=60):
    with mpmath.workdps(dps):
        return float(f(*[mpmath.mpf(a) for a in args]))


# (distribution, shapes, method, x): where SciPy's value is wrong, the mpmath one
SCIPY_WRONG = {
    ("gumbel_r", (), "logsf", 800.0): _mp(lambda x: mpmath.log(-mpmath.expm1(-mpmath.exp(-x))), 800.0),
    ("gumbel_r", (), "logsf", 1e300): -1e300,
    ("gumbel_l", (), "logcdf", -800.0): -800.0 - _mp(lambda x: mpmath.exp(x) / 2, -800.0),
    ("gumbel_l", (), "logcdf", -1e300): -1e300,
}
for _b in (2.5, 0.1, 1e-300):  # pareto: log b - (b+1) log x, -b log x far out (SciPy: -inf)
    SCIPY_WRONG[("pareto", (_b,), "logpdf", 1e300)] = _mp(
        lambda b, x: mpmath.log(b) - (b + 1) * mpmath.log(x), _b, 1e300)
SCIPY_WRONG[("pareto", (2.5,), "logsf", 1e300)] = _mp(lambda x: -2.5 * mpmath.log(x), 1e300)
for _x in X[(X > 1) & np.isfinite(X)]:  # b = 1e-300: cdf = 1 - x^-b = b log x (SciPy: 0)
    for _m, _f in (("cdf", lambda b, x: -mpmath.expm1(-b * mpmath.log(x))),
                   ("logcdf", lambda b, x: mpmath.log(-mpmath.expm1(-b * mpmath.log(x)))),
                   ("logsf", lambda b, x: -b * mpmath.log(x))):
        SCIPY_WRONG[("pareto", (1e-300,), _m, _x)] = _mp(_f, 1e-300, _x)
    for _m, _f in (("logpdf", lambda b, x: mpmath.log(b) - (b + 1) * mpmath.log(x)),
                   ("logsf", lambda b, x: -b * mpmath.log(x))):
        SCIPY_WRONG[("pareto", (1e10,), _m, _x)] = _mp(_f, 1e10, _x)


def _want(name, shapes, method, x):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        want = np.asarray(getattr(getattr(st, name), method)(x, *shapes), dtype=float).copy()
    if (name, shapes) in INVALID:  # NaN everywhere (SciPy keeps -inf/0 at ±inf)
        return np.full_like(want, np.nan)
    for i, xi in enumerate(np.atleast_1d(x)):
        key = (name, shapes, method, float(xi))
        if key in SCIPY_WRONG:
            want[i] = SCIPY_WRONG[key]
    if name in ("gumbel_r", "gumbel_l", "vonmises") or method in ("logpdf", "pdf"):
        # the density's limit at ±inf (SciPy's formulas give inf - inf = NaN for the
        # Gumbels); for the periodic von Mises there is none: NaN, as SciPy
        inf = np.isinf(x)
        if name != "vonmises" and method in ("logpdf", "pdf"):
            want[inf & np.isnan(want)] = -np.inf if method == "logpdf" else 0.0
    return want


CASES = [(n, s) for n, ss in CONTINUOUS.items() for s in ss]


@pytest.mark.parametrize("name,shapes", CASES, ids=[f"{n}{s}" for n, s in CASES])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_continuous_values_equal_scipys_or_mpmath(name, shapes):
    dist = getattr(ws, name)
    methods = METHODS if name != "vonmises" else ("logpdf", "pdf")
    for method in methods:
        want = _want(name, shapes, method, X)
        for got in (getattr(dist, method)(X, *shapes),
                    wire.jit(lambda x: getattr(dist, method)(x, *shapes))(X)):
            got = np.asarray(got)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=method)
            # (a density of 1e-154 is exp of -353: 1e-13 relative is its rounding)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, err_msg=method)


def test_scipy_is_wrong_where_the_oracle_is_mpmath():
    # the cells SCIPY_WRONG overrides: SciPy gives -inf or 0 there, not the value
    with np.errstate(all="ignore"):
        assert st.gumbel_r.logsf(800.0) == -np.inf
        assert st.pareto.cdf(2.0, 1e-300) == 0.0
    assert float(ws.gumbel_r.logsf(800.0)) == -800.0
    assert float(ws.pareto.cdf(np.e, 1e-300)) == 1e-300
    # wrapcauchy near c = 1: 1 + c² - 2c cos z cancels in SciPy's formula (1e-5 off)
    c = 0.999999
    want = _mp(lambda c: mpmath.log((1 - c * c) / (2 * mpmath.pi * (1 - c) ** 2)), c)
    assert float(ws.wrapcauchy.logpdf(0.0, c)) == pytest.approx(want, rel=1e-15)
    assert abs(st.wrapcauchy.logpdf(0.0, c) - want) > 1e-5
    # vonmises at large kappa: I0 through i0e, no overflow
    k = 1e5
    want = _mp(lambda k: k - mpmath.log(2 * mpmath.pi * mpmath.besseli(0, k)), k, dps=80)
    assert float(ws.vonmises.logpdf(0.0, k)) == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("name,shapes", [(n, s[0]) for n, s in CONTINUOUS.items()])
def test_loc_scale_broadcasting_float32(name, shapes):
    dist, sdist = getattr(ws, name), getattr(st, name)
    x = np.linspace(0.2, 5.0, 6).reshape(2, 3)
    loc, scale = np.array([[-0.5], [0.3]]), np.array([1.7, 0.6, 2.2])
    methods = METHODS if name != "vonmises" else ("logpdf", "pdf")
    for method in methods:
        want = getattr(sdist, method)(x, *shapes, loc=loc, scale=scale)
        got = getattr(dist, method)(x, *shapes, loc=loc, scale=scale)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12)
        # frozen
        np.testing.assert_allclose(getattr(dist(*shapes, loc=loc, scale=scale), method)(x),
                                   want, rtol=1e-12)
        got32 = getattr(dist, method)(x.astype(np.float32), *shapes)
        assert got32.dtype == np.float32
        np.testing.assert_allclose(got32, getattr(sdist, method)(x, *shapes), rtol=2e-5,
                                   atol=1e-30)
    # invalid scale: NaN
    assert np.isnan(dist.logpdf(1.0, *shapes, scale=-1.0))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_moments_entropy_quantiles():
    for name, shapes in [("gumbel_r", ()), ("gumbel_l", ()), ("pareto", (2.5,)),
                         ("pareto", (1.5,)), ("pareto", (0.5,)), ("gennorm", (1.5,)),
                         ("gennorm", (0.7,)), ("wrapcauchy", (0.3,)), ("wrapcauchy", (0.95,))]:
        dist, sdist = getattr(ws, name), getattr(st, name)
        for m in ("mean", "var", "entropy"):
            np.testing.assert_allclose(getattr(dist, m)(*shapes, loc=0.5, scale=2.0),
                                       getattr(sdist, m)(*shapes, loc=0.5, scale=2.0),
                                       rtol=1e-10, err_msg=f"{name} {m}")
        if name == "wrapcauchy":
            continue
        q = np.array([0.0, 1e-300, 1e-10, 0.1, 0.5, 0.9, 1 - 1e-10, 1.0, np.nan])
        for m in ("ppf", "isf"):
            got = wire.jit(lambda q: getattr(dist, m)(q, *shapes))(q)
            np.testing.assert_allclose(got, getattr(sdist, m)(q, *shapes), rtol=1e-9,
                                       err_msg=f"{name} {m}")
    np.testing.assert_allclose(ws.vonmises.entropy(np.array([0.0, 0.5, 2.0, 700.0])),
                               st.vonmises.entropy(np.array([0.0, 0.5, 2.0, 700.0])), rtol=1e-12)
    with pytest.raises(wire.WireError):  # cdf and betabinom's cdf: test_scipy_stats_additions
        ws.vonmises.mean(2.0)


GRADS = [  # (name, method, x, shapes): interior points, every continuous argument
    ("gumbel_r", m, x, ()) for m in METHODS for x in (-2.0, 0.3, 5.0)
] + [("gumbel_l", m, x, ()) for m in METHODS for x in (-5.0, 0.3, 2.0)] + [
    ("pareto", m, x, (b,)) for m in METHODS for x in (2.0, 7.0) for b in (0.7, 3.0)
] + [("gennorm", m, x, (b,)) for m in METHODS for x in (-1.7, -0.2, 0.6, 2.5)
     for b in (0.8, 1.5, 3.0)] + [
    ("wrapcauchy", m, x, (c,)) for m in METHODS for x in (0.4, 3.0, 5.9) for c in (0.2, 0.8)
] + [("vonmises", m, x, (k,)) for m in ("logpdf", "pdf") for x in (-2.0, 0.4, 9.0)
     for k in (0.5, 3.0)]


# every run checks each method of each distribution at its first point; -m slow at them all
@pytest.mark.parametrize("name,method,x,shapes", sampled_grid(GRADS, key=lambda c: c[:2]))
def test_continuous_derivatives(name, method, x, shapes, request):
    skip_unless_slow(request)
    f = getattr(getattr(ws, name), method)
    check_grads(lambda x, loc, scale, *s: f(x, *s, loc=loc, scale=scale),
                (x, 0.1, 1.3) + shapes, order=2, rtol=2e-5, atol=1e-6)


def test_derivatives_at_special_points():
    # gennorm's cdf at the mode: the pdf, by the linear term (the chain rule is inf · 0)
    for b in (0.5, 1.5, 3.0):
        assert float(wire.grad(ws.gennorm.cdf)(0.0, b)) == pytest.approx(
            st.gennorm.pdf(0.0, b), rel=1e-14)
        assert float(wire.grad(ws.gennorm.logpdf)(0.0, b)) == 0.0
        assert np.isfinite(wire.grad(ws.gennorm.logpdf, argnums=1)(0.0, b))
    # gumbel_r.logsf in the far tail: derivative -1 (not NaN)
    assert float(wire.grad(ws.gumbel_r.logsf)(800.0)) == -1.0
    # vmap over the shape parameter equals the loop
    bs = np.array([0.6, 1.0, 2.5])
    np.testing.assert_allclose(wire.vmap(lambda b: ws.gennorm.cdf(0.7, b))(bs),
                               st.gennorm.cdf(0.7, bs), rtol=1e-13)
    np.testing.assert_allclose(wire.vmap(wire.grad(lambda b: ws.pareto.logsf(3.0, b)))(bs),
                               -np.log(3.0) * np.ones(3), rtol=1e-14)


# ------------------------------------------------------------------------- discrete

K = np.array([-np.inf, -1.0, 0.0, 1.0, 2.0, 3.0, 5.0, 7.0, 8.0, 20.0, 1e6, np.inf, 2.5, np.nan])
DISCRETE = {
    "geom": [(0.3,), (1.0,), (1e-10,), (0.999,), (0.0,), (1.2,)],
    "nbinom": [(2.5, 0.4), (1, 1.0), (30, 0.01), (0.5, 0.9), (0.0, 0.5), (2, 0.0)],
    "betabinom": [(7, 2.5, 0.7), (0, 1.0, 1.0), (20, 1e-3, 1e3), (7.5, 1.0, 1.0),
                  (5, 0.0, 1.0), (100, 50.0, 50.0)],
}
DCASES = [(n, s) for n, ss in DISCRETE.items() for s in ss]


@pytest.mark.parametrize("name,shapes", DCASES, ids=[f"{n}{s}" for n, s in DCASES])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_discrete_values_equal_scipys(name, shapes):
    dist, sdist = getattr(ws, name), getattr(st, name)
    methods = METHODS_D if name != "betabinom" else ("logpmf", "pmf")
    for method in methods:
        want = _discrete_want(name, shapes, method)
        whole = np.isfinite(K) & (K == np.floor(K))
        for k in (K, K[whole].astype(np.int64)):
            w = want if k is K else want[whole]
            for got in (getattr(dist, method)(k, *shapes),
                        wire.jit(lambda k: getattr(dist, method)(k, *shapes))(k)):
                got = np.asarray(got)
                np.testing.assert_array_equal(np.isnan(got), np.isnan(w), err_msg=method)
                np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-300, err_msg=method)
    for m in ("mean", "var") + (("entropy",) if name == "geom" else ()):
        want = getattr(sdist, m)(*shapes)
        if (name, shapes, m) == ("geom", (1.0,), "entropy"):
            want = 0.0  # one outcome, certain (SciPy's 0 · log 0 gives NaN)
        np.testing.assert_allclose(getattr(dist, m)(*shapes), want, rtol=1e-12, err_msg=m)


METHODS_D = ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")
INVALID_D = {("geom", (0.0,)), ("geom", (1.2,)), ("nbinom", (0.0, 0.5)), ("nbinom", (2, 0.0)),
             ("betabinom", (7.5, 1.0, 1.0)), ("betabinom", (5, 0.0, 1.0))}


def _mp_geom(p, k):
    lpmf = (k - 1) * mpmath.log1p(-p) + mpmath.log(p)
    sf = mpmath.exp(k * mpmath.log1p(-p))
    return lpmf, 1 - sf, sf


def _mp_nbinom(n, p, k):
    lpmf = (mpmath.loggamma(n + k) - mpmath.loggamma(n) - mpmath.loggamma(k + 1)
            + n * mpmath.log(p) + k * mpmath.log1p(-p))
    cdf = mpmath.betainc(n, k + 1, 0, p, regularized=True)
    return lpmf, cdf, 1 - cdf


def _discrete_want(name, shapes, method):
    """SciPy's values, where they are right; mpmath's on the support for geom and nbinom
    (SciPy's geom pmf far out is 1e-11 off through (1 - p)^k, its logcdf(k; 0.999) is 0
    from k = 7 on, the truth -1e-21; its nbinom(30, 0.01).logsf is 0, the truth -1e-60);
    NaN everywhere for invalid parameters (SciPy's logcdf(inf) is 0 there)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        want = np.asarray(getattr(getattr(st, name), method)(K, *shapes), float).copy()
    if (name, shapes) in INVALID_D:
        return np.full_like(want, np.nan)
    if name == "betabinom":
        return want
    oracle = _mp_geom if name == "geom" else _mp_nbinom
    lower = 1 if name == "geom" else 0
    if shapes[-1] == 1.0:  # p = 1: mpmath's 0 · log 0 is NaN
        return want
    for i, k in enumerate(K):
        point = method in ("logpmf", "pmf")
        far = k > (1e7 if name == "geom" else 1e4)  # (mpmath's betainc does not converge)
        if far and np.isfinite(k) and name == "nbinom" and method == "logsf":
            # its lower tail does: log I_(1-p)(k + 1, n), finite where SciPy's underflows to
            # -inf (nbinom(2.5, 0.4).logsf(1e6) is -510807.07)
            n_, p_ = (mpmath.mpf(v) for v in shapes)
            with mpmath.workdps(80):
                want[i] = float(mpmath.log(mpmath.betainc(k + 1, n_, 0, 1 - p_,
                                                          regularized=True)))
            continue
        if not np.isfinite(k) or k < lower or far or (point and k != np.floor(k)):
            continue
        with mpmath.workdps(80):
            lpmf, cdf, sf = oracle(*[mpmath.mpf(v) for v in shapes], mpmath.mpf(np.floor(k)))
            want[i] = float({"logpmf": lpmf, "pmf": mpmath.exp(lpmf), "cdf": cdf, "sf": sf,
                             "logcdf": mpmath.log(cdf), "logsf": mpmath.log(sf)}[method])
    return want


def test_discrete_loc_broadcasting_float32_and_derivatives():
    k = np.arange(6).reshape(2, 3)
    p = np.array([[0.2], [0.7]])
    for method in METHODS_D:
        np.testing.assert_allclose(getattr(ws.geom, method)(k, p, loc=-1),
                                   getattr(st.geom, method)(k, p, loc=-1), rtol=1e-12)
        np.testing.assert_allclose(getattr(ws.nbinom, method)(k, 3.5, p),
                                   getattr(st.nbinom, method)(k, 3.5, p), rtol=1e-12)
    k32 = k.astype(np.float32)  # (integer k is float64, as an integer array anywhere here)
    assert ws.geom.logpmf(k32, np.float32(0.3)).dtype == np.float32
    assert ws.nbinom.cdf(k32, np.float32(2.0), np.float32(0.3)).dtype == np.float32
    assert ws.geom.logpmf(k, 0.3).dtype == np.float64
    np.testing.assert_allclose(ws.betabinom.pmf(np.arange(8), 7, np.array([[0.5], [3.0]]), 2.0),
                               st.betabinom.pmf(np.arange(8), 7, np.array([[0.5], [3.0]]), 2.0),
                               rtol=1e-12)
    # the pmf of each sums to 1
    assert float(np.sum(ws.betabinom.pmf(np.arange(21), 20, 1e-3, 1e3))) == pytest.approx(1.0)
    for k in (1.0, 4.0):
        for method in METHODS_D:
            check_grads(lambda p: getattr(ws.geom, method)(k, p), (0.35,), order=2, rtol=1e-5)
            check_grads(lambda n, p: getattr(ws.nbinom, method)(k, n, p), (2.5, 0.4), order=2,
                        rtol=1e-5)
        for method in ("logpmf", "pmf"):
            check_grads(lambda a, b: getattr(ws.betabinom, method)(k, 6, a, b), (1.5, 0.8),
                        order=2, rtol=1e-5)
    # d/dp of geom.logpmf(k) = 1/p - (k - 1)/(1 - p)
    assert float(wire.grad(ws.geom.logpmf, argnums=1)(4, 0.25)) == pytest.approx(4 - 3 / 0.75)


# ---------------------------------------------------------------------- multinomial

@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_multinomial():
    m, sm = ws.multinomial, st.multinomial
    x = np.array([[1, 2, 0], [0, 0, 3], [1, 1, 1], [1.5, 1.5, 0], [-1, 4, 0], [3, 1, 0]])
    p = np.array([0.2, 0.5, 0.3])
    np.testing.assert_allclose(m.logpmf(x, 3, p), sm.logpmf(x, 3, p), rtol=1e-14)
    np.testing.assert_allclose(wire.jit(lambda p: m.pmf(x, 3, p))(p), sm.pmf(x, 3, p),
                               rtol=1e-14)
    np.testing.assert_allclose(m(3, p).logpmf(x), sm(3, p).logpmf(x), rtol=1e-14)
    # zero probabilities, batches of n and p
    assert float(m.logpmf([0, 3], 3, [0.0, 1.0])) == 0.0
    assert float(m.logpmf([1, 2], 3, [0.0, 1.0])) == -np.inf
    ps = np.array([p, [0.6, 0.1, 0.3]])
    np.testing.assert_allclose(m.logpmf([1, 1, 2], np.array([4, 4]), ps),
                               sm.logpmf([1, 1, 2], [4, 4], ps), rtol=1e-14)
    np.testing.assert_allclose(m.mean(3, p), sm.mean(3, p), rtol=1e-15)
    np.testing.assert_allclose(m.cov(3, p), sm.cov(3, p), rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(m.mean(np.array([3, 4]), ps), sm.mean([3, 4], ps), rtol=1e-15)
    # invalid parameters: NaN (a p not summing to 1 too: SciPy 1.17 adjusts its last entry
    # with a FutureWarning; NaN from 1.18 on)
    assert np.isnan(m.logpmf(x, 3, [0.2, 0.5, 0.4])).all()
    assert np.isnan(m.logpmf(x, -1, p)).all() and np.isnan(m.logpmf(x, 2.5, p)).all()
    assert np.isnan(m.logpmf([1, 2], 3, [-0.5, 1.5])).all()
    # derivative in p: x / p (unconstrained), against finite differences
    np.testing.assert_allclose(wire.grad(lambda p: m.logpmf([1, 2, 0], 3, p))(p), [5.0, 4.0, 0.0])
    # (a perturbed p leaves the simplex, where the value is NaN: differentiate through
    # softmax, which stays on it)
    from wire.scipy.special import softmax
    check_grads(lambda t: m.logpmf(np.array([1, 2, 1]), 4, softmax(t)),
                (np.array([0.1, -0.4, 0.3]),), order=2, rtol=1e-5)


# ------------------------------------------------------------------------ truncnorm

TN_X = np.array([-np.inf, -1e300, -40.0, -3.0, -1.0, -0.5, -0.0, 0.0, 0.3, 1.0, 2.0, 30.0,
                 30.5, 31.0, 40.0, np.inf, np.nan])
TN_BOUNDS = [(-1.0, 1.0), (-np.inf, 0.5), (0.2, np.inf), (-np.inf, np.inf), (30.0, 31.0),
             (-31.0, -30.0), (-2.0, -1.0), (1.0, 3.0), (-40.0, 40.0), (1.0, 1.0), (2.0, 1.0)]


@pytest.mark.parametrize("a,b", TN_BOUNDS)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_truncnorm_values_equal_scipys(a, b):
    for method in METHODS:
        want = getattr(st.truncnorm, method)(TN_X, a, b)
        if a >= b:  # invalid: NaN everywhere (SciPy keeps its out-of-support values at ±inf)
            want = np.full_like(want, np.nan)
        for got in (getattr(ws.truncnorm, method)(TN_X, a, b),
                    wire.jit(lambda x: getattr(ws.truncnorm, method)(x, a, b))(TN_X)):
            got = np.asarray(got)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=method)
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=0, err_msg=method)


def test_truncnorm_tails_against_mpmath_loc_scale_and_derivatives():
    def mp_logcdf(x, a, b):  # the tail that does not round to 1 at 80 digits
        if a >= 0:
            Q = lambda v: mpmath.ncdf(-v)  # noqa: E731
            return mpmath.log1p(-(Q(x) - Q(b)) / (Q(a) - Q(b)))
        return mpmath.log((mpmath.ncdf(x) - mpmath.ncdf(a)) / (mpmath.ncdf(b) - mpmath.ncdf(a)))

    for x, a, b in ((30.5, 30.0, 31.0), (30.0001, 30.0, 31.0), (-30.2, -31.0, -30.0),
                    (35.0, 0.2, np.inf)):
        want = _mp(mp_logcdf, x, a, b, dps=80)
        assert float(ws.truncnorm.logcdf(x, a, b)) == pytest.approx(want, rel=1e-12, abs=1e-300)
    # loc, scale, broadcasting, float32, frozen
    x = np.linspace(-1.0, 2.5, 6).reshape(2, 3)
    a, b = np.array([[-1.0], [0.5]]), np.array([1.0, 2.0, np.inf])
    for method in METHODS:
        want = getattr(st.truncnorm, method)(x, a, b, loc=0.3, scale=1.5)
        np.testing.assert_allclose(getattr(ws.truncnorm, method)(x, a, b, loc=0.3, scale=1.5),
                                   want, rtol=1e-12)
        np.testing.assert_allclose(getattr(ws.truncnorm(a, b, loc=0.3, scale=1.5), method)(x),
                                   want, rtol=1e-12)
        assert getattr(ws.truncnorm, method)(x.astype(np.float32), np.float32(-1.0),
                                             np.float32(1.0)).dtype == np.float32
    # First order everywhere (second order at the far tail of the log forms: the test below)
    for method in METHODS:
        for x0, a0, b0 in ((0.3, -1.0, 2.0), (-1.5, -3.0, -1.0), (30.4, 30.0, 31.0)):
            check_grads(lambda x, a, b, loc, scale: getattr(ws.truncnorm, method)(
                x, a, b, loc=loc, scale=scale), (x0, a0, b0, 0.0, 1.0), order=1, rtol=2e-5)
    # the derivative in x of the cdf is the pdf, also at the ends
    for x0 in (-1.0, 0.2, 2.0):
        assert float(wire.grad(ws.truncnorm.cdf)(x0, -1.0, 2.0)) == pytest.approx(
            st.truncnorm.pdf(x0, -1.0, 2.0), rel=1e-12)
    # quantiles and moments: tests/test_scipy_stats_additions.py


@slow_only
def test_truncnorm_second_derivatives_at_the_far_tail():
    """Second order at the far tail of the log forms (10 s a point: its pieces, ndtr, log_ndtr
    and erfcx, have theirs checked by the registry test in every run)."""
    for method in ("logcdf", "logsf"):
        check_grads(lambda x, a, b, loc, scale: getattr(ws.truncnorm, method)(
            x, a, b, loc=loc, scale=scale), (30.4, 30.0, 31.0, 0.0, 1.0), order=2, rtol=2e-5)
