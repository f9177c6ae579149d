"""User-defined derivative rules: ``wire.custom_jvp`` and ``wire.custom_vjp``.

Decorate a function, then attach its rule, as in JAX::

    @wire.custom_jvp
    def log1pexp(x):
        return wnp.log1p(wnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t * wire.scipy.special.expit(x)   # never overflows

The function is traced into a closed sub-graph held by one generic primitive whose params
carry the rule, so the rule applies inside any transform and at any order. Values the
function closes over from an enclosing trace are constants to the custom rule.
"""

from __future__ import annotations

import functools

from .. import tree
from ..errors import WireError, at, user_location
from ..ir import Graph, input_node, substitute
from ..higher_order.custom import custom_jvp_call_p, custom_vjp_call_p
from ..core import Tracer, bind, flat_avals, trace_flat
from .rule_key import RuleKey


def _split_static(args, nondiff_argnums):
    static = tuple(args[i] for i in nondiff_argnums)
    dyn = tuple(a for i, a in enumerate(args) if i not in nondiff_argnums)
    for i, s in zip(nondiff_argnums, static):
        try:
            hash(s)
        except TypeError:
            raise WireError(
                f"nondiff argument {i} ({type(s).__name__}) must be hashable{at(user_location())}"
            ) from None
    return static, dyn


def _trace_closed(fun, static, dyn):
    """Trace ``fun(*static, *dyn)`` over dyn's leaves; closed-over tracers become extra inputs."""
    leaves, in_tree = tree.flatten(dyn)
    graph = trace_flat(lambda *d: fun(*static, *d), flat_avals(leaves, in_tree), in_tree)
    free = list(graph.free_vars)
    if free:
        n = len(graph.inputs)
        extra = [input_node(n + i, v.aval) for i, v in enumerate(free)]
        outs = substitute(list(graph.outputs), dict(zip(free, extra)))
        graph = Graph(list(graph.inputs) + extra, outs, None, graph.out_tree)
    return graph, leaves, in_tree, [Tracer(v) for v in free]


class _CustomFunction:
    """What ``custom_jvp`` and ``custom_vjp`` share: the wrapped function, its static
    arguments, and tracing it into a closed sub-graph when called on traced values.

    The rules go into the node's params as :class:`~wire.api.rule_key.RuleKey` objects, so a
    custom function defined afresh at every call (inside a library function) with the same
    code and captured values gives equal nodes, and eager calls reuse their graphs."""

    __wire_rule_state__ = True  # RuleKey compares two of these by their state

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)

    def _trace(self, args, has_rule: bool, how: str):
        """``None`` for all-concrete arguments (just call ``fun``), else
        ``(static, graph, leaves, in_tree, free)``."""
        if not has_rule:
            kind = type(self).__name__
            raise WireError(f"{kind} function {self.__name__} has no rule: call {how}"
                            + at(user_location()))
        static, dyn = _split_static(args, self.nondiff_argnums)
        if not any(isinstance(x, Tracer) for x in tree.leaves(dyn)):
            return None
        return (static, *_trace_closed(self.fun, static, dyn))


class custom_jvp(_CustomFunction):
    """Decorator: a function with a user-defined forward-mode rule (reverse mode transposes it).

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

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.rule = None

    def defjvp(self, rule):
        """Attach ``rule(*nondiff_args, primals, tangents) -> (out, tangent_out)``."""
        self.rule = rule
        return rule

    def __call__(self, *args):
        traced = self._trace(args, self.rule is not None, ".defjvp")
        if traced is None:
            return self.fun(*args)
        static, graph, leaves, in_tree, free = traced
        outs = bind(
            custom_jvp_call_p, *leaves, *free, graph=graph,
            rule=RuleKey(_closed_rule(self.rule, len(free))),
            in_tree=_with_free_tree(in_tree, len(free)), static=static, name=self.__name__,
        )
        return tree.unflatten(graph.out_tree, list(outs))


def _with_free_tree(in_tree, n_free):
    if not n_free:
        return in_tree
    free_tree = tree.flatten((0,) * n_free)[1]
    return tree.TreeDef("tuple", tuple, None, (in_tree, free_tree))


def _closed_rule(rule, n_free):
    """The user's rule, given (primals, tangents) that carry closed-over values at the end."""
    if not n_free:
        return rule

    @functools.wraps(rule)
    def closed(*a):
        *static, primals, tangents = a
        return rule(*static, primals[0], tangents[0])

    return closed


class custom_vjp(_CustomFunction):
    """Decorator: a function with user-defined reverse-mode rules ``fwd``/``bwd``.

    ``fwd(*args) -> (out, residuals)``; ``bwd(*nondiff_args, residuals, ct) -> tuple`` with
    one cotangent per differentiable argument. Forward mode differentiates the function itself.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> @wire.custom_vjp
    ... def clip_grad(x):
    ...     return x
    >>> clip_grad.defvjp(lambda x: (x, None), lambda res, g: (wnp.clip(g, -1.0, 1.0),))
    >>> wire.grad(lambda x: 5.0 * clip_grad(x))(2.0)
    array(1.)
    """

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd):
        """Attach the forward (``fwd``) and backward (``bwd``) rules."""
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args):
        traced = self._trace(args, self.fwd is not None, ".defvjp")
        if traced is None:
            return self.fun(*args)
        static, graph, leaves, in_tree, free = traced
        fwd, bwd, n_free = self.fwd, self.bwd, len(free)
        if n_free:
            # closed-over traced values are constants to the rule: drop their cotangents
            user_fwd, user_bwd = fwd, bwd

            def fwd(*a):
                return user_fwd(*a[: len(a) - 1])

            def bwd(*a):
                return tuple(user_bwd(*a)) + (None,)

        outs = bind(
            custom_vjp_call_p, *leaves, *free, graph=graph, fwd=RuleKey(fwd), bwd=RuleKey(bwd),
            in_tree=_free_last_tree(in_tree, n_free), out_tree=graph.out_tree, static=static,
            name=self.__name__,
        )
        return tree.unflatten(graph.out_tree, list(outs))


def _free_last_tree(in_tree, n_free):
    if not n_free:
        return in_tree
    children = in_tree.children + (tree.flatten(tuple([0] * n_free))[1],)
    return tree.TreeDef("tuple", tuple, None, children)
