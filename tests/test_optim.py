"""wire.optim: updates against hand-computed steps, immutability, schedules, errors, jit."""

import numpy as np
import pytest
from pyrsistent import pmap

import wire
from wire import optim


def test_adam_first_three_steps_exactly():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    opt = optim.adam(lr, b1, b2, eps)
    p = np.array([1.0, -2.0])
    grads = [np.array([0.5, -1.0]), np.array([0.1, 0.3]), np.array([-0.4, 2.0])]
    state = opt.init(p)
    m = v = np.zeros(2)
    expect = p.copy()
    for t, g in enumerate(grads, start=1):
        updates, state = opt.update(g, state, p)
        p = optim.apply_updates(p, updates)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1**t), v / (1 - b2**t)
        expect = expect - lr * mhat / (np.sqrt(vhat) + eps)
        np.testing.assert_allclose(p, expect, rtol=1e-14, atol=1e-15)


def test_sgd_momentum_nesterov_by_hand():
    g1, g2 = np.array([1.0]), np.array([2.0])
    for opt, expected in [
        (optim.sgd(0.1), [-0.1, -0.2]),
        (optim.momentum(0.1, 0.9), [-0.1, -0.1 * (2 + 0.9)]),
        (optim.nesterov(0.1, 0.9), [-0.1 * (1 + 0.9), -0.1 * (2 + 0.9 * 2.9)]),
    ]:
        s = opt.init(np.zeros(1))
        u1, s = opt.update(g1, s)
        u2, s = opt.update(g2, s)
        np.testing.assert_allclose([u1[0], u2[0]], expected)


def test_rmsprop_adagrad_adamw_by_hand():
    g = np.array([2.0])
    u, _ = optim.rmsprop(0.1, decay=0.9, eps=0.0).update(g, optim.rmsprop(0.1).init(g))
    np.testing.assert_allclose(u, -0.1 * 2 / np.sqrt(0.1 * 4))
    u, _ = optim.adagrad(0.1, 0.5, 0.0).update(g, optim.adagrad(0.1, 0.5).init(g))
    np.testing.assert_allclose(u, -0.1 * 2 / np.sqrt(0.5 + 4))
    p = np.array([3.0])
    opt = optim.adamw(0.1, weight_decay=0.01)
    u, _ = opt.update(g, opt.init(p), p)
    np.testing.assert_allclose(u, -0.1 * (1.0 + 0.01 * 3.0), rtol=1e-7)


def test_states_are_immutable_values():
    opt = optim.adam(0.1)
    p = pmap({"w": np.ones(2)})
    s0 = opt.init(p)
    snapshot = [x.copy() for x in wire.tree.leaves(s0)]
    _, s1 = opt.update(pmap({"w": np.ones(2)}), s0, p)
    for a, b in zip(wire.tree.leaves(s0), snapshot):
        np.testing.assert_array_equal(a, b)
    assert int(s1[0].count) == 1 and int(s0[0].count) == 0


def test_clip_by_global_norm_and_chain():
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.sgd(1.0))
    g = {"a": np.array([3.0]), "b": np.array([4.0])}
    u, _ = opt.update(g, opt.init(g))
    np.testing.assert_allclose([u["a"][0], u["b"][0]], [-0.6, -0.8])
    small = {"a": np.array([0.3]), "b": np.array([0.4])}
    u, _ = opt.update(small, opt.init(small))
    np.testing.assert_allclose([u["a"][0], u["b"][0]], [-0.3, -0.4])


def test_schedules():
    s = optim.exponential_decay(1.0, 10, 0.5, staircase=True)
    assert float(s(9)) == 1.0 and float(s(10)) == 0.5
    c = optim.cosine_decay_schedule(2.0, 100, alpha=0.1)
    assert float(c(0)) == 2.0 and abs(float(c(100)) - 0.2) < 1e-12
    opt = optim.sgd(optim.linear_schedule(1.0, 0.0, 4))
    s, out = opt.init(np.zeros(1)), []
    for _ in range(5):
        u, s = opt.update(np.ones(1), s)
        out.append(float(u[0]))
    np.testing.assert_allclose(out, [-1.0, -0.75, -0.5, -0.25, 0.0])


def test_mismatched_trees_raise():
    opt = optim.adam(0.1)
    state = opt.init({"w": np.zeros(2)})
    with pytest.raises(wire.WireError, match="different structures"):
        opt.update({"v": np.zeros(2)}, state, {"v": np.zeros(2)})
    with pytest.raises(wire.WireError, match="shape"):
        opt.update({"w": np.zeros(3)}, state)
    with pytest.raises(wire.WireError):
        optim.apply_updates({"w": np.zeros(2)}, [np.zeros(2)])


def test_update_under_jit_matches_eager():
    opt = optim.chain(optim.clip_by_global_norm(1.0),
                      optim.adam(optim.warmup_cosine_decay_schedule(0.0, 0.1, 2, 10)))
    p = {"w": np.array([1.0, 2.0])}
    g = {"w": np.array([0.3, -0.7])}

    def step(p, s, g):
        u, s = opt.update(g, s, p)
        return optim.apply_updates(p, u), s

    jstep = wire.jit(step)
    pe, se = p, opt.init(p)
    pj, sj = p, opt.init(p)
    for _ in range(4):
        pe, se = step(pe, se, g)
        pj, sj = jstep(pj, sj, g)
    np.testing.assert_allclose(pj["w"], pe["w"], rtol=1e-12)


def test_exponential_decay_to_zero_rate():
    s = optim.exponential_decay(1.0, 10, 0.0)
    assert float(s(0)) == 1.0 and float(s(5)) == 0.0  # was NaN at 0 (0 * log 0)
    assert float(wire.jit(s)(np.int64(0))) == 1.0
    st = optim.exponential_decay(2.0, 10, 0.0, staircase=True)
    assert [float(st(k)) for k in (0, 9, 10)] == [2.0, 2.0, 0.0]
    with pytest.raises(wire.WireError, match="decay_rate must be >= 0"):
        optim.exponential_decay(1.0, 10, -0.5)


def test_adagrad_eps_inside_the_root_and_zero_sums():
    g = np.array([3.0, 0.0])
    u, _ = optim.adagrad(1.0, 0.0, 1e-2).update(g, optim.adagrad(1.0, 0.0).init(g))
    np.testing.assert_allclose(u, [-3.0 / np.sqrt(9.0 + 1e-2), 0.0])  # Optax's placement
    u, _ = optim.adagrad(1.0, 0.0, 0.0).update(g, optim.adagrad(1.0, 0.0, 0.0).init(g))
    np.testing.assert_array_equal(u, [-1.0, 0.0])  # a zero sum gives 0, not 0/0


ALL = [
    optim.sgd(0.1), optim.momentum(0.1, 0.9), optim.nesterov(0.1), optim.adam(0.1),
    optim.adam(0.1, eps_root=1e-8), optim.adamw(0.1), optim.rmsprop(0.1, momentum=0.9),
    optim.adagrad(0.1), optim.sgd(optim.exponential_decay(0.1, 10, 0.5)),
    optim.adam(optim.warmup_cosine_decay_schedule(0.0, 0.1, 2, 10)),
    optim.chain(optim.clip_by_global_norm(0.5), optim.clip(0.1), optim.adam(0.1)),
    optim.sgd(optim.piecewise_constant_schedule(0.1, {2: 0.5})),
    optim.nadam(0.1), optim.nadamw(optim.exponential_decay(0.1, 2, 0.5, 1)),
    optim.amsgrad(0.1), optim.amsgrad(0.1, correct_max=True),
    optim.radam(optim.cosine_decay_schedule(0.1, 5, exponent=2.0), b2=0.5),
]


@pytest.mark.parametrize("opt", ALL, ids=range(len(ALL)))
def test_float32_updates_and_states_stay_float32(opt):
    p = {"w": np.array([1.0, -2.0], np.float32), "b": np.float32(0.5)}
    g = {"w": np.array([0.3, 0.1], np.float32), "b": np.float32(-1.0)}

    def step(p, s):
        u, s = opt.update(g, s, p)
        return optim.apply_updates(p, u), s, u

    for run in (step, wire.jit(step)):
        params, state = p, opt.init(p)
        for _ in range(3):
            params, state, updates = run(params, state)
        floats = [x for x in wire.tree.leaves((params, state, updates))
                  if np.asarray(x).dtype.kind == "f"]
        assert floats and all(np.asarray(x).dtype == np.float32 for x in floats)
