"""``wire.scipy.stats``: probability distributions with SciPy's names, parameters and
conventions, differentiable in every continuous argument and parameter.

Continuous (``logpdf``, ``pdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``, ``mean``, ``var``,
``std``, ``entropy``, ``support``; ``ppf``/``isf`` where they have a closed form):
``norm``, ``t``, ``beta``, ``gamma``, ``chi2``, ``expon``, ``laplace``, ``logistic``,
``cauchy``, ``uniform``. Discrete (``logpmf``, ``pmf``, ``cdf``, ``logcdf``, ``sf``,
``logsf``, ``mean``, ``var``, ``std``): ``poisson``, ``bernoulli``, ``binom``.
Multivariate: ``multivariate_normal`` and ``dirichlet``. Calling a distribution freezes its
parameters, as in SciPy: ``norm(loc=1.0).logpdf(x)``.

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
from ...tracebacks import expose

__all__ = [
    "bernoulli", "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "laplace",
    "logistic", "multivariate_normal", "norm", "poisson", "t", "uniform",
]

# every distribution's methods are where user code enters wire (wire.tracebacks)
expose(globals(), __all__)

# `import wire.scipy.stats.norm as norm` works, as it does with autograd's and JAX's modules
# of that name (the import system takes any object registered under a module's name)
for _name in __all__:
    _sys.modules.setdefault(f"{__name__}.{_name}", globals()[_name])
del _name
