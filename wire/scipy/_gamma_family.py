"""``rgamma``, ``gammasgn`` and ``factorial`` of ``wire.scipy.special``:
compositions of ``gammaln`` (a primitive) written so that value and every derivative are
exact also at the poles of Γ, where ``1 / gamma(x)`` would give NaN; and ``binom``, ``comb``
and ``poch``, primitives of ``wire.ops.bessel`` whose values are SciPy's own (its products
for integer ``k``, its expansions for huge arguments).

On concrete arrays SciPy is called directly; traced values are cast to the dtype SciPy's
ufunc computes in (float32 stays float32).
"""

from __future__ import annotations

import math

import numpy as np

from .. import numpy as wnp
from ..numpy._elementwise_composed import _sinpi
from ..core import Tracer
from ..api.custom import custom_jvp
from ..errors import WireError, WireTypeError, at, user_location
from ..ops import bessel as BES
from ..ops import special as SP
from ._complex_gamma import rgamma_complex
from ._traced import scipy_special as _scipy
from ._traced import traced as _t


def _empty_like(name, x):
    """A stand-in with ``x``'s dtype (Python numbers stay themselves: they are weak)."""
    if isinstance(x, (bool, int, float)):
        return x
    dt = x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype
    if dt.kind == "c" or isinstance(x, complex):
        raise WireTypeError(f"{name}: complex arguments are supported on concrete arrays "
                            f"only, got a traced {dt}{at(user_location())}")
    return np.empty(0, dt)


def _cast(name, *xs):
    """``xs`` as wire arrays in the dtype SciPy's ``name`` gives for them (found by calling
    it on empty arrays of their dtypes)."""
    dt = np.asarray(_scipy(name)(*[_empty_like(name, x) for x in xs])).dtype
    out = [wnp.asarray(x, dt) for x in xs]
    return out[0] if len(out) == 1 else out


def _pole(x):
    """``x`` is 0, -1, -2, … (a pole of Γ)."""
    return (x <= 0) & (wnp.floor(x) == x)


def _odd_floor(x):
    """``floor(x)`` is odd (False at ±inf and NaN, where ``mod`` would warn)."""
    return wnp.mod(wnp.floor(wnp.where(wnp.isfinite(x), x, 0.0)), 2.0) != 0


def _rgamma(x):
    """``1/Γ(x)``: ``exp(-gammaln(x))`` for ``x >= 1/2`` and, below, the reflection
    ``sin(πx) Γ(1 - x) / π``, which is smooth through the poles (value 0, derivative
    ``(-1)^n n!`` at ``-n``). Each branch sees only inputs on its side."""
    low = x < 0.5
    xl = wnp.where(low & wnp.isfinite(x), x, 0.25)
    xh = wnp.where(low | (x == np.inf), 1.0, x)
    # so far out that Γ(1 - x) overflows: at a pole sin(πx) · inf would be 0 · inf, and
    # between the poles the derivative sin'(πx) Γ(1 - x) + sin(πx) Γ'(1 - x) inf - inf
    # (rgamma'(-171.5) was NaN: cos(π/2) rounds to 6e-17, not 0)
    big_gamma = SP.gammaln(1.0 - wnp.stop_gradient(xl))
    far = _pole(xl) & (wnp.exp(big_gamma) == np.inf)
    # (from a little before the overflow: the third derivative overflows first)
    huge = (big_gamma > 0.97 * math.log(float(np.finfo(big_gamma.dtype).max))) & ~_pole(xl)
    xr = wnp.where(far | huge, 0.25, xl)
    reflected = _sinpi(xr) * (1.0 / np.pi) * wnp.exp(SP.gammaln(1.0 - xr))
    reflected = wnp.where(huge, _huge_reflected(wnp.where(huge, xl, 0.25)), reflected)
    reflected = wnp.where(far, _far_pole(xl, far), reflected)
    out = wnp.where(low, reflected, wnp.exp(-SP.gammaln(xh)))
    # SciPy's +0 at the poles (-0.0 + 0.0), but 1/Γ(±0) = ±0 keeps its sign
    out = wnp.where(x == 0, out, out + 0.0)
    # 0 at ±inf, derivative 0 (the limit at +inf, where exp(-gammaln) made -ψ(inf) · 0)
    return wnp.where(wnp.isinf(x), 0.0, wnp.where(wnp.isnan(x), x, out))


def exp_past_overflow(u):
    """``exp(u)`` of a traced ``u``, as ``exp(u - c) · 2**e`` (``2**e`` the dtype's largest
    power of two, ``c = e log 2``) where ``exp(u)`` overflows: the same value, inf, but the
    forward-mode and Taylor-mode derivatives (``exp(u) · (u'² + u'')`` …) sum their terms
    while finite and overflow, with their sign, only at the last product (Γ's third derivative at 172 was
    NaN: ``inf · ψ³ + … + inf · ψ''``, with ``ψ'' < 0``)."""
    e = np.finfo(u.dtype).maxexp - 1
    c = e * math.log(2.0)
    big = u > math.log(float(np.finfo(u.dtype).max))
    small = wnp.exp(wnp.where(big, 0.0, u))
    ub = wnp.where(big, u, c)
    scaled = wnp.exp(ub - c) * np.asarray(2.0 ** e, u.dtype)
    # the value exp(u) itself (inf: the product rounds to the largest float just past it)
    gap = wnp.where(wnp.isinf(scaled), wnp.zeros_like(scaled), wnp.exp(ub) - scaled)
    scaled = scaled + wnp.stop_gradient(gap)
    return wnp.where(big, scaled, small)


def _times_exp(u, p):
    """``exp(u) · p``, as ``(exp(u - c) · p) · 2**e`` where ``exp(u)`` overflows (see
    :func:`exp_past_overflow`): ``p``'s sign survives the overflow."""
    e = np.finfo(u.dtype).maxexp - 1
    c = e * math.log(2.0)
    big = u > math.log(float(np.finfo(u.dtype).max))
    scaled = (wnp.exp(wnp.where(big, u, c) - c) * wnp.where(big, p, 0.0)) * \
        np.asarray(2.0 ** e, u.dtype)
    return wnp.where(big, scaled, wnp.exp(wnp.where(big, 0.0, u)) * p)


def _reflected_derivative(x, k):
    """The ``k``-th derivative (k <= 3) of ``sin(πx) Γ(1 - x) / π`` off the poles:
    ``±exp(L) · P_k`` with ``L = log|sin(πx)| + gammaln(1 - x) - log π`` and ``P_k`` the
    polynomial of ``L``'s derivatives (``1``, ``L'``, ``L'² + L''``, ``L'³ + 3L'L'' + L(3)``),
    summed while finite (:func:`_times_exp`)."""
    s = _sinpi(x)
    r = wnp.round(x) + 0.0
    one = wnp.ones_like(x)
    sign_r = wnp.where(wnp.mod(r, 2.0) != 0, -one, one)
    cot = (sign_r * wnp.cos(np.pi * (x - r))) / s
    csc2 = 1.0 / (s * s)
    y = 1.0 - x
    d1 = np.pi * cot - SP.polygamma(y, 0)
    d2 = -(np.pi ** 2) * csc2 + SP.polygamma(y, 1)
    d3 = 2.0 * np.pi ** 3 * cot * csc2 - SP.polygamma(y, 2)
    p = [one, d1, d1 * d1 + d2, d1 * (d1 * d1 + 3.0 * d2) + d3][k]
    u = wnp.log(wnp.abs(s)) + SP.gammaln(y) - math.log(math.pi)
    return wnp.where(s < 0, -one, one) * _times_exp(u, p)


def _reflected_with_rules(k):
    """:func:`_reflected_derivative` of order ``k``, whose derivative is that of order
    ``k + 1`` (by a custom rule up to order 2): the derivatives of an overflowing value in
    forward and reverse mode alike, each a sum formed before the overflow."""
    if k == 3:
        return lambda x: _reflected_derivative(x, 3)
    nxt = _reflected_with_rules(k + 1)

    @custom_jvp
    def h(x):
        return _reflected_derivative(x, k)

    @h.defjvp
    def _rule(primals, tangents):
        (x,), (t,) = primals, tangents
        return h(x), t * nxt(x)

    return h


# ``sin(πx) Γ(1 - x) / π`` where ``Γ(1 - x)`` overflows (not at a pole). Written as the
# product, its derivatives were ``inf · cot(πx) - inf · ψ``: NaN (``rgamma'(-171.5)``,
# ``-2.7e310`` by mpmath, is ``-inf`` in float64; cos(π/2) rounds to 6e-17, not 0)
_huge_reflected = _reflected_with_rules(0)


def _far_pole(x, far):
    """``1/Γ`` at a pole ``-n`` where ``n!`` overflows (``far``; n > 170 in float64): 0, as
    SciPy's, with the infinite derivatives of ``(-1)^n n! (t - ψ(n + 1) t² + …)``, ``t = x + n``:
    ``(-1)^n cbrt(x - x)``, whose derivatives at ``+0.0`` are ``inf``, ``-inf``, ``inf`` times
    ``(-1)^n`` (the signs of ``n!``, ``-2ψ(n + 1) n!``, ``(3ψ² + 3ψ' - π²) n!``; the
    value 0 was held with derivative NaN: ``0 · inf`` in ``sin(πx) Γ(1 - x)``). Other points
    see the stand-in 1, so that their zero cotangent meets no inf."""
    one = wnp.ones_like(x)
    t = wnp.where(far, x - wnp.stop_gradient(x), one)
    return wnp.stop_gradient(wnp.where(_odd_floor(x), -one, one)) * wnp.cbrt(t)


def rgamma(x):
    """``1 / Γ(x)``, entire: 0 at the poles of Γ with the right derivatives there.

    >>> import wire
    >>> float(rgamma(4.0)), float(rgamma(-2.0))
    (0.16666666666666666, 0.0)
    >>> round(float(wire.grad(rgamma)(-2.0)), 12)       # (-1)^2 2!
    2.0
    """
    if not _t(x):
        return _scipy("rgamma")(x)
    if wnp.asarray(x).dtype.kind == "c":  # exp(-loggamma(x)), 0 at the poles, as SciPy's
        z = wnp.asarray(x)
        return wnp.asarray(rgamma_complex(wnp.asarray(z, np.complex128)), z.dtype)
    return _rgamma(_cast("rgamma", x))


def _gammasgn(x):
    x = wnp.stop_gradient(x)
    odd = _odd_floor(x)
    one = wnp.ones_like(x)
    sgn = wnp.where((x < 0) & odd, -one, one)
    sgn = wnp.where(x == 0, wnp.copysign(one, x), sgn)  # Γ(±0) = ±inf
    undefined = wnp.isnan(x) | (x == -np.inf) | ((x < 0) & (wnp.floor(x) == x))
    return wnp.where(undefined, np.nan, sgn)


def gammasgn(x):
    """The sign of Γ(x): 1 for ``x > 0``, ``±1`` at ``±0``, ``(-1)^ceil(-x)`` below 0, NaN at
    the negative integers and ``-inf`` (as SciPy's); derivative 0.

    >>> import numpy as np
    >>> gammasgn(np.array([2.5, -0.5, -1.5, -0.0]))
    array([ 1., -1.,  1., -1.])
    """
    if not _t(x):
        return _scipy("gammasgn")(x)
    return _gammasgn(_cast("gammasgn", x))


def _sign_gamma(x):
    """sign Γ(x) as a constant (1 at the poles, where it is not used)."""
    odd = _odd_floor(x)
    one = wnp.ones_like(x)  # in x's dtype: a Python -1.0 would widen float32
    return wnp.stop_gradient(wnp.where((x < 0) & odd, -one, one))


def _gamma(x):
    """Γ(x) away from its poles."""
    return _sign_gamma(x) * wnp.exp(SP.gammaln(x))


def factorial(n, exact=False):
    """``n! = Γ(n + 1)`` for ``n >= 0`` (non-integers too), 0 for ``n < 0`` (SciPy's
    ``exact=False``), in float64 as SciPy's; ``exact=True`` needs concrete integers.

    >>> import wire
    >>> float(factorial(4.0)), float(factorial(-1.0))
    (24.0, 0.0)
    >>> round(float(wire.grad(factorial)(1.0)), 12)      # Γ'(2) = 1 - Euler's γ
    0.422784335098
    """
    if not _t(n):
        return _scipy("factorial")(n, exact=exact)
    if exact:
        raise WireError(f"factorial: exact=True needs concrete integers, got a traced "
                        f"{n.dtype}{at(user_location())}")
    if n.dtype.kind in "cb":
        raise WireError(f"factorial: unsupported data type for n: {n.dtype}"
                        f"{at(user_location())}")
    # SciPy: Γ(n + 1) rounded to Γ's loop dtype for n (float32 stays), and the result of a
    # non-empty array as float64
    loop = _cast("gamma", n).dtype
    # n + 1 in a float n's own dtype, as SciPy adds it (float16: 6e-5 + 1 is 1)
    up = n + 1 if n.dtype.kind == "f" else wnp.asarray(n, np.float64) + 1.0
    up = wnp.asarray(up, np.float64)
    neg = n < 0  # False for NaN, which goes through Γ
    out = wnp.asarray(wnp.where(neg, 0.0, _gamma(wnp.where(neg, 1.0, up))), loop)
    return wnp.asarray(out, np.float64) if n.size else out


def binom(n, k):
    """The binomial coefficient ``Γ(n+1) / (Γ(k+1) Γ(n-k+1))`` of real ``n`` and ``k``, with
    SciPy's values everywhere (``binom(9.2e18, 1)`` is ``9.2e18``; NaN at negative integer
    ``n``) and derivatives ``binom · (ψ(n+1) - ψ(n-k+1))`` in ``n`` and
    ``binom · (ψ(n-k+1) - ψ(k+1))`` in ``k``, of every order.

    >>> import wire
    >>> float(binom(5.0, 2.0)), float(binom(9.2e18, 1.0))
    (10.0, 9.2e+18)
    >>> round(float(wire.grad(binom)(9.2e18, 1.0)), 12)
    1.0
    """
    if not _t(n, k):
        return _scipy("binom")(n, k)
    n, k = _cast("binom", n, k)
    return BES.binom(n, k)


def poch(z, m):
    """The Pochhammer symbol (rising factorial) ``Γ(z+m) / Γ(z)``, with SciPy's values (its
    expansion for ``z`` above ``1e4``) and derivatives ``poch · (ψ(z+m) - ψ(z))`` in ``z``
    and ``poch · ψ(z+m)`` in ``m``, of every order.

    >>> import wire
    >>> float(poch(3.0, 2.0)), round(float(wire.grad(poch, argnums=1)(1.0, 1.0)), 12)
    (12.0, 0.422784335098)
    """
    if not _t(z, m):
        return _scipy("poch")(z, m)
    z, m = _cast("poch", z, m)
    return BES.poch(z, m)


def comb(N, k, *, exact=False, repetition=False):
    """The number of combinations of ``N`` things taken ``k`` at a time, SciPy's
    ``exact=False``: ``binom(N, k)`` where ``0 <= k <= N``, else 0; with ``repetition``,
    ``binom(N + k - 1, k)`` (1 where ``k == 0`` and ``N >= 0``). ``exact=True`` needs
    concrete integers.

    >>> import wire
    >>> float(comb(10.0, 3.0)), float(comb(3.0, 5.0)), float(comb(3.0, 2.0, repetition=True))
    (120.0, 0.0, 6.0)
    >>> round(float(wire.grad(comb)(10.0, 3.0)), 10)    # 120 (1/8 + 1/9 + 1/10)
    40.3333333333
    >>> float(wire.grad(comb)(3.0, 5.0))                # 0 outside 0 <= k <= N: constant
    0.0
    """
    if not _t(N, k):
        return _scipy("comb")(N, k, exact=exact, repetition=repetition)
    if exact:
        raise WireError(f"comb: exact=True needs concrete integers, got a traced argument"
                        f"{at(user_location())}")
    # the conditions and N + k - 1 in the arguments' own dtypes, as SciPy computes them
    # (int64 compares exactly; bool + bool is a logical or, float16 sums round)
    if repetition:
        one = (k == 0) & (N >= 0)
        M, kc = _cast("binom", N + k - 1, k)
        return wnp.where(one, 1.0, BES.binom(M, kc))
    inside = (k <= N) & (N >= 0) & (k >= 0)
    Nc, kc = _cast("binom", N, k)
    # binom sees only the inside (no pole of its gammas there): outside, where comb is the
    # constant 0, binom(3, 5)'s infinite digamma times the zero cotangent made d/dN NaN
    Nc, kc = wnp.where(inside, Nc, 1.0), wnp.where(inside, kc, 0.0)
    return wnp.where(inside, BES.binom(Nc, kc), 0.0)


NAMES = ["binom", "comb", "factorial", "gammasgn", "poch", "rgamma"]
