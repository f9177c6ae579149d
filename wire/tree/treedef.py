"""``TreeDef``: the immutable, hashable structure of a pytree, and ``strict_key``.

A ``TreeDef`` is a node ``(kind, type, aux, children)``. Its hash is computed once, at
construction, from its children's cached hashes, and equality, ``repr`` and pickling walk the
tree with an explicit stack, so a structure 10 000 levels deep costs no recursion. Equality is
*strict*: ``{1: x}``, ``{1.0: x}`` and ``{True: x}`` are three structures (Python calls the
keys equal, but rebuilding one from the other's structure would change the keys' types), and
so are static values ``0.0`` and ``-0.0`` — a structure is a cache key (``wire.jit``), so two
structures are equal only when rebuilding gives equal objects of equal types.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple

import numpy as np
from pyrsistent import PMap, PVector

from ..errors import WireTypeError


def strict_key(value) -> Any:
    """A hashable key for ``value`` that tells apart what ``==`` merges: ``1``, ``1.0`` and
    ``True``; ``0.0`` and ``-0.0``; and NaNs (equal to themselves here). Containers — tuples,
    lists, frozensets, namedtuples, slices, pyrsistent maps and vectors, and dataclass
    instances compared by their fields (a frozen config as static data) — are keyed
    element-wise with their type.

    >>> strict_key(1) == strict_key(1.0), strict_key(0.0) == strict_key(-0.0)
    (False, False)
    >>> strict_key(float("nan")) == strict_key(float("nan"))
    True
    >>> from pyrsistent import pmap
    >>> strict_key(pmap({"k": 1})) == strict_key(pmap({"k": 1.0}))
    False
    """
    t = type(value)
    if t is float or t is complex or isinstance(value, (np.floating, np.complexfloating)):
        # the bytes of the value: signed zeros and NaN payloads stay apart, NaN == NaN
        return (t, np.asarray(value).tobytes())
    if t is tuple or t is list or t is frozenset or t is PVector or isinstance(value, PVector):
        items = sorted(value, key=repr) if t is frozenset else value
        return (t, tuple(strict_key(v) for v in items))
    if isinstance(value, tuple) and hasattr(t, "_fields"):  # a namedtuple
        return (t, tuple(strict_key(v) for v in value))
    if t is slice:
        return (t, strict_key((value.start, value.stop, value.step)))
    if isinstance(value, PMap):  # (keys keyed strictly too: {1: a} is not {1.0: a})
        return (t, tuple(sorted(((strict_key(k), strict_key(v)) for k, v in value.items()),
                                key=repr)))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # its fields keyed strictly, and the instance itself (``==`` decides too: a class
        # with its own ``__eq__`` or none may tell apart what the fields do not)
        return (t, tuple(strict_key(getattr(value, f.name)) for f in dataclasses.fields(value)),
                value)
    return (t, value)


def _all_str(items: tuple) -> bool:
    try:
        "".join(items)  # a C loop: fails on the first item that is not a str
    except TypeError:
        return False
    return True


class _Fields(NamedTuple):
    kind: str
    type: Any
    aux: Any
    children: tuple
    num_leaves: int
    key: Any  # (kind, type, strict_key(aux)): what equality compares at each node
    hash: int  # computed once from the key and the children's hashes


class TreeDef(_Fields):
    """Structure of a pytree: ``kind`` tag, the container ``type``, static ``aux`` data, and
    ``children`` (a tuple of TreeDefs). Immutable; hashes and compares without recursion.

    >>> from wire.tree import flatten
    >>> flatten({"a": (1, 2)})[1]
    {'a': (*, *)}
    """

    __slots__ = ()

    def __new__(cls, kind: str, type, aux, children=()):
        children = tuple(children)
        try:
            if aux is None:
                key = (kind, type, None)
            elif aux.__class__ is tuple and _all_str(aux):
                key = (kind, type, aux)  # dict keys, field names: strings key as themselves
            else:
                key = (kind, type, strict_key(aux))
                if kind not in _CHECKED:
                    hash(aux)  # the static data itself, as JAX requires (not only its key)
            h = hash((key, *[c.hash for c in children]))
        except TypeError:
            raise WireTypeError(
                f"the static data of a {getattr(type, '__name__', kind)} pytree node is not "
                f"hashable: {aux!r}; static data (a registered class's aux data, a "
                f"dataclass's static fields) is part of wire.jit's cache key"
            ) from None
        n = 1 if kind == "leaf" else sum([c.num_leaves for c in children])  # noqa: C419
        return _Fields.__new__(cls, kind, type, aux, children, n, key, h)

    def __hash__(self):
        return self.hash

    def __eq__(self, other):
        if self is other:
            return True
        if not isinstance(other, TreeDef) or self.hash != other.hash:
            return False
        stack = [(self, other)]
        while stack:
            a, b = stack.pop()
            if a is b:
                continue
            if a.hash != b.hash or a.key != b.key or len(a.children) != len(b.children):
                return False
            stack.extend(zip(a.children, b.children))
        return True

    def __ne__(self, other):
        return not self == other

    def __repr__(self) -> str:
        parts: list[str] = []
        # work items: a TreeDef to print, or a literal string to emit
        stack: list = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                parts.append(item)
                continue
            kind = item.kind
            if kind == "leaf":
                parts.append("*")
                continue
            if kind == "none":
                parts.append("None")
                continue
            if kind == "float0":
                parts.append(f"float0{item.aux!r}")
                continue
            keyed = kind in _KEYED
            if keyed:
                keys = item.aux[1] if kind == "defaultdict" else item.aux  # (factory, keys)
                labels = [f"{k!r}: " for k in keys]
                opener, closer = "{", "}"
            else:
                labels = [""] * len(item.children)
                opener, closer = ("[", "]") if kind == "list" else ("(", ")")
            if kind not in ("tuple", "list", "dict"):
                opener = f"{getattr(item.type, '__name__', kind)}{opener}"
            todo: list = [opener]
            for i, (label, child) in enumerate(zip(labels, item.children)):
                if i:
                    todo.append(", ")
                todo.append(label)
                todo.append(child)
            todo.append(closer)
            stack.extend(reversed(todo))
        return "".join(parts)

    def __reduce__(self):
        # Flat, in preorder: pickling a deep structure never recurses.
        flat = []
        stack = [self]
        while stack:
            td = stack.pop()
            flat.append((td.kind, td.type, td.aux, len(td.children)))
            stack.extend(reversed(td.children))
        return _from_preorder, (tuple(flat),)


# aux built by wire: hashable by construction
_CHECKED = frozenset(("tuple", "list", "dict", "none", "leaf", "ordereddict", "pmap", "precord",
                      "pvector", "namedtuple", "float0"))
_KEYED = frozenset(("dict", "pmap", "precord", "ordereddict", "defaultdict"))


def _from_preorder(flat) -> TreeDef:
    """Rebuild a TreeDef from its preorder ``(kind, type, aux, n_children)`` records."""
    # frames: [kind, type, aux, n_children, children so far]
    stack: list = []
    done = None
    for kind, typ, aux, n in flat:
        frame = [kind, typ, aux, n, []]
        stack.append(frame)
        while stack and len(stack[-1][4]) == stack[-1][3]:
            k, t, a, _, kids = stack.pop()
            td = TreeDef(k, t, a, kids)
            if stack:
                stack[-1][4].append(td)
            else:
                done = td
    return done


LEAF = TreeDef("leaf", None, None, ())
NONE = TreeDef("none", None, None, ())


def float0_node(shape) -> TreeDef:
    """The structure standing for a ``float0`` array of ``shape`` (JAX's dtype of the
    gradient of an integer): no leaves, the shape static, rebuilt as ``np.zeros(shape,
    float0)``. A traced function's float0 outputs and jit's float0 arguments are this, not
    values: they hold no data.

    >>> float0_node((2, 3)), float0_node(()).num_leaves
    (float0(2, 3), 0)
    """
    return TreeDef("float0", None, tuple(int(d) for d in shape), ())
