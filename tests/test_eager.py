"""Eager transforms on concrete values (issue 14, issue 12 items 2 and 6): Python control flow
on traced values, arguments passed as they are, static_argnums, lifted constants and the
derivative-graph memo, weakly typed Python scalars, keyword arguments, conversions.

Derivatives are checked against central finite differences, and against autograd
where installed (not JAX: its import alone takes seconds)."""

import os
import tempfile

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.api.grad import eager_grad_graph


def fd(fn, x, eps=1e-6):
    """Central finite differences of scalar ``fn`` at float or array ``x``."""
    x = np.asarray(x, float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (float(fn(x + e)) - float(fn(x - e))) / (2 * eps)
    return g


def piecewise(x):
    return x if wnp.abs(x) < 0.2 else x ** 2


def piecewise_np(x):
    return x if abs(x) < 0.2 else x ** 2


def doubling(x, ns=wnp):
    """while / for / break on traced values: doubles until past 10, at most 50 times
    (``ns=np``: the same program on plain floats, the reference)."""
    y = x
    for _ in range(50):
        if y >= 10.0:
            break
        y = y * 2.0
    while y > 100.0:
        y = y / 3.0
    return y * ns.sin(x)


def doubling_np(x):
    return doubling(x, np)


# --------------------------------------------------------------------------- control flow


@pytest.mark.parametrize("x", [0.1, -0.15, 1.0, -2.5])
def test_if_on_traced_value_under_grad(x):
    assert np.allclose(wire.grad(piecewise)(x), fd(piecewise_np, x), atol=1e-6)


def test_branch_flips_between_calls_of_one_memoized_function():
    df = wire.grad(piecewise)
    got = [float(df(x)) for x in (0.1, 1.0, 0.1, 1.0, -0.1, -3.0)]
    assert got == [1.0, 2.0, 1.0, 2.0, 1.0, -6.0]
    ddf = wire.grad(df)
    assert [float(ddf(x)) for x in (0.1, 1.0, 0.1)] == [0.0, 2.0, 0.0]


def _bouncing(k, np_, steps):
    """Euler steps of x'' = -k x - 0.1 x' + 0.05 sin(x) on x > 0 only: a Python `if` on a
    traced value in every step, as a simulation script writes it."""
    x, v, dt = 1.0, 0.0, 0.01
    for _ in range(steps):
        a = -k * x - 0.1 * v + (0.05 * np_.sin(x) if x > 0 else 0.0)
        v = v + dt * a
        x = x + dt * v
    return x


def _bouncing_sensitivity(k, steps):
    """d x_final / d k by the forward sensitivity recurrence (the oracle)."""
    x, v, dt = 1.0, 0.0, 0.01
    dx = dv = 0.0
    for _ in range(steps):
        on = x > 0
        a = -k * x - 0.1 * v + (0.05 * np.sin(x) if on else 0.0)
        da = -x - k * dx - 0.1 * dv + (0.05 * np.cos(x) * dx if on else 0.0)
        v, dv = v + dt * a, dv + dt * da
        x, dx = x + dt * v, dx + dt * dv
    return x, dx


def test_long_loop_with_an_if_in_every_step():
    steps = 2000  # the trajectory crosses x = 0 several times
    x, dx = _bouncing_sensitivity(2.0, steps)
    value, grad = wire.value_and_grad(lambda k: _bouncing(k, wnp, steps))(2.0)
    assert np.isclose(value, x, rtol=1e-12) and np.isclose(grad, dx, rtol=1e-9)


def test_reading_a_value_never_walks_the_known_values():
    # an eager trace keeps every value it knows in one table; reading one more value must
    # cost what that value needs, not the table's size (else a loop with an `if` in every
    # step is quadratic in its length)
    from wire.core.values import toposort_from

    class NoWalk(dict):
        def __iter__(self):
            raise AssertionError("walked the known values")

        def keys(self):
            raise AssertionError("walked the known values")

    t = wire.var("t", shape=())
    y = wnp.sin(t) * 2.0 + 1.0
    known = NoWalk({t.node: np.array(0.5)})
    order = toposort_from([y.node], known)
    assert order[-1] is y.node and t.node not in order
    assert len(order) == len(set(order))


@pytest.mark.parametrize("x", [0.3, 1.5, 7.0, 500.0])
def test_while_for_break_under_grad_and_grad_of_grad(x):
    assert np.allclose(wire.grad(doubling)(x), fd(doubling_np, x), rtol=1e-6)
    d2 = wire.grad(wire.grad(doubling))(x)
    assert np.allclose(d2, fd(lambda t: fd(doubling_np, t, 1e-4), x, 1e-4), rtol=1e-4)


def test_if_inside_hessian_and_vmap():
    def f(x):
        return wnp.sum(x ** 3) if wnp.sum(x) > 0 else wnp.sum(wnp.cos(x))

    for x in (np.array([1.0, 2.0]), np.array([-1.0, -2.0])):
        want = np.diag(6 * x) if x.sum() > 0 else np.diag(-np.cos(x))
        assert np.allclose(wire.hessian(f)(x), want)
    xs = np.array([0.1, 1.0, -0.05, 3.0, -1.0])
    assert np.allclose(wire.vmap(wire.grad(piecewise))(xs), [1.0, 2.0, 1.0, 6.0, -2.0])
    assert np.allclose(wire.vmap(doubling)(xs[:4]), [doubling_np(x) for x in xs[:4]])


def masked_square_sum(x, ns=wnp):
    return ns.sum(x[x > 0.5] ** 2) + ns.sum(ns.sin(x[ns.nonzero(x < 0.0)]))


def test_boolean_masks_of_traced_values_under_eager_transforms():
    # x[x > 0.5] and nonzero(x < 0) read the eager trace's values (as JAX and autograd
    # without jit); a mask that changes between calls of one function gives a new graph
    df = wire.grad(masked_square_sum)
    for x in (np.array([0.2, 0.7, 0.9, -1.0]), np.array([0.9, -0.1, 0.0, 0.6]),
              np.array([0.2, 0.7, 0.9, -1.0]), np.zeros(4), np.array([-0.0, 2.0, -3.0, 0.5])):
        want = np.where(x > 0.5, 2 * x, 0.0) + np.where(x < 0.0, np.cos(x), 0.0)
        np.testing.assert_allclose(df(x), want, rtol=1e-15)
        if np.all(np.abs(x) > 1e-3) and np.all(np.abs(x - 0.5) > 1e-3):  # away from the kinks
            np.testing.assert_allclose(df(x), fd(lambda t: masked_square_sum(t, np), x),
                                       atol=1e-6)
    x = np.array([0.2, 0.7, 0.9, -1.0])
    np.testing.assert_allclose(wire.hessian(masked_square_sum)(x),
                               np.diag(np.where(x > 0.5, 2.0, 0.0) - np.where(x < 0, np.sin(x), 0)))
    xs = np.array([[0.2, 0.7, 0.9, -1.0], [0.9, 0.1, 0.0, 0.6]])  # masks differ per example
    np.testing.assert_allclose(wire.vmap(df)(xs), [df(xs[0]), df(xs[1])])
    m = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(wire.grad(lambda a: wnp.sum(a[a > 2]))(m), m > 2)
    with pytest.raises(wire.WireError, match="traced boolean mask.*without wire.jit"):
        wire.jit(df)(x)


def test_boolean_mask_of_the_wrong_shape_is_refused():
    # NumPy raises IndexError, and so does wire (a WireIndexError); taking the mask's non-zeros
    # alone would index a prefix silently
    m = np.arange(12.0).reshape(3, 4)
    for index in (np.array([True, False]), (Ellipsis, np.array([True, False, True])),
                  (slice(None), np.ones(3, bool))):
        with pytest.raises(IndexError):
            m[index]
        with pytest.raises(wire.WireIndexError, match=r"boolean index of shape \((2|3),\) does not "
                           r"match .*test_eager\.py:\d+"):
            wire.grad(lambda a, index=index: wnp.sum(a[index]))(m)
    np.testing.assert_array_equal(
        wire.grad(lambda a: wnp.sum(a[..., np.array([True, False, True, True])]))(m),
        np.broadcast_to([1.0, 0.0, 1.0, 1.0], (3, 4)))


def test_against_autograd():
    ag = pytest.importorskip("autograd")
    import autograd.numpy as anp

    def f_ag(x):
        y = x
        while anp.sum(y) < 10.0:
            y = y * 1.5
        return anp.sum(anp.sin(y))

    def f_w(x):
        y = x
        while wnp.sum(y) < 10.0:
            y = y * 1.5
        return wnp.sum(wnp.sin(y))

    for x in (np.array([0.5, 1.0]), np.array([3.0, 4.0])):
        assert np.allclose(wire.grad(f_w)(x), ag.grad(f_ag)(x), rtol=1e-12)



def test_jit_keeps_tracing_abstract_and_says_what_to_use():
    with pytest.raises(wire.TracerBoolError, match="static_argnums.*without wire.jit"):
        wire.jit(piecewise)(1.0)
    with pytest.raises(wire.TracerBoolError, match="test_eager.py"):
        wire.trace(piecewise, 1.0)


# --------------------------------------------------------------------------- arguments

X10 = np.arange(30.0).reshape(10, 3)


def sliced(w, i):
    return wnp.sum(X10[i * 2:i * 2 + 2] @ w)


def test_int_argument_slices_and_is_not_differentiated():
    for i in (0, 1, 3):
        assert np.allclose(wire.grad(sliced)(np.ones(3), i), X10[2 * i:2 * i + 2].sum(0))
    assert np.allclose(wire.grad(sliced, static_argnums=1)(np.ones(3), 2), X10[4:6].sum(0))
    with pytest.raises(wire.TracerBoolError, match="static argument"):
        wire.jit(sliced)(np.ones(3), 1)
    assert np.isclose(wire.jit(sliced, static_argnums=1)(np.ones(3), 1), X10[2:4].sum())


def test_static_argnums_on_transforms():
    def f(x, n):
        return wnp.sum(x ** n)

    x = np.array([1.0, 2.0])
    assert np.allclose(wire.grad(f, static_argnums=1)(x, 3), 3 * x ** 2)
    assert np.allclose(wire.value_and_grad(f, static_argnums=(1,))(x, 2)[1], 2 * x)
    assert np.allclose(wire.jit(wire.grad(f, static_argnums=1), static_argnums=1)(x, 3),
                       3 * x ** 2)
    assert np.allclose(wire.vmap(lambda x, n: x ** n, in_axes=(0, None),
                                 static_argnums=1)(x, 3), x ** 3)
    with pytest.raises(wire.WireError, match="static_argnums"):
        wire.grad(f, static_argnums=0)(x, 2)  # the differentiated argument cannot be static
    with pytest.raises(wire.WireError, match="static_argnums"):
        wire.grad(f, static_argnums=5)(x, 2)


def test_keyword_arguments_pass_through_every_transform():
    def f(x, *, scale, shift=0.0):
        return wnp.sum(wnp.sin(x * scale) + shift)

    x = np.array([0.3, -0.4])
    want = 2.0 * np.cos(2.0 * x)
    assert np.allclose(wire.grad(f)(x, scale=2.0), want)
    assert np.allclose(wire.value_and_grad(f)(x, scale=2.0, shift=1.0)[1], want)
    assert np.allclose(wire.jit(wire.grad(f))(x, scale=2.0), want)
    assert np.allclose(wire.jacrev(f)(x, scale=2.0), want)
    assert np.allclose(wire.jacfwd(f)(x, scale=2.0), want)
    assert np.allclose(wire.hessian(f)(x, scale=2.0), np.diag(-4.0 * np.sin(2.0 * x)))
    assert np.allclose(wire.vmap(lambda t, *, scale: wnp.sin(t * scale),
                                 static_argnames="scale")(x, scale=2.0), np.sin(2.0 * x))


def test_vmap_maps_keyword_arguments_over_axis_0_as_jax():
    import jax

    def f(x, y=0.0, *, d):
        return x * y + d["a"]

    xs, ys, ds = np.arange(3.0), np.arange(3.0) + 10, {"a": np.array([1.0, 2.0, 3.0])}
    want = np.asarray(jax.vmap(f)(xs, y=ys, d=ds))
    np.testing.assert_array_equal(want, xs * ys + ds["a"])
    np.testing.assert_array_equal(wire.vmap(f)(xs, y=ys, d=ds), want)
    np.testing.assert_array_equal(wire.jit(wire.vmap(f))(xs, y=ys, d=ds), want)
    np.testing.assert_array_equal(wire.vmap(f, in_axes=(None,))(np.float64(2.0), y=ys, d=ds),
                                  2.0 * ys + ds["a"])
    per_example = wire.vmap(wire.grad(lambda x, y: wnp.sum(x * y)))(xs, y=ys)
    np.testing.assert_array_equal(per_example, ys)
    # static by name stays unmapped, whether it comes before or after a mapped keyword
    g = lambda x, lr, y: x * lr + y  # noqa: E731
    np.testing.assert_array_equal(wire.vmap(g, static_argnames="lr")(xs, lr=0.5, y=ys),
                                  xs * 0.5 + ys)
    # a 0-d keyword cannot be mapped: JAX raises, and so does wire, saying what to do
    with pytest.raises(wire.WireError, match="static_argnames"):
        wire.vmap(f)(xs, y=2.0, d=ds)


def test_non_differentiated_array_argument_is_lifted_and_readable():
    seen = []

    def f(w, data):
        seen.append(wnp.sum(data).item())  # data does not depend on w: its value is known
        return wnp.dot(w, data)

    w = np.ones(3)
    for k in range(3):
        assert np.allclose(wire.grad(f)(w, np.full(3, k + 1.0)), k + 1.0)
    assert seen == [3.0, 6.0, 9.0]


def test_conversions_on_concrete_values():
    c = np.array([0.5, 1.5])
    out = []

    def f(x, data):
        s = wnp.sum(data * c)
        out.append((float(s), int(s), s.item(), f"{s:.2f}", bool(s > 1)))
        return x * s

    wire.grad(f)(1.0, np.ones(2))
    assert out == [(2.0, 2, 2.0, "2.00", True)]
    with pytest.raises(wire.WireTypeError, match="stop_gradient"):
        wire.grad(lambda x: x * float(x))(1.0)  # float() would cut the derivative
    assert int(wire.grad(lambda x: x * int(x))(2.5)) == 2  # int() carries no derivative


# --------------------------------------------------------------------------- lifted constants


def test_closure_over_new_data_reuses_one_derivative_graph():
    w = np.array([0.1, 0.2, 0.3, 0.4])
    rng = np.random.default_rng(0)
    misses = None
    for i in range(6):  # one source line: graphs traced elsewhere report their own lines
        x = rng.normal(size=4)
        g = wire.grad(lambda w: wnp.sum(wnp.tanh(w * x)))(w)
        assert np.allclose(g, x / np.cosh(w * x) ** 2)
        if i == 0:  # warm: derived once
            _, misses, _ = eager_grad_graph.cache_info()
    assert eager_grad_graph.cache_info()[1] == misses  # no new derivation


def test_lifted_graph_prints_saves_and_nests():
    d = np.arange(4.0)

    def f(w):
        return wnp.sum(wnp.sin(w * d))

    w = np.ones(4)
    assert np.allclose(wire.grad(f)(w), d * np.cos(w * d))
    graph = next(g for g in reversed(eager_grad_graph._cache.values())
                 if len(g.inputs) == 2 and g.inputs[1].aval.shape == (4,))
    assert "b:f64[4]" in str(graph) and "0.,1.,2.,3." not in str(graph)  # by shape
    path = os.path.join(tempfile.mkdtemp(), "g.json")
    wire.save(graph, path)
    assert np.allclose(wire.evaluate(wire.load(path), w, d + 1), (d + 1) * np.cos(d + 1))
    assert np.allclose(wire.grad(lambda v: wire.grad(f)(v)[2])(w), -4 * np.sin(2.0) * (d == 2))
    jf = wire.jit(wire.grad(f))
    assert np.allclose(jf(w), d * np.cos(w * d)) and np.allclose(jf(2 * w), d * np.cos(2 * d))


# --------------------------------------------------------------------------- weak typing


def test_python_scalars_are_weakly_typed_everywhere():
    x32 = np.array([1.0, 2.0], np.float32)
    x16 = x32.astype(np.float16)
    assert wire.grad(lambda w, lr: wnp.sum(w * lr))(x32, 0.1).dtype == np.float32
    assert wire.grad(lambda w: wnp.sum(w * 0.1))(x16).dtype == np.float16
    assert wire.jit(lambda w, lr: w - lr * w)(x32, 0.1).dtype == np.float32
    assert wire.vmap(lambda w, s: w * s, in_axes=(0, None))(x32, 0.5).dtype == np.float32
    vg = wire.value_and_grad(lambda w, s: wnp.sum(w * s))(x16, 2.0)
    assert vg[0].dtype == vg[1].dtype == np.float16
    assert wire.trace(lambda w, s: w * s, x32, 0.5).outputs[0].aval.dtype == np.float32


def test_float32_training_step_with_lr_argument():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(16, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], np.float32)).astype(np.float32)

    def loss(w):
        return wnp.mean((X @ w - y) ** 2)

    def step(w, lr):
        return w - lr * wire.grad(loss)(w)

    w = np.zeros(3, np.float32)
    ref = np.zeros(3)  # the same steps in float64 NumPy, by hand
    jstep = wire.jit(step)
    for _ in range(50):
        w = step(w, 0.05)
        ref = ref - 0.05 * 2 / len(y) * X.T.astype(float) @ (X.astype(float) @ ref - y)
        assert w.dtype == np.float32
    assert jstep(w, 0.05).dtype == np.float32
    assert np.allclose(w, ref, rtol=1e-4, atol=1e-5)
    assert np.allclose(jstep(w, 0.05), step(w, 0.05), rtol=1e-6)


# --------------------------------------------------------------------------- debug_nans, memo


def test_debug_nans_on_eager_wire_numpy():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(wnp.log(np.array([-1.0]))[0])  # off: NaN, as NumPy
        with wire.debug_nans():
            with pytest.raises(wire.FloatingPointError, match=r"log produced NaN.*test_eager"):
                wnp.log(np.array([-1.0]))
            with pytest.raises(wire.FloatingPointError, match="Inf"):
                wnp.divide(np.ones(2), np.array([1.0, 0.0]))
            assert np.allclose(wnp.log(np.array([1.0, np.e])), [0.0, 1.0])  # finite: passes
            assert np.isnan(wnp.sin(np.array([np.nan]))[0])  # NaN in, not an error


def test_custom_rule_functions_hit_the_memo():
    """odeint and the numeric quantiles make new rule closures each call; structurally equal
    closures (RuleKey) share one derivative graph."""
    from wire.scipy.integrate import odeint

    def loss(k):
        t = np.linspace(0.0, 1.0, 4)
        return wnp.sum(odeint(lambda y, t, k: -k * y, np.array([1.0]), t, k))

    wire.grad(loss)(0.5)
    misses = eager_grad_graph.cache_info()[1]
    for k in (0.6, 0.7):
        want = np.sum(-np.linspace(0, 1, 4) * np.exp(-k * np.linspace(0, 1, 4)))
        assert np.isclose(wire.grad(loss)(k), want, rtol=1e-5)
    assert eager_grad_graph.cache_info()[1] == misses


def test_nested_outputs_keep_their_structure_once_compiled():
    """The derivative graph is compiled after two evaluations: later calls must return the
    same pytree (value, (grad_x, grad_y)) and (grad, aux) as the first ones."""
    f = wire.value_and_grad(lambda x, y: wnp.sum(x * y * x), argnums=(0, 1))
    h = wire.grad(lambda x: (wnp.sum(x ** 2), {"n": wnp.sum(x)}), has_aux=True)
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    for _ in range(5):
        v, (gx, gy) = f(x, y)
        assert np.isclose(v, -1.0) and np.allclose(gx, 2 * x * y) and np.allclose(gy, x * x)
        g, aux = h(x)
        assert np.allclose(g, 2 * x) and set(aux) == {"n"} and np.isclose(aux["n"], 3.0)


def test_a_re_trace_finds_its_closed_graph_and_leaked_tracers_stay_leaked():
    # a finished eager trace's tag is reused only once nothing refers to the trace: then a
    # re-trace rebuilds the same interned nodes and finds its closed graph in the memo
    from wire.api.eager import _CLOSED

    f = lambda x: wnp.sum(wnp.tanh(x) ** 2)  # noqa: E731
    x = np.array([0.1, -0.2, 0.3])
    wire.grad(f)(x)
    hits = _CLOSED.cache_info()[0]
    for _ in range(3):
        np.testing.assert_allclose(wire.grad(f)(x), 2 * np.tanh(x) / np.cosh(x) ** 2)
    assert _CLOSED.cache_info()[0] == hits + 3
    # a tracer kept beyond its call keeps its trace's tag finished: using it in a later
    # trace of the same function, at the same depth, is an error, not a fresh argument
    kept = []

    def leaky(x):
        kept.append(x * 2.0)
        return f(x)

    wire.grad(leaky)(x)
    for _ in range(2):
        with pytest.raises(wire.UnexpectedTracerError):
            wire.grad(lambda x: wnp.sum(x * kept[0]))(x)
        with pytest.raises(wire.UnexpectedTracerError):
            wire.grad(lambda x: f(x) + (1.0 if kept[0][0] > 0 else 0.0))(x)
    # and a leaked tracer made without a trace state (a control-flow output) holds its tag too
    kept.clear()

    def leaky_cond(x):
        y = wire.cond(wnp.sum(x) > 0, lambda v: v * 2.0, lambda v: v, x)
        kept.append(y)
        return wnp.sum(y)

    wire.grad(leaky_cond)(x)
    with pytest.raises(wire.UnexpectedTracerError):
        wire.grad(lambda x: wnp.sum(x * kept[0]))(x)
