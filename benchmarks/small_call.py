"""Small-call latency: f(w, x) = sum(tanh(x @ w + 1)**2), x (4,), w (4, 4), float64.

``grad`` = gradient with respect to w per call; ``forward`` = f itself. Systems: hand-written
NumPy, wire (``wire.grad``, which traces every call), wire jit, autograd, JAX eager and jit.
"""

from __future__ import annotations

from . import harness


def _systems(grad: bool):
    import numpy as np

    import wire
    import wire.numpy as wnp

    def f_wire(w, x):
        return wnp.sum(wnp.tanh(x @ w + 1.0) ** 2)

    def numpy_grad(w, x):
        t = np.tanh(x @ w + 1.0)
        return np.outer(x, 2.0 * t * (1.0 - t * t))

    def numpy_fwd(w, x):
        return np.sum(np.tanh(x @ w + 1.0) ** 2)

    rng = np.random.default_rng(0)
    w, x = rng.normal(size=(4, 4)), rng.normal(size=4)
    systems = {}
    if grad:
        systems["numpy"] = numpy_grad
        systems["wire"] = wire.grad(f_wire)
        systems["wirejit"] = wire.jit(wire.grad(f_wire))
    else:
        systems["numpy"] = numpy_fwd
        systems["wire"] = f_wire  # eager: wire.numpy on arrays runs NumPy directly
        systems["wirejit"] = wire.jit(f_wire)
    ag = harness.optional("autograd")
    if ag is not None:
        import autograd.numpy as anp

        def f_ag(w, x):
            return anp.sum(anp.tanh(anp.dot(x, w) + 1.0) ** 2)

        systems["autograd"] = ag.grad(f_ag) if grad else f_ag
    jax = harness.optional("jax")
    if jax is not None:
        import jax.numpy as jnp

        def f_jax(w, x):
            return jnp.sum(jnp.tanh(x @ w + 1.0) ** 2)

        g = jax.grad(f_jax) if grad else f_jax
        systems["jax"] = harness.as_numpy(g)
        systems["jaxjit"] = harness.as_numpy(jax.jit(g))
    torch = harness.optional("torch")
    if torch is not None:
        tw, tx = torch.tensor(w, requires_grad=True), torch.tensor(x)

        def torch_grad(w_, x_):
            y = torch.sum(torch.tanh(tx @ tw + 1.0) ** 2)
            return torch.autograd.grad(y, tw)[0].numpy() if grad else y.detach().numpy()

        systems["torch"] = torch_grad
    return systems, (w, x)


def report(quick: bool = False) -> str:
    out = []
    for grad in (True, False):
        systems, args = _systems(grad)
        ref = systems["numpy"](*args)
        errs = {k: harness.rel_err(fn(*args), ref) for k, fn in systems.items()}
        if quick:
            systems.pop("jax", None)
        res = harness.compare({k: (lambda fn=fn, args=args: fn(*args)) for k, fn in systems.items()},
                              rounds=5 if quick else 25, target=0.01 if quick else 0.03)
        out.append(harness.timing_table("grad" if grad else "forward", res, errs)
                   + harness.paired(res, "wirejit", "jaxjit"))
    return "\n".join(out)


TITLE = "Small-call latency: sum(tanh(x @ w + 1)**2), x (4,), w (4,4), float64"
