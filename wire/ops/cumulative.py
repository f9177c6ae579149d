"""Cumulative primitives: ``cumsum`` and ``cumprod`` along one axis.

``cumsum`` is linear: its transpose is the reversed cumulative sum. ``cumprod``'s value is
NumPy's (left to right, so where a product overflows or meets a zero or an inf is NumPy's
too); its derivative rules are log-depth first-order linear recurrences with no division, so
they are exact where entries are zero. Cumulative maxima and minima are compositions in
``wire.numpy`` (a log-depth scan of ``maximum`` over shifted copies).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..core.taylor import BY_JVP, COEFFICIENTWISE
from ..core import bind
from ..core.lowering import MissingFunction, XpImpl
from ..core.primitive import Primitive
from ..core.formula import ARRAYS_ONLY
from .batching import axis_batch
from .elementwise import convert
from .layout import concatenate, ones_like_


def _cumsum_impl(x, *, axis, reverse):
    x = np.asarray(x)
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
    return np.cumsum(x, axis=axis, dtype=x.dtype)


def _cumsum_shape_of(name):
    def rule(a, *, axis, **params):
        if not 0 <= axis < a.ndim:
            raise ShapeError(f"{name}: axis {axis} is out of range for {a!r}")
        return a

    return rule


_cumsum_shape = _cumsum_shape_of("cumsum")


def _cumsum_sample(rng):
    x = rng.normal(size=(3, 4))
    return [x], {"axis": int(rng.integers(0, 2)), "reverse": bool(rng.integers(0, 2))}


def _cumsum_xp(bk, x, *, axis, reverse):
    xp = bk.xp
    if reverse:
        return xp.flip(xp.cumulative_sum(xp.flip(x, axis=axis), axis=axis, dtype=x.dtype), axis=axis)
    return xp.cumulative_sum(x, axis=axis, dtype=x.dtype)


cumsum_p = Primitive(
    "cumsum",
    _cumsum_impl,
    _cumsum_shape,
    linear=True,
    vjp=lambda ct, out, x, *, axis, reverse: (_cumsum_wide(ct, axis, not reverse),),
    jvp=lambda ts, out, x, *, axis, reverse: _cumsum_wide(ts[0], axis, reverse),
    batch=axis_batch(lambda: cumsum_p),
    xp=XpImpl(_cumsum_xp, "cumulative_sum"),
    sample=_cumsum_sample,
    doc="cumulative sum along a non-negative axis; reverse=True sums from the end",
    sympy=ARRAYS_ONLY,
    taylor=COEFFICIENTWISE,
)


def cumsum(x, axis: int, reverse: bool = False):
    return bind(cumsum_p, x, axis=int(axis), reverse=bool(reverse))


def _cumsum_wide(t, axis: int, reverse: bool):
    """The cumulative sum of a tangent or cotangent, float16 in float32 and rounded once.

    The value is NumPy's sequential float16 sum (``cumsum`` of 3000 ones ends at 2048, where
    ``2048 + 1`` rounds back); a derivative is not bound to those roundings, and summed in
    float16 the gradient of ``sum(cumsum(x))`` was 2048 where it is 3000 (JAX and torch give
    3000)."""
    if np.dtype(t.dtype) != np.float16:
        return cumsum(t, axis, reverse)
    return convert(cumsum(convert(t, np.float32), axis, reverse), np.float16)


# --------------------------------------------------------------------------- cumprod


def _along(x, axis, start, stop):
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(start, stop)
    return x[tuple(idx)]


def linear_recurrence(m, s, axis: int, reverse: bool = False):
    """``y`` with ``y_i = s_i + m_i * y_{i-1}`` along ``axis`` (``y_{i+1}`` if ``reverse``),
    in ``ceil(log2 n)`` steps that each combine every entry with the one ``2**k`` before it.
    Entries with nothing before them are copied, never multiplied by a padding zero (which
    would turn an infinite ``m`` into NaN)."""
    n = s.shape[axis]
    k = 1
    while k < n:
        if reverse:
            s_new = _along(s, axis, 0, n - k) + _along(m, axis, 0, n - k) * _along(s, axis, k, n)
            m_new = _along(m, axis, 0, n - k) * _along(m, axis, k, n)
            s = concatenate([s_new, _along(s, axis, n - k, n)], axis)
            m = concatenate([m_new, _along(m, axis, n - k, n)], axis)
        else:
            s_new = _along(s, axis, k, n) + _along(m, axis, k, n) * _along(s, axis, 0, n - k)
            m_new = _along(m, axis, k, n) * _along(m, axis, 0, n - k)
            s = concatenate([_along(s, axis, 0, k), s_new], axis)
            m = concatenate([_along(m, axis, 0, k), m_new], axis)
        k *= 2
    return s


def _exclusive(out, x, axis):
    """Products of the entries before each one: 1, x0, x0 x1, … (``out`` shifted by one)."""
    n = x.shape[axis]
    return concatenate([ones_like_(_along(x, axis, 0, 1)), _along(out, axis, 0, n - 1)], axis)


def _cumprod_jvp(ts, out, x, *, axis):
    # d out_i = x_i d out_{i-1} + t_i * prod_{k<i} x_k
    if x.shape[axis] == 0:
        return ts[0]
    return linear_recurrence(x, ts[0] * _exclusive(out, x, axis), axis)


def _cumprod_vjp(ct, out, x, *, axis):
    # ct_x_j = prod_{k<j} x_k * S_j,  S_j = ct_j + x_{j+1} S_{j+1}
    n = x.shape[axis]
    if n == 0:
        return (ct,)
    after = concatenate([_along(x, axis, 1, n), ones_like_(_along(x, axis, 0, 1))], axis)
    return (_exclusive(out, x, axis) * linear_recurrence(after, ct, axis, reverse=True),)


def _cumprod_sample(rng):
    x = rng.normal(size=(3, 4))
    x[1, 1] = 0.0  # derivatives at a zero entry are the point of the rules
    return [x], {"axis": int(rng.integers(0, 2))}


def _cumprod_xp(bk, x, *, axis):
    xp = bk.xp
    fn = getattr(xp, "cumulative_prod", None) or getattr(xp, "cumprod", None)
    if fn is None:
        raise MissingFunction(f"{bk.name} has no cumulative_prod")
    return fn(x, axis=axis, dtype=x.dtype)


cumprod_p = Primitive(
    "cumprod",
    lambda x, *, axis: np.cumprod(x, axis=axis, dtype=np.asarray(x).dtype),
    _cumsum_shape_of("cumprod"),
    vjp=_cumprod_vjp,
    jvp=_cumprod_jvp,
    batch=axis_batch(lambda: cumprod_p),
    xp=XpImpl(_cumprod_xp, "cumulative_prod"),
    sample=_cumprod_sample,
    doc="cumulative product along a non-negative axis, NumPy's (left-to-right) value",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def cumprod(x, axis: int):
    return bind(cumprod_p, x, axis=int(axis))
