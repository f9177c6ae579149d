"""Functional updates ``x.at[index].set/add/mul/min/max(u)`` as primitives: ``x`` with the
positions ``index`` selects replaced by ``u`` (``set``, NumPy's ``x[index] = u``: the last of
repeated indices wins) or combined with it (``np.add.at``, ``np.multiply.at``,
``np.minimum.at``, ``np.maximum.at``: repeated indices combine, in NumPy's order, so results
are NumPy's to the last bit). (``scatter_add`` of :mod:`wire.ops.indexing` is the transpose of
``getitem``, onto zeros.)

Operands: ``x``, ``u`` (already broadcast to the shape of ``x[index]`` and cast to ``x``'s
dtype) and the index arrays; params: the static index ``spec`` (as for ``getitem``).

Derivatives are exact with repeated indices too:

* ``set`` and ``add`` are linear in ``(x, u)`` jointly; with ``set`` only the update that
  wins a position gets its cotangent (found by scattering each update's number and reading
  back who won);
* ``min``/``max`` send a position's derivative to the values equal to the result, split
  evenly among ties (as ``wnp.max`` and JAX's scatter_max do);
* ``mul``: ``d out = dx * P + x * sum_j du_j * prod(others of j)``, where ``P`` is the
  product of a position's updates and the product of the *others* is computed without
  dividing (zeros counted), so a zero update gives the right derivative.
"""

from __future__ import annotations

import numpy as np

from ..core import bind
from ..core.formula import ARRAYS_ONLY
from ..core.lowering import MissingFunction, XpImpl
from ..core.primitive import Primitive
from ..core.taylor import BY_JVP, COEFFICIENTWISE
from ..errors import ShapeError
from .elementwise import convert, div, eq, select
from .indexing import (
    _dummy, _has_arrays, batch_index, build_index, getitem, index_result, scatter_add,
)
from .layout import (
    batch_size, example_ndim, expand_rank, full, materialize, moveaxis, ones_like_, shape_of,
    zeros_like_,
)

_UFUNCS = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


def _impl(mode):
    def impl(x, u, *idx, spec):
        z = np.array(x, copy=True)
        index = build_index(spec, idx)
        if mode == "set":
            z[index] = u  # NumPy: the last of repeated indices wins
        else:
            _UFUNCS[mode].at(z, index, u)
        return z

    return impl


def _shape(name):
    def rule(x, u, *idx, spec):
        try:
            target = _dummy(x)[build_index(spec, [np.zeros(a.shape, np.intp) for a in idx])]
        except IndexError as e:
            raise ShapeError(f"{name}: indexing {x!r}: {e}") from None
        if tuple(u.shape) != target.shape or u.dtype != x.dtype:
            raise ShapeError(f"{name}: updates {u!r} must have the shape {target.shape} of "
                             f"x[index] and the dtype of x {x!r}")
        return x

    return rule


def _sample(mode):
    def sample(rng):
        x = rng.normal(size=(4, 3))
        idx = np.array([0, 2, 2, 3])  # a repeated index
        spec = (("a", 0), ("s", None, None, -1))
        u = rng.normal(size=(4, 3))
        if mode == "mul":
            u = 1.0 + 0.5 * np.tanh(u)  # away from zero, so finite differences are smooth
        return [x, u, idx], {"spec": spec}

    return sample


def _xp(mode):
    def run(bk, x, u, *idx, spec):
        xp = bk.xp
        z = xp.asarray(x, copy=True)
        index = build_index(spec, [bk.index(i) for i in idx])
        if mode == "set":
            z[index] = u
            return z
        fn = getattr(xp, {"add": "add", "mul": "multiply", "min": "minimum",
                          "max": "maximum"}[mode], None)
        if not hasattr(fn, "at"):
            raise MissingFunction(f"{bk.name} has no {mode} ufunc .at for repeated indices")
        fn.at(z, index, u)
        return z

    return XpImpl(run, "copy / __setitem__ / ufunc.at")


# --------------------------------------------------------------------------- derivatives


def _winners(u, idx, spec, shape):
    """1.0 where an update is the one left at its position (the last of repeats), else 0."""
    if not _has_arrays(spec):
        return None  # basic indexing writes each position at most once
    n = int(np.prod(u.shape, dtype=np.int64))
    ids = np.arange(n, dtype=np.int64).reshape(u.shape)
    filled = scatter(full(shape, -1, np.int64), ids, idx, spec, "set")
    return convert(eq(getitem(filled, idx, spec), ids), u.dtype)


def _ties(out, x, u, idx, spec):
    """(x == out, u == out at its position, how many values equal each position's result)."""
    ex = convert(eq(x, out), x.dtype)
    eu = convert(eq(u, getitem(out, idx, spec)), x.dtype)
    count = ex + scatter_add(eu, idx, spec, x.shape)
    return ex, eu, select(eq(count, 0.0), ones_like_(count), count)


def _products(x, u, idx, spec):
    """(P: the product of each position's updates, the product of the other updates at each
    update's position), with zeros counted instead of divided by."""
    zero = eq(u, 0.0)
    nonzero_u = select(zero, ones_like_(u), u)
    count = scatter_add(convert(zero, x.dtype), idx, spec, x.shape)  # zeros per position
    nz = scatter(ones_like_(x), nonzero_u, idx, spec, "mul")  # product of the nonzero ones
    p = select(eq(count, 0.0), nz, zeros_like_(nz))
    others_zero = getitem(count, idx, spec) - convert(zero, x.dtype)
    others = select(eq(others_zero, 0.0), div(getitem(nz, idx, spec), nonzero_u),
                    zeros_like_(u))
    return p, others


def _zeros_if_none(t, like):
    return zeros_like_(like) if t is None else t


def _jvp(mode):
    def jvp(ts, out, x, u, *idx, spec):
        tx, tu = _zeros_if_none(ts[0], x), _zeros_if_none(ts[1], u)
        if mode in ("set", "add"):
            return scatter(tx, tu, idx, spec, mode)
        if mode == "mul":
            p, others = _products(x, u, idx, spec)
            return tx * p + x * scatter_add(tu * others, idx, spec, x.shape)
        ex, eu, count = _ties(out, x, u, idx, spec)
        return (tx * ex + scatter_add(tu * eu, idx, spec, x.shape)) / count

    return jvp


def _vjp(mode):
    def vjp(ct, out, x, u, *idx, spec):
        none = (None,) * len(idx)
        if mode == "set":
            ct_x = scatter(ct, zeros_like_(u), idx, spec, "set")
            ct_u = getitem(ct, idx, spec)
            win = _winners(u, idx, spec, x.shape)
            return (ct_x, ct_u if win is None else ct_u * win) + none
        if mode == "add":
            return (ct, getitem(ct, idx, spec)) + none
        if mode == "mul":
            p, others = _products(x, u, idx, spec)
            return (ct * p, getitem(ct * x, idx, spec) * others) + none
        ex, eu, count = _ties(out, x, u, idx, spec)
        share = ct / count
        return (share * ex, getitem(share, idx, spec) * eu) + none

    return vjp


# --------------------------------------------------------------------------- batching


def _batch(mode):
    def rule(args, dims, *, spec):
        x, u, dx, du = args[0], args[1], dims[0], dims[1]
        size = batch_size(args, dims)
        idx, spec2, flags, x_axis = batch_index(args[2:], dims[2:], spec, size, True,
                                                example_ndim(x, dx))
        xb = materialize(x, dx, size, x_axis)
        ex_shape, d = index_result(shape_of(xb), x_axis, idx, flags, spec2)
        ub = moveaxis(expand_rank(materialize(u, du, size), len(ex_shape)), 0, d)
        return scatter(xb, ub, idx, spec2, mode), x_axis

    return rule


def _declare(mode: str, name: str, doc: str) -> Primitive:
    return Primitive(
        name, _impl(mode), _shape(name),
        dtype=lambda x, u, *idx, spec: x,
        vjp=_vjp(mode), jvp=_jvp(mode), batch=_batch(mode), sample=_sample(mode),
        xp=_xp(mode), doc=doc, sympy=ARRAYS_ONLY,
        # set/add are linear, min/max piecewise linear (which operand wins depends only on
        # the primal); mul is a product of x and u
        taylor=BY_JVP if mode == "mul" else COEFFICIENTWISE,
    )


scatter_p = _declare("set", "scatter", "x with x[index] replaced by u (the last repeat wins)")
scatter_addto_p = _declare("add", "scatter_addto", "x with u added at x[index] "
                           "(np.add.at: repeats accumulate)")
scatter_mul_p = _declare("mul", "scatter_mul", "x with x[index] multiplied by u "
                         "(np.multiply.at: repeats multiply)")
scatter_min_p = _declare("min", "scatter_min", "x with x[index] lowered to u where smaller "
                         "(np.minimum.at)")
scatter_max_p = _declare("max", "scatter_max", "x with x[index] raised to u where larger "
                         "(np.maximum.at)")
_BY_MODE = {"set": scatter_p, "add": scatter_addto_p, "mul": scatter_mul_p,
            "min": scatter_min_p, "max": scatter_max_p}


def scatter(x, u, idx_arrays, spec, mode: str):
    """``x`` updated at ``index`` (``spec`` + ``idx_arrays``) by ``u`` (``mode``: set, add,
    mul, min or max); ``u`` has the shape of ``x[index]`` and ``x``'s dtype."""
    return bind(_BY_MODE[mode], x, u, *idx_arrays, spec=tuple(spec))
