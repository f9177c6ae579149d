"""Programs in the style of JAX's and autograd's tutorials, run on wire and on JAX (float64)
or autograd with only the namespace changed, compared to tight tolerances.

Each program is written once against a namespace ``ns``: ``t`` (``jax`` / ``wire``), ``np``
(``jax.numpy`` / ``wire.numpy``), ``lax`` (``scan``, ``fori_loop``, ``while_loop``, ``cond``),
``linalg`` and ``tree`` (``map``, ``leaves``). Inputs are NumPy arrays, so both runs see the
same data. wire runs each program as written and under ``wire.jit``; JAX runs it jitted (its
eager mode dispatches one primitive at a time). The programs: logistic regression trained by
gradient descent; an MLP trained with a functional update of a parameter pytree; per-example
gradients (``vmap(grad)``); Hessian-vector products three ways; ``jacfwd`` against ``jacrev``;
the custom-rule tutorial (``log1pexp``, ``clip_gradient``, a ``custom_vjp`` with residuals,
keyword arguments and defaults); ``has_aux`` on every transform that has it; ``value_and_grad``
over dicts, tuples and namedtuples; ``scan``/``fori_loop``/``while_loop``/``cond``; an RNN and an
LSTM; Newton's method; a leapfrog integrator; a Gaussian-process log-likelihood by Cholesky;
classes registered as pytrees; ``static_argnums``/``static_argnames``; ``round``;
``checkpoint``; and autograd's ``tanh`` derivatives tutorial.
"""

from __future__ import annotations

import dataclasses
import functools
from types import SimpleNamespace
from typing import NamedTuple

import numpy as onp
import pytest

from oracles import assert_trees_close

import wire
import wire.numpy as wnp
import wire.scipy.linalg as wla

jax = pytest.importorskip("jax")
import jax.numpy as jjnp  # noqa: E402
import jax.scipy.linalg as jla  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def x64():
    """JAX in float64 for this module (and back as it was after it)."""
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", old)


WIRE = SimpleNamespace(
    t=wire, np=wnp, linalg=wla, name="wire",
    lax=SimpleNamespace(scan=wire.scan, fori_loop=wire.fori_loop, while_loop=wire.while_loop,
                        cond=wire.cond),
    tree=SimpleNamespace(map=wire.tree.map, leaves=wire.tree.leaves))
JAX = SimpleNamespace(
    t=jax, np=jjnp, linalg=jla, name="jax", lax=jax.lax,
    tree=SimpleNamespace(map=jax.tree_util.tree_map, leaves=jax.tree_util.tree_leaves))


def same(got, want, rtol=1e-11, atol=1e-13):
    """Equal pytrees (structure, shapes, dtype kinds), values to ``rtol``/``atol``."""
    assert_trees_close(got, want, rtol, atol, same_dtype=False)


def agree(program, *args, jit=True, rtol=1e-11, atol=1e-13, static_argnums=()):
    """``program(ns)`` is a function; run it on wire (as written and jitted) and on JAX
    (jitted), at ``args``, and compare. Returns wire's result."""
    ours = program(WIRE)(*args)
    theirs = jax.jit(program(JAX), static_argnums=static_argnums)(*args)
    same(ours, theirs, rtol, atol)
    if jit:
        same(wire.jit(program(WIRE), static_argnums=static_argnums)(*args), theirs, rtol, atol)
    return ours


rng = onp.random.default_rng(1234)


# --------------------------------------------------------------------------- training loops


def logistic_regression(ns):
    """JAX's quickstart: logistic regression, trained by gradient descent for a few steps."""
    np, t = ns.np, ns.t

    def predict(w, b, x):
        return 0.5 * (np.tanh((x @ w + b) / 2) + 1)

    def loss(w, b, x, y):
        p = predict(w, b, x)
        return -np.mean(np.log(np.where(y, p, 1 - p)))

    def train(w, b, x, y):
        for _ in range(5):
            gw, gb = t.grad(loss, (0, 1))(w, b, x, y)
            w, b = w - 0.5 * gw, b - 0.5 * gb
        return w, b, loss(w, b, x, y)

    return train


def test_logistic_regression():
    x = rng.normal(size=(8, 3))
    y = rng.random(8) > 0.5
    w, b, final = agree(logistic_regression, rng.normal(size=3), 0.1, x, y)
    assert final < logistic_regression(WIRE)(onp.zeros(3), 0.0, x, y)[2] + 1.0


def mlp(ns):
    """An MLP trained a few steps with a functional update over a list of (W, b) pairs."""
    np, t = ns.np, ns.t

    def forward(params, x):
        for w, b in params[:-1]:
            x = np.tanh(x @ w + b)
        w, b = params[-1]
        return x @ w + b

    def loss(params, x, y):
        return np.mean((forward(params, x) - y) ** 2)

    def step(params, x, y):
        value, grads = t.value_and_grad(loss)(params, x, y)
        return ns.tree.map(lambda p, g: p - 0.1 * g, params, grads), value

    def train(params, x, y):
        losses = []
        for _ in range(3):
            params, value = step(params, x, y)
            losses.append(value)
        return params, np.stack(losses)

    return train


def test_jit_takes_donate_argnums():
    step = functools.partial(wire.jit, donate_argnums=0)(lambda p, x: p - 0.1 * wire.grad(
        lambda p: wnp.sum(wnp.tanh(x @ p) ** 2))(p))
    p, x = rng.normal(size=3), rng.normal(size=(4, 3))
    want = jax.jit(lambda p, x: p - 0.1 * jax.grad(lambda p: jjnp.sum(jjnp.tanh(x @ p) ** 2))(
        p))(p, x)
    kept = p.copy()
    same(step(p, x), want)
    onp.testing.assert_array_equal(p, kept)  # the donated argument is left as it was
    same(wire.jit(lambda p: p * 2, donate_argnames="p")(p), p * 2)
    with pytest.raises(wire.WireTypeError, match="donate"):
        wire.jit(lambda p: p, donate_argnums="p")


def test_mlp_training_steps():
    sizes = [3, 5, 4, 1]
    params = [(rng.normal(size=(m, n)) / onp.sqrt(m), rng.normal(size=n) * 0.1)
              for m, n in zip(sizes[:-1], sizes[1:])]
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 1))
    _, losses = agree(mlp, params, x, y)
    assert losses[-1] < losses[0]


def per_example_grads(ns):
    """JAX's per-example gradients: vmap of grad over the batch, the parameters shared."""
    np, t = ns.np, ns.t

    def loss(w, x, y):
        return (np.dot(x, w) - y) ** 2 + 0.1 * np.sum(np.sin(w) ** 2)

    return t.vmap(t.grad(loss), in_axes=(None, 0, 0))


def test_per_example_gradients():
    w, x, y = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)
    g = agree(per_example_grads, w, x, y)
    assert g.shape == (5, 3)
    # their mean is the gradient of the mean loss
    mean_g = wire.grad(lambda w: wnp.mean(
        (x @ w - y) ** 2 + 0.1 * wnp.sum(wnp.sin(w) ** 2)))(w)
    onp.testing.assert_allclose(g.mean(0), mean_g, rtol=1e-12)


# --------------------------------------------------------------------------- second order


def _f2(ns):
    np = ns.np
    return lambda x: np.sum(np.sin(x) * x ** 2) + np.prod(np.cos(x[:2]))


def hvps(ns):
    """JAX's autodiff cookbook: forward-over-reverse, reverse-over-forward, and the Hessian."""
    t, np, f = ns.t, ns.np, _f2(ns)

    def fwd_rev(x, v):
        return t.jvp(t.grad(f), (x,), (v,))[1]

    def rev_fwd(x, v):
        return t.grad(lambda x: t.jvp(f, (x,), (v,))[1])(x)

    def run(x, v):
        return fwd_rev(x, v), rev_fwd(x, v), t.hessian(f)(x) @ v

    return run


def test_hessian_vector_products():
    x, v = rng.normal(size=4), rng.normal(size=4)
    a, b, c = agree(hvps, x, v)
    same(a, b)
    same(a, c)
    same(wire.hvp(_f2(WIRE))(x, v), a)


def jacobians(ns):
    """jacfwd and jacrev of a function R^3 -> R^4, and of a pytree to a pytree."""
    t, np = ns.t, ns.np

    def f(x):
        return np.stack([x[0] * x[1], np.sin(x[2]), np.exp(x[0] - x[2]), np.sum(x ** 3)])

    def g(p):
        return {"u": p[0] * np.sum(p[1]), "v": np.tanh(p[1])}

    def run(x, p):
        return t.jacfwd(f)(x), t.jacrev(f)(x), t.jacfwd(g)(p), t.jacrev(g)(p)

    return run


def test_jacfwd_jacrev():
    x, p = rng.normal(size=3), (rng.normal(), rng.normal(size=2))
    f1, r1, f2, r2 = agree(jacobians, x, p)
    same(f1, r1)
    same(f2, r2)


# --------------------------------------------------------------------------- custom rules


def custom_rules(ns):
    """JAX's custom derivative tutorial: a safe log1pexp (custom_jvp), clip_gradient and a
    rule with residuals (custom_vjp)."""
    t, np = ns.t, ns.np

    @t.custom_jvp
    def log1pexp(x):
        return np.log(1.0 + np.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        return log1pexp(x), (1 - 1 / (1 + np.exp(x))) * x_dot

    @functools.partial(t.custom_vjp, nondiff_argnums=(0, 1))
    def clip_gradient(lo, hi, x):
        return x

    clip_gradient.defvjp(lambda lo, hi, x: (x, None),
                         lambda lo, hi, _, g: (np.clip(g, lo, hi),))

    @t.custom_vjp
    def f(x, y):
        return np.sin(x) * y

    f.defvjp(lambda x, y: (np.sin(x) * y, (np.cos(x), np.sin(x), y)),
             lambda res, g: (res[0] * g * res[2], res[1] * g))

    def run(x, y):
        g1 = t.vmap(t.grad(log1pexp))(x)
        g2 = t.grad(lambda x: np.sum(clip_gradient(-0.75, 0.75, 3.0 * np.sin(x))))(x)
        g3 = t.grad(lambda x, y: np.sum(f(x, y) ** 2), (0, 1))(x, y)
        h = t.grad(t.grad(lambda s: f(s, 2.0)))(x[0])
        return log1pexp(x), g1, g2, g3, h

    return run


def test_custom_rules_tutorial():
    x = onp.array([-3.0, 0.5, 10.0, 100.0])
    out, g1, *_ = agree(custom_rules, x, rng.normal(size=4))
    onp.testing.assert_allclose(g1[-1], 1.0)  # not the NaN of exp(100) / (1 + exp(100))
    assert onp.isfinite(out).all()


def custom_keywords(ns):
    """Custom functions called with keyword arguments and with defaults left out."""
    t, np = ns.t, ns.np

    @t.custom_jvp
    def scaled(x, scale=2.0):
        return x * scale

    @scaled.defjvp
    def scaled_jvp(primals, tangents):
        (x, s), (tx, ts) = primals, tangents
        return x * s, tx * s + x * ts

    @t.custom_vjp
    def shifted(x, shift=1.0, power=2.0):
        return (x + shift) ** power

    def shifted_bwd(r, g):
        d = g * r[2] * (r[0] + r[1]) ** (r[2] - 1)
        return d, np.sum(d) if np.ndim(r[1]) == 0 else d, None

    shifted.defvjp(lambda x, shift, power: ((x + shift) ** power, (x, shift, power)),
                   shifted_bwd)

    def run(x):
        return (scaled(x), scaled(x, scale=3.0), t.grad(scaled)(x[0]),
                t.grad(lambda x: scaled(x, scale=x))(x[0]),
                t.grad(lambda x: np.sum(shifted(x)))(x),
                t.grad(lambda x: np.sum(shifted(x, power=3.0, shift=x)))(x))

    return run


def test_custom_rules_with_keyword_arguments():
    agree(custom_keywords, onp.array([0.5, 1.5]))


# --------------------------------------------------------------------------- has_aux, pytrees


def aux_everywhere(ns):
    """has_aux on grad, value_and_grad, vjp, jvp, linearize, jacfwd, jacrev and hessian."""
    t, np = ns.t, ns.np

    def f(x):
        y = np.sum(np.sin(x) * x)
        return y, {"norm": np.sum(x ** 2), "first": x[0]}

    def vec(x):
        return np.tanh(x) * x[0], x * 2.0

    def run(x, v):
        g, aux1 = t.grad(f, has_aux=True)(x)
        (val, aux2), g2 = t.value_and_grad(f, has_aux=True)(x)
        y, pull, aux3 = t.vjp(vec, x, has_aux=True)
        y2, tan, aux4 = t.jvp(vec, (x,), (v,), has_aux=True)
        y3, lin, aux5 = t.linearize(vec, x, has_aux=True)
        jf, aux6 = t.jacfwd(vec, has_aux=True)(x)
        jr, aux7 = t.jacrev(vec, has_aux=True)(x)
        h, aux8 = t.hessian(f, has_aux=True)(x)
        return (g, aux1, val, aux2, g2, y, pull(v), aux3, y2, tan, aux4, y3, lin(v), aux5,
                jf, aux6, jr, aux7, h, aux8)

    return run


def test_has_aux_on_every_transform():
    x, v = rng.normal(size=3), rng.normal(size=3)
    out = agree(aux_everywhere, x, v)
    same(out[9], out[12])  # jvp's tangent is linearize's
    same(out[14], out[16])  # jacfwd is jacrev


class Params(NamedTuple):
    w: object
    b: object


def pytree_grads(ns):
    """value_and_grad over dicts of tuples of namedtuples, several argnums."""
    t, np = ns.t, ns.np

    def loss(params, extra, x):
        h = x
        for layer in params["layers"]:
            h = np.tanh(h @ layer.w + layer.b)
        return np.sum(h ** 2) * extra[0] + np.sum(params["scale"] * extra[1] ** 2)

    return t.value_and_grad(loss, argnums=(0, 1))


def test_value_and_grad_of_pytrees():
    params = {"layers": (Params(rng.normal(size=(3, 2)), rng.normal(size=2)),
                         Params(rng.normal(size=(2, 2)), rng.normal(size=2))),
              "scale": rng.normal(size=2)}
    extra = (1.5, rng.normal(size=2))
    (value, (g_params, g_extra)) = agree(pytree_grads, params, extra, rng.normal(size=(4, 3)))
    assert isinstance(g_params["layers"][1], Params)


def tree_program(ns, cls):
    t, np = ns.t, ns.np

    def loss(layers, x):
        for layer in layers:
            x = getattr(np, layer.activation)(x @ layer.w + layer.b)
        return np.sum(x)

    def run(layers, x):
        g = t.grad(loss)(layers, x)
        new = ns.tree.map(lambda p, d: p - 0.5 * d, layers, g)
        return loss(new, x), [l.w for l in new], len(ns.tree.leaves(g))

    def pairs(layers):
        return ns.tree.map(lambda l: (l.w.shape, l.activation), layers,
                           is_leaf=lambda n: isinstance(n, cls))

    return run, pairs


def test_registered_classes_and_is_leaf():
    layer_cls = type("Layer", (), {
        "__init__": lambda self, w, b, activation: self.__dict__.update(
            w=w, b=b, activation=activation)})
    wire.tree.register_class(layer_cls, data_fields=["w", "b"], meta_fields=["activation"])
    jax.tree_util.register_dataclass(layer_cls, data_fields=["w", "b"],
                                     meta_fields=["activation"])
    shapes = [(3, 4), (4, 2)]
    acts = ["tanh", "sin"]
    layers = [layer_cls(rng.normal(size=s), rng.normal(size=s[1]), a)
              for s, a in zip(shapes, acts)]
    x = rng.normal(size=(2, 3))
    (ours, ours_pairs), (theirs, theirs_pairs) = (tree_program(ns, layer_cls)
                                                  for ns in (WIRE, JAX))
    theirs = jax.jit(theirs)
    same(ours(layers, x), theirs(layers, x))
    assert ours_pairs(layers) == theirs_pairs(layers) == [((3, 4), "tanh"), ((4, 2), "sin")]
    # a static field is part of the jit key: a new activation traces again
    jitted = wire.jit(ours)
    a = jitted(layers, x)
    same(a, theirs(layers, x))
    layers[1] = layer_cls(layers[1].w, layers[1].b, "cos")
    b = jitted(layers, x)
    assert a[0] != b[0]
    same(b, theirs(layers, x))


def test_register_class_by_tree_flatten():
    @wire.tree.register_class
    @jax.tree_util.register_pytree_node_class
    class Scaled:
        def __init__(self, x, scale):
            self.x, self.scale = x, scale

        def tree_flatten(self):
            return (self.x,), self.scale

        @classmethod
        def tree_unflatten(cls, scale, children):
            return cls(children[0], scale)

    def f(ns):
        return ns.t.grad(lambda s: ns.np.sum(ns.np.sin(s.x)) * s.scale)

    s = Scaled(rng.normal(size=3), 2.5)
    ours, theirs = f(WIRE)(s), f(JAX)(s)
    assert type(ours) is Scaled and ours.scale == 2.5
    same(ours.x, theirs.x)
    same(wire.jit(f(WIRE))(s).x, theirs.x)
    # a dataclass by its fields, is_leaf on flatten

    @wire.tree.register_class
    @dataclasses.dataclass
    class Dense:
        w: object
        b: object
        activation: str = wire.tree.static(default="tanh")

    leaves, td = wire.tree.flatten([Dense(1.0, 2.0), (3.0, 4.0)],
                                   is_leaf=lambda n: isinstance(n, tuple))
    assert leaves == [1.0, 2.0, (3.0, 4.0)]
    assert wire.tree.unflatten(td, [5.0, 6.0, 7.0])[0] == Dense(5.0, 6.0)


# --------------------------------------------------------------------------- control flow


def loops(ns):
    """scan (a cumulative product and an Elman RNN), fori_loop, while_loop and cond,
    differentiated."""
    t, np, lax = ns.t, ns.np, ns.lax

    def rnn(params, xs):
        wx, wh, h0 = params

        def cell(h, x):
            h = np.tanh(x @ wx + h @ wh)
            return h, np.sum(h)

        h, ys = lax.scan(cell, h0, xs)
        return np.sum(h ** 2) + np.sum(ys)

    def power_loop(x):
        return lax.fori_loop(0, 4, lambda i, c: c * x + i, np.ones_like(x))

    def piecewise(x):
        return lax.cond(x > 0, lambda x: np.sin(x) * x, lambda x: np.cos(x), x)

    def run(params, xs, x):
        return (rnn(params, xs), t.grad(rnn)(params, xs), t.grad(lambda x: np.sum(
            power_loop(x)))(x), t.vmap(t.grad(piecewise))(x), t.vmap(piecewise)(x))

    return run


def test_scan_fori_cond():
    params = (rng.normal(size=(2, 3)) * 0.5, rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3))
    agree(loops, params, rng.normal(size=(5, 2)), onp.array([-1.0, 0.5, 2.0]))


def newton(ns):
    """Newton's method for x**3 - 2x - 5 = 0 with grad: a while_loop to convergence, a
    fori_loop of fixed steps, and the root's derivative in the constant by implicit
    differentiation (-df/dc / df/dx)."""
    t, np, lax = ns.t, ns.np, ns.lax

    def f(x, c):
        return x ** 3 - 2 * x - c

    def step(x, c):
        return x - f(x, c) / t.grad(f)(x, c)

    def solve_while(x0, c):
        def body(s):
            return s[0] + 1, step(s[1], c)

        return lax.while_loop(lambda s: (s[0] < 50) & (np.abs(f(s[1], c)) > 1e-14), body,
                              (0, x0))[1]

    def solve_fori(x0, c):
        return lax.fori_loop(0, 20, lambda i, x: step(x, c), x0)

    def run(x0, c):
        root = solve_while(x0, c)
        droot = -t.grad(f, 1)(root, c) / t.grad(f)(root, c)
        return root, solve_fori(x0, c), droot, t.grad(solve_fori, 1)(x0, c)

    return run


def test_newtons_method():
    root, root2, droot, droot2 = agree(newton, 2.0, 5.0)
    onp.testing.assert_allclose(root, 2.0945514815423265, rtol=1e-14)
    onp.testing.assert_allclose(droot2, droot, rtol=1e-10)


def lstm(ns):
    """An LSTM cell scanned over a sequence; loss and gradient in every parameter."""
    t, np, lax = ns.t, ns.np, ns.lax

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def cell(params, carry, x):
        h, c = carry
        z = np.concatenate([x, h]) @ params["w"] + params["b"]
        i, f, o, g = np.split(z, 4)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return (h, c), h

    def loss(params, xs, target):
        n = params["b"].shape[0] // 4
        (h, c), hs = lax.scan(functools.partial(cell, params), (np.zeros(n), np.zeros(n)), xs)
        return np.mean((hs @ params["out"] - target) ** 2)

    return t.value_and_grad(loss)


def test_lstm():
    n, d = 3, 2
    params = {"w": rng.normal(size=(n + d, 4 * n)) * 0.4, "b": rng.normal(size=4 * n) * 0.1,
              "out": rng.normal(size=n)}
    agree(lstm, params, rng.normal(size=(6, d)), rng.normal(size=6))


def leapfrog(ns):
    """A pendulum integrated by leapfrog in fori_loop: the final energy and its gradient in
    the initial state (forces from grad of the potential)."""
    t, np, lax = ns.t, ns.np, ns.lax

    def potential(q):
        return -np.cos(q) * 9.81

    force = t.grad(lambda q: -potential(q))

    def simulate(state, dt):
        def step(i, s):
            q, p = s
            p = p + 0.5 * dt * force(q)
            q = q + dt * p
            return q, p + 0.5 * dt * force(q)

        return lax.fori_loop(0, 30, step, state)

    def energy(state, dt):
        q, p = simulate(state, dt)
        return 0.5 * p ** 2 + potential(q)

    def run(state, dt):
        return simulate(state, dt), energy(state, dt), t.grad(energy)(state, dt)

    return run


def test_leapfrog_pendulum():
    (q, p), e, g = agree(leapfrog, (0.4, 0.0), 0.05)
    onp.testing.assert_allclose(e, -onp.cos(0.4) * 9.81, rtol=1e-3)  # energy kept


# --------------------------------------------------------------------------- linear algebra


def gp_loglik(ns):
    """The Gaussian-process log marginal likelihood by Cholesky, and its gradient in the
    log hyperparameters."""
    t, np, linalg = ns.t, ns.np, ns.linalg

    def loglik(log_params, x, y):
        amp, length, noise = np.exp(log_params)
        d = x[:, None] - x[None, :]
        k = amp * np.exp(-0.5 * (d / length) ** 2) + (noise + 1e-6) * np.eye(x.shape[0])
        chol = np.linalg.cholesky(k)
        alpha = linalg.cho_solve((chol, True), y)
        return (-0.5 * y @ alpha - np.sum(np.log(np.diag(chol)))
                - 0.5 * x.shape[0] * np.log(2 * np.pi))

    return t.value_and_grad(loglik)


def test_gaussian_process_likelihood():
    x = onp.sort(rng.uniform(-2, 2, size=7))
    y = onp.sin(x) + 0.1 * rng.normal(size=7)
    agree(gp_loglik, onp.array([0.1, -0.3, -2.0]), x, y, rtol=1e-10)


# --------------------------------------------------------------------------- statics, round


def static_programs(ns):
    t, np = ns.t, ns.np

    def layer(x, n, activation="tanh"):
        return np.sum(getattr(np, activation)(x) ** n)

    def run(x, v):
        a = t.jvp(layer, (x, 3), (v, 0), static_argnames="n")
        _, pull = t.vjp(lambda x, n: layer(x, n, "sin"), x, 2, static_argnums=1)
        y, lin = t.linearize(lambda x, n: layer(x, n), x, 2, static_argnames="n")
        g = t.grad(layer, static_argnames=("n", "activation"))(x, 2, activation="sin")
        return a, pull(1.0)[0], lin(v), g

    return run


def test_static_arguments():
    x, v = rng.normal(size=3), rng.normal(size=3)
    want = jax.jit(static_programs_jax_equivalent)(x, v)
    same(static_programs(WIRE)(x, v), want)
    same(wire.jit(static_programs(WIRE))(x, v), want)
    jitted = wire.jit(lambda x, v, act: wire.hvp(
        lambda x, n, activation: wnp.sum(getattr(wnp, activation)(x) ** n),
        static_argnames=("n", "activation"))(x, v, 3, activation=act), static_argnums=2)
    h = jax.jit(lambda x, v: jax.hessian(lambda x: jjnp.sum(jjnp.sin(x) ** 3))(x) @ v)(x, v)
    same(jitted(x, v, "sin"), h)
    remat = wire.checkpoint(lambda x, n, scale=1.0: wnp.sum(wnp.sin(x) ** n) * scale,
                            static_argnames="n")
    same(wire.grad(lambda x: remat(x, 3, scale=wnp.sum(x)))(x),
         jax.jit(jax.grad(lambda x: jjnp.sum(jjnp.sin(x) ** 3) * jjnp.sum(x)))(x))


def static_programs_jax_equivalent(x, v):
    """The same values as :func:`static_programs`, with the static values closed over."""
    np = jjnp

    def layer(x, n, activation="tanh"):
        return np.sum(getattr(np, activation)(x) ** n)

    a = jax.jvp(lambda x: layer(x, 3), (x,), (v,))
    _, pull = jax.vjp(lambda x: layer(x, 2, "sin"), x)
    y, lin = jax.linearize(lambda x: layer(x, 2), x)
    g = jax.grad(lambda x: layer(x, 2, activation="sin"))(x)
    return a, pull(1.0)[0], lin(v), g


def rounding(ns):
    t, np = ns.t, ns.np

    def run(x):
        rounded = t.vmap(lambda s: (round(s), round(s, 1), round(s * 7.3, 2)))(x)
        return rounded, t.grad(lambda x: np.sum(round(x, 1) * x))(x)

    return run


def test_python_round_of_traced_arrays():
    x = onp.array([0.5, 1.5, 2.5, -0.5, -1.25, 1.26, 3.0])
    out = agree(rounding, x)
    assert out[0][0].dtype.kind == "i"
    onp.testing.assert_array_equal(out[0][0], onp.round(x).astype(int))
    same(wire.jit(lambda s: (round(s), round(s, 1)))(1.65), jax.jit(lambda s: (round(s), round(
        s, 1)))(1.65))


def test_checkpoint_of_a_closed_over_argument():
    """A checkpointed block that closes over a value it is also passed: one cotangent."""

    def prog(ns):
        t, np = ns.t, ns.np

        def loss(x):
            block = t.checkpoint(lambda a: np.sin(a) * x)
            return np.sum(block(x) + t.checkpoint(lambda a, b: a * b)(x, x))

        return lambda x: (t.grad(loss)(x), t.grad(t.grad(lambda s: loss(s * np.ones(2))))(
            x[0]))

    agree(prog, onp.array([1.0, -0.4]))


# --------------------------------------------------------------------------- autograd


def test_autograd_tanh_tutorial():
    """autograd's README: tanh and its first four derivatives with elementwise_grad, and
    the gradient of a small neural network's loss."""
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")

    def tanh_ours(x):
        return (1.0 - wnp.exp(-2 * x)) / (1.0 + wnp.exp(-2 * x))

    def tanh_theirs(x):
        return (1.0 - anp.exp(-2 * x)) / (1.0 + anp.exp(-2 * x))

    x = onp.linspace(-7, 7, 41)
    fo, ft = tanh_ours, tanh_theirs
    for _ in range(4):
        fo, ft = wire.elementwise_grad(fo), autograd.elementwise_grad(ft)
        onp.testing.assert_allclose(fo(x), ft(x), rtol=1e-9, atol=1e-12)

    def net(np):
        def loss(params, x, y):
            h = np.tanh(x @ params[0])
            return np.sum((h @ params[1] - y) ** 2)
        return loss

    params = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    x, y = rng.normal(size=(5, 3)), rng.normal(size=5)
    ours = wire.grad(net(wnp))(params, x, y)
    theirs = autograd.grad(net(anp))(params, x, y)
    for a, b in zip(ours, theirs):
        onp.testing.assert_allclose(a, b, rtol=1e-12)
    ours_h = wire.hessian(lambda p: net(wnp)([p, params[1]], x, y))(params[0])
    theirs_h = autograd.hessian(lambda p: net(anp)([p, params[1]], x, y))(params[0])
    onp.testing.assert_allclose(ours_h, theirs_h, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- JAX's other names


def test_unroll_remat_tree_reduce_eval_shape():
    """Names tutorial code uses: scan/fori_loop's unroll, remat, tree_reduce/tree_all and
    eval_shape, against JAX's."""
    xs = rng.normal(size=5)

    def prog(ns):
        t, np, lax = ns.t, ns.np, ns.lax

        def run(xs):
            c, ys = lax.scan(lambda c, x: (c * 0.5 + x, c), 0.0, xs, unroll=2)
            f = lax.fori_loop(0, 3, lambda i, v: v * np.take(xs, i), 1.0, unroll=True)
            g = t.grad(t.remat(lambda x: np.sum(np.sin(x) ** 2)))(xs)
            return c, ys, f, g

        return run

    agree(prog, xs)
    tree_ = {"a": (xs, 2.0), "b": [onp.ones(2)]}
    assert wire.tree.reduce(lambda a, b: a + onp.sum(b), tree_, 0.0) == \
        jax.tree_util.tree_reduce(lambda a, b: a + onp.sum(b), tree_, 0.0)
    assert wire.tree.all([True, (onp.ones(2),)]) and not wire.tree.all([True, (0,)])
    # tree_map's other trees may be deeper: the first tree's structure is their prefix
    a, b = {"x": 1.0, "y": None, "z": [2.0, 3.0]}, {"x": (1, 2), "y": None, "z": [{"q": 1}, 4]}
    pair = (lambda u, v: (u, v))
    assert wire.tree.map(pair, a, b) == jax.tree_util.tree_map(pair, a, b)
    with pytest.raises(wire.WireError, match="differ"):
        wire.tree.map(pair, a, {"x": 1.0, "y": None, "z": [2.0]})
    with pytest.raises(wire.WireTypeError, match="unroll"):
        wire.scan(lambda c, x: (c, x), 0.0, xs, unroll=-1)
    # unroll=0 unrolls the whole loop in JAX: accepted, the same values
    assert wire.tree.all(wire.tree.map(
        lambda u, v: onp.array_equal(u, v), wire.scan(lambda c, x: (c + x, c), 0.0, xs, unroll=0),
        wire.scan(lambda c, x: (c + x, c), 0.0, xs)))

    def f(ns):
        return lambda p, x: {"y": ns.np.tanh(x @ p["w"]), "n": ns.np.sum(x > 0)}

    got = wire.eval_shape(f(WIRE), {"w": wire.ShapeDtypeStruct((3, 2), onp.float32)},
                          onp.ones((4, 3), onp.float32))
    want = jax.eval_shape(f(JAX), {"w": jax.ShapeDtypeStruct((3, 2), onp.float32)},
                          onp.ones((4, 3), onp.float32))
    assert {k: (v.shape, onp.dtype(v.dtype).kind) for k, v in got.items()} == \
        {k: (v.shape, onp.dtype(v.dtype).kind) for k, v in want.items()}
    assert got["y"].dtype == onp.float32


def test_new_options_refuse_bad_input():
    with pytest.raises(wire.WireError, match="pair"):
        wire.jvp(lambda x: x * 2, (1.0,), (1.0,), has_aux=True)
    with pytest.raises(wire.WireError, match="pair"):
        wire.linearize(lambda x: [x, x, x], 1.0, has_aux=True)

    @wire.custom_jvp
    def kw_only(x, *, s=1.0):
        return x * s

    kw_only.defjvp(lambda p, t: (p[0], t[0]))
    with pytest.raises(wire.WireTypeError, match="keyword-only"):
        wire.grad(lambda x: kw_only(x, s=2.0))(1.0)
    with pytest.raises(wire.WireTypeError, match="unexpected keyword"):
        wire.grad(lambda x: kw_only(x, t=2.0))(1.0)
    with pytest.raises(wire.WireTypeError, match="data_fields"):
        wire.tree.register_class(type("Bare", (), {}))
    with pytest.raises(wire.WireError, match="both"):
        wire.tree.register_class(type("Twice", (), {}), ["a"], ["a"])
    with pytest.raises(wire.WireTypeError, match="is_leaf"):
        wire.tree.leaves([1], is_leaf=3)
