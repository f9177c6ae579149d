"""Data-parallel logistic regression: the gradient of a loss summed over 2M rows x 64
features runs as a Dask task graph on a local cluster, and matches single-process NumPy.

    pip install -e ".[dask]" && python examples/dask_data_parallel.py
    python examples/dask_data_parallel.py --rows 200000 --steps 3      # quick mode

The data (float64, 1 GiB at the default size) is generated chunk by chunk by Dask and kept
in the cluster's memory (``persist``); the model is a 64-vector. ``wire.jit(grad(loss),
backend="dask")`` traces and differentiates ``loss`` once; each call walks the cached
gradient graph with Dask arrays, which *is* the lowering to ``dask.array`` operations: a
``matmul`` per chunk, elementwise work per chunk and a tree-reduction of the per-chunk
partial gradients. The workers compute it, only the 64-vector gradient comes back.

The same steps then run on one NumPy array in this process (``wire.jit`` on NumPy); the
weights of the two runs agree to 1e-8 (they differ only in the order of the row sums).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import wire
import wire.numpy as wnp


def loss(w, x, y):
    """Mean logistic loss plus a small ridge term; y in {-1, +1}."""
    margins = y * (x @ w)
    return wnp.sum(wnp.logaddexp(0.0, -margins)) / x.shape[0] + 1e-4 * wnp.sum(w * w)


def make_data(rows: int, features: int, chunk_rows: int, seed: int):
    """Synthetic separable-ish data, generated lazily chunk by chunk (Dask arrays)."""
    import dask.array as da

    rng = da.random.default_rng(seed)
    x = rng.standard_normal((rows, features), chunks=(chunk_rows, features))
    w_true = np.random.default_rng(seed + 1).normal(size=features)
    noise = rng.standard_normal(rows, chunks=chunk_rows)
    y = da.sign(x @ w_true + 0.5 * noise)
    return x, y


def descend(grad_fn, w, x, y, steps: int, lr: float, label: str):
    times = []
    for step in range(steps):
        t0 = time.perf_counter()
        g = np.asarray(grad_fn(w, x, y))
        w = w - lr * g
        times.append(time.perf_counter() - t0)
        print(f"  {label} step {step + 1}: |grad| = {np.linalg.norm(g):.6f} "
              f"({times[-1]:.2f} s)", flush=True)
    return w, times


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--features", type=int, default=64)
    p.add_argument("--chunk-rows", type=int, default=125_000)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--processes", action="store_true",
                   help="worker processes on loopback (default: in-process worker threads)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    from distributed import Client, LocalCluster

    mib = args.rows * args.features * 8 / 2**20
    print(f"data: {args.rows} x {args.features} float64 ({mib:.0f} MiB) in chunks of "
          f"{args.chunk_rows} rows; {args.steps} steps of gradient descent")
    w0 = np.zeros(args.features)
    grad_dask = wire.jit(wire.grad(loss), backend="dask", compute=True)
    kw = {"host": "127.0.0.1"} if args.processes else {}
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=args.processes,
                      dashboard_address=None, **kw) as cluster, Client(cluster) as client:
        x, y = make_data(args.rows, args.features, args.chunk_rows, args.seed)
        t0 = time.perf_counter()
        x, y = client.persist([x, y])
        print(f"dask: {len(client.scheduler_info()['workers'])} workers, "
              f"{x.npartitions} chunks", flush=True)
        w_dask, t_dask = descend(grad_dask, w0, x, y, args.steps, args.lr, "dask ")
        print(f"dask total {time.perf_counter() - t0:.2f} s (incl. generating the data)")
        x_np, y_np = client.compute([x, y], sync=True)  # the same data, for the NumPy run

    grad_np = wire.jit(wire.grad(loss))
    w_np, t_np = descend(grad_np, w0, x_np, y_np, args.steps, args.lr, "numpy")
    final = float(loss(w_np, x_np, y_np))
    diff = float(np.max(np.abs(w_dask - w_np)))
    print(f"final loss {final:.6f}; max |w_dask - w_numpy| = {diff:.2e}")
    print(f"median step: dask {np.median(t_dask[1:] or t_dask):.2f} s, "
          f"numpy {np.median(t_np[1:] or t_np):.2f} s")
    assert diff < 1e-8, diff
    print("OK: the Dask run matches single-process NumPy to 1e-8")


if __name__ == "__main__":
    main()
