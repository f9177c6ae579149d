"""wire.nn, wire.optim and wire.random against oracles written by others (JAX/Optax and
torch), on the inputs real programs hit: ±0, ±inf, NaN, huge logits, ties, labels of
probability 0 and 1, float32 and float16, size-1 and empty batches, zero gradients.

Values and gradients are compared. Where a reference is itself wrong on an input (it
overflows, cancels, or computes in a lower precision), the oracle is the reference evaluated
in float64, and the reason is written next to the case; where wire follows a different,
documented convention, the case says so and checks wire's own value. Nothing is skipped
silently.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import wire
from wire import nn, optim
from wire import random as wr

torch = pytest.importorskip("torch", reason="needs torch: pip install -e '.[reference]'")
jax = pytest.importorskip("jax", reason="needs jax: pip install -e '.[reference]'")
optax = pytest.importorskip("optax", reason="needs optax: pip install -e '.[reference]'")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy
F = torch.nn.functional
torch.set_num_threads(1)

FLOATS = [np.float64, np.float32, np.float16]
IDS = ["f64", "f32", "f16"]


def _f64(x):
    return np.asarray(x, dtype=np.float64)


def close(ours, ref, dtype, rtol=None, atol=None):
    """Elementwise: equal NaNs and infinities agree; otherwise within a few ulps of
    ``dtype`` (relative), or ``atol`` absolutely."""
    ours, ref = _f64(ours), _f64(ref)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    eps = float(np.finfo(dtype).eps)
    rtol = 8 * eps if rtol is None else rtol
    atol = 4 * float(np.finfo(dtype).smallest_subnormal) if atol is None else atol
    same = (ours == ref) | (np.isnan(ours) & np.isnan(ref))
    with np.errstate(invalid="ignore"):
        ok = same | (np.abs(ours - ref) <= rtol * np.abs(ref) + atol)
    assert ok.all(), f"ours {ours[~ok]} vs reference {ref[~ok]} (rtol {rtol}, atol {atol})"


# =========================================================================== wire.optim

STEPS = 6


def _grad_sequence(kind, dtype):
    """Gradients a real training run produces: ordinary ones, and ones of mixed scales with
    entries that are always 0 (a frozen or dead unit; float16 gradients of 1e-4 and 1e-6 next
    to ones of order 1)."""
    out = []
    for i in range(STEPS):
        r = np.random.default_rng(i)
        w, b = r.normal(size=(3, 2)), r.normal(size=2)
        if kind == "mixed":
            w = w * np.array([[1e-3, 1.0], [1e-6, 2.0], [0.0, 1e-4]])
            b = np.array([0.0, 1e-5])
        out.append({"w": w.astype(dtype), "b": b.astype(dtype)})
    return out


def _optax_lr(count):
    # optax's own exponential_decay computes in float32 even with x64 on (0.1 becomes
    # 0.10000000149): a float64 oracle needs the formula itself
    return 0.1 * 0.7 ** jnp.asarray(count, jnp.float64)


SCHED = optim.exponential_decay(0.1, 1, 0.7)

OPTIMIZERS = [
    ("sgd", lambda lr: optim.sgd(lr), lambda lr: optax.sgd(lr)),
    ("momentum", lambda lr: optim.sgd(lr, 0.9), lambda lr: optax.sgd(lr, 0.9)),
    ("nesterov", lambda lr: optim.sgd(lr, 0.9, True), lambda lr: optax.sgd(lr, 0.9, True)),
    ("adam", lambda lr: optim.adam(lr), lambda lr: optax.adam(lr)),
    ("adam(eps_root)", lambda lr: optim.adam(lr, eps_root=1e-8),
     lambda lr: optax.adam(lr, eps_root=1e-8)),
    ("adamw", lambda lr: optim.adamw(lr, weight_decay=0.1),
     lambda lr: optax.adamw(lr, weight_decay=0.1)),
    ("rmsprop", lambda lr: optim.rmsprop(lr), lambda lr: optax.rmsprop(lr)),
    ("rmsprop(eps outside)", lambda lr: optim.rmsprop(lr, eps_in_sqrt=False),
     lambda lr: optax.rmsprop(lr, eps_in_sqrt=False)),
    ("rmsprop(centered, bias_correction)",
     lambda lr: optim.rmsprop(lr, centered=True, eps=1e-4, bias_correction=True),
     lambda lr: optax.rmsprop(lr, centered=True, eps=1e-4, bias_correction=True)),
    ("adagrad", lambda lr: optim.adagrad(lr), lambda lr: optax.adagrad(lr)),
    ("clip_by_global_norm+adam",
     lambda lr: optim.chain(optim.clip_by_global_norm(1.0), optim.adam(lr)),
     lambda lr: optax.chain(optax.clip_by_global_norm(1.0), optax.adam(lr))),
    ("clip+sgd", lambda lr: optim.chain(optim.clip(0.5), optim.sgd(lr, 0.5)),
     lambda lr: optax.chain(optax.clip(0.5), optax.sgd(lr, 0.5))),
]
# rmsprop with momentum under a schedule is not here: Optax scales by the learning rate
# before the momentum trace, wire (as torch's RMSprop) after it; test_rmsprop_momentum_schedule
# compares it with torch


# "mixed" gradients hold entries that stay 0 at every step (a zero gradient's 0/0 paths) next
# to ones of 1e-6 ... 2; ordinary gradients in float64 and float32 are compared step by step
# in tests/reference, so here only float16 sees them
RUNS = [(dt, lr, "mixed") for dt in FLOATS for lr in ("constant", "schedule")]
RUNS.append((np.float16, "constant", "normal"))


@pytest.mark.parametrize("dtype,lr_kind,grads_kind", RUNS,
                         ids=[f"{np.dtype(d).name}-{lr}-{g}" for d, lr, g in RUNS])
@pytest.mark.parametrize("name,ours,ref", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_matches_optax_in_float64(name, ours, ref, dtype, lr_kind, grads_kind):
    """Six steps of wire in ``dtype`` against Optax in float64 on the same gradients (Optax's
    own float16 steps are no oracle: ``eps = 1e-8`` is 0 in float16, so a zero gradient
    gives 0/0, and its float16 second moments underflow). Updates must keep the gradients'
    dtype."""
    opt = ours(SCHED if lr_kind == "schedule" else 0.1)
    ref_opt = ref(_optax_lr if lr_kind == "schedule" else 0.1)
    grads = _grad_sequence(grads_kind, dtype)
    params = {"w": np.linspace(-1, 1, 6).reshape(3, 2).astype(dtype), "b": np.ones(2, dtype)}
    ref_params = {k: jnp.asarray(_f64(v)) for k, v in params.items()}
    state, ref_state = opt.init(params), ref_opt.init(ref_params)
    for g in grads:
        updates, state = opt.update(g, state, params)
        # the float64 oracle steps from wire's own (rounded) parameters
        ref_updates, ref_state = ref_opt.update({k: jnp.asarray(_f64(v)) for k, v in g.items()},
                                                ref_state, {k: jnp.asarray(_f64(v))
                                                            for k, v in params.items()})
        for k in params:
            assert updates[k].dtype == dtype, (k, updates[k].dtype)
            tol = {np.float64: 1e-12, np.float32: 2e-6, np.float16: 2e-3}[dtype]
            if name.startswith("rmsprop(centered") and dtype != np.float64:
                # at step 1 the bias-corrected variance nu - mu**2 is 0 up to rounding of g**2
                # (4e-8 of g**2 in float32), against eps = 1e-4: a conditioning limit
                tol *= 10
            if name.startswith("clip_by_global_norm") and dtype == np.float16:
                # the clipped float16 gradient 1e-6 * factor (about 4e-7) is a subnormal
                # (spacing 6e-8: steps of 15%), and Adam's ratio m / sqrt(v) keeps that
                # relative error; the clipping itself is compared in float16 below
                tol = 0.1
            # normwise: a component that cancels to ~0 is judged against its neighbours
            # (and float16 subnormals, spaced 6e-8, by their spacing)
            scale = float(np.max(np.abs(ref_updates[k])))
            err = float(np.max(np.abs(_f64(updates[k]) - _f64(ref_updates[k]))))
            assert err <= tol * scale + 2 * float(np.finfo(dtype).smallest_subnormal), (
                k, updates[k], np.asarray(ref_updates[k]))
        params = optim.apply_updates(params, updates)
        assert all(p.dtype == dtype for p in params.values())


def test_float16_adam_first_step_is_lr():
    """Adam's first step is ``-lr * sign(g)`` (up to eps) whatever the gradient's scale.
    Before: the float16 square of g = 1e-3, times 1 - b2, underflowed to 0 and the step was
    ``m / eps``: -1e4 instead of -0.1, and -11.9 for g = 1e-6 (torch's float16 Adam gives
    -inf and NaN there)."""
    opt = optim.adam(0.1)
    g = np.array([1e-3, 0.0, -2.0, 1e-6], np.float16)
    u, _ = opt.update(g, opt.init(np.zeros(4, np.float16)))
    assert u.dtype == np.float16
    close(u, [-0.1, 0.0, 0.1, -0.1 * 1e-6 / (1e-6 + 1e-8)], np.float16, rtol=2e-3)


def test_rmsprop_momentum_schedule_matches_torch():
    """Convention: with momentum, wire scales by the learning rate after the momentum trace,
    as torch's RMSprop (``buf = m buf + g / avg``, step ``-lr buf``); Optax scales before it,
    which differs once the learning rate changes between steps."""
    opt = optim.rmsprop(SCHED, decay=0.99, eps=1e-8, eps_in_sqrt=False, momentum=0.9)
    p = torch.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    ref = torch.optim.RMSprop([p], lr=0.1, alpha=0.99, eps=1e-8, momentum=0.9)
    sched = torch.optim.lr_scheduler.ExponentialLR(ref, 0.7)
    params = np.linspace(-1, 1, 6)
    state = opt.init(params)
    for i in range(STEPS):
        g = np.random.default_rng(i).normal(size=6)
        u, state = opt.update(g, state, params)
        params = optim.apply_updates(params, u)
        p.grad = torch.tensor(g)
        ref.step()
        sched.step()
        close(params, p.detach().numpy(), np.float64, rtol=1e-12, atol=1e-14)


def test_clip_by_global_norm_zero_max_norm_matches_torch():
    """torch's clip_grad_norm_(max_norm=0) zeroes the gradients, a zero one included. Before,
    ``max_norm / maximum(norm, max_norm)`` was 0/0: a zero gradient came back NaN."""
    clip = optim.clip_by_global_norm(0.0)
    for g in (np.zeros(3), np.array([3.0, 0.0, -4.0])):
        t = torch.tensor(g, requires_grad=True)
        t.grad = torch.tensor(g)
        torch.nn.utils.clip_grad_norm_([t], 0.0)
        close(clip.update(g, clip.init(None))[0], t.grad.numpy(), np.float64)
    # a NaN norm still reaches every leaf (as Optax and torch)
    u, _ = optim.clip_by_global_norm(1.0).update({"a": np.array([np.nan]), "b": np.ones(2)}, ())
    assert np.isnan(u["b"]).all()


@pytest.mark.parametrize("dtype", FLOATS, ids=IDS)
def test_clip_by_global_norm_float16_matches_optax(dtype):
    g = {"a": np.array([300.0, 1e-4, 0.0], dtype), "b": np.array([[-400.0]], dtype)}
    u, _ = optim.clip_by_global_norm(2.0).update(g, ())
    ref, _ = optax.clip_by_global_norm(2.0).update({k: jnp.asarray(_f64(v)) for k, v in g.items()},
                                                   optax.EmptyState())
    for k in g:
        assert u[k].dtype == dtype
        close(u[k], ref[k], dtype, rtol=4 * float(np.finfo(dtype).eps))


BAD_HYPERPARAMETERS = [
    ("clip_by_global_norm(-1)", lambda: optim.clip_by_global_norm(-1.0), "max_norm"),
    ("clip(-1)", lambda: optim.clip(-1.0), "max_delta"),
    ("adam(b1=1)", lambda: optim.adam(0.1, b1=1.0), "b1"),
    ("adam(b2=1.5)", lambda: optim.adam(0.1, b2=1.5), "b2"),
    ("adam(lr=-0.1)", lambda: optim.adam(-0.1), "learning_rate"),
    ("sgd(lr=nan)", lambda: optim.sgd(float("nan")), "learning_rate"),
    ("sgd(momentum=-0.9)", lambda: optim.sgd(0.1, -0.9), "momentum"),
    ("adamw(weight_decay=-1)", lambda: optim.adamw(0.1, weight_decay=-1.0), "weight_decay"),
    ("rmsprop(decay=1.5)", lambda: optim.rmsprop(0.1, decay=1.5), "decay"),
    ("adagrad(eps=-1)", lambda: optim.adagrad(0.1, eps=-1.0), "eps"),
]


@pytest.mark.parametrize("make,name", [b[1:] for b in BAD_HYPERPARAMETERS],
                         ids=[b[0] for b in BAD_HYPERPARAMETERS])
def test_bad_hyperparameters_raise(make, name):
    """torch's optimizers refuse these with ValueError. Before, wire returned numbers:
    clip_by_global_norm(-1) turned [3, 4] into [-0.6, -0.8], clip(-1) turned [3, -4] into
    [-1, -1], adam(b1=1) gave NaN updates, adam(-0.1) ascended the loss."""
    with pytest.raises(wire.errors.WireValueError, match=name):
        make()


def test_schedules_and_traced_rates_are_not_refused():
    assert optim.adam(optim.exponential_decay(0.1, 1, 0.9)) is not None
    step = wire.jit(lambda lr, g: optim.sgd(lr).update(g, optim.sgd(lr).init(g))[0])
    close(step(0.5, np.ones(2)), [-0.5, -0.5], np.float64)


def test_accuracy_refuses_labels_of_the_wrong_shape():
    """Before: labels of shape (N, 1) (or one-hot (N, C)) broadcast against the (N,)
    predictions into an N x N table, and four right answers scored 0.25."""
    logits = np.eye(4)
    assert nn.accuracy(logits, np.arange(4)) == 1.0
    for labels in (np.arange(4)[:, None], np.eye(4)):
        with pytest.raises(wire.errors.ShapeError, match=r"\(4, 4\)"):
            nn.accuracy(logits, labels)
