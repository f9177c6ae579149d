"""The two generic primitives behind ``wire.custom_jvp`` and ``wire.custom_vjp``.

A custom call's operands are the leaves of the differentiable arguments, then the *closed-over
values*: traced values of an enclosing computation that the function or its rules use (closure
conversion, done by ``wire.api.custom``). Its params are the user's function as a closed
sub-graph over all operands (so evaluation and printing need nothing special) and a
:class:`CustomRule`: which user object holds the rules, the static (``nondiff_argnums``)
arguments, and the closed-over values as the rules see them. The registry stays closed: users
never add primitives, they parametrise these two.

How derivatives are taken, and the checks on what a user's rule returns:

* the differentiable arguments get the user's rule; the closed-over values are differentiated
  through the function itself (its graph), so ``d/dy`` of a function closing over ``y`` is
  exact whatever the rule says about the arguments;
* the rule's code refers to the closed-over values as they were when it was defined; every
  value it returns is rebuilt on the node's current operands, so a rule works unchanged in a
  derivative graph, under ``vmap`` and after its trace has closed (no stale tracer escapes);
* each rule's result also says how it computes the primal outputs (``fwd``'s output, the JVP
  rule's primal), which the drivers put in the derivative graph in place of the call
  (:class:`wire.transforms.vjp.WithPrimals`): a rule applies once, and outer derivatives
  differentiate its code, as in JAX;
* outputs, tangents and cotangents must have the shape and dtype of the value they belong to
  (a Python number counts as weakly typed); anything else raises a ``WireError`` naming both.
"""

from __future__ import annotations

import numpy as np


from .. import tree
from ..core import TraceTag, Tracer, bind, evaluate_flat, to_tracer, trace
from ..core.tracer import call_rebound
from ..core.values import depends_on_leaves
from ..core.lowering import xp_run_graph
from ..core.primitive import Primitive
from ..core.formula import call_graph as call_graph_formula
from ..core.taylor import BY_JVP
from ..errors import (NonDifferentiableError, ShapeError, WireError, WireTypeError, at,
                      user_location)
from ..ir import Graph, arg_node, substitute, toposort
from ..ops.batching import batch_size, to_front
from ..ops.elementwise import cos, exp, log1p, sin
from ..ops.layout import full, zeros_like_
from ..ops.reductions import reduce_sum
from ..transforms.jvp import forward, forward_and_primals
from ..transforms.vjp import WithPrimals, backward
from ..transforms.vmap import vmap_flat, vmap_leaves
from .linearity import (
    CONTROL_FLOW, LINEAR_IN_FLOATS, NOT_LINEAR, PREDICATE, Nonlinear, control_flow_linear,
    depends_on_outside, linear_operands, nonlinear_node,
)
from .subgraph import jet_inline

__all__ = ["CustomRule", "BatchedRule", "custom_jvp_call_p", "custom_vjp_call_p",
           "merge_static"]


# --------------------------------------------------------------------------- the rule param


class CustomRule:
    """The ``rule`` param of a custom call: ``owner`` (the ``wire.custom_jvp``/``custom_vjp``
    object holding the user's rules and ``nondiff_argnums``), ``static`` (the values of the
    nondiff arguments), ``in_tree`` (the structure of the differentiable arguments),
    ``closed`` (the nodes of the closed-over values as the rules captured them, one per
    trailing operand) and ``graph`` (the function's graph, as in the ``graph`` param).

    Equal fields make equal rules, so two calls on the same values are one node.
    """

    __slots__ = ("owner", "static", "in_tree", "closed", "graph", "key", "_hash")

    def __init__(self, owner, static: tuple, in_tree, closed: tuple, graph: Graph, key=None):
        sa = object.__setattr__
        sa(self, "owner", owner)
        sa(self, "static", tuple(static))
        sa(self, "in_tree", in_tree)
        sa(self, "closed", tuple(closed))
        sa(self, "graph", graph)
        # ``key``: a hashable standing for ``owner`` (wire.api compares custom functions by
        # their code and captured values, so one defined afresh at every call of a library
        # function, such as odeint's, gives equal rules); without it (a loaded graph's rule),
        # owner's identity. The hash leaves the owner out, so the two kinds can be equal.
        sa(self, "key", key)
        sa(self, "_hash", hash((self.static, in_tree, self.closed, graph)))

    def __setattr__(self, name, value):
        raise AttributeError("custom rules are immutable")

    def with_graph(self, graph: Graph) -> "CustomRule":
        """This rule for ``graph``, the same function's graph made otherwise (simplified)."""
        return CustomRule(self.owner, self.static, self.in_tree, self.closed, graph, self.key)

    def __eq__(self, other):
        # the class by the method's cell, not the module global: interpreter exit clears
        # globals while weakref callbacks still compare nodes
        if not isinstance(other, __class__) or self._hash != other._hash:
            return False
        if self.key is None or other.key is None:
            same_owner = self.owner is other.owner
        else:
            same_owner = self.key == other.key
        return (same_owner and self.static == other.static and self.in_tree == other.in_tree
                and self.closed == other.closed and self.graph == other.graph)

    def __hash__(self):
        return self._hash

    @property
    def name(self) -> str:
        return getattr(self.owner, "__name__", "custom")

    @property
    def n_args(self) -> int:
        """How many operands are argument leaves (the closed-over values follow)."""
        return self.in_tree.num_leaves

    def __repr__(self):
        return self.name


class BatchedRule:
    """The rule of a custom call that went through ``vmap``: ``inner`` (the rule of the
    unbatched call) applied to every example, ``dims`` the batch axis of each operand (0 or
    ``None``; batched operands are moved to the front first), ``graph`` the batched graph."""

    __slots__ = ("inner", "dims", "graph", "_hash")

    def __init__(self, inner, dims: tuple, graph: Graph):
        sa = object.__setattr__
        sa(self, "inner", inner)
        sa(self, "dims", tuple(dims))
        sa(self, "graph", graph)
        sa(self, "_hash", hash((inner, self.dims, graph)))

    def __setattr__(self, name, value):
        raise AttributeError("custom rules are immutable")

    def with_graph(self, graph: Graph) -> "BatchedRule":
        """This rule for ``graph``, the same batched graph made otherwise (simplified)."""
        return BatchedRule(self.inner, self.dims, graph)

    def __eq__(self, other):
        return (isinstance(other, __class__) and self._hash == other._hash  # (see CustomRule)
                and self.inner == other.inner and self.dims == other.dims
                and self.graph == other.graph)

    def __hash__(self):
        return self._hash

    @property
    def name(self) -> str:
        return self.inner.name

    def __repr__(self):
        return f"vmap({self.inner!r})"


def merge_static(nondiff_argnums, static, dyn) -> tuple:
    """The full positional argument tuple: ``static`` values at ``nondiff_argnums``, the
    differentiable ``dyn`` arguments in order around them (as the user wrote the call).

    >>> merge_static((1,), ("s",), ("a", "b"))
    ('a', 's', 'b')
    """
    pos = dict(zip(nondiff_argnums, static))
    rest = iter(dyn)
    return tuple(pos[i] if i in pos else next(rest) for i in range(len(pos) + len(dyn)))


def flatten_like(value, treedef) -> list:
    """The leaves of ``value`` in the structure ``treedef``, where a ``None`` in place of a
    subtree stands for its leaves being ``None`` (a zero derivative, as JAX allows);
    ``None`` if the structures differ otherwise (a node of another type counts as different:
    a namedtuple or dataclass with the same fields is not taken by position, as in JAX).

    >>> flatten_like((1.0, None), tree.flatten((0.0, {"a": 0.0, "b": 0.0}))[1])
    [1.0, None, None]
    """
    out: list = []

    def go(v, td) -> bool:
        if v is None and td.kind != "none":
            out.extend([None] * td.num_leaves)
            return True
        leaves, vt = tree.flatten(v)
        if vt == td:
            out.extend(leaves)
            return True
        if td.kind in ("leaf", "none") or vt.kind != td.kind or vt.type is not td.type \
                or vt.aux != td.aux or len(vt.children) != len(td.children):
            return False
        k = 0
        for vc, tc in zip(vt.children, td.children):
            child = tree.unflatten(vc, leaves[k:k + vc.num_leaves])
            k += vc.num_leaves
            if not go(child, tc):
                return False
        return True

    return out if go(value, treedef) else None


# --------------------------------------------------------------------------- checking results


def _leaf_aval(v):
    """``(shape, dtype or None)`` of a rule's output leaf; ``None`` dtype for a Python
    number (weakly typed: it takes the dtype of the value it stands for)."""
    if isinstance(v, Tracer):
        return v.shape, v.dtype
    if isinstance(v, (bool, np.bool_)):
        return (), np.dtype(bool)
    if isinstance(v, (int, float, complex)) and not isinstance(v, np.generic):
        return (), None
    a = np.asarray(v)
    return a.shape, a.dtype


def fit_leaves(leaves, avals, who: str, what: str, *, derivative: bool, close: str = "") -> list:
    """``leaves`` (a rule's output) checked against ``avals`` and made tracers.

    A leaf must have its aval's shape and dtype (a Python number takes the dtype). For a
    ``derivative`` (tangent, cotangent) of a value that is not floating (an integer input),
    the leaf is ignored (``None``): such values have no derivative.
    """
    out = []
    for i, (v, a) in enumerate(zip(leaves, avals)):
        what_i = f"{what} {i}{close}"
        if derivative and not a.is_float:
            out.append(None)
            continue
        if v is None:
            if derivative:
                out.append(None)
                continue
            raise WireError(f"{who}: {what_i} is None where {a!r} was expected"
                            + at(user_location()))
        try:
            shape, dtype = _leaf_aval(v)
        except Exception:
            raise WireTypeError(f"{who}: {what_i} is a {type(v).__name__}, not an array "
                                f"(expected {a!r}){at(user_location())}") from None
        if tuple(shape) != tuple(a.shape):
            raise ShapeError(f"{who}: {what_i} has shape {tuple(shape)}, but it must match "
                             f"{a!r}{at(user_location())}")
        if dtype is not None and dtype != a.dtype:
            raise WireTypeError(
                f"{who}: {what_i} has dtype {dtype}, but it must match {a!r} (a "
                f"{'derivative' if derivative else 'value'} has the dtype of its "
                f"{'primal' if derivative else 'function output'}; cast it with "
                f".astype){at(user_location())}")
        t = to_tracer(v) if isinstance(v, Tracer) else to_tracer(np.asarray(v, a.dtype))
        out.append(t)
    return out


def _pair(result, who: str, what: str):
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise WireError(f"{who} must return a pair {what}, got "
                        f"{type(result).__name__}{at(user_location())}")
    return result


def _same_tree(got, want, who: str, what: str):
    if got != want:
        raise WireError(f"{who}: {what} has structure {got!r}, but the function returns "
                        f"{want!r}{at(user_location())}")


def _closure_map(rule: CustomRule, xs) -> dict:
    """Closed-over nodes as the rules captured them -> the node's current operands."""
    n = rule.n_args
    return {c: to_tracer(x).node for c, x in zip(rule.closed, xs[n:])
            if c is not to_tracer(x).node}


def _rebuilt(values, mapping: dict) -> list:
    """Tracers (or None) with the captured closed-over nodes replaced by current ones."""
    if not mapping:
        return list(values)
    present = [v.node for v in values if v is not None]
    new = iter(substitute(present, mapping))
    return [None if v is None else Tracer(next(new)) for v in values]


def _graph_jvp(graph: Graph, xs, ts) -> list:
    """Tangents of ``graph``'s outputs at operands ``xs`` given some operand tangents ``ts``
    (``None`` = zero), by differentiating the graph itself: on its own inputs, so that an
    operand computed from another is not counted twice, then moved onto ``xs``."""
    ins, outs = _private_inputs(graph)
    got = forward(outs, ins, list(ts))
    return _rebuilt(got, dict(zip(ins, [to_tracer(x).node for x in xs])))


def _graph_vjp(graph: Graph, xs, cts, wanted) -> list:
    """Cotangents of the ``wanted`` operands of ``graph`` at ``xs`` (``None`` elsewhere)."""
    ins, outs = _private_inputs(graph)
    wrt = [i for i, w in zip(ins, wanted) if w]
    got = iter(backward(outs, list(cts), wrt))
    found = [next(got) if w else None for w in wanted]
    return _rebuilt(found, dict(zip(ins, [to_tracer(x).node for x in xs])))


def _private_inputs(graph: Graph) -> tuple[list, list]:
    """``graph``'s inputs and outputs, its inputs replaced by argument nodes no other graph
    can hold. Its positional inputs may be the very nodes (interning) of the tangents or
    cotangents given with them — ``input(1)`` of the function and of the derivative graph
    being built — and moving the derivative onto the operands would then move those too."""
    tag = TraceTag()
    ins = [arg_node(i, x.aval, tag) for i, x in enumerate(graph.inputs)]
    return ins, substitute(list(graph.outputs), dict(zip(graph.inputs, ins)))


class _Private:
    """Argument nodes private to one rule call, standing for the call's operands and seeds.

    Transposing a rule walks every node its result depends on (``backward``, the
    substitution of placeholders, the linearity check). On the real operands that walk runs
    through the whole enclosing graph: once per custom call, quadratic in the length of a
    chain of them. On private stand-ins it covers the rule's own nodes; :meth:`back` then
    moves the result onto the real operands (a walk that stops at the stand-ins)."""

    __slots__ = ("tag", "count", "real")

    def __init__(self):
        self.tag, self.count, self.real = TraceTag(), 0, {}

    def fresh(self, aval) -> Tracer:
        node = arg_node(self.count, aval, self.tag)
        self.count += 1
        return Tracer(node)

    def stand_for(self, values) -> list:
        """A private stand-in for each tracer of ``values`` (``None`` stays ``None``)."""
        out = []
        for v in values:
            if v is None:
                out.append(None)
                continue
            real = to_tracer(v).node
            t = self.fresh(real.aval)
            self.real[t.node] = real
            out.append(t)
        return out

    def back(self, values) -> list:
        """``values`` (tracers or ``None``) on the real operands."""
        present = [to_tracer(v).node for v in values if v is not None]
        if not present:
            return list(values)
        moved = iter(substitute(present, self.real))
        return [None if v is None else Tracer(next(moved)) for v in values]


def _nonlinear_use(results, held) -> tuple["Nonlinear | None", bool]:
    """The first sign that ``results`` (a rule's outputs on private stand-ins: a walk over the
    rule's own nodes) are not linear in the placeholders ``held``, or ``None``; and whether
    control flow (``cond``, ``scan``, ``checkpoint``) is applied to a value computed from them.

    A piecewise-constant primitive (``floor``, ``sign``, ``stop_gradient`` …) or a comparison
    applied to such a value is not linear, though its derivative hides it (zero there). A
    control-flow node is entered (:func:`wire.higher_order.linearity.control_flow_linear`):
    it is linear if its predicate (a loop's trip count) is not computed from them and its
    branches (its body) are linear in them; a ``while_loop`` has no transpose. Where control
    flow is met, the whole of ``results`` is held to the strict rule of
    :func:`~wire.higher_order.linearity.nonlinear_node` (linear primitives, and products with
    one factor computed from them): the transpose of control flow takes its operands along,
    so it cannot show a non-linearity by depending on them."""
    dep = set(held)
    parts: dict = {}  # control-flow node -> per output, whether it is computed from them
    roots = [r.node for r in results if r is not None]
    for n in toposort(roots):
        if n in dep or not n.inputs:
            continue
        name = n.op.name
        if name == "proj" and n.inputs[0] in parts:
            if parts[n.inputs[0]][n.params["index"]]:
                dep.add(n)
            continue
        if not any(i in dep for i in n.inputs):
            continue
        if name == "while":
            return Nonlinear(n, None, "", ""), True
        if name in CONTROL_FLOW:
            bad, outs = control_flow_linear(None, n, [i in dep for i in n.inputs])
            if bad is not None:
                return bad, True
            if any(o and a.dtype.kind not in "fc" for o, a in zip(outs, n.aval)):
                return Nonlinear(n, None, "", f"an integer output of wire.{name} is computed "
                                 f"from it"), True
            parts[n] = outs
            continue
        dep.add(n)
        avals = n.aval if isinstance(n.aval, tuple) else (n.aval,)
        if n.op.nondiff or any(a.dtype.kind not in "fc" for a in avals):
            return Nonlinear(n, None, "", ""), False
    if not parts:
        return None, False
    bad, _ = nonlinear_node(Graph(list(held), roots))
    return bad, True


# products: zero where one factor is (a product of two cotangents is refused elsewhere)
_ZERO_IF_ANY = frozenset(("mul", "matmul"))
# not linear, though their derivative is the same everywhere (so transposing them hides it)
_SAWTOOTH = frozenset(("mod", "fmod"))


def _zero_at_zero(n, memo: dict, dep: set):
    """Whether ``n`` is zero wherever the placeholders (``dep`` holds them and the nodes
    computed from them) are: a constant or ``full`` of zeros, a placeholder, or a linear
    primitive of such values — a tuple of flags for a multi-output node. Control flow is
    entered (:func:`_control_zeros`). Optimistic where it cannot tell (an unlisted primitive
    of a placeholder: a custom call …), so a linear rule is never refused for it."""
    if n in memo:
        return memo[n]
    name = n.op.name
    if not n.inputs:
        if name == "const":
            z = not np.any(n.params["value"].array)
        elif name == "full":
            z = not np.any(n.params["value"])
        else:
            z = n in dep  # a placeholder (operands and residuals are not zero)
    elif name == "proj" and isinstance(n.inputs[0].aval, tuple):
        parent = _zero_at_zero(n.inputs[0], memo, dep)
        z = parent[n.params["index"]] if isinstance(parent, tuple) else parent
    elif name in _SUB_GRAPHS:
        z = _control_zeros(n, [_zero_at_zero(i, memo, dep) for i in n.inputs])
    else:
        floats = [i for i in n.inputs
                  if not isinstance(i.aval, tuple) and i.aval.dtype.kind in "fc"]
        if name in LINEAR_IN_FLOATS:
            # (an integer computed from an integer — a loop's counter — is zero only where
            # all of its operands are)
            z = all(_zero_at_zero(i, memo, dep) is True for i in floats or n.inputs)
        elif name in _ZERO_IF_ANY:
            z = any(_zero_at_zero(i, memo, dep) is True for i in floats)
        elif name == "div":
            z = bool(floats) and floats[0] is n.inputs[0] and _zero_at_zero(
                floats[0], memo, dep) is True
        else:
            z = n in dep
    memo[n] = z
    return z


# control flow, whose outputs are zero at zero as its sub-graphs' are
_SUB_GRAPHS = frozenset(("cond", "scan", "while", "checkpoint"))


def _graph_zeros(graph: Graph, in_zero) -> list:
    """Per output of ``graph``, whether it is zero where its inputs flagged in ``in_zero``
    are (each output's flag, a bool)."""
    memo = dict(zip(graph.inputs, in_zero))
    return [_zero_at_zero(o, memo, set()) is True for o in graph.outputs]


def _control_zeros(n, in_zero) -> tuple:
    """Per output of the control-flow node ``n``, whether it is zero at zero given its
    operands' flags ``in_zero``: a ``cond``'s where every branch's is; a loop's carry where
    its initial value is and the body keeps it so (a fixed point over the steps), a scan's
    per-step outputs where the body's are."""
    name, p = n.op.name, n.params
    if name == "cond":
        flags = [True] * len(n.aval)
        for branch in p["branches"]:
            flags = [a and b for a, b in zip(flags, _graph_zeros(branch, in_zero[1:]))]
        return tuple(flags)
    if name == "checkpoint":
        return tuple(_graph_zeros(p["body"], in_zero))
    if name == "scan":
        nc, nk, body = p["num_consts"], p["num_carry"], p["body"]
        before, after = list(in_zero[:nc]), list(in_zero[nc + nk:])
    else:  # while: (cond consts, body consts, carry)
        ncc, nbc, body = p["cond_nconsts"], p["body_nconsts"], p["body"]
        nk = len(in_zero) - ncc - nbc
        before, after = list(in_zero[ncc:ncc + nbc]), []
    carry = [z is True for z in in_zero[len(in_zero) - len(after) - nk:len(in_zero) - len(after)]]
    while True:
        outs = _graph_zeros(body, before + carry + after)
        new = [a and b for a, b in zip(carry, outs[:nk])]
        if new == carry:
            return tuple(new + outs[nk:])
        carry = new


def _users(rule) -> bool:
    """Whether ``rule`` is a user's (wire's own rules are checked by their tests, and some
    mark where a derivative does not exist: NaN, which no linear map gives)."""
    while isinstance(rule, BatchedRule):
        rule = rule.inner
    owner = rule.owner
    module = getattr(getattr(owner, "fun", owner), "__module__", None) or ""
    return not module.startswith("wire.") or module == "wire.extend"


def _affine_use(results, held):
    """``(node, why)`` for the first sign that ``results`` (a rule's outputs on private
    stand-ins) are not linear in the placeholders ``held`` though their transpose is
    (``results`` hold no piecewise-constant use of them, see :func:`_nonlinear_use`): a
    term not proportional to them (``g + 1``; a cotangent computed without ``g``, such as
    ``ones_like(g)``), which transposing drops, or ``mod``. ``None`` if there is none."""
    dep = set(held)
    roots = [r.node for r in results if r is not None]
    for n in toposort(roots):
        if n.inputs and any(i in dep for i in n.inputs):
            dep.add(n)
            if n.op.name in _SAWTOOTH:
                return n, None
    memo: dict = {}
    for r in roots:
        if not _zero_at_zero(r, memo, dep):
            return None, ("a term of it, like the 1 of g + 1 or a cotangent made without g, "
                          "does not vanish at zero, and a transpose would drop it")
    return None


def _not_linear(what: str, node=None, hint: str = "", why: str = "") -> NonDifferentiableError:
    how = (f" (it applies {node.op.name!r} to a value computed from it)" if node is not None
           else f" ({why})" if why else "")
    return NonDifferentiableError(what + how + (f"; {hint}" if hint else "") +
                                  at(user_location()))


def _refused(what: str, bad: Nonlinear, hint: str = "") -> NonDifferentiableError:
    """:func:`_not_linear` for a :class:`~wire.higher_order.linearity.Nonlinear` finding."""
    why = bad.why
    if bad.node is not None and bad.node.op.name == "while" and not bad.where:
        return NonDifferentiableError(
            f"{what.split(': ')[0]}: the rule applies wire.while_loop to a value computed "
            f"from its linear argument, and a while_loop has no transpose (its trip count is "
            f"not known in advance): use wire.scan or wire.fori_loop with static bounds"
            + (f"; {hint}" if hint else "") + at(user_location()))
    if why.startswith(NOT_LINEAR + ": "):
        why = why[len(NOT_LINEAR) + 2:].replace("computed from them", "computed from it")
    elif why == PREDICATE:
        why = "the predicate of wire.cond (the index of wire.switch) is computed from it"
    if not why:
        return _not_linear(what, bad.node, hint)
    return _not_linear(what, hint=hint, why=why + (f", {bad.where}" if bad.where else ""))


def _transpose(results, cts, held: list, control: bool, refuse) -> list:
    """The transpose of ``results`` (found linear in the placeholders ``held``) at the
    cotangents ``cts``: one per placeholder, ``None`` where zero. ``refuse()`` is raised if
    it depends on the placeholders (the rule is not linear after all: ``g * g``). With
    ``control`` (control flow applied to them), the transpose of the control flow takes the
    placeholders along as operands whether it reads them or not: the dependence is looked for
    outside it (the control flow was checked by :func:`_nonlinear_use`), and the transpose,
    the same at every point of a linear map, is taken at zero."""
    found = backward(results, cts, held) if results else [None] * len(held)
    held_set = set(held)
    nodes = []
    for c in found:
        if c is not None:
            if (depends_on_outside([c.node], held_set) is not None if control else
                    depends_on_leaves(c.node, held_set.__contains__)):
                raise refuse()
            nodes.append(c.node)
    if not control or not nodes:
        return list(found)
    zeros = {h: to_tracer(full(h.aval.shape, 0, h.aval.dtype)).node for h in held}
    at_zero = iter(substitute(nodes, zeros))
    return [None if c is None else Tracer(next(at_zero)) for c in found]


def _n_args(rule) -> int:
    while isinstance(rule, BatchedRule):
        rule = rule.inner
    return rule.n_args


def _stand_ins(priv: "_Private", xs, rule) -> list:
    """Private stand-ins for the argument operands; closed-over operands stay real (the
    rule's closure refers to them, see ``_closure_map``)."""
    n = _n_args(rule)
    return priv.stand_for(list(xs[:n])) + list(xs[n:])


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b


# --------------------------------------------------------------------------- custom_jvp


def call_jvp_rule(rule, xs, ts) -> tuple[list, list]:
    """The user's JVP rule at operands ``xs`` with tangents ``ts`` (``None`` = zero): the
    primal outputs and the output tangents, flat, on the current operands."""
    if isinstance(rule, BatchedRule):
        have = [t is not None for t in ts]
        dims = list(rule.dims)
        t_dims = [d for d, h in zip(dims, have) if h]

        def per_example(xs_, ts_):
            it = iter(ts_)
            return tuple(map(tuple, call_jvp_rule(rule.inner, list(xs_),
                                                  [next(it) if h else None for h in have])))

        outs, touts = vmap_leaves(per_example, (tuple(xs), tuple(t for t in ts if t is not None)),
                                  dims + t_dims)
        return list(outs), list(touts)
    owner, graph, n = rule.owner, rule.graph, rule.n_args
    who = f"custom_jvp rule of {rule.name}"
    primals = tree.unflatten(rule.in_tree, list(xs[:n]))
    tangents = tree.unflatten(rule.in_tree, [zeros_like_(x) if t is None else t
                                             for x, t in zip(xs[:n], ts[:n])])
    # the rule's Python closure may hold tracers of a finished enclosing trace (closed-over
    # values): while it runs they stand for the call's current operands
    mapping = _closure_map(rule, xs)
    result = _pair(call_rebound(owner.jvp_rule, mapping, *rule.static, primals, tangents), who,
                   "(primal_out, tangent_out)")
    p_leaves, p_tree = tree.flatten(result[0])
    _same_tree(p_tree, graph.out_tree, who, "its primal output")
    t_leaves = flatten_like(result[1], graph.out_tree)
    if t_leaves is None:
        _same_tree(tree.flatten(result[1])[1], graph.out_tree, who, "its tangent output")
    outs = fit_leaves(p_leaves, graph.out_avals, who, "primal output", derivative=False)
    touts = fit_leaves(t_leaves, graph.out_avals, who, "tangent output", derivative=True)
    if any(t is not None for t in ts[n:]):  # closed-over values: through the function itself
        extra = _graph_jvp(graph, xs, [None] * n + list(ts[n:]))
        touts = [_add(t, e) for t, e in zip(touts, extra)]
    return outs, touts


def linear_tangent(prim, ts, xs, graph, rule):
    """The output tangents of a custom call declared linear in some operands
    (:func:`wire.higher_order.linearity.linear_operands`: a solve in its right-hand side)
    when only those have tangents: the call itself on those tangents, the other operands
    as they are (JAX's derivative of a linear primitive), so the tangent never reads the
    primal values there and ``linear_transpose`` transposes it (by the call's reverse mode);
    else None (the rule gives the tangents)."""
    decl = linear_operands(rule)
    if decl is None or not any(t is not None for t in ts) or any(
            t is not None and not d for t, d in zip(ts, decl.operands)):
        return None
    args = [(zeros_like_(x) if t is None else t) if d else x
            for x, t, d in zip(xs, ts, decl.operands)]
    outs = bind(prim, *args, graph=graph, rule=rule)
    return tuple(o if o.dtype.kind in "fc" else None for o in outs)


def _custom_jvp_jvp(ts, out, *xs, graph, rule):
    touts = linear_tangent(custom_jvp_call_p, ts, xs, graph, rule)
    if touts is not None:
        return touts
    outs, touts = call_jvp_rule(rule, xs, list(ts))
    return WithPrimals(touts, outs)


def _custom_jvp_vjp(ct, out, *xs, graph, rule):
    # The JVP rule is linear in the tangents: transposing it at fresh placeholder tangents
    # gives the VJP (on private stand-ins for the operands and cotangents, see _Private).
    priv = _Private()
    pxs = _stand_ins(priv, xs, rule)
    pct = priv.stand_for(list(ct))
    holders = [priv.fresh(to_tracer(x).aval) if to_tracer(x).aval.is_float else None
               for x in xs]
    outs, touts = call_jvp_rule(rule, pxs, holders)
    live = [(t, c) for t, c in zip(touts, pct) if t is not None and c is not None]
    held = [h for h in holders if h is not None]
    what = (f"reverse mode through custom_jvp {rule.name}: its JVP rule is not linear in the "
            f"tangents, so it has no transpose (JAX refuses it too)")
    bad, control = _nonlinear_use([t for t, _ in live], [h.node for h in held])
    if bad is not None:
        raise _refused(what, bad)
    affine = _affine_use([t for t, _ in live], [h.node for h in held]) if _users(rule) else None
    if affine is not None:
        raise _not_linear(what, *affine[:1], why=affine[1] or "")
    cts = iter(_transpose([t.node for t, _ in live], [c for _, c in live],
                          [h.node for h in held], control, lambda: _not_linear(what)))
    result = [next(cts) if h is not None else None for h in holders]
    moved = priv.back(result + list(outs))
    return WithPrimals(moved[:len(result)], moved[len(result):])


def _log1pexp_graph():
    return trace(lambda x: log1p(exp(x)), np.zeros(3))


class _SampleJvp:
    """A stand-in for a ``wire.custom_jvp`` object (the registry test's sample)."""

    __name__ = "log1pexp"

    @staticmethod
    def jvp_rule(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1p(exp(x)), t * (1.0 - 1.0 / (1.0 + exp(x)))


def _sample_custom_jvp(rng):
    g = _log1pexp_graph()
    rule = CustomRule(_SampleJvp, (), tree.flatten((np.zeros(3),))[1], (), g)
    return [rng.normal(size=3)], {"graph": g, "rule": rule}


# --------------------------------------------------------------------------- batching
# The batched node is again a custom call: its function graph is the batched graph, and its
# rule is the user's rule applied to every example (so derivatives taken *after* vmap still
# use the custom rule). Batched operands get their batch axis in front first, so every
# batched value inside (outputs, residuals, cotangents) is batched along axis 0.


def custom_batch(args, dims, *, graph, rule, prim):
    size = batch_size(args, dims)
    xs = [x if d is None else to_front(x, d) for x, d in zip(args, dims)]
    in_dims = tuple(None if d is None else 0 for d in dims)
    out_dims = [0] * len(graph.outputs)
    new_graph = vmap_flat(graph, list(in_dims), size, out_dims)
    outs = bind(prim, *xs, graph=new_graph, rule=BatchedRule(rule, in_dims, new_graph))
    return tuple(outs), tuple(out_dims)


def _custom_jvp_batch(args, dims, *, graph, rule):
    return custom_batch(args, dims, graph=graph, rule=rule, prim=custom_jvp_call_p)


def _run_graph(*args, graph, **_):
    return tuple(evaluate_flat(graph, list(args)))


def _out_avals(*avals, graph, **_):
    return tuple(graph.out_avals)


custom_jvp_call_p = Primitive(
    "custom_jvp_call",
    _run_graph,
    _out_avals,
    jvp=_custom_jvp_jvp,
    vjp=_custom_jvp_vjp,
    batch=_custom_jvp_batch,
    sample=_sample_custom_jvp,
    call_graph="graph",
    xp=xp_run_graph("graph"),
    doc="a user function (graph param) with a user-defined JVP rule (wire.custom_jvp)",
    sympy=call_graph_formula,
    # the user's rule, differentiated again for the higher orders (as nested jvp does)
    taylor=BY_JVP,
)


# --------------------------------------------------------------------------- custom_vjp


def call_vjp_rule(rule, xs, cts) -> tuple[list, list]:
    """The user's ``fwd``/``bwd`` at operands ``xs`` with output cotangents ``cts``: the
    primal outputs as ``fwd`` computes them and one cotangent (or ``None``) per operand."""
    if isinstance(rule, BatchedRule):
        dims = list(rule.dims)

        def per_example(xs_, cts_):
            outs, in_cts = call_vjp_rule(rule.inner, list(xs_), list(cts_))
            return tuple(outs), tuple(in_cts)

        outs, in_cts = vmap_leaves(per_example, (tuple(xs), tuple(cts)), dims + [0] * len(cts))
        # a value shared by every example gets the sum of their cotangents
        in_cts = [c if c is None or d == 0 else reduce_sum(c, (0,))
                  for c, d in zip(in_cts, dims)]
        return list(outs), in_cts
    owner, graph, n = rule.owner, rule.graph, rule.n_args
    primals = tree.unflatten(rule.in_tree, list(xs[:n]))
    args = merge_static(owner.nondiff_argnums, rule.static, tuple(primals))
    who = f"custom_vjp fwd of {rule.name}"
    mapping = _closure_map(rule, xs)  # closed-over values, as in call_jvp_rule
    res = _pair(call_rebound(owner.fwd, mapping, *args), who, "(output, residuals)")
    p_leaves, p_tree = tree.flatten(res[0])
    _same_tree(p_tree, graph.out_tree, who, "its output")
    outs = fit_leaves(p_leaves, graph.out_avals, who, "output", derivative=False)
    ct_tree = tree.unflatten(graph.out_tree, list(cts))
    got = call_rebound(owner.bwd, mapping, *rule.static, res[1], ct_tree)
    in_cts = _bwd_leaves(got, primals, xs[:n], f"custom_vjp bwd of {rule.name}")
    wanted = [False] * n + [to_tracer(x).aval.is_float for x in xs[n:]]
    if any(wanted):  # closed-over values: through the function itself
        in_cts = in_cts + _graph_vjp(graph, xs, cts, wanted)[n:]
    else:
        in_cts = in_cts + [None] * (len(xs) - n)
    return outs, in_cts


def _bwd_leaves(got, primals, x_leaves, who: str) -> list:
    """``bwd``'s result checked against the differentiable arguments, flat."""
    if not isinstance(got, (tuple, list)):
        raise WireError(
            f"{who} must return a tuple with one cotangent per differentiable argument "
            f"({len(primals)}), got a {type(got).__name__}" + at(user_location())
        )
    if len(got) != len(primals):
        raise WireError(
            f"{who} returned {len(got)} cotangents for {len(primals)} differentiable "
            "arguments" + at(user_location())
        )
    flat = []
    avals = [to_tracer(x).aval for x in x_leaves]
    k = 0
    for i, (g, p) in enumerate(zip(got, primals)):
        p_tree = tree.flatten(p)[1]
        m = p_tree.num_leaves
        if g is None:
            flat.extend([None] * m)
            k += m
            continue
        g_leaves = flatten_like(g, p_tree)
        if g_leaves is None:
            raise WireError(
                f"{who}: cotangent {i} has structure {tree.flatten(g)[1]!r}, but argument {i} "
                f"has {p_tree!r}" + at(user_location())
            )
        flat.extend(fit_leaves(g_leaves, avals[k:k + m], who, f"cotangent {i} (leaf",
                               derivative=True, close=")"))
        k += m
    return flat


def _custom_vjp_vjp(ct, out, *xs, graph, rule):
    outs, in_cts = call_vjp_rule(rule, xs, list(ct))
    return WithPrimals(in_cts, outs)


def _custom_vjp_jvp(ts, out, *xs, graph, rule):
    touts = linear_tangent(custom_vjp_call_p, ts, xs, graph, rule)
    if touts is not None:
        return touts
    if _forward_through_function(rule):
        return _function_jvp(ts, out, xs, graph)
    # ``bwd`` is the linear map ct -> J^T ct at the operands: reverse mode through it, at
    # placeholder cotangents, is its transpose t -> J t. So forward mode takes the user's
    # derivative, the one reverse mode takes (JAX refuses forward mode here).
    priv = _Private()
    pxs = _stand_ins(priv, xs, rule)
    pts = priv.stand_for(list(ts))
    holders = [priv.fresh(to_tracer(o).aval) if to_tracer(o).aval.is_float else None
               for o in out]
    cts = [zeros_like_(o) if h is None else h for h, o in zip(holders, out)]
    outs, in_cts = call_vjp_rule(rule, pxs, cts)
    live = [(c, t) for c, t in zip(in_cts, pts) if c is not None and t is not None]
    held = [h.node for h in holders if h is not None]
    bad, control = _nonlinear_use([c for c, _ in live], held)
    not_linear = (f"forward mode through custom_vjp {rule.name}: its bwd is not linear in the "
                  f"output cotangent")
    if bad is not None:
        raise _refused(not_linear, bad, _FORWARD_HINT)
    affine = _affine_use([c for c, _ in live], held) if _users(rule) else None
    if affine is not None:
        raise _not_linear(not_linear, affine[0], _FORWARD_HINT, affine[1] or "")
    found = [None] * len(held)
    if live and held:
        try:
            found = _transpose(
                [c.node for c, _ in live], [t for _, t in live], held, control,
                lambda: NonDifferentiableError(
                    f"{not_linear}, so it defines no derivative to push a tangent through; "
                    f"{_FORWARD_HINT}" + at(user_location())))
        except NonDifferentiableError as e:
            if str(e).startswith(not_linear):
                raise
            raise NonDifferentiableError(
                f"forward mode through custom_vjp {rule.name}: its bwd cannot be transposed "
                f"({e}); {_FORWARD_HINT}") from None
    found = iter(found)
    touts = [next(found) if h is not None else None for h in holders]
    moved = priv.back(touts + list(outs))
    touts = [zeros_like_(o) if t is None else t for t, o in zip(moved[:len(touts)], out)]
    return WithPrimals(tuple(touts), moved[len(touts):])


_FORWARD_HINT = ("give the function a custom_jvp rule instead (JAX refuses forward mode "
                 "through every custom_vjp), or make it with wire.custom_vjp(f, "
                 "forward='function') to differentiate the function itself")


def _forward_through_function(rule) -> bool:
    while isinstance(rule, BatchedRule):
        rule = rule.inner
    return getattr(rule.owner, "forward", "bwd") == "function"


def _function_jvp(ts, out, xs, graph):
    """Forward mode through the function itself (``custom_vjp(f, forward='function')``)."""
    inner = substitute(list(graph.outputs), {i: to_tracer(x).node for i, x in zip(graph.inputs, xs)})
    tangents, primals = forward_and_primals(inner, [to_tracer(x).node for x in xs], list(ts), inner)
    touts = tuple(zeros_like_(o) if t is None else t for t, o in zip(tangents, out))
    return WithPrimals(touts, [Tracer(p) for p in primals])


class _SampleVjp:
    """A stand-in for a ``wire.custom_vjp`` object (the registry test's sample)."""

    __name__ = "sin"
    nondiff_argnums = ()

    @staticmethod
    def fwd(x):
        return sin(x), cos(x)

    @staticmethod
    def bwd(c, g):
        return (g * c,)


def _sample_custom_vjp(rng):
    g = trace(lambda x: sin(x), np.zeros(3))
    rule = CustomRule(_SampleVjp, (), tree.flatten((np.zeros(3),))[1], (), g)
    return [rng.normal(size=3)], {"graph": g, "rule": rule}


def _custom_vjp_batch(args, dims, *, graph, rule):
    return custom_batch(args, dims, graph=graph, rule=rule, prim=custom_vjp_call_p)


custom_vjp_call_p = Primitive(
    "custom_vjp_call",
    _run_graph,
    _out_avals,
    jvp=_custom_vjp_jvp,
    vjp=_custom_vjp_vjp,
    batch=_custom_vjp_batch,
    sample=_sample_custom_vjp,
    call_graph="graph",
    xp=xp_run_graph("graph"),
    doc="a user function (graph param) with user-defined fwd/bwd rules (wire.custom_vjp)",
    sympy=call_graph_formula,
    # the series of the forward-mode rule (bwd transposed, or the function's own with
    # forward='function'): a jet agrees with jvp at first order
    taylor=BY_JVP,
)

