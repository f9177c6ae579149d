"""A one-block causal transformer written in plain ``wire.numpy``, trained with Adam.

    python examples/tiny_transformer.py
    python examples/tiny_transformer.py --steps 30   # quick run

The task needs attention: in each sequence of digits 0-9, every token after the first two is
the sum of the two before it, mod 10, so the model must look back two positions. The block is
written out as in a tutorial: token and position embeddings, layer norm, multi-head causal
self-attention (the mask is ``-inf`` before the softmax), a GELU MLP, residual connections.
``wire.value_and_grad`` differentiates it, ``wire.optim.adam`` steps it, all under
``wire.jit``. Prints the loss and the accuracy on the predictable positions.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import single_threaded_blas

import wire
import wire.numpy as wnp
from wire import optim

VOCAB, T, D, HEADS, HIDDEN = 10, 12, 32, 4, 64


def make_data(n, rng):
    seq = np.zeros((n, T + 1), dtype=np.int64)  # T inputs, each followed by its target
    seq[:, :2] = rng.integers(0, VOCAB, size=(n, 2))
    for t in range(2, T + 1):
        seq[:, t] = (seq[:, t - 1] + seq[:, t - 2]) % VOCAB
    return seq


def init(rng):
    g = lambda *s: rng.normal(size=s) / np.sqrt(s[0])
    return {"tok": rng.normal(size=(VOCAB, D)) * 0.5, "pos": rng.normal(size=(T, D)) * 0.5,
            "wq": g(D, D), "wk": g(D, D), "wv": g(D, D), "wo": g(D, D),
            "ln1": (np.ones(D), np.zeros(D)), "ln2": (np.ones(D), np.zeros(D)),
            "w1": g(D, HIDDEN), "b1": np.zeros(HIDDEN), "w2": g(HIDDEN, D), "b2": np.zeros(D),
            "out": g(D, VOCAB)}


def layer_norm(x, gain_bias, eps=1e-5):
    mu = wnp.mean(x, -1, keepdims=True)
    var = wnp.var(x, -1, keepdims=True)
    return gain_bias[0] * (x - mu) / wnp.sqrt(var + eps) + gain_bias[1]


def attention(p, x):
    heads = lambda a: a.reshape(T, HEADS, D // HEADS).transpose(1, 0, 2)
    q, k, v = heads(x @ p["wq"]), heads(x @ p["wk"]), heads(x @ p["wv"])
    scores = wnp.einsum("htd,hsd->hts", q, k) / np.sqrt(D // HEADS)
    scores = wnp.where(np.tril(np.ones((T, T), dtype=bool)), scores, -wnp.inf)  # causal
    weights = wire.nn.softmax(scores, axis=-1)
    return wnp.einsum("hts,hsd->htd", weights, v).transpose(1, 0, 2).reshape(T, D) @ p["wo"]


def model(p, tokens):
    """Logits of the next token at every position of one sequence."""
    x = p["tok"][tokens] + p["pos"]
    x = x + attention(p, layer_norm(x, p["ln1"]))
    h = wire.nn.gelu(layer_norm(x, p["ln2"]) @ p["w1"] + p["b1"])
    x = x + h @ p["w2"] + p["b2"]
    return x @ p["out"]


def loss(p, batch):
    logits = wire.vmap(model, in_axes=(None, 0))(p, batch[:, :-1])
    logp = wire.nn.log_softmax(logits[:, 1:], axis=-1)  # positions 2.. are predictable
    target = batch[:, 2:]
    return -wnp.mean(wnp.take_along_axis(logp, target[..., None], axis=-1))


def accuracy(p, batch):
    logits = wire.vmap(model, in_axes=(None, 0))(p, batch[:, :-1])
    return float(np.mean(np.argmax(np.asarray(logits)[:, 1:], -1) == batch[:, 2:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="training steps (default 400)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    single_threaded_blas()  # small matrices: BLAS threads only wait on a busy machine
    rng = np.random.default_rng(args.seed)
    params, test = init(rng), make_data(256, rng)
    opt = optim.adam(3e-3)
    state = opt.init(params)

    @wire.jit
    def step(params, state, batch):
        value, grads = wire.value_and_grad(loss)(params, batch)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, value

    for i in range(1, args.steps + 1):
        params, state, value = step(params, state, make_data(64, rng))
        if i % max(args.steps // 5, 1) == 0:
            print(f"step {i:4d}  loss {float(value):.4f}")
    acc = accuracy(params, test)
    print(f"test accuracy on the predictable positions {acc:.3f} (chance 0.1)")
    assert args.steps < 300 or acc > 0.9


if __name__ == "__main__":
    main()
