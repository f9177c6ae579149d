"""Small programs of the kind a scientist or an ML engineer writes, run with wire at special
inputs (ties, zeros, infinities, overflow) and checked against exact closed forms or finite
differences. Each one pins a wrong answer wire gave before.
"""

from __future__ import annotations

import numpy as np

import wire
import wire.numpy as wnp


def test_hessian_of_a_product_whose_partial_overflows():
    # a likelihood written as a product of factors: the Hessian of prod(x) is, off the
    # diagonal, the product of the other entries. At [1e300, 1e300, 2] the partial in x[2]
    # (1e600) overflows to inf, but its derivatives (1e300) are finite: the prefix/suffix scan
    # multiplied the overflowed product by a padding 1 whose tangent is 0 (inf * 0 = NaN)
    x = np.array([1e300, 1e300, 2.0])
    want = np.array([[0.0, 2.0, 1e300], [2.0, 0.0, 1e300], [1e300, 1e300, 0.0]])
    np.testing.assert_array_equal(wire.hessian(wnp.prod)(x), want)
    np.testing.assert_array_equal(wire.jit(wire.hessian(wnp.prod))(x), want)


def test_forward_derivative_of_a_product_with_an_infinite_entry():
    # d prod / d x at [inf, 2] is [2, inf] (exactly the other entry); jacfwd gave [nan, inf]
    # (JAX does too), and so did the Hessian's rows: d²/dx0dx1 of x0 * x1 is 1 everywhere
    for x, grad, hess in [
        ([np.inf, 2.0], [2.0, np.inf], [[0.0, 1.0], [1.0, 0.0]]),
        ([2.0, np.inf], [np.inf, 2.0], [[0.0, 1.0], [1.0, 0.0]]),
        ([np.inf, 0.0], [0.0, np.inf], [[0.0, 1.0], [1.0, 0.0]]),
        ([3.0, np.inf, 2.0, 5.0], [np.inf, 30.0, np.inf, np.inf], None),
    ]:
        x = np.array(x)
        np.testing.assert_array_equal(wire.jacfwd(wnp.prod)(x), grad)
        np.testing.assert_array_equal(wire.grad(wnp.prod)(x), grad)
        if hess is not None:
            np.testing.assert_array_equal(wire.hessian(wnp.prod)(x), hess)


def test_prod_hessian_matches_closed_form_along_an_axis_with_zeros():
    # prod over the last axis of a batch, with zero, tied and negative entries: the Hessian of
    # sum(prod(x, -1)) has, in row (i, j), column (i, k != j), the product of the entries of
    # row i other than j and k (the third row overflows where two 1e300s meet)
    x = np.array([[0.0, 0.0, 2.0, 3.0], [1.5, -2.0, 0.5, 4.0], [1e300, 2.0, 1e300, 0.5]])
    h = wire.hessian(lambda v: wnp.sum(wnp.prod(v, axis=-1)))(x)
    want = np.zeros(x.shape * 2)
    for i in range(3):
        for j in range(4):
            for k in range(4):
                if j != k:
                    want[i, j, i, k] = np.prod(np.delete(x[i], [j, k]))
    np.testing.assert_allclose(h, want, rtol=1e-14, atol=0)


def test_softmax_over_no_logits_is_empty_as_jax_nn():
    # attention over an empty memory (zero keys): the softmax over the key axis has no entries
    # and gives an empty array of that shape (jax.nn.softmax's result); it raised SciPy's
    # "zero-size array to reduction operation maximum"
    from wire import nn

    q = np.ones((2, 3))
    k = np.zeros((0, 3))

    def scores(q, k):
        return nn.softmax(q @ k.T, axis=-1)

    for fn in (nn.softmax, nn.log_softmax):
        for shape, dtype in [((0,), np.float64), ((2, 0), np.float32), ((2, 0), np.float16)]:
            for g in (fn, wire.jit(fn)):
                out = g(np.zeros(shape, dtype))
                assert out.shape == shape and out.dtype == dtype
    assert nn.softmax(np.zeros((2, 0), np.int64)).dtype == np.float64
    assert scores(q, k).shape == (2, 0)
    assert wire.jit(scores)(q, k).shape == (2, 0)
    dq = wire.grad(lambda q: wnp.sum(scores(q, k) @ k) + wnp.sum(q))(q)
    np.testing.assert_array_equal(dq, np.ones((2, 3)))
    assert wire.jacrev(nn.log_softmax)(np.zeros(0)).shape == (0, 0)
    assert wire.vmap(nn.softmax)(np.zeros((3, 0))).shape == (3, 0)


def test_float16_embedding_gradient_counts_every_repeat():
    # a float16 embedding table looked up 3000 times at one row (token counts in a big batch),
    # and upsampling by repeat: the gradient adds 3000 ones. Accumulated in float16,
    # 2048 + 1 rounds back to 2048 and the sum stopped there (torch's index_add_ does too;
    # JAX's repeat gives 3000). Accumulated in float32 and rounded once it is 3000, exact
    table = np.ones((2, 3), np.float16)
    tokens = np.zeros(3000, np.int64)
    loss = lambda t: wnp.sum(t[tokens])
    want = np.array([[3000.0] * 3, [0.0] * 3], np.float16)
    for g in (wire.grad(loss), wire.jit(wire.grad(loss))):
        out = g(table)
        assert out.dtype == np.float16
        np.testing.assert_array_equal(out, want)
    up = wire.grad(lambda v: wnp.sum(wnp.repeat(v, 3000) * 0.5))(np.ones(2, np.float16))
    np.testing.assert_array_equal(up, np.array([1500.0, 1500.0], np.float16))
    # a scatter-max's ties are counted with the same accumulation: 3000 tied updates share
    # the cotangent 3000 ways, 1/3000 each, not 1/2048
    u = np.ones(3000, np.float16)
    gu = wire.grad(lambda u: wnp.sum(wnp.zeros(1, np.float16).at[tokens].max(u)))(u)
    np.testing.assert_allclose(gu.astype(float), np.full(3000, 1 / 3000), rtol=1e-3)


def test_float16_cumsum_derivatives_are_summed_in_float32():
    # the value is NumPy's float16 cumsum (sequential, it ends at 2048 for 3000 ones); its
    # gradient and tangent are not bound to that rounding: d sum(cumsum(x)) / dx_i = n - i
    n = 3000
    x = np.ones(n, np.float16)
    want = np.arange(n, 0, -1).astype(np.float16)
    for g in (wire.grad(lambda v: wnp.sum(wnp.cumsum(v))),
              wire.jit(wire.grad(lambda v: wnp.sum(wnp.cumsum(v))))):
        out = g(x)
        assert out.dtype == np.float16
        np.testing.assert_array_equal(out, want)
    _, t = wire.jvp(wnp.cumsum, (x,), (x,))
    np.testing.assert_array_equal(t, np.arange(1, n + 1).astype(np.float16))
    assert wnp.cumsum(x)[-1] == np.cumsum(x)[-1] == 2048  # the value stays NumPy's
