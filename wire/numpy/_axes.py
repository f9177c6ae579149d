"""Axis arguments as NumPy takes them (``None``, an int or a tuple, negative allowed)."""

from __future__ import annotations

import operator

import numpy as np

from ..errors import WireAxisError, WireTypeError, WireValueError, at, user_location


def _index(a) -> int:
    """An axis as NumPy takes it: an integer (``operator.index``), never a float truncated."""
    try:
        return operator.index(a)
    except TypeError:
        raise WireTypeError(f"an axis must be an integer, got {a!r} (NumPy refuses it too)"
                            f"{at(user_location())}") from None


def normalize_axes(axis, ndim):
    """``axis`` (None, int or tuple; negative allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    elif not isinstance(axis, (tuple, list)):
        axis = (_index(axis),)
    out = []
    for a in axis:
        a = _index(a)
        if not -ndim <= a < ndim:
            raise WireAxisError(f"axis {a} is out of bounds for an array of rank {ndim}{at(user_location())}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise WireValueError(f"repeated axis in {axis}{at(user_location())}")
    return tuple(sorted(out))
