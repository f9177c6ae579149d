"""Functions of ``wire.numpy`` that apply a Python function over an array: ``vectorize``,
``apply_along_axis`` and ``apply_over_axes``.

On traced values the function is mapped with ``wire.vmap`` (traced once, batched), not called
once per element, so it must be traceable; its derivatives come out as for any other code.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from ..api.vmap import vmap
from ..core import Tracer
from ..errors import WireError, at, user_location
from ..ops.shape import to_tracer
from ._promote import holds_tracer, lift
from ._reductions import normalize_axes
from ._shape import broadcast_to, expand_dims, moveaxis, reshape

__all__ = ["apply_along_axis", "apply_over_axes", "vectorize"]


def _shape(x):
    return x.shape if isinstance(x, Tracer) else np.shape(x)


_DIMS = re.compile(r"\(([^()]*)\)")


def _groups(side):
    return [tuple(d for d in g.split(",") if d) for g in _DIMS.findall(side)]


def _parse_signature(signature):
    """``"(n),(n)->()"`` as ([("n",), ("n",)], [()])."""
    try:
        ins, outs = signature.replace(" ", "").split("->")
        return _groups(ins), _groups(outs)
    except ValueError:
        raise WireError(f"vectorize: invalid signature {signature!r}{at(user_location())}") from None


class vectorize(np.vectorize):  # NumPy's name, lower case
    """NumPy's ``vectorize``: on concrete arguments NumPy's own loop; on traced ones the
    function is mapped with ``wire.vmap`` over the broadcast loop dimensions (with
    ``signature``, over the dimensions left of each argument's core dimensions).

    >>> f = vectorize(lambda a, b: a * b + 1.0)
    >>> f(np.array([1.0, 2.0]), 3.0)
    array([4., 7.])
    >>> import wire
    >>> wire.grad(lambda x: f(x, 3.0).sum())(np.array([1.0, 2.0]))
    array([3., 3.])
    """

    def __call__(self, *args, **kwargs):
        if not holds_tracer(args) and not holds_tracer(list(kwargs.values())):
            return super().__call__(*args, **kwargs)
        excluded = set(self.excluded or ())
        dynamic = [i for i in range(len(args)) if i not in excluded]
        if kwargs and not all(k in excluded for k in kwargs):
            raise WireError(f"vectorize: pass mapped arguments by position on traced values"
                            f"{at(user_location())}")
        core = _parse_signature(self.signature)[0] if self.signature else None
        if core is not None and len(core) != len(dynamic):
            raise WireError(f"vectorize: signature has {len(core)} inputs, got {len(dynamic)}"
                            f"{at(user_location())}")
        vals = [lift(args[i]) for i in dynamic]
        ncore = [len(c) for c in core] if core else [0] * len(vals)
        loops = [tuple(_shape(v))[: len(_shape(v)) - k] for v, k in zip(vals, ncore)]
        loop = tuple(np.broadcast_shapes(*loops))
        size = int(np.prod(loop, dtype=np.int64))
        flat = [reshape(broadcast_to(v, loop + tuple(_shape(v))[len(_shape(v)) - k:]),
                        (size,) + tuple(_shape(v))[len(_shape(v)) - k:])
                for v, k in zip(vals, ncore)]

        def one(*dyn):
            full = list(args)
            for i, v in zip(dynamic, dyn):
                full[i] = v
            return self.pyfunc(*full, **kwargs)

        out = vmap(one)(*flat)
        if isinstance(out, tuple):
            return tuple(reshape(o, loop + tuple(_shape(o))[1:]) for o in out)
        out = reshape(out, loop + tuple(_shape(out))[1:])
        return out if self.otypes is None or not self.otypes else out.astype(self.otypes[0])


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``func1d`` applied to the 1-D slices of ``arr`` along ``axis``; its result's axes
    replace ``axis`` (NumPy's ``apply_along_axis``).

    >>> apply_along_axis(lambda r: r.sum(), 1, np.ones((2, 3)))
    array([3., 3.])
    """
    if not holds_tracer(arr) and not holds_tracer(args):
        return np.apply_along_axis(func1d, axis, arr, *args, **kwargs)
    arr = lift(arr)
    if not isinstance(arr, Tracer):
        arr = to_tracer(np.asarray(arr))
    axis = normalize_axes(axis, arr.ndim)[0]
    moved = moveaxis(arr, axis, -1)
    lead = moved.shape[:-1]
    rows = reshape(moved, (int(np.prod(lead, dtype=np.int64)), moved.shape[-1]))
    out = vmap(functools.partial(_call_row, func1d, args, kwargs))(rows)
    out = reshape(out, lead + tuple(out.shape[1:]))
    extra = out.ndim - len(lead)
    # NumPy puts the result's own axes where ``axis`` was
    return moveaxis(out, tuple(range(len(lead), out.ndim)), tuple(range(axis, axis + extra))) \
        if extra else out


def _call_row(func1d, args, kwargs, row):
    return func1d(row, *args, **kwargs)


def apply_over_axes(func, a, axes):
    """``func(a, axis)`` for each axis in turn, keeping the rank (NumPy's
    ``apply_over_axes``).

    >>> apply_over_axes(np.sum, np.ones((2, 3)), [0, 1])
    array([[6.]])
    """
    if not holds_tracer(a):
        return np.apply_over_axes(func, a, axes)
    val = lift(a)
    nd = val.ndim
    for axis in [axes] if isinstance(axes, (int, np.integer)) else axes:
        axis = normalize_axes(axis, nd)[0]
        res = func(val, axis)
        rnd = res.ndim if isinstance(res, Tracer) else np.ndim(res)
        if rnd == nd:
            val = res
        elif rnd == nd - 1:
            val = expand_dims(res, axis)
        else:
            raise WireError(f"apply_over_axes: function is not returning an array of the "
                            f"correct shape{at(user_location())}")
    return val

