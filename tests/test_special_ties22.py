"""Derivatives of special functions at the ends of their domains, at ties between their
arguments and at extreme shapes, against limits worked out by hand and high-precision
(mpmath) values."""

import math

import numpy as np
import pytest

import wire
from oracles import close_to
from wire.scipy import special as S

INF = math.inf


def _d(f, argnum, order):
    """The ``order``-th derivative of ``f`` in argument ``argnum`` (reverse mode)."""
    for _ in range(order):
        f = wire.grad(f, argnums=argnum)
    return f


# Box-Cox at x = 0 and x = inf (boxcox1p at x = -1 and inf), where log x = L is infinite.
# λL < 0: the value tends to -1/λ, so ∂ᵏλ = (-1)^(k+1) k! / λ^(k+1). λL >= 0 (λ = 0 too): the
# k-th derivative is L^(k+1) g^(k-1)(λL) with g(u) = ∫_0^1 t e^(ut) dt and all g^(j) > 0, so
# it is ±inf by the sign of L^(k+1).
def _boxcox_limit(L, lm, k):
    if lm * L < 0:
        return (-1.0) ** (k + 1) * math.factorial(k) / lm ** (k + 1)
    return math.copysign(INF, L ** (k + 1))


@pytest.mark.parametrize("f, x, L", [(S.boxcox, 0.0, -INF), (S.boxcox, INF, INF),
                                     (S.boxcox1p, -1.0, -INF), (S.boxcox1p, INF, INF)])
@pytest.mark.parametrize("lm", [2.0, 0.5, 0.0, -0.5, -2.0])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_boxcox_lambda_derivatives_at_infinite_log(f, x, L, lm, k):
    got = float(_d(f, 1, k)(x, lm))
    want = _boxcox_limit(L, lm, k)
    assert close_to(got, want, 1e-15), (f.__name__, x, lm, k, got, want)


@pytest.mark.parametrize("x, lm", [(0.0, INF), (INF, -INF)])
def test_boxcox_second_lambda_derivative_at_infinite_lambda(x, lm):
    # the value tends to -1/λ → 0: every λ-derivative tends to 0 (was NaN: inf / inf)
    assert float(_d(S.boxcox, 1, 2)(x, lm)) == 0.0
