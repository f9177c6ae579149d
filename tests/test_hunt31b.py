"""wire.nn layers, normalisation, attention, recurrent cells and losses on edge inputs:
values against JAX's ``lax.reduce_window`` / ``jax.nn`` and torch's ``nn.functional``."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire import nn

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)


# --------------------------------------------------------------------------- max pooling


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.uint8, np.int64])
def test_max_pool_padding_never_wins_for_integers(dtype):
    # the padding was -inf cast to the input's dtype: 0 for int8/int16 (and a cast warning),
    # so a border window of negative values gave 0: [[-1, -2, 0], [-4, -5, 0], [0, 0, 0]]
    info = np.iinfo(dtype)
    x = (np.arange(1, 10).reshape(1, 3, 3, 1) * (-1 if info.min < 0 else 1)).astype(dtype)
    init, apply = nn.MaxPool((2, 2), strides=1, padding="SAME")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = apply(init(None, (-1, 3, 3, 1)), x)
    want = jax.lax.reduce_window(x, np.array(info.min, dtype), jax.lax.max, (1, 2, 2, 1),
                                 (1, 1, 1, 1), "SAME")
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, np.asarray(want))


# --------------------------------------------------------------------------- average pooling


@pytest.mark.parametrize("strides, padding", [(1, "VALID"), (1, "SAME"), (2, ((1, 1), (1, 1)))])
def test_avg_pool_float16_window_sum_does_not_overflow(strides, padding):
    # the strided/padded path summed the window in float16: 9 x 6e4 is inf, so the average
    # of a window of 6e4 was inf (the non-overlapping path, a mean, and torch gave 6e4)
    torch = pytest.importorskip("torch")
    x = np.full((1, 5, 5, 1), 6e4, np.float16)
    x[0, 1, 2, 0] = 5e4
    init, apply = nn.AvgPool((3, 3), strides=strides, padding=padding)
    got = apply(init(None, (-1, 5, 5, 1)), x)
    pad = 0 if padding == "VALID" else 1
    want = torch.nn.functional.avg_pool2d(
        torch.tensor(x[..., 0]).double(), 3, strides, pad, count_include_pad=False)
    assert got.dtype == np.float16
    np.testing.assert_allclose(got[..., 0], want.numpy(), rtol=1e-3)


# --------------------------------------------------------------------------- losses


def test_losses_of_integer_inputs_do_not_wrap_around():
    # the differences were taken in the inputs' integer dtype: mse of int8 100 and -100 was
    # 34 (200 wraps to -56), huber's 55.5, and bce of an int8 logit -128 was 2.6e-56
    # (-(-128) wraps to -128); now as the float64 arrays (torch and Optax refuse integers)
    p, t = np.array([100, 3, -7], np.int8), np.array([-100, 1, 120], np.int8)
    pf, tf = p.astype(np.float64), t.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(nn.mse(p, t)) == float(nn.mse(pf, tf)) == np.mean((pf - tf) ** 2)
        np.testing.assert_array_equal(nn.huber(p, t, reduction="none"),
                                      nn.huber(pf, tf, reduction="none"))
        assert float(nn.huber(p, t, reduction="none")[0]) == 199.5
        logit, label = np.array([-128], np.int8), np.array([1], np.int8)
        assert float(nn.binary_cross_entropy_with_logits(logit, label)) == 128.0
        assert float(nn.mse(np.array([True, False]), np.array([False, False]))) == 0.5
        assert float(wire.jit(nn.mse)(p, t)) == float(nn.mse(pf, tf))


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("layer", [nn.LayerNorm, nn.BatchNorm])
def test_norm_statistics_in_the_output_dtype(layer):
    # a float32 input with the default float64 params gives a float64 output, but the mean
    # and variance were computed in float32: near 1e4 with unit spread the output was off by
    # 9e-4 from the float64 computation on the same values (torch in float64 agrees to 1e-11)
    torch = pytest.importorskip("torch")
    x = (1e4 + np.random.default_rng(31).normal(size=(3, 64))).astype(np.float32)
    init, apply = layer()
    params = init(None, (-1, 64))
    got = apply(params, x, train=True)[0] if layer is nn.BatchNorm else apply(params, x)
    xt = torch.tensor(x.astype(np.float64))
    if layer is nn.BatchNorm:
        want = torch.nn.functional.batch_norm(xt, None, None, training=True, eps=1e-5)
    else:
        want = torch.nn.functional.layer_norm(xt, (64,), eps=1e-5)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-10)  # (was 9e-4 off)
    # float32 params: a float32 result, computed in float32 as before
    p32 = params.set("scale", params["scale"].astype(np.float32))
    p32 = p32.set("bias", params["bias"].astype(np.float32))
    if layer is nn.LayerNorm:
        assert apply(p32, x).dtype == np.float32


# --------------------------------------------------------------------------- attention


def test_causal_self_attention_in_float16_masks_without_overflow():
    # the causal mask's -1e30 was cast to float16 with "overflow encountered in cast"
    init, apply = nn.MultiHeadSelfAttention(2, causal=True)
    params = init(wire.random.key(0), (-1, 3, 4))
    p16 = wire.tree.map(lambda a: a.astype(np.float16), params)
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = apply(p16, x.astype(np.float16))
        g = wire.grad(lambda z: wnp.sum(apply(p16, z)))(x.astype(np.float16))
    assert got.dtype == np.float16 and np.isfinite(g).all()
    np.testing.assert_allclose(got, apply(params, x), atol=5e-3)
    np.testing.assert_allclose(got[:, 0], apply(p16, x[:, :1].astype(np.float16))[:, 0])


def test_cosine_similarity_of_huge_and_tiny_vectors():
    # the squared norms overflowed (cosine of [1e200, 1e200] and [1, 1]: 0) or underflowed
    # ([1e-200, 0] and [1, 0]: 0/0 = NaN); both are 1 (Optax and torch give 0 and NaN too)
    cos = wire.optim.losses.cosine_similarity
    a = np.array([[1e200, 1e200, 0.0], [1e-200, 0.0, 0.0], [3.0, -1.0, 2.0], [1e-200, 0, 0]])
    b = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1e-5, 2e-5, 1e-5], [-1e300, 0, 0]])
    unscaled = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [3.0, -1.0, 2.0], [1.0, 0, 0]])
    want = np.sum(unscaled * (b / np.abs(b).max(-1, keepdims=True)), -1) / (
        np.linalg.norm(unscaled, axis=-1) * np.linalg.norm(b / np.abs(b).max(-1, keepdims=True),
                                                           axis=-1))
    np.testing.assert_allclose(cos(a, b), want, rtol=1e-15)
    a32 = np.array([[1e30, 1e30, 0.0], [1e-30, 0.0, 0.0]], np.float32)  # (float32: 0, NaN)
    got32 = wire.jit(cos)(a32, np.array([[1, 1, 0], [1, 1, 0]], np.float32))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, [1.0, np.sqrt(0.5)], rtol=1e-6)
    # epsilon: each norm at least sqrt(epsilon), value and derivative (Optax's numbers)
    got = cos(a[1:2], b[1:2], epsilon=1e-8)
    g = wire.grad(lambda z: wnp.sum(cos(z, b[1:2], epsilon=1e-8)))(a[1:2])
    np.testing.assert_allclose(got, [1e-196], rtol=1e-14)
    np.testing.assert_allclose(g, [[1e4, 0.0, 0.0]], rtol=1e-14)
    zero = np.zeros((1, 3))  # a zero vector: 0 with epsilon, NaN (and NaN derivative) without
    assert float(cos(zero, b[2:3], epsilon=1e-8)[0]) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (0 / 0)
        assert np.isnan(cos(zero, b[2:3])).all()
        assert np.isnan(wire.grad(lambda z: wnp.sum(cos(z, b[2:3])))(zero)).all()


def test_triplet_margin_loss_of_huge_distances():
    # (a - p)**2 overflowed: both distances inf and the loss inf - inf = NaN (Optax's too)
    tml = wire.optim.losses.triplet_margin_loss
    a, p, n = np.array([[1e200, 0.0]]), np.array([[1e200, 1e199]]), np.array([[0.0, 1e200]])
    assert float(tml(a, p, n)[0]) == 0.0
    np.testing.assert_allclose(tml(a, n, p), [np.sqrt(2.0) * 1e200 - 1e199], rtol=1e-14)
    g = wire.grad(lambda z: wnp.sum(tml(z, n, p)))(a)
    np.testing.assert_allclose(g, [[np.sqrt(0.5), 1 - np.sqrt(0.5)]], rtol=1e-12)
