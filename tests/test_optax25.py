"""Optax's transformations, helpers and projections that ``wire.optim`` lacked, against
Optax 0.2.8 at float64 (``jax_enable_x64``): 20-step trajectories on a small problem equal to
~1e-12 relative, states with Optax's structure (NamedTuple types and fields, leaf dtypes), so
that a training loop written for Optax runs with only the import changed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from selection import slow_selected

import wire
from wire import optim as W

jax = pytest.importorskip("jax", reason="needs jax: pip install -e '.[reference]'")
optax = pytest.importorskip("optax", reason="needs optax: pip install -e '.[reference]'")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

_SCALE = np.array([1.0, 3.0, 0.5])


def _grad(p):
    return {"w": 2 * (p["w"] - 1.0) * _SCALE, "b": 4 * p["b"] ** 3}


def _loss(p):
    return float(((p["w"] - 1.0) ** 2 * _SCALE).sum() + (p["b"] ** 4).sum())


def _run(tx, apply, as_array, steps, extra, update=None):
    p = {"w": as_array(np.array([0.3, -1.2, 2.0])), "b": as_array(np.array([[0.5, -0.7]]))}
    s = tx.init(p)
    update = update or tx.update
    traj = []
    for _ in range(steps):
        q = jax.tree.map(np.asarray, p)
        kw = {"value": _loss(q)} if extra else {}
        u, s = update(jax.tree.map(as_array, _grad(q)), s, p, **kw)
        p = apply(p, u)
        traj.append(jax.tree.map(np.asarray, p))
    return traj, s


def _structure(state, optax_side):
    s = str(jax.tree.structure(state))
    if optax_side:  # wire's masked-out leaf is None, Optax's MaskedNode()
        s = s.replace("CustomNode(namedtuple[MaskedNode], [])", "None")
    return s


CASES = [
    ("polyak_sgd", lambda m: m.polyak_sgd(0.5), True),
    ("polyak_sgd_plus", lambda m: m.polyak_sgd(0.5, f_min=1.0, variant="sps+", eps=1e-3), True),
    ("normalize_by_update_norm",
     lambda m: m.chain(m.normalize_by_update_norm(0.3), m.scale(-0.1)), False),
    ("optimistic_adam", lambda m: m.optimistic_adam(0.05, 0.02), False),
    ("optimistic_adam_v2", lambda m: m.optimistic_adam_v2(lambda c: 0.1 / (1.0 + c), alpha=0.7,
                                                          beta=0.3, nesterov=False), False),
    ("distance_over_gradients",
     lambda m: m.chain(m.scale_by_distance_over_gradients(
         param_dtype=np.float64 if m is W else jnp.float64), m.scale(-1.0)), False),
    ("snapshot_and_monitor", lambda m: m.chain(
        m.snapshot("n", m.global_norm),
        m.monitor({"n": m.global_norm, "e": m.measure_with_ema(m.global_norm, 0.9)}),
        m.sgd(0.05)), False),
    ("conditionally_transform", lambda m: m.chain(
        m.conditionally_transform(m.scale_by_adam(), lambda s: s % 3 == 0), m.scale(-0.05)),
     False),
    ("conditionally_mask", lambda m: m.chain(
        m.conditionally_mask(m.scale_by_adam(), lambda s: s % 3 != 1), m.scale(-0.05)), False),
    ("freeze", lambda m: m.chain(m.freeze({"w": True, "b": False}), m.sgd(0.05)), False),
    ("selective_transform",
     lambda m: m.selective_transform(m.adam(0.05), freeze_mask={"w": False, "b": True}), False),
    ("flatten", lambda m: m.flatten(m.adam(0.05)), False),
]


# each run checks these; -m slow checks every case
_ALWAYS = {"polyak_sgd", "conditionally_mask", "flatten", "optimistic_adam_v2", "simplex-0.5",
           "l1_ball-30.0", "l2_ball-0.5"}


def _sampled(cases, ids):
    return [pytest.param(*((c,) if not isinstance(c, tuple) or len(c) != 2 else c), id=i,
                         marks=() if i in _ALWAYS else pytest.mark.slow)
            for c, i in zip(cases, ids)]


def _skip_unless_selected(request):
    if (any(m.name == "slow" for m in request.node.callspec.marks)
            and not slow_selected(request.config)):
        pytest.skip("runs with -m slow")


@pytest.mark.parametrize("case", _sampled(CASES, [c[0] for c in CASES]))
def test_trajectories_and_states_match_optax(case, request):
    _skip_unless_selected(request)
    _, make, extra = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # optax.optimistic_adam
        wtx, otx = make(W), make(optax)
    tw, sw = _run(wtx, W.apply_updates, lambda x: x, 20, extra)
    to, so = _run(otx, optax.apply_updates, jnp.asarray, 20, extra, jax.jit(otx.update))
    for a, b in zip(tw, to):
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-15)
    assert _structure(sw, False) == _structure(so, True)
    for x, y in zip(jax.tree.leaves(sw), jax.tree.leaves(so)):
        assert np.asarray(x).dtype == np.asarray(y).dtype
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)


def test_conditional_and_polyak_steps_trace_under_jit():
    tx = W.chain(W.conditionally_mask(W.scale_by_adam(), lambda s: s % 2 == 0),
                 W.polyak_sgd(0.5))
    p = {"w": np.array([0.3, -1.2, 2.0]), "b": np.array([[0.5, -0.7]])}
    s_eager = s_jit = tx.init(p)
    step = wire.jit(lambda g, s, p, v: tx.update(g, s, p, value=v))
    for _ in range(4):
        g = _grad(p)
        ue, s_eager = tx.update(g, s_eager, p, value=_loss(p))
        uj, s_jit = step(g, s_jit, p, _loss(p))
        for x, y in zip(wire.tree.leaves((ue, s_eager)), wire.tree.leaves((uj, s_jit))):
            np.testing.assert_allclose(x, y, rtol=1e-14, atol=1e-300)
        p = W.apply_updates(p, ue)


def test_polyak_needs_the_value():
    t = W.scale_by_polyak()
    with pytest.raises(wire.WireError, match="value"):
        t.update(np.ones(2), t.init(None))
    with pytest.raises(wire.WireError, match="variant"):
        W.scale_by_polyak(variant="spz")


def test_helpers_match_optax():
    rng = np.random.default_rng(1)
    g = {"a": rng.normal(size=(5, 3)), "b": rng.normal(size=(5, 2, 2)) * 3}
    gj = jax.tree.map(jnp.asarray, g)
    got = W.per_example_global_norm_clip(g, 1.5)
    want = jax.jit(optax.per_example_global_norm_clip)(gj, 1.5)
    for x, y in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        np.testing.assert_allclose(x, y, rtol=1e-13)
    for uniform in (True, False):
        got = W.per_example_layer_norm_clip(g, 1.5, uniform=uniform)
        want = jax.jit(lambda t, u=uniform: optax.per_example_layer_norm_clip(t, 1.5, u))(gj)
        for x, y in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
            np.testing.assert_allclose(x, y, rtol=1e-13)
    with pytest.raises(wire.WireError, match="batch"):
        W.per_example_global_norm_clip({"a": np.ones((2, 1)), "b": np.ones((3, 1))}, 1.0)
    m, u = {"a": rng.normal(size=3)}, {"a": rng.normal(size=3) + 1j * rng.normal(size=3)}
    ur = {"a": u["a"].real}
    cases = [("bias_correction", (m, 0.9, 3)), ("update_moment", (ur, m, 0.9, 2)),
             ("update_moment_per_elem_norm", (u, m, 0.9, 3)),
             ("update_infinity_moment", (ur, m, 0.9, 1e-3))]
    for name, args in cases:
        got = getattr(W, name)(*args)
        want = getattr(optax, name)(*[jax.tree.map(jnp.asarray, a) if isinstance(a, dict)
                                      else a for a in args])
        np.testing.assert_allclose(got["a"], want["a"], rtol=1e-14)
    assert W.init_empty_state({"w": 1.0}) == W.EmptyState()


def test_scale_gradient():
    x = np.array([1.0, -2.0, np.inf])
    f = lambda x: (W.scale_gradient(x, 0.3) * np.array([1.0, 2.0, 0.0])).sum()  # noqa: E731
    np.testing.assert_array_equal(W.scale_gradient(x, 0.3), x)
    np.testing.assert_allclose(wire.grad(f)(x), [0.3, 0.6, 0.0], rtol=1e-15)
    assert float(wire.grad(lambda x: W.scale_gradient(x, 0.0) ** 2)(3.0)) == 0.0


def test_power_iteration_matches_optax_and_eigh():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 6))
    a = a @ a.T
    ev, v = W.power_iteration(a, v0=np.ones(6))
    eo, vo = jax.jit(lambda m: optax.power_iteration(m, v0=jnp.ones(6)))(jnp.asarray(a))
    np.testing.assert_allclose(ev, eo, rtol=1e-14)
    np.testing.assert_allclose(v, vo, atol=1e-12)
    np.testing.assert_allclose(ev, np.linalg.eigvalsh(a)[-1], rtol=1e-9)
    # a linear map of a pytree
    ev2, v2 = W.power_iteration(lambda t: {"x": a @ t["x"]}, v0={"x": np.ones(6)})
    np.testing.assert_allclose(ev2, ev, rtol=1e-14)


# ------------------------------------------------------------------------------- projections

P, OP = W.projections, optax.projections
_T = {"a": np.random.default_rng(2).normal(size=3),
      "b": np.random.default_rng(4).normal(size=(2, 2))}
_A = {"a": np.ones(3), "b": np.arange(4.0).reshape(2, 2)}
_PROJ = [(n, s) for n in ("simplex", "l1_ball", "l1_sphere", "l2_ball", "l2_sphere",
                          "linf_ball") for s in (0.5, 30.0)]


def _weighted_sum(leaves, xp):
    return sum(xp.sum(x * xp.arange(1, x.size + 1).reshape(x.shape)) for x in leaves)


@pytest.mark.parametrize("name,scale", _sampled(_PROJ, [f"{n}-{s}" for n, s in _PROJ]))
def test_projections_and_their_derivatives_match_optax(name, scale, request):
    _skip_unless_selected(request)
    wf = lambda t: getattr(P, "projection_" + name)(t, scale)  # noqa: E731
    of = lambda t: getattr(OP, "projection_" + name)(t, scale)  # noqa: E731
    tj = jax.tree.map(jnp.asarray, _T)
    for x, y in zip(jax.tree.leaves(wf(_T)), jax.tree.leaves(jax.jit(of)(tj))):
        np.testing.assert_allclose(x, y, rtol=1e-14, atol=1e-15)
    gw = wire.grad(lambda t: _weighted_sum(wire.tree.leaves(wf(t)), wire.numpy))(_T)
    go = jax.jit(jax.grad(lambda t: _weighted_sum(jax.tree.leaves(of(t)), jnp)))(tj)
    for x, y in zip(jax.tree.leaves(gw), jax.tree.leaves(go)):
        np.testing.assert_allclose(x, y, rtol=1e-13, atol=1e-14)


def test_affine_and_box_projections():
    aj, tj = jax.tree.map(jnp.asarray, _A), jax.tree.map(jnp.asarray, _T)
    pairs = [(P.projection_vector(_T, _A), OP.projection_vector(tj, aj)),
             (P.projection_hyperplane(_T, _A, 0.7), OP.projection_hyperplane(tj, aj, 0.7)),
             (P.projection_halfspace(_T, _A, -50.0), OP.projection_halfspace(tj, aj, -50.0)),
             (P.projection_halfspace(_T, _A, 50.0), OP.projection_halfspace(tj, aj, 50.0)),
             (P.projection_non_negative(_T), OP.projection_non_negative(tj)),
             (P.projection_box(_T["b"], -0.5, 0.2), OP.projection_box(tj["b"], -0.5, 0.2)),
             (P.projection_hypercube(_T["a"], 0.5), OP.projection_hypercube(tj["a"], 0.5))]
    for got, want in pairs:
        for x, y in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
            np.testing.assert_allclose(x, y, rtol=1e-14, atol=1e-15)
    # a tree of boxes, and the l1 ball's choice traced
    np.testing.assert_array_equal(
        wire.jit(lambda x: P.projection_l1_ball(x, 1.0))(np.array([2.0, -1.0])), [1.0, 0.0])
    np.testing.assert_array_equal(P.projection_simplex(np.ones(3)), np.full(3, 1 / 3))


# ------------------------------------------------------------- assignment and second order

def _brute_force_cost(c):
    import itertools

    n, m = c.shape
    if n <= m:
        return min(c[np.arange(n), list(p)].sum() for p in itertools.permutations(range(m), n))
    return _brute_force_cost(c.T)


def test_hungarian_algorithm_is_optimal_and_pairs_as_optax():
    rng = np.random.default_rng(5)
    for t in range(40):
        n, m = (int(k) for k in rng.integers(1, 6, size=2))
        c = rng.normal(size=(n, m)) if t % 2 else rng.integers(0, 3, size=(n, m)) * 1.0
        i, j = W.assignment.hungarian_algorithm(c)
        assert len(i) == min(n, m) == len(set(i.tolist())) == len(set(j.tolist()))
        assert np.all(np.diff(i) > 0)  # by row, as SciPy's and Optax's base algorithm
        np.testing.assert_allclose(c[i, j].sum(), _brute_force_cost(c), rtol=1e-13)
        if t % 2 and t < 6:  # no ties: Optax's pairs, in its order by row
            oi, oj = optax.assignment.base_hungarian_algorithm(jnp.asarray(c))
            np.testing.assert_array_equal(i, oi)
            np.testing.assert_array_equal(j, oj)
    empty = W.assignment.hungarian_algorithm(np.zeros((0, 3)))
    assert empty[0].shape == empty[1].shape == (0,)
    with pytest.raises(wire.WireError, match="NaN"):
        W.assignment.hungarian_algorithm(np.array([[np.nan, 1.0]]))
    with pytest.raises(wire.WireError, match="concrete"):
        wire.jit(W.assignment.hungarian_algorithm)(np.eye(2))


def test_second_order_diagonals_match_optax():
    def loss(p, x, y):
        z = x @ p["w"] + p["b"]
        return ((wire.numpy.tanh(z) - y) ** 2).sum()

    def loss_j(p, x, y):
        z = x @ p["w"] + p["b"]
        return ((jnp.tanh(z) - y) ** 2).sum()

    rng = np.random.default_rng(6)
    p = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    pj = jax.tree.map(jnp.asarray, p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hd = jax.jit(lambda q: optax.second_order.hessian_diag(loss_j, q, x, y))(pj)
        fd = jax.jit(lambda q: optax.second_order.fisher_diag(loss_j, q, x, y))(pj)
    np.testing.assert_allclose(W.second_order.hessian_diag(loss, p, x, y), hd, rtol=1e-12)
    np.testing.assert_allclose(W.second_order.fisher_diag(loss, p, x, y), fd, rtol=1e-12)


def test_tree_utils_as_optax():
    tu, ot = W.tree_utils, optax.tree_utils
    rng = np.random.default_rng(7)
    a = {"x": rng.normal(size=3), "y": rng.normal(size=(2, 2))}
    b = {"x": rng.normal(size=3), "y": rng.normal(size=(2, 2)) + 3}
    aj, bj = jax.tree.map(jnp.asarray, a), jax.tree.map(jnp.asarray, b)
    pairs = [(tu.tree_add(a, b, a), ot.tree_add(aj, bj, aj)),
             (tu.tree_sub(tree_x=a, tree_y=b), ot.tree_sub(tree_x=aj, tree_y=bj)),
             (tu.tree_mul(a, b), ot.tree_mul(aj, bj)), (tu.tree_div(a, b), ot.tree_div(aj, bj)),
             (tu.tree_scale(scalar=0.5, tree=a), ot.tree_scale(scalar=0.5, tree=aj)),
             (tu.tree_add_scale(a, 0.3, b), ot.tree_add_scale(aj, 0.3, bj)),
             (tu.tree_max(a), ot.tree_max(aj)), (tu.tree_min(a), ot.tree_min(aj)),
             (tu.tree_clip(a, -0.5, 0.5), ot.tree_clip(aj, -0.5, 0.5)),
             (tu.tree_norm(a), ot.tree_norm(aj)), (tu.tree_norm(a, ord=1), ot.tree_norm(aj, 1)),
             (tu.tree_vdot(a, b), ot.tree_vdot(aj, bj)),
             (tu.tree_bias_correction(a, 0.9, 3), ot.tree_bias_correction(aj, 0.9, 3)),
             (tu.tree_update_moment(a, b, 0.9, 2), ot.tree_update_moment(aj, bj, 0.9, 2)),
             (tu.tree_update_infinity_moment(a, b, 0.9, 1e-3),
              ot.tree_update_infinity_moment(aj, bj, 0.9, 1e-3))]
    for got, want in pairs:
        for x, y in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
            np.testing.assert_allclose(x, y, rtol=1e-14)
    assert tu.tree_size(a) == ot.tree_size(aj) == 7
    assert tu.tree_cast(a, np.float32)["y"].dtype == np.float32
    assert tu.tree_allclose(a, a) and not tu.tree_allclose(a, b)
    for x, y in zip(jax.tree.leaves(tu.tree_batch_shape(a, (5,))),
                    jax.tree.leaves(ot.tree_batch_shape(aj, (5,)))):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("n,p", [(4, 2), (5, 4), (3, 1), (1, 2)])
def test_matrix_inverse_pth_root_matches_optax(n, p):
    rng = np.random.default_rng(n + p)
    a = rng.normal(size=(n, n))
    a = a @ a.T + 0.1 * np.eye(n)
    got, err = W.matrix_inverse_pth_root(a, p)
    want, werr = jax.jit(lambda m: optax.matrix_inverse_pth_root(m, p))(jnp.asarray(a))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(err, werr, rtol=1e-6, atol=1e-15)
    w, v = np.linalg.eigh(a)  # the exact root, up to the ridge and the tolerance
    np.testing.assert_allclose(got, (v * w ** (-1.0 / p)) @ v.T, rtol=1e-3, atol=1e-3)
    with pytest.raises(wire.WireError, match="p must be"):
        W.matrix_inverse_pth_root(a, 3)


def test_tree_map_params_as_optax():
    params = {"w": np.ones(2), "b": np.ones((1, 2))}
    for make in (lambda m: m.adam(0.1),
                 lambda m: m.chain(m.clip_by_global_norm(1.0), m.sgd(0.1, momentum=0.9))):
        sw = make(W).init(params)
        so = make(optax).init(jax.tree.map(jnp.asarray, params))
        got = W.tree_map_params(make(W), lambda x: x.astype(np.float32) + 1, sw,
                                transform_non_params=lambda v: v + 5)
        want = optax.tree_map_params(make(optax), lambda x: x.astype(jnp.float32) + 1, so,
                                     transform_non_params=lambda v: v + 5)
        assert _structure(got, False) == _structure(want, True)
        for x, y in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
            assert np.asarray(x).dtype == np.asarray(y).dtype
            np.testing.assert_array_equal(x, y)


def test_safe_int32_increment():
    assert W.safe_int32_increment(np.int32(2**31 - 1)) == np.iinfo(np.int32).max
    assert W.safe_int32_increment(3).dtype == np.int32
    assert int(optax.safe_int32_increment(jnp.int32(3))) == int(W.safe_int32_increment(3)) == 4


@pytest.mark.parametrize("kw", [{}, {"nesterov": True, "use_clipping": False, "b2": 0.99}])
def test_contrib_adopt_matches_optax(kw):
    wtx, otx = W.contrib.adopt(0.05, **kw), optax.contrib.adopt(0.05, **kw)
    tw, sw = _run(wtx, W.apply_updates, lambda x: x, 20, False)
    to, so = _run(otx, optax.apply_updates, jnp.asarray, 20, False, jax.jit(otx.update))
    for a, b in zip(tw, to):
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-15)
    assert _structure(sw, False) == _structure(so, True)


def test_optax_tree_short_names():
    a = {"x": np.array([1.0, -2.0]), "y": np.array(3.0)}
    for name in W.tree.__all__:
        assert hasattr(optax.tree, name), name
    np.testing.assert_allclose(W.tree.norm(a), optax.tree.norm(jax.tree.map(jnp.asarray, a)))
    assert W.tree.add_scale(a, 2.0, a)["x"].tolist() == [3.0, -6.0]
