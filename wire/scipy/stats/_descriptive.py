"""Descriptive statistics of ``wire.scipy.stats`` with SciPy's signatures: ``zscore``,
``entropy``, ``moment``, ``skew``, ``kurtosis``, ``variation``, ``gmean``, ``hmean``,
``pmean``, ``iqr``, ``median_abs_deviation``, ``trim_mean``, ``pearsonr``, ``spearmanr``,
``kendalltau``.

One mechanism carries ``axis``, ``keepdims`` and ``nan_policy``: the data are moved to a
last axis (``axis=None`` flattens) with a weight per entry, 1 for an entry that counts and
0 for a NaN under ``nan_policy='omit'`` (where the entry itself is replaced by a harmless
value, so neither its value nor its derivative reaches the result). Means, central moments
and the weighted means are weighted sums over that axis; the order statistics sort along
it, NaN last, with each slice's own count. ``'propagate'`` (the default) lets NaN flow
through the formulas, ``'raise'`` raises ``WireValueError`` on concrete data holding a NaN.

Differentiable where the math is: ``zscore``, ``moment``, ``skew``, ``kurtosis``,
``variation``, ``entropy``, ``gmean``/``hmean``/``pmean``, ``pearsonr`` (statistic and
p-value), and the order statistics (through the sorted values). Ranks are piecewise
constant: ``spearmanr`` and ``kendalltau`` have derivative 0 in the data.

SciPy's conventions for special inputs: an empty slice gives NaN, ``skew``/``kurtosis`` of
(nearly) constant data NaN with a ``RuntimeWarning`` on concrete data (SciPy's
"Precision loss …" warning), ``pearsonr`` of a constant input NaN with a warning.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ... import numpy as wnp
from ...errors import WireValueError, at, user_location
from ...tracebacks import warn_at_user
from .. import special as sc
from .._traced import traced as _traced
from ._continuous import t as _t_dist
from ._summary import _runs

_POLICIES = ("propagate", "omit", "raise")


# --------------------------------------------------------------------------- the mechanism


def _float(a):
    a = wnp.asarray(a)
    return a if a.dtype.kind in "fc" else wnp.asarray(a, np.float64)


def _check_policy(nan_policy, what, *arrays):
    if nan_policy not in _POLICIES:
        raise WireValueError(f"{what}: nan_policy must be one of {', '.join(_POLICIES)}, got "
                             f"{nan_policy!r}{at(user_location())}")
    if nan_policy == "raise":
        for a in arrays:
            if _traced(a):
                raise WireValueError(
                    f"{what}: nan_policy='raise' needs concrete data (a traced value cannot "
                    f"be inspected); use 'propagate' or 'omit'{at(user_location())}")
            v = np.asarray(a)
            if v.dtype.kind in "fc" and np.isnan(v).any():
                raise WireValueError(f"{what}: the input contains NaN (nan_policy='raise')"
                                     f"{at(user_location())}")


def _axis_of(x, axis, what):
    if axis is None:
        return None
    nd = x.ndim
    if not -nd <= axis < max(nd, 1):
        raise WireValueError(f"{what}: axis {axis} is out of bounds for an array of shape "
                             f"{tuple(x.shape)}{at(user_location())}")
    return axis % max(nd, 1)


def _to_last(x, axis):
    """``x`` with ``axis`` moved last (``None``: flattened); 0-d data is one entry."""
    if axis is None or x.ndim == 0:
        return wnp.reshape(x, (-1,))
    return wnp.moveaxis(x, axis, -1)


def _restore(out, x, axis, keepdims):
    """A reduction over the last axis of ``_to_last(x, axis)`` as SciPy returns it, in the
    data's floating dtype (float32 stays float32, as in JAX)."""
    if x.dtype.kind == "f" and wnp.asarray(out).dtype != x.dtype:
        out = wnp.asarray(out, x.dtype)
    if not keepdims:
        return out
    if axis is None or x.ndim == 0:
        return wnp.reshape(out, (1,) * x.ndim)
    return wnp.expand_dims(out, axis)


class _Sample:
    """Data along a last axis with 0/1 weights (0: an omitted NaN) and the weighted sums
    every moment-based statistic is made of."""

    def __init__(self, x, omit, fill=0.0):
        self.x0 = x
        if omit:
            nan = wnp.isnan(x)
            self.w = wnp.where(nan, 0.0, 1.0)
            self.x = wnp.where(nan, fill, x)  # a harmless value: its weight is 0
        else:
            self.w = None
            self.x = x

    @functools.cached_property
    def n(self):
        if self.w is None:
            return float(self.x.shape[-1])
        return wnp.sum(self.w, axis=-1)

    def total(self, v):
        """``Σ w v`` over the last axis."""
        return wnp.sum(v if self.w is None else self.w * v, axis=-1)

    def mean_of(self, v):
        return self.total(v) / self.n

    @functools.cached_property
    def mean(self):
        return self.mean_of(self.x)

    def central(self, order, center=None, warn=True):
        """``Σ w (x - c)^order / n`` (``c``: the mean unless given); ``warn``: SciPy's
        precision-loss warning of the moment functions."""
        c = self.mean if center is None else center
        d = self.x - wnp.expand_dims(c, -1)
        if warn and center is None and not _traced(d):
            # SciPy's warning where the deviations are lost in the mean's rounding
            dev = wnp.max(wnp.abs(d if self.w is None else self.w * d), axis=-1, initial=0.0)
            eps = 10.0 * float(np.finfo(np.dtype(d.dtype)).eps)
            _warn(wnp.logical_and(dev / wnp.abs(c) < eps, self.n > 1), _PRECISION)
        return self.mean_of(d ** order if order != 2 else d * d)


def _prepare(a, axis, nan_policy, what, fill=0.0, small=True):
    _check_policy(nan_policy, what, a)
    x = _float(a)
    ax = _axis_of(x, axis, what)
    s = _Sample(_to_last(x, ax), nan_policy == "omit", fill)
    if small:
        _warn_small(s.n)
    return x, ax, s


_SMALL = ("One or more sample arguments is too small; all returned values will be NaN. See "
          "documentation for sample size requirements.")


def _warn_small(n):
    """SciPy's small-sample warning where a slice is empty (after omitting NaNs)."""
    if isinstance(n, float):
        if n == 0:
            warn_at_user(_SMALL, RuntimeWarning)
    else:
        _warn(n == 0, _SMALL)


def _quiet(fn):
    """``fn`` with NumPy's floating-point warnings off (masked branches computed eagerly on
    concrete data warn for nothing); the warnings SciPy gives are raised explicitly."""

    @functools.wraps(fn)
    def run(*args, **kwds):
        with np.errstate(all="ignore"):
            return fn(*args, **kwds)

    return run


def _warn(condition, message):
    """A ``RuntimeWarning`` where ``condition`` holds on concrete data (traced data cannot be
    inspected: the NaN result is the signal there, as in JAX)."""
    if _traced(condition):
        return
    with np.errstate(invalid="ignore"):
        if np.any(np.asarray(condition)):
            warn_at_user(message, RuntimeWarning)


_PRECISION = ("Precision loss occurred in moment calculation due to catastrophic "
              "cancellation. This occurs when the data are nearly identical. Results may be "
              "unreliable.")


def _scalar(out):
    return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out


# --------------------------------------------------------------------------- moments


@_quiet
def moment(a, order=1, axis=0, nan_policy="propagate", *, center=None, keepdims=False):
    """The ``order``-th central moment along ``axis`` (about ``center`` when given): 1 for
    order 0 and 0 for order 1 about the mean, as SciPy. ``order`` may be a sequence: one
    result per order, stacked first.

    >>> import numpy as np
    >>> float(moment(np.array([1.0, 2.0, 3.0, 4.0]), 2))
    1.25
    """
    x, ax, s = _prepare(a, axis, nan_policy, "moment")
    orders = np.asarray(order)
    if orders.size == 0 or np.any(orders != np.round(orders)):
        raise WireValueError(f"moment: order must be an integer or a nonempty sequence of "
                             f"integers, got {order!r}{at(user_location())}")
    c = None if center is None else _float(center)

    def one(k):
        k = int(k)
        if k == 0:  # 1, NaN for an empty slice
            out = wnp.where(s.n > 0, wnp.ones(tuple(s.x.shape[:-1]), s.x.dtype), np.nan)
        elif k == 1 and c is None:
            out = s.mean * 0.0  # 0, NaN where the mean is (an empty slice, a NaN)
        else:
            out = s.central(k, c)
        return _restore(out, x, ax, keepdims)

    if orders.ndim == 0:
        return _scalar(one(orders))
    return wnp.stack([one(k) for k in orders.ravel()])


def _moments23(s):
    m2 = s.central(2)
    return m2, s.mean


@_quiet
def skew(a, axis=0, bias=True, nan_policy="propagate", *, keepdims=False):
    """Sample skewness ``m3 / m2^1.5`` (``bias=False``: the adjusted Fisher-Pearson
    estimator, for ``n > 2``). Constant data give NaN and, on concrete data, SciPy's
    precision-loss ``RuntimeWarning``.

    >>> import numpy as np
    >>> round(float(skew(np.array([1.0, 2.0, 3.0, 10.0]))), 12)
    1.018233764909
    """
    x, ax, s = _prepare(a, axis, nan_policy, "skew")
    m2, mean = _moments23(s)
    m3 = s.central(3)
    zero = _constant(s, m2, mean)
    m2s = wnp.where(zero, 1.0, m2)
    vals = wnp.where(zero, np.nan, m3 / (m2s * wnp.sqrt(m2s)))
    if not bias:
        n = s.n
        ok = wnp.logical_and(wnp.logical_not(zero), n > 2)
        ns = wnp.where(ok, n, 3.0)
        vals = wnp.where(ok, wnp.sqrt((ns - 1.0) * ns) / (ns - 2.0) * vals, vals)
    return _scalar(_restore(vals, x, ax, keepdims))


def _constant(s, m2, mean):
    """SciPy's test for data too close to constant for the ratio of moments:
    ``m2 <= (eps mean)²``."""
    eps = float(np.finfo(np.dtype(m2.dtype) if hasattr(m2, "dtype") else np.float64).eps)
    return m2 <= (eps * mean) ** 2  # (central() has warned)


@_quiet
def kurtosis(a, axis=0, fisher=True, bias=True, nan_policy="propagate", *, keepdims=False):
    """Sample kurtosis ``m4 / m2²``, minus 3 with ``fisher`` (the excess); ``bias=False``
    corrects it (``n > 3``). Constant data give NaN with a warning, as SciPy.

    >>> import numpy as np
    >>> round(float(kurtosis(np.array([1.0, 2.0, 3.0, 10.0]))), 12)
    -0.7696
    """
    x, ax, s = _prepare(a, axis, nan_policy, "kurtosis")
    m2, mean = _moments23(s)
    m4 = s.central(4)
    zero = _constant(s, m2, mean)
    m2s = wnp.where(zero, 1.0, m2)
    vals = wnp.where(zero, np.nan, m4 / (m2s * m2s))
    if not bias:
        n = s.n
        ok = wnp.logical_and(wnp.logical_not(zero), n > 3)
        ns = wnp.where(ok, n, 4.0)
        corrected = 1.0 / (ns - 2.0) / (ns - 3.0) * ((ns * ns - 1.0) * vals
                                                     - 3.0 * (ns - 1.0) ** 2) + 3.0
        vals = wnp.where(ok, corrected, vals)
    if fisher:
        vals = vals - 3.0
    return _scalar(_restore(vals, x, ax, keepdims))


@_quiet
def zscore(a, axis=0, ddof=0, nan_policy="propagate"):
    """``(a - mean) / std`` along ``axis`` (``ddof`` in the standard deviation); under
    ``nan_policy='omit'`` the NaNs are left out of mean and std and stay NaN. Constant data
    give NaN (0/0), as SciPy.

    >>> import numpy as np
    >>> zscore(np.array([1.0, 2.0, 3.0]))
    array([-1.22474487,  0.        ,  1.22474487])
    """
    x, ax, s = _prepare(a, axis, nan_policy, "zscore", small=False)
    mean = wnp.expand_dims(s.mean, -1)
    var = s.central(2, warn=False) * s.n / (s.n - ddof)
    _warn(wnp.logical_and(var == 0, s.n > max(ddof, 1)),
          "zscore: the data are constant along the axis; their z-scores are NaN (0/0)")
    z = (_to_last(x, ax) - mean) / wnp.expand_dims(wnp.sqrt(var), -1)
    if ax is None or x.ndim == 0:
        return wnp.reshape(z, tuple(x.shape))
    return wnp.moveaxis(z, -1, ax)


@_quiet
def variation(a, axis=0, nan_policy="propagate", ddof=0, *, keepdims=False):
    """Coefficient of variation ``std(ddof) / mean`` (inf where the mean is 0 and the data
    vary, NaN for an empty slice or ``n <= ddof``).

    >>> import numpy as np
    >>> round(float(variation(np.array([1.0, 2.0, 3.0]))), 12)
    0.408248290464
    """
    x, ax, s = _prepare(a, axis, nan_policy, "variation")
    n = s.n
    var = s.central(2, warn=False) * n / (n - ddof)
    std = wnp.where(n > ddof, wnp.sqrt(wnp.where(n > ddof, var, 0.0)), np.nan)
    return _scalar(_restore(std / s.mean, x, ax, keepdims))


# --------------------------------------------------------------------------- power means


def _weighted(a, axis, weights, nan_policy, what, dtype, fill):
    _check_policy(nan_policy, what, a)
    x = _float(a) if dtype is None else wnp.asarray(a, dtype)
    ax = _axis_of(x, axis, what)
    s = _Sample(_to_last(x, ax), nan_policy == "omit", fill)
    if weights is not None:
        w = _to_last(wnp.broadcast_to(_float(weights), tuple(x.shape)), ax)
        s.w = w if s.w is None else s.w * w
        s.__dict__.pop("n", None)
    _warn_small(float(s.x.shape[-1]) if s.w is None else wnp.sum(
        wnp.where(wnp.isnan(_to_last(x, ax)), 0.0, 1.0), axis=-1) if nan_policy == "omit"
        else float(s.x.shape[-1]))
    return x, ax, s


@_quiet
def pmean(a, p, *, axis=0, dtype=None, weights=None, nan_policy="propagate", keepdims=False):
    """The power mean ``(Σ w a^p / Σ w)^(1/p)`` (``p = 0``: the geometric mean). Negative
    data give NaN with a ``RuntimeWarning`` on concrete data, as SciPy.

    >>> import numpy as np
    >>> round(float(pmean(np.array([1.0, 2.0, 4.0]), 2.0)), 12)
    2.645751311065
    """
    if not np.isscalar(p) or isinstance(p, (bool, np.bool_)):
        raise WireValueError(f"pmean: p must be a real number, got {p!r}{at(user_location())}")
    if p == 0:
        return gmean(a, axis=axis, dtype=dtype, weights=weights, nan_policy=nan_policy,
                     keepdims=keepdims)
    x, ax, s = _weighted(a, axis, weights, nan_policy, "pmean", dtype, 1.0)
    neg = s.x < 0
    _warn(neg, "The power mean is only defined if all elements are non-negative; otherwise, "
          "the result is NaN.")
    xs = wnp.where(neg, np.nan, s.x)
    pos = xs > 0
    # a^p at a = 0: 0 for p > 0, inf for p < 0, with derivative 0 (no 0 · inf)
    powered = wnp.where(pos, wnp.exp(p * wnp.log(wnp.where(pos, xs, 1.0))),
                        wnp.where(xs == 0, 0.0 if p > 0 else np.inf, xs))
    return _scalar(_restore(s.mean_of(powered) ** (1.0 / p), x, ax, keepdims))


@_quiet
def gmean(a, axis=0, dtype=None, weights=None, *, nan_policy="propagate", keepdims=False):
    """The geometric mean ``exp(Σ w log a / Σ w)`` (0 with a zero entry; NaN, with SciPy's
    warning, for a negative one).

    >>> import numpy as np
    >>> round(float(gmean(np.array([1.0, 2.0, 4.0]))), 12)
    2.0
    """
    x, ax, s = _weighted(a, axis, weights, nan_policy, "gmean", dtype, 1.0)
    neg = s.x < 0
    _warn(neg, "invalid value encountered in log")
    pos = s.x > 0
    logs = wnp.where(pos, wnp.log(wnp.where(pos, s.x, 1.0)),
                     wnp.where(s.x == 0, -np.inf, np.nan))
    return _scalar(_restore(wnp.exp(s.mean_of(logs)), x, ax, keepdims))


@_quiet
def hmean(a, axis=0, dtype=None, *, weights=None, nan_policy="propagate", keepdims=False):
    """The harmonic mean ``Σ w / Σ (w / a)`` (0 with a zero entry; NaN, with SciPy's warning,
    for a negative one).

    >>> import numpy as np
    >>> round(float(hmean(np.array([1.0, 2.0, 4.0]))), 12)
    1.714285714286
    """
    x, ax, s = _weighted(a, axis, weights, nan_policy, "hmean", dtype, 1.0)
    neg = s.x < 0
    _warn(neg, "The harmonic mean is only defined if all elements are non-negative; "
          "otherwise, the result is NaN.")
    xs = wnp.where(neg, np.nan, s.x)
    pos = xs != 0
    inv = wnp.where(pos, 1.0 / wnp.where(pos, xs, 1.0), np.inf)
    return _scalar(_restore(1.0 / s.mean_of(inv), x, ax, keepdims))


# --------------------------------------------------------------------------- entropy


@_quiet
def entropy(pk, qk=None, base=None, axis=0, *, nan_policy="propagate", keepdims=False):
    """Shannon entropy ``-Σ p log p`` of the distribution ``pk`` (normalized along
    ``axis``), or with ``qk`` the Kullback-Leibler divergence ``Σ p log(p/q)``; in units of
    ``log(base)`` (nats by default).

    >>> import numpy as np
    >>> round(float(entropy(np.array([0.5, 0.5]), base=2)), 12)
    1.0
    """
    _check_policy(nan_policy, "entropy", pk, *(() if qk is None else (qk,)))
    p = _float(pk)
    ax = _axis_of(p, axis, "entropy")
    if qk is not None:
        q = _float(qk)
        try:
            shape = np.broadcast_shapes(tuple(p.shape), tuple(q.shape))
        except ValueError:
            raise WireValueError(f"entropy: qk of shape {tuple(q.shape)} does not broadcast "
                                 f"with pk of shape {tuple(p.shape)}{at(user_location())}") from None
        p, q = wnp.broadcast_to(p, shape), wnp.broadcast_to(q, shape)
    pl = _to_last(p, ax)
    omit = nan_policy == "omit"
    if qk is not None:
        ql = _to_last(q, ax)
        drop = wnp.logical_or(wnp.isnan(pl), wnp.isnan(ql)) if omit else None
    else:
        drop = wnp.isnan(pl) if omit else None
    if drop is not None:
        pl = wnp.where(drop, 0.0, pl)
    pl = pl / wnp.sum(pl, axis=-1, keepdims=True)
    if qk is None:
        h = wnp.sum(sc.entr(pl), axis=-1)
    else:
        if drop is not None:
            ql = wnp.where(drop, 0.0, ql)
        ql = ql / wnp.sum(ql, axis=-1, keepdims=True)
        h = wnp.sum(sc.rel_entr(pl, ql), axis=-1)
    if base is not None:
        h = h / math.log(base)
    return _scalar(_restore(h, p, ax, keepdims))


# --------------------------------------------------------------------------- order statistics


def _sorted(x, ax, nan_policy, what):
    """The data sorted along the last axis (NaN last) and each slice's count: all entries
    (``'propagate'``, where a NaN then makes the statistic NaN) or the non-NaN ones."""
    xl = _to_last(x, ax)
    xs = wnp.sort(xl, axis=-1)
    nan = wnp.isnan(xl)
    if nan_policy == "omit":
        n = wnp.sum(wnp.logical_not(nan), axis=-1)
    else:
        n = wnp.zeros(tuple(xl.shape[:-1]), np.int64) + xl.shape[-1]
    _warn_small(n if nan_policy == "omit" else float(xl.shape[-1]))
    return xs, n, wnp.any(nan, axis=-1)


def _quantile_sorted(xs, n, q, method="linear"):
    """The ``q``-quantile (``0 <= q <= 1``) of each slice's first ``n`` sorted entries by
    NumPy's ``method`` (``linear``, ``lower``, ``higher``, ``nearest``, ``midpoint``), to
    NumPy's rounding; NaN for an empty slice."""
    m = xs.shape[-1]
    if m == 0:
        return wnp.zeros(tuple(xs.shape[:-1]), xs.dtype) * np.nan
    top = wnp.maximum(n - 1, 0)
    pos = q * top
    lo = wnp.floor(pos)
    lerp = method in ("linear", "midpoint")
    if method == "lower":
        hi = lo
    elif method == "higher":
        lo = hi = wnp.ceil(pos)
    elif method == "nearest":
        lo = hi = wnp.round(pos)  # ties to even, as NumPy's
    else:
        if method == "midpoint":  # NumPy's virtual index: between floor and ceil
            pos = 0.5 * (lo + wnp.ceil(pos))
            lo = wnp.floor(pos)
        hi = wnp.minimum(lo + 1, top)
    li = wnp.asarray(wnp.clip(lo, 0, m - 1), np.int64)
    hi_ = wnp.asarray(wnp.clip(hi, 0, m - 1), np.int64)
    a = wnp.take_along_axis(xs, li[..., None], axis=-1)[..., 0]
    if lerp:
        b = wnp.take_along_axis(xs, hi_[..., None], axis=-1)[..., 0]
        t = pos - lo
        # NumPy's _lerp, to its rounding and its NaN at 0 · inf
        diff = b - a
        out = wnp.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)
    else:
        out = a
    return wnp.where(n > 0, out, np.nan)


def _median_sorted(xs, n):
    """NumPy's median of each slice's first ``n`` sorted entries: the middle one, or the
    mean of the middle two (NaN for an empty slice)."""
    m = xs.shape[-1]
    if m == 0:
        return wnp.zeros(tuple(xs.shape[:-1]), xs.dtype) * np.nan
    lo = wnp.clip((n - 1) // 2, 0, m - 1)
    hi = wnp.clip(n // 2, 0, m - 1)
    a = wnp.take_along_axis(xs, wnp.asarray(lo, np.int64)[..., None], axis=-1)[..., 0]
    b = wnp.take_along_axis(xs, wnp.asarray(hi, np.int64)[..., None], axis=-1)[..., 0]
    return wnp.where(n > 0, wnp.where(lo == hi, a, (a + b) * 0.5), np.nan)


_INTERPOLATIONS = ("linear", "lower", "higher", "nearest", "midpoint")
_NORMAL_IQR = 2.0 * math.sqrt(2.0) * 0.4769362762044698  # 2√2 erfinv(1/2) = Φ⁻¹(3/4) - Φ⁻¹(1/4)
_NORMAL_MAD = 0.6744897501960817  # Φ⁻¹(3/4)


@_quiet
def iqr(x, axis=None, rng=(25, 75), scale=1.0, nan_policy="propagate",
        interpolation="linear", keepdims=False):
    """Interquartile range: the ``rng`` percentiles' difference divided by ``scale``
    (``'normal'``: by ``Φ⁻¹(3/4) - Φ⁻¹(1/4) ≈ 1.349``, consistent for a normal's sigma).

    >>> import numpy as np
    >>> float(iqr(np.arange(1.0, 10.0)))
    4.0
    """
    _check_policy(nan_policy, "iqr", x)
    if interpolation not in _INTERPOLATIONS:
        raise WireValueError(f"iqr: interpolation must be one of {', '.join(_INTERPOLATIONS)}"
                             f", got {interpolation!r}{at(user_location())}")
    lo_p, hi_p = rng
    if not 0 <= lo_p <= hi_p <= 100:
        raise WireValueError(f"iqr: rng must be two percentiles 0 <= low <= high <= 100, got "
                             f"{rng!r}{at(user_location())}")
    if isinstance(scale, str):
        if scale.lower() != "normal":
            raise WireValueError(f"iqr: scale must be a number or 'normal', got {scale!r}"
                                 f"{at(user_location())}")
        scale = _NORMAL_IQR
    a = _float(x)
    ax = _axis_of(a, axis, "iqr")
    xs, n, has_nan = _sorted(a, ax, nan_policy, "iqr")
    out = (_quantile_sorted(xs, n, hi_p / 100.0, interpolation)
           - _quantile_sorted(xs, n, lo_p / 100.0, interpolation)) / scale
    if nan_policy == "propagate":
        out = wnp.where(has_nan, np.nan, out)
    return _scalar(_restore(out, a, ax, keepdims))


@_quiet
def median_abs_deviation(x, axis=0, center=None, scale=1.0, nan_policy="propagate", *,
                         keepdims=False):
    """Median absolute deviation ``median(|x - center(x)|) / scale`` (``center``: the median
    by default, else a function ``center(x, axis=-1)``; ``scale='normal'``: divided by
    ``Φ⁻¹(3/4) ≈ 0.6745``, consistent for a normal's sigma).

    >>> import numpy as np
    >>> float(median_abs_deviation(np.array([1.0, 2.0, 3.0, 4.0, 100.0])))
    1.0
    """
    _check_policy(nan_policy, "median_abs_deviation", x)
    if isinstance(scale, str):
        if scale.lower() != "normal":
            raise WireValueError(f"median_abs_deviation: scale must be a number or 'normal', "
                                 f"got {scale!r}{at(user_location())}")
        scale = _NORMAL_MAD
    a = _float(x)
    ax = _axis_of(a, axis, "median_abs_deviation")
    xs, n, has_nan = _sorted(a, ax, nan_policy, "median_abs_deviation")
    if center is None:
        c = _median_sorted(xs, n)
    else:
        xl = _to_last(a, ax)
        if nan_policy == "omit":
            xl = wnp.where(wnp.isnan(xl), np.nan, xl)
        c = center(xl, axis=-1)
    dev = wnp.abs(xs - wnp.expand_dims(c, -1))  # NaN entries stay NaN and sort last
    out = _median_sorted(wnp.sort(dev, axis=-1), n) / scale
    if nan_policy == "propagate":
        out = wnp.where(has_nan, np.nan, out)
    return _scalar(_restore(out, a, ax, keepdims))


@_quiet
def trim_mean(a, proportiontocut, axis=0, *, nan_policy="propagate", keepdims=False):
    """The mean after cutting ``int(proportiontocut · n)`` entries off each end of the sorted
    data (SciPy's slicing), along ``axis``.

    >>> import numpy as np
    >>> float(trim_mean(np.array([1.0, 2.0, 3.0, 4.0, 100.0]), 0.2))
    3.0
    """
    _check_policy(nan_policy, "trim_mean", a)
    x = _float(a)
    ax = _axis_of(x, axis, "trim_mean")
    xs, n, has_nan = _sorted(x, ax, nan_policy, "trim_mean")
    if not 0 <= proportiontocut < 0.5:
        raise WireValueError(f"trim_mean: proportiontocut must be in [0, 0.5), got "
                             f"{proportiontocut!r}{at(user_location())}")
    cut = wnp.floor(proportiontocut * n)
    idx = np.arange(xs.shape[-1])
    keep = wnp.logical_and(idx >= cut[..., None], idx < (n - cut)[..., None])
    total = wnp.sum(wnp.where(keep, xs, 0.0), axis=-1)
    out = total / (n - 2 * cut)
    if nan_policy == "propagate":
        out = wnp.where(has_nan, np.nan, out)
    return _scalar(_restore(out, x, ax, keepdims))


# --------------------------------------------------------------------------- correlation


class SignificanceResult(tuple):
    """``(statistic, pvalue)`` with SciPy's attribute names (and tuple unpacking)."""

    def __new__(cls, statistic, pvalue):
        return super().__new__(cls, (statistic, pvalue))

    @property
    def statistic(self):
        return self[0]

    @property
    def pvalue(self):
        return self[1]

    def __repr__(self):
        return f"{type(self).__name__}(statistic={self[0]!r}, pvalue={self[1]!r})"


class ConfidenceInterval(tuple):
    """``(low, high)`` with SciPy's attribute names."""

    def __new__(cls, low, high):
        return super().__new__(cls, (low, high))

    @property
    def low(self):
        return self[0]

    @property
    def high(self):
        return self[1]

    def __repr__(self):
        return f"ConfidenceInterval(low={self[0]!r}, high={self[1]!r})"


class PearsonRResult(SignificanceResult):
    """SciPy's ``PearsonRResult``: ``statistic``, ``pvalue`` and
    ``confidence_interval(confidence_level=0.95)`` (Fisher's transformation)."""

    def __new__(cls, statistic, pvalue, n, alternative):
        out = super().__new__(cls, statistic, pvalue)
        out._n, out._alternative = n, alternative
        return out

    def confidence_interval(self, confidence_level=0.95):
        """The interval for the correlation by Fisher's ``arctanh`` transformation (the
        normal approximation with standard error ``1/sqrt(n - 3)``, as SciPy's default;
        ``(-1, 1)`` below 4 observations)."""
        r = self.statistic
        n = self._n
        zr = wnp.arctanh(r)
        se = 1.0 / math.sqrt(n - 3) if n > 3 else np.inf  # SciPy's (-1, 1) below 4
        if self._alternative == "two-sided":
            h = float(sc.ndtri(0.5 + 0.5 * confidence_level)) * se
            return ConfidenceInterval(wnp.tanh(zr - h), wnp.tanh(zr + h))
        h = float(sc.ndtri(confidence_level)) * se
        if self._alternative == "less":
            return ConfidenceInterval(-1.0 + 0.0 * zr, wnp.tanh(zr + h))
        return ConfidenceInterval(wnp.tanh(zr - h), 1.0 + 0.0 * zr)


_ALTERNATIVES = ("two-sided", "less", "greater")


def _check_alternative(alternative, what):
    if alternative not in _ALTERNATIVES:
        raise WireValueError(f"{what}: alternative must be one of {', '.join(_ALTERNATIVES)}"
                             f", got {alternative!r}{at(user_location())}")


def _pearson(x, y, n):
    """The correlation of the last axes of ``x`` and ``y`` (SciPy's algorithm: centered,
    each scaled by its largest entry, then normalized); NaN for a constant input."""
    xm = x - wnp.mean(x, axis=-1, keepdims=True)
    ym = y - wnp.mean(y, axis=-1, keepdims=True)
    sx = wnp.max(wnp.abs(xm), axis=-1, keepdims=True)
    sy = wnp.max(wnp.abs(ym), axis=-1, keepdims=True)
    const = wnp.logical_or(sx[..., 0] == 0, sy[..., 0] == 0)
    _warn(const, "An input array is constant; the correlation coefficient is not defined.")
    xm = xm / wnp.where(sx == 0, 1.0, sx)
    ym = ym / wnp.where(sy == 0, 1.0, sy)
    nx = wnp.sqrt(wnp.sum(xm * xm, axis=-1))
    ny = wnp.sqrt(wnp.sum(ym * ym, axis=-1))
    r = wnp.sum(xm * ym, axis=-1) / (wnp.where(const, 1.0, nx) * wnp.where(const, 1.0, ny))
    r = wnp.clip(r, -1.0, 1.0)
    return wnp.where(const, np.nan, r)


def _beta_pvalue(r, n, alternative):
    """SciPy's p-value of a correlation under independence: ``r`` is
    ``Beta(n/2 - 1, n/2 - 1)`` on [-1, 1] (1 for n = 2)."""
    if n == 2:
        return 1.0 + 0.0 * r
    ab = n / 2.0 - 1.0
    lower = sc.betainc(ab, ab, wnp.clip(0.5 * (1.0 + r), 0.0, 1.0))   # P(R <= r)
    upper = sc.betainc(ab, ab, wnp.clip(0.5 * (1.0 - r), 0.0, 1.0))   # P(R >= r)
    if alternative == "less":
        return lower
    if alternative == "greater":
        return upper
    return wnp.clip(2.0 * wnp.minimum(lower, upper), 0.0, 1.0)


@_quiet
def pearsonr(x, y, *, alternative="two-sided", method=None, axis=0):
    """Pearson's correlation coefficient and the p-value of the test of no correlation
    (exact under normality, as SciPy's default), as SciPy 1.17's ``PearsonRResult``
    (``.statistic``, ``.pvalue``, ``.confidence_interval()``; unpacks as ``r, p``). Both
    are differentiable in the data. A constant input gives NaN with a warning.

    >>> import numpy as np
    >>> res = pearsonr(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 3.0, 2.0, 4.0]))
    >>> round(float(res.statistic), 12), round(float(res.pvalue), 12)
    (0.8, 0.2)
    """
    _check_alternative(alternative, "pearsonr")
    if method is not None:
        raise WireValueError(f"pearsonr: only the default method=None (the exact beta "
                             f"distribution) is implemented, got {method!r}{at(user_location())}")
    xa, ya = _float(x), _float(y)
    if axis is None:
        xa, ya = wnp.reshape(xa, (-1,)), wnp.reshape(ya, (-1,))
        axis = 0
    try:
        shape = np.broadcast_shapes(tuple(xa.shape), tuple(ya.shape))
    except ValueError:
        raise WireValueError(f"pearsonr: x of shape {tuple(xa.shape)} and y of shape "
                             f"{tuple(ya.shape)} do not broadcast{at(user_location())}") from None
    if len(shape) == 0:
        raise WireValueError(f"pearsonr: x and y must have at least one dimension"
                             f"{at(user_location())}")
    xa, ya = wnp.broadcast_to(xa, shape), wnp.broadcast_to(ya, shape)
    ax = _axis_of(xa, axis, "pearsonr")
    xl, yl = _to_last(xa, ax), _to_last(ya, ax)
    n = xl.shape[-1]
    if n < 2:
        raise WireValueError(f"pearsonr: x and y must have length at least 2 along the axis, "
                             f"got {n}{at(user_location())}")
    r = _pearson(xl, yl, n)
    if n == 2:  # exactly ±1, as SciPy (the normalized products round to 1 - 2^-53)
        r = wnp.where(wnp.isnan(r), r, wnp.sign(xl[..., 1] - xl[..., 0])
                      * wnp.sign(yl[..., 1] - yl[..., 0]) + 0.0 * r)
    p = _beta_pvalue(r, n, alternative)
    return PearsonRResult(_scalar(r), _scalar(p), n, alternative)


def _average_ranks(x):
    """Average ranks along the last axis; NaN entries sort last, each its own run, so the
    ranks of the others are those among the others."""
    order, _, start, end, _ = _runs(x, nan_equal=False)
    in_order = 0.5 * (start + 1 + end)
    return wnp.take_along_axis(wnp.asarray(in_order, np.float64), wnp.argsort(order, axis=-1),
                               axis=-1)


@_quiet
def spearmanr(a, b=None, axis=0, nan_policy="propagate", alternative="two-sided"):
    """Spearman's rank correlation (Pearson's of the average ranks) and the p-value from the
    t distribution with ``n - 2`` degrees of freedom, as SciPy's ``SignificanceResult``. With
    one 2-D argument (or two 1-D ones stacked), the matrix of correlations between the
    variables (columns, or rows for ``axis=1``). Ranks are piecewise constant: the derivative
    in the data is 0. ``nan_policy='omit'`` drops the observations with a NaN (1-D data).

    >>> import numpy as np
    >>> res = spearmanr(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 3.0, 2.0, 4.0]))
    >>> round(float(res.statistic), 12)
    0.8
    """
    _check_alternative(alternative, "spearmanr")
    arrays = (a,) if b is None else (a, b)
    _check_policy(nan_policy, "spearmanr", *arrays)
    if axis is None:
        arrays = tuple(wnp.reshape(_float(v), (-1,)) for v in arrays)
        axis = 0
    xs = [_float(v) for v in arrays]
    for v in xs:
        if v.ndim > 2:
            raise WireValueError(f"spearmanr: the data must be 1-D or 2-D, got shape "
                                 f"{tuple(v.shape)}{at(user_location())}")
    if axis not in (0, 1, -1, -2):
        raise WireValueError(f"spearmanr: axis must be 0, 1 or None, got {axis!r}"
                             f"{at(user_location())}")
    # the variables as rows of a 2-D array, observations along the last axis
    rows = []
    for v in xs:
        if v.ndim == 1:
            rows.append(v[None, :])
        else:
            rows.append(wnp.moveaxis(v, axis % 2, -1))
    data = wnp.concatenate(rows, axis=0)
    k, n = data.shape
    if k < 2:
        raise WireValueError(f"spearmanr: needs two variables (a 2-D array or two arrays), "
                             f"got one of length {n}{at(user_location())}")
    if nan_policy == "omit":
        if k != 2:
            raise WireValueError(f"spearmanr: nan_policy='omit' is implemented for two 1-D "
                                 f"arrays only{at(user_location())}")
        drop = wnp.any(wnp.isnan(data), axis=0)
        data = wnp.where(drop[None, :], np.nan, data)
        n_eff = wnp.sum(wnp.logical_not(drop))
    else:
        drop = None
    ranks = _average_ranks(data)
    if drop is not None:
        # Pearson's over the kept observations only: weights 0 for the dropped
        w = wnp.where(drop, 0.0, 1.0)
        rk = wnp.where(drop[None, :], 0.0, ranks)
        mean = wnp.sum(rk * w, axis=-1, keepdims=True) / n_eff
        c = (rk - mean) * w
        cov = c @ wnp.swapaxes(c, 0, 1)
        d = wnp.sqrt(wnp.diagonal(cov))
        const = d == 0
        _warn(const, "An input array is constant; the correlation coefficient is not "
              "defined.")
        ds = wnp.where(const, 1.0, d)
        rho = wnp.clip(cov / (ds[:, None] * ds[None, :]), -1.0, 1.0)
        rho = wnp.where(wnp.logical_or(const[:, None], const[None, :]), np.nan, rho)
        n_dof = n_eff
    else:
        nan_rows = wnp.any(wnp.isnan(data), axis=-1)
        c = ranks - wnp.mean(ranks, axis=-1, keepdims=True)
        cov = c @ wnp.swapaxes(c, 0, 1)
        d = wnp.sqrt(wnp.diagonal(cov))
        const = d == 0
        _warn(wnp.logical_and(const, wnp.logical_not(nan_rows)),
              "An input array is constant; the correlation coefficient is not defined.")
        ds = wnp.where(const, 1.0, d)
        rho = wnp.clip(cov / (ds[:, None] * ds[None, :]), -1.0, 1.0)
        bad = wnp.logical_or(const, nan_rows)
        rho = wnp.where(wnp.logical_or(bad[:, None], bad[None, :]), np.nan, rho)
        n_dof = float(n)
    rho = wnp.stop_gradient(rho)
    dof = n_dof - 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        one = wnp.abs(rho) == 1.0
        rs = wnp.where(one, 0.0, rho)
        tstat = wnp.where(one, wnp.sign(rho) * np.inf,
                          rs * wnp.sqrt(wnp.maximum(dof, 0.0) / ((rs + 1.0) * (1.0 - rs))))
    if alternative == "less":
        p = _t_dist.cdf(tstat, dof)
    elif alternative == "greater":
        p = _t_dist.sf(tstat, dof)
    else:
        p = 2.0 * _t_dist.sf(wnp.abs(tstat), dof)
    p = wnp.where(dof > 0, p, np.nan)
    p = wnp.where(wnp.isnan(rho), np.nan, p)
    if k == 2:
        return SignificanceResult(_scalar(rho[0, 1]), _scalar(p[0, 1]))
    return SignificanceResult(rho, p)


@functools.cache
def _kendall_exact_cdf(n):
    """``P(C <= c)`` for ``m = 0 … n`` (rows) and ``c = 0 … n(n-1)/2`` (columns; 1 past a
    row's end), ``C`` the number of discordant pairs of two independent random orderings of
    ``m`` items (the Mahonian numbers, exact in integers)."""
    width = n * (n - 1) // 2 + 1
    table = np.ones((n + 1, width))
    counts = [1]
    for m in range(1, n + 1):
        if m >= 2:  # multiply by 1 + q + … + q^(m-1)
            new, run = [0] * (len(counts) + m - 1), 0
            for i in range(len(new)):
                run += counts[i] if i < len(counts) else 0
                if i - m >= 0:
                    run -= counts[i - m]
                new[i] = run
            counts = new
        total, cum = math.factorial(m), 0
        for c, k in enumerate(counts):
            cum += k
            table[m, c] = cum / total
    return table


def _kendall_p_le(m, c, n_table):
    """``P(C <= c)`` for ``m`` items: from the table up to ``n_table`` items, and by
    ``1/m!``, ``1/(m-1)!`` for ``c = 0, 1`` beyond (SciPy's exact method there)."""
    table = _kendall_exact_cdf(n_table)
    rows, cols = table.shape
    mi = wnp.clip(m, 0, rows - 1)
    ci = wnp.clip(c, 0, cols - 1)
    in_table = wnp.take(wnp.asarray(table.ravel()), mi * cols + ci)
    mf = wnp.asarray(m, np.float64)
    beyond = wnp.where(c <= 0, wnp.exp(-sc.gammaln(mf + 1.0)),
                       wnp.where(c == 1, wnp.exp(-sc.gammaln(mf)), np.nan))
    return wnp.where(m < rows, in_table, beyond)


@_quiet
def kendalltau(x, y, *, nan_policy="propagate", method="auto", variant="b",
               alternative="two-sided", axis=None, keepdims=False):
    """Kendall's tau (``variant='b'``, adjusted for ties, or ``'c'``) of two 1-D samples and
    its p-value: exact (``method='exact'``, or ``'auto'`` without ties for n <= 33) or by the
    normal approximation with SciPy's tie-corrected variance. ``O(n²)`` pairs. Piecewise
    constant: its derivative is 0.

    >>> import numpy as np
    >>> res = kendalltau(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 3.0, 2.0, 4.0]))
    >>> round(float(res.statistic), 12), round(float(res.pvalue), 12)
    (0.666666666667, 0.333333333333)
    """
    _check_alternative(alternative, "kendalltau")
    _check_policy(nan_policy, "kendalltau", x, y)
    if variant not in ("b", "c"):
        raise WireValueError(f"kendalltau: variant must be 'b' or 'c', got {variant!r}"
                             f"{at(user_location())}")
    if method not in ("auto", "exact", "asymptotic"):
        raise WireValueError(f"kendalltau: method must be 'auto', 'exact' or 'asymptotic', got"
                             f" {method!r}{at(user_location())}")
    xa = wnp.reshape(_float(x), (-1,))
    ya = wnp.reshape(_float(y), (-1,))
    if xa.shape != ya.shape:
        raise WireValueError(f"kendalltau: x and y must have the same size, got {xa.shape[0]} "
                             f"and {ya.shape[0]}{at(user_location())}")
    xa, ya = wnp.stop_gradient(xa), wnp.stop_gradient(ya)
    n = xa.shape[0]
    nan = wnp.logical_or(wnp.isnan(xa), wnp.isnan(ya))
    if nan_policy == "omit":
        keep = wnp.logical_not(nan)
    else:
        keep = wnp.ones((n,), bool)
    pair = wnp.logical_and(keep[:, None], keep[None, :])
    upper = np.triu(np.ones((n, n), bool), 1)
    pair = wnp.logical_and(pair, upper)
    m = wnp.sum(keep)
    dx = wnp.sign(xa[:, None] - xa[None, :])
    dy = wnp.sign(ya[:, None] - ya[None, :])
    pf = wnp.where(pair, 1.0, 0.0)
    s = wnp.sum(wnp.where(pair, dx * dy, 0.0))
    tx = wnp.sum(pf * (dx == 0))          # pairs tied in x
    ty = wnp.sum(pf * (dy == 0))
    txy = wnp.sum(pf * wnp.logical_and(dx == 0, dy == 0))
    tot = m * (m - 1) / 2.0
    mf = wnp.asarray(m, np.float64)
    if variant == "b":
        tau = s / wnp.sqrt((tot - tx) * (tot - ty))
    else:
        # SciPy's tau-c: 2 (C - D) / (n² (r - 1) / r), r the smaller count of distinct values
        kx = _distinct(xa, keep)
        ky = _distinct(ya, keep)
        r = wnp.minimum(kx, ky)
        tau = 2.0 * s / (mf * mf * (r - 1.0) / r)
    tau = wnp.clip(tau, -1.0, 1.0)
    # the asymptotic p-value with SciPy's tie-corrected variance
    same = wnp.logical_and(keep[:, None], keep[None, :])
    cx = wnp.sum(wnp.logical_and(same, xa[:, None] == xa[None, :]), axis=1)  # group size per entry
    cy = wnp.sum(wnp.logical_and(same, ya[:, None] == ya[None, :]), axis=1)
    kf = wnp.where(keep, 1.0, 0.0)
    x0 = wnp.sum(kf * (cx - 1.0) * (cx - 2.0))
    y0 = wnp.sum(kf * (cy - 1.0) * (cy - 2.0))
    x1 = wnp.sum(kf * (cx - 1.0) * (2.0 * cx + 5.0))
    y1 = wnp.sum(kf * (cy - 1.0) * (2.0 * cy + 5.0))
    mm = mf * (mf - 1.0)
    var = ((mm * (2.0 * mf + 5.0) - x1 - y1) / 18.0 + (2.0 * tx * ty) / mm
           + x0 * y0 / (9.0 * mm * (mf - 2.0)))
    z = s / wnp.sqrt(var)
    if alternative == "less":
        p_asym = sc.ndtr(z)
    elif alternative == "greater":
        p_asym = sc.ndtr(-z)
    else:
        p_asym = 2.0 * sc.ndtr(-wnp.abs(z))
    p = p_asym
    ties = wnp.logical_or(tx > 0, ty > 0)
    if method in ("auto", "exact") and n >= 2:
        n_table = n if method == "exact" else min(n, 33)
        mi = wnp.asarray(m, np.int64)
        dis = wnp.asarray(wnp.round((tot - tx - ty + txy - s) / 2.0), np.int64)  # discordant
        conc = wnp.asarray(wnp.round(tot), np.int64) - dis
        p_le_dis = _kendall_p_le(mi, dis, n_table)     # P(C <= dis): small when tau is large
        p_le_conc = _kendall_p_le(mi, conc, n_table)   # P(C <= conc) = P(C >= dis)
        if alternative == "greater":
            p_exact = p_le_dis
        elif alternative == "less":
            p_exact = p_le_conc
        else:
            p_exact = wnp.minimum(1.0, 2.0 * wnp.minimum(p_le_dis, p_le_conc))
        if method == "exact":
            if not _traced(ties) and bool(np.asarray(ties)):
                raise WireValueError(f"kendalltau: method='exact' needs data without ties"
                                     f"{at(user_location())}")
            p = p_exact
        else:
            small = wnp.minimum(dis, conc) <= 1
            use = wnp.logical_and(wnp.logical_not(ties), wnp.logical_or(mi <= 33, small))
            p = wnp.where(use, p_exact, p_asym)
    bad = m < 2
    if nan_policy == "propagate":
        bad = wnp.logical_or(bad, wnp.any(nan))
    tau = wnp.where(bad, np.nan, tau)
    p = wnp.where(wnp.logical_or(bad, wnp.isnan(tau)), np.nan, p)
    if keepdims:
        tau, p = wnp.reshape(tau, (1,)), wnp.reshape(p, (1,))
    return SignificanceResult(_scalar(tau), _scalar(p))


def _distinct(v, keep):
    """The number of distinct values among the kept entries."""
    vs = wnp.sort(wnp.where(keep, v, np.inf))
    m = wnp.sum(keep)
    idx = np.arange(v.shape[0])
    new = wnp.concatenate([wnp.ones((1,), bool), vs[1:] != vs[:-1]])
    return wnp.sum(wnp.logical_and(new, idx < m))
