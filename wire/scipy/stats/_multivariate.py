"""Multivariate distributions: ``multivariate_normal`` and ``dirichlet``, with SciPy's
argument handling (a scalar or 1-D ``cov`` is ``cov·I`` or ``diag(cov)``; the last axis of
``x`` holds the components for the normal, the first for the Dirichlet) and output squeezing.

SciPy checks a concrete ``x`` of the Dirichlet (inside the simplex) and a concrete ``cov``
(positive definite); so does wire, with a ``WireError``. Traced values cannot be checked:
the formula is evaluated as it stands.
"""

from __future__ import annotations

import math

import numpy as np

from ... import numpy as wnp
from ...errors import ShapeError, WireError, at, user_location
from ...core import Tracer
from .. import special as sc
from ..linalg import solve_triangular
from ._distn import as_float, quiet

_LOG_2PI = math.log(2.0 * math.pi)


def _concrete(*xs) -> bool:
    return not any(isinstance(x, Tracer) for x in xs)


def _squeeze(out):
    return wnp.squeeze(out) if wnp.ndim(out) else out


class multivariate_normal_gen:
    """The multivariate normal ``N(mean, cov)``.

    >>> import numpy as np
    >>> from wire.scipy.stats import multivariate_normal
    >>> round(float(multivariate_normal.logpdf(np.zeros(2), cov=np.eye(2))), 12)
    -1.837877066409
    """

    name = "multivariate_normal"

    def __repr__(self):
        return "<wire.scipy.stats.multivariate_normal>"

    def __call__(self, mean=None, cov=1, allow_singular=False):
        """Freeze ``mean`` and ``cov``: ``multivariate_normal(m, C).logpdf(x)``."""
        self._params(mean, cov)
        return _FrozenMVN(self, mean, cov, allow_singular)

    def _params(self, mean, cov):
        if mean is not None:
            mean = as_float(mean)
            dim = int(np.prod(wnp.shape(mean), dtype=np.int64))
        else:
            cov = as_float(cov)
            dim = 1 if wnp.ndim(cov) < 2 else wnp.shape(cov)[0]
        mean = wnp.zeros(dim) if mean is None else mean
        cov = as_float(cov)
        if dim == 1:
            if int(np.prod(wnp.shape(cov), dtype=np.int64)) != 1:
                raise ShapeError(
                    f"multivariate_normal: 'cov' of shape {tuple(wnp.shape(cov))} does not fit "
                    "a one-dimensional distribution; give 'mean' to set the dimension (a 1-D "
                    f"'cov' is the diagonal){at(user_location())}")
            mean = wnp.reshape(mean, (1,))
            cov = wnp.reshape(cov, (1, 1))
        if wnp.ndim(mean) != 1 or wnp.shape(mean)[0] != dim:
            raise ShapeError(f"multivariate_normal: 'mean' must be a vector of length {dim}, "
                             f"got shape {tuple(wnp.shape(mean))}{at(user_location())}")
        if wnp.ndim(cov) == 0:
            cov = cov * np.eye(dim)
        elif wnp.ndim(cov) == 1:
            if wnp.shape(cov)[0] != dim:
                raise ShapeError(f"multivariate_normal: a 1-D 'cov' (the diagonal) must have "
                                 f"length {dim}{at(user_location())}")
            cov = cov * np.eye(dim)
        elif wnp.ndim(cov) != 2 or tuple(wnp.shape(cov)) != (dim, dim):
            raise ShapeError(f"multivariate_normal: 'cov' of shape {tuple(wnp.shape(cov))} "
                             f"does not fit 'mean' of length {dim}{at(user_location())}")
        return dim, mean, cov

    @staticmethod
    def _quantiles(x, dim):
        x = as_float(x)
        if wnp.ndim(x) == 0:
            return wnp.reshape(x, (1,))
        if wnp.ndim(x) == 1:
            return wnp.reshape(x, (-1, 1)) if dim == 1 else wnp.reshape(x, (1, -1))
        return x

    @quiet
    def logpdf(self, x, mean=None, cov=1, allow_singular=False):
        """Log-density; the last axis of ``x`` holds the components.

        With ``allow_singular=True`` a singular ``cov`` gives the density on its range (the
        pseudo-determinant and pseudo-inverse, as SciPy), and ``-inf`` off it.
        """
        dim, mean, cov = self._params(mean, cov)
        x = self._quantiles(x, dim)
        dev = x - mean
        if _concrete(cov):
            _check_psd(np.asarray(cov), allow_singular)
        # an infinite component (and no NaN) is infinitely far: density 0, as SciPy's -inf;
        # the triangular solve would meet inf - inf (NaN). Those rows see a zero deviation,
        # so their derivatives are 0, not NaN
        far = wnp.any(wnp.isinf(dev), axis=-1) & ~wnp.any(wnp.isnan(dev), axis=-1)
        dev = wnp.where(far[..., None], 0.0, dev)
        if not allow_singular:
            out = _logpdf_cholesky(dev, cov, dim)
        else:
            out = _logpdf_psd(dev, cov, dim)
        return _squeeze(wnp.where(far, -np.inf, out))

    def pdf(self, x, mean=None, cov=1, allow_singular=False):
        """Density."""
        return wnp.exp(self.logpdf(x, mean, cov, allow_singular))

    def entropy(self, mean=None, cov=1, allow_singular=False):
        """Differential entropy ``(d log(2πe) + log det cov) / 2`` (pseudo-determinant and rank
        with ``allow_singular``)."""
        dim, mean, cov = self._params(mean, cov)
        if _concrete(cov):
            _check_psd(np.asarray(cov), allow_singular)
        if not allow_singular:
            L = wnp.linalg.cholesky(cov)
            logdet = 2.0 * wnp.sum(wnp.log(wnp.diagonal(L)))
            return 0.5 * (dim * (_LOG_2PI + 1.0) + logdet)
        s, _, keep, _, _ = _psd_parts(cov)
        rank = wnp.sum(keep.astype(s.dtype))
        log_pdet = wnp.sum(wnp.where(keep, wnp.log(wnp.where(keep, s, 1.0)), 0.0))
        return 0.5 * (rank * (_LOG_2PI + 1.0) + log_pdet)


def _check_psd(cov, allow_singular):
    s = np.linalg.eigvalsh(cov)
    eps = _eig_eps(s)
    if s.min() < -eps:
        raise WireError("multivariate_normal: the covariance must be symmetric positive "
                        f"semidefinite (smallest eigenvalue {s.min():.3g}){at(user_location())}")
    if not allow_singular and s.min() <= eps:
        raise WireError("multivariate_normal: the covariance is singular (smallest eigenvalue "
                        f"{s.min():.3g}); pass allow_singular=True for the degenerate density"
                        f"{at(user_location())}")


def _eig_eps(s):
    """SciPy's cut-off for negligible eigenvalues (``_eigvalsh_to_eps``)."""
    factor = 1e3 if np.dtype(s.dtype) == np.float32 else 1e6
    return factor * np.finfo(s.dtype).eps * np.max(np.abs(s))


def _logpdf_cholesky(dev, cov, dim):
    L = wnp.linalg.cholesky(cov)
    z = solve_triangular(L, wnp.swapaxes(wnp.reshape(dev, (-1, dim)), 0, 1), lower=True,
                         check_finite=False)
    maha = wnp.reshape(wnp.sum(z * z, axis=0), wnp.shape(dev)[:-1])
    logdet = 2.0 * wnp.sum(wnp.log(wnp.diagonal(L)))
    return -0.5 * (dim * _LOG_2PI + logdet + maha)


def _psd_parts(cov):
    """Eigen-decomposition of ``cov`` with SciPy's negligible-eigenvalue mask.

    A cov whose eigenvalues are all significant is decomposed at a stand-in with distinct
    eigenvalues instead (its result is then unused), so that the eigh derivative, which
    needs distinct eigenvalues, cannot put NaN into the Cholesky path's gradient.
    """
    dim = wnp.shape(cov)[-1]
    s0 = wnp.stop_gradient(wnp.linalg.eigvalsh(wnp.stop_gradient(cov)))
    factor = 1e3 if np.dtype(s0.dtype) == np.float32 else 1e6
    eps = factor * np.finfo(s0.dtype).eps * wnp.max(wnp.abs(s0))
    regular = wnp.all(s0 > eps)
    stand_in = np.diag(np.arange(1.0, dim + 1.0))
    s, u = wnp.linalg.eigh(wnp.where(regular, stand_in, cov))
    keep = s > eps
    return s, u, keep, regular, eps


def _logpdf_psd(dev, cov, dim):
    s, u, keep, regular, eps = _psd_parts(cov)
    s_safe = wnp.where(keep, s, 1.0)
    rank = wnp.sum(keep.astype(s.dtype))
    log_pdet = wnp.sum(wnp.where(keep, wnp.log(s_safe), 0.0))
    proj = dev @ u
    maha = wnp.sum(wnp.where(keep, proj * proj / s_safe, 0.0), axis=-1)
    singular_out = -0.5 * (rank * _LOG_2PI + log_pdet + maha)
    # off the range of cov (a component along a negligible eigenvector) the density is 0
    resid = wnp.sqrt(wnp.sum(wnp.where(keep, 0.0, proj * proj), axis=-1))
    singular_out = wnp.where(resid < 1e3 * eps, singular_out, -np.inf)
    chol_cov = wnp.where(regular, cov, np.eye(dim))
    regular_out = _logpdf_cholesky(dev, chol_cov, dim)
    return wnp.where(regular, regular_out, singular_out)


class _FrozenMVN:
    def __init__(self, dist, mean, cov, allow_singular):
        self.dist, self.mean, self.cov, self.allow_singular = dist, mean, cov, allow_singular

    def logpdf(self, x):
        return self.dist.logpdf(x, self.mean, self.cov, self.allow_singular)

    def pdf(self, x):
        return self.dist.pdf(x, self.mean, self.cov, self.allow_singular)

    def entropy(self):
        return self.dist.entropy(self.mean, self.cov, self.allow_singular)


class dirichlet_gen:
    """The Dirichlet distribution with concentration ``alpha`` (K components).

    ``x`` has shape ``(K,)`` or ``(K, N)`` (the first axis holds the components, as in SciPy),
    or one component fewer, the last being ``1 - sum``.

    >>> import numpy as np
    >>> from wire.scipy.stats import dirichlet
    >>> round(float(dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), np.ones(3))), 12)   # log 2!
    0.69314718056
    """

    name = "dirichlet"

    def __repr__(self):
        return "<wire.scipy.stats.dirichlet>"

    def __call__(self, alpha):
        """Freeze ``alpha``."""
        _check_alpha(as_float(alpha))
        return _FrozenDirichlet(self, alpha)

    @quiet
    def logpdf(self, x, alpha):
        """Log-density."""
        alpha = _check_alpha(as_float(alpha))
        x = _dirichlet_x(as_float(x), alpha)
        a = alpha if wnp.ndim(x) == 1 else wnp.reshape(alpha, (-1, 1))
        out = wnp.sum(sc.xlogy(a - 1.0, x), axis=0) - _lnB(alpha)
        return _squeeze(out)

    def pdf(self, x, alpha):
        """Density."""
        return wnp.exp(self.logpdf(x, alpha))

    def mean(self, alpha):
        """``alpha / sum(alpha)``."""
        alpha = _check_alpha(as_float(alpha))
        return alpha / wnp.sum(alpha)

    def var(self, alpha):
        """Variance of each component."""
        alpha = _check_alpha(as_float(alpha))
        a0 = wnp.sum(alpha)
        return alpha * (a0 - alpha) / (a0 * a0 * (a0 + 1.0))

    def cov(self, alpha):
        """Covariance matrix of the components."""
        alpha = _check_alpha(as_float(alpha))
        a0 = wnp.sum(alpha)
        m = alpha / a0
        return (wnp.diag(m) - m[:, None] * m[None, :]) / (a0 + 1.0)

    def entropy(self, alpha):
        """Differential entropy."""
        alpha = _check_alpha(as_float(alpha))
        a0 = wnp.sum(alpha)
        k = wnp.shape(alpha)[0]
        return (_lnB(alpha) + (a0 - k) * sc.digamma(a0)
                - wnp.sum((alpha - 1.0) * sc.digamma(alpha)))


def _lnB(alpha):
    return wnp.sum(sc.gammaln(alpha)) - sc.gammaln(wnp.sum(alpha))


def _check_alpha(alpha):
    if wnp.ndim(alpha) != 1:
        raise ShapeError(f"dirichlet: alpha must be one-dimensional, got shape "
                         f"{tuple(wnp.shape(alpha))}{at(user_location())}")
    if _concrete(alpha) and np.min(alpha) <= 0:
        raise WireError(f"dirichlet: every alpha must be > 0, got {np.asarray(alpha)}"
                        f"{at(user_location())}")
    return alpha


def _dirichlet_x(x, alpha):
    k = wnp.shape(alpha)[0]
    shape = tuple(wnp.shape(x))
    if not shape or shape[0] not in (k, k - 1) or len(shape) > 2:
        raise ShapeError(f"dirichlet: x must have shape ({k},) or ({k}, N) (or one component "
                         f"fewer), got {shape} for alpha of length {k}{at(user_location())}")
    if shape[0] == k - 1:
        rest = 1.0 - wnp.sum(x, axis=0, keepdims=True)
        x = wnp.concatenate([x, rest], axis=0)
    if _concrete(x, alpha):
        xa = np.asarray(x)
        if xa.min() < 0 or xa.max() > 1:
            raise WireError(f"dirichlet: every entry of x must lie in [0, 1]{at(user_location())}")
        a = np.asarray(alpha) if xa.ndim == 1 else np.asarray(alpha)[:, None]
        if np.any((xa == 0) & (a < 1)):
            raise WireError("dirichlet: an entry of x is 0 where its alpha is below 1 (the "
                            f"density is infinite there){at(user_location())}")
        if np.any(np.abs(np.sum(xa, 0) - 1.0) > 1e-9):
            raise WireError(f"dirichlet: x must lie on the simplex (components summing to 1), "
                            f"sums are {np.sum(xa, 0)}{at(user_location())}")
    return x


class _FrozenDirichlet:
    def __init__(self, dist, alpha):
        self.dist, self.alpha = dist, alpha

    def logpdf(self, x):
        return self.dist.logpdf(x, self.alpha)

    def pdf(self, x):
        return self.dist.pdf(x, self.alpha)

    def mean(self):
        return self.dist.mean(self.alpha)

    def var(self):
        return self.dist.var(self.alpha)

    def cov(self):
        return self.dist.cov(self.alpha)

    def entropy(self):
        return self.dist.entropy(self.alpha)


multivariate_normal = multivariate_normal_gen()
dirichlet = dirichlet_gen()
