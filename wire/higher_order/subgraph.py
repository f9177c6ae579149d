"""Helpers for primitives whose params hold closed sub-graphs (``cond``, ``scan``, ``while``).

Build closed graphs by tracing a function of fresh arguments (:func:`closed_graph`), copy a
graph into the current trace (:func:`inline`), run one on concrete values fast
(:func:`runner`: compiled once per graph by ``wire.runtime.compiler``), push tangents or pull
cotangents through an inlined graph (:func:`jvp_inline`, :func:`vjp_inline`), and ask which
outputs depend on which inputs (:func:`out_nonzero`, :func:`batched_outputs`). Rules built
from these never trace a function that closes over a tracer of the graph being transformed:
only over graphs and static masks, so the graphs they build are closed.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

from pyrsistent import pmap

from ..core import TraceTag, Tracer, call_graph_flat, evaluate_flat, to_tracer, trace_flat
from ..core.debug import _NANS
from ..core.evaluate import _owned_outputs
from ..core.locations import current_table
from ..errors import ShapeError
from ..ir import Aval, Graph, _flat_tree, arg_op, make_node, toposort
from ..ops.batching import to_front
from ..ops.elementwise import select
from ..ops.layout import reshape, zeros_like_
from ..runtime.compiler import compile_graph
from ..runtime.memo import Memo
from ..transforms.jet import propagate
from ..transforms.jvp import forward_and_primals
from ..transforms.vjp import backward, backward_and_primals, dependents
from ..transforms.vmap import vmap_flat


def closed_graph(fn: Callable, in_avals: Sequence[Aval]) -> Graph:
    """The closed graph of ``fn(*tracers) -> sequence of tracers`` at ``in_avals``.

    ``fn`` must close over graphs and static data only, never over tracers.
    """
    in_avals = list(in_avals)

    def flat_fn(*args):
        return tuple(to_tracer(o) for o in fn(*args))

    g = trace_flat(flat_fn, in_avals, _flat_tree(len(in_avals)))
    return Graph(g.inputs, g.outputs, locs=g.locs)


def inline(graph: Graph, args: Sequence) -> list:
    """``graph`` applied to tracers ``args`` inside the current trace (its nodes are copied in)."""
    return call_graph_flat(graph, [to_tracer(a) for a in args])


def run(graph: Graph, values: Sequence) -> list:
    """``graph`` evaluated on concrete ``values``."""
    return runner(graph)(values)


def fresh(values: Sequence, operands: Sequence) -> tuple:
    """``values`` (a primitive's concrete outputs) as arrays the caller owns, as ``jit``'s
    are: none is one of the ``operands`` or a view of one, none shares memory with another
    output, each is writable. Copied only where needed: a loop of no steps returns its
    initial carry, which must not be the caller's own array (writing to the result would
    change the argument).

    >>> import numpy as np
    >>> x = np.zeros(3)
    >>> a, b, c = fresh([x, x[1:], x + 1.0], [x])
    >>> a is x, np.shares_memory(b, x), c[0]
    (False, False, np.float64(1.0))
    """
    return tuple(_owned_outputs(list(values), operands, frozenset()))


def runner(graph: Graph) -> Callable[[Sequence], list]:
    """The function running ``graph`` (a loop body: called once per step) on concrete values.

    Bodies are compiled once to straight-line NumPy by ``wire.runtime.compiler`` (memoized per graph)
    so a step costs little more than its NumPy calls; under ``wire.debug_nans`` the checking
    evaluator runs them instead, so a NaN made inside a loop is reported at its node.
    """
    if _NANS.get():
        return lambda values: evaluate_flat(graph, values)
    return body_runner(graph)


@functools.lru_cache(maxsize=256)
def body_runner(graph: Graph) -> Callable[[Sequence], Sequence]:
    """A fast function ``values -> outputs`` for ``graph`` (a pure function of the graph)."""
    try:
        fn = compile_graph(graph, "body").fn
    except Exception:  # no compiler, or it cannot handle this graph: the plain evaluator
        return lambda values: evaluate_flat(graph, values)
    return lambda values: list(fn(*values))


def out_nonzero(graph: Graph, in_nz: Sequence[bool]) -> list[bool]:
    """Which outputs of ``graph`` can have a nonzero derivative given inputs' flags ``in_nz``."""
    dep = dependents(list(graph.nodes), [n for n, m in zip(graph.inputs, in_nz) if m])
    return [o in dep for o in graph.outputs]


def _here(node):
    """Where the current trace placed ``node`` (an inlined graph's node: that graph's line),
    for the nodes a rule makes while differentiating it."""
    table = current_table()
    return (table.get(node) if table else None) or node.loc


def jvp_inline(graph: Graph, primals: Sequence, tangents: Sequence):
    """Inline ``graph`` on ``primals``; return (outputs, output tangents or None)."""
    outs = inline(graph, primals)
    touts, outs = forward_and_primals([o.node for o in outs],
                                      [to_tracer(p).node for p in primals], tangents,
                                      [o.node for o in outs], _here)
    return [Tracer(o) for o in outs], touts


def vjp_inline(graph: Graph, primals: Sequence, cts: Sequence, wrt: Sequence[bool]) -> list:
    """Cotangents (zeros where none) of the ``wrt`` primals of ``graph`` given output ``cts``."""
    primals = [to_tracer(p) for p in primals]
    outs = inline(graph, primals)
    chosen = [p for p, m in zip(primals, wrt) if m]
    found = backward([o.node for o in outs], list(cts), [p.node for p in chosen], _here)
    return [zeros_like_(p) if g is None else g for g, p in zip(found, chosen)]


@functools.lru_cache(maxsize=256)
def calls_custom(graph: Graph) -> bool:
    """Whether ``graph`` (or a sub-graph in its params) holds a custom-rule call."""
    for n in graph.nodes:
        if n.is_leaf:
            continue
        if n.op.call_graph is not None:
            return True
        for v in n.params.values():
            subs = v if isinstance(v, tuple) else (v,)
            if any(isinstance(g, Graph) and calls_custom(g) for g in subs):
                return True
    return False


def _rebased_graph(graph: Graph, reverse: bool) -> Graph:
    """``graph`` computing its outputs as the custom rules inside it do when differentiated
    in reverse mode (``fwd``'s output) or forward mode (the JVP rule's primal): what a
    control-flow rule returns as its primal outputs, so that outer derivatives differentiate
    the rules' code there too (see ``wire.transforms.vjp``). ``graph`` itself when that
    changes nothing."""

    def fn(*args):
        outs = [o.node for o in inline(graph, args)]
        wrt = [to_tracer(a).node for a in args]
        tag = TraceTag()
        like = outs if reverse else wrt
        holders = [Tracer(make_node(arg_op, (), pmap({"index": i, "tag": tag}), n.aval))
                   for i, n in enumerate(like)]
        if reverse:
            _, kept = backward_and_primals(outs, holders, wrt, outs)
        else:
            _, kept = forward_and_primals(outs, wrt, holders, outs)
        held = {h.node for h in holders}
        if any(n in held for n in toposort(kept)):  # a rule's primal used a derivative
            kept = outs
        return [Tracer(k) for k in kept]

    new = closed_graph(fn, graph.in_avals)
    if new.outputs == graph.outputs:
        return graph
    return Graph(new.inputs, new.outputs, graph.in_tree, graph.out_tree)


# (keeps no graph closing over a trace the rules ran inside: see wire.runtime.memo)
rebased_graph = Memo(_rebased_graph, locs=False)


def jet_inline(graph: Graph, primals: Sequence, series: Sequence, order: int):
    """Inline ``graph`` on ``primals``; return (outputs, their Taylor series or None)."""
    return propagate(list(graph.outputs), list(graph.inputs), [to_tracer(p) for p in primals],
                     list(series), order)


def series_coefs(series, like, order: int) -> list:
    """``order`` coefficients of ``series`` (``None``: all zero), zeros standing in for ``None``."""
    return [zeros_like_(like) if series is None or series[k] is None else series[k]
            for k in range(order)]


def coef_flags(has, order: int):
    """An entry's coefficient flags: ``has`` is ``None``/``False`` (no series), ``True``
    (every coefficient) or a tuple of one flag per coefficient (``False``: a known zero)."""
    if has is None or has is False:
        return None
    if has is True:
        return (True,) * order
    return has if any(has) else None


def series_mask(series):
    """The coefficient flags of a series (``None`` entries are known zeros)."""
    if series is None:
        return None
    flags = tuple(c is not None for c in series)
    return flags if any(flags) else None


def mask_union(a, b):
    if a is None or b is None:
        return a if b is None else b
    return tuple(x or y for x, y in zip(a, b))


def flat_coefs(series: Sequence, has: Sequence, likes: Sequence, order: int) -> list:
    """The flagged coefficients of the flagged entries of ``series`` (see
    :func:`coef_flags`), flattened (zeros for ``None``)."""
    out = []
    for s, h, x in zip(series, has, likes):
        flags = coef_flags(h, order)
        if flags is not None:
            out.extend(c for c, f in zip(series_coefs(s, x, order), flags) if f)
    return out


def unflat_coefs(flat: Sequence, has: Sequence, order: int) -> list:
    """Per entry of ``has``: its flagged coefficients taken in turn from ``flat`` (``None``
    for the others), or ``None``."""
    it = iter(flat)
    out = []
    for h in has:
        flags = coef_flags(h, order)
        out.append(None if flags is None else [next(it) if f else None for f in flags])
    return out


def coef_count(has: Sequence, order: int) -> int:
    return sum(sum(coef_flags(h, order) or ()) for h in has)


def pick(seq, mask):
    return [x for x, m in zip(seq, mask) if m]


def float_mask(avals) -> list[bool]:
    return [a.is_float for a in avals]


def zeros_if_none(ts, likes):
    return [zeros_like_(x) if t is None else t for t, x in zip(ts, likes)]


def spread(values, mask, fill=None) -> list:
    """Put ``values`` at the True positions of ``mask``, ``fill`` elsewhere."""
    it = iter(values)
    return [next(it) if m else fill for m in mask]


def check_avals(what: str, got, expected):
    got, expected = tuple(got), tuple(expected)
    if got != expected:
        raise ShapeError(
            f"{what}: operands {fmt_avals(got)} do not match the sub-graph inputs "
            f"{fmt_avals(expected)}"
        )


def fmt_avals(avals) -> str:
    return "(" + ", ".join(repr(a) for a in avals) + ")"


def loc_of(out) -> str | None:
    first = out[0] if isinstance(out, tuple) else out
    node = first.node
    return node.inputs[0].loc if node.inputs else node.loc


def batched_outputs(graph: Graph, in_b: Sequence[bool]) -> list[bool]:
    """Which outputs of ``graph`` depend on the inputs flagged in ``in_b`` (any dtype)."""
    dep = {n for n, b in zip(graph.inputs, in_b) if b}
    for n in graph.nodes:
        if n not in dep and any(i in dep for i in n.inputs):
            dep.add(n)
    return [o in dep for o in graph.outputs]


def batch_graph(graph: Graph, in_b, size: int, out_b) -> Graph:
    """``graph`` batched along axis 0 of the flagged inputs and outputs."""
    dims = [0 if b else None for b in in_b]
    return vmap_flat(graph, dims, size, [0 if b else None for b in out_b])


def batch_to_front(args, dims):
    return [x if d is None else to_front(x, d) for x, d in zip(args, dims)]


def select_examples(take, new, old, size: int):
    """Per example of the batch (axis 0): ``new`` where ``take`` else ``old``."""
    old = to_tracer(old)
    return select(reshape(take, (size,) + (1,) * (old.ndim - 1)), new, old)
