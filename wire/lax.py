"""``jax.lax``'s names, on wire: control flow, the strict, unpromoted array operations,
complex parts and special functions, general and windowed reductions, associative scans and
convolutions.

A script written against ``jax.lax`` ports by ``from wire import lax``. Each name here has
``jax.lax``'s meaning, not NumPy's: binary operations need operands of one dtype (no
promotion: ``lax.add(f32, 1.0)`` is an error, as in JAX) and of one rank (a 0-d operand
broadcasts); ``lax.max`` propagates NaN and takes ``+0.0`` over ``-0.0``; ``lax.div`` and
``lax.rem`` round integer quotients toward zero; ``lax.round`` rounds halves away from zero;
``lax.select`` needs a predicate of the cases' shape (or a scalar). Arguments wire does not
support raise a ``wire.WireError`` naming them (complex operands of most functions among
them); names of ``jax.lax`` that are not here are listed in ``docs/from-jax.md``.

>>> import numpy as np
>>> from wire import lax
>>> lax.max(np.array([np.nan, -0.0]), np.array([1.0, 0.0]))
array([nan,  0.])
>>> lax.fori_loop(0, 4, lambda i, x: x + i, 0)
6
"""

from __future__ import annotations

import builtins
import enum
import functools
import operator
from typing import Callable, NamedTuple, Sequence

import numpy as np

from . import numpy as wnp
from . import tree
from .api import custom_jvp, vmap
from .api import control_flow as _control_flow
from .api.control_flow import scan  # wire.scan (an entry point)
from .core import Tracer, to_tracer
from .core import trace as _trace
from .errors import (
    MissingNameError, ShapeError, WireIndexError, WireNotImplementedError, WireTypeError, WireValueError, at,
    user_location,
)
from .numpy import stop_gradient as _stop_gradient
from .numpy._at import At
from .numpy._math import _ones_of_unsigned
from .numpy._promote import static_size
from .implicit import custom_linear_solve, custom_root
from .ops import complex_parts as _CP
from .ops import float_bits as _FB
from .ops import incomplete as _INC
from .ops import special as _SP
from .runtime.evaluate import evaluate as _evaluate
from .scipy import special as _special
from .tracebacks import expose

__all__ = [
    "RoundingMethod",
    # control flow
    "cond", "switch", "while_loop", "fori_loop", "scan", "map", "select", "select_n",
    "stop_gradient", "clamp",
    # elementwise
    "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "cbrt", "ceil", "cos", "cosh",
    "conj", "digamma", "erf", "erf_inv", "erfc", "exp", "exp2", "expm1", "floor", "imag",
    "integer_pow", "is_finite", "lgamma", "log", "log1p", "logistic", "neg", "real", "round",
    "rsqrt", "sign", "sin", "sinh", "sqrt", "square", "tan", "tanh",
    "add", "sub", "mul", "div", "rem", "max", "min", "pow", "atan2", "nextafter",
    "eq", "ne", "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "shift_left", "shift_right_arithmetic", "shift_right_logical", "complex",
    # special functions
    "bessel_i0e", "bessel_i1e", "betainc", "igamma", "igammac", "igamma_grad_a", "polygamma",
    "random_gamma_grad", "zeta",
    # reductions and scans
    "reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and", "reduce_or",
    "reduce_xor",
    "argmax", "argmin", "cumlogsumexp", "cumsum", "cumprod", "cummax", "cummin", "sort", "sort_key_val", "top_k",
    "associative_scan", "reduce", "reduce_window",
    # shapes, types, products
    "broadcast", "broadcast_in_dim", "broadcasted_iota", "collapse", "concatenate", "convert_element_type", "dot",
    "dot_general", "dynamic_slice", "dynamic_slice_in_dim", "dynamic_index_in_dim",
    "dynamic_update_slice", "expand_dims", "pad", "full", "full_like", "iota", "reshape",
    "rev", "slice", "slice_in_dim", "index_in_dim", "squeeze", "transpose",
    # convolutions
    "ConvDimensionNumbers", "conv", "conv_dimension_numbers", "conv_general_dilated",
    "conv_general_dilated_patches", "conv_transpose", "conv_with_general_padding",
    # gather and scatter
    "GatherDimensionNumbers", "GatherScatterMode", "ScatterDimensionNumbers", "gather",
    "scatter", "scatter_add", "scatter_apply", "scatter_max", "scatter_min", "scatter_mul",
    "scatter_sub",
    # more
    "Precision", "approx_max_k", "approx_min_k", "batch_matmul", "broadcast_shapes",
    "broadcast_to_rank", "dynamic_update_index_in_dim", "dynamic_update_slice_in_dim",
    "optimization_barrier", "padtype_to_pads", "population_count", "reciprocal", "split",
    "stack", "tile", "unstack", "with_sharding_constraint",
    # bits of numbers, implicit differentiation
    "bitcast_convert_type", "clz", "reduce_precision", "custom_root", "custom_linear_solve",
]

_PYTHON = {bool: np.dtype(bool), int: np.dtype(np.int64), float: np.dtype(np.float64),
           complex: np.dtype(np.complex128)}
_KIND_NAMES = {"b": "bool", "i": "signed integers", "u": "unsigned integers",
               "f": "floating", "c": "complex"}


def _aval(x, name: str) -> tuple:
    """``(shape, dtype)`` of an operand (a Python scalar counts as JAX counts it with x64:
    int64, float64); ``shape`` is None for a var of unknown shape."""
    t = type(x)
    if t in _PYTHON:
        return (), _PYTHON[t]
    if isinstance(x, (Tracer, np.ndarray, np.generic)):
        return (None if x.shape is None else tuple(x.shape)), np.dtype(x.dtype)
    raise WireTypeError(f"lax.{name}: an operand of type {t.__name__} ({x!r:.60}) is not an "
                        f"array; pass np.asarray(...){at(user_location(3))}")


def _check_kind(name: str, x, kinds: str, jax_kinds: str = "", what: str = "an operand"):
    """The operand's ``(shape, dtype)``, its dtype checked: one of ``kinds``; a dtype only
    jax.lax accepts (``jax_kinds``) is a WireNotImplementedError, any other a WireTypeError."""
    shape, dtype = _aval(x, name)
    if dtype.kind not in kinds:
        accepted = ", ".join(_KIND_NAMES[k] for k in kinds)
        if dtype.kind in jax_kinds:
            raise WireNotImplementedError(
                f"wire.lax.{name} does not take {dtype} operands (jax.lax.{name} does); "
                f"accepted: {accepted}{at(user_location(3))}")
        raise WireTypeError(f"lax.{name} does not accept dtype {dtype} for {what}; accepted: "
                            f"{accepted}{at(user_location(3))}")
    return shape, dtype


def _same(name: str, avals, what: str = "arguments") -> None:
    """jax.lax's rule for n-ary operations: one dtype, one rank (0-d operands broadcast),
    sizes equal or 1."""
    dtypes = [d for _, d in avals]
    if builtins.any(d != dtypes[0] for d in dtypes):
        raise WireTypeError(
            f"lax.{name} requires {what} to have the same dtypes, got "
            f"{', '.join(str(d) for d in dtypes)} (wire.numpy.{name} promotes)"
            f"{at(user_location(3))}")
    shapes = [s for s, _ in avals if s is not None and s != ()]
    if builtins.any(len(s) != len(shapes[0]) for s in shapes):
        raise ShapeError(f"lax.{name}: arrays must have the same number of dimensions, got "
                         f"shapes {', '.join(str(s) for s, _ in avals)}{at(user_location(3))}")
    for dims in zip(*shapes):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ShapeError(f"lax.{name}: incompatible shapes "
                             f"{', '.join(str(s) for s, _ in avals)}{at(user_location(3))}")


def _doc(fn, name: str, text: str, example: str):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{text}\n\n>>> import numpy as np\n>>> from wire import lax\n{example}\n"
    return fn


# --------------------------------------------------------------------------- elementwise

_F, _FC = "f", "fc"


def _in_dtype(y, dtype):
    """``y`` in the operand's float ``dtype``, as XLA computes it (SciPy's functions have
    float32 and float64 loops only: a float16 operand came back float32 or float64)."""
    ydt = _aval(y, "")[1]
    if dtype.kind == "f" and ydt.kind == "f" and ydt != dtype:
        return wnp.asarray(y, dtype)
    return y


def _unary(name: str, kinds: str, jax_kinds: str, impl: Callable, text: str, example: str):
    def fn(x):
        dtype = _check_kind(name, x, kinds, jax_kinds)[1]
        return _in_dtype(impl(x), dtype)

    return _doc(fn, name, text, example)


def _sign(x):
    if np.dtype(x.dtype if hasattr(x, "dtype") else type(x)).kind == "f":
        return wnp.where(x == 0, x * 0.0, wnp.sign(x))  # keeps -0.0, as XLA's sign
    return wnp.sign(x)


def _away_from_zero(x):
    whole = wnp.trunc(x)
    frac = x - whole  # exact: no rounding in x - trunc(x)
    return wnp.where(wnp.abs(frac) >= 0.5, whole + wnp.copysign(1.0, x).astype(whole.dtype),
                     whole)


def _abs(x):
    if _aval(x, "abs")[1].kind != "c":
        return wnp.abs(x)
    # XLA's modulus is NaN when either part is (C's hypot, and NumPy's, give inf(inf, nan))
    nan = wnp.isnan(wnp.real(x)) | wnp.isnan(wnp.imag(x))
    return wnp.where(nan, np.nan, wnp.abs(x))


abs = _unary("abs", "iufc", "iufc", _abs,
             "``|x|`` (for a complex ``x``, its modulus: NaN if either part is NaN, as XLA's).",
             ">>> lax.abs(np.array([-2.0, -0.0]))\narray([2., 0.])")
neg = _unary("neg", "iuf", "iufc", wnp.negative, "``-x``.",
             ">>> lax.neg(np.array([1.0, 0.0]))\narray([-1., -0.])")
sign = _unary("sign", "iuf", "iufc", _sign,
              "``-1``, ``0`` or ``1`` (``-0.0`` stays ``-0.0`` and NaN stays NaN, as in XLA).",
              ">>> lax.sign(np.array([-3.0, -0.0, 2.0]))\narray([-1., -0.,  1.])")
floor = _unary("floor", _F, "", wnp.floor, "Rounds down.",
               ">>> lax.floor(np.array([-1.5, 1.5]))\narray([-2.,  1.])")
ceil = _unary("ceil", _F, "", wnp.ceil, "Rounds up.",
              ">>> lax.ceil(np.array([-1.5, 1.5]))\narray([-1.,  2.])")
is_finite = _unary("is_finite", _F, "", wnp.isfinite, "Whether ``x`` is neither inf nor NaN.",
                   ">>> lax.is_finite(np.array([1.0, np.inf, np.nan]))\n"
                   "array([ True, False, False])")
square = _unary("square", "iuf", "iufc", wnp.square, "``x * x``.",
                ">>> lax.square(np.array([3, -2]))\narray([9, 4])")
real = _unary("real", "c", "", wnp.real, "The real part of a complex ``x``.",
              ">>> lax.real(np.array([1 + 2j]))\narray([1.])")
imag = _unary("imag", "c", "", wnp.imag, "The imaginary part of a complex ``x``.",
              ">>> lax.imag(np.array([1 + 2j]))\narray([2.])")
exp = _unary("exp", _F, _FC, wnp.exp, "``e ** x``.",
             ">>> lax.exp(np.array([0.0, -np.inf]))\narray([1., 0.])")
exp2 = _unary("exp2", _F, _FC, wnp.exp2, "``2 ** x``.",
              ">>> lax.exp2(np.array([3.0, -1.0]))\narray([8. , 0.5])")
expm1 = _unary("expm1", _F, _FC, wnp.expm1, "``e ** x - 1``, accurate near 0.",
               ">>> lax.expm1(np.array([0.0, -np.inf]))\narray([ 0., -1.])")
log = _unary("log", _F, _FC, wnp.log, "Natural logarithm.",
             ">>> lax.log(np.array([1.0, 0.0]))\narray([  0., -inf])")
log1p = _unary("log1p", _F, _FC, wnp.log1p, "``log(1 + x)``, accurate near 0.",
               ">>> lax.log1p(np.array([0.0, -1.0]))\narray([  0., -inf])")
sin = _unary("sin", _F, _FC, wnp.sin, "Sine.", ">>> lax.sin(np.array([0.0, -0.0]))\n"
             "array([ 0., -0.])")
cos = _unary("cos", _F, _FC, wnp.cos, "Cosine.", ">>> lax.cos(np.array([0.0]))\narray([1.])")
tan = _unary("tan", _F, _FC, wnp.tan, "Tangent.", ">>> lax.tan(np.array([0.0]))\narray([0.])")
asin = _unary("asin", _F, _FC, wnp.arcsin, "Inverse sine.",
              ">>> lax.asin(np.array([0.0, 2.0]))\narray([ 0., nan])")
acos = _unary("acos", _F, _FC, wnp.arccos, "Inverse cosine.",
              ">>> lax.acos(np.array([1.0]))\narray([0.])")
atan = _unary("atan", _F, _FC, wnp.arctan, "Inverse tangent.",
              ">>> lax.atan(np.array([0.0]))\narray([0.])")
sinh = _unary("sinh", _F, _FC, wnp.sinh, "Hyperbolic sine.",
              ">>> lax.sinh(np.array([0.0]))\narray([0.])")
cosh = _unary("cosh", _F, _FC, wnp.cosh, "Hyperbolic cosine.",
              ">>> lax.cosh(np.array([0.0]))\narray([1.])")
tanh = _unary("tanh", _F, _FC, wnp.tanh, "Hyperbolic tangent.",
              ">>> lax.tanh(np.array([0.0, np.inf]))\narray([0., 1.])")
asinh = _unary("asinh", _F, _FC, wnp.arcsinh, "Inverse hyperbolic sine.",
               ">>> lax.asinh(np.array([0.0]))\narray([0.])")
acosh = _unary("acosh", _F, _FC, wnp.arccosh, "Inverse hyperbolic cosine.",
               ">>> lax.acosh(np.array([1.0]))\narray([0.])")
atanh = _unary("atanh", _F, _FC, wnp.arctanh, "Inverse hyperbolic tangent.",
               ">>> lax.atanh(np.array([0.0, 1.0]))\narray([ 0., inf])")
sqrt = _unary("sqrt", _F, _FC, wnp.sqrt, "Square root.",
              ">>> lax.sqrt(np.array([4.0, -0.0]))\narray([ 2., -0.])")
rsqrt = _unary("rsqrt", _F, _FC, lambda x: 1.0 / wnp.sqrt(x), "``1 / sqrt(x)``.",
               ">>> lax.rsqrt(np.array([4.0, 0.0]))\narray([0.5, inf])")
cbrt = _unary("cbrt", _F, "", wnp.cbrt, "Cube root.",
              ">>> lax.cbrt(np.array([-8.0]))\narray([-2.])")
logistic = _unary("logistic", _F, _FC, _special.expit, "``1 / (1 + exp(-x))``.",
                  ">>> lax.logistic(np.array([0.0, -np.inf]))\narray([0.5, 0. ])")
erf = _unary("erf", _F, "", _special.erf, "The error function.",
             ">>> lax.erf(np.array([0.0, np.inf]))\narray([0., 1.])")
erfc = _unary("erfc", _F, "", _special.erfc, "``1 - erf(x)``, accurate for large ``x``.",
              ">>> lax.erfc(np.array([0.0, np.inf]))\narray([1., 0.])")


def _erf_inv(x):
    # erfinv(-0.0) is -0.0 in XLA; x * sqrt(pi) / 2 is that zero with erfinv's slope at 0
    return wnp.where(x == 0, x * float(np.sqrt(np.pi) / 2), _special.erfinv(x))


def _lgamma(x):
    return wnp.where(x == -np.inf, np.inf, _special.gammaln(x))  # XLA's value at -inf


def _digamma(x):
    pole = (x <= 0) & (x == wnp.floor(x))  # 0, -1, -2, ... and -inf: NaN in XLA
    return wnp.where(pole, np.nan, _special.digamma(x))


erf_inv = _unary("erf_inv", _F, "", _erf_inv, "The inverse of ``erf`` (``-0.0`` at ``-0.0``).",
                 ">>> lax.erf_inv(np.array([-0.0, 1.0]))\narray([-0., inf])")
lgamma = _unary("lgamma", _F, "", _lgamma,
                "``log |Γ(x)|`` (``inf`` at ``-inf``, as XLA's; SciPy's ``gammaln`` gives "
                "``-inf``).",
                ">>> lax.lgamma(np.array([1.0, 3.0]))\narray([0.        , 0.69314718])")
digamma = _unary("digamma", _F, "", _digamma,
                 "``Γ'(x) / Γ(x)``; NaN at the poles ``0, -1, -2, …`` (as XLA's; SciPy's "
                 "``psi(0.0)`` is ``-inf``).",
                 ">>> lax.digamma(np.array([1.0, -0.0, -2.0]))\n"
                 "array([-0.57721566,         nan,         nan])")


class RoundingMethod(enum.IntEnum):
    """How :func:`round` rounds halves (``jax.lax.RoundingMethod``; JAX's members, which are
    ``int``s of the same values, are accepted as well).

    >>> int(RoundingMethod.TO_NEAREST_EVEN)
    1
    """

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):  # noqa: A001 - jax.lax's name
    """``x`` rounded to an integral value: halves away from zero (the default, as
    ``jax.lax.round``; NumPy's ``round`` rounds them to even), or to even with
    ``RoundingMethod.TO_NEAREST_EVEN``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.round(np.array([0.5, 1.5, -2.5]))
    array([ 1.,  2., -3.])
    >>> lax.round(np.array([0.5, 1.5, -2.5]), lax.RoundingMethod.TO_NEAREST_EVEN)
    array([ 0.,  2., -2.])
    """
    _check_kind("round", x, _F)
    try:
        method = RoundingMethod(int(rounding_method))
    except (TypeError, ValueError):
        raise WireValueError(f"lax.round: rounding_method must be RoundingMethod."
                             f"AWAY_FROM_ZERO (0) or TO_NEAREST_EVEN (1), got "
                             f"{rounding_method!r}{at(user_location())}") from None
    if method is RoundingMethod.TO_NEAREST_EVEN:
        return wnp.rint(x)
    return _away_from_zero(x)


def integer_pow(x, y: int):
    """``x ** y`` for a Python int ``y``, by repeated squaring as ``jax.lax.integer_pow``
    computes it (so its roundings are JAX's; ``y < 0`` divides 1 by the product).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.integer_pow(np.array([2.0, -0.0]), -3)
    array([0.125,  -inf])
    >>> lax.integer_pow(np.array([3]), 3)
    array([27])
    """
    shape, dtype = _check_kind("integer_pow", x, "iuf", "iufc")
    if type(y) is not int and not isinstance(y, np.integer):
        raise WireTypeError(f"lax.integer_pow: the exponent must be a Python int, got "
                            f"{y!r:.60}; use lax.pow for array exponents{at(user_location())}")
    y = int(y)
    if y < 0 and dtype.kind in "iu":
        raise WireTypeError(f"lax.integer_pow: integers cannot be raised to negative powers, "
                            f"got {dtype}{list(shape or ())} ** {y}{at(user_location())}")
    if y == 0:
        return wnp.ones_like(x)
    return _integer_pow(x, y)


def _integer_pow(x, y: int):
    n, acc, base = builtins.abs(y), None, x
    while n > 0:  # jax's _integer_pow: the same multiplications in the same order
        if n & 1:
            acc = base if acc is None else acc * base
        n >>= 1
        if n > 0:
            base = base * base
    if y < 0:
        return wnp.asarray(1, dtype=wnp.result_type(x)) / acc
    return wnp.copy(x) if acc is x else acc  # a fresh array, never ``x`` itself


_integer_pow = custom_jvp(_integer_pow, nondiff_argnums=(1,))


@_integer_pow.defjvp
def _integer_pow_jvp(y, primals, tangents):
    # JAX's rule, y * x ** (y - 1): the chain rule through the products above met 0 * inf
    # where x ** y over- or underflows (the derivative of x ** -3 at 0, inf or 1e200 was NaN)
    (x,), (t,) = primals, tangents
    d = wnp.ones_like(x) if y == 1 else _integer_pow(x, y - 1) * float(y)
    return _integer_pow(x, y), t * d


def _binary(name: str, kinds: str, jax_kinds: str, impl: Callable, text: str, example: str):
    def fn(x, y):
        ax = _check_kind(name, x, kinds, jax_kinds)
        ay = _check_kind(name, y, kinds, jax_kinds)
        _same(name, [ax, ay])
        return impl(x, y)

    return _doc(fn, name, text, example)


def _is_float(x) -> bool:
    return _aval(x, "")[1].kind == "f"


def _max(x, y):
    out = wnp.maximum(x, y)
    if not _is_float(x):
        return out
    # XLA's max of +0.0 and -0.0 is +0.0 (NumPy's is its first argument); adding +0.0 makes
    # -0.0 +0.0 and leaves the derivative alone
    both = (x == 0) & (y == 0) & ~(wnp.signbit(x) & wnp.signbit(y))
    return wnp.where(both, out + 0.0, out)


def _min(x, y):
    out = wnp.minimum(x, y)
    if not _is_float(x):
        return out
    both = (x == 0) & (y == 0) & (wnp.signbit(x) | wnp.signbit(y))
    return wnp.where(both, -((-out) + 0.0), out)  # -0.0 wins, as in XLA


def _int_parts(x, y):
    """XLA's integer division: the quotient rounded toward zero, ``x / 0 = -1`` (all bits
    set) and ``x % 0 = x``."""
    zero = y == 0
    safe = wnp.where(zero, wnp.ones_like(y), y)
    r = wnp.fmod(x, safe)  # C's remainder: the sign of x
    q = (x - r) // safe  # exact: x - r is a multiple of safe
    dtype = _aval(x, "")[1]
    q = wnp.where(zero, np.array(-1).astype(dtype), q)
    return q, wnp.where(zero, x, r)


def _div(x, y):
    if _aval(x, "div")[1].kind in "iu":
        return _int_parts(x, y)[0]
    return wnp.true_divide(x, y)


def _rem(x, y):
    if _aval(x, "rem")[1].kind in "iu":
        return _int_parts(x, y)[1]
    return wnp.fmod(x, y)


add = _binary("add", "iufc", "iufc", wnp.add, "``x + y`` (one dtype, no promotion).",
              ">>> lax.add(np.array([1.0, 2.0]), np.array(0.5))\narray([1.5, 2.5])")
sub = _binary("sub", "iufc", "iufc", wnp.subtract, "``x - y`` (one dtype, no promotion).",
              ">>> lax.sub(np.array([1, 2]), np.array([2, 2]))\narray([-1,  0])")
_mul = _binary("mul", "iuf", "iufc", wnp.multiply, "", "")


def mul(x, y, *, out_dtype=None):
    """``x * y`` (one dtype, no promotion). With ``out_dtype`` (as ``jax.lax.mul``) both
    operands are converted to it first (:func:`convert_element_type`), so they may differ in
    dtype; derivatives flow back through the conversions.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.mul(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    array([3., 8.])
    >>> lax.mul(np.int8(100), np.int8(3), out_dtype=np.int32)
    np.int32(300)
    """
    if out_dtype is None:
        return _mul(x, y)
    out = np.dtype(out_dtype)
    ax = _check_kind("mul", x, "iuf", "iufc")
    ay = _check_kind("mul", y, "iuf", "iufc")
    if out.kind not in "iuf":
        raise WireNotImplementedError(f"wire.lax.mul: out_dtype={out} is not supported (integer "
                                      f"or floating only){at(user_location())}")
    _same("mul", [(ax[0], out), (ay[0], out)])
    return _mul(convert_element_type(x, out), convert_element_type(y, out))


div = _binary("div", "iuf", "iufc", _div,
              "``x / y``; integers: the quotient rounded toward zero (``-7 / 2 = -3``), and "
              "``x / 0 = -1``, as XLA.",
              ">>> lax.div(np.array([-7, 7, 1]), np.array([2, 2, 0]))\narray([-3,  3, -1])")
rem = _binary("rem", "iuf", "iuf", _rem,
              "The remainder of :func:`div`, with the sign of ``x`` (C's ``fmod``; "
              "``x % 0 = x`` for integers).",
              ">>> lax.rem(np.array([-7.5, 7]), np.array([2.0, -2]))\narray([-1.5,  1. ])")
max = _binary("max", "buif", "buifc", _max,  # noqa: A001 - jax.lax's name
              "The larger of ``x`` and ``y``: NaN if either is NaN, ``+0.0`` of ``+0.0`` and "
              "``-0.0``; at ties the derivative is shared half and half, as in JAX.",
              ">>> lax.max(np.array([np.nan, -0.0, 1.0]), np.array([0.0, 0.0, 2.0]))\n"
              "array([nan,  0.,  2.])")
min = _binary("min", "buif", "buifc", _min,  # noqa: A001 - jax.lax's name
              "The smaller of ``x`` and ``y``: NaN if either is NaN, ``-0.0`` of ``+0.0`` and "
              "``-0.0``.",
              ">>> lax.min(np.array([np.nan, 0.0, 1.0]), np.array([0.0, -0.0, 2.0]))\n"
              "array([nan, -0.,  1.])")
atan2 = _binary("atan2", _F, _FC, wnp.arctan2, "The angle of the point ``(y, x)`` = ``(x, y)``"
                " arguments ``atan2(x, y)`` is ``arctan(x / y)`` in the right quadrant.",
                ">>> lax.atan2(np.array([1.0, 0.0]), np.array([1.0, -0.0]))\n"
                "array([0.78539816, 3.14159265])")
_nextafter = _binary("nextafter", _F, "", wnp.nextafter, "", "")


def nextafter(x1, x2):
    """The next float after ``x1`` toward ``x2`` (``jax.lax.nextafter``'s argument names).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.nextafter(np.array([0.0]), np.array([1.0]))
    array([5.e-324])
    >>> lax.nextafter(x1=np.float32(1.0), x2=np.float32(0.0))
    np.float32(0.99999994)
    """
    return _nextafter(x1, x2)


eq = _binary("eq", "buifc", "buifc", wnp.equal, "``x == y``.",
             ">>> lax.eq(np.array([np.nan, -0.0]), np.array([np.nan, 0.0]))\n"
             "array([False,  True])")
ne = _binary("ne", "buifc", "buifc", wnp.not_equal, "``x != y``.",
             ">>> lax.ne(np.array([np.nan]), np.array([np.nan]))\narray([ True])")
lt = _binary("lt", "buif", "buif", wnp.less, "``x < y``.",
             ">>> lax.lt(np.array([1.0]), np.array([2.0]))\narray([ True])")
le = _binary("le", "buif", "buif", wnp.less_equal, "``x <= y``.",
             ">>> lax.le(np.array([2.0]), np.array([2.0]))\narray([ True])")
gt = _binary("gt", "buif", "buif", wnp.greater, "``x > y``.",
             ">>> lax.gt(np.array([1.0]), np.array([2.0]))\narray([False])")
ge = _binary("ge", "buif", "buif", wnp.greater_equal, "``x >= y``.",
             ">>> lax.ge(np.array([np.nan]), np.array([1.0]))\narray([False])")
bitwise_and = _binary("bitwise_and", "bui", "bui", wnp.bitwise_and, "``x & y``.",
                      ">>> lax.bitwise_and(np.array([6]), np.array([3]))\narray([2])")
bitwise_or = _binary("bitwise_or", "bui", "bui", wnp.bitwise_or, "``x | y``.",
                     ">>> lax.bitwise_or(np.array([6]), np.array([3]))\narray([7])")
bitwise_xor = _binary("bitwise_xor", "bui", "bui", wnp.bitwise_xor, "``x ^ y``.",
                      ">>> lax.bitwise_xor(np.array([6]), np.array([3]))\narray([5])")
bitwise_not = _unary("bitwise_not", "bui", "bui", wnp.invert, "``~x``.",
                     ">>> lax.bitwise_not(np.array([True, False]))\narray([False,  True])")


def _shift(name: str, impl: Callable, text: str, example: str):
    def fn(x, y):
        ax = _check_kind(name, x, "iu")
        ay = _check_kind(name, y, "iu")
        _same(name, [ax, ay])
        bits = ax[1].itemsize * 8
        inside = (y >= 0) & (y < bits)  # XLA's shifts by more than the width (or < 0): defined
        return impl(x, wnp.where(inside, y, wnp.zeros_like(y)), inside, ax[1])

    return _doc(fn, name, text, example)


def _logical_right(x, y, inside, dtype):
    unsigned = np.dtype(f"uint{dtype.itemsize * 8}")
    out = wnp.right_shift(wnp.asarray(x).astype(unsigned), wnp.asarray(y).astype(unsigned))
    return wnp.where(inside, out.astype(dtype), wnp.zeros_like(x))


shift_left = _shift("shift_left",
                    lambda x, y, inside, d: wnp.where(inside, wnp.left_shift(x, y),
                                                      wnp.zeros_like(x)),
                    "``x << y`` (bits shifted out are lost; a shift by the width or more, or by "
                    "a negative amount, gives 0, as XLA).",
                    ">>> lax.shift_left(np.array([1, 1], np.int32), np.array([31, 32], np.int32))\n"
                    "array([-2147483648,           0], dtype=int32)")
def _arithmetic_right(x, y, inside, dtype):
    if dtype.kind == "i":
        return wnp.where(inside, wnp.right_shift(x, y),
                         wnp.where(x < 0, -wnp.ones_like(x), wnp.zeros_like(x)))
    # unsigned, as XLA: the top bit is copied in (y's high bits set where it is 1)
    ones = np.array(np.iinfo(dtype).max, dtype)
    top = wnp.right_shift(x, np.array(dtype.itemsize * 8 - 1, dtype)) == 1
    shifted = wnp.right_shift(x, y)
    filled = wnp.where(top, wnp.bitwise_or(shifted, wnp.invert(wnp.right_shift(ones, y))),
                       shifted)
    return wnp.where(inside, filled, wnp.where(top, wnp.full_like(x, ones), wnp.zeros_like(x)))


shift_right_arithmetic = _shift(
    "shift_right_arithmetic", _arithmetic_right,
    "``x >> y`` filling with the sign bit (the top bit of an unsigned ``x``; by the width or "
    "more, or a negative amount: all sign bits, as XLA).",
    ">>> lax.shift_right_arithmetic(np.array([-8, -8]), np.array([1, 70]))\narray([-4, -1])\n"
    ">>> lax.shift_right_arithmetic(np.array([248], np.uint8), np.array([1], np.uint8))\n"
    "array([252], dtype=uint8)")
shift_right_logical = _shift(
    "shift_right_logical", _logical_right,
    "``x >> y`` filling with zeros (by the width or more, or a negative amount: 0, as XLA).",
    ">>> lax.shift_right_logical(np.array([-8], np.int32), np.array([1], np.int32))\n"
    "array([2147483644], dtype=int32)")


def pow(x, y):  # noqa: A001 - jax.lax's name
    """``x ** y`` for a floating ``x``; ``y`` of ``x``'s dtype or an integer array (as
    ``jax.lax.pow``; for a Python int exponent see :func:`integer_pow`).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.pow(np.array([2.0, 0.0]), np.array([0.5, -1.0]))
    array([1.41421356,        inf])
    >>> lax.pow(np.array([2.0, 3.0]), np.array([3, 2]))
    array([8., 9.])
    """
    ax = _check_kind("pow", x, _F, _FC, "the base")
    ay = _check_kind("pow", y, "iuf", "iufc", "the exponent")
    if ay[1].kind == "f":
        _same("pow", [ax, ay])
        return wnp.power(x, y)
    _same("pow", [ax, (ay[0], ax[1])])
    return wnp.power(x, wnp.asarray(y).astype(ax[1]))


def clamp(min, x, max):  # noqa: A002 - jax.lax's names
    """``x`` clipped to ``[min, max]`` (``min``, ``max``: scalars or of ``x``'s shape; one
    dtype). As in XLA the value is ``lax.min(lax.max(x, min), max)``: NaN in ``x`` gives NaN,
    ``min > max`` gives ``max``. The derivative is JAX's: along ``x`` only strictly inside,
    along ``min`` where ``min > x`` (and ``min < max``), along ``max`` where ``max < x``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.clamp(0.0, np.array([-1.0, 0.5, 2.0, np.nan]), 1.0)
    array([0. , 0.5, 1. , nan])
    """
    ax = _check_kind("clamp", x, "iuf", "iufc")
    lo, hi = _check_kind("clamp", min, "iuf", "iufc"), _check_kind("clamp", max, "iuf", "iufc")
    for name, a in (("min", lo), ("max", hi)):
        if a[0] not in ((), ax[0]) and a[0] is not None:
            raise ShapeError(f"lax.clamp: {name} must be a scalar or of x's shape {ax[0]}, got "
                             f"shape {a[0]}{at(user_location())}")
    _same("clamp", [lo, ax, hi])
    value = _min(_max(x, min), max)
    if ax[1].kind != "f":
        return value
    value = _stop_gradient(value)
    # the branch each element takes, as JAX's derivative rule sees it; where the branch's
    # value is not the clamp's (a NaN bound), the value without a derivative
    inside = (x > min) & (x < max) & (value == x)
    below = (min > x) & (min < max) & (value == min)
    above = (max < x) & (value == max)
    return wnp.where(inside, x, wnp.where(below, min, wnp.where(above, max, value)))


# --------------------------------------------------------------------------- complex


def complex(x, y):  # noqa: A001 - jax.lax's name
    """``x + i·y`` from floating parts of one dtype (float32 gives complex64), built part by
    part: ``complex(1.0, -0.0)`` keeps its ``-0.0`` and ``complex(0.0, inf)`` its ``0.0``
    real part (``x + 1j * y`` gives ``+0.0`` and NaN there).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.complex(np.array([0.0]), np.array([np.inf]))
    array([0.+infj])
    """
    ax = _check_kind("complex", x, _F, "")
    ay = _check_kind("complex", y, _F, "")
    _same("complex", [ax, ay])
    return _CP.complex_(x, y)


def conj(x):
    """The complex conjugate; a floating ``x`` becomes the complex ``x + 0j`` of its
    precision, as in ``jax.lax.conj``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.conj(np.array([1 + 2j, -0.0 - 1j]))
    array([ 1.-2.j, -0.+1.j])
    >>> lax.conj(np.array([1.0], np.float32))
    array([1.+0.j], dtype=complex64)
    """
    _, dtype = _check_kind("conj", x, _FC, "")
    if dtype.kind == "f":
        return _CP.complex_(x, wnp.zeros_like(x))
    return _CP.conj(x)


# --------------------------------------------------------------------------- special functions
# Values are wire.scipy.special's (SciPy's, accurate to an ulp or so) and, where jax.lax's
# function is undefined, XLA's conventions (NaN, or inf at poles); jax.lax takes floating
# operands of one dtype and does not promote. Derivatives are those of wire.scipy.special:
# of every order and in every argument, where JAX's stop at the first or raise.


def _floats(name: str, *xs):
    avals = [_check_kind(name, x, _F, "") for x in xs]
    _same(name, avals)
    return avals[0][1]


def _nan_where(bad, value):
    return wnp.where(bad, np.nan, value)


def _pole(x):
    """``x`` is ``0, -1, -2, …`` or ``-inf`` (a pole of Γ and its derivatives)."""
    return (x <= 0) & (x == wnp.floor(x))


def bessel_i0e(x):
    """The exponentially scaled modified Bessel function ``i0(x) e^-|x|``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.bessel_i0e(np.array([0.0, 1.0, np.inf]))
    array([1.        , 0.46575961, 0.        ])
    """
    dtype = _floats("bessel_i0e", x)
    return _in_dtype(_special.i0e(x), dtype)


def bessel_i1e(x):
    """The exponentially scaled modified Bessel function ``i1(x) e^-|x|``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.bessel_i1e(np.array([-0.0, 1.0, np.inf]))
    array([-0.        ,  0.20791042,  0.        ])
    """
    dtype = _floats("bessel_i1e", x)
    # odd: -0.0 at -0.0, as XLA's
    return _in_dtype(wnp.where(x == 0, x * 0.5, _special.i1e(x)), dtype)


def igamma(a, x):
    """The regularized lower incomplete gamma function ``P(a, x)`` (NaN for ``a < 0`` or
    ``x < 0``). At ``a = 0`` and ``a = inf`` it is the limit (``P(0, x > 0) = 1``,
    ``P(inf, x < inf) = 0``); XLA's value there depends on which of its expansions it
    takes (NaN for some ``x``).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.igamma(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([0.63212056, 0.        ])
    """
    dtype = _floats("igamma", a, x)
    p, q = _special.gammainc(a, x), _special.gammaincc(a, x)
    # 1 - Q where Q is the smaller: gammainc's series can end above 1 (1 + 2.3e-14 at
    # a = 1e-300, x = 0.5)
    return _in_dtype(wnp.where(q < 0.5, 1 - q, p), dtype)


def igammac(a, x):
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``, accurate
    where it is tiny (see :func:`igamma` for ``a = 0`` and ``inf``; for tiny ``a`` XLA's is
    off: ``igammac(1e-300, 1e-300)`` is ``-2.4e-14`` in JAX, ``6.9e-298`` here).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.igammac(np.array([1.0]), np.array([50.0]))
    array([1.92874985e-22])
    """
    dtype = _floats("igammac", a, x)
    return _in_dtype(_special.gammaincc(a, x), dtype)


def _gamma_parts(a, x):
    """``∂P/∂a`` and ``∂P/∂x`` at ``(a, x)`` (differentiable again)."""
    dtype = _aval(a, "")[1]
    a, x = wnp.asarray(a, dtype), wnp.asarray(x, dtype)
    return _INC.gammainc_deriv(a, x, 1), _INC.gammainc_dx(a, x, 0, 1)


def igamma_grad_a(a, x):
    """``∂P(a, x)/∂a``, the derivative of :func:`igamma` in ``a``: 0 at ``x = 0``, NaN
    outside ``a > 0, x >= 0`` and where ``a`` or ``x`` is infinite (as XLA's). Accurate
    where XLA's underflows (``a = 1e-300, x = 100``: ``-3.68e-46``; JAX: ``-0.0``).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.igamma_grad_a(np.array([2.0, 1.0]), np.array([1.5, 0.0]))
    array([-0.31348864,  0.        ])
    """
    dtype = _floats("igamma_grad_a", a, x)
    if dtype == np.float16:  # float16's range is too short for the series: float32, rounded
        return _in_dtype(igamma_grad_a(wnp.asarray(a, np.float32), wnp.asarray(x, np.float32)),
                         dtype)
    bad = ~((a > 0) & (x >= 0) & (x < np.inf)) | ((a == np.inf) & (x != 0))
    safe = (a > 0) & (a < np.inf) & (x > 0) & (x < np.inf)
    one = wnp.ones_like(a)
    value = _gamma_parts(wnp.where(safe, a, one), wnp.where(safe, x, one))[0]
    value = wnp.where(value == 0, -0.0, value)  # P falls as a grows: an underflow is -0.0
    return _nan_where(bad, wnp.where(x == 0, wnp.zeros_like(value), value))


def _gamma_ratio_series(a, x):
    """``-∂P/∂a / ∂P/∂x`` where ``∂P/∂a`` underflows: in the left tail (``x <= a`` or
    ``x < 1``) from ``P = x f(a, x) Σ_k x^k / (a (a+1) … (a+k))``, in the right one from
    the asymptotic ``Q = f(a, x) Σ_k (a-1) … (a-k) / x^k`` (``f`` the density), whose
    ``a``-derivatives are ``f (log x - ψ(a))`` times the sums plus ``f`` times theirs."""
    left = (x <= a) | (x < 1)
    # left: T = Σ u_k, u_0 = 1/a, u_k = u_{k-1} x / (a + k)
    u, du = 1.0 / a, -1.0 / (a * a)
    t, dt = u, du
    for k in range(1, 60):
        r = x / (a + k)
        u, du = u * r, du * r - u * r / (a + k)
        t, dt = t + u, dt + du
    from_left = -x * ((wnp.log(x) - _special.digamma(a)) * t + dt)
    # right: S = Σ v_k, v_0 = 1, v_k = v_{k-1} (a - k) / x
    v, dv = wnp.ones_like(a), wnp.zeros_like(a)
    sv, dsv = v, dv
    for k in range(1, 20):
        v, dv = v * (a - k) / x, (dv * (a - k) + v) / x
        sv, dsv = sv + v, dsv + dv
    from_right = (wnp.log(x) - _special.digamma(a)) * sv + dsv
    return wnp.where(left, from_left, from_right)


def random_gamma_grad(a, x):
    """The derivative of a Gamma(``a``, 1) sample ``x`` in ``a`` at fixed uniform (the
    implicit derivative ``-∂P/∂a / ∂P/∂x`` of ``P(a, x) = u``): what ``jax.random.gamma``
    differentiates with. 0 at ``x = 0``; NaN where :func:`igamma_grad_a` is.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.random_gamma_grad(np.array([1.0]), np.array([0.5]))
    array([0.80697912])
    """
    dtype = _floats("random_gamma_grad", a, x)
    if dtype == np.float16:  # float16's range is too short for the series: float32, rounded
        return _in_dtype(random_gamma_grad(wnp.asarray(a, np.float32),
                                           wnp.asarray(x, np.float32)), dtype)
    bad = ~((a > 0) & (x >= 0) & (x < np.inf)) | ((a == np.inf) & (x != 0))
    safe = (a > 0) & (a < np.inf) & (x > 0) & (x < np.inf)
    one = wnp.ones_like(a)
    sa, sx = wnp.where(safe, a, one), wnp.where(safe, x, one)
    d_a, d_x = _gamma_parts(sa, sx)
    info = np.finfo(_aval(a, "")[1])
    thr = float(info.tiny / info.eps)  # below it, a subnormal or zero: precision lost
    log_dx = (sa - 1) * wnp.log(sx) - sx - _special.gammaln(sa)
    # the density underflows (tiny a, or far tails): the same ratio, in logs
    ratio = wnp.where(d_x >= thr, -d_a / wnp.where(d_x >= thr, d_x, 1.0),
                      wnp.exp(wnp.log(wnp.abs(d_a) + 0.5 * thr) - log_dx))
    value = wnp.where(wnp.abs(d_a) >= thr, ratio, _gamma_ratio_series(sa, sx))
    return _nan_where(bad, wnp.where(x == 0, wnp.zeros_like(value), value))


def betainc(a, b, x):
    """The regularized incomplete beta function ``I_x(a, b)`` (NaN outside ``a, b > 0``,
    ``0 <= x <= 1``). Differentiable in ``x``, and in ``a`` and ``b`` as well (JAX's
    derivative in those raises).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.betainc(np.array([1.0, 2.0]), np.array([1.0, 3.0]), np.array([0.25, 0.4]))
    array([0.25  , 0.5248])
    """
    dtype = _floats("betainc", a, b, x)
    return _in_dtype(_special.betainc(a, b, x), dtype)


def polygamma(m, x):
    """The ``m``-th derivative of :func:`digamma` at ``x``; ``m`` (of ``x``'s dtype, a scalar
    or of ``x``'s shape) must be concrete. As XLA's: NaN where ``m`` is not a whole number
    ``>= 0``; at the poles ``0, -1, -2, …`` and ``-inf``, ``inf`` for odd ``m`` and NaN
    for even ``m``; ``m = 0`` is :func:`digamma`. ``polygamma(m >= 1, inf)`` is the limit 0
    (XLA: NaN).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.polygamma(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([ 1.64493407, -2.40411381])
    """
    ms, _ = _check_kind("polygamma", m, _F, "", "m")
    _floats("polygamma", m, x)
    if isinstance(m, Tracer):
        raise WireNotImplementedError(f"wire.lax.polygamma needs a concrete order m (jax.lax "
                                      f"takes a traced one, but not its derivative)"
                                      f"{at(user_location())}")
    m = np.asarray(m)
    xs = _aval(x, "polygamma")[0]
    if ms not in ((), xs) and xs is not None and xs != ():
        raise ShapeError(f"lax.polygamma: m of shape {ms} does not fit x of shape {xs}"
                         f"{at(user_location())}")
    whole = np.isfinite(m) & (m >= 0) & (m == np.floor(np.where(np.isfinite(m), m, 0)))
    orders = sorted({int(v) for v in m[whole].ravel()})
    out = wnp.full(np.broadcast_shapes(ms, xs or ()), np.nan, m.dtype)
    for n in orders:
        if n == 0:
            value = _in_dtype(_digamma(x), m.dtype)
        else:
            value = wnp.asarray(_SP.polygamma(x, n), m.dtype)
            value = wnp.where(_pole(x), np.inf if n % 2 else np.nan, value)
        out = wnp.where(m == n, value, out)
    return out


def zeta(x, q):
    """The Hurwitz zeta function ``Σ_{n>=0} (n + q)^-x``, for ``x > 1`` (and for ``q < 0``
    whole ``x``); as XLA's, ``inf`` at ``x = 1``, and at the poles ``q = 0, -1, …, -inf``
    ``inf`` for even ``x``, NaN for others; NaN elsewhere outside that domain and at
    ``x = inf``. At ``q = inf`` it is the limit 0 (XLA: NaN). Not differentiable in ``x``
    (as in JAX); in ``q``, ``-x zeta(x + 1, q)`` (JAX: none).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.zeta(np.array([2.0, 1.0]), np.array([1.0, 3.0]))
    array([1.64493407,        inf])
    """
    dtype = _floats("zeta", x, q)
    value = wnp.asarray(_special.zeta(x, q), dtype)  # (float32 is computed in float64)
    even = (x == 2 * wnp.floor(x / 2)) & wnp.isfinite(x)  # (n + q)^-x at a pole n + q = 0: +inf for even x only
    value = wnp.where(_pole(q), np.nan, wnp.where(x == np.inf, np.nan, value))
    return wnp.where((x == 1) | (_pole(q) & even), np.inf, value)


# --------------------------------------------------------------------------- selection


_UNSET = object()  # an argument not given (None is a value: an operand may be None)


def _one(name: str, jax_name: str, jax_value, wire_name: str, wire_value):
    """The argument given under JAX's name or under wire's (exactly one of them)."""
    if jax_value is _UNSET and wire_value is _UNSET:
        raise WireTypeError(f"lax.{name}: missing argument {jax_name!r}{at(user_location(3))}")
    if jax_value is not _UNSET and wire_value is not _UNSET:
        raise WireTypeError(f"lax.{name}: {jax_name!r} and {wire_name!r} name one argument; "
                            f"pass one of them{at(user_location(3))}")
    return wire_value if jax_value is _UNSET else jax_value


def _operands(name: str, operands: tuple, operand) -> tuple:
    if operand is _UNSET:
        return operands
    if operands:
        raise WireTypeError(f"lax.{name}: operand= and positional operands were both given "
                            f"({len(operands)} positional){at(user_location(3))}")
    return (operand,)


def cond(pred, true_fun=_UNSET, false_fun=_UNSET, *operands, operand=_UNSET, true_fn=_UNSET,
         false_fn=_UNSET):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``: ``wire.cond`` with
    ``jax.lax.cond``'s signature: the branches may be passed as ``true_fun=``/``false_fun=``
    (or wire's ``true_fn=``/``false_fn=``), a single operand as ``operand=``, and JAX's old
    form ``cond(pred, true_operand, true_fun, false_operand, false_fun)`` works too.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.cond(True, lambda x: x + 1.0, lambda x: x - 1.0, 2.0)
    array(3.)
    >>> lax.cond(False, true_fun=lambda x: x + 1.0, false_fun=lambda x: x - 1.0, operand=2.0)
    array(1.)
    """
    true_fun = _one("cond", "true_fun", true_fun, "true_fn", true_fn)
    false_fun = _one("cond", "false_fun", false_fun, "false_fn", false_fn)
    if (not callable(true_fun) and callable(false_fun) and operand is _UNSET
            and len(operands) == 2 and callable(operands[1])):  # JAX's deprecated form
        x_true, f_true, x_false, f_false = true_fun, false_fun, *operands
        return _control_flow.cond(pred, lambda x, _: f_true(x), lambda _, x: f_false(x),
                                  x_true, x_false)
    if not (callable(true_fun) and callable(false_fun)):
        raise WireTypeError(f"lax.cond: true_fun and false_fun must be callable, got "
                            f"{type(true_fun).__name__} and {type(false_fun).__name__}"
                            f"{at(user_location())}")
    return _control_flow.cond(pred, true_fun, false_fun, *_operands("cond", operands, operand))


def switch(index, branches, *operands, operand=_UNSET):
    """``branches[index](*operands)``, ``index`` clamped to the branches: ``wire.switch``
    with ``jax.lax.switch``'s ``operand=`` keyword (one operand).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.switch(1, [lambda x: x + 1.0, lambda x: x * 10.0], operand=2.0)
    array(20.)
    """
    return _control_flow.switch(index, branches, *_operands("switch", operands, operand))


def while_loop(cond_fun=_UNSET, body_fun=_UNSET, init_val=_UNSET, *, cond_fn=_UNSET,
               body_fn=_UNSET, init=_UNSET):
    """``wire.while_loop`` with ``jax.lax.while_loop``'s argument names (``cond_fun``,
    ``body_fun``, ``init_val``; wire's ``cond_fn``, ``body_fn``, ``init`` work too).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.while_loop(cond_fun=lambda v: v < 10, body_fun=lambda v: v * 2, init_val=1)
    16
    """
    return _control_flow.while_loop(
        _one("while_loop", "cond_fun", cond_fun, "cond_fn", cond_fn),
        _one("while_loop", "body_fun", body_fun, "body_fn", body_fn),
        _one("while_loop", "init_val", init_val, "init", init))


def fori_loop(lower, upper, body_fun=_UNSET, init_val=_UNSET, *, unroll=None, body_fn=_UNSET,
              init=_UNSET):
    """``wire.fori_loop`` with ``jax.lax.fori_loop``'s argument names (``body_fun``,
    ``init_val``; wire's ``body_fn``, ``init`` work too).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.fori_loop(0, 4, body_fun=lambda i, x: x * 2.0 + i, init_val=1.0)
    27.0
    """
    return _control_flow.fori_loop(
        lower, upper, _one("fori_loop", "body_fun", body_fun, "body_fn", body_fn),
        _one("fori_loop", "init_val", init_val, "init", init), unroll=unroll)


def select_n(which, *cases):
    """``cases[which]`` elementwise: ``which`` a bool (two cases) or integer array of the
    cases' shape, or a scalar; the cases of one shape and dtype. An integer ``which``
    outside ``0 .. len(cases) - 1`` picks the last case (JAX leaves it undefined).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.select_n(np.array([0, 2, 1]), np.zeros(3), np.ones(3), np.full(3, 2.0))
    array([0., 2., 1.])
    """
    if not cases:
        raise WireValueError(f"lax.select_n needs at least one case{at(user_location())}")
    avals = [_aval(c, "select_n") for c in cases]
    _same("select_n", avals, "the cases")
    shapes = [s for s, _ in avals]
    if builtins.any(s != shapes[0] for s in shapes if s is not None):
        raise ShapeError(f"lax.select_n: the cases must have the same shapes, got "
                         f"{', '.join(str(s) for s in shapes)}{at(user_location())}")
    wshape, wdtype = _check_kind("select_n", which, "biu", "", "`which`")
    if wshape not in ((), shapes[0]) and wshape is not None and shapes[0] is not None:
        raise ShapeError(f"lax.select_n: `which` must be a scalar or of the cases' shape "
                         f"{shapes[0]}, got shape {wshape}{at(user_location())}")
    if wdtype.kind == "b" and len(cases) > 2:
        raise WireTypeError(f"lax.select_n: a bool `which` selects between at most 2 cases, "
                            f"got {len(cases)}{at(user_location())}")
    if len(cases) == 1:
        return wnp.where(wnp.ones_like(which, dtype=bool), cases[0], cases[0])
    if wdtype.kind == "b":
        return wnp.where(which, cases[1], cases[0])
    out = cases[-1]
    for i in range(len(cases) - 2, -1, -1):
        out = wnp.where(which == i, cases[i], out)
    return out


def select(pred, on_true, on_false):
    """``on_true`` where ``pred``, else ``on_false`` — with ``jax.lax.select``'s checks:
    ``pred`` is bool and a scalar or of the cases' shape, the cases one shape and one dtype
    (``wire.numpy.where`` broadcasts and promotes instead).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.select(np.array([True, False]), np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    array([1., 4.])
    """
    return select_n(pred, on_false, on_true)


def stop_gradient(x):
    """``x`` (a pytree), with a zero derivative.

    >>> import numpy as np, wire
    >>> from wire import lax
    >>> wire.grad(lambda x: x * lax.stop_gradient(x))(3.0)
    array(3.)
    """
    return tree.map(_stop_gradient, x)


# --------------------------------------------------------------------------- control flow


def map(f: Callable, xs, *, batch_size: int | None = None):  # noqa: A001 - jax.lax's name
    """``f`` over the leading axis of pytree ``xs``, results stacked (a ``scan`` with no
    carry). With ``batch_size``, ``f`` is ``vmap``'d over batches of that many, and the
    remainder in one more batch, as in ``jax.lax.map``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.map(lambda x: x ** 2, np.arange(4.0))
    array([0., 1., 4., 9.])
    >>> lax.map(lambda x: x ** 2, np.arange(5.0), batch_size=2)
    array([ 0.,  1.,  4.,  9., 16.])
    """
    leaves = tree.leaves(xs)
    if not leaves:
        raise WireValueError(f"lax.map needs xs with at least one array leaf{at(user_location())}")
    shapes = [_aval(x, "map")[0] for x in leaves]
    if builtins.any(s == () for s in shapes):
        raise ShapeError(f"lax.map maps over the leading axis of every leaf of xs; got leaf "
                         f"shapes {shapes}{at(user_location())}")
    if batch_size is None:
        return scan(lambda carry, x: (carry, f(x)), (), xs)[1]
    if type(batch_size) is not int or batch_size < 1:
        raise WireValueError(f"lax.map: batch_size must be a positive int, got "
                             f"{batch_size!r}{at(user_location())}")
    n = shapes[0][0]
    full_, rest = divmod(n, batch_size)
    g = vmap(f)
    parts = []
    if full_:
        head = tree.map(lambda x: wnp.reshape(x[: full_ * batch_size],
                                              (full_, batch_size) + tuple(x.shape[1:])), xs)
        ys = scan(lambda carry, x: (carry, g(x)), (), head)[1]
        parts.append(tree.map(lambda y: wnp.reshape(y, (-1,) + tuple(y.shape[2:])), ys))
    if rest or not full_:
        parts.append(g(tree.map(lambda x: x[full_ * batch_size:], xs)))
    if len(parts) == 1:
        return parts[0]
    return tree.map(lambda a, b: wnp.concatenate([a, b], axis=0), *parts)


# --------------------------------------------------------------------------- reductions


def _axes(name: str, shape, axes) -> tuple:
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    axes = tuple(int(a) for a in axes)
    ndim = len(shape)
    if builtins.any(not 0 <= a < ndim for a in axes) or len(set(axes)) != len(axes):
        raise WireIndexError(f"lax.{name}: axes {axes} must be distinct and in 0 .. "
                             f"{ndim - 1} for an operand of shape {shape}{at(user_location(3))}")
    return axes


def _dim(name: str, shape, axis) -> int:
    """The one ``axis`` of an ``*_in_dim`` function, a negative one counted from the end (as
    JAX's ``canonicalize_axis``)."""
    if isinstance(axis, (int, np.integer)) and -len(shape) <= axis < 0:
        axis = int(axis) + len(shape)
    return _axes(name, shape, (axis,))[0]


def _widened(fn):
    """``fn`` (NumPy's sum, prod, cumsum or cumprod) in the operand's dtype, but a float
    narrower than float64 accumulated in float64 and each result rounded once: folded in
    float16 or float32 the rounding error grows with the length (the sum of 3000 float16
    ones was 2048; the cumsum of 1e5 float32 0.1s ended at 9998.6), where XLA accumulates
    float16 in float32 along a reduction tree (3000; 10000.002)."""
    def impl(x, axis):
        dtype = wnp.result_type(x)
        if dtype.kind == "f" and dtype.itemsize < 8:
            return fn(x, axis=axis, dtype=np.float64).astype(dtype)
        return fn(x, axis=axis, dtype=dtype)

    return impl


def _reduce(name: str, kinds: str, impl: Callable, text: str, example: str,
            jax_kinds: str = "c"):
    def fn(operand, axes):
        shape, dtype = _check_kind(name, operand, kinds, jax_kinds)
        axes = _axes(name, shape, axes)
        if not axes:  # nothing reduced: XLA's identity (NumPy's sum adds +0.0 to -0.0)
            return wnp.copy(operand)
        return wnp.asarray(impl(operand, axes, shape, dtype))

    return _doc(fn, name, text, example)


def _extreme(which: str):
    def impl(x, axes, shape, dtype):
        if builtins.any(shape[a] == 0 for a in axes):  # the identity, as XLA's reduce
            ident = {"max": -np.inf, "min": np.inf}[which] if dtype.kind == "f" else (
                {"max": False, "min": True}[which] if dtype.kind == "b" else
                (np.iinfo(dtype).min if which == "max" else np.iinfo(dtype).max))
            kept = tuple(d for i, d in enumerate(shape) if i not in axes)
            return wnp.full(kept, ident, dtype)
        out = (wnp.max if which == "max" else wnp.min)(x, axis=axes)
        if dtype.kind != "f":
            return out
        # the sign of a zero result: XLA's max takes +0.0 over -0.0, its min -0.0
        if which == "max":
            plus = wnp.any((x == 0) & ~wnp.signbit(x), axis=axes)
            return wnp.where((out == 0) & plus, out + 0.0, out)
        minus = wnp.any((x == 0) & wnp.signbit(x), axis=axes)
        return wnp.where((out == 0) & minus, -((-out) + 0.0), out)

    return impl


def _plus_zero(out, dtype, n: int):
    """XLA's sums of ``n >= 2`` terms start from ``+0.0``: a sum of ``-0.0``s is ``+0.0``
    (NumPy's, ``-0.0``; one term is kept as it is in both). Adding ``+0.0`` changes that
    zero only, and not the derivative."""
    return out + 0.0 if dtype.kind == "f" and n >= 2 else out


def _count(shape, axes) -> int:
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


reduce_sum = _reduce("reduce_sum", "iuf", lambda x, a, s, d: wnp.squeeze(x, a) if _count(
                         s, a) == 1 else _plus_zero(_widened(wnp.sum)(x, a), d, _count(s, a)),
                     "The sum over ``axes`` (of the operand's dtype, float16 and float32 "
                     "accumulated in float64; a sum of two or more ``-0.0`` is ``+0.0``, of "
                     "one ``-0.0``, as XLA's; NumPy's is ``+0.0`` for one too).",
                     ">>> lax.reduce_sum(np.ones((2, 3)), (0, 1))\narray(6.)")
reduce_prod = _reduce("reduce_prod", "iuf", lambda x, a, s, d: _widened(wnp.prod)(x, a),
                      "The product over ``axes`` (float16 and float32 accumulated in "
                      "float64).",
                      ">>> lax.reduce_prod(np.array([[2.0, 3.0]]), (1,))\narray([6.])")
reduce_max = _reduce("reduce_max", "buif", _extreme("max"),
                     "The largest element over ``axes``: NaN if any is NaN, ``-inf`` (the "
                     "dtype's least value) over no elements.",
                     ">>> lax.reduce_max(np.zeros((0,)), (0,))\narray(-inf)")
reduce_min = _reduce("reduce_min", "buif", _extreme("min"),
                     "The smallest element over ``axes``: NaN if any is NaN, ``inf`` (the "
                     "dtype's largest value) over no elements.",
                     ">>> lax.reduce_min(np.array([[3.0, 1.0]]), (1,))\narray([1.])")
def _bitwise(which: str):
    """reduce_and/or/xor: ``all``/``any`` of bools, else :func:`reduce` with the bitwise
    operation from its identity (every bit set for ``and``, as XLA's)."""

    def impl(x, axes, shape, dtype):
        if dtype.kind == "b" and which != "xor":
            return (wnp.all if which == "and" else wnp.any)(x, axis=axes)
        op = {"and": bitwise_and, "or": bitwise_or, "xor": bitwise_xor}[which]
        return reduce(x, np.asarray(_monoid(op, dtype)[1]).astype(dtype), op, axes)

    return impl


reduce_and = _reduce("reduce_and", "biu", _bitwise("and"),
                     "Whether every element over ``axes`` is true; of integers, their bitwise "
                     "and (every bit set over no elements).",
                     ">>> lax.reduce_and(np.array([7, 3, 6]), (0,))\narray(2)", "")
reduce_or = _reduce("reduce_or", "biu", _bitwise("or"),
                    "Whether any element over ``axes`` is true; of integers, their bitwise or.",
                    ">>> lax.reduce_or(np.array([True, False]), (0,))\narray(True)", "")
reduce_xor = _reduce("reduce_xor", "biu", _bitwise("xor"),
                     "Whether an odd number of elements over ``axes`` is true; of integers, "
                     "their bitwise exclusive or.",
                     ">>> lax.reduce_xor(np.array([1, 3, 4]), (0,))\narray(6)", "")


def _arg(name: str, fn):
    def impl(operand, axis: int, index_dtype):
        shape, dtype = _check_kind(name, operand, "buif", "c")
        (axis,) = _axes(name, shape, (axis,))
        if shape[axis] == 0:
            raise WireValueError(f"lax.{name} over an axis of size 0 (shape {shape})"
                                 f"{at(user_location())}")
        index_dtype = np.dtype(index_dtype)
        if index_dtype.kind not in "iu":
            raise WireTypeError(f"lax.{name}: index_dtype must be an integer dtype, got "
                                f"{index_dtype}{at(user_location())}")
        return wnp.asarray(fn(operand, axis=axis)).astype(index_dtype)

    return impl


argmax = _doc(_arg("argmax", wnp.argmax), "argmax",
              "The index of the largest element along ``axis``, of ``index_dtype`` (the first "
              "NaN if there is one, the first of equal ones).",
              ">>> lax.argmax(np.array([1.0, np.nan, 2.0]), 0, np.int32)\narray(1, dtype=int32)")
argmin = _doc(_arg("argmin", wnp.argmin), "argmin",
              "The index of the smallest element along ``axis`` (see :func:`argmax`).",
              ">>> lax.argmin(np.array([2.0, 1.0, 1.0]), 0, np.int32)\narray(1, dtype=int32)")


def _cumulative(name: str, kinds: str, impl: Callable, text: str, example: str):
    def fn(operand, axis: int = 0, reverse: bool = False):
        shape, dtype = _check_kind(name, operand, kinds, "c")
        (axis,) = _axes(name, shape, (axis,))
        x = wnp.flip(operand, axis) if reverse else operand
        out = impl(x, axis)
        return wnp.flip(out, axis) if reverse else out

    return _doc(fn, name, text, example)


def _cum_extreme(which: str):
    # JAX's associative scan of lax.max/min: its values on CPU, and the derivative JAX takes
    # (its rule differentiates this scan, so which of tied elements gets how much is JAX's)
    def impl(x, axis):
        return associative_scan(_max if which == "max" else _min, x, axis=axis)

    return impl


cumsum = _cumulative("cumsum", "iuf",
                     lambda x, a: _plus_zero(_widened(wnp.cumsum)(x, a), x.dtype, x.shape[a]),
                     "Running sums along ``axis`` (from the end with ``reverse``; ``+0.0`` "
                     "where only ``-0.0`` came before, as XLA's). float16 and float32 sums "
                     "are accumulated in float64, each rounded once.",
                     ">>> lax.cumsum(np.array([1.0, 2.0, 3.0]), reverse=True)\n"
                     "array([6., 5., 3.])")
cumprod = _cumulative("cumprod", "iuf", _widened(wnp.cumprod),
                      "Running products along ``axis`` (float16 and float32 ones accumulated "
                      "in float64, each rounded once).",
                      ">>> lax.cumprod(np.array([1.0, 2.0, 3.0]))\narray([1., 2., 6.])")
cummax = _cumulative("cummax", "iuf", _cum_extreme("max"),
                     "Running maxima along ``axis`` (:func:`max`'s rules for NaN and zeros).",
                     ">>> lax.cummax(np.array([1.0, np.nan, 2.0]))\narray([ 1., nan, nan])")
cummin = _cumulative("cummin", "iuf", _cum_extreme("min"),
                     "Running minima along ``axis`` (:func:`min`'s rules).",
                     ">>> lax.cummin(np.array([3.0, 1.0, 2.0]))\narray([3., 1., 1.])")



@custom_jvp
def _logaddexp(x, y):
    """JAX's ``logaddexp``: ``max + log1p(exp(-|x - y|))``, and ``x + y`` where ``x - y`` is
    NaN (a NaN, or infinities of one sign)."""
    d = x - y
    return wnp.where(wnp.isnan(d), x + y, _max(x, y) + wnp.log1p(wnp.exp(-wnp.abs(d))))


def _finite_or_zero(v):
    return wnp.where(v == np.inf, wnp.zeros_like(v), v)


@_logaddexp.defjvp
def _logaddexp_jvp(primals, tangents):
    # JAX's rule, infinities replaced by 0 (so its derivative at -inf, -inf is NaN, as JAX's)
    x, y = primals
    out = _logaddexp(x, y)
    o = _finite_or_zero(out)
    return out, (tangents[0] * wnp.exp(_finite_or_zero(x) - o)
                 + tangents[1] * wnp.exp(_finite_or_zero(y) - o))


cumlogsumexp = _cumulative(
    "cumlogsumexp", "f", lambda x, a: associative_scan(_logaddexp, x, axis=a) + 0.0,
    "Running ``log(sum(exp(x)))`` along ``axis``, as JAX's: an associative scan of its "
    "``logaddexp``, with its derivative rule (infinities count as 0 in it); ``-0.0`` comes "
    "out as ``0.0``, as XLA's windows start from ``-inf``.",
    ">>> lax.cumlogsumexp(np.array([0.0, 0.0, -np.inf]))\narray([0.        , 0.69314718, "
    "0.69314718])")

def sort(operand, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """``operand`` sorted along ``dimension`` — or a sequence of arrays of one shape, all
    permuted in the order that sorts the first ``num_keys`` of them lexicographically (the
    first, ties broken by the second …). As XLA's: ``-0.0`` and ``0.0`` are equal keys, NaNs
    come last (and are equal keys), equal keys keep their order (wire's sort is always
    stable). Derivatives flow to the floating operands through the permutation.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.sort(np.array([2.0, np.nan, -1.0, 0.0]))
    array([-1.,  0.,  2., nan])
    >>> lax.sort((np.array([2, 1, 3]), np.array([10.0, 20.0, 30.0])))
    (array([1, 2, 3]), array([20., 10., 30.]))
    >>> lax.sort((np.array([1, 0, 1]), np.array([5, 9, 2]), np.array([0.1, 0.2, 0.3])),
    ...          num_keys=2)
    (array([0, 1, 1]), array([9, 2, 5]), array([0.2, 0.3, 0.1]))
    """
    single = not isinstance(operand, (tuple, list))
    operands = [operand] if single else list(operand)
    if not operands:
        raise WireValueError(f"lax.sort needs at least one operand{at(user_location())}")
    (num_keys,) = _ints("sort", "num_keys", (num_keys,))
    if not 1 <= num_keys <= len(operands):
        raise WireValueError(f"lax.sort: num_keys={num_keys} must be in 1 .. {len(operands)} "
                             f"(the number of operands){at(user_location())}")
    avals = [_check_kind("sort", x, "buif", "c") for x in operands]
    shape = avals[0][0]
    if shape is None or builtins.any(s != shape for s, _ in avals):
        raise ShapeError(f"lax.sort: the operands must have one shape, got "
                         f"{[s for s, _ in avals]}{at(user_location())}")
    if not shape:
        raise ShapeError(f"lax.sort needs operands of at least one dimension{at(user_location())}")
    (axis,) = _axes("sort", shape, (dimension % len(shape) if type(dimension) is int
                                    else dimension,))
    # lexicographic in the first num_keys operands: stable sorts from the last key up
    order = wnp.argsort(operands[num_keys - 1], axis=axis, kind="stable")
    for key in reversed(operands[:num_keys - 1]):
        step = wnp.argsort(wnp.take_along_axis(key, order, axis=axis), axis=axis, kind="stable")
        order = wnp.take_along_axis(order, step, axis=axis)
    out = tuple(wnp.take_along_axis(x, order, axis=axis) for x in operands)
    return out[0] if single else out


def top_k(operand, k: int, *, axis: int = -1):
    """The ``k`` largest entries along ``axis`` (the last by default) and their indices,
    largest first, in XLA's total order: ``NaN > inf > … > 0.0 > -0.0 > … > -inf > -NaN``;
    equal entries by index.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.top_k(np.array([1.0, np.nan, 3.0, 1.0]), 3)
    (array([nan,  3.,  1.]), array([1, 2, 0], dtype=int32))
    >>> lax.top_k(np.array([[1, 5], [4, 2]]), 1, axis=0)
    (array([[4, 5]]), array([[1, 0]], dtype=int32))
    """
    if axis != -1:
        shape = _check_kind("top_k", operand, "iuf", "bc")[0]
        if shape is None or not shape:
            raise ShapeError(f"lax.top_k needs an operand of at least one dimension"
                             f"{at(user_location())}")
        (axis,) = _axes("top_k", shape, (axis + len(shape) if -len(shape) <= axis < 0
                                         else axis,))
        values, indices = top_k(wnp.moveaxis(operand, axis, -1), k)
        return wnp.moveaxis(values, -1, axis), wnp.moveaxis(indices, -1, axis)
    shape, dtype = _check_kind("top_k", operand, "iuf", "bc")
    if shape is None or not shape:
        raise ShapeError(f"lax.top_k needs an operand of at least one dimension"
                         f"{at(user_location())}")
    (k,) = _ints("top_k", "k", (k,))
    if not 0 <= k <= shape[-1]:
        raise WireValueError(f"lax.top_k: k={k} is not in 0 .. {shape[-1]} (the last axis)"
                             f"{at(user_location())}")
    x = operand
    if dtype.kind == "f":
        # stable sorts from the least significant key up, each descending (a stable sort of
        # the negated key keeps equal entries in index order)
        nan, neg = wnp.isnan(x), wnp.signbit(x)
        rank = wnp.where(nan, wnp.where(neg, -1.0, 1.0), 0.0)
        value = wnp.where(nan, 0.0, x)
        zero_sign = wnp.where(value == 0, wnp.where(neg, -1.0, 1.0), 0.0)
        order = wnp.argsort(-zero_sign, axis=-1, kind="stable")
        for key in (value, rank):
            key = wnp.take_along_axis(key, order, axis=-1)
            order = wnp.take_along_axis(order, wnp.argsort(-key, axis=-1, kind="stable"),
                                        axis=-1)
    else:
        order = wnp.argsort(wnp.invert(x), axis=-1, kind="stable")  # ~x: decreasing, exact
    order = order[..., :k]
    return wnp.take_along_axis(x, order, axis=-1), wnp.asarray(order).astype(np.int32)


def sort_key_val(keys, values, dimension: int = -1, is_stable: bool = True):
    """``(keys sorted, values in the same order)`` (see :func:`sort`).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.sort_key_val(np.array([0.0, -0.0, -1.0]), np.array([1.0, 2.0, 3.0]))
    (array([-1.,  0., -0.]), array([3., 1., 2.]))
    """
    return sort((keys, values), dimension, is_stable, 1)


# --------------------------------------------------------------------------- general reductions


def _along(x, axis: int, start: int, stop, step: int = 1):
    index = [builtins.slice(None)] * len(x.shape)
    index[axis] = builtins.slice(start, stop, step)
    return x[tuple(index)]


def _interleave(a, b, axis: int):
    """``a[0], b[0], a[1], b[1], …`` along ``axis`` (``a`` as long as ``b`` or one longer),
    exactly: no zeros are added (JAX's interleave adds them, turning ``-0.0`` into ``0.0``)."""
    extra = a.shape[axis] - b.shape[axis]
    if extra:
        b = wnp.concatenate([b, _along(a, axis, -1, None)], axis=axis)
    both = wnp.stack([a, b], axis=axis + 1)
    shape = tuple(a.shape[:axis]) + (2 * a.shape[axis],) + tuple(a.shape[axis + 1:])
    out = wnp.reshape(both, shape)
    return _along(out, axis, 0, shape[axis] - extra) if extra else out


def associative_scan(fn: Callable, elems, reverse: bool = False, axis: int = 0):
    """The inclusive scan of ``elems`` (a pytree of arrays, one size along ``axis``) with an
    associative ``fn(a, b)`` of two such pytrees, in ``O(log n)`` rounds of ``fn`` on
    halves: JAX's parallel-prefix algorithm, so its roundings are JAX's (``fn`` is called
    on the same operands in the same order), and it is differentiable and ``vmap``-able as
    ``fn`` is. With ``reverse`` the scan runs from the end (on the reversed elements,
    ``fn``'s operands in the same order, as in JAX).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.associative_scan(lax.add, np.arange(1.0, 6.0))
    array([ 1.,  3.,  6., 10., 15.])
    >>> lax.associative_scan(lax.max, np.array([[1, 3], [2, 0]]), axis=1, reverse=True)
    array([[3, 3],
           [2, 0]])
    """
    if not callable(fn):
        raise WireTypeError(f"lax.associative_scan: fn must be callable, got {fn!r:.60}"
                            f"{at(user_location())}")
    leaves, treedef = tree.flatten(elems)
    if not leaves:
        raise WireValueError(f"lax.associative_scan needs elems with at least one array leaf"
                             f"{at(user_location())}")
    shapes = [_shape_of("associative_scan", x) for x in leaves]
    if not shapes[0]:
        raise ShapeError(f"lax.associative_scan scans along an axis: got a 0-d leaf"
                         f"{at(user_location())}")
    nd = len(shapes[0])
    (axis,) = _axes("associative_scan", shapes[0], (axis + nd if type(axis) is int and
                                                     -nd <= axis < 0 else axis,))
    n = shapes[0][axis]
    if builtins.any(len(s) <= axis or s[axis] != n for s in shapes):
        raise ShapeError(f"lax.associative_scan: every leaf needs size {n} along axis {axis}, "
                         f"got shapes {shapes}{at(user_location())}")
    leaves = [wnp.flip(x, axis) if reverse else wnp.asarray(x) for x in leaves]

    def combine(a, b):
        out = tree.leaves(fn(tree.unflatten(treedef, a), tree.unflatten(treedef, b)))
        want = [tuple(x.shape) for x in a]
        if len(out) != len(a) or builtins.any(tuple(np.shape(c)) != w
                                              for c, w in zip(out, want)):
            raise ShapeError(f"lax.associative_scan: fn must return a pytree like its operands "
                             f"(leaf shapes {want}), got "
                             f"{[tuple(np.shape(c)) for c in out]}{at(user_location(4))}")
        return out

    def scan_(xs):
        m = xs[0].shape[axis]
        if m < 2:
            return xs
        odd = scan_(combine([_along(x, axis, 0, m - 1, 2) for x in xs],
                            [_along(x, axis, 1, None, 2) for x in xs]))
        if m % 2 == 0:
            even = combine([_along(o, axis, 0, -1) for o in odd],
                           [_along(x, axis, 2, None, 2) for x in xs])
        else:
            even = combine(odd, [_along(x, axis, 2, None, 2) for x in xs])
        even = [wnp.concatenate([_along(x, axis, 0, 1), e], axis=axis) for x, e in zip(xs, even)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    out = scan_(leaves)
    out = [wnp.flip(x, axis) if reverse else x for x in out]
    return tree.unflatten(treedef, out)


def _monoid(computation, dtype):
    """``(name, identity)`` when ``computation`` is one of this module's monoids (as JAX
    recognises ``lax.add``, ``lax.max``, …), else None."""
    kind = dtype.kind
    if computation is add:
        return "add", 0
    if computation is mul:
        return "mul", 1
    if computation is max:
        return "max", (-np.inf if kind == "f" else False if kind == "b" else
                       np.iinfo(dtype).min if kind in "iu" else None)
    if computation is min:
        return "min", (np.inf if kind == "f" else True if kind == "b" else
                       np.iinfo(dtype).max if kind in "iu" else None)
    if computation is bitwise_and and kind in "biu":
        return "and", (True if kind == "b" else -1 if kind == "i" else np.iinfo(dtype).max)
    if computation is bitwise_or and kind in "biu":
        return "or", 0
    if computation is bitwise_xor and kind in "biu":
        return "xor", 0
    return None


def _is_identity(init, ident) -> bool:
    if ident is None or isinstance(init, Tracer):
        return False
    v = np.asarray(init)
    # +0.0 is the sum's identity (XLA's sums start from it), and -0.0 is too for JAX
    return v.shape == () and bool(v == ident)


def _init_avals(name: str, operands, init_values, computation=None):
    """Flat operands and inits, checked: one shape among operands, each init a scalar of
    its operand's dtype."""
    ops, treedef = tree.flatten(operands)
    inits, itree = tree.flatten(init_values)
    if len(ops) == 1 and len(inits) == 1 and computation in (max, min):
        d = _aval(ops[0], name)[1]
        v = inits[0]
        if d.kind in "iu" and not isinstance(v, Tracer) and np.ndim(v) == 0 and \
                np.asarray(v).dtype.kind == "f" and float(v) == (
                    -np.inf if computation is max else np.inf):
            # -inf for a max (inf for a min) of integers is the reduction's identity, as
            # JAX takes it: the dtype's least (greatest) value
            inits = [np.iinfo(d).min if computation is max else np.iinfo(d).max]
    if not ops or len(ops) != len(inits):
        raise WireValueError(f"lax.{name}: operands and init_values must be pytrees of one "
                             f"structure with at least one array, got {len(ops)} operands and "
                             f"{len(inits)} init values{at(user_location(3))}")
    avals = [_aval(x, name) for x in ops]
    inits = [_cast_init(name, v, d) for v, (_, d) in zip(inits, avals)]
    iavals = [_aval(v, name) for v in inits]
    for (s, d), (vs, vd) in zip(avals, iavals):
        if d != vd:
            raise WireTypeError(f"lax.{name}: operand dtypes should match their init values' "
                                f"dtypes, got {[str(d) for _, d in avals]} and "
                                f"{[str(d) for _, d in iavals]}{at(user_location(3))}")
        if vs != ():
            raise ShapeError(f"lax.{name}: init values must be scalars, got shape {vs}"
                             f"{at(user_location(3))}")
    shapes = [s for s, _ in avals]
    if builtins.any(s is None or s != shapes[0] for s in shapes):
        raise ShapeError(f"lax.{name}: operands must have one shape, got {shapes}"
                         f"{at(user_location(3))}")
    return ops, inits, treedef, shapes[0], [d for _, d in avals]


def _cast_init(name: str, v, dtype):
    """A concrete init value in the operand's dtype, as JAX casts it (``reduce_window(f32,
    -inf, lax.max, …)``); a traced one must have that dtype already."""
    if isinstance(v, Tracer):
        return v
    a = np.asarray(v)
    if a.dtype == dtype or a.dtype.kind not in "biuf" or dtype.kind not in "biuf":
        return v
    with np.errstate(invalid="ignore", over="ignore"):
        out = a.astype(dtype)
        # a fraction, NaN, inf or a value out of the integer range: NumPy's cast truncates or
        # wraps (an init of 2.5 summed int32 windows from 2, one of 1e10 from -2147483648);
        # JAX refuses any init not of the operand's dtype but a reduction's identity
        lossy = dtype.kind in "biu" and not np.all(out == a)
    if lossy:
        raise WireTypeError(f"lax.{name}: the init value {v!r} has no {dtype} value; give "
                            f"one of the operand's dtype{at(user_location(4))}")
    return out


def _apply(name: str, computation, treedef, accs, xs, dtypes):
    out = tree.leaves(computation(tree.unflatten(treedef, accs), tree.unflatten(treedef, xs)))
    if len(out) != len(accs):
        raise WireTypeError(f"lax.{name}: computation must return a pytree like the operands "
                            f"({len(accs)} leaves), got {len(out)}{at(user_location(4))}")
    got = [_aval(o, name)[1] for o in out]
    if got != list(dtypes):
        raise WireTypeError(f"lax.{name}: computation must return the operands' dtypes "
                            f"{[str(d) for d in dtypes]}, got {[str(d) for d in got]}"
                            f"{at(user_location(4))}")
    return out


def reduce(operands, init_values, computation: Callable, dimensions):  # noqa: A001
    """``operands`` (a pytree of arrays of one shape) reduced over ``dimensions`` with
    ``computation`` from ``init_values`` (a pytree of scalars of the operands' dtypes).
    ``add``, ``mul``, ``max``, ``min`` and the bitwise operations of this module with their
    identity as init are the reductions :func:`reduce_sum`, :func:`reduce_max`, … (as JAX
    recognises them); any other computation — elementwise in its two arguments, as
    computations on scalars are — is folded from the init value in index order (XLA leaves
    the order open), and is differentiable as ``computation`` is.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.reduce(np.arange(6.0).reshape(2, 3), 0.0, lax.add, (1,))
    array([ 3., 12.])
    >>> lax.reduce((np.array([3.0, 1.0, 2.0]), np.array([0, 1, 2])), (np.inf, 0),
    ...            lambda a, b: (lax.min(a[0], b[0]), lax.select(b[0] < a[0], b[1], a[1])), (0,))
    (array(1.), array(1))
    """
    if not callable(computation):
        raise WireTypeError(f"lax.reduce: computation must be callable, got "
                            f"{computation!r:.60}{at(user_location())}")
    ops, inits, treedef, shape, dtypes = _init_avals("reduce", operands, init_values, computation)
    dims = _axes("reduce", shape, _ints("reduce", "dimensions", dimensions))
    if not dims:  # nothing reduced: the operands, init_values unused (as XLA's)
        return tree.unflatten(treedef, [wnp.copy(x) for x in ops])
    if len(ops) == 1:
        monoid = _monoid(computation, dtypes[0])
        if monoid is not None and _is_identity(inits[0], monoid[1]):
            fn = {"add": reduce_sum, "mul": reduce_prod, "max": reduce_max, "min": reduce_min,
                  "and": reduce_and, "or": reduce_or}.get(monoid[0])
            if fn is not None and (monoid[0] not in ("and", "or") or dtypes[0].kind == "b"):
                return tree.unflatten(treedef, [fn(ops[0], dims)])
    kept = [d for d in range(len(shape)) if d not in dims]
    n = _count(shape, dims)
    rest = tuple(shape[d] for d in kept)
    xs = [wnp.reshape(wnp.transpose(x, tuple(dims) + tuple(kept)), (n,) + rest) for x in ops]
    accs = [wnp.full(rest, v, d) for v, d in zip(inits, dtypes)]
    if n == 0:
        return tree.unflatten(treedef, accs)
    if n <= 8:  # unrolled: the graph of a short fold is smaller than a scan's
        for i in range(n):
            accs = _apply("reduce", computation, treedef, accs, [x[i] for x in xs], dtypes)
        return tree.unflatten(treedef, accs)

    def step(carry, x):
        return tuple(_apply("reduce", computation, treedef, list(carry), list(x), dtypes)), None

    return tree.unflatten(treedef, list(scan(step, tuple(accs), tuple(xs))[0]))


# --------------------------------------------------------------------------- windows


def _window_args(name, shape, window_dimensions, window_strides, padding, base_dilation,
                 window_dilation):
    nd = len(shape)
    wd = _ints(name, "window_dimensions", window_dimensions)
    ws = (1,) * nd if window_strides is None else _ints(name, "window_strides", window_strides)
    bd = (1,) * nd if base_dilation is None else _ints(name, "base_dilation", base_dilation)
    wdl = (1,) * nd if window_dilation is None else _ints(name, "window_dilation",
                                                          window_dilation)
    if not len(wd) == len(ws) == len(bd) == len(wdl) == nd or builtins.any(
            v < 1 for v in wd + ws + bd + wdl):
        raise ShapeError(f"lax.{name}: window_dimensions {wd}, window_strides {ws}, "
                         f"base_dilation {bd} and window_dilation {wdl} need one entry per axis "
                         f"of shape {shape} (each >= 1)"
                         f"{at(user_location(3))}")
    window = tuple(0 if w == 0 else (w - 1) * d + 1 for w, d in zip(wd, wdl))
    # (a padding string sizes the padding by the operand before base dilation, as JAX)
    pads = _padding(name, padding, shape, window, ws)
    return wd, ws, bd, wdl, pads


def _padding(name, padding, sizes, window, strides):
    """``padding`` as ``(low, high)`` pairs: "VALID" none, "SAME" (and "SAME_LOWER") so
    that the output has ``ceil(size / stride)`` entries, as ``jax.lax.padtype_to_pads``."""
    if isinstance(padding, str):
        kind = padding.upper()
        if kind == "VALID":
            return tuple((0, 0) for _ in sizes)
        if kind in ("SAME", "SAME_LOWER"):
            out = []
            for n, w, s in zip(sizes, window, strides):
                total = builtins.max((-(-n // s) - 1) * s + w - n, 0)
                lo = total // 2 if kind == "SAME" else -(-total // 2)
                out.append((lo, total - lo))
            return tuple(out)
        raise WireValueError(f"lax.{name}: padding must be 'SAME', 'SAME_LOWER', 'VALID' or "
                             f"(low, high) pairs, got {padding!r}{at(user_location(4))}")
    try:
        pairs = tuple(tuple(_ints(name, "padding", p)) for p in padding)
    except TypeError:
        pairs = ()
    if len(pairs) != len(sizes) or builtins.any(len(p) != 2 for p in pairs):
        raise ShapeError(f"lax.{name}: padding needs one (low, high) pair per axis of "
                         f"{len(sizes)}, got {padding!r:.80}{at(user_location(4))}")
    return pairs


def _windows(x, init, wd, ws, bd, wdl, pads):
    """The operand as XLA's reduce_window sees it — dilated by ``bd``, padded by ``pads``
    with ``init`` — cut into strided slices, one per window offset in row-major order
    (reducing them elementwise reduces every window), with, when there is padding or
    dilation, one NumPy mask per slice of where it holds an operand element."""
    shape = tuple(x.shape)
    config = [(lo, hi, b - 1) for (lo, hi), b in zip(pads, bd)]
    sizes = [(n - 1) * b + 1 + lo + hi if n else lo + hi for n, (lo, hi, b) in
             zip(shape, [(lo, hi, b) for (lo, hi), b in zip(pads, bd)])]
    if builtins.any(n < 0 for n in sizes):  # cropped away: no windows
        window = tuple((w - 1) * d + 1 for w, d in zip(wd, wdl))
        out = tuple((p - w) // s + 1 if p >= w else 0 for p, w, s in zip(sizes, window, ws))
        return [], [], out
    holes = builtins.any(b > 1 for b in bd) or builtins.any(lo > 0 or hi > 0 for lo, hi in pads)
    if holes or builtins.any(p != (0, 0) for p in pads):
        x = pad(x, init, config)
    padded = tuple(x.shape)
    real = pad(np.ones(shape, bool), np.False_, config) if holes else None
    window = tuple(0 if w == 0 else (w - 1) * d + 1 for w, d in zip(wd, wdl))
    out = tuple((p - w) // s + 1 if p >= w else 0 for p, w, s in zip(padded, window, ws))
    slices, masks = [], []
    for offset in np.ndindex(*wd):
        index = tuple(builtins.slice(k * d, k * d + (o - 1) * s + 1, s) if o else
                      builtins.slice(0, 0) for k, d, o, s in zip(offset, wdl, out, ws))
        slices.append(x[index])
        masks.append(None if real is None else real[index])
    return slices, masks, out


def _chosen(name: str, slices, value):
    """``value`` (the max or min, with lax.max/min's NaN and zero rules) whose derivative is
    that of the element XLA's select-and-scatter picks, as JAX's gradient of a max pool: in
    window order, the next element replaces the pick unless ``pick >= element`` (``<=`` for
    min) — the first of tied extremes (``-0.0`` ties ``0.0``), and after a NaN the element
    following it."""
    keep = wnp.greater_equal if name == "max" else wnp.less_equal
    pick = slices[0]
    for s in slices[1:]:
        pick = wnp.where(keep(pick, s), pick, s)
    fixed = _stop_gradient(value)
    exact = (pick == value) & (wnp.signbit(pick) == wnp.signbit(value))
    # a zero of the other sign, or a NaN: the value with the pick's derivative
    moved = pick - _stop_gradient(pick)  # 0.0, of derivative 1
    other = wnp.where(wnp.signbit(value), fixed - (-moved), fixed + moved)
    return wnp.where(exact, pick, wnp.where((pick == value) | wnp.isnan(value), other, fixed))


def reduce_window(operand, init_value, computation: Callable, window_dimensions,
                  window_strides=None, padding="VALID", base_dilation=None,
                  window_dilation=None):
    """``computation`` over every window of ``window_dimensions`` (moved by
    ``window_strides``, default 1, spread by ``window_dilation``) of ``operand`` — dilated
    by ``base_dilation`` and padded by ``padding`` ("VALID", the default, "SAME",
    "SAME_LOWER" or ``(low, high)`` per axis) — each window folded from ``init_value`` in
    row-major order.
    ``operand``/``init_value`` may be pytrees of arrays/scalars of one shape. Max and min
    pools (``lax.max``/``lax.min`` with ``-inf``/``inf``) take their derivative from the
    first of tied maxima in a window, as JAX's; a sum pool shares it with every element.

    >>> import numpy as np
    >>> from wire import lax
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> lax.reduce_window(x, -np.inf, lax.max, (2, 2), (2, 2), "VALID")
    array([[ 5.,  7.],
           [13., 15.]])
    >>> lax.reduce_window(np.ones(4), 0.0, lax.add, (3,), (1,), "SAME")
    array([2., 3., 3., 2.])
    """
    if not callable(computation):
        raise WireTypeError(f"lax.reduce_window: computation must be callable, got "
                            f"{computation!r:.60}{at(user_location())}")
    ops, inits, treedef, shape, dtypes = _init_avals("reduce_window", operand, init_value,
                                                     computation)
    wd, ws, bd, wdl, pads = _window_args(
        "reduce_window", shape, window_dimensions, window_strides, padding, base_dilation,
        window_dilation)
    per_op = [_windows(x, v, wd, ws, bd, wdl, pads) for x, v in zip(ops, inits)]
    masks, out_shape = per_op[0][1], per_op[0][2]
    accs = [wnp.full(out_shape, v, d) for v, d in zip(inits, dtypes)]
    monoid = _monoid(computation, dtypes[0]) if len(ops) == 1 else None
    if monoid is not None and per_op[0][0] and _is_identity(inits[0], monoid[1]):
        # a pool: padding and holes hold the identity, and the fold starts from the first
        # element of the window (XLA's sum of one -0.0 is -0.0)
        slices = per_op[0][0]
        wide = monoid[0] in ("add", "mul") and dtypes[0].kind == "f" and \
            dtypes[0].itemsize < 8
        if wide:
            # a sum or product of float16 / float32 windows accumulated in float64 and
            # rounded once: folded in the narrow dtype it drifted with the window's size
            # (a float16 sum pool of 3000 ones was 2048, JAX's 3000)
            value = slices[0].astype(np.float64)
            for s in slices[1:]:
                value = computation(value, s.astype(np.float64))
            value = value.astype(dtypes[0])
        else:
            value = slices[0]
            for s in slices[1:]:
                value = computation(value, s)
        if monoid[0] == "add":  # a window of -0.0s sums to +0.0 in XLA (of one, to -0.0)
            value = _plus_zero(value, dtypes[0], len(slices))
        if monoid[0] in ("max", "min") and dtypes[0].kind == "f":
            value = _chosen(monoid[0], slices, value)
        return tree.unflatten(treedef, [value])
    # padding and dilation holes are skipped, as in JAX (init_value is folded in once)
    for k in range(len(per_op[0][0])):
        new = _apply("reduce_window", computation, treedef, accs,
                     [slices[k] for slices, _, _ in per_op], dtypes)
        accs = new if masks[k] is None else [wnp.where(masks[k], n_, a_)
                                             for n_, a_ in zip(new, accs)]
    return tree.unflatten(treedef, accs)


# --------------------------------------------------------------------------- shapes and types


def _ints(name: str, what: str, values) -> tuple:
    try:
        out = tuple(values)
    except TypeError:
        out = (values,)
    if not builtins.all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                        for v in out):
        raise WireTypeError(f"lax.{name}: {what} must be a sequence of Python ints, got "
                            f"{values!r:.80}{at(user_location(3))}")
    return tuple(int(v) for v in out)


def _shape_of(name: str, x) -> tuple:
    shape, _ = _aval(x, name)
    if shape is None:
        raise ShapeError(f"lax.{name} needs an operand of known shape{at(user_location(3))}")
    return shape


def reshape(operand, new_sizes, dimensions=None):
    """``operand`` of shape ``new_sizes`` (same size), its elements read in row-major order
    after transposing by ``dimensions`` when given.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.reshape(np.arange(6.0).reshape(2, 3), (3, 2), dimensions=(1, 0))
    array([[0., 3.],
           [1., 4.],
           [2., 5.]])
    """
    shape = _shape_of("reshape", operand)
    new_sizes = _ints("reshape", "new_sizes", new_sizes)
    if builtins.any(d < 0 for d in new_sizes) or \
            int(np.prod(new_sizes, dtype=np.int64)) != int(np.prod(shape, dtype=np.int64)):
        raise ShapeError(f"lax.reshape: cannot reshape {shape} to {new_sizes} (sizes must "
                         f"match; -1 is not accepted){at(user_location())}")
    x = operand
    if dimensions is not None:
        x = transpose(x, dimensions)
    return wnp.reshape(x, new_sizes)


def transpose(operand, permutation):
    """``operand``'s axes in the order ``permutation`` (a permutation of all of them).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.transpose(np.ones((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    shape = _shape_of("transpose", operand)
    perm = _ints("transpose", "permutation", permutation)
    if sorted(perm) != list(range(len(shape))):
        raise ShapeError(f"lax.transpose: permutation {perm} is not a permutation of the axes "
                         f"of shape {shape}{at(user_location())}")
    return wnp.transpose(operand, perm)


def broadcast(operand, sizes):
    """``operand`` repeated along new leading axes of ``sizes``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.broadcast(np.array([1.0, 2.0]), (2,))
    array([[1., 2.],
           [1., 2.]])
    """
    shape = _shape_of("broadcast", operand)
    sizes = _ints("broadcast", "sizes", sizes)
    return wnp.copy(wnp.broadcast_to(operand, sizes + shape))


def broadcast_in_dim(operand, shape, broadcast_dimensions):
    """``operand`` broadcast to ``shape``, its axis ``i`` becoming axis
    ``broadcast_dimensions[i]`` (increasing; each of size 1 or the target's).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.broadcast_in_dim(np.array([1.0, 2.0]), (2, 3), (0,))
    array([[1., 1., 1.],
           [2., 2., 2.]])
    """
    old = _shape_of("broadcast_in_dim", operand)
    shape = _ints("broadcast_in_dim", "shape", shape)
    dims = _ints("broadcast_in_dim", "broadcast_dimensions", broadcast_dimensions)
    ok = len(dims) == len(old) and builtins.all(0 <= d < len(shape) for d in dims) and \
        builtins.all(a < b for a, b in zip(dims, dims[1:])) and \
        builtins.all(s in (1, shape[d]) for s, d in zip(old, dims))
    if not ok:
        raise ShapeError(f"lax.broadcast_in_dim: cannot broadcast shape {old} to {shape} with "
                         f"broadcast_dimensions {dims} (one increasing dimension per operand "
                         f"axis, of size 1 or the target's){at(user_location())}")
    mid = [1] * len(shape)
    for s, d in zip(old, dims):
        mid[d] = s
    x = wnp.reshape(operand, tuple(mid))
    return wnp.copy(wnp.broadcast_to(x, shape))


def concatenate(operands: Sequence, dimension: int):
    """The operands (one dtype, one rank, equal but along ``dimension``) joined along it.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.concatenate([np.ones(2), np.zeros(1)], 0)
    array([1., 1., 0.])
    """
    operands = list(operands)
    if not operands:
        raise WireValueError(f"lax.concatenate needs at least one operand{at(user_location())}")
    avals = [_aval(x, "concatenate") for x in operands]
    dtypes = {d for _, d in avals}
    if len(dtypes) > 1:
        raise WireTypeError(f"lax.concatenate requires operands of the same dtype, got "
                            f"{', '.join(str(d) for _, d in avals)}{at(user_location())}")
    shapes = [s for s, _ in avals]
    ndim = len(shapes[0])
    ok = type(dimension) is int and 0 <= dimension < ndim and builtins.all(
        len(s) == ndim and builtins.all(a == b for i, (a, b) in enumerate(zip(s, shapes[0]))
                                        if i != dimension) for s in shapes)
    if not ok:
        raise ShapeError(f"lax.concatenate: cannot join shapes {shapes} along dimension "
                         f"{dimension!r}{at(user_location())}")
    return wnp.concatenate(operands, axis=dimension)


def squeeze(array, dimensions):
    """``array`` without the axes ``dimensions`` (each of size 1).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.squeeze(np.ones((1, 3, 1)), (0,)).shape
    (3, 1)
    """
    shape = _shape_of("squeeze", array)
    dims = _ints("squeeze", "dimensions", dimensions)
    dims = tuple(d % len(shape) if -len(shape) <= d < len(shape) else d for d in dims)
    if builtins.any(not 0 <= d < len(shape) or shape[d] != 1 for d in dims):
        raise ShapeError(f"lax.squeeze: cannot squeeze axes {tuple(dimensions)} of shape "
                         f"{shape} (each must exist and have size 1){at(user_location())}")
    return wnp.reshape(array, tuple(s for i, s in enumerate(shape) if i not in dims))


def expand_dims(array, dimensions):
    """``array`` with new axes of size 1 at ``dimensions`` (positions in the result).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.expand_dims(np.ones(3), (0, 2)).shape
    (1, 3, 1)
    """
    shape = _shape_of("expand_dims", array)
    dims = _ints("expand_dims", "dimensions", dimensions)
    n = len(shape) + len(dims)
    dims = tuple(d % n if -n <= d < n else d for d in dims)
    if builtins.any(not 0 <= d < n for d in dims) or len(set(dims)) != len(dims):
        raise ShapeError(f"lax.expand_dims: dimensions {tuple(dimensions)} out of range for a "
                         f"result of {n} axes{at(user_location())}")
    it = iter(shape)
    return wnp.reshape(array, tuple(1 if i in dims else next(it) for i in range(n)))


def rev(operand, dimensions):
    """``operand`` reversed along each of ``dimensions``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.rev(np.arange(3.0), (0,))
    array([2., 1., 0.])
    """
    shape = _shape_of("rev", operand)
    dims = _axes("rev", shape, _ints("rev", "dimensions", dimensions))
    return wnp.flip(operand, dims) if dims else wnp.copy(operand)


def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001
    """``operand[start:limit:stride]`` along every axis (static bounds, which must lie in
    ``0 <= start <= limit <= size``: jax.lax clamps others; here they raise).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.slice(np.arange(10.0), (1,), (8,), (3,))
    array([1., 4., 7.])
    """
    shape = _shape_of("slice", operand)
    start = _ints("slice", "start_indices", start_indices)
    limit = _ints("slice", "limit_indices", limit_indices)
    strides = (1,) * len(shape) if strides is None else _ints("slice", "strides", strides)
    if not len(start) == len(limit) == len(strides) == len(shape) or builtins.any(
            not 0 <= a <= b <= n or s < 1 for a, b, s, n in zip(start, limit, strides, shape)):
        raise WireIndexError(f"lax.slice: start {start}, limit {limit}, strides {strides} do "
                             f"not fit shape {shape} (0 <= start <= limit <= size, stride >= 1,"
                             f" one of each per axis){at(user_location())}")
    return operand[tuple(builtins.slice(a, b, s) for a, b, s in zip(start, limit, strides))]


def slice_in_dim(operand, start_index, limit_index, stride: int = 1, axis: int = 0):
    """:func:`slice` along one axis: ``start_index``/``limit_index`` may be None (the ends)
    or negative (from the end); out of bounds raises ``wire.WireIndexError``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.slice_in_dim(np.arange(6.0), -4, None, 2)
    array([2., 4.])
    """
    shape = _shape_of("slice_in_dim", operand)
    axis = _dim("slice_in_dim", shape, axis)
    n = shape[axis]
    lo = 0 if start_index is None else _ints("slice_in_dim", "start_index", (start_index,))[0]
    hi = n if limit_index is None else _ints("slice_in_dim", "limit_index", (limit_index,))[0]
    lo, hi = lo + n if lo < 0 else lo, hi + n if hi < 0 else hi
    start, limit, strides = [0] * len(shape), list(shape), [1] * len(shape)
    start[axis], limit[axis], strides[axis] = lo, hi, stride
    return slice(operand, start, limit, strides)


def index_in_dim(operand, index: int, axis: int = 0, keepdims: bool = True):
    """The element ``index`` (negative: from the end) of ``axis``, the axis kept with size 1
    unless ``keepdims=False``; out of bounds raises ``wire.WireIndexError``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.index_in_dim(np.arange(6.0).reshape(2, 3), -1, axis=1, keepdims=False)
    array([2., 5.])
    """
    shape = _shape_of("index_in_dim", operand)
    axis = _dim("index_in_dim", shape, axis)
    (i,) = _ints("index_in_dim", "index", (index,))
    n = shape[axis]
    if not -n <= i < n:
        raise WireIndexError(f"lax.index_in_dim: index {i} is out of bounds for axis {axis} "
                             f"of size {n}{at(user_location())}")
    i %= n
    out = slice_in_dim(operand, i, i + 1, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def dynamic_slice(operand, start_indices, slice_sizes, *, allow_negative_indices=True):
    """The block of ``slice_sizes`` starting at ``start_indices``, which may be traced: as
    in XLA a negative start counts from the end, then each start is clamped so that the
    block fits (``dynamic_slice(arange(10), (8,), (4,))`` is ``[6, 7, 8, 9]``).

    ``allow_negative_indices`` (a bool, or one per axis) is ``jax.lax``'s: where it is false
    a negative start is not counted from the end: a concrete one is an error, a traced one
    is clamped to 0.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.dynamic_slice(np.arange(10.0), (8,), (4,))
    array([6., 7., 8., 9.])
    >>> lax.dynamic_slice(np.arange(10.0), (-3,), (2,))
    array([7., 8.])
    """
    shape = _shape_of("dynamic_slice", operand)
    sizes = _ints("dynamic_slice", "slice_sizes", slice_sizes)
    starts = list(start_indices)
    if not len(starts) == len(sizes) == len(shape) or builtins.any(
            not 0 <= k <= n for k, n in zip(sizes, shape)):
        raise WireIndexError(f"lax.dynamic_slice: slice_sizes {sizes} and {len(starts)} start "
                             f"indices do not fit shape {shape}{at(user_location())}")
    x = operand
    starts = _starts("dynamic_slice", shape, sizes, starts, allow_negative_indices)
    for axis, (i, k) in enumerate(zip(starts, sizes)):
        x = wnp.take(x, i + wnp.arange(k), axis=axis)
    return x


def _starts(name: str, shape, sizes, start_indices, allow_negative=True) -> list:
    """The start indices of a dynamic slice as XLA takes them: a negative one counts from the
    end (on the axes where ``allow_negative``, a bool or one per axis, is true; elsewhere a
    concrete negative start is an error, a traced one is clamped to 0), then each is clamped
    so that a block of ``sizes`` fits."""
    starts = list(start_indices)
    if len(starts) != len(shape):
        raise WireIndexError(f"lax.{name}: {len(starts)} start indices for an operand of shape "
                             f"{shape}{at(user_location(3))}")
    allow = ([bool(allow_negative)] * len(shape) if isinstance(allow_negative, (bool, np.bool_))
             else [bool(a) for a in allow_negative])
    if len(allow) != len(shape):
        raise WireValueError(f"lax.{name}: allow_negative_indices has {len(allow)} entries for "
                             f"an operand of shape {shape}{at(user_location(3))}")
    out = []
    for i, k, n, negative in zip(starts, sizes, shape, allow):
        _check_kind(name, i, "iu", "", "a start index")
        if negative:
            i = wnp.where(i < 0, i + n, i)
        elif not isinstance(i, Tracer) and int(np.asarray(i)) < 0:
            raise WireIndexError(f"lax.{name}: start index {int(np.asarray(i))} is negative, "
                                 f"with allow_negative_indices=False{at(user_location(3))}")
        out.append(wnp.clip(i, 0, n - k))
    return out


def dynamic_update_slice(operand, update, start_indices, *, allow_negative_indices=True):
    """``operand`` with the block at ``start_indices`` replaced by ``update`` (of one dtype
    and rank with it, each size at most the operand's); the starts may be traced, and are
    taken as in :func:`dynamic_slice` (negative from the end, then clamped so the block
    fits; ``allow_negative_indices`` as there).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.dynamic_update_slice(np.arange(5.0), np.full(2, 9.0), (4,))
    array([0., 1., 2., 9., 9.])
    """
    shape = _shape_of("dynamic_update_slice", operand)
    ushape, udtype = _aval(update, "dynamic_update_slice")
    dtype = _aval(operand, "dynamic_update_slice")[1]
    if udtype != dtype:
        raise WireTypeError(f"lax.dynamic_update_slice: the update's dtype {udtype} is not the "
                            f"operand's {dtype}{at(user_location())}")
    if ushape is None or len(ushape) != len(shape) or builtins.any(
            u > n for u, n in zip(ushape, shape)):
        raise ShapeError(f"lax.dynamic_update_slice: an update of shape {ushape} does not fit "
                         f"an operand of shape {shape}{at(user_location())}")
    starts = _starts("dynamic_update_slice", shape, ushape, start_indices,
                     allow_negative_indices)
    if not builtins.any(isinstance(v, Tracer) for v in [operand, update, *starts]):
        out = np.array(operand, copy=True)
        out[tuple(builtins.slice(int(i), int(i) + k) for i, k in zip(starts, ushape))] = update
        return out
    nd = len(shape)
    index = tuple(wnp.reshape(i + wnp.arange(k), tuple(k if d == a else 1 for d in range(nd)))
                  for a, (i, k) in enumerate(zip(starts, ushape)))
    return At(to_tracer(operand))[index].set(update) if nd else wnp.copy(update)


def dynamic_slice_in_dim(operand, start_index, slice_size: int, axis: int = 0, *,
                         allow_negative_indices: bool = True):
    """:func:`dynamic_slice` along one axis: ``slice_size`` elements from ``start_index``
    (``allow_negative_indices`` as in :func:`dynamic_slice`).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.dynamic_slice_in_dim(np.arange(6.0).reshape(2, 3), 2, 2, axis=1)
    array([[1., 2.],
           [4., 5.]])
    """
    shape = _shape_of("dynamic_slice_in_dim", operand)
    axis = _dim("dynamic_slice_in_dim", shape, axis)
    starts = [0] * len(shape)
    starts[axis] = start_index
    sizes = list(shape)
    sizes[axis] = slice_size
    return dynamic_slice(operand, starts, sizes, allow_negative_indices=allow_negative_indices)


def dynamic_index_in_dim(operand, index, axis: int = 0, keepdims: bool = True, *,
                         allow_negative_indices: bool = True):
    """The element ``index`` of ``axis`` (may be traced; clamped), keeping that axis with
    size 1 unless ``keepdims=False`` (``allow_negative_indices`` as in
    :func:`dynamic_slice`).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.dynamic_index_in_dim(np.arange(6.0).reshape(2, 3), -1, axis=1, keepdims=False)
    array([2., 5.])
    """
    out = dynamic_slice_in_dim(operand, index, 1, axis,
                               allow_negative_indices=allow_negative_indices)
    if keepdims:
        return out
    return squeeze(out, (_dim("dynamic_index_in_dim", _shape_of("", operand), axis),))


def pad(operand, padding_value, padding_config):
    """``operand`` padded with the scalar ``padding_value`` (of its dtype): per axis a
    ``(low, high, interior)`` triple, ``interior`` values between neighbours first, then
    ``low``/``high`` at the ends, a negative one cropping instead, as XLA's pad.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.pad(np.array([1.0, 2.0, 3.0]), 0.0, [(1, -1, 1)])
    array([0., 1., 0., 2., 0.])
    """
    shape = _shape_of("pad", operand)
    vshape, vdtype = _aval(padding_value, "pad")
    dtype = _aval(operand, "pad")[1]
    if vdtype != dtype or vshape != ():
        raise WireTypeError(f"lax.pad: padding_value must be a scalar of the operand's dtype "
                            f"{dtype}, got {vdtype}{list(vshape or ())}{at(user_location())}")
    config = [_ints("pad", "padding_config", c) for c in padding_config]
    if len(config) != len(shape) or builtins.any(len(c) != 3 or c[2] < 0 for c in config):
        raise ShapeError(f"lax.pad: padding_config needs one (low, high, interior >= 0) per "
                         f"axis of shape {shape}, got {padding_config!r}{at(user_location())}")
    sizes = [n + builtins.max(n - 1, 0) * i + lo + hi for n, (lo, hi, i) in zip(shape, config)]
    if builtins.any(k < 0 for k in sizes):
        raise ShapeError(f"lax.pad: padding {config} leaves a negative size for shape {shape}"
                         f"{at(user_location())}")
    x = operand
    for axis, (n, (lo, hi, interior)) in enumerate(zip(shape, config)):
        if not (lo or hi or interior):
            continue
        x = wnp.moveaxis(x, axis, -1)
        rest = tuple(x.shape[:-1])
        if interior and n > 1:
            gaps = wnp.full(rest + (n, interior), padding_value, dtype)
            x = wnp.reshape(wnp.concatenate([x[..., None], gaps], axis=-1),
                            rest + (n * (1 + interior),))[..., : n + (n - 1) * interior]
        m = x.shape[-1]
        x = x[..., builtins.max(-lo, 0): m - builtins.max(-hi, 0)]
        x = wnp.concatenate([wnp.full(rest + (builtins.max(lo, 0),), padding_value, dtype), x,
                             wnp.full(rest + (builtins.max(hi, 0),), padding_value, dtype)],
                            axis=-1)
        x = wnp.moveaxis(x, -1, axis)
    return x if x is not operand else wnp.copy(operand)


def broadcasted_iota(dtype, shape, dimension: int):
    """An array of ``shape`` counting ``0, 1, …`` along ``dimension``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.broadcasted_iota(np.int32, (2, 3), 1)
    array([[0, 1, 2],
           [0, 1, 2]], dtype=int32)
    """
    shape = _ints("broadcasted_iota", "shape", shape)
    (dimension,) = _axes("broadcasted_iota", shape, _ints("broadcasted_iota", "dimension",
                                                           (dimension,)))
    line = np.arange(shape[dimension], dtype=np.dtype(dtype))
    return np.broadcast_to(line.reshape([-1 if d == dimension else 1 for d in range(
        len(shape))]), shape).copy()


def collapse(operand, start_dimension: int, stop_dimension: int | None = None):
    """``operand`` with axes ``start_dimension`` to ``stop_dimension - 1`` (to the last when
    None; negative: from the end) merged into one.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.collapse(np.ones((2, 3, 4)), 1).shape
    (2, 12)
    """
    shape = _shape_of("collapse", operand)
    nd = len(shape)
    lo = _ints("collapse", "start_dimension", (start_dimension,))[0]
    hi = nd if stop_dimension is None else _ints("collapse", "stop_dimension",
                                                 (stop_dimension,))[0]
    lo, hi = lo + nd if lo < 0 else lo, hi + nd if hi < 0 else hi
    if not 0 <= lo <= hi <= nd:
        raise WireIndexError(f"lax.collapse: dimensions {start_dimension}..{stop_dimension} do "
                             f"not fit shape {shape}{at(user_location())}")
    merged = int(np.prod(shape[lo:hi], dtype=np.int64))
    return wnp.reshape(operand, shape[:lo] + (merged,) + shape[hi:])


def iota(dtype, size: int):
    """``0, 1, …, size - 1`` of ``dtype``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.iota(np.int32, 3)
    array([0, 1, 2], dtype=int32)
    """
    (size,) = _ints("iota", "size", (size,))
    return np.arange(size, dtype=np.dtype(dtype))


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` holding ``fill_value`` (of ``dtype``, else of the value's),
    converted as :func:`convert_element_type` converts (a float into an integer dtype:
    truncated, NaN 0, out of range the nearest bound, as JAX's).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.full((2,), 3, np.float32)
    array([3., 3.], dtype=float32)
    >>> lax.full((2,), np.inf, np.uint8)
    array([255, 255], dtype=uint8)
    """
    shape = _ints("full", "shape", shape)
    value_dtype = _aval(fill_value, "full")[1]
    dtype = value_dtype if dtype is None else np.dtype(dtype)
    if value_dtype.kind == "f" and dtype.kind in "iu":
        # NumPy's cast of NaN, inf or an out-of-range float is undefined (full(s, inf, int8)
        # was 0, full(s, -3.7, uint8) 253); XLA's conversion saturates
        fill_value = convert_element_type(fill_value, dtype)
    return wnp.full(shape, fill_value, dtype)


def full_like(x, fill_value, dtype=None, shape=None):
    """``full`` with ``x``'s shape and dtype unless given.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.full_like(np.ones(2, np.float32), 3)
    array([3., 3.], dtype=float32)
    """
    xs, xd = _aval(x, "full_like")
    return full(xs if shape is None else shape, fill_value, xd if dtype is None else dtype)


def convert_element_type(operand, new_dtype):
    """``operand`` as ``new_dtype``. From floating to integer the value is truncated toward
    zero, NaN gives 0 and values out of range the nearest bound, as XLA converts (NumPy's
    ``astype`` leaves those undefined); to bool, nonzero (and NaN) is true.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.convert_element_type(np.array([1.7, -1.7, np.nan, 3e10]), np.int32)
    array([         1,         -1,          0, 2147483647], dtype=int32)
    """
    shape, dtype = _check_kind("convert_element_type", operand, "buif", "c")
    new = np.dtype(new_dtype)
    if new.kind not in "buif":
        raise WireNotImplementedError(f"wire.lax.convert_element_type does not convert to "
                                      f"{new}{at(user_location())}")
    if new.kind == "b" and dtype.kind != "b":
        return operand != 0
    if dtype.kind == "f" and new.kind in "iu":
        info = np.iinfo(new)
        hi = 2.0 ** (info.bits - (1 if new.kind == "i" else 0))  # exact in every float type
        lo = float(info.min)
        t = wnp.trunc(operand)
        nan = wnp.isnan(t)
        over, under = t >= hi, t < lo
        safe = wnp.where(nan | over | under, wnp.zeros_like(t), t).astype(new)
        out = wnp.where(over, np.array(info.max, new), safe)
        return wnp.where(under, np.array(info.min, new), out)
    return wnp.asarray(operand).astype(new)


def _precision(name: str, precision, preferred_element_type, dtype) -> None:
    if preferred_element_type is not None and np.dtype(preferred_element_type) != dtype:
        raise WireNotImplementedError(
            f"wire.lax.{name}: preferred_element_type={np.dtype(preferred_element_type)} for "
            f"{dtype} operands is not supported (convert the operands instead)"
            f"{at(user_location(3))}")


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """The general tensor contraction: ``dimension_numbers`` is
    ``((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))``; the result's axes are
    the batch axes, then the free axes of ``lhs``, then those of ``rhs``. wire computes at
    the operands' full precision whatever ``precision`` says (JAX's ``HIGHEST``).

    >>> import numpy as np
    >>> from wire import lax
    >>> a, b = np.ones((2, 3, 4)), np.ones((2, 4, 5))
    >>> lax.dot_general(a, b, (((2,), (1,)), ((0,), (0,)))).shape
    (2, 3, 5)
    """
    ls, ld = _aval(lhs, "dot_general")
    rs, rd = _aval(rhs, "dot_general")
    _check_kind("dot_general", lhs, "iuf", "c")
    _check_kind("dot_general", rhs, "iuf", "c")
    if ld != rd:
        raise WireTypeError(f"lax.dot_general requires operands of the same dtype, got {ld} "
                            f"and {rd}{at(user_location())}")
    _precision("dot_general", precision, preferred_element_type, ld)
    try:
        (lc, rc), (lb, rb) = dimension_numbers
        lc, rc, lb, rb = (_ints("dot_general", "dimension_numbers", d) for d in (lc, rc, lb, rb))
    except (TypeError, ValueError):
        raise WireTypeError(f"lax.dot_general: dimension_numbers must be ((lhs_contracting, "
                            f"rhs_contracting), (lhs_batch, rhs_batch)), got "
                            f"{dimension_numbers!r}{at(user_location())}") from None

    def fits(dims, nd):
        return builtins.all(0 <= d < nd for d in dims) and len(set(dims)) == len(dims)

    ok = (len(lc) == len(rc) and len(lb) == len(rb) and fits(lc + lb, len(ls))
          and fits(rc + rb, len(rs)) and builtins.all(ls[a] == rs[b] for a, b in zip(lc, rc))
          and builtins.all(ls[a] == rs[b] for a, b in zip(lb, rb)))
    if not ok:
        raise ShapeError(f"lax.dot_general: dimension_numbers {dimension_numbers!r} do not fit "
                         f"shapes {ls} and {rs} (distinct axes in range; contracting and "
                         f"batch sizes equal){at(user_location())}")
    lf = [i for i in range(len(ls)) if i not in lc + lb]
    rf = [i for i in range(len(rs)) if i not in rc + rb]

    def size(shape, dims):
        return int(np.prod([shape[d] for d in dims], dtype=np.int64))

    B, K = size(ls, lb), size(ls, lc)
    a = wnp.reshape(wnp.transpose(lhs, lb + tuple(lf) + lc), (B, size(ls, lf), K))
    b = wnp.reshape(wnp.transpose(rhs, rb + rc + tuple(rf)), (B, K, size(rs, rf)))
    out = wnp.matmul(a, b)
    return wnp.reshape(out, tuple(ls[d] for d in lb) + tuple(ls[d] for d in lf)
                       + tuple(rs[d] for d in rf))


def dot(lhs, rhs, precision=None, preferred_element_type=None, *, dimension_numbers=None):
    """Vector and matrix products of operands of one dtype (1-d or 2-d); with
    ``dimension_numbers`` (``jax.lax.dot``'s keyword) any contraction, as
    :func:`dot_general`.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.dot(np.ones((2, 3)), np.arange(3.0))
    array([3., 3.])
    >>> lax.dot(np.ones((2, 3, 4)), np.ones((2, 4)), dimension_numbers=(((2,), (1,)),
    ...                                                               ((0,), (0,)))).shape
    (2, 3)
    """
    if dimension_numbers is not None:
        return dot_general(lhs, rhs, dimension_numbers, precision, preferred_element_type)
    ls, ld = _aval(lhs, "dot")
    rs, rd = _aval(rhs, "dot")
    if len(ls) not in (1, 2) or len(rs) not in (1, 2):
        raise ShapeError(f"lax.dot takes 1-d and 2-d operands, got shapes {ls} and {rs}; pass "
                         f"dimension_numbers or use lax.dot_general{at(user_location())}")
    return dot_general(lhs, rhs, (((len(ls) - 1,), (0,)), ((), ())), precision,
                       preferred_element_type)


# --------------------------------------------------------------------------- convolutions


class ConvDimensionNumbers(tuple):
    """``(lhs_spec, rhs_spec, out_spec)``: for each operand, the positions of its batch (or
    output-feature) axis, its feature (or input-feature) axis, then its spatial axes, as
    ``jax.lax.ConvDimensionNumbers``.

    >>> ConvDimensionNumbers((0, 1, 2), (0, 1, 2), (0, 1, 2)).rhs_spec
    (0, 1, 2)
    """

    __slots__ = ()

    def __new__(cls, lhs_spec, rhs_spec, out_spec):
        return super().__new__(cls, (tuple(lhs_spec), tuple(rhs_spec), tuple(out_spec)))

    lhs_spec = property(lambda self: self[0])
    rhs_spec = property(lambda self: self[1])
    out_spec = property(lambda self: self[2])

    def __repr__(self):
        return (f"ConvDimensionNumbers(lhs_spec={self[0]}, rhs_spec={self[1]}, "
                f"out_spec={self[2]})")


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """``dimension_numbers`` — None (``NC…``, ``OI…``, ``NC…``), three strings such as
    ``("NHWC", "HWIO", "NHWC")``, or a :class:`ConvDimensionNumbers` — in canonical form
    (spatial axes in the order the kernel's string names them, as JAX's).

    >>> conv_dimension_numbers((1, 5, 5, 3), (2, 2, 3, 8), ("NHWC", "HWIO", "NHWC"))
    ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
    """
    if isinstance(dimension_numbers, ConvDimensionNumbers) or (
            type(dimension_numbers).__name__ == "ConvDimensionNumbers"):
        return ConvDimensionNumbers(*dimension_numbers)
    nd = len(lhs_shape)
    if len(rhs_shape) != nd:
        raise ShapeError(f"lax.conv: lhs and rhs need one number of dimensions, got shapes "
                         f"{tuple(lhs_shape)} and {tuple(rhs_shape)}{at(user_location(3))}")
    if dimension_numbers is None:
        return ConvDimensionNumbers(range(nd), range(nd), range(nd))
    specs = tuple(dimension_numbers) if isinstance(dimension_numbers, (tuple, list)) else ()
    pairs = (("N", "C"), ("O", "I"), ("N", "C"))
    ok = len(specs) == 3 and builtins.all(
        isinstance(s, str) and len(s) == nd and len(set(s)) == nd and a in s and b in s
        for s, (a, b) in zip(specs, pairs))
    if ok:
        spatial = [set(s) - set(p) for s, p in zip(specs, pairs)]
        ok = spatial[0] == spatial[1] == spatial[2]
    if not ok:
        raise WireValueError(f"lax.conv: dimension_numbers must be None, a "
                             f"ConvDimensionNumbers or three strings of {nd} distinct letters "
                             f"with N and C, O and I, N and C and the same spatial letters, "
                             f"got {dimension_numbers!r:.80}{at(user_location(3))}")
    rhs = specs[1]

    def perm(spec, pair):
        space = [i for i, c in enumerate(spec) if c not in pair]
        if spec is not rhs:
            space.sort(key=lambda i: rhs.index(spec[i]))
        return (spec.index(pair[0]), spec.index(pair[1]), *space)

    return ConvDimensionNumbers(*(perm(s, p) for s, p in zip(specs, pairs)))


def _patches(name: str, x, kernel, strides, padding, ldil, rdil):
    """The windows of ``x`` (``N, C, spatial…``) a kernel of spatial shape ``kernel`` meets:
    one strided slice of the padded, ``ldil``-dilated ``x`` per kernel position (in row-major
    order), each ``N, C, out…``; and ``out``, the output's spatial shape."""
    window = tuple(0 if k == 0 else (k - 1) * d + 1 for k, d in zip(kernel, rdil))
    pads = _padding(name, padding, tuple(x.shape[2:]), window, strides)
    config = [(0, 0, 0), (0, 0, 0)] + [(lo, hi, d - 1) for (lo, hi), d in zip(pads, ldil)]
    if builtins.any(p != (0, 0, 0) for p in config):
        x = pad(x, np.zeros((), x.dtype), config)
    padded = tuple(x.shape[2:])
    out = tuple((p - k) // s + 1 if p >= k else 0 for p, k, s in zip(padded, window, strides))
    patches = []
    for offset in np.ndindex(*kernel):
        index = (builtins.slice(None), builtins.slice(None)) + tuple(
            builtins.slice(k * d, k * d + (m - 1) * s + 1, s) if m else builtins.slice(0, 0)
            for k, d, m, s in zip(offset, rdil, out, strides))
        patches.append(x[index])
    return patches, out


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                         batch_group_count=1, precision=None, preferred_element_type=None):
    """The convolution (cross-correlation, as XLA's) of ``lhs`` with the kernel ``rhs``:
    ``window_strides``, ``padding`` ("SAME", "VALID", "SAME_LOWER" or ``(low, high)`` per
    spatial axis), ``lhs_dilation`` (a transposed convolution), ``rhs_dilation`` (atrous),
    ``dimension_numbers`` (default ``NCHW``/``OIHW``) and ``feature_group_count`` (grouped
    and depthwise). Built from padding, strided slices and one contraction, so every
    derivative is exact and of every order. ``batch_group_count`` splits the lhs batch into
    groups, each convolved with its share of the output features (JAX's kernel gradient).

    >>> import numpy as np
    >>> from wire import lax
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> lax.conv_general_dilated(x, np.ones((1, 1, 2, 2)), (2, 2), "VALID")
    array([[[[10., 18.],
             [42., 50.]]]])
    """
    ls, ld = _check_kind("conv_general_dilated", lhs, "iuf", "c")
    rs, rd = _check_kind("conv_general_dilated", rhs, "iuf", "c")
    if ld != rd:
        raise WireTypeError(f"lax.conv_general_dilated requires operands of the same dtype, "
                            f"got {ld} and {rd}{at(user_location())}")
    _precision("conv_general_dilated", precision, preferred_element_type, ld)
    if ls is None or rs is None or len(ls) < 2:
        raise ShapeError(f"lax.conv_general_dilated needs operands of known shape with batch "
                         f"and feature axes, got {ls} and {rs}{at(user_location())}")
    dn = conv_dimension_numbers(ls, rs, dimension_numbers)
    x = wnp.transpose(lhs, dn.lhs_spec)
    w = wnp.transpose(rhs, dn.rhs_spec)
    xs, ws_ = tuple(x.shape), tuple(w.shape)
    ns = len(xs) - 2
    name = "conv_general_dilated"
    strides = _ints(name, "window_strides", window_strides)
    ldil = (1,) * ns if lhs_dilation is None else _ints(name, "lhs_dilation", lhs_dilation)
    rdil = (1,) * ns if rhs_dilation is None else _ints(name, "rhs_dilation", rhs_dilation)
    groups = _ints(name, "feature_group_count", (feature_group_count,))[0]
    bgroups = _ints(name, "batch_group_count", (batch_group_count,))[0]
    if not len(strides) == len(ldil) == len(rdil) == ns or builtins.any(
            v < 1 for v in strides + ldil + rdil):
        raise ShapeError(f"lax.conv_general_dilated: window_strides {strides}, lhs_dilation "
                         f"{ldil} and rhs_dilation {rdil} need one entry >= 1 per spatial "
                         f"axis ({ns}){at(user_location())}")
    n, c = xs[0], xs[1]
    o, i = ws_[0], ws_[1]
    if bgroups < 1 or (bgroups > 1 and (groups != 1 or xs[0] % bgroups or o % bgroups)):
        raise ShapeError(f"lax.conv_general_dilated: batch_group_count={batch_group_count} "
                         f"needs feature_group_count=1 and must divide the lhs batch ({xs[0]}) "
                         f"and the output features ({o}) (lhs shape {ls}, rhs shape {rs})"
                         f"{at(user_location())}")
    if groups < 1 or c % groups or o % groups or c // groups != i:
        raise ShapeError(f"lax.conv_general_dilated: lhs has {c} features and rhs {i} input "
                         f"features and {o} output features (lhs shape {ls}, rhs shape {rs}): "
                         f"with feature_group_count={feature_group_count} the lhs's features "
                         f"must be {groups} x the rhs's input features, and the output "
                         f"features divisible by it{at(user_location())}")
    if isinstance(padding, str) and builtins.any(d > 1 for d in ldil):
        raise WireValueError(f"lax.conv_general_dilated: padding {padding!r} with lhs_dilation "
                             f"{ldil} (a transposed convolution) is not defined, as in JAX: "
                             f"give (low, high) pairs{at(user_location())}")
    kernel = ws_[2:]
    patches, out = _patches(name, x, kernel, strides, padding, ldil, rdil)
    size = int(np.prod(out, dtype=np.int64))
    kk = int(np.prod(kernel, dtype=np.int64))
    if kk == 0 or not patches:
        y = wnp.zeros((n // bgroups, o) + out, ld)
    elif bgroups > 1:  # XLA's: the lhs batch is bgroups x n // bgroups, group major
        p = wnp.reshape(wnp.stack(patches, axis=2), (bgroups, n // bgroups, i, kk, size))
        k = wnp.reshape(w, (bgroups, o // bgroups, i, kk))
        y = wnp.reshape(wnp.einsum("gnikp,goik->ngop", p, k), (n // bgroups, o) + out)
    else:
        p = wnp.reshape(wnp.stack(patches, axis=2), (n, groups, i, kk, size))
        k = wnp.reshape(w, (groups, o // groups, i, kk))
        y = wnp.reshape(wnp.einsum("ngikp,goik->ngop", p, k), (n, o) + out)
    return wnp.transpose(y, tuple(int(a) for a in np.argsort(dn.out_spec)))


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    """:func:`conv_general_dilated` with ``NCHW``/``OIHW`` layouts and no feature groups.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.conv_with_general_padding(np.ones((1, 1, 3)), np.ones((1, 1, 2)), (1,), [(1, 1)],
    ...                               None, None)
    array([[[1., 2., 2., 1.]]])
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                                precision=precision, preferred_element_type=preferred_element_type)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """:func:`conv_general_dilated` with ``NCHW``/``OIHW`` layouts and no dilation.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.conv(np.ones((1, 1, 4)), np.ones((1, 1, 3)), (1,), "SAME")
    array([[[2., 3., 3., 2.]]])
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def _transpose_padding(k: int, s: int, padding) -> tuple:
    """JAX's padding of a transposed convolution for the forward one's ``padding``."""
    if padding == "SAME":
        total = k + s - 2
        lo = k - 1 if s > k - 1 else -(-total // 2)
        return lo, total - lo
    if padding == "VALID":
        return k - 1, k + s - 2 + builtins.max(k - s, 0) - (k - 1)
    lo, hi = padding
    return k - lo - 1, k - hi - 1


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel: bool = False, precision=None, preferred_element_type=None,
                   use_consistent_padding: bool = False):
    """A transposed (fractionally strided) convolution, as ``jax.lax.conv_transpose``:
    :func:`conv_general_dilated` with ``lhs_dilation=strides``. ``padding`` "SAME" or
    "VALID" is the forward convolution's (the output is ``strides`` times the input, for
    "SAME"); ``(low, high)`` pairs pad the dilated input, or with
    ``use_consistent_padding`` are the forward convolution's too (PyTorch's). The default
    layouts are TensorFlow's (``NHWC``, ``HWIO``); ``transpose_kernel`` flips the kernel's
    spatial axes and swaps its feature axes, giving the gradient of the forward
    convolution (Keras's ``Conv2DTranspose``).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.conv_transpose(np.ones((1, 2, 1)), np.ones((2, 1, 1)), (2,), "SAME")[0, :, 0]
    array([1., 1., 1., 1.])
    """
    name = "conv_transpose"
    ls, _ = _aval(lhs, name)
    rs, _ = _aval(rhs, name)
    if ls is None or rs is None or len(ls) != len(rs) or len(ls) < 2:
        raise ShapeError(f"lax.conv_transpose needs lhs and rhs of one rank >= 2, got shapes "
                         f"{ls} and {rs}{at(user_location())}")
    nd = len(ls)
    if dimension_numbers is None:
        if nd > 5:
            raise WireValueError(f"lax.conv_transpose: no default dimension_numbers for "
                                 f"rank {nd} (shape {ls}); pass them{at(user_location())}")
        sp = "HWD"[:nd - 2]
        dimension_numbers = (f"N{sp}C", f"{sp}IO", f"N{sp}C")
    dn = conv_dimension_numbers(ls, rs, dimension_numbers)
    kernel = tuple(rs[a] for a in dn.rhs_spec[2:])
    ns = nd - 2
    strides = _ints(name, "strides", strides)
    rdil = (1,) * ns if rhs_dilation is None else _ints(name, "rhs_dilation", rhs_dilation)
    if len(strides) != ns or len(rdil) != ns:
        raise ShapeError(f"lax.conv_transpose: strides {strides} and rhs_dilation {rdil} need "
                         f"one entry per spatial axis ({ns}; lhs shape {ls}, rhs shape {rs})"
                         f"{at(user_location())}")
    if use_consistent_padding or padding in ("SAME", "VALID"):
        each = [padding] * ns if isinstance(padding, str) else list(padding)
        if len(each) != ns:
            raise ShapeError(f"lax.conv_transpose: padding {padding!r} needs one pair per "
                             f"spatial axis ({ns}){at(user_location())}")
        padding = [_transpose_padding(0 if k == 0 else (k - 1) * d + 1, s,
                                      p if isinstance(p, str) else tuple(p))
                   for k, d, s, p in zip(kernel, rdil, strides, each)]
    if transpose_kernel:
        rhs = wnp.flip(rhs, tuple(dn.rhs_spec[2:]))
        rhs = wnp.swapaxes(rhs, dn.rhs_spec[0], dn.rhs_spec[1])
    return conv_general_dilated(lhs, rhs, (1,) * ns, padding, strides, rdil, dn,
                                precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_general_dilated_patches(lhs, filter_shape, window_strides, padding, lhs_dilation=None,
                                 rhs_dilation=None, dimension_numbers=None, precision=None,
                                 preferred_element_type=None):
    """The patches a convolution with a kernel of spatial shape ``filter_shape`` would meet,
    as ``jax.lax.conv_general_dilated_patches``: the output's feature axis holds each input
    feature's window (feature-major, then the window positions in row-major order), laid
    out by ``dimension_numbers`` as a convolution's output. Gathered, not multiplied: a NaN
    or inf stays in its own entries (JAX's identity-kernel convolution also turns the
    window's other entries to NaN).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.conv_general_dilated_patches(np.arange(4.0).reshape(1, 1, 4), (2,), (2,), "VALID")
    array([[[0., 2.],
            [1., 3.]]])
    """
    name = "conv_general_dilated_patches"
    ls, ld = _check_kind(name, lhs, "iuf", "c")
    _precision(name, precision, preferred_element_type, ld)
    filt = _ints(name, "filter_shape", filter_shape)
    if ls is None or len(ls) != len(filt) + 2:
        raise ShapeError(f"lax.{name}: an lhs of shape {ls} needs {len(filt)} spatial axes "
                         f"for filter_shape {filt}{at(user_location())}")
    dn = conv_dimension_numbers(ls, (1, 1) + filt, dimension_numbers)
    x = wnp.transpose(lhs, dn.lhs_spec)
    ns = len(filt)
    strides = _ints(name, "window_strides", window_strides)
    ldil = (1,) * ns if lhs_dilation is None else _ints(name, "lhs_dilation", lhs_dilation)
    rdil = (1,) * ns if rhs_dilation is None else _ints(name, "rhs_dilation", rhs_dilation)
    if not len(strides) == len(ldil) == len(rdil) == ns or builtins.any(
            v < 1 for v in strides + ldil + rdil):
        raise ShapeError(f"lax.{name}: window_strides {strides}, lhs_dilation {ldil} and "
                         f"rhs_dilation {rdil} need one entry >= 1 per spatial axis ({ns})"
                         f"{at(user_location())}")
    if isinstance(padding, str) and builtins.any(d > 1 for d in ldil):
        raise WireValueError(f"lax.{name}: padding {padding!r} with lhs_dilation {ldil} is not "
                             f"defined, as in JAX: give (low, high) pairs{at(user_location())}")
    # (filter_shape is in the kernel string's spatial order, as rhs_spec[2:] is)
    patches, out = _patches(name, x, filt, strides, padding, ldil, rdil)
    n, c = x.shape[0], x.shape[1]
    kk = int(np.prod(filt, dtype=np.int64))
    if not patches or 0 in out:
        y = wnp.zeros((n, c * kk) + out, ld)
    else:
        y = wnp.reshape(wnp.stack(patches, axis=2), (n, c * kk) + out)
    return wnp.transpose(y, tuple(int(a) for a in np.argsort(dn.out_spec)))

# --------------------------------------------------------------------------- gather / scatter


class GatherScatterMode(enum.Enum):
    """How :func:`gather` and the scatters treat an index whose window does not fit the
    operand, as ``jax.lax.GatherScatterMode``: ``CLIP`` moves the window inside;
    ``FILL_OR_DROP`` fills a gathered window with ``fill_value`` and drops a scattered one;
    ``PROMISE_IN_BOUNDS`` does what XLA on CPU does (gather clips, scatter drops).

    >>> GatherScatterMode.from_any("fill")
    <GatherScatterMode.FILL_OR_DROP: 2>
    """

    CLIP = 1
    FILL_OR_DROP = 2
    PROMISE_IN_BOUNDS = 3
    ONE_HOT = 4

    @staticmethod
    def from_any(s) -> "GatherScatterMode":
        """The mode named by ``s``: a member (wire's or JAX's), ``"clip"``, ``"fill"``,
        ``"drop"``, ``"promise_in_bounds"``, ``"one_hot"`` or None (``FILL_OR_DROP``).

        >>> from wire.lax import GatherScatterMode
        >>> GatherScatterMode.from_any("clip") is GatherScatterMode.CLIP
        True
        """
        if isinstance(s, GatherScatterMode):
            return s
        if type(s).__name__ == "GatherScatterMode" and hasattr(s, "name"):
            return GatherScatterMode[s.name]
        names = {None: "FILL_OR_DROP", "clip": "CLIP", "fill": "FILL_OR_DROP",
                 "drop": "FILL_OR_DROP", "promise_in_bounds": "PROMISE_IN_BOUNDS",
                 "one_hot": "ONE_HOT"}
        if not isinstance(s, (str, type(None))) or s not in names:
            raise WireValueError(f"unknown gather/scatter mode {s!r:.40}; expected 'clip', "
                                 f"'fill', 'drop', 'promise_in_bounds' or a GatherScatterMode"
                                 f"{at(user_location(3))}")
        return GatherScatterMode[names[s]]


class GatherDimensionNumbers(NamedTuple):
    """How :func:`gather` reads ``operand`` (``jax.lax.GatherDimensionNumbers``): the last
    axis of ``start_indices`` holds start positions along the operand axes
    ``start_index_map``; ``collapsed_slice_dims`` (size-1 slice axes) are dropped from the
    output; the remaining slice axes land at the output positions ``offset_dims``;
    ``operand_batching_dims`` pair with the index axes ``start_indices_batching_dims``.

    >>> GatherDimensionNumbers((1,), (0,), (0,)).operand_batching_dims
    ()
    """

    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple
    operand_batching_dims: tuple = ()
    start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
    """How the scatters write ``updates`` into ``operand``
    (``jax.lax.ScatterDimensionNumbers``): the axes ``update_window_dims`` of ``updates`` are
    windows laid along the operand axes not in ``inserted_window_dims`` (nor
    ``operand_batching_dims``); the other axes of ``updates`` run along the index axes of
    ``scatter_indices``, whose last axis holds start positions along
    ``scatter_dims_to_operand_dims``.

    >>> ScatterDimensionNumbers((), (0,), (0,)).scatter_indices_batching_dims
    ()
    """

    update_window_dims: tuple
    inserted_window_dims: tuple
    scatter_dims_to_operand_dims: tuple
    operand_batching_dims: tuple = ()
    scatter_indices_batching_dims: tuple = ()


def _dnums(name: str, dn, cls) -> tuple:
    """The fields of ``dn`` (wire's or JAX's dimension numbers, or a plain tuple) as tuples
    of ints."""
    try:
        if isinstance(dn, cls):
            values = tuple(dn)
        elif builtins.all(hasattr(dn, f) for f in cls._fields):
            values = tuple(getattr(dn, f) for f in cls._fields)
        else:
            values = tuple(cls(*dn))
        return tuple(tuple(operator.index(v) for v in f) for f in values)
    except (TypeError, ValueError):
        raise WireTypeError(f"lax.{name}: dimension_numbers must be a {cls.__name__} of "
                            f"tuples of ints, got {dn!r:.100}{at(user_location(3))}") from None


def _dims_ok(name: str, what: str, dims, rank: int, shapes: str, sort: bool = True):
    if (builtins.any(not 0 <= d < rank for d in dims) or len(set(dims)) != len(dims)
            or (sort and list(dims) != sorted(dims))):
        raise ShapeError(f"lax.{name}: {what} {dims} must be distinct{', sorted' if sort else ''}"
                         f" axes in [0, {rank}) ({shapes}){at(user_location(4))}")


def _index_operand(name: str, indices, what: str):
    shape, dtype = _check_kind(name, indices, "iu", "", what)
    if shape is None or len(shape) < 1:
        raise ShapeError(f"lax.{name}: {what} need at least one axis (the last holds the "
                         f"index vectors), got shape {shape}{at(user_location(3))}")
    return shape


def _placed(v, rank: int, positions) -> object:
    """``v`` (axes in order) reshaped to ``rank`` axes, its axes at ``positions``."""
    shape = [1] * rank
    for p, n in zip(positions, v.shape):
        shape[p] = n
    return wnp.reshape(v, tuple(shape))


def _iota_at(n: int, rank: int, position: int):
    shape = [1] * rank
    shape[position] = n
    return np.arange(n, dtype=np.int64).reshape(shape)


def _eager(fn, *args):
    """``fn(*args)``; with no traced argument, evaluated to a NumPy array (``fn`` builds on
    ``x.at[...]``, which makes a traced value)."""
    if builtins.any(isinstance(a, Tracer) for a in args):
        return fn(*args)
    args = tuple(np.asarray(a) for a in args)
    return _evaluate(_trace(fn, *args), *args)


def gather(operand, start_indices, dimension_numbers, slice_sizes, *, unique_indices=False,
           indices_are_sorted=False, mode=None, fill_value=None):
    """XLA's gather, as ``jax.lax.gather``: for each index vector (the last axis of
    ``start_indices``), the block of ``slice_sizes`` of ``operand`` starting there, laid out
    by ``dimension_numbers`` (a :class:`GatherDimensionNumbers`). Starts are not wrapped
    (``-1`` is out of bounds); a block that does not fit is moved inside (``mode`` None,
    ``"clip"`` or ``"promise_in_bounds"``) or filled with ``fill_value`` (``"fill"``;
    default NaN, the most negative integer, the largest unsigned one, ``True``). One
    ``getitem``: the gradient adds up over repeated indices; a filled block gets none.

    >>> import numpy as np
    >>> from wire import lax
    >>> dn = lax.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,),
    ...                                 start_index_map=(0,))
    >>> lax.gather(np.arange(5.0), np.array([[4], [0], [7]]), dn, (1,), mode="fill")
    array([ 4.,  0., nan])
    """
    name = "gather"
    oshape, dtype = _aval(operand, name)
    ishape = _index_operand(name, start_indices, "start_indices")
    if oshape is None:
        raise ShapeError(f"lax.gather needs an operand of known shape{at(user_location())}")
    dn = _dnums(name, dimension_numbers, GatherDimensionNumbers)
    offset, collapsed, smap, obd, sibd = dn
    sizes = _ints(name, "slice_sizes", slice_sizes)
    rank, batch = len(oshape), ishape[:-1]
    shapes = f"operand shape {oshape}, start_indices shape {ishape}, slice_sizes {sizes}"
    out_rank = len(batch) + len(offset)
    _dims_ok(name, "offset_dims", offset, out_rank, shapes)
    _dims_ok(name, "collapsed_slice_dims", collapsed, rank, shapes)
    _dims_ok(name, "operand_batching_dims", obd, rank, shapes)
    _dims_ok(name, "start_index_map", smap, rank, shapes, sort=False)
    _dims_ok(name, "start_indices_batching_dims", sibd, len(ishape) - 1, shapes, sort=False)
    problems = []
    if len(sizes) != rank or builtins.any(not 0 <= k <= n for k, n in zip(sizes, oshape)):
        problems.append("slice_sizes need one size in [0, operand size] per operand axis")
    elif builtins.any(sizes[d] > 1 for d in collapsed + obd):
        problems.append("collapsed_slice_dims and operand_batching_dims need slice size <= 1")
    if len(smap) != ishape[-1]:
        problems.append(f"start_index_map {smap} needs one entry per index-vector component "
                        f"({ishape[-1]})")
    if set(collapsed) & set(obd) or set(smap) & set(obd):
        problems.append("operand_batching_dims may not be collapsed or in start_index_map")
    if len(obd) != len(sibd) or builtins.any(
            oshape[a] != batch[b] for a, b in zip(obd, sibd)):
        problems.append(f"operand_batching_dims {obd} and start_indices_batching_dims {sibd} "
                        f"need one length and equal sizes")
    if len(offset) != rank - len(collapsed) - len(obd):
        problems.append(f"offset_dims {offset} needs one entry per slice axis that is not "
                        f"collapsed nor batching ({rank - len(collapsed) - len(obd)})")
    if problems:
        raise ShapeError(f"lax.gather: {'; '.join(problems)} ({shapes}){at(user_location())}")
    m = GatherScatterMode.from_any(mode)
    if m is GatherScatterMode.ONE_HOT:
        raise WireNotImplementedError(f"wire.lax.gather: mode ONE_HOT{at(user_location())}")
    fill = m is GatherScatterMode.FILL_OR_DROP if mode is not None else False
    if fill and fill_value is None:
        fill_value = (np.nan if dtype.kind in "fc" else np.iinfo(dtype).min if dtype.kind == "i"
                      else np.iinfo(dtype).max if dtype.kind == "u" else True)
    if fill:
        # converted as lax.full converts (a float into integers saturates, NaN is 0; a Python
        # int out of range raises): NumPy's asarray raised a bare ValueError for NaN and
        # OverflowError for inf or -3.7 into uint8
        fill_value = full((), fill_value, dtype)
    bpos = [p for p in range(out_rank) if p not in offset]
    window = [d for d in range(rank) if d not in collapsed and d not in obd]
    out_shape = [0] * out_rank
    for p, n in zip(bpos, batch):
        out_shape[p] = n
    for p, d in zip(offset, window):
        out_shape[p] = sizes[d]
    out_shape = tuple(out_shape)

    def run(x, idx):
        if 0 in out_shape:
            return wnp.zeros(out_shape, dtype)
        idx = wnp.asarray(idx).astype(np.int64)
        index, ok = [], None
        for d in range(rank):
            if d in obd:
                b = sibd[obd.index(d)]
                index.append(_iota_at(batch[b], out_rank, bpos[b]))
                continue
            i = 0
            if d in smap:
                start = _placed(idx[..., smap.index(d)], out_rank, bpos)
                hi = oshape[d] - sizes[d]
                if fill:
                    inside = (start >= 0) & (start <= hi)
                    ok = inside if ok is None else ok & inside
                i = wnp.clip(start, 0, hi)
            if d in window:
                i = i + _iota_at(sizes[d], out_rank, offset[window.index(d)])
            index.append(i if not isinstance(i, int) else np.zeros((1,) * out_rank, np.int64))
        y = wnp.broadcast_to(to_tracer(x)[tuple(index)], out_shape)
        if ok is not None:
            y = wnp.where(ok, y, fill_value)
        return y

    return _eager(run, operand, start_indices)


def _scatter(name: str, how: str, operand, indices, updates, dimension_numbers, mode,
             func=None, unique: bool = False):
    oshape, dtype = _aval(operand, name)
    ishape = _index_operand(name, indices, "scatter_indices")
    ushape, udtype = _aval(updates, name) if how != "apply" else (tuple(updates), dtype)
    if oshape is None or ushape is None:
        raise ShapeError(f"lax.{name} needs operands of known shape{at(user_location(3))}")
    if udtype != dtype:
        raise WireTypeError(f"lax.{name}: updates of dtype {udtype} for an operand of dtype "
                            f"{dtype} (one dtype, as in JAX){at(user_location(3))}")
    uwd, inserted, sdod, obd, sibd = _dnums(name, dimension_numbers, ScatterDimensionNumbers)
    rank, urank, batch = len(oshape), len(ushape), ishape[:-1]
    shapes = (f"operand shape {oshape}, scatter_indices shape {ishape}, updates shape "
              f"{ushape}")
    _dims_ok(name, "update_window_dims", uwd, urank, shapes)
    _dims_ok(name, "inserted_window_dims", inserted, rank, shapes)
    _dims_ok(name, "operand_batching_dims", obd, rank, shapes)
    _dims_ok(name, "scatter_dims_to_operand_dims", sdod, rank, shapes, sort=False)
    _dims_ok(name, "scatter_indices_batching_dims", sibd, len(ishape) - 1, shapes, sort=False)
    window = [d for d in range(rank) if d not in inserted and d not in obd]
    upos = [p for p in range(urank) if p not in uwd]
    problems = []
    if len(sdod) != ishape[-1]:
        problems.append(f"scatter_dims_to_operand_dims {sdod} needs one entry per "
                        f"index-vector component ({ishape[-1]})")
    if set(inserted) & set(obd) or set(sdod) & set(obd):
        problems.append("operand_batching_dims may not be inserted or scattered to")
    if len(obd) != len(sibd) or builtins.any(oshape[a] != batch[b] for a, b in zip(obd, sibd)):
        problems.append(f"operand_batching_dims {obd} and scatter_indices_batching_dims {sibd} "
                        f"need one length and equal sizes")
    if len(uwd) != len(window):
        problems.append(f"update_window_dims {uwd} needs one entry per operand axis that is "
                        f"neither inserted nor batching ({len(window)})")
    elif urank != len(uwd) + len(batch) or tuple(ushape[p] for p in upos) != batch:
        problems.append("the updates' axes outside update_window_dims must be the index axes "
                        f"{batch}")
    elif builtins.any(ushape[p] > oshape[d] for p, d in zip(uwd, window)):
        problems.append("an update window is larger than the operand")
    if problems:
        raise ShapeError(f"lax.{name}: {'; '.join(problems)} ({shapes}){at(user_location(3))}")
    m = GatherScatterMode.from_any(mode)
    if m is GatherScatterMode.ONE_HOT:
        raise WireNotImplementedError(f"wire.lax.{name}: mode ONE_HOT{at(user_location(3))}")
    clip = m is GatherScatterMode.CLIP
    wsize = {d: ushape[p] for p, d in zip(uwd, window)}
    n = int(np.prod(oshape, dtype=np.int64))
    strides = [int(np.prod(oshape[d + 1:], dtype=np.int64)) for d in range(rank)]

    def positions(idx):
        """(flat position of each update element, whether its window fits)."""
        idx = wnp.asarray(idx).astype(np.int64)
        flat, ok = np.zeros((1,) * urank, np.int64), None
        for d in range(rank):
            if d in obd:
                b = sibd[obd.index(d)]
                i = _iota_at(batch[b], urank, upos[b])
            else:
                i = 0
                if d in sdod:
                    start = _placed(idx[..., sdod.index(d)], urank, upos)
                    hi = oshape[d] - wsize.get(d, 1)
                    if clip:
                        start = wnp.clip(start, 0, hi)
                    else:
                        inside = (start >= 0) & (start <= hi)
                        ok = inside if ok is None else ok & inside
                    i = start
                if d in window:
                    i = i + _iota_at(wsize[d], urank, uwd[window.index(d)])
            flat = flat + i * strides[d]
        return wnp.broadcast_to(flat, ushape), ok

    def run(x, idx, u=None):
        if n == 0 or 0 in ushape:
            return wnp.copy(x) if isinstance(x, Tracer) else to_tracer(np.array(x))
        flat, ok = positions(idx)
        x1 = wnp.reshape(x, (n,))
        if ok is not None:  # a window that does not fit writes to one extra slot, cut off
            flat = wnp.where(ok, flat, n)
            x1 = wnp.concatenate([x1, np.zeros(1, dtype)])
        if how == "apply":
            count = At(to_tracer(np.zeros(x1.shape, np.int64)))[flat].add(1)
            y = x1
            for k in range(times):
                y = wnp.where(count > k, func(y), y)
        else:
            y = getattr(At(to_tracer(x1))[flat], how)(u)
            if how in ("min", "max") and dtype.kind == "f":
                y = _zero_sign(how, y, x1, u, flat)
        return wnp.reshape(y[:n] if ok is not None else y, oshape)

    if how != "apply":
        return _eager(run, operand, indices, updates)
    # how many times func runs at the most written position: known from concrete indices,
    # else (traced indices) as many times as there are update elements
    times = 1 if unique else int(np.prod(ushape, dtype=np.int64))
    if not unique and not isinstance(indices, Tracer) and n and 0 not in ushape:
        flat, ok = positions(np.asarray(indices))
        flat = np.asarray(flat)[np.asarray(True if ok is None else ok) & np.ones(ushape, bool)]
        times = int(np.bincount(flat.ravel(), minlength=1).max()) if flat.size else 0
    return _eager(run, operand, indices)


def _zero_sign(how: str, y, x1, u, flat):
    """XLA's sign of a zero result of scatter_max (``+0.0`` if a ``+0.0`` took part) and
    scatter_min (``-0.0`` if a ``-0.0`` did); NumPy's keeps the operand's zero."""
    neg = how == "min"
    mark = lambda v: ((v == 0) & (wnp.signbit(v) == neg)).astype(np.int8)
    took_part = At(to_tracer(mark(x1)))[flat].max(mark(u)) > 0
    # adding +0.0 turns -0.0 into +0.0 and changes nothing else, not the derivative either
    fixed = -((-y) + 0.0) if neg else y + 0.0
    return wnp.where((y == 0) & took_part, fixed, y)


def _scatter_fn(name: str, how: str, text: str, example: str):
    def fn(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
           unique_indices=False, mode=None):
        if how == "sub":  # x - u1 - u2 is x + (-u1) + (-u2) to the last bit
            _check_kind(name, updates, "iuf", "c", "updates")
            updates = wnp.negative(updates)
        return _scatter(name, "add" if how == "sub" else how, operand, scatter_indices,
                        updates, dimension_numbers, mode)

    return _doc(fn, name, text, example)


_SDN = ("dn = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),\n"
        "...                                  scatter_dims_to_operand_dims=(0,))\n")
scatter = _scatter_fn(
    "scatter", "set",
    "XLA's scatter, as ``jax.lax.scatter``: ``operand`` with the windows of ``updates`` "
    "written at the positions of ``scatter_indices`` (laid out by ``dimension_numbers``, a "
    ":class:`ScatterDimensionNumbers`). With repeated positions the last update (in the "
    "updates' row-major order) wins and alone gets the gradient, as JAX on CPU. A window that "
    "does not fit is dropped (``mode`` None, ``\"fill\"``/``\"drop\"``, "
    "``\"promise_in_bounds\"``) or moved inside (``\"clip\"``); indices are not wrapped.",
    f">>> {_SDN}>>> lax.scatter(np.zeros(4), np.array([[1], [1], [9]]), np.array([1., 2., 3.]), "
    "dn)\narray([0., 2., 0., 0.])")
scatter_add = _scatter_fn(
    "scatter_add", "add",
    "As :func:`scatter`, adding: repeated positions accumulate (in the updates' order).",
    f">>> {_SDN}>>> lax.scatter_add(np.zeros(3), np.array([[1], [1]]), np.array([1., 2.]), dn)"
    "\narray([0., 3., 0.])")
scatter_sub = _scatter_fn(
    "scatter_sub", "sub", "As :func:`scatter_add`, subtracting.",
    f">>> {_SDN}>>> lax.scatter_sub(np.zeros(3), np.array([[1], [1]]), np.array([1., 2.]), dn)"
    "\narray([ 0., -3.,  0.])")
scatter_mul = _scatter_fn(
    "scatter_mul", "mul",
    "As :func:`scatter`, multiplying. The gradient is exact with repeated indices and zeros "
    "(JAX differentiates it in ``updates`` only with ``unique_indices=True``).",
    f">>> {_SDN}>>> lax.scatter_mul(np.ones(3), np.array([[0], [0]]), np.array([2., 3.]), dn)"
    "\narray([6., 1., 1.])")
scatter_min = _scatter_fn(
    "scatter_min", "min",
    "As :func:`scatter`, keeping the smaller value; the gradient of a position is split evenly "
    "among the operand and updates equal to its result, as JAX's.",
    f">>> {_SDN}>>> lax.scatter_min(np.zeros(3), np.array([[0], [2]]), np.array([-1., 1.]), dn)"
    "\narray([-1.,  0.,  0.])")
scatter_max = _scatter_fn(
    "scatter_max", "max",
    "As :func:`scatter_min`, keeping the larger value.",
    f">>> {_SDN}>>> lax.scatter_max(np.zeros(3), np.array([[0], [2]]), np.array([-1., 1.]), dn)"
    "\narray([0., 0., 1.])")


def scatter_apply(operand, scatter_indices, func: Callable, dimension_numbers, *,
                  update_shape=(), indices_are_sorted=False, unique_indices=False, mode=None):
    """``operand`` with ``func`` applied at the positions :func:`scatter` with updates of
    ``update_shape`` would write, once per write (a position written twice gets
    ``func(func(x))``, as JAX on CPU); ``func`` must be elementwise. Differentiable (JAX's
    is not).

    >>> import numpy as np
    >>> from wire import lax
    >>> dn = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
    ...                                  scatter_dims_to_operand_dims=(0,))
    >>> lax.scatter_apply(np.ones(3), np.array([[0], [2], [2]]), lambda v: v * 2, dn,
    ...                   update_shape=(3,))
    array([2., 1., 4.])
    """
    shape = _ints("scatter_apply", "update_shape", update_shape)
    return _scatter("scatter_apply", "apply", operand, scatter_indices, shape,
                    dimension_numbers, mode, func, bool(unique_indices))


# --------------------------------------------------------------------------- jax.ops segments


def _segment(name: str, scatter_fn, identity, data, segment_ids, num_segments,
             indices_are_sorted, unique_indices, bucket_size, mode):
    """JAX's ``_segment_update``: a result of ``num_segments`` rows (``identity`` in each,
    ``data``'s dtype) into which the scatter writes ``data``'s rows at ``segment_ids`` (ids out
    of range are dropped by default, negative ones too: they are not wrapped)."""
    data = to_tracer(data) if isinstance(data, Tracer) else np.asarray(data)
    ids = segment_ids if isinstance(segment_ids, Tracer) else np.asarray(segment_ids)
    if ids.dtype.kind not in "iu":
        raise WireTypeError(f"{name}: segment_ids must be an integer array, got {ids.dtype}"
                            f"{at(user_location())}")
    if tuple(data.shape[:ids.ndim]) != tuple(ids.shape):
        raise ShapeError(f"{name}: segment_ids of shape {tuple(ids.shape)} must match the "
                         f"leading axes of data, of shape {tuple(data.shape)}"
                         f"{at(user_location())}")
    if num_segments is None:
        if isinstance(ids, Tracer):
            raise WireTypeError(
                f"{name}: num_segments must be given (a concrete int: it sets the result's "
                f"shape) when segment_ids is traced{at(user_location())}; pass "
                f"num_segments=k, as JAX requires under jit")
        num_segments = int(ids.max()) + 1 if ids.size else 0
    num_segments = static_size(num_segments, name, "num_segments")
    dtype = data.dtype
    if callable(identity):
        identity = identity(dtype)
    out = np.full((num_segments,) + tuple(data.shape[ids.ndim:]), identity, dtype)
    dn = ScatterDimensionNumbers(update_window_dims=tuple(range(ids.ndim, data.ndim)),
                                 inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
    index = wnp.expand_dims(ids, -1) if isinstance(ids, Tracer) else ids[..., None]
    return scatter_fn(out, index, data, dn, indices_are_sorted=indices_are_sorted,
                      unique_indices=unique_indices,
                      mode=GatherScatterMode.FILL_OR_DROP if mode is None else mode)


def _lowest(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return -np.inf
    return False if dtype.kind == "b" else np.iinfo(dtype).min


def _highest(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return np.inf
    return True if dtype.kind == "b" else np.iinfo(dtype).max


def segment_sum(data, segment_ids, num_segments=None, indices_are_sorted=False,
                unique_indices=False, bucket_size=None, mode=None):
    """``jax.ops.segment_sum``: the sums of the rows of ``data`` (along its leading axes, those
    of ``segment_ids``) that share a segment id, ``num_segments`` of them (zero for an empty
    segment; ids out of range are dropped). ``num_segments`` sets the result's shape: under
    ``jit`` it must be a concrete int. The gradient in ``data`` gathers the cotangent at the
    ids. ``indices_are_sorted``, ``unique_indices`` and ``bucket_size`` are hints (no value
    changes).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.segment_sum(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 2, 5]), 3)
    array([3., 0., 3.])
    """
    return _segment("segment_sum", scatter_add, 0, data, segment_ids, num_segments,
                    indices_are_sorted, unique_indices, bucket_size, mode)


def segment_prod(data, segment_ids, num_segments=None, indices_are_sorted=False,
                 unique_indices=False, bucket_size=None, mode=None):
    """``jax.ops.segment_prod``: as :func:`segment_sum`, multiplying (one for an empty
    segment).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.segment_prod(np.array([2.0, 3.0, 4.0]), np.array([0, 0, 1]), 3)
    array([6., 4., 1.])
    """
    return _segment("segment_prod", scatter_mul, 1, data, segment_ids, num_segments,
                    indices_are_sorted, unique_indices, bucket_size, mode)


def segment_max(data, segment_ids, num_segments=None, indices_are_sorted=False,
                unique_indices=False, bucket_size=None, mode=None):
    """``jax.ops.segment_max``: as :func:`segment_sum`, keeping the largest (``-inf`` for an
    empty segment, the dtype's least value for integers); the gradient of a segment is split
    evenly among its entries equal to the maximum, as JAX's.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.segment_max(np.array([2.0, 3.0, 4.0]), np.array([0, 0, 2]), 3)
    array([  3., -inf,   4.])
    """
    return _segment("segment_max", scatter_max, _lowest, data, segment_ids, num_segments,
                    indices_are_sorted, unique_indices, bucket_size, mode)


def segment_min(data, segment_ids, num_segments=None, indices_are_sorted=False,
                unique_indices=False, bucket_size=None, mode=None):
    """``jax.ops.segment_min``: as :func:`segment_max`, keeping the smallest (``inf`` for an
    empty segment).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.segment_min(np.array([2.0, 3.0, 4.0]), np.array([0, 0, 2]), 3)
    array([ 2., inf,  4.])
    """
    return _segment("segment_min", scatter_min, _highest, data, segment_ids, num_segments,
                    indices_are_sorted, unique_indices, bucket_size, mode)


# --------------------------------------------------------------------------- more of jax.lax


class Precision(enum.Enum):
    """``jax.lax.Precision``: accepted as ``precision=`` of the products and convolutions,
    and ignored: wire always computes at full precision (``HIGHEST``).

    >>> Precision.HIGHEST.name
    'HIGHEST'
    """

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2


def reciprocal(x):
    """``1 / x``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.reciprocal(np.array([2.0, -0.0]))
    array([ 0.5, -inf])
    """
    _check_kind("reciprocal", x, "f", "c")
    return wnp.divide(1.0, x)


def split(operand, sizes, axis: int = 0) -> list:
    """``operand`` cut along ``axis`` into pieces of ``sizes`` (which add up to its size).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.split(np.arange(5.0), (2, 3))
    [array([0., 1.]), array([2., 3., 4.])]
    """
    shape = _shape_of("split", operand)
    sizes = _ints("split", "sizes", sizes)
    (axis,) = _axes("split", shape, (axis,))
    if builtins.sum(sizes) != shape[axis] or builtins.any(k < 0 for k in sizes):
        raise ShapeError(f"lax.split: sizes {sizes} do not add up to axis {axis} of shape "
                         f"{shape}{at(user_location())}")
    starts = np.cumsum((0,) + sizes)
    return [slice_in_dim(operand, int(a), int(b), axis=axis) for a, b in zip(starts, starts[1:])]


def tile(operand, reps):
    """``operand`` repeated ``reps[i]`` times along each axis (one entry per axis, as JAX's).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.tile(np.array([1.0, 2.0]), (2,))
    array([1., 2., 1., 2.])
    """
    shape = _shape_of("tile", operand)
    reps = _ints("tile", "reps", reps)
    if len(reps) != len(shape) or builtins.any(r < 0 for r in reps):
        raise ShapeError(f"lax.tile: reps {reps} need one count >= 0 per axis of shape {shape}"
                         f"{at(user_location())}")
    return wnp.tile(operand, reps) if reps else wnp.copy(operand)


def stack(operands: Sequence, axis: int = 0):
    """The ``operands`` (one dtype, one shape) stacked along a new ``axis``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.stack([np.zeros(2), np.ones(2)], axis=1)
    array([[0., 1.],
           [0., 1.]])
    """
    avals = [_aval(x, "stack") for x in operands]
    if not avals:
        raise WireValueError(f"lax.stack needs at least one operand{at(user_location())}")
    _same("stack", avals)
    if len({s for s, _ in avals}) != 1:
        raise ShapeError(f"lax.stack: operands of shapes {', '.join(str(s) for s, _ in avals)}"
                         f" (one shape){at(user_location())}")
    return wnp.stack(list(operands), axis=axis)


def unstack(x, axis: int = 0) -> tuple:
    """The slices of ``x`` along ``axis``, that axis removed.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.unstack(np.arange(4.0).reshape(2, 2), axis=1)
    (array([0., 2.]), array([1., 3.]))
    """
    shape = _shape_of("unstack", x)
    (axis,) = _axes("unstack", shape, (axis,))
    return tuple(index_in_dim(x, i, axis, keepdims=False) for i in range(shape[axis]))


def broadcast_shapes(*shapes) -> tuple:
    """The shape NumPy's broadcasting gives ``shapes``.

    >>> broadcast_shapes((2, 1), (3,))
    (2, 3)
    """
    try:
        return tuple(np.broadcast_shapes(*(tuple(s) for s in shapes)))
    except ValueError:
        raise ShapeError(f"lax.broadcast_shapes: shapes {', '.join(str(tuple(s)) for s in shapes)}"
                         f" do not broadcast{at(user_location())}") from None


def broadcast_to_rank(x, rank: int):
    """``x`` with leading size-1 axes up to ``rank`` axes (unchanged when it has them).

    >>> import numpy as np
    >>> broadcast_to_rank(np.ones(3), 3).shape
    (1, 1, 3)
    """
    shape = _shape_of("broadcast_to_rank", x)
    if len(shape) >= rank:
        return x
    return reshape(x, (1,) * (rank - len(shape)) + shape)


def optimization_barrier(operand):
    """``operand`` (a pytree) unchanged: XLA's barrier against moving computations across
    it has nothing to hold back in wire.

    >>> optimization_barrier((1, 2))
    (1, 2)
    """
    return operand


def with_sharding_constraint(x, shardings):
    """``x`` unchanged: wire runs on one device, so there is nothing to shard.

    >>> import numpy as np
    >>> with_sharding_constraint(np.ones(2), None)
    array([1., 1.])
    """
    return x


def batch_matmul(lhs, rhs, precision=None):
    """Matrix products over the last two axes of operands of one rank (>= 2) whose leading
    (batch) axes are equal.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.batch_matmul(np.ones((2, 1, 3)), np.ones((2, 3, 1)))[:, 0, 0]
    array([3., 3.])
    """
    ls, ld = _aval(lhs, "batch_matmul")
    rs, rd = _aval(rhs, "batch_matmul")
    if ls is None or rs is None or len(ls) != len(rs) or len(ls) < 2 or ls[:-2] != rs[:-2] or (
            ls[-1] != rs[-2]):
        raise ShapeError(f"lax.batch_matmul: operands of shapes {ls} and {rs} (one rank >= 2, "
                         f"equal batch axes, lhs columns = rhs rows){at(user_location())}")
    b = tuple(range(len(ls) - 2))
    return dot_general(lhs, rhs, (((len(ls) - 1,), (len(ls) - 2,)), (b, b)), precision)


def padtype_to_pads(in_shape, window_shape, window_strides, padding) -> list:
    """The ``(low, high)`` padding of each axis that ``padding`` ("SAME", "SAME_LOWER",
    "VALID" or pairs) means for windows of ``window_shape`` at ``window_strides``.

    >>> padtype_to_pads((5, 6), (2, 3), (2, 1), "SAME")
    [(0, 1), (1, 1)]
    """
    return [tuple(int(v) for v in p) for p in _padding(
        "padtype_to_pads", padding, tuple(int(v) for v in in_shape),
        tuple(int(v) for v in window_shape), tuple(int(v) for v in window_strides))]


def dynamic_update_slice_in_dim(operand, update, start_index, axis: int, *,
                                allow_negative_indices: bool = True):
    """:func:`dynamic_update_slice` along one axis: ``update`` written from ``start_index``.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.dynamic_update_slice_in_dim(np.zeros(4), np.ones(2), -1, 0)
    array([0., 0., 1., 1.])
    """
    shape = _shape_of("dynamic_update_slice_in_dim", operand)
    axis = _dim("dynamic_update_slice_in_dim", shape, axis)
    start = start_index
    starts = [np.zeros((), np.asarray(start).dtype if not isinstance(start, Tracer)
                       else start.dtype)] * len(shape)
    starts[axis] = start
    return dynamic_update_slice(operand, update, starts,
                                allow_negative_indices=allow_negative_indices)


def dynamic_update_index_in_dim(operand, update, index, axis: int, *,
                                allow_negative_indices: bool = True):
    """``operand`` with element ``index`` of ``axis`` replaced by ``update`` (with or
    without that axis).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.dynamic_update_index_in_dim(np.zeros((2, 2)), np.ones(2), 1, 0)
    array([[0., 0.],
           [1., 1.]])
    """
    shape = _shape_of("dynamic_update_index_in_dim", operand)
    axis = _dim("dynamic_update_index_in_dim", shape, axis)
    ushape = _aval(update, "dynamic_update_index_in_dim")[0]
    if ushape is not None and len(ushape) == len(shape) - 1:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis,
                                       allow_negative_indices=allow_negative_indices)


def _approx_k(name: str, operand, k, reduction_dimension, largest: bool):
    shape, dtype = _check_kind(name, operand, "iuf", "bc")
    if shape is None or not shape:
        raise ShapeError(f"lax.{name} needs an operand of at least one dimension"
                         f"{at(user_location(3))}")
    (axis,) = _axes(name, shape, (reduction_dimension % len(shape)
                                  if isinstance(reduction_dimension, int) else
                                  reduction_dimension,))
    x = wnp.moveaxis(operand, axis, -1)
    key = x
    if not largest:  # the smallest first, NaN before them all, as JAX's on CPU
        key = wnp.where(wnp.isnan(x), wnp.abs(x), -x) if dtype.kind == "f" else wnp.invert(x)
    _, order = top_k(key, k)
    vals = wnp.take_along_axis(x, order.astype(np.int64), axis=-1)
    return wnp.moveaxis(vals, -1, axis), wnp.moveaxis(order, -1, axis)


def approx_max_k(operand, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True):
    """The ``k`` largest entries along ``reduction_dimension`` and their indices, exactly
    (as JAX's on CPU; ``recall_target`` and the rest change nothing): :func:`top_k`'s order.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.approx_max_k(np.array([1.0, 3.0, 2.0]), 2)
    (array([3., 2.]), array([1, 2], dtype=int32))
    """
    return _approx_k("approx_max_k", operand, k, reduction_dimension, True)


def approx_min_k(operand, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True):
    """The ``k`` smallest entries along ``reduction_dimension`` and their indices, exactly
    (as JAX's on CPU: a NaN comes first, ``-0.0`` before ``0.0``).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.approx_min_k(np.array([1.0, 3.0, 2.0]), 2)
    (array([1., 2.]), array([0, 2], dtype=int32))
    """
    return _approx_k("approx_min_k", operand, k, reduction_dimension, False)


def population_count(x):
    """The number of set bits of each integer (of the operand's dtype).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.population_count(np.array([7, -1], np.int32))
    array([ 3, 32], dtype=int32)
    """
    _, dtype = _check_kind("population_count", x, "iu")
    # the bits of the two's complement (NumPy's bitwise_count counts those of |x|)
    u = wnp.asarray(x).astype(np.dtype(f"u{dtype.itemsize}"))
    return _ones_of_unsigned(u).astype(dtype)


def bitcast_convert_type(operand, new_dtype):
    """``operand``'s bits read as ``new_dtype``, as JAX's (little-endian bytes): the shape
    is kept for a dtype of the same width; a narrower ``new_dtype`` adds a last axis of the
    width ratio, a wider one takes a last axis of that length away. Booleans and complex
    numbers only to their own dtype. No derivative (the result is a step function of the
    bits; JAX's derivative is zero too).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.bitcast_convert_type(np.array([1.0, -2.0], np.float32), np.int32)
    array([ 1065353216, -1073741824], dtype=int32)
    >>> lax.bitcast_convert_type(np.array([1.0], np.float32), np.uint8)
    array([[  0,   0, 128,  63]], dtype=uint8)
    """
    shape, dtype = _aval(operand, "bitcast_convert_type")
    new = np.dtype(new_dtype)
    if new.kind not in "biufc":
        raise WireTypeError(f"lax.bitcast_convert_type: no bitcast to {new}"
                            f"{at(user_location())}")
    if new == dtype:
        return operand
    if dtype.kind in "bc" or new.kind in "bc":
        raise WireTypeError(f"lax.bitcast_convert_type: bool and complex operands become "
                            f"their own dtype only (as in JAX), got {dtype} to {new}"
                            f"{at(user_location())}")
    if shape is not None:
        try:
            _FB.bitcast_shape(shape, dtype, new)
        except ShapeError as e:
            raise ShapeError(f"lax.bitcast_convert_type: {str(e).split(': ', 1)[1]}"
                             f"{at(user_location())}") from None
    if isinstance(operand, Tracer):
        return _FB.bitcast(operand, new)
    return _FB.bitcast_p.impl(np.asarray(operand, dtype), new_dtype=new)


def reduce_precision(operand, exponent_bits: int, mantissa_bits: int):
    """``operand`` rounded to a float of ``exponent_bits`` exponent and ``mantissa_bits``
    mantissa bits and stored in its own dtype, as XLA's: to nearest (ties to even), ±inf past
    the new range, ±0 below its normal range (no subnormals), NaN kept. Its derivative is
    JAX's convention: the tangent (and the cotangent) rounded the same way, as if the
    rounding were the identity (straight through; the rounding's exact derivative is 0
    almost everywhere).

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.reduce_precision(np.array([1 / 3, 70000.0, 1e-6]), exponent_bits=5,
    ...                      mantissa_bits=10)        # float16's range and precision
    array([0.33325195,        inf, 0.        ])
    """
    _check_kind("reduce_precision", operand, "f", "")
    e, m = _ints("reduce_precision", "exponent_bits and mantissa_bits",
                 (exponent_bits, mantissa_bits))
    if e < 1 or m < 0:
        raise WireValueError(f"lax.reduce_precision: exponent_bits must be positive and "
                             f"mantissa_bits non-negative, got {e} and {m}"
                             f"{at(user_location())}")
    x = operand if isinstance(operand, (Tracer, np.ndarray, np.generic)) else np.asarray(operand)
    if isinstance(x, Tracer):
        return _FB.reduce_precision(x, e, m)
    return _FB.reduce_precision_p.impl(np.asarray(x), exponent_bits=e, mantissa_bits=m)


def clz(x):
    """The number of leading zero bits of each integer (of its dtype, in its dtype), as
    JAX's: the bit width for 0, 0 for a negative signed integer.

    >>> import numpy as np
    >>> from wire import lax
    >>> lax.clz(np.array([0, 1, 255, -1], np.int16))
    array([16, 15,  8,  0], dtype=int16)
    """
    _, dtype = _check_kind("clz", x, "iu")
    bits = dtype.itemsize * 8
    unsigned = np.dtype(f"u{dtype.itemsize}")
    u = wnp.asarray(x).astype(unsigned)  # two's complement bits
    count = wnp.zeros_like(u)
    width = bits // 2
    while width:  # binary search: is the top `width` bits' field empty?
        empty = wnp.right_shift(u, np.array(bits - width, unsigned)) == 0
        count = wnp.where(empty, count + np.array(width, unsigned), count)
        u = wnp.where(empty, wnp.left_shift(u, np.array(width, unsigned)), u)
        width //= 2
    count = wnp.where(u == 0, count + np.array(1, unsigned), count)  # x == 0: the width
    return count.astype(dtype)


# arguments that hold no NumPy array (checked before asking the pytree registry)
_NO_ARRAYS = (Tracer, np.generic, int, float, builtins.complex, str, bytes, type(None),
              np.dtype, type, enum.Enum, type(_aval), type(builtins.len))


def _arrays_in(x, found: list) -> list:
    """The NumPy arrays among the leaves of ``x`` (plain containers walked directly)."""
    if isinstance(x, np.ndarray):
        found.append(x)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _arrays_in(v, found)
    elif isinstance(x, dict):
        for v in x.values():
            _arrays_in(v, found)
    elif not isinstance(x, _NO_ARRAYS):
        found.extend(a for a in tree.leaves(x) if isinstance(a, np.ndarray))
    return found


def _shares(o, ins) -> bool:
    return isinstance(o, np.ndarray) and builtins.any(np.may_share_memory(o, a) for a in ins)


def _unaliased(out, args, kwargs):
    """``out`` with each NumPy array that may share memory with a NumPy array among the
    arguments replaced by a copy (the others, and traced values, as they are)."""
    ins = _arrays_in(kwargs, _arrays_in(args, [])) if kwargs else _arrays_in(args, [])
    if not ins:
        return out
    if isinstance(out, np.ndarray):
        return out.copy() if _shares(out, ins) else out
    leaves, treedef = tree.flatten(out)
    shared = [_shares(o, ins) for o in leaves]
    if not builtins.any(shared):
        return out
    return tree.unflatten(treedef, [o.copy() if s else o for o, s in zip(leaves, shared)])


def _own_results(fn):
    """``fn`` whose eager results are arrays of their own: ``jax.lax``'s arrays are immutable,
    so its ``reshape(x, ...)`` can never be written through to ``x``; NumPy's reshape,
    transpose, slices … of a NumPy argument are views of it, copied here (only those: a
    result computed into new memory is returned as it is). ``wire.numpy`` keeps NumPy's
    view semantics."""

    @functools.wraps(fn)
    def own(*args, **kwargs):
        return _unaliased(fn(*args, **kwargs), args, kwargs)

    return own


_DEFINED_HERE = [n for n in __all__ if getattr(globals()[n], "__module__", None) == __name__]
for _name in _DEFINED_HERE:
    if type(globals()[_name]) is type(_own_results):  # functions, not classes
        globals()[_name] = _own_results(globals()[_name])
del _name

# the functions defined here are where user code enters wire (wire.tracebacks); ``scan`` is
# wire's own, exposed where it is defined
expose(globals(), _DEFINED_HERE)
# jax.ops's segment reductions live here too (not in __all__, which holds jax.lax's names)
_SEGMENT_OPS = ("segment_max", "segment_min", "segment_prod", "segment_sum")
for _name in _SEGMENT_OPS:
    globals()[_name] = _own_results(globals()[_name])
del _name
expose(globals(), _SEGMENT_OPS)


# JAX's collectives (named-axis operations of pmap/shard_map, and of vmap with axis_name):
# ``wire.lax.<name>`` says what to write instead
_COLLECTIVES = frozenset({
    "psum", "pmean", "pmax", "pmin", "psum_scatter", "all_gather", "all_to_all", "axis_index",
    "axis_size", "ppermute", "pshuffle", "pswapaxes", "pbroadcast", "pcast",
})


def __getattr__(name):
    """A JAX collective (``psum``, ``axis_index`` …): a ``MissingNameError`` saying what to
    write (an ``AttributeError``, so ``hasattr`` works as for any module).

    >>> import wire
    >>> hasattr(wire.lax, "psum")
    False
    """
    if name in _COLLECTIVES:
        raise MissingNameError(
            f"wire.lax has no {name}: wire has no collective operations (vmap accepts "
            "axis_name, and nothing reads it). Reduce over the batch outside the mapped "
            "function, e.g. wnp.mean(wire.vmap(f)(xs), axis=0), or write f for the whole "
            "batch (x - wnp.mean(xs, axis=0) for x - pmean(x, 'i'))")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
