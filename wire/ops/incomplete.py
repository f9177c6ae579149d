"""The regularised incomplete gamma and beta functions as primitives, with derivatives of
every order in every argument.

* ``gammainc(a, x) = P(a, x)``, ``gammaincc(a, x) = Q(a, x) = 1 - P``, ``betainc(a, b, x) =
  I_x(a, b)``, ``betaincc(a, b, x) = 1 - I_x(a, b)``: values from SciPy when it is
  installed (else from ``incomplete_series``).
* ``gammainc_deriv(a, x; n) = ∂ⁿ_a P`` (n ≥ 1) and ``betainc_deriv(a, b, x; na, nb) =
  ∂^na_a ∂^nb_b I_x(a, b)`` (na + nb ≥ 1): the derivatives in the shape parameters, which
  have no closed form (``incomplete_series`` runs the classical series and continued
  fractions in truncated Taylor arithmetic).
* ``gammainc_dx(a, x; n, k) = ∂ⁿ_a ∂ᵏ_x P`` and ``betainc_dx(a, b, x; na, nb, k)`` (k ≥ 1):
  the derivatives in ``x``, from the densities ``x^(a-1) e^-x / Γ(a)`` and
  ``x^(a-1) (1-x)^(b-1) / B(a, b)``, and at the ends of the domain their one-sided limits,
  ``±inf`` where they diverge (``incomplete_density``).

Every partial derivative of a member of the family is another member one order higher, so
every order exists, and at ``x = 0`` (and ``x = 1`` for I) every order is the true one-sided
value rather than the derivative of a formula's placeholder branch.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import bind
from ..core.formula import NoFormula
from ..core.primitive import Primitive, elementwise_shape, float_dtype, random_shapes
from ..core.taylor import BY_JVP
from .batching import elementwise_batch
from .incomplete_density import betainc_dx as betainc_dx_values
from .incomplete_density import gammainc_dx as gammainc_dx_values
from .incomplete_series import betainc_taylor, gammainc_taylor
from .optional import module as _optional_module

# SciPy is optional: its values are the reference when installed
_sp = _optional_module("scipy.special")


# --------------------------------------------------------------------------- NumPy impls


def _out_dtype(*xs):
    return float_dtype(*[np.asarray(v).dtype for v in xs])


# For a shape parameter below _TINY_A, SciPy's P(a, x) can exceed 1 (P(1e-15, 0.5) =
# 1 + 4e-16, the true value 1 - 5.6e-16) while its Q is accurate: P = 1 - Q there. Below
# about 1e-300, SciPy's P is 0 and its Q negative (P(1e-310, 1) = 0, Q = -5.8e-311), and its
# Q is off by up to 500 ulps from 1e-300 to 1e-16. There
# Q(a, x) = Γ(a, x) / Γ(a) = a E1(x) (1 + O(a (1 + |ln x|))), exact in double precision
# where a (1 + |ln x|) < 1e-17.
_TINY_A = 1e-12


def _tiny_a_upper(a, x, q):
    """``(where, Q)``: the entries with ``0 < a < _TINY_A`` and ``0 < x < inf``, and Q there
    (``a E1(x)`` where that is exact, else SciPy's ``q``); ``where`` is None when there
    are none (the common case costs one test)."""
    a, x = np.asarray(a, np.float64), np.asarray(x, np.float64)
    if not (a < _TINY_A).any():
        return None, None
    with np.errstate(all="ignore"):
        where = (a > 0) & (a < _TINY_A) & (x > 0) & (x < np.inf)
        q = np.where(a * (1.0 + np.abs(np.log(x))) < 1e-17, a * _sp.exp1(x), q)
    return where, q


# For a huge shape below its mode SciPy's P(a, x) loses its digits as a grows: P(1e8, 1e8 -
# 6e4) is 7.0e-10 (the truth 9.80e-10), P(1e10, 1e10 - 6e5) 1.1e-10 (the truth 9.87e-10),
# P(1e6, 1e6 - 6e3) 6e-7 relative off (5e-10 at a = 5e5); its Q = 1 - P there carries the same
# absolute error.
# From a = _HUGE_A on, for x < a, both come from Temme's integral (incomplete_series: the
# lower tail P integrated by Gauss-Legendre, ~1e-14 relative).
_HUGE_A = 3e5


def _huge_a_lower(a, x):
    """``(where, P)``: the entries with ``a >= _HUGE_A`` and ``0 < x < a`` and P there by
    Temme's integral; ``where`` is None when there are none."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    with np.errstate(invalid="ignore"):
        where = (a >= _HUGE_A) & (a < np.inf) & (x > 0) & (x < a)
    if not where.any():
        return None, None
    p = np.zeros(a.shape)
    p[where] = gammainc_taylor(a[where], x[where], 0)[0]
    return where, p


def _gammainc(a, x):
    dt = _out_dtype(a, x)
    if _sp is None:
        return gammainc_taylor(a, x, 0)[0].astype(dt)
    p = np.asarray(_sp.gammainc(a, x))
    where, q = _tiny_a_upper(a, x, _sp.gammaincc(a, x) if (np.asarray(a) < _TINY_A).any()
                             else None)
    if where is not None:
        p = np.where(where, 1.0 - q, p)
    where, huge = _huge_a_lower(a, x)
    if where is not None:
        p = np.where(where, huge, p)
    return p.astype(dt)


def _gammaincc(a, x):
    dt = _out_dtype(a, x)
    if _sp is None:
        return (1.0 - gammainc_taylor(a, x, 0)[0]).astype(dt)
    q = np.asarray(_sp.gammaincc(a, x))
    where, tiny = _tiny_a_upper(a, x, q)
    if where is not None:
        q = np.where(where, tiny, q)
    where, huge = _huge_a_lower(a, x)
    if where is not None:
        q = np.where(where, 1.0 - huge, q)
    return q.astype(dt)


# At tiny shape parameters SciPy's I_x(a, b) underflows or saturates: I_x(5e-324, 5e-324, 0.5)
# = 0 (true 0.5), I_x(1e-310, 1e-300, 0.5) = 1 (true 1 - 1e-10), I_x(2, 1e-310, 0.5) = 0
# (true 1.93e-311). There, with L = |ln x| + |ln(1 - x)|:
# * a and b both tiny: B(a, b) = (a + b) / (a b) (1 + O(a b)) and B_x(a, b) = x^a / a
#   - ln(1 - x) + O((a + b) L²), so I = b / (a + b) (x^a - a ln(1 - x)), to a relative
#   O((a + b)² (1 + L)²) < 1e-18 where (a + b) (1 + L) < 1e-9;
# * b tiny alone: I_x(a, b) = b B_x(a, 0) (1 + O(b (1/a + |ψ(a)| + L²))) is linear in b, so
#   I_x(a, b) = (b / b0) I_x(a, b0) with SciPy's value at b0 = 1e-30, where it is accurate
#   (an I_x(a, b0) that underflows makes I_x(a, b) < I_x(a, b0) underflow too).
# (For a tiny alone SciPy's value is 1 - O(a) and right.)
# At a subnormal x SciPy is off by up to 13% (I_{5e-324}(0.5, 2) = 2.89e-162, true
# 3.33e-162): there I_x(a, b) = x^a / (a B(a, b)) (1 + O(x |b - 1|)), exact for b < 1e10.
_TINY_AB = 1e-9
_B0 = 1e-30
_SUBNORMAL = np.finfo(np.float64).tiny


def _tiny_shape_beta(a, b, x, i):
    """I_x(a, b) with the tiny-shape and subnormal-x entries of SciPy's ``i`` replaced (see
    above)."""
    if not ((a < _TINY_AB) | (b < _B0) | (x < _SUBNORMAL)).any():
        return i
    with np.errstate(all="ignore"):
        inside = (a > 0) & (b > 0) & (x > 0) & (x < 1)
        # (a <= 3: x^a underflows beyond; b <= 1e10: 1 / (a B(a, b)) is accurate there)
        small_x = inside & (x < _SUBNORMAL) & (a <= 3.0) & (b <= 1e10)
        if small_x.any():
            # 1 / (a B(a, b)) = Γ(a + b) / (Γ(b) Γ(a + 1)) (SciPy's B is 1e-12 off at b = 1e3),
            # and = b Γ(a + b) / (Γ(a + 1) Γ(b + 1)) below b = 1, where Γ(b) overflows
            lo = b < 1.0
            r = np.where(lo, _sp.gamma(a + b) / (_sp.gamma(a + 1.0) * _sp.gamma(b + 1.0)),
                         _sp.poch(b, a) / _sp.gamma(a + 1.0))
            # x^a = (x 2^64)^a 2^(-64 a): a subnormal result loses digits only in the last product
            v = (x * 2.0 ** 64) ** a * r
            v = np.where(lo, v * b, v) * np.exp2(-64.0 * a)
            # a B(a, b) = 1 - a (ψ(b) + γ) + ... is 1e-12 off in SciPy's B at b = 1e3; its
            # series is exact to a³ (ψ''(b) + 2 ζ(3)) / 6 < 1e-17 where a < 1e-6 min(1, b)
            series = a < 1e-6 * np.minimum(1.0, b)
            if series.any():
                ln_r = a * (_sp.digamma(b) + np.euler_gamma) + a * a * (
                    _sp.polygamma(1, np.where(series, b, 1.0)) - np.pi ** 2 / 6) / 2
                v = np.where(series, np.exp(a * np.log(x) + ln_r), v)
            i = np.where(small_x, np.minimum(v, 1.0), i)
        ell = 1.0 + np.abs(np.log(x)) + np.abs(np.log1p(-x))
        both = inside & ((a + b) * ell < _TINY_AB)
        i = np.where(both, b / (a + b) * (x ** a - a * np.log1p(-x)), i)
        lone_b = inside & ~both & ~small_x & (b < _B0)
        if lone_b.any():
            i = np.where(lone_b, _sp.betainc(a, _B0, x) * (b / _B0), i)
    return i


def _betainc(a, b, x):
    dt = _out_dtype(a, b, x)
    if _sp is not None:
        # in float64 also for float32 inputs: SciPy's float32 loop is off by up to 1e-5
        # relative (I_x(0.5, 2, 1e-45) = 5.13e-23, true 5.62e-23)
        a, b, x = (np.asarray(v, np.float64) for v in (a, b, x))
        i = np.asarray(_tiny_shape_beta(a, b, x, _sp.betainc(a, b, x)))
        nan = np.isnan(i)
        if nan.any():
            # SciPy is NaN at a huge b and a small x (I_{1e-300}(2, 1e300), true 0.264): there
            # I_x(a, b) = P(a, -b ln(1 - x)) (1 + O(a² / b))
            with np.errstate(all="ignore"):
                huge_b = (nan & (a > 0) & (x > 0) & (x < 1) & (b < np.inf)
                          & (b > 1e20 * (1.0 + a * a)))
                if huge_b.any():
                    i = np.where(huge_b, _gammainc(a, -b * np.log1p(-x)), i)
        return i.astype(dt)
    return betainc_taylor(a, b, x, 0, 0)[0, 0].astype(dt)


def _betaincc(a, b, x):
    """``1 - I_x(a, b)`` to full relative accuracy where it is small (SciPy's ``betaincc``:
    ``1 - betainc(5e-9, 5, 0.5)`` is 5.42774e-11 with four digits, the truth 5.4277569880e-11;
    ``1 - betainc(1e-30, 2, 0.3)`` is 0, the truth 5.04e-31)."""
    dt = _out_dtype(a, b, x)
    if _sp is None:
        return (1.0 - betainc_taylor(a, b, x, 0, 0)[0, 0]).astype(dt)
    # in float64 also for float32 inputs, as betainc
    a, b, x = (np.asarray(v, np.float64) for v in (a, b, x))
    q = np.asarray(_sp.betaincc(a, b, x))
    nan = np.isnan(q)
    if nan.any():
        # as betainc: at a huge b and a small x, 1 - I_x(a, b) = Q(a, -b ln(1 - x))
        with np.errstate(all="ignore"):
            huge_b = (nan & (a > 0) & (x > 0) & (x < 1) & (b < np.inf)
                      & (b > 1e20 * (1.0 + a * a)))
            if huge_b.any():
                q = np.where(huge_b, _gammaincc(a, -b * np.log1p(-x)), q)
    return q.astype(dt)


def _gammainc_deriv(a, x, *, n):
    return (gammainc_taylor(a, x, n)[n] * math.factorial(n)).astype(_out_dtype(a, x))


def _gamma_limit_deriv(s, y, n_s, n_y):
    """``∂^n_s_s ∂^n_y_y P(s, y)``."""
    if n_y == 0:
        return gammainc_taylor(s, y, n_s)[n_s] * math.factorial(n_s)
    return gammainc_dx_values(s, y, n_s, n_y)


_HUGE_SHAPE = 1e17


def _betainc_deriv(a, b, x, *, na, nb):
    """``∂^na_a ∂^nb_b I_x(a, b)``; at a huge shape by the derivatives of the limit
    ``I_x(a, b) = P(a, y) (1 + O(a (a + y) / b))``, ``y = -b ln(1 - x)`` (and of ``1 - P(b, -a ln x)`` for a
    huge ``a``): there the continued fraction does not converge in 20000 steps near its
    switch ``x = (a + 1) / (a + b + 2)``, where ``1 - x`` rounds (``∂_a I_{3e-20}(2, 1e20)``
    was NaN after a minute, the truth -0.197)."""
    dt = _out_dtype(a, b, x)
    a, b, x = np.broadcast_arrays(*[np.asarray(v, np.float64) for v in (a, b, x)])
    scale = math.factorial(na) * math.factorial(nb)
    with np.errstate(all="ignore"):
        inside = (a > 0) & (b > 0) & (x > 0) & (x < 1) & np.isfinite(a) & np.isfinite(b)
        big_b = inside & (b > _HUGE_SHAPE * (1.0 + a * a))
        big_a = inside & ~big_b & (a > _HUGE_SHAPE * (1.0 + b * b))
    rest = ~(big_b | big_a)
    if rest.all():
        return (betainc_taylor(a, b, x, na, nb)[na, nb] * scale).astype(dt)
    c = np.empty(a.shape)
    if rest.any():
        c[rest] = betainc_taylor(a[rest], b[rest], x[rest], na, nb)[na, nb] * scale
    with np.errstate(all="ignore"):
        if big_b.any():
            ell = -np.log1p(-x[big_b])
            c[big_b] = _gamma_limit_deriv(a[big_b], b[big_b] * ell, na, nb) * ell ** nb
        if big_a.any():
            ell = -np.log(x[big_a])
            c[big_a] = -_gamma_limit_deriv(b[big_a], a[big_a] * ell, nb, na) * ell ** na
    return c.astype(dt)


def _gammainc_dx(a, x, *, n, k):
    return gammainc_dx_values(a, x, n, k).astype(_out_dtype(a, x))


def _betainc_dx(a, b, x, *, na, nb, k):
    return betainc_dx_values(a, b, x, na, nb, k).astype(_out_dtype(a, b, x))


# --------------------------------------------------------------------------- rules
# Every partial derivative of a member of the family is another member, one order higher.


def _rules(partials):
    """JVP and VJP from ``partials(*args, **params)``: one thunk per argument, building its
    partial derivative."""

    def jvp(ts, out, *args, **params):
        total = None
        for t, partial in zip(ts, partials(*args, **params)):
            if t is not None:  # a zero tangent: its partial is never built
                term = t * partial()
                total = term if total is None else total + term
        return total

    def vjp(ct, out, *args, **params):
        return tuple(ct * partial() for partial in partials(*args, **params))

    return jvp, vjp


def _gamma_partials(sign, n_of, k_of):
    """Partials of ``sign · ∂ⁿ_a ∂ᵏ_x P`` (n = n_of(params), k = k_of(params))."""

    def partials(a, x, **params):
        n, k = n_of(params), k_of(params)
        da = ((lambda: sign * gammainc_deriv(a, x, n + 1)) if k == 0
              else (lambda: sign * gammainc_dx(a, x, n + 1, k)))
        return da, lambda: sign * gammainc_dx(a, x, n, k + 1)

    return partials


def _beta_partials(na_of, nb_of, k_of, sign=1.0):
    """Partials of ``sign · ∂^na_a ∂^nb_b ∂ᵏ_x I_x(a, b)``."""

    def partials(a, b, x, **params):
        na, nb, k = na_of(params), nb_of(params), k_of(params)
        shape = betainc_deriv if k == 0 else (lambda *v: betainc_dx(*v, k))
        return (lambda: sign * shape(a, b, x, na + 1, nb),
                lambda: sign * shape(a, b, x, na, nb + 1),
                lambda: sign * betainc_dx(a, b, x, na, nb, k + 1))

    return partials


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



def _zero(params):
    return 0


_g_jvp, _g_vjp = _rules(_gamma_partials(1.0, _zero, _zero))
_gc_jvp, _gc_vjp = _rules(_gamma_partials(-1.0, _zero, _zero))
_gd_jvp, _gd_vjp = _rules(_gamma_partials(1.0, lambda p: p["n"], _zero))
_gx_jvp, _gx_vjp = _rules(_gamma_partials(1.0, lambda p: p["n"], lambda p: p["k"]))
_b_jvp, _b_vjp = _rules(_beta_partials(_zero, _zero, _zero))
_bc_jvp, _bc_vjp = _rules(_beta_partials(_zero, _zero, _zero, -1.0))
_bd_jvp, _bd_vjp = _rules(_beta_partials(lambda p: p["na"], lambda p: p["nb"], _zero))
_bx_jvp, _bx_vjp = _rules(_beta_partials(lambda p: p["na"], lambda p: p["nb"], lambda p: p["k"]))

def _gamma_dx_formula(sp, node, a, x):
    s, t = sp.Dummy("a", positive=True), sp.Dummy("x", positive=True)
    d = sp.diff(t ** (s - 1) * sp.exp(-t) / sp.gamma(s), s, node.params["n"], t,
                node.params["k"] - 1)
    return d.subs({s: a, t: x})


def _beta_dx_formula(sp, node, a, b, x):
    r, s, t = (sp.Dummy(v, positive=True) for v in "abx")
    p = node.params
    d = sp.diff(t ** (r - 1) * (1 - t) ** (s - 1) / sp.beta(r, s), r, p["na"], s, p["nb"], t,
                p["k"] - 1)
    return d.subs({r: a, s: b, t: x})


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
betaincc_p = Primitive(
    "betaincc", _betaincc, elementwise_shape("betaincc", float_dtype), dtype=float_dtype,
    jvp=_bc_jvp, vjp=_bc_vjp, batch=elementwise_batch(lambda: betaincc_p),
    sample=_sampler([(0.5, 3.0), (0.5, 3.0), (0.05, 0.9)]),
    doc="complementary regularised incomplete beta function 1 - I_x(a, b)",
    sympy=lambda sp, n, a, b, x: sp.betainc_regularized(a, b, x, 1),
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

gammainc_dx_p = Primitive(
    "gammainc_dx", _gammainc_dx, elementwise_shape("gammainc_dx", float_dtype),
    dtype=float_dtype, jvp=_gx_jvp, vjp=_gx_vjp,
    batch=elementwise_batch(lambda: gammainc_dx_p),
    sample=_sampler([(0.4, 3.0), (0.2, 4.0)], lambda rng: {"n": int(rng.integers(0, 3)),
                                                          "k": int(rng.integers(1, 3))}),
    doc="∂ⁿ_a ∂ᵏ_x P(a, x) (n >= 0, k >= 1): the density x^(a-1) e^-x / Γ(a) and its "
    "derivatives; the one-sided limit at x = 0 (±inf where it diverges)",
    sympy=_gamma_dx_formula,
    taylor=BY_JVP,
)
betainc_dx_p = Primitive(
    "betainc_dx", _betainc_dx, elementwise_shape("betainc_dx", float_dtype),
    dtype=float_dtype, jvp=_bx_jvp, vjp=_bx_vjp,
    batch=elementwise_batch(lambda: betainc_dx_p),
    sample=_sampler([(0.5, 3.0), (0.5, 3.0), (0.05, 0.9)],
                    lambda rng: {**_draw_beta_orders(rng), "k": int(rng.integers(1, 3))}),
    doc="∂^na_a ∂^nb_b ∂ᵏ_x I_x(a, b) (k >= 1): the density x^(a-1) (1-x)^(b-1) / B(a, b) and "
    "its derivatives; the one-sided limits at x = 0 and x = 1 (±inf where they diverge)",
    sympy=_beta_dx_formula,
    taylor=BY_JVP,
)

# the family, for backends that run it on the host
PRIMITIVES = (gammainc_p, gammaincc_p, gammainc_deriv_p, gammainc_dx_p, betainc_p,
              betaincc_p, betainc_deriv_p, betainc_dx_p)


def gammainc(a, x):
    return bind(gammainc_p, a, x)


def gammaincc(a, x):
    return bind(gammaincc_p, a, x)


def gammainc_deriv(a, x, n: int):
    return bind(gammainc_deriv_p, a, x, n=int(n))


def betainc(a, b, x):
    return bind(betainc_p, a, b, x)


def betaincc(a, b, x):
    return bind(betaincc_p, a, b, x)


def betainc_deriv(a, b, x, na: int, nb: int):
    return bind(betainc_deriv_p, a, b, x, na=int(na), nb=int(nb))


def gammainc_dx(a, x, n: int, k: int):
    return bind(gammainc_dx_p, a, x, n=int(n), k=int(k))


def betainc_dx(a, b, x, na: int, nb: int, k: int):
    return bind(betainc_dx_p, a, b, x, na=int(na), nb=int(nb), k=int(k))
