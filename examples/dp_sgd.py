"""Differentially private SGD: per-example gradients by ``wire.vmap(wire.grad(...))``.

    python examples/dp_sgd.py
    python examples/dp_sgd.py --steps 20   # quick run

DP-SGD (Abadi et al. 2016) bounds each example's influence on a step: every example's
gradient is clipped to norm ``C``, the clipped gradients are summed, Gaussian noise of
standard deviation ``sigma * C`` (from ``wire.random``) is added, and the sum is divided by
the batch size. The per-example gradients of a small MLP on two interleaved half-moons come
from one ``vmap`` of ``grad`` over the batch; the step runs under ``wire.jit``. Prints the
fraction of examples clipped and the training and test accuracy of the private model.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import single_threaded_blas

import wire
import wire.numpy as wnp


def moons(n, rng):
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label[:, None] == 0, np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    return x + 0.1 * rng.normal(size=(n, 2)), label.astype(float)


def init(rng, sizes=(2, 32, 32, 1)):
    return [(rng.normal(size=(m, n)) / np.sqrt(m), np.zeros(n)) for m, n in zip(sizes, sizes[1:])]


def logits(params, x):
    for w, b in params[:-1]:
        x = wnp.tanh(x @ w + b)
    w, b = params[-1]
    return (x @ w + b)[..., 0]


def loss(params, x, y):
    """Logistic loss of one example."""
    z = logits(params, x)
    return wnp.logaddexp(0.0, z) - y * z


@wire.jit
def dp_step(params, x, y, key, lr, clip, sigma):
    per_example = wire.vmap(wire.grad(loss), in_axes=(None, 0, 0))(params, x, y)
    leaves = wire.tree.leaves(per_example)
    norms = wnp.sqrt(sum(wnp.sum(g.reshape(g.shape[0], -1) ** 2, axis=1) for g in leaves))
    scale = wnp.minimum(1.0, clip / (norms + 1e-12))  # each example's gradient: norm <= clip
    keys = wire.random.split(key, len(leaves))
    treedef = wire.tree.structure(params)
    noisy = [wnp.sum(g * scale.reshape((-1,) + (1,) * (g.ndim - 1)), axis=0)
             + sigma * clip * wire.random.normal(k, g.shape[1:])
             for g, k in zip(leaves, keys)]
    grads = wire.tree.unflatten(treedef, noisy)
    new = wire.tree.map(lambda p, g: p - lr * g / x.shape[0], params, grads)
    return new, wnp.mean(scale < 1.0)


def accuracy(params, x, y):
    return float(np.mean((np.asarray(logits(params, x)) > 0) == (y > 0.5)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=600, help="training steps (default 600)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sigma", type=float, default=1.0, help="noise multiplier (default 1.0)")
    args = p.parse_args()
    single_threaded_blas()  # small matrices: BLAS threads only wait on a busy machine
    rng = np.random.default_rng(args.seed)
    x_train, y_train = moons(1000, rng)
    x_test, y_test = moons(500, rng)
    params = init(rng)
    key = wire.random.PRNGKey(args.seed)
    for step in range(1, args.steps + 1):
        key, k_batch, k_noise = wire.random.split(key, 3)
        idx = np.asarray(wire.random.choice(k_batch, len(x_train), (64,), replace=False))
        params, clipped = dp_step(params, x_train[idx], y_train[idx], k_noise,
                                  0.5, 1.0, args.sigma)
        if step % max(args.steps // 5, 1) == 0:
            print(f"step {step:4d}  clipped {float(clipped):4.0%}  "
                  f"train accuracy {accuracy(params, x_train, y_train):.3f}")
    test = accuracy(params, x_test, y_test)
    print(f"test accuracy {test:.3f} (noise multiplier {args.sigma}, clip norm 1.0)")
    assert args.steps < 200 or test > 0.8


if __name__ == "__main__":
    main()
