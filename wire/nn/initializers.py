"""Parameter initializers of ``wire.nn``. Each constructor returns a function
``init(key, shape, dtype=float64) -> ndarray`` (a pure function of the key).

Fans follow the layouts of wire's layers: the last axis is the output axis, the one before it
the input axis, and any leading axes (a convolution's kernel window) multiply both fans.

>>> import wire
>>> from wire.nn import initializers
>>> w = initializers.glorot_uniform()(wire.random.key(0), (64, 32))
>>> w.shape
(64, 32)
"""

from __future__ import annotations

import numpy as np

from .. import random
from ..errors import WireError, at, user_location
from ..tracebacks import expose

__all__ = [
    "zeros", "ones", "constant", "normal", "uniform", "variance_scaling", "glorot_uniform",
    "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "orthogonal",
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
]

# std of a standard normal truncated to (-2, 2); dividing by it keeps the requested variance
_TRUNC_STD = 0.87962566103423978


def _dt(dtype):
    return np.dtype(np.float64 if dtype is None else dtype)


def zeros(key=None, shape=(), dtype=None):
    """All zeros (usable directly as an initializer; the key is ignored).

    >>> zeros(None, (2,))
    array([0., 0.])
    """
    return np.zeros(shape, _dt(dtype))


def ones(key=None, shape=(), dtype=None):
    """All ones.

    >>> ones(None, (2,))
    array([1., 1.])
    """
    return np.ones(shape, _dt(dtype))


def constant(value):
    """An initializer filling with ``value``.

    >>> constant(3.0)(None, (2,))
    array([3., 3.])
    """

    def init(key, shape, dtype=None):
        return np.full(shape, value, _dt(dtype))

    return init


def normal(stddev: float = 1e-2):
    """Normal with mean 0 and standard deviation ``stddev``.

    >>> normal(1.0)(random.key(0), (3,)).shape
    (3,)
    """

    def init(key, shape, dtype=None):
        return (stddev * random.normal(key, shape)).astype(_dt(dtype))

    return init


def uniform(scale: float = 1e-2):
    """Uniform in ``[-scale, scale)``.

    >>> bool(abs(uniform(0.5)(random.key(0), (100,))).max() <= 0.5)
    True
    """

    def init(key, shape, dtype=None):
        return random.uniform(key, shape, _dt(dtype), -scale, scale)

    return init


def _fans(shape) -> tuple[float, float]:
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = float(np.prod(shape[:-2])) if len(shape) > 2 else 1.0
    return shape[-2] * receptive, shape[-1] * receptive


def variance_scaling(scale: float, mode: str, distribution: str):
    """Samples with variance ``scale / n``, ``n`` the fan in, fan out or their average.

    ``mode`` is ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``; ``distribution`` is
    ``"truncated_normal"``, ``"normal"`` or ``"uniform"``.

    >>> w = variance_scaling(2.0, "fan_in", "normal")(random.key(1), (400, 300))
    >>> round(float(w.var() * 400), 1)
    2.0
    """
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise WireError(f"variance_scaling: unknown mode {mode!r}{at(user_location())}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise WireError(
            f"variance_scaling: unknown distribution {distribution!r}{at(user_location())}"
        )

    def init(key, shape, dtype=None):
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        var = scale / max(n, 1.0)
        if distribution == "uniform":
            lim = np.sqrt(3.0 * var)
            return random.uniform(key, shape, _dt(dtype), -lim, lim)
        if distribution == "normal":
            return (np.sqrt(var) * random.normal(key, shape)).astype(_dt(dtype))
        z = random.truncated_normal(key, -2.0, 2.0, shape)
        return (np.sqrt(var) / _TRUNC_STD * z).astype(_dt(dtype))

    return init


def glorot_uniform():
    """Glorot/Xavier uniform: variance ``2 / (fan_in + fan_out)``.

    >>> glorot_uniform()(random.key(0), (3, 4)).shape
    (3, 4)
    """
    return variance_scaling(1.0, "fan_avg", "uniform")


def glorot_normal():
    """Glorot/Xavier (truncated) normal: variance ``2 / (fan_in + fan_out)``.

    >>> glorot_normal()(random.key(0), (3, 4)).shape
    (3, 4)
    """
    return variance_scaling(1.0, "fan_avg", "truncated_normal")


def he_uniform():
    """He/Kaiming uniform: variance ``2 / fan_in`` (for ReLU networks).

    >>> he_uniform()(random.key(0), (3, 3, 1, 8)).shape
    (3, 3, 1, 8)
    """
    return variance_scaling(2.0, "fan_in", "uniform")


def he_normal():
    """He/Kaiming (truncated) normal: variance ``2 / fan_in``.

    >>> he_normal()(random.key(0), (5, 2)).dtype
    dtype('float64')
    """
    return variance_scaling(2.0, "fan_in", "truncated_normal")


def lecun_uniform():
    """LeCun uniform: variance ``1 / fan_in``.

    >>> lecun_uniform()(random.key(0), (5, 2)).shape
    (5, 2)
    """
    return variance_scaling(1.0, "fan_in", "uniform")


def lecun_normal():
    """LeCun (truncated) normal: variance ``1 / fan_in``.

    >>> lecun_normal()(random.key(0), (5, 2)).shape
    (5, 2)
    """
    return variance_scaling(1.0, "fan_in", "truncated_normal")


xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def orthogonal(scale: float = 1.0):
    """A (semi-)orthogonal matrix over the last axis vs the rest, times ``scale``.

    >>> q = orthogonal()(random.key(0), (4, 4))
    >>> bool(np.allclose(q.T @ q, np.eye(4)))
    True
    """

    def init(key, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise WireError(f"orthogonal needs a shape of rank >= 2, got {shape}"
                            + at(user_location()))
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = random.normal(key, (max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # unique Q: a uniform (Haar) sample
        if rows < cols:
            q = q.T
        return (scale * q.reshape(shape)).astype(_dt(dtype))

    return init

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
