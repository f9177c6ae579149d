"""wire.optim, wire.nn and wire.random on special inputs: updates against Optax's (and the
arithmetic where Optax's is off), shapes and dtypes as the params'."""

import numpy as np
import pytest

import wire
from wire import optim

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
jax.config.update("jax_enable_x64", True)


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


def test_tree_add_scale_does_not_truncate_integer_leaves():
    # the result was cast to tree_x's dtype: 1 + 0.5 * 1 came out as 1 for an integer leaf
    # (Optax's gives 1.5); a floating leaf still keeps its own precision
    tu = optim.tree_utils
    got = tu.tree_add_scale({"n": np.array([1, -2, 3]), "s": np.array(5)}, 0.5,
                            {"n": np.array([1, -2, 3]), "s": np.array(5)})
    np.testing.assert_array_equal(got["n"], [1.5, -3.0, 4.5])
    assert float(got["s"]) == 7.5
    assert optim.tree.add_scale({"n": np.array([1])}, 0.25, {"n": np.array([2])})["n"] == 1.5
    f32 = tu.tree_add_scale({"w": np.ones(2, np.float32)}, 0.5, {"w": np.ones(2)})["w"]
    assert f32.dtype == np.float32 and np.all(f32 == 1.5)
    z = tu.tree_add_scale({"w": np.ones(2)}, 1.0, {"w": np.array([1j, 0.0])})["w"]
    np.testing.assert_array_equal(z, [1 + 1j, 1.0])                  # the imaginary part kept
    jitted = wire.jit(lambda x, y: tu.tree_add_scale(x, 0.5, y))
    np.testing.assert_array_equal(jitted({"n": np.array([1, 2])}, {"n": np.array([1, 1])})["n"],
                                  [1.5, 2.5])


def test_tree_max_and_min_of_integer_leaves():
    # an -inf/inf initial value was passed for every leaf, which NumPy cannot put in an integer
    # array: integer trees raised (Optax's give the extreme element)
    tu = optim.tree_utils
    t = {"a": np.array([1, -2, 3]), "b": np.array(5), "e": np.zeros(0, np.int64)}
    assert tu.tree_max(t) == 5 and tu.tree_min(t) == -2
    assert tu.tree_max({"a": np.array([0.5]), "e": np.zeros((0, 2))}) == 0.5
    assert tu.tree_max({"e": np.zeros(0)}) == -np.inf and tu.tree_min({}) == np.inf


def test_simplex_projection_jacobian_on_the_boundary():
    # projecting a point with a zero entry (a vertex, a face of the simplex) puts that entry
    # at the threshold's kink; maximum's tie rule gave it half a derivative though the
    # threshold was computed without it: at [1, 0, 0] the Jacobian's first column summed to
    # -1 (the projection sums to 1 whatever x). Optax's rule: diag(s) - s sᵀ / |s| on the
    # support s = {p > 0}
    from wire.optim import projections

    def support_jacobian(p):
        s = (p > 0).astype(float)
        return np.diag(s) - np.outer(s, s) / s.sum()

    for x in ([1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0], [3.0, -1.0, 0.2, 0.2]):
        x = np.array(x)
        p = projections.projection_simplex(x)
        jac = wire.jacobian(projections.projection_simplex)(x)
        np.testing.assert_allclose(jac, support_jacobian(p), atol=1e-15)
        np.testing.assert_allclose(jac.sum(axis=0), 0.0, atol=1e-15)
    x = np.array([1.0, 0.0, 0.0])
    np.testing.assert_allclose(wire.jit(wire.jacobian(projections.projection_simplex))(x), 0.0)
    l1 = wire.jacobian(projections.projection_l1_sphere)(np.array([2.0, 0.0, 0.0]))
    np.testing.assert_allclose(l1, 0.0, atol=1e-15)        # the sphere's vertex: no derivative
    got = projections.projection_simplex(np.array([np.nan, 1.0]))
    assert np.isnan(got[0]) and got[1] == 1.0                # a NaN stays visible


def test_ctc_loss_with_a_masked_class():
    # a logit of -inf (a class masked at one step) made the labels' log-probabilities
    # 0 * -inf = NaN through a one-hot product, so the loss was NaN (Optax's too); the
    # limit is the loss with that logit at -1e300 (the class has probability 0 there)
    from wire.optim import losses

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(1, 6, 4))
    labels, pads, label_pads = np.array([[1, 1, 2]]), np.zeros((1, 6)), np.zeros((1, 3))
    masked, finite = logits.copy(), logits.copy()
    masked[0, 2, 1] = masked[0, 4, 0] = -np.inf
    finite[0, 2, 1] = finite[0, 4, 0] = -1e300
    loss = lambda z: losses.ctc_loss(z, pads, labels, label_pads)  # noqa: E731
    want = np.asarray(optax.ctc_loss(finite, pads, labels, label_pads))
    np.testing.assert_allclose(loss(masked), want, rtol=1e-13)
    np.testing.assert_allclose(wire.jit(loss)(masked), want, rtol=1e-13)
    g = wire.grad(lambda z: loss(z).sum())(masked)
    np.testing.assert_allclose(g, wire.grad(lambda z: loss(z).sum())(finite), atol=1e-15)
    # a padded step whose emission is impossible: the padding keeps the previous state
    pads2 = np.zeros((1, 6))
    pads2[0, 5] = 1.0
    masked[0, 5, 1:] = -np.inf
    finite[0, 5, 1:] = -1e300
    np.testing.assert_allclose(losses.ctc_loss(masked, pads2, labels, label_pads),
                               optax.ctc_loss(finite, pads2, labels, label_pads), rtol=1e-13)


def test_multiclass_hinge_and_perceptron_losses_with_a_masked_class():
    # the labelled score was sum(scores * onehot): another class's -inf score gave
    # 0 * -inf = NaN (Optax's NaN); the loss is the one with that class left out
    from wire.optim import losses

    scores = np.array([[-np.inf, 1.0, 2.0], [0.0, -np.inf, 1.0], [-np.inf, 1.0, 2.0]])
    labels = np.array([1, 2, 0])
    np.testing.assert_array_equal(losses.multiclass_hinge_loss(scores, labels),
                                  [2.0, 0.0, np.inf])      # max(s + 1 - onehot) - s[label]
    np.testing.assert_array_equal(losses.multiclass_perceptron_loss(scores, labels),
                                  [1.0, 0.0, np.inf])
    g = wire.grad(lambda s: losses.multiclass_hinge_loss(s, labels[:2]).sum())(scores[:2])
    np.testing.assert_array_equal(g, [[0.0, -1.0, 1.0], [0.5, 0.0, -0.5]])


def test_power_iteration_of_a_matrix_with_no_dominant_direction():
    # M v = 0 made the next iterate 0/0: the eigenvalue and eigenvector were NaN (Optax's
    # too), and matrix_inverse_pth_root, whose ridge is scaled by that eigenvalue, all NaN
    for fn in (optim.power_iteration, wire.jit(optim.power_iteration)):
        ev, v = fn(np.zeros((3, 3)))
        assert ev == 0.0 and np.isclose(np.linalg.norm(v), 1.0)
    ev, v = optim.power_iteration(np.diag([0.0, 2.0]), v0=np.array([1.0, 0.0]))
    assert ev == 0.0 and np.array_equal(v, [1.0, 0.0])     # v0 in the null space
    ev, v = optim.power_iteration(np.diag([1.0, 3.0]))
    assert np.isclose(ev, 3.0) and np.allclose(np.abs(v), [0.0, 1.0], atol=1e-6)
    root, err = optim.matrix_inverse_pth_root(np.zeros((2, 2)), 4)
    np.testing.assert_allclose(root, np.eye(2) * 1e-22 ** -0.25, rtol=1e-6)   # (ridge I)^(-1/4)
    assert err < 1e-6
