"""MLP training step: 784-512-512-10, tanh hidden layers, softmax cross-entropy (mean),
batch 256, float32 and float64; loss + gradients of all parameters per step.

NumPy = hand-written forward and backward. The softmax subtracts the (gradient-stopped) row
maximum in every system, as ``jax.nn.log_softmax`` does. ``wirejit fresh`` is ``wirejit``
with ``reuse_buffers=False``: every array allocated per call, as NumPy does (the difference
is the scratch arena's, see docs/performance.md). ``wirejit torch`` is ``wirejit`` with
``gemm="torch"``: its large matrix products run through torch.matmul (MKL) instead of NumPy's
OpenBLAS (see docs/performance.md#gemm-providers); torch runs on one thread, as BLAS does.
"""

from __future__ import annotations

import itertools

from . import harness

SIZES = (784, 512, 512, 10)
BATCH = 256


def make_data(dtype, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    params = [
        ((rng.normal(size=(m, n)) / np.sqrt(m)).astype(dtype), np.zeros(n, dtype))
        for m, n in itertools.pairwise(SIZES)
    ]
    x = rng.normal(size=(BATCH, SIZES[0])).astype(dtype)
    y = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], BATCH)]
    return params, x, y


def numpy_step(params, x, y):
    """Hand-written loss and gradients (activations freed as the backward pass consumes them)."""
    import numpy as np

    hs = [x]
    h = x
    for w, b in params[:-1]:
        h = np.tanh(h @ w + b)
        hs.append(h)
    w, b = params[-1]
    z = h @ w + b
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    logp = z - np.log(s)
    n = x.shape[0]
    loss = -np.sum(logp * y) / n
    g = (e / s - y) / n  # dloss/dz
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        w, b = params[i]
        h = hs.pop()
        grads[i] = (h.T @ g, g.sum(axis=0))
        if i:
            g = (g @ w.T) * (1.0 - h * h)
    return loss, grads


def wire_loss(params, x, y):
    import wire
    import wire.numpy as wnp

    h = x
    for w, b in params[:-1]:
        h = wnp.tanh(h @ w + b)
    w, b = params[-1]
    z = h @ w + b
    z = z - wire.stop_gradient(wnp.max(z, axis=1, keepdims=True))
    logp = z - wnp.log(wnp.sum(wnp.exp(z), axis=1, keepdims=True))
    return -wnp.sum(logp * y) / x.shape[0]


def _systems(dtype):
    import wire

    systems = {
        "numpy": numpy_step,
        "wire": wire.value_and_grad(wire_loss),
        "wirejit": wire.jit(wire.value_and_grad(wire_loss)),
        # every array allocated per call (no scratch arena, no recycled outputs)
        "wirejit fresh": wire.jit(wire.value_and_grad(wire_loss), reuse_buffers=False),
    }
    torch = harness.optional("torch")
    if torch is not None:
        torch.set_num_threads(1)  # (as OpenBLAS: one thread for every system)
        systems["wirejit torch"] = wire.jit(wire.value_and_grad(wire_loss), gemm="torch")
    ag = harness.optional("autograd")
    if ag is not None:
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp

        def ag_loss(params, x, y):
            h = x
            for w, b in params[:-1]:
                h = anp.tanh(anp.dot(h, w) + b)
            w, b = params[-1]
            z = anp.dot(h, w) + b
            return -anp.sum((z - logsumexp(z, axis=1, keepdims=True)) * y) / x.shape[0]

        systems["autograd"] = ag.value_and_grad(ag_loss)
    jax = harness.optional("jax")
    if jax is not None:
        import jax.numpy as jnp

        def jax_loss(params, x, y):
            h = x
            for w, b in params[:-1]:
                h = jnp.tanh(h @ w + b)
            w, b = params[-1]
            z = h @ w + b
            return -jnp.sum(jax.nn.log_softmax(z, axis=1) * y) / x.shape[0]

        systems["jax"] = harness.as_numpy(jax.value_and_grad(jax_loss))
        systems["jaxjit"] = harness.as_numpy(jax.jit(jax.value_and_grad(jax_loss)))
    return systems


def step_gemms(dtype, seed=1):
    """The eight matrix products of one step (the shapes and transposed operands wire's
    code passes), each with an output buffer: ``[(a, b, out), ...]``."""
    import numpy as np

    rng = np.random.default_rng(seed)

    def r(*shape):
        return rng.standard_normal(shape).astype(dtype)

    x, w1, w2, w3 = r(256, 784), r(784, 512), r(512, 512), r(512, 10)
    h1, h2, g1, g2, g3 = r(256, 512), r(256, 512), r(256, 512), r(256, 512), r(256, 10)
    ops = [(x, w1), (h1, w2), (h2, w3), (h2.T, g3), (g3, w3.T), (h1.T, g2), (g2, w2.T),
           (x.T, g1)]
    return [(a, b, np.empty((a.shape[0], b.shape[1]), dtype)) for a, b in ops]


def _gemm_systems(dtype) -> dict:
    """The step's eight GEMMs alone through NumPy and through wire's torch provider."""
    import numpy as np

    from wire.runtime.gemm import torch_matmul

    ops = step_gemms(dtype)

    def numpy_gemms():
        for a, b, o in ops:
            np.matmul(a, b, out=o)

    def torch_gemms():
        for a, b, o in ops:
            torch_matmul(a, b, o)

    return {"numpy": numpy_gemms, "torch": torch_gemms}


def cpu_time_pairs(systems: dict, args, rounds: int, calls: int = 3) -> dict:
    """Per-call CPU seconds (``time.process_time``) of ``systems`` in interleaved rounds, the
    order reversed every other round: ``{name: [seconds per round]}``. CPU time is what a
    single-threaded step costs whatever else the machine runs; wall time at a load of 8 on
    2 cores swings 2-4x."""
    import gc
    import time

    for fn in systems.values():
        for _ in range(2):
            fn(*args)
    names = list(systems)
    times = {k: [] for k in names}
    gc.collect()
    for r in range(rounds):
        for k in names if r % 2 == 0 else names[::-1]:
            t = time.process_time()
            for _ in range(calls):
                systems[k](*args)
            times[k].append((time.process_time() - t) / calls)
    return times


def _cpu_section(name: str, times: dict) -> str:
    import statistics

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    rows = [f"| {k} | {statistics.median(v) * 1e3:.2f} ms | {ratio(k, 'numpy'):.3f}× |"
            for k, v in times.items()]
    return (f"\n**{name}: CPU time, paired** ({len(times['numpy'])} rounds)\n\n"
            "| system | median | ratio vs numpy (median of per-round ratios) |\n"
            "|---|---:|---:|\n" + "\n".join(rows) + "\n")


def report(quick: bool = False) -> str:
    import numpy as np

    out = []
    for dtype in (np.float32, np.float64):
        args = make_data(dtype)
        systems = _systems(dtype)
        ref = systems["numpy"](*args)
        errs = {k: harness.rel_err(fn(*args), ref) for k, fn in systems.items()}
        if quick:
            systems.pop("jax", None)
        res = harness.compare({k: (lambda fn=fn, args=args: fn(*args)) for k, fn in systems.items()},
                              rounds=5 if quick else 15, target=0.05 if quick else 0.1)
        out.append(harness.timing_table(np.dtype(dtype).name, res, errs)
                   + harness.paired(res, "wirejit", "jaxjit")
                   + harness.paired(res, "wirejit torch", "numpy")
                   + harness.paired(res, "wirejit torch", "wirejit"))
        if "wirejit torch" in systems:  # what the provider changes: the GEMMs alone
            gemms = harness.compare(_gemm_systems(dtype), rounds=5 if quick else 15,
                                    target=0.05 if quick else 0.1)
            out.append(harness.timing_table(f"{np.dtype(dtype).name}: the step's eight GEMMs "
                                            "alone (NumPy's OpenBLAS, torch's MKL)", gemms))
            cpu = cpu_time_pairs({k: systems[k] for k in ("numpy", "wirejit", "wirejit torch")},
                                 args, 8 if quick else 30)
            out.append(_cpu_section(np.dtype(dtype).name, cpu))
    return "\n".join(out)


TITLE = "MLP step: 784-512-512-10 tanh, softmax cross-entropy, batch 256 (loss + grads)"
