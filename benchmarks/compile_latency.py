"""Trace/compile latency: f(x) = sum(chain(x)), chain = 200 elementwise ops (sin, *1.01, tanh,
+0.5 repeated) on a (1000,) float64 vector; the measured function is grad(f)
(``wirejit`` = ``wire.jit(wire.grad(f))``, ``jaxjit`` = ``jax.jit(jax.grad(f))``).

*First call*: a fresh closure with a perturbed constant each time, so no cache can hit (GC
collected before and disabled during each sample, for every system alike) — for
jit systems this is trace + simplify/lower + compile + run. *Steady state*: the same function
after its first call. Also shows wire's split of a first call into its phases.
"""

from __future__ import annotations

import gc
import statistics
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


def wire_split(x, c):
    """Seconds spent in each phase of a first ``jit(grad(f))`` call."""
    import wire
    from wire.api import trace_args
    from wire.api.jit import _simplify
    from wire.runtime.compiler import compile_graph

    g = wire.grad(chain_wire(c))
    gc.collect()
    t0 = time.perf_counter()
    graph = trace_args(g, (x,))
    t1 = time.perf_counter()
    # what jit runs: nothing for a transform that simplified its graph itself (grad does)
    simple = graph if getattr(g, "simplified", False) else _simplify(graph)
    t2 = time.perf_counter()
    compiled = compile_graph(simple)
    t3 = time.perf_counter()
    compiled(x)
    t4 = time.perf_counter()
    return {"trace (incl. grad + its simplify)": t1 - t0, "jit simplify": t2 - t1, "compile": t3 - t2,
            "run": t4 - t3, "nodes": len(simple)}


def report(quick: bool = False) -> str:
    import numpy as np

    x = np.linspace(-1.0, 1.0, SIZE)
    factories = _factories()
    ref = factories["numpy"](1.01)(x)
    samples = 3 if quick else 5
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
    splits = [wire_split(x, 1.01 + 1e-6 * i) for i in range(samples)]
    parts = {key: statistics.median(sp[key] for sp in splits) for key in splits[0]}
    text += "\n- wirejit first-call split (median): " + ", ".join(
        f"{key} = {harness.fmt_time(v) if key != 'nodes' else int(v)}"
        for key, v in parts.items()) + "\n\n"

    steady = {}
    for name, make in factories.items():
        fn = make(1.01)
        steady[name] = fn
        errs[name] = harness.rel_err(fn(x), ref)
    if quick:
        steady.pop("jax", None)
    res = harness.compare({name: (lambda fn=fn: fn(x)) for name, fn in steady.items()},
                          rounds=5 if quick else 15, target=0.03 if quick else 0.08)
    text += harness.timing_table("steady state (same function, after the first call)", res, errs)
    text += harness.paired(res, "wirejit", "jaxjit")
    return text


TITLE = "Compile latency: grad of a 200-op elementwise chain on a (1000,) vector"
