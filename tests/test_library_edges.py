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


def test_lax_special_functions_keep_float16():
    # XLA computes in the operand's dtype; SciPy has float32/float64 loops only, and a
    # float16 operand came back float64 (erf, lgamma, igamma, ...) or float32 (erf_inv,
    # betainc), its gradient float16
    h = np.array([0.5, 1.5, 3.0], np.float16)
    ones = [lax.erf, lax.erfc, lax.erf_inv, lax.lgamma, lax.digamma, lax.logistic,
            lax.bessel_i0e, lax.bessel_i1e]
    twos = [lax.igamma, lax.igammac, lax.igamma_grad_a, lax.random_gamma_grad]
    calls = [(f, (h,)) for f in ones] + [(f, (h, h)) for f in twos] + [
        (lax.betainc, (h, h, np.array([0.25, 0.5, 0.75], np.float16))),
        (lax.polygamma, (np.array([0.0, 1.0, 2.0], np.float16), h))]
    for f, args in calls:
        want = np.asarray(f(*[a.astype(np.float32) for a in args])).astype(np.float16)
        got = f(*args)
        assert got.dtype == np.float16, f.__name__
        np.testing.assert_array_equal(got, want, err_msg=f.__name__)
        if f is not lax.polygamma:  # (its order must be concrete)
            assert wire.jit(f)(*args).dtype == np.float16
    g = wire.grad(lambda t: lax.logistic(t).astype(np.float32).sum())(h)
    assert g.dtype == np.float16
    np.testing.assert_allclose(g, [0.2350, 0.1491, 0.04517], rtol=2e-3)
