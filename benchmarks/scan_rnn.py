"""Gradient of a 1000-step RNN (hidden 128): ``wire.scan`` vs the same RNN unrolled by Python.

    h_t = tanh(W h_{t-1} + U x_t + b),   loss = sum(h_T ** 2) + mean_t(v . h_t)

and the gradient with respect to ``(W, U, b)``. Both wire versions are traced, simplified and
compiled by ``wire.jit`` (plain ``wire.evaluate`` when jit is not available). The scan
version's graph is a handful of nodes whatever the length (the loop runs inside the ``scan``
primitive, its body compiled once); the unrolled one has a few nodes per step and per
derivative step. Reported:

* node counts (``len(graph)``) of the forward graph and of the (simplified) gradient graph;
* the first call of ``jit(grad(loss))`` — trace + simplify + compile + run;
* steady-state time per call, in interleaved rounds (``benchmarks/harness.py``) next to a
  hand-written NumPy BPTT; ratios are medians of per-round ratios (paired, so machine load
  cancels out): unrolled / scan and each system / NumPy.

Run ``python -m benchmarks.scan_rnn [--quick]``; ``run(quick)`` returns the rows.
"""

from __future__ import annotations

import sys
import time

try:
    from . import harness
except ImportError:  # run as a script: python benchmarks/scan_rnn.py
    import harness

harness.pin_threads()

import numpy as np  # noqa: E402

import wire  # noqa: E402
import wire.numpy as wnp  # noqa: E402

HIDDEN, INPUT = 128, 32


def problem(steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = (
        rng.normal(size=(HIDDEN, HIDDEN)) / np.sqrt(HIDDEN),
        rng.normal(size=(HIDDEN, INPUT)) / np.sqrt(INPUT),
        rng.normal(size=HIDDEN) * 0.1,
    )
    xs = rng.normal(size=(steps, INPUT))
    v = rng.normal(size=HIDDEN)
    return params, xs, v


def make_losses(v):
    h0 = np.zeros(HIDDEN)

    def loss_scan(params, xs):
        w, u, b = params

        def step(h, x):
            h = wnp.tanh(w @ h + u @ x + b)
            return h, h @ v

        h, ys = wire.scan(step, h0, xs)
        return wnp.sum(h * h) + wnp.mean(ys)

    def loss_unrolled(params, xs):
        w, u, b = params
        h, ys = h0, []
        for t in range(xs.shape[0]):
            h = wnp.tanh(w @ h + u @ xs[t] + b)
            ys.append(h @ v)
        return wnp.sum(h * h) + sum(ys) / len(ys)

    return loss_scan, loss_unrolled


def numpy_grad(params, xs, v):
    """Hand-written backpropagation through time (the reference)."""
    w, u, b = params
    steps = xs.shape[0]
    hs = np.zeros((steps + 1, HIDDEN))
    for t in range(steps):
        hs[t + 1] = np.tanh(w @ hs[t] + u @ xs[t] + b)
    dw, du, db = np.zeros_like(w), np.zeros_like(u), np.zeros_like(b)
    dh = 2.0 * hs[steps]
    for t in range(steps, 0, -1):
        da = (dh + v / steps) * (1.0 - hs[t] ** 2)
        dw += np.outer(da, hs[t - 1])
        du += np.outer(da, xs[t - 1])
        db += da
        dh = w.T @ da
    return dw, du, db


def _compile(fn):
    jit = getattr(wire, "jit", None)
    return jit(fn) if jit is not None else fn


def run(quick: bool = False) -> list[dict]:
    steps = 200 if quick else 1000
    params, xs, v = problem(steps)
    loss_scan, loss_unrolled = make_losses(v)
    ref = numpy_grad(params, xs, v)
    rows, systems = [], {"numpy": lambda: numpy_grad(params, xs, v)}
    for name, loss in (("scan", loss_scan), ("unrolled", loss_unrolled)):
        fwd_nodes = len(wire.trace(loss, params, xs))
        t0 = time.perf_counter()
        grad_graph = wire.trace(wire.grad(loss), params, xs)
        trace_s = time.perf_counter() - t0
        fn = _compile(wire.grad(loss))
        t0 = time.perf_counter()
        got = fn(params, xs)
        first_s = time.perf_counter() - t0
        systems[name] = lambda fn=fn: fn(params, xs)
        rows.append({
            "benchmark": "scan_rnn", "system": name, "steps": steps, "hidden": HIDDEN,
            "forward_nodes": fwd_nodes, "grad_nodes": len(grad_graph),
            "trace_grad_s": trace_s, "first_call_s": first_s,
            "max_rel_err": harness.rel_err(got, ref),
        })
    # Paired ratios against the scan version (each round times every system back to back,
    # so machine load cancels out); the hand-written NumPy BPTT is the third system.
    timing = harness.compare(systems, reference="scan", rounds=3 if quick else 9,
                             target=0.1 if quick else 0.3)
    for r in rows:
        t = timing[r["system"]]
        r.update(median_s=t["median"], min_s=t["min"],
                 vs_numpy=t["ratio"] / timing["numpy"]["ratio"])
    scan, unrolled = rows
    rows.append({
        "benchmark": "scan_rnn", "system": "unrolled / scan", "steps": steps,
        "hidden": HIDDEN, "forward_nodes": unrolled["forward_nodes"] / scan["forward_nodes"],
        "grad_nodes": unrolled["grad_nodes"] / scan["grad_nodes"],
        "first_call_s": unrolled["first_call_s"] / scan["first_call_s"],
        "per_call": timing["unrolled"]["ratio"],
        "numpy_median_s": timing["numpy"]["median"],
    })
    return rows


def main(argv=None) -> None:
    rows = run(quick="--quick" in (argv if argv is not None else sys.argv[1:]))
    steps = rows[0]["steps"]
    jit = "wire.jit" if getattr(wire, "jit", None) else "wire.evaluate"
    print(f"grad of an RNN, {steps} steps, hidden {HIDDEN}, input {INPUT}; {jit}; "
          f"NumPy hand-written BPTT: {harness.fmt_time(rows[2]['numpy_median_s'])} per call")
    print(harness.machine_info())
    body = []
    for r in rows[:2]:
        body.append([
            r["system"], str(r["forward_nodes"]), str(r["grad_nodes"]),
            harness.fmt_time(r["trace_grad_s"]), harness.fmt_time(r["first_call_s"]),
            harness.fmt_time(r["median_s"]), f"{r['vs_numpy']:.2f}×", f"{r['max_rel_err']:.1e}",
        ])
    q = rows[2]
    body.append([
        "unrolled / scan", f"{q['forward_nodes']:.0f}×", f"{q['grad_nodes']:.0f}×", "",
        f"{q['first_call_s']:.0f}×", f"{q['per_call']:.2f}× (paired)", "", "",
    ])
    print(harness.table(
        "scan vs Python-unrolled RNN gradient",
        ["system", "forward nodes", "grad nodes", "trace grad", "first call", "per call",
         "vs NumPy", "max rel err"],
        body,
    ))


if __name__ == "__main__":
    main()
