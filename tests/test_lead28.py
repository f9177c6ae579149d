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
