"""More elementwise functions of ``wire.numpy``, composed from primitives: stable
``logaddexp``/``logaddexp2``, ``sinc``, ``fmod``, ``copysign``, ``heaviside``,
``nan_to_num``, ``isclose``; and complex numbers: ``real``, ``imag``, ``conj``, ``angle``.

Complex derivatives follow JAX's convention (see ``wire.ops.complex_parts``).
"""

from __future__ import annotations

import builtins
import cmath
import math

import numpy as np

from ..core import weak_int_range
from ..errors import WireOverflowError, WireTypeError, at, user_location
from ..ops import complex_parts as C
from ..ops import elementwise as E
from ..ops import float_bits as FB
from ._creation import zeros_like
from ._math import (
    real_only,
    abs,
    arctan2,
    exp2,
    floor,
    floor_divide,
    isfinite,
    isinf,
    isnan,
    log2,
    maximum,
    minimum,
    mod,
    round as _round,
    sin,
    stop_gradient,
    trunc,
    where,
)
from ._promote import (
    cast,
    dtype_of,
    holds_tracer,
    lift,
    lifting,
    promote,
    promote_float,
    promote_real_float,
    promote_true_divide,
    result_dtype,
)

__all__ = [
    "divmod",
    "fabs",
    "frexp",
    "isneginf",
    "isposinf",
    "ldexp",
    "modf",
    "angle",
    "conj",
    "conjugate",
    "copysign",
    "fix",
    "fmod",
    "heaviside",
    "imag",
    "isclose",
    "iscomplex",
    "iscomplexobj",
    "isreal",
    "isrealobj",
    "logaddexp",
    "logaddexp2",
    "nan_to_num",
    "nextafter",
    "real",
    "signbit",
    "sinc",
    "spacing",
]

def _is_tracer(*xs) -> bool:
    return any(holds_tracer(x) for x in xs)


@real_only
def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))`` without overflow, NumPy's ``logaddexp`` (a primitive).

    Its derivatives of every order are those of the smooth function, also at ties
    (``d/dx1 = 1/2`` and ``d²/dx1² = 1/4`` where ``x1 == x2``); at two equal infinities each
    argument gets derivative 1/2.

    >>> float(logaddexp(1000.0, 1000.0)) == 1000.0 + float(np.log(2.0))
    True
    >>> import wire
    >>> float(wire.grad(wire.grad(lambda x: logaddexp(x, 0.4)))(0.4))
    0.25
    """
    if not _is_tracer(x1, x2):
        return np.logaddexp(x1, x2)
    x1, x2 = promote_real_float("logaddexp", x1, x2)
    return E.logaddexp(x1, x2)


@real_only
def logaddexp2(x1, x2):
    """``log2(2**x1 + 2**x2)`` without overflow, NumPy's ``logaddexp2`` (a primitive), smooth
    to every order like :func:`logaddexp`.

    >>> float(logaddexp2(3.0, 3.0))
    4.0
    """
    if not _is_tracer(x1, x2):
        return np.logaddexp2(x1, x2)
    x1, x2 = promote_real_float("logaddexp2", x1, x2)
    return E.logaddexp2(x1, x2)


# sin(z)/z = sum_k (-1)^k z^(2k) / (2k+1)!, enough terms for |z| <= pi/4 to full precision
_SINC_TAYLOR = [(-1.0) ** k / math.factorial(2 * k + 1) for k in range(10)]
_SINC_SERIES_BELOW = 0.25


def sinc(x):
    """``sin(pi x) / (pi x)`` with ``sinc(0) = 1``, smooth (all orders) at 0.

    Below ``|x| = 1/4`` it is the Taylor series in ``(pi x)**2``: the quotient's derivatives
    lose digits to cancellation near 0 (the third derivative at ``x = 1e-4`` would be off by
    a factor 2), the series' do not.

    >>> float(sinc(0.0)), round(float(sinc(0.5)), 6)
    (1.0, 0.63662)
    """
    if not _is_tracer(x):
        return np.sinc(x)
    (x,) = promote_true_divide(x)  # np.sinc is pi * x / (pi * x): integers become float64
    if x.dtype.kind == "c":  # NumPy's formula itself (sinpi below is real only)
        y = np.pi * where(x == 0, 1.0e-20, x)
        return sin(y) / y
    small = abs(x) < _SINC_SERIES_BELOW
    far = where(small, 1.0, x)
    safe = far * np.pi
    z2 = (where(small, x, 0.0) * np.pi) ** 2
    series = _SINC_TAYLOR[-1]
    for c in reversed(_SINC_TAYLOR[:-1]):
        series = series * z2 + c
    # NumPy's value sin(pi x) / (pi x), with the derivatives of sinpi(x) / (pi x): sin of the
    # rounded product pi x is off by up to ulp(pi x), which sinc''(n) = -2 (-1)^n / n**2
    # feels relatively (3.5e-4 off at x = 1e6)
    value = sin(safe) / safe
    exact = _sinpi(far) / safe
    return where(small, series, stop_gradient(value) + (exact - stop_gradient(exact)))


def _sinpi(x):
    """``sin(pi x)`` of a traced ``x``, exactly 0 at the integers (its derivative there
    ``±pi``): the sine of the distance to the nearest integer ``r``, times ``(-1)**r`` (no
    rounding of ``pi x`` first). Internal: derivatives of ``sinc``, ``gamma``'s reflection."""
    r = stop_gradient(_round(x)) + 0.0  # +0.0 for -0.0: sin(pi * -0.0) is -0.0
    odd = mod(r, 2.0) != 0
    # the reduced argument behind a select (inf - inf is NaN anyway): derivative graphs'
    # term collection distributed pi * (x - r) into pi x - pi r, which cancels (the third
    # derivative of sinpi at 1e6 + 0.5 was -1.9e-9, the truth -pi**3 cos(pi/2) ~ 1e-15)
    s = sin(np.pi * where(isfinite(x), x - r, np.nan))
    return where(odd, -s, s)


@real_only
def fmod(x1, x2):
    """C-style remainder (sign of ``x1``, ``-0.0`` kept), NumPy's ``fmod`` (a primitive);
    derivative ``(1, -trunc(x1/x2))``.

    >>> float(fmod(-7.0, 3.0)), float(fmod(-4.0, 2.0))
    (-1.0, -0.0)
    """
    if not _is_tracer(x1, x2):
        return np.fmod(x1, x2)
    return E.fmod(*promote(x1, x2))


@real_only
def signbit(x):
    """Whether the sign bit is set: also for ``-0.0`` and ``-nan`` (a primitive).

    >>> signbit(np.array([-0.0, 0.0, -1.0]))
    array([ True, False,  True])
    """
    if not _is_tracer(x):
        return np.signbit(x)
    return E.signbit(x)


@real_only
def copysign(x1, x2):
    """``|x1|`` with the sign bit of ``x2`` (so ``copysign(1, -0.0)`` is ``-1``).

    >>> float(copysign(2.0, -1.0)), float(copysign(2.0, -0.0))
    (-2.0, -2.0)
    """
    if not _is_tracer(x1, x2):
        return np.copysign(x1, x2)
    x1, x2 = promote_float(x1, x2)
    return where(E.signbit(x2), -abs(x1), abs(x1))


@real_only
def heaviside(x1, x2):
    """Step function: 0 below zero, 1 above, ``x2`` at zero, NaN at NaN (zero derivative in
    ``x1``)."""
    if not _is_tracer(x1, x2):
        return np.heaviside(x1, x2)
    x1, x2 = promote_real_float("heaviside", x1, x2)
    return where(isnan(x1), np.nan, where(x1 < 0, 0.0, where(x1 > 0, 1.0, x2)))


@real_only
def nextafter(x1, x2):
    """The next floating-point number after ``x1`` toward ``x2`` (NumPy's values and dtypes:
    integers become float64, float16 stays float16). A step function on the floating-point
    grid: its derivative is zero, as ``floor``'s (JAX refuses to differentiate it).

    >>> bool(float(nextafter(1.0, 2.0)) - 1.0 == np.finfo(np.float64).eps)
    True
    """
    if not _is_tracer(x1, x2):
        return np.nextafter(x1, x2)
    x1, x2 = promote_real_float("nextafter", x1, x2)
    return FB.nextafter(x1, x2)


@real_only
def spacing(x):
    """Distance from ``x`` to the adjacent floating-point number away from zero (NumPy's
    ``spacing``: negative for negative ``x``, NaN at ±inf); zero derivative.

    >>> bool(float(spacing(1.0)) == np.finfo(np.float64).eps)
    True
    """
    if not _is_tracer(x):
        return np.spacing(x)
    (x,) = promote_real_float("spacing", x)
    return FB.spacing(x)


@real_only
def fix(x):
    """Round toward zero (NumPy's ``fix``); zero derivative."""
    return trunc(x)


@lifting
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replace NaN and infinities by finite numbers (derivative passes where finite).

    >>> nan_to_num(np.array([np.nan, np.inf, 1.0]))[[0, 2]]
    array([0., 1.])
    """
    if not _is_tracer(x):
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    if x.dtype.kind not in "fc":
        return x
    if x.dtype.kind == "c":
        return C.complex_(
            nan_to_num(real(x), nan=nan, posinf=posinf, neginf=neginf),
            nan_to_num(imag(x), nan=nan, posinf=posinf, neginf=neginf),
        )
    info = np.finfo(x.dtype)
    # the replacements take x's dtype (as NumPy writes them into x), never widen it
    with np.errstate(over="ignore"):
        hi, lo, nan = (np.asarray(v, x.dtype) for v in (
            info.max if posinf is None else posinf, info.min if neginf is None else neginf, nan))
    out = where(isnan(x), nan, x)
    return where(isinf(x), where(x > 0, hi, lo), out)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|a - b| <= atol + rtol |b|`` for finite ``b``, or ``a == b`` (so
    ``isclose(inf, -inf)`` is False), as NumPy computes it (boolean, not differentiable)."""
    if not _is_tracer(a, b):
        return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if type(b) is int or type(b) is bool:  # NumPy: float(b), a Python float (weak: NEP 50,
        b = float(b)                           # isclose(f16, 2**40) is float16's inf there)
    elif type(b) is not float and type(b) is not complex:
        b = cast(b, result_dtype(b, 1.0))  # NumPy makes b a float (ints: float64)
    # (a Python b: its tolerance is a Python float too, weakly typed as NumPy's)
    finite_b = isfinite(b)
    # an infinite b only counts through a == b: leave it out of the difference, where
    # inf - inf would raise NumPy's "invalid value" warning that np.isclose never shows
    if type(b) is float or type(b) is complex:
        b_finite = b if cmath.isfinite(b) else 0.0
        size = builtins.abs(b_finite)
    else:
        b_finite = where(finite_b, b, zeros_like(b))
        size = abs(b_finite)
    close = ((abs(a - b_finite) <= atol + rtol * size) & finite_b) | (a == b)
    if equal_nan:
        close = close | (isnan(a) & isnan(b))
    return close


def fabs(x):
    """Absolute value of real input (NumPy's ``fabs``; complex input is an error, as there).

    >>> float(fabs(-2.5))
    2.5
    """
    if not _is_tracer(x):
        return np.fabs(x)
    (x,) = promote_float(x)
    if x.dtype.kind == "c":
        raise WireTypeError(f"fabs is not defined for complex input {x.aval!r}; use abs"
                            f"{at(user_location())}")
    return abs(x)


@real_only
def divmod(x1, x2):
    """``(floor_divide(x1, x2), mod(x1, x2))``, NumPy's ``divmod`` (the quotient has no
    derivative).

    >>> divmod(7.0, 2.0)
    (np.float64(3.0), np.float64(1.0))
    """
    if not _is_tracer(x1, x2):
        return np.divmod(x1, x2)
    return floor_divide(x1, x2), mod(x1, x2)


@real_only
def modf(x):
    """Fractional and integral parts, both with the sign of ``x`` (NumPy's ``modf``). The
    fractional part has derivative 1 (also at the integers, where it jumps), the integral
    part 0.

    >>> modf(-2.5)
    (np.float64(-0.5), np.float64(-2.0))
    """
    if not _is_tracer(x):
        return np.modf(x)
    (x,) = promote_float(x)
    whole = trunc(x)
    frac = x - whole
    # zeros carry the sign of x, and the derivative 1 of either side of the jump: x itself
    # at ±0, else a held x minus x (+0.0, derivative -1 or 1) times a select of -1 or 1. Not
    # -(held - x): simplify's collect_terms rewrites that as x - held, whose zero is +0.0
    held = stop_gradient(x)
    neg = x < 0
    sign = cast(where(neg, -1.0, 1.0), x.dtype)
    zero = where(x == 0, x, sign * where(neg, held - x, x - held))
    frac = where(frac == 0, zero, frac)
    zero = zeros_like(x)
    return where(isinf(x), where(x > 0, zero, -zero), frac), whole


@real_only
def ldexp(x1, x2):
    """``x1 * 2**x2`` for integer ``x2``, NumPy's ``ldexp``: rounded once, as C's, also where
    ``2**x2`` alone would overflow or underflow (``ldexp(0.0, 5000)`` is 0, ``ldexp(inf, -5000)``
    is inf, ``ldexp(1e-310, 1100)`` is finite). The derivative in ``x1`` is ``2**x2``.

    >>> float(ldexp(3.0, 2)), float(ldexp(5e-324, 1074)), float(ldexp(0.0, 5000))
    (12.0, 1.0, 0.0)
    """
    if not _is_tracer(x1, x2):
        return np.ldexp(x1, x2)
    if type(x1) in (bool, int, float, complex):  # weak: NumPy's loop for x2's dtype decides
        x1 = _ldexp_mantissa(x1, x2)
    _check_exponent(x2, np.result_type(dtype_of(x1)) == np.bool_)
    (x1,) = promote_real_float("ldexp", x1)
    n = cast(lift(x2), np.float64)
    if np.result_type(dtype_of(x1)) in (np.float16, np.float32):
        # exact in float64 (|n| <= 400 keeps every float32 value normal there; beyond, the
        # float32 result is 0 or inf anyway), then rounded once by the cast
        n = minimum(maximum(n, -400.0), 400.0)
        return cast(cast(x1, np.float64) * exp2(n), np.result_type(dtype_of(x1)))
    # musl's scalbn: at most two exact steps of 2**1023 up or 2**-969 down, so that only the
    # last product can round (into the subnormals) or overflow
    for _ in range(2):
        up, down = n > 1023, n < -1022
        x1 = x1 * where(up, 2.0**1023, where(down, 2.0**-969, 1.0))
        n = n - where(up, 1023.0, where(down, -969.0, 0.0))
    return x1 * exp2(minimum(maximum(n, -1022.0), 1023.0))


def _ldexp_mantissa(x1, x2):
    """A Python number ``x1`` of ``ldexp(x1, traced x2)`` in the dtype of NumPy's loop
    (``ldexp(2, int8_array)`` is float16), or NumPy's refusal (a complex ``x1``)."""
    dt = lift(x2).dtype
    try:
        with np.errstate(all="ignore"):
            return np.asarray(x1, np.ldexp(x1, np.zeros((), dt)).dtype)
    except TypeError as e:
        raise WireTypeError(f"ldexp({x1!r}, {lift(x2).aval!r}): {e} (NumPy raises TypeError)"
                            f"{at(user_location())}") from None


def _check_exponent(x2, boolean: bool) -> None:
    """Refuse an exponent of :func:`ldexp` NumPy refuses: not integers, ``uint64`` (no safe
    cast to NumPy's C ``int``/``long`` loops), a Python integer beyond ``int32`` (unless the
    mantissas are ``boolean``: NumPy's loop for them takes a C ``long``)."""
    kind = dtype_of(x2)
    kind = kind.kind if isinstance(kind, np.dtype) else np.asarray(kind).dtype.kind
    if kind not in "iub" or dtype_of(x2) == np.uint64:
        raise WireTypeError(f"ldexp: the exponent must be an integer array of at most 64 "
                            f"signed bits, got {dtype_of(x2)}{at(user_location())}")
    span = None
    lo, hi = (-2**63, 2**63 - 1) if boolean else (-2**31, 2**31 - 1)
    if type(x2) is int:
        span = (x2, x2, x2)
    elif _is_tracer(x2) and x2.weak:
        span = weak_int_range(x2, (lo, hi))
    if span is not None and (span[0] < lo or span[1] > hi):
        raise WireOverflowError(f"ldexp: Python integer exponent {span[2]} out of bounds for "
                                f"{'int64' if boolean else 'int32'}, as NumPy raises"
                                f"{at(user_location())}")


@real_only
def frexp(x):
    """Mantissa in ``[0.5, 1)`` (signed) and integer exponent with ``x = m * 2**e`` (NumPy's
    ``frexp``); the mantissa's derivative is ``2**-e``, the exponent has none.

    >>> frexp(12.0)
    (np.float64(0.75), np.int32(4))
    """
    if not _is_tracer(x):
        return np.frexp(x)
    (x,) = promote_real_float("frexp", x)
    special = (x == 0) | isinf(x) | isnan(x)
    mag = where(special, 1.0, abs(x))
    e = floor(log2(mag)) + 1.0  # may be off by one where log2 rounds: fixed below
    m = _times_pow2(mag, -e)
    e = where(m >= 1.0, e + 1.0, where(m < 0.5, e - 1.0, e))
    e = where(special, 0.0, e)
    mant = where(special, x, _times_pow2(x, -e))
    return mant, cast(e, np.int32)


def _times_pow2(x, e):
    """``x * 2**e`` for integral float ``e``, in two exact factors so that neither
    overflows (``2**1074`` scales the smallest subnormal up to 0.5)."""
    half = floor(e * 0.5)
    return x * exp2(half) * exp2(e - half)


def _refuse_complex(name, x) -> None:
    if x.dtype.kind == "c":
        raise WireTypeError(f"{name} is not defined for complex input {x.aval!r} (NumPy refuses "
                            f"it as ambiguous: test the real and imaginary parts with "
                            f"wire.numpy.real / imag){at(user_location())}")


@lifting
def isposinf(x):
    """Elementwise ``x == +inf`` (boolean).

    >>> isposinf(np.array([np.inf, -np.inf, 1.0]))
    array([ True, False, False])
    """
    if not _is_tracer(x):
        return np.isposinf(x)
    _refuse_complex("isposinf", x)
    return isinf(x) & (x > 0)


@lifting
def isneginf(x):
    """Elementwise ``x == -inf`` (boolean).

    >>> isneginf(np.array([np.inf, -np.inf]))
    array([False,  True])
    """
    if not _is_tracer(x):
        return np.isneginf(x)
    _refuse_complex("isneginf", x)
    return isinf(x) & (x < 0)


# --------------------------------------------------------------------------- complex


@lifting
def real(val):
    """Real part (the value itself for real arrays).

    >>> real(np.array([1 + 2j]))
    array([1.])
    """
    if not _is_tracer(val):
        return np.real(val)
    if val.weak and val.dtype.kind == "b":  # NumPy's is Python's True.real: the int 1, weak
        return cast(val, np.int64)
    return C.real(val) if val.dtype.kind == "c" else val


@lifting
def imag(val):
    """Imaginary part (zeros for real arrays)."""
    if not _is_tracer(val):
        return np.imag(val)
    if val.dtype.kind == "c":
        return C.imag(val)
    if val.weak:  # NumPy's is Python's (1.5).imag: a Python zero, weakly typed
        return 0.0 if val.dtype.kind == "f" else 0
    return zeros_like(val)


@lifting
def conj(x):
    """Complex conjugate (the value itself for real arrays; booleans become int8, as NumPy
    has no boolean conjugate)."""
    if not _is_tracer(x):
        return np.conj(x)
    if x.dtype == np.bool_:
        return cast(x, np.int8)
    return C.conj(x) if x.dtype.kind == "c" else x


conjugate = conj


@lifting
def angle(z, deg=False):
    """Argument of complex numbers, ``arctan2(imag, real)`` (in degrees if ``deg``)."""
    if not _is_tracer(z):
        return np.angle(z, deg=deg)
    if z.dtype.kind != "c":  # np.angle is arctan2(0, z): int8 gives float16, bool float64
        _, z = promote_float(0, z)
    out = arctan2(imag(z), real(z))
    return out * (180.0 / np.pi) if deg else out


@lifting
def iscomplexobj(x):
    """Whether ``x`` has a complex dtype (a Python bool)."""
    return x.dtype.kind == "c" if _is_tracer(x) else np.iscomplexobj(x)


def isrealobj(x):
    """Whether ``x`` has a non-complex dtype (a Python bool)."""
    return not iscomplexobj(x)


@lifting
def iscomplex(x):
    """Elementwise: imaginary part non-zero."""
    if not _is_tracer(x):
        return np.iscomplex(x)
    return imag(x) != 0


@lifting
def isreal(x):
    """Elementwise: imaginary part zero."""
    if not _is_tracer(x):
        return np.isreal(x)
    return imag(x) == 0
