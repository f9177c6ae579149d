"""Gaussian-process regression with wire: hyperparameters fitted by SciPy on exact gradients.

    python examples/gaussian_process.py
    python examples/gaussian_process.py --steps 5   # quick smoke run

A GP with a squared-exponential kernel is fitted to noisy samples of a function. Its three
hyperparameters (length scale, signal and noise variance, on a log scale) minimise the
negative log marginal likelihood, computed with a Cholesky factor (``wire.scipy.linalg``);
``scipy.optimize.minimize(..., jac=True)`` drives L-BFGS with the value and gradient from one
jitted ``wire.value_and_grad``. The gradient is checked against central differences, and the
posterior mean and a 95% band are drawn. Writes ``examples/out/gaussian_process.png``.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
from _common import out_path, parse_args, pyplot

import wire
import wire.numpy as wnp
from wire.scipy.linalg import cho_solve, cholesky, solve_triangular


def kernel(theta, a, b):
    """Squared-exponential kernel; ``theta`` = log(length scale, signal variance, noise)."""
    ell, sf2 = wnp.exp(theta[0]), wnp.exp(theta[1])
    return sf2 * wnp.exp(-0.5 * (a[:, None] - b[None, :]) ** 2 / ell**2)


def neg_log_marginal_likelihood(theta, x, y):
    k = kernel(theta, x, x) + (wnp.exp(theta[2]) + 1e-9) * wnp.eye(x.shape[0])
    chol = cholesky(k, lower=True)
    alpha = solve_triangular(chol, y, lower=True)
    return (0.5 * wnp.sum(alpha**2) + wnp.sum(wnp.log(wnp.diag(chol)))
            + 0.5 * x.shape[0] * np.log(2 * np.pi))


def posterior(theta, x, y, x_new):
    """Posterior mean and standard deviation at ``x_new`` (plain NumPy values)."""
    k = kernel(theta, x, x) + np.exp(theta[2]) * np.eye(x.shape[0])
    factor = (cholesky(k, lower=True), True)
    k_star = kernel(theta, x_new, x)
    mean = k_star @ cho_solve(factor, y)
    var = np.exp(theta[1]) - np.sum(k_star * cho_solve(factor, k_star.T).T, axis=1)
    return np.asarray(mean), np.sqrt(np.maximum(np.asarray(var), 0.0))


def main():
    args = parse_args(__doc__.splitlines()[0], steps=100, points=40)
    rng = np.random.default_rng(args.seed)
    x = np.sort(rng.uniform(-4, 4, args.points))
    truth = lambda t: np.sin(1.5 * t) + 0.3 * t
    y = truth(x) + 0.15 * rng.normal(size=x.size)

    value_and_grad = wire.jit(wire.value_and_grad(neg_log_marginal_likelihood))

    def fun(theta):
        v, g = value_and_grad(theta, x, y)
        return float(v), np.asarray(g)

    theta0 = np.array([0.0, 0.0, -1.0])
    g0, eps = fun(theta0)[1], 1e-6
    fd = np.array([(fun(theta0 + eps * e)[0] - fun(theta0 - eps * e)[0]) / (2 * eps)
                   for e in np.eye(3)])
    print(f"gradient at theta0: wire {np.round(g0, 6).tolist()}, "
          f"max |wire - central differences| = {np.max(np.abs(g0 - fd)):.1e}")

    trace = [fun(theta0)[0]]
    res = scipy.optimize.minimize(fun, theta0, jac=True, method="L-BFGS-B",
                                  options={"maxiter": args.steps},
                                  callback=lambda th: trace.append(fun(th)[0]))
    ell, sf2, sn2 = np.exp(res.x)
    print(f"L-BFGS: {res.nit} iterations, NLL {trace[0]:.3f} -> {res.fun:.3f}; length scale "
          f"{ell:.3f}, signal variance {sf2:.3f}, noise std {np.sqrt(sn2):.3f} (true 0.15)")

    x_new = np.linspace(-5, 5, 300)
    mean, std = posterior(res.x, x, y, x_new)
    rmse = np.sqrt(np.mean((mean[np.abs(x_new) < 4] - truth(x_new[np.abs(x_new) < 4])) ** 2))
    print(f"posterior mean vs the true function on [-4, 4]: RMSE {rmse:.3f}")

    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
    a1.fill_between(x_new, mean - 1.96 * std, mean + 1.96 * std, alpha=0.25, label="95% band")
    a1.plot(x_new, mean, label="posterior mean")
    a1.plot(x_new, truth(x_new), "k--", lw=0.8, label="true function")
    a1.plot(x, y, "o", ms=3, label="data")
    a1.set(title="GP regression, fitted hyperparameters", xlabel="x")
    a1.legend(fontsize=7)
    a2.plot(trace, "o-", ms=3)
    a2.set(title="negative log marginal likelihood", xlabel="L-BFGS iteration")
    fig.tight_layout()
    fig.savefig(out_path("gaussian_process.png"), dpi=100)
    print(f"wrote {out_path('gaussian_process.png')}")


if __name__ == "__main__":
    main()
