"""Forward mode and the Jacobian family: ``jvp``, ``linearize``, ``vjp``, ``jacfwd``,
``jacrev``, ``hessian``, ``hvp``.

Like ``grad`` (wire/api/grad.py), each is a ``Graph -> Graph`` transform first; the function form
traces, transforms and calls. ``vjp`` and ``linearize`` partially evaluate the derivative
graph so the forward pass runs once and the returned function only runs the linear part.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import tree
from ..errors import (
    NonDifferentiableError, ShapeError, WireError, WireTypeError, at, user_location,
)
from ..ir import Graph, carry_locs, fresh_inputs, locating_by
from ..ops.elementwise import convert
from ..ops.layout import moveaxis, reshape, zeros_like_
from ..core import Tracer, call_graph_flat, flat_avals
from ..core.locations import recording
from ..transforms.jvp import forward_and_primals
from ..transforms.partial_eval import partial_eval
from ..transforms.vjp import backward_and_primals
from .grad import (
    _graph_from, _normalize_argnums, _split_aux, arg_leaf_ranges, arg_trees, call, grad,
    maybe_simplify, trace_args, traced,
)
from .vmap import vmap


def _pair_tree(t):
    return tree.TreeDef("tuple", tuple, None, (t, t))


# --------------------------------------------------------------------------- jvp


def jvp_graph(graph: Graph, simplify: bool = True) -> Graph:
    """Forward-mode graph: inputs ``(primals, tangents)``, outputs ``(outputs, tangent outputs)``.

    Tangent inputs mirror the primal inputs (same avals); tangents of integer inputs are
    ignored and integer outputs get zero tangents.
    """
    n = len(graph.inputs)
    t_inputs = fresh_inputs([x.aval for x in graph.inputs], graph, n)
    with recording() as table, locating_by(graph):  # sub-graphs: graph's lines
        # the primal outputs come back as the custom rules met computed them
        outs, primals = forward_and_primals(list(graph.outputs), list(graph.inputs),
                                            [Tracer(t) for t in t_inputs],
                                            list(graph.outputs), graph.loc)
        t_outs = [zeros_like_(Tracer(o)) if t is None else t
                  for t, o in zip(outs, graph.outputs)]
    result = (tree.unflatten(graph.out_tree, primals), tree.unflatten(graph.out_tree, t_outs))
    g = _graph_from(list(graph.inputs) + t_inputs, _pair_tree(graph.in_tree), result, graph,
                    table)
    return maybe_simplify(g, simplify)


def _check_tangents(primals, tangents):
    p_leaves, p_tree = tree.flatten(tuple(primals))
    t_leaves, t_tree = tree.flatten(tuple(tangents))
    if p_tree != t_tree:
        raise WireError(
            f"jvp: tangents have structure {t_tree!r} but primals have {p_tree!r}"
            f"{at(user_location())}"
        )
    p_avals = flat_avals(p_leaves, p_tree)
    t_avals = flat_avals(t_leaves, t_tree)
    paths = tree.leaf_paths(p_tree)
    for pa, ta, path in zip(p_avals, t_avals, paths):
        if pa.dtype.kind in "fc" and (pa.shape != ta.shape or ta.dtype.kind not in "fc"):
            raise ShapeError(
                f"jvp: tangent {path} is {ta!r} but its primal is {pa!r}; a tangent must have "
                f"the primal's shape and a floating dtype{at(user_location())}"
            )


def _cast_like(leaves, avals) -> list:
    """Tangent/cotangent leaves cast to the dtypes their graph inputs expect: one of another
    float dtype (a float64 cotangent for a float32 output, a Python number) is accepted,
    eagerly and under ``jit`` alike, and computed in the primal's dtype."""
    out = []
    for x, a in zip(leaves, avals):
        if isinstance(x, Tracer):
            out.append(x if x.dtype == a.dtype else convert(x, a.dtype))
        else:
            arr = np.asarray(x)
            out.append(x if arr.dtype == a.dtype else arr.astype(a.dtype))
    return out


def jvp(f, primals=None, tangents=None, *, simplify: bool = True):
    """Forward mode: ``(f(*primals), J(primals) · tangents)``; ``primals``/``tangents`` tuples.

    ``wire.jvp(graph)`` returns the forward-mode graph (inputs ``(primals, tangents)``).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> wire.jvp(wnp.sin, (0.0,), (2.0,))
    (array(0.), array(2.))
    """
    if isinstance(f, Graph):
        return jvp_graph(f, simplify)
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise WireError(f"jvp: primals and tangents must be tuples{at(user_location())}")
    _check_tangents(primals, tangents)
    traced = trace_args(f, tuple(primals))
    graph = jvp_graph(traced, simplify)
    t_leaves, t_tree = tree.flatten(tuple(tangents))
    tangents = tree.unflatten(t_tree, _cast_like(t_leaves, traced.in_avals))
    return call(graph, (tuple(primals), tuple(tangents)))


def linearize(f, *primals, simplify: bool = True):
    """``(f(*primals), f_jvp)`` where ``f_jvp(*tangents)`` evaluates only the linear map.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> y, f_jvp = wire.linearize(wnp.exp, 0.0)
    >>> f_jvp(3.0)
    array(3.)
    """
    graph = trace_args(f, primals)
    jg = jvp_graph(graph, simplify)
    n, n_out = len(graph.inputs), len(graph.outputs)
    split = partial_eval(jg, [True] * n + [False] * n)
    p_leaves, _ = tree.flatten(tuple(primals))
    known, res = split.run(p_leaves, call_graph_flat)
    y = tree.unflatten(graph.out_tree, known[:n_out])  # primal outputs never need tangents

    def f_jvp(*tangents):
        _check_tangents(primals, tangents)
        t_leaves = _cast_like(tree.flatten(tuple(tangents))[0], graph.in_avals)
        outs = split.finish(known, res, t_leaves, call_graph_flat)
        return tree.unflatten(graph.out_tree, outs[n_out:])

    return y, f_jvp


# --------------------------------------------------------------------------- vjp


def vjp_graph(graph: Graph, simplify: bool = True) -> Graph:
    """Reverse-mode graph: inputs ``(primals, cotangents)``, outputs the primals' cotangents.

    Cotangent inputs mirror the outputs; the result is a tuple with one entry per positional
    argument of ``graph``.
    """
    return _vjp_graph_and(graph, (), simplify)[0]


def _vjp_graph_and(graph: Graph, keep, simplify: bool):
    """:func:`vjp_graph`, and the nodes ``keep`` as the custom rules met computed them."""
    n = len(graph.inputs)
    ct_inputs = fresh_inputs([o.aval for o in graph.outputs], graph, n)
    with recording() as table, locating_by(graph):  # sub-graphs: graph's lines
        cts, kept = backward_and_primals(list(graph.outputs), [Tracer(c) for c in ct_inputs],
                                         list(graph.inputs), list(keep), graph.loc)
        grads = [zeros_like_(Tracer(x)) if g is None else g for g, x in zip(cts, graph.inputs)]
    per_arg = [
        tree.unflatten(t, [grads[i] for i in r])
        for t, r in zip(arg_trees(graph.in_tree), arg_leaf_ranges(graph.in_tree))
    ]
    in_tree = tree.TreeDef("tuple", tuple, None, (graph.in_tree, graph.out_tree))
    g = _graph_from(list(graph.inputs) + ct_inputs, in_tree, tuple(per_arg), graph, table)
    return maybe_simplify(g, simplify), kept


def vjp(f, *primals, has_aux: bool = False, simplify: bool = True):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(ct)`` returns one cotangent per primal (a tuple).

    The forward pass runs once; ``vjp_fn`` is traceable and differentiable. With
    ``has_aux``, returns ``(out, vjp_fn, aux)``. ``wire.vjp(graph)`` returns the VJP graph.

    >>> import numpy as np, wire
    >>> y, f_vjp = wire.vjp(lambda x: x * 3.0, np.ones(2))
    >>> f_vjp(np.array([1.0, 2.0]))
    (array([3., 6.]),)
    """
    if isinstance(f, Graph):
        return vjp_graph(f, simplify)
    graph = trace_args(f, primals)
    main, aux = _split_aux(graph, has_aux, "vjp")
    main_leaves, main_tree = tree.flatten(main)
    core = Graph(graph.inputs, main_leaves, graph.in_tree, main_tree, graph.locs)
    aux_leaves, aux_tree = tree.flatten(aux)
    # primal outputs and aux ride along, as the custom rules met computed them
    vg, extra = _vjp_graph_and(core, list(core.outputs) + list(aux_leaves), simplify)
    n = len(core.inputs)
    # Run the forward pass once: the part of the VJP graph that needs no cotangent is
    # evaluated now; vjp_fn runs only the rest, from the saved residuals.
    full = Graph(vg.inputs, list(vg.outputs) + extra, locs=carry_locs(graph, into=vg.locs))
    split = partial_eval(full, [True] * n + [False] * len(core.outputs))
    p_leaves, _ = tree.flatten(tuple(primals))
    known, res = split.run(p_leaves, call_graph_flat)
    fwd_vals = known[len(known) - len(extra):]
    out = tree.unflatten(main_tree, fwd_vals[: len(core.outputs)])
    aux_val = tree.unflatten(aux_tree, fwd_vals[len(core.outputs):])
    out_avals = [o.aval for o in core.outputs]

    def vjp_fn(ct):
        ct_leaves, ct_tree = tree.flatten(ct)
        if ct_tree != main_tree:
            raise WireError(
                f"vjp_fn: cotangent has structure {ct_tree!r} but the output has "
                f"{main_tree!r}{at(user_location())}"
            )
        for c, a in zip(ct_leaves, out_avals):
            shape = c.shape if isinstance(c, Tracer) else np.shape(c)
            if tuple(shape) != a.shape:
                raise ShapeError(
                    f"vjp_fn: cotangent of shape {tuple(shape)} for an output {a!r}"
                    f"{at(user_location())}"
                )
            kind = _dtype(c).kind
            if a.dtype.kind in "fc" and (kind == "b" or (kind == "c") > (a.dtype.kind == "c")):
                raise WireTypeError(
                    f"vjp_fn: cotangent of dtype {_dtype(c)} for an output {a!r}; a cotangent "
                    f"has the output's (floating) dtype{at(user_location())}"
                )
        outs = split.finish(known, res, _cast_like(ct_leaves, out_avals), call_graph_flat)
        return tree.unflatten(vg.out_tree, outs[: len(vg.outputs)])

    return (out, vjp_fn, aux_val) if has_aux else (out, vjp_fn)


# --------------------------------------------------------------------------- Jacobians


def _partial_args(f, args, nums):
    """``f`` as a function of the arguments in ``nums`` only, the others fixed."""

    def g(*dyn):
        full = list(args)
        for i, d in zip(nums, dyn):
            full[i] = d
        return f(*full)

    return g


def _argnums(argnums, nargs):
    return _normalize_argnums(argnums, nargs)


def _sizes(leaves):
    shapes = [tuple(np.shape(x)) if not isinstance(x, Tracer) else x.shape for x in leaves]
    return shapes, [int(np.prod(s, dtype=np.int64)) for s in shapes]


def _basis(shapes, sizes, dtypes):
    """One-hot batches spanning all leaves: leaf i gets shape (total,) + shapes[i]."""
    total = sum(sizes)
    eye = np.eye(total)
    out, off = [], 0
    for s, m, dt in zip(shapes, sizes, dtypes):
        out.append(eye[:, off : off + m].reshape((total,) + s).astype(dt))
        off += m
    return out


def _dtype(x):
    return x.dtype if isinstance(x, Tracer) else np.result_type(x)


def _check_float_leaves(leaves, what):
    for x in leaves:
        if np.dtype(_dtype(x)).kind not in "fc":
            raise NonDifferentiableError(
                f"{what} with respect to an input of dtype {_dtype(x)}: derivatives need "
                f"floating-point inputs; pass x.astype(float){at(user_location())}"
            )


def jacrev(f, argnums=0, has_aux: bool = False):
    """Jacobian by reverse mode, one batched VJP over the output basis (``vmap``, no loop).

    For an output leaf of shape ``S`` and an input leaf of shape ``T`` the block has shape
    ``S + T``; pytrees on both sides give nested results (outputs outside, inputs inside).

    >>> import numpy as np, wire
    >>> wire.jacrev(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """

    @functools.wraps(f)
    def jacrev_f(*args):
        nums = _argnums(argnums, len(args))
        dyn = [args[i] for i in nums]
        _check_float_leaves(tree.leaves(tuple(dyn)), "jacrev")
        res = vjp(_partial_args(f, args, nums), *dyn, has_aux=has_aux)
        y, pullback = res[0], res[1]
        y_leaves, y_tree = tree.flatten(y)
        shapes, sizes = _sizes(y_leaves)
        basis = _basis(shapes, sizes, [_dtype(v) for v in y_leaves])
        cts = vmap(pullback)(tree.unflatten(y_tree, basis))
        jac = _assemble_rev(cts, shapes, sizes, y_tree, argnums)
        return (jac, res[2]) if has_aux else jac

    return traced(jacrev_f)


def _assemble_rev(cts, out_shapes, out_sizes, y_tree, argnums):
    blocks, off = [], 0
    for s, m in zip(out_shapes, out_sizes):
        def block(c, s=s, m=m, off=off):
            in_shape = tuple(c.shape[1:])
            return reshape(c[off : off + m], s + in_shape)

        per_arg = tuple(tree.map(block, c) for c in cts)
        blocks.append(per_arg[0] if isinstance(argnums, int) else per_arg)
        off += m
    return tree.unflatten(y_tree, blocks)


def jacfwd(f, argnums=0, has_aux: bool = False):
    """Jacobian by forward mode, one batched JVP over the input basis (``vmap``, no loop).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> wire.jacfwd(wnp.sin)(np.zeros(2))
    array([[1., 0.],
           [0., 1.]])
    """

    @functools.wraps(f)
    def jacfwd_f(*args):
        nums = _argnums(argnums, len(args))
        dyn = tuple(args[i] for i in nums)
        d_leaves, d_tree = tree.flatten(dyn)
        _check_float_leaves(d_leaves, "jacfwd")
        shapes, sizes = _sizes(d_leaves)
        basis = _basis(shapes, sizes, [_dtype(v) for v in d_leaves])
        g = _partial_args(f, args, nums)
        if has_aux:
            def push(*t):
                out, tan = jvp(lambda *d: g(*d)[0], dyn, tree.unflatten(d_tree, list(t)))
                return tan
            aux = g(*dyn)[1]
        else:
            def push(*t):
                return jvp(g, dyn, tree.unflatten(d_tree, list(t)))[1]
        tans = vmap(push)(*basis)
        t_leaves, t_tree = tree.flatten(tans)
        blocks = []
        for t in t_leaves:
            out_shape = tuple(t.shape[1:])
            per_leaf, off = [], 0
            for s, m in zip(shapes, sizes):
                part = moveaxis(t[off : off + m], 0, -1)
                per_leaf.append(reshape(part, out_shape + s))
                off += m
            per_arg = tree.unflatten(d_tree, per_leaf)
            blocks.append(per_arg[0] if isinstance(argnums, int) else per_arg)
        jac = tree.unflatten(t_tree, blocks)
        return (jac, aux) if has_aux else jac

    return traced(jacfwd_f)


def hessian(f, argnums=0):
    """Hessian ``jacfwd(jacrev(f))``: block of shape ``out + in + in``.

    >>> import numpy as np, wire
    >>> wire.hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f, argnums=0):
    """Hessian-vector product ``hvp(f)(x, v) = H(x) @ v``, forward-over-reverse: the Hessian
    is never formed. ``x`` and ``v`` may be pytrees of the same structure.

    >>> import numpy as np, wire
    >>> wire.hvp(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([ 6., 12.])
    """
    def hvp_f(x, v):
        return jvp(grad(f, argnums), (x,), (v,))[1]

    return traced(hvp_f)
