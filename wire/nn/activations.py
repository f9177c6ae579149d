"""Activation functions of ``wire.nn``: plain functions of arrays or tracers, built on
``wire.numpy`` so they differentiate (to any order) and jit like any other code.

Numerically stable forms are used throughout: ``sigmoid`` via ``tanh``, ``softplus`` via
``log1p(exp(-|x|))``, and ``log_softmax``/``softmax`` shift by the (gradient-stopped) maximum.

>>> import numpy as np, wire
>>> from wire.nn import relu, log_softmax
>>> relu(np.array([-1.0, 2.0]))
array([0., 2.])
>>> float(np.exp(log_softmax(np.array([1.0, 2.0]))).sum())
1.0
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from ..api.custom import custom_vjp
from ..scipy.special import erf, expit

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus", "sigmoid",
    "log_sigmoid", "tanh", "softmax", "log_softmax", "logsumexp", "identity",
]

_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))


def identity(x):
    """The input, unchanged.

    >>> identity(3.0)
    3.0
    """
    return x


def _relu_impl(x):
    return wnp.maximum(x, 0.0)


def _relu_fwd(x):
    y = wnp.maximum(x, 0.0)
    return y, (y,)


def _relu_bwd(res, ct):
    (y,) = res
    return (ct * (y > 0),)


_relu = custom_vjp(_relu_impl)
_relu.defvjp(_relu_fwd, _relu_bwd)


def relu(x):
    """``max(x, 0)``; its derivative at 0 is taken as 0.

    A custom VJP (``ct * (y > 0)``): ``maximum``'s own rule splits the derivative at ties,
    which costs a comparison and two selects over the whole array; this is one multiply. The
    rule is written with wire operations, so it differentiates again.

    >>> relu(np.array([-2.0, 0.5]))
    array([0. , 0.5])
    """
    return _relu(x)


def relu6(x):
    """``min(max(x, 0), 6)``.

    >>> relu6(np.array([-1.0, 7.0]))
    array([0., 6.])
    """
    return wnp.minimum(wnp.maximum(x, 0.0), 6.0)


def leaky_relu(x, negative_slope: float = 0.01):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    >>> leaky_relu(np.array([-2.0, 3.0]), 0.1)
    array([-0.2,  3. ])
    """
    return wnp.where(x >= 0, x, negative_slope * x)


def elu(x, alpha: float = 1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    >>> elu(np.array([0.0, 1.0]))
    array([0., 1.])
    """
    return wnp.where(x > 0, x, alpha * wnp.expm1(wnp.minimum(x, 0.0)))


def selu(x):
    """Scaled ELU with the self-normalising constants.

    >>> round(float(selu(1.0)), 4)
    1.0507
    """
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * elu(x, alpha)


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))`` (``wire.scipy.special.expit``: no overflow,
    accurate in both tails).

    >>> float(sigmoid(0.0))
    0.5
    """
    return expit(x)


def tanh(x):
    """Hyperbolic tangent.

    >>> float(tanh(0.0))
    0.0
    """
    return wnp.tanh(x)


def softplus(x):
    """``log(1 + exp(x))`` without overflow.

    >>> round(float(softplus(0.0)), 6)
    0.693147
    """
    return wnp.maximum(x, 0.0) + wnp.log1p(wnp.exp(-wnp.abs(x)))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``.

    >>> round(float(log_sigmoid(0.0)), 6)
    -0.693147
    """
    return -softplus(-x)


def silu(x):
    """``x * sigmoid(x)`` (also called swish).

    >>> float(silu(0.0))
    0.0
    """
    return x * sigmoid(x)


swish = silu


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit. ``approximate=True`` uses the tanh form; ``False`` uses erf
    (needs ``wire.scipy.special.erf``).

    >>> round(float(gelu(1.0)), 4)
    0.8412
    """
    if approximate:
        return 0.5 * x * (1.0 + wnp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def logsumexp(x, axis=-1, keepdims: bool = False):
    """``log(sum(exp(x), axis))`` computed stably.

    >>> round(float(logsumexp(np.array([1000.0, 1000.0]))), 4)
    1000.6931
    """
    m = wnp.stop_gradient(wnp.max(x, axis=axis, keepdims=True))
    out = wnp.log(wnp.sum(wnp.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else wnp.squeeze(out, axis=axis)


def log_softmax(x, axis: int = -1):
    """``x - logsumexp(x)`` along ``axis``: log-probabilities from logits.

    >>> np.round(np.exp(log_softmax(np.array([0.0, 0.0]))), 3)
    array([0.5, 0.5])
    """
    shifted = x - wnp.stop_gradient(wnp.max(x, axis=axis, keepdims=True))
    return shifted - wnp.log(wnp.sum(wnp.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis: int = -1):
    """Probabilities ``exp(x) / sum(exp(x))`` along ``axis``.

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    e = wnp.exp(x - wnp.stop_gradient(wnp.max(x, axis=axis, keepdims=True)))
    return e / wnp.sum(e, axis=axis, keepdims=True)
