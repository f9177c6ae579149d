"""Array creation in ``wire.numpy``: ``array``/``asarray`` (stacking lists of tracers),
``*_like`` functions (symbolic for tracers), and constant constructors that return NumPy."""

from __future__ import annotations

import numpy as np

from ..ops import shape as S
from ..core import Tracer
from ._promote import cast
from ._shape import stack

__all__ = [
    "array", "asarray", "zeros_like", "ones_like", "full_like", "empty_like", "zeros", "ones",
    "full", "empty", "eye", "identity", "arange", "linspace", "copy",
]


def _contains_tracer(x) -> bool:
    if isinstance(x, Tracer):
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_tracer(v) for v in x)
    return False


def array(object, dtype=None, copy=True):
    """An array from data; nested lists holding tracers are stacked into a tracer.

    >>> array([1, 2]).dtype
    dtype('int64')
    """
    if isinstance(object, Tracer):
        return object if dtype is None else cast(object, dtype)
    if isinstance(object, (list, tuple)) and _contains_tracer(object):
        items = [array(v) for v in object]
        out = stack(items)
        return out if dtype is None else cast(out, dtype)
    return np.array(object, dtype=dtype, copy=copy)


def asarray(a, dtype=None):
    """Like :func:`array`, without copying concrete arrays."""
    if isinstance(a, Tracer) or isinstance(a, (list, tuple)) and _contains_tracer(a):
        return array(a, dtype=dtype)
    return np.asarray(a, dtype=dtype)


def full_like(a, fill_value, dtype=None, shape=None):
    """Array of ``fill_value`` with the shape (and dtype) of ``a``.

    >>> full_like(np.zeros(2), 7.0)
    array([7., 7.])
    """
    if not isinstance(a, Tracer):
        return np.full_like(a, fill_value, dtype=dtype, shape=shape)
    dt = np.dtype(dtype) if dtype is not None else a.dtype
    if shape is not None:
        return np.full(shape, fill_value, dtype=dt)
    if a.shape is None:
        return cast(S.full_like_(a, fill_value), dt)
    return S.full(a.shape, fill_value, dt)


def zeros_like(a, dtype=None, shape=None):
    """Zeros shaped like ``a``."""
    return full_like(a, 0, dtype=dtype, shape=shape)


def ones_like(a, dtype=None, shape=None):
    """Ones shaped like ``a``."""
    return full_like(a, 1, dtype=dtype, shape=shape)


empty_like = zeros_like


def copy(a):
    """A copy of ``a`` (tracers are immutable, so the same value)."""
    return a if isinstance(a, Tracer) else np.array(a, copy=True)


zeros, ones, full, empty = np.zeros, np.ones, np.full, np.zeros
eye, identity, arange, linspace = np.eye, np.identity, np.arange, np.linspace
