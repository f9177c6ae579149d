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
from selection import slow_selected

import wire
from oracles import assert_normwise_close
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
SLOW = pytest.mark.slow


def dtypes(*fast):
    """The three float dtypes as parameters; those not in ``fast`` are marked slow (JAX
    compiles each primitive on first use, which dominates these tests' time)."""
    return [pytest.param(d, id=i, marks=() if d in fast else SLOW) for d, i in zip(FLOATS, IDS)]


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
# (float16 runs are the fast set: that is where wire's own arithmetic differs most)
RUNS = [(dt, lr, "mixed") for dt in FLOATS for lr in ("constant", "schedule")]
RUNS.append((np.float16, "constant", "normal"))
RUNS = [pytest.param(d, lr, g, id=f"{np.dtype(d).name}-{lr}-{g}",
                     marks=() if d == np.float16 else SLOW) for d, lr, g in RUNS]


@pytest.mark.parametrize("dtype,lr_kind,grads_kind", RUNS)
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
            assert_normwise_close(updates[k], _f64(ref_updates[k]), tol, dtype, k)
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


@SLOW  # torch.optim's first use takes seconds
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


@pytest.mark.parametrize("delta", [0.0, -1.0, float("nan")])
def test_huber_refuses_non_positive_delta(delta):
    """torch's huber_loss refuses delta <= 0 (a NaN delta it accepts, returning NaN); before,
    delta = 0 gave loss 0 for any input."""
    with pytest.raises(wire.errors.WireValueError, match="delta"):
        nn.huber(np.array([3.0]), np.zeros(1), delta=delta)
    if delta <= 0:
        with pytest.raises(RuntimeError, match="delta"):
            F.huber_loss(torch.ones(1), torch.zeros(1), delta=delta)


def test_accuracy_refuses_labels_of_the_wrong_shape():
    """Before: labels of shape (N, 1) (or one-hot (N, C)) broadcast against the (N,)
    predictions into an N x N table, and four right answers scored 0.25."""
    logits = np.eye(4)
    assert nn.accuracy(logits, np.arange(4)) == 1.0
    for labels in (np.arange(4)[:, None], np.eye(4)):
        with pytest.raises(wire.errors.ShapeError, match=r"\(4, 4\)"):
            nn.accuracy(logits, labels)


# =========================================================================== activations

ACTIVATIONS = [
    ("relu", nn.relu, jax.nn.relu),
    ("relu6", nn.relu6, jax.nn.relu6),
    ("leaky_relu", lambda x: nn.leaky_relu(x, 0.1), lambda x: jax.nn.leaky_relu(x, 0.1)),
    ("elu", nn.elu, jax.nn.elu),
    ("selu", nn.selu, jax.nn.selu),
    ("celu", lambda x: nn.celu(x, 2.0), lambda x: jax.nn.celu(x, 2.0)),
    ("gelu(tanh)", nn.gelu, jax.nn.gelu),
    ("gelu(exact)", lambda x: nn.gelu(x, False), lambda x: jax.nn.gelu(x, False)),
    ("silu", nn.silu, jax.nn.silu),
    ("softplus", nn.softplus, jax.nn.softplus),
    ("sigmoid", nn.sigmoid, jax.nn.sigmoid),
    ("log_sigmoid", nn.log_sigmoid, jax.nn.log_sigmoid),
    ("tanh", nn.tanh, jnp.tanh),
    ("hard_sigmoid", nn.hard_sigmoid, jax.nn.hard_sigmoid),
    ("hard_silu", nn.hard_silu, jax.nn.hard_silu),
    ("hard_tanh", nn.hard_tanh, jax.nn.hard_tanh),
    ("mish", nn.mish, jax.nn.mish),
    ("soft_sign", nn.soft_sign, jax.nn.soft_sign),
    ("sparse_plus", nn.sparse_plus, jax.nn.sparse_plus),
    ("sparse_sigmoid", nn.sparse_sigmoid, jax.nn.sparse_sigmoid),
    ("squareplus", nn.squareplus, jax.nn.squareplus),
]
# |x| <= 5 and the kinks: where JAX's float64 formulas keep their accuracy (beyond, several
# cancel: 1 - tanh**2, 1 + tanh in gelu, x - sqrt(x**2 + b) in squareplus); tails are
# compared with mpmath below
GRID = np.unique(np.concatenate([np.linspace(-5, 5, 41), [-0.0, 1e-8, -1e-8, 1e-300,
                                                           -2.9, 2.9, -0.999, 5.5]]))
# derivatives at kinks where wire's documented one-sided choice differs from JAX's tie rule
KINKS = {
    ("sparse_sigmoid", -1.0): "wire 0, the second derivative of sparse_plus; JAX's clip 1/4",
    ("sparse_sigmoid", 1.0): "wire 0, the second derivative of sparse_plus; JAX's clip 1/4",
}


_JAX_LEN = 128


def _jax_elementwise(fn, x, derivative=False):
    """``fn`` (or its derivative, by forward mode with tangent 1) at each entry of ``x``,
    by JAX in float64. Inputs are padded to one length so that JAX compiles each primitive
    once for the whole file (its first calls dominate the time)."""
    x = _f64(x).ravel()
    assert x.size <= _JAX_LEN
    xp = jnp.asarray(np.concatenate([x, np.zeros(_JAX_LEN - x.size)]))
    if derivative:
        out = jax.jvp(fn, (xp,), (jnp.ones_like(xp),))[1]
    else:
        out = fn(xp)
    return np.asarray(out)[: x.size]


@pytest.mark.parametrize("dtype", dtypes(np.float32))
@pytest.mark.parametrize("name,ours,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_matches_jax(name, ours, ref, dtype):
    """Value and derivative in ``dtype`` against JAX in float64 at the same (rounded) inputs;
    results keep the input's dtype."""
    x = GRID.astype(dtype)
    y = ours(x)
    g = wire.vmap(wire.grad(ours))(x)
    assert y.dtype == dtype and g.dtype == dtype
    y_ref, g_ref = _jax_elementwise(ref, _f64(x)), _jax_elementwise(ref, _f64(x), True)
    for k, xi in KINKS:
        if k == name:
            g_ref = np.where(_f64(x) == xi, 0.0, g_ref)  # KINKS[...] gives the reason
    if name == "gelu(tanh)":
        # JAX's 0.5 x (1 + tanh(z)) cancels below -3 (1e-5 off at -5); mpmath judges the tail
        keep = np.abs(_f64(x)) <= 3
        x, y, g, y_ref, g_ref = x[keep], y[keep], g[keep], y_ref[keep], g_ref[keep]
    # a few ulps of each value, and of the largest one: near a root of the derivative
    # (silu' at -1.28, gelu' at -0.75) rounding of the terms is amplified (conditioning)
    rtol = {np.float64: 2e-15, np.float32: 4e-7, np.float16: 2e-3}[dtype]
    tiny = float(np.finfo(dtype).smallest_subnormal)
    close(y, y_ref, dtype, rtol=4 * rtol, atol=4 * rtol * np.max(np.abs(y_ref)) + tiny)
    close(g, g_ref, dtype, rtol=4 * rtol, atol=4 * rtol * np.max(np.abs(g_ref)) + tiny)


# the limits at ±inf, value and derivative: (at -inf, at +inf). JAX gives NaN where its
# formula multiplies inf by 0 (x * sigmoid(x), x * Phi(x), x * tanh(softplus(x)),
# inf / inf); wire takes the limit (documented in each function)
LIMITS = {
    "relu": ((0, 0), (np.inf, 1)), "relu6": ((0, 0), (6, 0)),
    "leaky_relu": ((-np.inf, 0.1), (np.inf, 1)), "elu": ((-1, 0), (np.inf, 1)),
    "selu": ((-1.7580993408473766, 0), (np.inf, 1.0507009873554805)),
    "celu": ((-2, 0), (np.inf, 1)), "gelu(tanh)": ((0, 0), (np.inf, 1)),
    "gelu(exact)": ((0, 0), (np.inf, 1)), "silu": ((0, 0), (np.inf, 1)),
    "softplus": ((0, 0), (np.inf, 1)), "sigmoid": ((0, 0), (1, 0)),
    "log_sigmoid": ((-np.inf, 1), (0, 0)), "tanh": ((-1, 0), (1, 0)),
    "hard_sigmoid": ((0, 0), (1, 0)), "hard_silu": ((0, 0), (np.inf, 1)),
    "hard_tanh": ((-1, 0), (1, 0)), "mish": ((0, 0), (np.inf, 1)),
    "soft_sign": ((-1, 0), (1, 0)), "sparse_plus": ((0, 0), (np.inf, 1)),
    "sparse_sigmoid": ((0, 0), (1, 0)), "squareplus": ((0, 0), (np.inf, 1)),
}


@pytest.mark.parametrize("dtype", dtypes(np.float64))
@pytest.mark.parametrize("name,ours,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_at_infinities_and_nan(name, ours, ref, dtype):
    x = np.array([-np.inf, np.inf], dtype)
    y, g = ours(x), wire.vmap(wire.grad(ours))(x)
    (lo, glo), (hi, ghi) = LIMITS[name]
    rtol = float(np.finfo(dtype).eps)  # the limits (selu's, leaky_relu's slope) rounded
    close(y, [lo, hi], dtype, rtol=rtol)
    close(g, [glo, ghi], dtype, rtol=rtol)
    # where JAX is not NaN it agrees (it is NaN only through inf * 0 or inf / inf)
    y_ref, g_ref = _jax_elementwise(ref, _f64(x)), _jax_elementwise(ref, _f64(x), True)
    close(np.where(np.isnan(y_ref), np.nan, _f64(y)), y_ref, dtype, rtol=rtol)
    close(np.where(np.isnan(g_ref), np.nan, _f64(g)), g_ref, dtype, rtol=rtol)
    # NaN in, NaN out (the derivative at NaN is a convention: relu's is 0, as JAX's)
    assert np.isnan(ours(np.array([np.nan], dtype))).all()


mp = pytest.importorskip("mpmath")
TAILS = {
    # name: (wire function, mpmath value, mpmath derivative)
    "tanh": (nn.tanh, mp.tanh, lambda x: 1 / mp.cosh(x) ** 2),
    "sigmoid": (nn.sigmoid, lambda x: 1 / (1 + mp.exp(-x)),
                lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2),
    "log_sigmoid": (nn.log_sigmoid, lambda x: -mp.log1p(mp.exp(-x)),
                    lambda x: 1 / (1 + mp.exp(x))),
    "softplus": (nn.softplus, lambda x: mp.log1p(mp.exp(x)), lambda x: 1 / (1 + mp.exp(-x))),
    "elu": (nn.elu, lambda x: mp.expm1(x) if x < 0 else x, lambda x: mp.exp(x) if x < 0 else 1),
    "silu": (nn.silu, lambda x: x / (1 + mp.exp(-x)),
             lambda x: mp.diff(lambda t: t / (1 + mp.exp(-t)), x)),
    "gelu(exact)": (lambda x: nn.gelu(x, False), lambda x: x * mp.ncdf(x),
                    lambda x: mp.ncdf(x) + x * mp.npdf(x)),
    "gelu(tanh)": (nn.gelu, lambda x: x / (1 + mp.exp(-2 * mp.sqrt(2 / mp.pi)
                                                      * (x + 0.044715 * x ** 3))),
                   lambda x: mp.diff(lambda t: t / (1 + mp.exp(-2 * mp.sqrt(2 / mp.pi)
                                                              * (t + 0.044715 * t ** 3))), x)),
    "soft_sign": (nn.soft_sign, lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2),
}
TAIL_POINTS = [-1e8, -100.0, -30.0, -12.0, -7.5, 7.5, 12.0, 30.0, 100.0, 1e8]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(TAILS))
def test_activation_tails_match_mpmath(name, dtype):
    """Relative accuracy of value and derivative in the tails, against mpmath. Before:
    ``tanh``'s derivative was ``1 - tanh**2`` (at 15.8 in float64 1e-3 off, in float32 0 from
    |x| = 9 on); ``soft_sign``'s was a difference of nearly equal terms (0 at -1e8 in
    float32, where it is 1e-16). JAX's float64 derivatives of tanh, sigmoid, elu and the
    tanh-form gelu lose 1e-6 ... 1e-3 here, so JAX is no oracle in the tails."""
    fn, value, derivative = TAILS[name]
    x = np.array(TAIL_POINTS, dtype)
    tiny = float(np.finfo(dtype).tiny)
    ys, gs = fn(x), wire.vmap(wire.grad(fn))(x)
    for xi, y, g in zip(x, ys, gs):
        with mp.workdps(40):  # (mpmath's precision is global: restored after)
            v, d = value(mp.mpf(float(xi))), derivative(mp.mpf(float(xi)))
        # the erfc form's condition number is about x**2: the rounding of x / sqrt(2) is
        # amplified that much (wire and torch both form it in the input's dtype)
        # the tanh form's is about its sigmoid's argument 2z = 1.6 (x + 0.044715 x**3)
        cond = {"gelu(exact)": max(1.0, float(xi) ** 2),
                "gelu(tanh)": max(1.0, 1.6 * abs(float(xi) + 0.044715 * float(xi) ** 3))
                }.get(name, 1.0)
        for ours, ref in ((y, v), (g, d)):
            ref = float(ref)
            if abs(ref) < tiny or abs(ref) > float(np.finfo(dtype).max):
                continue  # below the normal range (or beyond it): not a relative question
            assert abs(float(ours) - ref) <= 16 * cond * float(np.finfo(dtype).eps) * abs(ref), (
                xi, float(ours), ref)


HALF = ["elu", "selu", "celu", "gelu(tanh)", "gelu(exact)", "silu", "softplus", "mish", "tanh",
        "squareplus", "sigmoid", "log_sigmoid"]


@pytest.mark.parametrize("name", HALF)
def test_float16_activations_are_rounded_once(name):
    """A float16 activation and its derivative are the float64 values rounded to float16
    (within 2 ulps, subnormals included), as torch computes half precision in float32. Before,
    the tails were computed in float16 arithmetic: gelu's derivative at -5 was -3.0e-7 (it is
    -1.55e-6), gelu(-5) -3.0e-7 (it is -2.3e-7)."""
    ours, ref = next((a[1], a[2]) for a in ACTIVATIONS if a[0] == name)
    x = np.linspace(-8, 8, 65).astype(np.float16)
    y, g = ours(x), wire.vmap(wire.grad(ours))(x)
    assert y.dtype == g.dtype == np.float16
    for got, want in ((y, _jax_elementwise(ref, _f64(x))),
                      (g, _jax_elementwise(ref, _f64(x), True))):
        ulp = np.spacing(np.abs(want).astype(np.float16)).astype(np.float64)
        assert (np.abs(_f64(got) - want) <= 2 * ulp).all(), (
            x[np.abs(_f64(got) - want) > 2 * ulp], got[np.abs(_f64(got) - want) > 2 * ulp])


# =========================================================================== losses


def _t(x, grad=False):
    return torch.tensor(np.array(x), requires_grad=grad)


LOGITS = {
    "huge": np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4]]),
    "ties": np.array([[2.0, 2.0, 2.0], [0.0, 0.0, 0.0], [5.0, 5.0, -1.0]]),
    "ordinary": np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -3.0], [0.1, 0.2, 0.3]]),
}


@pytest.mark.parametrize("dtype", FLOATS, ids=IDS)
@pytest.mark.parametrize("case", sorted(LOGITS))
def test_cross_entropies_match_torch(case, dtype):
    """Integer and one-hot/soft labels (probabilities 0 and 1, and 1/3) against torch's
    cross_entropy in float64 (torch has no float16 CPU log_softmax worth the name: the float16
    inputs go to it as float64); the loss keeps the logits' dtype."""
    x = LOGITS[case].astype(dtype)
    labels = np.array([0, 1, 2])
    soft = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [1 / 3, 1 / 3, 1 / 3]]).astype(dtype)
    rtol = {np.float64: 1e-13, np.float32: 1e-6, np.float16: 2e-3}[dtype]
    for ours, targets, ref_targets in (
        (nn.softmax_cross_entropy, labels, torch.tensor(labels)),
        (nn.softmax_cross_entropy_onehot, soft, _t(_f64(soft))),
    ):
        xt = _t(_f64(x), True)
        ref = F.cross_entropy(xt, ref_targets, reduction="none")
        ref.sum().backward()
        loss = ours(x, targets, reduction="none")
        grad = wire.grad(lambda z: ours(z, targets, reduction="sum"))(x)
        assert loss.dtype == grad.dtype == dtype
        scale = float(np.max(np.abs(ref.detach().numpy())))
        close(loss, ref.detach().numpy(), dtype, rtol=rtol, atol=rtol * scale)
        close(grad, xt.grad.numpy(), dtype, rtol=rtol, atol=rtol)
        assert float(ours(x, targets)) == pytest.approx(float(ref.mean()), rel=rtol, abs=rtol)


def test_cross_entropy_masked_class_and_certain_labels():
    """A class with logit -inf and target 0 adds nothing (torch: NaN, from 0 * -inf); a
    label of probability 1 on a logit that dominates by 1e4 costs exactly 0."""
    x = np.array([[-np.inf, 0.0, 1.0], [1e4, 0.0, -1e4]])
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    loss = nn.softmax_cross_entropy_onehot(x, t, reduction="none")
    ref = F.cross_entropy(_t(np.where(np.isinf(x), -1e300, x)), _t(t), reduction="none")
    close(loss, ref.numpy(), np.float64, rtol=1e-14)
    close(nn.softmax_cross_entropy(x, np.array([1, 0]), reduction="none"), loss, np.float64)
    g = wire.grad(lambda z: nn.softmax_cross_entropy_onehot(z, t))(x)
    assert np.isfinite(g).all()


BCE_X = np.array([0.0, -0.0, 3.0, -3.0, 50.0, -50.0, 1e4, -1e4, 100.0, -100.0])


@pytest.mark.parametrize("dtype", FLOATS, ids=IDS)
@pytest.mark.parametrize("target", [0.0, 1.0, 0.3])
def test_binary_cross_entropy_matches_torch(target, dtype):
    x = BCE_X.astype(dtype)
    t = np.full_like(x, target)
    xt = _t(_f64(x), True)
    ref = F.binary_cross_entropy_with_logits(xt, _t(_f64(t)), reduction="none")
    ref.sum().backward()
    loss = nn.binary_cross_entropy_with_logits(x, t, reduction="none")
    grad = wire.grad(lambda z: nn.binary_cross_entropy_with_logits(z, t, reduction="sum"))(x)
    assert loss.dtype == grad.dtype == dtype
    rtol = {np.float64: 1e-13, np.float32: 1e-6, np.float16: 2e-3}[dtype]
    # torch's loss max(x, 0) - x t + log1p(exp(-|x|)) keeps only absolute accuracy: at
    # x = -50, t = 0 it is 0 where the loss is log1p(e^-50) = 1.9e-22; NumPy's logaddexp
    # (in float64) is the oracle for the value, torch where it is not below 1e-15
    # (its derivative sigmoid(x) - t, likewise: 0 at x = 50, t = 1, where it is -1.9e-22)
    from scipy.special import expit

    t64, x64 = _f64(t), _f64(x)
    exact = t64 * np.logaddexp(0.0, -x64) + (1 - t64) * np.logaddexp(0.0, x64)
    exact_grad = -t64 * expit(-x64) + (1 - t64) * expit(x64)
    torch_ok = np.abs(ref.detach().numpy()) > 1e-15
    close(ref.detach().numpy()[torch_ok], exact[torch_ok], np.float64, rtol=1e-13)
    close(xt.grad.numpy(), exact_grad, np.float64, rtol=1e-13, atol=1e-15)
    close(loss, exact.astype(dtype), dtype, rtol=rtol)
    close(grad, exact_grad.astype(dtype), dtype, rtol=rtol)
    # at ±inf torch gives NaN (inf - inf); wire's terms of weight 0 add nothing
    inf = np.array([np.inf, -np.inf], dtype)
    got = nn.binary_cross_entropy_with_logits(inf, np.full(2, target, dtype), reduction="none")
    want = {0.0: [np.inf, 0.0], 1.0: [0.0, np.inf], 0.3: [np.inf, np.inf]}[target]
    close(got, want, dtype)


@pytest.mark.parametrize("dtype", FLOATS, ids=IDS)
def test_huber_and_mse_match_torch(dtype):
    p = np.array([0.0, -0.0, 0.5, -2.0, 1.0, 1e4, np.inf, -np.inf], dtype)
    t = np.zeros_like(p)
    for delta in (1.0, 0.5):
        pt = _t(_f64(p), True)
        ref = F.huber_loss(pt, _t(_f64(t)), delta=delta, reduction="none")
        ref.sum().backward()
        loss = nn.huber(p, t, delta=delta, reduction="none")
        grad = wire.grad(lambda z: nn.huber(z, t, delta=delta, reduction="sum"))(p)
        assert loss.dtype == grad.dtype == dtype
        close(loss, ref.detach().numpy().astype(dtype), dtype,
              rtol=2 * float(np.finfo(dtype).eps))
        close(grad, pt.grad.numpy().astype(dtype), dtype)
    finite = p[np.isfinite(p)]
    pt = _t(_f64(finite), True)
    ref = F.mse_loss(pt, torch.zeros(len(finite), dtype=torch.float64))
    ref.backward()
    out = nn.mse(finite, np.zeros_like(finite))
    assert out.dtype == dtype
    # in float16 the square of 1e4 overflows: the mean 1.7e7 rounds to inf, as the oracle's
    close(out, ref.detach().numpy().astype(dtype), dtype, rtol=2 * float(np.finfo(dtype).eps))
    close(wire.grad(lambda z: nn.mse(z, np.zeros_like(finite)))(finite), pt.grad.numpy(), dtype,
          rtol=2 * float(np.finfo(dtype).eps))


def test_empty_batch_losses_are_nan_as_torch():
    """The mean over no examples is NaN (torch too: 0/0); the sum is 0."""
    assert np.isnan(nn.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, int)))
    assert np.isnan(float(F.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))))
    assert float(nn.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, int), "sum")) == 0.0
    assert np.isnan(nn.mse(np.zeros(0), np.zeros(0)))


# =========================================================================== normalization

ROWS = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0], [1e-300, -1e-300, 0.0, 0.0],
                 [-7.0, 0.0, 0.0, 7.0], [1e3, 1e3 + 1, 1e3 + 2, 1e3 + 3]])
OFFSET = np.array([[1e8, 1e8 + 1, 1e8 + 2, 1e8 + 3]])


@pytest.mark.parametrize("dtype", FLOATS, ids=IDS)
def test_layer_norm_matches_torch(dtype):
    """Constant rows (variance 0: the output is the bias), tiny and offset rows; torch's
    layer_norm in float64 on the same (rounded) inputs. A row like [1e200, -1e200, 0, 1]
    is not here: torch's variance overflows to inf (NaN out), wire rescales first (see
    docs/training.md)."""
    x = ROWS.astype(dtype)
    init, apply = nn.LayerNorm()
    params = wire.tree.map(lambda a: a.astype(dtype), init(None, x.shape))
    ct = np.arange(4.0).astype(dtype)
    y = apply(params, x)
    g = wire.grad(lambda z: (apply(params, z) * ct).sum())(x)
    xt = _t(_f64(x), True)
    ref = F.layer_norm(xt, (4,), eps=1e-5)
    (ref * _t(_f64(ct))).sum().backward()
    assert y.dtype == g.dtype == dtype
    # float16 inputs are normalised in float32 (as torch): the float64 oracle differs by the
    # float32 rounding of the offset row's statistics, well inside float16's own ulp
    rtol = {np.float64: 1e-12, np.float32: 2e-6, np.float16: 2e-3}[dtype]
    close(y, ref.detach().numpy(), dtype, rtol=rtol, atol=rtol)
    close(g, xt.grad.numpy(), dtype, rtol=rtol, atol=rtol)
    # an offset row: the cotangent is x - 1e8, so the derivative is (x - mean) eps / s**3
    # exactly (s**2 = var + eps); torch's float64 one is 4e-4 off (it cancels), wire's exact
    gx = wire.grad(lambda z: (apply(params, z) * ct).sum())(OFFSET.astype(dtype))
    if dtype == np.float64:
        d = OFFSET - OFFSET.mean()
        close(gx, d * 1e-5 / (d.var() + 1e-5) ** 1.5, dtype, rtol=1e-9)
    # one feature: variance 0, output the bias (0); inf gives NaN, as torch
    init1, apply1 = nn.LayerNorm()
    z = np.array([[1.0], [np.inf]])
    close(apply1(init1(None, z.shape), z), F.layer_norm(_t(z), (1,)).numpy(), np.float64)


def test_standardize_is_the_stable_variance():
    """Convention: wire's default algorithm is the two-pass variance; JAX's default 'fast'
    one cancels (on [1e8 .. 1e8 + 3] in float64 it is 0.28 off); wire's fast one agrees with
    JAX's."""
    x = OFFSET
    want = (x - x.mean()) / np.sqrt(x.var() + 1e-5)
    close(nn.standardize(x), want, np.float64, rtol=1e-12)
    close(nn.standardize(x, algorithm="fast"), jax.nn.standardize(jnp.asarray(x)), np.float64,
          rtol=1e-12)


@pytest.mark.parametrize("dtype", FLOATS, ids=IDS)
def test_batch_norm_matches_torch(dtype):
    """Training statistics, running statistics (wire's momentum 0.9 is torch's 0.1) and the
    evaluation output; a batch of 2 and a constant feature. Before, a float16 feature whose
    batch variance (5e5) exceeds float16's range got running variance inf, where 0.9 + 0.1 *
    5e5 = 5.0e4 fits, and evaluation then gave 0 for it."""
    x = np.array([[1.0, 5.0, -3.0], [2.0, 5.0, 1e3]], dtype)
    init, apply = nn.BatchNorm()
    params = wire.tree.map(lambda a: a.astype(dtype), init(None, (-1, 3)))
    y, new = apply(params, x, train=True)
    bn = torch.nn.BatchNorm1d(3, momentum=0.1, dtype=torch.float64)
    ref = bn(_t(_f64(x)))
    rtol = {np.float64: 1e-12, np.float32: 2e-6, np.float16: 2e-3}[dtype]
    assert y.dtype == new["mean"].dtype == new["var"].dtype == dtype
    close(y, ref.detach().numpy(), dtype, rtol=rtol, atol=rtol)
    close(new["mean"], bn.running_mean.numpy(), dtype, rtol=rtol)
    close(new["var"], bn.running_var.numpy(), dtype, rtol=rtol)
    bn.eval()
    close(apply(new, x), bn(_t(_f64(x))).detach().numpy(), dtype, rtol=rtol, atol=rtol)
    with pytest.raises(wire.WireError, match=r"\(1, 3\)"):  # torch raises too
        apply(params, x[:1], train=True)


# =========================================================================== conv, pooling

CONVS = [  # (N, H, W, Cin, Cout, kernel, strides, dilation, padding)
    (2, 5, 7, 3, 4, (3, 3), 1, 1, "VALID"),
    (1, 5, 7, 3, 2, (3, 2), 2, 1, "SAME"),
    (2, 6, 6, 2, 3, (3, 3), (2, 1), (1, 2), "SAME"),
    (1, 1, 1, 1, 1, (1, 1), 1, 1, "VALID"),
    (0, 4, 4, 2, 3, (3, 3), 1, 1, "SAME"),
    (3, 7, 5, 1, 2, (2, 3), 3, 2, ((1, 2), (0, 3))),
    (1, 4, 4, 2, 2, (5, 5), 1, 1, "SAME"),
    (1, 2, 9, 1, 1, (1, 4), (1, 3), (1, 2), "SAME"),
]


def _pads(padding, hw, k, s, d):
    from wire.nn.layers import _resolve_padding
    pair = (lambda v: v if isinstance(v, tuple) else (v, v))
    return _resolve_padding(padding, hw, k, pair(s), pair(d), "oracle"), pair(s), pair(d)


def _torch_pad(x, pads, value=0.0):
    (t, b), (left, r) = pads
    return F.pad(x, (left, r, t, b), value=value)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("geometry", CONVS, ids=[str(c) for c in CONVS])
def test_conv2d_matches_torch(geometry, dtype):
    """Output and gradients (input, kernel, bias) against torch's conv2d on the same
    explicitly padded NCHW input; empty and size-1 batches included."""
    n, h, w, cin, cout, k, s, d, padding = geometry
    rng = np.random.default_rng(0)
    init, apply = nn.Conv2D(cout, k, strides=s, padding=padding, dilation=d)
    params = init(wr.key(0), (-1, h, w, cin)).set("b", rng.normal(size=cout))
    params = wire.tree.map(lambda a: a.astype(dtype), params)
    x = rng.normal(size=(n, h, w, cin)).astype(dtype)
    pads, strides, dil = _pads(padding, (h, w), k, s, d)
    xt = _t(np.transpose(x, (0, 3, 1, 2)), True)
    wt = _t(np.transpose(params["w"], (3, 2, 0, 1)), True)
    bt = _t(params["b"], True)
    ref = F.conv2d(_torch_pad(xt, pads), wt, bt, stride=strides, dilation=dil)
    y = apply(params, x)
    assert y.dtype == dtype and y.shape == tuple(np.transpose(ref.detach().numpy(),
                                                              (0, 2, 3, 1)).shape)
    ct = rng.normal(size=y.shape).astype(dtype)
    (ref * _t(np.transpose(ct, (0, 3, 1, 2)))).sum().backward()
    gx, gp = wire.grad(lambda x_, p_: (apply(p_, x_) * ct).sum(), argnums=(0, 1))(x, params)
    rtol = {np.float64: 1e-12, np.float32: 2e-5}[dtype]
    for ours, want in ((y, np.transpose(ref.detach().numpy(), (0, 2, 3, 1))),
                       (gx, np.transpose(xt.grad.numpy(), (0, 2, 3, 1))),
                       (gp["w"], np.transpose(wt.grad.numpy(), (2, 3, 1, 0))),
                       (gp["b"], bt.grad.numpy())):
        scale = float(np.max(np.abs(want))) if want.size else 0.0
        close(ours, want, dtype, rtol=rtol, atol=rtol * scale)


POOLS = [  # (N, H, W, C, window, strides, padding)
    (2, 5, 7, 3, (2, 2), None, "VALID"),
    (1, 5, 7, 2, (3, 3), 2, "SAME"),
    (1, 4, 4, 1, (2, 2), 1, "SAME"),
    (0, 4, 4, 1, (2, 2), None, "VALID"),
    (1, 1, 1, 1, (1, 1), None, "VALID"),
    (2, 6, 5, 2, (3, 2), (2, 1), ((1, 1), (0, 1))),
    (1, 5, 5, 1, (2, 2), None, "SAME"),
]


@pytest.mark.parametrize("kind", ["max", "avg", "avg(count_include_pad)"])
@pytest.mark.parametrize("geometry", POOLS, ids=[str(p) for p in POOLS])
def test_pooling_matches_torch(geometry, kind):
    """Max pooling pads with -inf (torch's max_pool2d on a -inf-padded input); average
    pooling divides by the window's cells inside the input, or by the whole window with
    count_include_pad (torch's divisor_override sums, divided by the same counts). Inputs
    with NaN and -inf rows too; float32 and float16 keep their dtype."""
    n, h, w, c, window, s, padding = geometry
    x = np.random.default_rng(1).normal(size=(n, h, w, c))
    if x.size:
        x[0, 0, :, 0] = -np.inf
    make = {"max": lambda: nn.MaxPool(window, s, padding),
            "avg": lambda: nn.AvgPool(window, s, padding),
            "avg(count_include_pad)": lambda: nn.AvgPool(window, s, padding, True)}[kind]
    init, apply = make()
    strides = window if s is None else (s if isinstance(s, tuple) else (s, s))
    pads, _, _ = _pads(padding, (h, w), window, strides, 1)
    xt = _t(np.transpose(x, (0, 3, 1, 2)), True)
    if kind == "max":
        ref = F.max_pool2d(_torch_pad(xt, pads, -np.inf), window, strides)
    else:
        total = F.avg_pool2d(_torch_pad(xt, pads), window, strides, divisor_override=1)
        ones = _torch_pad(torch.ones_like(xt), pads)
        count = (F.avg_pool2d(ones, window, strides, divisor_override=1) if kind == "avg"
                 else window[0] * window[1])
        ref = total / count
    want = np.transpose(ref.detach().numpy(), (0, 2, 3, 1))
    y = apply(init(None, x.shape), x)
    close(y, want, np.float64, rtol=1e-13)
    for dt in (np.float32, np.float16):
        assert apply(None, x.astype(dt)).dtype == dt
    if x.size and kind != "max":  # (max's gradient at -inf rows: ties, a convention)
        ct = np.random.default_rng(2).normal(size=y.shape)
        (ref * _t(np.transpose(ct, (0, 3, 1, 2)))).sum().backward()
        xf = np.where(np.isinf(x), 0.0, x)
        g = wire.grad(lambda z: (apply(None, z) * ct).sum())(xf)
        close(g, np.transpose(xt.grad.numpy(), (0, 2, 3, 1)), np.float64, rtol=1e-12)


# =========================================================================== attention

_rng = np.random.default_rng(0)
Q, K, V = (_rng.normal(size=s) for s in ((2, 3, 4, 5), (2, 4, 2, 5), (2, 4, 2, 5)))
MASK = _rng.random((2, 1, 3, 4)) > 0.4
MASK[0, 0, 1, :] = False  # a fully masked row: JAX averages every value
ATTENTION = {
    "plain": {}, "mask": {"mask": MASK}, "bias": {"bias": _rng.normal(size=(1, 4, 3, 4))},
    "causal": {"is_causal": True},
    "lengths": {"query_seq_lengths": np.array([2, 3], np.int32),
                "key_value_seq_lengths": np.array([1, 4], np.int32)},
    "no keys": {"key_value_seq_lengths": np.array([0, 4], np.int32)},
    "window": {"local_window_size": (1, 0)},
    "huge bias": {"bias": np.full((1, 1, 3, 4), 1e4) * np.array([1, 0, -1, 0])},
}


@SLOW  # JAX compiles its attention for each set of options: seconds each
@pytest.mark.parametrize("dtype", FLOATS, ids=IDS)
@pytest.mark.parametrize("case", sorted(ATTENTION))
def test_dot_product_attention_matches_jax(case, dtype, request):
    if dtype is not np.float64 and not slow_selected(request.config):
        pytest.skip("float32/float16 attention against JAX runs with -m slow (CI: float64)")
    kw = {k: (v.astype(dtype) if v.dtype.kind == "f" else v) if isinstance(v, np.ndarray)
          else v for k, v in ATTENTION[case].items()}
    q, k, v = (a.astype(dtype) for a in (Q, K, V))
    jkw = {a: jnp.asarray(b) if isinstance(b, np.ndarray) else b for a, b in kw.items()}
    ours = nn.dot_product_attention(q, k, v, **kw)
    ref = jax.nn.dot_product_attention(*(jnp.asarray(a) for a in (q, k, v)), **jkw)
    assert ours.dtype == ref.dtype == dtype
    # JAX takes the softmax in float32 whatever the input (so float64 agrees to ~1e-7)
    tol = {np.float64: 1e-6, np.float32: 1e-5, np.float16: 1e-2}[dtype]
    close(ours, ref, dtype, rtol=tol, atol=tol)
    gw = wire.grad(lambda a, b, c: (nn.dot_product_attention(a, b, c, **kw) ** 2).sum(),
                   argnums=(0, 1, 2))(q, k, v)
    gj = jax.grad(lambda a, b, c: (jax.nn.dot_product_attention(a, b, c, **jkw) ** 2).sum(),
                  argnums=(0, 1, 2))(*(jnp.asarray(a) for a in (q, k, v)))
    for a, b in zip(gw, gj):
        assert a.dtype == dtype
        close(a, b, dtype, rtol=10 * tol, atol=10 * tol)


@pytest.mark.parametrize("dtype", FLOATS, ids=IDS)
def test_fully_masked_attention_rows_average_the_values(dtype):
    """JAX's convention (masked logits are -0.7 * float32 max, not -inf): a row with every
    key masked, or no keys at all, averages all the values, with finite gradients; other
    rows are unaffected. (torch's scaled_dot_product_attention gives NaN there.)"""
    q, k, v = (a.astype(dtype) for a in (Q, K, V))
    out = nn.dot_product_attention(q, k, v, mask=MASK)
    want = np.broadcast_to(_f64(v)[0].mean(axis=0).reshape(1, 2, 1, 5), (1, 2, 2, 5))
    close(out[0, 1].reshape(1, 2, 2, 5), want, dtype, rtol=2e-3, atol=2e-3)
    empty = nn.dot_product_attention(q, k, v, key_value_seq_lengths=np.array([0, 4]))
    close(empty[0], np.broadcast_to(_f64(v)[0].mean(axis=0)[None, :, None, :], (3, 2, 2, 5))
          .reshape(3, 4, 5), dtype, rtol=2e-3, atol=2e-3)
    g = wire.grad(lambda a: (nn.dot_product_attention(a, k, v, mask=MASK) ** 2).sum())(q)
    assert g.dtype == dtype and np.isfinite(_f64(g)).all()
    assert np.all(_f64(g)[0, 1] == 0)  # a fully masked row does not depend on its query


# =========================================================================== recurrent


@pytest.mark.parametrize("batch,steps", [(1, 1), (3, 4)])
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent_matches_torch(kind, batch, steps):
    """Batch 1 and a single step included; torch's biases are wire's ``b`` on the input side
    and 0 on the recurrent side (wire's GRU has no recurrent bias)."""
    hidden, feats = 3, 2
    layer = getattr(nn, kind)(hidden)
    init, apply = layer
    params = init(wr.key(0), (-1, steps, feats))
    params = params.set("b", np.random.default_rng(3).normal(size=params["b"].shape))
    x = np.random.default_rng(4).normal(size=(batch, steps, feats)) * 3
    mod = getattr(torch.nn, kind)(feats, hidden, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mod.weight_ih_l0.copy_(_t(params["wi"].T))
        mod.weight_hh_l0.copy_(_t(params["wh"].T))
        mod.bias_ih_l0.copy_(_t(params["b"]))
        mod.bias_hh_l0.zero_()
    xt = _t(x, True)
    ref, _ = mod(xt)
    ct = np.random.default_rng(5).normal(size=ref.shape)
    (ref * _t(ct)).sum().backward()
    close(apply(params, x), ref.detach().numpy(), np.float64, rtol=1e-12, atol=1e-15)
    g = wire.grad(lambda z: (apply(params, z) * ct).sum())(x)
    close(g, xt.grad.numpy(), np.float64, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_gru_b_hn_matches_torch(dtype):
    """``GRU(h, b_hn=True)`` is ``torch.nn.GRU`` with all four of its biases nonzero:
    ``bias_ih + bias_hh`` for the r and z gates, ``bias_ih`` for n in ``b`` and
    ``bias_hh[2H:]`` in ``b_hn``, inside the reset gate's product. Outputs, the final state and
    the gradients of every parameter (``b_hn``'s included) agree; without ``b_hn`` the layer
    differs from that torch GRU by 0.1 or more (the test can fail)."""
    hidden, feats, batch, steps = 3, 2, 2, 5
    rng = np.random.default_rng(11)
    init, apply = nn.GRU(hidden, b_hn=True)
    params = init(wr.key(1), (-1, steps, feats))
    assert np.all(params["b_hn"] == 0) and params["b_hn"].shape == (hidden,)
    b_ih, b_hh = rng.normal(size=3 * hidden), rng.normal(size=3 * hidden)
    params = params.set("b", b_ih + np.concatenate([b_hh[:2 * hidden], np.zeros(hidden)]))
    params = params.set("b_hn", b_hh[2 * hidden:])
    params = wire.tree.map(lambda a: np.asarray(a, dtype), params)
    x = (rng.normal(size=(batch, steps, feats)) * 2).astype(dtype)
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    mod = torch.nn.GRU(feats, hidden, batch_first=True, dtype=tdt)
    with torch.no_grad():
        mod.weight_ih_l0.copy_(torch.tensor(params["wi"].T))
        mod.weight_hh_l0.copy_(torch.tensor(params["wh"].T))
        mod.bias_ih_l0.copy_(torch.tensor(b_ih.astype(dtype)))
        mod.bias_hh_l0.copy_(torch.tensor(b_hh.astype(dtype)))
    ref, h_n = mod(torch.tensor(x))
    ct = rng.normal(size=ref.shape).astype(dtype)
    (ref * torch.tensor(ct)).sum().backward()
    rtol, atol = (1e-12, 1e-14) if dtype == np.float64 else (2e-5, 2e-6)
    ys, h = apply(params, x, return_state=True)
    assert ys.dtype == dtype
    close(ys, ref.detach().numpy(), dtype, rtol=rtol, atol=atol)
    close(h, h_n[0].detach().numpy(), dtype, rtol=rtol, atol=atol)
    g = wire.grad(lambda p: (apply(p, x) * ct).sum())(params)
    close(g["b_hn"], mod.bias_hh_l0.grad[2 * hidden:].numpy(), dtype, rtol=rtol * 10, atol=atol)
    close(g["wh"], mod.weight_hh_l0.grad.numpy().T, dtype, rtol=rtol * 10, atol=atol)
    close(g["b"][2 * hidden:], mod.bias_ih_l0.grad[2 * hidden:].numpy(), dtype,
          rtol=rtol * 10, atol=atol)
    jitted = wire.jit(lambda p, z: apply(p, z))(params, x)
    close(jitted, ref.detach().numpy(), dtype, rtol=rtol, atol=atol)
    plain = nn.GRU(hidden)[1]({k: v for k, v in params.items() if k != "b_hn"}, x)
    assert np.max(np.abs(_f64(plain) - ref.detach().numpy().astype(np.float64))) > 0.1
    with pytest.raises(wire.errors.WireError, match="b_hn"):
        apply({k: v for k, v in params.items() if k != "b_hn"}, x)


# =========================================================================== wire.random


@pytest.mark.parametrize("dtype", FLOATS, ids=IDS)
def test_random_dtypes_shapes_and_moments(dtype):
    """The requested dtype and shape (NumPy's convention: shape first, then the dtype),
    and the first two moments of 2**16 draws within 5 standard errors."""
    key = wr.key(0)
    n = 2 ** 16
    moments = {  # sampler: (mean, variance)
        "uniform": (lambda: wr.uniform(key, (n,), dtype), 0.5, 1 / 12),
        "normal": (lambda: wr.normal(key, (n,), dtype), 0.0, 1.0),
        "gumbel": (lambda: wr.gumbel(key, (n,), dtype), np.euler_gamma, np.pi ** 2 / 6),
        "truncated_normal": (lambda: wr.truncated_normal(key, -2.0, 2.0, (n,), dtype), 0.0,
                             0.7737413035499232),
    }
    for name, (draw, mean, var) in moments.items():
        x = draw()
        assert x.dtype == dtype and x.shape == (n,), name
        xs = _f64(x)
        assert np.isfinite(xs).all(), name
        assert abs(xs.mean() - mean) < 5 * math.sqrt(var / n), name
        assert abs(xs.var() / var - 1) < 5 * math.sqrt(2 / n) * 3, name
    assert wr.uniform(key, (2, 0), dtype).shape == (2, 0)
    assert wr.bernoulli(key, 0.3, (3, 2)).shape == (3, 2)
    assert wr.randint(key, (3,), 0, 10, np.int32).dtype == np.int32


def test_random_keys_are_reproducible_across_jit_and_vmap():
    key = wr.key(42)
    keys = wr.split(key, 4)
    assert np.array_equal(keys, wr.split(key, 4))
    assert len({tuple(k) for k in keys}) == 4
    for draw in (lambda k: wr.normal(k, (3,), np.float32),
                 lambda k: wr.uniform(k, (2,), np.float16, -1.0, 1.0),
                 lambda k: wr.categorical(k, np.log(np.array([0.2, 0.5, 0.3])), shape=(5,)),
                 lambda k: wr.split(k)[1]):
        eager = np.stack([draw(k) for k in keys])
        assert np.array_equal(wire.jit(draw)(keys[0]), eager[0])
        assert np.array_equal(wire.vmap(draw)(keys), eager)
        assert wire.vmap(draw)(keys).dtype == eager.dtype
    # Dropout: the same key gives the same mask eagerly and under jit
    init, apply = nn.Dropout(0.5)
    x = np.ones((4, 5), np.float32)
    eager = apply(None, x, key=key, train=True)
    assert eager.dtype == np.float32
    assert np.array_equal(wire.jit(lambda k: apply(None, x, key=k, train=True))(key), eager)


def test_empty_batch_through_a_model_matches_torch():
    """An empty batch flows through convolution, flatten and dense layers, and the summed
    loss has zero gradients (torch: the same shapes). Before: Flatten raised NumPy's
    ValueError (reshape of size 0 to (0, -1))."""
    init, apply = nn.serial(nn.Conv2D(2, (3, 3), padding="SAME"), nn.Relu(), nn.Flatten(),
                            nn.Dense(3))
    params = init(wr.key(0), (-1, 4, 4, 1))
    x = np.zeros((0, 4, 4, 1))
    assert apply(params, x).shape == (0, 3)
    ref = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.Flatten(),
                              torch.nn.Linear(32, 3))(torch.zeros(0, 1, 4, 4))
    assert tuple(ref.shape) == (0, 3)
    g = wire.grad(lambda p: nn.softmax_cross_entropy(apply(p, x), np.zeros(0, int), "sum"))(params)
    assert all((leaf == 0).all() for leaf in wire.tree.leaves(g))
