"""Trace/compile latency: f(x) = sum(chain(x)), chain = 200 elementwise ops (sin, *1.01, tanh,
+0.5 repeated) on a (1000,) float64 vector; the measured function is grad(f)
(``wirejit`` = ``wire.jit(wire.grad(f))``, ``jaxjit`` = ``jax.jit(jax.grad(f))``).

*First call*: a fresh closure with a perturbed constant each time, so no cache can hit (GC
collected before and disabled during each sample, for every system alike) — for
jit systems this is trace + simplify/lower + compile + run. *Phases*: wire's first call split
into trace of f, derivation, simplification, jit's own simplification check, code generation
(+ Python's ``compile``) and the first run, next to JAX's trace / lower / XLA compile / run.
*Fresh process*: the first ``jit(grad(f))`` call measured inside new ``python -c`` processes
(the first process of a run uses a constant no earlier run used, so any on-disk compile cache
is cold; the later processes repeat the same function, so a persistent cache hits — wire's
and JAX's, both pointed at a temporary directory; a third row runs wire with its disk cache
off). Interpreter start-up and the imports are
reported separately from the call. *Steady state*: the same function after its first call,
with the forward chain alone in NumPy and in numexpr (one fused expression) when installed.
*Two tiers* (not in quick runs): the first ``jit(grad)`` call on a 30 000-op scalar chain,
whose gradient is evaluated as derived until it is hot, against ``tiered=False``, which
simplifies and compiles it at once; then the later calls of each tier and the one that tiers up.
"""

from __future__ import annotations

import gc
import shutil
import statistics
import sys
import tempfile
import time

from . import harness

N_OPS = 200
SIZE = 1000


def chain_wire(c):
    import wire.numpy as wnp

    def f(x):
        for _ in range(N_OPS // 4):
            x = wnp.tanh(wnp.sin(x) * c) + 0.5
        return wnp.sum(x)

    return f


def numpy_grad(c):
    import numpy as np

    def g(x):
        saved = []
        for _ in range(N_OPS // 4):
            s = np.sin(x)
            t = np.tanh(s * c)
            saved.append((x, t))
            x = t + 0.5
        ct = np.ones_like(x)
        for x0, t in reversed(saved):
            ct = ct * (1.0 - t * t) * c * np.cos(x0)
        return ct

    return g


def _factories():
    import wire

    f = {
        "numpy": numpy_grad,
        "wire": lambda c: wire.grad(chain_wire(c)),
        "wirejit": lambda c: wire.jit(wire.grad(chain_wire(c))),
    }
    ag = harness.optional("autograd")
    if ag is not None:
        import autograd.numpy as anp

        def ag_f(c):
            def f(x):
                for _ in range(N_OPS // 4):
                    x = anp.tanh(anp.sin(x) * c) + 0.5
                return anp.sum(x)

            return ag.grad(f)

        f["autograd"] = ag_f
    jax = harness.optional("jax")
    if jax is not None:
        import jax.numpy as jnp

        def jax_f(c, jit):
            def f(x):
                for _ in range(N_OPS // 4):
                    x = jnp.tanh(jnp.sin(x) * c) + 0.5
                return jnp.sum(x)

            g = jax.grad(f)
            return harness.as_numpy(jax.jit(g) if jit else g)

        f["jax"] = lambda c: jax_f(c, False)
        f["jaxjit"] = lambda c: jax_f(c, True)
    return f


def wire_split(x, c) -> dict:
    """Seconds of each phase of a first ``jit(grad(f))`` call, done one phase at a time
    (plus the measured first call of the same function, fresh, for comparison)."""
    import wire

    try:  # internals: report what exists, so this keeps working while they change
        from wire.runtime.compiler import compile_graph
    except ImportError:
        compile_graph = None
    try:
        from wire.api.jit import _simplify as jit_simplify
    except ImportError:
        jit_simplify = None
    try:  # the table grad simplifies with (wire.simplify's default, ALGEBRA, collects no terms)
        from wire.transforms.rules import DERIVATIVES
    except ImportError:
        DERIVATIVES = None
    f = chain_wire(c)
    gc.collect()
    out = {}
    t = time.perf_counter()
    graph = wire.trace(f, x)
    out["trace f"], t = time.perf_counter() - t, time.perf_counter()
    derived = wire.grad(graph, simplify=False)
    out["derive"], t = time.perf_counter() - t, time.perf_counter()
    simple = wire.simplify(derived, DERIVATIVES)
    out["simplify"], t = time.perf_counter() - t, time.perf_counter()
    if jit_simplify is not None and not getattr(wire.grad(f), "simplified", False):
        # jit simplifies again only what a transform did not simplify itself (grad does)
        simple = jit_simplify(simple)
        out["jit re-simplify"], t = time.perf_counter() - t, time.perf_counter()
    if compile_graph is not None:
        compiled = compile_graph(simple)
        out["codegen + compile()"], t = time.perf_counter() - t, time.perf_counter()
        compiled(x)
        out["run"] = time.perf_counter() - t
    out["sum of phases"] = sum(out.values())
    g = wire.jit(wire.grad(chain_wire(c * (1 + 1e-9))))
    gc.collect()
    t = time.perf_counter()
    g(x)
    out["jit(grad(f)) first call"] = time.perf_counter() - t
    out["nodes traced / derived / simplified"] = (len(graph), len(derived), len(simple))
    return out


def jax_split(x, c) -> dict | None:
    """JAX's first ``jit(grad(f))`` call split by its ahead-of-time API."""
    jax = harness.optional("jax")
    if jax is None:
        return None
    import jax.numpy as jnp
    import numpy as np

    def f(x):
        for _ in range(N_OPS // 4):
            x = jnp.tanh(jnp.sin(x) * c) + 0.5
        return jnp.sum(x)

    gc.collect()
    out = {}
    t = time.perf_counter()
    jitted = jax.jit(jax.grad(f))
    if hasattr(jitted, "trace"):  # JAX ≥ 0.4.30 separates tracing from lowering
        traced = jitted.trace(x)
        out["trace"], t = time.perf_counter() - t, time.perf_counter()
        lowered = traced.lower()
        out["lower"], t = time.perf_counter() - t, time.perf_counter()
    else:
        traced, lowered = None, jitted.lower(x)
        out["trace + lower"], t = time.perf_counter() - t, time.perf_counter()
    compiled = lowered.compile()
    out["XLA compile"], t = time.perf_counter() - t, time.perf_counter()
    np.asarray(compiled(x))
    out["run"] = time.perf_counter() - t
    out["sum of phases"] = sum(out.values())
    if traced is not None:
        out["jaxpr eqns"] = len(traced.jaxpr.eqns)
    return out


def _split_text(splits: list[dict], title: str) -> str:
    keys = list(splits[0])
    rows = []
    for key in keys:
        vals = [sp[key] for sp in splits]
        if isinstance(vals[0], (tuple, int)):
            rows.append([key, " / ".join(f"{v:,}" for v in vals[0]) if isinstance(vals[0], tuple)
                         else f"{vals[0]:,}", ""])
        else:
            rows.append([key, harness.fmt_time(statistics.median(vals)),
                         f"{harness.fmt_time(min(vals))} – {harness.fmt_time(max(vals))}"])
    return harness.table(title, ["phase", "median", "range"], rows)


# --------------------------------------------------------------------------- fresh processes

_CHILD_CHAIN = f"""
def f(x):
    for _ in range({N_OPS // 4}):
        x = np_.tanh(np_.sin(x) * C) + 0.5
    return np_.sum(x)
"""

WIRE_CHILD = """import time; T0 = time.time(); P0 = time.perf_counter()
import json, os, sys
os.environ["WIRE_CACHE_DIR"] = sys.argv[2]
if len(sys.argv) > 3:
    os.environ["WIRE_DISK_CACHE"] = sys.argv[3]
import numpy as np
P1 = time.perf_counter()
import wire, wire.numpy as np_
P2 = time.perf_counter()
C = float(sys.argv[1])
""" + _CHILD_CHAIN + """
g = wire.jit(wire.grad(f))
x = np.linspace(-1.0, 1.0, 1000)
C3 = time.process_time(); P3 = time.perf_counter(); r = np.asarray(g(x))
P4 = time.perf_counter(); C4 = time.process_time()
print("RESULT " + json.dumps({"start": T0, "import numpy": P1 - P0, "import": P2 - P1,
                              "first call": P4 - P3, "first call CPU": C4 - C3,
                              "check": float(r.sum())}))
"""

JAX_CHILD = """import time; T0 = time.time(); P0 = time.perf_counter()
import json, sys
import numpy as np
P1 = time.perf_counter()
import jax, jax.numpy as np_
jax.config.update("jax_enable_x64", True)
jax.config.update("jax_compilation_cache_dir", sys.argv[2])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
P2 = time.perf_counter()
C = float(sys.argv[1])
""" + _CHILD_CHAIN + """
g = jax.jit(jax.grad(f))
x = np.linspace(-1.0, 1.0, 1000)
C3 = time.process_time(); P3 = time.perf_counter(); r = np.asarray(g(x))
P4 = time.perf_counter(); C4 = time.process_time()
print("RESULT " + json.dumps({"start": T0, "import numpy": P1 - P0, "import": P2 - P1,
                              "first call": P4 - P3, "first call CPU": C4 - C3,
                              "check": float(r.sum())}))
"""


def fresh_processes(warm: int) -> dict:
    """{system: [child results]}: the first is the cold process, then ``warm`` more."""
    from . import cells

    systems = {"wirejit": (WIRE_CHILD, ()), "wirejit, no disk cache": (WIRE_CHILD, ("0",))}
    if harness.optional("jax") is not None:
        systems["jaxjit"] = (JAX_CHILD, ())
    c = repr(1.01 + 1e-9 * (time.time_ns() % 9973 + 1))  # new to every cache, same in a run
    cache = tempfile.mkdtemp(prefix="bench-jit-cache-")  # (wire's and JAX's, both cold)
    out: dict[str, list[dict]] = {k: [] for k in systems}
    try:
        for _ in range(warm + 1):
            for name, (code, extra) in systems.items():
                t0 = time.time()
                r = cells.run_process([sys.executable, "-c", code, c, cache, *extra],
                                      timeout=300.0)
                if "start" in r:
                    r["interpreter start-up"] = r["start"] - t0
                out[name].append(r)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


def _fresh_text(res: dict) -> str:
    rows = []
    for name, rs in res.items():
        good = [r for r in rs if "first call" in r]
        if len(good) < len(rs):
            bad = next(r for r in rs if "first call" not in r)
            rows.append([name, f"failed: {bad.get('error')}", "", "", "", "", "", ""])
            continue
        warm = good[1:] or good
        med = {k: statistics.median(r[k] for r in warm)
               for k in ("first call", "interpreter start-up", "import", "import numpy", "wall")}
        rows.append([
            name, harness.fmt_time(good[0]["first call"]), harness.fmt_time(med["first call"]),
            (f"{harness.fmt_time(min(r['first call'] for r in warm))} – "
             f"{harness.fmt_time(max(r['first call'] for r in warm))}"),
            harness.fmt_time(statistics.median(r["first call CPU"] for r in warm)),
            harness.fmt_time(med["interpreter start-up"]),
            f"{harness.fmt_time(med['import numpy'])} + {harness.fmt_time(med['import'])}",
            harness.fmt_time(med["wall"]), str(len(warm)),
        ])
    return harness.table(
        "first call of jit(grad(f)) in a fresh process (measured inside the child)",
        ["system", "first process (cold cache)", "later processes (median)", "range",
         "later processes, CPU time (median)", "interpreter start-up", "import numpy + import system", "process wall", "processes"],
        rows)


# --------------------------------------------------------------------------- steady state


def numexpr_forward(c):
    """The forward chain as one numexpr expression (fused, cache-blocked), or None."""
    ne = harness.optional("numexpr")
    if ne is None:
        return None
    expr = "x"
    for _ in range(N_OPS // 4):
        expr = f"(tanh(sin({expr}) * {c!r}) + 0.5)"
    return lambda x: ne.evaluate(expr, local_dict={"x": x})


def numpy_forward(c):
    import numpy as np

    def f(x):
        for _ in range(N_OPS // 4):
            x = np.tanh(np.sin(x) * c) + 0.5
        return x

    return f


# --------------------------------------------------------------------------- two tiers

TIER_OPS = 30_000  # a scalar chain whose 82 500-node gradient is above COMPILE_COLLECT_LIMIT


def tiers(rounds: int = 2) -> dict:
    """CPU seconds of ``jit(grad(chain))``'s first call on the deep scalar chain, evaluated
    first (two tiers, the default) and compiled at once (``tiered=False``), alternating, each
    on a new chain (new constants: no memo or cache hit); then each entry's later calls: the
    evaluated ones, the one that tiers up, and the compiled ones; and whether every value
    agreed bit for bit."""
    import numpy as np

    import wire
    import wire.numpy as wnp

    from .chain import chain

    out: dict = {"first, two tiers": [], "first, tiered=False": [], "evaluated call": [],
                 "compiled call": [], "tier-up call": [], "calls before tier-up": [],
                 "same bits": True}
    k = 0
    for _ in range(rounds):
        for tiered in (True, False):
            k += 1
            f = wire.jit(wire.grad(chain(TIER_OPS, wnp, a=1.01 + 1e-9 * k)), tiered=tiered,
                         disk_cache=False)
            gc.collect()
            t = time.process_time()
            first = f(0.3)
            dt = time.process_time() - t
            if not tiered:
                out["first, tiered=False"].append(dt)
                continue
            out["first, two tiers"].append(dt)
            (entry,) = f._cache.values()
            calls = 1
            while entry.raw is not None and calls < 200:  # until it tiers up
                t = time.process_time()
                value = f(0.3)
                dt = time.process_time() - t
                calls += 1
                out["tier-up call" if entry.raw is None else "evaluated call"].append(dt)
                out["same bits"] &= bool(np.array_equal(value, first))
            out["calls before tier-up"].append(calls - 1)
            for _ in range(3):
                t = time.process_time()
                value = f(0.3)
                out["compiled call"].append(time.process_time() - t)
                out["same bits"] &= bool(np.array_equal(value, first))
    return out


def _tiers_text(res: dict) -> str:
    rows = []
    for key, vals in res.items():
        if key == "same bits":
            rows.append([key, "yes" if vals else "**no**", ""])
        elif key == "calls before tier-up":
            rows.append([key, " / ".join(map(str, vals)), ""])
        elif vals:
            rows.append([key, harness.fmt_time(statistics.median(vals)),
                         f"{harness.fmt_time(min(vals))} – {harness.fmt_time(max(vals))}"])
    return harness.table(
        f"two tiers: jit(grad(chain)) on a {TIER_OPS:,}-op scalar chain, CPU time (the first "
        "tier evaluates the gradient as derived; once its calls have taken as long as "
        "compiling is estimated to, the entry is simplified and compiled)",
        ["", "median", "range"], rows)


def report(quick: bool = False) -> str:
    import numpy as np

    x = np.linspace(-1.0, 1.0, SIZE)
    factories = _factories()
    ref = factories["numpy"](1.01)(x)
    samples = 1 if quick else 5
    first: dict[str, list[float]] = {k: [] for k in factories}
    cold = {}
    errs = {}
    k = 0
    for s in range(samples + 1):
        for name, make in factories.items():
            k += 1
            c = 1.01 + 1e-7 * k
            fn = make(c)
            gc.collect()  # as in the interleaved timings: no collection lands inside a sample
            gc.disable()
            try:
                t0 = time.perf_counter()
                fn(x)
                dt = time.perf_counter() - t0
            finally:
                gc.enable()
            if s == 0:
                cold[name] = dt
            else:
                first[name].append(dt)
    rows = []
    base = statistics.median(first["numpy"])
    for name, ts in first.items():
        med = statistics.median(ts)
        rows.append([name, harness.fmt_time(med), harness.fmt_time(min(ts)),
                     harness.fmt_time(max(ts)), harness.fmt_time(cold[name]),
                     f"{med / base:.2f}×", str(len(ts))])
    text = harness.table(
        "first call of a fresh function (trace + compile + run for jit systems)",
        ["system", "median", "min", "max", "cold (process-first)", "ratio vs numpy", "samples"],
        rows)
    if "jaxjit" in first:
        r = statistics.median(first["wirejit"]) / statistics.median(first["jaxjit"])
        text += f"\nwirejit first call ÷ jaxjit first call: **{r:.3f}×** (target ≤ 0.1×)\n"
    splits = [wire_split(x, 1.01 + 1e-6 * (i + 1)) for i in range(samples)]
    text += "\n" + _split_text(splits, "wirejit first call, phase by phase (median over "
                                f"{samples} fresh functions)")
    jsplits = [jax_split(x, 1.01 + 1e-6 * (i + 1)) for i in range(samples)]
    if jsplits[0] is not None:
        text += "\n" + _split_text(jsplits, "jaxjit first call, by JAX's ahead-of-time API")
    text += "\n" + _fresh_text(fresh_processes(warm=0 if quick else 7))
    if not quick:  # (a 30 000-op chain: tens of seconds)
        text += "\n" + _tiers_text(tiers())
    text += ("\nLater processes read the on-disk compile caches the first one wrote (wire's "
             "and JAX's, in a fresh directory); the no-disk-cache row redoes the first call. "
             "CPU time is the call's process time: on a loaded machine, where other processes "
             "preempt the child, it is closer to what the call takes on an idle one. "
             "Issue 16 goal: wirejit in a fresh process ≤ 10 ms.\n\n")

    import wire

    steady = {}
    for name, make in factories.items():
        steady[name] = make(1.01)
    # NumPy code alone (no native kernels): what wire.jit ran before it had them
    steady["wirejit numpy code"] = wire.jit(wire.grad(chain_wire(1.01)), fuse=False)
    # a hot wire.jit signature gets its native kernels built in the background (or read
    # from the disk cache): call it as a steady workload would, then wait for them
    hot = steady["wirejit"]
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.2:
        hot(x)
    native = hot.wait_native(timeout=60)
    for name, fn in steady.items():
        errs[name] = harness.rel_err(fn(x), ref)
    if quick:
        steady.pop("jax", None)
    fwd = {"numpy forward only": numpy_forward(1.01), "numexpr forward only": numexpr_forward(1.01)}
    ref_fwd = fwd["numpy forward only"](x)
    for name, fn in fwd.items():
        if fn is not None:
            steady[name] = fn
            errs[name] = harness.rel_err(fn(x), ref_fwd)
    res = harness.compare({name: (lambda fn=fn: fn(x)) for name, fn in steady.items()},
                          rounds=5 if quick else 15, target=0.03 if quick else 0.08)
    text += harness.timing_table("steady state (same function, after the first call; the "
                                 "forward-only rows compute the chain without its gradient)",
                                 res, errs)
    text += harness.paired(res, "wirejit", "jaxjit")
    text += (f"wirejit runs native kernels: {'yes' if native else 'no (no C compiler with libmvec, or WIRE_NATIVE=0)'}\n")
    text += harness.paired(res, "numexpr forward only", "numpy forward only")
    text += "(issue 16 goal: wirejit ≤ 0.40× numpy)\n"
    return text


TITLE = "Compile latency: grad of a 200-op elementwise chain on a (1000,) vector"
