"""Values and first to third derivatives of elementwise functions at the edges of their
domains, against mpmath (50 digits, closed forms of the derivatives).

The points are where naive formulas break: signed zeros, tiny (subnormal) and huge
arguments, the infinities, points just inside a domain's limit, and ties of two-argument
functions. Each derivative is taken by nested ``wire.grad`` (and the first also by
``wire.jvp``) and must be within a few ulps of the truth where that is a normal number,
exactly 0/inf/NaN where it is one of those, and 0 (not NaN) where it underflows.
"""

import math

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as sp
import wire.scipy.stats as st
from wire import nn
from oracles import as_float, close_to

mpmath = pytest.importorskip("mpmath")
mp = mpmath.mp

INF = math.inf
ULPS = 8
BIG = mpmath.mpf(10) ** 1000  # stands for inf in the closed forms (every limit is reached)


def _at(x):
    return BIG if x == INF else -BIG if x == -INF else mpmath.mpf(x)


def _wire(f, x, dtype=np.float64):
    """``[f, f', f'', f''', jvp]`` at ``x`` by nested ``wire.grad`` (and ``wire.jvp``)."""
    xx = dtype(x)
    out, g = [], f
    for _ in range(4):
        out.append(np.asarray(g(xx)))
        g = wire.grad(g)
    out.append(np.asarray(wire.jvp(f, (xx,), (dtype(1.0),))[1]))
    return out


def _close(got, want, dtype=np.float64, ulps=ULPS):
    return close_to(got, want, ulps * float(np.finfo(dtype).eps), dtype)


def _check(f, ref, x, dtype=np.float64, orders=(0, 1, 2, 3), ulps=ULPS):
    with mp.workdps(50):
        want = ref(_at(x))
    got = _wire(f, x, dtype)
    bad = []
    for k in orders:
        if not _close(got[k], want[k], dtype, ulps):
            bad.append(f"d{k}: got {float(got[k])!r}, mpmath {as_float(want[k])!r}")
    if 1 in orders and not _close(got[4], want[1], dtype, ulps):
        bad.append(f"jvp: got {float(got[4])!r}, mpmath {as_float(want[1])!r}")
    for k, v in enumerate(got):
        assert v.dtype == dtype, (k, v.dtype)
    assert not bad, f"at x = {x!r}: " + "; ".join(bad)


# --------------------------------------------------------------------------- closed forms
# each takes an mpf and returns [f, f', f'', f'''] (in the exact forms, with expm1 where a
# difference of nearby values would cancel at 50 digits)

def _tanh(x):
    t = mpmath.tanh(x)
    s = 1 / mpmath.cosh(x) ** 2
    return [t, s, -2 * t * s, -2 * s * s + 4 * t * t * s]


def _arctan(x):
    u = 1 + x * x
    return [mpmath.atan(x), 1 / u, -2 * x / u ** 2, (6 * x * x - 2) / u ** 3]


def _expit(x):
    e, em1 = mpmath.exp(-x), mpmath.expm1(-x)
    return [1 / (1 + e), e / (1 + e) ** 2, e * em1 / (1 + e) ** 3,
            e * (1 - 4 * e + e * e) / (1 + e) ** 4]


def _log_expit(x):
    e, em1 = mpmath.exp(-x), mpmath.expm1(-x)
    return [-mpmath.log1p(e), e / (1 + e), -e / (1 + e) ** 2, -e * em1 / (1 + e) ** 3]


def _softplus(x):
    e, em1 = mpmath.exp(x), mpmath.expm1(x)
    return [mpmath.log1p(e), e / (1 + e), e / (1 + e) ** 2, -e * em1 / (1 + e) ** 3]


def _silu(x):
    s, d1, d2, d3 = _expit(x)
    return [x * s, s + x * d1, 2 * d1 + x * d2, 3 * d2 + x * d3]


def _erf(x):
    d1 = 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x)
    return [mpmath.erf(x) if abs(x) < 10 ** 6 else mpmath.sign(x), d1, -2 * x * d1,
            (4 * x * x - 2) * d1]


def _erfc(x):
    v = _erf(x)
    return [1 - v[0] if x < 6 else mpmath.erfc(x) if x < 10 ** 6 else mpmath.mpf(0)] + \
        [-d for d in v[1:]]


def _ndtr(x):
    phi = mpmath.npdf(x)
    v = mpmath.ncdf(x) if abs(x) < 10 ** 6 else (1 if x > 0 else 0)
    return [v, phi, -x * phi, (x * x - 1) * phi]


def _log_ndtr(x):
    if x == -BIG:  # the limits: x + q is 1/|x| of x, below any working precision at 1e1000
        return [-BIG, BIG, mpmath.mpf(-1), mpmath.mpf(0)]
    with mp.workdps(120):  # q = φ/Φ: x + q and 1 - q (x + q) cancel 2 log10|x| digits each
        if x < -10 ** 6:  # asymptotic series, differentiated termwise (exact far below ulps)
            c = [-1, 2, -10, 74, -706]  # q = -x + sum c_k x^-(2k+1)
            q = -x + sum(ck * x ** -(2 * k + 1) for k, ck in enumerate(c))
            d2 = -1 - sum((2 * k + 1) * ck * x ** -(2 * k + 2) for k, ck in enumerate(c))
            d3 = sum((2 * k + 1) * (2 * k + 2) * ck * x ** -(2 * k + 3) for k, ck in enumerate(c))
            u = 1 / (x * x)
            v = -x * x / 2 - mpmath.log(-x) - mpmath.log(2 * mpmath.pi) / 2 + mpmath.log1p(
                u * (-1 + u * (3 + u * (-15 + u * 105))))
            return [+v, +q, +d2, +d3]
        v = mpmath.log(mpmath.ncdf(x))
        q = mpmath.npdf(x) / mpmath.ncdf(x)
        s = x + q
        d2 = -q * s
        return [+v, +q, +d2, -d2 * s - q * (1 + d2)]


def _erfcx(x):
    with mp.workdps(120):  # each order cancels about 2 log10(x) digits at large x
        v = mpmath.exp(x * x) * mpmath.erfc(x)
        d1 = 2 * x * v - 2 / mpmath.sqrt(mpmath.pi)
        d2 = 2 * v + 2 * x * d1
        d3 = 4 * d1 + 2 * x * d2
        return [+v, +d1, +d2, +d3]


def _xlogx(x):
    return [x * mpmath.log(x), mpmath.log(x) + 1, 1 / x, -1 / x ** 2]


def _entr(x):
    return [-v for v in _xlogx(x)]


def _spence(x):
    lg = mpmath.log(x)
    return [mpmath.polylog(2, 1 - x), lg / (1 - x), 1 / (x * (1 - x)) + lg / (1 - x) ** 2,
            -(1 - 2 * x) / (x * (1 - x)) ** 2 + 1 / (x * (1 - x) ** 2) + 2 * lg / (1 - x) ** 3]


def _expi(x):
    e = mpmath.exp(x)
    return [mpmath.ei(x), e / x, e * (x - 1) / x ** 2, e * (x * x - 2 * x + 2) / x ** 3]


def _expn2(x):
    e = mpmath.exp(-x)
    return [mpmath.expint(2, x), -mpmath.e1(x), e / x, -e * (x + 1) / x ** 2]


def _erfinv(x):
    y = mpmath.erfinv(x)
    d1 = mpmath.sqrt(mpmath.pi) / 2 * mpmath.exp(y * y)
    return [y, d1, 2 * y * d1 ** 2, (2 * d1 + 8 * y * y * d1) * d1 ** 2]


def _arctanh(x):
    u = (1 - x) * (1 + x)
    return [mpmath.atanh(x), 1 / u, 2 * x / u ** 2, (2 + 6 * x * x) / u ** 3]


EDGES = [0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-120, 0.5, 3.0, 30.0, -30.0, 700.0, -700.0,
         1e200, -1e200, INF, -INF]
POSITIVE_EDGES = [5e-324, 1e-300, 1e-120, 0.5, 3.0, 30.0, 700.0]

CASES = {
    "tanh": (wnp.tanh, _tanh, EDGES),
    "nn.tanh": (nn.tanh, _tanh, [30.0, -30.0, 3.0]),
    "arctan": (wnp.arctan, _arctan, EDGES + [1e100, -1e100, 2.0]),
    "arctanh": (wnp.arctanh, _arctanh, [0.0, 1e-300, 0.5, 1 - 1e-16, -(1 - 1e-16)]),
    "expit": (sp.expit, _expit, EDGES),
    "sigmoid": (nn.sigmoid, _expit, EDGES),
    "log_expit": (sp.log_expit, _log_expit, EDGES),
    "log_sigmoid": (nn.log_sigmoid, _log_expit, EDGES),
    "softplus": (nn.softplus, _softplus, EDGES),
    "logaddexp(x, 0)": (lambda x: wnp.logaddexp(x, 0.0), _softplus, EDGES),
    "silu": (nn.silu, _silu, [p for p in EDGES if p != -INF]),
    "erf": (sp.erf, _erf, EDGES + [1e3, -1e3]),
    "erfc": (sp.erfc, _erfc, EDGES + [1e3, -1e3]),
    "ndtr": (sp.ndtr, _ndtr, EDGES + [1e3, -1e3]),
    "log_ndtr": (sp.log_ndtr, _log_ndtr, [0.0, -1.0, -4.0, -5.0, -10.0, -20.0, -30.0,
                                          -31.0, -40.0, -1e3, -1e10, -1e20, -1e200, -INF,
                                          2.0, 40.0]),
    "erfcx": (sp.erfcx, _erfcx, [0.0, 1e-300, 0.5, 2.5, 3.0, 5.0, 9.0, 9.99, 11.0, 30.0, -3.0,
                                -30.0, 1e3]),
    "erfinv": (sp.erfinv, _erfinv, [0.0, -0.0, 1e-300, 5e-324, 0.5]),
    "xlogy(x, x)": (lambda x: sp.xlogy(x, x), _xlogx, [0.5, 3.0, 1e200]),
    "entr": (sp.entr, _entr, [1e-120, 1e-300, 5e-324, 0.5, 3.0, 1e200]),
    "spence": (sp.spence, _spence, [0.5, 2.0, 3.0, 30.0]),
    "expi": (sp.expi, _expi, [5e-324, -5e-324, 1e-300, 0.5, 3.0, 30.0, -3.0, -30.0, 700.0]),
    "expn(2, x)": (lambda x: sp.expn(2, x), _expn2, [1e-300, 0.5, 3.0, 30.0, 700.0, INF]),
}


# exp(-x²) of a rounded x²/2 (ndtr keeps SciPy's bits, erfc of a rounded x/√2): the
# condition number x² bounds the error, not the formula
CONDITIONED = {"ndtr"}


_TANH_TAIL = ("tanh' is 1 - tanh(x)², a polynomial in the output (textbook formulas, "
              "checkpointing of the output only, scalar code): it cancels in the tails, 0 at "
              "30 where the truth is 3.5e-26, and 10 ulps off at 3")
_ARCTAN_INF = ("arctan'' = -2x/(1 + x²)² is inf/inf at ±inf and underflows early at 1e100; "
               "the forms that avoid it compare (select, maximum), which costs float64 graphs "
               "their scalar code")
_ERFCX_MID = ("erfcx' = 2x erfcx - 2/√π cancels below 10, where the asymptotic series "
              "takes over: 5e-11 relative in the third derivative at 9")
# (nn.tanh's derivative is sech(x)**2 in a form that does not cancel: it passes)
KNOWN = {("tanh", 3.0): _TANH_TAIL, ("tanh", 30.0): _TANH_TAIL, ("tanh", -30.0): _TANH_TAIL,
         ("arctan", INF): _ARCTAN_INF,
         ("arctan", -INF): _ARCTAN_INF, ("arctan", 1e100): _ARCTAN_INF,
         ("arctan", -1e100): _ARCTAN_INF,
         ("expi", 5e-324): "expi''(5e-324) is e^x/x - e^x/x² = inf - inf (NaN)"}


def _params(cases, known):
    return [pytest.param(n, x, marks=pytest.mark.xfail(strict=True, reason=known[n, x]))
            if (n, x) in known else (n, x) for n, (_, _, pts) in cases.items() for x in pts]


@pytest.mark.parametrize("name,x", _params(CASES, KNOWN))
def test_value_and_three_derivatives_agree_with_mpmath(name, x):
    f, ref, _ = CASES[name]
    ulps = ULPS
    if name in CONDITIONED and math.isfinite(x):
        ulps = ULPS * (1.0 + x * x)
    _check(f, ref, x, ulps=ulps)


@pytest.mark.parametrize("x", [1 - 1e-16, -(1 - 1e-16)])
def test_erfinv_just_inside_its_domain(x):
    # erfinv' = sqrt(pi)/2 exp(y²) with y = erfinv(x) ≈ 5.8: an ulp of y is 2y² ≈ 67 ulps of
    # the derivative, so the bound is the conditioning, not the formula
    _check(sp.erfinv, _erfinv, x, ulps=160)


@pytest.mark.parametrize("x", [1 - 1e-16, -(1 - 1e-16)])
def test_arctanh_just_inside_its_domain(x):
    _check(wnp.arctanh, _arctanh, x)


# --------------------------------------------------------------------------- named regressions

@pytest.mark.xfail(strict=True, reason=_TANH_TAIL)
def test_tanh_derivative_in_the_tail_is_not_zero():
    # 1 - tanh(30)² is 0 in float64; the truth is 4e^-60/(1 + e^-60)²
    want = pytest.approx(3.502604305078608e-26, rel=1e-15, abs=0.0)
    assert float(wire.grad(wnp.tanh)(30.0)) == want
    assert float(wire.taylor(wnp.tanh, 1)(30.0)[1]) == want


@pytest.mark.xfail(strict=True, reason=_ARCTAN_INF)
@pytest.mark.parametrize("x", [INF, -INF])
def test_arctan_second_and_third_derivatives_at_infinity_are_zero(x):
    g2 = wire.grad(wire.grad(wnp.arctan))
    assert float(g2(x)) == 0.0
    assert float(wire.grad(g2)(x)) == 0.0


def test_spence_derivatives_at_zero_are_the_limits():
    d = _wire(sp.spence, 0.0)
    assert [float(v) for v in d[1:4]] == [-INF, INF, -INF]


@pytest.mark.xfail(strict=True, reason="e^x/x - e^x/x² is inf - inf at 5e-324; the form "
                   "1/(x e^-x) regroups to inf - inf too (at -5e-324 in the third order)")
def test_expi_second_derivative_at_the_smallest_subnormal():
    assert float(wire.grad(wire.grad(sp.expi))(5e-324)) == -INF


@pytest.mark.parametrize("x,want", [(INF, INF), (-INF, 0.0)])
def test_expi_derivatives_at_infinity_are_the_limits(x, want):
    # e^x / x was inf / inf at inf (NaN)
    d = _wire(sp.expi, x)
    assert [abs(float(v)) for v in d[1:]] == [want] * 4


def test_expi_derivatives_past_the_overflow_of_exp():
    # e^x / x overflowed in e^x: expi'(712) was inf (and NaN after), the truth 2.3e306;
    # the value is SciPy's inf there
    _check(sp.expi, _expi, 712.0, orders=(1, 2, 3))


def test_expn_third_derivative_at_infinity_is_zero():
    g3 = wire.grad(wire.grad(wire.grad(lambda x: sp.expn(2, x))))
    assert float(g3(INF)) == 0.0


@pytest.mark.xfail(strict=True, reason="the product rule gives x * (2/x³) - 3/x², inf - 3e240 "
                   "at 1e-120; needs a simplifier rule folding x * (1/x)**k (graph rewrites)")
def test_third_derivative_of_x_log_x_at_tiny_x():
    g3 = wire.grad(wire.grad(wire.grad(lambda x: x * wnp.log(x))))
    assert float(g3(1e-120)) == pytest.approx(-1e240, rel=1e-15, abs=0.0)


def test_third_derivative_of_xlogy_x_x_at_tiny_x():
    # xlogy's y-partial is x / y taken whole, so y = x gives x / x = 1, not x * (1/x)
    g3 = wire.grad(wire.grad(wire.grad(lambda x: sp.xlogy(x, x))))
    assert float(g3(1e-120)) == pytest.approx(-1e240, rel=1e-15, abs=0.0)


def test_xlogy_and_xlog1py_partials_at_x_zero():
    # where log y is finite, the smooth function's partials; where it is not (y = 0), the
    # documented held convention (docs/numpy.md): 0, where JAX gives log y = -inf
    assert float(wire.grad(sp.xlogy, 0)(0.0, 0.0)) == 0.0
    assert float(wire.grad(sp.entr)(0.0)) == 0.0
    assert float(wire.grad(sp.xlogy, 1)(0.0, 1.0)) == 0.0
    assert float(wire.grad(sp.xlog1py, 1)(0.0, 1.0)) == 0.0
    assert float(wire.grad(sp.xlogy, 0)(0.0, 2.0)) == pytest.approx(math.log(2.0), rel=1e-15,
                                                                    abs=0.0)


@pytest.mark.parametrize("fn", [sp.entr, sp.rel_entr, sp.kl_div], ids=["entr", "rel_entr",
                                                                       "kl_div"])
def test_derivatives_at_nan_are_nan_to_third_order(fn):
    # a held NaN s * s had the second derivative 2 (entr''(NaN) was 2.0)
    f = fn if fn is sp.entr else (lambda x: fn(x, 2.0))
    assert all(math.isnan(float(v)) for v in _wire(f, math.nan))


def test_log_ndtr_third_derivative_in_the_lower_tail():
    g3 = wire.grad(wire.grad(wire.grad(sp.log_ndtr)))
    # -2/x³ + 24/x⁵ - …; the chain rule through log(erfc) gave -5.4e4
    assert float(g3(-30.0)) == pytest.approx(7.3099930157844385e-05, rel=1e-14, abs=0.0)


@pytest.mark.parametrize("x", [1e-300, 1e-10])
def test_gamma_pdf_derivatives_near_zero(x):
    # x e^-x: (x - k) e^-x is the k-th derivative; exp of the summed logs gave NaN for the
    # second at 1e-300 (inf - inf) and the value 78 ulps off (exp of a log near -690)
    d = [float(v) for v in _wire(lambda t: st.gamma.pdf(t, 2.0), x)[:4]]
    e = math.exp(-x)
    want = [x * e, (1.0 - x) * e, (x - 2.0) * e, (3.0 - x) * e]
    assert d == pytest.approx(want, rel=4e-16, abs=0.0)


@pytest.mark.parametrize("x", [1e-300, 1e-10])
def test_beta_cdf_third_derivative_near_zero(x):
    # the density 12 x (1-x)²: its second derivative 12 (6x - 4) was NaN at 1e-300 (the
    # summed logs' Taylor arithmetic) and 2e-10 relative off at 1e-10
    g3 = wire.grad(wire.grad(wire.grad(lambda t: st.beta.cdf(t, 2.0, 3.0))))
    assert float(g3(x)) == pytest.approx(12.0 * (6.0 * x - 4.0), rel=1e-15, abs=0.0)


@pytest.mark.parametrize("a", [1.0, 2.0, 3.0])
def test_gamma_pdf_and_cdf_at_zero(a):
    # the one-sided derivatives at 0 of x^(a-1) e^-x / Γ(a) and its integral
    pdf = [float(v) for v in _wire(lambda x: st.gamma.pdf(x, a), 0.0)[:4]]
    cdf = [float(v) for v in _wire(lambda x: st.gamma.cdf(x, a), 0.0)[:4]]
    want = {1.0: [1.0, -1.0, 1.0, -1.0], 2.0: [0.0, 1.0, -2.0, 3.0], 3.0: [0.0, 0.0, 1.0, -3.0]}
    assert pdf == want[a]
    assert cdf == [0.0] + want[a][:3]


# --------------------------------------------------------------------------- ties

@pytest.mark.parametrize("fn", [wnp.maximum, wnp.minimum, wnp.logaddexp])
def test_ties_split_the_gradient_in_halves(fn):
    gx, gy = wire.grad(fn, (0, 1))(1.0, 1.0)
    assert (float(gx), float(gy)) == (0.5, 0.5)


def test_logaddexp_at_a_tie_to_third_order():
    # logaddexp(x, c) at x = c: 1/2, 1/4, 0 (the logistic's), and 1 along the diagonal
    f = lambda x: wnp.logaddexp(x, 1.0)
    d = [float(v) for v in _wire(f, 1.0)[1:4]]
    assert d == [0.5, 0.25, 0.0]
    assert [float(v) for v in _wire(lambda x: wnp.logaddexp(x, x), 1.0)[1:4]] == [1.0, 0.0, 0.0]
    inf_tie = wire.grad(wnp.logaddexp, (0, 1))(INF, INF)
    assert (float(inf_tie[0]), float(inf_tie[1])) == (0.5, 0.5)


@pytest.mark.parametrize("x,want", [(1.0, 0.5), (2.0, 0.5), (1.5, 1.0), (0.5, 0.0)])
def test_clip_at_its_bounds_follows_jax(x, want):
    # jnp.clip is minimum(maximum(x, lo), hi): a tie with a bound gives half
    assert float(wire.grad(lambda v: wnp.clip(v, 1.0, 2.0))(x)) == want


# --------------------------------------------------------------------------- float32

F32_CASES = {
    "tanh": (wnp.tanh, _tanh, [0.0, 1e-30, 0.5, 3.0, 9.0, 30.0, -30.0, INF]),
    "arctan": (wnp.arctan, _arctan, [0.0, 1e-30, 3.0, 1e20, INF, -INF]),
    "expit": (sp.expit, _expit, [0.0, 1e-30, 3.0, 30.0, -30.0, 80.0, -80.0, INF]),
    "log_sigmoid": (nn.log_sigmoid, _log_expit, [0.0, 1e-30, 3.0, 30.0, -30.0, 80.0, INF]),
    "softplus": (nn.softplus, _softplus, [0.0, 1e-30, 3.0, 30.0, -30.0, 80.0, -80.0]),
}


F32_KNOWN = {("tanh", x): _TANH_TAIL for x in (3.0, 9.0, 30.0, -30.0)}
F32_KNOWN.update({("arctan", INF): _ARCTAN_INF, ("arctan", -INF): _ARCTAN_INF})


@pytest.mark.parametrize("name,x", _params(F32_CASES, F32_KNOWN))
def test_float32_keeps_float32_and_does_not_overflow(name, x):
    f, ref, _ = F32_CASES[name]
    _check(f, ref, x, dtype=np.float32)
