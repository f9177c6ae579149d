"""Train a multilayer perceptron on scikit-learn's 8x8 digits with wire — the README demo.

    pip install -e ".[examples]" && python examples/digits_mlp.py

Everything is functional: the model is an ``(init, apply)`` pair from ``wire.nn``, parameters
are a pyrsistent pytree, ``wire.optim.adam`` is a pure ``(init, update)`` pair, and the whole
training step (forward, gradient, optimizer) is compiled once by ``wire.jit``. Prints the test
accuracy (>= 97% with the defaults, well under a minute) and writes
``examples/out/digits_mlp.png`` with the loss and accuracy curves.
"""

from __future__ import annotations


from _common import load_digits_split, out_path, parse_args, pyplot, train_classifier

import wire
from wire import nn, optim


def main():
    args = parse_args(__doc__.splitlines()[0], steps=2000, batch_size=128, lr=2e-3)
    x_train, x_test, y_train, y_test = load_digits_split(args.seed)

    init, apply = nn.serial(nn.Dense(256), nn.Relu(), nn.Dense(256), nn.Relu(), nn.Dense(10))
    key = wire.random.key(args.seed)
    init_key, _ = wire.random.split(key)
    params = init(init_key, (-1, 64))
    opt = optim.adam(optim.cosine_decay_schedule(args.lr, max(args.steps, 1), alpha=0.05))
    data = (x_train, x_test, y_train, y_test)
    params, losses, evals, elapsed, predict = train_classifier(
        apply, params, opt, data, args, desc="digits MLP"
    )

    train_acc = nn.accuracy(predict(params, x_train), y_train)
    test_acc = nn.accuracy(predict(params, x_test), y_test)
    print(f"trained {args.steps} steps in {elapsed:.1f} s "
          f"({1e3 * elapsed / max(args.steps, 1):.2f} ms/step)")
    print(f"final loss {losses[-1]:.4f}  train accuracy {train_acc:.4f}  "
          f"test accuracy {test_acc:.4f}")

    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot(losses, lw=0.7)
    a1.set(yscale="log", xlabel="step", ylabel="training loss", title="digits MLP: loss")
    a2.plot(*zip(*evals), marker=".")
    a2.set(xlabel="step", ylabel="test accuracy", title=f"test accuracy {test_acc:.3f}")
    fig.tight_layout()
    fig.savefig(out_path("digits_mlp.png"), dpi=100)
    print(f"wrote {out_path('digits_mlp.png')}")


if __name__ == "__main__":
    main()
