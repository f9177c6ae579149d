"""Partial evaluation: split a graph into the part computable from some inputs alone and the
rest, with the intermediate values that cross over ("residuals") passed between them.

This is how ``wire.vjp`` and ``wire.linearize`` run the forward pass once: the *known* graph
maps primals to (outputs, residuals); the *unknown* graph maps (residuals, cotangents or
tangents) to the result, without recomputing the forward pass.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from ..ir import Graph, Node, carry_locs, const_op, fresh_inputs, substitute_map


class Split(NamedTuple):
    """Result of :func:`partial_eval`."""

    known: Graph  # known inputs -> (known outputs..., residuals...)
    unknown: Graph  # (residuals..., unknown inputs...) -> unknown outputs
    n_residuals: int
    out_known: tuple  # for each output of the original graph: computed by `known`?

    def run(self, known_args: list, call) -> tuple[list, list]:
        """Run the known part: returns (known output values, residual values)."""
        vals = call(self.known, known_args) if self.known.outputs else []
        cut = len(vals) - self.n_residuals
        return vals[:cut], vals[cut:]

    def finish(self, known_outs: list, residuals: list, unknown_args: list, call) -> list:
        """Run the unknown part and merge all outputs back into the original order."""
        u = call(self.unknown, list(residuals) + list(unknown_args)) if self.unknown.outputs else []
        ki, ui = iter(known_outs), iter(u)
        return [next(ki) if k else next(ui) for k in self.out_known]


def partial_eval(graph: Graph, known: Sequence[bool]) -> Split:
    """Split ``graph`` given which inputs are ``known``.

    Returns a :class:`Split` ``(known_graph, unknown_graph, n_residuals, out_known)``:

    * ``known_graph``: inputs = the known inputs; outputs = the outputs of ``graph`` that
      depend only on known inputs (in order, ``None`` positions excluded), then residuals.
    * ``unknown_graph``: inputs = residuals followed by the unknown inputs; outputs = the
      remaining outputs of ``graph``.

    Outputs of ``graph`` that depend on unknown inputs appear only in ``unknown_graph``.
    """
    unknown_set = {n for n, k in zip(graph.inputs, known) if not k}
    is_unknown: dict[Node, bool] = {}
    for n in graph.nodes:
        is_unknown[n] = n in unknown_set or any(is_unknown[i] for i in n.inputs)
    residuals: list[Node] = []
    seen = set()
    for n in graph.nodes:
        if not is_unknown[n]:
            continue
        for i in n.inputs:
            if not is_unknown[i] and i.op is not const_op and i not in seen:
                seen.add(i)
                residuals.append(i)
    known_outs = [o for o in graph.outputs if not is_unknown[o]]
    unknown_outs = [o for o in graph.outputs if is_unknown[o]]
    known_inputs = [n for n, k in zip(graph.inputs, known) if k]
    unknown_inputs = [n for n, k in zip(graph.inputs, known) if not k]

    kg_in = fresh_inputs([n.aval for n in known_inputs], graph)
    kg_map = substitute_map(known_outs + residuals, dict(zip(known_inputs, kg_in)))
    known_graph = Graph(kg_in, [kg_map[o] for o in known_outs + residuals],
                        locs=carry_locs(graph, kg_map))

    ug_sources = residuals + unknown_inputs
    ug_in = fresh_inputs([n.aval for n in ug_sources], graph)
    ug_map = substitute_map(unknown_outs, dict(zip(ug_sources, ug_in)))
    unknown_graph = Graph(ug_in, [ug_map[o] for o in unknown_outs],
                          locs=carry_locs(graph, ug_map))
    out_known = tuple(not is_unknown[o] for o in graph.outputs)
    return Split(known_graph, unknown_graph, len(residuals), out_known)
