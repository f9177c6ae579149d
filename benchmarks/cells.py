"""One-shot measurements in fresh child processes, with a wall-clock and a memory cap.

Workloads that time one expensive call (tracing a 100 000-op chain, an 8th derivative, a first
``jit`` call) cannot use the interleaved batches of :mod:`benchmarks.harness`: one call is the
sample, and it must start from a process whose memo caches and intern tables are empty. So each
*cell* runs in its own child process::

    python -m benchmarks.cells MODULE FUNCTION JSON_KWARGS

which imports ``MODULE``, calls ``FUNCTION(**kwargs)`` and prints the dict it returns as JSON
on its last line. The parent (:func:`run_cell`) kills the child when it runs past the *hard*
wall-clock cap or its resident set grows past the memory cap, and says so in the result, so a
workload always finishes. :func:`sweep` runs one row of cells over growing sizes and stops the
row after a cell that took longer than the *soft* cap (the bigger sizes are marked skipped), or
when a linear extrapolation from the last cell already passes the hard cap.

Inside a child, :func:`measure` times one call and reads its peak memory increase (VmHWM
during the call minus VmRSS just before; VmHWM reset through ``/proc/self/clear_refs``). The
garbage collector stays enabled inside one-shot cells, as it is for a user's call.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

from . import harness

DEFAULT_SOFT_CAP = 60.0   # seconds: a row stops after a cell slower than this
HARD_CAP_FACTOR = 5.0     # a child is killed after HARD_CAP_FACTOR x the soft cap
_RESULT = "RESULT "


def default_mem_cap() -> int:
    """Bytes a child may hold: half the memory available now, at most 8 GiB."""
    try:
        with open("/proc/meminfo") as fh:
            avail = next(int(line.split()[1]) * 1024 for line in fh
                         if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return 4 << 30
    return int(min(8 << 30, avail // 2))


def root_dir() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def child_env(extra: dict | None = None) -> dict:
    """The environment of a child: this one (threads pinned) with the repository importable."""
    root = root_dir()
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.update(extra or {})
    return env


def _rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_process(cmd: list[str], timeout: float, mem_cap: int | None = None,
                env: dict | None = None) -> dict:
    """Run ``cmd``; the dict on its last ``RESULT`` line, or ``{"error": why}``.

    Adds ``wall`` (seconds from spawn to exit, as seen by the parent) to the result.
    """
    mem_cap = default_mem_cap() if mem_cap is None else mem_cap
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=root_dir(), env=env or child_env())
    killed = None
    out = err = ""
    while True:
        try:
            out, err = proc.communicate(timeout=0.25)
            break
        except subprocess.TimeoutExpired:
            if time.perf_counter() - t0 > timeout:
                killed = f"killed at the {timeout:.0f} s cap"
            elif _rss_of(proc.pid) > mem_cap:
                killed = f"killed at the {harness.fmt_bytes(mem_cap)} memory cap"
            if killed:
                proc.kill()
                out, err = proc.communicate()
                break
    wall = time.perf_counter() - t0
    if killed:
        return {"error": killed, "wall": wall}
    for line in reversed(out.splitlines()):
        if line.startswith(_RESULT):
            result = json.loads(line[len(_RESULT):])
            result.setdefault("wall", wall)
            return result
    last = (err.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
    return {"error": last[:160], "wall": wall}


def run_cell(module: str, function: str, timeout: float, mem_cap: int | None = None,
             **kwargs) -> dict:
    """``module.function(**kwargs)`` in a fresh child process (see the module docstring)."""
    cmd = [sys.executable, "-m", "benchmarks.cells", module, function, json.dumps(kwargs)]
    return run_process(cmd, timeout, mem_cap)


# --------------------------------------------------------------------------- inside a child


def measure(fn: Callable[[], object]) -> tuple[object, dict]:
    """Call ``fn`` once: its result and ``{"seconds", "cpu_seconds", "peak"}`` (wall time,
    this process's CPU time — on a shared machine the wall time also counts the time other
    processes hold the cores —, and the peak memory increase in bytes, None where
    ``/proc/self/clear_refs`` cannot be written)."""
    gc.collect()
    ok = harness.reset_peak_memory()  # VmHWM = VmRSS now, so the peak cannot read below `before`
    before = harness.proc_status("VmRSS")
    c0 = time.process_time()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = harness.proc_status("VmHWM") - before if ok else None
    return out, {"seconds": seconds, "cpu_seconds": cpu, "peak": peak}


def child_main(argv: list[str]) -> None:
    module, function, kwargs = argv[0], argv[1], json.loads(argv[2])
    harness.pin_threads()
    import numpy  # noqa: F401  (after pinning)

    harness.limit_loaded_libraries()
    result = getattr(importlib.import_module(module), function)(**kwargs)
    print(_RESULT + json.dumps(result), flush=True)


# --------------------------------------------------------------------------- sweeps


def sweep(sizes: list[int], run_one: Callable[[int, float], dict], soft_cap: float,
          hard_cap: float | None = None, key: str = "seconds") -> dict[int, dict]:
    """Run ``run_one(size, hard_cap)`` for growing sizes; {size: result}.

    A result is a dict with ``key`` (seconds) or ``error``. After an error, or a cell slower
    than ``soft_cap``, the remaining sizes get ``{"skipped": why}``; a size whose linear
    extrapolation from the last cell exceeds ``hard_cap`` is skipped without running.
    """
    hard_cap = soft_cap * HARD_CAP_FACTOR if hard_cap is None else hard_cap
    out: dict[int, dict] = {}
    stop = None
    last = None
    for size in sorted(sizes):
        if stop is not None:
            out[size] = {"skipped": stop}
            continue
        if last is not None and last[1] * size / last[0] > hard_cap:
            out[size] = {"skipped": f"predicted > {hard_cap:.0f} s"}
            stop = f"after {last[0]:,}"
            continue
        result = run_one(size, hard_cap)
        out[size] = result
        if "error" in result:
            stop = f"after {size:,} failed"
        elif result.get(key, 0.0) > soft_cap:
            stop = f"{size:,} took > {soft_cap:.0f} s"
        else:
            last = (size, result[key])
    return out


def cell_text(result: dict | None, value: Callable[[dict], str]) -> str:
    """A table cell: ``value(result)``, or why there is no value."""
    if result is None:
        return "—"
    if "skipped" in result:
        return f"skipped ({result['skipped']})"
    if "error" in result:
        return result["error"]
    return value(result)


if __name__ == "__main__":
    child_main(sys.argv[1:])
