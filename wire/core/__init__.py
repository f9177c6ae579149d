"""The core: the ``Primitive`` record, tracers and ``bind``, tracing, and running graphs.

Everything above builds on these names; nothing here knows any particular primitive except
``proj`` (the output of a multi-output node, which ``bind`` itself makes). The records a
primitive declares its later-stage facts with live here too: ``lowering`` (compiler emitter,
Array-API implementation) and ``formula`` (how SymPy writes it, and the graph translator).
"""

from .call import call_graph_flat
from .debug import debug_nans, nans_enabled
from .evaluate import evaluate_flat, plan_for
from .primitive import Primitive, proj_p
from .tracer import (
    _ARRAY_TYPES,
    TraceTag,
    Tracer,
    bind,
    flat_avals,
    leaf_aval,
    to_node,
    to_tracer,
    trace,
    trace_flat,
)

__all__ = [
    "Primitive", "TraceTag", "Tracer", "bind", "call_graph_flat", "debug_nans",
    "evaluate_flat", "flat_avals", "leaf_aval", "nans_enabled", "plan_for", "proj_p",
    "to_node", "to_tracer", "trace", "trace_flat",
]
