"""Learning-rate schedules of ``wire.optim``: functions ``step -> value``.

They are written with ``wire.numpy``, so ``step`` may be a Python int, an array or a traced
value (inside a jitted training step); optimizers accept one wherever they take a learning
rate.

>>> import wire
>>> sched = wire.optim.warmup_cosine_decay_schedule(0.0, 1.0, 10, 110)
>>> [round(float(sched(s)), 3) for s in (0, 5, 10, 60, 110)]
[0.0, 0.5, 1.0, 0.5, 0.0]
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from ..errors import WireError, WireTypeError, WireValueError, at, user_location

__all__ = [
    "constant_schedule", "linear_schedule", "polynomial_schedule", "exponential_decay",
    "cosine_decay_schedule", "warmup_cosine_decay_schedule", "piecewise_constant_schedule",
    "join_schedules", "piecewise_interpolate_schedule", "linear_onecycle_schedule",
    "cosine_onecycle_schedule", "warmup_constant_schedule", "warmup_exponential_decay_schedule",
    "sgdr_schedule",
]


def _f(step):
    return wnp.asarray(step, dtype=np.float64)


def constant_schedule(value: float):
    """Always ``value``.

    >>> constant_schedule(0.1)(1000)
    0.1
    """
    return lambda step: value


def polynomial_schedule(init_value, end_value, power, transition_steps, transition_begin=0):
    """From ``init_value`` to ``end_value`` over ``transition_steps`` as ``(1 - t)**power``,
    starting at step ``transition_begin``.

    As Optax's: ``transition_steps <= 0`` gives the constant ``init_value`` (a warm-up of 0
    steps) and a negative ``transition_begin`` counts as 0.

    >>> float(polynomial_schedule(1.0, 0.0, 2, 10)(5))
    0.25
    >>> float(polynomial_schedule(1.0, 0.0, 2, 10, transition_begin=5)(10))
    0.25
    >>> polynomial_schedule(1.0, 0.0, 1, 0)(7)
    1.0
    """
    if transition_steps <= 0:
        return lambda step: init_value
    transition_begin = max(transition_begin, 0)

    def schedule(step):
        t = wnp.clip((_f(step) - transition_begin) / transition_steps, 0.0, 1.0)
        return (init_value - end_value) * (1.0 - t) ** power + end_value

    return schedule


def linear_schedule(init_value, end_value, transition_steps, transition_begin=0):
    """Linear from ``init_value`` to ``end_value`` over ``transition_steps``.

    >>> float(linear_schedule(0.0, 1.0, 4)(1))
    0.25
    """
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def exponential_decay(init_value, transition_steps, decay_rate, transition_begin=0,
                      staircase=False, end_value=None):
    """``init_value * decay_rate ** ((step - transition_begin) / transition_steps)``, the
    exponent floored with ``staircase``; ``init_value`` until step ``transition_begin``.

    Optax's signature and values. torch's ``ExponentialLR(gamma)`` is
    ``exponential_decay(lr, 1, gamma)`` and ``StepLR(step_size, gamma)`` is
    ``exponential_decay(lr, step_size, gamma, staircase=True)``. ``end_value`` bounds the
    decay (a floor for ``decay_rate < 1``, a ceiling above 1). ``decay_rate = 0`` is allowed
    (``init_value`` up to ``transition_begin``, 0 after; Optax makes it constant); a negative
    ``decay_rate`` or ``transition_begin`` raises ``WireValueError``.

    >>> float(exponential_decay(1.0, 10, 0.5)(20))
    0.25
    >>> [float(exponential_decay(1.0, 10, 0.5, transition_begin=5)(s)) for s in (0, 5, 15)]
    [1.0, 1.0, 0.5]
    >>> float(exponential_decay(1.0, 10, 0.0)(0))
    1.0
    """
    if transition_steps <= 0:
        raise WireError(f"transition_steps must be positive{at(user_location())}")
    if not decay_rate >= 0:
        raise WireError(f"exponential_decay: decay_rate must be >= 0, got {decay_rate}"
                        f"{at(user_location())}")
    if isinstance(transition_begin, (bool, np.bool_)):  # wire's old 4th argument
        raise WireTypeError(f"exponential_decay: the fourth argument is transition_begin, a "
                            f"step, as in Optax; got {transition_begin!r}: pass "
                            f"staircase={transition_begin!r} by name{at(user_location())}")
    if not transition_begin >= 0:
        raise WireValueError(f"exponential_decay: transition_begin must be >= 0, got "
                             f"{transition_begin!r}{at(user_location())}")

    def schedule(step):
        d = _f(step) - transition_begin
        p = d / transition_steps
        if staircase:
            p = wnp.floor(p)
        # power, not exp(p * log(rate)): 0 ** 0 is 1 where 0 * log(0) is NaN; before
        # transition_begin p < 0 is clamped to 0 (rate ** 0 = 1: init_value, as Optax's)
        v = init_value * wnp.power(float(decay_rate), wnp.maximum(p, 0.0))
        if end_value is not None:
            v = wnp.maximum(v, end_value) if decay_rate < 1 else wnp.minimum(v, end_value)
        return v

    return schedule


def cosine_decay_schedule(init_value, decay_steps, alpha=0.0, exponent=1.0):
    """Half a cosine from ``init_value`` down to ``alpha * init_value`` over ``decay_steps``,
    then constant (as Optax): ``init_value * ((1 - alpha) * c ** exponent + alpha)`` with
    ``c = (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2``. torch's
    ``CosineAnnealingLR(T_max=decay_steps, eta_min=alpha * lr)`` gives the same values (for
    ``exponent=1``) up to ``decay_steps`` and then rises again (it is periodic).

    >>> float(cosine_decay_schedule(1.0, 10)(10))
    0.0
    >>> float(cosine_decay_schedule(1.0, 10, exponent=2.0)(5))
    0.25
    """
    if decay_steps <= 0:
        raise WireError(f"decay_steps must be positive{at(user_location())}")

    def schedule(step):
        t = wnp.minimum(_f(step), decay_steps) / decay_steps
        cos = 0.5 * (1.0 + wnp.cos(np.pi * t))
        if exponent != 1.0:
            cos = cos ** exponent
        return init_value * ((1.0 - alpha) * cos + alpha)

    return schedule


def join_schedules(schedules, boundaries):
    """Use ``schedules[i]`` from ``boundaries[i-1]`` on, each seeing steps counted from there.

    >>> s = join_schedules([constant_schedule(1.0), constant_schedule(2.0)], [5])
    >>> float(s(4)), float(s(5))
    (1.0, 2.0)
    """
    if len(schedules) != len(boundaries) + 1:
        raise WireError(f"join_schedules needs one more schedule than boundaries"
                        f"{at(user_location())}")

    def schedule(step):
        s = _f(step)
        out = wnp.asarray(schedules[0](s), dtype=np.float64)
        for sched, b in zip(schedules[1:], boundaries):
            out = wnp.where(s >= b, sched(s - b), out)
        return out

    return schedule


def warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps,
                                 end_value=0.0, exponent=1.0):
    """Linear warm-up to ``peak_value`` over ``warmup_steps``, then cosine decay to
    ``end_value`` by step ``decay_steps`` (counted from 0, warm-up included); ``exponent``
    as in :func:`cosine_decay_schedule`.

    >>> float(warmup_cosine_decay_schedule(0.0, 1.0, 2, 4)(1))
    0.5
    """
    alpha = 0.0 if peak_value == 0 else end_value / peak_value
    return join_schedules(
        [linear_schedule(init_value, peak_value, max(warmup_steps, 1)),
         cosine_decay_schedule(peak_value, max(decay_steps - warmup_steps, 1), alpha,
                               exponent)],
        [warmup_steps],
    )


def piecewise_constant_schedule(init_value, boundaries_and_scales: dict | None = None):
    """``init_value`` multiplied by ``scale`` once ``step >= boundary``, for each pair
    (``None``, Optax's default, or ``{}``: constant). Scales must be >= 0 (as in Optax).

    >>> s = piecewise_constant_schedule(1.0, {10: 0.1, 20: 0.5})
    >>> [round(float(s(k)), 3) for k in (0, 10, 25)]
    [1.0, 0.1, 0.05]
    >>> float(piecewise_constant_schedule(0.3)(100))
    0.3
    """
    items = sorted((int(b), float(sc)) for b, sc in (boundaries_and_scales or {}).items())
    if any(not sc >= 0 for _, sc in items):
        raise WireValueError(f"piecewise_constant_schedule: scales must be >= 0, got "
                             f"{[sc for _, sc in items]}{at(user_location())}")

    def schedule(step):
        s = _f(step)
        v = wnp.asarray(float(init_value), dtype=np.float64) + 0.0 * s
        for b, sc in items:
            v = wnp.where(s >= b, v * sc, v)
        return v

    return schedule


def piecewise_interpolate_schedule(interpolate_type: str, init_value,
                                   boundaries_and_scales: dict | None = None):
    """From ``init_value``, move to ``value * scale`` between consecutive boundaries, by
    linear or cosine interpolation (``interpolate_type``: ``"linear"`` or ``"cosine"``), then
    stay at the last value; Optax's ``piecewise_interpolate_schedule``.

    >>> s = piecewise_interpolate_schedule("linear", 1.0, {10: 2.0, 20: 0.5})
    >>> [float(s(k)) for k in (0, 5, 10, 15, 30)]
    [1.0, 1.5, 2.0, 1.5, 1.0]
    """
    if interpolate_type not in ("linear", "cosine"):
        raise WireValueError(f"piecewise_interpolate_schedule: interpolate_type must be "
                             f"'linear' or 'cosine', got {interpolate_type!r}"
                             f"{at(user_location())}")
    items = sorted((b, float(sc)) for b, sc in (boundaries_and_scales or {}).items())
    if any(not sc >= 0 for _, sc in items):
        raise WireValueError(f"piecewise_interpolate_schedule: scales must be >= 0, got "
                             f"{[sc for _, sc in items]}{at(user_location())}")
    bounds = [0] + [b for b, _ in items]
    values = [init_value]
    for _, sc in items:
        values.append(values[-1] * sc)

    def interpolate(a, b, pct):
        if interpolate_type == "linear":
            return (b - a) * pct + a
        return b + (a - b) / 2.0 * (wnp.cos(np.pi * pct) + 1.0)

    def schedule(step):
        s = _f(step)
        out = wnp.where(s >= bounds[-1], 1.0, 0.0) * values[-1]
        for i in range(len(bounds) - 1):
            lo, hi = bounds[i], bounds[i + 1]
            pct = (s - lo) / max(hi - lo, 1)
            inside = wnp.logical_and(s >= lo, s < hi)
            out = out + wnp.where(inside, interpolate(values[i], values[i + 1], pct), 0.0)
        return out

    return schedule


def linear_onecycle_schedule(transition_steps: int, peak_value, pct_start: float = 0.3,
                             pct_final: float = 0.85, div_factor: float = 25.0,
                             final_div_factor: float = 1e4):
    """The one-cycle policy (Smith & Topin) with linear pieces: from ``peak_value /
    div_factor`` up to ``peak_value`` at ``pct_start * transition_steps``, back down by
    ``pct_final``, then to ``peak_value / (div_factor * final_div_factor)``; Optax's.

    >>> s = linear_onecycle_schedule(100, 1.0)
    >>> [round(float(s(k)), 4) for k in (0, 30, 85, 100)]
    [0.04, 1.0, 0.04, 0.0]
    """
    if transition_steps <= 0:
        raise WireValueError(f"linear_onecycle_schedule: transition_steps must be positive, got "
                             f"{transition_steps}{at(user_location())}")
    return piecewise_interpolate_schedule(
        "linear", peak_value / div_factor,
        {int(pct_start * transition_steps): div_factor,
         int(pct_final * transition_steps): 1.0 / div_factor,
         transition_steps: 1.0 / final_div_factor})


def cosine_onecycle_schedule(transition_steps: int, peak_value, pct_start: float = 0.3,
                             div_factor: float = 25.0, final_div_factor: float = 1e4):
    """The one-cycle policy with cosine pieces (torch's ``OneCycleLR``'s default shape): from
    ``peak_value / div_factor`` up to ``peak_value`` at ``pct_start * transition_steps``,
    then down to ``peak_value / (div_factor * final_div_factor)``; Optax's.

    >>> s = cosine_onecycle_schedule(100, 1.0)
    >>> [round(float(s(k)), 4) for k in (0, 15, 30, 100)]
    [0.04, 0.52, 1.0, 0.0]
    """
    if transition_steps <= 0:
        raise WireValueError(f"cosine_onecycle_schedule: transition_steps must be positive, got "
                             f"{transition_steps}{at(user_location())}")
    return piecewise_interpolate_schedule(
        "cosine", peak_value / div_factor,
        {int(pct_start * transition_steps): div_factor,
         int(transition_steps): 1.0 / (div_factor * final_div_factor)})


def warmup_constant_schedule(init_value, peak_value, warmup_steps: int):
    """Linear from ``init_value`` to ``peak_value`` over ``warmup_steps``, then constant.

    >>> [float(warmup_constant_schedule(0.0, 1.0, 4)(k)) for k in (2, 9)]
    [0.5, 1.0]
    """
    return linear_schedule(init_value, peak_value, warmup_steps)


def warmup_exponential_decay_schedule(init_value, peak_value, warmup_steps: int,
                                      transition_steps: int, decay_rate, transition_begin=0,
                                      staircase: bool = False, end_value=None):
    """Linear warm-up to ``peak_value`` over ``warmup_steps``, then
    :func:`exponential_decay` from ``peak_value`` (its steps counted from the warm-up's end);
    Optax's ``warmup_exponential_decay_schedule``.

    >>> s = warmup_exponential_decay_schedule(0.0, 1.0, 10, 5, 0.5)
    >>> [float(s(k)) for k in (5, 10, 20)]
    [0.5, 1.0, 0.25]
    """
    return join_schedules(
        [linear_schedule(init_value, peak_value, warmup_steps),
         exponential_decay(peak_value, transition_steps, decay_rate, transition_begin,
                           staircase, end_value)],
        [warmup_steps])


def sgdr_schedule(cosine_kwargs):
    """Warm restarts (SGDR, Loshchilov & Hutter): one
    :func:`warmup_cosine_decay_schedule` per dict of its arguments in ``cosine_kwargs``, each
    starting where the previous one's ``decay_steps`` end; Optax's ``sgdr_schedule``.

    >>> kw = dict(init_value=0.0, peak_value=1.0, warmup_steps=2, decay_steps=10)
    >>> s = sgdr_schedule([kw, kw])
    >>> [round(float(s(k)), 3) for k in (2, 10, 12)]
    [1.0, 0.0, 1.0]
    """
    schedules, boundaries, step = [], [], 0
    for kwargs in cosine_kwargs:
        schedules.append(warmup_cosine_decay_schedule(**kwargs))
        step += kwargs["decay_steps"]
        boundaries.append(step)
    if not schedules:
        raise WireValueError(f"sgdr_schedule: cosine_kwargs is empty{at(user_location())}")
    return join_schedules(schedules, boundaries[:-1])
