"""Lagrangian mechanics with wire: a double pendulum whose equations of motion are derivatives.

    python examples/lagrangian_pendulum.py
    python examples/lagrangian_pendulum.py --steps 50   # quick smoke run

Only the Lagrangian ``L(q, q̇) = T - V`` is written by hand. The Euler-Lagrange equations give
the accelerations ``q̈ = (∂²L/∂q̇²)⁻¹ (∂L/∂q - ∂²L/∂q̇∂q · q̇)``: the mass matrix is
``wire.hessian`` of ``L`` in ``q̇``, the mixed term ``wire.jacfwd`` of its gradient. The
state is integrated with RK4 inside ``wire.scan`` under ``wire.jit``; the accelerations are
checked against the textbook closed form, and the energy (conserved by the true motion)
measures the integrator's error. Writes ``examples/out/lagrangian_pendulum.png``.
"""

from __future__ import annotations

import numpy as np
from _common import out_path, parse_args, pyplot

import wire
import wire.numpy as wnp

M1, M2, L1, L2, G = 1.0, 1.0, 1.0, 1.0, 9.81


def lagrangian(q, qd):
    (t1, t2), (w1, w2) = q, qd
    kinetic = (0.5 * (M1 + M2) * L1**2 * w1**2 + 0.5 * M2 * L2**2 * w2**2
               + M2 * L1 * L2 * w1 * w2 * wnp.cos(t1 - t2))
    potential = -(M1 + M2) * G * L1 * wnp.cos(t1) - M2 * G * L2 * wnp.cos(t2)
    return kinetic - potential


def energy(q, qd):
    """T + V = L + 2V (conserved by the true motion)."""
    potential = -(M1 + M2) * G * L1 * wnp.cos(q[0]) - M2 * G * L2 * wnp.cos(q[1])
    return lagrangian(q, qd) + 2 * potential


def accelerations(q, qd):
    mass = wire.hessian(lagrangian, 1)(q, qd)
    force = wire.grad(lagrangian, 0)(q, qd)
    mixed = wire.jacfwd(wire.grad(lagrangian, 1), 0)(q, qd)
    return wnp.linalg.solve(mass, force - mixed @ qd)


def closed_form(q, qd):
    """The double pendulum's accelerations as the textbooks write them (equal masses here
    too, but written for any)."""
    (t1, t2), (w1, w2) = q, qd
    d = t1 - t2
    den = 2 * M1 + M2 - M2 * np.cos(2 * d)
    a1 = (-G * (2 * M1 + M2) * np.sin(t1) - M2 * G * np.sin(t1 - 2 * t2)
          - 2 * np.sin(d) * M2 * (w2**2 * L2 + w1**2 * L1 * np.cos(d))) / (L1 * den)
    a2 = (2 * np.sin(d) * (w1**2 * L1 * (M1 + M2) + G * (M1 + M2) * np.cos(t1)
                           + w2**2 * L2 * M2 * np.cos(d))) / (L2 * den)
    return np.array([a1, a2])


def simulate(state, dt, steps):
    """RK4 steps of the state ``(q, q̇)``, in one ``scan``; returns every state."""

    def rhs(s):
        return wnp.concatenate([s[2:], accelerations(s[:2], s[2:])])

    def step(s, _):
        k1 = rhs(s)
        k2 = rhs(s + 0.5 * dt * k1)
        k3 = rhs(s + 0.5 * dt * k2)
        k4 = rhs(s + dt * k3)
        s = s + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return s, s

    _, path = wire.scan(step, state, None, length=steps)
    return path


def main():
    args = parse_args(__doc__.splitlines()[0], steps=2000, dt=0.005)
    rng = np.random.default_rng(args.seed)
    err = max(np.max(np.abs(np.asarray(accelerations(s[:2], s[2:])) - closed_form(s[:2], s[2:])))
              for s in rng.uniform(-3, 3, size=(20, 4)))
    print(f"accelerations from the Lagrangian vs the closed form, 20 random states: "
          f"max difference {err:.1e}")

    state0 = np.array([2.0, 2.5, 0.0, 0.0])  # both arms up high: chaotic motion
    run = wire.jit(simulate, static_argnums=(1, 2))
    path = np.asarray(run(state0, args.dt, args.steps))
    e = np.asarray(wire.vmap(energy)(path[:, :2], path[:, 2:]))
    e0 = float(energy(state0[:2], state0[2:]))
    print(f"{args.steps} RK4 steps of {args.dt}: energy drift max |E - E0| = "
          f"{np.max(np.abs(e - e0)):.2e} (E0 = {e0:.4f})")

    plt = pyplot()
    t1, t2 = path[:, 0], path[:, 1]
    x1, y1 = L1 * np.sin(t1), -L1 * np.cos(t1)
    x2, y2 = x1 + L2 * np.sin(t2), y1 - L2 * np.cos(t2)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5))
    a1.plot(x2, y2, lw=0.5, label="lower bob")
    a1.plot(x1, y1, lw=0.8, label="upper bob")
    a1.plot([0, x1[-1], x2[-1]], [0, y1[-1], y2[-1]], "ko-", ms=4)
    a1.set(title="double pendulum (accelerations from wire.hessian)", aspect="equal")
    a1.legend(fontsize=7)
    a2.plot(np.arange(1, len(e) + 1) * args.dt, e - e0)
    a2.set(title="energy error E(t) - E(0)", xlabel="t")
    fig.tight_layout()
    fig.savefig(out_path("lagrangian_pendulum.png"), dpi=100)
    print(f"wrote {out_path('lagrangian_pendulum.png')}")


if __name__ == "__main__":
    main()
