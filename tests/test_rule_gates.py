"""``rules.OPERAND_OPS``: the rewrite skips a node none of whose operands is made by one of
the ops a rule declares; each declaration must hold, or a rule that would fire is skipped."""

import itertools

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.ir import EMPTY_PARAMS, const_node, input_node, make_aval, make_node
from wire.ops import elementwise as ew
from wire.ops import shape as sh
from wire.transforms import rules
from wire.transforms.simplify import Rewriter

F64 = make_aval((), np.dtype("float64"))
I64 = make_aval((), np.dtype("int64"))


def _pool(aval):
    """Operands of every kind a rule looks at: inputs, constants (0, -0, ±1, 2, a ``full``),
    negations, differences, other operations."""
    a, b = input_node(0, aval), input_node(1, aval)
    dt = aval.dtype
    consts = [const_node(np.asarray(v, dtype=dt)) for v in (0.0, -0.0, 1.0, -1.0, 2.0)]
    full = make_node(sh.full_p, (), {"shape": (), "dtype": dt, "value": dt.type(3).item()}, aval)
    neg = make_node(ew.neg_p, (a,), EMPTY_PARAMS, aval)
    sub = make_node(ew.sub_p, (a, b), EMPTY_PARAMS, aval)
    mul = make_node(ew.mul_p, (a, b), EMPTY_PARAMS, aval)
    return [a, b, neg, sub, mul, full, *consts]


@pytest.mark.parametrize("aval", [F64, I64], ids=["f64", "i64"])
def test_declared_operand_ops_hold(aval):
    """Wherever no operand has one of a rule's declared ops, the rule does not fire."""
    table = rules.combine(rules.ALGEBRA, rules.UNSAFE)
    rw = Rewriter(table)
    pool = _pool(aval)
    checked = fired = 0
    for prim, fns in rules.IDENTITIES.items():
        if prim not in (ew.add_p, ew.sub_p, ew.mul_p, ew.div_p, ew.neg_p):
            continue
        arity = 1 if prim is ew.neg_p else 2
        if prim is ew.div_p and aval is I64:
            continue
        for fn in (rules.fold_constant, *fns):
            gate = rules.OPERAND_OPS.get(fn)
            if gate is None:
                continue
            for ins in itertools.product(pool, repeat=arity):
                node = make_node(prim, ins, EMPTY_PARAMS, prim.shape(*[i.aval for i in ins]))
                out = fn(node, rw)
                if any(i.op in gate for i in ins):
                    fired += out is not None
                else:
                    checked += 1
                    assert out is None, (fn.__name__, node)
    assert checked > 100 and fired > 10  # both sides of every gate were met


def test_undeclared_rules_are_always_called():
    """A table's own rule (not in OPERAND_OPS) is called at every node of its primitive."""
    seen = []

    def spy(node, rw):
        seen.append(node.op)
        return None

    g = wire.trace(lambda x: wnp.sin(x) * wnp.cos(x), 0.5)
    wire.simplify(g, rules.combine(rules.ALGEBRA, {ew.mul_p: (spy,)}))
    assert seen == [ew.mul_p]


def test_gated_simplify_still_rewrites():
    """Rules whose operand is made two steps away still fire once that operand is rewritten
    (the gate reads the simplified operands)."""
    g = wire.trace(lambda x: (wnp.sin(x) * (2.0 - 1.0)) * -(-(x + 0.0 - 0.0)), 0.5)
    s = wire.simplify(g)
    assert sorted(n.op.name for n in s.nodes if not n.is_leaf) == ["add", "mul", "sin"]
    np.testing.assert_array_equal(wire.evaluate(s, 0.5), wire.evaluate(g, 0.5))
