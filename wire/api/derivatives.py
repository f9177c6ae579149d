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
    NonDifferentiableError, ShapeError, TracerBoolError, WireError, WireTypeError, at, user_location,
)
from .concrete import BatchedDecision
from ..ir import Graph, carry_locs, fresh_inputs, locating_by
from ..ops.elementwise import convert
from ..ops.layout import moveaxis, reshape, zeros_like_
from ..core import Tracer, call_graph_flat, flat_avals, weak_leaves
from ..core.locations import recording
from ..transforms.jvp import forward_and_primals
from ..transforms.budget import simplify_for_eager
from ..transforms.partial_eval import partial_eval
from ..transforms.rules import DERIVATIVES
from ..transforms.vjp import backward_and_primals
from .eager import Memo, run, trace_eager
from .grad import (
    _graph_from, _normalize_argnums, _split_aux, arg_leaf_ranges, arg_trees, check_statics,
    fix_args, grad, keeps_no_trace, maybe_simplify, static_nums, traced,
)
from .vmap import vmap


# --------------------------------------------------------------------------- jvp


def jvp_graph(graph: Graph, simplify: bool = True, n_const: int = 0) -> Graph:
    """Forward-mode graph: inputs ``(primals, tangents)``, outputs ``(outputs, tangent outputs)``.

    Tangent inputs mirror the primal inputs (same avals); tangents of integer inputs are
    ignored and integer outputs get zero tangents. The last ``n_const`` inputs (lifted
    constants of an eager trace) get no tangent inputs.

    >>> import wire
    >>> jg = wire.jvp_graph(wire.trace(lambda x: x ** 3, 2.0))
    >>> wire.evaluate(jg, (2.0,), (1.0,))      # (x**3, 3 x**2 · 1)
    (array(8.), array(12.))
    """
    n = len(graph.inputs)
    primal = list(graph.inputs[: n - n_const])
    t_inputs = fresh_inputs([x.aval for x in primal], graph, n)
    with recording() as table, locating_by(graph):  # sub-graphs: graph's lines
        # the primal outputs come back as the custom rules met computed them
        outs, primals = forward_and_primals(list(graph.outputs), primal,
                                            [Tracer(t) for t in t_inputs],
                                            list(graph.outputs), graph.loc, graph.nodes)
        t_outs = [zeros_like_(Tracer(o)) if t is None else t
                  for t, o in zip(outs, graph.outputs)]
    result = (tree.unflatten(graph.out_tree, primals), tree.unflatten(graph.out_tree, t_outs))
    g = _graph_from(list(graph.inputs) + t_inputs, _pair_tree(graph.in_tree, n_const), result,
                    graph, table)
    return maybe_simplify(g, simplify)


def _pair_tree(t, n_const: int = 0):
    """The input tree ``(primals, tangents)`` of a JVP graph; with lifted constants, the
    primals' tree has them as extra leaves and the tangents' tree has not."""
    if not n_const:
        return tree.TreeDef("tuple", tuple, None, (t, t))
    args = tree.TreeDef("tuple", tuple, None, t.children[: len(t.children) - n_const])
    return tree.TreeDef("tuple", tuple, None, (t, args))


def _eager_jvp(graph: Graph, simplify: bool, n_const: int) -> Graph:
    """The JVP graph of an eager call, simplified as far as running it can repay
    (:func:`wire.transforms.budget.simplify_for_eager`)."""
    jg = jvp_graph(graph, False, n_const)
    return simplify_for_eager(jg, DERIVATIVES) if simplify else jg


_EAGER_JVP = Memo(_eager_jvp, keep=keeps_no_trace)


def _float0_tangents(primals, tangents, what="jvp"):
    """``tangents`` with each ``float0`` leaf (JAX's tangent of an integer or boolean
    primal) checked against its primal — an integer or boolean of the same shape — and made
    integer zeros of the primal's dtype (what the forward-mode graph takes for it)."""
    t_leaves, t_tree = tree.flatten(tuple(tangents))
    if not any(tree.is_float0(t) for t in t_leaves):
        return tangents
    p_leaves, p_tree = tree.flatten(tuple(primals))
    if p_tree != t_tree:
        raise WireError(
            f"{what}: tangents have structure {t_tree!r} but primals have {p_tree!r}"
            f"{at(user_location(3))}"
        )
    out = []
    paths = tree.leaf_paths(p_tree)
    for p, t, pa, path in zip(p_leaves, t_leaves, flat_avals(p_leaves, p_tree), paths):
        if tree.is_float0(t):
            if pa.dtype.kind not in "iub":
                raise WireTypeError(
                    f"{what}: tangent {path} has dtype float0 but its primal is {pa!r}; a "
                    f"float0 tangent is for an integer or boolean primal (a float primal "
                    f"takes a tangent of its dtype){at(user_location(3))}")
            if tuple(pa.shape) != np.shape(t):
                raise ShapeError(
                    f"{what}: tangent {path} is a float0 array of shape {np.shape(t)} but its "
                    f"primal is {pa!r}; a tangent has its primal's shape"
                    f"{at(user_location(3))}")
            t = np.zeros(pa.shape, pa.dtype)
        out.append(t)
    return tree.unflatten(t_tree, out)


def _check_tangents(primals, tangents, what="jvp"):
    p_leaves, p_tree = tree.flatten(tuple(primals))
    t_leaves, t_tree = tree.flatten(tuple(tangents))
    if p_tree != t_tree:
        raise WireError(
            f"{what}: tangents have structure {t_tree!r} but primals have {p_tree!r}"
            f"{at(user_location())}"
        )
    p_avals = flat_avals(p_leaves, p_tree)
    t_avals = flat_avals(t_leaves, t_tree)
    paths = tree.leaf_paths(p_tree)
    for pa, ta, path in zip(p_avals, t_avals, paths):
        if pa.dtype.kind in "fc" and (pa.shape != ta.shape or ta.dtype.kind not in "fc"):
            raise ShapeError(
                f"{what}: tangent {path} is {ta!r} but its primal is {pa!r}; a tangent must have "
                f"the primal's shape and a floating dtype{at(user_location())}"
            )
        if pa.dtype.kind == "f" and ta.dtype.kind == "c":  # (a cast would drop its imaginary part)
            raise WireTypeError(
                f"{what}: tangent {path} is complex ({ta!r}) but its primal is real ({pa!r}); a "
                f"real value has real tangents{at(user_location())}")
    for pa, t, path in zip(p_avals, t_leaves, paths):
        # an integer or boolean primal does not vary, so only a zero tangent is meaningful
        # (JAX asks for float0 ones); a nonzero one would be dropped without a word
        if pa.dtype.kind in "iub" and _nonzero(t):
            raise WireTypeError(
                f"{what}: tangent {path} is nonzero but its primal is an integer/boolean "
                f"{pa!r}, which has no derivative (its tangent must be zero); pass "
                f"x.astype(float) to differentiate with respect to it{at(user_location())}")


def _nonzero(t) -> bool:
    """Whether tangent ``t`` has a nonzero entry: a traced one as far as its trace knows
    (under ``vmap`` on concrete values, each example; an abstract one is not known)."""
    if not isinstance(t, Tracer):
        return bool(np.any(np.asarray(t) != 0))
    try:
        return bool((t != 0).any())
    except BatchedDecision:  # nonzero in some examples of a vmap (it splits them)
        raise
    except TracerBoolError:  # (under jit: not known)
        return False


def _cast_like(leaves, avals) -> list:
    """Tangent/cotangent leaves cast to the dtypes their graph inputs expect: one of another
    float dtype (a float64 cotangent for a float32 output, a Python number) is accepted,
    eagerly and under ``jit`` alike, and computed in the primal's dtype."""
    out = []
    for x, a in zip(leaves, avals):
        if isinstance(x, Tracer):
            out.append(x if x.dtype == a.dtype else convert(x, a.dtype))
        elif tree.is_float0(x):  # the zero cotangent of an integer output (JAX's form)
            out.append(np.zeros(a.shape, a.dtype))
        else:
            arr = np.asarray(x)
            out.append(x if arr.dtype == a.dtype else arr.astype(a.dtype))
    return out


def _static_primals(f, primals, static_argnums, what, static_argnames=()):
    """``(f of the non-static primals, their positions)``: static ones passed as they are
    (``static_argnames``: ``f``'s parameters by name, as ``static_argnums`` by position)."""
    statics = check_statics(static_nums(static_argnums, f, static_argnames), tuple(primals),
                            what)
    if not statics:
        return f, list(range(len(primals)))
    nums = [i for i in range(len(primals)) if i not in statics]
    return fix_args(f, tuple(primals), {}, nums), nums


def _eager_trace(f, dyn):
    """``(graph, leaves, lifted)`` of ``f`` traced on the concrete (or enclosing-trace)
    values ``dyn``, its floating leaves marked as differentiated."""
    leaves, in_tree = tree.flatten(tuple(dyn))
    avals = flat_avals(leaves, in_tree)
    diff = [i for i, a in enumerate(avals) if a.dtype.kind in "fc"]
    graph, lifted = trace_eager(f, leaves, in_tree, avals, weak=weak_leaves(leaves), diff=diff)
    return graph, leaves, lifted


def _aux_pair(out, what: str):
    """``out`` of a function called with ``has_aux=True``: ``(value, aux)``, checked."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise WireError(f"{what} with has_aux=True: the function must return a pair "
                        f"(output, aux), got {type(out).__name__}{at(user_location(3))}")
    return out[0], out[1]


def jvp(f, primals=None, tangents=None, *, has_aux: bool = False, simplify: bool = True,
        static_argnums=(), static_argnames=()):
    """Forward mode: ``(f(*primals), J(primals) · tangents)``; ``primals``/``tangents`` tuples.

    With ``has_aux``, ``f`` returns ``(out, aux)`` and ``jvp`` returns
    ``(out, tangent_out, aux)`` (as ``jax.jvp``). ``static_argnums``/``static_argnames``
    (by position / by parameter name): primals passed to ``f`` as they are (their tangents
    are ignored). ``wire.jvp(graph)`` returns the forward-mode graph (inputs
    ``(primals, tangents)``).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> wire.jvp(wnp.sin, (0.0,), (2.0,))
    (array(0.), array(2.))
    >>> wire.jvp(lambda x: (x ** 2, x + 1), (3.0,), (1.0,), has_aux=True)
    (array(9.), array(6.), array(4.))

    As in JAX, an integer or boolean primal takes a ``float0`` tangent (a zero one of
    another dtype is accepted too), and the tangent of an integer or boolean output is a
    ``float0`` array of its shape.

    >>> y, t = wire.jvp(lambda x, n: (x * n, n + 1), (2.0, 3), (1.0, np.zeros((), wire.float0)))
    >>> y, t[0], t[1].dtype == wire.float0
    ((array(6.), array(4)), array(3.), True)
    """
    if isinstance(f, Graph):
        return jvp_graph(f, simplify)
    graph, out, tan = _jvp(f, primals, tangents, has_aux, simplify, static_argnums,
                           static_argnames)
    tan = _float0_outputs(graph, tan)
    if has_aux:
        return out[0], tan[0], out[1]
    return out, tan


def _float0_outputs(graph: Graph, tan):
    """``tan`` (a pytree of ``graph``'s output structure) with the tangent of each integer
    or boolean output a ``float0`` array of its shape, as ``jax.jvp`` gives."""
    avals = [o.aval for o in graph.outputs]
    if not any(a.dtype.kind in "biu" and a.shape is not None for a in avals):
        return tan
    leaves = tree.float0_structure(*tree.flatten(tan))[0]
    leaves = [np.zeros(a.shape, tree.FLOAT0) if a.dtype.kind in "biu" and a.shape is not None
              else t for t, a in zip(leaves, avals)]
    return tree.unflatten(graph.out_tree, leaves)


def _jvp(f, primals, tangents, has_aux, simplify, static_argnums, static_argnames):
    """``(graph, out, tan)`` of ``jvp`` of a function: its eager graph, the outputs and
    their tangents (integer zeros for integer outputs: what ``jacfwd`` assembles)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise WireError(f"jvp: primals and tangents must be tuples{at(user_location())}")
    g, nums = _static_primals(f, primals, static_argnums, "jvp", static_argnames)
    if len(nums) != len(primals):
        if len(tangents) == len(primals):
            tangents = [tangents[i] for i in nums]
        primals = [primals[i] for i in nums]
    tangents = _float0_tangents(primals, tangents)
    _check_tangents(primals, tangents)
    graph, leaves, lifted = _eager_trace(g, primals)
    if has_aux:
        _aux_pair(tree.unflatten(graph.out_tree, list(graph.outputs)), "jvp")
    jg = _EAGER_JVP(graph, simplify, len(lifted))
    t_leaves, _ = tree.flatten(tuple(tangents))
    t_leaves = _cast_like(t_leaves, graph.in_avals[: len(leaves)])
    out, tan = run(jg, leaves + lifted + t_leaves)
    return graph, out, tan


def linearize(f, *primals, has_aux: bool = False, simplify: bool = True, static_argnums=(),
              static_argnames=()):
    """``(f(*primals), f_jvp)`` where ``f_jvp(*tangents)`` evaluates only the linear map.

    With ``has_aux``, ``f`` returns ``(out, aux)`` and ``linearize`` returns
    ``(out, f_jvp, aux)`` (as ``jax.linearize``). ``static_argnums``/``static_argnames``:
    primals passed to ``f`` as they are (``f_jvp`` takes tangents of the others only).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> y, f_jvp = wire.linearize(wnp.exp, 0.0)
    >>> f_jvp(3.0)
    array(3.)
    """
    g, nums = _static_primals(f, primals, static_argnums, "linearize", static_argnames)
    primals = tuple(primals[i] for i in nums)
    graph, p_leaves, lifted = _eager_trace(g, primals)
    k = len(lifted)
    jg = _EAGER_JVP(graph, simplify, k)
    n, n_out = len(graph.inputs), len(graph.outputs)
    split = _SPLIT(jg, n, n - k)
    known, res = split.run(p_leaves + lifted, call_graph_flat)
    if all(split.out_known[:n_out]):  # (the usual case: no primal output needs tangents)
        prim = known[:n_out]
    else:  # a primal output made by one node with tangents (a scan whose JVP is one loop)
        prim = call_graph_flat(graph, p_leaves + lifted)
    y = tree.unflatten(graph.out_tree, prim)
    if has_aux:
        y, aux = _aux_pair(y, "linearize")

    def f_jvp(*tangents):
        tangents = _float0_tangents(primals, tangents, "linearize")
        _check_tangents(primals, tangents, "linearize")
        t_leaves = _cast_like(tree.flatten(tuple(tangents))[0], graph.in_avals)
        outs = split.finish(known, res, t_leaves, call_graph_flat)
        tan = _float0_outputs(graph, tree.unflatten(graph.out_tree, outs[n_out:]))
        return tan[0] if has_aux else tan

    return (y, f_jvp, aux) if has_aux else (y, f_jvp)


def _split_graph(graph: Graph, n_known: int, n_unknown: int):
    """``partial_eval`` of a graph whose first ``n_known`` inputs are known (memoized)."""
    return partial_eval(graph, [True] * n_known + [False] * n_unknown)


_SPLIT = Memo(_split_graph, keep=keeps_no_trace)


# --------------------------------------------------------------------------- vjp


def vjp_graph(graph: Graph, simplify: bool = True, n_const: int = 0) -> Graph:
    """Reverse-mode graph: inputs ``(primals, cotangents)``, outputs the primals' cotangents.

    Cotangent inputs mirror the outputs; the result is a tuple with one entry per positional
    argument of ``graph``. The last ``n_const`` inputs (lifted constants of an eager trace)
    get no cotangents.

    >>> import wire
    >>> vg = wire.vjp_graph(wire.trace(lambda x, y: x * y, 3.0, 2.0))
    >>> wire.evaluate(vg, (3.0, 2.0), (1.0,))
    (array(2.), array(3.))
    """
    return _vjp_graph_and(graph, (), simplify, n_const)[0]


def _vjp_graph_and(graph: Graph, keep, simplify: bool, n_const: int = 0):
    """:func:`vjp_graph`, and the nodes ``keep`` as the custom rules met computed them."""
    n = len(graph.inputs)
    primal = list(graph.inputs[: n - n_const])
    ct_inputs = fresh_inputs([o.aval for o in graph.outputs], graph, n)
    with recording() as table, locating_by(graph):  # sub-graphs: graph's lines
        cts, kept = backward_and_primals(list(graph.outputs), [Tracer(c) for c in ct_inputs],
                                         primal, list(keep), graph.loc)
        grads = [zeros_like_(Tracer(x)) if g is None else g for g, x in zip(cts, primal)]
    trees = arg_trees(graph.in_tree)
    ranges = arg_leaf_ranges(graph.in_tree)
    n_args = len(trees) - (n_const if graph.in_tree.kind == "tuple" else 0)
    per_arg = [tree.unflatten(t, [grads[i] for i in r])
               for t, r in zip(trees[:n_args], ranges[:n_args])]
    in_tree = tree.TreeDef("tuple", tuple, None, (graph.in_tree, graph.out_tree))
    g = _graph_from(list(graph.inputs) + ct_inputs, in_tree, tuple(per_arg), graph, table)
    return maybe_simplify(g, simplify), kept


def _vjp_parts(core: Graph, simplify: bool, n_const: int, n_aux: int):
    """The VJP graph of ``core``'s outputs but its last ``n_aux`` (aux), and its partial
    evaluation: every output of ``core`` rides along as the custom rules met computed it, so
    the forward pass runs once (memoized per graph)."""
    n_main = len(core.outputs) - n_aux
    main = Graph(core.inputs, core.outputs[:n_main], core.in_tree, None, core.locs)
    vg, kept = _vjp_graph_and(main, list(core.outputs), simplify, n_const)
    # Run the forward pass once: the part of the VJP graph that needs no cotangent is
    # evaluated at the call; vjp_fn runs only the rest, from the saved residuals.
    full = Graph(vg.inputs, list(vg.outputs) + list(kept), locs=carry_locs(core, into=vg.locs))
    return vg, partial_eval(full, [True] * len(core.inputs) + [False] * n_main)


_EAGER_VJP = Memo(_vjp_parts, keep=keeps_no_trace)


def vjp(f, *primals, has_aux: bool = False, simplify: bool = True, static_argnums=(),
        static_argnames=()):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(ct)`` returns one cotangent per primal (a tuple).

    The forward pass runs once; ``vjp_fn`` is traceable and differentiable. With
    ``has_aux``, returns ``(out, vjp_fn, aux)``. ``static_argnums``/``static_argnames`` (by
    position / by parameter name): primals passed to ``f`` as they are (their entries of the
    result are None). ``wire.vjp(graph)`` returns the VJP
    graph.

    >>> import numpy as np, wire
    >>> y, f_vjp = wire.vjp(lambda x: x * 3.0, np.ones(2))
    >>> f_vjp(np.array([1.0, 2.0]))
    (array([3., 6.]),)
    """
    if isinstance(f, Graph):
        return vjp_graph(f, simplify)
    g, nums = _static_primals(f, primals, static_argnums, "vjp", static_argnames)
    n_all = len(primals)
    primals = tuple(primals[i] for i in nums)
    graph, p_leaves, lifted = _eager_trace(g, primals)
    main, aux = _split_aux(graph, has_aux, "vjp")
    main_leaves, main_tree = tree.flatten(main)
    aux_leaves, aux_tree = tree.flatten(aux)
    # the primal outputs and aux ride along, as the custom rules met computed them
    core = Graph(graph.inputs, list(main_leaves) + list(aux_leaves), graph.in_tree, None,
                 graph.locs)
    vg, split = _EAGER_VJP(core, simplify, len(lifted), len(aux_leaves))
    known, res = split.run(p_leaves + lifted, call_graph_flat)
    extra = core.outputs
    fwd_vals = known[len(known) - len(extra):]
    out = tree.unflatten(main_tree, fwd_vals[: len(main_leaves)])
    aux_val = tree.unflatten(aux_tree, fwd_vals[len(main_leaves):])
    out_avals = [o.aval for o in main_leaves]

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
            if a.dtype.kind in "fc" and (kind in "bV" or (kind == "c") > (a.dtype.kind == "c")):
                raise WireTypeError(
                    f"vjp_fn: cotangent of dtype {_dtype(c)} for an output {a!r}; a cotangent "
                    f"has the output's (floating) dtype{at(user_location())}"
                )
        outs = split.finish(known, res, _cast_like(ct_leaves, out_avals), call_graph_flat)
        cts = tree.unflatten(vg.out_tree, outs[: len(vg.outputs)])
        if len(nums) == n_all:
            return cts
        full = [None] * n_all
        for i, c in zip(nums, cts):
            full[i] = c
        return tuple(full)

    return (out, vjp_fn, aux_val) if has_aux else (out, vjp_fn)


# --------------------------------------------------------------------------- Jacobians


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


def _check_float_leaves(leaves, what, holomorphic=None, side="input"):
    """Float leaves; ``holomorphic`` ``True``: complex ones, ``False``: real ones (JAX's
    rule: ``jacfwd`` takes real inputs and ``jacrev`` gives real outputs unless asked for
    the complex derivative of a holomorphic function), ``None``: either."""
    for x in leaves:
        kind = np.dtype(_dtype(x)).kind
        if kind not in "fc":
            raise NonDifferentiableError(
                f"{what} with respect to an input of dtype {_dtype(x)}: derivatives need "
                f"floating-point inputs; pass x.astype(float){at(user_location())}"
            )
        if holomorphic is False and kind == "c":
            raise WireTypeError(
                f"{what} needs real {side}s, got one of dtype {_dtype(x)}: for the complex "
                f"derivative of a holomorphic function pass holomorphic=True; for other "
                f"functions of complex values use wire.vjp or wire.jvp{at(user_location())}")
        if holomorphic and kind != "c":
            raise WireTypeError(
                f"{what} with holomorphic=True needs complex {side}s, got one of dtype "
                f"{_dtype(x)}{at(user_location())}")


def jacrev(f, argnums=0, has_aux: bool = False, *, holomorphic: bool = False,
           static_argnums=(), static_argnames=(), allow_int: bool = False):
    """Jacobian by reverse mode, one batched VJP over the output basis (``vmap``, no loop).

    For an output leaf of shape ``S`` and an input leaf of shape ``T`` the block has shape
    ``S + T``; pytrees on both sides give nested results (outputs outside, inputs inside).
    Outputs are real, as in JAX; ``holomorphic=True`` takes complex inputs and outputs and
    gives the complex derivative. ``allow_int=True`` (as in JAX) lets ``argnums`` hold
    integer and boolean leaves, whose blocks are zeros of their dtype (``jax.jacrev``'s).

    >>> import numpy as np, wire
    >>> wire.jacrev(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> wire.jacrev(lambda x, n: x * n, argnums=(0, 1), allow_int=True)(2.0, 3)
    (array(3.), array(0))
    """

    statics = static_nums(static_argnums, f, static_argnames)

    @functools.wraps(f)
    def jacrev_f(*args, **kwargs):
        nums = _argnums(argnums, len(args))
        check_statics(statics, args, "jacrev", exclude=nums)
        dyn = [args[i] for i in nums]
        leaves = tree.leaves(tuple(dyn))
        if allow_int:  # (their cotangents: zeros of their dtype, as jax.jacrev's blocks)
            leaves = [x for x in leaves if np.dtype(_dtype(x)).kind not in "biu"]
        _check_float_leaves(leaves, "jacrev", True if holomorphic else None)
        res = vjp(fix_args(f, args, kwargs, nums), *dyn, has_aux=has_aux)
        y, pullback = res[0], res[1]
        y_leaves, y_tree = tree.flatten(y)
        for v, path in zip(y_leaves, tree.leaf_paths(y_tree)):
            if np.dtype(_dtype(v)).kind not in "fc":  # as JAX: its derivative is not a float
                raise NonDifferentiableError(
                    f"jacrev needs floating-point outputs, but output {path} has dtype "
                    f"{_dtype(v)}; use wire.jacfwd (integer zeros) or make the output a float"
                    f"{at(user_location())}")
        _check_float_leaves(y_leaves, "jacrev", holomorphic, "output")
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


def jacfwd(f, argnums=0, has_aux: bool = False, *, holomorphic: bool = False,
           static_argnums=(), static_argnames=()):
    """Jacobian by forward mode, one batched JVP over the input basis (``vmap``, no loop).
    Inputs are real, as in JAX; ``holomorphic=True`` takes complex inputs and outputs and
    gives the complex derivative.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> wire.jacfwd(wnp.sin)(np.zeros(2))
    array([[1., 0.],
           [0., 1.]])
    """

    statics = static_nums(static_argnums, f, static_argnames)

    @functools.wraps(f)
    def jacfwd_f(*args, **kwargs):
        nums = _argnums(argnums, len(args))
        check_statics(statics, args, "jacfwd", exclude=nums)
        dyn = tuple(args[i] for i in nums)
        d_leaves, d_tree = tree.flatten(dyn)
        _check_float_leaves(d_leaves, "jacfwd", holomorphic)
        shapes, sizes = _sizes(d_leaves)
        basis = _basis(shapes, sizes, [_dtype(v) for v in d_leaves])
        g = fix_args(f, args, kwargs, nums)
        if has_aux:  # aux does not depend on the tangents: one forward pass gives it
            def push(*t):  # (_jvp: integer outputs get integer zero blocks, as in JAX)
                _, out, tan = _jvp(g, dyn, tree.unflatten(d_tree, list(t)), True, True, (), ())
                return tan[0], out[1]
            tans, aux = vmap(push, out_axes=(0, None))(*basis)
        else:
            def push(*t):
                return _jvp(g, dyn, tree.unflatten(d_tree, list(t)), False, True, (), ())[2]
            tans = vmap(push)(*basis)
        t_leaves, t_tree = tree.flatten(tans)
        if holomorphic:
            _check_float_leaves(t_leaves, "jacfwd", True, "output")
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


def hessian(f, argnums=0, has_aux: bool = False, *, holomorphic: bool = False,
            static_argnums=(), static_argnames=()):
    """Hessian ``jacfwd(jacrev(f))``: block of shape ``out + in + in``. Other arguments and
    keyword arguments are passed to ``f`` as they are. With ``has_aux``, ``f`` returns
    ``(out, aux)`` and the result is ``(hessian, aux)`` (as ``jax.hessian``).

    >>> import numpy as np, wire
    >>> wire.hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    static_argnums = static_nums(static_argnums, f, static_argnames)
    return jacfwd(jacrev(f, argnums, has_aux, holomorphic=holomorphic,
                         static_argnums=static_argnums),
                  argnums, has_aux, holomorphic=holomorphic, static_argnums=static_argnums)


def hvp(f, argnums=0, *, static_argnums=(), static_argnames=()):
    """Hessian-vector product ``hvp(f)(x, v) = H(x) @ v``, forward-over-reverse: the Hessian
    is never formed. ``x`` and ``v`` may be pytrees of the same structure. More positional
    arguments after ``v`` and keyword arguments go to ``f`` after ``x``, as they are
    (``hvp(f)(x, v, a)`` is the Hessian of ``f(x, a)`` in ``x``); ``static_argnums`` (or
    ``static_argnames``, by parameter name) counts ``f``'s arguments.

    >>> import numpy as np, wire
    >>> wire.hvp(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([ 6., 12.])
    """
    statics = static_nums(static_argnums, f, static_argnames)

    def hvp_f(x, v, *rest, **kwargs):
        check_statics(statics, (x, *rest), "hvp", exclude=(0,))
        g = grad(lambda x_: f(x_, *rest, **kwargs), argnums) if rest or kwargs else \
            grad(f, argnums)
        return jvp(g, (x,), (v,))[1]

    return traced(hvp_f)
