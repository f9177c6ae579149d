"""Shared timing harness: thread pinning, interleaved rounds, paired ratios, tables.

Every workload compares *systems* (hand-written NumPy, wire evaluate, wire jit, autograd,
JAX, torch when importable) on one machine at one time:

* BLAS and OpenMP are pinned to one thread (:func:`pin_threads` sets the environment before
  NumPy is imported, and threadpoolctl, when installed, limits the loaded libraries), since
  two-thread BLAS on a shared 2-core box stalls in scheduler ticks;
* each system's callable is warmed up, then the systems run in interleaved rounds (one batch
  per system per round, order rotated, GC collected before and disabled during a batch);
* the *ratio* of a system is the median over rounds of (its batch time / NumPy's batch time
  in the same round), so machine load affects numerator and denominator alike.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

THREAD_VARS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
}


def pin_threads() -> None:
    """Pin BLAS/OpenMP/XLA to one thread: env vars now (before NumPy loads), then threadpoolctl."""
    for k, v in THREAD_VARS.items():
        os.environ.setdefault(k, v)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    bind_one_cpu()
    if "numpy" in sys.modules:
        limit_loaded_libraries()


def bind_one_cpu() -> None:
    """Bind this process (and its children) to one CPU: XLA's CPU client starts worker threads
    whatever the flags say, so this is the only way to hold every system to one core.
    Set ``WIRE_BENCH_AFFINITY=0`` to skip."""
    if os.environ.get("WIRE_BENCH_AFFINITY", "1") == "0" or not hasattr(os, "sched_setaffinity"):
        return
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1:
        os.sched_setaffinity(0, {cpus[-1]})


_LIMITER = []  # keeps the threadpoolctl limiter alive for the whole run


def limit_loaded_libraries() -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    _LIMITER.append(threadpool_limits(limits=1))


def optional(name: str):
    """Import a comparison library if it is installed (None otherwise, never an error).

    Libraries named in the comma-separated ``WIRE_BENCH_SKIP`` environment variable count as
    not installed (``WIRE_BENCH_SKIP=jax,torch`` for a quick run without them).
    """
    if name in os.environ.get("WIRE_BENCH_SKIP", "").replace(" ", "").split(","):
        return None
    try:
        if name == "jax":
            import jax

            jax.config.update("jax_enable_x64", True)
            return jax
        return __import__(name)
    except Exception:  # noqa: BLE001 - any failure to import means: skip this system
        return None


def machine_info() -> str:
    import numpy as np

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    libs = []
    for name in ("autograd", "jax", "torch"):
        mod = sys.modules.get(name)
        if mod is not None:
            try:
                from importlib.metadata import version

                libs.append(f"{name} {version(name)}")
            except Exception:  # noqa: BLE001 - a version string is only decoration
                libs.append(f"{name} {getattr(mod, '__version__', '?')}")
    return (f"Python {platform.python_version()}, numpy {np.__version__}"
            + (", " + ", ".join(libs) if libs else "")
            + f"; {os.cpu_count()} cpus; 1-min load {load:.2f}; BLAS threads pinned to "
            + os.environ.get("OPENBLAS_NUM_THREADS", "?") + _blas_kernel()
            + (f"; bound to CPU {sorted(os.sched_getaffinity(0))}"
               if hasattr(os, "sched_getaffinity") else ""))


def _blas_kernel() -> str:
    """The BLAS library NumPy loaded and the CPU kernel it chose (OpenBLAS picks by CPU model,
    and picks an older one on CPUs newer than the library: GEMM-bound rows depend on it)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ""
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not blas:
        return ""
    i = blas[0]
    return f"; BLAS {i.get('internal_api', '?')} {i.get('version', '?')} ({i.get('architecture', '?')} kernels)"


def loadavg() -> str:
    """The 1-, 5- and 15-minute load averages and running/total tasks (``/proc/loadavg``)."""
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:4])
    except OSError:
        return " ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def run_info() -> str:
    """When and at which commit figures were taken, and how loaded the machine was."""
    import datetime
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, text=True,
                                capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, text=True, capture_output=True, check=True).stdout
        commit += " (with uncommitted changes)" if dirty.strip() else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown (not a git checkout)"
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"Measured {now} at commit {commit}; load average (1, 5, 15 min; tasks) {loadavg()}"


# --------------------------------------------------------------------------- timing


def _batch(fn: Callable, n: int) -> float:
    """Seconds per call over ``n`` calls, GC collected before (plus one untimed call, so
    the batch does not start on caches the collection just evicted) and disabled during."""
    gc.collect()
    gc.disable()
    try:
        fn()
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - t0) / n
    finally:
        gc.enable()


def calls_for(fn: Callable, target: float) -> int:
    """Calls per batch so one batch lasts about ``target`` seconds (at least one)."""
    n = 1
    while True:
        t = _batch(fn, n)
        if t * n >= target / 5 or n >= 1 << 20:
            break
        n *= 4
    t = min(t, _batch(fn, n), _batch(fn, n))
    return max(1, int(target / max(t, 1e-9)))


def compare(systems: dict, reference: str = "numpy", rounds: int = 15,
            target: float = 0.05) -> dict:
    """Time ``systems`` ({name: zero-argument callable}) in interleaved rounds.

    Returns {name: {"median", "min", "max", "ratio", "samples", "calls"}} with per-call
    seconds; ``ratio`` is the median of per-round ratios against ``reference``.
    """
    names = list(systems)
    for name in names:  # warm up
        systems[name]()
    # Objects alive now (modules, graphs, compiled code) outlive the timing: freezing them
    # keeps the full collection before each batch from re-walking them (~0.1 s per collection
    # once JAX and wire are loaded), while garbage made by the calls is still collected.
    gc.collect()
    gc.freeze()
    try:
        calls = {name: calls_for(systems[name], target) for name in names}
        times: dict[str, list[float]] = {name: [] for name in names}
        for r in range(rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                times[name].append(_batch(systems[name], calls[name]))
    finally:
        gc.unfreeze()
    out = {}
    ref = times.get(reference)
    for name in names:
        ts = times[name]
        ratios = [t / t0 for t, t0 in zip(ts, ref)] if ref else [float("nan")]
        out[name] = {
            "median": statistics.median(ts), "min": min(ts), "max": max(ts),
            "ratio": statistics.median(ratios), "samples": len(ts), "calls": calls[name],
            "times": ts,
        }
    return out


def paired(results: dict, a: str, b: str) -> str:
    """A sentence with the median per-round ratio of system ``a`` to system ``b``."""
    if a not in results or b not in results:
        return ""
    r = statistics.median(x / y for x, y in zip(results[a]["times"], results[b]["times"]))
    return f"\n{a} ÷ {b} (paired, median of per-round ratios): **{r:.2f}×**\n"


def rel_err(got, ref) -> float:
    """max |got - ref| / max |ref| over matching leaves of two pytrees of arrays."""
    import numpy as np

    from wire import tree

    g, r = tree.leaves(got), tree.leaves(ref)
    num = max(float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
              for a, b in zip(g, r))
    den = max(float(np.max(np.abs(np.asarray(b, np.float64)))) for b in r)
    return num / den if den else num


# --------------------------------------------------------------------------- printing


def fmt_time(s: float) -> str:
    if math.isnan(s):
        return "—"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def fmt_bytes(b: float) -> str:
    return f"{b / 2**20:.0f} MiB"


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table with a bold title line."""
    lines = [f"**{title}**", "", "| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def timing_table(title: str, results: dict, errors: dict | None = None) -> str:
    rows = []
    for name, r in results.items():
        err = (errors or {}).get(name)
        rows.append([
            name, fmt_time(r["median"]), fmt_time(r["min"]), fmt_time(r["max"]),
            f"{r['ratio']:.2f}×", f"{r['samples']} × {r['calls']}",
            "—" if err is None else f"{err:.1e}",
        ])
    return table(title, ["system", "median", "min", "max", "ratio vs numpy (paired)",
                         "samples × calls", "max rel err"], rows)


def as_numpy(fn: Callable) -> Callable:
    """Wrap ``fn`` so its outputs are converted to NumPy inside the timing (forces JAX)."""
    import numpy as np

    from wire import tree

    def run(*args):
        return tree.map(np.asarray, fn(*args))

    return run


# --------------------------------------------------------------------------- memory


def proc_status(field: str) -> int:
    """A byte count from /proc/self/status (``VmRSS``, ``VmHWM``, …)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak_memory() -> bool:
    """Reset VmHWM to the current RSS (``/proc/self/clear_refs``); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False
