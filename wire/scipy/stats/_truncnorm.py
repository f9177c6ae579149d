"""``truncnorm``: the standard normal truncated to ``[a, b]`` (SciPy's standardized
bounds), then shifted by ``loc`` and scaled by ``scale``.

Every probability is a difference of normal cdfs taken in log space: the mass
``log(Φ(b) - Φ(a))`` is ``log Φ(b) + log(1 - e^(log Φ(a) - log Φ(b)))`` below 0, its mirror
above 0 and ``log1p(-Φ(a) - Φ(-b))`` across it, so intervals far in a tail (``a = 30``)
keep their relative accuracy. ``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``
(JAX's set); quantiles and moments are not implemented.
"""

from __future__ import annotations

import math

import numpy as np

from ... import numpy as wnp
from ...errors import WireTypeError, at, user_location
from .. import special as sc
from ._continuous import _log1mexp
from ._distn import ContinuousDistribution, both, nan_propagating, quiet, safe

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG2 = math.log(2.0)


def _log_mass(a, b):
    """``log(Φ(b) - Φ(a))`` for ``a <= b`` (``-inf`` for ``a = b``)."""
    def lower_side(lo, hi):  # hi <= 0: log Φ(hi) + log(1 - Φ(lo)/Φ(hi))
        lhi, llo = sc.log_ndtr(hi), sc.log_ndtr(lo)
        gap = lhi - llo  # >= 0; 0 at lo = hi
        pos = gap > 0
        return wnp.where(pos, lhi + _log1mexp(safe(pos, gap, 1.0)), -np.inf)

    below = b <= 0
    above = a >= 0
    lo_b = lower_side(safe(below, a, -1.0), safe(below, b, 0.0))
    hi_a = lower_side(-safe(above, b, 1.0), -safe(above, a, 0.0))
    mid = both(wnp.logical_not(below), wnp.logical_not(above))
    across = wnp.log1p(-sc.ndtr(safe(mid, a, -1.0)) - sc.ndtr(-safe(mid, b, 1.0)))
    return wnp.where(below, lo_b, wnp.where(above, hi_a, across))


class truncnorm_gen(ContinuousDistribution):
    """The truncated normal distribution on the standardized interval ``[a, b]``.

    >>> from wire.scipy.stats import truncnorm
    >>> round(float(truncnorm.cdf(0.0, -1.0, 1.0)), 12)
    0.5
    >>> round(float(truncnorm.logpdf(30.5, 30.0, 31.0)), 9)       # far in the tail
    -11.722694577
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

    def _not_here(self, *args, **kwds):
        raise WireTypeError(f"truncnorm: quantiles, moments and entropy are not implemented in "
                            f"wire.scipy.stats; see docs/scipy.md for the coverage"
                            f"{at(user_location())}")

    ppf = isf = mean = var = std = entropy = median = interval = _not_here


for _name in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
    setattr(truncnorm_gen, _name, quiet(nan_propagating(getattr(truncnorm_gen, _name))))
del _name

truncnorm = truncnorm_gen()
