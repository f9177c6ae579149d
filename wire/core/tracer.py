"""Tracers and tracing: how Python functions become graphs.

A ``Tracer`` is a symbolic array: it wraps an interned ``Node`` and overloads Python's
operators and NumPy's protocols so that computing with it builds new nodes. There is no
trace stack and no global "current graph": ``bind`` makes a node from its operands alone.
Tracing ``f`` (:func:`trace`) calls it on fresh argument nodes carrying a tag unique to that
trace, then renames them to positional graph inputs. Nodes of an enclosing trace that ``f``
closes over keep their own tag, so an inner transform treats them as constants — which is
all it takes to keep nested derivatives (``grad(grad(f))``) from confusing their variables.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np
from pyrsistent import pmap

from .. import tree
from ..errors import (
    ShapeError,
    TracerBoolError,
    WireTypeError,
    at,
    user_location,
)
from ..ir import Aval, Graph, Node, arg_op, aval_of, const_node, input_node, make_node
from ..ir import gc_paused, input_op, substitute, toposort
from .primitive import proj_p

_ARRAY_TYPES = (np.ndarray, np.generic, int, float, complex, bool)


class Tracer:
    """A symbolic array standing for the value of ``node``; operations on it build nodes.

    >>> import wire
    >>> x = wire.var("x", shape=(3,))
    >>> (x * 2).shape
    (3,)
    """

    __slots__ = ("node",)
    __array_priority__ = 1000  # NumPy defers binary operators to us

    def __init__(self, node: Node):
        object.__setattr__(self, "node", node)

    def __setattr__(self, name, value):
        raise AttributeError("tracers are immutable")

    # ---- abstract value
    @property
    def aval(self) -> Aval:
        return self.node.aval

    @property
    def shape(self):
        return self.node.aval.shape

    @property
    def dtype(self):
        return self.node.aval.dtype

    @property
    def ndim(self):
        return self.node.aval.ndim

    @property
    def size(self):
        return self.node.aval.size

    def __len__(self):
        shape = self.shape
        if not shape:
            raise WireTypeError(f"len() of a 0-d traced value{at(user_location())}")
        return shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __hash__(self):
        return hash(self.node)

    def __repr__(self):
        name = self.node.params.get("name") if self.node.op.name == "var" else None
        label = f"var {name}" if name else self.node.op.name
        return f"Tracer<{self.aval!r} {label}>"

    # ---- Python control flow on a traced value is an error that teaches the fix
    def _no_concrete(self, what: str):
        raise TracerBoolError(
            f"{what} needs the concrete value of a traced array {self.aval!r}, which is not "
            f"known while tracing{at(user_location(2))}. Use wire.numpy.where(cond, a, b) or "
            "wire.cond(...) for data-dependent choices, wire.while_loop/wire.fori_loop/"
            "wire.scan for data-dependent loops, or pass the value as a static "
            "argument (wire.jit(f, static_argnums=...))."
        )

    def __bool__(self):
        self._no_concrete("Python `if`/`while`/bool()")

    def __int__(self):
        self._no_concrete("int()")

    def __float__(self):
        self._no_concrete("float()")

    def __complex__(self):
        self._no_concrete("complex()")

    def __index__(self):
        self._no_concrete("Using a traced value as an index (__index__)")

    def __array__(self, dtype=None, copy=None):
        raise WireTypeError(
            f"np.asarray()/np.array() of a traced value {self.aval!r}{at(user_location())}: "
            "its value is not known while tracing. Use wire.numpy functions (or plain NumPy "
            "functions, which dispatch to them) instead of converting to an array."
        )

    # Python's operators (``+``, ``@``, ``x[i]``…), ndarray-style methods and NumPy's dispatch
    # protocols (``__array_ufunc__``, ``__array_function__``) are installed on this class by
    # ``wire.numpy``, the layer that defines what they compute.


@functools.lru_cache(maxsize=1024)
def _scalar_node(dtype, data: bytes):
    # keyed by the value's bytes, not the value: -0.0 == 0.0 and NaN != NaN as numbers, but
    # each must stay its own constant (signed zeros and NaN payloads are part of the value)
    return const_node(np.frombuffer(data, dtype=dtype).reshape(()))


def to_tracer(x) -> Tracer:
    """``x`` as a tracer: itself, or a constant node's tracer for a concrete value."""
    return x if isinstance(x, Tracer) else Tracer(to_node(x))


def to_node(x) -> Node:
    """The node for an operand: a tracer's node, or a constant node for a concrete value."""
    if isinstance(x, Tracer):
        return x.node
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf":
        return _scalar_node(x.dtype, x.tobytes())  # scalars recur constantly while tracing
    if isinstance(x, _ARRAY_TYPES):
        return const_node(x)
    raise WireTypeError(
        f"expected an array, a number or a traced value, got {type(x).__name__}"
        f"{at(user_location())}"
    )


def bind(prim, *args, **params):
    """Apply primitive ``prim`` to ``args``.

    With concrete arguments only, runs the NumPy implementation right away; with any
    tracer, builds (or finds) the node and returns a tracer for it. Multi-output
    primitives return a tuple of tracers.
    """
    for a in args:
        if isinstance(a, Tracer):
            break
    else:
        return prim.impl(*args, **params)
    nodes = tuple([to_node(a) for a in args])
    avals = [n.aval for n in nodes]
    loc = user_location()
    if any(a.shape is None for a in avals):
        aval = Aval(None, prim.dtype(*[a.dtype for a in avals], **params))
    else:
        try:
            aval = prim.shape(*avals, **params)
        except ShapeError as e:
            raise ShapeError(f"{e}{at(loc)}") from None
    node = make_node(prim, nodes, params, aval, loc)
    if isinstance(aval, tuple):
        return tuple(
            Tracer(make_node(proj_p, (node,), {"index": i}, a, loc))
            for i, a in enumerate(aval)
        )
    return Tracer(node)


# --------------------------------------------------------------------------- tracing


class TraceTag:
    """Marks the argument nodes of one trace; unique per trace, compared by identity."""

    __slots__ = ("__weakref__",)

    def __repr__(self):
        return f"<trace {id(self):#x}>"


def leaf_aval(leaf, path: str = "") -> Aval:
    """Aval of one pytree leaf, or ``WireTypeError`` naming the leaf's path and type."""
    if isinstance(leaf, Tracer):
        return leaf.aval
    if isinstance(leaf, _ARRAY_TYPES):
        return aval_of(leaf)
    raise WireTypeError(
        f"argument leaf {path or '<root>'} is a {type(leaf).__module__}.{type(leaf).__name__}, "
        "not an array or a number. Pass NumPy arrays or numbers in tuples, lists, dicts, "
        "namedtuples or pyrsistent containers (or register your type as a static argument)"
        f"{at(user_location())}"
    )


def flat_avals(leaves, treedef) -> list[Aval]:
    paths = None
    out = []
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, (Tracer, *_ARRAY_TYPES)):
            out.append(leaf_aval(leaf))
        else:
            paths = paths or tree.leaf_paths(treedef)
            out.append(leaf_aval(leaf, paths[i]))
    return out


def trace_flat(fn: Callable, in_avals, in_tree) -> Graph:
    """Trace ``fn`` on abstract arguments (a pytree of structure ``in_tree``) into a Graph.

    A transformed function (``wire.grad(f)``, ``wire.vmap(f)``, ``wire.jit(f)`` …) already
    knows its graph: it has a method ``__wire_graph__(in_avals, in_tree) -> Graph``, which is
    asked instead of tracing through it — no inlining and recognising the graph again.
    """
    with gc_paused():  # see wire.ir.pause: the collector would dominate on big graphs
        graph_of = getattr(fn, "__wire_graph__", None)
        if graph_of is not None:
            return graph_of(list(in_avals), in_tree)
        return _trace_flat(fn, in_avals, in_tree)


def _trace_flat(fn: Callable, in_avals, in_tree) -> Graph:
    tag = TraceTag()
    args = [make_node(arg_op, (), pmap({"index": i, "tag": tag}), a) for i, a in enumerate(in_avals)]
    result = fn(*tree.unflatten(in_tree, [Tracer(n) for n in args]))
    out_leaves, out_tree = tree.flatten(result)
    out_nodes = []
    for i, o in enumerate(out_leaves):
        if not isinstance(o, (Tracer, *_ARRAY_TYPES)):
            paths = tree.leaf_paths(out_tree)
            raise WireTypeError(
                f"the traced function returned a {type(o).__name__} at {paths[i]}; "
                "outputs must be arrays, numbers or containers of them"
                f"{at(user_location())}"
            )
        out_nodes.append(to_node(o))
    inputs = [input_node(i, a) for i, a in enumerate(in_avals)]
    if any(n.op is input_op for n in toposort(out_nodes)):
        # fn closed over the inputs of some other closed graph (user code running inside a
        # graph transform's rule): renaming our args to positional inputs could merge them
        # with those free nodes, so this graph keeps its own tagged args as inputs.
        return Graph(args, out_nodes, in_tree, out_tree)
    outs = substitute(out_nodes, dict(zip(args, inputs)))
    return Graph(inputs, outs, in_tree, out_tree)


def trace(fn: Callable, *example_args) -> Graph:
    """The immutable graph of ``fn`` at the shapes and dtypes of ``example_args``.

    Arguments may be pytrees; only shapes and dtypes matter, not values.

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda x: np.sin(x) * 2.0, np.ones(3))
    >>> len(g)
    2
    """
    leaves, in_tree = tree.flatten(example_args)
    return trace_flat(fn, flat_avals(leaves, in_tree), in_tree)
