"""``wire.debug_nans``: find the first node that makes a NaN or an Inf.

With the flag on, evaluation checks the value of every operation node as soon as it is
computed and raises :class:`wire.FloatingPointError` at the first one holding a NaN or an
Inf, naming its primitive, its operands' avals, and the user's file:line where it was
traced. ``wire.jit`` functions fall back to the (checking) evaluator while the flag is on.

The flag is one :class:`contextvars.ContextVar` and nothing else, so it is per thread (and
per asyncio task): turning it on in one thread never slows down another. A new thread starts
with the flag off.

Two ways to turn it on::

    wire.debug_nans(True)          # from now on, in this thread/context
    with wire.debug_nans():        # only inside the block (restored on exit)
        ...

Eager calls of ``wire.numpy`` functions on concrete arrays are checked too: the first one
that makes a NaN or an Inf from finite operands raises, naming the primitive and the user's
line. Integer and boolean values are never checked. Inputs holding NaN are not an error by
themselves; the error is raised at the first operation whose result is non-finite, and says
if that operation's operands were already non-finite.
"""

from __future__ import annotations

import contextvars

import numpy as np

from ..errors import FloatingPointError
from ..ir import aval_of

_NANS: contextvars.ContextVar[bool] = contextvars.ContextVar("wire_debug_nans", default=False)


def nans_enabled() -> bool:
    """Whether NaN/Inf checking is on in the current context.

    >>> nans_enabled()
    False
    """
    return _NANS.get()


class debug_nans:
    """Turn NaN/Inf checking on (or off with ``False``); also a context manager.

    Calling it sets the flag right away; used in a ``with`` statement, the previous value is
    restored when the block exits.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> g = wire.trace(lambda x: wnp.log(x) * 2.0, np.ones(2))
    >>> with wire.debug_nans():
    ...     try:
    ...         wire.evaluate(g, np.array([1.0, -1.0]))
    ...     except wire.FloatingPointError as e:
    ...         print(str(e).split(":")[1])
     log produced NaN
    >>> wire.evaluate(g, np.array([1.0, 4.0]))      # the flag is off again here
    array([0.        , 2.77258872])
    """

    __slots__ = ("_token",)

    def __init__(self, flag: bool = True):
        self._token = _NANS.set(bool(flag))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _NANS.reset(self._token)
        return False

    def __repr__(self):
        return f"<wire.debug_nans: checking {'on' if _NANS.get() else 'off'}>"


# --------------------------------------------------------------------------- checking


def nonfinite(value) -> str | None:
    """``"NaN"``, ``"Inf"`` or ``"NaN and Inf"`` for a float/complex value holding them, else None."""
    if isinstance(value, tuple):
        found = [nonfinite(v) for v in value]
        bad = [f"{f} in output {i}" for i, f in enumerate(found) if f]
        return ", ".join(bad) or None
    dt = getattr(value, "dtype", None)
    if dt is None:
        value = np.asarray(value)
        dt = value.dtype
    if dt.kind not in "fc":
        return None
    if np.isfinite(value).all():
        return None
    nan = bool(np.isnan(value).any())
    inf = bool(np.isinf(value).any())
    return " and ".join(w for w, f in (("NaN", nan), ("Inf", inf)) if f)


def _describe_value(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_describe_value(v) for v in value) + ")"
    return repr(aval_of(np.asarray(value)))


def raise_nonfinite(node, what: str, operands, value, loc=None) -> None:
    """Raise the ``FloatingPointError`` for ``node`` whose value has ``what`` (NaN/Inf);
    ``loc``: where the graph being run traced it (default: where the node was first made)."""
    prim = node.op.name
    params = ", ".join(f"{k}={v!r}" for k, v in sorted(node.params.items())
                       if not callable(v) and k not in ("branches", "body", "cond", "graph"))
    ins = ", ".join(f"{i.aval!r}" for i in node.inputs) or "none"
    bad_in = [k for k, v in enumerate(operands) if nonfinite(v)]
    note = (
        f"; operand(s) {', '.join(map(str, bad_in))} already held NaN/Inf (check the values "
        f"passed in)" if bad_in else ""
    )
    where = loc or node.loc or "an unknown location (node built without a source location)"
    raise FloatingPointError(
        f"debug_nans: {prim}{'[' + params + ']' if params else ''} produced {what}: output "
        f"{_describe_value(value)} from operands {ins}{note}; traced at {where}"
    )


def raise_eager_nonfinite(name: str, what: str, operands, value, loc: str) -> None:
    """Raise the ``FloatingPointError`` for primitive ``name`` applied eagerly (to concrete
    arrays, outside any trace) whose value has ``what`` (NaN/Inf), at the user's ``loc``."""
    ins = ", ".join(_describe_value(v) for v in operands if not callable(v)) or "none"
    raise FloatingPointError(
        f"debug_nans: {name} produced {what}: output {_describe_value(value)} from operands "
        f"{ins}; called at {loc}"
    )


def check_steps(plan, env, graph=None) -> None:
    """The evaluator's checking loop: run ``plan``'s steps on ``env``, checking each value;
    errors name the locations ``graph`` (the graph being run) traced its nodes at."""
    nodes = plan.nodes
    for fn, ins, out, frees in plan.steps:
        args = [env[i] for i in ins]
        with np.errstate(all="ignore"):  # we report it ourselves, with the node's location
            value = fn(*args)
        what = nonfinite(value)
        if what:
            node = nodes[out]
            raise_nonfinite(node, what, args, value, graph.loc(node) if graph else None)
        env[out] = value
        for f in frees:
            env[f] = None

