"""Compile a graph to a straight-line Python function over NumPy.

``compile_graph(graph)`` turns a closed graph into generated Python source — one line per
node, e.g. ``k = np.tanh(j, out=j)`` — and ``exec``s it once. The generated function:

* runs the nodes in a **memory-aware order** (:func:`schedule`): a greedy list schedule that,
  among the nodes whose inputs are ready, first runs those that do not grow the live set
  (graph outputs count as free: they must exist anyway), so a reverse pass releases each
  activation as soon as it has been consumed;
* **releases** every intermediate value after its last use (``del``);
* **reuses buffers** through NumPy's ``out=`` only where that is provably safe: the buffer was
  allocated by this function (never an argument, a constant or a view), it dies at this very
  node, no view of it is still live, and it has the result's shape and dtype;
* calls BLAS for matrix products with **transposes folded** into the call (``dot(k.T, g)``
  reads a transposed view, nothing is materialised);
* **folds** small all-constant sub-expressions once, at compile time.

Each primitive's code comes from :data:`EMITTERS` (keyed by primitive name); primitives whose
implementation is a NumPy ufunc get the ufunc emitter automatically, and any other primitive
falls back to calling its ``impl`` (bound as a global of the generated function), so new
primitives compile with no change here. Results equal :func:`wire.evaluate`'s.

>>> import numpy as np, wire
>>> g = wire.trace(lambda x: np.tanh(x) * 2.0, np.ones(3))
>>> c = compile_graph(g)
>>> c(np.zeros(3))
array([0., 0., 0.])
>>> print(c.source.splitlines()[2].split("#")[0].strip())
b = np.tanh(a)
"""

from __future__ import annotations

import functools
import heapq
import keyword
import math
import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .. import tree
from ..core.debug import _NANS
from ..errors import ShapeError, UnboundInputError, WireError, at, user_location
from ..ir import Graph, Node, const_op, names as _names
from ..core import Tracer, call_graph_flat
from ..transforms.inline import inline_calls

# --------------------------------------------------------------------------- emitters


class Emitter(NamedTuple):
    """How one primitive becomes code.

    ``expr(ctx, node, args, out)`` returns the Python expression computing the node from the
    argument expressions ``args``; ``out`` is the name of a dead buffer the expression may
    write into (only passed when ``inplace``). ``kind`` tells the buffer analysis what the
    result is: ``"fresh"`` (a new writable array of the node's shape when it has rank >= 1),
    ``"view"`` (may share memory with its first input) or ``"opaque"`` (may share memory with
    any input).
    """

    expr: Callable
    kind: str = "opaque"
    inplace: bool = False


EMITTERS: dict[str, Emitter] = {}


def emitter(name: str, kind: str = "opaque", inplace: bool = False):
    """Register ``fn(ctx, node, args, out) -> str`` as the code emitter of primitive ``name``."""

    def register(fn):
        EMITTERS[name] = Emitter(fn, kind, inplace)
        return fn

    return register


def _call(fn: str, args, out=None, **kw) -> str:
    parts = list(args) + [f"{k}={v}" for k, v in kw.items()]
    if out is not None:
        parts.append(f"out={out}")
    return f"{fn}({', '.join(parts)})"


def _ufunc_expr(ctx, node, args, out):
    return _call(ctx.bind_numpy(node.op.impl), args, out)


UFUNC_EMITTER = Emitter(_ufunc_expr, "fresh", True)


@emitter("integer_pow", "fresh", True)
def _integer_pow(ctx, node, args, out):
    y = node.params["y"]
    if y == 2:
        return _call(ctx.bind_numpy(np.multiply), [args[0], args[0]], out)
    return _call(ctx.bind_numpy(np.power), [args[0], repr(int(y))], out)


@emitter("matmul", "fresh")
def _matmul(ctx, node, args, out):
    a, b = node.inputs
    if _rank(a) == 2 and _rank(b) == 2 and node.aval.dtype.kind in "fc":
        return _call(ctx.bind_numpy(np.dot), args)  # 2-D BLAS call, lower overhead than matmul
    return _call(ctx.bind_numpy(np.matmul), args)


def _reduce(ufunc):
    def expr(ctx, node, args, out):
        axes = node.params["axes"]
        (x,) = node.inputs
        if ctx.is_array(x) and _rank(x):
            return f"{ctx.bind_numpy(ufunc)}.reduce({args[0]}, {axes!r})"
        return _fallback(ctx, node, args, out)

    return expr


emitter("reduce_sum", "fresh")(_reduce(np.add))
emitter("reduce_max", "fresh")(_reduce(np.maximum))
emitter("reduce_min", "fresh")(_reduce(np.minimum))
emitter("reduce_prod", "fresh")(_reduce(np.multiply))


@emitter("reshape", "view")
def _reshape(ctx, node, args, out):
    if ctx.is_array(node.inputs[0]):
        return f"{args[0]}.reshape({node.params['shape']!r})"
    return _call(ctx.bind_numpy(np.reshape), [args[0], repr(node.params["shape"])])


def _is_matrix_transpose(node: Node) -> bool:
    """A swapaxes/transpose that is the plain ``.T`` of a 2-D array."""
    name = node.op.name
    if _rank(node.inputs[0]) != 2:
        return False
    if name == "swapaxes":
        return {node.params["axis1"] % 2, node.params["axis2"] % 2} == {0, 1}
    return name == "transpose" and tuple(node.params["perm"]) == (1, 0)


@emitter("swapaxes", "view")
def _swapaxes(ctx, node, args, out):
    if _is_matrix_transpose(node) and ctx.is_array(node.inputs[0]):
        return f"{args[0]}.T"
    p = node.params
    return _call(ctx.bind_numpy(np.swapaxes), [args[0], repr(p["axis1"]), repr(p["axis2"])])


@emitter("transpose", "view")
def _transpose(ctx, node, args, out):
    if _is_matrix_transpose(node) and ctx.is_array(node.inputs[0]):
        return f"{args[0]}.T"
    return _call(ctx.bind_numpy(np.transpose), [args[0], repr(node.params["perm"])])


@emitter("broadcast_to", "view")
def _broadcast_to(ctx, node, args, out):
    return _call(ctx.bind_numpy(np.broadcast_to), [args[0], repr(node.params["shape"])])


@emitter("select", "fresh")
def _select(ctx, node, args, out):
    return _call(ctx.bind_numpy(np.where), args)


@emitter("concatenate", "fresh")
def _concatenate(ctx, node, args, out):
    return f"{ctx.bind_numpy(np.concatenate)}(({', '.join(args)},), axis={node.params['axis']!r})"


@emitter("proj", "view")
def _proj(ctx, node, args, out):
    return f"{args[0]}[{node.params['index']!r}]"


@emitter("stop_gradient", "view")
def _identity(ctx, node, args, out):
    return args[0]


def _fallback(ctx, node, args, out):
    """Any primitive: call its ``impl`` with the params bound (``functools.partial``)."""
    return _call(ctx.bind_impl(node), args)


FALLBACK = Emitter(_fallback, "opaque")


def emitter_for(node: Node) -> Emitter:
    """The emitter of ``node``'s primitive: table entry, ufunc emitter, or the generic fallback."""
    if node.is_leaf:
        return FALLBACK
    e = EMITTERS.get(node.op.name)
    if e is not None:
        return e
    if isinstance(node.op.impl, np.ufunc) and not node.params:
        return UFUNC_EMITTER
    return FALLBACK


def _rank(node: Node):
    a = node.aval
    return None if isinstance(a, tuple) or a.shape is None else len(a.shape)


def _nbytes(aval) -> int:
    if isinstance(aval, tuple):
        return sum(_nbytes(a) for a in aval)
    if aval.shape is None:
        return aval.dtype.itemsize
    return math.prod(aval.shape) * aval.dtype.itemsize


# --------------------------------------------------------------------------- scheduling


class Info:
    """A graph flattened to integer indices (topological order) for the compiler's passes."""

    __slots__ = (
        "consumers",
        "distinct",
        "emitters",
        "index",
        "ins",
        "leaf",
        "nbytes",
        "nodes",
        "outputs",
    )

    def __init__(self, graph: Graph):
        nodes = list(graph.nodes)
        index = {n: i for i, n in enumerate(nodes)}
        self.nodes = nodes
        self.index = index
        self.ins = [tuple([index[i] for i in n.inputs]) for n in nodes]
        self.leaf = [n.is_leaf for n in nodes]
        self.emitters = [emitter_for(n) for n in nodes]
        self.nbytes = [_nbytes(n.aval) for n in nodes]
        self.outputs = [index[o] for o in graph.outputs]
        self.distinct = [list(dict.fromkeys(x)) for x in self.ins]
        consumers: list[list[int]] = [[] for _ in nodes]
        for i, d in enumerate(self.distinct):
            for j in d:
                consumers[j].append(i)
        self.consumers = consumers


def schedule(graph: Graph) -> list[Node]:
    """Operation nodes of ``graph`` in a memory-aware execution order.

    Greedy list scheduling: among ready nodes, those that do not grow the live set run first
    (largest net release first); the rest follow the graph's canonical topological order. A
    node's cost is the bytes it allocates (zero for views and for graph outputs, which exist
    at the end anyway) minus the bytes of the buffers it releases (buffers whose every alias
    has no other pending use). Deterministic; O(E log N).
    """
    info = Info(graph)
    return [info.nodes[i] for i in _schedule(info)]


def _schedule(info: Info) -> list[int]:
    n_nodes = len(info.nodes)
    leaf, distinct, consumers, nbytes = info.leaf, info.distinct, info.consumers, info.nbytes
    ops = [i for i in range(n_nodes) if not leaf[i]]
    if len(ops) <= 2:
        return ops
    # buffers: views share their input's buffer; everything else owns one
    buf = list(range(n_nodes))
    pinned = list(leaf)
    for i in ops:
        if info.emitters[i].kind == "view" and info.ins[i]:
            buf[i] = buf[info.ins[i][0]]
    remaining = [0] * n_nodes
    users: list[list[int]] = [[] for _ in range(n_nodes)]
    for i in range(n_nodes):
        b = buf[i]
        remaining[b] += len(consumers[i])
        users[b].extend(consumers[i])
    is_output = [False] * n_nodes
    for o in info.outputs:
        is_output[o] = True
        pinned[buf[o]] = True

    def score(i: int) -> int:
        if buf[i] != i:  # a view allocates nothing and releases nothing
            return 0
        gain = 0 if is_output[i] else -nbytes[i]
        d = distinct[i]
        if len(d) == 1:
            b = buf[d[0]]
            if not pinned[b] and remaining[b] == 1:
                gain += nbytes[b]
            return gain
        need: dict[int, int] = {}
        for j in d:
            b = buf[j]
            need[b] = need.get(b, 0) + 1
        for b, k in need.items():
            if not pinned[b] and remaining[b] == k:
                gain += nbytes[b]
        return gain

    pending = [0] * n_nodes
    for i in ops:
        pending[i] = sum(1 for j in distinct[i] if not leaf[j])
    current = [0] * n_nodes
    heap = []
    for i in ops:
        if pending[i] == 0:
            s = current[i] = score(i)
            heap.append((0 if s >= 0 else 1, -s if s > 0 else 0, i))
    heapq.heapify(heap)
    done = [False] * n_nodes
    order: list[int] = []
    push = heapq.heappush
    while heap:
        flag, neg, i = heapq.heappop(heap)
        if done[i]:
            continue
        s = current[i]
        if flag != (0 if s >= 0 else 1) or neg != (-s if s > 0 else 0):
            continue  # stale entry
        done[i] = True
        order.append(i)
        for j in distinct[i]:
            b = buf[j]
            remaining[b] -= 1
            if not pinned[b] and remaining[b] <= 4:
                for u in users[b]:
                    if not done[u] and pending[u] == 0:
                        s = score(u)
                        if s != current[u]:
                            current[u] = s
                            push(heap, (0 if s >= 0 else 1, -s if s > 0 else 0, u))
        for c in consumers[i]:
            pending[c] -= 1
            if pending[c] == 0:
                s = current[c] = score(c)
                push(heap, (0 if s >= 0 else 1, -s if s > 0 else 0, c))
    if len(order) != len(ops):  # pragma: no cover - a graph is a DAG
        raise WireError("internal error: schedule did not cover the graph")
    return order


# --------------------------------------------------------------------------- code generation

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FOLD_MAX_ELEMENTS = 1 << 16  # constant sub-expressions up to this size are folded at compile time


class _Ctx:
    """Names and globals of one generated function."""

    def __init__(self):
        self.globals: dict = {"__builtins__": __builtins__, "np": np}
        self._by_id: dict[int, str] = {}
        self._by_key: dict = {}
        self.arrays: set[Node] = set()  # nodes whose value is an ndarray / NumPy scalar

    def is_array(self, node: Node) -> bool:
        return node in self.arrays

    def _bind(self, obj, want: str) -> str:
        got = self._by_id.get(id(obj))
        if got is not None:
            return got
        name, k = want, 1
        while name in self.globals or keyword.iskeyword(name):
            name, k = f"{want}_{k}", k + 1
        self.globals[name] = obj
        self._by_id[id(obj)] = name
        return name

    def bind_numpy(self, fn) -> str:
        """Reference to a NumPy function or ufunc: ``np.multiply``, or a bound global."""
        name = getattr(fn, "__name__", "fn")
        if getattr(np, name, None) is fn:
            return f"np.{name}"
        return self._bind(fn, "_np_" + name)

    def bind_impl(self, node: Node) -> str:
        impl = node.op.impl
        if node.params:
            key = ("impl", node.op, node.params)
            got = self._by_key.get(key)
            if got is None:
                got = self._bind(functools.partial(impl, **node.params), f"_{node.op.name}")
                self._by_key[key] = got
            return got
        return self._bind(impl, f"_{node.op.name}")

    def bind_const(self, value, name: str | None = None) -> str:
        """A constant array as a global: its node's name, or one spelling a scalar's value."""
        a = value
        if name is not None:
            return self._bind(a, name)
        key = None
        if isinstance(a, np.ndarray) and a.ndim == 0:
            key = ("const", a.dtype.str, a.tobytes())
            got = self._by_key.get(key)
            if got is not None:
                return got
        want = "_const"
        if isinstance(a, np.ndarray) and a.ndim == 0 and a.dtype.kind in "fiub":
            text = repr(a.item()).replace("-", "m").replace(".", "_").replace("+", "")
            suffix = "" if a.dtype in (np.float64, np.int64, np.bool_) else a.dtype.char
            if _IDENT.match(f"_{text}{suffix}"):
                want = f"_{text}{suffix}"
        got = self._bind(a, want)
        if key is not None:
            self._by_key[key] = got
        return got


class Compiled:
    """A graph compiled to a Python function; call it like the graph: ``compiled(*args)``.

    ``source`` is the generated code, ``graph`` the graph, ``fn`` the function taking the flat
    input leaves and returning the output pytree.
    """

    __slots__ = ("__weakref__", "_listing", "fn", "graph", "order")

    def __init__(self, graph, listing, fn, order):
        sa = object.__setattr__
        sa(self, "graph", graph)
        sa(self, "_listing", listing)
        sa(self, "fn", fn)
        sa(self, "order", order)

    def __setattr__(self, name, value):
        raise AttributeError("Compiled is immutable")

    @property
    def source(self) -> str:
        """The generated code, each line commented with its node (formatted when asked)."""
        return self._listing.source()

    def __call__(self, *args):
        leaves, _ = tree.flatten(args)
        if _NANS.get() or any(isinstance(x, Tracer) for x in leaves):
            # inside another trace: inline; under wire.debug_nans: the checking evaluator
            return tree.unflatten(self.graph.out_tree, call_graph_flat(self.graph, leaves))
        inputs = self.graph.inputs
        if len(leaves) != len(inputs):
            raise WireError(
                f"compiled graph takes {len(inputs)} input leaves, got {len(leaves)}"
                f"{at(user_location())}"
            )
        for node, v in zip(inputs, leaves):
            shape = np.shape(v)
            if node.aval.shape is not None and tuple(shape) != node.aval.shape:
                raise ShapeError(
                    f"input {node.params.get('index', '')} expects {node.aval!r}, got shape "
                    f"{tuple(shape)}{at(user_location())}"
                )
        return self.fn(*leaves)

    def __repr__(self):
        return f"<wire.Compiled graph of {len(self.graph)} nodes>"


def _as_array(v):
    if isinstance(v, tuple):
        return tuple(_as_array(x) for x in v)
    return v if type(v) is np.ndarray else np.asarray(v)


def _fold(node: Node, ins: list):
    """Value of an all-constant node, computed now, or None when it should run at call time."""
    if isinstance(node.aval, tuple) or node.aval.shape is None:
        return None
    if math.prod(node.aval.shape) > FOLD_MAX_ELEMENTS and node.op.name != "broadcast_to":
        return None
    with np.errstate(all="ignore"):
        out = node.op.impl(*ins, **node.params)
    out = np.asarray(out)
    if out.flags.writeable and out.base is None:
        out.setflags(write=False)
    return out


class Listing(NamedTuple):
    """Generated code: ``header`` comment, code ``lines`` and, per line, the node it computes
    (``None`` for ``del`` and ``return`` lines). ``code()`` is what runs; ``source()`` adds
    a comment naming each line's node (primitive, aval, user location) for reading."""

    header: str
    lines: list
    nodes: list

    def code(self) -> str:
        return "\n" + "\n".join(self.lines) + "\n"  # line numbers as in source()

    def source(self) -> str:
        out = [self.header]
        for line, n in zip(self.lines, self.nodes):
            out.append(line if n is None else f"{line:<48}  # {_describe(n)}")
        return "\n".join(out) + "\n"


def generate(graph: Graph, name: str = "compiled") -> tuple[str, dict, list[Node]]:
    """Source text, globals and node order of the function computing ``graph``."""
    listing, glb, order = _generate(graph, name)
    return listing.source(), glb, order


def _generate(graph: Graph, name: str) -> tuple[Listing, dict, list[Node]]:
    unbound = graph.free_vars
    if unbound:
        n = unbound[0]
        raise UnboundInputError(
            f"cannot compile a graph with free variable {n!r} (it closes over a value of an "
            f"enclosing trace or a wire.var); bind it as an input{at(n.loc)}"
        )
    info = Info(graph)
    nodes, ins, emitters = info.nodes, info.ins, info.emitters
    n_nodes = len(nodes)
    ctx = _Ctx()
    ctx.globals["_as_array"] = _as_array
    is_input = [False] * n_nodes
    for n in graph.inputs:
        is_input[info.index[n]] = True

    # ---- constants and compile-time folding
    is_output = [False] * n_nodes
    for o in info.outputs:
        is_output[o] = True
    known: list = [None] * n_nodes
    is_known = [False] * n_nodes
    uniform: list = [None] * n_nodes  # 0-d value of a `full` node (read as a broadcast scalar)
    for i, n in enumerate(nodes):
        if n.op is const_op:
            known[i], is_known[i] = n.params["value"].array, True
        elif n.op.name == "full" and not is_output[i] and not ins[i] and _rank(n) is not None:
            p = n.params
            scalar = np.full((), p["value"], dtype=p["dtype"])
            scalar.setflags(write=False)
            known[i], is_known[i] = np.broadcast_to(scalar, p["shape"]), True  # no memory
            uniform[i] = scalar
        elif (
            not info.leaf[i]
            and not is_output[i]  # outputs stay fresh, writable arrays, as evaluate gives
            and (ins[i] or n.op.name == "full")
            and all(is_known[j] for j in ins[i])
        ):
            try:
                v = _fold(n, [known[j] for j in ins[i]])
            except Exception:  # noqa: BLE001 - a run-time error stays a run-time error
                v = None
            if v is not None:
                known[i], is_known[i] = v, True

    # ---- names: the letters print(graph) uses (keywords and `np` get a trailing `_`)
    gen = _names()
    names: list = [None] * n_nodes

    def fresh_name():
        s = next(gen)
        return s + "_" if keyword.iskeyword(s) or s == "np" else s

    arrays = [False] * n_nodes  # values known to be ndarrays / NumPy scalars
    for n in graph.inputs:
        i = info.index[n]
        names[i] = fresh_name()
        arrays[i] = bool(n.aval.shape)
    for i, n in enumerate(nodes):
        if names[i] is None and not (n.op is const_op and n.aval.shape == ()):
            names[i] = fresh_name()
    order = [i for i in _schedule(info) if not is_known[i]]
    for i in order:
        arrays[i] = True  # NumPy functions return ndarrays or NumPy scalars
    ctx.arrays = {nodes[i] for i in range(n_nodes) if arrays[i]}

    # ---- transposes folded into the matmuls that read them (`dot(k.T, g)`)
    outputs = info.outputs
    base = list(range(n_nodes))  # the value a folded node reads
    folded = [False] * n_nodes
    for i in order:
        n = nodes[i]
        if (
            n.op.name in ("swapaxes", "transpose")
            and not is_output[i]
            and _is_matrix_transpose(n)
            and not is_known[ins[i][0]]
            and arrays[ins[i][0]]
            and all(nodes[u].op.name == "matmul" for u in info.consumers[i])
        ):
            folded[i] = True
            base[i] = ins[i][0]

    def ref(j: int, user: int | None = None) -> str:
        if uniform[j] is not None and user is not None and emitters[user].inplace:
            shape = nodes[user].aval.shape
            if any(x != j and nodes[x].aval.shape == shape for x in ins[user]):
                return ctx.bind_const(uniform[j])  # broadcasting a scalar gives the same array
        if is_known[j]:
            v = known[j]
            if isinstance(v, np.ndarray) and v.ndim == 0:
                return ctx.bind_const(v)
            return ctx.bind_const(v, names[j])
        if folded[j]:
            return f"{names[base[j]]}.T"
        return names[j]

    emitted = [i for i in order if not folded[i]]

    # ---- liveness over emitted lines
    end = len(emitted)
    last = [-1] * n_nodes
    for k, i in enumerate(emitted):
        for j in ins[i]:
            last[base[j]] = k
    for o in outputs:
        last[base[o]] = end

    # ---- buffer analysis: the buffers each value may share, and when each buffer dies
    alias: list = [None] * n_nodes
    owner = [False] * n_nodes  # owns a fresh, writable buffer of exactly its aval
    death = [-1] * n_nodes
    for i in range(n_nodes):
        if is_input[i] or is_known[i]:
            alias[i] = (i,)
            death[i] = end + 1  # never writable
    for i in emitted:
        e = emitters[i]
        src = [base[j] for j in ins[i]]
        if e.kind == "fresh":
            bufs = (i,)
            owner[i] = bool(_rank(nodes[i]))
        elif e.kind == "view" and src:
            bufs = alias[src[0]]
        else:
            bufs = tuple(dict.fromkeys([i] + [b for j in src for b in alias[j]]))
        alias[i] = bufs
        d = last[i]
        for b in bufs:
            death[b] = max(death[b], d)

    # ---- lines
    lines = [f"def {name}({', '.join(names[info.index[n]] for n in graph.inputs)}):"]
    line_nodes: list = [None]
    for k, i in enumerate(emitted):
        n = nodes[i]
        e = emitters[i]
        out = None
        if e.inplace and owner[i]:
            dtype = n.aval.dtype
            for j in ins[i]:
                if (
                    owner[j]
                    and not folded[j]
                    and death[j] == k
                    and alias[j] == (j,)
                    and nodes[j].aval == n.aval
                    and all(not isinstance(x.aval, tuple) and x.aval.dtype == dtype
                            for x in n.inputs)
                ):
                    out = names[j]  # the result takes over this dead buffer
                    break
        expr = e.expr(ctx, n, [ref(j, i) for j in ins[i]], out)
        lines.append(f"    {names[i]} = {expr}")
        line_nodes.append(n)
        if k == end - 1:
            continue  # returning releases everything else
        frees = [
            names[b]
            for b in dict.fromkeys(base[j] for j in ins[i])
            if not is_known[b] and not is_input[b] and last[b] == k
        ]
        if frees:
            lines.append(f"    del {', '.join(frees)}")
            line_nodes.append(None)
    outs = [graph.outputs[k] for k in range(len(outputs))]
    lines.append(f"    return {_return_expr(graph, ctx, ref, outs, outputs, is_known)}")
    line_nodes.append(None)
    n_ops = sum(1 for leaf in info.leaf if not leaf)
    header = f"# wire.compile: {len(emitted)} lines for {n_ops} operation nodes"
    return Listing(header, lines, line_nodes), ctx.globals, [nodes[i] for i in emitted]


def _describe(n: Node) -> str:
    aval = n.aval
    text = repr(aval) if not isinstance(aval, tuple) else "(" + ", ".join(map(repr, aval)) + ")"
    return f"{n.op.name} {text}  {n.loc}" if n.loc else f"{n.op.name} {text}"


def _return_expr(graph: Graph, ctx: _Ctx, ref, outputs, out_index, is_known) -> str:
    def leaf(o: Node, i: int) -> str:
        r = ref(i)
        if is_known[i]:  # constants are stored as arrays
            return r
        if isinstance(o.aval, tuple) or o.is_leaf:
            return f"_as_array({r})"
        if o.aval.shape is None or o.aval.shape == () or emitter_for(o).kind == "opaque":
            return f"_as_array({r})"
        return r

    exprs = [leaf(o, i) for o, i in zip(outputs, out_index)]

    def literal(td, it) -> str | None:
        if td.kind == "leaf":
            return next(it)
        if td.kind == "none":
            return "None"
        kids = [literal(c, it) for c in td.children]
        if any(k is None for k in kids):
            return None
        if td.kind == "tuple":
            return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
        if td.kind == "list":
            return "[" + ", ".join(kids) + "]"
        return None

    text = literal(graph.out_tree, iter(exprs))
    if text is not None:
        return text
    ctx.globals["_unflatten"] = tree.unflatten
    ctx.globals["_out_tree"] = graph.out_tree
    return f"_unflatten(_out_tree, [{', '.join(exprs)}])"


def compile_graph(graph: Graph, name: str = "compiled") -> Compiled:
    """Compile ``graph`` to a :class:`Compiled` function (see the module docstring).

    >>> import numpy as np, wire
    >>> c = compile_graph(wire.trace(lambda x, y: (x * y, x + y), np.ones(2), np.ones(2)))
    >>> c(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    (array([3., 8.]), array([4., 6.]))
    """
    graph = inline_calls(graph)  # custom rules are no longer needed once we only evaluate
    listing, glb, order = _generate(graph, name)
    code = compile(listing.code(), f"<wire.jit {name}>", "exec")
    exec(code, glb)  # noqa: S102 - our own generated source, from a graph
    return Compiled(graph, listing, glb[name], tuple(order))
