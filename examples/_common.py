"""Shared helpers of the examples: command line, data, batching, output directory, plots.

Kept tiny on purpose: each example reads top to bottom on its own; this only removes the
boilerplate they would all repeat.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import wire

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")


def single_threaded_blas():
    """Run BLAS on one thread: these matrices are small, and on a busy 2-core machine
    multithreaded OpenBLAS spends more time waiting for its threads than multiplying
    (measured: 26 ms vs 430 ms per CNN step under load). threadpoolctl ships with
    scikit-learn; without it nothing changes."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=1, user_api="blas")


def parse_args(description: str, steps: int, **extra):
    """``--steps N`` (quick mode for tests), ``--seed``, plus any ``name=default`` extras.

    Also limits BLAS to one thread (see :func:`single_threaded_blas`)."""
    single_threaded_blas()
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--steps", type=int, default=steps, help=f"training steps (default {steps})")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    for name, default in extra.items():
        p.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    return p.parse_args()


def out_path(name: str) -> str:
    os.makedirs(OUT_DIR, exist_ok=True)
    return os.path.join(OUT_DIR, name)


def load_digits_split(seed: int = 0):
    """scikit-learn's bundled 8x8 digits (no download), scaled to [0, 1], 80/20 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.data / 16.0).astype(np.float64)
    return train_test_split(x, d.target, test_size=0.2, random_state=seed, stratify=d.target)


def batches(key, n: int, batch_size: int):
    """Endless minibatch index arrays: a fresh permutation of ``range(n)`` every epoch."""
    epoch = 0
    while True:
        order = wire.random.permutation(wire.random.fold_in(key, epoch), n)
        for i in range(0, n - batch_size + 1, batch_size):
            yield order[i : i + batch_size]
        epoch += 1


def train_classifier(apply, params, opt, data, args, desc: str):
    """The examples' functional training loop for a classifier: a jitted step
    ``params, opt_state, loss = step(params, opt_state, x, y)`` over shuffled minibatches, with
    a tqdm bar and the test accuracy every 100 steps.

    Returns ``(params, losses, evals, elapsed_seconds, predict)``.
    """
    from tqdm import tqdm

    from wire import nn, optim

    x_train, x_test, y_train, y_test = data

    def loss_fn(params, x, y):
        return nn.softmax_cross_entropy(apply(params, x), y)

    @jit
    def train_step(params, opt_state, x, y):
        loss, grads = wire.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss

    predict = jit(apply)
    opt_state = opt.init(params)
    _, data_key = wire.random.split(wire.random.key(args.seed))
    stream = batches(data_key, len(x_train), args.batch_size)
    losses, evals = [], []
    start = time.perf_counter()
    bar = tqdm(range(args.steps), desc=desc, unit="step")
    for step in bar:
        idx = next(stream)
        params, opt_state, loss = train_step(params, opt_state, x_train[idx], y_train[idx])
        losses.append(float(loss))
        if step % 100 == 0 or step == args.steps - 1:
            acc = nn.accuracy(predict(params, x_test), y_test)
            evals.append((step, acc))
            bar.set_postfix(loss=f"{float(loss):.4f}", test_acc=f"{acc:.3f}")
    return params, losses, evals, time.perf_counter() - start, predict


def jit(f):
    """``wire.jit`` when this version of wire has it (it does; kept for older checkouts)."""
    return wire.jit(f) if hasattr(wire, "jit") else f


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
