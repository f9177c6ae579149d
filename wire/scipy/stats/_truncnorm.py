"""``truncnorm``: the standard normal truncated to ``[a, b]`` (SciPy's standardized
bounds), then shifted by ``loc`` and scaled by ``scale``.

Every probability is a difference of normal cdfs taken in log space: the mass
``log(Φ(b) - Φ(a))`` is ``log Φ(b) + log(1 - e^(log Φ(a) - log Φ(b)))`` below 0, its mirror
above 0 and ``log1p(-Φ(a) - Φ(-b))`` across it, so intervals far in a tail (``a = 30``)
keep their relative accuracy. ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``
(JAX's set); ``ppf``/``isf`` as SciPy computes them (``ndtri_exp`` of a log-space
probability, from the lower tail or mirrored); ``mean``, ``var``, ``std``, ``stats`` (up to
``'mvsk'``) and ``entropy`` by SciPy's closed forms in the densities at the ends.
"""

from __future__ import annotations

import math

import numpy as np

from ... import numpy as wnp
from ...errors import WireTypeError, at, user_location
from .. import special as sc
from ._continuous import _log1mexp
from ._distn import (ContinuousDistribution, as_float, both, broadcast_like, cast,
                     nan_in_nan_out, nan_propagating, quiet, result_dtype, safe)

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG2 = math.log(2.0)
_GAUSS_LEGENDRE_8 = tuple(tuple(float(v) for v in arr)
                          for arr in np.polynomial.legendre.leggauss(8))


def _log_ndtr(x):
    """``log Φ(x)``, exactly ``-inf`` at ``x = -inf`` with derivatives 0 there (``log_ndtr``'s
    derivative ``~ -x`` is infinite there, and a zero tangent times it NaN)."""
    low = x == -np.inf
    return wnp.where(low, -np.inf, sc.log_ndtr(safe(low, 0.0, x)))


def _log_mass(a, b):
    """``log(Φ(b) - Φ(a))`` for ``a <= b`` (``-inf`` for ``a = b``)."""
    def lower_side(lo, hi):  # hi <= 0: log Φ(hi) + log(1 - Φ(lo)/Φ(hi))
        lhi, llo = _log_ndtr(hi), _log_ndtr(lo)
        gap = lhi - llo  # >= 0; 0 at lo = hi
        pos = gap > 0
        return wnp.where(pos, lhi + _log1mexp(safe(pos, gap, 1.0)), -np.inf)

    below = b <= 0
    above = a >= 0
    lo_b = lower_side(safe(below, a, -1.0), safe(below, b, 0.0))
    hi_a = lower_side(-safe(above, b, 1.0), -safe(above, a, 0.0))
    mid = both(wnp.logical_not(below), wnp.logical_not(above))
    across = wnp.log1p(-sc.ndtr(safe(mid, a, -1.0)) - sc.ndtr(-safe(mid, b, 1.0)))
    out = wnp.where(below, lo_b, wnp.where(above, hi_a, across))
    # a short interval: the difference of the two cdfs (or of their logs) cancels, to an
    # absolute error of an ulp of the larger: truncnorm.sf(-1e-10, -inf, 0) was 7.3e-7
    # relative off (as SciPy's), sf(-1e-300, -inf, 0) 0 (the truth 8e-301), logsf -inf.
    # There the mass is φ(m) ∫ e^(-m s - s²/2) ds over [-h, h] (m, h the interval's centre
    # and half-width) by Gauss-Legendre: with |m| h and h at most 1/4 the integrand is
    # e^(a quadratic below 0.28 in size), 8 points exact to rounding, every derivative too
    h, m = 0.5 * b - 0.5 * a, 0.5 * a + 0.5 * b
    short = both(h > 0, h <= 0.25, abs(m) * h <= 0.25)
    hs, ms = safe(short, h, 0.1), safe(short, m, 0.0)
    quad = 0.0 * hs
    for node, weight in zip(*_GAUSS_LEGENDRE_8):
        s = hs * node
        quad = quad + weight * wnp.exp(-ms * s - 0.5 * s * s)
    near = -0.5 * ms * ms - _LOG_SQRT_2PI + wnp.log(hs) + wnp.log(quad)
    return wnp.where(short, near, out)


class truncnorm_gen(ContinuousDistribution):
    """The truncated normal distribution on the standardized interval ``[a, b]``.

    >>> from wire.scipy.stats import truncnorm
    >>> round(float(truncnorm.cdf(0.0, -1.0, 1.0)), 12)
    0.5
    >>> round(float(truncnorm.logpdf(30.5, 30.0, 31.0)), 9)       # far in the tail
    -11.722694577
    >>> round(float(truncnorm.ppf(0.5, 30.0, 31.0)), 9)           # the median there
    30.023070468
    >>> round(float(truncnorm.mean(-1.0, 1.0)), 12), round(float(truncnorm.var(0.0, np.inf)), 9)
    (0.0, 0.363380228)
    """

    name = "truncnorm"
    shapes = ("a", "b")
    shape_fill = (-1.0, 1.0)

    def _argcheck(self, a, b):
        return a < b

    @staticmethod
    def _interior(a, b):
        """A point strictly inside ``(a, b)``, for either end infinite too."""
        fa, fb = wnp.isfinite(a), wnp.isfinite(b)
        af, bf = safe(fa, a, 0.0), safe(fb, b, 0.0)
        return wnp.where(both(fa, fb), 0.5 * af + 0.5 * bf,
                         wnp.where(fa, af + 1.0, wnp.where(fb, bf - 1.0, 0.0)))

    def _setup(self, method, x, args, kwds):
        z, zr, (a, b), scale, valid, bad, d = self._prepare(method, x, args, kwds)
        inside = both(valid, zr >= a, zr <= b, wnp.isfinite(zr))
        return safe(inside, z, self._interior(a, b)), zr, a, b, scale, inside, bad

    def logpdf(self, x, *args, **kwds):
        """Log-density (``-inf`` outside ``[a, b]``)."""
        z, zr, a, b, scale, inside, bad = self._setup("logpdf", x, args, kwds)
        val = -0.5 * z * z - _LOG_SQRT_2PI - _log_mass(a, b) - wnp.log(scale)
        return self._finish(wnp.where(inside, val, -np.inf), bad)

    def pdf(self, x, *args, **kwds):
        """Density (0 outside ``[a, b]``)."""
        return wnp.exp(self.logpdf(x, *args, **kwds))

    def _tails(self, method, x, args, kwds, kind):
        """``kind`` in cdf, sf, logcdf, logsf. At an end of the support the value is exact
        (0, 1, -inf or 0) and the derivative in ``x`` the one-sided one from inside, the pdf
        there: a linear term ``(z - a) pdf(a)`` (or ``(b - z) pdf(b)``) adds it."""
        z, zr, a, b, scale, inside, bad = self._setup(method, x, args, kwds)
        at_a, at_b = both(inside, zr == a), both(inside, zr == b)
        ok = both(inside, wnp.logical_not(at_a), wnp.logical_not(at_b))
        mid = self._interior(a, b)
        zo = safe(ok, z, mid)
        mass = _log_mass(a, b)
        lc = _log_mass(a, zo) - mass
        ls = _log_mass(zo, b) - mass
        upper = kind in ("sf", "logsf")
        mine, other = (ls, lc) if upper else (lc, ls)
        # the log of a probability near 1 from its small complement: the direct difference
        # of two logs of the size of log Φ(-30) = -454 would keep only absolute accuracy
        small = other < -_LOG2
        logv = wnp.where(small, wnp.log1p(-wnp.exp(safe(small, other, -1.0))), mine)

        def density(e):  # the standardized pdf at a finite end e
            es = safe(wnp.isfinite(e), e, mid)
            return wnp.exp(-0.5 * es * es - _LOG_SQRT_2PI - mass)

        # 0 at z = a, derivative pdf(a); 0 with derivative 0 away from the end (z - z), so
        # that log1p(-ea) in an unused branch stays finite, to every order
        ea = (z - safe(at_a, a, z)) * density(a)
        eb = (safe(at_b, b, z) - z) * density(b)  # likewise at b, derivative -pdf(b)
        if kind == "cdf":
            val = wnp.where(at_a, ea, wnp.where(at_b, 1.0 - eb, wnp.exp(logv)))
            below, above = 0.0, 1.0
        elif kind == "sf":
            val = wnp.where(at_a, 1.0 - ea, wnp.where(at_b, eb, wnp.exp(logv)))
            below, above = 1.0, 0.0
        elif kind == "logcdf":
            val = wnp.where(at_a, -np.inf, wnp.where(at_b, wnp.log1p(-eb), logv))
            below, above = -np.inf, 0.0
        else:
            val = wnp.where(at_b, -np.inf, wnp.where(at_a, wnp.log1p(-ea), logv))
            below, above = 0.0, -np.inf
        # outside the support: beyond b (or +inf), or below a (or -inf)
        beyond = both(wnp.logical_not(inside), zr > a)
        return self._finish(wnp.where(inside, val, wnp.where(beyond, above, below)), bad)

    def cdf(self, x, *args, **kwds):
        """P(X <= x)."""
        return self._tails("cdf", x, args, kwds, "cdf")

    def sf(self, x, *args, **kwds):
        """P(X > x)."""
        return self._tails("sf", x, args, kwds, "sf")

    def logcdf(self, x, *args, **kwds):
        """log P(X <= x)."""
        return self._tails("logcdf", x, args, kwds, "logcdf")

    def logsf(self, x, *args, **kwds):
        """log P(X > x)."""
        return self._tails("logsf", x, args, kwds, "logsf")

    def _quantiles(self, method, q, args, kwds, upper):
        *shapes, loc, scale = self._parse(method, args, kwds)
        q = as_float(q)
        dtype = result_dtype(q, loc, scale, *shapes)  # before `safe` makes scale an array
        valid = both(self._argcheck(*shapes), scale > 0)
        scale = safe(valid, scale, 1.0)
        a, b = self._safe_shapes(valid, shapes)
        inside = both(valid, q > 0, q < 1)
        qs = safe(inside, q, 0.5)
        # in [a, b]: the mirrored tail's rounding put isf(1e-300, -1, 2) at 2.0000000000000004,
        # outside the support (logpdf -inf there); a quantile rounded to an end has derivative 0
        val = wnp.minimum(wnp.maximum((_isf if upper else _ppf)(qs, a, b), a), b)
        first, last = (b, a) if upper else (a, b)  # the quantiles at q = 0 and q = 1
        out = wnp.where(inside, val, wnp.where(q == 0, first, wnp.where(q == 1, last, np.nan)))
        out = out * scale + loc
        return cast(wnp.where(valid, out, np.nan), dtype)

    def ppf(self, q, *args, **kwds):
        """The quantile: the inverse of ``cdf`` (``a`` at 0, ``b`` at 1, in scale)."""
        return self._quantiles("ppf", q, args, kwds, upper=False)

    def isf(self, q, *args, **kwds):
        """The inverse of ``sf``."""
        return self._quantiles("isf", q, args, kwds, upper=True)

    def _stats(self, a, b):
        m = _moments(a, b)
        return m[0], m[1]

    def _entropy(self, a, b):
        # SciPy's (log(sqrt(2πe) Z) + (a φ(a) - b φ(b)) / 2Z) with Z in log space and each
        # φ(end) Z⁻¹ taken as 0 at an infinite end, so that tails (a = 30) and infinite ends
        # keep their value (SciPy's gives NaN for both)
        mass = _log_mass(a, b)
        pa, pb, af, bf = _end_densities(a, b, mass)
        return 0.5 * math.log(2.0 * math.pi * math.e) + mass + 0.5 * (af * pa - bf * pb)

    def stats(self, *args, moments="mv", **kwds):
        """Mean, variance, skewness and excess kurtosis (any of ``'mvsk'``, in that order),
        SciPy's closed forms from the density at the ends."""
        if set(moments) - set("mvsk"):
            raise WireTypeError(f"truncnorm.stats: moments must be letters of 'mvsk', got "
                                f"{moments!r}{at(user_location())}")
        s, loc, scale, valid = self._moments("stats", args, kwds)
        mu, mu2, g1, g2 = _moments(*s)
        got = {"m": mu * scale + loc, "v": broadcast_like(mu2 * (scale * scale), loc),
               "s": broadcast_like(g1, loc, scale), "k": broadcast_like(g2, loc, scale)}
        inputs = list(args) + [v for v in kwds.values() if v is not None]
        out = [nan_in_nan_out(wnp.where(valid, got[c], np.nan), inputs)
               for c in "mvsk" if c in moments]
        return out[0] if len(out) == 1 else tuple(out)


def _end_densities(a, b, mass):
    """The standardized truncated density at ``a`` and ``b`` (0 at an infinite end) and the
    ends with their infinite values replaced by 0 (the products ``a pdf(a)`` … then vanish, as
    their limits do)."""
    fa, fb = wnp.isfinite(a), wnp.isfinite(b)
    af, bf = safe(fa, a, 0.0), safe(fb, b, 0.0)
    pa = wnp.where(fa, wnp.exp(-0.5 * af * af - _LOG_SQRT_2PI - mass), 0.0)
    pb = wnp.where(fb, wnp.exp(-0.5 * bf * bf - _LOG_SQRT_2PI - mass), 0.0)
    return pa, pb, af, bf


def _moments(a, b):
    """SciPy's mean, variance, skewness and excess kurtosis of the standardized truncnorm."""
    pa, pb, af, bf = _end_densities(a, b, _log_mass(a, b))
    m1 = pa - pb
    m2 = 1.0 + pa * af - pb * bf
    mu2 = 1.0 + pa * (af - m1) - pb * (bf - m1)  # SciPy's stable form of m2 - m1²
    m3 = 2.0 * m1 + pa * af * af - pb * bf * bf
    m4 = 3.0 * m2 + pa * af ** 3 - pb * bf ** 3
    mu3 = m3 + m1 * (-3.0 * m2 + 2.0 * m1 * m1)
    mu4 = m4 + m1 * (-4.0 * m3 + 3.0 * m1 * (2.0 * m2 - m1 * m1))
    return m1, mu2, mu3 / mu2 ** 1.5, mu4 / (mu2 * mu2) - 3.0


_LOG_LOW = math.log1p(-math.exp(-2.0))


def _ndtri_exp(y):
    """The ``x`` with ``log Φ(x) = y`` (``y <= 0``), as SciPy's ``ndtri_exp``: ``ndtri`` of
    ``e^y`` (of ``-expm1(y)`` mirrored near 0), and below ``y = -700``, where ``e^y``
    underflows, Newton's method on ``log_ndtr`` from the asymptotic ``x² ≈ -2y - log(-2y) -
    log 2π``."""
    near0 = y > _LOG_LOW
    tail = y < -700.0
    mid = wnp.logical_not(wnp.logical_or(near0, tail))
    hi = -sc.ndtri(-wnp.expm1(safe(near0, y, -0.01)))
    body = sc.ndtri(wnp.exp(safe(mid, y, -1.0)))
    yt = safe(tail, y, -800.0)
    x = -wnp.sqrt(-2.0 * yt - wnp.log(-2.0 * yt) - 2.0 * _LOG_SQRT_2PI)
    for _ in range(3):
        lc = sc.log_ndtr(x)
        x = x - (lc - yt) * wnp.exp(lc + 0.5 * x * x + _LOG_SQRT_2PI)
    return wnp.where(near0, hi, wnp.where(tail, x, body))


def _ppf(q, a, b):
    """SciPy's quantile: from the lower tail where ``a < 0``, mirrored from the upper one.
    Each branch sees a valid interval of its own where the other applies (a NaN in an unused
    branch would reach the derivative)."""
    left = a < 0
    al, bl = safe(left, a, -1.0), safe(left, b, 1.0)
    lo = _ndtri_exp(wnp.logaddexp(_log_ndtr(al), wnp.log(q) + _log_mass(al, bl)))
    ar, br = safe(left, 0.0, a), safe(left, 1.0, b)
    hi = -_ndtri_exp(wnp.logaddexp(_log_ndtr(-br), wnp.log1p(-q) + _log_mass(ar, br)))
    return wnp.where(left, lo, hi)


def _isf(q, a, b):
    """The inverse survival function as the quantile of the mirrored distribution, ``-X`` on
    ``[-b, -a]``: SciPy's own ``isf`` takes ``log(e^u - e^v)`` of nearly equal terms in an
    upper tail and loses every digit there (``isf(1e-78, 4.9, inf)`` is 9.8 in SciPy 1.17, the
    truth 19.4); where it is accurate the two agree."""
    return -_ppf(q, -b, -a)


for _name in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"):
    setattr(truncnorm_gen, _name, quiet(nan_propagating(getattr(truncnorm_gen, _name))))
truncnorm_gen.stats = quiet(truncnorm_gen.stats)
del _name

truncnorm = truncnorm_gen()
