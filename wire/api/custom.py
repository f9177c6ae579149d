"""User-defined derivative rules: ``wire.custom_jvp`` and ``wire.custom_vjp``.

Decorate a function, then attach its rule, as in JAX::

    @wire.custom_jvp
    def log1pexp(x):
        return wnp.log1p(wnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t * wire.scipy.special.expit(x)   # never overflows

Called on traced values, the function is traced into a closed sub-graph held by one generic
primitive whose ``rule`` param names this object (``wire.higher_order.custom``), so the rule
applies inside any transform and at any order.

*Closure conversion.* Traced values of an enclosing computation that the function uses (found
by tracing it) or that its rules hold in their Python closures become extra operands of the
call. The function is differentiated through them like any code, the rules see them as
constants, and everything the rules return is rebuilt on the call's operands — so rules that
close over traced values work in derivative graphs, under ``vmap`` and ``jit`` alike.

``nondiff_argnums`` name static arguments (numbers, strings, callables: hashable, never
traced). As in JAX, ``fwd`` takes every argument in the order of the call, while ``bwd`` and
the JVP rule take the static ones first: ``bwd(*static, residuals, ct)``,
``rule(*static, primals, tangents)``.
"""

from __future__ import annotations

import abc
import functools
import inspect
import types
from collections.abc import Mapping
from contextvars import ContextVar

import numpy as np

from .. import tree
from ..errors import TracerBoolError, WireError, WireTypeError, at, user_location
from ..ir import Graph, _flat_tree, const_node, const_op, input_node, substitute, toposort
from ..higher_order.custom import CustomRule, custom_jvp_call_p, custom_vjp_call_p, merge_static
from ..core import Tracer, bind, call_graph_flat, evaluate_flat, flat_avals, to_tracer, trace_flat
from .eager import fresh_result, trace_eager
from .rule_key import RuleKey

# the custom functions whose rules are being traced abstractly in this context (a rule that
# calls its own function again, as a fixed point's reverse rule does, is not checked again:
# each such call has new arguments, so the check would recurse without end)
_CHECKING: ContextVar[frozenset] = ContextVar("wire_custom_rules_checking", default=frozenset())


def _split_static(args, nondiff_argnums):
    n = len(args)
    for i in nondiff_argnums:
        if not -n <= i < n:
            raise WireError(f"nondiff_argnums {tuple(nondiff_argnums)} is out of range for a "
                            f"call with {n} positional arguments{at(user_location())}")
    nums = tuple(i % n for i in nondiff_argnums)
    static = tuple(args[i] for i in nums)
    dyn = tuple(a for i, a in enumerate(args) if i not in nums)
    for i, s in zip(nums, static):
        if any(isinstance(v, Tracer) for v in tree.leaves(s)):
            raise WireError(
                f"nondiff argument {i} holds a traced value; nondiff_argnums are for static "
                "values (numbers, strings, callables). Pass traced values as ordinary "
                f"arguments (a bwd may return None as their cotangent){at(user_location())}")
        try:
            hash(s)
        except TypeError:
            raise WireError(
                f"nondiff argument {i} ({type(s).__name__}) must be hashable{at(user_location())}"
            ) from None
    return nums, static, dyn


def closure_tracers(*fns) -> list[Tracer]:
    """Tracers held in the Python closures of ``fns``: closure cells, default arguments,
    ``functools.partial`` arguments, a bound method's object, and the containers (pytrees,
    mappings, instance attributes) and nested functions among them. A tracer missed here
    would be a stale reference in the rule once its trace closes (under ``jit``)."""
    found, seen = [], set()
    stack = list(fns)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, _OPAQUE):
            continue
        seen.add(id(obj))
        if isinstance(obj, Tracer):
            found.append(obj)
        elif isinstance(obj, (tuple, list, set, frozenset)):
            stack.extend(obj)
        elif isinstance(obj, Mapping):
            stack.extend(obj.values())
        elif isinstance(obj, functools.partial):
            stack.extend([obj.func, *obj.args, *obj.keywords.values()])
        elif isinstance(obj, types.MethodType):
            stack.extend([obj.__func__, obj.__self__])
        elif isinstance(obj, types.FunctionType):
            for cell in obj.__closure__ or ():
                try:
                    stack.append(cell.cell_contents)
                except ValueError:  # an empty cell (a name assigned later)
                    pass
            stack.extend(obj.__defaults__ or ())
            stack.extend((obj.__kwdefaults__ or {}).values())
        else:
            kids = _children(obj)
            if kids is not None:
                stack.extend(kids)
    return found


# leaves and plain values: nothing inside can be a tracer
_OPAQUE = (np.ndarray, np.generic, str, bytes, int, float, complex, bool, type, types.ModuleType,
           types.BuiltinFunctionType)


def _children(obj):
    """The values inside ``obj`` that may hold tracers: a registered pytree's leaves (a pmap
    of parameters, a namedtuple), else an instance's attributes; ``None`` for anything else."""
    try:
        leaves = tree.leaves(obj)
    except Exception:  # noqa: BLE001  (an object the pytree registry cannot take apart)
        leaves = [obj]
    if not (len(leaves) == 1 and leaves[0] is obj):
        return leaves
    attrs = getattr(obj, "__dict__", None)
    return list(attrs.values()) if isinstance(attrs, dict) else None


def _trace_closed(fun, nums, static, dyn, rule_closures):
    """Trace ``fun`` over ``dyn``'s leaves; the closed-over values (free leaves of its graph,
    then the nodes the rules close over) become extra graph inputs. Returns the graph, the
    argument leaves, their structure and the closed-over nodes."""
    leaves, in_tree = tree.flatten(dyn)
    graph = trace_flat(lambda *d: fun(*merge_static(nums, static, d)),
                       flat_avals(leaves, in_tree), in_tree)
    closed = list(graph.free_vars)
    seen = set(closed)
    for t in rule_closures:
        node = t.node
        if node not in seen and node.op is not const_op and _is_traced(node):
            seen.add(node)
            closed.append(node)
    if closed:
        n = len(graph.inputs)
        extra = [input_node(n + i, v.aval) for i, v in enumerate(closed)]
        outs = substitute(list(graph.outputs), dict(zip(closed, extra)))
        graph = Graph(list(graph.inputs) + extra, outs, None, graph.out_tree)
    return graph, leaves, in_tree, closed


def _is_traced(node) -> bool:
    """Whether a node's value comes from a trace (it has a leaf that is not a constant)."""
    return any(n.is_leaf and n.op is not const_op for n in toposort([node]))


# --------------------------------------------------------------------------- eager rules
#
# Outside jit the values are known (wire.api.concrete), so a rule may decide in Python on
# them, as in JAX without jit. Such a call is specialised to its values: the function and its
# rules are traced on them (wire.api.eager.trace_eager) into graphs that record what Python
# decided, and the node's rule inlines those graphs. The graphs are part of the node's
# identity, so a memoized derivative is never served to a call that decided otherwise.


def _eager(leaves) -> bool:
    """Whether every traced one of ``leaves`` belongs to an eager trace that knows its value
    (not under ``jit``, nor batched by ``vmap``)."""
    for x in leaves:
        if isinstance(x, Tracer):
            state = x._state.concrete_state() if x._state is not None else None
            if state is None or state.values.sizes:
                return False
    return True


def _concrete_values(dyn, example: bool = False):
    """The values of the leaves of ``dyn`` where every traced one belongs to an eager trace
    that knows it (not under ``jit``, nor batched by ``vmap``); else None. ``example``: under
    ``vmap`` too, the first example's values (for their shapes and dtypes)."""
    out = []
    for x in tree.leaves(dyn):
        if not isinstance(x, Tracer):
            out.append(x)
            continue
        state = x._state.concrete_state() if x._state is not None else None
        if state is None or state.values.sizes and not example:
            return None
        try:
            value, batched = state.values.value(x.node, "a custom rule")
        except TracerBoolError:
            return None
        if batched:
            sizes = state.values.sizes
            if not example or 0 in sizes:
                return None
            value = np.asarray(value)[(0,) * len(sizes)]
        out.append(value)
    return out


class _GraphRule:
    """A rule function that inlines a graph traced eagerly from the user's rule (by
    ``make()``, once, when the rule is first used): called with the pytree arguments the
    user's rule takes, it returns what that rule returned."""

    __slots__ = ("make", "graph", "split")

    def __init__(self, make, split):
        self.make = make
        self.graph = None
        self.split = split  # the call's arguments -> the graph's flat inputs

    def __call__(self, *args):
        if self.graph is None:
            self.graph = self.make()
        flat = self.split(*args)
        outs = call_graph_flat(self.graph, [to_tracer(x) for x in flat])
        return tree.unflatten(self.graph.out_tree, list(outs))


class _EagerOwner:
    """The owner (see :class:`~wire.higher_order.custom.CustomRule`) of a call specialised to
    its values: the user's object's name, rules inlining the eagerly traced graphs."""

    nondiff_argnums = ()

    def __init__(self, name, **rules):
        self.__name__ = name
        self.__dict__.update(rules)


class _Unspecialisable(Exception):
    """A rule closes over traced values of an enclosing computation: not specialised."""


def _eager_graph(fn, leaves, avals) -> Graph:
    """``fn`` of flat arguments traced on ``leaves`` (values, or tracers whose value is not
    known: asking one raises ``TracerBoolError``), the lifted arrays made constants."""
    n = len(leaves)
    graph, lifted = trace_eager(fn, list(leaves), _flat_tree(n), list(avals))
    if graph.free_vars:
        raise _Unspecialisable
    if not lifted:
        return graph
    consts = {i: const_node(np.asarray(a)) for i, a in zip(graph.inputs[n:], lifted)}
    outs = substitute(list(graph.outputs), consts)
    return Graph(list(graph.inputs[:n]), outs, _flat_tree(n), graph.out_tree)


def _unknown(avals) -> list:
    """Stand-ins for values that are not known when a rule is traced (cotangents, tangents):
    asking one for its value raises ``TracerBoolError``."""
    return [Tracer(input_node(i, a)) for i, a in enumerate(avals)]


def _value_key(values) -> tuple:
    """The values a specialised call was traced at, as a key (dtype, shape and bytes: equal
    keys, equal values, so the same decisions)."""
    out = []
    for v in values:
        a = np.asarray(v)
        out.append((type(v), a.dtype.str, a.shape, a.tobytes()))
    return tuple(out)


def _eager_rule(owner, nums, static, dyn, values):
    """``owner(*args)`` specialised to the known ``values`` of its differentiable leaves (see
    above): the function traced on them now, its rules when a transform first uses them. The
    values are in the node's rule, so a memoized derivative serves only calls at the same
    values. None where the function closes over traced values of an enclosing computation
    (the general path then says what is wrong)."""
    leaves, in_tree = tree.flatten(dyn)
    avals = flat_avals(leaves, in_tree)
    values = [np.asarray(v) for v in values]
    n = len(leaves)

    def full(flat):
        return merge_static(nums, static, tuple(tree.unflatten(in_tree, list(flat))))

    try:
        graph = _eager_graph(lambda *d: owner.fun(*full(d)), values, avals)
    except _Unspecialisable:
        return None
    if isinstance(owner, custom_vjp):
        fwd = _GraphRule(lambda: _traced_rule(
            owner, lambda *d: owner.fwd(*full(d)), values, avals),
            lambda *primals: tree.leaves(tuple(primals)))

        def make_bwd():
            if fwd.graph is None:
                fwd.graph = fwd.make()
            outs = tree.unflatten(fwd.graph.out_tree, evaluate_flat(fwd.graph, list(values)))
            if not (isinstance(outs, (tuple, list)) and len(outs) == 2):
                raise WireError(f"custom_vjp fwd of {owner.__name__} must return a pair "
                                f"(output, residuals){at(user_location())}")
            res_vals, res_tree = tree.flatten(outs[1])
            m = len(res_vals)
            ct_avals = list(graph.out_avals)
            return _traced_rule(
                owner, lambda *f: owner.bwd(*static, tree.unflatten(res_tree, list(f[:m])),
                                            tree.unflatten(graph.out_tree, list(f[m:]))),
                list(res_vals) + _unknown(ct_avals),
                list(flat_avals(res_vals, res_tree)) + ct_avals)

        rules = {"fwd": fwd,
                 "bwd": _GraphRule(make_bwd, lambda res, ct: tree.leaves(res) + tree.leaves(ct))}
    else:
        jvp = _GraphRule(lambda: _traced_rule(
            owner, lambda *f: owner.jvp_rule(*static, tuple(tree.unflatten(in_tree, list(f[:n]))),
                                             tuple(tree.unflatten(in_tree, list(f[n:])))),
            list(values) + _unknown(avals), list(avals) + list(avals)),
            lambda p, t: tree.leaves(p) + tree.leaves(t))
        rules = {"jvp_rule": jvp}
    spec = _EagerOwner(owner.__name__, **rules)
    key = ("eager", RuleKey(owner), static, _value_key(values))
    rule = CustomRule(spec, (), in_tree, (), graph, key=key)
    outs = bind(owner.primitive, *leaves, graph=graph, rule=rule)
    return tree.unflatten(graph.out_tree, list(outs))


def _traced_rule(owner, fn, leaves, avals) -> Graph:
    try:
        return _eager_graph(fn, leaves, avals)
    except _Unspecialisable:
        raise WireError(
            f"the rules of {owner.__name__} read traced values (a Python `if` on them) and "
            "close over traced values of an enclosing computation: pass those as arguments"
            f"{at(user_location())}") from None


class _CustomFunction(abc.ABC):
    """What ``custom_jvp`` and ``custom_vjp`` share: the wrapped function, its static
    arguments, and tracing it into a closed sub-graph when called on traced values.

    The rules go into the node's params as :class:`~wire.api.rule_key.RuleKey` objects, so a
    custom function defined afresh at every call (inside a library function) with the same
    code and captured values gives equal nodes, and eager calls reuse their graphs."""

    __wire_rule_state__ = True  # RuleKey compares two of these by their state

    primitive = None

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)

    @abc.abstractmethod
    def _has_rule(self) -> bool:
        """Whether the derivative rule has been attached (defjvp / defvjp)."""

    @abc.abstractmethod
    def _rule_functions(self) -> tuple:
        """The user's rule functions (their closures may hold traced values)."""

    def _resolve(self, args: tuple, kwargs: dict) -> tuple:
        """``args`` and ``kwargs`` as positional arguments only, defaults filled in (as
        JAX's ``resolve_kwargs``): the rules always see every argument by position."""
        try:
            sig = inspect.signature(self.fun)
        except (TypeError, ValueError):  # a callable without a signature Python can read
            sig = None
        if sig is None:
            if kwargs:
                raise WireTypeError(f"{type(self).__name__} function {self.__name__}: its "
                                    "signature cannot be read, so keyword arguments cannot "
                                    f"be passed to it; pass them by position"
                                    f"{at(user_location(3))}")
            return args
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise WireTypeError(f"{type(self).__name__} function {self.__name__}: {e}"
                                f"{at(user_location(3))}") from None
        bound.apply_defaults()
        if bound.kwargs:
            raise WireTypeError(
                f"{type(self).__name__} function {self.__name__}: keyword-only arguments "
                f"{sorted(bound.kwargs)} cannot be resolved to positions (the rules take "
                f"arguments by position); make them positional parameters"
                f"{at(user_location(3))}")
        return bound.args

    def __call__(self, *args, **kwargs):
        code = getattr(self.fun, "__code__", None)
        if kwargs or code is None or len(args) < code.co_argcount:  # defaults to fill in
            args = self._resolve(args, kwargs)
        if not self._has_rule():
            kind = type(self).__name__
            how = ".defjvp" if kind == "custom_jvp" else ".defvjp"
            raise WireError(f"{kind} function {self.__name__} has no rule: call {how}"
                            + at(user_location()))
        nums, static, dyn = _split_static(args, self.nondiff_argnums)
        if not any(isinstance(x, Tracer) for x in tree.leaves(dyn)):
            # nothing to differentiate by the rule (the result is the caller's own, never
            # an argument, as under a transform)
            return fresh_result(self.fun(*args), args)
        dyn_leaves, dyn_tree = tree.flatten(dyn)
        eager = not self._wires_own and _eager(dyn_leaves)
        if eager and self._rules_read_values(nums, static, dyn_leaves, dyn_tree):
            values = _concrete_values(dyn)
            found = None if values is None else _eager_rule(self, nums, static, dyn, values)
            if found is not None:
                return found
        try:
            graph, leaves, in_tree, closed = _trace_closed(
                self.fun, nums, static, dyn, closure_tracers(*self._rule_functions()))
        except TracerBoolError:  # the function reads a value: known outside jit
            values = _concrete_values(dyn) if eager else None
            found = None if values is None else _eager_rule(self, nums, static, dyn, values)
            if found is None:
                raise
            return found
        rule = CustomRule(self, static, in_tree, tuple(closed), graph, key=RuleKey(self))
        outs = bind(self.primitive, *leaves, *[Tracer(c) for c in closed],
                    graph=graph, rule=rule)
        return tree.unflatten(graph.out_tree, list(outs))

    def __get__(self, obj, objtype=None):  # custom methods bind like functions
        return self if obj is None else functools.partial(self, obj)

    @property
    def _wires_own(self) -> bool:
        """A custom function of wire's library (``wire.scipy``, ``odeint`` …): its rules
        never read values, so its eager calls skip the check."""
        module = getattr(self.fun, "__module__", None) or ""
        return module.startswith("wire.") and module != "wire.extend"  # (users' rules there)

    def _rules_read_values(self, nums, static, leaves, in_tree) -> bool:
        """Whether the rules make a Python decision on a traced value (an ``if``, ``int()``)
        at arguments like ``dyn``: found by tracing them abstractly once per signature (a
        rule that does not read values keeps the one rule for every value; one that does is
        specialised to the values of each call, :func:`_eager_rule`)."""
        try:
            key = (tuple(x.aval if isinstance(x, Tracer) else (type(x), np.shape(x),
                                                               np.result_type(x))
                         for x in leaves), in_tree, static)
            hash(key)
        except TypeError:
            return True
        memo = self.__dict__.setdefault("_reads_values", {})
        found = memo.get(key)
        if found is None:
            checking = _CHECKING.get()
            if id(self) in checking:
                return False
            token = _CHECKING.set(checking | {id(self)})
            try:
                self._trace_rules_abstractly(nums, static, leaves, in_tree)
                found = False
            except TracerBoolError:
                found = True
            except Exception:  # noqa: BLE001 - the rule's own errors show when it runs
                found = False
            finally:
                _CHECKING.reset(token)
            if len(memo) < 64:
                memo[key] = found
        return found


class custom_jvp(_CustomFunction):
    """Decorator: a function with a user-defined forward-mode rule (reverse mode transposes it).

    The rule ``rule(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)`` must be
    linear in the tangents; ``primal_out`` and ``tangent_out`` have the function's output
    structure, shapes and dtypes.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> @wire.custom_jvp
    ... def f(x):
    ...     return wnp.sin(x)
    >>> @f.defjvp
    ... def f_jvp(primals, tangents):
    ...     return f(primals[0]), 2.0 * tangents[0]       # a deliberately custom rule
    >>> wire.grad(f)(0.3)
    array(2.)
    """

    primitive = custom_jvp_call_p

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.jvp_rule = None

    def _has_rule(self) -> bool:
        return self.jvp_rule is not None

    def _rule_functions(self) -> tuple:
        return (self.jvp_rule,)

    def _trace_rules_abstractly(self, nums, static, leaves, in_tree):
        avals = flat_avals(leaves, in_tree)

        def run(*flat):
            k = len(flat) // 2
            primals = tuple(tree.unflatten(in_tree, list(flat[:k])))
            tangents = tuple(tree.unflatten(in_tree, list(flat[k:])))
            return self.jvp_rule(*static, primals, tangents)

        both = _flat_tree(2 * len(avals))
        trace_flat(run, avals + avals, both)

    def defjvp(self, rule):
        """Attach ``rule(*nondiff_args, primals, tangents) -> (out, tangent_out)``.

        >>> import wire, wire.numpy as wnp
        >>> f = wire.custom_jvp(lambda x: wnp.sin(x))
        >>> _ = f.defjvp(lambda p, t: (wnp.sin(p[0]), 2.0 * t[0]))   # a deliberately wrong rule
        >>> float(wire.grad(f)(0.3))
        2.0
        """
        self.jvp_rule = rule
        return rule

    def defjvps(self, *jvps):
        """Attach one rule per argument, ``jvp(t, primal_out, *primals) -> tangent_out`` for
        that argument's tangent ``t`` (``None``: a zero derivative); the output tangent is
        their sum (JAX's ``defjvps``).

        >>> import wire, wire.numpy as wnp
        >>> f = wire.custom_jvp(lambda x, y: wnp.sin(x) * y)
        >>> f.defjvps(lambda t, ans, x, y: wnp.cos(x) * t * y, lambda t, ans, x, y: wnp.sin(x) * t)
        >>> float(wire.grad(f, 1)(0.5, 3.0))   # sin(0.5)
        0.479425538604203
        """
        if self.nondiff_argnums:
            raise WireError("defjvps cannot be used with nondiff_argnums: use defjvp"
                            + at(user_location()))

        def rule(primals, tangents):
            if len(jvps) != len(primals):
                raise WireError(f"defjvps: {len(jvps)} rules for {len(primals)} arguments of "
                                f"{self.__name__}{at(user_location())}")
            out = self(*primals)
            total = None
            for jvp_i, t in zip(jvps, tangents):
                if jvp_i is None:
                    continue
                term = jvp_i(t, out, *primals)
                total = term if total is None else tree.map(lambda a, b: a + b, total, term)
            if total is None:
                total = tree.map(lambda a: a * 0, out)
            return out, total

        self.defjvp(rule)


class custom_vjp(_CustomFunction):
    """Decorator: a function with user-defined reverse-mode rules ``fwd``/``bwd``.

    ``fwd(*args) -> (out, residuals)`` takes the arguments as the function does;
    ``bwd(*nondiff_args, residuals, ct) -> tuple`` returns one cotangent per differentiable
    argument (``None`` for zero), each with its argument's structure, shapes and dtypes.

    Forward mode (``jvp``, ``jacfwd``, ``hessian``'s outer pass …) takes the same derivative
    as reverse mode: ``bwd`` is linear in the cotangent, ``ct ↦ Jᵀ ct``, and wire transposes
    it to ``t ↦ J t`` (JAX refuses forward mode through a ``custom_vjp``). A ``bwd`` that is
    not linear in ``ct`` (clipping it, say) defines no such map: forward mode then raises
    ``wire.NonDifferentiableError``. ``forward="function"`` differentiates the function
    itself in forward mode instead — for rules that exist for speed or stability and agree
    with the function's own derivative.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> @wire.custom_vjp
    ... def clip_grad(x):
    ...     return x
    >>> clip_grad.defvjp(lambda x: (x, None), lambda res, g: (wnp.clip(g, -1.0, 1.0),))
    >>> wire.grad(lambda x: 5.0 * clip_grad(x))(2.0)
    array(1.)
    """

    primitive = custom_vjp_call_p

    def __init__(self, fun, nondiff_argnums=(), *, forward: str = "bwd"):
        if forward not in ("bwd", "function"):
            raise WireTypeError(f"custom_vjp: forward must be 'bwd' (transpose the bwd rule) "
                                f"or 'function' (differentiate the function), got {forward!r}"
                                f"{at(user_location())}")
        super().__init__(fun, nondiff_argnums)
        self.forward = forward
        self.fwd = self.bwd = None

    def _has_rule(self) -> bool:
        return self.fwd is not None

    def _rule_functions(self) -> tuple:
        return (self.fwd, self.bwd)

    def _trace_rules_abstractly(self, nums, static, leaves, in_tree):
        avals = flat_avals(leaves, in_tree)
        flat_tree = _flat_tree(len(avals))
        fwd_graph = trace_flat(
            lambda *d: self.fwd(*merge_static(nums, static,
                                              tuple(tree.unflatten(in_tree, list(d))))),
            avals, flat_tree)
        outs = tree.unflatten(fwd_graph.out_tree, list(fwd_graph.outputs))
        res_leaves, res_tree = tree.flatten(outs[1])
        ct_leaves, ct_tree = tree.flatten(outs[0])
        n = len(res_leaves)
        both = _flat_tree(n + len(ct_leaves))
        trace_flat(lambda *f: self.bwd(*static, tree.unflatten(res_tree, list(f[:n])),
                                       tree.unflatten(ct_tree, list(f[n:]))),
                   [x.aval for x in res_leaves] + [x.aval for x in ct_leaves], both)

    def defvjp(self, fwd, bwd):
        """Attach the forward (``fwd``) and backward (``bwd``) rules.

        ``fwd(*args) -> (out, residuals)``; ``bwd(residuals, g) -> one cotangent per argument``.

        >>> import numpy as np, wire, wire.numpy as wnp
        >>> clip = wire.custom_vjp(lambda x: x)
        >>> clip.defvjp(lambda x: (x, None), lambda res, g: (wnp.clip(g, -1.0, 1.0),))
        >>> wire.grad(lambda x: wnp.sum(clip(x) * 5.0))(np.zeros(2))
        array([1., 1.])
        """
        self.fwd, self.bwd = fwd, bwd
