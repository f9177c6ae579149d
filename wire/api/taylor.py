"""Taylor mode: ``jet`` (JAX's semantics) and ``taylor`` (all derivatives up to an order).

Both are ``Graph -> Graph`` transforms first (:func:`jet_graph`, :func:`taylor_graph`), built on
the series driver :func:`wire.transforms.jet.propagate` and each primitive's Taylor rule, so
their graphs are graphs of ordinary primitives: they differentiate, batch and compile like any
other. A series of order ``n`` costs O(n²) operations per primitive (O(n²) nodes for the
primitives whose rule is derived from their JVP; see ``wire.core.taylor``), where ``n`` nested
``jvp``/``grad`` calls grow with the number of terms of Faà di Bruno's formula.
"""

from __future__ import annotations

import math

from .. import tree
from ..core import Tracer, flat_avals, trace_flat
from ..errors import ShapeError, WireError, at, user_location
from ..ir import Graph, input_node
from ..ops.layout import zeros_like_
from ..transforms.jet import derivatives, propagate
from .grad import (
    Transformed, _normalize_argnums, arg_leaf_ranges, arg_trees, call, maybe_simplify,
    trace_args,
)

__all__ = ["jet", "jet_graph", "taylor", "taylor_graph"]


def _check_order(order) -> int:
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise WireError(f"the order of a Taylor series must be an int >= 0, got {order!r}"
                        f"{at(user_location())}")
    return order


def _lists_tree(td: tree.TreeDef, order: int) -> tree.TreeDef:
    """``td`` with each leaf replaced by a list of ``order`` leaves."""
    if td.kind == "leaf":
        return tree.TreeDef("list", list, None, (tree.LEAF,) * order)
    return td._replace(children=tuple(_lists_tree(c, order) for c in td.children))


def _per_leaf(series: list, order: int) -> list:
    """Flat coefficients ``[leaf0 c1..cn, leaf1 c1..cn, …]`` from per-leaf lists."""
    return [c for s in series for c in s]


# --------------------------------------------------------------------------- jet


def jet_graph(graph: Graph, order: int, factorial_scaled: bool = True,
              simplify: bool = True) -> Graph:
    """The graph of ``jet`` of ``graph`` to ``order``.

    Inputs ``(primals, series)``: the primals as ``graph``'s, then for each positional
    argument a list of ``order`` coefficients shaped like it. Outputs ``(primals_out,
    series_out)``: ``series_out`` is ``graph``'s output structure with each leaf a list of
    ``order`` coefficients. With ``factorial_scaled`` (JAX's default) coefficient ``k`` is the
    ``k``-th derivative along the series, else the plain Taylor coefficient.

    >>> import wire
    >>> jg = wire.jet_graph(wire.trace(lambda x: x ** 3, 2.0), 2)
    >>> wire.evaluate(jg, (2.0,), ([1.0, 0.0],))       # x³, then 3x², 6x along x + t
    (array(8.), [array(12.), array(12.)])
    """
    order = _check_order(order)
    n_in = len(graph.inputs)
    ranges = arg_leaf_ranges(graph.in_tree)
    trees = arg_trees(graph.in_tree)
    series_inputs: list[list] = [[None] * order for _ in range(n_in)]
    flat_series_inputs = []
    pos = n_in
    for r in ranges:
        for k in range(order):
            for i in r:
                node = input_node(pos, graph.inputs[i].aval)
                pos += 1
                flat_series_inputs.append(node)
                c = Tracer(node)
                # the driver works with derivatives (factorial-scaled coefficients)
                series_inputs[i][k] = c if factorial_scaled or k == 0 else (
                    c * float(math.factorial(k + 1)))
    outs, found = propagate(list(graph.outputs), list(graph.inputs), list(graph.inputs),
                            series_inputs, order)
    coefs = []
    for o, s in zip(graph.outputs, found):
        for k in range(order):
            c = None if s is None else s[k]
            if c is None:
                c = zeros_like_(Tracer(o))
            elif not factorial_scaled and k:
                c = c * (1.0 / math.factorial(k + 1))
            coefs.append(c.node)
    in_tree = tree.TreeDef("tuple", tuple, None, (
        graph.in_tree,
        tree.TreeDef("tuple", tuple, None, tuple(
            tree.TreeDef("list", list, None, (t,) * order) for t in trees)),
    ))
    out_tree = tree.TreeDef("tuple", tuple, None, (graph.out_tree,
                                                   _lists_tree(graph.out_tree, order)))
    outputs = [o.node for o in outs] + coefs
    g = Graph(list(graph.inputs) + flat_series_inputs, outputs, in_tree, out_tree)
    return maybe_simplify(g, simplify)


def jet(f, primals, series, factorial_scaled: bool = True, *, simplify: bool = True):
    """Taylor-mode propagation of truncated power series, JAX's ``jet``.

    ``primals`` is a tuple of arguments; ``series`` a tuple with, for each argument, a list of
    its higher-order terms ``[x1, x2, …, xn]`` (each shaped like the argument). Returns
    ``(f(*primals), series_out)``, ``series_out`` shaped like ``f``'s output with each leaf a
    list of ``n`` terms. With ``factorial_scaled`` (the default) term ``k`` is the ``k``-th
    derivative of ``t ↦ x(t)`` at 0, so for ``x(t) = x + t`` the output terms are the
    derivatives of ``f`` along 1; ``factorial_scaled=False`` takes and gives plain Taylor
    coefficients. Unlike JAX's, every primitive has a rule, arguments may be pytrees, and
    the result is traceable (``wire.grad``, ``wire.vmap``, ``wire.jit`` of it work).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> y, (d1, d2, d3) = wire.jet(wnp.sin, (0.5,), ([1.0, 0.0, 0.0],))
    >>> np.allclose([y, d1, d2, d3], [np.sin(.5), np.cos(.5), -np.sin(.5), -np.cos(.5)])
    True
    """
    if isinstance(f, Graph):
        raise WireError("wire.jet takes a function; for a Graph use wire.jet_graph(graph, "
                        f"order){at(user_location())}")
    if not isinstance(primals, (tuple, list)) or not isinstance(series, (tuple, list)):
        raise WireError(f"jet: primals and series must be tuples{at(user_location())}")
    if len(series) != len(primals):
        raise WireError(f"jet: {len(primals)} primals but {len(series)} series"
                        f"{at(user_location())}")
    orders = {len(s) if isinstance(s, (tuple, list)) else None for s in series}
    if None in orders or len(orders) > 1:
        raise WireError(
            "jet: each entry of series must be a list of terms, all of the same length (the "
            f"order), got lengths {sorted(o for o in orders if o is not None)}"
            f"{at(user_location())}")
    order = orders.pop() if orders else 0
    p_leaves, p_tree = tree.flatten(tuple(primals))
    p_avals = flat_avals(p_leaves, p_tree)
    paths = tree.leaf_paths(p_tree)
    ranges = arg_leaf_ranges(p_tree)
    for a, (s, r) in enumerate(zip(series, ranges)):
        for k, term in enumerate(s):
            t_leaves, t_tree = tree.flatten(term)
            if len(t_leaves) != len(r):
                raise WireError(f"jet: term {k + 1} of the series of argument {a} has "
                                f"{len(t_leaves)} leaves, its primal {len(r)}"
                                f"{at(user_location())}")
            for leaf, i in zip(t_leaves, r):
                ta = flat_avals([leaf], tree.LEAF)[0]
                if ta.shape != p_avals[i].shape:
                    raise ShapeError(
                        f"jet: term {k + 1} of the series of {paths[i]} is {ta!r} but its "
                        f"primal is {p_avals[i]!r}{at(user_location())}")
    graph = jet_graph(trace_args(f, tuple(primals)), order, factorial_scaled, simplify)
    return call(graph, (tuple(primals), tuple(tuple(s) for s in series)))


# --------------------------------------------------------------------------- taylor


def taylor_graph(graph: Graph, order: int, argnums: int = 0, simplify: bool = True,
                 only_last: bool = False) -> Graph:
    """The graph of ``taylor(f, order)``: the outputs and their first ``order`` derivatives
    along ``x(t) = x + t`` for argument ``argnums`` (``t`` added to every entry of it).

    Outputs: a tuple ``(f, f', …, f⁽ⁿ⁾)``, each shaped like ``graph``'s output; with
    ``only_last``, just ``f⁽ⁿ⁾`` (what ``grad`` of a derivative tower computes).

    >>> import wire
    >>> wire.evaluate(wire.taylor_graph(wire.trace(lambda x: x ** 3, 2.0), 3), 2.0)
    (array(8.), array(12.), array(12.), array(6.))
    """
    order = _check_order(order)
    (a,) = _normalize_argnums(argnums, len(arg_leaf_ranges(graph.in_tree)))
    r = arg_leaf_ranges(graph.in_tree)[a]
    for i in r:
        aval = graph.inputs[i].aval
        if aval.dtype.kind not in "fc":
            raise WireError(f"taylor: argument {a} has a {aval!r} entry; derivatives need "
                            f"floating-point inputs{at(user_location())}")
    result = derivatives(graph, order, list(r), only_last)
    leaves, out_tree = tree.flatten(result)
    return maybe_simplify(Graph(graph.inputs, leaves, graph.in_tree, out_tree), simplify)


def taylor(f, order: int, argnums: int = 0, *, simplify: bool = True):
    """``taylor(f, n)(x)`` returns ``(f(x), f'(x), …, f⁽ⁿ⁾(x))`` from one Taylor-mode pass.

    For an array argument the derivatives are along the all-ones direction (for elementwise
    ``f``, the elementwise derivatives); for another direction ``v`` take
    ``taylor(lambda t: f(x + t * v), n)(0.0)``. O(n²) work per primitive, against a graph that
    grows with the number of terms of Faà di Bruno's formula for nested ``grad``.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> [float(d) for d in wire.taylor(wnp.exp, 3)(0.0)]
    [1.0, 1.0, 1.0, 1.0]
    """
    order = _check_order(order)
    if isinstance(f, Graph):
        return taylor_graph(f, order, argnums, simplify)

    def graph_of(in_avals, in_tree, weak=()):
        return taylor_graph(trace_flat(f, in_avals, in_tree, weak), order, argnums, simplify)

    return Transformed(f, graph_of, simplified=simplify)
