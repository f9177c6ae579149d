"""``wire.optim``: optimizers as pure, composable gradient transformations (Optax's model).

An optimizer is a ``GradientTransformation(init, update)``: ``state = opt.init(params)``, then
each step ``updates, state = opt.update(grads, state, params)`` and
``params = wire.optim.apply_updates(params, updates)``. Nothing is mutated; states are
pytrees, so the whole step can be jitted.

- optimizers: ``sgd``, ``momentum``, ``nesterov``, ``adam``, ``adamw``, ``nadam``, ``nadamw``,
  ``amsgrad``, ``radam``, ``rmsprop``, ``adagrad``, ``lion``, ``adabelief``, ``lamb``, ``lars``,
  ``adafactor``, ``yogi``, ``adamax``, ``adamaxw``, ``adadelta``, ``novograd``, ``rprop``,
  ``sign_sgd``, ``signum``, ``noisy_sgd``, ``sm3``, ``fromage``, ``optimistic_gradient_descent``,
  ``adan``
- building blocks: ``chain``, ``scale``, ``scale_by_adam``, ``trace``, ``clip_by_global_norm``,
  ``clip``, ``add_decayed_weights``, ``ema``, ``centralize``, ``clip_by_block_rms``,
  ``scale_by_trust_ratio``, ``zero_nans``, ``keep_params_nonnegative``, ``adaptive_grad_clip``,
  ``apply_every``, ``named_chain`` …
- wrappers: ``masked``, ``multi_transform`` (``partition``), ``apply_if_finite``,
  ``MultiSteps``, ``inject_hyperparams``, ``lookahead``
- line searches and L-BFGS: ``lbfgs``, ``scale_by_lbfgs``, ``scale_by_zoom_linesearch``,
  ``scale_by_backtracking_linesearch``, ``value_and_grad_from_state``; ``update`` takes extra
  keyword arguments (``value=``, ``grad=``, ``value_fn=``) where the transformation is a
  ``GradientTransformationExtraArgs``; ``tree_utils`` holds the pytree arithmetic
- ``losses``: ``optax.losses``' per-example losses (``softmax_cross_entropy``,
  ``sigmoid_binary_cross_entropy``, ``huber_loss``, ``ctc_loss`` …), the common ones also at
  the top level as in Optax
- ``contrib``: ``schedule_free``, ``schedule_free_sgd``, ``schedule_free_adamw``,
  ``schedule_free_eval_params``, ``reduce_on_plateau``
- schedules: ``exponential_decay``, ``cosine_decay_schedule``, ``warmup_cosine_decay_schedule``,
  ``linear_schedule``, ``piecewise_constant_schedule``, ``cosine_onecycle_schedule``,
  ``sgdr_schedule``, ``warmup_exponential_decay_schedule`` …

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

from .adaptive import *
from .aliases import (adabelief, adadelta, adafactor, adagrad, adam, adamax, adamaxw, adamw, adan,
                      amsgrad, fromage, lamb, lars, lion, momentum, nadam, nadamw, nesterov,
                      noisy_sgd, novograd, optimistic_gradient_descent, radam, rmsprop, rprop,
                      sgd, sign_sgd, signum, sm3, yogi)
from .base import (EmptyState, GradientTransformation, GradientTransformationExtraArgs,
                   apply_updates, chain, check_trees, identity, named_chain,
                   with_extra_args_support)
from .schedules import *
from .transforms import *
from .wrappers import *
from .linesearch import *
from .quasi_newton import *
from .averaging import *
from .extras import *
from . import assignment, contrib, tree_utils, losses, projections, second_order, tree
from .losses import (convex_kl_divergence, cosine_distance, cosine_similarity, ctc_loss,
                     ctc_loss_with_forward_probs, generalized_kl_divergence, hinge_loss,
                     huber_loss, kl_divergence, l2_loss, log_cosh, ntxent,
                     safe_softmax_cross_entropy, sigmoid_binary_cross_entropy,
                     sigmoid_focal_loss, smooth_labels, softmax_cross_entropy,
                     softmax_cross_entropy_with_integer_labels, squared_error)
from . import adaptive as _adaptive, aliases as _aliases, schedules as _schedules
from . import wrappers as _wrappers, linesearch as _linesearch, quasi_newton as _lbfgs
from . import averaging as _averaging, extras as _extras
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
    "scale_by_radam", "ScaleByAmsgradState", "named_chain",
    "GradientTransformationExtraArgs", "with_extra_args_support", "ScaleByScheduleState",
    "WeightDecaySchedule", "ScaleState", "ClipState", "ClipByGlobalNormState",
    "AddDecayedWeightsState", "AdaptiveGradClipState",
]
__all__ += ["convex_kl_divergence", "cosine_distance", "cosine_similarity", "ctc_loss",
            "ctc_loss_with_forward_probs", "generalized_kl_divergence", "hinge_loss",
            "huber_loss", "kl_divergence", "l2_loss", "log_cosh", "ntxent",
            "safe_softmax_cross_entropy", "sigmoid_binary_cross_entropy", "sigmoid_focal_loss",
            "smooth_labels", "softmax_cross_entropy", "softmax_cross_entropy_with_integer_labels",
            "squared_error"]
__all__ += [n for n in _aliases.__all__ + _adaptive.__all__ + _wrappers.__all__
            + _schedules.__all__ + _linesearch.__all__ + _lbfgs.__all__ + _averaging.__all__
            + _extras.__all__
            if n not in __all__]

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
