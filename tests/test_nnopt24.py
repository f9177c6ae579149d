"""wire.nn and wire.optim where they departed from their oracles (JAX/Flax, Optax, torch) on
what a ported training script computes. Each test states the oracle's value; the ones that
run the oracle itself skip cleanly when it is not installed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import wire
from oracles import exact_difference
from wire import nn, optim
from wire import random as wr


# ------------------------------------------------------------------- nn.initializers.uniform


def test_uniform_initializer_is_jax_s_zero_to_scale():
    """``jax.nn.initializers.uniform(scale)`` (Flax's too) draws from ``[0, scale)``: scale is
    the upper bound. wire's drew from ``[-scale, scale)`` (mean 0, not scale / 2)."""
    u = nn.initializers.uniform(0.2)(wr.key(12), (200, 200))
    assert u.dtype == np.float64
    assert u.min() >= 0.0 and u.max() < 0.2
    # mean scale / 2, variance scale**2 / 12 (40 000 draws: 5 standard errors of each)
    assert abs(u.mean() - 0.1) < 5 * 0.2 / np.sqrt(12 * u.size)
    assert abs(u.var() - 0.2**2 / 12) < 5 * 0.2**2 * np.sqrt(1 / 180 / u.size)
    u32 = nn.initializers.uniform(1.0, dtype=np.float32)(wr.key(0), (1000,))
    assert u32.dtype == np.float32 and u32.min() >= 0.0 and u32.max() < 1.0


def test_uniform_initializer_against_jax():
    jax = pytest.importorskip("jax", reason="needs jax: pip install -e '.[reference]'")
    stats = pytest.importorskip("scipy.stats")
    ours = nn.initializers.uniform(0.5)(wr.key(3), (20000,))
    theirs = np.asarray(jax.nn.initializers.uniform(0.5)(jax.random.PRNGKey(3), (20000,)))
    # same distribution (a two-sample KS test; the old [-0.5, 0.5) gives a statistic ~0.5)
    assert stats.ks_2samp(ours, theirs).statistic < 0.03


# ------------------------------------------------------------------------- Dropout(rate=1)


def test_dropout_rate_one_drops_everything_as_torch():
    """torch's ``dropout(x, p=1, training=True)`` is ``x * 0`` (NaN and inf give NaN, -2 gives
    -0.0) with gradient 0; Flax's ``Dropout(rate=1.0)`` gives zeros. wire raised."""
    init, apply = nn.Dropout(1.0)
    x = np.array([[1.0, np.nan, np.inf, -2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's 0 * nan
        got = apply(init(None, (1, 4)), x, train=True)
    torch_value = np.array([[0.0, np.nan, np.nan, -0.0]])
    assert exact_difference(torch_value, got) is None, exact_difference(torch_value, got)
    grad = wire.grad(lambda t: wire.numpy.sum(apply(init(None, (1, 4)), t, train=True)))
    assert exact_difference(np.zeros((1, 4)), grad(np.ones((1, 4)))) is None
    # no key needed (nothing random); eval is the identity; dtype kept; under jit too
    assert apply(init(None, (1, 4)), x, train=False) is x
    f32 = apply(init(None, (2, 3)), np.ones((2, 3), np.float32), train=True)
    assert exact_difference(np.zeros((2, 3), np.float32), f32) is None
    jitted = wire.jit(lambda t: apply(init(None, (2, 3)), t, train=True))
    assert exact_difference(np.zeros((2, 3)), jitted(np.ones((2, 3)))) is None


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan")])
def test_dropout_rate_outside_zero_one_raises(rate):
    with pytest.raises(wire.WireError, match="Dropout rate"):
        nn.Dropout(rate)


# ------------------------------------------------------------------- Rprop's float32 state


def _rprop_steps(update, state, params, grads):
    out = []
    for g in grads:
        u, state = update(g, state, params)
        params = optim.apply_updates(params, u)
        out.append((u, state, params))
    return out


RPROP_GRADS = [np.array([0.5, -1.0, 0.0, 2.0], np.float32) * s for s in (1, 1, -1, -1, 1)]


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_rprop_keeps_float32_state_and_updates(jit):
    """Optax's and torch's Rprop keep float32 step sizes and give float32 updates for float32
    parameters. wire's step sizes became float64 after the first step (a float64 factor
    eta_plus/eta_minus), and so did the updates: the state's dtype changed between steps."""
    opt = optim.rprop(0.1)
    p = np.ones(4, np.float32)
    state = opt.init(p)
    update = wire.jit(opt.update) if jit else opt.update
    for u, s, params in _rprop_steps(update, state, p, RPROP_GRADS):
        assert u.dtype == np.float32, u.dtype
        assert s[0].step_sizes.dtype == np.float32 and s[0].prev_updates.dtype == np.float32
        assert params.dtype == np.float32


def test_rprop_float32_against_torch():
    torch = pytest.importorskip("torch", reason="needs torch: pip install -e '.[reference]'")
    opt = optim.rprop(0.1)
    p = np.ones(4, np.float32)
    ours = _rprop_steps(opt.update, opt.init(p), p, RPROP_GRADS)
    w = torch.nn.Parameter(torch.ones(4, dtype=torch.float32))
    ref = torch.optim.Rprop([w], lr=0.1, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0))
    for g, (_, state, params) in zip(RPROP_GRADS, ours):
        w.grad = torch.tensor(g)
        ref.step()
        # float32 arithmetic on both sides: the same bits, of the parameters and of the
        # per-element step sizes (torch's state)
        assert exact_difference(w.detach().numpy(), params) is None, (w, params)
        steps = ref.state[w]["step_size"].numpy()
        assert exact_difference(steps, state[0].step_sizes) is None, (steps, state)


def test_rprop_refuses_a_schedule_clearly():
    with pytest.raises(wire.WireValueError, match="initial step size"):
        optim.rprop(optim.constant_schedule(0.1))


# ------------------------------------------------------------------ standardize's overflow

# float64 values of standardize([6, 6, -6, 0]) (epsilon negligible at these scales; JAX in
# float64 gives them): the float16 and float32 inputs below are that row times 1e4 and 5e18
STANDARDIZED = np.array([0.9045340337332909, 0.9045340337332909, -1.507556722888818,
                         -0.30151134457776363])


@pytest.mark.parametrize("dtype, scale", [(np.float16, 1e4), (np.float32, 5e18),
                                          (np.float64, 1e155)], ids=["f16", "f32", "f64"])
@pytest.mark.parametrize("algorithm", ["stable", "fast"])
def test_standardize_does_not_overflow(dtype, scale, algorithm):
    """The squares of deviations overflowed: float16 gave [0, 0, nan, 0], float32 all zeros
    (JAX's standardize gives NaN in both); the float64 values rounded to the dtype are
    expected."""
    x = (np.array([6.0, 6.0, -6.0, 0.0]) * scale).astype(dtype)
    got = nn.standardize(x, algorithm=algorithm)
    assert got.dtype == dtype
    np.testing.assert_allclose(got.astype(np.float64), STANDARDIZED,
                               rtol=2 * float(np.finfo(dtype).eps))
    # the derivative: standardize is scale-invariant up to epsilon, so d/dx at x is the one
    # at x / scale divided by scale
    w = np.array([1.0, -2.0, 0.5, 3.0])
    g = wire.grad(lambda v: wire.numpy.sum(nn.standardize(v, algorithm=algorithm) * w))
    want = g(np.array([6.0, 6.0, -6.0, 0.0]) * 1e3) * 1e3 / scale
    np.testing.assert_allclose(np.asarray(g(x), np.float64), want, rtol=1e-3)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # the masked-out 1e300
def test_standardize_scaling_ignores_masked_entries_and_keeps_bits():
    """A masked-out huge entry does not scale the others into the subnormals, and ordinary
    inputs give the unscaled formula's bits."""
    x = np.array([1e-10, 3e-10, 1e300, 2e-10])
    where = np.array([True, True, False, True])
    got = nn.standardize(x, where=where, epsilon=0.0)
    np.testing.assert_allclose(got[where], [-np.sqrt(1.5), np.sqrt(1.5), 0.0], rtol=1e-15,
                               atol=1e-15)
    r = np.random.default_rng(0).normal(size=(3, 5)) * 40
    mean = r.mean(-1, keepdims=True)
    plain = (r - mean) / np.sqrt(((r - mean) ** 2).mean(-1, keepdims=True) + 1e-5)
    assert exact_difference(plain, nn.standardize(r)) is None


def test_layernorm_of_huge_float32_values_warns_of_nothing():
    """LayerNorm scales values above 1 by a power of two ``p2``; it computed ``eps / (p2 *
    p2)`` and the unscaled variance ``var * p2 * p2``, which overflow float32 (with
    NumPy's RuntimeWarning, an error under ``-W error``) for values above 1.8e19, although
    the result is finite: the float64 values (torch's LayerNorm in float64)."""
    init, apply = nn.LayerNorm()
    x = (np.array([[6.0, 6.0, -6.0, 0.0]]) * 5e18).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = apply(init(None, (1, 4)), x)
    np.testing.assert_allclose(got[0], STANDARDIZED, rtol=1e-6)


# ------------------------------------------------------------------- noisy_sgd's key


def test_noisy_sgd_refuses_jax_keys_clearly():
    """A ported ``optax.noisy_sgd(lr, key=jax.random.key(0))`` raised a bare TypeError
    ('Cannot interpret key<fry> as a data type'); ``key=True`` was taken as seed 1."""
    jax = pytest.importorskip("jax", reason="needs jax: pip install -e '.[reference]'")
    for key in (jax.random.key(0), jax.random.PRNGKey(0), True):
        with pytest.raises(wire.WireValueError, match="int seed or a wire.random key"):
            optim.noisy_sgd(0.1, key=key)
    opt = optim.noisy_sgd(0.1, eta=0.0, key=np.int64(3))  # integer seeds still work
    np.testing.assert_array_equal(opt.update(np.ones(2), opt.init(np.zeros(2)))[0], [-0.1, -0.1])


# ------------------------------------------------------------------ tree_utils.tree_norm


@pytest.mark.parametrize("dtype, scale", [(np.float16, 100.0), (np.float32, 1e19),
                                          (np.float32, 1e-25), (np.float64, 1e160)],
                         ids=["f16", "f32-big", "f32-tiny", "f64-big"])
def test_tree_norm_neither_overflows_nor_underflows(dtype, scale):
    """The tree of 3, 4 (and 0) times ``scale`` has norm 5 * scale, finite in each dtype;
    ``tree_norm`` squared the leaves and gave inf (float16 above 256, float32 above 1.8e19,
    float64 above 1.3e154) or 0 (float32 below 1e-23). Optax's ``tree_norm`` gives the
    same inf and 0; the oracle is its value in float64, 5 * scale (global_norm's)."""
    from wire.optim import tree_utils as tu

    tree = {"a": np.array([3.0 * scale], dtype), "b": np.array([[4.0 * scale, 0.0]], dtype)}
    got = tu.tree_norm(tree)
    assert got.dtype == dtype
    np.testing.assert_allclose(float(got), 5.0 * scale, rtol=2 * float(np.finfo(dtype).eps))
    assert exact_difference(optim.global_norm(tree), got) is None
