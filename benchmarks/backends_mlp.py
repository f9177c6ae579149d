"""MLP training step on the torch backend: 784-512-512-10, tanh hidden layers, softmax
cross-entropy (mean), batch 256, float32 and float64; loss, gradients and an SGD update of
every parameter per step.

Systems, timed in interleaved rounds on one CPU thread (``benchmarks.harness``):

* ``numpy``: the hand-written forward, backward and update (the reference of the ratios);
* ``wirejit``: ``wire.jit`` of the step, wire's NumPy path (generated straight-line NumPy);
* ``wirejit-torch``: the same ``wire.jit(step, backend="torch")``, called with torch tensors,
  returning tensors (the graph walked with torch operations);
* ``torch``: PyTorch itself, tape autograd: ``loss.backward()`` and an in-place SGD update of
  ``requires_grad`` tensors, as a torch training loop does it.

Skipped without torch. The step's results (loss and new parameters) of every system match
NumPy's (max rel err column).
"""

from __future__ import annotations

import itertools

from . import harness
from .mlp import BATCH, SIZES, make_data, numpy_step, wire_loss

LR = 1e-3


def numpy_train(params, x, y):
    loss, grads = numpy_step(params, x, y)
    return [(w - LR * gw, b - LR * gb) for (w, b), (gw, gb) in zip(params, grads)], loss


def wire_train(params, x, y):
    import wire

    loss, grads = wire.value_and_grad(wire_loss)(params, x, y)
    return wire.tree.map(lambda p, g: p - LR * g, params, grads), loss


def torch_system(torch, params, x, y):
    """A torch training step on its own tensors (updated in place), and a fresh-copy runner
    for the accuracy check."""

    def make(params):
        return [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
                for w, b in params]

    def step(tparams, tx, ty):
        h = tx
        for w, b in tparams[:-1]:
            h = torch.tanh(h @ w + b)
        w, b = tparams[-1]
        z = h @ w + b
        logp = torch.log_softmax(z, dim=1)
        loss = -(logp * ty).sum() / tx.shape[0]
        for p in itertools.chain.from_iterable(tparams):
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in itertools.chain.from_iterable(tparams):
                p -= LR * p.grad
        return tparams, loss.detach()

    live = make(params)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def once(params, x, y):  # a step from the given values, for the accuracy check
        out, loss = step(make(params), tx, ty)
        return [(w.detach(), b.detach()) for w, b in out], loss

    return (lambda: step(live, tx, ty)), once


def report(quick: bool = False) -> str:
    import numpy as np

    import wire

    torch = harness.optional("torch")
    if torch is None:
        return "torch is not installed: the torch backend is not measured\n"
    torch.set_num_threads(1)
    out = []
    for dtype in (np.float32, np.float64):
        params, x, y = make_data(dtype)
        tparams = [(torch.from_numpy(w.copy()), torch.from_numpy(b.copy())) for w, b in params]
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        on_numpy = wire.jit(wire_train)
        on_torch = wire.jit(wire_train, backend="torch")
        tape, tape_once = torch_system(torch, params, x, y)
        ref = numpy_train(params, x, y)
        errs = {
            "numpy": 0.0,
            "wirejit": harness.rel_err(on_numpy(params, x, y), ref),
            "wirejit-torch": harness.rel_err(on_torch(tparams, tx, ty), ref),
            "torch": harness.rel_err(tape_once(params, x, y), ref),
        }
        systems = {
            "numpy": lambda: numpy_train(params, x, y),
            "wirejit": lambda: on_numpy(params, x, y),
            "wirejit-torch": lambda: on_torch(tparams, tx, ty),
            "torch": tape,
        }
        res = harness.compare(systems, rounds=5 if quick else 15, target=0.05 if quick else 0.2)
        out.append(harness.timing_table(np.dtype(dtype).name, res, errs)
                   + harness.paired(res, "wirejit-torch", "torch")
                   + harness.paired(res, "wirejit-torch", "wirejit"))
    return "\n".join(out)


TITLE = (f"MLP training step on the torch backend: {'-'.join(map(str, SIZES))} tanh, softmax "
         f"cross-entropy, batch {BATCH} (loss + grads + SGD update)")
