"""Samplers with array-valued parameters: gamma (differentiable in its shape), Poisson,
binomial and the truncated normal with a pair of bounds per draw.

Each sampler is a NumPy function ``f(k, shape, dtype, *params)`` of a key (its 128-bit int)
and parameter arrays broadcast to ``shape``, with one property that makes batching trivial:
draw ``i`` depends only on the key, ``shape`` and the parameters of draw ``i`` (the words it
uses sit at position ``i`` of the key's streams), so a draw does not move when other draws'
parameters change, and a batch of keys or of parameters samples each member as it would
alone. :mod:`wire.random` calls these functions on concrete keys and parameters; traced ones
bind the two primitives below, whose implementations call the very same functions, so the
numbers are bit for bit those of the eager call under ``jit``, ``vmap`` and ``grad``.

* ``random_gamma`` (key, a; shape, dtype, log_space): Gamma(a, 1) draws, or their logarithms
  (``log_space``: the draws of ``jax.random.loggamma``, finite where the draw itself
  underflows to 0, for a tiny ``a``). The draw is the inverse CDF at a uniform,
  ``x = P^-1(a, u)``, so its derivative in ``a`` at a fixed key is the implicit
  reparameterisation gradient ``dx/da = -(dP/da) / (dP/dx)`` (Figurnov et al. 2018, as
  ``jax.random.gamma``), built from the primitives of :mod:`wire.ops.incomplete`: every
  order exists.
* ``random_sample_arrays`` (key, params...; dist, shape, dtype): the samplers of
  :data:`SAMPLERS`, without a derivative (Poisson, binomial and geometric counts; the
  truncated normal's draws carry none in their bounds, as with scalar bounds).

Invalid parameters (checked by :mod:`wire.random` on concrete values, where they raise) give
NaN draws in float dtypes and :class:`~wire.ops.random_bits.InvalidParameterError` in integer
ones (Poisson, geometric), when traced ones reach the implementation.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import bind
from ..core.primitive import Primitive
from ..core.taylor import BY_JVP
from ..errors import ShapeError, WireTypeError
from ..ir import make_aval
from .batching import trailing_batch
from .elementwise import convert, exp, log, select
from .incomplete import _gammainc, _gammaincc, gammainc_deriv, gammainc_dx
from .optional import module as _optional_module
from .random_bits import (
    _KEY0, _NO_FORMULA, KEY_DTYPE, SAMPLE, InvalidParameterError, RejectionError,
    _check_key_aval, _host, int_keys, key_int, raw, words,  # key_int: for callers
)
from .special import _gammaln, _ndtri, polygamma

_sp = _optional_module("scipy.special")

# streams of the key's sample domain used here (stream 0 is the one uniform/normal use)
_GAMMA_STREAM = 0
_ROUNDS = 1 << 20  # first stream of the rejection rounds (far from every other use)
_MAX_ROUNDS = 2000  # each round keeps at least a third of the draws left: never reached


def uniforms(k, n: int, stream: int = 0) -> np.ndarray:
    """``n`` float64 uniforms in ``(0, 1)``, ``(m + 1/2) 2**-52`` with ``m`` a 52-bit word:
    symmetric about 1/2, so ``1 - u`` is exact and neither end is reached. ``k`` is one key's
    128-bit int (shape ``(n,)``) or a batch of keys ``(b, 4)`` (shape ``(b, n)``)."""
    w = raw(k, n, SAMPLE, stream) if isinstance(k, int) else words(k, n, SAMPLE, stream)
    return ((w >> np.uint64(12)).astype(np.float64) + 0.5) * 2.0 ** -52


def over_keys(core):
    """A sampler ``core(keys, n, dtype, *params)`` of ``n`` draws per key of a batch
    (``keys`` ``(b, 4)``, each parameter float64 of shape ``(b * n,)``, the result too) as
    ``f(k, shape, dtype, *params)``: ``k`` one key's 128-bit int (parameters broadcast to
    ``shape``, the result of ``shape``) or a batch of keys (parameters broadcast to
    ``(b,) + shape``, the result too). As :func:`wire.ops.random_bits.over_keys`: each key's
    words come from its own streams, the conversion is elementwise or row by row, so a batch
    samples each key as it would alone."""

    def sampler(k, shape, dtype, *params, **kwargs):
        one = isinstance(k, int)
        keys = int_keys(k) if one else np.asarray(k, KEY_DTYPE).reshape(-1, 4)
        full = (keys.shape[0],) + tuple(int(d) for d in shape)
        flat = [np.broadcast_to(np.asarray(q, np.float64), full).reshape(-1) for q in params]
        n = int(np.prod(full[1:], dtype=np.int64))
        out = core(keys, n, np.dtype(dtype), *flat, **kwargs).reshape(full)
        return out[0] if one else out

    sampler.__name__ = sampler.__qualname__ = core.__name__
    sampler.__doc__ = core.__doc__
    return sampler


def _row_max(v, n: int) -> np.ndarray:
    """The largest of each key's ``n`` values (``v`` flat, ``(b * n,)``; 0 when below 0 or
    none), repeated for each of its draws: what one key's sampler takes over its draws."""
    rows = v.reshape(-1, n) if n else np.zeros((v.size, 1))
    return np.repeat(np.max(rows, axis=1, initial=0.0), n)


# --------------------------------------------------------------------------- gamma


def _small_x_log(a, logu):
    """``log x`` with ``P(a, x) = u`` where ``x`` is tiny, from the series
    ``P = x^a / Γ(a+1) · S``, ``S = a Σ (-x)^k / (k! (a + k))``, by fixed-point steps on
    ``y = (log u + lnΓ(a+1) - log S) / a`` (each gains a factor ``x``)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        base = (logu + _gammaln(a + 1.0)) / a
        y = base
        for _ in range(4):
            x = np.exp(y)
            s, term = 1.0, np.ones_like(x)
            for j in range(1, 6):
                term = term * (-x) / j
                s = s + a * term / (a + j)
            y = base - np.log(s) / a
    return y


def _newton_log(a, u):
    """``log x`` with ``P(a, x) = u`` by safeguarded Newton steps in ``log x`` on wire's own
    incomplete gamma (when SciPy's inverse is not there)."""
    q = 1.0 - u
    with np.errstate(all="ignore"):
        z = _ndtri(u)
        wh = a * (1.0 - 1.0 / (9.0 * a) + z / (3.0 * np.sqrt(a))) ** 3  # Wilson-Hilferty
        y = np.where(wh > 0, np.log(np.maximum(wh, 1e-300)), _small_x_log(a, np.log(u)))
        lg = _gammaln(a)
        for _ in range(100):
            x = np.exp(y)
            lower = u <= 0.5
            resid = np.where(lower, _gammainc(a, x) - u, q - _gammaincc(a, x))
            dens = np.exp(a * y - x - lg)  # x dP/dx
            step = np.clip(resid / dens, -1.0, 1.0)
            step = np.where(np.isfinite(step), step, 0.0)
            y = y - step
            if np.all(np.abs(step) <= 1e-15 * np.maximum(1.0, np.abs(y))):
                break
    return y


def gamma_inverse(a, u, log_space: bool):
    """The Gamma(a) quantile at ``u`` (float64 arrays of one shape), or its logarithm:
    ``a = 0`` gives 0, ``a = inf`` gives inf, a negative or NaN ``a`` NaN."""
    a, u = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(u, np.float64))
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & np.isfinite(a)
    out[a == 0] = -np.inf
    out[a == np.inf] = np.inf
    if ok.any():
        aa, uu = a[ok], u[ok]
        logu = np.log(uu)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            guess = (logu + _gammaln(aa + 1.0)) / aa  # log x when x is small; else below
        small = guess < -20.0
        y = np.empty(aa.shape)
        if small.any():
            y[small] = _small_x_log(aa[small], logu[small])
        big = ~small
        if big.any():
            ab, ub = aa[big], uu[big]
            if _sp is not None:
                # each inverse on its own half only (SciPy's inverses cost 1-10 µs a draw)
                lower = ub <= 0.5
                x = np.empty(ab.shape)
                x[lower] = _sp.gammaincinv(ab[lower], ub[lower])
                upper = ~lower
                x[upper] = _sp.gammainccinv(ab[upper], 1.0 - ub[upper])
                with np.errstate(divide="ignore"):
                    y[big] = np.log(x)
            else:
                y[big] = _newton_log(ab, ub)
        out[ok] = y
    if log_space:
        return out
    with np.errstate(over="ignore"):
        return np.exp(out)


@over_keys
def gammas(keys, n: int, dtype: np.dtype, a, *, log_space: bool = False) -> np.ndarray:
    """Gamma(a, 1) draws of ``shape`` (``a`` broadcast to it), or their logarithms
    (``log_space``): the inverse CDF at the key's uniforms."""
    u = uniforms(keys, n, _GAMMA_STREAM).reshape(-1)
    with np.errstate(over="ignore"):
        if _sp is None and keys.shape[0] > 1:  # Newton's loop stops on all its draws at once
            return np.concatenate([gamma_inverse(ar, ur, log_space).astype(dtype) for ar, ur
                                   in zip(a.reshape(-1, n), u.reshape(-1, n))])
        return gamma_inverse(a, u, log_space).astype(dtype)


_LOG_TINY = -230.0  # below: x < 1e-100, where dlog x/da has the closed form of the series


def gamma_log_slope(a, y):
    """``d log x / da`` at a Gamma(a) quantile ``x = exp(y)`` (traced ``a`` and ``y``, float64):
    ``-(dP/da) / (x dP/dx)``; for a tiny ``x``, where ``P = x^a / Γ(a+1) (1 + O(x))``, it is
    ``-(y - ψ(a+1)) / a``."""
    tiny = y < _LOG_TINY
    y_big = select(tiny, y * 0.0 - 1.0, y)  # both branches finite wherever they are not used
    x = exp(y_big)
    general = -gammainc_deriv(a, x, 1) / (x * gammainc_dx(a, x, 0, 1))
    a_small = select(tiny, a, a * 0.0 + 1.0)
    series = -(y - polygamma(a_small + 1.0, 0)) / a_small
    finite = y < np.inf  # a = inf: x = inf, whose log grows as log a: slope 0
    return select(finite, select(tiny, series, general), y * 0.0)


def _gamma_slope(a, out, log_space: bool):
    """``d out / da`` of ``random_gamma``'s output ``out`` (float64 tracers)."""
    o = convert(out, np.dtype(np.float64))
    if log_space:
        y = select(o > -np.inf, o, o * 0.0)  # a = 0: -inf, slope taken as 0
        return select(o > -np.inf, gamma_log_slope(a, y), o * 0.0)
    pos = o > 0.0
    y = log(select(pos, o, o * 0.0 + 1.0))
    slope = o * gamma_log_slope(a, y)
    return select(pos, select(o < np.inf, slope, o * 0.0 + 1.0), o * 0.0)


def _gamma_jvp(ts, out, keys, a, *, shape, dtype, log_space):
    if ts[1] is None:
        return None
    return convert(ts[1] * _gamma_slope(a, out, log_space), dtype)


def _gamma_vjp(ct, out, keys, a, *, shape, dtype, log_space):
    return None, convert(ct, np.dtype(np.float64)) * _gamma_slope(a, out, log_space)


# --------------------------------------------------------------------------- rejection rounds


def _rounds(keys, n: int, words: int, accept) -> np.ndarray:
    """Rejection sampling of ``n`` draws per key of ``keys``, each with its own parameters
    (flat, ``(b * n,)``): round ``r`` gives draw ``i`` of a key the words ``i, n + i, ...``
    (``words`` of them) of the key's stream ``_ROUNDS + r``; ``accept(idx, u)`` (``u``:
    ``(words, len(idx))`` uniforms for the draws ``idx`` still open, flat indices) returns
    ``(kept, values)``."""
    out = np.empty(keys.shape[0] * n)
    left = np.arange(out.size)
    r = 0
    while left.size:
        if r >= _MAX_ROUNDS:
            raise RejectionError("random sampler: rejection sampling did not finish")
        rows, at = np.unique(left // n, return_inverse=True)  # the keys with open draws
        u = uniforms(keys[rows], words * n, _ROUNDS + r).reshape(len(rows), words, n)
        u = np.ascontiguousarray(u[at, :, left % n].T)
        kept, values = accept(left, u)
        out[left[kept]] = values[kept]
        left = left[~kept]
        r += 1
    return out


# --------------------------------------------------------------------------- Poisson


def _log_factorial(k):
    return _gammaln(k + 1.0)


def _poisson_small(lam, u, top):
    """Inversion by sequential search (``lam < 10``): the smallest ``k`` with ``F(k) >= u``,
    at most ``top`` (per draw: its key's largest ``lam + 20 sqrt(lam) + 40``)."""
    k = np.zeros(lam.shape)
    p = np.exp(-lam)
    cdf = p.copy()
    for j in range(1, int(np.max(top, initial=0)) + 1):
        more = (u > cdf) & (j <= top)
        if not more.any():
            break
        k = np.where(more, j, k)
        p = p * lam / j
        cdf = cdf + p
    return k


def _log_pmf_ratio(k, lam):
    """``log(lam^k e^-lam / k!)`` without the cancellation of its terms for a large ``lam``
    (Stirling's series for ``k!`` past 15)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        kk = np.maximum(k, 1.0)
        big = k >= 15
        stir = 1.0 / (12.0 * kk) - 1.0 / (360.0 * kk ** 3) + 1.0 / (1260.0 * kk ** 5)
        d = (kk - lam) / lam
        far = (kk - lam) - kk * np.log1p(d) - 0.5 * np.log(2.0 * np.pi * kk) - stir
        near = -lam + k * np.log(lam) - _log_factorial(k)
    return np.where(big, far, near)


def _poisson_ptrs(keys, n: int, lam):
    """Hörmann's transformed rejection with squeeze (PTRS, 1993) for ``lam >= 10``."""
    slam = np.sqrt(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)

    def accept(idx, u):
        la, bb, aa, ia, v_r = lam[idx], b[idx], a[idx], inv_alpha[idx], vr[idx]
        uu, v = u[0] - 0.5, u[1]
        us = 0.5 - np.abs(uu)
        kk = np.floor((2.0 * aa / us + bb) * uu + la + 0.43)
        quick = (us >= 0.07) & (v <= v_r)
        with np.errstate(divide="ignore", invalid="ignore"):
            lhs = np.log(v) + np.log(ia) - np.log(aa / (us * us) + bb)
            slow = (kk >= 0) & ~((us < 0.013) & (v > us)) & (lhs <= _log_pmf_ratio(kk, la))
        return quick | slow, kk

    return _rounds(keys, n, 2, accept)


@over_keys
def poissons(keys, n: int, dtype: np.dtype, lam) -> np.ndarray:
    """Poisson(lam) counts of ``shape`` as integers of ``dtype``; ``lam = 0`` gives 0."""
    bad = poisson_bad(dtype, lam)
    if bad is not None:
        raise InvalidParameterError(f"{bad} (traced parameters, checked as they ran)")
    out = np.zeros(lam.size)
    small = lam < 10.0
    u = uniforms(keys, n, _GAMMA_STREAM).reshape(-1)
    if small.any():
        mx = _row_max(np.where(small, lam, 0.0), n)
        top = np.floor(mx + 20.0 * np.sqrt(mx) + 40).astype(np.int64)
        out[small] = _poisson_small(lam[small], u[small], top[small])
    if (~small).any():
        out[~small] = _poisson_ptrs(keys, n, np.where(small, 10.0, lam))[~small]
    return out.astype(dtype)


def poisson_bad(dtype: np.dtype, lam):
    """Why the rates ``lam`` define no Poisson counts of ``dtype`` (None when they do)."""
    lam = np.asarray(lam, np.float64)
    bad = ~(np.isfinite(lam) & (lam >= 0))
    if bad.any():
        return f"poisson needs finite rates lam >= 0, got {lam[bad][:3]}"
    top = float(np.iinfo(dtype).max)
    big = lam + 20.0 * np.sqrt(lam) + 40.0 > top
    if np.any(big):
        return (f"poisson: rates up to {float(lam.max())} give counts that do not fit in "
                f"{np.dtype(dtype)} (largest {int(top)})")
    return None


# --------------------------------------------------------------------------- binomial


def _stirling_tail(k):
    """``lnΓ(k+1) - ((k + 1/2) log(k+1) - (k+1) + log(2π)/2)``."""
    kp1 = k + 1.0
    table = np.array([math.lgamma(j + 1.0) - ((j + 0.5) * math.log(j + 1.0) - (j + 1.0)
                                               + 0.5 * math.log(2.0 * math.pi))
                      for j in range(10)])
    kp1sq = kp1 * kp1
    series = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / kp1
    small = k < 10
    return np.where(small, table[np.clip(k, 0, 9).astype(np.int64)], series)


def _binomial_small(n, p, u, top):
    """Inversion by sequential search (``n p < 10``, ``p <= 1/2``), at most ``top`` (per
    draw, from its key's largest ``n`` and ``n p``)."""
    k = np.zeros(n.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        pk = np.exp(n * np.log1p(-p))
        r = p / (1.0 - p)
    cdf = pk.copy()
    for j in range(1, int(np.max(top, initial=0)) + 1):
        more = (u > cdf) & (j <= n) & (j <= top)
        if not more.any():
            break
        k = np.where(more, j, k)
        pk = pk * r * (n - j + 1.0) / j
        cdf = cdf + pk
    return k


def _binomial_btrs(keys, count: int, n, p):
    """Hörmann's transformed rejection (BTRS, 1993) for ``n p >= 10``, ``p <= 1/2``."""
    spq = np.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    r = p / (1.0 - p)
    alpha = (2.83 + 5.1 / b) * spq
    m = np.floor((n + 1.0) * p)

    def accept(idx, u):
        nn, aa, bb, cc, v_r, rr, al, mm = (v[idx] for v in (n, a, b, c, vr, r, alpha, m))
        uu, v = u[0] - 0.5, u[1]
        us = 0.5 - np.abs(uu)
        kk = np.floor((2.0 * aa / us + bb) * uu + cc)
        quick = (us >= 0.07) & (v <= v_r)
        inside = (kk >= 0) & (kk <= nn)
        ks = np.clip(kk, 0.0, nn)
        with np.errstate(divide="ignore", invalid="ignore"):
            lv = np.log(v * al / (aa / (us * us) + bb))
            bound = ((mm + 0.5) * np.log((mm + 1.0) / (rr * (nn - mm + 1.0)))
                     + (nn + 1.0) * np.log((nn - mm + 1.0) / (nn - ks + 1.0))
                     + (ks + 0.5) * np.log(rr * (nn - ks + 1.0) / (ks + 1.0))
                     + _stirling_tail(mm) + _stirling_tail(nn - mm)
                     - _stirling_tail(ks) - _stirling_tail(nn - ks))
        return quick & inside | inside & (lv <= bound), kk

    return _rounds(keys, count, 2, accept)


def binomial_valid(n, p):
    """Where ``(n, p)`` define a binomial distribution: a whole ``0 <= n < 2**53`` and
    ``0 <= p <= 1``."""
    n, p = np.asarray(n, np.float64), np.asarray(p, np.float64)
    with np.errstate(invalid="ignore"):
        return (n >= 0) & (n < 2.0 ** 53) & (np.floor(n) == n) & (p >= 0) & (p <= 1)


@over_keys
def binomials(keys, size: int, dtype: np.dtype, n, p) -> np.ndarray:
    """Binomial(n, p) counts of ``shape`` as floats of ``dtype`` (NaN where ``(n, p)`` is no
    distribution)."""
    ok = binomial_valid(n, p)
    flip = p > 0.5
    q = np.where(ok, np.where(flip, 1.0 - p, p), 0.0)
    nn = np.where(ok, n, 0.0)
    u = uniforms(keys, size, _GAMMA_STREAM).reshape(-1)
    out = np.zeros(n.size)
    small = nn * q < 10.0
    if small.any():
        t = _row_max(np.where(small, nn * q, 0.0), size)
        top = np.minimum(_row_max(np.where(small, nn, 0.0), size), t + 20.0 * np.sqrt(t) + 40.0)
        out[small] = _binomial_small(nn[small], q[small], u[small],
                                     np.floor(top).astype(np.int64)[small])
    if (~small).any():
        out[~small] = _binomial_btrs(keys, size, np.where(small, 40.0, nn),
                                     np.where(small, 0.5, q))[~small]
    out = np.where(flip, nn - out, out)
    out[~ok] = np.nan
    return out.astype(dtype)


# --------------------------------------------------------------------------- truncated normal


def truncated_bad(dtype: np.dtype, lower, upper):
    """Where the bounds define no truncated normal in ``dtype`` (NaN, crossed, or no float
    of ``dtype`` strictly between them)."""
    lo, hi = np.asarray(lower, np.float64), np.asarray(upper, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        lo_d, hi_d = lo.astype(dtype), hi.astype(dtype)
        inside = np.nextafter(lo_d, dtype.type(np.inf)) < hi_d
    return ~((lo < hi) & inside)


@over_keys
def truncated_normals(keys, n: int, dtype: np.dtype, lower, upper) -> np.ndarray:
    """Standard normals conditioned on ``lower < z < upper``, a pair of bounds per draw
    (broadcast to ``shape``): per draw the proposal of the scalar sampler (the normal, a
    uniform on a short interval, Robert's exponential in a tail), all draws at once."""
    bad = truncated_bad(dtype, lower, upper)
    lo, hi = np.where(bad, -1.0, lower), np.where(bad, 1.0, upper)
    flip = hi <= 0.0
    a, b = np.where(flip, -hi, lo), np.where(flip, -lo, hi)
    with np.errstate(invalid="ignore", over="ignore"):
        straddle = a < 0.0
        short = np.where(straddle, np.maximum(-a, b) ** 2 < 2.0, (b - a) * (a + b) < 2.0)
    uniform_p, tail_p = short, ~short & ~straddle
    c = np.where(straddle, 0.0, a)
    lam = 0.5 * (a + np.sqrt(a * a + 4.0))

    def accept(idx, u):
        ai, bi, ci, li = a[idx], b[idx], c[idx], lam[idx]
        u1, u2 = u[0], u[1]
        with np.errstate(invalid="ignore", over="ignore"):
            z_normal = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
            z_uniform = ai + u1 * (bi - ai)
            z_tail = ai - np.log(u1) / li
            z = np.where(uniform_p[idx], z_uniform, np.where(tail_p[idx], z_tail, z_normal))
            keep = (z > ai) & (z < bi)
            keep_uniform = np.log(u2) <= 0.5 * (ci * ci - z * z)
            keep_tail = np.log(u2) <= -0.5 * (z - li) ** 2
        keep &= np.where(uniform_p[idx], keep_uniform,
                         np.where(tail_p[idx], keep_tail, True))
        return keep, z

    z = _rounds(keys, n, 2, accept)
    out = np.where(flip, -z, z).astype(dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        inside_lo = np.nextafter(lower.astype(dtype), dtype.type(np.inf))
        inside_hi = np.nextafter(upper.astype(dtype), dtype.type(-np.inf))
    out = np.clip(out, inside_lo, inside_hi).astype(dtype)
    out[bad] = np.nan
    return out


# --------------------------------------------------------------------------- geometric


@over_keys
def geometrics(keys, n: int, dtype: np.dtype, p) -> np.ndarray:
    """Geometric(p) counts (trials up to the first success) of ``shape`` as integers of
    ``dtype``, ``floor(log u / log1p(-p)) + 1``; invalid ``p`` or an overflowing draw raise."""
    if not np.all((p > 0) & (p <= 1)):
        raise InvalidParameterError("geometric needs 0 < p <= 1 (traced parameters, checked "
                                    "as they ran)")
    u = uniforms(keys, n, _GAMMA_STREAM).reshape(-1)
    with np.errstate(divide="ignore"):
        g = np.floor(np.log(u) / np.log1p(-p)) + 1.0  # p = 1: log u / -inf = 0
    top = float(np.iinfo(dtype).max)
    if np.any(g > top):
        raise InvalidParameterError(f"geometric: a draw {float(g.max())} does not fit in "
                                    f"{np.dtype(dtype)} (traced parameters, checked as they ran)")
    return g.astype(dtype)


# dist -> sampler(k, shape, dtype, *params): params broadcast to shape, draw i a function of
# the key and of the parameters of draw i only
SAMPLERS = {
    "poisson": poissons,
    "binomial": binomials,
    "truncated_normal": truncated_normals,
    "geometric": geometrics,
}


# --------------------------------------------------------------------------- primitives


def _batched(keys, params, shape, dtype, fn):
    """``fn(keys, *params)`` on the whole batch at once (:func:`over_keys`): keys ``batch +
    (4,)`` and parameters ``batch' + shape`` broadcast over their leading (batch) axes."""
    keys = np.asarray(keys)
    params = [np.asarray(p) for p in params]
    core = len(shape)
    batch = np.broadcast_shapes(keys.shape[:-1], *[p.shape[:p.ndim - core] for p in params])
    nb = int(np.prod(batch, dtype=np.int64))
    keys = np.broadcast_to(keys, batch + (4,)).reshape(nb, 4)
    params = [np.broadcast_to(p, batch + p.shape[p.ndim - core:]) for p in params]
    params = [p.reshape((nb,) + p.shape[len(batch):]) for p in params]
    out = fn(keys, *params).astype(dtype, copy=False)
    return out.reshape(batch + tuple(shape))


def _params_shape(what, keys, params, shape, dtype):
    kb = _check_key_aval(keys, f"random sampler {what}")
    core = len(shape)
    leading = []
    for p in params:
        if p.dtype.kind not in "biuf":
            raise WireTypeError(f"random sampler {what} needs real parameters, got {p!r}")
        if len(p.shape) < core or not _broadcasts(tuple(p.shape[len(p.shape) - core:]), shape):
            raise ShapeError(f"random sampler {what}: parameters {p!r} do not end with the "
                                 f"sample shape {tuple(shape)}")
        leading.append(tuple(p.shape[:len(p.shape) - core]))
    try:
        batch = np.broadcast_shapes(kb, *leading)
    except ValueError:
        raise ShapeError(f"random sampler {what}: keys {keys!r} and parameters do not "
                             "broadcast") from None
    return make_aval(tuple(batch) + tuple(shape), dtype)


def _broadcasts(small: tuple, shape: tuple) -> bool:
    try:
        return tuple(np.broadcast_shapes(small, tuple(shape))) == tuple(shape)
    except ValueError:
        return False


def _gamma_impl(keys, a, *, shape, dtype, log_space):
    return _batched(keys, [a], shape, dtype,
                    lambda k, ai: gammas(k, shape, dtype, ai, log_space=log_space))


def _gamma_batch(args, dims, *, shape, dtype, log_space):
    rule = trailing_batch(lambda: random_gamma_p, core_ndim=(1, len(shape)))
    return rule(args, dims, shape=shape, dtype=dtype, log_space=log_space)


def _arrays_impl(keys, *params, dist, shape, dtype):
    f = SAMPLERS[dist]
    return _batched(keys, params, shape, dtype, lambda k, *p: f(k, shape, dtype, *p))


def _arrays_batch(args, dims, *, dist, shape, dtype):
    rule = trailing_batch(lambda: random_sample_arrays_p,
                          core_ndim=(1,) + (len(shape),) * (len(args) - 1))
    return rule(args, dims, dist=dist, shape=shape, dtype=dtype)


random_gamma_p = Primitive(
    "random_gamma",
    _gamma_impl,
    lambda k, a, *, shape, dtype, log_space: _params_shape("gamma", k, [a], shape, dtype),
    dtype=lambda k, a, *, shape, dtype, log_space: np.dtype(dtype),
    jvp=_gamma_jvp,
    vjp=_gamma_vjp,
    batch=_gamma_batch,
    sample=lambda rng: ([_KEY0, rng.uniform(0.5, 3.0, size=(2, 3))],
                        {"shape": (2, 3), "dtype": np.dtype(np.float64),
                         "log_space": bool(rng.integers(0, 2))}),
    doc=("Gamma(a) draws (log_space: their logs) of shape from keys, the inverse CDF at the "
         "key's uniforms: differentiable in a (implicit reparameterisation)"),
    xp=_host("random_gamma", lambda: random_gamma_p),
    sympy=_NO_FORMULA,
    taylor=BY_JVP,
)

random_sample_arrays_p = Primitive(
    "random_sample_arrays",
    _arrays_impl,
    lambda k, *p, dist, shape, dtype: _params_shape(dist, k, p, shape, dtype),
    dtype=lambda k, *p, dist, shape, dtype: np.dtype(dtype),
    nondiff=True,
    batch=_arrays_batch,
    sample=lambda rng: ([_KEY0, rng.uniform(-2.0, -0.5, size=(3,)), np.full(3, 0.5)],
                        {"dist": "truncated_normal", "shape": (3,),
                         "dtype": np.dtype(np.float64)}),
    doc=("draws of a sampler of SAMPLERS (Poisson, binomial, geometric, truncated normal) with "
         "parameters per draw: NaN (floats) or an error (integers) where they define none"),
    xp=_host("random_sample_arrays", lambda: random_sample_arrays_p),
    sympy=_NO_FORMULA,
)

PRIMITIVES = (random_gamma_p, random_sample_arrays_p)


def gamma(keys, a, shape, dtype, log_space: bool):
    """The primitive ``random_gamma`` on (possibly traced) keys and float64 ``a`` (broadcast to
    ``shape`` over its trailing axes)."""
    return bind(random_gamma_p, keys, a, shape=tuple(int(s) for s in shape),
                dtype=np.dtype(dtype), log_space=bool(log_space))


def sample_arrays(keys, dist: str, shape, dtype, *params):
    """The primitive ``random_sample_arrays`` on (possibly traced) keys and parameters."""
    return bind(random_sample_arrays_p, keys, *params, dist=dist,
                shape=tuple(int(s) for s in shape), dtype=np.dtype(dtype))
