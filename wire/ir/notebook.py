"""How a graph shows itself in Jupyter: :func:`svg` and :func:`html`, installed here as
``Graph._repr_svg_`` and ``Graph._repr_html_`` (this module draws with :func:`to_dot`, which
needs the ``Graph`` class, so the class cannot import it; ``wire.ir`` imports it).

* A graph of at most ``MAX_DRAWN_NODES`` nodes (nested control-flow bodies included) is drawn
  as SVG by Graphviz's ``dot`` program when it is on the ``PATH`` — the picture of
  :func:`wire.to_dot`. The ``graphviz`` Python package is not needed (it would call the same
  program); without the program, or if it fails, the graph is shown as text instead.
* Otherwise a graph of at most ``MAX_LISTED_LINES`` lines is shown as its text listing (what
  ``print(graph)`` shows) in a ``<pre>``, HTML-escaped.
* A bigger graph is summarised: its inputs and outputs, its node count by primitive, and the
  first ``SUMMARY_LINES`` lines of the listing.

Only one of the two methods answers for a given graph (the other returns ``None``), so a
notebook stores one rich output, and front ends that prefer HTML to SVG still show the
picture. A drawing is memoized per (graph, ``dot`` path): graphs are immutable and
hashable, so re-displaying one costs nothing.
"""

from __future__ import annotations

import functools
import html as _html
import shutil
import subprocess
from collections import Counter

from .dot import to_dot
from .graph import Graph, format_graph
from .nodes import const_op

__all__ = ["MAX_DRAWN_NODES", "MAX_LISTED_LINES", "html", "svg"]

MAX_DRAWN_NODES = 200  # past this a layered drawing is a smear of edges, and dot gets slow
MAX_LISTED_LINES = 400
SUMMARY_LINES = 40
DOT_TIMEOUT_S = 20.0


def _walk(graph: Graph):
    """Every node of ``graph`` and of the graphs held in its nodes' params."""
    stack = [graph]
    while stack:
        g = stack.pop()
        for node in g.nodes:
            yield node
            for v in node.params.values():
                if isinstance(v, Graph):
                    stack.append(v)
                elif isinstance(v, tuple):
                    stack.extend(x for x in v if isinstance(x, Graph))


def size(graph: Graph) -> int:
    """Number of nodes, nested graphs included (what a drawing would have to show)."""
    return sum(1 for _ in _walk(graph))


@functools.lru_cache(maxsize=32)
def _draw(graph: Graph, dot: str) -> str | None:
    try:
        proc = subprocess.run([dot, "-Tsvg"], input=to_dot(graph).encode(), capture_output=True,
                              timeout=DOT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = proc.stdout.decode("utf-8", errors="replace")
    start = text.find("<svg")
    # the <svg> element alone: the XML prolog and DOCTYPE do not belong inside a page
    return text[start:] if proc.returncode == 0 and start >= 0 else None


def svg(graph: Graph) -> str | None:
    """The SVG drawing of ``graph``, or ``None`` (no Graphviz ``dot`` program, or a graph of
    more than ``MAX_DRAWN_NODES`` nodes).

    >>> import wire
    >>> g = wire.trace(lambda x: x * 2.0, 1.0)
    >>> out = svg(g)
    >>> out is None or out.startswith("<svg")
    True
    """
    dot = shutil.which("dot")
    if dot is None or size(graph) > MAX_DRAWN_NODES:
        return None
    return _draw(graph, dot)


def html(graph: Graph) -> str | None:
    """``None`` when :func:`svg` draws ``graph``; else its listing in a ``<pre>``, or, for a
    graph of more than ``MAX_LISTED_LINES`` lines, a summary.

    >>> import wire
    >>> import wire.ir.notebook as nb
    >>> g = wire.trace(lambda x: x * 2.0, 1.0)
    >>> text = nb.html(g)
    >>> text is None or text.startswith('<pre class="wire-graph">')
    True
    """
    if svg(graph) is not None:
        return None
    listing = format_graph(graph)
    lines = listing.splitlines()
    if len(lines) <= MAX_LISTED_LINES:
        return f'<pre class="wire-graph">{_html.escape(listing)}</pre>'
    return _summary(graph, lines)


def _summary(graph: Graph, lines: list) -> str:
    nodes = list(_walk(graph))
    ops = Counter(n.op.name for n in nodes if not n.is_leaf)
    consts = sum(1 for n in nodes if n.op is const_op)
    ins = ", ".join(repr(a) for a in graph.in_avals) or "none"
    outs = ", ".join(repr(a) for a in graph.out_avals) or "none"
    rows = "".join(f"<tr><td>{_html.escape(name)}</td><td>{count}</td></tr>"
                   for name, count in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0])))
    why = ("Graphviz's <code>dot</code> program is not installed"
           if shutil.which("dot") is None else f"more than {MAX_DRAWN_NODES} nodes")
    head = "\n".join(lines[:SUMMARY_LINES])
    return (
        '<div class="wire-graph">'
        f"<p><b>wire.Graph</b>: {len(graph)} operations ({sum(ops.values())} with nested "
        f"graphs), {consts} constants; inputs ({_html.escape(ins)}) &rarr; outputs "
        f"({_html.escape(outs)}). Not drawn: {why}.</p>"
        "<details><summary>operations by primitive</summary>"
        f"<table><tr><th>primitive</th><th>count</th></tr>{rows}</table></details>"
        f'<pre class="wire-graph">{_html.escape(head)}\n'
        f"… {len(lines) - SUMMARY_LINES} more lines: print(graph) shows them all</pre>"
        "</div>"
    )


# Jupyter asks a displayed object for these (one of the two answers; see the module docstring)
Graph._repr_svg_ = svg
Graph._repr_html_ = html
