"""Run wire's benchmarks and print Markdown tables of medians and paired ratios.

    python -m benchmarks                       # every workload (several minutes)
    python benchmarks/run.py --quick           # smoke run: fewer rounds, smaller samples
    python -m benchmarks --workload mlp --workload memory
    python -m benchmarks --workload small_call,compile

A workload is a module of this package listed in :data:`WORKLOADS`; it provides
``report(quick) -> str`` (a Markdown section) or ``main(argv)`` (prints its own output).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `wire` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.harness import pin_threads

pin_threads()

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


def run_workload(name: str, quick: bool) -> None:
    module = importlib.import_module(WORKLOADS[name])
    title = getattr(module, "TITLE", name)
    print(f"## {title}\n", flush=True)
    t0 = time.perf_counter()
    if hasattr(module, "report"):
        print(module.report(quick), flush=True)
    else:
        module.main(["--quick"] if quick else [])
    print(f"*({name}: {time.perf_counter() - t0:.0f} s)*\n", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds; a smoke test")
    parser.add_argument("--workload", action="append", metavar="NAME",
                        help=f"one of {', '.join(WORKLOADS)} (repeatable, or comma-separated)")
    args = parser.parse_args(argv)
    names = _names(args.workload)
    import numpy  # noqa: F401  (after pinning)

    from benchmarks import harness

    harness.limit_loaded_libraries()
    for lib in ("autograd", "jax", "torch"):
        harness.optional(lib)
    print("# wire benchmarks\n")
    print(harness.machine_info() + "\n", flush=True)
    for name in names:
        run_workload(name, args.quick)


if __name__ == "__main__":
    main()
