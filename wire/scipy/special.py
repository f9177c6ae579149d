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
from ..numpy._reductions import normalize_axes
from ..ops import special as SP
from ..core import Tracer

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


def _fl(x):
    """``x`` as a floating tracer or array (ints become float64)."""
    if isinstance(x, Tracer):
        return x if x.dtype.kind in "fc" else wnp.asarray(x, np.float64)
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` over ``axis`` without overflow (the maximum is factored out
    and held constant, which leaves the value and derivative exact).

    >>> float(logsumexp(np.array([0.0, 0.0])))
    0.6931471805599453
    """
    a = _fl(a)
    m = wnp.stop_gradient(wnp.max(a, axis=axis, keepdims=True))
    m = wnp.where(wnp.isfinite(m), m, 0.0)
    e = wnp.exp(a - m)
    if b is not None:
        e = e * b
    s = wnp.sum(e, axis=axis, keepdims=True)
    sign = None
    if return_sign:
        sign = wnp.sign(s)
        s = wnp.abs(s)
    out = wnp.log(s) + m
    if not keepdims:
        axes = normalize_axes(axis, np.ndim(a))
        out = wnp.reshape(out, tuple(d for i, d in enumerate(np.shape(out)) if i not in axes))
        if sign is not None:
            sign = wnp.reshape(sign, np.shape(out))
    return (out, sign) if return_sign else out


def _unary(prim_binder, name):
    def f(x):
        return prim_binder(_fl(x))

    f.__name__ = name
    f.__doc__ = f"SciPy's ``{name}`` (a primitive; derivatives of every order)."
    return f


gammaln = _unary(SP.gammaln, "gammaln")
erf = _unary(SP.erf, "erf")
erfc = _unary(SP.erfc, "erfc")
erfinv = _unary(SP.erfinv, "erfinv")


def digamma(x):
    """ψ(x) = d/dx log Γ(x).

    >>> round(float(digamma(1.0)), 6)
    -0.577216
    """
    return SP.polygamma(_fl(x), 0)


psi = digamma


def polygamma(n, x):
    """n-th derivative of digamma (``n`` a concrete non-negative integer)."""
    if isinstance(n, Tracer):
        raise WireError(f"polygamma: the order n must be concrete{at(user_location())}")
    n = np.asarray(n)
    if n.ndim:
        if not _t(x):
            from scipy.special import polygamma as _pg

            return _pg(n, x)
        raise WireError(f"polygamma: n must be one integer on traced values{at(user_location())}")
    return SP.polygamma(_fl(x), int(n))


def loggamma(x):
    """log Γ(x) for real x > 0 (equals ``gammaln`` there)."""
    return gammaln(x)


def gamma(x):
    """Γ(x) = sign · exp(gammaln(x)) (the sign is piecewise constant)."""
    x = _fl(x)
    if not _t(x):
        from scipy.special import gamma as _g

        return _g(x)
    neg = x < 0
    odd = wnp.mod(wnp.floor(x), 2.0) != 0
    sign = wnp.where(neg & odd, -1.0, 1.0)
    return sign * wnp.exp(gammaln(x))


def erfcinv(y):
    """Inverse of ``erfc``: ``erfinv(1 - y)``."""
    return erfinv(1.0 - _fl(y))


def expit(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, never overflowing and accurate in both tails.

    With ``e = exp(-|x|)`` (the sign flip by ``where``, so the derivative at 0 is right) it is
    ``1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` below: ``expit(-40)`` is 4.2e-18, not
    the 0 that ``(1 + tanh(x / 2)) / 2`` rounds to.

    >>> float(expit(0.0)), float(expit(-40.0))
    (0.5, 4.248354255291589e-18)
    """
    x = _fl(x)
    m = wnp if _t(x) else np
    pos = x >= 0
    e = m.exp(-m.where(pos, x, -x))
    return m.where(pos, 1.0, e) / (1.0 + e)


def log_expit(x):
    """``log(expit(x)) = -logaddexp(0, -x)``, exact for large ``|x|``."""
    x = _fl(x)
    if not _t(x):
        return -np.logaddexp(0.0, -x)
    return -wnp.logaddexp(0.0, -x)


def logit(p):
    """``log(p / (1 - p))`` as ``log(p) - log1p(-p)``.

    >>> float(logit(0.5))
    0.0
    """
    p = _fl(p)
    if not _t(p):
        return np.log(p) - np.log1p(-p)
    return wnp.log(p) - wnp.log1p(-p)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (shifted by the stopped maximum).

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    x = _fl(x)
    if not _t(x):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)
    e = wnp.exp(x - wnp.stop_gradient(wnp.max(x, axis=axis, keepdims=True)))
    return e / wnp.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` over ``axis``.

    >>> log_softmax(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """
    x = _fl(x)
    if not _t(x):
        s = x - np.max(x, axis=axis, keepdims=True)
        return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))
    return x - logsumexp(x, axis=axis, keepdims=True)


def xlogy(x, y):
    """``x * log(y)``, 0 where ``x == 0`` (also its derivative there).

    >>> float(xlogy(0.0, 0.0))
    0.0
    """
    x, y = _fl(x), _fl(y)
    if not _t(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))
    zero = x == 0
    return wnp.where(zero, 0.0, x * wnp.log(wnp.where(zero, 1.0, y)))


def xlog1py(x, y):
    """``x * log1p(y)``, 0 where ``x == 0``."""
    x, y = _fl(x), _fl(y)
    if not _t(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, 0.0, x * np.log1p(np.where(x == 0, 0.0, y)))
    zero = x == 0
    return wnp.where(zero, 0.0, x * wnp.log1p(wnp.where(zero, 0.0, y)))


def betaln(a, b):
    """``log |B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)``."""
    a, b = _fl(a), _fl(b)
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def beta(a, b):
    """B(a, b) for positive arguments, ``exp(betaln(a, b))``."""
    out = betaln(a, b)
    return wnp.exp(out) if _t(out) else np.exp(out)


def multigammaln(a, d):
    """Log of the multivariate gamma function of dimension ``d`` (concrete)."""
    a = _fl(a)
    out = d * (d - 1) / 4.0 * math.log(math.pi)
    for j in range(d):
        out = out + gammaln(a - j / 2.0)
    return out


def ndtr(x):
    """Standard normal CDF, ``erfc(-x / sqrt 2) / 2``."""
    return 0.5 * erfc(-_fl(x) / _SQRT2)


def ndtri(p):
    """Inverse of ``ndtr``: ``sqrt 2 · erfinv(2p - 1)``."""
    return _SQRT2 * erfinv(2.0 * _fl(p) - 1.0)


_LOG_NDTR_SPLIT = -30.0  # below: asymptotic series (erfc underflows near x = -38)


def log_ndtr(x):
    """log of the normal CDF: ``log(erfc)`` for x >= -30, the asymptotic series below.

    Both branches get inputs clamped to their own side, so neither value nor derivative of
    the unused branch can be inf/NaN (the gradient at x = -1000 is 1000, not NaN).
    """
    x = _fl(x)
    if not _t(x):
        from scipy.special import log_ndtr as _l

        return _l(x)
    low = x < _LOG_NDTR_SPLIT
    xe = wnp.where(low, _LOG_NDTR_SPLIT, x)  # erfc side
    xa = wnp.where(low, x, _LOG_NDTR_SPLIT)  # asymptotic side
    near = wnp.log(erfc(-xe / _SQRT2)) - math.log(2.0)
    r = 1.0 / (xa * xa)
    series = 1.0 + r * (-1.0 + r * (3.0 + r * (-15.0 + r * (105.0 + r * (-945.0 + r * 10395.0)))))
    far = -0.5 * xa * xa - wnp.log(-xa) - 0.5 * math.log(2.0 * math.pi) + wnp.log(series)
    return wnp.where(low, far, near)


def entr(x):
    """``-x log x`` (0 at 0, -inf below)."""
    x = _fl(x)
    if not _t(x):
        from scipy.special import entr as _e

        return _e(x)
    return wnp.where(x < 0, -np.inf, -xlogy(x, x))


def rel_entr(x, y):
    """``x log(x / y)`` elementwise (0 where x == 0, inf where invalid)."""
    x, y = _fl(x), _fl(y)
    if not _t(x, y):
        from scipy.special import rel_entr as _r

        return _r(x, y)
    bad = (x < 0) | (y <= 0) & (x != 0)
    return wnp.where(bad, np.inf, xlogy(x, x) - xlogy(x, y))


def kl_div(x, y):
    """``x log(x / y) - x + y`` elementwise."""
    return rel_entr(x, y) - x + y


def sinc(x):
    """Normalized sinc (``wire.numpy.sinc``)."""
    return wnp.sinc(x)
