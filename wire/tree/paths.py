"""Key paths (``jax.tree_util``'s ``flatten_with_path``, ``keystr`` …) and ``transpose``.

A key path is a tuple of keys, one per level from the root to a leaf: ``SequenceKey(i)`` in a
tuple, list or ``PVector``; ``DictKey(k)`` in a dict, ``OrderedDict``,
``defaultdict``, ``PMap`` or ``PRecord``; ``GetAttrKey(name)`` for a namedtuple or dataclass
field; ``FlattenedIndexKey(i)`` for the ``i``-th child of a class given to ``register``. They
print as JAX's do, so ``keystr`` gives the same text.

>>> [(keystr(p), x) for p, x in leaves_with_path({"b": (1, 2), "a": [3]})]
[("['a'][0]", 3), ("['b'][0]", 1), ("['b'][1]", 2)]
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import WireError, WireNotImplementedError, WireTypeError, at, user_location
from .kinds import node_of as _node_of
from .treedef import LEAF, TreeDef
from .walk import _flatten_up_to, flatten, structure, unflatten


class _Key:
    """A key of a key path: an immutable value, compared and hashed by its one field, and a
    leaf for wire.tree (as JAX's keys are), not a container."""

    __slots__ = ("_value",)
    _field = ""

    def __init__(self, value):
        object.__setattr__(self, "_value", value)

    def __getattr__(self, name):
        if name == type(self)._field:
            return self._value
        raise AttributeError(name)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other):
        return type(other) is type(self) and other._value == self._value

    def __hash__(self):
        return hash((type(self).__name__, self._value))

    def __repr__(self):
        return f"{type(self).__name__}({self._field}={self._value!r})"

    def __reduce__(self):
        return type(self), (self._value,)


class SequenceKey(_Key):
    """The key of the ``idx``-th element of a sequence: prints ``[idx]``.

    >>> str(SequenceKey(0)), SequenceKey(0)
    ('[0]', SequenceKey(idx=0))
    """

    _field = "idx"

    def __str__(self):
        return f"[{self._value!r}]"


class DictKey(_Key):
    """The key of a mapping's entry: prints ``['a']``.

    >>> str(DictKey("a"))
    "['a']"
    """

    _field = "key"

    def __str__(self):
        return f"[{self._value!r}]"


class GetAttrKey(_Key):
    """A named field (namedtuple, dataclass): prints ``.name``.

    >>> str(GetAttrKey("w"))
    '.w'
    """

    _field = "name"

    def __str__(self):
        return f".{self._value}"


class FlattenedIndexKey(_Key):
    """The ``key``-th child of a registered class: prints ``[<flat index 0>]``.

    >>> str(FlattenedIndexKey(0))
    '[<flat index 0>]'
    """

    _field = "key"

    def __str__(self):
        return f"[<flat index {self._value}>]"


_MAPPINGS = frozenset(("dict", "pmap", "precord", "ordereddict"))


def _keys(td: TreeDef) -> list:
    kind, n = td.kind, len(td.children)
    if kind in _MAPPINGS:
        return [DictKey(k) for k in td.aux]
    if kind == "defaultdict":  # aux: (default factory, keys)
        return [DictKey(k) for k in td.aux[1]]
    if kind == "namedtuple":
        return [GetAttrKey(name) for name in td.type._fields]
    if kind == "dataclass":  # aux: (data field names, static fields)
        return [GetAttrKey(name) for name in td.aux[0]]
    if kind == "custom":
        return [FlattenedIndexKey(i) for i in range(n)]
    return [SequenceKey(i) for i in range(n)]


def treedef_paths(treedef: TreeDef) -> list[tuple]:
    """The key path of every leaf of ``treedef``, in flatten order.

    >>> [keystr(p) for p in treedef_paths(structure(((1, 2), {"w": 3})))]
    ['[0][0]', '[0][1]', "[1]['w']"]
    """
    out: list = []
    stack = [(treedef, ())]
    while stack:  # iterative: deep trees work like shallow ones
        td, prefix = stack.pop()
        if td.kind == "leaf":
            out.append(prefix)
            continue
        stack.extend((c, prefix + (k,)) for k, c in
                     reversed(list(zip(_keys(td), td.children))))
    return out


def _path_is_leaf(tree, is_leaf: Callable) -> Callable:
    """``is_leaf(x)`` for :func:`flatten` from JAX's ``is_leaf(path, x)``
    (``is_leaf_takes_path=True``): its answers on the nodes of ``tree``, walked with their
    key paths from the root down, by node identity (a node object found at two paths with
    two answers raises)."""
    decided: dict = {}
    stack = [((), tree)]
    while stack:
        path, x = stack.pop()
        found = _node_of(x)
        leaf = bool(is_leaf(path, x))
        if found is None:
            continue  # a leaf whatever is_leaf says
        if decided.setdefault(id(x), leaf) != leaf:
            raise WireNotImplementedError(
                f"is_leaf_takes_path: the same {type(x).__name__} object is at two paths where "
                f"is_leaf answers differently ({keystr(path)}){at(user_location(4))}")
        if not leaf and found[3]:
            td = TreeDef(*found[:3], tuple(LEAF for _ in found[3]))
            stack.extend(reversed([(path + (k,), c) for k, c in zip(_keys(td), found[3])]))
    return lambda x: decided.get(id(x), False)


def _leaf_test(tree, is_leaf, takes_path: bool):
    if takes_path and is_leaf is not None:
        return _path_is_leaf(tree, is_leaf)
    return is_leaf


def flatten_with_path(tree, is_leaf: Callable | None = None,
                      is_leaf_takes_path: bool = False) -> tuple[list, TreeDef]:
    """``([(key_path, leaf), ...], treedef)`` (``jax.tree_util.tree_flatten_with_path``);
    with ``is_leaf_takes_path`` (as JAX) ``is_leaf`` is called as ``is_leaf(path, x)``.

    >>> pairs, td = flatten_with_path({"w": [1.0, 2.0]})
    >>> [(keystr(p), x) for p, x in pairs], td
    ([("['w'][0]", 1.0), ("['w'][1]", 2.0)], {'w': [*, *]})
    >>> flatten_with_path({"w": [1.0, 2.0], "b": [3.0]}, lambda p, x: keystr(p) == "['w']",
    ...                   is_leaf_takes_path=True)[1]
    {'b': [*], 'w': *}
    """
    leaves, td = flatten(tree, _leaf_test(tree, is_leaf, is_leaf_takes_path))
    return list(zip(treedef_paths(td), leaves)), td


def leaves_with_path(tree, is_leaf: Callable | None = None,
                     is_leaf_takes_path: bool = False) -> list:
    """``[(key_path, leaf), ...]`` in flatten order (``jax.tree_util.tree_leaves_with_path``;
    ``is_leaf_takes_path`` as in :func:`flatten_with_path`).

    >>> leaves_with_path([1, (2,)])
    [((SequenceKey(idx=0),), 1), ((SequenceKey(idx=1), SequenceKey(idx=0)), 2)]
    """
    return flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def map_with_path(fn: Callable, tree, *rest, is_leaf: Callable | None = None,
                  is_leaf_takes_path: bool = False):
    """``fn(key_path, leaf, *others)`` over the leaves of ``tree`` (and of ``rest``, which have
    ``tree``'s structure or have it as a prefix), as ``jax.tree_util.tree_map_with_path``
    (``is_leaf_takes_path`` as in :func:`flatten_with_path`).

    >>> map_with_path(lambda p, x: f"{keystr(p)}={x}", {"a": 1, "b": (2,)})
    {'a': "['a']=1", 'b': ("['b'][0]=2",)}
    """
    pairs, td = flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    others = []
    for r in rest:
        found = _flatten_up_to(td, r)
        if found is None:
            raise WireError(f"tree.map_with_path: tree structures differ: {td!r} vs "
                            f"{structure(r)!r}{at(user_location())}")
        others.append(found)
    return unflatten(td, [fn(p, x, *xs) for (p, x), *xs in zip(pairs, *others)])


def keystr(keys, *, simple: bool = False, separator: str = "") -> str:
    """A key path as text, as ``jax.tree_util.keystr``: ``"['a'][0].w"``; with ``simple``,
    the bare keys joined by ``separator`` (``"a/0/w"``).

    >>> path = (DictKey("a"), SequenceKey(0), GetAttrKey("w"))
    >>> keystr(path), keystr(path, simple=True, separator="/")
    ("['a'][0].w", 'a/0/w')
    """
    if not isinstance(keys, tuple):
        raise WireTypeError(f"keystr needs a key path (a tuple of keys), got "
                            f"{type(keys).__name__}{at(user_location())}")
    if not simple:
        return separator.join(str(k) for k in keys)
    return separator.join(str(k._value if isinstance(k, _Key) else k) for k in keys)


def transpose(outer_treedef: TreeDef, inner_treedef: TreeDef | None, pytree_to_transpose):
    """A tree of structure ``outer`` of trees of structure ``inner`` as one of ``inner`` of
    ``outer`` (``jax.tree_util.tree_transpose``). ``inner_treedef=None`` takes it from the
    first subtree. Every subtree must have the inner structure exactly (JAX checks only the
    number of leaves).

    >>> outer, inner = structure([0, 0]), structure({"a": 0, "b": 0})
    >>> transpose(outer, inner, [{"a": 1, "b": 2}, {"a": 3, "b": 4}])
    {'a': [1, 3], 'b': [2, 4]}
    """
    for name, td in (("outer_treedef", outer_treedef), ("inner_treedef", inner_treedef)):
        if not isinstance(td, TreeDef) and not (td is None and name == "inner_treedef"):
            raise WireTypeError(f"tree.transpose: {name} must be a TreeDef (wire.tree."
                                f"structure(...)), got {type(td).__name__}{at(user_location())}")
    subtrees = _flatten_up_to(outer_treedef, pytree_to_transpose)
    if subtrees is None:
        raise WireError(f"tree.transpose: the tree's structure {structure(pytree_to_transpose)!r}"
                        f" does not start with the outer structure {outer_treedef!r}"
                        f"{at(user_location())}")
    if inner_treedef is None:
        if not subtrees:
            raise WireError(f"tree.transpose: the outer structure {outer_treedef!r} has no "
                            f"leaves, so the inner structure must be given{at(user_location())}")
        inner_treedef = structure(subtrees[0])
    columns = []
    for i, sub in enumerate(subtrees):
        leaves, td = flatten(sub)
        if td != inner_treedef:
            raise WireError(f"tree.transpose: subtree {i} of the outer structure is {td!r}, "
                            f"not the inner structure {inner_treedef!r}{at(user_location())}")
        columns.append(leaves)
    rows = [unflatten(outer_treedef, [col[j] for col in columns])
            for j in range(inner_treedef.num_leaves)]
    return unflatten(inner_treedef, rows)
