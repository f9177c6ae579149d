"""``r_`` and ``c_`` of ``wire.numpy``: NumPy's index-expression concatenators, taking traced
values among their items (``np.r_[a, 0.0, b]``). Without traced items they are NumPy's own.
"""

from __future__ import annotations

import numpy as np

from ..errors import WireError, at, user_location
from ..core import Tracer
from ._creation import array, linspace
from ._promote import holds_tracer
from ._shape import concatenate, transpose

__all__ = ["c_", "r_"]


class AxisConcatenator:
    """Concatenate slices, scalars and arrays along ``axis`` (NumPy's ``AxisConcatenator``,
    whose rules it follows item by item: slices become ``arange``/``linspace``, a leading
    string ``"axis,ndmin,trans1d"`` changes the layout; the matrix directives ``"r"``/``"c"``
    work on concrete items only)."""

    def __init__(self, numpy_version, axis=0, ndmin=1, trans1d=-1):
        self._numpy = numpy_version
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        key_t = key if isinstance(key, tuple) else (key,)
        if not any(_traced(item) for item in key_t):
            return self._numpy[key]
        key = key_t
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        objs, kinds = [], []
        for k, item in enumerate(key):
            if isinstance(item, str):
                if k != 0:
                    raise WireError(f"r_/c_: special directives must be the first entry"
                                    f"{at(user_location())}")
                axis, ndmin, trans1d = _directive(item, axis, ndmin, trans1d)
                continue
            if isinstance(item, slice):
                obj = _slice(item)
                if ndmin > 1:
                    obj = np.array(obj, copy=None, ndmin=ndmin)
                    if trans1d != -1:
                        obj = obj.swapaxes(-1, trans1d)
                objs.append(obj)
                kinds.append(obj.dtype)
            elif type(item) in np.ScalarType:
                objs.append(item)
                kinds.append(item)
            else:
                nd = item.ndim if isinstance(item, Tracer) else np.ndim(item)
                obj = array(item, ndmin=ndmin) if isinstance(item, Tracer) else np.array(
                    item, copy=None, ndmin=ndmin)
                if trans1d != -1 and nd < ndmin:
                    k2, k1 = ndmin - nd, trans1d
                    if k1 < 0:
                        k1 += k2 + 1
                    dims = list(range(ndmin))
                    obj = transpose(obj, dims[:k1] + dims[k2:] + dims[k1:k2])
                objs.append(obj)
                kinds.append(obj.dtype)
        final = np.result_type(*kinds)
        objs = [array(o, dtype=final, ndmin=ndmin) if isinstance(o, Tracer)
                else np.array(o, copy=None, ndmin=ndmin, dtype=final) for o in objs]
        return concatenate(objs, axis=axis)

    def __len__(self):
        return 0


def _traced(item) -> bool:
    if isinstance(item, slice):
        return any(isinstance(v, Tracer) for v in (item.start, item.stop, item.step))
    return holds_tracer(item)


def _slice(item):
    start = 0 if item.start is None else item.start
    step = 1 if item.step is None else item.step
    if isinstance(start, Tracer) or isinstance(item.stop, Tracer) or isinstance(step, Tracer):
        if isinstance(step, (complex, np.complexfloating)):
            return linspace(start, item.stop, int(abs(step)))
        raise WireError(f"r_/c_: a slice with a traced bound needs a complex step (a number "
                        f"of points), as its length must be known{at(user_location())}")
    if isinstance(step, (complex, np.complexfloating)):
        return np.linspace(start, item.stop, num=int(abs(step)))
    return np.arange(start, item.stop, step)


def _directive(item, axis, ndmin, trans1d):
    if item in ("r", "c"):
        raise WireError(f"r_/c_: the matrix directives 'r' and 'c' need concrete items"
                        f"{at(user_location())}")
    try:
        vec = [int(v) for v in item.split(",")]
    except ValueError:
        raise WireError(f"r_/c_: unknown special directive {item!r}{at(user_location())}") from None
    axis = vec[0]
    if len(vec) > 1:
        ndmin = vec[1]
    if len(vec) > 2:
        trans1d = vec[2]
    return axis, ndmin, trans1d


r_ = AxisConcatenator(np.r_, 0)
c_ = AxisConcatenator(np.c_, -1, ndmin=2, trans1d=0)
