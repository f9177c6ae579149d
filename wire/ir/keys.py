"""Structural keys and the canonical order of commutative operands.

A node's *structural key* is a hash of its whole expression that is the same in every
process: its primitive's name, its params and its operands' keys (sorted for a commutative
primitive, so ``a*b`` and ``b*a`` have one key). It orders the two operands of a commutative
node canonically (:func:`in_canonical_order`: a constant last, else the smaller key first), so
that equal expressions become one interned node. The simplifier's ``sort_operands`` rule
applies that order; transforms that build derivative graphs apply it as they build
(``wire.core.tracer.bind``), so the simplifier finds their nodes in order and need not rebuild
them and everything after them.

Which primitives are commutative, and which are constants, their declarations say
(``Primitive(commutative=True)``, ``Primitive(constant=True)``; ``const_op`` for leaves).

>>> import wire
>>> g = wire.trace(lambda x, y: x * y, 1.0, 2.0)
>>> x, y = g.inputs
>>> structural_key(g.outputs[0]) == structural_key(g.outputs[0])
True
>>> in_canonical_order((x, y)) in ((x, y), (y, x))
True
"""

from __future__ import annotations

import zlib

from .graph import Graph
from .nodes import ConstValue, Node, _NodeSlots, const_op

__all__ = ["constant_scalar", "in_canonical_order", "key_nodes", "keeps_order", "structural_key"]

# param values of a plain type (integer_pow's y): one code per (name, value, type), memoized
PLAIN_PARAMS = frozenset((int, bool, str, type(None)))
# sets a node's memo of its structural key (the slot's own setter: nodes refuse assignment)
SET_SKEY = _NodeSlots._skey.__set__

OP_CODES: dict = {}  # memo: primitive -> the code of its name


def name_code(name: str) -> int:
    """The code of a primitive's name in structural keys."""
    return zlib.crc32(name.encode())


def op_code(op) -> int:
    """The code of primitive ``op`` in structural keys (memoized per primitive)."""
    code = OP_CODES.get(op)
    if code is None:
        code = OP_CODES[op] = name_code(op.name)
    return code


# memo: (name, value, type) of a node's one param of a plain type (integer_pow's y=2) -> the
# code of its params (the type too: 1 == True == 1.0 hash alike but print apart)
_PARAMS_CODES: dict = {}
_PARAMS_CODES_LIMIT = 4096


def params_code(node: Node) -> int:
    """The code of ``node``'s params in structural keys (0 for none)."""
    items = node._items
    if not items:
        return 0
    if len(items) == 1:
        k, v = items[0]
        t = type(v)
        if t in PLAIN_PARAMS:
            key = (k, v, t)
            code = _PARAMS_CODES.get(key)
            if code is None:
                code = _params_code_of(node)
                if len(_PARAMS_CODES) < _PARAMS_CODES_LIMIT:
                    _PARAMS_CODES[key] = code
            return code
    return _params_code_of(node)


def is_graphs(v) -> bool:
    """A Graph param, or a tuple/list of them (``cond`` branches)."""
    if isinstance(v, Graph):
        return True
    return isinstance(v, (tuple, list)) and bool(v) and all(isinstance(g, Graph) for g in v)


def _params_code_of(node: Node) -> int:
    parts = []
    for k, v in node._items:  # the params, sorted by name
        if isinstance(v, ConstValue):
            a = v.array
            data = a.tobytes() if a.nbytes <= (1 << 20) else repr(a.shape).encode()
            parts.append(k.encode() + a.dtype.str.encode() + repr(a.shape).encode() + data)
        elif k == "tag" or is_graphs(v):
            parts.append(k.encode())
        else:
            parts.append(f"{k}={v!r}".encode())
    return zlib.crc32(b";".join(parts))


def structural_key(node: Node) -> int:
    """A hash of ``node``'s whole expression that is the same in every process (operand
    sorting uses it). Computed once per node (kept on the node: it is immutable). The same
    for ``a*b`` and ``b*a`` (a commutative node hashes its operands' keys in sorted order), so
    where a constant operand goes does not change the keys, nor so the order, of the nodes
    above it."""
    key = node._skey
    if key is not None:
        return key
    ins = node.inputs
    if len(ins) == 2:  # (the usual case: a binary node just built on keyed operands)
        x, y = ins
        kx, ky = x._skey, y._skey
        if kx is not None and ky is not None:
            op = node.op
            code = OP_CODES.get(op)
            if code is None:
                code = OP_CODES[op] = name_code(op.name)
            if ky < kx and op.commutative:
                kx, ky = ky, kx
            key = hash((code, params_code(node) if node._items else 0, kx, ky))
            SET_SKEY(node, key)
            return key
    elif len(ins) == 1:  # (a unary node on a keyed operand: no list)
        kx = ins[0]._skey
        if kx is not None:
            op = node.op
            code = OP_CODES.get(op)
            if code is None:
                code = OP_CODES[op] = name_code(op.name)
            key = hash((code, params_code(node) if node._items else 0, kx))
            SET_SKEY(node, key)
            return key
    keys = [i._skey for i in ins]
    if None not in keys:  # (a node just built on keyed operands)
        op = node.op
        code = OP_CODES.get(op)
        if code is None:
            code = OP_CODES[op] = name_code(op.name)
        if len(keys) == 2 and op.commutative:
            keys.sort()
        key = hash((code, params_code(node) if node._items else 0, *keys))
        SET_SKEY(node, key)
        return key
    stack = [node]
    push, pop, sa = stack.append, stack.pop, SET_SKEY
    while stack:
        n = stack[-1]
        if n._skey is not None:  # (pushed twice: done meanwhile)
            pop()
            continue
        waiting = False
        for i in n.inputs:
            if i._skey is None:
                push(i)
                waiting = True
        if waiting:
            continue
        pop()
        op = n.op
        code = OP_CODES.get(op)
        if code is None:
            code = OP_CODES[op] = name_code(op.name)
        keys = [i._skey for i in n.inputs]
        if len(keys) == 2 and op.commutative:
            keys.sort()
        sa(n, hash((code, params_code(n) if n._items else 0, *keys)))
    return node._skey


def key_nodes(order) -> None:
    """Give every node of ``order`` (a topological order) its structural key, in one pass:
    what :func:`structural_key` would compute for each, without its walk back (a transform
    that orders the operands of the nodes it builds asks for the keys of most of them)."""
    get = OP_CODES.get
    for n in order:
        if n._skey is not None:
            continue
        ins = n.inputs
        op = n.op
        code = get(op)
        if code is None:
            code = OP_CODES[op] = name_code(op.name)
        pc = params_code(n) if n._items else 0
        if len(ins) == 1:
            SET_SKEY(n, hash((code, pc, ins[0]._skey)))
        elif len(ins) == 2:
            kx, ky = ins[0]._skey, ins[1]._skey
            if ky < kx and op.commutative:
                kx, ky = ky, kx
            SET_SKEY(n, hash((code, pc, kx, ky)))
        else:
            structural_key(n)


def keeps_order(x: Node, y: Node) -> bool:
    """Whether the operands of a commutative primitive keep their order: complex ones do, as
    NumPy's complex product rounds through a fused multiply-add that is not symmetric
    (``(1e308+1e308j) * (1-2j)`` is ``inf-1e308j``, the other order ``inf-infj``)."""
    return x.aval.dtype.kind == "c" or y.aval.dtype.kind == "c"


def in_canonical_order(inputs: tuple) -> tuple:
    """Two operands of a commutative primitive in the order ``sort_operands`` gives them: a
    constant last, else the smaller structural key first."""
    if len(inputs) == 2:
        x, y = inputs
        if x is not y and not keeps_order(x, y):
            cx = x.op.constant
            if cx is not y.op.constant:
                return (y, x) if cx else inputs
            kx, ky = x._skey, y._skey  # (known for nearly every node: read in place)
            if kx is None:
                kx = structural_key(x)
            if ky is None:
                ky = structural_key(y)
            if ky < kx:
                return (y, x)
    return inputs


def constant_scalar(node: Node):
    """The one value (a Python scalar) of a constant node (``const``, or a primitive declared
    ``constant``, whose ``value`` param it is) whose entries are all equal, else None.

    >>> import numpy as np
    >>> from wire.ir import const_node
    >>> constant_scalar(const_node(np.float64(1.0))), constant_scalar(const_node(np.ones(2)))
    (1.0, 1.0)
    """
    op = node.op
    if op is const_op:
        return node._items[0][1].uniform()  # (a const's one param: its value)
    if op.constant:
        for k, v in node._items:
            if k == "value":
                return v
    return None
