"""Transforms composed as users compose them, at the inputs where they went wrong: each test
here failed before its fix (the commit that added it says what the answer was).

Oracles: JAX in float64 where its answer is right, and the closed forms."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp


# --------------------------------------------------------------------------- Python scalars


@pytest.mark.parametrize("transform", [
    lambda f: wire.grad(f),
    lambda f: wire.grad(wire.grad(f)),
    lambda f: wire.grad(wire.grad(wire.grad(f))),
    lambda f: lambda x: wire.value_and_grad(f)(x)[1],
    lambda f: wire.jit(wire.grad(f)),
], ids=["grad", "grad2", "grad3", "value_and_grad", "jit_grad"])
def test_python_float_zero_over_zero_is_nan(transform):
    # d/dx (x / x) = 1/x - x/x² is NaN at 0 (as JAX's): the eager evaluator of a scalar
    # derivative computed 0.0 / 0.0 with Python's operator on a Python float argument and
    # raised ZeroDivisionError
    with np.errstate(all="ignore"):
        g = transform(lambda x: x / x)(0.0)
        assert np.isnan(g)
        assert np.isnan(transform(lambda x: (x - 1.0) / (x - 1.0))(1.0))


# --------------------------------------------------------------------------- vjp cotangents


def test_vjp_takes_a_float0_cotangent_for_an_integer_output():
    # JAX's cotangent of an integer output is a float0 array; vjp_fn raised ValueError
    # ("invalid literal for int()") casting it to the output's dtype
    x = np.array([1.0, 2.0, 3.0])
    f = lambda v: (v * 2.0, wnp.argsort(v), wnp.argmax(v))  # noqa: E731
    _, vjp_fn = wire.vjp(f, x)
    ct = (np.ones(3), np.zeros(3, wire.float0), np.zeros((), wire.float0))
    np.testing.assert_array_equal(vjp_fn(ct)[0], [2.0, 2.0, 2.0])
    jitted = wire.jit(lambda v: wire.vjp(f, v)[1](ct))
    np.testing.assert_array_equal(jitted(x)[0], [2.0, 2.0, 2.0])
    # a float0 cotangent for a float output is a clear error
    with pytest.raises(wire.WireTypeError, match="float0"):
        wire.vjp(lambda v: v * 2.0, x)[1](np.zeros(3, wire.float0))


# --------------------------------------------------------------------------- cond / switch


@pytest.mark.parametrize("pred", [-1, 2, 0, -(2 ** 40)])
def test_cond_integer_predicate_is_its_truth_value_traced_too(pred):
    # cond(pred, ...) takes the true branch for any nonzero pred (bool(pred), JAX's rule);
    # a traced integer pred was used as a branch index and clamped, so -1 chose the false
    # branch under jit and vmap while the eager call chose the true one
    f = lambda p, x: wire.cond(p, lambda a: a * 2.0, lambda a: -a, x)  # noqa: E731
    want = 2.0 if pred else -1.0
    assert f(pred, 1.0) == want
    assert wire.jit(f)(np.int64(pred), 1.0) == want
    for dt in (np.int8, np.int32, np.int64):
        if np.iinfo(dt).min <= pred <= np.iinfo(dt).max:
            p = np.array([pred, 0], dt)
            np.testing.assert_array_equal(wire.vmap(f)(p, np.ones(2)), [want, -1.0])
    assert wire.jit(wire.grad(f, argnums=1))(np.int64(pred), 1.0) == (2.0 if pred else -1.0)


@pytest.mark.parametrize("index,want", [(2 ** 32, 10.0), (2 ** 63 - 1, 10.0), (-(2 ** 32), 1.0),
                                        (7, 10.0), (-1, 1.0), (1, -1.0)])
def test_switch_clamps_a_large_concrete_index_as_a_traced_one(index, want):
    # an index outside int32 raised OverflowError on concrete values (jit clamped it)
    fs = [lambda a: a, lambda a: -a, lambda a: a * 10.0]
    assert wire.switch(np.int64(index), fs, 1.0) == want
    assert wire.jit(lambda i: wire.switch(i, fs, 1.0))(np.int64(index)) == want
    assert wire.grad(lambda x: wire.switch(index, fs, x))(1.0) == want


# --------------------------------------------------------------------------- custom rules


X3 = np.array([0.3, -1.2, 2.0])

# bwd rules (residual r = x, cotangent g) whose transpose exists but which are not linear
# in g: forward mode transposed the linear part and dropped the rest (jacfwd of g + 1 was
# the identity, jacrev I + 1; of ones_like(g) 0 and ones), or, for mod, took its derivative
# 1 where the rule is g % 1 (jacfwd I, jacrev 0)
_AFFINE_BWDS = {
    "g + 1": lambda r, g: (g + 1.0,),
    "ones_like(g)": lambda r, g: (wnp.ones_like(g),),
    "the residual": lambda r, g: (r,),
    "g * r + r": lambda r, g: (g * r + r,),
    "g % 1": lambda r, g: (g % 1.0,),
    "fmod(g, 2)": lambda r, g: (wnp.fmod(g, 2.0),),
}
# linear ones stay accepted, and agree with reverse mode
_LINEAR_BWDS = {
    "g * r": lambda r, g: (g * r,),
    "zeros": lambda r, g: (wnp.zeros(3),),
    "zeros_like(g)": lambda r, g: (wnp.zeros_like(g),),
    "g * 0": lambda r, g: (g * 0.0,),
    "g - 0 + zeros": lambda r, g: (g - 0.0 + np.zeros(3),),
    "where(r > 0, g, 0)": lambda r, g: (wnp.where(r > 0, g, 0.0),),
    "scatter into zeros": lambda r, g: (wnp.zeros_like(g).at[0].add(g[1]),),
    "g @ W / r": lambda r, g: (g @ np.arange(9.0).reshape(3, 3) / r,),
    "cumsum(g)[::-1]": lambda r, g: (wnp.cumsum(g)[::-1],),
}


def _sin_with_bwd(bwd):
    f = wire.custom_vjp(lambda v: wnp.sin(v))
    f.defvjp(lambda v: (wnp.sin(v), v), bwd)
    return f


@pytest.mark.parametrize("name", list(_AFFINE_BWDS))
def test_forward_mode_refuses_a_bwd_with_a_term_not_linear_in_the_cotangent(name):
    f = _sin_with_bwd(_AFFINE_BWDS[name])
    wire.jacrev(f)(X3)  # reverse mode runs the rule as it is
    with pytest.raises(wire.NonDifferentiableError, match="not linear in the output cotangent"):
        wire.jacfwd(f)(X3)
    with pytest.raises(wire.NonDifferentiableError, match="not linear"):
        wire.jvp(f, (X3,), (np.ones(3),))


@pytest.mark.parametrize("name", list(_LINEAR_BWDS))
def test_forward_mode_through_a_linear_bwd_is_its_transpose(name):
    f = _sin_with_bwd(_LINEAR_BWDS[name])
    np.testing.assert_allclose(wire.jacfwd(f)(X3), wire.jacrev(f)(X3), rtol=1e-15, atol=0)


@pytest.mark.parametrize("rule", [lambda x, t: t + 1.0, lambda x, t: wnp.ones_like(t),
                                  lambda x, t: x, lambda x, t: x / t, lambda x, t: t % 1.0],
                         ids=["t + 1", "ones_like(t)", "x", "x / t", "t % 1"])
def test_reverse_mode_refuses_a_jvp_rule_with_a_term_not_linear_in_the_tangent(rule):
    # reverse mode transposed the linear part (grad of the t + 1 rule was the identity's,
    # while jvp gives t + 1)
    f = wire.custom_jvp(lambda v: wnp.sin(v))
    f.defjvp(lambda p, t: (f(p[0]), rule(p[0], t[0])))
    with pytest.raises(wire.NonDifferentiableError, match="not linear in the tangents"):
        wire.jacrev(f)(X3)
    g = wire.custom_jvp(lambda v: wnp.sin(v))
    g.defjvp(lambda p, t: (g(p[0]), t[0] * wnp.cos(p[0]) - 0.0 + wnp.zeros_like(t[0])))
    np.testing.assert_allclose(wire.grad(lambda v: wnp.sum(g(v)))(X3), np.cos(X3), rtol=1e-15)


# --------------------------------------------------------------------------- linearize


def test_linearize_through_a_checkpoint_inside_scan():
    # the JVP of such a scan is one loop computing primals and tangents together, so its
    # primal outputs were not among the values computed without tangents: linearize raised
    # "unflatten: too few leaves"
    w = np.arange(9.0).reshape(3, 3) / 10
    xs = np.sin(np.arange(12.0)).reshape(4, 3)

    def f(w):
        step = lambda c, a: (wire.checkpoint(lambda c, a: wnp.tanh(c @ w + a))(c, a), wnp.sum(c))
        c, ys = wire.scan(step, np.zeros(3), xs)
        return c, ys

    t = np.cos(np.arange(9.0)).reshape(3, 3)
    y, f_jvp = wire.linearize(f, w)
    y_ref, t_ref = wire.jvp(f, (w,), (t,))
    for a, b in zip(y, y_ref):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(f_jvp(t), t_ref):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    y2, f_jvp2 = wire.linearize(lambda w: wire.scan(
        lambda c, _: (wire.checkpoint(lambda c: c * w)(c), None), 1.0, None, length=2)[0], 3.0)
    assert y2 == 9.0 and f_jvp2(1.0) == 6.0


def test_cond_branch_returning_a_python_number_takes_the_other_branch_dtype():
    # JAX's rule: a weakly typed branch output (a Python number) takes the typed branches'
    # dtype; cond raised ShapeError "f32[] but must be f64[]"
    f = lambda p: wire.cond(p, lambda: np.float32(1.0), lambda: 2.0)  # noqa: E731
    for p in (True, False):
        assert f(p).dtype == np.float32 and wire.jit(f)(p).dtype == np.float32
    g = wire.vmap(lambda p, x: wire.cond(p, lambda: x * 2, lambda: 7.0))
    out = g(np.array([True, False]), np.ones(2, np.float32))
    assert out.dtype == np.float32 and out.tolist() == [2.0, 7.0]
    assert wire.grad(lambda x: wire.cond(x > 0, lambda: x * 2, lambda: 0.0))(np.float32(1)) == 2
    s = wire.switch(2, [lambda x: x * 2, lambda x: 3.0, lambda x: 1], np.float32(1))
    assert s.dtype == np.float32
    with pytest.raises(wire.ShapeError, match="must be"):  # two typed dtypes still differ
        wire.cond(True, lambda: np.ones(2, np.float32), lambda: np.zeros(2))
