"""``wire.scipy.stats``: probability distributions with SciPy's names, parameters and
conventions, differentiable in every continuous argument and parameter.

Continuous (``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``, ``mean``, ``var``,
``std``, ``entropy``, ``support``; ``ppf``/``isf`` where they have a closed form):
``norm``, ``t``, ``beta``, ``gamma``, ``chi2``, ``expon``, ``laplace``, ``logistic``,
``cauchy``, ``uniform``. Discrete (``logpmf``, ``pmf``, ``cdf``, ``logcdf``, ``sf``,
``logsf``, ``ppf``, ``isf``, ``mean``, ``var``, ``std``): ``poisson``, ``bernoulli``, ``binom``.
Also continuous: ``gumbel_r``, ``gumbel_l``, ``pareto``, ``gennorm`` (all methods, numeric
quantiles for ``gennorm``), ``wrapcauchy`` (no quantiles), ``vonmises`` (no moments or
quantiles), ``truncnorm`` (all, with ``stats`` up to ``'mvsk'``); discrete: ``geom``,
``nbinom`` (all of the above), ``betabinom`` (no entropy). Multivariate: ``multivariate_normal``, ``dirichlet`` and
``multinomial``. Not in ``jax.scipy.stats``, with every method above: ``f``, ``lognorm``,
``weibull_min``, ``chi``, ``rayleigh``, ``invgamma``, ``halfnorm``, ``halfcauchy``,
``skewnorm``, ``loggamma``. Calling a distribution freezes its parameters, as in
SciPy: ``norm(loc=1.0).logpdf(x)``. Functions: ``gaussian_kde`` (with ``resample`` from a
``wire.random`` key), ``sem``, ``mode``, ``rankdata``; the descriptive statistics ``zscore``,
``entropy``, ``moment``, ``skew``, ``kurtosis``, ``variation``, ``gmean``, ``hmean``,
``pmean``, ``iqr``, ``median_abs_deviation``, ``trim_mean``, ``pearsonr``, ``spearmanr``,
``kendalltau`` (``axis``, ``keepdims``, ``nan_policy``).

>>> import numpy as np, wire
>>> from wire.scipy.stats import norm
>>> float(norm.cdf(0.0))
0.5
>>> float(wire.grad(lambda mu: norm.logpdf(1.0, mu).sum())(0.0))
1.0
"""

import sys as _sys

from ._continuous import beta, cauchy, chi2, expon, gamma, laplace, logistic, norm, t, uniform
from ._discrete import bernoulli, binom, poisson
from ._multivariate import dirichlet, multivariate_normal
from ._continuous_more import gennorm, gumbel_l, gumbel_r, pareto, vonmises, wrapcauchy
from ._continuous_extra import (chi, f, halfcauchy, halfnorm, invgamma, loggamma, lognorm,
                               rayleigh, skewnorm, weibull_min)
from ._discrete_more import betabinom, geom, nbinom
from ._multinomial import multinomial
from ._truncnorm import truncnorm
from ._kde import gaussian_kde
from ._summary import mode, rankdata, sem
from ._descriptive import (entropy, gmean, hmean, iqr, kendalltau, kurtosis, median_abs_deviation,
                           moment, pearsonr, pmean, skew, spearmanr, trim_mean, variation,
                           zscore)
from ...tracebacks import expose

__all__ = [
    "bernoulli", "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "laplace",
    "logistic", "multivariate_normal", "norm", "poisson", "t", "uniform",
    "betabinom", "gennorm", "geom", "gumbel_l", "gumbel_r", "multinomial", "nbinom", "pareto",
    "truncnorm", "vonmises", "wrapcauchy", "gaussian_kde", "mode", "rankdata", "sem",
    "chi", "f", "halfcauchy", "halfnorm", "invgamma", "loggamma", "lognorm", "rayleigh",
    "skewnorm", "weibull_min",
    "entropy", "gmean", "hmean", "iqr", "kendalltau", "kurtosis", "median_abs_deviation",
    "moment", "pearsonr", "pmean", "skew", "spearmanr", "trim_mean", "variation", "zscore",
]

# every distribution's methods are where user code enters wire (wire.tracebacks)
expose(globals(), __all__)

# `import wire.scipy.stats.norm as norm` works, as it does with autograd's and JAX's modules
# of that name (the import system takes any object registered under a module's name)
for _name in __all__:
    _sys.modules.setdefault(f"{__name__}.{_name}", globals()[_name])
del _name
