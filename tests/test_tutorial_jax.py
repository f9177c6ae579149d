"""JAX's autodiff tutorials, run with only the imports changed, against JAX itself.

Each program below is a code cell (or a few) of JAX's "Automatic differentiation", "The
Autodiff Cookbook", "Advanced automatic differentiation" and "Custom derivative rules"
tutorials, written once against a namespace ``t`` (``jax`` / ``wire``), ``np`` (``jax.numpy``
/ ``wire.numpy``) and ``lax`` (``jax.lax`` / ``wire``: wire has ``stop_gradient`` and
``while_loop`` at the top level). The program runs with both, and every number must agree
(JAX in float64). Inputs are NumPy arrays, so the two runs see the same data. The sharp-bits
cells at the end check where wire (NumPy semantics on CPU) deliberately differs from JAX.
"""

from collections import namedtuple
from functools import partial
from types import SimpleNamespace

import numpy as onp
import pytest

from oracles import assert_trees_close

import wire
import wire.numpy as wnp

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jjnp  # noqa: E402

WIRE = SimpleNamespace(t=wire, np=wnp, lax=wire, name="wire")
JAX = SimpleNamespace(t=jax, np=jjnp, lax=jax.lax, name="jax")


assert_same = assert_trees_close


def agree(program, *args, **kw):
    """Run ``program(ns, *args)`` with wire and with JAX; their results must agree."""
    got = program(WIRE, *args)
    assert_same(got, program(JAX, *args), **kw)
    return got


# ---------------------------------------------------------------- the Autodiff Cookbook

INPUTS = onp.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15],
                    [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]])
TARGETS = onp.array([True, True, False, True])
W0 = onp.array([0.3, -1.2, 0.7])
B0 = onp.array(-0.4)


def logistic(ns):
    np = ns.np
    inputs, targets = np.array(INPUTS), np.array(TARGETS)

    def sigmoid(x):
        return 0.5 * (np.tanh(x / 2) + 1)

    def predict(W, b, inputs):
        return sigmoid(np.dot(inputs, W) + b)

    def loss(W, b):
        preds = predict(W, b, inputs)
        label_probs = preds * targets + (1 - preds) * (1 - targets)
        return -np.sum(np.log(label_probs))

    return predict, loss, inputs


def test_grad_of_tanh_to_third_order():
    def program(ns):
        t, np = ns.t, ns.np
        return (t.grad(np.tanh)(2.0), t.grad(t.grad(np.tanh))(2.0),
                t.grad(t.grad(t.grad(np.tanh)))(2.0))
    agree(program)


def test_logistic_regression_gradients():
    def program(ns):
        t, np = ns.t, ns.np
        _, loss, _ = logistic(ns)
        W, b = np.array(W0), np.array(B0)
        return (t.grad(loss, argnums=0)(W, b), t.grad(loss, 0)(W, b), t.grad(loss, 1)(W, b),
                t.grad(loss, (0, 1))(W, b), t.value_and_grad(loss, (0, 1))(W, b))
    agree(program)


def test_gradient_of_a_dict_of_parameters_and_has_aux():
    def program(ns):
        t, np = ns.t, ns.np
        predict, _, inputs = logistic(ns)
        targets = np.array(TARGETS)

        def loss2(params_dict):
            preds = predict(params_dict["W"], params_dict["b"], inputs)
            label_probs = preds * targets + (1 - preds) * (1 - targets)
            return -np.sum(np.log(label_probs))

        def loss_aux(W, b):
            preds = predict(W, b, inputs)
            return -np.sum(np.log(preds * targets + (1 - preds) * (1 - targets))), preds

        W, b = np.array(W0), np.array(B0)
        return (t.grad(loss2)({"W": W, "b": b}), t.grad(loss_aux, has_aux=True)(W, b),
                t.value_and_grad(loss_aux, (0, 1), has_aux=True)(W, b))
    agree(program)


def test_checking_against_finite_differences():
    def program(ns):
        t, np = ns.t, ns.np
        _, loss, _ = logistic(ns)
        W, b = np.array(W0), np.array(B0)
        eps = 1e-4
        b_grad_numerical = (loss(W, b + eps / 2.) - loss(W, b - eps / 2.)) / eps
        vec = np.array([0.3, -0.2, 0.9])
        unitvec = vec / np.sqrt(np.vdot(vec, vec))
        W_grad_numerical = (loss(W + eps / 2. * unitvec, b)
                            - loss(W - eps / 2. * unitvec, b)) / eps
        return b_grad_numerical, W_grad_numerical, np.vdot(t.grad(loss)(W, b), unitvec)
    b_num, w_num, w_dir = agree(program)
    assert abs(w_num - w_dir) < 1e-6
    wire.testing.check_grads(logistic(WIRE)[1], (W0, B0), order=2)


def test_jacobians_and_hessians():
    def program(ns):
        t, np = ns.t, ns.np
        predict, _, inputs = logistic(ns)
        W, b = np.array(W0), np.array(B0)
        f = lambda W: predict(W, b, inputs)

        def hessian(f):
            return t.jacfwd(t.jacrev(f))

        def predict_dict(params, inputs):
            return predict(params["W"], params["b"], inputs)

        return (t.jacfwd(f)(W), t.jacrev(f)(W), hessian(f)(W), t.hessian(f)(W),
                t.jacrev(predict_dict)({"W": W, "b": b}, inputs),
                t.jacfwd(predict_dict)({"W": W, "b": b}, inputs))
    jac, _, hess, _, jd, _ = agree(program)
    assert jac.shape == (4, 3) and hess.shape == (4, 3, 3)
    assert jd["W"].shape == (4, 3) and jd["b"].shape == (4,)


def test_jvp_vjp_and_matrix_products_with_vmap():
    def program(ns):
        t, np = ns.t, ns.np
        predict, _, inputs = logistic(ns)
        W, b = np.array(W0), np.array(B0)
        f = lambda W: predict(W, b, inputs)

        def vmap_mjp(f, x, M):
            y, vjp_fun = t.vjp(f, x)
            outs, = t.vmap(vjp_fun)(M)
            return outs

        def loop_mjp(f, x, M):
            y, vjp_fun = t.vjp(f, x)
            return np.vstack([vjp_fun(mi)[0] for mi in M])

        def vmap_mvp(f, x, M):
            _jvp = lambda s: t.jvp(f, (x,), (s,))[1]
            return t.vmap(_jvp)(M)

        U = np.array(onp.random.default_rng(3).normal(size=(2, 4)))
        S = np.array(onp.random.default_rng(4).normal(size=(3, 3)))
        y, u = t.jvp(f, (W,), (np.array([0.1, 0.2, -0.3]),))
        y2, vjp_fun = t.vjp(f, W)
        return y, u, y2, vjp_fun(np.ones(4)), vmap_mjp(f, W, U), loop_mjp(f, W, U), \
            vmap_mvp(f, W, S)
    out = agree(program)
    assert_same(out[4], out[5])


def test_hessian_vector_products_four_ways():
    def program(ns):
        t, np = ns.t, ns.np
        _, loss, _ = logistic(ns)
        b = np.array(B0)

        def hvp(f, x, v):
            return t.grad(lambda x: np.vdot(t.grad(f)(x), v))(x)

        def hvp_fwd_rev(f, primals, tangents):
            return t.jvp(t.grad(f), primals, tangents)[1]

        def hvp_rev_fwd(f, primals, tangents):
            g = lambda primals: t.jvp(f, primals, tangents)[1]
            return t.grad(g)(primals)

        lossW = lambda W: loss(W, b)
        g = lambda X: np.sum(np.tanh(X) ** 2)
        X = np.array(onp.random.default_rng(1).normal(size=(3, 4)))
        V = np.array(onp.random.default_rng(2).normal(size=(3, 4)))
        v = np.array([0.1, 0.2, -0.3])
        return (hvp(lossW, np.array(W0), v), hvp_fwd_rev(lossW, (np.array(W0),), (v,)),
                hvp(g, X, V), hvp_fwd_rev(g, (X,), (V,)), hvp_rev_fwd(g, (X,), (V,)))
    out = agree(program)
    assert_same(wire.hvp(lambda W: logistic(WIRE)[1](W, B0))(W0, onp.array([0.1, 0.2, -0.3])),
                out[0])


def test_per_example_gradients():
    def program(ns):
        t, np = ns.t, ns.np

        def ex_loss(W, b, x, y):
            p = 0.5 * (np.tanh((np.dot(x, W) + b) / 2) + 1)
            return -np.log(p * y + (1 - p) * (1 - y))

        W, b, x, y = np.array(W0), np.array(B0), np.array(INPUTS), np.array(TARGETS)
        per = t.vmap(t.grad(ex_loss), in_axes=(None, None, 0, 0))(W, b, x, y)
        perj = t.jit(t.vmap(t.grad(ex_loss, (0, 1)), in_axes=(None, None, 0, 0)))(W, b, x, y)
        return per, perj
    per, _ = agree(program)
    assert per.shape == (4, 3)


def test_complex_numbers():
    def program(ns):
        t, np = ns.t, ns.np

        def f(z):
            x, y = np.real(z), np.imag(z)
            return x ** 2 + y ** 2

        # (the cookbook's holomorphic gradient through cholesky is left out: cholesky of a
        # Hermitian matrix is not holomorphic, JAX symmetrizes its input, wire reads the lower
        # triangle as NumPy does, so the two "gradients" differ by convention)
        def g(z):
            return np.sum(np.sin(z) * np.exp(z) ** 2)

        return (t.grad(f)(3. + 4j), t.grad(lambda z: np.abs(z) ** 2)(3. + 4j),
                t.grad(np.sin, holomorphic=True)(2. + 1j),
                t.grad(g, holomorphic=True)(np.array([1. + 2j, -0.5j])),
                t.jacfwd(np.sin, holomorphic=True)(np.array([1. + 1j, 2j])),
                t.jacrev(np.sin, holomorphic=True)(np.array([1. + 1j, 2j])),
                t.jacrev(lambda z: np.abs(z) ** 2)(np.array([3. + 4j, 1. - 2j])))
    agree(program)


@pytest.mark.parametrize("call", [
    lambda ns: ns.t.grad(ns.np.sin)(2. + 1j),                       # complex output
    lambda ns: ns.t.grad(ns.np.sin, holomorphic=True)(2.),           # real input
    lambda ns: ns.t.grad(ns.np.abs, holomorphic=True)(2. + 1j),      # real output
    lambda ns: ns.t.value_and_grad(ns.np.sin)(1j),
    lambda ns: ns.t.jit(ns.t.grad(ns.np.sin))(2. + 1j),
    lambda ns: ns.t.jacfwd(lambda z: ns.np.abs(z) ** 2)(onp.array([3. + 4j])),  # complex in
    lambda ns: ns.t.jacrev(ns.np.conj)(onp.array([3. + 4j])),      # complex out
    lambda ns: ns.t.jacfwd(ns.np.sin, holomorphic=True)(onp.array([1.])),
    lambda ns: ns.t.jacrev(ns.np.abs, holomorphic=True)(onp.array([1j])),
    lambda ns: ns.t.hessian(lambda z: ns.np.sum(ns.np.abs(z) ** 2))(onp.array([1j])),
])
def test_complex_derivatives_refused_where_jax_refuses(call):
    # a complex output is not a gradient's; forward mode from a complex input only sees the
    # real direction (jacfwd of |z|^2 used to give 6 where jacrev gave 6-8j)
    with pytest.raises(TypeError):
        call(JAX)
    with pytest.raises(wire.WireTypeError):
        call(WIRE)


# ---------------------------------------------------------- Advanced automatic differentiation


def test_stop_gradient_in_td_learning():
    def program(ns):
        t, np, lax = ns.t, ns.np, ns.lax
        value_fn = lambda theta, state: np.dot(theta, state)
        theta = np.array([0.1, -0.1, 0.])
        s_tm1, r_t, s_t = np.array([1., 2., -1.]), np.array(1.), np.array([2., 1., 0.])

        def td_loss(theta, s_tm1, r_t, s_t):
            v_tm1 = value_fn(theta, s_tm1)
            target = r_t + value_fn(theta, s_t)
            return -0.5 * ((lax.stop_gradient(target) - v_tm1) ** 2)

        td_update = t.grad(td_loss)
        delta_theta = td_update(theta, s_tm1, r_t, s_t)
        batched = [np.stack([x, x]) for x in (s_tm1, r_t, s_t)]
        perex_grads = t.jit(t.vmap(t.grad(td_loss), in_axes=(None, 0, 0, 0)))
        return delta_theta, perex_grads(theta, *batched)
    delta, _ = agree(program)
    onp.testing.assert_allclose(delta, [1.2, 2.4, -1.2])


def test_straight_through_estimator():
    def program(ns):
        t, np, lax = ns.t, ns.np, ns.lax

        def f(x):
            return np.round(x)

        def straight_through_f(x):
            zero = x - lax.stop_gradient(x)
            return zero + lax.stop_gradient(f(x))

        return f(3.2), straight_through_f(3.2), t.grad(f)(3.2), t.grad(straight_through_f)(3.2)
    assert [float(v) for v in agree(program)] == [3.0, 3.0, 0.0, 1.0]


def test_meta_learning_gradient_through_a_gradient_step():
    def program(ns):
        t, np = ns.t, ns.np
        lr = 0.1

        def loss_fn(params, data):
            return np.sum((np.dot(data, params) - 1.) ** 2)

        def meta_loss_fn(params, data):
            grads = t.grad(loss_fn)(params, data)
            return loss_fn(params - lr * grads, data)

        return t.grad(meta_loss_fn)(np.array([0.2, -0.3]), np.array([[1., 2.], [0.5, -1.]]))
    agree(program)


def test_pytree_jacobians_vmap_axes_checkpoint_linearize():
    def program(ns):
        t, np = ns.t, ns.np
        tree_map = ns.t.tree_util.tree_map if ns is JAX else wire.tree.map

        def f(p):
            return {"u": p["a"] * p["b"], "v": (np.sin(p["a"]), p["b"] ** 2)}

        p = {"a": np.array([1., 2.]), "b": np.array(3.)}
        params = {"W": np.array([1., 2.]), "b": np.array(0.5)}
        g = t.grad(lambda p: np.sum(p["W"] ** 2) * p["b"])(params)

        def affine(p, x):
            return np.dot(p["W2"], x) + p["b2"]

        q = {"W2": np.ones((2, 3)), "b2": np.array([0.5, 1.])}
        xs = np.arange(12.).reshape(4, 3)
        h = lambda W, x: np.sin(np.sin(np.dot(W, x)))
        W = np.array([[1., 0.5], [-0.3, 2.]])
        y, f_jvp = t.linearize(np.sin, 3.)
        return (t.jacfwd(f)(p), t.jacrev(f)(p),
                t.hessian(lambda p: np.sum(p["a"] ** 2 * p["b"]))(p),
                tree_map(lambda p, g: p - 0.1 * g, params, g),
                t.vmap(affine, in_axes=(None, 0))(q, xs),
                t.vmap(affine, in_axes=({"W2": None, "b2": 0}, 0))(
                    {"W2": q["W2"], "b2": np.ones((4, 2))}, xs),
                t.vmap(affine, in_axes=(None, 1), out_axes=1)(q, xs.T),
                t.grad(lambda W: np.sum(t.checkpoint(h)(W, np.array([0.4, 0.2]))))(W),
                y, f_jvp(2.))
    agree(program)


# ---------------------------------------------------------------- Custom derivative rules


def test_custom_jvp_log1pexp():
    def program(ns):
        t, np = ns.t, ns.np

        @t.custom_jvp
        def log1pexp(x):
            return np.log(1. + np.exp(x))

        @log1pexp.defjvp
        def log1pexp_jvp(primals, tangents):
            x, = primals
            x_dot, = tangents
            ans = log1pexp(x)
            ans_dot = (1 - 1 / (1 + np.exp(x))) * x_dot
            return ans, ans_dot

        return (t.grad(log1pexp)(100.), t.jit(log1pexp)(3.), t.jit(t.grad(log1pexp))(3.),
                t.vmap(t.jit(t.grad(log1pexp)))(np.arange(3.)), t.grad(t.grad(log1pexp))(3.),
                t.jvp(log1pexp, (3.,), (1.,)))
    assert float(agree(program)[0]) == 1.0


def test_custom_jvp_defjvps():
    def program(ns):
        t, np = ns.t, ns.np

        @t.custom_jvp
        def log1pexp(x):
            return np.log(1. + np.exp(x))

        log1pexp.defjvps(lambda t, ans, x: (1 - 1 / (1 + np.exp(x))) * t)

        @t.custom_jvp
        def f(x, y):
            return np.sin(x) * y

        f.defjvps(lambda x_dot, primal_out, x, y: np.cos(x) * x_dot * y,
                  lambda y_dot, primal_out, x, y: np.sin(x) * y_dot)

        @t.custom_jvp
        def g(x, y):
            return x * y

        g.defjvps(None, lambda y_dot, out, x, y: x * y_dot)   # no derivative in x
        return (t.grad(log1pexp)(100.), t.vmap(t.jit(t.grad(log1pexp)))(np.arange(3.)),
                t.grad(f)(2., 3.), t.grad(f, 1)(2., 3.), t.jvp(f, (2., 3.), (1., 4.)),
                t.grad(g, (0, 1))(2., 3.))
    agree(program)


def test_custom_jvp_convention_multiple_arguments_pytrees_and_vmap():
    Point = namedtuple("Point", ["x", "y"])

    def program(ns):
        t, np = ns.t, ns.np

        @t.custom_jvp
        def f(x):
            return x / (1 + np.sqrt(x))

        @f.defjvp
        def f_jvp(primals, tangents):
            x, = primals
            x_dot, = tangents
            ans = f(x)
            ans_dot = ((np.sqrt(x) + 2) / (2 * (np.sqrt(x) + 1) ** 2)) * x_dot
            return ans, ans_dot

        @t.custom_jvp
        def g(x, y):
            return np.sin(x) * y

        @g.defjvp
        def g_jvp(primals, tangents):
            x, y = primals
            x_dot, y_dot = tangents
            return g(x, y), np.cos(x) * x_dot * y + np.sin(x) * y_dot

        @t.custom_jvp
        def h(pt):
            return {"a": pt.x ** 2, "b": (np.sin(pt.x), np.cos(pt.y))}

        @h.defjvp
        def h_jvp(primals, tangents):
            pt, = primals
            pt_dot, = tangents
            ans_dot = {"a": 2 * pt.x * pt_dot.x,
                       "b": (np.cos(pt.x) * pt_dot.x, -np.sin(pt.y) * pt_dot.y)}
            return h(pt), ans_dot

        def fun(pt):
            dct = h(pt)
            return dct["a"] + dct["b"][0]

        @partial(t.custom_jvp, nondiff_argnums=(0,))
        def app(f, x):
            return f(x)

        @app.defjvp
        def app_jvp(f, primals, tangents):
            x, = primals
            x_dot, = tangents
            return f(x), 2. * x_dot

        xs, ys = np.arange(3.), -np.arange(3.)
        return (t.grad(f)(0.), t.grad(f)(2.), g(2., 3.), t.jvp(g, (2., 3.), (1., 4.)),
                t.grad(g, 1)(2., 3.), h(Point(1., 2.)), t.grad(fun)(Point(1., 2.)),
                app(lambda x: x ** 3, 3.), t.grad(app, 1)(lambda x: x ** 3, 3.),
                t.vmap(g)(xs, ys), t.vmap(t.grad(g))(xs, ys),
                t.jit(t.vmap(t.grad(g, (0, 1))))(xs, ys))
    out = agree(program)
    assert float(out[0]) == 1.0


def test_custom_vjp_gradient_clipping_pytrees_and_static_functions():
    Point = namedtuple("Point", ["x", "y"])

    def program(ns):
        t, np = ns.t, ns.np

        @t.custom_vjp
        def f(x, y):
            return np.sin(x) * y

        def f_fwd(x, y):
            return f(x, y), (np.cos(x), np.sin(x), y)

        def f_bwd(res, g):
            cos_x, sin_x, y = res
            return (cos_x * g * y, sin_x * g)

        f.defvjp(f_fwd, f_bwd)

        @t.custom_vjp
        def clip_gradient(lo, hi, x):
            return x

        def clip_gradient_fwd(lo, hi, x):
            return x, (lo, hi)

        def clip_gradient_bwd(res, g):
            lo, hi = res
            return (None, None, np.clip(g, lo, hi))

        clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)

        def clip_sin(x):
            x = clip_gradient(-0.75, 0.75, x)
            return np.sin(x)

        @t.custom_vjp
        def p(pt):
            return {"a": pt.x ** 2, "b": (np.sin(pt.x), np.cos(pt.y))}

        def p_fwd(pt):
            return p(pt), pt

        def p_bwd(pt, g):
            a_bar, (b0_bar, b1_bar) = g["a"], g["b"]
            x_bar = 2 * pt.x * a_bar + np.cos(pt.x) * b0_bar
            y_bar = -np.sin(pt.y) * b1_bar
            return (Point(x_bar, y_bar),)

        p.defvjp(p_fwd, p_bwd)

        @partial(t.custom_vjp, nondiff_argnums=(0,))
        def app(f, x):
            return f(x)

        app.defvjp(lambda f, x: (app(f, x), x), lambda f, x, g: (5 * g,))
        ts = np.linspace(0, 10, 50)
        return (t.grad(f)(2., 3.), t.grad(f, (0, 1))(2., 3.), t.vmap(t.grad(np.sin))(ts),
                t.vmap(t.grad(clip_sin))(ts),
                p(Point(1., 2.)), t.grad(lambda pt: p(pt)["a"] + p(pt)["b"][0])(Point(1., 2.)),
                app(lambda x: x ** 2, 4.), t.grad(app, 1)(lambda x: x ** 2, 4.))
    out = agree(program)
    assert onp.max(onp.abs(out[3])) == 0.75


def test_custom_vjp_fixed_point_with_while_loop():
    def program(ns):
        t, np, lax = ns.t, ns.np, ns.lax

        @partial(t.custom_vjp, nondiff_argnums=(0,))
        def fixed_point(f, a, x_guess):
            def cond_fun(carry):
                x_prev, x = carry
                return np.abs(x_prev - x) > 1e-6

            def body_fun(carry):
                _, x = carry
                return x, f(a, x)

            _, x_star = lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
            return x_star

        def fixed_point_fwd(f, a, x_init):
            x_star = fixed_point(f, a, x_init)
            return x_star, (a, x_star)

        def fixed_point_rev(f, res, x_star_bar):
            a, x_star = res
            _, vjp_a = t.vjp(lambda a: f(a, x_star), a)
            a_bar, = vjp_a(fixed_point(partial(rev_iter, f), (a, x_star, x_star_bar),
                                       x_star_bar))
            return a_bar, np.zeros_like(x_star)

        def rev_iter(f, packed, u):
            a, x_star, x_star_bar = packed
            _, vjp_x = t.vjp(lambda x: f(a, x), x_star)
            return x_star_bar + vjp_x(u)[0]

        fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)

        def newton_sqrt(a):
            update = lambda a, x: 0.5 * (x + a / x)
            return fixed_point(update, a, a)

        return (newton_sqrt(2.), t.grad(newton_sqrt)(2.), t.grad(t.grad(newton_sqrt))(2.),
                t.jit(t.grad(newton_sqrt))(2.), t.vmap(t.grad(newton_sqrt))(np.array([2., 3.])),
                t.jit(newton_sqrt)(2.), t.vmap(newton_sqrt)(np.array([2., 3., 4.])))
    out = agree(program)
    onp.testing.assert_allclose(out[1], 0.5 / onp.sqrt(2.0), rtol=1e-9)


# ------------------------------------------------- sharp bits, where NumPy semantics apply


def test_out_of_bounds_indexing_raises_instead_of_clamping():
    # JAX clamps x[11] to x[9] and drops .at[11].set; wire follows NumPy and raises, under
    # every transform, rather than returning a plausible wrong number (an index known while
    # tracing gives wire.ShapeError, which is not an IndexError as NumPy's is)
    x = onp.arange(10.0)
    assert float(jjnp.arange(10.0)[11]) == 9.0
    calls = [
        lambda: wnp.arange(10)[11],
        lambda: wire.grad(lambda x: x[11])(x),
        lambda: wire.jit(lambda x: x[11])(x),
        lambda: wire.jit(lambda x, i: x[i])(x, onp.array(11)),
        lambda: wire.jit(lambda x, i: x[i])(x, onp.array([0, 12])),
        lambda: wire.vmap(lambda x, i: x[i], in_axes=(None, 0))(x, onp.array([3, 12])),
        lambda: wire.jit(lambda x: x.at[11].get())(x),
        lambda: wire.jit(lambda x: x.at[11].set(23.))(x),
        lambda: wire.jit(lambda x: x.at[onp.array([1, 11])].add(1.))(x),
        lambda: wire.jit(lambda x: wnp.take(x, 11))(x),
    ]
    for call in calls:
        with pytest.raises((IndexError, wire.ShapeError), match="out of bounds"):
            call()


def test_nan_checking_names_the_operation():
    with wire.debug_nans():
        with pytest.raises(wire.FloatingPointError, match="log produced NaN"):
            wire.jit(lambda x: wnp.log(x))(onp.array([-1.0]))
        with pytest.raises(wire.FloatingPointError, match="Inf"):
            wire.grad(lambda x: wnp.sum(wnp.sqrt(x)))(onp.array([0.0, 1.0]))


def test_dtypes_follow_numpy_and_nep50():
    # float64 by default, with no x64 flag; Python scalars are weak (JAX and NumPy 2 agree)
    assert wnp.array(1.0).dtype == onp.float64
    assert wire.random.uniform(wire.random.key(0), (3,)).dtype == onp.float64
    f32 = onp.ones(2, onp.float32)
    assert (wnp.ones(2, onp.float32) + 1.5).dtype == onp.float32
    assert wire.grad(lambda x: wnp.sum(x * 2.5))(f32).dtype == onp.float32
    assert wire.jit(lambda x: x * 2.5 + 1)(f32).dtype == onp.float32
    assert (wnp.ones(2, onp.int32) + wnp.ones(2, onp.float16)).dtype == \
        (onp.ones(2, onp.int32) + onp.ones(2, onp.float16)).dtype
    with pytest.raises(OverflowError):
        wnp.array(1, dtype=onp.int8) + 1000
    with onp.errstate(over="ignore"):
        assert wnp.array([254], dtype=onp.uint8) + onp.uint8(2) == onp.uint8(0)


def test_python_control_flow_jit_and_static_arguments():
    def f(x):
        if x < 3:
            return 3. * x ** 2
        return -4 * x

    assert [float(wire.grad(f)(2.)), float(wire.grad(f)(4.))] == [12.0, -4.0]
    with pytest.raises(wire.TracerBoolError):
        wire.jit(f)(2.)
    assert float(wire.jit(f, static_argnums=(0,))(2.)) == 12.0
    with pytest.raises(wire.WireError, match="boolean mask"):
        wire.jit(lambda x: x[x < 0])(onp.array([1., -1., -2.]))
    assert_same(wire.jit(lambda x: x.reshape(onp.array(x.shape).prod()))(onp.ones((2, 3))),
                onp.ones(6))

    def in_place(x):
        x[0] = 1.0
        return x.sum()

    with pytest.raises(wire.WireTypeError, match="at"):
        wire.grad(in_place)(onp.ones(3))
