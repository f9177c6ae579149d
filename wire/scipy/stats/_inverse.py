"""Quantiles without a closed form: the ``ppf``/``isf`` of ``gamma``, ``chi2``, ``beta`` and
``t``, as roots of ``F(z) = p`` on the smaller tail ``p``.

The root is bracketed by bisection over the whole support (through a monotone map
``z = z(u)`` of the real line, e.g. ``z = exp(u)``), then the bracket's ends, two doubles
``z(a) < z(b)``, are bisected in ``z`` itself down to adjacent doubles, and the nearer one
is the quantile: ``z(u)`` alone is only as accurate as ``u`` (``exp(-690.8)`` carries
690.8 ulps of ``u``, a relative 1.5e-13). The residual is ``log(P(z) / p)`` with the
tail probability ``P`` itself where ``p`` is a normal double (accurate to an ulp where the
difference of logs, ``log P - log p`` near -690, is only accurate to 1e-13), and
``log P - log p`` below, so quantiles of tail probabilities down to 1e-320 are found. It is
differentiated by the implicit function theorem (``wire.custom_root``), never through the
bisection: ``dz/dq`` is ``1 / pdf(z)`` and ``dz/dθ = -(∂F/∂θ) / pdf(z)``, with the shape
derivatives of the incomplete gamma and beta functions.
"""

from __future__ import annotations

import numpy as np

from ... import numpy as wnp
from ...api.control_flow import fori_loop
from ...implicit import custom_root
from ._distn import both, safe

_STEPS = 80  # halvings of a bracket ~1500 wide in u: far below an ulp of any z
_Z_STEPS = 24  # halvings of the bracket in z, ~1e-13 relative after the steps in u
_P_NORMAL = 1e-300  # below this p, the linear tail probability loses its relative accuracy


def _elementwise_solve(g, y):
    """``g`` is diagonal (the residual is elementwise): divide by its diagonal."""
    return y / g(wnp.ones_like(y))


def quantile(dist, q, shapes, upper):
    """The standardized ``z`` with ``cdf(z) = q`` (``upper``: ``sf(z) = q``), elementwise
    (``upper`` a bool or a boolean array)."""
    lo_u, hi_u = dist.u_range
    # the smaller tail: cdf below the median of q, sf above (1 - q is exact there)
    small = q <= 0.5
    p = wnp.where(small, q, 1.0 - q)
    # is the tail on the left of z?
    left = wnp.where(upper, wnp.logical_not(small), small) if not isinstance(upper, bool) \
        else (wnp.logical_not(small) if upper else small)
    log_p = wnp.log(p)
    normal = p >= _P_NORMAL
    p_lin = safe(normal, p, 1.0)

    def residual(z):  # increasing in z on both sides
        # the tail probability itself where p is normal: log(P/p) is then accurate to an ulp
        z_lin = safe(normal, z, dist.interior)
        prob = dist._tail_probability(z_lin, left, shapes, False)
        # (and where the probability is a normal double too: t's cdf is 0 past |z| ~ 1e154,
        # where its log is still accurate, t.ppf(1e-300, 1) is -3.2e299)
        lin = both(normal, prob >= _P_NORMAL)
        linear = wnp.log(safe(lin, prob, 1.0) / p_lin)
        z_log = safe(lin, dist.interior, z)
        log_prob = dist._tail_probability(z_log, left, shapes, True)
        logs = wnp.where(left, log_prob - log_p, log_p - log_prob)
        return wnp.where(lin, wnp.where(left, linear, -linear), logs)

    def bisect(f, z0):
        lo = wnp.full_like(z0, lo_u)
        hi = wnp.full_like(z0, hi_u)

        def halve(i, bracket):
            a, b = bracket
            mid = 0.5 * (a + b)
            below = f(dist.z_of_u(mid)) < 0
            return wnp.where(below, mid, a), wnp.where(below, b, mid)

        a, b = fori_loop(0, _STEPS, halve, (lo, hi))
        # f(z(a)) < 0 <= f(z(b)) (or the ends of the range): bisect the doubles in between
        za, zb = dist.z_of_u(a), dist.z_of_u(b)

        def halve_z(i, bracket):
            a, b = bracket
            mid = a + 0.5 * (b - a)
            below = f(mid) < 0
            return wnp.where(below, mid, a), wnp.where(below, b, mid)

        za, zb = fori_loop(0, _Z_STEPS, halve_z, (za, zb))
        z = wnp.where(wnp.abs(f(za)) < wnp.abs(f(zb)), za, zb)
        # a root beyond the bracket is a quantile beyond the doubles: the end of the support
        z = wnp.where(f(dist.z_of_u(hi)) < 0, dist.z_of_u(np.inf), z)
        return wnp.where(f(dist.z_of_u(lo)) > 0, dist.z_of_u(-np.inf), z)

    # where the quantile is beyond the doubles (at a support end, or rounded to it: beta's
    # ppf(1e-10; 0.01, 5) is 1e-1000), it is that end, a constant: the root is found at a safe
    # p instead (the residual's derivatives at the end are inf/0, and NaN leaked into the
    # derivatives through the zero cotangent; the truth, 1/pdf there, rounds to 0)
    beyond = wnp.logical_or(residual(dist.z_of_u(wnp.full_like(log_p, lo_u))) > 0,
                            residual(dist.z_of_u(wnp.full_like(log_p, hi_u))) < 0)
    ends = wnp.where(residual(dist.z_of_u(wnp.full_like(log_p, lo_u))) > 0,
                     dist.z_of_u(-np.inf), dist.z_of_u(np.inf))
    p, log_p = safe(beyond, 0.5, p), safe(beyond, np.log(0.5), log_p)
    normal = p >= _P_NORMAL
    p_lin = safe(normal, p, 1.0)

    guess = wnp.zeros_like(log_p + sum(0.0 * s for s in shapes))
    z = custom_root(residual, guess, bisect, _elementwise_solve)
    return wnp.where(beyond, ends, z)


def reflected_quantile(dist, q, shapes, upper, flip, reflect):
    """:func:`quantile` for a distribution on ``[0, 1]`` whose mirror image ``1 - X`` is the
    same family with the shapes ``reflect(shapes)`` (beta: ``(b, a)``): where ``flip`` (the
    quantile is close to 1) it is ``1 - `` the mirror's opposite quantile, found where the
    doubles are dense (above 1/2 they are 2^-53 apart: beta.isf(1e-300, 3, 2) was
    0.9999999999999998, the truth 1 - 4e-151)."""
    mirrored = reflect(shapes)
    s = [wnp.where(flip, m, v) for v, m in zip(shapes, mirrored)]
    w = quantile(dist, q, s, wnp.logical_xor(flip, upper))
    return wnp.where(flip, 1.0 - w, w)


class NumericQuantiles:
    """Mixin: ``_ppf``/``_isf`` by :func:`quantile` for a distribution that defines
    ``z_of_u`` and ``u_range``."""

    def _tail_probability(self, z, left, shapes, log):
        """The cdf at ``z`` where ``left``, else the sf (their logs if ``log``); a symmetric
        distribution overrides it with one evaluation of the cdf (the residual's graph is
        evaluated ~100 times per quantile)."""
        if log:
            return wnp.where(left, self._logcdf(z, *shapes), self._logsf(z, *shapes))
        return wnp.where(left, self._cdf(z, *shapes), self._sf(z, *shapes))

    def _ppf(self, q, *shapes):
        return quantile(self, q, shapes, upper=False)

    def _isf(self, q, *shapes):
        return quantile(self, q, shapes, upper=True)
