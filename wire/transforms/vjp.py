"""Reverse mode as a graph transform.

:func:`backward` walks the nodes between the differentiated inputs and the outputs in
reverse topological order and asks each primitive's VJP rule for its inputs' cotangents.
Everything rules should not have to think about happens here, once: a ``None`` cotangent
means zero and is skipped; contributions to a node used several times are summed; a
cotangent shaped like a broadcast result is summed back to its input's shape and cast to its
dtype; multi-output nodes collect their outputs' cotangents into a tuple.
Rules build ordinary nodes, so the result is a graph that can be differentiated again.
"""

from __future__ import annotations

from typing import Sequence

from ..errors import NonDifferentiableError, at
from pyrsistent import pmap

from ..ir import Node, gc_paused, make_node, toposort
from ..ops.elementwise import convert
from ..core import proj_p, to_tracer
from ..ops.layout import zeros_like_
from ..ops.reductions import sum_to_like, sum_to_shape
from ..core import Tracer


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
    for n in order:
        if n not in dep and n.inputs and carries_derivative(n):
            for i in n.inputs:
                if i in dep:
                    dep.add(n)
                    break
    return dep


def fit_cotangent(ct, node: Node):
    """``ct`` summed down to ``node``'s shape (undoing broadcasting) and cast to its dtype."""
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


def backward(outputs: Sequence[Node], cts: Sequence, wrt: Sequence[Node]) -> list:
    """Cotangents of ``wrt`` nodes given cotangents ``cts`` (tracers or None) of ``outputs``.

    Returns one tracer per ``wrt`` node, or ``None`` where no derivative reaches it.
    """
    with gc_paused():  # see wire.ir.pause
        return _backward(outputs, cts, wrt)


def _backward(outputs: Sequence[Node], cts: Sequence, wrt: Sequence[Node]) -> list:
    order = toposort(outputs)
    dep = dependents(order, wrt)
    acc: dict[Node, list] = {}
    for o, ct in zip(outputs, cts):
        if ct is not None and o in dep:
            acc.setdefault(o, []).append(fit_cotangent(ct, o))
    wanted = set(wrt)
    found: dict[Node, Tracer] = {}
    for node in reversed(order):
        contribs = acc.pop(node, None)
        if contribs is None:
            continue
        if isinstance(contribs, dict):  # a multi-output node: cotangents per output index
            ct = tuple(
                _total(contribs[i]) if i in contribs else zeros_like_(Tracer(_proj(node, i)))
                for i in range(node.num_outputs)
            )
        else:
            ct = _total(contribs)
            if node in wanted:
                found[node] = ct
        if node.is_leaf:
            continue
        prim = node.op
        if prim is proj_p:
            src = node.inputs[0]
            acc.setdefault(src, {}).setdefault(node.params["index"], []).append(ct)
            continue
        if prim.vjp is None:
            raise NonDifferentiableError(
                f"reverse-mode derivative of primitive {prim.name!r} ({node.aval!r}) is not "
                f"defined{at(node.loc)}"
            )
        out = _outputs(node)
        in_cts = prim.vjp(ct, out, *[Tracer(i) for i in node.inputs], **node.params)
        for inp, ict in zip(node.inputs, in_cts):
            if ict is None or inp not in dep:
                continue
            acc.setdefault(inp, []).append(fit_cotangent(ict, inp))
    return [found.get(n) for n in wrt]


def _proj(node: Node, i: int) -> Node:
    return make_node(proj_p, (node,), pmap({"index": i}), node.aval[i], node.loc)


def _outputs(node: Node):
    if isinstance(node.aval, tuple):
        return tuple(Tracer(_proj(node, i)) for i in range(node.num_outputs))
    return Tracer(node)
