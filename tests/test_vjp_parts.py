"""Reverse mode builds cotangents only for inputs that need one (``Primitive.vjp_parts``).

Oracles: each primitive's whole ``vjp`` rule (the parts must build the same nodes), NumPy
values, and the derivative graphs themselves (no node for a constant operand's cotangent).
"""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.api.registry import REGISTRY
from wire.core import Tracer, bind
from wire.core.locations import recording
from wire.errors import NonDifferentiableError
from wire.transforms.vjp import backward

SPLIT = sorted({p for p in REGISTRY.values() if p.vjp_parts is not None}, key=lambda p: p.name)


def test_the_split_primitives_are_the_expected_ones():
    names = {p.name for p in SPLIT}
    assert {"mul", "sub", "div", "pow", "matmul"} <= names
    for p in SPLIT:
        assert p.vjp is not None


@pytest.mark.parametrize("prim", SPLIT, ids=lambda p: p.name)
def test_parts_build_the_nodes_of_the_whole_rule(prim):
    (args, params) = prim.sample(np.random.default_rng(0))
    g = wire.trace(lambda *xs: bind(prim, *xs, **params), *args)
    node = g.outputs[0]
    ct = Tracer(wire.var("ct", node.aval.shape, node.aval.dtype).node)
    ins = [Tracer(i) for i in node.inputs]
    try:
        whole = prim.vjp(ct, Tracer(node), *ins, **params)
    except NonDifferentiableError:
        # an operand with no derivative (zeta in x, expn in n): its part raises the same
        # error, and every other part still builds a cotangent of its operand's shape
        raised = []
        for i, part in enumerate(prim.vjp_parts):
            try:
                p = part(ct, Tracer(node), *ins, **params)
            except NonDifferentiableError:
                raised.append(i)
                continue
            assert p is None or p.node.aval.shape == node.inputs[i].aval.shape
        assert 0 < len(raised) < len(node.inputs) or len(node.inputs) == 1 == len(raised)
        return
    assert len(prim.vjp_parts) == len(node.inputs) == len(whole)
    for part, w in zip(prim.vjp_parts, whole):
        p = part(ct, Tracer(node), *ins, **params)
        assert (p is None) == (w is None)
        if p is not None:
            assert p.node is w.node  # interned: the same node, so the same graph


def test_no_product_for_a_constant_operand():
    # d/dx of (x * 3.0) * 2.0: ct * 2.0, then * 3.0, and no ct * x nor ct * (x * 3.0)
    # (a cotangent of 0.5: one of 1 times 2.0 would be 2.0 itself, no node)
    g = wire.trace(lambda x: (x * 3.0) * 2.0, 0.5)
    x = g.inputs[0]
    inner = g.outputs[0].inputs[0]
    with recording() as made:  # every node bind makes while deriving
        (gx,) = backward([g.outputs[0]], [wnp.asarray(0.5)], [x])
    assert len(made) == 2
    assert not any(x in n.inputs or inner in n.inputs for n in made)
    assert float(wire.evaluate(wire.Graph([x], [gx.node]), 0.5)[0]) == 3.0


def test_a_constant_can_still_be_differentiated_with_respect_to():
    # the mask comes from what is differentiated, not from the node kind
    x = wire.var("x")
    c = wnp.asarray(3.0) + 0.0  # a node computed from a constant only
    y = x * c - c / x
    gx, gc = wire.gradients(y, [x, c])
    vals = wire.evaluate([gx, gc], {x: np.array(2.0)})
    np.testing.assert_allclose(vals, [3.0 + 3.0 / 4.0, 2.0 - 1.0 / 2.0])


def test_only_one_side_needed_on_either_side():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    for f, expect in [
        (lambda x: wnp.sum(wnp.matmul(a, x)), a.sum(axis=0)),
        (lambda x: wnp.sum(wnp.matmul(x, a)), a.sum(axis=1)),
        (lambda x: wnp.sum(a - x), -2.0 * np.ones(2)),  # x is broadcast over 2 rows
        (lambda x: wnp.sum(a / x), -(a / np.array([1.0, 2.0]) ** 2).sum(axis=0)),
    ]:
        got = wire.grad(f)(np.array([1.0, 2.0]))
        np.testing.assert_allclose(got, expect)


def test_backward_with_respect_to_both_operands_matches_the_whole_rule():
    x, y = wire.var("x"), wire.var("y")
    z = wnp.power(x, y) * x / y - y
    gx, gy = backward([z.node], [wnp.asarray(1.0)], [x.node, y.node])
    vx, vy = wire.evaluate([gx, gy], {x: np.array(1.5), y: np.array(2.5)})
    X, Y = 1.5, 2.5
    np.testing.assert_allclose(vx, (Y + 1) * X ** Y / Y)
    np.testing.assert_allclose(vy, X ** (Y + 1) * (np.log(X) / Y - 1 / Y ** 2) - 1)


def test_dependents_is_the_definition():
    # dependents asks whether a node carries a derivative once per (primitive, aval): the
    # set is the definition's, on graphs with int, bool and nondiff nodes, several inputs
    # and multi-output nodes, differentiated with respect to each input and to all
    from wire.ir import toposort
    from wire.transforms.vjp import carries_derivative, dependents

    def definition(order, wrt):
        dep = {n for n in wrt if carries_derivative(n)}
        for n in order:
            if n.inputs and carries_derivative(n) and any(i in dep for i in n.inputs):
                dep.add(n)
        return dep

    fs = [
        lambda x, y, k: wnp.sin(x) * y + wnp.floor(x) + (x > y) * k,
        lambda x, y, k: wnp.linalg.eigh(wnp.outer(x, y) + wnp.eye(3))[1].sum() * k,
        lambda x, y, k: wnp.argmax(x * y) + wnp.sign(y) * wnp.cumsum(x) + k,
        lambda x, y, k: wnp.where(x > 0, x.astype(np.float32), y) ** 2 + k,
    ]
    args = (np.array([0.3, -1.0, 2.0]), np.array([1.5, 0.5, -0.2]), np.arange(3))
    total = 0
    for f in fs:
        g = wire.trace(f, *args)
        order = toposort(g.inputs + g.outputs)
        for wrt in ([g.inputs[0]], [g.inputs[1]], [g.inputs[2]], list(g.inputs)):
            got = dependents(order, wrt)
            assert got == definition(order, wrt)
            total += len(got)
    assert total > 20
