"""``wire.nn`` at special inputs: infinite logits and targets, float16, kinks. Expected values
are the mathematical limits (checked against torch and JAX where those are right)."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire import nn

INF = np.inf


@pytest.mark.parametrize("fn", [nn.sigmoid, nn.log_sigmoid, nn.silu, nn.gelu,
                                lambda x: nn.gelu(x, approximate=False)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_activations_keep_the_input_float_dtype(fn, dtype):
    # SciPy's expit/erfc compute float16 in float64 and return float64; torch and JAX keep it
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0], dtype)
    y = fn(x)
    assert y.dtype == dtype
    want = np.asarray(fn(x.astype(np.float64)))
    np.testing.assert_allclose(np.asarray(y, np.float64), want,
                               rtol=2e-3 if dtype == np.float16 else 1e-6, atol=1e-4)
    g = wire.grad(lambda x: wnp.sum(fn(x)))(x)
    assert g.dtype == dtype
    assert wire.jit(fn)(x).dtype == dtype


def test_onehot_cross_entropy_ignores_masked_classes_with_zero_target():
    # a -inf logit (a masked class) with target 0 contributes 0 * log(0) = 0, as the
    # integer-label loss, not 0 * -inf = NaN
    logits = np.array([[-INF, 0.0, 1.0], [-INF, 2.0, -INF]])
    onehot = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    labels = np.array([1, 1])
    want = nn.softmax_cross_entropy(logits, labels, reduction="none")
    got = nn.softmax_cross_entropy_onehot(logits, onehot, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-15)
    np.testing.assert_allclose(got, [np.log1p(np.e), 0.0], rtol=1e-15)
    g = wire.grad(nn.softmax_cross_entropy_onehot)(logits, onehot)
    g_int = wire.grad(nn.softmax_cross_entropy)(logits, labels)
    np.testing.assert_allclose(g, g_int, rtol=1e-15)
    np.testing.assert_allclose(wire.jit(wire.grad(nn.softmax_cross_entropy_onehot))(logits, onehot),
                               g_int, rtol=1e-15)
    # soft targets on the unmasked classes
    soft = np.array([[0.0, 0.5, 0.5]])
    lp = np.array([0.0, 1.0]) - np.log1p(np.e)
    np.testing.assert_allclose(nn.softmax_cross_entropy_onehot(logits[:1], soft), -lp.mean(),
                               rtol=1e-15)
    # a nonzero target on a -inf logit is a genuinely infinite loss
    assert nn.softmax_cross_entropy_onehot(logits[:1], np.array([[0.5, 0.5, 0.0]])) == INF


def test_onehot_cross_entropy_gradient_in_the_targets():
    # d loss / d target = -log_softmax, finite where the class is not masked
    logits = np.array([[-INF, 0.0, 1.0]])
    t = np.array([[0.0, 1.0, 0.0]])
    g = wire.grad(nn.softmax_cross_entropy_onehot, argnums=1)(logits, t)
    lp = np.array([0.0, 1.0]) - np.log1p(np.e)
    np.testing.assert_allclose(g[0, 1:], -lp, rtol=1e-15)
    assert g[0, 0] == 0.0  # held, as xlogy's at 0


def test_binary_cross_entropy_at_infinite_logits():
    x = np.array([INF, -INF, INF, -INF, INF])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    got = nn.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_array_equal(got, [0.0, 0.0, INF, INF, INF])
    g = wire.grad(nn.binary_cross_entropy_with_logits)(x, t)  # sigmoid(x) - t, over 5
    np.testing.assert_array_equal(g, (np.array([1.0, 0.0, 1.0, 0.0, 1.0]) - t) / 5)
    jg = wire.jit(wire.grad(nn.binary_cross_entropy_with_logits))(x, t)
    np.testing.assert_array_equal(jg, g)
    f32 = nn.binary_cross_entropy_with_logits(x[:2].astype(np.float32),
                                              t[:2].astype(np.float32))
    assert f32 == 0.0 and f32.dtype == np.float32


def test_huber_gradient_at_infinite_residual():
    # the linear side's derivative delta * sign(d) (torch: the same), not inf * 0 = NaN
    d = np.array([INF, -INF, 0.5, 3.0])
    for delta in (1.0, 2.0):
        g = wire.grad(lambda p: nn.huber(p, np.zeros(4), delta=delta, reduction="sum"))(d)
        np.testing.assert_array_equal(g, [delta, -delta, 0.5, min(3.0, delta)])
        jg = wire.jit(wire.grad(lambda p: nn.huber(p, np.zeros(4), delta=delta,
                                                   reduction="sum")))(d)
        np.testing.assert_array_equal(jg, g)
    h = wire.grad(wire.grad(lambda p: nn.huber(p, 0.0)))(0.0)
    assert h == 1.0


@pytest.mark.parametrize("jit", [False, True])
def test_normalization_of_float16_inputs_beyond_256(jit):
    # the squared deviations overflowed float16: the variance was inf and the output 0
    x = np.array([[300.0, -300.0, 0.0], [1000.0, 1000.0, 1000.0]], np.float16)
    init, apply = nn.LayerNorm()
    p16 = wire.tree.map(lambda a: a.astype(np.float16), init(None, (-1, 3)))
    f = wire.jit(apply) if jit else apply
    y = f(p16, x)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.astype(np.float64),
                               [[np.sqrt(1.5), -np.sqrt(1.5), 0.0], [0.0, 0.0, 0.0]], atol=2e-3)
    g = wire.grad(lambda x: wnp.sum(apply(p16, x) * np.array([1.0, 2.0, 4.0], np.float16)))(x)
    assert g.dtype == np.float16 and np.all(np.isfinite(g.astype(np.float64)))
    binit, bapply = nn.BatchNorm()
    p = binit(None, (-1, 1))
    y, p2 = bapply(p, np.array([[300.0], [-300.0]], np.float16), train=True)
    np.testing.assert_allclose(y, [[1.0], [-1.0]], rtol=1e-6)
    # running variance: 0.9 * 1 + 0.1 * (unbiased batch variance 180000), in the tree's float64
    np.testing.assert_allclose(p2["var"], [0.9 + 0.1 * 180000.0], rtol=1e-12)


@pytest.mark.parametrize("jit", [False, True])
def test_softmax_family_over_more_than_65504_float16_entries(jit):
    # a float16 sum of 70000 terms of ~1 overflowed: logsumexp inf, softmax 0, log_softmax
    # -inf (SciPy and JAX too); the sum now accumulates in float32, as torch's
    from wire.scipy import special

    n = 70000
    x = np.zeros(n, np.float16)
    for f, want in [(nn.logsumexp, np.log(n)), (special.logsumexp, np.log(n)),
                    (nn.softmax, 1.0 / n), (special.softmax, 1.0 / n),
                    (nn.log_softmax, -np.log(n)), (special.log_softmax, -np.log(n))]:
        y = (wire.jit(f) if jit else f)(x)
        assert y.dtype == np.float16
        # 1/n is a float16 subnormal: spacing 2**-24
        np.testing.assert_allclose(np.ravel(y)[:5].astype(np.float64), want, rtol=1e-3,
                                   atol=2.0**-24)
    g = wire.grad(lambda x: nn.logsumexp(x))(x)
    assert g.dtype == np.float16
    np.testing.assert_allclose(g[:5].astype(np.float64), 1.0 / n, rtol=1e-3, atol=2.0**-24)
