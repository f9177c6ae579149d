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

import numpy as np

from .adaptive import (
    add_noise,
    clip_by_block_rms,
    ema,
    scale_by_adadelta,
    scale_by_adan,
    scale_by_adamax,
    scale_by_belief,
    scale_by_lars,
    scale_by_factored_rms,
    scale_by_lion,
    scale_by_novograd,
    scale_by_optimistic_gradient,
    scale_by_param_block_rms,
    scale_by_rprop,
    scale_by_sign,
    scale_by_sm3,
    scale_by_trust_ratio,
    scale_by_yogi,
)
from .base import GradientTransformation, chain, identity
from .transforms import (
    _add_scaled_params,
    add_decayed_weights,
    check_hyperparameter,
    scale,
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
           "nadam", "nadamw", "radam", "lion", "adabelief", "lamb", "lars", "adafactor", "yogi",
           "adamax", "adamaxw", "adadelta", "novograd", "rprop", "sign_sgd", "signum",
           "noisy_sgd", "sm3", "fromage", "optimistic_gradient_descent", "adan"]


def _no_momentum(momentum) -> bool:
    return momentum is None or (isinstance(momentum, (int, float)) and momentum == 0)


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
    check_hyperparameter("sgd", "momentum", 0.0 if momentum is None else momentum)
    # not `if momentum`: a momentum of 0.0 is the identity anyway, and an injected
    # (traced) momentum has no truth value
    head = (identity() if _no_momentum(momentum)
            else trace(momentum, nesterov, accumulator_dtype))
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
    check_hyperparameter("rmsprop", "momentum", 0.0 if momentum is None else momentum)
    tail = [] if _no_momentum(momentum) else [trace(momentum, nesterov)]
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


def _lr_chain(what, learning_rate, *transforms):
    check_hyperparameter(what, "learning_rate", learning_rate)
    return chain(*transforms, scale_by_learning_rate(learning_rate))


def lion(learning_rate, b1: float = 0.9, b2: float = 0.99, mu_dtype=None,
         weight_decay: float = 1e-3, mask=None) -> GradientTransformation:
    """Lion (Chen et al., 2023): step ``-lr (sign(b1 m + (1 - b1) g) + weight_decay * params)``
    with momentum ``m = b2 m + (1 - b2) g``. Optax's ``lion`` (signature and defaults); use a
    learning rate 3-10 times smaller than AdamW's.

    >>> import numpy as np
    >>> opt = lion(0.1, weight_decay=0.0)
    >>> p = np.zeros(2)
    >>> opt.update(np.array([2.0, -1e-9]), opt.init(p), p)[0]
    array([-0.1,  0.1])
    """
    check_hyperparameter("lion", "weight_decay", weight_decay)
    return _lr_chain("lion", learning_rate, scale_by_lion(b1, b2, mu_dtype),
                     add_decayed_weights(weight_decay, mask))


def adabelief(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-16,
              eps_root: float = 1e-16, *, nesterov: bool = False) -> GradientTransformation:
    """AdaBelief (Zhuang et al., 2020): Adam dividing by the spread of the gradient around its
    mean (see :func:`~wire.optim.scale_by_belief`); Optax's ``adabelief``.

    >>> import numpy as np
    >>> opt = adabelief(0.1)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0].round(6)
    array([-0.111111])
    """
    return _lr_chain("adabelief", learning_rate,
                     scale_by_belief(b1, b2, eps, eps_root, nesterov=nesterov))


def lamb(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-6,
         eps_root: float = 0.0, weight_decay: float = 0.0, mask=None) -> GradientTransformation:
    """LAMB (You et al., 2019): AdamW's direction scaled per leaf by the trust ratio
    ``||param|| / ||direction||``; Optax's ``lamb``.

    >>> import numpy as np
    >>> opt = lamb(0.1)
    >>> p = np.array([3.0, 4.0])
    >>> opt.update(np.array([1.0, -1.0]), opt.init(p), p)[0].round(6)
    array([-0.353553,  0.353553])
    """
    check_hyperparameter("lamb", "weight_decay", weight_decay)
    return _lr_chain("lamb", learning_rate, scale_by_adam(b1, b2, eps, eps_root),
                     add_decayed_weights(weight_decay, mask), scale_by_trust_ratio())


def lars(learning_rate, weight_decay: float = 0.0, weight_decay_mask=True,
         trust_coefficient: float = 0.001, eps: float = 0.0, trust_ratio_mask=True,
         momentum: float = 0.9, nesterov: bool = False) -> GradientTransformation:
    """LARS (You et al., 2017): SGD with momentum on ``g + weight_decay * w`` scaled per leaf by
    ``trust_coefficient * ||w|| / (||g|| + weight_decay * ||w|| + eps)`` (see
    :func:`~wire.optim.scale_by_lars`); Optax's ``lars`` signature, the momentum applied
    after the learning rate as there. Optax's ratio divides by ``||g + weight_decay * w||``
    (the paper's and TensorFlow's is this one); the two agree for ``weight_decay = 0``.

    >>> import numpy as np
    >>> opt = lars(1.0)
    >>> p = np.array([3.0, 4.0])
    >>> opt.update(np.array([0.0, 2.0]), opt.init(p), p)[0]
    array([ 0.   , -0.005])
    """
    check_hyperparameter("lars", "learning_rate", learning_rate)
    check_hyperparameter("lars", "weight_decay", weight_decay)
    check_hyperparameter("lars", "momentum", momentum)
    return chain(scale_by_lars(weight_decay, weight_decay_mask, trust_coefficient, eps,
                               trust_ratio_mask),
                 scale_by_learning_rate(learning_rate), trace(momentum, nesterov))


def adafactor(learning_rate=None, min_dim_size_to_factor: int = 128, decay_rate: float = 0.8,
              decay_offset: int = 0, multiply_by_parameter_scale: bool = True,
              clipping_threshold: float | None = 1.0, momentum: float | None = None,
              dtype_momentum=np.float32, weight_decay_rate=None, eps: float = 1e-30,
              factored: bool = True, weight_decay_mask=None) -> GradientTransformation:
    """Adafactor (Shazeer & Stern, 2018): a factored second moment for large matrices, update
    clipping by block RMS and a step relative to each parameter's RMS; Optax's ``adafactor``
    (``learning_rate=None`` leaves the relative step alone).

    >>> import numpy as np
    >>> opt = adafactor(0.1)
    >>> p = np.full(2, 0.5)
    >>> opt.update(np.array([3.0, -0.5]), opt.init(p), p)[0].round(6)
    array([-0.05,  0.05])
    """
    parts = [scale_by_factored_rms(factored, decay_rate, decay_offset, min_dim_size_to_factor,
                                   eps)]
    if clipping_threshold is not None:
        parts.append(clip_by_block_rms(clipping_threshold))
    if learning_rate is not None:
        check_hyperparameter("adafactor", "learning_rate", learning_rate)
        parts.append(scale_by_learning_rate(learning_rate, flip_sign=False))
    if multiply_by_parameter_scale:
        parts.append(scale_by_param_block_rms())
    if momentum is not None:
        parts.append(ema(momentum, debias=False, accumulator_dtype=dtype_momentum))
    if weight_decay_rate is not None:
        parts.append(add_decayed_weights(weight_decay_rate, weight_decay_mask))
    parts.append(scale(-1.0))
    return chain(*parts)


def yogi(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-3
         ) -> GradientTransformation:
    """Yogi (Zaheer et al., 2018): Adam with an additive second-moment update that cannot
    grow the step as fast (see :func:`~wire.optim.scale_by_yogi`); Optax's ``yogi``.

    >>> import numpy as np
    >>> opt = yogi(0.1, eps=0.0)     # nu = 1e-6 + 0.001 * 4: -0.1 * 2 / sqrt(4.001)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0].round(6)
    array([-0.099988])
    """
    return _lr_chain("yogi", learning_rate, scale_by_yogi(b1, b2, eps))


def adamax(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
           ) -> GradientTransformation:
    """AdaMax (Kingma & Ba, section 7): Adam with an infinity-norm second moment; Optax's
    ``adamax`` and torch's ``Adamax``.

    >>> import numpy as np
    >>> opt = adamax(0.1)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0]
    array([-0.1])
    """
    return _lr_chain("adamax", learning_rate, scale_by_adamax(b1, b2, eps))


def adamaxw(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
            weight_decay: float = 1e-4, mask=None) -> GradientTransformation:
    """AdaMax with decoupled weight decay, Optax's ``adamaxw``.

    >>> import numpy as np
    >>> opt = adamaxw(0.1, weight_decay=0.5)
    >>> p = np.array([2.0])
    >>> opt.update(np.array([2.0]), opt.init(p), p)[0]
    array([-0.2])
    """
    check_hyperparameter("adamaxw", "weight_decay", weight_decay)
    return _lr_chain("adamaxw", learning_rate, scale_by_adamax(b1, b2, eps),
                     add_decayed_weights(weight_decay, mask))


def adadelta(learning_rate=None, rho: float = 0.9, eps: float = 1e-6,
             weight_decay: float = 0.0, weight_decay_mask=None) -> GradientTransformation:
    """Adadelta (Zeiler, 2012), Optax's ``adadelta``. ``learning_rate=None`` is 1, the paper's
    method (and torch's default ``lr``); Optax fails on it.

    >>> import numpy as np
    >>> opt = adadelta(rho=0.5, eps=1e-4)
    >>> p = np.zeros(1)
    >>> opt.update(np.array([1.0]), opt.init(p), p)[0].round(6)
    array([-0.014141])
    """
    check_hyperparameter("adadelta", "weight_decay", weight_decay)
    return _lr_chain("adadelta", 1.0 if learning_rate is None else learning_rate,
                     add_decayed_weights(weight_decay, weight_decay_mask),
                     scale_by_adadelta(rho, eps))


def novograd(learning_rate, b1: float = 0.9, b2: float = 0.25, eps: float = 1e-6,
             eps_root: float = 0.0, weight_decay: float = 0.0) -> GradientTransformation:
    """NovoGrad (Ginsburg et al., 2019): layer-wise second moments (one per leaf) and
    momentum on the normalized gradient; Optax's ``novograd``.

    >>> import numpy as np
    >>> opt = novograd(0.1, eps=0.0)
    >>> p = np.zeros(2)
    >>> opt.update(np.array([3.0, 4.0]), opt.init(p), p)[0]
    array([-0.06, -0.08])
    """
    return _lr_chain("novograd", learning_rate,
                     scale_by_novograd(b1, b2, eps, eps_root, weight_decay))


def rprop(learning_rate, eta_minus: float = 0.5, eta_plus: float = 1.2,
          min_step_size: float = 1e-6, max_step_size: float = 50.0) -> GradientTransformation:
    """Rprop (iRprop-, torch's ``Rprop``): sign steps with per-element adaptive sizes starting
    at ``learning_rate`` (see :func:`~wire.optim.scale_by_rprop`; Optax's lag one step).

    >>> import numpy as np
    >>> opt = rprop(0.1)
    >>> opt.update(np.array([2.0, -3.0]), opt.init(np.zeros(2)))[0]
    array([-0.1,  0.1])
    """
    return chain(scale_by_rprop(learning_rate, eta_minus, eta_plus, min_step_size,
                                max_step_size), scale(-1.0))


def sign_sgd(learning_rate) -> GradientTransformation:
    """signSGD (Bernstein et al., 2018): step ``-lr * sign(g)``.

    >>> import numpy as np
    >>> sign_sgd(0.1).update(np.array([3.0, -1e-8]), sign_sgd(0.1).init(None))[0]
    array([-0.1,  0.1])
    """
    return _lr_chain("sign_sgd", learning_rate, scale_by_sign())


def signum(learning_rate, beta: float = 0.9, accumulator_dtype=None) -> GradientTransformation:
    """Signum (Bernstein et al., 2018): the sign of a momentum (an undebiased EMA of ``g``).

    >>> import numpy as np
    >>> opt = signum(0.1)
    >>> opt.update(np.array([3.0, -1e-8]), opt.init(np.zeros(2)))[0]
    array([-0.1,  0.1])
    """
    return _lr_chain("signum", learning_rate, ema(beta, False, accumulator_dtype),
                     scale_by_sign())


def noisy_sgd(learning_rate, eta: float = 0.01, gamma: float = 0.55, key=None, *, seed=None
              ) -> GradientTransformation:
    """SGD on gradients plus Gaussian noise of variance ``eta / t**gamma`` (Neelakantan et al.,
    2015). ``key``: an int seed or a ``wire.random`` key (default 0). The noise has Optax's
    distribution but not its numbers: ``wire.random`` is Philox-based, JAX's threefry.

    >>> import numpy as np
    >>> opt = noisy_sgd(0.1, eta=0.0)
    >>> opt.update(np.array([1.0]), opt.init(np.zeros(1)))[0]
    array([-0.1])
    """
    return _lr_chain("noisy_sgd", learning_rate, add_noise(eta, gamma, key, seed=seed))


def sm3(learning_rate, momentum: float = 0.9) -> GradientTransformation:
    """SM3 (Anil et al., 2019): Adagrad with per-axis accumulators (memory of the sum of the
    axes' lengths, not their product), with momentum; Optax's ``sm3``.

    >>> import numpy as np
    >>> opt = sm3(0.1, momentum=0.0)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)))[0].round(6)
    array([-0.1])
    """
    return _lr_chain("sm3", learning_rate, scale_by_sm3(momentum))


def fromage(learning_rate, min_norm: float = 1e-6) -> GradientTransformation:
    """Fromage (Bernstein et al., 2020): ``params <- (params - lr ||params|| / ||g|| g) /
    sqrt(1 + lr**2)`` per leaf; Optax's ``fromage``.

    >>> import numpy as np
    >>> opt = fromage(0.1)
    >>> p = np.array([3.0, 4.0])
    >>> (p + opt.update(np.array([0.0, 1.0]), opt.init(p), p)[0]).round(5)
    array([2.98511, 3.48263])
    """
    check_hyperparameter("fromage", "learning_rate", learning_rate)
    if callable(learning_rate):
        mult = lambda count: 1.0 / (1.0 + learning_rate(count) ** 2) ** 0.5  # noqa: E731
        lr = lambda count: mult(count) * learning_rate(count)  # noqa: E731
        shrink = lambda count: mult(count) - 1.0  # noqa: E731
    else:
        lr = learning_rate / (1.0 + learning_rate ** 2) ** 0.5
        shrink = 1.0 / (1.0 + learning_rate ** 2) ** 0.5 - 1.0
    # a negative decay on purpose: the step is divided by sqrt(1 + lr**2)
    return chain(scale_by_trust_ratio(min_norm), scale_by_learning_rate(lr),
                 _add_scaled_params(shrink, None))


def optimistic_gradient_descent(learning_rate, alpha: float = 1.0, beta: float = 1.0
                                ) -> GradientTransformation:
    """Optimistic gradient descent (Mokhtari et al., 2019) for min-max games: step
    ``-lr ((alpha + beta) g_t - beta g_{t-1})``; Optax's ``optimistic_gradient_descent``.

    >>> import numpy as np
    >>> opt = optimistic_gradient_descent(0.1)
    >>> u, s = opt.update(np.array([1.0]), opt.init(np.zeros(1)))
    >>> opt.update(np.array([3.0]), s)[0]
    array([-0.5])
    """
    return _lr_chain("optimistic_gradient_descent", learning_rate,
                     scale_by_optimistic_gradient(alpha, beta))


def adan(learning_rate, b1: float = 0.98, b2: float = 0.92, b3: float = 0.99,
         eps: float = 1e-8, eps_root: float = 1e-8, weight_decay: float = 0.0, mask=None
         ) -> GradientTransformation:
    """Adan (Xie et al., 2022): Nesterov momentum estimated from gradient differences (see
    :func:`~wire.optim.scale_by_adan`, which follows the paper where Optax 0.2.8 does not);
    Optax's ``adan`` signature, decoupled weight decay as ``adamw``'s.

    >>> import numpy as np
    >>> opt = adan(0.1, eps_root=0.0, eps=0.0)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)), np.zeros(1))[0]
    array([-0.1])
    """
    check_hyperparameter("adan", "weight_decay", weight_decay)
    return _lr_chain("adan", learning_rate, scale_by_adan(b1, b2, b3, eps, eps_root),
                     add_decayed_weights(weight_decay, mask))
