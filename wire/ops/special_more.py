"""More special-function primitives, with SciPy's values: the Hurwitz and Riemann ``zeta``,
``boxcox``/``boxcox1p``, ``expn``, ``dawsn``, ``spence``, the sine/cosine integrals ``si``/``ci``,
the Fresnel integrals, ``hyp1f1``, ``hyp2f1`` and ``owens_t``.

Values come from SciPy's ufuncs (bit-identical to ``scipy.special``; these primitives need
SciPy installed). Each derivative is written with wire's operations (often the function
itself, or a neighbour in its family), so every order is available:

* ``zeta(x, q)``: ``∂q = -x zeta(x + 1, q)``; ``∂x`` is the primitive ``zeta_deriv(x, q; m=1)``,
  ``Σ (-log(k + q))^m (k + q)^-x`` by Euler-Maclaurin (whose ``∂q`` is
  ``-x zeta_deriv(x + 1, q; m) - m zeta_deriv(x + 1, q; m - 1)``); the Riemann ``zeta(x)``'s
  is ``riemann_zeta_deriv(x; m)``, by the reflection formula below ``x = 0``;
* ``boxcox(x, λ) = (x^λ - 1) / λ``: ``∂x = x^(λ-1)``, ``∂λ = L² g(λL)`` with ``L = log x`` and
  ``g(u) = (e^u (u - 1) + 1) / u²`` (its Taylor series near ``u = 0``, where ``∂λ`` is
  ``L² / 2``); ``boxcox1p`` alike with ``L = log1p(x)``;
* ``expn(n, x)``: ``∂x = -expn(n - 1, x)`` (``n = 0``: ``-e^-x (x + 1) / x²``); ``n`` is an
  integer (SciPy truncates it), so there is no derivative in ``n``;
* ``dawsn' = 1 - 2x dawsn`` (its asymptotic series from ``|x| = 10`` on, where that
  difference cancels), ``spence'(z) = log z / (1 - z)`` (a series near ``z = 1``),
  ``si' = sin x / x``, ``ci' = cos x / x``, ``S' = sin(πx²/2)``, ``C' = cos(πx²/2)`` (the phase
  ``x² mod 4`` computed exactly, by the primitives ``fresnel_sin``/``fresnel_cos`` whose
  derivatives are each other times ``±πx``);
* ``hyp1f1``: ``∂z = a/b hyp1f1(a+1, b+1, z)``, ``hyp2f1``: ``∂z = ab/c hyp2f1(a+1, b+1, c+1, z)``;
  no closed form in the parameters (a ``NonDifferentiableError``);
* ``owens_t(h, a)``: ``∂h = -φ(h) erf(ah/√2) / 2``, ``∂a = e^(-h²(1+a²)/2) / (2π (1+a²))``.

A primitive's value has its (float) inputs' common dtype, as SciPy's float32 loops do.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import bind
from ..core.formula import NoFormula
from ..core.primitive import Primitive, elementwise_shape, float_dtype, random_shapes
from ..core.taylor import BY_JVP
from ..errors import NonDifferentiableError, WireError, at, user_location
from .batching import elementwise_batch
from .elementwise import (
    abs_,
    cos,
    eq,
    exp,
    gt,
    isinf,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    ne,
    lt,
    maximum,
    pow_,
    select,
    sin,
    sqrt,
    stop_gradient,
)
from .layout import ones_like_, zeros_like_
from .special import erf
from .optional import module as _optional_module

_sp = _optional_module("scipy.special")  # values from SciPy only

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _scipy():
    if _sp is None:  # pragma: no cover - exercised only without scipy
        raise WireError("these special functions need SciPy: pip install scipy")
    return _sp


def _impl(name, call=None):
    """The value of SciPy's ``name`` in its operands' common float dtype (``call`` picks
    the output or adapts the call)."""

    def impl(*xs):
        sp = _scipy()
        dt = float_dtype(*[np.asarray(x).dtype for x in xs])
        args = [np.asarray(x, dt) for x in xs]
        # (no warnings.catch_warnings: it swaps the process-wide filter list, so threads
        # calling at once could leave RuntimeWarning ignored for good)
        with np.errstate(all="ignore"):
            out = call(sp, *args) if call is not None else getattr(sp, name)(*args)
        return np.asarray(out).astype(dt, copy=False)

    impl.__name__ = name
    return impl


def _no_derivative(name, arg, why):
    def rule(*_args, **_params):
        raise NonDifferentiableError(
            f"{name}: no derivative in {arg} ({why}); differentiate in the other arguments "
            f"only, or hold {arg} with wire.stop_gradient{at(user_location())}")

    return rule


def _declare(name, impl, partials, sample, doc, sympy):
    """An elementwise primitive of ``len(partials)`` operands; ``partials[i](*xs, out)`` is
    the derivative in operand ``i`` (a tracer), or a rule that raises."""

    def jvp(ts, out, *xs):
        terms = [t * p(*xs, out) for t, p in zip(ts, partials) if t is not None]
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return total

    def part(p):
        return lambda ct, out, *xs: ct * p(*xs, out)

    prim = Primitive(
        name, impl, elementwise_shape(name, float_dtype), dtype=float_dtype,
        vjp=lambda ct, out, *xs: tuple(ct * p(*xs, out) for p in partials),
        vjp_parts=tuple(part(p) for p in partials),
        jvp=jvp, batch=elementwise_batch(lambda: prim), sample=sample, doc=doc,
        sympy=sympy, taylor=BY_JVP,
    )
    return prim


def _sampler(*domains):
    """Sampler: one draw per operand; a domain ``("int", lo, hi)`` gives integer-valued
    operands (not differentiated by the generic tests: a parameter with no derivative)."""

    def sample(rng):
        shape = random_shapes(rng, 1)[0]
        out = []
        for d in domains:
            if d[0] == "int":
                out.append(rng.integers(d[1], d[2], size=shape))
            else:
                out.append(rng.uniform(d[0], d[1], size=shape))
        return out, {}

    return sample


def _poly(coefs, x):
    """``Σ coefs[k] x^k`` by Horner's rule (on tracers)."""
    acc = coefs[-1] + 0.0 * x
    for c in reversed(coefs[:-1]):
        acc = acc * x + c
    return acc


def _fill(x, value):
    return value + zeros_like_(x)


# --------------------------------------------------------------------------- zeta

# Bernoulli numbers B_2 … B_26 for the Euler-Maclaurin tail of the zeta sums
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330, 854513 / 138, -236364091 / 2730, 8553103 / 6)
_ZETA_DIRECT = 10  # terms summed directly before the Euler-Maclaurin tail


def _series_mul(u, v):
    """The truncated product of two Taylor series (lists of coefficients)."""
    return [sum(u[i] * v[k - i] for i in range(k + 1)) for k in range(len(u))]


def _hurwitz_series(x, q, m):
    """Taylor coefficients ``c_0 … c_m`` of ``ζ(x + ε, q)`` in ``ε`` (float64 arrays): ten
    terms ``(k + q)^-(x+ε)`` summed, and the tail from ``a = q + 10`` by Euler-Maclaurin,
    ``a^(1-x-ε)/(x - 1 + ε) + a^-(x+ε)/2 + Σ_j B_2j/(2j)! (x+ε)…(x+ε+2j-2) a^(-x-ε-2j+1)``,
    each factor a series in ``ε`` (analytic in ``x``: also the continuation below 1, accurate
    from ``x = -1/2`` on for ``q = 1``)."""
    total = [0.0] * (m + 1)
    for k in range(_ZETA_DIRECT):
        n = k + q
        v, log_n = n ** -x, -np.log(n)
        for j in range(m + 1):
            total[j] = total[j] + v * np.where(j == 0, 1.0, log_n ** j) / math.factorial(j)
    a = _ZETA_DIRECT + q
    L = np.log(a)
    e = [a ** -x * (-L) ** j / math.factorial(j) for j in range(m + 1)]  # a^-(x+ε)
    s = x - 1.0
    inv = [(-1.0) ** j / s ** (j + 1) for j in range(m + 1)]  # 1 / (x - 1 + ε)
    tail = [c * a + 0.5 * ei for c, ei in zip(_series_mul(e, inv), e)]
    poly = [1.0 + 0.0 * x] + [0.0 * x] * m  # (x+ε)(x+ε+1)…(x+ε+2j-2)
    power = [c / a for c in e]  # a^-(x+ε+1), then down by a² per term
    for j, b in enumerate(_BERNOULLI, start=1):
        for i in range(0 if j == 1 else 2 * j - 3, 2 * j - 1):
            poly = [p * (x + i) + (poly[k - 1] if k else 0.0) for k, p in enumerate(poly)]
        coef = b / math.factorial(2 * j)
        tail = [t + coef * c for t, c in zip(tail, _series_mul(poly, power))]
        power = [c / (a * a) for c in power]
    # where a^-x underflows the tail is nothing next to the sum (and x = inf made 0 * inf)
    gone = e[0] == 0
    return [t + np.where(gone, 0.0, c) for t, c in zip(total, tail)]


def _zeta_deriv_impl(x, q, *, m):
    """``∂^m_x ζ(x, q)`` (m >= 1) for ``q > 0`` (NaN for ``q <= 0``, NaN)."""
    dt = float_dtype(np.asarray(x).dtype, np.asarray(q).dtype)
    x64, q64 = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(q, np.float64))
    with np.errstate(all="ignore"):
        ok = (q64 > 0) & ~np.isnan(x64)
        qs = np.where(ok, q64, 1.0)
        out = _hurwitz_series(x64, qs, m)[m] * math.factorial(m)
        out = np.where(q64 == np.inf, 0.0, out)  # every term is 0
        out = np.where(ok, out, np.nan)
    return np.asarray(out).astype(dt, copy=False)


def _log_gamma_series(y, m):
    """Taylor coefficients of ``log Γ(y - ε)`` (``y > 0``)."""
    out = [_scipy().gammaln(y)]
    for j in range(1, m + 1):
        out.append((-1.0) ** j * _scipy().polygamma(j - 1, y) / math.factorial(j))
    return out


def _series_exp(u):
    """``exp`` of a Taylor series: ``E_n = Σ_k k u_k E_(n-k) / n``."""
    out = [np.exp(u[0])]
    for n in range(1, len(u)):
        out.append(sum(k * u[k] * out[n - k] for k in range(1, n + 1)) / n)
    return out


def _riemann_deriv_impl(x, *, m):
    """``∂^m_x ζ(x)`` (m >= 1): Euler-Maclaurin (q = 1) from ``x = -1/2`` on; below, the
    reflection ``ζ(x) = χ(x) ζ(1 - x)``, ``χ(x) = 2^x π^(x-1) sin(πx/2) Γ(1 - x)``, as a
    product of Taylor series (the sums of ``n^|x|`` cancel there: 1e-4 off at x = -10)."""
    dt = float_dtype(np.asarray(x).dtype)
    x64 = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        neg = x64 < -0.5  # (near 0 the reflection is a pole of ζ(1 - x) times a zero)
        xp = np.where(neg, 1.0 - x64, x64)  # every point evaluates the sums above 0
        direct = _hurwitz_series(xp, np.ones_like(xp), m)
        out = direct[m] * math.factorial(m)
        if neg.any():
            xn = np.where(neg, x64, -1.0)
            # ζ(1 - x - ε): the series at 1 - x with ε -> -ε
            zeta_r = [c * (-1.0) ** j for j, c in enumerate(direct)]
            log2pi = math.log(2.0 * math.pi)
            lg = _log_gamma_series(1.0 - xn, m)
            lg[0] = lg[0] + xn * log2pi - math.log(math.pi)
            if m >= 1:
                lg[1] = lg[1] + log2pi
            amp = _series_exp(lg)  # 2^(x+ε) π^(x+ε-1) Γ(1-x-ε)
            # sin(π(x+ε)/2) by the (exact, mod 4) phase x/2 mod 2
            r = np.mod(xn, 4.0)
            sin0, cos0 = np.sin(np.pi * r / 2.0), np.cos(np.pi * r / 2.0)
            h = np.pi / 2.0
            sin_s = [(sin0 if j % 4 == 0 else cos0 if j % 4 == 1 else -sin0 if j % 4 == 2
                      else -cos0) * h ** j / math.factorial(j) for j in range(m + 1)]
            chi = _series_mul(amp, sin_s)
            reflected = _series_mul(chi, zeta_r)[m] * math.factorial(m)
            out = np.where(neg, reflected, out)
    return np.asarray(out).astype(dt, copy=False)


def _zeta_dq(x, q, out):
    """``-x zeta(x + 1, q)``. Where ``x + 1`` rounds to 1 (``|x| < 2^-53``), ``zeta(x + 1, q)``
    is its pole ``1/x - digamma(q)`` and the product its limit ``-1 - x/q`` (the digamma
    term matters only at a tiny ``q``, as ``-1/q``): computed as written it was ``-x inf``,
    ``-inf`` (``NaN`` at ``x = 0``, where ``zeta(0, q) = 1/2 - q``)."""
    x, q = x + zeros_like_(q), q + zeros_like_(x)
    near = eq(x + 1.0, ones_like_(x))
    xs = select(near, ones_like_(x), x)
    return select(near, -1.0 - x / q, -xs * bind(zeta_p, xs + 1.0, q))


def _zeta_dx(x, q, out):
    return bind(zeta_deriv_p, x, q, m=1)


zeta_p = _declare(
    "zeta", _impl("zeta"), (_zeta_dx, _zeta_dq),
    _sampler((1.5, 5.0), (0.5, 3.0)),
    "Hurwitz zeta function Σ_n (n + q)^-x (SciPy's zeta(x, q))",
    lambda sp, node, x, q: sp.zeta(x, q))


def _zeta_deriv_partials(x, q, m):
    """``∂x`` and ``∂q`` of ``∂^m_x ζ(x, q) = Σ (-log(k+q))^m (k+q)^-x``: ``∂^(m+1)_x ζ``
    and ``-x ∂^m_x ζ(x+1, q) - m ∂^(m-1)_x ζ(x+1, q)``."""
    x, q = x + zeros_like_(q), q + zeros_like_(x)
    lower = bind(zeta_p, x + 1.0, q) if m == 1 else bind(zeta_deriv_p, x + 1.0, q, m=m - 1)
    return (lambda: bind(zeta_deriv_p, x, q, m=m + 1),
            lambda: -x * bind(zeta_deriv_p, x + 1.0, q, m=m) - m * lower)


def _zeta_deriv_jvp(ts, out, x, q, *, m):
    total = None
    for t, partial in zip(ts, _zeta_deriv_partials(x, q, m)):
        if t is not None:
            term = t * partial()
            total = term if total is None else total + term
    return total


_ZETA_DERIV_FORMULA = NoFormula(
    "SymPy has no derivative of the Hurwitz zeta function in its order")

zeta_deriv_p = Primitive(
    "zeta_deriv", _zeta_deriv_impl, elementwise_shape("zeta_deriv", float_dtype),
    dtype=float_dtype, jvp=_zeta_deriv_jvp,
    vjp=lambda ct, out, x, q, *, m: tuple(ct * p() for p in _zeta_deriv_partials(x, q, m)),
    batch=elementwise_batch(lambda: zeta_deriv_p),
    sample=lambda rng: (_sampler((1.5, 5.0), (0.5, 3.0))(rng)[0],
                        {"m": int(rng.integers(1, 3))}),
    doc="m-th derivative of the Hurwitz zeta function in its order x (m >= 1)",
    sympy=_ZETA_DERIV_FORMULA, taylor=BY_JVP,
)


def _riemann_dx(x, out):
    return bind(riemann_zeta_deriv_p, x, m=1)


riemann_zeta_p = _declare(
    "riemann_zeta", _impl("zeta"), (_riemann_dx,),
    _sampler((1.5, 5.0)),
    "Riemann zeta function (SciPy's zeta(x), analytically continued below 1)",
    lambda sp, node, x: sp.zeta(x))

riemann_zeta_deriv_p = Primitive(
    "riemann_zeta_deriv", _riemann_deriv_impl,
    elementwise_shape("riemann_zeta_deriv", float_dtype), dtype=float_dtype,
    jvp=lambda ts, out, x, *, m: ts[0] * bind(riemann_zeta_deriv_p, x, m=m + 1),
    vjp=lambda ct, out, x, *, m: (ct * bind(riemann_zeta_deriv_p, x, m=m + 1),),
    batch=elementwise_batch(lambda: riemann_zeta_deriv_p),
    sample=lambda rng: (_sampler((1.5, 5.0))(rng)[0], {"m": int(rng.integers(1, 3))}),
    doc="m-th derivative of the Riemann zeta function (m >= 1)",
    sympy=_ZETA_DERIV_FORMULA, taylor=BY_JVP,
)

# --------------------------------------------------------------------------- Box-Cox

# g(u) = d/du (e^u - 1)/u = Σ_j (j + 1) u^j / (j + 2)!, summed for |u| <= 1/2 (the first term
# left out is below 1e-18 of the sum)
_G_SERIES = tuple((j + 1) / math.factorial(j + 2) for j in range(17))
_G_SMALL = 0.5
_G_BIG = 700.0


def _boxcox_dlmbda(L, lm):
    """``∂λ`` of ``(e^(λL) - 1) / λ``: ``L² g(λL)``, ``g(u) = (e^u (u - 1) + 1) / u²``; where
    ``L`` is infinite (x = 0 or inf) its limit, ``1/λ²`` when ``λL = -inf`` (the value tends
    to ``-1/λ``), else inf.

    Every branch is computed on arguments made finite where it is not taken (a branch left
    ``inf`` takes a zero cotangent times ``inf``, NaN, into the derivative of the whole: the
    second derivative in ``λ`` was NaN at ``λ = ±inf`` and ``λ = 1e300``). At ``λ = ±inf``
    (``L`` finite, nonzero) the derivative is ``e^(λL)``, whose derivatives are the limits:
    ``0`` where ``λL = -inf``, ``±inf`` where ``λL = inf``; at ``x = 1`` (``L = 0``) every
    derivative is 0, as the function is 0 for every ``λ``."""
    inf = isinf(L)
    Ls = select(inf, ones_like_(L), L)
    lm_inf = logical_and(logical_and(isinf(lm), logical_not(inf)), ne(Ls, 0.0))
    lms = select(isinf(lm), ones_like_(lm), lm)
    u = lms * Ls
    small = lt(abs_(u), _G_SMALL)
    big = gt(u, _G_BIG)  # e^u overflows: the log of the quotient
    neg = lt(u, -1e300)  # L² / u² = 1 / λ², also where λL overflows to -inf
    mid = logical_not(logical_or(logical_or(small, big), neg))
    us = select(small, u, zeros_like_(u))
    um = select(mid, u, ones_like_(u))
    lmm = select(mid, lms, ones_like_(lms))
    # over λ², not L² / u²: whose x-derivative 2L/u² - 2L²λ/u³ cancelled to an error of 1e-21
    # (the second derivative in x and λ at (0.5, 700) was -1.7e-21, the truth -8.4e-212)
    mid_val = (exp(um) * (um - 1.0) + 1.0) / (lmm * lmm)
    ub = select(big, select(isinf(u), _fill(u, 1e300), u), _fill(u, 2.0 * _G_BIG))
    Lb = select(big, Ls, ones_like_(Ls))
    e_log = ub + log1p(-1.0 / ub) - log(ub) + 2.0 * log(abs_(Lb))
    # where even that overflows, e^u alone: its derivatives are the infinities, where the
    # sum's parts would meet as inf - inf in reverse mode
    over = gt(e_log, 709.0)
    big_val = select(over, exp(select(over, ub, zeros_like_(ub))),
                     exp(select(over, zeros_like_(e_log), e_log)))
    lmn = select(neg, lms, ones_like_(lms))
    val = select(small, Ls * Ls * _poly(_G_SERIES, us),
                 select(big, big_val, select(neg, 1.0 / (lmn * lmn), mid_val)))
    up = logical_and(lm_inf, gt(lm * Ls, 0.0))  # λL = +inf: e^(λL); -inf: 0 (= 1/λ²)
    val = select(up, exp(select(up, lm, zeros_like_(lm)) * Ls),
                 select(lm_inf, zeros_like_(val), val))
    # at L = ±inf: λL < 0 (the value tends to -1/λ) gives 1/λ² and its derivatives -2/λ³ …;
    # else (λL >= 0, λ = 0 included) the k-th λ-derivative is L^(k+1) g^(k-1)(λL), and every
    # g^(j) is positive (g(u) = ∫_0^1 t e^(ut) dt): ±inf by the sign of L^(k+1), the
    # derivatives of inf · e^(sign(L) (λ - λ₀)) at λ₀ = λ (a constant inf gave a 0 second
    # derivative at x = inf, and NaN from the 1/λ² branch not taken at λ = 0)
    neg_lim = logical_and(inf, lt(select(inf, lm, ones_like_(lm)) * L, 0.0))
    lmq = select(neg_lim, lm, ones_like_(lm))
    pos_lim = logical_and(logical_and(inf, logical_not(neg_lim)), logical_not(isinf(lm)))
    lmp = select(pos_lim, lm, zeros_like_(lm))
    sign_l = select(gt(L, 0.0), ones_like_(L), -ones_like_(L))
    grow = np.inf * exp(sign_l * (lmp - stop_gradient(lmp)))
    rq = 1.0 / lmq  # (1 / (λ λ): its tangent 2λ / (λ λ)² was inf / inf at λ = ±inf)
    limit = select(neg_lim, rq * rq, grow)
    return select(inf, limit, val)


def _boxcox_dx(x, lm, out):
    # x^(λ-1); NaN below 0, where the value is NaN
    return select(lt(x, 0.0), _fill(x, np.nan), pow_(x, lm - 1.0))


def _boxcox1p_dx(x, lm, out):
    return select(lt(x, -1.0), _fill(x, np.nan), pow_(x + 1.0, lm - 1.0))


boxcox_p = _declare(
    "boxcox", _impl("boxcox"),
    (_boxcox_dx, lambda x, lm, out: _boxcox_dlmbda(log(x), lm)),
    _sampler((0.3, 3.0), (-1.5, 1.5)),
    "Box-Cox transform (x^λ - 1) / λ, log x at λ = 0 (SciPy's boxcox)",
    lambda sp, node, x, lm: (x ** lm - 1) / lm)
boxcox1p_p = _declare(
    "boxcox1p", _impl("boxcox1p"),
    (_boxcox1p_dx, lambda x, lm, out: _boxcox_dlmbda(log1p(x), lm)),
    _sampler((-0.7, 2.0), (-1.5, 1.5)),
    "Box-Cox transform of 1 + x, accurate for small x (SciPy's boxcox1p)",
    lambda sp, node, x, lm: ((1 + x) ** lm - 1) / lm)

# --------------------------------------------------------------------------- expn


def _expn_dx(n, x, out):
    # SciPy truncates n to an integer: trunc(n) = 0 on (-1, 1)
    zero = logical_and(gt(n, -1.0), lt(n, 1.0))
    xs = select(zero, x, ones_like_(x))
    # (1 + 1/x)/x, not (x + 1)/x²: 0 · inf at x = inf (the third derivative of expn(2, x))
    e0 = -exp(-xs) * ((1.0 + 1.0 / xs) / xs)
    below = bind(expn_p, select(zero, ones_like_(n), n - 1), x)
    return select(zero, e0, -below)


def _expn_impl(n, x):
    """SciPy's ``expn``: an integer ``n`` by its loop for integers (``ld->d``, exact for every
    int64), a float one truncated by SciPy."""
    n, x = np.asarray(n), np.asarray(x)
    if n.dtype.kind not in "iub":
        # SciPy's float loop truncates n to a C int (warning when it is not one): nan outside
        # the int range; truncated here, so no warning filter is needed (see _impl)
        t = np.trunc(n)
        ok = (t >= -2.0**31) & (t < 2.0**31)
        return np.where(ok, _impl("expn")(np.where(ok, t, 1.0).astype(n.dtype), x), np.nan)
    with np.errstate(all="ignore"):
        return np.asarray(_scipy().expn(n.astype(np.int64), x.astype(np.float64)))


expn_p = _declare(
    "expn", _expn_impl,
    (_no_derivative("expn", "n", "n is an integer"), _expn_dx),
    _sampler(("int", 0, 5), (0.2, 3.0)),
    "generalized exponential integral E_n(x) = ∫_1^∞ e^(-xt) / t^n dt (SciPy's expn)",
    lambda sp, node, n, x: sp.expint(n, x))

# --------------------------------------------------------------------------- dawsn, spence

_DAWSN_ASYMPTOTIC = 10.0
# dawsn(x) ~ Σ_k (2k-1)!! / (2^(k+1) x^(2k+1)); its derivative -Σ_k (2k+1)!! / (2^(k+1) x^(2k+2))
# (20 terms: the first left out is below 1e-22 of the sum for |x| >= 10)
_DAWSN_D_SERIES = tuple(-math.prod(range(1, 2 * k + 2, 2)) / 2.0 ** (k + 1) for k in range(20))


def _dawsn_dx(x, out):
    far = gt(abs_(x), _DAWSN_ASYMPTOTIC)
    xn = select(far, zeros_like_(x), x)
    near = 1.0 - 2.0 * xn * select(far, zeros_like_(out), out)
    r = 1.0 / select(far, x, _fill(x, 2.0 * _DAWSN_ASYMPTOTIC))
    r2 = r * r
    return select(far, _poly(_DAWSN_D_SERIES, r2) * r2, near)


dawsn_p = _declare(
    "dawsn", _impl("dawsn"), (_dawsn_dx,), _sampler((-3.0, 3.0)),
    "Dawson's integral e^(-x²) ∫_0^x e^(t²) dt (SciPy's dawsn)",
    lambda sp, node, x: sp.sqrt(sp.pi) / 2 * sp.exp(-x * x) * sp.erfi(x))

_SPENCE_NEAR = 0.05
# log(z) / (1 - z) = -log1p(w) / w = -Σ_k (-w)^k / (k + 1), w = z - 1 (|w| < 0.05: 16 terms)
_SPENCE_SERIES = tuple(-((-1.0) ** k) / (k + 1) for k in range(16))


def _spence_dz(z, out):
    w = z - 1.0
    near = lt(abs_(w), _SPENCE_NEAR)
    # at 0 the formula's next order is 1/z + log z / (1 - z)² = inf - inf: log z there, whose
    # derivatives have the signs of the limits (spence''(0) = +inf, spence'''(0) = -inf)
    zero = eq(z, 0.0)
    ws = select(near, w, zeros_like_(w))
    zf = select(logical_or(near, zero), _fill(z, 2.0), z)
    z0 = select(zero, z, ones_like_(z))
    return select(near, _poly(_SPENCE_SERIES, ws),
                  select(zero, log(z0), log(zf) / (1.0 - zf)))


spence_p = _declare(
    "spence", _impl("spence"), (_spence_dz,), _sampler((0.1, 3.0)),
    "Spence's function (dilogarithm) ∫_1^z log t / (1 - t) dt = Li₂(1 - z) (SciPy's spence)",
    lambda sp, node, z: sp.polylog(2, 1 - z))

# --------------------------------------------------------------------------- sici

_SINC_SMALL = 0.1
_SINC_SERIES = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(6))  # in x²


def _si_dx(x, out):
    """``sin x / x``: its series near 0, 0 at ±inf."""
    small = lt(abs_(x), _SINC_SMALL)
    inf = isinf(x)
    xs = select(small, x, zeros_like_(x))
    xf = select(logical_or(small, inf), ones_like_(x), x)
    far = select(inf, zeros_like_(x), sin(xf) / xf)
    return select(small, _poly(_SINC_SERIES, xs * xs), far)


def _ci_dx(x, out):
    """``cos x / x`` (``±inf`` at ``±0``), 0 at ±inf."""
    inf = isinf(x)
    xf = select(inf, ones_like_(x), x)
    return select(inf, zeros_like_(x), cos(xf) / xf)


si_p = _declare(
    "si", _impl("si", lambda sp, x: sp.sici(x)[0]), (_si_dx,), _sampler((-3.0, 3.0)),
    "sine integral ∫_0^x sin t / t dt (SciPy's sici(x)[0])",
    lambda sp, node, x: sp.Si(x))
ci_p = _declare(
    "ci", _impl("ci", lambda sp, x: sp.sici(x)[1]), (_ci_dx,), _sampler((0.3, 3.0)),
    "cosine integral γ + log|x| + ∫_0^|x| (cos t - 1) / t dt (SciPy's sici(x)[1])",
    lambda sp, node, x: sp.Ci(x))

# --------------------------------------------------------------------------- Fresnel

# from here on every float64 is a multiple of 2^8, so x² is one of 4: the phase is 0
_PHASE_EXACT_BELOW = 2.0**60


def _quarter_turns(x):
    """``x² mod 4`` (float64), to the last bit: ``x² = p + e`` exactly (Dekker's product),
    ``p mod 4`` is exact, and ``e`` is below one ulp of ``p``."""
    x = np.abs(np.asarray(x, np.float64))
    big = ~(x < _PHASE_EXACT_BELOW)  # (NaN stays NaN below)
    xs = np.where(big, 0.0, x)
    p = xs * xs
    c = 134217729.0 * xs
    hi = c - (c - xs)
    lo = xs - hi
    e = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo
    t = np.fmod(p, 4.0) + e
    return np.where(big & np.isfinite(x), 0.0, np.where(np.isfinite(x), t, np.nan))


def _fresnel_phase_impl(cosine: bool):
    """``sin`` or ``cos`` of ``π/2 · t``, ``t = x² mod 4``: by the quarter turn ``k = round(t)``
    and the rest ``r = t - k`` (exact), so the zeros at whole quarter turns are exact."""

    def impl(x):
        x = np.asarray(x)
        dt = float_dtype(x.dtype)
        with np.errstate(all="ignore"):
            t = _quarter_turns(x)
            k = np.round(t)
            a = 0.5 * np.pi * (t - k)
            q = np.mod(np.where(np.isnan(k), 0.0, k) + (1.0 if cosine else 0.0), 4.0)
            out = np.where(q == 0, np.sin(a), np.where(q == 1, np.cos(a), np.where(
                q == 2, -np.sin(a), -np.cos(a))))
        return np.asarray(out).astype(dt, copy=False)

    impl.__name__ = "fresnel_cos" if cosine else "fresnel_sin"
    return impl


fresnel_sin_p = _declare(
    "fresnel_sin", _fresnel_phase_impl(False),
    (lambda x, out: (np.pi * x) * bind(fresnel_cos_p, x),), _sampler((-3.0, 3.0)),
    "sin(πx²/2), the phase taken exactly (the derivative of the Fresnel integral S)",
    lambda sp, node, x: sp.sin(sp.pi * x * x / 2))
fresnel_cos_p = _declare(
    "fresnel_cos", _fresnel_phase_impl(True),
    (lambda x, out: (-np.pi * x) * bind(fresnel_sin_p, x),), _sampler((-3.0, 3.0)),
    "cos(πx²/2), the phase taken exactly (the derivative of the Fresnel integral C)",
    lambda sp, node, x: sp.cos(sp.pi * x * x / 2))
fresnel_s_p = _declare(
    "fresnel_s", _impl("fresnel_s", lambda sp, x: sp.fresnel(x)[0]),
    (lambda x, out: bind(fresnel_sin_p, x),), _sampler((-3.0, 3.0)),
    "Fresnel integral S(x) = ∫_0^x sin(πt²/2) dt (SciPy's fresnel(x)[0])",
    lambda sp, node, x: sp.fresnels(x))
fresnel_c_p = _declare(
    "fresnel_c", _impl("fresnel_c", lambda sp, x: sp.fresnel(x)[1]),
    (lambda x, out: bind(fresnel_cos_p, x),), _sampler((-3.0, 3.0)),
    "Fresnel integral C(x) = ∫_0^x cos(πt²/2) dt (SciPy's fresnel(x)[1])",
    lambda sp, node, x: sp.fresnelc(x))

# --------------------------------------------------------------------------- hypergeometric

_PARAMETER = "no closed form in the parameters"

hyp1f1_p = _declare(
    "hyp1f1", _impl("hyp1f1"),
    (_no_derivative("hyp1f1", "a", _PARAMETER), _no_derivative("hyp1f1", "b", _PARAMETER),
     lambda a, b, z, out: (a / b) * bind(hyp1f1_p, a + 1.0, b + 1.0, z)),
    _sampler(("int", -2, 4), ("int", 1, 4), (-2.0, 2.0)),
    "confluent hypergeometric function ₁F₁(a; b; z) (SciPy's hyp1f1)",
    lambda sp, node, a, b, z: sp.hyper([a], [b], z))

hyp2f1_p = _declare(
    "hyp2f1", _impl("hyp2f1"),
    (_no_derivative("hyp2f1", "a", _PARAMETER), _no_derivative("hyp2f1", "b", _PARAMETER),
     _no_derivative("hyp2f1", "c", _PARAMETER),
     lambda a, b, c, z, out: (a * b / c) * bind(hyp2f1_p, a + 1.0, b + 1.0, c + 1.0, z)),
    _sampler(("int", -2, 4), ("int", 1, 4), ("int", 1, 5), (-0.8, 0.8)),
    "Gauss hypergeometric function ₂F₁(a, b; c; z) (SciPy's hyp2f1)",
    lambda sp, node, a, b, c, z: sp.hyper([a, b], [c], z))

# --------------------------------------------------------------------------- Owen's T


def _owens_t_dh(h, a, out):
    inf = isinf(h)
    hs = select(inf, zeros_like_(h), h)
    d = exp(-0.5 * (hs * hs)) * (-0.5 / _SQRT_2PI) * erf(a * hs * (1.0 / math.sqrt(2.0)))
    return select(inf, zeros_like_(d), d)


def _owens_t_da(h, a, out):
    s = 1.0 + a * a
    return exp(-0.5 * (h * h) * s) / ((2.0 * np.pi) * s)


owens_t_p = _declare(
    "owens_t", _impl("owens_t"), (_owens_t_dh, _owens_t_da),
    _sampler((-2.0, 2.0), (-2.0, 2.0)),
    "Owen's T function (1/2π) ∫_0^a e^(-h²(1+t²)/2) / (1 + t²) dt (SciPy's owens_t)",
    NoFormula("Owen's T function has no SymPy counterpart"))

# --------------------------------------------------------------------------- Faddeeva


def _wofz_impl(z):
    z = np.asarray(z)
    dt = np.result_type(z.dtype, np.complex64)
    with np.errstate(all="ignore"):
        return np.asarray(_scipy().wofz(z.astype(dt, copy=False))).astype(dt, copy=False)


def _wofz_sample(rng):
    shape = random_shapes(rng, 1)[0]
    return [rng.uniform(-2.0, 2.0, size=shape) + 1j * rng.uniform(-1.0, 2.0, size=shape)], {}


def _wofz_dz(z, out):
    """``w'(z) = 2i/√π - 2z w(z)`` (holomorphic: the tangent is this times the input's)."""
    return (2j / _SQRT_PI) - 2.0 * z * out


wofz_p = Primitive(
    "wofz", _wofz_impl, elementwise_shape("wofz", lambda *d, **p: np.result_type(*d, np.complex64)),
    dtype=lambda *d, **p: np.result_type(*d, np.complex64),
    vjp=lambda ct, out, z: (ct * _wofz_dz(z, out),),
    jvp=lambda ts, out, z: ts[0] * _wofz_dz(z, out),
    batch=elementwise_batch(lambda: wofz_p), sample=_wofz_sample,
    doc="Faddeeva function w(z) = e^(-z²) erfc(-iz) of complex z (SciPy's wofz)",
    sympy=lambda sp, node, z: sp.exp(-z * z) * sp.erfc(-sp.I * z), taylor=BY_JVP)

# --------------------------------------------------------------------------- spherical harmonics


def _sph_impl(n, m, theta, phi):
    with np.errstate(all="ignore"):
        out = _scipy().sph_harm_y(np.asarray(n, np.int64), np.asarray(m, np.int64),
                                  np.asarray(theta, np.float64), np.asarray(phi, np.float64))
    return np.asarray(out, np.complex128)


def _sph_dtheta(n, m, theta, phi, out):
    """``∂θ Y_n^m = (c₊ e^(-iφ) Y_n^(m+1) - c₋ e^(iφ) Y_n^(m-1)) / 2`` (the ladder operators,
    no ``cot θ``: finite at the poles too), ``c₊ = √((n-m)(n+m+1))``, ``c₋ = √((n+m)(n-m+1))``;
    SciPy's ``Y`` is 0 for ``|m| > n``, where the ``c`` are 0 too."""
    nf, mf = 1.0 * n, 1.0 * m
    cp = sqrt(maximum((nf - mf) * (nf + mf + 1.0), 0.0 * nf))
    cm = sqrt(maximum((nf + mf) * (nf - mf + 1.0), 0.0 * nf))
    up = bind(sph_harm_y_p, n, m + 1, theta, phi)
    down = bind(sph_harm_y_p, n, m - 1, theta, phi)
    return 0.5 * (cp * exp(-1j * phi) * up - cm * exp(1j * phi) * down)


def _sph_sample(rng):
    shape = random_shapes(rng, 1)[0]
    n = rng.integers(0, 4, size=shape)
    return [n, rng.integers(-2, 3, size=shape), rng.uniform(0.2, 2.9, size=shape),
            rng.uniform(-3.0, 3.0, size=shape)], {}


sph_harm_y_p = Primitive(
    "sph_harm_y", _sph_impl, elementwise_shape("sph_harm_y", lambda *d, **p: np.dtype(np.complex128)),
    dtype=lambda *d, **p: np.dtype(np.complex128),
    vjp=lambda ct, out, n, m, t, p: (None, None, ct * _sph_dtheta(n, m, t, p, out),
                                     ct * (1j * m) * out),
    jvp=lambda ts, out, n, m, t, p: _sum_present(
        [None if ts[2] is None else ts[2] * _sph_dtheta(n, m, t, p, out),
         None if ts[3] is None else ts[3] * ((1j * m) * out)]),
    batch=elementwise_batch(lambda: sph_harm_y_p), sample=_sph_sample,
    doc="spherical harmonic Y_n^m(θ, φ) of integer degree n and order m, polar angle θ, "
        "azimuth φ (SciPy's sph_harm_y)",
    sympy=NoFormula("SciPy's spherical harmonic: no SymPy rule written"), taylor=BY_JVP)


def _sum_present(terms):
    terms = [t for t in terms if t is not None]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


PRIMITIVES = (zeta_p, zeta_deriv_p, riemann_zeta_p, riemann_zeta_deriv_p, boxcox_p, boxcox1p_p, expn_p, dawsn_p, spence_p, si_p,
              ci_p, fresnel_sin_p, fresnel_cos_p, fresnel_s_p, fresnel_c_p, hyp1f1_p,
              hyp2f1_p, owens_t_p, wofz_p, sph_harm_y_p)

__all__ = [p.name + "_p" for p in PRIMITIVES] + ["PRIMITIVES"]


def zeta(x, q=None):
    return bind(riemann_zeta_p, x) if q is None else bind(zeta_p, x, q)


def boxcox(x, lmbda):
    return bind(boxcox_p, x, lmbda)


def boxcox1p(x, lmbda):
    return bind(boxcox1p_p, x, lmbda)


def expn(n, x):
    return bind(expn_p, n, x)


def dawsn(x):
    return bind(dawsn_p, x)


def spence(z):
    return bind(spence_p, z)


def sici(x):
    return bind(si_p, x), bind(ci_p, x)


def fresnel(x):
    return bind(fresnel_s_p, x), bind(fresnel_c_p, x)


def hyp1f1(a, b, z):
    return bind(hyp1f1_p, a, b, z)


def hyp2f1(a, b, c, z):
    return bind(hyp2f1_p, a, b, c, z)


def owens_t(h, a):
    return bind(owens_t_p, h, a)


def wofz(z):
    return bind(wofz_p, z)


def sph_harm_y(n, m, theta, phi):
    return bind(sph_harm_y_p, n, m, theta, phi)


__all__ += ["zeta", "boxcox", "boxcox1p", "expn", "dawsn", "spence", "sici", "fresnel",
            "hyp1f1", "hyp2f1", "owens_t", "wofz", "sph_harm_y"]
