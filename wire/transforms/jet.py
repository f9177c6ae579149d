"""Taylor mode as a graph transform: truncated power series through every node.

:func:`propagate` pushes series ``x(t) = x0 + x1 t + x2 t**2/2! + … + xn t**n/n!``
(factorial-scaled: ``xk`` is the ``k``-th derivative at ``t = 0``) from input nodes through every node that depends on them, in topological
order, with each primitive's ``taylor`` field (see :mod:`wire.core.taylor`): a rule of its
own, or a marker the driver carries out here from the primitive's other rules —
``COEFFICIENTWISE`` (the JVP rule applied to each coefficient), ``BILINEAR`` (Leibniz's rule
with the primitive itself), ``BY_JVP`` (the series of the JVP expression, one order at a
time) or ``ZERO``. As in forward mode, ``None`` stands for zeros: a node none of whose inputs
carries a series is only rebuilt on its new primal inputs, and a ``None`` coefficient inside a
series is an exact zero the rules skip. The driver broadcasts coefficients to their node's
shape and dtype, and threads tuples through multi-output nodes.

Everything is built from primitives, so the result is an ordinary graph: ``wire.jet`` can be
differentiated, batched and compiled.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

from pyrsistent import pmap

from ..core import Tracer, TraceTag, bind, proj_p, to_node, to_tracer
from ..core.locations import _SITE, rule_site
from ..core.taylor import BILINEAR, BY_JVP, COEFFICIENTWISE, ZERO
from ..errors import NonDifferentiableError, WireError, at
from .. import tree
from ..ir import Graph, Node, arg_op, make_node, substitute, toposort, with_inputs
from ..ops.layout import full, zeros_like_
from .jvp import fit_tangent
from .vjp import _outputs, _unwrapped, carries_derivative

__all__ = ["derivatives", "propagate"]


class _Run:
    """State of one propagation, shared by the nested ones ``BY_JVP`` starts: the partial
    series ``BY_JVP`` has computed per node (so asking for one more order costs one step)."""

    __slots__ = ("by_jvp",)

    def __init__(self):
        self.by_jvp: dict = {}


def propagate(outputs: Sequence[Node], inputs: Sequence[Node], values: Sequence,
              series: Sequence, order: int, run: Optional[_Run] = None, loc_of=None):
    """Series of ``outputs`` given series of ``inputs``.

    ``values``: the inputs' new primal values (tracers or arrays; the nodes are substituted by
    them); ``series``: per input ``None`` or a list of ``order`` coefficients (tracers or
    ``None``). Returns ``(new outputs, their series)``: tracers (tuples for multi-output nodes)
    and, per output, ``None`` or a list of ``order`` coefficients (a tuple of such for a
    multi-output node). The nodes a node's rule makes are located where ``loc_of(node)``
    says (default: ``node.loc``), as in reverse mode.
    """
    run = run or _Run()
    loc_of = _unwrapped(loc_of)
    val: dict[Node, Node] = {}
    ser: dict[Node, object] = {}
    for n, v, s in zip(inputs, values, series):
        val[n] = v if isinstance(v, Node) else to_node(v)
        if s is not None and carries_derivative(n):
            coefs = [None if c is None else fit_tangent(c, n) for c in s]
            if any(c is not None for c in coefs):
                ser[n] = coefs
    for node in toposort(outputs):
        if node in val:
            continue
        if node.is_leaf:
            val[node] = node
            continue
        ins = tuple([val[i] for i in node.inputs])
        new = node if ins == node.inputs else with_inputs(node, ins)
        val[node] = new
        in_series = [ser.get(i) for i in node.inputs]
        if all(s is None for s in in_series) or not carries_derivative(node):
            continue
        if node.op is proj_p:
            s = in_series[0][node.params["index"]]
            if s is not None:
                ser[node] = s
            continue
        # the rule's nodes report the node's line (and bind walks no stack for it)
        token = _SITE.set(rule_site(node.loc if loc_of is None else loc_of(node)))
        try:
            out = _apply(new, in_series, order, run)
        finally:
            _SITE.reset(token)
        if out is not None:
            ser[node] = _fitted(out, new, order)
    return ([_value(val[o]) for o in outputs], [ser.get(o) for o in outputs])


def _value(node: Node):
    return _outputs(node)


def _fitted(out, node: Node, order: int):
    """The rule's coefficients checked and fitted to ``node``'s avals."""
    if isinstance(node.aval, tuple):
        if not isinstance(out, tuple) or len(out) != len(node.aval):
            raise WireError(f"the Taylor rule of {node.op.name!r} must return one series per "
                            f"output ({len(node.aval)}){at(node.loc)}")
        return tuple(_fit_list(s, _proj(node, i), order) for i, s in enumerate(out))
    return _fit_list(out, node, order)


def _fit_list(coefs, node: Node, order: int):
    if coefs is None:
        return None
    coefs = list(coefs)
    if len(coefs) != order:
        raise WireError(f"the Taylor rule of {node.op.name!r} returned {len(coefs)} "
                        f"coefficients for a series of order {order}{at(node.loc)}")
    if not carries_derivative(node):
        return None
    aval = node.aval
    fitted = []
    for c in coefs:
        # (a tracer of the node's own aval, the common case: nothing to fit)
        if c is not None and not (isinstance(c, Tracer) and c.node.aval is aval):
            c = fit_tangent(c, node)
        fitted.append(c)
    return None if all(c is None for c in fitted) else fitted


def _proj(node: Node, i: int) -> Node:
    return make_node(proj_p, (node,), pmap({"index": i}), node.aval[i], node.loc)


# --------------------------------------------------------------------------- rules


def _apply(node: Node, in_series, order: int, run: _Run):
    prim = node.op
    rule = prim.taylor
    if rule is None:
        raise NonDifferentiableError(
            f"Taylor series of primitive {prim.name!r} ({node.aval!r}) are not defined"
            f"{at(node.loc)}")
    if rule is ZERO:
        return None
    if rule is BY_JVP:
        return _by_jvp(node, in_series, order, run)
    xs = [Tracer(i) for i in node.inputs]
    if rule is BILINEAR:
        return _bilinear(node, in_series, order, xs)
    out = _outputs(node)
    if rule is COEFFICIENTWISE:
        return _coefficientwise(node, in_series, order, xs, out)
    # (unpacking an empty pmap costs more than a scalar rule's own work)
    return rule(tuple(in_series), out, *xs, **node.params) if node._items else \
        rule(tuple(in_series), out, *xs)


def _coefficientwise(node: Node, in_series, order: int, xs, out):
    prim = node.op
    per_k = []
    for k in range(order):
        ts = tuple(None if s is None else s[k] for s in in_series)
        per_k.append(None if all(t is None for t in ts)
                     else prim.jvp(ts, out, *xs, **node.params))
    return _transpose(per_k, node)


def _transpose(per_k: list, node: Node):
    """Per-order results (each a tangent, a tuple of them, or None) as series per output."""
    if not isinstance(node.aval, tuple):
        return per_k
    n_out = len(node.aval)
    return tuple([None if r is None else r[i] for r in per_k] for i in range(n_out))


_NO_PARAMS: dict = {}


def _bilinear(node: Node, in_series, order: int, xs):
    """Leibniz's rule: ``y_k = Σ_j C(k,j) prim(a_j, b_(k-j))``."""
    a = [xs[0]] + (in_series[0] or [None] * order)
    b = [xs[1]] + (in_series[1] or [None] * order)
    params = node.params if node._items else _NO_PARAMS
    out = []
    for k in range(1, order + 1):
        total = None
        for j in range(k + 1):
            if a[j] is None or b[k - j] is None:
                continue
            t = bind(node.op, a[j], b[k - j], **params)
            if math.comb(k, j) != 1:
                t = t * float(math.comb(k, j))
            total = t if total is None else total + t
        out.append(total)
    return out


# --------------------------------------------------------------------------- BY_JVP


def _series_key(in_series, m: int) -> tuple:
    return tuple(None if s is None else tuple(None if c is None else c.node for c in s[:m])
                 for s in in_series)


def _by_jvp(node: Node, in_series, order: int, run: _Run):
    """``y' = jvp(x, y; x')`` holds for every ``t``, so the ``(k-1)``-th derivative of the JVP
    expression (which needs ``y_0 … y_(k-1)`` only) is ``y_k``. Each order runs the series of
    the expression one order further; interning shares the lower orders it re-derives."""
    prim = node.op
    multi = isinstance(node.aval, tuple)
    out_avals = list(node.aval) if multi else [node.aval]
    tag = TraceTag()
    counter = iter(range(1 << 30))

    def holder(aval):
        return make_node(arg_op, (), pmap({"index": next(counter), "tag": tag}), aval)

    ph_x = [holder(i.aval) for i in node.inputs]
    ph_out = [holder(a) for a in out_avals]
    has = [s is not None for s in in_series]
    ph_t = [holder(i.aval) if h else None for i, h in zip(node.inputs, has)]
    expr = prim.jvp(tuple(None if t is None else Tracer(t) for t in ph_t),
                    tuple(Tracer(o) for o in ph_out) if multi else Tracer(ph_out[0]),
                    *[Tracer(x) for x in ph_x], **node.params)
    expr = list(expr) if multi else [expr]
    targets = [None if e is None else to_tracer(e).node for e in expr]
    live = [t for t in targets if t is not None]

    xs = [Tracer(i) for i in node.inputs]
    outs = [Tracer(o) for o in _outs_nodes(node)]
    t0 = []
    tser = []
    for i, s in enumerate(in_series):
        if s is None:
            continue
        t0.append(s[0] if s[0] is not None else zeros_like_(xs[i]))
        tser.append(list(s[1:]))  # the series of x' is x's, shifted by one
    ys: list[list] = [[] for _ in out_avals]
    start = 0
    for m in range(order, 0, -1):  # the longest prefix already derived
        hit = run.by_jvp.get((node, _series_key(in_series, m)))
        if hit is not None:
            ys, start = [list(y) for y in hit], m
            break
    if start == order:
        result = [None if all(c is None for c in y) else y for y in ys]
        return tuple(result) if multi else result[0]
    inputs = ph_x + ph_out + [t for t in ph_t if t is not None]
    for k in range(start + 1, order + 1):
        m = k - 1
        values = xs + outs + t0
        if m == 0:
            coefs = substitute(live, dict(zip(inputs, [to_node(v) for v in values])))
            got = dict(zip(live, coefs))
            step = [None if t is None else Tracer(got[t]) for t in targets]
        else:
            series = ([None if s is None else s[:m] for s in in_series]
                      + [_prefix(y, m) for y in ys]
                      + [s[:m] for s in tser])
            _, found = propagate(live, inputs, values, series, m, run)
            got = dict(zip(live, found))
            step = [None if t is None or got[t] is None else got[t][m - 1] for t in targets]
        for y, c in zip(ys, step):
            y.append(c)
        run.by_jvp[(node, _series_key(in_series, k))] = tuple(tuple(y) for y in ys)
    result = [None if all(c is None for c in y) else y for y in ys]
    return tuple(result) if multi else result[0]


def _prefix(y: list, m: int):
    p = y[:m]
    return None if all(c is None for c in p) else p


def _outs_nodes(node: Node) -> list[Node]:
    if isinstance(node.aval, tuple):
        return [_proj(node, i) for i in range(len(node.aval))]
    return [node]


# --------------------------------------------------------------------------- derivatives


def derivatives(graph: Graph, order: int, leaves: Sequence[int], only_last: bool = False):
    """``graph``'s outputs and their first ``order`` derivatives along ``x(t) = x + t`` for the
    input leaves ``leaves`` (``t`` added to every entry of them): a pytree ``(f, f', …,
    f⁽ⁿ⁾)`` of nodes, each like ``graph``'s output (just ``f⁽ⁿ⁾`` with ``only_last``).

    One Taylor pass of order ``n`` with the seed ``x' = 1``.
    """
    series: list = [None] * len(graph.inputs)
    for i in leaves:
        aval = graph.inputs[i].aval
        series[i] = ([full(aval.shape, 1, aval.dtype)] + [None] * (order - 1)) if order else []
    outs, found = propagate(list(graph.outputs), list(graph.inputs), list(graph.inputs),
                            series, order, loc_of=graph.loc)
    per_order = []
    for k in range(order + 1):
        if only_last and k < order:
            continue
        nodes = []
        for o, out, s in zip(graph.outputs, outs, found):
            if k == 0:
                nodes.append(out.node)
                continue
            c = None if s is None else s[k - 1]
            nodes.append(zeros_like_(Tracer(o)).node if c is None else c.node)
        per_order.append(tree.unflatten(graph.out_tree, nodes))
    return per_order[0] if only_last else tuple(per_order)
