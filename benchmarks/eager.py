"""Eager (un-jitted) calls, the way scripts use ``wire.grad``: systems side by side.

Systems: hand-written NumPy where a hand derivative makes sense (``numpy``), ``wire.grad``
called eagerly (``wire``), HIPS autograd (``autograd``) and JAX's ``jax.grad`` without ``jit``
(``jax``). Sections:

1. *small grad call, memoized*: ``grad`` w.r.t. w of ``sum(tanh(x @ w + 1)**2)``, x (4,),
   w (4, 4), the same function every call (wire derives its graph once and memoizes it);
2. *closure over fresh data*: the same function, but each call closes over a new 4-vector x
   (``grad(lambda w: f(w, x_new))(w)``), as every training loop over batches does;
3. *200-op elementwise chain*: ``grad`` of ``sum(chain(x))`` on a (1000,) vector (the chain of
   the ``compile`` workload), ratio to the hand-written backward pass;
4. *stochastic variational inference*: a mixture of Gaussians fitted to a ring-shaped mixture
   target, written in the style of autograd's ``mixture_variational_inference`` example (Python
   loops over components, fresh Monte-Carlo samples drawn with NumPy each step and closed
   over); 30 Adam steps, wall time, systems in interleaved rounds with the same samples;
5. *deep scalar chain* (:mod:`benchmarks.chain`): trace, derivation and simplification per node
   at 1k, 10k and 100k ops, and eager ``grad(chain)(x)`` of wire against autograd and JAX, each
   size in fresh child processes with a cell cap (see :mod:`benchmarks.cells`).

Sections 1–3 use :func:`benchmarks.harness.compare` (interleaved rounds, paired ratios).
"""

from __future__ import annotations

import functools
import math
import statistics
import time

from . import cells, harness
from .chain import X0

# --------------------------------------------------------------------------- 1, 2: small calls


def _small_f(ns):
    def f(w, x):
        return ns.sum(ns.tanh(ns.dot(x, w) + 1.0) ** 2)

    return f


def _small_numpy_grad(w, x):
    import numpy as np

    t = np.tanh(x @ w + 1.0)
    return np.outer(x, 2.0 * t * (1.0 - t * t))


def _small_systems() -> dict:
    """{name: grad function of (w, x)}."""
    import wire
    import wire.numpy as wnp

    systems = {"numpy": _small_numpy_grad, "wire": wire.grad(_small_f(wnp))}
    ag = harness.optional("autograd")
    if ag is not None:
        import autograd.numpy as anp

        systems["autograd"] = ag.grad(_small_f(anp))
    jax = harness.optional("jax")
    if jax is not None:
        import jax.numpy as jnp

        systems["jax"] = harness.as_numpy(jax.grad(_small_f(jnp)))
    return systems


def _closure_systems() -> dict:
    """{name: grad function of (w, x) that differentiates a new closure over x each call}."""
    import wire
    import wire.numpy as wnp

    def fresh(grad, f):
        return lambda w, x: grad(lambda w_: f(w_, x))(w)

    systems = {"numpy": _small_numpy_grad, "wire": fresh(wire.grad, _small_f(wnp))}
    ag = harness.optional("autograd")
    if ag is not None:
        import autograd.numpy as anp

        systems["autograd"] = fresh(ag.grad, _small_f(anp))
    jax = harness.optional("jax")
    if jax is not None:
        import jax.numpy as jnp

        systems["jax"] = harness.as_numpy(fresh(jax.grad, _small_f(jnp)))
    return systems


def _small_section(quick: bool, fresh: bool) -> str:
    import numpy as np

    systems = _closure_systems() if fresh else _small_systems()
    if quick and fresh:
        systems.pop("jax", None)  # eager JAX costs milliseconds per call: full runs only
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=(4, 4)), rng.normal(size=4)
    ref = _small_numpy_grad(w, x)
    errs = {k: harness.rel_err(fn(w, x), ref) for k, fn in systems.items()}
    calls = {}
    for seed, (name, fn) in enumerate(systems.items()):
        if fresh:  # a new vector each call, drawn the same way (and at the same cost) for all
            draw = np.random.default_rng(seed).standard_normal
            calls[name] = lambda fn=fn, draw=draw: fn(w, draw(4))
        else:
            calls[name] = lambda fn=fn: fn(w, x)
    res = harness.compare(calls, rounds=5 if quick else 25, target=0.01 if quick else 0.04)
    title = ("closure over a new 4-vector each call: grad(lambda w: f(w, x_new))(w)" if fresh
             else "small grad call, same function every call (memoized graph)")
    goal = "≤ 1.0×" if fresh else "≤ 0.7×"
    return (harness.timing_table(title, res, errs) + harness.paired(res, "wire", "autograd")
            + f"(issue 14 goal: wire ÷ autograd {goal})\n")


# --------------------------------------------------------------------------- 3: 200-op chain


def _chain_section(quick: bool) -> str:
    import numpy as np

    from . import compile_latency as cl

    factories = cl._factories()
    names = ("numpy", "wire", "autograd") + (() if quick else ("jax",))
    systems = {k: factories[k](1.01) for k in names if k in factories}
    x = np.linspace(-1.0, 1.0, cl.SIZE)
    ref = systems["numpy"](x)
    errs = {k: harness.rel_err(fn(x), ref) for k, fn in systems.items()}
    res = harness.compare({k: (lambda fn=fn: fn(x)) for k, fn in systems.items()},
                          rounds=3 if quick else 15, target=0.02 if quick else 0.1)
    return (harness.timing_table(
        f"grad of sum(chain(x)), {cl.N_OPS}-op elementwise chain, x ({cl.SIZE},), eager", res,
        errs) + harness.paired(res, "wire", "autograd")
        + "(issue 14 goal: wire ≤ autograd, i.e. wire ÷ autograd ≤ 1.0×)\n")


# --------------------------------------------------------------------------- 4: SVI

D, K, T = 2, 6, 8  # dimensions, variational components, target components
LOG2PI = math.log(2 * math.pi)


def _target():
    """A ring of T Gaussians of unequal weights (log weights, means, log stds)."""
    import numpy as np

    angles = 2 * np.pi * np.arange(T) / T
    means = 3.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    log_stds = np.log(np.linspace(0.4, 0.8, T))[:, None] * np.ones((T, D))
    logits = np.linspace(0.0, 1.0, T)
    return logits - np.log(np.sum(np.exp(logits))), means, log_stds


def svi_objective(ns):
    """The negative ELBO of a K-component diagonal-Gaussian mixture q against the target,
    estimated with reparametrised samples ``eps`` (K, S, D), stratified by component."""
    t_logw, t_means, t_log_stds = _target()

    def gauss_logpdf(z, mean, log_std):
        return ns.sum(-0.5 * ((z - mean) / ns.exp(log_std)) ** 2 - log_std, axis=1) \
            - 0.5 * D * LOG2PI

    def logsumexp(terms):
        m = functools.reduce(ns.maximum, terms)
        return m + ns.log(sum(ns.exp(t - m) for t in terms))

    def log_target(z):
        return logsumexp([t_logw[t] + gauss_logpdf(z, t_means[t], t_log_stds[t])
                          for t in range(T)])

    def objective(params, eps):
        logits, means, log_stds = params["logits"], params["means"], params["log_stds"]
        logw = logits - ns.log(ns.sum(ns.exp(logits)))
        elbo = 0.0
        for k in range(K):
            z = means[k] + ns.exp(log_stds[k]) * eps[k]
            log_q = logsumexp([logw[j] + gauss_logpdf(z, means[j], log_stds[j])
                               for j in range(K)])
            elbo = elbo + ns.exp(logw[k]) * ns.mean(log_target(z) - log_q)
        return -elbo

    return objective


def svi_init():
    import numpy as np

    rng = np.random.default_rng(1)
    return {"logits": np.zeros(K), "means": rng.normal(size=(K, D)),
            "log_stds": np.zeros((K, D))}


def _svi_grad_makers() -> dict:
    """{name: make(eps) -> gradient function of params}: a new closure over eps each step."""
    import numpy as np

    import wire
    import wire.numpy as wnp

    makers = {}
    obj = svi_objective(wnp)
    makers["wire"] = lambda eps: wire.grad(lambda p: obj(p, eps))
    ag = harness.optional("autograd")
    if ag is not None:
        import autograd.numpy as anp

        ag_obj = svi_objective(anp)
        makers["autograd"] = lambda eps: ag.grad(lambda p: ag_obj(p, eps))
    jax = harness.optional("jax")
    if jax is not None:
        import jax.numpy as jnp

        jax_obj = svi_objective(jnp)

        def jax_maker(eps):
            g = jax.grad(lambda p: jax_obj(p, eps))
            return lambda p: {k: np.asarray(v) for k, v in g(p).items()}

        makers["jax"] = jax_maker
    return makers


def svi_run(make_grad, steps: int, samples: int, seed: int, lr: float = 0.05):
    """``steps`` of Adam (hand-written NumPy, the same for every system); final params."""
    import numpy as np

    params = svi_init()
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(a) for k, a in params.items()}
    rs = np.random.RandomState(seed)
    b1, b2 = 0.9, 0.999
    for t in range(1, steps + 1):
        eps = rs.randn(K, samples, D)  # fresh Monte-Carlo samples, closed over
        g = make_grad(eps)(params)
        for k in params:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            step = lr * (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + 1e-8)
            params = {**params, k: params[k] - step}
    return params


def _svi_section(quick: bool) -> str:
    import numpy as np

    import wire

    steps, samples, rounds = (1, 5, 1) if quick else (30, 20, 3)
    makers = _svi_grad_makers()
    if quick:
        makers.pop("jax", None)
    eps0 = np.random.RandomState(12345).randn(K, samples, D)
    nodes = len(wire.trace(makers["wire"](eps0), svi_init()))
    times: dict[str, list[float]] = {k: [] for k in makers}
    finals: dict[str, list] = {k: [] for k in makers}
    names = list(makers)
    for r in range(rounds):  # rotate the order; each round draws its own samples
        for name in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.perf_counter()
            finals[name].append(svi_run(makers[name], steps, samples, seed=1000 * r))
            times[name].append(time.perf_counter() - t0)
    ref = "autograd" if "autograd" in makers else "wire"
    obj = svi_objective(np)
    start = obj(svi_init(), eps0)
    rows = []
    for name in names:
        ratios = [t / t0 for t, t0 in zip(times[name], times[ref])]
        err = max(harness.rel_err(a, b) for a, b in zip(finals[name], finals[ref]))
        rows.append([name, harness.fmt_time(statistics.median(times[name])),
                     harness.fmt_time(min(times[name])), harness.fmt_time(max(times[name])),
                     f"{statistics.median(ratios):.2f}×", str(len(times[name])), f"{err:.1e}",
                     f"{obj(finals[name][0], eps0):.3f}"])
    return harness.table(
        f"SVI, mixture of {K} Gaussians against a {T}-component target, {steps} Adam steps, "
        f"{samples} fresh samples per component per step (wall time of the whole loop)",
        ["system", "median", "min", "max", f"ratio vs {ref} (paired)", "rounds",
         f"final params rel err vs {ref}", f"-ELBO after (start {start:.3f})"], rows) + (
        f"\nwire's gradient graph: {nodes:,} operation nodes (simplified). "
        "(issue 14 goal: wire ≤ autograd's wall time)\n")


# --------------------------------------------------------------------------- 5: deep chain

CHAIN_SIZES = (1_000, 10_000, 100_000)


def _deep_chain_section(quick: bool, max_size, cap: float) -> str:
    sizes = [n for n in ((200,) if quick else CHAIN_SIZES) if max_size is None or n <= max_size]
    stages = ["trace", "grad_graph", "simplify"]
    if quick:  # one child for all three stages: a smoke test, not a measurement
        both = {n: cells.run_cell("benchmarks.chain", "wire_cells", cap * cells.HARD_CAP_FACTOR,
                                  ops=stages, size=n) for n in sizes}
        per = {op: {n: both[n].get(op, both[n]) for n in sizes} for op in stages}
    else:
        per = {op: cells.sweep(sizes, lambda n, hard, op=op: cells.run_cell(
            "benchmarks.chain", "wire_cell", hard, op=op, size=n), soft_cap=cap)
            for op in stages}
    ag = harness.optional("autograd") is not None
    pair_systems = ["autograd", "wire"] if ag else ["wire"]

    def rounds(n):
        return 2 if quick else (5 if n <= 10_000 else 1)

    pair = cells.sweep(sizes, lambda n, hard: cells.run_cell(
        "benchmarks.chain", "eager_cell", hard, size=n, systems=pair_systems, rounds=rounds(n)),
        soft_cap=cap)
    jax = {}
    if harness.optional("jax") is not None and not quick:
        jax = cells.sweep(sizes, lambda n, hard: cells.run_cell(
            "benchmarks.chain", "eager_cell", hard, size=n, systems=["jax"], rounds=rounds(n)),
            soft_cap=cap)

    def us(op):  # wall time, and the child's CPU time where the cell measured it
        return lambda n: cells.cell_text(per[op].get(n), lambda r: f"{r['seconds'] / n * 1e6:.1f}"
                                         + (f" ({r['cpu_seconds'] / n * 1e6:.1f})"
                                            if "cpu_seconds" in r else ""))

    def sys_time(res, name):
        return cells.cell_text(res, lambda r: harness.fmt_time(r["median"][name]))

    def ratio(res, name):
        return cells.cell_text(res, lambda r: f"{r['ratio'][name]:.2f}×" if name in r["ratio"]
                               else "—")

    rows = []
    for n in sizes:
        p = pair.get(n)
        rows.append([f"{n:,}", us("trace")(n), us("grad_graph")(n), us("simplify")(n),
                     sys_time(p, "autograd") if ag else "—", sys_time(p, "wire"),
                     sys_time(p, "wire repeat"), sys_time(jax.get(n), "jax") if jax else "—",
                     ratio(p, "wire") if ag else "—", ratio(p, "wire repeat") if ag else "—",
                     cells.cell_text(p, lambda r: f"{max(r['rel_err'].values()):.1e}")])
    errs = [f"{op} at {n:,}: {r['error']}" for op, row in per.items()
            for n, r in row.items() if "error" in r]
    return harness.table(
        "deep scalar chain (x = tanh(sin(x)*1.01)*0.99, 4 ops per step, x = "
        f"{X0}): wire's stages in µs per forward op; eager grad(chain)(x) per system",
        ["ops", "trace µs/op", "grad graph µs/op", "simplify µs/op", "autograd grad",
         "wire grad (first call)", "wire grad (repeat)", "jax grad (eager)",
         "wire first ÷ autograd (paired)", "wire repeat ÷ autograd (paired)",
         "max rel err vs hand derivative"], rows) + (
        "\nStages: wall time per forward op, the child process's CPU time in parentheses "
        "(they differ where other processes hold the cores). "
        "wire *first call* = a new function (fresh constant), so wire traces, derives, "
        "simplifies and evaluates; *repeat* = the same function again (trace, memo hit, "
        "evaluate). autograd and JAX re-trace every call. Each size runs in fresh processes "
        "(wire and autograd interleaved in one, "
        + ("2 rounds" if quick else "5 rounds up to 10k ops, 1 above")
        + f"; JAX in another); cell cap {cap:.0f} s. Issue 14 goals: trace, grad graph and "
        "simplify ≤ 15 µs/op each at every size; wire ≤ 2× autograd.\n"
        + ("" if not errs else "\nFailed cells: " + "; ".join(errs) + "\n"))


# --------------------------------------------------------------------------- report


def report(quick: bool = False, max_size: int | None = None,
           cell_cap: float = cells.DEFAULT_SOFT_CAP) -> str:
    parts = [
        _small_section(quick, fresh=False),
        _small_section(quick, fresh=True),
        _chain_section(quick),
        _svi_section(quick),
        _deep_chain_section(quick, max_size, cell_cap),
    ]
    return "\n".join(parts)


TITLE = "Eager calls: wire.grad without jit against hand NumPy, autograd and JAX eager"
