"""``wire.optim.contrib`` against ``optax.contrib`` 0.2.8: schedule-free SGD and AdamW
(warm-up, weight decay, float32 params, a zero gradient step) and ``reduce_on_plateau``
(patience, cooldown, accumulation, ``min_scale``), eager and under ``wire.jit``."""

from __future__ import annotations

import numpy as np
import pytest

import wire
from wire import optim
from wire.optim import contrib

jax = pytest.importorskip("jax", reason="needs jax: pip install -e '.[reference]'")
optax = pytest.importorskip("optax", reason="needs optax: pip install -e '.[reference]'")
jax.config.update("jax_enable_x64", True)


def _compare(ours, theirs, params, grads, extra=None, tol=1e-14, eval_params=False):
    extra = extra or [{}] * len(grads)
    sw, sj = ours.init(params), theirs.init(params)
    pw = pj = params
    jitted = wire.jit(lambda g, s, p, **e: ours.update(g, s, p, **e))
    for k, (g, e) in enumerate(zip(grads, extra)):
        uw, sw = (jitted if k % 2 else ours.update)(g, sw, pw, **e)
        uj, sj = jax.jit(theirs.update)(g, sj, pj, **e)
        pw, pj = optim.apply_updates(pw, uw), optax.apply_updates(pj, uj)
        for a, b in zip(wire.tree.leaves((pw, sw)), jax.tree.leaves((pj, sj))):
            assert np.asarray(a).dtype == np.asarray(b).dtype, (k, a, b)
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"step {k}")
        if eval_params:
            for a, b in zip(wire.tree.leaves(contrib.schedule_free_eval_params(sw, pw)),
                            jax.tree.leaves(optax.contrib.schedule_free_eval_params(sj, pj))):
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def _grads(dtype, n=6):
    r = np.random.default_rng(3)
    out = [{"w": r.normal(size=(2, 2)).astype(dtype), "b": (r.normal(size=1).astype(dtype),)}
           for _ in range(n)]
    out[2] = wire.tree.map(np.zeros_like, out[2])
    return out


@pytest.mark.parametrize("name, kw, dtype", [
    # (Optax evaluates a warm-up schedule at its int32 step count in float32: its max_lr is
    # 0.05000000074505806 where wire's float64 is 0.05; so the float64 case has no warm-up)
    ("schedule_free_adamw", dict(learning_rate=0.1, weight_decay=0.01), np.float64),
    ("schedule_free_sgd", dict(learning_rate=0.3, warmup_steps=2, weight_decay=0.1),
     np.float32),
])
def test_schedule_free_matches_optax(name, kw, dtype):
    params = {"w": np.ones((2, 2), dtype), "b": (np.zeros(1, dtype),)}
    _compare(getattr(contrib, name)(**kw), getattr(optax.contrib, name)(**kw), params,
             _grads(dtype), tol=1e-6 if dtype == np.float32 else 1e-14, eval_params=True)


def test_reduce_on_plateau_matches_optax():
    kw = dict(factor=0.5, patience=2, rtol=1e-3, atol=0.0, cooldown=1, accumulation_size=2,
              min_scale=0.2)
    values = [5.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0,
              np.nan, 3.0]
    grads = [np.ones(2)] * len(values)
    _compare(contrib.reduce_on_plateau(**kw), optax.contrib.reduce_on_plateau(**kw),
             np.zeros(2), grads, [{"value": np.float64(v)} for v in values])


def test_contrib_bad_input():
    with pytest.raises(wire.WireError, match=r"factor must be in \(0, 1\), got 1.5"):
        contrib.reduce_on_plateau(factor=1.5)
    with pytest.raises(wire.WireError, match="rtol and atol"):
        contrib.reduce_on_plateau(rtol=0.0, atol=0.0)
    opt = contrib.reduce_on_plateau()
    with pytest.raises(wire.WireError, match=r"value must be a scalar.*\(2,\)"):
        opt.update(np.ones(2), opt.init(np.zeros(2)), value=np.ones(2))
    with pytest.raises(wire.WireError, match="needs the loss as value="):
        opt.update(np.ones(2), opt.init(np.zeros(2)))
    with pytest.raises(wire.WireError, match="ScheduleFreeState"):
        contrib.schedule_free_eval_params(optim.adam(0.1).init(np.zeros(1)), np.zeros(1))
    opt = contrib.schedule_free_sgd()
    with pytest.raises(wire.WireError, match="needs the params"):
        opt.update(np.ones(1), opt.init(np.zeros(1)))
