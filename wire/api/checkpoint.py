"""``wire.checkpoint`` (rematerialisation, JAX's ``jax.checkpoint``/``remat``) and its policies.

``checkpoint(f, policy)`` traces ``f`` into a closed sub-graph and binds the ``checkpoint``
primitive (``wire.higher_order.checkpoint``): under reverse mode the intermediates of ``f``
are recomputed from its inputs during the backward pass instead of being kept from the
forward pass. A *policy* says which intermediates may be kept after all:
``policy(node) -> bool`` is asked about nodes of ``f``'s graph (``node.op`` is the primitive,
``node.aval`` its shape and dtype, ``node.params`` its parameters; the value of a multi-output
primitive is asked about through its ``proj`` nodes). Of the nodes the backward pass reads,
each is recomputed from the inputs and from the nearest nodes the policy saves.
"""

from __future__ import annotations

import functools
from typing import Callable, Optional

from pyrsistent import pmap

from .. import tree
from ..core import Tracer, TraceTag, bind, flat_avals
from ..errors import WireError, WireTypeError, at, user_location
from ..higher_order.checkpoint import checkpoint_bind, name_p
from ..ir import Graph, Node, arg_op, make_node, substitute, toposort
from ..ops.matmul import matmul_p
from ..transforms.vjp import backward, carries_derivative
from .control_flow import trace_closed
from .eager import fresh_result
from .grad import static_nums

__all__ = [
    "checkpoint", "checkpoint_name", "dots_saveable", "everything_saveable", "nothing_saveable",
    "save_any_names_but_these", "save_only", "save_only_these_names", "saved_nodes",
]


# --------------------------------------------------------------------------- policies


def nothing_saveable(node: Node) -> bool:
    """Save nothing: recompute every intermediate (the default).

    >>> nothing_saveable(None)
    False
    """
    return False


def everything_saveable(node: Node) -> bool:
    """Save every intermediate the backward pass needs (no recomputation, as without
    ``checkpoint``).

    >>> everything_saveable(None)
    True
    """
    return True


def dots_saveable(node: Node) -> bool:
    """Save the outputs of matrix products (``matmul``), recompute the rest (the cheap
    elementwise work between them).

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda a, b: a @ b, np.ones((2, 2)), np.ones((2, 2)))
    >>> [dots_saveable(n) for n in g.nodes if not n.is_leaf]
    [True]
    """
    return node.op is matmul_p


def save_only(*primitives) -> Callable[[Node], bool]:
    """A policy saving the outputs of the given primitives (objects such as
    ``wire.ops.matmul.matmul_p``, or their names).

    >>> p = save_only("exp")
    >>> import wire, wire.numpy as wnp
    >>> [p(n) for n in wire.trace(lambda x: wnp.exp(wnp.sin(x)), 1.0).nodes if not n.is_leaf]
    [False, True]
    """
    names = frozenset(p if isinstance(p, str) else p.name for p in primitives)

    def policy(node: Node) -> bool:
        return not node.is_leaf and node.op.name in names

    policy.__name__ = f"save_only({', '.join(sorted(names))})"
    return policy


# --------------------------------------------------------------------------- names


def checkpoint_name(x, name: str):
    """``x`` itself, named ``name`` for the policies of ``wire.checkpoint``
    (JAX's ``jax.ad_checkpoint.checkpoint_name``): :func:`save_only_these_names` keeps the
    values of the given names from the forward pass, :func:`save_any_names_but_these` those of
    every other name. ``x`` may be a pytree of arrays (each leaf is named). Values and
    derivatives are unchanged.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> def block(x):
    ...     h = checkpoint_name(wnp.sin(x), "h")
    ...     return wnp.sum(wnp.sin(h))
    >>> f = wire.checkpoint(block, policy=save_only_these_names("h"))
    >>> bool(np.isclose(wire.grad(f)(0.5), np.cos(np.sin(0.5)) * np.cos(0.5)))
    True
    """
    if not isinstance(name, str):
        raise WireTypeError(f"checkpoint_name: name must be a str, got {name!r}"
                            f"{at(user_location())}")
    leaves, in_tree = tree.flatten(x)
    if not any(isinstance(v, Tracer) for v in leaves):
        return x  # nothing traced: no policy will ask
    return tree.unflatten(in_tree, [bind(name_p, v, name=name) if isinstance(v, Tracer) else v
                                    for v in leaves])


def name_of(node: Node) -> Optional[str]:
    """The name :func:`checkpoint_name` gave the value of ``node``, or None.

    >>> import wire
    >>> g = wire.trace(lambda x: checkpoint_name(x * 2.0, "y") + 1.0, 1.0)
    >>> [name_of(n) for n in g.nodes if not n.is_leaf]
    [None, 'y', None]
    """
    if node is None or node.op is not name_p:
        return None
    return node.params["name"]


def save_only_these_names(*names: str) -> Callable[[Node], bool]:
    """A policy saving the values named (by :func:`checkpoint_name`) one of ``names``, and
    nothing else (JAX's ``jax.checkpoint_policies.save_only_these_names``).

    >>> import wire
    >>> g = wire.trace(lambda x: checkpoint_name(x * 2.0, "y") * 3.0, 1.0)
    >>> [save_only_these_names("y")(n) for n in g.nodes if not n.is_leaf]
    [False, True, False]
    """
    wanted = frozenset(names)

    def policy(node: Node) -> bool:
        return name_of(node) in wanted

    policy.__name__ = f"save_only_these_names({', '.join(map(repr, names))})"
    return policy


def save_any_names_but_these(*names: str) -> Callable[[Node], bool]:
    """A policy saving every value named by :func:`checkpoint_name` except those named one of
    ``names`` (JAX's ``jax.checkpoint_policies.save_any_names_but_these``).

    >>> import wire
    >>> g = wire.trace(lambda x: checkpoint_name(checkpoint_name(x * 2.0, "a"), "b"), 1.0)
    >>> [save_any_names_but_these("b")(n) for n in g.nodes if not n.is_leaf]
    [False, True, False]
    """
    unwanted = frozenset(names)

    def policy(node: Node) -> bool:
        name = name_of(node)
        return name is not None and name not in unwanted

    policy.__name__ = f"save_any_names_but_these({', '.join(map(repr, names))})"
    return policy


# --------------------------------------------------------------------------- what to save


def saved_nodes(graph: Graph, policy: Optional[Callable]) -> list[Node]:
    """The nodes of ``graph`` a ``checkpoint`` with ``policy`` keeps from the forward pass.

    The backward pass of ``graph`` reads some forward values (the residuals); walking back
    from them, each path stops at an input, an output (the forward pass has those anyway) or a
    node the policy saves. The saved nodes met are kept; everything else on the paths is
    recomputed.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> g = wire.trace(lambda h, w: wnp.sum(wnp.tanh(wnp.tanh(h @ w))), np.ones((2, 2)),
    ...                np.ones((2, 2)))
    >>> [n.op.name for n in saved_nodes(g, dots_saveable)]
    ['matmul']
    >>> saved_nodes(g, None)
    []
    """
    if policy is None or policy is nothing_saveable:
        return []
    tag = TraceTag()
    counter = iter(range(1 << 30))

    def holder(aval):
        return make_node(arg_op, (), pmap({"index": next(counter), "tag": tag}), aval)

    ph = [holder(n.aval) for n in graph.inputs]
    body = [n for n in graph.nodes if not n.is_leaf]
    images = substitute(body, dict(zip(graph.inputs, ph)))
    original = {img: n for n, img in zip(body, images)}
    forward_nodes = set(images)
    outs = substitute(list(graph.outputs), dict(zip(graph.inputs, ph)))
    cts = [Tracer(holder(o.aval)) if carries_derivative(o) else None for o in outs]
    found = backward(outs, cts, ph)
    residuals = []
    for n in toposort([f.node for f in found if f is not None]):
        if n not in forward_nodes and not n.is_leaf:
            residuals.extend(i for i in n.inputs if i in forward_nodes)
    stop = set(ph) | set(outs)
    # a value named by checkpoint_name is asked about by its name too: the backward pass may
    # read the value the name was given to (the identity is seen through)
    named = {}
    for n in graph.nodes:
        if name_of(n) is not None:
            named.setdefault(n.inputs[0], []).append(n)
    saved, seen, stack = [], set(), residuals
    while stack:
        n = stack.pop()
        if n in seen or n in stop or n.is_leaf:
            continue
        seen.add(n)
        node = original[n]
        if not isinstance(node.aval, tuple) and (
                policy(node) or any(policy(a) for a in named.get(node, ()))):
            saved.append(node)
            continue
        stack.extend(n.inputs)
    order = {n: i for i, n in enumerate(graph.nodes)}
    return sorted(saved, key=order.__getitem__)


# --------------------------------------------------------------------------- checkpoint


def checkpoint(f: Callable, policy: Optional[Callable] = None, *, static_argnums=(),
               static_argnames=(), prevent_cse: bool = True):
    """``f`` with its intermediates recomputed under reverse mode instead of stored.

    ``grad`` of a checkpointed function keeps only the inputs of ``f`` (and what ``policy``
    saves: :func:`nothing_saveable` by default, :func:`dots_saveable`,
    :func:`everything_saveable`, :func:`save_only`, or any ``policy(node) -> bool``) from the
    forward pass, and runs ``f`` again during the backward pass. Values are unchanged; it
    composes with ``jit``, ``vmap``, ``scan`` and ``grad`` of ``grad``. ``static_argnums``
    (or ``static_argnames``, by parameter name) name arguments passed as plain Python values;
    keyword arguments are passed to ``f`` as they are. ``prevent_cse`` (JAX's) is accepted so
    JAX code passing it runs unchanged; it changes no value.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> block = wire.checkpoint(lambda h, w: wnp.tanh(h @ w))
    >>> loss = lambda w, x: wnp.sum(block(block(x, w), w))
    >>> w, x = np.eye(2) * 0.5, np.ones((1, 2))
    >>> np.allclose(wire.grad(loss)(w, x), wire.grad(lambda w, x: wnp.sum(
    ...     wnp.tanh(wnp.tanh(x @ w) @ w)))(w, x))
    True
    """
    if isinstance(f, Graph):
        raise WireError(f"wire.checkpoint takes a function{at(user_location())}")
    if not isinstance(prevent_cse, bool):
        raise WireError(f"checkpoint: prevent_cse must be True or False, got {prevent_cse!r}"
                        f"{at(user_location())}")
    if policy is not None and not callable(policy):
        raise WireError(
            f"checkpoint: policy must be a function node -> bool (e.g. "
            f"wire.checkpoint_policies.dots_saveable), got {policy!r}{at(user_location())}")
    static = static_nums(static_argnums, f, static_argnames)

    @functools.wraps(f)
    def remat(*args, **kwargs):
        optional = getattr(static, "optional", ())
        n = len(args)
        fixed = {}
        for i in static:
            if i in optional and not i < n:  # named, passed by keyword: passed as it is
                continue
            if not -n <= i < n:
                raise WireError(f"checkpoint: static_argnums {tuple(static)!r} names argument "
                                f"{i}, but the function was called with {n} positional "
                                f"arguments{at(user_location())}")
            fixed[i % n] = args[i]
        dynamic = tuple(a for i, a in enumerate(args) if i not in fixed)

        def fn(*dyn):
            it = iter(dyn)
            return f(*[fixed[i] if i in fixed else next(it) for i in range(len(args))],
                     **kwargs)

        leaves, in_tree = tree.flatten(dynamic)
        if not any(isinstance(x, Tracer) for x in leaves + tree.leaves(kwargs)):
            # nothing is being traced: nothing to differentiate (the result is the caller's
            # own, never an argument: wire.checkpoint(lambda v: v)(x) is not x)
            return fresh_result(fn(*dynamic), args)
        graph, consts, out_tree = trace_closed(fn, flat_avals(leaves, in_tree), in_tree,
                                               "checkpoint")
        saved = saved_nodes(graph, policy)
        body = Graph(graph.inputs, list(graph.outputs) + saved).with_locs(graph.locs)
        outs = checkpoint_bind(list(consts) + list(leaves), body, len(graph.outputs))
        return tree.unflatten(out_tree, list(outs[:len(graph.outputs)]))

    return remat
