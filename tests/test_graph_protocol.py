"""Transformed functions give their graph (``__wire_graph__``) to ``jit`` and ``trace``, which
take it as it is: ``jit(grad(f))`` compiles grad's own (simplified) graph, with no inlining and
no recognising it again."""

import importlib

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.api import grad_graph
from wire.core import call_graph_flat, trace_flat
from wire.tree import flatten


def f(x):
    return wnp.sum(wnp.tanh(wnp.sin(x) * 1.5) ** 2)


X = np.linspace(-1.0, 1.0, 4)


def _avals(*args):
    leaves, in_tree = flatten(args)
    return [wire.ir.aval_of(x) for x in leaves], in_tree


@pytest.mark.parametrize("make, x", [
    (lambda: wire.grad(f), X), (lambda: wire.value_and_grad(f), X),
    (lambda: wire.vmap(wire.grad(f)), np.stack([X, -X])),
    (lambda: wire.jacrev(wire.grad(f)), X), (lambda: wire.jacfwd(wire.grad(f)), X),
    (lambda: wire.hessian(f), X), (lambda: wire.jit(wire.grad(f)), X),
], ids=["grad", "value_and_grad", "vmap", "jacrev", "jacfwd", "hessian", "jit"])
def test_transformed_functions_give_their_graph(make, x):
    g = make()
    avals, in_tree = _avals(x)
    graph = g.__wire_graph__(avals, in_tree)
    assert isinstance(graph, wire.Graph) and not graph.free_vars
    assert wire.trace(g, x) == graph
    got = wire.tree.leaves(wire.evaluate(graph, x))
    want = wire.tree.leaves(g(x))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_jit_of_grad_compiles_grads_own_graph(monkeypatch):
    df = wire.grad(f)
    avals, in_tree = _avals(X)
    want = grad_graph(trace_flat(f, avals, in_tree))
    inlined = []

    def spy(graph, leaves):  # inlining a graph into a trace is what the round trip did
        inlined.append(graph)
        return call_graph_flat(graph, leaves)

    monkeypatch.setattr(importlib.import_module("wire.api.grad"), "call_graph_flat", spy)
    lowered = wire.jit(df).lower(X)
    assert lowered.graph is want  # the very graph, not an equal one rebuilt by renaming
    assert inlined == []
    np.testing.assert_allclose(lowered(X), df(X))


def test_nested_grad_asks_the_inner_grad_for_its_graph():
    d2 = wire.grad(lambda x: wire.grad(f)(x).sum())
    d2_by_graph = wire.grad(wire.grad(f))  # the outer grad traces the inner one: no inlining
    x = np.array(0.3)
    h = wire.hessian(lambda v: f(v))(np.array([0.3]))
    np.testing.assert_allclose(d2(np.array([0.3])), h.sum(axis=0), rtol=1e-12)
    with pytest.raises(wire.NonDifferentiableError):
        d2_by_graph(np.array([0.3, 0.4]))  # grad(f) is not scalar: the error says so
    assert float(wire.grad(wire.grad(lambda v: v ** 4))(x)) == pytest.approx(12 * 0.09)


def test_jit_of_jit_and_grad_of_jit_take_the_jitted_graph():
    jf = wire.jit(f)
    avals, in_tree = _avals(X)
    g = jf.__wire_graph__(avals, in_tree)
    assert jf.__wire_graph__(avals, in_tree) is g  # cached per signature
    assert wire.jit(jf).lower(X).graph is g
    np.testing.assert_allclose(wire.grad(jf)(X), wire.grad(f)(X), rtol=1e-12)


def test_static_arguments_still_trace_through_the_call():
    scale = wire.jit(lambda x, k: wnp.sum(x * k), static_argnums=1)
    assert float(wire.grad(lambda x: scale(x, 3))(X)[0]) == 3.0
