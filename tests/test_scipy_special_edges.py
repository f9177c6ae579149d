"""``wire.scipy.special`` and ``wire.scipy.stats`` at the edges of their domains: values and
derivatives where a ratio under- or overflows, in the far tails, at support bounds."""

import numpy as np
import pytest

import wire
from wire.scipy import special as ws
from wire.scipy import stats as wst

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/NaN on purpose


@pytest.mark.parametrize("jit", [False, True])
def test_rel_entr_and_kl_div_derivatives_at_extreme_ratios(jit):
    def d(f, i):
        g = wire.grad(f, argnums=i)
        return wire.jit(g) if jit else g

    for x, y in [(1e-300, 1.0), (1e-200, 1.0), (1e-160, 2.0), (1e-300, 1e300), (1e300, 1e-300),
                 (0.7, 1.0), (3.0, 1e-300)]:
        # rel_entr = x log(x / y): d/dx = log(x / y) + 1, d/dy = -x / y
        lr = np.log(x) - np.log(y)
        np.testing.assert_allclose(d(ws.rel_entr, 0)(x, y), lr + 1.0, rtol=1e-14)
        np.testing.assert_allclose(d(ws.rel_entr, 1)(x, y), -x / y, rtol=1e-14)
        # kl_div = rel_entr - x + y: d/dx = log(x / y), d/dy = 1 - x / y
        np.testing.assert_allclose(d(ws.kl_div, 0)(x, y), lr, rtol=1e-14)
        np.testing.assert_allclose(d(ws.kl_div, 1)(x, y), 1.0 - x / y, rtol=1e-14)


def test_kl_div_value_where_the_ratio_over_or_underflows():
    # SciPy's kl_div gives -inf and inf here (log of a ratio rounded to 0 or inf)
    assert ws.kl_div(1e-300, 1e300) == 1e300
    np.testing.assert_allclose(ws.kl_div(1e300, 1e-300), 1e300 * (1381.5510557964274 - 1.0),
                               rtol=1e-14)
    np.testing.assert_allclose(ws.kl_div(1.0, 5e-324), 744.4400719213812 - 1.0, rtol=1e-14)
    np.testing.assert_allclose(ws.kl_div(np.float32(1e-30), np.float32(1e30)), 1e30, rtol=1e-6)


@pytest.mark.parametrize("df", [1.0, 2.5, 30.0])
@pytest.mark.parametrize("z", [3.0, 1e8, 1e20, 1e154, -1e8, -1e20])
def test_t_cdf_derivatives_in_the_far_tails(df, z):
    # cdf' = pdf and sf' = -pdf; the upper half took betainc at x = (1 + z/s)/2, which
    # rounds to 1 (infinite derivative) while dx/dz rounds to 0: NaN for df = 1 from 1e8 on
    import scipy.stats as sst

    pdf = sst.t.pdf(z, df)
    for jit in (False, True):
        def d(m):
            g = wire.grad(lambda x: getattr(wst.t, m)(x, df))
            return float((wire.jit(g) if jit else g)(z))
        np.testing.assert_allclose(d("cdf"), pdf, rtol=1e-9, atol=1e-300)
        np.testing.assert_allclose(d("sf"), -pdf, rtol=1e-9, atol=1e-300)
        tail = sst.t.sf(abs(z), df)  # the smaller tail, accurate in SciPy
        # where both underflow, the asymptote: the tail ~ C |z|^-df, log-derivative -df/|z|
        dlog = pdf / tail if tail > 0 else df / abs(z)
        if z > 0:
            np.testing.assert_allclose(d("logsf"), -dlog, rtol=1e-9)
        else:
            np.testing.assert_allclose(d("logcdf"), dlog, rtol=1e-9)


def test_t_upper_tail_values():
    # 1 - 3.2e-9 is a double; the cdf rounded it to 1, and sf underflowed from 1e154 on
    assert float(wst.t.cdf(1e8, 1.0)) == pytest.approx(1.0 - 1.0 / (np.pi * 1e8), rel=1e-16)
    np.testing.assert_allclose(wst.t.sf(1e154, 1.0), 1.0 / (np.pi * 1e154), rtol=1e-14)
    np.testing.assert_allclose(wst.t.cdf(-1e154, 1.0), 1.0 / (np.pi * 1e154), rtol=1e-14)


def test_log_probabilities_at_support_edges_have_no_nan_derivative():
    # one of cdf/sf has an infinite derivative at a support edge; log_of's unused branch
    # passed it a zero cotangent, and 0 * inf made the derivative NaN
    g = wire.grad
    assert float(g(lambda z: wst.chi2.logsf(z, 1.0))(0.0)) == -np.inf
    assert float(g(lambda z: wst.beta.logsf(z, 0.5, 0.5))(0.0)) == -np.inf
    assert float(g(lambda z: wst.beta.logcdf(z, 0.5, 0.5))(1.0)) == np.inf
    for a, b in [(0.5, 0.5), (0.5, 2.0)]:
        # near 0: cdf ~ z^a / (a B(a, b)), so logcdf' ~ a / z; sf' = -pdf, logsf' ~ -pdf
        pdf = 1e-300 ** (a - 1.0) / np.exp(float(ws.betaln(a, b)))
        for jit in (False, True):
            def d(m):
                f = g(lambda z: getattr(wst.beta, m)(z, a, b))
                return float((wire.jit(f) if jit else f)(1e-300))
            np.testing.assert_allclose(d("logcdf"), a / 1e-300, rtol=1e-12)
            np.testing.assert_allclose(d("sf"), -pdf, rtol=1e-12)
            np.testing.assert_allclose(d("logsf"), -pdf, rtol=1e-12)


@pytest.mark.parametrize("jit", [False, True])
def test_comb_outside_its_range_is_a_constant_zero(jit):
    # comb is 0 where k > N, k < 0 or N < 0; the binom of the unused branch sat at a pole of
    # its gammas there, and its infinite derivative times the zero cotangent made NaN
    for N, k in [(3.0, 5.0), (3.0, 4.0), (3.0, -1.0), (-1.0, 2.0)]:
        for i in (0, 1):
            g = wire.grad(ws.comb, argnums=i)
            assert float((wire.jit(g) if jit else g)(N, k)) == 0.0
    # inside: 120 (1/8 + 1/9 + 1/10) in N
    np.testing.assert_allclose(wire.grad(ws.comb)(10.0, 3.0), 120 * (1 / 8 + 1 / 9 + 1 / 10),
                               rtol=1e-13)


@pytest.mark.parametrize("jit", [False, True])
def test_beta_derivatives_at_a_pole_of_gamma_of_the_sum(jit):
    # B(a, b) = Γ(a) Γ(b) / Γ(a + b) is 0 where a + b is a non-positive integer, but not flat:
    # d/da = d/db = Γ(a) Γ(b) · (1/Γ)'(a + b), and (1/Γ)'(-n) = (-1)^n n!
    from math import factorial, gamma

    for a, b in [(0.5, -1.5), (-0.5, -1.5), (1.5, -2.5)]:
        n = -int(a + b)
        want = gamma(a) * gamma(b) * (-1) ** n * factorial(n)
        for i in (0, 1):
            g = wire.grad(ws.beta, argnums=i)
            np.testing.assert_allclose((wire.jit(g) if jit else g)(a, b), want, rtol=1e-13)
        assert float(ws.beta(a, b)) == 0.0


def test_betaln_derivative_at_huge_arguments():
    # the large-argument series divided by L**3, which overflowed: inf / inf in the derivative
    for a, b in [(1e300, 1.0), (1e200, 3.0), (1e300, 1e-20)]:
        np.testing.assert_allclose(wire.grad(ws.betaln)(a, b), -b / a, rtol=1e-12)
        np.testing.assert_allclose(wire.grad(ws.betaln, argnums=1)(a, b),
                                   float(ws.digamma(b)) - np.log(a), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_ndtr_is_scipy_s_bits_eagerly_under_jit_and_vmap(dtype):
    """ndtr was 0.5 * erfc(-x / sqrt 2): one ulp from SciPy's (erf near 0, a product by
    sqrt 1/2, double arithmetic for float32) on about half of all inputs."""
    import scipy.special as sp

    rng = np.random.default_rng(7)
    z = np.concatenate([rng.uniform(-40, 10, 4000), rng.uniform(-3, 3, 4000),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 1.0, -1.0]])
    z = z.astype(dtype)
    ref = sp.ndtr(z)
    for f in (ws.ndtr, wire.jit(ws.ndtr), wire.vmap(ws.ndtr)):
        got = np.asarray(f(z))
        assert got.dtype == ref.dtype
        np.testing.assert_array_equal(got.view(np.uint8), ref.view(np.uint8))


def test_ndtr_derivatives_are_the_normal_density():
    pdf = lambda x: np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
    for x in (-40.0, -3.0, -0.5, 0.0, 0.5, 0.7, 3.0, 40.0):
        assert wire.grad(ws.ndtr)(x) == pytest.approx(pdf(x), rel=1e-14, abs=1e-300)
        assert wire.grad(wire.grad(ws.ndtr))(x) == pytest.approx(-x * pdf(x), rel=1e-13, abs=1e-300)
    assert wire.grad(ws.ndtr)(np.inf) == 0.0 and wire.grad(ws.ndtr)(-np.inf) == 0.0


@pytest.mark.parametrize(("name", "x", "lmbda"), [
    ("boxcox", 0.5, np.inf), ("boxcox", 2.0, -np.inf), ("boxcox1p", 0.5, -np.inf),
    ("boxcox1p", 1.0, -np.inf), ("boxcox", 0.0, np.inf)])
def test_boxcox_lambda_derivative_at_infinite_lambda_is_its_limit(name, x, lmbda):
    """Where boxcox(x, ±inf) is finite (x^λ → 0: the value -1/λ → ∓0), its λ-derivative
    (x^λ log x · λ - (x^λ - 1)) / λ² tends to 1/λ² = 0; it was NaN (e^(λ log x) (λ log x - 1)
    = 0 · -inf). Checked against the derivative at λ = ±1e300, where it is 1/λ² = 1e-600 = 0."""
    f = getattr(ws, name)
    assert np.isfinite(f(x, lmbda))
    for g in (wire.grad(f, argnums=1), wire.jit(wire.grad(f, argnums=1))):
        assert g(x, lmbda) == 0.0
        assert g(x, np.copysign(1e300, lmbda)) == 0.0
    assert wire.jvp(lambda lm: f(x, lm), (lmbda,), (1.0,))[1] == 0.0
    assert wire.grad(f, argnums=1)(x, 2.0) != 0.0


# (a, x, Q(a, x)) from mpmath (50 digits); P = 1 - Q. SciPy gives P > 1 in the first rows
# (P(1e-15, 0.5) = 1 + 4e-16), and P = 0 with Q = 0 or < 0 below a = 1e-305.
_TINY_SHAPE = [
    (1e-15, 0.5, 5.597735947761612e-16),
    (1e-17, 0.001, 6.331539364136149e-17),
    (1e-300, 0.5, 5.597735947761608e-301),
    (1e-300, 1e-100, 2.2968129363450303e-298),
    (1e-310, 1.0, 2.1938393439554e-311),
    (1e-310, 0.5, 5.5977359477617e-311),
    (1e-320, 1e-300, 6.901904e-318),
    (5e-324, 1e-300, 3.41e-321),
]


@pytest.mark.parametrize("jit", [False, True])
def test_regularized_gamma_at_a_tiny_shape_is_a_probability(jit):
    a, x, q = (np.array(c) for c in zip(*_TINY_SHAPE))
    lower = wire.jit(ws.gammainc) if jit else ws.gammainc
    upper = wire.jit(ws.gammaincc) if jit else ws.gammaincc
    p_got, q_got = np.asarray(lower(a, x)), np.asarray(upper(a, x))
    assert (p_got <= 1.0).all() and (q_got >= 0.0).all()
    np.testing.assert_array_equal(p_got, 1.0 - q)  # 1 - Q rounded: exact where Q is
    np.testing.assert_allclose(q_got, q, rtol=2e-15, atol=1e-323)
    # the ordinary range keeps SciPy's values, and the edges their conventions
    sps = pytest.importorskip("scipy.special")
    a2, x2 = np.array([1e-8, 0.5, 2.0, 1e-300, 1e-300, 0.0]), np.array([1.0, 0.3, 5.0, 0.0,
                                                                          np.inf, 1.0])
    np.testing.assert_array_equal(lower(a2, x2), sps.gammainc(a2, x2))
    np.testing.assert_array_equal(upper(a2, x2), sps.gammaincc(a2, x2))


# (a, b, x, I_x(a, b)) from mpmath (50 digits). SciPy gives 0 or 1 in the first rows: both
# shapes tiny (I = b / (a + b) to first order) or b tiny alone (I linear in b).
_TINY_BETA = [
    (5e-324, 5e-324, 0.5, 0.5),
    (1e-310, 5e-324, 0.5, 4.9406564584122364e-14),
    (1e-310, 1e-300, 0.5, 0.9999999999),
    (1e-300, 1e-310, 0.5, 9.999999998999969e-11),
    (1e-200, 1e-300, 1 - 1e-16, 1e-100),
    (1e-15, 1e-310, 1e-300, 9.99999999999306e-296),
    (1e-20, 5e-324, 0.999, 4.9406564584124654e-304),
    (1e-8, 1e-310, 0.999, 1.0000000690675445e-302),
    (0.5, 1e-310, 0.5, 1.76274717403906e-310),
    (2.0, 1e-310, 0.5, 1.9314718055996e-311),
    (1e3, 1e-310, 1 - 1e-16, 2.92523297091268e-309),
    # a subnormal x: SciPy is 13% off in the first row, 2e-10 in the last
    (0.5, 2.0, 5e-324, 3.334138124227616e-162),
    (0.5, 7.5, 1e-320, 3.039137613799679e-160),
    (1.0, 2.0, 1e-310, 2e-310),
    (0.5, 1e-8, 5e-324, 4.445517437342198e-170),
    (1e-8, 2.0, 5e-324, 0.9999925656269159),
    # a huge b (mpmath at 700 digits): SciPy is NaN
    (2.0, 1e300, 1e-300, 0.26424111765711539),
    (7.5, 1e300, 1e-300, 2.965497728254617e-5),
]


@pytest.mark.parametrize("jit", [False, True])
def test_regularized_beta_at_a_tiny_shape_is_its_asymptote(jit):
    a, b, x, want = (np.array(c) for c in zip(*_TINY_BETA))
    f = wire.jit(ws.betainc) if jit else ws.betainc
    np.testing.assert_allclose(np.asarray(f(a, b, x)), want, rtol=4e-15, atol=1e-323)
    # float32 in float64: SciPy's float32 loop gives 5.13e-23 (mpmath 5.615088e-23)
    got = f(np.float32(0.5), np.float32(2.0), np.float32(1e-45))
    assert got.dtype == np.float32 and got == np.float32(5.615087941991643e-23)
    # the ordinary range keeps SciPy's values, and the edges their conventions
    sps = pytest.importorskip("scipy.special")
    a2 = np.array([1e-8, 0.5, 2.0, 1e-300, 1e-300, 0.0, 1e-300, 3.0, 1e-310])
    b2 = np.array([1e-8, 0.5, 3.0, 2.0, 1e-300, 1e-300, 0.0, 1e-31, 1.0])
    x2 = np.array([0.3, 0.3, 0.7, 0.5, 0.0, 0.5, 0.5, 1.0, 0.5])
    np.testing.assert_array_equal(f(a2, b2, x2), sps.betainc(a2, b2, x2))


@pytest.mark.parametrize("jit", [False, True])
def test_betainc_density_at_a_huge_shape(jit):
    # ∂I/∂x = x^(a-1) (1-x)^(b-1) / B(a, b); 1/B(2, b) = b (b + 1) and 1/B(1/2, b) ~ √(b/π):
    # log 1/B(a, b) from gammaln(a + b) - gammaln(b) cancelled to 0 at b = 1e300 (3.68e-301)
    d = wire.grad(ws.betainc, argnums=2)
    d = wire.jit(d) if jit else d
    np.testing.assert_allclose(d(2.0, 1e300, 1e-300), 1e300 * np.exp(-1.0), rtol=1e-13)
    np.testing.assert_allclose(d(2.0, 1e20, 1e-20), 1e20 * (1e20 + 1) * 1e-20 * np.exp(
        (1e20 - 1) * np.log1p(-1e-20)), rtol=1e-13)
    assert d(3.0, 1e200, 1e-150) == 0.0  # (1 - x)^b = exp(-1e50)
