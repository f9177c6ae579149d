"""wire.custom_jvp / wire.custom_vjp: argument order with nondiff_argnums, closed-over values,
the semantics of derivatives of derivatives (a rule applies once, as in JAX), and the checks
on what a rule returns. Expected values are closed forms (JAX agrees: tests/test_composed.py).
"""

import functools

import numpy as np
import pytest

import wire
import wire.numpy as wnp

X = np.array([0.3, -1.0, 2.0])
Y = np.array([0.5, 2.0, -0.7])


# --------------------------------------------------------------------------- nondiff_argnums


def _power():
    @functools.partial(wire.custom_jvp, nondiff_argnums=(1,))
    def power(x, n):
        return x ** n

    @power.defjvp
    def power_jvp(n, primals, tangents):  # static arguments first, as in JAX
        (x,), (t,) = primals, tangents
        return power(x, n), n * x ** (n - 1) * t

    return power


def test_custom_jvp_nondiff_argument_keeps_its_position():
    power = _power()
    assert wire.jit(lambda x: power(x, 3.0))(2.0) == 8.0
    assert power(2.0, 3.0) == 8.0
    assert wire.grad(lambda x: power(x, 3.0))(2.0) == 12.0
    np.testing.assert_allclose(wire.vmap(wire.grad(lambda x: power(x, 3.0)))(X), 3 * X ** 2)
    assert wire.grad(wire.grad(lambda x: power(x, 3.0)))(2.0) == 12.0


def test_custom_vjp_fwd_gets_the_arguments_in_call_order():
    @functools.partial(wire.custom_vjp, nondiff_argnums=(1,))
    def f(x, s):
        return x * s + wnp.sin(x)

    f.defvjp(lambda x, s: (f(x, s), wnp.cos(x)), lambda s, c, g: (g * (s + c),))
    np.testing.assert_allclose(wire.grad(lambda x: wnp.sum(f(x, 2.5)))(X), 2.5 + np.cos(X))
    np.testing.assert_allclose(wire.jit(lambda x: f(x, 2.5))(X), 2.5 * X + np.sin(X))


def test_several_nondiff_arguments_interleaved():
    @functools.partial(wire.custom_vjp, nondiff_argnums=(0, 2))
    def f(a, x, s, y):
        return a * x * s + wnp.sin(y) * x

    def fwd(a, x, s, y):
        return f(a, x, s, y), (x, y)

    def bwd(a, s, res, g):
        x, y = res
        return g * (a * s + 10.0 * wnp.sin(y)), g * wnp.cos(y) * x

    f.defvjp(fwd, bwd)
    gx, gy = wire.grad(lambda x, y: f(2.0, x, 3.0, y).sum(), argnums=(0, 1))(X, Y)
    np.testing.assert_allclose(gx, 6.0 + 10.0 * np.sin(Y))
    np.testing.assert_allclose(gy, np.cos(Y) * X)


def test_a_traced_nondiff_argument_is_refused():
    power = _power()
    with pytest.raises(wire.WireError, match="nondiff argument 1 holds a traced value"):
        wire.grad(lambda x: power(x, x))(2.0)


# --------------------------------------------------------------------------- closures


def _outer(x, y):
    @wire.custom_jvp
    def g(a):
        return wnp.sin(a) * y

    @g.defjvp
    def g_jvp(primals, tangents):
        (a,), (t,) = primals, tangents
        return g(a), wnp.cos(a) * y * t

    return wnp.sum(g(x) + y)


def test_closed_over_values_are_differentiated_through_the_function():
    gx, gy = wire.grad(_outer, argnums=(0, 1))(X, Y)
    np.testing.assert_allclose(gx, np.cos(X) * Y)
    np.testing.assert_allclose(gy, np.sin(X) + 1.0)
    assert type(gx) is np.ndarray and type(gy) is np.ndarray  # no tracer escapes
    _, t = wire.jvp(_outer, (X, Y), (np.ones(3), np.ones(3)))
    np.testing.assert_allclose(t, np.sum(np.cos(X) * Y + np.sin(X) + 1.0))
    h = wire.hessian(_outer, argnums=1)(X, Y)
    np.testing.assert_allclose(h, np.zeros((3, 3)), atol=1e-15)
    hxy = wire.jacfwd(wire.grad(_outer, argnums=0), argnums=1)(X, Y)
    np.testing.assert_allclose(hxy, np.diag(np.cos(X)))
    np.testing.assert_allclose(wire.jit(wire.grad(_outer, argnums=1))(X, Y), np.sin(X) + 1.0)


def test_a_rule_closing_over_a_traced_value_the_function_does_not_use():
    def loss(x, scale):
        @wire.custom_vjp
        def scaled(v):
            return v

        scaled.defvjp(lambda v: (v, None), lambda _, g: (g * scale,))
        return wnp.sum(scaled(x) ** 2)

    g = wire.grad(loss)(X, 3.0)
    np.testing.assert_allclose(g, 2 * X * 3.0)
    assert type(g) is np.ndarray
    np.testing.assert_allclose(wire.jit(wire.grad(loss))(X, 3.0), 2 * X * 3.0)
    np.testing.assert_allclose(wire.vmap(wire.grad(loss), in_axes=(None, 0))(X, Y),
                               2 * X[None] * Y[:, None])
    # scale changes the rule, not the value: d/dscale of the loss is 0
    assert wire.grad(loss, argnums=1)(X, 3.0) == 0.0


def test_closures_under_vmap():
    def batched(xs, y):
        @wire.custom_vjp
        def h(x):
            return wnp.sin(x) * y

        h.defvjp(lambda x: (h(x), x), lambda x, g: (10.0 * g * y,))
        return wire.vmap(h)(xs).sum()

    gx, gy = wire.grad(batched, argnums=(0, 1))(X, 2.0)
    np.testing.assert_allclose(gx, np.full(3, 20.0))
    np.testing.assert_allclose(gy, np.sin(X).sum())


# --------------------------------------------------------------------------- grad of grad


@wire.custom_vjp
def clip_gradient(x):
    return x


clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (wnp.clip(g, -1.0, 1.0),))


@wire.custom_vjp
def reverse_gradient(x):
    return x


reverse_gradient.defvjp(lambda x: (x, None), lambda _, g: (-g,))


def _second_derivatives(f, x):
    return [
        wire.grad(wire.grad(f))(x),
        wire.jvp(wire.grad(f), (x,), (1.0,))[1],
        wire.hessian(f)(x),
        wire.jacrev(wire.jacrev(f))(x),
        wire.hvp(f)(x, 1.0),
    ]


@pytest.mark.parametrize("f,x,expected", [
    # grad = clip(3x) + 3 c(x); outer levels see fwd (the identity) and bwd (clip): 3 + 3
    (lambda x: clip_gradient(x) * x * 3.0, 0.1, 6.0),
    (lambda x: clip_gradient(x) * x * 3.0, 2.0, 3.0),
    # grad = r(x) - x: 1 - 1
    (lambda x: x * reverse_gradient(x), 0.7, 0.0),
    (lambda x: wire.cond(x > 0, lambda v: clip_gradient(v) * v * 3.0, lambda v: v, x), 0.1, 6.0),
    (lambda x: x * wire.cond(x > 0, lambda v: clip_gradient(v) * 3.0, lambda v: v, x), 0.1, 6.0),
    (lambda x: wire.scan(lambda k, _: (clip_gradient(k) * k * 3.0, None), x, None,
                         length=2)[0], 0.1, 3.24),
])
def test_second_derivatives_through_a_custom_vjp_agree(f, x, expected):
    for got in _second_derivatives(f, x):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_a_custom_jvp_rule_is_applied_once():
    @wire.custom_jvp
    def s(x):
        return wnp.sin(x)

    s.defjvp(lambda p, t: (wnp.sin(p[0]) + 0.0, 2.0 * t[0]))
    f = lambda x: x * s(x)  # noqa: E731
    assert wire.grad(f)(0.3) == pytest.approx(np.sin(0.3) + 0.6)
    # outer levels differentiate the rule's code: its primal sin(x) and its tangent 2 t
    for got in _second_derivatives(f, 0.3):
        np.testing.assert_allclose(got, np.cos(0.3) + 2.0, rtol=1e-12)


def test_values_returned_beside_derivatives_follow_the_rule_too():
    f = lambda z: clip_gradient(z) * 5.0  # noqa: E731
    assert wire.grad(lambda x: wire.value_and_grad(f)(x)[0])(2.0) == 5.0
    assert wire.grad(lambda x: wire.vjp(f, x)[0])(2.0) == 5.0
    assert wire.grad(f)(2.0) == 1.0


# --------------------------------------------------------------------------- checks on results


def _vjp_returning(ct_fn):
    @wire.custom_vjp
    def f(x):
        return x * 2.0

    f.defvjp(lambda x: (f(x), None), lambda _, g: (ct_fn(g),))
    return f


@pytest.mark.parametrize("ct_fn,error,words", [
    (lambda g: g > 0, wire.WireTypeError, ["bool", "f64[3]"]),
    (lambda g: g.astype(np.float32), wire.WireTypeError, ["float32", "f64[3]"]),
    (lambda g: np.zeros(3, np.int64), wire.WireTypeError, ["int64", "f64[3]"]),
    (lambda g: wnp.zeros(4), wire.ShapeError, ["(4,)", "f64[3]"]),
    (lambda g: 1.0, wire.ShapeError, ["()", "f64[3]"]),
])
def test_bad_cotangents_from_bwd_raise(ct_fn, error, words):
    f = _vjp_returning(ct_fn)
    with pytest.raises(error) as e:
        wire.grad(lambda x: wnp.sum(f(x)))(X)
    msg = str(e.value)
    assert all(w in msg for w in words) and "test_custom_rules.py" in msg, msg


def test_float32_primal_wants_float32_cotangents():
    f = _vjp_returning(lambda g: g.astype(np.float64))
    with pytest.raises(wire.WireTypeError, match="float64.*f32"):
        wire.grad(lambda x: wnp.sum(f(x)))(X.astype(np.float32))
    ok = _vjp_returning(lambda g: g * 3.0)  # a Python number is weakly typed
    got = wire.grad(lambda x: wnp.sum(ok(x)))(X.astype(np.float32))
    assert got.dtype == np.float32 and np.all(got == 3.0)


def test_none_cotangents_and_integer_arguments():
    @wire.custom_vjp
    def f(x, n, p):
        return x * n + p["a"] * p["b"]

    f.defvjp(lambda x, n, p: (f(x, n, p), (n, p)),
             lambda res, g: (g * res[0], np.zeros(()), {"a": None, "b": g * res[1]["a"]}))
    gx, gp = wire.grad(lambda x, p: f(x, 3, p), argnums=(0, 1))(2.0, {"a": 4.0, "b": 5.0})
    assert gx == 3.0 and gp == {"a": 0.0, "b": 4.0}


def _jvp_returning(t_fn, p_fn=None):
    @wire.custom_jvp
    def f(x):
        return wnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return (f(x) if p_fn is None else p_fn(x)), t_fn(t)

    return f


@pytest.mark.parametrize("t_fn,p_fn,error,words", [
    (lambda t: t[:2], None, wire.ShapeError, ["tangent output", "(2,)", "f64[3]"]),
    (lambda t: t.astype(np.float32), None, wire.WireTypeError, ["float32", "f64[3]"]),
    (lambda t: t > 0, None, wire.WireTypeError, ["bool", "f64[3]"]),
    (lambda t: (t, t), None, wire.WireError, ["tangent output", "structure"]),
    (lambda t: t, lambda x: wnp.sin(x).astype(np.float32), wire.WireTypeError,
     ["primal output", "float32"]),
])
def test_bad_custom_jvp_results_raise(t_fn, p_fn, error, words):
    f = _jvp_returning(t_fn, p_fn)
    for run in (lambda: wire.jvp(f, (X,), (np.ones(3),)),
                lambda: wire.grad(lambda x: wnp.sum(f(x)))(X)):
        with pytest.raises(error) as e:
            run()
        msg = str(e.value)
        assert all(w in msg for w in words) and "test_custom_rules.py" in msg, msg


def test_a_rule_without_error_still_checks_fwd_output():
    @wire.custom_vjp
    def f(x):
        return x * 2.0

    f.defvjp(lambda x: ((x * 2.0)[:2], None), lambda _, g: (g,))
    with pytest.raises(wire.ShapeError, match="fwd of f.*output 0 has shape"):
        wire.grad(lambda x: wnp.sum(f(x)))(X)
