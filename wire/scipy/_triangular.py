"""Triangular solves and Cholesky factors of ``wire.scipy.linalg``: ``solve_triangular``,
``cholesky``, ``cho_factor``, ``cho_solve``.

Triangular solves reuse the general ``solve`` primitive on the masked triangle, so only the
triangle SciPy reads carries a derivative. On concrete arrays SciPy is called.
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from ..core import Tracer
from ..errors import LinAlgShapeError, ShapeError, WireError, at, user_location
from ._traced import check_finite_values as _finite
from ._traced import traced as _traced
from ..ops.optional import module as _optional_module

_sl = _optional_module("scipy.linalg")  # None without SciPy; imported on first use


def _float(x):
    if isinstance(x, Tracer):
        return x if x.dtype.kind in "fc" else wnp.asarray(x, np.float64)
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def _square(a, what):
    shape = wnp.shape(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        # a ValueError as SciPy's, and the LinAlgError some of SciPy's functions raise
        raise LinAlgShapeError(f"{what} needs a square matrix (..., n, n), got shape "
                               f"{tuple(shape)}{at(user_location())}")
    return shape[-1]


def _trans_code(trans) -> int:
    codes = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}
    if trans not in codes:
        raise WireError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got "
                        f"{trans!r}{at(user_location())}")
    return codes[trans]


def _triangle(a, lower: bool, unit_diagonal: bool):
    """The triangle of ``a`` SciPy reads (its diagonal replaced by ones if ``unit_diagonal``)."""
    n = wnp.shape(a)[-1]
    keep = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    if unit_diagonal:
        keep &= ~np.eye(n, dtype=bool)
    t = wnp.where(keep, a, 0.0)
    return t + np.eye(n, dtype=t.dtype) if unit_diagonal else t  # (float64 would promote)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) x = b`` for a triangular ``a`` (only its ``lower``/upper triangle is read;
    ``op`` is identity, transpose or conjugate transpose for ``trans`` 0/'N', 1/'T', 2/'C').

    >>> a = np.array([[2.0, 0.0], [1.0, 1.0]])
    >>> solve_triangular(a, np.array([2.0, 3.0]), lower=True)
    array([1., 2.])
    """
    code = _trans_code(trans)
    _finite("solve_triangular", check_finite, a, b)
    if not _traced(a, b) and _sl is not None and np.ndim(a) == 2:
        return _sl.solve_triangular(a, b, trans=code, lower=lower, unit_diagonal=unit_diagonal,
                                    check_finite=False)
    a, b = _float(a), _float(b)
    n = _square(a, "solve_triangular")
    b_shape = tuple(wnp.shape(b))
    if not b_shape or b_shape[-1 if len(b_shape) == 1 else -2] != n:
        raise ShapeError(f"solve_triangular: a is {n}x{n} but b has shape {b_shape}; b must be "
                         f"(n,) or (..., n, k){at(user_location())}")
    t = _triangle(a, lower, unit_diagonal)
    if not unit_diagonal:
        # a zero on the diagonal: SciPy raises LinAlgError. The general solve below finds an
        # exactly zero pivot only for some triangles (pivoting a lower one may round it away
        # and give huge finite numbers), so a singular triangle is solved as the zero matrix,
        # which raises when evaluated
        d = wnp.diagonal(t, axis1=-2, axis2=-1)
        singular = wnp.stop_gradient(wnp.any(d == 0, axis=-1))
        t = wnp.where(wnp.expand_dims(singular, (-1, -2)), 0.0, t)
    if code:
        t = wnp.swapaxes(t, -1, -2)
        if code == 2:
            t = wnp.conj(t)
    return wnp.linalg.solve(t, b)


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factor of a Hermitian positive-definite matrix: upper ``U`` with ``a = UᴴU``
    (SciPy's default), or lower ``L`` with ``a = L Lᴴ``. Reads only that triangle of ``a``.

    >>> cholesky(np.array([[4.0, 2.0], [2.0, 2.0]]))
    array([[2., 1.],
           [0., 1.]])
    """
    _finite("cholesky", check_finite, a)
    if not _traced(a) and _sl is not None and np.ndim(a) == 2:
        return _sl.cholesky(a, lower=lower, check_finite=False)
    a = _float(a)
    _square(a, "cholesky")
    return wnp.linalg.cholesky(a, upper=not lower)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` for :func:`cho_solve`: ``c`` holds the Cholesky factor in its ``lower``
    (or upper) triangle and, as in SciPy, ``a``'s own entries in the other triangle.

    >>> c, low = cho_factor(np.array([[4.0, 2.0], [2.0, 2.0]]))
    >>> c, low
    (array([[2., 1.],
           [2., 1.]]), False)
    """
    _finite("cho_factor", check_finite, a)
    if not _traced(a) and _sl is not None and np.ndim(a) == 2:
        return _sl.cho_factor(a, lower=lower, check_finite=False)
    a = _float(a)
    n = _square(a, "cho_factor")
    factor = cholesky(a, lower=lower, check_finite=False)
    keep = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    return wnp.where(keep, factor, a), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` given ``(c, lower) = cho_factor(a)``.

    >>> a = np.array([[4.0, 2.0], [2.0, 2.0]])
    >>> cho_solve(cho_factor(a), np.array([6.0, 4.0]))
    array([1., 1.])
    """
    c, lower = c_and_lower
    _finite("cho_solve", check_finite, c, b)
    if not _traced(c, b) and _sl is not None and np.ndim(c) == 2:
        return _sl.cho_solve((c, lower), b, check_finite=False)
    if lower:
        y = solve_triangular(c, b, lower=True, check_finite=False)
        return solve_triangular(c, y, trans=2, lower=True, check_finite=False)
    y = solve_triangular(c, b, trans=2, lower=False, check_finite=False)
    return solve_triangular(c, y, lower=False, check_finite=False)
