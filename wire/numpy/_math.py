"""Elementwise functions of ``wire.numpy``: NumPy names and semantics over the elementwise
primitives (promotion, integer-to-float conversion, composed helpers like ``clip``)."""

from __future__ import annotations

import numpy as np

from ..ops import elementwise as E
from ..core import Tracer
from ._promote import cast, promote, promote_float, result_dtype
from ..errors import at, NonDifferentiableError, TracerBoolError, user_location

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "remainder",
    "power", "float_power", "negative", "positive", "square", "sqrt", "reciprocal", "exp",
    "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin", "arccos",
    "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "abs",
    "absolute", "sign", "floor", "ceil", "round", "around", "rint", "trunc", "maximum",
    "minimum", "fmax", "fmin", "where", "clip", "equal", "not_equal", "less", "less_equal",
    "greater", "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "isnan", "isinf", "isfinite",
    "stop_gradient", "deg2rad", "rad2deg", "radians", "degrees", "cbrt",
]


def _binary(binder, name, doc_example):
    def f(x, y):
        x, y = promote(x, y)
        return binder(x, y)

    f.__name__ = name
    f.__doc__ = f"NumPy's ``{name}`` on arrays and tracers.\n\n{doc_example}"
    return f


def _float_unary(binder, name):
    def f(x):
        (x,) = promote_float(x)
        return binder(x)

    f.__name__ = name
    x = 1.5 if name == "arccosh" else 0.5
    f.__doc__ = (
        f"NumPy's ``{name}`` on arrays and tracers (integers become float64).\n\n"
        f">>> bool({name}({x}) == np.{name}({x}))\nTrue"
    )
    return f


# fmt: off
add = _binary(E.add, "add", ">>> add(1.0, 2.0)\nnp.float64(3.0)")
subtract = _binary(E.sub, "subtract", ">>> subtract(1.0, 2.0)\nnp.float64(-1.0)")
multiply = _binary(E.mul, "multiply", ">>> multiply(2.0, 3.0)\nnp.float64(6.0)")
maximum = _binary(E.maximum, "maximum", ">>> maximum(2.0, 3.0)\nnp.float64(3.0)")
minimum = _binary(E.minimum, "minimum", ">>> minimum(2.0, 3.0)\nnp.float64(2.0)")
mod = _binary(E.mod, "mod", ">>> mod(7.0, 3.0)\nnp.float64(1.0)")
remainder = mod
floor_divide = _binary(E.floor_divide, "floor_divide", ">>> floor_divide(7, 2)\nnp.int64(3)")
equal = _binary(E.eq, "equal", ">>> equal(1, 1)\nnp.True_")
not_equal = _binary(E.ne, "not_equal", ">>> not_equal(1, 1)\nnp.False_")
less = _binary(E.lt, "less", ">>> less(1, 2)\nnp.True_")
less_equal = _binary(E.le, "less_equal", ">>> less_equal(1, 2)\nnp.True_")
greater = _binary(E.gt, "greater", ">>> greater(1, 2)\nnp.False_")
greater_equal = _binary(E.ge, "greater_equal", ">>> greater_equal(1, 2)\nnp.False_")
exp, exp2, expm1 = (_float_unary(E.exp, "exp"), _float_unary(E.exp2, "exp2"),
                    _float_unary(E.expm1, "expm1"))
log, log2, log10, log1p = (_float_unary(E.log, "log"), _float_unary(E.log2, "log2"),
                           _float_unary(E.log10, "log10"), _float_unary(E.log1p, "log1p"))
sqrt = _float_unary(E.sqrt, "sqrt")
sin, cos, tan = _float_unary(E.sin, "sin"), _float_unary(E.cos, "cos"), _float_unary(E.tan, "tan")
arcsin, arccos, arctan = (_float_unary(E.arcsin, "arcsin"), _float_unary(E.arccos, "arccos"),
                          _float_unary(E.arctan, "arctan"))
sinh, cosh, tanh = (_float_unary(E.sinh, "sinh"), _float_unary(E.cosh, "cosh"),
                    _float_unary(E.tanh, "tanh"))
arcsinh, arccosh, arctanh = (_float_unary(E.arcsinh, "arcsinh"), _float_unary(E.arccosh, "arccosh"),
                             _float_unary(E.arctanh, "arctanh"))
isnan, isinf, isfinite = E.isnan, E.isinf, E.isfinite
# fmt: on


def divide(x, y):
    """True division, NumPy's ``divide`` (integers divide to float64).

    >>> divide(1, 4)
    np.float64(0.25)
    """
    x, y = promote_float(x, y)
    return E.div(x, y)


true_divide = divide


def arctan2(y, x):
    """Elementwise ``arctan(y / x)`` choosing the quadrant, NumPy's ``arctan2``.

    >>> arctan2(1.0, 1.0) == np.arctan2(1.0, 1.0)
    np.True_
    """
    y, x = promote_float(y, x)
    return E.arctan2(y, x)


def power(x, y):
    """``x ** y``. A Python integer exponent becomes ``integer_pow`` (exact, small derivatives).

    >>> power(2.0, 3)
    np.float64(8.0)
    """
    if isinstance(y, (int, np.integer)) and not isinstance(y, bool) or (
        isinstance(y, float) and y.is_integer() and abs(y) <= 64
    ):
        if isinstance(x, Tracer):
            k = int(y)
            if k < 0 or isinstance(y, float):
                (x,) = promote_float(x) if k < 0 else (cast(x, result_dtype(x, y)),)
            return E.integer_pow(x, k)
    x, y = promote(x, y)
    return E.pow_(x, y)


def float_power(x, y):
    """``x ** y`` computed in float64, NumPy's ``float_power``."""
    return power(cast(x, np.float64) if isinstance(x, Tracer) else np.asarray(x, float), y)


def square(x):
    """``x * x``.

    >>> square(3.0)
    np.float64(9.0)
    """
    if isinstance(x, Tracer):
        return E.integer_pow(x, 2)
    return np.square(x)


def reciprocal(x):
    """``1 / x`` (integers become float64, unlike NumPy's integer reciprocal).

    >>> reciprocal(4.0)
    np.float64(0.25)
    """
    return divide(1.0, x)


def cbrt(x):
    """Real cube root, NumPy's ``cbrt``."""
    (x,) = promote_float(x)
    if not isinstance(x, Tracer):
        return np.cbrt(x)
    return sign(x) * power(abs(x), 1.0 / 3.0)


def negative(x):
    """``-x``.

    >>> negative(2.0)
    np.float64(-2.0)
    """
    return E.neg(x)


def positive(x):
    """``+x`` (the same value)."""
    return x


def abs(x):
    """Absolute value, NumPy's ``abs``/``absolute``; derivative ``sign(x)`` (0 at 0).

    >>> abs(-2.0)
    np.float64(2.0)
    """
    if isinstance(x, Tracer) and x.dtype.kind == "c":
        from ._elementwise_composed import abs_complex

        return abs_complex(x)
    return E.abs_(x)


absolute = abs


def sign(x):
    """Sign of x (-1, 0, 1); derivative zero."""
    return E.sign(x)


def floor(x):
    """Round down; derivative zero."""
    (x,) = promote_float(x)
    return E.floor(x)


def ceil(x):
    """Round up; derivative zero."""
    (x,) = promote_float(x)
    return E.ceil(x)


def round(x, decimals=0):
    """Round half to even, NumPy's ``round``; derivative zero."""
    if decimals:
        scale = 10.0**decimals
        return E.round_(x * scale) / scale
    return E.round_(x)


around = round
rint = round


def trunc(x):
    """Round toward zero; derivative zero."""
    (x,) = promote_float(x)
    return where(greater_equal(x, 0), floor(x), ceil(x))


def fmax(x, y):
    """Elementwise maximum ignoring NaNs."""
    x, y = promote(x, y)
    return where(isnan(x), y, where(isnan(y), x, maximum(x, y)))


def fmin(x, y):
    """Elementwise minimum ignoring NaNs."""
    x, y = promote(x, y)
    return where(isnan(x), y, where(isnan(y), x, minimum(x, y)))


def deg2rad(x):
    """Degrees to radians."""
    return multiply(x, np.pi / 180.0)


def rad2deg(x):
    """Radians to degrees."""
    return multiply(x, 180.0 / np.pi)


radians, degrees = deg2rad, rad2deg


def _as_bool(c):
    if isinstance(c, Tracer):
        return c if c.dtype == np.bool_ else E.ne(c, cast(0, c.dtype))
    return np.asarray(c).astype(bool)


def where(condition, x=None, y=None):
    """Choose ``x`` where ``condition`` holds, else ``y`` (broadcasting all three).

    The one-argument form (indices of non-zeros) needs concrete values.

    >>> where(np.array([True, False]), 1.0, 2.0)
    array([1., 2.])
    """
    if x is None and y is None:
        if isinstance(condition, Tracer):
            raise TracerBoolError(
                "where(condition) with one argument returns data-dependent shapes; use "
                f"where(condition, x, y) on traced values{at(user_location())}"
            )
        return np.where(condition)
    x, y = promote(x, y)
    return E.select(_as_bool(condition), x, y)


def clip(a, a_min=None, a_max=None):
    """Limit values to ``[a_min, a_max]`` (either may be None).

    >>> clip(np.array([-2.0, 0.5, 3.0]), -1.0, 1.0)
    array([-1. ,  0.5,  1. ])
    """
    if a_min is not None:
        a = maximum(a, a_min)
    if a_max is not None:
        a = minimum(a, a_max)
    return a


def logical_and(x, y):
    """Elementwise logical and."""
    return E.logical_and(_as_bool(x), _as_bool(y))


def logical_or(x, y):
    """Elementwise logical or."""
    return E.logical_or(_as_bool(x), _as_bool(y))


def logical_xor(x, y):
    """Elementwise logical xor."""
    return E.logical_xor(_as_bool(x), _as_bool(y))


def logical_not(x):
    """Elementwise logical not."""
    return E.logical_not(_as_bool(x))


def _bitwise(logical, np_fn, name):
    def f(x, y):
        if isinstance(x, Tracer) or isinstance(y, Tracer):
            if result_dtype(x, y) == np.bool_:
                return logical(x, y)
            raise NonDifferentiableError(f"{name} on traced integers is not supported; use bools"
                                         + at(user_location()))
        return np_fn(x, y)

    f.__name__ = name
    f.__doc__ = f"NumPy's ``{name}`` (on traced values: booleans only)."
    return f


bitwise_and = _bitwise(logical_and, np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(logical_or, np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(logical_xor, np.bitwise_xor, "bitwise_xor")


def invert(x):
    """Bitwise not (on traced values: booleans only)."""
    if isinstance(x, Tracer):
        return logical_not(x)
    return np.invert(x)


def stop_gradient(x):
    """The value of ``x``, with zero derivative (``wire.stop_gradient``).

    >>> import wire
    >>> wire.grad(lambda x: x * stop_gradient(x))(3.0)
    array(3.)
    """
    if not isinstance(x, Tracer):
        return x
    return E.stop_gradient(x)
