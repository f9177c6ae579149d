"""``wire.numpy`` functions whose parameters depend on the operand's shape (axes, transposes,
reshapes, indexing) take shapeless ``wire.var`` s too: called on a value of unknown shape, the
call is recorded as a deferred node (:mod:`wire.core.deferred`) and made again once
``wire.evaluate`` or ``Executor.run`` feeds the shapes."""

from __future__ import annotations

import functools

from ..core import Tracer
from ..core.deferred import defer, has_unknown_shape

# The functions that read their operand's shape or rank (the others build nodes of unknown
# shape directly: elementwise operations, matmul of matrices).
SHAPE_DEPENDENT = (
    "reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "broadcast_to",
    "concatenate", "stack", "hstack", "vstack", "ravel", "atleast_1d", "atleast_2d",
    "atleast_3d", "concat", "permute_dims", "matrix_transpose", "rollaxis",
    "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "argmax", "argmin",
    "any", "all", "average", "count_nonzero", "nansum", "ptp", "nanmean", "nanmax", "nanmin",
    "nanprod", "nanstd", "nanvar", "logsumexp", "cumsum", "cumprod", "diff", "flip", "roll",
    "sort", "argsort", "trace", "diagonal", "diag", "tril", "triu", "outer", "inner", "dot",
    "tensordot", "einsum", "matmul", "vdot", "kron", "tile", "repeat", "pad", "take",
    "take_along_axis", "where", "clip", "linspace", "median", "quantile", "percentile",
    "cross", "trapezoid", "tensorsolve", "vecdot", "matvec", "vecmat", "softmax",
)


def _split(args, kwargs):
    """The traced operands among ``args``/``kwargs`` (top level and inside lists/tuples), and
    a function putting replacements back in their places."""
    operands, places = [], []
    for i, a in enumerate(args):
        if isinstance(a, Tracer):
            places.append(("arg", i, None))
            operands.append(a)
        elif isinstance(a, (list, tuple)):
            for j, b in enumerate(a):
                if isinstance(b, Tracer):
                    places.append(("arg", i, j))
                    operands.append(b)
    for k, a in kwargs.items():
        if isinstance(a, Tracer):
            places.append(("kw", k, None))
            operands.append(a)

    def rebuild(new):
        args2 = [list(a) if isinstance(a, (list, tuple)) else a for a in args]
        kw2 = dict(kwargs)
        for (kind, i, j), x in zip(places, new):
            if kind == "kw":
                kw2[i] = x
            elif j is None:
                args2[i] = x
            else:
                args2[i][j] = x
        args2 = [type(a)(b) if isinstance(a, (list, tuple)) else b for a, b in zip(args, args2)]
        return args2, kw2

    return operands, rebuild


def deferring(fn):
    """``fn``, recorded as a deferred node when an operand has an unknown shape."""

    @functools.wraps(fn)
    def f(*args, **kwargs):
        operands, rebuild = _split(args, kwargs)
        if not any(has_unknown_shape(o) for o in operands):
            return fn(*args, **kwargs)

        def made(*new):
            a, k = rebuild(new)
            return fn(*a, **k)

        return defer(made, operands, _describe(fn.__name__, args, kwargs))

    return f


def _describe(name, args, kwargs):
    static = [repr(a) for a in args if not isinstance(a, (Tracer, list, tuple))]
    static += [f"{k}={v!r}" for k, v in kwargs.items() if not isinstance(v, Tracer)]
    return f"{name}({', '.join(['...'] + static)})"


def getitem(getitem_fn):
    """``x[index]`` deferred when ``x`` has an unknown shape and ``index`` holds no tracer."""

    def f(x, index):
        if has_unknown_shape(x):
            parts = index if isinstance(index, tuple) else (index,)
            if not any(isinstance(p, Tracer) for p in parts):
                return defer(lambda y: getitem_fn(y, index), [x], f"getitem[{index!r}]")
        return getitem_fn(x, index)

    return f
