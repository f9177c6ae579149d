"""Structural primitives: constants of a shape, reshape, transpose, broadcast, concatenate,
indexing (gather) and its transpose (scatter-add), multi-output projection, and the few
shape-polymorphic helpers used when a ``wire.var`` was declared without a shape."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval, make_node
from ..core.primitive import Primitive, broadcast_shapes
from ..batching import (
    broadcast_like_batch, broadcast_to_batch, concatenate_batch, full_like_batch, getitem_batch,
    no_operand_batch, proj_batch, reshape_batch, scatter_add_batch, sum_to_like_batch,
    swapaxes_batch, transpose_batch,
)
from ..core import Tracer, bind, proj_p, to_tracer  # noqa: F401  (proj_p, to_tracer: re-exported)


def _known(x) -> bool:
    return getattr(x, "shape", None) is not None


# --------------------------------------------------------------------------- full


def _full_impl(*, shape, dtype, value):
    return np.full(shape, value, dtype=dtype)


full_p = Primitive(
    "full",
    _full_impl,
    lambda *, shape, dtype, value: Aval(shape, dtype),
    nondiff=True,
    batch=no_operand_batch,
    sample=lambda rng: ([], {"shape": (2, 3), "dtype": np.dtype(np.float64), "value": 1.5}),
    doc="array of one value (zeros/ones of a known shape)",
)


def full(shape, value, dtype) -> Tracer:
    """A node holding ``value`` broadcast to ``shape`` (always symbolic)."""
    dtype = np.dtype(dtype)
    value = dtype.type(value).item()
    params = {"shape": tuple(shape), "dtype": dtype, "value": value}  # pmap if new
    return Tracer(make_node(full_p, (), params, Aval(shape, dtype)))


full_like_p = Primitive(
    "full_like",
    lambda x, *, value: np.full_like(x, value),
    lambda a, *, value: a,
    nondiff=True,
    batch=full_like_batch,
    sample=lambda rng: ([rng.normal(size=(2, 2))], {"value": 2.0}),
    doc="array of one value shaped like x, for values whose shape is only known at run time",
)


def full_like_(x, value):
    """``value`` shaped like ``x``: a ``full`` node when the shape is known."""
    if not isinstance(x, Tracer):
        return np.full_like(x, value)
    if x.shape is not None:
        return full(x.shape, value, x.dtype)
    return bind(full_like_p, x, value=value)


def zeros_like_(x):
    return full_like_(x, 0)


def ones_like_(x):
    return full_like_(x, 1)


# --------------------------------------------------------------------------- reshape / transpose


def _reshape_shape(a, *, shape):
    if int(np.prod(shape, dtype=np.int64)) != a.size:
        raise ShapeError(f"reshape: cannot reshape {a!r} (size {a.size}) to {shape}")
    return Aval(shape, a.dtype)


def _reshape_sample(rng):
    return [rng.normal(size=(2, 3))], {"shape": (3, 1, 2)}


reshape_p = Primitive(
    "reshape",
    lambda x, *, shape: np.reshape(x, shape),
    _reshape_shape,
    linear=True,
    vjp=lambda ct, out, x, *, shape: (reshape(ct, x.shape),),
    jvp=lambda ts, out, x, *, shape: reshape(ts[0], shape),
    batch=reshape_batch,
    sample=_reshape_sample,
)


def reshape(x, shape):
    shape = tuple(int(d) for d in shape)
    if getattr(x, "shape", None) == shape:
        return x
    return bind(reshape_p, x, shape=shape)


def _transpose_shape(a, *, perm):
    if sorted(perm) != list(range(a.ndim)):
        raise ShapeError(f"transpose: axes {perm} are not a permutation of {a.ndim} axes of {a!r}")
    return Aval(tuple(a.shape[p] for p in perm), a.dtype)


transpose_p = Primitive(
    "transpose",
    lambda x, *, perm: np.transpose(x, perm),
    _transpose_shape,
    linear=True,
    vjp=lambda ct, out, x, *, perm: (transpose(ct, tuple(np.argsort(perm).tolist())),),
    jvp=lambda ts, out, x, *, perm: transpose(ts[0], perm),
    batch=transpose_batch,
    sample=lambda rng: ([rng.normal(size=(2, 3, 4))], {"perm": (2, 0, 1)}),
)


def transpose(x, perm):
    perm = tuple(int(p) for p in perm)
    if perm == tuple(range(len(perm))):
        return x
    return bind(transpose_p, x, perm=perm)


def _swapaxes_shape(a, *, axis1, axis2):
    s = list(a.shape)
    try:
        s[axis1], s[axis2] = s[axis2], s[axis1]
    except IndexError:
        raise ShapeError(f"swapaxes: axes ({axis1}, {axis2}) out of range for {a!r}") from None
    return Aval(s, a.dtype)


swapaxes_p = Primitive(
    "swapaxes",
    lambda x, *, axis1, axis2: np.swapaxes(x, axis1, axis2),
    _swapaxes_shape,
    linear=True,
    vjp=lambda ct, out, x, *, axis1, axis2: (swapaxes(ct, axis1, axis2),),
    jvp=lambda ts, out, x, *, axis1, axis2: swapaxes(ts[0], axis1, axis2),
    batch=swapaxes_batch,
    sample=lambda rng: ([rng.normal(size=(2, 3, 4))], {"axis1": -1, "axis2": -2}),
    doc="swap two axes; negative axes allowed, so it also works on values of unknown rank",
)


def swapaxes(x, axis1, axis2):
    return bind(swapaxes_p, x, axis1=int(axis1), axis2=int(axis2))


# --------------------------------------------------------------------------- broadcasting


def _broadcast_to_shape(a, *, shape):
    out = broadcast_shapes(a.shape, shape, op="broadcast_to")
    if out != tuple(shape):
        raise ShapeError(f"broadcast_to: cannot broadcast {a!r} to shape {shape}")
    return Aval(shape, a.dtype)


broadcast_to_p = Primitive(
    "broadcast_to",
    lambda x, *, shape: np.broadcast_to(x, shape),
    _broadcast_to_shape,
    linear=True,
    vjp=lambda ct, out, x, *, shape: (ct,),  # the driver sums ct back to x's shape
    jvp=lambda ts, out, x, *, shape: broadcast_to(ts[0], shape),
    batch=broadcast_to_batch,
    sample=lambda rng: ([rng.normal(size=(3, 1))], {"shape": (2, 3, 4)}),
)


def broadcast_to(x, shape):
    shape = tuple(int(d) for d in shape)
    if getattr(x, "shape", None) == shape:
        return x
    return bind(broadcast_to_p, x, shape=shape)


def sum_to_shape(x, shape):
    """Sum ``x`` over broadcast axes so it has ``shape`` (the transpose of broadcasting)."""
    from .reductions import reduce_sum

    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = len(x.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1
    )
    y = reduce_sum(x, axes) if axes else x
    return reshape(y, shape)


def _np_sum_to(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1
    )
    return np.sum(x, axis=axes).reshape(shape) if axes else np.reshape(x, shape)


broadcast_like_p = Primitive(
    "broadcast_like",
    lambda x, like: np.broadcast_to(x, np.shape(like)),
    lambda a, like: Aval(like.shape, a.dtype),
    dtype=lambda a, like: a,
    vjp=lambda ct, out, x, like: (sum_to_like(ct, x), None),
    jvp=lambda ts, out, x, like: None if ts[0] is None else broadcast_like(ts[0], like),
    batch=broadcast_like_batch,
    sample=lambda rng: ([rng.normal(size=(3, 1)), rng.normal(size=(2, 3, 4))], {}),
    doc="broadcast x to the run-time shape of `like` (for values of unknown shape)",
)

sum_to_like_p = Primitive(
    "sum_to_like",
    lambda x, like: _np_sum_to(np.asarray(x), np.shape(like)),
    lambda a, like: Aval(like.shape, a.dtype),
    dtype=lambda a, like: a,
    vjp=lambda ct, out, x, like: (broadcast_like(ct, x), None),
    jvp=lambda ts, out, x, like: None if ts[0] is None else sum_to_like(ts[0], like),
    batch=sum_to_like_batch,
    sample=lambda rng: ([rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 1))], {}),
    doc="sum x down to the run-time shape of `like` (for values of unknown shape)",
)


def broadcast_like(x, like):
    if _known(x) and _known(like):
        return broadcast_to(x, like.shape)
    return bind(broadcast_like_p, x, like)


def sum_to_like(x, like):
    if _known(x) and _known(like):
        return sum_to_shape(x, like.shape)
    return bind(sum_to_like_p, x, like)


# --------------------------------------------------------------------------- concatenate


def _concatenate_shape(*avals, axis):
    first = avals[0]
    for a in avals[1:]:
        if a.ndim != first.ndim or any(
            d1 != d2 for i, (d1, d2) in enumerate(zip(a.shape, first.shape)) if i != axis
        ):
            pretty = ", ".join(repr(x) for x in avals)
            raise ShapeError(f"concatenate along axis {axis}: shapes differ off that axis: {pretty}")
    shape = list(first.shape)
    shape[axis] = sum(a.shape[axis] for a in avals)
    return Aval(shape, np.result_type(*[a.dtype for a in avals]))


def _concatenate_vjp(ct, out, *xs, axis):
    cts, start = [], 0
    for x in xs:
        stop = start + x.shape[axis]
        idx = [slice(None)] * ct.ndim
        idx[axis] = slice(start, stop)
        cts.append(ct[tuple(idx)])
        start = stop
    return tuple(cts)


def _concatenate_jvp(ts, out, *xs, axis):
    ts = [zeros_like_(x) if t is None else t for t, x in zip(ts, xs)]
    return concatenate(ts, axis)


concatenate_p = Primitive(
    "concatenate",
    lambda *xs, axis: np.concatenate(xs, axis=axis),
    _concatenate_shape,
    linear=True,
    vjp=_concatenate_vjp,
    jvp=_concatenate_jvp,
    batch=concatenate_batch,
    sample=lambda rng: ([rng.normal(size=(2, 1)), rng.normal(size=(2, 3))], {"axis": 1}),
)


def concatenate(xs, axis):
    return bind(concatenate_p, *xs, axis=int(axis))


# --------------------------------------------------------------------------- indexing
# An index is a static `spec` (tuple of entries) plus integer-array operands:
#   ("s", start, stop, step)  a slice      ("i", k)  an integer
#   ("n",)  None / newaxis                 ("e",)  Ellipsis
#   ("a", j)  the j-th integer-array operand


def build_index(spec, arrays):
    out = []
    for e in spec:
        tag = e[0]
        if tag == "s":
            out.append(slice(e[1], e[2], e[3]))
        elif tag == "i":
            out.append(e[1])
        elif tag == "n":
            out.append(None)
        elif tag == "e":
            out.append(Ellipsis)
        else:
            out.append(arrays[e[1]])
    return tuple(out)


def _dummy(aval):
    return np.broadcast_to(np.zeros((), aval.dtype), aval.shape)


def _getitem_shape(x, *idx, spec):
    try:
        probe = _dummy(x)[build_index(spec, [np.zeros(a.shape, np.intp) for a in idx])]
    except IndexError as e:
        raise ShapeError(f"indexing {x!r}: {e}") from None
    return Aval(probe.shape, x.dtype)


def _getitem_impl(x, *idx, spec):
    return np.asarray(x)[build_index(spec, idx)]


def _has_arrays(spec) -> bool:
    return any(e[0] == "a" for e in spec)


def _getitem_sample(rng):
    x = rng.normal(size=(4, 3, 2))
    idx = np.array([0, 2, 2, 3])
    return [x, idx], {"spec": (("a", 0), ("s", None, None, -1), ("n",), ("i", 1))}


getitem_p = Primitive(
    "getitem",
    _getitem_impl,
    _getitem_shape,
    dtype=lambda x, *idx, spec: x,
    linear=True,
    vjp=lambda ct, out, x, *idx, spec: (scatter_add(ct, idx, spec, x.shape),) + (None,) * len(idx),
    jvp=lambda ts, out, x, *idx, spec: getitem(ts[0], idx, spec),
    batch=getitem_batch,
    sample=_getitem_sample,
    doc="x[index]: basic slicing and integer-array (advanced) indexing",
)


def _scatter_add_impl(ct, *idx, spec, shape):
    z = np.zeros(shape, dtype=np.asarray(ct).dtype)
    index = build_index(spec, idx)
    if _has_arrays(spec):
        np.add.at(z, index, ct)
    else:  # basic indexing selects each element at most once
        z[index] = ct
    return z


def _scatter_add_sample(rng):
    idx = np.array([0, 2, 2, 3])
    spec = (("a", 0), ("s", None, None, -1), ("n",), ("i", 1))
    return [rng.normal(size=(4, 3, 1)), idx], {"spec": spec, "shape": (4, 3, 2)}


scatter_add_p = Primitive(
    "scatter_add",
    _scatter_add_impl,
    lambda ct, *idx, spec, shape: Aval(shape, ct.dtype),
    dtype=lambda ct, *idx, spec, shape: ct,
    linear=True,
    vjp=lambda ct, out, u, *idx, spec, shape: (getitem(ct, idx, spec),) + (None,) * len(idx),
    jvp=lambda ts, out, u, *idx, spec, shape: scatter_add(ts[0], idx, spec, shape),
    batch=scatter_add_batch,
    sample=_scatter_add_sample,
    doc="zeros(shape) with u added at x[index] (repeated indices accumulate)",
)


def getitem(x, idx_arrays, spec):
    return bind(getitem_p, x, *idx_arrays, spec=spec)


def scatter_add(u, idx_arrays, spec, shape):
    return bind(scatter_add_p, u, *idx_arrays, spec=spec, shape=tuple(shape))
