"""``multinomial``: counts ``x`` (the last axis holds the categories) of ``n`` trials with
category probabilities ``p``, as SciPy's: ``logpmf``, ``pmf``, ``mean``, ``cov``.

Counts that are not non-negative integers summing to ``n`` have probability 0 (``-inf``);
a negative or non-integer ``n``, or a ``p`` outside ``[0, 1]`` or not summing to 1 (within
SciPy's tolerance, ``10 eps``) gives NaN. SciPy up to 1.17 instead replaces the last
probability by ``1 - sum(others)`` with a FutureWarning, and gives NaN from 1.18 on.
The derivative in ``p`` is the unconstrained one (JAX's).
"""

from __future__ import annotations

import numpy as np

from ... import numpy as wnp
from .. import special as sc
from ._distn import as_float, quiet


class multinomial_gen:
    """The multinomial distribution.

    >>> import numpy as np
    >>> from wire.scipy.stats import multinomial
    >>> float(multinomial.pmf([1, 2], 3, [0.5, 0.5]))
    0.375
    """

    name = "multinomial"

    def __repr__(self):
        return "<wire.scipy.stats.multinomial>"

    def __call__(self, n, p):
        """Freeze ``n`` and ``p``: ``multinomial(3, p).logpmf(x)``."""
        return _FrozenMultinomial(self, n, p)

    def _bad_params(self, n, p):
        eps = np.finfo(np.result_type(getattr(p, "dtype", np.float64), np.float32)).eps * 10
        bad_p = wnp.logical_or(wnp.any(p < 0, axis=-1), wnp.any(p > 1, axis=-1))
        bad_p = wnp.logical_or(bad_p, wnp.logical_not(wnp.abs(1.0 - wnp.sum(p, axis=-1)) <= eps))
        bad_n = wnp.logical_or(n < 0, wnp.floor(n) != n)
        return wnp.logical_or(bad_p, bad_n)

    @quiet
    def logpmf(self, x, n, p):
        """log P(X = x); ``x``'s last axis holds the counts of the categories."""
        x, n, p = as_float(x), as_float(n), as_float(p)
        bad = self._bad_params(n, p)
        whole = wnp.logical_and(x >= 0, wnp.floor(x) == x)
        ok = wnp.logical_and(wnp.all(whole, axis=-1), wnp.sum(x, axis=-1) == n)
        xs = wnp.where(whole, x, 0.0)
        out = sc.gammaln(n + 1.0) + wnp.sum(sc.xlogy(xs, p) - sc.gammaln(xs + 1.0), axis=-1)
        out = wnp.where(ok, out, -np.inf)
        return wnp.where(bad, np.nan, out)

    @quiet
    def pmf(self, x, n, p):
        """P(X = x)."""
        return wnp.exp(self.logpmf(x, n, p))

    @quiet
    def mean(self, n, p):
        """``n p``."""
        n, p = as_float(n), as_float(p)
        bad = self._bad_params(n, p)
        return wnp.where(bad[..., None], np.nan, n[..., None] * p if wnp.ndim(n) else n * p)

    @quiet
    def cov(self, n, p):
        """``n (diag(p) - p pᵀ)``."""
        n, p = as_float(n), as_float(p)
        bad = self._bad_params(n, p)
        k = wnp.shape(p)[-1]
        nn = wnp.reshape(n, tuple(wnp.shape(n)) + (1, 1)) if wnp.ndim(n) else n
        c = nn * (p[..., :, None] * np.eye(k) - p[..., :, None] * p[..., None, :])
        return wnp.where(wnp.reshape(bad, tuple(wnp.shape(bad)) + (1, 1)), np.nan, c)


class _FrozenMultinomial:
    def __init__(self, dist, n, p):
        self.dist, self.n, self.p = dist, n, p

    def __repr__(self):
        return "<frozen wire.scipy.stats.multinomial>"

    def logpmf(self, x):
        return self.dist.logpmf(x, self.n, self.p)

    def pmf(self, x):
        return self.dist.pmf(x, self.n, self.p)

    def mean(self):
        return self.dist.mean(self.n, self.p)

    def cov(self):
        return self.dist.cov(self.n, self.p)


multinomial = multinomial_gen()
