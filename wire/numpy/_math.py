"""Elementwise functions of ``wire.numpy``: NumPy names and semantics over the elementwise
primitives (promotion, integer-to-float conversion, composed helpers like ``clip``)."""

from __future__ import annotations

import builtins
import functools
import math

import numpy as np

from .. import tree
from ..core import Tracer, WeakTracer, weak_int_range
from ..core.tracer import check_unwrapped
from ..errors import (
    TracerBoolError, WireOverflowError, WireTypeError, WireValueError, at, user_location,
)
from ..ops import complex_parts as C
from ..ops import elementwise as E
from ._promote import (
    _beyond_traced, cast, holds_tracer, known, lift, lifting, promote, promote_float,
    promote_real_float,
    promote_true_divide, result_dtype, strong,
)

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "remainder",
    "power", "float_power", "negative", "positive", "square", "sqrt", "reciprocal", "exp",
    "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin", "arccos",
    "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "abs",
    "absolute", "hypot", "sign", "floor", "ceil", "round", "around", "rint", "trunc", "maximum",
    "minimum", "fmax", "fmin", "where", "clip", "equal", "not_equal", "less", "less_equal",
    "greater", "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift",
    "bitwise_count", "isnan", "isinf", "isfinite",
    "stop_gradient", "deg2rad", "rad2deg", "radians", "degrees", "cbrt",
    # NumPy 2's Array-API spellings
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "pow", "bitwise_invert",
    "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
]


_F64 = np.dtype(np.float64)


def _binary(binder, name, doc_example):
    def f(x, y):
        # the common cases first: a float tracer with a tracer of its dtype or a Python float;
        # a weakly typed float64 tracer (Python-scalar code) with a Python float or another
        tx, ty = type(x), type(y)
        if tx is Tracer and x.node.aval.dtype.kind == "f":
            dt = x.node.aval.dtype
            if ((ty is Tracer or ty is WeakTracer) and y.node.aval.dtype is dt) or (
                    ty is float and dt is _F64):
                return binder(x, y)
        elif ty is Tracer and tx is float and y.node.aval.dtype is _F64:
            return binder(x, y)
        elif tx is WeakTracer and x.node.aval.dtype is _F64 and (
                ty is float or (ty is WeakTracer and y.node.aval.dtype is _F64)):
            return binder(x, y)
        elif ty is WeakTracer and tx is float and y.node.aval.dtype is _F64:
            return binder(x, y)
        elif tx is np.ndarray and ty is np.ndarray and x.dtype is y.dtype \
                and x.dtype.kind == "f":  # (concrete arrays of one float dtype: a script)
            return binder(x, y)
        x, y = promote(x, y)
        return binder(x, y)

    f.__name__ = name
    f.__doc__ = f"NumPy's ``{name}`` on arrays and tracers.\n\n{doc_example}"
    return f


def _float_unary(binder, name):
    def f(x):
        tx = type(x)
        if (tx is Tracer and x.node.aval.dtype.kind in "fc") or (
                tx is WeakTracer and x.node.aval.dtype is _F64) or (
                tx is np.ndarray and x.dtype.kind in "fc"):  # nothing to promote
            return binder(x)
        (x,) = promote_float(x)
        return binder(x)

    f.__name__ = name
    x = 1.5 if name == "arccosh" else 0.5
    f.__doc__ = (
        f"NumPy's ``{name}`` on arrays and tracers (integers become floats as in NumPy: "
        "int64 -> float64, int8/bool -> float16).\n\n"
        f">>> bool({name}({x}) == np.{name}({x}))\nTrue"
    )
    return f


def real_only(fn):
    """``fn`` (a NumPy function with no complex loop: ``floor``, ``fmod``, ``arctan2`` …)
    refusing a complex traced operand with a ``WireTypeError`` naming it, as NumPy refuses
    one with ``TypeError`` (traced, the primitive would fail only when run, or not at all).

    >>> import wire
    >>> try:
    ...     wire.jit(floor)(np.array([1j]))
    ... except wire.WireTypeError as e:
    ...     print(str(e).split(" (")[0])
    floor of a complex array c128[1] is not defined
    """
    name = fn.__name__

    @functools.wraps(fn)
    def real_fn(*args, **kwargs):
        for a in args:
            if isinstance(a, Tracer) and a.dtype.kind == "c":
                raise WireTypeError(f"{name} of a complex array {a.aval!r} is not defined (NumPy "
                                    f"refuses it too){at(user_location())}")
        return fn(*args, **kwargs)

    return real_fn


# fmt: off
add = _binary(E.add, "add", ">>> add(1.0, 2.0)\nnp.float64(3.0)")
subtract = _binary(E.sub, "subtract", ">>> subtract(1.0, 2.0)\nnp.float64(-1.0)")
multiply = _binary(E.mul, "multiply", ">>> multiply(2.0, 3.0)\nnp.float64(6.0)")
maximum = _binary(E.maximum, "maximum", ">>> maximum(2.0, 3.0)\nnp.float64(3.0)")
minimum = _binary(E.minimum, "minimum", ">>> minimum(2.0, 3.0)\nnp.float64(2.0)")
mod = real_only(_binary(E.mod, "mod", ">>> mod(7.0, 3.0)\nnp.float64(1.0)"))
remainder = mod
floor_divide = real_only(_binary(E.floor_divide, "floor_divide",
                                    ">>> floor_divide(7, 2)\nnp.int64(3)"))
# (x op y) for y above every value of x's dtype; for y below every value, the mirrored
# comparison's (x < y is y > x)
_ABOVE = {"equal": False, "not_equal": True, "less": True, "less_equal": True,
          "greater": False, "greater_equal": False}
_MIRROR = {"equal": "equal", "not_equal": "not_equal", "less": "greater",
           "less_equal": "greater_equal", "greater": "less", "greater_equal": "less_equal"}


def _weak_int(v) -> bool:
    return type(v) is int or (isinstance(v, WeakTracer) and v.dtype.kind in "iu")


def _comparison(binder, name, doc_example):
    """A comparison that, as NumPy 2's, compares a Python integer with an integer array by
    value even where the integer does not fit the array's dtype (``uint8_array < -1`` is
    all False; a cast would raise or wrap): a constant outside the range decides the result
    alone, a Python-integer argument of unknown value (under ``jit``) is compared in int64."""
    plain = _binary(binder, name, doc_example)
    numpy_fn = getattr(np, name)

    def f(x, y):
        if not (_weak_int(x) or _weak_int(y)):
            return plain(x, y)
        if not (isinstance(x, Tracer) or isinstance(y, Tracer)):
            return numpy_fn(x, y)
        w, o, op = (y, x, name) if _weak_int(y) else (x, y, _MIRROR[name])  # (o op w)
        if type(w) is not int:
            big = _beyond_traced(w)  # (wrapped in its traced dtype: its value, known)
            if big is not None:
                return f(x, big) if w is y else f(big, y)
        odt = getattr(o, "dtype", None) if not _weak_int(o) else None
        if not isinstance(odt, np.dtype) or odt.kind not in "iu":
            return plain(x, y)
        info = np.iinfo(odt)
        if type(w) is int:
            span = (w, w)
        else:  # a Python int computed under jit: its range (or value) may decide it too
            span = weak_int_range(w, (int(info.min), int(info.max)))
        if span is not None and (span[0] > info.max or span[1] < info.min):
            o = strong(o) if isinstance(o, Tracer) else np.asarray(o)
            same = E.eq(o, o)  # (all True, of o's shape: integers are never NaN)
            value = _ABOVE[op] if span[0] > info.max else _ABOVE[_MIRROR[op]]
            return same if value else E.logical_not(same)
        if type(w) is int:
            return plain(x, y)
        check_unwrapped(w, name)  # (compared as traced: its traced value must be its own)
        if odt != np.uint64:  # every value of o's dtype is an int64
            o64 = cast(strong(o) if isinstance(o, Tracer) else np.asarray(o), np.int64)
            return _ORDERED[op](o64, strong(w))
        below = E.lt(strong(w), 0)
        unsigned = _ORDERED[op](o, cast(strong(w), np.uint64))
        return where(below, _ABOVE[_MIRROR[op]], unsigned)

    f.__name__ = name
    f.__doc__ = f"NumPy's ``{name}`` on arrays and tracers.\n\n{doc_example}"
    return f


equal = _comparison(E.eq, "equal", ">>> equal(1, 1)\nnp.True_")
not_equal = _comparison(E.ne, "not_equal", ">>> not_equal(1, 1)\nnp.False_")
less = _comparison(E.lt, "less", ">>> less(1, 2)\nnp.True_")
less_equal = _comparison(E.le, "less_equal", ">>> less_equal(1, 2)\nnp.True_")
greater = _comparison(E.gt, "greater", ">>> greater(1, 2)\nnp.False_")
greater_equal = _comparison(E.ge, "greater_equal", ">>> greater_equal(1, 2)\nnp.False_")
_ORDERED = {"equal": E.eq, "not_equal": E.ne, "less": E.lt, "less_equal": E.le,
            "greater": E.gt, "greater_equal": E.ge}
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
    x, y = promote_true_divide(x, y)
    return E.div(x, y)


true_divide = divide


@real_only
def arctan2(y, x):
    """Elementwise ``arctan(y / x)`` choosing the quadrant, NumPy's ``arctan2``.

    >>> arctan2(1.0, 1.0) == np.arctan2(1.0, 1.0)
    np.True_
    """
    y, x = promote_float(y, x)
    return E.arctan2(y, x)


def power(x, y):
    """``x ** y``. A Python integer exponent becomes ``integer_pow`` (exact, small derivatives).

    The result has NumPy's dtype (a NumPy integer exponent is not weak: ``uint8 **
    np.int8(3)`` is int16), and an integer base to a negative integer power raises, as
    NumPy does.

    >>> power(2.0, 3)
    np.float64(8.0)
    """
    if type(y) is int and type(x) is Tracer and x.node.aval.dtype.kind in "fc":
        # the common ``x ** 2`` of a traced float array: a Python int keeps its dtype (NEP
        # 50), so there is nothing to promote or cast (the general way below, in short)
        return E.integer_pow(x, y)
    if isinstance(y, (int, np.integer)) and not isinstance(y, bool) or (
        isinstance(y, float) and y.is_integer() and abs(y) <= 64
    ):
        if isinstance(x, Tracer):
            k = int(y)
            dt = result_dtype(x, y)
            if k < 0 and dt.kind not in "fc":
                if type(y) is int and dt.kind == "u":  # (NumPy: -1 does not fit uint8 first)
                    cast(y, dt)
                raise WireValueError(
                    f"power: integers to negative integer powers are not allowed ({x.aval!r} "
                    f"** {y!r}), as in NumPy; make the base a float{at(user_location())}")
            return E.integer_pow(cast(x, dt), k)
    x, y = promote(x, y)
    return E.pow_(x, y)


def _strong(x, dtype):
    """``x`` as ``dtype``, strongly typed (``float_power`` computes in float64 whatever the
    operands)."""
    return strong(cast(x, dtype)) if isinstance(x, Tracer) else np.asarray(x, dtype)


def float_power(x, y):
    """``x ** y`` computed in float64 (complex128 for complex operands), NumPy's
    ``float_power``.

    >>> float_power(np.float16(2.0), 3)
    np.float64(8.0)
    """
    dt = np.promote_types(result_dtype(x, y), np.float64)
    if not (holds_tracer(x) or holds_tracer(y)):
        return np.float_power(x, y)
    return E.float_power(*promote(_strong(x, dt), _strong(y, dt)))


def square(x):
    """``x * x``.

    >>> square(3.0)
    np.float64(9.0)
    """
    if isinstance(x, Tracer):
        if x.dtype == np.bool_:
            x = cast(x, np.int8)  # NumPy squares booleans as int8
        if x.dtype.kind == "c":  # NumPy's complex square is x * x, its power(x, 2) another
            return E.mul(x, x)
        return E.integer_pow(x, 2)
    return np.square(x)


def reciprocal(x):
    """``1 / x`` (integers become float64, unlike NumPy's integer reciprocal). A complex ``x``
    takes NumPy's own formula (Smith's, dividing by the larger part), whose zeros, infinities
    and NaNs differ from ``1 / x`` (``reciprocal(2+0j)`` is ``0.5-0j``, of ``0j`` NaN).

    >>> reciprocal(4.0)
    np.float64(0.25)
    """
    if isinstance(x, Tracer) and x.dtype.kind == "c":
        return _complex_reciprocal(x)
    if not holds_tracer(x) and np.result_type(x).kind == "c":  # (1 / x's zeros differ)
        return np.reciprocal(x)
    return divide(1.0, x)


def _complex_reciprocal(z):
    """NumPy's complex reciprocal: where ``|im| <= |re|``, ``r = im/re``, ``d = re + im r``,
    ``(1/d, -r/d)``; else (NaN too) ``r = re/im``, ``d = re r + im``, ``(r/d, -1/d)``. Each
    branch sees harmless operands where the other is taken, so neither makes a NaN
    derivative there."""
    re, im = C.real(z), C.imag(z)
    first = E.le(abs(im), abs(re))
    one, zero = cast(1, re.dtype), cast(0, re.dtype)
    re1, im1 = where(first, re, one), where(first, im, zero)
    r1 = im1 / re1
    d1 = re1 + im1 * r1
    re2, im2 = where(first, zero, re), where(first, one, im)
    r2 = re2 / im2
    d2 = re2 * r2 + im2
    out_re = where(first, one / d1, r2 / d2)
    out_im = where(first, -r1 / d1, -one / d2)
    return C.complex_(out_re, out_im)


@real_only
def cbrt(x):
    """Real cube root, NumPy's ``cbrt``; its derivative at 0 is ``+inf`` (the limit from both
    sides), not the ``sign'(0) * |x|**(1/3) = 0 * inf = nan`` of ``sign(x) * |x|**(1/3)``.

    >>> float(cbrt(-8.0))
    -2.0
    """
    (x,) = promote_float(x)
    if not isinstance(x, Tracer):
        return np.cbrt(x)
    return E.cbrt(x)


def negative(x):
    """``-x``.

    >>> negative(2.0)
    np.float64(-2.0)
    """
    if isinstance(x, Tracer) and x.dtype == np.bool_:
        raise WireTypeError(f"negative (-x) of a boolean array {x.aval!r} is not defined (NumPy "
                            f"refuses it too): use ~x or wnp.logical_not{at(user_location())}")
    return E.neg(x)


def positive(x):
    """``+x`` (the same value; booleans are refused, as NumPy does)."""
    if not isinstance(x, Tracer):
        return np.positive(x)
    if x.dtype == np.bool_:
        raise WireTypeError(f"positive of a boolean array {x.aval!r} is not defined (NumPy "
                            f"refuses it too){at(user_location())}")
    return x


def abs(x):
    """Absolute value, NumPy's ``abs``/``absolute``; derivative ``sign(x)`` (0 at 0).

    >>> abs(-2.0)
    np.float64(2.0)
    """
    if isinstance(x, Tracer) and x.dtype.kind == "c":
        # |z| = hypot(re, im): a real result, with JAX's derivative
        return hypot(C.real(x), C.imag(x))
    return E.abs_(x)


absolute = abs


@real_only
def hypot(x1, x2):
    """``sqrt(x1**2 + x2**2)`` without overflow, NumPy's ``hypot`` (a primitive); gradient 0
    at the origin. An infinite
    argument gives ``inf`` even when the other is NaN, as in NumPy (and C's ``hypot``); the
    gradient there is the limit ``sign(x1)`` in an infinite ``x1`` and 0 in a finite ``x2``
    (split evenly when both are infinite, as ``maximum`` at a tie).

    >>> float(hypot(3.0, 4.0)), float(hypot(np.inf, np.nan))
    (5.0, inf)
    """
    if not holds_tracer(x1) and not holds_tracer(x2):
        return np.hypot(x1, x2)
    x1, x2 = promote_real_float("hypot", x1, x2)
    return E.hypot(x1, x2)


def sign(x):
    """Sign of x (-1, 0, 1); derivative zero."""
    if isinstance(x, Tracer) and x.dtype == np.bool_:
        raise WireTypeError(f"sign of a boolean array {x.aval!r} is not defined (NumPy refuses "
                            f"it too){at(user_location())}")
    return E.sign(x)


def _integral(x) -> bool:
    """``x`` holds integers or booleans, which floor/ceil/trunc leave as they are (NumPy 2)."""
    return np.dtype(x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype).kind in "biu"


@real_only
def floor(x):
    """Round down (integers and booleans stay as they are); derivative zero."""
    if _integral(x):
        return x if isinstance(x, Tracer) else np.floor(x)
    return E.floor(x)


@real_only
def ceil(x):
    """Round up (integers and booleans stay as they are); derivative zero."""
    if _integral(x):
        return x if isinstance(x, Tracer) else np.ceil(x)
    return E.ceil(x)


def rint(x):
    """Round half to even to an integral float, NumPy's ``rint`` (integers become floats)."""
    (x,) = promote_float(x)
    return E.round_(x)


def _power_of_ten(n: int) -> float:
    """``10**n`` as NumPy's ``round`` takes it (``power_of_ten`` in its ``calculation.c``):
    exact up to ``1e8``, beyond that ``1e9`` times ten, ``n - 9`` times, each product rounded
    (``1e23`` is not the double nearest 10²³ there, so neither is ``round(x, -23)``)."""
    if n < 9:
        return 10.0**n
    out = 1e9
    for _ in range(n - 9):
        out *= 10.0
        if out == math.inf:
            break
    return out


def round(x, decimals=0):
    """Round half to even to ``decimals`` places, NumPy's ``round``; derivative zero.

    As in NumPy, integers keep their dtype (rounded to tens for negative ``decimals``),
    booleans round to float16 (and refuse ``decimals``), and floats scale by ``10**decimals``
    before rounding (dividing by ``10**-decimals`` when it is negative).

    >>> round(np.array([2.5, -0.4, 0.25]), 1)
    array([ 2.5, -0.4,  0.2])
    """
    if not isinstance(x, Tracer):
        return np.round(x, decimals)
    if x.dtype == np.bool_:
        if decimals:
            raise WireTypeError(f"round of a boolean array {x.aval!r} to {decimals} decimals "
                                f"(NumPy refuses it too){at(user_location())}")
        return rint(x)
    if x.dtype.kind in "iu":
        if decimals >= 0:
            return x
        return cast(round(cast(x, np.float64), decimals), x.dtype)
    if x.dtype.kind == "c":  # NumPy rounds each part on its own (a complex scale would mix them)
        return C.complex_(round(C.real(x), decimals), round(C.imag(x), decimals))
    # (a power of ten beyond float64 is inf, as NumPy's: every value rounds to NaN then)
    scale = _power_of_ten(builtins.abs(int(decimals)))
    if decimals >= 0:
        return E.round_(x * scale) / scale if decimals else E.round_(x)
    return E.round_(x / scale) * scale


around = round


@real_only
def trunc(x):
    """Round toward zero (integers and booleans stay as they are); derivative zero."""
    if _integral(x):
        return x if isinstance(x, Tracer) else np.trunc(x)
    if not holds_tracer(x):  # NumPy's (a scalar of a scalar, where where() gives a 0-d array)
        return np.trunc(x)
    return where(greater_equal(x, 0), floor(x), ceil(x))


def fmax(x, y):
    """Elementwise maximum ignoring NaNs."""
    x, y = promote(x, y)
    if not holds_tracer(x) and not holds_tracer(y):  # NumPy's loop (a scalar of scalars)
        return np.fmax(x, y)
    # NumPy's loop: x where y is NaN (a complex x with NaN too: fmax(nan+1j, nan+2j) is x)
    return where(isnan(y), x, where(isnan(x), y, maximum(x, y)))


def fmin(x, y):
    """Elementwise minimum ignoring NaNs."""
    x, y = promote(x, y)
    if not holds_tracer(x) and not holds_tracer(y):  # NumPy's loop (a scalar of scalars)
        return np.fmin(x, y)
    # NumPy's loop: x where y is NaN (a complex x with NaN too: fmax(nan+1j, nan+2j) is x)
    return where(isnan(y), x, where(isnan(x), y, minimum(x, y)))


def _scaled(x, num, den, name):
    """``x * (num / den)`` as NumPy's loops compute it: the factor rounded in the working
    dtype (float32 for float16, which is rounded back)."""
    (x,) = promote_real_float(name, x)
    if not holds_tracer(x):
        return getattr(np, name)(x)
    work = np.float32 if x.dtype == np.float16 else x.dtype.type
    factor = work(num) / work(den)
    if work is x.dtype.type:
        return multiply(x, factor)
    return cast(multiply(cast(x, work), factor), x.dtype)


@real_only
def deg2rad(x):
    """Degrees to radians.

    >>> float(deg2rad(180.0)) == np.pi
    True
    """
    return _scaled(x, np.pi, 180.0, "deg2rad")


@real_only
def rad2deg(x):
    """Radians to degrees.

    >>> float(rad2deg(np.pi))
    180.0
    """
    return _scaled(x, 180.0, np.pi, "rad2deg")


radians, degrees = deg2rad, rad2deg


def _as_bool(c):
    if isinstance(c, Tracer):
        return c if c.dtype == np.bool_ else E.ne(c, cast(0, c.dtype))
    return np.asarray(c).astype(bool)


def where(condition, x=None, y=None):
    """Choose ``x`` where ``condition`` holds, else ``y`` (broadcasting all three).

    The one-argument form (indices of non-zeros) needs concrete values (the public
    ``wire.numpy.where`` also takes JAX's ``size=`` for it).

    >>> where(np.array([True, False]), 1.0, 2.0)
    array([1., 2.])
    """
    if x is None and y is None:
        if isinstance(condition, Tracer):
            if condition.ndim == 0:
                raise WireValueError(f"where(condition) with one argument of a 0-d condition "
                                     f"(NumPy refuses it too: use wnp.atleast_1d)"
                                     f"{at(user_location())}")
            if not known(condition):  # an eager trace knows it (positions: no derivative)
                raise TracerBoolError(
                    "where(condition) with one argument returns data-dependent shapes; pass "
                    "size=k (and fill_value=...) for k indices, as in jax.numpy, or use "
                    f"where(condition, x, y) on traced values{at(user_location())}"
                )
            condition = condition._value("where(condition)")
        if np.ndim(condition) == 0:
            raise WireValueError(f"where(condition) with one argument of a 0-d condition (NumPy "
                                 f"refuses it too: use wnp.atleast_1d){at(user_location())}")
        return np.where(condition)
    if x is None or y is None:
        raise WireValueError(f"where: either both or neither of x and y should be given"
                             f"{at(user_location())}")
    x, y = promote(x, y)
    return E.select(_as_bool(condition), x, y)


_NO_BOUND = object()


@lifting
def clip(a, a_min=None, a_max=None, *, min=_NO_BOUND, max=_NO_BOUND):
    """Limit values to ``[a_min, a_max]`` (either may be None). The bounds may also be given
    as ``min=``/``max=`` (NumPy 2's and JAX's keywords).

    >>> clip(np.array([-2.0, 0.5, 3.0]), -1.0, 1.0)
    array([-1. ,  0.5,  1. ])
    >>> clip(np.array([-2.0, 0.5, 3.0]), max=1.0)
    array([-2. ,  0.5,  1. ])
    """
    for name, given in (("min", min), ("max", max)):
        if given is not _NO_BOUND:
            if (a_min if name == "min" else a_max) is not None:
                raise WireTypeError(f"clip: both a_{name} and {name}= are given (NumPy refuses "
                                    f"it too){at(user_location())}")
            if name == "min":
                a_min = given
            else:
                a_max = given
    a_min, a_max = _int_bound(a, a_min, "a_min"), _int_bound(a, a_max, "a_max")
    both = a_min is not None and a_max is not None  # (one bound: NumPy's maximum/minimum)
    if both:  # (NumPy's clip computes in the dtype of all three: clip(bool, 0.5, f16) f16)
        shapes = [x.shape if isinstance(x, Tracer) else np.shape(x) for x in (a, a_min, a_max)]
        a, a_min, a_max = promote(a, a_min, a_max)
        a_dt = a.dtype if hasattr(a, "dtype") else np.result_type(a)  # (a Python scalar)
        if a_dt.kind == "c":
            return _clip_complex(a, a_min, a_max)
        # NumPy's float32/float64 clip with bounds that vary over the result (its general
        # loop, max(a, lo) then min(., hi), each taking the bound at a tie) gives the bound's
        # zero at a tie of zeros; with constant bounds (and float16) it keeps a's
        bounds_zero = a_dt.kind == "f" and a_dt != np.float16 and None not in shapes \
            and not _constant_bounds(*shapes)
    for bound, pick in ((a_min, maximum), (a_max, minimum)):
        if bound is not None:
            out = pick(a, bound)
            if both and out.dtype.kind == "f":  # (the values and derivatives: pick's)
                if bounds_zero:
                    out = where((a == 0) & (bound == 0), _zero_of(bound, out), out)
                else:
                    out = where((a == 0) & (out == 0), _zero_of(a, out), out)
            a = out
    return a


def _constant_bounds(shape, lo_shape, hi_shape) -> bool:
    """Whether NumPy's float32/float64 clip takes both bounds as constants (its loop's common
    case, which keeps ``a``'s zero at a tie with a zero bound): each of one element, repeated
    over the result (a scalar, or of a shape other than the result's, or a 0-d result)."""
    out = np.broadcast_shapes(shape, lo_shape, hi_shape)
    return all(int(np.prod(s)) == 1 and (tuple(s) != tuple(out) or not out)
               for s in (lo_shape, hi_shape))


def _clip_complex(a, lo, hi):
    """NumPy's clip of complex ``a`` (its complex loop, ``min(max(a, lo), hi)`` in the
    lexicographic order of (real, imag)): a bound wherever ``a`` ties with it (so its zeros'
    signs), ``a`` where it holds a NaN, and a NaN bound where ``a`` is not above it.

    >>> clip(np.array([-0.0 + 0j]), 0j, 1 + 0j)
    array([0.+0.j])
    """
    def above(p, q):  # p > q, lexicographically
        pr, qr = C.real(p), C.real(q)
        return (pr > qr) | ((pr == qr) & (C.imag(p) > C.imag(q)))

    def nan(p):
        return isnan(C.real(p)) | isnan(C.imag(p))

    t = where(above(a, lo) | nan(a), a, lo)
    return where(above(hi, t) | nan(t), t, hi)


def _zero_of(a, out):
    """``a``'s zero (where ``a`` and ``out`` are zeros; ``a`` an operand or a bound) with the
    derivative of ``out``: the value is ``a - (+0.0)``, which keeps ``a``'s sign, and the
    derivative is ``out``'s, so a tie with a bound still splits it evenly (selecting ``a``
    itself gave all of it to ``a``)."""
    if not isinstance(out, Tracer):
        return cast(a, out.dtype)
    return stop_gradient(cast(a, out.dtype)) - (stop_gradient(out) - out)


def _int_bound(a, bound, which: str):
    """A Python-int bound of :func:`clip` on an integer array: None where it is at or beyond
    every value on its own side (it clips nothing: NumPy 2 clips ``int8`` to ``[0, 300]`` so,
    where ``minimum(int8, 300)`` would raise); else the bound, which raises where the result's
    dtype cannot hold it (``a_min=300`` on ``int8``), as NumPy does, and not where the other
    bound makes it wider (``clip(uint8, float16(0), -1)`` is float16)."""
    dt = getattr(a, "dtype", None)
    if type(bound) is not int or not isinstance(dt, np.dtype) or dt.kind not in "iu":
        return bound
    info = np.iinfo(dt)
    if (bound <= info.min) if which == "a_min" else (bound >= info.max):
        return None
    return bound  # (where the result's dtype cannot hold it, its promotion raises, as NumPy's)


def _c_long(name, *xs):
    """NumPy's binary logical functions take a Python int as a C long: one beyond int64
    raises ``OverflowError`` there (``np.logical_and(x, 2**70)``), and so here, a Python-int
    argument of ``jit`` too; never a silent answer."""
    for x in xs:
        if type(x) is int:
            span = (x, x, x)
        elif isinstance(x, Tracer) and x.weak and x.dtype.kind in "iu":
            span = weak_int_range(x, (-2**63, 2**63 - 1))
            if span is None:
                continue
        else:
            continue
        if span[0] < -2**63 or span[1] >= 2**63:
            what = f"Python integer {span[2]}" if span[2] is not None else \
                f"a Python integer in [{span[0]}, {span[1]}]"
            raise WireOverflowError(f"{name}: {what} is too large for a C long, as NumPy "
                                    f"raises{at(user_location())}")


def logical_and(x, y):
    """Elementwise logical and."""
    _c_long("logical_and", x, y)
    return E.logical_and(_as_bool(x), _as_bool(y))


def logical_or(x, y):
    """Elementwise logical or."""
    _c_long("logical_or", x, y)
    return E.logical_or(_as_bool(x), _as_bool(y))


def logical_xor(x, y):
    """Elementwise logical xor."""
    _c_long("logical_xor", x, y)
    return E.logical_xor(_as_bool(x), _as_bool(y))


def logical_not(x):
    """Elementwise logical not."""
    return E.logical_not(_as_bool(x))


def _no_float_bits(name, *xs):
    dt = result_dtype(*xs)
    if dt.kind not in "biu":
        raise WireTypeError(f"{name} needs integers or booleans, got {dt} (NumPy refuses it "
                            f"too){at(user_location())}")


def _bitwise(binder, logical, np_fn, name):
    def f(x, y):
        if isinstance(x, Tracer) or isinstance(y, Tracer):
            _no_float_bits(name, x, y)
            if result_dtype(x, y) == np.bool_:  # the logical primitive: same values, and the
                return logical(x, y)            # rewrite rules and formulas of logic apply
            return binder(*promote(x, y))
        return np_fn(x, y)

    f.__name__ = name
    f.__doc__ = f"NumPy's ``{name}`` of integers and booleans (no derivative)."
    return f


bitwise_and = _bitwise(E.bitwise_and, logical_and, np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(E.bitwise_or, logical_or, np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(E.bitwise_xor, logical_xor, np.bitwise_xor, "bitwise_xor")


def _shift(binder, np_fn, name, example):
    def f(x1, x2):
        if not (holds_tracer(x1) or holds_tracer(x2)):
            return np_fn(x1, x2)
        dt = result_dtype(x1, x2)
        if dt == np.bool_:  # NumPy's shifts have integer loops only: booleans shift as int8
            dt = np.dtype(np.int8)
        if dt.kind not in "iu":
            raise WireTypeError(
                f"{name} needs integers or booleans, got {result_dtype(x1)} and "
                f"{result_dtype(x2)} (their common type {dt} has no {name}: NumPy refuses it "
                f"too){at(user_location())}")
        return binder(cast(x1, dt), cast(x2, dt))

    f.__name__ = name
    f.__doc__ = (
        f"NumPy's ``{name}`` of integers (booleans shift as int8; no derivative). As in "
        f"NumPy and XLA, a shift by the bit width or more, or by a negative amount, moves "
        f"every bit out: 0, or -1 for a negative ``x1`` shifted right.\n\n{example}")
    return f


left_shift = _shift(
    E.left_shift, np.left_shift, "left_shift",
    ">>> import wire\n"
    ">>> wire.jit(left_shift)(np.array([1, 1, 1], np.int8), np.array([2, 7, 8], np.int8))\n"
    "array([   4, -128,    0], dtype=int8)")
right_shift = _shift(
    E.right_shift, np.right_shift, "right_shift",
    ">>> import wire\n"
    ">>> wire.jit(right_shift)(np.array([-8, -8, 8]), np.array([1, 64, 64]))\n"
    "array([-4, -1,  0])")


def invert(x):
    """Bitwise not of integers, logical not of booleans (no derivative).

    >>> invert(np.array([0, 5]))
    array([-1, -6])
    """
    if isinstance(x, Tracer):
        _no_float_bits("invert", x)
        return logical_not(x) if x.dtype == np.bool_ else E.invert(x)
    return np.invert(x)


def _ones_of_unsigned(u):
    """The number of set bits of each element of unsigned ``u`` (in its dtype), summed in
    parallel: pairs, nibbles, bytes, then the bytes by one multiplication (traces).

    >>> _ones_of_unsigned(np.array([0, 7, 255, 2**63], np.uint64))
    array([0, 3, 8, 1], dtype=uint64)
    """
    dt = u.dtype
    width = dt.itemsize

    def k(byte):  # `byte` repeated over every byte of the word
        return np.array(int.from_bytes(bytes([byte]) * width, "little"), dt)

    def shr(a, n):
        return right_shift(a, np.array(n, dt))

    u = u - bitwise_and(shr(u, 1), k(0x55))
    u = bitwise_and(u, k(0x33)) + bitwise_and(shr(u, 2), k(0x33))
    u = bitwise_and(u + shr(u, 4), k(0x0F))
    return shr(multiply(u, k(0x01)), width * 8 - 8)


def bitwise_count(x):
    """NumPy's ``bitwise_count``: the number of set bits of ``|x|`` (not of the two's
    complement: ``-1`` has one), as ``uint8``, for every integer dtype; booleans count as
    int8 (no derivative).

    >>> import wire
    >>> wire.jit(bitwise_count)(np.array([0, 7, -1, -128, 127], np.int8))
    array([0, 3, 1, 1, 7], dtype=uint8)
    """
    if not holds_tracer(x):
        return np.bitwise_count(x)
    x = lift(x)  # (a list holding tracers)
    dt = x.dtype
    if dt == np.bool_:  # NumPy's loops are integer ones: a boolean counts as int8
        dt = np.dtype(np.int8)
    if dt.kind not in "iu":
        raise WireTypeError(f"bitwise_count needs integers or booleans, got {dt} (NumPy "
                            f"refuses it too){at(user_location())}")
    unsigned = np.dtype(f"u{dt.itemsize}")
    u = x.astype(dt).astype(unsigned)  # two's complement bits
    if dt.kind == "i":  # |x| in the unsigned dtype: 0 - u for a negative x (2**(n-1) for
        u = where(x < 0, np.array(0, unsigned) - u, u)  # the most negative, as NumPy's)
    return _ones_of_unsigned(u).astype(np.uint8)


def stop_gradient(x):
    """The value of ``x``, with zero derivative (``wire.stop_gradient``). ``x`` may be a
    pytree: every leaf is stopped (as JAX's ``stop_gradient`` maps over pytrees).

    >>> import wire
    >>> wire.grad(lambda x: x * stop_gradient(x))(3.0)
    array(3.)
    >>> wire.grad(lambda x: (lambda p, q: p * q + x)(*stop_gradient((x, 2.0 * x))))(3.0)
    array(1.)
    """
    return tree.map(_stop_leaf, x)


def _stop_leaf(x):
    if isinstance(x, Tracer):
        return E.stop_gradient(x)
    # a NumPy array is copied, as a traced one becomes a new node: writing to the result
    # must not change the argument (JAX's arrays are immutable); scalars are immutable
    return x.copy() if isinstance(x, np.ndarray) else x


# NumPy 2's Array-API spellings of the same functions
acos, acosh, asin, asinh, atan, atanh = arccos, arccosh, arcsin, arcsinh, arctan, arctanh
atan2, pow = arctan2, power
bitwise_invert = bitwise_not = invert
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift
