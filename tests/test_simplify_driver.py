"""The rewrite driver's shortcuts give the graphs and location tables it gives without them.

Combinations of a node's primitive, params, aval, operand primitives and avals and constant
operands at which no rule of ``rules.SHALLOW`` fired are remembered (the next such node calls
no rule): checked against the driver with that turned off. The sweep gives each node it
rebuilds its structural key from its operands' keys: checked against keys computed again.
"""

import numpy as np
import pytest
from hypothesis import given, settings

import wire
import wire.numpy as wnp
from wire.transforms import rules as R
from wire.transforms import simplify as S

from test_simplify import _build, expression_dags

TABLES = {
    "ALGEBRA": R.ALGEBRA,
    "DERIVATIVES": R.DERIVATIVES,
    "UNSAFE": R.combine(R.ALGEBRA, R.UNSAFE),
}


def _table(graph) -> tuple:
    """The location table, entry by entry, in node order (then the other entries, sorted)."""
    pos = {n: k for k, n in enumerate(graph.nodes)}
    own = [(pos[n], loc) for n, loc in graph.locs.items() if n in pos]
    other = sorted((S.structural_key(n), loc) for n, loc in graph.locs.items() if n not in pos)
    return sorted(own), other


def _same_without_shortcuts(graph, monkeypatch):
    """simplify with each table, with and without the shortcuts: same text, same tables."""
    for name, table in TABLES.items():
        fast = S.simplify(graph, table)
        with monkeypatch.context() as m:
            m.setattr(S, "SHALLOW", frozenset())  # no combination is remembered as cold
            slow = S.simplify(graph, table)
        assert str(fast) == str(slow), name
        assert _table(fast) == _table(slow), name


def _steps(x, consts, n=3):
    for _ in range(n):
        for c in consts:
            x = wnp.tanh(wnp.sin(x) * c) * 0.99 - c
    return x


CONSTS = [1.01, 1.0, -1.0, 0.0, -0.0, 2.0, 1.01]


@pytest.mark.parametrize("x", [0.3, np.float32(0.3), np.linspace(0.1, 0.9, 4),
                               np.ones((2, 3), np.float32)], ids=["f64", "f32", "vec", "mat"])
def test_chains_of_constants(x, monkeypatch):
    g = wire.trace(lambda x: _steps(x, CONSTS), x)
    _same_without_shortcuts(g, monkeypatch)
    if np.ndim(x) == 0:
        _same_without_shortcuts(wire.grad(g, simplify=False), monkeypatch)


def test_integer_and_mixed_operands(monkeypatch):
    def f(i, x):
        j = i * 1 + i * 0 - 0 + i ** 1 + i ** 2 * 3
        return x * 1.0 + j * x * 1.0 + (x - 0.0) * -1.0 + x ** 1 + wnp.sum(i * 1)

    g = wire.trace(f, np.arange(3), np.ones(3))
    _same_without_shortcuts(g, monkeypatch)


def test_unknown_shapes(monkeypatch):
    x = wire.var("x")
    v = wire.var("v", shape=(3,))
    # (not x * -1.0: the shape rule of its negation does not take an unknown shape)
    g = wire.trace(lambda: x * 1.0 * 2.0 + v * 1.0 + (x * 2.0) * 1.0 + v * 0.0 - x * 1.0)
    _same_without_shortcuts(g, monkeypatch)


@settings(max_examples=25, deadline=None)
@given(expression_dags())
def test_random_dags(dag):
    steps, outs = dag
    g = wire.trace(_build(steps, outs), np.ones(3), np.ones((2, 3)))
    with pytest.MonkeyPatch.context() as monkeypatch:
        _same_without_shortcuts(g, monkeypatch)
        _same_without_shortcuts(wire.grad(wire.trace(
            lambda x, y: sum(wnp.sum(v) for v in _build(steps, outs)(x, y)),
            np.ones(3), np.ones((2, 3))), simplify=False), monkeypatch)


def test_keys_set_by_the_sweep_are_structural_keys():
    g = wire.grad(wire.trace(lambda x: _steps(x, CONSTS, 5), 0.3), simplify=False)
    s = S.simplify(g, R.DERIVATIVES)
    nodes = list(s.nodes)
    keys = [n._skey for n in nodes]
    assert sum(k is not None for k in keys) > 0.9 * len(keys)  # the sweep keyed what it built
    for n in nodes:  # forget every key, then compute each again from scratch
        object.__setattr__(n, "_skey", None)
    again = [S.structural_key(n) for n in nodes]
    assert all(k is None or k == a for k, a in zip(keys, again))
