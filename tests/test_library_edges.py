"""Wrong answers found at the edges of wire's libraries, each against its oracle: the
function's own limit (mpmath/SciPy/JAX where they are right), values and derivatives under
grad, jit and vmap."""

import numpy as np

import wire
import wire.scipy.special as wsp
from wire import lax


def test_zeta_q_derivative_at_a_tiny_x_is_its_limit():
    # d/dq zeta(x, q) = -x zeta(x + 1, q): where x + 1 rounds to 1, zeta(x + 1, q) is at its
    # pole 1/x - digamma(q), and the product is -1 - x/q (it was -x * inf = -inf, NaN at 0)
    for fn in (wsp.zeta, lax.zeta):
        d = wire.grad(fn, 1)
        assert d(1e-300, 1.0) == -1.0
        assert d(0.0, 2.0) == -1.0
        assert d(-1e-17, 3.0) == -1.0
        assert d(1e-300, 1e-300) == -2.0  # -1 - x/q (JAX's value too)
        assert np.isnan(d(1e-300, np.nan))
    got = wire.jit(wire.vmap(wire.grad(wsp.zeta, 1)))(np.array([2.0, 1e-300, 5e-17]),
                                                      np.array([3.0, 1.0, 0.5]))
    np.testing.assert_allclose(got, [-2 * (1.2020569031595942 - 1.125), -1.0, -1.0],
                               rtol=1e-14)
    # the ordinary branch is unchanged: -x zeta(x + 1, q)
    np.testing.assert_allclose(wire.grad(wsp.zeta, 1)(2.0, 3.0),
                               -2.0 * (1.2020569031595942 - 1.0 - 0.125), rtol=1e-14)
