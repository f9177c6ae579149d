"""wire.to_dot text and wire.ir.dot.render (rendering only where graphviz and `dot` exist)."""

import shutil
import sys

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.ir import dot


def _graph():
    return wire.trace(lambda x, y: (wnp.sin(x) * 2.0 + y.sum(), x), np.ones(3), np.ones((2, 3)))


def test_dot_text_lists_every_node_and_edge():
    g = _graph()
    text = wire.to_dot(g)
    assert text.startswith("digraph wire {") and text.rstrip().endswith("}")
    for n in g.nodes:
        if not n.is_leaf:
            assert n.op.name in text
    edges = sum(len(n.inputs) for n in g.nodes) + len(g.outputs)
    assert text.count("->") == edges


def test_dot_labels_avals_params_and_marks():
    text = wire.to_dot(_graph())
    assert "f64[3]" in text and "f64[2,3]" in text
    assert "reduce_sum\\nf64[]\\naxes=(0, 1)" in text
    assert "input 0" in text and "input 1" in text
    assert "out 0" in text and "out 1" in text
    assert "invhouse" in text and "shape=house" in text  # inputs and outputs look different
    assert "#eeeeee" in text  # the constant 2.0 is styled as a constant
    assert text.count("shape=house") == 2


def test_dot_escapes_quotes_and_names_vars():
    x = wire.var('we"ird', shape=(2,))
    g = wire.Graph([], [(x * 2.0).node])
    text = wire.to_dot(g)
    assert 'var we\\"ird' in text


def test_dot_is_deterministic_and_matches_graph_order():
    a, b = wire.to_dot(_graph()), wire.to_dot(_graph())
    assert a == b


def test_dot_rejects_non_graphs():
    with pytest.raises(wire.WireError, match="wire.Graph"):
        wire.to_dot(lambda x: x)


def test_render_without_graphviz_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz -> ImportError
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(wire.WireError) as err:
        dot.render(_graph(), str(tmp_path / "g.svg"))
    msg = str(err.value)
    assert "pip install graphviz" in msg and "apt-get install graphviz" in msg


def test_render_names_only_the_missing_piece(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/dot")
    with pytest.raises(wire.WireError) as err:
        dot.render(_graph(), str(tmp_path / "g.svg"))
    assert "pip install graphviz" in str(err.value)
    assert "apt-get" not in str(err.value)


def test_render_rejects_unknown_format(tmp_path):
    with pytest.raises(wire.WireError, match="format"):
        dot.render(_graph(), str(tmp_path / "g.gif"), format="gif")


@pytest.mark.parametrize("fmt,magic", [("svg", b"<"), ("png", b"\x89PNG")])
def test_render_writes_a_picture(fmt, magic, tmp_path):
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    path = tmp_path / f"g.{fmt}"
    assert dot.render(wire.simplify(_graph()), str(path), format=fmt) == str(path)
    assert path.read_bytes().lstrip()[: len(magic)] == magic


def test_dot_draws_control_flow_bodies_as_clusters():
    g = wire.trace(lambda x: wire.cond(x > 0, wnp.sin, wnp.cos, x), 1.0)
    text = wire.to_dot(g)
    assert text.count("subgraph cluster_") == 2
    assert "cond.branches[0]" in text and "cond.branches[1]" in text
