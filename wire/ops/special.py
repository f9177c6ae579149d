"""Special-function primitives: ``gammaln``, ``digamma``, ``polygamma``, ``erf``, ``erfc``,
``erfinv``, ``ndtri``.

Implementations use SciPy when it is installed and fall back to NumPy-only code otherwise
(``math.lgamma``/``math.erf`` vectorized, a recurrence plus asymptotic series for the
polygamma family, Newton steps for ``erfinv`` and ``ndtri``). A primitive's value has the
dtype of its (float) input. Each derivative is another member of the
family, so every order is available: ``gammaln' = digamma``, ``digamma' = polygamma(1)``,
``polygamma(n)' = polygamma(n + 1)``.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..core.primitive import (
    POSITIVE,
    REALS,
    Primitive,
    elementwise_sampler,
    elementwise_shape,
    float_dtype,
    uniform_in,
)
from ..core import bind
from ..core.formula import call
from ..core.taylor import BY_JVP
from . import series as ts_
from .batching import elementwise_batch
from .elementwise import abs_, exp, gt, select
from .layout import zeros_like_
from .optional import module as _optional_module

P = _optional_module("numpy.polynomial.polynomial")  # (polygamma's reflection only)

_sp = _optional_module("scipy.special")  # SciPy is optional: faster and more accurate near poles

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
# Bernoulli numbers B_2k, k = 1..8, for the asymptotic polygamma series
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _float(x):
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _np_polygamma(n: int, x):
    """ψ⁽ⁿ⁾(x) with NumPy only: shift x above 20 by recurrence, then the asymptotic series."""
    x = _float(x)
    dt = x.dtype
    x = x.astype(np.float64)
    if n == 0:
        # reflection for x < 0.5: ψ(x) = ψ(1 - x) - π cot(π x)
        refl = x < 0.5
        xr = np.where(refl, 1.0 - x, x)
        out = _np_polygamma_pos(0, xr)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(refl, out - np.pi / np.tan(np.pi * x), out)
        out = np.where((x <= 0) & (x == np.floor(x)), np.nan, out)
        return out.astype(dt)
    return _np_polygamma_pos(n, x).astype(dt)


def _np_polygamma_pos(n, x):
    acc = np.zeros_like(x)
    sign = (-1.0) ** (n + 1)
    fact = math.factorial(n)
    y = x.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(20):
            small = y < 20.0
            if not small.any():
                break
            term = 1.0 / y**n if n == 0 else sign * fact / y ** (n + 1)
            acc = acc + np.where(small, -1.0 / y if n == 0 else term, 0.0)
            y = np.where(small, y + 1.0, y)
        if n == 0:
            series = np.log(y) - 0.5 / y
            for k, b in enumerate(_B2K, start=1):
                series = series - b / (2 * k * y ** (2 * k))
        else:
            series = math.factorial(n - 1) / y**n + fact / (2 * y ** (n + 1))
            for k, b in enumerate(_B2K, start=1):
                series = series + b * math.factorial(2 * k + n - 1) / (
                    math.factorial(2 * k) * y ** (2 * k + n))
            series = sign * series
    return acc + series


def _same_dtype(fn):
    """``fn``'s result in its input's float dtype (SciPy computes float16 in float32/64)."""

    def impl(x, **params):
        out = fn(x, **params)
        dt = _float(x).dtype
        return out.astype(dt, copy=False) if np.asarray(out).dtype != dt else out

    impl.__name__ = fn.__name__
    return impl


def _gammaln(x):
    if _sp is not None:
        out = _sp.gammaln(x)
        # SciPy's lnΓ is inf at subnormal x (gammaln(1e-310), true 713.8): there
        # lnΓ(x) = -ln|x| - γx + O(x²) is -ln|x| exactly in double precision
        tiny = np.abs(x) < 1e-300
        if np.any(tiny):
            with np.errstate(divide="ignore"):
                out = np.where(tiny & (x != 0), -np.log(np.abs(x)), out)
            out = out.astype(_float(x).dtype, copy=False)
    else:
        x = _float(x)
        out = np.vectorize(math.lgamma, otypes=[x.dtype])(x)
    return _lngamma_near_zeros(x, out)


# lnΓ(1 + e) = -γ e + Σ_{k>=2} (-1)^k ζ(k) e^k / k and lnΓ(2 + e) = (1 - γ) e +
# Σ_{k>=2} (-1)^k (ζ(k) - 1) e^k / k: the coefficients of e, e², … (mpmath, 40 digits; the
# first term left out is below 1e-17 of the value for |e| < _NEAR_ZEROS)
LNGAMMA_AT_1 = (
    -0.5772156649015329, 0.8224670334241132, -0.40068563438653143, 0.27058080842778454,
    -0.20738555102867398, 0.1695571769974082, -0.1440498967688461, 0.12550966952474304,
    -0.11133426586956469, 0.1000994575127818, -0.09095401714582904, 0.083353840546109,
    -0.0769325164113522, 0.07143294629536133, -0.06666870588242046, 0.06250095514121304,
    -0.058823978658684585, 0.055555767627403614, -0.05263167937961666, 0.05000004769810169,
    -0.047619070330142226, 0.04545455629320467, -0.04347826605304026, 0.04166666915034121,
    -0.04000000119214014, 0.03846153903467518, -0.037037037312989324, 0.035714285847333355,
    -0.034482758684919304, 0.03333333336437758)
LNGAMMA_AT_2 = (
    0.42278433509846713, 0.3224670334241132, -0.0673523010531981, 0.020580808427784546,
    -0.007385551028673986, 0.0028905103307415234, -0.001192753911703261,
    0.0005096695247430425, -0.00022315475845357939, 9.945751278180853e-05,
    -4.492623673813314e-05, 2.050721277567069e-05, -9.439488275268397e-06,
    4.374866789907488e-06, -2.039215753801366e-06, 9.55141213040742e-07,
    -4.492469198764566e-07, 2.1207184805554665e-07, -1.0043224823968099e-07,
    4.7698101693639804e-08, -2.2711094608943164e-08, 1.0838659214896955e-08,
    -5.183475041970047e-09, 2.4836745438024785e-09)
_NEAR_ZEROS = 0.3


def _lngamma_near_zeros(x, out):
    """``out`` (lnΓ of ``x``) with lnΓ's Taylor series at 1 and 2, its zeros, where ``x`` is
    within 0.3 of them: SciPy's (Cephes') lgam loses relative accuracy there, as any
    ``log`` of a value near 1 does (584 ulps off mpmath at 0.99625, 425 at 1.9925, 16–25 at
    0.85 and 1.8; ``betaln(0.999999, 1)`` was 1.6e-10 off). ``x - 1`` and ``x - 2`` are exact
    there (Sterbenz)."""
    x64 = np.asarray(x, dtype=np.float64)
    near1 = np.abs(x64 - 1.0) < _NEAR_ZEROS
    near2 = np.abs(x64 - 2.0) < _NEAR_ZEROS
    if not (near1.any() or near2.any()):
        return out
    series = np.zeros_like(x64)
    for near, centre, coefs in ((near1, 1.0, LNGAMMA_AT_1), (near2, 2.0, LNGAMMA_AT_2)):
        if near.any():
            e = np.where(near, x64 - centre, 0.0)
            p = np.zeros_like(e)
            for c in reversed(coefs):
                p = p * e + c
            series = np.where(near, p * e + 0.0, series)  # (+ 0.0: lnΓ(1) is +0.0)
    dtype = np.asarray(out).dtype
    return np.where(near1 | near2, series, out).astype(dtype, copy=False)


@functools.lru_cache(maxsize=None)
def _cot_derivative_poly(n: int):
    """Coefficients (lowest first) of ``P_n`` with ``dⁿ/dθⁿ cot θ = P_n(cot θ)``:
    ``P_0 = c``, ``P_{k+1} = -(1 + c²) P_k'``."""
    poly = np.array([0.0, 1.0])
    for _ in range(n):
        poly = -P.polymul([1.0, 0.0, 1.0], P.polyder(poly))
    return tuple(poly)


def _reflected_polygamma(n: int, x):
    """``ψ⁽ⁿ⁾(x) = (-1)ⁿ ψ⁽ⁿ⁾(1 - x) - π^(n+1) P_n(cot πx)`` for ``x < -1`` (``n >= 1``; ψ
    itself for ``x < -1/2``), with
    ``cot πx`` taken at the exact distance ``x - round(x)``: SciPy's reflection rounds ``πx``
    (``polygamma(2, -100000.5)`` is off by 4e-6 relative and ``polygamma(4, -100000.5)`` by
    8e5; their cotangent terms are 0)."""
    r = x - np.round(x)  # exact, in [-1/2, 1/2]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # cot(πr) = ±tan(π(1/2 - |r|)) near the half-integers (exactly 0 there; tan(π/2)
        # is finite in floating point), 1/tan(πr) nearer the integers
        far = np.abs(r) > 0.25
        c = np.where(far, np.sign(r) * np.tan(np.pi * (0.5 - np.abs(r))), 1.0 / np.tan(np.pi * r))
        return ((-1.0) ** n * _sp.polygamma(n, 1.0 - x)
                - np.pi ** (n + 1) * P.polyval(c, _cot_derivative_poly(n)))


def _polygamma(x, *, n):
    if _sp is not None:
        out = _sp.polygamma(n, x).astype(_float(x).dtype) if n else _sp.digamma(x)
        xa = np.asarray(x)
        # below -1 (SciPy's own is exact enough nearer 0, where tan(πx) can underflow); ψ
        # itself below -1/2 (SciPy's digamma(-1 + 1e-9) is 1e-7 off, digamma(-2 + 1e-9)
        # 9e-9: its reflection's tan(πx) of the rounded πx)
        if np.size(xa) and xa.dtype.kind == "f":
            neg = (xa < (-1.0 if n else -0.5)) & np.isfinite(xa) & (xa != np.floor(xa))
            if neg.any():
                xf = xa.astype(np.float64)
                refl = _reflected_polygamma(n, np.where(neg, xf, -0.5))
                out = np.where(neg, refl, out).astype(out.dtype, copy=False)
    else:
        out = _np_polygamma(n, x)
    return _at_poles(x, n, out) if n else out


def _at_poles(x, n, out):
    """ψ⁽ⁿ⁾ (n >= 1) at its poles 0, -1, -2, …, where ψ⁽ⁿ⁾(x) ~ (-1)^(n+1) n! / (x + m)^(n+1):
    +inf from both sides for odd n; for even n the two sides differ (NaN, as SciPy's digamma
    at the negative integers), except at ±0.0, whose sign picks the side (as SciPy's
    digamma(±0.0) = ∓inf). SciPy gives (-1)^(n+1) inf at every pole, whatever the side, which
    made d³/dx³ gammaln(-1) -inf instead of undefined."""
    x = np.asarray(x)
    pole = (x <= 0) & (x == np.floor(x))
    if n % 2 or not pole.any():
        return out
    side = np.where(np.signbit(x), np.inf, -np.inf)  # the limit from the side of ±0.0
    return np.where(pole, np.where(x == 0, side, np.nan), out).astype(out.dtype, copy=False)


def _erf(x):
    if _sp is not None:
        return _sp.erf(x)
    x = _float(x)
    return np.vectorize(math.erf, otypes=[x.dtype])(x)


def _erfc(x):
    if _sp is not None:
        return _sp.erfc(x)
    x = _float(x)
    return np.vectorize(math.erfc, otypes=[x.dtype])(x)


def _erfinv(y):
    if _sp is not None:
        return _sp.erfinv(y)
    y = _float(y)
    # Giles' single-precision start, then Newton steps on erf(x) - y
    w = -np.log((1.0 - y) * (1.0 + y))
    x = np.where(w < 5.0, y * (1.5 + 0.25 * (w - 2.5)), y * (3.0 + 0.1 * (np.sqrt(w) - 3.0)))
    for _ in range(6):
        x = x - (_erf(x) - y) / (2.0 / _SQRT_PI * np.exp(-x * x))
    return x


def _ndtri(p):
    if _sp is not None:
        return _sp.ndtri(p)
    p = _float(p)
    q = np.minimum(p, 1.0 - p)  # solve in the lower tail, where Phi is accurate
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.sqrt(-2.0 * np.log(q))
        # Abramowitz & Stegun 26.2.23 (error < 4.5e-4), then Newton on Phi(x) - q
        x = -(t - (2.515517 + t * (0.802853 + t * 0.010328))
              / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))))
        for _ in range(4):
            cdf = 0.5 * _erfc(-x / math.sqrt(2.0))
            x = x - (cdf - q) * math.sqrt(2.0 * math.pi) * np.exp(0.5 * x * x)
    x = np.where(q == 0, -np.inf, x)
    x = np.where(p > 0.5, -x, x)
    return np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, x)


def unary(name, fn, deriv, *, domain=REALS, doc="", sympy=None, taylor=BY_JVP):
    """A smooth elementwise special function from its derivative ``deriv(x, out)``; ``sympy``
    names SymPy's function of the same meaning (or is a rule, see ``wire.core.formula``);
    ``taylor`` its Taylor rule (by default derived from ``deriv``, see ``wire.core.taylor``)."""
    prim = Primitive(
        name,
        _same_dtype(fn),
        elementwise_shape(name, float_dtype),
        dtype=float_dtype,
        vjp=lambda ct, out, x: (ct * deriv(x, out),),
        jvp=lambda ts, out, x: ts[0] * deriv(x, out),
        batch=elementwise_batch(lambda: prim),
        sample=elementwise_sampler([domain]),
        doc=doc,
        sympy=call(sympy) if isinstance(sympy, str) else sympy,
        taylor=taylor,
    )
    return prim


# beyond it exp(-x²) and x**n exp(-x²), every derivative of erf, underflow to 0 in float64
_GAUSS_ZERO = 40.0


def _finite_or_zero(x):
    """``(x with 0 where |x| > 40, that mask)``: there erf's derivative ``exp(-x²)`` and every
    later one is 0; computed from ``x = ±inf`` (or ``x² = inf``) they would be
    ``-2x · 0 = nan``."""
    far = gt(abs_(x), _GAUSS_ZERO)
    return select(far, zeros_like_(x), x), far


def _gauss(scale):
    """``scale · exp(-x²)``, 0 far out with every derivative (see :func:`_finite_or_zero`)."""

    def deriv(x, out):
        xs, inf = _finite_or_zero(x)
        g = scale * exp(-(xs * xs))
        return select(inf, zeros_like_(g), g)

    return deriv


def _erf_taylor(scale):
    """``y' = scale · exp(-x²) · x'``: the series of ``-x²``, then of its exp (O(n²)); 0 far
    out."""

    def rule(series, out, x):
        a = [x] + list(series[0])
        xs, inf = _finite_or_zero(x)
        sq = ts_.square([xs] + a[1:-1], None)
        u = [-(xs * xs)] + [ts_.scaled(c, -1) for c in sq[1:]]
        e = [None if c is None else select(inf, zeros_like_(c), c)
             for c in ts_.exp(u, exp(u[0]))]
        return ts_.result(ts_.integrate(a, lambda y, m: ts_.scaled(e[m], scale), out))

    return rule


# fmt: off
gammaln_p = unary("gammaln", _gammaln, lambda x, out: polygamma(x, 0), domain=POSITIVE,
                  doc="log |Γ(x)|",  # SciPy's gammaln: log|Γ|
                  sympy=lambda sp, n, x: sp.log(sp.Abs(sp.gamma(x))))
erf_p     = unary("erf", _erf, _gauss(2.0 / _SQRT_PI), doc="error function",
                  sympy="erf", taylor=_erf_taylor(2.0 / _SQRT_PI))
erfc_p    = unary("erfc", _erfc, _gauss(-2.0 / _SQRT_PI),
                  doc="1 - erf(x), accurate for large x", sympy="erfc",
                  taylor=_erf_taylor(-2.0 / _SQRT_PI))
erfinv_p  = unary("erfinv", _erfinv, lambda x, out: (_SQRT_PI / 2.0) * exp(out * out),
                  domain=uniform_in(-0.9, 0.9), doc="inverse of erf on (-1, 1)", sympy="erfinv")
ndtri_p   = unary("ndtri", _ndtri, lambda p, out: _SQRT_2PI * exp(0.5 * (out * out)),
                  domain=uniform_in(0.05, 0.95),
                  doc="inverse of the normal CDF, accurate in both tails",
                  sympy=lambda sp, n, p: sp.sqrt(2) * sp.erfinv(2 * p - 1))  # Φ⁻¹(p)
# fmt: on


def _polygamma_sample(rng):
    args, _ = elementwise_sampler([POSITIVE])(rng)
    return args, {"n": int(rng.integers(0, 3))}


polygamma_p = Primitive(
    "polygamma",
    _same_dtype(_polygamma),
    elementwise_shape("polygamma", float_dtype),
    dtype=float_dtype,
    vjp=lambda ct, out, x, *, n: (ct * polygamma(x, n + 1),),
    jvp=lambda ts, out, x, *, n: ts[0] * polygamma(x, n + 1),
    batch=elementwise_batch(lambda: polygamma_p),
    sample=_polygamma_sample,
    doc="n-th derivative of digamma (n = 0: digamma itself)",
    sympy=lambda sp, n, x: sp.polygamma(n.params["n"], x),
    taylor=BY_JVP,  # each order asks polygamma(n + 1) for one order less
)


def polygamma(x, n: int):
    return bind(polygamma_p, x, n=int(n))


def gammaln(x):
    return bind(gammaln_p, x)


def erf(x):
    return bind(erf_p, x)


def erfc(x):
    return bind(erfc_p, x)


def erfinv(x):
    return bind(erfinv_p, x)


def ndtri(p):
    return bind(ndtri_p, p)
