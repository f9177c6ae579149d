"""Normalisation layers of ``wire.nn``: ``BatchNorm`` (with running statistics) and ``LayerNorm``.

``BatchNorm`` keeps its running mean and variance in its parameter tree next to ``scale``
and ``bias``. ``apply(params, x, train=True)`` normalises with the batch statistics and returns
``(y, new_params)``: the same tree with updated running statistics (nothing is mutated).
``train=False`` normalises with the running statistics and returns ``y`` alone. The running
statistics never influence the training loss, so their gradient is exactly zero; feed the
new tree to the optimizer step (``apply_updates(new_params, updates)``) to keep them, and
exclude them from weight decay (``wire.optim.adamw(..., mask=wire.nn.trainable_mask)``).

>>> import numpy as np, wire
>>> init, apply = wire.nn.BatchNorm()
>>> p = init(None, (-1, 3))
>>> y, p2 = apply(p, np.arange(6.0).reshape(2, 3), train=True)
>>> np.round(y, 3).tolist(), np.round(p2["mean"], 3).tolist()
([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]], [0.15, 0.25, 0.35])
"""

from __future__ import annotations

import numpy as np
from pyrsistent import pmap

from .. import numpy as wnp
from .. import tree as wtree
from ..errors import WireError, at, user_location
from .base import Layer, check_input

__all__ = ["BatchNorm", "LayerNorm", "STATE_KEYS", "trainable_mask"]

STATE_KEYS = ("mean", "var")


def BatchNorm(momentum: float = 0.9, eps: float = 1e-5) -> Layer:
    """Batch normalisation over every axis but the last (features).

    Training normalises with the batch mean and the biased batch variance (as torch and Flax
    do) and updates the running statistics as ``new = momentum * old + (1 - momentum) *
    batch``. Conventions beside the references':

    - ``momentum`` weighs the *old* statistics, as in Flax (default 0.99) and Keras; torch's
      ``momentum`` weighs the new batch: wire's 0.9 is torch's default 0.1.
    - The running variance takes the *unbiased* batch variance (``n / (n - 1)`` times the
      biased one, ``n`` the values per feature), as torch does (Flax keeps the biased one).
      A batch with one value per feature has no unbiased variance: training on it raises
      ``wire.WireError`` (torch raises too).
    - ``eps`` is added to the variance inside the square root (1e-5, as torch and Flax).

    >>> init, apply = BatchNorm()
    >>> sorted(init(None, (-1, 8, 8, 4)).keys())
    ['bias', 'mean', 'scale', 'var']
    """
    name = "BatchNorm()"

    def init(key, in_shape):
        c = int(in_shape[-1])
        return pmap({"scale": np.ones(c), "bias": np.zeros(c), "mean": np.zeros(c),
                     "var": np.ones(c)})

    def apply(params, x, *, key=None, train=False):
        c = params["scale"].shape[0]
        check_input(name, x, ("N", c), ndim_at_least=True)
        if not train:
            inv = params["scale"] / wnp.sqrt(params["var"] + eps)
            return (x - params["mean"]) * inv + params["bias"]
        axes = tuple(range(x.ndim - 1))
        n = int(np.prod(x.shape[:-1], dtype=np.int64))
        if n < 2:
            raise WireError(
                f"{name}: training needs more than one value per feature to estimate the "
                f"variance, got input of shape {tuple(x.shape)}{at(user_location())}"
            )
        mean, normalized, var = _normalize(x, axes, eps, like=params)
        y = _affine(normalized, x, params)
        mean, var = wnp.squeeze(mean, axis=axes), wnp.squeeze(var, axis=axes)
        unbiased = var * (n / (n - 1.0))
        # the statistics in the dtype the tree and the batch promote to, blended in at least
        # float32 and rounded once: a float16 batch variance of 5e5 is inf in float16, though
        # the running variance 0.9 + 0.1 * 5e5 fits (it came out inf, and eval gave 0)
        stat_dt = np.result_type(params["mean"].dtype, x.dtype)
        work_dt = np.result_type(stat_dt, np.float32)

        def blend(old, batch):
            new = (momentum * wnp.asarray(old, work_dt)
                   + (1.0 - momentum) * wnp.asarray(wnp.stop_gradient(batch), work_dt))
            return wnp.asarray(new, stat_dt)

        new_mean, new_var = blend(params["mean"], mean), blend(params["var"], unbiased)
        return y, params.set("mean", new_mean).set("var", new_var)

    return Layer(init, apply, name=name, out_shape=lambda s: tuple(s), stateful=True)


def LayerNorm(eps: float = 1e-5) -> Layer:
    """Normalise each example over its last axis, then scale and shift (learned, per feature).

    >>> init, apply = LayerNorm()
    >>> np.round(apply(init(None, (1, 2)), np.array([[1.0, 3.0]])), 3)
    array([[-1.,  1.]])
    """
    name = "LayerNorm()"

    def init(key, in_shape):
        c = int(in_shape[-1])
        return pmap({"scale": np.ones(c), "bias": np.zeros(c)})

    def apply(params, x, *, key=None, train=False):
        check_input(name, x, ("...", params["scale"].shape[0]))
        _, normalized, _ = _normalize(x, -1, eps, stats=False, like=params)
        return _affine(normalized, x, params)

    return Layer(init, apply, name=name, out_shape=lambda s: tuple(s))


def _normalize(x, axes, eps, stats: bool = True, like=None):
    """``(mean, (x - mean) / sqrt(var + eps), var)`` over ``axes`` (kept as size-1 axes),
    computed in at least float32 (as torch and Flax do for half precision: in float16 the
    squares of deviations above 256 overflow), and in the dtype of the ``scale`` and
    ``bias`` of ``like`` (the layer's params) where that is wider: the output has the
    promoted dtype, and statistics computed in ``x``'s float32 put float32 errors into it
    (a float32 ``x`` near 1e4 with unit spread, float64 params: off by 9e-4 from the
    float64 computation on the same values; now 1e-16).

    Values above 1 are first scaled by a power of two near their largest magnitude (a
    constant for the derivative), so the squares do not overflow: the variance of
    ``[1e200, -1e200]`` (or of float32 values above 1.8e19) was inf and the normalised output
    0 (torch's too), where it is ``±1``. The scaling is exact, so ordinary inputs give the
    same bits as the unscaled formula; ``var`` itself is returned unscaled (inf where it
    overflows). With ``stats=False`` only ``normalized`` is computed (the others are None:
    unscaling them overflowed, with a warning, for float32 inputs above 1.8e19)."""
    wide = () if like is None else (like["scale"].dtype, like["bias"].dtype)
    xs = wnp.asarray(x, np.result_type(x.dtype, np.float32, *wide))
    big = wnp.stop_gradient(wnp.max(wnp.abs(xs), axis=axes, keepdims=True))
    # only scaled down (tiny values keep eps's full weight: eps / p2**2 would overflow)
    ok = wnp.logical_and(wnp.isfinite(big), big > 1.0)
    p2 = wnp.exp2(wnp.floor(wnp.log2(wnp.where(ok, big, 1.0))))
    xn = xs / p2
    mean = wnp.mean(xn, axis=axes, keepdims=True)
    centered = xn - mean
    var = wnp.mean(centered * centered, axis=axes, keepdims=True)
    normalized = centered / wnp.sqrt(var + eps / p2 / p2)  # (p2 * p2 overflows float32)
    if not stats:
        return None, normalized, None
    return mean * p2, normalized, var * (p2 * p2)


def _affine(normalized, x, params):
    """``normalized * scale + bias`` in the dtype ``x`` and the parameters promote to (the
    dtype it had when the statistics were computed in ``x``'s own dtype)."""
    dt = np.result_type(x.dtype, params["scale"].dtype, params["bias"].dtype)
    y = normalized * params["scale"] + params["bias"]
    return y if y.dtype == dt else wnp.asarray(y, dt)


def trainable_mask(params):
    """A pytree of bools like ``params``: False for BatchNorm running statistics.

    For optimizer ``mask=`` arguments (e.g. to keep weight decay off the statistics).

    >>> init, _ = BatchNorm()
    >>> sorted(trainable_mask(init(None, (1, 2))).items())
    [('bias', True), ('mean', False), ('scale', True), ('var', False)]
    """
    _, td = wtree.flatten(params)
    paths = wtree.leaf_paths(td)
    flags = [not any(p.endswith(f"[{k!r}]") for k in STATE_KEYS) for p in paths]
    return wtree.unflatten(td, flags)
