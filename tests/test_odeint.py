"""wire.scipy.integrate.odeint: values against closed forms and scipy.integrate.odeint;
adjoint-method gradients against closed-form sensitivities and finite differences; jit,
vmap, pytrees, decreasing times, SciPy's calling conventions and failures."""

import math

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.scipy.integrate import odeint

from selection import slow_selected

T = np.linspace(0.0, 2.0, 5)


def decay(y, t, k):
    return -k * y


def oscillator(y, t, w):
    return wnp.stack([y[1], -w * w * y[0]])


def test_values_match_closed_forms_and_scipy():
    np.testing.assert_allclose(odeint(decay, 1.0, T, 0.7), np.exp(-0.7 * T), rtol=1e-7)
    ys = odeint(oscillator, np.array([1.0, 0.0]), T, 2.0)
    np.testing.assert_allclose(ys[:, 0], np.cos(2 * T), atol=1e-7)
    np.testing.assert_allclose(ys[:, 1], -2 * np.sin(2 * T), atol=2e-7)
    si = pytest.importorskip("scipy.integrate")

    def lotka(y, t, a, b):
        return wnp.stack([a * y[0] - b * y[0] * y[1], b * y[0] * y[1] - a * y[1]])

    t = np.linspace(0.0, 5.0, 9)
    ref = si.odeint(lambda y, t, a, b: [a * y[0] - b * y[0] * y[1], b * y[0] * y[1] - a * y[1]],
                    [1.0, 0.5], t, args=(1.1, 0.8), rtol=1e-10, atol=1e-10)
    got = odeint(lotka, np.array([1.0, 0.5]), t, 1.1, 0.8, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-9)
    # SciPy's conventions: args=(...), tfirst, list inputs; a time-dependent right-hand side
    np.testing.assert_allclose(odeint(lambda t_, y, k: -k * y, 1.0, list(T), args=(0.7,),
                                      tfirst=True), np.exp(-0.7 * T), rtol=1e-7)
    np.testing.assert_allclose(odeint(lambda y, t: wnp.cos(t) * y, 1.0, T), np.exp(np.sin(T)),
                               rtol=1e-7)


def test_adjoint_gradients_match_closed_forms():
    # y(T) = e^{-kT}: d/dk = -T e^{-kT}, d²/dk² = T² e^{-kT}
    last = lambda k: odeint(decay, 1.0, T, k)[-1]
    assert wire.grad(last)(0.7) == pytest.approx(-2.0 * math.exp(-1.4), rel=1e-6)
    assert wire.grad(wire.grad(last))(0.7) == pytest.approx(4.0 * math.exp(-1.4), rel=1e-6)
    assert wire.jit(wire.grad(last))(0.7) == pytest.approx(-2.0 * math.exp(-1.4), rel=1e-6)
    # oscillator: x(T) = x0 cos wT + v0/w sin wT
    x_end = lambda w: odeint(oscillator, np.array([1.0, 0.0]), T, w)[-1, 0]
    assert wire.grad(x_end)(2.0) == pytest.approx(-2.0 * math.sin(4.0), rel=1e-6)
    g0 = wire.grad(lambda y0: wnp.sum(odeint(oscillator, y0, T, 2.0)[-1]))(np.array([1.0, 0.0]))
    exact = [math.cos(4.0) - 2 * math.sin(4.0), math.sin(4.0) / 2 + math.cos(4.0)]
    np.testing.assert_allclose(g0, exact, rtol=1e-6)
    # every output row contributes: sum_i y(t_i) = sum_i e^{-k t_i}
    g = wire.grad(lambda k: wnp.sum(odeint(decay, 1.0, T, k)))(0.7)
    assert g == pytest.approx(np.sum(-T * np.exp(-0.7 * T)), rel=1e-6)
    # the times: d y(T)/dT = f(y(T)), d y(T)/dt0 = -(dy/dy0) f(y0)
    gt = wire.grad(lambda ts: odeint(decay, 1.0, ts, 0.7)[-1])(T)
    np.testing.assert_allclose(gt, [0.7 * math.exp(-1.4), 0, 0, 0, -0.7 * math.exp(-1.4)],
                               rtol=1e-6, atol=1e-12)


@pytest.mark.slow
def test_adjoint_reaches_closed_over_and_time_dependent_parameters(request):
    def last(k):
        return odeint(lambda y, t: -k * y, 1.0, T)[-1]  # k is closed over, not an argument

    assert wire.grad(last)(0.7) == pytest.approx(-2.0 * math.exp(-1.4), rel=1e-6)

    def growth(a):
        return odeint(lambda y, t, a: a * wnp.cos(t) * y, 1.0, T, a)[-1]

    assert wire.grad(growth)(1.0) == pytest.approx(math.sin(2) * math.exp(math.sin(2)), rel=1e-6)
    if not slow_selected(request.config):  # (five solves to 1e-10: seconds)
        return
    # against finite differences of the solver itself, on a nonlinear system
    def pendulum(y, t, g, c):
        return wnp.stack([y[1], -g * wnp.sin(y[0]) - c * y[1]])

    def loss(g, c):
        return wnp.sum(odeint(pendulum, np.array([1.0, 0.0]), T, g, c, rtol=1e-10,
                              atol=1e-10) ** 2)

    grads = wire.grad(loss, argnums=(0, 1))(9.8, 0.3)
    h = 1e-5
    fd = [(loss(9.8 + h, 0.3) - loss(9.8 - h, 0.3)) / (2 * h),
          (loss(9.8, 0.3 + h) - loss(9.8, 0.3 - h)) / (2 * h)]
    np.testing.assert_allclose(grads, fd, rtol=1e-5)


def test_decreasing_times_pytrees_vmap_and_float32():
    down = T[::-1]
    np.testing.assert_allclose(odeint(decay, 1.0, down, 0.7), np.exp(0.7 * (2.0 - down)),
                               rtol=1e-7)
    assert wire.grad(lambda k: odeint(decay, 1.0, down, k)[-1])(0.7) == pytest.approx(
        2.0 * math.exp(1.4), rel=1e-6)
    ys = odeint(lambda s, t: {"x": s["v"], "v": -s["x"]}, {"x": 1.0, "v": 0.0}, T)
    np.testing.assert_allclose(ys["x"], np.cos(T), atol=1e-7)
    batched = wire.vmap(lambda k: odeint(decay, 1.0, T, k)[-1])(np.array([0.5, 0.7]))
    np.testing.assert_allclose(batched, np.exp(-2.0 * np.array([0.5, 0.7])), rtol=1e-7)
    y32 = odeint(decay, np.float32(1.0), T.astype(np.float32), np.float32(0.7))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, np.exp(-0.7 * T), rtol=1e-5)
    # repeated times are allowed (a zero-length interval)
    np.testing.assert_allclose(odeint(decay, 1.0, [0.0, 1.0, 1.0], 0.7),
                               np.exp(-0.7 * np.array([0.0, 1.0, 1.0])), rtol=1e-7)


def test_failures_are_reported():
    with pytest.raises(wire.WireError, match="NaN or inf"):
        odeint(lambda y, t: y * y, 1.0, [0.0, 2.0])  # blows up at t = 1
    with pytest.raises(wire.WireError, match="not monotonic"):
        odeint(decay, 1.0, [0.0, 2.0, 1.0], 0.7)
    with pytest.raises(wire.WireError, match="mxstep=5"):
        odeint(decay, 1.0, [0.0, 200.0], 1.0, mxstep=5)
    with pytest.raises(wire.WireError, match="mxstep=50"):  # hmax forces 100 steps
        odeint(decay, 1.0, [0.0, 1.0], 0.7, hmax=0.01, mxstep=50)
    np.testing.assert_allclose(odeint(decay, 1.0, [0.0, 1.0], 0.7, hmax=0.01)[-1],
                               math.exp(-0.7), rtol=1e-9)
    # under jit it cannot raise: the failed rows are NaN
    out = wire.jit(lambda k: odeint(lambda y, t: -k * y, 1.0, np.array([0.0, 1.0]), mxstep=2))(0.7)
    assert out[0] == 1.0 and np.isnan(out[1])
    with pytest.raises(wire.WireError, match="Dfun"):
        odeint(decay, 1.0, T, 0.7, Dfun=lambda y, t: -0.7)
    with pytest.raises(wire.WireError, match="not both"):
        odeint(decay, 1.0, T, 0.7, args=(0.7,))
