"""wire.optim, wire.nn and wire.random on special inputs: updates against Optax's (and the
arithmetic where Optax's is off), shapes and dtypes as the params'."""

import numpy as np

import wire
from wire import optim


def test_distance_over_gradients_keeps_a_scalar_leafs_shape():
    # the sum of squared gradients is a shape-(1,) array (Optax's state); the update had that
    # shape too, so a scalar param could not be updated (Optax's update turns it into (1,))
    t = optim.scale_by_distance_over_gradients()
    p = {"c": np.array(0.7), "a": np.array([1.0, 2.0])}
    g = {"c": np.array(0.3), "a": np.array([0.1, 0.2])}
    for update in (t.update, wire.jit(t.update)):
        u, state = update(g, t.init(p), p)
        assert np.shape(u["c"]) == () and np.shape(u["a"]) == (2,)
        assert np.shape(state.grad_sum_of_squares["c"]) == (1,)
        d = 1e-6 * 1.7                                      # reps_rel * (1 + |x0|)
        np.testing.assert_allclose(u["c"], d / np.sqrt(0.09 + 1e-8) * 0.3, rtol=1e-12)
        assert np.shape(optim.apply_updates(p, u)["c"]) == ()
