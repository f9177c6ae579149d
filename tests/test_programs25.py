"""Programs of the kind JAX and autograd users write (MAML, implicit layers, normalizing
flows, a VAE, a physics-informed network, a differentiable renderer, optimal control by
shooting, soft-DTW, a graph network, a CNN, a CRF, straight-through estimators, per-step
random keys …), run on wire with only the imports changed.

Each program is written once against a namespace ``ns`` (``t``: ``wire``, ``np``:
``wire.numpy``, ``lax``, ``scipy``, ``tree``), so the same source ran under JAX 0.10 in
float64 (``jax_enable_x64``) to produce the oracle values stored in ``ORACLE``: each program's
value and its gradient summarised by one number (the gradient's dot product with a fixed
pseudo-random pytree, :func:`direction`). wire runs each program as written and under
``wire.jit``. Finite differences and closed forms check the programs JAX cannot run.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as onp
import pytest

import wire
import wire.lax
import wire.nn
import wire.numpy as wnp
import wire.scipy.integrate
import wire.scipy.linalg
import wire.scipy.special
from oracles import both, close, summary

W = SimpleNamespace(t=wire, np=wnp, lax=wire.lax, linalg=wire.scipy.linalg,
                    special=wire.scipy.special, tree=wire.tree, checkpoint=wire.checkpoint,
                    custom_vjp=wire.custom_vjp, custom_jvp=wire.custom_jvp,
                    sg=wire.stop_gradient, softmax=wire.nn.softmax, one_hot=wire.nn.one_hot,
                    fixed_point=wire.fixed_point, odeint=wire.scipy.integrate.odeint,
                    name="wire")


# ----------------------------------------------------------------- weakly typed loop carries


def test_a_carry_promoted_from_a_python_number_is_strongly_typed_from_then_on():
    """JAX casts a Python-number carry to the dtype the body gives it and traces again with
    the carry strongly typed: ``c * 2.0`` of a carry promoted to float32 stays float32 (wire
    gave float64 ``ys``), ``c * xi`` of a carry promoted to float64 stays float64 (wire gave
    float32), and a carry made float32 by another one follows it (float64 before)."""
    x = onp.arange(3, dtype=onp.float32)
    def scans(x):
        return (wire.scan(lambda c, xi: (c + xi, c * 2.0), 0.0, x),
                wire.scan(lambda c, xi: (c + 1.0, c * xi), 0, x))

    for fn in both(scans):
        (c, ys), (c2, ys2) = fn(x)
        assert (c.dtype, ys.dtype, c2.dtype, ys2.dtype) == (onp.float32,) * 2 + (onp.float64,) * 2
        close(ys, [0.0, 0.0, 2.0])
        close(ys2, [0.0, 1.0, 4.0])
    for loop in both(lambda x: wire.while_loop(
            lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * x[1] + 1.0, c[1] * 2.0),
            (0, 0.0, 0.0))):
        n, a, b = loop(x)
        assert (a.dtype, b.dtype) == (onp.float32, onp.float32)
        close((a, b), (3.0, 4.0))


# ----------------------------------------------------------------------------- the programs
#
# Each ``program(ns)`` returns ``(function, arguments)``; the function's result (a pytree) is
# compared, summarised by :func:`summary`, with the oracle JAX computed from the same source.

RNG_SEED = 25


def _data(seed, *shapes, scale=1.0):
    rng = onp.random.default_rng(seed)
    return [scale * rng.normal(size=s) for s in shapes]


def maml(ns):
    """MAML on sine regression: three inner SGD steps (``fori_loop``), the outer loss over a
    batch of tasks by ``vmap``, its gradient in the initial parameters (second order)."""
    np = ns.np

    def net(p, x):
        w1, b1, w2 = p
        return np.tanh(x @ w1 + b1) @ w2

    def loss(p, x, y):
        return np.mean((net(p, x) - y) ** 2)

    def inner(p, x, y):
        def body(i, p):
            g = ns.t.grad(loss)(p, x, y)
            return ns.tree.map(lambda a, b: a - 0.1 * b, p, g)
        return ns.lax.fori_loop(0, 3, body, p)

    def outer(p, xs, ys, xq, yq):
        return np.mean(ns.t.vmap(lambda x, y, u, v: loss(inner(p, x, y), u, v))(xs, ys, xq, yq))

    w1, b1, w2, xs, phase, xq = _data(1, (1, 8), 8, (8, 1), (4, 5, 1), (4, 1, 1), (4, 5, 1))
    p = (w1, 0.1 * b1, 0.3 * w2)
    args = (p, xs, onp.sin(xs + phase), xq, onp.sin(xq + phase))
    return ns.t.value_and_grad(outer), args


def maml_hessian(ns):
    """The Hessian of a one-step MAML objective: ``jacfwd`` of ``grad`` of a loss evaluated
    after a ``grad`` step (third derivatives of the model)."""
    np = ns.np
    x, y = onp.linspace(-2, 2, 5), onp.cos(onp.linspace(-2, 2, 5))

    def loss(w, x, y):
        return np.mean((np.sin(x * w[0]) * w[1] - y) ** 2)

    def outer(w):
        return loss(w - 0.3 * ns.t.grad(loss)(w, x, y), x[::-1] * 0.5, y)

    return ns.t.jacfwd(ns.t.grad(outer)), (onp.array([0.7, 1.3]),)


def realnvp(ns):
    """RealNVP: four affine coupling layers with alternating halves; the negative
    log-likelihood and its gradient, and each layer's log-determinant against the log of
    ``|det|`` of its Jacobian by ``jacfwd`` (``vmap`` over the samples)."""
    np = ns.np

    def coupling(p, x, flip):
        x1, x2 = (x[..., 2:], x[..., :2]) if flip else (x[..., :2], x[..., 2:])
        h = np.tanh(x1 @ p["w"] + p["b"])
        s, t = np.tanh(h @ p["ws"]), h @ p["wt"]
        y2 = x2 * np.exp(s) + t
        y = np.concatenate([y2, x1] if flip else [x1, y2], axis=-1)
        return y, np.sum(s, axis=-1)

    def nll(params, x):
        logdet = 0.0
        for i, p in enumerate(params):
            x, ld = coupling(p, x, i % 2 == 1)
            logdet = logdet + ld
        return -np.mean(np.sum(-0.5 * x ** 2 - 0.5 * np.log(2 * np.pi), -1) + logdet)

    def run(params, x):
        jac_logdet = ns.t.vmap(lambda xi: np.linalg.slogdet(
            ns.t.jacfwd(lambda z: coupling(params[1], z, True)[0])(xi))[1])(x)
        layer_logdet = ns.t.vmap(lambda xi: coupling(params[1], xi, True)[1])(x)
        return ns.t.value_and_grad(nll)(params, x), jac_logdet - layer_logdet

    rng = onp.random.default_rng(2)
    params = [dict(w=0.5 * rng.normal(size=(2, 6)), b=0.1 * rng.normal(size=6),
                   ws=0.5 * rng.normal(size=(6, 2)), wt=0.5 * rng.normal(size=(6, 2)))
              for _ in range(4)]
    return run, (params, rng.normal(size=(7, 4)))


def vae(ns):
    """A VAE's negative ELBO with the reparameterisation trick (the noise given), Bernoulli
    likelihood by ``logaddexp``, the Gaussian KL in closed form; value and gradient."""
    np = ns.np

    def neg_elbo(p, x, eps):
        h = np.tanh(x @ p["enc"])
        mu, logvar = h @ p["mu"], h @ p["logvar"]
        z = mu + np.exp(0.5 * logvar) * eps
        logits = np.tanh(z @ p["dec"]) @ p["out"]
        rec = np.sum(np.logaddexp(0.0, logits) - x * logits, -1)
        kl = -0.5 * np.sum(1 + logvar - mu ** 2 - np.exp(logvar), -1)
        return np.mean(rec + kl)

    enc, mu, lv, dec, out, x, eps = _data(3, (6, 5), (5, 2), (5, 2), (2, 5), (5, 6), (8, 6),
                                          (8, 2))
    p = dict(enc=0.4 * enc, mu=0.4 * mu, logvar=0.4 * lv, dec=0.4 * dec, out=0.4 * out)
    return ns.t.value_and_grad(neg_elbo), (p, (x > 0).astype(float), eps)


def pinn(ns, how):
    """A physics-informed network for Burgers' equation ``u_t + u u_x = ν u_xx``: the
    residual needs ``u``'s gradient and Hessian in its input (``hessian``, or
    ``jacfwd(jacrev)``), ``vmap`` over collocation points; the loss's gradient in the
    parameters (third-order mixed derivatives)."""
    np = ns.np

    def u(p, xt):
        h = np.tanh(xt @ p[0] + p[1])
        h = np.tanh(h @ p[2] + p[3])
        return (h @ p[4])[0]

    def residual(p, xt):
        g = ns.t.grad(u, argnums=1)(p, xt)
        if how == "hessian":
            h = ns.t.hessian(u, argnums=1)(p, xt)
        else:
            h = ns.t.jacfwd(ns.t.jacrev(u, argnums=1), argnums=1)(p, xt)
        return g[1] + u(p, xt) * g[0] - 0.1 * h[0, 0]

    def loss(p, pts):
        return np.mean(ns.t.vmap(residual, (None, 0))(p, pts) ** 2)

    w0, b0, w1, b1, w2 = _data(4, (2, 8), 8, (8, 8), 8, (8, 1))
    p = [w0, 0.1 * b0, 0.4 * w1, 0.1 * b1, 0.4 * w2]
    pts = onp.random.default_rng(5).uniform(-1, 1, size=(10, 2))
    return ns.t.value_and_grad(loss), (p, pts)


def render(ns):
    """A differentiable renderer: rays against a sphere, Lambertian shading, misses masked
    by the double-``where`` trick (no NaN from the square root of a negative discriminant);
    the image and the gradient of a photometric loss in the centre and the radius."""
    np = ns.np

    def shade(c, r, d, light):
        oc = -c
        b = np.dot(oc, d)
        disc = b * b - (np.dot(oc, oc) - r ** 2)
        hit = disc > 0
        t = -b - np.sqrt(np.where(hit, disc, 1.0))
        normal = (np.where(hit, t, 0.0) * d - c) / r
        return np.where(hit, np.maximum(np.dot(normal, light), 0.0), 0.0)

    def image(c, r, dirs, light):
        return ns.t.vmap(shade, (None, None, 0, None))(c, r, dirs, light)

    def loss(c, r, dirs, light, target):
        return np.sum((image(c, r, dirs, light) - target) ** 2)

    u = onp.linspace(-0.5, 0.5, 6)
    dirs = onp.concatenate([onp.stack(onp.meshgrid(u, u), -1).reshape(-1, 2),
                            onp.ones((36, 1))], 1)
    dirs /= onp.linalg.norm(dirs, axis=1, keepdims=True)
    light = onp.array([0.3, 0.5, -0.8]) / onp.linalg.norm([0.3, 0.5, -0.8])

    def run(c, r, dirs, light, target):
        return image(c, r, dirs, light), ns.t.grad(loss, argnums=(0, 1))(c, r, dirs, light,
                                                                         target)

    return run, (onp.array([0.1, -0.05, 3.0]), 1.0, dirs, light, onp.full(36, 0.3))


def shooting(ns):
    """Optimal control by single shooting: a damped pendulum rolled out by ``scan``, the
    controls improved by 20 gradient steps in a ``fori_loop`` (grad through scan)."""
    np = ns.np

    def cost(u, x0):
        def step(x, ui):
            pos, vel = x
            vel = vel + 0.1 * (ui - 0.2 * vel - np.sin(pos))
            pos = pos + 0.1 * vel
            return (pos, vel), pos
        (pf, vf), traj = ns.lax.scan(step, x0, u)
        return 10 * ((pf - 1.0) ** 2 + vf ** 2) + 0.01 * np.sum(u ** 2) + 1e-3 * np.sum(traj ** 2)

    def optimise(u, x0):
        u = ns.lax.fori_loop(0, 20, lambda i, u: u - 0.05 * ns.t.grad(cost)(u, x0), u)
        return u, cost(u, x0)

    return optimise, (onp.zeros(30), (onp.array(0.0), onp.array(0.0)))


def soft_dtw(ns):
    """Soft-DTW: the soft-min recursion over the cost matrix by a ``scan`` over rows with a
    ``scan`` over cells inside, infinite borders through ``logsumexp``; its gradient in both
    series, and in the smoothing ``gamma`` with large finite borders (with infinite ones
    ``d(-inf / gamma)`` is infinite and its zero weight makes the chain rule's ``0 * inf``
    NaN, in JAX as in wire)."""
    np = ns.np

    def sdtw(x, y, gamma, border):
        d = (x[:, None] - y[None, :]) ** 2
        first = np.concatenate([np.zeros(1), np.full(y.shape[0], border)])

        def row(prev, di):
            def cell(left, inp):
                up, diag, dij = inp
                v = dij - gamma * ns.special.logsumexp(np.stack([up, diag, left]) / -gamma)
                return v, v
            _, r = ns.lax.scan(cell, border, (prev[1:], prev[:-1], di))
            return np.concatenate([np.full(1, border), r]), None

        last, _ = ns.lax.scan(row, first, d)
        return last[-1]

    def run(x, y, gamma):
        return (ns.t.value_and_grad(sdtw, argnums=(0, 1))(x, y, gamma, np.inf),
                ns.t.grad(sdtw, argnums=2)(x, y, gamma, 1e10))

    x, y = _data(6, 6, 5)
    return run, (x, y, 0.5)


def nondiff_custom_vjp(ns):
    """``custom_vjp`` with ``nondiff_argnums``: gradient clipping by a static limit (the
    tutorial's ``clip_gradient``) and a power with a static exponent, under ``grad`` and
    ``vmap(grad)``."""
    np = ns.np

    @functools.partial(ns.custom_vjp, nondiff_argnums=(0,))
    def clip_gradient(lim, x):
        return x

    clip_gradient.defvjp(lambda lim, x: (x, None),
                         lambda lim, res, g: (np.clip(g, -lim, lim),))

    @functools.partial(ns.custom_vjp, nondiff_argnums=(1,))
    def power_times(x, n, y):
        return x ** n * y

    def fwd(x, n, y):
        return power_times(x, n, y), (x, y)

    def bwd(n, res, g):
        x, y = res
        return g * n * x ** (n - 1) * y, g * x ** n

    power_times.defvjp(fwd, bwd)

    def f(x):
        return np.sum(clip_gradient(0.5, x) ** 3) + np.sum(power_times(x, 3, x + 1.0))

    def run(x):
        return f(x), ns.t.grad(f)(x), ns.t.vmap(ns.t.grad(lambda v: clip_gradient(0.5, v) ** 3))(x)

    return run, (onp.array([-1.0, 0.2, 0.8, 1.5]),)


def switch_pytrees(ns):
    """``lax.switch`` over three branches returning pytrees (a dict holding a tuple), under
    ``vmap`` with a batched index (out-of-range indices clamp) and under ``grad``."""
    np = ns.np

    def f(i, x, p):
        branches = [lambda x, p: {"a": x * p[0], "b": (np.sin(x), p[1])},
                    lambda x, p: {"a": x ** 2, "b": (np.cos(x) * p[0], p[1] * 2)},
                    lambda x, p: {"a": -x, "b": (x * 0, p[1] + x)}]
        return ns.lax.switch(i, branches, x, p)

    def loss(p, idx, xs):
        out = ns.t.vmap(f, (0, 0, None))(idx, xs, p)
        return np.sum(out["a"]) + np.sum(out["b"][0] * out["b"][1])

    def run(p, idx, xs):
        return ns.t.vmap(f, (0, 0, None))(idx, xs, p), ns.t.grad(loss)(p, idx, xs)

    return run, ((1.5, 0.3), onp.array([0, 1, 2, 1, 0, 5, -1]), _data(7, 7)[0])


def cond_pytrees(ns):
    """``lax.cond`` on a per-example predicate with a pytree operand, ``vmap(grad)`` in the
    example and the shared parameters."""
    np = ns.np

    def loss(x, p):
        r = ns.lax.cond(x > 0, lambda a: (a[0] * np.exp(-x), {"q": a[1] * x}),
                        lambda a: (a[0] * x ** 2, {"q": a[1] / (1 + x * x)}), p)
        return r[0] + r[1]["q"] ** 2

    return (ns.t.vmap(ns.t.grad(loss, argnums=(0, 1)), (0, None)),
            (_data(8, 6)[0], (1.2, -0.7)))


def remat_rnn(ns):
    """An RNN whose cell is ``checkpoint``-ed inside ``scan``: value and gradient, and a
    Hessian entry (``hessian`` through the rematerialised scan)."""
    np = ns.np

    def loss(w, u, xs):
        cell = ns.checkpoint(lambda h, x: np.tanh(h @ w + x @ u))

        def step(h, x):
            h = cell(h, x)
            return h, np.sum(h ** 2)
        h, ys = ns.lax.scan(step, np.zeros(w.shape[0]), xs)
        return np.sum(ys) + np.sum(h)

    def run(w, u, xs):
        return (ns.t.value_and_grad(loss, argnums=(0, 1))(w, u, xs),
                ns.t.hessian(lambda w: loss(w, u, xs))(w)[0, 0])

    w, u, xs = _data(9, (4, 4), (3, 4), (6, 3))
    return run, (0.4 * w, u, xs)


def hvp_through_control_flow(ns):
    """A Hessian-vector product by ``jvp`` of ``grad`` through a ``scan`` whose body takes
    a ``cond`` on the step index."""
    np = ns.np

    def f(x):
        def step(c, i):
            c = ns.lax.cond(i % 2 == 0, lambda c: np.sin(c) * x, lambda c: c * c + x, c)
            return c, c
        c, ys = ns.lax.scan(step, np.ones_like(x), np.arange(5))
        return np.sum(ys) + np.sum(c ** 2)

    x, v = _data(10, 3, 3)
    return lambda x, v: ns.t.jvp(ns.t.grad(f), (x,), (v,)), (0.3 * x, v)


def straight_through(ns):
    """Straight-through estimators: rounding whose gradient is the identity
    (``x + stop_gradient(round(x) - x)``), and a hard Gumbel-softmax sample
    (``one_hot(argmax) - stop_gradient(soft) + soft``)."""
    np = ns.np

    def quantised(w, x):
        z = x @ w
        q = z + ns.sg(np.round(z) - z)
        return np.sum((q - 1.3) ** 2) + np.sum(np.sign(w) * ns.sg(w) ** 2)

    def gumbel(logits, u, tau):
        y = ns.softmax((logits - np.log(-np.log(u))) / tau, axis=-1)
        hard = ns.one_hot(np.argmax(y, -1), y.shape[-1])
        return np.sum((hard - ns.sg(y) + y) * np.arange(y.shape[-1]) ** 2)

    def run(w, x, logits, u, tau):
        return (ns.t.grad(quantised)(w, x), ns.t.hessian(quantised)(w, x),
                ns.t.grad(gumbel, argnums=(0, 2))(logits, u, tau))

    w, x, logits = _data(11, 3, (5, 3), (4, 5))
    u = onp.random.default_rng(12).uniform(size=(4, 5))
    return run, (w, x, logits, u, 0.7)


def graph_network(ns):
    """Message passing on a graph: messages gathered by edge source, summed onto their
    destinations by ``.at[dst].add`` (``segment_sum``), mean-normalised by the degree; the
    gradient in the weights and in the node features."""
    np = ns.np

    def layer(w, h, src, dst):
        msg = np.tanh(h[src] @ w)
        agg = np.zeros_like(h).at[dst].add(msg)
        deg = np.zeros(h.shape[0]).at[dst].add(1.0)
        return h + agg / np.maximum(deg, 1.0)[:, None]

    def loss(ws, h, src, dst):
        for w in ws:
            h = layer(w, h, src, dst)
        return np.sum(np.max(h, axis=0) ** 2) + np.sum(h[src] * h[dst])

    w0, w1, h = _data(13, (3, 3), (3, 3), (5, 3))
    src, dst = onp.array([0, 1, 2, 3, 4, 0, 2]), onp.array([1, 2, 3, 4, 0, 2, 2])
    return ns.t.value_and_grad(loss, argnums=(0, 1)), ([0.5 * w0, 0.5 * w1], h, src, dst)


def linear_recurrence(ns):
    """A diagonal linear recurrence ``h_t = λ h_{t-1} + x_t`` (S4/LRU style) by
    ``associative_scan``, forwards and over the reversed input; gradients in ``λ`` and
    ``x``."""
    np = ns.np

    def combine(a, b):
        return b[0] * a[0], b[0] * a[1] + b[1]

    def f(lam, x):
        _, h = ns.lax.associative_scan(combine, (np.broadcast_to(lam, x.shape), x))
        return np.sum(np.sin(h))

    def run(lam, x):
        return (f(lam, x), ns.t.grad(f, argnums=(0, 1))(lam, x),
                ns.t.grad(lambda l, x: f(l, x[::-1]))(lam, x))

    lam = onp.random.default_rng(14).uniform(0.5, 0.99, size=3)
    return run, (lam, _data(15, (9, 3))[0])


def cnn(ns):
    """A small CNN: a ``SAME`` convolution (NHWC/HWIO), leaky ReLU, a 2x2 max-pool and a
    ``SAME`` average-pool by ``reduce_window``; then a strided, dilated, grouped NCHW
    convolution and a transposed convolution; gradients in kernels and inputs."""
    np, lax = ns.np, ns.lax
    nhwc = ("NHWC", "HWIO", "NHWC")

    def net(k, b, x):
        y = lax.conv_general_dilated(x, k, (1, 1), "SAME", dimension_numbers=nhwc)
        y = np.maximum(y + b, 0.0) + 0.01 * y
        y = lax.reduce_window(y, -np.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        y = lax.reduce_window(y, 0.0, lax.add, (1, 2, 2, 1), (1, 1, 1, 1), "SAME") / 4
        return np.sum(np.tanh(y) ** 2)

    def grouped(k, x):
        y = lax.conv_general_dilated(x, k, (2, 1), ((1, 1), (2, 0)), rhs_dilation=(1, 2),
                                     feature_group_count=2)
        return np.sum(np.sin(y))

    def transposed(k, x):
        return np.sum(lax.conv_transpose(x, k, (2, 2), "SAME", dimension_numbers=nhwc) ** 2)

    def run(k, b, x, kg, xg, kt, xt):
        return (ns.t.value_and_grad(net, argnums=(0, 1, 2))(k, b, x),
                ns.t.value_and_grad(grouped, argnums=(0, 1))(kg, xg),
                ns.t.value_and_grad(transposed, argnums=(0, 1))(kt, xt))

    k, b, x, kg, xg, kt, xt = _data(16, (3, 3, 2, 4), 4, (2, 6, 6, 2), (4, 1, 3, 2),
                                    (2, 2, 7, 6), (3, 3, 2, 3), (1, 4, 4, 2))
    return run, (0.3 * k, 0.1 * b, x, 0.3 * kg, xg, 0.3 * kt, xt)


def ranking(ns):
    """Losses on sorted values: ``top_k``, ``sort`` with a strided slice, and
    ``take_along_axis`` of ``argsort``; their gradients route to the chosen entries."""
    np = ns.np

    def f(x):
        v, _ = ns.lax.top_k(x, 3)
        s = np.sort(x, axis=-1)
        low = np.take_along_axis(x, np.argsort(x, -1)[..., :2], -1)
        return np.sum(v * np.arange(3)) + np.sum(s[..., ::2] ** 2) + np.sum(low)

    return ns.t.value_and_grad(f), (_data(17, (3, 6))[0],)


def ring_buffer(ns):
    """A ring buffer in a ``scan`` carry, written by ``dynamic_update_slice`` and read by
    ``dynamic_slice`` at positions computed from an integer counter in the carry."""
    np, lax = ns.np, ns.lax

    def f(xs, w):
        def step(c, x):
            buf, i = c
            buf = lax.dynamic_update_slice(buf, x[None] * w, (i % 4, 0))
            y = np.sum(lax.dynamic_slice(buf, ((i + 1) % 4, 0), (2, 2)) ** 2)
            return (buf, i + 1), y
        (buf, _), ys = lax.scan(step, (np.zeros((4, 2)), 0), xs)
        return np.sum(ys) + np.sum(buf * w)

    return ns.t.value_and_grad(f, argnums=(0, 1)), tuple(_data(18, (7, 2), 2))


def crf(ns):
    """A linear-chain CRF: the log partition function by the forward algorithm (``scan`` of
    ``logsumexp``), its gradient (the marginals), Viterbi decoding (``max``/``argmax`` in
    ``scan``), and ``vmap`` over sequences."""
    np = ns.np

    def log_z(trans, emit):
        def step(alpha, e):
            a = ns.special.logsumexp(alpha[:, None] + trans, axis=0) + e
            return a, None
        a, _ = ns.lax.scan(step, emit[0], emit[1:])
        return ns.special.logsumexp(a)

    def viterbi(trans, emit):
        def step(d, e):
            s = d[:, None] + trans
            return np.max(s, 0) + e, np.argmax(s, 0)
        d, back = ns.lax.scan(step, emit[0], emit[1:])
        return np.max(d), back

    def run(trans, emit):
        return (ns.t.value_and_grad(log_z, argnums=(0, 1))(trans, emit), viterbi(trans, emit),
                ns.t.vmap(log_z, (None, 0))(trans, np.stack([emit, 2 * emit])))

    return run, tuple(_data(19, (3, 3), (6, 3)))


def deep_equilibrium(ns):
    """A deep-equilibrium layer ``z = tanh(W z + U x)``: wire solves it by
    ``wire.fixed_point`` (implicit differentiation), the oracle by 300 unrolled iterations
    in JAX; ``vmap`` over inputs, the loss's gradient and a Hessian entry."""
    np = ns.np

    def layer(w, u, x):
        f = lambda z, w, u, x: np.tanh(w @ z + u @ x)  # noqa: E731
        return ns.fixed_point(f, np.zeros(w.shape[0]), w, u, x)

    def loss(w, u, xs):
        return np.sum(ns.t.vmap(layer, (None, None, 0))(w, u, xs) ** 2)

    def run(w, u, xs):
        return (ns.t.value_and_grad(loss, argnums=(0, 1))(w, u, xs),
                ns.t.hessian(lambda u: loss(w, u, xs))(u)[0, 0])

    w, u, xs = _data(20, (4, 4), (4, 3), (5, 3))
    return run, (0.25 * w, u, xs)


def fixed_point_tutorial(ns):
    """JAX's custom-derivative tutorial ``fixed_point``: a ``custom_vjp`` whose first
    argument, the iterated function, is in ``nondiff_argnums``, solved by ``while_loop``,
    its backward pass another fixed point of ``vjp``; Newton's square root, its derivative,
    ``vmap`` of it and the second derivative."""
    np = ns.np

    @functools.partial(ns.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, x_guess):
        def cond_fun(carry):
            x_prev, x = carry
            return np.abs(x_prev - x) > 1e-12

        def body_fun(carry):
            _, x = carry
            return x, f(a, x)
        _, x_star = ns.lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
        return x_star

    def fixed_point_fwd(f, a, x_init):
        x_star = fixed_point(f, a, x_init)
        return x_star, (a, x_star)

    def rev_iter(f, packed, u):
        a, x_star, x_star_bar = packed
        _, vjp_x = ns.t.vjp(lambda x: f(a, x), x_star)
        return x_star_bar + vjp_x(u)[0]

    def fixed_point_rev(f, res, x_star_bar):
        a, x_star = res
        _, vjp_a = ns.t.vjp(lambda a: f(a, x_star), a)
        a_bar, = vjp_a(fixed_point(functools.partial(rev_iter, f), (a, x_star, x_star_bar),
                                   x_star_bar))
        return a_bar, np.zeros_like(x_star)

    fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)

    def newton_sqrt(a):
        return fixed_point(lambda a, x: 0.5 * (x + a / x), a, a)

    def run(a, many):
        return (newton_sqrt(a), ns.t.grad(newton_sqrt)(a), ns.t.vmap(ns.t.grad(newton_sqrt))(many),
                ns.t.grad(ns.t.grad(newton_sqrt))(a))

    return run, (2.0, onp.array([1.0, 4.0, 9.0]))


def neural_ode(ns):
    """A neural ODE by ``odeint`` (adjoint gradients) in the weights and the initial
    state; and ``vmap`` over initial states of the gradient in ``y0``, the times and a
    parameter."""
    np = ns.np

    def dyn(y, t, w1, w2):
        return np.tanh(y @ w1) @ w2 - 0.1 * y * t

    def loss(w1, w2, y0, ts):
        ys = ns.odeint(dyn, y0, ts, w1, w2, rtol=1e-10, atol=1e-10)
        return np.sum(ys[-1] ** 2) + np.sum(ys[1] * ys[2])

    def decay(y0, ts, a):
        return np.sum(ns.odeint(lambda y, t, a: -a * y + np.sin(t), y0, ts, a,
                                rtol=1e-10, atol=1e-10) ** 2)

    def run(w1, w2, y0, ts, y0s, ts2):
        return (ns.t.value_and_grad(loss, argnums=(0, 1, 2))(w1, w2, y0, ts),
                ns.t.vmap(ns.t.grad(decay, argnums=(0, 1, 2)), (0, None, None))(y0s, ts2, 0.8))

    w1, w2 = _data(21, (2, 5), (5, 2), scale=0.5)
    return run, (w1, w2, onp.array([1.0, -0.5]), onp.linspace(0, 1.5, 4),
                 onp.array([1.0, 2.0, -1.0]), onp.array([0.0, 0.3, 1.0]))


PROGRAMS = {
    "maml": maml, "maml_hessian": maml_hessian, "realnvp": realnvp, "vae": vae,
    "pinn_hessian": functools.partial(pinn, how="hessian"),
    "pinn_jacfwd_jacrev": functools.partial(pinn, how="jacfwd(jacrev)"),
    "render": render, "shooting": shooting, "soft_dtw": soft_dtw,
    "nondiff_custom_vjp": nondiff_custom_vjp, "switch_pytrees": switch_pytrees,
    "cond_pytrees": cond_pytrees, "remat_rnn": remat_rnn,
    "hvp_through_control_flow": hvp_through_control_flow, "straight_through": straight_through,
    "graph_network": graph_network, "linear_recurrence": linear_recurrence, "cnn": cnn,
    "ranking": ranking, "ring_buffer": ring_buffer, "crf": crf,
    "deep_equilibrium": deep_equilibrium, "fixed_point_tutorial": fixed_point_tutorial,
    "neural_ode": neural_ode,
}
# programs whose oracle solves to a tolerance (their own, JAX's adaptive ODE solver)
RTOL = {"neural_ode": 1e-7, "deep_equilibrium": 1e-9}

# the oracle values: the same programs under JAX 0.10 with jax_enable_x64 (see the docstring;
# JAX solves the deep-equilibrium layer by 300 unrolled iterations, and its own odeint)
ORACLE = {
    'maml': -0.14508021737921473,
    'maml_hessian': 0.7941401207204866,
    'realnvp': -5.877370181889352,
    'vae': 0.601695967517085,
    'pinn_hessian': -0.757219418426052,
    'pinn_jacfwd_jacrev': -0.757219418426052,
    'render': -3.052449657440838,
    'shooting': -2.5462117750959004,
    'soft_dtw': 5.6959554824422005,
    'nondiff_custom_vjp': -8.405330268132515,
    'switch_pytrees': -4.340542995813497,
    'cond_pytrees': 3.2929746447058426,
    'remat_rnn': 2.80458696644439,
    'hvp_through_control_flow': 2.0081047918822943,
    'straight_through': 3.2645085167347667,
    'graph_network': -46.106561928044684,
    'linear_recurrence': -1.0928060620421265,
    'cnn': -2.570629600482718,
    'ranking': -4.76455424866573,
    'ring_buffer': -23.23494125300468,
    'crf': -2.4185006786469856,
    'deep_equilibrium': -1.4261392205336247,
    'fixed_point_tutorial': 0.3563005977684074,
    'neural_ode': 26.410774614418884,
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_jax(name):
    fn, args = PROGRAMS[name](W)
    rtol = RTOL.get(name, 1e-10)
    for f in both(fn):
        close(summary(f(*args)), ORACLE[name], rtol=rtol)


# ------------------------------------------------------------------- autograd's examples


def fluid_objective(np):
    """autograd's ``fluidsim`` example, shortened (8 x 8 grid, 4 steps): semi-Lagrangian
    advection by bilinear interpolation at ``floor``-ed, ``mod``-wrapped integer indices, a
    Jacobi pressure projection by ``roll``, and ``vx -= …`` updates; the objective matches
    the smoke to a target."""

    def project(vx, vy):
        p = np.zeros(vx.shape)
        h = 1.0 / vx.shape[0]
        div = -0.5 * h * (np.roll(vx, -1, axis=0) - np.roll(vx, 1, axis=0)
                          + np.roll(vy, -1, axis=1) - np.roll(vy, 1, axis=1))
        for _ in range(10):
            p = (div + np.roll(p, 1, axis=0) + np.roll(p, -1, axis=0)
                 + np.roll(p, 1, axis=1) + np.roll(p, -1, axis=1)) / 4.0
        vx -= 0.5 * (np.roll(p, -1, axis=0) - np.roll(p, 1, axis=0)) / h
        vy -= 0.5 * (np.roll(p, -1, axis=1) - np.roll(p, 1, axis=1)) / h
        return vx, vy

    def advect(f, vx, vy):
        rows, cols = f.shape
        cell_ys, cell_xs = np.meshgrid(np.arange(rows), np.arange(cols))
        center_xs = (cell_xs - vx).ravel()
        center_ys = (cell_ys - vy).ravel()
        left_ix = np.floor(center_xs).astype(int)
        top_ix = np.floor(center_ys).astype(int)
        rw = center_xs - left_ix
        bw = center_ys - top_ix
        left_ix = np.mod(left_ix, rows)
        right_ix = np.mod(left_ix + 1, rows)
        top_ix = np.mod(top_ix, cols)
        bot_ix = np.mod(top_ix + 1, cols)
        flat_f = ((1 - rw) * ((1 - bw) * f[left_ix, top_ix] + bw * f[left_ix, bot_ix])
                  + rw * ((1 - bw) * f[right_ix, top_ix] + bw * f[right_ix, bot_ix]))
        return np.reshape(flat_f, (rows, cols))

    def objective(v, smoke, target):
        n = smoke.shape[0]
        vx, vy = np.reshape(v[:n * n], (n, n)), np.reshape(v[n * n:], (n, n))
        for _ in range(4):
            vx, vy = project(advect(vx, vx, vy), advect(vy, vx, vy))
            smoke = advect(smoke, vx, vy)
        return np.mean((smoke - target) ** 2)

    return objective


def hmm_em(np, value_and_grad, logsumexp):
    """autograd's ``hmm_em`` example: the E step is the gradient of the log partition
    function (forward algorithm over a list of sequences, ``isinstance`` on the data,
    ``log_B[:, y]`` at each integer observation), the M step normalises; six EM steps from
    parameters with a zero emission probability (``log 0 = -inf``)."""

    def normalize(a):
        return a / np.where(a.sum(-1, keepdims=True) > 0.0, a.sum(-1, keepdims=True), 1.0)

    def log_partition_function(natural_params, data):
        if isinstance(data, list):
            return sum(log_partition_function(natural_params, d) for d in data)
        log_pi, log_a, log_b = natural_params
        log_alpha = log_pi
        for y in data:
            log_alpha = logsumexp(log_alpha[:, None] + log_a, axis=0) + log_b[:, y]
        return logsumexp(log_alpha)

    def em(params, data):
        lls = []
        for _ in range(6):
            ll, stats = value_and_grad(log_partition_function)([np.log(p) for p in params], data)
            params = [normalize(s) for s in stats]
            lls.append(ll)
        return params, lls

    return em


def _hmm_data():
    rng = onp.random.default_rng(0)
    pi = rng.uniform(size=3)
    a = rng.uniform(size=(3, 3))
    b = rng.uniform(size=(3, 4))
    b[0, 1] = 0.0
    params = [pi / pi.sum(), a / a.sum(1, keepdims=True), b / b.sum(1, keepdims=True)]
    return params, [rng.integers(0, 4, size=8) for _ in range(3)]


def adaptive_rk(np):
    """An adaptive RK4 integrator written with Python ``while``, ``if``, ``continue`` and
    ``min`` on the values (autograd style): a step is halved while its error estimate is
    too large, grown when small."""

    def f(y, k):
        return -k * y + np.sin(y)

    def solve(k, y0):
        t, y, h, n = 0.0, y0, 0.1, 0
        while t < 1.0 and n < 200:
            h = min(h, 1.0 - t)
            k1 = f(y, k)
            k2 = f(y + h * k1 / 2, k)
            k3 = f(y + h * k2 / 2, k)
            k4 = f(y + h * k3, k)
            y_new = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
            err = np.abs(y_new - (y + h * k1))
            if err > 1e-3:
                h = h / 2
                continue
            t, y, n = t + h, y_new, n + 1
            if err < 1e-4:
                h = h * 1.5
        return y

    return solve


# autograd 1.9's results for the same programs
AUTOGRAD = {
    "fluid": (0.11820388209510667, -0.053604358159798554),
    "hmm_em": ([-35.73795615106615, -28.095231539350113, -27.39629519197384,
                -26.80132314199074, -26.388557497007657, -26.095214157968243],
               -0.9959437344287768),
    "adaptive_rk": (-1.0300321479936803, 0.6238518074279374,
                    [-1.0300321479936803, -0.38021498742149673, -0.021222871047582557]),
}


def test_fluid_simulation_gradient_matches_autograd():
    rng = onp.random.default_rng(5)
    v0 = 0.7 * rng.normal(size=128)
    smoke, target = rng.uniform(size=(8, 8)), rng.uniform(size=(8, 8))
    objective = fluid_objective(wnp)
    for fn in both(wire.value_and_grad(objective)):
        value, g = fn(v0, smoke, target)
        close(value, AUTOGRAD["fluid"][0], rtol=1e-13)
        close(summary(g), AUTOGRAD["fluid"][1], rtol=1e-11)


def test_hmm_em_by_gradients_matches_autograd():
    params, data = _hmm_data()
    new, lls = hmm_em(wnp, wire.value_and_grad, wire.scipy.special.logsumexp)(params, data)
    close([float(v) for v in lls], AUTOGRAD["hmm_em"][0], rtol=1e-13)
    close(summary(new), AUTOGRAD["hmm_em"][1], rtol=1e-12)
    assert onp.all(onp.diff([float(v) for v in lls]) > 0)  # EM never decreases the likelihood


def test_adaptive_python_integrator_derivatives_match_autograd():
    solve = adaptive_rk(wnp)
    close([wire.grad(solve)(0.7, 1.2), wire.hessian(solve)(0.7, 1.2)],
          AUTOGRAD["adaptive_rk"][:2], rtol=1e-12)
    close(wire.grad(solve)(5.0, 1.2), AUTOGRAD["adaptive_rk"][2][2], rtol=1e-12)


def test_vmap_of_a_python_loop_deciding_per_example_derives_each_batched_operation_once():
    """``vmap`` of Python control flow on the values (bisection to a tolerance, a different
    number of steps per example): each ``if``/``while`` computes the batched values it needs
    node by node, and the same operation at the same shapes recurs at every step, so its
    batched graph is derived once (memoized) rather than at each step: 2.3x faster on the
    adaptive integrator above over three examples. The results are the per-example loops'."""
    from wire.api.concrete import _batched_node

    def root(a):
        lo, hi = 0.0, 2.0 + a
        while hi - lo > 1e-10:
            mid = (lo + hi) / 2
            if mid ** 3 + mid - a > 0:
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2

    a = onp.array([0.5, 3.0, 10.0])
    hits, misses, _ = _batched_node.cache_info()
    got = wire.vmap(root)(a)
    close(got, [root(float(v)) for v in a], rtol=0, atol=1e-15)
    close(got ** 3 + got, a, rtol=1e-9)
    new_hits, new_misses, _ = _batched_node.cache_info()
    assert new_hits - hits > 10 * (new_misses - misses)


# ------------------------------------------------------------------- names ported from JAX


@pytest.mark.parametrize("name, says", [
    ("tree_map", "wire.tree.map"), ("tree_leaves", "wire.tree.leaves"),
    ("tree_structure", "wire.tree.structure"),
    ("register_pytree_node", "wire.tree.register(cls, flatten, unflatten)"),
    ("register_pytree_node_class", "wire.tree.register_class"),
    ("register_dataclass", "data_fields="), ("PyTreeDef", "wire.tree.TreeDef"),
])
def test_jax_tree_util_names_say_what_to_write(name, says):
    """A port of ``jax.tree_util.tree_map`` to ``wire.tree.tree_map`` (an AttributeError
    naming nothing before) says which name wire uses; ``hasattr`` stays False."""
    with pytest.raises(wire.MissingNameError, match="jax.tree_util's name") as e:
        getattr(wire.tree, name)
    assert says in str(e.value)
    assert not hasattr(wire.tree, name)
    with pytest.raises(AttributeError, match="no attribute 'tree_nothing'"):
        wire.tree.tree_nothing  # noqa: B018


@pytest.mark.parametrize("name", ["psum", "pmean", "axis_index", "all_gather"])
def test_jax_collectives_say_what_to_write(name):
    """``lax.psum(x, 'batch')`` inside ``vmap(..., axis_name='batch')``: wire has no
    collectives; the error says so and how to write the reduction instead."""
    with pytest.raises(wire.MissingNameError, match="no collective operations"):
        getattr(wire.lax, name)
    assert not hasattr(wire.lax, name)
    # the rewrite the message suggests: the batch mean outside the mapped function
    xs = onp.arange(6.0).reshape(3, 2)
    close(wire.vmap(lambda x: x, axis_name="i")(xs) - wnp.mean(xs, axis=0),
          xs - xs.mean(0))
