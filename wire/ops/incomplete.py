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

The shape derivatives are computed by evaluating the classical algorithms — the power series
of P for ``x < a + 1``, Legendre's continued fraction of Q otherwise, and the continued
fraction of I_x (Numerical Recipes §6.2/§6.4), with the symmetry ``I_x(a, b) = 1 - I_{1-x}(b,
a)`` — in truncated Taylor arithmetic: every quantity is a polynomial in the perturbations
``(ε_a, ε_b)`` of the shape parameters, so the algorithm is differentiated term by term to
the requested order, and its stopping tests require every Taylor coefficient to have
converged. No finite differences are involved.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import bind
from ..core.formula import NoFormula
from ..core.primitive import Primitive, elementwise_shape, float_dtype, random_shapes
from ..core.taylor import BY_JVP
from .batching import elementwise_batch
from .elementwise import eq, exp, gt, log, log1p, select
from .layout import full_like_
from .special import _gammaln, _polygamma, gammaln, polygamma

try:  # SciPy is optional: its values are the reference when installed
    from scipy import special as _sp
except ImportError:  # pragma: no cover - exercised only without scipy
    _sp = None

_EPS = np.finfo(np.float64).eps
_TINY = 1e-300
_MAX_TERMS = 20000


# --------------------------------------------------------------------------- Taylor arithmetic
# A jet is an array c of shape (n0 + 1, n1 + 1, k): c[i, j] is the coefficient of
# ε_a^i ε_b^j of a quantity, for k elements at once. The truncation is a box, which products
# respect exactly (the (i, j) coefficient of a product needs only coefficients <= (i, j)).


def _const(v, box):
    c = np.zeros(box + np.shape(v))
    c[0, 0] = v
    return c


def _affine(v0, ca, cb, box):
    """The jet of ``v0 + ca ε_a + cb ε_b``."""
    c = _const(v0, box)
    if box[0] > 1:
        c[1, 0] = ca
    if box[1] > 1:
        c[0, 1] = cb
    return c


def _mul(u, v):
    n0, n1 = u.shape[:2]
    out = np.zeros(np.broadcast_shapes(u.shape, v.shape))
    for p in range(n0):
        for q in range(n1):
            out[p:, q:] += u[p, q] * v[: n0 - p, : n1 - q]
    return out


def _compose(derivs, u):
    """``g(u)`` for a jet ``u`` from ``derivs[m] = g⁽ᵐ⁾(u₀₀)``, m = 0 … total order (Horner)."""
    n0, n1 = u.shape[:2]
    order = n0 + n1 - 2
    w = u.copy()
    w[0, 0] = 0.0
    out = _const(derivs[order] / math.factorial(order), (n0, n1))
    for m in range(order - 1, -1, -1):
        out = _mul(out, w)
        out[0, 0] += derivs[m] / math.factorial(m)
    return out


def _compose_affine(derivs, v0, ca, cb, box):
    """``g(v0 + ca ε_a + cb ε_b)`` in closed form (powers of an affine perturbation)."""
    c = np.zeros(box + np.shape(v0))
    for i in range(box[0]):
        for j in range(box[1]):
            c[i, j] = derivs[i + j] * (ca**i * cb**j / (math.factorial(i) * math.factorial(j)))
    return c


def _order(box):
    return box[0] + box[1] - 2


def _inv(u):
    u0 = u[0, 0]
    order = _order(u.shape[:2])
    derivs = [(-1.0) ** m * math.factorial(m) / u0 ** (m + 1) for m in range(order + 1)]
    return _compose(derivs, u)


def _inv_affine(v0, ca, cb, box):
    order = _order(box)
    derivs = [(-1.0) ** m * math.factorial(m) / v0 ** (m + 1) for m in range(order + 1)]
    return _compose_affine(derivs, v0, ca, cb, box)


def _exp(u):
    e = np.exp(u[0, 0])
    return _compose([e] * (_order(u.shape[:2]) + 1), u)


def _gammaln_affine(v0, ca, cb, box):
    order = _order(box)
    derivs = [_gammaln(v0)] + [_polygamma(v0, n=m - 1) for m in range(1, order + 1)]
    return _compose_affine(derivs, v0, ca, cb, box)


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
        term = _mul(term, _inv_affine(a + k, 1.0, 0.0, box) * x)
        total = total + term
        done = _converged(term, total)
        if done.all():
            break
    pref = _affine(a * np.log(x) - x, np.log(x), 0.0, box) - _gammaln_affine(a + 1, 1.0, 0.0, box)
    out = _mul(_exp(pref), total)
    out[:, :, ~done] = np.nan
    return out


def _q_fraction(a, x, box):
    """Q(a, x) = x^a e^-x / Γ(a) · 1/(x+1-a- 1·(1-a)/(x+3-a- …)), good for x >= a + 1
    (modified Lentz)."""
    b = _affine(x + 1 - a, -1.0, 0.0, box)
    c = _const(np.full_like(a, 1 / _TINY), box)
    d = _inv(b)
    h = d
    done = np.zeros(a.shape, bool)
    for i in range(1, _MAX_TERMS):
        an = _affine(-i * (i - a), float(i), 0.0, box)
        b = b.copy()
        b[0, 0] += 2.0
        d = _inv(_guard(_mul(an, d) + b))
        c = _guard(b + _mul(an, _inv(c)))
        delta = _mul(d, c)
        h = _mul(h, delta)
        step = delta.copy()
        step[0, 0] -= 1.0
        done = np.all(np.abs(step) <= _EPS, axis=(0, 1))
        if done.all():
            break
    pref = _affine(a * np.log(x) - x, np.log(x), 0.0, box) - _gammaln_affine(a, 1.0, 0.0, box)
    out = _mul(_exp(pref), h)
    out[:, :, ~done] = np.nan
    return out


def gammainc_taylor(a, x, n: int):
    """Taylor coefficients ``c[m] = (∂ᵐP/∂aᵐ)(a, x) / m!``, m = 0 … n, shape ``(n + 1,) +
    broadcast shape`` (float64). Invalid arguments give NaN, like SciPy."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.ravel(), x.ravel()
    box = (n + 1, 1)
    out = np.full(box + a.shape, np.nan)
    ok = (a > 0) & (x >= 0) & np.isfinite(a)
    edge = ok & ((x == 0) | np.isinf(x))  # P is 0 or 1 for every a there
    out[:, 0, edge] = 0.0
    out[0, 0, edge] = np.where(x[edge] == 0, 0.0, 1.0)
    inner = ok & ~edge
    series = inner & (x < a + 1)
    frac = inner & ~series
    with np.errstate(all="ignore"):  # guards and underflowing prefactors are expected
        if series.any():
            out[:, :, series] = _p_series(a[series], x[series], box)
        if frac.any():
            q = -_q_fraction(a[frac], x[frac], box)
            q[0, 0] += 1.0
            out[:, :, frac] = q
    return out[:, 0].reshape((n + 1,) + shape)


# --------------------------------------------------------------------------- incomplete beta


def _beta_fraction(a, b, x, y, logx, logy, box):
    """I_x(a, b) by its continued fraction (x < (a + 1) / (a + b + 2)); ``y = 1 - x``."""
    one = _const(np.ones_like(a), box)
    qab = (a + b, 1.0, 1.0)
    c = one.copy()
    d = _inv(_guard(one - _mul(_affine(*qab, box), _inv_affine(a + 1, 1.0, 0.0, box)) * x))
    h = d
    done = np.zeros(a.shape, bool)
    for m in range(1, _MAX_TERMS):
        m2 = 2 * m
        # even step: m (b - m) x / ((a - 1 + 2m)(a + 2m))
        num = _affine(m * (b - m), 0.0, float(m), box) * x
        aa = _mul(num, _mul(_inv_affine(a - 1 + m2, 1.0, 0.0, box),
                            _inv_affine(a + m2, 1.0, 0.0, box)))
        d = _inv(_guard(one + _mul(aa, d)))
        c = _guard(one + _mul(aa, _inv(c)))
        h = _mul(h, _mul(d, c))
        # odd step: -(a + m)(a + b + m) x / ((a + 2m)(a + 1 + 2m))
        num = -_mul(_affine(a + m, 1.0, 0.0, box), _affine(a + b + m, 1.0, 1.0, box)) * x
        aa = _mul(num, _mul(_inv_affine(a + m2, 1.0, 0.0, box),
                            _inv_affine(a + 1 + m2, 1.0, 0.0, box)))
        d = _inv(_guard(one + _mul(aa, d)))
        c = _guard(one + _mul(aa, _inv(c)))
        delta = _mul(d, c)
        h = _mul(h, delta)
        step = delta.copy()
        step[0, 0] -= 1.0
        done = np.all(np.abs(step) <= _EPS, axis=(0, 1))
        if done.all():
            break
    # prefactor x^a y^b / (a B(a, b))
    log_pref = (_affine(a * logx + b * logy, logx, logy, box)
                - _gammaln_affine(a, 1.0, 0.0, box) - _gammaln_affine(b, 0.0, 1.0, box)
                + _gammaln_affine(a + b, 1.0, 1.0, box))
    out = _mul(_mul(_exp(log_pref), _inv_affine(a, 1.0, 0.0, box)), h)
    out[:, :, ~done] = np.nan
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
            out[:, :, s] = _beta_fraction(a[s], b[s], x[s], y[s], logx[s], logy[s], box)
        if flip.any():
            s = flip
            # I_x(a, b) = 1 - I_y(b, a): the roles of the two perturbations swap too
            j = _beta_fraction(b[s], a[s], y[s], x[s], logy[s], logx[s], box[::-1])
            j = -np.swapaxes(j, 0, 1)
            j[0, 0] += 1.0
            out[:, :, s] = j
    return out.reshape(box + shape)


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
    taylor=BY_JVP,
)
gammaincc_p = Primitive(
    "gammaincc", _gammaincc, elementwise_shape("gammaincc", float_dtype), dtype=float_dtype,
    jvp=_gc_jvp, vjp=_gc_vjp, batch=elementwise_batch(lambda: gammaincc_p),
    sample=_sampler([(0.2, 3.0), (0.1, 4.0)]),
    doc="regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x)",
    sympy=lambda sp, n, a, x: sp.uppergamma(a, x) / sp.gamma(a),
    taylor=BY_JVP,
)
gammainc_deriv_p = Primitive(
    "gammainc_deriv", _gammainc_deriv, elementwise_shape("gammainc_deriv", float_dtype),
    dtype=float_dtype, jvp=_gd_jvp, vjp=_gd_vjp,
    batch=elementwise_batch(lambda: gammainc_deriv_p),
    sample=_sampler([(0.4, 3.0), (0.2, 4.0)], lambda rng: {"n": int(rng.integers(1, 3))}),
    doc="n-th derivative of P(a, x) in the shape a (n >= 1)",
    sympy=_SHAPE_DERIVATIVE,
    taylor=BY_JVP,
)
betainc_p = Primitive(
    "betainc", _betainc, elementwise_shape("betainc", float_dtype), dtype=float_dtype,
    jvp=_b_jvp, vjp=_b_vjp, batch=elementwise_batch(lambda: betainc_p),
    sample=_sampler([(0.5, 3.0), (0.5, 3.0), (0.05, 0.9)]),
    doc="regularised incomplete beta function I_x(a, b)",
    sympy=lambda sp, n, a, b, x: sp.betainc_regularized(a, b, 0, x),
    taylor=BY_JVP,
)
betainc_deriv_p = Primitive(
    "betainc_deriv", _betainc_deriv, elementwise_shape("betainc_deriv", float_dtype),
    dtype=float_dtype, jvp=_bd_jvp, vjp=_bd_vjp,
    batch=elementwise_batch(lambda: betainc_deriv_p),
    sample=_sampler([(0.5, 3.0), (0.5, 3.0), (0.05, 0.9)], _draw_beta_orders),
    doc="mixed derivative ∂^na_a ∂^nb_b I_x(a, b) in the shapes (na + nb >= 1)",
    sympy=_SHAPE_DERIVATIVE,
    taylor=BY_JVP,
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
