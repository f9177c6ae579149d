"""Graphs in Jupyter: Graph._repr_svg_ / _repr_html_ (wire.ir.notebook), and a real notebook
executed by a kernel (nbclient) whose outputs hold the picture or the listing."""

import html
import os
import shutil
from collections import Counter

import pytest

import wire
import wire.ir.notebook as nb
import wire.numpy as wnp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAVE_DOT = shutil.which("dot") is not None


@pytest.fixture
def no_dot(monkeypatch):
    monkeypatch.setattr(nb.shutil, "which", lambda name: None)


def _chain(n: int):
    def f(x):
        for k in range(n):
            x = wnp.sin(x) * (1.0 + k)
        return x

    return wire.trace(f, 1.0)


def test_small_graph_without_graphviz_is_its_escaped_listing(no_dot):
    x = wire.var("a<b&c", shape=())
    g = wire.Graph((), [(wnp.exp(x) * 2.0).node])
    assert g._repr_svg_() is None
    out = g._repr_html_()
    assert out == f'<pre class="wire-graph">{html.escape(repr(g))}</pre>'
    assert "a&lt;b&amp;c" in out and "a<b" not in out


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot program is not installed")
def test_small_graph_with_graphviz_is_drawn_and_html_steps_aside():
    g = wire.trace(lambda x: wnp.sin(x) * x + 1.0, 1.0)
    out = g._repr_svg_()
    assert out.startswith("<svg") and out.rstrip().endswith("</svg>")
    assert ">sin<" in out and ">out 0<" in out  # the node labels of wire.to_dot
    assert g._repr_html_() is None  # one rich output: front ends preferring HTML draw too
    assert g._repr_svg_() is out  # memoized: the graph is immutable


def test_drawing_is_capped_by_node_count_including_nested_graphs():
    big = _chain(nb.MAX_DRAWN_NODES // 2)  # 3 nodes a step: sin, mul and a constant
    assert nb.size(big) > nb.MAX_DRAWN_NODES and big._repr_svg_() is None
    assert big._repr_html_().startswith('<pre class="wire-graph">graph(a:f64[]) {')
    g = wire.trace(lambda x: wire.cond(x > 0, lambda t: t * 2.0, lambda t: wnp.sin(t), x), 1.0)
    outer = len(g.nodes)
    assert nb.size(g) == outer + sum(len(b.nodes) for b in
                                     [n for n in g.nodes if n.op.name == "cond"][0]
                                     .params["branches"])


def test_big_graph_is_summarised(no_dot):
    big = _chain(nb.MAX_LISTED_LINES)
    out = big._repr_html_()
    assert out.startswith('<div class="wire-graph">') and big._repr_svg_() is None
    lines = repr(big).splitlines()
    assert html.escape("\n".join(lines[:nb.SUMMARY_LINES])) in out
    assert f"{len(lines) - nb.SUMMARY_LINES} more lines" in out
    assert lines[nb.SUMMARY_LINES + 1] not in out
    counts = Counter(n.op.name for n in big.nodes if not n.is_leaf)
    for name, count in counts.items():
        assert f"<tr><td>{name}</td><td>{count}</td></tr>" in out
    assert f"{len(big)} operations" in out and "inputs (f64[])" in out
    assert "dot</code> program is not installed" in out


# --------------------------------------------------------------------------- a real notebook

CELLS = [
    "import wire, wire.numpy as wnp\n"
    "g = wire.trace(lambda x: wnp.sin(x) * wnp.exp(wnp.tanh(x)), 1.0)\n"
    "g",
    "from IPython.display import display\n"
    "x = wire.var('a<b', shape=())\n"
    "display(wire.Graph((), [(x * 2.0).node]))",
    # without Graphviz (as on a machine that lacks it)
    "import wire.ir.notebook\n"
    "wire.ir.notebook.shutil.which = lambda name: None\n"
    "g",
    "def f(x):\n"
    "    for k in range(500):\n"
    "        x = wnp.sin(x) + 1.0\n"
    "    return x\n"
    "wire.trace(f, 1.0)",
]


def test_a_notebook_shows_graphs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    client = nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3",
                                     resources={"metadata": {"path": ROOT}})
    client.execute()
    data = [[o.get("data", {}) for o in cell.outputs] for cell in notebook.cells]
    assert [len(d) for d in data] == [1] * len(CELLS), [c.outputs for c in notebook.cells]
    first, var, no_graphviz, big = [d[0] for d in data]
    if HAVE_DOT:
        assert first["image/svg+xml"].startswith("<svg") and "text/html" not in first
        assert "a&lt;b" in var["image/svg+xml"]  # escaped by Graphviz's SVG writer
    else:
        assert first["text/html"].startswith('<pre class="wire-graph">graph(a:f64[])')
    assert "image/svg+xml" not in no_graphviz
    assert no_graphviz["text/html"].startswith('<pre class="wire-graph">graph(a:f64[])')
    assert "= tanh a" in no_graphviz["text/html"]
    assert big["text/html"].startswith('<div class="wire-graph">')
    assert "<tr><td>sin</td><td>500</td></tr>" in big["text/html"]
    assert all(d["text/plain"] for d in (first, var, no_graphviz, big))
