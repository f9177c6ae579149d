"""Evaluating a graph on a non-NumPy backend: the plan walk of :mod:`wire.core.evaluate`, with
each step's function taken from the backend.

A :class:`BackendPlan` is the graph's NumPy :class:`~wire.core.evaluate.Plan` (same slots, same
release points) with every step's function replaced by the backend's implementation of that
primitive and the graph's constants converted once; it is memoized per (graph, backend). On
Dask the walk builds a task graph (nothing is computed until ``compute``); on CuPy it runs on
the device. A primitive the backend cannot run raises :class:`wire.errors.BackendError`
naming the primitive, the backend and the function it lacks.
"""

from __future__ import annotations

import functools

import numpy as np

from ...errors import BackendError, ShapeError, WireError, at, user_location
from ...core.evaluate import plan_for
from ...core import Tracer
from ...core.lowering import MissingFunction

# What a backend raises for an operation it cannot do: our own MissingFunction, and the
# exceptions array libraries themselves use for unsupported operands (Dask and CuPy raise
# NotImplementedError, namespaces without a function raise AttributeError).
_BACKEND_FAILURES = (MissingFunction, TypeError, NotImplementedError, AttributeError, IndexError)


class BackendPlan:
    """A graph resolved for one backend: steps ``(fn, input slots, out slot, frees, node)``."""

    __slots__ = ("consts", "plan", "steps")

    def __init__(self, graph, backend):
        plan = plan_for(graph)
        self.plan = plan
        self.consts = [(s, backend.const(v)) for s, v in plan.consts]
        ops = [n for n in plan.nodes if not n.is_leaf]
        self.steps = [
            (_step(backend, n), ins, out, frees, n)
            for (_, ins, out, frees), n in zip(plan.steps, ops)
        ]


@functools.lru_cache(maxsize=256)
def backend_plan(graph, backend) -> BackendPlan:
    """The memoized plan of ``graph`` on ``backend`` (both immutable)."""
    return BackendPlan(graph, backend)


def _step(bk, node):
    """The callable computing ``node`` on backend ``bk``, with its dtype made the aval's."""
    prim, params = node.op, dict(node.params)
    found = bk.impl(prim)
    if found is None:
        return _lacks(bk, node, None, None)
    fn, function = found
    aval = node.aval
    if getattr(fn, "wants_node", False):
        params["_node"] = node

    def run(*args):
        try:
            out = fn(bk, *args, **params)
        except BackendError:
            raise
        except _BACKEND_FAILURES as e:
            _lacks(bk, node, function, e)()
        return _fit(bk, out, aval)

    run.function = function
    return run


class _Unrunnable(BackendError):
    """A step's failure before its location is known: the plan is memoized per graph, and
    equal graphs traced at different lines share it, so :func:`run_flat` adds the line the
    graph it runs reports for ``node`` (``node.loc`` is only where the node was first made)."""

    def __init__(self, text, node):
        super().__init__(f"{text}{at(node.loc)}")
        self.text, self.node = text, node


def _lacks(bk, node, function, err):
    def fail(*args):
        if function is None:
            why = f"{bk.name} has no implementation of it (wire knows none for this namespace)"
        else:
            why = f"it needs {bk.name}.{function}, which raised {type(err).__name__}: {err}"
        raise _Unrunnable(
            f"primitive {node.op.name!r} cannot run on backend {bk.name!r}: {why}", node
        ) from err

    return fail


def _fit(bk, out, aval):
    """``out`` cast to the dtype the graph says (backends differ in a few promotions)."""
    if isinstance(out, tuple):
        avals = aval if isinstance(aval, tuple) else (None,) * len(out)
        return tuple(_fit(bk, o, a) for o, a in zip(out, avals))
    if aval is None or not hasattr(out, "dtype"):
        return out
    if not bk.is_array(out):  # e.g. a NumPy scalar from a reduction: back to an array
        out = bk.asarray(out)
    if bk.np_dtype(out) != aval.dtype:
        out = bk.xp.astype(out, bk.dtype(aval.dtype))
    return out


def run_flat(graph, leaves, backend, chunks=None) -> list:
    """Evaluate ``graph`` on flat input values with ``backend``; returns backend arrays."""
    bp = backend_plan(graph, backend)
    plan = bp.plan
    if len(leaves) != len(plan.inputs):
        raise WireError(
            f"graph takes {len(plan.inputs)} inputs, got {len(leaves)}{at(user_location())}"
        )
    env = [None] * plan.n_slots
    for s, node, v in zip(plan.inputs, graph.inputs, leaves):
        if isinstance(v, Tracer):
            raise WireError("evaluate needs concrete values; to inline a graph into a trace, call it")
        v = backend.asarray(v, chunks)
        if node.aval.shape is not None and tuple(v.shape) != node.aval.shape:
            raise ShapeError(
                f"input {node.params.get('index', '')} expects shape {node.aval.shape} "
                f"({node.aval!r}), got shape {tuple(v.shape)} on backend {backend.name!r}"
                f"{at(user_location())}"
            )
        env[s] = v
    for s, v in bp.consts:
        env[s] = v
    try:
        for fn, ins, out, frees, _ in bp.steps:
            env[out] = fn(*[env[i] for i in ins])
            for f in frees:
                env[f] = None
    except _Unrunnable as e:  # the line this graph reports (see _Unrunnable)
        raise BackendError(f"{e.text}{at(graph.loc(e.node))}") from e.__cause__
    return [_output(backend, env[s]) for s in plan.outputs]


def _output(bk, v):
    if isinstance(v, tuple):
        return tuple(_output(bk, x) for x in v)
    return v if bk.is_array(v) else bk.asarray(np.asarray(v))
