"""Peak memory of loss + gradient of a deep MLP: 40 layers x (1024 -> 1024, tanh), batch 512,
float64, no biases, loss = mean(h_L ** 2).

Each system runs in its own subprocess (``python -m benchmarks.memory --child SYSTEM``): it
imports, builds the parameters, reads VmRSS, resets the high-water mark through
``/proc/self/clear_refs``, runs loss + grad once, and reads VmHWM. *peak increase* = VmHWM
during the call - VmRSS just before it (for ``wirejit`` the call includes trace and compile:
there is no ahead-of-time API). The analytic live set: params 320 MiB + grads 320 MiB +
activations 160 MiB + input 4 MiB; a tape that frees each activation as the backward pass
consumes it peaks at grads + two work buffers = **328 MiB** (the tight bound).

**Checkpointing** (``wire.checkpoint``, issue 17) is measured on a second model of the same
depth whose activations, not its gradients, fill the memory (on the model above the gradients
are the whole peak, so keeping fewer activations cannot lower it): 40 × (256 → 256, tanh),
batch 4096 — activations 40 × 8 MiB, gradients 40 × 0.5 MiB. ``wirejit+checkpoint`` wraps
every block of :data:`CKPT_BLOCK` layers in ``wire.checkpoint`` (nothing saved: each block
keeps its input, and runs again in the backward pass); ``+dots`` saves the matrix products
(``checkpoint_policies.dots_saveable``); ``jaxjit+checkpoint`` is ``jax.checkpoint`` on the
same blocks. Each child calls the jitted loss+grad once (trace and compile), then measures the
peak increase of a second call and the median time of a few more; systems alternate over
rounds, and the ratios to ``wirejit`` are medians of per-round ratios.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

from . import harness

DEPTH, WIDTH, BATCH = 40, 1024, 512
TIGHT_BOUND = (DEPTH * WIDTH * WIDTH + 2 * BATCH * WIDTH) * 8
CKPT_WIDTH, CKPT_BATCH, CKPT_BLOCK = 256, 4096, 5  # the checkpointing model (see above)


def _data():
    import numpy as np

    rng = np.random.default_rng(0)
    ws = [rng.normal(size=(WIDTH, WIDTH)) / np.sqrt(WIDTH) for _ in range(DEPTH)]
    x = rng.normal(size=(BATCH, WIDTH))
    return ws, x


def _numpy(ws, x):
    import numpy as np

    hs = [x]
    h = x
    for w in ws:
        h = h @ w
        np.tanh(h, out=h)
        hs.append(h)
    loss = np.mean(h * h)
    g = h * (2.0 / h.size)
    grads = [None] * len(ws)
    for i in range(len(ws) - 1, -1, -1):
        h = hs.pop()  # the last use of this activation: overwrite it with 1 - h**2
        np.multiply(h, h, out=h)
        np.subtract(1.0, h, out=h)
        g *= h
        del h
        grads[i] = hs[-1].T @ g
        g = g @ ws[i].T if i else None
    return loss, grads


def _wire_loss(ws, x):
    import wire.numpy as wnp

    h = x
    for w in ws:
        h = wnp.tanh(h @ w)
    return wnp.mean(h * h)


def _builders():
    def wire_eval():
        import wire

        return wire.value_and_grad(_wire_loss)

    def wire_jit():
        import wire

        return wire.jit(wire.value_and_grad(_wire_loss))

    def autograd_():
        import autograd
        import autograd.numpy as anp

        def loss(ws, x):
            h = x
            for w in ws:
                h = anp.tanh(anp.dot(h, w))
            return anp.mean(h * h)

        return autograd.value_and_grad(loss)

    def jaxjit():
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)

        def loss(ws, x):
            h = x
            for w in ws:
                h = jnp.tanh(h @ w)
            return jnp.mean(h * h)

        f = jax.jit(jax.value_and_grad(loss))
        return lambda ws, x: harness.as_numpy(f)(ws, x)

    return {"numpy": lambda: _numpy, "wire": wire_eval, "wirejit": wire_jit,
            "autograd": autograd_, "jaxjit": jaxjit}


def child(system: str) -> dict:
    harness.pin_threads()
    import numpy as np

    harness.limit_loaded_libraries()
    fn = _builders()[system]()
    ws, x = _data()
    if system == "jaxjit":  # convert the params first, as the anchors do
        import jax.numpy as jnp

        ws, x = [jnp.asarray(w) for w in ws], jnp.asarray(x)
    import gc

    gc.collect()
    before = harness.proc_status("VmRSS")
    ok = harness.reset_peak_memory()
    t0 = time.perf_counter()
    loss, _grads = fn(ws, x)
    dt = time.perf_counter() - t0
    peak = harness.proc_status("VmHWM")
    return {"system": system, "increase": peak - before if ok else float("nan"),
            "process_peak": peak, "seconds": dt, "loss": float(np.asarray(loss))}


def _available(system: str) -> bool:
    mod = {"autograd": "autograd", "jaxjit": "jax", "jaxjit+checkpoint": "jax"}.get(system)
    return mod is None or harness.optional(mod) is not None


# --------------------------------------------------------------------------- checkpointing


def _ckpt_data(width: int, batch: int):
    import numpy as np

    rng = np.random.default_rng(0)
    ws = [rng.normal(size=(width, width)) / np.sqrt(width) for _ in range(DEPTH)]
    return ws, rng.normal(size=(batch, width))


def _blocks(ns, remat, block: int):
    """loss(ws, x): DEPTH tanh layers, every ``block`` of them wrapped by ``remat`` (or not)."""

    def run_block(h, *ws):
        for w in ws:
            h = ns.tanh(h @ w)
        return h

    body = run_block if remat is None else remat(run_block)

    def loss(ws, x):
        h = x
        for i in range(0, len(ws), block):
            h = body(h, *ws[i:i + block])
        return ns.mean(h * h)

    return loss


def _ckpt_builders(block: int):
    def wire_fn(policy, remat: bool):
        import wire
        import wire.numpy as wnp

        def ck(fn):
            return wire.checkpoint(fn, policy=policy)

        # (reuse_buffers=False: a steady call of code with a scratch arena writes into the
        # buffers and recycled outputs of the call before, and its peak increase is ~0; the
        # working memory of a call is what checkpointing changes)
        return wire.jit(wire.value_and_grad(_blocks(wnp, ck if remat else None, block)),
                        reuse_buffers=False)

    def jax_fn(remat: bool):
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        f = jax.jit(jax.value_and_grad(_blocks(jnp, jax.checkpoint if remat else None, block)))
        return lambda ws, x: harness.as_numpy(f)(ws, x)

    def dots():
        import wire

        return wire.checkpoint_policies.dots_saveable

    return {
        "wirejit": lambda: wire_fn(None, False),
        "wirejit+checkpoint": lambda: wire_fn(None, True),
        "wirejit+checkpoint+dots": lambda: wire_fn(dots(), True),
        "jaxjit": lambda: jax_fn(False),
        "jaxjit+checkpoint": lambda: jax_fn(True),
    }


def ckpt_child(system: str, width: int = CKPT_WIDTH, batch: int = CKPT_BATCH,
               block: int = CKPT_BLOCK, calls: int = 2) -> dict:
    harness.pin_threads()
    import numpy as np

    harness.limit_loaded_libraries()
    fn = _ckpt_builders(block)[system]()
    ws, x = _ckpt_data(width, batch)
    if system.startswith("jax"):
        import jax.numpy as jnp

        ws, x = [jnp.asarray(w) for w in ws], jnp.asarray(x)
    import gc

    loss, grads = fn(ws, x)  # trace and compile
    del grads
    gc.collect()
    before = harness.proc_status("VmRSS")
    ok = harness.reset_peak_memory()
    t0 = time.perf_counter()
    loss, grads = fn(ws, x)
    times = [time.perf_counter() - t0]
    peak = harness.proc_status("VmHWM")
    del grads
    for _ in range(calls):
        gc.collect()
        t0 = time.perf_counter()
        fn(ws, x)
        times.append(time.perf_counter() - t0)
    return {"system": system, "increase": peak - before if ok else float("nan"),
            "seconds": statistics.median(times), "loss": float(np.asarray(loss))}


def _run_child(args: list[str]) -> dict:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-m", "benchmarks.memory", *args], check=False,
                       capture_output=True, text=True, cwd=root, env=env)
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def ckpt_report(quick: bool = False) -> str:
    """The checkpointing table (see the module docstring)."""
    rounds = 1 if quick else 3
    width, batch = (64, 256) if quick else (CKPT_WIDTH, CKPT_BATCH)
    systems = [s for s in _ckpt_builders(CKPT_BLOCK) if _available(s)]
    results: dict[str, list[dict]] = {s: [] for s in systems}
    for r in range(rounds):
        order = systems[r % len(systems):] + systems[:r % len(systems)]
        for s in order:
            results[s].append(_run_child(["--ckpt-child", s, str(width), str(batch)]))
    base = results["wirejit"]
    rows = []
    for s, rs in results.items():
        good = [r for r in rs if "increase" in r]
        if not good:
            rows.append([s, f"failed: {rs[0].get('error')}", "", "", "", ""])
            continue
        paired = [(r, b) for r, b in zip(rs, base) if "increase" in r and "increase" in b]
        mem = statistics.median(r["increase"] / b["increase"] for r, b in paired)
        secs = statistics.median(r["seconds"] / b["seconds"] for r, b in paired)
        err = abs(good[0]["loss"] - base[0]["loss"]) / abs(base[0]["loss"])
        rows.append([s, harness.fmt_bytes(statistics.median(r["increase"] for r in good)),
                     f"{mem:.2f}×", harness.fmt_time(statistics.median(r["seconds"] for r in
                                                                           good)),
                     f"{secs:.2f}×", f"{err:.1e}"])
    return harness.table(
        f"checkpointing: loss+grad of {DEPTH} x ({width}->{width}, tanh), batch {batch}, "
        f"float64, blocks of {CKPT_BLOCK} layers (steady call after compiling)",
        ["system", "peak increase (median)", "÷ wirejit (paired)", "call time (median)",
         "÷ wirejit (paired)", "loss rel err vs wirejit"], rows) + (
        "Issue 17 goal: wirejit+checkpoint peak ≤ 0.5× and time ≤ 1.4× wirejit's.\n")


def report(quick: bool = False) -> str:
    runs = 1 if quick else 3
    systems = [s for s in _builders() if _available(s)]
    results: dict[str, list[dict]] = {s: [] for s in systems}
    for _ in range(runs):
        for s in systems:  # interleave systems across runs
            cmd = [sys.executable, "-m", "benchmarks.memory", "--child", s]
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
            p = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=root, env=env)
            if p.returncode != 0:
                results[s].append({"error": p.stderr.strip().splitlines()[-1:]})
                continue
            results[s].append(json.loads(p.stdout.strip().splitlines()[-1]))
    ref_loss = next((r["loss"] for r in results.get("numpy", []) if "loss" in r), None)
    numpy_inc = [r["increase"] for r in results.get("numpy", []) if "increase" in r]
    rows = []
    for s, rs in results.items():
        good = [r for r in rs if "increase" in r]
        if not good:
            rows.append([s, f"failed: {rs[0].get('error')}", "", "", "", "", ""])
            continue
        inc = [r["increase"] for r in good]
        med = statistics.median(inc)
        rng = f" ({harness.fmt_bytes(min(inc))}–{harness.fmt_bytes(max(inc))})" if len(inc) > 1 else ""
        err = abs(good[0]["loss"] - ref_loss) / abs(ref_loss) if ref_loss else float("nan")
        rows.append([
            s, harness.fmt_bytes(med) + rng, f"{med / TIGHT_BOUND:.2f}",
            f"{med / statistics.median(numpy_inc):.2f}×" if numpy_inc else "—",
            harness.fmt_bytes(statistics.median(r["process_peak"] for r in good)),
            harness.fmt_time(statistics.median(r["seconds"] for r in good)), f"{err:.1e}",
        ])
    return harness.table(
        f"peak increase during one loss+grad call (tight bound {harness.fmt_bytes(TIGHT_BOUND)})",
        ["system", "peak increase (median; min–max)", "÷ tight bound", "÷ numpy",
         "process peak", "run time", "loss rel err"], rows) + "\n" + ckpt_report(quick)


TITLE = (f"Peak memory: loss+grad of {DEPTH} x ({WIDTH}->{WIDTH}, tanh), batch {BATCH}, "
         "float64, each system in its own process")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
    elif len(sys.argv) == 5 and sys.argv[1] == "--ckpt-child":
        print(json.dumps(ckpt_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    else:
        print(report(quick="--quick" in sys.argv))
