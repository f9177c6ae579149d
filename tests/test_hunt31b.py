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
    want = jax.lax.reduce_window(x, np.array(info.min, dtype), jax.lax.max, (1, 2, 2, 1), (1, 1, 1, 1), "SAME")
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
