"""The core: the ``Primitive`` record, tracers and ``bind``, tracing, and running graphs.

Everything above builds on these names; nothing here knows any particular primitive except
``proj`` (the output of a multi-output node, which ``bind`` itself makes). The records a
primitive declares its later-stage facts with live here too: ``lowering`` (compiler emitter,
Array-API implementation) and ``formula`` (how SymPy writes it, and the graph translator).
"""

from .call import call_graph_flat
from .debug import debug_nans, nans_enabled
from .evaluate import evaluate_flat, evaluate_once, plan_for
from .primitive import NoCotangent, Primitive, proj_p
from .tracer import (
    _ARRAY_TYPES,
    ConcreteValues,
    TraceState,
    TraceTag,
    Tracer,
    WeakTracer,
    arg_node,
    arg_tracers,
    bind,
    check_plain_array,
    int_range,
    int_ranges_key,
    leaf_int_ranges,
    close_graph,
    constant_value,
    eager_arg_node,
    current_trace,
    flat_avals,
    leaf_aval,
    open_trace,
    output_nodes,
    to_node,
    to_tracer,
    trace,
    trace_flat,
    int_loop,
    weak_int_range,
    weak_leaves,
)
from .values import node_values, toposort_from

__all__ = [
    "NoCotangent",
    "ConcreteValues", "Primitive", "TraceState", "TraceTag", "Tracer", "WeakTracer",
    "arg_node", "arg_tracers", "bind", "call_graph_flat", "close_graph", "constant_value",
    "current_trace", "debug_nans", "eager_arg_node", "evaluate_flat", "evaluate_once", "flat_avals", "leaf_aval", "nans_enabled",
    "node_values", "open_trace", "output_nodes", "plan_for", "proj_p", "to_node", "to_tracer",
    "toposort_from", "trace", "trace_flat", "weak_leaves", "int_range", "weak_int_range",
    "int_loop",
    "leaf_int_ranges", "int_ranges_key", "check_plain_array",
]
