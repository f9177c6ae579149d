"""Small programs a scientist or an ML engineer writes, run with wire and checked against an
oracle: the same code under JAX (float64) with only the imports changed, closed forms, or
finite differences.

Each program is written once against a namespace ``ns`` holding ``t`` (``jax`` / ``wire``),
``np`` (``jax.numpy`` / ``wire.numpy``), ``linalg`` (``jax.scipy.linalg`` /
``wire.scipy.linalg``), ``special`` and ``scan``; inputs are NumPy arrays, so both runs see
the same data. Programs: Gaussian-process regression fitted by ``scipy.optimize.minimize``
on ``value_and_grad``; a Kalman filter's log-likelihood and its gradient (``scan``);
Hamiltonian Monte Carlo with ``wire.random`` keys; logistic regression by Newton's method
with ``hessian``; a double pendulum whose accelerations come from the Lagrangian's
``hessian``/``jacfwd``; entropic optimal transport (Sinkhorn in the log domain) under ``jit``
and its gradient; an ODE model (RK4 in ``scan``) fitted to data; a functional training loop
``params, state = step(params, state, batch)`` with ``wire.optim`` whose parameter pytree
changes structure between calls of one jitted step (autograd and Adam written out in NumPy
are its oracle), and a jitted function whose cache must key on the pytree's structure.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import NamedTuple

import numpy as onp
import pytest
import scipy.optimize

from oracles import assert_trees_close

import wire
import wire.numpy as wnp
import wire.scipy.linalg as wla
import wire.scipy.special as wsp
from wire import optim

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jjnp
import jax.scipy.linalg as jla
import jax.scipy.special as jsp

# ``oracle``: how the oracle's functions are wrapped (JAX runs its transforms eagerly one
# primitive at a time, seconds per call, so they are jitted; wire's run as written)
WIRE = SimpleNamespace(t=wire, np=wnp, linalg=wla, special=wsp, scan=wire.scan,
                       fori_loop=wire.fori_loop, oracle=lambda f: f, name="wire")
JAX = SimpleNamespace(t=jax, np=jjnp, linalg=jla, special=jsp, scan=jax.lax.scan,
                      fori_loop=jax.lax.fori_loop, oracle=jax.jit, name="jax")


same = assert_trees_close


def central_diff(f, x, eps=1e-6):
    """The gradient of a scalar ``f`` at the vector ``x`` by central differences."""
    x = onp.asarray(x, float)
    out = onp.zeros_like(x)
    for i in range(x.size):
        e = onp.zeros_like(x)
        e.flat[i] = eps
        out.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


# --------------------------------------------------------------------------- 1. GP regression

GP_X = onp.linspace(-3.0, 3.0, 25)
GP_Y = onp.sin(1.3 * GP_X) + 0.1 * onp.random.default_rng(0).normal(size=GP_X.size)


def gp_nll(ns, theta, x, y):
    """Negative log marginal likelihood of an RBF-kernel GP; ``theta`` = log(lengthscale,
    signal variance, noise variance)."""
    np, la = ns.np, ns.linalg
    ell, sf2, sn2 = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2])
    d = x[:, None] - x[None, :]
    k = sf2 * np.exp(-0.5 * d ** 2 / ell ** 2) + (sn2 + 1e-9) * np.eye(x.shape[0])
    chol = la.cholesky(k, lower=True)
    alpha = la.solve_triangular(chol, y, lower=True)
    return (0.5 * np.sum(alpha ** 2) + np.sum(np.log(np.diag(chol)))
            + 0.5 * x.shape[0] * np.log(2 * np.pi))


def gp_fit(vg, theta0):
    """Hyperparameters minimising the NLL, by L-BFGS on ``vg`` (value and gradient)."""

    def fun(th):
        v, g = vg(onp.asarray(th))
        return float(v), onp.asarray(g, dtype=float)

    res = scipy.optimize.minimize(fun, theta0, jac=True, method="L-BFGS-B")
    return res.x, res.fun


@pytest.mark.slow  # (JAX's compilation of the oracle, ~1.5 s on a busy machine)
def test_gp_regression_hyperparameters_by_scipy_minimize():
    vg = wire.value_and_grad(lambda th: gp_nll(WIRE, th, GP_X, GP_Y))
    jvg = jax.jit(jax.value_and_grad(lambda th: gp_nll(JAX, th, GP_X, GP_Y)))
    for theta in (onp.array([0.0, 0.0, -2.0]), onp.array([-0.7, 0.4, -4.0])):
        got = vg(theta)
        same(got, jvg(theta), rtol=1e-9)
        fd = central_diff(lambda th: float(gp_nll(WIRE, th, GP_X, GP_Y)), theta)
        onp.testing.assert_allclose(got[1], fd, rtol=1e-6, atol=1e-7)
    x_w, f_w = gp_fit(wire.jit(vg), onp.array([0.0, 0.0, -2.0]))
    x_j, f_j = gp_fit(jvg, onp.array([0.0, 0.0, -2.0]))
    onp.testing.assert_allclose(f_w, f_j, rtol=1e-9)
    onp.testing.assert_allclose(x_w, x_j, rtol=1e-4, atol=1e-5)
    assert onp.max(onp.abs(vg(x_w)[1])) < 1e-3  # a stationary point
    assert 0.3 < onp.exp(x_w[0]) < 3.0 and onp.exp(x_w[2]) < 0.1  # a sensible fit


# --------------------------------------------------------------------------- 2. Kalman filter

def kalman_loglik(ns, params, ys):
    """Log-likelihood of a scalar local-linear AR(1) state space model
    x_t = a x_{t-1} + N(0, q), y_t = x_t + N(0, r), by the Kalman filter in ``scan``."""
    np = ns.np
    a, q, r = params[0], np.exp(params[1]), np.exp(params[2])

    def step(carry, y):
        m, p = carry
        m_pred, p_pred = a * m, a * a * p + q
        s = p_pred + r
        k = p_pred / s
        ll = -0.5 * (np.log(2 * np.pi * s) + (y - m_pred) ** 2 / s)
        return (m_pred + k * (y - m_pred), (1 - k) * p_pred), ll

    (_, _), lls = ns.scan(step, (np.zeros(()), np.ones(())), ys)
    return np.sum(lls)


def _kalman_data(n=60):
    rng = onp.random.default_rng(1)
    x, ys = 0.0, []
    for _ in range(n):
        x = 0.8 * x + rng.normal() * 0.5
        ys.append(x + rng.normal() * 0.3)
    return onp.array(ys)


def _kalman_dense(params, ys):
    """The same log-likelihood from the joint Gaussian of y (the covariance written out)."""
    a, q, r = params[0], onp.exp(params[1]), onp.exp(params[2])
    n = ys.size
    var = onp.empty(n)  # Var x_t, from Var x_0 = 1 before the first step
    v = 1.0
    for t in range(n):
        v = a * a * v + q
        var[t] = v
    i, j = onp.meshgrid(onp.arange(n), onp.arange(n), indexing="ij")
    cov = onp.where(i >= j, a ** onp.abs(i - j) * var[onp.minimum(i, j)],
                    a ** onp.abs(i - j) * var[onp.minimum(i, j)]) + r * onp.eye(n)
    _, logdet = onp.linalg.slogdet(cov)
    return -0.5 * (logdet + ys @ onp.linalg.solve(cov, ys) + n * onp.log(2 * onp.pi))


def test_kalman_filter_loglik_and_gradient():
    ys = _kalman_data()
    params = onp.array([0.7, onp.log(0.2), onp.log(0.1)])
    got = wire.value_and_grad(lambda p: kalman_loglik(WIRE, p, ys))(params)
    want = jax.jit(jax.value_and_grad(lambda p: kalman_loglik(JAX, p, ys)))(params)
    same(got, want)
    onp.testing.assert_allclose(got[0], _kalman_dense(params, ys), rtol=1e-10)
    fd = central_diff(lambda p: _kalman_dense(p, ys), params)
    onp.testing.assert_allclose(got[1], fd, rtol=1e-6)
    jitted = wire.jit(wire.value_and_grad(lambda p, y: kalman_loglik(WIRE, p, y)))
    same(jitted(params, ys), want)
    # a batch of parameter settings at once
    batch = onp.stack([params, params + 0.05, params - 0.1])
    vg = wire.vmap(wire.grad(lambda p: kalman_loglik(WIRE, p, ys)))(batch)
    for row, p in zip(vg, batch):
        onp.testing.assert_allclose(row, central_diff(lambda q: _kalman_dense(q, ys), p),
                                    rtol=1e-6)


# --------------------------------------------------------------------------- 3. HMC

HMC_COV = onp.array([[1.0, 0.8], [0.8, 1.0]])
HMC_PREC = onp.linalg.inv(HMC_COV)


def hmc_logp(x):
    return -0.5 * x @ (HMC_PREC @ x)


def hmc_step(x, key, step_size=0.15, n_leapfrog=10):
    """One HMC transition: momentum from ``key``, leapfrog with ``wire.grad``, accept by the
    Metropolis test with a uniform from the same key."""
    k_mom, k_acc = wire.random.split(key)
    grad = wire.grad(hmc_logp)
    p0 = wire.random.normal(k_mom, x.shape)
    xn, p = x, p0 + 0.5 * step_size * grad(x)
    for i in range(n_leapfrog):
        xn = xn + step_size * p
        p = p + (step_size if i < n_leapfrog - 1 else 0.5 * step_size) * grad(xn)
    log_ratio = hmc_logp(xn) - 0.5 * p @ p - hmc_logp(x) + 0.5 * p0 @ p0
    accept = wnp.log(wire.random.uniform(k_acc)) < log_ratio
    return wnp.where(accept, xn, x), accept


def hmc_step_numpy(x, key, step_size=0.15, n_leapfrog=10):
    """The same transition with the gradient in closed form (the oracle)."""
    k_mom, k_acc = wire.random.split(key)
    p0 = wire.random.normal(k_mom, x.shape)
    xn, p = x, p0 - 0.5 * step_size * HMC_PREC @ x
    for i in range(n_leapfrog):
        xn = xn + step_size * p
        p = p - (step_size if i < n_leapfrog - 1 else 0.5 * step_size) * HMC_PREC @ xn
    log_ratio = hmc_logp(xn) - 0.5 * p @ p - hmc_logp(x) + 0.5 * p0 @ p0
    accept = onp.log(wire.random.uniform(k_acc)) < log_ratio
    return onp.where(accept, xn, x), accept


def test_hmc_with_wire_random_keys():
    step = wire.jit(hmc_step)
    x_e = x_j = x_n = onp.array([2.0, -1.0])
    keys = wire.random.split(wire.random.key(42), 400)
    samples, accepted = [], 0
    for i, k in enumerate(keys):
        x_j, acc = step(x_j, k)
        if i < 12:  # eager and closed-form transitions: the same chain
            x_e, _ = hmc_step(x_e, k)
            x_n, _ = hmc_step_numpy(x_n, k)
            onp.testing.assert_allclose(x_e, x_n, rtol=1e-12, atol=1e-12)
            onp.testing.assert_allclose(x_j, x_n, rtol=1e-12, atol=1e-12)
        samples.append(x_j)
        accepted += bool(acc)
    s = onp.array(samples[50:])
    assert accepted > 300  # a well-tuned sampler on a Gaussian accepts most proposals
    onp.testing.assert_allclose(s.mean(0), 0.0, atol=0.3)
    onp.testing.assert_allclose(onp.cov(s.T), HMC_COV, atol=0.35)
    # chains in parallel: vmap over keys and starting points
    xs = onp.stack([onp.zeros(2), onp.ones(2), -onp.ones(2)])
    ks = wire.random.split(wire.random.key(7), 3)
    out, acc = wire.vmap(hmc_step)(xs, ks)
    for i in range(3):
        one, a = hmc_step_numpy(xs[i], ks[i])
        onp.testing.assert_allclose(out[i], one, rtol=1e-12, atol=1e-12)
        assert bool(acc[i]) == bool(a)


# --------------------------------------------------------------------------- 4. Newton logistic

def logistic_nll(ns, w, x, y):
    np = ns.np
    z = x @ w
    return np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * 1e-2 * np.sum(w * w)


def newton_logistic(ns, x, y, steps=8):
    f = lambda w: logistic_nll(ns, w, x, y)
    grad, hess = ns.oracle(ns.t.grad(f)), ns.oracle(ns.t.hessian(f))
    w = onp.zeros(x.shape[1])
    for _ in range(steps):
        w = w - onp.linalg.solve(onp.asarray(hess(w)), onp.asarray(grad(w)))
    return w


def test_logistic_regression_by_newton_with_hessian():
    rng = onp.random.default_rng(2)
    x = onp.c_[onp.ones(80), rng.normal(size=(80, 3))]
    y = (rng.uniform(size=80) < wsp.expit(x @ onp.array([0.3, 1.5, -2.0, 0.5]))).astype(float)
    w = newton_logistic(WIRE, x, y)
    same(w, newton_logistic(JAX, x, y), rtol=1e-9, atol=1e-12)
    # closed forms at the optimum: X^T (sigmoid(Xw) - y) + λw = 0, H = X^T S X + λI
    s = 1.0 / (1.0 + onp.exp(-x @ w))
    onp.testing.assert_allclose(x.T @ (s - y) + 1e-2 * w, 0.0, atol=1e-10)
    h = wire.hessian(logistic_nll, 1)(WIRE, w, x, y)
    onp.testing.assert_allclose(h, x.T @ (x * (s * (1 - s))[:, None]) + 1e-2 * onp.eye(4),
                                rtol=1e-12)


# --------------------------------------------------------------------------- 5. double pendulum

M1, M2, L1, L2, G = 1.0, 1.5, 1.0, 0.7, 9.81


def lagrangian(q, qd):
    t1, t2 = q[0], q[1]
    w1, w2 = qd[0], qd[1]
    kinetic = (0.5 * (M1 + M2) * L1 ** 2 * w1 ** 2 + 0.5 * M2 * L2 ** 2 * w2 ** 2
               + M2 * L1 * L2 * w1 * w2 * wnp.cos(t1 - t2))
    potential = -(M1 + M2) * G * L1 * wnp.cos(t1) - M2 * G * L2 * wnp.cos(t2)
    return kinetic - potential


def accelerations(state):
    """Euler-Lagrange: q̈ = (∂²L/∂q̇²)⁻¹ (∂L/∂q − ∂²L/∂q̇∂q · q̇)."""
    q, qd = state[:2], state[2:]
    mass = wire.hessian(lagrangian, 1)(q, qd)
    dl_dq = wire.grad(lagrangian, 0)(q, qd)
    mixed = wire.jacfwd(wire.grad(lagrangian, 1), 0)(q, qd)
    return wnp.linalg.solve(mass, dl_dq - mixed @ qd)


def accelerations_closed_form(state):
    t1, t2, w1, w2 = state
    d = t1 - t2
    den = 2 * M1 + M2 - M2 * onp.cos(2 * d)
    a1 = (-G * (2 * M1 + M2) * onp.sin(t1) - M2 * G * onp.sin(t1 - 2 * t2)
          - 2 * onp.sin(d) * M2 * (w2 ** 2 * L2 + w1 ** 2 * L1 * onp.cos(d))) / (L1 * den)
    a2 = (2 * onp.sin(d) * (w1 ** 2 * L1 * (M1 + M2) + G * (M1 + M2) * onp.cos(t1)
                            + w2 ** 2 * L2 * M2 * onp.cos(d))) / (L2 * den)
    return onp.array([a1, a2])


def rk4(rhs, state, dt, steps):
    for _ in range(steps):
        k1 = rhs(state)
        k2 = rhs(state + 0.5 * dt * k1)
        k3 = rhs(state + 0.5 * dt * k2)
        k4 = rhs(state + dt * k3)
        state = state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return state


def energy(state):
    q, qd = state[:2], state[2:]
    t1, t2 = q
    w1, w2 = qd
    kinetic = (0.5 * (M1 + M2) * L1 ** 2 * w1 ** 2 + 0.5 * M2 * L2 ** 2 * w2 ** 2
               + M2 * L1 * L2 * w1 * w2 * onp.cos(t1 - t2))
    return kinetic - (M1 + M2) * G * L1 * onp.cos(t1) - M2 * G * L2 * onp.cos(t2)


def test_double_pendulum_from_the_lagrangian():
    s0 = onp.array([1.2, -0.5, 0.3, 0.0])
    for s in (s0, onp.array([0.0, 0.0, 0.0, 0.0]), onp.array([3.0, 2.0, -1.0, 4.0])):
        onp.testing.assert_allclose(accelerations(s), accelerations_closed_form(s),
                                    rtol=1e-12, atol=1e-12)
    rhs = wire.jit(lambda s: wnp.concatenate([s[2:], accelerations(s)]))
    exact = lambda s: onp.concatenate([s[2:], accelerations_closed_form(s)])
    got = rk4(rhs, s0, 0.01, 30)
    onp.testing.assert_allclose(got, rk4(exact, s0, 0.01, 30), rtol=1e-11, atol=1e-12)
    assert abs(energy(got) - energy(s0)) < 1e-5  # (RK4 at dt = 0.01)


# --------------------------------------------------------------------------- 6. Sinkhorn

def sinkhorn_cost(ns, x, y, a, b, eps=0.5, iters=100):
    """Entropic optimal transport between point clouds in the log domain (logsumexp)."""
    np, lse = ns.np, ns.special.logsumexp
    c = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)
    la, lb = np.log(a), np.log(b)

    def body(_, fg):
        f, g = fg
        f = -eps * lse((g[None, :] - c) / eps + lb[None, :], axis=1)
        g = -eps * lse((f[:, None] - c) / eps + la[:, None], axis=0)
        return f, g

    f, g = ns.fori_loop(0, iters, body, (np.zeros(x.shape[0]), np.zeros(y.shape[0])))
    plan = np.exp((f[:, None] + g[None, :] - c) / eps + la[:, None] + lb[None, :])
    return np.sum(plan * c), plan


@pytest.mark.slow  # (JAX's compilation of the oracle, ~1.5 s on a busy machine)
def test_sinkhorn_under_jit_and_its_gradient():
    rng = onp.random.default_rng(3)
    x, y = rng.normal(size=(7, 2)), rng.normal(size=(5, 2)) + 1.0
    a, b = onp.full(7, 1 / 7), rng.dirichlet(onp.ones(5))
    f = wire.jit(lambda x, y: sinkhorn_cost(WIRE, x, y, a, b))
    cost, plan = f(x, y)
    g = wire.jit(wire.grad(lambda x, y: sinkhorn_cost(WIRE, x, y, a, b)[0], (0, 1)))(x, y)
    want = jax.jit(lambda x, y: (
        sinkhorn_cost(JAX, x, y, a, b),
        jax.grad(lambda x, y: sinkhorn_cost(JAX, x, y, a, b)[0], (0, 1))(x, y)))(x, y)
    same(((cost, plan), g), want, rtol=1e-8)
    onp.testing.assert_allclose(plan.sum(0), b, rtol=1e-8)  # the marginals
    onp.testing.assert_allclose(plan.sum(1), a, rtol=1e-6)


# --------------------------------------------------------------------------- 7. ODE fit

def logistic_growth(ns, theta, t_grid, y0):
    """RK4 of dy/dt = r y (1 - y / k) on a uniform grid, in ``scan``; theta = log(r, k)."""
    r, k = ns.np.exp(theta[0]), ns.np.exp(theta[1])
    dt = t_grid[1] - t_grid[0]
    f = lambda y: r * y * (1 - y / k)

    def step(y, _):
        k1 = f(y)
        k2 = f(y + 0.5 * dt * k1)
        k3 = f(y + 0.5 * dt * k2)
        k4 = f(y + dt * k3)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return y, y

    _, ys = ns.scan(step, y0, None, length=t_grid.size - 1)
    return ns.np.concatenate([y0[None], ys])


@pytest.mark.slow  # (JAX's compilation of the oracle, ~1.5 s on a busy machine)
def test_ode_model_fit():
    t_grid = onp.linspace(0.0, 6.0, 61)
    y0 = onp.array(0.1)
    truth = 2.0 / (1 + (2.0 / 0.1 - 1) * onp.exp(-1.3 * t_grid))  # r = 1.3, k = 2
    data = truth + 0.02 * onp.random.default_rng(4).normal(size=t_grid.size)

    def loss(ns, theta):
        return ns.np.mean((logistic_growth(ns, theta, t_grid, y0) - data) ** 2)

    theta0 = onp.log(onp.array([0.8, 3.0]))
    same(wire.value_and_grad(lambda th: loss(WIRE, th))(theta0),
         jax.jit(jax.value_and_grad(lambda th: loss(JAX, th)))(theta0))
    onp.testing.assert_allclose(
        logistic_growth(WIRE, onp.log([1.3, 2.0]), t_grid, y0), truth, rtol=1e-5)  # RK4 error
    vg = wire.jit(wire.value_and_grad(lambda th: loss(WIRE, th)))
    res = scipy.optimize.minimize(lambda th: tuple(onp.asarray(v) for v in vg(th)), theta0,
                                  jac=True, method="BFGS")
    onp.testing.assert_allclose(onp.exp(res.x), [1.3, 2.0], rtol=0.05)
    # the adjoint-differentiated odeint agrees with the scan's RK4 gradient
    from wire.scipy.integrate import odeint

    def loss_odeint(theta):
        r, k = wnp.exp(theta[0]), wnp.exp(theta[1])
        ys = odeint(lambda y, t, r, k: r * y * (1 - y / k), y0, t_grid, r, k,
                    rtol=1e-10, atol=1e-12)
        return wnp.mean((ys - data) ** 2)

    g = wire.grad(loss_odeint)(theta0)
    onp.testing.assert_allclose(g, central_diff(lambda th: float(loss_odeint(th)), theta0),
                                rtol=1e-5)
    same(g, wire.grad(lambda th: loss(WIRE, th))(theta0), rtol=1e-3)  # RK4's error


# --------------------------------------------------------------------------- 8. training loop

class Dense(NamedTuple):
    w: onp.ndarray
    b: onp.ndarray


def model(params, x):
    """``params``: {"layers": tuple of Dense, "scale": array, optional "skip": Dense}."""
    h = x
    for layer in params["layers"]:
        h = wnp.tanh(h @ layer.w + layer.b)
    out = h * params["scale"]
    if "skip" in params:
        out = out + x @ params["skip"].w + params["skip"].b
    return out


def mse(params, batch):
    x, y = batch
    return wnp.mean((model(params, x) - y) ** 2)


def make_step(opt):
    @wire.jit
    def step(params, state, batch):
        loss, grads = wire.value_and_grad(mse)(params, batch)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, loss

    return step


def _init(rng, sizes, skip=False):
    layers = tuple(Dense(rng.normal(size=(m, n)) / onp.sqrt(m), onp.zeros(n))
                   for m, n in itertools.pairwise(sizes))
    params = {"layers": layers, "scale": onp.ones(sizes[-1])}
    if skip:
        params["skip"] = Dense(onp.zeros((sizes[0], sizes[-1])), onp.zeros(sizes[-1]))
    return params


def adam_numpy(grads, state, lr=1e-2, b1=0.9, b2=0.999, eps=1e-8):
    """Adam written out on flat lists of arrays (the oracle for wire.optim.adam)."""
    m, v, t = state
    t += 1
    m = [b1 * mi + (1 - b1) * g for mi, g in zip(m, grads)]
    v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(v, grads)]
    upd = [-lr * (mi / (1 - b1 ** t)) / (onp.sqrt(vi / (1 - b2 ** t)) + eps)
           for mi, vi in zip(m, v)]
    return upd, (m, v, t)


def test_functional_training_loop_with_changing_pytree_structure():
    rng = onp.random.default_rng(5)
    x = rng.normal(size=(16, 3))
    y = onp.sin(x @ onp.array([[1.0], [-0.5], [0.25]]))
    opt = optim.adam(1e-2)
    step = make_step(opt)
    ag_grad = autograd.grad(mse_autograd)

    # three structures through ONE jitted step, interleaved: two layers, three layers,
    # two layers with a skip connection (the first one's leaves and more: another tree)
    runs = [_init(rng, [3, 4, 1]), _init(rng, [3, 5, 4, 1]), _init(rng, [3, 4, 1], skip=True)]
    runs[2]["layers"] = runs[0]["layers"]
    states = [opt.init(p) for p in runs]
    flat = [jax.tree_util.tree_flatten(p) for p in runs]
    ref = [leaves for leaves, _ in flat]
    ref_states = [([0 * a for a in leaves], [0 * a for a in leaves], 0) for leaves in ref]
    for _ in range(4):
        for i in range(3):
            runs[i], states[i], loss = step(runs[i], states[i], (x, y))
            tree_i = flat[i][1]
            onp.testing.assert_allclose(loss, mse_autograd(ref[i], tree_i, (x, y)), rtol=1e-12)
            grads = ag_grad(ref[i], tree_i, (x, y))
            upd, ref_states[i] = adam_numpy(grads, ref_states[i])
            ref[i] = [a + u for a, u in zip(ref[i], upd)]
    assert step.cache_size() == 3
    for i in range(3):
        assert isinstance(runs[i]["layers"][0], Dense)
        same(runs[i], jax.tree_util.tree_unflatten(flat[i][1], ref[i]), rtol=1e-9)
    assert ("skip" in runs[2]) and ("skip" not in runs[0]) and len(runs[1]["layers"]) == 3
    # the same leaves in another container: a tuple where the step saw a NamedTuple
    plain = {"layers": tuple(tuple(layer) for layer in runs[0]["layers"]),
             "scale": runs[0]["scale"]}
    with pytest.raises(AttributeError, match="'tuple' object has no attribute 'w'"):
        step(plain, opt.init(plain), (x, y))  # (the model reads layer.w)


class Pair(NamedTuple):
    w: onp.ndarray
    b: onp.ndarray


def test_one_jitted_function_keys_on_pytree_structure():
    # leaves of the same shapes and dtypes in different containers: each its own trace
    @wire.jit
    def f(p):
        if isinstance(p, Dense):
            return p.w * 2.0 + p.b
        if isinstance(p, Pair):
            return p.w * 3.0 - p.b
        if isinstance(p, dict):
            return p["w"] - p["b"] if "w" in p else p["u"] * p["v"]
        if isinstance(p, list):
            return p[0] / p[1]
        if p[1] is None:
            return -p[0]
        return p[0] + p[1]

    a, c = onp.array([1.0, 2.0]), onp.array([4.0, 8.0])
    cases = [(Dense(a, c), a * 2 + c), (Pair(a, c), a * 3 - c), ({"w": a, "b": c}, a - c),
             ({"u": a, "v": c}, a * c), ([a, c], a / c), ((a, c), a + c), ((a, None), -a)]
    for _ in range(2):
        for p, want in cases:
            onp.testing.assert_array_equal(f(p), want)
    assert f.cache_size() == len(cases)


def mse_autograd(leaves, treedef, batch):
    """:func:`mse` in autograd, differentiated in the list of the parameters' leaves."""
    params = jax.tree_util.tree_unflatten(treedef, leaves)
    xb, yb = batch
    h = xb
    for layer in params["layers"]:
        h = anp.tanh(anp.dot(h, layer.w) + layer.b)
    out = h * params["scale"]
    if "skip" in params:
        out = out + anp.dot(xb, params["skip"].w) + params["skip"].b
    return anp.mean((out - yb) ** 2)
