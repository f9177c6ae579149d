"""Comparisons of whole arrays and dtype queries of ``wire.numpy`` that accept traced values:
``allclose``, ``array_equal``, ``array_equiv``, ``isin``, ``real_if_close``,
``result_type``, ``can_cast``, ``common_type``, ``min_scalar_type``.

On traced values the comparisons return a traced boolean (no derivative), as in JAX: Python
``if`` on it needs a concrete value, and raises ``wire.TracerBoolError`` while tracing (use
``wire.numpy.where`` or ``wire.cond``). The dtype queries read a tracer's dtype.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..errors import WireError, WireValueError, at, user_location
from ..core import Tracer
from ._elementwise_composed import isclose
from ._math import equal, isnan
from ._promote import holds_tracer, lift
from ._reductions import all, any
from ._shape import expand_dims, ravel, shape

__all__ = [
    "allclose",
    "array_equal",
    "array_equiv",
    "can_cast",
    "common_type",
    "isin",
    "min_scalar_type",
    "real_if_close",
    "result_type",
]


def _t(*xs) -> bool:
    return builtins.any(holds_tracer(x) for x in xs)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether all entries are close (``isclose``); a traced boolean on traced values.

    >>> bool(allclose(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])))
    True
    """
    if not _t(a, b):
        return np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return all(isclose(lift(a), lift(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def array_equal(a1, a2, equal_nan=False):
    """Whether two arrays have the same shape and entries (``False`` for different shapes,
    decided while tracing; otherwise a traced boolean on traced values).

    >>> bool(array_equal(np.array([1, 2]), np.array([1, 2])))
    True
    """
    if not _t(a1, a2):
        return np.array_equal(a1, a2, equal_nan=equal_nan)
    a1, a2 = lift(a1), lift(a2)
    if tuple(shape(a1)) != tuple(shape(a2)):
        return np.False_
    same = equal(a1, a2)
    if equal_nan:
        same = same | (isnan(a1) & isnan(a2))
    return all(same)


def array_equiv(a1, a2):
    """Whether two arrays are equal after broadcasting (``False`` if they cannot broadcast).

    >>> bool(array_equiv(np.array([1, 2]), np.array([[1, 2], [1, 2]])))
    True
    """
    if not _t(a1, a2):
        return np.array_equiv(a1, a2)
    a1, a2 = lift(a1), lift(a2)
    try:
        np.broadcast_shapes(tuple(shape(a1)), tuple(shape(a2)))
    except ValueError:
        return np.False_
    return all(equal(a1, a2))


def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None,
         method="auto"):
    """Elementwise: whether each entry of ``element`` occurs in ``test_elements`` (a boolean
    of ``element``'s shape).

    >>> isin(np.array([1, 2, 3]), [2, 3])
    array([False,  True,  True])
    """
    if method not in ("auto", "compare_all", "binary_search", "sort"):
        raise WireValueError(f"isin: method must be 'auto', 'compare_all', 'binary_search' or "
                             f"'sort' (JAX's choices), got {method!r}{at(user_location())}")
    if not _t(element, test_elements):
        return np.isin(element, test_elements, assume_unique=assume_unique, invert=invert,
                       kind=kind)
    element, test = lift(element), lift(test_elements)
    hit = any(equal(expand_dims(element, -1), ravel(test)), axis=-1)
    return ~hit if invert else hit


def real_if_close(a, tol=100):
    """The real part if every imaginary part is within ``tol`` machine epsilons of 0.

    The result's dtype depends on the values, so a complex traced value cannot be decided
    while tracing: use ``wire.numpy.real`` (or ``where(abs(imag(a)) < eps, ...)``) there.

    >>> real_if_close(np.array([1.0 + 1e-20j]))
    array([1.])
    """
    if not _t(a):
        return np.real_if_close(a, tol=tol)
    a = lift(a)
    if a.dtype.kind != "c":
        return a
    raise WireError(
        f"real_if_close of a traced complex value {a.aval!r}: whether the result is real "
        f"depends on the values{at(user_location())}; use wire.numpy.real(a) when the imaginary "
        "part is known to be negligible"
    )


def _dtype_arg(x):
    if isinstance(x, Tracer):
        return x.dtype
    if isinstance(x, (list, tuple)) and holds_tracer(x):
        return lift(x).dtype
    return x


def result_type(*arrays_and_dtypes):
    """NumPy's ``result_type``; a traced value counts as an array of its dtype.

    >>> result_type(np.float32, 1.0)
    dtype('float32')
    """
    return np.result_type(*[_dtype_arg(x) for x in arrays_and_dtypes])


def can_cast(from_, to, casting="safe"):
    """NumPy's ``can_cast``; a traced value counts as its dtype.

    >>> can_cast(np.float32, np.float64)
    True
    """
    return np.can_cast(_dtype_arg(from_), to, casting=casting)


def common_type(*arrays):
    """NumPy's ``common_type`` (a floating scalar type for the arrays, traced or not).

    >>> common_type(np.ones(2, np.float32), np.ones(2))
    <class 'numpy.float64'>
    """
    fakes = [np.empty(0, dtype=x.dtype) if isinstance(x, Tracer) else x for x in map(lift, arrays)]
    return np.common_type(*fakes)


def min_scalar_type(a):
    """NumPy's ``min_scalar_type``; a traced value's smallest safe type is its own dtype (its
    value is unknown while tracing).

    >>> min_scalar_type(10)
    dtype('uint8')
    """
    a = lift(a)
    if isinstance(a, Tracer):
        return a.dtype
    return np.min_scalar_type(a)

