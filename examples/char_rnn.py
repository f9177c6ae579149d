"""A character-level LSTM language model trained with wire on a short original text.

    python examples/char_rnn.py              # a few minutes; loss falls from ~3.9 to ~1.5
    python examples/char_rnn.py --steps 20   # quick smoke run

The text (``examples/data/lineman.txt``, written for this example, public domain) is cut into
random windows; the model is ``Embedding -> LSTM -> Dense`` from ``wire.nn``, the LSTM runs
over ``wire.scan``, and the whole training step (forward, backward through time, gradient
clipping, Adam) is compiled once by ``wire.jit``. Samples from the model are printed as it
trains, and ``examples/out/char_rnn.png`` shows the loss curve.
"""

from __future__ import annotations

import os
import time

import numpy as np
from _common import jit, out_path, parse_args, pyplot
from pyrsistent import pmap
from tqdm import tqdm

import wire
from wire import nn, optim

TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "lineman.txt")


def main():
    args = parse_args(__doc__.splitlines()[0], steps=1000, batch_size=32, seq_len=48,
                      hidden=128, lr=3e-3, sample_every=250, sample_len=240)
    with open(TEXT, encoding="utf-8") as fh:
        text = fh.read()
    chars = sorted(set(text))
    vocab = len(chars)
    data = np.array([chars.index(c) for c in text], dtype=np.int64)
    print(f"text: {len(text)} characters, vocabulary of {vocab}")

    embed, lstm, head = nn.Embedding(vocab, 48), nn.LSTM(args.hidden), nn.Dense(vocab)
    keys = wire.random.split(wire.random.key(args.seed), 4)
    params = pmap({
        "embed": embed.init(keys[0], (-1, args.seq_len)),
        "lstm": lstm.init(keys[1], (-1, args.seq_len, 48)),
        "head": head.init(keys[2], (-1, args.seq_len, args.hidden)),
    })

    def forward(params, ids, state=None):
        h = embed.apply(params["embed"], ids)
        h, state = lstm.apply(params["lstm"], h, initial_state=state, return_state=True)
        return head.apply(params["head"], h), state

    def loss_fn(params, inputs, targets):
        logits, _ = forward(params, inputs)
        return nn.softmax_cross_entropy(logits, targets)

    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adam(args.lr))
    opt_state = opt.init(params)

    @jit
    def train_step(params, opt_state, inputs, targets):
        loss, grads = wire.value_and_grad(loss_fn)(params, inputs, targets)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss

    step_one = jit(lambda params, ids, state: forward(params, ids, state))

    def sample(params, key, prompt="The ", length=200, temperature=0.8):
        ids = np.array([[chars.index(c) for c in prompt]])
        zero = np.zeros((1, args.hidden))
        logits, state = step_one(params, ids, (zero, zero))
        out = list(prompt)
        for i in range(length):
            k = wire.random.fold_in(key, i)
            nxt = int(wire.random.categorical(k, np.asarray(logits)[0, -1] / temperature))
            out.append(chars[nxt])
            logits, state = step_one(params, np.array([[nxt]]), state)
        return "".join(out)

    data_key, sample_key = keys[3], wire.random.fold_in(keys[3], 1)
    losses = []
    start = time.perf_counter()
    bar = tqdm(range(args.steps), desc="char LSTM", unit="step")
    for step in bar:
        starts = wire.random.randint(wire.random.fold_in(data_key, step), (args.batch_size,),
                                     0, len(data) - args.seq_len - 1)
        window = data[starts[:, None] + np.arange(args.seq_len + 1)]
        params, opt_state, loss = train_step(params, opt_state, window[:, :-1], window[:, 1:])
        losses.append(float(loss))
        bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
        if (step + 1) % args.sample_every == 0:
            tqdm.write(f"\n--- step {step + 1}, loss {np.mean(losses[-50:]):.3f} ---")
            tqdm.write(sample(params, wire.random.fold_in(sample_key, step), length=120))
    elapsed = time.perf_counter() - start

    print(f"trained {args.steps} steps in {elapsed:.1f} s "
          f"({1e3 * elapsed / max(args.steps, 1):.1f} ms/step)")
    head_n = max(1, min(50, len(losses) // 2))
    print(f"loss: first {head_n} steps {np.mean(losses[:head_n]):.3f} -> last {head_n} steps "
          f"{np.mean(losses[-head_n:]):.3f} (uniform guess: {np.log(vocab):.3f})")
    print("\nsample:\n" + sample(params, sample_key, length=args.sample_len))

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(losses, lw=0.5, alpha=0.5, label="per step")
    if len(losses) >= 50:
        ax.plot(np.arange(49, len(losses)), np.convolve(losses, np.ones(50) / 50, "valid"),
                label="mean of 50")
    ax.set(xlabel="step", ylabel="cross-entropy (nats/char)", title="char-level LSTM")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_path("char_rnn.png"), dpi=100)
    print(f"wrote {out_path('char_rnn.png')}")


if __name__ == "__main__":
    main()
