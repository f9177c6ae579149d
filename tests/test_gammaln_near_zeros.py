"""``gammaln`` near its zeros at 1 and 2, against mpmath: SciPy's (Cephes') lnΓ loses
relative accuracy there (584 ulps at 0.99625, 425 at 1.9925); wire's takes lnΓ's Taylor
series at 1 and 2 within 0.3 of them."""

import mpmath as mp
import numpy as np
import pytest

import wire
import wire.scipy.special as ws

EPS = np.finfo(np.float64).eps


def _points():
    offsets = np.concatenate([-np.geomspace(0.29, 1e-12, 25), np.geomspace(1e-12, 0.29, 25)])
    return np.concatenate([1.0 + offsets, 2.0 + offsets, [0.7001, 1.2999, 1.7001, 2.2999]])


def _ulps(got, x) -> float:
    with mp.workdps(40):
        ref = float(mp.loggamma(mp.mpf(float(x))))
    return abs(got - ref) / (abs(ref) * EPS)


def test_near_one_and_two_within_a_few_ulps_of_mpmath():
    xs = _points()
    got = np.asarray(ws.gammaln(xs))
    worst = max(_ulps(g, x) for g, x in zip(got, xs))
    assert worst <= 4, worst
    jitted = np.asarray(wire.jit(ws.gammaln)(xs))
    assert np.array_equal(jitted, got)


def test_zeros_are_positive_zero_and_neighbours_keep_scipys_values():
    out = np.asarray(ws.gammaln(np.array([1.0, 2.0])))
    assert np.array_equal(out, [0.0, 0.0]) and not np.signbit(out).any()
    sp = pytest.importorskip("scipy.special")
    far = np.array([0.5, 0.69, 1.31, 1.69, 2.31, 3.5, 10.0, -0.5])
    assert np.array_equal(np.asarray(ws.gammaln(far)), sp.gammaln(far))


def test_float32_keeps_its_dtype():
    # (float16 gives float64, as SciPy's gammaln does)
    dtype = np.float32
    x = np.array([0.999, 1.0, 2.001], dtype)
    out = np.asarray(ws.gammaln(x))
    assert out.dtype == dtype
    ref = np.array([float(mp.loggamma(mp.mpf(float(v)))) for v in x]).astype(dtype)
    assert np.allclose(out, ref, rtol=4 * np.finfo(dtype).eps, atol=0)


def test_betaln_and_the_derivative_near_one():
    with mp.workdps(40):
        ref = float(mp.log(mp.beta(mp.mpf(0.999999), 1)))
    # (a + b rounds: the rest of the 1e-10 is that rounding, which SciPy's lbeta has too)
    assert abs(float(ws.betaln(0.999999, 1.0)) - ref) <= 1e-10 * abs(ref)
    assert float(wire.grad(ws.gammaln)(1.0)) == -0.5772156649015329  # ψ(1) = -γ
