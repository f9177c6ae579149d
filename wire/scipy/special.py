"""``wire.scipy.special``: special functions on arrays and tracers, in numerically stable
forms. ``gammaln``, ``digamma``/``psi``, ``polygamma``, ``erf``, ``erfc`` and ``erfinv`` are
primitives (``wire.ops.special``); the rest are compositions.

On concrete arrays every function computes right away (with SciPy when installed).

>>> import numpy as np, wire
>>> from wire.scipy.special import logsumexp
>>> round(float(logsumexp(np.array([1000.0, 1000.0])) - 1000.0), 12)
0.69314718056
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .. import numpy as wnp
from ..errors import WireError, at, user_location
from ..ops import special as SP
from ..numpy._reductions import normalize_axes
from ..tracer import Tracer

__all__ = [
    "beta",
    "betaln",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcinv",
    "erfinv",
    "expit",
    "gamma",
    "gammaln",
    "kl_div",
    "log_expit",
    "log_ndtr",
    "log_softmax",
    "loggamma",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "rel_entr",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]

_SQRT2 = math.sqrt(2.0)


def _t(*xs) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


# The dtype SciPy's ufuncs compute in. NumPy takes the loop whose dtypes equal the inputs',
# else the first loop (in SciPy's order) every input casts to safely: float32 stays float32
# everywhere, but float16, booleans and small integers go to float64 in the functions whose
# first loop is "d" (erf, gamma, expit …) and to float32 in those whose first is "f" (erfinv,
# entr, rel_entr …). Python scalars adapt to the arrays (NEP 50).
_D_FIRST = (np.dtype(np.float64), np.dtype(np.float32))
_F_FIRST = (np.dtype(np.float32), np.dtype(np.float64))


def _loop_dtype(loops, *xs) -> np.dtype:
    dts = [x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype
           for x in xs if not isinstance(x, (bool, int, float, complex))]
    if not dts:
        return np.dtype(np.float64)
    if builtins.any(d.kind == "c" for d in dts):
        return np.result_type(*dts, np.complex64)
    if builtins.all(d == dts[0] for d in dts) and dts[0] in loops:
        return dts[0]
    for loop in loops:
        if builtins.all(np.can_cast(d, loop) for d in dts):
            return loop
    return np.dtype(np.float64)


def _as(loops, *xs):
    """``xs`` cast to the dtype SciPy's ufunc with ``loops`` would compute them in."""
    dt = _loop_dtype(loops, *xs)
    out = [wnp.asarray(x, dt) if isinstance(x, Tracer) else np.asarray(x, dt) for x in xs]
    return out[0] if len(out) == 1 else out


def _in_float64(loops, fn, *xs):
    """``fn`` of ``xs`` computed in float64 and rounded to the loop dtype: SciPy's float32
    loops of its double-only functions (``rel_entr``, ``kl_div``, ``entr``) do that, so an
    intermediate like ``1 / 1e-45`` does not overflow."""
    dt = _loop_dtype(loops, *xs)
    out = fn(*[_f64(x) for x in xs])
    return wnp.asarray(out, dt) if _t(out) else np.asarray(out, dt)


def _k(value, like):
    """``value`` as a 0-d array of ``like``'s dtype (a Python float would widen float32)."""
    return np.asarray(value, like.dtype)


def _fl(x):
    """``x`` as a floating tracer or array (integers and booleans become float64)."""
    if isinstance(x, Tracer):
        return x if x.dtype.kind in "fc" else wnp.asarray(x, np.float64)
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def _reduce_float(*xs):
    """``xs`` in their common float dtype, as SciPy's ``logsumexp``/``softmax`` promote
    (float16 and float32 stay, integers and booleans become float64)."""
    dt = np.result_type(*[x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype
                          for x in xs if x is not None])
    if dt.kind not in "fc":
        dt = np.dtype(np.float64)
    return [None if x is None else wnp.asarray(x, dt) if isinstance(x, Tracer)
            else np.asarray(x, dt) for x in xs]


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` over ``axis`` without overflow, with SciPy's semantics for
    infinities and weights: an entry whose weight ``b`` is 0 adds nothing (even ``inf`` or
    NaN), a slice of ``-inf`` gives ``-inf``, one holding ``+inf`` gives ``inf``, an empty one
    ``-inf``, and a negative sum NaN (or its sign, with ``return_sign``).

    The largest entry is factored out as a constant (``stop_gradient``, replaced by 0 when it
    is not finite, as JAX does), which leaves value and derivative exact: the derivative is
    ``b * exp(a - out)``, finite wherever the result is, 0 for ``-inf`` entries and zero
    weights.

    >>> float(logsumexp(np.array([0.0, 0.0])))
    0.6931471805599453
    >>> float(logsumexp(np.array([-np.inf, -np.inf]))), float(logsumexp(np.array([np.inf, 0.0])))
    (-inf, inf)
    """
    a, b = _reduce_float(a, b)
    ndim = a.ndim if isinstance(a, Tracer) else np.ndim(a)
    axes = normalize_axes(axis, ndim)
    kept = tuple(1 if i in axes else d for i, d in enumerate(np.shape(a)))
    if b is not None:
        a = wnp.where(b != 0, a, -np.inf)  # SciPy: a zero weight drops the entry
    if builtins.any(np.shape(a)[i] == 0 for i in axes) or (axis is None and np.size(a) == 0):
        out = wnp.full(kept, -np.inf, dtype=a.dtype)  # the log of an empty sum
        sign = wnp.full(kept, -1.0, dtype=a.dtype)  # SciPy's sign of that -inf
    else:
        m = wnp.max(a, axis=axis, keepdims=True)
        m = wnp.stop_gradient(wnp.where(wnp.isfinite(m), m, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0), inf - inf: concrete
            e = wnp.exp(a - m)
            if b is not None:
                e = e * b
            s = wnp.sum(e, axis=axis, keepdims=True)
            sign = wnp.sign(s)
            out = wnp.log(wnp.abs(s)) + m
        if b is not None and not return_sign:
            out = wnp.where(sign < 0, np.nan, out)
    if not keepdims:
        shape = tuple(d for i, d in enumerate(kept) if i not in axes)
        out, sign = wnp.reshape(out, shape), wnp.reshape(sign, shape)
    return (out, sign) if return_sign else out


def _unary(prim_binder, name, loops=_D_FIRST):
    def f(x):
        return prim_binder(_as(loops, x))

    f.__name__ = name
    f.__doc__ = f"SciPy's ``{name}`` (a primitive; derivatives of every order)."
    return f


gammaln = _unary(SP.gammaln, "gammaln")
erf = _unary(SP.erf, "erf")
erfc = _unary(SP.erfc, "erfc")
erfinv = _unary(SP.erfinv, "erfinv", _F_FIRST)


def digamma(x):
    """ψ(x) = d/dx log Γ(x).

    >>> round(float(digamma(1.0)), 6)
    -0.577216
    """
    return SP.polygamma(_as(_D_FIRST, x), 0)


psi = digamma


def polygamma(n, x):
    """n-th derivative of digamma (``n`` a concrete non-negative integer); float64, as SciPy's."""
    if isinstance(n, Tracer):
        raise WireError(f"polygamma: the order n must be concrete{at(user_location())}")
    n = np.asarray(n)
    if n.ndim:
        if not _t(x):
            from scipy.special import polygamma as _pg

            return _pg(n, x)
        raise WireError(f"polygamma: n must be one integer on traced values{at(user_location())}")
    if int(n) == 0:  # SciPy: psi(x) in x's own loop dtype, then float64
        return _f64(SP.polygamma(_as(_D_FIRST, x), 0))
    return SP.polygamma(_f64(x), int(n))


def _f64(x):
    return wnp.asarray(x, np.float64) if isinstance(x, Tracer) else np.asarray(x, np.float64)


def loggamma(x):
    """log Γ(x) for real x: ``gammaln`` for x >= 0, NaN for x < 0 (where Γ is negative or
    undefined), as SciPy's real ``loggamma``."""
    x = _as(_D_FIRST, x)
    m = wnp if _t(x) else np
    return m.where(x < 0, np.nan, gammaln(x))


def gamma(x):
    """Γ(x) = sign · exp(gammaln(x)); ``±inf`` at ``±0.0``, NaN at the poles (negative
    integers and ``-inf``), as SciPy's."""
    x = _as(_D_FIRST, x)
    if not _t(x):
        try:
            from scipy.special import gamma as _g
        except ImportError:  # pragma: no cover - exercised only without scipy
            pass
        else:
            return _g(x)
    m = wnp if _t(x) else np
    neg = x < 0
    odd = m.mod(m.floor(x), 2.0) != 0
    sign = m.where(neg & odd, _k(-1.0, x), _k(1.0, x))
    out = sign * m.exp(gammaln(x))
    pole = neg & (m.floor(x) == x)
    return m.where(pole, np.nan, m.where(x == 0, m.copysign(np.inf, x), out))


def erfcinv(y):
    """Inverse of ``erfc`` on [0, 2]: ``-ndtri(y / 2) / sqrt 2`` (accurate for tiny ``y``),
    NaN outside; computed in float64, as SciPy's."""
    return _in_float64(_F_FIRST, _erfcinv, y)


def _erfcinv(y):
    m = wnp if _t(y) else np
    return m.where((y < 0) | (y > 2), np.nan, -SP.ndtri(0.5 * y) / _SQRT2)


def expit(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, never overflowing and accurate in both tails.

    With ``e = exp(-|x|)`` (the sign flip by ``where``, so the derivative at 0 is right) it is
    ``1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` below: ``expit(-40)`` is 4.2e-18, not
    the 0 that ``(1 + tanh(x / 2)) / 2`` rounds to.

    >>> float(expit(0.0)), float(expit(-40.0))
    (0.5, 4.248354255291589e-18)
    """
    x = _as(_D_FIRST, x)
    m = wnp if _t(x) else np
    pos = x >= 0
    e = m.exp(-m.where(pos, x, -x))
    return m.where(pos, 1.0, e) / (1.0 + e)


def log_expit(x):
    """``log(expit(x)) = -logaddexp(0, -x)``, exact for large ``|x|``."""
    x = _as(_D_FIRST, x)
    if not _t(x):
        return -np.logaddexp(0.0, -x)
    return -wnp.logaddexp(0.0, -x)


def logit(p):
    """``log(p / (1 - p))`` as ``log(p) - log1p(-p)``.

    >>> float(logit(0.5))
    0.0
    """
    p = _as(_D_FIRST, p)
    if not _t(p):
        return np.log(p) - np.log1p(-p)
    return wnp.log(p) - wnp.log1p(-p)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (shifted by the stopped maximum, as SciPy
    shifts: a slice holding ``inf`` or only ``-inf`` is NaN). Integers become float64 before
    the shift (SciPy subtracts them as integers, which wraps around at the extremes).

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    (x,) = _reduce_float(x)
    if not _t(x):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)
    e = wnp.exp(x - wnp.stop_gradient(wnp.max(x, axis=axis, keepdims=True)))
    return e / wnp.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` over ``axis``, as SciPy computes it: shifted by the maximum (0
    where that is not finite), so ``[inf, 0]`` gives ``[nan, -inf]`` and ``[-inf, -inf]`` NaN.

    >>> log_softmax(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """
    (x,) = _reduce_float(x)
    m = wnp if _t(x) else np
    x_max = m.max(x, axis=axis, keepdims=True)
    x_max = m.where(m.isfinite(x_max), x_max, 0.0)
    if _t(x):
        x_max = wnp.stop_gradient(x_max)
    tmp = x - x_max
    return tmp - m.log(m.sum(m.exp(tmp), axis=axis, keepdims=True))


def xlogy(x, y):
    """``x * log(y)``, 0 where ``x == 0`` (and its derivative there) unless ``y`` is NaN.

    >>> float(xlogy(0.0, 0.0))
    0.0
    """
    x, y = _as(_D_FIRST, x, y)
    m = wnp if _t(x, y) else np
    zero = (x == 0) & ~m.isnan(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        return m.where(zero, 0.0, x * m.log(m.where(zero, 1.0, y)))


def xlog1py(x, y):
    """``x * log1p(y)``, 0 where ``x == 0`` unless ``y`` is NaN."""
    x, y = _as(_D_FIRST, x, y)
    m = wnp if _t(x, y) else np
    zero = (x == 0) & ~m.isnan(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        return m.where(zero, 0.0, x * m.log1p(m.where(zero, 0.0, y)))


def betaln(a, b):
    """``log |B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)``."""
    a, b = _as(_D_FIRST, a, b)
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def beta(a, b):
    """B(a, b) for positive arguments, ``exp(betaln(a, b))``."""
    out = betaln(a, b)
    return wnp.exp(out) if _t(out) else np.exp(out)


def multigammaln(a, d):
    """Log of the multivariate gamma function of dimension ``d`` (float64). SciPy refuses
    ``a <= (d - 1) / 2``: so does this on concrete values; traced values give NaN there."""
    a = _fl(a)  # SciPy sums the gammaln terms in a's float dtype, then adds a float64
    if not _t(a) and np.any(a <= 0.5 * (d - 1)):
        raise WireError(f"multigammaln: a must be > (d - 1) / 2 = {0.5 * (d - 1)}"
                        f"{at(user_location())}")
    terms = gammaln(a)
    for j in range(1, d):
        terms = terms + gammaln(a - j / 2.0)
    out = _f64(terms) + d * (d - 1) / 4.0 * math.log(math.pi)
    if _t(a):
        out = wnp.where(a <= 0.5 * (d - 1), np.nan, out)
    return out


def ndtr(x):
    """Standard normal CDF, ``erfc(-x / sqrt 2) / 2``."""
    return 0.5 * erfc(-_as(_D_FIRST, x) / _SQRT2)


def ndtri(p):
    """Inverse of ``ndtr`` (a primitive, accurate in both tails); NaN outside [0, 1]."""
    return SP.ndtri(_as(_F_FIRST, p))


_LOG_NDTR_SPLIT = -30.0  # below: asymptotic series (erfc underflows near x = -38)


def log_ndtr(x):
    """log of the normal CDF: the asymptotic series below -30, ``log(erfc(-x/√2) / 2)`` up
    to 0, and ``log1p(-erfc(x/√2) / 2)`` above (accurate in the upper tail, ``-0.0`` at
    ``inf``, as SciPy's).

    Each branch gets inputs clamped to its own side, so neither value nor derivative of an
    unused branch can be inf/NaN (the gradient at x = -1000 is 1000, not NaN).
    """
    x = _as(_D_FIRST, x)
    if not _t(x):
        try:
            from scipy.special import log_ndtr as _l
        except ImportError:  # pragma: no cover - exercised only without scipy
            pass
        else:
            return _l(x)
    m = wnp if _t(x) else np
    low, high = x < _LOG_NDTR_SPLIT, x > 0
    xe = m.where(low, _LOG_NDTR_SPLIT, m.where(high, 0.0, x))  # erfc side
    xa = m.where(low, x, _LOG_NDTR_SPLIT)  # asymptotic side
    xh = m.where(high, x, 0.0)  # upper tail
    near = m.log(erfc(-xe / _SQRT2)) - math.log(2.0)
    upper = m.log1p(-0.5 * erfc(xh / _SQRT2))
    r = 1.0 / (xa * xa)
    series = 1.0 + r * (-1.0 + r * (3.0 + r * (-15.0 + r * (105.0 + r * (-945.0 + r * 10395.0)))))
    far = -0.5 * xa * xa - m.log(-xa) - 0.5 * math.log(2.0 * math.pi) + m.log(series)
    return m.where(low, far, m.where(high, upper, near))


def entr(x):
    """``-x log x``: 0 at 0, ``-inf`` below, NaN at NaN (as SciPy's, computed in float64)."""
    return _in_float64(_F_FIRST, _entr, x)


def _entr(x):
    m = wnp if _t(x) else np
    pos = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = -(x * m.log(m.where(pos, x, 1.0)))
    return m.where(m.isnan(x), x, m.where(pos, inner, m.where(x == 0, _k(0.0, x), -np.inf)))


def _positive(x, y, m):
    """``x > 0 and y > 0``, and ``x``, ``y`` replaced by 1 elsewhere (so no log or ratio of
    the unused branch is inf/NaN, in value or derivative)."""
    pos = (x > 0) & (y > 0)
    return pos, m.where(pos, x, 1.0), m.where(pos, y, 1.0)


def rel_entr(x, y):
    """``x log(x / y)`` for ``x, y > 0``; 0 where ``x == 0 <= y``; inf elsewhere; NaN for a
    NaN argument (SciPy's definition, computed in float64 as SciPy does). The log is
    ``log1p((x - y) / y)`` for ratios near 1 and ``log x - log y`` where the ratio overflows
    or underflows, as SciPy's."""
    return _in_float64(_F_FIRST, _rel_entr, x, y)


def _rel_entr(x, y):
    m = wnp if _t(x, y) else np
    pos, xs, ys = _positive(x, y, m)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = xs / ys
        near = (ratio > 0.5) & (ratio < 2.0)
        fine = (ratio > np.finfo(np.float64).tiny) & (ratio < np.inf)
        log_ratio = m.where(near, m.log1p((xs - ys) / ys),
                            m.where(fine, m.log(m.where(fine, ratio, 1.0)), m.log(xs) - m.log(ys)))
    out = m.where(pos, xs * log_ratio, m.where((x == 0) & (y >= 0), _k(0.0, x), np.inf))
    return m.where(m.isnan(x) | m.isnan(y), np.nan, out)


def kl_div(x, y):
    """``x log(x / y) - x + y`` for ``x, y > 0``; ``y`` where ``x == 0 <= y``; inf
    elsewhere; NaN for a NaN argument (SciPy's definition, computed in float64 as SciPy
    does)."""
    return _in_float64(_F_FIRST, _kl_div, x, y)


def _kl_div(x, y):
    m = wnp if _t(x, y) else np
    pos, xs, ys = _positive(x, y, m)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        val = xs * m.log(xs / ys) - x + y
        out = m.where(pos, val, m.where((x == 0) & (y >= 0), y, np.inf))
    return m.where(m.isnan(x) | m.isnan(y), np.nan, out)


def sinc(x):
    """Normalized sinc (``wire.numpy.sinc``)."""
    return wnp.sinc(x)
