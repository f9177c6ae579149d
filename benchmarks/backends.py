"""NumPy backend vs Dask backend: gradient of a least-squares loss over 2M x 64 float64 rows.

    python -m benchmarks.backends            # full size (about a minute)
    python -m benchmarks.backends --quick    # 200k rows

loss(w) = sum((X @ w - y) ** 2) / n, gradient by ``wire.jit(wire.grad(loss), backend=...)``.
Each system runs in its own subprocess (``--child SYSTEM``), which imports and warms up the
jitted gradient on a tiny problem, resets the memory high-water mark (``/proc/self/clear_refs``)
and reads ``VmHWM`` from ``/proc/self/status`` after the measured call:

* ``numpy``: X and y generated in NumPy (X alone is 1 GiB at full size), then one gradient;
  time = generation + gradient (the gradient alone is listed too);
* ``dask-threads-1`` / ``dask-threads-2``: X and y generated *chunk by chunk inside the Dask
  graph* (``dask.array.random``, 125k-row chunks of 61 MiB), so the whole dataset never
  exists at once; the threaded scheduler with 1 or 2 workers;
* ``dask-local-1`` / ``dask-local-2``: the same graph on a ``distributed.LocalCluster``
  (in-process workers, one thread each).

BLAS is pinned to one thread everywhere (``benchmarks.harness``), so the worker count is the
parallelism. The Dask results equal NumPy's to ~1e-12 (checked on the data NumPy regenerates
chunk-wise from the same seeds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from . import harness

ROWS, FEATURES, CHUNK = 2_000_000, 64, 125_000
SYSTEMS = ("numpy", "dask-threads-1", "dask-threads-2", "dask-local-1", "dask-local-2")


def _loss(w, x, y):
    import wire.numpy as wnp

    r = x @ w - y
    return wnp.sum(r * r) / x.shape[0]


def _w_true():
    import numpy as np

    return np.random.default_rng(7).normal(size=FEATURES)


def _numpy_data(rows: int):
    """The Dask data, regenerated chunk by chunk into NumPy arrays (same seeds, same values)."""
    import numpy as np

    x = np.empty((rows, FEATURES))
    y = np.empty(rows)
    w_true = _w_true()
    for k, start in enumerate(range(0, rows, CHUNK)):
        stop = min(start + CHUNK, rows)
        rng = np.random.default_rng([0, k])
        x[start:stop] = rng.standard_normal((stop - start, FEATURES))
        y[start:stop] = x[start:stop] @ w_true + 0.1 * rng.standard_normal(stop - start)
    return x, y


def _dask_data(rows: int):
    """X and y as lazy Dask arrays, one task per chunk (nothing generated yet)."""
    import dask
    import dask.array as da
    import numpy as np

    w_true = _w_true()

    def block(k, n):
        rng = np.random.default_rng([0, k])
        xb = rng.standard_normal((n, FEATURES))
        return xb, xb @ w_true + 0.1 * rng.standard_normal(n)

    xs, ys = [], []
    for k, start in enumerate(range(0, rows, CHUNK)):
        n = min(start + CHUNK, rows) - start
        pair = dask.delayed(block, nout=2, pure=True)(k, n)
        xs.append(da.from_delayed(pair[0], shape=(n, FEATURES), dtype=np.float64))
        ys.append(da.from_delayed(pair[1], shape=(n,), dtype=np.float64))
    return da.concatenate(xs), da.concatenate(ys)


def child(system: str, rows: int) -> dict:
    harness.pin_threads()
    import gc

    import numpy as np

    import wire

    harness.limit_loaded_libraries()
    w = np.linspace(-1.0, 1.0, FEATURES)
    backend = "numpy" if system == "numpy" else "dask"
    grad = wire.jit(wire.grad(_loss), backend=backend, compute=True)
    small = _numpy_data(1000)
    grad(w, *small)  # trace, simplify, (compile): not part of the measurement
    del small
    cluster = client = None
    if system.startswith("dask-threads"):
        import dask

        dask.config.set(scheduler="threads", num_workers=int(system[-1]))
    elif system.startswith("dask-local"):
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=int(system[-1]), threads_per_worker=1,
                               processes=False, dashboard_address=None)
        client = Client(cluster)
    gc.collect()
    before = harness.proc_status("VmRSS")
    ok = harness.reset_peak_memory()
    t0 = time.perf_counter()
    if system == "numpy":
        x, y = _numpy_data(rows)
        t1 = time.perf_counter()
        g = grad(w, x, y)
        grad_only = time.perf_counter() - t1
    else:
        x, y = _dask_data(rows)
        g = grad(w, x, y)
        grad_only = None
    seconds = time.perf_counter() - t0
    peak = harness.proc_status("VmHWM")
    if client is not None:
        client.close()
        cluster.close()
    return {"system": system, "seconds": seconds, "grad_seconds": grad_only,
            "increase": peak - before if ok else None, "process_peak": peak,
            "grad": np.asarray(g).tolist()}


def run(quick: bool = False) -> list[dict]:
    """One subprocess per system; rows of {system, seconds, increase, process_peak, ...}."""
    rows_n = ROWS // 10 if quick else ROWS
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = []
    for system in SYSTEMS:
        cmd = [sys.executable, "-m", "benchmarks.backends", "--child", system, str(rows_n)]
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env=env, check=False)
        if p.returncode != 0:
            out.append({"system": system, "error": (p.stderr.strip().splitlines() or ["?"])[-1]})
            continue
        out.append(json.loads(p.stdout.strip().splitlines()[-1]))
    ref = next((r["grad"] for r in out if r["system"] == "numpy" and "grad" in r), None)
    for r in out:
        if ref is not None and "grad" in r:
            r["max_rel_err"] = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(r["grad"], ref))
        r["rows"] = rows_n
    return out


def report(rows: list[dict]) -> str:
    base = next((r["seconds"] for r in rows if r["system"] == "dask-threads-1"
                 and "seconds" in r), None)
    lines = []
    for r in rows:
        if "error" in r:
            lines.append([r["system"], f"failed: {r['error']}", "", "", "", ""])
            continue
        scale = f"{base / r['seconds']:.2f}×" if base and r["system"].startswith("dask") else ""
        grad_only = f" (grad {harness.fmt_time(r['grad_seconds'])})" if r["grad_seconds"] else ""
        lines.append([
            r["system"], harness.fmt_time(r["seconds"]) + grad_only, scale,
            harness.fmt_bytes(r["increase"]) if r["increase"] is not None else "n/a",
            harness.fmt_bytes(r["process_peak"]), f"{r.get('max_rel_err', float('nan')):.1e}",
        ])
    n = rows[0]["rows"] if rows else ROWS
    return harness.table(
        f"gradient of a least-squares loss over {n} x {FEATURES} float64 rows "
        f"({n * FEATURES * 8 / 2**20:.0f} MiB of X), NumPy vs Dask backend; {harness.machine_info()}",
        ["system", "time (data + gradient)", "speed-up vs 1 Dask worker", "peak increase",
         "process peak", "max rel. err vs NumPy"],
        lines,
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]))))
    else:
        print(report(run(quick="--quick" in sys.argv)))
