"""Eager transforms: tracing on concrete values, the graph memos, and what is reused when.

``wire.grad(f)(x)`` outside ``jit`` traces ``f`` every call — like autograd and JAX without
``jit``, so Python runs and sees the values (:mod:`wire.api.concrete`) — but everything after
the trace is memoized on the traced graph:

* :func:`trace_eager` traces with a tag of its own (marked done when the trace closes, so a
  tracer kept beyond the call raises ``wire.UnexpectedTracerError``) and renames its
  arguments to positional inputs: tracing a function again gives an equal graph. NumPy
  arrays the function closes over (and arrays passed as non-differentiated arguments) are
  lifted to extra inputs, so a closure over new data each call gives the same graph.
* The transform (``grad_graph``, ``vmap_flat`` …) is memoized per graph (:class:`Memo`), so
  a repeated call derives nothing.

A graph is a faithful record of what Python decided: branches, loop trip counts, integers
read from values and used as shapes or indices all show in its structure or its constants.
A memo hit therefore never serves a graph traced down another branch — there are no guards
to check, and a function that makes no decision pays nothing for the possibility.
"""

from __future__ import annotations

import gc

import numpy as np

from .. import tree
from ..core import (
    Tracer, arg_tracers, call_graph_flat, close_graph, eager_arg_node, evaluate_flat,
    evaluate_once, output_nodes,
)
from ..core.debug import _NANS
from ..core.locations import _RECORD, _SITE
from ..core.tracer import _OPEN, TraceState, _arg_tag, _unflatten
from ..errors import user_location
from ..ir import Graph, _flat_tree, resume_collector
from ..core.evaluate import raise_located
from ..runtime.compiler import compile_graph
from ..runtime.memo import Memo, gc_paused, keeps_no_trace, pins_arrays  # noqa: F401 - re-exported
from .concrete import Values


# --------------------------------------------------------------------------- tracing


def _close(args, lifted, outs, in_tree, out_tree, table) -> Graph:
    """The closed graph of an eager trace: arguments, then lifted arrays, become inputs (the
    trace's tag is marked done, so a tracer kept beyond the call is a leaked one)."""
    if lifted:
        in_tree = tree.TreeDef("tuple", tuple, None,
                               tuple(in_tree.children) + (tree.LEAF,) * len(lifted))
    return close_graph(list(args) + list(lifted), list(outs), in_tree, out_tree, table)


def _reusable(key, graph) -> bool:
    """Whether a closed graph may be served again for the same open nodes: renamed to
    positional inputs (one that kept its tagged arguments, see ``close_graph``, must not be
    reused) and closing over no other trace's values (whose leak check must run each time)."""
    return not graph.free_vars


class _Lines:
    """A finished trace's location table as part of a memo key: equal to another when the
    tables are equal, hashed by size alone — the rest of the key (the trace's nodes) tells
    traces apart, and a frozenset of the items cost as much, on a large new trace, as a
    tenth of tracing it. The table is not written to once its trace has finished."""

    __slots__ = ("table",)

    def __init__(self, table: dict):
        self.table = table

    def __hash__(self):
        return len(self.table)

    def __eq__(self, other):
        return type(other) is _Lines and self.table == other.table


_CLOSED = Memo(lambda key: _close(*key[:5], key[5].table), maxsize=512, keep=_reusable,
               locs=False)


def closed(args, lifted, outs, in_tree, out_tree, table) -> Graph:
    """:func:`_close`, memoized: a re-trace that got the tag of the last one (see
    ``TraceState``) rebuilt the very same nodes, at the same lines, so its closed graph is
    found at once, without renaming a node."""
    graph = _CLOSED((tuple(args), tuple(lifted), tuple(outs), in_tree, out_tree,
                     _Lines(table)))
    if args and graph.inputs[0] is not args[0]:  # renamed (else it keeps its arguments)
        _arg_tag(args[0]).done = True  # (on a memo hit, _close did not run)
    return graph


def trace_eager(fn, leaves: list, in_tree, avals, *, weak=(), diff=(), axes=None, size=None):
    """Trace ``fn`` on the concrete ``leaves`` (or tracers of an enclosing trace), knowing
    their values. ``avals``: the argument nodes' avals (an example's, under ``vmap``, whose
    ``axes``/``size`` say how the leaves are batched); ``diff``: positions of the leaves being
    differentiated; ``weak``: of the weakly typed ones.

    Returns ``(graph, lifted)``: ``graph`` takes the leaves, then the ``lifted`` arrays.
    """
    parent = _OPEN.get()
    outer = parent.concrete_state() if parent is not None else None
    sizes = () if outer is None else outer.values.sizes
    if size is not None:
        sizes = sizes + (int(size),)
    values = Values(sizes)
    # the user's own lines, even inside a rule
    state = TraceState(0 if parent is None else parent.depth + 1, parent, values,
                       user_location(), recycle=True)
    # the blocks of gc_paused, open_trace, recording and site(None), set up inline (every
    # eager call pays for them)
    gc_was = gc.isenabled()
    if gc_was:
        gc.disable()
    table: dict = {}
    t_open, t_record, t_site = _OPEN.set(state), _RECORD.set(table), _SITE.set(None)
    try:
        tag = state.tag
        args = [eager_arg_node(i, a, tag) for i, a in enumerate(avals)]
        values.open(state, args, leaves, diff, axes)
        tracers = arg_tracers(args, weak, state)
        # (arrays passed as they are, the common case: the arguments are the tracers)
        result = fn(*(tracers if in_tree is _flat_tree(len(tracers)) else
                      _unflatten(in_tree, tracers)))
        outs, out_tree = output_nodes(result, values.lift)
        graph = closed(args, values.lifted_nodes, outs, in_tree, out_tree, table)
    finally:
        _SITE.reset(t_site)
        _RECORD.reset(t_record)
        _OPEN.reset(t_open)
        if gc_was:
            resume_collector()  # (see wire.ir.pause)
    lifted = values.lifted
    state.finish(recycle=not graph.free_vars and tag.done)
    return graph, lifted


# --------------------------------------------------------------------------- running


def fresh_result(result, args):
    """``result``, a pytree a function returned when called on ``args`` as it is (nothing
    traced: ``wire.checkpoint``, ``custom_jvp``/``custom_vjp`` on concrete values), with
    each NumPy array leaf that is one of ``args``' arrays, a view of one, or shares memory
    with an earlier leaf of ``result`` copied — so writing to the result never changes an
    argument, as with ``jit`` (whose outputs are the caller's own arrays). Other leaves,
    and arrays the function made, are returned as they are (no copy).

    >>> import numpy as np
    >>> x = np.zeros(2)
    >>> a, b, c = fresh_result((x, x[:1], x + 1), (x,))
    >>> a is x, np.shares_memory(b, x), c[0]
    (False, False, np.float64(1.0))
    """
    leaves, out_tree = tree.flatten(result)
    taken = {id(_root(a)) for a in tree.leaves(args) if isinstance(a, np.ndarray)}
    copied = False
    for i, v in enumerate(leaves):
        if isinstance(v, np.ndarray):
            r = id(_root(v))
            if r in taken:
                leaves[i] = v = v.copy()
                r = id(v)
                copied = True
            taken.add(r)
    return tree.unflatten(out_tree, leaves) if copied else result


def _root(a):
    return a if a.base is None else a.base



COMPILE_AFTER = 2  # evaluations of one graph before it is compiled to straight-line NumPy


class _Runner:
    """Runs one eager graph on concrete values: with the evaluator at first, then — once the
    graph has proved to be reused — with its compiled code (``wire.runtime.compiler``), which
    skips the evaluator's per-node overhead."""

    __slots__ = ("graph", "calls", "fn")

    def __init__(self, graph: Graph):
        self.graph = graph
        self.calls = 0
        self.fn = None

    def __call__(self, leaves: list):
        fn = self.fn
        if fn is not None:
            try:
                return fn(*leaves)  # the generated code returns the output pytree
            except Exception as e:  # noqa: BLE001 - NumPy's, raised as a located WireError
                raise_located(e, self.graph, leaves)
                raise
        self.calls += 1
        if self.calls > COMPILE_AFTER:
            try:
                self.fn = compile_graph(self.graph, "eager").fn
            except Exception:  # noqa: BLE001 - the compiler cannot take it: keep evaluating
                self.calls = -(1 << 62)
        run = evaluate_once if self.calls == 1 else evaluate_flat  # (no plan for one call)
        return _unflatten(self.graph.out_tree, run(self.graph, leaves))


_RUNNERS = Memo(_Runner, maxsize=256, locs=False)  # runs report no lines (debug_nans
# goes through the evaluator)


def run(graph: Graph, leaves: list):
    """``graph`` called on ``leaves`` (its output pytree): evaluated (compiled once reused)
    when everything is concrete, inlined into the enclosing trace otherwise."""
    if graph.free_vars or _NANS.get():
        return _unflatten(graph.out_tree, call_graph_flat(graph, leaves))
    for x in leaves:
        if isinstance(x, Tracer):
            return _unflatten(graph.out_tree, call_graph_flat(graph, leaves))
    return _RUNNERS(graph)(leaves)
