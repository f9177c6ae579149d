"""wire.scipy.signal's fftconvolve (all axes or some), convolve2d and correlate2d (every mode
and boundary, fillvalue, swapped 'valid' inputs, complex and integer dtypes) and detrend
(constant, linear, breakpoints): traced values against SciPy's, derivatives (also in
fillvalue) against finite differences, jit and vmap."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.scipy import signal as ws
from wire.testing import check_grads

ss = pytest.importorskip("scipy.signal")

RNG = np.random.default_rng(5)
MODES = ("full", "same", "valid")


def _same(got, want, rtol=1e-12, atol=1e-12):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


SHAPES_2D = [((5, 6), (3, 2)), ((4, 4), (4, 4)), ((3, 7), (2, 5)), ((2, 3), (4, 5)),
             ((6, 5), (1, 1)), ((1, 5), (1, 3)), ((3, 3), (5, 5))]


@pytest.mark.parametrize("s1,s2", SHAPES_2D)
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_convolve2d_and_correlate2d_equal_scipys(s1, s2, boundary):
    a, k = RNG.normal(size=s1), RNG.normal(size=s2)
    for mode in MODES:
        big = all(x >= y for x, y in zip(s1, s2)) or all(y >= x for x, y in zip(s1, s2))
        if mode == "valid" and not big:
            continue
        for fill in ((0, 1.5) if boundary == "fill" else (0,)):
            for wf, sf in ((ws.convolve2d, ss.convolve2d), (ws.correlate2d, ss.correlate2d)):
                want = sf(a, k, mode, boundary, fill)
                got = wire.jit(lambda a, k: wf(a, k, mode, boundary, fill))(a, k)
                _same(got, want)


def test_convolve2d_fillvalue_traced_and_differentiable():
    a, k = RNG.normal(size=(4, 5)), RNG.normal(size=(3, 2))
    for mode in ("full", "same"):
        got = wire.jit(lambda a, k, f: ws.convolve2d(a, k, mode, "fill", f))(a, k, 2.5)
        _same(got, ss.convolve2d(a, k, mode, "fill", 2.5))
        # d/dfillvalue: the sum of the kernel entries that meet the padding
        check_grads(lambda a, k, f: ws.convolve2d(a, k, mode, "fill", f), (a, k, 0.7), order=2)
        check_grads(lambda a, k, f: ws.correlate2d(a, k, mode, "fill", f), (a, k, 0.7), order=1)
    for boundary in ("wrap", "symm"):
        check_grads(lambda a, k: ws.convolve2d(a, k, "same", boundary), (a, k), order=2)


def test_convolve2d_dtypes():
    a = RNG.integers(-5, 5, size=(4, 5))
    k = RNG.integers(-3, 3, size=(2, 3))
    for mode in MODES:
        for boundary in ("fill", "symm"):
            _same(wire.jit(lambda a, k: ws.convolve2d(a, k, mode, boundary))(a, k),
                  ss.convolve2d(a, k, mode, boundary))
    c = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))
    kc = RNG.normal(size=(2, 2)) + 1j * RNG.normal(size=(2, 2))
    for mode in MODES:
        _same(wire.jit(lambda a, k: ws.correlate2d(a, k, mode))(c, kc), ss.correlate2d(c, kc, mode))
        _same(wire.jit(lambda a, k: ws.correlate2d(a, k, mode))(kc, c), ss.correlate2d(kc, c, mode))
    f32 = RNG.normal(size=(4, 4)).astype(np.float32)
    _same(wire.jit(ws.convolve2d)(f32, f32[:2, :2]), ss.convolve2d(f32, f32[:2, :2]),
          rtol=1e-6, atol=1e-6)


def test_convolve2d_errors():
    a = np.ones((3, 3))
    for call in (lambda a: ws.convolve2d(a, np.ones(3)),
                 lambda a: ws.convolve2d(a, np.ones((2, 2)), boundary="reflect"),
                 lambda a: ws.convolve2d(a, np.ones((2, 2)), mode="middle"),
                 lambda a: ws.correlate2d(a, np.ones((2, 4)), mode="valid"),
                 lambda a: ws.convolve2d(a, np.ones((0, 2)))):
        with pytest.raises(wire.WireError):
            wire.jit(call)(a)


FFT_CASES = [((7,), (3,), None), ((4, 5), (2, 3), None), ((3, 8), (3, 3), 1),
             ((3, 8), (1, 3), (1,)), ((2, 6, 5), (2, 3, 2), (1, 2)), ((5, 4), (6, 2), None),
             ((5,), (5,), 0), ((4, 6), (4, 9), -1)]


@pytest.mark.parametrize("s1,s2,axes", FFT_CASES)
def test_fftconvolve_equals_scipys(s1, s2, axes):
    a, k = RNG.normal(size=s1), RNG.normal(size=s2)
    ax = range(len(s1)) if axes is None else np.atleast_1d(axes)
    for mode in MODES:
        big = (all(s1[i] >= s2[i] for i in ax) or all(s2[i] >= s1[i] for i in ax))
        if mode == "valid" and not big:
            continue
        want = ss.fftconvolve(a, k, mode, axes)
        got = wire.jit(lambda a, k: ws.fftconvolve(a, k, mode, axes))(a, k)
        _same(got, want, rtol=1e-10, atol=1e-12)
    check_grads(lambda a, k: ws.fftconvolve(a, k, "same", axes), (a, k), order=2)


def test_fftconvolve_dtypes_and_errors():
    a, k = np.arange(6), np.array([1, -1, 2])
    got = wire.jit(lambda a, k: ws.fftconvolve(a, k))(a, k)
    _same(got, ss.fftconvolve(a, k))           # integer inputs: float64, not rounded
    c = RNG.normal(size=5) + 1j * RNG.normal(size=5)
    _same(wire.jit(lambda c: ws.fftconvolve(c, k))(c), ss.fftconvolve(c, k))
    f32 = RNG.normal(size=6).astype(np.float32)
    _same(wire.jit(lambda a: ws.fftconvolve(a, a))(f32), ss.fftconvolve(f32, f32), rtol=1e-5,
          atol=1e-5)
    for call in (lambda a: ws.fftconvolve(a, np.ones((2, 3)), axes=1),
                 lambda a: ws.fftconvolve(a, np.ones((3, 2)), axes=5),
                 lambda a: ws.fftconvolve(a, np.ones((3, 2)), mode="circular")):
        with pytest.raises(wire.WireError):
            wire.jit(call)(np.ones((4, 4)))
    # vmap over a leading axis equals convolving each row
    rows = RNG.normal(size=(3, 6))
    np.testing.assert_allclose(wire.vmap(lambda r: ws.fftconvolve(r, k, "same"))(rows),
                               [ss.fftconvolve(r, k, "same") for r in rows], rtol=1e-12,
                               atol=1e-13)


@pytest.mark.parametrize("shape,axis", [((9,), -1), ((7, 3), 0), ((3, 7), 1), ((2, 5, 4), 1)])
def test_detrend_equals_scipys(shape, axis):
    x = RNG.normal(size=shape) + np.arange(shape[axis]).reshape(
        [-1 if i == axis % len(shape) else 1 for i in range(len(shape))])
    n = shape[axis]
    for kw in ({}, {"type": "constant"}, {"type": "c"}, {"type": "l"}, {"bp": [n // 2]},
               {"bp": [2, n - 1]}, {"bp": [n - 1]}, {"bp": [1, 1, 3]}):
        want = ss.detrend(x, axis=axis, **kw)
        got = wire.jit(lambda x: ws.detrend(x, axis=axis, **kw))(x)
        _same(got, want, rtol=1e-11, atol=1e-12)
    check_grads(lambda x: ws.detrend(x, axis=axis, bp=[n // 2]), (x,), order=2)


def test_detrend_dtypes_and_exact_lines():
    for x in (np.arange(7), np.arange(7, dtype=np.float32) ** 2, np.arange(7, dtype=np.float16),
              np.arange(5) + 1j * np.arange(5) ** 2):
        for t in ("linear", "constant"):
            want = ss.detrend(x, type=t)
            got = wire.jit(lambda x: ws.detrend(x, type=t))(x)
            assert got.dtype == want.dtype, (x.dtype, t)
            np.testing.assert_allclose(got, want, rtol=1e-3 if x.dtype == np.float16 else 1e-6,
                                       atol=1e-3 if x.dtype == np.float16 else 1e-5)
    # a line is removed exactly; so is a piecewise line with the breakpoint at its kink
    t = np.arange(10.0)
    line = 3.0 * t - 7.0
    np.testing.assert_allclose(wire.jit(ws.detrend)(line), 0, atol=1e-14)
    kinked = np.where(t < 4, t, 8 - t)
    np.testing.assert_allclose(wire.jit(lambda x: ws.detrend(x, bp=4))(kinked), 0, atol=1e-14)
    with pytest.raises(wire.WireError):
        wire.jit(lambda x: ws.detrend(x, bp=20))(line)
    with pytest.raises(wire.WireError):
        wire.jit(lambda x: ws.detrend(x, type="quadratic"))(line)
