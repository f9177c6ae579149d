"""Batching rules for ``vmap``: the rule factories most primitives declare their rule with.

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

Vocabulary (the *example* shape, *example axes*, :func:`shift_axis`, :func:`to_front`…) is
defined in :mod:`wire.ops.layout` and re-exported here.

Most rules are one line built from these helpers:

* elementwise / broadcasting ops (any arity, NumPy broadcasting respected):
  ``batch=elementwise_batch(lambda: exp_p)``
* reductions over an ``axes`` tuple (``None`` = all):
  ``batch=reduction_batch(lambda: reduce_sum_p)``
* ops with one ``axis`` that keep the rank (cumsum, sort, fft along an axis...):
  ``batch=axis_batch(lambda: cumsum_p)`` — the batch axis stays where it is, ``axis`` is shifted.
* ops that act on the trailing axes and broadcast over leading ones (``inv``, ``cholesky``,
  ``det``, ``eigh``...): ``batch=trailing_batch(lambda: inv_p, core_ndim=2)``
* anything else: move the batch axis to the front with :func:`to_front` (or make a batched copy
  of an unbatched operand with :func:`materialize`), call the primitive on the bigger array and
  return ``0``; :func:`expand_rank`, :func:`example_shape`, :func:`batch_size`,
  :func:`moveaxis` and the gather/scatter helpers cover the rest.

``prim`` arguments of the rule factories are a primitive, or a function of no arguments
returning it (``lambda: exp_p``: a declaration names its own primitive before it exists).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..core import bind
from ..core.primitive import Primitive
from .layout import (  # noqa: F401  (the batching vocabulary, re-exported for rule authors)
    batch_size, example_ndim, example_shape, expand_rank, materialize, moveaxis, ndim_of,
    normalize_axis, reshape, shape_of, shift_axis, to_front,
)


def _binder(prim) -> Callable:
    """A function ``f(*args, **params)`` binding ``prim`` (a primitive, or a function of no
    arguments returning it, looked up when the rule first runs)."""
    if isinstance(prim, Primitive):
        return lambda *args, **params: bind(prim, *args, **params)
    return lambda *args, **params: bind(prim(), *args, **params)


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


def elementwise_batch(prim) -> Callable:
    """Rule for an elementwise primitive of any arity whose operands broadcast NumPy-style
    (params, if any, pass through unchanged).

    >>> from wire.ops.elementwise import add_p
    >>> rule = elementwise_batch(add_p)
    >>> out, d = rule([np.ones((4, 3)), np.ones(3)], [0, None])
    >>> out.shape, d
    ((4, 3), 0)
    """
    f = _binder(prim)

    def rule(args, dims, **params):
        args, d = align_broadcast(args, dims)
        return f(*args, **params), d

    return rule


# --------------------------------------------------------------------------- reductions / axes


def reduction_batch(prim, param: str = "axes") -> Callable:
    """Rule for a reduction over ``params[param]``: a tuple of non-negative example axes, or
    ``None`` for all of them; the reduced axes are removed (no keepdims).

    The batch axis stays put: the reduced axes are shifted around it, and the result's batch
    axis moves left by the number of reduced axes before it.

    >>> from wire.ops.reductions import reduce_sum_p
    >>> out, d = reduction_batch(reduce_sum_p)([np.ones((2, 5, 3))], [1], axes=(0,))
    >>> out.shape, d
    ((5, 3), 0)
    """
    f = _binder(prim)

    def rule(args, dims, **params):
        (x,), (d,) = args, dims
        n = example_ndim(x, d)
        axes = params[param]
        axes = tuple(range(n)) if axes is None else tuple(normalize_axis(a, n) for a in axes)
        new = tuple(sorted(shift_axis(a, d) for a in axes))
        out_d = d - sum(1 for a in axes if a < d)
        return f(x, **{**params, param: new}), out_d

    return rule


def axis_batch(prim, param: str = "axis") -> Callable:
    """Rule for a one-operand primitive acting along the example axis ``params[param]`` that
    keeps the rank (cumsum, sort, flip, fft along an axis...): the batch axis stays where it
    is and ``axis`` is shifted past it (negative axes are normalized first).

    >>> from wire.ops.cumulative import cumsum_p
    >>> out, d = axis_batch(cumsum_p)([np.ones((5, 3))], [0], axis=-1, reverse=False)
    >>> out[0].tolist(), d
    ([1.0, 2.0, 3.0], 0)
    """
    f = _binder(prim)

    def rule(args, dims, **params):
        (x,), (d,) = args, dims
        a = normalize_axis(params[param], example_ndim(x, d))
        return f(x, **{**params, param: shift_axis(a, d)}), d

    return rule


def trailing_batch(prim, core_ndim: int, n_out: int = 1) -> Callable:
    """Rule for a primitive that works on the last ``core_ndim`` axes of each operand and
    broadcasts over leading "stack" axes, as ``np.linalg`` functions do (``core_ndim`` is an
    int, or one int per operand). Batched operands get their batch axis in front and the stack
    ranks are padded to agree; unbatched ones broadcast. ``n_out > 1``: multi-output primitive.

    >>> stacked = np.stack([np.eye(2) * k for k in (1.0, 2.0, 4.0)], axis=2)  # batch axis 2
    >>> from wire.ops.factorizations import inv_p
    >>> out, d = trailing_batch(inv_p, core_ndim=2)([stacked], [2])
    >>> out[:, 0, 0].tolist(), d
    ([1.0, 0.5, 0.25], 0)
    """
    f = _binder(prim)

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


def argreduce_batch(prim) -> Callable:
    """Rule for argmax/argmin-like primitives with one ``axis`` (``None``: flattened index).

    >>> from wire.ops.reductions import argmax_p
    >>> argreduce_batch(argmax_p)([np.eye(3)], [1], axis=None)
    (array([0, 1, 2]), 0)
    """
    f = _binder(prim)

    def rule(args, dims, *, axis, **params):
        (x,), (d,) = args, dims
        if axis is None:
            x = to_front(x, d)
            s = shape_of(x)
            return f(reshape(x, (s[0], int(np.prod(s[1:])))), axis=1, **params), 0
        a = normalize_axis(axis, example_ndim(x, d))
        return f(x, axis=shift_axis(a, d), **params), (d - 1 if a < d else d)

    return rule
