"""Continuous distributions: ``norm``, ``t``, ``beta``, ``gamma``, ``chi2``, ``expon``,
``laplace``, ``logistic``, ``cauchy``, ``uniform``.

Each class gives the standardized functions (``loc = 0``, ``scale = 1``) SciPy's
``rv_continuous`` subclasses give, written so the value and every derivative are right:

* where SciPy picks a branch by the sign of ``z`` for accuracy, the branch that holds at
  ``z = 0`` is the analytic formula itself (so ``logistic.logpdf''(0)`` is -1/2, not the 0
  an ``abs``-based formula gives);
* cdfs of ``gamma``/``chi2``/``beta``/``t`` use the incomplete gamma and beta primitives,
  whose derivatives in the shape parameters are exact (``wire.ops.incomplete``);
* ``t``'s cdf uses ``I_x(ν/2, ν/2)`` with ``x = (1 + z/√(z²+ν))/2``, which is analytic at
  ``z = 0`` (the textbook ``I_{z²/(ν+z²)}(1/2, ν/2)`` form is not differentiable there).

The one genuine kink is ``laplace.logpdf`` at the mode; its derivative there is 0 (the
average of the one-sided derivatives ±1).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ... import numpy as wnp
from .. import special as sc
from ._distn import ContinuousDistribution, both, piecewise, safe
from ._inverse import NumericQuantiles, reflected_quantile

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG2 = math.log(2.0)
_LOGPI = math.log(math.pi)


def _softplus(y):
    """``log(1 + e^y)`` with the analytic branch at ``y = 0``."""
    return piecewise(y > 0, y, lambda v: v + wnp.log1p(wnp.exp(-v)),
                     lambda v: wnp.log1p(wnp.exp(v)))


def _log1mexp(z):
    """``log(1 - e^-z)`` for z > 0, accurate at both ends (Mächler's two branches)."""
    return piecewise(z > _LOG2, z, lambda v: wnp.log1p(-wnp.exp(-v)),
                     lambda v: wnp.log(-wnp.expm1(-v)), 1.0, 0.5)


class norm_gen(ContinuousDistribution):
    """The normal distribution ``N(loc, scale²)``.

    >>> from wire.scipy.stats import norm
    >>> float(norm.logpdf(0.0))
    -0.9189385332046727
    >>> import wire
    >>> float(wire.grad(norm.logpdf, argnums=2)(1.0, 0.0, 2.0))   # d/dscale
    -0.375
    """

    name = "norm"

    def _logpdf(self, z):
        return -0.5 * z * z - _LOG_SQRT_2PI

    def _pdf(self, z):
        return wnp.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)

    def _cdf(self, z):
        return sc.ndtr(z)

    def _sf(self, z):
        return sc.ndtr(-z)

    def _logcdf(self, z):
        return _norm_logcdf(z)

    def _logsf(self, z):
        return _norm_logcdf(-z)

    def _ppf(self, q):
        return _norm_ppf(q)

    def _isf(self, q):
        return -_norm_ppf(q)

    def _stats(self):
        return 0.0, 1.0

    def _entropy(self):
        return 0.5 * (math.log(2.0 * math.pi) + 1.0)


def _norm_logcdf(z):
    """log Φ(z): ``log_ndtr`` below 0, ``log1p(-Φ(-z))`` above, where Φ(z) rounds to 1."""
    return piecewise(z > 0, z, lambda v: wnp.log1p(-sc.ndtr(-v)), sc.log_ndtr)


def _norm_ppf(q):
    """Φ⁻¹(q), accurate in both tails: erfinv in the middle; in the tails Acklam's rational
    start refined by Newton steps on ``log Φ``, which keep full relative accuracy where
    ``2q - 1`` would round to -1."""
    lower = q < 0.5
    p = wnp.where(lower, q, 1.0 - q)  # the smaller tail, exact for q >= 0.5
    central = sc.ndtri(safe(p > 1e-3, q, 0.5))
    ps = safe(p > 1e-3, 1e-3, p)
    t = wnp.sqrt(-2.0 * wnp.log(ps))
    # Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4), then three Newton steps on
    # log Φ(x) = log p, which converge quadratically to double precision
    x = -(t - (2.515517 + t * (0.802853 + t * 0.010328))
          / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))))
    logp = wnp.log(ps)
    for _ in range(3):
        x = x - (sc.log_ndtr(x) - logp) * wnp.exp(sc.log_ndtr(x) + 0.5 * x * x + _LOG_SQRT_2PI)
    tail = wnp.where(lower, x, -x)
    return wnp.where(p > 1e-3, central, tail)


def _exact_center(q, z):
    """``z``, but exactly 0 at ``q = 1/2`` for a distribution symmetric about 0 (a bisection
    on the cdf cannot resolve |z| below the cdf's rounding), keeping ``z``'s derivative."""
    return z - wnp.where(q == 0.5, wnp.stop_gradient(z), 0.0)


class SymmetricNumericQuantiles(NumericQuantiles):
    """A standard distribution symmetric about 0 with quantiles found numerically: ``logsf``
    is ``logcdf`` at ``-z``, and the median is exactly 0 (see :func:`_exact_center`)."""

    def _logsf(self, z, *shape):
        return self._logcdf(-z, *shape)

    def _tail_probability(self, z, left, shapes, log):
        # sf(z) = cdf(-z): one cdf instead of both (halves the quantile's residual)
        return (self._logcdf if log else self._cdf)(wnp.where(left, z, -z), *shapes)

    def _ppf(self, q, *shape):
        return _exact_center(q, super()._ppf(q, *shape))

    def _isf(self, q, *shape):
        return _exact_center(q, super()._isf(q, *shape))


_T_BIG_DF = 1000.0


@functools.cache
def _half_ratio_coefficients():
    """The asymptotic series of ``R(h) = log Γ(h + 1/2) - log Γ(h) - log(h)/2``:
    ``Σ_n c_n h^(1-n)``, ``c_n = (-1)^n (2^(1-n) - 2) B_n / (n(n-1))`` for even ``n`` to 20
    (at ``h >= 10`` the first term left out is below 1e-19)."""
    from fractions import Fraction
    bern = _bernoulli_numbers(20)
    return tuple(float((Fraction(2) ** (1 - n) - 2) * bern[n] / (n * (n - 1)))
                 for n in range(2, 21, 2))


def _log_gamma_half_ratio_rest_all(h):
    """``R(h) = log Γ(h + 1/2) - log Γ(h) - log(h)/2`` for every ``h > 0``: the asymptotic
    series at ``h + 10`` brought down by ``R(h) = R(h + 10) + log1p(10/h)/2 -
    log Π_(k<10) (1 + 1/(2(h + k)))``. ``R`` is O(1/h) and so are all the terms: its derivative,
    O(1/h²), keeps its accuracy (as a difference of digammas, ~log h each, it lost ~1e-11 of
    its relative accuracy at h = 25)."""
    big = h >= 10.0
    hh = wnp.where(big, h, h + 10.0)
    r = 1.0 / (hh * hh)
    series = 0.0 * r
    for c in reversed(_half_ratio_coefficients()):
        series = series * r + c
    series = series / hh
    hs = safe(big, 1.0, h)
    # Σ log1p(1/(2(h + k))) as the log of the product (each factor rounded once: 1e-15
    # absolute; a jitted chain of ten log1p's rounded differently from the eager one)
    prod = 1.0 + 0.5 / hs
    for k in range(1, 10):
        prod = prod * (1.0 + 0.5 / (hs + k))
    return wnp.where(big, series, series + (0.5 * wnp.log1p(10.0 / hs) - wnp.log(prod)))


def _log_gamma_half_ratio_rest(h):
    """``log Γ(h + 1/2) - log Γ(h) - log(h) / 2`` for ``h >= 500``: its asymptotic series
    ``-1/(8h) + 1/(192h³) - 1/(640h⁵) + 17/(14336h⁷)``, exact there."""
    r = 1.0 / (h * h)
    return (-1.0 / 8.0 + r * (1.0 / 192.0 - r * (1.0 / 640.0 - r * 17.0 / 14336.0))) / h


def _log1p_minus(y):
    """``log1p(y) - y`` (``y >= 0``) without cancellation: ``-Σ_k (-y)^k / k`` below 0.1."""
    small = y < 0.1
    ys = safe(small, y, 0.0)
    total, power = 0.0 * ys, ys
    for k in range(2, 19):
        power = -power * ys
        total = total + power / k
    yl = safe(small, 1.0, y)
    return wnp.where(small, total, wnp.log1p(yl) - yl)


# ---------------------------------------------------------------- t's cdf for a large df
#
# F_ν(z) = Φ(z) + φ(z) Σ_k b_k(z) ν^-k, the expansion of the t cdf about the normal: the
# density ratio f_ν/φ = exp(R(ν/2) + z²/2 - (ν+1)/2 log1p(z²/ν)) expanded in ε = 1/ν gives
# φ(z) Σ a_k(z) ε^k, and (φ b_k)' = φ a_k with b_k an odd polynomial of degree 4k - 1.
# R(h) = log Γ(h + 1/2) - log Γ(h) - log(h)/2 has Stirling's series
# Σ_{n>=2} (-1)^n (B_n(1/2) - B_n(0)) / (n(n-1)) h^(1-n), B_n(1/2) = (2^(1-n) - 1) B_n.
# The ν-derivative of betainc(ν/2, ν/2, x(z, ν)) is a difference of terms O(1/√ν) that
# leaves O(1/ν²): 1e-9 relative off at ν = 100, 1e5 times the truth at ν = 1e10 (and the
# value itself 2e-12 off at ν = 1e10). Where z⁴ <= 2ν and ν >= 50 the twelve terms here
# give the value and every derivative to about 1e-14.

_T_SERIES_TERMS = 12
_T_SERIES_MIN_DF = 50.0


def _bernoulli_numbers(n):
    """B_0 … B_n (B_1 = -1/2) as Fractions."""
    from fractions import Fraction
    from math import comb
    b = [Fraction(1)]
    for m in range(1, n + 1):
        b.append(-sum(comb(m + 1, j) * b[j] for j in range(m)) / (m + 1))
    return b


@functools.cache
def _t_cdf_series():
    """``((c_k_0, c_k_1, …) for k = 1..K)``: ``b_k(z) = z Σ_j c_k_j z^(2j)`` (floats)."""
    from fractions import Fraction as Fr
    K = _T_SERIES_TERMS
    bern = _bernoulli_numbers(K + 2)
    r = [Fr(0)] * (K + 1)  # R's coefficients in ε (h = 1/(2ε))
    for n in range(2, K + 2):
        if n - 1 <= K:
            bn_half_minus_zero = (Fr(2) ** (1 - n) - 2) * bern[n]
            r[n - 1] += Fr((-1) ** n) * bn_half_minus_zero / (n * (n - 1)) * 2 ** (n - 1)

    def add(p, q):
        out = list(p) + [Fr(0)] * (len(q) - len(p))
        for i, c in enumerate(q):
            out[i] += c
        return out

    def mul(p, q):
        out = [Fr(0)] * (len(p) + len(q) - 1)
        for i, a in enumerate(p):
            for j, c in enumerate(q):
                out[i + j] += a * c
        return out

    # log(f/φ) = Σ L_k ε^k, L_k = r_k + (-1)^(k+1)/2 (z^(2k+2)/(k+1) - z^(2k)/k)
    logs = [[Fr(0)]]
    for k in range(1, K + 1):
        poly = [Fr(0)] * (2 * k + 3)
        poly[0] = r[k]
        sign = Fr((-1) ** (k + 1), 2)
        poly[2 * k + 2] += sign / (k + 1)
        poly[2 * k] -= sign / k
        logs.append(poly)
    ex = [[Fr(1)]]  # exp: E_n = (1/n) Σ_k k L_k E_(n-k)
    for n in range(1, K + 1):
        acc = [Fr(0)]
        for k in range(1, n + 1):
            acc = add(acc, [k * c for c in mul(logs[k], ex[n - k])])
        ex.append([c / n for c in acc])
    out = []
    for k in range(1, K + 1):
        a = ex[k]
        b = [Fr(0)] * (len(a) + 1)  # b' - z b = a, from the top: b_(j-1) = (j+1) b_(j+1) - a_j
        for j in range(len(a) - 1, 0, -1):
            b[j - 1] = (j + 1) * b[j + 1] - a[j]
        odd = b[1::2]
        out.append(tuple(float(c) for c in odd))
    return tuple(out)


@functools.cache
def _t_series_matrix():
    """The coefficients of :func:`_t_cdf_series` as a matrix: column ``k`` holds ``c_(k+1)_j``
    in row ``j`` (zero-padded)."""
    terms = _t_cdf_series()
    m = np.zeros((max(len(c) for c in terms), len(terms)))
    for k, coefs in enumerate(terms):
        m[:len(coefs), k] = coefs
    return m


def _powers(v, n):
    """``[1, v, v², …, v^(n-1)]`` along a new last axis."""
    ones = wnp.ones_like(v)[..., None]
    return wnp.concatenate([ones, wnp.cumprod(v[..., None] * np.ones(n - 1), axis=-1)], axis=-1)


def _t_series_sum(z, d):
    """``(F_ν(z) - Φ(z)) / φ(z)`` by the expansion above: ``z ε Σ_k c_k(z²) ε^(k-1)`` (the
    polynomials in ``z²`` as one product with the coefficient matrix: a graph of ~20 nodes,
    not the ~300 of Horner's scheme term by term, evaluated ~100 times in a quantile)."""
    e = 1.0 / d
    m = _t_series_matrix()
    polys = wnp.matmul(_powers(z * z, m.shape[0]), m)
    return z * e * wnp.sum(polys * _powers(e, m.shape[1]), axis=-1)


def _t_cdf_series_lower(z, d):
    """``F_ν(z)`` for ``z <= 0`` by the expansion above (where z⁴ <= 2ν, ν >= 50): Φ(z) and
    φ(z) times the sum (no cancellation: the sum is at most about half of Φ there)."""
    return sc.ndtr(z) + (wnp.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)) * _t_series_sum(z, d)

def _t_cdf_center(z, d):
    """``F_ν(z)`` near the center (``z² <= min(9/4, ν/2)``) by the hypergeometric series
    ``1/2 + z C(ν) (1 + z²/ν)^(-(ν+1)/2) Σ_n ((ν+1)/2)_n / (3/2)_n w^n``, ``w = z²/(ν + z²)
    <= 1/3`` (DLMF 15.8.1 of the textbook ``2F1(1/2, (ν+1)/2; 3/2; -z²/ν)``), terms all
    positive, ``C(ν) = Γ((ν+1)/2) / (Γ(ν/2) √(νπ))``. Its ν-derivative has no cancellation
    but ``C``'s and the power's (a factor ν): the ``betainc(ν/2, ν/2, x)`` form's is a
    difference of terms ~1000 times larger near ``z = 0`` (4e-9 relative off at ``z = 1e-3``,
    ``ν = 49.9``)."""
    z2 = z * z
    w = z2 / (d + z2)
    h = 0.5 * (d + 1.0)
    n = np.arange(_T_CENTER_TERMS, dtype=np.float64)
    terms = wnp.cumprod(w[..., None] * ((h[..., None] + n) / (1.5 + n)), axis=-1)
    total = 1.0 + wnp.sum(terms, axis=-1)
    log_c = _log_gamma_half_ratio_rest_all(0.5 * d) - 0.5 * math.log(2.0 * math.pi)
    return 0.5 + z * (wnp.exp(log_c - h * wnp.log1p(z2 / d)) * total)


_T_CENTER_TERMS = 45  # the terms' ratio is at most 1 from the first and tends to w <= 1/3


class t_gen(SymmetricNumericQuantiles, ContinuousDistribution):
    """Student's t distribution with ``df`` degrees of freedom (``df = inf`` is the normal).

    >>> from wire.scipy.stats import t
    >>> round(float(t.cdf(1.0, 3.0)), 12)
    0.804498890522
    """

    name = "t"
    shapes = ("df",)
    shape_fill = (1.0,)
    u_range = (-710.0, 710.0)  # z = sinh(u) covers the finite doubles

    def z_of_u(self, u):
        return wnp.sinh(u)

    def _argcheck(self, df):
        return df > 0

    def _split(self, df):
        inf = wnp.isinf(df)
        return inf, safe(inf, 1.0, df)

    def _logpdf(self, z, df):
        inf, d = self._split(df)
        # log1p(z²/ν) as 2 log|z| - log ν + log1p(ν/z²) where z² is past 1e200: z² overflowed
        # from |z| ~ 1e154 (logpdf(1e200; 3) was -inf, the truth -1383; its df-derivative NaN)
        far = wnp.abs(z) > 1e100
        zf, zn = safe(far, z, 1e100), safe(far, 1.0, z)
        log_ratio = wnp.where(far, 2.0 * wnp.log(wnp.abs(zf)) - wnp.log(d) + wnp.log1p(d / (zf * zf)),
                              wnp.log1p(zn * zn / d))
        # log C(ν) = R(ν/2) - log(2π)/2 (R is O(1/ν) and so is its every term: the
        # difference of log-gammas lost 1e-10 of the df-derivative's accuracy at df = 199)
        t = (_log_gamma_half_ratio_rest_all(0.5 * d) - 0.5 * math.log(2.0 * math.pi)
             - 0.5 * (d + 1.0) * log_ratio)
        # For a large df the normal's log-density plus a correction of O(1/df): each part
        # of the form above is O(1/df) in its df-derivative, which is O(1/df²) in all (the
        # derivative was 2.5e-4 off at df = 1e12, z = 2), where z²/df < 0.1 (beyond, -z²/2
        # and the correction would cancel)
        big = both(d > _T_BIG_DF, z * z < 0.1 * d)
        db = safe(big, d, 2.0 * _T_BIG_DF)
        y = safe(big, z * z, 0.0) / db
        near_normal = (-0.5 * z * z - _LOG_SQRT_2PI + _log_gamma_half_ratio_rest(0.5 * db)
                       - 0.5 * (db * _log1p_minus(y) + wnp.log1p(y)))
        t = wnp.where(big, near_normal, t)
        return wnp.where(inf, -0.5 * z * z - _LOG_SQRT_2PI, t)

    def _cdf(self, z, df):
        inf, d = self._split(df)

        def tail(v):  # v <= 0: I_x(ν/2, ν/2) at x = (1 + v/s)/2 = ν / (2 s (s - v)) <= 1/2
            s = wnp.hypot(v, r)
            x = (0.5 * d / s) / (s - v)  # not / (s * (s - v)), which overflows from 1e154
            # x underflows to 0 beyond |v| ~ 1e154, where I_x's derivative in x is infinite
            # and dx/dv is 0: the value there is 0 and so is the derivative
            pos = x > 0
            return wnp.where(pos, sc.betainc(0.5 * d, 0.5 * d, safe(pos, x, 0.5)), 0.0)

        # The upper half as 1 - (the lower tail at -z), by the symmetry I_{1-x}(a, a) =
        # 1 - I_x(a, a): betainc at x = (1 + z/s)/2 would round x to 1 from z ~ 1e8 on (df = 1),
        # where its derivative is infinite, and dx/dz was 0: cdf'(z) came out NaN, not the pdf.
        # For a large df the value and its derivatives come from the series (see
        # _t_cdf_series_lower; the upper half as 1 - the lower tail at -z)
        z2 = z * z
        expandable = both(d >= _T_SERIES_MIN_DF, z2 * z2 <= 2.0 * d, wnp.logical_not(inf))
        series = both(expandable, z2 <= 1600.0)
        # Past |z| = 40 where the series holds (its z^46 overflowed: NaN at df = 1e100,
        # z = -1e12), and past the series at a df above 1e30 (z² > 1.4e15), the cdf is 0 or 1
        # in doubles (SciPy's betainc at shapes of 5e39 gave 0.5: t.cdf(-1e12, 1e40) was 0.5)
        huge = both(wnp.logical_or(both(expandable, z2 > 1600.0), d > 1e30),
                    wnp.logical_not(series), wnp.logical_not(inf))
        d = safe(wnp.logical_or(series, huge), 1e3, d)
        r = wnp.sqrt(d)
        neg = z < 0
        # each half at its own -|z| (chosen by where: its derivative is right at z = 0), one
        # evaluation of each form for both halves
        lower = tail(wnp.where(neg, z, -z))
        x_cdf = wnp.where(neg, lower, 1.0 - lower)
        x_cdf = wnp.where(huge, wnp.where(neg, 0.0, 1.0), x_cdf)
        zs, ds = safe(series, z, 0.0), safe(series, df, 1e3)
        low = zs <= 0
        lower = _t_cdf_series_lower(wnp.where(low, zs, -zs), ds)
        x_cdf = wnp.where(series, wnp.where(low, lower, 1.0 - lower), x_cdf)
        center = both(z2 <= 2.25, z2 <= 0.5 * d, wnp.logical_not(series), wnp.logical_not(inf))
        x_cdf = wnp.where(center, _t_cdf_center(safe(center, z, 0.0), safe(center, df, 1.0)),
                          x_cdf)
        return wnp.where(inf, sc.ndtr(z), x_cdf)

    def _sf(self, z, df):
        return self._cdf(-z, df)

    def _logcdf(self, z, df):
        # Far in the lower tail the cdf (and there even its betainc argument) underflows.
        # Where x = ν / (2s(s - z)) < 0.01, log I_x(a, a) comes from the hypergeometric
        # series x^a (1-x)^a / (a B(a, a)) · Σ tₙ, t₀ = 1, tₙ₊₁ = tₙ x (2a+n)/(a+1+n) (terms
        # shrink by at least 0.02: 10 reach double precision), with log x computed without
        # overflow; elsewhere from the cdf itself (as SciPy: -inf once that underflows).
        inf, d = self._split(df)
        a = 0.5 * d
        zl = safe(z < 0, z, -1.0)
        s = wnp.hypot(zl, wnp.sqrt(d))
        log_x = wnp.log(0.5 * d) - 2.0 * wnp.log(s) - wnp.log1p(-zl / s)
        x = wnp.exp(log_x)
        xs = safe(x < 0.01, x, 0.0)
        term, series = 1.0, 0.0
        for n in range(10):
            term = term * xs * (2.0 * a + n) / (a + 1.0 + n)
            series = series + term
        tail = (a * (log_x + wnp.log1p(-xs)) - wnp.log(a) - sc.betaln(a, a)
                + wnp.log1p(series))
        underflows = wnp.logical_or(tail < -500.0, log_x < -650.0)
        far = both(z < 0, x < 0.01, underflows, wnp.logical_not(inf))
        # Where the expansion about the normal holds (z⁴ <= 2ν, ν >= 50) and z <= -5, log F =
        # log Φ(z) + log1p(φ(z)/Φ(z) · the sum), finite where Φ underflows (t.logcdf(-120,
        # 1e9) was -inf: x there is ~1/2, outside the series in x)
        expand = both(z <= -5.0, z >= -1000.0, d >= _T_SERIES_MIN_DF, z * z * z * z <= 2.0 * d,
                      wnp.logical_not(far), wnp.logical_not(inf))
        ze, de = safe(expand, z, -5.0), safe(expand, d, 1e3)
        log_phi = sc.log_ndtr(ze)
        expanded = log_phi + wnp.log1p(wnp.exp(-0.5 * ze * ze - _LOG_SQRT_2PI - log_phi)
                                       * _t_series_sum(ze, de))
        # Elsewhere the log of the cdf at -|z| (cdf <= 1/2 there), log1p(-it) for z > 0: one
        # evaluation of the cdf, not the generic form's three; but where I_x(a, a) underflows
        # between the two forms above (x >= 0.01, z⁴ > 2ν: t.logcdf(-50, 1e4) was -inf, the
        # truth -1031.6) by beta's continued fraction for log I_x.
        zn = safe(wnp.logical_or(far, expand), -1.0, z)
        lower = zn < 0

        def generic(underflows):
            zg = safe(underflows, -1.0, zn)
            low = zg < 0
            prob = self._cdf(wnp.where(low, zg, -zg), df)
            # each log sees 1/2 in its unused branch: an underflowed prob's log(0) had an
            # infinite derivative, times the zero cotangent NaN (t.logcdf'(40, 1e4) was NaN)
            return wnp.where(low, wnp.log(safe(low, prob, 0.5)),
                             wnp.log1p(-safe(low, 0.5, prob)))

        near = _beta_log_tail(safe(both(lower, wnp.logical_not(inf)), x, 0.5), a, a, generic)
        out = wnp.where(far, tail, wnp.where(expand, expanded, near))
        return wnp.where(inf, _norm_logcdf(safe(inf, z, 0.0)), out)

    def _stats(self, df):
        mean = wnp.where(df > 1, 0.0, np.inf)  # SciPy's convention for df <= 1
        var = wnp.where(df > 2, df / safe(df > 2, df - 2.0, 1.0),
                        wnp.where(df > 1, np.inf, np.nan))
        inf = wnp.isinf(df)
        return wnp.where(inf, 0.0, mean), wnp.where(inf, 1.0, var)

    def _entropy(self, df):
        inf, d = self._split(df)
        h = (0.5 * (d + 1.0) * (sc.digamma(0.5 * (d + 1.0)) - sc.digamma(0.5 * d))
             + 0.5 * wnp.log(d) + sc.betaln(0.5 * d, 0.5))
        return wnp.where(inf, 0.5 * (math.log(2.0 * math.pi) + 1.0), h)


class beta_gen(NumericQuantiles, ContinuousDistribution):
    """The beta distribution on [0, 1] with shapes ``a``, ``b``.

    >>> from wire.scipy.stats import beta
    >>> float(beta.cdf(0.5, 2.0, 2.0))
    0.5
    """

    name = "beta"
    shapes = ("a", "b")
    shape_fill = (1.0, 1.0)
    support_bounds = (0.0, 1.0)
    interior = 0.5
    u_range = (-700.0, 40.0)  # z = expit(u): 1e-304 … 1 - 2^-57

    def z_of_u(self, u):
        return sc.expit(u)

    def _argcheck(self, a, b):
        return both(a > 0, b > 0)

    def _logpdf(self, z, a, b):
        return sc.xlog1py(b - 1.0, -z) + sc.xlogy(a - 1.0, z) - sc.betaln(a, b)

    def _pdf(self, z, a, b):
        return sc._beta_density(a, b, z)  # exact derivatives at 0 and 1 (exp(logpdf)'s are not)

    def _cdf(self, z, a, b):
        return sc.betainc(a, b, z)

    def _sf(self, z, a, b):
        # the complementary function: 1 - I_z(a, b) lost the digits of a small sf, and
        # I_(1-z)(b, a) those of a tiny z (1 - z rounds)
        return sc.betaincc(a, b, z)

    def _logcdf(self, z, a, b):
        return _beta_log_tail(
            z, a, b, lambda far: super(beta_gen, self)._logcdf(safe(far, 0.5, z), a, b))

    def _logsf(self, z, a, b):
        # sf(z; a, b) = I_(1-z)(b, a), 1 - z exact where it is used (z near 1); elsewhere the
        # generic form sees z itself (1 - (1 - z) would lose a tiny z)
        return _beta_log_tail(
            1.0 - z, b, a, lambda far: super(beta_gen, self)._logsf(safe(far, 0.5, z), a, b))

    # Above 1 - 2^-26 a quantile is 1 - the mirror's opposite one (see reflected_quantile):
    # the bisection on the doubles below that is exact, and the mirror's sf near 0 is
    # 1 - I_w(b, a), which for a tiny b rounds to 0 (beta.ppf(1e-300, 3, 1e-300) is 0.9003)
    _TOP = 1.0 - 2.0 ** -26

    def _ppf(self, q, a, b):
        flip = q > sc.betainc(a, b, self._TOP)
        return reflected_quantile(self, q, (a, b), False, flip, lambda s: s[::-1])

    def _isf(self, q, a, b):
        flip = q < sc.betainc(b, a, 1.0 - self._TOP)
        return reflected_quantile(self, q, (a, b), True, flip, lambda s: s[::-1])

    def _stats(self, a, b):
        s = a + b
        return a / s, a * b / (s * s * (s + 1.0))

    def _entropy(self, a, b):
        return (sc.betaln(a, b) - (a - 1.0) * sc.digamma(a) - (b - 1.0) * sc.digamma(b)
                + (a + b - 2.0) * sc.digamma(a + b))


# ------------------------------------------------------- gamma's log tails past underflow
#
# Where Q(a, x) (or P) underflows, its log is still finite, and so are its derivatives (the
# log of the rounded 0 gave -inf, and NaN derivatives, from Q ~ 1e-308 on). There, by the
# continued fractions (DLMF 8.9.2 and Legendre's), run back from 0 after K terms:
# log Q = a log x - x - log Γ(a) - log(x + 1 - a - t₁), t_n = n (n - a) / (x + 2n + 1 - a -
# t_(n+1)) for x > a; log P = a log x - x - log Γ(a) - log(a + s₁), s_n = c_n x / (a + n +
# s_(n+1)), c_(2m-1) = -(a + m - 1), c_(2m) = m for x < a. Where the probability is below
# 1e-280, x is ~35 √a or more from a, and 40 terms are exact there.

_GAMMA_TAIL_TERMS = 40
_GAMMA_TAIL_BELOW = 1e-280


def _gamma_log_upper(a, x):
    t = 0.0 * (a + x)
    for n in range(_GAMMA_TAIL_TERMS, 0, -1):
        t = n * (n - a) / (x + (2 * n + 1) - a - t)
    return sc.xlogy(a, x) - x - sc.gammaln(a) - wnp.log(x + 1.0 - a - t)


def _gamma_log_lower(a, x):
    t = 0.0 * (a + x)
    for n in range(_GAMMA_TAIL_TERMS, 0, -1):
        m = (n + 1) // 2
        c = -(a + (m - 1)) if n % 2 else m
        t = c * x / (a + n + t)
    return sc.xlogy(a, x) - x - sc.gammaln(a) - wnp.log(a + t)


def _gamma_logsf(z, a, generic):
    """``log Q(a, z)``: the continued fraction where Q underflows (or nearly), else
    ``generic(z)`` (each evaluated on its own points only). At ``z = inf`` (``chi``'s
    ``z²/2`` past ``z = 1.9e154``, ``invgamma``'s ``1/z`` of a subnormal ``z``) it is
    ``-z``: ``-inf``, with derivative -1 (the fraction gave NaN: ``chi.logsf(1e155, 3)``
    and ``invgamma.logcdf(1e-310, 3)`` were NaN, the truths -5e309 and -1e310, so -inf)."""
    top = z == np.inf
    zf = safe(top, 1.0, z)
    far = both(sc.gammaincc(a, zf) < _GAMMA_TAIL_BELOW, zf > a + 1.0)
    near = generic(safe(far, a, zf))
    out = wnp.where(far, _gamma_log_upper(safe(far, a, 1.0), safe(far, zf, 800.0)), near)
    return wnp.where(top, -safe(top, z, 1.0), out)


def _gamma_logcdf(z, a, generic):
    """``log P(a, z)``: the series where P underflows (or nearly), else ``generic(z)``."""
    far = both(sc.gammainc(a, z) < _GAMMA_TAIL_BELOW, z < a, z > 0)
    near = generic(safe(far, a, z))
    return wnp.where(far, _gamma_log_lower(safe(far, a, 300.0), safe(far, z, 1.0)), near)


# --------------------------------------------------------- beta's log tails past underflow
#
# SciPy's I_x(a, b) is 0 below ~1e-308 (betainc(2, 3, 1e-160) is 0, the truth e^-735), and
# so beta's logcdf was -inf there and its ppf of a subnormal q stuck at 4.3e-155 (the truth
# for q = 1e-320 is 4.1e-161). Below 1e-280 the continued fraction (DLMF 8.17.22), run back
# from 0 after 40 terms, for x < (a + 1)/(a + b + 2):
# log I = a log x + b log1p(-x) - log a - log B(a, b) - log1p(t₁),
# t_n = d_n / (1 + t_(n+1)), d_(2m+1) = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)),
# d_(2m) = m(b-m)x / ((a+2m-1)(a+2m)).


def _beta_log_lower(a, b, x):
    t = 0.0 * (a + b + x)
    for n in range(_GAMMA_TAIL_TERMS, 0, -1):
        m = n // 2
        if n % 2:
            d = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        else:
            d = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        t = d / (1.0 + t)
    return (sc.xlogy(a, x) + sc.xlog1py(b, -x) - wnp.log(a) - sc.betaln(a, b)
            - wnp.log1p(t))


def _beta_log_tail(x, a, b, generic):
    """``log I_x(a, b)``: the continued fraction where I underflows (or nearly), else
    ``generic(far)``, the distribution's own form evaluated off the ``far`` points."""
    far = both(sc.betainc(a, b, x) < _GAMMA_TAIL_BELOW, x > 0,
               x < (a + 1.0) / (a + b + 2.0))
    return wnp.where(far, _beta_log_lower(safe(far, a, 1.0), safe(far, b, 1.0),
                                          safe(far, x, 1e-300)), generic(far))

class _PositiveHalfLine(NumericQuantiles, ContinuousDistribution):
    """Support ``[0, inf)``; numeric quantiles searched over ``z = exp(u)``."""

    support_bounds = (0.0, np.inf)
    interior = 1.0
    u_range = (-700.0, 709.0)  # z = exp(u): 1e-304 … 8e307; a root below is 0

    def z_of_u(self, u):
        return wnp.exp(u)


class gamma_gen(_PositiveHalfLine):
    """The gamma distribution with shape ``a`` (``scale`` is SciPy's ``1 / rate``).

    >>> from wire.scipy.stats import gamma
    >>> round(float(gamma.cdf(1.0, 1.0)), 12)
    0.632120558829
    """

    name = "gamma"
    shapes = ("a",)
    shape_fill = (1.0,)

    def _argcheck(self, a):
        return a > 0

    def _logpdf(self, z, a):
        return sc.xlogy(a - 1.0, z) - z - sc.gammaln(a)

    def _pdf(self, z, a):
        return sc._gamma_density(a, z)  # exact derivatives at 0, where exp(logpdf)'s are not

    def _cdf(self, z, a):
        return sc.gammainc(a, z)

    def _sf(self, z, a):
        return sc.gammaincc(a, z)

    def _logsf(self, z, a):
        return _gamma_logsf(z, a, lambda v: super(gamma_gen, self)._logsf(v, a))

    def _logcdf(self, z, a):
        return _gamma_logcdf(z, a, lambda v: super(gamma_gen, self)._logcdf(v, a))

    def _stats(self, a):
        return a, a

    def _entropy(self, a):
        return sc.digamma(a) * (1.0 - a) + a + sc.gammaln(a)


class chi2_gen(_PositiveHalfLine):
    """The chi-squared distribution with ``df`` degrees of freedom.

    >>> from wire.scipy.stats import chi2
    >>> round(float(chi2.sf(3.84, 1.0)), 6)
    0.050044
    """

    name = "chi2"
    shapes = ("df",)
    shape_fill = (1.0,)

    def _argcheck(self, df):
        return df > 0

    def _logpdf(self, z, df):
        h = 0.5 * df
        return sc.xlogy(h - 1.0, z) - 0.5 * z - sc.gammaln(h) - _LOG2 * h

    def _pdf(self, z, df):
        # z/2 of a subnormal z drops its last bit, and 5e-324/2 is 0: the density there was
        # inf for df < 2 (chi2.pdf(5e-324, 1) is 1.79e161), so exp(logpdf) below 2^-1021
        tiny = both(z > 0, z < 2.0 ** -1021)
        return wnp.where(tiny, wnp.exp(self._logpdf(safe(tiny, z, 1.0), df)),
                         0.5 * sc._gamma_density(0.5 * df, 0.5 * safe(tiny, 1.0, z)))

    def _cdf(self, z, df):
        return sc.gammainc(0.5 * df, 0.5 * z)

    def _sf(self, z, df):
        return sc.gammaincc(0.5 * df, 0.5 * z)

    def _logsf(self, z, df):
        return _gamma_logsf(0.5 * z, 0.5 * df, lambda v: super(chi2_gen, self)._logsf(2.0 * v, df))

    def _logcdf(self, z, df):
        return _gamma_logcdf(0.5 * z, 0.5 * df,
                             lambda v: super(chi2_gen, self)._logcdf(2.0 * v, df))

    def _stats(self, df):
        return df, 2.0 * df

    def _entropy(self, df):
        h = 0.5 * df
        return sc.digamma(h) * (1.0 - h) + h + sc.gammaln(h) + _LOG2


class expon_gen(ContinuousDistribution):
    """The exponential distribution (``scale`` is the mean).

    >>> from wire.scipy.stats import expon
    >>> float(expon.logsf(3.0, scale=2.0))
    -1.5
    """

    name = "expon"
    support_bounds = (0.0, np.inf)
    interior = 1.0

    def _logpdf(self, z):
        return -z

    def _pdf(self, z):
        return wnp.exp(-z)

    def _cdf(self, z):
        return -wnp.expm1(-z)

    def _sf(self, z):
        return wnp.exp(-z)

    def _logcdf(self, z):
        return _log1mexp(z)

    def _logsf(self, z):
        return -z

    def _ppf(self, q):
        return -wnp.log1p(-q)

    def _isf(self, q):
        return -wnp.log(q)

    def _stats(self):
        return 1.0, 1.0

    def _entropy(self):
        return 1.0


class laplace_gen(ContinuousDistribution):
    """The Laplace (double exponential) distribution.

    Its log-density has a kink at ``loc``; the derivative there is 0, the average of the
    one-sided derivatives.

    >>> from wire.scipy.stats import laplace
    >>> float(laplace.cdf(0.0))
    0.5
    """

    name = "laplace"

    def _logpdf(self, z):
        return -wnp.abs(z) - _LOG2

    def _pdf(self, z):
        return 0.5 * wnp.exp(-wnp.abs(z))

    def _cdf(self, z):
        return piecewise(z > 0, z, lambda v: 1.0 - 0.5 * wnp.exp(-v), lambda v: 0.5 * wnp.exp(v))

    def _sf(self, z):
        return self._cdf(-z)

    def _logcdf(self, z):
        return piecewise(z > 0, z, lambda v: wnp.log1p(-0.5 * wnp.exp(-v)), lambda v: v - _LOG2)

    def _logsf(self, z):
        return self._logcdf(-z)

    def _ppf(self, q):
        return piecewise(q > 0.5, q, lambda v: -wnp.log(2.0 * (1.0 - v)),
                         lambda v: wnp.log(2.0 * v), 0.75, 0.25)

    def _isf(self, q):
        return -self._ppf(q)

    def _stats(self):
        return 0.0, 2.0

    def _entropy(self):
        return _LOG2 + 1.0


class logistic_gen(ContinuousDistribution):
    """The logistic distribution.

    >>> from wire.scipy.stats import logistic
    >>> import wire
    >>> float(wire.grad(wire.grad(logistic.logpdf))(0.0))    # smooth at the mode
    -0.5
    """

    name = "logistic"

    def _logpdf(self, z):
        # symmetric: evaluate at |z| chosen by where, so z = 0 takes the analytic branch
        y = wnp.where(z >= 0, z, -z)
        return -y - 2.0 * wnp.log1p(wnp.exp(-y))

    def _cdf(self, z):
        return sc.expit(z)

    def _sf(self, z):
        return sc.expit(-z)

    def _logcdf(self, z):
        return -_softplus(-z)

    def _logsf(self, z):
        return -_softplus(z)

    def _ppf(self, q):
        return sc.logit(q)

    def _isf(self, q):
        return -sc.logit(q)

    def _stats(self):
        return 0.0, math.pi**2 / 3.0

    def _entropy(self):
        return 2.0


class cauchy_gen(ContinuousDistribution):
    """The Cauchy distribution (no mean or variance: both are NaN, as in SciPy).

    >>> from wire.scipy.stats import cauchy
    >>> float(cauchy.cdf(1.0))
    0.75
    """

    name = "cauchy"

    def _logpdf(self, z):
        small = wnp.abs(z) < 1.0
        # log1p(z²) overflows past |z| ~ 1e154: there use 2 log|z| + log1p(1/z²)
        return -_LOGPI - piecewise(small, z, lambda v: wnp.log1p(v * v),
                                   lambda v: 2.0 * wnp.log(wnp.abs(v)) + wnp.log1p(1.0 / (v * v)),
                                   0.0, 2.0)

    def _cdf(self, z):
        return wnp.arctan2(1.0, -z) / math.pi

    def _sf(self, z):
        return wnp.arctan2(1.0, z) / math.pi

    def _logcdf(self, z):
        # below z = -1e8, log(arctan(-1/z) / π) = -log(-π z) - 1/(3 z²) (the next term is
        # 1e-34): the derivative of arctan2 is 1/(1 + z²), subnormal past |z| ~ 1e154, and
        # logcdf' = pdf/cdf lost its digits (1.2% off at z = -1e161, 0 past -1e308)
        far = z < -1e8
        zf = safe(far, z, -1e8)
        return wnp.where(far, -_LOGPI - wnp.log(-zf) - 1.0 / (3.0 * zf * zf),
                         super()._logcdf(safe(far, 0.0, z)))

    def _logsf(self, z):
        return self._logcdf(-z)

    def _ppf(self, q):
        # tan(π(q - 1/2)) in the middle (exactly 0 at 1/2); -cot(πq) and cot(π(1 - q)) in
        # the tails, where q - 1/2 would round away the tail probability
        mid = wnp.abs(q - 0.5) <= 0.25
        tails = piecewise(q < 0.5, q, lambda v: -1.0 / wnp.tan(math.pi * v),
                          lambda v: 1.0 / wnp.tan(math.pi * (1.0 - v)), 0.1, 0.9)
        return wnp.where(mid, wnp.tan(math.pi * (safe(mid, q, 0.5) - 0.5)), tails)

    def _isf(self, q):
        return -self._ppf(q)

    def _stats(self):
        return np.nan, np.nan

    def _entropy(self):
        return math.log(4.0 * math.pi)


class uniform_gen(ContinuousDistribution):
    """The uniform distribution on ``[loc, loc + scale]``.

    >>> from wire.scipy.stats import uniform
    >>> float(uniform.pdf(1.5, loc=1.0, scale=2.0))
    0.5
    """

    name = "uniform"
    support_bounds = (0.0, 1.0)
    interior = 0.5

    def _logpdf(self, z):
        return 0.0 * z

    def _pdf(self, z):
        return 0.0 * z + 1.0

    def _cdf(self, z):
        return z

    def _sf(self, z):
        return 1.0 - z

    def _ppf(self, q):
        return q

    def _isf(self, q):
        return 1.0 - q

    def _stats(self):
        return 0.5, 1.0 / 12.0

    def _entropy(self):
        return 0.0


norm = norm_gen()
t = t_gen()
beta = beta_gen()
gamma = gamma_gen()
chi2 = chi2_gen()
expon = expon_gen()
laplace = laplace_gen()
logistic = logistic_gen()
cauchy = cauchy_gen()
uniform = uniform_gen()
