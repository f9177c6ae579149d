"""Bessel-function and exponential-integral primitives: ``bessel`` (the ``J``, ``Y``, ``I``,
``K`` families and the exponentially scaled ``I``, ``K``, of a static real order ``v``),
``erfcx``, ``expi`` and ``exp1``; and SciPy's ratios of Γ functions ``binom`` and ``poch``.

Values come from SciPy (these primitives need it installed; there is no NumPy fallback).
Each derivative is a member of the same family, so every order is available:

* ``J_v' = (J_{v-1} - J_{v+1}) / 2``, ``Y_v`` alike, ``I_v' = (I_{v-1} + I_{v+1}) / 2``,
  ``K_v' = -(K_{v-1} + K_{v+1}) / 2`` (exact at ``x = 0`` too, where ``I_1' = I_0 - I_1/x``
  would be ``0/0``); order 0 uses ``J_{-1} = -J_1`` and alike, so ``J_0' = -J_1`` exactly;
* the scaled ``ie = I_v e^{-|x|}`` adds ``-sign(x) ie`` (0 at ``x = 0``, as JAX's ``i0e``),
  ``ke = K_v e^{x}`` adds ``ke``; from ``|x| = 50`` on both are their asymptotic series
  (the differences cancel there);
* ``erfcx' = 2x erfcx - 2/√π`` (a continued fraction from 2 on, its asymptotic series
  from 10), ``expi' = e^x / x``,
  ``exp1' = -e^{-x} / x``;
* ``binom(n, k) = Γ(n+1) / (Γ(k+1) Γ(n-k+1))`` and ``poch(a, m) = Γ(a+m) / Γ(a)`` have
  the value times a difference of digammas as partials; ``ψ(x + h) - ψ(x)`` is summed by
  its asymptotic series for large ``x`` (``binom(9.2e18, 1)' = 1``, where a difference of
  two digammas near 43.7 would be 0).

A primitive's value has its (float) input's dtype, as SciPy's float32 loops do.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import bind
from ..core.primitive import (
    NONZERO,
    POSITIVE,
    REALS,
    Primitive,
    elementwise_shape,
    float_dtype,
    random_shapes,
)
from ..core.taylor import BY_JVP
from ..errors import WireError
from .batching import elementwise_batch
from .elementwise import (
    abs_,
    eq,
    exp,
    floor,
    gt,
    isinf,
    le,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    lt,
    mod,
    nan_where_nan,
    ne,
    select,
    sign,
    sqrt,
    stop_gradient,
    sub,
)
from .layout import ones_like_, zeros_like_
from .special import gammaln, polygamma, unary
from .optional import module as _optional_module

# values from SciPy only: Bessel functions have no NumPy implementation
_sp = _optional_module("scipy.special")

KINDS = ("j", "y", "i", "ie", "k", "ke")
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _scipy():
    if _sp is None:  # pragma: no cover - exercised only without scipy
        raise WireError("Bessel functions, erfcx, expi and exp1 need SciPy: pip install scipy")
    return _sp


def _float(x):
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


# SciPy's routines of each family: dedicated ones for orders 0 and 1 (and integer orders of
# Y and K), and the general one of a real order. They differ in the last digits (by up to
# 1e-11 near zeros), so a node holds the routine its user named; derivatives use the first
# that fits their order.
_BY_ORDER = {
    "j": ("j0", "j1", None, "jv"),
    "y": ("y0", "y1", "yn", "yv"),
    "i": ("i0", "i1", None, "iv"),
    "ie": ("i0e", "i1e", None, "ive"),
    "k": ("k0", "k1", "kn", "kv"),
    "ke": ("k0e", "k1e", None, "kve"),
}
ROUTINES = {name: kind for kind, names in _BY_ORDER.items() for name in names if name}
_WITH_ORDER = {"jv", "yv", "iv", "ive", "kv", "kve", "yn", "kn"}


def routine_for(kind: str, v: float) -> str:
    """SciPy's routine for order ``v`` of family ``kind`` (the dedicated one where there is)."""
    zero, one, integer, general = _BY_ORDER[kind]
    if v == 0.0:
        return zero
    if v == 1.0:
        return one
    if integer is not None and v == int(v) and v > 1:
        return integer
    return general


def _bessel_impl(x, *, routine, v):
    sp = _scipy()
    x = _float(x)
    with np.errstate(all="ignore"):
        if routine in ("yn", "kn"):
            out = getattr(sp, routine)(int(v), x)
        elif routine in _WITH_ORDER:
            out = getattr(sp, routine)(np.asarray(v, x.dtype), x)
        else:
            out = getattr(sp, routine)(x)
    out = np.asarray(out)
    if routine in ("iv", "ive"):
        out = _small_i(out, x, v)
    return out.astype(x.dtype, copy=False) if out.dtype != x.dtype else out


# Below this |x| SciPy's iv and ive lose the value (iv(1, 1e-305) is 0, not 5e-306; NaN
# from 1e-308 on, where i0, i1 are right): the series' first term is exact there.
_SMALL_I = 1e-150


def _small_i(out, x, v):
    """``I_v(x)`` (= ``I_v e^-|x|``) for ``0 < |x| < 1e-150``: ``(x/2)^|v| / Γ(|v| + 1)``
    (``|v|`` for an integer order, ``I_-n = I_n``), computed in float64."""
    small = (np.abs(x) < _SMALL_I) & (x != 0)
    if not small.any():
        return out
    order = abs(v) if v == int(v) else v
    xs = np.where(small, x, 1.0).astype(np.float64)
    with np.errstate(all="ignore"):
        # (x^v / 2^v: x / 2 rounds the smallest subnormal to 0)
        lead = np.power(xs, order) * (2.0 ** -order * float(_sp.rgamma(order + 1.0)))
    return np.where(small, lead, out)


def bessel(x, kind: str, v: float, routine: str | None = None):
    """Order ``v`` of family ``kind`` at ``x``, by SciPy's ``routine`` (default: the
    dedicated one for that order)."""
    v = float(v)
    return bind(bessel_p, x, routine=routine or routine_for(kind, v), v=v)


def _order_minus_one(x, kind, v):
    """The family member of order ``v - 1``; at ``v = 0`` by the reflection to order 1
    (``J_{-1} = -J_1``, ``Y_{-1} = -Y_1``, ``I_{-1} = I_1``, ``K_{-1} = K_1``)."""
    if v == 0.0:
        below = bessel(x, kind, 1.0)
        return -below if kind in ("j", "y") else below
    return bessel(x, kind, v - 1.0)


def _dominant_near_zero(x, kind, v, combine):
    """``combine(x)`` (the recurrence), but near 0 the dominant neighbour alone (order
    ``v + 1`` for ``v > 0``, else ``v - 1``), with the recurrence's sign and share: ``Y`` and
    ``K e^x`` diverge there, and the recurrence's terms overflow with opposite signs in the
    next orders (``Y_{v-1} - Y_{v+1}`` is ``inf - inf``: the third derivatives of y0 at
    5e-324 and of k0e at 1e-300, the second of k1e at 1e-300 were NaN). The other terms are
    below ``x^min(2|v|, 1)`` of it, so from ``x < 10^(-17 / min(2|v|, 1))`` on they are
    below the rounding. Each side sees its own points only (stand-in 1)."""
    up = v > 0.0
    big_one = (lambda z: bessel(z, kind, v + 1.0)) if up else (
        lambda z: _order_minus_one(z, kind, v))
    edge = 1e-20 if v == 0.0 else 10.0 ** max(-17.0 / min(2.0 * abs(v), 1.0), -300.0)
    xs = stop_gradient(x)
    near = logical_and(gt(xs, 0.0), lt(xs, edge))
    xn, xf = select(near, ones_like_(x), x), select(near, x, ones_like_(x))
    # (at v = 0 both neighbours are order 1: K_{-1} = K_1, the whole of it)
    share = 1.0 if v == 0.0 else 0.5
    sign_of = {("y", True): -1.0, ("y", False): 1.0, ("ke", True): -1.0, ("ke", False): -1.0}
    return select(near, big_one(xf) * (share * sign_of[(kind, up)]), combine(xn))


def _bessel_deriv(x, out, routine, v):
    kind = ROUTINES[routine]
    if kind in ("ie", "ke"):
        return _scaled_deriv(x, out, kind, v)
    # (Y_0' = -Y_1 exactly; a negative order is J-like at 0 for half-integers: Y_-3/2 = -J_3/2)
    if kind == "y" and v > 0.0:
        return _dominant_near_zero(
            x, kind, v, lambda z: 0.5 * (_order_minus_one(z, kind, v) - bessel(z, kind, v + 1.0)))
    below, above = _order_minus_one(x, kind, v), bessel(x, kind, v + 1.0)
    if kind in ("j", "y"):
        return 0.5 * (below - above)
    if kind == "i":
        return 0.5 * (below + above)
    return -0.5 * (below + above)


# From here on the scaled families' derivatives are their asymptotic series in 1/x (20 terms:
# the first left out is below 1e-23 of the sum at 50). The differences of the family,
# (I_{v-1} + I_{v+1})/2 - I_v, cancel ever more digits as x grows (i0e''(1e8) was wrong in the
# first digit, i1e'(1e10) NaN: SciPy's ive and kve of order 2 are NaN from 2e9 on).
_SCALED_ASYMPTOTIC = 50.0
_SCALED_TERMS = 20


def _scaled_series(kind, v):
    """Coefficients ``c_k`` of the derivative ``Σ c_k x^-(k + 3/2)`` of ``ie = I_v e^-x`` or
    ``ke = K_v e^x`` for large x: ``I_v e^-x ~ (2πx)^-1/2 Σ (-1)^k a_k x^-k`` and
    ``K_v e^x ~ (π/2x)^1/2 Σ a_k x^-k``, ``a_k = Π_{j<=k} (4v² - (2j-1)²) / (k! 8^k)``."""
    out, a = [], 1.0
    for k in range(_SCALED_TERMS):
        if k:
            a *= (4.0 * v * v - (2.0 * k - 1.0) ** 2) / (8.0 * k)
        term = ((-1.0) ** k / math.sqrt(2.0 * math.pi) if kind == "ie"
                else math.sqrt(math.pi / 2.0)) * a
        out.append(-(k + 0.5) * term)
    return out


def _scaled_deriv(x, out, kind, v):
    # ie of an integer order is even or odd: ie'(-x) = (-1)^(v+1) ie'(x)
    mirrored = kind == "ie" and v == int(v)
    far = gt(abs_(x) if mirrored else x, _SCALED_ASYMPTOTIC)
    # each branch on an operand safe where the other is taken (no NaN, no 1/0)
    xn = select(far, ones_like_(x), x)
    below, above = _order_minus_one(xn, kind, v), bessel(xn, kind, v + 1.0)
    if kind == "ie":  # 0 at ±inf, its limit (SciPy's ive of order 2 and up is NaN there)
        near = select(isinf(x), zeros_like_(out), 0.5 * (below + above) - sign(x) * out)
    else:  # ke = K e^x: 0 at +inf, its limit (as for ie)
        slope = _dominant_near_zero(xn, kind, v, lambda z: bessel(z, kind, v) - 0.5 * (
            _order_minus_one(z, kind, v) + bessel(z, kind, v + 1.0)))
        near = select(eq(x, np.inf), zeros_like_(out), slope)
    xf = select(far, x, ones_like_(x))
    # s = x^-1/2 by a division (its derivatives at x = inf are 0, not 0 * (0.5/sqrt(0)))
    s = 1.0 / sqrt(abs_(xf) if mirrored else xf)
    r = s * s
    coefs = _scaled_series(kind, v)
    acc = coefs[-1] * ones_like_(x)
    for c in reversed(coefs[:-1]):
        acc = acc * r + c
    asymptotic = acc * (r * s)
    if mirrored and int(v) % 2 == 0:
        asymptotic = sign(xf) * asymptotic
    return select(far, asymptotic, near)


def _bessel_sample(rng):
    shape = random_shapes(rng, 1)[0]
    kind = KINDS[int(rng.integers(0, len(KINDS)))]
    v = float((0.0, 1.0, 2.0, 0.5, 2.5)[int(rng.integers(0, 5))])
    routine = routine_for(kind, v) if rng.integers(0, 2) else _BY_ORDER[kind][3]
    return [rng.uniform(0.3, 3.0, size=shape)], {"routine": routine, "v": v}


def _bessel_sympy(sp, node, x):
    kind, v = ROUTINES[node.params["routine"]], sp.nsimplify(node.params["v"])
    base = {"j": sp.besselj, "y": sp.bessely, "i": sp.besseli, "ie": sp.besseli,
            "k": sp.besselk, "ke": sp.besselk}[kind](v, x)
    if kind == "ie":
        return base * sp.exp(-sp.Abs(x))
    if kind == "ke":
        return base * sp.exp(x)
    return base


bessel_p = Primitive(
    "bessel",
    _bessel_impl,
    elementwise_shape("bessel", float_dtype),
    dtype=float_dtype,
    vjp=lambda ct, out, x, *, routine, v: (ct * _bessel_deriv(x, out, routine, v),),
    jvp=lambda ts, out, x, *, routine, v: ts[0] * _bessel_deriv(x, out, routine, v),
    batch=elementwise_batch(lambda: bessel_p),
    sample=_bessel_sample,
    doc="Bessel function of the first (j) or second (y) kind, modified (i, k), or "
        "exponentially scaled modified (ie = i e^-|x|, ke = k e^x), of static real order v, "
        "by the SciPy routine named",
    sympy=_bessel_sympy,
    taylor=BY_JVP,  # each order asks the family for one order less
)


def _sp_unary(name):
    def impl(x):
        sp = _scipy()
        with np.errstate(all="ignore"):
            return getattr(sp, name)(_float(x))

    impl.__name__ = name
    return impl


# From here on erfcx' is its asymptotic series in 1/x (20 terms: the first left out is below
# 1e-20 of the sum for x >= 10, and the series differentiates termwise as exactly); below
# it, 2x erfcx - 2/√π, which cancels ever more digits as x grows (erfcx'(1e6) was wrong in
# the 5th digit, erfcx'(1e8) was 0, erfcx''(1e6) had the wrong sign).
_ERFCX_ASYMPTOTIC = 10.0
# erfcx'(x) = -(1/√π) Σ_n (-1)^n (2n+1)!! / 2^n x^-(2n+2)
_ERFCX_D_SERIES = tuple((-1.0) ** (n + 1) * math.prod(range(1, 2 * n + 2, 2)) / 2.0 ** n
                        / math.sqrt(math.pi) for n in range(20))


# From 2 to 10, erfcx' = -2 F erfcx with F = K - x the tail of Laplace's continued
# fraction 1/(√π erfcx(x)) = K = x + (1/2)/(x + 1/(x + (3/2)/(x + …))): all its terms are
# positive, so F and its derivatives do not cancel (64 levels: below 2e-16 from 2 on).
# 2x erfcx - 2/√π cancelled about 2x² (the third derivative at 9 was 5e-11 off); below 2
# that is less than 13.
_ERFCX_CF = 2.0
_ERFCX_CF_DEPTH = 64


def _erfcx_deriv(x, out):
    big = x >= _ERFCX_ASYMPTOTIC
    mid = logical_and(x >= _ERFCX_CF, logical_not(big))
    # each branch on an operand safe where the other is taken (no 1/0, no inf * 0)
    r = 1.0 / select(big, x, ones_like_(x))
    r2 = r * r
    acc = _ERFCX_D_SERIES[-1] * ones_like_(x)
    for c in reversed(_ERFCX_D_SERIES[:-1]):
        acc = acc * r2 + c
    xm = select(mid, x, 5.0 * ones_like_(x))
    tail = zeros_like_(x)
    for k in range(_ERFCX_CF_DEPTH, 0, -1):
        tail = (0.5 * k) / (xm + tail)
    cf = -2.0 * tail * select(mid, out, ones_like_(out))
    far = logical_or(big, mid)
    xs = select(far, zeros_like_(x), x)
    near = 2.0 * xs * select(far, zeros_like_(out), out) - _TWO_OVER_SQRT_PI
    return select(big, acc * r2, select(mid, cf, near))


def _expi_deriv(x, out):
    """``expi' = e^x / x``; at ``x = inf`` ``e^x``, whose derivatives are the limits inf
    (``e^x / x`` was ``inf / inf``: ``expi'(inf)`` was NaN). Each branch sees a stand-in
    where unused (``e^x`` of a finite ``x`` past 709 is inf, times a zero cotangent NaN)."""
    top = eq(x, np.inf)
    xs = select(top, ones_like_(x), x)
    # above 700 e^(x/2) · (e^(x/2) / x): finite up to x = 716 as the truth (e^x alone
    # overflows at 709.8: expi'(712) was inf, the truth 2.3e306); below, e^x / x, whose
    # higher derivatives at tiny x are the signed infinities (not inf - inf)
    big = gt(xs, 700.0)
    xb, xn = select(big, xs, 710.0 * ones_like_(x)), select(big, ones_like_(x), xs)
    half = exp(0.5 * xb)
    return select(top, exp(select(top, x, zeros_like_(x))),
                  select(big, half * (half / xb), exp(xn) / xn))


# fmt: off
erfcx_p = unary("erfcx", _sp_unary("erfcx"), _erfcx_deriv, domain=REALS,
                doc="scaled complementary error function exp(x²) erfc(x)",
                sympy=lambda sp, n, x: sp.exp(x * x) * sp.erfc(x))
expi_p  = unary("expi", _sp_unary("expi"), _expi_deriv, domain=NONZERO,
                doc="exponential integral Ei(x)", sympy="Ei")
# (NaN below 0 with the value: -exp(-x)/x is finite there)
exp1_p  = unary("exp1", _sp_unary("exp1"), lambda x, out: -exp(-x) / x * nan_where_nan(out), domain=POSITIVE,
                doc="exponential integral E1(x) (real: x > 0)",
                sympy=lambda sp, n, x: -sp.Ei(-x))  # E1(x) = -Ei(-x) for x > 0
# fmt: on

# --------------------------------------------------------------------------- binom, poch

_ASYMPTOTIC = 20.0  # from here on ψ's series to 1/x¹⁰ is exact to rounding (1/x¹² left)
_TAYLOR_STEP, _TAYLOR_TERMS = 1e-3, 6  # below: the step's Taylor series, (1e-3)⁶ left


def _digamma_step(x, h, y=None):
    """``ψ(x + h) - ψ(x)`` for the step ``h`` given apart from ``x`` (so no rounding of
    ``x + h`` can cancel it). Where ``x`` and ``y = x + h`` are above 20, the difference of
    ψ's asymptotic series, each term's difference written without cancellation:
    ``log1p(h/x) + h / (2xy) + d (1/12 - (u+v)/120 + …)`` with ``u = 1/x²``, ``v = 1/y²``,
    ``d = u - v = h (x + y) u v``; below, for a step under 1e-3 of the distance from ``x`` to
    ψ's nearest pole, the step's Taylor series ``Σ ψ⁽ⁿ⁾(x) hⁿ / n!`` (six terms), else
    ``ψ(y) - ψ(x)``, with ``y`` as given when the caller has it exactly (``x + h`` can round:
    ``k + 1`` is ``k`` at ``1e17``)."""
    y = x + h if y is None else y
    big = (x > _ASYMPTOTIC) & (y > _ASYMPTOTIC)
    xb, hb = select(big, x, 2.0 * _ASYMPTOTIC), select(big, h, 1.0)
    yb = xb + hb
    u, v = 1.0 / (xb * xb), 1.0 / (yb * yb)
    d = hb * (xb + yb) * u * v
    uu, uv, vv = u * u, u * v, v * v
    bracket = (1.0 / 12.0 - (u + v) / 120.0 + (uu + uv + vv) / 252.0
               - (u + v) * (uu + vv) / 240.0 + (uu * uu + uu * uv + uv * uv + uv * vv + vv * vv)
               / 132.0)
    series = log1p(hb / xb) + hb / (2.0 * xb * yb) + d * bracket
    xs, ys = select(big, 1.0, x), select(big, 2.0, y)
    # a step far inside the disc around x that holds no pole of ψ: its Taylor series, whose
    # terms ψ⁽ⁿ⁾(x) hⁿ / n! fall by |h| / r (r the distance to the pole), where the difference
    # ψ(y) - ψ(x) would cancel to |ψ(x)| eps / |h ψ'(x)|
    frac = x - floor(x)
    r = select(gt(x, 0.0), x, select(lt(frac, 0.5), frac, 1.0 - frac))
    near = logical_and(logical_not(big), lt(abs_(h), _TAYLOR_STEP * r))
    xt, ht = select(near, x, 1.0 + 0.0 * x), select(near, h, 0.0 * h)
    taylor, power = 0.0 * ht, 1.0 + 0.0 * ht
    for n in range(1, _TAYLOR_TERMS + 1):
        power = power * ht / float(n)
        taylor = taylor + polygamma(xt, n) * power
    far = select(near, 0.0 * y, polygamma(ys, 0) - polygamma(xs, 0))
    return select(big, series, select(near, taylor, far))


def _binary_impl(name):
    def impl(a, b):
        sp = _scipy()
        dt = float_dtype(np.asarray(a).dtype, np.asarray(b).dtype)
        with np.errstate(all="ignore"):
            out = getattr(sp, name)(np.asarray(a, dt), np.asarray(b, dt))
        return np.asarray(out).astype(dt, copy=False)

    impl.__name__ = name
    return impl


def _pole(x):
    """``x`` is 0, -1, -2, … (a pole of Γ)."""
    return logical_and(le(x, 0.0), eq(floor(x), x))


def _parity_sign(j):
    """``(-1)^j`` of an integer-valued ``j``."""
    return select(ne(mod(j, 2.0), 0.0), -1.0 + 0.0 * j, 1.0 + 0.0 * j)


def _first_order_only(v, x, at):
    """``v``, whose derivatives are NaN where ``at``: ``v`` is a first derivative's value
    there by a formula that holds on those points only (not on a neighbourhood), so its own
    derivative would be a plausible wrong number. ``sqrt(u²)`` at ``u = x - x = 0`` has the
    value 0 and the derivative ``0 · inf``; elsewhere ``u = 1``."""
    u = select(at, sub(x, stop_gradient(x)), 1.0 + 0.0 * x)
    bump = sqrt(u * u)
    return v * (1.0 + select(at, bump, 0.0 * bump))


def _binom_partials(n, k, out):
    """``∂n = B (ψ(n+1) - ψ(n-k+1))``, ``∂k = B (ψ(n-k+1) - ψ(k+1))``. At the zeros of
    ``B`` (``n-k+1`` or ``k+1`` a pole of Γ, ``n+1`` not) those are ``0 · inf``; there
    ``∂n = -∂k = (-1)^j / ((k-n) binom(k, k-n))`` (``j = k-n-1``; ``n-k+1`` a pole) and
    ``∂n = 0``, ``∂k = (-1)^i / (-k binom(n-k, -k))`` (``i = -k-1``; ``k+1`` a pole), the
    derivatives of ``Γ(n+1) / (Γ(k+1) Γ(n-k+1))`` with ``1/Γ`` entire."""
    a_pole, b_pole, c_pole = _pole(n + 1.0), _pole(k + 1.0), _pole(n - k + 1.0)
    regular_a = logical_not(a_pole)
    at_c = logical_and(logical_and(c_pole, regular_a), logical_not(b_pole))
    at_b = logical_and(logical_and(b_pole, regular_a), logical_not(c_pole))
    # the regular formulas see 0.5 / 1.5 at those points (no 0 · inf to leak backwards)
    ns = select(logical_or(at_c, at_b), 0.5 + 0.0 * n, n)
    ks = select(at_b, 0.5 + 0.0 * k, select(at_c, 0.0 * k, k))
    outs = select(logical_or(at_c, at_b), 0.0 * out, out)

    def dn():
        regular = outs * _digamma_step(ns - ks + 1.0, ks, ns + 1.0)
        step = select(at_c, k - n, 1.0 + 0.0 * n)
        zero = _parity_sign(step - 1.0) / (step * bind(binom_p, select(at_c, k, 1.0 + 0.0 * k),
                                                        step))
        return select(at_c, _first_order_only(zero, n, at_c), regular)

    def dk():
        regular = outs * _digamma_step(ks + 1.0, ns - 2.0 * ks, ns - ks + 1.0)
        step_c = select(at_c, k - n, 1.0 + 0.0 * n)
        zero_c = -_parity_sign(step_c - 1.0) / (
            step_c * bind(binom_p, select(at_c, k, 1.0 + 0.0 * k), step_c))
        step_b = select(at_b, -k, 1.0 + 0.0 * k)
        zero_b = _parity_sign(step_b - 1.0) / (
            step_b * bind(binom_p, select(at_b, n - k, 1.0 + 0.0 * n), step_b))
        out_k = select(at_c, _first_order_only(zero_c, k, at_c), regular)
        return select(at_b, _first_order_only(zero_b, k, at_b), out_k)

    return dn, dk


def _poch_partials(a, m, out):
    """``∂a = P (ψ(a+m) - ψ(a))``, ``∂m = P ψ(a+m)``. Where ``a = -i`` is a pole of Γ and
    ``a + m`` is not, ``P = 0`` and ``∂a = (-1)^i i! Γ(a+m)`` (``1/Γ`` is entire), ``∂m = 0``.
    Where both are poles, ``m`` is an integer and ``P(·, m)`` a rational function of ``a``:
    ``∂a = P (ψ(1-a-m) - ψ(1-a))`` (the reflection ``ψ(x) = ψ(1-x) - π cot(πx)``, whose
    cotangents cancel over an integer step); ``P(a, ·)`` jumps there, so ``∂m`` is NaN."""
    a_pole, s_pole = _pole(a), _pole(a + m)
    at_a = logical_and(a_pole, logical_not(s_pole))
    both = logical_and(a_pole, s_pole)
    safe = logical_or(at_a, both)
    as_ = select(safe, 0.5 + 0.0 * a, a)
    ms = select(safe, 0.5 + 0.0 * m, m)
    outs = select(safe, 0.0 * out, out)

    def da():
        regular = outs * _digamma_step(as_, ms)
        s = select(at_a, a + m, 0.5 + 0.0 * a)
        i = select(at_a, -a, 0.0 * a)
        # Γ(s) i! with the sign of Γ(s): negative where s < 0 and floor(s) is odd
        sign_s = select(lt(s, 0.0), _parity_sign(floor(s)), 1.0 + 0.0 * s)
        zero = _parity_sign(i) * sign_s * exp(gammaln(s) + gammaln(i + 1.0))
        ab, mb = select(both, a, 0.5 + 0.0 * a), select(both, m, 0.0 * m)
        rational = select(both, out, 0.0 * out) * _digamma_step(1.0 - ab, -mb, 1.0 - ab - mb)
        partial = select(at_a, _first_order_only(zero, a, at_a), regular)
        return select(both, _first_order_only(rational, m, both), partial)

    def dm():
        return select(both, np.nan + 0.0 * out, outs * polygamma(as_ + ms, 0))

    return da, dm


def _gamma_ratio(name, partials, sample, doc, sympy):
    def jvp(ts, out, x, y):
        terms = [t * p() for t, p in zip(ts, partials(x, y, out)) if t is not None]
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    def vjp(ct, out, x, y):
        return tuple(ct * p() for p in partials(x, y, out))

    prim = Primitive(
        name, _binary_impl(name), elementwise_shape(name, float_dtype), dtype=float_dtype,
        jvp=jvp, vjp=vjp, batch=elementwise_batch(lambda: prim), sample=sample, doc=doc,
        sympy=sympy, taylor=BY_JVP,
    )
    return prim


def _ratio_sample(lows_highs):
    def sample(rng):
        shape = random_shapes(rng, 1)[0]
        return [rng.uniform(lo, hi, size=shape) for lo, hi in lows_highs], {}

    return sample


binom_p = _gamma_ratio(
    "binom", _binom_partials, _ratio_sample([(2.0, 6.0), (0.3, 1.8)]),
    "binomial coefficient Γ(n+1) / (Γ(k+1) Γ(n-k+1)) of real n, k (SciPy's binom)",
    lambda sp, node, n, k: sp.gamma(n + 1) / (sp.gamma(k + 1) * sp.gamma(n - k + 1)))
poch_p = _gamma_ratio(
    "poch", _poch_partials, _ratio_sample([(0.3, 4.0), (-0.2, 2.0)]),
    "Pochhammer symbol (rising factorial) Γ(a+m) / Γ(a) (SciPy's poch)",
    lambda sp, node, a, m: sp.gamma(a + m) / sp.gamma(a))


def binom(n, k):
    return bind(binom_p, n, k)


def poch(a, m):
    return bind(poch_p, a, m)


UNARY = (bessel_p, erfcx_p, expi_p, exp1_p)
BINARY = (binom_p, poch_p)
PRIMITIVES = (*UNARY, *BINARY)


def erfcx(x):
    return bind(erfcx_p, x)


def expi(x):
    return bind(expi_p, x)


def exp1(x):
    return bind(exp1_p, x)


__all__ = ["KINDS", "ROUTINES", "routine_for", "PRIMITIVES", "UNARY", "BINARY", "bessel", "bessel_p", "erfcx", "exp1", "expi",
           "binom", "binom_p", "poch", "poch_p"]
