"""Derivatives at the points random-point tests never reach: zeros (signed), ties, domain
edges, ``±inf``, huge and tiny values, NaN — first to third order, through ``wire.grad``
(eager), ``wire.jit(wire.grad)`` and ``wire.jvp``, which must agree to the bit.

Each expected value comes from an oracle: mpmath (a high-precision derivative, or a one-sided
limit where the function stops at an edge or at infinity), a closed form, or a convention
documented in ``docs/numpy.md``. Where JAX (x64) differs, the comment says which side is
right and why. ``tests/test_smooth_derivatives.py`` covers the finite special points of the
whole catalogue against mpmath; this file holds what it cannot reach — infinities, NaN,
signed zeros, primitive exponents at their poles — and the eager / ``jit`` / JVP agreement.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as wsp

mpmath = pytest.importorskip("mpmath")

INF, NAN = math.inf, math.nan


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


# --------------------------------------------------------------------------- harness


def _nth(f, order, argnum=0):
    """``order`` nested elementwise derivatives of ``f`` in argument ``argnum``."""
    for _ in range(order):
        f = wire.elementwise_grad(f, argnums=argnum)
    return f


def _bits_equal(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and (
        np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b)))


def _derivatives(f, args, order, argnum=0, forward=True):
    """The derivative eagerly, under ``jit`` and (first order, if ``forward``) by a JVP; they
    must agree to the bit (values, NaN and signs of zero)."""
    args = [np.asarray(a, dtype=np.float64) for a in args]
    d = _nth(f, order, argnum)
    eager = np.asarray(d(*args))
    jitted = np.asarray(wire.jit(d)(*args))
    assert _bits_equal(eager, jitted), f"eager {eager!r} != jit {jitted!r}"
    if order >= 3 and argnum == 0 and len(args) == 1 and args[0].ndim == 0:
        # nested grad of a scalar function: Taylor mode from the third order on
        tower = f
        for _ in range(order):
            tower = wire.grad(tower)
        taylor = np.asarray(tower(*args))
        assert _same(taylor, eager) or taylor == eager == 0.0, (  # a zero's sign may differ
            f"Taylor mode {taylor!r} != reverse mode {eager!r}")
    if order == 1 and forward:
        def along(a):  # the other arguments held (a zero tangent times inf would be NaN)
            return f(*args[:argnum], a, *args[argnum + 1:])

        forward = np.asarray(wire.jvp(along, (args[argnum],), (np.ones_like(args[argnum]),))[1])
        assert _bits_equal(eager, forward), f"grad {eager!r} != jvp {forward!r}"
    return eager


def _same(got, want) -> bool:
    """``got`` is ``want``: NaN for NaN, the same infinity, the same sign of zero, else
    within a few ulps."""
    got, want = np.broadcast_arrays(np.asarray(got, float), np.asarray(want, float))
    for g, w in zip(got.ravel(), want.ravel()):
        if math.isnan(w) or math.isinf(w) or w == 0.0:
            if not (math.isnan(w) and math.isnan(g) or g == w and
                    math.copysign(1, g) == math.copysign(1, w)):
                return False
        elif not abs(g - w) <= 1e-14 * abs(w):
            return False
    return True


def _check(f, args, order, want, argnum=0, forward=True):
    got = _derivatives(f, args, order, argnum, forward)
    assert _same(got, want), f"got {got!r}, want {want!r}"


def _mp_at_infinity(f, sign):
    """``f`` (an mpmath function) far beyond the float range, at ``sign * 10**10000``: its
    limit at ``±inf`` to double precision, where the limit exists."""
    with mpmath.workdps(30):
        return float(f(sign * mpmath.mpf(10) ** 10000))


# --------------------------------------------------------------------------- power


@pytest.mark.parametrize("y", [0.0, 0.5, 1.0, 2.0, 3.0])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_power_at_zero_base_with_a_traced_exponent(y, order):
    """``power(x, y)`` with ``y`` an argument (not a constant folded into the graph):
    ``d^k/dx^k x**y`` at ``x = 0`` is the closed form ``y (y-1) … (y-k+1) x**(y-k)``,
    0 where the falling factorial is 0 (``x**0 = 1``, ``x**1 = x``, ``x**2``'s third
    derivative), ``+inf`` where ``x**(y-k)`` has a pole. JAX gives NaN at the zeros
    (``0 * inf`` in its rule); wire did too, under ``jit`` only."""
    coef = math.prod(y - j for j in range(order))
    want = 0.0 if coef == 0 else coef * (INF if y - order < 0 else 0.0 ** (y - order))
    _check(wnp.power, [0.0, y], order, want)


@pytest.mark.parametrize("x, want", [(0.0, 0.0), (2.0, 0.5), (0.25, 4.0)])
def test_power_mixed_derivative_at_zero_exponent(x, want):
    """``d²/dx dy x**y`` at ``y = 0`` is ``1/x`` (mpmath), kept where ``x != 0``; at the
    pole ``x = y = 0`` the ``x``-derivative is held at its value 0."""
    mixed = wire.elementwise_grad(wire.elementwise_grad(wnp.power, argnums=0), argnums=1)
    got = mixed(np.float64(x), np.float64(0.0))
    assert _same(got, want)
    assert _bits_equal(got, wire.jit(mixed)(np.float64(x), np.float64(0.0)))


@pytest.mark.parametrize("y, want", [
    (2.0, 0.0),       # 0**y is 0 for every y > 0: a constant
    (0.5, 0.0),
    (-1.0, NAN),      # 0**y is inf for every y < 0: inf - inf has no limit (was 0)
    (-2.5, NAN),
    (NAN, NAN),       # the value is NaN (was 0)
    (-INF, NAN),
])
def test_power_exponent_derivative_at_zero_base(y, want):
    """``d/dy 0**y`` (JAX agrees at every point)."""
    _check(wnp.power, [0.0, y], 1, want, argnum=1)


# --------------------------------------------------------------------------- sqrt


@pytest.mark.parametrize("order, want", [(1, INF), (2, -INF), (3, INF)])
def test_sqrt_at_negative_zero_is_the_limit_from_the_right(order, want):
    """``sqrt(-0.0)`` is ``-0.0`` and ``0.5 / -0.0`` is ``-inf``; but ``-0.0`` is the point
    0, where ``sqrt`` is defined on the right only: the derivatives are those at ``+0.0``,
    the one-sided limits ``+inf, -inf, +inf`` (``sqrt``, ``x ** 0.5``, ``power(x, 0.5)``
    alike). JAX gives ``-inf`` at the first order."""
    for f in (wnp.sqrt, lambda x: x ** 0.5, lambda x: wnp.power(x, 0.5)):
        _check(f, [-0.0], order, want)
        _check(f, [0.0], order, want)


# --------------------------------------------------------------------------- hypot




@pytest.mark.parametrize("x1, x2", [(INF, 1.0), (-INF, 2.0), (INF, -0.0), (-INF, 1e300)])
def test_hypot_gradient_at_an_infinite_argument(x1, x2):
    """``hypot(±inf, y)`` is ``inf``; the derivative is the limit ``±1`` in the infinite
    argument, ``y / inf = 0`` in the other (both were NaN by ``grad``, 0 by ``jvp``; JAX
    gives NaN)."""
    s = 1.0 if x1 > 0 else -1.0
    want = _mp_at_infinity(lambda t: t / mpmath.hypot(t, x2), s)  # d/dx1 = x1 / hypot
    _check(wnp.hypot, [x1, x2], 1, want, argnum=0)
    _check(wnp.hypot, [x2, x1], 1, want, argnum=1)
    _check(wnp.hypot, [x1, x2], 1, 0.0, argnum=1)
    for order in (2, 3):  # hypot is |x1| + O(1/x1) there: flat
        _check(wnp.hypot, [x1, x2], order, 0.0)


def test_hypot_with_a_nan_beside_an_infinity():
    """``hypot(inf, nan)`` is ``inf`` whatever the NaN (C's and NumPy's rule): its
    derivative in the NaN argument is 0, in the infinite one 1."""
    _check(wnp.hypot, [INF, NAN], 1, 1.0, argnum=0)
    _check(wnp.hypot, [INF, NAN], 1, 0.0, argnum=1)


def test_hypot_with_both_arguments_infinite_splits_evenly():
    """Both infinite: the derivative splits evenly, as ``maximum``'s at a tie (documented)."""
    _check(wnp.hypot, [INF, -INF], 1, 0.5, argnum=0)
    _check(wnp.hypot, [INF, -INF], 1, -0.5, argnum=1)


# --------------------------------------------------------------------------- logarithms


def _mp(f, x):
    with mpmath.workdps(40):
        return float(f(mpmath.mpf(x)))


# (name, function, its second derivative in mpmath: closed forms, since mpmath's numerical
# differentiation picks steps relative to 1 and fails at 1e-300)
_X_LOG_X = [
    ("x*log(x)", lambda x: x * wnp.log(x), lambda t: 1 / t),
    ("xlogy(x, x)", lambda x: wsp.xlogy(x, x), lambda t: 1 / t),
    ("entr", wsp.entr, lambda t: -1 / t),
    ("x*log2(x)", lambda x: x * wnp.log2(x), lambda t: 1 / (t * mpmath.log(2))),
    ("x*log10(x)", lambda x: x * wnp.log10(x), lambda t: 1 / (t * mpmath.log(10))),
    ("(1+x)*log1p(x)", lambda x: (1.0 + x) * wnp.log1p(x), lambda t: 1 / (1 + t)),
]


@pytest.mark.parametrize("x", [1e300, 1e-300, 1e200, 3e-250])
@pytest.mark.parametrize("name, f, second", _X_LOG_X, ids=[c[0] for c in _X_LOG_X])
def test_second_derivative_of_x_log_x_far_from_one(name, f, second, x):
    """``(x log x)'' = 1/x``, representable for every normal ``x``. The forward-over-reverse
    Hessian (``wire.hessian``, ``jacfwd(grad)``, ``hvp``) used to expand ``x * log'(x)`` as
    ``x * (1/x)`` and differentiate it to ``1/x - x * (1/x²)``, where ``1/x²`` underflows
    (``2/x`` at 1e300: twice the truth) or overflows (``-inf`` at 1e-300). Every route must
    give the closed form (evaluated by mpmath)."""
    want = _mp(second, x)
    a = np.float64(x)
    routes = {
        "grad(grad)": wire.grad(wire.grad(f)),
        "hessian": wire.hessian(f),
        "jacfwd(grad)": wire.jacfwd(wire.grad(f)),
        "jit(hessian)": wire.jit(wire.hessian(f)),
        "hvp": lambda v: wire.hvp(f)(v, np.float64(1.0)),
    }
    for route, d in routes.items():
        got = float(np.asarray(d(a)))
        assert abs(got - want) <= 1e-13 * abs(want), f"{route}: {got!r}, want {want!r}"


def test_first_derivative_of_x_log_x_at_the_smallest_subnormal():
    """``(x log x)' = log x + 1`` is about -743.4 at ``x = 5e-324``; ``x * (1/x)`` made it
    ``inf`` (``1/x`` overflows). The rule divides instead: ``x / x`` is 1. (A JVP cannot do
    as well: it carries the tangent of ``log(x)``, ``1/x``, which overflows.)"""
    x = 5e-324
    _check(lambda v: v * wnp.log(v), [x], 1, _mp(lambda t: mpmath.log(t) + 1, x), forward=False)


# --------------------------------------------------------------------------- inverse trig


_NEAR_EDGE = [
    ("arcsin", wnp.arcsin, lambda t: 1 / mpmath.sqrt(1 - t * t), [1 - 2.0 ** -30, 1 - 1e-10, -1 + 1e-12, 0.999999]),
    ("arccos", wnp.arccos, lambda t: -1 / mpmath.sqrt(1 - t * t), [1 - 2.0 ** -30, 1 - 1e-10, -1 + 1e-12]),
    ("arctanh", wnp.arctanh, lambda t: 1 / (1 - t * t), [1 - 2.0 ** -30, 1 - 1e-10, -1 + 1e-12]),
    ("arccosh", wnp.arccosh, lambda t: 1 / mpmath.sqrt(t * t - 1), [1 + 2.0 ** -30, 1 + 1e-10, 1.000001]),
    ("arccosh far", wnp.arccosh, lambda t: 1 / mpmath.sqrt(t * t - 1), [1e200, 1e300]),
    ("arcsinh far", wnp.arcsinh, lambda t: 1 / mpmath.sqrt(t * t + 1), [1e200, -1e300, 1e151]),
]


@pytest.mark.parametrize("name, f, deriv, points", _NEAR_EDGE, ids=[c[0] for c in _NEAR_EDGE])
def test_inverse_trig_derivatives_near_the_edges_of_their_domain(name, f, deriv, points):
    """The derivative to full precision near ``±1`` (and far out): ``1 - x * x`` cancels
    there (``arcsin'(1 - 2**-30)`` lost 9 digits; JAX's is exact), ``x * x`` overflows
    beyond 1e154 (``arcsinh'(1e200)`` was 0, not 1e-200). mpmath is the oracle."""
    for x in points:
        want = _mp(deriv, x)
        got = float(_derivatives(f, [x], 1))
        assert abs(got - want) <= 4e-16 * abs(want), f"{name}'({x!r}) = {got!r}, want {want!r}"


@pytest.mark.parametrize("x", [-1.0, -2.0])
def test_arccosh_derivative_below_its_domain_is_nan(x):
    """``arccosh(x)`` is NaN for ``x < 1``, so is its derivative: ``1/sqrt(x*x - 1)`` gave
    ``inf`` at ``x = -1`` (and a finite number at -2, where ``x*x - 1 > 0``; so did Taylor
    mode, nested ``grad``'s third and later orders)."""
    for order in (1, 2, 3, 4):
        _check(wnp.arccosh, [x], order, NAN)


# --------------------------------------------------------------------------- saturation


@pytest.mark.parametrize("x", [-37.0, -40.0, -700.0, -745.0, 0.0, 1e-300, 700.0])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_expm1_derivatives_are_exp_where_expm1_saturates(x, order):
    """Every derivative of ``expm1`` is ``exp(x)`` (mpmath): 4.2e-18 at -40, not the 0 that
    ``expm1(x) + 1`` cancels to below -37 (JAX and torch both give 0 there)."""
    _check(wnp.expm1, [x], order, _mp(mpmath.exp, x))


@pytest.mark.parametrize("x, want", [(-INF, 0.0), (INF, INF), (NAN, NAN)])
def test_expm1_derivative_at_infinities(x, want):
    _check(wnp.expm1, [x], 1, want)


# --------------------------------------------------------------------------- kinks


@pytest.mark.parametrize("x, want", [(0.0, 0.0), (-0.0, 0.0), (NAN, 0.0), (1.0, 1.0),
                                     (-1.0, 0.0), (INF, 1.0), (-INF, 0.0), (5e-324, 1.0)])
def test_relu_derivative_is_the_same_forward_and_reverse(x, want):
    """``nn.relu``'s documented derivative (0 at 0 and at NaN, as torch and JAX) from
    ``grad``, ``jit(grad)`` and ``jvp`` alike: forward mode used to differentiate ``maximum``
    itself and split the derivative at 0 (1/2)."""
    _check(wire.nn.relu, [x], 1, want)


def test_relu_jacobians_agree_at_zero():
    x = np.array([0.0, -0.0, 2.0, -2.0])
    f = lambda v: wire.nn.relu(v) * np.arange(1.0, 5.0)  # noqa: E731
    want = np.diag([0.0, 0.0, 3.0, 0.0])
    for jac in (wire.jacfwd, wire.jacrev):
        assert _same(jac(f)(x), want)
    # d/dx relu(x)**2 = 2 relu(x) relu'(x): forward over reverse and reverse over reverse
    g = lambda v: wnp.sum(wire.nn.relu(v) ** 2)  # noqa: E731
    assert _same(wire.hessian(g)(x), np.diag([0.0, 0.0, 2.0, 0.0]))
    assert _same(wire.jacrev(wire.grad(g))(x), np.diag([0.0, 0.0, 2.0, 0.0]))


# --------------------------------------------------------------------------- arctan2


@pytest.mark.parametrize("y, x", [(1e200, 1e200), (1e-200, 1e-200), (1e-170, 3e-170),
                                  (3e160, 1.0), (-1.0, 4e-170), (0.3, -0.7), (-0.0, -1.0)])
def test_arctan2_partials_at_huge_and_tiny_scales(y, x):
    """``d/dy arctan2(y, x) = x / (x² + y²)``, ``d/dx = -y / (x² + y²)`` (mpmath). The
    squares overflowed (0 at 1e200, not 5e-201) and underflowed (inf at 1e-200, not 5e199);
    JAX has the same defect."""
    with mpmath.workdps(40):
        Y, X = mpmath.mpf(y), mpmath.mpf(x)
        want = (float(X / (X * X + Y * Y)), float(-Y / (X * X + Y * Y)))
    for argnum in (0, 1):
        got = float(_derivatives(wnp.arctan2, [y, x], 1, argnum))
        assert abs(got - want[argnum]) <= 4e-16 * abs(want[argnum]), (argnum, got, want)


@pytest.mark.parametrize("y, x", [(INF, 1.0), (1.0, -INF), (-INF, INF), (2.0, INF)])
def test_arctan2_partials_at_infinity_are_their_limit(y, x):
    """The gradient's norm is ``1/hypot(x, y)``: 0 where an argument is infinite (one of the
    partials was NaN, ``inf/inf``); the second derivatives too."""
    for argnum in (0, 1):
        for order in (1, 2):
            got = _derivatives(wnp.arctan2, [y, x], order, argnum)
            assert got == 0.0, (argnum, order, got)


@pytest.mark.parametrize("f", [wnp.expm1, wire.nn.elu], ids=["expm1", "elu"])
def test_expm1_taylor_series_where_expm1_saturates(f):
    """Taylor mode (``wire.jet``) too: the series of ``expm1`` at -40 is ``exp(-40)`` in
    every term (its rule started from ``expm1(x) + 1 = 0``)."""
    _, terms = wire.jet(f, (np.float64(-40.0),), ([1.0, 0.0, 0.0],))
    want = _mp(mpmath.exp, -40.0)
    for t in terms:
        assert abs(float(t) - want) <= 1e-15 * want


# --------------------------------------------------------------------------- erfcx


def _mp_erfcx_derivative(x, order):
    """mpmath: ``d^k/dx^k exp(x²) erfc(x)``, at 80 digits (the function is smooth: a step
    relative to ``x`` is exact enough)."""
    with mpmath.workdps(80):
        X = mpmath.mpf(x)
        f = lambda t: mpmath.exp(t * t) * mpmath.erfc(t)  # noqa: E731
        return float(mpmath.diff(f, X, order, h=abs(X) * mpmath.mpf(10) ** -25))


@pytest.mark.parametrize("x", [-5.0, 0.5, 10.0, 40.0, 1e3, 1e4, 1e6, 1e8, 1e12])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_erfcx_derivatives_for_large_arguments(x, order):
    """``erfcx' = 2x erfcx - 2/√π`` cancels ever more digits as ``x`` grows: ``erfcx'(1e6)``
    was wrong in the 5th digit, ``erfcx'(1e8)`` was 0, ``erfcx''(1e6)`` had the wrong sign
    and ``erfcx''(1e8)`` was 1e16 times too large. From 10 on the derivative is its
    asymptotic series. mpmath is the oracle."""
    want = _mp_erfcx_derivative(x, order)
    got = float(_derivatives(wsp.erfcx, [x], order))
    assert abs(got - want) <= 1e-12 * abs(want), (got, want)


def test_erfcx_derivative_at_infinity_is_its_limit():
    _check(wsp.erfcx, [INF], 1, -0.0)
    _check(wsp.erfcx, [INF], 2, 0.0)
    _check(wsp.erfcx, [NAN], 1, NAN)


@pytest.mark.parametrize("name, f, x, want", [
    ("arcsin", wnp.arcsin, 1.0, [INF, INF, INF]),
    ("arcsin", wnp.arcsin, -1.0, [INF, -INF, INF]),
    ("arccos", wnp.arccos, 1.0, [-INF, -INF, -INF]),
    ("arccos", wnp.arccos, -1.0, [-INF, INF, -INF]),
    ("arctanh", wnp.arctanh, 1.0, [INF, INF, INF]),
    ("arctanh", wnp.arctanh, -1.0, [INF, -INF, INF]),
])
def test_inverse_trig_derivatives_at_the_edges_are_the_one_sided_limits(name, f, x, want):
    """At ``±1`` every order is the one-sided limit (docs/numpy.md), in reverse mode,
    ``jit`` and Taylor mode alike (the signs of ``(1 + 2x²)/(1 - x²)^{5/2}`` & co.)."""
    for order, w in enumerate(want, 1):
        _check(f, [x], order, w)


# --------------------------------------------------------------------------- linalg


def test_slogdet_gradient_of_a_matrix_holding_nan_is_nan():
    """``log|det A|`` of a matrix with a NaN entry is NaN, and so is every partial
    derivative ``cof(A)_ij / det A``: the gradient was LAPACK's inverse, which keeps finite
    entries (-1 and 1 here). JAX gives NaN too. A batch keeps its other matrices' gradients."""
    a = np.stack([np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([[NAN, 1.0], [1.0, 2.0]])])
    f = lambda m: wnp.sum(wnp.linalg.slogdet(m)[1])  # noqa: E731
    want = np.stack([np.linalg.inv(a[0]).T, np.full((2, 2), NAN)])
    for g in (wire.grad(f), wire.jit(wire.grad(f))):
        assert _same(g(a), want)
    assert math.isnan(float(wire.jvp(f, (a,), (np.ones_like(a),))[1]))


@pytest.mark.parametrize("dtype, x", [(np.float32, 1e20), (np.float32, -3e30), (np.float64, 1e300)])
def test_arcsinh_derivative_far_out_in_each_dtype(dtype, x):
    """``arcsinh'(x) = 1/sqrt(x² + 1) ≈ 1/|x|`` where ``x²`` overflows the dtype."""
    a = np.asarray(x, dtype)
    for d in (wire.grad(wnp.arcsinh), wire.jit(wire.grad(wnp.arcsinh))):
        got = d(a)
        assert got.dtype == dtype
        assert abs(float(got) * abs(x) - 1.0) < 4 * np.finfo(dtype).eps


# --------------------------------------------------------------------------- erf family


def _mp_erf_derivative(name, x, order):
    """mpmath: ``erf^(k)(x) = (2/√π) (-1)^(k-1) H_(k-1)(x) exp(-x²)`` (Hermite polynomials;
    ``erfc`` is ``-erf``'s, ``ndtr(x)`` is ``erf(x/√2)/2 + 1/2``), and the limit 0 at ``±inf``."""
    if math.isinf(x):
        return 0.0
    with mpmath.workdps(30):
        t = mpmath.mpf(x) / (mpmath.sqrt(2) if name == "ndtr" else 1)
        d = 2 / mpmath.sqrt(mpmath.pi) * (-1) ** (order - 1) * mpmath.hermite(order - 1, t) \
            * mpmath.exp(-t * t)
        scale = {"erf": 1, "erfc": -1, "ndtr": mpmath.sqrt(2) ** -order / 2}[name]
        return float(d * scale)


@pytest.mark.parametrize("name, f", [("erf", wsp.erf), ("erfc", wsp.erfc), ("ndtr", wsp.ndtr)])
@pytest.mark.parametrize("x", [INF, -INF, 1e200, -1e300, 60.0])
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_erf_derivatives_vanish_far_out(name, f, x, order):
    """Every derivative of ``erf`` is a polynomial times ``exp(-x²)``: 0 at ``±inf`` and
    wherever ``exp(-x²)`` underflows. They were ``-2x · exp(-x²) = -inf · 0 = nan`` from
    the second order on at ±inf (and from the third at 1e200, where ``x * x`` overflows)."""
    want = _mp_erf_derivative(name, x, order)
    assert want == 0.0
    assert _derivatives(f, [x], order) == 0.0


@pytest.mark.parametrize("name, f", [("erf", wsp.erf), ("erfc", wsp.erfc), ("ndtr", wsp.ndtr)])
@pytest.mark.parametrize("x", [0.0, 0.5, -2.0, 5.0, 27.0])
def test_erf_derivatives_near_the_cut(name, f, x):
    """Where they are not 0 the derivatives keep their closed forms (mpmath)."""
    for order in (1, 2, 3):
        want = _mp_erf_derivative(name, x, order)
        got = float(_derivatives(f, [x], order))
        assert abs(got - want) <= 1e-13 * abs(want) + 1e-300, (order, got, want)


# --------------------------------------------------------------------------- scaled Bessel


def _mp_scaled_bessel_derivative(kind, v, x, order):
    """mpmath: derivatives of ``ie = I_v e^-|x|`` and ``ke = K_v e^x`` (orders 1 and 2) from
    the exact ``I_v' = (I_{v-1} + I_{v+1})/2``, ``I_v'' = (I_{v-2} + 2 I_v + I_{v+2})/4``
    (``K`` with the signs of ``K_v' = -(K_{v-1} + K_{v+1})/2``), and ``ie``'s parity; at 60
    digits, since these sums cancel 2 log10(x) of them."""
    with mpmath.workdps(60):
        t = abs(mpmath.mpf(x))
        b = (lambda n: mpmath.besseli(v + n, t)) if kind == "ie" else \
            (lambda n: mpmath.besselk(v + n, t))
        s = -1 if kind == "ie" else 1  # the exponent's sign: e^-t or e^t
        d0, d1 = b(0), (b(-1) + b(1)) / 2 * (1 if kind == "ie" else -1)
        d2 = (b(-2) + 2 * b(0) + b(2)) / 4
        d = d1 + s * d0 if order == 1 else d2 + 2 * s * d1 + d0
        d *= mpmath.exp(s * t)
        if x < 0:  # ie of an integer order v: ie(-t) = (-1)^v ie(t)
            d *= (-1) ** (int(v) + order)
        return float(d)


_SCALED_BESSEL = [
    ("i0e", wsp.i0e, "ie", 0.0),
    ("i1e", wsp.i1e, "ie", 1.0),
    ("k0e", wsp.k0e, "ke", 0.0),
    ("k1e", wsp.k1e, "ke", 1.0),
    ("ive(2.5)", lambda x: wsp.ive(2.5, x), "ie", 2.5),
]


@pytest.mark.parametrize("name, f, kind, v", _SCALED_BESSEL, ids=[c[0] for c in _SCALED_BESSEL])
@pytest.mark.parametrize("x", [100.0, 1e5, 1e8, 1e12, -1e10])
def test_scaled_bessel_derivatives_for_large_arguments(name, f, kind, v, x):
    """``i0e' = i1e - i0e`` and the like cancel ever more digits as x grows (``i0e''(1e8)``
    was wrong in its first digit, ``i0e''(1e12)`` by a factor 3e8) and SciPy's ``ive``/``kve``
    of order 2 are NaN from 2e9 on (``i1e'(1e10)`` was NaN). From 50 on the derivatives are
    the asymptotic series. mpmath is the oracle."""
    if x < 0 and v != int(v) or x < 0 and kind == "ke":
        pytest.skip("outside the real domain")
    for order in (1, 2):
        want = _mp_scaled_bessel_derivative(kind, v, x, order)
        got = float(_derivatives(f, [x], order))
        assert abs(got - want) <= 2e-15 * abs(want), (order, got, want)


# --------------------------------------------------------------------------- where, dtypes


def test_the_double_where_pattern_keeps_nan_out_of_the_gradient():
    """``where(c, f(where(c, x, safe)), other)``: the unselected branch sees only the safe
    value, so neither its value nor its derivative can be inf/NaN, at every order."""
    x = np.array([-1.0, 0.0, 2.0, INF, NAN, -0.0])
    pos = lambda v: v > 0  # noqa: E731

    def f(v):
        return wnp.where(pos(v), wnp.log(wnp.where(pos(v), v, 1.0)), 0.0)

    g = wire.elementwise_grad(f)
    gg = wire.elementwise_grad(g)
    ok = x > 0
    with np.errstate(divide="ignore"):
        assert _same(g(x), np.where(ok, 1 / np.where(ok, x, 1.0), 0.0))
        assert _same(gg(x), np.where(ok, -1 / np.where(ok, x, 1.0) ** 2, 0.0))
    assert _bits_equal(wire.jit(gg)(x), gg(x))


_DTYPE_CASES = [
    ("power", lambda x: wnp.power(x, x)), ("sqrt", wnp.sqrt), ("expm1", wnp.expm1),
    ("log1p", wnp.log1p), ("arcsin", wnp.arcsin), ("arccosh", wnp.arccosh),
    ("arcsinh", wnp.arcsinh), ("arctan2", lambda x: wnp.arctan2(x, 0.5)),
    ("hypot", lambda x: wnp.hypot(x, 0.5)), ("erf", wsp.erf), ("erfcx", wsp.erfcx),
    ("i1e", wsp.i1e), ("relu", wire.nn.relu),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("name, f", _DTYPE_CASES, ids=[c[0] for c in _DTYPE_CASES])
def test_rules_keep_the_dtype_and_agree_with_float64(dtype, name, f):
    """The rules' constants are Python floats (weakly typed): a float32/float16 argument
    gets a derivative of its own dtype, equal to the float64 one to that precision (inputs
    where every rule is finite, including their special branches: 0, ±1, 12, 60)."""
    x64 = np.array([0.0, 1.0, -1.0, 0.5, 12.0, 60.0])
    if name in ("arcsin",):
        x64 = np.array([0.0, 0.5, -0.25, 0.875])
    if name in ("arccosh",):
        x64 = np.array([1.5, 12.0, 60.0])
    if name in ("power", "sqrt", "log1p"):
        x64 = np.abs(x64) + 0.25
    d = wire.elementwise_grad(f)
    want = np.asarray(d(x64))
    x = x64.astype(dtype)
    fits = np.abs(want) < np.finfo(dtype).max / 4  # else the dtype overflows, as it should
    for got in (d(x), wire.jit(d)(x)):
        assert got.dtype == dtype, got.dtype
        tol = 4e-6 if dtype == np.float32 else 4e-3
        g = got.astype(np.float64)
        assert np.allclose(g[fits], want[fits], rtol=tol, atol=tol * 1e-3), (got, want)
        assert np.all(np.isinf(g[~fits])), (got, want)
