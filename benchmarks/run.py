"""Run wire's benchmarks and print Markdown tables of medians and paired ratios.

    python -m benchmarks                       # every workload (several minutes)
    python benchmarks/run.py --quick           # smoke run: fewer rounds, smaller samples
    python -m benchmarks --workload mlp --workload memory
    python -m benchmarks --workload small_call,compile
    python -m benchmarks --workload scale --max-size 10000 --cell-cap 30

A workload is a module of this package listed in :data:`WORKLOADS`; it provides
``report(quick) -> str`` (a Markdown section) or ``main(argv)`` (prints its own output).
Workloads that sweep sizes (``eager``, ``scale``, ``higher_order_panel``) also take the
keyword options ``max_size`` (largest size measured) and ``cell_cap`` (seconds after which a
row stops growing; see :mod:`benchmarks.cells`), given on the command line as ``--max-size``
and ``--cell-cap``. ``WIRE_BENCH_SKIP=jax,torch`` leaves those comparison systems out.
Each run gives ``wire.jit``'s disk cache a fresh temporary directory (``WIRE_CACHE_DIR``).
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import inspect
import os
import shutil
import sys
import tempfile
import time

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `wire` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import harness
from benchmarks.harness import pin_threads

pin_threads()

# wire.jit's on-disk compile cache: a fresh directory for each run (inherited by the child
# processes cells run in), so every first call is cold and the user's own cache is untouched
os.environ["WIRE_CACHE_DIR"] = _CACHE = tempfile.mkdtemp(prefix="wire-bench-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

WORKLOADS = {
    "small_call": "benchmarks.small_call",
    "mlp": "benchmarks.mlp",
    "compile": "benchmarks.compile_latency",
    "higher_order": "benchmarks.higher_order",
    "memory": "benchmarks.memory",
    "hessian": "benchmarks.hessian",
    "training": "benchmarks.training",
    "vmap": "benchmarks.vmap_per_example",
    "scan_rnn": "benchmarks.scan_rnn",
    "eager": "benchmarks.eager",
    "scale": "benchmarks.scale",
    "higher_order_panel": "benchmarks.higher_order_panel",
    "backends_mlp": "benchmarks.backends_mlp",
    "torch_func": "benchmarks.torch_func",
}
ALIASES = {"1": "small_call", "2": "mlp", "3": "compile", "4": "higher_order", "5": "memory",
           "compile_latency": "compile"}


def _names(values) -> list[str]:
    if not values:
        return list(WORKLOADS)
    out = []
    for v in values:
        for name in v.split(","):
            name = ALIASES.get(name.strip(), name.strip())
            if name not in WORKLOADS:
                raise SystemExit(f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)}")
            out.append(name)
    return out


def run_workload(name: str, quick: bool, options: dict | None = None) -> None:
    """Print one workload's section; ``options`` go to ``report`` where it takes them."""
    module = importlib.import_module(WORKLOADS[name])
    title = getattr(module, "TITLE", name)
    print(f"## {title}\n", flush=True)
    t0 = time.perf_counter()
    load0 = harness.loadavg()
    if hasattr(module, "report"):
        accepted = inspect.signature(module.report).parameters
        kwargs = {k: v for k, v in (options or {}).items() if v is not None and k in accepted}
        print(module.report(quick, **kwargs), flush=True)
    else:
        module.main(["--quick"] if quick else [])
    print(f"*({name}: {time.perf_counter() - t0:.0f} s; load average {load0} → "
          f"{harness.loadavg()})*\n", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds; a smoke test")
    parser.add_argument("--workload", action="append", metavar="NAME",
                        help=f"one of {', '.join(WORKLOADS)} (repeatable, or comma-separated)")
    parser.add_argument("--max-size", type=int, metavar="N",
                        help="largest graph size a sweeping workload measures")
    parser.add_argument("--cell-cap", type=float, metavar="SECONDS",
                        help="a sweep stops growing after a cell slower than this (default 60)")
    args = parser.parse_args(argv)
    options = {"max_size": args.max_size, "cell_cap": args.cell_cap}
    names = _names(args.workload)
    import numpy  # noqa: F401  (after pinning)

    harness.limit_loaded_libraries()
    for lib in ("autograd", "jax", "torch"):
        harness.optional(lib)
    print("# wire benchmarks\n")
    print(harness.machine_info() + "\n", flush=True)
    print(harness.run_info() + "\n", flush=True)
    for name in names:
        run_workload(name, args.quick, options)


if __name__ == "__main__":
    main()
