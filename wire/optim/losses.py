"""``wire.optim.losses``: ``optax.losses`` with its names, signatures and per-example results
(no reduction: take ``.mean()`` yourself). ``wire.nn``'s losses (``reduction="mean"``) have
the same numerics where the math is the same (the two packages are independent layers: the
few shared lines are restated here, and tests hold the two to agree).

Where Optax's formula gives NaN at a limit, wire gives the limit (each function says where):
a zero target or label weight drops its term even where its log-probability is ``-inf`` (a
masked class: ``0 * -inf``), ``sigmoid_binary_cross_entropy`` at logit ``+inf`` with label 1
is 0, ``kl_divergence`` at a zero target over a zero prediction is 0, and ``log_cosh`` keeps its
relative accuracy near 0 (Optax's ``logaddexp(x, -x) - log 2`` is 0 below ``|x| ~ 1e-8``).

>>> import numpy as np
>>> from wire.optim import losses
>>> losses.softmax_cross_entropy_with_integer_labels(np.zeros((2, 4)), np.array([0, 3]))
array([1.38629436, 1.38629436])
>>> losses.l2_loss(np.array([1.0, 2.0]))
array([0.5, 2. ])
"""

from __future__ import annotations

import math

import numpy as np

from .. import numpy as wnp
from ..errors import ShapeError, WireError, WireTypeError, WireValueError, at, user_location
from ..api import scan
from ..scipy.special import expit, log_expit
from ..scipy.special import log_softmax as _log_softmax
from ..scipy.special import logsumexp as _logsumexp
from ..scipy.special import softmax as _softmax
from ..tracebacks import expose
from .projections import simplex_last_axis

__all__ = [
    "l2_loss", "squared_error", "huber_loss", "log_cosh", "cosine_similarity",
    "cosine_distance", "softmax_cross_entropy", "softmax_cross_entropy_with_integer_labels",
    "safe_softmax_cross_entropy", "sigmoid_binary_cross_entropy", "sigmoid_focal_loss",
    "hinge_loss", "multiclass_hinge_loss", "perceptron_loss", "multiclass_perceptron_loss",
    "kl_divergence", "kl_divergence_with_log_targets", "convex_kl_divergence",
    "generalized_kl_divergence", "poly_loss_cross_entropy", "smooth_labels", "ctc_loss",
    "ctc_loss_with_forward_probs", "triplet_margin_loss", "ntxent", "dice_loss",
    "binary_dice_loss", "multiclass_generalized_dice_loss", "sparsemax_loss",
    "multiclass_sparsemax_loss", "ranking_softmax_loss", "make_fenchel_young_loss",
]


# ``wire.nn`` and ``wire.optim`` are independent layers (neither imports the other): the few
# pieces of ``wire.nn``'s numerics these losses share are restated here, each in a line or two,
# over the same ``wire.scipy.special`` functions (tests check the two agree).

def _like(x, y):
    """``y`` in ``x``'s float dtype (SciPy's loops return float64 for float16)."""
    dt = getattr(x, "dtype", None)
    if dt is not None and np.dtype(dt).kind == "f" and np.dtype(dt) != _dtype(y):
        return wnp.asarray(y, dt)
    return y


def _log_softmax_w(x, axis=-1, where=None):
    if where is None:
        return _like(x, _log_softmax(x, axis=axis))
    return wnp.where(where, _like(x, _log_softmax(wnp.where(where, x, -np.inf), axis=axis)),
                     -np.inf)


def _softmax_w(x, axis=-1, where=None):
    if where is None:
        return _like(x, _softmax(x, axis=axis))
    return wnp.where(where, _like(x, _softmax(wnp.where(where, x, -np.inf), axis=axis)), 0.0)


def _softplus(x):
    return -_like(x, log_expit(-x))


def _sigmoid(x):
    return _like(x, expit(x))


def _sparse_plus(x):
    q = wnp.where(wnp.isinf(x), 0.0, x)  # the quadratic never sees inf (inf * 0 = NaN)
    return wnp.where(x <= -1.0, 0.0, wnp.where(x >= 1.0, x, (q + 1.0) ** 2 / 4.0))


def _one_hot(labels, n, dtype):
    return wnp.asarray(wnp.expand_dims(labels, -1) == np.arange(n), dtype)


def _known_value(x):
    try:
        return np.asarray(x)
    except WireTypeError:  # a tracer without a value refuses np.asarray
        return None


def _check_index_range(what, values, n, noun):
    bad = (values < 0) | (values >= n)
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        raise WireError(f"{what}: {noun} {values[pos]} at position {pos} is outside [0, {n})"
                        f"{at(user_location())}. Traced {noun}s cannot be checked; there an "
                        f"out-of-range {noun} gives NaN.")


def _nan_where_invalid(valid, dtype):
    return wnp.where(valid, np.ones((), dtype), np.full((), np.nan, dtype))


def _weighted(w, v):
    """``w * v`` with ``0 * inf`` taken as 0: a zero weight drops its term, whatever the term
    (``wire.nn``'s rule: the derivative in ``w`` is held at 0 there, the one in ``v`` is 0)."""
    drop = wnp.logical_and(w == 0, wnp.isinf(v))
    return w * wnp.where(drop, 0.0, v)


def _soft_cross_entropy(logits, targets, axis=-1, where=None):
    terms = _weighted(targets, _log_softmax_w(logits, axis=axis, where=where))
    if where is not None:
        terms = wnp.where(where, terms, 0.0)
    return -wnp.sum(terms, axis=axis)


def _dtype(x):
    dt = getattr(x, "dtype", None)
    return np.dtype(dt) if dt is not None else np.asarray(x).dtype


def _sum(x, axis=None, where=None, keepdims=False):
    """``sum`` over ``axis`` of the entries where ``where`` holds (all when it is None)."""
    if where is None:
        return wnp.sum(x, axis=axis, keepdims=keepdims)
    return wnp.sum(x, axis=axis, where=where, keepdims=keepdims)


def _check_floating(what, name, x):
    if _dtype(x).kind != "f":
        raise WireTypeError(f"{what}: {name} must be a floating array, got dtype {_dtype(x)}"
                            f"{at(user_location())}")


def _check_integer(what, name, x):
    if _dtype(x).kind not in "iu":
        raise WireTypeError(f"{what}: {name} must be an integer array, got dtype {_dtype(x)}"
                            f"{at(user_location())}")


def _shape(x):
    s = wnp.shape(x)
    return tuple(s) if s is not None else np.shape(x)


def _check_shapes_equal(what, a, a_name, b, b_name):
    if _shape(a) != _shape(b):
        raise ShapeError(f"{what}: {a_name} of shape {_shape(a)} and {b_name} of shape "
                         f"{_shape(b)} differ{at(user_location())}")


def _check_broadcast(what, *named):
    """Refuse ``(name, array)`` pairs whose shapes do not broadcast together, naming ``what``
    and each shape (NumPy's own error names neither the loss nor the arguments)."""
    shapes = [_shape(x) for _, x in named]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(f"{name} of shape {shape}" for (name, _), shape in zip(named, shapes))
        raise ShapeError(f"{what}: {listed} do not broadcast together"
                         f"{at(user_location())}") from None


def _check_labels(what, scores, labels):
    """Integer ``labels`` must broadcast to the batch shape of ``scores`` (all axes but the
    last, the classes')."""
    batch = _shape(scores)[:-1]
    try:
        ok = np.broadcast_shapes(_shape(labels), batch) == batch
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"{what}: labels of shape {_shape(labels)} do not match the batch "
                         f"shape {batch} of {_shape(scores)} scores (one integer label per "
                         f"row; the classes are the last axis){at(user_location())}")


def _errors(what, predictions, targets, same_shape=False):
    _check_floating(what, "predictions", predictions)
    if targets is None:
        return predictions
    if same_shape:
        _check_shapes_equal(what, predictions, "predictions", targets, "targets")
    return predictions - targets


# ------------------------------------------------------------------------------- regression

def squared_error(predictions, targets=None):
    """Elementwise ``(predictions - targets)**2`` (targets 0 when omitted); shapes must be
    equal (``optax.losses.squared_error``; ``wire.nn.mse(..., reduction="none")``).

    >>> squared_error(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
    array([1., 4.])
    """
    _check_floating("squared_error", "predictions", predictions)
    if targets is None:
        return predictions * predictions
    _check_shapes_equal("squared_error", predictions, "predictions", targets, "targets")
    d = predictions - targets
    return d * d


def l2_loss(predictions, targets=None):
    """Half the squared error, elementwise (``optax.losses.l2_loss``).

    >>> l2_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
    array([0.5, 2. ])
    """
    return 0.5 * squared_error(predictions, targets)


def huber_loss(predictions, targets=None, *, delta=1.0):
    """Elementwise Huber loss: ``d**2 / 2`` for ``|d| <= delta``, ``delta (|d| - delta/2)``
    beyond (``optax.losses.huber_loss``; ``wire.nn.huber(..., reduction="none")``, whose
    second derivative at 0 is 1 and whose derivative at ``d = ±inf`` is ``±delta``).

    >>> huber_loss(np.array([0.5, 3.0]))
    array([0.125, 2.5  ])
    """
    _check_floating("huber_loss", "predictions", predictions)
    if targets is None:
        targets = wnp.zeros_like(predictions)
    else:
        predictions, targets = wnp.broadcast_arrays(predictions, targets)
    if isinstance(delta, (int, float, np.integer, np.floating)) and not delta > 0:
        raise WireValueError(f"huber_loss: delta must be positive, got {delta!r}"
                             f"{at(user_location())}")
    d = predictions - targets
    a = wnp.abs(d)
    inside = a <= delta  # False for NaN, which the linear side passes on
    q = wnp.where(inside, d, 0.0)  # the quadratic never sees an infinite d
    return wnp.where(inside, 0.5 * q * q, delta * (a - 0.5 * delta))


def log_cosh(predictions, targets=None):
    """Elementwise ``log(cosh(predictions - targets))`` (``optax.losses.log_cosh``), accurate
    near 0 (``log1p(2 sinh(d/2)**2)``: Optax's ``logaddexp(d, -d) - log 2`` is 0 below
    ``|d| ~ 1e-8``, where the loss is ``d**2 / 2``) and without overflow for large ``|d|``
    (``|d| - log 2 + log1p(exp(-2|d|))``). Derivative ``tanh(d)``.

    >>> log_cosh(np.array([1e-9, 0.0, 1000.0]))
    array([5.00000000e-19, 0.00000000e+00, 9.99306853e+02])
    """
    d = _errors("log_cosh", predictions, targets)
    a = wnp.abs(d)
    small = a < 1.0
    ds = wnp.where(small, d, 0.0)
    sh = wnp.sinh(0.5 * ds)
    near = wnp.log1p(2.0 * sh * sh)
    ab = wnp.where(small, 1.0, a)
    far = ab - _in(ab, math.log(2.0)) + wnp.log1p(wnp.exp(-2.0 * ab))
    return wnp.where(small, near, far)


def _in(x, c):
    """Python float ``c`` as an array of ``x``'s float dtype (a float32 loss stays float32)."""
    dt = _dtype(x)
    return np.asarray(c, dtype=dt if dt.kind == "f" else np.float64)


def cosine_similarity(predictions, targets, *, epsilon=0.0, axis=-1, where=None):
    """Cosine of the angle between ``predictions`` and ``targets`` along ``axis``, each norm
    at least ``sqrt(epsilon)`` (``optax.losses.cosine_similarity``).

    >>> float(cosine_similarity(np.array([1.0, 0.0]), np.array([1.0, 1.0])))
    0.7071067811865475
    """
    _check_floating("cosine_similarity", "predictions", predictions)
    _check_floating("cosine_similarity", "targets", targets)
    _check_broadcast("cosine_similarity", ("predictions", predictions), ("targets", targets))
    a, b = _scaled(predictions, axis, where), _scaled(targets, axis, where)
    a2 = _sum(a[0] * a[0], axis=axis, where=where, keepdims=True)
    b2 = _sum(b[0] * b[0], axis=axis, where=where, keepdims=True)
    # the norms of x / s, at least sqrt(epsilon) / s (sqrt(epsilon / s**2) overflowed)
    root_eps = _in(predictions, math.sqrt(epsilon)) if isinstance(epsilon, (int, float)) \
        else wnp.sqrt(epsilon)
    an, bn = _norm_at_least(a2, root_eps / a[1]), _norm_at_least(b2, root_eps / b[1])
    return _sum((a[0] / an) * (b[0] / bn), axis=axis, where=where)


def _norm_at_least(squared, r):
    """``max(sqrt(squared), r)``, with no derivative of ``sqrt`` at 0 where ``r`` is taken
    (compared as square roots: ``r * r`` may overflow). With ``r = 0`` (no ``epsilon``) it
    is ``sqrt(squared)``: a zero vector's cosine and its derivative are NaN, as Optax's."""
    use = wnp.logical_or(wnp.stop_gradient(wnp.sqrt(squared)) > r, r == 0)
    return wnp.where(use, wnp.sqrt(wnp.where(use, squared, 1.0)), r)


def _scaled(x, axis, where):
    """``(x / s, s)``: ``s`` a power of two near the largest ``|x|`` along ``axis`` (1 where
    that is 0 or not finite), a constant for the derivative. The division is exact, and the
    squared norm of ``x / s`` neither overflows nor underflows: the cosine of ``[1e200,
    1e200]`` and ``[1, 1]`` was 0 (the squared norm inf) and of ``[1e-200, 0]`` and ``[1,
    0]`` NaN (0 / 0), both 1 (Optax and torch give the same wrong values)."""
    mag = wnp.abs(x) if where is None else wnp.where(where, wnp.abs(x), 0.0)
    big = wnp.stop_gradient(wnp.max(mag, axis=axis, keepdims=True))
    ok = wnp.logical_and(wnp.isfinite(big), big > 0)
    s = wnp.exp2(wnp.floor(wnp.log2(wnp.where(ok, big, 1.0))))
    return x / s, s


def cosine_distance(predictions, targets, *, epsilon=0.0, axis=-1, where=None):
    """``1 - cosine_similarity`` (``optax.losses.cosine_distance``).

    >>> float(cosine_distance(np.array([1.0, 0.0]), np.array([-1.0, 0.0])))
    2.0
    """
    return 1.0 - cosine_similarity(predictions, targets, epsilon=epsilon, axis=axis,
                                   where=where)


# --------------------------------------------------------------------------- classification

def sigmoid_binary_cross_entropy(logits, labels):
    """Elementwise cross-entropy of ``sigmoid(logits)`` against ``labels`` in [0, 1]
    (``optax.losses.sigmoid_binary_cross_entropy``; the labels are cast to the logits'
    dtype and broadcast against them). The numerics are
    ``wire.nn.binary_cross_entropy_with_logits``'s: a term whose weight (``labels`` or
    ``1 - labels``) is 0 adds nothing, so logit ``+inf`` with label 1 is 0 (Optax: NaN).

    >>> sigmoid_binary_cross_entropy(np.array([0.0, np.inf]), np.array([1.0, 1.0]))
    array([0.69314718, 0.        ])
    """
    _check_floating("sigmoid_binary_cross_entropy", "logits", logits)
    _check_broadcast("sigmoid_binary_cross_entropy", ("logits", logits), ("labels", labels))
    labels = wnp.asarray(labels, _dtype(logits))
    logits, labels = wnp.broadcast_arrays(logits, labels)
    return _weighted(labels, _softplus(-logits)) + _weighted(1.0 - labels, _softplus(logits))


def sigmoid_focal_loss(logits, labels, *, alpha=None, gamma=2.0):
    """Focal loss (Lin et al., 2017): the binary cross-entropy weighted by
    ``(1 - p_t)**gamma``, ``1 - p_t = (1 - labels) sigmoid(x) + labels sigmoid(-x)``, and by
    ``alpha`` for positives and ``1 - alpha`` for negatives when ``alpha`` is given
    (``optax.losses.sigmoid_focal_loss``). ``1 - p_t`` is a sum of sigmoids, never a
    difference, so a confident right answer's tiny weight keeps its digits.

    >>> sigmoid_focal_loss(np.array([0.0]), np.array([1.0]))
    array([0.1732868])
    """
    _check_floating("sigmoid_focal_loss", "logits", logits)
    _check_broadcast("sigmoid_focal_loss", ("logits", logits), ("labels", labels))
    labels = wnp.asarray(labels, _dtype(logits))
    ce = sigmoid_binary_cross_entropy(logits, labels)
    q = (1.0 - labels) * _sigmoid(logits) + labels * _sigmoid(-logits)
    loss = ce * q ** gamma
    if alpha is None:
        return loss
    return (alpha * labels + (1.0 - alpha) * (1.0 - labels)) * loss


def softmax_cross_entropy(logits, labels, axis=-1, where=None):
    """Cross-entropy of ``softmax(logits)`` against probability ``labels`` along ``axis``,
    per example (``optax.losses.softmax_cross_entropy``); entries where ``where`` is False
    are left out. A zero label adds nothing even where its logit is ``-inf`` (a masked
    class): Optax gives NaN there (``0 * -inf``), wire the loss of the other classes, as
    ``safe_softmax_cross_entropy`` (the same function here) and
    ``wire.nn.softmax_cross_entropy_onehot``.

    >>> softmax_cross_entropy(np.array([[-np.inf, 0.0, 0.0]]), np.array([[0.0, 1.0, 0.0]]))
    array([0.69314718])
    """
    _check_floating("softmax_cross_entropy", "logits", logits)
    _check_broadcast("softmax_cross_entropy", ("logits", logits), ("labels", labels))
    if where is not None and wnp.ndim(where) != wnp.ndim(logits):
        where = wnp.expand_dims(where, axis)
    return _soft_cross_entropy(logits, labels, axis=axis, where=where)


def safe_softmax_cross_entropy(logits, labels):
    """Cross-entropy of ``softmax(logits)`` against probability ``labels`` over the last
    axis, finite where a zero label meets a ``-inf`` logit
    (``optax.losses.safe_softmax_cross_entropy``): wire's ``softmax_cross_entropy`` is safe
    already, and this is it.

    >>> safe_softmax_cross_entropy(np.array([[-np.inf, 0.0]]), np.array([[0.0, 1.0]])) + 0.0
    array([0.])
    """
    _check_floating("safe_softmax_cross_entropy", "logits", logits)
    _check_broadcast("safe_softmax_cross_entropy", ("logits", logits), ("labels", labels))
    return _soft_cross_entropy(logits, labels)


def _classes_last(what, logits, where, axis):
    """``logits`` (and ``where``) with the class axes moved last and flattened into one."""
    nd = wnp.ndim(logits)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    try:
        axes = tuple(int(np.lib.array_utils.normalize_axis_index(int(a), nd)) for a in axes)
    except Exception as e:  # noqa: BLE001 - numpy's AxisError or TypeError
        raise WireValueError(f"{what}: axis {axis!r} is out of bounds for logits of shape "
                             f"{_shape(logits)}{at(user_location())}") from e
    batch = tuple(i for i in range(nd) if i not in axes)
    order = batch + axes
    shp = _shape(logits)
    newshape = tuple(shp[i] for i in batch) + (-1,)
    moved = wnp.reshape(wnp.transpose(logits, order), newshape)
    if where is not None:
        where = wnp.reshape(wnp.transpose(wnp.broadcast_to(where, shp), order), newshape)
    return moved, where


def softmax_cross_entropy_with_integer_labels(logits, labels, axis=-1, where=None):
    """Cross-entropy of ``softmax(logits)`` against integer ``labels``, per example
    (``optax.losses.softmax_cross_entropy_with_integer_labels``); ``axis`` is the class axis
    (or a tuple of axes, flattened in order); entries where ``where`` is False are left out,
    and an example with none left has loss 0, as Optax's.

    The label is picked by a one-hot product (``wire.nn.softmax_cross_entropy``'s numerics:
    a concrete label outside the classes raises ``wire.WireError``; a traced one gives NaN).
    A label on a left-out entry gives ``inf`` (Optax takes its logit anyway).

    >>> softmax_cross_entropy_with_integer_labels(np.array([[0.0, 0.0], [0.0, 10.0]]),
    ...                                           np.array([0, 1]))
    array([6.93147181e-01, 4.53988992e-05])
    """
    what = "softmax_cross_entropy_with_integer_labels"
    _check_floating(what, "logits", logits)
    _check_integer(what, "labels", labels)
    if not isinstance(axis, (int, np.integer, tuple)):
        raise WireTypeError(f"{what}: axis must be an int or a tuple of ints, got "
                            f"{type(axis).__name__}{at(user_location())}")
    if where is not None and wnp.ndim(where) != wnp.ndim(logits):
        where = wnp.expand_dims(where, axis)
    logits, where = _classes_last(what, logits, where, axis)
    _check_labels(what, logits, labels)
    n = _shape(logits)[-1]
    logp = _log_softmax_w(logits, where=where)
    picked = _pick(what, logp, labels, n)
    if where is None:
        return -picked
    return wnp.where(wnp.any(where, axis=-1), -picked, 0.0)


def _pick(what, x, labels, n):
    """``x[..., labels]`` by a one-hot product; NaN for a traced label outside ``[0, n)``."""
    values = _known_value(labels)
    if values is not None:
        _check_index_range(what, values, n, "label")
        onehot = np.expand_dims(values, -1) == np.arange(n)
        return wnp.sum(wnp.where(onehot, x, 0.0), axis=-1)
    valid = wnp.logical_and(labels >= 0, labels < n)
    onehot = wnp.expand_dims(wnp.where(valid, labels, 0), -1) == np.arange(n)
    return wnp.sum(wnp.where(onehot, x, 0.0), axis=-1) * _nan_where_invalid(valid, _dtype(x))


def poly_loss_cross_entropy(logits, labels, *, epsilon=2.0, axis=-1, where=None):
    """PolyLoss (Leng et al., 2022): the cross-entropy plus ``epsilon * sum(labels * (1 -
    softmax(logits)))`` (``optax.losses.poly_loss_cross_entropy``).

    >>> poly_loss_cross_entropy(np.zeros((1, 2)), np.array([[1.0, 0.0]])).round(6)
    array([1.693147])
    """
    _check_floating("poly_loss_cross_entropy", "logits", logits)
    _check_floating("poly_loss_cross_entropy", "labels", labels)
    _check_broadcast("poly_loss_cross_entropy", ("logits", logits), ("labels", labels))
    p = _softmax_w(logits, axis=axis, where=where)
    one_minus_pt = _sum(labels * (1.0 - p), axis=axis, where=where)
    ce = softmax_cross_entropy(logits, labels, axis=axis, where=where)
    return ce + epsilon * one_minus_pt


def hinge_loss(predictor_outputs, targets):
    """Elementwise ``max(0, 1 - predictor_outputs * targets)``, targets in {-1, 1}
    (``optax.losses.hinge_loss``).

    >>> hinge_loss(np.array([0.5, 2.0]), np.array([1.0, 1.0]))
    array([0.5, 0. ])
    """
    _check_broadcast("hinge_loss", ("predictor_outputs", predictor_outputs),
                     ("targets", targets))
    return wnp.maximum(0, 1 - predictor_outputs * targets)


def perceptron_loss(predictor_outputs, targets):
    """Elementwise ``max(0, -predictor_outputs * targets)`` (``optax.losses.perceptron_loss``).

    >>> perceptron_loss(np.array([0.5, -2.0]), np.array([1.0, 1.0]))
    array([0., 2.])
    """
    _check_shapes_equal("perceptron_loss", predictor_outputs, "predictor_outputs", targets,
                        "targets")
    return wnp.maximum(0, -predictor_outputs * targets)


def multiclass_hinge_loss(scores, labels):
    """``max(scores + 1 - onehot(labels)) - scores[labels]`` over the last axis
    (``optax.losses.multiclass_hinge_loss``).

    >>> multiclass_hinge_loss(np.array([[1.0, 0.0]]), np.array([0]))
    array([0.])
    """
    _check_labels("multiclass_hinge_loss", scores, labels)
    n = _shape(scores)[-1]
    oh = _one_hot(labels, n, _dtype(scores))
    return wnp.max(scores + 1.0 - oh, axis=-1) - _picked(scores, oh)


def multiclass_perceptron_loss(scores, labels):
    """``max(scores) - scores[labels]`` over the last axis
    (``optax.losses.multiclass_perceptron_loss``).

    >>> multiclass_perceptron_loss(np.array([[1.0, 3.0]]), np.array([0]))
    array([2.])
    """
    _check_labels("multiclass_perceptron_loss", scores, labels)
    n = _shape(scores)[-1]
    oh = _one_hot(labels, n, _dtype(scores))
    return wnp.max(scores, axis=-1) - _picked(scores, oh)


def _picked(scores, onehot):
    """``scores[labels]`` over the last axis, selected rather than ``sum(scores * onehot)``:
    another class's score of -inf (a masked class) is not 0 * -inf = NaN (Optax's NaN)."""
    return wnp.sum(wnp.where(onehot != 0, scores, 0.0), axis=-1)


def sparsemax_loss(logits, labels):
    """Binary sparsemax loss, elementwise: ``sparse_plus(-logits)`` for label 1 and
    ``sparse_plus(logits)`` for label 0 (``optax.losses.sparsemax_loss``).

    >>> sparsemax_loss(np.array([0.0, 2.0]), np.array([1, 0]))
    array([0.25, 2.  ])
    """
    return _sparse_plus(wnp.where(labels, -logits, logits))


def multiclass_sparsemax_loss(scores, labels):
    """The sparsemax loss of Martins & Astudillo (2016) over the last axis, integer
    ``labels`` (``optax.losses.multiclass_sparsemax_loss``).

    >>> multiclass_sparsemax_loss(np.array([[0.0, 0.0]]), np.array([0]))
    array([0.25])
    """
    _check_labels("multiclass_sparsemax_loss", scores, labels)
    n = _shape(scores)[-1]
    proba = simplex_last_axis(scores)
    oh = np.asarray(_known_value(labels)) if _known_value(labels) is not None else None
    onehot = (np.expand_dims(oh, -1) == np.arange(n)) if oh is not None else \
        (wnp.expand_dims(labels, -1) == np.arange(n))
    picked = wnp.sum(wnp.where(onehot, scores, 0.0), axis=-1, keepdims=True)
    shifted = wnp.where(onehot, 0.0, scores - picked)
    return (wnp.sum(proba * wnp.where(proba != 0, shifted, 0.0), axis=-1)
            + 0.5 * (1.0 - wnp.sum(proba * proba, axis=-1)))


def kl_divergence(log_predictions, targets, axis=-1, where=None):
    """``sum(targets * (log(targets) - log_predictions))`` over ``axis``
    (``optax.losses.kl_divergence``), a zero target's term 0 — also where its prediction is 0
    (``log_predictions = -inf``), where Optax gives NaN.

    >>> kl_divergence(np.log(np.array([[0.5, 0.5, 0.0]])), np.array([[1.0, 0.0, 0.0]]))
    array([0.69314718])
    """
    _check_floating("kl_divergence", "log_predictions", log_predictions)
    _check_floating("kl_divergence", "targets", targets)
    _check_broadcast("kl_divergence", ("log_predictions", log_predictions), ("targets", targets))
    zero = targets == 0
    logt = wnp.log(wnp.where(zero, 1.0, targets))
    loss = _weighted(targets, logt - log_predictions)
    return _sum(loss, axis=axis, where=where)


def kl_divergence_with_log_targets(log_predictions, log_targets, axis=-1, where=None):
    """``sum(exp(log_targets) * (log_targets - log_predictions))`` over ``axis``
    (``optax.losses.kl_divergence_with_log_targets``); a target of 0 (``log_targets =
    -inf``) adds nothing (Optax: NaN).

    >>> kl_divergence_with_log_targets(np.log(np.array([[0.5, 0.5]])),
    ...                                np.array([[0.0, -np.inf]]))
    array([0.69314718])
    """
    _check_floating("kl_divergence_with_log_targets", "log_predictions", log_predictions)
    _check_floating("kl_divergence_with_log_targets", "log_targets", log_targets)
    _check_broadcast("kl_divergence_with_log_targets", ("log_predictions", log_predictions),
                     ("log_targets", log_targets))
    t = wnp.exp(log_targets)
    dead = wnp.logical_and(wnp.isneginf(log_targets), wnp.logical_not(wnp.isnan(log_predictions)))
    diff = wnp.where(dead, 0.0, log_targets) - wnp.where(dead, 0.0, log_predictions)
    return _sum(t * diff, axis=axis, where=where)


def generalized_kl_divergence(log_predictions, targets, axis=-1, where=None):
    """``kl_divergence + sum(exp(log_predictions) - targets)``: the KL divergence of
    unnormalized measures (``optax.losses.generalized_kl_divergence``).

    >>> generalized_kl_divergence(np.zeros((1, 2)), np.ones((1, 2)))
    array([0.])
    """
    x = kl_divergence(log_predictions, targets, axis=axis, where=where)
    y = _sum(wnp.exp(log_predictions) - targets, axis=axis, where=where)
    return x + y


def convex_kl_divergence(log_predictions, targets, axis=-1, where=None):
    """Optax's older name of :func:`generalized_kl_divergence`.

    >>> convex_kl_divergence(np.zeros((1, 2)), np.ones((1, 2)))
    array([0.])
    """
    return generalized_kl_divergence(log_predictions, targets, axis=axis, where=where)


# ---------------------------------------------------------------------------------- others

def smooth_labels(labels, alpha, *, axis=-1, where=None):
    """``(1 - alpha) * labels + alpha / n``, ``n`` the number of classes along ``axis`` (those
    where ``where`` holds) (``optax.losses.smooth_labels``).

    >>> smooth_labels(np.array([1.0, 0.0]), 0.2)
    array([0.9, 0.1])
    """
    _check_floating("smooth_labels", "labels", labels)
    if where is None:
        shp = _shape(labels)
        axes = (axis,) if isinstance(axis, (int, np.integer)) else (
            tuple(range(len(shp))) if axis is None else tuple(axis))
        n = int(np.prod([shp[a] for a in axes]))
    else:
        n = wnp.asarray(wnp.sum(where, axis=axis, keepdims=True), _dtype(labels))
    return (1.0 - alpha) * labels + alpha / n


def triplet_margin_loss(anchors, positives, negatives, axis=-1, norm_degree=2, margin=1.0,
                        eps=1e-6):
    """``max(d(a, p) - d(a, n) + margin, 0)``, ``d`` the ``norm_degree``-norm (with ``eps``
    under the root) along ``axis`` (``optax.losses.triplet_margin_loss``).

    >>> triplet_margin_loss(np.zeros((1, 2)), np.zeros((1, 2)), np.ones((1, 2))).round(6)
    array([0.])
    """
    for name, x in (("anchors", anchors), ("positives", positives), ("negatives", negatives)):
        _check_floating("triplet_margin_loss", name, x)
    _check_broadcast("triplet_margin_loss", ("anchors", anchors), ("positives", positives),
                     ("negatives", negatives))
    pd = _root_of_power_sum(anchors - positives, norm_degree, eps, axis)
    nd = _root_of_power_sum(anchors - negatives, norm_degree, eps, axis)
    return wnp.maximum(pd - nd + margin, 0)


def _root_of_power_sum(d, p, eps, axis):
    """``(sum(d**p) + eps) ** (1 / p)`` along ``axis``, as ``s * (sum((d / s)**p) + eps /
    s**p) ** (1 / p)`` with ``s`` a power of two near the largest ``|d|`` above 1 (exact, a
    constant for the derivative), so ``d**p`` does not overflow: distances of 1e200 were
    ``inf`` and the loss ``inf - inf = NaN`` (Optax's too) where it is finite. Below 1
    nothing is scaled (the same arithmetic as before)."""
    big = wnp.stop_gradient(wnp.max(wnp.abs(d), axis=axis, keepdims=True))
    ok = wnp.logical_and(wnp.isfinite(big), big > 1.0)
    s = wnp.exp2(wnp.floor(wnp.log2(wnp.where(ok, big, 1.0))))
    s_out = wnp.squeeze(s, axis=axis)
    inner = wnp.sum(wnp.power(d / s, p), axis=axis) + eps * wnp.power(1.0 / s_out, p)
    return s_out * wnp.power(inner, 1 / p)


def ntxent(embeddings, labels, temperature=0.07):
    """Normalized temperature-scaled cross-entropy (SimCLR's NT-Xent), averaged over the
    positive pairs: rows with equal ``labels`` are positives (``optax.losses.ntxent``).

    >>> e = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> f"{float(ntxent(e, np.array([0, 0, 1, 1]))):.6e}"
    '1.148894e-05'
    """
    _check_floating("ntxent", "embeddings", embeddings)
    if _shape(labels)[0] != _shape(embeddings)[0]:
        raise ShapeError(f"ntxent: labels and embeddings must have the same leading "
                         f"dimension, found {_shape(labels)[0]} for labels and "
                         f"{_shape(embeddings)[0]} for embeddings{at(user_location())}")
    eps = float(np.finfo(_dtype(embeddings)).eps)
    xcs = cosine_similarity(embeddings[None, :, :], embeddings[:, None, :],
                            epsilon=eps) / temperature
    matches = wnp.expand_dims(labels, 1) == wnp.expand_dims(labels, 0)
    diffs = wnp.logical_not(matches)
    n = _shape(embeddings)[0]
    matches = wnp.logical_and(matches, np.logical_not(np.eye(n, dtype=bool)))
    xd = wnp.where(diffs, xcs, -np.inf)
    xm = wnp.where(matches, xcs, -np.inf)
    xmax = wnp.stop_gradient(wnp.max(wnp.concatenate((xd, xm), axis=-1), axis=1,
                                     keepdims=True))
    sd, sm = xd - xmax, xm - xmax
    denom = wnp.sum(wnp.exp(sd), axis=1, keepdims=True) + wnp.exp(sm)
    log_softm = sm - wnp.log(denom)
    count = wnp.asarray(wnp.sum(matches), _dtype(embeddings))
    return -wnp.sum(wnp.where(matches, log_softm, 0.0)) / count


def ranking_softmax_loss(logits, labels, *, where=None, weights=None, reduce_fn=wnp.mean):
    """Softmax cross-entropy over a list of items scored by ``logits`` against relevance
    ``labels`` (``optax.losses.ranking_softmax_loss``); lists are the last axis, ``where``
    masks items, ``weights`` weigh labels, ``reduce_fn`` (mean by default; ``None`` keeps one
    loss per list) reduces over lists. A mean over lists with no valid item is 0, as Optax's.

    >>> round(float(ranking_softmax_loss(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]]))), 6)
    0.313262
    """
    _check_floating("ranking_softmax_loss", "logits", logits)
    _check_broadcast("ranking_softmax_loss", ("logits", logits), ("labels", labels))
    labels = wnp.asarray(labels, _dtype(logits))
    if where is not None:
        labels = wnp.where(where, labels, 0.0)
        logits = wnp.where(where, logits, -np.inf)
    if weights is not None:
        labels = labels * weights
    loss = _soft_cross_entropy(logits, labels, where=where)
    if where is not None:
        where = wnp.any(where, axis=-1)
    if reduce_fn is None:
        out = loss
    elif where is None:
        out = reduce_fn(loss)
    else:
        out = reduce_fn(loss, where=where)
    if reduce_fn is wnp.mean or reduce_fn is np.mean:
        valid_input = wnp.logical_not(wnp.any(wnp.isnan(loss)))
        out = wnp.where(wnp.logical_and(wnp.isnan(out), valid_input), 0.0, out)
    if reduce_fn is None and where is not None:
        out = wnp.where(where, out, 0.0)
    return out


# ------------------------------------------------------------------------------ segmentation

def _reduce(loss, reduction, axis=None):
    if reduction == "mean":
        return wnp.mean(loss, axis=axis)
    if reduction == "sum":
        return wnp.sum(loss, axis=axis)
    if reduction == "none":
        return loss
    raise WireValueError(f"dice_loss: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}{at(user_location())}")


def dice_loss(predictions, targets, *, class_weights=None, smooth=1.0, alpha=0.5, beta=0.5,
              apply_softmax=True, reduction="mean", ignore_background=False, axis=None):
    """Dice (Tversky, with ``alpha``/``beta``) loss of ``predictions`` (logits, or
    probabilities with ``apply_softmax=False``) against ``targets`` of shape
    ``(batch, ..., classes)``, reduced over the spatial axes, then per ``reduction`` over
    classes (``optax.losses.dice_loss``). One class means sigmoid logits.

    >>> dice_loss(np.zeros((1, 2, 2)), np.array([[[1.0, 0.0], [0.0, 1.0]]])).round(6)
    array([0.25])
    """
    if wnp.ndim(predictions) == wnp.ndim(targets) - 1:
        predictions = predictions[..., None]
    if wnp.ndim(targets) == wnp.ndim(predictions) - 1:
        targets = targets[..., None]
    _check_shapes_equal("dice_loss", predictions, "predictions", targets, "targets")
    if not apply_softmax:
        sums = _known_value(wnp.sum(predictions, axis=-1))
        if sums is not None and not np.allclose(sums, 1.0, rtol=1e-5):
            raise WireValueError(
                "dice_loss: with apply_softmax=False, predictions must be probability "
                f"distributions summing to 1 along the class axis; sums range over "
                f"[{np.min(sums):.6f}, {np.max(sums):.6f}]{at(user_location())}")
    probs = predictions
    if apply_softmax:
        probs = (_sigmoid(predictions) if _shape(predictions)[-1] == 1
                 else _softmax_w(predictions, axis=-1))
    if axis is None:
        axis = tuple(range(1, wnp.ndim(probs) - 1))
    inter = wnp.sum(probs * targets, axis=axis)
    psum = wnp.sum(probs, axis=axis)
    tsum = wnp.sum(targets, axis=axis)
    coeff = (inter + smooth) / (inter + alpha * (psum - inter) + beta * (tsum - inter) + smooth)
    d = 1.0 - coeff
    if class_weights is not None:
        if wnp.ndim(class_weights) != 1:
            raise ShapeError(f"dice_loss: class_weights must be 1-d, got shape "
                             f"{_shape(class_weights)}{at(user_location())}")
        d = d * class_weights
    if ignore_background and _shape(probs)[-1] > 1:
        d = d[..., 1:]
    return _reduce(d, reduction, axis=-1)


def multiclass_generalized_dice_loss(predictions, targets, *, smooth=1.0, apply_softmax=True,
                                     ignore_background=False):
    """Generalized Dice loss: classes weighted by their inverse squared frequency
    (``optax.losses.multiclass_generalized_dice_loss``).

    >>> t = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> round(float(multiclass_generalized_dice_loss(np.zeros((1, 2, 2)), t)), 6)
    0.25
    """
    _check_shapes_equal("multiclass_generalized_dice_loss", predictions, "predictions",
                        targets, "targets")
    freq = wnp.sum(targets, axis=tuple(range(wnp.ndim(targets) - 1)))
    w = 1.0 / (freq ** 2 + 1e-7)
    w = w / wnp.sum(w) * _shape(w)[0]
    return wnp.mean(dice_loss(predictions, targets, class_weights=w, smooth=smooth,
                              apply_softmax=apply_softmax, reduction="none",
                              ignore_background=ignore_background))


def binary_dice_loss(predictions, targets, *, smooth=1.0, apply_sigmoid=True):
    """Dice loss of binary segmentation logits (``optax.losses.binary_dice_loss``).

    >>> binary_dice_loss(np.zeros((1, 2)), np.array([[1.0, 0.0]])).round(6)
    array([0.25])
    """
    if wnp.ndim(predictions) == wnp.ndim(targets) and _shape(predictions)[-1] != 1:
        predictions = predictions[..., None]
        targets = targets[..., None]
    return dice_loss(predictions, targets, smooth=smooth, apply_softmax=apply_sigmoid,
                     reduction="mean")


# ------------------------------------------------------------------------------------- CTC

def ctc_loss_with_forward_probs(logits, logit_paddings, labels, label_paddings, *,
                                blank_id=0, log_epsilon=-1e5):
    """Connectionist temporal classification loss per sequence, and the forward
    log-probabilities of the blank (``logalpha_phi``, ``[T, B, N + 1]``) and label
    (``logalpha_emit``, ``[T, B, N]``) states (``optax.losses.ctc_loss_with_forward_probs``:
    the same recursion, ``log_epsilon`` standing for ``log 0``). ``logits`` is
    ``[B, T, K]``, ``labels`` ``[B, N]``; paddings are 1.0 at padded steps.

    >>> loss, phi, emit = ctc_loss_with_forward_probs(np.zeros((1, 2, 2)), np.zeros((1, 2)),
    ...                                               np.array([[1]]), np.zeros((1, 1)))
    >>> loss.round(6), phi.shape, emit.shape
    (array([0.287682]), (2, 1, 2), (2, 1, 1))
    """
    if wnp.ndim(logits) != 3 or wnp.ndim(labels) != 2:
        raise ShapeError(f"ctc_loss: logits must be [B, T, K] and labels [B, N], got shapes "
                         f"{_shape(logits)} and {_shape(labels)}{at(user_location())}")
    _check_shapes_equal("ctc_loss", labels, "labels", label_paddings, "label_paddings")
    _check_shapes_equal("ctc_loss", logits[..., 0], "logits[..., 0]", logit_paddings,
                        "logit_paddings")
    b, _, k = _shape(logits)
    bl, n = _shape(labels)
    if bl != b:
        raise ShapeError(f"ctc_loss: expected labels to have batch size {b}, got {bl}"
                         f"{at(user_location())}")
    dt = _dtype(logits)
    logprobs = _log_softmax_w(logits)
    labellens = n - wnp.asarray(wnp.sum(label_paddings, axis=1), np.int32)
    repeat = wnp.asarray(labels[:, :-1] == labels[:, 1:], dt)
    repeat = wnp.pad(repeat, ((0, 0), (0, 1)))
    phi_lp = wnp.transpose(logprobs[:, :, blank_id:blank_id + 1], (1, 0, 2))
    # the labels' log-probabilities picked, not multiplied by a one-hot: a class with logit
    # -inf (masked at a step) is 0 * -inf = NaN in a product (Optax's NaN), -inf picked. A
    # label outside [0, K) picks 0, as its zero one-hot row did
    valid = (labels >= 0) & (labels < k)
    idx = wnp.broadcast_to(wnp.where(valid, labels, 0)[:, None, :], (b, _shape(logits)[1], n))
    emit_lp = wnp.where(valid[:, None, :], wnp.take_along_axis(logprobs, idx, axis=2), 0.0)
    emit_lp = wnp.transpose(emit_lp, (1, 0, 2))
    eps = wnp.asarray(log_epsilon, dt)
    phi0 = wnp.concatenate([wnp.zeros((b, 1), dt), wnp.ones((b, n), dt) * eps], axis=1)
    emit0 = wnp.ones((b, n), dt) * eps

    def update_phi(phi, added):
        return wnp.concatenate([phi[:, :1], wnp.logaddexp(phi[:, 1:], added)], axis=-1)

    def body(prev, x):
        prev_phi, prev_emit = prev
        orig = prev_phi
        prev_phi = update_phi(prev_phi, prev_emit + eps * repeat)
        lp_emit, lp_phi, pad = x
        next_emit = wnp.logaddexp(prev_phi[:, :-1] + lp_emit, prev_emit + lp_emit)
        next_phi = prev_phi + lp_phi
        next_phi = update_phi(next_phi, prev_emit + lp_phi + eps * (1.0 - repeat))
        pad = wnp.reshape(wnp.asarray(pad, dt), (b, 1))
        next_emit = _blend(pad, prev_emit, next_emit)
        next_phi = _blend(pad, orig, next_phi)
        return (next_phi, next_emit), (next_phi, next_emit)

    xs = (emit_lp, phi_lp, wnp.transpose(logit_paddings, (1, 0)))
    _, (phis, emits) = scan(body, (phi0, emit0), xs)
    last = update_phi(phis[-1], emits[-1])
    phis = wnp.concatenate([phis[:-1], last[None]], axis=0)
    final = wnp.take_along_axis(last, wnp.asarray(labellens, np.int64)[:, None], axis=1)[:, 0]
    return -final, phis, emits


def _blend(pad, a, b):
    """``pad * a + (1 - pad) * b``, the one taken where ``pad`` is 1 or 0 (the other may
    be -inf: no ``0 * -inf``)."""
    return wnp.where(pad == 1.0, a, wnp.where(pad == 0.0, b, pad * a + (1.0 - pad) * b))


def ctc_loss(logits, logit_paddings, labels, label_paddings, *, blank_id=0, log_epsilon=-1e5):
    """The CTC loss per sequence (``optax.losses.ctc_loss``): the first result of
    :func:`ctc_loss_with_forward_probs`.

    >>> ctc_loss(np.zeros((1, 2, 2)), np.zeros((1, 2)), np.array([[1]]),
    ...          np.zeros((1, 1))).round(6)
    array([0.287682])
    """
    return ctc_loss_with_forward_probs(logits, logit_paddings, labels, label_paddings,
                                       blank_id=blank_id, log_epsilon=log_epsilon)[0]


def make_fenchel_young_loss(max_fun):
    """The Fenchel-Young loss ``max_fun(scores) - <targets, scores>`` over the last axis of
    a convex ``max_fun`` (``optax.losses.make_fenchel_young_loss``; ``logsumexp`` gives the
    softmax cross-entropy).

    >>> from wire.nn import logsumexp
    >>> fy = make_fenchel_young_loss(logsumexp)
    >>> fy(np.zeros((1, 2)), np.array([[1.0, 0.0]])).round(6)
    array([0.693147])
    """
    max_last = wnp.vectorize(max_fun, signature="(n)->()")

    def fenchel_young_loss(scores, targets, *args, **kwargs):
        if args or kwargs:
            value = wnp.vectorize(lambda s: max_fun(s, *args, **kwargs),
                                  signature="(n)->()")(scores)
        else:
            value = max_last(scores)
        return value - wnp.sum(wnp.conj(targets) * scores, axis=-1)

    return fenchel_young_loss


expose(globals(), __all__)
