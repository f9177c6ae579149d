"""A variational autoencoder on scikit-learn's 8x8 digits, trained with wire.

    python examples/digits_vae.py              # ~1 minute
    python examples/digits_vae.py --steps 20   # quick smoke run

Encoder and decoder are ``wire.nn`` MLPs; the loss is the negative ELBO (Bernoulli likelihood
on pixel intensities via ``binary_cross_entropy_with_logits``, plus the Gaussian KL term).
The reparameterisation noise ``eps`` is drawn with an explicit key *outside* the jitted
training step and passed in as an argument — the way to use randomness inside traced code.
Writes ``examples/out/digits_vae.png``: the loss curve, reconstructions, and a grid of
samples decoded from the prior.
"""

from __future__ import annotations

import time

import numpy as np
from _common import batches, jit, load_digits_split, out_path, parse_args, pyplot
from pyrsistent import pmap
from tqdm import tqdm

import wire
import wire.numpy as wnp
from wire import nn, optim


def main():
    args = parse_args(__doc__.splitlines()[0], steps=3000, batch_size=128, latent=8, lr=2e-3)
    x_train, x_test, _, _ = load_digits_split(args.seed)
    z_dim = args.latent

    encoder = nn.serial(nn.Dense(256), nn.Relu(), nn.Dense(128), nn.Relu(), nn.Dense(2 * z_dim))
    decoder = nn.serial(nn.Dense(128), nn.Relu(), nn.Dense(256), nn.Relu(), nn.Dense(64))
    k_enc, k_dec, k_data, k_noise = wire.random.split(wire.random.key(args.seed), 4)
    params = pmap({"enc": encoder.init(k_enc, (-1, 64)), "dec": decoder.init(k_dec, (-1, z_dim))})

    def neg_elbo(params, x, eps):
        stats = encoder.apply(params["enc"], x)
        mu, logvar = stats[:, :z_dim], stats[:, z_dim:]
        z = mu + wnp.exp(0.5 * logvar) * eps  # reparameterisation: eps ~ N(0, 1) is an input
        logits = decoder.apply(params["dec"], z)
        rec = nn.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
        kl = 0.5 * wnp.sum(wnp.exp(logvar) + mu * mu - 1.0 - logvar) / x.shape[0]
        return rec + kl, (rec, kl)

    opt = optim.adam(args.lr)
    opt_state = opt.init(params)

    @jit
    def train_step(params, opt_state, x, eps):
        (loss, parts), grads = wire.value_and_grad(neg_elbo, has_aux=True)(params, x, eps)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss, parts

    eval_loss = jit(lambda params, x, eps: neg_elbo(params, x, eps)[0])
    decode = jit(lambda params, z: nn.sigmoid(decoder.apply(params["dec"], z)))

    losses = []
    stream = batches(k_data, len(x_train), args.batch_size)
    start = time.perf_counter()
    bar = tqdm(range(args.steps), desc="digits VAE", unit="step")
    for step in bar:
        eps = wire.random.normal(wire.random.fold_in(k_noise, step), (args.batch_size, z_dim))
        params, opt_state, loss, (rec, kl) = train_step(params, opt_state, x_train[next(stream)],
                                                        eps)
        losses.append(float(loss))
        if step % 50 == 0:
            bar.set_postfix(neg_elbo=f"{float(loss):.2f}", rec=f"{float(rec):.2f}",
                            kl=f"{float(kl):.2f}")
    elapsed = time.perf_counter() - start

    test_eps = wire.random.normal(wire.random.fold_in(k_noise, -1), (len(x_test), z_dim))
    test_loss = float(eval_loss(params, x_test, test_eps))
    print(f"trained {args.steps} steps in {elapsed:.1f} s "
          f"({1e3 * elapsed / max(args.steps, 1):.2f} ms/step)")
    print(f"negative ELBO (nats per image): train {np.mean(losses[-50:]):.2f}  "
          f"test {test_loss:.2f}")

    z = wire.random.normal(wire.random.fold_in(k_noise, -2), (100, z_dim))
    samples = np.asarray(decode(params, z)).reshape(10, 10, 8, 8)
    stats = np.asarray(encoder.apply(params["enc"], x_test[:10]))
    recon = np.asarray(decode(params, stats[:, :z_dim]))

    plt = pyplot()
    fig = plt.figure(figsize=(13, 4.5))
    a1 = fig.add_subplot(1, 3, 1)
    a1.plot(losses, lw=0.5)
    a1.set(xlabel="step", ylabel="negative ELBO (nats/image)", title="digits VAE: loss",
           ylim=(min(losses) - 1, np.percentile(losses, 99)))
    a2 = fig.add_subplot(1, 3, 2)
    pairs = np.concatenate([x_test[:10].reshape(10, 8, 8), recon.reshape(10, 8, 8)], axis=1)
    a2.imshow(np.concatenate(list(pairs), axis=1), cmap="gray_r")
    a2.set(title="test digits (top) and reconstructions", xticks=[], yticks=[])
    a3 = fig.add_subplot(1, 3, 3)
    cells = np.pad(samples, ((0, 0), (0, 0), (1, 1), (1, 1)))  # a 1-pixel gutter per digit
    a3.imshow(cells.transpose(0, 2, 1, 3).reshape(100, 100), cmap="gray_r")
    a3.set(title="samples from the prior", xticks=[], yticks=[])
    fig.tight_layout()
    fig.savefig(out_path("digits_vae.png"), dpi=100)
    print(f"wrote {out_path('digits_vae.png')}")


if __name__ == "__main__":
    main()
