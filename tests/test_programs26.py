"""Programs of the kind a scientist or an ML engineer writes after JAX's and autograd's
tutorials, run on wire with only the imports changed: a Kalman filter with its
Rauch-Tung-Striebel smoother (a forward and a reversed ``scan``), Newton-CG whose conjugate
gradients run on Hessian-vector products inside ``fori_loop``, a planar normalizing flow by
``fori_loop``, a ball's time of flight by ``while_loop`` with a ``custom_jvp`` square root,
entropic optimal transport in the log domain with points of zero mass (``logsumexp`` over
``-inf``), Gaussian-process hyperparameters through ``cholesky`` and ``solve_triangular``
(value, gradient and Hessian), a ranking loss of ``sort``/``quantile``/``median``/``top_k``
and double ``argsort``, Jacobians of a vector field, and a float32 training loop with
``wire.optim`` (``chain``, ``clip_by_global_norm``, ``multi_transform``, ``adamw`` on a
warmup-cosine schedule, ``inject_hyperparams``) over parameters held in dicts, namedtuples
and ``None``.

Each program is written once against a namespace ``ns`` (``t``: ``wire``, ``np``:
``wire.numpy``, ``lax``, ``linalg``, ``lse``), so the same source ran under JAX 0.10 in
float64 (``jax_enable_x64``; Optax 0.2.8 for the training loop) to produce the oracle values
stored in ``ORACLE``: each program's result summarised by one number (its dot product with a
fixed pseudo-random pytree, :func:`direction`). wire runs each program as written and under
``wire.jit``. Closed forms check Taylor-mode derivatives, a NumPy reference checks masked
attention, and the last tests pin how ``jit`` retraces and the errors a user meets.
"""

from __future__ import annotations

import functools
import math
from collections import namedtuple
from types import SimpleNamespace

import numpy as onp
import pytest

import wire
import wire.lax
import wire.nn
import wire.numpy as wnp
import wire.optim
import wire.scipy.linalg
from oracles import both, close, summary

W = SimpleNamespace(t=wire, np=wnp, lax=wire.lax, linalg=wire.scipy.linalg,
                    lse=wire.nn.logsumexp, optim=wire.optim, tree=wire.tree, name="wire")


def _data(seed, *shapes, scale=1.0):
    rng = onp.random.default_rng(seed)
    return [scale * rng.normal(size=s) for s in shapes]


# ----------------------------------------------------------------------------- the programs
#
# Each ``program(ns)`` returns ``(function, arguments)``.


def kalman_smoother(ns):
    """A constant-velocity Kalman filter (``scan``) and its RTS smoother (``scan`` with
    ``reverse=True`` over the filter's stacked outputs): the log-likelihood plus a penalty on
    the smoothed means, and its gradient in the dynamics' parameters."""
    np = ns.np
    (ys,) = _data(1, (12, 1))

    def objective(params):
        a, q, r = params["a"], np.exp(params["logq"]), np.exp(params["logr"])
        A = np.array([[1.0, 1.0], [0.0, 1.0]]) * a
        H = np.array([[1.0, 0.0]])
        Q, R = q * np.eye(2), r * np.eye(1)

        def forward(carry, y):
            m, P, ll = carry
            mp, Pp = A @ m, A @ P @ A.T + Q
            S = H @ Pp @ H.T + R
            K = np.linalg.solve(S, H @ Pp).T
            v = y - H @ mp
            ll = ll - 0.5 * (v @ np.linalg.solve(S, v) + np.linalg.slogdet(2 * np.pi * S)[1])
            mf, Pf = mp + K @ v, Pp - K @ S @ K.T
            return (mf, Pf, ll), (mf, Pf, mp, Pp)

        (_, _, ll), (mf, Pf, mp, Pp) = ns.lax.scan(forward, (np.zeros(2), np.eye(2), 0.0), ys)

        def backward(carry, x):
            ms, Ps = carry
            mf_t, Pf_t, mp_next, Pp_next = x
            G = np.linalg.solve(Pp_next.T, (Pf_t @ A.T).T).T
            ms = mf_t + G @ (ms - mp_next)
            Ps = Pf_t + G @ (Ps - Pp_next) @ G.T
            return (ms, Ps), ms

        _, smoothed = ns.lax.scan(backward, (mf[-1], Pf[-1]),
                                  (mf[:-1], Pf[:-1], mp[1:], Pp[1:]), reverse=True)
        return ll + 0.1 * np.sum(smoothed ** 2)

    params = {"a": 0.9, "logq": -1.0, "logr": -0.5}
    return ns.t.value_and_grad(objective), (params,)


def newton_cg(ns):
    """Regularised logistic regression by Newton-CG: each Newton step (``fori_loop``) solves
    ``H s = -g`` by ten conjugate-gradient steps (a nested ``fori_loop``) on Hessian-vector
    products ``jvp(grad(f))``, never forming ``H``."""
    np = ns.np
    X, z = _data(2, (40, 5), (40,))
    y = (z > 0).astype(float)

    def nll(w):
        s = X @ w
        return np.sum(np.logaddexp(0.0, s) - y * s) + 0.5 * np.sum(w ** 2)

    grad = ns.t.grad(nll)

    def solve(w0):
        def newton_step(i, w):
            g = grad(w)

            def cg_step(j, state):
                x, r, p, rs = state
                Ap = ns.t.jvp(grad, (w,), (p,))[1]
                alpha = rs / (p @ Ap)
                x, r = x + alpha * p, r - alpha * Ap
                rs_new = r @ r
                return x, r, r + (rs_new / rs) * p, rs_new

            step, *_ = ns.lax.fori_loop(0, 10, cg_step, (np.zeros_like(w), -g, -g, g @ g))
            return w + step

        w = ns.lax.fori_loop(0, 4, newton_step, w0)
        return w, nll(w)

    return solve, (onp.zeros(5),)


def planar_flow(ns):
    """A stack of four planar flows ``z + u tanh(w.z + b)`` applied by ``fori_loop`` with
    their log-determinants; the mean log-density of data and its gradient in the flows'
    parameters (stacked along the loop index)."""
    np = ns.np
    u, w, b, x = _data(3, (4, 2), (4, 2), (4,), (16, 2))
    params = {"u": 0.5 * u, "w": w, "b": b}

    def mean_logp(params):
        def layer(i, state):
            z, logdet = state
            u, w, b = params["u"][i], params["w"][i], params["b"][i]
            a = np.tanh(z @ w + b)
            psi = (1 - a ** 2)[:, None] * w[None, :]
            return z + u[None, :] * a[:, None], logdet + np.log(np.abs(1 + psi @ u))

        z, logdet = ns.lax.fori_loop(0, 4, layer, (x, np.zeros(x.shape[0])))
        return np.mean(-0.5 * np.sum(z ** 2, 1) - np.log(2 * np.pi) + logdet)

    return ns.t.value_and_grad(mean_logp), (params,)


def _time_of_flight(ns, v0, h0, g=9.81, dt=0.01):
    """Steps a ball up and down by ``while_loop`` until it falls below the ground, then
    corrects the overshoot in closed form with a ``custom_jvp`` square root whose derivative
    is 0 at and below 0."""
    np = ns.np

    @ns.t.custom_jvp
    def safe_sqrt(x):
        return np.sqrt(np.maximum(x, 0.0))

    @safe_sqrt.defjvp
    def _(primals, tangents):
        (x,), (dx,) = primals, tangents
        y = safe_sqrt(x)
        return y, np.where(x > 0, dx / (2 * np.where(x > 0, y, 1.0)), 0.0)

    def body(s):
        t, h, v = s
        return t + dt, h + v * dt - 0.5 * g * dt ** 2, v - g * dt

    t, h, v = ns.lax.while_loop(lambda s: s[1] > 0, body, (0.0, h0, v0))
    return t + (-v - safe_sqrt(v ** 2 - 2 * g * h)) / g


def ball(ns):
    """:func:`_time_of_flight`, its forward-mode Jacobian in the initial speed and height,
    and a ``vmap`` of its ``jvp`` over balls whose loops run different numbers of steps."""
    def run(v0, h0, v0s, h0s):
        flight = functools.partial(_time_of_flight, ns)
        jac = ns.t.jacfwd(flight, argnums=(0, 1))(v0, h0)
        batched = ns.t.vmap(lambda a, b: ns.t.jvp(flight, (a, b), (1.0, 0.5)))(v0s, h0s)
        return flight(v0, h0), jac, batched

    return run, (2.0, 1.0, onp.array([2.0, 0.5, 3.0]), onp.array([1.0, 2.0, 0.2]))


def sinkhorn(ns):
    """Entropic optimal transport in the log domain (``logsumexp`` updates of the dual
    potentials in ``fori_loop``) between two point clouds, each with a point of zero mass
    (``log 0 = -inf`` inside every ``logsumexp``); the transport cost and its gradient in
    both clouds."""
    np = ns.np
    x, y = _data(4, (5, 2), (4, 2))
    a = onp.array([0.3, 0.2, 0.0, 0.25, 0.25])
    b = onp.array([0.25, 0.25, 0.5, 0.0])
    with onp.errstate(divide="ignore"):
        la, lb = onp.log(a), onp.log(b)

    def cost(x, y, eps=0.1):
        C = np.sum((x[:, None, :] - y[None, :, :]) ** 2, -1)

        def body(i, fg):
            f, g = fg
            f = -eps * ns.lse((g[None, :] - C) / eps + lb[None, :], axis=1)
            g = -eps * ns.lse((f[:, None] - C) / eps + la[:, None], axis=0)
            return f, g

        f, g = ns.lax.fori_loop(0, 50, body, (np.zeros(5), np.zeros(4)))
        plan = np.exp((f[:, None] + g[None, :] - C) / eps + la[:, None] + lb[None, :])
        return np.sum(plan * C)

    return ns.t.value_and_grad(cost, argnums=(0, 1)), (x, y)


def gp_hyperparameters(ns):
    """A Gaussian process's negative log marginal likelihood through ``cholesky`` and two
    ``solve_triangular`` calls (``log det K`` from the factor's diagonal); its value,
    gradient and Hessian in the log hyperparameters."""
    np = ns.np
    X, noise = _data(5, (8, 2), (8,))
    y = onp.sin(X[:, 0]) + 0.1 * noise

    def nll(theta):
        ell, sf, sn = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2])
        d2 = np.sum((X[:, None] - X[None]) ** 2 / ell ** 2, -1)
        K = sf ** 2 * np.exp(-0.5 * d2) + (sn ** 2 + 1e-9) * np.eye(8)
        L = np.linalg.cholesky(K)
        alpha = ns.linalg.solve_triangular(L.T, ns.linalg.solve_triangular(L, y, lower=True),
                                           lower=False)
        return 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 4 * np.log(2 * np.pi)

    def run(theta):
        return ns.t.value_and_grad(nll)(theta), ns.t.hessian(nll)(theta)

    return run, (onp.array([0.1, -0.2, -1.5]),)


def ranking(ns):
    """A loss of order statistics: ``sort`` weighted by rank, ``quantile``, ``median``,
    ``percentile``, ``top_k`` and ranks by a double ``argsort``; its gradient, and a ``vmap``
    of the gradient."""
    np = ns.np

    def loss(x):
        ranks = np.argsort(np.argsort(x))
        return (np.sum(np.sort(x) * np.arange(x.shape[0])) + np.quantile(x, 0.3) ** 2
                + 3 * np.median(x) + np.sum(ns.lax.top_k(x, 3)[0] ** 2) + np.sum(ranks * x)
                + np.percentile(x, 85.0))

    def run(x, xs):
        return ns.t.value_and_grad(loss)(x), ns.t.vmap(ns.t.grad(loss))(xs)

    (x,) = _data(6, (9,))
    return run, (x, onp.stack([x, -x, 2 * x]))


def vector_field(ns):
    """Jacobians of a vector field R^3 -> R^4 by ``jacfwd`` and ``jacrev``, batched by
    ``vmap``, and its Hessian (an array of shape (4, 3, 3))."""
    np = ns.np

    def field(x):
        return np.stack([x[1] * np.sin(x[0]), x[0] * x[2] ** 2, np.tanh(x[0] - x[1]),
                         np.sum(x ** 3)])

    def run(x, xs):
        return (ns.t.jacfwd(field)(x), ns.t.jacrev(field)(x), ns.t.vmap(ns.t.jacrev(field))(xs),
                ns.t.hessian(field)(x))

    x = onp.array([0.3, -0.4, 1.2])
    return run, (x, onp.stack([x, 2 * x]))


PROGRAMS = {f.__name__: f for f in (kalman_smoother, newton_cg, planar_flow, ball, sinkhorn,
                                     gp_hyperparameters, ranking, vector_field)}

ORACLE = {
    'kalman_smoother': -2.111243933878251,
    'newton_cg': 9.550762414473052,
    'planar_flow': -0.16173085659708292,
    'ball': 0.42192935889068955,
    'sinkhorn': 0.19055057936657027,
    'gp_hyperparameters': -9.423006577499876,
    'ranking': 28.62052686268388,
    'vector_field': 30.77474849437966,
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_jax(name):
    fn, args = PROGRAMS[name](W)
    for f in both(fn):
        close(summary(f(*args)), ORACLE[name], rtol=1e-10)


# ------------------------------------------------------------------ a float32 training loop

Layer = namedtuple("Layer", "w b")


def training_loop(ns, steps=20):
    """An MLP trained in float32 by ``optim.chain(clip_by_global_norm, multi_transform(adamw
    on a warmup-cosine schedule for the layers, inject_hyperparams(sgd) with momentum for a
    scalar))``, its parameters a dict of namedtuples, one with ``b=None``; a jitted step
    ``params, state, loss = step(params, state, x, y)``. Returns the parameters, the state
    and the losses."""
    rng = onp.random.default_rng(26)
    f32 = onp.float32
    X, Y = rng.normal(size=(32, 4)).astype(f32), rng.normal(size=(32, 2)).astype(f32)
    params = {"l1": Layer(0.5 * rng.normal(size=(4, 8)).astype(f32), onp.zeros(8, f32)),
              "l2": Layer(0.5 * rng.normal(size=(8, 2)).astype(f32), None),
              "scale": f32(1.0)}
    o = ns.optim

    def loss(p, x, y):
        h = ns.np.tanh(x @ p["l1"].w + p["l1"].b)
        return ns.np.mean((h @ p["l2"].w * p["scale"] - y) ** 2)

    schedule = o.warmup_cosine_decay_schedule(0.0, 0.05, 5, 20, 0.001)
    opt = o.chain(o.clip_by_global_norm(1.0),
                  o.multi_transform({"adam": o.adamw(schedule, weight_decay=1e-2),
                                     "sgd": o.inject_hyperparams(o.sgd)(learning_rate=0.1,
                                                                        momentum=0.9)},
                                    {"l1": "adam", "l2": "adam", "scale": "sgd"}))

    def step(p, s, x, y):
        value, g = ns.t.value_and_grad(loss)(p, x, y)
        updates, s = opt.update(g, s, p)
        return o.apply_updates(p, updates), s, value

    step = ns.t.jit(step)
    state, losses = opt.init(params), []
    for _ in range(steps):
        params, state, value = step(params, state, X, Y)
        losses.append(value)
    return params, state, losses


# Optax 0.2.8 on JAX 0.10 (float32): summary(params) and the last loss.
TRAINING_ORACLE = (1.5325198419572272, 1.0711053609848022)


def test_float32_training_loop_with_optim_matches_optax():
    params, state, losses = training_loop(W)
    assert type(params["l1"]) is Layer and params["l2"].b is None
    assert {onp.asarray(v).dtype for v in wire.tree.leaves(params)} == {onp.dtype(onp.float32)}
    assert {onp.asarray(v).dtype for v in wire.tree.leaves(state)} == {
        onp.dtype(onp.float32), onp.dtype(onp.int32)}
    assert all(onp.asarray(v).dtype == onp.float32 for v in losses)
    close(summary(params), TRAINING_ORACLE[0], rtol=2e-5)
    close(losses[-1], TRAINING_ORACLE[1], rtol=2e-5)
    assert float(losses[-1]) < 0.6 * float(losses[0])


# ------------------------------------------------------------------- Taylor mode, closed forms


def test_taylor_and_jet_match_closed_form_derivatives():
    """``wire.taylor`` and ``wire.jet`` against derivatives in closed form: ``1/(1-x)``
    (``k!/(1-x)^(k+1)``), ``exp(2x)`` (``2^k e^(2x)``), ``arctan`` (``1/(1+x^2)`` and its
    derivatives) and a product of shifts (a cubic, whose fourth derivative is 0); ``jet``
    along a curve against the chain rule."""
    x0 = 0.3
    cases = [
        (lambda x: 1 / (1 - x), [math.factorial(k) / (1 - x0) ** (k + 1) for k in range(6)]),
        (lambda x: wnp.exp(2 * x), [2.0 ** k * math.exp(2 * x0) for k in range(6)]),
        (wnp.arctan, [math.atan(x0), 1 / (1 + x0 ** 2), -2 * x0 / (1 + x0 ** 2) ** 2,
                      (6 * x0 ** 2 - 2) / (1 + x0 ** 2) ** 3,
                      24 * x0 * (1 - x0 ** 2) / (1 + x0 ** 2) ** 4,
                      24 * (5 * x0 ** 4 - 10 * x0 ** 2 + 1) / (1 + x0 ** 2) ** 5]),
        (lambda x: wnp.prod(wnp.stack([x, x + 1, x + 2])),
         [x0 * (x0 + 1) * (x0 + 2), 3 * x0 ** 2 + 6 * x0 + 2, 6 * x0 + 6, 6.0, 0.0, 0.0]),
    ]
    for f, d in cases:
        close(wire.taylor(f, 5)(x0), d, rtol=1e-12, atol=1e-12)
        primal, series = wire.jet(f, (x0,), ((1.0, 0.0, 0.0),))
        close([primal, *series], d[:4], rtol=1e-12, atol=1e-12)
        # along x(t) = x0 + a t + b t^2 / 2, the second and third derivatives of f(x(t)) are
        # f2 a^2 + f1 b and f3 a^3 + 3 f2 a b + f1 c (c = 0.3, the third coefficient)
        a, b, c = 0.5, -0.2, 0.3
        _, series = wire.jet(f, (x0,), ((a, b, c),))
        close(series, [d[1] * a, d[2] * a ** 2 + d[1] * b,
                       d[3] * a ** 3 + 3 * d[2] * a * b + d[1] * c], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------ masked attention


def test_dot_product_attention_with_bias_mask_and_a_fully_masked_row():
    """``wire.nn.dot_product_attention`` against the formula in NumPy (a masked logit is the
    dtype's lowest finite value, so a fully masked row averages the values evenly), eager
    and under ``jit``, and its gradient in the query against central differences."""
    from scipy.special import softmax

    rng = onp.random.default_rng(7)
    q, k, v = (rng.normal(size=s) for s in ((2, 5, 3, 4), (2, 6, 3, 4), (2, 6, 3, 4)))
    mask = rng.random((2, 3, 5, 6)) > 0.3
    mask[0, 0, 1] = False
    bias = rng.normal(size=(2, 3, 5, 6))

    def reference(q):
        s = onp.einsum("bqhd,bkhd->bhqk", q, k) / 2.0 + bias
        p = softmax(onp.where(mask, s, onp.finfo(float).min), axis=-1)
        return onp.einsum("bhqk,bkhd->bqhd", p, v)

    def attend(q):
        return wire.nn.dot_product_attention(q, k, v, bias=bias, mask=mask)

    for f in both(attend):
        close(f(q), reference(q), rtol=1e-12, atol=1e-14)
    g = wire.grad(lambda q: wnp.sum(wnp.sin(attend(q))))(q)
    e = onp.zeros_like(q)
    e[1, 2, 0, 3] = 1e-6
    fd = (onp.sum(onp.sin(reference(q + e))) - onp.sum(onp.sin(reference(q - e)))) / 2e-6
    close(g[1, 2, 0, 3], fd, rtol=1e-6)
    close(g[0, 1, 0], 0.0)  # the fully masked row does not depend on its query


# -------------------------------------------------------------------------- jit's retracing


def test_jit_retraces_on_static_values_shapes_dtypes_and_pytree_structure():
    """A jitted function traces again whenever what it was traced for changes: a static value
    (``2``, ``2.0`` and ``True`` are different values to trace for), a shape, a dtype, the
    pytree's structure (dict keys, ``None`` in a namedtuple, two namedtuple classes with the
    same fields, a list for a tuple), and never reuses a trace made for another."""
    traces = []

    @functools.partial(wire.jit, static_argnums=(1,))
    def scaled(x, n):
        traces.append((wnp.shape(x), type(n)))
        return x * n

    close(scaled(onp.ones(2), 2), [2.0, 2.0])
    close(scaled(onp.ones(2), 3), [3.0, 3.0])
    close(scaled(onp.ones(3), 3), [3.0] * 3)
    assert scaled(onp.ones(2, onp.float32), 3).dtype == onp.float32
    assert scaled(onp.ones(2), 2.0).dtype == onp.float64
    close(scaled(onp.ones(2), True), [1.0, 1.0])
    close(scaled(onp.ones(2), 2), [2.0, 2.0])  # cached
    assert len(traces) == 6
    assert [t[1] for t in traces] == [int, int, int, int, float, bool]

    P, Q = namedtuple("P", "a b"), namedtuple("Q", "a b")
    seen = []

    @wire.jit
    def total(p):
        seen.append(wire.tree.structure(p))
        return sum(wnp.sum(v) * (i + 1) for i, v in enumerate(wire.tree.leaves(p)))

    cases = [({"a": onp.ones(2)}, 2.0), ({"a": onp.ones(2), "b": onp.ones(3)}, 8.0),
             ({"b": onp.ones(2)}, 2.0), (P(1.0, None), 1.0), (P(1.0, 2.0), 5.0),
             (Q(1.0, 2.0), 5.0), ((onp.ones(2), 1.0), 4.0), ([onp.ones(2), 1.0], 4.0),
             ({"a": onp.ones(2)}, 2.0)]
    for tree, want in cases:
        close(total(tree), want)
    assert len(seen) == len(cases) - 1
    assert len({str(s) for s in seen}) == len(seen)


# ---------------------------------------------------------------------- errors a user meets


def _raises_naming(fn, error, *words):
    with pytest.raises(error) as info:
        fn()
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    assert "test_programs26.py:" in message  # the user's line


def test_losses_name_themselves_and_their_arguments_on_mismatched_shapes():
    """Logits and labels (predictions and targets …) whose shapes do not broadcast raised
    NumPy's bare ValueError (``kl_divergence``, ``cosine_similarity``, ``hinge_loss``,
    ``poly_loss_cross_entropy``, ``triplet_margin_loss``, ``multiclass_*``) or a ShapeError
    about an internal ``and``/``where`` with shapes the user never wrote
    (``softmax_cross_entropy``, ``sigmoid_binary_cross_entropy``, integer-label losses). Each
    now raises a ShapeError naming the loss, its arguments and their shapes."""
    L = wire.optim.losses
    a, b = onp.full((4, 3), 0.3), onp.full((4, 2), 0.4)
    for loss, names in [
        (L.softmax_cross_entropy, ("logits", "labels")),
        (L.safe_softmax_cross_entropy, ("logits", "labels")),
        (L.sigmoid_binary_cross_entropy, ("logits", "labels")),
        (L.sigmoid_focal_loss, ("logits", "labels")),
        (L.poly_loss_cross_entropy, ("logits", "labels")),
        (L.kl_divergence, ("log_predictions", "targets")),
        (L.kl_divergence_with_log_targets, ("log_predictions", "log_targets")),
        (L.cosine_similarity, ("predictions", "targets")),
        (L.hinge_loss, ("predictor_outputs", "targets")),
        (L.ranking_softmax_loss, ("logits", "labels")),
    ]:
        _raises_naming(lambda: loss(a, b), wire.ShapeError, loss.__name__, *names,
                       "(4, 3)", "(4, 2)")
    _raises_naming(lambda: L.triplet_margin_loss(a, a, b), wire.ShapeError,
                   "triplet_margin_loss", "negatives of shape (4, 2)")
    labels = onp.array([0, 1, 2])
    for loss in (L.softmax_cross_entropy_with_integer_labels, L.multiclass_hinge_loss,
                 L.multiclass_perceptron_loss, L.multiclass_sparsemax_loss):
        _raises_naming(lambda: loss(a, labels), wire.ShapeError, loss.__name__,
                       "labels of shape (3,)", "batch shape (4,)")
    # shapes that broadcast still work, and agree with the loss of the broadcast arrays
    close(L.softmax_cross_entropy(a, onp.array([0.2, 0.3, 0.5])),
          L.softmax_cross_entropy(a, onp.tile([0.2, 0.3, 0.5], (4, 1))))
    close(L.softmax_cross_entropy_with_integer_labels(a, onp.array(1)),
          L.softmax_cross_entropy_with_integer_labels(a, onp.ones(4, int)))


def test_layer_init_given_the_input_and_attention_masks_of_the_wrong_shape():
    """``Dense(3).init(key, x)`` (Flax's habit: the input where the input's shape belongs)
    failed with NumPy's "only 0-dimensional arrays can be converted to Python scalars"; a
    mask that does not fit ``dot_product_attention``'s logits raised a ShapeError about an
    internal ``where`` of 5-d shapes. Both now say what to pass."""
    key = wire.random.key(0)
    _raises_naming(lambda: wire.nn.Dense(3).init(key, onp.ones((1, 4))), wire.WireTypeError,
                   "Dense(3)", "x.shape", "float64[1, 4]")
    assert wire.nn.Dense(3).init(key, onp.array([-1, 4]))["w"].shape == (4, 3)
    q, k = onp.ones((1, 4, 2, 8)), onp.ones((1, 5, 2, 8))
    _raises_naming(lambda: wire.nn.dot_product_attention(q, k, k, mask=onp.ones((4, 4), bool)),
                   wire.ShapeError, "mask of shape (4, 4)", "(1, 2, 4, 5)")
    _raises_naming(lambda: wire.nn.dot_product_attention(q, k, k, bias=onp.ones((3, 5))),
                   wire.ShapeError, "bias of shape (3, 5)")
    out = wire.nn.dot_product_attention(q, k, k, mask=onp.ones((4, 5), bool))
    assert out.shape == (1, 4, 2, 8)


# ------------------------------------------------------ a table indexed inside a loop body


def test_a_constant_table_indexed_by_a_traced_integer_in_a_loop_body():
    """``wnp.asarray(table)[i]`` with ``i`` traced (JAX users write ``jnp.asarray(table)[i]``)
    worked under ``wire.jit`` but raised "np.asarray() of a traced value" inside a ``scan``
    or ``fori_loop`` body called outside ``jit``: the body was traced with no trace open, so
    ``asarray`` gave a NumPy array, which cannot be indexed by a value not known yet. A body
    is now traced as ``jit`` traces, the table becoming a traced constant."""
    rewards = onp.array([1.0, -0.5, 2.0])
    actions = onp.array([0, 2, 1])

    def run(actions):
        def body(c, _):
            return (c + 1) % 3, wnp.sum(wnp.asarray(rewards)[c])

        _, totals = wire.lax.scan(body, actions, None, length=3)
        w = wire.lax.fori_loop(0, 2, lambda i, w: w * wnp.sum(wnp.asarray(rewards)[actions]),
                               onp.ones(2))
        return totals, w

    for f in both(run):
        totals, w = f(actions)
        close(totals, [2.5, 2.5, 2.5])
        close(w, [6.25, 6.25])


def test_reinforce_gradient_with_sampled_actions():
    """REINFORCE: actions drawn by ``wire.random.categorical`` from a linear policy, the
    loss ``-mean(R(a) log pi(a|s))`` and its gradient against the score-function formula in
    NumPy on the same actions; eager, jitted, and ``vmap`` over keys against a loop."""
    from scipy.special import softmax

    rng = onp.random.default_rng(11)
    states, w0 = rng.normal(size=(16, 4)), 0.3 * rng.normal(size=(4, 3))
    reward = onp.array([1.0, -0.5, 2.0])

    def loss(w, key):
        logits = states @ w
        a = wire.random.categorical(key, wire.stop_gradient(logits), axis=-1)
        logp = wire.nn.log_softmax(logits)[wnp.arange(16), a]
        return -wnp.mean(wnp.asarray(reward)[a] * logp), a

    key = wire.random.key(3)
    for f in both(wire.value_and_grad(loss, has_aux=True)):
        (value, a), g = f(w0, key)
        a = onp.asarray(a)
        p = softmax(states @ w0, axis=-1)
        close(value, -onp.mean(reward[a] * onp.log(p[onp.arange(16), a])))
        close(g, -(states.T @ ((onp.eye(3)[a] - p) * reward[a][:, None])) / 16)
    keys = wire.random.split(key, 4)
    per_key = wire.vmap(wire.grad(lambda w, k: loss(w, k)[0]), in_axes=(None, 0))(w0, keys)
    close(per_key, [wire.grad(lambda w: loss(w, k)[0])(w0) for k in keys])


def test_apply_updates_with_mismatched_trees_does_not_speak_of_a_state():
    """``apply_updates`` of updates in a tuple to params in a list said "Pass grads of the
    same params the state was made for", though no state is involved."""
    with pytest.raises(wire.WireError) as info:
        wire.optim.apply_updates([onp.ones(2)], (onp.ones(2),))
    assert "updates and params have different structures" in str(info.value)
    assert "state" not in str(info.value)
    with pytest.raises(wire.WireError, match="the state was made for"):
        opt = wire.optim.adam(0.1)
        opt.update({"a": onp.ones(2)}, opt.init({"b": onp.ones(2)}))


def test_constant_table_indexed_by_a_traced_int_in_grad_inside_jit_and_loops():
    # wnp.asarray(table)[i] inside an eager grad nested in jit or a loop body: the table is a
    # traced constant there too (was: "np.asarray() of a traced value"); JAX x64's values
    table = onp.array([1.0, -0.5, 2.0])
    loss = lambda w, a: wnp.sum(w) * wnp.sum(wnp.asarray(table)[a])  # noqa: E731
    idx = onp.array([0, 2, 1])
    onp.testing.assert_array_equal(
        wire.jit(lambda w, a: wire.grad(loss)(w, a))(onp.ones(3), idx), [2.5, 2.5, 2.5])
    out = wire.lax.fori_loop(0, 2, lambda i, c: (c[0] - wire.grad(loss)(c[0], c[1]), c[1]),
                             (onp.ones(3), idx))[0]
    onp.testing.assert_array_equal(out, [-4.0, -4.0, -4.0])
    onp.testing.assert_array_equal(wire.grad(loss)(onp.ones(3), idx), [2.5, 2.5, 2.5])
