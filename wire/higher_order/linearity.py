"""Which values a computation is linear in — through ``cond``, ``scan`` and ``checkpoint``.

``wire.linear_transpose`` refuses a function that is not linear in its arguments, and a
custom rule that must be linear in its seed (a ``custom_vjp``'s ``bwd`` in the output
cotangent, a ``custom_jvp`` rule in the tangents) is refused when it is not:
:func:`nonlinear_node` walks a graph from the inputs it is to be linear in and names the
first node that is not linear in them, entering the sub-graphs of control flow — a
``cond`` is linear in its operands if its predicate is not computed from them and every
branch is linear in them; a ``scan`` (``fori_loop`` with static bounds) if its body is, the
carries computed from them found as a fixed point over the steps; a ``while_loop`` does not
transpose at all, but wire's own ``recomputing_while`` (whose reverse mode recomputes the
steps: :func:`wire.higher_order.while_loop.reversible_while`) does, as a scan does, when its
predicate is not computed from them. :data:`LINEAR_IN_FLOATS` lists the primitives linear in their
floating-point operands; a custom call of wire's library may declare the arguments it is
linear in (:func:`linear_operands`: the real FFTs, the linear solves in their right-hand side).
"""

from __future__ import annotations

from typing import NamedTuple

from ..ir import Graph, Node

__all__ = ["CONTROL_FLOW", "LINEAR_IN_FLOATS", "LINEAR_OPS", "Declared", "Nonlinear",
           "control_flow_linear", "depends_on_outside", "linear_operands", "nonlinear_node"]


# linear in each floating-point operand (the others: indices, masks, shapes): zero where
# those operands are all zero (the custom-rule checks start from these too)
LINEAR_IN_FLOATS = frozenset((
    "add", "sub", "neg", "reshape", "transpose", "swapaxes", "broadcast_to", "broadcast_like",
    "sum_to_like", "concatenate", "getitem", "reduce_sum", "reduce_sum_where", "reduce_sum_as",
    "cumsum",
    "real", "imag", "conj", "complex", "fft", "select", "scatter", "scatter_add",
    "scatter_addto", "convert", "remat_barrier", "checkpoint_name", "proj"))

# the primitives linear in all their (floating-point) operands, and the products linear in
# one operand when the others are constant (a quotient in its numerator, solve(a, b) in b;
# lstsq(a, b)'s solution in b, in nonlinear_node); anything else computed from the
# arguments makes linear_transpose refuse the function (as JAX's has no transpose rule for it)
LINEAR_OPS = (LINEAR_IN_FLOATS - {"proj"}) | {"full_like"}
# the control flow whose sub-graphs nonlinear_node enters; a node of these is not checked
# again by the dependence check after the tangent map (or a rule's transpose) is built (its
# tangent node takes the primal operands along, whether or not it reads them)
CONTROL_FLOW = frozenset(("cond", "scan", "checkpoint", "recomputing_while"))
_CUSTOM_CALLS = frozenset(("custom_jvp_call", "custom_vjp_call"))


NOT_LINEAR = "the function is not linear in its arguments"
PREDICATE = ("the predicate of wire.cond (the index of wire.switch) is computed from the "
             "arguments (JAX's linear_transpose refuses it too)")


WHILE_PREDICATE = ("the predicate of a while loop (its trip count) is computed from the "
                   "arguments")


class Nonlinear(NamedTuple):
    """Why a function (or a custom rule) is refused as not linear: ``node`` of ``graph`` (a
    sub-graph ``where`` says which, ``""`` for the function's own) and the reason."""
    node: Node
    graph: Graph
    where: str
    why: str


def nonlinear_node(graph: Graph, linear=None) -> tuple[Nonlinear | None, list]:
    """The first node of ``graph`` computed from its ``linear`` inputs (all if None) that
    is not linear in them, or None; and per output, whether it is computed from them.
    Its other inputs (and free leaves) are constants.

    An integer or boolean computed from the arguments is refused where it is used (so a
    ``cond`` predicate is named as one), or at the node that made it if nothing uses it.

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda x, y: wire.cond(y > 0, lambda v: 2.0 * v, lambda v: -v, x) * y,
    ...                1.0, 1.0)
    >>> nonlinear_node(g, [True, False])[0] is None          # linear in x
    True
    >>> nonlinear_node(g, [False, True])[0].why == PREDICATE  # not in y: the predicate reads it
    True
    """
    lin_in = [True] * len(graph.inputs) if linear is None else linear
    found = {x for x, f in zip(graph.inputs, lin_in) if f}
    parts: dict = {}  # multi-output node -> per output, whether it is computed from them
    tainted: dict = {}  # integer/bool node computed from the arguments -> its Nonlinear
    quadratic: dict = {}  # (multi-output node, index) -> why that output is not linear

    def refuse(n, why, where=""):
        return Nonlinear(n, graph, where, why)

    for n in graph.nodes:
        if n.is_leaf:
            continue
        name = n.op.name
        if name == "proj" and n.inputs[0] in parts:
            if (n.inputs[0], n.params["index"]) in quadratic:  # (used: in the graph)
                return refuse(n, quadratic[n.inputs[0], n.params["index"]]), []
            if parts[n.inputs[0]][n.params["index"]]:
                found.add(n)
            continue
        if name == "cond" and n.inputs[0] in tainted:
            return refuse(n, PREDICATE), []
        first = next((tainted[x] for x in n.inputs if x in tainted), None)
        if first is not None:
            if not isinstance(n.aval, tuple) and n.aval.dtype.kind not in "fc":
                tainted[n] = first  # (x > 0 converted to an integer)
                continue
            return first, []
        lin = [x in found for x in n.inputs]
        if not any(lin):
            continue
        avals = n.aval if isinstance(n.aval, tuple) else (n.aval,)
        if name in CONTROL_FLOW:
            bad, outs = control_flow_linear(graph, n, lin)
            if bad is not None:
                return bad, []
            if any(o and a.dtype.kind not in "fc" for o, a in zip(outs, avals)):
                return refuse(n, f"{NOT_LINEAR}: an integer output of wire.{name} is "
                              f"computed from them"), []
            parts[n] = outs
            continue
        if name == "lstsq" and not lin[0]:
            # x = pinv(a) b is linear in b, the singular values are a's; the squared
            # residual norms are not (refused where they are used), as in JAX
            parts[n] = [True, False, False]
            quadratic[n, 2] = (f"{NOT_LINEAR}: it uses the residuals of lstsq (their squared "
                               f"norms) of a right-hand side computed from them")
            continue
        decl = linear_operands(n.params["rule"]) if name in _CUSTOM_CALLS else None
        if decl is not None:
            if not all(d for d, f in zip(decl.operands, lin) if f):
                return refuse(n, f"{NOT_LINEAR}: it applies {decl.name or repr(name)} to a "
                              f"value computed from them{decl.where}"), []
            parts[n] = [a.dtype.kind in "fc" for a in avals]
            continue
        if name == "while":
            return refuse(n, "wire.while_loop does not transpose (nor does it in JAX: use "
                          "wire.scan or wire.fori_loop with static bounds)"), []
        if any(a.dtype.kind not in "fc" for a in avals):
            tainted[n] = refuse(n, f"{NOT_LINEAR}: it applies {name!r} to a value "
                                f"computed from them")
            continue  # an integer or bool computed from the arguments: refused where used
        found.add(n)
        if name in LINEAR_OPS or (name in ("mul", "matmul") and sum(lin) == 1) or (
                name in ("div", "solve") and lin[-1] == (name == "solve") and sum(lin) == 1):
            continue
        return refuse(n, f"{NOT_LINEAR}: it applies {name!r} to a value computed from them" + (
            " (JAX's linear_transpose refuses it too)" if name in (
                "stop_gradient", "custom_vjp_call") else "")), []
    if tainted:
        return next(iter(tainted.values())), []
    return None, [o in found for o in graph.outputs]


class Declared(NamedTuple):
    """A custom call declared linear in some of its operands (the others constants):
    ``operands`` flags them, ``name`` names the function, ``where`` says which arguments
    it is linear in (for a refusal)."""
    operands: tuple
    name: str
    where: str


def linear_operands(rule) -> Declared | None:
    """Which operands of a custom call (its ``rule`` param) the function is declared linear
    in, or None. A ``wire.custom_jvp``/``custom_vjp`` of wire's own library declares it with
    an attribute ``_linear_in``: ``True`` (linear in all its arguments, jointly), or a
    function of the static (``nondiff_argnums``) arguments giving ``(name, positions,
    what)``: the function's name, the positions of the differentiable arguments it is
    linear in when the others are constants, and their names (for a refusal). Its tangent
    in those positions is then the call itself on the tangents (the derivative of a linear
    map: :func:`wire.higher_order.custom.linear_tangent`), which linear_transpose transposes
    by the call's reverse mode (a solve's: the transposed solve). Closed-over values are
    never linear. A user's custom rule declares nothing (its rule may be anything: a
    straight-through estimator's identity), so it is refused, as in JAX.

    Declared so: wire's NumPy-valued real FFTs (``rfft``, ``irfft`` … in
    :mod:`wire.numpy._host_valued`) in their argument; in the right-hand side, the
    SciPy-valued solves of ``wire.scipy.linalg`` (``scipy_valued(..., linear=)``:
    ``solve``, ``solve_triangular``, ``cho_solve``, ``lu_solve``, the banded, Toeplitz,
    Sylvester and Lyapunov solvers) and ``wire.lax.custom_linear_solve`` (so
    ``wire.scipy.sparse.linalg.cg``, ``gmres``, ``bicgstab``).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> g = wire.trace(wnp.fft.rfft, np.ones(4))
    >>> linear_operands(next(n for n in g.nodes if n.op.name == "custom_jvp_call").params[
    ...     "rule"]).operands
    (True,)
    >>> a = np.array([[2.0, 1.0], [0.0, 1.0]])
    >>> g = wire.trace(lambda b: wire.scipy.linalg.solve_triangular(a, b), np.ones(2))
    >>> linear_operands(next(n for n in g.nodes if n.op.name == "custom_vjp_call").params[
    ...     "rule"]).operands                   # (a, b): linear in b
    (False, True)
    """
    inner = _unbatched(rule)
    owner = getattr(inner, "owner", None)
    module = getattr(getattr(owner, "fun", None), "__module__", None) or ""
    if not module.startswith("wire.") or module == "wire.extend":  # (users' rules there)
        return None
    decl = getattr(owner, "_linear_in", False)
    if decl is True:
        args, name, where = range(len(inner.in_tree.children)), "", ""
    elif callable(decl):
        name, args, what = decl(*inner.static)
        if not args:
            return None
        where = (f" in an argument other than {what} (it is linear in {what} alone, the "
                 f"others constants; JAX's linear_transpose refuses it too)")
    else:
        return None
    flags = []
    for k, child in enumerate(inner.in_tree.children):
        flags += [k in args] * child.num_leaves
    return Declared(tuple(flags) + (False,) * len(inner.closed), name, where)


def _unbatched(rule):
    """The rule of the unbatched call behind ``rule`` (a rule that went through ``vmap``
    holds it as ``inner``)."""
    while hasattr(rule, "inner"):
        rule = rule.inner
    return rule


def control_flow_linear(graph: Graph, n: Node, lin: list) -> tuple[Nonlinear | None, list]:
    """``nonlinear_node`` through a cond, scan or checkpoint node whose operands flagged
    in ``lin`` are computed from the arguments: the sub-graph's first non-linear node and
    which of the node's outputs are computed from them.

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda x, w: wire.scan(lambda c, v: (c * w + v, c), 0.0, x), np.ones(3),
    ...                2.0)
    >>> loop = next(n for n in g.nodes if n.op.name == "scan")
    >>> [n.aval for n in loop.inputs]                 # (w, the carry, xs)
    [f64[], f64[], f64[3]]
    >>> control_flow_linear(g, loop, [False, False, True])        # linear in xs
    (None, [True, True])
    >>> control_flow_linear(g, loop, [True, False, True])[0].why  # not in w and xs together
    "the function is not linear in its arguments: it applies 'mul' to a value computed from them"
    """
    name = n.op.name

    def inside(bad: Nonlinear, where: str) -> Nonlinear:
        return bad._replace(where=(bad.where + ", " if bad.where else "") + where)

    if name == "cond":
        if lin[0]:
            return Nonlinear(n, graph, "", PREDICATE), []
        outs = [False] * len(n.aval)
        for k, branch in enumerate(n.params["branches"]):
            bad, got = nonlinear_node(branch, lin[1:])
            if bad is not None:
                kind = ("the false branch", "the true branch")[k] if len(
                    n.params["branches"]) == 2 else f"branch {k}"
                return inside(bad, f"in {kind} of wire.cond/switch"), []
            outs = [a or b for a, b in zip(outs, got)]
        return None, outs
    if name == "checkpoint":
        bad, outs = nonlinear_node(n.params["body"], lin)
        return (None, outs) if bad is None else (inside(bad, "in wire.checkpoint"), [])
    if name == "recomputing_while":  # operands (cond consts, body consts, carry)
        ncc, nbc, body = n.params["cond_nconsts"], n.params["body_nconsts"], n.params["body"]
        nc, nk, before = nbc, len(lin) - ncc - nbc, ncc
        loop = "the body of a while loop"
    else:
        body, nc, nk = n.params["body"], n.params["num_consts"], n.params["num_carry"]
        before, loop = 0, "the body of wire.scan/fori_loop"
    cc_lin, lin = list(lin[:before]), list(lin[before:])
    carry = lin[nc:nc + nk]
    while True:  # the carries computed from the arguments: a fixed point over the steps
        bad, outs = nonlinear_node(body, lin[:nc] + carry + lin[nc + nk:])
        if bad is not None:
            return inside(bad, f"in {loop}"), []
        new = [a or b for a, b in zip(carry, outs[:nk])]
        if new == carry:
            break
        carry = new
    if name == "recomputing_while":  # the trip count: the predicate must not read them
        cond = n.params["cond"]
        bad, got = nonlinear_node(cond, cc_lin + carry)
        if bad is not None or any(got):
            return Nonlinear(n, graph, "", WHILE_PREDICATE), []
    return None, new + outs[nk:]


def depends_on_outside(nodes, targets: set) -> Node | None:
    """A node of ``targets`` that one of ``nodes`` is computed from, or None, not looking
    through the operands of control flow (checked by :func:`nonlinear_node` instead).

    >>> import wire
    >>> g = wire.trace(lambda x: (x * 2.0, wire.cond(True, lambda v: v, lambda v: -v, x)), 1.0)
    >>> x = g.inputs[0]
    >>> depends_on_outside([g.outputs[0]], {x}) is x, depends_on_outside([g.outputs[1]], {x})
    (True, None)
    """
    seen, stack = set(), [n for n in nodes if n is not None]
    while stack:
        n = stack.pop()
        if n in targets:
            return n
        if id(n) in seen or n.op.name in CONTROL_FLOW:
            continue
        seen.add(id(n))
        stack.extend(n.inputs)
    return None
