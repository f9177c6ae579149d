"""Higher-order derivatives with wire: grad of grad of grad…, and a Newton optimiser.

    python examples/higher_order.py
    python examples/higher_order.py --steps 5   # quick smoke run

Part 1 differentiates ``tanh`` six times by nesting ``wire.grad`` (each derivative is an
exact graph, not a finite difference) and checks the results against the closed forms in
terms of ``t = tanh(x)``. Part 2 minimises the Rosenbrock function with Newton's method, using
``wire.hessian`` for the exact Hessian and ``wire.grad`` for the gradient, next to plain
gradient descent and Adam from ``wire.optim``. Writes ``examples/out/higher_order.png``.
"""

from __future__ import annotations

import numpy as np
from _common import out_path, parse_args, pyplot
from tqdm import tqdm

import wire
import wire.numpy as wnp
from wire import optim


def nth_derivatives(f, n):
    """[f, f', f'', …, f^(n)] as functions, each the grad of the previous one (elementwise)."""
    out = [f]
    for _ in range(n):
        prev = out[-1]
        out.append(wire.grad(lambda x, prev=prev: wnp.sum(prev(x))))
    return out


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def newton(f, x0, steps, damping=1e-6):
    """Newton's method with a tiny Levenberg damping and a halving line search."""
    grad, hess = wire.grad(f), wire.hessian(f)
    x, path = np.asarray(x0, float), [np.asarray(x0, float)]
    for _ in tqdm(range(steps), desc="Newton", unit="step", leave=False):
        g, h = np.asarray(grad(x)), np.asarray(hess(x))
        step = np.linalg.solve(h + damping * np.eye(len(x)), g)
        t, fx = 1.0, float(f(x))
        while float(f(x - t * step)) > fx and t > 1e-4:
            t *= 0.5
        x = x - t * step
        path.append(x)
    return np.array(path)


def first_order(f, x0, opt, steps):
    grad = wire.jit(wire.grad(f)) if hasattr(wire, "jit") else wire.grad(f)
    x, state, path = np.asarray(x0, float), opt.init(np.asarray(x0, float)), [np.asarray(x0)]
    for _ in tqdm(range(steps), desc="first order", unit="step", leave=False):
        updates, state = opt.update(grad(x), state, x)
        x = optim.apply_updates(x, updates)
        path.append(np.asarray(x))
    return np.array(path)


def main():
    args = parse_args(__doc__.splitlines()[0], steps=2000, order=6)

    # ---- part 1: derivatives of tanh to order 6, exact graphs
    xs = np.linspace(-3, 3, 301)
    derivs = nth_derivatives(wnp.tanh, args.order)
    values = [np.asarray(d(xs)) for d in tqdm(derivs, desc="grad^n of tanh", unit="order")]
    t = np.tanh(xs)
    closed = {1: 1 - t**2, 2: -2 * t * (1 - t**2), 3: (1 - t**2) * (6 * t**2 - 2),
              4: (1 - t**2) * (-24 * t**3 + 16 * t)}
    for n, ref in closed.items():
        if n < len(values):
            print(f"d^{n}/dx^{n} tanh: max |wire - closed form| = "
                  f"{np.max(np.abs(values[n] - ref)):.2e}")
    g6 = wire.trace(derivs[-1], 0.5)
    print(f"graph of the order-{args.order} derivative: {len(g6)} nodes "
          f"({len(wire.simplify(g6)) if hasattr(wire, 'simplify') else '?'} after simplify)")

    # ---- part 2: Newton (exact Hessian) vs first-order methods on Rosenbrock
    x0 = np.array([-1.2, 1.0])
    newton_steps = max(2, min(30, args.steps))
    p_newton = newton(rosenbrock, x0, newton_steps)
    p_gd = first_order(rosenbrock, x0, optim.sgd(1e-3), args.steps)
    p_adam = first_order(rosenbrock, x0, optim.adam(2e-2), args.steps)
    f = lambda path: np.array([float(rosenbrock(p)) for p in path])
    f_newton, f_gd, f_adam = f(p_newton), f(p_gd), f(p_adam)
    print(f"Rosenbrock from {x0.tolist()}: Newton {len(p_newton) - 1} steps -> "
          f"f = {f_newton[-1]:.2e} at {np.round(p_newton[-1], 6).tolist()}")
    print(f"  gradient descent {args.steps} steps -> f = {f_gd[-1]:.2e};  "
          f"Adam {args.steps} steps -> f = {f_adam[-1]:.2e}")

    plt = pyplot()
    from matplotlib.colors import LogNorm

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(16, 4.5))
    for n, v in enumerate(values):
        a1.plot(xs, v / max(np.abs(v).max(), 1e-12), label=f"order {n}" if n else "tanh")
    a1.set(title="tanh and its derivatives (each scaled to max 1)", xlabel="x")
    a1.legend(fontsize=7)
    gx, gy = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-1, 3, 200))
    a2.contour(gx, gy, (1 - gx) ** 2 + 100 * (gy - gx**2) ** 2, levels=np.logspace(-1, 3.5, 20),
               cmap="Greys", linewidths=0.8, norm=LogNorm())
    a2.plot(*p_gd.T, ".-", ms=1, lw=0.6, label="gradient descent")
    a2.plot(*p_adam.T, ".-", ms=1, lw=0.6, label="Adam")
    a2.plot(*p_newton.T, "o-", ms=3, lw=1.2, label="Newton (wire.hessian)")
    a2.plot([1], [1], "k*", ms=10)
    a2.set(title="Rosenbrock: optimisation paths", xlabel="x", ylabel="y")
    a2.legend(fontsize=7)
    for name, fs in (("gradient descent", f_gd), ("Adam", f_adam), ("Newton", f_newton)):
        a3.semilogy(np.maximum(fs, 1e-30), label=name)
    a3.set(title="f(x_k)", xlabel="iteration k", xscale="symlog")
    a3.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_path("higher_order.png"), dpi=100)
    print(f"wrote {out_path('higher_order.png')}")


if __name__ == "__main__":
    main()
