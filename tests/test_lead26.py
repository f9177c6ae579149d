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
