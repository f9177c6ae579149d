"""More continuous distributions: ``gumbel_r``, ``gumbel_l``, ``pareto``, ``gennorm``,
``wrapcauchy``, ``vonmises``, with SciPy's parameters and the shared masks of ``._distn``.

``gumbel_r``/``gumbel_l`` have closed forms for every function (``logsf`` of ``gumbel_r`` is
``log(1 - exp(-e^-z))``, taken as ``log1mexp(e^-z)``: it keeps its relative accuracy in the
far tail, where it is ``-z``). ``gennorm``'s cdf is an incomplete gamma function of
``|z|^β``, written so that its value and first derivative are exact at ``z = 0`` too (the
chain rule through ``|z|^β`` is ``inf · 0`` there). ``vonmises`` gives ``logpdf``, ``pdf``,
``entropy`` and SciPy's cdf (a backward series below κ = 50, a normal approximation above).
"""

from __future__ import annotations

import math

import numpy as np

from ... import numpy as wnp
from ...errors import WireTypeError, at, user_location
from .. import special as sc
from ._continuous import SymmetricNumericQuantiles, _log1mexp
from ._distn import ContinuousDistribution, both, piecewise, safe

_EULER = 0.5772156649015329
# von Mises cdf (SciPy's constants: 12 digits from the series below κ = 50)
_2PI = 2.0 * math.pi
_SQRT2_PI = 0.79788456080286535588  # sqrt(2/π)
_CK, _A1, _A2, _A3, _A4 = 50.0, 28.0, 0.5, 100.0, 5.0
_P_MAX = int(1.0 + _A1 + _A2 * _CK - _A3 / (_CK + _A4)) + 1  # more terms than any κ < 50
_LOG2 = math.log(2.0)
_LOG2PI = math.log(2.0 * math.pi)


def _not_implemented(name, what):
    raise WireTypeError(f"{name}.{what} is not implemented in wire.scipy.stats (SciPy computes it "
                        f"numerically); see docs/scipy.md for the coverage{at(user_location())}")


def _exp_neg(z):
    """``e^-z`` (inf below -709: the callers' formulas take their limits there)."""
    return wnp.exp(-z)


class gumbel_r_gen(ContinuousDistribution):
    """The right-skewed Gumbel (extreme value type I) distribution.

    >>> from wire.scipy.stats import gumbel_r
    >>> round(float(gumbel_r.cdf(0.0)), 12)          # exp(-1)
    0.367879441171
    >>> float(gumbel_r.logsf(40.0))                   # -40 - e^-40/2, not log(0)
    -40.0
    """

    name = "gumbel_r"

    def _logpdf(self, z):
        return -z - _exp_neg(z)

    # cdf, sf and logsf see z no lower than -700: there e^-z is 1e304 and they are 0, 1 and
    # 0 with derivative 0 (at e^-z = inf the chain rule's e^-y · y was 0 · inf: NaN, as
    # gumbel_r.cdf'(-1000) and gumbel_l.sf'(1000) were)
    def _cdf(self, z):
        return wnp.exp(-_exp_neg(wnp.maximum(z, -700.0)))

    def _sf(self, z):
        return -wnp.expm1(-_exp_neg(wnp.maximum(z, -700.0)))

    def _logcdf(self, z):
        return -_exp_neg(z)

    def _logsf(self, z):
        # log(1 - exp(-y)) at y = e^-z; y = 0 (z past 745) is the tail -z
        z = wnp.maximum(z, -700.0)
        y = _exp_neg(z)
        pos = y > 0
        return wnp.where(pos, _log1mexp(safe(pos, y, 1.0)), -z)

    def _ppf(self, q):
        return -wnp.log(-wnp.log(q))

    def _isf(self, q):
        return -wnp.log(-wnp.log1p(-q))

    def _stats(self):
        return _EULER, math.pi ** 2 / 6.0

    def _entropy(self):
        return _EULER + 1.0


class gumbel_l_gen(ContinuousDistribution):
    """The left-skewed Gumbel distribution: ``gumbel_r`` mirrored, ``X = -Y``.

    >>> from wire.scipy.stats import gumbel_l
    >>> round(float(gumbel_l.sf(0.0)), 12)
    0.367879441171
    """

    name = "gumbel_l"

    def _logpdf(self, z):
        return z - wnp.exp(z)

    def _cdf(self, z):
        return gumbel_r._sf(-z)

    def _sf(self, z):
        return gumbel_r._cdf(-z)

    def _logcdf(self, z):
        return gumbel_r._logsf(-z)

    def _logsf(self, z):
        return gumbel_r._logcdf(-z)

    def _ppf(self, q):
        return -gumbel_r._isf(q)

    def _isf(self, q):
        return -gumbel_r._ppf(q)

    def _stats(self):
        return -_EULER, math.pi ** 2 / 6.0

    def _entropy(self):
        return _EULER + 1.0


class pareto_gen(ContinuousDistribution):
    """The Pareto distribution with shape ``b`` on ``[1, inf)`` (standardized).

    >>> from wire.scipy.stats import pareto
    >>> float(pareto.sf(4.0, 2.0))
    0.0625
    """

    name = "pareto"
    shapes = ("b",)
    shape_fill = (1.0,)
    support_bounds = (1.0, np.inf)
    interior = 2.0

    def _argcheck(self, b):
        return b > 0

    def _logpdf(self, z, b):
        return wnp.log(b) - (b + 1.0) * wnp.log(z)

    def _pdf(self, z, b):
        return b * wnp.exp(-(b + 1.0) * wnp.log(z))

    def _cdf(self, z, b):
        return -wnp.expm1(-b * wnp.log(z))

    def _sf(self, z, b):
        return wnp.exp(-b * wnp.log(z))

    def _logcdf(self, z, b):
        return _log1mexp(b * wnp.log(z))

    def _logsf(self, z, b):
        return -b * wnp.log(z)

    def _ppf(self, q, b):
        return wnp.exp(-wnp.log1p(-q) / b)

    def _isf(self, q, b):
        return wnp.exp(-wnp.log(q) / b)

    def _stats(self, b):
        b1 = safe(b > 1, b, 2.0)
        b2 = safe(b > 2, b, 3.0)
        mean = wnp.where(b > 1, b1 / (b1 - 1.0), np.inf)
        var = wnp.where(b > 2, b2 / ((b2 - 1.0) ** 2 * (b2 - 2.0)), np.inf)
        return mean, var

    def _entropy(self, b):
        return 1.0 + 1.0 / b - wnp.log(b)


def _abs_pow(z, beta):
    """``|z|^β`` with the derivatives of its value 0 at ``z = 0`` (not ``0 · log 0``)."""
    a = wnp.abs(z)
    pos = a > 0
    return wnp.where(pos, wnp.exp(beta * wnp.log(safe(pos, a, 1.0))), 0.0)


class gennorm_gen(SymmetricNumericQuantiles, ContinuousDistribution):
    """The generalized normal distribution with shape ``beta``: density
    ``β / (2Γ(1/β)) exp(-|z|^β)`` (``beta = 2`` is ``N(0, 1/2)``, ``beta = 1`` Laplace).
    The derivative in ``z`` of ``logpdf`` at 0 is 0 for every ``beta`` (the cusp of
    ``beta <= 1`` included, as ``laplace``'s).

    >>> from wire.scipy.stats import gennorm
    >>> round(float(gennorm.cdf(1.0, 2.0)), 12)        # Φ(√2)
    0.921350396475
    """

    name = "gennorm"
    shapes = ("beta",)
    shape_fill = (2.0,)
    u_range = (-710.0, 710.0)

    def z_of_u(self, u):
        return wnp.sinh(u)

    def _argcheck(self, beta):
        return beta > 0

    def _logpdf(self, z, beta):
        return wnp.log(0.5 * beta) - sc.gammaln(1.0 / beta) - _abs_pow(z, beta)

    def _half_tail(self, z, beta):
        """``Q(1/β, |z|^β) / 2``, the mass beyond ``|z|``; at ``z = 0``: 1/2 with
        derivative ``-pdf(0) sign``, supplied by the linear term (the chain rule is inf · 0)."""
        zero = z == 0
        zs = safe(zero, 1.0, z)
        tail = 0.5 * sc.gammaincc(1.0 / beta, _abs_pow(zs, beta))
        pdf0 = wnp.exp(wnp.log(0.5 * beta) - sc.gammaln(1.0 / beta))
        return wnp.where(zero, 0.5 - wnp.abs(z) * pdf0, tail)

    def _cdf(self, z, beta):
        zero = z == 0
        lin = 0.5 + z * wnp.exp(wnp.log(0.5 * beta) - sc.gammaln(1.0 / beta))
        half = self._half_tail(safe(zero, 1.0, z), beta)
        return wnp.where(zero, lin, wnp.where(z < 0, half, 1.0 - half))

    def _sf(self, z, beta):
        return self._cdf(-z, beta)

    def _logcdf(self, z, beta):
        neg = z < 0
        zn = safe(neg, z, -1.0)
        low = wnp.log(0.5) + wnp.log(sc.gammaincc(1.0 / beta, _abs_pow(zn, beta)))
        return wnp.where(neg, low, wnp.log1p(-self._cdf(-safe(neg, 0.0, z), beta)))

    def _stats(self, beta):
        return 0.0 * beta, wnp.exp(sc.gammaln(3.0 / beta) - sc.gammaln(1.0 / beta))

    def _entropy(self, beta):
        return 1.0 / beta - wnp.log(0.5 * beta) + sc.gammaln(1.0 / beta)


class wrapcauchy_gen(ContinuousDistribution):
    """The wrapped Cauchy distribution on ``[0, 2π]`` with shape ``0 < c < 1``.

    >>> from wire.scipy.stats import wrapcauchy
    >>> round(float(wrapcauchy.cdf(np.pi, 0.5)), 12)
    0.5
    """

    name = "wrapcauchy"
    shapes = ("c",)
    shape_fill = (0.5,)
    support_bounds = (0.0, 2.0 * math.pi)
    interior = math.pi

    def _argcheck(self, c):
        return both(c > 0, c < 1)

    @staticmethod
    def _denominator(z, c):
        # 1 + c² - 2c cos z = (1 - c)² + 4c sin²(z/2): no cancellation for c near 1, z near 0
        h = wnp.sin(0.5 * z)
        return (1.0 - c) * (1.0 - c) + 4.0 * c * (h * h)

    def _logpdf(self, z, c):
        return (wnp.log((1.0 - c) * (1.0 + c)) - _LOG2PI
                - wnp.log(self._denominator(z, c)))

    def _pdf(self, z, c):
        return (1.0 - c) * (1.0 + c) / (2.0 * math.pi * self._denominator(z, c))

    def _cdf(self, z, c):
        cr = (1.0 + c) / (1.0 - c)
        # arctan(cr tan(z/2)) / π below π and its mirror above; at z = π itself both are 1/2
        return piecewise(z < math.pi, z,
                         lambda v: wnp.arctan(cr * wnp.tan(v / 2.0)) / math.pi,
                         lambda v: 1.0 - wnp.arctan(cr * wnp.tan((2.0 * math.pi - v) / 2.0))
                         / math.pi, 1.0, 4.0)

    def _sf(self, z, c):
        return self._cdf(2.0 * math.pi - z, c)

    def _ppf(self, q, c):
        # the cdf's inverse on each half: 2 arctan(r tan(πq)) below 1/2 and its mirror
        # 2π - 2 arctan(r tan(π(1 - q))) above (as SciPy's), r = (1 - c)/(1 + c)
        r = (1.0 - c) / (1.0 + c)
        return piecewise(q < 0.5, q, lambda v: 2.0 * wnp.arctan(r * wnp.tan(math.pi * v)),
                         lambda v: 2.0 * math.pi
                         - 2.0 * wnp.arctan(r * wnp.tan(math.pi * (1.0 - v))), 0.25, 0.75)

    def _isf(self, q, c):
        # symmetric about π: isf(q) = 2π - ppf(q), each half written without the
        # difference that would cancel near 0
        r = (1.0 - c) / (1.0 + c)
        return piecewise(q < 0.5, q, lambda v: 2.0 * math.pi
                         - 2.0 * wnp.arctan(r * wnp.tan(math.pi * v)),
                         lambda v: 2.0 * wnp.arctan(r * wnp.tan(math.pi * (1.0 - v))),
                         0.25, 0.75)

    def _stats(self, c):
        # symmetric about π; E(X - π)² = π²/3 + 4 Σ cⁿ/n² = π²/3 + 4 Li₂(c) (the Fourier
        # series of the density; SciPy integrates numerically)
        return math.pi + 0.0 * c, math.pi ** 2 / 3.0 + 4.0 * _dilog(c)

    def _entropy(self, c):
        return _LOG2PI + wnp.log1p(-c * c)


def _dilog(c):
    """``Li₂(c) = Σ cⁿ/n²`` for ``0 <= c < 1``: the series at ``x = min(c, 1 - c) <= 1/2``
    (60 terms: 0.5⁶⁰ is below an ulp), with Euler's reflection
    ``Li₂(c) = π²/6 - log(c) log(1 - c) - Li₂(1 - c)`` above 1/2."""
    hi = c > 0.5
    x = wnp.where(hi, 1.0 - c, c)  # exact for c > 1/2
    total, power = 0.0, 1.0
    for n in range(1, 61):
        power = power * x
        total = total + power / float(n * n)
    ch = safe(hi, c, 0.75)
    return wnp.where(hi, math.pi ** 2 / 6.0 - wnp.log(ch) * wnp.log1p(-ch) - total, total)


class vonmises_gen(ContinuousDistribution):
    """The von Mises distribution with concentration ``kappa >= 0``: density
    ``exp(κ cos z) / (2π I₀(κ))``, periodic on the whole line as SciPy's. ``logpdf``,
    ``pdf``, ``entropy``, and ``cdf``/``sf`` (and their logs) by SciPy's algorithm: each
    whole turn adds 1 to the cdf, so past ``π`` it exceeds 1 and ``sf`` is negative, as in
    SciPy (moments and quantiles are not implemented).

    >>> from wire.scipy.stats import vonmises
    >>> round(float(vonmises.pdf(0.0, 0.0)), 12)      # kappa = 0: uniform on the circle
    0.159154943092
    >>> round(float(vonmises.cdf(1.0, 2.0)), 12)
    0.889577736955
    """

    name = "vonmises"
    shapes = ("kappa",)
    shape_fill = (1.0,)

    def _argcheck(self, kappa):
        return kappa >= 0

    def _prepare(self, method, x, args, kwds):
        z, zr, s, scale, valid, (mask, dtype), d = super()._prepare(method, x, args, kwds)
        if method in ("logpdf", "pdf"):
            # a periodic density has no limit at ±inf: NaN there, as SciPy's cos(inf); the
            # cdf there is 0 or 1, the ends of the support (as SciPy's)
            mask = wnp.logical_or(mask, wnp.isinf(zr))
        return z, zr, s, scale, valid, (mask, dtype), d

    def _logpdf(self, z, kappa):
        # I₀(κ) = i0e(κ) e^κ: no overflow for large κ
        return kappa * (wnp.cos(z) - 1.0) - _LOG2PI - wnp.log(sc.i0e(kappa))

    def _cdf(self, z, kappa):
        # SciPy's algorithm (von_mises_cdf): z reduced to [-π, π] by whole turns, each turn
        # adding 1; below κ = 50 the series of I_n(κ)/I_0(κ) sin(n z)/n summed backwards
        # from p(κ) terms, at and above a normal approximation
        turns = wnp.round(z / _2PI)
        x = z - turns * _2PI
        small = kappa < _CK
        k = safe(small, kappa, 1.0)
        p = wnp.floor(1.0 + _A1 + _A2 * k - _A3 / (k + _A4))  # SciPy's <int> of a positive
        s, c = wnp.sin(x), wnp.cos(x)
        sp, cp = wnp.sin(p * x), wnp.cos(p * x)
        sn = cn = r = v = 0.0
        for n in range(_P_MAX - 1, 0, -1):
            start = p == n + 1  # where the recurrence starts: sin(p x), cos(p x)
            sn, cn = wnp.where(start, sp, sn), wnp.where(start, cp, cn)
            sn, cn = sn * c - cn * s, cn * c + sn * s
            on = p > n
            r = wnp.where(on, k / (2.0 * n + k * r), 0.0)
            v = wnp.where(on, r * (sn / n + v), 0.0)
        series = 0.5 + x / _2PI + v / math.pi
        series = wnp.where(series < 0.0, 0.0, wnp.where(series > 1.0, 1.0, series))  # SciPy's
        big = safe(small, 1.0, kappa)
        approx = sc.ndtr(_SQRT2_PI / sc.i0e(big) * wnp.sin(x / 2.0))
        return wnp.where(small, series, approx) + turns

    def _sf(self, z, kappa):
        return 1.0 - self._cdf(z, kappa)  # as SciPy's: below 0 past π, as the cdf passes 1

    def _stats(self, kappa):
        _not_implemented("vonmises", "mean and var")

    def _entropy(self, kappa):
        return (-kappa * sc.i1e(kappa) / sc.i0e(kappa) + _LOG2PI + wnp.log(sc.i0e(kappa))
                + kappa)


gumbel_r = gumbel_r_gen()
gumbel_l = gumbel_l_gen()
pareto = pareto_gen()
gennorm = gennorm_gen()
wrapcauchy = wrapcauchy_gen()
vonmises = vonmises_gen()
