"""The Optax names and arguments ``wire.optim`` lacked, against Optax (float64, with
``jax_enable_x64``) and torch where torch has the optimizer: ``amsgrad``, ``nadam``,
``nadamw``, ``radam``, Adam's ``mu_dtype`` and ``nesterov``, ``adamw``'s ``eps_root``, SGD's
``accumulator_dtype``, ``exponential_decay``'s ``transition_begin`` and the cosine schedules'
``exponent``. Gradient sequences hold a zero gradient step and always-zero entries."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import wire
from wire import optim
from oracles import assert_normwise_close

jax = pytest.importorskip("jax", reason="needs jax: pip install -e '.[reference]'")
optax = pytest.importorskip("optax", reason="needs optax: pip install -e '.[reference]'")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

STEPS = 9  # RAdam's rectification starts at step 6 for b2 = 0.999


def _grads(dtype):
    out = []
    for i in range(STEPS):
        r = np.random.default_rng(100 + i)
        w = r.normal(size=(3, 2)) * [[1.0, 3.0], [0.1, 1e-3], [0.0, 1.0]]  # a dead unit
        b = r.normal(size=2) * (0.3 if i < 4 else 0.01)  # the second moment falls
        if i == 2:
            w, b = 0 * w, 0 * b  # a zero gradient
        out.append({"w": w.astype(dtype), "b": b.astype(dtype)})
    return out


def _optax_lr(count):
    return 0.1 * 0.7 ** jnp.asarray(count, jnp.float64)


def _f64(x):
    return np.asarray(x, dtype=np.float64)


CASES = [
    ("amsgrad", lambda m, lr: m.amsgrad(lr)),
    ("amsgrad(no bias correction)",
     lambda m, lr: m.amsgrad(lr, bias_correction_mu=False, bias_correction_nu=False)),
    ("nadam", lambda m, lr: m.nadam(lr)),
    ("nadamw", lambda m, lr: m.nadamw(lr, weight_decay=0.1)),
    ("radam", lambda m, lr: m.radam(lr)),
    ("radam(nesterov, b2=0.9)", lambda m, lr: m.radam(lr, b2=0.9, nesterov=True)),
    ("adam(nesterov)", lambda m, lr: m.adam(lr, nesterov=True)),
    ("adam(mu_dtype=float16)", lambda m, lr: m.adam(lr, mu_dtype=np.float16)),
    ("adamw(eps_root, nesterov)",
     lambda m, lr: m.adamw(lr, eps_root=1e-8, weight_decay=0.1, nesterov=True)),
    ("sgd(accumulator_dtype)", lambda m, lr: m.sgd(lr, 0.9, True, accumulator_dtype=np.float32)),
    ("adamw(weight_decay schedule)",
     lambda m, lr: m.adamw(lr, weight_decay=(m.linear_schedule if m is optim
                                             else _optax_linear)(0.3, 0.0, 5))),
]


def _optax_linear(init_value, end_value, steps):
    # a float64 oracle: Optax's own schedules compute in float32
    return lambda count: init_value + (end_value - init_value) * jnp.minimum(
        jnp.asarray(count, jnp.float64) / steps, 1.0)
RUNS = [(np.float64, "schedule"), (np.float32, "constant"), (np.float16, "constant")]


@pytest.mark.parametrize("dtype,lr_kind", RUNS,
                         ids=[f"{np.dtype(d).name}-{k}" for d, k in RUNS])
@pytest.mark.parametrize("name,make", CASES, ids=[c[0] for c in CASES])
def test_matches_optax(name, make, dtype, lr_kind):
    """wire in ``dtype`` against Optax in float64, stepping from wire's own parameters
    (Optax's float16 steps are no oracle: its float16 second moments underflow). Updates keep
    the gradients' dtype; float16 gradients keep float32 moments (``mu_dtype`` aside)."""
    opt = make(optim, optim.exponential_decay(0.1, 1, 0.7) if lr_kind == "schedule" else 0.1)
    ref = make(optax, _optax_lr if lr_kind == "schedule" else 0.1)
    params = {"w": np.linspace(-1, 1, 6).reshape(3, 2).astype(dtype), "b": np.ones(2, dtype)}
    state, ref_state = opt.init(params), ref.init({k: jnp.asarray(_f64(v))
                                                   for k, v in params.items()})
    tol = {np.float64: 1e-10, np.float32: 2e-6, np.float16: 2e-3}[dtype]
    if "mu_dtype" in name:
        # Optax rounds b1 * mu to float16 before adding the float64 gradient term; wire
        # computes the moment in float32 and rounds it once, when storing it (compared
        # exactly with a float64 oracle in test_mu_dtype_rounds_the_stored_moment_only)
        tol = 1e-2
    for g in _grads(dtype):
        updates, state = opt.update(g, state, params)
        ref_updates, ref_state = ref.update({k: jnp.asarray(_f64(v)) for k, v in g.items()},
                                            ref_state,
                                            {k: jnp.asarray(_f64(v)) for k, v in params.items()})
        for k in params:
            assert updates[k].dtype == dtype, (k, updates[k].dtype)
            assert_normwise_close(updates[k], _f64(ref_updates[k]), tol, dtype, k)
        params = optim.apply_updates(params, updates)
        assert all(p.dtype == dtype for p in params.values())
    moments = [x for x in wire.tree.leaves(state) if np.asarray(x).dtype.kind == "f"]
    if "mu_dtype" in name:
        assert state[0].mu["w"].dtype == np.float16
    elif dtype == np.float16:
        assert all(np.asarray(x).dtype == np.float32 for x in moments)


def test_mu_dtype_rounds_the_stored_moment_only():
    """Adam in float64 whose first moment is rounded to float16 when stored, and nothing
    else: wire's ``adam(mu_dtype=float16)`` on float64 parameters."""
    opt = optim.adam(0.1, mu_dtype=np.float16)
    p = np.linspace(-1, 1, 6)
    state, m, v = opt.init(p), np.zeros(6), np.zeros(6)
    for t, g in enumerate((x["w"].ravel() for x in _grads(np.float64)), start=1):
        u, state = opt.update(g, state, p)
        m_new = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected = -0.1 * (m_new / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        m = m_new.astype(np.float16).astype(np.float64)
        assert state[0].mu.dtype == np.float16 and u.dtype == np.float64
        np.testing.assert_allclose(u, expected, rtol=1e-6, atol=1e-12)
        np.testing.assert_array_equal(state[0].mu, m)


def test_float16_gradients_keep_float32_moments():
    """A float16 gradient of 1e-3 squared times 1 - b2 underflows in float16: each new
    optimizer's first step must still be about ``-lr * sign(g)`` (RAdam's first step is the
    momentum itself, ``-lr * g``)."""
    g = np.array([1e-3, 0.0, -2.0], np.float16)
    for opt in (optim.amsgrad(0.1), optim.amsgrad(0.1, correct_max=True), optim.nadam(0.1),
                optim.nadamw(0.1, weight_decay=0.0)):
        u, s = opt.update(g, opt.init(np.zeros(3, np.float16)), np.zeros(3, np.float16))
        assert u.dtype == np.float16 and np.asarray(s[0].nu).dtype == np.float32
        lead = float(u[2]) / 0.1
        assert 0.99 < lead < 1.48   # nadam's first step is 1.47 lr
        np.testing.assert_allclose(_f64(u), [-0.1 * lead, 0.0, 0.1 * lead], rtol=2e-3)
    u, s = optim.radam(0.1).update(g, optim.radam(0.1).init(np.zeros(3, np.float16)))
    np.testing.assert_array_equal(u, (-0.1 * g.astype(np.float32)).astype(np.float16))


SIGNATURES = ["adam", "adamw", "sgd", "rmsprop", "adagrad", "amsgrad", "nadam", "nadamw",
              "radam", "scale_by_adam", "scale_by_amsgrad", "scale_by_radam", "trace",
              "add_decayed_weights",
              "exponential_decay", "cosine_decay_schedule", "warmup_cosine_decay_schedule"]


@pytest.mark.parametrize("name", SIGNATURES)
def test_signature_is_optaxs(name):
    """Every Optax argument exists, in Optax's positional order, with Optax's default (a user
    moving from Optax changes only the import)."""
    ours = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(optax, name)).parameters
    positional = [p for p, v in theirs.items() if v.kind != v.KEYWORD_ONLY]
    assert [p for p in ours if ours[p].kind != ours[p].KEYWORD_ONLY][:len(positional)] \
        == positional
    for p, v in theirs.items():
        assert p in ours, p
        if name == "adagrad" or v.default is inspect.Parameter.empty:
            continue
        assert ours[p].default == v.default or (ours[p].default is None and v.default is None), p


def _torch_run(make_ours, make_torch, eps_free=False):
    torch = pytest.importorskip("torch", reason="needs torch")
    p0 = np.linspace(-1, 1, 6)
    ours = make_ours()
    t = torch.tensor(p0, requires_grad=True)
    ref = make_torch(t)
    params, state, err = p0, ours.init(p0), 0.0
    for i in range(STEPS):
        g = _grads(np.float64)[i]["w"].ravel()
        if eps_free:
            g = g + 0.5  # eps = 0: no 0/0
        u, state = ours.update(g, state, params)
        params = optim.apply_updates(params, u)
        t.grad = torch.tensor(g)
        ref.step()
        r = t.detach().numpy()
        err = max(err, float(np.max(np.abs(params - r))))
        np.testing.assert_allclose(params, r, rtol=1e-12, atol=1e-14)
    return err


@pytest.mark.slow  # torch.optim's first use takes seconds
def test_matches_torch():
    """torch's ``Adam(amsgrad=True)`` is ``amsgrad(correct_max=True)`` (it keeps the raw
    maximum and bias-corrects it; Optax's rule, the default, differs once the second moment
    falls); ``NAdam`` with a huge ``momentum_decay`` (its momentum schedule is ``b1`` from
    step 1) is ``nadam``, and with ``decoupled_weight_decay`` ``nadamw``; ``RAdam(eps=0)`` is
    ``radam(eps=0)``."""
    torch = pytest.importorskip("torch", reason="needs torch")
    # NAdam keeps its momentum product (and every optimizer its step) in torch's default
    # float dtype: float32 would bound the agreement at 5e-7
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        _matches_torch(torch)
    finally:
        torch.set_default_dtype(default)


def _matches_torch(torch):
    _torch_run(lambda: optim.amsgrad(0.1, correct_max=True),
               lambda t: torch.optim.Adam([t], lr=0.1, amsgrad=True))
    with pytest.raises(AssertionError):
        _torch_run(lambda: optim.amsgrad(0.1), lambda t: torch.optim.Adam([t], lr=0.1,
                                                                          amsgrad=True))
    _torch_run(lambda: optim.nadam(0.1), lambda t: torch.optim.NAdam([t], lr=0.1,
                                                                     momentum_decay=1e9))
    _torch_run(lambda: optim.nadamw(0.1, weight_decay=0.3),
               lambda t: torch.optim.NAdam([t], lr=0.1, momentum_decay=1e9, weight_decay=0.3,
                                           decoupled_weight_decay=True))
    _torch_run(lambda: optim.radam(0.1, eps=0.0),
               lambda t: torch.optim.RAdam([t], lr=0.1, eps=0.0), eps_free=True)


def test_radam_under_jit_matches_eager():
    """The switch to the rectified step is traced (``where``), not a Python branch."""
    opt = optim.radam(optim.exponential_decay(0.1, 1, 0.9))

    def step(p, s, g):
        u, s = opt.update(g, s, p)
        return optim.apply_updates(p, u), s

    jstep = wire.jit(step)
    pe = pj = np.linspace(-1, 1, 6)
    se, sj = opt.init(pe), opt.init(pj)
    for i in range(STEPS):
        g = _grads(np.float64)[i]["w"].ravel()
        pe, se = step(pe, se, g)
        pj, sj = jstep(pj, sj, g)
    np.testing.assert_allclose(pj, pe, rtol=1e-13)


SCHEDULES = [
    ("exponential_decay(transition_begin)", lambda m: m.exponential_decay(0.3, 7, 0.5, 10)),
    ("exponential_decay(staircase, end_value)",
     lambda m: m.exponential_decay(0.3, 3, 0.5, 4, True, 0.05)),
    ("exponential_decay(rising, end_value)", lambda m: m.exponential_decay(0.3, 3, 1.5, 4,
                                                                           end_value=1.0)),
    ("cosine_decay_schedule(exponent)", lambda m: m.cosine_decay_schedule(0.3, 7, 0.1, 2.0)),
    ("warmup_cosine_decay_schedule(exponent)",
     lambda m: m.warmup_cosine_decay_schedule(0.0, 0.3, 3, 12, 0.01, 0.5)),
]


@pytest.mark.parametrize("make", [s[1] for s in SCHEDULES], ids=[s[0] for s in SCHEDULES])
def test_schedules_match_optax(make):
    ours, theirs = make(optim), make(optax)
    steps = np.arange(25)
    np.testing.assert_allclose([float(ours(s)) for s in steps],
                               [float(theirs(s)) for s in steps], rtol=1e-12, atol=0)
    jitted = wire.jit(ours)
    np.testing.assert_allclose([float(jitted(np.int64(s))) for s in (0, 5, 11, 24)],
                               [float(theirs(s)) for s in (0, 5, 11, 24)], rtol=1e-12)


BAD = [
    ("nadam(b1=1)", lambda: optim.nadam(0.1, b1=1.0), "b1"),
    ("amsgrad(lr=-1)", lambda: optim.amsgrad(-1.0), "learning_rate"),
    ("amsgrad(eps=-1)", lambda: optim.amsgrad(0.1, eps=-1.0), "eps"),
    ("nadamw(weight_decay=-1)", lambda: optim.nadamw(0.1, weight_decay=-1.0), "weight_decay"),
    ("add_decayed_weights(-1)", lambda: optim.add_decayed_weights(-1.0), "weight_decay"),
    ("radam(b2=1)", lambda: optim.radam(0.1, b2=1.0), "b2"),
    ("radam(threshold=3)", lambda: optim.radam(0.1, threshold=3.0), "threshold"),
    ("adam(mu_dtype=int32)", lambda: optim.adam(0.1, mu_dtype=np.int32), "mu_dtype"),
    ("sgd(accumulator_dtype=bool)", lambda: optim.sgd(0.1, 0.9, accumulator_dtype=bool),
     "accumulator_dtype"),
    ("exponential_decay(transition_begin=-1)",
     lambda: optim.exponential_decay(1.0, 10, 0.5, -1), "transition_begin"),
]


@pytest.mark.parametrize("make,name", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_hyperparameters_raise(make, name):
    """A threshold below 4 makes RAdam's rectification the root of a negative number (NaN
    updates); an integer moment dtype rounds every moment."""
    with pytest.raises(wire.errors.WireValueError, match=name):
        make()


def test_exponential_decay_positional_transition_begin():
    """Optax's fourth argument is ``transition_begin``; it was ``staircase`` here, so
    ``exponential_decay(1.0, 10, 0.5, 100)`` gave 0.5**10 = 0.00098 at step 105 where Optax
    gives 0.5**0.5 = 0.707 (and 1.0 before step 100). An array ``init_value`` still works."""
    s = optim.exponential_decay(1.0, 10, 0.5, 100)
    assert float(s(50)) == 1.0 and abs(float(s(105)) - 0.5 ** 0.5) < 1e-15
    v = optim.exponential_decay(np.array([1.0, 2.0]), 10, 0.5, 5)
    np.testing.assert_array_equal(v(3), [1.0, 2.0])
    np.testing.assert_array_equal(v(25), [0.25, 0.5])


@pytest.mark.parametrize("flag", [True, False, np.True_])
def test_exponential_decay_refuses_a_staircase_flag_in_fourth_place(flag):
    """A call written for the old order, ``exponential_decay(lr, steps, rate, True)``, would
    start the decay at step 1 without steps: it raises, naming the keyword to use."""
    with pytest.raises(wire.errors.WireTypeError, match="staircase=.* by name"):
        optim.exponential_decay(1.0, 10, 0.5, flag)
