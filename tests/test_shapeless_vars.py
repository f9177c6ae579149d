"""Shapeless node-level variables (issue 14 item 5): ``wire.var(name)`` without a shape works
with every operation; the node-level graph is made for the shapes fed to ``wire.evaluate`` /
``Executor.run`` (memoized per feed signature) and a genuine shape conflict raises
``wire.ShapeError`` at evaluation. Oracles: NumPy and closed-form gradients."""

import sys

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.core.deferred import specialised

RNG = np.random.default_rng(14)


def _here():
    """``"test_shapeless_vars.py:N"`` of the caller's line."""
    return f"test_shapeless_vars.py:{sys._getframe(1).f_lineno}"


def test_seed_design_matmul_trans_A_and_its_gradients():
    """The first seed design's test: two shapeless variables, ``matmul_op`` with trans_A."""
    x2 = wire.Variable(name="x2")
    x3 = wire.Variable(name="x3")
    y = wire.matmul_op(x2, x3, trans_A=True)
    grad_x2, grad_x3 = wire.gradients(y, [x2, x3])
    executor = wire.Executor([y, grad_x2, grad_x3])
    x2_val = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # 3x2
    x3_val = np.array([[7.0, 8.0, 9.0], [10.0, 11.0, 12.0], [13.0, 14.0, 15.0]])  # 3x3
    y_val, g2, g3 = executor.run(feed_dict={x2: x2_val, x3: x3_val})
    ones = np.ones_like(x2_val.T @ x3_val)
    np.testing.assert_array_equal(y_val, x2_val.T @ x3_val)
    np.testing.assert_array_equal(g2, x3_val @ ones.T)  # d/dA sum(A^T B) = B 1^T
    np.testing.assert_array_equal(g3, x2_val @ ones)


def test_trans_B_and_both():
    a, b = wire.var("a"), wire.var("b")
    A, B = RNG.normal(size=(4, 3)), RNG.normal(size=(5, 4))
    yb, yab = wire.evaluate([wire.matmul_op(a, b, trans_A=True, trans_B=True),
                             wire.matmul_op(b, a)], {a: A, b: B})
    np.testing.assert_allclose(yb, A.T @ B.T)
    np.testing.assert_allclose(yab, B @ A)


def test_transpose_and_axis_reductions_match_numpy():
    a = wire.var("a")
    A = RNG.normal(size=(3, 4))
    outs = [a.T, a.sum(axis=1), wnp.sum(a, axis=0, keepdims=True), wnp.mean(a, axis=0),
            wnp.max(a, axis=1), a.min(axis=(0, 1)), wnp.transpose(a)[1:, ::2], a[0],
            wnp.reshape(a, (-1,)), wnp.expand_dims(a, 0), wnp.argmax(a, axis=1)]
    want = [A.T, A.sum(axis=1), A.sum(axis=0, keepdims=True), A.mean(axis=0), A.max(axis=1),
            A.min(axis=(0, 1)), A.T[1:, ::2], A[0], A.reshape(-1), A[None], A.argmax(axis=1)]
    for got, w in zip(wire.evaluate(outs, {a: A}), want):
        assert got.shape == w.shape
        np.testing.assert_allclose(got, w)


def test_gradients_of_axis_reductions_and_broadcasting():
    a, b = wire.var("a"), wire.var("b")
    A, B = RNG.normal(size=(3, 4)), RNG.normal(size=(4,))
    y = wnp.sum(wnp.mean(a * b, axis=0) ** 2) + wnp.sum(wnp.max(a, axis=1))
    ga, gb = wire.gradients(y, [a, b])
    m = (A * B).mean(axis=0)
    want_a = 2 * m * B / 3 + (A == A.max(axis=1, keepdims=True))
    want_b = (2 * m / 3 * A).sum(axis=0)
    got_a, got_b = wire.evaluate([ga, gb], {a: A, b: B})
    np.testing.assert_allclose(got_a, want_a)
    np.testing.assert_allclose(got_b, want_b)


def test_gradients_of_gradients():
    x = wire.var("x")
    y = wnp.sum(wnp.sum(x ** 3, axis=1) * x.T[0])  # x.T[0]: the first column of x
    g = wire.gradients(y, x)
    h = wire.gradients(wnp.sum(g * g), x)  # grad of grad
    X = RNG.normal(size=(3, 2))
    want_g = 3 * X ** 2 * X[:, :1]
    want_g[:, 0] += (X ** 3).sum(axis=1)
    got_g, got_h = wire.evaluate([g, h], {x: X})
    np.testing.assert_allclose(got_g, want_g)
    # h = d/dX sum(g^2) = 2 * sum over (i, j) of g_ij * dg_ij/dX, by central differences
    def sum_g2(Xv):
        return (wire.evaluate(g, {x: Xv}) ** 2).sum()
    eps, fd = 1e-6, np.zeros_like(X)
    for i in np.ndindex(X.shape):
        d = np.zeros_like(X)
        d[i] = eps
        fd[i] = (sum_g2(X + d) - sum_g2(X - d)) / (2 * eps)
    np.testing.assert_allclose(got_h, fd, rtol=1e-6, atol=1e-6)


def test_one_graph_two_feed_shapes_is_made_once_per_signature():
    a = wire.var("a")
    y = wnp.sum(a.T, axis=0)
    g = wire.gradients(wnp.sum(y * y), a)
    ex = wire.Executor([y, g])
    before = specialised.cache_info()
    for shape in [(2, 3), (4, 1), (2, 3), (4, 1), (5,)]:
        A = RNG.normal(size=shape)
        got_y, got_g = ex.run({a: A})
        np.testing.assert_allclose(got_y, A.T.sum(axis=0))
        np.testing.assert_allclose(got_g, np.broadcast_to(2 * A.sum(axis=-1, keepdims=True),
                                                          shape))
    after = specialised.cache_info()
    assert after.misses - before.misses == 3  # three signatures
    assert after.hits - before.hits == 2


def test_feeding_by_name_and_int_dtype():
    i = wire.var("i", dtype=np.int64)
    s = wnp.sum(i, axis=0)
    assert s.dtype == np.int64 and wnp.mean(i, axis=0).dtype == np.float64
    np.testing.assert_array_equal(wire.evaluate(s, {"i": np.arange(6).reshape(2, 3)}),
                                  [3, 5, 7])


def test_a_shape_conflict_raises_at_evaluation_naming_both_shapes_and_the_line():
    # names of their own: an interned node keeps the line where it was first made
    a, b = wire.var("conflict_a"), wire.var("conflict_b")
    c, line = a.T @ b, _here()  # the line the error names
    with pytest.raises(wire.ShapeError) as e:
        wire.evaluate(c, {a: np.ones((3, 4)), b: np.ones((4, 5))})
    msg = str(e.value)
    assert "(4, 3)" in msg and "(4, 5)" in msg and line in msg
    d = a * b + 1.0  # an elementwise conflict: at the primitive's own line
    with pytest.raises(wire.ShapeError, match=r"\(3, 4\) and \(5,\).*test_shapeless_vars.py"):
        wire.evaluate(d, {a: np.ones((3, 4)), b: np.ones(5)})
    with pytest.raises(wire.WireError, match="axis 2"):
        wire.evaluate(wnp.sum(a, axis=2), {a: np.ones((2, 3))})


def test_transforming_a_shapeless_graph_says_to_give_a_shape():
    a = wire.var("a")
    with pytest.raises(wire.WireError, match="give wire.var a shape"):
        wire.simplify(wire.Graph([a.node], [a.T.node]))


def test_declared_shapes_are_unchanged():
    a = wire.var("a", shape=(2, 3))
    assert a.T.shape == (3, 2) and a.sum(axis=1).shape == (2,)
    with pytest.raises(wire.ShapeError):
        wire.evaluate(a.T, {a: np.ones((3, 2))})


def test_linalg_fft_and_several_results_on_shapeless_vars():
    a, b = wire.var("a"), wire.var("b")
    M = RNG.normal(size=(3, 3))
    A, B = M @ M.T + 3 * np.eye(3), RNG.normal(size=3)
    outs = [wnp.linalg.solve(a, b), wnp.linalg.eigh(a)[0], wnp.split(a, 3)[1],
            wnp.abs(wnp.fft.fft(a)), b @ a, wnp.einsum("ij,j->i", a, b),
            wnp.concatenate([a, a.T], axis=1), wnp.where(a > 1.0, a, b), a[:, [0, 2]]]
    want = [np.linalg.solve(A, B), np.linalg.eigh(A)[0], np.split(A, 3)[1],
            np.abs(np.fft.fft(A)), B @ A, A @ B, np.concatenate([A, A.T], axis=1),
            np.where(A > 1.0, A, B), A[:, [0, 2]]]
    for got, w in zip(wire.evaluate(outs, {a: A, b: B}), want):
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-12)
    y = wnp.sum(wnp.linalg.inv(a) * b) + wnp.linalg.slogdet(a)[1]
    Ai = np.linalg.inv(A)  # d sum(inv(A) * B) = -inv(A)^T G inv(A)^T (G: B in every row)
    want_g = -Ai.T @ np.broadcast_to(B, (3, 3)) @ Ai.T + Ai.T  # + d log|det A| = inv(A)^T
    np.testing.assert_allclose(wire.evaluate(wire.gradients(y, a), {a: A, b: B}), want_g)


def test_what_cannot_be_known_before_the_feed_says_so():
    a = wire.var("a")
    for what in (wnp.ndim, wnp.size, len):
        with pytest.raises(wire.WireError, match="give wire.var"):
            what(a)
    parts = wnp.unstack(a)  # the number of parts depends on the fed shape
    with pytest.raises(wire.WireError, match="gave 2 results for the fed shapes"):
        wire.evaluate(parts[0], {a: np.ones((2, 3))})


def test_a_graph_over_shapeless_vars_evaluates_on_positional_arguments():
    a = wire.var("a")
    g = wire.Graph([a.node], [a.T.node, wnp.sum(a, axis=-1).node])
    A = RNG.normal(size=(2, 3))
    got_t, got_s = wire.evaluate(g, A)
    np.testing.assert_array_equal(got_t, A.T)
    np.testing.assert_allclose(got_s, A.sum(axis=-1))


def test_simplifying_a_shapeless_graph_whose_rules_make_nodes():
    """Rules that build a node (``x * -1.0 -> -x``, ``x - (-y) -> x + y``) on shapeless vars
    make it shapeless, as tracing does, instead of asking the shape rule for a shape."""
    x, y = wire.var("x"), wire.var("y")
    g = wire.Graph([x.node, y.node], [(x * -1.0).node, (x * 1.0 - (-y)).node, (x / -1.0).node])
    s = wire.simplify(g)
    assert [n.op.name for n in s.outputs] == ["neg", "add", "neg"]
    assert all(n.aval.shape is None for n in s.outputs)
    X, Y = RNG.normal(size=(2, 3)), RNG.normal(size=(3,))
    for got, want in zip(wire.evaluate(s, X, Y), [-X, X + Y, -X]):
        np.testing.assert_array_equal(got, want)


def test_a_fed_value_takes_the_vars_dtype_or_is_refused():
    x, w = wire.var("x"), wire.var("w")
    y = (x @ w).sum(axis=1)
    (gw,) = wire.gradients(y.sum(), [w])
    for dt in (np.float32, np.int64, np.bool_):
        out = wire.Executor([y, gw]).run({x: np.ones((2, 3), dt), w: np.ones((3, 4), dt)})
        # one dtype throughout (the value and its gradient were float32 and float64)
        assert [o.dtype for o in out] == [np.float64, np.float64], dt
        np.testing.assert_array_equal(out[1], np.full((3, 4), 2.0))
    with pytest.raises(wire.WireTypeError, match="complex128"):
        wire.Executor([y]).run({x: np.ones((2, 3), complex), w: np.ones((3, 4))})
    k = wire.var("k", dtype=np.int8)
    with pytest.raises(wire.WireTypeError, match="int8"):
        wire.evaluate([k * 2], {k: np.array([300, 1])})  # int64 into int8 would wrap


def test_a_traced_graph_evaluates_in_its_own_dtypes():
    g = wire.trace(lambda x: x * 2.0 + wnp.sin(x), np.ones(3))
    np.testing.assert_array_equal(wire.evaluate(g, np.ones(3, np.float32)),
                                  wire.evaluate(g, np.ones(3)))
    with pytest.raises(wire.WireTypeError, match="complex128"):
        wire.evaluate(g, np.ones(3, complex))  # sin of a complex value is not this graph's
    gi = wire.trace(lambda k: k * 2, np.ones(3, np.int64))
    with pytest.raises(wire.WireTypeError, match="float64"):
        wire.evaluate(gi, np.full(3, 1.5))
