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
    # 0.5 * 1 + 0.5 * unbiased batch var (torch's convention: biased var times n / (n - 1))
    np.testing.assert_allclose(p2["var"], [1.5, 100.5])
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


# ---------------------------------------------------------------- bad labels and ids


def test_out_of_range_labels_raise_when_concrete():
    logits = np.zeros((3, 3))
    for bad in (np.array([0, 3, 1]), np.array([-1, 0, 0])):
        with pytest.raises(wire.WireError, match=r"label (3|-1) at position .* outside \[0, 3\)"):
            nn.softmax_cross_entropy(logits, bad)
        with pytest.raises(wire.WireError, match="outside"):  # also inside an eager grad
            wire.grad(lambda z, bad=bad: nn.softmax_cross_entropy(z, bad))(logits)


def test_out_of_range_labels_give_nan_under_jit():
    rng = np.random.default_rng(0)
    logits, good = rng.normal(size=(3, 4)), np.array([0, 1, 3])
    loss = wire.jit(lambda z, y: nn.softmax_cross_entropy(z, y, reduction="none"))
    grad = wire.jit(wire.grad(lambda z, y: nn.softmax_cross_entropy(z, y, reduction="sum")))
    np.testing.assert_allclose(loss(logits, good), nn.softmax_cross_entropy(logits, good,
                                                                            reduction="none"))
    for label in (4, -1):
        y = np.array([0, label, 3])
        per_example = loss(logits, y)
        assert np.isnan(per_example[1]) and np.isfinite(per_example[[0, 2]]).all()
        np.testing.assert_allclose(per_example[[0, 2]], loss(logits, good)[[0, 2]])
        g = grad(logits, y)
        assert np.isnan(g[1]).all() and np.isfinite(g[[0, 2]]).all()
        assert np.isnan(wire.jit(nn.softmax_cross_entropy)(logits, y))  # was a silent 0


def test_embedding_ids_out_of_range():
    emb = nn.Embedding(5, 2)
    p = emb.init(wr.key(0), (1, 3))
    with pytest.raises(wire.WireError, match=r"Embedding\(5, 2\): id -1 at position \(0, 1\)"):
        emb.apply(p, np.array([[0, -1, 2]]))  # used to return the last row
    with pytest.raises(wire.WireError, match="id 5"):
        emb.apply(p, np.array([5]))
    out = wire.jit(lambda p, i: emb.apply(p, i))(p, np.array([1, -1, 5, 4]))
    np.testing.assert_array_equal(out[[0, 3]], p["table"][[1, 4]])
    assert np.isnan(out[[1, 2]]).all()
    g = wire.jit(wire.grad(lambda p, i: wire.numpy.sum(emb.apply(p, i))))(p, np.array([1, 1]))
    np.testing.assert_array_equal(g["table"], [[0, 0], [2, 2], [0, 0], [0, 0], [0, 0]])


# ---------------------------------------------------------------- conventions


def d(f, x):
    return float(wire.grad(f)(float(x)))


def test_kink_derivatives_follow_torch_and_jax():
    assert [d(nn.relu, v) for v in (0.0, np.nan, 1.0)] == [0.0, 0.0, 1.0]
    assert [d(nn.relu6, v) for v in (0.0, 6.0, 3.0, -1.0, 7.0, np.nan)] == [0, 0, 1, 0, 0, 0]
    assert d(nn.elu, 0.0) == 1.0  # was 0.5
    assert d(lambda x: nn.elu(x, 2.0), 0.0) == 2.0
    np.testing.assert_allclose(d(nn.selu, 0.0), 1.6732632423543772 * 1.0507009873554805)
    assert d(nn.leaky_relu, 0.0) == 1.0
    # and away from the kinks the one-sided values, also in forward mode
    for f, x, want in [(nn.elu, -1e-9, 1.0), (nn.elu, 1e-9, 1.0), (nn.relu6, 5.999, 1.0)]:
        np.testing.assert_allclose(wire.jvp(f, (x,), (1.0,))[1], want, rtol=1e-8)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own warnings about NaN input
def test_activation_special_values():
    x = np.array([np.nan, -np.inf, np.inf, -0.0])
    np.testing.assert_array_equal(nn.relu6(x), [np.nan, 0.0, 6.0, 0.0])
    np.testing.assert_array_equal(nn.elu(x), [np.nan, -1.0, np.inf, 0.0])
    np.testing.assert_array_equal(nn.softplus(x), [np.nan, 0.0, np.inf, np.log(2.0)])
    np.testing.assert_array_equal(nn.log_sigmoid(x), [np.nan, -np.inf, 0.0, -np.log(2.0)])
    assert float(nn.logsumexp(np.array([-np.inf, -np.inf]))) == -np.inf
    assert float(nn.logsumexp(np.array([np.inf, 0.0]))) == np.inf
    with np.errstate(over="raise"):  # the unused exp branch of elu never overflows
        nn.elu(np.array([800.0]))
    assert wire.jit(wire.grad(nn.softplus))(np.float64(1e4)) == 1.0


def test_gelu_exact_tail_gradient_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40

    def true_grad(x):
        x = mpmath.mpf(x)
        return float(mpmath.ncdf(x) + x * mpmath.npdf(x))

    f = lambda x: nn.gelu(x, approximate=False)
    for x in (-10.0, -20.0, -30.0, -5.0, 0.5, 3.0):
        for g in (wire.grad(f)(x), wire.jit(wire.grad(f))(x)):  # jit also simplifies
            np.testing.assert_allclose(float(g), true_grad(x), rtol=1e-12)
        np.testing.assert_allclose(float(f(x)), float(mpmath.mpf(x) * mpmath.ncdf(x)),
                                   rtol=1e-13)
    for x in (-10.0, -5.0):  # the tanh form is also accurate in its own tail
        z = np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)
        want = float(mpmath.mpf(x) / (1 + mpmath.exp(-2 * mpmath.mpf(z))))  # x (1 + tanh z)/2
        np.testing.assert_allclose(float(nn.gelu(x)), want, rtol=1e-13)


def test_dropout_keeps_nan_where_it_drops():
    apply = nn.Dropout(0.5).apply
    x = np.full((64,), np.nan)
    assert np.isnan(apply(None, x, key=wr.key(0), train=True)).all()  # torch: NaN * 0 = NaN
    y = apply(None, np.ones(64, np.float32), key=wr.key(0), train=True)
    assert y.dtype == np.float32 and set(np.unique(y)) == {0.0, 2.0}


def test_avgpool_padding_conventions():
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    pads = ((1, 1), (1, 1))
    excl = nn.AvgPool((3, 3), strides=1, padding=pads)
    incl = nn.AvgPool((3, 3), strides=1, padding=pads, count_include_pad=True)
    corner = x[0, :2, :2, 0]
    assert excl.apply(None, x)[0, 0, 0, 0] == corner.mean()
    assert incl.apply(None, x)[0, 0, 0, 0] == corner.sum() / 9
    np.testing.assert_array_equal(excl.apply(None, x)[0, 1, 1], incl.apply(None, x)[0, 1, 1])


def test_avgpool_refuses_a_window_of_padding_only():
    # count_include_pad=False averages over the input's cells: a window holding none of them
    # was 0/0 = NaN, silently (torch refuses such padding); counting padding is still allowed
    pads = ((2, 0), (0, 0))
    with pytest.raises(wire.ShapeError, match=r"output index 0 of axis 0 holds padding only.*"
                                              r"test_nn\.py"):
        nn.AvgPool((2, 2), strides=1, padding=pads).apply(None, np.ones((1, 3, 3, 1)))
    with pytest.raises(wire.ShapeError, match="padding only"):
        nn.AvgPool((2, 2), strides=1, padding=pads).init(None, (1, 3, 3, 1))
    incl = nn.AvgPool((2, 2), strides=1, padding=pads, count_include_pad=True)
    np.testing.assert_array_equal(incl.apply(None, np.ones((1, 3, 3, 1)))[0, :, 0, 0],
                                  [0.0, 0.5, 1.0, 1.0])
    # a window reaching the input by one cell is fine
    out = nn.AvgPool((2, 2), strides=1, padding=((1, 0), (0, 0))).apply(None, np.ones((1, 3, 3, 1)))
    assert np.all(out == 1.0)


def test_maxpool_ties_share_the_gradient():
    apply = nn.MaxPool((2, 2)).apply
    x = np.array([[1.0, 1.0], [0.0, 1.0]]).reshape(1, 2, 2, 1)
    g = wire.grad(lambda x: wire.numpy.sum(apply(None, x)))(x)
    np.testing.assert_allclose(g.ravel(), [1 / 3, 1 / 3, 0.0, 1 / 3])
    over = nn.MaxPool((2, 2), strides=1, padding="SAME")
    g = wire.grad(lambda x: wire.numpy.sum(over.apply(None, x)))(np.ones((1, 2, 2, 1)))
    # windows of 4, 2, 2 and 1 tied cells; the padding (-inf) never takes a share
    np.testing.assert_allclose(g.ravel(), [1 / 4, 3 / 4, 3 / 4, 9 / 4])


def test_batchnorm_running_variance_is_unbiased():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    init, apply = nn.BatchNorm(momentum=0.0)
    _, p = apply(init(None, x.shape), x, train=True)
    np.testing.assert_allclose(p["var"], x.reshape(-1, 4).var(0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(p["mean"], x.reshape(-1, 4).mean(0), rtol=1e-12)
    with pytest.raises(wire.WireError, match="more than one value per feature"):
        apply(init(None, (1, 4)), np.ones((1, 4)), train=True)


# ---------------------------------------------------------------- float32 stays float32


def f32(tree):
    return wire.tree.map(lambda a: np.asarray(a, np.float32), tree)


@pytest.mark.parametrize("layer,in_shape", [
    (nn.Dense(3), (2, 4)),
    (nn.Conv2D(2, (3, 3), padding="SAME"), (2, 5, 5, 2)),
    (nn.MaxPool((3, 3), strides=1, padding="SAME"), (1, 4, 4, 1)),
    (nn.AvgPool((3, 3), strides=2, padding="SAME"), (1, 5, 5, 1)),
    (nn.AvgPool((3, 3), strides=1, padding=((1, 1), (1, 1)), count_include_pad=True),
     (1, 4, 4, 1)),
    (nn.LayerNorm(), (3, 4)),
    (nn.LSTM(3), (2, 4, 2)),
    (nn.GRU(3), (2, 3, 2)),
    (nn.MultiHeadSelfAttention(2, causal=True), (2, 3, 4)),
    (nn.Lambda(lambda x: nn.gelu(x, approximate=False)), (2, 3)),
    (nn.Lambda(nn.gelu), (2, 3)),
    (nn.Lambda(nn.selu), (2, 3)),
])
def test_float32_in_float32_out(layer, in_shape):
    params = f32(layer.init(wr.key(0), in_shape))
    x = np.random.default_rng(0).normal(size=in_shape).astype(np.float32)
    assert layer.apply(params, x).dtype == np.float32
    assert wire.jit(lambda p, x: layer.apply(p, x))(params, x).dtype == np.float32
    gx = wire.jit(wire.grad(lambda x, p: wire.numpy.sum(layer.apply(p, x))))(x, params)
    assert gx.dtype == np.float32
    gp = wire.grad(lambda p: wire.numpy.sum(layer.apply(p, x)))(params)
    assert all(g.dtype == np.float32 for g in wire.tree.leaves(gp))


def test_float32_batchnorm_and_losses():
    init, apply = nn.BatchNorm()
    x = np.ones((4, 3), np.float32)
    y, p = apply(f32(init(None, x.shape)), x, train=True)
    assert y.dtype == np.float32 and all(v.dtype == np.float32 for v in wire.tree.leaves(p))
    z, t = np.zeros((2, 3), np.float32), np.array([0, 2])
    for loss in (lambda z: nn.softmax_cross_entropy(z, t),
                 lambda z: nn.binary_cross_entropy_with_logits(z, np.ones_like(z)),
                 lambda z: nn.huber(z, np.ones_like(z)), lambda z: nn.mse(z, np.ones_like(z))):
        assert loss(z).dtype == np.float32
        assert wire.jit(wire.grad(loss))(z).dtype == np.float32
