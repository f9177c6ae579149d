"""The walks over pytrees: flatten, unflatten, map, leaf paths — all iterative, so a tree
10 000 levels deep works like a shallow one."""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from ..errors import WireError, WireTypeError, at, user_location
from .kinds import child_labels, is_float0, node_of, rebuild

_node_of = node_of
from .treedef import LEAF, NONE as _NONE, TreeDef, _all_str, float0_node



def flatten(tree, is_leaf: Callable | None = None) -> tuple[list, TreeDef]:
    """Flatten a pytree into ``(leaves, treedef)``, leaves in depth-first order.

    ``is_leaf(x) -> bool``, called on every node from the root down (as in
    ``jax.tree_util``): a node it is true of is a leaf, its contents not walked.

    >>> flatten((1, None, [2.0]))
    ([1, 2.0], (*, None, [*]))
    >>> flatten({"a": (1, 2), "b": 3}, is_leaf=lambda x: isinstance(x, tuple))
    ([(1, 2), 3], {'a': *, 'b': *})
    """
    if is_leaf is not None:
        if not callable(is_leaf):
            raise WireTypeError(f"is_leaf must be a function x -> bool, got {is_leaf!r}"
                                f"{at(user_location())}")
        def node_of(x):  # noqa: F811 - this walk's own notion of a node
            return None if is_leaf(x) else _node_of(x)
    else:
        node_of = _node_of
    found = node_of(tree)
    if found is None:
        return [tree], LEAF
    out: list = []
    append = out.append
    # frames: (kind, type, aux, children iterator, child TreeDefs so far, id of the node);
    # on_path: the ids of the nodes being walked, so a container holding itself is an error
    kids: list = []
    frame = (found[0], found[1], found[2], iter(found[3]), kids, id(tree))
    stack = [frame]
    on_path = {id(tree)}
    while True:
        for x in frame[3]:
            found = node_of(x)
            if found is None:
                append(x)
                kids.append(LEAF)
            elif not found[3]:
                kids.append(_NONE if found[0] == "none" else TreeDef(*found[:3], ()))
            else:
                if id(x) in on_path:
                    raise WireTypeError(f"a {type(x).__name__} that contains itself is not "
                                        f"a pytree{at(user_location())}")
                on_path.add(id(x))
                kids = []
                frame = (found[0], found[1], found[2], iter(found[3]), kids, id(x))
                stack.append(frame)
                break
        else:
            stack.pop()
            on_path.discard(frame[5])
            aux = frame[2]
            if (aux is None or aux.__class__ is tuple and _all_str(aux)) and \
                    kids.count(LEAF) == len(kids):
                td = _of_leaves(frame[0], frame[1], aux, len(kids))  # the common node
            else:
                td = TreeDef(frame[0], frame[1], aux, kids)
            if not stack:
                return out, td
            frame = stack[-1]
            kids = frame[4]
            kids.append(td)


@functools.lru_cache(maxsize=4096)
def _of_leaves(kind: str, typ, aux, n: int) -> TreeDef:
    """The node of ``n`` leaves (memoized: the same few shapes of containers recur — a layer's
    ``{"b": *, "w": *}``, an argument tuple; ``aux`` is None or a tuple of strings, which
    compare strictly)."""
    return TreeDef(kind, typ, aux, (LEAF,) * n)


def structure(tree, is_leaf: Callable | None = None) -> TreeDef:
    """The ``TreeDef`` of ``tree`` (``flatten(tree, is_leaf)[1]``).

    >>> structure([1, (2, None)])
    [*, (*, None)]
    """
    return flatten(tree, is_leaf)[1]


def leaves(tree, is_leaf: Callable | None = None) -> list:
    """The leaves of ``tree`` in flatten order (``is_leaf``: as in :func:`flatten`).

    >>> leaves({"w": 1, "b": (2, 3)})
    [2, 3, 1]
    >>> leaves([None, (1, 2)], is_leaf=lambda x: x is None)
    [None, 1, 2]
    """
    return flatten(tree, is_leaf)[0]


def unflatten(treedef: TreeDef, leaf_values) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaf_values`` (any iterable).

    >>> leaves_, t = flatten([1, (2, 3)])
    >>> unflatten(t, ["a", "b", "c"])
    ['a', ('b', 'c')]
    """
    it = iter(leaf_values)
    if treedef.kind == "leaf":
        out = next(it, _MISSING)
    else:
        out = _build(treedef, it)
    if out is _MISSING:
        raise WireError(f"unflatten: too few leaves for tree {treedef!r} "
                        f"({treedef.num_leaves} needed){at(user_location())}")
    rest = sum(1 for _ in it)
    if rest:
        raise WireError(f"unflatten: {rest} leaves left over for tree {treedef!r}"
                        f"{at(user_location())}")
    return out


_MISSING = object()


def _build(treedef: TreeDef, it):
    # frames: [TreeDef, index of the next child, values built so far]
    stack = [[treedef, 0, []]]
    while True:
        frame = stack[-1]
        td, i, kids = frame
        children = td.children
        n = len(children)
        while i < n:
            c = children[i]
            i += 1
            if c.kind == "leaf":
                v = next(it, _MISSING)
                if v is _MISSING:
                    return _MISSING
                kids.append(v)
            elif not c.children:
                kids.append(rebuild(c.kind, c.type, c.aux, []))
            else:
                frame[1] = i
                stack.append([c, 0, []])
                break
        else:
            stack.pop()
            value = rebuild(td.kind, td.type, td.aux, kids)
            if not stack:
                return value
            stack[-1][2].append(value)


def map(fn: Callable, tree, *rest, is_leaf: Callable | None = None):
    """Apply ``fn`` leaf-wise over one or more trees. Each of ``rest`` has the structure of
    ``tree`` or has it as a prefix (as in ``jax.tree_util.tree_map``): where ``tree`` has a
    leaf, ``fn`` gets the whole subtree of the others there. ``is_leaf``: as in
    :func:`flatten`, for ``tree``.

    >>> map(lambda a, b: a + b, {"x": 1, "y": (2,)}, {"x": 10, "y": (20,)})
    {'x': 11, 'y': (22,)}
    >>> map(len, {"x": (1, 2), "y": [(3,)]}, is_leaf=lambda x: isinstance(x, tuple))
    {'x': 2, 'y': [1]}
    >>> map(lambda scale, pair: (pair[0] * scale, pair[1]), [2, 3], [(1, "a"), (2, "b")])
    [(2, 'a'), (6, 'b')]
    """
    leaves0, td = flatten(tree, is_leaf)
    others = []
    for r in rest:
        lr, tdr = flatten(r)
        if tdr != td:
            lr = _flatten_up_to(td, r)
            if lr is None:
                raise WireError(f"tree.map: tree structures differ: {td!r} vs {tdr!r}"
                                + at(user_location()))
        others.append(lr)
    return unflatten(td, [fn(*xs) for xs in zip(leaves0, *others)])


def _flatten_up_to(treedef: TreeDef, tree) -> list | None:
    """The subtrees of ``tree`` at the leaves of ``treedef``, in flatten order, if
    ``treedef`` is a prefix of ``tree``'s structure (else None)."""
    out = []
    stack = [(treedef, tree)]
    while stack:
        td, x = stack.pop()
        if td.kind == "leaf":
            out.append(x)
            continue
        found = _node_of(x)
        if found is None or len(found[3]) != len(td.children) or \
                TreeDef(*found[:3]).key != td.key:
            return None
        stack.extend(reversed(list(zip(td.children, found[3]))))
    return out


def reduce(fn: Callable, tree, initializer=_MISSING, is_leaf: Callable | None = None):
    """``functools.reduce(fn, leaves(tree))`` (from ``initializer`` when given), as
    ``jax.tree_util.tree_reduce``.

    >>> reduce(lambda a, b: a + b, {"w": 1, "b": (2, 3)})
    6
    >>> reduce(max, [], 0)
    0
    """
    found = leaves(tree, is_leaf)
    if initializer is _MISSING:
        if not found:
            raise WireError(f"tree.reduce of a tree with no leaves needs an initializer"
                            f"{at(user_location())}")
        return functools.reduce(fn, found)
    return functools.reduce(fn, found, initializer)


def all(tree, is_leaf: Callable | None = None) -> bool:  # noqa: A001 - jax.tree_util's name
    """Whether every leaf of ``tree`` is true (``jax.tree_util.tree_all``); an array leaf
    counts as true when all its elements are.

    >>> all({"a": True, "b": (1, 2)}), all([True, (0,)])
    (True, False)
    """
    import builtins

    return builtins.all(bool(np.all(x)) for x in leaves(tree, is_leaf))


def leaf_paths(treedef: TreeDef) -> list[str]:
    """Human-readable path of every leaf, e.g. ``["[0]['w']", "[1].b"]``, for error messages.

    >>> leaf_paths(flatten(({"w": 1}, 2))[1])
    ["[0]['w']", '[1]']
    """
    out: list[str] = []
    stack = [(treedef, "")]
    while stack:
        td, prefix = stack.pop()
        if td.kind == "leaf":
            out.append(prefix or "<root>")
            continue
        labels = child_labels(td.kind, td.aux, len(td.children))
        stack.extend((c, prefix + label) for label, c in
                     reversed(list(zip(labels, td.children))))
    return out


def float0_structure(leaves: list, treedef: TreeDef) -> tuple[list, TreeDef]:
    """``(leaves, treedef)`` (from :func:`flatten`) with each ``float0`` leaf (see
    :func:`~wire.tree.kinds.is_float0`) made part of the structure (:func:`float0_node`):
    what a trace's outputs and ``wire.jit``'s arguments are flattened to, since such an array
    holds no data (its shape is static). :func:`unflatten` rebuilds it. Unchanged (the same
    objects) when there is none.

    >>> import numpy as np
    >>> leaves, td = float0_structure(*flatten((np.ones(2), np.zeros(3, [("float0", "V")]))))
    >>> len(leaves), td, unflatten(td, leaves)[1].shape
    (1, (*, float0(3,)), (3,))
    """
    if not any(is_float0(x) for x in leaves):
        return leaves, treedef
    it = iter(leaves)
    kept: list = []

    def leaf():
        x = next(it)
        if is_float0(x):
            return float0_node(np.shape(x))
        kept.append(x)
        return LEAF

    if treedef.kind == "leaf":
        return kept, leaf()
    # frames: [TreeDef, index of the next child, new children so far] (deep trees: no recursion)
    stack = [[treedef, 0, []]]
    while True:
        frame = stack[-1]
        td, i, kids = frame
        if i < len(td.children):
            c = td.children[i]
            frame[1] = i + 1
            if c.kind == "leaf":
                kids.append(leaf())
            elif not c.children:
                kids.append(c)
            else:
                stack.append([c, 0, []])
            continue
        stack.pop()
        same = not any(a is not b for a, b in zip(kids, td.children))  # (all: shadowed)
        new = td if same else TreeDef(td.kind, td.type, td.aux, kids)
        if not stack:
            return kept, new
        stack[-1][2].append(new)


def has_float0(treedef: TreeDef) -> bool:
    """Whether ``treedef`` holds a :func:`float0_node`.

    >>> import numpy as np
    >>> has_float0(float0_structure(*flatten([np.zeros(2, [("float0", "V")])]))[1])
    True
    """
    stack = [treedef]
    while stack:
        td = stack.pop()
        if td.kind == "float0":
            return True
        stack.extend(td.children)
    return False


def _children(x):
    """``(kind, type, aux, children)`` of a pytree node, or ``None`` for a leaf (for matching
    a pytree *prefix* such as ``vmap``'s ``in_axes`` against a structure: the type counts, so
    two namedtuple or dataclass types with the same fields are different nodes)."""
    return node_of(x)
