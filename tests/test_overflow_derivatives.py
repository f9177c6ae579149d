"""Derivatives whose intermediate values overflow where the exact derivative does not:
prod's gradient beside zeros (the others' product is 0, not 0 * inf) and xlogy's forward
mode at subnormal ``y`` (``x * (1/y)`` was ``0 * inf``)."""
from fractions import Fraction
import math

import numpy as np
import pytest

import wire
import wire.numpy as wnp


def _exact_others(v):
    """d prod(v) / d v_i, the product of the other entries, correctly rounded (IEEE rules
    for inf and NaN: 0 * inf is NaN)."""
    out = []
    for i in range(len(v)):
        rest = [float(t) for j, t in enumerate(v) if j != i]
        if any(math.isnan(t) for t in rest):
            out.append(math.nan)
            continue
        if any(math.isinf(t) for t in rest):
            if any(t == 0 for t in rest):
                out.append(math.nan)
            else:
                neg = sum(t < 0 for t in rest) % 2
                out.append(-math.inf if neg else math.inf)
            continue
        p = Fraction(1)
        for t in rest:
            p *= Fraction(t)
        try:
            out.append(float(p))
        except OverflowError:
            out.append(math.inf if p > 0 else -math.inf)
    return np.array(out)


PROD_CASES = [
    [0.0, 0.0, 1e300, 1e300],
    [0.0, 1e300, 1e300, 2.0],
    [1e300, 0.0, 1e300],
    [1e200, 1e200, 1e200, 0.0, 3.0],
    [-1e300, 1e300, 0.0, 0.5],
    [0.0, 0.0, 0.0, 1e308, 1e308],
    [1e308, 1e308, 2.0, 3.0],
    [0.0, np.inf, 1.0],
    [0.0, 0.0, np.inf],
    [0.0, -np.inf, 1e300, 1e300],
    [0.0, np.nan, 1e300, 1e300],
    [2.0, 3.0, 0.0, 1e300, 1e300, 1e300, 4.0],
    [1.5, -2.0, 3.0],
    [0.0],
    [7.0, 0.0],
]


@pytest.mark.parametrize("v", PROD_CASES, ids=[str(c) for c in PROD_CASES])
def test_prod_gradient_matches_exact_product_of_others(v):
    v = np.array(v)
    expected = _exact_others(v)
    f = lambda u: wnp.prod(u)
    for got in (wire.grad(f)(v), wire.jit(wire.grad(f))(v), wire.jacfwd(f)(v),
                wire.jacrev(f)(v)):
        np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0)
    for i in range(len(v)):  # forward mode, one direction at a time
        e = np.zeros_like(v)
        e[i] = 1.0
        np.testing.assert_allclose(wire.jvp(f, (v,), (e,))[1], expected[i], rtol=1e-14)


def test_prod_gradient_along_axes_and_under_vmap():
    m = np.array([[0.0, 1e300, 1e300, 2.0],
                  [1e300, 1e300, 0.0, 0.0],
                  [1.0, 2.0, 3.0, 4.0]])
    g = wire.grad(lambda a: wnp.sum(wnp.prod(a, axis=1)))(m)
    np.testing.assert_allclose(g, np.stack([_exact_others(r) for r in m]), rtol=1e-14)
    g0 = wire.grad(lambda a: wnp.sum(wnp.prod(a, axis=0)))(m.T)
    np.testing.assert_allclose(g0, np.stack([_exact_others(r) for r in m]).T, rtol=1e-14)
    gv = wire.vmap(wire.grad(lambda r: wnp.prod(r)))(m)
    np.testing.assert_allclose(gv, np.stack([_exact_others(r) for r in m]), rtol=1e-14)


def test_prod_second_derivatives_beside_zeros():
    f = lambda u: wnp.prod(u)
    v = np.array([0.0, 0.0, 2.0, 3.0])
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[1, 0] = 6.0
    for h in (wire.hessian(f)(v), wire.jacrev(wire.jacrev(f))(v)):
        np.testing.assert_array_equal(h, expected)
    # rows 1 and 2: d²/dv_i dv_j is the product of the two remaining entries, one of them 0
    # (NaN before: 0 * inf)
    v = np.array([0.0, 1e300, 1e300, 2.0])
    for h in (wire.hessian(f)(v), wire.jacrev(wire.jacrev(f))(v)):
        np.testing.assert_array_equal(h[1:3, :3], [[2e300, 0.0, 0.0], [2e300, 0.0, 0.0]])
    # d²/dv_0 dv_3 at [0, 1e300, 1e300, 0] is 1e600: never 1 nor NaN (saturated at the
    # largest float)
    v = np.array([0.0, 1e300, 1e300, 0.0])
    for h in (wire.hessian(f)(v), wire.jacrev(wire.jacrev(f))(v)):
        assert h[0, 3] >= np.finfo(np.float64).max and h[3, 0] >= np.finfo(np.float64).max
        np.testing.assert_array_equal(h[1:3], 0.0)


mpmath = pytest.importorskip("mpmath")
from wire.scipy.special import xlog1py, xlogy  # noqa: E402

XLOGY_POINTS = [(x, y) for x in (0.0, -0.0, 1.0, 2.0, 1e-300) for y in (5e-324, 1e-310, 0.5)]


def _xlogy_partials(x, y):
    """(log y, x / y), correctly rounded (overflow to inf)."""
    return float(mpmath.log(mpmath.mpf(y))), float(mpmath.mpf(x) / mpmath.mpf(y))


@pytest.mark.parametrize("x, y", XLOGY_POINTS)
def test_xlogy_forward_and_reverse_agree_with_mpmath_at_tiny_y(x, y):
    dx, dy = _xlogy_partials(x, y)
    assert wire.jvp(xlogy, (x, y), (1.0, 0.0))[1] == pytest.approx(dx, rel=1e-15)
    assert wire.jvp(xlogy, (x, y), (0.0, 1.0))[1] == pytest.approx(dy, rel=1e-15)
    gx, gy = wire.grad(xlogy, argnums=(0, 1))(x, y)
    assert (float(gx), float(gy)) == pytest.approx((dx, dy), rel=1e-15)
    xs, ys = np.full(2, x), np.full(2, y)
    for jac in (wire.jacfwd, wire.jacrev):
        jy = jac(lambda v: xlogy(xs, v))(ys)
        np.testing.assert_allclose(np.diag(jy), [dy, dy], rtol=1e-15)
        jx = jac(lambda u: xlogy(u, ys))(xs)
        np.testing.assert_allclose(np.diag(jx), [dx, dx], rtol=1e-15)
    # d²/dy² = -x / y² and d²/dx dy = 1 / y, in both orders of the modes
    dyy = float(-mpmath.mpf(x) / mpmath.mpf(y) ** 2)
    dxy = float(1 / mpmath.mpf(y))
    assert float(wire.grad(wire.grad(xlogy, 1), 1)(x, y)) == pytest.approx(dyy, rel=1e-15)
    assert float(wire.grad(wire.grad(xlogy, 1), 0)(x, y)) == pytest.approx(dxy, rel=1e-15)
    fwd_y = lambda a, b: wire.jvp(lambda v: xlogy(a, v), (b,), (1.0,))[1]
    assert float(wire.grad(fwd_y, 1)(x, y)) == pytest.approx(dyy, rel=1e-15)
    assert float(wire.jit(wire.grad(xlogy, 1))(x, y)) == pytest.approx(dy, rel=1e-15)


def test_xlog1py_forward_matches_reverse():
    x = np.array([0.0, 1.0, 2.0, 1e-300])
    y = np.array([-0.5, 1e-310, 3.0, -1.0 + 2.0 ** -52])
    gy = wire.grad(lambda v: wnp.sum(xlog1py(x, v)))(y)
    np.testing.assert_allclose(gy, x / (1.0 + y), rtol=1e-15)
    np.testing.assert_allclose(np.diag(wire.jacfwd(lambda v: xlog1py(x, v))(y)), gy, rtol=1e-15)
