"""Batching rules for ``vmap``: the helpers every rule is built from, and the core rules.

A batching rule answers: given operands that each carry an extra *batch axis* (one slice per
example), how does one call of the primitive compute every example at once? Its signature is

    batch(args, dims, **params) -> (out, out_dim)

``args`` are the operands (tracers or arrays). ``dims[i]`` is the position of the batch axis in
``args[i]`` — a non-negative int — or ``None`` when that operand is the same for every example
(it then has exactly the shape the unbatched primitive expects). ``params`` are the node's
static parameters, unchanged. The rule returns the batched result and the position of its
batch axis, or ``None`` if the result is the same for every example (``full_like`` of a
batched value, say). Multi-output primitives return a tuple of results and a tuple of dims.
The ``vmap`` driver calls a rule only when at least one dim is not ``None``, checks what the
rule returns against the unbatched node's shape and dtype, and names the primitive if a rule is
wrong, so a new rule is quick to debug.

Vocabulary used below: the *example* shape of a batched operand is its shape without the batch
axis; an *example axis* is an axis number as the unbatched primitive sees it (what ``params``
refer to); :func:`shift_axis` turns one into the axis of the batched operand.

Most rules are one line built from these helpers:

* elementwise / broadcasting ops (any arity, NumPy broadcasting respected):
  ``batch=elementwise_batch("exp")``
* reductions over an ``axes`` tuple (``None`` = all): ``batch=reduction_batch("reduce_sum")``
* ops with one ``axis`` that keep the rank (cumsum, sort, fft along an axis...):
  ``batch=axis_batch("cumsum")`` — the batch axis stays where it is, ``axis`` is shifted.
* ops that act on the trailing axes and broadcast over leading ones (``inv``, ``cholesky``,
  ``det``, ``eigh``...): ``batch=trailing_batch("inv", core_ndim=2)``
* anything else: move the batch axis to the front with :func:`to_front` (or make a batched copy
  of an unbatched operand with :func:`materialize`), call the primitive on the bigger array and
  return ``0``; :func:`expand_rank`, :func:`example_shape`, :func:`batch_size`,
  :func:`moveaxis` and the gather/scatter helpers cover the rest.

``op`` arguments of the rule factories are a primitive, a registered primitive's name (looked
up when the rule first runs, so a module can name its own primitive before defining it), or a
binder ``f(*args, **params)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .errors import ShapeError, WireError, at, user_location
from .core.primitive import Primitive
from .core import Tracer, bind

# --------------------------------------------------------------------------- operands


def _ops():
    """The structural binders (imported lazily: the ops modules import this module)."""
    from .ops import shape

    return shape


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
        raise ShapeError(f"axis {axis} is out of range for rank {ndim}" + at(user_location()))
    return axis % ndim


def shift_axis(axis: int, d) -> int:
    """Example axis ``axis`` (non-negative) as an axis of the operand batched at ``d``.

    >>> shift_axis(0, 0), shift_axis(2, 1), shift_axis(0, 2)
    (1, 3, 0)
    """
    if d is None:
        return axis
    return axis + 1 if axis >= d else axis


# --------------------------------------------------------------------------- moving the batch axis


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
    return _ops().transpose(x, perm)


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
    S = _ops()
    s = shape_of(x)
    at = normalize_axis(at, len(s) + 1)
    out_shape = s[:at] + (size,) + s[at:]
    return S.broadcast_to(S.reshape(x, s[:at] + (1,) + s[at:]), out_shape)


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
    return _ops().reshape(x, s[:1] + (1,) * missing + s[1:])


def _binder(op) -> Callable:
    """``op`` (primitive, registered name or binder) as a function ``f(*args, **params)``."""
    if isinstance(op, str):

        def by_name(*args, **params):
            from .registry import REGISTRY

            return bind(REGISTRY[op], *args, **params)

        return by_name
    if isinstance(op, Primitive):
        return lambda *args, **params: bind(op, *args, **params)
    return op


# --------------------------------------------------------------------------- elementwise


def align_broadcast(args: Sequence, dims: Sequence) -> tuple[list, int]:
    """Operands of a NumPy-broadcasting op rearranged so that broadcasting them batches
    correctly; returns ``(args, out_dim)``.

    An unbatched operand of lower rank broadcasts on the *left*, so a batched operand cannot
    leave its batch axis just anywhere: in general every batched operand moves its batch axis
    to the front and gets size-1 axes after it up to the largest example rank (unbatched
    operands stay as they are and broadcast against the trailing axes). When every batched
    operand already has full rank and the same batch axis, and the unbatched ones only reach
    axes to its right, nothing moves.

    >>> args, d = align_broadcast([np.zeros((5, 3)), np.zeros((2, 3))], [0, None])
    >>> [a.shape for a in args], d
    ([(5, 1, 3), (2, 3)], 0)
    """
    ranks = [example_ndim(x, d) for x, d in zip(args, dims)]
    rank = max(ranks)
    batched = [d for d in dims if d is not None]
    d0 = batched[0]
    if all(
        (d == d0 and r == rank) if d is not None else r <= rank - d0 for d, r in zip(dims, ranks)
    ):
        return list(args), d0
    out = [x if d is None else expand_rank(to_front(x, d), rank) for x, d in zip(args, dims)]
    return out, 0


def elementwise_batch(op) -> Callable:
    """Rule for an elementwise primitive of any arity whose operands broadcast NumPy-style
    (params, if any, pass through unchanged).

    >>> rule = elementwise_batch("add")
    >>> out, d = rule([np.ones((4, 3)), np.ones(3)], [0, None])
    >>> out.shape, d
    ((4, 3), 0)
    """
    f = _binder(op)

    def rule(args, dims, **params):
        args, d = align_broadcast(args, dims)
        return f(*args, **params), d

    rule.__name__ = f"elementwise_batch({getattr(op, 'name', op)})"
    return rule


# --------------------------------------------------------------------------- reductions / axes


def reduction_batch(op, param: str = "axes") -> Callable:
    """Rule for a reduction over ``params[param]``: a tuple of non-negative example axes, or
    ``None`` for all of them; the reduced axes are removed (no keepdims).

    The batch axis stays put: the reduced axes are shifted around it, and the result's batch
    axis moves left by the number of reduced axes before it.

    >>> out, d = reduction_batch("reduce_sum")([np.ones((2, 5, 3))], [1], axes=(0,))
    >>> out.shape, d
    ((5, 3), 0)
    """
    f = _binder(op)

    def rule(args, dims, **params):
        (x,), (d,) = args, dims
        n = example_ndim(x, d)
        axes = params[param]
        axes = tuple(range(n)) if axes is None else tuple(normalize_axis(a, n) for a in axes)
        new = tuple(sorted(shift_axis(a, d) for a in axes))
        out_d = d - sum(1 for a in axes if a < d)
        return f(x, **{**params, param: new}), out_d

    return rule


def axis_batch(op, param: str = "axis") -> Callable:
    """Rule for a one-operand primitive acting along the example axis ``params[param]`` that
    keeps the rank (cumsum, sort, flip, fft along an axis...): the batch axis stays where it
    is and ``axis`` is shifted past it (negative axes are normalized first).

    >>> out, d = axis_batch("cumsum")([np.ones((5, 3))], [0], axis=-1, reverse=False)
    >>> out[0].tolist(), d
    ([1.0, 2.0, 3.0], 0)
    """
    f = _binder(op)

    def rule(args, dims, **params):
        (x,), (d,) = args, dims
        a = normalize_axis(params[param], example_ndim(x, d))
        return f(x, **{**params, param: shift_axis(a, d)}), d

    return rule


def trailing_batch(op, core_ndim: int, n_out: int = 1) -> Callable:
    """Rule for a primitive that works on the last ``core_ndim`` axes of each operand and
    broadcasts over leading "stack" axes, as ``np.linalg`` functions do (``core_ndim`` is an
    int, or one int per operand). Batched operands get their batch axis in front and the stack
    ranks are padded to agree; unbatched ones broadcast. ``n_out > 1``: multi-output primitive.

    >>> stacked = np.stack([np.eye(2) * k for k in (1.0, 2.0, 4.0)], axis=2)  # batch axis 2
    >>> out, d = trailing_batch("inv", core_ndim=2)([stacked], [2])
    >>> out[:, 0, 0].tolist(), d
    ([1.0, 0.5, 0.25], 0)
    """
    f = _binder(op)

    def rule(args, dims, **params):
        cores = [core_ndim] * len(args) if isinstance(core_ndim, int) else list(core_ndim)
        stack = max(example_ndim(x, d) - c for x, d, c in zip(args, dims, cores))
        new = [
            x if d is None else expand_rank(to_front(x, d), stack + c)
            for x, d, c in zip(args, dims, cores)
        ]
        out = f(*new, **params)
        return out, (0,) * n_out if n_out > 1 else 0

    return rule


def argreduce_batch(op) -> Callable:
    """Rule for argmax/argmin-like primitives with one ``axis`` (``None``: flattened index).

    >>> argreduce_batch("argmax")([np.eye(3)], [1], axis=None)
    (array([0, 1, 2]), 0)
    """
    f = _binder(op)

    def rule(args, dims, *, axis, **params):
        (x,), (d,) = args, dims
        if axis is None:
            x = to_front(x, d)
            s = shape_of(x)
            return f(_ops().reshape(x, (s[0], int(np.prod(s[1:])))), axis=1, **params), 0
        a = normalize_axis(axis, example_ndim(x, d))
        return f(x, axis=shift_axis(a, d), **params), (d - 1 if a < d else d)

    return rule


# --------------------------------------------------------------------------- structural rules


def reshape_batch(args, dims, *, shape):
    (x,), (d,) = args, dims
    x = to_front(x, d)
    return _ops().reshape(x, shape_of(x)[:1] + tuple(shape)), 0


def transpose_batch(args, dims, *, perm):
    (x,), (d,) = args, dims
    new = (d,) + tuple(shift_axis(p, d) for p in perm)
    return _ops().transpose(x, new), 0


def swapaxes_batch(args, dims, *, axis1, axis2):
    (x,), (d,) = args, dims
    n = example_ndim(x, d)
    a1, a2 = (shift_axis(normalize_axis(a, n), d) for a in (axis1, axis2))
    return _ops().swapaxes(x, a1, a2), d


def broadcast_to_batch(args, dims, *, shape):
    (x,), (d,) = args, dims
    x = expand_rank(to_front(x, d), len(shape))
    return _ops().broadcast_to(x, shape_of(x)[:1] + tuple(shape)), 0


def broadcast_like_batch(args, dims):
    """``broadcast_like(x, like)`` depends on ``like`` only through its (example) shape."""
    (x, like), (dx, dl) = args, dims
    shape = example_shape(like, dl)
    if dx is None:
        return _ops().broadcast_to(x, shape), None
    return broadcast_to_batch([x], [dx], shape=shape)


def sum_to_like_batch(args, dims):
    """``sum_to_like(x, like)``: sum each example of ``x`` down to ``like``'s example shape."""
    (x, like), (dx, dl) = args, dims
    S = _ops()
    shape = example_shape(like, dl)
    if dx is None:
        return S.sum_to_shape(x, shape), None
    # Put the batch axis right after the leading axes that get summed away; then summing to
    # (size, *shape) sums exactly each example's broadcast axes.
    lead = max(example_ndim(x, dx) - len(shape), 0)
    x = moveaxis(x, dx, lead)
    size = shape_of(x)[lead]
    return S.sum_to_shape(x, (size,) + shape), 0


def concatenate_batch(args, dims, *, axis):
    size = batch_size(args, dims)
    n = example_ndim(args[0], dims[0])
    xs = [materialize(x, d, size) for x, d in zip(args, dims)]
    return _ops().concatenate(xs, normalize_axis(axis, n) + 1), 0


def full_like_batch(args, dims, *, value):
    """Every example of ``full_like(x)`` is the same array: the result is unbatched."""
    (x,), (d,) = args, dims
    return _ops().full(example_shape(x, d), value, x.dtype), None


def no_operand_batch(args, dims, **params):
    """Rule of a primitive without operands (``full``): the driver never batches it."""
    raise WireError("a primitive without operands is never batched")


def proj_batch(args, dims, *, index):
    """Output ``index`` of a batched multi-output node: ``args[0]``/``dims[0]`` are tuples."""
    return args[0][index], dims[0][index]


# --------------------------------------------------------------------------- matmul


def matmul_batch(args, dims):
    """Batched ``matmul`` (rank >= 2 operands, NumPy batch broadcasting).

    When one side is an unbatched matrix the batch folds into the other's rows (or columns),
    so the whole batch is a single matrix product; otherwise batch axes go in front.
    """
    (a, b), (da, db) = args, dims
    S = _ops()
    L = _linalg()
    sa, sb = shape_of(a), shape_of(b)
    ra, rb = example_ndim(a, da), example_ndim(b, db)
    if db is None and rb == 2 and da != len(sa) - 1:
        # rows of a (any leading axes, the batch among them) times one matrix
        out = L.matmul(S.reshape(a, (int(np.prod(sa[:-1])), sa[-1])), b)
        return S.reshape(out, sa[:-1] + (sb[-1],)), da
    if da is None and ra == 2 and len(sa) == 2:
        # one matrix times every column of every example: put the contracted axis of b first
        # and fold all its other axes (the batch among them) into columns, so the whole batch
        # is one (m, k) @ (k, R) product instead of a stack of matrix-vector products
        nb = len(sb)
        k_axis = [i for i in range(nb) if i != db][-2]
        rest = [i for i in range(nb) if i != k_axis]
        bt = S.transpose(b, (k_axis, *rest))
        cols = int(np.prod([sb[i] for i in rest], dtype=np.int64))
        out = L.matmul(a, S.reshape(bt, (sb[k_axis], cols)))
        out = S.reshape(out, (sa[0],) + tuple(sb[i] for i in rest))
        back = tuple(range(1, k_axis + 1)) + (0,) + tuple(range(k_axis + 1, nb))
        return S.transpose(out, back), db
    stack = max(ra, rb) - 2
    a = a if da is None else expand_rank(to_front(a, da), stack + 2)
    b = b if db is None else expand_rank(to_front(b, db), stack + 2)
    if shape_of(a)[-1] == 1:
        # a contraction of size 1 is an outer product: NumPy broadcasts a multiply faster
        # than it runs a stack of rank-1 matrix products (per-example weight gradients)
        from .ops.elementwise import mul

        return mul(a, b), 0
    return L.matmul(a, b), 0


def _linalg():
    from .ops import matmul as linalg

    return linalg


# --------------------------------------------------------------------------- gather / scatter
# An index of ``getitem``/``scatter_add`` is a static ``spec`` plus integer-array operands (see
# wire/ops/shape.py). With batched operands the index is rewritten so that one getitem computes
# every example: a batched ``x`` gets a leading full slice (or, when index arrays are batched
# too, a leading ``arange(size)`` index array so that example i reads from x[i]); batched index
# arrays get their batch axis in front, padded to the index arrays' common rank so that they
# broadcast with the unbatched ones. Where NumPy puts the batch axis of the result (advanced
# indices may move to the front) is found by indexing a zero-byte probe array.

_FULL_SLICE = ("s", None, None, None)


def _first_advanced_axis(spec, ndim: int):
    """(spec position, axis of the indexed array) of the first array/int entry of ``spec``."""
    consuming = sum(1 for e in spec if e[0] in "sia")
    axis = 0
    for k, e in enumerate(spec):
        if e[0] in "ia":
            return k, axis
        if e[0] == "s":
            axis += 1
        elif e[0] == "e":
            axis += ndim - consuming
    raise AssertionError("no advanced index in spec")


def batch_index(
    idx: Sequence, idims: Sequence, spec: tuple, size: int, x_batched: bool, x_ndim: int
):
    """Rewrite the index ``(idx, spec)`` of a gather or scatter for batched operands.

    ``x_batched``: the indexed array (of example rank ``x_ndim``) is batched. Returns ``(idx,
    spec, flags, x_axis)``: ``getitem(x, idx, spec)`` holds every example's result when ``x``
    has its batch axis at ``x_axis`` (if batched); ``flags[j]`` tells whether the new index
    array ``j`` has a batch axis (in front). An unbatched ``x`` stays unbatched when only index
    arrays are batched. When both are batched, the new ``arange`` index goes right before the
    first advanced index (and x's batch axis with it), so that NumPy keeps the advanced block
    where it was for one example.
    """
    flags = [d is not None for d in idims]
    if not any(flags):
        return list(idx), (_FULL_SLICE,) + tuple(spec), flags, 0
    shapes = [example_shape(i, d) for i, d in zip(idx, idims)]
    rank = len(np.broadcast_shapes(*shapes))
    new = [i if d is None else expand_rank(to_front(i, d), rank) for i, d in zip(idx, idims)]
    if not x_batched:
        return new, tuple(spec), flags, None
    k, x_axis = _first_advanced_axis(spec, x_ndim)
    arange = np.arange(size, dtype=np.intp).reshape((size,) + (1,) * rank)
    spec = tuple(spec[:k]) + (("a", len(new)),) + tuple(spec[k:])
    return new + [arange], spec, flags + [True], x_axis


def index_result(x_shape, x_axis, idx, flags, spec) -> tuple[tuple, int]:
    """Example shape and batch axis of ``getitem`` on rewritten operands (from
    :func:`batch_index`; ``x_axis``: the batch axis of ``x`` or None, ``flags``: which index
    arrays have a batch axis in front)."""
    from .ops.shape import build_index

    probe = 1 + max([1, *x_shape, *[s for i in idx for s in shape_of(i)]])
    empty = np.empty((), np.dtype([]))  # zero-byte elements: probing allocates nothing

    def dummy(shape, d, value):
        shape = tuple(shape)
        if d is not None:
            shape = shape[:d] + (probe,) + shape[d + 1 :]
        return np.broadcast_to(value, shape)

    xs = dummy(x_shape, x_axis, empty)
    arrays = [
        dummy(shape_of(i), 0 if b else None, np.zeros((), np.intp)) for i, b in zip(idx, flags)
    ]
    out = xs[build_index(spec, arrays)].shape
    d = out.index(probe)
    return out[:d] + out[d + 1 :], d


def getitem_batch(args, dims, *, spec):
    """Gather with batched ``x`` and/or batched index arrays."""
    x, dx = args[0], dims[0]
    size = batch_size(args, dims)
    idx, spec, flags, x_axis = batch_index(
        args[1:], dims[1:], spec, size, dx is not None, example_ndim(x, dx)
    )
    if dx is not None:
        x = moveaxis(x, dx, x_axis)
    _, d = index_result(shape_of(x), x_axis, idx, flags, spec)
    return _ops().getitem(x, idx, spec), d


def scatter_add_batch(args, dims, *, spec, shape):
    """Scatter-add (the transpose of gather) with batched updates and/or index arrays.

    The output is always batched; the updates are laid out as the matching batched gather's
    result (batch axis where NumPy puts it) and broadcast to its full shape.
    """
    u, du = args[0], dims[0]
    S = _ops()
    size = batch_size(args, dims)
    shape = tuple(shape)
    idx, spec, flags, x_axis = batch_index(args[1:], dims[1:], spec, size, True, len(shape))
    out_shape = shape[:x_axis] + (size,) + shape[x_axis:]
    ex_shape, d = index_result(out_shape, x_axis, idx, flags, spec)
    u = expand_rank(materialize(u, du, size), len(ex_shape))
    u = moveaxis(S.broadcast_to(u, (size,) + ex_shape), 0, d)
    return S.scatter_add(u, idx, spec, out_shape), x_axis
