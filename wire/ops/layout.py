"""Layout primitives: constants of a shape, reshape, transpose, swapaxes, broadcast, concatenate,
each with its batching rule; and the vocabulary every batching rule is written in.

Batching vocabulary (see :mod:`wire.ops.batching` for the rule signature): the *example*
shape of a batched operand is its shape without the batch axis; an *example axis* is an axis
number as the unbatched primitive sees it (what ``params`` refer to); :func:`shift_axis` turns
one into the axis of the batched operand. :func:`to_front`, :func:`moveaxis`,
:func:`materialize` and :func:`expand_rank` move and create batch axes with these primitives.
"""

from __future__ import annotations

import functools
import math
import struct

from collections.abc import Sequence

import numpy as np

from ..errors import ShapeError, WireAxisError, WireError, at, user_location
from ..ir import Aval, make_aval, make_node
from ..core.taylor import COEFFICIENTWISE
from ..core import Tracer, bind
from ..core.lowering import Emitter, XpImpl, call_expr, impl_call_expr, rank
from ..core.primitive import Primitive, broadcast_shapes
from ..core.formula import ARRAYS_ONLY, identity, number


# --------------------------------------------------------------------------- batch axes


def shape_of(x) -> tuple:
    """Shape of a tracer or array; ``WireError`` if it is unknown (an unshaped ``wire.var``)."""
    s = x.shape if isinstance(x, Tracer) else np.shape(x)
    if s is None:
        raise WireError(
            f"vmap needs known shapes, but a value {x.aval!r} has an unknown shape; declare "
            "wire.var(name, shape=...) with a shape" + at(user_location())
        )
    return tuple(s)


def ndim_of(x) -> int:
    return len(shape_of(x))


def example_shape(x, d) -> tuple:
    """Shape of one example of ``x`` batched at ``d`` (``d=None``: ``x``'s own shape).

    >>> example_shape(np.zeros((2, 5, 3)), 1)
    (2, 3)
    """
    s = shape_of(x)
    return s if d is None else s[:d] + s[d + 1 :]


def example_ndim(x, d) -> int:
    return len(example_shape(x, d))


def batch_size(args: Sequence, dims: Sequence) -> int:
    """The size of the batch axis (taken from the first batched operand).

    >>> batch_size([np.zeros(3), np.zeros((2, 5))], [None, 1])
    5
    """
    for x, d in zip(args, dims):
        if d is not None:
            return shape_of(x)[d]
    raise WireError("batch_size: no operand is batched")


def normalize_axis(axis: int, ndim: int) -> int:
    """``axis`` (negative allowed) as a non-negative axis of a rank-``ndim`` value."""
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise WireAxisError(f"axis {axis} is out of bounds for an array of rank {ndim}" + at(user_location()))
    return axis % ndim


def shift_axis(axis: int, d) -> int:
    """Example axis ``axis`` (non-negative) as an axis of the operand batched at ``d``.

    >>> shift_axis(0, 0), shift_axis(2, 1), shift_axis(0, 2)
    (1, 3, 0)
    """
    if d is None:
        return axis
    return axis + 1 if axis >= d else axis


def moveaxis(x, src: int, dst: int):
    """``x`` with axis ``src`` moved to position ``dst`` (no node when ``src == dst``).

    >>> moveaxis(np.zeros((2, 3, 4)), 2, 0).shape
    (4, 2, 3)
    """
    n = ndim_of(x)
    src, dst = normalize_axis(src, n), normalize_axis(dst, n)
    if src == dst:
        return x
    perm = [i for i in range(n) if i != src]
    perm.insert(dst, src)
    return transpose(x, perm)


def to_front(x, d):
    """``x`` batched at ``d`` with its batch axis moved to position 0.

    >>> to_front(np.zeros((2, 7, 3)), 1).shape
    (7, 2, 3)
    """
    return moveaxis(x, d, 0)


def materialize(x, d, size: int, at: int = 0):
    """``x`` with its batch axis at position ``at``; an unbatched ``x`` (``d=None``) is
    broadcast to ``size`` copies (a view when evaluated, not a copy).

    >>> materialize(np.zeros((2, 3)), None, 5, at=1).shape
    (2, 5, 3)
    """
    if d is not None:
        return moveaxis(x, d, at)
    s = shape_of(x)
    at = normalize_axis(at, len(s) + 1)
    out_shape = s[:at] + (size,) + s[at:]
    return broadcast_to(reshape(x, s[:at] + (1,) + s[at:]), out_shape)


def expand_rank(x, rank: int):
    """``x`` batched at 0 with size-1 axes inserted after the batch axis so that its example
    rank is ``rank`` — what NumPy broadcasting would do to the example, but to the right of the
    batch axis instead of the left.

    >>> expand_rank(np.zeros((5, 3)), 3).shape
    (5, 1, 1, 3)
    """
    s = shape_of(x)
    missing = rank - (len(s) - 1)
    if missing <= 0:
        return x
    return reshape(x, s[:1] + (1,) * missing + s[1:])


# --------------------------------------------------------------------------- batching rules


def reshape_batch(args, dims, *, shape):
    (x,), (d,) = args, dims
    x = to_front(x, d)
    return reshape(x, shape_of(x)[:1] + tuple(shape)), 0


def transpose_batch(args, dims, *, perm):
    (x,), (d,) = args, dims
    new = (d,) + tuple(shift_axis(p, d) for p in perm)
    return transpose(x, new), 0


def swapaxes_batch(args, dims, *, axis1, axis2):
    (x,), (d,) = args, dims
    n = example_ndim(x, d)
    a1, a2 = (shift_axis(normalize_axis(a, n), d) for a in (axis1, axis2))
    return swapaxes(x, a1, a2), d


def broadcast_to_batch(args, dims, *, shape):
    (x,), (d,) = args, dims
    x = expand_rank(to_front(x, d), len(shape))
    return broadcast_to(x, shape_of(x)[:1] + tuple(shape)), 0


def concatenate_batch(args, dims, *, axis):
    size = batch_size(args, dims)
    n = example_ndim(args[0], dims[0])
    xs = [materialize(x, d, size) for x, d in zip(args, dims)]
    return concatenate(xs, normalize_axis(axis, n) + 1), 0


def full_like_batch(args, dims, *, value):
    """Every example of ``full_like(x)`` is the same array: the result is unbatched."""
    (x,), (d,) = args, dims
    return full(example_shape(x, d), value, x.dtype), None


def no_operand_batch(args, dims, **params):
    """Rule of a primitive without operands (``full``): the driver never batches it."""
    raise WireError("a primitive without operands is never batched")


def _known(x) -> bool:
    return getattr(x, "shape", None) is not None


# --------------------------------------------------------------------------- full


def _full_impl(*, shape, dtype, value):
    return np.full(shape, value, dtype=dtype)


def _full_scalar(node):
    p = node.params
    scalar = np.full((), p["value"], dtype=p["dtype"])
    scalar.setflags(write=False)
    return scalar


full_p = Primitive(
    "full",
    _full_impl,
    lambda *, shape, dtype, value: make_aval(shape, dtype),
    nondiff=True,
    batch=no_operand_batch,
    sample=lambda rng: ([], {"shape": (2, 3), "dtype": np.dtype(np.float64), "value": 1.5}),
    doc="array of one value (zeros/ones of a known shape)",
    emit=Emitter(impl_call_expr, "opaque", broadcast_scalar=_full_scalar),
    xp=XpImpl(lambda bk, *, shape, dtype, value: bk.xp.full(tuple(shape), value,
                                                           dtype=bk.dtype(dtype)), "full"),
    sympy=lambda sp, n: number(sp, n.params["value"], n.params["dtype"]),
    constant=True,
)


NAN, NEG_NAN = float("nan"), -float("nan")


def shared_nan(value):
    """``value``, or for a NaN float one shared NaN object (of its sign). Node params compare
    with ``==`` and hash with ``hash``, and for a float NaN both hold only for the same object
    (Python's containers compare by identity first; ``hash(nan)`` is its ``id``): so a ``full``
    of NaN traced twice, or saved and loaded, is the same node.

    >>> shared_nan(float("nan")) is shared_nan(np.float64("nan").item())
    True
    >>> shared_nan(complex(float("nan"), 1.0)) is shared_nan(complex(float("nan"), 1.0))
    True
    """
    if isinstance(value, float) and value != value:
        return NEG_NAN if math.copysign(1.0, value) < 0 else NAN
    if isinstance(value, complex) and value != value:
        # a complex hashes its NaN parts by identity too: one object per pattern of parts
        parts = (shared_nan(value.real), shared_nan(value.imag))
        return _shared_complex(struct.pack("<dd", *parts))
    return value


@functools.lru_cache(maxsize=256)
def _shared_complex(bits: bytes) -> complex:
    return complex(*struct.unpack("<dd", bits))


def full(shape, value, dtype) -> Tracer:
    """A node holding ``value`` broadcast to ``shape`` (always symbolic)."""
    dtype = np.dtype(dtype)
    value = shared_nan(dtype.type(value).item())
    params = {"shape": tuple(shape), "dtype": dtype, "value": value}  # pmap if new
    return Tracer(make_node(full_p, (), params, make_aval(params["shape"], dtype)))


full_like_p = Primitive(
    "full_like",
    lambda x, *, value: np.full_like(x, value),
    lambda a, *, value: a,
    nondiff=True,
    batch=full_like_batch,
    sample=lambda rng: ([rng.normal(size=(2, 2))], {"value": 2.0}),
    doc="array of one value shaped like x, for values whose shape is only known at run time",
    xp=XpImpl(lambda bk, x, *, value: bk.xp.full_like(x, value), "full_like"),
    sympy=lambda sp, n, x: number(sp, n.params["value"], n.aval.dtype),
)


def full_like_(x, value):
    """``value`` shaped like ``x``: a ``full`` node when the shape is known."""
    if not isinstance(x, Tracer):
        return np.full_like(x, value)
    if x.shape is not None:
        return full(x.shape, value, x.dtype)
    return bind(full_like_p, x, value=shared_nan(value))


def zeros_like_(x):
    return full_like_(x, 0)


def ones_like_(x):
    return full_like_(x, 1)


# --------------------------------------------------------------------------- reshape / transpose


def _reshape_shape(a, *, shape):
    if math.prod(shape) != a.size:
        raise ShapeError(f"reshape: cannot reshape {a!r} (size {a.size}) to {shape}")
    return make_aval(shape, a.dtype)


def _reshape_sample(rng):
    return [rng.normal(size=(2, 3))], {"shape": (3, 1, 2)}


def _reshape_expr(ctx, node, args, out):
    if ctx.is_array(node.inputs[0]):
        return f"{args[0]}.reshape({node.params['shape']!r})"
    return call_expr(ctx.bind_numpy(np.reshape), [args[0], repr(node.params["shape"])])


reshape_p = Primitive(
    "reshape",
    lambda x, *, shape: x.reshape(shape) if type(x) is np.ndarray else np.reshape(x, shape),
    _reshape_shape,
    linear=True,
    vjp=lambda ct, out, x, *, shape: (reshape(ct, x.shape),),
    jvp=lambda ts, out, x, *, shape: reshape(ts[0], shape),
    batch=reshape_batch,
    sample=_reshape_sample,
    emit=Emitter(_reshape_expr, "view"),
    xp=XpImpl(lambda bk, x, *, shape: bk.xp.reshape(x, tuple(shape)), "reshape"),
    sympy=identity,
    taylor=COEFFICIENTWISE,
)


def reshape(x, shape):
    shape = tuple(int(d) for d in shape)
    if getattr(x, "shape", None) == shape:
        return x
    return bind(reshape_p, x, shape=shape)


def _transpose_shape(a, *, perm):
    if sorted(perm) != list(range(a.ndim)):
        raise ShapeError(f"transpose: axes {perm} are not a permutation of {a.ndim} axes of {a!r}")
    return make_aval(tuple(a.shape[p] for p in perm), a.dtype)


def is_matrix_transpose(node) -> bool:
    """A swapaxes/transpose node that is the plain ``.T`` of a 2-D array."""
    if rank(node.inputs[0]) != 2:
        return False
    if node.op is swapaxes_p:
        return {node.params["axis1"] % 2, node.params["axis2"] % 2} == {0, 1}
    return tuple(node.params["perm"]) == (1, 0)


def _transpose_expr(ctx, node, args, out):
    if is_matrix_transpose(node) and ctx.is_array(node.inputs[0]):
        return f"{args[0]}.T"
    return call_expr(ctx.bind_numpy(np.transpose), [args[0], repr(node.params["perm"])])


def _swapaxes_expr(ctx, node, args, out):
    if is_matrix_transpose(node) and ctx.is_array(node.inputs[0]):
        return f"{args[0]}.T"
    p = node.params
    return call_expr(ctx.bind_numpy(np.swapaxes), [args[0], repr(p["axis1"]), repr(p["axis2"])])


def _swapaxes_xp(bk, x, *, axis1, axis2):
    perm = list(range(x.ndim))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return bk.xp.permute_dims(x, tuple(perm))


transpose_p = Primitive(
    "transpose",
    lambda x, *, perm: np.transpose(x, perm),
    _transpose_shape,
    linear=True,
    vjp=lambda ct, out, x, *, perm: (transpose(ct, tuple(np.argsort(perm).tolist())),),
    jvp=lambda ts, out, x, *, perm: transpose(ts[0], perm),
    batch=transpose_batch,
    sample=lambda rng: ([rng.normal(size=(2, 3, 4))], {"perm": (2, 0, 1)}),
    emit=Emitter(_transpose_expr, "view", matrix_transpose=is_matrix_transpose),
    xp=XpImpl(lambda bk, x, *, perm: bk.xp.permute_dims(x, tuple(perm)), "permute_dims"),
    sympy=identity,
    taylor=COEFFICIENTWISE,
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
    return make_aval(s, a.dtype)


swapaxes_p = Primitive(
    "swapaxes",
    lambda x, *, axis1, axis2: np.swapaxes(x, axis1, axis2),
    _swapaxes_shape,
    linear=True,
    vjp=lambda ct, out, x, *, axis1, axis2: (swapaxes(ct, axis1, axis2),),
    jvp=lambda ts, out, x, *, axis1, axis2: swapaxes(ts[0], axis1, axis2),
    batch=swapaxes_batch,
    sample=lambda rng: ([rng.normal(size=(2, 3, 4))], {"axis1": -1, "axis2": -2}),
    emit=Emitter(_swapaxes_expr, "view", matrix_transpose=is_matrix_transpose),
    xp=XpImpl(_swapaxes_xp, "permute_dims"),
    doc="swap two axes; negative axes allowed, so it also works on values of unknown rank",
    sympy=ARRAYS_ONLY,  # needs two axes
    taylor=COEFFICIENTWISE,
)


def swapaxes(x, axis1, axis2):
    return bind(swapaxes_p, x, axis1=int(axis1), axis2=int(axis2))


# --------------------------------------------------------------------------- broadcasting


def _broadcast_to_shape(a, *, shape):
    out = broadcast_shapes(a.shape, shape, op="broadcast_to")
    if out != tuple(shape):
        raise ShapeError(f"broadcast_to: cannot broadcast {a!r} to shape {shape}")
    return make_aval(shape, a.dtype)


broadcast_to_p = Primitive(
    "broadcast_to",
    lambda x, *, shape: np.broadcast_to(x, shape),
    _broadcast_to_shape,
    linear=True,
    vjp=lambda ct, out, x, *, shape: (ct,),  # the driver sums ct back to x's shape
    jvp=lambda ts, out, x, *, shape: broadcast_to(ts[0], shape),
    batch=broadcast_to_batch,
    sample=lambda rng: ([rng.normal(size=(3, 1))], {"shape": (2, 3, 4)}),
    emit=Emitter(lambda ctx, node, args, out: call_expr(
        ctx.bind_numpy(np.broadcast_to), [args[0], repr(node.params["shape"])]), "view"),
    xp=XpImpl(lambda bk, x, *, shape: bk.xp.broadcast_to(x, tuple(shape)), "broadcast_to"),
    sympy=identity,
    taylor=COEFFICIENTWISE,
)


def broadcast_to(x, shape):
    shape = tuple(int(d) for d in shape)
    if getattr(x, "shape", None) == shape:
        return x
    return bind(broadcast_to_p, x, shape=shape)


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
    return make_aval(shape, np.result_type(*[a.dtype for a in avals]))


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


def _concatenate_expr(ctx, node, args, out):
    return f"{ctx.bind_numpy(np.concatenate)}(({', '.join(args)},), axis={node.params['axis']!r})"


def _concatenate_xp(bk, *xs, axis):
    dt = np.result_type(*[bk.np_dtype(x) for x in xs])
    xs = [x if bk.np_dtype(x) == dt else bk.xp.astype(x, bk.dtype(dt)) for x in xs]
    return bk.xp.concat(xs, axis=axis)


concatenate_p = Primitive(
    "concatenate",
    lambda *xs, axis: np.concatenate(xs, axis=axis),
    _concatenate_shape,
    linear=True,
    vjp=_concatenate_vjp,
    jvp=_concatenate_jvp,
    batch=concatenate_batch,
    sample=lambda rng: ([rng.normal(size=(2, 1)), rng.normal(size=(2, 3))], {"axis": 1}),
    emit=Emitter(_concatenate_expr, "fresh"),
    xp=XpImpl(_concatenate_xp, "concat"),
    sympy=ARRAYS_ONLY,
    taylor=COEFFICIENTWISE,
)


def concatenate(xs, axis):
    return bind(concatenate_p, *xs, axis=int(axis))
