"""Reverse mode run on concrete values, without building the derivative graph.

An eager call that derives a graph once and evaluates the result once — the outer derivative
of ``grad(grad(f))(x)``, whose graph is ``f``'s whole derivative graph — spends most of its
time making the derivative graph's nodes (``bind``, interning, locations) and then walking
them again in the evaluator. :func:`gradient_at` runs the same VJP rules on the values
themselves instead: the rules' ``wire.numpy`` calls receive arrays, so each computes at once
(``bind``'s concrete path, the primitive's own implementation), in the order the derivative
graph would be evaluated in. The result is the value of the unsimplified derivative graph,
bit for bit (the linear simplification passes keep values bit for bit too, so it also equals
what an eager call evaluates when its budget allows no more than those) — with one caveat:
where a rule applies a Python operator to the values, NumPy's own arithmetic runs, and for
``**`` NumPy's scalar power may differ from its ``power`` ufunc in the last bit (seen once,
in float32, over two dozen functions checked against the graph).

It applies to graphs of ordinary primitives: every leaf an input or a constant, no node with
several outputs or with sub-graphs (loops, conditionals, custom rules' functions), and
every rule giving plain arrays. Anything else — a custom rule's primals (``WithPrimals``), a
rule that makes a traced value, an exception — makes it return ``None``, and the caller
builds the derivative graph as usual (which reports a real error properly).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..ir import Graph, const_op, input_op
from ..ops.elementwise import convert
from ..ops.reductions import sum_to_shape
from .simplify import has_graph_params
from .vjp import WithPrimals, _contribute, dependents

__all__ = ["gradient_at"]

_NO_PARAMS: dict = {}
_ARRAY_TYPES = (np.ndarray, np.generic)


def gradient_at(graph: Graph, leaves: Sequence, index: int):
    """The gradient of ``graph``'s one output (a scalar) with respect to input ``index``, at
    the concrete input values ``leaves``: an array shaped like that input, or ``None`` where
    this does not apply (see the module docstring).

    >>> import wire, wire.numpy as wnp
    >>> g = wire.grad(wire.trace(lambda x: wnp.sin(x) * x, 0.5), simplify=False)
    >>> gradient_at(g, [0.5], 0)                         # 2 cos(x) - x sin(x)
    array(1.51545235)
    """
    if len(graph.outputs) != 1:
        return None
    nodes = graph.nodes
    ins = set(graph.inputs)
    for node in nodes:
        if isinstance(node.aval, tuple) or node.aval.shape is None:
            return None
        if node.is_leaf:
            if node.op is not const_op and not (node.op is input_op and node in ins):
                return None
        elif has_graph_params(node):
            return None
    wrt = graph.inputs[index]
    try:
        vals = _forward(graph, nodes, leaves)
        ct = _backward(graph, nodes, vals, wrt)
    except Exception:  # noqa: BLE001 - a rule that needs traced values: build the graph
        return None
    if ct is None:
        return np.zeros(wrt.aval.shape, wrt.aval.dtype)
    return np.array(ct)  # a new array the caller owns (never an input or a constant)


def _forward(graph: Graph, nodes, leaves) -> dict:
    """Every node's value (the evaluator's steps, keeping all values). Python scalars become
    NumPy values first: the rules' arithmetic on them must follow NumPy (``1.0 / 0.0`` is
    ``inf`` there, an exception in Python)."""
    vals = {}
    for node, v in zip(graph.inputs, leaves):
        vals[node] = v if isinstance(v, _ARRAY_TYPES) else np.asarray(v, node.aval.dtype)
    for node in nodes:
        if node in vals:
            continue
        if node.op is const_op:
            vals[node] = node.params["value"].array
            continue
        args = [vals[i] for i in node.inputs]
        v = node.op.impl(*args, **node.params) if node._items else node.op.impl(*args)
        if not isinstance(v, _ARRAY_TYPES):
            raise _NotPlain(node.op.name)
        vals[node] = v
    return vals


def _backward(graph: Graph, nodes, vals: dict, wrt):
    """The cotangent of ``wrt`` (None if none reaches it); raises ``_NotPlain`` where a rule
    does not give plain arrays."""
    dep = dependents(nodes, [wrt])
    out = graph.outputs[0]
    if out not in dep:
        return None
    acc: dict = {out: np.ones(out.aval.shape, out.aval.dtype)}
    pop = acc.pop
    for node in reversed(nodes):
        ct = pop(node, None)
        if ct is None:
            continue
        if type(ct) is list:
            total = ct[0]
            for c in ct[1:]:
                total = total + c
            ct = total
        if node is wrt:
            return ct
        if node.is_leaf:
            continue
        prim = node.op
        inputs = node.inputs
        args = [vals[i] for i in inputs]
        params = node.params if node._items else _NO_PARAMS
        parts = prim.vjp_parts
        if parts is not None:
            in_cts = [part(ct, vals[node], *args, **params) if i in dep else None
                      for part, i in zip(parts, inputs)]
        elif prim.vjp is None:
            raise _NotPlain(prim.name)  # (the graph path names the primitive)
        else:
            in_cts = prim.vjp(ct, vals[node], *args, **params)
            if isinstance(in_cts, WithPrimals):
                raise _NotPlain(prim.name)
        for inp, ict in zip(inputs, in_cts):
            if ict is None or inp not in dep:
                continue
            if not isinstance(ict, _ARRAY_TYPES):
                raise _NotPlain(prim.name)
            aval = inp.aval
            if ict.shape != aval.shape:
                ict = sum_to_shape(ict, aval.shape)
            if ict.dtype != aval.dtype and aval.dtype.kind in "fc":
                ict = convert(ict, aval.dtype)
            if not isinstance(ict, _ARRAY_TYPES):
                raise _NotPlain(prim.name)
            _contribute(acc, inp, ict)
    return None


class _NotPlain(Exception):
    """A rule gave something other than plain arrays."""
