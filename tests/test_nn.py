"""wire.nn: layer shapes, gradients against finite differences, BatchNorm/Dropout semantics,
shape errors, and a short training run whose loss drops."""

import numpy as np
import pytest

import wire
from wire import nn, optim
from wire import random as wr


def numerical_grad(f, tree, eps=1e-6):
    leaves, td = wire.tree.flatten(tree)
    grads = []
    for i, leaf in enumerate(leaves):
        g = np.zeros_like(leaf)
        for idx in np.ndindex(leaf.shape):
            bumped = []
            for sign in (1, -1):
                new = [x.copy() for x in leaves]
                new[i][idx] += sign * eps
                bumped.append(f(wire.tree.unflatten(td, new)))
            g[idx] = (bumped[0] - bumped[1]) / (2 * eps)
        grads.append(g)
    return wire.tree.unflatten(td, grads)


def check_layer_grads(layer, in_shape, x=None, rtol=1e-5, **kw):
    rng = np.random.default_rng(0)
    params = layer.init(wr.key(1), in_shape)
    x = rng.normal(size=in_shape) if x is None else x
    proj = rng.normal(size=layer.out_shape(in_shape))

    def loss(p):
        y = layer.apply(p, x, **kw)
        return float(np.sum(np.asarray(y) * proj)) if not isinstance(y, wire.Tracer) else None

    sym = wire.grad(lambda p: wire.numpy.sum(layer.apply(p, x, **kw) * proj))(params)
    num = numerical_grad(loss, params)
    for a, b in zip(wire.tree.leaves(sym), wire.tree.leaves(num)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6)
    if np.issubdtype(x.dtype, np.floating):
        gx = wire.grad(lambda x_: wire.numpy.sum(layer.apply(params, x_, **kw) * proj))(x)
        nx = numerical_grad(lambda x_: float(np.sum(layer.apply(params, x_, **kw) * proj)), x)
        np.testing.assert_allclose(gx, nx, rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("layer,in_shape", [
    (nn.Dense(3), (2, 4)),
    (nn.Conv2D(2, (3, 3)), (2, 5, 5, 2)),
    (nn.Conv2D(2, (3, 2), strides=2, padding="SAME"), (1, 5, 6, 1)),
    (nn.Conv2D(1, (2, 2), dilation=2, padding="SAME"), (1, 5, 5, 2)),
    (nn.MaxPool((2, 2)), (1, 4, 4, 2)),
    (nn.MaxPool((3, 3), strides=1, padding="SAME"), (1, 4, 4, 1)),
    (nn.AvgPool((2, 2), strides=1), (1, 3, 3, 2)),
    (nn.AvgPool((3, 3), strides=2, padding="SAME"), (1, 5, 5, 1)),
    (nn.LayerNorm(), (3, 4)),
    (nn.LSTM(3), (2, 4, 2)),
    (nn.GRU(3), (2, 3, 2)),
    (nn.MultiHeadSelfAttention(2, causal=True), (2, 3, 4)),
    (nn.serial(nn.Dense(4), nn.Tanh(), nn.Dense(2), nn.LogSoftmax()), (3, 3)),
])
def test_layer_gradients_match_finite_differences(layer, in_shape):
    check_layer_grads(layer, in_shape)


def test_batchnorm_gradients_train_mode():
    layer = nn.BatchNorm()
    x = np.random.default_rng(1).normal(size=(5, 3))
    params = layer.init(None, x.shape)
    proj = np.random.default_rng(2).normal(size=x.shape)
    f = lambda x_: wire.numpy.sum(layer.apply(params, x_, train=True)[0] * proj)
    num = numerical_grad(lambda x_: float(np.sum(layer.apply(params, x_, train=True)[0] * proj)),
                         x)
    np.testing.assert_allclose(wire.grad(f)(x), num, rtol=1e-5, atol=1e-7)


def test_conv_matches_naive_loop():
    rng = np.random.default_rng(0)
    x, (init, apply) = rng.normal(size=(2, 6, 7, 3)), nn.Conv2D(4, (3, 2), strides=(2, 1))
    p = init(wr.key(0), x.shape)
    y = apply(p, x)
    w, b = p["w"], p["b"]
    ref = np.zeros(y.shape)
    for i in range(y.shape[1]):
        for j in range(y.shape[2]):
            patch = x[:, 2 * i : 2 * i + 3, j : j + 2, :]
            ref[:, i, j, :] = np.einsum("nhwc,hwcf->nf", patch, w) + b
    np.testing.assert_allclose(y, ref, rtol=1e-12)


def test_shapes_and_out_shape():
    model = nn.serial(nn.Conv2D(4, (3, 3), padding="SAME"), nn.Relu(), nn.MaxPool(),
                      nn.Flatten(), nn.Dense(5))
    params = model.init(wr.key(0), (-1, 8, 8, 1))
    assert model.out_shape((-1, 8, 8, 1)) == (-1, 5)
    assert model.apply(params, np.zeros((3, 8, 8, 1))).shape == (3, 5)
    emb = nn.Embedding(7, 3)
    assert emb.apply(emb.init(wr.key(0), (2, 4)), np.array([[0, 6, 1, 1]])).shape == (1, 4, 3)
    lstm = nn.LSTM(5)
    ys, (h, c) = lstm.apply(lstm.init(wr.key(0), (2, 3, 4)), np.ones((2, 3, 4)),
                            return_state=True)
    assert ys.shape == (2, 3, 5) and h.shape == c.shape == (2, 5)
    np.testing.assert_allclose(ys[:, -1], h)


def test_params_are_pyrsistent():
    from pyrsistent import PMap, PVector

    params = nn.serial(nn.Dense(2), nn.Dense(1)).init(wr.key(0), (1, 3))
    assert isinstance(params, PVector) and isinstance(params[0], PMap)


def test_embedding_gradient_is_scatter_add():
    emb = nn.Embedding(4, 2)
    p = emb.init(wr.key(0), (1, 3))
    g = wire.grad(lambda p: wire.numpy.sum(emb.apply(p, np.array([[1, 1, 3]]))))(p)
    np.testing.assert_array_equal(g["table"], [[0, 0], [2, 2], [0, 0], [1, 1]])


def test_batchnorm_train_and_eval_semantics():
    init, apply = nn.BatchNorm(momentum=0.5)
    p = init(None, (-1, 2))
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    y, p2 = apply(p, x, train=True)
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(0), 1, atol=1e-4)
    np.testing.assert_allclose(p2["mean"], [1.0, 10.0])  # 0.5 * 0 + 0.5 * batch mean
    np.testing.assert_allclose(p2["var"], [1.0, 50.5])  # 0.5 * 1 + 0.5 * batch var
    np.testing.assert_array_equal(p["mean"], [0.0, 0.0])  # the old params are untouched
    y_eval = apply(p2, x)  # eval: running statistics, one output
    np.testing.assert_allclose(y_eval, (x - p2["mean"]) / np.sqrt(p2["var"] + 1e-5))
    # in a serial model the new state comes back as a whole new params tree
    model = nn.serial(nn.Dense(2), nn.BatchNorm())
    mp = model.init(wr.key(0), (-1, 3))
    out, mp2 = model.apply(mp, np.ones((4, 3)) * np.arange(4)[:, None], train=True)
    assert out.shape == (4, 2) and not np.array_equal(mp2[1]["mean"], mp[1]["mean"])
    assert model.apply(mp2, np.ones((4, 3))).shape == (4, 2)
    # running statistics get exactly zero gradient; the trainable mask excludes them
    g = wire.grad(lambda q: wire.numpy.sum(model.apply(q, np.ones((4, 3)), train=True)[0]))(mp)
    np.testing.assert_array_equal(g[1]["mean"], 0)
    mask = nn.trainable_mask(mp)
    assert mask[1]["scale"] and not mask[1]["mean"] and mask[0]["w"]


def test_dropout_determinism_given_key():
    init, apply = nn.Dropout(0.5)
    x = np.ones((8, 8))
    a = apply(init(None, x.shape), x, key=wr.key(0), train=True)
    b = apply(init(None, x.shape), x, key=wr.key(0), train=True)
    c = apply(init(None, x.shape), x, key=wr.key(1), train=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert set(np.unique(a)) <= {0.0, 2.0}
    np.testing.assert_array_equal(apply(None, x), x)  # eval: identity
    with pytest.raises(wire.WireError, match="needs a random key"):
        apply(None, x, train=True)


def test_wrong_input_shape_names_layer_and_expected_shape():
    init, apply = nn.Dense(3)
    p = init(wr.key(0), (-1, 4))
    with pytest.raises(wire.ShapeError, match=r"Dense\(3\).*\(\.\.\., 4\).*test_nn.py"):
        apply(p, np.ones((2, 5)))
    conv = nn.Conv2D(2, (3, 3))
    cp = conv.init(wr.key(0), (-1, 5, 5, 1))
    with pytest.raises(wire.ShapeError, match=r"Conv2D\(2, \(3, 3\)\).*\(N, H, W, 1\)"):
        conv.apply(cp, np.ones((1, 5, 5)))
    with pytest.raises(wire.ShapeError, match="Conv2D"):
        conv.init(wr.key(0), (5, 5, 1))
    # also while tracing
    with pytest.raises(wire.ShapeError, match=r"Dense\(3\)"):
        wire.grad(lambda x: apply(p, x).sum())(np.ones((2, 5)))


def test_activations_and_losses():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(nn.softplus(x), np.log1p(np.exp(x)))
    np.testing.assert_allclose(nn.sigmoid(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.softmax(x), np.exp(x) / np.exp(x).sum())
    np.testing.assert_allclose(nn.silu(x), x / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.elu(x), [np.expm1(-2.0), 0.0, 3.0])
    np.testing.assert_allclose(nn.leaky_relu(x, 0.1), [-0.2, 0.0, 3.0])
    logits, labels = np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]]), np.array([1, 0])
    ref = -np.mean(np.log(np.exp(logits[[0, 1], labels]) / np.exp(logits).sum(1)))
    np.testing.assert_allclose(nn.softmax_cross_entropy(logits, labels), ref)
    t = np.array([0.0, 1.0, 1.0])
    np.testing.assert_allclose(nn.binary_cross_entropy_with_logits(x, t, reduction="none"),
                               -(t * np.log(nn.sigmoid(x)) + (1 - t) * np.log(1 - nn.sigmoid(x))))
    np.testing.assert_allclose(nn.huber(np.array([0.5, -3.0]), np.zeros(2), reduction="none"),
                               [0.125, 2.5])
    np.testing.assert_allclose(nn.mse(x, np.zeros(3)), np.mean(x**2))
    with pytest.raises(wire.ShapeError):
        nn.softmax_cross_entropy(logits, np.array([1, 0, 2]))
    g = wire.grad(lambda z: nn.softmax_cross_entropy(z, labels))(logits)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(g, (p - np.eye(3)[labels]) / 2)


def test_initializers():
    k = wr.key(0)
    w = nn.initializers.he_normal()(k, (200, 300))
    assert abs(w.var() * 200 / 2 - 1) < 0.05 and np.abs(w).max() <= 2 * np.sqrt(2 / 200) / 0.8796 * 1.0001
    u = nn.initializers.glorot_uniform()(k, (100, 50))
    assert np.abs(u).max() <= np.sqrt(6 / 150)
    q = nn.initializers.orthogonal()(k, (3, 5))
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-12)
    c = nn.initializers.lecun_normal()(k, (3, 3, 4, 8))
    assert abs(c.var() * 36 - 1) < 0.2
    np.testing.assert_array_equal(nn.initializers.he_uniform()(k, (4, 4)),
                                  nn.initializers.he_uniform()(k, (4, 4)))


def test_short_training_run_loss_drops():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(np.int64)
    init, apply = nn.serial(nn.Dense(16), nn.Relu(), nn.Dense(2))
    params = init(wr.key(0), (-1, 5))
    opt = optim.adam(0.05)
    state = opt.init(params)

    def loss_fn(p):
        return nn.softmax_cross_entropy(apply(p, x), y)

    @wire.jit
    def step(p, s):
        loss, g = wire.value_and_grad(loss_fn)(p)
        u, s = opt.update(g, s, p)
        return optim.apply_updates(p, u), s, loss

    losses = []
    for _ in range(60):
        params, state, loss = step(params, state)
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]
    assert nn.accuracy(apply(params, x), y) > 0.9
