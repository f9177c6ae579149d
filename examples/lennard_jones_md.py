"""Molecular dynamics of a Lennard-Jones cluster: forces are ``-wire.grad`` of the energy.

    python examples/lennard_jones_md.py
    python examples/lennard_jones_md.py --steps 200   # quick run

The energy is a sum over the pairwise distance matrix. Its diagonal holds the distance of each
atom to itself, 0, where ``sqrt`` has an infinite derivative: the ``where`` trick replaces
those entries *before* the ``sqrt`` (masking only the result would still give NaN forces,
0 * inf). The velocity-Verlet integrator runs in ``wire.lax.fori_loop`` under ``wire.jit``;
total energy is conserved to about dt², and the net force (Newton's third law) is 0.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import single_threaded_blas

import wire
import wire.numpy as wnp


def energy(x, sigma=1.0, eps=1.0):
    d = x[:, None, :] - x[None, :, :]
    r2 = wnp.sum(d ** 2, axis=-1)
    off = ~wnp.eye(x.shape[0], dtype=bool)
    r = wnp.sqrt(wnp.where(off, r2, 1.0))  # the where trick: no sqrt(0) on the diagonal
    sr6 = (sigma / r) ** 6
    return 0.5 * wnp.sum(wnp.where(off, 4 * eps * (sr6 ** 2 - sr6), 0.0))


def forces(x):
    return -wire.grad(energy)(x)


@wire.jit
def verlet(x, v, dt, n):
    """``n`` velocity-Verlet steps of unit-mass atoms (``n`` traced: one compiled loop)."""
    def body(i, s):
        x, v, f = s
        v = v + 0.5 * dt * f
        x = x + dt * v
        f = forces(x)
        return x, v + 0.5 * dt * f, f

    x, v, _ = wire.lax.fori_loop(0, n, body, (x, v, forces(x)))
    return x, v


def total_energy(x, v):
    return float(energy(x)) + 0.5 * float(np.sum(np.asarray(v) ** 2))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=2000, help="integration steps (default 2000)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    single_threaded_blas()  # small matrices: BLAS threads only wait on a busy machine
    rng = np.random.default_rng(args.seed)
    grid = np.array(np.meshgrid(np.arange(3), np.arange(3), np.arange(3))).reshape(3, -1).T
    x = grid * 1.12 + 0.03 * rng.normal(size=(27, 3))  # near the pair minimum 2^(1/6)
    v = 0.2 * rng.normal(size=x.shape)
    v -= v.mean(0)  # no drift of the centre of mass
    print(f"27 atoms, net force at the start: {np.abs(np.sum(forces(x), 0)).max():.1e}")
    e0 = total_energy(x, v)
    chunk = max(args.steps // 4, 1)
    for done in range(chunk, args.steps + 1, chunk):
        x, v = verlet(x, v, 2e-3, chunk)
        e = total_energy(x, v)
        print(f"step {done:5d}  energy {e:.6f}  drift {abs(e - e0) / abs(e0):.1e}")
    assert abs(total_energy(x, v) - e0) < 1e-3 * abs(e0), "energy drift too large"


if __name__ == "__main__":
    main()
