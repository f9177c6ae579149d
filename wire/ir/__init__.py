"""The intermediate representation: abstract values, interned nodes and graphs.

* ``Aval`` — shape and dtype of a value (``shape`` may be ``None`` for a ``wire.var`` whose
  shape was not given). Multi-output nodes have a tuple of avals.
* ``Node`` — ``(op, inputs, params, aval)``, immutable and *interned*: building the same
  expression twice returns the same object, so ``==`` is ``is``, hashing never recurses and
  common sub-expressions are shared for free (``wire.ir.nodes``).
* ``Graph`` — inputs + outputs (+ the pytree structure of both), with a canonical
  topological ``nodes`` vector computed once by an iterative walk, and its text form
  (``wire.ir.graph``); its Graphviz picture (``wire.ir.dot``) and its Jupyter display
  (``wire.ir.notebook``, which installs ``Graph._repr_svg_``/``_repr_html_``).

Leaf operations (inputs, named vars, constants) live here; computing primitives live in
``wire.core`` and ``wire.ops``.
"""

from . import notebook  # noqa: F401  (installs the graph's Jupyter display)
from .dot import to_dot
from .graph import (
    Graph, _flat_tree, _graph_from_flat, carry_locs, format_graph, format_node_params,
    adopt_sub_graph_locs, fresh_inputs, graph_in_order, live_locs, locating_by, located, names, nested_locs,
    sub_graphs,
)
from .pause import gc_paused, resume_collector
from .nodes import (
    EMPTY_PARAMS,
    LEAF_OPS,
    Aval,
    ConstValue,
    all_same,
    LeafOp,
    Node,
    TraceTag,
    arg_node,
    arg_op,
    aval_of,
    const_node,
    const_op,
    dead_arg,
    input_node,
    input_op,
    make_aval,
    make_node,
    substitute,
    substitute_map,
    toposort,
    var_node,
    var_op,
    with_inputs,
    zero_signs,
)

__all__ = [
    "EMPTY_PARAMS", "LEAF_OPS", "Aval", "ConstValue", "Graph", "LeafOp", "Node", "TraceTag",
    "all_same", "arg_node", "arg_op", "carry_locs", "dead_arg", "fresh_inputs",
    "aval_of", "const_node", "const_op", "format_graph", "format_node_params", "gc_paused", "graph_in_order", "input_node",
    "input_op", "make_aval", "make_node", "names", "substitute", "substitute_map", "to_dot",
    "toposort", "var_node", "adopt_sub_graph_locs", "locating_by", "located", "nested_locs",
    "sub_graphs", "live_locs",
    "var_op", "with_inputs", "zero_signs", "resume_collector",
]
