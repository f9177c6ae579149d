"""Fused elementwise regions (wire.runtime.fusion): block-by-block code gives the unfused
code's results bit for bit — over the example-graph corpus and on special values — and runs
only where it is asked for (big arrays by default, never with fuse=False)."""

import warnings

import numpy as np
import pytest

import corpus
import special_cases as sc
import wire
import wire.numpy as wnp
from wire.runtime import fusion
from wire.runtime.compiler import compile_graph
from test_scalar_code import same_bits


def is_fused(c) -> bool:
    return "# fused:" in c.source


def test_corpus_fused_equals_unfused_bit_for_bit():
    fused_some = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, g, args in corpus.graphs():
            plain = compile_graph(g, fuse=False)
            fused = compile_graph(g, fuse=1)  # fuse every region, however small
            fused_some += is_fused(fused)
            assert not is_fused(plain)
            got = wire.tree.leaves(fused(*args))
            want = wire.tree.leaves(plain(*args))
            assert len(got) == len(want)
            assert all(same_bits(a, b) for a, b in zip(got, want)), name
    assert fused_some >= 5


def chain(x, y):
    a = wnp.tanh(x * y + 1.0) ** 2 - x
    b = wnp.exp(-a) / (y + 2.0)
    return wnp.sum(b * a), a, wnp.maximum(b, x)


@pytest.mark.parametrize("rows", [1, 7, 4097, 10000])
def test_special_values_and_block_edges(rows):
    v = sc.floats(np.float64)
    x = np.resize(v, (rows, 3))
    y = np.resize(v[::-1], (rows, 3))
    g = wire.trace(chain, x, y)
    with np.errstate(all="ignore"):
        want = compile_graph(g, fuse=False)(x, y)
        c = compile_graph(g, fuse=2)
        assert is_fused(c)
        got = c(x, y)
    for a, b in zip(wire.tree.leaves(got), wire.tree.leaves(want)):
        assert same_bits(a, b)


def test_jit_fuses_big_arrays_only_and_never_with_fuse_false():
    small = np.ones(1000)
    big = np.linspace(0.0, 1.0, fusion.MIN_ELEMENTS)
    f = lambda x: wnp.sin(x * 2.0 + 1.0) * x  # noqa: E731
    assert not is_fused(wire.jit(f).lower(small))
    low = wire.jit(f).lower(big)
    assert is_fused(low)
    assert not is_fused(wire.jit(f, fuse=False).lower(big))
    assert same_bits(low(big), wire.jit(f, fuse=False)(big))


def test_float32_views_and_scalars_in_regions():
    x = np.linspace(-2, 2, 3000, dtype=np.float32).reshape(1000, 3)
    f = lambda x: (wnp.tanh(x.T * 2.0) + 1.0, x[::2] * x[1::2])  # noqa: E731
    g = wire.trace(f, x)
    got = compile_graph(g, fuse=2)(x)
    want = wire.evaluate(g, x)
    for a, b in zip(got, want):
        assert a.dtype == np.float32 and same_bits(a, b)
