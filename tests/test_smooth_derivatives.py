"""Derivatives of orders 1-3 at special points, over the whole differentiable catalogue of
``wire.numpy``, ``wire.scipy.special`` and ``wire.nn`` (activations and losses).

Random-point checks never land on a tie or on zero, and a kink in an implementation
(``max + log1p(exp(-|d|))``, ``min(|d|, delta)``) that the function itself does not have
shows up only there. So every smooth function is differentiated 1, 2 and 3 times at 0, ±1,
integers, ties between arguments and near the edges of its domain, and compared with
mpmath's high-precision derivative of a reference written independently in mpmath.

- ``SMOOTH``: elementwise functions, evaluated at all their points at once.
- ``REDUCTIONS``: non-elementwise functions, differentiated along a fixed direction
  (``d^k/dt^k w·f(x + t v)`` at ``t = 0``) at special inputs (ties, zeros).
- ``EDGES``: closed forms at the edge of a domain (``sqrt'(0) = inf`` …).
- ``KINKS``: functions with a genuine kink; the derivative wire chooses there is pinned
  (and lies between the one-sided derivatives). ``docs/numpy.md`` lists the conventions.

``test_catalogue_is_classified`` makes every differentiable public function of those
namespaces appear in one of the tables or in ``NOT_POINTWISE`` (with the reason), so a new
function cannot skip this test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as wsp
from wire import nn

mpmath = pytest.importorskip("mpmath")
DPS = 25  # mpmath's working digits; diff() adds its own guard digits
ORDERS = (1, 2, 3)


# --------------------------------------------------------------------------- harness


def _egrad(h, argnum, simplify=True):
    """Elementwise derivative of ``h`` in argument ``argnum`` (the Jacobian is diagonal)."""
    return wire.grad(lambda *a: wnp.sum(h(*a)), argnums=argnum, simplify=simplify)


@dataclass(frozen=True)
class Ew:
    """An elementwise function of ``len(points[0])`` arguments, smooth at ``points``."""

    name: str
    fn: object
    ref: object
    points: tuple
    orders: tuple = ORDERS
    rtol: float = 1e-9
    mixed: bool = True  # binary functions: also check d²/dx dy
    simplify: bool = True  # False for long series, whose third derivatives simplify slowly

    @property
    def arity(self):
        return len(self.points[0])


class ReferenceUndefined(Exception):
    """mpmath's reference has no real derivative at the point: the finite differences reach
    outside its domain (mpmath then raises, recurses without end, or turns complex)."""


def _mp_partial(ref, point, orders):
    """mpmath's derivative of ``ref`` at ``point``, ``orders[i]`` times in argument i (central
    differences: the point must be inside the domain; its edges are ``EDGES``' job)."""
    try:
        d = _mp_diff(ref, point, orders)
    except (ArithmeticError, ValueError, RecursionError) as e:  # RecursionError: mpmath's
        raise ReferenceUndefined(f"{type(e).__name__}: {e}") from None  # gammainc at x < 0
    if mpmath.im(d) != 0 and abs(mpmath.im(d)) > 1e-12 * abs(d):
        raise ReferenceUndefined(f"complex derivative {d}")
    return float(mpmath.re(d))


def _mp_diff(ref, point, orders):
    with mpmath.workdps(DPS):
        pt = [mpmath.mpf(p) for p in point]
        if sum(1 for o in orders if o) == 1:
            i = next(k for k, o in enumerate(orders) if o)

            def f(t):
                return ref(*[t if k == i else pt[k] for k in range(len(pt))])

            return mpmath.diff(f, pt[i], orders[i])
        return mpmath.diff(ref, tuple(pt), tuple(orders))


def _wire_partials(case: Ew, orders):
    args = [np.array([p[k] for p in case.points], dtype=np.float64) for k in range(case.arity)]
    d = case.fn
    for k, o in enumerate(orders):
        for _ in range(o):
            d = _egrad(d, k, case.simplify)
    return np.asarray(d(*args), dtype=np.float64)


def _derivative_orders(case: Ew):
    out = []
    for k in range(case.arity):
        for o in case.orders:
            out.append(tuple(o if j == k else 0 for j in range(case.arity)))
    if case.arity == 2 and case.mixed:
        out.append((1, 1))
    return out


def _close(got, want, rtol, atol=1e-11):
    if math.isinf(want) or math.isnan(want):
        return got == want or (math.isnan(want) and math.isnan(got))
    return abs(got - want) <= atol + rtol * abs(want)


# --------------------------------------------------------------------------- mpmath references

mp = mpmath


def _mp_sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def _mp_softplus(x):
    return mp.log(1 + mp.exp(x))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _mp_gelu_tanh(x):
    return x / 2 * (1 + mp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))


def _mp_ndtri(p):
    return mp.sqrt(2) * mp.erfinv(2 * p - 1)


def _mp_cbrt(x):
    return mp.sign(x) * mp.cbrt(abs(x))


UNIT_POINTS = ((0.0,), (1.0,), (-1.0,), (0.5,), (-0.5,), (2.0,), (-3.0,))
POSITIVE_POINTS = ((1.0,), (2.0,), (0.5,), (3.0,), (10.0,))
OPEN_UNIT_POINTS = ((0.0,), (0.5,), (-0.5,), (0.25,), (-0.9,))
TAILS = ((40.0,), (-40.0,), (700.0,), (-700.0,))
TIES = ((0.0, 0.0), (0.4, 0.4), (1.0, 1.0), (-1.0, -1.0), (0.0, 1.0), (1.0, 0.0), (2.0, -3.0),
        (-3.0, 2.0), (30.0, 30.0))


# near the poles of Γ (SciPy's digamma loses digits closer to a negative integer)
NEAR_POLES = ((1e-8,), (1e-5,), (-0.5,), (-1.5,), (-2.5,), (-0.99999,))
# small and large shapes, the far tail in x, both sides of x = a + 1 (series / fraction)
GAMMAINC_POINTS = ((1.0, 1.0), (2.0, 1.5), (0.5, 0.25), (3.0, 3.0), (5.0, 12.0), (1e-3, 0.5),
                   (1e-3, 3.0), (2.0, 50.0), (0.5, 40.0), (30.0, 29.0), (30.0, 31.5))


def _sq(x):
    return x * x


# fmt: off
SMOOTH = [
    # ---- wire.numpy: arithmetic
    Ew("add", wnp.add, lambda x, y: x + y, TIES),
    Ew("subtract", wnp.subtract, lambda x, y: x - y, TIES),
    Ew("multiply", wnp.multiply, lambda x, y: x * y, TIES),
    Ew("divide", wnp.divide, lambda x, y: x / y, ((0.0, 1.0), (1.0, 1.0), (2.0, -1.0), (-1.0, 0.5))),
    Ew("true_divide", wnp.true_divide, lambda x, y: x / y, ((0.0, 1.0), (1.0, 1.0))),
    Ew("negative", wnp.negative, lambda x: -x, UNIT_POINTS),
    Ew("positive", wnp.positive, lambda x: x, UNIT_POINTS),
    Ew("square", wnp.square, _sq, UNIT_POINTS),
    Ew("reciprocal", wnp.reciprocal, lambda x: 1 / x, ((1.0,), (-1.0,), (2.0,), (0.5,))),
    Ew("power", wnp.power, lambda x, y: x**y,
       ((2.0, 3.0), (1.0, 0.0), (2.0, 0.0), (2.0, -1.0), (3.0, 0.5), (0.5, 0.5), (1.0, 1.0),
        (4.0, 2.0))),
    Ew("float_power", wnp.float_power, lambda x, y: x**y, ((2.0, 3.0), (1.0, 0.0), (0.5, 2.0))),
    Ew("power(x, 2)", lambda x: wnp.power(x, 2), _sq, UNIT_POINTS),
    Ew("power(x, 3)", lambda x: wnp.power(x, 3), lambda x: x**3, UNIT_POINTS),
    Ew("power(x, -2)", lambda x: wnp.power(x, -2), lambda x: x**-2, ((1.0,), (-1.0,), (2.0,))),
    Ew("power (x ** 0.5)", lambda x: x**0.5, mp.sqrt, POSITIVE_POINTS),
    Ew("deg2rad", wnp.deg2rad, mp.radians, UNIT_POINTS),
    Ew("rad2deg", wnp.rad2deg, mp.degrees, UNIT_POINTS),
    Ew("radians", wnp.radians, mp.radians, UNIT_POINTS),
    Ew("degrees", wnp.degrees, mp.degrees, UNIT_POINTS),
    # ---- wire.numpy: exponentials and logarithms
    Ew("exp", wnp.exp, mp.exp, UNIT_POINTS + ((10.0,),)),
    Ew("exp2", wnp.exp2, lambda x: 2**x, UNIT_POINTS),
    Ew("expm1", wnp.expm1, mp.expm1, UNIT_POINTS + ((1e-10,),)),
    Ew("log", wnp.log, mp.log, POSITIVE_POINTS + ((math.e,),)),
    Ew("log2", wnp.log2, lambda x: mp.log(x, 2), POSITIVE_POINTS),
    Ew("log10", wnp.log10, mp.log10, POSITIVE_POINTS),
    Ew("log1p", wnp.log1p, mp.log1p, ((0.0,), (1.0,), (-0.5,), (2.0,), (1e-10,), (-0.9,))),
    Ew("logaddexp", wnp.logaddexp, lambda x, y: mp.log(mp.exp(x) + mp.exp(y)), TIES),
    Ew("logaddexp2", wnp.logaddexp2, lambda x, y: mp.log(2**x + 2**y, 2), TIES),
    Ew("sqrt", wnp.sqrt, mp.sqrt, POSITIVE_POINTS + ((0.25,),)),
    Ew("cbrt", wnp.cbrt, _mp_cbrt, ((1.0,), (-1.0,), (8.0,), (-8.0,), (0.5,))),
    # ---- wire.numpy: trigonometric and hyperbolic
    Ew("sin", wnp.sin, mp.sin, UNIT_POINTS + ((math.pi,),)),
    Ew("cos", wnp.cos, mp.cos, UNIT_POINTS + ((math.pi,),)),
    Ew("tan", wnp.tan, mp.tan, ((0.0,), (1.0,), (-1.0,), (0.5,), (math.pi / 4,))),
    Ew("arcsin", wnp.arcsin, mp.asin, OPEN_UNIT_POINTS),
    Ew("arccos", wnp.arccos, mp.acos, OPEN_UNIT_POINTS),
    Ew("arctan", wnp.arctan, mp.atan, UNIT_POINTS),
    Ew("sinh", wnp.sinh, mp.sinh, UNIT_POINTS),
    Ew("cosh", wnp.cosh, mp.cosh, UNIT_POINTS),
    Ew("tanh", wnp.tanh, mp.tanh, UNIT_POINTS),
    Ew("arcsinh", wnp.arcsinh, mp.asinh, UNIT_POINTS),
    Ew("arccosh", wnp.arccosh, mp.acosh, ((1.5,), (2.0,), (3.0,), (10.0,))),
    Ew("arctanh", wnp.arctanh, mp.atanh, OPEN_UNIT_POINTS),
    Ew("arctan2", wnp.arctan2, mp.atan2,
       ((1.0, 1.0), (0.0, 1.0), (1.0, 0.0), (-1.0, 1.0), (1.0, -1.0), (-1.0, 0.0), (0.5, 2.0))),
    Ew("hypot", wnp.hypot, lambda x, y: mp.sqrt(x * x + y * y),
       ((3.0, 4.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0), (-1.0, 1.0), (-2.0, -2.0), (0.0, -2.0))),
    Ew("sinc", wnp.sinc, mp.sincpi,
       UNIT_POINTS + ((1e-5,), (-1e-5,), (1e-4,), (3.0,), (0.25,))),
    Ew("acos", wnp.acos, mp.acos, ((0.0,), (0.5,))), Ew("asin", wnp.asin, mp.asin, ((0.0,), (-0.5,))),
    Ew("atan", wnp.atan, mp.atan, ((0.0,), (1.0,))), Ew("acosh", wnp.acosh, mp.acosh, ((2.0,),)),
    Ew("asinh", wnp.asinh, mp.asinh, ((0.0,), (1.0,))), Ew("atanh", wnp.atanh, mp.atanh, ((0.0,),)),
    Ew("atan2", wnp.atan2, mp.atan2, ((1.0, 1.0), (0.0, 1.0))),
    Ew("pow", wnp.pow, lambda x, y: x**y, ((2.0, 3.0), (1.0, 0.0))),
    Ew("i0", wnp.i0, lambda x: mp.besseli(0, x),
       UNIT_POINTS + ((24.9,), (25.0,), (25.1,), (-30.0,)), rtol=1e-8, simplify=False),
    Ew("ldexp", lambda x: wnp.ldexp(x, np.int32(3)), lambda x: 8 * x, UNIT_POINTS),
    Ew("frexp", lambda x: wnp.frexp(x)[0], lambda x: x / 2 ** int(mp.floor(mp.log(abs(x), 2)) + 1),
       ((3.0,), (-0.7,), (10.0,))),
    Ew("modf", lambda x: wnp.modf(x)[0], lambda x: x - int(x), ((0.0,), (0.5,), (-2.5,), (3.25,))),
    Ew("divmod", lambda x, y: wnp.divmod(x, y)[1], lambda x, y: x - mp.floor(x / y) * y,
       ((5.5, 2.0), (-5.5, 2.0))),
    Ew("fabs (x != 0)", wnp.fabs, abs, ((1.0,), (-1.0,))),
    # ---- wire.numpy: piecewise-smooth functions, at points away from their jumps
    Ew("mod", wnp.mod, lambda x, y: x - mp.floor(x / y) * y, ((5.5, 2.0), (-5.5, 2.0), (0.5, -2.0))),
    Ew("remainder", wnp.remainder, lambda x, y: x - mp.floor(x / y) * y, ((5.5, 2.0),)),
    Ew("fmod", wnp.fmod, lambda x, y: x - int(x / y) * y, ((5.5, 2.0), (-5.5, 2.0), (0.5, -2.0))),
    Ew("copysign", wnp.copysign, lambda x, y: abs(x) * mp.sign(y),
       ((1.0, 1.0), (2.0, -1.0), (-1.0, 1.0), (-0.5, -3.0))),
    Ew("maximum (no tie)", wnp.maximum, max, ((1.0, 0.0), (0.0, 1.0), (-2.0, 3.0))),
    Ew("minimum (no tie)", wnp.minimum, min, ((1.0, 0.0), (0.0, 1.0), (-2.0, 3.0))),
    Ew("fmax (no tie)", wnp.fmax, max, ((1.0, 0.0), (0.0, 1.0))),
    Ew("fmin (no tie)", wnp.fmin, min, ((1.0, 0.0), (0.0, 1.0))),
    Ew("abs (x != 0)", wnp.abs, abs, ((1.0,), (-1.0,), (2.5,))),
    Ew("absolute (x != 0)", wnp.absolute, abs, ((1.0,), (-1.0,))),
    Ew("clip (inside)", lambda x: wnp.clip(x, -1.0, 2.0), lambda x: x, ((0.0,), (0.5,), (-0.5,))),
    Ew("where", lambda x, y: wnp.where(x > 0, x * y, y * y), lambda x, y: x * y if x > 0 else y * y,
       ((1.0, 2.0), (-1.0, 2.0), (0.5, 0.0))),
    Ew("nan_to_num", wnp.nan_to_num, lambda x: x, UNIT_POINTS),
    Ew("real", wnp.real, lambda x: x, UNIT_POINTS),
    Ew("conj", wnp.conj, lambda x: x, UNIT_POINTS),
    Ew("conjugate", wnp.conjugate, lambda x: x, UNIT_POINTS),
    # ---- wire.scipy.special
    Ew("special.expit", wsp.expit, _mp_sigmoid, UNIT_POINTS + TAILS),
    Ew("special.log_expit", wsp.log_expit, lambda x: -mp.log(1 + mp.exp(-x)), UNIT_POINTS + TAILS),
    Ew("special.logit", wsp.logit, lambda p: mp.log(p / (1 - p)), ((0.5,), (0.25,), (0.75,), (0.01,))),
    Ew("special.erf", wsp.erf, mp.erf, UNIT_POINTS),
    Ew("special.erfc", wsp.erfc, mp.erfc, UNIT_POINTS),
    Ew("special.erfinv", wsp.erfinv, mp.erfinv, OPEN_UNIT_POINTS),
    Ew("special.erfcinv", wsp.erfcinv, lambda y: mp.erfinv(1 - y), ((1.0,), (0.5,), (1.5,))),
    Ew("special.ndtr", wsp.ndtr, mp.ncdf, UNIT_POINTS + ((-5.0,),)),
    Ew("special.ndtri", wsp.ndtri, _mp_ndtri, ((0.5,), (0.1,), (0.9,))),
    Ew("special.log_ndtr", wsp.log_ndtr, lambda x: mp.log(mp.ncdf(x)),
       UNIT_POINTS + ((-5.0,), (-29.5,), (-30.0,), (-31.0,), (-40.0,), (-1000.0,)), rtol=1e-8),
    Ew("special.gammaln", wsp.gammaln, mp.loggamma, POSITIVE_POINTS + ((4.0,),) + NEAR_POLES),
    Ew("special.loggamma", wsp.loggamma, mp.loggamma, POSITIVE_POINTS),
    Ew("special.gamma", wsp.gamma, mp.gamma, POSITIVE_POINTS + ((-0.5,), (-1.5,))),
    Ew("special.digamma", wsp.digamma, mp.digamma, POSITIVE_POINTS + NEAR_POLES),
    Ew("special.psi", wsp.psi, mp.digamma, ((1.0,), (2.0,))),
    Ew("special.polygamma(1, x)", lambda x: wsp.polygamma(1, x), lambda x: mp.polygamma(1, x),
       POSITIVE_POINTS),
    Ew("special.polygamma(2, x)", lambda x: wsp.polygamma(2, x), lambda x: mp.polygamma(2, x),
       ((1.0,), (2.0,), (0.5,))),
    Ew("special.multigammaln(a, 3)", lambda a: wsp.multigammaln(a, 3),
       lambda a: 3 * mp.log(mp.pi) / 2 + sum(mp.loggamma(a - mp.mpf(j) / 2) for j in range(3)),
       ((2.0,), (3.0,), (1.5,))),
    Ew("special.beta", wsp.beta, mp.beta, ((1.0, 1.0), (2.0, 3.0), (0.5, 0.5), (1.0, 2.0))),
    Ew("special.betaln", wsp.betaln, lambda a, b: mp.log(mp.beta(a, b)),
       ((1.0, 1.0), (2.0, 3.0), (0.5, 0.5))),
    Ew("special.gammainc", wsp.gammainc, lambda a, x: mp.gammainc(a, 0, x, regularized=True),
       GAMMAINC_POINTS),
    Ew("special.gammaincc", wsp.gammaincc, lambda a, x: mp.gammainc(a, x, mp.inf, regularized=True),
       GAMMAINC_POINTS),
    Ew("special.betainc", wsp.betainc, lambda a, b, x: mp.betainc(a, b, 0, x, regularized=True),
       ((1.0, 1.0, 0.25), (2.0, 3.0, 0.5), (0.5, 0.5, 0.5), (2.0, 2.0, 0.5), (3.0, 1.5, 0.9),
        (0.5, 2.0, 1e-6), (2.0, 0.5, 1 - 1e-6), (1.0, 3.0, 1e-3))),
    Ew("special.betaincc", wsp.betaincc, lambda a, b, x: mp.betainc(a, b, x, 1, regularized=True),
       ((1.0, 1.0, 0.25), (2.0, 3.0, 0.5), (0.5, 0.5, 0.5), (2.0, 2.0, 0.5), (3.0, 1.5, 0.9),
        (0.5, 2.0, 1e-6), (2.0, 0.5, 1 - 1e-6), (1.0, 3.0, 1e-3))),
    Ew("special.xlogy", wsp.xlogy, lambda x, y: x * mp.log(y),
       ((1.0, 1.0), (2.0, 0.5), (0.0, 1.0), (0.0, 2.0), (-1.0, 2.0), (0.5, math.e))),
    Ew("special.xlog1py", wsp.xlog1py, lambda x, y: x * mp.log1p(y),
       ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (2.0, -0.5))),
    Ew("special.entr", wsp.entr, lambda x: -x * mp.log(x), ((1.0,), (0.5,), (2.0,), (math.e,))),
    Ew("special.rel_entr", wsp.rel_entr, lambda x, y: x * mp.log(x / y),
       ((1.0, 1.0), (1.0, 2.0), (2.0, 1.0), (0.5, 0.5))),
    Ew("special.kl_div", wsp.kl_div, lambda x, y: x * mp.log(x / y) - x + y,
       ((1.0, 1.0), (1.0, 2.0), (2.0, 1.0))),
    Ew("special.sinc", wsp.sinc, mp.sincpi, ((0.0,), (1.0,), (0.5,))),
    # Bessel functions (every order by the family's recurrences), exponential integrals
    Ew("special.i0", wsp.i0, lambda x: mp.besseli(0, x), UNIT_POINTS),
    Ew("special.i1", wsp.i1, lambda x: mp.besseli(1, x), UNIT_POINTS),
    Ew("special.j0", wsp.j0, lambda x: mp.besselj(0, x), UNIT_POINTS),
    Ew("special.j1", wsp.j1, lambda x: mp.besselj(1, x), UNIT_POINTS),
    Ew("special.i0e", wsp.i0e, lambda x: mp.besseli(0, x) * mp.exp(-abs(x)),
       POSITIVE_POINTS + ((-1.0,), (-3.0,))),
    Ew("special.i1e", wsp.i1e, lambda x: mp.besseli(1, x) * mp.exp(-abs(x)),
       POSITIVE_POINTS + ((-1.0,), (-3.0,))),
    Ew("special.y0", wsp.y0, lambda x: mp.bessely(0, x), POSITIVE_POINTS),
    Ew("special.y1", wsp.y1, lambda x: mp.bessely(1, x), POSITIVE_POINTS),
    Ew("special.k0", wsp.k0, lambda x: mp.besselk(0, x), POSITIVE_POINTS),
    Ew("special.k1", wsp.k1, lambda x: mp.besselk(1, x), POSITIVE_POINTS),
    Ew("special.k0e", wsp.k0e, lambda x: mp.besselk(0, x) * mp.exp(x), POSITIVE_POINTS),
    Ew("special.k1e", wsp.k1e, lambda x: mp.besselk(1, x) * mp.exp(x), POSITIVE_POINTS),
    *[Ew(f"special.{n}(2.5, x)", lambda x, f=getattr(wsp, n): f(2.5, x),
         lambda x, g=g: g(2.5, x), POSITIVE_POINTS)
      for n, g in (("jv", mp.besselj), ("jn", mp.besselj), ("yv", mp.bessely),
                   ("iv", mp.besseli), ("kv", mp.besselk),
                   ("ive", lambda v, x: mp.besseli(v, x) * mp.exp(-abs(x))),
                   ("kve", lambda v, x: mp.besselk(v, x) * mp.exp(x)))],
    Ew("special.yn(3, x)", lambda x: wsp.yn(3, x), lambda x: mp.bessely(3, x), POSITIVE_POINTS),
    Ew("special.kn(3, x)", lambda x: wsp.kn(3, x), lambda x: mp.besselk(3, x), POSITIVE_POINTS),
    Ew("special.erfcx", wsp.erfcx, lambda x: mp.exp(x * x) * mp.erfc(x), UNIT_POINTS),
    Ew("special.expi", wsp.expi, mp.ei, ((1.0,), (-1.0,), (0.5,), (2.0,), (-3.0,))),
    Ew("special.exp1", wsp.exp1, mp.e1, POSITIVE_POINTS),
    # the special functions JAX has: mpmath's values; parameters held where wire has no
    # derivative in them (zeta in x, expn in n, the hypergeometric parameters)
    Ew("special.zeta(3, q)", lambda q: wsp.zeta(3.0, q), lambda q: mp.zeta(3, q), POSITIVE_POINTS),
    Ew("special.boxcox", wsp.boxcox, lambda x, lm: (mp.power(x, lm) - 1) / lm,
       ((2.0, 0.5), (0.5, 1.5), (3.0, -0.5), (1.0, 2.0))),
    Ew("special.boxcox1p", wsp.boxcox1p, lambda x, lm: (mp.power(1 + x, lm) - 1) / lm,
       ((1.0, 0.5), (-0.5, 1.5), (2.0, -0.5), (0.0, 2.0))),
    Ew("special.expn(2, x)", lambda x: wsp.expn(2, x), lambda x: mp.expint(2, x), POSITIVE_POINTS),
    Ew("special.dawsn", wsp.dawsn,
       lambda x: mp.sqrt(mp.pi) / 2 * mp.exp(-x * x) * mp.erfi(x), UNIT_POINTS),
    Ew("special.spence", wsp.spence, lambda z: mp.polylog(2, 1 - z), ((0.5,), (2.0,), (1.5,), (0.25,))),
    Ew("special.sici (si)", lambda x: wsp.sici(x)[0], mp.si, ((1.0,), (-1.0,), (0.5,), (3.0,))),
    Ew("special.sici (ci)", lambda x: wsp.sici(x)[1], mp.ci, ((1.0,), (0.5,), (3.0,))),
    Ew("special.fresnel (S)", lambda x: wsp.fresnel(x)[0], mp.fresnels, UNIT_POINTS),
    Ew("special.fresnel (C)", lambda x: wsp.fresnel(x)[1], mp.fresnelc, UNIT_POINTS),
    Ew("special.hyp1f1(0.5, 1.5, x)", lambda x: wsp.hyp1f1(0.5, 1.5, x),
       lambda x: mp.hyp1f1(0.5, 1.5, x), UNIT_POINTS),
    Ew("special.hyp2f1(0.5, 1, 1.5, x)", lambda x: wsp.hyp2f1(0.5, 1.0, 1.5, x),
       lambda x: mp.hyp2f1(0.5, 1, 1.5, x), ((0.3,), (-0.5,), (0.7,), (0.0,))),
    Ew("special.owens_t", wsp.owens_t,
       lambda h, a: mp.quad(lambda t: mp.exp(-h * h * (1 + t * t) / 2) / (1 + t * t), [0, a])
       / (2 * mp.pi), ((0.5, 0.5), (1.0, 2.0), (-0.5, 1.0)), orders=(1, 2)),
    # w(iy) = exp(y²) erfc(y): wofz on the imaginary axis, where it is real
    Ew("special.wofz (on iy)", lambda y: wnp.real(wsp.wofz(1j * y)),
       lambda y: mp.exp(y * y) * mp.erfc(y), ((0.5,), (1.0,), (2.0,))),
    Ew("special.sph_harm_y(2, 1, theta, 0.3)", lambda t: wnp.real(wsp.sph_harm_y(2, 1, t, 0.3)),
       lambda t: mp.re(mp.spherharm(2, 1, t, 0.3)), ((0.5,), (1.0,), (2.0,))),
    Ew("special.bessel_jn (order 2)", lambda x: wsp.bessel_jn(x, v=2)[2],
       lambda x: mp.besselj(2, x), ((1.0,), (2.5,), (0.5,))),
    # 1/Γ through its zeros (the poles of Γ), Γ(n + 1), and the sign of Γ (derivative 0)
    Ew("special.rgamma", wsp.rgamma, mp.rgamma, UNIT_POINTS + ((-2.0,), (-0.5,))),
    Ew("special.factorial", wsp.factorial, mp.factorial, POSITIVE_POINTS),
    Ew("special.gammasgn", wsp.gammasgn, lambda x: mp.sign(mp.gamma(x)),
       ((0.5,), (-0.5,), (-1.5,), (3.0,))),
    # ratios of Γs: integer, negative and large arguments (SciPy's products and expansions)
    Ew("special.binom", wsp.binom, mp.binomial,
       ((5.0, 2.0), (4.5, 1.25), (-2.5, 3.0), (0.3, -0.7), (30.0, 0.5), (1e5, 3.0))),
    Ew("special.comb", wsp.comb, mp.binomial, ((5.0, 2.0), (7.5, 3.25), (40.0, 25.0))),
    Ew("special.poch", wsp.poch, mp.rf,
       ((2.5, 1.5), (1.0, 1.0), (-1.5, 2.0), (0.1, -0.5), (50.0, 0.25), (3.0, -2.5))),
    # ---- wire.nn activations and losses
    Ew("nn.sigmoid", nn.sigmoid, _mp_sigmoid, UNIT_POINTS + TAILS),
    Ew("nn.log_sigmoid", nn.log_sigmoid, lambda x: -_mp_softplus(-x), UNIT_POINTS + TAILS),
    Ew("nn.softplus", nn.softplus, _mp_softplus, UNIT_POINTS + TAILS),
    Ew("nn.silu", nn.silu, lambda x: x * _mp_sigmoid(x), UNIT_POINTS),
    Ew("nn.swish", nn.swish, lambda x: x * _mp_sigmoid(x), UNIT_POINTS),
    Ew("nn.tanh", nn.tanh, mp.tanh, UNIT_POINTS),
    Ew("nn.gelu", nn.gelu, _mp_gelu_tanh, UNIT_POINTS),
    Ew("nn.gelu(approximate=False)", lambda x: nn.gelu(x, approximate=False),
       lambda x: x * mp.ncdf(x), UNIT_POINTS),
    Ew("nn.identity", nn.identity, lambda x: x, UNIT_POINTS),
    Ew("nn.elu (x != 0)", nn.elu, lambda x: x if x > 0 else mp.expm1(x), ((1.0,), (-1.0,), (-0.5,))),
    Ew("nn.selu (x != 0)", nn.selu,
       lambda x: _SELU_SCALE * (x if x > 0 else _SELU_ALPHA * mp.expm1(x)), ((1.0,), (-1.0,))),
    Ew("nn.relu (x != 0)", nn.relu, lambda x: max(x, 0), ((1.0,), (-1.0,))),
    Ew("nn.relu6 (between kinks)", nn.relu6, lambda x: min(max(x, 0), 6), ((1.0,), (-1.0,), (7.0,))),
    Ew("nn.leaky_relu (x != 0)", nn.leaky_relu, lambda x: x if x > 0 else 0.01 * x, ((1.0,), (-1.0,))),
    Ew("nn.binary_cross_entropy_with_logits",
       lambda z, t: nn.binary_cross_entropy_with_logits(z, t, reduction="none"),
       lambda z, t: _mp_softplus(z) - z * t,
       ((0.0, 0.0), (0.0, 1.0), (0.0, 0.5), (1.0, 1.0), (-1.0, 0.0), (40.0, 1.0), (-40.0, 1.0))),
    Ew("nn.mse", lambda p, t: nn.mse(p, t, reduction="none"), lambda p, t: (p - t) ** 2, TIES),
    Ew("nn.huber", lambda p, t: nn.huber(p, t, reduction="none"),
       lambda p, t: (p - t) ** 2 / 2 if abs(p - t) <= 1 else abs(p - t) - 0.5,
       ((0.0, 0.0), (1.0, 1.0), (0.5, 0.0), (3.0, 0.0), (-3.0, 0.0), (0.0, 2.5))),
]
# fmt: on


def _failures(case: Ew):
    bad = []
    for orders in _derivative_orders(case):
        got = _wire_partials(case, orders)
        for p, g in zip(case.points, got):
            try:
                want = _mp_partial(case.ref, p, orders)
            except ReferenceUndefined as e:
                bad.append(f"d{orders} at {p}: no reference ({e}); a point on the edge of the "
                           "domain belongs in EDGES, with its one-sided values")
                continue
            if not _close(float(g), want, case.rtol):
                bad.append(f"d{orders} at {p}: wire {g!r}, mpmath {want!r}")
    return bad


@pytest.mark.parametrize("case", SMOOTH, ids=lambda c: c.name)
def test_smooth_derivatives_at_special_points(case):
    with np.errstate(all="ignore"):
        bad = _failures(case)
    assert not bad, f"{case.name}:\n" + "\n".join(bad)


# --------------------------------------------------------------------------- domain edges

INF = math.inf


@dataclass(frozen=True)
class Edge:
    """One-sided derivatives at the edge of a domain, of orders 1, 2 … along ``path`` (the
    argument differentiated at each order; all the first by default): closed forms, ``±inf``
    where the one-sided limit diverges, or a documented convention. Exact unless ``rtol``."""

    name: str
    fn: object
    point: float | tuple
    want: tuple
    path: tuple = ()
    rtol: float = 0.0


def _mp_gammainc_at_a0(x, n, upper=False):
    """∂ⁿ/∂aⁿ P(a, x) at a = 0 (``upper``: of Q): ``Q(a, x) = Γ(a, x) / Γ(a)`` is entire in
    ``a``, so ``rgamma(a) Γ(a, x)`` differentiates across a = 0 (mpmath's P does not)."""
    with mpmath.workdps(DPS):
        d = mpmath.diff(lambda s: mpmath.rgamma(s) * mpmath.gammainc(s, x, mpmath.inf), 0, n)
    return float(d) if upper else -float(d)


EULER, ZETA3 = float(mpmath.euler), float(mpmath.zeta(3))
PI2_6 = math.pi**2 / 6
NAN = math.nan

# fmt: off
EDGES = [
    Edge("sqrt", wnp.sqrt, 0.0, (INF, -INF, INF)),
    Edge("power (x ** 0.5)", lambda x: x**0.5, 0.0, (INF, -INF, INF)),
    Edge("log", wnp.log, 0.0, (INF, -INF, INF)),
    Edge("log2", wnp.log2, 0.0, (INF, -INF, INF)),
    Edge("log10", wnp.log10, 0.0, (INF, -INF, INF)),
    # log(-0.0) = -inf as log(0.0): the same limits from the right (1/x gave -inf first)
    Edge("log", wnp.log, -0.0, (INF, -INF, INF)),
    Edge("log2", wnp.log2, -0.0, (INF, -INF, INF)),
    Edge("log10", wnp.log10, -0.0, (INF, -INF, INF)),
    Edge("log1p", wnp.log1p, -1.0, (INF, -INF, INF)),
    Edge("arcsin", wnp.arcsin, 1.0, (INF, INF, INF)),
    Edge("arcsin", wnp.arcsin, -1.0, (INF, -INF, INF)),
    Edge("arccos", wnp.arccos, 1.0, (-INF, -INF, -INF)),
    Edge("arccos", wnp.arccos, -1.0, (-INF, INF, -INF)),
    Edge("arctanh", wnp.arctanh, 1.0, (INF, INF, INF)),
    Edge("arctanh", wnp.arctanh, -1.0, (INF, -INF, INF)),
    Edge("arccosh", wnp.arccosh, 1.0, (INF, -INF, INF)),
    Edge("arccosh", wnp.arccosh, INF, (0.0, 0.0, 0.0)),
    # cbrt'' = -2/9 x^(-5/3) changes sign at 0: the one-sided limit of the zero's side
    Edge("cbrt", wnp.cbrt, 0.0, (INF, -INF, INF)),
    Edge("cbrt", wnp.cbrt, -0.0, (INF, INF, INF)),
    Edge("special.erfinv", wsp.erfinv, 1.0, (INF, INF, INF)),
    Edge("special.erfinv", wsp.erfinv, -1.0, (INF, -INF, INF)),
    Edge("special.logit", wsp.logit, 0.0, (INF, -INF, INF)),
    Edge("special.logit", wsp.logit, 1.0, (INF, INF, INF)),
    # ---- P(a, x) at x = 0: ∂ᵏ_x P ~ x^(a-k) (Γ(a+1) falling), the power series' first
    # surviving term; at integer a, the derivatives of 1 - e^-x Σ_{j<a} x^j/j!
    Edge("special.gammainc", wsp.gammainc, (0.5, 0.0), (INF, -INF, INF), (1, 1, 1)),
    Edge("special.gammainc", wsp.gammainc, (1.0, 0.0), (1.0, -1.0, 1.0), (1, 1, 1)),
    Edge("special.gammainc", wsp.gammainc, (1.5, 0.0), (0.0, INF, -INF), (1, 1, 1)),
    Edge("special.gammainc", wsp.gammainc, (2.0, 0.0), (0.0, 1.0, -2.0), (1, 1, 1)),
    Edge("special.gammainc", wsp.gammainc, (2.5, 0.0), (0.0, 0.0, INF), (1, 1, 1)),
    Edge("special.gammainc", wsp.gammainc, (3.0, 0.0), (0.0, 0.0, 1.0), (1, 1, 1)),
    Edge("special.gammainc", wsp.gammainc, (4.0, 0.0), (0.0, 0.0, 0.0), (1, 1, 1)),
    # P(a, 0) = 0 for every a; ∂_a brings a log x down: x^(a-1) log x
    Edge("special.gammainc", wsp.gammainc, (1.0, 0.0), (0.0, 0.0, 0.0), (0, 0, 0)),
    Edge("special.gammainc", wsp.gammainc, (1.0, 0.0), (0.0, -INF, INF), (0, 1, 1)),
    Edge("special.gammainc", wsp.gammainc, (1.0, 0.0), (1.0, -INF, INF), (1, 0, 0)),
    Edge("special.gammainc", wsp.gammainc, (0.5, 0.0), (INF, -INF, INF), (1, 0, 0)),
    Edge("special.gammainc", wsp.gammainc, (1.5, 0.0), (0.0, 0.0, -INF), (1, 0, 1)),
    Edge("special.gammainc", wsp.gammainc, (2.0, 0.0), (0.0, 1.0, -INF), (1, 1, 0)),
    Edge("special.gammainc", wsp.gammainc, (2.0, 0.0), (0.0, 0.0, 0.0), (0, 0, 1)),
    Edge("special.gammaincc", wsp.gammaincc, (1.0, 0.0), (-1.0, 1.0, -1.0), (1, 1, 1)),
    Edge("special.gammaincc", wsp.gammaincc, (0.5, 0.0), (-INF, INF, -INF), (1, 1, 1)),
    Edge("special.gammaincc", wsp.gammaincc, (2.0, 0.0), (0.0, -1.0, INF), (1, 1, 0)),
    # x = inf: P = 1 for every a
    Edge("special.gammainc", wsp.gammainc, (2.0, INF), (0.0, 0.0, 0.0), (1, 1, 1)),
    Edge("special.gammainc", wsp.gammainc, (2.0, INF), (0.0, 0.0, 0.0), (0, 0, 0)),
    Edge("special.gammaincc", wsp.gammaincc, (0.5, INF), (0.0, 0.0, 0.0), (0, 1, 0)),
    # a = 0 (P = 1 for x > 0, as SciPy): one-sided in a; ∂_a ∂_x P = x^-1 e^-x there
    Edge("special.gammainc", wsp.gammainc, (0.0, 2.0),
         tuple(_mp_gammainc_at_a0(2.0, n) for n in (1, 2, 3)), (0, 0, 0), rtol=1e-11),
    Edge("special.gammainc", wsp.gammainc, (0.0, 0.5),
         tuple(_mp_gammainc_at_a0(0.5, n) for n in (1, 2, 3)), (0, 0, 0), rtol=1e-11),
    Edge("special.gammaincc", wsp.gammaincc, (0.0, 2.0),
         tuple(_mp_gammainc_at_a0(2.0, n, upper=True) for n in (1, 2)), (0, 0), rtol=1e-11),
    Edge("special.gammainc", wsp.gammainc, (0.0, 2.0), (0.0, 0.0, 0.0), (1, 1, 1)),
    Edge("special.gammainc", wsp.gammainc, (0.0, 2.0), (0.0, math.exp(-2.0) / 2), (1, 0),
         rtol=1e-15),
    # ---- I_x(a, b) at x = 0 and x = 1: the same power series (in 1 - x at 1)
    Edge("special.betainc", wsp.betainc, (0.5, 2.0, 0.0), (INF, -INF, INF), (2, 2, 2)),
    Edge("special.betainc", wsp.betainc, (0.5, 2.0, 1.0), (0.0, -0.75, 0.75), (2, 2, 2),
         rtol=1e-15),
    Edge("special.betainc", wsp.betainc, (1.0, 2.0, 0.0), (2.0, -2.0, 0.0), (2, 2, 2)),
    Edge("special.betainc", wsp.betainc, (1.0, 2.0, 1.0), (0.0, -2.0, 0.0), (2, 2, 2)),
    Edge("special.betainc", wsp.betainc, (2.0, 3.0, 0.0), (0.0, 12.0, -48.0), (2, 2, 2)),
    Edge("special.betainc", wsp.betainc, (2.0, 3.0, 1.0), (0.0, 0.0, 24.0), (2, 2, 2)),
    Edge("special.betainc", wsp.betainc, (1.0, 1.0, 0.0), (1.0, 0.0, 0.0), (2, 2, 2)),
    Edge("special.betainc", wsp.betainc, (1.0, 1.0, 1.0), (1.0, 0.0, 0.0), (2, 2, 2)),
    Edge("special.betainc", wsp.betainc, (3.0, 0.5, 0.0), (0.0, 0.0, 1.875), (2, 2, 2),
         rtol=1e-15),
    Edge("special.betainc", wsp.betainc, (3.0, 0.5, 1.0), (INF, INF, INF), (2, 2, 2)),
    Edge("special.betainc", wsp.betainc, (2.0, 1.0, 1.0), (2.0, 2.0, 0.0), (2, 2, 2)),
    Edge("special.betainc", wsp.betainc, (1.5, 1.5, 0.0), (0.0, INF, -INF), (2, 2, 2)),
    Edge("special.betainc", wsp.betainc, (1.5, 1.5, 1.0), (0.0, -INF, -INF), (2, 2, 2)),
    # shape derivatives: I is 0 (1) at x = 0 (1) for all a, b; ∂_a ∂_x ~ log x, ∂_b ∂_x at 1 ~
    # log(1 - x), the others finite (ψ(a + b) - ψ(b) = 1/b at a = 1)
    Edge("special.betainc", wsp.betainc, (1.0, 1.0, 0.0), (0.0, 0.0, 0.0), (0, 1, 0)),
    Edge("special.betainc", wsp.betainc, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (1, 1, 0)),
    Edge("special.betainc", wsp.betainc, (1.0, 1.0, 0.0), (0.0, -INF), (0, 2)),
    Edge("special.betainc", wsp.betainc, (1.0, 2.0, 0.0), (0.0, 1.0), (1, 2)),
    Edge("special.betainc", wsp.betainc, (1.0, 1.0, 1.0), (0.0, 1.0), (0, 2)),
    Edge("special.betainc", wsp.betainc, (1.0, 1.0, 1.0), (0.0, -INF), (1, 2)),
    Edge("special.betainc", wsp.betainc, (0.5, 2.0, 0.0), (0.0, INF), (1, 2)),
    Edge("special.betainc", wsp.betainc, (2.0, 3.0, 0.0), (0.0, 0.0), (0, 2)),
    # ---- gammaln, digamma, polygamma at 1, 2 (closed forms) and at the poles: from the side
    # of a signed zero, and at a negative integer +inf where both sides agree, else NaN
    Edge("special.gammaln", wsp.gammaln, 1.0, (-EULER, PI2_6, -2 * ZETA3), rtol=1e-15),
    Edge("special.gammaln", wsp.gammaln, 2.0, (1 - EULER, PI2_6 - 1, 2 - 2 * ZETA3), rtol=1e-15),
    Edge("special.digamma", wsp.digamma, 1.0, (PI2_6, -2 * ZETA3, math.pi**4 / 15), rtol=1e-15),
    Edge("special.gamma", wsp.gamma, 0.0, (-INF, INF, -INF)),  # Γ(x) ~ 1/x, from each side
    Edge("special.gamma", wsp.gamma, -0.0, (-INF, -INF, -INF)),
    Edge("special.gammaln", wsp.gammaln, 0.0, (-INF, INF, -INF)),
    Edge("special.gammaln", wsp.gammaln, -0.0, (INF, INF, INF)),
    Edge("special.gammaln", wsp.gammaln, -1.0, (NAN, INF, NAN)),
    Edge("special.digamma", wsp.digamma, 0.0, (INF, -INF, INF)),
    Edge("special.digamma", wsp.digamma, -2.0, (INF, NAN, INF)),
    Edge("special.polygamma(1, x)", lambda x: wsp.polygamma(1, x), 0.0, (-INF, INF, -INF)),
    Edge("special.polygamma(1, x)", lambda x: wsp.polygamma(1, x), -0.0, (INF, INF, INF)),
    # 1/Γ at a pole -n where n! overflows: (-1)^n n! (t - ψ(n + 1) t² + …), t = x + n, so
    # the derivatives are (-1)^n (inf, -inf, inf) (mpmath: rgamma'(-1e5) = 2.8e456568); at
    # +inf 1/Γ vanishes faster than any power
    Edge("special.rgamma", wsp.rgamma, -1e5, (INF, -INF, INF)),
    Edge("special.rgamma", wsp.rgamma, -100001.0, (-INF, INF, -INF)),
    Edge("special.rgamma", wsp.rgamma, -1e300, (INF, -INF, INF)),
    Edge("special.rgamma", wsp.rgamma, INF, (0.0, 0.0, 0.0)),
    # ---- the held conventions (docs/numpy.md) to order 3: where x log(y) is held at 0,
    # every derivative is 0; kl_div = rel_entr - x + y there
    Edge("special.xlogy", wsp.xlogy, (0.0, 0.0), (0.0, 0.0, 0.0), (0, 0, 0)),
    Edge("special.xlogy", wsp.xlogy, (0.0, 0.0), (0.0, 0.0, 0.0), (1, 1, 1)),
    Edge("special.xlogy", wsp.xlogy, (0.0, 0.0), (0.0, 0.0, 0.0), (0, 1, 1)),
    Edge("special.xlogy", wsp.xlogy, (1.0, 0.0), (INF, -INF, INF), (1, 1, 1)),
    Edge("special.xlogy", wsp.xlogy, (1.0, 0.0), (-INF, INF), (0, 1)),
    Edge("special.xlog1py", wsp.xlog1py, (0.0, -1.0), (0.0, 0.0, 0.0), (1, 1, 1)),
    Edge("special.xlog1py", wsp.xlog1py, (0.0, -1.0), (0.0, 0.0, 0.0), (0, 1, 0)),
    Edge("special.entr", wsp.entr, 0.0, (0.0, 0.0, 0.0)),
    Edge("special.rel_entr", wsp.rel_entr, (0.0, 1.0), (0.0, 0.0, 0.0), (0, 0, 0)),
    Edge("special.rel_entr", wsp.rel_entr, (0.0, 1.0), (0.0, 0.0, 0.0), (1, 0, 1)),
    Edge("special.rel_entr", wsp.rel_entr, (0.0, 0.0), (0.0, 0.0, 0.0), (0, 1, 1)),
    Edge("special.kl_div", wsp.kl_div, (0.0, 1.0), (-1.0, 0.0, 0.0), (0, 0, 0)),
    Edge("special.kl_div", wsp.kl_div, (0.0, 1.0), (1.0, 0.0, 0.0), (1, 1, 1)),
    Edge("special.kl_div", wsp.kl_div, (0.0, 0.0), (-1.0, 0.0), (0, 1)),
    # ---- x log(x / y) at the infinities and at y = 0: the limits of ∂_x = log(x / y) + 1,
    # ∂²_x = 1/x, ∂_y = -x/y, ∂²_y = x/y², ∂_x ∂_y = -1/y (x · log'(x) is inf/inf at x = inf;
    # y = 0 was held at inf with derivative 0); NaN where the value is (SciPy's inf - inf)
    Edge("special.rel_entr", wsp.rel_entr, (INF, 2.0), (INF, 0.0, 0.0), (0, 0, 0)),
    Edge("special.rel_entr", wsp.rel_entr, (INF, 2.0), (-INF, INF, -INF), (1, 1, 1)),
    Edge("special.rel_entr", wsp.rel_entr, (INF, 2.0), (INF, -0.5), (0, 1)),
    Edge("special.rel_entr", wsp.rel_entr, (2.0, INF), (-INF, 0.5, -0.25), (0, 0, 0)),
    Edge("special.rel_entr", wsp.rel_entr, (2.0, INF), (0.0, 0.0, 0.0), (1, 1, 1)),
    Edge("special.rel_entr", wsp.rel_entr, (2.0, INF), (-INF, 0.0), (0, 1)),
    Edge("special.rel_entr", wsp.rel_entr, (2.0, 0.0), (INF, 0.5, -0.25), (0, 0, 0)),
    Edge("special.rel_entr", wsp.rel_entr, (2.0, 0.0), (-INF, INF, -INF), (1, 1, 1)),
    Edge("special.rel_entr", wsp.rel_entr, (2.0, 0.0), (INF, -INF), (0, 1)),
    Edge("special.rel_entr", wsp.rel_entr, (INF, INF), (NAN, NAN, NAN), (0, 0, 0)),
    Edge("special.rel_entr", wsp.rel_entr, (INF, INF), (NAN, NAN, NAN), (1, 1, 0)),
    Edge("special.kl_div", wsp.kl_div, (2.0, 0.0), (INF, 0.5, -0.25), (0, 0, 0)),
    Edge("special.kl_div", wsp.kl_div, (2.0, 0.0), (-INF, INF, -INF), (1, 1, 1)),
    Edge("special.kl_div", wsp.kl_div, (INF, 0.0), (INF, 0.0, 0.0), (0, 0, 0)),
    Edge("special.kl_div", wsp.kl_div, (INF, 2.0), (NAN, NAN, NAN), (0, 0, 0)),
    Edge("special.kl_div", wsp.kl_div, (2.0, INF), (NAN, NAN, NAN), (1, 1, 1)),
    Edge("special.kl_div", wsp.kl_div, (2.0, INF), (NAN, NAN), (0, 1)),
    # x log x at tiny x: the formula ∂_x = log x + 1 (x · (1/x) made x · 2/x³ at the third
    # order, inf at 1e-120 and NaN at 1e-160)
    Edge("special.entr", wsp.entr, 1e-120, (-math.log(1e-120) - 1, -1e120, 1e240), rtol=1e-15),
    Edge("special.entr", wsp.entr, 1e-160, (-math.log(1e-160) - 1, -1e160, INF), rtol=1e-15),
    Edge("special.entr", wsp.entr, INF, (-INF, 0.0, 0.0)),
    Edge("special.rel_entr", wsp.rel_entr, (1e-120, 1.0), (math.log(1e-120) + 1, 1e120, -1e240),
         (0, 0, 0), rtol=1e-15),
    Edge("special.kl_div", wsp.kl_div, (1e-120, 1.0), (math.log(1e-120), 1e120, -1e240),
         (0, 0, 0), rtol=1e-15),
    # (y's tangent a zero array in Taylor mode: 0 * x/y³ must not be NaN)
    Edge("special.rel_entr", wsp.rel_entr, (1e-300, 1e10), (math.log(1e-310) + 1, 1e300, -INF),
         (0, 0, 0), rtol=1e-15),
    Edge("special.rel_entr", wsp.rel_entr, (1e10, 1e-300), (-INF, INF, -INF), (1, 1, 1)),
    # ---- Γ where it overflows: every derivative +inf (Γ'' at inf was inf + inf · 0, the
    # third from 172 on inf - inf)
    Edge("special.gamma", wsp.gamma, INF, (INF, INF, INF)),
    Edge("special.gamma", wsp.gamma, 172.0, (INF, INF, INF)),
    Edge("special.gamma", wsp.gamma, 1e20, (INF, INF, INF)),
    Edge("special.gamma", wsp.gamma, 170.5,
         (2.8565793548542185e+306, 1.4674091714060939e+307, 7.539678591970367e+307), rtol=1e-12),
    # 1/Γ between the poles where Γ(1 - x) overflows: mpmath's values, inf in float64 (they
    # were inf - inf: sin'(πx) Γ(1 - x) + sin(πx) Γ'(1 - x), cos(π/2) rounding to 6e-17)
    Edge("special.rgamma", wsp.rgamma, -171.5, (-INF, INF, INF)),
    Edge("special.rgamma", wsp.rgamma, -171.25, (-INF, INF, -INF)),
    Edge("special.rgamma", wsp.rgamma, -200.7, (INF, INF, -INF)),
    Edge("special.rgamma", wsp.rgamma, -100000.5, (INF, -INF, INF)),
    Edge("special.rgamma", wsp.rgamma, -170.5, (1.5520885200916567e+308, -INF, -INF),
         rtol=1e-12),
    # SciPy's iv is NaN at subnormal x (0 at 1e-305 for order 1): I_v's first term there
    Edge("special.i0", wsp.i0, 1e-310, (5e-311, 0.5, 3.75e-311), rtol=1e-12),
    Edge("special.i1", wsp.i1, 1e-310, (0.5, 3.75e-311, 0.375), rtol=1e-12),
    Edge("special.iv(2, x)", lambda x: wsp.iv(2.0, x), 1e-310, (2.5e-311, 0.25, 2.5e-311),
         rtol=1e-12),
    # Y and K e^x near 0: the limits of the dominant term (Y_0 ~ (2/π) log x, Y_1 ~ -2/(πx),
    # K_0 e^x ~ -log x, K_1 e^x ~ 1/x); the recurrences' Y_{v-1} - Y_{v+1} was inf - inf
    Edge("special.y0", wsp.y0, 5e-324, (INF, -INF, INF)),
    Edge("special.y1", wsp.y1, 1e-200, (INF, -INF, INF)),
    Edge("special.k0e", wsp.k0e, 1e-300, (-1e300, INF, -INF), rtol=1e-12),
    Edge("special.k1e", wsp.k1e, 1e-300, (-INF, INF, -INF)),
    Edge("special.kve(2.5, x)", lambda x: wsp.kve(2.5, x), 1e-120, (-INF, INF, -INF)),
]
# fmt: on


def _path_derivatives(fn, x, path, simplify=True):
    """Derivatives of orders 1 … len(path) of a scalar-valued ``fn``, differentiating in
    argument ``path[i]`` at order ``i + 1``."""
    args = x if isinstance(x, tuple) else (x,)
    out, d = [], fn
    for argnum in path:
        d = wire.grad(d, argnums=argnum, simplify=simplify)
        out.append(float(d(*args)))
    return out


def _scalar_derivatives(fn, x, n, argnums=0, simplify=True):
    """Derivatives of orders 1..n of a scalar-valued ``fn`` in argument ``argnums``."""
    return _path_derivatives(fn, x, (argnums,) * n, simplify)


@pytest.mark.parametrize("case", EDGES, ids=lambda c: f"{c.name}@{c.point}#{c.path}")
def test_derivatives_at_domain_edges(case):
    with np.errstate(all="ignore"):
        got = _path_derivatives(case.fn, case.point, case.path or (0,) * len(case.want))
    assert len(got) == len(case.want)
    bad = [(k + 1, g, w) for k, (g, w) in enumerate(zip(got, case.want))
           if not _close(g, w, case.rtol, atol=0.0)]
    assert not bad, f"(order, wire, want): {bad}"


# The same limits in float32 (orders 1-3 along ``path``): mpmath's derivatives rounded to
# float32, whose overflow comes far sooner (Γ from 35.04 on, 1/Γ below -34)
_EDGES_FLOAT32 = [
    ("special.gamma", wsp.gamma, (INF,), (0, 0, 0), (INF, INF, INF)),
    ("special.gamma", wsp.gamma, (40.0,), (0, 0, 0), (INF, INF, INF)),
    ("special.gamma", wsp.gamma, (1e30,), (0, 0, 0), (INF, INF, INF)),
    ("special.rgamma", wsp.rgamma, (-40.5,), (0, 0, 0), (INF, -INF, -INF)),
    ("special.rgamma", wsp.rgamma, (-45.3,), (0, 0, 0), (-INF, INF, -INF)),
    ("special.rgamma", wsp.rgamma, (-33.7,), (0, 0, 0), (-3.2886087e37, -INF, INF)),
    ("special.rel_entr", wsp.rel_entr, (INF, 2.0), (0, 0, 0), (INF, 0.0, 0.0)),
    ("special.rel_entr", wsp.rel_entr, (INF, 2.0), (1, 1, 1), (-INF, INF, -INF)),
    ("special.rel_entr", wsp.rel_entr, (2.0, 0.0), (0, 1, 1), (INF, -INF, INF)),
    ("special.rel_entr", wsp.rel_entr, (INF, INF), (0, 1, 0), (NAN, NAN, NAN)),
    ("special.kl_div", wsp.kl_div, (INF, 2.0), (0, 0, 1), (NAN, NAN, NAN)),
    ("special.entr", wsp.entr, (1e-30,), (0, 0, 0), (68.07755, -1e30, INF)),
]


@pytest.mark.parametrize("name, fn, point, path, want", _EDGES_FLOAT32,
                         ids=[f"{c[0]}@{c[2]}#{c[3]}" for c in _EDGES_FLOAT32])
def test_derivatives_at_domain_edges_float32(name, fn, point, path, want):
    args = tuple(np.float32(p) for p in point)
    with np.errstate(all="ignore"):
        got, d = [], fn
        for argnum in path:
            d = wire.grad(d, argnums=argnum)
            out = np.asarray(d(*args))
            assert out.dtype == np.float32, (name, out.dtype)
            got.append(float(out))
    bad = [(k + 1, g, w) for k, (g, w) in enumerate(zip(got, want))
           if not _close(g, w, 1e-6, atol=0.0)]
    assert not bad, f"(order, wire, want): {bad}"


# Second derivatives at the edges by the forward routes as well, in float32 too: the rules'
# graphs met 0 * inf there (arccosh's sqrt(x - 1) * sqrt(x + 1), cbrt's 3 cbrt(x)**2)
_EDGE_SECOND = [
    ("arccosh", wnp.arccosh, 1.0, -INF),
    ("arccosh", wnp.arccosh, INF, 0.0),
    ("cbrt", wnp.cbrt, 0.0, -INF),
    ("cbrt", wnp.cbrt, -0.0, INF),
    ("sqrt", wnp.sqrt, 0.0, -INF),
    ("log", wnp.log, 0.0, -INF),
    ("log", wnp.log, -0.0, -INF),
    ("arcsin", wnp.arcsin, 1.0, INF),
    ("arctanh", wnp.arctanh, -1.0, -INF),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, fn, x, want", _EDGE_SECOND,
                         ids=[f"{c[0]}@{c[2]}" for c in _EDGE_SECOND])
def test_second_derivative_at_domain_edges_by_every_route(name, fn, x, want, dtype):
    a = dtype(x)
    routes = {
        "grad(grad)": wire.grad(wire.grad(fn)),
        "jacfwd(grad)": wire.jacfwd(wire.grad(fn)),
        "hessian": wire.hessian(fn),
        "jit(grad(grad))": wire.jit(wire.grad(wire.grad(fn))),
        "jvp(jvp)": lambda v: wire.jvp(lambda u: wire.jvp(fn, (u,), (dtype(1),))[1],
                                       (v,), (dtype(1),))[1],
    }
    with np.errstate(all="ignore"):
        got = {r: float(np.asarray(d(a))) for r, d in routes.items()}
    assert all(g == want for g in got.values()), got


# Where the function is NaN (outside its domain), so is every derivative: the formulas
# (1/x, 1/(1 - x²) …) are finite there and gave log'(-1) = -1, arctanh'(2) = -1/3
_OUTSIDE = [
    ("log", wnp.log, (-1.0, -INF, -1e-30)),
    ("log2", wnp.log2, (-1.0, -2.5)),
    ("log10", wnp.log10, (-1.0,)),
    ("log1p", wnp.log1p, (-3.0, -1.5, -INF)),
    ("arctanh", wnp.arctanh, (2.0, -2.0, INF)),
    ("arcsin", wnp.arcsin, (2.0, -1.5)),
    ("arccos", wnp.arccos, (2.0,)),
    ("arccosh", wnp.arccosh, (0.5, -1.0, -2.0, -INF)),
    ("sqrt", wnp.sqrt, (-1.0, -1e-30, -INF)),
    ("power (x ** 0.5)", lambda x: x**0.5, (-1.0,)),
    ("special.logit", wsp.logit, (2.0, -1.0, INF)),
    ("x * log(x)", lambda x: x * wnp.log(x), (-1.0,)),
    # a NaN held by where: its derivatives were 0 (gamma's third at a pole, loggamma's first)
    ("special.gamma", wsp.gamma, (-2.0, -1.0, -INF)),
    ("special.loggamma", wsp.loggamma, (-0.5, -2.0)),
    ("special.erfcinv", wsp.erfcinv, (-1.0, 3.0, INF)),
    ("special.exp1", wsp.exp1, (-1.0, -0.5)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, fn, points", _OUTSIDE, ids=[c[0] for c in _OUTSIDE])
def test_derivatives_outside_the_domain_are_nan(name, fn, points, dtype):
    with np.errstate(all="ignore"):
        for x in points:
            a = dtype(x)
            assert np.isnan(fn(a)), (name, x)
            got = [float(d(a)) for d in (wire.grad(fn), wire.grad(wire.grad(fn)),
                                         wire.grad(wire.grad(wire.grad(fn))),
                                         wire.jacfwd(wire.grad(fn)))]
            assert all(np.isnan(g) for g in got), (name, x, got)


# --------------------------------------------------------------------------- kinks

S_ALPHA, S_SCALE = _SELU_ALPHA, _SELU_SCALE


@dataclass(frozen=True)
class Kink:
    """At a genuine kink, wire's chosen derivative ``chosen`` (or ``None`` when another
    issue decides it) lies between the one-sided derivatives ``sides = (left, right)``.
    ``sides=None``: a value held by definition (``xlogy(0, 0) = 0``) where the one-sided
    derivative is infinite; wire documents 0 there."""

    name: str
    fn: object
    point: tuple
    argnum: int
    order: int
    chosen: float | None
    sides: tuple | None


# fmt: off
KINKS = [
    Kink("abs", wnp.abs, (0.0,), 0, 1, 0.0, (-1.0, 1.0)),
    Kink("absolute", wnp.absolute, (0.0,), 0, 1, 0.0, (-1.0, 1.0)),
    Kink("fabs", wnp.fabs, (0.0,), 0, 1, 0.0, (-1.0, 1.0)),
    Kink("modf", lambda x: wnp.modf(x)[0], (2.0,), 0, 1, 1.0, (1.0, 1.0)),  # a jump
    Kink("modf", lambda x: wnp.modf(x)[0], (-3.0,), 0, 1, 1.0, (1.0, 1.0)),
    Kink("interp", lambda x: wnp.interp(x, np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 0.0])),
         (1.0,), 0, 1, -1.0, (2.0, -1.0)),
    Kink("interp", lambda x: wnp.interp(x, np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 0.0])),
         (3.0,), 0, 1, -1.0, (-1.0, 0.0)),
    Kink("sign", wnp.sign, (0.0,), 0, 1, 0.0, (0.0, 0.0)),
    Kink("floor", wnp.floor, (1.0,), 0, 1, 0.0, (0.0, 0.0)),
    Kink("ceil", wnp.ceil, (1.0,), 0, 1, 0.0, (0.0, 0.0)),
    Kink("round", wnp.round, (0.5,), 0, 1, 0.0, (0.0, 0.0)),
    Kink("around", wnp.around, (1.5,), 0, 1, 0.0, (0.0, 0.0)),
    Kink("rint", wnp.rint, (0.5,), 0, 1, 0.0, (0.0, 0.0)),
    Kink("trunc", wnp.trunc, (1.0,), 0, 1, 0.0, (0.0, 0.0)),
    Kink("fix", wnp.fix, (-1.0,), 0, 1, 0.0, (0.0, 0.0)),
    Kink("heaviside", wnp.heaviside, (0.0, 0.5), 0, 1, 0.0, (0.0, 0.0)),
    # steps of the floating-point grid, documented with zero derivative as floor's
    Kink("nextafter", lambda x: wnp.nextafter(x, 2.0), (1.0,), 0, 1, 0.0, (0.0, 0.0)),
    Kink("spacing", wnp.spacing, (1.0,), 0, 1, 0.0, (0.0, 0.0)),
    Kink("heaviside", wnp.heaviside, (0.0, 0.5), 1, 1, 1.0, (1.0, 1.0)),
    Kink("maximum", wnp.maximum, (0.4, 0.4), 0, 1, 0.5, (0.0, 1.0)),
    Kink("maximum", wnp.maximum, (0.4, 0.4), 1, 1, 0.5, (0.0, 1.0)),
    Kink("minimum", wnp.minimum, (0.4, 0.4), 0, 1, 0.5, (1.0, 0.0)),
    Kink("fmax", wnp.fmax, (0.0, 0.0), 0, 1, 0.5, (0.0, 1.0)),
    Kink("fmin", wnp.fmin, (0.0, 0.0), 1, 1, 0.5, (1.0, 0.0)),
    Kink("clip", lambda x: wnp.clip(x, -1.0, 2.0), (-1.0,), 0, 1, 0.5, (0.0, 1.0)),
    Kink("clip", lambda x: wnp.clip(x, -1.0, 2.0), (2.0,), 0, 1, 0.5, (1.0, 0.0)),
    Kink("hypot", wnp.hypot, (0.0, 0.0), 0, 1, 0.0, (-1.0, 1.0)),
    Kink("hypot", wnp.hypot, (0.0, 0.0), 1, 1, 0.0, (-1.0, 1.0)),
    Kink("copysign", wnp.copysign, (0.0, 1.0), 0, 1, 0.0, (-1.0, 1.0)),
    Kink("mod", wnp.mod, (2.0, 2.0), 1, 1, -1.0, (-1.0, 0.0)),
    Kink("fmod", wnp.fmod, (2.0, 2.0), 1, 1, -1.0, (-1.0, 0.0)),
    Kink("nn.relu", nn.relu, (0.0,), 0, 1, 0.0, (0.0, 1.0)),
    Kink("nn.relu6", nn.relu6, (0.0,), 0, 1, None, (0.0, 1.0)),
    Kink("nn.relu6", nn.relu6, (6.0,), 0, 1, None, (1.0, 0.0)),
    Kink("nn.leaky_relu", nn.leaky_relu, (0.0,), 0, 1, 1.0, (0.01, 1.0)),
    Kink("nn.elu", nn.elu, (0.0,), 0, 1, 1.0, (1.0, 1.0)),
    Kink("nn.elu", nn.elu, (0.0,), 0, 2, 1.0, (1.0, 0.0)),
    Kink("nn.elu(alpha=2)", lambda x: nn.elu(x, 2.0), (0.0,), 0, 1, 2.0, (2.0, 1.0)),
    Kink("nn.selu", nn.selu, (0.0,), 0, 1, S_SCALE * S_ALPHA, (S_SCALE * S_ALPHA, S_SCALE)),
    Kink("nn.huber", lambda p: nn.huber(wnp.reshape(p, (1,)), np.zeros(1)), (1.0,), 0, 1, 1.0,
         (1.0, 1.0)),
    Kink("nn.huber", lambda p: nn.huber(wnp.reshape(p, (1,)), np.zeros(1)), (1.0,), 0, 2, 1.0,
         (1.0, 0.0)),
    # held values where the function's one-sided derivative is infinite or undefined
    Kink("special.xlogy", wsp.xlogy, (0.0, 0.0), 0, 1, 0.0, None),
    Kink("special.xlog1py", wsp.xlog1py, (0.0, -1.0), 0, 1, 0.0, None),
    Kink("special.entr", wsp.entr, (0.0,), 0, 1, 0.0, None),
    Kink("special.rel_entr", wsp.rel_entr, (0.0, 1.0), 0, 1, 0.0, None),
]
# fmt: on


@pytest.mark.parametrize("case", KINKS, ids=lambda c: f"{c.name}@{c.point}#{c.argnum}d{c.order}")
def test_derivative_chosen_at_kinks(case):
    with np.errstate(all="ignore"):
        got = float(_scalar_derivatives(case.fn, case.point, case.order, case.argnum)[-1])
    if case.chosen is not None:
        assert got == case.chosen
    if case.sides is not None:
        lo, hi = sorted(case.sides)
        assert lo <= got <= hi


# --------------------------------------------------------------------------- reductions


@dataclass(frozen=True)
class Red:
    """A non-elementwise function, smooth at ``points`` (tuples of array arguments); checked
    along a fixed direction in each floating argument. ``ref`` takes object arrays of mpf."""

    name: str
    fn: object
    ref: object
    points: tuple
    argnums: tuple = (0,)
    rtol: float = 1e-9


def _pattern(shape, lo, hi):
    n = int(np.prod(shape, dtype=np.int64))
    v = np.linspace(lo, hi, max(n, 1))[:n] * np.where(np.arange(n) % 3 == 2, -1.0, 1.0)
    return v.reshape(shape)


def _direction(shape):
    return _pattern(shape, 0.3, 1.1)


def _weights(shape):
    return _pattern(shape, 1.0, 0.4) if shape else np.float64(1.0)


def _mpf_array(a):
    a = np.asarray(a, dtype=np.float64)
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = mpmath.mpf(float(a[idx]))
    return out


def _mp_weighted(ref, args, i, w, v):
    base = [_mpf_array(a) for a in args]
    vv = _mpf_array(v)
    ww = _mpf_array(w)

    def g(t):
        a = list(base)
        a[i] = base[i] + t * vv
        out = ref(*a)
        out = np.asarray(out, dtype=object)
        return sum((ww * out).ravel()) if out.shape else ww * out[()]

    return g


def _reduction_failures(case: Red):
    bad = []
    for point in case.points:
        args = [np.asarray(a, dtype=np.float64) for a in point]
        out_shape = np.shape(case.fn(*args))
        w = _weights(out_shape)
        for i in case.argnums:
            v = _direction(args[i].shape)

            def g(t, i=i, v=v, args=args, w=w):
                a = list(args)
                a[i] = args[i] + t * v
                return wnp.sum(case.fn(*a) * w)

            # unsimplified graphs, 7x faster to build; the elementwise table above runs the
            # default (simplified) pipeline, where rewrites of scalar formulas would show
            got = _scalar_derivatives(g, 0.0, len(ORDERS), simplify=False)
            with mpmath.workdps(DPS):
                gm = _mp_weighted(case.ref, args, i, w, v)
                want = [float(mpmath.re(mpmath.diff(gm, 0, k))) for k in ORDERS]
            for k, gk, wk in zip(ORDERS, got, want):
                if not _close(float(gk), wk, case.rtol):
                    bad.append(f"d{k} along arg {i} at {point}: wire {float(gk)!r}, mpmath {wk!r}")
    return bad


def _ew(f):
    return np.frompyfunc(f, 1, 1)


_mexp, _mlog, _msqrt = _ew(mpmath.exp), _ew(mpmath.log), _ew(mpmath.sqrt)


def _mp_var(a, axis=None, ddof=0):
    m = np.sum(a, axis=axis, keepdims=True) / (a.size if axis is None else a.shape[axis])
    n = a.size if axis is None else a.shape[axis]
    return np.sum((a - m) ** 2, axis=axis) / (n - ddof)


def _mp_lse(a):
    return mpmath.log(np.sum(_mexp(a)))


def _mp_softmax(a):
    e = _mexp(a)
    return e / np.sum(e)


def _mp_median3(a):
    return sorted(a.ravel())[1]


def _mp_quantile(a, q):
    s = sorted(a.ravel())
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _mp_interp(x, xp, fp):
    out = []
    for v in x:
        if v <= xp[0]:
            out.append(fp[0])
        elif v >= xp[-1]:
            out.append(fp[-1])
        else:
            j = max(k for k in range(len(xp) - 1) if xp[k] <= v)
            out.append(fp[j] + (fp[j + 1] - fp[j]) * (v - xp[j]) / (xp[j + 1] - xp[j]))
    return np.array(out, dtype=object)


def _mp_line_fit(x, y):
    n = len(x)
    sx, sy, sxx, sxy = sum(x), sum(y), sum(x * x), sum(x * y)
    slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    return np.array([slope, (sy - slope * sx) / n], dtype=object)


def _mp_matrix(a):
    return mpmath.matrix(a.tolist())


def _mp_lower_mirror(a):
    """The symmetric matrix NumPy's cholesky/eigh read from the lower triangle of ``a``."""
    return _mp_matrix(np.tril(a) + np.tril(a, -1).T)


def _mp_to_array(m):
    return np.array(m.tolist(), dtype=object)


def _mp_convolve(a, v):
    n, m = len(a), len(v)
    return np.array([sum(a[j] * v[k - j] for j in range(n) if 0 <= k - j < m)
                     for k in range(n + m - 1)], dtype=object)


def _mp_corrcoef(a):
    c = np.empty((a.shape[0], a.shape[0]), dtype=object)
    cent = a - (np.sum(a, axis=1, keepdims=True) / a.shape[1])
    for i in range(a.shape[0]):
        for j in range(a.shape[0]):
            c[i, j] = np.sum(cent[i] * cent[j])
    d = np.array([mpmath.sqrt(c[i, i]) for i in range(a.shape[0])], dtype=object)
    return c / d[:, None] / d[None, :]


V3 = ([0.0, 1.0, 2.0],)
ZEROS = (([0.0, 0.0, 2.0],), ([0.0, 3.0, -1.5],), ([2.0, -1.0, 0.5],), ([1.0, 1.0, 1.0],))
TIED = (([0.0, 0.0, 0.0],), ([1.0, 1.0, -1.0],), ([0.0, 1.0, 2.0],))
NO_TIES = (([3.0, 1.0, 2.0],), ([-1.0, 0.0, 1.0],))
M2 = ([[2.0, 1.0], [1.0, 3.0]],)
SPD = (M2, ([[1.0, 0.0], [0.0, 1.0]],))
_LOGITS = [[0.0, 0.0, 0.0], [1.0, 1.0, -1.0]]

# square matrices with distinct real eigenvalues (symmetric, triangular, one of them 0) and a
# complex pair (whose real parts stay tied)
GENERAL = (M2, ([[2.0, 1.0], [0.0, 3.0]],), ([[1.0, 1.0], [1.0, 1.0]],), ([[0.0, -2.0], [1.0, 0.0]],))
SPD4 = (([[4.0, 1.0, 0.0, 0.5], [1.0, 3.0, 0.0, 0.0], [0.0, 0.0, 2.0, -1.0], [0.5, 0.0, -1.0, 5.0]],),
        (np.eye(4).tolist(),))


def _sorted_parts(z):
    """Eigenvalues (in LAPACK's order) as sorted real parts, then sorted imaginary parts:
    smooth wherever the eigenvalues are distinct (a complex pair's real parts stay tied)."""
    return wnp.concatenate([wnp.sort(wnp.real(z)), wnp.sort(wnp.imag(z))])


def _mp_sorted_parts(values):
    return np.array(sorted(mpmath.re(e) for e in values) + sorted(mpmath.im(e) for e in values),
                    dtype=object)


# fmt: off
REDUCTIONS = [
    Red("sum", wnp.sum, np.sum, ZEROS),
    Red("nansum", wnp.nansum, np.sum, ZEROS),
    Red("mean", wnp.mean, lambda a: np.sum(a) / a.size, ZEROS),
    Red("nanmean", wnp.nanmean, lambda a: np.sum(a) / a.size, ZEROS),
    Red("average", lambda a: wnp.average(a, weights=np.array([1.0, 2.0, 3.0])),
        lambda a: np.sum(a * np.array([1, 2, 3])) / 6, ZEROS),
    Red("prod", wnp.prod, np.prod, ZEROS + (([0.0, 0.0, 0.0],),)),
    Red("nanprod", wnp.nanprod, np.prod, ZEROS),
    Red("prod(axis=1)", lambda a: wnp.prod(a, axis=1), lambda a: np.prod(a, axis=1),
        (([[0.0, 2.0], [0.0, 0.0], [1.5, -1.0]],),)),
    Red("var", wnp.var, _mp_var, TIED),
    Red("var(ddof=1)", lambda a: wnp.var(a, ddof=1), lambda a: _mp_var(a, ddof=1), TIED),
    Red("nanvar", wnp.nanvar, _mp_var, TIED),
    Red("std", wnp.std, lambda a: mpmath.sqrt(_mp_var(a)), (([0.0, 1.0, 2.0],), ([1.0, 1.0, -1.0],))),
    Red("nanstd", wnp.nanstd, lambda a: mpmath.sqrt(_mp_var(a)), (([0.0, 1.0, 2.0],),)),
    Red("std (one value)", wnp.std, lambda a: 0 * a[0], (([2.0],), ([0.0],))),
    Red("cumsum", wnp.cumsum, np.cumsum, ZEROS),
    Red("nancumsum", wnp.nancumsum, np.cumsum, ZEROS),
    Red("cumulative_sum", wnp.cumulative_sum, np.cumsum, ZEROS),
    Red("cumprod", wnp.cumprod, np.cumprod, ZEROS + (([0.0, 2.0, 0.0, 3.0],),)),
    Red("nancumprod", wnp.nancumprod, np.cumprod, ZEROS),
    Red("cumulative_prod", wnp.cumulative_prod, np.cumprod, ZEROS),
    Red("max (no tie)", wnp.max, max, NO_TIES), Red("amax (no tie)", wnp.amax, max, NO_TIES),
    Red("min (no tie)", wnp.min, min, NO_TIES), Red("amin (no tie)", wnp.amin, min, NO_TIES),
    Red("nanmax (no tie)", wnp.nanmax, max, NO_TIES), Red("nanmin (no tie)", wnp.nanmin, min, NO_TIES),
    Red("ptp (no tie)", wnp.ptp, lambda a: max(a) - min(a), NO_TIES),
    Red("sort (no tie)", wnp.sort, lambda a: np.array(sorted(a), dtype=object), NO_TIES),
    Red("median (no tie)", wnp.median, _mp_median3, NO_TIES),
    Red("nanmedian (no tie)", wnp.nanmedian, _mp_median3, NO_TIES),
    Red("quantile (no tie)", lambda a: wnp.quantile(a, 0.3), lambda a: _mp_quantile(a, 0.3), NO_TIES),
    Red("percentile (no tie)", lambda a: wnp.percentile(a, 30.0), lambda a: _mp_quantile(a, 0.3),
        NO_TIES),
    Red("diff", wnp.diff, np.diff, ZEROS),
    Red("ediff1d", wnp.ediff1d, np.diff, ZEROS),
    Red("gradient", wnp.gradient,
        lambda a: np.array([a[1] - a[0], (a[2] - a[0]) / 2, (a[3] - a[1]) / 2, a[3] - a[2]]),
        (([0.0, 1.0, 4.0, 2.0],),)),
    Red("trapezoid", wnp.trapezoid, lambda a: (a[0] + 2 * a[1] + a[2]) / 2, ZEROS),
    Red("convolve", wnp.convolve, _mp_convolve, (([0.0, 1.0, 2.0], [1.0, 0.0]),), argnums=(0, 1)),
    Red("correlate", lambda a, v: wnp.correlate(a, v, "full"),
        lambda a, v: _mp_convolve(a, v[::-1]), (([0.0, 1.0, 2.0], [1.0, 0.5]),), argnums=(0, 1)),
    Red("cov", wnp.cov, lambda a: _mp_var(a, axis=None, ddof=1), (([0.0, 1.0, 2.0],), ([1.0, 1.0, 0.0],))),
    Red("corrcoef", wnp.corrcoef, _mp_corrcoef, (([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0]],),)),
    Red("dot", wnp.dot, lambda a, b: np.dot(a, b), (([0.0, 1.0], [0.0, 0.0]),), argnums=(0, 1)),
    Red("vdot", wnp.vdot, lambda a, b: np.dot(a, b), (([0.0, 1.0], [1.0, 1.0]),), argnums=(0, 1)),
    Red("inner", wnp.inner, lambda a, b: np.dot(a, b), (([0.0, 1.0], [1.0, 1.0]),), argnums=(0, 1)),
    Red("outer", wnp.outer, np.outer, (([0.0, 1.0], [1.0, 0.0]),), argnums=(0, 1)),
    Red("kron", wnp.kron, np.kron, (([0.0, 1.0], [1.0, 2.0]),), argnums=(0, 1)),
    Red("cross", wnp.cross, np.cross, (([0.0, 1.0, 0.0], [1.0, 0.0, 0.0]),), argnums=(0, 1)),
    Red("matmul", wnp.matmul, lambda a, b: np.dot(a, b), (M2 + M2,), argnums=(0, 1)),
    Red("tensordot", lambda a, b: wnp.tensordot(a, b, 1), lambda a, b: np.dot(a, b), (M2 + M2,),
        argnums=(0, 1)),
    Red("einsum", lambda a, b: wnp.einsum("ij,jk->ik", a, b), lambda a, b: np.dot(a, b),
        (M2 + M2,), argnums=(0, 1)),
    Red("trace", wnp.trace, lambda a: a[0, 0] + a[1, 1], M2 and (M2,)),
    Red("linspace", lambda a, b: wnp.linspace(a, b, 4),
        lambda a, b: np.array([a + (b - a) * k / 3 for k in range(4)], dtype=object),
        ((0.0, 1.0), (-1.0, -1.0)), argnums=(0, 1)),
    Red("logspace", lambda a, b: wnp.logspace(a, b, 3),
        lambda a, b: np.array([10 ** (a + (b - a) * k / 2) for k in range(3)], dtype=object),
        ((0.0, 1.0),), argnums=(0, 1)),
    Red("geomspace", lambda a, b: wnp.geomspace(a, b, 3),
        lambda a, b: np.array([a * (b / a) ** (mpmath.mpf(k) / 2) for k in range(3)], dtype=object),
        ((1.0, 4.0), (2.0, 2.0)), argnums=(0, 1)),
    Red("interp", lambda x, xp, fp: wnp.interp(x, xp, fp), _mp_interp,
        (([0.5, 2.0, -1.0, 4.0], [0.0, 1.0, 3.0], [1.0, 2.0, 0.0]),), argnums=(0, 1, 2)),
    Red("partition", lambda a: wnp.partition(a, 1), lambda a: np.array(sorted(a), dtype=object),
        NO_TIES),
    Red("nanquantile", lambda a: wnp.nanquantile(a, 0.3), lambda a: _mp_quantile(a, 0.3), NO_TIES),
    Red("nanpercentile", lambda a: wnp.nanpercentile(a, 30.0), lambda a: _mp_quantile(a, 0.3),
        NO_TIES),
    Red("polyval", wnp.polyval, lambda p, x: np.array([p[0] * v * v + p[1] * v + p[2] for v in x],
                                                      dtype=object),
        (([1.0, 0.0, -2.0], [0.0, 1.0, -1.5]),), argnums=(0, 1)),
    Red("polydiv", lambda u, v: wnp.polydiv(u, v)[0],
        lambda u, v: np.array([u[0] / v[0], (u[1] - u[0] / v[0] * v[1]) / v[0]], dtype=object),
        (([1.0, 3.0, 2.0], [1.0, 1.0]), ([2.0, 0.0, 0.0], [1.0, -1.0])), argnums=(0, 1)),
    Red("poly", wnp.poly, lambda r: np.array([1, -(r[0] + r[1]), r[0] * r[1]], dtype=object),
        (([0.0, 0.0],), ([1.0, -2.0],))),
    Red("polyfit", lambda x, y: wnp.polyfit(x, y, 1), _mp_line_fit,
        (([0.0, 1.0, 2.0], [1.0, 0.0, 4.0]),), argnums=(0, 1)),
    Red("vander", lambda x: wnp.vander(x, 3), lambda x: np.array([[v * v, v, 1] for v in x],
                                                                 dtype=object), ZEROS),
    Red("special.logsumexp", wsp.logsumexp, _mp_lse, TIED),
    Red("special.logsumexp(b=...)", lambda a: wsp.logsumexp(a, b=np.array([1.0, 2.0, 0.5])),
        lambda a: mpmath.log(np.sum(_mexp(a) * np.array([1, 2, 0.5]))), TIED),
    Red("special.softmax", wsp.softmax, _mp_softmax, TIED),
    Red("special.log_softmax", wsp.log_softmax, lambda a: a - _mp_lse(a), TIED),
    Red("nn.logsumexp", nn.logsumexp, _mp_lse, TIED),
    Red("nn.softmax", nn.softmax, _mp_softmax, TIED),
    Red("nn.log_softmax", nn.log_softmax, lambda a: a - _mp_lse(a), TIED),
    Red("nn.softmax_cross_entropy", lambda z: nn.softmax_cross_entropy(z, np.array([1, 0])),
        lambda z: -((z[0, 1] - _mp_lse(z[0])) + (z[1, 0] - _mp_lse(z[1]))) / 2, ((_LOGITS,),)),
    Red("nn.softmax_cross_entropy_onehot",
        lambda z: nn.softmax_cross_entropy_onehot(z, np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])),
        lambda z: -((z[0, 1] - _mp_lse(z[0])) + (z[1, 0] + z[1, 1]) / 2 - _mp_lse(z[1])) / 2,
        ((_LOGITS,),)),
    Red("nn.l2_norm_squared", nn.l2_norm_squared, lambda a: np.sum(a * a), ZEROS),
    Red("linalg.det", wnp.linalg.det, lambda a: mpmath.det(_mp_matrix(a)),
        SPD),
    Red("linalg.slogdet", lambda a: wnp.linalg.slogdet(a)[1],
        lambda a: mpmath.log(abs(mpmath.det(_mp_matrix(a)))), SPD),
    Red("linalg.inv", wnp.linalg.inv, lambda a: _mp_to_array(_mp_matrix(a) ** -1), SPD),
    Red("linalg.solve", lambda a: wnp.linalg.solve(a, np.array([1.0, 0.0])),
        lambda a: _mp_to_array(mpmath.lu_solve(_mp_matrix(a), mpmath.matrix([1, 0]))).ravel(), SPD),
    Red("linalg.matrix_power", lambda a: wnp.linalg.matrix_power(a, 3),
        lambda a: _mp_to_array(_mp_matrix(a) ** 3), SPD),
    Red("linalg.norm", wnp.linalg.norm, lambda a: mpmath.sqrt(np.sum(a * a)), (([3.0, 4.0],), ([0.0, 1.0],))),
    Red("linalg.vector_norm", wnp.linalg.vector_norm, lambda a: mpmath.sqrt(np.sum(a * a)),
        (([3.0, 4.0],), ([0.0, 1.0],))),
    Red("linalg.matrix_norm", wnp.linalg.matrix_norm, lambda a: mpmath.sqrt(np.sum(a * a)), SPD),
    Red("linalg.cholesky", wnp.linalg.cholesky,
        lambda a: _mp_to_array(mpmath.cholesky(_mp_lower_mirror(a))), SPD),
    Red("linalg.eigvalsh", wnp.linalg.eigvalsh,
        lambda a: np.array(sorted(mpmath.eigsy(_mp_lower_mirror(a))[0]), dtype=object), (M2,)),
    Red("linalg.eigvals", lambda a: _sorted_parts(wnp.linalg.eigvals(a)),
        lambda a: _mp_sorted_parts(mpmath.eig(_mp_matrix(a), left=False, right=False)), GENERAL),
    Red("linalg.tensorinv", lambda a: wnp.linalg.tensorinv(wnp.reshape(a, (4, 2, 2)), ind=1),
        lambda a: _mp_to_array(_mp_matrix(a) ** -1).reshape(2, 2, 4), SPD4),
    Red("linalg.tensorsolve", lambda a, b: wnp.linalg.tensorsolve(wnp.reshape(a, (4, 2, 2)), b),
        lambda a, b: _mp_to_array(mpmath.lu_solve(_mp_matrix(a), mpmath.matrix(list(b))))
        .reshape(2, 2), tuple((a, [1.0, 0.0, -2.0, 0.5]) for (a,) in SPD4), argnums=(0, 1)),
]
# fmt: on


@pytest.mark.parametrize("case", REDUCTIONS, ids=lambda c: c.name)
def test_reduction_derivatives_at_special_points(case):
    with np.errstate(all="ignore"):
        bad = _reduction_failures(case)
    assert not bad, f"{case.name}:\n" + "\n".join(bad)


# --------------------------------------------------------------------------- ties in reductions


def _grad_at(fn, x):
    with np.errstate(all="ignore"):
        return np.asarray(wire.grad(lambda a: wnp.sum(fn(a)))(np.asarray(x, dtype=np.float64)))


# name, function, point, gradient wire chooses (documented in docs/numpy.md)
# fmt: off
TIE_GRADIENTS = [
    ("max", wnp.max, [1.0, 1.0, 0.0], [0.5, 0.5, 0.0]),      # split evenly between the tied
    ("min", wnp.min, [0.0, 2.0, 0.0], [0.5, 0.0, 0.5]),
    ("amax", wnp.amax, [2.0, 2.0, 2.0], [1 / 3, 1 / 3, 1 / 3]),
    ("nanmax", wnp.nanmax, [1.0, 1.0, 0.0], [0.5, 0.5, 0.0]),
    ("ptp", wnp.ptp, [1.0, 1.0, 0.0], [0.5, 0.5, -1.0]),
    ("sort", lambda a: wnp.sort(a)[0], [1.0, 1.0, 2.0], [1.0, 0.0, 0.0]),  # the stable order
    ("median", wnp.median, [1.0, 1.0, 2.0], [0.0, 1.0, 0.0]),
    ("std", wnp.std, [1.0, 1.0], [0.0, 0.0]),                # a subgradient of the cone
    ("nanstd", wnp.nanstd, [3.0, 3.0, 3.0], [0.0, 0.0, 0.0]),
    ("linalg.norm", wnp.linalg.norm, [0.0, 0.0], [0.0, 0.0]),  # a subgradient at the origin
    ("special.logsumexp", wsp.logsumexp, [-np.inf, 0.0, 0.0], [0.0, 0.5, 0.5]),
    ("nn.logsumexp", nn.logsumexp, [-np.inf, 0.0, 0.0], [0.0, 0.5, 0.5]),
]
# fmt: on


@pytest.mark.parametrize("name, fn, x, want", TIE_GRADIENTS, ids=[t[0] for t in TIE_GRADIENTS])
def test_gradient_chosen_at_ties_in_reductions(name, fn, x, want):
    got = _grad_at(fn, x)
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    # at a tie of a max/sort/median the tied entries share the derivative of their sum
    # (d/dt f(x + t·1_tie) is smooth there), which every convention above respects


# --------------------------------------------------------------------------- the whole catalogue

STRUCTURAL = (
    "linear rearrangement, copy or selection of entries: the derivative is a fixed 0/1 linear "
    "map (the same at every point), checked in tests/test_numpy_api.py"
)
LINEAR = ("linear (or bilinear) in its inputs: the derivative is the function itself "
          "(tests/test_numpy_api.py, tests/test_numpy_namespace.py)")
HIGHER_ORDER = ("applies the caller's function (vmapped, or chosen with where): its derivatives "
                "are that function's (tests/test_numpy_namespace.py)")
FACTORIZATION = (
    "matrix factorization or solver: derivatives against finite differences in "
    "tests/test_prims.py and tests/test_numpy_api.py; its special points (repeated eigen- and "
    "singular values, complex input) in tests/test_linalg.py"
)
COMPLEX = "complex parts: tests/test_numpy_api.py checks JAX's convention for complex input"
CREATION = "builds an array from shapes or data (derivative passes through to listed entries)"

# fmt: off
NOT_POINTWISE = {
    **{n: STRUCTURAL for n in (
        "append", "array", "array_split", "asarray", "atleast_1d", "atleast_2d", "atleast_3d",
        "broadcast_arrays", "broadcast_to", "column_stack", "concatenate", "copy", "delete",
        "diag", "diagflat", "diagonal", "dstack", "expand_dims", "flip", "fliplr", "flipud",
        "hstack", "meshgrid", "moveaxis", "pad", "ravel", "repeat", "reshape", "roll", "rot90",
        "select", "split", "squeeze", "stack", "swapaxes", "take", "take_along_axis", "tile",
        "transpose", "tril", "triu", "vstack", "linalg.diagonal", "linalg.matrix_transpose",
        "fft.fftshift", "fft.ifftshift", "stop_gradient", "full_like", "zeros_like",
        "ones_like", "empty_like", "asanyarray", "ascontiguousarray", "asfortranarray",
        "require", "astype", "full", "block", "choose", "compress", "concat", "dsplit",
        "extract", "hsplit", "insert", "matrix_transpose", "permute_dims", "real_if_close",
        "resize", "rollaxis", "row_stack", "sort_complex", "unstack", "vsplit",
        "fill_diagonal", "setdiff1d", "union1d", "unique", "unique_all", "unique_counts",
        "unique_inverse", "unique_values")},
    **{n: LINEAR for n in (
        "fft.fft", "fft.fft2", "fft.fftn", "fft.hfft", "fft.ifft", "fft.ifft2", "fft.ifftn",
        "fft.ihfft", "fft.irfft", "fft.irfft2", "fft.irfftn", "fft.rfft", "fft.rfft2",
        "fft.rfftn", "linalg.trace", "linalg.cross", "linalg.outer", "linalg.matmul",
        "linalg.tensordot", "linalg.vecdot", "linalg.multi_dot", "bincount", "matvec",
        "vecmat", "vecdot", "polyadd", "polysub", "polymul", "polyder", "polyint", "unwrap")},
    **{n: HIGHER_ORDER for n in ("apply_along_axis", "apply_over_axes", "piecewise")},
    **{n: FACTORIZATION for n in (
        "linalg.eigh", "linalg.svd", "linalg.svdvals", "linalg.qr", "linalg.pinv",
        "linalg.lstsq", "linalg.cond", "linalg.eig")},
    **{n: COMPLEX for n in ("angle", "imag")},
    # jax.nn's other activations: their values and first and second derivatives at ±0, ±inf,
    # NaN, the kinks and huge/tiny inputs are checked against mpmath and JAX in
    # tests/test_nn_more_activations.py
    **{"nn." + n: "checked in tests/test_nn_more_activations.py" for n in (
        "celu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "log1mexp",
        "logmeanexp", "mish", "one_hot", "soft_sign", "sparse_plus", "sparse_sigmoid",
        "squareplus", "standardize")},
}
# fmt: on


def _qualified(case_name: str) -> str:
    base = case_name.split(" ")[0].split("(")[0]
    return base


def _covered() -> set:
    names = {_qualified(c.name) for c in SMOOTH + REDUCTIONS + EDGES + KINKS}
    names |= {_qualified(t[0]) for t in TIE_GRADIENTS}
    return names


def _catalogue():
    from wire.nn import activations, losses
    from wire import catalog as _catalog

    prefixes = {"wire.numpy": "", "wire.numpy.linalg": "linalg.", "wire.numpy.fft": "fft.",
                "wire.scipy.special": "special."}
    out = []
    for label, ns in _catalog._namespaces():
        for name in _catalog.functions(ns):
            if name not in _catalog.NON_DIFFERENTIABLE:
                out.append(prefixes[label] + name)
    out += ["nn." + n for n in activations.__all__ + losses.__all__ if n != "accuracy"]
    return out


def test_catalogue_is_classified():
    covered = _covered()
    missing = [n for n in _catalogue() if n not in covered and n not in NOT_POINTWISE]
    assert not missing, (
        "differentiable functions with no special-point check; add them to SMOOTH, "
        f"REDUCTIONS, EDGES or KINKS, or to NOT_POINTWISE with the reason: {missing}"
    )
    stale = [n for n in NOT_POINTWISE if n not in _catalogue()]
    assert not stale, f"NOT_POINTWISE names that are not in the catalogue: {stale}"


def special_point_case_count() -> int:
    """The number of (function, point, argument, order) derivative checks this module runs."""
    n = sum(len(c.points) * len(_derivative_orders(c)) for c in SMOOTH)
    n += sum(len(c.points) * len(c.argnums) * len(ORDERS) for c in REDUCTIONS)
    n += sum(len(c.want) for c in EDGES) + len(KINKS)
    n += sum(len(t[2]) for t in TIE_GRADIENTS)
    return n


def test_special_point_case_count_is_large():
    assert special_point_case_count() > 1000
