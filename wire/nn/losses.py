"""Loss functions of ``wire.nn``. Each returns the mean over examples by default
(``reduction="mean"``; also ``"sum"`` and ``"none"`` for per-example values).

>>> import numpy as np
>>> from wire.nn import softmax_cross_entropy
>>> round(float(softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))), 4)
1.3863
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from ..errors import ShapeError, WireError, WireValueError, at, user_location
from ..tree import leaves
from .activations import log_softmax, softplus
from .base import check_index_range, known_value, nan_where_invalid

__all__ = [
    "softmax_cross_entropy", "softmax_cross_entropy_onehot", "binary_cross_entropy_with_logits",
    "mse", "huber", "accuracy", "l2_norm_squared",
]


def _reduce(x, reduction: str):
    if reduction == "mean":
        return wnp.mean(x)
    if reduction == "sum":
        return wnp.sum(x)
    if reduction == "none":
        return x
    raise WireError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
                    + at(user_location()))


def _floating(x):
    """An integer or boolean array as float64 (NumPy's default float); floats unchanged. The
    arithmetic of these losses wrapped around in a narrow integer dtype: ``mse`` of int8 100
    and -100 was 34 (``200`` is ``-56`` in int8), ``binary_cross_entropy_with_logits`` of
    int8 -128 was 2.6e-56 (``-(-128)`` is -128 in int8); torch and Optax refuse integers."""
    dt = getattr(x, "dtype", None)
    if dt is not None and np.dtype(dt).kind in "iub":
        return wnp.asarray(x, np.float64)
    return x


def _same_shape(what, a, b):
    sa, sb = wnp.shape(a), wnp.shape(b)
    if sa is not None and sb is not None and tuple(sa) != tuple(sb):
        raise ShapeError(f"{what}: shapes {tuple(sa)} and {tuple(sb)} differ{at(user_location())}")


def softmax_cross_entropy(logits, labels, reduction: str = "mean"):
    """Cross-entropy of ``softmax(logits)`` against integer class ``labels``
    (``torch.nn.functional.cross_entropy`` with integer targets).

    ``logits`` has shape ``batch + (classes,)``, ``labels`` integer shape ``batch``. The label
    is picked by a one-hot product (its gradient is a multiply, not a scatter).

    A label outside ``[0, classes)`` is an error: ``wire.WireError`` when the labels are
    concrete (torch raises too; ``-1`` does not pick the last class). Traced labels whose
    values are unknown (arguments of a jitted or transformed function) cannot raise, so such
    an example's loss is NaN, and so is its gradient, and a mean over it is NaN, rather than
    a silent 0 (JAX's ``take_along_axis(mode="fill")`` also gives NaN). torch's
    ``ignore_index`` has no equivalent: drop those rows, or use ``reduction="none"`` and a
    mask.

    >>> round(float(softmax_cross_entropy(np.array([[0.0, 10.0]]), np.array([1]))), 5)
    5e-05
    >>> softmax_cross_entropy(np.zeros((1, 3)), np.array([3]))
    Traceback (most recent call last):
    ...
    wire.errors.WireError: softmax_cross_entropy: label 3 at position (0,) is outside [0, 3)...
    """
    ls, ys = wnp.shape(logits), wnp.shape(labels)
    if ls is not None and ys is not None and tuple(ls[:-1]) != tuple(ys):
        raise ShapeError(
            f"softmax_cross_entropy: labels of shape {tuple(ys)} do not match logits of shape "
            f"{tuple(ls)} (expected labels of shape {tuple(ls[:-1])}){at(user_location())}"
        )
    ydt = labels.dtype if hasattr(labels, "dtype") else np.asarray(labels).dtype
    if np.dtype(ydt).kind not in "iub":
        raise WireError(
            f"softmax_cross_entropy needs integer labels, got {ydt}; for one-hot or soft labels "
            f"use softmax_cross_entropy_onehot{at(user_location())}"
        )
    n = ls[-1]
    logp = log_softmax(logits)
    values = known_value(labels)
    if values is not None:
        check_index_range("softmax_cross_entropy", values, n, "label")
        onehot = np.expand_dims(values, -1) == np.arange(n)
        return _reduce(-wnp.sum(wnp.where(onehot, logp, 0.0), axis=-1), reduction)
    valid = wnp.logical_and(labels >= 0, labels < n)
    onehot = wnp.expand_dims(wnp.where(valid, labels, 0), -1) == np.arange(n)
    picked = wnp.sum(wnp.where(onehot, logp, 0.0), axis=-1)
    return _reduce(-picked * nan_where_invalid(valid, logp.dtype), reduction)


def _weighted(w, v):
    """``w * v`` with ``0 * inf`` taken as 0: a zero weight drops its term, whatever the term
    (as ``xlogy``). The derivative in ``w`` is held at 0 there (the term's ``inf`` is no
    derivative), and the one in ``v`` is ``w = 0``."""
    drop = wnp.logical_and(w == 0, wnp.isinf(v))
    return w * wnp.where(drop, 0.0, v)


def softmax_cross_entropy_onehot(logits, targets, reduction: str = "mean"):
    """Cross-entropy of ``softmax(logits)`` against probability ``targets`` (one-hot or soft).

    A class with target 0 adds nothing, even where its logit is ``-inf`` (a masked class) and
    its log-probability ``-inf``: the loss stays finite, as the integer-label form's does
    (torch and a plain ``-sum(targets * log_softmax(logits))`` give NaN there).

    >>> round(float(softmax_cross_entropy_onehot(np.zeros((1, 2)), np.array([[1.0, 0.0]]))), 4)
    0.6931
    >>> float(softmax_cross_entropy_onehot(np.array([[-np.inf, 0.0]]), np.array([[0.0, 1.0]])))
    0.0
    """
    _same_shape("softmax_cross_entropy_onehot", logits, targets)
    return _reduce(_soft_cross_entropy(logits, targets), reduction)


def _soft_cross_entropy(logits, targets, axis=-1, where=None):
    """Per-example ``-sum(targets * log_softmax(logits))`` over ``axis``, entries where
    ``where`` is False left out, and a zero target's term 0 even where its log-probability is
    ``-inf`` (``wire.optim.losses.softmax_cross_entropy`` is this too)."""
    if where is None:
        return -wnp.sum(_weighted(targets, log_softmax(logits, axis=axis)), axis=axis)
    terms = _weighted(targets, log_softmax(logits, axis=axis, where=where))
    return -wnp.sum(wnp.where(where, terms, 0.0), axis=axis)


def binary_cross_entropy_with_logits(logits, targets, reduction: str = "mean"):
    """Binary cross-entropy of ``sigmoid(logits)`` against ``targets`` in [0, 1], stably
    (``torch.nn.functional.binary_cross_entropy_with_logits``).

    Computed as ``t * softplus(-x) + (1 - t) * softplus(x)``: each term keeps its relative
    accuracy (``softplus(x) - x * t`` loses all of it when ``x`` is large and ``t = 1``), and
    the gradient is exactly ``sigmoid(x) - t``. A term whose weight (``t`` or ``1 - t``) is
    0 adds nothing even when its ``softplus`` is infinite, so ``x = inf`` with ``t = 1``
    (and ``x = -inf`` with ``t = 0``) gives loss 0, not NaN (torch gives NaN).

    >>> round(float(binary_cross_entropy_with_logits(np.array([0.0]), np.array([1.0]))), 4)
    0.6931
    >>> float(binary_cross_entropy_with_logits(np.array([40.0]), np.array([1.0])))
    4.248354255291589e-18
    >>> float(binary_cross_entropy_with_logits(np.array([np.inf]), np.array([1.0])))
    0.0
    """
    _same_shape("binary_cross_entropy_with_logits", logits, targets)
    logits, targets = _floating(logits), _floating(targets)
    return _reduce(_weighted(targets, softplus(-logits))
                   + _weighted(1.0 - targets, softplus(logits)), reduction)


def mse(predictions, targets, reduction: str = "mean"):
    """Mean squared error. Integer (and boolean) inputs are taken as float64, so their
    differences do not wrap around (as in every loss here).

    >>> float(mse(np.array([1.0, 3.0]), np.array([0.0, 0.0])))
    5.0
    """
    _same_shape("mse", predictions, targets)
    predictions, targets = _floating(predictions), _floating(targets)
    d = predictions - targets
    return _reduce(d * d, reduction)


def huber(predictions, targets, delta: float = 1.0, reduction: str = "mean"):
    """Huber loss: quadratic within ``delta`` of the target, linear outside.

    Written with ``where`` on ``|d| <= delta`` rather than ``min(|d|, delta)``, so its second
    derivative at ``d = 0`` is 1 (``abs`` would make it 0). At ``|d| = delta`` (a genuine kink
    of the second derivative) it takes the quadratic side, 1, as torch's double backward does.
    The quadratic side sees ``d`` only where it is chosen, so an infinite ``d`` has the linear
    side's derivative ``delta * sign(d)`` (as torch), not the NaN of ``inf * 0``.

    >>> huber(np.array([0.5, 3.0]), np.zeros(2), reduction="none")
    array([0.125, 2.5  ])
    >>> import wire
    >>> wire.grad(huber)(np.array([np.inf, -np.inf]), np.zeros(2))
    array([ 0.5, -0.5])

    ``delta`` must be positive (``wire.errors.WireValueError`` otherwise; with ``delta = 0``
    every loss was 0).
    """
    _same_shape("huber", predictions, targets)
    if isinstance(delta, (int, float, np.integer, np.floating)) and not delta > 0:
        # delta = 0 made every loss 0 (torch refuses non-positive deltas too)
        raise WireValueError(f"huber: delta must be positive, got {delta!r}"
                             f"{at(user_location())}")
    d = _floating(predictions) - _floating(targets)
    a = wnp.abs(d)
    inside = a <= delta  # False for NaN, which the linear side passes on
    q = wnp.where(inside, d, 0.0)
    return _reduce(wnp.where(inside, 0.5 * q * q, delta * (a - 0.5 * delta)), reduction)


def l2_norm_squared(tree):
    """Sum of squares of every leaf of a pytree (for weight decay penalties).

    >>> float(l2_norm_squared({"w": np.array([1.0, 2.0])}))
    5.0
    """
    return sum(wnp.sum(leaf * leaf) for leaf in leaves(tree))


def accuracy(logits, labels) -> float:
    """Fraction of rows whose arg-max matches the integer label (concrete arrays only).

    >>> accuracy(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1, 1]))
    0.5

    ``labels`` must have the shape of ``logits`` without its last axis: labels of shape
    ``(N, 1)`` or one-hot ``(N, C)`` raise ``wire.ShapeError`` (compared by broadcasting,
    they gave the fraction of an ``N x N`` table: 0.25 for four right answers).
    """
    logits, labels = np.asarray(logits), np.asarray(labels)
    if logits.ndim == 0 or labels.shape != logits.shape[:-1]:
        raise ShapeError(f"accuracy: labels of shape {labels.shape} do not match logits of "
                         f"shape {logits.shape} (expected integer labels of shape "
                         f"{logits.shape[:-1]}){at(user_location())}")
    return float(np.mean(np.argmax(logits, axis=-1) == labels))
