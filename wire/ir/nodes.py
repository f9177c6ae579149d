"""Abstract values and interned nodes (the graph type lives in ``wire.ir.graph``).

* ``Aval`` — shape and dtype of a value (``shape`` may be ``None`` for a ``wire.var`` whose
  shape was not given). Multi-output nodes have a tuple of avals.
* ``Node`` — ``(op, inputs, params, aval)``, immutable and *interned*: building the same
  expression twice returns the same object, so ``==`` is ``is``, hashing never recurses and
  common sub-expressions are shared for free. The user's source location (``loc``) rides
  along outside the key.

Leaf operations (inputs, named vars, constants) live here; computing primitives live in
``wire.core`` and ``wire.ops``.
"""

from __future__ import annotations

import functools
import math
import sys
import threading
import weakref
from _weakref import _remove_dead_weakref  # what WeakValueDictionary uses; atomic
from typing import Iterable, Sequence

import numpy as np
from pyrsistent import PMap, pmap


EMPTY_PARAMS = pmap()


# --------------------------------------------------------------------------- avals


class Aval:
    """Abstract value: ``shape`` (tuple of ints, or None when unknown) and ``dtype``.

    Interned: equal avals are one object, so comparing and hashing them (in every node's
    intern key) is by identity, without a Python-level call.

    >>> Aval((3, 4), np.float64)
    f64[3,4]
    >>> Aval([3, 4], "float64") is Aval((3, 4), np.float64)
    True
    """

    __slots__ = ("shape", "dtype", "__weakref__")

    def __new__(cls, shape, dtype):
        shape = None if shape is None else tuple([int(d) for d in shape])
        dtype = np.dtype(dtype)
        key = (shape, dtype)
        found = _AVALS.get(key)
        if found is not None:
            return found
        with _AVALS_LOCK:  # (a new aval: rare) racing threads must get one object
            found = _AVALS.get(key)
            if found is None:
                found = object.__new__(cls)
                object.__setattr__(found, "shape", shape)
                object.__setattr__(found, "dtype", dtype)
                _AVALS[key] = found
        return found

    def __setattr__(self, name, value):
        raise AttributeError("Aval is immutable")

    # Equality and hashing are by identity (the defaults): avals are interned.

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    @property
    def ndim(self):
        return None if self.shape is None else len(self.shape)

    @property
    def size(self):
        return None if self.shape is None else math.prod(self.shape)

    @property
    def is_float(self) -> bool:
        return self.dtype.kind in "fc"

    def __repr__(self):
        kind = {"f": "f", "i": "i", "u": "u", "c": "c", "b": "bool"}.get(self.dtype.kind, "?")
        name = "bool" if kind == "bool" else f"{kind}{self.dtype.itemsize * 8}"
        dims = "?" if self.shape is None else ",".join(map(str, self.shape))
        return f"{name}[{dims}]"

    def __reduce__(self):
        return Aval, (self.shape, self.dtype)


# (shape, dtype) -> its one Aval, while some object holds it (a weak-valued table: shapes a
# long-running program stops using do not accumulate)
_AVALS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_AVALS_LOCK = threading.Lock()


def make_aval(shape, dtype) -> Aval:
    """A shared ``Aval`` for ``(shape, dtype)`` (memoized: equal avals are usually one object,
    which makes node-key comparisons identity checks)."""
    return _shared_aval(shape if shape is None or type(shape) is tuple else tuple(shape), dtype)


@functools.lru_cache(maxsize=4096)
def _shared_aval(shape, dtype) -> Aval:
    return Aval(shape, dtype)


def aval_of(x) -> Aval:
    """Aval of a concrete value (array, NumPy scalar, Python number)."""
    if isinstance(x, np.ndarray):
        return make_aval(x.shape, x.dtype)
    return make_aval(np.shape(x), np.result_type(x))


# --------------------------------------------------------------------------- leaf ops


class LeafOp:
    """An operation with no inputs whose value comes from outside: input, var or const."""

    __slots__ = ("name", "constant")
    # (as a Primitive's: the operands of a commutative node keep their order otherwise)
    commutative = False

    def __init__(self, name: str, constant: bool = False):
        self.name = name
        # whether its value is its params' alone (``const``): a constant for the canonical
        # order of commutative operands (wire.ir.keys), as ``Primitive(constant=True)``
        self.constant = constant

    def __repr__(self):
        return self.name

    def __reduce__(self):
        return _leaf_op, (self.name,)


def _leaf_op(name):
    return LEAF_OPS[name]


class TraceTag:
    """Marks the argument nodes of one trace (or the inputs of one graph under construction);
    unique, compared by identity.

    ``where`` is the user's line that started the trace; ``done`` turns true when the trace
    has finished and renamed its arguments to graph inputs: from then on a tracer of one of
    its argument nodes is a *leaked* tracer, and using it raises
    :class:`wire.UnexpectedTracerError`.
    """

    __slots__ = ("where", "done", "__weakref__")

    def __init__(self, where: str | None = None):
        self.where = where
        self.done = False

    def __repr__(self):
        return f"<trace {id(self):#x}{' at ' + self.where if self.where else ''}>"


input_op = LeafOp("input")  # positional input of a closed graph: params {index}
arg_op = LeafOp("arg")  # input while a trace is open: params {index, tag}
var_op = LeafOp("var")  # named symbolic variable (wire.var): params {name}
const_op = LeafOp("const", constant=True)  # literal array: params {value: ConstValue}
LEAF_OPS = {op.name: op for op in (input_op, arg_op, var_op, const_op)}


_UNKNOWN = object()


class ConstValue:
    """A read-only array with a hashable key: small arrays by content, large ones by identity."""

    __slots__ = ("array", "_key", "_hash", "by_identity", "_uniform")
    CONTENT_KEY_BYTES = 1 << 16
    UNIFORM_CHECK_MAX_SIZE = 1 << 22  # larger constants are not checked for uniformity

    def __init__(self, array):
        a = np.array(array, copy=True)
        a.setflags(write=False)
        self.array = a
        self.by_identity = a.nbytes > self.CONTENT_KEY_BYTES
        if not self.by_identity:
            self._key = (a.dtype.str, a.shape, a.tobytes())
        else:
            self._key = (a.dtype.str, a.shape, id(a))
        self._hash = hash(self._key)
        self._uniform = _UNKNOWN

    def uniform(self):
        """The one value (a Python scalar) every entry has, bit for bit, or ``None``; worked
        out once (simplification asks for it at every use of the constant).

        >>> ConstValue([2.0, 2.0]).uniform(), ConstValue([0.0, -0.0]).uniform()
        (2.0, None)
        """
        u = self._uniform
        if u is _UNKNOWN:
            a = self.array
            if a.size == 1:
                u = a.reshape(()).item()
            elif 0 < a.size <= self.UNIFORM_CHECK_MAX_SIZE and all_same(a):
                u = a.flat[0].item()
            else:
                u = None
            self._uniform = u
        return u

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return isinstance(other, __class__) and self._key == other._key  # (__class__: at exit too)

    def __reduce__(self):
        return ConstValue, (self.array,)

    def __repr__(self):
        a = self.array
        if a.size <= 6:
            return np.array2string(a, separator=",").replace("\n", "")
        return f"<{Aval(a.shape, a.dtype)!r}>"


def all_same(a: np.ndarray) -> bool:
    """Whether every entry of non-empty ``a`` has the bits of the first: ``[0.0, -0.0]`` is
    not uniform (and a NaN array is, when every payload is the same).

    >>> all_same(np.array([1.0, 1.0])), all_same(np.array([0.0, -0.0]))
    (True, False)
    """
    if a.dtype.kind not in "fc":
        return bool((a == a.flat[0]).all())
    bits = np.ascontiguousarray(a).view(np.uint8).reshape(a.size, a.dtype.itemsize)
    return bool((bits == bits[0]).all())


# --------------------------------------------------------------------------- nodes

_TABLE: dict = {}
# The one global: the intern table, key -> weak reference to the node (an entry goes when its
# node dies). No result depends on it — losing an entry only costs a duplicate node — and
# entering a node with one atomic ``setdefault`` (see ``_enter``) keeps equal structure =>
# same object across threads. A plain dict of weak references rather than a
# WeakValueDictionary: lookups are the hot path of tracing and rewriting.


class _KeyedRef(weakref.ref):
    """A weak reference to a node that knows its intern-table key (cheaper than a callback
    closure per node)."""

    __slots__ = ("key",)


def _forget(ref: _KeyedRef, _finalizing=sys.is_finalizing) -> None:
    """Weakref callback: drop the dead node's entry (unless a new node took the key)."""
    try:
        _remove_dead_weakref(_TABLE, ref.key)
    except Exception:
        # at interpreter exit the modules' globals are cleared while nodes still die, so
        # comparing keys (custom rules compare their functions) can fail: nothing to keep
        if not _finalizing():
            raise


class _NodeSlots:
    """The storage of a :class:`Node` (its slots), shared with :class:`_NewNode`."""

    # _items: the sorted params key of the intern table; _skey: memo of the structural key
    # wire.transforms.simplify sorts operands by (None until first asked for)
    __slots__ = ("op", "inputs", "params", "aval", "loc", "_items", "_skey", "__weakref__")


class Node(_NodeSlots):
    """One operation: ``op`` applied to ``inputs`` with static ``params``; abstract value ``aval``.

    Build nodes with :func:`make_node` (interned); nodes refuse attribute assignment.

    >>> import wire
    >>> out = wire.trace(lambda x: x * 2.0, 1.0).outputs[0]
    >>> out.op.name, out.aval, out.inputs
    ('mul', f64[], (Node(input[index=0]: f64[]), Node(const[value=2.]: f64[])))
    """

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError("wire graphs are immutable: Node attributes cannot be set")

    def __delattr__(self, name):
        raise AttributeError("wire graphs are immutable")

    # Equality and hashing are by identity (the defaults), which is structural equality
    # thanks to interning; the default hash also keeps dicts keyed by nodes fast.

    @property
    def is_leaf(self) -> bool:
        return isinstance(self.op, LeafOp)

    @property
    def num_outputs(self) -> int:
        return len(self.aval) if isinstance(self.aval, tuple) else 1

    def __repr__(self):
        ps = ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items()))
        return f"Node({self.op.name}{'[' + ps + ']' if ps else ''}: {self.aval!r})"

    def __reduce__(self):
        return make_node, (self.op, self.inputs, self.params, self.aval, self.loc)


class _NewNode(_NodeSlots):
    """A node under construction: plain attribute assignment (one bytecode each, where
    ``object.__setattr__`` is a call), then its class becomes :class:`Node` (the same layout),
    which refuses assignment from then on. Making nodes is the hot path of tracing."""

    __slots__ = ()


def make_node(op, inputs: tuple, params, aval, loc=None) -> Node:
    """The interned node for ``(op, inputs, params, aval)``; ``loc`` is kept from the first
    (a function giving it, called only if the node is new, saves finding it every time).

    ``params`` may be a dict or a pmap; the node stores a pmap. Hot path of tracing: the key
    uses a sorted items tuple, and the pmap is built only when the node is new.
    """
    if params is EMPTY_PARAMS or not params:
        items = ()
    elif len(params) == 1:
        items = tuple(params.items())
    else:
        items = tuple(sorted(params.items()))
    return _intern(op, inputs, items, params, aval, loc)


def with_inputs(node: Node, inputs: tuple, loc: str | None = None) -> Node:
    """The interned node applying ``node``'s operation (op, params, aval) to new ``inputs``;
    a new node takes ``loc`` (default: ``node``'s). The hot path of graph rewriting."""
    return _intern(node.op, inputs, node._items, node.params, node.aval,
                   node.loc if loc is None else loc)


_NO_ZERO_TYPES = frozenset((int, bool, str, type(None), np.dtype))
_MAY_HOLD_ZERO = (float, complex, np.inexact, tuple)


def _zero_sign_bits(v, out: list) -> None:
    if type(v) is tuple:
        for w in v:
            if type(w) not in _NO_ZERO_TYPES and isinstance(w, _MAY_HOLD_ZERO):
                _zero_sign_bits(w, out)
    elif isinstance(v, (complex, np.complexfloating)):
        for part in (v.real, v.imag):
            if part == 0.0:
                out.append(math.copysign(1.0, part) < 0)
    elif isinstance(v, tuple):  # a namedtuple
        _zero_sign_bits(tuple(v), out)
    elif v == 0.0:
        out.append(math.copysign(1.0, v) < 0)


def zero_signs(items: tuple) -> tuple:
    """The sign bits of the floating zeros among ``items``' values (real and imaginary parts,
    NumPy scalars, inside tuples too) if one of them is ``-0.0``, else ``()``. ``0.0 == -0.0``,
    so without them a ``full`` of ``-0.0`` (or of ``complex(-0.0, -0.0)``) would be interned
    as the ``full`` of ``0.0`` made before it. Values equal by ``==`` have their zeros at the
    same places, so the bits line up."""
    out: list = []
    for _, v in items:
        if type(v) not in _NO_ZERO_TYPES and isinstance(v, _MAY_HOLD_ZERO):
            _zero_sign_bits(v, out)
    return tuple(out) if True in out else ()


def _intern(op, inputs: tuple, items: tuple, params, aval, loc, look: bool = True) -> Node:
    """The interned node (op, inputs, params, aval), made if new. ``look=False`` skips the
    lookup for a node that cannot be in the table yet, because one of its ``inputs`` was just
    made (an interned node holds its inputs, so none can hold a node newer than itself): only
    the entry is made (a racing thread's twin still wins)."""
    key = (op, inputs, items, aval)
    if items:  # (most nodes have no params: no loop set up)
        for _, v in items:  # (a loop: cheaper than building zero_signs' tuple for every node)
            if type(v) not in _NO_ZERO_TYPES and isinstance(v, _MAY_HOLD_ZERO):
                key = key + zero_signs(items)  # (complex, NumPy and tuple values: -0j == 0j)
                break
    if look:
        ref = _get(key)
        if ref is not None:
            node = ref()
            if node is not None:
                return node
    # new (nearly always, once the lookup missed): made first, then entered unless another
    # thread entered its twin meanwhile
    # the location, asked for only when the node is new (a string mostly: no call to test it)
    if type(loc) is not str and loc is not None and callable(loc):
        loc = loc()
    if params is not EMPTY_PARAMS and not isinstance(params, PMap):
        params = pmap(params) if items else EMPTY_PARAMS
    # (built inline, not by a call to _NewNode's __init__: this is the hot path of tracing,
    # deriving and rewriting)
    node = _new_slots(_NewNode)
    node.op = op
    node.inputs = inputs
    node.params = params
    node.aval = aval
    node.loc = loc
    node._items = items
    node._skey = None
    node.__class__ = Node
    ref = _KeyedRef(node, _forget)
    ref.key = key
    found = _setdefault(key, ref)
    if found is ref:
        return node
    return _enter(key, ref, found, node)


def _enter(key: tuple, ref: _KeyedRef, found: _KeyedRef, node: Node) -> Node:
    """The node entered under ``key`` when ``setdefault`` found another entry there: that
    entry's node if it is alive (``node``, its twin, then dies unentered: its callback leaves
    the entry alone), else ``node``, entered in place of the dead entry. No lock: ``setdefault``
    and ``_remove_dead_weakref`` are each atomic, so two threads racing on one key end with
    one node, and an entry is only ever replaced once it is dead."""
    while True:
        other = found()
        if other is not None:
            return other
        _remove_dead_weakref(_TABLE, key)  # (only if it is still that dead entry)
        found = _setdefault(key, ref)
        if found is ref:
            return node


_get, _setdefault = _TABLE.get, _TABLE.setdefault
_new_slots = object.__new__


_PLAIN_PARAM_TYPES = frozenset((int, bool, str, type(None)))


def applied_key(op, inputs: tuple, params) -> tuple | None:
    """The key under which :func:`remember_applied` keeps the node that applying ``op`` to
    ``inputs`` with ``params`` made, or None when a param is not plain.

    Plain params are ints, bools, strings, None, dtypes and tuples of ints; the key holds each
    value's type beside it, so params equal by ``==`` but of other types (``1`` and ``True``)
    never share an entry. Any other param (floats with their signed zeros and NaNs, arrays,
    sub-graphs) gets no key: such a node takes the full path, shape rule and interning.
    """
    out = [op, inputs]
    for k, v in params.items():
        t = type(v)
        if t is tuple:
            for e in v:
                if type(e) is not int:
                    return None
        elif t not in _PLAIN_PARAM_TYPES and not isinstance(v, np.dtype):
            return None
        out.append(k)
        out.append(t)
        out.append(v)
    return tuple(out)


applied_ref = _TABLE.get  # key (see applied_key) -> weak reference to its node, or None


def remember_applied(key: tuple, node: Node) -> None:
    """Remember ``node`` as what ``key``'s application made: a re-trace (a memoized eager
    call makes the same nodes every time) then finds it without running the shape rule or
    building the intern key. Kept in the intern table, as a weak reference dropped when the
    node dies, under a key no intern key equals (two items, or a param name where an intern
    key has its items tuple). Shape rules are pure functions of the input avals and params,
    and inputs are interned nodes, so the node is the one the full path would return."""
    ref = _KeyedRef(node, _forget)
    ref.key = key
    _TABLE[key] = ref


def input_node(index: int, aval: Aval) -> Node:
    return make_node(input_op, (), {"index": index}, aval)


def arg_node(index: int, aval: Aval, tag: TraceTag) -> Node:
    """Argument ``index`` of the trace (or graph under construction) marked by ``tag``."""
    return make_node(arg_op, (), {"index": index, "tag": tag}, aval)  # pmap made if new


def dead_arg(node: Node) -> bool:
    """Whether ``node`` is an argument of a trace that has finished (a leaked tracer's)."""
    return node.op is arg_op and node.params["tag"].done


def const_node(value, loc: str | None = None) -> Node:
    cv = ConstValue(value)
    return make_node(const_op, (), {"value": cv}, make_aval(cv.array.shape, cv.array.dtype), loc)


def var_node(name: str, aval: Aval, loc: str | None = None) -> Node:
    return make_node(var_op, (), {"name": name}, aval, loc)


# --------------------------------------------------------------------------- walks


def toposort(outputs: Iterable[Node]) -> list[Node]:
    """All nodes reachable from ``outputs``, inputs before users; iterative (no recursion).

    The canonical order: a depth-first walk from each of ``outputs`` in turn, visiting a
    node's inputs in their order, listing each node once all its inputs are listed.

    >>> import wire
    >>> g = wire.trace(lambda x, y: (x * y) + x, 1.0, 2.0)
    >>> [n.op.name for n in toposort(g.outputs)]
    ['input', 'input', 'mul', 'add']
    """
    return _toposort(outputs, [])


def _toposort(outputs: Iterable[Node], leaves: list) -> list[Node]:
    """:func:`toposort`, appending to ``leaves`` the nodes without inputs it lists (so a
    graph can count its leaf nodes without a walk over all of them)."""
    order: list[Node] = []
    seen: set[Node] = set()
    add, append, leaf = seen.add, order.append, leaves.append
    # the parents whose inputs are still being walked (the node being walked and its inputs
    # stay in locals). No iterator per node: a parent resumed looks for its first input not
    # seen yet (those before it are all seen), which is cheaper than an iterator object —
    # and makes nothing the garbage collector tracks (the derivative graph of a 100 000-op
    # chain has 275 000 nodes)
    stack: list = []
    push, pop = stack.append, stack.pop
    for root in outputs:
        if root in seen:
            continue
        add(root)
        ins = root.inputs
        if not ins:
            append(root)
            leaf(root)
            continue
        node = root
        while True:
            for child in ins:
                if child not in seen:
                    break
            else:  # every input listed: the node is done
                append(node)
                if not stack:
                    break
                node = pop()
                ins = node.inputs
                continue
            add(child)
            child_ins = child.inputs
            if child_ins:
                push(node)
                node, ins = child, child_ins
            else:  # a leaf: done at once
                append(child)
                leaf(child)
    return order


def substitute(outputs: Sequence[Node], mapping: dict, order=None) -> list[Node]:
    """Rebuild ``outputs`` with nodes replaced per ``mapping`` (Node -> Node). ``order``: the
    nodes ``outputs`` need, in a topological order (default: ``toposort(outputs)``)."""
    new = substitute_map(outputs, mapping, order)
    return [new[o] for o in outputs]


def substitute_map(outputs: Sequence[Node], mapping: dict, order=None) -> dict:
    """Like :func:`substitute`, but returns the whole ``{old node: new node}`` map (for
    carrying each old node's location over to its new node)."""
    new: dict[Node, Node] = dict(mapping)
    # the nodes this call made (not found interned): a node on one of them is new too, so
    # it is entered without a lookup (most nodes, when a trace renames its arguments)
    fresh: set = set()
    for node in toposort(outputs) if order is None else order:
        if node in new:
            continue
        ins = node.inputs
        if ins:
            # (unary and binary nodes without a list: this runs for every node of a trace
            # as it closes, renaming its arguments to inputs)
            if len(ins) == 2:
                x, y = ins
                x, y = new[x], new[y]
                new_ins = (x, y)
                young = x in fresh or y in fresh
            elif len(ins) == 1:
                x = new[ins[0]]
                new_ins = (x,)
                young = x in fresh
            else:
                new_ins = tuple([new[i] for i in ins])
                young = not fresh.isdisjoint(new_ins)
            if young or new_ins != ins:  # (element identity: nodes compare by identity)
                made = _intern(node.op, new_ins, node._items, node.params, node.aval,
                               node.loc, not young)
                if made.inputs is new_ins:  # (this call made it: it holds our tuple)
                    fresh.add(made)
                new[node] = made
                continue
        new[node] = node
    return new
