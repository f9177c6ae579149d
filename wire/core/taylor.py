"""What a primitive's ``taylor`` field holds: how truncated Taylor series pass through it.

A series of order ``n`` stands for ``x(t) = x0 + x1 t + x2 t**2/2! + … + xn t**n/n!``: its
coefficients are the derivatives ``xk = x⁽ᵏ⁾(0)`` (JAX's ``jet`` with ``factorial_scaled``),
so the recurrences are Leibniz's rule with integer (binomial) constants. The Taylor-mode driver
(``wire.transforms.jet``) walks a graph and asks each primitive for the coefficients of its
output from those of its inputs. A primitive's ``taylor`` field is either

* a rule ``taylor(series, out, *xs, **params) -> coefficients`` — ``xs`` are the primal inputs
  (tracers), ``out`` the primal output (a tuple for a multi-output primitive), ``series``
  one entry per input: ``None`` (a constant: every coefficient is zero) or a list of ``n``
  coefficients ``[x1, …, xn]``, each a tracer or ``None`` (zero). The rule returns the list
  ``[y1, …, yn]`` (entries may be ``None``), ``None`` when all are zero, or a tuple of such
  lists for a multi-output primitive. Rules build coefficients with wire's own operations, so
  the result is a graph of primitives that can be differentiated, batched and compiled like
  any other; helpers for the usual recurrences live in ``wire.ops.series``;
* or one of the :class:`SeriesRule` markers below, which the driver carries out from the
  primitive's other rules.

The markers say what each costs: ``n`` is the order, the work of one JVP rule application is
the unit.
"""

from __future__ import annotations

from typing import NamedTuple


class SeriesRule(NamedTuple):
    """A Taylor rule the driver derives from the primitive's other rules."""

    name: str
    cost: str

    def __repr__(self):
        return f"<taylor {self.name}>"


ZERO = SeriesRule(
    "zero", "nothing: a piecewise-constant or non-numeric result has a zero series")

COEFFICIENTWISE = SeriesRule(
    "coefficientwise",
    "n applications of the JVP rule, y_k = jvp(x_k): exact for linear primitives and for "
    "piecewise-linear ones whose JVP coefficients only depend on the primal (abs, maximum, "
    "select, reduce_max, mod …)")

BILINEAR = SeriesRule(
    "bilinear",
    "(n+1)(n+2)/2 applications of the primitive itself, y_k = Σ_j C(k,j) prim(a_j, b_(k-j)) "
    "(Leibniz's rule): exact for a primitive linear in each of its two operands (mul, matmul)")

BY_JVP = SeriesRule(
    "by_jvp",
    "the series of the JVP rule's expression, one order at a time: y' = jvp(x, y; x') is an "
    "identity in t, so y_k = the (k-1)-th derivative of the JVP expression, which only needs "
    "y_0 … y_(k-1). Exact. Nodes: O(n²) times the JVP expression's size when its primitives "
    "have O(n²) rules (each order re-derives the lower coefficients, which interning shares: "
    "O(n³) tracing work)")

MARKERS = (ZERO, COEFFICIENTWISE, BILINEAR, BY_JVP)
