"""``wire.optim`` at special inputs: gradient norms outside the leaves' range, zero and
non-finite gradients, low-precision dtypes."""

import numpy as np
import pytest

import wire
from wire import optim


@pytest.mark.parametrize("jit", [False, True])
def test_clip_by_global_norm_does_not_zero_float16_gradients(jit):
    # the squares of float16 gradients above 256 overflow: the norm was inf, the factor 0
    g = {"a": np.array([300.0, 400.0], np.float16), "b": np.array([[3e4]], np.float16)}
    t = optim.clip_by_global_norm(1.0)
    update = wire.jit(t.update) if jit else t.update
    u, _ = update(g, t.init(None))
    norm = np.sqrt(300.0**2 + 400.0**2 + 3e4**2)
    for k in g:
        assert u[k].dtype == np.float16
        np.testing.assert_allclose(np.asarray(u[k], np.float64),
                                   np.asarray(g[k], np.float64) / norm, rtol=2e-3)


@pytest.mark.parametrize("jit", [False, True])
def test_global_norm_without_overflow_or_underflow(jit):
    gn = wire.jit(optim.global_norm) if jit else optim.global_norm
    for x, want in [(np.array([3e19, 4e19], np.float32), 5e19),
                    (np.array([3e-30, 4e-30], np.float32), 5e-30),
                    (np.array([300.0, 400.0], np.float16), 500.0),
                    (np.array([3e200, 4e200]), 5e200),
                    (np.array([3e-200, 4e-200]), 5e-200)]:
        got = gn(x)
        assert got.dtype == x.dtype
        np.testing.assert_allclose(float(got), want, rtol=1e-6)
    # mixed dtypes promote; complex leaves count |x|**2 and give a real norm
    mixed = {"a": np.array([3.0], np.float32), "b": np.array([4.0 + 0.0j])}
    got = gn(mixed)
    assert got.dtype == np.float64 and float(got) == 5.0
    assert float(gn(np.array([1.0 + 1.0j, 2.0]))) == pytest.approx(np.sqrt(6.0), rel=1e-15)


def test_global_norm_non_finite_and_empty():
    assert np.isnan(optim.global_norm({"a": np.array([np.nan, 1.0]), "b": np.ones(2)}))
    assert np.isnan(optim.global_norm(np.array([np.nan, np.inf])))
    assert optim.global_norm(np.array([np.inf, 1.0])) == np.inf
    assert optim.global_norm({"a": np.zeros(0), "b": np.zeros((2, 0))}) == 0.0
    assert optim.global_norm({}) == 0.0
    t = optim.clip_by_global_norm(1.0)
    u, _ = t.update({"a": np.zeros(3), "b": np.zeros(0)}, t.init(None))
    np.testing.assert_array_equal(u["a"], np.zeros(3))


def test_global_norm_derivatives():
    g = wire.grad(optim.global_norm)
    np.testing.assert_allclose(g(np.array([3.0, 4.0])), [0.6, 0.8], rtol=1e-15)
    # 0 at zero (the convention of wire.numpy.linalg.norm), not inf * 0 = NaN
    np.testing.assert_array_equal(g(np.zeros(3)), np.zeros(3))
    np.testing.assert_array_equal(wire.jit(g)(np.zeros(3)), np.zeros(3))
    # the largest magnitude is a constant factored out: the derivative is still x / norm
    np.testing.assert_allclose(g(np.array([3e-30, 4e-30], np.float32)), [0.6, 0.8], rtol=1e-6)
    h = wire.hessian(optim.global_norm)(np.array([3.0, 4.0]))
    x = np.array([3.0, 4.0])
    np.testing.assert_allclose(h, (np.eye(2) - np.outer(x, x) / 25.0) / 5.0, rtol=1e-14)
