"""Central finite differences, the oracle the SciPy-namespace tests check gradients against."""

import numpy as np


def fd_grad(f, x, eps=1e-6):
    """The gradient of the scalar ``f`` at array ``x`` by central differences, entry by entry."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g
