"""The deep scalar chain of the ``scale`` and ``eager`` workloads, and its one-shot cells.

``chain(n)(x)`` applies ``x = tanh(sin(x) * a) * b`` n/4 times (four primitives per step:
sin, mul, tanh, mul) to a float64 scalar, with a = 1.01, b = 0.99. The map contracts slowly
towards 0, where its slope is a·b ≈ 1, so after 100 000 ops both the value and the derivative
are still ordinary numbers (about 5e-3 and 2e-3 from x = 0.3): results can be compared between
systems and nothing runs on subnormals. Every "per node" figure divides by n, the number of
primitives in the forward chain.

Each ``*_cell`` function runs inside a fresh child process (:mod:`benchmarks.cells`) and
returns a JSON-able dict of seconds, peak memory increase, node counts and values.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from . import cells

A, B = 1.01, 0.99
X0 = 0.3
VMAP_LANES = 16


def chain(n_ops: int, ns, a: float = A):
    """The chain written against namespace ``ns`` (wire.numpy, autograd.numpy, jax.numpy)."""

    def f(x):
        for _ in range(n_ops // 4):
            x = ns.tanh(ns.sin(x) * a) * B
        return x

    return f


def numpy_reference(n_ops: int, x: float = X0, a: float = A) -> tuple[float, float]:
    """(f(x), f'(x)) by hand: forward in floats, derivative as the product of the slopes."""
    import math

    d = 1.0
    for _ in range(n_ops // 4):
        s = math.sin(x) * a
        t = math.tanh(s)
        d *= math.cos(x) * a * (1.0 - t * t) * B
        x = t * B
    return x, d


def _wire_chain(size: int, a: float = A):
    import wire.numpy as wnp

    return chain(size, wnp, a)


def _value(v) -> float:
    import numpy as np

    return float(np.asarray(v))


# --------------------------------------------------------------------------- wire cells


def _trace(size):
    import wire

    f = _wire_chain(size)
    g, m = cells.measure(lambda: wire.trace(f, X0))
    return dict(m, nodes=len(g))


def _grad_graph(size):
    import wire

    g = wire.trace(_wire_chain(size), X0)
    d, m = cells.measure(lambda: wire.grad(g, simplify=False))
    return dict(m, nodes=len(d))


def _simplify(size):
    import wire
    from wire.transforms.rules import DERIVATIVES  # what grad simplifies with

    d = wire.grad(wire.trace(_wire_chain(size), X0), simplify=False)
    s, m = cells.measure(lambda: wire.simplify(d, DERIVATIVES))
    return dict(m, nodes_before=len(d), nodes=len(s))


def _eager_grad(size):
    import wire

    v, m = cells.measure(lambda: wire.grad(_wire_chain(size))(X0))
    return dict(m, value=_value(v))


def _jit_grad(size):
    import wire

    v, m = cells.measure(lambda: wire.jit(wire.grad(_wire_chain(size)))(X0))
    return dict(m, value=_value(v))


def _jvp(size):
    import wire

    (_, t), m = cells.measure(lambda: wire.jvp(_wire_chain(size), (X0,), (1.0,)))
    return dict(m, value=_value(t))


def _vmap(size):
    import numpy as np

    import wire

    xs = np.full(VMAP_LANES, X0)
    v, m = cells.measure(lambda: wire.vmap(_wire_chain(size))(xs))
    return dict(m, value=_value(np.asarray(v)[0]))


def _save_load(size):
    import wire

    g = wire.trace(_wire_chain(size), X0)
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        _, save = cells.measure(lambda: wire.save(g, path))
        loaded, load = cells.measure(lambda: wire.load(path))
        nbytes = os.path.getsize(path)
    finally:
        os.unlink(path)
    if loaded != g:
        raise AssertionError("wire.load(wire.save(g)) != g")
    return {"seconds": save["seconds"] + load["seconds"], "save": save, "load": load,
            "bytes": nbytes}


def _grad_grad(size):
    import wire

    v, m = cells.measure(lambda: wire.grad(wire.grad(_wire_chain(size)))(X0))
    return dict(m, value=_value(v))


WIRE_OPS = {
    "trace": _trace, "grad_graph": _grad_graph, "simplify": _simplify,
    "eager_grad": _eager_grad, "jit_grad": _jit_grad, "jvp": _jvp, "vmap": _vmap,
    "save_load": _save_load, "grad_grad": _grad_grad,
}


def wire_cell(op: str, size: int) -> dict:
    """One wire operation on the chain of ``size`` ops (run in a child process)."""
    return WIRE_OPS[op](size)


def wire_cells(ops: list[str], size: int) -> dict:
    """Several operations in one child, in order (the quick mode: fewer processes, and later
    operations may reuse what earlier ones memoized)."""
    return {op: WIRE_OPS[op](size) for op in ops}


# --------------------------------------------------------------------------- eager systems


def _eager_systems(size: int, systems: list[str]) -> dict:
    """{name: make(a) -> zero-argument call of grad(chain with constant a) at X0}."""
    out = {}
    if "wire" in systems:
        import wire

        out["wire"] = lambda a: (lambda: wire.grad(_wire_chain(size, a))(X0))
    if "autograd" in systems:
        import autograd
        import autograd.numpy as anp

        out["autograd"] = lambda a: (lambda: autograd.grad(chain(size, anp, a))(X0))
    if "jax" in systems:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        out["jax"] = lambda a: (lambda: jax.grad(chain(size, jnp, a))(X0))
    return out


def eager_cell(size: int, systems: list[str], rounds: int) -> dict:
    """Eager ``grad(chain)(x)`` of each system, interleaved over ``rounds`` in one process.

    Each round uses a new constant ``a`` (so wire's memo cannot hit: its *first* call derives
    and simplifies a new graph) and then calls wire's function again (*repeat*: trace, memo
    hit, evaluate). Returns per-system median seconds, the median of per-round ratios to the
    first system, and the largest relative error against the hand-computed derivative.
    """
    makes = _eager_systems(size, systems)
    times: dict[str, list[float]] = {}
    err = {}
    for r in range(rounds):
        a = A + 1e-9 * (r + 1)
        ref = numpy_reference(size, X0, a)[1]
        order = list(makes)
        order = order[r % len(order):] + order[:r % len(order)]
        for name in order:
            fn = makes[name](a)
            t0 = time.perf_counter()
            v = _value(fn())
            times.setdefault(name, []).append(time.perf_counter() - t0)
            err[name] = max(err.get(name, 0.0), abs(v - ref) / abs(ref))
            if name == "wire":
                t0 = time.perf_counter()
                fn()
                times.setdefault("wire repeat", []).append(time.perf_counter() - t0)
    base = systems[0] if systems[0] in times else next(iter(times))
    return {
        "seconds": sum(statistics.median(ts) for ts in times.values()),
        "median": {k: statistics.median(ts) for k, ts in times.items()},
        "ratio": {k: statistics.median(t / t0 for t, t0 in zip(ts, times[base]))
                  for k, ts in times.items()},
        "base": base, "rounds": rounds, "rel_err": err,
    }
