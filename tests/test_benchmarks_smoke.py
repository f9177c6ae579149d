"""The benchmark workloads run end to end and print their tables (timings are never asserted).

One ``python -m benchmarks --quick`` process runs the workloads that sweep sizes in child
processes or were extended for issues 14, 16 and 17 (the eager and scale ones in every run,
all of them with ``-m slow``), with JAX and torch left out (``WIRE_BENCH_SKIP``) so it stays
short; the full runs include them.
"""

import os
import subprocess
import sys

import pytest
from selection import slow_selected

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# a heading or table title each workload must print (its tables ran to the end)
EXPECTED = {
    "eager": ["## Eager calls",
              "**small grad call, same function every call (memoized graph)**",
              "**closure over a new 4-vector each call",
              "200-op elementwise chain",
              "**SVI, mixture of 6 Gaussians",
              "**deep scalar chain"],
    "scale": ["## Pipeline scale",
              "**µs per forward op, by chain length (ops)**",
              "| grad(grad) ÷ grad, time |",
              "Values checked against the hand-computed chain (rel. 1e-9): all agree."],
    "higher_order_panel": ["## Higher-order panel",
                           "**summary: wire nodes of trace(grad^n(f), 0.3)**",
                           "**f(x) = log(2 + erf(√(1+x²)))**"],
    "compile": ["## Compile latency",
                "**wirejit first call, phase by phase",
                "**first call of jit(grad(f)) in a fresh process",
                "**steady state"],
    "higher_order": ["**steady call of the derivative of order 3"],
}
# the workloads every run checks (those of issue 14's eager figures); -m slow runs them all
# (about 50 s of child processes in all, 20 s for these)
CI_WORKLOADS = ["eager", "scale"]


def _slow_selected(config) -> bool:
    return slow_selected(config)


@pytest.fixture(scope="module")
def workloads(request):
    return list(EXPECTED) if _slow_selected(request.config) else CI_WORKLOADS


@pytest.fixture(scope="module")
def quick_run(workloads):
    env = dict(os.environ, WIRE_BENCH_SKIP="jax,torch",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--workload", ",".join(workloads)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    return proc


@pytest.mark.slow
def test_quick_workloads_print_their_tables(quick_run, workloads):
    out = quick_run.stdout
    assert quick_run.returncode == 0, quick_run.stderr[-3000:]
    missing = [text for name in workloads for text in EXPECTED[name] if text not in out]
    assert not missing, f"missing from the output: {missing}\n{out[-3000:]}"
    for name in workloads:
        assert f"*({name}: " in out  # each workload reached its end


@pytest.mark.slow
def test_quick_run_has_no_failed_cells(quick_run):
    out = quick_run.stdout
    assert quick_run.returncode == 0, quick_run.stderr[-3000:]
    for bad in ("killed at the", "Traceback", "failed:", "**disagree**", "Failed cells"):
        assert bad not in out, f"{bad!r} in the output:\n{out[-3000:]}"


@pytest.mark.slow
def test_torch_func_workload_runs_against_torch(request):
    """The torch.func comparison (left out of the run above) reaches every table, with torch
    measured and its results agreeing with NumPy's (with -m slow: 13 s)."""
    if not _slow_selected(request.config):
        pytest.skip("the torch.func workload runs with -m slow")
    pytest.importorskip("torch")
    env = dict(os.environ, WIRE_BENCH_SKIP="jax",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--workload", "torch_func"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-3000:]
    for title in ("**small jit(grad) call", "**MLP step 784-512-512-10, batch 256, float32**",
                  "**MLP step 784-512-512-10, batch 256, float64**", "**Hessian 200 x 200"):
        assert title in out, f"missing {title!r}:\n{out[-3000:]}"
    rows = [line for line in out.splitlines() if line.startswith(("| torchfunc |", "| wirejit |"))]
    assert len(rows) == 8 and out.count("wirejit ÷ torchfunc") == 4
    errors = [float(row.strip("| ").split("|")[-1]) for row in rows]  # max rel err vs NumPy
    assert max(errors) < 1e-5, rows
    for bad in ("Traceback", "failed:", "**disagree**"):
        assert bad not in out, f"{bad!r} in the output:\n{out[-3000:]}"
    assert "*(torch_func: " in out


# --------------------------------------------------------------------------- the cell caps


def _cells():
    """``benchmarks.cells``, imported without leaving its thread pinning on this process
    (importing the package binds the process to one CPU and limits BLAS threads)."""
    if "benchmarks.cells" not in sys.modules:
        env = dict(os.environ)
        affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        if ROOT not in sys.path:
            sys.path.insert(0, ROOT)
        from benchmarks import cells, harness  # noqa: F401

        if affinity is not None:
            os.sched_setaffinity(0, affinity)
        os.environ.clear()
        os.environ.update(env)
        while harness._LIMITER:
            harness._LIMITER.pop().restore_original_limits()
    return sys.modules["benchmarks.cells"]


def test_sweep_stops_a_row_after_a_slow_cell():
    cells = _cells()
    seen = []

    def run_one(size, hard):
        seen.append(size)
        return {"seconds": size / 100}  # 1 000 -> 10 s, 10 000 -> 100 s

    out = cells.sweep([1_000, 10_000, 100_000], run_one, soft_cap=60.0, hard_cap=1e9)
    assert seen == [1_000, 10_000]
    assert out[100_000] == {"skipped": "10,000 took > 60 s"}
    assert "skipped (10,000 took > 60 s)" == cells.cell_text(out[100_000], str)


def test_sweep_skips_a_size_whose_extrapolation_passes_the_hard_cap():
    cells = _cells()
    out = cells.sweep([10, 1000, 2000], lambda n, hard: {"seconds": 1.0}, soft_cap=60.0,
                      hard_cap=50.0)
    assert out[10] == {"seconds": 1.0}
    assert out[1000] == {"skipped": "predicted > 50 s"}
    assert "skipped" in out[2000]


def test_sweep_stops_after_an_error():
    cells = _cells()
    out = cells.sweep([1, 2], lambda n, hard: {"error": "boom"}, soft_cap=60.0)
    assert out == {1: {"error": "boom"}, 2: {"skipped": "after 1 failed"}}


def test_a_child_past_its_wall_clock_cap_is_killed():
    cells = _cells()
    code = "import time; time.sleep(30)"
    r = cells.run_process([sys.executable, "-c", code], timeout=0.5)
    assert r["error"].startswith("killed at the")
    assert r["wall"] < 10


def test_a_child_result_is_its_last_result_line():
    cells = _cells()
    code = "print('noise'); print('RESULT {\"seconds\": 1.5}')"
    r = cells.run_process([sys.executable, "-c", code], timeout=30)
    assert r["seconds"] == 1.5 and r["wall"] > 0
    r = cells.run_process([sys.executable, "-c", "raise SystemExit('no result')"], timeout=30)
    assert r["error"] == "no result"
