"""More gradient transformations of ``wire.optim``, with Optax's names, signatures and states:
the directions of Lion, AdaBelief, Yogi, AdaMax, Adadelta, NovoGrad, Rprop, SM3 and Adafactor;
LAMB's trust ratio; block norms; ``ema``, ``centralize``, ``zero_nans``, ``add_noise`` ...

Step counts are int32 scalars that stop at ``2**31 - 1`` (Optax's ``safe_increment``), so a
state's dtypes are Optax's. Norms are computed without overflow or underflow
(``global_norm``'s scaling): a float32 parameter of 1e20 has norm 1e20, not ``inf``.

>>> import numpy as np, wire
>>> t = wire.optim.scale_by_lion()
>>> u, s = t.update(np.array([0.5, -2.0, 0.0]), t.init(np.zeros(3)))
>>> u
array([ 1., -1.,  0.])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from .. import random
from .. import tree as wtree
from ..errors import WireError, WireValueError, at, user_location
from .base import EmptyState, GradientTransformation, check_trees
from .transforms import (
    CountState,
    _mask_flags,
    _at_least_float32,
    ScaleByAdamState,
    _abs_sq,
    _as_float,
    _cast,
    _in_dtype_of,
    _in_state_dtype,
    _like_grad,
    _state_dtype,
    _zeros_in,
    _zeros_like,
    check_hyperparameter,
    global_norm,
    safe_increment,
)

__all__ = [
    "ScaleByLionState", "ScaleByBeliefState", "ScaleByAdaDeltaState", "ScaleByNovogradState",
    "ScaleByRpropState", "ScaleBySM3State", "FactoredState", "EmaState", "ZeroNansState",
    "NonNegativeParamsState", "AddNoiseState", "ScaleByOptimisticGradientState",
    "ScaleByTrustRatioState", "ScaleByAdanState", "ApplyEvery", "scale_by_adan",
    "adaptive_grad_clip", "apply_every", "set_to_zero", "stateless", "stateless_with_tree_map",
    "incremental_update", "periodic_update", "scale_by_lars",
    "scale_by_lion", "scale_by_belief", "scale_by_yogi", "scale_by_adamax", "scale_by_adadelta",
    "scale_by_novograd", "scale_by_rprop", "scale_by_sm3", "scale_by_factored_rms",
    "scale_by_trust_ratio", "scale_by_param_block_norm", "scale_by_param_block_rms",
    "clip_by_block_rms", "centralize", "scale_by_sign", "ema", "zero_nans",
    "keep_params_nonnegative", "add_noise", "scale_by_optimistic_gradient",
    "safe_norm", "safe_root_mean_squares",
]

def _count0():
    return np.zeros((), dtype=np.int32)


def _sign(x):
    """``sign(x)`` keeping the sign of a zero (JAX's ``sign``, so Optax's updates): NumPy's
    ``sign(-0.0)`` is ``+0.0``."""
    return wnp.where(x == 0, x, wnp.sign(x))


def _need_params(what, params):
    if params is None:
        raise WireError(f"{what} needs params: call update(grads, state, params)"
                        f"{at(user_location())}")


def safe_norm(x, min_norm, ord=None, axis=None, keepdims: bool = False):  # noqa: A002
    """The norm of ``x``, or ``min_norm`` where that is larger, with a derivative of 0 (not
    NaN) where ``min_norm`` is taken: Optax's ``safe_norm``. With ``ord``/``axis`` None it
    is the 2-norm of all of ``x`` (any pytree), computed without overflow: float32
    ``[1e20, 1e20]`` gives 1.4e20; otherwise ``wire.numpy.linalg.norm(x, ord, axis)`` (vector
    norms along an int ``axis``, matrix norms over a pair). ``keepdims`` keeps the normed
    axes with size 1.

    >>> float(safe_norm(np.array([3.0, 4.0]), 1.0)), float(safe_norm(np.zeros(2), 1e-3))
    (5.0, 0.001)
    >>> safe_norm(np.array([[3.0, -4.0], [0.0, 0.0]]), 0.5, ord=1, axis=1)
    array([7. , 0.5])
    """
    if ord is None and axis is None:
        n = global_norm(x)
        out = wnp.where(n <= min_norm, _in_dtype_of(min_norm, n), n)
        return wnp.reshape(out, (1,) * len(wnp.shape(x))) if keepdims else out
    norm = wnp.linalg.norm(x, ord=ord, axis=axis, keepdims=True)
    small = norm <= min_norm
    masked = wnp.linalg.norm(wnp.where(small, wnp.ones_like(x), x), ord=ord, axis=axis,
                             keepdims=keepdims)
    if not keepdims:
        small = wnp.squeeze(small, axis=axis)
    return wnp.where(small, _in_dtype_of(min_norm, masked), masked)


def safe_root_mean_squares(x, min_rms):
    """``sqrt(mean(|x|**2))``, or ``min_rms`` where that is larger, without overflow (Optax's
    ``safe_root_mean_squares``). An empty ``x`` gives ``min_rms``.

    >>> float(safe_root_mean_squares(np.array([2.0, -2.0]), 0.0))
    2.0
    """
    size = int(np.prod(wnp.shape(x) or (), dtype=np.int64))
    if size == 0:
        return min_rms
    n = global_norm(x)
    rms = n / _in_dtype_of(np.sqrt(float(size)), n)
    return wnp.where(rms <= min_rms, _in_dtype_of(min_rms, rms), rms)


class ScaleByLionState(NamedTuple):
    """Lion's step count and momentum.

    >>> from wire import optim
    >>> optim.scale_by_lion().init(np.ones(2))
    ScaleByLionState(count=array(0, dtype=int32), mu=array([0., 0.]))
    """

    count: Any
    mu: Any


def scale_by_lion(b1: float = 0.9, b2: float = 0.99, mu_dtype=None, *, mode: str = "hard",
                  smooth_beta: float = 1.0) -> GradientTransformation:
    """Lion's direction (Chen et al., 2023): ``sign(b1 * mu + (1 - b1) * g)``, then
    ``mu = b2 * mu + (1 - b2) * g``. Optax's ``scale_by_lion``; ``mode="smooth"`` uses
    ``tanh(smooth_beta * c)`` and ``"refined"`` keeps ``|c| < 1`` linear.

    >>> t = scale_by_lion()
    >>> u, s = t.update(np.array([0.3, -0.001]), t.init(np.zeros(2)))
    >>> u, s.mu
    (array([ 1., -1.]), array([ 3.e-03, -1.e-05]))
    """
    check_hyperparameter("scale_by_lion", "b1", b1, 0.0, 1.0, high_open=False)
    check_hyperparameter("scale_by_lion", "b2", b2, 0.0, 1.0, high_open=False)
    mu_dtype = _state_dtype("scale_by_lion", "mu_dtype", mu_dtype)
    if mode not in ("hard", "smooth", "refined"):
        raise WireValueError(f"scale_by_lion: mode must be 'hard', 'smooth' or 'refined', got "
                             f"{mode!r}{at(user_location())}")

    def direction(g, m):
        c = (1.0 - b1) * _in_state_dtype(g, m) + b1 * m
        if mode == "hard":
            out = _sign(c)
        elif mode == "smooth":
            out = wnp.tanh(smooth_beta * c)
        else:
            out = wnp.where(wnp.abs(c) < 1.0, c, _sign(c))
        return _like_grad(out, g)

    def update(grads, state, params=None):
        check_trees("scale_by_lion.update", grads, "grads", state.mu, "Lion state")
        updates = wtree.map(direction, grads, state.mu)
        mu = wtree.map(lambda g, m: (1.0 - b2) * _in_state_dtype(g, m) + b2 * m, grads,
                       state.mu)
        return updates, ScaleByLionState(safe_increment(state.count), _cast(mu, mu_dtype))

    return GradientTransformation(
        lambda params: ScaleByLionState(_count0(), _zeros_in(params, mu_dtype)), update)


class ScaleByBeliefState(NamedTuple):
    """AdaBelief's step count, first moment ``mu`` and belief (centred second moment) ``nu``.

    >>> from wire import optim
    >>> optim.scale_by_belief().init(np.ones(1))
    ScaleByBeliefState(count=array(0, dtype=int32), mu=array([0.]), nu=array([0.]))
    """

    count: Any
    mu: Any
    nu: Any


def _debias(m, decay, count):
    return m / _in_dtype_of(1.0 - decay ** _as_float(count), m)


def _check_moments(what, b1, b2, eps, eps_root):
    check_hyperparameter(what, "b1", b1, 0.0, 1.0)
    check_hyperparameter(what, "b2", b2, 0.0, 1.0)
    check_hyperparameter(what, "eps", eps)
    check_hyperparameter(what, "eps_root", eps_root)


def scale_by_belief(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-16,
                    eps_root: float = 1e-16, *, nesterov: bool = False
                    ) -> GradientTransformation:
    """AdaBelief's direction (Zhuang et al., 2020): Adam's, with the second moment of the
    prediction error ``g - mu`` (plus ``eps_root``, as the paper's ``s_t``) in place of
    ``g**2``. Optax's ``scale_by_belief``.

    >>> t = scale_by_belief(eps=0.0, eps_root=0.0)
    >>> t.update(np.array([2.0]), t.init(np.zeros(1)))[0].round(6)   # 0.2 / 0.1 / (1.8 / 1)
    array([1.111111])
    """
    _check_moments("scale_by_belief", b1, b2, eps, eps_root)

    def update(grads, state, params=None):
        check_trees("scale_by_belief.update", grads, "grads", state.mu, "AdaBelief state")
        g32 = wtree.map(_in_state_dtype, grads, state.mu)
        mu = wtree.map(lambda g, m: (1.0 - b1) * g + b1 * m, g32, state.mu)
        nu = wtree.map(lambda g, m, v: (1.0 - b2) * _abs_sq(g - m) + b2 * v + eps_root,
                       g32, mu, state.nu)
        count = safe_increment(state.count)
        if nesterov:
            mu_hat = wtree.map(lambda m, g: b1 * _debias(m, b1, safe_increment(count))
                               + (1.0 - b1) * _debias(g, b1, count), mu, g32)
        else:
            mu_hat = wtree.map(lambda m: _debias(m, b1, count), mu)
        updates = wtree.map(lambda g, m, v: _like_grad(m / (wnp.sqrt(_debias(v, b2, count))
                                                            + eps), g), grads, mu_hat, nu)
        return updates, ScaleByBeliefState(count, mu, nu)

    return GradientTransformation(
        lambda params: ScaleByBeliefState(_count0(), _zeros_like(params), _zeros_like(params)),
        update)


def scale_by_yogi(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-3, eps_root: float = 0.0,
                  initial_accumulator_value: float = 1e-6) -> GradientTransformation:
    """Yogi's direction (Zaheer et al., 2018): Adam's with the additive second moment
    ``nu -= (1 - b2) * sign(nu - g**2) * g**2``, which starts at
    ``initial_accumulator_value``.

    The first moment starts at 0, as in the paper (Algorithm 2, ``m_0 = 0``) and TensorFlow
    Addons' Yogi. Optax starts it at ``initial_accumulator_value`` too, so its first steps
    move every parameter even where all gradients are 0 (by ``-lr * 9e-6 / (sqrt(v) + eps)``
    at step 1); wire's do not move it.

    >>> t = scale_by_yogi()
    >>> t.update(np.zeros(1), t.init(np.zeros(1)))[0]
    array([0.])
    """
    _check_moments("scale_by_yogi", b1, b2, eps, eps_root)
    check_hyperparameter("scale_by_yogi", "initial_accumulator_value", initial_accumulator_value)

    def update(grads, state, params=None):
        check_trees("scale_by_yogi.update", grads, "grads", state.mu, "Yogi state")
        g32 = wtree.map(_in_state_dtype, grads, state.mu)
        mu = wtree.map(lambda g, m: (1.0 - b1) * g + b1 * m, g32, state.mu)
        nu = wtree.map(lambda g, v: v - (1.0 - b2) * wnp.sign(v - _abs_sq(g)) * _abs_sq(g),
                       g32, state.nu)
        count = safe_increment(state.count)
        updates = wtree.map(
            lambda g, m, v: _like_grad(_debias(m, b1, count)
                                       / (wnp.sqrt(_debias(v, b2, count) + eps_root) + eps), g),
            grads, mu, nu)
        return updates, ScaleByAdamState(count, mu, nu)

    def init(params):
        return ScaleByAdamState(_count0(), _zeros_like(params),
                                wtree.map(lambda z: z + initial_accumulator_value,
                                          _zeros_like(params)))

    return GradientTransformation(init, update)


def scale_by_adamax(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
                    ) -> GradientTransformation:
    """AdaMax's direction (Kingma & Ba, section 7): the bias-corrected first moment divided by
    the infinity norm ``nu = max(b2 * nu, |g| + eps)`` (Optax's and torch's ``Adamax``).

    >>> t = scale_by_adamax()
    >>> t.update(np.array([-4.0]), t.init(np.zeros(1)))[0]
    array([-1.])
    """
    _check_moments("scale_by_adamax", b1, b2, eps, 0.0)

    def update(grads, state, params=None):
        check_trees("scale_by_adamax.update", grads, "grads", state.mu, "AdaMax state")
        g32 = wtree.map(_in_state_dtype, grads, state.mu)
        mu = wtree.map(lambda g, m: (1.0 - b1) * g + b1 * m, g32, state.mu)
        nu = wtree.map(lambda g, v: wnp.maximum(wnp.abs(g) + eps, b2 * v), g32, state.nu)
        count = safe_increment(state.count)
        updates = wtree.map(lambda g, m, v: _like_grad(_debias(m, b1, count) / v, g),
                            grads, mu, nu)
        return updates, ScaleByAdamState(count, mu, nu)

    return GradientTransformation(
        lambda params: ScaleByAdamState(_count0(), _zeros_like(params), _zeros_like(params)),
        update)


class ScaleByAdaDeltaState(NamedTuple):
    """Adadelta's running means of squared gradients ``e_g`` and squared updates ``e_x``.

    >>> from wire import optim
    >>> optim.scale_by_adadelta().init(np.ones(1))
    ScaleByAdaDeltaState(e_g=array([0.]), e_x=array([0.]))
    """

    e_g: Any
    e_x: Any


def scale_by_adadelta(rho: float = 0.9, eps: float = 1e-6) -> GradientTransformation:
    """Adadelta's direction (Zeiler, 2012): ``g * sqrt(e_x + eps) / sqrt(e_g + eps)``, where
    ``e_g`` and ``e_x`` are decaying means of ``g**2`` and of the squared directions.

    >>> t = scale_by_adadelta(0.5, eps=1e-4)
    >>> t.update(np.array([1.0]), t.init(np.zeros(1)))[0].round(6)   # sqrt(1e-4 / 0.5001)
    array([0.014141])
    """
    check_hyperparameter("scale_by_adadelta", "rho", rho, 0.0, 1.0, high_open=False)
    check_hyperparameter("scale_by_adadelta", "eps", eps)

    def update(grads, state, params=None):
        check_trees("scale_by_adadelta.update", grads, "grads", state.e_g, "Adadelta state")
        g32 = wtree.map(_in_state_dtype, grads, state.e_g)
        e_g = wtree.map(lambda g, v: (1.0 - rho) * _abs_sq(g) + rho * v, g32, state.e_g)
        steps = wtree.map(lambda g, v, x: wnp.sqrt(x + eps) / wnp.sqrt(v + eps) * g,
                          g32, e_g, state.e_x)
        e_x = wtree.map(lambda u, x: (1.0 - rho) * _abs_sq(u) + rho * x, steps, state.e_x)
        return wtree.map(_like_grad, steps, grads), ScaleByAdaDeltaState(e_g, e_x)

    return GradientTransformation(
        lambda params: ScaleByAdaDeltaState(_zeros_like(params), _zeros_like(params)), update)


class ScaleByNovogradState(NamedTuple):
    """NovoGrad's step count, first moment ``mu`` and per-leaf (layer-wise) second moment
    ``nu``, a scalar per leaf.

    >>> from wire import optim
    >>> optim.scale_by_novograd().init({"w": np.ones(2)}).nu
    {'w': array(0.)}
    """

    count: Any
    mu: Any
    nu: Any


def scale_by_novograd(b1: float = 0.9, b2: float = 0.25, eps: float = 1e-8,
                      eps_root: float = 0.0, weight_decay: float = 0.0, mu_dtype=None
                      ) -> GradientTransformation:
    """NovoGrad's direction (Ginsburg et al., 2019): per leaf, ``nu`` is a decaying mean of
    ``||g||**2`` (``||g_1||**2`` at step 1) and ``mu = b1 * mu + g / (sqrt(nu + eps_root) +
    eps) + weight_decay * params`` (no ``b1`` at step 1). Optax's ``scale_by_novograd``.

    >>> t = scale_by_novograd(eps=0.0)
    >>> t.update(np.array([3.0, 4.0]), t.init(np.zeros(2)), np.zeros(2))[0]
    array([0.6, 0.8])
    """
    _check_moments("scale_by_novograd", b1, b2, eps, eps_root)
    check_hyperparameter("scale_by_novograd", "weight_decay", weight_decay)
    mu_dtype = _state_dtype("scale_by_novograd", "mu_dtype", mu_dtype)

    def update(grads, state, params=None):
        check_trees("scale_by_novograd.update", grads, "grads", state.mu, "NovoGrad state")
        decaying = not (isinstance(weight_decay, (int, float)) and weight_decay == 0)
        if params is None:
            if decaying:
                _need_params("scale_by_novograd with weight_decay", params)
            params = grads
            decaying = False
        count = safe_increment(state.count)
        first = count == 1
        g32 = wtree.map(lambda g, v: _in_state_dtype(g, v), grads, state.nu)
        sq = wtree.map(lambda g, v: wnp.asarray(wnp.sum(_abs_sq(g)), wnp.result_type(v)),
                       g32, state.nu)
        nu = wtree.map(lambda s, v: wnp.where(first, s, (1.0 - b2) * s + b2 * v), sq, state.nu)

        def new_mu(g, p, m, v):
            add = g / (wnp.sqrt(v + eps_root) + eps)
            if decaying:
                add = add + weight_decay * p
            return wnp.where(first, add, b1 * m + add)

        mu = wtree.map(new_mu, g32, params, state.mu, nu)
        mu = _cast(mu, mu_dtype)
        return wtree.map(_like_grad, mu, grads), ScaleByNovogradState(count, mu, nu)

    def init(params):
        nu = wtree.map(lambda p: np.zeros((), np.result_type(_leaf_dtype(p), np.float32)),
                       params)
        return ScaleByNovogradState(_count0(), _zeros_in(params, mu_dtype), nu)

    return GradientTransformation(init, update)


def _leaf_dtype(x):
    return np.dtype(getattr(x, "dtype", None) or np.asarray(x).dtype)


class ScaleByRpropState(NamedTuple):
    """Rprop's per-element step sizes and its previous updates.

    >>> from wire import optim
    >>> optim.scale_by_rprop(0.1).init(np.ones(1))
    ScaleByRpropState(step_sizes=array([0.1]), prev_updates=array([0.]))
    """

    step_sizes: Any
    prev_updates: Any


def scale_by_rprop(learning_rate: float, eta_minus: float = 0.5, eta_plus: float = 1.2,
                   min_step_size: float = 1e-6, max_step_size: float = 50.0
                   ) -> GradientTransformation:
    """Rprop's direction (Riedmiller & Braun, 1993; the iRprop- variant, as torch's
    ``Rprop``): each element steps ``step_size * sign(g)``; its step size grows by
    ``eta_plus`` while the gradient keeps its sign and shrinks by ``eta_minus`` (skipping the
    step) when it flips, clipped to ``[min_step_size, max_step_size]``.

    Optax 0.2.8's ``scale_by_rprop`` returns the *previous* step's update (zero at step 1):
    its updates lag wire's and torch's by one step.

    >>> t = scale_by_rprop(0.1)
    >>> u, s = t.update(np.array([2.0, -3.0]), t.init(np.zeros(2)))
    >>> u, t.update(np.array([1.0, 3.0]), s)[0]
    (array([ 0.1, -0.1]), array([0.12, 0.  ]))
    """
    if callable(learning_rate):  # it is the initial step size, not a rate to schedule
        raise WireValueError(f"scale_by_rprop: learning_rate is the initial step size, a "
                             f"number; got a schedule {learning_rate!r} (Optax's and "
                             f"torch's Rprop take a number too){at(user_location())}")
    for name, v in (("learning_rate", learning_rate), ("eta_minus", eta_minus),
                    ("eta_plus", eta_plus), ("min_step_size", min_step_size),
                    ("max_step_size", max_step_size)):
        check_hyperparameter("scale_by_rprop", name, v)

    def update(grads, state, params=None):
        check_trees("scale_by_rprop.update", grads, "grads", state.step_sizes, "Rprop state")
        g32 = wtree.map(_in_state_dtype, grads, state.step_sizes)
        sign = wtree.map(lambda g, p: g * p, g32, state.prev_updates)
        def factor(s, st):  # in the state's dtype: a float64 factor made the float32 state
            dt = _leaf_dtype(st)  # (and float32 params' updates) float64 after one step
            return wnp.where(s > 0, np.asarray(eta_plus, dt), np.asarray(eta_minus, dt))

        steps = wtree.map(
            lambda s, st: wnp.where(s == 0, st, wnp.clip(st * factor(s, st),
                                                         min_step_size, max_step_size)),
            sign, state.step_sizes)
        new = wtree.map(lambda s, g, st: wnp.where(s < 0, 0.0 * st, st * wnp.sign(g)),
                        sign, g32, steps)
        return wtree.map(_like_grad, new, grads), ScaleByRpropState(steps, new)

    def init(params):
        return ScaleByRpropState(wtree.map(lambda z: z + learning_rate, _zeros_like(params)),
                                 _zeros_like(params))

    return GradientTransformation(init, update)


class ScaleBySM3State(NamedTuple):
    """SM3's per-axis accumulators ``mu`` (a list per leaf, one vector per axis) and its
    momentum ``nu``.

    >>> from wire import optim
    >>> optim.scale_by_sm3().init(np.ones((2, 3)))
    ScaleBySM3State(mu=[array([0., 0.]), array([0., 0., 0.])], nu=array([[0., 0., 0.],
           [0., 0., 0.]]))
    """

    mu: Any
    nu: Any


def _reject_complex(what, tree):
    for x in wtree.leaves(tree):
        if _leaf_dtype(x).kind == "c":
            raise WireValueError(f"{what} does not support complex parameters, got dtype "
                                 f"{_leaf_dtype(x)}{at(user_location())}")


def scale_by_sm3(b1: float = 0.9, b2: float = 1.0, eps: float = 1e-8
                 ) -> GradientTransformation:
    """SM3-II's direction (Anil et al., 2019): an accumulator per axis slice; each element's
    second moment is the minimum over its slices plus ``g**2``; the direction
    ``g / sqrt(v + eps)`` is averaged with momentum ``b1``. Optax's ``scale_by_sm3``
    (0-d leaves, which Optax fails on, get one scalar accumulator; empty axes are fine).

    >>> t = scale_by_sm3(b1=0.0)
    >>> t.update(np.array([2.0, 0.0]), t.init(np.zeros(2)))[0].round(6)
    array([1., 0.])
    """
    check_hyperparameter("scale_by_sm3", "b1", b1, 0.0, 1.0, high_open=False)
    check_hyperparameter("scale_by_sm3", "b2", b2, 0.0, 1.0, high_open=False)
    check_hyperparameter("scale_by_sm3", "eps", eps)
    c0 = 1.0 if b2 == 1.0 else 1.0 - b2

    def axes_zeros(p):
        shape, dt = np.shape(p), np.result_type(_leaf_dtype(p), np.float32)
        if not shape:
            return [np.zeros((), dt)]
        return [np.zeros((n,), dt) for n in shape]

    def init(params):
        _reject_complex("scale_by_sm3", params)
        return ScaleBySM3State(wtree.map(axes_zeros, params), _zeros_like(params))

    def leaf(g, accs, m):
        g = _in_state_dtype(g, m)
        shape = tuple(wnp.shape(g))
        if len(shape) < 2:
            acc = c0 * _abs_sq(g) + b2 * accs[0]
            new_accs = [acc]
        else:
            expanded = [wnp.reshape(a, [1] * i + [shape[i]] + [1] * (len(shape) - i - 1))
                        for i, a in enumerate(accs)]
            low = expanded[0]
            for e in expanded[1:]:
                low = wnp.minimum(low, e)
            acc = c0 * _abs_sq(g) + b2 * low
            new_accs = []
            for i in range(len(shape)):
                others = tuple(j for j in range(len(shape)) if j != i)
                # accumulators are >= 0: the maximum over no element is 0
                new_accs.append(wnp.max(acc, axis=others, initial=0.0) if 0 in shape
                                else wnp.max(acc, axis=others))
        step = g * wnp.where(acc > 0, 1.0 / wnp.sqrt(acc + eps), 0.0)
        return (1.0 - b1) * step + b1 * m, new_accs

    def update(grads, state, params=None):
        check_trees("scale_by_sm3.update", grads, "grads", state.nu, "SM3 state")
        _reject_complex("scale_by_sm3", grads)
        g_leaves, td = wtree.flatten(grads)
        nu_leaves = wtree.leaves(state.nu)
        acc_lists = _per_leaf(state.mu, td, len(g_leaves))
        out = [leaf(g, a, m) for g, a, m in zip(g_leaves, acc_lists, nu_leaves)]
        nu = wtree.unflatten(td, [o[0] for o in out])
        mu = wtree.unflatten(td, [o[1] for o in out])
        return wtree.map(_like_grad, nu, grads), ScaleBySM3State(mu, nu)

    return GradientTransformation(init, update)


def _per_leaf(tree_of_lists, td, n):
    """The subtrees of ``tree_of_lists`` at the leaves of treedef ``td`` (lists of arrays)."""
    holder = wtree.unflatten(td, list(range(n)))
    found: list = [None] * n
    wtree.map(lambda i, sub: found.__setitem__(i, sub), holder, tree_of_lists)
    return found


class FactoredState(NamedTuple):
    """Adafactor's step count and second-moment statistics: row and column means ``v_row``,
    ``v_col`` for factored leaves, the full ``v`` for the others (placeholders of shape
    ``(1,)`` where unused, as Optax's).

    >>> from wire import optim
    >>> optim.scale_by_factored_rms().init(np.ones(2)).v
    array([0., 0.])
    """

    count: Any
    v_row: Any
    v_col: Any
    v: Any


def _factored_dims(shape, factored, min_dim_size_to_factor):
    if not factored or len(shape) < 2:
        return None
    order = np.argsort(shape)
    if shape[order[-2]] < min_dim_size_to_factor:
        return None
    return int(order[-2]), int(order[-1])


def _decay_rate_pow(i, exponent=0.8):
    """Adafactor's ``1 - (i + 1)**-exponent``, in float64 (Optax's in float32: for float64
    parameters its decay rates carry float32 rounding)."""
    return 1.0 - (_as_float(i) + 1.0) ** (-exponent)


def scale_by_factored_rms(factored: bool = True, decay_rate: float = 0.8, step_offset: int = 0,
                          min_dim_size_to_factor: int = 128, epsilon: float = 1e-30,
                          decay_rate_fn=_decay_rate_pow) -> GradientTransformation:
    """Adafactor's direction (Shazeer & Stern, 2018): ``g / sqrt(v)`` with ``v`` a decaying
    mean of ``g**2 + epsilon`` (decay ``1 - t**-decay_rate``), kept as row and column means
    (a rank-1 factorization) for leaves whose two largest axes are at least
    ``min_dim_size_to_factor``. Optax's ``scale_by_factored_rms``.

    >>> t = scale_by_factored_rms()
    >>> p = np.ones(2)
    >>> t.update(np.array([3.0, -0.5]), t.init(p), p)[0].round(6)
    array([ 1., -1.])
    """
    check_hyperparameter("scale_by_factored_rms", "epsilon", epsilon)

    def init(params):
        def leaf(p):
            shape = tuple(np.shape(p))
            dt = np.result_type(_leaf_dtype(p), np.float32)
            one = np.zeros((1,), dt)
            dims = _factored_dims(shape, factored, min_dim_size_to_factor)
            if dims is not None:
                d1, d0 = dims
                return (np.zeros(shape[:d0] + shape[d0 + 1:], dt),
                        np.zeros(shape[:d1] + shape[d1 + 1:], dt), one)
            return one, one, np.zeros(shape, dt)

        parts = [leaf(p) for p in wtree.leaves(params)]
        td = wtree.structure(params)
        return FactoredState(_count0(), *(wtree.unflatten(td, [p[i] for p in parts])
                                          for i in range(3)))

    def update(grads, state, params=None):
        _need_params("scale_by_factored_rms", params)
        check_trees("scale_by_factored_rms.update", grads, "grads", params, "params")
        g_leaves, td = wtree.flatten(grads)
        rows, cols, vs = (wtree.leaves(t) for t in (state.v_row, state.v_col, state.v))
        rate = decay_rate_fn(state.count - step_offset, decay_rate)
        ups, nr, nc, nv = [], [], [], []
        for g, vr, vc, v in zip(g_leaves, rows, cols, vs):
            shape = tuple(wnp.shape(g))
            gs = _in_state_dtype(g, v)
            r = _in_dtype_of(rate, v)
            sq = _abs_sq(gs) + epsilon
            dims = _factored_dims(shape, factored, min_dim_size_to_factor)
            if dims is not None:
                d1, d0 = dims
                vr = r * vr + (1.0 - r) * wnp.mean(sq, axis=d0)
                vc = r * vc + (1.0 - r) * wnp.mean(sq, axis=d1)
                reduced_d1 = d1 - 1 if d1 > d0 else d1
                row_factor = 1.0 / wnp.sqrt(vr / wnp.mean(vr, axis=reduced_d1, keepdims=True))
                col_factor = 1.0 / wnp.sqrt(vc)
                u = gs * wnp.expand_dims(row_factor, d0) * wnp.expand_dims(col_factor, d1)
            else:
                v = r * v + (1.0 - r) * sq
                u = gs / wnp.sqrt(v)
            ups.append(_like_grad(u, g))
            nr.append(vr)
            nc.append(vc)
            nv.append(v)
        new = FactoredState(safe_increment(state.count), *(wtree.unflatten(td, x)
                                                           for x in (nr, nc, nv)))
        return wtree.unflatten(td, ups), new

    return GradientTransformation(init, update)


class ScaleByTrustRatioState(NamedTuple):
    """The (empty) state of :func:`scale_by_trust_ratio`.

    >>> from wire import optim
    >>> optim.scale_by_trust_ratio().init(np.ones(1))
    ScaleByTrustRatioState()
    """


def scale_by_trust_ratio(min_norm: float = 0.0, trust_coefficient: float = 1.0,
                         eps: float = 0.0) -> GradientTransformation:
    """LAMB's and LARS's layer-wise trust ratio: each leaf's update times
    ``trust_coefficient * ||param|| / (||update|| + eps)`` (norms at least ``min_norm``), or
    times 1 where either norm is 0 (Optax's ``scale_by_trust_ratio``). The norms do not
    overflow: Optax's ``jnp.linalg.norm`` makes a float32 leaf of 1e20 a NaN update.

    >>> t = scale_by_trust_ratio()
    >>> t.update(np.array([3.0, 4.0]), t.init(None), np.array([0.0, 10.0]))[0]
    array([6., 8.])
    """
    check_hyperparameter("scale_by_trust_ratio", "min_norm", min_norm)
    check_hyperparameter("scale_by_trust_ratio", "trust_coefficient", trust_coefficient)
    check_hyperparameter("scale_by_trust_ratio", "eps", eps)

    def leaf(u, p):
        # in at least float32: a float16 ratio overflows (1 / min_norm is 1e6 for a zero
        # update) and the update became 0 * inf = NaN
        u32 = _at_least_float32(u)
        pn, un = safe_norm(_at_least_float32(p), min_norm), safe_norm(u32, min_norm)
        zero = wnp.logical_or(pn == 0.0, un == 0.0)
        # the unused 0 / 0 is kept out (no NaN, no warning)
        ratio = wnp.where(zero, 1.0, trust_coefficient * pn / wnp.where(zero, 1.0, un + eps))
        return wnp.asarray(u32 * _in_dtype_of(ratio, u32), _leaf_dtype(u))

    def update(grads, state, params=None):
        _need_params("scale_by_trust_ratio", params)
        check_trees("scale_by_trust_ratio.update", grads, "updates", params, "params")
        return wtree.map(leaf, grads, params), state

    return GradientTransformation(lambda params: ScaleByTrustRatioState(), update)


def _scale_by_param_block(name: str, measure, min_scale: float) -> GradientTransformation:
    """Each leaf's update times ``measure(param, min_scale)`` (a size of the parameter)."""
    check_hyperparameter(name, "min_scale", min_scale)

    def update(grads, state, params=None):
        _need_params(name, params)
        check_trees(f"{name}.update", grads, "updates", params, "params")
        return wtree.map(lambda u, p: u * _in_dtype_of(measure(p, min_scale), u),
                         grads, params), state

    return GradientTransformation(lambda params: EmptyState(), update)


def scale_by_param_block_norm(min_scale: float = 1e-3) -> GradientTransformation:
    """Multiply each leaf's update by its parameter's norm (at least ``min_scale``).

    >>> t = scale_by_param_block_norm()
    >>> t.update(np.ones(2), t.init(None), np.array([3.0, 4.0]))[0]
    array([5., 5.])
    """
    return _scale_by_param_block("scale_by_param_block_norm", safe_norm, min_scale)


def scale_by_param_block_rms(min_scale: float = 1e-3) -> GradientTransformation:
    """Multiply each leaf's update by its parameter's root mean square (at least
    ``min_scale``): Adafactor's relative step size.

    >>> t = scale_by_param_block_rms()
    >>> t.update(np.ones(2), t.init(None), np.array([3.0, -3.0]))[0]
    array([3., 3.])
    """
    return _scale_by_param_block("scale_by_param_block_rms", safe_root_mean_squares, min_scale)


def clip_by_block_rms(threshold: float) -> GradientTransformation:
    """Scale each leaf down to a root mean square of at most ``threshold`` (Adafactor's
    update clipping), computed without overflow.

    >>> clip_by_block_rms(1.0).update(np.array([3.0, -3.0]), EmptyState())[0]
    array([ 1., -1.])
    """
    check_hyperparameter("clip_by_block_rms", "threshold", threshold)

    def leaf(u):
        rms = safe_root_mean_squares(u, 0.0)
        denom = wnp.maximum(1.0, rms / threshold) if threshold else wnp.where(rms > 0, wnp.inf,
                                                                               1.0)
        return u / _in_dtype_of(denom, u)

    return GradientTransformation(
        lambda params: EmptyState(),
        lambda grads, state, params=None: (wtree.map(leaf, grads), state))


def centralize() -> GradientTransformation:
    """Gradient centralization (Yong et al., 2020): subtract from leaves of two or more axes
    their mean over all axes but the first.

    >>> centralize().update(np.array([[1.0, 3.0], [2.0, 2.0]]), EmptyState())[0]
    array([[-1.,  1.],
           [ 0.,  0.]])
    """

    def leaf(g):
        nd = len(wnp.shape(g))
        if nd < 2:
            return g
        return g - wnp.mean(g, axis=tuple(range(1, nd)), keepdims=True)

    return GradientTransformation(
        lambda params: EmptyState(),
        lambda grads, state, params=None: (wtree.map(leaf, grads), state))


def scale_by_sign() -> GradientTransformation:
    """Replace each update by its sign (signSGD; NaN stays NaN).

    >>> scale_by_sign().update(np.array([-0.3, 0.0, 2.0]), EmptyState())[0]
    array([-1.,  0.,  1.])
    """
    return GradientTransformation(
        lambda params: EmptyState(),
        lambda grads, state, params=None: (wtree.map(_sign, grads), state))


class EmaState(NamedTuple):
    """The step count and the exponential moving average of the updates.

    >>> from wire import optim
    >>> optim.ema(0.9).init(np.ones(1))
    EmaState(count=array(0, dtype=int32), ema=array([0.]))
    """

    count: Any
    ema: Any


def ema(decay: float, debias: bool = True, accumulator_dtype=None) -> GradientTransformation:
    """An exponential moving average of the updates, ``ema = decay * ema + (1 - decay) * g``,
    divided by ``1 - decay**t`` with ``debias``.

    >>> t = ema(0.5)
    >>> u, s = t.update(np.array([2.0]), t.init(np.zeros(1)))
    >>> u, t.update(np.array([4.0]), s)[0].round(6)
    (array([2.]), array([3.333333]))
    """
    check_hyperparameter("ema", "decay", decay, 0.0, 1.0, high_open=False)
    accumulator_dtype = _state_dtype("ema", "accumulator_dtype", accumulator_dtype)

    def update(grads, state, params=None):
        check_trees("ema.update", grads, "grads", state.ema, "ema state")
        new = wtree.map(lambda g, e: (1.0 - decay) * _in_state_dtype(g, e) + decay * e,
                        grads, state.ema)
        count = safe_increment(state.count)
        out = wtree.map(lambda e: _debias(e, decay, count), new) if debias else new
        return wtree.map(_like_grad, out, grads), EmaState(count, _cast(new, accumulator_dtype))

    return GradientTransformation(
        lambda params: EmaState(_count0(), _zeros_in(params, accumulator_dtype)), update)


class ZeroNansState(NamedTuple):
    """Per leaf, whether the last updates held a NaN.

    >>> from wire import optim
    >>> optim.zero_nans().init({"w": np.ones(1)})
    ZeroNansState(found_nan={'w': array(False)})
    """

    found_nan: Any


def zero_nans() -> GradientTransformation:
    """Replace NaN updates by 0 (infinities stay), recording per leaf whether there was one.

    >>> t = zero_nans()
    >>> u, s = t.update({"w": np.array([np.nan, np.inf])}, t.init({"w": np.ones(2)}))
    >>> u, s.found_nan
    ({'w': array([ 0., inf])}, {'w': array(True)})
    """

    def update(grads, state, params=None):
        found = wtree.map(lambda g: wnp.asarray(wnp.any(wnp.isnan(g)), bool), grads)
        return wtree.map(lambda g: wnp.where(wnp.isnan(g), 0 * wnp.ones_like(g), g), grads), \
            ZeroNansState(found)

    return GradientTransformation(
        lambda params: ZeroNansState(wtree.map(lambda p: np.array(False), params)), update)


class NonNegativeParamsState(NamedTuple):
    """The (empty) state of :func:`keep_params_nonnegative`.

    >>> from wire import optim
    >>> optim.keep_params_nonnegative().init(np.ones(1))
    NonNegativeParamsState()
    """


def keep_params_nonnegative() -> GradientTransformation:
    """Change the updates that would make a parameter negative into ``-param`` (it lands on 0).

    >>> t = keep_params_nonnegative()
    >>> t.update(np.array([-3.0, 1.0]), t.init(None), np.array([2.0, 2.0]))[0]
    array([-2.,  1.])
    """

    def update(grads, state, params=None):
        _need_params("keep_params_nonnegative", params)
        check_trees("keep_params_nonnegative.update", grads, "updates", params, "params")
        return wtree.map(lambda u, p: wnp.where(p + u < 0.0, -p, u), grads, params), state

    return GradientTransformation(lambda params: NonNegativeParamsState(), update)


class AddNoiseState(NamedTuple):
    """The step count and the ``wire.random`` key of :func:`add_noise`.

    >>> from wire import optim
    >>> optim.add_noise(0.01, 0.55, 0).init(None).count
    array(0, dtype=int32)
    """

    count: Any
    rng_key: Any


def _as_key(key):
    if key is None:
        return random.key(0)
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return random.key(int(key))
    k = np.asarray(key) if not hasattr(key, "shape") else key
    try:
        dt = np.dtype(k.dtype)
    except TypeError:  # a typed JAX key (jax.random.key): its dtype is no NumPy dtype
        dt = None
    if dt is None or tuple(wnp.shape(k)) != (4,) or dt != np.uint32:
        what = ("a JAX key" if dt is None or (tuple(wnp.shape(k)) == (2,) and dt == np.uint32)
                else f"dtype {dt} and shape {tuple(wnp.shape(k))}")
        raise WireValueError(f"key must be an int seed or a wire.random key (uint32, shape "
                             f"(4,)), got {what} (wire.random's keys are Philox keys, not "
                             f"JAX's: pass an int seed or wire.random.key(seed))"
                             f"{at(user_location())}")
    return k


def add_noise(eta: float, gamma: float, key=None, *, seed=None) -> GradientTransformation:
    """Add Gaussian noise of variance ``eta / t**gamma`` at step ``t`` (Neelakantan et al.,
    2015). ``key`` is an int seed or a ``wire.random`` key (default 0; ``seed`` is Optax's
    older name). wire's keys are Philox keys, not JAX's threefry ones: the noise has the
    same distribution as Optax's, not the same numbers.

    >>> t = add_noise(0.0, 0.55, key=0)
    >>> t.update(np.array([1.0]), t.init(None))[0]
    array([1.])
    """
    if seed is not None:
        if key is not None:
            raise WireValueError(f"add_noise: pass key or seed, not both{at(user_location())}")
        key = seed
    check_hyperparameter("add_noise", "eta", eta)
    check_hyperparameter("add_noise", "gamma", gamma)
    key0 = _as_key(key)

    def update(grads, state, params=None):
        count = safe_increment(state.count)
        std = wnp.sqrt(eta / _as_float(count) ** gamma)
        rng_key, sample_key = random.split(state.rng_key)
        leaves, td = wtree.flatten(grads)
        keys = random.split(sample_key, max(len(leaves), 1))
        out = [g + _in_dtype_of(std, g) * random.normal(keys[i], tuple(wnp.shape(g)),
                                                        _noise_dtype(g))
               for i, g in enumerate(leaves)]
        return wtree.unflatten(td, out), AddNoiseState(count, rng_key)

    return GradientTransformation(lambda params: AddNoiseState(_count0(), key0), update)


def _noise_dtype(g):
    dt = _leaf_dtype(g)
    return dt if dt.kind == "f" else np.dtype(np.float64)


class ScaleByOptimisticGradientState(NamedTuple):
    """Whether no step was taken yet, and the previous gradient.

    >>> from wire import optim
    >>> optim.scale_by_optimistic_gradient().init(np.ones(1))
    ScaleByOptimisticGradientState(is_initial_step=array(True), previous_gradient=array([0.]))
    """

    is_initial_step: Any
    previous_gradient: Any


def scale_by_optimistic_gradient(alpha: float = 1.0, beta: float = 1.0
                                 ) -> GradientTransformation:
    """Optimistic gradient descent's direction (Mokhtari et al., 2019):
    ``(alpha + beta) * g_t - beta * g_{t-1}``, with ``g_0 = g_1``.

    >>> t = scale_by_optimistic_gradient()
    >>> u, s = t.update(np.array([1.0]), t.init(np.zeros(1)))
    >>> u, t.update(np.array([3.0]), s)[0]
    (array([1.]), array([5.]))
    """

    def update(grads, state, params=None):
        check_trees("scale_by_optimistic_gradient.update", grads, "grads",
                    state.previous_gradient, "optimistic gradient state")
        out = wtree.map(lambda g, p: (alpha + beta) * g
                        - beta * wnp.where(state.is_initial_step, g, p),
                        grads, state.previous_gradient)
        previous = wtree.map(lambda g, p: wnp.array(g, _leaf_dtype(p)), grads,  # a copy
                             state.previous_gradient)
        return wtree.map(_like_grad, out, grads), \
            ScaleByOptimisticGradientState(np.array(False), previous)

    return GradientTransformation(
        lambda params: ScaleByOptimisticGradientState(np.array(True), _zeros_like(params)),
        update)


class ScaleByAdanState(NamedTuple):
    """Adan's moments of the gradient ``m``, of its differences ``v`` and of the corrected
    squares ``n``, the previous gradient ``g`` and the step count ``t`` (Optax's fields).

    >>> from wire import optim
    >>> optim.scale_by_adan().init(np.ones(1)).t
    array(0, dtype=int32)
    """

    m: Any
    v: Any
    n: Any
    g: Any
    t: Any


def scale_by_adan(b1: float = 0.98, b2: float = 0.92, b3: float = 0.99, eps: float = 1e-8,
                  eps_root: float = 0.0) -> GradientTransformation:
    """Adan's direction (Xie et al., 2022, Algorithm 1, with the decays ``b = 1 - beta`` of
    the authors' code): with ``d = g - g_prev`` (0 at step 1), ``m``, ``v`` and ``n`` are
    decaying means of ``g``, ``d`` and ``(g + b2 * d)**2``; the direction is
    ``(m̂ + b2 * v̂) / (sqrt(n̂ + eps_root) + eps)``.

    Optax 0.2.8 weighs ``d`` by ``1 - b2`` (0.08) in both places where the paper's
    ``1 - beta_2`` is ``b2`` (0.92), so its updates differ from the second step on.

    >>> t = scale_by_adan(eps=0.0)
    >>> t.update(np.array([2.0, -3.0]), t.init(np.zeros(2)))[0]
    array([ 1., -1.])
    """
    for name, b in (("b1", b1), ("b2", b2), ("b3", b3)):
        check_hyperparameter("scale_by_adan", name, b, 0.0, 1.0)
    check_hyperparameter("scale_by_adan", "eps", eps)
    check_hyperparameter("scale_by_adan", "eps_root", eps_root)

    def update(grads, state, params=None):
        check_trees("scale_by_adan.update", grads, "grads", state.m, "Adan state")
        g32 = wtree.map(_in_state_dtype, grads, state.m)
        first = state.t == 0
        diff = wtree.map(lambda g, p: wnp.where(first, 0.0 * g, g - p), g32, state.g)
        m = wtree.map(lambda g, x: (1.0 - b1) * g + b1 * x, g32, state.m)
        v = wtree.map(lambda d, x: (1.0 - b2) * d + b2 * x, diff, state.v)
        n = wtree.map(lambda g, d, x: (1.0 - b3) * _abs_sq(g + b2 * d) + b3 * x, g32, diff,
                      state.n)
        t = safe_increment(state.t)
        out = wtree.map(
            lambda gr, a, b, c: _like_grad(
                (_debias(a, b1, t) + b2 * _debias(b, b2, t))
                / (wnp.sqrt(_debias(c, b3, t) + eps_root) + eps), gr),
            grads, m, v, n)
        prev = wtree.map(lambda g, p: wnp.array(g, _leaf_dtype(p)), g32, state.g)  # a copy
        return out, ScaleByAdanState(m, v, n, prev, t)

    def init(params):
        return ScaleByAdanState(*(_zeros_like(params) for _ in range(4)), _count0())

    return GradientTransformation(init, update)


def _unitwise_norm(x, axis):
    sq = _abs_sq(x)
    shape = tuple(wnp.shape(x))
    if axis is not None:
        n = wnp.sum(sq, axis=axis, keepdims=True)
    elif sum(1 for d in shape if d != 1) <= 1:
        n = wnp.sum(sq, keepdims=True)
    elif len(shape) in (2, 3):
        n = wnp.sum(sq, axis=0, keepdims=True)
    elif len(shape) in (4, 5):
        n = wnp.sum(sq, axis=tuple(range(len(shape) - 1)), keepdims=True)
    else:
        raise WireValueError(f"adaptive_grad_clip: a leaf of shape {shape} needs axis= (the "
                             f"axes to take norms over; 1 to 5 axes are known)"
                             f"{at(user_location())}")
    return wnp.broadcast_to(wnp.sqrt(n), shape)


def adaptive_grad_clip(clipping: float, eps: float = 1e-3, axis=None) -> GradientTransformation:
    """Adaptive gradient clipping (Brock et al., 2021): per unit (output column), scale the
    gradient down to norm ``clipping * max(||param||, eps)``. Optax's ``adaptive_grad_clip``
    (norms over all axes but the last for 2-5 axes, over everything for vectors).

    >>> t = adaptive_grad_clip(0.1)
    >>> t.update(np.array([3.0, 4.0]), t.init(None), np.array([0.0, 10.0]))[0]
    array([0.6, 0.8])
    """
    check_hyperparameter("adaptive_grad_clip", "clipping", clipping)
    check_hyperparameter("adaptive_grad_clip", "eps", eps)

    def leaf(g, p):
        g_norm, p_norm = _unitwise_norm(g, axis), _unitwise_norm(p, axis)
        max_norm = clipping * wnp.maximum(p_norm, eps)
        clipped = g * (max_norm / wnp.maximum(g_norm, 1e-6))
        return wnp.where(g_norm < max_norm, g, clipped)

    def update(grads, state, params=None):
        _need_params("adaptive_grad_clip", params)
        check_trees("adaptive_grad_clip.update", grads, "updates", params, "params")
        return wtree.map(leaf, grads, params), state

    return GradientTransformation(lambda params: EmptyState(), update)


class ApplyEvery(NamedTuple):
    """:func:`apply_every`'s position in its cycle and the gradients summed so far.

    >>> from wire import optim
    >>> optim.apply_every(2).init(np.ones(1))
    ApplyEvery(count=array(0, dtype=int32), grad_acc=array([0.]))
    """

    count: Any
    grad_acc: Any


def apply_every(k: int = 1) -> GradientTransformation:
    """Sum the updates over ``k`` steps and return the sum every ``k``-th step, zeros in
    between (Optax's ``apply_every``; :class:`MultiSteps` also averages and skips).

    >>> t = apply_every(2)
    >>> u, s = t.update(np.array([1.0]), t.init(np.zeros(1)))
    >>> u, t.update(np.array([2.0]), s)[0]
    (array([0.]), array([3.]))
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise WireValueError(f"apply_every: k must be an int >= 1, got {k!r}"
                             f"{at(user_location())}")

    def update(grads, state, params=None):
        check_trees("apply_every.update", grads, "grads", state.grad_acc, "apply_every state")
        c = state.count % k
        acc = wtree.map(lambda g, a: wnp.where(c != 0, a, 0.0 * a) + _in_state_dtype(g, a),
                        grads, state.grad_acc)
        emit = c == k - 1
        out = wtree.map(lambda a, g: _like_grad(wnp.where(emit, a, wnp.zeros_like(a)), g),
                        acc, grads)
        return out, ApplyEvery(wnp.asarray(safe_increment(state.count) % k, np.int32), acc)

    return GradientTransformation(
        lambda params: ApplyEvery(_count0(), _zeros_like(params)), update)


def set_to_zero() -> GradientTransformation:
    """Zero updates (with ``masked`` or ``multi_transform``: freeze some parameters).

    >>> set_to_zero().update({"w": np.ones(2)}, EmptyState())[0]
    {'w': array([0., 0.])}
    """
    return GradientTransformation(
        lambda params: EmptyState(),
        lambda grads, state, params=None: (wtree.map(wnp.zeros_like, grads), state))


def stateless(f) -> GradientTransformation:
    """A transformation without state from ``f(updates, params) -> updates``.

    >>> t = stateless(lambda u, p: 2 * u)
    >>> t.update(np.ones(2), t.init(None))[0]
    array([2., 2.])
    """
    return GradientTransformation(lambda params: EmptyState(),
                                  lambda grads, state, params=None: (f(grads, params),
                                                                     EmptyState()))


def stateless_with_tree_map(f) -> GradientTransformation:
    """A transformation without state applying ``f(update, param)`` leaf by leaf (``param``
    is ``None`` when ``update`` gets no params).

    >>> t = stateless_with_tree_map(lambda u, p: u * p)
    >>> t.update(np.array([2.0]), t.init(None), np.array([3.0]))[0]
    array([6.])
    """

    def update(grads, state, params=None):
        if params is None:
            return wtree.map(lambda u: f(u, None), grads), EmptyState()
        check_trees("stateless_with_tree_map.update", grads, "updates", params, "params")
        return wtree.map(f, grads, params), EmptyState()

    return GradientTransformation(lambda params: EmptyState(), update)


def incremental_update(new_tensors, old_tensors, step_size):
    """``step_size * new + (1 - step_size) * old`` leaf by leaf (Polyak averaging of target
    networks).

    >>> incremental_update({"w": np.array([1.0])}, {"w": np.array([0.0])}, 0.25)
    {'w': array([0.25])}
    """
    check_trees("incremental_update", new_tensors, "new_tensors", old_tensors, "old_tensors")
    return wtree.map(lambda n, o: step_size * n + (1.0 - step_size) * o, new_tensors,
                     old_tensors)


def periodic_update(new_tensors, old_tensors, steps, update_period):
    """``new_tensors`` when ``steps`` is a multiple of ``update_period``, else
    ``old_tensors`` (traced steps too).

    >>> periodic_update(np.array([1.0]), np.array([0.0]), 10, 5)
    array([1.])
    """
    check_trees("periodic_update", new_tensors, "new_tensors", old_tensors, "old_tensors")
    now = steps % update_period == 0
    return wtree.map(lambda n, o: wnp.where(now, n, o), new_tensors, old_tensors)


def scale_by_lars(weight_decay=0.0, weight_decay_mask=True, trust_coefficient: float = 0.001,
                  eps: float = 0.0, trust_ratio_mask=True) -> GradientTransformation:
    """LARS's direction (You et al., 2017, Algorithm 1): per leaf ``lam * (g + wd * w)`` with
    the trust ratio ``lam = trust_coefficient * ||w|| / (||g|| + wd * ||w|| + eps)`` (1 where
    ``||w||`` or the denominator is 0). Masks as :func:`lars`' (bools, a prefix, or a function
    of the params); ``weight_decay`` may be a schedule.

    Optax's ``lars`` divides by ``||g + wd * w||`` instead: the same for ``wd = 0``, and
    different whenever the gradient is not parallel to the weights.

    >>> t = scale_by_lars(0.5, trust_coefficient=1.0)
    >>> p = np.array([3.0, 4.0])
    >>> t.update(np.array([0.0, 2.0]), t.init(p), p)[0]      # 5 / (2 + 2.5) * [1.5, 4]
    array([1.66666667, 4.44444444])
    """
    check_hyperparameter("scale_by_lars", "weight_decay", weight_decay)
    check_hyperparameter("scale_by_lars", "trust_coefficient", trust_coefficient)
    check_hyperparameter("scale_by_lars", "eps", eps)
    scheduled = callable(weight_decay)

    def leaf(g, w, wd, decay, scaled):
        g32, w32 = _at_least_float32(g), _at_least_float32(w)
        d = _in_dtype_of(wd, g32) if decay else 0.0
        u = g32 + d * w32 if decay else g32
        if not scaled:
            return wnp.asarray(u, _leaf_dtype(g))
        wn, gn = global_norm(w32), global_norm(g32)
        denom = gn + d * wn + eps
        zero = wnp.logical_or(wn == 0.0, denom == 0.0)
        ratio = wnp.where(zero, 1.0, trust_coefficient * wn / wnp.where(zero, 1.0, denom))
        return wnp.asarray(u * _in_dtype_of(ratio, u), _leaf_dtype(g))

    def update(grads, state, params=None):
        _need_params("scale_by_lars", params)
        check_trees("scale_by_lars.update", grads, "grads", params, "params")
        decays = _mask_flags("scale_by_lars", weight_decay_mask, params)
        ratios = _mask_flags("scale_by_lars", trust_ratio_mask, params)
        if scheduled:
            wd, new_state = weight_decay(state.count), CountState(safe_increment(state.count))
        else:
            wd, new_state = weight_decay, state
        g_leaves, td = wtree.flatten(grads)
        out = [leaf(g, w, wd, bool(dk), bool(rk))
               for g, w, dk, rk in zip(g_leaves, wtree.leaves(params), decays, ratios)]
        return wtree.unflatten(td, out), new_state

    return GradientTransformation(
        lambda params: CountState(_count0()) if scheduled else EmptyState(), update)
