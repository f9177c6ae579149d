"""Pytrees: nested containers of arrays, flattened to leaves and rebuilt.

Containers wire knows: ``tuple``, ``list``, ``dict`` (keys sorted), ``OrderedDict`` (keys in
order), ``defaultdict`` (keys sorted, the same ``default_factory`` rebuilt), ``None`` (no leaves), namedtuples, dataclasses (their fields; see :func:`static`),
pyrsistent ``PMap`` (keys sorted), ``PVector`` and ``PRecord``, and any class given to
:func:`register` or :func:`register_class`. Anything else is a leaf. A ``TreeDef`` is an immutable, hashable, strictly
compared description of the structure, so it can be part of a cache key (``wire.jit``'s).

Every walk here (flatten, unflatten, map, paths, equality, hashing) is iterative: a tree
10 000 levels deep works like a shallow one.

>>> leaves, tree = flatten({"b": (1, 2), "a": [3]})
>>> leaves
[3, 1, 2]
>>> unflatten(tree, [x * 10 for x in leaves])
{'a': [30], 'b': (10, 20)}
"""

from __future__ import annotations

from ..errors import MissingNameError
from ..tracebacks import expose
from .kinds import FLOAT0, is_float0, is_registered, register, register_class, static
from .paths import (
    DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey, flatten_with_path, keystr,
    leaves_with_path, map_with_path, transpose, treedef_paths,
)
from .partial import Partial
from .ravel import ravel
from .treedef import LEAF, TreeDef, float0_node, strict_key
from .walk import (
    _children, all, flatten, float0_structure, has_float0, leaf_paths, leaves, map, reduce,
    structure, unflatten,
)

__all__ = [
    "LEAF", "Partial", "TreeDef", "all", "flatten", "is_registered", "leaf_paths", "leaves", "map",
    "ravel", "reduce", "register", "register_class", "static", "strict_key", "structure", "unflatten",
    "flatten_with_path", "leaves_with_path", "map_with_path", "keystr", "transpose",
    "treedef_paths", "FLOAT0", "is_float0", "float0_node", "float0_structure", "has_float0",
]

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)

# jax.tree_util's names, spelt otherwise here: ``wire.tree.<name>`` says what to write
_JAX_NAMES = {
    **{f"tree_{n}": n for n in ("map", "flatten", "unflatten", "leaves", "structure", "reduce",
                                "all", "transpose", "flatten_with_path", "leaves_with_path",
                                "map_with_path")},
    "register_pytree_node": "register(cls, flatten, unflatten)",
    "register_pytree_with_keys": "register(cls, flatten, unflatten) (a child's key is its "
                                 "position)",
    "register_pytree_node_class": "register_class (a class decorator, reading the class's "
                                  "tree_flatten and tree_unflatten)",
    "register_pytree_with_keys_class": "register_class",
    "register_dataclass": "register_class(cls, data_fields=..., meta_fields=...), or a "
                          "dataclass as it is (wire.tree.static marks its static fields)",
    "register_static": "register(cls, lambda x: ((), x), lambda x, _: x) (hashable "
                       "instances)",
    "PyTreeDef": "TreeDef",
}


def __getattr__(name):
    """A ``jax.tree_util`` name wire spells otherwise: a ``MissingNameError`` saying what to
    write (an ``AttributeError``, so ``hasattr`` works as for any module).

    >>> import wire
    >>> try:
    ...     wire.tree.tree_map
    ... except wire.MissingNameError as e:
    ...     print(e)
    wire.tree has no tree_map (jax.tree_util's name): use wire.tree.map
    """
    hint = _JAX_NAMES.get(name)
    if hint is not None:
        raise MissingNameError(f"wire.tree has no {name} (jax.tree_util's name): use "
                               f"wire.tree.{hint}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
