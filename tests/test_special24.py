"""``wire.scipy.stats`` quantiles, discrete quantiles and ``t``'s df-derivative against
mpmath and SciPy, at the tails and edges where they went wrong."""

import math
import warnings

import numpy as np
import pytest

import wire
import wire.scipy.stats as st

mpmath = pytest.importorskip("mpmath")
scipy_stats = pytest.importorskip("scipy.stats")
mp = mpmath.mp


def _beta_cdf(a, b, x):
    return mpmath.betainc(a, b, 0, x, regularized=True)


def _mp_root(f, lo, hi, steps=400):
    """The root of increasing ``f`` in ``(lo, hi)`` (``0 < lo``) by bisection on the log."""
    lo, hi = mpmath.mpf(lo), mpmath.mpf(hi)
    for _ in range(steps):
        mid = mpmath.sqrt(lo * hi)
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < hi * mpmath.mpf(2) ** -80:
            break
    return (lo + hi) / 2


# ------------------------------------------------------------------ continuous quantiles


def test_beta_isf_near_one_rounds_to_the_nearest_double():
    # the mirror image: 1 - z = ppf(q; b, a), found where the doubles are dense
    assert float(st.beta.isf(1e-300, 3.0, 2.0)) == 1.0  # was 0.9999999999999998
    assert float(st.beta.ppf(1.0 - 2.0 ** -53, 0.5, 0.5)) == 1.0
    with mp.workdps(40):
        for q, a, b in [(1e-20, 3.0, 2.0), (1e-12, 0.5, 0.5), (1e-30, 2.0, 7.0)]:
            w = _mp_root(lambda w: _beta_cdf(b, a, w) - q, 1e-200, 0.5)
            want = float(1 - w)
            assert float(st.beta.isf(q, a, b)) == want


def test_beta_isf_shape_derivative_near_one():
    # z = 1 - w with I_w(b, a) = q: dz/da = (dI/da) / (dI/dw), ~1e-151, was 6.5e-17
    q, a, b = 1e-300, 3.0, 2.0
    got = float(wire.grad(st.beta.isf, argnums=1)(q, a, b))
    with mp.workdps(40):
        w = _mp_root(lambda w: _beta_cdf(b, a, w) - q, 1e-160, 1e-140)
        dIda = mpmath.diff(lambda s: _beta_cdf(b, s, w), a)
        dIdw = w ** (b - 1) * (1 - w) ** (a - 1) / mpmath.beta(b, a)
        want = float(dIda / dIdw)
    assert math.isclose(got, want, rel_tol=1e-8)


@pytest.mark.parametrize("a, q", [(3.0, 1e-300), (1.0, 1e-50), (1.0, 1e-17)])
def test_tail_quantiles_are_not_limited_by_the_log_of_the_tail(a, q):
    # the residual log(P(z) / p) where p is normal, and the root bisected in z itself:
    # z = exp(u) from a bisection in u was ~|u| ulps off (gamma.ppf(1e-300, 3) 1.1e-14
    # relative, gamma.ppf(1e-50, 1) 5.6e-15). (SciPy's gammainc(1, 1e-300) is itself 2.4e-14
    # off, and bounds the quantile there.)
    with mp.workdps(40):
        got = float(st.gamma.ppf(q, a))
        want = float(_mp_root(lambda z: mpmath.gammainc(a, 0, z, regularized=True) - q,
                              got / 2, got * 2))
    assert abs(got - want) <= 4e-15 * want, (a, q, got, want)


def test_quantile_rounded_to_a_support_end_has_a_zero_derivative():
    # beta.ppf(1e-10; 0.01, 5) is 1e-1000: 0 in doubles, and dz/dq = 1/pdf(z) rounds to 0
    # (it was NaN, from the residual's inf/0 at the end)
    assert float(st.beta.ppf(1e-10, 0.01, 5.0)) == 0.0
    grads = wire.grad(st.beta.ppf, argnums=(0, 1, 2))(1e-10, 0.01, 5.0)
    assert [float(g) for g in grads] == [0.0, 0.0, 0.0]
    assert float(wire.grad(st.gamma.ppf)(1e-300, 0.001)) == 0.0
