"""Transformations of transformations in ``wire.optim`` (Optax's wrappers): ``masked``,
``multi_transform`` (``partition``), ``apply_if_finite``, ``MultiSteps`` and
``inject_hyperparams``.

Their decisions (skip a non-finite step, emit every ``k`` steps) are ``where`` selections,
not Python branches, so they work on traced values inside ``wire.jit``. Masked-out leaves
are ``None`` in the wrapped transformation's view (an empty subtree, Optax's ``MaskedNode``).

>>> import numpy as np, wire
>>> opt = wire.optim.masked(wire.optim.sgd(0.1), {"w": True, "b": False})
>>> p = {"w": np.ones(1), "b": np.ones(1)}
>>> opt.update({"w": np.ones(1), "b": np.ones(1)}, opt.init(p), p)[0]
{'b': array([1.]), 'w': array([-0.1])}
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from .. import tree as wtree
from ..errors import WireError, WireTypeError, WireValueError, at, user_location
from .adaptive import safe_increment
from .base import (GradientTransformation, GradientTransformationExtraArgs,
                   with_extra_args_support)

__all__ = ["MaskedState", "masked", "PartitionState", "MultiTransformState", "partition",
           "multi_transform", "ApplyIfFiniteState", "apply_if_finite", "MultiStepsState",
           "MultiSteps", "skip_not_finite", "skip_large_updates", "InjectHyperparamsState",
           "InjectStatefulHyperparamsState",
           "inject_hyperparams"]


def _count0():
    return np.zeros((), dtype=np.int32)


def _flags(mask, tree, what):
    """One bool per leaf of ``tree``: ``mask`` is a pytree of bools with ``tree``'s
    structure or a prefix of it (``True`` alone masks in everything)."""
    try:
        full = wtree.map(lambda m, sub: wtree.map(lambda _: m, sub), mask, tree)
    except Exception as e:  # noqa: BLE001 - any structure mismatch
        raise WireError(f"{what}: the mask's structure {wtree.structure(mask)!r} is not a prefix "
                        f"of the updates' {wtree.structure(tree)!r}{at(user_location())}") from e
    flags = wtree.leaves(full)
    for f in flags:
        if not (isinstance(f, (bool, np.bool_)) or (
                isinstance(f, np.ndarray) and f.shape == () and f.dtype == np.bool_)):
            raise WireTypeError(f"{what}: mask leaves must be bools, got "
                                f"{type(f).__name__} {getattr(f, 'dtype', '')}"
                                f"{getattr(f, 'shape', '')}{at(user_location())}")
    return [bool(f) for f in flags]


def _mask_out(tree, flags):
    leaves, td = wtree.flatten(tree)
    return wtree.unflatten(td, [x if f else None for x, f in zip(leaves, flags)])


def _merge(inner, original, flags):
    """``original`` with its masked-in leaves replaced, in order, by ``inner``'s leaves."""
    new = iter(wtree.leaves(inner))
    leaves, td = wtree.flatten(original)
    return wtree.unflatten(td, [next(new) if f else x for x, f in zip(leaves, flags)])


class MaskedState(NamedTuple):
    """The state of the transformation :func:`masked` wraps (made for the masked-in leaves).

    >>> import numpy as np
    >>> from wire import optim
    >>> t = optim.masked(optim.trace(0.9), {"a": True, "b": False})
    >>> t.init({"a": np.ones(1), "b": np.ones(1)})
    MaskedState(inner_state=TraceState(trace={'a': array([0.]), 'b': None}))
    """

    inner_state: Any


def masked(inner: GradientTransformation, mask, *, mask_compatible_extra_args: bool = False
           ) -> GradientTransformation:
    """Apply ``inner`` to the leaves where ``mask`` is True; pass the others unchanged.

    ``mask`` is a pytree of bools like the params (or a prefix of them), or a function of the
    params (of the updates, in ``update``, as Optax's) returning one.

    >>> import numpy as np
    >>> from wire import optim
    >>> opt = masked(optim.scale(-1.0), lambda p: {k: k != "bias" for k in p})
    >>> opt.update({"w": np.ones(1), "bias": np.ones(1)}, opt.init({"w": 0, "bias": 0}))[0]
    {'bias': array([1.]), 'w': array([-1.])}
    """

    inner = with_extra_args_support(inner)

    def resolve(tree):
        return mask(tree) if callable(mask) else mask

    def init(params):
        flags = _flags(resolve(params), params, "masked")
        return MaskedState(inner.init(_mask_out(params, flags)))

    def update(grads, state, params=None, **extra_args):
        flags = _flags(resolve(grads), grads, "masked")
        if mask_compatible_extra_args:
            # (Optax's rule: an extra argument shaped like the updates is masked like them)
            td = wtree.structure(grads)
            extra_args = {k: _mask_out(v, flags) if wtree.structure(v) == td else v
                          for k, v in extra_args.items()}
        new, inner_state = inner.update(_mask_out(grads, flags), state.inner_state,
                                        None if params is None else _mask_out(params, flags),
                                        **extra_args)
        return _merge(new, grads, flags), MaskedState(inner_state)

    return GradientTransformationExtraArgs(init, update)


class PartitionState(NamedTuple):
    """The states of :func:`partition`'s transformations, by label.

    >>> import numpy as np
    >>> from wire import optim
    >>> opt = optim.partition({"a": optim.sgd(0.1), "b": optim.scale(0.0)}, {"w": "a", "v": "b"})
    >>> sorted(opt.init({"w": np.ones(1), "v": np.ones(1)}).inner_states)
    ['a', 'b']
    """

    inner_states: Any


MultiTransformState = PartitionState


def partition(transforms: dict, param_labels, *, mask_compatible_extra_args: bool = False
              ) -> GradientTransformation:
    """Apply ``transforms[label]`` to the leaves labelled ``label`` (Optax's ``partition``,
    also named ``multi_transform``). ``param_labels`` is a pytree of labels like the params
    (or a prefix), or a function of the params returning one.

    >>> import numpy as np
    >>> from wire import optim
    >>> opt = partition({"fast": optim.sgd(1.0), "slow": optim.sgd(0.1)},
    ...                 {"w": "fast", "b": "slow"})
    >>> p = {"w": np.ones(1), "b": np.ones(1)}
    >>> opt.update({"w": np.ones(1), "b": np.ones(1)}, opt.init(p), p)[0]
    {'b': array([-0.1]), 'w': array([-1.])}
    """
    transforms = dict(transforms)

    def labels_of(tree):
        labels = param_labels(tree) if callable(param_labels) else param_labels
        found = set(wtree.leaves(labels))
        if not found <= set(transforms):
            raise WireValueError(f"partition: labels {sorted(map(repr, found - set(transforms)))} "
                                 f"have no transformation (the transformations are for "
                                 f"{sorted(map(repr, transforms))}){at(user_location())}")
        return labels

    def group_mask(labels, group):
        return wtree.map(lambda label: label == group, labels)

    def init(params):
        labels = labels_of(params)
        return PartitionState({g: masked(t, group_mask(labels, g)).init(params)
                               for g, t in transforms.items()})

    def update(grads, state, params=None, **extra_args):
        labels = labels_of(grads)
        new = {}
        for g, t in transforms.items():
            grads, new[g] = masked(t, group_mask(labels, g), mask_compatible_extra_args=(
                mask_compatible_extra_args)).update(grads, state.inner_states[g], params,
                                                     **extra_args)
        return grads, PartitionState(new)

    return GradientTransformationExtraArgs(init, update)


multi_transform = partition


class ApplyIfFiniteState(NamedTuple):
    """Consecutive and total counts of non-finite updates, whether the last were finite, and
    the wrapped transformation's state.

    >>> import numpy as np
    >>> from wire import optim
    >>> s = optim.apply_if_finite(optim.sgd(0.1), 2).init(np.ones(1))
    >>> s.notfinite_count, s.last_finite, s.inner_state
    (array(0, dtype=int32), array(True), (EmptyState(), EmptyState()))
    """

    notfinite_count: Any
    last_finite: Any
    total_notfinite: Any
    inner_state: Any


def _all_finite(tree):
    ok = np.array(True)
    for x in wtree.leaves(tree):
        ok = wnp.logical_and(ok, wnp.all(wnp.isfinite(x)))
    return ok


def _select(flag, a, b):
    """``a`` where the scalar ``flag`` holds, else ``b``, leaf by leaf (dtypes of ``b``)."""
    return wtree.map(lambda x, y: wnp.asarray(wnp.where(flag, x, y), _dtype(y)), a, b)


def _dtype(x):
    return np.dtype(getattr(x, "dtype", None) or np.asarray(x).dtype)


def _zeros_tree(tree):
    return wtree.map(lambda x: wnp.zeros(wnp.shape(x), _dtype(x)), tree)


def apply_if_finite(inner: GradientTransformation, max_consecutive_errors: int
                    ) -> GradientTransformation:
    """Apply ``inner`` only to updates whose every element is finite; otherwise return zero
    updates and keep ``inner``'s state, unless that already happened more than
    ``max_consecutive_errors`` times in a row (then the non-finite updates go through).

    >>> import numpy as np
    >>> from wire import optim
    >>> opt = apply_if_finite(optim.sgd(0.1), 3)
    >>> u, s = opt.update(np.array([np.nan, 1.0]), opt.init(np.zeros(2)))
    >>> u, int(s.total_notfinite)
    (array([0., 0.]), 1)
    """

    inner = with_extra_args_support(inner)

    def init(params):
        return ApplyIfFiniteState(_count0(), np.array(True), _count0(), inner.init(params))

    def update(grads, state, params=None, **extra_args):
        finite = _all_finite(grads)
        notfinite = wnp.where(finite, _count0(), safe_increment(state.notfinite_count))
        apply = wnp.logical_or(finite, notfinite > max_consecutive_errors)
        new, inner_state = inner.update(grads, state.inner_state, params, **extra_args)
        return _select(apply, new, _zeros_tree(new)), ApplyIfFiniteState(
            wnp.asarray(notfinite, np.int32), wnp.asarray(finite, bool),
            wnp.asarray(wnp.where(finite, state.total_notfinite,
                                  safe_increment(state.total_notfinite)), np.int32),
            _select(apply, inner_state, state.inner_state))

    return GradientTransformationExtraArgs(init, update)


class MultiStepsState(NamedTuple):
    """:class:`MultiSteps`' counters, the wrapped state, the accumulated gradients and the
    state of its ``should_skip_update_fn``.

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.MultiSteps(optim.sgd(0.1), 2).init(np.ones(1)).acc_grads
    array([0.])
    """

    mini_step: Any
    gradient_step: Any
    inner_opt_state: Any
    acc_grads: Any
    skip_state: Any = ()


def skip_not_finite(updates, gradient_step, params):
    """A ``should_skip_update_fn`` for :class:`MultiSteps`: skip updates with a NaN or an
    infinity; its state counts the non-finite elements.

    >>> import numpy as np
    >>> skip, info = skip_not_finite(np.array([1.0, np.inf]), 0, None)
    >>> bool(skip), int(info["num_not_finite"])
    (True, 1)
    """
    count = np.zeros((), np.int32)
    for x in wtree.leaves(updates):
        count = count + wnp.asarray(wnp.sum(wnp.logical_not(wnp.isfinite(x))), np.int32)
    return wnp.asarray(count > 0, bool), {"should_skip": wnp.asarray(count > 0, bool),
                                          "num_not_finite": wnp.asarray(count, np.int32)}


def skip_large_updates(updates, gradient_step, params, max_squared_norm):
    """A ``should_skip_update_fn`` (with ``functools.partial`` for ``max_squared_norm``):
    skip updates whose squared norm exceeds it, or is NaN.

    >>> import numpy as np
    >>> skip, info = skip_large_updates(np.array([3.0, 4.0]), 0, None, 20.0)
    >>> bool(skip), float(info["norm_squared"])
    (True, 25.0)
    """
    sq = np.zeros((), np.float64)
    for x in wtree.leaves(updates):
        xr = wnp.asarray(x, np.result_type(_dtype(x), np.float32))
        sq = sq + wnp.sum(wnp.real(xr * wnp.conj(xr)))
    skip = wnp.logical_or(wnp.isnan(sq), sq > max_squared_norm)
    return wnp.asarray(skip, bool), {"should_skip": wnp.asarray(skip, bool), "norm_squared": sq}


class MultiSteps:
    """Accumulate gradients over ``k`` steps (``every_k_schedule``: an int or a function of
    the gradient step), then apply ``opt`` to their mean (or sum, ``use_grad_mean=False``);
    the steps in between return zero updates. Optax's ``MultiSteps``.

    ``accumulator_dtype`` defaults to ``None``: the gradients' dtype, at least float32 (Optax's
    default float32 accumulator rounds float64 gradients to float32); pass ``np.float32``
    for Optax's. The steps in between return zeros also when the gradients hold a NaN, and
    an emission resets the accumulator to zeros (Optax multiplies by 0: its in-between updates
    are then NaN, and so is every later accumulation).

    >>> import numpy as np
    >>> from wire import optim
    >>> opt = MultiSteps(optim.sgd(1.0), 2)
    >>> s = opt.init(np.zeros(1))
    >>> u, s = opt.update(np.array([1.0]), s)
    >>> u, opt.update(np.array([3.0]), s)[0]
    (array([0.]), array([-2.]))
    """

    def __init__(self, opt: GradientTransformation, every_k_schedule,
                 use_grad_mean: bool = True, should_skip_update_fn=None,
                 accumulator_dtype=None):
        self._opt = with_extra_args_support(opt)
        if isinstance(every_k_schedule, (int, np.integer)) and not isinstance(every_k_schedule,
                                                                             bool):
            if every_k_schedule < 1:
                raise WireValueError(f"MultiSteps: every_k_schedule must be >= 1, got "
                                     f"{every_k_schedule}{at(user_location())}")
            k = int(every_k_schedule)
            self._every_k_schedule = lambda step: k
        elif callable(every_k_schedule):
            self._every_k_schedule = every_k_schedule
        else:
            raise WireTypeError(f"MultiSteps: every_k_schedule must be an int or a function of "
                                f"the step, got {type(every_k_schedule).__name__}"
                                f"{at(user_location())}")
        self._use_grad_mean = use_grad_mean
        self._accumulator_dtype = None if accumulator_dtype is None else np.dtype(
            accumulator_dtype)
        self._should_skip_update_fn = should_skip_update_fn

    @property
    def inner_opt(self):
        """The wrapped transformation.

        >>> import numpy as np
        >>> from wire import optim
        >>> isinstance(MultiSteps(optim.sgd(0.1), 2).inner_opt, optim.GradientTransformation)
        True
        """
        return self._opt

    def _acc_dtype(self, x):
        if self._accumulator_dtype is not None:
            return self._accumulator_dtype
        return np.result_type(_dtype(x), np.float32)

    def _skip(self, updates, step, params):
        if self._should_skip_update_fn is None:
            return np.array(False), ()
        skip, info = self._should_skip_update_fn(updates, step, params)
        shape, dt = tuple(wnp.shape(skip)), _dtype(skip)
        if shape != () or dt != np.bool_:
            raise WireValueError(f"MultiSteps: should_skip_update_fn must return a bool scalar, "
                                 f"got dtype {dt} and shape {shape}{at(user_location())}")
        return skip, info

    def init(self, params):
        """The initial :class:`MultiStepsState`.

        >>> import numpy as np
        >>> from wire import optim
        >>> int(MultiSteps(optim.sgd(0.1), 2).init(np.ones(1)).mini_step)
        0
        """
        acc = wtree.map(lambda p: np.zeros(np.shape(p), self._acc_dtype(p)), params)
        _, skip_state = self._skip(_zeros_tree(params), _count0(), params)
        return MultiStepsState(_count0(), _count0(), self._opt.init(params), acc, skip_state)

    def update(self, updates, state, params=None, **extra_args):
        """Accumulate ``updates``; every ``k``-th call apply the wrapped transformation
        (extra keyword arguments go to it).

        >>> import numpy as np
        >>> from wire import optim
        >>> opt = MultiSteps(optim.sgd(1.0), 1)
        >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0]
        array([-2.])
        """
        k = self._every_k_schedule(state.gradient_step)
        skip, skip_state = self._skip(updates, state.gradient_step, params)
        n = state.mini_step
        if self._use_grad_mean:
            acc = wtree.map(lambda u, a: a + (u - a) / wnp.asarray(n + 1, _dtype(a)),
                            updates, state.acc_grads)
        else:
            acc = wtree.map(lambda u, a: a + u, updates, state.acc_grads)
        acc = wtree.map(lambda a, u: wnp.asarray(a, _dtype(u)), acc, updates)
        final, inner_state = self._opt.update(acc, state.inner_opt_state, params, **extra_args)
        emit = wnp.logical_and(state.mini_step == k - 1, wnp.logical_not(skip))
        take = wnp.logical_not(skip)
        mini = wnp.asarray(wnp.where(take, safe_increment(state.mini_step) % k,
                                     state.mini_step), np.int32)
        grad_step = wnp.asarray(wnp.where(emit, safe_increment(state.gradient_step),
                                          state.gradient_step), np.int32)
        # zeros after an emission, not 0 * acc (NaN forever after one NaN gradient, Optax's)
        new_acc = wtree.map(lambda a, old: wnp.asarray(
            wnp.where(emit, wnp.zeros_like(old), wnp.where(take, a, old)), _dtype(old)), acc,
            state.acc_grads)
        out = _select(emit, final, _zeros_tree(final))
        return out, MultiStepsState(mini, grad_step,
                                    _select(emit, inner_state, state.inner_opt_state),
                                    new_acc, skip_state)

    def has_updated(self, state) -> Any:
        """Whether the last ``update`` applied the wrapped transformation.

        >>> import numpy as np
        >>> from wire import optim
        >>> opt = MultiSteps(optim.sgd(1.0), 2)
        >>> bool(opt.has_updated(opt.init(np.zeros(1))))
        False
        """
        return wnp.logical_and(state.mini_step == 0, state.gradient_step > 0)

    def gradient_transformation(self) -> GradientTransformation:
        """This wrapper as a plain ``GradientTransformation(init, update)``.

        >>> import numpy as np
        >>> from wire import optim
        >>> t = MultiSteps(optim.sgd(0.1), 2).gradient_transformation()
        >>> isinstance(t, optim.GradientTransformation)
        True
        """
        return GradientTransformationExtraArgs(self.init, self.update)


class InjectStatefulHyperparamsState(NamedTuple):
    """The step count, the current hyperparameters (a dict: read them, or replace an entry
    to change one between steps), the step counts of the scheduled ones (Optax's
    ``hyperparams_states``) and the wrapped transformation's state.

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.inject_hyperparams(optim.sgd)(0.1).init(np.ones(1)).hyperparams
    {'learning_rate': array(0.1)}
    """

    count: Any
    hyperparams: Any
    hyperparams_states: Any
    inner_state: Any


InjectHyperparamsState = InjectStatefulHyperparamsState


def _highest_float(tree):
    """The widest real float dtype of ``tree``'s leaves, at least float32: Optax's float16
    hyperparameters round ``eps = 1e-8`` to 0 (Adam's zero gradients then give 0 / 0)."""
    dts = [_dtype(x) for x in wtree.leaves(tree) if _dtype(x).kind in "fc"]
    if not dts:
        return np.dtype(np.float64)
    dt = np.result_type(*dts, np.float32)
    return np.finfo(dt).dtype if dt.kind == "c" else dt


def _convert(v, dtype):
    dt = _dtype(v)
    return wnp.asarray(v, dtype) if dt.kind == "f" else wnp.asarray(v)


def inject_hyperparams(inner_factory, static_args=(), hyperparam_dtype=None):
    """Make an optimizer factory whose numeric hyperparameters live in the state (so they can
    be read, changed between steps, or traced in a jitted step) and whose schedule arguments
    are evaluated at each step, Optax's ``inject_hyperparams``. Bools and ``static_args``
    stay Python values; floats take the params' widest float dtype, at least float32 (Optax's
    float16 would make Adam's ``eps`` 0), or ``hyperparam_dtype``.

    >>> import numpy as np
    >>> from wire import optim
    >>> opt = inject_hyperparams(optim.sgd)(learning_rate=lambda n: 0.1 * (n + 1))
    >>> s = opt.init(np.zeros(1))
    >>> u, s = opt.update(np.array([1.0]), s)
    >>> u, float(s.hyperparams["learning_rate"])
    (array([-0.1]), 0.1)
    >>> opt.update(np.array([1.0]), s)[0]
    array([-0.2])
    """
    static_args = {static_args} if isinstance(static_args, str) else set(static_args)
    signature = inspect.signature(inner_factory)
    if not static_args <= set(signature.parameters):
        raise WireValueError(f"inject_hyperparams: static_args {sorted(static_args)} must name "
                             f"parameters of {getattr(inner_factory, '__name__', inner_factory)}"
                             f", which are {list(signature.parameters)}{at(user_location())}")

    def wrapped(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        schedules, numeric, other = {}, {}, {}
        for name, value in bound.arguments.items():
            if name in static_args or isinstance(value, (bool, np.bool_)):
                other[name] = value
            elif callable(value):
                schedules[name] = value
            elif isinstance(value, (int, float, np.ndarray, np.number)) or (
                    hasattr(value, "shape") and hasattr(value, "dtype")):
                numeric[name] = value
            else:
                other[name] = value

        def values_at(counts, dtype, hparams):
            out = {k: _convert(v, dtype) for k, v in hparams.items()}
            out.update({k: _convert(wnp.asarray(f(counts[k])), dtype)
                        for k, f in schedules.items()})
            return out

        def init(params):
            dtype = hyperparam_dtype or _highest_float(params)
            count = _count0()
            hp = values_at({k: count for k in schedules}, dtype, numeric)
            return InjectStatefulHyperparamsState(count, hp, {k: count for k in schedules},
                                                  inner_factory(**other, **hp).init(params))

        def update(grads, state, params=None, **extra_args):
            dtype = hyperparam_dtype or _highest_float(params if params is not None else grads)
            fixed = {k: v for k, v in state.hyperparams.items() if k not in schedules}
            hp = values_at(state.hyperparams_states, dtype, fixed)
            new, inner_state = with_extra_args_support(inner_factory(**other, **hp)).update(
                grads, state.inner_state, params, **extra_args)
            return new, InjectStatefulHyperparamsState(
                safe_increment(state.count), hp,
                {k: safe_increment(c) for k, c in state.hyperparams_states.items()}, inner_state)

        return GradientTransformationExtraArgs(init, update)

    wrapped.__name__ = getattr(inner_factory, "__name__", "inject_hyperparams")
    wrapped.__doc__ = inner_factory.__doc__
    return wrapped
