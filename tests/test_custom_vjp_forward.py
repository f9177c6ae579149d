"""Forward mode through ``wire.custom_vjp``: the transpose of ``bwd`` (the user's derivative,
the one reverse mode takes), a clear error where ``bwd`` is not linear in the cotangent, and
``forward="function"`` for rules that agree with the function's own derivative.

The oracle is reverse mode: JAX refuses forward mode through a ``custom_vjp``, so each
forward-mode result is compared with JAX's (or wire's) ``jacrev``/``vjp`` of the same rule."""

import functools

import numpy as np
import pytest

import wire
import wire.numpy as wnp

X = np.array([0.3, -1.7, 2.5])


def _ste(np_, custom_vjp):
    """A straight-through estimator: round forward, identity backward."""
    @custom_vjp
    def ste(x):
        return np_.round(x)

    ste.defvjp(lambda x: (np_.round(x), None), lambda _, g: (g,))
    return ste


def _scaled_product(np_, custom_vjp):
    """x * y whose rule scales x's cotangent by 10 (so it is not the function's derivative)."""
    @custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda r, g: (10.0 * g * r[1], g * r[0]))
    return f


def _reversal(np_, custom_vjp):
    @custom_vjp
    def reverse(x):
        return x

    reverse.defvjp(lambda x: (x, None), lambda _, g: (-g,))
    return reverse


def _pytree(np_, custom_vjp):
    @custom_vjp
    def f(d):
        return {"s": d["a"] * d["b"], "t": np_.sin(d["a"])}

    def bwd(d, g):  # the "s" part scaled by 3: not the function's derivative
        return ({"a": 3.0 * g["s"] * d["b"] + g["t"] * np_.cos(d["a"]), "b": g["s"] * d["a"]},)

    f.defvjp(lambda d: (f(d), d), bwd)
    return f


PROGRAMS = {
    "ste": (_ste, lambda f, np_: lambda x: np_.sum(f(x) * x ** 2)),
    "scaled_product": (_scaled_product, lambda f, np_: lambda x: np_.sum(f(x, np_.sin(x)))),
    "reversal": (_reversal, lambda f, np_: lambda x: np_.sum(x * f(x) + np_.sin(x))),
    "pytree": (_pytree, lambda f, np_: lambda x: np_.sum(
        f({"a": x, "b": x[::-1]})["s"] + f({"a": x, "b": x})["t"] ** 2)),
}


def _program(name, lib):
    make, use = PROGRAMS[name]
    if lib == "wire":
        return use(make(wnp, wire.custom_vjp), wnp)
    import jax
    import jax.numpy as jnp
    return use(make(jnp, jax.custom_vjp), jnp)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_forward_mode_takes_the_rules_derivative(name):
    f = _program(name, "wire")
    rev = wire.grad(f)(X)
    # jacfwd of a scalar function is the gradient; hessian mixes the two modes
    np.testing.assert_allclose(wire.jacfwd(f)(X), rev, rtol=1e-13)
    t = np.array([0.5, -2.0, 1.0])
    np.testing.assert_allclose(wire.jvp(f, (X,), (t,))[1], rev @ t, rtol=1e-13)
    np.testing.assert_allclose(wire.jit(wire.jacfwd(f))(X), rev, rtol=1e-13)
    batch = np.stack([X, X[::-1], -X])
    np.testing.assert_allclose(wire.vmap(wire.jacfwd(f))(batch),
                               np.stack([wire.grad(f)(b) for b in batch]), rtol=1e-13)
    np.testing.assert_allclose(wire.jacfwd(wire.grad(f))(X), wire.jacrev(wire.grad(f))(X),
                               rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_forward_mode_matches_jax_reverse_mode(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    want = np.asarray(jax.grad(_program(name, "jax"))(X))
    np.testing.assert_allclose(wire.jacfwd(_program(name, "wire"))(X), want, rtol=1e-13)


def test_forward_mode_through_a_vector_rule_is_its_jacobian():
    f = _scaled_product(wnp, wire.custom_vjp)
    y = np.array([2.0, 0.5, -1.0])
    jf = wire.jacfwd(f, argnums=(0, 1))(X, y)
    jr = wire.jacrev(f, argnums=(0, 1))(X, y)
    for a, b in zip(jf, jr):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    np.testing.assert_allclose(jf[0], np.diag(10.0 * y))  # the rule's, not the function's


def test_a_closed_over_value_is_differentiated_through_the_function():
    def outer(y):
        @wire.custom_vjp
        def f(x):
            return x * y

        f.defvjp(lambda x: (x * y, None), lambda _, g: (2.0 * g * y,))
        return f(2.0) + f(y)

    for y in (3.0, -0.5):
        np.testing.assert_allclose(wire.jacfwd(outer)(y), wire.grad(outer)(y), rtol=1e-14)


def test_nondiff_argnums():
    @functools.partial(wire.custom_vjp, nondiff_argnums=(1,))
    def f(x, s):
        return x * s

    f.defvjp(lambda x, s: (x * s, None), lambda s, _, g: (g * s * s,))
    np.testing.assert_allclose(wire.jacfwd(f)(X, 3.0), np.diag([9.0] * 3))


def test_a_bwd_that_is_not_linear_in_the_cotangent_refuses_forward_mode():
    @wire.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (wnp.clip(g, -1.0, 1.0),))
    f = lambda x: wnp.sum(clip_gradient(x) * 3.0)  # noqa: E731
    np.testing.assert_allclose(wire.grad(f)(X), [1.0, 1.0, 1.0])  # reverse mode works
    for run in (lambda: wire.jvp(f, (X,), (np.ones(3),)), lambda: wire.jacfwd(f)(X),
                lambda: wire.jit(wire.jacfwd(f))(X)):
        with pytest.raises(wire.NonDifferentiableError, match="not linear in the output cotangent"
                           ".*custom_jvp.*forward='function'.*test_custom_vjp_forward.py"):
            run()


def test_forward_function_differentiates_the_function_itself():
    clip = wire.custom_vjp(lambda x: x * x, forward="function")
    clip.defvjp(lambda x: (x * x, x), lambda x, g: (wnp.clip(2.0 * x * g, -1.0, 1.0),))
    np.testing.assert_allclose(wire.jvp(clip, (X,), (np.ones(3),))[1], 2.0 * X)
    np.testing.assert_allclose(wire.grad(lambda x: wnp.sum(clip(x)))(X), [0.6, -1.0, 1.0])
    with pytest.raises(wire.WireTypeError, match="forward must be"):
        wire.custom_vjp(lambda x: x, forward="jvp")


def test_library_rules_keep_forward_mode():
    # expm's and odeint's rules exist for speed: forward mode differentiates the function
    from wire.scipy.integrate import odeint
    from wire.scipy.linalg import expm
    a = np.array([[0.1, 0.4], [-0.3, 0.2]])
    f = lambda a: wnp.sum(expm(a) ** 2)  # noqa: E731
    np.testing.assert_allclose(wire.jacfwd(f)(a), wire.grad(f)(a), rtol=1e-10)
    g = lambda k: odeint(lambda y, t, k: -k * y, 1.0, np.array([0.0, 1.0]), k)[-1]  # noqa: E731
    np.testing.assert_allclose(wire.jacfwd(g)(0.5), -np.exp(-0.5), rtol=1e-6)


def test_taylor_mode_follows_forward_mode():
    ste = _ste(wnp, wire.custom_vjp)
    f = lambda x: ste(x) * wnp.sin(x)  # noqa: E731
    d = wire.taylor(f, 2)(0.3)
    np.testing.assert_allclose(d[1], wire.jvp(f, (0.3,), (1.0,))[1])  # the rule's: sin(0.3)
    np.testing.assert_allclose(d[1], np.sin(0.3))
    # the series of the rule: ste is x to first order there, so f'' = 2 cos(0.3)
    np.testing.assert_allclose(d[2], 2.0 * np.cos(0.3))
    from wire.scipy.linalg import expm
    a = np.array([[0.1, 0.4], [-0.3, 0.2]])
    g = lambda s: wnp.sum(expm(a * s))  # noqa: E731
    got = wire.taylor(g, 2)(1.0)
    np.testing.assert_allclose(got[1:], [wire.grad(g)(1.0), wire.grad(wire.grad(g))(1.0)],
                               rtol=1e-10)


def _ste_jvp(np_, custom_jvp):
    @custom_jvp
    def ste(x):
        return np_.round(x)

    ste.defjvp(lambda p, t: (np_.round(p[0]), t[0]))
    return ste


@pytest.mark.parametrize("kind", ["custom_jvp", "custom_vjp"])
def test_nested_grad_of_a_custom_rule_differentiates_the_rules_code(kind):
    # From the third level nested grad of a scalar function runs in Taylor mode, which takes
    # a rule's series; nested differentiation (JAX's meaning) differentiates the rule's code.
    # grad³ of round-with-identity-rule(x)·sin(x) at 0.3 was -0.887; nested it is -sin(0.3).
    ste = (_ste_jvp(wnp, wire.custom_jvp) if kind == "custom_jvp"
           else _ste(wnp, wire.custom_vjp))
    f = lambda x: ste(x) * wnp.sin(x)  # noqa: E731
    in_cond = lambda x: wire.lax.cond(x > 0, f, lambda x: x, x)  # noqa: E731
    g3 = wire.grad(wire.grad(wire.grad(f)))
    for got in (g3(0.3), wire.jit(g3)(0.3), wire.grad(wire.grad(wire.grad(in_cond)))(0.3),
                wire.jacfwd(wire.jacfwd(wire.jacfwd(f)))(0.3)):
        np.testing.assert_allclose(got, -np.sin(0.3), rtol=1e-14)
    np.testing.assert_allclose(wire.grad(wire.grad(wire.grad(wire.grad(f))))(0.3),
                               -np.cos(0.3), rtol=1e-14)
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    jste = _ste_jvp(jnp, jax.custom_jvp) if kind == "custom_jvp" else _ste(jnp, jax.custom_vjp)
    want = jax.grad(jax.grad(jax.grad(lambda x: jste(x) * jnp.sin(x))))(0.3)
    np.testing.assert_allclose(g3(0.3), want, rtol=1e-14)


@pytest.mark.parametrize("bwd", [
    lambda r, g: (wire.lax.stop_gradient(g),),   # derivative 0: the transpose would be 0
    lambda r, g: (wnp.round(g),),
    lambda r, g: (wnp.where(g > 0, g, 0.0),),
    lambda r, g: (g * g,),
], ids=["stop_gradient", "round", "relu", "square"])
def test_a_bwd_hiding_its_nonlinearity_refuses_forward_mode(bwd):
    f = wire.custom_vjp(lambda x: wnp.sin(x))
    f.defvjp(lambda x: (wnp.sin(x), x), bwd)
    with pytest.raises(wire.NonDifferentiableError, match="not linear in the output cotangent"):
        wire.jvp(f, (0.3,), (1.0,))


@pytest.mark.parametrize("rule", [
    lambda p, t: (wnp.sin(p[0]), t[0] ** 2),
    lambda p, t: (wnp.sin(p[0]), wire.lax.stop_gradient(t[0])),
    lambda p, t: (wnp.sin(p[0]), wnp.abs(t[0])),
], ids=["square", "stop_gradient", "abs"])
def test_a_custom_jvp_rule_not_linear_in_the_tangents_refuses_reverse_mode(rule):
    # its transpose was taken at t = 0, silently: grad of the t**2 rule was 0
    f = wire.custom_jvp(lambda x: wnp.sin(x))
    f.defjvp(rule)
    with pytest.raises(wire.NonDifferentiableError, match="not linear in the tangents"):
        wire.grad(f)(0.3)
    np.testing.assert_allclose(wire.jvp(f, (0.3,), (2.0,))[1], rule((0.3,), (2.0,))[1])
