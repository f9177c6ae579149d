"""More discrete distributions: ``geom``, ``nbinom``, ``betabinom``.

``geom``'s cdf and sf are closed forms (``1 - (1 - p)^k`` as ``-expm1(k log1p(-p))``);
``nbinom``'s are regularized incomplete beta functions of ``p``, differentiable in ``n`` and
``p``. ``betabinom``'s cdf and sf are sums of its pmf over ``0..n`` (as SciPy's cdf; ``n``
concrete), the sf summing the upper terms so that its far tail keeps its accuracy.
"""

from __future__ import annotations


import numpy as np

from ... import numpy as wnp
from ...core import Tracer
from ...errors import WireTypeError, at, user_location
from .. import special as sc
from ._continuous import _beta_log_tail
from ._distn import DiscreteDistribution, both, log_of, safe


class geom_gen(DiscreteDistribution):
    """The geometric distribution: the number of trials up to the first success, ``k >= 1``.

    >>> from wire.scipy.stats import geom
    >>> round(float(geom.pmf(3, 0.5)), 15)
    0.125
    >>> float(geom.sf(2, 0.5))
    0.25
    """

    name = "geom"
    shapes = ("p",)
    shape_fill = (0.5,)
    lower = 1.0

    def _argcheck(self, p):
        return both(p > 0, p <= 1)

    def _logpmf(self, k, p):
        return sc.xlog1py(k - 1.0, -p) + wnp.log(p)

    def _cdf(self, k, p):
        return -wnp.expm1(sc.xlog1py(k, -p))

    def _sf(self, k, p):
        return wnp.exp(sc.xlog1py(k, -p))

    def _logsf(self, k, p):
        return sc.xlog1py(k, -p)

    def _stats(self, p):
        return 1.0 / p, (1.0 - p) / (p * p)

    def _entropy(self, p):
        return -sc.xlog1py(1.0 - p, -p) / p - wnp.log(p)


class nbinom_gen(DiscreteDistribution):
    """The negative binomial distribution: failures before the ``n``-th success (``n > 0``,
    real), success probability ``p``.

    >>> from wire.scipy.stats import nbinom
    >>> round(float(nbinom.pmf(2, 3, 0.5)), 12)
    0.1875
    """

    name = "nbinom"
    shapes = ("n", "p")
    shape_fill = (1.0, 0.5)

    def _argcheck(self, n, p):
        return both(n > 0, p > 0, p <= 1)

    def _logpmf(self, k, n, p):
        comb = sc.gammaln(n + k) - sc.gammaln(n) - sc.gammaln(k + 1.0)
        return comb + n * wnp.log(p) + sc.xlog1py(k, -p)

    def _cdf(self, k, n, p):
        return sc.betainc(n, k + 1.0, p)

    def _sf(self, k, n, p):  # not I_(1-p)(k + 1, n): 1 - p rounds away a small p
        return sc.betaincc(n, k + 1.0, p)

    # the log tails past underflow by beta's continued fraction (log I_p(n, k + 1) and
    # log I_(1-p)(k + 1, n)): nbinom.logcdf(3, 500, 0.3) was -inf (SciPy's too), the truth
    # -590.2
    def _logcdf(self, k, n, p):
        def near(far):
            ps = safe(far, 0.5, p)
            return log_of(self._cdf(k, n, ps), self._sf(k, n, ps))
        return _beta_log_tail(p, n, k + 1.0, near)

    def _logsf(self, k, n, p):
        def near(far):
            ps = safe(far, 0.5, p)
            return log_of(self._sf(k, n, ps), self._cdf(k, n, ps))
        return _beta_log_tail(1.0 - p, k + 1.0, n, near)

    def _stats(self, n, p):
        q = 1.0 - p
        return n * q / p, n * q / (p * p)


class betabinom_gen(DiscreteDistribution):
    """The beta-binomial distribution: ``n`` trials whose success probability is drawn from
    ``Beta(a, b)``. ``logpmf``, ``pmf``, ``mean``, ``var``, and ``cdf``, ``sf``, ``logcdf``,
    ``logsf`` as sums of the pmf (``n`` concrete; ``k``, ``a``, ``b`` may be traced).

    >>> from wire.scipy.stats import betabinom
    >>> round(float(betabinom.pmf(1, 2, 1.0, 1.0)), 12)     # a = b = 1: uniform on 0..n
    0.333333333333
    >>> round(float(betabinom.cdf(1, 2, 1.0, 1.0)), 12)
    0.666666666667
    """

    name = "betabinom"
    shapes = ("n", "a", "b")
    shape_fill = (1.0, 1.0, 1.0)

    def _argcheck(self, n, a, b):
        return both(n >= 0, wnp.floor(n) == n, a > 0, b > 0)

    def _upper(self, n, a, b):
        return n

    def _logpmf(self, k, n, a, b):
        comb = -wnp.log(n + 1.0) - sc.betaln(n - k + 1.0, k + 1.0)
        return comb + sc.betaln(k + a, n - k + b) - sc.betaln(a, b)

    def _safe_shapes(self, valid, shapes):
        # n keeps its own mask: concrete where it is (the sums need its largest value) although
        # a traced a or b makes ``valid`` traced; the NaN mask covers the rest
        n, a, b = shapes
        n_ok = both(n >= 0, wnp.floor(n) == n)
        return [safe(n_ok, n, 1.0), safe(valid, a, 1.0), safe(valid, b, 1.0)]

    def _terms(self, k, n, a, b):
        """The pmf at ``m = 0 … max(n)`` on a new leading axis, 0 past each ``n``, and the
        masks ``m <= k`` and ``k < m <= n`` (SciPy sums the pmf the same way)."""
        if isinstance(n, Tracer):
            raise WireTypeError(
                f"betabinom's cdf, sf and their logs sum the pmf over 0..n: n must be concrete "
                f"(k, a and b may be traced){at(user_location())}")
        n = np.asarray(n, np.float64)
        top = int(np.max(n[np.isfinite(n)], initial=0.0))
        shape = np.broadcast_shapes(np.shape(n), tuple(wnp.shape(k)), tuple(wnp.shape(a)),
                                    tuple(wnp.shape(b)))
        m = np.arange(top + 1.0).reshape((top + 1,) + (1,) * len(shape))
        real = m <= n
        pmf = wnp.where(real, self._pmf(np.where(real, m, 0.0), n, a, b), 0.0)
        return pmf, m <= k, wnp.logical_and(m > k, real)

    def _cdf(self, k, n, a, b):
        pmf, below, _ = self._terms(k, n, a, b)
        return wnp.sum(wnp.where(below, pmf, 0.0), axis=0)

    def _sf(self, k, n, a, b):
        # the upper terms themselves, not 1 - cdf: the far upper tail keeps its accuracy
        pmf, _, above = self._terms(k, n, a, b)
        return wnp.sum(wnp.where(above, pmf, 0.0), axis=0)


    def _stats(self, n, a, b):
        s = a + b
        return n * a / s, n * a * b * (s + n) / (s * s * (s + 1.0))


geom = geom_gen()
nbinom = nbinom_gen()
betabinom = betabinom_gen()
