"""More elementwise functions of ``wire.numpy``, composed from primitives: stable
``logaddexp``/``logaddexp2``, ``hypot``, ``sinc``, ``fmod``, ``copysign``, ``heaviside``,
``nan_to_num``, ``isclose``; and complex numbers: ``real``, ``imag``, ``conj``, ``angle``.

Complex derivatives follow JAX's convention (see ``wire.ops.complex_parts``).
"""

from __future__ import annotations

import numpy as np

from ..ops import complex_parts as C
from ..ops import elementwise as E
from ..core import Tracer
from ._math import abs, arctan2, exp, exp2, isinf, isnan, log1p, maximum, sin, sqrt, trunc, where
from ._promote import promote, promote_float
from ._creation import zeros_like

__all__ = [
    "angle",
    "conj",
    "conjugate",
    "copysign",
    "fix",
    "fmod",
    "heaviside",
    "hypot",
    "imag",
    "isclose",
    "iscomplex",
    "iscomplexobj",
    "isreal",
    "isrealobj",
    "logaddexp",
    "logaddexp2",
    "nan_to_num",
    "real",
    "signbit",
    "sinc",
]

_LN2 = float(np.log(2.0))


def _is_tracer(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in xs)


def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))`` without overflow; derivative split evenly at ties.

    >>> float(logaddexp(1000.0, 1000.0)) == 1000.0 + float(np.log(2.0))
    True
    """
    if not _is_tracer(x1, x2):
        return np.logaddexp(x1, x2)
    x1, x2 = promote_float(x1, x2)
    m = maximum(x1, x2)
    d = x1 - x2
    d = where(isnan(d), 0.0, d)  # both infinite with one sign: the maximum is the answer
    return m + log1p(exp(-abs(d)))


def logaddexp2(x1, x2):
    """``log2(2**x1 + 2**x2)`` without overflow.

    >>> float(logaddexp2(3.0, 3.0))
    4.0
    """
    if not _is_tracer(x1, x2):
        return np.logaddexp2(x1, x2)
    x1, x2 = promote_float(x1, x2)
    m = maximum(x1, x2)
    d = x1 - x2
    d = where(isnan(d), 0.0, d)
    return m + log1p(exp2(-abs(d))) / _LN2


def hypot(x1, x2):
    """``sqrt(x1**2 + x2**2)`` without overflow; gradient 0 at the origin.

    >>> float(hypot(3.0, 4.0))
    5.0
    """
    if not _is_tracer(x1, x2):
        return np.hypot(x1, x2)
    x1, x2 = promote_float(x1, x2)
    m = maximum(abs(x1), abs(x2))
    zero = m == 0
    safe = where(zero, 1.0, m)
    a, b = x1 / safe, x2 / safe
    inner = where(zero, 1.0, a * a + b * b)
    return where(zero, 0.0, m * sqrt(inner))


def sinc(x):
    """``sin(pi x) / (pi x)`` with ``sinc(0) = 1``, smooth (all orders) at 0.

    >>> float(sinc(0.0)), round(float(sinc(0.5)), 6)
    (1.0, 0.63662)
    """
    if not _is_tracer(x):
        return np.sinc(x)
    (x,) = promote_float(x)
    small = abs(x) < 1e-4
    safe = where(small, 1.0, x) * np.pi
    px2 = (x * np.pi) ** 2
    taylor = 1.0 - px2 / 6.0 + px2 * px2 / 120.0
    return where(small, taylor, sin(safe) / safe)


def fmod(x1, x2):
    """C-style remainder (sign of ``x1``), NumPy's ``fmod``; derivative ``(1, -trunc(x1/x2))``.

    >>> float(fmod(-7.0, 3.0))
    -1.0
    """
    if not _is_tracer(x1, x2):
        return np.fmod(x1, x2)
    x1, x2 = promote(x1, x2)
    m = E.mod(x1, x2)
    flip = (m != 0) & ((m < 0) != (x1 < 0))
    return where(flip, m - x2, m)


def signbit(x):
    """Whether the sign bit is set (``x < 0``; ``-0.0`` counts on concrete arrays only)."""
    if not _is_tracer(x):
        return np.signbit(x)
    return x < 0


def copysign(x1, x2):
    """``|x1|`` with the sign of ``x2``.

    >>> float(copysign(2.0, -1.0))
    -2.0
    """
    if not _is_tracer(x1, x2):
        return np.copysign(x1, x2)
    x1, x2 = promote_float(x1, x2)
    return where(x2 < 0, -abs(x1), abs(x1))


def heaviside(x1, x2):
    """Step function: 0 below zero, 1 above, ``x2`` at zero (zero derivative in ``x1``)."""
    if not _is_tracer(x1, x2):
        return np.heaviside(x1, x2)
    x1, x2 = promote_float(x1, x2)
    return where(x1 < 0, 0.0, where(x1 > 0, 1.0, x2))


def fix(x):
    """Round toward zero (NumPy's ``fix``); zero derivative."""
    return trunc(x)


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
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    out = where(isnan(x), nan, x)
    return where(isinf(x), where(x > 0, hi, lo), out)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|a - b| <= atol + rtol |b|`` (boolean, not differentiable)."""
    if not _is_tracer(a, b):
        return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    a, b = promote_float(a, b)
    close = abs(a - b) <= atol + rtol * abs(b)
    close = close | ((a == b) & isinf(a))
    if equal_nan:
        close = close | (isnan(a) & isnan(b))
    return close


# --------------------------------------------------------------------------- complex


def real(val):
    """Real part (the value itself for real arrays).

    >>> real(np.array([1 + 2j]))
    array([1.])
    """
    if not _is_tracer(val):
        return np.real(val)
    return C.real(val) if val.dtype.kind == "c" else val


def imag(val):
    """Imaginary part (zeros for real arrays)."""
    if not _is_tracer(val):
        return np.imag(val)
    if val.dtype.kind == "c":
        return C.imag(val)
    return zeros_like(val)


def conj(x):
    """Complex conjugate (the value itself for real arrays)."""
    if not _is_tracer(x):
        return np.conj(x)
    return C.conj(x) if x.dtype.kind == "c" else x


conjugate = conj


def angle(z, deg=False):
    """Argument of complex numbers, ``arctan2(imag, real)`` (in degrees if ``deg``)."""
    if not _is_tracer(z):
        return np.angle(z, deg=deg)
    if z.dtype.kind != "c":
        (z,) = promote_float(z)
    out = arctan2(imag(z), real(z))
    return out * (180.0 / np.pi) if deg else out


def abs_complex(z):
    """``|z|`` of a complex tracer as ``hypot(real, imag)`` (real result, JAX-style derivative)."""
    return hypot(C.real(z), C.imag(z))


def iscomplexobj(x):
    """Whether ``x`` has a complex dtype (a Python bool)."""
    return x.dtype.kind == "c" if _is_tracer(x) else np.iscomplexobj(x)


def isrealobj(x):
    """Whether ``x`` has a non-complex dtype (a Python bool)."""
    return not iscomplexobj(x)


def iscomplex(x):
    """Elementwise: imaginary part non-zero."""
    if not _is_tracer(x):
        return np.iscomplex(x)
    return imag(x) != 0


def isreal(x):
    """Elementwise: imaginary part zero."""
    if not _is_tracer(x):
        return np.isreal(x)
    return imag(x) == 0
