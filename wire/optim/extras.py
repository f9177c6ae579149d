"""Optax's transformations and helpers that ``wire.optim`` lacked: Polyak step sizes
(``scale_by_polyak``, ``polyak_sgd``), ``normalize_by_update_norm``, ``optimistic_adam`` (and
``_v2``), ``scale_by_distance_over_gradients``, the monitoring transformations (``snapshot``,
``monitor``, ``measure_with_ema``), ``conditionally_transform``/``conditionally_mask``,
``freeze``/``selective_transform``, ``flatten``, ``scale_gradient``, per-example clipping
(``per_example_global_norm_clip``, ``per_example_layer_norm_clip``), the moment helpers
(``bias_correction``, ``update_moment``, ``update_moment_per_elem_norm``,
``update_infinity_moment``), ``init_empty_state``, ``power_iteration``,
``matrix_inverse_pth_root``, ``tree_map_params`` and ``safe_int32_increment``.

Each has Optax's signature and state type (NamedTuples of the same fields), so a training loop
written for Optax runs with only the import changed.

>>> import numpy as np, wire
>>> opt = wire.optim.polyak_sgd(max_learning_rate=1.0)
>>> w = np.array([3.0]); state = opt.init(w)
>>> loss = lambda w: float(((w - 1.0) ** 2).sum())
>>> u, state = opt.update(wire.grad(lambda w: ((w - 1.0) ** 2).sum())(w), state, w,
...                       value=loss(w))
>>> wire.optim.apply_updates(w, u)
array([2.])
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from .. import tree as wtree
from .. import random
from ..api import while_loop
from ..api.custom import custom_vjp
from ..errors import ShapeError, WireValueError, at, user_location
from .adaptive import ema, scale_by_optimistic_gradient, set_to_zero, stateless
from .aliases import sgd
from .base import (EmptyState, GradientTransformation, GradientTransformationExtraArgs,
                   chain, with_extra_args_support)
from .transforms import (global_norm, safe_increment, scale, scale_by_adam,
                         scale_by_learning_rate)
from .tree_utils import (tree_bias_correction, tree_update_infinity_moment,
                         tree_update_moment, tree_update_moment_per_elem_norm)
from .wrappers import masked, partition

__all__ = [
    "scale_by_polyak", "polyak_sgd", "normalize_by_update_norm", "optimistic_adam",
    "optimistic_adam_v2", "ScaleByDistanceOverGradientsState",
    "scale_by_distance_over_gradients", "SnapshotState", "snapshot", "MonitorState", "monitor",
    "measure_with_ema", "ConditionallyTransformState", "conditionally_transform",
    "ConditionallyMaskState", "conditionally_mask", "freeze", "selective_transform", "flatten",
    "scale_gradient", "per_example_global_norm_clip", "per_example_layer_norm_clip",
    "bias_correction", "update_moment", "update_moment_per_elem_norm",
    "update_infinity_moment", "init_empty_state", "power_iteration", "matrix_inverse_pth_root",
    "tree_map_params", "safe_int32_increment",
]


def _dtype(x):
    dt = getattr(x, "dtype", None)
    return np.dtype(dt) if dt is not None else np.asarray(x).dtype


def _map(f, *trees):
    """``f`` leaf by leaf; ``None`` leaves (masked-out parameters) stay ``None``."""
    return wtree.map(lambda *xs: None if xs[0] is None else f(*xs), *trees)


def init_empty_state(params) -> EmptyState:
    """The state of a transformation that keeps none (``optax.init_empty_state``).

    >>> init_empty_state({"w": np.ones(2)})
    EmptyState()
    """
    del params
    return EmptyState()


# --------------------------------------------------------------------------- Polyak steps

def scale_by_polyak(f_min=0.0, max_learning_rate=1.0, eps=0.0, variant: str = "sps"
                    ) -> GradientTransformationExtraArgs:
    """Scale the updates by the Polyak step size ``min((f - f_min) / (||g||² + eps),
    max_learning_rate)`` (Loizou et al., 2021; ``optax.scale_by_polyak``); the loss value
    comes as ``update(..., value=f)``. ``variant="sps+"`` clips a negative gap to 0. A
    gradient whose squared norm plus ``eps`` is at most float64's epsilon gives step 0.

    >>> t = scale_by_polyak()
    >>> t.update(np.array([2.0]), t.init(None), value=2.0)[0]
    array([1.])
    """
    if variant not in ("sps", "sps+"):
        raise WireValueError(f"scale_by_polyak: variant must be 'sps' or 'sps+', got "
                             f"{variant!r}{at(user_location())}")

    def update(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        if value is None:
            raise WireValueError("scale_by_polyak: update needs the loss as value=..."
                                 + at(user_location()))
        sq = global_norm(updates) ** 2
        gap = wnp.asarray(value - f_min, _dtype(sq))
        if variant == "sps+":
            gap = wnp.maximum(gap, 0.0)
        small = sq + eps <= np.finfo(float).eps
        step = wnp.where(small, 0.0, wnp.minimum(gap / wnp.where(small, 1.0, sq + eps),
                                                  max_learning_rate))
        return _map(lambda g: wnp.asarray(step, _dtype(g)) * g, updates), state

    return GradientTransformationExtraArgs(init_empty_state, update)


def polyak_sgd(max_learning_rate=1.0, scaling=1.0, f_min=0.0, eps=0.0, variant: str = "sps"
               ) -> GradientTransformationExtraArgs:
    """SGD with the Polyak step size (``optax.polyak_sgd``): ``sgd(scaling)`` then
    :func:`scale_by_polyak`; ``update(..., value=loss)``.

    >>> opt = polyak_sgd()
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)), value=2.0)[0]
    array([-1.])
    """
    return chain(sgd(learning_rate=scaling),
                 scale_by_polyak(max_learning_rate=max_learning_rate, f_min=f_min, eps=eps,
                                 variant=variant))


def normalize_by_update_norm(scale_factor=1.0, eps=1e-6) -> GradientTransformation:
    """Divide the updates by ``(||updates|| + eps) / scale_factor``, the global norm
    (``optax.normalize_by_update_norm``).

    >>> t = normalize_by_update_norm(eps=0.0)
    >>> t.update(np.array([3.0, 4.0]), t.init(None))[0]
    array([0.6, 0.8])
    """
    def update(updates, state, params=None):
        del params
        n = (global_norm(updates) + eps) / scale_factor
        return _map(lambda g: g / wnp.asarray(n, _dtype(g)), updates), state

    return GradientTransformation(init_empty_state, update)


def optimistic_adam(learning_rate, optimism=None, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
                    mu_dtype=None, *, nesterov: bool = True) -> GradientTransformationExtraArgs:
    """Optimistic Adam (Daskalakis et al., 2018; Optax's first version, deprecated there for
    :func:`optimistic_adam_v2`): Adam's direction through
    ``scale_by_optimistic_gradient(alpha=learning_rate, beta=optimism)``, then the sign flip.
    ``learning_rate`` must be a number (no schedule), as Optax's.

    >>> opt = optimistic_adam(0.1)
    >>> np.round(opt.update(np.array([1.0]), opt.init(np.zeros(1)))[0], 6)
    array([-0.147368])
    """
    if callable(learning_rate):
        raise WireValueError("optimistic_adam takes no learning rate schedule; "
                             "optimistic_adam_v2 does" + at(user_location()))
    if optimism is None:
        optimism = learning_rate
    return with_extra_args_support(chain(
        scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype,
                      nesterov=nesterov),
        scale_by_optimistic_gradient(alpha=learning_rate, beta=optimism),
        scale_by_learning_rate(1.0)))


def optimistic_adam_v2(learning_rate, *, alpha=1.0, beta=1.0, b1=0.9, b2=0.999, eps=1e-8,
                       eps_root=0.0, mu_dtype=None, nesterov: bool = True
                       ) -> GradientTransformationExtraArgs:
    """Optimistic Adam (``optax.optimistic_adam_v2``): Adam's direction, then
    ``scale_by_optimistic_gradient(alpha, beta)``, then ``-learning_rate`` (a number or a
    schedule).

    >>> opt = optimistic_adam_v2(0.1)
    >>> np.round(opt.update(np.array([1.0]), opt.init(np.zeros(1)))[0], 6)
    array([-0.147368])
    """
    return with_extra_args_support(chain(
        scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype,
                      nesterov=nesterov),
        scale_by_optimistic_gradient(alpha=alpha, beta=beta),
        scale_by_learning_rate(learning_rate)))


class ScaleByDistanceOverGradientsState(NamedTuple):
    """DoG's state: the largest distance from the initial parameters, per leaf, the sum of
    squared gradients, per leaf, and the initial parameters.

    >>> scale_by_distance_over_gradients().init(np.ones(1)).grad_sum_of_squares
    array([0.])
    """

    max_dist: Any
    grad_sum_of_squares: Any
    init_params: Any


def scale_by_distance_over_gradients(reps_rel=1e-6, eps=1e-8, param_dtype=np.float32,
                                     global_scale=1.0) -> GradientTransformation:
    """Distance over gradients (DoG, Ivgi et al., 2023), layer-wise as
    ``optax.scale_by_distance_over_gradients``: each leaf's update is ``global_scale *
    max_dist / sqrt(sum of squared gradients + eps) * g``, ``max_dist`` the largest distance
    of the leaf from its initial value (at least ``reps_rel * (1 + ||x0||)``). The initial
    parameters are kept in ``param_dtype`` (float32, as Optax's default).

    >>> t = scale_by_distance_over_gradients(eps=0.0)
    >>> p = np.array([3.0, 4.0])
    >>> t.update(np.array([1.0, 0.0]), t.init(p), p)[0]
    array([6.e-06, 0.e+00])
    """
    def l2(x, y=0.0):
        d = x - y
        return wnp.sqrt(wnp.sum(d * d))

    def init(params):
        return ScaleByDistanceOverGradientsState(
            _map(lambda x: reps_rel * (1 + l2(x)), params),
            _map(lambda x: np.zeros(1), params),
            _map(lambda x: wnp.asarray(x, param_dtype), params))

    def update(updates, state, params=None):
        if params is None:
            raise WireValueError("scale_by_distance_over_gradients: update needs params"
                                 + at(user_location()))
        max_dist = _map(lambda d, x, y: wnp.maximum(d, l2(x, y)), state.max_dist, params,
                        state.init_params)
        g_sos = _map(lambda s, g: s + wnp.sum(g * g), state.grad_sum_of_squares, updates)
        # the sum of squares is a shape-(1,) array (Optax's state); its one entry scales the
        # leaf, so the update has the leaf's shape (Optax's turns a scalar leaf into (1,))
        new = _map(lambda g, d, s: global_scale * (d / wnp.sqrt(s[0] + eps)) * g, updates,
                   max_dist, g_sos)
        return new, ScaleByDistanceOverGradientsState(max_dist, g_sos, state.init_params)

    return GradientTransformation(init, update)


# ------------------------------------------------------------------------------ monitoring

class SnapshotState(NamedTuple):
    """``{measure_name: measure(updates)}`` of the last step (of the params at init).

    >>> snapshot("n", lambda u: 1.0).init(None)
    SnapshotState(measurement={'n': 1.0})
    """

    measurement: dict


def snapshot(measure_name: str, measure) -> GradientTransformation:
    """Record ``measure(updates)`` in the state under ``measure_name``, updates unchanged
    (``optax.snapshot``).

    >>> t = snapshot("norm", global_norm)
    >>> float(t.update(np.array([3.0, 4.0]), t.init(np.zeros(2)))[1].measurement["norm"])
    5.0
    """
    def init(params):
        return SnapshotState({measure_name: measure(params)})

    def update(updates, state, params=None):
        del params, state
        return updates, SnapshotState({measure_name: measure(updates)})

    return GradientTransformation(init, update)


class MonitorState(NamedTuple):
    """The last step's measurements by name, and each measure's own state.

    >>> monitor({"n": lambda u: 1.0}).init(None)
    MonitorState(measurements={}, measure_states=(EmptyState(),))
    """

    measurements: dict
    measure_states: tuple


def monitor(measures: dict) -> GradientTransformationExtraArgs:
    """Record measures of the updates, updates unchanged (``optax.monitor``): each value of
    ``measures`` is a function of the updates or a transformation whose *updates* are the
    measurement (``measure_with_ema`` …); extra arguments go to every measure.

    >>> t = monitor({"norm": global_norm})
    >>> _, s = t.update(np.array([3.0, 4.0]), t.init(np.zeros(2)))
    >>> float(s.measurements["norm"])
    5.0
    """
    ms = {}
    for name, m in measures.items():
        if isinstance(m, GradientTransformation):
            ms[name] = with_extra_args_support(m)
        else:
            ms[name] = with_extra_args_support(stateless(lambda u, _, m=m: m(u)))
    names = tuple(ms)

    def init(params):
        return MonitorState({}, tuple(ms[n].init(params) for n in names))

    def update(updates, state, params=None, **extra_args):
        measurements, states = {}, []
        for i, n in enumerate(names):
            value, s = ms[n].update(updates, state.measure_states[i], params, **extra_args)
            measurements[n] = value
            states.append(s)
        return updates, MonitorState(measurements, tuple(states))

    return GradientTransformationExtraArgs(init, update)


def measure_with_ema(measure, decay, debias: bool = True, accumulator_dtype=None
                     ) -> GradientTransformationExtraArgs:
    """The exponential moving average of ``measure(updates)`` as a transformation whose
    updates are that average (``optax.measure_with_ema``; use it inside :func:`monitor`).

    >>> t = measure_with_ema(global_norm, 0.5)
    >>> float(t.update(np.array([3.0, 4.0]), t.init(np.zeros(2)))[0])
    5.0
    """
    base = ema(decay, debias, accumulator_dtype)
    averaged = base._replace(init=lambda params: base.init(measure(params)))
    return with_extra_args_support(chain(stateless(lambda updates, _: measure(updates)),
                                         averaged))


# --------------------------------------------------------------------------- conditionality

class ConditionallyTransformState(NamedTuple):
    """The inner state and the step count (int32).

    >>> conditionally_transform(scale(2.0), lambda s: True).init(None)
    ConditionallyTransformState(inner_state=EmptyState(), step=array(0, dtype=int32))
    """

    inner_state: Any
    step: Any


class ConditionallyMaskState(NamedTuple):
    """The step count (int32) and the inner state.

    >>> conditionally_mask(scale(2.0), lambda s: True).init(None)
    ConditionallyMaskState(step=array(0, dtype=int32), inner_state=EmptyState())
    """

    step: Any
    inner_state: Any


def _select(flag, a, b):
    return wtree.map(lambda x, y: x if x is None else wnp.where(flag, x, y), a, b)


def _conditional(inner, should_transform_fn, forward_extra_args, reject):
    inner = with_extra_args_support(inner)

    def step_of(state, updates, params, extra_args):
        kwargs = extra_args if forward_extra_args else {}
        flag = should_transform_fn(state.step, **kwargs)
        new, new_inner = inner.update(updates, state.inner_state, params, **extra_args)
        if isinstance(flag, (bool, np.bool_)):  # a Python decision needs no selection
            return (new, new_inner) if flag else (reject(updates), state.inner_state)
        return (_select(flag, new, reject(updates)),
                _select(flag, new_inner, state.inner_state))

    return inner, step_of


def conditionally_transform(inner: GradientTransformation, should_transform_fn,
                            forward_extra_args: bool = False
                            ) -> GradientTransformationExtraArgs:
    """Apply ``inner`` at the steps where ``should_transform_fn(step)`` is true, and pass
    the updates through unchanged (the inner state kept) at the others
    (``optax.conditionally_transform``). The choice is a ``where`` selection, so a traced
    step works inside ``wire.jit``.

    >>> t = conditionally_transform(scale(2.0), lambda step: step >= 1)
    >>> u, s = t.update(np.ones(1), t.init(None))
    >>> u, t.update(np.ones(1), s)[0]
    (array([1.]), array([2.]))
    """
    inner, step_of = _conditional(inner, should_transform_fn, forward_extra_args,
                                  lambda u: u)

    def init(params):
        return ConditionallyTransformState(inner.init(params), np.zeros((), np.int32))

    def update(updates, state, params=None, **extra_args):
        new, new_inner = step_of(state, updates, params, extra_args)
        return new, ConditionallyTransformState(new_inner, safe_increment(state.step))

    return GradientTransformationExtraArgs(init, update)


def conditionally_mask(inner: GradientTransformation, should_transform_fn,
                       forward_extra_args: bool = False) -> GradientTransformationExtraArgs:
    """Apply ``inner`` at the steps where ``should_transform_fn(step)`` is true, and give
    zero updates (the inner state kept) at the others (``optax.conditionally_mask``).

    >>> t = conditionally_mask(scale(2.0), lambda step: step >= 1)
    >>> u, s = t.update(np.ones(1), t.init(None))
    >>> u, t.update(np.ones(1), s)[0]
    (array([0.]), array([2.]))
    """
    inner, step_of = _conditional(inner, should_transform_fn, forward_extra_args,
                                  lambda u: _map(wnp.zeros_like, u))

    def init(params):
        return ConditionallyMaskState(np.zeros((), np.int32), inner.init(params))

    def update(updates, state, params=None, **extra_args):
        new, new_inner = step_of(state, updates, params, extra_args)
        return new, ConditionallyMaskState(safe_increment(state.step), new_inner)

    return GradientTransformationExtraArgs(init, update)


# ------------------------------------------------------------------------------- freezing

def freeze(mask) -> GradientTransformation:
    """Zero the updates of the leaves where ``mask`` is true (``optax.freeze``:
    ``masked(set_to_zero(), mask)``).

    >>> t = freeze({"a": True, "b": False})
    >>> p = {"a": np.ones(1), "b": np.ones(1)}
    >>> t.update(p, t.init(p), p)[0]
    {'a': array([0.]), 'b': array([1.])}
    """
    return masked(set_to_zero(), mask)


def selective_transform(optimizer: GradientTransformation, *, freeze_mask
                        ) -> GradientTransformation:
    """``optimizer`` on the leaves where ``freeze_mask`` is false, zero updates where it is
    true (``optax.selective_transform``: a partition into ``"train"`` and ``"freeze"``).

    >>> t = selective_transform(sgd(0.1), freeze_mask={"a": True, "b": False})
    >>> p = {"a": np.ones(1), "b": np.ones(1)}
    >>> t.update(p, t.init(p), p)[0]
    {'a': array([0.]), 'b': array([-0.1])}
    """
    def labels(params):
        del params
        return wtree.map(lambda m: "freeze" if m else "train", freeze_mask)

    return partition({"train": optimizer, "freeze": set_to_zero()}, param_labels=labels)


def flatten(inner: GradientTransformation) -> GradientTransformationExtraArgs:
    """Run ``inner`` on the parameters raveled into one vector (``optax.flatten``: fewer,
    larger operations; ``inner``'s state is over that vector).

    >>> t = flatten(scale(2.0))
    >>> p = {"a": np.ones(2), "b": np.ones((1, 1))}
    >>> t.update(p, t.init(p))[0]
    {'a': array([2., 2.]), 'b': array([[2.]])}
    """
    inner = with_extra_args_support(inner)

    def rav(tree):
        leaves = wtree.leaves(tree)
        return wnp.concatenate([wnp.reshape(x, (-1,)) for x in leaves])

    def unrav(like, flat):
        leaves, td = wtree.flatten(like)
        out, start = [], 0
        for x in leaves:
            n = int(np.prod(wnp.shape(x), dtype=np.int64))
            out.append(wnp.reshape(flat[start:start + n], wnp.shape(x)))
            start += n
        return wtree.unflatten(td, out)

    def init(params):
        return inner.init(rav(params))

    def update(updates, state, params=None, **extra_args):
        if params is not None:
            params = rav(params)
        flat, state = inner.update(rav(updates), state, params, **extra_args)
        return unrav(updates, flat), state

    return GradientTransformationExtraArgs(init, update)


# ------------------------------------------------------------------------- gradient helpers

@custom_vjp
def _scaled(x, s):
    return x


def _scaled_fwd(x, s):
    return x, s


def _scaled_bwd(s, g):
    return (g * wnp.asarray(s, _dtype(g)), None)


_scaled.defvjp(_scaled_fwd, _scaled_bwd)


def scale_gradient(inputs, scale):
    """``inputs`` unchanged, with their gradient multiplied by ``scale`` on the way back
    (``optax.scale_gradient``; ``scale = 0`` is ``stop_gradient``).

    >>> import wire
    >>> float(wire.grad(lambda x: scale_gradient(x, 0.5) ** 2)(3.0))
    3.0
    """
    if isinstance(scale, (int, float)) and scale == 1.0:
        return inputs
    if isinstance(scale, (int, float)) and scale == 0.0:
        return wtree.map(wnp.stop_gradient, inputs)
    return wtree.map(lambda x: _scaled(x, scale), inputs)


def _batch_sizes(what, grads):
    leaves = wtree.leaves(grads)
    shapes = [tuple(wnp.shape(x)) for x in leaves]
    if not shapes or any(len(s) == 0 for s in shapes) or len({s[0] for s in shapes}) != 1:
        raise ShapeError(f"{what} expects every leaf of grads to have one batch dimension "
                         f"first; got shapes {shapes}{at(user_location())}")
    return shapes[0][0]


def per_example_global_norm_clip(grads, l2_norm_clip):
    """Clip each example's gradient (axis 0 of every leaf) to global norm ``l2_norm_clip``
    and sum over the examples; also the number of examples clipped
    (``optax.per_example_global_norm_clip``, as in DP-SGD).

    >>> g = [np.array([[3.0, 4.0], [0.3, 0.4]])]
    >>> s, n = per_example_global_norm_clip(g, 1.0)
    >>> s[0], int(n)
    (array([0.9, 1.2]), 1)
    """
    _batch_sizes("per_example_global_norm_clip", grads)
    leaves = wtree.leaves(grads)
    sq = 0.0
    for x in leaves:
        ax = tuple(range(1, wnp.ndim(x)))
        sq = sq + (wnp.sum(x * x, axis=ax) if ax else x * x)
    norms = wnp.sqrt(sq)
    mult = wnp.nan_to_num(wnp.minimum(l2_norm_clip / norms, 1.0), nan=1.0)
    clipped = wnp.sum(mult < 1.0)
    return wtree.map(lambda g: wnp.tensordot(wnp.asarray(mult, _dtype(g)), g, axes=1),
                     grads), clipped


def per_example_layer_norm_clip(grads, global_l2_norm_clip, uniform: bool = True):
    """Clip each example's gradient leaf by leaf, each leaf to its share of
    ``global_l2_norm_clip`` (equal shares with ``uniform``, else by leaf size), and sum over
    the examples; per leaf also the number of examples clipped
    (``optax.per_example_layer_norm_clip``).

    >>> s, n = per_example_layer_norm_clip([np.array([[3.0, 4.0]]), np.array([[1.0]])], 2.0)
    >>> [np.round(x, 6) for x in s], [int(k) for k in n]
    ([array([0.848528, 1.131371]), array([1.])], [1, 0])
    """
    _batch_sizes("per_example_layer_norm_clip", grads)
    leaves, td = wtree.flatten(grads)
    if uniform:
        clips = [global_l2_norm_clip * (1.0 / len(leaves)) ** 0.5 for _ in leaves]
    else:
        sizes = [int(np.prod(wnp.shape(x)[1:], dtype=np.int64)) for x in leaves]
        total = sum(sizes)
        clips = [global_l2_norm_clip * (s / total) ** 0.5 for s in sizes]
    pairs = [per_example_global_norm_clip(x, c) for x, c in zip(leaves, clips)]
    return (wtree.unflatten(td, [p[0] for p in pairs]),
            wtree.unflatten(td, [p[1] for p in pairs]))


def bias_correction(moment, decay, count):
    """``moment / (1 - decay**count)`` leaf by leaf, in each leaf's dtype
    (``optax.tree.bias_correction``).

    >>> bias_correction({"m": np.array([0.1])}, 0.9, 1)
    {'m': array([1.])}
    """
    return tree_bias_correction(moment, decay, count)


def update_moment(updates, moments, decay, order):
    """``(1 - decay) * g**order + decay * moment`` leaf by leaf (``optax.update_moment``).

    >>> update_moment(np.array([2.0]), np.array([1.0]), 0.5, 2)
    array([2.5])
    """
    return tree_update_moment(updates, moments, decay, order)


def update_moment_per_elem_norm(updates, moments, decay, order):
    """:func:`update_moment` with ``|g|**order`` for complex ``g``
    (``optax.update_moment_per_elem_norm``).

    >>> update_moment_per_elem_norm(np.array([1j]), np.array([0.0]), 0.5, 2)
    array([0.5])
    """
    return tree_update_moment_per_elem_norm(updates, moments, decay, order)


def update_infinity_moment(updates, moments, decay, eps):
    """``max(|g| + eps, decay * moment)`` leaf by leaf (``optax.update_infinity_moment``).

    >>> update_infinity_moment(np.array([-2.0]), np.array([3.0]), 0.5, 0.0)
    array([2.])
    """
    return tree_update_infinity_moment(updates, moments, decay, eps)


def power_iteration(matrix, *, v0=None, num_iters=100, error_tolerance=1e-6, precision=None,
                    key=None):
    """The dominant eigenvalue of a symmetric matrix (or of a linear map given as a
    function of a pytree, with ``v0``) and its unit eigenvector, by power iteration
    (``optax.power_iteration``). Stops after ``num_iters`` steps or when the eigenvalue
    changes by at most ``error_tolerance``. Without ``v0`` the start is uniform in
    ``[-1, 1)`` from ``key`` (``wire.random``; key 0 by default).

    >>> ev, v = power_iteration(np.diag([1.0, 3.0]))
    >>> round(float(ev), 6), np.abs(v).round(3)
    (3.0, array([0., 1.]))
    """
    del precision
    if callable(matrix):
        mvp = matrix
        if v0 is None:
            raise WireValueError("power_iteration: v0 must be given when matrix is a "
                                 "function" + at(user_location()))
    else:
        def mvp(v):
            return wnp.matmul(matrix, v)
        if v0 is None:
            k = random.key(0) if key is None else key
            v0 = random.uniform(k, shape=tuple(wnp.shape(matrix))[-1:],
                                dtype=_dtype(matrix), minval=-1.0, maxval=1.0)

    def normalize(t):
        n = global_norm(t)
        return wtree.map(lambda x: x / wnp.asarray(n, _dtype(x)), t)

    def vdot(a, b):
        return sum(wnp.sum(wnp.conj(x) * y) for x, y in zip(wtree.leaves(a), wtree.leaves(b)))

    def normalize_or(t, v):
        # M v = 0 (a zero matrix, or v in the null space): v is an eigenvector (of 0), kept,
        # where normalizing z = 0 gave 0/0 = NaN for the eigenvector and the eigenvalue
        n = global_norm(t)
        ok = n > 0
        safe = wnp.where(ok, n, 1.0)
        return wtree.map(lambda x, f: wnp.where(ok, x / wnp.asarray(safe, _dtype(x)), f), t, v)

    v0 = normalize(v0)

    def cond(c):  # Optax's test: the residual ||z - eig v|| relative to |eig| (or exactly 0)
        v, z, eig, i = c
        res = global_norm(wtree.map(lambda a, b: a - wnp.asarray(eig, _dtype(b)) * b, z, v))
        converged = wnp.logical_or(res == 0, wnp.abs(res / eig) < error_tolerance)
        return wnp.logical_and(wnp.logical_not(converged), i < num_iters)

    def body(c):
        v, z, _, i = c
        v = normalize_or(z, v)
        z = mvp(v)
        return v, z, vdot(v, z), i + 1

    z0 = mvp(v0)
    zero = wnp.asarray(0.0, _dtype(wtree.leaves(z0)[0]))
    v, z, eig, _ = while_loop(cond, body, (v0, z0, zero, np.asarray(0)))
    return eig, normalize_or(z, v)


def matrix_inverse_pth_root(matrix, p, num_iters=100, ridge_epsilon=1e-6, error_tolerance=1e-6,
                            precision=None):
    """``(matrix + ridge)^(-1/p)`` of a symmetric positive semi-definite matrix by the coupled
    Newton iteration (Shampoo's; ``optax.matrix_inverse_pth_root``), ``ridge`` being
    ``ridge_epsilon`` times the largest eigenvalue (from :func:`power_iteration`); also the
    last error ``max|M - I|``. ``p`` is 1, 2, 4 or 8. The iteration stops after ``num_iters``
    steps, at an error below ``error_tolerance``, or when the error grows (the previous
    iterate is kept then), as Optax's.

    >>> r, err = matrix_inverse_pth_root(np.diag([4.0, 16.0]), 2, ridge_epsilon=0.0)
    >>> np.round(r, 6)
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    del precision
    if p not in (1, 2, 4, 8):
        raise WireValueError(f"matrix_inverse_pth_root: p must be 1, 2, 4 or 8, got {p!r}"
                             + at(user_location()))
    shape = tuple(wnp.shape(matrix))
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ShapeError(f"matrix_inverse_pth_root needs a square matrix, got shape {shape}"
                         + at(user_location()))
    n = shape[0]
    dt = _dtype(matrix)
    alpha = float(np.float32(-1.0 / p))  # Optax's alpha is float32
    eye = np.eye(n, dtype=dt)
    max_ev, _ = power_iteration(matrix, num_iters=100, error_tolerance=1e-6)
    ridge = ridge_epsilon * wnp.maximum(max_ev, 1e-16)
    if n == 1:
        return (matrix + ridge) ** alpha, wnp.asarray(0.0, dt)

    def mat_power(m):
        out = m
        for _ in range(int(round(math.log2(p)))):
            out = wnp.matmul(out, out)
        return out

    def cond(state):
        i, _, _, _, error, run_step = state
        return wnp.logical_and(i < num_iters, wnp.logical_and(error > error_tolerance, run_step))

    def body(state):
        i, mat_m, mat_h, _, error, _ = state
        mat_m_i = (1 - alpha) * eye + alpha * mat_m
        new_m = wnp.matmul(mat_power(mat_m_i), mat_m)
        new_h = wnp.matmul(mat_h, mat_m_i)
        new_error = wnp.max(wnp.abs(new_m - eye))
        return i + 1, new_m, new_h, mat_h, new_error, new_error < error * 1.2

    damped = matrix + ridge * eye
    z = (1 + p) / (2 * wnp.sqrt(wnp.sum(damped * damped)))
    m0 = damped * z
    err0 = wnp.max(wnp.abs(m0 - eye))
    h0 = eye * z ** (1.0 / p)
    _, mat_m, mat_h, old_h, _, converged = while_loop(
        cond, body, (np.asarray(0), m0, h0, h0, err0, np.asarray(True)))
    error = wnp.max(wnp.abs(mat_m - eye))
    return wnp.where(converged, mat_h, old_h), error


class _ParamsPlaceholder:
    """Where a transformation's ``init`` puts the params: a pytree node without children, so
    ``init`` maps over it to another placeholder (Optax's trick in ``tree_map_params``)."""

    def __repr__(self):
        return "_ParamsPlaceholder()"


wtree.register(_ParamsPlaceholder, lambda p: ((), None), lambda aux, kids: _ParamsPlaceholder())


def _map_placeholders(marked, state, on_params, on_other):
    if isinstance(marked, _ParamsPlaceholder):
        return on_params(state)
    if isinstance(marked, dict) and isinstance(state, dict):
        return type(state)((k, _map_placeholders(marked[k], state[k], on_params, on_other))
                           for k in state)
    if isinstance(marked, (tuple, list)) and isinstance(state, (tuple, list)):
        kids = [_map_placeholders(a, b, on_params, on_other) for a, b in zip(marked, state)]
        if hasattr(type(state), "_fields"):
            return type(state)(*kids)
        return type(state)(kids)
    if state is None:
        return None
    return on_other(state)


def tree_map_params(initable, f, state, /, *rest, transform_non_params=None, is_leaf=None):
    """Apply ``f`` to the leaves of the parts of an optimizer ``state`` shaped like the
    params (moments, traces …), and ``transform_non_params`` (or nothing) to the other
    leaves (counts …) (``optax.tree_map_params``): e.g. to cast a state or to shard it.
    ``initable`` is the transformation (or its ``init``) that made ``state``; ``rest`` are
    trees of the params' structure whose leaves also go to ``f``.

    >>> import numpy as np
    >>> from wire import optim
    >>> opt = optim.adam(0.1)
    >>> s = opt.init({"w": np.ones(2)})
    >>> s32 = tree_map_params(opt, lambda x: x.astype(np.float32), s)
    >>> s32[0].mu["w"].dtype, s32[0].count.dtype
    (dtype('float32'), dtype('int32'))
    """
    init = initable.init if hasattr(initable, "init") else initable
    marked = init(_ParamsPlaceholder())
    return _map_placeholders(
        marked, state,
        lambda sub: wtree.map(f, sub, *rest, is_leaf=is_leaf),
        (lambda leaf: wtree.map(transform_non_params, leaf)) if transform_non_params
        else (lambda leaf: leaf))


def safe_int32_increment(count):
    """``count + 1`` as int32, staying at int32's largest value (``optax.safe_int32_increment``;
    :func:`safe_increment` for other dtypes).

    >>> safe_int32_increment(np.int32(2**31 - 1))
    array(2147483647, dtype=int32)
    """
    return safe_increment(wnp.asarray(count, np.int32))
