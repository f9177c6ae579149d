"""The walks the rewrite's speed rests on give what their definitions say: ``toposort`` the
depth-first order (inputs in their order, each node once all its inputs are listed), and the
structural keys the sweep stores inline the keys :func:`structural_key` defines."""

import random

import numpy as np

import wire
import wire.numpy as wnp
from wire.ir import toposort
from wire.ir.nodes import _toposort, const_node, input_node, make_aval, make_node
from wire.ops import elementwise as ew
from wire.transforms.rules import DERIVATIVES
from wire.transforms.simplify import _COMMUTATIVE, _name_code, _params_code, structural_key

F64 = make_aval((), np.float64)


def _reference_order(roots) -> list:
    """The canonical order by its definition: a recursive depth-first walk (small graphs)."""
    order, seen = [], set()

    def visit(n):
        if n in seen:
            return
        seen.add(n)
        for i in n.inputs:
            visit(i)
        order.append(n)

    for r in roots:
        visit(r)
    return order


def _random_dag(rng: random.Random, size: int) -> list:
    """Scalar nodes over two inputs and a constant, each operation on earlier nodes (shared
    operands, repeated operands, unary and binary operations)."""
    nodes = [input_node(0, F64), input_node(1, F64), const_node(np.float64(rng.random()))]
    ops = [ew.add_p, ew.mul_p, ew.sub_p, ew.sin_p, ew.neg_p]
    for _ in range(size):
        op = rng.choice(ops)
        arity = 1 if op in (ew.sin_p, ew.neg_p) else 2
        ins = tuple(rng.choice(nodes[-8:] if rng.random() < 0.7 else nodes)
                    for _ in range(arity))
        nodes.append(make_node(op, ins, {}, F64))
    return nodes


def test_toposort_is_the_depth_first_order():
    rng = random.Random(7)
    for trial in range(60):
        nodes = _random_dag(rng, rng.randint(1, 60))
        roots = rng.sample(nodes, rng.randint(1, min(6, len(nodes))))
        if trial % 3 == 0:
            roots = roots + roots[:1]  # a root met twice
        leaves: list = []
        got = _toposort(roots, leaves)
        assert got == _reference_order(roots)
        assert leaves == [n for n in got if not n.inputs]


def test_toposort_walks_a_deep_chain_without_recursion():
    def f(x):
        for _ in range(5000):
            x = wnp.sin(x) * 1.5
        return x

    g = wire.trace(f, 0.3)
    order = toposort(g.outputs)
    assert len(order) == 10002  # the input, the constant, 10 000 operations
    assert order[0] is g.inputs[0] and order[-1] is g.outputs[0]
    pos = {n: k for k, n in enumerate(order)}
    assert all(pos[i] < pos[n] for n in order for i in n.inputs)


def _key(node, keys: dict) -> int:
    """structural_key's definition, computed afresh."""
    ks = [keys[i] for i in node.inputs]
    if len(ks) == 2 and node.op in _COMMUTATIVE:
        ks.sort()
    return hash((_name_code(node.op.name), _params_code(node) if node._items else 0, *ks))


def test_keys_the_sweep_stores_are_structural_keys():
    # a gradient graph: rebuilt products, squares with a param (integer_pow's y), constants
    def f(x):
        for _ in range(6):
            x = wnp.tanh(wnp.sin(x) * 1.01) * 0.99
        return x * x

    s = wire.simplify(wire.grad(wire.trace(f, 0.3), simplify=False), DERIVATIVES)
    assert any(n.op is ew.integer_pow_p for n in s.nodes)
    keys: dict = {}
    checked = 0
    for n in s.nodes:
        if not n.inputs:
            keys[n] = structural_key(n)
            continue
        keys[n] = _key(n, keys)
        if n._skey is not None:
            assert n._skey == keys[n], n
            checked += 1
    assert checked >= len(s) // 2
