"""Functions whose traced code once gave another value than NumPy's on special inputs: each
compared with NumPy under ``jit`` bit for bit (NaN where NumPy's is NaN)."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp


def _same(ref, got):
    got = np.asarray(got)
    assert got.dtype == np.asarray(ref).dtype and got.shape == np.shape(ref)
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("kw", [{}, {"ddof": 5}, {"bias": True}, {"ddof": 0}])
def test_cov_without_degrees_of_freedom_and_its_rounding_are_numpys(kw):
    # NumPy multiplies by 1 / max(n - ddof, 0): NaN/inf with no degrees of freedom (wire gave
    # -0.0), and a product rounds otherwise than wire's former division
    rng = np.random.default_rng(0)
    for m in (np.zeros(0), np.ones(1), np.ones((2, 1)), rng.random((3, 5)),
              rng.random((3, 7)) + 1j * rng.random((3, 7)), np.zeros((2, 0))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _same(np.cov(m, **kw), wire.jit(lambda m: wnp.cov(m, **kw))(m))


@pytest.mark.parametrize("decimals", [0, 2, -1])
def test_round_of_complex_rounds_each_part(decimals):
    x = np.array([np.nan - np.inf * 1j, 1.2345 + 2.3456j, np.inf + 0.5j, -0.0 + 15.5j,
                  2.5 - np.nan * 1j])
    _same(np.round(x, decimals), wire.jit(lambda x: wnp.round(x, decimals))(x))


def test_interp_of_complex_fp_keeps_each_part_and_refuses_complex_x():
    xp = np.array([0.0, 1.0, 2.0])
    fp = np.array([1 + 1j, np.inf + 2j, 3 - 1j])
    x = np.array([0.5, 1.0, 1.5, -1.0, 3.0])
    _same(np.interp(x, xp, fp), wire.jit(lambda x: wnp.interp(x, xp, fp))(x))
    with pytest.raises(TypeError):
        np.interp(x + 1j, xp, fp)
    with pytest.raises(wire.WireTypeError):
        wire.jit(lambda x: wnp.interp(x, xp, fp))(x + 1j)
