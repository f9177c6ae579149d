"""Pipeline scale: cost per node of every stage on a deep scalar chain, 1k to 100k ops.

The chain is :func:`benchmarks.chain.chain` (``x = tanh(sin(x)*1.01)*0.99`` repeated; four
primitives per step, float64 scalar). For each size n and each stage, one child process
(:mod:`benchmarks.cells`) builds what the stage needs, then times the stage alone:

* *trace* — ``wire.trace(chain, x)``;
* *grad graph* — ``wire.grad(graph, simplify=False)`` of that trace (derivation only);
* *simplify* — ``wire.simplify`` of that derivative graph with ``rules.DERIVATIVES`` (the
  table ``grad`` simplifies with; the default, ``ALGEBRA``, collects no terms);
* *eager grad* — ``wire.grad(chain)(x)``, all of it (trace, derive, simplify, evaluate);
* *jit(grad) first call* — ``wire.jit(wire.grad(chain))(x)`` (trace, simplify, compile, run);
* *jvp* — ``wire.jvp(chain, (x,), (1.0,))``; *vmap* — ``wire.vmap(chain)`` over 16 lanes;
* *save* / *load* — ``wire.save`` of the forward trace to a file and ``wire.load`` of it;
* *grad(grad)* — ``wire.grad(wire.grad(chain))(x)``.

Figures are µs per forward op (seconds / n); the *growth* column is the largest size's µs/node
divided by the smallest size's, so 1.0 means linear. *grad(grad) ÷ grad* compares the eager
second derivative to the eager first derivative, in time and in peak memory increase (VmHWM
during the call minus VmRSS before it). A row stops growing after a cell slower than the cell
cap (``--cell-cap``, 60 s by default; a child is killed at 5× the cap or when it holds half the
available memory), and ``--max-size`` bounds the sizes.
"""

from __future__ import annotations

import math

from . import cells, harness
from .chain import A, B, VMAP_LANES, X0, numpy_reference

SIZES = (1_000, 3_000, 10_000, 30_000, 100_000)
QUICK_SIZES = (100, 400)
STAGES = {  # row label: op in chain.WIRE_OPS
    "trace": "trace",
    "grad graph (derive only)": "grad_graph",
    "simplify (of the grad graph)": "simplify",
    "eager grad": "eager_grad",
    "jit(grad) first call": "jit_grad",
    "jvp": "jvp",
    f"vmap ({VMAP_LANES} lanes)": "vmap",
    "save + load": "save_load",
    "grad(grad)": "grad_grad",
}
CHECKED = {"eager_grad": 1, "jit_grad": 1, "jvp": 1, "vmap": 0,  # op -> order of derivative
           "grad_grad": 2}


def measure_all(sizes, cap: float, quick: bool) -> dict[str, dict[int, dict]]:
    """{op: {size: cell result}} for every stage."""
    ops = list(STAGES.values())
    if quick:  # one child per size, all stages in it: a smoke test, not a measurement
        per_size = {n: cells.run_cell("benchmarks.chain", "wire_cells", cap * 5, ops=ops, size=n)
                    for n in sizes}
        return {op: {n: per_size[n].get(op, per_size[n]) for n in sizes} for op in ops}
    return {op: cells.sweep(list(sizes), lambda n, hard, op=op: cells.run_cell(
        "benchmarks.chain", "wire_cell", hard, op=op, size=n), soft_cap=cap) for op in ops}


def second_derivative(n_ops: int, x: float = X0) -> float:
    """f''(x) of the chain by hand: a forward recurrence on (value, f', f'') through each
    step's sin, tanh and two products (the oracle of the grad(grad) row)."""
    d, dd = 1.0, 0.0
    for _ in range(n_ops // 4):
        s, c = math.sin(x), math.cos(x)
        du, ddu = c * d * A, (c * dd - s * d * d) * A
        t = math.tanh(s * A)
        w = 1.0 - t * t
        d, dd = w * du * B, (w * ddu - 2.0 * t * w * du * du) * B
        x = t * B
    return dd


def _check(results) -> list[str]:
    """Values that disagree with the hand-computed chain (a wrong answer is a finding)."""
    bad = []
    refs = {k: (lambda n, k=k: numpy_reference(n, X0)[k]) for k in (0, 1)}
    refs[2] = second_derivative
    for op, k in CHECKED.items():
        for n, r in results[op].items():
            if "value" in r:
                ref = refs[k](n)
                if abs(r["value"] - ref) > 1e-9 * abs(ref):
                    bad.append(f"{op} at {n:,}: {r['value']!r} != {ref!r}")
    return bad


def _us(n):
    return lambda r: f"{r['seconds'] / n * 1e6:.1f}"


def _growth(row: dict[int, dict], key=lambda r: r["seconds"]) -> str:
    done = [(n, key(r)) for n, r in sorted(row.items()) if "seconds" in r]
    if len(done) < 2:
        return "—"
    (n0, t0), (n1, t1) = done[0], done[-1]
    return f"{(t1 / n1) / (t0 / n0):.2f}× ({n0:,}→{n1:,})"


def tables(results: dict, sizes) -> str:
    head = ["stage"] + [f"{n:,}" for n in sizes] + ["growth of µs/node"]
    rows, secs = [], []
    for label, op in STAGES.items():
        row = results[op]
        if op == "save_load":
            for part in ("save", "load"):
                sub = {n: (dict(r[part]) if part in r else r) for n, r in row.items()}
                rows.append([part] + [cells.cell_text(sub.get(n), _us(n)) for n in sizes]
                            + [_growth(sub)])
                secs.append([part] + [cells.cell_text(sub.get(n), lambda r: harness.fmt_time(
                    r["seconds"])) for n in sizes])
            continue
        rows.append([label] + [cells.cell_text(row.get(n), _us(n)) for n in sizes] + [_growth(row)])
        secs.append([label] + [cells.cell_text(row.get(n), lambda r: harness.fmt_time(r["seconds"]))
                               for n in sizes])
    text = harness.table("µs per forward op, by chain length (ops)", head, rows)
    text += "\n" + harness.table("seconds per stage", head[:-1], secs)

    def nodes(op, key="nodes"):
        return [cells.cell_text(results[op].get(n), lambda r: f"{r[key]:,}") for n in sizes]

    text += "\n" + harness.table("graph sizes (operation nodes)", head[:-1], [
        ["forward trace"] + nodes("trace"),
        ["grad graph"] + nodes("grad_graph"),
        ["grad graph, simplified"] + nodes("simplify"),
    ])
    g, gg = results["eager_grad"], results["grad_grad"]
    mem = [["grad peak increase"] + [cells.cell_text(g.get(n), _mib) for n in sizes],
           ["grad(grad) peak increase"] + [cells.cell_text(gg.get(n), _mib) for n in sizes],
           ["grad(grad) ÷ grad, time"] + [_ratio(g.get(n), gg.get(n), "seconds") for n in sizes],
           ["grad(grad) ÷ grad, memory"] + [_ratio(g.get(n), gg.get(n), "peak") for n in sizes]]
    text += "\n" + harness.table("grad(grad) against grad (eager calls)", head[:-1], mem)
    return text


def _mib(r):
    return "—" if r.get("peak") is None else harness.fmt_bytes(r["peak"])


def _ratio(a, b, key) -> str:
    if not a or not b or a.get(key) is None or b.get(key) is None:
        return "—"
    return f"{b[key] / a[key]:.1f}×" if a[key] else "—"


def report(quick: bool = False, max_size: int | None = None,
           cell_cap: float = cells.DEFAULT_SOFT_CAP) -> str:
    sizes = [n for n in (QUICK_SIZES if quick else SIZES) if max_size is None or n <= max_size]
    results = measure_all(sizes, cell_cap, quick)
    text = tables(results, sizes)
    bad = _check(results)
    text += ("\nValues checked against the hand-computed chain (rel. 1e-9): "
             + ("all agree.\n" if not bad else "**disagree**: " + "; ".join(bad) + "\n"))
    text += (f"\nOne fresh child process per cell{' (quick: per size)' if quick else ''}; "
             f"cell cap {cell_cap:.0f} s (a child is stopped after "
             f"{cell_cap * cells.HARD_CAP_FACTOR:.0f} s).\n")
    return text


TITLE = "Pipeline scale: per-node cost of each stage on a deep scalar chain"
