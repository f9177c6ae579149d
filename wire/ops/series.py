"""Truncated power series arithmetic for the primitives' Taylor rules (``Primitive.taylor``).

A series here is a list ``s`` of length ``n + 1``: ``s[0]`` the primal value (a tracer),
``s[k]`` the coefficient of ``t**k`` (a tracer, or ``None`` for an exact zero). Zeros are
skipped rather than multiplied, which keeps sparse inputs cheap: ``wire.taylor`` seeds
``x(t) = x0 + t``, so most products have one term. Every function is the textbook recurrence
and costs O(n²) operations (Griewank & Walther, *Evaluating Derivatives*, 2nd ed., §13.2);
the primitives' rules in ``wire.ops`` are thin wrappers that pass the primal values they
need (``exp(x0)``, ``cos(x0)`` …), so this module imports no primitive.

Coefficients are combined with wire's operators on tracers, so the series is a graph of
ordinary primitives (and differentiable again). Division by a constant ``k`` is written as a
multiplication by ``1/k``, which ``wire.simplify``'s term collection folds.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

__all__ = [
    "cauchy", "exp", "extend", "integrate", "log", "power", "product", "quotient", "result",
    "scaled", "sin_cos", "sqrt", "square", "total", "weighted",
]


def extend(primal, coefs: Optional[Sequence]) -> list:
    """``[primal, c1, …, cn]`` from one entry of a rule's ``series`` (``None``: all zero)."""
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


def times(a, b):
    return None if a is None or b is None else a * b


def scaled(c, k: float):
    """``c * k`` (``None`` stays ``None``; a factor of 1 adds no node)."""
    if c is None or k == 1:
        return c
    if k == -1:
        return -c
    return c * float(k)


def cauchy(a: list, b: list, k: int, lo: int = 0):
    """``Σ_{j=lo}^{k-lo} a_j b_(k-j)``, skipping zero terms."""
    return total(times(a[j], b[k - j]) for j in range(lo, k - lo + 1))


def square_coef(a: list, k: int, lo: int = 0):
    """``Σ_{j=lo}^{k-lo} a_j a_(k-j)``, each unordered pair once (doubled)."""
    half = total(times(a[j], a[k - j]) for j in range(lo, (k + 1) // 2))
    mid = times(a[k // 2], a[k // 2]) if k % 2 == 0 and k // 2 >= lo else None
    return total([scaled(half, 2), mid])


def weighted(x: list) -> list:
    """``[None, 1·x1, 2·x2, …]``: the coefficients of ``t·x'(t)``, shared by every order."""
    return [None] + [scaled(c, j) for j, c in enumerate(x[1:], 1)]


def product(a: list, b: list, out) -> list:
    """The series of ``a * b`` (``out``: its primal value)."""
    return [out] + [cauchy(a, b, k) for k in range(1, len(a))]


def square(a: list, out) -> list:
    return [out] + [square_coef(a, k) for k in range(1, len(a))]


def quotient(a: list, b: list, out) -> list:
    """``q = a / b``: ``q_k = (a_k - Σ_{j=1}^k b_j q_(k-j)) / b_0``."""
    q = [out]
    inv = None
    for k in range(1, len(a)):
        num = total([a[k], _neg(_tail(b, q, k))])
        if num is None:
            q.append(None)
            continue
        if inv is None:
            inv = 1.0 / b[0]
        q.append(num * inv)
    return q


def _tail(b: list, q: list, k: int):
    """``Σ_{j=1}^k b_j q_(k-j)``."""
    return total(times(b[j], q[k - j]) for j in range(1, k + 1))


def _neg(c):
    return None if c is None else -c


def integrate(x: list, d: Callable[[list, int], object], out) -> list:
    """``y`` with ``y' = d · x'`` and ``y_0 = out``: ``y_k = (1/k) Σ_{j=1}^k j x_j d_(k-j)``.

    ``d(y, m)`` gives the m-th coefficient of the derivative series; it is asked in order
    ``m = 0, 1, …`` once ``y_0 … y_m`` are known, so it may read ``y`` itself (exp, tan).
    """
    u = weighted(x)
    y = [out]
    ds: list = []
    for k in range(1, len(x)):
        ds.append(d(y, k - 1))
        y.append(scaled(total(times(u[j], ds[k - j]) for j in range(1, k + 1)), 1.0 / k))
    return y


def exp(x: list, out) -> list:
    """``exp(x)`` (``out = exp(x_0)``): ``e_k = (1/k) Σ j x_j e_(k-j)``."""
    return integrate(x, lambda y, m: y[m], out)


def log(x: list, out, x0=None) -> list:
    """``log(x)`` (``out = log(x_0)``; ``x0`` replaces ``x_0`` in the recurrence, for
    ``log1p``): ``y_k = (x_k - (1/k) Σ_{j=1}^{k-1} j y_j x_(k-j)) / x_0``."""
    x0 = x[0] if x0 is None else x0
    y = [out]
    inv = None
    for k in range(1, len(x)):
        inner = total(times(scaled(y[j], j), x[k - j]) for j in range(1, k))
        num = total([x[k], _neg(scaled(inner, 1.0 / k))])
        if num is None:
            y.append(None)
            continue
        if inv is None:
            inv = 1.0 / x0
        y.append(num * inv)
    return y


def sqrt(x: list, out) -> list:
    """``sqrt(x)`` (``out = sqrt(x_0)``): ``s_k = (x_k - Σ_{j=1}^{k-1} s_j s_(k-j)) / (2 s_0)``."""
    s = [out]
    inv = None
    for k in range(1, len(x)):
        num = total([x[k], _neg(square_coef(s, k, lo=1))])
        if num is None:
            s.append(None)
            continue
        if inv is None:
            inv = 0.5 / out
        s.append(num * inv)
    return s


def power(x: list, p: float, out) -> list:
    """``x ** p`` for a constant real ``p`` (``out = x_0 ** p``, ``x_0 != 0``):
    ``y_k = (1/(k x_0)) Σ_{j=1}^k ((p+1) j - k) x_j y_(k-j)``."""
    y = [out]
    inv = None
    for k in range(1, len(x)):
        num = total(times(scaled(x[j], ((p + 1) * j - k) / k), y[k - j]) for j in range(1, k + 1))
        if num is None:
            y.append(None)
            continue
        if inv is None:
            inv = 1.0 / x[0]
        y.append(num * inv)
    return y


def sin_cos(x: list, s0, c0, hyperbolic: bool = False) -> tuple[list, list]:
    """``(sin(x), cos(x))`` — or ``(sinh, cosh)`` — from their primal values:
    ``s_k = (1/k) Σ j x_j c_(k-j)``, ``c_k = ∓(1/k) Σ j x_j s_(k-j)``."""
    u = weighted(x)
    s, c = [s0], [c0]
    sign = 1.0 if hyperbolic else -1.0
    for k in range(1, len(x)):
        s.append(scaled(total(times(u[j], c[k - j]) for j in range(1, k + 1)), 1.0 / k))
        c.append(scaled(total(times(u[j], s[k - j]) for j in range(1, k + 1)), sign / k))
    return s, c
