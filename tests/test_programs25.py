"""Programs of the kind JAX and autograd users write (MAML, implicit layers, normalizing
flows, a VAE, a physics-informed network, a differentiable renderer, optimal control by
shooting, soft-DTW, a graph network, a CNN, a CRF, straight-through estimators, per-step
random keys …), run on wire with only the imports changed.

Each program is written once against a namespace ``ns`` (``t``: ``wire``, ``np``:
``wire.numpy``, ``lax``, ``scipy``, ``tree``), so the same source ran under JAX 0.10 in
float64 (``jax_enable_x64``) to produce the oracle values stored in ``ORACLE``: each program's
value and its gradient summarised by one number (the gradient's dot product with a fixed
pseudo-random pytree, :func:`direction`). wire runs each program as written and under
``wire.jit``. Finite differences and closed forms check the programs JAX cannot run.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as onp
import pytest

import wire
import wire.lax
import wire.numpy as wnp
import wire.scipy.linalg
import wire.scipy.special

W = SimpleNamespace(t=wire, np=wnp, lax=wire.lax, linalg=wire.scipy.linalg,
                    special=wire.scipy.special, tree=wire.tree, name="wire")


def close(got, want, rtol=1e-9, atol=1e-12):
    onp.testing.assert_allclose(onp.asarray(got, dtype=float), onp.asarray(want, dtype=float),
                                rtol=rtol, atol=atol)


def direction(tree, seed=0):
    """A fixed pseudo-random pytree like ``tree`` (to summarise a gradient by one number)."""
    rng = onp.random.default_rng(seed)
    leaves, treedef = wire.tree.flatten(tree)
    return wire.tree.unflatten(treedef, [rng.normal(size=onp.shape(v)) for v in leaves])


def vdot(a, b):
    return sum(float(onp.sum(onp.asarray(x) * onp.asarray(y)))
               for x, y in zip(wire.tree.leaves(a), wire.tree.leaves(b)))


def summary(tree, seed=0):
    """One number standing for a pytree of results: its dot product with :func:`direction`."""
    return vdot(tree, direction(tree, seed))


def both(fn):
    """``fn`` as written and under ``wire.jit``."""
    return [fn, wire.jit(fn)]


# ----------------------------------------------------------------- weakly typed loop carries


def test_a_carry_promoted_from_a_python_number_is_strongly_typed_from_then_on():
    """JAX casts a Python-number carry to the dtype the body gives it and traces again with
    the carry strongly typed: ``c * 2.0`` of a carry promoted to float32 stays float32 (wire
    gave float64 ``ys``), ``c * xi`` of a carry promoted to float64 stays float64 (wire gave
    float32), and a carry made float32 by another one follows it (float64 before)."""
    x = onp.arange(3, dtype=onp.float32)
    def scans(x):
        return (wire.scan(lambda c, xi: (c + xi, c * 2.0), 0.0, x),
                wire.scan(lambda c, xi: (c + 1.0, c * xi), 0, x))

    for fn in both(scans):
        (c, ys), (c2, ys2) = fn(x)
        assert (c.dtype, ys.dtype, c2.dtype, ys2.dtype) == (onp.float32,) * 2 + (onp.float64,) * 2
        close(ys, [0.0, 0.0, 2.0])
        close(ys2, [0.0, 1.0, 4.0])
    for loop in both(lambda x: wire.while_loop(
            lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * x[1] + 1.0, c[1] * 2.0),
            (0, 0.0, 0.0))):
        n, a, b = loop(x)
        assert (a.dtype, b.dtype) == (onp.float32, onp.float32)
        close((a, b), (3.0, 4.0))
