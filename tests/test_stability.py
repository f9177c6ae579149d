"""Derivative rules at extreme inputs, against mpmath (50 digits) or closed forms.

Documented choices checked here:
* ``sqrt`` (and ``x ** 0.5``) at 0 has derivative ``+inf``, as in NumPy's limit and JAX.
* ``wnp.linalg.norm`` at the zero vector has gradient 0 (a subgradient), not NaN.
* a true derivative beyond the float64 range (``1/x`` at 1e-160) is ``inf`` — correctly
  rounded, not NaN.
"""

import warnings

import mpmath
import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as S

mpmath.mp.dps = 50


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _rel(got, want) -> float:
    got, want = float(got), float(want)
    if want == 0.0:
        return abs(got)
    return abs(got - want) / abs(want)


def _d(f, x):
    return mpmath.diff(f, mpmath.mpf(x))


EXTREMES = [-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0]


@pytest.mark.parametrize("x", EXTREMES)
def test_softplus(x):
    f = lambda t: mpmath.log1p(mpmath.exp(t))  # noqa: E731
    assert _rel(wire.nn.softplus(x), f(x)) < 1e-15
    assert _rel(wire.grad(wire.nn.softplus)(x), _d(f, x)) < 1e-15


@pytest.mark.parametrize("x", EXTREMES)
def test_expit_and_its_derivatives(x):
    f = lambda t: 1 / (1 + mpmath.exp(-t))  # noqa: E731
    assert _rel(S.expit(x), f(x)) < 1e-15
    assert _rel(wire.grad(S.expit)(x), _d(f, x)) < 1e-14 or abs(float(_d(f, x))) < 1e-300
    second = mpmath.diff(f, mpmath.mpf(x), 2)
    got = wire.grad(wire.grad(S.expit))(x)
    assert np.isfinite(got)
    assert _rel(got, second) < 1e-13 or abs(float(second)) < 1e-30  # 0 at x = 0


@pytest.mark.parametrize("x", EXTREMES)
def test_log_expit(x):
    f = lambda t: -mpmath.log1p(mpmath.exp(-t))  # noqa: E731
    assert _rel(S.log_expit(x), f(x)) < 1e-15
    assert _rel(wire.grad(S.log_expit)(x), _d(f, x)) < 1e-15


@pytest.mark.parametrize("shift", [-1000.0, 0.0, 1000.0])
def test_logsumexp(shift):
    v = np.array([0.0, -1.0, 2.5]) + shift
    m = [mpmath.mpf(t) for t in v]
    want = mpmath.log(sum(mpmath.exp(t) for t in m))
    assert _rel(S.logsumexp(v), want) < 1e-15
    g = wire.grad(S.logsumexp)(v)
    soft = [mpmath.exp(t - want) for t in m]
    for a, b in zip(g, soft):
        assert _rel(a, b) < 1e-14
    h = wire.hessian(S.logsumexp)(v)
    want_h = np.diag([float(s) for s in soft]) - np.outer([float(s) for s in soft],
                                                          [float(s) for s in soft])
    np.testing.assert_allclose(h, want_h, rtol=1e-12, atol=1e-15)


def test_logsumexp_with_minus_inf():
    g = wire.grad(S.logsumexp)(np.array([-np.inf, 0.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0])


@pytest.mark.parametrize("x", [-1000.0, -40.0, -30.0, -20.0, -1.0, 0.0, 3.0])
def test_log_ndtr_far_tail(x):
    # Fixed in issue 9: log(erfc) underflowed below x ~ -38 and the gradient was NaN.
    f = lambda t: mpmath.log(mpmath.ncdf(t))  # noqa: E731
    got = wire.jit(S.log_ndtr)(np.array(x))
    assert _rel(got, f(x)) < 1e-13
    assert _rel(wire.grad(S.log_ndtr)(x), mpmath.npdf(x) / mpmath.ncdf(x)) < 1e-14


@pytest.mark.parametrize("x", [1e-300, 1e-30, 1e-8])
def test_log_of_tiny_values(x):
    assert _rel(wire.grad(wnp.log)(x), 1 / mpmath.mpf(x)) < 1e-15
    assert _rel(wire.grad(wnp.log1p)(x - 1.0 + 1.0), 1 / (1 + mpmath.mpf(x))) < 1e-15
    assert _rel(wire.grad(S.logit)(x), 1 / (mpmath.mpf(x) * (1 - mpmath.mpf(x)))) < 1e-14


def test_sqrt_at_zero_is_inf_by_choice():
    assert wire.grad(wnp.sqrt)(0.0) == np.inf
    assert wire.grad(lambda x: x ** 0.5)(0.0) == np.inf
    assert _rel(wire.grad(wnp.sqrt)(1e-300), 0.5 / mpmath.sqrt(mpmath.mpf(1e-300))) < 1e-15


@pytest.mark.parametrize("shape", [(3,), (2, 2)])
def test_norm_at_zero_is_zero_gradient(shape):
    g = wire.grad(wnp.linalg.norm)(np.zeros(shape))
    np.testing.assert_array_equal(g, np.zeros(shape))
    # small but nonzero: x / ||x||. (Below ~1e-154 the squares underflow and the norm is 0,
    # exactly as numpy.linalg.norm computes it; the gradient is then the zero subgradient.)
    x = np.full(shape, 1e-100)
    g = wire.grad(wnp.linalg.norm)(x)
    np.testing.assert_allclose(g, np.full(shape, 1 / np.sqrt(x.size)), rtol=1e-14)


@pytest.mark.parametrize("y", [1e-150, 1e-100, -1e-150])
def test_division_by_near_zero(y):
    # d/dy (3/y) = -3/y^2 and d/dx (x/y) = 1/y: representable, so they must be exact.
    assert _rel(wire.grad(lambda t: 3.0 / t)(y), -3 / mpmath.mpf(y) ** 2) < 1e-15
    assert _rel(wire.grad(lambda t: t / y)(2.0), 1 / mpmath.mpf(y)) < 1e-15


def test_division_overflow_is_inf_not_nan():
    assert wire.grad(lambda t: 1.0 / t)(1e-160) == -np.inf


@pytest.mark.parametrize("x", [-1000.0, 1000.0])
def test_saturating_activations(x):
    for f in (wnp.tanh, wire.nn.sigmoid, S.expit):
        g = wire.grad(f)(x)
        assert g == 0.0 or abs(g) < 1e-300, f
    assert wire.grad(lambda t: wnp.logaddexp(t, 0.0))(x) == (1.0 if x > 0 else 0.0)
    np.testing.assert_allclose(
        wire.grad(lambda v: S.log_softmax(v)[1])(np.array([x, 0.0])),
        [-1.0, 1.0] if x > 0 else [0.0, 0.0], atol=1e-300)
