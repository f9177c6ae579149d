"""Compositions of transforms against closed forms and finite differences."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp


def logsumexp(z):
    m = wire.stop_gradient(wnp.max(z))
    return m + wnp.log(wnp.sum(wnp.exp(z - m)))


def expit(x):
    e = wnp.exp(-wnp.abs(x))
    return wnp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def f(x):
    return wnp.sum(wnp.sin(x) * wnp.exp(wnp.tanh(x)))


X = np.array([0.3, -0.7, 1.1])


def numeric_grad(fn, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        g.flat[i] = (fn(x + e) - fn(x - e)) / (2 * eps)
    return g


def test_grad_grad_vs_jvp_grad_vs_grad_jvp():
    v = np.array([1.0, 0.5, -2.0])
    hv_fwd_rev = wire.jvp(wire.grad(f), (X,), (v,))[1]
    hv_rev_fwd = wire.grad(lambda x: wire.jvp(f, (x,), (v,))[1])(X)
    hv_rev_rev = wire.grad(lambda x: wnp.sum(wire.grad(f)(x) * v))(X)
    hv_hvp = wire.hvp(f)(X, v)
    H = wire.hessian(f)(X)
    np.testing.assert_allclose(hv_fwd_rev, H @ v, rtol=1e-12)
    np.testing.assert_allclose(hv_rev_fwd, H @ v, rtol=1e-12)
    np.testing.assert_allclose(hv_rev_rev, H @ v, rtol=1e-12)
    np.testing.assert_allclose(hv_hvp, H @ v, rtol=1e-12)
    np.testing.assert_allclose(H, H.T, rtol=1e-12)
    np.testing.assert_allclose(H, numeric_grad(lambda x: wire.grad(f)(x), X).T
                               if False else np.array([numeric_grad(lambda x, i=i: wire.grad(f)(x)[i], X)
                                                       for i in range(3)]), rtol=1e-6)


def test_jacfwd_equals_jacrev_on_pytrees_with_argnums():
    def g(a, b):
        return {"u": wnp.sin(a) * b[0], "v": wnp.sum(a**2) + b[1]}

    a, b = np.array([0.1, 0.2, 0.3]), (2.0, np.array([1.0, -1.0]))
    jf = wire.jacfwd(g, argnums=(0, 1))(a, b)
    jr = wire.jacrev(g, argnums=(0, 1))(a, b)
    for x, y in zip(wire.tree.leaves(jf), wire.tree.leaves(jr)):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-15)
    assert jf["u"][0].shape == (3, 3) and jf["v"][1][1].shape == (2, 2)
    np.testing.assert_allclose(jf["u"][0], np.diag(np.cos(a) * 2.0))


def test_jacobian_shapes_are_out_plus_in():
    x = np.ones((2, 3))
    jr = wire.jacrev(lambda x: x.sum(axis=0) * 2.0)(x)
    jf = wire.jacfwd(lambda x: x.sum(axis=0) * 2.0)(x)
    assert jr.shape == jf.shape == (3, 2, 3)
    np.testing.assert_allclose(jr, jf)


def test_vjp_of_jvp_and_vjp_fn_is_differentiable():
    v = np.array([1.0, 2.0, 3.0])
    _, pullback = wire.vjp(lambda x: wire.jvp(f, (x,), (v,))[1], X)
    H = wire.hessian(f)(X)
    np.testing.assert_allclose(pullback(1.0)[0], H @ v, rtol=1e-12)

    def through_vjp(x):
        _, pb = wire.vjp(wnp.sin, x)
        return wnp.sum(pb(np.ones(3))[0] ** 2)  # sum cos(x)^2

    np.testing.assert_allclose(wire.grad(through_vjp)(X), -2 * np.sin(X) * np.cos(X), rtol=1e-12)


def test_vjp_pytree_outputs_and_aux():
    def g(x):
        return {"a": x * 2.0, "b": (wnp.sum(x),)}, "aux"

    out, pullback, aux = wire.vjp(lambda x: (g(x)[0], x[0]), X, has_aux=True)
    (ct,) = pullback({"a": np.ones(3), "b": (np.array(2.0),)})
    np.testing.assert_allclose(ct, 4.0 * np.ones(3))
    assert aux.shape == ()
    with pytest.raises(wire.WireError):
        pullback(np.ones(3))


def test_linearize_matches_jvp():
    y, f_jvp = wire.linearize(f, X)
    v = np.array([0.5, 0.1, 1.0])
    np.testing.assert_allclose(y, f(X))
    np.testing.assert_allclose(f_jvp(v), wire.jvp(f, (X,), (v,))[1], rtol=1e-12)


def test_stop_gradient():
    g = wire.grad(lambda x: wnp.sum(x * wire.stop_gradient(x)))(X)
    np.testing.assert_allclose(g, X)
    assert wire.grad(wire.grad(lambda x: x * wire.stop_gradient(x ** 2)))(2.0) == 0.0


def test_custom_jvp_log1pexp_never_overflows():
    @wire.custom_jvp
    def log1pexp(x):
        return wnp.maximum(x, 0.0) + wnp.log1p(wnp.exp(-wnp.abs(x)))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t * expit(x)

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert wire.grad(log1pexp)(1000.0) == 1.0
        assert wire.grad(log1pexp)(-1000.0) == 0.0
        s = 1 / (1 + np.exp(-0.5))
        np.testing.assert_allclose(wire.grad(wire.grad(log1pexp))(0.5), s * (1 - s))
        np.testing.assert_allclose(wire.jvp(log1pexp, (1000.0,), (2.0,))[1], 2.0)
    naive = wire.grad(lambda x: wnp.log1p(wnp.exp(x)))
    with np.errstate(all="ignore"):
        assert np.isnan(naive(1000.0))


def test_custom_vjp_with_nondiff_argnums_and_pytrees():
    from functools import partial

    @partial(wire.custom_vjp, nondiff_argnums=(0,))
    def scale_grad(k, x):
        return x

    scale_grad.defvjp(lambda k, x: (x, None), lambda k, res, g: (g * k,))
    assert wire.grad(lambda x: scale_grad(3.0, x) * 2.0)(1.0) == 6.0

    @wire.custom_vjp
    def norm(p):
        return wnp.sqrt(p["a"] ** 2 + p["b"] ** 2)

    def fwd(p):
        n = norm(p)
        return n, (p, n)

    def bwd(res, g):
        p, n = res
        return ({"a": g * p["a"] / n, "b": g * p["b"] / n},)

    norm.defvjp(fwd, bwd)
    g = wire.grad(norm)({"a": 3.0, "b": 4.0})
    np.testing.assert_allclose([g["a"], g["b"]], [0.6, 0.8])
    # second order through the user's bwd
    h = wire.grad(lambda a: wire.grad(norm)({"a": a, "b": 4.0})["a"])(3.0)
    np.testing.assert_allclose(h, 16 / 125)


def test_hessian_of_logsumexp_closed_form():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(30, 20))
    x = rng.normal(size=20) * 0.1

    def fn(x):
        return logsumexp(A @ x) + 0.5 * wnp.sum(x * x)

    p = np.exp(A @ x - np.max(A @ x))
    p /= p.sum()
    expected = A.T @ (np.diag(p) - np.outer(p, p)) @ A + np.eye(20)
    np.testing.assert_allclose(wire.hessian(fn)(x), expected, rtol=1e-10, atol=1e-12)


def test_vmap_of_grad_per_example():
    w = np.array([0.5, -0.3])
    xs = np.array([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]])

    def loss(w, x):
        return wnp.tanh(x @ w) ** 2

    per_ex = wire.vmap(wire.grad(loss), in_axes=(None, 0))(w, xs)
    loop = np.stack([wire.grad(loss)(w, x) for x in xs])
    np.testing.assert_allclose(per_ex, loop, rtol=1e-12)


def test_simplify_is_default_and_can_be_turned_off():
    g_on = wire.trace(wire.grad(f), X)
    g_off = wire.trace(wire.grad(f, simplify=False), X)
    assert len(g_on) < len(g_off)
    np.testing.assert_allclose(wire.evaluate(g_on, X), wire.evaluate(g_off, X), rtol=1e-12)


def test_a_complex_tangent_of_a_real_primal_is_refused():
    # (it was cast to the primal's dtype, dropping its imaginary part with a ComplexWarning;
    # vjp_fn refuses a complex cotangent of a real output the same way)
    x = np.ones(3)
    with pytest.raises(wire.WireTypeError, match="complex"):
        wire.jvp(lambda x: x * 2.0, (x,), (np.ones(3) * 1j,))
    _, lin = wire.linearize(lambda x: x * 2.0, x)
    with pytest.raises(wire.WireTypeError, match="complex"):
        lin(np.ones(3, complex))
    np.testing.assert_array_equal(wire.jvp(lambda x: x * 2.0, (x,), (np.ones(3, np.float32),))[1],
                                  np.full(3, 2.0))
