"""A Wasserstein GAN with gradient penalty (WGAN-GP) on scikit-learn's 8x8 digits, with wire.

    python examples/digits_wgan_gp.py              # ~70 s (22 ms a step on one core)
    python examples/digits_wgan_gp.py --steps 5    # quick smoke run

A generator maps 16 Gaussian numbers to an 8x8 image; a critic scores images. The critic is
trained to tell real digits from generated ones by maximising the Wasserstein estimate
``mean(critic(real)) - mean(critic(fake))``, kept 1-Lipschitz by the gradient penalty of
Gulrajani et al. (2017): ``10 * mean((|grad_x critic(x_hat)| - 1)**2)`` at random points
``x_hat`` between real and generated images. That gradient is ``wire.grad`` of the critic with
respect to its *input*, taken inside the critic's loss, so the critic's update differentiates
a gradient (reverse over reverse). One training step — five critic updates, then one
generator update — is one ``wire.jit``-compiled function.

Writes ``examples/out/digits_wgan_gp_samples.png`` (a 10x10 grid of generated digits next to
real ones) and ``examples/out/digits_wgan_gp_loss.png`` (the critic's Wasserstein estimate,
the penalty and the generator loss over training).
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

Z_DIM = 16
N_CRITIC = 5  # critic updates per generator update, as in the paper
GP_WEIGHT = 10.0


def leaky(x):
    # LeakyReLU(0.2), as in DCGAN-style critics: the input gradient the penalty measures
    # does not vanish where a unit is off
    return nn.leaky_relu(x, 0.2)


def main():
    args = parse_args(__doc__.splitlines()[0], steps=3000, batch_size=64, lr=2e-4)
    x_train, x_test, _, _ = load_digits_split(args.seed)

    generator = nn.serial(nn.Dense(128), nn.Relu(), nn.Dense(256), nn.Relu(), nn.Dense(64),
                          nn.Sigmoid())
    # No batch normalisation in the critic: the penalty is per example, and the batch-summed
    # input gradient below equals the per-example gradients only when examples do not mix.
    critic = nn.serial(nn.Dense(256), nn.Lambda(leaky, "leaky"), nn.Dense(256),
                       nn.Lambda(leaky, "leaky"), nn.Dense(1))
    k_gen, k_critic, k_data, k_noise, k_show = wire.random.split(wire.random.key(args.seed), 5)
    params = pmap({"gen": generator.init(k_gen, (-1, Z_DIM)),
                   "critic": critic.init(k_critic, (-1, 64))})

    def score(cparams, x):
        return critic.apply(cparams, x)[:, 0]

    def critic_loss(cparams, gparams, real, z, eps):
        fake = generator.apply(gparams, z)
        # the critic's estimate of the Wasserstein-1 distance between data and samples
        wasserstein = wnp.mean(score(cparams, real)) - wnp.mean(score(cparams, fake))
        x_hat = eps * real + (1.0 - eps) * fake
        # Each score depends on its own row only, so the gradient of the summed scores with
        # respect to the batch x_hat holds every example's input gradient, row by row.
        g = wire.grad(lambda x: wnp.sum(score(cparams, x)))(x_hat)
        norms = wnp.sqrt(wnp.sum(g * g, axis=1) + 1e-12)
        penalty = wnp.mean((norms - 1.0) ** 2)
        return -wasserstein + GP_WEIGHT * penalty, (wasserstein, penalty)

    def generator_loss(gparams, cparams, z):
        return -wnp.mean(score(cparams, generator.apply(gparams, z)))

    # Adam with b1 = 0.5, b2 = 0.9: the settings of the WGAN-GP paper's image experiments
    # (b1 = 0 there); plain Adam's momentum makes the adversarial game oscillate.
    opt = optim.adam(args.lr, b1=0.5, b2=0.9)

    @jit
    def train_step(params, opt_state, reals, zs, epss):
        """N_CRITIC critic updates (one per real batch), then one generator update."""
        cparams, gparams = params["critic"], params["gen"]
        c_state, g_state = opt_state
        for k in range(N_CRITIC):  # unrolled at trace time: one compiled graph
            (_, (w, gp)), grads = wire.value_and_grad(critic_loss, has_aux=True)(
                cparams, gparams, reals[k], zs[k], epss[k])
            updates, c_state = opt.update(grads, c_state, cparams)
            cparams = optim.apply_updates(cparams, updates)
        g_loss, grads = wire.value_and_grad(generator_loss)(gparams, cparams, zs[N_CRITIC])
        updates, g_state = opt.update(grads, g_state, gparams)
        gparams = optim.apply_updates(gparams, updates)
        return pmap({"critic": cparams, "gen": gparams}), (c_state, g_state), (w, gp, g_loss)

    generate = jit(lambda gparams, z: generator.apply(gparams, z))

    opt_state = (opt.init(params["critic"]), opt.init(params["gen"]))
    stream = batches(k_data, len(x_train), args.batch_size)
    history = []
    start = time.perf_counter()
    bar = tqdm(range(args.steps), desc="digits WGAN-GP", unit="step")
    for step in bar:
        kz, ke = wire.random.split(wire.random.fold_in(k_noise, step))
        reals = np.stack([x_train[next(stream)] for _ in range(N_CRITIC)])
        zs = wire.random.normal(kz, (N_CRITIC + 1, args.batch_size, Z_DIM))
        epss = wire.random.uniform(ke, (N_CRITIC, args.batch_size, 1))
        params, opt_state, losses = train_step(params, opt_state, reals, zs, epss)
        history.append([float(v) for v in losses])
        if step % 50 == 0 or step == args.steps - 1:
            w, gp, g = history[-1]
            bar.set_postfix(wasserstein=f"{w:.3f}", penalty=f"{gp:.3f}", gen=f"{g:.3f}")
    elapsed = time.perf_counter() - start
    history = np.array(history).reshape(-1, 3)

    z = wire.random.normal(k_show, (100, Z_DIM))
    samples = np.asarray(generate(params["gen"], z)).reshape(100, 8, 8)
    tail = history[-max(1, len(history) // 10):]
    print(f"trained {args.steps} steps ({N_CRITIC} critic + 1 generator update each) in "
          f"{elapsed:.1f} s ({1e3 * elapsed / max(args.steps, 1):.1f} ms/step)")
    print(f"critic's Wasserstein distance estimate, mean of the last {len(tail)} steps: "
          f"{tail[:, 0].mean():.4f} (first step: {history[0, 0]:.4f}; 0 = the critic cannot "
          f"tell samples from digits); gradient penalty {tail[:, 1].mean():.4f}")
    print(f"nearest-real-digit distance of samples (mean L2 over 64 pixels): "
          f"{_nearest_distance(samples.reshape(100, 64), x_train):.3f}; "
          f"of held-out real digits: {_nearest_distance(x_test[:100], x_train):.3f}")
    print(f"a digit classifier trained on real digits labels the samples "
          f"{_label_counts(samples.reshape(100, 64), args.seed)}")

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.8))
    for ax, images, title in ((axes[0], samples, f"WGAN-GP samples after {args.steps} steps"),
                              (axes[1], x_test[:100].reshape(100, 8, 8), "real digits")):
        cells = np.pad(images.reshape(10, 10, 8, 8), ((0, 0), (0, 0), (1, 1), (1, 1)))
        ax.imshow(cells.transpose(0, 2, 1, 3).reshape(100, 100), cmap="gray_r", vmin=0, vmax=1)
        ax.set(title=title, xticks=[], yticks=[])
    fig.tight_layout()
    fig.savefig(out_path("digits_wgan_gp_samples.png"), dpi=100)
    print(f"wrote {out_path('digits_wgan_gp_samples.png')}")

    fig, ax = plt.subplots(figsize=(7, 4))
    steps = np.arange(len(history))
    for col, label in ((0, "critic: Wasserstein estimate E[D(real)] - E[D(fake)]"),
                       (1, "critic: gradient penalty (before x10)"),
                       (2, "generator loss -E[D(fake)]")):
        ax.plot(steps, history[:, col], lw=0.4, alpha=0.35)
        ax.plot(*_smooth(history[:, col]), lw=1.5, label=label, color=ax.lines[-1].get_color())
    ax.axhline(0.0, color="gray", lw=0.5)
    ax.set(xlabel="step", title="digits WGAN-GP: losses (thin: per step, thick: smoothed)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_path("digits_wgan_gp_loss.png"), dpi=100)
    print(f"wrote {out_path('digits_wgan_gp_loss.png')}")


def _smooth(v, width: int = 50):
    """``(steps, moving average)`` over full windows only (no dip at the ends)."""
    width = max(1, min(width, len(v)))
    return np.arange(len(v) - width + 1) + (width - 1) / 2, np.convolve(
        v, np.ones(width) / width, mode="valid")


def _nearest_distance(a, b) -> float:
    """Mean Euclidean distance from each row of ``a`` to its nearest row of ``b``."""
    d2 = (a * a).sum(1)[:, None] - 2 * a @ b.T + (b * b).sum(1)[None, :]
    return float(np.sqrt(np.maximum(d2.min(axis=1), 0.0)).mean())


def _label_counts(images, seed: int) -> str:
    """Which digits the samples look like, to a logistic regression fitted on real digits."""
    from sklearn.linear_model import LogisticRegression

    x_train, _, y_train, _ = load_digits_split(seed)
    clf = LogisticRegression(max_iter=2000).fit(x_train, y_train)
    proba = clf.predict_proba(images)
    counts = np.bincount(proba.argmax(1), minlength=10)
    sure = int((proba.max(1) > 0.9).sum())
    return (" ".join(f"{d}:{c}" for d, c in enumerate(counts))
            + f" ({sure} of {len(images)} with probability > 0.9)")


if __name__ == "__main__":
    main()
