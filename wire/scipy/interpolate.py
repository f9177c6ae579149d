"""``wire.scipy.interpolate``: ``RegularGridInterpolator`` of ``jax.scipy.interpolate``
(``'linear'`` and ``'nearest'`` on a rectilinear grid), differentiable in the values, the
query points and the grid, a pytree (it passes through ``wire.jit`` and ``wire.vmap``).

As SciPy and unlike JAX: a decreasing grid axis works, also traced (JAX silently gives wrong
numbers; a grid in no order is refused where its values are known, not under ``wire.jit``),
a NaN query point gives NaN (JAX's ``'nearest'`` gives the last value, and both methods
``fill_value`` when another coordinate is outside the grid), and
``bounds_error=True`` raises for points outside the grid when their values are known.

>>> import numpy as np
>>> from wire.scipy.interpolate import RegularGridInterpolator
>>> f = RegularGridInterpolator((np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])),
...                             np.array([[10.0, 20, 30], [40, 50, 60], [70, 80, 90]]))
>>> f(np.array([[1.5, 4.5], [2.2, 5.8], [0.0, 5.0]]))
array([30., 64., nan])
"""

from __future__ import annotations

import functools
import itertools
import operator

import numpy as np

from .. import numpy as wnp
from .. import tree
from ..api.concrete import BatchedDecision
from ..core import Tracer
from ..errors import (ShapeError, TracerBoolError, WireNotImplementedError, WireTypeError,
                      WireValueError, at, user_location)
from ..tracebacks import expose
from .ndimage import _gather

__all__ = ["RegularGridInterpolator"]

_METHODS = ("linear", "nearest")


def _dtype(x):
    return x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype


def _inexact(x):
    return x if _dtype(x).kind in "fc" else x.astype(np.float64)


def _method(method):
    if method not in _METHODS:
        raise WireValueError(f"RegularGridInterpolator: method must be 'linear' or 'nearest', "
                             f"got {method!r}{at(user_location())}")
    return method


class RegularGridInterpolator:
    """Interpolation on the grid ``points`` (one 1-d array per axis) of ``values`` (whose
    first ``len(points)`` axes are the grid's; further axes are carried along), as
    ``jax.scipy.interpolate.RegularGridInterpolator``.

    ``method`` ``'linear'`` or ``'nearest'`` (a tie goes to the lower point, as SciPy);
    outside the grid the result is ``fill_value`` (default NaN), or extrapolated when it is
    ``None``; ``bounds_error=True`` raises instead (for points whose values are known, so
    not under ``wire.jit``). Call it with points of shape ``(..., ndim)`` or a tuple of
    ``ndim`` arrays; the result has shape ``(...,) + values.shape[ndim:]``.

    >>> import numpy as np, wire
    >>> f = RegularGridInterpolator((np.array([0.0, 1.0, 3.0]),), np.array([0.0, 2.0, 3.0]),
    ...                             fill_value=None)
    >>> f(np.array([[0.5], [2.0], [4.0]]))          # 4.0: extrapolated
    array([1. , 2.5, 3.5])
    >>> wire.grad(lambda x: f(x).sum())(np.array([[0.5], [2.0]]))
    array([[2. ],
           [0.5]])
    """

    def __init__(self, points, values, method="linear", bounds_error=False,
                 fill_value=np.nan):
        self.method = _method(method)
        self.bounds_error = bool(bounds_error)
        if not isinstance(values, Tracer):
            values = np.asarray(values)
        if _dtype(values).kind not in "biufc":
            raise WireTypeError(f"RegularGridInterpolator: values must be numeric, got dtype "
                                f"{_dtype(values)}{at(user_location())}")
        values = _inexact(values)
        vshape = tuple(wnp.shape(values))
        points = tuple(p if isinstance(p, Tracer) else np.asarray(p) for p in points)
        if len(points) > len(vshape):
            raise ShapeError(f"RegularGridInterpolator: there are {len(points)} point arrays, "
                             f"but values has {len(vshape)} dimensions{at(user_location())}")
        for d, p in enumerate(points):
            n = tuple(wnp.shape(p))
            if len(n) != 1 or n[0] != vshape[d]:
                raise ShapeError(f"RegularGridInterpolator: points[{d}] must be 1-d of length "
                                 f"{vshape[d]} (values.shape[{d}]), got shape {n}"
                                 f"{at(user_location())}")
            if n[0] < (2 if self.method == "linear" else 1):
                raise ShapeError(f"RegularGridInterpolator: there are {n[0]} points in "
                                 f"dimension {d}, but method {self.method!r} needs at least "
                                 f"{2 if self.method == 'linear' else 1}{at(user_location())}")
            if n[0] < 2:
                continue
            step = wnp.diff(p) if isinstance(p, Tracer) else np.diff(p)
            try:  # (a tracer's values are known in eager transforms, not under jit)
                descending, ascending = bool(wnp.all(step < 0)), bool(wnp.all(step > 0))
            except BatchedDecision:  # examples that differ: vmap runs each group apart
                raise
            except TracerBoolError:
                # under jit: a descending axis is flipped where it is one (JAX takes every
                # axis as ascending and gives NaN or wrong numbers); a grid in no order
                # cannot be refused here
                desc = p[0] > p[n[0] - 1]
                points = points[:d] + (wnp.where(desc, wnp.flip(p), p),) + points[d + 1:]
                values = wnp.where(desc, wnp.flip(values, axis=d), values)
                continue
            if descending:  # SciPy flips a descending axis
                points = points[:d] + (wnp.flip(p) if isinstance(p, Tracer) else p[::-1],) \
                    + points[d + 1:]
                values = wnp.flip(values, axis=d)
            elif not ascending:
                raise WireValueError(f"RegularGridInterpolator: the points in dimension {d} "
                                     f"must be strictly ascending or descending"
                                     f"{at(user_location())}")
        if fill_value is not None:
            fdtype = _dtype(fill_value)
            if not np.can_cast(fdtype, _dtype(values), casting="same_kind"):
                raise WireTypeError(f"RegularGridInterpolator: fill_value ({fdtype}) must be "
                                    f"None or castable to the values' dtype {_dtype(values)}"
                                    f"{at(user_location())}")
        self.grid = points
        self.values = values
        self.fill_value = fill_value

    def __call__(self, xi, method=None):
        """The interpolated values at the points ``xi`` (see the class).

        >>> import numpy as np
        >>> f = RegularGridInterpolator((np.arange(3.0),), np.array([1.0, 2.0, 4.0]))
        >>> f(np.array([[0.5], [1.5]]), method="nearest")
        array([1., 2.])
        """
        method = self.method if method is None else _method(method)
        ndim = len(self.grid)
        if isinstance(xi, tuple):
            parts = [x if isinstance(x, Tracer) else np.asarray(x) for x in xi]
            if len(parts) == 1:
                xi = parts[0]
            else:
                parts = wnp.broadcast_arrays(*parts)
                xi = wnp.stack(parts, axis=-1)
        if not isinstance(xi, Tracer):
            xi = np.asarray(xi)
        shape = tuple(wnp.shape(xi))
        if len(shape) <= 1:
            xi = wnp.reshape(xi, (-1, ndim))
            shape = tuple(wnp.shape(xi))
        if shape[-1] != ndim:
            raise ShapeError(f"RegularGridInterpolator: the points xi have dimension "
                             f"{shape[-1]} (shape {shape}), but the grid has {ndim}"
                             f"{at(user_location())}")
        flat = wnp.reshape(xi, (-1, ndim))
        corners, nan, outside = [], None, None
        for d, g in enumerate(self.grid):
            x = flat[:, d]
            n = tuple(wnp.shape(g))[0]
            lost = wnp.isnan(x)
            out = (x < g[0]) | (x > g[n - 1])
            nan = lost if nan is None else nan | lost
            outside = out if outside is None else outside | out
            if n == 1:  # (nearest only)
                corners.append([(wnp.zeros(wnp.shape(x), np.intp), None)])
                continue
            i = wnp.clip(wnp.searchsorted(g, x) - 1, 0, n - 2)
            lo, hi = wnp.take(g, i), wnp.take(g, i + 1)
            t = (x - lo) / (hi - lo)
            if method == "nearest":
                corners.append([(wnp.where(t <= 0.5, i, i + 1), None)])
            else:
                corners.append([(i, 1 - t), (i + 1, t)])
        extra = len(wnp.shape(self.values)) - ndim
        terms = []
        for corner in itertools.product(*corners):
            sample = _gather(self.values, tuple(i for i, _ in corner))
            weights = [w for _, w in corner if w is not None]
            if weights:
                w = functools.reduce(operator.mul, weights)
                sample = sample * wnp.reshape(w, tuple(wnp.shape(w)) + (1,) * extra)
            terms.append(sample)
        result = functools.reduce(operator.add, terms)
        if self.bounds_error:
            try:
                any_outside = bool(wnp.any(outside))
            except TracerBoolError:
                raise WireNotImplementedError(
                    "RegularGridInterpolator: bounds_error=True needs the points' values, "
                    "which wire.jit does not know; use bounds_error=False (and fill_value)"
                    f"{at(user_location())}") from None
            if any_outside:
                raise WireValueError(f"RegularGridInterpolator: points outside the grid "
                                     f"(bounds_error=True){at(user_location())}")
        mask = lambda m: wnp.reshape(m, tuple(wnp.shape(m)) + (1,) * extra)  # noqa: E731
        if self.fill_value is not None:
            fill = wnp.asarray(self.fill_value).astype(_dtype(result)) if not isinstance(
                self.fill_value, Tracer) else self.fill_value
            result = wnp.where(mask(outside), fill, result)
        # a NaN point gives NaN, also outside the grid on another axis (as SciPy)
        result = wnp.where(mask(nan), np.nan, result)
        return wnp.reshape(result, shape[:-1] + tuple(wnp.shape(self.values))[ndim:])


def _flatten(f):
    return (f.grid, f.values, f.fill_value), (f.method, f.bounds_error)


def _unflatten(aux, children):
    """Rebuilt as it was (not through ``__init__``, whose checks need values)."""
    f = object.__new__(RegularGridInterpolator)
    f.grid, f.values, f.fill_value = children
    f.grid = tuple(f.grid)
    f.method, f.bounds_error = aux
    return f


tree.register(RegularGridInterpolator, _flatten, _unflatten)

expose(globals(), __all__)
