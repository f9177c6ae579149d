"""Every example graph of the corpus (tests/corpus.py) through every engine: the compiler
gives exactly the evaluator's results without touching the arguments, simplification keeps
the values, and the saved-and-loaded graph evaluates the same. (The Dask backend runs the
same corpus in tests/test_backends.py.)"""

import numpy as np
import pytest

import wire
from corpus import graphs
from wire.runtime.compiler import compile_graph

GRAPHS = graphs()
IDS = [name for name, _, _ in GRAPHS]


def _leaves(x):
    return [np.asarray(v) for v in wire.tree.leaves(x)]


def _close(got, want, rtol=1e-9):
    for a, b in zip(_leaves(got), _leaves(want)):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-11, equal_nan=True)


@pytest.mark.parametrize("name,graph,args", GRAPHS, ids=IDS)
def test_compiler_equals_evaluator(name, graph, args):
    before = [np.array(a, copy=True) for a in _leaves(args)]
    want = wire.evaluate(graph, *args)
    got = compile_graph(graph)(*args)
    for a, b in zip(_leaves(got), _leaves(want)):
        assert a.shape == b.shape and a.dtype == b.dtype, name
        assert np.array_equal(a, b, equal_nan=True), name
    for b, a in zip(before, _leaves(args)):
        np.testing.assert_array_equal(a, b, err_msg="an argument was mutated")


@pytest.mark.parametrize("name,graph,args", GRAPHS, ids=IDS)
def test_simplify_keeps_values(name, graph, args):
    simple = wire.simplify(graph)
    assert len(simple) <= len(graph)
    _close(wire.evaluate(simple, *args), wire.evaluate(graph, *args))


@pytest.mark.parametrize("name,graph,args", GRAPHS, ids=IDS)
def test_save_and_load_keep_values(name, graph, args):
    try:
        text = wire.dumps(graph)
    except wire.WireError as e:  # custom functions saved by name must be module-level
        assert "custom" in str(e)
        return
    loaded = wire.loads(text)
    assert loaded == graph
    _close(wire.evaluate(loaded, *args), wire.evaluate(graph, *args), rtol=0)
