"""The stateless graph walker: ``evaluate_flat(graph, leaves)``.

Each graph is resolved once to ``(function, input slots)`` steps (a memoized *plan*); a call
walks the plan keeping values in a local list that dies with the call, dropping each value
after its last use. Nothing is written into the arguments and no state survives the call, so
one graph may be evaluated from many threads at once.
"""

from __future__ import annotations

import functools
import operator
from typing import Sequence

import numpy as np

from ..errors import (
    ShapeError,
    UnboundInputError,
    WireError,
    WireTypeError,
    at,
    run_time_error,
    user_location,
)
from ..ir import (
    Aval,
    Graph,
    LeafOp,
    Node,
    arg_op,
    const_op,
    dead_arg,
    gc_paused,
    locating_by,
    toposort,
    var_op,
)
from .debug import _NANS, check_steps
from .tracer import Tracer, check_leaks, check_numeric


class Plan:
    """A graph resolved for execution: steps over integer slots."""

    __slots__ = ("n_slots", "inputs", "outputs", "consts", "const_roots", "steps", "nodes")

    def __init__(self, graph: Graph):
        # one pass over the nodes, then one backwards over the steps (for the frees): a graph
        # evaluated once (every new eager call) pays for its plan as much as for running it,
        # so the walk avoids per-node property and pmap calls (``_items``, not ``params``)
        nodes = list(graph.nodes)
        slot = {n: i for i, n in enumerate(nodes)}
        self.n_slots = len(nodes)
        self.nodes = nodes
        self.inputs = [slot[n] for n in graph.inputs]
        self.outputs = outputs = [slot[n] for n in graph.outputs]
        consts: list = []
        ops: list = []  # (impl, input slots, slot)
        unbound: list = []
        is_input = set(graph.inputs).__contains__
        partial = functools.partial
        for k, n in enumerate(nodes):
            op = n.op
            if type(op) is LeafOp:
                if op is const_op:
                    consts.append((k, n.params["value"].array))
                elif not is_input(n):
                    unbound.append(n)
                continue
            items = n._items
            ops.append((partial(op.impl, **dict(items)) if items else op.impl,
                        tuple([slot[i] for i in n.inputs]), k))
        self.consts = consts
        self.const_roots = frozenset(id(_root(a)) for _, a in consts)
        if unbound:
            if any(dead_arg(n) for n in unbound):
                check_leaks(nodes)
            n = unbound[0]
            raise UnboundInputError(
                f"no value for {_describe_leaf(n)}: the graph uses it but it is not one of the "
                f"graph's inputs{at(n.loc)}"
            )
        # each slot is freed after its last use (walking backwards, its first), outputs never
        used = set(outputs)
        seen = used.__contains__
        mark = used.add
        steps = []
        for fn, ins, out in reversed(ops):
            frees = ()
            for i in ins:
                if not seen(i):
                    mark(i)
                    frees += (i,)
            steps.append((fn, ins, out, frees))
        steps.reverse()
        self.steps = steps


@functools.lru_cache(maxsize=512)
def plan_for(graph: Graph) -> Plan:
    """The memoized execution plan of ``graph`` (a pure function of an immutable value)."""
    with gc_paused():  # see wire.ir.pause
        return Plan(graph)


def _describe_leaf(n: Node) -> str:
    if n.op is var_op:
        return f"var {n.params['name']!r} ({n.aval!r})"
    if n.op is arg_op:
        return f"a traced value of an enclosing trace ({n.aval!r})"
    return f"input {n.params.get('index')} ({n.aval!r})"


def _check_input(node: Node, value, what: str):
    """``value`` checked against the input ``node`` and given its dtype: a graph computes
    in the dtypes it was traced with, so a value of another dtype is cast where NumPy's
    ``same_kind`` rule allows it without wrapping integers (float64 into a float32 input, as
    a placeholder's feed is; an int or bool into a float one) and refused otherwise (a
    complex value for a float input, a float for an integer one, int64 for int8)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.kind not in "biufc":
        check_numeric(dtype, what)
    shape = np.shape(value)
    if node.aval.shape is not None and tuple(shape) != node.aval.shape:
        raise ShapeError(
            f"{what} expects shape {node.aval.shape} ({node.aval!r}), got shape {tuple(shape)}"
            f"{at(user_location())}"
        )
    want = node.aval.dtype
    if dtype is None or dtype == want:
        return value
    if np.can_cast(dtype, want, "safe") or (
            want.kind in "fc" and np.can_cast(dtype, want, "same_kind")):
        return np.asarray(value, dtype=want)
    raise WireTypeError(
        f"{what} expects dtype {want} ({node.aval!r}), got {dtype}: the graph computes in "
        f"the dtypes it was traced with; cast the value (x.astype) or trace the function "
        f"again{at(user_location())}")


def evaluate_flat(graph: Graph, leaves: Sequence) -> list:
    """Evaluate ``graph`` on flat input values; returns a list of NumPy arrays."""
    plan = plan_for(graph)
    if len(leaves) != len(plan.inputs):
        raise WireError(f"graph takes {len(plan.inputs)} inputs, got {len(leaves)}{at(user_location())}")
    env = [None] * plan.n_slots
    for s, node, v in zip(plan.inputs, graph.inputs, leaves):
        if isinstance(v, Tracer):
            raise WireError("evaluate needs concrete values; to inline a graph into a trace, "
                            "call it" + at(user_location()))
        env[s] = _check_input(node, v, f"input {node.params.get('index', '')}")
    for s, v in plan.consts:
        env[s] = v
    if _NANS.get():  # wire.debug_nans: a separate checking loop keeps this one fast
        with locating_by(graph):  # a NaN inside a cond/loop body: this graph's lines
            check_steps(plan, env, graph)
    else:
        out = None
        try:
            for fn, ins, out, frees in plan.steps:
                env[out] = fn(*[env[i] for i in ins])
                for f in frees:
                    env[f] = None
        except Exception as e:  # NumPy's error at run time: a WireError naming the node
            if out is None:
                raise
            node = plan.nodes[out]
            err = run_time_error(e, node.op.name, graph.loc(node))
            if err is None:
                raise
            raise err from e
    return _owned_outputs([env[s] for s in plan.outputs], leaves, plan.const_roots)



def raise_located(e: Exception, graph: Graph, leaves: Sequence) -> None:
    """Raise NumPy's run-time error ``e`` of compiled code for ``graph`` (a singular matrix
    to ``inv``, an index out of bounds) as the ``WireError`` of its kind naming the primitive
    and the user's line: generated code knows neither, so ``graph`` is evaluated again node
    by node, which raises it at the node that fails (the error path only). Returns if ``e``
    is not one of NumPy's kinds, or the evaluator does not fail: the caller re-raises ``e``.

    >>> import numpy as np, wire
    >>> raise_located(ValueError("not NumPy's"), wire.trace(lambda x: x, 1.0), [1.0])
    """
    if run_time_error(e, "", None) is None:
        return
    try:
        with np.errstate(all="ignore"):  # (the failed run gave the warnings already)
            evaluate_flat(graph, list(leaves))
    except WireError as err:
        if isinstance(err, type(e)):
            raise err from e
    except Exception:  # noqa: BLE001 - the first error is the one to report
        return

def _by_operator(op, ufunc):
    """``ufunc`` on two float64 scalars through NumPy's scalar operator ``op``: the same
    IEEE 754 arithmetic, rounding, inf, warnings and error state, without the ufunc call's
    overhead (on two scalars ten times the arithmetic). Only which NaN comes out of two NaN
    operands may differ (sign, payload): a NaN result is computed again by the ufunc (its
    warning was given already)."""

    def fn(a, b):
        r = op(a, b)
        if r != r:  # noqa: PLR0124 - a NaN
            with np.errstate(all="ignore"):
                return ufunc(a, b)
        return r

    fn.__name__ = ufunc.__name__
    return fn


_SCALAR_PAIRS = {u: (o, u) for u, o in (
    (np.add, operator.add), (np.subtract, operator.sub), (np.multiply, operator.mul),
    (np.true_divide, operator.truediv))}
_SCALAR_OPERATORS = {u: _by_operator(o, u) for u, (o, _) in _SCALAR_PAIRS.items()}
_NOT_SEEN = object()


def _scalar(v):
    """A 0-d float64 array as NumPy's float64 scalar (what ufuncs return for it anyway)."""
    return v[()] if type(v) is np.ndarray and v.dtype == _F64 else v


_F64 = np.dtype(np.float64)
_PY_SCALARS = (float, int, bool, complex)


def evaluate_once(graph: Graph, leaves: Sequence) -> list:
    """:func:`evaluate_flat` for a graph about to run once (a new eager call's derivative):
    a graph whose every value is 0-d (a scalar chain, a higher derivative of a scalar
    function) is walked in node order without making a plan — building the plan would cost
    more than running it, and with values this small there is nothing worth freeing — on
    NumPy scalars, float64 arithmetic by their operators. Any other graph (or call: wrong
    inputs, ``debug_nans``) goes through :func:`evaluate_flat`. Every value has the bits
    and the warnings it has there.

    >>> import wire, wire.numpy as wnp
    >>> g = wire.trace(lambda x: wnp.sin(x) * 2.0, 0.5)
    >>> evaluate_once(g, [np.float64(0.5)])[0] == evaluate_flat(g, [np.float64(0.5)])[0]
    np.True_
    """
    inputs = graph.inputs
    if len(leaves) != len(inputs) or _NANS.get():
        return evaluate_flat(graph, leaves)
    env = {}
    for node, v in zip(inputs, leaves):
        aval = node.aval
        if type(aval) is not Aval or aval.shape != () or isinstance(v, Tracer):
            return evaluate_flat(graph, leaves)
        v = _check_input(node, v, f"input {node.params.get('index', '')}")
        if type(v) in _PY_SCALARS:
            # the operators below must do NumPy's arithmetic, not Python's (0.0 / 0.0
            # raises ZeroDivisionError there; ints never overflow)
            v = np.asarray(v, aval.dtype)
        env[node] = _scalar(v)
    consts = []
    # primitive -> (operator, ufunc) computing it on float64 scalars by NumPy's scalar
    # operator (see _by_operator, whose body is inline below: one call less per node), or
    # None: its ufunc
    opers: dict = {}
    get = env.__getitem__  # (a node's inputs come before it in node order)
    prev = None  # the last aval checked (avals are interned: a run of one aval is checked once)
    f64 = False
    for n in graph.nodes:
        aval = n.aval
        if aval is not prev:
            if type(aval) is not Aval or aval.shape != ():
                return evaluate_flat(graph, leaves)
            prev, f64 = aval, aval.dtype is _F64
        op = n.op
        if type(op) is LeafOp:
            if op is const_op:
                a = n.params["value"].array
                consts.append(a)
                env[n] = _scalar(a)
            elif n not in env:  # an unbound leaf: evaluate_flat names it
                return evaluate_flat(graph, leaves)
            continue
        items = n._items
        if items:
            env[n] = op.impl(*map(get, n.inputs), **dict(items))
            continue
        ins = n.inputs
        if f64:
            pair = opers.get(op, _NOT_SEEN)
            if pair is _NOT_SEEN:
                pair = opers[op] = _SCALAR_PAIRS.get(op.impl)
            if pair is not None:
                a, b = env[ins[0]], env[ins[1]]
                r = pair[0](a, b)
                if r != r:  # noqa: PLR0124 - a NaN: which one, the ufunc says
                    with np.errstate(all="ignore"):
                        r = pair[1](a, b)
                env[n] = r
                continue
        env[n] = op.impl(env[ins[0]]) if len(ins) == 1 else op.impl(*map(get, ins))
    roots = frozenset(id(_root(a)) for a in consts)
    return _owned_outputs([env[o] for o in graph.outputs], leaves, roots)


def _root(a: np.ndarray):
    return a if a.base is None else a.base


def _owned_outputs(values: list, leaves, const_roots: frozenset) -> list:
    """The outputs as arrays the caller owns: never an argument, a constant or another
    output (nor a view of one), always writable — copied only when they are not already."""
    taken = {id(_root(x)) for x in leaves if type(x) is np.ndarray}
    taken.update(const_roots)
    out = []
    for v in values:
        if type(v) is np.ndarray:
            r = id(_root(v))
            if r in taken or not v.flags.writeable:
                v = v.copy()
                r = id(v)
            taken.add(r)
        else:
            v = _as_array(v)
        out.append(v)
    return out


def _as_array(v):
    if isinstance(v, tuple):
        return tuple(_as_array(x) for x in v)
    return v if type(v) is np.ndarray else np.asarray(v)


def feed_nodes(nodes, feed_dict) -> tuple[list[Node], list]:
    """Match feed-dict keys (tracers, or var names) to the free leaves the nodes use."""
    by_node, by_name = {}, {}
    for k, v in (feed_dict or {}).items():
        if isinstance(k, Tracer):
            by_node[k.node] = v
        elif isinstance(k, Node):
            by_node[k] = v
        elif isinstance(k, str):
            by_name[k] = v
        else:
            raise WireError("feed_dict keys must be wire.var tracers or names, got "
                            f"{type(k).__name__}" + at(user_location()))
    leaves, values = [], []
    order = toposort(nodes)
    if any(dead_arg(n) for n in order):
        check_leaks(order)
    for n in order:
        if not n.is_leaf or n.op is const_op:
            continue
        if n in by_node:
            v = by_node[n]
        elif n.op is var_op and n.params["name"] in by_name:
            v = by_name[n.params["name"]]
        else:
            raise UnboundInputError(
                f"no value for {_describe_leaf(n)} in the feed dict{at(user_location())}; "
                f"feed it as {{var: array}}"
            )
        v = v if isinstance(v, np.ndarray) else np.asarray(v)
        v = _check_input(n, v, _describe_leaf(n))
        leaves.append(n)
        values.append(v)
    return leaves, values
