"""Session-26 fixes found by running user-style programs (each test fails on the old code)."""

import itertools
import warnings

import numpy as onp
import pytest

import wire
import wire.numpy as wnp

SPECIAL = [onp.inf, -onp.inf, onp.nan, 0.0, -0.0, 1.0, 1e308, -1e-300]


@pytest.mark.parametrize("equal_nan", [False, True])
def test_traced_isclose_at_infinities_is_numpys_and_silent(equal_nan):
    # inf - inf inside the traced |a - b| raised NumPy's "invalid value" warning, which
    # np.isclose never shows (an error under -W error)
    a = onp.array([x for x, _ in itertools.product(SPECIAL, SPECIAL)])
    b = onp.array([y for _, y in itertools.product(SPECIAL, SPECIAL)])
    with onp.errstate(all="ignore"):
        a32, b32 = a.astype(onp.float32), b.astype(onp.float32)
    close = wire.jit(lambda x, y: wnp.isclose(x, y, equal_nan=equal_nan))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (close(a, b) == onp.isclose(a, b, equal_nan=equal_nan)).all()
        assert (close(a32, b32) == onp.isclose(a32, b32, equal_nan=equal_nan)).all()
        for y in SPECIAL:   # a Python-float b
            got = wire.jit(lambda x: wnp.isclose(x, y, equal_nan=equal_nan))(a)
            assert (got == onp.isclose(a, y, equal_nan=equal_nan)).all(), y
        assert bool(wire.jit(lambda x: wnp.allclose(x, onp.inf))(onp.array([onp.inf])))


@pytest.mark.parametrize("fn, x, y, wrt", [
    ("poch", 10.0, 1e-10, 0), ("poch", 10.0, 1e-13, 0), ("poch", 0.3, 1e-12, 0),
    ("poch", -2.5, 1e-11, 0), ("poch", 1e-5, 1e-9, 0),
    ("binom", 10.0, 1e-13, 0), ("binom", 5.5, 1e-10, 0), ("binom", 10.0, 1e-13, 1),
])
def test_gamma_ratio_derivatives_at_a_small_step_against_mpmath(fn, x, y, wrt):
    # ∂ of poch(a, m) in a is P (ψ(a+m) - ψ(a)): the difference of two ψ values cancelled to
    # 7e-5 relative at m = 1e-10 (1.3 % at 1e-13); now the step's Taylor series
    mpmath = pytest.importorskip("mpmath")
    special = pytest.importorskip("wire.scipy.special")
    with mpmath.workdps(40):
        exact = mpmath.rf if fn == "poch" else mpmath.binomial
        f = (lambda t: exact(t, y)) if wrt == 0 else (lambda t: exact(x, t))
        want = float(mpmath.diff(f, x if wrt == 0 else y))
    g = wire.grad(getattr(special, fn), argnums=wrt)
    for got in (g(x, y), wire.jit(g)(x, y)):
        assert abs(float(got) / want - 1) < 1e-13, (float(got), want)
