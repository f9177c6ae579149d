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
