"""The ``matmul`` primitive takes vector operands as NumPy's ``matmul`` does: ``dot(x, w)`` of a
vector is one node (not a reshape on each side of a matrix product), with NumPy's values to
the bit, and derivatives, batching and backends that treat the vector as its row or column
matrix."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from finite_differences import fd_grad
from oracles import close

# (shape of a, shape of b): every way a vector meets matmul, batched operands among them
VECTOR_CASES = [((4,), (4, 3)), ((2, 4), (4,)), ((4,), (4,)), ((4,), (2, 4, 3)),
                ((2, 3, 4), (4,)), ((1,), (1, 2)), ((3,), (3, 1)), ((0,), (0, 2)), ((2, 0), (0,))]
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -2.5, 1e-310])


def _ops(g):
    return [n.op.name for n in g.nodes if not n.is_leaf]


@pytest.mark.parametrize("sa,sb", VECTOR_CASES)
def test_a_vector_product_is_one_matmul_node(sa, sb):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    assert _ops(wire.trace(wnp.matmul, a, b)) == ["matmul"]
    assert _ops(wire.trace(lambda a, b: a @ b, a, b)) == ["matmul"]
    if len(sa) <= 2 and len(sb) <= 2 and sa[-1] > 1:
        assert _ops(wire.trace(wnp.dot, a, b)) == ["matmul"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("sa,sb", VECTOR_CASES)
def test_vector_products_are_numpys_to_the_bit_on_special_values(sa, sb, dtype):
    rng = np.random.default_rng(1)
    a = rng.choice(SPECIAL, size=sa).astype(dtype)
    b = rng.choice(SPECIAL, size=sb).astype(dtype)
    with np.errstate(all="ignore"):
        want = np.matmul(a, b)
        for got in (wire.jvp(wnp.matmul, (a, b), (a, b))[0],  # an eager trace
                    wire.jit(wnp.matmul)(a, b),
                    wire.evaluate(wire.trace(wnp.matmul, a, b), a, b)):
            assert np.asarray(got).dtype == want.dtype
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
            np.testing.assert_array_equal(got, want)
        if len(sa) <= 2 and len(sb) <= 2:
            np.testing.assert_array_equal(wire.jit(wnp.dot)(a, b), np.dot(a, b))


@pytest.mark.parametrize("sa,sb", VECTOR_CASES[:7])
def test_vector_product_derivatives_match_finite_differences(sa, sb):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=sa), rng.normal(size=sb)

    def f(a, b):
        return wnp.sum(wnp.sin(wnp.matmul(a, b)) ** 2)

    def fn(a, b):
        return np.sum(np.sin(np.matmul(a, b)) ** 2)

    close(wire.grad(f, argnums=0)(a, b), fd_grad(lambda a: fn(a, b), a), rtol=1e-6, atol=1e-8)
    close(wire.grad(f, argnums=1)(a, b), fd_grad(lambda b: fn(a, b), b), rtol=1e-6, atol=1e-8)
    # forward mode, in both operands at once
    ta, tb = rng.normal(size=sa), rng.normal(size=sb)
    _, jv = wire.jvp(lambda a, b: wnp.matmul(a, b), (a, b), (ta, tb))
    eps = 1e-6
    fd = (np.matmul(a + eps * ta, b + eps * tb) - np.matmul(a - eps * ta, b - eps * tb)) / (2 * eps)
    close(jv, fd, rtol=1e-6, atol=1e-8)
    # second order: the Hessian in a, row by row against differences of the gradient
    h = np.asarray(wire.hessian(f)(a, b)).reshape(a.size, a.size)
    g = wire.grad(f)
    for i in range(a.size):
        e = np.zeros(a.size)
        e[i] = eps
        e = e.reshape(sa)
        row = (np.asarray(g(a + e, b)) - np.asarray(g(a - e, b))).ravel() / (2 * eps)
        close(h[i], row, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("sa,sb", VECTOR_CASES[:7])
@pytest.mark.parametrize("axes", [(0, None), (None, 0), (0, 0), (1, None)])
def test_vmap_of_a_vector_product_is_the_loop(sa, sb, axes):
    if axes[0] == 1 and len(sa) < 1:
        pytest.skip("no axis 1")
    rng = np.random.default_rng(3)
    n = 3
    def batched(shape, ax):
        return rng.normal(size=shape[:ax] + (n,) + shape[ax:])
    a = batched(sa, axes[0]) if axes[0] is not None else rng.normal(size=sa)
    b = batched(sb, axes[1]) if axes[1] is not None else rng.normal(size=sb)
    take = lambda x, ax, i: x if ax is None else np.take(x, i, axis=ax)  # noqa: E731
    want = np.stack([np.matmul(take(a, axes[0], i), take(b, axes[1], i)) for i in range(n)])
    close(wire.vmap(wnp.matmul, in_axes=axes)(a, b), want, rtol=1e-12, atol=1e-12)
    f = lambda a, b: wnp.sum(wnp.tanh(wnp.matmul(a, b)))  # noqa: E731
    got = wire.vmap(wire.grad(f), in_axes=axes)(a, b)
    for i in range(n):
        close(got[i], wire.grad(f)(take(a, axes[0], i), take(b, axes[1], i)), rtol=1e-12)


def test_vector_products_on_other_backends():
    rng = np.random.default_rng(4)
    for sa, sb in VECTOR_CASES[:5]:
        a, b = rng.normal(size=sa), rng.normal(size=sb)
        g = wire.trace(lambda a, b: wnp.matmul(a, b) * 2.0, a, b)
        want = np.matmul(a, b) * 2.0
        strict = pytest.importorskip("array_api_strict")
        close(np.asarray(wire.evaluate(g, a, b, backend=strict)), want, rtol=1e-12)
        try:
            import torch  # noqa: F401
        except ImportError:
            continue
        close(np.asarray(wire.evaluate(g, a, b, backend="torch")), want, rtol=1e-12)


def test_a_mismatched_vector_product_names_both_shapes():
    x, w = np.ones(3), np.ones((4, 2))
    with pytest.raises(wire.ShapeError, match=r"3 of shape \(3,\).*\(4, 2\).*test_matmul_vectors"):
        wire.grad(lambda w: wnp.sum(wnp.dot(x, w)))(w)
    with pytest.raises(wire.ShapeError, match=r"\(4, 2\).*\(3,\)"):
        wire.jit(lambda w: w @ x)(w)


def test_outer_product_gradients_keep_the_sign_of_zero_as_jax():
    # the weight gradient of a vector's product is an outer product, one product per entry:
    # -0.0 where the product is -0.0 (JAX's), not BLAS's sum onto +0.0; eager, jit and vmap
    x = np.array([1.0, -0.0, np.inf])
    w = np.ones((3, 2))
    f = lambda w, x: wnp.sum(x @ w)  # noqa: E731
    want = np.array([[1.0, 1.0], [-0.0, -0.0], [np.inf, np.inf]])
    for got in (wire.grad(f)(w, x), wire.jit(wire.grad(f))(w, x),
                wire.vmap(wire.grad(f), in_axes=(None, 0))(w, x[None])[0],
                wire.grad(lambda w, x: wnp.sum(x[None] @ w))(w, x)):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    u = np.array([-0.0, 2.0])
    g = wire.grad(lambda u: wnp.dot(u, u))(u)
    np.testing.assert_array_equal(np.signbit(g), [True, False])
    np.testing.assert_array_equal(g, [0.0, 4.0])
