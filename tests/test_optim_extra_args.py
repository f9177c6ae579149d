"""Optax's extra-arguments protocol in ``wire.optim`` (``GradientTransformationExtraArgs``,
``with_extra_args_support``, and ``chain`` / ``named_chain`` / ``masked`` / ``partition`` /
``apply_if_finite`` passing ``update``'s keyword arguments on), ``lookahead`` against Optax
0.2.8, ``tree_utils`` against ``optax.tree_utils``, and the errors of bad input to the line
searches and L-BFGS."""

from __future__ import annotations

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire import optim
from wire.optim import tree_utils as tu

jax = pytest.importorskip("jax", reason="needs jax: pip install -e '.[reference]'")
optax = pytest.importorskip("optax", reason="needs optax: pip install -e '.[reference]'")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy


def _recorder(seen):
    """A transformation taking extra arguments: it records them and adds ``value``."""

    def update(updates, state, params=None, **extra):
        seen.append(dict(extra))
        v = extra.get("value", 0.0)
        return wire.tree.map(lambda u: u + v, updates), state

    return optim.GradientTransformationExtraArgs(lambda p: optim.EmptyState(), update)


def _plain(seen):
    """A transformation without extra arguments (it would fail on any)."""

    def update(updates, state, params=None):
        seen.append("plain")
        return updates, state

    return optim.GradientTransformation(lambda p: optim.EmptyState(), update)


def test_chain_passes_extra_args_only_to_the_parts_that_take_them():
    seen = []
    opt = optim.chain(_plain(seen), _recorder(seen), optim.scale(2.0), _recorder(seen))
    assert isinstance(opt, optim.GradientTransformationExtraArgs)
    u, _ = opt.update(np.ones(2), opt.init(np.zeros(2)), np.zeros(2), value=1.0, tag="x")
    assert seen == ["plain", {"value": 1.0, "tag": "x"}, {"value": 1.0, "tag": "x"}]
    np.testing.assert_array_equal(u, [5.0, 5.0])  # ((1 + 1) * 2) + 1
    seen.clear()
    opt = optim.named_chain(("a", _plain(seen)), ("b", _recorder(seen)))
    u, _ = opt.update(np.ones(1), opt.init(np.zeros(1)), value=3.0)
    assert seen == ["plain", {"value": 3.0}] and u[0] == 4.0
    # a chain of plain parts stays plain (Optax's is always ExtraArgs) but takes extra args
    plain = optim.chain(optim.scale(2.0), optim.sgd(1.0))
    assert type(plain) is optim.GradientTransformation
    u, _ = plain.update(np.ones(1), plain.init(np.zeros(1)), None, value=1.0, grad=None)
    assert u[0] == -2.0
    assert isinstance(optim.chain(plain, optim.lbfgs()), optim.GradientTransformationExtraArgs)


def test_with_extra_args_support():
    sgd = optim.sgd(0.1)
    w = optim.with_extra_args_support(sgd)
    assert isinstance(w, optim.GradientTransformationExtraArgs)
    assert optim.with_extra_args_support(w) is w
    u, _ = w.update(np.ones(1), w.init(np.zeros(1)), None, value=1.0, anything=None)
    np.testing.assert_array_equal(u, [-0.1])
    with pytest.raises(wire.WireError, match="GradientTransformation.*int"):
        optim.with_extra_args_support(3)
    with pytest.raises(wire.WireError, match="chain: .*str"):
        optim.chain(optim.sgd(0.1), "adam")


def test_wrappers_pass_extra_args_on_and_mask_the_compatible_ones():
    seen = []
    p = {"a": np.ones(2), "b": np.ones(1)}
    g = {"a": np.ones(2), "b": np.ones(1)}
    extra = {"value": 0.5, "grad": {"a": np.full(2, 7.0), "b": np.full(1, 8.0)}}
    m = optim.masked(_recorder(seen), {"a": True, "b": False})
    u, _ = m.update(g, m.init(p), p, **extra)
    assert seen[-1]["grad"] is extra["grad"]  # passed unchanged
    np.testing.assert_array_equal(u["a"], [1.5, 1.5]) and np.testing.assert_array_equal(u["b"], [1.0])
    m = optim.masked(_recorder(seen), {"a": True, "b": False}, mask_compatible_extra_args=True)
    m.update(g, m.init(p), p, **extra)
    assert seen[-1]["grad"]["b"] is None and seen[-1]["grad"]["a"][0] == 7.0  # masked like g
    seen.clear()
    opt = optim.partition({"x": _recorder(seen), "y": optim.sgd(1.0)}, {"a": "x", "b": "y"})
    u, _ = opt.update(g, opt.init(p), p, value=2.0)
    assert seen == [{"value": 2.0}]
    np.testing.assert_array_equal(u["a"], [3.0, 3.0]) and np.testing.assert_array_equal(u["b"], [-1.0])
    opt = optim.apply_if_finite(_recorder(seen), 2)
    u, _ = opt.update(g, opt.init(p), p, value=1.0)
    assert u["b"][0] == 2.0


def test_extra_args_reach_a_line_search_under_jit():
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    y = np.array([1.0, 0.0, 1.0])

    def f(w, X, y):
        return wnp.mean((X @ w - y) ** 2)

    opt = optim.lbfgs()

    @wire.jit
    def step(w, state, X, y):
        v, g = wire.value_and_grad(f)(w, X, y)
        u, state = opt.update(g, state, w, value=v, grad=g, value_fn=f, X=X, y=y)
        return optim.apply_updates(w, u), state

    w, s = np.zeros(2), opt.init(np.zeros(2))
    for _ in range(8):
        w, s = step(w, s, X, y)
    np.testing.assert_allclose(w, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-6)


def _f(w):
    return wnp.sum((w - 1.0) ** 2)


@pytest.mark.parametrize("make", [lambda: optim.lbfgs(),
                                  lambda: optim.scale_by_backtracking_linesearch(5),
                                  lambda: optim.scale_by_zoom_linesearch(5)])
def test_bad_input_to_the_line_searches(make):
    opt = make()
    w = np.zeros(3)
    s = opt.init(w)
    g = np.ones(3)
    with pytest.raises(wire.WireError, match=r"\(3,\).*\(2,\)|\(2,\).*\(3,\)"):
        opt.update(np.ones(2), s, w, value=1.0, grad=g, value_fn=_f)
    with pytest.raises(wire.WireError, match=r"grad.*\(4,\)|\(4,\).*grad"):
        opt.update(g, s, w, value=1.0, grad=np.ones(4), value_fn=_f)
    with pytest.raises(wire.WireError, match=r"value must be a scalar.*\(3,\)"):
        opt.update(g, s, w, value=np.ones(3), grad=g, value_fn=_f)
    with pytest.raises(wire.WireError, match="needs the params"):
        opt.update(g, s, None, value=1.0, grad=g, value_fn=_f)
    with pytest.raises(wire.WireError, match=r"unexpected keyword arguments \['data'\]"):
        opt.update(g, s, w, value=1.0, grad=g, value_fn=_f, data=np.ones(2))
    with pytest.raises(wire.WireError, match=r"missing \['grad', 'value_fn'\]"):
        opt.update(g, s, w, value=1.0)
    with pytest.raises(wire.WireError, match="value_fn must be a function"):
        opt.update(g, s, w, value=1.0, grad=g, value_fn=3.0)
    with pytest.raises(wire.WireError, match="floating point, got dtype int64"):
        opt.init(np.zeros(3, np.int64))
    with pytest.raises(wire.WireError, match="no leaves"):
        opt.init({})


def test_bad_settings_and_missing_state():
    with pytest.raises(wire.WireError, match="memory_size must be an integer >= 1, got 0"):
        optim.lbfgs(memory_size=0)
    with pytest.raises(wire.WireError, match="initial_guess_strategy"):
        optim.scale_by_zoom_linesearch(5, initial_guess_strategy="two")
    with pytest.raises(wire.WireError, match="max_linesearch_steps must be >= 1"):
        optim.scale_by_zoom_linesearch(0)
    vg = optim.value_and_grad_from_state(_f)
    with pytest.raises(wire.WireError, match="holds no 'value'"):
        vg(np.zeros(2), state=optim.adam(0.1).init(np.zeros(2)))
    with pytest.raises(wire.WireError, match="sync_period"):
        optim.lookahead(optim.sgd(0.1), 0, 0.5)
    opt = optim.lookahead(optim.sgd(0.1), 2, 0.5)
    with pytest.raises(wire.WireError, match="LookaheadParams.*ndarray"):
        opt.update(np.ones(1), opt.init(np.zeros(1)), np.zeros(1))


def test_zero_gradient_leaves_lbfgs_at_rest():
    opt = optim.lbfgs()
    w = {"a": np.ones(2), "b": (np.ones(1),)}
    f = lambda p: wnp.sum((p["a"] - 1.0) ** 2) + wnp.sum(p["b"][0] ** 2) * 0.0  # noqa: E731
    s = opt.init(w)
    for _ in range(3):
        v, g = optim.value_and_grad_from_state(f)(w, state=s)
        u, s = opt.update(g, s, w, value=v, grad=g, value_fn=f)
        w = optim.apply_updates(w, u)
    assert np.array_equal(w["a"], np.ones(2)) and np.array_equal(w["b"][0], np.ones(1))


def test_lookahead_follows_the_paper():
    """Zhang et al.'s algorithm 1: k fast steps, then slow += alpha (fast - slow), fast = slow;
    float32 params stay float32."""
    r = np.random.default_rng(2)
    p0 = {"w": r.normal(size=3).astype(np.float32), "b": (np.ones(1, np.float32),)}
    grads = [wire.tree.map(lambda x: r.normal(size=x.shape).astype(np.float32), p0)
             for _ in range(7)]
    opt = optim.lookahead(optim.sgd(0.1), sync_period=3, slow_step_size=0.25)
    p = optim.LookaheadParams.init_synced(p0)
    s = opt.init(p)
    fast, slow = [wire.tree.map(lambda x: x.astype(np.float64), p0) for _ in range(2)]
    for k, g in enumerate(grads, 1):
        u, s = opt.update(g, s, p)
        p = optim.apply_updates(p, u)
        fast = wire.tree.map(lambda f, gi: f - 0.1 * gi, fast, g)
        if k % 3 == 0:
            slow = wire.tree.map(lambda sl, f: sl + 0.25 * (f - sl), slow, fast)
            fast = slow
        for a, b in zip(wire.tree.leaves(p), wire.tree.leaves((fast, slow))):
            assert a.dtype == np.float32
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype, reset", [(np.float64, True)])
def test_lookahead_matches_optax(dtype, reset):
    r = np.random.default_rng(1)
    p0 = {"w": r.normal(size=(2, 3)).astype(dtype), "b": np.zeros(1, dtype)}
    grads = [{k: r.normal(size=v.shape).astype(dtype) for k, v in p0.items()} for _ in range(7)]
    grads[3] = {k: np.zeros_like(v) for k, v in p0.items()}
    ours = optim.lookahead(optim.adam(0.1), sync_period=3, slow_step_size=0.4, reset_state=reset)
    theirs = optax.lookahead(optax.adam(0.1), sync_period=3, slow_step_size=0.4,
                             reset_state=reset)
    pw, pj = optim.LookaheadParams.init_synced(p0), optax.LookaheadParams.init_synced(p0)
    sw, sj = ours.init(pw), theirs.init(pj)
    step = wire.jit(lambda g, s, p: ours.update(g, s, p))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    for k, g in enumerate(grads):
        uw, sw = (step if k % 2 else ours.update)(g, sw, pw)
        uj, sj = jax.jit(theirs.update)(g, sj, pj)
        pw, pj = optim.apply_updates(pw, uw), optax.apply_updates(pj, uj)
        for a, b in zip(wire.tree.leaves(pw), jax.tree.leaves(pj)):
            assert np.asarray(a).dtype == dtype
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        assert int(sw.steps_since_sync) == int(sj.steps_since_sync)


def test_tree_utils_against_numpy():
    a = {"x": np.array([1.0, -2.0]), "y": (np.array(3.0), np.zeros(0))}
    b = {"x": np.array([0.5, 4.0]), "y": (np.array(-1.0), np.zeros(0))}
    va, vb = np.array([1.0, -2.0, 3.0]), np.array([0.5, 4.0, -1.0])  # the leaves, raveled
    assert float(tu.tree_vdot(a, b)) == np.vdot(va, vb)
    for ord_ in (1, 2, np.inf):
        assert float(tu.tree_norm(a, ord_)) == pytest.approx(np.linalg.norm(va, ord_))
    assert float(tu.tree_norm(a, squared=True)) == va @ va
    assert float(tu.tree_vdot({}, {})) == 0.0 and float(tu.tree_norm(())) == 0.0
    for ours, want in [(tu.tree_add_scale(a, 0.5, b), va + 0.5 * vb),
                       (tu.tree_sub(a, b), va - vb), (tu.tree_scale(2.0, a), 2 * va),
                       (tu.tree_where(np.array(False), a, b), vb)]:
        np.testing.assert_array_equal(np.concatenate([np.ravel(x) for x in wire.tree.leaves(
            ours)]), want)
    assert tu.tree_scale(2.0, np.ones(1, np.float32)).dtype == np.float32
    assert tu.tree_add_scale(np.ones(1, np.float32), np.float64(0.5), np.ones(1, np.float32)
                             ).dtype == np.float32
    state = optim.lbfgs().init(np.zeros(2))
    assert float(tu.tree_get(state, "value")) == np.inf
    assert tu.tree_get(state, "nothing", 7) == 7
    with pytest.raises(wire.WireError, match="2 entries are named 'value'"):
        tu.tree_get((state, state), "value")
    with pytest.raises(wire.WireError, match="shape"):
        tu.tree_vdot(np.ones(2), np.ones(3))


@pytest.mark.filterwarnings("error")
def test_all_empty_params_take_empty_steps_without_warnings():
    f = lambda p: wnp.sum(p["a"] ** 2) + 1.0  # noqa: E731
    for opt in [optim.lbfgs(), optim.chain(optim.sgd(1.0), optim.scale_by_backtracking_linesearch(
            5, store_grad=True))]:
        x = {"a": np.zeros((0, 3))}
        s = opt.init(x)
        for _ in range(2):
            v, g = optim.value_and_grad_from_state(f)(x, state=s)
            u, s = opt.update(g, s, x, value=v, grad=g, value_fn=f)
            x = optim.apply_updates(x, u)
        assert x["a"].shape == (0, 3) and float(v) == 1.0


def test_multisteps_and_inject_hyperparams_pass_extra_args_on():
    seen = []
    ms = optim.MultiSteps(_recorder(seen), 2)
    s = ms.init(np.zeros(1))
    u, s = ms.update(np.ones(1), s, np.zeros(1), value=1.0)
    u, s = ms.update(np.ones(1), s, np.zeros(1), value=1.0)
    assert seen[-1] == {"value": 1.0} and u[0] == 2.0  # the mean 1, plus the value
    assert isinstance(ms.gradient_transformation(), optim.GradientTransformationExtraArgs)

    def factory(learning_rate):
        return optim.chain(optim.sgd(learning_rate), _recorder(seen))

    opt = optim.inject_hyperparams(factory)(learning_rate=0.5)
    assert isinstance(opt, optim.GradientTransformationExtraArgs)
    u, _ = opt.update(np.ones(1), opt.init(np.zeros(1)), np.zeros(1), value=2.0)
    assert seen[-1] == {"value": 2.0} and u[0] == 1.5
