"""Derivative graphs are built in the form the simplifier leaves: commutative operands in the
canonical order of :mod:`wire.ir.keys`, every node keyed, and no ``x * 1`` for the seed. Then
``wire.simplify``'s rewrite finds the graph as it is and rebuilds nothing (a node changed near
the top of a backward chain made it rebuild every node below). The facts it rests on are
declared on the primitives: ``commutative``, ``constant`` and ``identity``."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from corpus import graphs, scalar_chain
from wire.api.registry import REGISTRY
from wire.ir import const_op
from wire.ir.keys import in_canonical_order, structural_key
from wire.transforms import simplify as S
from wire.transforms.rules import COMMUTATIVE, CONSTANT_OPS, DERIVATIVES

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_declared_flags_are_the_simplifiers_sets():
    prims = list(REGISTRY.values())
    assert {p for p in prims if p.commutative} == set(COMMUTATIVE)
    assert {p for p in prims if p.constant} | {const_op} == set(CONSTANT_OPS)
    assert {p.name for p in prims if p.identity is not None} == {"add", "mul"}


SPECIAL = [-0.0, 0.0, 1.5, -2.5e-310, np.inf, -np.inf, np.nan, 6.0e4]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_declared_identities_are_exact_to_the_bit(dtype):
    # x op e is x itself, signed zeros, infinities, subnormals and NaN included, in both
    # orders: what lets a transform's rule make no node for it
    x = np.array(SPECIAL, dtype)
    for p in REGISTRY.values():
        if p.identity is None:
            continue
        e = dtype(p.identity)
        for got in (p.impl(x, e), p.impl(e, x)):
            assert got.dtype == x.dtype
            assert got.tobytes() == x.tobytes(), (p.name, dtype, got, x)


def _rewrites_nothing(d) -> bool:
    d = S.dce(d)
    return S._rewrite_with(S.Rewriter(DERIVATIVES), d) is d


def test_the_gradient_of_a_chain_is_left_as_it_is_by_the_rewrite():
    g = wire.trace(scalar_chain(400), 0.3)
    d = wire.grad(g, simplify=False)
    assert _rewrites_nothing(d)
    assert not any(n.op.constant and n.op is not const_op for n in d.nodes)  # (no seed left)
    assert all(n._skey is not None for n in d.nodes if n not in set(g.nodes))


def test_the_nodes_a_derivative_adds_have_their_operands_in_canonical_order():
    checked = 0
    for name, g, _ in graphs(primitives=False):
        try:
            d = wire.grad(g, simplify=False)
        except wire.WireError:  # (not a scalar float output)
            continue
        old = set(g.nodes)
        for n in d.nodes:
            if n not in old and n.op.commutative and not n._items:
                assert in_canonical_order(n.inputs) == n.inputs, (name, n)
                assert n._skey == structural_key(n)
                checked += 1
    assert checked > 50


@pytest.mark.parametrize("x", SPECIAL)
def test_values_at_special_points_are_numpys(x):
    # the seed's product with each rule's partial made no node: the values (and the sign of
    # a zero) are the partials themselves
    fs = [lambda x: x * 1.0, lambda x: 1.0 * x, lambda x: x + (-0.0), lambda x: wnp.sin(x),
          lambda x: wnp.tanh(x) * x, lambda x: x * x]
    want = [1.0, 1.0, 1.0, np.cos(x), (1 - np.tanh(x) ** 2) * x + np.tanh(x), 2 * x]
    for f, w in zip(fs, want):
        got = np.asarray(wire.grad(f)(np.float64(x)))
        assert np.array_equal(got, w, equal_nan=True), (f, x, got, w)
        assert np.signbit(got) == np.signbit(w) or np.isnan(w)
