"""Train a small convolutional network on scikit-learn's 8x8 digits with wire.

    python examples/digits_cnn.py            # ~98-99% test accuracy
    python examples/digits_cnn.py --steps 20 # quick smoke run

Two 3x3 ``Conv2D`` layers (NHWC, ``SAME`` padding; im2col + one matmul each), a 2x2
``MaxPool``, and a dense head, trained with Adam and a cosine learning-rate schedule; the
training step is compiled once by ``wire.jit``. Writes ``examples/out/digits_cnn.png`` (loss,
accuracy, and the learned first-layer filters).
"""

from __future__ import annotations


import numpy as np
from _common import load_digits_split, out_path, parse_args, pyplot, train_classifier

import wire
from wire import nn, optim


def make_model():
    return nn.serial(
        nn.Conv2D(16, (3, 3), padding="SAME"), nn.Relu(),
        nn.Conv2D(32, (3, 3), padding="SAME"), nn.Relu(),
        nn.MaxPool((2, 2)),
        nn.Flatten(),
        nn.Dense(128), nn.Relu(),
        nn.Dense(10),
    )


def main():
    args = parse_args(__doc__.splitlines()[0], steps=1500, batch_size=64, lr=3e-3)
    x_train, x_test, y_train, y_test = load_digits_split(args.seed)
    x_train, x_test = x_train.reshape(-1, 8, 8, 1), x_test.reshape(-1, 8, 8, 1)

    init, apply = make_model()
    init_key, _ = wire.random.split(wire.random.key(args.seed))
    params = init(init_key, (-1, 8, 8, 1))
    opt = optim.adamw(optim.warmup_cosine_decay_schedule(0.0, args.lr, 50, max(args.steps, 51)),
                      weight_decay=1e-4)
    data = (x_train, x_test, y_train, y_test)
    params, losses, evals, elapsed, predict = train_classifier(
        apply, params, opt, data, args, desc="digits CNN"
    )

    test_acc = nn.accuracy(predict(params, x_test), y_test)
    print(f"trained {args.steps} steps in {elapsed:.1f} s "
          f"({1e3 * elapsed / max(args.steps, 1):.2f} ms/step)")
    print(f"final loss {losses[-1]:.4f}  test accuracy {test_acc:.4f}")

    plt = pyplot()
    fig = plt.figure(figsize=(12, 4))
    a1, a2 = fig.add_subplot(1, 3, 1), fig.add_subplot(1, 3, 2)
    a1.plot(losses, lw=0.7)
    a1.set(yscale="log", xlabel="step", ylabel="training loss", title="digits CNN: loss")
    a2.plot(*zip(*evals), marker=".")
    a2.set(xlabel="step", ylabel="test accuracy", title=f"test accuracy {test_acc:.3f}")
    filters = np.asarray(params[0]["w"])[:, :, 0, :]  # (3, 3, 16)
    grid = np.full((4 * 4, 4 * 4), np.nan)  # NaN gutters render blank
    for k in range(16):
        r, c = divmod(k, 4)
        grid[4 * r : 4 * r + 3, 4 * c : 4 * c + 3] = filters[:, :, k]
    a3 = fig.add_subplot(1, 3, 3)
    lim = np.abs(filters).max()
    a3.imshow(grid, cmap="RdBu", vmin=-lim, vmax=lim)
    a3.set(title="first-layer 3x3 filters", xticks=[], yticks=[])
    fig.tight_layout()
    fig.savefig(out_path("digits_cnn.png"), dpi=100)
    print(f"wrote {out_path('digits_cnn.png')}")


if __name__ == "__main__":
    main()
