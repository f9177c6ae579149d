"""Per-example gradients of a 784-256-10 MLP over a batch of 128: ``vmap(grad)`` vs a loop.

The loss is softmax cross-entropy of one example (integer label). Three ways to get the 128
per-example gradients of all four parameter arrays:

* ``loop`` — ``wire.grad(loss)`` called once per example (trace + transform + evaluate each);
* ``vmap`` — ``wire.vmap(wire.grad(loss), in_axes=(None, 0, 0))`` called on the batch;
* ``vmap graph`` — the batched graph built once, then only evaluated (``wire.evaluate``),
  which is what a cached/jitted call costs.

Every variant is checked against the loop. Run ``python benchmarks/vmap_per_example.py
[--quick]``; ``run(quick)`` returns the rows.
"""

from __future__ import annotations

import itertools
import sys
import time

import numpy as np

import wire
import wire.numpy as wnp


def loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = wnp.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    m = wnp.max(logits)
    return wnp.log(wnp.sum(wnp.exp(logits - m))) + m - logits[y]


def init(rng, sizes=(784, 256, 10)):
    return [
        (rng.normal(size=(m, n)) / np.sqrt(m), np.zeros(n)) for m, n in itertools.pairwise(sizes)
    ]


def _best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def run(quick: bool = False):
    """Rows ``{"method", "seconds", "per_example_ms", "speedup_vs_loop"}``."""
    rng = np.random.default_rng(0)
    batch = 32 if quick else 128
    repeat = 1 if quick else 3
    params = init(rng)
    x = rng.normal(size=(batch, 784))
    y = rng.integers(0, 10, size=batch)
    g = wire.grad(loss)
    per_example = wire.vmap(g, in_axes=(None, 0, 0))
    graph = wire.vmap(wire.trace(g, params, x[0], y[0]), in_axes=(None, 0, 0), axis_size=batch)

    def loop():
        return [g(params, x[i], y[i]) for i in range(batch)]

    per_example(params, x, y)  # warm the evaluator's plan cache, as the loop warms on call 1
    t_loop, ref = _best(loop, repeat)
    t_vmap, got = _best(lambda: per_example(params, x, y), repeat)
    t_graph, flat = _best(lambda: wire.evaluate(graph, params, x, y), repeat)
    for i in (0, batch - 1):
        for (gw, gb), (rw, rb) in zip(got, ref[i]):
            np.testing.assert_allclose(gw[i], rw, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(gb[i], rb, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(flat[0][0], got[0][0])
    rows = []
    for name, t in (("loop", t_loop), ("vmap", t_vmap), ("vmap graph", t_graph)):
        rows.append(
            {
                "method": name,
                "batch": batch,
                "seconds": t,
                "per_example_ms": 1e3 * t / batch,
                "speedup_vs_loop": t_loop / t,
            }
        )
    return rows


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    rows = run(quick="--quick" in argv)
    print(f"per-example gradients, MLP 784-256-10, batch {rows[0]['batch']}")
    print(f"{'method':<12} {'seconds':>9} {'ms/example':>11} {'speedup':>8}")
    for r in rows:
        print(
            f"{r['method']:<12} {r['seconds']:9.4f} {r['per_example_ms']:11.3f} "
            f"{r['speedup_vs_loop']:7.1f}x"
        )
    return rows


if __name__ == "__main__":
    main()
