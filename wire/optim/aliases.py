"""The optimizers of ``wire.optim``, each a chain of transformations ending in a learning rate.

``learning_rate`` is a number or a schedule (``step -> value``, see ``schedules``). A
negative or NaN learning rate, momentum, decay, weight decay or ``eps``, and Adam's ``b1`` or
``b2`` outside ``[0, 1)``, raise ``wire.errors.WireValueError`` naming the argument (as
torch's optimizers refuse them): a negative rate ascends the loss, and ``b1 = 1`` made every
update NaN. Gradient ascent is ``chain(..., scale(-1.0))`` on purpose.

>>> import numpy as np, wire
>>> opt = wire.optim.adam(0.1)
>>> params = np.array([1.0, -1.0])
>>> updates, state = opt.update(np.array([0.5, -2.0]), opt.init(params), params)
>>> np.round(updates, 6)
array([-0.1,  0.1])
"""

from __future__ import annotations

from .base import GradientTransformation, chain, identity
from .transforms import (
    add_decayed_weights,
    check_hyperparameter,
    scale_by_adam,
    scale_by_amsgrad,
    scale_by_learning_rate,
    scale_by_radam,
    scale_by_rms,
    scale_by_stddev,
    scale_by_rss,
    trace,
)

__all__ = ["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad", "amsgrad",
           "nadam", "nadamw", "radam"]


def sgd(learning_rate, momentum: float | None = None, nesterov: bool = False,
        accumulator_dtype=None) -> GradientTransformation:
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    The same updates as ``torch.optim.SGD`` with ``dampening=0`` (and Optax's ``sgd``).
    torch's ``weight_decay`` (an L2 term added to the gradient) is
    ``chain(add_decayed_weights(wd), sgd(...))``. ``accumulator_dtype`` stores the momentum
    buffer in that dtype (Optax's option).

    >>> import numpy as np
    >>> sgd(0.1).update(np.array([1.0]), sgd(0.1).init(np.zeros(1)))[0]
    array([-0.1])
    """
    check_hyperparameter("sgd", "learning_rate", learning_rate)
    check_hyperparameter("sgd", "momentum", momentum or 0.0)
    head = trace(momentum, nesterov, accumulator_dtype) if momentum else identity()
    return chain(head, scale_by_learning_rate(learning_rate))


def momentum(learning_rate, beta: float = 0.9, nesterov: bool = False) -> GradientTransformation:
    """SGD with heavy-ball momentum ``beta``: ``t = g + beta t``, step ``-lr t``.

    >>> import numpy as np
    >>> opt = momentum(1.0, 0.5)
    >>> u, s = opt.update(np.array([1.0]), opt.init(np.zeros(1)))
    >>> opt.update(np.array([1.0]), s)[0]
    array([-1.5])
    """
    return sgd(learning_rate, beta, nesterov)


def nesterov(learning_rate, beta: float = 0.9) -> GradientTransformation:
    """SGD with Nesterov momentum: step ``-lr (g + beta t)`` with ``t = g + beta t``.

    >>> import numpy as np
    >>> opt = nesterov(1.0, 0.5)
    >>> opt.update(np.array([1.0]), opt.init(np.zeros(1)))[0]
    array([-1.5])
    """
    return sgd(learning_rate, beta, nesterov=True)


def adam(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         eps_root: float = 0.0, mu_dtype=None, *, nesterov: bool = False
         ) -> GradientTransformation:
    """Adam (Kingma & Ba): bias-corrected first and second moments, ``eps`` outside the
    square root; the defaults and the update are torch's ``Adam`` and Optax's ``adam``
    (signature included: ``mu_dtype`` stores the first moment in that dtype, ``nesterov``
    gives :func:`nadam`).

    >>> import numpy as np
    >>> opt = adam(0.01)
    >>> opt.update(np.array([3.0]), opt.init(np.zeros(1)))[0].round(6)
    array([-0.01])
    """
    check_hyperparameter("adam", "learning_rate", learning_rate)
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
                 scale_by_learning_rate(learning_rate))


def adamw(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          eps_root: float = 0.0, mu_dtype=None, weight_decay: float = 1e-4, mask=None, *,
          nesterov: bool = False) -> GradientTransformation:
    """Adam with decoupled weight decay: step ``-lr (adam_direction + weight_decay * params)``.

    The same update as torch's ``AdamW`` (which first scales params by
    ``1 - lr * weight_decay``) and Optax's ``adamw``, whose signature this is.
    ``weight_decay`` defaults to Optax's 1e-4; torch's default is 1e-2. Pass it by name:
    the arguments before it are Optax's order (``eps_root``, ``mu_dtype``).

    ``mask`` (bools like params, or ``params -> mask``) selects the leaves that decay;
    ``nesterov=True`` is :func:`nadamw`.

    >>> import numpy as np
    >>> opt = adamw(0.1, weight_decay=0.5)
    >>> p = np.array([2.0])
    >>> opt.update(np.array([1.0]), opt.init(p), p)[0].round(6)
    array([-0.2])
    """
    check_hyperparameter("adamw", "learning_rate", learning_rate)
    check_hyperparameter("adamw", "weight_decay", weight_decay)
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
                 add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))


def nadam(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          eps_root: float = 0.0, mu_dtype=None, *, nesterov: bool = True
          ) -> GradientTransformation:
    """NAdam (Dozat): Adam with a Nesterov look-ahead first moment, Optax's ``nadam``.

    At step ``t`` the direction's numerator is
    ``b1 * m / (1 - b1**(t+1)) + (1 - b1) * g / (1 - b1**t)``. torch's ``NAdam`` adds a
    momentum schedule ``b1 * (1 - 0.5 * 0.96**(t * momentum_decay))``; with a huge
    ``momentum_decay`` (1e9: the schedule is ``b1`` from the first step) its updates are these.

    >>> import numpy as np
    >>> opt = nadam(0.1)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0].round(6)
    array([-0.147368])
    """
    check_hyperparameter("nadam", "learning_rate", learning_rate)
    return adam(learning_rate, b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov)


def nadamw(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
           eps_root: float = 0.0, mu_dtype=None, weight_decay: float = 1e-4, mask=None, *,
           nesterov: bool = True) -> GradientTransformation:
    """NAdam with decoupled weight decay, Optax's ``nadamw``: :func:`adamw` with the
    look-ahead moment of :func:`nadam`. torch's ``NAdam(decoupled_weight_decay=True)`` with a
    huge ``momentum_decay`` gives the same updates.

    >>> import numpy as np
    >>> opt = nadamw(0.1, weight_decay=0.5)
    >>> p = np.array([2.0])
    >>> opt.update(np.array([2.0]), opt.init(p), p)[0].round(6)
    array([-0.247368])
    """
    check_hyperparameter("nadamw", "learning_rate", learning_rate)
    check_hyperparameter("nadamw", "weight_decay", weight_decay)
    return adamw(learning_rate, b1, b2, eps, eps_root, mu_dtype, weight_decay, mask,
                 nesterov=nesterov)


def amsgrad(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
            eps_root: float = 0.0, mu_dtype=None, bias_correction_mu: bool = True,
            bias_correction_nu: bool = True, *, correct_max: bool = False
            ) -> GradientTransformation:
    """AMSGrad (Reddi et al.): Adam dividing by the running maximum of the second moment, so
    the effective step size never grows. Optax's ``amsgrad`` (signature and updates: the
    maximum of the bias-corrected moments). ``correct_max=True`` keeps the maximum of the raw
    moments and bias-corrects it, torch's ``Adam(amsgrad=True)`` (see
    :func:`~wire.optim.scale_by_amsgrad`).

    >>> import numpy as np
    >>> opt = amsgrad(0.1)
    >>> u, s = opt.update(np.array([2.0]), opt.init(np.zeros(1)))
    >>> u, s = opt.update(np.array([0.0]), s)
    >>> u.round(6)
    array([-0.047368])
    """
    check_hyperparameter("amsgrad", "learning_rate", learning_rate)
    return chain(scale_by_amsgrad(b1, b2, eps, eps_root, mu_dtype, bias_correction_mu,
                                  bias_correction_nu, correct_max=correct_max),
                 scale_by_learning_rate(learning_rate))


def radam(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          eps_root: float = 0.0, threshold: float = 5.0, *, nesterov: bool = False
          ) -> GradientTransformation:
    """RAdam (Liu et al.): momentum SGD for the first steps, then Adam with a rectified step
    size; Optax's ``radam`` (see :func:`~wire.optim.scale_by_radam`; torch's ``RAdam`` gives
    the same updates for ``eps = 0``).

    >>> import numpy as np
    >>> opt = radam(0.1)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0]
    array([-0.2])
    """
    check_hyperparameter("radam", "learning_rate", learning_rate)
    return chain(scale_by_radam(b1, b2, eps, eps_root, threshold, nesterov=nesterov),
                 scale_by_learning_rate(learning_rate))


def rmsprop(learning_rate, decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0,
            eps_in_sqrt: bool = True, centered: bool = False, momentum: float | None = None,
            nesterov: bool = False, bias_correction: bool = False) -> GradientTransformation:
    """RMSprop: divide by a running root-mean-square of gradients (optional momentum).

    Optax's ``rmsprop``, signature and defaults: ``g / sqrt(nu + eps)`` with ``decay=0.9``;
    ``centered`` subtracts the squared running mean of ``g`` from ``nu``
    (:func:`scale_by_stddev`). torch's ``RMSprop(alpha=decay, eps=eps)`` puts ``eps`` outside
    the root: ``rmsprop(..., eps_in_sqrt=False)`` gives its updates (torch's ``alpha``
    defaults to 0.99).

    >>> import numpy as np
    >>> opt = rmsprop(0.1, decay=0.0)
    >>> opt.update(np.array([4.0]), opt.init(np.zeros(1)))[0].round(6)
    array([-0.1])
    """
    check_hyperparameter("rmsprop", "learning_rate", learning_rate)
    check_hyperparameter("rmsprop", "decay", decay, 0.0, 1.0, high_open=False)
    check_hyperparameter("rmsprop", "eps", eps)
    check_hyperparameter("rmsprop", "momentum", momentum or 0.0)
    tail = [trace(momentum, nesterov)] if momentum else []
    direction = scale_by_stddev if centered else scale_by_rms
    return chain(direction(decay, eps, initial_scale, eps_in_sqrt, bias_correction), *tail,
                 scale_by_learning_rate(learning_rate))


def adagrad(learning_rate, initial_accumulator_value: float = 0.1, eps: float = 1e-7
            ) -> GradientTransformation:
    """Adagrad: divide by the root of the running sum of squared gradients.

    Optax's convention: ``g / sqrt(sum + eps)``, the sum starting at
    ``initial_accumulator_value`` (defaults 0.1 and 1e-7). torch's ``Adagrad`` computes
    ``g / (sqrt(sum) + eps)`` from a sum starting at 0 with ``eps=1e-10``;
    ``adagrad(lr, 0.0, 0.0)`` and ``torch.optim.Adagrad(lr=lr, eps=0)`` give the same updates.

    >>> import numpy as np
    >>> opt = adagrad(1.0, 0.0, 0.0)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0]
    array([-1.])
    """
    check_hyperparameter("adagrad", "learning_rate", learning_rate)
    check_hyperparameter("adagrad", "initial_accumulator_value", initial_accumulator_value)
    check_hyperparameter("adagrad", "eps", eps)
    return chain(scale_by_rss(initial_accumulator_value, eps),
                 scale_by_learning_rate(learning_rate))
