"""Continuous distributions built on the normal, gamma and beta families: ``f``, ``lognorm``,
``weibull_min``, ``chi``, ``rayleigh``, ``invgamma``, ``halfnorm``, ``halfcauchy``,
``skewnorm``, ``loggamma`` (SciPy's parameters; none of them is in ``jax.scipy.stats``).

Each is a standardized ``rv_continuous``-style class over ``._distn``'s shared masks, with
its cdf from the primitives of the family it derives from (``Φ``/``log_ndtr``, the
incomplete gamma and beta functions, Owen's T), so every derivative in ``x`` and in every
parameter is exact; the log tails past underflow reuse ``gamma``'s and ``beta``'s continued
fractions. Where the support starts at 0 and a formula has a pole or a ``log 0`` there
(``1/z``, ``log z``), the value at 0 is its limit, with derivative 0 (:func:`_positive`).

Quantiles: closed forms where they exist (``lognorm``, ``weibull_min``, ``rayleigh``,
``halfnorm``, ``halfcauchy``; ``invgamma``'s through ``gamma``'s), else numeric (``f``,
``chi``, ``skewnorm``, ``loggamma``; see ``._inverse``).

Known bounds (documented in docs/scipy.md): ``skewnorm``'s cdf is ``Φ(z) - 2 T(z, a)`` except in the tail where that cancels (``a z < -1``,
``z < 0``, and the mirror image), where it is the density's integral by Gauss-Laguerre
quadrature in log form.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ... import numpy as wnp
from .. import special as sc
from ._continuous import (_LOG2, _LOG_SQRT_2PI, _PositiveHalfLine, _beta_log_tail,
                          _gamma_logcdf, _gamma_logsf, _log1mexp,
                          _log_gamma_half_ratio_rest_all, _norm_logcdf, _norm_ppf, gamma)
from ._continuous_more import _EULER, _abs_pow
from ._distn import ContinuousDistribution, both, piecewise, safe
from ._inverse import NumericQuantiles
from ...ops.special import LNGAMMA_AT_1

_LOGPI = math.log(math.pi)


def _positive(z, fn, at_zero):
    """``fn(z)`` for ``z > 0`` and the constant ``at_zero`` at ``z = 0`` (the limit), ``fn``
    seeing 1 there: a pole or ``log 0`` at the end of the support leaks no NaN into the
    derivative (``0 · inf`` in the chain rule)."""
    return piecewise(z > 0, z, fn, lambda v: at_zero + 0.0 * v, 1.0, 1.0)


def _log1mexp_small(y, log_y):
    """``log(1 - e^-y)`` for ``y >= 0`` given ``log y`` accurately: below ``y = 0.1`` as
    ``log y + log((1 - e^-y)/y)`` by its series (``-y/2 + y²/24 - y⁴/2880 + y⁶/181440``), so
    it stays finite where ``y`` underflows (``weibull_min.logcdf(1e-300, 2)`` is -1381.6,
    not -inf)."""
    small = y < 0.1
    ys = safe(small, y, 0.0)
    y2 = ys * ys
    series = log_y + ys * (-0.5 + ys * (1.0 / 24.0 + y2 * (-1.0 / 2880.0 + y2 / 181440.0)))
    return wnp.where(small, series, _log1mexp(safe(small, 1.0, y)))


def _gamma_logcdf_of_log(log_x, a, near):
    """``log P(a, x)`` given ``log x``: where ``x`` is below ``e^-40`` (it may underflow),
    ``a log x - log Γ(a + 1)``, exact there (``P = x^a / Γ(a + 1) (1 - a x / (a + 1) +
    …)``: the rest is below 5e-18, in every derivative too); elsewhere ``near(safe log x)``.
    ``chi.logcdf(1e-300, 1)`` is -690.6, not -inf (and its quantiles of tiny ``q`` are then
    0, the underflowed truth, not 1e-162); near the underflow of ``x`` the second derivative
    through ``x = e^(log x)`` overflowed (``chi.logcdf''(1e-105, 3)`` was NaN, the truth
    -3e210)."""
    far = log_x < -40.0
    val = near(safe(far, 0.0, log_x))
    return wnp.where(far, a * safe(far, log_x, -41.0) - _lngamma_1p(a), val)


def _lngamma_1p(a):
    """``log Γ(1 + a)`` for ``a > 0``: below 0.3 by its Taylor series in ``a`` itself
    (``gammaln(a + 1.0)`` rounds ``1 + a`` first: at ``a = 1e-10`` 8e-18 of ``a``, 0.08 ulp
    of ``a`` in the result's -γa, but ``P(a, x)`` near 1 is then ``1 - 5e-18`` off)."""
    small = a < 0.3
    e = safe(small, a, 0.0)
    p = 0.0 * e
    for coef in reversed(LNGAMMA_AT_1):
        p = p * e + coef
    return wnp.where(small, p * e, sc.gammaln(safe(small, 1.0, a) + 1.0))


def _beta_probability(a, b, x, y):
    """``I_x(a, b)`` given both ``x`` and ``y = 1 - x`` to full relative accuracy: at
    ``x <= 1/2`` directly, above as ``1 - I_y(b, a)`` by the complementary function (SciPy's
    ``1 - x`` inside ``I_x`` would lose the digits of ``y``, and ``1 - betainc`` those of a
    small probability: ``f.sf(1, 1e-8, 5)`` had four digits)."""
    low = x <= 0.5
    return wnp.where(low, sc.betainc(a, b, safe(low, x, 0.5)),
                     sc.betaincc(b, a, safe(low, 0.5, y)))


class f_gen(_PositiveHalfLine):
    """The F distribution (Fisher-Snedecor) with ``dfn`` and ``dfd`` degrees of freedom.

    >>> from wire.scipy.stats import f
    >>> round(float(f.cdf(1.0, 2.0, 2.0)), 12)
    0.5
    >>> round(float(f.ppf(0.5, 2.0, 2.0)), 12)
    1.0
    """

    name = "f"
    shapes = ("dfn", "dfd")
    shape_fill = (1.0, 1.0)

    def _argcheck(self, dfn, dfd):
        return both(dfn > 0, dfd > 0)

    @staticmethod
    def _xy(z, dfn, dfd):
        t = dfn * z
        s = t + dfd
        return t / s, dfd / s

    def _logpdf(self, z, dfn, dfd):
        a, b = 0.5 * dfn, 0.5 * dfd
        r = dfn / dfd
        # log1p(r z) as log(r) + log(z) + log1p(1/(r z)) past r z = 1 (r z overflows first)
        big = r * z > 1.0
        zb, zs = safe(big, z, 2.0 / r), safe(big, 0.0, z)
        l1p = wnp.where(big, wnp.log(r) + wnp.log(zb) + wnp.log1p(1.0 / (r * zb)),
                        wnp.log1p(r * zs))
        return a * wnp.log(r) + sc.xlogy(a - 1.0, z) - (a + b) * l1p - sc.betaln(a, b)

    def _cdf(self, z, dfn, dfd):
        x, y = self._xy(z, dfn, dfd)
        return _beta_probability(0.5 * dfn, 0.5 * dfd, x, y)

    def _sf(self, z, dfn, dfd):
        x, y = self._xy(z, dfn, dfd)
        return _beta_probability(0.5 * dfd, 0.5 * dfn, y, x)

    def _logcdf(self, z, dfn, dfd):
        x, _ = self._xy(z, dfn, dfd)
        return _beta_log_tail(x, 0.5 * dfn, 0.5 * dfd, lambda far: super(f_gen, self)._logcdf(
            safe(far, 1.0, z), dfn, dfd))

    def _logsf(self, z, dfn, dfd):
        _, y = self._xy(z, dfn, dfd)
        return _beta_log_tail(y, 0.5 * dfd, 0.5 * dfn, lambda far: super(f_gen, self)._logsf(
            safe(far, 1.0, z), dfn, dfd))

    def _stats(self, dfn, dfd):
        d2 = safe(dfd > 2, dfd, 3.0)
        d4 = safe(dfd > 4, dfd, 5.0)
        mean = wnp.where(dfd > 2, d2 / (d2 - 2.0), np.inf)
        var = wnp.where(dfd > 4, 2.0 * d4 * d4 * (dfn + d4 - 2.0)
                        / (dfn * (d4 - 2.0) ** 2 * (d4 - 4.0)), np.inf)
        return mean + 0.0 * dfn, var

    def _entropy(self, dfn, dfd):
        a, b = 0.5 * dfn, 0.5 * dfd
        return (wnp.log(dfd) - wnp.log(dfn) + sc.betaln(a, b) + (1.0 - a) * sc.digamma(a)
                - (1.0 + b) * sc.digamma(b) + (a + b) * sc.digamma(a + b))


class lognorm_gen(ContinuousDistribution):
    """The log-normal distribution with shape ``s`` (``scale = exp(mu)``).

    >>> from wire.scipy.stats import lognorm
    >>> float(lognorm.cdf(1.0, 0.5))
    0.5
    """

    name = "lognorm"
    shapes = ("s",)
    shape_fill = (1.0,)
    support_bounds = (0.0, np.inf)
    interior = 1.0

    def _argcheck(self, s):
        return s > 0

    def _logpdf(self, z, s):
        def f(v):
            w = wnp.log(v)
            u = w / s
            return -0.5 * u * u - wnp.log(s) - w - _LOG_SQRT_2PI
        return _positive(z, f, -np.inf)

    def _cdf(self, z, s):
        return _positive(z, lambda v: sc.ndtr(wnp.log(v) / s), 0.0)

    def _sf(self, z, s):
        return _positive(z, lambda v: sc.ndtr(-wnp.log(v) / s), 1.0)

    def _logcdf(self, z, s):
        return _positive(z, lambda v: _norm_logcdf(wnp.log(v) / s), -np.inf)

    def _logsf(self, z, s):
        return _positive(z, lambda v: _norm_logcdf(-wnp.log(v) / s), 0.0)

    def _ppf(self, q, s):
        return wnp.exp(s * _norm_ppf(q))

    def _isf(self, q, s):
        return wnp.exp(-s * _norm_ppf(q))

    def _stats(self, s):
        s2 = s * s
        return wnp.exp(0.5 * s2), wnp.expm1(s2) * wnp.exp(s2)

    def _entropy(self, s):
        return 0.5 + _LOG_SQRT_2PI + wnp.log(s)


class weibull_min_gen(ContinuousDistribution):
    """The Weibull minimum distribution with shape ``c``: ``cdf = 1 - exp(-z^c)``.

    >>> from wire.scipy.stats import weibull_min
    >>> round(float(weibull_min.sf(1.0, 2.0)), 12)            # exp(-1)
    0.367879441171
    """

    name = "weibull_min"
    shapes = ("c",)
    shape_fill = (1.0,)
    support_bounds = (0.0, np.inf)
    interior = 1.0

    def _argcheck(self, c):
        return c > 0

    def _logpdf(self, z, c):
        return wnp.log(c) + sc.xlogy(c - 1.0, z) - _abs_pow(z, c)

    # past z^c = 800 the cdf is 1, the sf 0 and the logcdf -0.0, taken so with derivative 0
    # (z^c overflowed at weibull_min.cdf(1e300, 2), and e^-inf times the infinite derivative
    # of z^c was NaN, the truth 0)
    @staticmethod
    def _settled(z, c):
        done = _abs_pow(z, c) > 800.0
        return done, safe(done, 1.0, z)

    def _cdf(self, z, c):
        done, z = self._settled(z, c)
        return wnp.where(done, 1.0, -wnp.expm1(-_abs_pow(z, c)))

    def _sf(self, z, c):
        done, z = self._settled(z, c)
        return wnp.where(done, 0.0, wnp.exp(-_abs_pow(z, c)))

    def _logcdf(self, z, c):
        done, z = self._settled(z, c)
        return wnp.where(done, -0.0, _positive(
            z, lambda v: _log1mexp_small(_abs_pow(v, c), c * wnp.log(v)), -np.inf))

    def _logsf(self, z, c):
        return -_abs_pow(z, c)

    def _ppf(self, q, c):
        return wnp.exp(wnp.log(-wnp.log1p(-q)) / c)

    def _isf(self, q, c):
        return wnp.exp(wnp.log(-wnp.log(q)) / c)

    def _stats(self, c):
        g1 = sc.gammaln(1.0 + 1.0 / c)
        return wnp.exp(g1), wnp.exp(sc.gammaln(1.0 + 2.0 / c)) - wnp.exp(2.0 * g1)

    def _entropy(self, c):
        return -_EULER / c - wnp.log(c) + _EULER + 1.0


class rayleigh_gen(ContinuousDistribution):
    """The Rayleigh distribution (``chi`` with 2 degrees of freedom).

    >>> from wire.scipy.stats import rayleigh
    >>> round(float(rayleigh.ppf(0.5)), 12)                   # sqrt(2 log 2)
    1.177410022515
    """

    name = "rayleigh"
    support_bounds = (0.0, np.inf)
    interior = 1.0

    def _logpdf(self, z):
        return _positive(z, lambda v: wnp.log(v) - 0.5 * v * v, -np.inf)

    def _pdf(self, z):
        return z * wnp.exp(-0.5 * z * z)

    def _cdf(self, z):
        return -wnp.expm1(-0.5 * z * z)

    def _sf(self, z):
        return wnp.exp(-0.5 * z * z)

    def _logcdf(self, z):
        return _positive(z, lambda v: _log1mexp_small(0.5 * v * v, 2.0 * wnp.log(v) - _LOG2),
                         -np.inf)

    def _logsf(self, z):
        return -0.5 * z * z

    def _ppf(self, q):
        return wnp.sqrt(-2.0 * wnp.log1p(-q))

    def _isf(self, q):
        return wnp.sqrt(-2.0 * wnp.log(q))

    def _stats(self):
        return math.sqrt(0.5 * math.pi), 2.0 - 0.5 * math.pi

    def _entropy(self):
        return 0.5 * _EULER + 1.0 - 0.5 * _LOG2


class chi_gen(_PositiveHalfLine):
    """The chi distribution with ``df`` degrees of freedom: ``sqrt`` of a ``chi2(df)``.

    >>> from wire.scipy.stats import chi
    >>> round(float(chi.cdf(1.0, 1.0)), 12)                   # erf(1/sqrt(2))
    0.682689492137
    """

    name = "chi"
    shapes = ("df",)
    shape_fill = (1.0,)

    def _argcheck(self, df):
        return df > 0

    def _logpdf(self, z, df):
        h = 0.5 * df
        return (1.0 - h) * _LOG2 - sc.gammaln(h) + sc.xlogy(df - 1.0, z) - 0.5 * z * z

    def _cdf(self, z, df):
        return sc.gammainc(0.5 * df, 0.5 * z * z)

    def _sf(self, z, df):
        return sc.gammaincc(0.5 * df, 0.5 * z * z)

    def _logsf(self, z, df):
        return _gamma_logsf(0.5 * z * z, 0.5 * df, lambda v: super(chi_gen, self)._logsf(
            wnp.sqrt(2.0 * v), df))

    def _logcdf(self, z, df):
        def near(log_y):  # log P(ν/2, y) at y = z²/2 = e^log_y
            y = wnp.exp(log_y)
            return _gamma_logcdf(y, 0.5 * df, lambda v: super(chi_gen, self)._logcdf(
                wnp.sqrt(2.0 * v), df))
        return _positive(z, lambda v: _gamma_logcdf_of_log(2.0 * wnp.log(v) - _LOG2, 0.5 * df,
                                                           near), -np.inf)

    def _stats(self, df):
        # mean = √2 Γ((ν+1)/2) / Γ(ν/2) = √ν e^R(ν/2), R = log Γ(h+1/2) - log Γ(h) - log(h)/2
        # (O(1/ν)): var = ν - mean² = -ν expm1(2R), no cancellation at a large df
        r = _log_gamma_half_ratio_rest_all(0.5 * df)
        return wnp.sqrt(df) * wnp.exp(r), -df * wnp.expm1(2.0 * r)

    def _entropy(self, df):
        big = df >= 300.0
        d = safe(big, 300.0, df)
        regular = sc.gammaln(0.5 * d) + 0.5 * (d - _LOG2 - (d - 1.0) * sc.digamma(0.5 * d))
        e = 1.0 / safe(big, df, 300.0)
        asymptotic = (0.5 + 0.5 * _LOGPI - e / 6.0 - e * e / 6.0 - 4.0 / 45.0 * e ** 3
                      + e ** 4 / 15.0)
        return wnp.where(big, asymptotic, regular)


class invgamma_gen(ContinuousDistribution):
    """The inverse gamma distribution with shape ``a``: ``1/X`` for ``X ~ gamma(a)``.

    >>> from wire.scipy.stats import invgamma
    >>> round(float(invgamma.cdf(1.0, 1.0)), 12)              # exp(-1)
    0.367879441171
    """

    name = "invgamma"
    shapes = ("a",)
    shape_fill = (1.0,)
    support_bounds = (0.0, np.inf)
    interior = 1.0

    def _argcheck(self, a):
        return a > 0

    def _logpdf(self, z, a):
        return _positive(z, lambda v: -(a + 1.0) * wnp.log(v) - sc.gammaln(a) - 1.0 / v,
                         -np.inf)

    def _cdf(self, z, a):
        return _positive(z, lambda v: sc.gammaincc(a, 1.0 / v), 0.0)

    def _sf(self, z, a):
        return _positive(z, lambda v: sc.gammainc(a, 1.0 / v), 1.0)

    def _logcdf(self, z, a):
        def f(v):
            return _gamma_logsf(1.0 / v, a, lambda w: super(invgamma_gen, self)._logcdf(
                1.0 / w, a))
        return _positive(z, f, -np.inf)

    def _logsf(self, z, a):
        def f(v):
            return _gamma_logcdf(1.0 / v, a, lambda w: super(invgamma_gen, self)._logsf(
                1.0 / w, a))
        return _positive(z, f, 0.0)

    def _ppf(self, q, a):
        return 1.0 / gamma._isf(q, a)

    def _isf(self, q, a):
        return 1.0 / gamma._ppf(q, a)

    def _stats(self, a):
        a1 = safe(a > 1, a, 2.0)
        a2 = safe(a > 2, a, 3.0)
        mean = wnp.where(a > 1, 1.0 / (a1 - 1.0), np.inf)
        var = wnp.where(a > 2, 1.0 / ((a2 - 1.0) ** 2 * (a2 - 2.0)), np.inf)
        return mean, var

    def _entropy(self, a):
        big = a >= 200.0
        ar = safe(big, 200.0, a)
        regular = ar - (ar + 1.0) * sc.digamma(ar) + sc.gammaln(ar)
        e = 1.0 / safe(big, a, 200.0)
        asymptotic = (0.5 * (1.0 + 3.0 * wnp.log(e) + _LOG2 + _LOGPI) + 2.0 / 3.0 * e
                      + e * e / 12.0 - e ** 3 / 90.0 - e ** 4 / 120.0)
        return wnp.where(big, asymptotic, regular)


class halfnorm_gen(ContinuousDistribution):
    """The half-normal distribution, ``|N(0, 1)|``.

    >>> from wire.scipy.stats import halfnorm
    >>> round(float(halfnorm.cdf(1.0)), 12)
    0.682689492137
    """

    name = "halfnorm"
    support_bounds = (0.0, np.inf)
    interior = 1.0

    def _logpdf(self, z):
        return 0.5 * math.log(2.0 / math.pi) - 0.5 * z * z

    def _cdf(self, z):
        return sc.erf(z * math.sqrt(0.5))

    def _sf(self, z):
        return 2.0 * sc.ndtr(-z)

    def _logcdf(self, z):
        # log erf(z/√2) below 1 (a tiny z keeps its relative accuracy), log1p(-2Φ(-z))
        # above, where erf rounds toward 1
        return _positive(z, lambda v: piecewise(
            v < 1.0, v, lambda u: wnp.log(sc.erf(u * math.sqrt(0.5))),
            lambda u: wnp.log1p(-2.0 * sc.ndtr(-u)), 0.5, 2.0), -np.inf)

    def _logsf(self, z):
        # log1p(-erf(z/√2)) below 1 (a tiny z keeps its -√(2/π) z), log 2 + log Φ(-z) above
        return piecewise(z < 1.0, z, lambda v: wnp.log1p(-sc.erf(v * math.sqrt(0.5))),
                         lambda v: _LOG2 + _norm_logcdf(-v), 0.5, 2.0)

    def _ppf(self, q):
        # √2 erfinv(q) (accurate for a small q), and -Φ⁻¹((1 - q)/2) above 1/2 (1 - q exact)
        return piecewise(q < 0.5, q, lambda v: math.sqrt(2.0) * sc.erfinv(v),
                         lambda v: -_norm_ppf(0.5 * (1.0 - v)), 0.25, 0.75)

    def _isf(self, q):
        return piecewise(q <= 0.5, q, lambda v: -_norm_ppf(0.5 * v),
                         lambda v: math.sqrt(2.0) * sc.erfinv(1.0 - v), 0.25, 0.75)

    def _stats(self):
        return math.sqrt(2.0 / math.pi), 1.0 - 2.0 / math.pi

    def _entropy(self):
        return 0.5 * math.log(0.5 * math.pi) + 0.5


class halfcauchy_gen(ContinuousDistribution):
    """The half-Cauchy distribution, ``|Cauchy|`` (mean and variance infinite, as SciPy).

    >>> from wire.scipy.stats import halfcauchy
    >>> round(float(halfcauchy.cdf(1.0)), 12)
    0.5
    """

    name = "halfcauchy"
    support_bounds = (0.0, np.inf)
    interior = 1.0

    def _logpdf(self, z):
        # log1p(z²) overflows past z ~ 1e154: 2 log z + log1p(1/z²) there
        return math.log(2.0 / math.pi) - piecewise(
            z < 1.0, z, lambda v: wnp.log1p(v * v),
            lambda v: 2.0 * wnp.log(v) + wnp.log1p(1.0 / (v * v)), 0.0, 2.0)

    def _cdf(self, z):
        return wnp.arctan(z) * (2.0 / math.pi)

    def _sf(self, z):
        return wnp.arctan2(1.0, z) * (2.0 / math.pi)

    def _ppf(self, q):
        # tan(πq/2) below 1/2 and 1/tan(π(1 - q)/2) above (1 - q exact, no pole in tan)
        return piecewise(q <= 0.5, q, lambda v: wnp.tan(0.5 * math.pi * v),
                         lambda v: 1.0 / wnp.tan(0.5 * math.pi * (1.0 - v)), 0.25, 0.75)

    def _isf(self, q):
        return piecewise(q <= 0.5, q, lambda v: 1.0 / wnp.tan(0.5 * math.pi * v),
                         lambda v: wnp.tan(0.5 * math.pi * (1.0 - v)), 0.25, 0.75)

    def _stats(self):
        return np.inf, np.inf

    def _entropy(self):
        return math.log(2.0 * math.pi)


class skewnorm_gen(NumericQuantiles, ContinuousDistribution):
    """The skew-normal distribution with shape ``a`` (any finite real; ``a = 0`` is the
    normal): density ``2 φ(z) Φ(a z)``, cdf ``Φ(z) - 2 T(z, a)`` (Owen's T; in the tail where
    that cancels, the density's integral in log form), entropy by Gauss-Hermite quadrature.

    >>> from wire.scipy.stats import skewnorm
    >>> round(float(skewnorm.cdf(0.0, 1.0)), 12)              # 1/2 - atan(1)/π
    0.25
    """

    name = "skewnorm"
    shapes = ("a",)
    shape_fill = (0.0,)
    u_range = (-710.0, 710.0)

    def z_of_u(self, u):
        return wnp.sinh(u)

    def _argcheck(self, a):
        return wnp.isfinite(a)

    def _logpdf(self, z, a):
        return _LOG2 - 0.5 * z * z - _LOG_SQRT_2PI + _norm_logcdf(a * z)

    def _cdf(self, z, a):
        tail = self._cancels(z, a)
        c = sc.ndtr(z) - 2.0 * sc.owens_t(safe(tail, 0.0, z), a)
        c = wnp.where(c < 0.0, 0.0, wnp.where(c > 1.0, 1.0, c))
        c = wnp.where(z <= -1e150, 0.0, c)
        return wnp.where(tail, wnp.exp(self._log_tail(safe(tail, z, -2.0), a)), c)

    def _sf(self, z, a):
        return self._cdf(-z, -a)

    def _logcdf(self, z, a):
        # the log-space integral also below z = -30 where nothing cancels (a z >= -1): the
        # cdf there underflows from z = -37.5 (skewnorm.logcdf(-40, -3), the mirror of
        # logsf(40, 3), was -inf, the truth -803.92; logcdf(-40, 0) -inf, norm's -804.61;
        # logcdf(-38, -0.5) -726.557 from a subnormal cdf, the truth -725.864)
        tail = both(wnp.logical_or(self._cancels(z, a), z < -30.0), z > -1e150)
        generic = super()._logcdf(safe(tail, 0.0, z), a)
        out = wnp.where(tail, self._log_tail(safe(tail, z, -2.0), a), generic)
        return wnp.where(both(z <= -1e150, a * z < -1.0), -np.inf, out)

    def _logsf(self, z, a):
        return self._logcdf(-z, -a)

    @staticmethod
    def _cancels(z, a):
        """Where ``Φ(z) - 2 T(z, a)`` cancels (``z < 0``, ``a z < -1``: the cdf is below
        ``2 Φ(-1) Φ(z)``, down to 0 past underflow where the log-cdf is finite); beyond
        ``-1e150`` (``z²`` overflows) the log-cdf is -inf there."""
        return both(z < 0.0, z > -1e150, a * z < -1.0)

    @staticmethod
    def _log_tail(z, a):
        """``log ∫_0^∞ g(z - s) ds``, ``g = 2 φ Φ(a ·)``, in the cancelling tail: with
        ``s = u/κ``, ``κ = -(log g)'(z) = -z + a m(a z)`` (``m = φ/Φ``) the integrand is
        ``e^-u`` times a smooth factor bounded by 1 (its log is concave), which the 40-point
        Gauss-Laguerre rule integrates to ~1e-15 (mpmath quadrature)."""
        u, w = _laguerre_nodes()
        az = a * z
        log_g0 = _LOG2 - 0.5 * z * z - _LOG_SQRT_2PI + sc.log_ndtr(az)
        kappa = -z + a * wnp.exp(-0.5 * az * az - _LOG_SQRT_2PI - sc.log_ndtr(az))
        zz, aa, kk = (wnp.expand_dims(wnp.asarray(v), -1) for v in (z, a, kappa))
        t = zz - u / kk
        log_g = -0.5 * t * t + sc.log_ndtr(aa * t) + (_LOG2 - _LOG_SQRT_2PI)
        total = wnp.sum(w * wnp.exp(u + log_g - log_g0[..., None]), axis=-1)
        return log_g0 - wnp.log(kappa) + wnp.log(total)

    def _stats(self, a):
        d = a / wnp.sqrt(1.0 + a * a)
        return d * math.sqrt(2.0 / math.pi), 1.0 - (2.0 / math.pi) * d * d

    def _entropy(self, a):
        """``-E log f(X) = log(2π)/2 + 1/2 - log 2 - E log Φ(aX)`` (``E X² = 1``), and
        ``E log Φ(aX) = ∫ φ(z) g(az) dz``, ``g(u) = 2 Φ(u) log Φ(u)`` (smooth, Gaussian tails)
        by the 80-point Gauss-Hermite rule: in ``z`` for ``|a| <= 1``, in ``u = a z``
        (weight ``φ(u/a)/|a|``) above, so the rule always sees a width >= 1 (1e-16 against
        mpmath from ``a = 0`` to 100; SciPy integrates numerically)."""
        x, w = _hermite_nodes()
        big = wnp.abs(a) > 1.0
        ab = wnp.expand_dims(wnp.asarray(safe(big, a, 2.0)), -1)
        asm = wnp.expand_dims(wnp.asarray(safe(big, 0.5, a)), -1)

        def g(u):
            return 2.0 * sc.ndtr(u) * sc.log_ndtr(u)

        small_e = wnp.sum(w * g(asm * x), axis=-1)
        big_e = wnp.sum(w * g(x) * wnp.exp(0.5 * x * x * (1.0 - 1.0 / (ab * ab))) / wnp.abs(ab),
                        axis=-1)
        expect = wnp.where(big, big_e, small_e)
        return 0.5 + _LOG_SQRT_2PI - _LOG2 - expect


@functools.cache
def _hermite_nodes():
    """The 80-point Gauss-Hermite nodes and weights for ``∫ φ(x) f(x) dx``."""
    x, w = np.polynomial.hermite_e.hermegauss(80)
    return x, w / math.sqrt(2.0 * math.pi)


@functools.cache
def _laguerre_nodes():
    """The 40-point Gauss-Laguerre nodes and weights (``∫_0^∞ e^-u f(u) du``)."""
    return np.polynomial.laguerre.laggauss(40)


class loggamma_gen(NumericQuantiles, ContinuousDistribution):
    """The log-gamma distribution with shape ``c``: ``log X`` for ``X ~ gamma(c)``.

    >>> from wire.scipy.stats import loggamma
    >>> round(float(loggamma.cdf(0.0, 1.0)), 12)              # 1 - exp(-1)
    0.632120558829
    """

    name = "loggamma"
    shapes = ("c",)
    shape_fill = (1.0,)
    u_range = (-710.0, 710.0)

    def z_of_u(self, u):
        return wnp.sinh(u)

    def _argcheck(self, c):
        return c > 0

    def _logpdf(self, z, c):
        return c * z - wnp.exp(z) - sc.gammaln(c)

    # Below z = -40 (e^z < 4.3e-18, and underflowing past z = -745) log P(c, e^z) is
    # c z - log Γ(1 + c) to 5e-18 (_gamma_logcdf_of_log), and the cdf, sf and logsf are
    # taken from it: gammainc(c, e^z) had e^z = 0 there (loggamma.cdf(-1000, 0.5) was 0,
    # the truth 8.04e-218; loggamma.sf(-1000, 0.001) 1, the truth 0.632)
    @staticmethod
    def _far_left(z, c):
        # (the last: z no higher than 700, where Q(c, e^z) is 0 already: e^z = inf made the
        # derivatives of cdf, sf and logcdf NaN past z = 710, where the truth is 0)
        far = z < -40.0
        return far, c * safe(far, z, -41.0) - _lngamma_1p(c), safe(far, 0.0,
                                                                  wnp.minimum(z, 700.0))

    def _cdf(self, z, c):
        far, log_p, zn = self._far_left(z, c)
        return wnp.where(far, wnp.exp(log_p), sc.gammainc(c, wnp.exp(zn)))

    def _sf(self, z, c):
        far, log_p, zn = self._far_left(z, c)
        return wnp.where(far, -wnp.expm1(log_p), sc.gammaincc(c, wnp.exp(zn)))

    def _logcdf(self, z, c):
        return _gamma_logcdf_of_log(wnp.minimum(z, 700.0), c, lambda v: _gamma_logcdf(
            wnp.exp(v), c, lambda w: super(loggamma_gen, self)._logcdf(wnp.log(w), c)))

    def _logsf(self, z, c):
        left = z < -40.0
        _, log_p, _ = self._far_left(z, c)
        z = safe(left, 0.0, z)
        # past e^z = 1e304, log Q(c, e^z) = (c - 1) z - e^z - log Γ(c) to an ulp
        far = z > 700.0
        zn = safe(far, 0.0, z)
        near = _gamma_logsf(wnp.exp(zn), c, lambda v: super(loggamma_gen, self)._logsf(
            wnp.log(v), c))
        zf = safe(far, z, 701.0)
        out = wnp.where(far, (c - 1.0) * zf - wnp.exp(zf) - sc.gammaln(c), near)
        return wnp.where(left, _log1mexp(-log_p), out)

    def _stats(self, c):
        return sc.digamma(c), sc.polygamma(1, c)

    def _entropy(self, c):
        big = c >= 45.0
        cr = safe(big, 45.0, c)
        regular = sc.gammaln(cr) - cr * sc.digamma(cr) + cr
        cb = safe(big, c, 45.0)
        e = 1.0 / cb
        asymptotic = (0.5 + _LOG_SQRT_2PI - 0.5 * wnp.log(cb) + e / 6.0 - e ** 3 / 90.0
                      + e ** 5 / 210.0)
        return wnp.where(big, asymptotic, regular)


f = f_gen()
lognorm = lognorm_gen()
weibull_min = weibull_min_gen()
rayleigh = rayleigh_gen()
chi = chi_gen()
invgamma = invgamma_gen()
halfnorm = halfnorm_gen()
halfcauchy = halfcauchy_gen()
skewnorm = skewnorm_gen()
loggamma = loggamma_gen()
