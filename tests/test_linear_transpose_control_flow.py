"""``wire.linear_transpose`` through control flow (cond/switch, scan, fori_loop with static
bounds, checkpoint), against ``jax.linear_transpose`` and the dot-product identity
<f(x), y> = <x, f_T(y)>, and its refusals (a predicate computed from the arguments, a
non-linear body, while_loop), as JAX's."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

W = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-2.0, 1.0, 0.5]])


class Lib:
    """The names a case uses, from wire or from JAX."""

    def __init__(self, is_jax: bool, dtype=np.float64):
        self.W = W.astype(dtype)
        self.lax = jax.lax if is_jax else wire.lax
        self.np = jnp if is_jax else wnp
        self.checkpoint = jax.checkpoint if is_jax else wire.checkpoint


def scan_body(L):
    return lambda c, v: (0.5 * c + L.W @ v, c - 2.0 * v)


def zero(x):
    return np.zeros((), x.dtype)


# name -> (f(L, *args), example arguments of the right shapes)
CASES = {
    "cond_true": (lambda L, x: L.lax.cond(True, lambda y: L.W @ y * 2.0, lambda y: -y, x),
                  (np.zeros(3),)),
    "cond_false": (lambda L, x: L.lax.cond(False, lambda y: L.W @ y * 2.0, lambda y: -y[::-1], x),
                   (np.zeros(3),)),
    "cond_closure_and_constant": (
        lambda L, x, z: L.lax.cond(np.array(1), lambda a, b: (a + b[0], 3.0 * b),
                                   lambda a, b: (a, b), x * 2.0, z),
        (np.zeros(3), np.zeros(3))),
    "switch": (lambda L, x: [L.lax.switch(i, [lambda y: y.sum() * 2.0, lambda y: (L.W @ y)[1],
                                              lambda y: -y[0]], x) for i in (0, 1, 7)],
               (np.zeros(3),)),
    "scan_carry_and_xs": (lambda L, c, xs: L.lax.scan(scan_body(L), c, xs), (np.zeros(3),
                                                                        np.zeros((4, 3)))),
    "scan_reverse": (lambda L, c, xs: L.lax.scan(scan_body(L), c, xs, reverse=True),
                     (np.zeros(3), np.zeros((4, 3)))),
    "scan_closure": (lambda L, x: L.lax.scan(lambda c, v: (c + x * v, c * 3.0), x,
                                             np.arange(1.0, 6.0, dtype=x.dtype))[1], (np.zeros(2),)),
    "scan_cumulative": (lambda L, x: L.lax.scan(lambda c, v: (c + 2.0 * v, c), zero(x), x)[1],
                        (np.zeros(5),)),
    "scan_constant_carry": (
        lambda L, x: L.lax.scan(lambda c, v: ((c[0] + 1.0, c[1] * L.np.cos(c[0]) + v),
                                              c[1]), (zero(x), zero(x)), x)[1],
        (np.zeros(4),)),
    "scan_carry_made_linear_by_body": (
        # the second carry starts as a constant; the body makes it linear at the first step
        lambda L, x: L.lax.scan(lambda c, v: ((c[0] + v, c[0] * 0.5), c[1]), (zero(x), zero(x)), x),
        (np.zeros(4),)),
    "fori_loop": (lambda L, x: L.lax.fori_loop(0, 4, lambda i, c: 0.5 * c + L.W @ x, x),
                  (np.zeros(3),)),
    "fori_loop_index": (lambda L, x: L.lax.fori_loop(1, 4, lambda i, c: c * i + L.np.take(x, i),
                                                  0.0 * x[0]),
                        (np.zeros(5),)),
    "checkpoint": (lambda L, x: L.checkpoint(lambda y: L.W @ (L.W @ y) - y)(x), (np.zeros(3),)),
    "scan_in_cond": (
        lambda L, x: L.lax.cond(True, lambda y: L.lax.scan(scan_body(L), y[0], y[1:])[1],
                                lambda y: y[1:] * 2.0, x),
        (np.zeros((4, 3)),)),
    "cond_in_scan": (
        lambda L, xs: L.lax.scan(lambda c, v: (L.lax.cond(False, lambda a: a * 2.0,
                                                          lambda a: L.W @ a + c, v), c), xs[0],
                                 xs)[0],
        (np.zeros((3, 3)),)),
    "checkpoint_in_scan": (
        lambda L, xs: L.lax.scan(lambda c, v: (L.checkpoint(lambda a, b: L.W @ a - b)(c, v), c),
                                 xs[0], xs[1:]),
        (np.zeros((4, 3)),)),
    "pytree_arguments": (
        lambda L, p, t: {"s": L.lax.scan(lambda c, v: (c + p["a"] * v, c),
                                         t[0], np.arange(3.0, dtype=t[0].dtype))[1],
                         "c": L.lax.cond(True, lambda u: u @ L.W, lambda u: u, p["b"] - t[1])},
        ({"a": np.zeros(2), "b": np.zeros(3)}, (np.zeros(2), np.zeros(3)))),
}


def random_like(rng, tree_, dtype):
    leaves, treedef = jax.tree_util.tree_flatten(tree_)
    return jax.tree_util.tree_unflatten(
        treedef, [np.asarray(rng.normal(size=np.shape(v)), dtype) for v in leaves])


def inner(a, b) -> float:
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert len(la) == len(lb)
    return sum(float(np.vdot(np.asarray(u, np.float64), np.asarray(v, np.float64)))
               for u, v in zip(la, lb))


# float32 on a few cases (the rest cost time and add little)
FLOAT32 = ("cond_in_scan", "checkpoint", "fori_loop", "scan_reverse", "pytree_arguments")


@pytest.mark.parametrize("name, dtype", [(n, np.float64) for n in sorted(CASES)] + [
    (n, np.float32) for n in FLOAT32])
def test_against_jax_and_the_dot_product_identity(name, dtype):
    f, args = CASES[name]
    rng = np.random.default_rng(sorted(CASES).index(name))
    primals = jax.tree_util.tree_map(lambda a: np.zeros(np.shape(a), dtype), args)
    out = jax.eval_shape(lambda *a: f(Lib(True, dtype), *a), *primals)
    ct = jax.tree_util.tree_map(
        lambda s: np.asarray(rng.normal(size=s.shape), s.dtype), out)
    WIRE, JAX = Lib(False, dtype), Lib(True, dtype)
    got = wire.linear_transpose(lambda *a: f(WIRE, *a), *primals)(ct)
    want = jax.linear_transpose(lambda *a: f(JAX, *a), *primals)(ct)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    gl, wl = jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(want)
    for g, w in zip(gl, wl):
        assert np.asarray(g).dtype == np.asarray(w).dtype == dtype
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
    # <f(x), y> = <x, f_T(y)>, f evaluated by wire on a random x
    x = random_like(rng, primals, dtype)
    fx = f(WIRE, *x)
    lhs, rhs = inner(fx, ct), inner(x, got)
    assert abs(lhs - rhs) <= tol * max(1.0, abs(lhs)) * 10, (lhs, rhs)


def test_the_transpose_is_jittable_and_reusable():
    f, args = CASES["scan_carry_and_xs"]
    t = wire.linear_transpose(lambda *a: f(Lib(False), *a), *args)
    ct = (np.ones(3), np.ones((4, 3)))
    want = jax.linear_transpose(lambda *a: f(Lib(True), *a), *args)(ct)
    for got in (t(ct), wire.jit(t)(ct), t(ct)):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-13)


def refused(f, *args, match):
    with pytest.raises(wire.NonDifferentiableError, match=match) as info:
        wire.linear_transpose(f, *args)
    assert "test_linear_transpose_control_flow.py:" in str(info.value)  # where
    return str(info.value)


def test_a_predicate_computed_from_the_arguments_is_refused_as_in_jax():
    x = np.zeros(3)
    with pytest.raises(Exception):
        jax.linear_transpose(
            lambda x: jax.lax.cond(x[0] > 0, lambda y: y, lambda y: -y, x), x)(x)
    refused(lambda x: wire.cond(x[0] > 0, lambda y: y, lambda y: -y, x), x,
            match="predicate of wire.cond")
    refused(lambda x: wire.switch(wnp.argmax(x), [lambda y: y, lambda y: -y], x), x,
            match="index of wire.switch")
    # also a predicate computed inside a scan body from its linear carry
    msg = refused(lambda x: wire.scan(lambda c, v: (wire.cond(c > 0, lambda a: a, lambda a: -a,
                                                              c + v), c), 0.0, x)[1], x,
                  match="predicate")
    assert "in the body of wire.scan" in msg
    # a predicate from a carry that is not computed from the arguments is fine
    def f(L, x):  # ys = [0, -x0, 2 (x1 - x0)]
        return L.lax.scan(lambda c, v: ((c[0] + 1.0, L.lax.cond(
            c[0] > 0.5, lambda a: 2.0 * a, lambda a: -a, c[1] + v)), c[1]), (0.0, 0.0), x)[1]

    got = wire.linear_transpose(lambda x: f(Lib(False), x), x)(np.ones(3))
    want = jax.linear_transpose(lambda x: f(Lib(True), x), x)(np.ones(3))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-15)
    np.testing.assert_allclose(got[0], [-3.0, 2.0, 0.0], rtol=1e-15)


def test_a_nonlinear_body_is_refused_naming_the_operation_and_where():
    x = np.zeros(3)
    msg = refused(lambda x: wire.scan(lambda c, v: (c * c + v, c), 0.0, x)[1], x,
                  match="'mul'")
    assert "not linear" in msg and "in the body of wire.scan" in msg
    # x * x only once the carry is linear: found by iterating over the carry
    msg = refused(lambda x: wire.scan(lambda c, v: ((c[1] * c[0], v), c[0]), (1.0, 0.0), x)[1],
                  x, match="'mul'")
    assert "in the body of wire.scan" in msg
    msg = refused(lambda x: wire.cond(True, wnp.floor, lambda y: -y, x), x, match="'floor'")
    assert "in the true branch of wire.cond" in msg
    msg = refused(lambda x: wire.cond(
        False, lambda y: y, lambda y: wire.scan(lambda c, v: (wnp.sin(c) + v, c), 0.0, y)[1], x),
        x, match="'sin'")
    assert "in the body of wire.scan/fori_loop, in the false branch of wire.cond" in msg
    refused(lambda x: wire.fori_loop(0, 2, lambda i, c: c * x, x), x, match="'mul'")
    refused(lambda x: wire.checkpoint(lambda y: wire.stop_gradient(y) + y)(x), x,
            match="stop_gradient.*in wire.checkpoint")
    refused(lambda x: wire.switch(1, [lambda y: y, lambda y: wnp.abs(y), lambda y: y], x), x,
            match="'abs'.*branch 1 of wire.cond/switch")


def test_while_loop_is_refused_as_in_jax():
    x = np.zeros(3)
    with pytest.raises(Exception):
        jax.linear_transpose(
            lambda x: jax.lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 2.0),
                                         (0, x))[1], x)(x)
    refused(lambda x: wire.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 2.0),
                                      (0, x))[1], x, match="while_loop does not transpose")
    # fori_loop with bounds computed from the arguments is a while_loop, as in JAX
    refused(lambda x: wire.fori_loop(0, wnp.sum(x).astype(int), lambda i, c: c * 2.0, x), x,
            match="'convert'")


def test_a_refusal_inside_a_sub_graph_names_this_trace_line():
    # interning shares the checkpoint body's nodes with an earlier trace of equal code at
    # another line: the error names the line of the function being transposed (the
    # checkpoint's sub-graph dropped its trace's location table)
    x = np.ones(3)
    elsewhere = lambda x: wire.stop_gradient(x) * 2.0 + x  # noqa: E731
    wire.jit(elsewhere)(x)
    wire.grad(lambda x: wnp.sum(elsewhere(x)))(x)
    with pytest.raises(wire.NonDifferentiableError, match="stop_gradient") as info:
        wire.linear_transpose(lambda x: wire.checkpoint(lambda y: wire.stop_gradient(y) + y)(x), x)
    line = test_a_refusal_inside_a_sub_graph_names_this_trace_line.__code__.co_firstlineno
    assert f"test_linear_transpose_control_flow.py:{line + 9}" in str(info.value)
