"""Eager derivative graphs get the simplification one evaluation can repay
(wire.transforms.budget): the level follows the graph's size and array sizes, and every level
gives the same values (collecting terms aside, which only small or array-heavy graphs get)."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.transforms import budget
from wire.transforms.rules import DERIVATIVES
from wire.transforms.simplify import simplify, simplify_linear


def _chain(n_steps, a=1.01):
    def f(x):
        for _ in range(n_steps):
            x = wnp.tanh(wnp.sin(x) * a) * 0.99
        return x
    return f


def _reference(n_steps, x, a=1.01):
    """(f(x), f'(x)) of _chain by hand."""
    d = 1.0
    for _ in range(n_steps):
        s = np.sin(x) * a
        t = np.tanh(s)
        d *= np.cos(x) * a * (1.0 - t * t) * 0.99
        x = t * 0.99
    return x, d


@pytest.fixture
def small_limits(monkeypatch):
    """Thresholds small enough for graphs of a few hundred nodes (fast tests)."""
    monkeypatch.setattr(budget, "ALWAYS", 50)
    monkeypatch.setattr(budget, "COLLECT_LIMIT", 2000)


def test_small_graphs_are_simplified_in_full():
    g = wire.grad(wire.trace(_chain(3), 0.3), simplify=False)
    assert len(g) <= budget.ALWAYS
    assert budget.eager_level(g) == "full"
    assert budget.simplify_for_eager(g, DERIVATIVES) == simplify(g, DERIVATIVES)


def test_large_scalar_graphs_are_left_as_derived(small_limits):
    g = wire.grad(wire.trace(_chain(40), 0.3), simplify=False)
    assert len(g) > budget.ALWAYS
    assert budget.eager_level(g) == "none"
    assert budget.simplify_for_eager(g, DERIVATIVES) is g


def test_array_graphs_get_the_passes_their_evaluation_repays(small_limits, monkeypatch):
    x = np.linspace(-1.0, 1.0, 4096)
    g = wire.grad(wire.trace(lambda v: wnp.sum(_chain(40)(v)), x), simplify=False)
    # 4096 float64 elements per node: an evaluation costs ~10 µs per node, more than the
    # linear passes (12 µs per node) are estimated at only when fewer elements
    monkeypatch.setattr(budget, "LINEAR_PER_NODE", 5.0)
    monkeypatch.setattr(budget, "FULL_PER_NODE", 50.0)
    assert budget.eager_level(g) == "linear"
    monkeypatch.setattr(budget, "FULL_PER_NODE", 5.0)
    assert budget.eager_level(g) == "full"
    monkeypatch.setattr(budget, "COLLECT_LIMIT", len(g) - 1)  # collecting: never this big
    assert budget.eager_level(g) == "linear"


def test_element_counts(small_limits):
    g = wire.grad(wire.trace(lambda v: wnp.sum(_chain(40)(v)), np.ones(3)), simplify=False)
    assert budget._elements(wire.ir.Aval(None, np.float64)) == float("inf")
    assert budget._elements((wire.ir.Aval((2, 3), np.float64), wire.ir.Aval((), np.float64))) == 7
    assert budget.eager_level(g) == "none"  # (3 elements per node: scalar-like)


def test_graphs_holding_loops_get_at_least_the_linear_passes(small_limits):
    def f(x):
        c, _ = wire.scan(lambda c, xi: (wnp.sin(c) * xi, c), x[0], x)
        return _chain(40)(c)

    g = wire.grad(wire.trace(f, np.full(5, 0.5)), simplify=False)
    assert len(g) > budget.ALWAYS
    assert budget.eager_level(g) in ("full", "linear")


@wire.custom_jvp
def _softplus(x):
    return wnp.logaddexp(x, 0.0)


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _softplus(x), t * (1.0 / (1.0 + wnp.exp(-x)))


def _custom_chain(steps):
    def f(x):
        for _ in range(steps):
            x = _softplus(wnp.sin(x)) * 0.9
        return x
    return f


def test_sub_graphs_called_once_count_as_their_nodes(small_limits):
    # custom_jvp_call nodes run their sub-graph once: they are costed like the rest (a large
    # scalar graph of them gets no simplification for one evaluation), not as loops are
    g = wire.grad(wire.trace(_custom_chain(40), 0.3), simplify=False)
    assert len(g) > budget.ALWAYS
    assert any(n._items and budget.has_graph_params(n) for n in g.nodes)
    assert budget.eager_level(g) == "none"
    got = float(wire.grad(_custom_chain(40))(0.3))
    h = 1e-6
    f = _custom_chain(40)
    fd = (float(wire.evaluate(wire.trace(f, 0.3 + h), 0.3 + h))
          - float(wire.evaluate(wire.trace(f, 0.3 - h), 0.3 - h))) / (2 * h)
    assert got == pytest.approx(fd, rel=1e-6)


def test_no_simplification_and_linear_passes_agree_bit_for_bit(small_limits):
    g = wire.grad(wire.trace(_chain(40), 0.3), simplify=False)
    lin = simplify_linear(g, DERIVATIVES)
    for x in (0.3, -2.0, 0.0, -0.0, np.inf, np.nan, 1e300):
        with np.errstate(invalid="ignore"):
            a, b = wire.evaluate(g, x), wire.evaluate(lin, x)
        np.testing.assert_array_equal(a, b)
        assert np.signbit(a) == np.signbit(b)


@pytest.mark.parametrize("steps", [3, 40])
def test_eager_grad_of_a_chain_is_exact(small_limits, steps):
    x = 0.3
    got = float(wire.grad(_chain(steps, 1.01 + 1e-7 * steps))(x))
    want = _reference(steps, x, 1.01 + 1e-7 * steps)[1]
    assert got == pytest.approx(want, rel=1e-13)
    # grad(grad) through an unsimplified inner graph, against central differences of grad
    gg = float(wire.grad(wire.grad(_chain(steps)))(x))
    h = 1e-6
    fd = (_reference(steps, x + h)[1] - _reference(steps, x - h)[1]) / (2 * h)
    assert gg == pytest.approx(fd, rel=1e-6)


def test_eager_jvp_of_a_large_scalar_graph(small_limits):
    y, t = wire.jvp(_chain(40), (0.3,), (1.0,))
    want = _reference(40, 0.3)
    assert float(y) == want[0]
    assert float(t) == pytest.approx(want[1], rel=1e-13)


def test_compiled_derivative_graphs_collect_terms_up_to_a_limit(monkeypatch):
    # jit(grad(f)) and wire.grad(graph): every pass up to COMPILE_COLLECT_LIMIT nodes, the
    # linear passes above (term collection would dominate the first call of a huge graph)
    d = wire.grad(wire.trace(_chain(60), 0.3), simplify=False)
    full, lin = simplify(d, DERIVATIVES), simplify_linear(d, DERIVATIVES)
    assert len(full) < len(lin)
    assert budget.simplify_for_compile(d, DERIVATIVES).outputs == full.outputs
    monkeypatch.setattr(budget, "COMPILE_COLLECT_LIMIT", 100)
    assert budget.simplify_for_compile(d, DERIVATIVES).outputs == lin.outputs
    for x in (0.3, -1.2, 0.0):
        got = wire.jit(wire.grad(_chain(61)))(x)  # a new function: nothing memoized
        np.testing.assert_allclose(got, _reference(61, x)[1], rtol=1e-13)


def _level_node_by_node(g):
    """eager_level as defined: one estimate term per node, in node order."""
    nodes = g.nodes
    n = len(nodes)
    if n <= budget.ALWAYS:
        return "full"
    cost = 0.0
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node._items and budget.has_graph_params(node):
            if node.op.call_graph is None:
                return "full" if n <= budget.COLLECT_LIMIT else "linear"
            inner = node.params[node.op.call_graph].nodes
            n += len(inner)
            stack.extend(inner)
        cost += budget.EVAL_PER_NODE + budget.EVAL_PER_ELEMENT * budget._elements(node.aval)
    if n <= budget.COLLECT_LIMIT and budget.FULL_PER_NODE * n <= cost:
        return "full"
    if budget.LINEAR_PER_NODE * n <= cost:
        return "linear"
    return "none"


def test_counted_estimate_gives_the_node_by_node_levels(small_limits, monkeypatch):
    # eager_level counts nodes per aval in C; its level is the one the per-node sum gives,
    # on scalar, array, mixed-shape, multi-output and loop-holding graphs, across thresholds
    def mixed(v):
        m = wnp.outer(v, v)
        s, u = wnp.linalg.eigh(m + wnp.eye(v.shape[0]))
        return wnp.sum(_chain(30)(v)) + wnp.sum(u * s) + wnp.sum(_chain(5)(m))

    def loop(x):
        c, _ = wire.scan(lambda c, xi: (wnp.sin(c) * xi, c), x[0], x)
        return _chain(40)(c)

    graphs = [
        wire.grad(wire.trace(_chain(40), 0.3), simplify=False),
        wire.grad(wire.trace(_custom_chain(40), 0.3), simplify=False),
        wire.grad(wire.trace(lambda v: wnp.sum(_chain(40)(v)), np.ones(64)), simplify=False),
        wire.grad(wire.trace(mixed, np.linspace(0.1, 1.0, 6)), simplify=False),
        wire.grad(wire.trace(loop, np.full(5, 0.5)), simplify=False),
    ]
    # thresholds on either side of each graph's estimated cost per node, a millionth apart
    per_node = [(budget.EVAL_PER_NODE * len(g.nodes) + budget.EVAL_PER_ELEMENT
                 * sum(budget._elements(n.aval) for n in g.nodes)) / len(g.nodes)
                for g in graphs]
    tight = [(c * (1 + s * 1e-6), c * (1 - t * 1e-6)) for c in per_node
             for s in (1, -1) for t in (1, -1)]
    seen = set()
    for linear, full in [(12.0, 35.0), (2.0, 3.0), (2.6, 50.0), (0.1, 0.2)] + tight:
        monkeypatch.setattr(budget, "LINEAR_PER_NODE", linear)
        monkeypatch.setattr(budget, "FULL_PER_NODE", full)
        for g in graphs:
            level = budget.eager_level(g)
            assert level == _level_node_by_node(g)
            seen.add(level)
    assert seen == {"full", "linear", "none"}
