"""Node counts and trace time of higher derivatives: f(x) = sin(x) * exp(tanh(x)), n = 1..8.

For each n this prints the node count of the simplified ``trace(grad^n(f))`` (``len(graph)``:
operations, not inputs or constants), the reference counts measured with JAX (jaxpr
equations, ops left after XLA's optimiser) and SymPy (operations after ``cse``), the ratios,
and the time to trace and simplify from scratch.

Two wire columns:

* ``wire`` — ``simplify(trace(grad(grad(...f))))`` with ``wire.grad`` as the user calls it
  (small when ``grad`` simplifies each level itself);
* ``per-level`` — the same derivative with ``simplify`` applied explicitly after every
  ``grad`` (``call(simplify(grad_graph(trace(h))))``), which is what keeps graphs small.

Then the *steady call* of the 8th derivative (3rd with ``--quick``): ``wire.jit(grad^8(f))``
against JAX's ``jit`` of the same and against SymPy's closed form of the derivative, CSE'd and
lambdified to NumPy (``numpy``, the reference, on a 0-d float64) and to Python's ``math``
(``math``: plain float arithmetic, what scalar code can reach), timed in interleaved rounds.

Last, *Taylor mode against nested grad* at order 8 (:func:`taylor_vs_nested`), for ``f`` and
for the first function of the panel (``benchmarks.higher_order_panel``): nodes, time to trace
and the steady ``wire.jit`` call of ``wire.taylor(f, 8)`` (all nine values ``f … f⁽⁸⁾``),
of ``grad`` nested 8 times (one Taylor pass of order 8 since issue 17) and of the nested
reverse mode ``grad`` used before (each level differentiating the graph of the one below,
which is what ``grad(lambda x: h(x))`` still does).

Run ``python benchmarks/higher_order.py [--quick]``; ``run(quick)`` returns the rows.
"""

from __future__ import annotations

import functools
import gc
import importlib
import json
import os
import sys
import time

import wire
import wire.numpy as wnp
from wire.api import call, grad_graph, trace_args

wire_grad = importlib.import_module("wire.api.grad")  # the module (wire.api.grad is grad)

ANCHORS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "anchors", "higher_order.json")
_FALLBACK = {
    "jax_eqns": [14, 41, 107, 278, 737, 2000, 5543, 15638],
    "xla_ops_after_optimisation": [11, 25, 61, 135, 318, 786, 1970, 5026],
    "sympy_ops_after_cse": [10, 19, 35, 61, 113, 205, 511, 933],
}


def f(x):
    return wnp.sin(x) * wnp.exp(wnp.tanh(x))


def _anchors() -> dict:
    try:
        with open(ANCHORS) as fh:
            return json.load(fh)
    except OSError:
        return _FALLBACK


def _simplified_grad(h):
    def g(x):
        return call(wire.simplify(grad_graph(trace_args(h, (x,)))), (x,))

    return g


def _measure(n: int, per_level: bool):
    gc.collect()
    t0 = time.perf_counter()
    g = f
    for _ in range(n):
        g = _simplified_grad(g) if per_level else wire.grad(g)
    graph = wire.simplify(wire.trace(g, 1.0))
    return len(graph), time.perf_counter() - t0, graph


def run(quick: bool = False) -> list[dict]:
    """One row per n: wire's node counts and times next to the JAX/XLA/SymPy references."""
    ref = _anchors()
    top = 6 if quick else 8
    rows = []
    for n in range(1, top + 1):
        nodes, secs, graph = _measure(n, per_level=False)
        nodes_pl, secs_pl, graph_pl = _measure(n, per_level=True)
        x = 0.7
        a, b = float(wire.evaluate(graph, x)), float(wire.evaluate(graph_pl, x))
        assert abs(a - b) <= 1e-9 * max(1.0, abs(a)), (n, a, b)
        xla, sym = ref["xla_ops_after_optimisation"][n - 1], ref["sympy_ops_after_cse"][n - 1]
        rows.append({
            "benchmark": "higher_order", "n": n, "wire_nodes": nodes, "wire_s": secs,
            "per_level_nodes": nodes_pl, "per_level_s": secs_pl,
            "jax_eqns": ref["jax_eqns"][n - 1], "xla_ops": xla, "sympy_cse_ops": sym,
            "vs_xla": min(nodes, nodes_pl) / xla, "vs_sympy": min(nodes, nodes_pl) / sym,
        })
    return rows


def _sympy_closed_form(n: int, module: str):
    """SymPy's n-th derivative of f, CSE'd and lambdified to ``module``; None without SymPy."""
    try:
        import sympy as sp
    except ImportError:
        return None
    x = sp.Symbol("x")
    d = sp.diff(sp.sin(x) * sp.exp(sp.tanh(x)), x, n)
    return sp.lambdify(x, d, modules=module, cse=True)


def steady_call(n: int, quick: bool) -> str:
    """A table: one steady call of the n-th derivative per system (see the module docstring)."""
    import numpy as np

    from . import harness

    g = f
    for _ in range(n):
        g = wire.grad(g)
    x = 1.0
    systems = {}
    for module, arg in (("numpy", np.float64(x)), ("math", x)):
        fn = _sympy_closed_form(n, module)
        if fn is not None:
            systems[module] = functools.partial(fn, arg)
    jitted = wire.jit(g)
    systems["wirejit"] = lambda: jitted(x)
    jax = harness.optional("jax")
    if jax is not None:
        import jax.numpy as jnp

        def h(x):
            return jnp.sin(x) * jnp.exp(jnp.tanh(x))

        for _ in range(n):
            h = jax.grad(h)
        jh = jax.jit(h)
        systems["jaxjit"] = lambda: np.asarray(jh(x))
    ref_name = "numpy" if "numpy" in systems else "wirejit"
    ref = float(systems[ref_name]())
    errs = {k: abs(float(fn()) - ref) / abs(ref) for k, fn in systems.items()}
    res = harness.compare(systems, reference=ref_name, rounds=5 if quick else 25,
                          target=0.01 if quick else 0.05)
    nodes = len(wire.simplify(wire.trace(g, x)))
    title = (f"steady call of the derivative of order {n} of sin(x)·exp(tanh(x)) at x = {x} "
             f"(wire's graph: {nodes} nodes after simplify)")
    return (harness.timing_table(title, res, errs)
            .replace("ratio vs numpy", f"ratio vs {ref_name}")
            + harness.paired(res, "wirejit", "jaxjit")
            + "(issue 16 goal: wirejit ≤ 20 µs per call)\n")


def _rational_log(x):
    return (x**3 + 2 * x) / (1 + x**2) + wnp.log1p(x**2) * wnp.cos(3 * x)


def _nested(h, n: int, reverse: bool):
    for _ in range(n):
        h = wire.grad((lambda k: lambda x: k(x))(h)) if reverse else wire.grad(h)
    return h


def taylor_vs_nested(n: int, quick: bool) -> str:
    """Tables: nodes, trace time and steady jit call of taylor(f, n), grad^n (Taylor tower)
    and nested reverse-mode grad^n, for f and the panel's first function."""
    from . import harness

    x = 0.3
    text = ""
    for name, fn in (("sin(x)·exp(tanh(x))", f), ("(x³+2x)/(1+x²) + log1p(x²)·cos(3x)",
                                                   _rational_log)):
        variants = {"taylor(f, n)": wire.taylor(fn, n),
                    "grad^n (Taylor tower)": _nested(fn, n, reverse=False),
                    "grad^n nested reverse": _nested(fn, n, reverse=True)}
        rows, systems = [], {}
        want = None
        for label, g in variants.items():
            for memo in (wire_grad._grad_graph, wire_grad._tower_graph, wire_grad._simplified):
                memo.cache_clear()  # time the derivation, not a memo hit
            t0 = time.perf_counter()
            graph = wire.trace(g, x)
            secs = time.perf_counter() - t0
            jitted = wire.jit(g)
            value = jitted(x)
            last = float(value[-1] if isinstance(value, tuple) else value)
            want = last if want is None else want
            rows.append([label, f"{len(graph):,}", harness.fmt_time(secs),
                         f"{abs(last - want) / abs(want):.1e}"])
            systems[label] = functools.partial(jitted, x)
        res = harness.compare(systems, reference="grad^n nested reverse",
                              rounds=5 if quick else 15, target=0.01 if quick else 0.05)
        for row in rows:
            r = res[row[0]]
            row += [harness.fmt_time(r["median"]), f"{r['ratio']:.2f}×"]
        text += harness.table(
            f"order {n} of f(x) = {name} at x = {x}: Taylor mode against nested grad",
            ["system", "nodes", "trace", "rel err of f⁽ⁿ⁾", "jit call (median)",
             "÷ nested reverse (paired)"], rows) + "\n"
    return text


def main(argv=None) -> None:
    quick = "--quick" in (argv or sys.argv[1:])
    rows = run(quick=quick)
    print("f(x) = sin(x)*exp(tanh(x)); nodes of simplified trace(grad^n(f)); time = trace+simplify")
    head = (f"{'n':>2} {'wire':>6} {'time s':>7} {'per-lvl':>7} {'time s':>7} {'jaxpr':>6} "
            f"{'XLA':>5} {'SymPy':>5} {'/XLA':>5} {'/SymPy':>6}")
    print(head)
    for r in rows:
        print(f"{r['n']:>2} {r['wire_nodes']:>6} {r['wire_s']:>7.3f} {r['per_level_nodes']:>7} "
              f"{r['per_level_s']:>7.3f} {r['jax_eqns']:>6} {r['xla_ops']:>5} "
              f"{r['sympy_cse_ops']:>5} {r['vs_xla']:>5.2f} {r['vs_sympy']:>6.2f}")
    print()
    print(steady_call(3 if quick else 8, quick))
    print(taylor_vs_nested(4 if quick else 8, quick))


if __name__ == "__main__":
    main()
