"""The values behind an eager trace's tracers: computed when Python asks, never before.

Transforms called on concrete values outside ``jit`` trace with a :class:`Values` object on
the trace (:mod:`wire.core.tracer` explains the protocol). It knows the values of the trace's
arguments — arrays, or tracers of an enclosing trace whose values that trace knows — and of
the NumPy arrays it lifted to extra graph inputs. When Python needs a tracer's value (``if``,
``while``, ``int()``, ``.item()``, an index), the nodes between the known values and that
tracer are evaluated with their primitives' implementations and kept for the next question,
so a trace that asks nothing computes nothing and one that asks often computes each node
once.

Under ``vmap`` a value holds every example at once: the batch axes of the enclosing ``vmap``
calls come first (``sizes``), and nodes are computed with the batching rules. A question
whose answer differs between examples raises :class:`BatchedDecision`, which ``vmap`` catches
to run the groups of examples that agree separately (see ``wire.api.vmap``).

Conversions that leave the graph (``float()``, ``.item()``, ``np.asarray``) would cut a
derivative: on a value that depends on an argument being differentiated they raise, as in
JAX; ``bool()``, ``int()``, indexing and formatting carry no derivative and always work.
"""

from __future__ import annotations

import numpy as np

from ..core import (
    ConcreteValues, Tracer, eager_arg_node, node_values, proj_p, to_node, toposort_from,
)
from ..errors import TracerBoolError, WireTypeError, at, user_location
from ..ir import Graph, Node, aval_of, const_op, input_node, make_node, with_inputs
from ..runtime.memo import Memo
from ..transforms.vmap import vmap_flat

_ndarray = np.ndarray


class BatchedDecision(TracerBoolError):
    """Python asked a question whose answer differs between the examples of a ``vmap``.

    ``vmap`` catches it and runs each group of examples that agree on its own; it escapes
    only where no ``vmap`` can split (then the message says what to use instead).
    """

    def __init__(self, message: str, values: "Values", answers: np.ndarray):
        super().__init__(message)
        self.values = values
        self.answers = answers  # the answer of every example: shape values.sizes + value shape


class Values(ConcreteValues):
    """Values of the nodes of one eager trace (see the module docstring).

    ``sizes``: the batch axes every batched value starts with (one per enclosing ``vmap``).
    """

    __slots__ = (
        "state", "n_args", "env", "batched", "lifted", "lifted_nodes", "_ids", "diff", "_dep",
        "sources", "sizes", "_kept",
    )

    def __init__(self, sizes: tuple = ()):
        self.state = None  # the TraceState, once the trace is open
        self.n_args = 0
        self.env: dict = {}  # node -> value (batched values lead with `sizes`)
        self.batched: set = set()  # nodes whose value has the batch axes
        self.lifted: list = []  # lifted arrays, in the order of their input nodes
        self.lifted_nodes: list = []
        self._ids: dict = {}  # id(array) -> its lifted node (the array is kept alive above)
        self.diff: set = set()  # argument nodes being differentiated
        self._dep: dict = {}  # node -> depends on a value being differentiated
        self.sources: dict = {}  # argument node -> (tracer of an enclosing trace, batch axis)
        self.sizes = tuple(sizes)
        self._kept: list = []  # arrays whose id is a key of _ids but which are not lifted

    def open(self, state, args, leaves, diff=(), axes=None) -> None:
        """Bind the trace's argument nodes ``args`` to ``leaves`` (arrays, or tracers of an
        enclosing trace); ``axes``: each leaf's mapped axis under ``vmap`` (None: unmapped)."""
        self.state = state
        self.n_args = len(args)
        for k, (node, leaf) in enumerate(zip(args, leaves)):
            d = None if axes is None else axes[k]
            if isinstance(leaf, Tracer):
                self.sources[node] = (leaf, d)
            elif d is None:
                self.env[node] = leaf
            else:
                self.env[node] = np.moveaxis(np.asarray(leaf), d, 0)
                self.batched.add(node)
        self.diff = {args[i] for i in diff}

    # ---- lifting
    def lift(self, x) -> Node:
        """An extra graph input for a NumPy array that meets a tracer — with at least one
        axis, or a 0-d array or NumPy scalar of a float or complex dtype (data such as an annealing
        weight or a reduction's result: a constant of its value would make a new graph, and a
        new derivation, for every value) — the same object giving the same input; a constant
        node for anything else (Python numbers, which are mostly the literals of the code,
        and integer and boolean scalars, which may decide shapes and indices)."""
        if type(x) is not _ndarray and (getattr(type(x), "__wire_plain__", False)
                                        or isinstance(x, np.inexact)):
            # (wire.numpy's ConcreteArray: its plain view; a NumPy scalar: its 0-d array;
            # either kept alive with it for its id)
            node = self._ids.get(id(x))
            if node is None:
                node = self.lift(np.asarray(x) if isinstance(x, np.generic) else
                                 x.view(_ndarray))
                self._ids[id(x)] = node
                self._kept.append(x)
            return node
        if type(x) is _ndarray and (x.ndim or x.dtype.kind in "fc"):
            node = self._ids.get(id(x))
            if node is None:
                node = eager_arg_node(self.n_args + len(self.lifted), aval_of(x),
                                      self.state.tag)
                self._ids[id(x)] = node
                self.lifted.append(x)
                self.lifted_nodes.append(node)
                self.env[node] = x
            return node
        return to_node(x)

    # ---- values
    def concrete(self, tracer, what: str, drops: bool):
        node = tracer.node
        value, batched = self.value(node, what)
        if drops and self.depends(node):
            raise WireTypeError(
                f"{what} of a value that depends on an argument being differentiated would "
                f"cut its derivative{at(user_location(3))}. Keep computing with the traced "
                "value (wire.numpy), or write wire.stop_gradient(x) to mean a constant; "
                "bool(), int() and comparisons work on it."
            )
        if not batched:
            return value
        flat = value.reshape((-1,) + value.shape[len(self.sizes):])
        if not len(flat):  # a vmap of no examples: no example to take the answer from
            raise TracerBoolError(
                f"{what} of a value batched over no examples (a wire.vmap of size 0)"
                f"{at(user_location(3))}: there is no example to decide by; use "
                "wire.numpy.where or wire.cond, or skip the call for an empty batch")
        if all(np.array_equal(flat[0], v, equal_nan=v.dtype.kind in "fc") for v in flat[1:]):
            return flat[0]
        raise BatchedDecision(
            f"{what} of a value that differs between the examples of wire.vmap "
            f"{at(user_location(3))}: use wire.numpy.where or wire.cond to choose per "
            "example", self, value)

    def value(self, node: Node, what: str = "a Python conversion"):
        """``(value, batched)`` of ``node``, computing what it needs from known values."""
        env = self.env
        if node in env:
            return env[node], node in self.batched
        with np.errstate(all="ignore"):  # NumPy warns again when the graph itself runs
            for n in toposort_from([node], env):
                if n.is_leaf:
                    self._leaf(n, what)
                else:
                    self._compute(n)
        return env[node], node in self.batched

    def _leaf(self, n: Node, what: str) -> None:
        if n.op is const_op:
            self.env[n] = n.params["value"].array
            return
        tag = n.params.get("tag") if n.op.name == "arg" else None
        if tag is self.state.tag and n in self.sources:
            src, d = self.sources[n]
            sizes, value, batched = _outer_value(src, what)
            if d is None:
                value, batched = self._adopt(sizes, value, batched)
            else:  # the axis this vmap maps goes right after the enclosing batch axes
                lead = len(sizes) if batched else 0
                value = np.moveaxis(value, lead + d, lead)
                if not batched:
                    value = value.reshape((1,) * len(sizes) + value.shape)
                value = np.broadcast_to(value, self.sizes + value.shape[len(sizes) + 1:])
                batched = True
            self._store(n, value, batched)
            return
        owner = self._owner(tag)
        if owner is None:
            raise TracerBoolError(
                f"{what} needs the value of {_describe(n)}, which is not known while tracing"
                f"{at(user_location(4))}. Under wire.jit values are abstract: use "
                "wire.numpy.where/wire.cond, static_argnums, or call without wire.jit."
            )
        value, batched = owner.value(n, what)
        self._store(n, *self._adopt(owner.sizes, value, batched))

    def _adopt(self, sizes: tuple, value, batched: bool):
        """A value batched along the axes ``sizes`` (a prefix of this trace's) in this trace's
        batch layout: the axes of the inner ``vmap`` calls are broadcast in."""
        if not batched or sizes == self.sizes:
            return value, batched
        extra = len(self.sizes) - len(sizes)
        lead = len(sizes)
        value = value.reshape(value.shape[:lead] + (1,) * extra + value.shape[lead:])
        return np.broadcast_to(value, self.sizes + value.shape[lead + extra:]), True

    def _owner(self, tag) -> "Values | None":
        s = self.state.parent
        while s is not None:
            if s.tag is tag:
                return s.values
            s = s.parent
        return None

    def _store(self, n: Node, value, batched: bool) -> None:
        self.env[n] = value
        if batched:
            self.batched.add(n)

    def _compute(self, n: Node) -> None:
        ins = n.inputs
        if not any(i in self.batched for i in ins):
            node_values([n], self.env)
            return
        if isinstance(ins[0].aval, tuple):  # a proj of a multi-output node: its batched part
            self._store(n, self.env[ins[0]][n.params["index"]], True)
            return
        # one example-level node, batched by its primitive's rule (wire.transforms.vmap)
        size = int(np.prod(self.sizes, dtype=np.int64))
        lead = len(self.sizes)
        args, dims, inputs = [], [], []
        for k, i in enumerate(ins):
            v = self.env[i]
            if i in self.batched:
                v = v.reshape((size,) + v.shape[lead:])
                dims.append(0)
            else:
                dims.append(None)
            args.append(v)
            inputs.append(input_node(k, i.aval))
        node = with_inputs(n, tuple(inputs))
        if isinstance(n.aval, tuple):
            outs = [make_node(proj_p, (node,), {"index": j}, a) for j, a in enumerate(n.aval)]
        else:
            outs = [node]
        batched = _batched_node(Graph(inputs, outs), tuple(dims), size)
        got = node_values(batched.outputs, dict(zip(batched.inputs, args)))
        vals = [_unflatten_batch(got[o], self.sizes) for o in batched.outputs]
        self._store(n, tuple(vals) if isinstance(n.aval, tuple) else vals[0], True)

    # ---- derivatives
    def depends(self, node: Node) -> bool:
        """Whether ``node``'s value depends on a value being differentiated."""
        dep = self._dep
        if node in dep:
            return dep[node]
        for n in toposort_from([node], dep):
            if n.is_leaf:
                dep[n] = self._leaf_depends(n)
            elif n.op.nondiff or n.op.name == "stop_gradient" or not _floating(n):
                dep[n] = False
            else:
                dep[n] = any(dep[i] for i in n.inputs)
        return dep[node]

    def _leaf_depends(self, n: Node) -> bool:
        if n.op.name != "arg" or not _floating(n):
            return False
        tag = n.params.get("tag")
        if tag is self.state.tag:
            if n in self.diff:
                return True
            src = self.sources.get(n)
            if src is None:
                return False
            state = src[0]._state.concrete_state() if src[0]._state is not None else None
            return state is not None and state.values.depends(src[0].node)
        owner = self._owner(tag)
        return owner is not None and owner.depends(n)


# one example-level node batched by its rule: the same operation at the same shapes recurs
# at every step of a Python loop, so the batched graph is derived once
_batched_node = Memo(lambda g, dims, size: vmap_flat(g, dims, size, [0] * len(g.outputs)),
                     maxsize=1024, locs=False)


def _outer_value(src: Tracer, what: str):
    """``(batch sizes, value, batched)`` of a tracer of an enclosing trace."""
    state = src._state.concrete_state() if src._state is not None else None
    if state is None:  # an abstract trace's tracer: a constant, or TracerBoolError
        return (), src._value(what), False
    return (state.values.sizes, *state.values.value(src.node, what))


def _floating(n: Node) -> bool:
    a = n.aval
    return any(x.dtype.kind in "fc" for x in a) if isinstance(a, tuple) else a.dtype.kind in "fc"


def _unflatten_batch(out, sizes):
    if isinstance(out, tuple):
        return tuple(_unflatten_batch(o, sizes) for o in out)
    out = np.asarray(out)
    return out.reshape(tuple(sizes) + out.shape[1:])


def _describe(n: Node) -> str:
    if n.op.name == "var":
        return f"wire.var {n.params['name']!r} ({n.aval!r})"
    if n.op.name == "arg":
        return f"an argument of an abstract trace ({n.aval!r})"
    return f"an input ({n.aval!r})"
