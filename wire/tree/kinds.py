"""Which values are pytree nodes, how one is taken apart and rebuilt, and the type registry.

Built in: ``tuple``, ``list``, ``dict`` (keys sorted), ``collections.OrderedDict`` (keys in
order), ``collections.defaultdict`` (keys sorted; its ``default_factory`` is static data, as
in JAX), ``None`` (no children), namedtuples, pyrsistent ``PMap`` (keys sorted), ``PVector``
and ``PRecord``, and dataclass instances (their ``init`` fields, in declaration order; a field
declared with ``metadata={"static": True}`` — :func:`static` — is static data instead of a
child). Classes given to :func:`register` come first. Anything else is a leaf.

The registry is the one piece of mutable state in this layer, and deliberately so: which
classes are containers is a fact about the user's program, declared once (JAX and autograd
keep the same kind of table). It is append-only — a class is registered once and never
removed or replaced, so a cached structure can never change meaning — guarded by a lock, and
read without one (a dict lookup is atomic). Everything else here is a pure function.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections import OrderedDict, defaultdict
from typing import Callable, NamedTuple

import numpy as np
from pyrsistent import PMap, PRecord, PVector, pmap, pvector

from ..errors import WireError, WireTypeError, at, user_location


class Registered(NamedTuple):
    """How a registered class is taken apart (``flatten(x) -> (children, aux)``) and rebuilt
    (``unflatten(aux, children) -> x``), as in JAX's ``register_pytree_node``."""

    flatten: Callable
    unflatten: Callable


_NODE_TYPES: dict = {}  # class -> Registered; append-only (see the module docstring)
_NODE_TYPES_LOCK = threading.Lock()

_NONE_NODE = ("none", None, None, ())
_BUILTIN_NODES = (tuple, list, dict, OrderedDict, defaultdict, type(None))
_LEAF_TYPES = frozenset((np.ndarray, float, int, bool, complex, np.float64, np.float32,
                         np.int64, np.int32, np.bool_, np.complex128))


def register(cls: type, flatten: Callable, unflatten: Callable) -> None:
    """Make instances of ``cls`` pytree nodes (JAX's ``register_pytree_node``).

    ``flatten(x)`` returns ``(children, aux)``: an iterable of child pytrees and hashable
    static data; ``unflatten(aux, children)`` rebuilds an instance from them (``children`` a
    tuple). Exactly ``cls`` is registered, not its subclasses. A class is registered once:
    registering it again raises (the registry never changes what a structure means).

    >>> class Pair:
    ...     def __init__(self, a, b):
    ...         self.a, self.b = a, b
    >>> register(Pair, lambda p: ((p.a, p.b), None), lambda aux, kids: Pair(*kids))
    >>> from wire.tree import leaves
    >>> leaves([Pair(1, 2), 3])
    [1, 2, 3]
    """
    if not isinstance(cls, type):
        raise WireTypeError(f"wire.tree.register needs a class, got {cls!r}"
                            f"{at(user_location())}")
    if not (callable(flatten) and callable(unflatten)):
        raise WireTypeError("wire.tree.register needs callables flatten(x) -> (children, aux) "
                            f"and unflatten(aux, children){at(user_location())}")
    if cls in _BUILTIN_NODES or cls in _LEAF_TYPES:
        raise WireError(f"wire.tree.register: {cls.__name__} is built in (a container or an "
                        f"array leaf) and cannot be registered{at(user_location())}")
    with _NODE_TYPES_LOCK:
        if cls in _NODE_TYPES:
            raise WireError(
                f"wire.tree.register: {cls.__module__}.{cls.__qualname__} is already "
                f"registered; a class is registered once{at(user_location())}"
            )
        _NODE_TYPES[cls] = Registered(flatten, unflatten)


def register_class(cls: type | None = None, data_fields=None, meta_fields=None):
    """Register ``cls`` as a pytree node by its fields; returns ``cls``, so it is a class
    decorator too (JAX's ``register_pytree_node_class`` and ``register_dataclass``).

    * ``data_fields`` (children: arrays, pytrees) and ``meta_fields`` (static, hashable data
      that becomes part of ``wire.jit``'s cache key) name attributes; an instance is rebuilt
      as ``cls(**data, **meta)``, as ``jax.tree_util.register_dataclass`` does.
    * Without them, a class with ``tree_flatten(self) -> (children, aux)`` and a classmethod
      ``tree_unflatten(aux, children)`` is registered by those (``register_pytree_node_class``),
      and a dataclass by its ``init`` fields, those marked :func:`static` as meta fields.

    >>> @register_class(data_fields=["w", "b"], meta_fields=["act"])
    ... class Layer:
    ...     def __init__(self, w, b, act):
    ...         self.w, self.b, self.act = w, b, act
    >>> from wire.tree import flatten, unflatten
    >>> leaves, td = flatten(Layer(1.0, 2.0, "tanh"))
    >>> leaves
    [1.0, 2.0]
    >>> unflatten(td, [3.0, 4.0]).act
    'tanh'
    """
    if cls is None:  # @register_class(data_fields=..., meta_fields=...)
        return lambda c: register_class(c, data_fields, meta_fields)
    if not isinstance(cls, type):
        raise WireTypeError(f"wire.tree.register_class needs a class, got {cls!r}"
                            f"{at(user_location())}")
    if data_fields is None and meta_fields is None:
        if hasattr(cls, "tree_flatten") and hasattr(cls, "tree_unflatten"):
            register(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
            return cls
        if not dataclasses.is_dataclass(cls):
            raise WireTypeError(
                f"wire.tree.register_class({cls.__name__}): name its fields "
                f"(data_fields=[...], meta_fields=[...]), or give the class tree_flatten and "
                f"a classmethod tree_unflatten, or make it a dataclass{at(user_location())}")
        data_fields, meta_fields = dataclass_fields(cls)
    data = _field_names(data_fields, "data_fields")
    meta = _field_names(meta_fields, "meta_fields")
    both = set(data) & set(meta)
    if both:
        raise WireError(f"wire.tree.register_class({cls.__name__}): fields {sorted(both)} are "
                        f"both data_fields and meta_fields{at(user_location())}")

    def flatten(x):
        return [getattr(x, n) for n in data], tuple(getattr(x, n) for n in meta)

    def unflatten(aux, kids):
        return cls(**dict(zip(data, kids)), **dict(zip(meta, aux)))

    register(cls, flatten, unflatten)
    return cls


def _field_names(names, what: str) -> tuple:
    names = () if names is None else (names,) if isinstance(names, str) else tuple(names)
    if not all(isinstance(n, str) for n in names):
        raise WireTypeError(f"wire.tree.register_class: {what} must be attribute names "
                            f"(strings), got {names!r}{at(user_location(4))}")
    return names


def is_registered(cls: type) -> bool:
    """Whether ``cls`` was given to :func:`register`.

    >>> class Box:
    ...     def __init__(self, v):
    ...         self.v = v
    >>> is_registered(Box)
    False
    >>> register(Box, lambda b: ((b.v,), None), lambda aux, kids: Box(*kids))
    >>> is_registered(Box), is_registered(dict)       # dict is built in, not registered
    (True, False)
    """
    return cls in _NODE_TYPES


def static(**field_kwargs):
    """A dataclass field that is static data of the pytree, not a child (it becomes part of
    ``wire.jit``'s cache key, so it must be hashable): ``dataclasses.field`` with
    ``metadata={"static": True}``, the mark JAX's ``register_dataclass`` reads too.

    >>> import dataclasses
    >>> @dataclasses.dataclass
    ... class Layer:
    ...     w: object
    ...     activation: str = static(default="tanh")
    >>> from wire.tree import flatten
    >>> flatten(Layer(1.0))
    ([1.0], Layer(*))
    """
    metadata = dict(field_kwargs.pop("metadata", None) or {})
    metadata["static"] = True
    return dataclasses.field(metadata=metadata, **field_kwargs)


@functools.lru_cache(maxsize=1024)
def dataclass_fields(cls: type) -> tuple[tuple, tuple]:
    """``(child field names, static field names)`` of a dataclass: its ``init`` fields, split
    by the ``static`` metadata mark (memoized: a class's fields never change)."""
    data, stat = [], []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue  # computed by the class itself (__post_init__) when it is rebuilt
        (stat if f.metadata.get("static", False) else data).append(f.name)
    return tuple(data), tuple(stat)


def sorted_keys(mapping) -> tuple:
    """The keys of ``mapping`` sorted (mixed key types: by ``repr``, a stable order)."""
    try:
        return tuple(sorted(mapping))
    except TypeError:
        return tuple(sorted(mapping, key=repr))


def node_of(x):
    """``(kind, type, aux, children)`` for a pytree node, ``None`` for a leaf."""
    t = type(x)
    if t is tuple:
        return "tuple", tuple, None, x
    if t is list:
        return "list", list, None, x
    if t is dict:
        keys = sorted_keys(x)
        return "dict", dict, keys, [x[k] for k in keys]
    if x is None:
        return _NONE_NODE
    if t in _LEAF_TYPES:
        return None
    found = _NODE_TYPES.get(t)
    if found is not None:
        return _custom(x, t, found)
    if t is OrderedDict:
        keys = tuple(x)
        return "ordereddict", t, keys, [x[k] for k in keys]
    if t is defaultdict:
        keys = sorted_keys(x)
        return "defaultdict", t, (x.default_factory, keys), [x[k] for k in keys]
    if isinstance(x, PRecord):
        keys = sorted_keys(x)
        return "precord", t, keys, [x[k] for k in keys]
    if isinstance(x, PMap):
        keys = sorted_keys(x)
        return "pmap", PMap, keys, [x[k] for k in keys]
    if isinstance(x, PVector):
        return "pvector", PVector, None, list(x)
    if isinstance(x, tuple) and hasattr(t, "_fields"):
        return "namedtuple", t, None, tuple(x)
    if hasattr(t, "__dataclass_fields__"):
        data, stat = dataclass_fields(t)
        return ("dataclass", t, (data, tuple((n, getattr(x, n)) for n in stat)),
                [getattr(x, n) for n in data])
    return None


def _custom(x, t, found: Registered):
    got = found.flatten(x)
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        raise WireTypeError(
            f"the flatten function registered for {t.__name__} returned {type(got).__name__}; "
            f"it must return a pair (children, aux){at(user_location())}"
        )
    return "custom", t, got[1], tuple(got[0])


FLOAT0 = np.dtype([("float0", np.void, 0)])
_ndarray = np.ndarray
_F0_TYPES = (np.ndarray, np.void)
"""JAX's ``float0``: the dtype of the gradient of an integer input (no bytes per element)."""


def is_float0(x) -> bool:
    """Whether ``x`` is a NumPy array (or void scalar) of dtype ``float0``: data-free, so
    a trace takes it as structure (``float0_node``), never as a value.

    >>> is_float0(np.zeros(3, FLOAT0)), is_float0(np.zeros(3))
    (True, False)
    """
    t = type(x)
    if t is not _ndarray and t is not np.void and not isinstance(x, _F0_TYPES):
        return False
    dtype = x.dtype
    return dtype.kind == "V" and dtype == FLOAT0


def rebuild(kind: str, typ, aux, kids: list):
    """The node of ``kind`` (a TreeDef's fields) with children ``kids``."""
    if kind == "float0":  # (a data-free array: its shape is the node's static data)
        return np.zeros(aux, FLOAT0)
    if kind == "tuple":
        return tuple(kids)
    if kind == "list":
        return kids
    if kind == "dict":
        return dict(zip(aux, kids))
    if kind == "none":
        return None
    if kind == "custom":
        return _NODE_TYPES[typ].unflatten(aux, tuple(kids))
    if kind == "namedtuple":
        return typ(*kids)
    if kind == "dataclass":
        data, stat = aux
        return typ(**dict(zip(data, kids)), **dict(stat))
    if kind == "ordereddict":
        return OrderedDict(zip(aux, kids))
    if kind == "defaultdict":
        return defaultdict(aux[0], zip(aux[1], kids))
    if kind == "pmap":
        return pmap(dict(zip(aux, kids)))
    if kind == "precord":
        return typ(**dict(zip(aux, kids)))
    if kind == "pvector":
        return pvector(kids)
    raise AssertionError(kind)


def child_labels(kind: str, aux, n: int) -> list[str]:
    """How a path names each child of a node: ``['w']``, ``.w`` or ``[0]``."""
    if kind in ("dict", "pmap", "precord", "ordereddict"):
        return [f"[{k!r}]" for k in aux]
    if kind == "defaultdict":  # (aux: the default factory and the keys)
        return [f"[{k!r}]" for k in aux[1]]
    if kind == "dataclass":
        return [f".{name}" for name in aux[0]]
    return [f"[{i}]" for i in range(n)]
