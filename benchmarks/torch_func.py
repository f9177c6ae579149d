"""wire against torch.func on three workloads of the suite, side by side with hand NumPy.

The functions, data and NumPy references are those of ``small_call`` (gradient of
``sum(tanh(x @ w + 1)**2)``, w (4, 4)), ``mlp`` (loss and gradients of the 784-512-512-10
MLP, batch 256, float32 and float64) and ``hessian`` (the 200 x 200 Hessian of
``logsumexp(A @ x) + 0.5 ||x||^2``). Systems: ``numpy``; ``wirejit``; ``torchfunc`` =
``torch.func.grad`` / ``grad_and_value`` / ``hessian`` of the same function written with torch
(eager, as torch.func runs; NumPy arrays are shared with torch through ``from_numpy`` and the
results read back with ``.numpy()``, both zero-copy on the CPU); ``jaxjit`` when JAX is
installed, as a cross-check of the other tables. torch runs on one thread like the others.
Skipped without torch.
"""

from __future__ import annotations

from . import harness, hessian, mlp


def _as_numpy(fn, torch):
    """``fn`` over torch tensors, called with and returning NumPy pytrees (zero-copy)."""
    from wire import tree

    def run(*args):
        out = fn(*tree.map(torch.from_numpy, args))
        return tree.map(lambda t: t.detach().numpy(), out)

    return run


def _small(torch, tf):
    import numpy as np

    import wire
    import wire.numpy as wnp

    rng = np.random.default_rng(0)
    w, x = rng.normal(size=(4, 4)), rng.normal(size=4)

    def numpy_grad(w, x):
        t = np.tanh(x @ w + 1.0)
        return np.outer(x, 2.0 * t * (1.0 - t * t))

    systems = {
        "numpy": numpy_grad,
        "wirejit": wire.jit(wire.grad(lambda w, x: wnp.sum(wnp.tanh(x @ w + 1.0) ** 2))),
        "torchfunc": _as_numpy(tf.grad(lambda w, x: torch.sum(torch.tanh(x @ w + 1.0) ** 2)),
                               torch),
    }
    jax = harness.optional("jax")
    if jax is not None:
        import jax.numpy as jnp

        g = jax.jit(jax.grad(lambda w, x: jnp.sum(jnp.tanh(x @ w + 1.0) ** 2)))
        systems["jaxjit"] = harness.as_numpy(g)
    return systems, (w, x)


def _mlp(torch, tf, dtype):
    import wire

    def torch_loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = torch.tanh(h @ w + b)
        w, b = params[-1]
        z = h @ w + b
        return -torch.sum(torch.log_softmax(z, dim=1) * y) / x.shape[0]

    def torch_step(params, x, y):
        grads, loss = tf.grad_and_value(torch_loss)(params, x, y)
        return loss, grads

    systems = {
        "numpy": mlp.numpy_step,
        "wirejit": wire.jit(wire.value_and_grad(mlp.wire_loss)),
        "torchfunc": _as_numpy(torch_step, torch),
    }
    jax = harness.optional("jax")
    if jax is not None:
        systems["jaxjit"] = mlp._systems(dtype)["jaxjit"]
    return systems, mlp.make_data(dtype)


def _hessian(torch, tf):
    base, args = hessian._systems()
    import numpy as np

    rng = np.random.default_rng(0)
    A = torch.from_numpy(rng.normal(size=(300, 200)))  # the same A as hessian._systems

    def f(x):
        return torch.logsumexp(A @ x, dim=0) + 0.5 * torch.sum(x * x)

    systems = {"numpy": base["numpy"], "wirejit": base["wirejit"],
               "torchfunc": _as_numpy(tf.hessian(f), torch)}
    if "jaxjit" in base:
        systems["jaxjit"] = base["jaxjit"]
    return systems, args


def report(quick: bool = False) -> str:
    import numpy as np

    torch = harness.optional("torch")
    if torch is None:
        return "torch is not installed: torch.func is not measured\n"
    torch.set_num_threads(1)
    import torch.func as tf

    cases = [("small jit(grad) call: sum(tanh(x @ w + 1)**2), w (4, 4)", _small(torch, tf))]
    cases += [(f"MLP step {'-'.join(map(str, mlp.SIZES))}, batch {mlp.BATCH}, "
               f"{np.dtype(dt).name}", _mlp(torch, tf, dt)) for dt in (np.float32, np.float64)]
    cases += [("Hessian 200 x 200: logsumexp(A @ x) + 0.5 ||x||^2", _hessian(torch, tf))]
    out = []
    for title, (systems, args) in cases:
        ref = systems["numpy"](*args)
        errs = {k: harness.rel_err(fn(*args), ref) for k, fn in systems.items()}
        res = harness.compare({k: (lambda fn=fn: fn(*args)) for k, fn in systems.items()},
                              rounds=5 if quick else 15, target=0.02 if quick else 0.05)
        out.append(harness.timing_table(title, res, errs)
                   + harness.paired(res, "wirejit", "torchfunc"))
    return "\n".join(out)


TITLE = "wire against torch.func: small call, MLP step, Hessian"
