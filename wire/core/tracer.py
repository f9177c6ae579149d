"""Tracers and tracing: how Python functions become graphs.

A ``Tracer`` is a symbolic array: it wraps an interned ``Node`` and overloads Python's
operators and NumPy's protocols so that computing with it builds new nodes; ``bind`` makes a
node from its operands alone. Tracing ``f`` (:func:`trace`) calls it on fresh argument nodes
carrying a tag unique to that trace, then renames them to positional graph inputs. Nodes of an
enclosing trace that ``f`` closes over keep their own tag, so an inner transform treats them as
constants — which is all it takes to keep nested derivatives (``grad(grad(f))``) from
confusing their variables.

When a trace closes, its tag is marked *done*: a tracer of its arguments kept beyond the call
(in a list, a global) is then a leaked tracer, and using it — in ``bind``, in a later trace,
an evaluation or a transform — raises :class:`wire.UnexpectedTracerError` naming where it
was made and where it is used. The one legitimate use of a finished trace's tracers is a
custom rule's closure (``grad`` traces first, then runs the rules): while a rule runs, those
tracers stand for the custom call's current operands (:func:`call_rebound`).

*The open trace.* A ``ContextVar`` holds the innermost open trace (a :class:`TraceState`): its
nesting depth, its tag, the trace it runs inside and, for eager traces, the concrete values
behind its tracers (a tracer carries its state, ``Tracer._state``). Two more ``ContextVar`` s,
each set by a ``with`` block and gone when it exits: the location table the innermost trace
fills (:mod:`wire.core.locations`) and the rebound values of a running custom rule (here).
No result depends on the location table; the rebound values only let a rule see its closure.

*Concrete tracing.* Transforms called on concrete values outside ``jit`` (``wire.grad(f)(x)``)
trace with a :class:`ConcreteValues` object on the state: Python's ``if``/``while``,
``int()``, ``float()``, ``.item()`` and ``__index__`` on a tracer then read its value, which is
computed only when asked (a trace with no such decision computes nothing). The same object
*lifts* the NumPy arrays that meet a tracer (closed-over data, non-differentiated arguments)
to extra inputs of the graph, so the graph is keyed by its structure and reused when only the
data changes. Under ``jit`` and ``wire.trace`` tracing is abstract and those conversions
raise :class:`wire.TracerBoolError` with the alternatives.
"""

from __future__ import annotations

import abc
import contextvars
import dis
import functools
import math
import operator
import struct
import sys
import weakref
from itertools import compress
from typing import Callable

import numpy as np

from .. import tree
from ..tracebacks import internal
from ..errors import (
    ShapeError,
    TracerBoolError,
    UnexpectedTracerError,
    WireError,
    WireOverflowError,
    WireTypeError,
    at,
    user_location,
)
from ..ir import Aval, Graph, Node, TraceTag, arg_node, arg_op, aval_of, const_node, const_op
from ..ir import adopt_sub_graph_locs, gc_paused, graph_in_order, input_node, input_op
from ..ir import make_node, nested_locs, substitute_map, toposort
from ..ir.keys import constant_scalar, in_canonical_order, structural_key
from ..ir.nodes import EMPTY_PARAMS, _intern, applied_key, applied_ref, remember_applied
from .debug import _NANS, nonfinite, raise_eager_nonfinite
from .locations import _RECORD, _SITE, recording, site
from .values import node_values
from .primitive import proj_p

# wire.tree's functions themselves, not their entry points (wire's own calls, every trace)
_flatten, _unflatten = internal(tree.flatten), internal(tree.unflatten)
_is_float0, _float0_structure = internal(tree.is_float0), internal(tree.float0_structure)
_ARRAY_TYPES = (np.ndarray, np.generic, int, float, complex, bool)
_ndarray = np.ndarray
_WEAK_TYPES = frozenset((int, float, complex, bool))  # Python scalars: weakly typed (NEP 50)


# --------------------------------------------------------------------------- trace states


class ConcreteValues(abc.ABC):
    """What an eager trace knows about values (implemented in ``wire.api.concrete``).

    ``lift(x)`` is the node standing for a concrete operand ``x`` that meets a tracer (an
    extra graph input for a NumPy array, a constant otherwise); ``concrete(tracer, what,
    drops)`` is the tracer's value for a Python conversion named ``what`` (``drops``: the
    conversion leaves the graph, so it must not cut a derivative).
    """

    __slots__ = ()

    @abc.abstractmethod
    def lift(self, x) -> Node:
        """The node standing for concrete operand ``x``."""

    @abc.abstractmethod
    def concrete(self, tracer, what: str, drops: bool):
        """The concrete value of ``tracer`` for the conversion ``what``."""


class TraceState:
    """One open (or finished) trace: ``depth``, ``tag`` of its argument nodes, the ``parent``
    trace it runs inside, and ``values`` (a :class:`ConcreteValues`, or None when abstract).

    ``recycle``: take the tag of a finished eager trace at this depth that nothing refers to
    any more (see :meth:`finish`), so tracing the same function again rebuilds the very same
    interned nodes and finds its closed graph in a memo; else a new tag.
    """

    __slots__ = ("depth", "tag", "parent", "values", "int_ranges", "int_spans", "__weakref__")

    def __init__(self, depth: int, parent: "TraceState | None", values=None, where=None,
                 recycle: bool = False):
        self.depth = depth
        # the IntRanges of an abstract trace's Python-int arguments (see int_range), so
        # promotion can refuse one NumPy would
        self.int_ranges = None
        self.int_spans = None  # {node: its span}: a memo of _int_span while the trace is open
        tag = None
        if recycle:
            free = _FREE_TAGS.get(depth)
            if free:
                try:
                    tag = free.pop()  # atomic: two threads never get one tag
                except IndexError:
                    tag = None
        if tag is None:
            tag = TraceTag(where)  # unique to this trace, marked done when it closes
        else:
            tag.where = where
            tag.done = False
        self.tag = tag
        self.parent = parent
        self.values = values

    def finish(self, recycle: bool) -> None:
        """The trace has closed (its tag is done): forget its values and, with ``recycle``,
        give its tag back for a later trace at this depth once nothing refers to this state
        — no tracer of the trace is alive (a tracer holds its state: a leaked one keeps the
        tag done for good, so using it raises ``UnexpectedTracerError``)."""
        self.values = None  # (values refer back to the state: a cycle)
        self.int_spans = None
        if recycle and self.tag.done:
            # (a weak reference with a callback: weakref.finalize costs several times more)
            _PENDING[weakref.ref(self, _state_gone)] = (self.depth, self.tag)

    def concrete_state(self) -> "TraceState | None":
        """This trace or the nearest enclosing one that knows values."""
        s = self
        while s is not None and s.values is None:
            s = s.parent
        return s

    def __repr__(self):
        kind = "abstract" if self.values is None else "concrete"
        return f"<{kind} trace at depth {self.depth}>"


# The tags of finished eager traces that nothing refers to any more, per depth (a pool of
# reusable objects, not state: which tag a trace gets changes no result, only how many
# interned nodes a re-trace finds already made). Lists: pop and append are atomic.
_FREE_TAGS: dict = {}
_MAX_FREE = 64


# {weak reference to a finished state: (its depth, its tag)}, until the state is gone; the
# dict keeps the weak references (and so their callbacks) alive.
_PENDING: dict = {}


def _state_gone(ref) -> None:
    item = _PENDING.pop(ref, None)
    if item is not None:
        _free_tag(*item)


def _free_tag(depth: int, tag: TraceTag) -> None:
    free = _FREE_TAGS.setdefault(depth, [])
    if len(free) < _MAX_FREE:
        free.append(tag)


_OPEN: contextvars.ContextVar = contextvars.ContextVar("wire_open_trace", default=None)


def current_trace() -> TraceState | None:
    """The innermost open trace of this thread/context, or None outside any trace."""
    return _OPEN.get()


class open_trace:
    """``with open_trace(values) as state:`` — open a trace one level below the current one.

    >>> with open_trace() as s:
    ...     s.depth
    0
    """

    __slots__ = ("state", "_token")

    def __init__(self, values=None, depth: int | None = None, where: str | None = None,
                 recycle: bool = False):
        parent = _OPEN.get()
        d = (0 if parent is None else parent.depth + 1) if depth is None else depth
        self.state = TraceState(d, parent, values, where, recycle)

    def __enter__(self) -> TraceState:
        self._token = _OPEN.set(self.state)
        return self.state

    def __exit__(self, *exc):
        _OPEN.reset(self._token)
        return False


@functools.lru_cache(maxsize=1024)
def eager_arg_node(index: int, aval: Aval, tag: TraceTag) -> Node:
    """``arg_node``, memoized for eager traces: their tags are recycled (see
    :class:`TraceState`), so a re-trace asks for the very same argument nodes."""
    return arg_node(index, aval, tag)


# --------------------------------------------------------------------------- tracers


class Tracer:
    """A symbolic array standing for the value of ``node``; operations on it build nodes.

    ``_state`` is the :class:`TraceState` it belongs to (None for tracers made by graph
    transforms and ``wire.var``; those hold the innermost trace open when they were made, in
    ``_hold``, so that no tag they may carry is recycled while they live). A ``WeakTracer``
    stands for a Python scalar argument and promotes like one (``weak``).

    >>> import wire
    >>> x = wire.var("x", shape=(3,))
    >>> (x * 2).shape
    (3,)
    """

    __slots__ = ("node", "_state", "_hold")
    __array_priority__ = 1000  # NumPy defers binary operators to us
    weak = False

    def __init__(self, node: Node, trace: TraceState | None = None):
        _set_node(self, node)
        _set_trace(self, trace)
        if trace is None:  # keep the open traces alive (their tags not recycled) meanwhile
            _set_hold(self, _OPEN.get())

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

    @property
    def itemsize(self) -> int:
        """Bytes per element, NumPy's ``ndarray.itemsize`` (static, from the dtype)."""
        return self.node.aval.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of the elements, NumPy's ``ndarray.nbytes``: ``size * itemsize`` (static).

        >>> import numpy as np, wire
        >>> wire.jit(lambda x: x * x.nbytes)(np.ones(2, np.float32))
        array([8., 8.], dtype=float32)
        """
        return self.node.aval.size * self.node.aval.dtype.itemsize

    def __len__(self):
        shape = self.shape
        if shape is None:
            raise WireTypeError("len() of a shapeless wire.var is known only when the shapes "
                                f"are fed: give wire.var a shape{at(user_location())}")
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

    # ---- Python's conversions read the concrete value (eager traces) or explain the fix
    def _value(self, what: str, drops: bool = False):
        if self._state is not None and self._state.tag.done:  # a leaked tracer
            check_leaks(toposort([self.node]))
        state = self._state.concrete_state() if self._state is not None else None
        if state is not None:
            return state.values.concrete(self, what, drops)
        value = constant_value(self.node)
        if value is None:
            self._no_concrete(what)
        return value

    def _no_concrete(self, what: str):
        raise TracerBoolError(
            f"{what} needs the concrete value of a traced array {self.aval!r}, which is not "
            f"known while tracing{at(user_location(3))}. Under wire.jit (and wire.trace) "
            "values are abstract: use wire.numpy.where(cond, a, b) or wire.cond(...) for "
            "data-dependent choices, wire.while_loop/wire.fori_loop/wire.scan for "
            "data-dependent loops, pass the value as a static argument (wire.jit(f, "
            "static_argnums=...)), or call the function without wire.jit (eager transforms "
            "such as wire.grad(f)(x) on concrete values see the values)."
        )

    def __bool__(self):
        return bool(self._value("Python `if`/`while`/bool()"))

    def __int__(self):
        try:
            return int(self._value("int()"))
        except WireError as e:
            _refuse_store(self, e)
            raise

    def __index__(self):
        value = self._value("Using a traced value as an index (__index__)")
        if np.asarray(value).dtype.kind not in "biu":
            raise WireTypeError(
                f"only integer values can be used as an index, got {self.aval!r}"
                f"{at(user_location())}"
            )
        return operator.index(value.item() if isinstance(value, np.ndarray) else value)

    def __float__(self):
        try:
            return float(self._value("float()", drops=True))
        except WireError as e:
            _refuse_store(self, e)
            raise

    def __complex__(self):
        try:
            return complex(self._value("complex()", drops=True))
        except WireError as e:
            _refuse_store(self, e)
            raise

    def item(self, *args):
        """The value as a Python scalar (eager traces only; cuts the derivative, like NumPy).

        >>> import numpy as np, wire, wire.numpy as wnp
        >>> wire.grad(lambda x, d: wnp.sum(x * d.item()))(np.ones(2), np.array(3.0))
        array([3., 3.])
        """
        return np.asarray(self._value(".item()", drops=True)).item(*args)

    def tolist(self):
        """The value as nested Python lists (eager traces only).

        >>> import numpy as np, wire, wire.numpy as wnp
        >>> wire.grad(lambda x, d: wnp.sum(x * len(d.tolist())))(np.ones(2), np.arange(3.0))
        array([3., 3.])
        """
        return np.asarray(self._value(".tolist()", drops=True)).tolist()

    def __format__(self, spec: str):
        if not spec:
            return repr(self)
        return format(np.asarray(self._value(f"format spec {spec!r}")).item()
                      if self.node.aval.shape == () else
                      np.asarray(self._value(f"format spec {spec!r}")), spec)

    def __array__(self, dtype=None, copy=None):
        state = self._state.concrete_state() if self._state is not None else None
        if state is None and constant_value(self.node) is None:
            raise WireTypeError(
                f"np.asarray()/np.array() of a traced value {self.aval!r}{at(user_location())}:"
                " its value is not known while tracing. Use wire.numpy functions (or plain "
                "NumPy functions, which dispatch to them) instead of converting to an array; "
                "to index a NumPy array by it (np_array[i], which NumPy converts), use "
                "wire.numpy.take(np_array, i, axis=0)."
            )
        value = np.asarray(self._value("np.asarray()/np.array()", drops=True))
        return value if dtype is None else value.astype(dtype)

    # Python's operators (``+``, ``@``, ``x[i]``…), ndarray-style methods and NumPy's dispatch
    # protocols (``__array_ufunc__``, ``__array_function__``) are installed on this class by
    # ``wire.numpy``, the layer that defines what they compute.


_STORE_SUBSCR = dis.opmap["STORE_SUBSCR"]


def _refuse_store(x: Tracer, e: Exception) -> None:
    """Raise, for a conversion of ``x`` that failed (``e``) because the user's line stores it
    into a NumPy array (``a[i] = x``, which NumPy converts), an error showing the functional
    form; NumPy reports it as the cause of its own ``ValueError``, which wire's entry points
    replace by it (:mod:`wire.tracebacks`)."""
    frame = sys._getframe(2)  # the frame that converts: NumPy's item assignment is C code
    code = frame.f_code.co_code
    if not (0 <= frame.f_lasti < len(code) and code[frame.f_lasti] == _STORE_SUBSCR):
        return
    err = WireTypeError(
        f"a traced value {x.aval!r} cannot be stored into a NumPy array in place (a[i] = x)"
        f"{at(user_location())}: NumPy needs its value now (not known under jit) and would "
        "keep it without its derivative. Use JAX's functional update, a = "
        "wire.numpy.asarray(a).at[i].set(x) (arrays that wire.numpy makes inside a transform "
        "have .at), or build the array with wire.numpy.stack / wire.numpy.where")
    err.in_place = True
    raise err from e


_PY_NAMES = {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}


def _python_order(name: str, symbol: str):
    """WeakTracer's ordering operator ``name``: Python's own numbers have no order with a
    complex one (``(1+1j) > 0`` raises TypeError), so neither have the Python scalars a
    weakly typed tracer stands for; with a NumPy array or scalar, NumPy's comparison."""

    def op(self, other):
        if type(other) in _WEAK_TYPES or isinstance(other, WeakTracer):
            kinds = (self.node.aval.dtype.kind, other.node.aval.dtype.kind
                     if isinstance(other, Tracer) else np.dtype(type(other)).kind)
            if "c" in kinds:
                left, right = (_PY_NAMES[k] for k in kinds)
                raise WireTypeError(
                    f"'{symbol}' is not supported between Python {left} and {right} values "
                    f"(a Python-scalar argument stands for a Python number; complex ones have "
                    f"no order, as Python raises TypeError){at(user_location())}; compare "
                    f"their real parts (.real) or abs() instead")
        return getattr(Tracer, name)(self, other)

    op.__name__ = name
    return op


class WeakTracer(Tracer):
    """A tracer for a Python scalar argument: weakly typed, so ``f32_array * s`` stays
    float32 as with the number itself (NEP 50)."""

    __slots__ = ()
    weak = True
    __lt__ = _python_order("__lt__", "<")
    __le__ = _python_order("__le__", "<=")
    __gt__ = _python_order("__gt__", ">")
    __ge__ = _python_order("__ge__", ">=")


_set_node = Tracer.__dict__["node"].__set__
_set_trace = Tracer.__dict__["_state"].__set__
_set_hold = Tracer.__dict__["_hold"].__set__


def plain_tracer(node: Node) -> Tracer:
    """``Tracer(node)`` without the call of its ``__init__`` (a transform makes one per
    operand of every node it walks)."""
    t = _new_tracer(Tracer)
    _set_node(t, node)
    _set_trace(t, None)
    _set_hold(t, _OPEN.get())
    return t


def constant_value(node: Node):
    """The value of a node computed from constants only (``wnp.zeros(3).sum()``), else None."""
    for n in toposort([node]):
        if n.is_leaf and n.op is not const_op:
            return None
    with np.errstate(all="ignore"):
        return node_values([node], {})[node]


@functools.lru_cache(maxsize=1024)
def _scalar_node(dtype, data: bytes):
    # keyed by the value's bytes, not the value: -0.0 == 0.0 and NaN != NaN as numbers, but
    # each must stay its own constant (signed zeros and NaN payloads are part of the value)
    return const_node(np.frombuffer(data, dtype=dtype).reshape(()))


_F64 = np.dtype(np.float64)
_pack_double = struct.Struct("<d").pack if np.little_endian else struct.Struct(">d").pack


def to_tracer(x) -> Tracer:
    """``x`` as a tracer: itself, or a constant node's tracer for a concrete value."""
    return x if isinstance(x, Tracer) else Tracer(to_node(x))


def to_node(x) -> Node:
    """The node for an operand: a tracer's node, or a constant node for a concrete value."""
    if isinstance(x, Tracer):
        return x.node
    if type(x) is float:  # Python floats recur constantly while tracing (x * 2.0)
        return _scalar_node(_F64, _pack_double(x))
    if isinstance(x, (np.ndarray, np.generic)) and x.ndim == 0 and x.dtype.kind in "biuf":
        return _scalar_node(x.dtype, x.tobytes())  # scalars recur constantly while tracing
    if isinstance(x, _ARRAY_TYPES):
        if isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind not in _NUMERIC_KINDS:
            check_numeric(x.dtype, "a constant operand")
        if type(x) is not _ndarray and isinstance(x, _ndarray):
            if getattr(type(x), "__wire_plain__", False):  # (wire.numpy's ConcreteArray)
                x = x.view(_ndarray)
            check_plain_array(x, "a constant operand")
        return const_node(x)
    raise WireTypeError(
        f"expected an array, a number or a traced value, got {type(x).__name__}"
        f"{at(user_location())}"
    )


def bind(prim, *args, **params):
    """Apply primitive ``prim`` to ``args``.

    With concrete arguments only, runs the NumPy implementation right away (checked under
    ``wire.debug_nans``); with any tracer, builds (or finds) the node and returns a tracer
    for it. Multi-output primitives return a tuple of tracers. In an eager trace, NumPy
    arrays among the operands are lifted to inputs of the graph.
    """
    # one pass over the operands (no comprehensions: each is a call of its own): the
    # innermost trace among the tracers', their nodes and avals, whether all are weak
    state = None
    weak = True  # every operand weakly typed: a Python scalar or a WeakTracer
    nodes = []
    concrete = False  # some operand is not a tracer (a constant, or an array to lift)
    odd = False  # some operand is a trace's argument or shapeless: checked below
    weak_int = False  # some operand is a weakly typed integer (Python-int arithmetic)
    traced = False  # some operand is a tracer
    for a in args:
        if isinstance(a, Tracer):
            traced = True
            s = a._state
            if s is not None and (state is None or s.depth > state.depth):
                state = s
            if not a.weak:
                weak = False
            elif a.node.aval.dtype.kind in "iu":
                weak_int = True
            n = a.node
            if n.op is arg_op or n.aval.shape is None:
                odd = True
            nodes.append(n)
        elif type(a) is float:  # (x * 2.0: weakly typed, and a constant in every trace)
            nodes.append(_scalar_node(_F64, _pack_double(a)))
        else:
            if weak and type(a) not in _WEAK_TYPES:
                weak = False
            if type(a) is not _ndarray and isinstance(a, _ndarray):
                check_plain_array(a, f"an operand of {prim.name}")
            concrete = True
            nodes.append(None)
    if concrete or not traced:
        if not traced:  # no tracer: compute right away
            out = prim.impl(*args, **params)
            if _NANS.get():
                _check_eager(prim, args, out)
            return out
        values = None if state is None else state.values
        for i, a in enumerate(args):
            if nodes[i] is None:
                n = to_node(a) if values is None else values.lift(a)
                if n.op is arg_op:  # (an array lifted to an input; else a constant)
                    odd = True
                nodes[i] = n
    shapeless = False
    if odd:
        for n in nodes:
            if n.op is arg_op and _arg_tag(n).done and not _rebound(n):
                raise_leaked(n, None, user_location())  # a tracer of a finished trace
            if n.aval.shape is None:
                shapeless = True
    nodes = tuple(nodes)
    table = _RECORD.get()  # this trace's location table: this call's line, not node.loc's
    # the user's line is looked up only when needed: a new node, or a trace's table
    site = _SITE.get()
    # (from bind's caller: bind's own frame is wire's)
    loc = site or (user_location(2) if table is not None else user_location)
    if shapeless:
        aval = Aval(None, prim.dtype(*[n.aval.dtype for n in nodes], **params))
        node = make_node(prim, nodes, params, aval, loc)
        key = None
    else:
        # a re-trace (every memoized eager call) applies the same primitives to the same
        # interned nodes: found again without the shape rule and the intern key. Not so a
        # transform's rule (a site is set): its nodes are made once per derivation, which
        # is memoized on the graph, and entries for them would only grow the table
        if site is None:
            key = (prim, nodes) if not params else applied_key(prim, nodes, params)
            ref = None if key is None else applied_ref(key)
            node = None if ref is None else ref()
        else:
            key = node = None
            if len(nodes) == 2 and prim.commutative and not params:
                # a transform's rule (a derivative graph): its operands in the simplifier's
                # canonical order (wire.ir.keys), so the simplifier finds the node in order and
                # need not rebuild it and everything built on it
                nodes = in_canonical_order(nodes)
                same = None if not nodes[1].op.constant or prim.identity is None else \
                    _identity_operand(prim, nodes)
                if same is not None:  # (x * 1: no node, as the simplifier's mul_one)
                    out = _new_tracer(Tracer if not weak else WeakTracer)
                    _set_node(out, same)
                    _set_trace(out, state)
                    if state is None:
                        hold = _OPEN.get()
                        if hold is not None:
                            _set_hold(out, hold)
                    return out
        if node is None:
            if params:
                try:
                    aval = prim.shape(*[n.aval for n in nodes], **params)
                except ShapeError as e:
                    raise ShapeError(f"{e}{at(loc if isinstance(loc, str) else loc())}") \
                        from None
                node = make_node(prim, nodes, params, aval, loc)
            else:  # (most nodes: no params; the shape rule's result memoized per avals)
                # (no comprehension for one or two operands: it is a call of its own)
                if len(nodes) == 2:
                    skey = (prim, nodes[0].aval, nodes[1].aval)
                elif len(nodes) == 1:
                    skey = (prim, nodes[0].aval)
                else:
                    skey = (prim, *[n.aval for n in nodes])
                aval = _SHAPES.get(skey)
                if aval is None:
                    try:
                        aval = prim.shape(*skey[1:])
                    except ShapeError as e:
                        raise ShapeError(f"{e}{at(loc if isinstance(loc, str) else loc())}") \
                            from None
                    if len(_SHAPES) >= _MAX_SHAPES:
                        _SHAPES.clear()
                    _SHAPES[skey] = aval
                node = _intern(prim, nodes, (), EMPTY_PARAMS, aval, loc)
            if key is not None:
                remember_applied(key, node)
            elif site is not None and node._skey is None:  # (see in_canonical_order above)
                structural_key(node)
        aval = node.aval
    if table is not None:
        if node not in table:
            table[node] = loc
        # (sub-graph params are rare: checked here, not called; plain params, a key, have none)
        if params and key is None:
            for v in params.values():
                if type(v) is Graph or (type(v) is tuple and v and type(v[0]) is Graph):
                    adopt_sub_graph_locs(node, params, table)
                    break
    if isinstance(aval, tuple):
        ploc = loc if isinstance(loc, str) else node.loc
        outs = tuple(make_node(proj_p, (node,), {"index": i}, a, ploc)
                     for i, a in enumerate(aval))
        if table is not None:
            for o in outs:
                table.setdefault(o, ploc)
        return tuple(Tracer(o, state) for o in outs)
    if weak_int:  # (its value must not have wrapped around, unless the operation is modular)
        check_weak_ints(prim, args, params, weak and prim.name != "convert")
    # an explicit cast makes a value strongly typed; (a tracer made without its __init__:
    # the hot path of every traced operation)
    out = _new_tracer(WeakTracer if weak and prim.name != "convert" else Tracer)
    _set_node(out, node)
    _set_trace(out, state)
    if state is None:  # keep the open traces alive (their tags not recycled) meanwhile
        hold = _OPEN.get()
        if hold is not None:  # (an unset _hold holds nothing, as None would)
            _set_hold(out, hold)
    return out


_new_tracer = object.__new__


def _identity_operand(prim, nodes: tuple):
    """``x`` where ``nodes`` is ``(x, e)`` with ``e`` a scalar constant equal, bit for bit, to
    ``prim``'s identity and ``x`` a real float of its dtype (then ``x op e`` is ``x`` itself, as
    the simplifier's ``mul_one``/``add_zero`` find); else None."""
    e = prim.identity
    if e is None:
        return None
    x, y = nodes
    if not y.op.constant:  # (in canonical order: a constant operand is the second)
        return None
    for x, y in ((x, y), (y, x)) if x.op.constant else ((x, y),):
        ya, xa = y.aval, x.aval
        if ya.shape != () or ya.dtype != xa.dtype or xa.dtype.kind != "f" or xa.shape is None:
            continue
        u = constant_scalar(y)
        if u is None or type(u) is bool or u != e or (
                e == 0 and math.copysign(1.0, u) != math.copysign(1.0, e)):
            continue
        return x
    return None

# (primitive, *input avals) -> the output aval, for primitives applied without params: a memo
# of the shape rules, which are pure functions of the avals (avals are interned: the key
# hashes and compares without Python calls). Cleared when full.
_SHAPES: dict = {}
_MAX_SHAPES = 4096


def _arg_tag(node: Node) -> TraceTag:
    """The tag of an ``arg`` node, read from its sorted params items (``index``, ``tag``):
    the hot path of every bind, where the pmap's own lookup would cost three calls."""
    return node._items[-1][1]


def _check_eager(prim, args, out) -> None:
    """``wire.debug_nans`` on a primitive applied eagerly to concrete arrays: the first NaN or
    Inf a call makes (not one it was given) raises, naming the primitive and the user's line.
    A NaN made from infinities (``inf - inf``, ``0 * inf``) is made, not given."""
    check_eager_value(prim.name, args, out)


def check_eager_value(name: str, operands, out) -> None:
    """``wire.debug_nans`` on ``name`` computed eagerly from concrete ``operands`` (arrays and
    numbers, or lists, tuples and dicts of them): raises the ``FloatingPointError`` where
    ``out`` holds a NaN or an Inf the operands did not (a NaN made from infinities, as
    ``inf - inf``, is made), naming ``name`` and the user's line.

    >>> import numpy as np
    >>> check_eager_value("sum", (np.array([np.inf, 1.0]),), np.inf)  # carried through
    >>> try:
    ...     check_eager_value("sum", (np.array([np.inf, -np.inf]),), np.nan)
    ... except Exception as e:
    ...     print(type(e).__name__)
    FloatingPointError
    """
    what = nonfinite(out)
    if not what:
        return
    # (an operand that is the result itself, NumPy's out= buffer, holds what was made)
    outs = out if isinstance(out, tuple) else (out,)
    operands = [a for a in _arrays_among(operands) if not any(a is o for o in outs)]
    given = " ".join(g for g in map(nonfinite, operands) if g)
    if ("NaN" in what and "NaN" not in given) or ("Inf" in what and "Inf" not in given):
        shown = [a for a in operands if isinstance(a, (np.ndarray, np.generic))]
        raise_eager_nonfinite(name, what, shown or operands, out, user_location())


def _arrays_among(operands):
    """The arrays and numbers in ``operands``, lists, tuples and dicts looked into."""
    for a in operands.values() if isinstance(operands, dict) else operands:
        if isinstance(a, _ARRAY_TYPES):
            yield a
        elif isinstance(a, (list, tuple, dict)):
            yield from _arrays_among(a)


# --------------------------------------------------------------------------- tracing


_NUMERIC_KINDS = frozenset("biufc")  # bool, ints, floats, complex: what wire computes with


def check_numeric(dtype, what: str) -> None:
    """``WireTypeError`` for an array of a non-numeric dtype (object, string, bytes,
    structured, datetime): NumPy would carry it through some functions and fail in others,
    and no derivative is defined for it."""
    if dtype.kind not in _NUMERIC_KINDS:
        if _is_float0(np.empty(0, dtype)):
            raise WireTypeError(
                f"{what} has dtype float0, a gradient of an integer (grad(allow_int=True)): "
                f"it holds no values, so no operation takes it, as in JAX; pick such leaves "
                f"out by their dtype (g.dtype == wire.float0){at(user_location())}")
        kind = ("structured" if dtype.fields else {"O": "object", "U": "string",
                "S": "bytes", "V": "void", "M": "datetime", "m": "timedelta"}.get(dtype.kind,
                                                                                 dtype.kind))
        raise WireTypeError(
            f"{what} has dtype {dtype} ({kind}); wire computes with boolean, integer, float and "
            f"complex arrays only — convert it (e.g. x.astype(float)) or pass it as a static "
            f"argument{at(user_location())}"
        )


def check_plain_array(leaf, what: str) -> None:
    """``WireTypeError`` for the ndarray subclasses whose operators mean something else:
    a masked array's reductions skip its masked entries and ``np.matrix``'s ``*`` is a matrix
    product, which a trace of its data (a plain array) would silently drop."""
    if isinstance(leaf, np.ma.MaskedArray):
        err = WireTypeError(
            f"{what} is a NumPy masked array: its mask would be dropped; pass "
            f"x.filled(value), or the data and the mask as two arrays{at(user_location())}")
    elif isinstance(leaf, np.matrix):
        err = WireTypeError(
            f"{what} is a np.matrix, whose * is a matrix product; pass np.asarray(x) and "
            f"use @{at(user_location())}")
    else:
        return
    # (the refused object and its description: a transform that passed it as an argument of
    # the user's function names that argument instead)
    err.refused, err.described_as = leaf, what
    raise err


def check_leaf_numeric(leaf, dtype, what: str) -> None:
    """:func:`check_numeric` for an argument leaf; a Python integer no integer dtype holds
    (NumPy makes it an object array) is a ``WireOverflowError`` naming it."""
    if type(leaf) is int:
        raise WireOverflowError(
            f"{what} is the Python integer {leaf}, beyond int64 and uint64: NumPy would hold "
            f"it in an object array, which wire does not compute with. Pass it as a float "
            f"(float(n)) or as a static argument (static_argnums){at(user_location())}")
    check_numeric(dtype, what)


def leaf_aval(leaf, path: str = "") -> Aval:
    """Aval of one pytree leaf, or ``WireTypeError`` naming the leaf's path and type."""
    if isinstance(leaf, Tracer):
        return leaf.aval
    if isinstance(leaf, _ARRAY_TYPES):
        aval = aval_of(leaf)
        if aval.dtype.kind not in _NUMERIC_KINDS:
            check_leaf_numeric(leaf, aval.dtype, f"argument leaf {path or '<root>'}")
        if type(leaf) is not _ndarray and isinstance(leaf, _ndarray):
            check_plain_array(leaf, f"argument leaf {path or '<root>'}")
        return aval
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
        if isinstance(leaf, Tracer):
            out.append(leaf.aval)
        elif isinstance(leaf, _ARRAY_TYPES):
            aval = aval_of(leaf)
            if aval.dtype.kind not in _NUMERIC_KINDS:  # the error names the leaf's path
                check_leaf_numeric(leaf, aval.dtype,
                                   f"argument leaf {tree.leaf_paths(treedef)[i]}")
            if type(leaf) is not _ndarray and isinstance(leaf, _ndarray):
                check_plain_array(leaf, f"argument leaf {tree.leaf_paths(treedef)[i]}")
            out.append(aval)
        else:
            paths = paths or tree.leaf_paths(treedef)
            out.append(leaf_aval(leaf, paths[i]))
    return out


def weak_leaves(leaves) -> tuple[int, ...]:
    """Positions of the weakly typed leaves: Python scalars and weak tracers (NEP 50)."""
    out = ()  # (a loop, not a generator: every eager call asks)
    for i, x in enumerate(leaves):
        if type(x) in _WEAK_TYPES or (isinstance(x, Tracer) and x.weak):
            out += (i,)
    return out


def arg_tracers(args, weak=(), state: TraceState | None = None) -> list[Tracer]:
    """Tracers for argument nodes ``args``; those at positions ``weak`` weakly typed."""
    out = []
    for i, n in enumerate(args):
        t = _new_tracer(WeakTracer if weak and i in weak else Tracer)
        _set_node(t, n)
        _set_trace(t, state)
        if state is None:
            _set_hold(t, _OPEN.get())
        out.append(t)
    return out


def output_nodes(result, lift=to_node) -> tuple[list[Node], object]:
    """The nodes of the pytree ``result`` a traced function returned, and its structure."""
    out_leaves, out_tree = _flatten(result)
    return _output_nodes(out_leaves, out_tree, lift)


def _output_nodes(out_leaves, out_tree, lift):
    out_nodes = []
    for i, o in enumerate(out_leaves):
        if isinstance(o, Tracer):
            if o.weak and o.node.aval.dtype.kind in "iu":  # (a Python int: not wrapped)
                check_weak_ints(_output_p, (o,), {}, False)
            out_nodes.append(o.node)
        elif _is_float0(o):  # (grad(allow_int=True) of an integer): data-free, so its
            # shape is part of the output's structure, never a computed value
            return _output_nodes(*_float0_structure(out_leaves, out_tree), lift)
        elif isinstance(o, _ARRAY_TYPES):
            out_nodes.append(lift(o))
        else:
            paths = tree.leaf_paths(out_tree)
            raise WireTypeError(
                f"the traced function returned a {type(o).__name__} at {paths[i]}; "
                "outputs must be arrays, numbers or containers of them"
                f"{at(user_location())}"
            )
    return out_nodes, out_tree


def close_graph(args, out_nodes, in_tree, out_tree, table=None) -> Graph:
    """The graph of a finished trace: its argument nodes renamed to positional inputs, the
    trace's tag marked done (its tracers are leaked ones from now on); ``table``: where the
    trace made its nodes (:func:`wire.core.locations.recording`), kept as the graph's."""
    table = {} if table is None else table
    # (the arguments first: renamed, this is the closed graph's own node order)
    order = toposort(list(args) + list(out_nodes))
    foreign = False  # the function closed over input nodes of another graph
    for n in order:
        if n.op is input_op:
            foreign = True
        elif n.op is arg_op and n.params["tag"].done:
            check_leaks(order, table)
    if foreign:
        # (user code running inside a graph transform's rule): renaming our args to
        # positional inputs could merge them with those free nodes, so this graph keeps its
        # own tagged args as inputs (and they stay usable).
        locs = nested_locs(order, table, {n: table[n] for n in order if n in table})
        return Graph(list(args), out_nodes, in_tree, out_tree, locs)
    for a in args:
        a.params["tag"].done = True  # from now on the args' tracers are leaked ones
    inputs = [input_node(i, a.aval) for i, a in enumerate(args)]
    renamed = substitute_map(out_nodes, dict(zip(args, inputs)), order)
    # (the location table and the node order carried over in C, by map and compress: two
    # walks over every node of the trace)
    new_of = renamed.__getitem__
    located = list(compress(order, map(table.__contains__, order)))
    locs = nested_locs(order, table, dict(zip(map(new_of, located),
                                              map(table.__getitem__, located))))
    return graph_in_order(inputs, [renamed[o] for o in out_nodes], in_tree, out_tree, locs,
                          list(map(new_of, order)))


def check_leaks(nodes, table=None) -> None:
    """Raise :class:`wire.UnexpectedTracerError` if the nodes (``nodes``: everything they
    need, in topological order) use an argument of a finished trace; ``table``: where the
    current trace made its nodes (a node it made is a *use* of the leaked value, not part of
    it), for naming the line of the use."""
    dead: list = []  # the leaked value's nodes, in topological order
    dead_set = set()
    for n in nodes:
        if n.is_leaf:
            if n.op is arg_op and n.params["tag"].done and not _rebound(n):
                dead.append(n)
                dead_set.add(n)
            continue
        hit = [i for i in n.inputs if i in dead_set]
        if not hit:
            continue
        made_here = table is not None and n in table
        if not made_here and all(i in dead_set or i.op is const_op for i in n.inputs):
            dead.append(n)
            dead_set.add(n)
            continue
        raise_leaked(hit[0], n, (table or {}).get(n) or n.loc)
    if dead:
        raise_leaked(dead[-1], None, user_location())


# While a custom rule runs, the values its function closed over from an enclosing trace are
# rebound: the rule's Python closure still holds that (finished) trace's tracers, which stand
# for the operands the custom call received. {finished-trace node: live node}; a ContextVar
# set by call_rebound's block, so per thread and gone when the rule returns.
_REBOUND: contextvars.ContextVar = contextvars.ContextVar("wire_rebound", default=None)


def _rebound(node: Node) -> bool:
    table = _REBOUND.get()
    return table is not None and node in table


def call_rebound(fn: Callable, mapping: dict, *args):
    """``fn(*args)`` in which the finished-trace nodes of ``mapping`` stand for the live nodes
    they map to: using them is allowed inside, and the result (a pytree of tracers) has them
    replaced. How a custom rule closing over values of an enclosing trace sees their values
    when it runs after that trace has finished (as rules do: ``grad`` traces first, then
    runs the rules)."""
    if not mapping:
        return fn(*args)
    outer = _REBOUND.get()
    token = _REBOUND.set({**outer, **mapping} if outer else dict(mapping))
    try:
        result = fn(*args)
    finally:
        _REBOUND.reset(token)
    return replace_nodes(result, mapping)


def replace_nodes(result, mapping: dict):
    """``result`` (a pytree) with the tracers in it rebuilt per ``mapping`` (Node -> Node);
    the new nodes report the locations the replaced ones had in the current trace."""
    out, out_tree = tree.flatten(result)
    nodes = [o.node for o in out if isinstance(o, Tracer)]
    if not nodes:
        return result
    new = substitute_map(nodes, mapping)
    table = _RECORD.get()
    if table is not None:
        for old, m in new.items():
            if m is not old and m not in table and old in table:
                table[m] = table[old]
    return tree.unflatten(out_tree, [Tracer(new[o.node]) if isinstance(o, Tracer) else o
                                     for o in out])


def raise_leaked(leaked: Node, user: Node | None, where: str | None):
    """The ``UnexpectedTracerError`` for a use of ``leaked`` (by node ``user``, at ``where``)."""
    tags = [n.params["tag"] for n in toposort([leaked]) if n.op is arg_op]
    origin = next((t.where for t in tags if t.done and t.where), None)
    made = None if leaked.is_leaf else leaked.loc
    what = f"a value computed at {made}" if made else "an argument"
    what += f" of the function traced at {origin}" if origin else " of a finished trace"
    use = f" is used at {where}" if where else " is used"
    if user is not None:
        use += f" (by {user.op.name})"
    raise UnexpectedTracerError(
        f"leaked tracer {leaked.aval!r}: {what}{use}, after that trace finished. A tracer "
        "stands for a value only while its function is being traced: return it from the "
        "function (has_aux=True for side results) or pass it in as an argument instead of "
        "keeping it (in a list, a global, an attribute)"
    )


_INT_RANGES: contextvars.ContextVar = contextvars.ContextVar("wire_int_ranges", default=None)
"""For the next abstract trace (:func:`trace_flat`): the :class:`IntRanges` of its Python-int
arguments, set by ``wire.jit``, whose cache key has these ranges (:func:`leaf_int_ranges`)."""


class IntRanges(dict):
    """``{argument index: (lo, hi, elo, ehi)}``: the range ``[lo, hi]`` a Python-int argument
    of an abstract trace lies in (the cache key's: see :func:`int_range`) and the range
    ``[elo, ehi]`` of its values in this call (one value: ``elo == ehi``).

    ``exact`` is set when the trace used the values themselves: a value computed from the
    arguments (``-s``, ``s + 300``) whose range over the key's ranges does not decide a
    promotion (it fits the array's dtype for some values of the range, not for others), so
    the trace holds for these values only and the cache is keyed on them. It is set on the
    ranges of enclosing traces the values came from too (``parents``: a jit inside a jit).
    """

    exact = False  # (class defaults: no __init__ to run)
    parents = ()
    # for the carries of a loop body (see wire.api.control_flow): the loop, named for
    # messages; a carry with the entry (None, None, None, None) has no range a bound was
    # found for (it grows with a trip count that is not known)
    loop = None

    def mark_exact(self) -> None:
        """The trace depends on the values themselves, and so do the enclosing ones."""
        self.exact = True
        for p in self.parents:
            if not p.exact:
                p.mark_exact()


# the bounds of NumPy's integer dtypes: no dtype's range has one inside a range of int_range
_INT_BOUNDS_ABOVE = sorted({int(np.iinfo(t).max) for t in np.typecodes["AllInteger"]})
_INT_BOUNDS_BELOW = sorted({int(np.iinfo(t).min) for t in np.typecodes["AllInteger"]})


def int_range(v: int) -> tuple[int, int]:
    """The range between consecutive bounds of NumPy's integer dtypes that ``v`` lies in:
    every value of it fits exactly the dtypes ``v`` fits, so a trace for one value of the
    range promotes (or refuses) every other alike.

    >>> int_range(3), int_range(300), int_range(-1)
    ((0, 127), (256, 32767), (-128, -1))
    """
    if v >= 0:
        lo = 0
        for hi in _INT_BOUNDS_ABOVE:
            if v <= hi:
                return (lo, hi)
            lo = hi + 1
        return (lo, v)  # (beyond uint64: no dtype holds it)
    hi = -1
    for lo in reversed(_INT_BOUNDS_BELOW):
        if v >= lo:
            return (lo, hi)
        hi = lo - 1
    return (v, hi)


# ---- the ranges of Python-int arithmetic: interval rules, exact in Python's integers (an
# operation on ranges [lo, hi]; on one value, lo == hi, it is the value's own operation)

_BIG = 1 << 512  # (a bound beyond it is not followed: the range is unknown)


def _corners(fn, a, b):
    vals = [fn(x, y) for x in a for y in b]
    return (min(vals), max(vals))


def _floordiv(a, b):
    if b[0] <= 0 <= b[1]:  # NumPy's integer x // 0 is 0 (with a warning)
        parts = [(0, 0)]
        if b[0] < 0:
            parts.append(_corners(operator.floordiv, a, (b[0], -1)))
        if b[1] > 0:
            parts.append(_corners(operator.floordiv, a, (1, b[1])))
        return (min(p[0] for p in parts), max(p[1] for p in parts))
    return _corners(operator.floordiv, a, b)  # (monotone in each operand: b has one sign)


def _mod(a, b):
    if a[0] == a[1] and b[0] == b[1]:
        return (0, 0) if b[0] == 0 else (a[0] % b[0],) * 2
    parts = []
    if b[0] <= 0 <= b[1]:  # NumPy's integer x % 0 is 0 (with a warning)
        parts.append((0, 0))
    if b[1] > 0:  # the sign of the divisor
        parts.append(a if 0 <= a[0] and a[1] < max(b[0], 1) else (0, b[1] - 1))
    if b[0] < 0:
        parts.append(a if a[1] <= 0 and a[0] > min(b[1], -1) else (b[0] + 1, 0))
    return (min(p[0] for p in parts), max(p[1] for p in parts))


def _abs(a):
    if a[0] >= 0:
        return a
    if a[1] <= 0:
        return (-a[1], -a[0])
    return (0, max(-a[0], a[1]))


def _integer_pow(a, n):
    if n < 0 or n > 64:
        return None  # (a negative power of an integer raises in NumPy; a huge one: unknown)
    if n % 2 == 0:
        a = _abs(a)
    return (a[0] ** n, a[1] ** n)


def _pow(a, b):
    if b[0] < 0 or b[1] > 64:
        return None  # (a negative power of an integer raises in NumPy; a huge one: unknown)
    if a[0] == a[1] and b[0] == b[1]:
        return (a[0] ** b[0],) * 2
    if a[0] >= 0:  # (monotone in each operand there)
        return _corners(operator.pow, a, b)
    top = max(-a[0], abs(a[1])) ** b[1]
    return (-top, top)


def _left_shift(a, b):
    if b[0] < 0 or b[1] > 256:
        return None  # (NumPy's shift by a negative or past the width: not Python's)
    return _corners(operator.lshift, a, b)


def _right_shift(a, b):
    if b[0] < 0:
        return None
    top = max(abs(a[0]), abs(a[1])).bit_length() + 1  # (any larger shift gives 0 or -1)
    return _corners(operator.rshift, a, (min(b[0], top), min(b[1], top)))


def _bitwise(fn):
    def rule(a, b):
        if a[0] == a[1] and b[0] == b[1]:
            return (fn(a[0], b[0]),) * 2
        k = max(abs(v).bit_length() for v in (*a, *b))
        if a[0] >= 0 and b[0] >= 0:
            return (0, min(a[1], b[1]) if fn is operator.and_ else (1 << k) - 1)
        return (-(1 << k), (1 << k) - 1)
    return rule


def _sign(a):
    return ((a[0] > 0) - (a[0] < 0), (a[1] > 0) - (a[1] < 0))


_RANGE_RULES = {
    "neg": lambda a: (-a[1], -a[0]),
    "abs": _abs,
    "sign": _sign,
    "invert": lambda a: (~a[1], ~a[0]),
    "convert": lambda a: a,
    "add": lambda a, b: (a[0] + b[0], a[1] + b[1]),
    "sub": lambda a, b: (a[0] - b[1], a[1] - b[0]),
    "mul": lambda a, b: _corners(operator.mul, a, b),
    "floor_divide": _floordiv,
    "mod": _mod,
    "pow": _pow,
    "minimum": lambda a, b: (min(a[0], b[0]), min(a[1], b[1])),
    "maximum": lambda a, b: (max(a[0], b[0]), max(a[1], b[1])),
    "left_shift": _left_shift,
    "right_shift": _right_shift,
    "bitwise_and": _bitwise(operator.and_),
    "bitwise_or": _bitwise(operator.or_),
    "bitwise_xor": _bitwise(operator.xor),
    "select": lambda c, a, b: (min(a[0], b[0]), max(a[1], b[1])),
}


def _apply_rule(node, spans):
    """``node``'s range from its operands' (each ``(lo, hi)``), or None if not known."""
    name = node.op.name
    if name == "integer_pow":
        out = _integer_pow(spans[0], node.params["y"])
    else:
        rule = _RANGE_RULES.get(name)
        out = None if rule is None else rule(*spans)
    if out is None or out[0] < -_BIG or out[1] > _BIG:
        return None
    return out


_BOOL_SPAN = (0, 1, 0, 1, ())


def _find_state(state, tag):
    while state is not None and state.tag is not tag:
        state = state.parent
    return state


def _int_span(x: "Tracer"):
    """``(lo, hi, elo, ehi, used)`` of the weakly typed integer (or boolean) tracer ``x``:
    the range ``[lo, hi]`` its value lies in for every call the trace stands for (None, None
    if not known) and ``[elo, ehi]`` in this call (None, None if not known), computed from
    the Python-int arguments' ranges (:class:`IntRanges`, listed in ``used``) through
    Python's integer arithmetic, exactly (where the traced int64 arithmetic may wrap); None
    if neither is known."""
    state = x._state
    if state is None:
        return None
    spans = state.int_spans
    if spans is None:
        spans = state.int_spans = {}
    elif x.node in spans:
        return spans[x.node]
    stack = [x.node]
    while stack:
        node = stack[-1]
        if node in spans:
            stack.pop()
            continue
        aval = node.aval
        kind = None if isinstance(aval, tuple) else aval.dtype.kind  # (tuple: multi-output)
        if kind is None or kind not in "biu" or aval.shape is None:
            spans[node] = None
            stack.pop()
            continue
        if node.is_leaf:
            stack.pop()
            spans[node] = _leaf_span(node, state, kind)
            continue
        todo = [i for i in node.inputs if i not in spans]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        ins = [spans[i] for i in node.inputs]
        if node.op.name == "select":
            ins[0] = _BOOL_SPAN  # (the condition: any booleans)
        spans[node] = _rule_span(node, ins, state)
    return spans[x.node]


def _leaf_span(node, state, kind):
    if node.op is const_op:
        v = node.params["value"].array
        if not v.size:
            return None
        lo, hi = int(v.min()), int(v.max())
        return (lo, hi, lo, hi, ())
    if node.op is arg_op:
        owner = _find_state(state, node.params["tag"])
        if owner is not None:
            ranges = owner.int_ranges
            if ranges is not None:
                r = ranges.get(node.params["index"])
                if r is not None:
                    return (*r, (ranges,))
            if owner.concrete_state() is not None:
                return _known_span(node, owner)
    return _BOOL_SPAN if kind == "b" else None


def _known_span(node, state):
    """The span of ``node``'s value in an eager trace (every example's, under vmap)."""
    known = state.concrete_state()
    try:
        v = np.asarray(known.values.value(node, "a promotion")[0])
    except TracerBoolError:  # (an eager trace inside an abstract one: not known either)
        return None
    if not v.size:
        return None
    lo, hi = int(v.min()), int(v.max())
    return (lo, hi, lo, hi, ())


def _rule_span(node, ins, state):
    if node.aval.dtype.kind == "b":
        return _BOOL_SPAN
    if not any(s is None for s in ins):
        key = None if any(s[0] is None for s in ins) else \
            _apply_rule(node, [(s[0], s[1]) for s in ins])
        now = None if any(s[2] is None for s in ins) else \
            _apply_rule(node, [(s[2], s[3]) for s in ins])
        if key is not None or now is not None:
            used = ()
            for s in ins:
                used += tuple(r for r in s[4] if r not in used)
            return (*(key or (None, None)), *(now or (None, None)), used)
        # (computed from a loop carry with no bound: no range, but where it came from)
        marks = tuple(r for s in ins for r in s[4] if getattr(r, "loop", None))
        if marks:
            return (None, None, None, None, marks[:1])
    if state is not None and state.concrete_state() is not None:  # no rule: its value
        return _known_span(node, state)
    return None


# primitives that give the same result modulo 2**64 for operands equal modulo 2**64 (the
# traced int64/uint64 arithmetic of Python ints that go beyond it): their operands may have
# wrapped around while their result stays weak (Python-int arithmetic); every other use of a
# weakly typed integer needs its value itself
_MODULAR = frozenset({"neg", "add", "sub", "mul", "integer_pow", "left_shift", "invert",
                      "bitwise_and", "bitwise_or", "bitwise_xor", "select"})


class _Output:
    name = "returning it"  # (check_weak_ints on a traced function's output)


_output_p = _Output()


def check_weak_ints(prim, args, params: dict, weak_out: bool) -> None:
    """Raise where an operand of ``prim`` is a weakly typed integer (a Python int computed
    from Python-int arguments of ``jit``, ``vmap`` …) whose value does not fit the dtype it
    is traced in (int64; uint64 for an argument above int64), so the traced value has
    wrapped around where Python's would not: a wrong answer unless ``prim`` is modular and
    its result stays a Python int (``weak_out``), checked where that is used."""
    if weak_out and prim.name in _MODULAR:
        return
    if prim.name == "convert" and np.dtype(params["dtype"]).kind in "iu":
        return  # (modular; the destination's bounds are checked by the promotion that casts)
    for a in args:
        if isinstance(a, Tracer) and a.weak and a.node.aval.dtype.kind in "iu":
            check_unwrapped(a, prim.name)


def check_unwrapped(x: "Tracer", use: str) -> None:
    """Raise where the weakly typed integer ``x`` (a Python int computed from Python-int
    arguments) lies beyond the dtype it is traced in, so that its traced value has wrapped
    around: ``use`` (what would use it) would be wrong."""
    info = np.iinfo(x.node.aval.dtype)
    span = weak_int_range(x, (int(info.min), int(info.max)))
    if span is not None and (span[0] < info.min or span[1] > info.max):
        what = f"Python integer {span[2]}" if span[2] is not None else \
            f"a Python integer in [{span[0]}, {span[1]}]"
        raise WireOverflowError(
            f"{what} (computed from Python-int arguments) is out of bounds for "
            f"{x.node.aval.dtype}, the dtype it is traced in, where Python computes it "
            f"exactly; {use} would use the wrapped value{at(user_location())}. Pass it as a "
            "NumPy integer or array of a dtype that holds it, or keep the Python arithmetic "
            "within that dtype")


def weak_int_range(x: "Tracer", bounds: tuple | None = None) -> tuple | None:
    """``(lo, hi, value)``: the range of values a weakly typed integer tracer may hold while
    tracing, and one of them (for messages; None if not known) — its value where known (an
    eager trace), the range of the Python-int arguments it is computed from (under
    ``wire.jit``, see :class:`IntRanges`) through Python's integer arithmetic — else None.

    With ``bounds`` ``(min, max)`` (the dtype the value meets): where the range does not lie
    within them but the value in this call is known, the trace is marked as depending on the
    values (``IntRanges.exact``: the cache keys it on them) and the range is that value's.
    """
    span = _int_span(x)
    if span is None:
        return None
    lo, hi, elo, ehi, used = span
    value = None if elo is None else (elo if elo < 0 else ehi)
    if lo is None or (bounds is not None and (lo < bounds[0] or hi > bounds[1])):
        if elo is None:
            return None if lo is None else (lo, hi, None)
        if lo is None or (lo, hi) != (elo, ehi):
            for r in used:
                r.mark_exact()
        return (elo, ehi, value)
    return (lo, hi, value)


def int_loop(x: "Tracer") -> tuple[str | None, bool]:
    """``(loop, unbounded)``: the loop (named for messages) whose Python-int carry the weakly
    typed integer ``x`` is computed from (None if none), and whether no bound was found for
    its range (a ``while_loop``'s counter whose growth its predicate does not bound)."""
    span = _int_span(x)
    if span is None:
        return None, False
    for r in span[4]:
        where = getattr(r, "loop", None)
        if where:
            return where, span[0] is None and span[2] is None
    return None, False


def tracer_int_span(x) -> tuple | None:
    """The span (see :func:`_int_span`) of a loop's initial carry leaf ``x``: a Python int
    is its own value, a weakly typed integer tracer its range in its trace; else None."""
    if type(x) is int:
        return (x, x, x, x, ())
    if type(x) is bool:
        return _BOOL_SPAN
    if isinstance(x, Tracer) and x.weak and x.node.aval.dtype.kind in "biu":
        return _int_span(x)
    return None


def node_int_span(node: Node, state) -> tuple | None:
    """The span of ``node`` (a value of the trace ``state`` or of one it runs inside: a
    loop's closed-over operand) as if it were weakly typed; None outside any trace."""
    if state is None or isinstance(node.aval, tuple) or node.aval.shape is None \
            or node.aval.dtype.kind not in "biu":
        return None
    t = _new_tracer(WeakTracer)
    _set_node(t, node)
    _set_trace(t, state)
    return _int_span(t)


def remember_int_span(x: "Tracer", span: tuple | None) -> None:
    """Record ``span`` as the range of the tracer ``x`` (a loop's output, whose range the
    loop's carry analysis found) for the rest of its trace."""
    state = x._state
    if state is None or span is None:
        return
    if state.int_spans is None:
        state.int_spans = {}
    state.int_spans[x.node] = span


def graph_int_spans(graph: Graph, outputs) -> Callable:
    """A function of ``graph``'s inputs' spans (a list, None where not known) giving
    ``{node: span}`` over the nodes ``outputs`` need: the rules of :func:`_int_span` applied
    node by node (``graph`` is a closed graph, a loop body, run for every step of a loop:
    its order and its constants' spans are found once)."""
    fixed, steps = {}, []
    inputs = set(graph.inputs)
    for node in toposort(list(outputs)):
        if node in inputs:
            continue
        aval = node.aval
        if isinstance(aval, tuple) or aval.shape is None or aval.dtype.kind not in "biu":
            fixed[node] = None
        elif node.is_leaf:
            fixed[node] = _leaf_span(node, None, aval.dtype.kind) if node.op is const_op \
                else (_BOOL_SPAN if aval.dtype.kind == "b" else None)
        elif aval.dtype.kind == "b":
            fixed[node] = _BOOL_SPAN
        else:
            steps.append((node, node.inputs, node.op.name == "select"))
    graph_inputs = graph.inputs

    def run(in_spans) -> dict:
        spans = dict(fixed)
        spans.update(zip(graph_inputs, in_spans))
        for node, ins, select in steps:
            args = [spans[i] for i in ins]
            if select:
                args[0] = _BOOL_SPAN
            spans[node] = None if None in args else _rule_span(node, args, None)
        return spans

    run.size = len(steps) + 1  # (its cost, in rule applications)
    return run


def leaf_int_ranges(leaves, weak) -> dict | None:
    """``{position: (lo, hi, elo, ehi)}`` (see :class:`IntRanges`) of the Python-int leaves
    among the weakly typed ones (at positions ``weak``) and of weakly typed integer tracers
    whose range is known, the range widened to whole :func:`int_range` s (so that it can be
    part of a cache key), or None if there are none. A plain dict for Python ints alone
    (every call of a jitted function with one: made cheaply), an :class:`IntRanges` naming
    the enclosing traces' ranges for tracers."""
    out = None
    for i in weak:
        v = leaves[i]
        if type(v) is int:
            r = (*int_range(v), v, v)
        elif isinstance(v, Tracer) and v.dtype.kind in "iu":
            span = _int_span(v)
            if span is None:
                continue
            lo, hi, elo, ehi, used = span
            if lo is None:  # (not known over the enclosing key's ranges: these values)
                if elo is None:
                    continue
                lo, hi = elo, ehi
                for p in used:
                    p.mark_exact()
            if type(out) is not IntRanges:
                out = IntRanges(out or ())
            out.parents += tuple(p for p in used if p not in out.parents)
            r = (int_range(lo)[0], int_range(hi)[1], elo, ehi)
        else:
            continue
        if out is None:
            out = {}
        out[i] = r
    return out


def int_ranges_key(ranges: dict | None) -> tuple:
    """The part of a cache key :func:`leaf_int_ranges` gives: the ranges, not the values."""
    return () if ranges is None else tuple((i, r[0], r[1]) for i, r in ranges.items())


def int_values_key(ranges: dict) -> tuple:
    """The part of a cache key for a trace that depends on the Python-int values themselves
    (:attr:`IntRanges.exact`)."""
    return tuple((i, r[2], r[3]) for i, r in ranges.items())


def trace_flat(fn: Callable, in_avals, in_tree, weak=()) -> Graph:
    """Trace ``fn`` on abstract arguments (a pytree of structure ``in_tree``) into a Graph.

    ``weak``: positions of the leaves that stand for Python scalars (weakly typed).

    A transformed function (``wire.grad(f)``, ``wire.vmap(f)``, ``wire.jit(f)`` …) already
    knows its graph: it has a method ``__wire_graph__(in_avals, in_tree) -> Graph`` (given
    ``weak=`` too when some leaves are weak), which is asked instead of tracing through it —
    no inlining and recognising the graph again.
    """
    with gc_paused():  # see wire.ir.pause: the collector would dominate on big graphs
        graph_of = getattr(fn, "__wire_graph__", None)
        if graph_of is not None:
            if weak:
                return graph_of(list(in_avals), in_tree, weak=tuple(weak))
            return graph_of(list(in_avals), in_tree)
        return _trace_flat(fn, in_avals, in_tree, weak)


def _trace_flat(fn: Callable, in_avals, in_tree, weak) -> Graph:
    # the user's own lines, even inside a rule
    ranges = _INT_RANGES.get()
    token = _INT_RANGES.set(None) if ranges is not None else None  # (this trace's alone)
    try:
        with open_trace(where=user_location()) as state, recording() as table, site(None):
            state.int_ranges = ranges
            args = [arg_node(i, a, state.tag) for i, a in enumerate(in_avals)]
            result = fn(*_unflatten(in_tree, arg_tracers(args, weak, state)))
    finally:
        if token is not None:
            _INT_RANGES.reset(token)
    out_nodes, out_tree = output_nodes(result)
    return close_graph(args, out_nodes, in_tree, out_tree, table)


def trace(fn: Callable, *example_args) -> Graph:
    """The immutable graph of ``fn`` at the shapes and dtypes of ``example_args``.

    Arguments may be pytrees; only shapes and dtypes matter, not values (Python scalars are
    weakly typed, as when ``fn`` is called with them).

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda x: np.sin(x) * 2.0, np.ones(3))
    >>> len(g)
    2
    """
    leaves, in_tree = tree.flatten(example_args)
    return trace_flat(fn, flat_avals(leaves, in_tree), in_tree, weak_leaves(leaves))
