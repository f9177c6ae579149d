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
from ..errors import WireError, WireNotImplementedError, at, user_location
from ..tracebacks import expose

__all__ = [
    "zeros", "ones", "constant", "normal", "uniform", "variance_scaling", "glorot_uniform",
    "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "orthogonal",
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "truncated_normal",
]

# std of a standard normal truncated to (-2, 2); dividing by it keeps the requested variance
_TRUNC_STD = 0.87962566103423978


def _dt(dtype, random_draw: bool = False):
    dt = np.dtype(np.float64 if dtype is None else dtype)
    if random_draw and dt.kind not in "f":
        raise WireNotImplementedError(
            f"wire.nn.initializers: random initial values of dtype {dt} are not supported "
            f"(floating dtypes only; JAX draws complex values for complex dtypes)"
            f"{at(user_location(3))}")
    return dt


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


def constant(value, dtype=None):
    """An initializer filling with ``value`` (in ``dtype``, the initializer's default dtype,
    as ``jax.nn.initializers.constant``).

    >>> constant(3.0)(None, (2,))
    array([3., 3.])
    >>> constant(3.0, np.float32)(None, (2,)).dtype
    dtype('float32')
    """
    default = dtype

    def init(key, shape, dtype=default):
        return np.full(shape, value, _dt(dtype))

    return init


def normal(stddev: float = 1e-2, dtype=None):
    """Normal with mean 0 and standard deviation ``stddev`` (``dtype``: the initializer's
    default dtype).

    >>> normal(1.0)(random.key(0), (3,)).shape
    (3,)
    """
    default = dtype

    def init(key, shape, dtype=default):
        return (stddev * random.normal(key, shape)).astype(_dt(dtype, True))

    return init


def truncated_normal(stddev: float = 1e-2, dtype=None, lower: float = -2.0,
                     upper: float = 2.0):
    """``stddev`` times a standard normal truncated to ``(lower, upper)`` (``stddev`` is the
    untruncated distribution's, as in ``jax.nn.initializers.truncated_normal``).

    >>> w = truncated_normal(1.0)(random.key(0), (1000,))
    >>> bool((abs(w) < 2.0).all())
    True
    """
    default = dtype

    def init(key, shape, dtype=default):
        z = random.truncated_normal(key, lower, upper, shape)
        return (stddev * z).astype(_dt(dtype, True))

    return init


def uniform(scale: float = 1e-2, dtype=None):
    """Uniform in ``[0, scale)``, as ``jax.nn.initializers.uniform`` (and Flax's
    ``nn.initializers.uniform``): ``scale`` is the upper bound, not a half-width (``dtype``:
    the initializer's default dtype). For ``[-a, a)`` use ``variance_scaling`` with
    ``distribution="uniform"``, or ``a * (2 * uniform(1.0)(key, shape) - 1)``.

    >>> u = uniform(0.5)(random.key(0), (1000,))
    >>> bool(u.min() >= 0.0), bool(u.max() < 0.5)
    (True, True)
    """
    default = dtype

    def init(key, shape, dtype=default):
        # [0, scale) as JAX's: it was [-scale, scale), a different distribution (mean 0
        # where JAX's is scale / 2) under JAX's name and signature
        return random.uniform(key, shape, _dt(dtype, True), 0.0, scale)

    return init


def _fans(shape) -> tuple[float, float]:
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = float(np.prod(shape[:-2])) if len(shape) > 2 else 1.0
    return shape[-2] * receptive, shape[-1] * receptive


def _size(shape, axes) -> int:
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    nd = len(shape)
    if any(not -nd <= a < nd for a in axes):
        raise WireError(f"variance_scaling: axes {axes} out of range for shape {shape}"
                        f"{at(user_location(4))}")
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _axis_fans(shape, in_axis, out_axis, batch_axis) -> tuple[float, float]:
    """JAX's fans: the sizes of ``in_axis`` and ``out_axis`` (ints or sequences of axes),
    each times the receptive field (the axes in none of the three)."""
    shape = tuple(shape)
    if in_axis == -2 and out_axis == -1 and batch_axis == ():
        return _fans(shape)  # wire's (also for ranks 0 and 1, where JAX raises)
    sizes = [_size(shape, a) for a in (in_axis, out_axis, batch_axis)]
    if 0 in sizes:
        return 0.0, 0.0
    receptive = float(np.prod(shape, dtype=np.int64)) / sizes[0] / sizes[1] / sizes[2]
    return sizes[0] * receptive, sizes[1] * receptive


def variance_scaling(scale: float, mode: str, distribution: str, in_axis=-2, out_axis=-1,
                     batch_axis=(), dtype=None):
    """Samples with variance ``scale / n``, ``n`` the fan in, fan out, their average or
    their geometric mean.

    ``mode`` is ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` or ``"fan_geo_avg"``;
    ``distribution`` is ``"truncated_normal"``, ``"normal"`` or ``"uniform"``. The fans are
    ``jax.nn.initializers``': ``in_axis``/``out_axis`` (ints or sequences of axes; by default
    the last two) give the input and output sizes, ``batch_axis`` axes count in neither, and
    every other axis (a convolution's window) multiplies both. ``dtype`` is the
    initializer's default dtype.

    >>> w = variance_scaling(2.0, "fan_in", "normal")(random.key(1), (400, 300))
    >>> round(float(w.var() * 400), 1)
    2.0
    >>> w = variance_scaling(1.0, "fan_in", "normal", in_axis=0, out_axis=1)(
    ...     random.key(1), (3000, 20, 5))
    >>> round(float(w.var() * 3000 * 5), 1)
    1.0
    """
    if mode not in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
        raise WireError(f"variance_scaling: unknown mode {mode!r}{at(user_location())}")
    if distribution not in ("truncated_normal", "normal", "uniform"):
        raise WireError(
            f"variance_scaling: unknown distribution {distribution!r}{at(user_location())}"
        )
    default = dtype

    def init(key, shape, dtype=default):
        fan_in, fan_out = _axis_fans(shape, in_axis, out_axis, batch_axis)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
             "fan_geo_avg": np.sqrt(fan_in * fan_out)}[mode]
        var = scale / max(n, 1.0)
        dt = _dt(dtype, True)
        if distribution == "uniform":
            lim = np.sqrt(3.0 * var)
            return random.uniform(key, shape, dt, -lim, lim)
        if distribution == "normal":
            return (np.sqrt(var) * random.normal(key, shape)).astype(dt)
        z = random.truncated_normal(key, -2.0, 2.0, shape)
        return (np.sqrt(var) / _TRUNC_STD * z).astype(dt)

    return init


def glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """Glorot/Xavier uniform: variance ``2 / (fan_in + fan_out)``.

    >>> glorot_uniform()(random.key(0), (3, 4)).shape
    (3, 4)
    """
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """Glorot/Xavier (truncated) normal: variance ``2 / (fan_in + fan_out)``.

    >>> glorot_normal()(random.key(0), (3, 4)).shape
    (3, 4)
    """
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def he_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """He/Kaiming uniform: variance ``2 / fan_in`` (for ReLU networks).

    >>> he_uniform()(random.key(0), (3, 3, 1, 8)).shape
    (3, 3, 1, 8)
    """
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """He/Kaiming (truncated) normal: variance ``2 / fan_in``.

    >>> he_normal()(random.key(0), (5, 2)).dtype
    dtype('float64')
    """
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


def lecun_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """LeCun uniform: variance ``1 / fan_in``.

    >>> lecun_uniform()(random.key(0), (5, 2)).shape
    (5, 2)
    """
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """LeCun (truncated) normal: variance ``1 / fan_in``.

    >>> lecun_normal()(random.key(0), (5, 2)).shape
    (5, 2)
    """
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def orthogonal(scale: float = 1.0, column_axis: int = -1, dtype=None):
    """A (semi-)orthogonal matrix over ``column_axis`` (the last by default) vs the rest,
    times ``scale`` (``dtype``: the initializer's default dtype); a shape with a zero size
    gives an empty array.

    >>> q = orthogonal()(random.key(0), (4, 4))
    >>> bool(np.allclose(q.T @ q, np.eye(4)))
    True
    >>> q = orthogonal(column_axis=0)(random.key(0), (3, 5))
    >>> bool(np.allclose(q @ q.T, np.eye(3)))
    True
    """
    default = dtype

    def init(key, shape, dtype=default):
        shape = tuple(shape)
        dt = _dt(dtype, True)
        if len(shape) < 2:
            raise WireError(f"orthogonal needs a shape of rank >= 2, got {shape}"
                            + at(user_location()))
        if not -len(shape) <= column_axis < len(shape):
            raise WireError(f"orthogonal: column_axis {column_axis} out of range for shape "
                            f"{shape}{at(user_location())}")
        if 0 in shape:
            return np.zeros(shape, dt)
        cols = shape[column_axis]
        rows = int(np.prod(shape, dtype=np.int64)) // cols
        a = random.normal(key, (max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # unique Q: a uniform (Haar) sample
        if rows < cols:
            q = q.T
        rest = tuple(np.delete(np.array(shape), column_axis % len(shape)))
        q = np.moveaxis(q.reshape(rest + (cols,)), -1, column_axis)
        return (scale * q).astype(dt)

    return init

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
