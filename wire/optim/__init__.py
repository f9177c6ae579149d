"""``wire.optim``: optimizers as pure, composable gradient transformations (Optax's model).

An optimizer is a ``GradientTransformation(init, update)``: ``state = opt.init(params)``, then
each step ``updates, state = opt.update(grads, state, params)`` and
``params = wire.optim.apply_updates(params, updates)``. Nothing is mutated; states are
pytrees, so the whole step can be jitted.

- optimizers: ``sgd``, ``momentum``, ``nesterov``, ``adam``, ``adamw``, ``nadam``, ``nadamw``,
  ``amsgrad``, ``radam``, ``rmsprop``, ``adagrad``
- building blocks: ``chain``, ``scale``, ``scale_by_adam``, ``trace``, ``clip_by_global_norm``,
  ``clip``, ``add_decayed_weights`` …
- schedules: ``exponential_decay``, ``cosine_decay_schedule``, ``warmup_cosine_decay_schedule``,
  ``linear_schedule``, ``piecewise_constant_schedule`` …

>>> import numpy as np, wire
>>> loss = lambda w: ((w - 3.0) ** 2).sum()
>>> opt = wire.optim.adam(0.1)
>>> w = np.zeros(2)
>>> state = opt.init(w)
>>> for _ in range(200):
...     updates, state = opt.update(wire.grad(loss)(w), state, w)
...     w = wire.optim.apply_updates(w, updates)
>>> np.round(w, 2)
array([3., 3.])
"""

from .aliases import (adagrad, adam, adamw, amsgrad, momentum, nadam, nadamw, nesterov, radam,
                      rmsprop, sgd)
from .base import EmptyState, GradientTransformation, apply_updates, chain, check_trees, identity
from .schedules import *
from .transforms import *
from ..tracebacks import expose

__all__ = [
    "CountState", "EmptyState", "GradientTransformation", "ScaleByAdamState", "ScaleByRmsState",
    "ScaleByRssState", "TraceState", "adagrad", "adam", "adamw", "add_decayed_weights",
    "apply_updates", "chain", "check_trees", "clip", "clip_by_global_norm", "constant_schedule",
    "cosine_decay_schedule", "exponential_decay", "global_norm", "identity", "join_schedules",
    "linear_schedule", "momentum", "nesterov", "piecewise_constant_schedule",
    "polynomial_schedule", "rmsprop", "scale", "scale_by_adam", "scale_by_learning_rate",
    "scale_by_rms", "scale_by_rss", "scale_by_schedule", "scale_by_stddev", "sgd", "trace",
    "warmup_cosine_decay_schedule", "ScaleByRmsWithCountState", "ScaleByRStdDevState",
    "ScaleByRStdDevWithCountState", "amsgrad", "nadam", "nadamw", "radam", "scale_by_amsgrad",
    "scale_by_radam", "ScaleByAmsgradState",
]

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
