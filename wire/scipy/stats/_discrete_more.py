"""More discrete distributions: ``geom``, ``nbinom``, ``betabinom``.

``geom``'s cdf and sf are closed forms (``1 - (1 - p)^k`` as ``-expm1(k log1p(-p))``);
``nbinom``'s are regularized incomplete beta functions of ``p``, differentiable in ``n`` and
``p``. ``betabinom`` gives ``logpmf``, ``pmf`` and its moments (SciPy sums its cdf
numerically; not here).
"""

from __future__ import annotations


from ... import numpy as wnp
from ...errors import WireTypeError, at, user_location
from .. import special as sc
from ._distn import DiscreteDistribution, both


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

    def _sf(self, k, n, p):
        return sc.betainc(k + 1.0, n, 1.0 - p)

    def _stats(self, n, p):
        q = 1.0 - p
        return n * q / p, n * q / (p * p)


class betabinom_gen(DiscreteDistribution):
    """The beta-binomial distribution: ``n`` trials whose success probability is drawn from
    ``Beta(a, b)``. ``logpmf``, ``pmf``, ``mean``, ``var``.

    >>> from wire.scipy.stats import betabinom
    >>> round(float(betabinom.pmf(1, 2, 1.0, 1.0)), 12)     # a = b = 1: uniform on 0..n
    0.333333333333
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

    def _cdf(self, k, n, a, b):
        raise WireTypeError(
            f"betabinom's cdf, sf and their logs are not implemented in wire.scipy.stats (SciPy "
            f"sums the pmf numerically); see docs/scipy.md for the coverage{at(user_location())}")

    _sf = _logcdf = _logsf = _cdf

    def _stats(self, n, a, b):
        s = a + b
        return n * a / s, n * a * b * (s + n) / (s * s * (s + 1.0))


geom = geom_gen()
nbinom = nbinom_gen()
betabinom = betabinom_gen()
