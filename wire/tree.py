"""Pytrees: nested containers of arrays, flattened to leaves and rebuilt.

Containers wire knows: ``tuple``, ``list``, ``dict`` (keys sorted), ``None`` (no leaves),
namedtuples, and pyrsistent ``PMap`` (keys sorted), ``PVector`` and ``PRecord``. Anything
else is a leaf. A ``TreeDef`` is an immutable, hashable description of the structure, so it
can be part of a cache key.

>>> leaves, tree = flatten({"b": (1, 2), "a": [3]})
>>> leaves
[3, 1, 2]
>>> unflatten(tree, [x * 10 for x in leaves])
{'a': [30], 'b': (10, 20)}
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from pyrsistent import PMap, PRecord, PVector, pmap, pvector

from .errors import WireError, at, user_location
from .tracebacks import expose

__all__ = ["TreeDef", "flatten", "leaf_paths", "leaves", "map", "unflatten"]


class TreeDef(NamedTuple):
    """Structure of a pytree: ``kind`` tag, the container type, static aux data, children."""

    kind: str
    type: Any
    aux: Any
    children: tuple

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join([repr(c) for c in self.children])
        if self.kind in ("dict", "pmap", "precord"):
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.aux, self.children))
            return "{" + inner + "}"
        if self.kind == "list":
            return f"[{inner}]"
        return f"({inner})"


LEAF = TreeDef("leaf", None, None, ())
_NONE = TreeDef("none", None, None, ())


def _sorted_keys(mapping) -> tuple:
    try:
        return tuple(sorted(mapping))
    except TypeError:  # mixed key types: fall back to a stable order by repr
        return tuple(sorted(mapping, key=repr))


def _children(x) -> tuple[str, Any, tuple, list] | None:
    """Return (kind, aux, child values) for a known container, or None for a leaf."""
    if x is None:
        return "none", None, ()
    t = type(x)
    if t is tuple:
        return "tuple", None, x
    if t is list:
        return "list", None, x
    if t is dict:
        keys = _sorted_keys(x)
        return "dict", keys, [x[k] for k in keys]
    if isinstance(x, PRecord):
        keys = _sorted_keys(x)
        return "precord", keys, [x[k] for k in keys]
    if isinstance(x, PMap):
        keys = _sorted_keys(x)
        return "pmap", keys, [x[k] for k in keys]
    if isinstance(x, PVector):
        return "pvector", None, list(x)
    if isinstance(x, tuple) and hasattr(t, "_fields"):
        return "namedtuple", None, tuple(x)
    return None


def flatten(tree) -> tuple[list, TreeDef]:
    """Flatten a pytree into ``(leaves, treedef)``, leaves in depth-first order.

    >>> flatten((1, None, [2.0]))
    ([1, 2.0], (*, None, [*]))
    """
    leaves: list = []

    def go(x) -> TreeDef:
        found = _children(x)
        if found is None:
            leaves.append(x)
            return LEAF
        kind, aux, kids = found
        if kind == "none":
            return _NONE
        return TreeDef(kind, type(x), aux, tuple(go(k) for k in kids))

    return leaves, go(tree)


def leaves(tree) -> list:
    """The leaves of ``tree`` in flatten order.

    >>> leaves({"w": 1, "b": (2, 3)})
    [2, 3, 1]
    """
    return flatten(tree)[0]


def unflatten(treedef: TreeDef, leaf_values) -> Any:
    """Rebuild a pytree of structure ``treedef`` from ``leaf_values`` (any iterable).

    >>> leaves_, t = flatten([1, (2, 3)])
    >>> unflatten(t, ["a", "b", "c"])
    ['a', ('b', 'c')]
    """
    it = iter(leaf_values)

    def build(td: TreeDef):
        kind = td.kind
        if kind == "leaf":
            return next(it)
        if kind == "none":
            return None
        kids = [build(c) for c in td.children]
        if kind == "tuple":
            return tuple(kids)
        if kind == "list":
            return kids
        if kind == "dict":
            return dict(zip(td.aux, kids))
        if kind == "pmap":
            return pmap(dict(zip(td.aux, kids)))
        if kind == "precord":
            return td.type(**dict(zip(td.aux, kids)))
        if kind == "pvector":
            return pvector(kids)
        if kind == "namedtuple":
            return td.type(*kids)
        raise AssertionError(kind)

    out = build(treedef)
    rest = list(it)
    if rest:
        raise ValueError(f"unflatten: {len(rest)} leaves left over for tree {treedef!r}")
    return out


def map(fn: Callable, tree, *rest):
    """Apply ``fn`` leaf-wise over one or more trees of the same structure.

    >>> map(lambda a, b: a + b, {"x": 1, "y": (2,)}, {"x": 10, "y": (20,)})
    {'x': 11, 'y': (22,)}
    """
    leaves0, td = flatten(tree)
    others = []
    for r in rest:
        lr, tdr = flatten(r)
        if tdr != td:
            raise WireError(f"tree.map: tree structures differ: {td!r} vs {tdr!r}"
                            + at(user_location()))
        others.append(lr)
    return unflatten(td, [fn(*xs) for xs in zip(leaves0, *others)])


def leaf_paths(treedef: TreeDef) -> list[str]:
    """Human-readable path of every leaf, e.g. ``["[0]['w']", "[1]"]``, for error messages."""
    out: list[str] = []

    def go(td: TreeDef, prefix: str):
        if td.kind == "leaf":
            out.append(prefix or "<root>")
        elif td.kind in ("dict", "pmap", "precord"):
            for k, c in zip(td.aux, td.children):
                go(c, f"{prefix}[{k!r}]")
        else:
            for i, c in enumerate(td.children):
                go(c, f"{prefix}[{i}]")

    go(treedef, "")
    return out

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
