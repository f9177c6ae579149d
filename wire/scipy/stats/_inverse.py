"""Quantiles without a closed form: the ``ppf``/``isf`` of ``gamma``, ``chi2``, ``beta`` and
``t``, as roots of ``log F(z) = log p``.

The root is found by bisection over the whole support (through a monotone map ``z = z(u)``
of the real line, e.g. ``z = exp(u)``) on the smaller tail, in log space, so quantiles of
tail probabilities down to 1e-300 keep their relative accuracy. It is differentiated by the
implicit function theorem (``wire.custom_root``), never through the bisection: ``dz/dq`` is
``1 / pdf(z)`` and ``dz/dθ = -(∂F/∂θ) / pdf(z)``, with the shape derivatives of the
incomplete gamma and beta functions.
"""

from __future__ import annotations

import numpy as np

from ... import numpy as wnp
from ...api.control_flow import fori_loop
from ...implicit import custom_root

_STEPS = 80  # halvings of a bracket ~1500 wide in u: far below an ulp of any z


def _elementwise_solve(g, y):
    """``g`` is diagonal (the residual is elementwise): divide by its diagonal."""
    return y / g(wnp.ones_like(y))


def quantile(dist, q, shapes, upper: bool):
    """The standardized ``z`` with ``cdf(z) = q`` (``upper``: ``sf(z) = q``), elementwise."""
    lo_u, hi_u = dist.u_range
    # the smaller tail: cdf below the median of q, sf above (1 - q is exact there)
    small = q <= 0.5
    p = wnp.where(small, q, 1.0 - q)
    left = wnp.logical_not(small) if upper else small  # is the tail on the left of z?
    log_p = wnp.log(p)

    def residual(u):  # increasing in u on both sides
        z = dist.z_of_u(u)
        from_left = dist._logcdf(z, *shapes) - log_p
        from_right = log_p - dist._logsf(z, *shapes)
        return wnp.where(left, from_left, from_right)

    def bisect(f, u0):
        lo = wnp.full_like(u0, lo_u)
        hi = wnp.full_like(u0, hi_u)

        def halve(i, bracket):
            a, b = bracket
            mid = 0.5 * (a + b)
            below = f(mid) < 0
            return wnp.where(below, mid, a), wnp.where(below, b, mid)

        a, b = fori_loop(0, _STEPS, halve, (lo, hi))
        u = 0.5 * (a + b)
        # a root beyond the bracket is a quantile beyond the doubles: the end of the support
        u = wnp.where(f(hi) < 0, np.inf, u)
        return wnp.where(f(lo) > 0, -np.inf, u)

    guess = wnp.zeros_like(log_p + sum(0.0 * s for s in shapes))
    u = custom_root(residual, guess, bisect, _elementwise_solve)
    return dist.z_of_u(u)


class NumericQuantiles:
    """Mixin: ``_ppf``/``_isf`` by :func:`quantile` for a distribution that defines
    ``z_of_u`` and ``u_range``."""

    def _ppf(self, q, *shapes):
        return quantile(self, q, shapes, upper=False)

    def _isf(self, q, *shapes):
        return quantile(self, q, shapes, upper=True)

