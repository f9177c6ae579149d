"""Gathers and rearrangements of ``wire.numpy``, composed from ``getitem`` (gather),
``concatenate``, ``reshape``/``broadcast_to`` and ``select``: ``take``, ``take_along_axis``,
``diag``/``diagonal``/``trace``, ``triu``/``tril``, ``tile``, ``repeat``, ``roll``, ``flip``,
``rot90``, ``pad``, ``meshgrid``, ``select``, ``append``, ``delete``, ``kron``, ``cross``.

Index patterns that depend only on shapes (roll, reflect-padding, repeat …) are computed once
with NumPy on ``arange`` and applied as one gather, so each derivative is one scatter-add.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..errors import (
    ShapeError, ShapeTypeError, WireAxisError, WireError, WireIndexError, WireTypeError, WireValueError, at,
    user_location,
)
from ..ops import shape as S
from ..ops import sorting as SO
from ..ops.indexing import take_along_axis as take_along
from ..core import Tracer
from ._math import clip, floor, isnan, where
from ._promote import promote, refuse_out, strong
from ._reductions import any as any_
from ._reductions import max as max_
from ._reductions import mean, normalize_axes, sum
from ._reductions import min as min_
from ._shape import (
    atleast_3d, broadcast_to, concatenate, moveaxis, ravel, reshape, stack, transpose,
)

__all__ = [
    "append",
    "column_stack",
    "cross",
    "delete",
    "diag",
    "diagflat",
    "diagonal",
    "dstack",
    "flip",
    "fliplr",
    "flipud",
    "kron",
    "meshgrid",
    "pad",
    "repeat",
    "roll",
    "rot90",
    "select",
    "take",
    "take_along_axis",
    "tile",
    "trace",
    "tri",
    "tril",
    "triu",
]


def _t(*xs) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


def _axis(axis, ndim, what):
    if not -ndim <= axis < ndim:
        raise WireAxisError(f"{what}: axis {axis} is out of bounds for an array of rank {ndim}"
                            f"{at(user_location())}")
    return axis % ndim


def _gather_axis(a, idx, axis):
    """``a`` indexed by integer array ``idx`` along ``axis`` (``np.take`` semantics)."""
    spec = (("s", None, None, None),) * axis + (("a", 0),)
    return S.getitem(a, [idx], spec)


def _fill_mode(name, mode, fill_value, modes):
    """JAX's ``mode``/``fill_value``: ``"fill"`` where asked, or where a ``fill_value``
    comes without a mode (JAX's default mode is ``"fill"``); NumPy's ``"raise"`` otherwise."""
    if mode is None:
        mode = "raise" if fill_value is None else "fill"
    if mode not in modes:
        raise WireValueError(f"{name}: mode must be one of {', '.join(map(repr, modes))} (got "
                             f"{mode!r}){at(user_location())}")
    return mode


def _default_fill(dt: np.dtype):
    """JAX's fill for out-of-bounds indices: NaN, the most negative signed integer, the
    largest unsigned one, True."""
    if dt.kind in "fc":
        return np.nan
    if dt.kind == "i":
        return np.iinfo(dt).min
    if dt.kind == "u":
        return np.iinfo(dt).max
    return True


def _take_filled(a, indices, axis, fill_value, gather):
    """JAX's ``mode="fill"``: negative indices count from the end; those out of bounds give
    ``fill_value`` (and no derivative). ``gather(a, safe_indices)`` is the in-bounds gather."""
    aval_dt = a.dtype if isinstance(a, Tracer) else np.asarray(a).dtype
    shape = tuple(a.shape) if isinstance(a, Tracer) else np.shape(a)
    n = shape[axis]
    indices = indices if isinstance(indices, Tracer) else np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise WireTypeError(f"take: indices must be integers, got dtype {indices.dtype}"
                            f"{at(user_location())}")
    fill = np.asarray(_default_fill(aval_dt) if fill_value is None else fill_value)
    if fill.shape != ():
        raise WireValueError(f"take: fill_value must be a scalar, got shape {fill.shape}"
                             f"{at(user_location())}")
    fill = fill.astype(aval_dt)
    idx = where(indices < 0, indices + n, indices)
    outside = (idx < 0) | (idx >= n)
    if n == 0:  # every index is outside: gather from one stand-in entry, then fill
        a = np.zeros(shape[:axis] + (1,) + shape[axis + 1:], aval_dt)
    return outside, fill, gather(a, where(outside, 0, idx))


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """Elements of ``a`` at ``indices`` along ``axis`` (flattened if None); ``indices`` may be
    traced integers. ``mode``: "raise" (NumPy's default: error at evaluation), "wrap",
    "clip", or JAX's "fill": out-of-bounds indices give ``fill_value`` (JAX's default: NaN,
    the most negative integer, the largest unsigned one, True); a ``fill_value`` without a
    mode means "fill", as in JAX. ``unique_indices`` and ``indices_are_sorted`` (JAX's hints)
    are accepted.

    >>> take(np.array([4.0, 5.0, 6.0]), [2, 0])
    array([6., 4.])
    >>> take(np.array([4.0, 5.0, 6.0]), [2, 5, -1], fill_value=0.0)
    array([6., 0., 6.])
    """
    mode = _fill_mode("take", mode, fill_value, ("raise", "wrap", "clip", "fill"))
    if mode == "fill":
        refuse_out(out, "take")
        a = a if isinstance(a, Tracer) else np.asarray(a)
        if axis is None:
            a, axis = ravel(a), 0
        axis = _axis(axis, len(a.shape), "take")
        if a.shape[axis] == 0 and np.size(indices) if not isinstance(indices, Tracer) else \
                a.shape[axis] == 0 and indices.size:
            raise WireIndexError(f"take: cannot do a non-empty take from an empty axis (axis "
                                 f"{axis} of shape {tuple(a.shape)}; JAX refuses it too)"
                                 f"{at(user_location())}")
        outside, fill, out = _take_filled(a, indices, axis, fill_value,
                                          lambda v, i: take(v, i, axis=axis))
        mask = reshape(outside, (1,) * axis + tuple(outside.shape)
                       + (1,) * (len(a.shape) - axis - 1))
        return where(mask, fill, out)
    if not _t(a, indices):
        return np.take(a, indices, axis=axis, out=out, mode=mode)
    refuse_out(out, "take")
    if not isinstance(a, Tracer):
        a = S.to_tracer(np.asarray(a))
    if mode not in ("raise", "wrap", "clip"):
        raise WireValueError(f"take: mode must be one of 'clip', 'raise', or 'wrap' (got "
                             f"{mode!r}){at(user_location())}")
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis(axis, a.ndim, "take")
    n = a.shape[axis]
    if not isinstance(indices, Tracer):
        given, indices = indices, np.asarray(indices)
        # NumPy casts to intp ('same_kind'): floats are refused, an empty list is not
        if indices.dtype.kind not in "iub" and (indices.size or isinstance(given, np.ndarray)):
            raise WireTypeError(f"take: indices must be integers, got dtype {indices.dtype}"
                                f"{at(user_location())}")
    if n == 0 and indices.size:
        raise WireIndexError(f"take: cannot do a non-empty take from an empty axis (axis {axis} "
                             f"of {a.aval!r}){at(user_location())}")
    if isinstance(indices, Tracer):
        if indices.dtype.kind not in "iu":
            raise WireTypeError(f"take: indices must be integers, got {indices.aval!r}"
                                f"{at(user_location())}")
        if mode == "wrap":
            indices = indices % n
        elif mode == "clip":
            indices = clip(indices, 0, n - 1)
        else:  # NumPy's negative indices; those below -n go past the end, to fail as NumPy's
            indices = where(indices < -n, n, where(indices < 0, indices + n, indices))
    else:
        if mode == "wrap":
            indices = indices % n
        elif mode == "clip":
            indices = np.clip(indices, 0, n - 1)
        elif indices.size and (indices.max() >= n or indices.min() < -n):
            bad = int(indices.max() if indices.max() >= n else indices.min())
            raise WireIndexError(f"take: index {bad} is out of bounds for axis {axis} with size "
                                 f"{n}{at(user_location())}")
        indices = indices.astype(np.intp)
    return _gather_axis(a, indices, axis)


def take_along_axis(arr, indices, axis=-1, mode=None, fill_value=None):
    """Values of ``arr`` at ``indices`` along ``axis`` (as returned by ``argsort``); the
    derivative scatters back to those places. JAX's ``mode="fill"`` (or a ``fill_value``)
    gives ``fill_value`` at out-of-bounds indices, and its ``mode="clip"`` clamps them
    (negative ones counted from the end first); the default raises, as NumPy does.

    >>> take_along_axis(np.array([[3.0, 1.0, 2.0]]), np.array([[1, 2, 0]]), axis=1)
    array([[1., 2., 3.]])
    >>> take_along_axis(np.array([3.0, 1.0]), np.array([1, 2, -1]), 0, fill_value=0.0)
    array([1., 0., 1.])
    """
    mode = _fill_mode("take_along_axis", mode, fill_value, ("raise", "clip", "fill"))
    if mode != "raise":
        arr = arr if isinstance(arr, Tracer) else np.asarray(arr)
        if axis is None:
            arr, axis, indices = ravel(arr), 0, ravel(indices)
        axis = _axis(axis, len(arr.shape), "take_along_axis")
        n = arr.shape[axis]
        if mode == "clip":
            idx = indices if isinstance(indices, Tracer) else np.asarray(indices)
            idx = where(idx < 0, idx + n, idx)
            return take_along_axis(arr, clip(idx, 0, builtins.max(n - 1, 0)), axis)
        outside, fill, out = _take_filled(arr, indices, axis, fill_value,
                                          lambda v, i: take_along_axis(v, i, axis))
        return where(outside, fill, out)
    if not _t(arr, indices):
        return np.take_along_axis(arr, indices, axis=axis)
    if not isinstance(arr, Tracer):
        arr = S.to_tracer(np.asarray(arr))
    if axis is None:
        arr, axis = ravel(arr), 0
    nd = arr.ndim
    axis = _axis(axis, nd, "take_along_axis")
    ishape = indices.shape if isinstance(indices, Tracer) else np.shape(indices)
    if len(ishape) != nd:
        raise ShapeError(
            f"take_along_axis: indices of shape {tuple(ishape)} must have the rank of {arr.aval!r}"
            f"{at(user_location())}"
        )
    idt = indices.dtype if isinstance(indices, Tracer) else np.asarray(indices).dtype
    if idt.kind not in "iu":
        raise WireIndexError(f"take_along_axis: `indices` must be an integer array, got dtype "
                             f"{idt}{at(user_location())}")
    if not isinstance(indices, Tracer):
        indices = np.asarray(indices)
        n = arr.shape[axis]
        if indices.size and (indices.max() >= n or indices.min() < -n):
            bad = int(indices.max() if indices.max() >= n else indices.min())
            raise WireIndexError(f"take_along_axis: index {bad} is out of bounds for axis "
                                 f"{axis} with size {n}{at(user_location())}")
        indices = indices.astype(np.intp)
    return take_along(arr, indices, axis)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """Diagonal of the ``axis1``/``axis2`` planes, as a last axis (NumPy's ``diagonal``).

    >>> diagonal(np.arange(9.0).reshape(3, 3), 1)
    array([1., 5.])
    """
    if not _t(a):
        return np.diagonal(a, offset, axis1, axis2)
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = a.shape[-2:]
    if offset >= 0:
        k = builtins.max(0, builtins.min(n, m - offset))
        rows, cols = np.arange(k), np.arange(k) + offset
    else:
        k = builtins.max(0, builtins.min(n + offset, m))
        rows, cols = np.arange(k) - offset, np.arange(k)
    return S.getitem(a, [rows, cols], (("e",), ("a", 0), ("a", 1)))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    """Sum along a diagonal.

    >>> float(trace(np.eye(3)))
    3.0
    """
    if not _t(a):
        return np.trace(a, offset, axis1, axis2, dtype)
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def diag(v, k=0):
    """Diagonal of a matrix, or a matrix with ``v`` on its ``k``-th diagonal.

    >>> diag(np.array([1.0, 2.0]))
    array([[1., 0.],
           [0., 2.]])
    """
    if not _t(v):
        return np.diag(v, k)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ShapeError(f"diag: input must be 1-D or 2-D, got {v.aval!r}{at(user_location())}")
    n = v.shape[0]
    # a choice, not a product with eye: nan * 0 would put NaN off the diagonal
    m = where(np.eye(n, dtype=bool), reshape(v, (n, 1)), np.zeros((), v.dtype))
    if k > 0:
        m = pad(m, ((0, k), (k, 0)))
    elif k < 0:
        m = pad(m, ((-k, 0), (0, -k)))
    return m


def diagflat(v, k=0):
    """``diag`` of the flattened input."""
    if not _t(v):
        return np.diagflat(v, k)
    return diag(ravel(v), k)


def tri(N, M=None, k=0, dtype=float):
    """Ones at and below the ``k``-th diagonal (a constant)."""
    return np.tri(N, M, k, dtype)


def _tri_mask(a, k, upper):
    """NumPy's mask of the last two axes; a 1-D ``a`` is a row broadcast to a square."""
    if a.ndim == 0:
        raise ShapeTypeError(f"{'triu' if upper else 'tril'} of a 0-d array {a.aval!r} (NumPy "
                             f"refuses it too, with TypeError){at(user_location())}")
    n, m = a.shape[-2:] if a.ndim > 1 else (a.shape[0], a.shape[0])
    mask = np.tri(n, m, k - 1 if upper else k, dtype=bool)
    return ~mask if upper else mask


def tril(m, k=0):
    """Lower triangle (zeros above the ``k``-th diagonal) of the last two axes."""
    if not _t(m):
        return np.tril(m, k)
    return where(_tri_mask(m, k, False), m, np.zeros((), m.dtype))


def triu(m, k=0):
    """Upper triangle (zeros below the ``k``-th diagonal) of the last two axes."""
    if not _t(m):
        return np.triu(m, k)
    return where(_tri_mask(m, k, True), m, np.zeros((), m.dtype))


def flip(m, axis=None):
    """Reverse the order of elements along ``axis`` (all axes by default).

    >>> flip(np.array([1.0, 2.0, 3.0]))
    array([3., 2., 1.])
    """
    if not _t(m):
        return np.flip(m, axis)
    axes = normalize_axes(axis, m.ndim)
    return m[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(m.ndim))]


def fliplr(m):
    """Reverse the second axis."""
    return flip(m, 1)


def flipud(m):
    """Reverse the first axis."""
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (which must be two different
    axes, as NumPy checks).

    >>> rot90(np.array([[1, 2], [3, 4]]))
    array([[2, 4],
           [1, 3]])
    """
    if not _t(m):
        return np.rot90(m, k, axes)
    axes = tuple(axes)
    if len(axes) != 2:
        raise WireValueError(f"rot90: len(axes) must be 2, got {axes}{at(user_location())}")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == m.ndim:
        raise WireValueError(f"rot90: axes must be different, got {axes}{at(user_location())}")
    if builtins.any(not -m.ndim <= int(a) < m.ndim for a in axes):
        raise WireValueError(f"rot90: axes={axes} out of range for an array of rank {m.ndim}"
                             f"{at(user_location())}")
    k = int(k) % 4
    a0, a1 = axes[0] % m.ndim, axes[1] % m.ndim
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    perm = list(range(m.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(m, a1), perm)
    return flip(transpose(m, perm), a1)


def roll(a, shift, axis=None):
    """Shift elements cyclically along ``axis`` (flattened if None). As NumPy's, ``shift`` and
    ``axis`` broadcast against each other, and the shifts of a repeated axis add up; a shift
    may be a traced integer.

    >>> roll(np.array([1.0, 2.0, 3.0]), 1)
    array([3., 1., 2.])
    >>> roll(np.arange(6).reshape(2, 3), (1, 1), axis=(1, 1))
    array([[1, 2, 0],
           [4, 5, 3]])
    """
    if not _t(a, shift):
        return np.roll(a, shift, axis)
    if not isinstance(a, Tracer):
        a = S.to_tracer(np.asarray(a))
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    if isinstance(shift, Tracer):
        if shift.dtype.kind not in "iub" or shift.ndim > 1:
            raise WireTypeError(f"roll: shift must be an integer or a 1-d sequence of integers, "
                                f"got {shift.aval!r}{at(user_location())}")
        shifts = [shift] if shift.ndim == 0 else [shift[i] for i in range(shift.shape[0])]
    else:
        shifts = list(np.atleast_1d(np.asarray(shift)))
        if np.ndim(shift) > 1:
            raise WireValueError(f"roll: shift must be at most 1-d, got {shift!r}{at(user_location())}")
    axes = list(np.atleast_1d(np.asarray(axis)))
    if np.ndim(axis) > 1:
        raise WireValueError(f"roll: axis must be at most 1-d, got {axis!r}{at(user_location())}")
    if len(shifts) != len(axes) and 1 not in (len(shifts), len(axes)):
        raise WireValueError(f"roll: shape mismatch: {len(shifts)} shifts cannot be broadcast "
                             f"to {len(axes)} axes{at(user_location())}")
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(axes) == 1:
        axes = axes * len(shifts)
    total = {}
    for s, ax in zip(shifts, axes):
        ax = _axis(int(ax), a.ndim, "roll")
        total[ax] = total[ax] + s if ax in total else s
    for ax, s in total.items():
        n = a.shape[ax]
        if n == 0:
            continue
        if isinstance(s, Tracer):
            a = take(a, (np.arange(n) - s) % n, axis=ax)
        else:
            a = _gather_axis(a, np.roll(np.arange(n), int(s)), ax)
    return a


def tile(A, reps):
    """Repeat the whole array ``reps`` times (per axis).

    >>> tile(np.array([1.0, 2.0]), 2)
    array([1., 2., 1., 2.])
    """
    if not _t(A):
        return np.tile(A, reps)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    nd = builtins.max(len(reps), A.ndim)
    reps = (1,) * (nd - len(reps)) + reps
    a = reshape(A, (1,) * (nd - A.ndim) + A.shape)
    out_shape = tuple(r * d for r, d in zip(reps, a.shape))
    # NumPy refuses a negative count unless the array is empty and the result's shape is not
    # negative (tile(np.zeros((3, 0)), -1) is empty)
    if builtins.any(r < 0 for r in reps) and (A.size or builtins.any(d < 0 for d in out_shape)):
        raise WireValueError(f"tile: negative repetitions {reps}{at(user_location())}")
    if 0 in out_shape:  # nothing to repeat: an empty array of the result's shape
        return reshape(a[(slice(0, 0),) * a.ndim], out_shape)
    inter = []
    for r, d in zip(reps, a.shape):
        inter += [1, d]
    big = []
    for r, d in zip(reps, a.shape):
        big += [r, d]
    out = broadcast_to(reshape(a, inter), big)
    return reshape(out, tuple(r * d for r, d in zip(reps, a.shape)))


def repeat(a, repeats, axis=None):
    """Repeat each element ``repeats`` times (an int or one count per element).

    >>> repeat(np.array([1.0, 2.0]), 2)
    array([1., 1., 2., 2.])
    """
    if not _t(a):
        return np.repeat(a, repeats, axis)
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis(axis, a.ndim, "repeat")
    if isinstance(repeats, Tracer):
        raise WireError(f"repeat: counts must be concrete (they set the shape){at(user_location())}")
    try:
        idx = np.repeat(np.arange(a.shape[axis]), repeats)
    except ValueError as e:  # counts that do not match the axis, or negative ones
        raise WireValueError(f"repeat: {e} (repeats {repeats!r} for axis {axis} of {a.aval!r})"
                             f"{at(user_location())}") from None
    return _gather_axis(a, idx, axis)


def _pairs(value, ndim, what):
    """A pad argument (scalar, pair, or one pair per axis) as ``ndim`` pairs, as NumPy's."""
    try:
        return np.broadcast_to(np.asarray(value), (ndim, 2))
    except ValueError:
        raise WireValueError(f"pad: {what} {value!r} cannot be broadcast to ({ndim}, 2) for an "
                             f"array of rank {ndim}{at(user_location())}") from None


def _filled(shape, value, dtype):
    """An array of ``shape`` holding ``value`` as NumPy's assignment casts it (NaN into an
    integer array is a ``ValueError`` there, not the smallest integer)."""
    out = np.empty(shape, dtype)
    try:
        out[...] = value
    except (ValueError, OverflowError) as e:
        raise WireValueError(f"pad: constant {value!r} does not fit dtype {np.dtype(dtype)}: {e}"
                             f"{at(user_location())}") from None
    return out


def _pad_widths(pad_width, ndim):
    pw = _pairs(pad_width, ndim, "pad_width")
    if pw.dtype.kind not in "iu":
        raise WireTypeError(f"pad: pad_width must be integers, got {pad_width!r}{at(user_location())}")
    if (pw < 0).any():
        raise WireValueError(f"pad: widths must be non-negative, got {pad_width}{at(user_location())}")
    return [tuple(int(v) for v in row) for row in pw]


_PAD_KEYWORDS = {
    "constant": {"constant_values"}, "edge": set(), "wrap": set(), "empty": set(),
    "linear_ramp": {"end_values"}, "reflect": {"reflect_type"}, "symmetric": {"reflect_type"},
    "maximum": {"stat_length"}, "minimum": {"stat_length"}, "mean": {"stat_length"},
    "median": {"stat_length"},
}


def _slab(a, ax, start, stop):
    idx = [slice(None)] * a.ndim
    idx[ax] = slice(start, stop)
    return a[tuple(idx)]


def _widen(v, a, ax, width):
    """``v`` (size 1 along ``ax``) repeated ``width`` times along ``ax``, in ``a``'s dtype."""
    shape = list(a.shape)
    shape[ax] = width
    return broadcast_to(v, tuple(shape)).astype(a.dtype)


def _median(chunk, axis, keepdims=True):
    """NumPy's median along ``axis`` of a non-empty chunk (keeping the axis): the middle of
    the sorted values, or the mean of the two middle ones; NaN where the chunk holds a NaN."""
    if chunk.dtype.kind not in "fc":
        chunk = chunk.astype(np.float64)
    s = SO.sort(chunk, axis)
    n = s.shape[axis]
    lo, hi = _slab(s, axis, (n - 1) // 2, (n + 1) // 2), _slab(s, axis, n // 2, n // 2 + 1)
    acc = np.float32 if s.dtype == np.float16 else s.dtype
    # np.mean's sum starts from +0.0, so a mean of zeros is +0.0 (-0.0 + -0.0 is not)
    res = lo.astype(acc) + 0.0 if n % 2 else (lo.astype(acc) + 0.0 + hi.astype(acc)) / 2.0
    return where(isnan(_slab(s, axis, n - 1, n)), np.nan, res.astype(s.dtype))


def _pad_stat(out, ax, before, after, mode, lengths):
    stat = {"maximum": max_, "minimum": min_, "mean": mean, "median": _median}[mode]
    n = out.shape[ax]
    parts = []
    for width, length, first in ((before, lengths[0], True), (after, lengths[1], False)):
        if not width:
            parts.append(None)
            continue
        length = n if length is None else builtins.min(int(length), n)
        if length == 0 and mode in ("maximum", "minimum"):
            raise WireValueError(f"pad: stat_length of 0 yields no value for padding"
                                 f"{at(user_location())}")
        chunk = _slab(out, ax, 0, length) if first else _slab(out, ax, n - length, n)
        v = stat(chunk, axis=ax, keepdims=True)
        if out.dtype.kind in "iu" and mode in ("mean", "median"):
            v = np.round(v)  # NumPy rounds (half to even) before casting to an integer dtype
        parts.append(_widen(v, out, ax, width))
    return concatenate([p for p in (parts[0], out, parts[1]) if p is not None], axis=ax)


def _pad_ramp(out, ax, before, after, ends):
    n = out.shape[ax]
    parts = []
    for width, end, first in ((before, ends[0], True), (after, ends[1], False)):
        if not width:
            parts.append(None)
            continue
        edge = _slab(out, ax, 0, 1) if first else _slab(out, ax, n - 1, n)
        shape = [1] * out.ndim
        shape[ax] = width
        i = np.arange(width, dtype=np.float64).reshape(shape)
        if not first:
            i = i[tuple(slice(None, None, -1) if d == ax else slice(None) for d in range(out.ndim))]
        # NumPy's linspace(end, edge, width, endpoint=False), rounding for rounding: it
        # computes i * step + end, or (i / width) * delta for all entries if any step is 0
        dt = np.result_type(np.asarray(end).dtype, out.dtype)
        dt = dt if dt.kind in "fc" else np.dtype(np.float64)
        delta = edge.astype(dt) - np.asarray(end, dt)
        step = delta / width
        ramp = where(any_(step == 0), (i.astype(dt) / width) * delta, i.astype(dt) * step) + \
            np.asarray(end, dt)
        if out.dtype.kind in "iu":
            ramp = floor(ramp)
        parts.append(_widen(ramp, out, ax, width))
    return concatenate([p for p in (parts[0], out, parts[1]) if p is not None], axis=ax)


def _pad_odd(out, ax, before, after, mode):
    """Odd reflection, chunk by chunk as NumPy's (``2 * edge - mirror``, each chunk mirrored
    about the current edge, so the roundings are NumPy's too)."""
    n0, eo = out.shape[ax], int(mode == "symmetric")
    left, right, lp, rp = [], [], before, after
    while lp or rp:
        cur = concatenate(left + [out] + right, axis=ax) if left or right else out
        n = cur.shape[ax]
        old = n // n0 * n0 if eo else (n - 1) // (n0 - 1) * (n0 - 1)
        if lp:
            k = builtins.min(old, lp)
            chunk = _gather_axis(cur, np.arange(k - eo, -eo, -1), ax)
            left.insert(0, (2 * _slab(cur, ax, 0, 1) - chunk).astype(out.dtype))
            lp -= k
        if rp:
            k = builtins.min(old, rp)
            chunk = _gather_axis(cur, np.arange(n - 2 + eo, n - 2 + eo - k, -1), ax)
            right.append((2 * _slab(cur, ax, n - 1, n) - chunk).astype(out.dtype))
            rp -= k
    return concatenate(left + [out] + right, axis=ax)


def pad(array, pad_width, mode="constant", **kwargs):
    """Pad ``array`` as NumPy's ``pad``, in every mode: "constant" (``constant_values``),
    "edge", "linear_ramp" (``end_values``), "maximum", "minimum", "mean", "median"
    (``stat_length``), "reflect", "symmetric" (``reflect_type`` "even" or "odd"), "wrap" and
    "empty" (the new entries are zeros, where NumPy leaves them undefined).

    >>> pad(np.array([1.0, 2.0, 3.0]), 2, mode="reflect")
    array([3., 2., 1., 2., 3., 2., 1.])
    >>> pad(np.array([1.0, 2.0]), 2, mode="linear_ramp", end_values=5.0)
    array([5. , 3. , 1. , 2. , 3.5, 5. ])
    """
    if not _t(array, *kwargs.values()):
        return np.pad(array, pad_width, mode=mode, **kwargs)
    if callable(mode) or mode not in _PAD_KEYWORDS:
        raise WireValueError(f"pad: mode {mode!r} is not supported; use one of "
                             f"{', '.join(_PAD_KEYWORDS)}{at(user_location())}")
    extra = set(kwargs) - _PAD_KEYWORDS[mode]
    if extra:
        raise WireValueError(f"pad: unsupported keyword arguments for mode {mode!r}: "
                             f"{sorted(extra)}{at(user_location())}")
    for k, v in kwargs.items():
        if isinstance(v, Tracer) or builtins.any(isinstance(t, Tracer) for t in np.ravel(
                np.asarray(v, dtype=object))):
            raise WireTypeError(f"pad: {k} must be concrete{at(user_location())}")
    if not isinstance(array, Tracer):
        array = S.to_tracer(np.asarray(array))
    widths = _pad_widths(pad_width, array.ndim)
    if array.size == 0 and mode not in ("constant", "empty"):
        for ax, (n, w) in enumerate(zip(array.shape, widths)):
            if n == 0 and builtins.any(w):
                raise WireValueError(f"pad: can't extend empty axis {ax} using modes other than "
                                     f"'constant' or 'empty'{at(user_location())}")
        mode, kwargs = "constant", {}
    if mode in ("constant", "empty"):
        cv = _pairs(kwargs.get("constant_values", 0), array.ndim, "constant_values")
        out = array
        for ax, (before, after) in enumerate(widths):
            if not before and not after:
                continue
            parts = []
            shape = list(out.shape)
            if before:
                shape[ax] = before
                parts.append(_filled(shape, cv[ax][0], out.dtype))
            parts.append(out)
            if after:
                shape[ax] = after
                parts.append(_filled(shape, cv[ax][1], out.dtype))
            out = concatenate(parts, axis=ax)
        return out
    odd = kwargs.get("reflect_type", "even")  # NumPy reads anything but "odd" as "even"
    if mode in ("maximum", "minimum", "mean", "median"):
        lengths = kwargs.get("stat_length")
        lengths = [[None, None]] * array.ndim if lengths is None else _pairs(
            lengths, array.ndim, "stat_length")
        if lengths is not None and builtins.any(v is not None and v < 0 for row in lengths
                                                for v in row):
            raise WireValueError(f"pad: stat_length must be non-negative{at(user_location())}")
    if mode == "linear_ramp":
        ends = _pairs(kwargs.get("end_values", 0), array.ndim, "end_values")
    out = array
    for ax, (before, after) in enumerate(widths):
        if not before and not after:
            continue
        if mode in ("maximum", "minimum", "mean", "median"):
            out = _pad_stat(out, ax, before, after, mode, lengths[ax])
        elif mode == "linear_ramp":
            out = _pad_ramp(out, ax, before, after, ends[ax])
        elif odd == "odd" and mode in ("reflect", "symmetric") and out.shape[ax] > 1:
            out = _pad_odd(out, ax, before, after, mode)
        else:
            idx = np.pad(np.arange(out.shape[ax]), (before, after), mode=mode)
            out = _gather_axis(out, idx, ax)
    return out


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate matrices from coordinate vectors (NumPy's ``meshgrid``).

    >>> [g.shape for g in meshgrid(np.arange(3), np.arange(2), indexing="ij")]
    [(3, 2), (3, 2)]
    """
    if indexing not in ("xy", "ij"):
        raise WireValueError(f"meshgrid: valid values for `indexing` are 'xy' and 'ij', got "
                             f"{indexing!r}{at(user_location())}")
    if not _t(*xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    xs = [ravel(x) if isinstance(x, Tracer) else np.ravel(x) for x in xi]
    nd = len(xs)
    out = []
    for i, x in enumerate(xs):
        shape = [1] * nd
        shape[i] = x.shape[0]
        if indexing == "xy" and nd > 1 and i < 2:
            shape[0], shape[1] = shape[1], shape[0]
        out.append(reshape(x, shape))
    if sparse:
        return out
    full = np.broadcast_shapes(*[np.shape(o) if not isinstance(o, Tracer) else o.shape for o in out])
    return [broadcast_to(o, full) for o in out]


def select(condlist, choicelist, default=0):
    """Value from the first choice whose condition holds, else ``default``.

    >>> select([np.array([True, False]), np.array([True, True])], [1.0, 2.0])
    array([1., 2.])
    """
    if not _t(*condlist, *choicelist, default):
        return np.select(condlist, choicelist, default)
    condlist, choicelist = list(condlist), list(choicelist)
    if len(condlist) != len(choicelist):
        raise WireValueError(f"select: list of cases must be same length as list of conditions, "
                             f"got {len(choicelist)} and {len(condlist)}{at(user_location())}")
    if not condlist:
        raise WireValueError(f"select with an empty condition list is not possible"
                             f"{at(user_location())}")
    for c in condlist:
        dt = c.dtype if isinstance(c, Tracer) else np.asarray(c).dtype
        if dt != np.bool_:
            raise WireTypeError(f"select: invalid entry in condlist, of dtype {dt}: should be "
                                f"boolean{at(user_location())}")
    out = default
    for c, v in reversed(list(zip(condlist, choicelist))):
        out = where(c, v, out)
    return out


def append(arr, values, axis=None):
    """``arr`` with ``values`` appended (flattened when ``axis`` is None)."""
    if not _t(arr, values):
        return np.append(arr, values, axis)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis=axis)


def delete(arr, obj, axis=None):
    """``arr`` without the entries ``obj`` (concrete indices, a slice or a mask) of ``axis``.

    >>> delete(np.array([1.0, 2.0, 3.0]), [0, -1])
    array([2.])
    """
    if not _t(arr):
        return np.delete(arr, obj, axis)
    if isinstance(obj, Tracer):
        raise WireError(f"delete: indices must be concrete (they set the shape){at(user_location())}")
    if axis is None:
        arr, axis = ravel(arr), 0
    axis = _axis(axis, arr.ndim, "delete")
    try:
        keep = np.delete(np.arange(arr.shape[axis]), obj)
    except (IndexError, ValueError) as e:  # NumPy's refusal, said of the user's axis
        cls = WireIndexError if isinstance(e, IndexError) else WireValueError
        raise cls(f"delete: {obj!r} does not select entries of axis {axis} of {arr.aval!r}: "
                  f"{e}{at(user_location())}") from None
    return _gather_axis(arr, keep, axis)


def kron(a, b):
    """Kronecker product.

    >>> kron(np.eye(2), np.ones((1, 2)))
    array([[1., 1., 0., 0.],
           [0., 0., 1., 1.]])
    """
    if not _t(a, b):
        return np.kron(a, b)
    a, b = promote(strong(a), strong(b))  # (np.asarray: Python scalars are not weak here)
    sa = a.shape if isinstance(a, Tracer) else np.shape(a)
    sb = b.shape if isinstance(b, Tracer) else np.shape(b)
    nd = builtins.max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + tuple(sa), (1,) * (nd - len(sb)) + tuple(sb)
    a2 = reshape(a, tuple(v for d in sa for v in (d, 1)))
    b2 = reshape(b, tuple(v for d in sb for v in (1, d)))
    return reshape(a2 * b2, tuple(x * y for x, y in zip(sa, sb)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or the z-component for 2-vectors) along the last axis."""
    if not _t(a, b):
        return np.cross(a, b, axisa, axisb, axisc, axis)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise WireValueError(f"cross: incompatible dimensions for a cross product of {a.aval!r} "
                             f"and {b.aval!r} (the vectors' axis must be of length 2 or 3)"
                             f"{at(user_location())}")
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    if a.shape[-1] == 2:
        a = pad(a, [(0, 0)] * (a.ndim - 1) + [(0, 1)])
    if b.shape[-1] == 2:
        b = pad(b, [(0, 0)] * (b.ndim - 1) + [(0, 1)])
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    c = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(c, -1, axisc)


def column_stack(tup):
    """Stack 1-D arrays as columns (2-D arrays as they are).

    >>> column_stack([np.array([1, 2]), np.array([3, 4])])
    array([[1, 3],
           [2, 4]])
    """
    if not _t(*tup):
        return np.column_stack(tup)
    # NumPy: arrays of rank < 2 become columns (a 0-d one a 1 x 1 block)
    cols = [reshape(t, (-1, 1)) if (t.ndim if isinstance(t, Tracer) else np.ndim(t)) < 2 else t
            for t in tup]
    return concatenate(cols, axis=1)


def dstack(tup, dtype=None):
    """Stack along the third axis (``dtype``: JAX's, casting first)."""
    if dtype is not None:
        tup = [a.astype(dtype) if isinstance(a, Tracer) else np.asarray(a, dtype) for a in tup]
    if not _t(*tup):
        return np.dstack(tup)
    return concatenate([atleast_3d(t) for t in tup], axis=2)
