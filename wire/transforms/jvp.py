"""Forward mode as a graph transform.

:func:`forward` pushes tangents from input nodes through every node that depends on them, in
topological order, with each primitive's JVP rule. ``None`` tangents are zeros and never
reach a rule unless some other input has a tangent; the driver broadcasts a tangent to its
node's shape and dtype, and threads tuples through multi-output nodes. As in reverse mode
(``wire.transforms.vjp``), a rule returning :class:`~wire.transforms.vjp.WithPrimals` puts its
own primal values in place of the node's outputs in the derivative graph.
"""

from __future__ import annotations

from typing import Sequence

from ..errors import NonDifferentiableError, at
from ..ir import Node, gc_paused, toposort
from ..ops.elementwise import convert
from ..core import proj_p, to_tracer
from ..ops.layout import broadcast_to
from ..ops.reductions import broadcast_like
from ..core import Tracer
from ..core.locations import _SITE, rule_site
from .vjp import WithPrimals, _outputs, carries_derivative, rebased, record_primals


def fit_tangent(t, node: Node):
    """``t`` broadcast to ``node``'s shape and cast to its dtype."""
    t = to_tracer(t)
    aval = node.aval
    if t.shape != aval.shape:
        if t.shape is None or aval.shape is None:
            t = broadcast_like(t, Tracer(node))
        else:
            t = broadcast_to(t, aval.shape)
    if t.dtype != aval.dtype:
        t = convert(t, aval.dtype)
    return t


def forward(outputs: Sequence[Node], inputs: Sequence[Node], tangents: Sequence,
            loc_of=None) -> list:
    """Tangents of ``outputs`` given ``tangents`` (tracers or None) of ``inputs`` nodes. The
    nodes a node's JVP rule makes are located where ``loc_of(node)`` says (default:
    ``node.loc``; see :func:`wire.transforms.vjp.backward`)."""
    return forward_and_primals(outputs, inputs, tangents, (), loc_of)[0]


def forward_and_primals(outputs: Sequence[Node], inputs: Sequence[Node], tangents: Sequence,
                        keep: Sequence[Node], loc_of=None,
                        order: Sequence[Node] | None = None) -> tuple[list, list[Node]]:
    """:func:`forward`, and the nodes ``keep`` (the primal outputs a forward-mode graph also
    returns) as the custom rules met on the way computed them. ``order``: the nodes
    ``outputs`` depend on in a topological order, if the caller has one (a graph's
    ``nodes``), which saves sorting them again."""
    with gc_paused():  # see wire.ir.pause
        return _forward_and_primals(outputs, inputs, tangents, keep, loc_of,
                                    toposort(outputs) if order is None else order)


def _forward_and_primals(outputs: Sequence[Node], inputs: Sequence[Node], tangents: Sequence,
                         keep: Sequence[Node], loc_of, order) -> tuple[list, list[Node]]:
    tan: dict[Node, object] = {}
    rebase: dict[Node, Node] = {}
    for n, t in zip(inputs, tangents):
        if t is not None and carries_derivative(n):
            tan[n] = fit_tangent(t, n)
    for node in order:
        if node in tan or node.is_leaf:
            continue
        ts = [tan.get(i) for i in node.inputs]
        if all(t is None for t in ts) or not carries_derivative(node):
            continue
        prim = node.op
        if prim is proj_p:
            t = ts[0][node.params["index"]]
            if t is not None:
                tan[node] = fit_tangent(t, node)
            continue
        if prim.jvp is None:
            raise NonDifferentiableError(
                f"forward-mode derivative of primitive {prim.name!r} ({node.aval!r}) is not "
                f"defined{at(node.loc if loc_of is None else loc_of(node))}"
            )
        token = _SITE.set(rule_site(node.loc if loc_of is None else loc_of(node)))
        try:
            args = [Tracer(i) for i in node.inputs]
            if node._items:  # (unpacking a pmap calls its keys() in Python: skip when empty)
                t = prim.jvp(tuple(ts), _outputs(node), *args, **node.params)
            else:
                t = prim.jvp(tuple(ts), _outputs(node), *args)
        finally:
            _SITE.reset(token)
        if isinstance(t, WithPrimals):
            record_primals(rebase, node, t.primals)
        if t is None:
            continue
        if isinstance(node.aval, tuple):
            tan[node] = tuple(t)
        else:
            tan[node] = fit_tangent(t, node)
    result = [tan.get(o) for o in outputs]
    if not rebase:
        return result, list(keep)
    present = [to_tracer(r).node for r in result if r is not None]
    new = iter(rebased(present + list(keep), rebase))
    result = [None if r is None else Tracer(next(new)) for r in result]
    return result, list(new)
