"""wire.scipy.stats against scipy.stats (values on grids with support edges, infinities,
NaN and invalid parameters; eager and under jit), derivatives against finite differences and
mpmath, and the incomplete gamma/beta primitives against mpmath."""

import math
import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as wsp
import wire.scipy.stats as ws

st = pytest.importorskip("scipy.stats")
mp = pytest.importorskip("mpmath")

X = np.array([-np.inf, -1e300, -50.0, -3.0, -1.0, -0.5, -0.0, 0.0, 1e-300, 0.3, 0.5, 1.0,
              2.5, 30.0, 1e300, np.inf, np.nan])
Q = np.array([0.0, 1e-300, 1e-20, 1e-5, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-12, 1.0, -0.1, 1.1,
              np.nan])

# parameter rows (shapes..., loc, scale): valid ones, support edges, invalid ones
CONTINUOUS = {
    "norm": [(0.0, 1.0), (1.0, 2.0), (0.0, 0.0), (0.0, -1.0), (np.nan, 1.0)],
    "t": [(1.0, 0.0, 1.0), (3.5, 0.0, 1.0), (0.3, 0.0, 1.0), (1e3, 0.0, 1.0),
          (np.inf, 0.0, 1.0), (0.0, 0.0, 1.0), (-1.0, 0.0, 1.0), (4.0, 1.0, 2.0)],
    "beta": [(2.0, 3.0, 0.0, 1.0), (0.5, 0.5, 0.0, 1.0), (1.0, 1.0, 0.0, 1.0),
             (1.0, 3.0, 0.0, 1.0), (3.0, 1.0, 0.0, 1.0), (0.0, 1.0, 0.0, 1.0),
             (2.0, 3.0, -1.0, 3.0)],
    "gamma": [(1.0, 0.0, 1.0), (0.5, 0.0, 1.0), (2.5, 0.0, 1.0), (30.0, 0.0, 1.0),
              (0.0, 0.0, 1.0), (2.0, 1.0, 3.0)],
    "chi2": [(1.0, 0.0, 1.0), (2.0, 0.0, 1.0), (3.0, 0.0, 1.0), (50.0, 0.0, 1.0),
             (-1.0, 0.0, 1.0), (4.0, 0.5, 2.0)],
    "expon": [(0.0, 1.0), (1.0, 2.0), (0.0, -1.0)],
    "laplace": [(0.0, 1.0), (1.0, 2.0), (0.0, 0.0)],
    "logistic": [(0.0, 1.0), (1.0, 2.0), (0.0, np.nan)],
    "cauchy": [(0.0, 1.0), (1.0, 2.0)],
    "uniform": [(0.0, 1.0), (-1.0, 2.0), (0.0, 0.0)],
}
DENSITY = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]
QUANTILE = set(CONTINUOUS)  # closed forms, or bisection + implicit differentiation


def _mp_reference(name, method, x, params):
    """High-precision value for the entries where wire is deliberately more accurate than
    SciPy (SciPy rounds to 0/-inf, or evaluates inf - inf, or misses a far quantile)."""
    mp.mp.dps = 40
    *shapes, loc, scale = params
    if method in ("ppf", "isf"):
        return _mp_quantile(name, method, x, shapes, loc, scale)
    z = (mp.mpf(x) - loc) / scale
    if name == "t" and method in ("logcdf", "logsf"):
        nu = mp.mpf(shapes[0])
        w = -z if method == "logcdf" else z  # the tail beyond |z|
        if mp.isinf(nu):  # the normal distribution
            tail = mp.ncdf(-abs(z))
        else:
            tail = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + z * z), regularized=True) / 2
        return mp.log(tail) if w > 0 else mp.log1p(-tail)
    if name in ("gamma", "chi2") and method in ("logcdf", "logsf"):
        a, k = (mp.mpf(shapes[0]), 1) if name == "gamma" else (mp.mpf(shapes[0]) / 2, 2)
        lo, hi = (0, z / k) if method == "logcdf" else (z / k, mp.inf)
        return mp.log(mp.gammainc(a, lo, hi, regularized=True))
    if name == "beta" and method in ("logcdf", "logsf"):
        a, b = mp.mpf(shapes[0]), mp.mpf(shapes[1])
        lo, hi = (0, z) if method == "logcdf" else (z, 1)
        return mp.log(mp.betainc(a, b, lo, hi, regularized=True))
    if name == "t" and method == "logpdf":
        nu = mp.mpf(shapes[0])
        return (mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(nu * mp.pi) / 2
                - (nu + 1) / 2 * mp.log1p(z * z / nu) - mp.log(scale))
    if name == "laplace":
        if method == "logpdf":
            return -abs(z) - mp.log(2) - mp.log(scale)
        if method == "logcdf":
            return z - mp.log(2) if z < 0 else mp.log1p(-mp.exp(-z) / 2)
        if method == "logsf":
            return -z - mp.log(2) if z > 0 else mp.log1p(-mp.exp(z) / 2)
    raise AssertionError((name, method, x, params))


def _mp_quantile(name, method, q, shapes, loc, scale):
    """Solve for the quantile in high precision (log of the tail, from wire's answer)."""
    s = [mp.mpf(v) for v in shapes]
    half = mp.mpf(1) / 2
    if name in ("gamma", "chi2"):
        a, k = (s[0], 1) if name == "gamma" else (s[0] / 2, 2)
        cdf = lambda z: mp.gammainc(a, 0, z / k, regularized=True)
        sf = lambda z: mp.gammainc(a, z / k, mp.inf, regularized=True)
    elif name == "beta":
        cdf = lambda z: mp.betainc(s[0], s[1], 0, z, regularized=True)
        sf = lambda z: mp.betainc(s[0], s[1], z, 1, regularized=True)
    elif name == "t":
        def low(z):
            return mp.betainc(s[0] / 2, half, 0, s[0] / (s[0] + z * z), regularized=True) / 2

        cdf = lambda z: low(z) if z < 0 else 1 - low(-z)
        sf = lambda z: cdf(-z)
    else:
        raise AssertionError((name, method, q))
    on_cdf = (method == "ppf") == (q <= 0.5)
    tail, p = (cdf, mp.mpf(q) if q <= 0.5 else 1 - mp.mpf(q)) if on_cdf else \
        (sf, mp.mpf(q) if q <= 0.5 else 1 - mp.mpf(q))
    z0 = float(getattr(getattr(ws, name), method)(q, *shapes, loc, scale))
    if not np.isfinite(z0) or z0 == 0.0:
        return z0
    # wire's answer is right if the exact quantile lies within 1e-12 of it: the tail
    # probabilities at its two ends bracket p
    z = (mp.mpf(z0) - loc) / scale
    ends = [tail(z * (1 + sign * mp.mpf(1e-12))) for sign in (-1, 1)]
    assert min(ends) <= p <= max(ends), (name, method, q, z0)
    return z0


def _compare(got, ref, xs, name, method, params, rtol):
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    assert got.shape == ref.shape
    same = (got == ref) | (np.isnan(got) & np.isnan(ref))
    close = np.isclose(got, ref, rtol=rtol, atol=0.0)
    for i in np.flatnonzero(~(same | close)):
        x = xs[i]
        # SciPy's own limits that wire gets right: a density at +inf is 0 (SciPy: NaN from
        # inf - inf in gamma/chi2) and laplace's log-functions far out (SciPy: -inf)
        if np.isinf(x) and np.isnan(ref[i]) and method in ("logpdf", "pdf"):
            assert got[i] == (-np.inf if method == "logpdf" else 0.0)
            continue
        exact = _mp_reference(name, method, x, params)
        assert math.isclose(got[i], float(exact), rel_tol=1e-14), (name, method, params, x)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_values_match_scipy(name):
    dist, ref_dist = getattr(ws, name), getattr(st, name)
    methods = DENSITY + (["ppf", "isf"] if name in QUANTILE else [])
    rtol = 1e-12 if name != "t" else 2e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for params in CONTINUOUS[name]:
            for m in methods:
                xs = Q if m in ("ppf", "isf") else X
                ref = getattr(ref_dist, m)(xs, *params)
                _compare(getattr(dist, m)(xs, *params), ref, xs, name, m, params, rtol)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_values_under_jit(name):
    """The traced path (jit: every parameter a graph input) gives SciPy's values too."""
    dist, ref_dist = getattr(ws, name), getattr(st, name)
    rows = np.array(CONTINUOUS[name], dtype=float)
    params = [rows[:, i:i + 1] for i in range(rows.shape[1])]  # broadcast against x
    methods = DENSITY + (["ppf", "isf"] if name in QUANTILE else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in methods:
            xs = Q if m in ("ppf", "isf") else X
            got = wire.jit(getattr(dist, m))(xs, *params)
            ref = getattr(ref_dist, m)(xs, *params)
            for r in range(len(rows)):
                _compare(got[r], ref[r], xs, name, m, tuple(rows[r]), 1e-11)


DISCRETE = {
    "poisson": [(0.0, 0.0), (0.3, 0.0), (3.0, 0.0), (40.0, 0.0), (-1.0, 0.0), (2.0, 1.0)],
    "bernoulli": [(0.0, 0.0), (0.3, 0.0), (1.0, 0.0), (1.5, 0.0), (0.3, 2.0)],
    "binom": [(5, 0.3, 0.0), (1, 0.5, 0.0), (10, 0.0, 0.0), (10, 1.0, 0.0), (5.5, 0.3, 0.0),
              (-1, 0.3, 0.0), (3, 1.2, 0.0), (60, 0.9, 1.0)],
}
K = np.array([-np.inf, -5.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 3.7, 5.0, 10.0, 60.0, np.inf,
              np.nan])


def _discrete_reference(name, method, k, params):
    """mpmath value of log P(X <= k) / log P(X > k) by summing the pmf (where SciPy's
    log(cdf) rounds to 0)."""
    mp.mp.dps = 300  # 1 - cdf must survive cdf = 1 - 1e-60
    *shapes, loc = params
    k = math.floor(k - loc)
    if name == "poisson":
        mu = mp.mpf(shapes[0])
        pmf = [mp.exp(-mu) * mu**j / mp.factorial(j) for j in range(k + 1)]
    else:
        n, p = int(shapes[0]), mp.mpf(shapes[1])
        pmf = [mp.binomial(n, j) * p**j * (1 - p) ** (n - j) for j in range(k + 1)]
    cdf = mp.fsum(pmf)
    return mp.log(cdf) if method == "logcdf" else mp.log1p(-cdf)


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_values_match_scipy(name):
    dist, ref_dist = getattr(ws, name), getattr(st, name)
    rows = np.array(DISCRETE[name], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"]:
            traced = wire.jit(getattr(dist, m))(K, *[rows[:, i:i + 1] for i in range(rows.shape[1])])
            for r, params in enumerate(DISCRETE[name]):
                ref = np.asarray(getattr(ref_dist, m)(K, *params), np.float64)
                for got in (np.asarray(getattr(dist, m)(K, *params)), traced[r]):
                    same = (got == ref) | (np.isnan(got) & np.isnan(ref))
                    close = np.isclose(got, ref, rtol=1e-12, atol=0)
                    for i in np.flatnonzero(~(same | close)):
                        valid = ref_dist._argcheck(*params[:-1]) and not np.isnan(K[i])
                        if not valid:
                            # SciPy's logcdf/logsf return 0 past the support even for
                            # invalid parameters (its cdf/sf give NaN there); wire: NaN
                            assert np.isnan(got[i]) and m in ("logcdf", "logsf")
                            continue
                        exact = _discrete_reference(name, m, K[i], params)
                        assert math.isclose(got[i], float(exact), rel_tol=1e-12, abs_tol=1e-300), \
                            (name, m, params, K[i], got[i], exact)


MOMENTS = [("norm", (1.0, 2.0)), ("t", (3.0,)), ("t", (1.5,)), ("t", (0.5,)), ("t", (np.inf,)),
           ("beta", (2.0, 3.0)), ("gamma", (2.5, 1.0, 2.0)), ("chi2", (3.0,)),
           ("expon", (0.0, 3.0)), ("laplace", ()), ("logistic", (0.0, 2.0)), ("cauchy", ()),
           ("uniform", (1.0, 3.0)), ("poisson", (3.0,)), ("binom", (5, 0.3)),
           ("bernoulli", (0.3,)), ("gamma", (-1.0,))]


def test_stats_nnlf_freeze_and_dirichlet_cov():
    x = np.array([0.5, 1.0, 2.0])
    assert ws.gamma.nnlf((2.0, 0.0, 1.5), x) == pytest.approx(st.gamma.nnlf((2.0, 0.0, 1.5), x),
                                                             rel=1e-14)
    assert ws.gamma.nnlf((-2.0, 0.0, 1.5), x) == np.inf
    g = wire.grad(lambda th: ws.gamma.nnlf(th, x))(np.array([2.0, 0.0, 1.5]))
    assert np.all(np.isfinite(g))
    assert tuple(map(float, ws.norm.stats(1.0, 2.0))) == (1.0, 4.0)
    assert float(ws.expon.freeze(scale=2.0).mean()) == 2.0
    alpha = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ws.dirichlet.cov(alpha), st.dirichlet.cov(alpha), atol=1e-16)


@pytest.mark.parametrize("name,params", MOMENTS)
def test_moments_and_entropy_match_scipy(name, params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in ["mean", "var", "std", "entropy", "support"]:
            if m == "entropy" and name in ("poisson", "binom"):
                with pytest.raises(wire.WireError, match="not implemented"):
                    ws.poisson.entropy(*params) if name == "poisson" else ws.binom.entropy(*params)
                continue
            got = getattr(getattr(ws, name), m)(*params)
            ref = getattr(getattr(st, name), m)(*params)
            np.testing.assert_allclose(np.asarray(got, float), np.asarray(ref, float),
                                       rtol=1e-12, equal_nan=True)


# --------------------------------------------------------------------------- derivatives

GRAD_CASES = {
    "norm": ([-2.0, 0.0, 0.7, 5.0], [(0.3, 1.5)]),
    "t": ([-3.0, 0.0, 0.4, 6.0], [(0.7, 0.2, 1.3), (300.0, 0.1, 0.9)]),  # Stirling branch
    "beta": ([0.1, 0.5, 0.93], [(0.7, 2.5, 0.0, 1.0), (3.0, 1.5, -0.1, 1.2)]),
    "gamma": ([0.2, 1.0, 4.0, 12.0], [(0.6, 0.0, 1.0), (3.5, 0.1, 2.0)]),
    "chi2": ([0.3, 2.0, 9.0], [(1.5, 0.0, 1.0), (7.0, 0.0, 1.5)]),
    "expon": ([0.1, 1.0, 20.0], [(0.05, 1.5)]),
    "laplace": ([-3.0, 0.5, 2.0], [(0.2, 1.5)]),
    "logistic": ([-30.0, -1.0, 0.3, 5.0, 40.0], [(0.2, 1.5)]),
    "cauchy": ([-1e3, -1.0, 0.3, 5.0], [(0.2, 1.5)]),
    "uniform": ([0.3, 1.1], [(0.2, 1.5)]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_in_every_argument_match_finite_differences(name):
    """d/dx, d/dshape, d/dloc, d/dscale of every method, against central differences of
    SciPy's own values (one vectorised gradient per method)."""
    xs, rows = GRAD_CASES[name]
    for params in rows:
        args = [np.array(xs)] + [np.full(len(xs), p) for p in params]
        for m in DENSITY:
            f, ref = getattr(getattr(ws, name), m), getattr(getattr(st, name), m)
            grads = wire.grad(lambda *a: wnp.sum(f(*a)), argnums=tuple(range(len(args))))(*args)
            for i, g in enumerate(grads):
                h = 1e-6 * np.maximum(1.0, np.abs(args[i]))
                up = [a + h if j == i else a for j, a in enumerate(args)]
                down = [a - h if j == i else a for j, a in enumerate(args)]
                num = (ref(*up) - ref(*down)) / (2 * h)
                np.testing.assert_allclose(g, num, rtol=2e-6, atol=2e-6, err_msg=f"{m} arg {i}")


def _mp_deriv(f, point, orders):
    mp.mp.dps = 40
    return float(mp.diff(f, point, orders))


def test_shape_parameter_derivatives_match_mpmath():
    """Derivatives of the cdfs in their shape parameters (which need the incomplete
    gamma/beta shape derivatives), first and second order, against mpmath."""
    def gamma_cdf(x, a):
        return mp.gammainc(a, 0, x, regularized=True)

    def beta_cdf(x, a, b):
        return mp.betainc(a, b, 0, x, regularized=True)

    def t_cdf(x, nu):
        tail = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + x * x), regularized=True) / 2
        return tail if x < 0 else 1 - tail

    g = wire.grad(ws.gamma.cdf, argnums=1)
    assert math.isclose(g(2.0, 3.5), _mp_deriv(gamma_cdf, (2.0, 3.5), (0, 1)), rel_tol=1e-12)
    gg = wire.grad(wire.grad(ws.gamma.cdf, argnums=1), argnums=1)
    assert math.isclose(gg(2.0, 3.5), _mp_deriv(gamma_cdf, (2.0, 3.5), (0, 2)), rel_tol=1e-10)
    gx = wire.grad(wire.grad(ws.gamma.cdf, argnums=1), argnums=0)
    assert math.isclose(gx(2.0, 3.5), _mp_deriv(gamma_cdf, (2.0, 3.5), (1, 1)), rel_tol=1e-12)
    gab = wire.grad(wire.grad(ws.beta.cdf, argnums=1), argnums=2)
    assert math.isclose(gab(0.3, 1.5, 2.5), _mp_deriv(beta_cdf, (0.3, 1.5, 2.5), (0, 1, 1)),
                        rel_tol=1e-11)
    for x in (-4.0, -0.5, 0.0, 1.5):
        got = wire.grad(ws.t.cdf, argnums=1)(x, 2.5)
        ref = 0.0 if x == 0.0 else _mp_deriv(lambda nu, x=x: t_cdf(mp.mpf(x), nu), 2.5, 1)
        assert math.isclose(got, ref, rel_tol=1e-11, abs_tol=1e-16), x
    # the t cdf is analytic at 0: its x-derivative is the density, its df-x mixed derivative
    # the df-derivative of the density
    assert math.isclose(wire.grad(ws.t.cdf)(0.0, 2.5), float(st.t.pdf(0.0, 2.5)), rel_tol=1e-14)
    mixed = wire.grad(wire.grad(ws.t.cdf), argnums=1)(0.0, 2.5)
    ref = _mp_deriv(lambda nu: mp.gamma((nu + 1) / 2) / (mp.sqrt(nu * mp.pi) * mp.gamma(nu / 2)),
                    2.5, 1)
    assert math.isclose(mixed, ref, rel_tol=1e-12)


def test_smooth_at_the_mode_and_in_the_tails():
    """Derivatives at the points where a branchy implementation goes wrong."""
    d2 = wire.grad(wire.grad(ws.logistic.logpdf))
    assert math.isclose(d2(0.0), -0.5, rel_tol=1e-15)
    d3 = wire.grad(d2)
    assert abs(d3(0.0)) < 1e-15
    for z in (-40.0, 0.0, 3.0):  # logcdf of logistic: -softplus(-z)
        exact = -1.0 / (1.0 + math.exp(z))  # d²/dz² log expit(z) = -expit(z) expit(-z)
        exact = -math.exp(-abs(z)) / (1.0 + math.exp(-abs(z))) ** 2
        assert math.isclose(wire.grad(wire.grad(ws.logistic.logcdf))(z), exact, rel_tol=1e-12)
    # norm.logcdf far in the lower tail: d/dz log Φ(z) ≈ -z
    assert math.isclose(wire.grad(ws.norm.logcdf)(-1000.0), 1000.0, rel_tol=1e-5)
    # the laplace kink: derivative 0 at the mode (average of ±1)
    assert wire.grad(ws.laplace.logpdf)(0.0) == 0.0
    # masked entries carry zero gradient, never NaN
    g = wire.grad(lambda x, s: wnp.sum(ws.gamma.logpdf(x, 2.0, 0.0, s)), argnums=(0, 1))(
        np.array([-1.0, np.inf, 2.0]), np.array([1.0, 1.0, -1.0]))
    assert np.all(np.isfinite(g[0])) and np.all(np.isfinite(g[1]))
    assert np.all(g[0] == 0.0) and np.all(g[1] == 0.0)


def test_ppf_is_the_inverse_and_differentiable():
    for name in sorted(["norm", "expon", "laplace", "logistic", "cauchy", "uniform"]):
        dist = getattr(ws, name)
        q = np.array([1e-300, 1e-12, 0.2, 0.5, 0.8, 1 - 1e-12])
        x = dist.ppf(q, 0.5, 2.0)
        np.testing.assert_allclose(x, getattr(st, name).ppf(q, 0.5, 2.0), rtol=1e-12)
        inside = (q > 1e-200) if name != "uniform" else q > 0
        dq = wire.grad(lambda q_: wnp.sum(dist.ppf(q_, 0.5, 2.0)))(q[inside])
        np.testing.assert_allclose(dq, 1.0 / dist.pdf(x[inside], 0.5, 2.0), rtol=1e-9)


def test_gamma_quantile_derivatives():
    """The fast representative of the test below: dz/dq = 1/pdf, dz/da by the implicit
    function theorem through the incomplete gamma's shape derivative."""
    q, a, h = np.array([1e-8, 0.3, 0.99]), np.full(3, 2.5), 1e-6
    gq, ga = wire.grad(lambda q, a: wnp.sum(ws.gamma.ppf(q, a)), argnums=(0, 1))(q, a)
    np.testing.assert_allclose(gq, 1.0 / st.gamma.pdf(st.gamma.ppf(q, a), a), rtol=1e-9)
    fd = (st.gamma.ppf(q, a + h) - st.gamma.ppf(q, a - h)) / (2 * h)
    np.testing.assert_allclose(ga, fd, rtol=1e-6)


@pytest.mark.slow
def test_numeric_quantiles_differentiate_implicitly():
    """gamma/chi2/beta/t quantiles are bisection roots; their derivatives in q and in the
    shape parameters come from the implicit function theorem (dz/dθ = -∂F/∂θ / pdf)."""
    h = 1e-6
    q = np.array([0.05, 0.5, 0.9])
    for name, params, method in (("gamma", (3.0,), "ppf"), ("chi2", (4.5,), "isf"),
                                 ("t", (3.0,), "ppf"), ("beta", (2.0, 3.0), "isf")):
        dist, ref = getattr(ws, name), getattr(st, name)
        args = [q] + [np.full(3, p) for p in params]  # elementwise: one gradient for all
        grads = wire.grad(lambda *a: wnp.sum(getattr(dist, method)(*a)),
                          argnums=tuple(range(len(args))))(*args)
        z = getattr(dist, method)(q, *params)
        sign = 1.0 if method == "ppf" else -1.0
        np.testing.assert_allclose(grads[0], sign / ref.pdf(z, *params), rtol=1e-9)
        for k in range(1, len(args)):
            up = [a + h if j == k else a for j, a in enumerate(args)]
            down = [a - h if j == k else a for j, a in enumerate(args)]
            fd = (getattr(ref, method)(*up) - getattr(ref, method)(*down)) / (2 * h)
            np.testing.assert_allclose(grads[k], fd, rtol=1e-6, atol=1e-12, err_msg=f"{name} arg {k}")
    np.testing.assert_allclose(wire.jit(ws.gamma.ppf)(np.array([0.1, 0.5]), 2.0),
                               st.gamma.ppf([0.1, 0.5], 2.0), rtol=1e-13)
    assert float(ws.gamma.median(2.0)) == pytest.approx(st.gamma.median(2.0), rel=1e-14)
    lo, hi = ws.t.interval(0.95, 5.0)
    assert (float(lo), float(hi)) == pytest.approx(st.t.interval(0.95, 5.0), rel=1e-13)


# --------------------------------------------------------------------------- discrete


def test_discrete_gradients_in_the_parameters():
    k = np.array([0.0, 1.0, 3.0, 7.0])
    for name, params, m_idx in (("poisson", (2.5,), 1), ("binom", (9, 0.35), 2),
                                ("bernoulli", (0.35,), 1)):
        dist, ref = getattr(ws, name), getattr(st, name)
        kk = np.minimum(k, 1.0) if name == "bernoulli" else k
        for m in ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"]:
            kk = kk[np.isfinite(getattr(ref, m)(kk, *params))]  # log P = -inf: no derivative
            g = wire.grad(lambda p: wnp.sum(getattr(dist, m)(kk, *params[:-1], p)))(params[-1])
            h = 1e-6
            num = np.sum(getattr(ref, m)(kk, *params[:-1], params[-1] + h)
                         - getattr(ref, m)(kk, *params[:-1], params[-1] - h)) / (2 * h)
            assert math.isclose(g, num, rel_tol=1e-6, abs_tol=1e-7), (name, m)
    # poisson.cdf'(mu) = -pmf(k): the incomplete gamma's closed-form x-derivative
    assert math.isclose(wire.grad(ws.poisson.cdf, argnums=1)(4, 3.0), -st.poisson.pmf(4, 3.0),
                        rel_tol=1e-14)


# --------------------------------------------------------------------------- API


def test_frozen_distributions_and_keyword_parameters():
    frozen = ws.norm(loc=1.0, scale=2.0)
    assert float(frozen.logpdf(0.5)) == float(ws.norm.logpdf(0.5, 1.0, 2.0))
    assert float(frozen.mean()) == 1.0 and float(frozen.std()) == 2.0
    assert float(ws.gamma(2.0).cdf(1.0)) == float(ws.gamma.cdf(1.0, a=2.0))
    assert float(ws.binom(5, p=0.3).pmf(2)) == pytest.approx(st.binom.pmf(2, 5, 0.3), rel=1e-14)
    g = wire.grad(lambda mu: ws.norm(mu, 1.0).logpdf(2.0))(0.5)
    assert float(g) == 1.5


def test_bad_parameters_raise_clear_errors():
    with pytest.raises(wire.WireError, match="missing the shape parameter.*a"):
        ws.gamma.logpdf(1.0)
    with pytest.raises(wire.WireError, match="unexpected parameter 'mu'"):
        ws.norm.logpdf(1.0, mu=2.0)
    with pytest.raises(wire.WireError, match="two values for 'loc'"):
        ws.norm.logpdf(1.0, 0.0, loc=1.0)
    with pytest.raises(wire.WireError, match="at most 2 parameters"):
        ws.norm.cdf(1.0, 0.0, 1.0, 3.0)
    with pytest.raises(wire.WireError, match="entropy is not implemented"):
        ws.poisson.entropy(3.0)
    with pytest.raises(wire.WireError, match="only moments 'm' and 'v'"):
        ws.norm.stats(moments="mvsk")


def test_dtypes_broadcasting_and_vmap():
    x32 = np.linspace(0.1, 3.0, 5).astype(np.float32)
    assert ws.gamma.logpdf(x32, 2.0).dtype == np.float32
    assert wire.jit(lambda x: ws.norm.cdf(x, 0.0, 2.0))(x32).dtype == np.float32
    assert ws.poisson.pmf(np.arange(4), 2.0).dtype == np.float64  # integer k: float64
    out = ws.norm.logpdf(np.zeros((3, 1)), np.zeros(4), np.ones((2, 1, 1)))
    assert out.shape == (2, 3, 4)
    mus = np.linspace(-1.0, 1.0, 4)
    batched = wire.vmap(lambda m: ws.t.cdf(0.3, 3.0, m))(mus)
    np.testing.assert_allclose(batched, st.t.cdf(0.3, 3.0, mus), rtol=1e-13)


# --------------------------------------------------------------------------- multivariate


def test_multivariate_normal_matches_scipy_and_differentiates():
    rng = np.random.default_rng(0)
    for d in (1, 2, 4):
        A = rng.normal(size=(d, d))
        C, m = A @ A.T + 0.5 * np.eye(d), rng.normal(size=d)
        for x in ([rng.normal(size=d), rng.normal(size=(5, d)), rng.normal(size=(2, 3, d))]
                  if d > 1 else [rng.normal(size=()), rng.normal(size=5)]):
            ref = st.multivariate_normal.logpdf(x, m, C)
            for got in (ws.multivariate_normal.logpdf(x, m, C),
                        wire.jit(ws.multivariate_normal.logpdf)(x, m, C)):
                assert np.shape(got) == np.shape(ref)
                np.testing.assert_allclose(got, ref, rtol=1e-13)
        x = rng.normal(size=d)
        gx, gm, gC = wire.grad(ws.multivariate_normal.logpdf, argnums=(0, 1, 2))(x, m, C)
        Ci = np.linalg.inv(C)
        np.testing.assert_allclose(gx, -Ci @ (x - m), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(gm, Ci @ (x - m), rtol=1e-12, atol=1e-13)
        E = rng.normal(size=(d, d))
        E = E + E.T  # SciPy reads the lower triangle: compare along symmetric directions
        num = (st.multivariate_normal.logpdf(x, m, C + 1e-6 * E)
               - st.multivariate_normal.logpdf(x, m, C - 1e-6 * E)) / 2e-6
        assert math.isclose(np.sum(gC * E), num, rel_tol=1e-6, abs_tol=1e-8)
    x = np.array([0.5, 1.0])
    for cov in (2.0, np.array([2.0, 3.0])):
        np.testing.assert_allclose(ws.multivariate_normal.logpdf(x, np.zeros(2), cov),
                                   st.multivariate_normal.logpdf(x, np.zeros(2), cov), rtol=1e-14)
    frozen = ws.multivariate_normal(np.zeros(2), np.eye(2))
    np.testing.assert_allclose(frozen.entropy(), st.multivariate_normal(np.zeros(2)).entropy())


def test_multivariate_normal_singular_covariance():
    C = np.array([[1.0, 1.0], [1.0, 1.0]])
    X = np.array([[0.5, 0.5], [0.5, 0.4]])
    ref = st.multivariate_normal.logpdf(X, cov=C, allow_singular=True)
    got = ws.multivariate_normal.logpdf(X, cov=C, allow_singular=True)
    np.testing.assert_allclose(got, ref, rtol=1e-13)
    assert got[1] == -np.inf
    traced = wire.jit(lambda x, c: ws.multivariate_normal.logpdf(x, cov=c, allow_singular=True))
    np.testing.assert_allclose(traced(X, C), ref, rtol=1e-13)
    # a regular cov through the singular-capable path: the Cholesky result, finite gradient
    g = wire.grad(lambda c: ws.multivariate_normal.logpdf(X[0], cov=c, allow_singular=True))(
        2.0 * np.eye(2))
    np.testing.assert_allclose(g, [[-0.21875, 0.0], [0.0625, -0.21875]], rtol=1e-14)
    with pytest.raises(wire.WireError, match="singular"):
        ws.multivariate_normal.logpdf(X, cov=C)
    with pytest.raises(wire.WireError, match="positive semidefinite"):
        ws.multivariate_normal.logpdf(X, cov=-np.eye(2), allow_singular=True)
    with pytest.raises(wire.ShapeError, match="give 'mean'"):
        ws.multivariate_normal.logpdf(np.zeros(2), cov=np.array([2.0, 3.0]))


def test_dirichlet_matches_scipy():
    alpha = np.array([0.5, 2.0, 3.0])
    x = np.array([[0.2, 0.3], [0.3, 0.3], [0.5, 0.4]])
    for xx in (x, x[:2], x[:, 0]):
        np.testing.assert_allclose(ws.dirichlet.logpdf(xx, alpha), st.dirichlet.logpdf(xx, alpha),
                                   rtol=1e-14)
    for m in ("mean", "var", "entropy"):
        np.testing.assert_allclose(getattr(ws.dirichlet, m)(alpha),
                                   getattr(st.dirichlet, m)(alpha), rtol=1e-14)
    g = wire.grad(lambda a: ws.dirichlet.logpdf(x[:, 0], a))(alpha)
    exact = np.log(x[:, 0]) - wsp.digamma(alpha) + wsp.digamma(alpha.sum())
    np.testing.assert_allclose(g, exact, rtol=1e-13)
    with pytest.raises(wire.WireError, match="simplex"):
        ws.dirichlet.logpdf(np.array([0.2, 0.2, 0.2]), alpha)
    with pytest.raises(wire.WireError, match="alpha must be > 0"):
        ws.dirichlet.logpdf(x, -alpha)


# --------------------------------------------------------------------------- primitives


def test_incomplete_gamma_and_beta_derivatives_match_mpmath():
    from wire.ops import incomplete as inc

    mp.mp.dps = 30
    for a, x in [(0.3, 0.1), (2.5, 3.6), (100.0, 90.0), (0.01, 5.0)]:  # series and fraction
        c = inc.gammainc_taylor(a, x, 3)
        for n in range(4):
            ref = mp.diff(lambda s: mp.gammainc(s, 0, x, regularized=True), a, n)
            assert math.isclose(c[n] * math.factorial(n), float(ref), rel_tol=1e-12), (a, x, n)
    for a, b, x in [(0.3, 0.7, 0.1), (5.0, 0.2, 0.999)]:  # direct and reflected fraction
        c = inc.betainc_taylor(a, b, x, 2, 2)
        for i, j in [(1, 0), (0, 1), (1, 1), (2, 1)]:
            ref = mp.diff(lambda s, u: mp.betainc(s, u, 0, x, regularized=True), (a, b), (i, j))
            got = c[i, j] * math.factorial(i) * math.factorial(j)
            assert math.isclose(got, float(ref), rel_tol=1e-11, abs_tol=1e-14), (a, b, x, i, j)
    # edges: P is constant in a at x = 0 and x = inf; invalid shapes give NaN, as SciPy
    np.testing.assert_array_equal(inc.gammainc_taylor([1.0, 2.0], [0.0, np.inf], 2)[1:], 0.0)
    assert np.isnan(inc.gammainc_taylor(-1.0, 1.0, 1)).all()
    assert np.isnan(inc.betainc_taylor(1.0, 1.0, 1.5, 1, 0)).all()
    sps = pytest.importorskip("scipy.special")
    a, x = np.array([0.5, 3.0, 20.0]), np.array([0.2, 4.0, 18.0])
    np.testing.assert_allclose(inc.gammainc_taylor(a, x, 0)[0], sps.gammainc(a, x), rtol=1e-13)
    np.testing.assert_allclose(inc.betainc_taylor(a, a + 1, x / 25, 0, 0)[0, 0],
                               sps.betainc(a, a + 1, x / 25), rtol=1e-13)


def test_special_wrappers_derivatives_at_edges():
    # dP/dx at x = 0: infinite for a < 1, 1 at a = 1, 0 above; dQ/da is -dP/da
    dx = wire.grad(wsp.gammainc, argnums=1)
    assert dx(0.5, 0.0) == np.inf and dx(1.0, 0.0) == 1.0 and dx(2.0, 0.0) == 0.0
    assert wire.grad(wsp.gammaincc)(2.0, 1.5) == -wire.grad(wsp.gammainc)(2.0, 1.5)
    # I_x(1, 1) = x: every derivative in x is 1 then 0; d/da at the ends is 0
    assert wire.grad(wsp.betainc, argnums=2)(1.0, 1.0, 0.3) == pytest.approx(1.0, rel=1e-14)
    assert wire.grad(wsp.betainc, argnums=0)(2.0, 3.0, 0.0) == 0.0


# --------------------------------------------------------------------------- ends of the support

INF = np.inf
# (distribution.method, arguments, path: the argument differentiated at each order, the
# derivatives of orders 1, 2 …): at a finite end of the support the one-sided derivatives from
# inside; where a log-probability is -inf (logcdf at the lower end, logsf at the upper), ±inf
# in x and loc, 0 in what does not move the point off the end; discrete parameters at 0 and 1.
# fmt: off
SUPPORT_ENDS = [
    ("gamma.logpdf", (0.0, 1.0), (0, 0, 0), (-1.0, 0.0, 0.0)),     # -x at a = 1
    ("gamma.logpdf", (0.0, 2.0), (0, 0), (INF, -INF)),             # log x - x
    ("gamma.logpdf", (0.0, 0.5), (0, 0), (-INF, INF)),
    ("gamma.pdf", (0.0, 1.0), (0, 0, 0), (-1.0, 1.0, -1.0)),
    ("gamma.pdf", (0.0, 2.0), (0, 0, 0), (1.0, -2.0, 3.0)),         # x e^-x
    ("gamma.pdf", (0.0, 1.0), (1,), (-INF,)),                       # e^-x (log x - ψ(1))
    ("gamma.pdf", (0.0, 2.0), (1, 1), (0.0, 0.0)),
    ("gamma.cdf", (0.0, 1.0), (0, 0, 0), (1.0, -1.0, 1.0)),
    ("gamma.cdf", (0.0, 2.0), (0, 0, 0), (0.0, 1.0, -2.0)),
    ("gamma.cdf", (0.0, 1.0), (1, 1, 0), (0.0, 0.0, INF)),          # ∂x ∂a² ~ (log x)²
    ("gamma.cdf", (0.0, 1.0, 0.0, 2.0), (3, 0), (0.0, -0.25)),       # scale; then -1/s²
    ("gamma.sf", (0.0, 1.0), (0, 0, 0), (-1.0, 1.0, -1.0)),
    ("gamma.logcdf", (0.0, 3.0), (0, 0, 0), (INF, -INF, INF)),
    ("gamma.logcdf", (0.0, 3.0, 0.0, 2.0), (2,), (-INF,)),           # loc
    ("gamma.logcdf", (0.0, 3.0, 0.0, 2.0), (3,), (0.0,)),            # scale
    ("gamma.logcdf", (0.0, 3.0), (1,), (0.0,)),
    ("gamma.logsf", (0.0, 1.0), (0, 0, 0), (-1.0, 0.0, 0.0)),
    ("chi2.pdf", (0.0, 2.0), (0, 0, 0), (-0.25, 0.125, -0.0625)),   # e^(-x/2) / 2
    ("chi2.cdf", (0.0, 2.0), (0, 0, 0), (0.5, -0.25, 0.125)),
    ("chi2.logpdf", (0.0, 2.0), (0, 0, 0), (-0.5, 0.0, 0.0)),
    ("beta.logpdf", (0.0, 1.0, 2.0), (0, 0, 0), (-1.0, -1.0, -2.0)),  # log 2(1 - x)
    ("beta.logpdf", (1.0, 2.0, 1.0), (0, 0, 0), (1.0, -1.0, 2.0)),    # log 2x
    ("beta.pdf", (0.0, 1.0, 2.0), (0, 0, 0), (-2.0, 0.0, 0.0)),
    ("beta.pdf", (0.0, 2.0, 2.0), (0, 0, 0), (6.0, -12.0, 0.0)),      # 6x(1 - x)
    ("beta.pdf", (1.0, 2.0, 2.0), (0, 1), (-6.0, -5.0)),             # ∂a -a(a + 1) x^(a-1)
    ("beta.cdf", (0.0, 1.0, 2.0), (0, 0, 0), (2.0, -2.0, 0.0)),       # 2x - x²
    ("beta.cdf", (1.0, 2.0, 1.0), (0, 0, 0), (2.0, 2.0, 0.0)),        # x²
    ("beta.cdf", (0.0, 0.5, 2.0), (0, 0), (INF, -INF)),
    ("beta.sf", (1.0, 2.0, 1.0), (0, 0, 0), (-2.0, -2.0, 0.0)),
    ("beta.logcdf", (1.0, 2.0, 1.0), (0, 0, 0), (2.0, -2.0, 4.0)),    # 2 log x
    ("beta.logsf", (1.0, 2.0, 1.0), (0, 0, 0), (-INF, -INF, -INF)),   # log(1 - x²)
    ("expon.cdf", (0.0,), (0, 0, 0), (1.0, -1.0, 1.0)),               # as JAX
    ("expon.cdf", (0.0, 0.0, 2.0), (1,), (-0.5,)),                     # loc
    ("expon.cdf", (0.0, 0.0, 2.0), (2,), (0.0,)),                      # scale
    ("expon.sf", (0.0,), (0, 0, 0), (-1.0, 1.0, -1.0)),
    ("expon.pdf", (0.0,), (0, 0, 0), (-1.0, 1.0, -1.0)),
    ("expon.logpdf", (0.0,), (0, 0, 0), (-1.0, 0.0, 0.0)),
    ("expon.logcdf", (0.0,), (0, 0, 0), (INF, -INF, INF)),
    ("expon.logsf", (0.0,), (0, 0, 0), (-1.0, 0.0, 0.0)),
    ("uniform.cdf", (0.0,), (0, 0), (1.0, 0.0)),                       # as JAX, both ends
    ("uniform.cdf", (1.0,), (0, 0), (1.0, 0.0)),
    ("uniform.cdf", (1.0, 0.0, 1.0), (2,), (-1.0,)),
    ("uniform.sf", (1.0,), (0, 0), (-1.0, 0.0)),
    ("uniform.logpdf", (0.0,), (0, 0), (0.0, 0.0)),
    ("uniform.logpdf", (1.0, 0.0, 1.0), (2,), (-1.0,)),
    ("uniform.logcdf", (1.0,), (0, 0), (1.0, -1.0)),
    ("uniform.logcdf", (0.0,), (0, 0), (INF, -INF)),
    ("uniform.logsf", (0.0,), (0, 0), (-1.0, -1.0)),
    ("uniform.logsf", (1.0,), (0, 0), (-INF, -INF)),
    ("uniform.logsf", (1.0, 0.0, 1.0), (2,), (INF,)),                  # scale moves the end
    # discrete distributions in their continuous parameter at the ends of its range
    ("poisson.logpmf", (0.0, 0.0), (1, 1, 1), (-1.0, 0.0, 0.0)),
    ("poisson.logpmf", (1.0, 0.0), (1, 1, 1), (INF, -INF, INF)),
    ("poisson.pmf", (0.0, 0.0), (1, 1, 1), (-1.0, 1.0, -1.0)),
    ("poisson.pmf", (1.0, 0.0), (1, 1, 1), (1.0, -2.0, 3.0)),          # mu e^-mu
    ("poisson.cdf", (0.0, 0.0), (1, 1, 1), (-1.0, 1.0, -1.0)),
    ("poisson.cdf", (1.0, 0.0), (1, 1, 1), (0.0, -1.0, 2.0)),          # (1 + mu) e^-mu
    ("poisson.sf", (1.0, 0.0), (1, 1, 1), (0.0, 1.0, -2.0)),
    ("poisson.logcdf", (0.0, 0.0), (1, 1, 1), (-1.0, 0.0, 0.0)),
    ("poisson.logsf", (0.0, 0.0), (1, 1, 1), (INF, -INF, INF)),
    ("binom.logpmf", (0.0, 3.0, 0.0), (2, 2, 2), (-3.0, -3.0, -6.0)),
    ("binom.logpmf", (3.0, 3.0, 1.0), (2, 2, 2), (3.0, -3.0, 6.0)),
    ("binom.logpmf", (1.0, 3.0, 0.0), (2, 2, 2), (INF, -INF, INF)),
    ("binom.pmf", (0.0, 3.0, 0.0), (2, 2, 2), (-3.0, 6.0, -6.0)),      # (1 - p)³
    ("binom.pmf", (1.0, 3.0, 0.0), (2, 2, 2), (3.0, -12.0, 18.0)),     # 3p(1 - p)²
    ("binom.pmf", (3.0, 3.0, 1.0), (2, 2, 2), (3.0, 6.0, 6.0)),
    ("binom.cdf", (0.0, 3.0, 0.0), (2, 2, 2), (-3.0, 6.0, -6.0)),
    ("binom.cdf", (1.0, 3.0, 0.0), (2, 2, 2), (0.0, -6.0, 12.0)),
    ("binom.cdf", (2.0, 3.0, 1.0), (2, 2, 2), (-3.0, -6.0, -6.0)),     # 1 - p³
    ("binom.cdf", (0.0, 3.0, 1.0), (2, 2, 2), (0.0, 0.0, -6.0)),
    ("binom.sf", (0.0, 3.0, 0.0), (2, 2, 2), (3.0, -6.0, 6.0)),
    ("binom.sf", (2.0, 3.0, 1.0), (2, 2, 2), (3.0, 6.0, 6.0)),
    ("binom.logcdf", (0.0, 3.0, 0.0), (2, 2, 2), (-3.0, -3.0, -6.0)),
    ("binom.logsf", (2.0, 3.0, 1.0), (2, 2, 2), (3.0, -3.0, 6.0)),
    ("bernoulli.logpmf", (0.0, 0.0), (1, 1, 1), (-1.0, -1.0, -2.0)),
    ("bernoulli.logpmf", (1.0, 1.0), (1, 1, 1), (1.0, -1.0, 2.0)),
    ("bernoulli.pmf", (1.0, 0.0), (1, 1, 1), (1.0, 0.0, 0.0)),
    ("bernoulli.pmf", (0.0, 1.0), (1, 1, 1), (-1.0, 0.0, 0.0)),
    ("bernoulli.cdf", (0.0, 0.0), (1, 1), (-1.0, 0.0)),
]
# fmt: on


@pytest.mark.parametrize("method, args, path, want", SUPPORT_ENDS,
                         ids=[f"{c[0]}{c[1]}#{c[2]}" for c in SUPPORT_ENDS])
def test_derivatives_at_the_ends_of_the_support(method, args, path, want):
    name, m = method.split(".")
    d = getattr(getattr(ws, name), m)
    got = []
    with np.errstate(all="ignore"):
        for argnum in path:
            d = wire.grad(d, argnums=argnum)
            got.append(float(d(*args)))
    for g, w in zip(got, want):
        assert g == w or (math.isfinite(w) and math.isclose(g, w, rel_tol=1e-14, abs_tol=1e-15)), \
            (got, want)
    # the values there are SciPy's
    ref = float(getattr(getattr(st, name), m)(*args))
    assert math.isclose(float(getattr(getattr(ws, name), m)(*args)), ref, rel_tol=1e-14) or (
        ref == float(getattr(getattr(ws, name), m)(*args)))


def test_distributions_import_as_modules_as_in_autograd_and_jax():
    import importlib

    import wire.scipy.stats
    import wire.scipy.stats.multivariate_normal as mvn
    import wire.scipy.stats.norm as norm

    assert norm is wire.scipy.stats.norm and mvn is wire.scipy.stats.multivariate_normal
    for name in wire.scipy.stats.__all__:
        assert importlib.import_module(f"wire.scipy.stats.{name}") is getattr(
            wire.scipy.stats, name)
    assert float(norm.logpdf(0.0)) == pytest.approx(-0.5 * np.log(2 * np.pi))
