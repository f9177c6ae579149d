"""The optimizer protocol of ``wire.optim``: ``GradientTransformation``, ``chain``,
``apply_updates`` and the tree checks every transformation shares.

A ``GradientTransformation`` is a pair of pure functions: ``init(params) -> state`` and
``update(grads, state, params=None) -> (updates, new_state)``. States are immutable pytrees
(namedtuples of arrays and parameter-shaped trees), so a training step can be jitted with the
state as an ordinary argument and result.

>>> import numpy as np, wire
>>> opt = wire.optim.sgd(0.1)
>>> params = {"w": np.array([1.0, 2.0])}
>>> state = opt.init(params)
>>> updates, state = opt.update({"w": np.array([1.0, 1.0])}, state, params)
>>> wire.optim.apply_updates(params, updates)
{'w': array([0.9, 1.9])}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .. import numpy as wnp
from .. import tree as wtree
from ..errors import WireError, WireTypeError, at, user_location

__all__ = ["GradientTransformation", "chain", "apply_updates", "identity", "check_trees",
           "EmptyState", "named_chain", "GradientTransformationExtraArgs",
           "with_extra_args_support"]


class GradientTransformation(NamedTuple):
    """``init(params) -> state``; ``update(grads, state, params=None) -> (updates, state)``.

    >>> import numpy as np
    >>> from wire import optim
    >>> opt = optim.sgd(0.1)                           # a GradientTransformation
    >>> params = {"w": np.ones(2)}
    >>> updates, state = opt.update({"w": np.ones(2)}, opt.init(params), params)
    >>> optim.apply_updates(params, updates)
    {'w': array([0.9, 0.9])}
    """

    init: Callable
    update: Callable


class GradientTransformationExtraArgs(GradientTransformation):
    """A ``GradientTransformation`` whose ``update(grads, state, params=None, **extra_args)``
    takes keyword arguments beyond the params (Optax's): the loss ``value``, its ``grad``, a
    ``value_fn`` for a line search … :func:`chain` hands every extra argument to the parts of
    this type and none to the others.

    >>> import numpy as np
    >>> from wire import optim
    >>> opt = optim.with_extra_args_support(optim.sgd(0.1))
    >>> isinstance(opt, optim.GradientTransformationExtraArgs)
    True
    >>> opt.update(np.ones(1), opt.init(np.zeros(1)), None, value=3.0)[0]
    array([-0.1])
    """


def with_extra_args_support(tx: GradientTransformation) -> GradientTransformationExtraArgs:
    """``tx`` as a :class:`GradientTransformationExtraArgs` that ignores extra arguments
    (``tx`` itself when it already takes them).

    >>> import numpy as np
    >>> from wire import optim
    >>> t = with_extra_args_support(optim.scale(2.0))
    >>> t.update(np.ones(1), t.init(None), None, value=1.0, grad=np.ones(1))[0]
    array([2.])
    """
    if isinstance(tx, GradientTransformationExtraArgs):
        return tx
    _check_transformation("with_extra_args_support", tx)

    def update(grads, state, params=None, **extra_args):
        del extra_args
        return tx.update(grads, state, params)

    return GradientTransformationExtraArgs(tx.init, update)


class EmptyState(NamedTuple):
    """The state of a transformation that keeps none.

    >>> import numpy as np
    >>> from wire import optim
    >>> optim.scale(2.0).init({"w": np.ones(2)})
    EmptyState()
    """


def _shape(x):
    s = getattr(x, "shape", None)
    return tuple(s) if s is not None else np.shape(x)


def check_trees(what: str, a, a_name: str, b, b_name: str):
    """Raise ``WireError`` unless pytrees ``a`` and ``b`` have one structure and leaf shapes.

    >>> check_trees("update", {"w": 1.0}, "grads", {"v": 1.0}, "params")
    Traceback (most recent call last):
    ...
    wire.errors.WireError: update: grads and params have different structures: {'w': *} vs {'v': *}...
    """
    la, ta = wtree.flatten(a)
    lb, tb = wtree.flatten(b)
    if ta != tb:
        # (the hint about a state only where one of the trees is a state: apply_updates
        # compares updates with params)
        hint = ("Pass grads of the same params the state was made for "
                if "state" in f"{a_name} {b_name}".lower() else "Pass trees of one structure ")
        raise WireError(
            f"{what}: {a_name} and {b_name} have different structures: {ta!r} vs {tb!r}"
            f"{at(user_location())}. {hint}"
            "(wire.grad keeps the container types of its argument)."
        )
    for path, x, y in zip(wtree.leaf_paths(ta), la, lb):
        sx, sy = _shape(x), _shape(y)
        if None not in (sx, sy) and sx != sy:
            raise WireError(
                f"{what}: {a_name}{'' if path == '<root>' else path} has shape {sx} but "
                f"{b_name} has {sy}{at(user_location())}"
            )


def identity() -> GradientTransformation:
    """Leave the updates unchanged.

    >>> identity().update({"w": 1.0}, identity().init(None))[0]
    {'w': 1.0}
    """
    return GradientTransformation(lambda params: EmptyState(),
                                  lambda grads, state, params=None: (grads, state))


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply transformations in order; the state is the tuple of their states.

    Extra keyword arguments of ``update`` (``value=``, ``grad=``, ``value_fn=`` …) reach the
    parts that are :class:`GradientTransformationExtraArgs`; the others never see them. The
    chain is a ``GradientTransformationExtraArgs`` when one of its parts is.

    >>> import wire
    >>> opt = chain(wire.optim.clip_by_global_norm(1.0), wire.optim.sgd(0.5))
    >>> opt.update({"w": np.array([3.0, 4.0])}, opt.init({"w": np.zeros(2)}))[0]["w"]
    array([-0.3, -0.4])
    """
    kind = _kind_of(transforms)
    transforms = tuple(_extra_args_part("chain", t) for t in transforms)

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(grads, state, params=None, **extra_args):
        if not isinstance(state, tuple) or len(state) != len(transforms):
            raise WireError(f"chain: expected a state of {len(transforms)} parts"
                            f"{at(user_location())}")
        new_state = []
        for t, s in zip(transforms, state):
            grads, s = t.update(grads, s, params, **extra_args)
            new_state.append(s)
        return grads, tuple(new_state)

    return kind(init, update)


def _kind_of(transforms):
    """A chain is a ``GradientTransformationExtraArgs`` when a part is (Optax's chain always
    is); its ``update`` accepts extra arguments either way, and a chain of plain parts stays a
    plain ``GradientTransformation``, as ``sgd``, ``adam`` … were before."""
    parts = [t[1] if isinstance(t, tuple) and len(t) == 2 and isinstance(t[0], str) else t
             for t in transforms]
    return (GradientTransformationExtraArgs if any(
        isinstance(t, GradientTransformationExtraArgs) for t in parts)
        else GradientTransformation)


def _check_transformation(what, t):
    if not (callable(getattr(t, "init", None)) and callable(getattr(t, "update", None))):
        raise WireTypeError(f"{what}: expected a GradientTransformation (an init and an update "
                            f"function), got {type(t).__name__}{at(user_location())}")


def _extra_args_part(what, t):
    _check_transformation(what, t)
    return with_extra_args_support(t)


def apply_updates(params, updates):
    """``params + updates`` leaf by leaf, keeping each parameter's dtype.

    >>> apply_updates({"w": np.float32(1.0)}, {"w": 0.5})["w"].dtype
    dtype('float32')
    """
    check_trees("apply_updates", updates, "updates", params, "params")
    return wtree.map(lambda p, u: wnp.asarray(p + u, dtype=getattr(p, "dtype", None)),
                     params, updates)


def named_chain(*transforms) -> GradientTransformation:
    """:func:`chain` of ``(name, transformation)`` pairs; the state is a dict by name.

    >>> import wire
    >>> opt = named_chain(("clip", wire.optim.clip(1.0)), ("sgd", wire.optim.sgd(0.5)))
    >>> sorted(opt.init(np.zeros(1)))
    ['clip', 'sgd']
    >>> opt.update(np.array([3.0]), opt.init(np.zeros(1)))[0]
    array([-0.5])
    """
    names = [name for name, _ in transforms]
    if len(set(names)) != len(names):
        raise WireError(f"named_chain: names must be unique, got {names}{at(user_location())}")
    kind = _kind_of(transforms)
    transforms = [(name, _extra_args_part("named_chain", t)) for name, t in transforms]

    def init(params):
        return {name: t.init(params) for name, t in transforms}

    def update(grads, state, params=None, **extra_args):
        new = {}
        for name, t in transforms:
            grads, new[name] = t.update(grads, state[name], params, **extra_args)
        return grads, new

    return kind(init, update)
