"""Reverse mode as a graph transform.

:func:`backward` walks the nodes between the differentiated inputs and the outputs in
reverse topological order and asks each primitive's VJP rule for its inputs' cotangents.
Everything rules should not have to think about happens here, once: a ``None`` cotangent
means zero and is skipped; contributions to a node used several times are summed; a
cotangent shaped like a broadcast result is summed back to its input's shape and cast to its
dtype; multi-output nodes collect their outputs' cotangents into a tuple.
Rules build ordinary nodes, so the result is a graph that can be differentiated again.

*Custom rules apply once.* A custom rule (``wire.custom_vjp``'s ``fwd``/``bwd``,
``wire.custom_jvp``'s rule) says how *it* computes the node's outputs, not only their
derivatives (:class:`WithPrimals`). In the derivative graph the node's outputs are replaced by
those values, so a transform of the derivative graph (``grad(grad(f))``, ``jvp(grad(f))``,
``hessian``) differentiates the rule's own code, as JAX does: the custom rule is used at the
level of differentiation that meets the call, and every outer level sees ordinary code.
"""

from __future__ import annotations

from types import MethodType
from typing import Sequence

from ..errors import NonDifferentiableError, at
from pyrsistent import pmap

from ..ir import Graph, Node, gc_paused, make_node, toposort, with_inputs
from ..ir.keys import key_nodes
from ..ir.graph import _ENCLOSING
from ..ops.elementwise import convert
from ..core import NoCotangent, proj_p, to_tracer
from ..ops.layout import zeros_like_
from ..ops.reductions import sum_to_like, sum_to_shape
from ..core import Tracer
from ..core.tracer import _OPEN, _new_tracer, _set_hold, _set_node, _set_trace
from ..core.tracer import plain_tracer as _tracer
from ..core.locations import _SITE, rule_site
from ..tracebacks import internal, is_entry_point


class WithPrimals(tuple):
    """A derivative rule's result (one derivative per input, or per output for forward mode)
    that also gives ``primals``: the values the rule computed the node's outputs as (one
    tracer per output). The drivers put these in place of the node's outputs in the
    derivative graph (see the module docstring)."""

    def __new__(cls, derivatives, primals):
        self = super().__new__(cls, derivatives)
        self.primals = tuple(primals)
        return self


def record_primals(rebase: dict, node: Node, primals) -> None:
    """Note in ``rebase`` that ``node``'s outputs are ``primals`` in a derivative graph."""
    if isinstance(node.aval, tuple):
        for i, p in enumerate(primals):
            n = to_tracer(p).node
            proj = _proj(node, i)
            if n is not proj and n.aval == proj.aval:
                rebase[proj] = n
    elif primals:
        n = to_tracer(primals[0]).node
        if n is not node and n.aval == node.aval:
            rebase[node] = n


def rebased(nodes: Sequence[Node], rebase: dict) -> list[Node]:
    """``nodes`` with each node of ``rebase`` replaced by its value, inside the values too.

    A replacement may itself use other replaced nodes (a ``fwd`` that calls another custom
    function), so this is a substitution where a replaced node depends on its replacement;
    a replacement that uses the very node it replaces (``fwd`` returning ``f(x) * 1.0``)
    keeps that node.
    """
    if not rebase:
        return list(nodes)
    new: dict[Node, Node] = {}
    busy: set[Node] = set()
    for root in nodes:
        stack = [root]
        while stack:
            node = stack[-1]
            if node in new:
                stack.pop()
                continue
            target = rebase.get(node)
            if target is not None:
                if target in new:
                    new[node] = new[target]
                    stack.pop()
                    continue
                if node not in busy:
                    busy.add(node)
                    stack.append(target)
                    continue
                # met again while resolving its own replacement: it keeps itself
            pending = [i for i in node.inputs if i not in new]
            if pending:
                stack.extend(pending)
                continue
            ins = node.inputs
            new_ins = tuple([new[i] for i in ins])
            new[node] = with_inputs(node, new_ins) if new_ins != ins else node
            stack.pop()
    return [new[n] for n in nodes]


def carries_derivative(node: Node) -> bool:
    """Whether a node's value can carry a derivative: float (or complex) and not zero-derivative."""
    if not node.is_leaf and node.op.nondiff:
        return False
    aval = node.aval
    if isinstance(aval, tuple):
        return any(a.dtype.kind in "fc" for a in aval)
    return aval.dtype.kind in "fc"


def dependents(order: Sequence[Node], wrt: Sequence[Node]) -> set:
    """Nodes (in ``order``) whose value depends differentiably on a node of ``wrt``."""
    dep = {n for n in wrt if carries_derivative(n)}
    add = dep.add
    # whether a node can carry a derivative depends only on its primitive and aval: asked
    # once per pair, and only of nodes with an input that depends (a walk over every node
    # of a 100 000-op chain's trace, once per eager derivation)
    carries: dict = {}
    for n in order:
        ins = n.inputs
        if ins and n not in dep:
            for i in ins:
                if i in dep:
                    key = (n.op, n.aval)
                    c = carries.get(key)
                    if c is None:
                        c = carries[key] = carries_derivative(n)
                    if c:
                        add(n)
                    break
    return dep


def fit_cotangent(ct, node: Node):
    """``ct`` summed down to ``node``'s shape (undoing broadcasting) and cast to its dtype."""
    if isinstance(ct, Tracer) and ct.node.aval is node.aval:  # the common case: nothing to do
        return ct
    ct = to_tracer(ct)
    aval = node.aval
    if ct.shape != aval.shape:
        if ct.shape is None or aval.shape is None:
            ct = sum_to_like(ct, Tracer(node))
        else:
            ct = sum_to_shape(ct, aval.shape)
    if ct.dtype != aval.dtype and aval.dtype.kind in "fc":
        ct = convert(ct, aval.dtype)
    return ct


def _total(contribs):
    total = contribs[0]
    for c in contribs[1:]:
        total = total + c
    return total


def backward(outputs: Sequence[Node], cts: Sequence, wrt: Sequence[Node], loc_of=None) -> list:
    """Cotangents of ``wrt`` nodes given cotangents ``cts`` (tracers or None) of ``outputs``.

    Returns one tracer per ``wrt`` node, or ``None`` where no derivative reaches it. The nodes
    a node's VJP rule makes are located where ``loc_of(node)`` says (default: ``node.loc``):
    pass the graph's ``loc`` so they report the lines of the trace being differentiated.
    """
    return backward_and_primals(outputs, cts, wrt, (), loc_of)[0]


def backward_and_primals(outputs: Sequence[Node], cts: Sequence, wrt: Sequence[Node],
                         keep: Sequence[Node], loc_of=None, order=None) -> tuple[list, list[Node]]:
    """:func:`backward`, and the nodes ``keep`` (primal values a derivative graph also
    returns: ``value_and_grad``'s value, ``vjp``'s outputs) as the custom rules met on the
    way computed them (see the module docstring). ``order``: ``toposort(outputs)`` when the
    caller has it (a graph's ``nodes`` for its outputs)."""
    with gc_paused():  # see wire.ir.pause
        return _backward_and_primals(outputs, cts, wrt, keep, loc_of, order)


def _backward_and_primals(outputs: Sequence[Node], cts: Sequence, wrt: Sequence[Node],
                          keep: Sequence[Node], loc_of=None, order=None) -> tuple[list, list[Node]]:
    if order is None:
        order = toposort(outputs)
    # the rules' sums and products put their operands in the canonical order, which the
    # structural keys of the nodes they build on decide: one pass keys them all at once
    key_nodes(order)
    dep = dependents(order, wrt)
    # where a node's rule (and the sum of its contributions) makes its nodes: the graph's
    # table, read inline when ``loc_of`` is a graph's (its locator's answer, without a call
    # per node), else ``loc_of`` (or the node's own line)
    table_get, strict = _own_table(loc_of)
    loc_of = _unwrapped(loc_of)
    # acc[node]: its cotangent contributions so far: one tracer, a list of them (fan-in),
    # or for a multi-output node a dict {output index: list}
    acc: dict = {}
    for o, ct in zip(outputs, cts):
        if ct is not None and o in dep:
            _contribute(acc, o, fit_cotangent(ct, o))
    wanted = set(wrt)
    found: dict[Node, Tracer] = {}
    rebase: dict[Node, Node] = {}
    pop = acc.pop
    hold = _OPEN.get()
    # _SITE is set once per node differentiated, not reset after each: the work between two
    # nodes' rules makes nodes only on a rare path (a cotangent to sum or cast: it runs at
    # the site outside, as before); the site outside comes back when the walk ends
    outer = _SITE.get()
    first = _SITE.set(outer)
    try:
        for node in reversed(order):
            ct = pop(node, None)
            if ct is None:
                continue
            kind = type(ct)
            inputs = node.inputs
            if kind is not list and kind is not dict:
                if node in wanted:
                    found[node] = ct
                if not inputs and node.is_leaf:
                    continue
            if table_get is not None:
                loc = table_get(node)
                if not loc and (loc is None or not strict):
                    loc = node.loc
            else:
                loc = node.loc if loc_of is None else loc_of(node)
            _SITE.set(rule_site(loc))
            if kind is list or kind is dict:
                # the sum of a node's contributions is located at that node, like its rule's
                # nodes (and bind walks no stack for it)
                if kind is list:
                    ct = _total(ct)
                else:  # a multi-output node: cotangents per output index
                    ct = tuple(
                        _total(ct[i]) if i in ct else zeros_like_(Tracer(_proj(node, i)))
                        for i in range(node.num_outputs)
                    )
                if kind is not dict and node in wanted:
                    found[node] = ct
                if not inputs and node.is_leaf:
                    continue
            prim = node.op
            if prim is proj_p:
                src = inputs[0]
                per_out = acc.get(src)
                if per_out is None:
                    per_out = acc[src] = {}
                per_out.setdefault(node.params["index"], []).append(ct)
                continue
            if prim.vjp is None:
                raise NonDifferentiableError(
                    f"reverse-mode derivative of primitive {prim.name!r} ({node.aval!r}) is "
                    f"not defined{at(loc)}"
                )
            # the tracers of the node and its operands, made inline (Tracer(n) without the
            # call of its __init__: the walk makes one per operand and output of every node)
            if isinstance(node.aval, tuple):
                out = _outputs(node)
            else:
                out = _new_tracer(Tracer)
                _set_node(out, node)
                _set_trace(out, None)
                if hold is not None:  # (an unset _hold holds nothing, as None would)
                    _set_hold(out, hold)
            parts = prim.vjp_parts
            if len(inputs) == 2 and parts is not None:  # (the binary operations: no lists)
                x, y = inputs
                tx = _new_tracer(Tracer)
                _set_node(tx, x)
                _set_trace(tx, None)
                ty = _new_tracer(Tracer)
                _set_node(ty, y)
                _set_trace(ty, None)
                if hold is not None:
                    _set_hold(tx, hold)
                    _set_hold(ty, hold)
                # only the inputs that depend on what is differentiated get a cotangent: a
                # constant operand's product would be built and thrown away
                if node._items:
                    params = node.params
                    in_cts = (parts[0](ct, out, tx, ty, **params) if x in dep else None,
                              parts[1](ct, out, tx, ty, **params) if y in dep else None)
                else:
                    in_cts = (parts[0](ct, out, tx, ty) if x in dep else None,
                              parts[1](ct, out, tx, ty) if y in dep else None)
            else:
                ins = []
                for i in inputs:
                    t = _new_tracer(Tracer)
                    _set_node(t, i)
                    _set_trace(t, None)
                    if hold is not None:
                        _set_hold(t, hold)
                    ins.append(t)
                if parts is not None:
                    params = node.params if node._items else _NO_PARAMS
                    in_cts = [part(ct, out, *ins, **params) if i in dep else None
                              for part, i in zip(parts, inputs)]
                # (unpacking an empty pmap costs more than the rest of a scalar rule's call)
                elif node._items:
                    in_cts = prim.vjp(ct, out, *ins, **node.params)
                else:
                    in_cts = prim.vjp(ct, out, *ins)
            if isinstance(in_cts, WithPrimals):
                record_primals(rebase, node, in_cts.primals)
            for inp, ict in zip(inputs, in_cts):
                if ict is None or inp not in dep:
                    continue
                if type(ict) is not Tracer or ict.node.aval is not inp.aval:
                    if type(ict) is NoCotangent:
                        raise ict.error
                    _SITE.set(outer)  # (summed or cast where it always was)
                    ict = fit_cotangent(ict, inp)
                prev = acc.get(inp)  # (_contribute, inline: once per edge)
                if prev is None:
                    acc[inp] = ict
                elif type(prev) is list:
                    prev.append(ict)
                else:
                    acc[inp] = [prev, ict]
    finally:
        _SITE.reset(first)
    result = [found.get(n) for n in wrt]
    if not rebase:
        return result, list(keep)
    present = [r.node for r in result if r is not None]
    new = iter(rebased(present + list(keep), rebase))
    result = [None if r is None else Tracer(next(new)) for r in result]
    return result, list(new)


_NO_PARAMS: dict = {}
_GRAPH_LOC = internal(Graph.loc)


def _own_table(loc_of) -> tuple:
    """``(get, strict)`` when ``loc_of`` is a graph's ``loc`` whose locator (see
    :func:`_unwrapped`) reads that graph's own table alone: its answer for ``node`` is ``get(node)``,
    else ``node.loc`` (where ``get`` gives None if ``strict``, where it gives anything false
    otherwise); ``(None, False)`` for any other ``loc_of``."""
    fn = getattr(loc_of, "__func__", None)
    if fn is None or not is_entry_point(fn) or internal(fn) is not _GRAPH_LOC:
        return None, False
    own = loc_of.__self__.locs
    chain = _ENCLOSING.get()
    if not chain:
        return own.get, False
    if len(chain) == 1 and chain[0] is own:
        return own.get, True
    return None, False


def _contribute(acc: dict, node: Node, ct) -> None:
    """Add cotangent contribution ``ct`` to ``node``'s (a list only once there are two)."""
    prev = acc.get(node)
    if prev is None:
        acc[node] = ct
    elif type(prev) is list:
        prev.append(ct)
    else:
        acc[node] = [prev, ct]


def _unwrapped(loc_of):
    """``loc_of`` without the entry point around it (``graph.loc`` is one, for users): it is
    called for every node the walk differentiates. A graph's ``loc`` becomes its
    :meth:`~wire.ir.Graph.locator` (the walk enters no ``locating_by`` block)."""
    fn = getattr(loc_of, "__func__", None)
    if fn is not None and is_entry_point(fn):
        if internal(fn) is _GRAPH_LOC:
            return loc_of.__self__.locator()
        return MethodType(internal(fn), loc_of.__self__)
    return internal(loc_of) if loc_of is not None else None


def _proj(node: Node, i: int) -> Node:
    return make_node(proj_p, (node,), pmap({"index": i}), node.aval[i], node.loc)


def _outputs(node: Node):
    if isinstance(node.aval, tuple):
        return tuple(Tracer(_proj(node, i)) for i in range(node.num_outputs))
    return _tracer(node)
