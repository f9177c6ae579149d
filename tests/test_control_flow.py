"""Control flow: cond/switch, while_loop, fori_loop, scan — values, derivatives in both modes
(against unrolled Python and finite differences), higher order, batching, closures, pytrees,
graph size, printing, and the errors that teach the fix."""

from __future__ import annotations

import math
import os
from collections import namedtuple

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.higher_order.cond import cond_p
from wire.higher_order.scan import scan_p
from wire.higher_order.while_loop import while_p

RNG = np.random.default_rng(0)


def _fd(f, x, eps=1e-6):
    """Central finite-difference gradient of scalar ``f`` at array ``x``."""
    x = np.asarray(x, float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (float(f(x + d)) - float(f(x - d))) / (2 * eps)
    return g


def _prims(graph):
    return [n.op.name for n in graph.nodes if not n.is_leaf]


# --------------------------------------------------------------------------- scan RNN


H, T = 5, 50
W = RNG.normal(size=(H, H)) * 0.4
U = RNG.normal(size=(H, 3)) * 0.4
XS = RNG.normal(size=(T, 3))
H0 = RNG.normal(size=H) * 0.1


def rnn_scan(w, u, h0, xs):
    def step(h, x):
        h = wnp.tanh(w @ h + u @ x)
        return h, wnp.sum(h * h)

    h, losses = wire.scan(step, h0, xs)
    return wnp.sum(h) + wnp.mean(losses)


def rnn_unrolled(w, u, h0, xs):
    h, losses = h0, []
    for t in range(xs.shape[0]):
        h = wnp.tanh(w @ h + u @ xs[t])
        losses.append(wnp.sum(h * h))
    return wnp.sum(h) + sum(losses) / len(losses)


def test_scan_rnn_value_and_gradient_match_unrolled():
    args = (W, U, H0, XS)
    np.testing.assert_allclose(rnn_scan(*args), rnn_unrolled(*args), rtol=1e-12)
    got = wire.grad(rnn_scan, argnums=(0, 1, 2, 3))(*args)
    want = wire.grad(rnn_unrolled, argnums=(0, 1, 2, 3))(*args)
    for g, w_ in zip(got, want):
        np.testing.assert_allclose(g, w_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[2], _fd(lambda h: rnn_scan(W, U, h, XS), H0), atol=1e-7)


def test_scan_rnn_jvp_matches_unrolled():
    v = RNG.normal(size=W.shape)
    p1, t1 = wire.jvp(lambda w: rnn_scan(w, U, H0, XS), (W,), (v,))
    p2, t2 = wire.jvp(lambda w: rnn_unrolled(w, U, H0, XS), (W,), (v,))
    np.testing.assert_allclose(p1, p2, rtol=1e-12)
    np.testing.assert_allclose(t1, t2, rtol=1e-10)


def test_scan_graph_size_is_independent_of_length():
    def f(w, xs):
        return wire.scan(lambda h, x: (wnp.tanh(w * h + x), None), 0.0, xs)[0]

    sizes = [len(wire.trace(f, 0.5, np.zeros(n))) for n in (10, 1000)]
    assert sizes[0] == sizes[1] < 10
    gsizes = [len(wire.trace(wire.grad(f), 0.5, np.zeros(n))) for n in (10, 1000)]
    assert gsizes[0] == gsizes[1] < 30
    assert _prims(wire.trace(f, 0.5, np.zeros(1000))).count("scan") == 1


def test_second_and_third_derivative_through_scan():
    def f(a):
        return wire.scan(lambda c, x: (wnp.sin(c * a + x), c * c), 0.3, np.arange(4.0))[0]

    def unrolled(a):
        c = 0.3
        for x in np.arange(4.0):
            c = wnp.sin(c * a + x)
        return c

    for k in (1, 2, 3):
        fs, fu = f, unrolled
        for _ in range(k):
            fs, fu = wire.grad(fs), wire.grad(fu)
        np.testing.assert_allclose(fs(0.7), fu(0.7), rtol=1e-9)
    np.testing.assert_allclose(
        wire.grad(wire.grad(f))(0.7), _fd(wire.grad(f), 0.7), rtol=1e-6
    )


def test_hessian_through_scan():
    def f(x):
        return wire.scan(lambda c, xi: (c * xi + wnp.sin(c), None), 0.5, x)[0]

    def unrolled(x):
        c = 0.5
        for i in range(3):
            c = c * x[i] + wnp.sin(c)
        return c

    x = np.array([0.3, -1.2, 0.8])
    np.testing.assert_allclose(wire.hessian(f)(x), wire.hessian(unrolled)(x), rtol=1e-9)


def test_nested_scans():
    xs = RNG.normal(size=(4, 3))

    def f(a):
        def outer(c, row):
            inner, _ = wire.scan(lambda d, x: (d * a + wnp.sin(x + c), None), c, row)
            return inner, inner * c

        c, ys = wire.scan(outer, 0.1, xs)
        return c + wnp.sum(ys)

    def unrolled(a):
        c, total = 0.1, 0.0
        for row in xs:
            d = c
            for x in row:
                d = d * a + wnp.sin(x + c)
            total = total + d * c
            c = d
        return c + total

    np.testing.assert_allclose(f(0.9), unrolled(0.9), rtol=1e-12)
    np.testing.assert_allclose(wire.grad(f)(0.9), wire.grad(unrolled)(0.9), rtol=1e-10)
    np.testing.assert_allclose(
        wire.grad(wire.grad(f))(0.9), wire.grad(wire.grad(unrolled))(0.9), rtol=1e-9
    )
    _, t = wire.jvp(f, (0.9,), (1.0,))
    np.testing.assert_allclose(t, wire.grad(unrolled)(0.9), rtol=1e-10)


def test_scan_reverse_pytrees_and_no_ys():
    State = namedtuple("State", "h count")
    xs = {"a": np.arange(3.0), "b": np.arange(6.0).reshape(3, 2)}

    def step(s, x):
        h = s.h * 0.5 + x["a"] + x["b"].sum()
        return State(h, s.count + 1), {"h": h, "pair": (h, -h)}

    s, ys = wire.scan(step, State(1.0, 0), xs, reverse=True)
    assert isinstance(s, State) and int(s.count) == 3
    h, hs = 1.0, []
    for t in (2, 1, 0):
        h = h * 0.5 + xs["a"][t] + xs["b"][t].sum()
        hs.append(h)
    np.testing.assert_allclose(s.h, h)
    np.testing.assert_allclose(ys["h"], hs[::-1])
    np.testing.assert_allclose(ys["pair"][1], -np.array(hs[::-1]))

    # y = None and xs = None with length
    c, ys = wire.scan(lambda c, _: (c * 2.0, None), 1.0, None, length=5)
    assert ys is None and float(c) == 32.0

    def loss(x0):
        s, ys = wire.scan(step, State(x0, 0), xs, reverse=True)
        return s.h + wnp.sum(ys["pair"][0])

    np.testing.assert_allclose(wire.grad(loss)(1.0), _fd(loss, 1.0), rtol=1e-7)


def test_scan_closure_over_outer_tracers_and_vars():
    def f(w, b):
        scale = w * 2.0  # an outer non-leaf value: hoisted into an operand of the scan
        return wire.scan(lambda c, x: (c * scale + b * x, c), 1.0, np.arange(3.0))[0]

    def unrolled(w, b):
        c = 1.0
        for x in np.arange(3.0):
            c = c * w * 2.0 + b * x
        return c

    for k in (0, 1):
        np.testing.assert_allclose(
            wire.grad(f, argnums=k)(0.3, 0.7), wire.grad(unrolled, argnums=k)(0.3, 0.7)
        )
    g = wire.trace(f, 0.3, 0.7)
    (scan_node,) = [n for n in g.nodes if n.op is scan_p]
    body = scan_node.params["body"]
    assert not body.free_vars
    assert scan_node.inputs[0].op.name == "mul"  # w * 2.0 is computed once, outside the loop
    assert len(body.inputs) == 2 + 1 + 1  # scale, b, carry, x

    x = wire.var("x", shape=())
    y = wire.scan(lambda c, t: (c + x * t, None), 0.0, np.arange(4.0))[0]
    (gx,) = wire.gradients(y, [x])
    assert wire.evaluate([y, gx], {x: 2.0}) == [12.0, 6.0]


def test_scan_errors():
    with pytest.raises(wire.ShapeError, match="carry"):
        wire.scan(lambda c, x: (c.astype(np.float32), None), np.float64(1.0), np.ones(3))
    with pytest.raises(wire.ShapeError, match="leading axes"):
        wire.scan(lambda c, x: (c, None), 1.0, (np.ones(3), np.ones(4)))
    with pytest.raises(wire.WireTypeError, match="pair"):
        wire.scan(lambda c, x: c, 1.0, np.ones(3))
    with pytest.raises(wire.WireError, match="length"):
        wire.scan(lambda c, x: (c, None), 1.0, None)


# --------------------------------------------------------------------------- fori / while


def test_fori_loop_newton_iteration():
    def sqrt_newton(a):
        return wire.fori_loop(0, 8, lambda i, x: 0.5 * (x + a / x), a)

    np.testing.assert_allclose(sqrt_newton(2.0), np.sqrt(2.0), rtol=1e-14)
    np.testing.assert_allclose(wire.grad(sqrt_newton)(2.0), 0.5 / np.sqrt(2.0), rtol=1e-10)
    np.testing.assert_allclose(
        wire.grad(wire.grad(sqrt_newton))(2.0), -0.25 * 2.0 ** -1.5, rtol=1e-8
    )
    _, t = wire.jvp(sqrt_newton, (2.0,), (1.0,))
    np.testing.assert_allclose(t, 0.5 / np.sqrt(2.0), rtol=1e-10)


def test_fori_loop_uses_the_index_and_traced_bounds():
    f = lambda x: wire.fori_loop(1, 4, lambda i, v: v * x + i, 0.0)  # noqa: E731
    np.testing.assert_allclose(f(2.0), ((1 * 2 + 2) * 2 + 3))
    np.testing.assert_allclose(wire.grad(f)(2.0), _fd(f, 2.0), rtol=1e-7)

    def g(n, x):  # traced upper bound: a while loop, forward mode only
        return wire.fori_loop(0, n, lambda i, v: v * x, 1.0)

    assert float(wire.jit(g)(3, 2.0) if hasattr(wire, "jit") else g(3, 2.0)) == 8.0
    traced = wire.trace(g, 3, 2.0)
    assert any(n.op is while_p for n in traced.nodes)
    _, t = wire.jvp(lambda x: g(np.int64(3), x), (2.0,), (1.0,))
    np.testing.assert_allclose(t, 12.0)


def test_while_loop_fixed_point_forward_and_jvp():
    def fixed_point(a):
        # x = cos(a x): iterate until converged
        def body(c):
            x, _, k = c
            return wnp.cos(a * x), x, k + 1

        def cond(c):
            x, prev, k = c
            return (wnp.abs(x - prev) > 1e-13) & (k < 500)

        x, _, k = wire.while_loop(cond, body, (1.0, 0.0, 0))
        return x

    a = 0.8
    x = fixed_point(a)
    np.testing.assert_allclose(x, np.cos(a * x), atol=1e-12)
    # implicit function theorem: dx/da = -x sin(ax) / (1 + a sin(ax))
    want = -x * np.sin(a * x) / (1 + a * np.sin(a * x))
    _, t = wire.jvp(fixed_point, (a,), (1.0,))
    np.testing.assert_allclose(t, want, rtol=1e-8)
    assert _prims(wire.trace(fixed_point, a)).count("while") == 1


def test_while_loop_reverse_mode_is_an_error_that_suggests_scan():
    f = lambda x: wire.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, x)  # noqa: E731
    with pytest.raises(wire.NonDifferentiableError) as e:
        wire.grad(f)(1.0)
    msg = str(e.value)
    assert "fori_loop" in msg and "scan" in msg and "test_control_flow.py" in msg


def test_while_loop_errors():
    with pytest.raises(wire.ShapeError, match="body_fn"):
        wire.while_loop(lambda c: c < 3, lambda c: c + 1.5, np.int64(0))
    with pytest.raises(wire.ShapeError, match="scalar"):
        wire.while_loop(lambda c: c < 3.0, lambda c: c + 1.0, np.zeros(2))


# --------------------------------------------------------------------------- cond / switch


def test_cond_values_gradients_and_jvp():
    def f(x, y):
        return wire.cond(x > y, lambda a, b: a * b * b, lambda a, b: wnp.sin(a) - b, x, y)

    for x, y in ((2.0, 1.0), (-1.0, 0.5)):
        want = x * y * y if x > y else np.sin(x) - y
        np.testing.assert_allclose(f(x, y), want)
        gx, gy = wire.grad(f, argnums=(0, 1))(x, y)
        np.testing.assert_allclose(gx, _fd(lambda t: f(t, y), x), rtol=1e-7)
        np.testing.assert_allclose(gy, _fd(lambda t: f(x, t), y), rtol=1e-7)
        _, t = wire.jvp(f, (x, y), (1.0, 0.0))
        np.testing.assert_allclose(t, gx, rtol=1e-12)
    np.testing.assert_allclose(wire.grad(wire.grad(f))(2.0, 1.0), 0.0)
    np.testing.assert_allclose(wire.grad(wire.grad(f))(-1.0, 0.5), -np.sin(-1.0))


def test_switch_with_three_branches_and_clamping():
    branches = [lambda x: x * x, lambda x: wnp.exp(x), lambda x: -3.0 * x]
    f = lambda i, x: wire.switch(i, branches, x)  # noqa: E731
    for i, want, dwant in ((0, 4.0, 4.0), (1, np.exp(2.0), np.exp(2.0)), (2, -6.0, -3.0),
                           (5, -6.0, -3.0), (-1, 4.0, 4.0)):
        np.testing.assert_allclose(f(i, 2.0), want)
        np.testing.assert_allclose(wire.grad(f, argnums=1)(i, 2.0), dwant)
        np.testing.assert_allclose(wire.jvp(lambda x: f(i, x), (2.0,), (1.0,))[1], dwant)
    g = wire.trace(f, 1, 2.0)
    (node,) = [n for n in g.nodes if n.op is cond_p]
    assert len(node.params["branches"]) == 3


def test_cond_pytrees_and_closures():
    def f(p, x):
        bias = p["b"] * 2.0
        return wire.cond(
            x.sum() > 0,
            lambda v: {"out": v * p["w"] + bias, "aux": (v, 1.0)},
            lambda v: {"out": v - bias, "aux": (-v, 0.0)},
            x,
        )

    p = {"w": 3.0, "b": 0.5}
    out = f(p, np.ones(2))
    np.testing.assert_allclose(out["out"], [4.0, 4.0])
    assert float(out["aux"][1]) == 1.0
    g = wire.grad(lambda p, x: wnp.sum(f(p, x)["out"]))(p, np.ones(2))
    np.testing.assert_allclose([g["w"], g["b"]], [2.0, 4.0])
    g = wire.grad(lambda p, x: wnp.sum(f(p, x)["out"]))(p, -np.ones(2))
    np.testing.assert_allclose([g["w"], g["b"]], [0.0, -4.0])


def test_cond_errors():
    with pytest.raises(wire.ShapeError, match="branch 1"):
        wire.cond(True, lambda x: x, lambda x: x.sum(), np.ones(3))
    with pytest.raises(wire.ShapeError, match="scalar"):
        wire.trace(lambda x: wire.cond(x > 0, lambda v: v, lambda v: -v, x), np.ones(3))


def test_cond_inside_grad_inside_vmap():
    def f(x):
        return wire.cond(x > 0, lambda v: v ** 3, lambda v: wnp.sin(v), x)

    xs = np.array([-1.5, -0.2, 0.4, 2.0])
    got = wire.vmap(wire.grad(f))(xs)
    want = np.where(xs > 0, 3 * xs ** 2, np.cos(xs))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # the batched predicate became both branches + a select: no cond node is left
    g = wire.trace(wire.vmap(wire.grad(f)), xs)
    assert "cond" not in _prims(g) and "select" in _prims(g)
    np.testing.assert_allclose(wire.grad(lambda v: wnp.sum(wire.vmap(f)(v)))(xs), want)


def test_vmap_of_cond_with_unbatched_predicate_keeps_the_cond():
    f = lambda flag, x: wire.cond(flag, lambda v: v * 2.0, lambda v: v - 1.0, x)  # noqa: E731
    xs = np.arange(3.0)
    np.testing.assert_allclose(wire.vmap(f, in_axes=(None, 0))(True, xs), xs * 2.0)
    g = wire.trace(wire.vmap(f, in_axes=(None, 0)), True, xs)
    assert "cond" in _prims(g)


def test_vmap_of_switch_with_batched_index():
    branches = [lambda x: x + 1.0, lambda x: x * 10.0, lambda x: -x]
    idx = np.array([0, 1, 2, 7, -3])
    xs = np.arange(5.0)
    got = wire.vmap(lambda i, x: wire.switch(i, branches, x))(idx, xs)
    want = [branches[min(max(i, 0), 2)](x) for i, x in zip(idx, xs)]
    np.testing.assert_allclose(got, want)


def test_vmap_of_scan_and_per_example_gradients():
    ws = RNG.normal(size=(4,)) * 0.5

    def f(w):
        return wire.scan(lambda c, x: (wnp.tanh(w * c + x), c), 0.2, XS[:10, 0])[0]

    np.testing.assert_allclose(wire.vmap(f)(ws), [f(w) for w in ws], rtol=1e-12)
    np.testing.assert_allclose(
        wire.vmap(wire.grad(f))(ws), [wire.grad(f)(w) for w in ws], rtol=1e-12
    )
    # batched xs (batch axis not the scan axis) and batched ys
    xb = RNG.normal(size=(3, 6))
    run = lambda x: wire.scan(lambda c, t: (c + t, c * t), 0.0, x)  # noqa: E731
    c, ys = wire.vmap(run)(xb)
    for k in range(3):
        ck, yk = run(xb[k])
        np.testing.assert_allclose(c[k], ck)
        np.testing.assert_allclose(ys[k], yk)


def test_vmap_of_while_with_batched_predicate():
    def collatz_steps(n):
        def body(c):
            m, k = c
            return wire.cond(m % 2 == 0, lambda v: v // 2, lambda v: 3 * v + 1, m), k + 1

        return wire.while_loop(lambda c: c[0] != 1, body, (n, 0))[1]

    ns = np.array([1, 2, 3, 6, 7, 27])
    want = []
    for n in ns:
        k = 0
        while n != 1:
            n, k = (n // 2 if n % 2 == 0 else 3 * n + 1), k + 1
        want.append(k)
    np.testing.assert_array_equal(wire.vmap(collatz_steps)(ns), want)


def test_vmap_of_while_with_unbatched_predicate_and_jvp():
    def f(x):
        return wire.while_loop(lambda c: c[1] < 3, lambda c: (c[0] * x, c[1] + 1), (1.0, 0))[0]

    xs = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(wire.vmap(f)(xs), xs ** 3)
    tangents = wire.vmap(lambda x: wire.jvp(f, (x,), (1.0,))[1])(xs)
    np.testing.assert_allclose(tangents, 3 * xs ** 2)


# --------------------------------------------------------------------------- jit, printing


def test_under_jit_loops_stay_loops():
    jit = getattr(wire, "jit", None)
    if jit is None:
        pytest.skip("wire.jit not available")
    f = jit(wire.grad(rnn_scan))
    np.testing.assert_allclose(f(W, U, H0, XS), wire.grad(rnn_unrolled)(W, U, H0, XS),
                               rtol=1e-10)
    c = jit(lambda x: wire.cond(x > 0, lambda v: v * 2.0, lambda v: -v, x))
    assert float(c(3.0)) == 6.0 and float(c(-3.0)) == 3.0
    w = jit(lambda x: wire.while_loop(lambda v: v < 100.0, lambda v: v * 3.0, x))
    assert float(w(1.0)) == 243.0


def test_printed_graph_shows_sub_graphs_indented():
    text = str(wire.trace(lambda x: wire.cond(x > 0, lambda v: v * 2.0, lambda v: -v, x), 1.0))
    assert "cond[branches={2 graphs}]" in text
    assert "    branches[1] =\n      graph(a:f64[]) {" in text
    text = str(wire.trace(lambda x: wire.scan(lambda c, t: (c + t, None), 0.0, x)[0],
                          np.ones(3)))
    assert "    body =\n      graph(" in text


def test_graphs_with_sub_graphs_are_values():
    f = lambda x: wire.scan(lambda c, t: (c * t, c), 1.0, x)  # noqa: E731
    g1, g2 = wire.trace(f, np.ones(4)), wire.trace(f, np.zeros(4))
    assert g1 == g2 and hash(g1) == hash(g2)
    assert wire.trace(f, np.ones(5)) != g1


def test_concrete_calls_run_eagerly():
    out = wire.cond(np.bool_(True), lambda a: a + 1, lambda a: a - 1, np.arange(3))
    np.testing.assert_array_equal(out, [1, 2, 3])
    assert isinstance(out, np.ndarray)
    c, ys = wire.scan(lambda c, x: (c + x, c), 0, np.arange(4))
    assert int(c) == 6 and list(ys) == [0, 0, 1, 3]


# --------------------------------------------------------------------------- TracerBoolError


def _this_file_line(msg):
    return os.path.basename(__file__) + ":" in msg


def test_python_if_on_a_tracer_teaches_the_fix():
    def f(x):
        if x > 0:
            return x
        return -x

    assert wire.grad(f)(1.0) == 1.0 and wire.grad(f)(-1.0) == -1.0  # eager: values known
    with pytest.raises(wire.TracerBoolError) as e:
        wire.jit(wire.grad(f))(1.0)
    msg = str(e.value)
    assert _this_file_line(msg) and "wire.cond" in msg and "where" in msg and "static" in msg
    assert "without wire.jit" in msg


def test_python_while_on_a_tracer():
    def f(x):
        while x < 10:
            x = x * 2
        return x

    with pytest.raises(wire.TracerBoolError) as e:
        wire.trace(f, 1.0)
    assert _this_file_line(str(e.value)) and "wire.while_loop" in str(e.value)


@pytest.mark.parametrize("conv", [bool, int, float])
def test_bool_int_float_of_a_tracer(conv):
    with pytest.raises(wire.TracerBoolError) as e:
        wire.trace(lambda x: conv(x) * x, 1.0)
    msg = str(e.value)
    assert _this_file_line(msg) and ("wire.cond" in msg or "static" in msg)


# --------------------------------------------------------------------------- passes, debugging


def test_value_and_grad_shares_the_forward_loop():
    f = lambda w: wire.scan(lambda c, x: (wnp.tanh(c * w + x), c), 0.1, XS[:, 0])[0] ** 2  # noqa: E731
    g = wire.trace(wire.value_and_grad(f), 0.7)
    assert _prims(g).count("scan") == 2  # residual-saving forward scan + reverse scan
    val, grad = wire.value_and_grad(f)(0.7)
    np.testing.assert_allclose(val, f(0.7))
    np.testing.assert_allclose(grad, _fd(f, 0.7), rtol=1e-6)


def test_chained_scans_share_loops_and_drop_dead_outputs():
    def f(w):
        c1, ys = wire.scan(lambda c, x: (wnp.sin(c * w + x), c * x), 0.1, XS[:8, 0])
        c2, zs = wire.scan(lambda c, y: (c + wnp.tanh(y * w), c), c1, ys)
        return c2 ** 2 + c1

    def unrolled(w):
        c, ys = 0.1, []
        for x in XS[:8, 0]:
            ys.append(c * x)
            c = wnp.sin(c * w + x)
        c1 = c
        for y in ys:
            c = c + wnp.tanh(y * w)
        return c ** 2 + c1

    vg = wire.value_and_grad(f)
    np.testing.assert_allclose(vg(0.6), wire.value_and_grad(unrolled)(0.6), rtol=1e-12)
    g = wire.trace(vg, 0.6)
    scans = [n for n in g.nodes if n.op is scan_p]
    assert len(scans) == 4  # two forward (primal shared with residuals), two reverse
    for n in scans:  # no scan computes per-step outputs that nobody reads
        used = {u.params["index"] for u in g.nodes if u.inputs and u.inputs[0] is n}
        assert set(range(n.params["num_carry"], len(n.aval))) <= used


def test_debug_nans_reports_a_nan_made_inside_a_loop_body():
    debug_nans = getattr(wire, "debug_nans", None)
    if debug_nans is None:
        pytest.skip("wire.debug_nans not available")
    f = lambda xs: wire.scan(lambda c, x: (c + wnp.log(2.0 * x), None), 0.0, xs)[0]  # noqa: E731
    g = wire.trace(f, np.ones(3))
    with np.errstate(invalid="ignore"):
        assert np.isnan(wire.evaluate(g, np.array([1.0, -1.0, 2.0])))
    with debug_nans(), pytest.raises(wire.FloatingPointError, match="log"):
        wire.evaluate(g, np.array([1.0, -1.0, 2.0]))


def test_save_and_load_graphs_with_sub_graphs():
    f = lambda x: wire.cond(  # noqa: E731
        x.sum() > 0, lambda v: wire.scan(lambda c, t: (c + t, c), 0.0, v),
        lambda v: (v.sum(), v), x,
    )
    g = wire.trace(f, np.ones(3))
    g2 = wire.loads(wire.dumps(g))
    assert g2 == g
    for x in (np.arange(3.0), -np.arange(3.0)):
        for a, b in zip(wire.evaluate(g2, x), f(x)):
            np.testing.assert_allclose(a, b)


# JAX's fori_loop (0.10, x64): concrete bounds of one dtype (floats and bools truncated by
# int()), or a Python int beside a signed integer; the index of a static loop is a weakly
# typed Python int, so a float32 carry stays float32. Each row: bounds, then the sum of the
# indices (a float32 carry) or the error.
FORI_BOUNDS = [
    ((0, 3), 3.0), ((np.int32(0), np.int32(3)), 3.0), ((np.int8(0), 3), 3.0),
    ((0, np.int16(4)), 6.0), ((0.0, 3.0), 3.0), ((0.5, 3.7), 3.0), ((-2.5, 1.0), -3.0),
    ((np.float32(1), np.float32(3)), 3.0), ((False, True), 0.0), ((np.array(1), np.array(3)), 3.0),
    ((5, 2), 0.0), ((-3, 2), -5.0),
    ((0.0, 3), wire.WireTypeError), ((np.int8(0), np.int16(3)), wire.WireTypeError),
    ((np.uint8(0), np.int8(3)), wire.WireTypeError), ((np.uint32(0), 3), wire.WireTypeError),
    ((np.array([0]), 3), wire.WireTypeError), ((0j, 3j), wire.WireTypeError),
    ((None, 3), wire.WireTypeError), ((0.0, math.inf), wire.WireValueError),
]


@pytest.mark.parametrize("bounds,want", FORI_BOUNDS, ids=[repr(b) for b, _ in FORI_BOUNDS])
def test_fori_loop_bounds_follow_jax(bounds, want):
    def f(c):
        return wire.fori_loop(*bounds, lambda i, v: v + i, c)

    c = np.float32(0.0)
    if isinstance(want, type):
        with pytest.raises(want, match="fori_loop"):
            f(c)
        return
    for out in (f(c), wire.jit(f)(c)):
        assert out.dtype == np.float32 and float(out) == want


def test_fori_loop_traced_bounds_follow_jax():
    body = lambda i, v: v + i  # noqa: E731
    # a traced bound: a while loop whose index has the bounds' dtype (JAX's too)
    out = wire.jit(lambda n: wire.fori_loop(0, n, lambda i, v: v + i, np.int32(0)))(np.int32(4))
    assert out.dtype == np.int32 and int(out) == 6
    assert float(wire.jit(lambda a, b: wire.fori_loop(a, b, body, 0.0))(0.5, 3.0)) == 4.5
    with pytest.raises(wire.WireTypeError, match="one dtype, got int64 and float64"):
        wire.jit(lambda n: wire.fori_loop(0, n, body, 0.0))(3.0)
    with pytest.raises(wire.WireValueError, match="unroll=2 needs concrete bounds"):
        wire.jit(lambda n: wire.fori_loop(0, n, body, 0.0, unroll=2))(3)
    assert float(wire.jit(lambda n: wire.fori_loop(0, n, body, 0.0, unroll=True))(3)) == 3.0
