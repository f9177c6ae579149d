"""Array creation in ``wire.numpy``: ``array``/``asarray`` (stacking lists of tracers),
``*_like`` functions (symbolic for tracers), and constant constructors that return NumPy."""

from __future__ import annotations

import numpy as np

from ..errors import WireValueError, at, user_location
from ..ops import shape as S
from ..core import Tracer
from ._math import floor, log10, power, sign, where
from ._promote import cast, holds_tracer, lift, result_dtype, strong
from ._shape import moveaxis
from ._at import with_at

__all__ = [
    "array", "asarray", "zeros_like", "ones_like", "full_like", "empty_like", "zeros", "ones",
    "full", "empty", "eye", "identity", "arange", "linspace", "logspace", "geomspace", "copy",
    "astype", "asanyarray", "ascontiguousarray", "asfortranarray", "require",
]


def array(object, dtype=None, copy=True, order="K", subok=False, ndmin=0, like=None):
    """An array from data; (nested) lists holding tracers are stacked into a tracer.

    >>> array([1, 2]).dtype
    dtype('int64')
    >>> import wire
    >>> float(wire.grad(lambda a: array([a, 2.0 * a]).sum())(1.0))
    3.0
    """
    if isinstance(object, Tracer) or holds_tracer(object):
        out = lift(object)
        # (a Python scalar made an array is strongly typed: np.asarray(300) is int64)
        out = strong(out if dtype is None else cast(out, dtype))
        if ndmin > out.ndim:
            out = S.reshape(out, (1,) * (ndmin - out.ndim) + out.shape)
        return out
    return np.array(object, dtype=dtype, copy=copy, order=order, subok=subok, ndmin=ndmin,
                    like=like)


def asarray(a, dtype=None, order=None, *, copy=None, like=None):
    """Like :func:`array`, without copying concrete arrays."""
    if isinstance(a, Tracer) or holds_tracer(a):
        return array(a, dtype=dtype)
    return np.asarray(a, dtype=dtype, order=order, copy=copy, like=like)


def asanyarray(a, dtype=None, order=None, *, like=None):
    """``asarray`` (traced values have no subclasses).

    >>> asanyarray([1.0, 2.0])
    array([1., 2.])
    """
    if isinstance(a, Tracer) or holds_tracer(a):
        return array(a, dtype=dtype)
    return np.asanyarray(a, dtype=dtype, order=order, like=like)


def ascontiguousarray(a, dtype=None, *, like=None):
    """``asarray`` with a C-contiguous layout, at least 1-D (a traced value has no layout).

    >>> ascontiguousarray(3.0)
    array([3.])
    """
    if isinstance(a, Tracer) or holds_tracer(a):
        return atleast_1d_(array(a, dtype=dtype))
    return np.ascontiguousarray(a, dtype=dtype, like=like)


def asfortranarray(a, dtype=None, *, like=None):
    """``asarray`` with a Fortran layout, at least 1-D (a traced value has no layout).

    >>> asfortranarray(np.ones((2, 2))).flags.f_contiguous
    True
    """
    if isinstance(a, Tracer) or holds_tracer(a):
        return atleast_1d_(array(a, dtype=dtype))
    return np.asfortranarray(a, dtype=dtype, like=like)


def require(a, dtype=None, requirements=None, *, like=None):
    """``asarray`` meeting memory-layout ``requirements`` (none apply to traced values).

    >>> require(np.ones(2), requirements="C").flags.c_contiguous
    True
    """
    if isinstance(a, Tracer) or holds_tracer(a):
        return array(a, dtype=dtype)
    return np.require(a, dtype=dtype, requirements=requirements, like=like)


def atleast_1d_(x):
    return S.reshape(x, (1,)) if x.ndim == 0 else x


def astype(x, dtype, /, *, copy=True, device=None):
    """``x`` converted to ``dtype`` (NumPy 2's function form of ``x.astype``).

    >>> astype(np.array([1.5, 2.5]), np.int32)
    array([1, 2], dtype=int32)
    """
    if isinstance(x, Tracer):
        return cast(x, dtype)
    return np.astype(x, dtype, copy=copy, device=device)


def full_like(a, fill_value, dtype=None, shape=None):
    """Array of ``fill_value`` with the shape (and dtype) of ``a``; ``fill_value`` may be
    traced.

    >>> full_like(np.zeros(2), 7.0)
    array([7., 7.])
    """
    if isinstance(fill_value, Tracer):
        dt = np.dtype(dtype) if dtype is not None else (
            a.dtype if isinstance(a, Tracer) else np.asarray(a).dtype)
        return full(shape if shape is not None else _shape(a), fill_value, dt)
    if not isinstance(a, Tracer):
        return np.full_like(a, fill_value, dtype=dtype, shape=shape)
    dt = np.dtype(dtype) if dtype is not None else a.dtype
    if shape is not None:
        return np.full(shape, fill_value, dtype=dt)
    if a.shape is None:
        return cast(S.full_like_(a, fill_value), dt)
    return S.full(a.shape, fill_value, dt)


def _shape(a):
    return a.shape if isinstance(a, Tracer) else np.shape(a)


def zeros_like(a, dtype=None, shape=None):
    """Zeros shaped like ``a``."""
    return full_like(a, 0, dtype=dtype, shape=shape)


def ones_like(a, dtype=None, shape=None):
    """Ones shaped like ``a``."""
    return full_like(a, 1, dtype=dtype, shape=shape)


empty_like = zeros_like


def copy(a, order="K", subok=False):
    """A copy of ``a`` (tracers are immutable, so the same value)."""
    return a if isinstance(a, Tracer) else np.array(a, copy=True, order=order, subok=subok)


def full(shape, fill_value, dtype=None, order="C", *, like=None):
    """Array of ``shape`` filled with ``fill_value``, which may be a traced value (the
    derivative is then the sum over the filled entries).

    >>> full(2, 3.0)
    array([3., 3.])
    >>> import wire
    >>> float(wire.grad(lambda v: full((2, 3), v).sum())(1.0))
    6.0
    """
    if not holds_tracer(fill_value):
        return np.full(shape, fill_value, dtype=dtype, order=order, like=like)
    value = asarray(fill_value, dtype=dtype)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    return S.broadcast_to(value, shape)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop``; traced ends give a traced
    (differentiable) result.

    >>> linspace(0.0, 1.0, 3)
    array([0. , 0.5, 1. ])
    """
    if not holds_tracer(start) and not holds_tracer(stop):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    if num < 0:
        raise WireValueError(f"linspace: number of samples, {num}, must be non-negative (NumPy "
                             f"refuses it too){at(user_location())}")
    dt = result_dtype(start, stop, 1.0)  # NumPy computes in floats, then casts to dtype
    start, stop = cast(start, dt), cast(stop, dt)
    div = (num - 1) if endpoint else num
    shape = np.broadcast_shapes(_shape(start), _shape(stop))
    steps = np.arange(num, dtype=dt).reshape((num,) + (1,) * len(shape))
    step = (stop - start) / div if div > 0 else stop - start
    out = steps * step + start  # NumPy's order of operations, so values agree to the bit
    if endpoint and num > 1:  # the last value is ``stop`` itself, as in NumPy
        last = (np.arange(num) == num - 1).reshape(steps.shape)
        out = where(last, stop, out)
    if axis != 0:
        out = moveaxis(out, 0, axis)
    if dtype is not None and np.dtype(dtype) != out.dtype:
        # NumPy floors toward an integer dtype (booleans: cast, nonzero is true)
        out = cast(floor(out) if np.dtype(dtype).kind in "iu" else out, dtype)
    return (out, step) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop)``, traced when an end or the base is.

    >>> logspace(0.0, 2.0, 3)
    array([  1.,  10., 100.])
    """
    if not holds_tracer(start) and not holds_tracer(stop) and not holds_tracer(base):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    y = linspace(start, stop, num, endpoint, axis=axis)
    out = power(base, y)
    return out if dtype is None else cast(out, dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Values spaced evenly on a log scale from ``start`` to ``stop`` (of one sign, traced or
    not), NumPy's ``geomspace``: at least float64, and the ends are ``start`` and ``stop``
    themselves (``geomspace(1, inf, 3)`` starts at 1).

    >>> geomspace(1.0, 100.0, 3)
    array([  1.,  10., 100.])
    """
    if not holds_tracer(start) and not holds_tracer(stop):
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    dt = result_dtype(start, stop, float(num), np.zeros((), dtype))  # NumPy's dtype rule
    start, stop = cast(start, dt), cast(stop, dt)
    sgn = sign(start)
    start, stop = start / sgn, stop / sgn
    y = logspace(log10(start), log10(stop), num, endpoint, dtype=dt)  # (num, ...) as NumPy
    if num > 0:  # NumPy writes the ends in
        k = np.arange(num).reshape((num,) + (1,) * (y.ndim - 1))
        y = where(k == 0, start, y)
        if num > 1 and endpoint:
            y = where(k == num - 1, stop, y)
    y = y * sgn
    if axis != 0:
        y = moveaxis(y, 0, axis)
    return y if dtype is None else cast(y, dtype)


# inside a transform, constructors' arrays have JAX's .at[...] (see wire.numpy._at)
zeros = with_at(np.zeros, "zeros", __name__)
ones = with_at(np.ones, "ones", __name__)
empty = with_at(np.zeros, "empty", __name__)  # zeros, so results never vary
eye = with_at(np.eye, "eye", __name__)
identity = with_at(np.identity, "identity", __name__)
arange = with_at(np.arange, "arange", __name__)
array = with_at(array, "array", __name__)
asarray = with_at(asarray, "asarray", __name__)
full = with_at(full, "full", __name__)
full_like = with_at(full_like, "full_like", __name__)
linspace = with_at(linspace, "linspace", __name__)

