"""Discrete distributions: ``poisson``, ``bernoulli``, ``binom``.

Their cdfs are incomplete gamma and beta functions of the parameters (``poisson.cdf(k, mu)
= Q(k + 1, mu)``, ``binom.cdf(k, n, p) = I_{1-p}(n - k, k + 1)``), so they are
differentiable in ``mu`` and ``p`` with the closed-form ``x``-derivatives of those primitives.
"""

from __future__ import annotations

from ... import numpy as wnp
from .. import special as sc
from ._continuous import _beta_log_tail, _gamma_logcdf, _gamma_logsf
from ._distn import DiscreteDistribution, both, log_of, safe


class poisson_gen(DiscreteDistribution):
    """The Poisson distribution with mean ``mu``.

    >>> from wire.scipy.stats import poisson
    >>> round(float(poisson.pmf(2, 3.0)), 12)
    0.224041807655
    >>> import wire
    >>> round(float(wire.grad(poisson.cdf, argnums=1)(2, 3.0)), 12)   # -pmf(2)
    -0.224041807655
    """

    name = "poisson"
    shapes = ("mu",)
    shape_fill = (1.0,)

    def _argcheck(self, mu):
        return mu >= 0

    def _logpmf(self, k, mu):
        return sc.xlogy(k, mu) - sc.gammaln(k + 1.0) - mu

    def _pmf(self, k, mu):  # mu^k e^-mu / k!, the Gamma(k + 1) density: exact at mu = 0
        # at k = inf, SciPy's value: exp(logpmf) (NaN, or 0 for mu = 0)
        inf = wnp.isinf(k)
        return wnp.where(inf, wnp.exp(self._logpmf(safe(inf, k, 0.0), mu)),
                         sc._gamma_density(k + 1.0, mu))

    def _cdf(self, k, mu):
        return sc.gammaincc(k + 1.0, mu)

    def _sf(self, k, mu):
        return sc.gammainc(k + 1.0, mu)

    # the log tails past underflow by gamma's continued fraction and series (log Q(k + 1, mu)
    # and log P(k + 1, mu)): poisson.logcdf(3, 1000) was -inf (SciPy's too), the truth -981.0
    def _logcdf(self, k, mu):
        a = k + 1.0
        return _gamma_logsf(mu, a, lambda v: log_of(sc.gammaincc(a, v), sc.gammainc(a, v)))

    def _logsf(self, k, mu):
        a = k + 1.0
        return _gamma_logcdf(mu, a, lambda v: log_of(sc.gammainc(a, v), sc.gammaincc(a, v)))

    def _stats(self, mu):
        return mu, mu


class binom_gen(DiscreteDistribution):
    """The binomial distribution: ``n`` trials (an integer) with success probability ``p``.

    >>> from wire.scipy.stats import binom
    >>> float(binom.pmf(1, 2, 0.5))
    0.5
    """

    name = "binom"
    shapes = ("n", "p")
    shape_fill = (1.0, 0.5)

    def _argcheck(self, n, p):
        return both(n >= 0, wnp.floor(n) == n, p >= 0, p <= 1)

    def _upper(self, n, p):
        return n

    def _logpmf(self, k, n, p):
        comb = sc.gammaln(n + 1.0) - (sc.gammaln(k + 1.0) + sc.gammaln(n - k + 1.0))
        return comb + sc.xlogy(k, p) + sc.xlog1py(n - k, -p)

    def _pmf(self, k, n, p):  # the Beta(k + 1, n - k + 1) density / (n + 1): exact at p = 0, 1
        return sc._beta_density(k + 1.0, n - k + 1.0, p) / (n + 1.0)

    def _cdf(self, k, n, p):  # not I_(1-p)(n - k, k + 1): 1 - p rounds away a small p
        return sc.betaincc(k + 1.0, n - k, p)

    def _sf(self, k, n, p):
        return sc.betainc(k + 1.0, n - k, p)

    # the log tails past underflow by beta's continued fraction (log I_p(k + 1, n - k) and
    # log I_(1-p)(n - k, k + 1)): binom.logcdf(0, 2000, 0.5) was -inf (SciPy's too), the
    # truth -1386.3
    def _logcdf(self, k, n, p):
        def near(far):
            ps = safe(far, 0.5, p)
            return log_of(self._cdf(k, n, ps), self._sf(k, n, ps))
        return _beta_log_tail(1.0 - p, n - k, k + 1.0, near)

    def _logsf(self, k, n, p):
        def near(far):
            ps = safe(far, 0.5, p)
            return log_of(self._sf(k, n, ps), self._cdf(k, n, ps))
        return _beta_log_tail(p, k + 1.0, n - k, near)

    def _stats(self, n, p):
        return n * p, n * p * (1.0 - p)


class bernoulli_gen(DiscreteDistribution):
    """The Bernoulli distribution: 1 with probability ``p``, else 0.

    >>> from wire.scipy.stats import bernoulli
    >>> float(bernoulli.logpmf(1, 0.25))
    -1.3862943611198906
    """

    name = "bernoulli"
    shapes = ("p",)
    shape_fill = (0.5,)

    def _argcheck(self, p):
        return both(p >= 0, p <= 1)

    def _upper(self, p):
        return 1.0

    def _logpmf(self, k, p):
        return sc.xlogy(k, p) + sc.xlog1py(1.0 - k, -p)

    def _pmf(self, k, p):  # binom's with n = 1
        return 0.5 * sc._beta_density(k + 1.0, 2.0 - k, p)

    def _cdf(self, k, p):
        return 1.0 - p + 0.0 * k  # k = 0 is the only point strictly inside [0, 1)

    def _sf(self, k, p):
        return p + 0.0 * k

    def _stats(self, p):
        return p, p * (1.0 - p)

    def _entropy(self, p):
        return -sc.xlogy(p, p) - sc.xlog1py(1.0 - p, -p)


poisson = poisson_gen()
binom = binom_gen()
bernoulli = bernoulli_gen()

