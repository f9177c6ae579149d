"""Training-step time of the digits examples: ``wire.jit`` vs a hand-written NumPy step.

    python -m benchmarks.training [--quick]
    python benchmarks/training.py [--quick]

One step = forward, loss (softmax cross-entropy, integer labels), gradients of every parameter
and an Adam update, on scikit-learn-sized digit batches (synthetic data of the same shapes, so
the benchmark needs no scikit-learn):

* ``digits_mlp``: 64-256-256-10 ReLU MLP, batch 128 (``examples/digits_mlp.py``);
* ``digits_cnn``: Conv 3x3x16 SAME - ReLU - Conv 3x3x32 SAME - ReLU - MaxPool 2x2 - Dense 128 -
  ReLU - Dense 10 on 8x8x1 inputs, batch 64 (``examples/digits_cnn.py``).

The wire step is the examples' code: ``wire.nn`` layers, ``wire.value_and_grad``,
``wire.optim.adam``, all inside one ``wire.jit``. The NumPy step is written by hand with the
same algorithm (im2col convolution; max-pool gradient shared evenly among tied maxima, as
wire's is). ``run()`` returns rows; the goal is a ratio of at most 1.15.
"""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import harness

harness.pin_threads()

TITLE = "Training step of the digits examples (wire.jit vs hand-written NumPy)"
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8


# --------------------------------------------------------------------------- hand-written NumPy


def _adam(params, grads, m, v, t):
    import numpy as np

    c1, c2 = 1 - B1**t, 1 - B2**t
    out_p, out_m, out_v = [], [], []
    for p, g, mi, vi in zip(params, grads, m, v):
        mi = B1 * mi + (1 - B1) * g
        vi = B2 * vi + (1 - B2) * (g * g)
        out_p.append(p - LR * (mi / c1) / (np.sqrt(vi / c2) + EPS))
        out_m.append(mi)
        out_v.append(vi)
    return out_p, out_m, out_v


def _xent(z, y):
    """Mean softmax cross-entropy with integer labels and its gradient wrt the logits."""
    import numpy as np

    n = z.shape[0]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    loss = -np.mean(z[np.arange(n), y] - np.log(s[:, 0]))
    g = e / s
    g[np.arange(n), y] -= 1.0
    return loss, g / n


def numpy_mlp_step(state, x, y):
    import numpy as np

    (w1, b1, w2, b2, w3, b3), m, v, t = state
    z1 = x @ w1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2 + b2
    h2 = np.maximum(z2, 0)
    loss, g3 = _xent(h2 @ w3 + b3, y)
    gh2 = g3 @ w3.T
    gh2 *= z2 > 0
    gh1 = gh2 @ w2.T
    gh1 *= z1 > 0
    grads = [x.T @ gh1, gh1.sum(0), h1.T @ gh2, gh2.sum(0), h2.T @ g3, g3.sum(0)]
    t = t + 1
    params, m, v = _adam([w1, b1, w2, b2, w3, b3], grads, m, v, t)
    return (params, m, v, t), loss


def _im2col(x, k=3):
    import numpy as np

    n, h, w, c = x.shape
    xp = np.zeros((n, h + 2, w + 2, c), x.dtype)
    xp[:, 1:-1, 1:-1] = x
    cols = np.concatenate([xp[:, i : i + h, j : j + w] for i in range(k) for j in range(k)], 3)
    return cols.reshape(n * h * w, k * k * c)


def _col2im(gcols, shape, k=3):
    import numpy as np

    n, h, w, c = shape
    g = gcols.reshape(n, h, w, k * k, c)
    gp = np.zeros((n, h + 2, w + 2, c), gcols.dtype)
    for i in range(k):
        for j in range(k):
            gp[:, i : i + h, j : j + w] += g[:, :, :, i * k + j]
    return gp[:, 1:-1, 1:-1]


def numpy_cnn_step(state, x, y):
    import numpy as np

    (k1, c1, k2, c2, w3, b3, w4, b4), m, v, t = state
    n = x.shape[0]
    cols1 = _im2col(x)
    z1 = (cols1 @ k1.reshape(9, 16) + c1).reshape(n, 8, 8, 16)
    h1 = np.maximum(z1, 0)
    cols2 = _im2col(h1)
    z2 = (cols2 @ k2.reshape(144, 32) + c2).reshape(n, 8, 8, 32)
    h2 = np.maximum(z2, 0)
    blocks = h2.reshape(n, 4, 2, 4, 2, 32)
    pooled = blocks.max(axis=(2, 4))
    flat = pooled.reshape(n, 512)
    z3 = flat @ w3 + b3
    h3 = np.maximum(z3, 0)
    loss, g4 = _xent(h3 @ w4 + b4, y)
    gh3 = g4 @ w4.T
    gh3 *= z3 > 0
    gflat = gh3 @ w3.T
    hit = blocks == pooled[:, :, None, :, None, :]
    share = hit / hit.sum(axis=(2, 4), keepdims=True)
    gz2 = (share * gflat.reshape(n, 4, 1, 4, 1, 32)).reshape(n, 8, 8, 32)
    gz2 *= z2 > 0
    gz2f = gz2.reshape(n * 64, 32)
    gk2 = (cols2.T @ gz2f).reshape(3, 3, 16, 32)
    gh1 = _col2im(gz2f @ k2.reshape(144, 32).T, h1.shape)
    gh1 *= z1 > 0
    gz1f = gh1.reshape(n * 64, 16)
    gk1 = (cols1.T @ gz1f).reshape(3, 3, 1, 16)
    grads = [gk1, gz1f.sum(0), gk2, gz2f.sum(0), flat.T @ gh3, gh3.sum(0), h3.T @ g4, g4.sum(0)]
    t = t + 1
    params, m, v = _adam([k1, c1, k2, c2, w3, b3, w4, b4], grads, m, v, t)
    return (params, m, v, t), loss


# --------------------------------------------------------------------------- wire


def wire_step(model, batch_shape):
    import wire
    from wire import nn, optim

    init, apply = model
    params = init(wire.random.key(0), (-1,) + batch_shape[1:])
    opt = optim.adam(LR, B1, B2, EPS)

    def loss_fn(params, x, y):
        return nn.softmax_cross_entropy(apply(params, x), y)

    @wire.jit
    def step(params, opt_state, x, y):
        loss, grads = wire.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss

    return params, opt.init(params), step


def _mlp():
    from wire import nn

    return nn.serial(nn.Dense(256), nn.Relu(), nn.Dense(256), nn.Relu(), nn.Dense(10))


def _cnn():
    from wire import nn

    return nn.serial(nn.Conv2D(16, (3, 3), padding="SAME"), nn.Relu(),
                     nn.Conv2D(32, (3, 3), padding="SAME"), nn.Relu(), nn.MaxPool((2, 2)),
                     nn.Flatten(), nn.Dense(128), nn.Relu(), nn.Dense(10))


def _flat_params(params):
    """wire's serial params -> the NumPy step's flat list [w, b, w, b, ...] (copies)."""
    return [p[k].copy() for p in params for k in ("w", "b") if k in p]


def _case(name, model, x_shape, numpy_step, rounds):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random(x_shape)
    y = rng.integers(0, 10, x_shape[0])
    params, opt_state, step = wire_step(model, x_shape)
    flat = _flat_params(params)
    np_state = (flat, [np.zeros_like(p) for p in flat], [np.zeros_like(p) for p in flat], 0)

    # same numbers first: one step of each from the same parameters
    new_params, _, wire_loss = step(params, opt_state, x, y)
    (np_params, _, _, _), np_loss = numpy_step(np_state, x, y)
    err = harness.rel_err(_flat_params(new_params), np_params)
    assert abs(float(wire_loss) - float(np_loss)) < 1e-10 and err < 1e-8, (name, err)

    box = {"w": (params, opt_state), "n": np_state}

    def run_wire():
        p, s, _ = step(*box["w"], x, y)
        box["w"] = (p, s)

    def run_numpy():
        box["n"] = numpy_step(box["n"], x, y)[0]

    res = harness.compare({"numpy": run_numpy, "wire.jit": run_wire}, rounds=rounds)
    return {"workload": name, "numpy_ms": 1e3 * res["numpy"]["median"],
            "wire_jit_ms": 1e3 * res["wire.jit"]["median"], "ratio": res["wire.jit"]["ratio"],
            "max_rel_err": err}


def run(quick: bool = False) -> list[dict]:
    """Rows ``{workload, numpy_ms, wire_jit_ms, ratio, max_rel_err}``, one per example."""
    rounds = 5 if quick else 15
    return [
        _case("digits_mlp step (batch 128)", _mlp(), (128, 64), numpy_mlp_step, rounds),
        _case("digits_cnn step (batch 64)", _cnn(), (64, 8, 8, 1), numpy_cnn_step, rounds),
    ]


def report(quick: bool = False) -> str:
    rows = run(quick)
    lines = ["| workload | NumPy ms/step | wire.jit ms/step | ratio (goal <= 1.15) |",
             "|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['workload']} | {r['numpy_ms']:.3f} | {r['wire_jit_ms']:.3f} | "
                     f"{r['ratio']:.2f}x |")
    lines.append("")
    lines.append(f"*{harness.machine_info()}; ratio = median of per-round ratios; one step "
                 "= loss + all gradients + Adam update; results checked equal to the NumPy "
                 "step before timing.*")
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"## {TITLE}\n")
    print(report("--quick" in sys.argv[1:]))
