"""Calling a graph: evaluate it on concrete values, or inline its nodes into the current trace.

This is what makes transformed graphs ordinary functions: the same call evaluates
``grad(f)``'s graph on arrays and copies its nodes into an enclosing trace on tracers.
"""

from __future__ import annotations

from ..errors import ShapeError, WireError, at, user_location
from ..ir import Graph, dead_arg, substitute_map, toposort
from .evaluate import evaluate_flat
from .locations import current_table, record_mapping
from .tracer import Tracer, check_leaks, current_trace, to_node


def call_graph_flat(graph: Graph, leaves: list):
    """Run ``graph`` on flat ``leaves``: evaluate when all are concrete, else inline.

    Inlining (any leaf is a tracer, or the graph closes over nodes of an enclosing trace)
    substitutes the leaves for the graph's inputs and returns tracers, so calling a
    transformed graph inside another trace just adds its nodes there. The tracers belong to
    the innermost trace among the leaves' (or the current one), so an eager trace keeps
    knowing their values; NumPy arrays among the leaves are lifted there like any operand.
    """
    if len(leaves) != len(graph.inputs):
        raise WireError(f"graph takes {len(graph.inputs)} inputs, got {len(leaves)}"
                        + at(user_location()))
    state = None
    traced = False
    for x in leaves:
        if isinstance(x, Tracer):
            traced = True
            s = x._state
            if s is not None and (state is None or s.depth > state.depth):
                state = s
    if traced or graph.free_vars:
        if state is None and not traced:
            # (tracers without a trace of their own are a graph transform's: its rules run
            # inside whatever eager trace is open, but a derived graph is memoized, so what
            # they compute with must not become that trace's inputs)
            state = current_trace()
        values = None if state is None else state.values
        nodes = [to_node(x) if values is None or isinstance(x, Tracer) else values.lift(x)
                 for x in leaves]
        if current_table() is None:  # not inside a trace: tracers here may be leaked ones
            order = toposort(nodes + list(graph.free_vars))
            if any(dead_arg(n) for n in order):
                check_leaks(order)
        for n, inp in zip(nodes, graph.inputs):
            if n.aval != inp.aval and n.aval.shape is not None:
                raise ShapeError(
                    f"graph input {inp.params['index']} expects {inp.aval!r}, got {n.aval!r}"
                    f"{at(user_location())}"
                )
        new = substitute_map(list(graph.outputs), dict(zip(graph.inputs, nodes)), graph.nodes)
        record_mapping(graph, new)  # the enclosing trace reports the inlined graph's lines
        return [Tracer(new[o], state) for o in graph.outputs]
    return evaluate_flat(graph, leaves)
