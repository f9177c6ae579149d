"""wire.stop_gradient on pytrees: every leaf is stopped, as JAX's stop_gradient maps over
pytrees (issue 19 item 13: ``stop_gradient((x, y))`` stopped nothing)."""

import collections

import numpy as np

import wire
import wire.numpy as wnp

X = np.array([0.3, -1.0, 2.0])
Y = np.array([1.5, 0.5, -2.0])


def test_a_tuple_is_stopped_leaf_by_leaf():
    def f(x, y):
        p, q = wire.stop_gradient((x, y))
        return wnp.sum(p * q + x)

    gx, gy = wire.grad(f, argnums=(0, 1))(X, Y)
    np.testing.assert_array_equal(gx, np.ones(3))
    np.testing.assert_array_equal(gy, np.zeros(3))


def test_dicts_namedtuples_and_non_array_leaves_keep_their_structure():
    Pair = collections.namedtuple("Pair", "a b")

    def f(x):
        out = wire.stop_gradient({"p": Pair(x, 2.0 * x), "n": 3, "s": None})
        assert isinstance(out["p"], Pair) and out["n"] == 3 and out["s"] is None
        return wnp.sum(out["p"].a * out["p"].b * x) + wnp.sum(x * out["n"])

    np.testing.assert_allclose(wire.grad(f)(X), 2.0 * X**2 + 3.0, rtol=1e-15)
    np.testing.assert_allclose(wire.jit(wire.grad(f))(X), 2.0 * X**2 + 3.0, rtol=1e-15)


def test_forward_mode_and_vmap_see_the_stop_too():
    def f(x):
        p, q = wire.stop_gradient([x, wnp.sin(x)])
        return p * q * x

    _, t = wire.jvp(f, (X,), (np.ones(3),))
    np.testing.assert_allclose(t, X * np.sin(X), rtol=1e-15)
    jac = wire.vmap(wire.grad(lambda s: f(s)))(X)
    np.testing.assert_allclose(jac, X * np.sin(X), rtol=1e-15)
