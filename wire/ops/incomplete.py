"""The regularised incomplete gamma and beta functions as primitives, with derivatives of
every order in every argument.

* ``gammainc(a, x) = P(a, x)``, ``gammaincc(a, x) = Q(a, x) = 1 - P``, ``betainc(a, b, x) =
  I_x(a, b)``: values from SciPy when it is installed (else from the algorithm below).
* ``gammainc_deriv(a, x; n) = ∂ⁿP/∂aⁿ`` (n ≥ 1) and ``betainc_deriv(a, b, x; na, nb) =
  ∂^na_a ∂^nb_b I_x(a, b)`` (na + nb ≥ 1): the derivatives in the shape parameters, which
  have no closed form.

Derivatives in ``x`` are closed forms (the densities ``x^(a-1) e^-x / Γ(a)`` and
``x^(a-1) (1-x)^(b-1) / B(a, b)``, and their shape derivatives by Faà di Bruno's recursion),
built from wire's own operations. Derivatives in the shape parameters bind the ``*_deriv``
family one order higher, so every order exists and the family is closed under its rules.

The shape derivatives are computed in ``incomplete_series.py``, by evaluating the classical
series and continued fractions in truncated Taylor arithmetic.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import bind
from ..core.formula import NoFormula
from ..core.primitive import Primitive, elementwise_shape, float_dtype, random_shapes
from .batching import elementwise_batch
from .elementwise import eq, exp, gt, log, log1p, select
from .layout import full_like_
from .incomplete_series import betainc_taylor, gammainc_taylor
from .special import gammaln, polygamma

try:  # SciPy is optional: its values are the reference when installed
    from scipy import special as _sp
except ImportError:  # pragma: no cover - exercised only without scipy
    _sp = None


# --------------------------------------------------------------------------- NumPy impls


def _out_dtype(*xs):
    return float_dtype(*[np.asarray(v).dtype for v in xs])


def _gammainc(a, x):
    dt = _out_dtype(a, x)
    if _sp is not None:
        return np.asarray(_sp.gammainc(a, x)).astype(dt)
    return gammainc_taylor(a, x, 0)[0].astype(dt)


def _gammaincc(a, x):
    dt = _out_dtype(a, x)
    if _sp is not None:
        return np.asarray(_sp.gammaincc(a, x)).astype(dt)
    return (1.0 - gammainc_taylor(a, x, 0)[0]).astype(dt)


def _betainc(a, b, x):
    dt = _out_dtype(a, b, x)
    if _sp is not None:
        return np.asarray(_sp.betainc(a, b, x)).astype(dt)
    return betainc_taylor(a, b, x, 0, 0)[0, 0].astype(dt)


def _gammainc_deriv(a, x, *, n):
    return (gammainc_taylor(a, x, n)[n] * math.factorial(n)).astype(_out_dtype(a, x))


def _betainc_deriv(a, b, x, *, na, nb):
    c = betainc_taylor(a, b, x, na, nb)[na, nb]
    return (c * (math.factorial(na) * math.factorial(nb))).astype(_out_dtype(a, b, x))


# --------------------------------------------------------------------------- rules (wire ops)


def _bell(h, n0: int, n1: int):
    """``E[i][j] = e^-h ∂ⁱ_a ∂ʲ_b e^h`` from ``h[p][q] = ∂ᵖ_a ∂^q_b h`` (Leibniz on ∂e^h = e^h ∂h)."""
    E = [[None] * (n1 + 1) for _ in range(n0 + 1)]
    E[0][0] = 1.0
    for i in range(n0 + 1):
        for j in range(n1 + 1):
            if i == 0 and j == 0:
                continue
            total = 0.0
            if i > 0:
                for p in range(i):
                    for q in range(j + 1):
                        coef = math.comb(i - 1, p) * math.comb(j, q)
                        total = total + coef * h[p + 1][q] * E[i - 1 - p][j - q]
            else:
                for q in range(j):
                    total = total + math.comb(j - 1, q) * h[0][q + 1] * E[0][j - 1 - q]
            E[i][j] = total
    return E


def _safe(x, bad):
    """``x`` with 1 where ``bad``: keeps log(0) = -inf out of a branch ``select`` drops,
    whose derivative would otherwise turn 0 · inf into NaN."""
    return select(bad, full_like_(x, 1.0), x)


def _const_like(x, v):
    return full_like_(x, v)


def _gamma_density_deriv(a, x, n: int):
    """∂ⁿ_a of x^(a-1) e^-x / Γ(a) (the x-derivative of ∂ⁿ_a P)."""
    zero, big = eq(x, 0.0), eq(x, np.inf)
    xs = _safe(x, zero | big)
    lx = log(xs)
    dens = exp((a - 1.0) * lx - xs - gammaln(a))
    if n:
        h = [[None]] + [[lx - polygamma(a, 0)]] + [[-polygamma(a, k - 1)] for k in range(2, n + 1)]
        dens = dens * _bell(h, n, 0)[n][0]
    # x = 0: 0 for a > 1 (with every a-derivative); 1/Γ(1) = 1 at a = 1; unbounded below
    low = _const_like(dens, np.inf if n == 0 else np.nan)
    if n == 0:
        low = select(eq(a, 1.0), _const_like(dens, 1.0), low)
    at0 = select(gt(a, 1.0), _const_like(dens, 0.0), low)
    return select(zero, at0, select(big, _const_like(dens, 0.0), dens))


def _beta_end(dens, p, log_norm, n: int):
    """The density's limit at the end of [0, 1] where its exponent is ``p - 1``."""
    low = _const_like(dens, np.inf if n == 0 else np.nan)
    if n == 0:
        low = select(eq(p, 1.0), exp(log_norm), low)
    return select(gt(p, 1.0), _const_like(dens, 0.0), low)


def _beta_density_deriv(a, b, x, na: int, nb: int):
    """∂^na_a ∂^nb_b of x^(a-1) (1-x)^(b-1) / B(a, b) (the x-derivative of the I_x family)."""
    zero, one = eq(x, 0.0), eq(x, 1.0)
    xs = select(zero | one, _const_like(x, 0.5), x)
    lx, ly = log(xs), log1p(-xs)
    gab = gammaln(a + b)
    dens = exp((a - 1.0) * lx + (b - 1.0) * ly - gammaln(a) - gammaln(b) + gab)
    order = na + nb
    if order:
        psi_a = [polygamma(a, k) for k in range(order)]
        psi_b = [polygamma(b, k) for k in range(order)]
        psi_ab = [polygamma(a + b, k) for k in range(order)]
        h = [[None] * (nb + 2) for _ in range(na + 2)]
        for p in range(na + 2):
            for q in range(nb + 2):
                if not 1 <= p + q <= order:
                    continue
                v = psi_ab[p + q - 1]
                if q == 0:
                    v = v - psi_a[p - 1] + (lx if p == 1 else 0.0)
                if p == 0:
                    v = v - psi_b[q - 1] + (ly if q == 1 else 0.0)
                h[p][q] = v
        dens = dens * _bell(h, na, nb)[na][nb]
    n = order
    at0 = _beta_end(dens, a, gab - gammaln(b), n)
    at1 = _beta_end(dens, b, gab - gammaln(a), n)
    return select(zero, at0, select(one, at1, dens))


def _tangent(parts):
    """Sum of ``t * partial`` over the inputs whose tangent is not zero (``None``)."""
    out = None
    for t, partial in parts:
        if t is None:
            continue
        term = t * partial()
        out = term if out is None else out + term
    return out


def _gammainc_rules(sign: float, n_of):
    """JVP and VJP of ``sign · ∂ⁿ_a P`` with n = n_of(params)."""

    def da(a, x, params):
        return sign * gammainc_deriv(a, x, n_of(params) + 1)

    def dx(a, x, params):
        return sign * _gamma_density_deriv(a, x, n_of(params))

    def jvp(ts, out, a, x, **params):
        return _tangent([(ts[0], lambda: da(a, x, params)), (ts[1], lambda: dx(a, x, params))])

    def vjp(ct, out, a, x, **params):
        return ct * da(a, x, params), ct * dx(a, x, params)

    return jvp, vjp


def _betainc_rules(n_of):

    def partials(a, b, x, params):
        na, nb = n_of(params)
        return (lambda: betainc_deriv(a, b, x, na + 1, nb),
                lambda: betainc_deriv(a, b, x, na, nb + 1),
                lambda: _beta_density_deriv(a, b, x, na, nb))

    def jvp(ts, out, a, b, x, **params):
        return _tangent(list(zip(ts, partials(a, b, x, params))))

    def vjp(ct, out, a, b, x, **params):
        return tuple(ct * p() for p in partials(a, b, x, params))

    return jvp, vjp


# --------------------------------------------------------------------------- samplers


def _sampler(lows_highs, param_draw=None):
    """Uniform examples per argument (x of betainc stays below 0.9: the fuzzer scales
    arguments by up to 1.1, and I_x is NaN past x = 1)."""

    def sample(rng):
        shapes = random_shapes(rng, len(lows_highs))
        args = [rng.uniform(lo, hi, size=s) for (lo, hi), s in zip(lows_highs, shapes)]
        return args, (param_draw(rng) if param_draw else {})

    return sample


def _draw_beta_orders(rng):
    na, nb = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    return {"na": na, "nb": nb} if na + nb else {"na": 1, "nb": 0}


# --------------------------------------------------------------------------- primitives

_g_jvp, _g_vjp = _gammainc_rules(1.0, lambda p: 0)
_gc_jvp, _gc_vjp = _gammainc_rules(-1.0, lambda p: 0)
_gd_jvp, _gd_vjp = _gammainc_rules(1.0, lambda p: p["n"])
_b_jvp, _b_vjp = _betainc_rules(lambda p: (0, 0))
_bd_jvp, _bd_vjp = _betainc_rules(lambda p: (p["na"], p["nb"]))

_SHAPE_DERIVATIVE = NoFormula(
    "a derivative of an incomplete gamma/beta function in its shape parameters: SymPy writes it "
    "only as Meijer G-functions or integrals, which do not evaluate to the needed accuracy")

gammainc_p = Primitive(
    "gammainc", _gammainc, elementwise_shape("gammainc", float_dtype), dtype=float_dtype,
    jvp=_g_jvp, vjp=_g_vjp, batch=elementwise_batch(lambda: gammainc_p),
    sample=_sampler([(0.2, 3.0), (0.1, 4.0)]),
    doc="regularised lower incomplete gamma function P(a, x)",
    sympy=lambda sp, n, a, x: sp.lowergamma(a, x) / sp.gamma(a),
)
gammaincc_p = Primitive(
    "gammaincc", _gammaincc, elementwise_shape("gammaincc", float_dtype), dtype=float_dtype,
    jvp=_gc_jvp, vjp=_gc_vjp, batch=elementwise_batch(lambda: gammaincc_p),
    sample=_sampler([(0.2, 3.0), (0.1, 4.0)]),
    doc="regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x)",
    sympy=lambda sp, n, a, x: sp.uppergamma(a, x) / sp.gamma(a),
)
gammainc_deriv_p = Primitive(
    "gammainc_deriv", _gammainc_deriv, elementwise_shape("gammainc_deriv", float_dtype),
    dtype=float_dtype, jvp=_gd_jvp, vjp=_gd_vjp,
    batch=elementwise_batch(lambda: gammainc_deriv_p),
    sample=_sampler([(0.4, 3.0), (0.2, 4.0)], lambda rng: {"n": int(rng.integers(1, 3))}),
    doc="n-th derivative of P(a, x) in the shape a (n >= 1)",
    sympy=_SHAPE_DERIVATIVE,
)
betainc_p = Primitive(
    "betainc", _betainc, elementwise_shape("betainc", float_dtype), dtype=float_dtype,
    jvp=_b_jvp, vjp=_b_vjp, batch=elementwise_batch(lambda: betainc_p),
    sample=_sampler([(0.5, 3.0), (0.5, 3.0), (0.05, 0.9)]),
    doc="regularised incomplete beta function I_x(a, b)",
    sympy=lambda sp, n, a, b, x: sp.betainc_regularized(a, b, 0, x),
)
betainc_deriv_p = Primitive(
    "betainc_deriv", _betainc_deriv, elementwise_shape("betainc_deriv", float_dtype),
    dtype=float_dtype, jvp=_bd_jvp, vjp=_bd_vjp,
    batch=elementwise_batch(lambda: betainc_deriv_p),
    sample=_sampler([(0.5, 3.0), (0.5, 3.0), (0.05, 0.9)], _draw_beta_orders),
    doc="mixed derivative ∂^na_a ∂^nb_b I_x(a, b) in the shapes (na + nb >= 1)",
    sympy=_SHAPE_DERIVATIVE,
)


def gammainc(a, x):
    return bind(gammainc_p, a, x)


def gammaincc(a, x):
    return bind(gammaincc_p, a, x)


def gammainc_deriv(a, x, n: int):
    return bind(gammainc_deriv_p, a, x, n=int(n))


def betainc(a, b, x):
    return bind(betainc_p, a, b, x)


def betainc_deriv(a, b, x, na: int, nb: int):
    return bind(betainc_deriv_p, a, b, x, na=int(na), nb=int(nb))
