"""``gaussian_kde``: SciPy's Gaussian kernel density estimate, differentiable in the data,
the weights, the bandwidth and the evaluation points.

The kernel covariance is the (weighted) data covariance times ``factor²``, ``factor`` by
Scott's rule (default), Silverman's, a number, or a callable of the estimator; densities are
sums of Gaussians through the Cholesky factor of that covariance, ``logpdf`` a logsumexp
of their logs (no underflow far from the data).
"""

from __future__ import annotations

import math

import numpy as np

from ... import numpy as wnp
from ...core import Tracer
from ...errors import ShapeError, WireTypeError, WireValueError, at, user_location
from ...ops import random_bits as R
from ..linalg import solve_triangular
from .. import special as sc
from ._distn import as_float


class gaussian_kde:
    """A Gaussian kernel density estimate of ``dataset`` (shape ``(d, n)``, or ``(n,)`` for
    one dimension), with optional ``weights``.

    >>> import numpy as np
    >>> kde = gaussian_kde(np.array([-1.0, 0.0, 1.0]), bw_method=1.0)
    >>> round(float(kde(0.0)[0]), 6)
    0.294295
    >>> import wire
    >>> logp = lambda data: gaussian_kde(data, 0.5).logpdf(0.3)[0]
    >>> round(float(wire.grad(logp)(np.array([-1.0, 0.0, 1.0]))[1]), 6)
    0.80532
    """

    def __init__(self, dataset, bw_method=None, weights=None):
        data = wnp.atleast_2d(as_float(dataset))
        if wnp.shape(data)[1] < 2:
            raise WireValueError(f"gaussian_kde: `dataset` needs more than one entry, got shape "
                                 f"{tuple(wnp.shape(data))}{at(user_location())}")
        self.dataset = data
        self.d, self.n = (int(s) for s in wnp.shape(data))
        if weights is not None:
            w = as_float(weights)
            if wnp.ndim(w) != 1 or wnp.shape(w)[0] != self.n:
                raise ShapeError(f"gaussian_kde: `weights` must be a vector of length {self.n}"
                                 f"{at(user_location())}")
            w = w / wnp.sum(w)
        else:
            w = wnp.full((self.n,), 1.0 / self.n)
        self.weights = w
        self.neff = 1.0 / wnp.sum(w * w)
        if self.d > self.n:
            raise WireValueError(f"gaussian_kde: the number of dimensions ({self.d}) is larger "
                                 f"than the number of entries ({self.n}): give dataset as "
                                 f"(d, n){at(user_location())}")
        self.set_bandwidth(bw_method)

    def scotts_factor(self):
        """Scott's factor ``neff^(-1/(d+4))`` (the default bandwidth factor).

        >>> import numpy as np
        >>> round(float(gaussian_kde(np.arange(16.0)).scotts_factor()), 6)
        0.574349
        """
        return self.neff ** (-1.0 / (self.d + 4))

    def silverman_factor(self):
        """Silverman's factor ``(neff (d+2) / 4)^(-1/(d+4))``.

        >>> import numpy as np
        >>> round(float(gaussian_kde(np.arange(16.0)).silverman_factor()), 6)
        0.608364
        """
        return (self.neff * (self.d + 2.0) / 4.0) ** (-1.0 / (self.d + 4))

    covariance_factor = scotts_factor

    def set_bandwidth(self, bw_method=None):
        """Set the bandwidth factor: ``'scott'`` (default), ``'silverman'``, a number (the
        factor itself) or a callable taking the estimator and returning the factor.

        >>> import numpy as np
        >>> kde = gaussian_kde(np.arange(16.0))
        >>> kde.set_bandwidth(0.5)
        >>> float(kde.factor)
        0.5
        """
        if bw_method is None or (isinstance(bw_method, str) and bw_method == "scott"):
            self.covariance_factor = self.scotts_factor
        elif isinstance(bw_method, str) and bw_method == "silverman":
            self.covariance_factor = self.silverman_factor
        elif isinstance(bw_method, str):
            raise WireValueError(f"gaussian_kde: bw_method must be 'scott', 'silverman', a "
                                 f"number or a callable, got {bw_method!r}{at(user_location())}")
        elif callable(bw_method):
            self.covariance_factor = lambda: bw_method(self)
        else:
            self.covariance_factor = lambda: bw_method
        self._compute_covariance()

    def _compute_covariance(self):
        self.factor = self.covariance_factor()
        w = self.weights
        mean = wnp.sum(self.dataset * w, axis=1, keepdims=True)
        dev = self.dataset - mean
        data_cov = (dev * w) @ wnp.transpose(dev) / (1.0 - wnp.sum(w * w))
        self.covariance = data_cov * self.factor ** 2
        self.cho_cov = wnp.linalg.cholesky(self.covariance)
        self.log_det = 2.0 * wnp.sum(wnp.log(wnp.diagonal(self.cho_cov)))

    def _points(self, points):
        pts = wnp.atleast_2d(as_float(points))
        d, m = (int(s) for s in wnp.shape(pts))
        if d != self.d:
            if d == 1 and m == self.d:
                pts = wnp.reshape(pts, (self.d, 1))
            else:
                raise ShapeError(f"gaussian_kde: points have dimension {d}, the data "
                                 f"{self.d}{at(user_location())}")
        return pts

    def logpdf(self, points):
        """log of the density at ``points`` (shape ``(d, m)``; ``(m,)`` in one dimension),
        finite far beyond where the density itself underflows.

        >>> import numpy as np
        >>> round(float(gaussian_kde(np.array([-1.0, 1.0]), 0.5).logpdf(100.0)[0]), 6)
        -9802.265512
        """
        pts = self._points(points)
        diff = pts[:, None, :] - self.dataset[:, :, None]            # (d, n, m)
        d, n, m = self.d, self.n, int(wnp.shape(pts)[1])
        z = solve_triangular(self.cho_cov, wnp.reshape(diff, (d, n * m)), lower=True)
        quad = wnp.reshape(wnp.sum(z * z, axis=0), (n, m))
        logk = -0.5 * quad - 0.5 * self.log_det - 0.5 * d * math.log(2.0 * math.pi)
        return sc.logsumexp(logk + wnp.log(self.weights)[:, None], axis=0)

    def evaluate(self, points):
        """The density at ``points`` (also ``kde(points)`` and ``kde.pdf(points)``).

        >>> import numpy as np
        >>> kde = gaussian_kde(np.array([-1.0, 0.0, 1.0]), bw_method=1.0)
        >>> round(float(kde.evaluate(np.array([0.0]))[0]), 6)
        0.294295
        """
        return wnp.exp(self.logpdf(points))

    __call__ = pdf = evaluate

    def resample(self, size=None, seed=None, *, key=None):
        """``size`` draws from the estimate (default ``int(neff)``), shape ``(d, size)``: a data
        point picked by its weight plus a Gaussian with the kernel covariance, as SciPy's.

        The randomness comes from a ``wire.random`` key, passed as ``key`` or ``seed`` (an
        int seed is ``wire.random.key(seed)``); the key is split in two, for the picks and
        the Gaussians. The key may be traced; the draws are differentiable in the data, the
        weights' picks excepted (reparametrized: ``point + L z``, ``L`` the Cholesky factor
        of the kernel covariance).

        >>> import numpy as np, wire
        >>> kde = gaussian_kde(np.array([0.0, 1.0, 2.0, 3.0]))
        >>> x = kde.resample(20000, key=wire.random.key(0))
        >>> x.shape, round(float(x.mean()), 1)
        ((1, 20000), 1.5)
        """
        k = key if key is not None else seed
        if k is None:
            raise WireValueError(f"gaussian_kde.resample needs randomness: pass a wire.random "
                                 f"key (key=wire.random.key(0)) or an int seed"
                                 f"{at(user_location())}")
        if isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
            s = int(k) & R.MASK128
            k = np.array([(s >> (32 * (3 - i))) & 0xFFFFFFFF for i in range(4)], R.KEY_DTYPE)
        traced = isinstance(k, Tracer)
        if (k.aval.shape if traced else np.shape(k)) != R.KEY_SHAPE or np.dtype(
                k.aval.dtype if traced else np.asarray(k).dtype) != R.KEY_DTYPE:
            raise WireTypeError(f"gaussian_kde.resample: the key must be a wire.random key (uint32 "
                                f"of shape (4,)){at(user_location())}")
        if size is None:
            if isinstance(self.neff, Tracer):
                raise WireValueError(f"gaussian_kde.resample: give size (the default, int(neff), "
                                     f"depends on traced weights){at(user_location())}")
            size = int(self.neff)
        size = int(size)
        if size < 0:
            raise WireValueError(f"gaussian_kde.resample: size must be >= 0, got {size}"
                                 f"{at(user_location())}")
        dt = np.dtype(np.float64)
        if traced:
            picks, gauss = R.bits(k, (2, 4), R.SPLIT, 0, np.uint32)
            u = R.sample(picks, "unit", (size,), dt)
            z = R.sample(gauss, "normal", (size, self.d), dt)
        else:
            keys = R.bits_impl(np.asarray(k), shape=(2, 4), domain=R.SPLIT, stream=0,
                               dtype=np.uint32)
            u = R.SAMPLERS["unit"](R.key_int(keys[0]), size, dt)
            z = R.SAMPLERS["normal"](R.key_int(keys[1]), size * self.d, dt).reshape(size, self.d)
        # the picks: the first index whose cumulative weight exceeds u (u < 1: never past n-1)
        cw = wnp.cumsum(wnp.stop_gradient(self.weights))
        idx = wnp.searchsorted(cw, u * cw[-1], side="right")
        idx = wnp.minimum(idx, self.n - 1)
        means = wnp.take(self.dataset, idx, axis=1)
        return means + self.cho_cov @ wnp.transpose(z)

    def integrate_box_1d(self, low, high):
        """The estimate's probability of ``[low, high]`` (one-dimensional data only).

        >>> import numpy as np
        >>> kde = gaussian_kde(np.array([-1.0, 0.0, 1.0]))
        >>> round(float(kde.integrate_box_1d(-np.inf, 0.0)), 12)
        0.5
        """
        if self.d != 1:
            raise WireValueError(f"gaussian_kde.integrate_box_1d needs one-dimensional data"
                                 f"{at(user_location())}")
        sd = wnp.sqrt(self.covariance[0, 0])
        x = self.dataset[0]
        lo = sc.ndtr((low - x) / sd)
        hi = sc.ndtr((high - x) / sd)
        return wnp.sum(self.weights * (hi - lo))
