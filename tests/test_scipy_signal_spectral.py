"""wire.scipy.signal spectral analysis (stft, istft, welch, csd, periodogram, spectrogram)
on traced signals against SciPy (1e-12 relative in float64), with derivatives by finite
differences, vmap, and empty, NaN and infinite inputs."""

import warnings

import numpy as np
import pytest
import scipy.signal as ss

import wire
import wire.scipy.signal as ws
from wire.testing import check_grads

RNG = np.random.default_rng(0)
X = RNG.standard_normal(1000)
Y = RNG.standard_normal(1000)
X2 = RNG.standard_normal((3, 300))


def close(got, want, tol=1e-12):
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        scale = np.abs(w).max() if w.size and np.isfinite(w).all() else 0.0
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale)


CASES = {
    "welch": (lambda m, v: m.welch(v), X),
    "welch median": (lambda m, v: m.welch(v, nperseg=64, average="median"), X),
    "welch spectrum linear nfft": (lambda m, v: m.welch(v, 10.0, nperseg=50, nfft=75,
                                                         detrend="linear",
                                                         scaling="spectrum"), X),
    "welch twosided": (lambda m, v: m.welch(v, nperseg=64, return_onesided=False), X),
    "welch 2d axis 0": (lambda m, v: m.welch(v, nperseg=32, axis=0), X2.T.copy()),
    "welch 2d": (lambda m, v: m.welch(v, nperseg=32), X2),
    "welch complex": (lambda m, v: m.welch(v, nperseg=64), X + 1j * Y),
    "welch callable detrend": (lambda m, v: m.welch(v, nperseg=32, axis=0,
                                                    detrend=lambda d: d - d.mean(axis=0)),
                               X2.T.copy()),
    "welch no detrend": (lambda m, v: m.welch(v, nperseg=64, detrend=False), X),
    "periodogram": (lambda m, v: m.periodogram(v), X),
    "periodogram hann nfft": (lambda m, v: m.periodogram(v, 5.0, "hann", nfft=1200,
                                                         scaling="spectrum"), X),
    "periodogram short nfft": (lambda m, v: m.periodogram(v, nfft=500), X),
    "spectrogram": (lambda m, v: m.spectrogram(v), X),
    "spectrogram complex": (lambda m, v: m.spectrogram(v, nperseg=64, mode="complex"), X),
    "spectrogram magnitude": (lambda m, v: m.spectrogram(v, nperseg=64, mode="magnitude"), X),
    "spectrogram phase": (lambda m, v: m.spectrogram(v, nperseg=64, mode="phase"), X),
    "spectrogram angle 2d": (lambda m, v: m.spectrogram(v, nperseg=32, axis=0, mode="angle"),
                             X2.T.copy()),
    "stft": (lambda m, v: m.stft(v), X),
    "stft psd even": (lambda m, v: m.stft(v, 3.0, nperseg=100, noverlap=30, boundary="even",
                                          scaling="psd"), X),
    "stft odd unpadded": (lambda m, v: m.stft(v, nperseg=33, boundary="odd", padded=False), X),
    "stft constant linear": (lambda m, v: m.stft(v, nperseg=40, boundary="constant",
                                                 detrend="linear"), X),
    "stft no boundary": (lambda m, v: m.stft(v, nperseg=40, boundary=None), X),
    "stft 2d": (lambda m, v: m.stft(v, nperseg=32), X2),
    "spectrogram callable detrend axis 0": (lambda m, v: m.spectrogram(
        v, nperseg=32, axis=0, detrend=lambda d: d - d.mean(axis=0)), X2.T.copy()),
    "stft array window": (lambda m, v: m.stft(v, window=np.hanning(20), nperseg=20), X),
    "stft tukey": (lambda m, v: m.stft(v, window=("tukey", 0.3), nperseg=50), X),
    "csd": (lambda m, v: m.csd(v, Y), X),
    "csd shorter y": (lambda m, v: m.csd(v, Y[:700], nperseg=128), X),
    "csd 2d against 1d": (lambda m, v: m.csd(v, Y[:300], nperseg=32), X2),
}


@pytest.mark.parametrize("name", list(CASES))
def test_traced_matches_scipy(name):
    f, x = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy's own warnings (complex input, nperseg)
        close(wire.jit(lambda v: f(ws, v))(x), f(ss, x))


@pytest.mark.parametrize("kw", [{}, {"nperseg": 64}, {"nperseg": 64, "scaling": "psd",
                                                        "fs": 2.0},
                                {"nperseg": 64, "boundary": False}, {"nperseg": 64,
                                                                     "noverlap": 48}])
def test_traced_istft_matches_scipy(kw):
    z = ss.stft(X, nperseg=64, noverlap=kw.get("noverlap"))[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NOLA without the boundary: SciPy warns, wire too
        close(wire.jit(lambda v: ws.istft(v, **kw))(z), ss.istft(z, **kw))
    z3 = ss.stft(X2, nperseg=32)[2]
    close(wire.jit(ws.istft)(z3), ss.istft(z3))
    moved = np.moveaxis(z3, -1, 0)
    close(wire.jit(lambda v: ws.istft(v, time_axis=0, freq_axis=1))(moved),
          ss.istft(moved, time_axis=0, freq_axis=1))


def test_float32_keeps_float32():
    x = X.astype(np.float32)
    for f in (lambda m, v: m.welch(v, nperseg=64), lambda m, v: m.stft(v, nperseg=64)):
        close(wire.jit(lambda v: f(ws, v))(x), f(ss, x), tol=1e-5)


def test_derivatives_in_the_signal():
    x = RNG.standard_normal(40)
    for f in (lambda v: ws.welch(v, nperseg=16)[1],
              lambda v: ws.welch(v, nperseg=16, average="median")[1],
              lambda v: ws.periodogram(v, window="hann")[1],
              lambda v: ws.spectrogram(v, nperseg=16, mode="magnitude")[2],
              lambda v: wire.numpy.abs(ws.stft(v, nperseg=16)[2]) ** 2,
              lambda v: ws.csd(v, v[::-1], nperseg=16)[1].real,
              lambda v: ws.istft(ws.stft(v, nperseg=16)[2] * 1.5, nperseg=16)[1]):
        check_grads(f, (x,), order=2, modes=("fwd", "rev"))
    # a window given as an array is differentiable too
    check_grads(lambda w: ws.welch(x, window=w, nperseg=8)[1], (np.hanning(8) + 0.1,), order=1)


def test_vmap_over_signals():
    got = wire.vmap(lambda v: ws.welch(v, nperseg=32)[1])(X2)
    close(got, ss.welch(X2, nperseg=32)[1])
    got = wire.vmap(lambda v: ws.stft(v, nperseg=32)[2])(X2)
    close(got, ss.stft(X2, nperseg=32)[2])
    assert wire.vmap(lambda v: ws.welch(v, nperseg=32)[1])(np.zeros((0, 64))).shape == (0, 17)


def test_nan_inf_and_empty():
    x = X[:128].copy()
    x[5] = np.nan
    f = wire.jit(lambda v: ws.welch(v, nperseg=32))
    close(f(x), ss.welch(x, nperseg=32))  # NaN where the segments hold it
    x[5] = np.inf
    with np.errstate(invalid="ignore"):
        got, want = f(x)[1], ss.welch(x, nperseg=32)[1]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    e = wire.jit(lambda v: ws.welch(v))(np.zeros(0))
    assert [a.shape for a in e] == [(0,), (0,)]
    e = wire.jit(lambda v: ws.stft(v))(np.zeros((2, 0)))
    assert [a.shape for a in e] == [(2, 0)] * 3


def test_bad_parameters_raise():
    t = wire.jit
    with pytest.raises(wire.WireError):
        t(lambda v: ws.welch(v, nperseg=16, noverlap=16))(X)
    with pytest.raises(wire.WireError):
        t(lambda v: ws.welch(v, nperseg=16, nfft=8))(X)
    with pytest.raises(wire.WireError):
        t(lambda v: ws.welch(v, scaling="power"))(X)
    with pytest.raises(wire.WireError):
        t(lambda v: ws.spectrogram(v, mode="db"))(X)
    with pytest.raises(wire.WireError):
        t(lambda v: ws.stft(v, nperseg=16, boundary="mirror"))(X)
    with pytest.raises(wire.WireError):
        t(lambda v: ws.istft(v))(np.ones(5, complex))
    with pytest.raises(wire.WireError):
        t(lambda v, fs: ws.welch(v, fs))(X, 2.0)  # a traced fs
    with pytest.warns(UserWarning, match="nperseg"):
        close(t(lambda v: ws.welch(v))(X[:100]), ss.welch(X[:100]))


def test_windows_built_without_scipy(monkeypatch):
    from wire.scipy import _spectral

    monkeypatch.setattr(_spectral, "_ss", None)
    for n in (1, 2, 7, 64):
        for w in ("boxcar", "hann", "hamming", "blackman", "hann_periodic", ("tukey", 0.25),
                  ("tukey_periodic", 0.5), ("tukey", 0.0), ("tukey", 1.0)):
            want = ss.get_window(w, n)
            np.testing.assert_allclose(_spectral.get_window(w, n), want, rtol=0, atol=1e-15)
    with pytest.raises(wire.WireError, match="SciPy"):
        _spectral.get_window("kaiser", 8)
    # the whole traced path then runs on wire's own window
    close(wire.jit(lambda v: ws.welch(v, nperseg=64))(X), ss.welch(X, nperseg=64))
