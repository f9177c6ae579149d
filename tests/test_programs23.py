"""Small programs a JAX or autograd user writes, run through the transforms with pytrees,
Python branches, signed zeros and NaNs, and checked against JAX's documented behaviour, closed
forms or finite differences. The first ones pin defects wire had before: an eager ``vmap``
whose examples take different Python branches kept the first group's value of an output with
``out_axes=None`` (the other groups' values were dropped), raised NumPy's bare ValueError for
branches returning different shapes, and a Python decision in a ``vmap`` of no examples raised
IndexError; JAX keywords (``prevent_cse``, ``keep_unused``, ``inline``, ``axis_name``)
raised. The last ones are programs wire already got right, kept as regressions.
"""

from __future__ import annotations

import numpy as np
import pytest

import wire
import wire.numpy as wnp

EXAMPLES = np.array([1.0, -1.0, 2.0])


# ---------------------------------------------------------------- vmap over Python branches


def test_vmap_branches_disagreeing_on_an_unmapped_output_raise():
    # each example's second output is 1.0 or 2.0: no single value stands for all of them
    # (the old result was 1.0, the first group's, for every example)
    def f(v):
        return (v, 1.0) if v > 0 else (v, 2.0)

    with pytest.raises(wire.WireError, match="out_axes is None for output 1"):
        wire.vmap(f, out_axes=(0, None))(EXAMPLES)
    # mapped, the values are the examples' own: a plain loop's
    mapped = wire.vmap(f)(EXAMPLES)
    np.testing.assert_array_equal(mapped[1], [f(float(v))[1] for v in EXAMPLES])


def test_vmap_branches_agreeing_on_an_unmapped_output_keep_it():
    out = wire.vmap(lambda v: (v * 2, 1.5) if v > 0 else (-v, 1.5),
                    out_axes=(0, None))(EXAMPLES)
    np.testing.assert_array_equal(out[0], [2.0, 1.0, 4.0])
    assert out[1] == 1.5 and np.ndim(out[1]) == 0
    # the signed zeros of a constant tell two values apart
    with pytest.raises(wire.WireError, match="out_axes is None"):
        wire.vmap(lambda v: (v, 0.0) if v > 0 else (v, -0.0), out_axes=(0, None))(EXAMPLES)


def test_vmap_branches_under_grad_unmapped_traced_output():
    # the same traced value from every branch: its derivative (d/dy 3y = 3, of 3 * 2y = 6)
    def unmapped(g):
        return lambda y: wire.vmap(lambda v: (v * y, g(y)) if v > 0 else (v, g(y)),
                                   out_axes=(0, None))(EXAMPLES)[1] * 3

    assert float(wire.grad(unmapped(lambda y: y))(2.0)) == 3.0
    assert float(wire.grad(unmapped(lambda y: y * 2))(2.0)) == 6.0
    # 2y in one branch, y + 2 in the other: equal values at y = 2, unequal derivatives
    with pytest.raises(wire.WireError, match="out_axes is None"):
        wire.grad(lambda y: wire.vmap(lambda v: (v, y * 2) if v > 0 else (v, y + 2),
                                      out_axes=(0, None))(EXAMPLES)[1])(2.0)
    # mapped outputs of the branches: the derivative of the sum, as a Python loop's
    loss = lambda y: wnp.sum(wire.vmap(lambda v: v * y if v > 0 else v * y * y)(EXAMPLES))
    assert float(wire.grad(loss)(2.0)) == 1.0 + 2.0 - 2 * 2.0


def test_vmap_branches_returning_different_shapes_raise_a_wire_error():
    with pytest.raises(wire.WireError, match=r"different shapes \(\(2,\) and \(3,\) per example"):
        wire.vmap(lambda v: wnp.stack([v, v]) if v > 0 else wnp.stack([v, v, v]))(EXAMPLES)
    with pytest.raises(wire.WireError, match="different shapes"):
        wire.vmap(lambda v: wnp.stack([v, v]) if v > 0 else v, out_axes=0)(EXAMPLES)


def test_vmap_of_no_examples_with_a_python_decision_raises_tracer_bool_error():
    # no example to take the branch from (JAX raises for any Python branch under vmap)
    with pytest.raises(wire.TracerBoolError, match="no examples"):
        wire.vmap(lambda v: v if v > 0 else 0.0)(np.zeros(0))
    with pytest.raises(wire.TracerBoolError, match="no examples"):
        wire.vmap(lambda v: v * float(v))(np.zeros(0))
    # without one, an empty batch maps to an empty result
    assert wire.vmap(lambda v: v * 2)(np.zeros((0, 2))).shape == (0, 2)


# ---------------------------------------------------------------- JAX keywords that port as is


def test_jax_keywords_of_checkpoint_jit_and_vmap_are_accepted():
    # jax.checkpoint(f, prevent_cse=False), jax.jit(f, keep_unused=True, inline=True) and
    # jax.vmap(f, axis_name="batch") run unchanged (each raised TypeError 'unexpected
    # keyword argument'); the values are those without them
    f = lambda x: wnp.sum(wnp.sin(x) * x)
    x = np.arange(3.0)
    want = np.sin(x) + x * np.cos(x)
    for cse in (True, False):
        np.testing.assert_allclose(
            wire.grad(lambda y: f(wire.checkpoint(lambda z: z * 1.0, prevent_cse=cse)(y)))(x),
            want, rtol=1e-15)
    jitted = wire.jit(lambda a, unused: a * 2.0, keep_unused=True, inline=True)
    np.testing.assert_array_equal(jitted(x, 1.0), x * 2.0)
    np.testing.assert_array_equal(
        wire.vmap(lambda a: a * 2.0, axis_name="batch", spmd_axis_name=None)(x), x * 2.0)
    with pytest.raises(wire.WireError, match="prevent_cse must be True or False"):
        wire.checkpoint(f, prevent_cse="no")
    with pytest.raises(wire.WireError, match="inline must be True or False"):
        wire.jit(f, inline=None)
    with pytest.raises(wire.WireError, match="axis_name must be hashable"):
        wire.vmap(f, axis_name=["batch"])



# ---------------------------------------------------------------- programs wire gets right
# (kept as regressions; each checked against a closed form, finite differences or the
# bits NumPy gives)


def _bits(x):
    x = np.asarray(x)
    return x.dtype, x.shape, np.ascontiguousarray(x).tobytes()


def test_jit_static_values_keyed_by_their_bits_and_types():
    # -0.0 and 0.0, 1 / 1.0 / True, NaN: equal or unequal under ==, traced apart (as the
    # values the function sees differ), and a NaN static value still hits the cache
    f = wire.jit(lambda x, s: x * s, static_argnums=1)
    one = np.float64(1.0)
    for s in (0.0, -0.0, 0.0, (-0.0), np.float64(-0.0), float("nan")):
        assert _bits(f(one, s)) == _bits(one * s)
    kind = wire.jit(lambda x, s: x + {int: 1.0, float: 2.0, bool: 3.0}[type(s)], static_argnums=1)
    assert [float(kind(np.float64(0.0), s)) for s in (1, 1.0, True, 1)] == [1.0, 2.0, 3.0, 1.0]
    g = wire.jit(lambda x, s: x * s[0], static_argnames="s")
    assert np.signbit(g(one, s=(-0.0,))) and not np.signbit(g(one, s=(0.0,)))
    nan_static = wire.jit(lambda x, s: x + s, static_argnums=1)
    nan_static(one, float("nan"))
    nan_static(one, float("nan"))
    assert nan_static.cache_size() == 1


def test_grad_of_pytrees_with_mixed_keys_none_and_empty_containers():
    from collections import namedtuple

    Pair = namedtuple("Pair", "a b")

    def f(p):
        return (wnp.sum(p[1] * wnp.sin(p["x"])) + p[(1, 2)] ** 2
                + wnp.sum(p["l"][0]) * p["l"][1] + wnp.sum(p["nt"].a * p["nt"].b[0]))

    x = np.linspace(0.0, 1.0, 3)
    p = {1: np.arange(3.0), "x": x, (1, 2): 2.0, "l": [np.ones(2), np.float64(3.0)],
         "nt": Pair(np.arange(2.0), (np.full(2, 3.0), None)), "e": (), "d": {}, "n": None}
    g = wire.grad(f)(p)
    assert type(g["nt"]) is Pair and g["nt"].b[1] is None
    assert g["e"] == () and g["d"] == {} and g["n"] is None
    np.testing.assert_allclose(g[1], np.sin(x), rtol=1e-15)
    np.testing.assert_allclose(g["x"], np.arange(3.0) * np.cos(x), rtol=1e-15)
    assert float(g[(1, 2)]) == 4.0 and float(g["l"][1]) == 2.0
    np.testing.assert_array_equal(g["l"][0], [3.0, 3.0])
    np.testing.assert_array_equal(g["nt"].a, [3.0, 3.0])
    np.testing.assert_array_equal(g["nt"].b[0], [0.0, 1.0])
    # jit keeps the container types of its outputs apart: tuple, list, namedtuples
    ident = wire.jit(lambda t: t)
    one = np.float64(1.0)
    assert [type(ident(t)).__name__ for t in ((one,), [one], Pair(one, one))] == [
        "tuple", "list", "Pair"]


def test_scan_with_a_pytree_carry_reverse_and_unroll_against_finite_differences():
    from finite_differences import fd_grad

    def loss(v, reverse, unroll):
        a, b = v[:2], v[2]

        def body(c, x):
            na = c["a"] * wnp.cos(x["u"]) + c["bd"][0]
            return {"a": na, "bd": (c["bd"][0] * 0.9 + x["v"], c["bd"][1] + wnp.sum(na))}, \
                (na * 2.0, {"k": c["bd"][0]})

        xs = {"u": np.linspace(0.0, 1.0, 4), "v": np.linspace(1.0, 2.0, 4)}
        c, ys = wire.scan(body, {"a": a, "bd": (b, 0.0)}, xs, reverse=reverse, unroll=unroll)
        return wnp.sum(c["a"]) + c["bd"][1] + wnp.sum(ys[0]) + wnp.sum(ys[1]["k"] ** 2)

    v = np.array([1.0, 2.0, 0.5])
    for reverse, unroll in ((False, 1), (True, 3), (True, True)):
        f = lambda u: loss(u, reverse, unroll)
        want = fd_grad(lambda u: float(f(u)), v)
        np.testing.assert_allclose(wire.grad(f)(v), want, rtol=1e-7)
        np.testing.assert_allclose(wire.jit(wire.grad(f))(v), want, rtol=1e-7)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (the untaken branch's)
def test_vmap_of_grad_through_cond_never_sees_the_untaken_branch():
    # sqrt's derivative at x <= 0 is inf or nan: the examples that take the other branch
    # get its derivative, 0 (JAX: [0.5, 0, 0, 0] too)
    f = lambda x: wire.cond(x > 0, lambda u: wnp.sqrt(u), lambda u: u * 0.0, x)
    xs = np.array([1.0, -1.0, 0.0, -0.0])
    for g in (wire.vmap(wire.grad(f)), wire.jit(wire.vmap(wire.grad(f)))):
        np.testing.assert_array_equal(g(xs), [0.5, 0.0, 0.0, 0.0])
    h = lambda x: wire.cond(x > 0, lambda u: wnp.log(u), lambda u: u, x)
    np.testing.assert_array_equal(wire.vmap(wire.hessian(h))(xs), [-1.0, 0.0, 0.0, 0.0])


def test_while_loop_with_a_batched_predicate_matches_a_python_loop():
    def py(x, lim):
        c = (0.0, 1.0, 0.0)
        while c[0] < lim:
            c = (c[0] + 1.0, c[1] * x, c[2] + 2.0)
        return c

    f = lambda x, lim: wire.while_loop(lambda c: c[0] < lim,
                                       lambda c: (c[0] + 1.0, c[1] * x, c[2] + 2.0),
                                       (0.0, 1.0, 0.0))
    x, lims = np.array([2.0, 3.0, 4.0, 5.0]), np.array([0.0, 1.0, 3.5, np.nan])
    for g in (wire.vmap(f), wire.jit(wire.vmap(f))):
        got = g(x, lims)
        for k in range(4):
            np.testing.assert_array_equal([o[k] for o in got], py(x[k], lims[k]))
    # forward mode: d/dx x**n with n the trip count
    _, t = wire.vmap(lambda a, lim: wire.jvp(lambda y: f(y, lim)[1], (a,), (1.0,)))(x, lims)
    np.testing.assert_array_equal(t, [0.0, 1.0, 4 * 4.0 ** 3, 0.0])


def test_custom_vjp_with_pytree_residuals_under_jit_and_vmap():
    @wire.custom_vjp
    def f(x, cfg):
        return wnp.sin(x) * cfg["s"]

    def fwd(x, cfg):
        return f(x, cfg), {"x": x, "n": 3, "none": None, "t": (x * 2, 2.5), "cfg": cfg}

    def bwd(res, g):  # three times the true derivative in x, the true one in s
        return (g * wnp.cos(res["x"]) * res["cfg"]["s"] * res["n"],
                {"s": wnp.sum(g * wnp.sin(res["x"]))})

    f.defvjp(fwd, bwd)
    loss = lambda x, cfg: wnp.sum(f(x, cfg) ** 2)
    x, s = np.array([0.3, 0.9]), 2.0
    want_x = 3 * 2 * s * np.sin(x) * np.cos(x) * s
    want_s = np.sum(2 * s * np.sin(x) * np.sin(x))
    for g in (wire.grad(loss, argnums=(0, 1)), wire.jit(wire.grad(loss, argnums=(0, 1)))):
        gx, gc = g(x, {"s": s})
        np.testing.assert_allclose(gx, want_x, rtol=1e-14)
        np.testing.assert_allclose(gc["s"], want_s, rtol=1e-14)
    gx, gc = wire.vmap(wire.grad(loss, argnums=(0, 1)))(np.stack([x, -x]),
                                                        {"s": np.array([s, 1.0])})
    np.testing.assert_allclose(gx[1], 3 * 2 * np.sin(-x) * np.cos(x), rtol=1e-14)
    np.testing.assert_allclose(gc["s"], [want_s, np.sum(2 * np.sin(x) ** 2)], rtol=1e-14)


def test_second_derivative_through_a_custom_jvp_inside_a_loop():
    # the derivative of a custom_jvp's rule (1.5 x / s(x), with s' the rule's own) is the
    # same inside scan/fori_loop as outside, by reverse over reverse or forward over forward
    # (JAX 0.10.2 gives grad(grad) = 0.474 inside the loop, its s' taken as the true one,
    # and -1.660 outside it and by jacfwd(jacfwd))
    @wire.custom_jvp
    def s(x):
        return wnp.sqrt(x * x + 1e-2)

    s.defjvp(lambda p, t: (s(p[0]), t[0] * p[0] / s(p[0]) * 1.5))
    x = 0.3
    r = np.sqrt(x * x + 1e-2)
    want = 1.5 / r - 1.5 * x * (1.5 * x / r) / r ** 2
    for f in (s, lambda v: wire.fori_loop(0, 1, lambda i, c: s(c), v),
              lambda v: wire.scan(lambda c, _: (s(c), None), v, None, length=1)[0]):
        for d2 in (wire.grad(wire.grad(f)), wire.jacfwd(wire.jacrev(f)),
                   wire.jacfwd(wire.jacfwd(f))):
            np.testing.assert_allclose(d2(x), want, rtol=1e-13)


def test_linearize_through_control_flow_equals_jvp():
    fs = {
        "scan": lambda x: wire.scan(lambda c, a: (wnp.sin(c) * a + c * x[0], c ** 2),
                                    x[1], x)[1],
        "cond": lambda x: wire.cond(x[0] > 0, lambda u: wnp.exp(u) * u[1], lambda u: u ** 3, x),
        "while": lambda x: wire.while_loop(lambda c: c[0] < 4, lambda c: (
            c[0] + 1, c[1] * wnp.cos(c[1]) + x), (0, x))[1],
        "checkpoint": lambda x: wire.checkpoint(lambda u: wnp.sin(u) * wnp.exp(u))(x) * x,
    }
    x, t = np.array([0.3, -0.7, 1.2]), np.array([1.0, 0.5, -2.0])
    for f in fs.values():
        y, lin = wire.linearize(f, x)
        y2, want = wire.jvp(f, (x,), (t,))
        np.testing.assert_array_equal(y, y2)
        np.testing.assert_allclose(lin(t), want, rtol=1e-14)
        np.testing.assert_allclose(wire.jit(lin)(t), want, rtol=1e-14)
        np.testing.assert_allclose(wire.vmap(lin)(np.stack([t, -t]))[1], -want, rtol=1e-14)


def test_vmap_of_per_example_python_newton_loops():
    # each example iterates its own number of times (a Python while on a traced value)
    def newton(a):
        x = a * 1.0 + 1.0
        while wnp.abs(x * x - a) > 1e-12 * a:
            x = 0.5 * (x + a / x)
        return x

    a = np.array([2.0, 9.0, 1e6, 0.25, 1.0])
    np.testing.assert_allclose(wire.vmap(newton)(a), np.sqrt(a), rtol=1e-12)
    np.testing.assert_allclose(wire.vmap(wire.grad(newton))(a), 0.5 / np.sqrt(a), rtol=1e-9)


def test_checkpoint_policies_change_no_gradient():
    cp = wire.checkpoint_policies
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=(3, 3)), rng.normal(size=(4, 3))

    def loss(policy):
        block = wire.checkpoint(lambda w, h: (wnp.sin(wnp.tanh(h @ w)) @ w.T) ** 2,
                                policy=policy)
        return lambda w, x: wnp.sum(block(w, block(w, x) * 0.1)) + wnp.sum(
            wire.scan(lambda c, xi: (c + block(w, xi[None])[0], c), wnp.zeros(3), x)[0])

    want = wire.grad(loss(None), argnums=(0, 1))(w, x)
    for policy in (cp.nothing_saveable, cp.everything_saveable, cp.dots_saveable,
                   cp.save_only("tanh"), cp.save_only("matmul", "sin")):
        for g in (wire.grad(loss(policy), argnums=(0, 1)),
                  wire.jit(wire.grad(loss(policy), argnums=(0, 1)))):
            got = g(w, x)
            np.testing.assert_allclose(got[0], want[0], rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(got[1], want[1], rtol=1e-13, atol=1e-15)
