"""Truncated power series arithmetic for the primitives' Taylor rules (``Primitive.taylor``).

A series here is a list ``s`` of length ``n + 1``: ``s[0]`` the primal value (a tracer),
``s[k]`` the ``k``-th derivative at ``t = 0`` of the path ``x(t)`` (a tracer, or ``None`` for
an exact zero) — the factorial-scaled coefficients, ``x(t) = Σ s[k] t**k / k!``. In that form
every recurrence is Leibniz's rule, whose constants are binomial coefficients (integers), so
nothing is rounded but the arithmetic itself: the derivatives of a polynomial come out exact.
Zeros are skipped rather than multiplied, which keeps sparse inputs cheap: ``wire.taylor``
seeds ``x(t) = x0 + t``, so most sums have one term. Every function costs O(n²) operations
(Griewank & Walther, *Evaluating Derivatives*, 2nd ed., §13.2); the primitives' rules in
``wire.ops`` are thin wrappers that pass the primal values they need (``exp(x0)``,
``cos(x0)`` …), so this module imports no primitive.

Coefficients are combined with wire's operators on tracers, so a series is a graph of
ordinary primitives (and differentiable again).
"""

from __future__ import annotations

from math import comb
from typing import Callable, Sequence

__all__ = [
    "binomial_sum", "exp", "extend", "integrate", "log", "power", "product", "quotient",
    "result", "scaled", "sin_cos", "sqrt", "square", "square_coef", "total",
]


def extend(primal, coefs: Sequence) -> list:
    """``[primal, c1, …, cn]`` from one entry of a rule's ``series``."""
    return [primal] + list(coefs)


def result(s: list):
    """A rule's return value from a full series: coefficients 1..n, ``None`` if all are zero."""
    coefs = list(s[1:])
    return None if all(c is None for c in coefs) else coefs


def total(terms):
    """The sum of the terms that are not ``None`` (``None`` if there are none)."""
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else out + t
    return out


def scaled(c, k: float):
    """``c * k`` (``None`` stays ``None``; a factor of 1 adds no node)."""
    if c is None or k == 1:
        return c
    if k == -1:
        return -c
    return c * float(k)


def _neg(c):
    return None if c is None else -c


def _term(weight: float, a, b):
    return None if a is None or b is None or weight == 0 else scaled(a * b, weight)


def binomial_sum(a: list, b: list, k: int, lo: int = 0, top: int | None = None):
    """``Σ_{j=lo}^{k-lo} C(top, j) a_j b_(k-j)`` (``top`` defaults to ``k``: Leibniz's rule
    for coefficient ``k`` of ``a·b``), skipping zero terms."""
    top = k if top is None else top
    return total(_term(comb(top, j), a[j], b[k - j]) for j in range(lo, k - lo + 1))


def square_coef(a: list, k: int, lo: int = 0):
    """``Σ_{j=lo}^{k-lo} C(k, j) a_j a_(k-j)`` (coefficient ``k`` of ``a²`` without the end
    terms when ``lo = 1``), each unordered pair once."""
    terms = [_term(2 * comb(k, j), a[j], a[k - j]) for j in range(lo, (k + 1) // 2)]
    if k % 2 == 0 and k // 2 >= lo:
        terms.append(_term(comb(k, k // 2), a[k // 2], a[k // 2]))
    return total(terms)


def product(a: list, b: list, out) -> list:
    """The series of ``a * b`` (``out``: its primal value)."""
    return [out] + [binomial_sum(a, b, k) for k in range(1, len(a))]


def square(a: list, out) -> list:
    return [out] + [square_coef(a, k) for k in range(1, len(a))]


def _divided(num, inv_holder: list, denom):
    """``num / denom`` as ``num * (1 / denom)``, the reciprocal made once per series."""
    if num is None:
        return None
    if not inv_holder:
        inv_holder.append(1.0 / denom)
    return num * inv_holder[0]


def quotient(a: list, b: list, out) -> list:
    """``q = a / b``: ``q_k = (a_k - Σ_{j=1}^k C(k,j) b_j q_(k-j)) / b_0``."""
    q, inv = [out], []
    for k in range(1, len(a)):
        rest = total(_term(comb(k, j), b[j], q[k - j]) for j in range(1, k + 1))
        q.append(_divided(total([a[k], _neg(rest)]), inv, b[0]))
    return q


def integrate(x: list, d: Callable[[list, int], object], out) -> list:
    """``y`` with ``y' = d · x'`` and ``y_0 = out``: ``y_k = Σ_{j=0}^{k-1} C(k-1,j) d_j x_(k-j)``.

    ``d(y, m)`` gives the m-th coefficient of the derivative series; it is asked in order
    ``m = 0, 1, …`` once ``y_0 … y_m`` are known, so it may read ``y`` itself (exp, tan).
    """
    y, ds = [out], []
    for k in range(1, len(x)):
        ds.append(d(y, k - 1))
        y.append(total(_term(comb(k - 1, j), ds[j], x[k - j]) for j in range(k)))
    return y


def exp(x: list, out) -> list:
    """``exp(x)`` (``out = exp(x_0)``): ``y' = y x'``."""
    return integrate(x, lambda y, m: y[m], out)


def log(x: list, out, x0=None) -> list:
    """``log(x)`` (``out = log(x_0)``; ``x0`` replaces ``x_0`` as the divisor, for ``log1p``):
    from ``x y' = x'``, ``y_k = (x_k - Σ_{j=1}^{k-1} C(k-1,j) x_j y_(k-j)) / x_0``."""
    y, inv = [out], []
    for k in range(1, len(x)):
        rest = total(_term(comb(k - 1, j), x[j], y[k - j]) for j in range(1, k))
        y.append(_divided(total([x[k], _neg(rest)]), inv, x[0] if x0 is None else x0))
    return y


def sqrt(x: list, out) -> list:
    """``sqrt(x)`` (``out = sqrt(x_0)``): from ``s² = x``,
    ``s_k = (x_k - Σ_{j=1}^{k-1} C(k,j) s_j s_(k-j)) / (2 s_0)``."""
    s, inv = [out], []
    for k in range(1, len(x)):
        num = total([x[k], _neg(square_coef(s, k, lo=1))])
        if num is None:
            s.append(None)
            continue
        if not inv:
            inv.append(0.5 / (out + 0.0))  # + 0.0: at x = -0.0 too, the limit from the right
        s.append(num * inv[0])
    return s


def power(u: list, p: float, out) -> list:
    """``u ** p`` for a constant real ``p`` (``out = u_0 ** p``, ``u_0 != 0``): from
    ``y' u = p y u'``, ``y_k = Σ_{i=0}^{k-1} (p C(k-1,i) - C(k-1,k-i)) y_i u_(k-i) / u_0``."""
    y, inv = [out], []
    for k in range(1, len(u)):
        num = total(_term(p * comb(k - 1, i) - comb(k - 1, k - i), y[i], u[k - i])
                    for i in range(k))
        y.append(_divided(num, inv, u[0]))
    return y


def sin_cos(x: list, s0, c0, hyperbolic: bool = False) -> tuple[list, list]:
    """``(sin(x), cos(x))`` — or ``(sinh, cosh)`` — from their primal values:
    ``s' = c x'``, ``c' = ∓ s x'``."""
    s, c = [s0], [c0]
    sign = 1 if hyperbolic else -1
    for k in range(1, len(x)):
        s.append(total(_term(comb(k - 1, j), c[j], x[k - j]) for j in range(k)))
        c.append(total(_term(sign * comb(k - 1, j), s[j], x[k - j]) for j in range(k)))
    return s, c
