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

import functools
import math

import numpy as np

from .. import numpy as wnp
from ..errors import ShapeError, WireValueError, at, user_location
from ..api.custom import custom_jvp
from ..scipy.special import erfc, expit, log_expit
from ..scipy.special import log_softmax as _log_softmax
from ..scipy.special import logsumexp as _logsumexp
from ..scipy.special import softmax as _softmax

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus", "sigmoid",
    "log_sigmoid", "tanh", "softmax", "log_softmax", "logsumexp", "identity",
    "celu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "log1mexp",
    "logmeanexp", "mish", "one_hot", "soft_sign", "sparse_plus", "sparse_sigmoid", "squareplus",
    "standardize",
]

# Python floats, not NumPy scalars: they are weakly typed, so float32 stays float32
_SQRT_2_OVER_PI = 0.7978845608028654
_SQRT_HALF = 0.7071067811865476
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _widen_half(fn):
    """``fn`` computed in float32 for a float16 ``x`` and rounded to float16 once, as torch
    computes half-precision activations: in float16 arithmetic the products of their tails
    are subnormal (spacing 6e-8), and ``gelu``'s derivative at -5 came out -3.0e-7 where it
    is -1.55e-6. The derivative goes through the same casts, so it is rounded once too."""

    @functools.wraps(fn)
    def wrapper(x, *args, **kwargs):
        dt = getattr(x, "dtype", None)
        if dt is not None and np.dtype(dt) == np.float16:
            return wnp.asarray(fn(wnp.asarray(x, np.float32), *args, **kwargs), np.float16)
        return fn(x, *args, **kwargs)

    return wrapper


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


@_widen_half
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


@_widen_half
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


def _tanh_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    y = wnp.tanh(x)
    # beyond |x| = 1, sech(x)**2 = 4 e^(-2|x|) / (1 + e^(-2|x|))**2: no overflow, and no
    # cancellation where 1 - tanh(x)**2 (wire.numpy.tanh's rule) loses every digit as
    # |tanh(x)| nears 1. Within, 1 - tanh**2 (tanh**2 <= 0.58: no cancellation), which is
    # smooth at 0 where |x| is not (the derivatives of the rule are tanh's higher ones)
    far = wnp.abs(x) > 1.0
    e = wnp.exp(-2.0 * wnp.abs(wnp.where(far, x, 1.0)))
    near = wnp.tanh(wnp.where(far, 0.0, x))
    return y, t * wnp.where(far, 4.0 * e / ((1.0 + e) * (1.0 + e)), 1.0 - near * near)


_tanh = custom_jvp(wnp.tanh)
_tanh.defjvp(_tanh_jvp)


@_widen_half
def tanh(x):
    """Hyperbolic tangent, with its derivative ``sech(x)**2`` computed as
    ``4 e^(-2|x|) / (1 + e^(-2|x|))**2``: accurate where ``1 - tanh(x)**2`` cancels (at
    ``x = 15.8`` in float64 that form is off by 1e-3, relatively; in float32 it is 0 from
    ``|x| = 9`` on, where the derivative is 6e-8; in float16 30% off at ``x = -3.98``).

    >>> float(tanh(0.0))
    0.0
    >>> import wire
    >>> f"{float(wire.grad(tanh)(np.float32(12.0))):.4e}"   # sech(12)**2 = 1.5101e-10
    '1.5101e-10'
    """
    return _tanh(x)


@_widen_half
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


@_widen_half
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


@_widen_half
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


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False,
              where=None):
    """``log(sum(b * exp(a), axis))`` computed stably, with ``jax.nn.logsumexp``'s signature
    (over all axes by default, as JAX and SciPy; torch's ``dim`` has no default):
    ``wire.scipy.special.logsumexp``, whose weights ``b`` and ``return_sign`` it takes, plus
    ``where``: entries where it is False are left out (a slice with none left gives ``-inf``).
    ``[-inf, -inf]`` gives ``-inf`` and ``[inf, 0]`` gives ``inf``, as SciPy, JAX and torch do;
    the derivative (the softmax) is finite wherever the result is, and 0 for entries left out.
    Where signed weights ``b`` cancel exactly (``b = [1, -1]`` on equal ``a``) the result is
    ``-inf`` and its derivative NaN: ``log|s|`` has no derivative at ``s = 0`` (its one-sided
    limits are ``+inf`` and ``-inf``); JAX's ``±inf`` there takes the sign of a rounded
    ``+0.0``.

    >>> round(float(logsumexp(np.array([1000.0, 1000.0]))), 4)
    1000.6931
    >>> float(logsumexp(np.array([-np.inf, -np.inf]))), float(logsumexp(np.array([np.inf, 0.0])))
    (-inf, inf)
    >>> logsumexp(np.zeros((2, 3)), axis=-1).round(4)
    array([1.0986, 1.0986])
    >>> float(logsumexp(np.array([0.0, np.nan, 0.0]), where=np.array([True, False, True])))
    0.6931471805599453
    """
    return _logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign,
                      where=where)


def log_softmax(x, axis: int = -1, where=None):
    """``x - logsumexp(x)`` along ``axis``: log-probabilities from logits
    (``wire.scipy.special.log_softmax``, shifted by the finite maximum as SciPy's). Entries
    where ``where`` is False are left out, and are ``-inf`` in the result (as ``jax.nn``'s).

    >>> np.round(np.exp(log_softmax(np.array([0.0, 0.0]))), 3)
    array([0.5, 0.5])
    >>> log_softmax(np.array([0.0, 5.0, 0.0]), where=np.array([True, False, True])).round(4)
    array([-0.6931,    -inf, -0.6931])
    """
    empty = _empty_like_float(x)
    if empty is not None:
        return empty
    if where is None:
        return _log_softmax(x, axis=axis)
    return wnp.where(where, _log_softmax(wnp.where(where, x, -np.inf), axis=axis), -np.inf)


def softmax(x, axis: int = -1, where=None):
    """Probabilities ``exp(x) / sum(exp(x))`` along ``axis`` (``wire.scipy.special.softmax``).
    Entries where ``where`` is False are left out, and are 0 in the result (as ``jax.nn``'s;
    a slice with none left is all 0).

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    >>> softmax(np.array([0.0, 9.0, 0.0]), where=np.array([True, False, True]))
    array([0.5, 0. , 0.5])

    An empty ``x`` gives an empty result of its shape, as ``jax.nn.softmax`` (SciPy's raises):
    a row of no logits, as attention over zero keys has.

    >>> softmax(np.zeros((2, 0))).shape
    (2, 0)
    """
    empty = _empty_like_float(x)
    if empty is not None:
        return empty
    if where is None:
        return _softmax(x, axis=axis)
    return wnp.where(where, _softmax(wnp.where(where, x, -np.inf), axis=axis), 0.0)


def _empty_like_float(x):
    """``None`` for a non-empty ``x``; for an empty one, the empty float result of its shape
    (``x``'s dtype if it is inexact, else float64) that ``softmax``/``log_softmax`` give."""
    x = wnp.asarray(x)
    if int(np.prod(x.shape, dtype=np.int64)) != 0:
        return None
    if np.dtype(x.dtype).kind in "fc":
        return x * 0.0  # (no entries: keeps the dtype, and the derivative's link to x)
    return wnp.zeros(x.shape, np.float64)


# --------------------------------------------------------------------------- jax.nn's others

_LOG2 = 0.6931471805599453


@_widen_half
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``x`` for ``x > 0``, ``alpha * (exp(x / alpha) - 1)``
    otherwise (JAX's ``celu``). Its derivative is 1 at 0 from both sides (JAX and torch
    agree); ``alpha`` may be an array, and is differentiable.

    >>> celu(np.array([-1.0, 0.0, 2.0]), 2.0).round(6)
    array([-0.786939,  0.      ,  2.      ])
    >>> import wire
    >>> float(wire.grad(celu)(0.0))
    1.0
    """
    positive = x > 0
    return wnp.where(positive, x, alpha * wnp.expm1(wnp.where(positive, 0.0, x) / alpha))


def glu(x, axis: int = -1):
    """Gated linear unit: ``x`` split in two halves along ``axis``, ``a * sigmoid(b)``. The
    axis must have an even length.

    >>> glu(np.array([2.0, 4.0, 0.0, 0.0]))
    array([1., 2.])
    """
    size = wnp.shape(x)[axis]
    if size % 2:
        raise ShapeError(f"glu: the axis {axis} has odd length {size}; it must split into two "
                         f"halves{at(user_location())}")
    a, b = wnp.split(x, 2, axis=axis)
    return a * sigmoid(b)


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between. Derivative 0 at the kinks
    -3 and 3, as ``relu6`` (JAX and torch agree).

    >>> hard_sigmoid(np.array([-4.0, 0.0, 1.5, 4.0]))
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    return relu6(x + 3.0) / 6.0


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (also called hard swish): ``-0.0`` below -3 and ``x`` above
    3, including at ``±inf`` (where JAX's ``x * hard_sigmoid(x)`` gives ``-inf * 0 = NaN`` at
    ``-inf``); derivative 0 at -3 and 1 at 3, as JAX's.

    >>> hard_silu(np.array([-4.0, 0.0, 1.5, 4.0]))
    array([-0.   ,  0.   ,  1.125,  4.   ])
    >>> float(hard_silu(-np.inf))
    -0.0
    """
    return _saturated(x, 3.0, lambda v: v * hard_sigmoid(v))


hard_swish = hard_silu


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``. Derivative 1 at ±1 (JAX's ``where(x > 1, 1, …)``; torch
    gives 0 there).

    >>> hard_tanh(np.array([-2.0, 0.5, 2.0]))
    array([-1. ,  0.5,  1. ])

    An integer input keeps its dtype, as JAX's (the bounds are Python ints, weakly typed;
    ``1.0`` made ``int8`` input ``float64``):

    >>> hard_tanh(np.array([-3, 0, 3], dtype=np.int8))
    array([-1,  0,  1], dtype=int8)
    """
    return wnp.where(x > 1, 1, wnp.where(x < -1, -1, x))


@_widen_half
def log1mexp(x):
    """``log(1 - exp(-x))`` for ``x >= 0``, accurate at both ends (Mächler's two branches:
    ``log(-expm1(-x))`` below ``log 2``, ``log1p(-exp(-x))`` above). ``-inf`` at 0, 0 at
    ``inf``, NaN below 0 (as JAX); derivative ``1 / expm1(x)``.

    >>> float(log1mexp(np.log(2.0)))
    -0.6931471805599453
    >>> float(log1mexp(1e-20)), float(log1mexp(50.0))
    (-46.051701859880914, -1.9287498479639178e-22)
    """
    small = x < _LOG2
    lo = wnp.log(-wnp.expm1(-wnp.where(small, x, 1.0)))
    hi = wnp.log1p(-wnp.exp(-wnp.where(small, 1.0, x)))
    return wnp.where(small, lo, hi)


def logmeanexp(x, axis=None, where=None, keepdims: bool = False):
    """``log(mean(exp(x)))`` over ``axis`` (all axes by default; JAX's ``logmeanexp``):
    ``logsumexp(x) - log(n)``, ``n`` the number of entries taken (those where ``where``
    holds). An empty reduction is NaN, as JAX's.

    >>> float(logmeanexp(np.array([1000.0, 1000.0])))
    1000.0
    >>> float(logmeanexp(np.array([0.0, 5.0, 0.0]), where=np.array([True, False, True])))
    0.0

    Computed as ``m + log1p(mean(expm1(x - m)))``, ``m`` the largest entry: near a result
    of 0 ``logsumexp(x) - log(n)`` is a difference of nearly equal numbers and kept no
    relative accuracy (0.0 for ``x = 1e-8 * linspace(-1, 1, 7)``, where the mean is
    ``2.2e-17``; JAX gives 0.0 too):

    >>> round(float(logmeanexp(1e-8 * np.linspace(-1, 1, 7))) * 1e17, 6)
    2.222222
    """
    if where is None:
        count = np.prod([wnp.shape(x)[a] for a in _axes(x, axis)], dtype=np.float64)
        xs = x
    else:
        xs = wnp.where(where, x, -np.inf)
        count = wnp.sum(wnp.broadcast_to(where, wnp.shape(x)), axis=axis, keepdims=keepdims)
    # the shift m is a constant for the derivative (the value does not depend on it)
    m = wnp.stop_gradient(wnp.max(xs, axis=axis, keepdims=True, initial=-np.inf))
    m = wnp.where(wnp.isfinite(m), m, 0.0)
    terms = wnp.expm1(xs - m)
    if where is not None:
        terms = wnp.where(where, terms, 0.0)
    mean = wnp.sum(terms, axis=axis, keepdims=keepdims) / _in_dtype_of(
        terms, wnp.asarray(count, np.float64))
    if not keepdims:
        m = wnp.squeeze(m, axis=_axes(x, axis)) if wnp.ndim(m) else m
    return _in_dtype_of(x, m + wnp.log1p(mean))


def _axes(x, axis):
    nd = wnp.ndim(x)
    if axis is None:
        return tuple(range(nd))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % nd if nd else 0 for a in axes)


@_widen_half
def mish(x):
    """``x * tanh(softplus(x))``. Its limits hold at ``±inf``: ``mish(inf) = inf`` with
    derivative 1, ``mish(-inf) = -0.0`` with derivative 0 (``x * tanh(softplus(x))`` gives
    ``-inf * 0 = NaN`` at ``-inf``, as JAX's and torch's do).

    >>> round(float(mish(1.0)), 6)
    0.865098
    >>> float(mish(-np.inf))
    -0.0
    """
    # tanh(softplus(x)) = n / (n + 2), n = e^x (e^x + 2): for x >= 0 written as
    # 1 - 2u² / (1 + 2u + 2u²), u = e^-x, so that 1 - tanh (all the derivatives carry) is not
    # a difference of nearly equal numbers (x * tanh(softplus(x)) gives mish''(12) with five
    # digits, JAX's four). Beyond 800 the value and every derivative are the limit's.
    def formula(v):
        pos = v >= 0
        u = wnp.exp(-wnp.where(pos, v, 0.0))
        e = wnp.exp(wnp.where(pos, 0.0, v))
        n = e * (e + 2.0)
        return wnp.where(pos, v * (1.0 - 2.0 * (u * u) / (1.0 + 2.0 * u + 2.0 * (u * u))),
                         v * n / (n + 2.0))

    return _saturated(x, 800.0, formula)


def one_hot(x, num_classes: int, *, dtype=None, axis=-1):
    """One-hot encoding: a new axis ``axis`` of length ``num_classes`` with 1 at each entry
    of ``x`` and 0 elsewhere; indices outside ``[0, num_classes)`` (and NaN) give all zeros,
    as JAX. ``dtype`` defaults to float64 (JAX's default float; float32 without x64).

    >>> one_hot(np.array([0, 2, -1]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 0., 0.]])
    """
    num_classes = int(num_classes)
    dtype = np.float64 if dtype is None else dtype
    x = wnp.asarray(x)
    nd = wnp.ndim(x) + 1
    if not -nd <= axis < nd:
        raise ShapeError(f"one_hot: axis {axis} is out of range for a result with {nd} "
                         f"dimensions{at(user_location())}")
    axis = axis % nd
    shape = [1] * nd
    shape[axis] = num_classes
    classes = np.arange(num_classes).reshape(shape)
    return wnp.asarray(wnp.expand_dims(x, axis) == classes, dtype)


def soft_sign(x):
    """``x / (|x| + 1)``, with its limits ±1 at ``±inf`` (JAX gives ``inf / inf = NaN``
    there); derivative ``1 / (1 + |x|)²``, to full relative accuracy for large ``|x|``
    (JAX's and the plain quotient's cancel: 0 at ``x = 1e8`` in float32, 3% off at 63 in
    float16).

    >>> soft_sign(np.array([-1.0, 0.0, 3.0, np.inf]))
    array([-0.5 ,  0.  ,  0.75,  1.  ])
    """
    inf = wnp.isinf(x)
    v = wnp.where(inf, 0.0, x)
    a = wnp.abs(v)
    # beyond |x| = 1 as sign(x) (1 - 1 / (|x| + 1)): the same value without cancellation, and
    # its derivative is 1 / (|x| + 1)**2 directly, where x / (|x| + 1)'s is the difference of
    # two nearly equal terms (0 instead of 1e-16 at x = -1e8 in float32)
    big = a > 1.0
    return wnp.where(inf, wnp.sign(x),
                     wnp.where(big, wnp.sign(v) * (1.0 - 1.0 / (wnp.where(big, a, 0.0) + 1.0)),
                               v / (wnp.where(big, 0.0, a) + 1.0)))


def sparse_plus(x):
    """0 for ``x <= -1``, ``(x + 1)² / 4`` for ``-1 < x < 1``, ``x`` for ``x >= 1``: the
    smooth, convex twin of softplus that is exactly 0 and exactly linear outside ``[-1, 1]``
    (as JAX's). Its derivative is ``sparse_sigmoid``.

    >>> sparse_plus(np.array([-2.0, 0.0, 2.0]))
    array([0.  , 0.25, 2.  ])
    >>> import wire
    >>> float(wire.grad(sparse_plus)(np.inf)), float(wire.grad(sparse_plus)(-np.inf))
    (1.0, 0.0)
    """
    # the quadratic never sees ±inf: its derivative 2(x + 1)/4 there was inf, times the zero
    # cotangent of the unselected branch: NaN (JAX gives 0 and 1)
    q = wnp.where(wnp.isinf(x), 0.0, x)
    return wnp.where(x <= -1.0, 0.0, wnp.where(x >= 1.0, x, (q + 1.0) ** 2 / 4.0))


def sparse_sigmoid(x):
    """0 for ``x <= -1``, ``(x + 1) / 2`` between, 1 for ``x >= 1``: the derivative of
    ``sparse_plus``. Its derivative at the kinks ±1 is 0, as ``sparse_plus``'s second
    derivative there (JAX's ``0.5 * clip(x + 1, 0, 2)`` gives 1/4 by its tie rule).

    >>> sparse_sigmoid(np.array([-2.0, 0.0, 0.5, 2.0]))
    array([0.  , 0.5 , 0.75, 1.  ])

    At NaN the value is NaN and the derivative 0, as JAX's and as ``relu``'s and
    ``hard_sigmoid``'s (the middle piece's slope 1/2 came out before):

    >>> import wire
    >>> float(sparse_sigmoid(np.nan)), float(wire.grad(sparse_sigmoid)(np.nan))
    (nan, 0.0)
    """
    nan = wnp.isnan(x)
    mid = (wnp.where(nan, 0.0, x) + 1.0) / 2.0
    return wnp.where(nan, np.nan, wnp.where(x <= -1.0, 0.0, wnp.where(x >= 1.0, 1.0, mid)))


@_widen_half
def squareplus(x, b=4):
    """``(x + sqrt(x² + b)) / 2``, smooth for ``b > 0``. Computed as ``x + b / (2 (r + x))``
    for ``x >= 0`` and ``b / (2 (r - x))`` below, ``r = hypot(x, sqrt(b))``: no cancellation in
    the negative tail (JAX's formula returns 0 below about ``-1e8``, the truth ``-b / 4x``)
    and no overflow of ``x²`` (JAX gives ``inf`` from ``x ≈ 1.3e154`` on).

    >>> float(squareplus(0.0))
    1.0
    >>> float(squareplus(-1e10))      # b / (4 |x|)
    1e-10
    """
    if isinstance(b, (bool, int, float)):  # a Python number stays weak: float32 stays float32
        def root(v):  # sqrt(v² + b); hypot does not overflow (b < 0 has no real square root)
            return wnp.hypot(v, math.sqrt(b)) if b >= 0 else wnp.sqrt(v * v + b)
    else:
        def root(v):
            nonneg = b >= 0
            return wnp.where(nonneg, wnp.hypot(v, wnp.sqrt(wnp.where(nonneg, b, 1.0))),
                             wnp.sqrt(v * v + wnp.where(nonneg, 1.0, b)))
    pos = x >= 0
    xp = wnp.where(pos, x, 0.0)
    xn = wnp.where(pos, -1.0, x)
    # x + b / (2 (r + x)) rather than (x + r) / 2: the same value, but the derivatives of
    # r's derivative x / r (which cancel, 1/r - x²/r³) enter scaled by b / (r + x)²
    den = root(xp) + xp  # 0 only at x = 0 with b = 0, where the value is 0
    zero = den == 0
    return wnp.where(pos, xp + wnp.where(zero, 0.0, b / (2.0 * wnp.where(zero, 1.0, den))),
                     (b / 4.0) / (0.5 * root(xn) - 0.5 * xn))  # r - x may overflow


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None, *,
                algorithm: str = "stable"):
    """``(x - mean) / sqrt(variance + epsilon)`` with the mean and variance of ``x`` along
    ``axis`` (over the entries where ``where`` holds) unless given (JAX's ``standardize``).
    ``algorithm='stable'`` (the default here) takes the variance as ``mean((x - mean)²)``;
    ``'fast'``, JAX's default, as ``mean(x²) - mean²`` clipped at 0, which cancels
    catastrophically when the mean is large against the spread (``[1e8, 1e8 + 1]`` has
    variance 0.25; the fast form gives 0 in float32).

    >>> standardize(np.array([1.0, 2.0, 3.0]), epsilon=0.0).round(6)
    array([-1.224745,  0.      ,  1.224745])

    When both statistics are computed here, the squares cannot overflow: float16 inputs are
    computed in float32 (as ``LayerNorm``), and values above 1 are first divided by a power of
    two near the largest (an exact scaling, so ordinary inputs give the same bits). float16
    ``[6e4, 6e4, -6e4, 0]`` gave ``[0, 0, nan, 0]`` and float32 ``[3e19, 3e19, -3e19, 0]`` all
    zeros (JAX's give NaN); both now give the float64 values ``[0.905, 0.905, -1.508, -0.302]``
    rounded to their dtype.

    >>> standardize(np.array([6e4, 6e4, -6e4, 0.0], np.float16)).round(3)
    array([ 0.904,  0.904, -1.508, -0.302], dtype=float16)
    """
    if algorithm not in ("stable", "fast"):
        raise WireValueError(f"standardize: algorithm must be 'stable' or 'fast', got "
                             f"{algorithm!r}{at(user_location())}")
    w = True if where is None else where
    if mean is None and variance is None:
        scaled = _standardize_scaled(x, axis, epsilon, w, algorithm)
        if scaled is not None:
            return scaled
    if mean is None:
        mean = wnp.mean(x, axis, keepdims=True, where=w)
    if variance is None:
        if algorithm == "stable":
            variance = wnp.mean(wnp.square(x - mean), axis, keepdims=True, where=w)
        else:
            variance = wnp.mean(wnp.square(x), axis, keepdims=True, where=w) - wnp.square(mean)
            variance = wnp.maximum(variance, 0.0)
    return (x - mean) / wnp.sqrt(variance + epsilon)


def _standardize_scaled(x, axis, epsilon, w, algorithm):
    """``standardize`` of a non-empty float ``x`` computing both statistics, in at least
    float32 and scaled by a power of two near its largest magnitude (a constant for the
    derivative), so that no square overflows; None for other inputs (the plain formula)."""
    x = wnp.asarray(x)
    dt = np.dtype(x.dtype)
    if dt.kind != "f" or int(np.prod(x.shape, dtype=np.int64)) == 0:
        return None
    xs = wnp.asarray(x, np.result_type(dt, np.float32))
    # the largest magnitude among the entries taken (a masked-out huge value must not
    # scale the others into the subnormals)
    big = wnp.stop_gradient(wnp.max(wnp.where(w, wnp.abs(xs), 0.0), axis=axis, keepdims=True))
    ok = wnp.logical_and(wnp.isfinite(big), big > 1.0)
    p2 = wnp.exp2(wnp.floor(wnp.log2(wnp.where(ok, big, 1.0))))
    xn = xs / p2
    mean = wnp.mean(xn, axis, keepdims=True, where=w)
    if algorithm == "stable":
        variance = wnp.mean(wnp.square(xn - mean), axis, keepdims=True, where=w)
    else:
        variance = wnp.maximum(
            wnp.mean(wnp.square(xn), axis, keepdims=True, where=w) - wnp.square(mean), 0.0)
    out = (xn - mean) / wnp.sqrt(variance + epsilon / p2 / p2)  # (p2² overflows float32)
    return out if out.dtype == dt else wnp.asarray(out, dt)
