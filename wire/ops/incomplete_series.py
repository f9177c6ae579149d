"""The shape derivatives of the regularised incomplete gamma and beta functions, by running
their classical algorithms in truncated Taylor arithmetic (NumPy only; the primitives are in
``incomplete.py``).

The algorithms are the power series of P for ``x < a + 1``, Legendre's continued fraction of
Q otherwise, and the continued fraction of I_x (Numerical Recipes §6.2/§6.4), with the
symmetry ``I_x(a, b) = 1 - I_{1-x}(b, a)``. Every quantity is a polynomial in the
perturbations ``(ε_a, ε_b)`` of the shape parameters, so the algorithm is differentiated term
by term to the requested order, and its stopping tests require every Taylor coefficient to
have converged. No finite differences are involved.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .special import _gammaln, _polygamma
from .optional import module as _optional_module

# SciPy is optional: its betaln is accurate where lnΓ's differences cancel
_sp = _optional_module("scipy.special")

_EPS = np.finfo(np.float64).eps
_TINY = 1e-300
_MAX_TERMS = 20000


# --------------------------------------------------------------------------- Taylor arithmetic
# A jet is an array c of shape box + (k,), box = (n_0 + 1, …, n_d + 1): c[i_0, …, i_d] is the
# coefficient of ε_0^i_0 … ε_d^i_d of a quantity (ε_0 = ε_a, ε_1 = ε_b here; the densities in
# incomplete_density.py add ε_x), for k elements at once. The truncation is a box, which
# products respect exactly (the coefficient at i of a product needs only coefficients <= i).


def _box(c):
    return c.shape[:-1]


def _origin(box):
    return (0,) * len(box)


def _const(v, box):
    c = np.zeros(box + np.shape(v))
    c[_origin(box)] = v
    return c


def _affine(v0, coefs, box):
    """The jet of ``v0 + Σ_d coefs[d] ε_d``."""
    c = _const(v0, box)
    for d, cd in enumerate(coefs):
        if box[d] > 1:
            c[tuple(1 if e == d else 0 for e in range(len(box)))] = cd
    return c


@functools.lru_cache(maxsize=None)
def _product_plan(box):
    """``(p, tail, head)`` per index ``p`` of the box: ``(u v)[tail] += u[p] v[head]``."""
    return tuple((p, tuple(slice(i, None) for i in p),
                  tuple(slice(None, n - i) for n, i in zip(box, p))) for p in np.ndindex(*box))


def _lentz_step(h, d, c):
    """One step of Lentz's method: ``h`` times ``d·c``, and per element whether that factor
    is within an ulp of 1 in every coefficient (its continued fraction has converged)."""
    delta = _mul(d, c)
    step = delta.copy()
    step[0, 0] -= 1.0
    return _mul(h, delta), np.all(np.abs(step) <= _EPS, axis=(0, 1))


def _mul(u, v):
    out = np.zeros(np.broadcast_shapes(u.shape, v.shape))
    for p, tail, head in _product_plan(_box(u)):
        out[tail] += u[p] * v[head]
    return out


def _order(box):
    """The highest total degree in the box."""
    return sum(box) - len(box)


def _compose(derivs, u):
    """``g(u)`` for a jet ``u`` from ``derivs[m] = g⁽ᵐ⁾(u₀)``, m = 0 … total order (Horner)."""
    box = _box(u)
    order = _order(box)
    w = u.copy()
    w[_origin(box)] = 0.0
    out = _const(derivs[order] / math.factorial(order), box)
    for m in range(order - 1, -1, -1):
        out = _mul(out, w)
        out[_origin(box)] += derivs[m] / math.factorial(m)
    return out


def _live(coefs):
    """Which perturbations an affine argument moves with (a literal 0 coefficient: not)."""
    return tuple(not isinstance(cd, (int, float)) or cd != 0 for cd in coefs)


@functools.lru_cache(maxsize=None)
def _affine_plan(box, live):
    """``(idx, Σ idx, Π idx!)`` for the indices of the box in the live perturbations only
    (an argument's powers in the others vanish)."""
    return tuple((idx, sum(idx), math.prod(math.factorial(i) for i in idx))
                 for idx in np.ndindex(*box)
                 if not any(i and not lv for i, lv in zip(idx, live)))


def _reach(coefs, box):
    """The highest total degree in the box of the perturbations the argument moves with:
    the derivatives of ``g`` an affine composition needs."""
    return sum(n - 1 for n, live in zip(box, _live(coefs)) if live)


def _compose_affine(derivs, v0, coefs, box):
    """``g(v0 + Σ_d coefs[d] ε_d)`` in closed form (powers of an affine perturbation), from
    ``derivs[m] = g⁽ᵐ⁾(v0)``, m = 0 … ``_reach(coefs, box)``."""
    c = np.zeros(box + np.shape(v0))
    for idx, degree, factorials in _affine_plan(box, _live(coefs)):
        power = math.prod(cd**i for cd, i in zip(coefs, idx))
        c[idx] = derivs[degree] * (power / factorials)
    return c


def _inv(u):
    u0 = u[_origin(_box(u))]
    order = _order(_box(u))
    derivs = [(-1.0) ** m * math.factorial(m) / u0 ** (m + 1) for m in range(order + 1)]
    return _compose(derivs, u)


def _inv_affine(v0, coefs, box):
    order = _reach(coefs, box)
    derivs = [(-1.0) ** m * math.factorial(m) / v0 ** (m + 1) for m in range(order + 1)]
    return _compose_affine(derivs, v0, coefs, box)


def _exp(u):
    e = np.exp(u[_origin(_box(u))])
    return _compose([e] * (_order(_box(u)) + 1), u)


def _gammaln_affine(v0, coefs, box):
    order = _reach(coefs, box)
    derivs = [_gammaln(v0)] + [_polygamma(v0, n=m - 1) for m in range(1, order + 1)]
    return _compose_affine(derivs, v0, coefs, box)


def _guard(d):
    """Lentz's guard against a zero denominator (on the value only)."""
    small = np.abs(d[0, 0]) < _TINY
    d[0, 0] = np.where(small, _TINY, d[0, 0])
    return d


def _converged(term, total):
    """Every coefficient of ``term`` is negligible next to ``total`` (elementwise)."""
    scale = np.maximum(np.abs(total), np.abs(total[0, 0]))
    return np.all(np.abs(term) <= _EPS * scale, axis=(0, 1))


def _unconverged(c):
    c[:] = np.nan
    return c


# --------------------------------------------------------------------------- incomplete gamma


def _p_series(a, x, box):
    """P(a, x) = x^a e^-x / Γ(a + 1) · Σ_k x^k / ((a+1)…(a+k)), good for x < a + 1."""
    term = _const(np.ones_like(a), box)
    total = term.copy()
    done = np.zeros(a.shape, bool)
    for k in range(1, _MAX_TERMS):
        term = _mul(term, _inv_affine(a + k, (1.0, 0.0), box) * x)
        total = total + term
        done = _converged(term, total)
        if done.all():
            break
    pref = (_affine(a * np.log(x) - x, (np.log(x), 0.0), box)
            - _gammaln_affine(a + 1, (1.0, 0.0), box))
    out = _mul(_exp(pref), total)
    out[:, :, ~done] = np.nan
    return out


def _q_fraction(a, x, box):
    """Q(a, x) = x^a e^-x / Γ(a) · 1/(x+1-a- 1·(1-a)/(x+3-a- …)), good for x >= a + 1
    (modified Lentz)."""
    b = _affine(x + 1 - a, (-1.0, 0.0), box)
    c = _const(np.full_like(a, 1 / _TINY), box)
    d = _inv(b)
    h = d
    done = np.zeros(a.shape, bool)
    for i in range(1, _MAX_TERMS):
        an = _affine(-i * (i - a), (float(i), 0.0), box)
        b = b.copy()
        b[0, 0] += 2.0
        d = _inv(_guard(_mul(an, d) + b))
        c = _guard(b + _mul(an, _inv(c)))
        h, done = _lentz_step(h, d, c)
        if done.all():
            break
    # 1/Γ(a) = a/Γ(a + 1): exact at a = 0, where Q(0, x) = 0 and ∂Q/∂a = E₁(x)
    pref = (_affine(a * np.log(x) - x, (np.log(x), 0.0), box)
            - _gammaln_affine(a + 1, (1.0, 0.0), box))
    out = _mul(_mul(_exp(pref), _affine(a, (1.0, 0.0), box)), h)
    out[:, :, ~done] = np.nan
    return out


# --------------------------------------------------------------------------- large shapes
# For a large shape the series and the continued fraction need O(√a) terms (past _MAX_TERMS,
# NaN, from a = 1e7 at x = a) and their prefactor exp(a log x - x - lnΓ(a + 1)) cancels
# terms of size a log a (∂_a P(1e15, 1e15 + 3e7) was -1.1e-7, the truth -7.7e-9). There
# Temme's variables make P an integral of a Gaussian times a smooth function: with t = aλ
# and ζ²/2 = λ - 1 - ln λ (ζ of the sign of λ - 1), t^(a-1) e^-t dt / Γ(a) =
# e^(-aζ²/2) g(ζ) dζ · √(a / 2π) / Γ*(a), g(ζ) = ζ / (λ - 1), ln Γ*(a) = lnΓ(a) - (a - 1/2)
# ln a + a - ln(2π)/2. In s = ζ√a, with η = ζ(x / a):
#     ∂ᵐ_a P = e^(-stirlerr(a)) / √(2π) ∫_{-inf}^{η√a} B_m(D, -ψ'(a), …, -ψ⁽ᵐ⁻¹⁾(a)) g e^(-s²/2) ds
# (B_m the complete Bell polynomial: ∂ᵐ_a of the density over the density, D = ln t - ψ(a)
# = ln λ + (ln a - ψ(a)), no cancellation), and for m >= 1 minus the same integral over
# (η√a, inf) (the integral over the whole line is ∂ᵐ_a 1 = 0): the tail away from the mode
# is integrated, by Gauss-Legendre over the 45 e-folds of e^(-s²/2) past its end.
_BIG_SHAPE = 1000.0
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)
_TAIL_EFOLDS = 45.0


def _expm1_minus(y):
    """``e^y - 1 - y`` without cancellation near 0."""
    small = np.abs(y) < 0.5
    ys = np.where(small, y, 0.0)
    series = np.zeros_like(y)
    term = ys * ys / 2.0
    for k in range(3, 24):
        series = series + term
        term = term * ys / k
    with np.errstate(over="ignore"):
        return np.where(small, series, np.expm1(y) - y)


def _log_lambda(zeta):
    """``y = ln λ`` with ``λ - 1 - ln λ = ζ²/2``, ``sign(y) = sign(ζ)`` (Newton's method on
    the convex ``e^y - 1 - y - ζ²/2`` from a start of the right sign)."""
    t = zeta * zeta / 2.0
    z = np.clip(zeta, -1.0, 1.0)
    lam1 = z + z * z / 3.0 + z ** 3 / 36.0 - z ** 4 / 270.0 + z ** 5 / 4320.0
    y = np.where(np.abs(zeta) < 1.0, np.log1p(lam1),
                 np.where(zeta < 0, -1.0 - t, np.log1p(t + np.log1p(t))))
    for _ in range(60):
        step = (_expm1_minus(y) - t) / np.expm1(y)
        y = y - step
        if np.all(np.abs(step) <= 1e-16 * np.abs(y)):
            break
    return y


def _log_a_minus_digamma(a):
    """``ln a - ψ(a)`` for ``a >= _BIG_SHAPE`` (its asymptotic series, exact there)."""
    r = 1.0 / (a * a)
    return 0.5 / a + r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r / 240)))


def _stirlerr_shape(a):
    """``ln Γ*(a) = lnΓ(a) - (a - 1/2) ln a + a - ln(2π)/2`` for ``a >= _BIG_SHAPE``."""
    r = 1.0 / (a * a)
    return (1.0 / 12 - r * (1.0 / 360 - r * (1.0 / 1260 - r / 1680))) / a


def _p_large(a, x, box):
    """P(a, x) and its shape derivatives for ``a >= _BIG_SHAPE``, ``0 < x < inf`` (see above)."""
    n = box[0] - 1
    with np.errstate(all="ignore"):
        mu = (x - a) / a
        half = a * np.where(np.abs(mu) < 0.5, _expm1_minus(np.log1p(mu)), mu - np.log1p(mu))
        half = np.maximum(half, 0.0)
        s0 = np.sqrt(2.0 * half)
        upper = x > a
        # past 750 the tail underflows: e^-750 times factors below e^700
        live = half < 750.0
        s0l = np.where(live, s0, 0.0)
        width = 2.0 * _TAIL_EFOLDS / (s0l + np.sqrt(s0l * s0l + 2.0 * _TAIL_EFOLDS))
        u = (width / 2.0)[:, None] * (_GL_NODES + 1.0)  # (k, nodes)
        s = np.where(upper, 1.0, -1.0)[:, None] * (s0l[:, None] + u)
        zeta = s / np.sqrt(a)[:, None]
        y = _log_lambda(zeta)
        g = zeta / np.expm1(y)
        w = ((width / 2.0)[:, None] * _GL_WEIGHTS * g
             * np.exp(-(s0l[:, None] * u + u * u / 2.0)))
        jet = np.zeros((n + 1, 1) + s.shape)
        if n:
            jet[1, 0] = y + _log_a_minus_digamma(a)[:, None]
            for m in range(2, n + 1):
                jet[m, 0] = -_polygamma(a, n=m - 1)[:, None] / math.factorial(m)
        shape_k = a.shape
        e = _exp(jet.reshape((n + 1, 1, -1))).reshape((n + 1, 1) + s.shape)
        tail = np.sum(e * w, axis=-1)
        tail = tail * (np.exp(-half - _stirlerr_shape(a)) / math.sqrt(2.0 * math.pi))
        tail = np.where(live, tail, 0.0)
    out = np.where(upper, -tail, tail)
    out[0, 0] = np.where(upper, 1.0 - tail[0, 0], tail[0, 0])
    return out.reshape(box + shape_k)


def gammainc_taylor(a, x, n: int):
    """Taylor coefficients ``c[m] = (∂ᵐP/∂aᵐ)(a, x) / m!``, m = 0 … n, shape ``(n + 1,) +
    broadcast shape`` (float64). Invalid arguments give NaN, like SciPy; ``a = 0`` (where
    ``P = 1`` for ``x > 0``, as SciPy) gives the one-sided derivatives ``a → 0+``, and
    ``a = inf`` (where ``P = 0`` for finite ``x``) the limits, 0."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.ravel(), x.ravel()
    box = (n + 1, 1)
    out = np.full(box + a.shape, np.nan)
    ok = ((a > 0) | ((a == 0) & (x > 0))) & (x >= 0) & ~((a == np.inf) & (x == np.inf))
    edge = ok & ((x == 0) | np.isinf(x) | np.isinf(a))  # P is constant in a there
    out[:, 0, edge] = 0.0
    out[0, 0, edge] = np.where((x[edge] == 0) | np.isinf(a[edge]), 0.0, 1.0)
    inner = ok & ~edge
    big = inner & (a >= _BIG_SHAPE)
    inner = inner & ~big
    series = inner & (x < a + 1)
    frac = inner & ~series
    if big.any():
        out[:, :, big] = _p_large(a[big], x[big], box)
    with np.errstate(all="ignore"):  # guards and underflowing prefactors are expected
        if series.any():
            out[:, :, series] = _p_series(a[series], x[series], box)
        if frac.any():
            q = -_q_fraction(a[frac], x[frac], box)
            q[0, 0] += 1.0
            out[:, :, frac] = q
    return out[:, 0].reshape((n + 1,) + shape)


# --------------------------------------------------------------------------- incomplete beta


_NEAR = 0.1  # a step below this fraction of its base: lnΓ's difference by its Taylor series


def _lgamma_step(u, d, m):
    """``g⁽ᵐ⁾(u + d) - g⁽ᵐ⁾(u)`` (``g = lnΓ``) as ``Σ_{k≥1} g⁽ᵐ⁺ᵏ⁾(u) dᵏ / k!``, for
    ``|d| < _NEAR u`` (terms fall like ``(m + k) d / (k u)``), where the difference itself
    cancels; NaN where the series has not converged (no plausible wrong number)."""
    total = np.zeros_like(u)
    live = np.ones(u.shape, bool)
    power = np.ones_like(u)
    for k in range(1, 80):
        power = power * d / k
        term = np.where(live, _polygamma(u, n=m + k - 1) * power, 0.0)
        total = total + term
        live &= ~(np.abs(term) <= _EPS * np.abs(total)) & (power != 0)
        if not live.any():
            break
    total[live] = np.nan
    return total


def _at(box, i, j):
    """The index of the coefficient of ``ε_a^i ε_b^j`` in a box whose first two axes are
    ``(ε_a, ε_b)``."""
    return (i, j) + (0,) * (len(box) - 2)


def _log_gamma_ratio(a, b, box):
    """``(L, lifted)``: the jet of ``Γ(a + b) / (Γ(a + 1) Γ(b))`` in ``(ε_a, ε_b)`` (the first
    two axes of ``box``) is ``exp(L)``, times ``t = b / (a + b)`` where ``lifted`` (``b < 1``).

    There ``L = lnΓ(a+b+1) - lnΓ(a+1) - lnΓ(b+1)``: ``1/Γ(b)``'s log-derivatives ``-ψ(b) ≈
    1/b`` made the exponential's second-order coefficient a difference of ``1/b²`` terms
    (``∂²_b I_{0.3}(2, 1e-30)`` was 0.0139, the truth 0.0868) and overflowed below ``b =
    1e-308`` (NaN); ``t`` is a rational jet, multiplied in by :func:`_times_ratio`.
    Elsewhere ``L = lnΓ(a+b) - lnΓ(a+1) - lnΓ(b)``. A coefficient that is a difference
    ``g⁽ᵐ⁾(u + d) - g⁽ᵐ⁾(u)`` with ``|d|`` small next to ``u`` is a Taylor series in ``d``
    (``a`` against ``b``, or ``b - 1`` against ``a + 1``): ``ψ(a + b) - ψ(b)`` at ``b = 1e20``
    was 0 rather than ``a / b``; and where neither applies the value is ``-ln a - lnB(a, b)``
    (``lnΓ(2e20) - lnΓ(1e20 + 1) - lnΓ(1e20)`` cancels)."""
    lifted = b < 1.0
    c = np.where(lifted, 1.0, 0.0)
    bc = b + c  # the shifted b, 1 <= bc
    pad = (0.0,) * (len(box) - 2)
    L = (_gammaln_affine(a + bc, (1.0, 1.0) + pad, box)
         - _gammaln_affine(a + 1.0, (1.0, 0.0) + pad, box)
         - _gammaln_affine(bc, (0.0, 1.0) + pad, box))
    near_a = np.abs(bc - 1.0) < _NEAR * (a + 1.0)  # a + bc next to a + 1
    near_b = a < _NEAR * bc  # a + bc next to bc
    if near_a.any():
        u, d = a[near_a] + 1.0, bc[near_a] - 1.0
        for i in range(box[0]):
            v = _lgamma_step(u, d, i) / math.factorial(i)
            if i == 0:
                v = v - _gammaln(bc[near_a])
            L[_at(box, i, 0)][near_a] = v
    if near_b.any():
        u, d = bc[near_b], a[near_b]
        for j in range(box[1]):
            v = _lgamma_step(u, d, j) / math.factorial(j)
            if j == 0:  # (the value once: near_a's where both apply)
                v = np.where(near_a[near_b], L[_at(box, 0, 0)][near_b], v - _gammaln(d + 1.0))
            L[_at(box, 0, j)][near_b] = v
    far = ~near_a & ~near_b & ~lifted & (a > 0)
    if far.any() and _sp is not None:
        with np.errstate(all="ignore"):
            v = -_sp.betaln(a[far], b[far]) - np.log(a[far])
        L[_at(box, 0, 0)][far] = np.where(np.isfinite(v), v, L[_at(box, 0, 0)][far])
    return L, lifted


def _ratio_coefficients(a, b, box):
    """``(t̂, s)``: ``t = b / (a + b)`` has the coefficient ``t̂[i, j] / s^(i+j)`` at ``ε_a^i
    ε_b^j``, ``s = a + b``, with ``t̂[i, j] = (-1)^n (C(n, i) b/s - C(n-1, i) [j ≥ 1])``,
    ``n = i + j`` (from ``(b + ε_b) / s · Σ (-(ε_a + ε_b) / s)^n``): every ``t̂`` is O(1)
    also where ``1/s`` overflows."""
    s = a + b
    r, q = b / s, a / s  # (1 - r rounds: ∂_b t = a / s² was 5e-5 off at a = 1e-12, b = 0.5)
    t = np.zeros(box[:2] + a.shape)
    for i in range(box[0]):
        for j in range(box[1]):
            n = i + j
            if j:  # = C(n-1, i-1) - C(n, i) q, the form with the smaller rounding error
                v = np.where(r < q, math.comb(n, i) * r - math.comb(n - 1, i),
                             (math.comb(n - 1, i - 1) if i else 0) - math.comb(n, i) * q)
            else:
                v = r
            t[i, j] = (-1.0) ** n * v
    return t, s


def _times_ratio(jet, a, b):
    """``t · jet`` for ``t = b / (a + b)`` (2-axis jets in ``(ε_a, ε_b)``), each coefficient
    by Horner's rule in ``1/s``: ``Σ_n G_n / s^n`` with ``G_n`` the O(1) sum of the ``t̂`` of
    degree ``n`` times ``jet``, so a coefficient overflows to ``±inf`` only where it is that
    large (``∂_a I_{0.5}(5e-324, 5e-324) = -5e322``), never ``inf - inf``."""
    box = _box(jet)
    t, s = _ratio_coefficients(a, b, box)
    out = np.zeros(jet.shape)
    for i in range(box[0]):
        for j in range(box[1]):
            groups = [np.zeros(a.shape) for _ in range(i + j + 1)]
            for p in range(i + 1):
                for q in range(j + 1):
                    groups[p + q] = groups[p + q] + t[p, q] * jet[i - p, j - q]
            acc = groups[-1]
            for n in range(i + j - 1, -1, -1):
                acc = acc / s + groups[n]
            out[i, j] = acc
    return out


def _lift(jet, a, b, lifted):
    """``jet`` times ``b / (a + b)`` where ``lifted`` (see :func:`_log_gamma_ratio`)."""
    if lifted.any():
        jet[:, :, lifted] = _times_ratio(jet[:, :, lifted], a[lifted], b[lifted])
    return jet


def _beta_fraction(a, b, x, y, logx, logy, box):
    """I_x(a, b) by its continued fraction (x < (a + 1) / (a + b + 2)); ``y = 1 - x``."""
    one = _const(np.ones_like(a), box)
    c = one.copy()
    first = _mul(_affine(a + b, (1.0, 1.0), box), _inv_affine(a + 1, (1.0, 0.0), box))
    d = _inv(_guard(one - first * x))
    h = d
    done = np.zeros(a.shape, bool)
    for m in range(1, _MAX_TERMS):
        m2 = 2 * m
        # even step: m (b - m) x / ((a - 1 + 2m)(a + 2m))
        num = _affine(m * (b - m), (0.0, float(m)), box) * x
        aa = _mul(num, _mul(_inv_affine(a - 1 + m2, (1.0, 0.0), box),
                            _inv_affine(a + m2, (1.0, 0.0), box)))
        d = _inv(_guard(one + _mul(aa, d)))
        c = _guard(one + _mul(aa, _inv(c)))
        h = _mul(h, _mul(d, c))
        # odd step: -(a + m)(a + b + m) x / ((a + 2m)(a + 1 + 2m))
        num = -_mul(_affine(a + m, (1.0, 0.0), box), _affine(a + b + m, (1.0, 1.0), box)) * x
        aa = _mul(num, _mul(_inv_affine(a + m2, (1.0, 0.0), box),
                            _inv_affine(a + 1 + m2, (1.0, 0.0), box)))
        d = _inv(_guard(one + _mul(aa, d)))
        c = _guard(one + _mul(aa, _inv(c)))
        h, done = _lentz_step(h, d, c)
        if done.all():
            break
    # prefactor x^a y^b / (a B(a, b)) = x^a y^b Γ(a + b) / (Γ(a + 1) Γ(b)): with Γ(a + 1)
    # rather than a Γ(a), whose log-derivatives -1/a - ψ(a) cancel to O(1) for tiny a
    ratio, lifted = _log_gamma_ratio(a, b, box)
    out = _mul(_exp(_affine(a * logx + b * logy, (logx, logy), box) + ratio), h)
    out[:, :, ~done] = np.nan
    return _lift(out, a, b, lifted)


def _beta_series(a, b, x, logx, box):
    """I_x(a, b) = x^a Γ(a + b) / (Γ(a + 1) Γ(b)) · (1 + a Σ_{n≥1} (1-b)_n xⁿ / (n! (a + n))),
    for small ``a`` where the continued fraction would apply (``b x < a + 1``, so the terms
    fall like ``(b x)ⁿ / n!``). For tiny ``a`` both factors are ``1 + O(a)`` with their
    ``O(a)`` parts formed explicitly, so the derivatives, themselves ``O(a)``, keep their
    relative accuracy; the continued fraction's ``x^a y^b`` and its ``1 / y^b``-like value
    cancel to them, losing ``b x / a`` ulps."""
    one = _const(np.ones_like(a), box)
    term = one
    total = 0.0 * one
    done = np.zeros(a.shape, bool)
    for n in range(1, _MAX_TERMS):
        term = _mul(term, _affine(n - b, (0.0, -1.0), box)) * (x / n)
        part = _mul(term, _inv_affine(a + n, (1.0, 0.0), box))
        total = total + part
        done = _converged(part, total)
        if done.all():
            break
    bracket = one + _mul(_affine(a, (1.0, 0.0), box), total)
    ratio, lifted = _log_gamma_ratio(a, b, box)
    out = _mul(_exp(_affine(a * logx, (logx, 0.0), box) + ratio), bracket)
    out[:, :, ~done] = np.nan
    return _lift(out, a, b, lifted)


def _beta_near(a, b, x, y, logx, logy, box):
    """I_x(a, b) for x < (a + 1) / (a + b + 2): the series for small ``a``, else the
    continued fraction."""
    out = np.empty(box + a.shape)
    small = a < 0.1
    if small.any():
        out[:, :, small] = _beta_series(a[small], b[small], x[small], logx[small], box)
    if (~small).any():
        s = ~small
        out[:, :, s] = _beta_fraction(a[s], b[s], x[s], y[s], logx[s], logy[s], box)
    return out


def betainc_taylor(a, b, x, na: int, nb: int):
    """Taylor coefficients ``c[i, j] = (∂ⁱ_a ∂ʲ_b I_x(a, b)) / (i! j!)``, shape
    ``(na + 1, nb + 1) + broadcast shape`` (float64). Invalid arguments give NaN."""
    a, b, x = np.broadcast_arrays(*[np.asarray(v, np.float64) for v in (a, b, x)])
    shape = a.shape
    a, b, x = a.ravel(), b.ravel(), x.ravel()
    box = (na + 1, nb + 1)
    out = np.full(box + a.shape, np.nan)
    ok = (a > 0) & (b > 0) & np.isfinite(a) & np.isfinite(b) & (x >= 0) & (x <= 1)
    edge = ok & ((x == 0) | (x == 1))
    out[:, :, edge] = 0.0
    out[0, 0, edge] = x[edge]
    inner = ok & ~edge
    direct = inner & (x < (a + 1) / (a + b + 2))
    flip = inner & ~direct
    y = 1.0 - x
    with np.errstate(divide="ignore", invalid="ignore"):
        logx, logy = np.log(x), np.log1p(-x)
    with np.errstate(all="ignore"):  # guards and underflowing prefactors are expected
        if direct.any():
            s = direct
            out[:, :, s] = _beta_near(a[s], b[s], x[s], y[s], logx[s], logy[s], box)
        if flip.any():
            s = flip
            # I_x(a, b) = 1 - I_y(b, a): the roles of the two perturbations swap too
            j = _beta_near(b[s], a[s], y[s], x[s], logy[s], logx[s], box[::-1])
            j = -np.swapaxes(j, 0, 1)
            j[0, 0] += 1.0
            out[:, :, s] = j
    return out.reshape(box + shape)
