"""Small programs of the kind a scientist or an ML engineer writes, run with wire at special
inputs (ties, zeros, infinities, overflow) and checked against exact closed forms or finite
differences. The first ones pin wrong answers wire gave before (prod's forward derivatives at
inf and overflow, softmax of no logits, float16 gradients of repeated indices and cumsum); the
last ones are programs (Black-Scholes greeks, masked attention, robust losses at their kinks,
a mixture with an impossible component) that wire already got right, kept as regressions.
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


def _fd(f, x, eps=1e-6):
    from finite_differences import fd_grad

    return fd_grad(lambda v: float(f(v)), np.asarray(x, float), eps)


def test_black_scholes_greeks_match_closed_forms():
    # delta = N(d1), gamma = phi(d1) / (S sigma sqrt(T)): grad and grad(grad) of the price,
    # at the money, deep in and far out of it, and under jit(vmap(grad))
    import scipy.special

    import wire.scipy.special as wsp

    K, r, sig, T = 100.0, 0.01, 0.2, 1.0

    def price(S):
        d1 = (wnp.log(S / K) + (r + 0.5 * sig ** 2) * T) / (sig * np.sqrt(T))
        return S * wsp.ndtr(d1) - K * np.exp(-r * T) * wsp.ndtr(d1 - sig * np.sqrt(T))

    S = np.array([100.0, 1e-3, 1e4, 80.0])
    d1 = (np.log(S / K) + (r + 0.5 * sig ** 2) * T) / (sig * np.sqrt(T))
    delta = scipy.special.ndtr(d1)
    gamma = np.exp(-0.5 * d1 ** 2) / np.sqrt(2 * np.pi) / (S * sig * np.sqrt(T))
    np.testing.assert_allclose(wire.jit(wire.vmap(wire.grad(price)))(S), delta, rtol=1e-12)
    np.testing.assert_allclose(wire.vmap(wire.grad(wire.grad(price)))(S), gamma,
                               rtol=1e-9, atol=1e-300)


def test_masked_attention_with_a_fully_masked_row_matches_finite_differences():
    # scores of masked keys are -inf; a query whose keys are all masked has NaN weights that
    # nan_to_num turns into 0: its gradient is 0, the others' finite and exact
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    mask = np.ones((3, 5), bool)
    mask[0] = False
    mask[1, 2:] = False

    def loss(q):
        s = wnp.where(mask, q @ k.T / 2.0, -np.inf)
        return wnp.sum(wnp.nan_to_num(wire.nn.softmax(s, axis=-1) @ v) ** 2)

    g = wire.jit(wire.grad(loss))(q)
    np.testing.assert_array_equal(g[0], 0.0)
    np.testing.assert_allclose(g, _fd(loss, q), rtol=1e-6, atol=1e-8)


def test_robust_losses_at_their_kinks_follow_the_documented_conventions():
    # abs'(0) = 0, maximum at a tie 1/2, clip at a bound 1/2, relu'(0) = 0, where picks its
    # branch: the gradient of their sum at 0 and -0.0, and finite differences elsewhere
    def loss(x):
        return wnp.sum(wnp.abs(x) + wnp.maximum(x, 0.0) + wnp.clip(x, -1.0, 1.0)
                       + wnp.where(x > 0, x ** 2, -x) + wire.nn.relu(x))

    x = np.array([0.0, -0.0, 1.0, -1.0, 0.3, -2.5])
    g = wire.grad(loss)(x)
    np.testing.assert_array_equal(g[:4], [0.5, 0.5, 5.5, -1.5])
    np.testing.assert_allclose(g[4:], _fd(loss, x)[4:], rtol=1e-7)
    np.testing.assert_array_equal(wire.jit(wire.vmap(wire.grad(loss)))(x[None]), g[None])


def test_logsumexp_mixture_with_an_impossible_component():
    # a mixture density whose first weight is exp(-inf) = 0: its log-likelihood, gradient and
    # Hessian are those of the mixture without it (0 in the dead component's logit)
    import wire.scipy.special as wsp

    mu = np.array([0.0, 1.0, 2.0])

    def nll(logits, y=0.3):
        lp = wire.nn.log_softmax(logits) - 0.5 * (y - mu) ** 2
        return -wsp.logsumexp(lp)

    logits = np.array([-np.inf, 1.0, -0.5])
    live = lambda l2: nll(wnp.concatenate([np.array([-np.inf]), l2]))
    want = -np.log(np.sum(np.exp(-0.5 * (0.3 - mu[1:]) ** 2)
                          * np.exp(logits[1:]) / np.exp(logits[1:]).sum()))
    np.testing.assert_allclose(nll(logits), want, rtol=1e-14)
    g = wire.grad(nll)(logits)
    assert g[0] == 0.0
    np.testing.assert_allclose(g[1:], _fd(live, logits[1:]), rtol=1e-7)
    h = wire.hessian(nll)(logits)
    assert np.all(np.isfinite(h)) and np.all(h[0] == 0.0)
