"""``wire.lax.associative_scan``, ``reduce`` and ``reduce_window`` against ``jax.lax``: values
on special inputs (NaN, ±inf, ±0.0, ties, empty and size-1 axes, float32), derivatives, and
the same under ``wire.jit`` and ``wire.vmap``; bad arguments raise a ``wire.WireError``."""

import warnings

import numpy as np
import pytest
from selection import slow_only, slow_selected

import wire
import wire.numpy as wnp
from wire import lax

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jlax = jax.lax

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def same(got, want, zero_sign=True):
    """Equal dtypes, shapes, NaNs and values, and (unless not ``zero_sign``) signs of zeros."""
    got, want = np.asarray(got), np.asarray(want)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    np.testing.assert_array_equal(got, want)
    if zero_sign and got.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(got[got == 0]), np.signbit(want[want == 0]))


def close(got, want, rtol=1e-12):
    got, want = np.asarray(got), np.asarray(want)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-300)


def jx(fn, *args):
    """JAX's ``fn(*args)`` in one compilation (op by op, JAX compiles each operation)."""
    return jax.jit(fn)(*args)


def eager_and_jit(fn, *args):
    out = fn(*args)
    jitted = wire.jit(fn)(*args)
    for a, b in zip(wire.tree.leaves(out), wire.tree.leaves(jitted)):
        same(b, a)
    return out


X = np.array([1.0, -0.0, np.nan, 3.0, -np.inf, 2.0, 2.0, 0.5, 5.0])


# --------------------------------------------------------------------------- associative_scan


def test_associative_scan_against_jax():
    sizes, x32 = [0, 1, 2, 5, 8, 9], X.astype(np.float32)
    wants = jax.jit(lambda x, x32: [
        (jlax.associative_scan(jlax.add, x[:n], reverse=r),
         jlax.associative_scan(jlax.max, x32[:n], reverse=r))
        for n in sizes for r in (False, True)])(X, x32)
    cases = [(n, r) for n in sizes for r in (False, True)]
    for (n, reverse), (want, want32) in zip(cases, wants):
        got = lax.associative_scan(lax.add, X[:n], reverse=reverse)
        # (JAX's interleave turns -0.0 into 0.0: see below)
        same(got, want, zero_sign=False)
        same(lax.associative_scan(lax.max, x32[:n], reverse=reverse), want32, zero_sign=False)
    eager_and_jit(lambda x: lax.associative_scan(lax.add, x, reverse=True), X)


def test_associative_scan_keeps_negative_zeros():
    # JAX's interleave adds zeros (-0.0 + 0.0 = 0.0): its scan of -0.0s is 0.0
    z = np.array([-0.0, -0.0, -0.0])
    out = lax.associative_scan(lax.add, z)
    assert np.signbit(out).all()
    same(out, jx(lambda z: jlax.associative_scan(jlax.add, z), z), zero_sign=False)


@slow_only
def test_associative_scan_pytrees_axes_and_order():
    a = np.random.default_rng(0).normal(size=(7, 2, 2))
    # matrix products do not commute: the order of fn's operands is JAX's
    w1, w2, w3 = jx(lambda a: (jlax.associative_scan(lambda p, q: p @ q, a),
                               jlax.associative_scan(lambda p, q: p @ q, a, reverse=True),
                               jlax.associative_scan(jlax.mul, a, axis=1, reverse=True)), a)
    close(lax.associative_scan(wnp.matmul, a), w1, 1e-13)
    close(lax.associative_scan(wnp.matmul, a, reverse=True), w2, 1e-13)
    same(lax.associative_scan(lax.mul, a, axis=-2, reverse=True), w3)

    def affine(p, q):  # x -> q.a * x + q.b after p: a linear recurrence
        return {"a": p["a"] * q["a"], "b": p["b"] * q["a"] + q["b"]}

    elems = {"a": np.linspace(0.5, 1.5, 6), "b": np.arange(6.0)}
    got = lax.associative_scan(affine, elems)
    want = jx(lambda e: jlax.associative_scan(affine, e), elems)
    for k in "ab":
        same(got[k], want[k])


def test_associative_scan_derivatives_and_vmap():
    b = np.arange(6.0)

    def f(lx, a):
        return lx.associative_scan(lambda p, q: (p[0] * q[0], p[1] * q[0] + q[1]), (a, b))[1]

    a = np.linspace(0.5, 1.5, 6)
    want = jax.jit(jax.grad(lambda a: (f(jlax, a) ** 2).sum()))(a)
    close(wire.grad(lambda a: (f(lax, a) ** 2).sum())(a), want)
    close(wire.jit(wire.grad(lambda a: (f(lax, a) ** 2).sum()))(a), want)
    t = np.ones(6)
    close(wire.jvp(lambda a: f(lax, a), (a,), (t,))[1],
          jax.jit(lambda a, t: jax.jvp(lambda a: f(jlax, a), (a,), (t,))[1])(a, t))
    m = np.arange(12.0).reshape(3, 4)
    same(wire.vmap(lambda r: lax.associative_scan(lax.add, r))(m),
         jax.jit(jax.vmap(lambda r: jlax.associative_scan(jlax.add, r)))(m))


def test_associative_scan_errors():
    with pytest.raises(wire.ShapeError, match=r"\(3,\).*\(4,\)"):
        lax.associative_scan(lambda p, q: p, (np.ones(3), np.ones(4)))
    with pytest.raises(wire.WireTypeError, match="callable"):
        lax.associative_scan(3, np.ones(3))
    with pytest.raises(wire.ShapeError, match="0-d"):
        lax.associative_scan(lax.add, np.array(1.0))
    with pytest.raises(wire.ShapeError, match="fn must return"):
        lax.associative_scan(lambda p, q: p[:1], np.ones(4))
    with pytest.raises(wire.WireIndexError):
        lax.associative_scan(lax.add, np.ones(3), axis=2)


# --------------------------------------------------------------------------- reduce

M = np.array([[1.0, -0.0, 3.0], [np.nan, 2.0, -1.0], [-0.0, -0.0, 4.0], [np.inf, 1.0, 1.0]])


def test_reduce_against_jax():
    cases = [(name, init, dims) for name, init in [("add", 0.0), ("max", -np.inf),
                                                   ("min", np.inf), ("mul", 1.0), ("add", 1.5),
                                                   ("max", 2.0)]
             for dims in [(0,), (1,), (0, 1), ()]]
    wants = jax.jit(lambda m, e: [(jlax.reduce(m, i, getattr(jlax, n), d),
                                   jlax.reduce(e, i, getattr(jlax, n), (0,)))
                                  for n, i, d in cases])(M, np.ones((0, 3)))
    for (name, init, dims), (want, want_empty) in zip(cases, wants):
        same(lax.reduce(M, init, getattr(lax, name), dims), want)
        same(lax.reduce(np.ones((0, 3)), init, getattr(lax, name), (0,)), want_empty)
    eager_and_jit(lambda m: lax.reduce(m, 1.5, lax.add, (1,)), M)


def test_reduce_integers_bools_and_pytrees():
    i = np.array([[3, 1, 2], [0, 5, 5]])
    bits = np.array([[True, False], [True, True]])
    monoids = [("bitwise_or", 0), ("bitwise_and", -1), ("bitwise_xor", 0),
               ("max", np.iinfo(np.int64).min), ("add", 7)]
    wants = jx(lambda i, bits: [jlax.reduce(i, np.int64(v), getattr(jlax, n), (1,))
                                for n, v in monoids]
               + [jlax.reduce(bits, True, jlax.bitwise_and, (1,))], i, bits)
    for (name, init), want in zip(monoids, wants):
        same(lax.reduce(i, np.int64(init), getattr(lax, name), (1,)), want)
    same(lax.reduce(bits, True, lax.bitwise_and, (1,)), wants[-1])

    def argmin(lx):
        return lambda p, q: (lx.min(p[0], q[0]), lx.select(q[0] < p[0], q[1], p[1]))

    vals = (np.array([3.0, 1.0, 2.0, 1.0]), np.array([0, 1, 2, 3]))
    got = eager_and_jit(lambda v: lax.reduce(v, (np.inf, 0), argmin(lax), (0,)), vals)
    for g, w in zip(got, jx(lambda v: jlax.reduce(v, (np.inf, 0), argmin(jlax), (0,)), vals)):
        same(g, w)
    long = np.arange(40.0).reshape(4, 10) / 7  # a fold longer than the unrolled ones
    same(lax.reduce(long, 0.5, lambda p, q: p * 0.5 + q, (1,)),
         jx(lambda v: jlax.reduce(v, 0.5, lambda p, q: p * 0.5 + q, (1,)), long))


def test_reduce_derivatives():
    z = np.arange(40.0).reshape(4, 10) / 70

    def assoc(p, q):
        return p + q + p * q

    # identity init: JAX's derivative agrees
    want = jax.jit(jax.grad(lambda z: jlax.reduce(z, 0.0, assoc, (1,)).sum()))(z)
    close(wire.grad(lambda z: lax.reduce(z, 0.0, assoc, (1,)).sum())(z), want)
    close(wire.jit(wire.grad(lambda z: lax.reduce(z, 0.0, assoc, (1,)).sum()))(z), want)
    # another init: JAX's derivative disagrees with finite differences of its own value;
    # wire's agrees
    f = wire.jit(lambda z: lax.reduce(z, 0.2, assoc, (1,)).sum())
    g = wire.grad(lambda z: lax.reduce(z, 0.2, assoc, (1,)).sum())(z)
    h, e = 1e-6, np.zeros_like(z)
    e[1, 3] = h
    np.testing.assert_allclose(g[1, 3], (f(z + e) - f(z - e)) / (2 * h), rtol=1e-7)
    # monoids: reduce_sum's and reduce_max's derivatives (ties share, as in JAX)
    t = np.array([[1.0, 2.0, 2.0], [0.5, 0.5, -1.0]])
    monoids = [("add", 0.0), ("max", -np.inf), ("min", np.inf), ("mul", 1.0)]
    wants = jax.jit(lambda t: [jax.grad(lambda t: (jlax.reduce(t, i, getattr(jlax, n), (1,))
                                                   ** 2).sum())(t) for n, i in monoids])(t)
    for (name, init), want in zip(monoids, wants):
        got = wire.grad(lambda t: (lax.reduce(t, init, getattr(lax, name), (1,)) ** 2).sum())(t)
        close(got, want)


def test_reduce_errors():
    # a concrete init takes the operand's dtype, as in JAX; a traced one must have it
    same(lax.reduce(np.ones(3, np.float32), 0.0, lax.add, (0,)), np.float32(3.0))
    same(lax.reduce_window(np.ones(3, np.float32), -np.inf, lax.max, (2,), (1,), "VALID"),
         np.ones(2, np.float32))
    with pytest.raises(wire.WireTypeError, match="float32.*float64"):
        wire.jit(lambda v: lax.reduce(np.ones(3, np.float32), v, lax.add, (0,)))(0.0)
    with pytest.raises(wire.WireTypeError, match="int64"):  # (-inf for a max: its identity)
        lax.reduce(np.ones(3, np.int64), -np.inf, lax.add, (0,))
    with pytest.raises(wire.ShapeError, match="scalars"):
        lax.reduce(np.ones(3), np.zeros(2), lax.add, (0,))
    with pytest.raises(wire.WireIndexError, match=r"\(3,\)"):
        lax.reduce(np.ones(3), 0.0, lax.add, (1,))
    with pytest.raises(wire.ShapeError, match=r"\(3,\).*\(2,\)"):
        lax.reduce((np.ones(3), np.ones(2)), (0.0, 0.0), lambda p, q: p, (0,))
    with pytest.raises(wire.WireTypeError, match="dtypes"):
        lax.reduce(np.ones(30), 0.0, lambda p, q: (p > q), (0,))


# --------------------------------------------------------------------------- reduce_window

W = np.array([[1.0, -0.0, 3.0, 3.0], [np.nan, 2.0, -1.0, 2.0], [-0.0, -0.0, 4.0, 4.0],
              [1.0, 1.0, 1.0, -np.inf]])
CASES = [((2, 2), (1, 1), "VALID", None, None), ((2, 2), (2, 2), "SAME", None, None),
         ((3, 2), (1, 2), "SAME", None, None), ((2, 2), (1, 1), ((1, 0), (0, 2)), None, None),
         ((2, 2), (1, 1), "VALID", (2, 1), None), ((2, 2), (1, 1), "VALID", None, (2, 1)),
         ((1, 1), (1, 1), "VALID", None, None), ((5, 5), (1, 1), "VALID", None, None),
         ((2, 2), (3, 1), ((-1, 1), (1, -1)), (1, 2), (1, 2)),
         ((3, 2), (2, 1), "SAME", (2, 2), (1, 2))]  # SAME sized before base dilation


@pytest.mark.parametrize("name, init", [("add", 0.0), ("max", -np.inf), ("min", np.inf),
                                        ("mul", 1.0), ("add", 1.5)])
def test_reduce_window_against_jax(name, init):
    wants = jax.jit(lambda w: [jlax.reduce_window(w, init, getattr(jlax, name), *c)
                               for c in CASES])(W)
    for c, want in zip(CASES, wants):
        same(lax.reduce_window(W, init, getattr(lax, name), *c), want)
    got = wire.jit(lambda w: lax.reduce_window(w, init, getattr(lax, name), *CASES[3]))(W)
    same(got, wants[3])


def test_reduce_window_float32_ints_and_pytrees():
    w32 = W.astype(np.float32)
    i = np.arange(12).reshape(3, 4) % 5
    ops = (W, np.arange(16.0).reshape(4, 4))

    def pick(lx):  # the value at the window's max (a pytree computation)
        return lambda p, q: (lx.max(p[0], q[0]), lx.select(q[0] > p[0], q[1], p[1]))

    w1, w2, want = jx(lambda w32, i, ops: (
        jlax.reduce_window(w32, np.float32(-np.inf), jlax.max, (2, 2), (1, 1), "SAME"),
        jlax.reduce_window(i, np.int64(0), jlax.add, (2, 3), (1, 1), "SAME"),
        jlax.reduce_window(ops, (-np.inf, -1.0), pick(jlax), (2, 2), (1, 1), "VALID")),
        w32, i, ops)
    same(lax.reduce_window(w32, np.float32(-np.inf), lax.max, (2, 2), (1, 1), "SAME"), w1)
    same(lax.reduce_window(i, np.int64(0), lax.add, (2, 3), (1, 1), "SAME"), w2)
    got = lax.reduce_window(ops, (-np.inf, -1.0), pick(lax), (2, 2), (1, 1), "VALID")
    for g, w in zip(got, want):
        same(g, w)


@pytest.mark.parametrize("name, init", [
    ("add", 0.0), ("max", -np.inf), pytest.param("min", np.inf, marks=pytest.mark.slow)])
def test_reduce_window_derivatives_at_ties(name, init, request):
    """A max (min) pool's derivative reaches the first of tied extremes, as JAX's."""
    if name == "min" and not slow_selected(request.config):
        pytest.skip("runs with -m slow")
    t = np.array([[1.0, 1.0, 0.0], [1.0, 0.5, 1.0], [0.0, 1.0, 1.0]])

    def loss(lx, c):
        def f(t):
            out = lx.reduce_window(t, init, getattr(lx, name), *c)
            return (out * np.arange(1.0, 1 + out.size).reshape(out.shape)).sum()
        return f

    wants = jax.jit(lambda t: [jax.grad(loss(jlax, c))(t) for c in CASES[:5]])(t)
    for c, want in zip(CASES[:5], wants):
        same(wire.grad(loss(lax, c))(t), want)
    same(wire.jit(wire.grad(loss(lax, CASES[1])))(t), wants[1])


def test_reduce_window_max_derivative_at_nan_and_signed_zero_ties():
    """JAX's gradients (its select keeps the pick unless ``pick >= next``): the NaN of the
    first window, the 3 after the NaN in the second; ``-0.0`` ties ``0.0``."""
    weight = np.array([1.0, 2.0, 3.0])
    for t, want in [([1.0, np.nan, 3.0, 3.0], [0.0, 1.0, 5.0, 0.0]),
                    ([-0.0, 0.0, 0.0, -0.0], [1.0, 2.0, 3.0, 0.0])]:
        def f(t):
            return (lax.reduce_window(t, -np.inf, lax.max, (2,), (1,), "VALID") * weight).sum()

        same(wire.grad(f)(np.array(t)), np.array(want))
        same(wire.jit(wire.grad(f))(np.array(t)), np.array(want))
    out = lax.reduce_window(np.array([-0.0, 0.0, -0.0, -0.0]), -np.inf, lax.max, (2,), (1,),
                            "VALID")
    assert list(np.signbit(out)) == [False, False, True]


def test_reduce_window_general_derivative_and_vmap():
    # JAX cannot differentiate a product pool; wire's derivative against finite differences
    t = np.array([[1.0, 2.0, 0.5], [1.5, 0.5, 1.0], [2.0, 1.0, 3.0]])
    f = wire.jit(lambda t: lax.reduce_window(t, 1.0, lax.mul, (2, 2), (1, 1), "SAME").sum())
    g = wire.grad(f)(t)
    h, e = 1e-6, np.zeros_like(t)
    e[1, 1] = h
    np.testing.assert_allclose(g[1, 1], (f(t + e) - f(t - e)) / (2 * h), rtol=1e-7)
    batch = np.arange(24.0).reshape(2, 3, 4)
    same(wire.vmap(lambda b: lax.reduce_window(b, -np.inf, lax.max, (2, 2), (1, 2), "SAME"))(
        batch), jax.jit(jax.vmap(lambda b: jlax.reduce_window(b, -np.inf, jlax.max, (2, 2),
                                                              (1, 2), "SAME")))(batch))


def test_reduce_window_errors():
    with pytest.raises(wire.ShapeError, match=r"window_dimensions.*\(4, 4\)"):
        lax.reduce_window(W, 0.0, lax.add, (2,), (1, 1), "VALID")
    with pytest.raises(wire.ShapeError, match="strides"):
        lax.reduce_window(W, 0.0, lax.add, (2, 2), (0, 1), "VALID")
    with pytest.raises(wire.ShapeError, match=r"window_dimensions \(0, 1\)"):
        lax.reduce_window(W, 0.0, lax.add, (0, 1), (1, 1), "VALID")
    with pytest.raises(wire.WireValueError, match="padding"):
        lax.reduce_window(W, 0.0, lax.add, (2, 2), (1, 1), "FULL")
    with pytest.raises(wire.ShapeError, match="padding"):
        lax.reduce_window(W, 0.0, lax.add, (2, 2), (1, 1), ((1, 1),))
    with pytest.raises(wire.WireTypeError, match="float64.*int64"):
        wire.jit(lambda v: lax.reduce_window(W, v, lax.add, (2, 2), (1, 1), "VALID"))(0)


# --------------------------------------------------------------------------- convolutions

CONV = [  # lhs shape, rhs shape, strides, padding, lhs_dilation, rhs_dilation, layout, groups
    ((2, 4, 7, 6), (6, 2, 3, 2), (2, 1), "SAME", None, None, None, 2),
    ((2, 4, 7, 6), (4, 4, 3, 3), (1, 2), "VALID", None, (2, 1), None, 1),
    ((1, 3, 5, 5), (2, 3, 2, 2), (1, 1), ((1, 2), (0, -1)), (2, 1), None, None, 1),
    ((2, 5, 6, 3), (3, 3, 1, 6), (1, 1), "SAME", None, None, ("NHWC", "HWIO", "NHWC"), 3),
    ((2, 3, 9), (4, 3, 4), (3,), "SAME_LOWER", None, None, None, 1),
    ((2, 4, 3, 3), (4, 4, 5, 5), (1, 1), "VALID", None, None, None, 1),
    ((0, 4, 3, 3), (4, 4, 1, 1), (1, 1), "VALID", None, None, None, 1),
]


def conv_against_jax(cases):
    rng = np.random.default_rng(0)
    data = [(rng.normal(size=c[0]), rng.normal(size=c[1])) for c in cases]

    def run(lx, x, w, c):
        return lx.conv_general_dilated(x, w, *c[2:])

    def loss(lx, c):
        return lambda x, w: (run(lx, x, w, c) ** 2).sum()

    wants = jx(lambda data: [(run(jlax, x, w, c), jax.grad(loss(jlax, c), (0, 1))(x, w))
                             for (x, w), c in zip(data, cases)], data)
    for (x, w), c, (want, want_grads) in zip(data, cases, wants):
        close(run(lax, x, w, c), want, 1e-11)
        for g, wg in zip(wire.grad(loss(lax, c), (0, 1))(x, w), want_grads):
            close(g, wg, 1e-10)
    return data, run, wants


@slow_only
def test_conv_general_dilated_every_layout_against_jax():
    conv_against_jax(CONV)


def test_conv_general_dilated_against_jax():
    """(Grouped NHWC in CI, every case above with -m slow.)"""
    data, run, wants = conv_against_jax([CONV[3]])
    x, w = data[0]
    close(wire.jit(lambda x, w: run(lax, x, w, CONV[3]))(x, w), wants[0][0], 1e-11)
    # NaN and inf reach exactly the outputs whose windows hold them
    x = np.zeros((1, 1, 5))
    x[0, 0, 1], x[0, 0, 4] = np.nan, np.inf
    same(lax.conv(x, np.ones((1, 1, 2)), (1,), "VALID"),
         jx(lambda x: jlax.conv(x, np.ones((1, 1, 2)), (1,), "VALID"), x))
    f32 = lax.conv(np.ones((1, 2, 4), np.float32), np.ones((3, 2, 2), np.float32), (1,), "SAME")
    assert f32.dtype == np.float32 and f32.shape == (1, 3, 4)


def test_conv_wrappers_and_errors():
    x, w = np.arange(10.0).reshape(1, 2, 5), np.ones((3, 2, 2))
    same(lax.conv_with_general_padding(x, w, (1,), [(1, 0)], (2,), (1,)),
         lax.conv_general_dilated(x, w, (1,), [(1, 0)], (2,), (1,)))
    assert lax.conv_dimension_numbers((1, 5, 5, 3), (2, 2, 3, 8), ("NHWC", "HWIO", "NHWC")) == \
        tuple(jlax.conv_dimension_numbers((1, 5, 5, 3), (2, 2, 3, 8), ("NHWC", "HWIO", "NHWC")))
    with pytest.raises(wire.WireTypeError, match="float64 and float32"):
        lax.conv(x, w.astype(np.float32), (1,), "SAME")
    with pytest.raises(wire.ShapeError, match=r"\(1, 2, 5\).*\(3, 1, 2\).*feature_group_count"):
        lax.conv_general_dilated(x, np.ones((3, 1, 2)), (1,), "SAME")
    with pytest.raises(wire.ShapeError, match="window_strides"):
        lax.conv(x, w, (0,), "SAME")
    with pytest.raises(wire.WireValueError, match="dimension_numbers"):
        lax.conv_general_dilated(x, w, (1,), "SAME", dimension_numbers=("NCW", "OIX", "NCW"))
    with pytest.raises(wire.WireValueError, match="lhs_dilation"):
        lax.conv_general_dilated(x, w, (1,), "SAME", lhs_dilation=(2,))
    with pytest.raises(wire.ShapeError, match=r"batch_group_count=2.*\(1, 2, 5\)"):
        lax.conv_general_dilated(x, w, (1,), "SAME", batch_group_count=2)


def test_batch_group_count_against_jax():
    """(JAX's kernel gradient of a convolution is one with batch_group_count.)"""
    conv_against_jax([((4, 3, 7), (6, 3, 2), (2,), [(1, 2)], None, (2,), None, 1, 2)])
    with pytest.raises(wire.ShapeError, match="batch_group_count=2"):
        lax.conv_general_dilated(np.ones((4, 2, 5)), np.ones((6, 1, 2)), (1,), "SAME",
                                 feature_group_count=2, batch_group_count=2)


TRANSPOSED = [  # lhs shape, rhs shape, keywords
    ((2, 5, 6, 3), (3, 2, 3, 4), dict(strides=(2, 3), padding="SAME")),
    ((2, 5, 6, 3), (3, 2, 4, 3), dict(strides=(2, 1), padding="VALID", transpose_kernel=True)),
    ((2, 5, 6, 3), (3, 2, 3, 4), dict(strides=(1, 2), padding=[(2, 0), (1, 1)])),
    ((2, 5, 6, 3), (3, 2, 3, 4), dict(strides=(2, 1), padding=[(1, 0), (0, 2)],
                                      use_consistent_padding=True, rhs_dilation=(1, 2))),
    ((2, 3, 5, 6), (4, 3, 2, 3), dict(strides=(2, 2), padding="SAME", transpose_kernel=True,
                                      dimension_numbers=("NCHW", "IOHW", "NCHW"))),
    ((2, 7, 3), (3, 2, 3), dict(strides=(3,), padding="SAME", transpose_kernel=True)),
]
PATCHES = [  # lhs shape, keywords
    ((2, 3, 5, 6), dict(filter_shape=(2, 3), window_strides=(2, 1), padding="SAME",
                        rhs_dilation=(1, 2))),
    ((2, 3, 5, 6), dict(filter_shape=(3, 2), window_strides=(1, 2), padding=[(1, 0), (2, 1)],
                        lhs_dilation=(2, 1))),
    ((2, 5, 6, 3), dict(filter_shape=(2, 3), window_strides=(1, 1), padding="VALID",
                        dimension_numbers=("NWHC", "WHIO", "NCHW"))),
]


@slow_only
def test_conv_transpose_and_patches_every_layout_against_jax():
    transposed_and_patches_against_jax(range(len(TRANSPOSED)), range(len(PATCHES)))


def test_conv_transpose_and_patches_against_jax():
    """(Three transposed convolutions and one patches layout in CI, all with -m slow.)"""
    xs, ps = transposed_and_patches_against_jax((1, 4, 5), (2,))
    # patches are gathered: a NaN or inf stays in its own entries (JAX's identity-kernel
    # convolution makes every entry of its window NaN: 81 NaNs here against 4)
    x = ps[0].copy()
    x[0, 0, 2, 2], x[0, 1, 1, 1] = np.nan, np.inf
    p = lax.conv_general_dilated_patches(x, (2, 2), (1, 1), "VALID")
    assert np.isnan(p).sum() == 4 and np.isinf(p).sum() == 4
    f = lambda x: lax.conv_transpose(x, xs[5][1], **TRANSPOSED[5][2])
    close(wire.vmap(f)(xs[5][0][:, None])[:, 0], f(xs[5][0]))
    with pytest.raises(wire.ShapeError, match=r"\(2, 7, 3\)"):
        lax.conv_transpose(xs[5][0], xs[0][1], (3,), "SAME")
    with pytest.raises(wire.ShapeError, match="filter_shape"):
        lax.conv_general_dilated_patches(ps[0], (2,), (1,), "SAME")


def transposed_and_patches_against_jax(which_t, which_p):
    rng = np.random.default_rng(1)
    xs = [(rng.normal(size=a), rng.normal(size=b)) for a, b, _ in TRANSPOSED]
    ps = [rng.normal(size=a) for a, _ in PATCHES]
    cases_t, xs_t = [TRANSPOSED[k] for k in which_t], [xs[k] for k in which_t]
    cases_p, ps_t = [PATCHES[k] for k in which_p], [ps[k] for k in which_p]

    def run(lx, xs, ps):
        t = [lx.conv_transpose(x, w, **kw) for (x, w), (_, _, kw) in zip(xs, cases_t)]
        p = [lx.conv_general_dilated_patches(x, **kw) for x, (_, kw) in zip(ps, cases_p)]
        return t, p

    def loss(lx):
        return lambda xs, ps: sum((v ** 3).sum() for v in wire.tree.leaves(run(lx, xs, ps)))

    want, wgrad = jx(lambda xs, ps: (run(jlax, xs, ps), jax.grad(loss(jlax), (0, 1))(xs, ps)),
                     xs_t, ps_t)
    for got, w in zip(wire.tree.leaves(run(lax, xs_t, ps_t)), jax.tree_util.tree_leaves(want)):
        close(got, w, 1e-11)
    got = wire.grad(loss(lax), (0, 1))(xs_t, ps_t)
    for g, w in zip(wire.tree.leaves(got), jax.tree_util.tree_leaves(wgrad)):
        close(g, w, 1e-10)
    return xs, ps
