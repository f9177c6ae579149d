"""Limits that random tests never reach, in ``wire.nn`` activations and ``wire.scipy``'s
special functions and distributions: values and derivatives at ``±inf``, where an
intermediate overflows but the result does not, at tiny parameters and at NaN. Expected
values are closed forms, mpmath, or SciPy."""

import numpy as np
import pytest

import wire
from wire import nn

INF = np.inf

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _d(fn, order):
    for _ in range(order):
        fn = wire.grad(fn)
    return fn


# activation, its limit at +inf / -inf for (value, first, second derivative)
_SATURATING = [
    ("gelu", nn.gelu),
    ("gelu_exact", lambda x: nn.gelu(x, approximate=False)),
    ("silu", nn.silu),
]


@pytest.mark.parametrize("name,fn", _SATURATING)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_saturating_activations_take_their_limits_at_infinity(name, fn, dtype):
    # x * Phi(x) and x * sigmoid(x): at +inf the value is inf, the derivative 1, the second
    # derivative 0; at -inf the value is -0.0 and both derivatives 0. The product form makes
    # inf * 0 = NaN (JAX and torch do), as does an overflowed x**2 at 1e300
    for x, want in [(INF, (INF, 1.0, 0.0)), (1e300, (INF if dtype != np.float64 else 1e300, 1.0, 0.0)),
                    (-INF, (-0.0, 0.0, 0.0)), (-1e300, (-0.0, 0.0, 0.0))]:
        xx = np.asarray(x, dtype)
        for order in range(3):
            got = np.asarray(_d(fn, order)(xx))
            assert got.dtype == dtype, (name, x, order)
            assert got == np.asarray(want[order], dtype), (name, x, order, got)
        jvp = wire.jvp(fn, (np.array([xx]),), (np.ones(1, dtype),))[1]
        assert jvp[0] == want[1], (name, x, jvp)
    # NaN stays NaN, in the value and the derivative
    assert np.isnan(fn(np.asarray(np.nan, dtype)))
    assert np.isnan(wire.grad(fn)(np.asarray(np.nan, dtype)))


@pytest.mark.parametrize("name,fn", _SATURATING)
def test_saturating_activations_are_unchanged_near_the_switch(name, fn):
    # the limits are taken only where the formula already equals them in float64: compare
    # the derivatives with central differences in mpmath across the switch points
    import mpmath
    mpmath.mp.dps = 40
    # F(x) with f(x) = x * F(x); for x > 0 differentiate x * (1 - F(x)) = x * F(-x)
    # (these three are odd-symmetric that way) to keep the tiny tail free of cancellation
    cdf = {
        "gelu": lambda x: 1 / (1 + mpmath.exp(-2 * mpmath.sqrt(2 / mpmath.pi)
                                                * (x + mpmath.mpf("0.044715") * x ** 3))),
        "gelu_exact": mpmath.ncdf,
        "silu": lambda x: 1 / (1 + mpmath.exp(-x)),
    }[name]

    def exact(x, order):
        if x < 0:
            return mpmath.diff(lambda t: t * cdf(t), mpmath.mpf(x), order)
        tail = mpmath.diff(lambda t: t * cdf(-t), mpmath.mpf(x), order)
        return [x, 1, 0][order] - tail

    for x in [-900.0, -45.0, -31.0, -29.0, -8.0, -1.5, 0.5, 3.0, 29.0, 31.0, 45.0, 900.0]:
        for order in (0, 1, 2):
            want = float(exact(x, order))
            got = float(_d(fn, order)(x))
            assert got == pytest.approx(want, rel=1e-9, abs=1e-300), (x, order, got, want)
