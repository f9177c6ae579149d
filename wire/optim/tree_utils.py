"""Arithmetic on pytrees of arrays, as ``optax.tree_utils`` names it: what the line searches
and L-BFGS of ``wire.optim`` are written with (``wire.optim.tree_utils.tree_vdot`` …).

Every function works on concrete arrays and on traced values alike, leaf by leaf.

>>> import numpy as np
>>> from wire.optim import tree_utils as tu
>>> a = {"w": np.array([1.0, 2.0]), "b": np.array(3.0)}
>>> float(tu.tree_vdot(a, a)), float(tu.tree_norm(a, squared=True))
(14.0, 14.0)
>>> tu.tree_add_scale(a, 0.5, a)["w"]
array([1.5, 3. ])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numpy as wnp
from .. import tree as wtree
from ..errors import WireError, WireTypeError, at, user_location
from ..tracebacks import expose
from .base import check_trees
from .transforms import global_norm

__all__ = ["tree_add", "tree_sub", "tree_scale", "tree_add_scale", "tree_vdot", "tree_norm",
           "tree_real", "tree_conj", "tree_where", "tree_zeros_like", "tree_ones_like",
           "tree_full_like", "tree_get", "tree_sum", "tree_cast_like", "tree_dtype", "tree_mul",
           "tree_div", "tree_max", "tree_min", "tree_size", "tree_clip", "tree_cast",
           "tree_allclose", "tree_batch_shape", "tree_bias_correction", "tree_update_moment",
           "tree_update_moment_per_elem_norm", "tree_update_infinity_moment"]


def _dtype(x):
    dt = getattr(x, "dtype", None)
    return np.dtype(dt) if dt is not None else np.asarray(x).dtype


def tree_add(tree_x, tree_y, *other_trees):
    """``tree_x + tree_y (+ other trees)`` leaf by leaf.

    >>> tree_add({"w": 1.0}, {"w": 2.0}, {"w": 3.0})
    {'w': 6.0}
    """
    trees = (tree_x, tree_y) + other_trees
    for t in trees[1:]:
        check_trees("tree_add", tree_x, "tree_x", t, "tree_y")
    return wtree.map(lambda *xs: sum(xs[1:], xs[0]), *trees)


def tree_sub(tree_x, tree_y):
    """``tree_x - tree_y`` leaf by leaf.

    >>> tree_sub({"w": 1.0}, {"w": 2.0})
    {'w': -1.0}
    """
    check_trees("tree_sub", tree_x, "tree_x", tree_y, "tree_y")
    return wtree.map(lambda x, y: x - y, tree_x, tree_y)


def _in_leaf_dtype(s, x):
    """A scalar factor in the floating dtype of ``x``: a float64 factor must not turn float32
    leaves into float64 (a Python float is weakly typed already)."""
    dt = _dtype(x)
    if isinstance(s, (int, float)) or dt.kind not in "fc":
        return s
    return wnp.asarray(s, dtype=dt if dt.kind == "f" else np.finfo(dt).dtype)


def tree_scale(scalar, tree):
    """``scalar * tree``, each leaf keeping its dtype.

    >>> tree_scale(2.0, (np.float32(1.5),))[0].dtype
    dtype('float32')
    """
    return wtree.map(lambda x: _in_leaf_dtype(scalar, x) * x, tree)


def _in_kind_of(r, x):
    """``r`` in the dtype of ``x`` when both are of one kind (float, complex): the precision
    of ``x`` is kept; a result of another kind (an integer leaf plus a fraction, a real one
    plus a complex one) keeps its promoted dtype rather than being truncated."""
    dt = _dtype(x)
    return wnp.asarray(r, dtype=dt) if _dtype(r).kind == dt.kind else r


def tree_add_scale(tree_x, scalar, tree_y):
    """``tree_x + scalar * tree_y`` leaf by leaf; a floating leaf of ``tree_x`` keeps its
    dtype, an integer one gives the promoted dtype (as Optax's).

    >>> tree_add_scale({"w": np.ones(2)}, -0.5, {"w": np.ones(2)})
    {'w': array([0.5, 0.5])}
    >>> tree_add_scale({"n": np.array([1, 2])}, 0.5, {"n": np.array([1, 1])})
    {'n': array([1.5, 2.5])}
    """
    check_trees("tree_add_scale", tree_x, "tree_x", tree_y, "tree_y")
    return wtree.map(lambda x, y: _in_kind_of(x + _in_leaf_dtype(scalar, y) * y, x),
                     tree_x, tree_y)


def tree_vdot(tree_x, tree_y):
    """``Σ vdot(a_leaf, b_leaf)`` (the first argument conjugated, as ``numpy.vdot``); 0 for
    a tree without leaves.

    >>> float(tree_vdot((np.array([1.0, 2.0]),), (np.array([3.0, 4.0]),)))
    11.0
    """
    check_trees("tree_vdot", tree_x, "tree_x", tree_y, "tree_y")
    parts = [wnp.vdot(wnp.ravel(x), wnp.ravel(y))
             for x, y in zip(wtree.leaves(tree_x), wtree.leaves(tree_y))]
    return sum(parts[1:], parts[0]) if parts else np.float64(0.0)


def tree_sum(tree, associative_reduction: bool = False):
    """The sum of every element of every leaf.

    >>> float(tree_sum({"a": np.ones(3), "b": np.array(2.0)}))
    5.0
    """
    del associative_reduction  # the order of a sum of a few leaves' sums: left to right
    parts = [wnp.sum(x) for x in wtree.leaves(tree)]
    return sum(parts[1:], parts[0]) if parts else np.float64(0.0)


def tree_norm(tree, ord: Any = None, squared: bool = False):
    """The norm of all the tree's elements as one vector: ``ord`` 2 (``None``, the default), 1 or
    ``inf``; with ``squared`` the square of the 2-norm.

    >>> float(tree_norm({"a": np.array([3.0]), "b": np.array([4.0])}))
    5.0

    The 2-norm is ``wire.optim.global_norm``'s: no square overflows or underflows, so a
    finite norm comes out finite (Optax's ``tree_norm`` gives ``inf`` for float32 leaves
    above 1.8e19 and float64 ones above 1.3e154, and 0 for float32 ones below 1e-23), and
    its derivative at 0 is 0.

    >>> tree_norm({"a": np.array([3e19], np.float32), "b": np.array([4e19], np.float32)})
    array(5.e+19, dtype=float32)
    """
    leaves = wtree.leaves(tree)
    if ord in (2, None, "fro"):
        if not squared:
            return global_norm(tree)
        parts = [wnp.sum(wnp.real(x * wnp.conj(x))) for x in leaves]
        return sum(parts[1:], parts[0]) if parts else np.float64(0.0)
    if squared:
        raise WireError(f"tree_norm: squared=True needs ord=2, got ord={ord!r}"
                        f"{at(user_location())}")
    if ord == 1:
        parts = [wnp.sum(wnp.abs(x)) for x in leaves]
        return sum(parts[1:], parts[0]) if parts else np.float64(0.0)
    if ord in (np.inf, float("inf"), "inf"):
        parts = [wnp.max(wnp.abs(x), initial=0.0) for x in leaves]
        return wnp.max(wnp.stack(parts)) if parts else np.float64(0.0)
    raise WireError(f"tree_norm: ord must be 1, 2 or inf, got {ord!r}{at(user_location())}")


def tree_real(tree):
    """The real part of every leaf.

    >>> tree_real([np.array(1 + 2j)])
    [array(1.)]
    """
    return wtree.map(wnp.real, tree)


def tree_conj(tree):
    """The complex conjugate of every leaf.

    >>> tree_conj([np.array(1 + 2j)])
    [np.complex128(1-2j)]
    """
    return wtree.map(wnp.conj, tree)


def tree_where(condition, tree_x, tree_y):
    """``where(condition, a_leaf, b_leaf)`` leaf by leaf, for one scalar ``condition``.

    >>> tree_where(np.array(False), {"w": 1.0}, {"w": 2.0})
    {'w': array(2.)}
    """
    check_trees("tree_where", tree_x, "tree_x", tree_y, "tree_y")
    return wtree.map(lambda x, y: wnp.where(condition, x, y), tree_x, tree_y)


def tree_zeros_like(tree, dtype=None):
    """Zeros shaped like every leaf (of ``dtype``, else the leaf's).

    >>> tree_zeros_like({"w": np.ones(2, np.float32)})["w"]
    array([0., 0.], dtype=float32)
    """
    return wtree.map(lambda x: wnp.zeros_like(x, dtype=dtype), tree)


def tree_ones_like(tree, dtype=None):
    """Ones shaped like every leaf (of ``dtype``, else the leaf's).

    >>> tree_ones_like((np.zeros(2),))
    (array([1., 1.]),)
    """
    return wtree.map(lambda x: wnp.ones_like(x, dtype=dtype), tree)


def tree_full_like(tree, fill_value, dtype=None):
    """``fill_value`` shaped like every leaf (of ``dtype``, else the leaf's).

    >>> tree_full_like((np.zeros(2),), 7.0)
    (array([7., 7.]),)
    """
    return wtree.map(lambda x: wnp.full_like(x, fill_value, dtype=dtype), tree)


def tree_dtype(tree, mixed_dtype_handler=None):
    """The one dtype of the tree's leaves; ``mixed_dtype_handler="promote"`` promotes mixed
    dtypes, ``"highest"``/``"lowest"`` pick one, otherwise mixed dtypes raise.

    >>> tree_dtype({"a": np.ones(1, np.float32), "b": np.ones(1, np.float32)})
    dtype('float32')
    """
    dts = [_dtype(x) for x in wtree.leaves(tree)]
    if not dts:
        return np.dtype(np.float64)
    if all(d == dts[0] for d in dts):
        return dts[0]
    if mixed_dtype_handler == "promote":
        return np.result_type(*dts)
    if mixed_dtype_handler in ("highest", "lowest"):
        return (max if mixed_dtype_handler == "highest" else min)(dts, key=lambda d: d.itemsize)
    raise WireTypeError(f"tree_dtype: the leaves have several dtypes {sorted(set(map(str, dts)))}"
                        f"; pass mixed_dtype_handler='promote'{at(user_location())}")


def tree_cast_like(tree, other_tree):
    """``tree`` with every leaf cast to the dtype of the matching leaf of ``other_tree``.

    >>> tree_cast_like((np.float64(1.0),), (np.float32(0.0),))[0].dtype
    dtype('float32')
    """
    check_trees("tree_cast_like", tree, "tree", other_tree, "other_tree")
    return wtree.map(lambda x, o: wnp.asarray(x, dtype=_dtype(o)), tree, other_tree)


def tree_mul(tree_x, tree_y):
    """``tree_x * tree_y`` leaf by leaf.

    >>> tree_mul({"w": 2.0}, {"w": 3.0})
    {'w': 6.0}
    """
    check_trees("tree_mul", tree_x, "tree_x", tree_y, "tree_y")
    return wtree.map(lambda x, y: x * y, tree_x, tree_y)


def tree_div(tree_x, tree_y):
    """``tree_x / tree_y`` leaf by leaf.

    >>> tree_div({"w": 3.0}, {"w": 2.0})
    {'w': 1.5}
    """
    check_trees("tree_div", tree_x, "tree_x", tree_y, "tree_y")
    return wtree.map(lambda x, y: x / y, tree_x, tree_y)


def tree_max(tree):
    """The largest element of all the leaves (``-inf`` for no elements).

    >>> float(tree_max({"a": np.array([1.0, 5.0]), "b": np.array(2.0)}))
    5.0
    """
    parts = [wnp.max(x) for x in wtree.leaves(tree) if wnp.size(x)]   # (integers too)
    return wnp.max(wnp.stack(parts)) if parts else np.float64(-np.inf)


def tree_min(tree):
    """The smallest element of all the leaves (``inf`` for no elements).

    >>> float(tree_min({"a": np.array([1.0, 5.0]), "b": np.array(-2.0)}))
    -2.0
    """
    parts = [wnp.min(x) for x in wtree.leaves(tree) if wnp.size(x)]
    return wnp.min(wnp.stack(parts)) if parts else np.float64(np.inf)


def tree_size(tree) -> int:
    """The number of elements of all the leaves.

    >>> tree_size({"a": np.ones((2, 3)), "b": np.array(1.0)})
    7
    """
    return int(sum(int(np.prod(wnp.shape(x), dtype=np.int64)) for x in wtree.leaves(tree)))


def tree_clip(tree, min_value=None, max_value=None):
    """Every leaf clipped to ``[min_value, max_value]``.

    >>> tree_clip({"w": np.array([-2.0, 0.5, 3.0])}, -1.0, 1.0)
    {'w': array([-1. ,  0.5,  1. ])}
    """
    return wtree.map(lambda x: wnp.clip(x, min_value, max_value), tree)


def tree_cast(tree, dtype=None):
    """Every leaf cast to ``dtype`` (``None`` leaves the tree as it is).

    >>> tree_cast({"w": np.ones(1)}, np.float32)["w"].dtype
    dtype('float32')
    """
    if dtype is None:
        return tree
    return wtree.map(lambda x: wnp.asarray(x, dtype=dtype), tree)


def tree_allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan: bool = False) -> bool:
    """Whether ``a`` and ``b`` have one structure and every pair of leaves is ``allclose``
    (concrete trees).

    >>> tree_allclose({"w": np.ones(2)}, {"w": np.ones(2) + 1e-9})
    True
    """
    la, ta = wtree.flatten(a)
    lb, tb = wtree.flatten(b)
    return ta == tb and all(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)
                            for x, y in zip(la, lb))


def tree_batch_shape(tree, shape=()):
    """Every leaf broadcast to leading batch dimensions ``shape``
    (``optax.tree.batch_shape``).

    >>> tree_batch_shape({"w": np.array([1.0, 2.0])}, (2,))["w"]
    array([[1., 2.],
           [1., 2.]])
    """
    return wtree.map(lambda x: wnp.broadcast_to(x, tuple(shape) + tuple(wnp.shape(x))), tree)


def tree_bias_correction(moment, decay, count):
    """``moment / (1 - decay**count)`` leaf by leaf (``optax.tree.bias_correction``).

    >>> tree_bias_correction({"m": np.array([0.1])}, 0.9, 1)
    {'m': array([1.])}
    """
    bc = 1 - wnp.asarray(decay, np.float64) ** wnp.asarray(count, np.float64)
    return wtree.map(lambda t: t if t is None else t / wnp.asarray(bc, _dtype(t)), moment)


def tree_update_moment(updates, moments, decay, order):
    """``(1 - decay) * g**order + decay * moment`` leaf by leaf (``optax.tree.update_moment``).

    >>> tree_update_moment(np.array([2.0]), np.array([1.0]), 0.5, 2)
    array([2.5])
    """
    return wtree.map(lambda g, t: None if g is None else (1 - decay) * (g ** order) + decay * t,
                     updates, moments)


def tree_update_moment_per_elem_norm(updates, moments, decay, order):
    """:func:`tree_update_moment` with ``|g|**order`` for complex ``g``
    (``optax.tree.update_moment_per_elem_norm``).

    >>> tree_update_moment_per_elem_norm(np.array([1j]), np.array([0.0]), 0.5, 2)
    array([0.5])
    """
    def norm(g):
        if _dtype(g).kind != "c":
            return g ** order
        half = order / 2
        if float(half).is_integer():
            half = int(half)
        return (g.real * g.real + g.imag * g.imag) ** half

    return wtree.map(lambda g, t: None if g is None else (1 - decay) * norm(g) + decay * t,
                     updates, moments)


def tree_update_infinity_moment(updates, moments, decay, eps):
    """``max(|g| + eps, decay * moment)`` leaf by leaf
    (``optax.tree.update_infinity_moment``).

    >>> tree_update_infinity_moment(np.array([-2.0]), np.array([3.0]), 0.5, 0.0)
    array([2.])
    """
    return wtree.map(lambda g, t: None if g is None else wnp.maximum(wnp.abs(g) + eps,
                                                                      decay * t),
                     updates, moments)


_MISSING = object()


def _fields(node):
    """``(name, child)`` pairs of a namedtuple or dict node, and the children of others."""
    if isinstance(node, tuple) and hasattr(type(node), "_fields"):
        return list(zip(type(node)._fields, node)), []
    if isinstance(node, dict):
        return list(node.items()), []
    if isinstance(node, (tuple, list)):
        return [], list(node)
    return [], []


def tree_get(tree, key: str, default=None, filtering=None):
    """The one subtree held under the name ``key`` (a namedtuple field or a dict key) anywhere
    in ``tree``, e.g. the ``value`` a line search keeps in an optimizer state; ``default``
    when there is none; ``WireError`` when there are several. ``filtering(name, value)``,
    when given, must also hold (Optax's; its first argument here is the name, not a path).

    >>> import wire
    >>> state = wire.optim.lbfgs().init(np.zeros(2))
    >>> float(tree_get(state, "value"))
    inf
    """
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        named, children = _fields(node)
        for name, child in named:
            if name == key and (filtering is None or filtering(name, child)):
                found.append(child)
            else:
                todo.append(child)
        todo.extend(children)
    if len(found) > 1:
        raise WireError(f"tree_get: {len(found)} entries are named {key!r}; the tree must hold "
                        f"one{at(user_location())}")
    return found[0] if found else default


# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
