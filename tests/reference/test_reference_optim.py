"""wire.optim against torch.optim: every optimizer, the gradient clipping transforms and the
schedules (against torch.optim.lr_scheduler), step by step from the same parameters and the
same gradients, in float64 and float32.

Where the conventions differ (Adagrad's eps placement and defaults; torch's 1e-6 in
clip_grad_norm_), the settings are chosen so both compute the same thing; the differences
themselves are tested and documented in tests/test_optim.py and wire/optim.
"""

from __future__ import annotations

import numpy as np
import pytest

import wire
from wire import optim

torch = pytest.importorskip("torch", reason="needs torch: pip install -e '.[reference]'")
torch.set_num_threads(1)  # tensors of a few dozen numbers: threads only add overhead

DTYPES = [np.float64, np.float32]
STEPS = 6


def _grads(dtype):
    rng = np.random.default_rng(0)
    return [{"w": rng.normal(size=(3, 2)).astype(dtype), "b": rng.normal(size=2).astype(dtype)}
            for _ in range(STEPS)]


def _params(dtype):
    rng = np.random.default_rng(1)
    return {"w": rng.normal(size=(3, 2)).astype(dtype), "b": rng.normal(size=2).astype(dtype)}


OPTIMIZERS = [
    ("sgd", optim.sgd(0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    ("momentum", optim.momentum(0.1, 0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("nesterov", optim.nesterov(0.05, 0.8),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    ("sgd+weight_decay", optim.chain(optim.add_decayed_weights(0.01), optim.sgd(0.1, 0.9)),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("adam", optim.adam(0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    ("adam(b1, b2, eps)", optim.adam(0.03, b1=0.8, b2=0.99, eps=1e-6),
     lambda p: torch.optim.Adam(p, lr=0.03, betas=(0.8, 0.99), eps=1e-6)),
    ("adamw", optim.adamw(0.01, weight_decay=0.05),
     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.05)),
    # torch's RMSprop puts eps outside the root, Optax's (and wire's default) inside
    ("rmsprop", optim.rmsprop(0.01, decay=0.99, eps_in_sqrt=False),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99)),
    ("rmsprop(momentum)", optim.rmsprop(0.01, decay=0.9, momentum=0.5, eps_in_sqrt=False),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5)),
    ("rmsprop(centered)", optim.rmsprop(0.01, decay=0.9, centered=True, eps_in_sqrt=False),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, centered=True)),
    ("rmsprop(centered, momentum)",
     optim.rmsprop(0.01, decay=0.9, centered=True, momentum=0.5, eps_in_sqrt=False),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, centered=True, momentum=0.5)),
    # Optax's eps sits inside the root, torch's outside: with eps = 0 they agree exactly
    ("adagrad", optim.adagrad(0.1, initial_accumulator_value=0.0, eps=0.0),
     lambda p: torch.optim.Adagrad(p, lr=0.1, eps=0.0)),
    ("adagrad(initial_accumulator_value)", optim.adagrad(0.1, 0.5, 0.0),
     lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.5, eps=0.0)),
    ("adam(schedule)", optim.adam(optim.exponential_decay(0.01, 1, 0.9)),
     lambda p: torch.optim.Adam(p, lr=0.01)),
]
SCHEDULED = {"adam(schedule)": lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, 0.9)}


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name,ours,make_ref", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer(name, ours, make_ref, dtype, compare):
    params, grads = _params(dtype), _grads(dtype)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    ref = make_ref(list(tp.values()))
    sched = SCHEDULED[name](ref) if name in SCHEDULED else None
    state = ours.init(params)
    component = f"optim.{name.split('(')[0].split('+')[0]}"
    for i, g in enumerate(grads):
        updates, state = ours.update(g, state, params)
        params = optim.apply_updates(params, updates)
        for k, v in tp.items():
            v.grad = torch.tensor(g[k])
        ref.step()
        if sched is not None:
            sched.step()
        for k in params:
            compare(component, f"{name} params[{k!r}] step {i + 1}", params[k],
                    tp[k].detach().numpy())


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_clipping(dtype, compare):
    for scale in (0.1, 10.0):  # below and above the threshold
        g = {k: v * scale for k, v in _grads(dtype)[0].items()}
        tp = [torch.tensor(g[k], requires_grad=True) for k in ("w", "b")]
        for p, k in zip(tp, ("w", "b")):
            p.grad = torch.tensor(g[k])
        norm = torch.nn.utils.clip_grad_norm_(tp, 1.0)
        u, _ = optim.clip_by_global_norm(1.0).update(g, optim.EmptyState())
        compare("optim.global_norm", f"norm x{scale}", optim.global_norm(g),
                norm.numpy().astype(dtype))
        # torch divides by norm + 1e-6: a relative difference of 1e-6 / norm when clipping
        tol = 1e-11 if scale < 1 else 1e-6 / float(norm) * 1.01 + 2e-7
        for p, k in zip(tp, ("w", "b")):
            compare("optim.clip_by_global_norm", f"x{scale} {k}", u[k],
                    p.grad.numpy(), tol=tol)
        for p, k in zip(tp, ("w", "b")):
            p.grad = torch.tensor(g[k])
        torch.nn.utils.clip_grad_value_(tp, 0.3)
        u, _ = optim.clip(0.3).update(g, optim.EmptyState())
        for p, k in zip(tp, ("w", "b")):
            compare("optim.clip", f"x{scale} {k}", u[k], p.grad.numpy())


def _run_torch(make_sched, steps, lr=1.0):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = make_sched(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


LS = torch.optim.lr_scheduler if torch is not None else None
SCHEDULES = [
    ("exponential_decay(ExponentialLR)", optim.exponential_decay(0.5, 1, 0.9),
     lambda o: LS.ExponentialLR(o, 0.9), 0.5),
    ("exponential_decay(StepLR)", optim.exponential_decay(0.5, 4, 0.3, staircase=True),
     lambda o: LS.StepLR(o, 4, 0.3), 0.5),
    ("cosine_decay_schedule(CosineAnnealingLR)", optim.cosine_decay_schedule(0.5, 19, 0.1),
     lambda o: LS.CosineAnnealingLR(o, 19, eta_min=0.05), 0.5),
    ("linear_schedule(LinearLR)", optim.linear_schedule(0.25, 1.0, 8),
     lambda o: LS.LinearLR(o, 0.25, 1.0, 8), 1.0),
    ("polynomial_schedule(PolynomialLR)", optim.polynomial_schedule(0.5, 0.0, 2.0, 10),
     lambda o: LS.PolynomialLR(o, 10, 2.0), 0.5),
    ("piecewise_constant_schedule(MultiStepLR)",
     optim.piecewise_constant_schedule(0.5, {3: 0.1, 7: 0.1}),
     lambda o: LS.MultiStepLR(o, [3, 7], 0.1), 0.5),
    ("piecewise_constant_schedule(ConstantLR)",
     optim.piecewise_constant_schedule(0.25, {5: 4.0}),
     lambda o: LS.ConstantLR(o, 0.25, 5), 1.0),
    ("warmup_cosine_decay_schedule(SequentialLR)",
     optim.warmup_cosine_decay_schedule(0.1, 1.0, 4, 19, 0.02),
     lambda o: LS.SequentialLR(o, [LS.LinearLR(o, 0.1, 1.0, 4),
                                   LS.CosineAnnealingLR(o, 15, eta_min=0.02)], [4]), 1.0),
    ("join_schedules(SequentialLR)",
     optim.join_schedules([optim.constant_schedule(1.0), optim.exponential_decay(1.0, 1, 0.5)],
                          [3]),
     lambda o: LS.SequentialLR(o, [LS.ConstantLR(o, 1.0, 3), LS.ExponentialLR(o, 0.5)], [3]),
     1.0),
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch's note about SequentialLR's step
@pytest.mark.parametrize("name,ours,make_sched,lr", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule(name, ours, make_sched, lr, compare):
    # 20 steps: the cosine schedules end at step 19; past their end torch's
    # CosineAnnealingLR climbs back up (it is periodic), wire's stays at the final value, as
    # Optax's does
    steps = 20
    ref = _run_torch(make_sched, steps, lr)
    got = np.array([float(ours(k)) for k in range(steps)])
    jitted = wire.jit(ours)
    got_jit = np.array([float(jitted(np.int64(k))) for k in range(steps)])
    component = f"optim.{name.split('(')[0]}"
    compare(component, f"{name} eager", got, ref, tol=1e-13)
    compare(component, f"{name} jit", got_jit, ref, tol=1e-13)
