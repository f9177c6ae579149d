"""Gradient transformations of ``wire.optim``: the pieces the optimizers are chained from.

Each returns a :class:`GradientTransformation`; states are namedtuples. All arithmetic is
``wire.numpy``, so updates work on concrete arrays and inside traced (jitted) steps alike.
Per-leaf states (moments) are checked against the incoming gradients: mismatched trees raise
``wire.WireError``.

>>> import numpy as np, wire
>>> t = wire.optim.scale_by_adam()
>>> u, s = t.update(np.array([2.0]), t.init(np.zeros(1)))
>>> np.round(u, 6)
array([1.])
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from .. import tree as wtree
from ..errors import WireError, WireTypeError, WireValueError, at, user_location
from .base import EmptyState, GradientTransformation, check_trees, identity

__all__ = [
    "scale", "scale_by_learning_rate", "scale_by_schedule", "trace", "scale_by_adam",
    "scale_by_rms", "scale_by_rss", "add_decayed_weights", "clip_by_global_norm", "clip",
    "global_norm", "ScaleByAdamState", "TraceState", "ScaleByRmsState", "ScaleByRssState",
    "CountState", "scale_by_stddev", "ScaleByRmsWithCountState", "ScaleByRStdDevState",
    "ScaleByRStdDevWithCountState", "scale_by_amsgrad", "scale_by_radam", "ScaleByAmsgradState",
    "safe_increment", "ScaleByScheduleState", "WeightDecaySchedule", "ScaleState", "ClipState",
    "ClipByGlobalNormState", "AddDecayedWeightsState", "AdaptiveGradClipState",
]


def check_hyperparameter(what: str, name: str, value, low: float = 0.0, high: float = math.inf,
                         high_open: bool = True):
    """Raise ``WireValueError`` unless a concrete real ``value`` lies in ``[low, high)``
    (``[low, high]`` with ``high_open=False``); NaN fails. Schedules (callables), arrays of
    more than one element and traced values are not checked here.

    >>> check_hyperparameter("adam", "b1", 1.0, 0.0, 1.0)
    Traceback (most recent call last):
    ...
    wire.errors.WireValueError: adam: b1 must be in [0.0, 1.0), got 1.0...
    """
    if callable(value) or isinstance(value, bool):
        return
    try:
        v = float(value)
    except (TypeError, ValueError, WireError):  # a traced or non-scalar value
        return
    ok = low <= v and (v < high if high_open else v <= high)
    if not ok:
        upper = f"{high})" if high_open else f"{high}]"
        raise WireValueError(f"{what}: {name} must be in [{low}, {upper}, got {value!r}"
                             f"{at(user_location())}")


def _zeros_like(tree):
    """Zero moments for ``tree``'s leaves, in at least float32: float16 squares of gradients
    below 2.4e-4 underflow to 0 (Adam's step would then be ``m / eps``). A Python float leaf
    gives float64, as the gradient wire returns for it (NumPy's promotion would make it
    float32, and the state's dtype would change at the first step)."""
    return wtree.map(lambda x: np.zeros(np.shape(x), dtype=np.result_type(_dtype(x), np.float32)),
                     tree)


def _in_state_dtype(g, state_leaf):
    """Gradient ``g`` widened to its moment's dtype (float16 gradients to the float32 state)
    before it is squared or scaled: ``(1 - b2) * g * g`` in float16 is 0 for ``|g|`` below
    about 2e-3, and Adam's first step was then ``m / eps``, 1e5 for ``g = 1e-3``, not 1."""
    dt, st = getattr(g, "dtype", None), getattr(state_leaf, "dtype", None)
    if dt is None or st is None or np.dtype(dt).kind != "f" or np.dtype(dt).itemsize >= 4:
        return g
    return wnp.asarray(g, np.result_type(dt, st))


def _like_grad(u, g):
    """Update ``u`` in the dtype of gradient ``g`` where the float32 state widened it (float16
    gradients): updates follow the gradients' dtype, as torch's and Optax's do; the state
    keeps float32."""
    dt = getattr(g, "dtype", None)
    if dt is None or np.dtype(dt).kind != "f" or np.dtype(dt).itemsize >= 4:
        return u
    return u if np.dtype(u.dtype) == np.dtype(dt) else wnp.asarray(u, dt)


def _count0():
    """A step count: an int32 scalar, Optax's dtype (states convert between the two)."""
    return np.zeros((), dtype=np.int32)


def safe_increment(count):
    """``count + 1``, staying at the dtype's largest value instead of wrapping (Optax's
    ``safe_increment``; counts are int32 as Optax's).

    >>> safe_increment(np.int32(2**31 - 1))
    array(2147483647, dtype=int32)
    """
    dt = np.dtype(getattr(count, "dtype", None) or np.asarray(count).dtype)
    if dt.kind in "iu":
        top = np.iinfo(dt).max
    elif dt.kind == "f":
        top = np.finfo(dt).max
    else:
        raise WireValueError(f"safe_increment: a count must be an integer or float, got dtype "
                             f"{dt}{at(user_location())}")
    # adding a 0/1 flag never overflows (count + 1 at the top would wrap to -2**31)
    return wnp.asarray(count + wnp.asarray(count < top, dt), dt)



def _inc(count):
    return safe_increment(count)


def _as_float(count):
    return wnp.asarray(count, dtype=np.float64)


def _value(lr, count):
    return lr(count) if callable(lr) else lr


def _abs_sq(g):
    """``|g|**2``, real for complex gradients."""
    return g.real * g.real + g.imag * g.imag if _is_complex(g) else g * g


def _is_complex(g):
    dt = getattr(g, "dtype", None)
    return dt is not None and np.dtype(dt).kind == "c"


def _in_dtype_of(s, leaf):
    """Scalar ``s`` (a float, or a float64 array from a step count or a schedule) in the
    floating dtype of ``leaf``: a float64 factor would turn float32 updates into float64."""
    dt = getattr(leaf, "dtype", None)
    if dt is None or np.dtype(dt).kind not in "fc":
        return s
    return wnp.asarray(s, dtype=dt)


class CountState(NamedTuple):
    """A step counter (for schedules).

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.CountState(np.zeros((), np.int32))
    CountState(count=array(0, dtype=int32))
    """

    count: Any


class ScaleByScheduleState(NamedTuple):
    """The step count of :func:`scale_by_schedule` (Optax's state type of that name).

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.scale_by_schedule(lambda count: 1.0).init({"w": np.ones(2)})
    ScaleByScheduleState(count=array(0, dtype=int32))
    """

    count: Any


class WeightDecaySchedule(NamedTuple):
    """The step count of :func:`add_decayed_weights` with a scheduled weight decay (Optax's
    state type of that name).

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.add_decayed_weights(lambda count: 0.1).init({"w": np.ones(2)})
    WeightDecaySchedule(count=array(0, dtype=int32))
    """

    count: Any


# Optax's names of the states of stateless transformations
ScaleState = ClipState = ClipByGlobalNormState = AddDecayedWeightsState = EmptyState
AdaptiveGradClipState = EmptyState


class TraceState(NamedTuple):
    """The momentum buffer.

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.trace(0.9).init({"w": np.ones(2)})
    TraceState(trace={'w': array([0., 0.])})
    """

    trace: Any


class ScaleByAdamState(NamedTuple):
    """Step count and the first (``mu``) and second (``nu``) moment estimates.

    >>> import numpy as np
    >>> from wire import optim
    >>> s = optim.scale_by_adam().init({"w": np.ones(2)})
    >>> s.count, s.mu, s.nu
    (array(0, dtype=int32), {'w': array([0., 0.])}, {'w': array([0., 0.])})
    """

    count: Any
    mu: Any
    nu: Any


class ScaleByRmsState(NamedTuple):
    """The decaying average of squared gradients.

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.scale_by_rms().init({"w": np.ones(2)})
    ScaleByRmsState(nu={'w': array([0., 0.])})
    """

    nu: Any


class ScaleByRmsWithCountState(NamedTuple):
    """:class:`ScaleByRmsState` with the step count its bias correction needs.

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.scale_by_rms(bias_correction=True).init({"w": np.ones(2)})
    ScaleByRmsWithCountState(count=array(0, dtype=int32), nu={'w': array([0., 0.])})
    """

    count: Any
    nu: Any


class ScaleByRStdDevState(NamedTuple):
    """Decaying averages of gradients (``mu``) and of their squares (``nu``): centered RMSprop.

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.scale_by_stddev().init({"w": np.ones(2)})
    ScaleByRStdDevState(mu={'w': array([0., 0.])}, nu={'w': array([0., 0.])})
    """

    mu: Any
    nu: Any


class ScaleByRStdDevWithCountState(NamedTuple):
    """:class:`ScaleByRStdDevState` with the step count its bias correction needs.

    >>> import numpy as np
    >>> from wire import optim
    >>> s = optim.scale_by_stddev(bias_correction=True).init({"w": np.ones(1)})
    >>> type(s).__name__, s.count, s.mu
    ('ScaleByRStdDevWithCountState', array(0, dtype=int32), {'w': array([0.])})
    """

    count: Any
    mu: Any
    nu: Any


class ScaleByRssState(NamedTuple):
    """The running sum of squared gradients.

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.scale_by_rss().init({"w": np.ones(2)})          # starts at initial_accumulator_value
    ScaleByRssState(sum_of_squares={'w': array([0.1, 0.1])})
    """

    sum_of_squares: Any


def scale(step_size: float) -> GradientTransformation:
    """Multiply updates by a constant.

    >>> scale(-2.0).update(np.array([1.0]), EmptyState())[0]
    array([-2.])
    """
    return GradientTransformation(
        lambda params: EmptyState(),
        lambda grads, state, params=None: (
            wtree.map(lambda g: g * _in_dtype_of(step_size, g), grads), state),
    )


_UNSET = object()


def _one(name: str, new: str, new_value, old: str, old_value):
    """The argument given under Optax's name or under wire's older one (exactly one)."""
    if (new_value is _UNSET) == (old_value is _UNSET):
        raise WireTypeError(f"{name}: pass {new!r} (or its older name {old!r}), once"
                            f"{at(user_location(3))}")
    return old_value if new_value is _UNSET else new_value


def scale_by_schedule(step_size_fn=_UNSET, *, schedule=_UNSET) -> GradientTransformation:
    """Multiply updates by ``step_size_fn(count)``, counting calls from 0 (Optax's argument
    name; ``schedule=`` is wire's older one).

    >>> t = scale_by_schedule(lambda n: n + 1.0)
    >>> u, s = t.update(np.array([1.0]), t.init(None))
    >>> u, int(s.count)
    (array([1.]), 1)
    """
    schedule = _one("scale_by_schedule", "step_size_fn", step_size_fn, "schedule", schedule)

    def update(grads, state, params=None):
        f = schedule(state.count)
        return (wtree.map(lambda g: g * _in_dtype_of(f, g), grads),
                ScaleByScheduleState(_inc(state.count)))

    return GradientTransformation(lambda params: ScaleByScheduleState(_count0()), update)


def scale_by_learning_rate(learning_rate=None, flip_sign: bool = True) -> GradientTransformation:
    """Multiply by ``-learning_rate`` (a number or a schedule ``step -> value``; ``+`` with
    ``flip_sign=False``). ``None`` (Optax's default) is no scaling at all: :func:`identity`,
    whatever ``flip_sign`` says, as in Optax.

    >>> scale_by_learning_rate(0.1).update(np.array([1.0]), EmptyState())[0]
    array([-0.1])
    >>> scale_by_learning_rate().update(np.array([1.0]), EmptyState())[0]
    array([1.])
    """
    if learning_rate is None:
        return identity()
    sign = -1.0 if flip_sign else 1.0
    if callable(learning_rate):
        return scale_by_schedule(lambda count: sign * learning_rate(count))
    return scale(sign * learning_rate)


def trace(decay: float, nesterov: bool = False, accumulator_dtype=None) -> GradientTransformation:
    """Momentum: ``t = g + decay * t``; the update is ``t`` (or ``g + decay * t``, Nesterov).

    ``accumulator_dtype`` stores the momentum buffer in that dtype (Optax's option).

    >>> tr = trace(0.5)
    >>> u, s = tr.update(np.array([1.0]), tr.init(np.zeros(1)))
    >>> u, s = tr.update(np.array([1.0]), s)
    >>> u
    array([1.5])
    """
    accumulator_dtype = _state_dtype("trace", "accumulator_dtype", accumulator_dtype)

    def update(grads, state, params=None):
        check_trees("trace.update", grads, "grads", state.trace, "momentum state")
        new = wtree.map(lambda g, t: _in_state_dtype(g, t) + decay * t, grads, state.trace)
        out = wtree.map(lambda g, t: g + decay * t, grads, new) if nesterov else new
        return wtree.map(_like_grad, out, grads), TraceState(_cast(new, accumulator_dtype))

    return GradientTransformation(
        lambda params: TraceState(_zeros_in(params, accumulator_dtype)), update)


def _state_dtype(what, name, dtype):
    """``dtype`` (``None``, or a floating dtype for a moment or accumulator) as a NumPy dtype;
    anything else raises ``WireValueError`` naming the argument."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind not in "fc":
        raise WireValueError(f"{what}: {name} must be a floating dtype or None, got {dtype!r}"
                             f"{at(user_location())}")
    return dt


def _zeros_in(tree, dtype):
    """Zero states for ``tree``: in ``dtype`` when one is given (``mu_dtype``,
    ``accumulator_dtype``), else by the float32-at-least rule of :func:`_zeros_like`."""
    if dtype is None:
        return _zeros_like(tree)
    return wtree.map(lambda x: np.zeros(np.shape(x), dtype=dtype), tree)


def _at_least_float32(x):
    dt = getattr(x, "dtype", None)
    if dt is None or np.dtype(dt).kind != "f" or np.dtype(dt).itemsize >= 4:
        return x
    return wnp.asarray(x, np.float32)


def _cast(tree, dtype):
    return tree if dtype is None else wtree.map(lambda x: wnp.asarray(x, dtype), tree)


def _check_adam(what, b1, b2, eps, eps_root):
    check_hyperparameter(what, "b1", b1, 0.0, 1.0)
    check_hyperparameter(what, "b2", b2, 0.0, 1.0)
    check_hyperparameter(what, "eps", eps)
    check_hyperparameter(what, "eps_root", eps_root)


def _adam_moments(grads, state, b1, b2):
    """The new first and second moments, in the state's dtype (float16 gradients widened).
    A float16 ``mu_dtype`` moment is stored in float16 but updated in float32."""
    mu = wtree.map(lambda g, m: b1 * m + (1.0 - b1) * _in_state_dtype(g, m), grads,
                   wtree.map(_at_least_float32, state.mu))
    nu = wtree.map(lambda g, v: b2 * v + (1.0 - b2) * _abs_sq(_in_state_dtype(g, v)),
                   grads, state.nu)
    return mu, nu


def _mu_hat(grads, mu, b1, count, nesterov):
    """Bias-corrected first moment; with ``nesterov`` Optax's (Dozat's) look-ahead
    ``b1 * mu / (1 - b1**(t+1)) + (1 - b1) * g / (1 - b1**t)`` at step ``t``."""
    t = _as_float(count)
    c1 = 1.0 - b1 ** t
    if not nesterov:
        return wtree.map(lambda m: m / _in_dtype_of(c1, m), mu)
    c1_next = 1.0 - b1 ** (t + 1.0)
    return wtree.map(
        lambda g, m: b1 * (m / _in_dtype_of(c1_next, m))
        + (1.0 - b1) * (_in_state_dtype(g, m) / _in_dtype_of(c1, m)), grads, mu)


def _adam_direction(eps, eps_root):
    def direction(m, v):
        # v + 0.0 is v exactly; no branch on eps_root, which may be traced
        # (inject_hyperparams)
        return m / (wnp.sqrt(v + eps_root) + eps)
    return direction


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                  eps_root: float = 0.0, mu_dtype=None, *,
                  nesterov: bool = False) -> GradientTransformation:
    """Adam's direction ``m̂ / (sqrt(v̂ + eps_root) + eps)`` with bias-corrected moments.

    The same update as ``torch.optim.Adam`` and Optax's ``scale_by_adam`` (``eps`` outside
    the square root). The bias corrections are computed in float64 from the step count and
    applied in each leaf's dtype, so float32 moments and updates stay float32.
    ``mu_dtype`` stores the first moment in that dtype (Optax's option, e.g. float16 to
    save memory); ``nesterov=True`` is NAdam's look-ahead moment (Optax's ``nadam``).

    >>> t = scale_by_adam()
    >>> t.init({"w": np.zeros(2)}).mu
    {'w': array([0., 0.])}
    >>> t = scale_by_adam(nesterov=True)      # (0.9 * 0.2 / 0.19 + 0.1 * 2 / 0.1) / 2
    >>> t.update(np.array([2.0]), t.init(np.zeros(1)))[0].round(6)
    array([1.473684])

    ``b1`` and ``b2`` must lie in ``[0, 1)`` (``b = 1`` divides by a zero bias correction)
    and ``eps``, ``eps_root`` be ``>= 0``, as torch checks; others raise ``WireValueError``.
    """
    _check_adam("scale_by_adam", b1, b2, eps, eps_root)
    mu_dtype = _state_dtype("scale_by_adam", "mu_dtype", mu_dtype)
    direction = _adam_direction(eps, eps_root)

    def update(grads, state, params=None):
        check_trees("scale_by_adam.update", grads, "grads", state.mu, "Adam state")
        mu, nu = _adam_moments(grads, state, b1, b2)
        count = _inc(state.count)
        mu_hat = _mu_hat(grads, mu, b1, count, nesterov)
        c2 = 1.0 - b2 ** _as_float(count)
        updates = wtree.map(lambda g, m, v: _like_grad(direction(m, v / _in_dtype_of(c2, v)), g),
                            grads, mu_hat, nu)
        return updates, ScaleByAdamState(count, _cast(mu, mu_dtype), nu)

    def init(params):
        return ScaleByAdamState(_count0(), _zeros_in(params, mu_dtype), _zeros_like(params))

    return GradientTransformation(init, update)


class ScaleByAmsgradState(NamedTuple):
    """Adam's state plus the running maximum ``nu_max`` of the second moment.

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.scale_by_amsgrad().init({"w": np.ones(1)})
    ScaleByAmsgradState(count=array(0, dtype=int32), mu={'w': array([0.])}, nu={'w': array([0.])}, nu_max={'w': array([0.])})
    """

    count: Any
    mu: Any
    nu: Any
    nu_max: Any


def scale_by_amsgrad(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                     eps_root: float = 0.0, mu_dtype=None, bias_correction_mu: bool = True,
                     bias_correction_nu: bool = True, *,
                     correct_max: bool = False) -> GradientTransformation:
    """AMSGrad's direction: Adam's, with the second moment replaced by its running maximum.

    Optax's ``scale_by_amsgrad`` (signature and update): ``nu_max`` is the maximum of the
    *bias-corrected* second moments, ``m̂ / (sqrt(nu_max + eps_root) + eps)``.
    torch's ``Adam(amsgrad=True)`` keeps the maximum of the raw second moments and
    bias-corrects that maximum at each step: ``correct_max=True`` gives its updates. The two
    differ once the second moment falls (a large early gradient is remembered at full size by
    Optax's rule, divided by the growing ``1 - b2**t`` by torch's).

    >>> t = scale_by_amsgrad()
    >>> u, s = t.update(np.array([2.0]), t.init(np.zeros(1)))
    >>> u, s = t.update(np.array([0.0]), s)
    >>> u.round(4)          # 0.9 * 2 / 1.9 over the first step's sqrt(4)
    array([0.4737])
    """
    _check_adam("scale_by_amsgrad", b1, b2, eps, eps_root)
    mu_dtype = _state_dtype("scale_by_amsgrad", "mu_dtype", mu_dtype)
    direction = _adam_direction(eps, eps_root)

    def update(grads, state, params=None):
        check_trees("scale_by_amsgrad.update", grads, "grads", state.mu, "AMSGrad state")
        mu, nu = _adam_moments(grads, state, b1, b2)
        count = _inc(state.count)
        mu_hat = _mu_hat(grads, mu, b1, count, False) if bias_correction_mu else mu
        if correct_max:
            nu_max = wtree.map(wnp.maximum, state.nu_max, nu)
            nu_eff = _bias_corrected(nu_max, b2, count) if bias_correction_nu else nu_max
        else:
            nu_hat = _bias_corrected(nu, b2, count) if bias_correction_nu else nu
            nu_max = nu_eff = wtree.map(wnp.maximum, state.nu_max, nu_hat)
        updates = wtree.map(lambda g, m, v: _like_grad(direction(m, v), g), grads, mu_hat, nu_eff)
        return updates, ScaleByAmsgradState(count, _cast(mu, mu_dtype), nu, nu_max)

    def init(params):
        return ScaleByAmsgradState(_count0(), _zeros_in(params, mu_dtype), _zeros_like(params),
                                   _zeros_like(params))

    return GradientTransformation(init, update)


def scale_by_radam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                   eps_root: float = 0.0, threshold: float = 5.0, *,
                   nesterov: bool = False) -> GradientTransformation:
    """Rectified Adam's direction (Liu et al.): the bias-corrected momentum ``m̂`` alone while
    the variance estimate is untrustworthy (``rho_t < threshold``), then Adam's direction
    times the rectification ``r_t``. Optax's ``scale_by_radam``; torch's ``RAdam`` switches at
    ``rho_t > 5`` and puts ``eps`` as ``sqrt(1 - b2**t) / (sqrt(v) + eps)``, the same updates
    for ``eps = 0`` (and a relative difference of order ``eps / sqrt(v)`` otherwise).

    >>> t = scale_by_radam()
    >>> t.update(np.array([2.0]), t.init(np.zeros(1)))[0]    # step 1: momentum only
    array([2.])
    """
    _check_adam("scale_by_radam", b1, b2, eps, eps_root)
    check_hyperparameter("scale_by_radam", "threshold", threshold, 4.0)
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    direction = _adam_direction(eps, eps_root)

    def update(grads, state, params=None):
        check_trees("scale_by_radam.update", grads, "grads", state.mu, "RAdam state")
        mu, nu = _adam_moments(grads, state, b1, b2)
        count = _inc(state.count)
        t = _as_float(count)
        b2t = b2 ** t
        rho = rho_inf - 2.0 * t * b2t / (1.0 - b2t)
        rectify = rho >= threshold
        # the unused branch is kept finite (rho < 4 makes the root's argument negative)
        safe_rho = wnp.where(rectify, rho, rho_inf)
        r = wnp.sqrt((safe_rho - 4.0) * (safe_rho - 2.0) * rho_inf
                     / ((rho_inf - 4.0) * (rho_inf - 2.0) * safe_rho))
        mu_hat = _mu_hat(grads, mu, b1, count, nesterov)
        c2 = 1.0 - b2t

        def step(g, m, v):
            adaptive = _in_dtype_of(r, m) * direction(m, v / _in_dtype_of(c2, v))
            return _like_grad(wnp.where(rectify, adaptive, m), g)

        return wtree.map(step, grads, mu_hat, nu), ScaleByAdamState(count, mu, nu)

    def init(params):
        return ScaleByAdamState(_count0(), _zeros_like(params), _zeros_like(params))

    return GradientTransformation(init, update)


def _rms_denominator(eps, eps_in_sqrt):
    """``1 / sqrt(v + eps)`` (Optax's default) or ``1 / (sqrt(v) + eps)`` (torch's), for a
    second moment ``v``."""
    if eps_in_sqrt:
        return lambda v: 1.0 / wnp.sqrt(v + _in_dtype_of(eps, v))
    return lambda v: 1.0 / (wnp.sqrt(v) + _in_dtype_of(eps, v))


def _bias_corrected(moment, decay, count):
    c = 1.0 - decay ** _as_float(count)
    return wtree.map(lambda m: m / _in_dtype_of(c, m), moment)


def scale_by_rms(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0,
                 eps_in_sqrt: bool = True, bias_correction: bool = False):
    """RMSprop's direction ``g / sqrt(nu + eps)``, ``nu`` a decaying mean of ``g**2``.

    Optax's signature and defaults (``decay=0.9``, ``eps`` inside the square root). With
    ``eps_in_sqrt=False`` the direction is ``g / (sqrt(nu) + eps)``, torch's ``RMSprop``
    (whose ``alpha`` is this ``decay``, default 0.99 there). ``bias_correction`` divides
    ``nu`` by ``1 - decay**t`` at step ``t``, as Adam does.

    >>> t = scale_by_rms(0.5, eps=0.0)
    >>> t.update(np.array([2.0]), t.init(np.zeros(1)))[0].round(4)
    array([1.4142])
    """
    scaling = _rms_denominator(eps, eps_in_sqrt)

    def update(grads, state, params=None):
        check_trees("scale_by_rms.update", grads, "grads", state.nu, "RMSprop state")
        nu = wtree.map(lambda g, v: decay * v + (1.0 - decay) * _abs_sq(_in_state_dtype(g, v)),
                       grads, state.nu)
        if bias_correction:
            count = _inc(state.count)
            nu_hat, new_state = _bias_corrected(nu, decay, count), ScaleByRmsWithCountState(count, nu)
        else:
            nu_hat, new_state = nu, ScaleByRmsState(nu)
        return wtree.map(lambda g, v: _like_grad(g * scaling(v), g), grads, nu_hat), new_state

    def init(params):
        nu = wtree.map(lambda z: z + initial_scale, _zeros_like(params))
        return ScaleByRmsWithCountState(_count0(), nu) if bias_correction else ScaleByRmsState(nu)

    return GradientTransformation(init, update)


def scale_by_stddev(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0,
                    eps_in_sqrt: bool = True, bias_correction: bool = False):
    """Centered RMSprop's direction ``g / sqrt(nu - mu**2 + eps)``: ``mu`` and ``nu``
    decaying means of ``g`` and ``g**2`` (Optax's ``scale_by_stddev``; torch's
    ``RMSprop(centered=True)`` with ``eps_in_sqrt=False``).

    The variance ``nu - mu**2`` is never below 0: where rounding would make it negative it
    is 0 (the true value's bound), so a constant gradient gives ``g / sqrt(eps)``, not NaN.

    >>> t = scale_by_stddev(0.5, eps=0.0)
    >>> u, s = t.update(np.array([2.0]), t.init(np.zeros(1)))   # mu 1, nu 2: variance 1
    >>> u
    array([2.])
    """
    scaling = _rms_denominator(eps, eps_in_sqrt)

    def update(grads, state, params=None):
        check_trees("scale_by_stddev.update", grads, "grads", state.nu, "RMSprop state")
        mu = wtree.map(lambda g, m: decay * m + (1.0 - decay) * _in_state_dtype(g, m),
                       grads, state.mu)
        nu = wtree.map(lambda g, v: decay * v + (1.0 - decay) * _abs_sq(_in_state_dtype(g, v)),
                       grads, state.nu)
        if bias_correction:
            count = _inc(state.count)
            mu_hat, nu_hat = _bias_corrected(mu, decay, count), _bias_corrected(nu, decay, count)
            new_state = ScaleByRStdDevWithCountState(count, mu, nu)
        else:
            mu_hat, nu_hat, new_state = mu, nu, ScaleByRStdDevState(mu, nu)
        variance = wtree.map(lambda m, v: wnp.maximum(v - _abs_sq(m), 0.0), mu_hat, nu_hat)
        return (wtree.map(lambda g, v: _like_grad(g * scaling(v), g), grads, variance),
                new_state)

    def init(params):
        mu = _zeros_like(params)
        nu = wtree.map(lambda z: z + initial_scale, _zeros_like(params))
        if bias_correction:
            return ScaleByRStdDevWithCountState(_count0(), mu, nu)
        return ScaleByRStdDevState(mu, nu)

    return GradientTransformation(init, update)


def scale_by_rss(initial_accumulator_value: float = 0.1, eps: float = 1e-7):
    """Adagrad's direction ``g / sqrt(sum of g**2 + eps)``: ``eps`` *inside* the square root
    and the sum starting at ``initial_accumulator_value``, as Optax's ``scale_by_rss``
    (defaults 0.1 and 1e-7). torch's ``Adagrad`` puts ``eps`` outside,
    ``g / (sqrt(sum) + eps)``, with defaults 0 and 1e-10; with ``eps=0`` both give the same
    updates. A sum of exactly 0 (only zero gradients so far) gives a zero update, not 0/0.

    >>> t = scale_by_rss(0.0, 0.0)
    >>> t.update(np.array([2.0]), t.init(np.zeros(1)))[0]
    array([1.])
    >>> t.update(np.array([0.0]), t.init(np.zeros(1)))[0]
    array([0.])
    """

    def direction(g, a):
        denom = a + eps
        return g / wnp.sqrt(wnp.where(denom == 0, 1.0, denom))

    def update(grads, state, params=None):
        check_trees("scale_by_rss.update", grads, "grads", state.sum_of_squares, "Adagrad state")
        acc = wtree.map(lambda g, a: a + _abs_sq(_in_state_dtype(g, a)), grads,
                        state.sum_of_squares)
        return (wtree.map(lambda g, a: _like_grad(direction(g, a), g), grads, acc),
                ScaleByRssState(acc))

    def init(params):
        return ScaleByRssState(wtree.map(lambda z: z + initial_accumulator_value,
                                         _zeros_like(params)))

    return GradientTransformation(init, update)


def _resolve_mask(mask, params):
    if mask is None:
        return wtree.map(lambda p: True, params)
    return mask(params) if callable(mask) else mask


def _mask_flags(what, mask, params):
    """One bool per leaf of ``params`` from ``mask`` (``None``: all; a pytree of bools like
    ``params`` or a prefix of it, ``True`` alone included; or ``params -> mask``)."""
    m = _resolve_mask(mask, params)
    try:
        full = wtree.map(lambda f, sub: wtree.map(lambda _: f, sub), m, params)
    except Exception as e:  # noqa: BLE001 - any structure mismatch
        raise WireError(f"{what}: the mask's structure {wtree.structure(m)!r} is not a prefix of "
                        f"the params' {wtree.structure(params)!r}{at(user_location())}") from e
    return wtree.leaves(full)


def add_decayed_weights(weight_decay: float = 0.0, mask=None) -> GradientTransformation:
    """Add ``weight_decay * params`` to the updates (decoupled weight decay).

    ``weight_decay`` is a number or a schedule ``step -> value`` (as Optax's; the state then
    counts the steps). ``mask``: a pytree of bools like ``params`` (or a prefix of it, such as
    ``True``) or a function ``params -> mask``; leaves marked False are not decayed (e.g.
    ``wire.nn.trainable_mask`` spares BatchNorm statistics).

    >>> t = add_decayed_weights(0.1)
    >>> t.update(np.array([1.0]), t.init(None), np.array([2.0]))[0]
    array([1.2])
    >>> t = add_decayed_weights(lambda step: 0.1 * (step + 1))
    >>> u, s = t.update(np.array([1.0]), t.init(None), np.array([2.0]))
    >>> t.update(np.array([1.0]), s, np.array([2.0]))[0]
    array([1.4])
    """
    check_hyperparameter("add_decayed_weights", "weight_decay", weight_decay)
    return _add_scaled_params(weight_decay, mask)


def _add_scaled_params(weight_decay, mask) -> GradientTransformation:
    """:func:`add_decayed_weights` without the sign check (Fromage shrinks by a negative
    factor on purpose)."""
    scheduled = callable(weight_decay)

    def update(grads, state, params=None):
        if params is None:
            raise WireError(f"add_decayed_weights needs params: call update(grads, state, "
                            f"params){at(user_location())}")
        check_trees("add_decayed_weights.update", grads, "grads", params, "params")
        if not scheduled and isinstance(weight_decay, (int, float)) and weight_decay == 0:
            # no decay, not g + 0 * p: that is NaN for an infinite parameter (Optax skips too)
            return grads, state
        flags = _mask_flags("add_decayed_weights", mask, params)
        g_leaves, td = wtree.flatten(grads)
        p_leaves = wtree.leaves(params)
        if len(flags) != len(g_leaves):
            raise WireError(f"add_decayed_weights: mask has {len(flags)} leaves, params "
                            f"{len(g_leaves)}{at(user_location())}")
        if scheduled:
            wd, new_state = weight_decay(state.count), WeightDecaySchedule(_inc(state.count))
        else:
            wd, new_state = weight_decay, state
        out = [g + _in_dtype_of(wd, p) * p if m else g
               for g, p, m in zip(g_leaves, p_leaves, flags)]
        return wtree.unflatten(td, out), new_state

    return GradientTransformation(
        lambda params: WeightDecaySchedule(_count0()) if scheduled else EmptyState(), update)


def _dtype(x):
    return np.dtype(getattr(x, "dtype", None) or np.asarray(x).dtype)


def _norm_parts(tree):
    """``(norm, dtype)``: the global norm computed in at least float32, and the real dtype
    the leaves promote to. Each leaf is divided by the largest magnitude of all (a constant for
    the derivative) before squaring, so ``x * x`` neither overflows (float16 gradients above
    256, float32 above 1.8e19, would give an infinite norm and clip to zero updates) nor
    underflows (tiny gradients would have norm 0). A zero norm has derivative 0, the
    convention of ``wire.numpy.linalg.norm``."""
    xs = [x for x in wtree.leaves(tree)
          if int(np.prod(wnp.shape(x) or (), dtype=np.int64)) > 0]
    out_dt = np.result_type(*[_dtype(x) for x in xs]) if xs else np.dtype(np.float64)
    out_dt = np.finfo(out_dt).dtype if out_dt.kind in "fc" else np.dtype(np.float64)
    if not xs:
        return np.zeros((), out_dt), out_dt
    mags = [wnp.abs(wnp.asarray(x, np.result_type(_dtype(x), np.float32))) for x in xs]
    big = wnp.max(mags[0])
    for m in mags[1:]:
        big = wnp.maximum(big, wnp.max(m))
    big = wnp.stop_gradient(big)
    big = wnp.where(wnp.logical_and(wnp.isfinite(big), big > 0), big, 1.0)
    ss = sum(wnp.sum(wnp.square(m / big)) for m in mags)
    zero = ss == 0  # not ss > 0: a NaN leaf must give a NaN norm
    return wnp.where(zero, 0.0, big * wnp.sqrt(wnp.where(zero, 1.0, ss))), out_dt


def global_norm(updates=_UNSET, *, tree=_UNSET):
    """``sqrt`` of the sum of squares of every leaf of ``updates`` (Optax's argument name;
    ``tree=`` is wire's older one).

    Computed without overflow or underflow (a float16 tree of norm 500 gives 500, not
    ``inf``), and returned in the real dtype the leaves promote to (complex leaves count
    ``|x|**2``). Its derivative at zero is 0, as ``wire.numpy.linalg.norm``'s.

    >>> float(global_norm({"a": np.array([3.0]), "b": np.array([4.0])}))
    5.0
    >>> n = global_norm(np.array([300.0, 400.0], np.float16))
    >>> float(n), n.dtype
    (500.0, dtype('float16'))
    """
    norm, dt = _norm_parts(_one("global_norm", "updates", updates, "tree", tree))
    return wnp.asarray(norm, dtype=dt)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Scale all updates by ``min(1, max_norm / global_norm)`` (Optax's rule). torch's
    ``clip_grad_norm_`` scales by ``max_norm / (global_norm + 1e-6)`` when that is below 1: a
    relative difference of ``1e-6 / global_norm`` on clipped gradients.

    The norm and the factor are computed in at least float32, so float16 gradients whose
    norm exceeds float16's range are scaled down, not zeroed.

    >>> t = clip_by_global_norm(1.0)
    >>> t.update(np.array([3.0, 4.0]), t.init(None))[0]
    array([0.6, 0.8])
    >>> t.update(np.array([3e4, 4e4], np.float16), t.init(None))[0]
    array([0.6, 0.8], dtype=float16)

    ``max_norm = 0`` zeroes every update (a zero gradient stays 0); a negative one raises
    ``WireValueError`` (it flipped the gradient's sign).
    """

    def scaled(g, factor):
        dt = getattr(g, "dtype", None)
        if dt is None or np.dtype(dt).kind not in "fc" or np.dtype(dt).itemsize >= 4:
            return g * _in_dtype_of(factor, g)
        return wnp.asarray(wnp.asarray(g, np.float32) * wnp.asarray(factor, np.float32), dt)

    check_hyperparameter("clip_by_global_norm", "max_norm", max_norm)

    def update(grads, state, params=None):
        norm, _ = _norm_parts(grads)
        # not max_norm / maximum(norm, max_norm): that is 0/0 for max_norm = 0 and a zero
        # gradient (which stays 0, as torch's); a NaN norm still makes every update NaN
        clipping = wnp.logical_not(norm <= max_norm)
        factor = wnp.where(clipping, max_norm / wnp.where(clipping, norm, 1.0), 1.0)
        return wtree.map(lambda g: scaled(g, factor), grads), state

    return GradientTransformation(lambda params: EmptyState(), update)


def clip(max_delta: float) -> GradientTransformation:
    """Clip every update element to ``[-max_delta, max_delta]`` (torch's ``clip_grad_value_``).

    >>> clip(1.0).update(np.array([-3.0, 0.5]), EmptyState())[0]
    array([-1. ,  0.5])

    A negative ``max_delta`` raises ``WireValueError`` (it clipped everything to
    ``-max_delta``, with the sign flipped).
    """
    check_hyperparameter("clip", "max_delta", max_delta)
    return GradientTransformation(
        lambda params: EmptyState(),
        lambda grads, state, params=None: (
            wtree.map(lambda g: wnp.clip(g, -max_delta, max_delta), grads), state),
    )
