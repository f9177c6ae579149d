"""Hessian: f(x) = logsumexp(A @ x) + 0.5 * ||x||^2, A (300, 200), float64; the full 200x200
Hessian. NumPy = the closed form A^T (diag p - p p^T) A + I. ``wirejit`` =
``wire.jit(wire.hessian(f))`` (jacfwd of jacrev, both batched with vmap); ``wire`` = the same
un-jitted (traced every call). Goal (issue 3): wire jit within 1.5x of the closed form.
"""

from __future__ import annotations

from . import harness


def _systems():
    import numpy as np

    import wire
    import wire.numpy as wnp
    from wire.scipy.special import logsumexp

    rng = np.random.default_rng(0)
    A = rng.normal(size=(300, 200))
    x = rng.normal(size=200) * 0.1

    def f(x):
        return logsumexp(A @ x) + 0.5 * wnp.sum(x * x)

    def closed(x):
        z = A @ x
        p = np.exp(z - z.max())
        p /= p.sum()
        ap = A.T @ p
        return (A.T * p) @ A - np.outer(ap, ap) + np.eye(200)

    systems = {"numpy": closed, "wire": wire.hessian(f), "wirejit": wire.jit(wire.hessian(f))}
    ag = harness.optional("autograd")
    if ag is not None:
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp as ag_lse

        systems["autograd"] = ag.hessian(lambda x: ag_lse(anp.dot(A, x)) + 0.5 * anp.sum(x * x))
    jax = harness.optional("jax")
    if jax is not None:
        import jax.numpy as jnp
        from jax.scipy.special import logsumexp as jax_lse

        hj = jax.hessian(lambda x: jax_lse(jnp.asarray(A) @ x) + 0.5 * jnp.sum(x * x))
        systems["jax"] = harness.as_numpy(hj)
        systems["jaxjit"] = harness.as_numpy(jax.jit(hj))
    return systems, (x,)


def report(quick: bool = False) -> str:
    systems, args = _systems()
    ref = systems["numpy"](*args)
    errs = {k: harness.rel_err(fn(*args), ref) for k, fn in systems.items()}
    if quick:
        for slow in ("jax", "autograd", "wire"):
            systems.pop(slow, None)
    res = harness.compare({k: (lambda fn=fn: fn(*args)) for k, fn in systems.items()},
                          rounds=5 if quick else 15, target=0.02 if quick else 0.05)
    return harness.timing_table("hessian (200 x 200)", res, errs) + harness.paired(
        res, "wirejit", "jaxjit"
    )


TITLE = "Hessian: logsumexp(A @ x) + 0.5 ||x||^2, A (300, 200), float64"
