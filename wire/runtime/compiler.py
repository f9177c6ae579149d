"""Compile a graph to a straight-line Python function over NumPy.

``compile_graph(graph)`` turns a closed graph into generated Python source — one line per
node, e.g. ``k = np.tanh(j, j)``, or per chain of ufunc calls living in one name,
``k = np.tanh(k := np.sin(j), k)`` — and ``exec``s it once. The generated function:

* runs the nodes in a **memory-aware order** (:func:`~wire.runtime.schedule.schedule`): a greedy list schedule that,
  among the nodes whose inputs are ready, first runs those that do not grow the live set
  (graph outputs count as free: they must exist anyway), so a reverse pass releases each
  activation as soon as it has been consumed;
* **releases** every intermediate array after its last use: the next result takes its
  name (or a ``del`` drops it before the next line that may allocate; scalars are left to
  the function's return);
* **reuses buffers** through NumPy's ``out=`` only where that is provably safe: the buffer was
  allocated by this function (never an argument, a constant or a view), it dies at this very
  node, no view of it is still live, and it has the result's shape and dtype;
* calls BLAS for matrix products with **transposes folded** into the call (``matmul(k.T, g)``
  reads a transposed view, nothing is materialised);
* **folds** small all-constant sub-expressions once, at compile time.

Each primitive's code comes from its own ``emit`` field (a :class:`wire.core.lowering.Emitter`);
primitives whose implementation is a NumPy ufunc get the ufunc emitter automatically, and any
other primitive falls back to calling its ``impl`` (bound as a global of the generated
function), so new primitives compile with no change here. Results equal
:func:`wire.evaluate`'s.

The code generator is a sequence of named passes over one :class:`~wire.runtime.schedule.Slot`
per node (:func:`_generate` lists them); the execution order comes from
:mod:`wire.runtime.schedule`.

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
import itertools
import keyword
import math
import re
from typing import NamedTuple

import numpy as np

from .. import tree
from ..core import Tracer, call_graph_flat
from ..core.lowering import UFUNC
from ..core.debug import _NANS
from ..errors import ShapeError, UnboundInputError, WireError, at, user_location
from ..ir import Graph, Node, const_op, gc_paused, names as _names, zero_signs
from ..ops.elementwise import pow_p
from ..ops.matmul import matmul_p
from ..transforms.inline import inline_calls
from . import arena as arena_, cbuild, fusion, gemm as gemm_, native, scalar_code
from .schedule import Slot, execution_order, output_slots, schedule, slots_of

__all__ = ["Compiled", "compile_graph", "compile_native", "generate", "schedule"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FOLD_MAX_ELEMENTS = 1 << 16  # constant sub-expressions up to this size are folded at compile time


class _Ctx:
    """Names and globals of one generated function."""

    def __init__(self):
        self.globals: dict = {"__builtins__": __builtins__, "np": np}
        # how each global (but np and __builtins__) came about, so a cache can rebuild them
        # without pickling: ("object", fn) | ("impl", node) | ("const", array) |
        # ("helper", name) | ("tree", treedef)
        self.recipes: dict[str, tuple] = {}
        self._by_id: dict[int, str] = {}
        self._by_key: dict = {}
        self._numpy: dict = {}  # NumPy function -> how the code names it
        self.arrays: set[Node] = set()  # nodes whose value is an ndarray / NumPy scalar

    def is_array(self, node: Node) -> bool:
        return node in self.arrays

    def _bind(self, obj, want: str, recipe: tuple) -> str:
        got = self._by_id.get(id(obj))
        if got is not None:
            return got
        name, k = want, 1
        while name in self.globals or keyword.iskeyword(name):
            name, k = f"{want}_{k}", k + 1
        self.globals[name] = obj
        self.recipes[name] = recipe
        self._by_id[id(obj)] = name
        return name

    def set_global(self, name: str, obj, recipe: tuple) -> None:
        self.globals[name] = obj
        self.recipes[name] = recipe

    def as_float(self, expr: str) -> str:
        """``expr`` (a NumPy scalar) read back as a Python float (the same bits)."""
        self.set_global("_float", float, ("helper", "float"))
        return f"_float({expr})"

    def bind_float(self, value: float) -> str:
        """A Python float constant as a global (any value: NaN, inf, -0.0 included)."""
        key = ("float", np.float64(value).tobytes())
        got = self._by_key.get(key)
        if got is None:
            text = repr(float(value)).replace("-", "m").replace(".", "_").replace("+", "")
            want = f"_f{text}" if _IDENT.match(f"_f{text}") else "_float_const"
            got = self._bind(float(value), want, ("float", float(value)))
            self._by_key[key] = got
        return got

    def bind_numpy(self, fn) -> str:
        """Reference to a NumPy function or ufunc: ``np.multiply``, or a bound global."""
        got = self._numpy.get(fn)
        if got is None:
            name = getattr(fn, "__name__", "fn")
            if getattr(np, name, None) is fn:
                got = f"np.{name}"
            else:
                got = self._bind(fn, "_np_" + name, ("object", fn))
            self._numpy[fn] = got
        return got

    def bind_impl(self, node: Node) -> str:
        impl = node.op.impl
        if node.params:
            key = ("impl", node.op, node.params, zero_signs(node._items))  # -0.0 != 0.0
            got = self._by_key.get(key)
            if got is None:
                got = self._bind(functools.partial(impl, **node.params), f"_{node.op.name}",
                                 ("impl", node))
                self._by_key[key] = got
            return got
        return self._bind(impl, f"_{node.op.name}", ("impl", node))

    def bind_const(self, value, name: str | None = None) -> str:
        """A constant array as a global: its node's name, or one spelling a scalar's value."""
        a = value
        got = self._by_id.get(id(a))  # (bound before: read many times, spelled once)
        if got is not None:
            return got
        if name is not None:
            return self._bind(a, name, ("const", a))
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
        got = self._bind(a, want, ("const", a))
        if key is not None:
            self._by_key[key] = got
        return got


class Compiled:
    """A graph compiled to a Python function; call it like the graph: ``compiled(*args)``.

    ``source`` is the generated code, ``graph`` the graph, ``fn`` the function taking the flat
    input leaves and returning the output pytree.
    """

    __slots__ = ("__weakref__", "_listing", "code_object", "fn", "graph", "order", "recipes")

    def __init__(self, graph, listing, fn, order, recipes=None, code_object=None):
        sa = object.__setattr__
        sa(self, "graph", graph)
        sa(self, "_listing", listing)
        sa(self, "fn", fn)
        sa(self, "order", order)
        sa(self, "recipes", recipes or {})  # how each global came about (see _Ctx)
        sa(self, "code_object", code_object)  # what compile() made of ``code``

    def __setattr__(self, name, value):
        raise AttributeError("Compiled is immutable")

    @property
    def arena_bytes(self) -> int:
        """Bytes of one buffer set of the function's scratch arena (0: it has none); a
        function keeps up to :data:`wire.runtime.arena.KEEP` sets between calls."""
        arena = self.fn.__globals__.get("_arena")
        return arena.nbytes if arena is not None else 0

    @property
    def source(self) -> str:
        """The generated code, each line commented with its node (formatted when asked)."""
        return self._listing.source()

    @property
    def code(self) -> str:
        """The code that runs (``source`` without the comments)."""
        return self._listing.code()

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


def _fold(slot: Slot, ins: list):
    """Value of an all-constant node, computed now, or None when it should run at call time
    (a view of a constant costs no memory, whatever its size)."""
    node = slot.node
    if isinstance(node.aval, tuple) or node.aval.shape is None:
        return None
    if math.prod(node.aval.shape) > FOLD_MAX_ELEMENTS and slot.emitter.kind != "view":
        return None
    with np.errstate(all="ignore"):
        out = node.op.impl(*ins, **node.params)
    out = np.asarray(out)
    if out.flags.writeable and out.base is None:
        out.setflags(write=False)
    return out


class Listing(NamedTuple):
    """Generated code: ``header`` comment, code ``lines`` and, per line, the node it computes
    (a tuple of nodes for a nested line, innermost first; ``None`` for ``del`` and ``return``
    lines). ``code()`` is what runs; ``source()`` adds a comment naming each line's nodes
    (primitive, aval, user location) for reading."""

    header: str
    lines: list
    nodes: list
    graph: Graph  # whose locations the comments give

    def code(self) -> str:
        return "\n" + "\n".join(self.lines) + "\n"  # line numbers as in source()

    def source(self) -> str:
        out = [self.header]
        for line, n in zip(self.lines, self.nodes):
            out.append(line if n is None else f"{line:<48}  # {_describe(n, self.graph)}")
        return "\n".join(out) + "\n"


def generate(graph: Graph, name: str = "compiled") -> tuple[str, dict, list[Node]]:
    """Source text, globals and node order of the function computing ``graph``."""
    listing, ctx, order = _generate(graph, name)
    return listing.source(), ctx.globals, order


def _generate(graph: Graph, name: str, fuse: bool = True,
              kernels: list | None = None,
              arena: bool | int = True,
              gemm: str = "numpy") -> tuple[Listing, _Ctx, list[Node]]:
    """The passes of the code generator, in order (each reads and fills the slots);
    ``kernels``: ``(list, min_elements)``: the list to collect native regions into
    (:mod:`wire.runtime.native`), which then replace the blocked-NumPy ones they overlap;
    ``arena``: values of :data:`wire.runtime.arena.MIN_BYTES` bytes or more (``True``), of
    this many (an int) or none (``False``) go to a scratch arena (:mod:`wire.runtime.arena`);
    ``gemm``: the provider of matrix products (:mod:`wire.runtime.gemm`)."""
    _check_closed(graph)
    slots = slots_of(graph)
    outputs = output_slots(graph, slots)
    _fold_constants(slots)
    _name_values(graph, slots)
    order = [i for i in execution_order(slots) if not slots[i].known]
    ctx = _Ctx()
    ctx.set_global("_as_array", _as_array, ("helper", "as_array"))
    _mark_arrays(graph, slots, order, ctx)
    _fold_transposes(slots, order)
    emitted = [i for i in order if not slots[i].folded]
    gemm_lines = _gemm_lines(slots, emitted, gemm, ctx)
    _liveness(slots, emitted, outputs)
    _buffers(slots, emitted)
    fuse_min = fusion.MIN_ELEMENTS if fuse is True else (fuse or None)
    fused, blocked = _regions(slots, emitted, fuse_min, kernels)
    reuse = _reuse(slots, emitted, fused, blocked)
    floor = arena_.MIN_BYTES if arena is True else (arena or None)
    scratch = {} if floor is None else _arena(slots, emitted, outputs, fused, blocked, reuse,
                                              floor)
    ref = functools.partial(_ref, slots, ctx)
    # (before _lines renames values)
    scalar = scalar_code.scalar_lines(graph, slots, emitted, outputs, ctx, _return_expr)
    lines, line_nodes = _lines(graph, slots, emitted, ctx, ref, name, fused, blocked, reuse,
                               scratch, kernels, gemm_lines)
    n_lines = sum(1 for n in line_nodes if n is not None)  # (of the NumPy code)
    if scratch:
        layout, recycled = scratch["layout"], scratch["recycled"]
        ctx.set_global("_arena", arena_.Arena(layout, len(recycled)),
                       ("arena", (layout, len(recycled))))
        ctx.set_global("_take", arena_.take, ("helper", "arena_take"))
        ctx.set_global("_give", arena_.give, ("helper", "arena_give"))
        names = [f"W{v}" for v in range(len(layout.views))]
        names += [f"R{p}" for p in range(len(recycled))]
        args = "".join(f", {s.name}" for s in _input_slots(graph, slots))
        lines.insert(1, f"    {', '.join(names)}{',' if len(names) == 1 else ''} = W_ = "
                        f"_take(_arena{args})")
        line_nodes.insert(1, None)
    if scalar is not None:
        lines[1:1] = scalar[0]
        line_nodes[1:1] = scalar[1]
    outs = [graph.outputs[k] for k in range(len(outputs))]
    own_lines, exprs = _output_lines(outs, outputs, slots, ref, ctx)
    lines.extend(own_lines)
    line_nodes.extend([None] * len(own_lines))
    if scratch:  # (a call that raised drops its arena)
        kept = "".join(f", {slots[i].name}" for i in scratch["recycled"])
        lines.append(f"    _give(_arena, W_{kept})")
        line_nodes.append(None)
    lines.append(f"    return {_return_expr(graph, ctx, exprs)}")
    line_nodes.append(None)
    n_ops = sum(1 for s in slots if not s.leaf)
    header = f"# wire.compile: {n_lines} lines for {n_ops} operation nodes"
    return Listing(header, lines, line_nodes, graph), ctx, [slots[i].node for i in emitted]


def _gemm_lines(slots: list[Slot], emitted, gemm: str, ctx: _Ctx) -> dict[int, str]:
    """``{slot: name}``: the ``matmul`` lines that call the GEMM provider bound as ``name``
    instead of ``np.matmul`` (:mod:`wire.runtime.gemm`; none for ``"numpy"``)."""
    if gemm == "numpy":
        return {}
    products = [i for i in emitted if slots[i].node.op is matmul_p]
    if gemm_.choose(gemm, [slots[i].node for i in products]) != "torch":
        return {}
    name = gemm_.bind(ctx)
    return {i: name for i in products if gemm_.node_qualifies(slots[i].node)}


def _check_closed(graph: Graph) -> None:
    unbound = graph.free_vars
    if unbound:
        n = unbound[0]
        raise UnboundInputError(
            f"cannot compile a graph with free variable {n!r} (it closes over a value of an "
            f"enclosing trace or a wire.var); bind it as an input{at(graph.loc(n))}"
        )


def _fold_constants(slots: list[Slot]) -> None:
    """Constants, and small all-constant sub-expressions computed now (``value``); ``full``
    nodes become broadcast views of their scalar (``scalar``). Graph outputs stay computed at
    call time: they must be fresh, writable arrays, as ``evaluate`` gives."""
    for s in slots:
        n = s.node
        if n.op is const_op:
            s.value, s.known = n.params["value"].array, True
            continue
        if s.leaf or s.is_output:
            continue
        repeat = s.emitter.broadcast_scalar
        if repeat is not None and not s.ins and n.aval.shape is not None:
            scalar = repeat(n)
            if _an_exponent(slots, s):  # the evaluator's contiguous array, for NumPy's power
                s.value, s.known = np.full(n.aval.shape, scalar), True
                s.value.setflags(write=False)
                continue
            s.scalar = scalar
            s.value, s.known = np.broadcast_to(s.scalar, n.aval.shape), True  # no memory
        elif (s.ins or repeat is not None) and _all_known(slots, s.ins):
            try:
                v = _fold(s, [slots[j].value for j in s.ins])
            except Exception:  # noqa: BLE001 - a run-time error stays a run-time error
                v = None
            if v is not None:
                s.value, s.known = v, True


def _an_exponent(slots: list[Slot], s: Slot) -> bool:
    """Whether ``s`` (a ``full`` node) is the exponent of a ``pow`` of its own shape. NumPy's
    ``power`` loop takes ``sqrt`` for an exponent 0.5 read with stride 0 (a scalar, a broadcast
    view): ``(-inf) ** 0.5`` is then NaN and ``(-0.0) ** 0.5`` is ``-0.0``, where an array of
    0.5 (what ``evaluate`` makes of a ``full`` node) gives ``inf`` and ``0.0``."""
    for u in s.consumers:
        node = slots[u].node
        if node.op is pow_p and node.inputs[1] is s.node and node.aval.shape == s.node.aval.shape:
            return True
    return False


def _all_known(slots: list[Slot], ins) -> bool:
    for j in ins:  # (the first operand is usually not known: no generator to set up)
        if not slots[j].known:
            return False
    return True


def _input_slots(graph: Graph, slots: list[Slot]) -> list[Slot]:
    """The slots of ``graph.inputs``, in order."""
    by_node = {s.node: s for s in slots if s.is_input}
    return [by_node[n] for n in graph.inputs]


def _name_values(graph: Graph, slots: list[Slot]) -> None:
    """The letters ``print(graph)`` uses (keywords and ``np`` get a trailing ``_``): inputs
    first, then every node but scalar constants (which are spelled by value)."""
    table = _name_table()
    fresh_name = itertools.chain(table, itertools.islice(_fresh_names(), len(table), None)
                                 ).__next__
    for s in _input_slots(graph, slots):
        s.name = fresh_name()
    for s in slots:
        if s.name is None:
            n = s.node
            if n.op is not const_op or n.aval.shape != ():
                s.name = fresh_name()


def _fresh_names():
    for s in _names():
        yield s + "_" if s == "np" or keyword.iskeyword(s) else s


@functools.lru_cache(maxsize=1)
def _name_table() -> tuple:
    """The first names :func:`_name_values` gives (most graphs need no more)."""
    return tuple(itertools.islice(_fresh_names(), 4096))


def _mark_arrays(graph: Graph, slots: list[Slot], order, ctx: _Ctx) -> None:
    """Values known to be ndarrays or NumPy scalars (array inputs, anything NumPy computed),
    which emitters may call methods on (``x.T``, ``x.reshape``)."""
    for s in _input_slots(graph, slots):
        s.array = bool(s.node.aval.shape)
    for i in order:
        slots[i].array = True
    ctx.arrays = {s.node for s in slots if s.array}


def _fold_transposes(slots: list[Slot], order) -> None:
    """A ``.T`` read only by consumers that take transposed operands (BLAS matmul) is never
    emitted: those consumers read ``x.T`` of its input directly."""
    for i in order:
        s = slots[i]
        e = s.emitter
        if e.matrix_transpose is None or s.is_output or not e.matrix_transpose(s.node):
            continue
        src = slots[s.ins[0]]
        if not src.known and src.array and all(
                slots[u].emitter.reads_transposes for u in s.consumers):
            s.folded, s.base = True, src.index


def _ref(slots: list[Slot], ctx: _Ctx, j: int, user: int | None = None) -> str:
    """The expression reading slot ``j`` (in the line of slot ``user``)."""
    s = slots[j]
    if s.scalar is not None and user is not None and slots[user].emitter.inplace:
        shape = slots[user].node.aval.shape
        if any(x != j and slots[x].node.aval.shape == shape for x in slots[user].ins):
            return ctx.bind_const(s.scalar)  # broadcasting a scalar gives the same array
    if s.known:
        v = s.value
        if isinstance(v, np.ndarray) and v.ndim == 0:
            return ctx.bind_const(v)
        return ctx.bind_const(v, s.name)
    if s.folded:
        return f"{slots[s.base].name}.T"
    return s.name


def _liveness(slots: list[Slot], emitted, outputs) -> None:
    """``last``: the emitted line that last reads each value (outputs live to the end)."""
    for k, i in enumerate(emitted):
        for j in slots[i].ins:
            slots[slots[j].base].last = k
    for o in outputs:
        slots[slots[o].base].last = len(emitted)


def _buffers(slots: list[Slot], emitted) -> None:
    """``alias``: the buffers each value may share; ``owner``: it owns a fresh writable buffer
    of its aval; ``death``: the last line reading any alias of a buffer. Inputs and constants
    are never writable."""
    end = len(emitted)
    for s in slots:
        if s.is_input or s.known:
            s.alias, s.death = (s.index,), end + 1
    for i in emitted:
        s = slots[i]
        kind = s.emitter.kind
        if kind == "fresh":
            s.alias = (i,)
            aval = s.node.aval
            s.owner = not isinstance(aval, tuple) and bool(aval.shape)
            if s.last > s.death:
                s.death = s.last
            continue
        src = [slots[j].base for j in s.ins]
        if kind == "view" and src:
            s.alias = slots[src[0]].alias
        else:
            s.alias = tuple(dict.fromkeys([i] + [b for j in src for b in slots[j].alias]))
        for b in s.alias:
            slots[b].death = max(slots[b].death, s.last)


def _reusable_operand(slots: list[Slot], i: int, k: int) -> int | None:
    """The operand whose dead buffer line ``k`` (slot ``i``) may write its result into: one
    this function allocated, dying at this very line, with no live view, of the result's
    shape and dtype."""
    s = slots[i]
    if not (s.owner and s.emitter.inplace):
        return None
    aval = s.node.aval
    found = None
    for j in s.ins:  # (cheap tests first: most operands are still live)
        o = slots[j]
        if o.death == k and o.owner and not o.folded and o.alias == (j,):
            other = o.node.aval
            if other is aval or other == aval:  # (avals are usually shared objects)
                found = j
                break
    if found is None or not _same_dtypes(s.node):
        return None
    return found


def _same_dtypes(node: Node) -> bool:
    """Whether every operand of ``node`` has its dtype (NumPy then picks the loop of that
    dtype whether or not the result's buffer is given)."""
    aval = node.aval
    dtype = aval.dtype
    for x in node.inputs:
        other = x.aval
        if other is not aval and (isinstance(other, tuple) or other.dtype != dtype):
            return False
    return True


def _regions(slots: list[Slot], emitted, fuse_min: int | None, kernels: list | None):
    """``({first: last}, {first: last})``: the native regions (when ``kernels`` is given) and
    the blocked-NumPy ones where no native one overlaps (see :func:`_lines`)."""
    fused, blocked = {}, {}
    if kernels is not None:
        fused = native.regions(slots, emitted, kernels[1])
    # (a value of n elements takes at least n bytes: most graphs have none big enough)
    if fuse_min is not None and any(slots[i].nbytes >= fuse_min for i in emitted):
        # blocked regions where no native one overlaps (the kernels replace those)
        blocked = {a: b for a, b in fusion.regions(slots, emitted, fuse_min)
                   if not any(a <= d and c <= b for c, d in fused.items())}
    return fused, blocked


def _reuse(slots: list[Slot], emitted, fused: dict, blocked: dict) -> dict[int, int]:
    """``{slot: operand}``: the lines (outside fused regions) writing their result into an
    operand's dead buffer (:func:`_reusable_operand`)."""
    skip = {k for a, b in itertools.chain(fused.items(), blocked.items())
            for k in range(a, b + 1)}
    reuse = {}
    for k, i in enumerate(emitted):
        if slots[i].owner and k not in skip:
            j = _reusable_operand(slots, i, k)
            if j is not None:
                reuse[i] = j
    return reuse


def _arena(slots: list[Slot], emitted, outputs, fused: dict, blocked: dict, reuse: dict,
           floor: int) -> dict:
    """The scratch arena (:mod:`wire.runtime.arena`) of the function: ``{"layout": Layout,
    "recycled": [output slot, ...], slot: name}`` for the values whose line writes into an
    arena buffer (``W0``, ``W1`` …) or into a recycled output (``R0`` …); ``{}`` when none
    does.

    A value's buffer holds it and every value written into it in place after it (``reuse``:
    a chain). A chain goes to the arena when its first value has at least ``floor`` bytes
    and is computed by a line that takes a buffer (an ``inplace`` or ``writes_out``
    emitter, operands of its dtype) or is a result a fused region keeps, and no value of the
    chain is an output, reaches one through a view, or is read by a line that may hand it to
    code outside wire (:func:`_exposes`); it lives from its first value's line (a fused
    region's first) to the last line reading any value of the chain or a view of one (a
    value read inside a region lives at least to the line reading it, so no result of the
    region shares its buffer). A chain of such a first value whose last
    value is an output that the function returns as it is (no view of the chain reaching
    another output) writes into a recycled output."""
    if not any(slots[i].nbytes >= floor for i in emitted):
        return {}
    n = len(emitted)
    # when the value of each line is written: a fused region writes its results from its
    # first line on (block by block, or in one kernel call)
    start = list(range(n))
    region_end: dict[int, int] = {}
    for a, b in itertools.chain(fused.items(), blocked.items()):
        for k in range(a, b + 1):
            start[k], region_end[k] = a, b

    def alias(j: int) -> tuple:
        o = slots[j]
        return o.alias or slots[o.base].alias or (j,)

    exposed: set[int] = set()  # buffers code outside wire may read
    for i in emitted:
        if _exposes(slots[i].node):
            for j in slots[i].distinct:
                exposed.update(alias(j))
    returned: dict[int, set] = {}  # buffer -> the outputs that may share it
    for o in outputs:
        for b in alias(o):
            returned.setdefault(b, set()).add(o)
    chain: dict[int, list[int]] = {}  # first value -> the values sharing its buffer
    root: dict[int, int] = {}
    for k, i in enumerate(emitted):
        s = slots[i]
        j = reuse.get(i)
        if j is not None:
            r = root.get(j)
            if r is not None:
                root[i] = r
                chain[r].append(i)
        elif s.owner and s.nbytes >= floor and (
                (s.is_output or s.last > region_end[k]) if k in region_end  # (its result)
                else (s.emitter.inplace or s.emitter.writes_out) and _same_dtypes(s.node)):
            root[i] = i
            chain[i] = [i]
    lives, scratch, recycled = [], [], []
    line = {i: k for k, i in enumerate(emitted)}
    for r, values in chain.items():
        if any(v in exposed for v in values):
            continue
        last_value = values[-1]
        if any(v in returned for v in values):
            s = slots[last_value]
            if (arena_.RECYCLE and s.is_output and s.emitter.kind == "fresh"
                    and s.alias == (last_value,)
                    and all(returned.get(v, {last_value}) == {last_value} for v in values)):
                recycled.append(r)
            continue
        first = last = start[line[r]]
        for v in values:
            last = max(last, slots[v].death)
        aval = slots[r].node.aval
        lives.append((aval.dtype.name, aval.shape, first, last))
        scratch.append(r)
    layout, where = arena_.plan(lives)
    layout, where = _within_peak(slots, emitted, outputs, reuse, start, region_end, layout,
                                 lives, where)
    scratch = [r for r, v in zip(scratch, where) if v is not None]
    where = [v for v in where if v is not None]
    # outputs are recycled while what the function holds between calls fits its bound
    held = arena_.KEEP * layout.nbytes if arena_.KEEP * layout.nbytes <= arena_.HELD_BYTES else 0
    fits = []
    for r in recycled:
        held += arena_.KEEP * slots[r].nbytes
        if held > arena_.HELD_BYTES:
            break
        fits.append(r)
    recycled = fits
    if not scratch and not recycled:
        return {}
    out: dict = {"layout": layout, "recycled": [chain[r][-1] for r in recycled]}
    for r, v in zip(scratch, where):
        out[r] = f"W{v}"
    for p, r in enumerate(recycled):
        out[r] = f"R{p}"
    return out


def _within_peak(slots: list[Slot], emitted, outputs, reuse: dict, start: list,
                 region_end: dict, layout, lives: list, where: list):
    """The arena ``layout`` (with ``where``: the view of each of the values living ``lives``)
    without the buffers that would raise the function's peak memory by more than
    :data:`wire.runtime.arena.PEAK_SLACK_BYTES` (its own allocations, line by line: an arena
    buffer exists for the whole call, a fresh array only while its value lives), dropping
    at the line of the highest peak the buffer that wastes the most there, until none is
    over; the values of a dropped buffer get ``None`` (fresh arrays)."""
    n = len(emitted)
    if not layout.buffers:
        return layout, where
    # bytes the function's own arrays take at each line, without the arena
    profile = np.zeros(n + 2)
    is_out = set(outputs)
    first_of: dict[int, int] = {}
    for k, i in enumerate(emitted):
        s = slots[i]
        if not s.owner or i in reuse:  # (a value written into its operand's buffer)
            continue
        if k in region_end and not (s.is_output or s.last > region_end[k]):
            continue  # (a fused region's block buffer)
        first_of[i] = start[k]
    last_of = {i: max(f, slots[i].death) for i, f in first_of.items()}
    for i in emitted:  # a chain of values in one buffer lives until its last value dies
        j = reuse.get(i)
        while j is not None and j not in first_of:
            j = reuse.get(j)
        if j is not None:
            last_of[j] = max(last_of[j], slots[i].death)
    for i, f in first_of.items():
        last = n if i in is_out else min(last_of[i], n)
        profile[f] += slots[i].nbytes
        profile[last + 1] -= slots[i].nbytes
    profile = np.cumsum(profile)[:n + 1]
    # each buffer's bytes at the lines where none of its values lives
    free = np.zeros((len(layout.buffers), n + 2))
    free[:, 0] = 1
    for life, v in zip(lives, where):
        b = layout.views[v][0]
        free[b, life[2]] -= 1
        free[b, life[3] + 1] += 1
    waste = [np.cumsum(free[b])[:n + 1] * (size * np.dtype(dtype).itemsize)
             for b, (dtype, size) in enumerate(layout.buffers)]
    peak = profile.max()
    limit = peak + arena_.PEAK_SLACK_BYTES
    total = profile + sum(waste)
    dropped: set[int] = set()
    while total.max() > limit:
        k = int(total.argmax())
        b = max((b for b in range(len(waste)) if b not in dropped), key=lambda b: waste[b][k])
        if waste[b][k] <= 0:  # pragma: no cover - (the profile alone is under the limit)
            break
        dropped.add(b)
        total -= waste[b]
    if not dropped:
        return layout, where
    return arena_.without(layout, where, dropped)


def _exposes(node: Node) -> bool:
    """Whether the line computing ``node`` may hand its operands to code outside wire, which
    could keep them (a primitive whose implementation is not wire's, NumPy's or SciPy's, or
    one holding a function or a sub-graph among its params): such operands never live in a
    scratch arena, whose buffers the next call overwrites."""
    impl = node.op.impl
    while isinstance(impl, functools.partial):
        impl = impl.func
    if not isinstance(impl, np.ufunc):
        module = getattr(impl, "__module__", None) or ""
        if not module.startswith(("wire.", "numpy", "scipy")):
            return True
    return any(_holds_code(v) for _, v in node._items)


def _holds_code(v, depth: int = 0) -> bool:
    if isinstance(v, Graph):
        return True
    if isinstance(v, (tuple, list)):
        return depth < 4 and any(_holds_code(x, depth + 1) for x in v)
    return callable(v) and not isinstance(v, (type, np.ufunc, np.dtype))


def _lines(graph: Graph, slots: list[Slot], emitted, ctx: _Ctx, ref, name: str,
           fused: dict, blocked: dict, reuse: dict, scratch: dict, kernels: list | None = None,
           gemm_lines: dict | None = None):
    """The function's lines (and the node each computes): one per emitted node, and ``del``
    lines releasing the arrays read for the last time before anything new is allocated;
    ``fused`` (native, when ``kernels`` is given: the list collecting them) and ``blocked``
    regions (see :func:`_regions`) as kernel calls (:mod:`wire.runtime.native`) or block
    loops (:mod:`wire.runtime.fusion`); lines in ``reuse`` write into their operand's dead
    buffer, lines in ``scratch`` into their arena buffer (see :func:`_generate`); lines in
    ``gemm_lines`` call the GEMM provider named there (:func:`_gemm_lines`)."""
    inputs = {s.node: s.name for s in slots if s.is_input}
    gemm_lines = gemm_lines or {}

    lines = [f"def {name}({', '.join(inputs[n] for n in graph.inputs)}):"]
    line_nodes: list = [None]
    end = len(emitted)
    if kernels is not None:
        kernels = kernels[0]
    skip_to = -1
    append, append_node = lines.append, line_nodes.append
    # the operands `ref` reads by name alone (no constant, broadcast scalar or folded
    # transpose): read in place, without the call (names change below, so read late)
    by_name = [s.scalar is None and not s.known and not s.folded for s in slots]
    # dead arrays not released yet: a line writing into a dead buffer (``out``) allocates
    # nothing, so the `del` of what died before it can wait for the next line that may
    # allocate (the peak memory is the same) and release them all in one statement
    # (Python's compile() reads fewer statements, and the call runs fewer)
    dead: list[str] = []
    # the last line, when it computes one value (or a nest of them, see below) and nothing
    # came after it: (its slot, its expression, how many nodes it holds)
    prev = None
    for k, i in enumerate(emitted):
        if k <= skip_to:
            continue
        if k in fused:
            if dead:
                append(f"    del {', '.join(dead)}")
                append_node(None)
                dead = []
            more, more_nodes = native.region_lines(slots, emitted, k, fused[k], ctx, ref,
                                                   kernels, scratch)
            lines += more
            line_nodes += more_nodes
            skip_to = fused[k]
            prev = None
            continue
        if k in blocked:
            if dead:
                append(f"    del {', '.join(dead)}")
                append_node(None)
                dead = []
            more, more_nodes = fusion.region_lines(slots, emitted, k, blocked[k], ctx, ref,
                                                   scratch)
            lines += more
            line_nodes += more_nodes
            skip_to = blocked[k]
            prev = None
            continue
        s = slots[i]
        j = reuse.get(i)
        out = slots[j].name if j is not None else scratch.get(i)
        args = []
        for j in s.ins:
            args.append(slots[j].name if by_name[j] else ref(j, i))
        if dead and (out is None or out[0] == "R"):  # (a recycled output may be None)
            append(f"    del {', '.join(dead)}")
            append_node(None)
            dead = []
            prev = None
        if k == end - 1:  # returning releases everything else
            expr = (s.emitter.expr(ctx, s.node, args, out) if i not in gemm_lines
                    else _gemm_call(gemm_lines[i], args, out))
            append(f"    {s.name} = {expr}")
            append_node(s.node)
            continue
        dying = []
        for j in s.distinct:
            b = slots[slots[j].base]
            if b.last == k and not b.known and not b.is_input and b not in dying:
                dying.append(b)
        take = None
        if dying:
            # the result takes the name of a value read here for the last time (the one
            # whose buffer it writes into, if any): rebinding the name releases that value
            # exactly where a `del` would, and saves the statement (Python's compile() of the
            # function costs about half as much)
            take = dying[0]
            if out is not None and take.name != out:
                take = next((b for b in dying if b.name == out), take)
            dying.remove(take)
            s.name = take.name
        nest = _nest(prev, take, dying, s, args)
        expr = (s.emitter.expr(ctx, s.node, args, out) if i not in gemm_lines
                else _gemm_call(gemm_lines[i], args, out))
        if nest:
            lines[-1] = f"    {s.name} = {expr}"
            line_nodes[-1] = (*nest, s.node)
            prev = (s, expr, nest + (s.node,))
        else:
            append(f"    {s.name} = {expr}")
            append_node(s.node)
            prev = (s, expr, (s.node,))
        for b in dying:
            # a scalar (sharing no bigger buffer) is not worth a statement: on graphs of
            # scalars the `del` lines were a fifth of what compile() reads
            if not all(slots[a].small for a in b.alias):
                dead.append(b.name)
    if dead:  # (before the output lines, which may copy)
        append(f"    del {', '.join(dead)}")
        append_node(None)
    return lines, line_nodes


def _gemm_call(fn: str, args: list, out) -> str:
    """``fn(a, b)`` or ``fn(a, b, out)``: a call of a GEMM provider (:mod:`wire.runtime.gemm`)."""
    return f"{fn}({', '.join(args if out is None else [*args, out])})"


NEST_MAX = 4  # nodes on one generated line (a chain of values living in one name)


def _nest(prev, take, dying, s: Slot, args: list) -> tuple | None:
    """When the value the line before computed (``prev``) is read only by this line (it is
    ``take``, whose name the result takes, or one of the ``dying`` values) and this line is a
    ufunc call (its operands are evaluated left to right): the two lines as one,
    ``b = np.tanh(b := np.sin(a), b)`` for ``b = np.sin(a)`` and ``b = np.tanh(b, b)``, by
    rewriting ``args`` in place; returns the nodes of the line before (``None``: no
    nesting). The same calls in the same order, on the same buffers: Python's compile()
    reads one statement instead of two (a fifth less time each)."""
    if prev is None or s.emitter is not UFUNC or len(prev[2]) >= NEST_MAX:
        return None
    p = prev[0]
    if p is not take and p not in dying or isinstance(p.node.aval, tuple):
        return None
    name = p.name
    if name not in args:
        return None
    args[args.index(name)] = f"{name} := {prev[1]}"  # (its first read: evaluated first)
    return prev[2]


def _describe(n, graph: Graph) -> str:
    """``op aval  file:line`` of a node; ``op, op, op aval  file:line`` for the nodes of a
    nested line (their last aval, each location once)."""
    nodes = n if isinstance(n, tuple) else (n,)
    aval = nodes[-1].aval
    text = repr(aval) if not isinstance(aval, tuple) else "(" + ", ".join(map(repr, aval)) + ")"
    locs = list(dict.fromkeys(str(loc) for loc in map(graph.loc, nodes) if loc))
    ops = ", ".join(m.op.name for m in nodes)
    return f"{ops} {text}  {', '.join(locs)}" if locs else f"{ops} {text}"


def _owned(v, *others):
    """``v`` as an array the caller owns: a fresh, writable copy when ``v`` is read-only, not
    an array, or shares its buffer with one of ``others`` (the arguments, constants or other
    outputs it may be a view of); ``v`` itself otherwise."""
    if type(v) is not np.ndarray:
        return np.array(v)
    if not v.flags.writeable:
        return v.copy()
    root = v if v.base is None else v.base
    for o in others:
        if o is root or (type(o) is np.ndarray and (o if o.base is None else o.base) is root):
            return v.copy()
    return v


def _copy(v):
    return np.array(v, copy=True)


def _output_lines(outputs, out_index, slots, ref, ctx) -> tuple[list, list]:
    """Lines binding each output that might not be the caller's own array, and the output
    expressions. A ``jit`` output is never an argument, a constant, or another output (nor a
    view of one), and is always writable: whatever the graph returns (``lambda x: x``,
    ``(y, y)``, ``x.T``, a broadcast) comes back as a fresh array. The buffer analysis tells
    which outputs are surely fresh (the common case, left alone); the others are checked at
    run time and copied only when they do share."""
    ctx.set_global("_owned", _owned, ("helper", "owned"))
    ctx.set_global("_copy", _copy, ("helper", "copy"))
    lines, exprs = [], []
    claimed: dict[int, str] = {}  # buffers of the outputs so far -> the name holding them
    done: set[int] = set()
    for k, (o, i) in enumerate(zip(outputs, out_index)):
        s, r = slots[i], ref(i)
        if isinstance(o.aval, tuple):  # a multi-output node returned whole
            exprs.append(f"_as_array({r})")
            continue
        name = f"_out{k}"
        alias = set(s.alias or (i,))
        if s.is_input or s.known or o.is_leaf or i in done:
            lines.append(f"    {name} = _copy({r})")
        elif s.emitter.kind == "fresh" and alias == {i} and o.aval.shape:
            exprs.append(r)
            claimed[i] = r
            done.add(i)
            continue
        else:
            cands = [ref(j) for j in sorted(alias) if slots[j].is_input or slots[j].known]
            cands += [claimed[j] for j in sorted(alias) if j in claimed]
            lines.append(f"    {name} = _owned({', '.join([r] + list(dict.fromkeys(cands)))})")
        exprs.append(name)
        for j in alias:
            claimed.setdefault(j, name)
        done.add(i)
    return lines, exprs


def _return_expr(graph: Graph, ctx: _Ctx, exprs) -> str:
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

    if graph.out_tree.kind in ("leaf", "none", "tuple", "list") and _shallow(graph.out_tree):
        text = literal(graph.out_tree, iter(exprs))
        if text is not None:
            return text
    ctx.set_global("_unflatten", tree.unflatten, ("helper", "unflatten"))
    ctx.set_global("_out_tree", graph.out_tree, ("tree", graph.out_tree))
    return f"_unflatten(_out_tree, [{', '.join(exprs)}])"


def _shallow(td, limit: int = 50) -> bool:
    """Whether ``td`` nests no deeper than ``limit`` (a literal of it is compilable)."""
    stack = [(td, 0)]
    while stack:
        t, depth = stack.pop()
        if depth > limit:
            return False
        stack.extend((c, depth + 1) for c in t.children)
    return True


def compile_graph(graph: Graph, name: str = "compiled", fuse=True,
                  reuse_buffers: bool | int = True, gemm: str = "numpy") -> Compiled:
    """Compile ``graph`` to a :class:`Compiled` function (see the module docstring).

    ``fuse``: run elementwise regions over arrays of at least
    :data:`wire.runtime.fusion.MIN_ELEMENTS` elements block by block (``True``), never
    (``False``), or from this many elements on (an int). ``reuse_buffers``: write the
    intermediates of :data:`wire.runtime.arena.MIN_BYTES` bytes or more (``True``), of this
    many bytes or more (an int) or none (``False``) into a scratch arena kept between calls,
    and recycle such outputs the caller dropped (:mod:`wire.runtime.arena`). ``gemm``: which
    library runs the large float matrix products, ``"numpy"``, ``"torch"`` or ``"auto"``
    (:mod:`wire.runtime.gemm`).

    >>> import numpy as np, wire
    >>> c = compile_graph(wire.trace(lambda x, y: (x * y, x + y), np.ones(2), np.ones(2)))
    >>> c(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    (array([3., 8.]), array([4., 6.]))
    """
    if gemm != "numpy":
        gemm = gemm_.resolve(gemm)
    with gc_paused():  # see wire.ir.pause
        graph = inline_calls(graph)  # custom rules are no longer needed once we only evaluate
        listing, ctx, order = _generate(graph, name, fuse, arena=reuse_buffers, gemm=gemm)
    glb = ctx.globals
    code = compile(listing.code(), f"<wire.jit {name}>", "exec")
    exec(code, glb)  # noqa: S102 - our own generated source, from a graph
    return Compiled(graph, listing, glb[name], tuple(order), ctx.recipes, code)


def compile_native(graph: Graph, library=None, name: str = "compiled",
                   min_elements: int | None = None,
                   reuse_buffers: bool | int = True, gemm: str = "numpy") -> Compiled | None:
    """``graph`` compiled with its native regions (:mod:`wire.runtime.native`) as calls of C
    kernels, or ``None`` when it has none or no kernel can be built here (no C compiler,
    no libmvec, ``WIRE_NATIVE=0``, a failed compile). ``library(c_source)`` returns the
    loaded shared library (default: compiled in a temporary directory, not cached);
    ``min_elements``: None for the regions the cost model of :func:`wire.runtime.native.regions`
    picks, an int for every region of at least that many elements; ``reuse_buffers`` and
    ``gemm`` as for :func:`compile_graph`.

    The function may raise :class:`wire.runtime.native.Fallback` (a kernel raised a
    floating-point exception NumPy warns about): the caller then runs the NumPy code of
    :func:`compile_graph` for that call.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> g = wire.trace(lambda x: wnp.sin(x) * 2.0 + 1.0, np.linspace(0.0, 1.0, 1000))
    >>> c = compile_native(g)
    >>> c is None or float(abs(c(np.linspace(0.0, 1.0, 1000)) - (np.sin(np.linspace(
    ...     0.0, 1.0, 1000)) * 2.0 + 1.0)).max()) < 1e-15
    True
    """
    if not cbuild.available() or native.data_offset() is None:
        return None
    found: list = []
    with gc_paused():
        graph = inline_calls(graph)
        listing, ctx, order = _generate(graph, name, True, (found, min_elements),
                                        reuse_buffers, gemm)
    if not found:
        return None
    try:
        lib = (library or native.private_library)(native.source(found))
    except (cbuild.BuildError, OSError):
        return None
    glb = ctx.globals
    for k, region in enumerate(found):
        glb[f"_k{k}"] = native.Kernel(lib, region)
    code = compile(listing.code(), f"<wire.jit native {name}>", "exec")
    exec(code, glb)  # noqa: S102 - our own generated source, from a graph
    return Compiled(graph, listing, glb[name], tuple(order), ctx.recipes, code)
