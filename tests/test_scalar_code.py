"""Graphs of float64 scalars compile to Python float arithmetic (wire.runtime.compiler's
scalar block) with exactly NumPy's bits: every ufunc primitive on every special value (and
every pair of them), higher derivatives, and the example-graph corpus, against the NumPy
evaluator; divisions by zero fall back to NumPy's inf/NaN; float32 graphs stay float32."""

import warnings

import numpy as np
import pytest

import corpus
import special_cases as sc
import wire
import wire.numpy as wnp
from wire.api.registry import REGISTRY
from wire.core import bind
from wire.runtime.compiler import compile_graph
from wire.runtime.schedule import emitter_for

VALUES = sc.floats(np.float64)


def same_bits(a, b) -> bool:
    """Equal bit for bit (so signed zeros too), NaN where the other is NaN."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind != "f":
        return np.array_equal(a, b)
    nan = np.isnan(a)
    if not np.array_equal(nan, np.isnan(b)):
        return False
    ua = a.view(np.uint64 if a.dtype == np.float64 else np.uint32)
    ub = b.view(ua.dtype)
    # NaN: NaN-ness only. IEEE 754 leaves the sign and payload of a NaN result unspecified,
    # and they differ between NumPy's own loops (nan + -nan is +nan in one, -nan in another)
    return np.array_equal(ua[~nan], ub[~nan])


def uses_scalar_code(c) -> bool:
    return "    try:" in c.source


def ufunc_primitives(nin):
    out = []
    for name, prim in sorted(REGISTRY.items()):
        impl = prim.impl
        if isinstance(impl, np.ufunc) and impl.nin == nin and impl.nout == 1:
            try:
                g = wire.trace(lambda *xs, p=prim: bind(p, *xs), *([1.0] * nin))
                with np.errstate(all="ignore"):
                    wire.evaluate(g, *([np.array(1.0)] * nin))
            except (wire.WireError, TypeError):  # matmul takes matrices, invert integers
                continue
            node = g.outputs[0]
            if not node.is_leaf and emitter_for(node).scalar is not None \
                    and node.aval.dtype == np.float64:
                out.append(name)
    return out


@pytest.mark.parametrize("name", ufunc_primitives(1))
def test_unary_ufuncs_on_special_values(name):
    prim = REGISTRY[name]
    g = wire.trace(lambda x: bind(prim, x), 1.0)
    c = compile_graph(g)
    assert uses_scalar_code(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for v in VALUES:
            for x in (np.array(v), float(v)):
                assert same_bits(c(x), wire.evaluate(g, np.array(v))), (name, v)


@pytest.mark.parametrize("name", ufunc_primitives(2))
def test_binary_ufuncs_on_pairs_of_special_values(name):
    prim = REGISTRY[name]
    g = wire.trace(lambda x, y: bind(prim, x, y), 1.0, 1.0)
    c = compile_graph(g)
    assert uses_scalar_code(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for u in VALUES:
            for v in VALUES:
                want = wire.evaluate(g, np.array(u), np.array(v))
                assert same_bits(c(np.array(u), np.array(v)), want), (name, u, v)


def test_division_by_zero_takes_numpys_inf_and_nan():
    g = wire.trace(lambda x, y: (x / y) * 2.0 + x, 1.0, 1.0)
    c = compile_graph(g)
    with np.errstate(divide="ignore", invalid="ignore"):
        for x, y in [(1.0, 0.0), (-1.0, 0.0), (1.0, -0.0), (0.0, 0.0), (np.nan, 0.0)]:
            assert same_bits(c(x, y), wire.evaluate(g, np.array(x), np.array(y)))
    with pytest.warns(RuntimeWarning):  # NumPy's warning, as the NumPy code gives it
        c(1.0, 0.0)


PANEL = {
    "sin_exp_tanh": lambda x: wnp.sin(x) * wnp.exp(wnp.tanh(x)),
    "rational": lambda x: (x**3 + 2 * x) / (1 + x**2) + wnp.log1p(x**2) * wnp.cos(3 * x),
    "arctan_sinh": lambda x: (wnp.arctan(wnp.sinh(x) * wnp.sqrt(1 + x**2))
                              + wnp.exp(-x**2) * wnp.tanh(2 * x) / (2 + wnp.sin(x))),
    "powers": lambda x: x ** 5 - 3.0 * x ** -2 + wnp.abs(x) ** 3,
}


@pytest.mark.parametrize("name", sorted(PANEL))
def test_higher_derivatives_match_the_numpy_evaluator(name):
    f = PANEL[name]
    points = list(VALUES) + list(np.linspace(-3.0, 3.0, 13))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for order in range(4):
            g = wire.trace(f, 0.5)
            c = compile_graph(g)
            assert uses_scalar_code(c)
            for x in points:
                assert same_bits(c(x), wire.evaluate(g, np.array(x))), (name, order, x)
            f = wire.grad(f)


def test_the_corpus_scalar_graphs_match_the_evaluator():
    seen = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, g, args in corpus.graphs(primitives=False):
            c = compile_graph(g)
            if not uses_scalar_code(c):
                continue
            seen += 1
            got = wire.tree.leaves(c(*args))
            want = wire.tree.leaves(wire.evaluate(g, *args))
            assert all(same_bits(a, b) for a, b in zip(got, want)), name
    assert seen >= 1


def test_float32_and_array_graphs_keep_numpy_code():
    g32 = wire.trace(lambda x: wnp.sin(x) * 2.0, np.float32(1.0))
    c32 = compile_graph(g32)
    assert not uses_scalar_code(c32) and c32(np.float32(0.5)).dtype == np.float32
    assert not uses_scalar_code(compile_graph(wire.trace(lambda x: x * 2.0, np.ones(2))))
    mixed = wire.trace(lambda x, v: wnp.sum(v) * x, 1.0, np.ones(3))
    assert not uses_scalar_code(compile_graph(mixed))


def test_outputs_are_numpy_arrays_in_their_pytree():
    c = compile_graph(wire.trace(lambda x: (x * 2.0, [wnp.sin(x)]), 1.0))
    out = c(1.0)
    assert isinstance(out, tuple) and isinstance(out[1], list)
    assert type(out[0]) is np.ndarray and out[0].shape == () and out[0].dtype == np.float64
    step = wire.jit(wire.grad(wire.grad(lambda x: wnp.sin(x) * x)))
    assert type(step(0.3)) is np.ndarray
