"""``wire.scipy.ndimage``: ``map_coordinates`` with ``jax.scipy.ndimage``'s semantics
(orders 0 and 1), differentiable in the input and (order 1) in the coordinates.

Each output value is a weighted sum of gathered input values: order 0 takes the nearest
sample (rounding halves away from zero, as JAX: ``-0.5`` goes to ``-1``), order 1 the
``2**ndim`` corners with the linear weights. The boundary modes are SciPy's documented ones as
JAX implements them: ``'constant'`` is SciPy's ``'grid-constant'`` (each corner outside the
input counts as ``cval``) and ``'wrap'`` is SciPy's ``'grid-wrap'`` (period ``size``);
``'nearest'``, ``'mirror'`` and ``'reflect'`` are SciPy's.

Where JAX gives a wrong number wire differs: a NaN coordinate gives NaN (JAX's order 0
returns ``input[0]``), an infinite coordinate gives NaN where it has no position (order 1,
and order 0 in ``'wrap'``, ``'mirror'``, ``'reflect'``), and coordinates beyond ``2**31``
are placed exactly (JAX's int32 indices saturate).

>>> import numpy as np
>>> from wire.scipy.ndimage import map_coordinates
>>> map_coordinates(np.arange(12.0).reshape(3, 4), [np.array([0.5, 1.5]),
...                 np.array([1.5, 2.5])], order=1)
array([3.5, 8.5])
"""

from __future__ import annotations

import functools
import itertools
import operator

import numpy as np

from .. import numpy as wnp
from ..core import Tracer
from ..errors import ShapeError, WireNotImplementedError, WireTypeError, at, user_location
from ..tracebacks import expose

__all__ = ["map_coordinates"]

_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _dtype(x):
    return x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype


def _mirror(index, size):
    """The triangular wave of period ``2 (size - 1)`` (SciPy's 'mirror'), on float indices."""
    s = size - 1
    if s == 0:
        return wnp.zeros_like(index) + 0 * index  # NaN stays NaN (marks no position)
    return wnp.abs(wnp.mod(index + s, 2 * s) - s)


def _reflect(index, size):
    return wnp.floor((_mirror(2 * index + 1, 2 * size + 1) - 1) / 2)


_FIXERS = {
    "constant": lambda index, size: index,
    "nearest": lambda index, size: wnp.clip(index, 0, size - 1),
    "wrap": lambda index, size: wnp.mod(index, size),
    "mirror": _mirror,
    "reflect": _reflect,
}


def _gather(values, indices):
    """``values[indices]`` for a tuple of integer arrays indexing the leading axes, also when
    ``values`` is a NumPy array and the indices are traced (NumPy would convert them): one
    ``take`` of the flattened leading axes."""
    shape = tuple(wnp.shape(values))
    k = len(indices)
    flat = indices[0]
    for i, n in zip(indices[1:], shape[1:k]):
        flat = flat * n + i
    return wnp.take(wnp.reshape(values, (-1,) + shape[k:]), flat, axis=0)


def _round_half_away(c):
    """Round to the nearest integer, halves away from zero (``lax.round``; NumPy's
    ``round`` takes halves to even). ``c - trunc(c)`` is exact, so no double rounding."""
    t = wnp.trunc(c)
    return t + wnp.where(wnp.abs(c - t) >= 0.5, wnp.sign(c), 0.0)


def map_coordinates(input, coordinates, order, mode="constant", cval=0.0):
    """``input`` interpolated at ``coordinates`` (one array per axis of ``input``, all of one
    shape: the output's), as ``jax.scipy.ndimage.map_coordinates``.

    ``order`` 0 (nearest sample, halves rounded away from zero) or 1 (linear); ``mode``
    ``'constant'`` (outside samples are ``cval``; SciPy's ``'grid-constant'``),
    ``'nearest'``, ``'wrap'`` (period ``size``; SciPy's ``'grid-wrap'``), ``'mirror'`` or
    ``'reflect'``. The result has ``input``'s dtype (integer results rounded as JAX does;
complex inputs interpolate both parts).
    Differentiable in ``input`` and, for order 1, in ``coordinates`` (at an integer
    coordinate the derivative is the one from the right, as JAX's).

    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 4.0])
    >>> map_coordinates(x, [np.array([-0.5, 0.25, 2.5])], order=1)
    array([0.5 , 1.25, 2.  ])
    >>> map_coordinates(x, [np.array([-0.5, 0.5, 3.0])], order=0, mode="wrap")
    array([4., 2., 1.])
    >>> import wire
    >>> wire.grad(lambda c: map_coordinates(x, [c], order=1).sum())(np.array([0.5, 1.5]))
    array([1., 2.])
    """
    if isinstance(order, bool) or order not in (0, 1):
        raise WireNotImplementedError(
            f"map_coordinates: order must be 0 (nearest) or 1 (linear), as JAX's, got "
            f"{order!r}{at(user_location())}")
    if mode not in _MODES:
        raise WireNotImplementedError(
            f"map_coordinates: mode must be one of {_MODES}, got {mode!r}"
            f"{at(user_location())}")
    if not isinstance(input, Tracer):
        input = np.asarray(input)
    shape = tuple(wnp.shape(input))
    kind = _dtype(input)
    if kind.kind not in "biufc":
        raise WireTypeError(f"map_coordinates: input must be numeric, got dtype {kind}"
                            f"{at(user_location())}")
    if isinstance(coordinates, (list, tuple)):
        coords = list(coordinates)
    else:
        coords = [coordinates[i] for i in range(tuple(wnp.shape(coordinates))[0])] if (
            wnp.shape(coordinates)) else [coordinates]
    if len(coords) != len(shape):
        raise ShapeError(f"map_coordinates: coordinates must be a sequence of length "
                         f"input.ndim ({len(shape)}), got {len(coords)}{at(user_location())}")
    coords = [c if isinstance(c, Tracer) else np.asarray(c) for c in coords]
    cshapes = {tuple(wnp.shape(c)) for c in coords}
    if len(cshapes) > 1:
        raise ShapeError(f"map_coordinates: the coordinate arrays must have one shape, got "
                         f"{[tuple(wnp.shape(c)) for c in coords]}{at(user_location())}")
    for c in coords:
        if _dtype(c).kind not in "biuf":
            raise WireTypeError(f"map_coordinates: coordinates must be real, got dtype "
                                f"{_dtype(c)}{at(user_location())}")
    if 0 in shape and mode != "constant":
        raise ShapeError(f"map_coordinates: mode {mode!r} needs a non-empty input, got shape "
                         f"{shape}{at(user_location())}")
    out_shape = next(iter(cshapes)) if cshapes else ()
    # weights and index arithmetic in the coordinates' float type (integers as float64)
    fdtype = np.result_type(*[_dtype(c) if _dtype(c).kind == "f" else np.float64
                              for c in coords]) if coords else np.dtype(np.float64)
    coords = [c.astype(fdtype) if _dtype(c) != fdtype else c for c in coords]
    if not shape:  # a 0-d input: nothing to index
        return wnp.broadcast_to(input, out_shape)
    with np.errstate(invalid="ignore"):  # NaN/inf coordinates: marked below, not warned
        return _interpolate(input, coords, shape, kind, fdtype, order, mode, cval)


def _interpolate(input, coords, shape, kind, fdtype, order, mode, cval):
    fixer = _FIXERS[mode]
    per_axis = []
    bad = None  # where a coordinate has no position (NaN, or inf in a periodic mode)
    for c, size in zip(coords, shape):
        if order == 0:
            nodes = [(_round_half_away(c), None)]
        else:
            lower = wnp.floor(c)
            upper_weight = c - lower
            nodes = [(lower, 1 - upper_weight), (lower + 1, upper_weight)]
        axis_nodes = []
        for index, weight in nodes:
            fixed = fixer(index, size)
            lost = wnp.isnan(fixed) | wnp.isnan(c)
            bad = lost if bad is None else bad | lost
            valid = ((index >= 0) & (index < size)) if mode == "constant" else None
            safe = wnp.where(wnp.isfinite(fixed), wnp.clip(fixed, 0, max(size - 1, 0)), 0)
            axis_nodes.append((safe.astype(np.intp), valid, weight))
        per_axis.append(axis_nodes)
    work = np.result_type(kind, fdtype) if kind.kind in "fc" else fdtype
    values = input.astype(work) if kind != work else input
    # cval in the input's dtype first, as JAX (traced too: a traced 2.5 stayed 2.5 for an
    # integer input where a concrete one is 2)
    cval = wnp.asarray(cval).astype(kind).astype(work)
    if 0 in shape:  # constant mode: every corner lies outside
        values = wnp.zeros(tuple(max(s, 1) for s in shape), work)
    terms = []
    for corner in itertools.product(*per_axis):
        indices = tuple(i for i, _, _ in corner)
        valids = [v for _, v, _ in corner if v is not None]
        weights = [w for _, _, w in corner if w is not None]
        sample = _gather(values, indices)
        if valids:
            sample = wnp.where(functools.reduce(operator.and_, valids), sample, cval)
        terms.append(functools.reduce(operator.mul, weights) * sample if weights else sample)
    result = functools.reduce(operator.add, terms)
    if kind.kind in "fc":
        result = wnp.where(bad, np.nan, result)
        return result.astype(kind) if work != kind else result
    result = wnp.where(bad, cval, result)
    if kind.kind == "b":
        return result != 0
    return _round_half_away(result).astype(kind)


expose(globals(), __all__)
