"""Session 28's fixes outside the simplifier: ``ufunc.reduce`` under ``where=`` on concrete
arrays is NumPy's documented left fold (NumPy 2.4's loop skips kept entries for some ufuncs)."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from finite_differences import fd_grad

MASK = np.array([True, False, True, True])


def _fold(ufunc, x, initial):
    out = []
    for row in x:
        acc = initial
        for v, keep in zip(row, MASK):
            if keep:
                acc = ufunc(acc, v)
        out.append(acc)
    return np.array(out)


@pytest.mark.parametrize("name", ["arctan2", "power", "subtract", "hypot", "fmod"])
def test_masked_reduce_is_the_documented_fold_eager_jit_and_grad(name):
    x = np.random.default_rng(4).random((3, 4)) + 0.5
    want = _fold(getattr(np, name), x, 0.7)
    method = getattr(wnp, name).reduce
    f = lambda a: method(a, axis=1, initial=0.7, where=MASK)  # noqa: E731
    assert np.allclose(f(x), want, rtol=1e-14, atol=0)
    assert np.allclose(wire.jit(f)(x), want, rtol=1e-14, atol=0)
    g = lambda a: wnp.sum(f(a))  # noqa: E731
    np.testing.assert_allclose(wire.grad(g)(x), fd_grad(g, x), rtol=1e-6, atol=1e-8)


def test_a_float_slice_bound_is_numpys_type_error_not_a_truncated_slice():
    # x[:, :2.5] was x[:, :2] (int() of the bound), eager and under jit; NumPy and JAX raise
    x = np.ones((3, 3))
    with pytest.raises(TypeError, match="slice indices must be integers"):
        np.asarray(x)[:, :2.5]
    with pytest.raises(wire.WireTypeError, match="slice indices must be integers"):
        wire.jit(lambda a: wnp.sum(a[:, :2.5]))(x)
    with pytest.raises(wire.WireTypeError, match="got float 2.5"):
        wire.grad(lambda a, k: wnp.sum(a[:, :k]))(x, 2.5)
    with pytest.raises(wire.WireTypeError):
        wire.jit(lambda a: a.at[1.0:].set(0.0))(x)
    # integers of every kind (and NumPy's bool, an __index__) stay as they were
    assert float(wire.jit(lambda a: wnp.sum(a[:, :np.int64(2)]))(x)) == 6.0
    assert float(wire.jit(lambda a: wnp.sum(a[:True]))(x)) == np.sum(x[:True])
