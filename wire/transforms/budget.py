"""How much simplification a graph evaluated once can afford (eager calls).

A derivative graph made for an eager call (``wire.grad(f)(x)`` outside ``jit``) is simplified
to save evaluation time, so simplifying it pays only when it costs less than evaluating it.
:func:`simplify_for_eager` estimates both from the graph itself, in one linear walk, and runs
the most thorough level of :func:`~wire.transforms.simplify.simplify` that fits:

* small graphs (up to :data:`ALWAYS` nodes) get everything, term collection included: it costs
  up to a few tenths of a second, and what it saves is paid back on every call of a memoized
  graph (a training loop over batches, a stochastic-VI step);
* larger graphs get term collection (superlinear in the worst case, the most expensive pass)
  when evaluating them costs at least as much as collecting would (big arrays), the linear
  passes (:func:`~wire.transforms.simplify.simplify_linear`: dead nodes, loop merging,
  folding, algebraic identities, common subexpressions) when they cost less than one
  evaluation, and none otherwise: a graph of 100 000 scalar operations evaluates in about
  2.5 µs per node, simplifying it costs 12–35 µs per node and removes a few nodes.

The sub-graphs of primitives that call them once (``custom_jvp_call``, ``custom_vjp_call``,
``checkpoint``: the ``call_graph`` of their declaration) count as their nodes. Graphs holding
any other sub-graph (loops, conditionals) always get at least the linear passes: their nodes
cost far more than this estimate counts, and merging a loop with its VJP (``scan``'s
``simplify_pass``) saves a whole loop.

So simplification never costs much more than the evaluation it is meant to speed up. Every
level computes the same values, with the exception collect's re-association already makes
(see :mod:`wire.transforms.polynomial`); the linear passes keep values bit for bit, so "none"
and "linear" agree exactly.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from operator import attrgetter

from ..ir import Graph
from .simplify import has_graph_params, simplify, simplify_linear

__all__ = ["ALWAYS", "COMPILE_COLLECT_LIMIT", "compile_level", "eager_level",
           "simplify_for_compile", "simplify_for_eager"]

ALWAYS = 4096
"""Graphs with at most this many nodes are simplified in full (term collection included)."""

COLLECT_LIMIT = 20_000
"""Above this many nodes term collection is never run for an eager call (its cost grows
fastest, and a graph run once or a few times rarely repays it)."""

# Estimated costs in µs, measured on the deep scalar chain (benchmarks/chain.py) at 10k ops:
EVAL_PER_NODE = 2.5  # NumPy dispatch of one node of the evaluator's plan
EVAL_PER_ELEMENT = 0.002  # one element of a float64 elementwise operation
LINEAR_PER_NODE = 12.0  # simplify_linear
FULL_PER_NODE = 35.0  # simplify with term collection (rewrite, collect, rewrite)


def eager_level(graph: Graph) -> str:
    """``"full"``, ``"linear"`` or ``"none"``: the simplification an eager call of ``graph``
    can afford (see the module docstring).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> eager_level(wire.trace(lambda x: wnp.sin(x) * 2.0, 1.0))
    'full'
    """
    if len(graph.nodes) <= ALWAYS:
        return "full"
    counted = _count(graph)
    if counted is None:  # a loop or a conditional: its nodes run an unknown number of times
        return "full" if len(graph.nodes) <= COLLECT_LIMIT else "linear"
    n, elements = counted  # nodes (sub-graphs run once counted in), their elements
    cost = EVAL_PER_NODE * n + EVAL_PER_ELEMENT * elements  # µs to evaluate once
    if n <= COLLECT_LIMIT and FULL_PER_NODE * n <= cost:
        return "full"
    if LINEAR_PER_NODE * n <= cost:
        return "linear"
    return "none"


def _count(graph: Graph) -> tuple[int, float] | None:
    """(nodes, elements) of ``graph``, the sub-graphs of call-once primitives (``call_graph``:
    ``custom_jvp_call``, ``custom_vjp_call``, ``checkpoint``) counted in, since simplify
    works through them and evaluation runs them once; None if it holds any other sub-graph
    (a loop or a conditional)."""
    nodes = graph.nodes
    n, elements = len(nodes), 0.0
    # counted in C (map, any, Counter): a Python loop over the nodes cost 0.03 s on the
    # 275 000-node derivative graph of a 100 000-op chain, evaluated once right after
    if any(map(_ITEMS, nodes)):  # params: look for sub-graphs
        for node in nodes:
            if node._items and has_graph_params(node):
                name = node.op.call_graph
                sub = node.params.get(name) if name is not None else None
                inner = _count(sub) if isinstance(sub, Graph) else None
                if inner is None:
                    return None
                n += inner[0]
                elements += inner[1]
    for aval, count in Counter(map(_AVAL, nodes)).items():
        elements += count * _elements(aval)
    return n, elements


_ITEMS = attrgetter("_items")
_AVAL = attrgetter("aval")


def _elements(aval) -> float:
    """Elements of an aval (a tuple of them for multi-output nodes); unknown shapes count as
    large, so that graphs of shapeless variables are simplified."""
    if isinstance(aval, tuple):
        return sum(_elements(a) for a in aval)
    if aval.shape is None:
        return math.inf
    return math.prod(aval.shape)


def simplify_for_eager(graph: Graph, rules: Mapping) -> Graph:
    """``graph`` simplified with ``rules`` as far as an eager call of it can afford
    (:func:`eager_level`).

    >>> import wire
    >>> from wire.transforms.rules import DERIVATIVES
    >>> g = wire.grad(wire.trace(lambda x: -(-x) * x, 2.0), simplify=False)
    >>> len(g), len(simplify_for_eager(g, DERIVATIVES))
    (3, 1)
    """
    level = eager_level(graph)
    if level == "full":
        return simplify(graph, rules)
    if level == "linear":
        return simplify_linear(graph, rules)
    return graph


COMPILE_COLLECT_LIMIT = 65_536
"""Derivative graphs made for compiling (``jit(grad(f))``, ``wire.grad(graph)``) with more
nodes than this get simplify's linear passes only, not term collection."""


def compile_level(graph: Graph) -> str:
    """``"full"`` or ``"linear"``: how far :func:`simplify_for_compile` simplifies ``graph``.
    At ``"linear"`` the result computes the same bits as ``graph`` itself (no pass
    re-associates), which lets ``wire.jit`` run ``graph`` unsimplified until it is hot.

    >>> import wire
    >>> compile_level(wire.trace(lambda x: x * 2.0, 1.0))
    'full'
    """
    return "full" if len(graph) <= COMPILE_COLLECT_LIMIT else "linear"


def simplify_for_compile(graph: Graph, rules: Mapping) -> Graph:
    """``graph`` simplified with ``rules`` for a graph that will be compiled and called many
    times: in full (term collection included) up to :data:`COMPILE_COLLECT_LIMIT` nodes, the
    linear passes above. Term collection costs about 30 µs per node at every size and, on
    such graphs, makes each later call about 1.2× faster; above the limit it would dominate
    the first call (8 of 14 s for the gradient of a 100 000-op chain), which the linear passes
    keep linear and cheap (2.5 s). ``wire.simplify(graph)`` always runs every pass.

    >>> import wire
    >>> from wire.transforms.rules import DERIVATIVES
    >>> g = wire.grad(wire.trace(lambda x: x * x * 1.0, 2.0), simplify=False)
    >>> len(simplify_for_compile(g, DERIVATIVES))
    1
    """
    if compile_level(graph) == "full":
        return simplify(graph, rules)
    return simplify_linear(graph, rules)
