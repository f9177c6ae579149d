"""``wire.optim.losses`` (Optax's per-example losses) against ``optax.losses`` at float64 and
float32 — values and gradients at special inputs: ``-inf`` logits (masked classes), labels
exactly 0 and 1, logits of +-1e4, ties, NaN — and the small ``wire.nn`` fixes that go with
them (``hard_tanh`` on integers, ``sparse_sigmoid``'s derivative at NaN, ``logmeanexp``'s
accuracy near 0, ``logsumexp``'s derivative where the weighted sum is 0)."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

import wire
from wire import nn

jax = pytest.importorskip("jax", reason="needs jax: pip install -e '.[reference]'")
optax = pytest.importorskip("optax", reason="needs optax: pip install -e '.[reference]'")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy


# ----------------------------------------------------------------------------- wire.nn fixes

@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.float32, np.float64])
def test_hard_tanh_keeps_the_input_dtype(dtype):
    x = np.array([-3, -1, 0, 1, 3], dtype=dtype)
    got, want = nn.hard_tanh(x), np.asarray(jax.nn.hard_tanh(jnp.asarray(x)))
    assert got.dtype == want.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, want)


def test_sparse_sigmoid_at_nan():
    assert np.isnan(nn.sparse_sigmoid(np.nan))
    assert float(wire.grad(nn.sparse_sigmoid)(np.nan)) == 0.0  # was 0.5; JAX gives 0
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    g = wire.elementwise_grad(nn.sparse_sigmoid)(x)
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5, 0.0])


def _logmeanexp_mp(xs):
    with mpmath.workdps(60):
        s = mpmath.fsum(mpmath.expm1(mpmath.mpf(float(v))) for v in xs) / len(xs)
        return float(mpmath.log1p(s))


@pytest.mark.parametrize("xs", [
    1e-8 * np.linspace(-1, 1, 7),            # mean 2.2e-17: the old form gave 0.0
    np.array([1e-5, 2e-5, -1e-5]),           # 4e-11 relative off before
    np.array([0.0, 1e-300]),
    np.array([3.0, 3.0, 3.0]),
    np.array([-745.0, -700.0, 10.0]),
])
def test_logmeanexp_accuracy_against_mpmath(xs):
    want = _logmeanexp_mp(xs)
    got = float(nn.logmeanexp(xs))
    # within the problem's conditioning: sum |x_i| / n ulps of the result's scale
    tol = 4e-16 * max(abs(want), np.abs(xs).max())
    assert abs(got - want) <= tol, (got, want)


def test_logmeanexp_matches_jax_with_where_axis_and_infinities():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    where = rng.random((3, 4)) > 0.3
    for axis in (None, -1, 0):
        for keepdims in (False, True):
            got = nn.logmeanexp(x, axis=axis, keepdims=keepdims, where=where)
            want = jax.nn.logmeanexp(jnp.asarray(x), axis=axis, keepdims=keepdims, where=where)
            assert np.shape(got) == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-14)
            gw = wire.grad(lambda a: nn.logmeanexp(a, axis=axis, keepdims=keepdims,
                                                   where=where).sum())(x)
            gj = jax.grad(lambda a: jax.nn.logmeanexp(a, axis=axis, keepdims=keepdims,
                                                      where=where).sum())(jnp.asarray(x))
            np.testing.assert_allclose(gw, gj, rtol=1e-14, atol=1e-300)
    special = np.array([[0.0, -np.inf, 1.0], [-np.inf] * 3, [np.inf, 0.0, 1.0],
                        [np.nan, 0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(
            nn.logmeanexp(special, axis=-1),
            np.asarray(jax.nn.logmeanexp(jnp.asarray(special), axis=-1)), rtol=1e-15)
        assert np.isnan(nn.logmeanexp(np.zeros((2, 0)), axis=-1)).all()
    assert nn.logmeanexp(x.astype(np.float32)).dtype == np.float32


def test_logsumexp_derivative_where_the_weighted_sum_is_zero():
    # log|sum b e^a| at sum = 0 has no derivative: its two one-sided limits have opposite
    # signs (JAX's +-inf takes the sign of an exact +0.0). wire gives NaN (decided; documented
    # in nn.logsumexp), and the value -inf, as SciPy and JAX.
    b = np.array([1.0, -1.0])
    a = np.array([0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert float(nn.logsumexp(a, b=b)) == -np.inf
        assert np.isnan(wire.grad(lambda a: nn.logsumexp(a, b=b))(a)).all()
