"""``wire.optim.contrib``: commonly used names of ``optax.contrib`` — ADOPT (``adopt``,
``scale_by_adopt``), schedule-free optimization (Defazio et al., 2024: ``schedule_free``,
``schedule_free_sgd``, ``schedule_free_adamw``, ``schedule_free_eval_params``) and
``reduce_on_plateau``.

>>> import numpy as np, wire
>>> from wire.optim import contrib
>>> loss = lambda w: ((w - 2.0) ** 2).sum()
>>> opt = contrib.schedule_free_sgd(0.1)
>>> w = np.zeros(1); state = opt.init(w)
>>> for _ in range(200):
...     u, state = opt.update(wire.grad(loss)(w), state, w)
...     w = wire.optim.apply_updates(w, u)
>>> np.round(contrib.schedule_free_eval_params(state, w), 1)
array([2.])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from .. import tree as wtree
from ..errors import WireTypeError, WireValueError, at, user_location
from ..tracebacks import expose
from .aliases import sgd
from .base import (GradientTransformation, GradientTransformationExtraArgs, chain, check_trees,
                   with_extra_args_support)
from .schedules import warmup_constant_schedule
from .transforms import (ScaleByAdamState, add_decayed_weights, safe_increment,
                         scale_by_learning_rate, scale_by_rms)
from .tree_utils import (tree_cast, tree_dtype, tree_update_moment,
                         tree_update_moment_per_elem_norm)

__all__ = ["ScheduleFreeState", "schedule_free", "schedule_free_sgd", "schedule_free_adamw",
           "schedule_free_eval_params", "ReduceLROnPlateauState", "reduce_on_plateau",
           "scale_by_adopt", "adopt"]


def _float_dtype(params, which):
    dt = tree_dtype(params, which)
    return dt if dt.kind == "f" else np.dtype(np.float64)


class ScheduleFreeState(NamedTuple):
    """Schedule-free's state: ``b1``, the sum of the weights, the step count (from 1), the
    largest learning rate so far, the base optimizer's state and the ``z`` sequence.

    >>> import wire
    >>> from wire.optim import contrib
    >>> contrib.schedule_free_sgd(0.1).init(np.zeros(1)).step_count
    array(1, dtype=int32)
    """

    b1: Any
    weight_sum: Any
    step_count: Any
    max_lr: Any
    base_optimizer_state: Any
    z: Any


def schedule_free_eval_params(state, params):
    """The params to evaluate the model at (``x``; the training params are ``y``):
    ``(y - (1 - b1) z) / b1``.

    >>> import numpy as np
    >>> s = schedule_free_sgd(0.1).init(np.ones(1))
    >>> schedule_free_eval_params(s, np.ones(1))
    array([1.])
    """
    b1, z = getattr(state, "b1", None), getattr(state, "z", None)
    if b1 is None or z is None:
        raise WireTypeError(f"schedule_free_eval_params: needs a ScheduleFreeState, got "
                            f"{type(state).__name__}{at(user_location())}")
    check_trees("schedule_free_eval_params", params, "params", z, "the state's z")
    return wtree.map(lambda y, zi: (y - (1.0 - b1) * zi) / b1, params, z)


def schedule_free(base_optimizer, learning_rate, b1: float = 0.9, weight_lr_power: float = 2.0,
                  state_dtype=None) -> GradientTransformationExtraArgs:
    """Turn ``base_optimizer`` (which must apply ``learning_rate`` itself) into its
    schedule-free version: the base steps move ``z``; the params ``y`` interpolate between
    ``z`` and a weighted running average ``x`` of it (weights ``max_lr ** weight_lr_power``).
    Evaluate the model at :func:`schedule_free_eval_params`.

    >>> import numpy as np, wire
    >>> opt = schedule_free(wire.optim.sgd(0.5), 0.5)
    >>> u, s = opt.update(np.array([1.0]), opt.init(np.zeros(1)), np.zeros(1))
    >>> u                                    # y = b1 x + (1 - b1) z, x = z after one step
    array([-0.5])
    """
    base_optimizer = with_extra_args_support(base_optimizer)

    def init(params):
        dt = _float_dtype(params, "lowest")
        z = params if state_dtype is None else wtree.map(
            lambda p: wnp.asarray(p, dtype=state_dtype), params)
        z = wtree.map(lambda t: np.array(t, copy=True) if isinstance(t, np.ndarray) else t, z)
        return ScheduleFreeState(np.asarray(b1, dt), np.zeros((), dt), np.ones((), np.int32),
                                 np.zeros((), dt), base_optimizer.init(params), z)

    def update(grads, state, params=None, **extra_args):
        if params is None:
            raise WireValueError(f"schedule_free: update needs the params{at(user_location())}")
        dt = np.dtype(state.max_lr.dtype)
        lr = wnp.asarray(learning_rate(state.step_count), dtype=dt) if callable(
            learning_rate) else learning_rate
        max_lr = wnp.asarray(wnp.maximum(state.max_lr, lr), dtype=dt)
        weight = max_lr ** weight_lr_power
        total = state.weight_sum + weight
        # weight / total, 0 at 0/0 and at inf/inf (Optax's nan_to_num), NaN when either is
        ratio = weight / wnp.where(total == 0, 1.0, total)
        ratio = wnp.where(wnp.isnan(ratio), 0.0, ratio)
        ck = wnp.where(wnp.isnan(weight) | wnp.isnan(total), np.nan, ratio)
        base_updates, base_state = base_optimizer.update(grads, state.base_optimizer_state,
                                                         params, **extra_args)
        z = wtree.map(lambda p, u: wnp.asarray(p + u, dtype=wnp.asarray(p).dtype), state.z,
                      base_updates)
        prev_x = wtree.map(lambda y, zi: (y - (1.0 - b1) * zi) / b1, params, state.z)
        x = wtree.map(lambda xi, zi: (1.0 - ck) * xi + ck * zi, prev_x, z)
        new_params = wtree.map(lambda xi, zi: b1 * xi + (1.0 - b1) * zi, x, z)
        updates = wtree.map(lambda n, p: wnp.asarray(n - p, dtype=wnp.asarray(p).dtype),
                            new_params, params)
        return updates, ScheduleFreeState(
            state.b1, wnp.asarray(total, dtype=dt), safe_increment(state.step_count), max_lr,
            base_state, z)

    return GradientTransformationExtraArgs(init, update)


def schedule_free_sgd(learning_rate: float = 1.0, warmup_steps: int | None = None,
                      b1: float = 0.9, weight_decay: float | None = None,
                      weight_lr_power: float = 2.0, state_dtype=None
                      ) -> GradientTransformationExtraArgs:
    """Schedule-free SGD (optionally with a linear warm-up and weight decay).

    >>> import numpy as np
    >>> opt = schedule_free_sgd(0.1, warmup_steps=10)
    >>> opt.update(np.ones(1), opt.init(np.zeros(1)), np.zeros(1))[0]   # lr 0 at step 0
    array([0.])
    """
    if warmup_steps is not None:
        learning_rate = warmup_constant_schedule(0.0, learning_rate, warmup_steps)
    optimizer = sgd(learning_rate)
    if weight_decay is not None:
        optimizer = chain(add_decayed_weights(weight_decay), optimizer)
    return schedule_free(optimizer, learning_rate, b1, weight_lr_power, state_dtype)


def schedule_free_adamw(learning_rate: float = 0.0025, warmup_steps: int | None = None,
                        b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                        weight_decay: float = 0.0, weight_lr_power: float = 2.0,
                        state_dtype=None) -> GradientTransformationExtraArgs:
    """Schedule-free AdamW: RMS scaling with bias correction (``eps`` outside the root),
    decoupled weight decay, then the learning rate, made schedule-free.

    >>> import numpy as np
    >>> opt = schedule_free_adamw(0.1)
    >>> opt.update(np.array([3.0]), opt.init(np.zeros(1)), np.zeros(1))[0]
    array([-0.1])
    """
    if warmup_steps is not None:
        learning_rate = warmup_constant_schedule(0.0, learning_rate, warmup_steps)
    optimizer = chain(scale_by_rms(decay=b2, eps=eps, eps_in_sqrt=False, bias_correction=True),
                      add_decayed_weights(weight_decay), scale_by_learning_rate(learning_rate))
    return schedule_free(optimizer, learning_rate, b1, weight_lr_power, state_dtype)


class ReduceLROnPlateauState(NamedTuple):
    """``reduce_on_plateau``'s state: the current scale, the best (averaged) value, the steps
    without improvement, the cooldown left, and the running average being accumulated.

    >>> reduce_on_plateau().init(np.zeros(1)).scale
    array(1.)
    """

    scale: Any
    best_value: Any
    plateau_count: Any
    cooldown_count: Any
    count: Any
    avg_value: Any


def reduce_on_plateau(factor: float = 0.1, patience: int = 10, rtol: float = 1e-4,
                      atol: float = 0.0, cooldown: int = 0, accumulation_size: int = 1,
                      min_scale: float = 0.0) -> GradientTransformationExtraArgs:
    """Scale the updates by a factor that shrinks by ``factor`` (not below ``min_scale``) when
    the loss, averaged over ``accumulation_size`` steps, has not improved on the best by
    ``rtol`` relative and ``atol`` absolute for ``patience`` averages; ``cooldown`` averages
    pass before counting again. ``update`` takes the loss as ``value=``.

    >>> import numpy as np
    >>> opt = reduce_on_plateau(factor=0.5, patience=2)
    >>> s = opt.init(np.zeros(1))
    >>> for _ in range(4):
    ...     u, s = opt.update(np.ones(1), s, value=1.0)
    >>> float(s.scale), u
    (0.5, array([0.5]))
    """
    what = "reduce_on_plateau"
    if not 0.0 < factor < 1.0:
        raise WireValueError(f"{what}: factor must be in (0, 1), got {factor}{at(user_location())}")
    if rtol < 0.0 or atol < 0.0 or (rtol == 0.0 and atol == 0.0) or rtol > 1.0:
        raise WireValueError(f"{what}: rtol and atol must be >= 0, one of them > 0, and rtol <= 1;"
                             f" got rtol={rtol}, atol={atol}{at(user_location())}")

    def init(params):
        low, high = _float_dtype(params, "lowest"), _float_dtype(params, "highest")
        z = np.zeros((), np.int32)
        return ReduceLROnPlateauState(np.asarray(1.0, low), np.asarray(np.inf, high), z, z, z,
                                      np.asarray(0.0, high))

    def update(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        if value is None:
            raise WireTypeError(f"{what}: update needs the loss as value={at(user_location())}")
        shape = tuple(getattr(value, "shape", np.shape(value)))
        if shape != ():
            raise WireValueError(f"{what}: value must be a scalar (the loss), got shape {shape}"
                                 f"{at(user_location())}")
        adt = np.dtype(state.avg_value.dtype)
        count = state.count
        new_count = safe_increment(count)
        avg = wnp.asarray((wnp.asarray(count, adt) * state.avg_value + wnp.asarray(value, adt))
                          / wnp.asarray(new_count, adt), adt)
        # a full average: compare it with the best and move the plateau/cooldown counters
        full = new_count == accumulation_size
        improved = avg < (1 - rtol) * state.best_value - atol
        best = wnp.where(improved, avg, state.best_value)
        plateau = wnp.where(improved, 0, safe_increment(state.plateau_count))
        cooling = state.cooldown_count > 0
        hit = plateau == patience
        new_plateau = wnp.where(cooling, 0, wnp.where(hit, 0, plateau))
        new_scale = wnp.where(cooling, state.scale, wnp.maximum(
            wnp.where(hit, state.scale * factor, state.scale), min_scale))
        new_cooldown = wnp.where(cooling, state.cooldown_count - 1, wnp.where(hit, cooldown, 0))
        i32 = np.int32
        new = ReduceLROnPlateauState(
            scale=wnp.asarray(wnp.where(full, new_scale, state.scale), state.scale.dtype),
            best_value=wnp.asarray(wnp.where(full, best, state.best_value), adt),
            plateau_count=wnp.asarray(wnp.where(full, new_plateau, state.plateau_count), i32),
            cooldown_count=wnp.asarray(wnp.where(full, new_cooldown, state.cooldown_count), i32),
            count=wnp.asarray(wnp.where(full, 0, new_count), i32),
            avg_value=wnp.asarray(wnp.where(full, 0.0, avg), adt))
        return wtree.map(lambda g: wnp.asarray(new.scale * g, dtype=wnp.asarray(g).dtype),
                         updates), new

    return GradientTransformationExtraArgs(init, update)


def scale_by_adopt(b1=0.9, b2=0.9999, eps=1e-6, mu_dtype=None, *, nesterov: bool = False,
                   use_clipping: bool = True, clip_value_fn=lambda x: x ** 0.25):
    """ADOPT (Taniguchi et al., 2024; ``optax.contrib.scale_by_adopt``): the gradient is
    divided by the root of the second moment of the *previous* steps before it enters the
    first moment (clipped to ``±clip_value_fn(step)`` with ``use_clipping``), so the
    second moment never sees the gradient it scales. The first step only records the
    second moment (its update is 0). The state is Adam's (``ScaleByAdamState``).

    >>> t = scale_by_adopt()
    >>> u, s = t.update(np.array([2.0]), t.init(np.zeros(1)))
    >>> u, s.nu
    (array([0.]), array([4.]))
    """
    def init(params):
        mu = wtree.map(lambda x: wnp.zeros_like(x, dtype=mu_dtype), params)
        nu = wtree.map(wnp.zeros_like, params)
        return ScaleByAdamState(np.zeros((), np.int32), mu, nu)

    def update(updates, state, params=None):
        del params
        first = state.count > 0
        b2_ = wnp.where(first, b2, 0.0)
        b1_ = wnp.where(first, b1, 1.0)
        nu = tree_update_moment_per_elem_norm(updates, state.nu, b2_, 2)

        def scaled(g, n):
            q = g / wnp.maximum(wnp.sqrt(n), eps)
            if use_clipping:
                c = clip_value_fn(state.count)
                q = wnp.clip(q, -c, c)
            return q

        mu_updates = wtree.map(scaled, updates, state.nu)
        mu = tree_update_moment(mu_updates, state.mu, b1_, 1)
        new = tree_update_moment(mu_updates, mu, b1_, 1) if nesterov else mu
        return new, ScaleByAdamState(safe_increment(state.count), tree_cast(mu, mu_dtype), nu)

    return GradientTransformation(init, update)


def adopt(learning_rate, b1=0.9, b2=0.9999, eps=1e-6, mu_dtype=None, *, nesterov: bool = False,
          use_clipping: bool = True, clip_value_fn=lambda x: x ** 0.25):
    """The ADOPT optimizer (``optax.contrib.adopt``): :func:`scale_by_adopt`, then
    ``-learning_rate``.

    >>> opt = adopt(0.1)
    >>> w = np.zeros(1); s = opt.init(w)
    >>> for _ in range(3):
    ...     u, s = opt.update(np.array([2.0]), s, w)
    >>> np.round(u, 4)
    array([-0.019])
    """
    return chain(scale_by_adopt(b1=b1, b2=b2, eps=eps, mu_dtype=mu_dtype, nesterov=nesterov,
                                use_clipping=use_clipping, clip_value_fn=clip_value_fn),
                 scale_by_learning_rate(learning_rate))


# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
