"""Graphviz pictures of graphs: :func:`to_dot` (DOT text, no dependencies) and :func:`render`.

Nodes are drawn in the graph's canonical order. A node's label is its primitive, its aval
(``f64[3,4]``) and its params in compact form; inputs are blue inverted houses, outputs get a
green house of their own (``out 0``, ``out 1`` …) pointing from the node they return, constants
are grey boxes showing small values, named/free variables are orange ellipses, and graphs held
in params (control-flow bodies) are drawn as dashed clusters. Rendering needs the ``graphviz``
Python package *and* Graphviz's ``dot`` program; :func:`render` says which one is missing.
"""

from __future__ import annotations

import shutil

import numpy as np

from ..errors import WireError, at, user_location
from ..tracebacks import expose
from .graph import Graph
from .nodes import ConstValue, Node, const_op, input_op, var_op

__all__ = ["render", "to_dot"]

_MAX_PARAM_CHARS = 40

_STYLE_INPUT = 'shape=invhouse, style=filled, fillcolor="#cfe2ff", color="#1f4e99"'
_STYLE_OUTPUT = 'shape=house, style=filled, fillcolor="#c8f0c8", color="#1a7a1a"'
_STYLE_CONST = 'shape=box, style="filled,rounded", fillcolor="#eeeeee", color="#888888"'
_STYLE_FREE = 'shape=ellipse, style=filled, fillcolor="#ffe0b3", color="#b36b00"'
_STYLE_OP = 'shape=box, style="rounded"'


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _aval(node: Node) -> str:
    a = node.aval
    return "(" + ", ".join(repr(x) for x in a) + ")" if isinstance(a, tuple) else repr(a)


def _param(v) -> str:
    if isinstance(v, np.dtype):
        s = v.name
    elif isinstance(v, ConstValue):
        s = repr(v)
    elif isinstance(v, Graph):
        s = f"graph[{len(v)}]"
    elif isinstance(v, float):
        s = f"{v:.6g}"
    else:
        s = repr(v)
    return s if len(s) <= _MAX_PARAM_CHARS else s[: _MAX_PARAM_CHARS - 1] + "…"


def _holds_graphs(v) -> bool:
    if isinstance(v, Graph):
        return True
    return isinstance(v, (tuple, list)) and bool(v) and all(isinstance(g, Graph) for g in v)


def _label(node: Node) -> str:
    op = node.op
    if op is const_op:
        a = node.params["value"].array
        head = f"{a.item():.6g}" if a.size == 1 else ("const" if a.size > 6 else repr(node.params["value"]))
        return f"{head}\n{_aval(node)}"
    if op is input_op:
        return f"input {node.params['index']}\n{_aval(node)}"
    if op is var_op:
        return f"var {node.params['name']}\n{_aval(node)}"
    items = [(k, v) for k, v in sorted(node.params.items()) if k != "tag"]
    if op.name == "full":
        return f"full {_param(node.params['value'])}\n{_aval(node)}"
    ps = ", ".join(f"{k}={_param(v)}" for k, v in items if not _holds_graphs(v))
    return f"{op.name}\n{_aval(node)}" + (f"\n{ps}" if ps else "")


def _style(node: Node, inputs: set) -> str:
    if node in inputs:
        return _STYLE_INPUT
    if node.op is const_op or getattr(node.op, "name", "") == "full":
        return _STYLE_CONST
    if node.is_leaf:
        return _STYLE_FREE
    return _STYLE_OP


def _emit(graph: Graph, prefix: str, lines: list, indent: str, counter: list) -> None:
    ids: dict[Node, str] = {}
    inputs = set(graph.inputs)
    for k, node in enumerate(graph.nodes):
        nid = f"{prefix}n{k}"
        ids[node] = nid
        lines.append(f"{indent}{nid} [label={_quote(_label(node))}, {_style(node, inputs)}];")
        for src in node.inputs:
            lines.append(f"{indent}{ids[src]} -> {nid};")
        subs = []
        for key, v in sorted(node.params.items()):
            if isinstance(v, Graph):
                subs.append((key, v))
            elif _holds_graphs(v):
                subs.extend((f"{key}[{i}]", g) for i, g in enumerate(v))
        for key, sub in subs:
            counter[0] += 1
            cid = f"{prefix}c{counter[0]}_"
            lines.append(f"{indent}subgraph cluster_{cid} {{")
            lines.append(f'{indent}  label={_quote(f"{node.op.name}.{key}")}; style=dashed;')
            _emit(sub, cid, lines, indent + "  ", counter)
            lines.append(f"{indent}}}")
            if sub.outputs:
                anchor = f"{cid}n{len(sub.nodes) - 1}"
                lines.append(f"{indent}{anchor} -> {nid} [style=dashed, arrowhead=odot];")
    for i, out in enumerate(graph.outputs):
        oid = f"{prefix}out{i}"
        lines.append(f"{indent}{oid} [label={_quote(f'out {i}')}, {_STYLE_OUTPUT}];")
        lines.append(f"{indent}{ids[out]} -> {oid};")


def to_dot(graph: Graph, name: str = "wire") -> str:
    """Graphviz DOT text of ``graph``: one box per node, edges from operands to users.

    >>> import wire, wire.numpy as wnp
    >>> text = wire.to_dot(wire.trace(lambda x: wnp.sin(x) * 2.0, 1.0))
    >>> text.splitlines()[0], "sin" in text, "out 0" in text
    ('digraph wire {', True, True)
    """
    if not isinstance(graph, Graph):
        raise WireError(f"to_dot needs a wire.Graph (from wire.trace), got {type(graph).__name__}"
                        + at(user_location()))
    lines = [f"digraph {name} {{", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=10];']
    _emit(graph, "", lines, "  ", [0])
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(graph: Graph, path: str, format: str = "svg") -> str:
    """Draw ``graph`` into ``path`` as SVG or PNG with Graphviz; returns ``path``.

    Needs the ``graphviz`` Python package (``pip install graphviz``) and Graphviz's ``dot``
    program (``apt-get install graphviz``, ``brew install graphviz`` or ``conda install
    graphviz``); raises ``wire.WireError`` naming whichever is missing.

    >>> import wire
    >>> render(wire.trace(lambda x: x * 2.0, 1.0), "g.svg")  # doctest: +SKIP
    'g.svg'
    """
    if format not in ("svg", "png", "pdf"):
        raise WireError(f"render: format must be 'svg', 'png' or 'pdf', got {format!r}"
                        + at(user_location()))
    missing = []
    try:
        import graphviz
    except ImportError:
        graphviz = None
        missing.append("the graphviz Python package (pip install graphviz)")
    if shutil.which("dot") is None:
        missing.append(
            "Graphviz's `dot` program (apt-get install graphviz, brew install graphviz or "
            "conda install graphviz)"
        )
    if missing:
        raise WireError(
            "wire.ir.dot.render needs " + " and ".join(missing) + "; wire.to_dot(graph) gives "
            "the DOT text without either"
        )
    data = graphviz.Source(to_dot(graph)).pipe(format=format)
    with open(path, "wb") as fh:
        fh.write(data)
    return path

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
