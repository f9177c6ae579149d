"""The IR: interning, structural equality and hashing, immutability, deep graphs, printing."""

import threading

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.ir import Aval, Graph, toposort


def f(x, y):
    return wnp.sum(wnp.sin(x) * y + x)


def test_equal_traces_are_equal_graphs():
    g1 = wire.trace(f, np.ones(3), np.ones(3))
    g2 = wire.trace(f, np.zeros(3), np.ones(3))
    assert g1 == g2 and hash(g1) == hash(g2)
    assert g1.outputs[0] is g2.outputs[0]  # interned: equal structure is the same object
    assert wire.trace(f, np.ones(4), np.ones(4)) != g1


def test_common_subexpressions_are_shared():
    g = wire.trace(lambda x: wnp.sin(x) + wnp.sin(x), np.ones(2))
    assert len(g) == 2  # one sin, one add


def test_graph_views_and_len():
    g = wire.trace(f, np.ones(3), np.ones(3))
    assert len(g.inputs) == 2 and len(g.outputs) == 1
    assert len(g) == 4  # sin, mul, add, reduce_sum
    assert [n.op.name for n in g.nodes if not n.is_leaf] == ["sin", "mul", "add", "reduce_sum"]
    assert g.in_avals == (Aval((3,), np.float64),) * 2


def test_nodes_and_graphs_are_immutable():
    g = wire.trace(f, np.ones(3), np.ones(3))
    node = g.outputs[0]
    with pytest.raises(AttributeError):
        node.inputs = ()
    with pytest.raises(AttributeError):
        node.params = {}
    with pytest.raises(AttributeError):
        g.outputs = ()
    with pytest.raises(TypeError):
        node.params["x"] = 1  # pmap
    with pytest.raises(AttributeError):
        Aval((1,), float).shape = (2,)


def test_evaluate_does_not_mutate_inputs():
    x = np.arange(4.0)
    x.setflags(write=False)  # any write would raise
    y = np.ones(4)
    before = y.copy()
    g = wire.trace(wire.grad(lambda a, b: wnp.sum(a * b**2)), x, y)
    out = wire.evaluate(g, x, y)
    np.testing.assert_array_equal(y, before)
    np.testing.assert_array_equal(out, before**2)


def test_deep_chain_no_recursion_error():
    def chain(x):
        for _ in range(10000):
            x = x * 1.0001 + 0.5
        return x

    g = wire.trace(chain, 1.0)
    assert len(g) == 20000
    assert len(toposort(g.outputs)) > 20000
    assert np.isfinite(wire.evaluate(g, 1.0))
    assert hash(g) == hash(wire.trace(chain, 2.0))


def _reference_order(roots):
    """The canonical order by its definition: a recursive depth-first walk from each root,
    inputs in order, each node listed after its inputs (small graphs only)."""
    order, seen = [], set()

    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for i in node.inputs:
            visit(i)
        order.append(node)

    for r in roots:
        visit(r)
    return order


def _toposort_corpus():
    """Graphs with shared subexpressions, several outputs, repeated roots, multi-output
    nodes, constants and the derivatives (first and second) that reuse primal nodes."""
    rng = np.random.default_rng(0)
    fs = [
        lambda x, y: wnp.sin(x) * y + x,
        lambda x, y: (x * y, y * x, x * y + wnp.cos(y)),
        lambda x, y: wnp.sum(wnp.tanh(x @ y) * 2.0 + x @ y),
        lambda x, y: wnp.linalg.eigh(x @ x.T + y[0, 0])[0].sum(),
        lambda x, y: wnp.maximum(x, y).sum() - wnp.sort(x.ravel())[1],
    ]
    for f in fs:
        args = (rng.normal(size=(3, 3)), rng.normal(size=(3, 3)))
        g = wire.trace(f, *args)
        yield g.inputs + g.outputs
        yield g.outputs + g.outputs[::-1] + g.inputs
        if len(g.outputs) == 1 and g.outputs[0].aval.shape == ():
            d = wire.grad(g, argnums=(0, 1), simplify=False)
            yield d.inputs + d.outputs
            yield wire.simplify(d).inputs + wire.simplify(d).outputs
    # random DAGs: every node picks earlier nodes as inputs (fan-in, fan-out, reuse)
    for seed in range(20):
        r = np.random.default_rng(seed)

        def dag(x, y, r=r):
            vals = [x, y, x * 0.5]
            for _ in range(40):
                a, b = (vals[k] for k in r.integers(0, len(vals), 2))
                vals.append([a + b, a * b, wnp.sin(a), a - b][r.integers(0, 4)])
            return tuple(vals[k] for k in r.integers(0, len(vals), 3))

        g = wire.trace(dag, 0.3, 0.7)
        yield g.inputs + g.outputs
        yield g.outputs


def test_toposort_is_the_canonical_depth_first_order():
    # the walk keeps the node being walked in locals (a speed-up): same order as the
    # definition, on graphs of every shape the transforms make
    count = 0
    for roots in _toposort_corpus():
        got = toposort(roots)
        assert got == _reference_order(roots)
        assert len(got) == len(set(got))
        pos = {n: k for k, n in enumerate(got)}
        assert all(pos[i] < pos[n] for n in got for i in n.inputs)
        count += 1
    assert count >= 50
    assert toposort([]) == []


def test_printed_form():
    g = wire.trace(lambda x, y: wnp.sum(x * y), np.ones(3), np.ones(3))
    text = str(g)
    lines = [line.split("#")[0].rstrip() for line in text.splitlines()]
    assert lines == [
        "graph(a:f64[3], b:f64[3]) {",
        "  c:f64[3] = mul a b",
        "  d:f64[] = reduce_sum[axes=(0,)] c",
        "  return d",
        "}",
    ]
    assert "test_ir.py:" in text  # each node records the user's file:line


def test_graph_pickles_for_multiprocessing():
    import pickle

    g = wire.trace(f, np.ones(3), np.ones(3))
    g2 = pickle.loads(pickle.dumps(g))
    assert g2 == g


def test_eight_threads_evaluate_one_graph():
    g = wire.trace(wire.grad(lambda x: wnp.sum(wnp.tanh(x) ** 3)), np.ones(1000))
    x = np.linspace(-2, 2, 1000)
    expected = wire.evaluate(g, x)
    results = [None] * 8

    def work(i):
        for _ in range(50):
            out = wire.evaluate(g, x)
            if not np.array_equal(out, expected):
                results[i] = False
                return
        results[i] = True

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results)


def test_tracing_concurrently_gives_identical_graphs():
    graphs = [None] * 8

    def work(i):
        graphs[i] = wire.trace(wire.grad(lambda x: wnp.sum(wnp.sin(x) * x)), np.ones(5))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(g == graphs[0] for g in graphs)
    assert isinstance(graphs[0], Graph)


def test_tracing_inside_a_rule_keeps_foreign_inputs_apart():
    """User code run by a graph transform sees tracers of a closed graph's inputs; a trace it
    starts must not confuse those with its own arguments."""
    from wire.ir import input_node
    from wire.core import Tracer

    outer_x = Tracer(input_node(0, Aval((), np.float64)))  # input 0 of some closed graph
    g = wire.trace(lambda y: y * outer_x, 2.0)  # its own input 0 has the same aval
    assert outer_x.node in g.free_vars
    assert g.inputs[0] is not outer_x.node
    inner = wire.grad(lambda y: y * y * outer_x)
    h = wire.trace(lambda z: inner(z), 3.0)
    # the derivative 2*y*outer_x must still refer to the foreign input, not to y
    assert outer_x.node in h.free_vars


def test_a_retrace_finds_its_nodes_and_params_of_other_types_stay_apart():
    # bind finds a node it made before without the shape rule: keyed by the params' types too,
    # so True and 1 (equal, one hash) still reach a rule that tells them apart
    from wire.core.primitive import Primitive
    from wire.core.tracer import bind
    from wire.ir import make_aval
    from wire.ir.nodes import applied_key

    calls = []

    def rule(a, *, k):
        calls.append(k)
        return make_aval((2,) if type(k) is bool else (3,), a.dtype)

    p = Primitive("typed_param_probe", lambda x, *, k: x, rule)
    x = wire.core.Tracer(wire.core.tracer.to_node(np.ones(1)))
    a, b = bind(p, x, k=True), bind(p, x, k=1)
    assert a.shape == (2,) and b.shape == (3,) and a.node is not b.node
    assert bind(p, x, k=True).node is a.node and bind(p, x, k=1).node is b.node
    assert calls == [True, 1]  # found again: the rule ran once per distinct param
    # floats (0.0 == -0.0), arrays and other values get no key: the full path every time
    assert applied_key(p, (), {"k": -0.0}) is None and applied_key(p, (), {"k": (1, 2.0)}) is None
    assert applied_key(p, (), {"k": 1}) != applied_key(p, (), {"k": True})
    assert applied_key(p, (), {"k": np.dtype("f4")}) != applied_key(p, (), {"k": "float32"})


def test_threads_racing_to_make_the_same_new_nodes_get_one_object_each():
    import sys

    from wire.ir import EMPTY_PARAMS, Node, const_node, make_node
    from wire.ops.elementwise import mul_p, sin_p

    base = const_node(np.float64(0.123456789))  # a constant no other test makes
    aval = base.aval
    barrier = threading.Barrier(8)
    made = [None] * 8

    def work(i):
        barrier.wait()
        x, out = base, []
        for k in range(3000):
            x = make_node(sin_p if k % 2 else mul_p, (x,) if k % 2 else (x, base),
                          EMPTY_PARAMS if k % 3 else {}, aval)
            out.append(x)
        made[i] = out

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    for other in made[1:]:
        assert all(a is b for a, b in zip(made[0], other))
    node = made[0][-1]
    with pytest.raises(AttributeError):
        node.op = mul_p  # made by plain assignment, immutable once made
    assert type(node) is Node and node.params is EMPTY_PARAMS


def test_avals_are_interned():
    import copy
    import pickle

    a = Aval([2, 3], "float64")
    assert a is Aval((2, 3), np.float64) and a == Aval((np.int64(2), 3), np.dtype("<f8"))
    assert a != Aval((3, 2), np.float64) and a != Aval((2, 3), np.float32)
    assert pickle.loads(pickle.dumps(a)) is a and copy.deepcopy(a) is a and copy.copy(a) is a
    assert Aval(None, np.float32) is Aval(None, "float32") and Aval(None, np.float32).shape is None
    assert len({a, Aval((2, 3), np.float64)}) == 1
