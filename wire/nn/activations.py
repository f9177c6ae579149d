"""Activation functions of ``wire.nn``: plain functions of arrays or tracers, built on
``wire.numpy`` and ``wire.scipy.special`` so they differentiate (to any order) and jit like
any other code, and so fixes to those functions' special values reach them.

Numerically stable forms are used throughout: ``sigmoid`` is ``expit``, ``softplus`` is
``logaddexp(x, 0)``, ``log_sigmoid`` is ``log_expit``, ``logsumexp``/``softmax``/
``log_softmax`` are ``wire.scipy.special``'s, and ``gelu`` is written with ``erfc`` (exact
form) or ``expit`` (tanh form) so that its value and gradient keep their relative accuracy
in the far negative tail.

Derivatives at kinks follow JAX and torch where they agree; each docstring gives both:

========================  =============  =================  ==================
function, point           wire           torch              JAX
========================  =============  =================  ==================
``relu`` at 0             0              0                  0
``relu`` at NaN           0              1                  0
``relu6`` at 0 and 6      0              0                  0
``leaky_relu`` at 0       1              ``negative_slope`` 1
``elu`` at 0              ``alpha``      ``alpha``          ``alpha``
``selu`` at 0             scale·alpha    scale·alpha        scale·alpha
========================  =============  =================  ==================

>>> import numpy as np, wire
>>> from wire.nn import relu, log_softmax
>>> relu(np.array([-1.0, 2.0]))
array([0., 2.])
>>> float(np.exp(log_softmax(np.array([1.0, 2.0]))).sum())
1.0
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (the doctests use it)

from .. import numpy as wnp
from ..api.custom import custom_jvp
from ..scipy.special import erfc, expit, log_expit
from ..scipy.special import log_softmax as _log_softmax
from ..scipy.special import logsumexp as _logsumexp
from ..scipy.special import softmax as _softmax

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus", "sigmoid",
    "log_sigmoid", "tanh", "softmax", "log_softmax", "logsumexp", "identity",
]

# Python floats, not NumPy scalars: they are weakly typed, so float32 stays float32
_SQRT_2_OVER_PI = 0.7978845608028654
_SQRT_HALF = 0.7071067811865476
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def identity(x):
    """The input, unchanged.

    >>> identity(3.0)
    3.0
    """
    return x


def _relu_impl(x):
    return wnp.maximum(x, 0.0)


def _relu_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    y = wnp.maximum(x, 0.0)
    return y, t * (y > 0)


# a custom JVP, so that forward mode (jvp, jacfwd, hessian) has the same derivative at 0 as
# reverse mode (its transpose): a custom VJP left forward mode to maximum's rule, 1/2 at 0
_relu = custom_jvp(_relu_impl)
_relu.defjvp(_relu_jvp)


def relu(x):
    """``max(x, 0)``. Derivative 0 at 0 (torch and JAX: 0) and 0 at NaN (JAX: 0; torch: 1);
    ``relu(NaN)`` is NaN.

    A custom JVP (``t * (y > 0)``, and its transpose ``ct * (y > 0)`` in reverse mode):
    ``maximum``'s own rule splits the derivative at ties, which costs a comparison and two
    selects over the whole array; this is one multiply. The rule is written with wire
    operations, so it differentiates again.

    >>> relu(np.array([-2.0, 0.5]))
    array([0. , 0.5])
    """
    return _relu(x)


def relu6(x):
    """``min(max(x, 0), 6)``. Derivative 1 on the open interval (0, 6) and 0 elsewhere,
    including at the kinks 0 and 6 (as torch and JAX) and at NaN (as JAX; torch gives 1);
    ``relu6(NaN)`` is NaN.

    >>> relu6(np.array([-1.0, 3.0, 7.0]))
    array([0., 3., 6.])
    >>> import wire
    >>> float(wire.grad(relu6)(0.0)), float(wire.grad(relu6)(6.0))
    (0.0, 0.0)
    """
    inside = wnp.logical_and(x > 0, x < 6)
    return wnp.where(inside, x, wnp.stop_gradient(wnp.minimum(wnp.maximum(x, 0.0), 6.0)))


def leaky_relu(x, negative_slope: float = 0.01):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise. Derivative 1 at 0, as JAX
    (torch gives ``negative_slope``).

    >>> leaky_relu(np.array([-2.0, 3.0]), 0.1)
    array([-0.2,  3. ])
    """
    return wnp.where(x >= 0, x, negative_slope * x)


def elu(x, alpha: float = 1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise. Derivative ``alpha`` at 0 (the
    left one; torch and JAX agree), so 1 for the default ``alpha = 1``, where ELU is smooth.

    The negative branch sees ``where(x > 0, 0, x)`` rather than ``minimum(x, 0)``: the tie
    rule of ``minimum`` would halve the derivative at 0, and the inner ``where`` also keeps
    ``exp`` of large positive inputs from overflowing into the unused branch.

    >>> elu(np.array([-1.0, 0.0, 1.0])).round(6)
    array([-0.632121,  0.      ,  1.      ])
    >>> import wire
    >>> float(wire.grad(elu)(0.0))
    1.0
    """
    positive = x > 0
    return wnp.where(positive, x, alpha * wnp.expm1(wnp.where(positive, 0.0, x)))


def selu(x):
    """Scaled ELU with the self-normalising constants, ``scale * elu(x, alpha)``. Its
    derivative at 0 is ``scale * alpha = 1.7581`` (the left one, as in torch and JAX; the right
    one is ``scale = 1.0507``).

    >>> round(float(selu(1.0)), 4)
    1.0507
    >>> import wire
    >>> round(float(wire.grad(selu)(0.0)), 4)
    1.7581
    """
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def _in_dtype_of(x, y):
    """``y`` in ``x``'s float dtype. ``wire.scipy.special`` follows SciPy's loops, which
    compute float16 in float64 and return float64; a float16 network's activations stay
    float16, as in torch and JAX (rounded once, from the float64 result)."""
    dt = getattr(x, "dtype", None)
    if dt is not None and np.dtype(dt).kind == "f" and np.dtype(dt) != np.dtype(y.dtype):
        return wnp.asarray(y, dt)
    return y


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))`` (``wire.scipy.special.expit``: no overflow,
    accurate in both tails). A float16 input gives a float16 result (SciPy's ``expit``
    returns float64 there; torch and JAX keep float16).

    >>> float(sigmoid(0.0))
    0.5
    >>> sigmoid(np.array([0.0], np.float16)).dtype
    dtype('float16')
    """
    return _in_dtype_of(x, expit(x))


def tanh(x):
    """Hyperbolic tangent.

    >>> float(tanh(0.0))
    0.0
    """
    return wnp.tanh(x)


def softplus(x):
    """``log(1 + exp(x))`` without overflow: ``wire.numpy.logaddexp(x, 0)``. Exact for every
    ``x`` (torch's default returns ``x`` itself above 20, a relative difference below 1e-10).

    >>> round(float(softplus(0.0)), 6)
    0.693147
    """
    return wnp.logaddexp(x, 0.0)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)`` (``wire.scipy.special.log_expit``).

    >>> round(float(log_sigmoid(0.0)), 6)
    -0.693147
    """
    return _in_dtype_of(x, log_expit(x))


def _saturated(x, bound, formula):
    """``formula(x)`` for ``|x| <= bound`` (and NaN), and its limit ``x`` (``x > bound``) or
    ``-0.0`` (``x < -bound``) outside. ``bound`` is where ``formula`` equals that limit to the
    last bit in float64, and its derivatives of every order equal the limit's (1 or 0) there,
    so the switch changes no value; it only keeps ``inf * 0`` (``x * sigmoid'(x)`` at
    ``x = ±inf``, or an overflowed ``x**2`` times a zero) out of the value and the derivatives.
    ``formula`` sees ``x`` replaced by 0 outside, so its unused branch has no NaN to leak into
    the derivative (the double-``where`` idiom)."""
    inside = wnp.logical_not(wnp.abs(x) > bound)
    y = formula(wnp.where(inside, x, 0.0))
    return wnp.where(inside, y, wnp.where(x > 0, x, -0.0))


def silu(x):
    """``x * sigmoid(x)`` (also called swish). Its limits hold at ``±inf``: ``silu(inf) = inf``
    with derivative 1, ``silu(-inf) = -0.0`` with derivative 0 (``x * sigmoid(x)`` itself gives
    ``inf * 0 = NaN`` for the value at ``-inf`` and for the derivatives at both; JAX and torch
    do so).

    >>> float(silu(0.0))
    0.0
    >>> import wire
    >>> float(wire.grad(silu)(np.inf)), float(wire.grad(silu)(-np.inf))
    (1.0, 0.0)
    """
    # sigmoid(-x) underflows to 0 below x = -745, so x * sigmoid(x) and every derivative
    # (polynomials in x times sigmoid(-|x|)) equal the limit's beyond |x| = 800
    return _saturated(x, 800.0, lambda v: v * sigmoid(v))


swish = silu


def gelu(x, approximate: bool = True):
    """Gaussian error linear unit ``x * Phi(x)``. ``approximate=True`` (JAX's default; torch's
    default is the exact form) uses the tanh approximation; ``False`` the exact normal CDF.

    Both are written to stay accurate for very negative ``x``, where ``x * Phi(x)`` is tiny:
    the exact form as ``0.5 * x * erfc(-x / sqrt(2))`` (not ``1 + erf``, which rounds to 0 below
    about -8.5 and takes the gradient with it), the tanh form as ``x * sigmoid(2 z)`` (the same
    function as ``0.5 * x * (1 + tanh(z))``, without the cancellation).

    >>> round(float(gelu(1.0)), 4)
    0.8412
    >>> import wire
    >>> g = wire.grad(lambda x: gelu(x, approximate=False))(-10.0)
    >>> f"{float(g):.6e}"  # mpmath: -7.618400e-22 (torch 2.13: -7.694599e-22)
    '-7.618400e-22'

    The limits hold at ``±inf`` and where ``x**2`` overflows: ``gelu(inf) = inf`` with
    derivative 1 and ``gelu(-inf) = -0.0`` with derivative 0 (``x * Phi(x)`` itself gives
    ``inf * 0 = NaN`` there, as in JAX and torch).

    >>> float(wire.grad(gelu)(np.inf)), float(wire.grad(gelu)(-1e300))
    (1.0, 0.0)
    """
    if approximate:
        # beyond |x| = 30 the sigmoid's argument passes 1900, where exp(-1900) underflows:
        # value and derivatives are the limit's, and x**3 (which overflows float16 at 41, and
        # x**2 in the derivative at 256) is never formed there
        return _saturated(
            x, 30.0,
            lambda v: v * sigmoid((2.0 * _SQRT_2_OVER_PI) * (v + 0.044715 * (v * v * v))))
    # exp(-x**2 / 2) underflows beyond |x| = 39
    return _saturated(x, 40.0, lambda v: 0.5 * v * _in_dtype_of(v, erfc(-_SQRT_HALF * v)))


def logsumexp(x, axis=-1, keepdims: bool = False):
    """``log(sum(exp(x), axis))`` computed stably (``wire.scipy.special.logsumexp``, with
    ``axis=-1`` by default as torch's ``dim`` and JAX's ``jax.nn.logsumexp`` need one):
    ``[-inf, -inf]`` gives ``-inf`` and ``[inf, 0]`` gives ``inf``, as SciPy, JAX and torch do;
    the derivative (the softmax) is finite wherever the result is.

    >>> round(float(logsumexp(np.array([1000.0, 1000.0]))), 4)
    1000.6931
    >>> float(logsumexp(np.array([-np.inf, -np.inf]))), float(logsumexp(np.array([np.inf, 0.0])))
    (-inf, inf)
    """
    return _logsumexp(x, axis=axis, keepdims=keepdims)


def log_softmax(x, axis: int = -1):
    """``x - logsumexp(x)`` along ``axis``: log-probabilities from logits
    (``wire.scipy.special.log_softmax``, shifted by the finite maximum as SciPy's).

    >>> np.round(np.exp(log_softmax(np.array([0.0, 0.0]))), 3)
    array([0.5, 0.5])
    """
    return _log_softmax(x, axis=axis)


def softmax(x, axis: int = -1):
    """Probabilities ``exp(x) / sum(exp(x))`` along ``axis`` (``wire.scipy.special.softmax``).

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    return _softmax(x, axis=axis)
