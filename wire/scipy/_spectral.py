"""Spectral analysis of ``wire.scipy.signal``: ``stft``, ``istft``, ``welch``, ``csd``,
``periodogram`` and ``spectrogram`` with SciPy's parameters and defaults, differentiable in
the signal (and in an array ``window``).

One helper does what SciPy's does: extend the ends (``boundary``, stft only), pad to whole
segments (``padded``), cut overlapping segments (a gather), detrend each, multiply by the
window, FFT each, scale (``'density'``: ``1/(fs Σw²)``, ``'spectrum'``: ``1/(Σw)²``; their
square roots for the STFT) and double the one-sided bins that stand for two frequencies.
``welch``/``csd`` average the segments (``'mean'``, or ``'median'`` with SciPy's bias
correction); ``istft`` overlap-adds the inverse FFTs (a scatter-add) and divides by the summed
squared window. Windows come from SciPy's ``get_window`` (``'hann'``, ``('tukey', 0.25)``,
``'hann_periodic'`` …, periodic as SciPy makes them) when SciPy is installed; without it
``boxcar``, ``hann``, ``hamming``, ``blackman`` and ``tukey`` are built here. On concrete
arrays SciPy's own function runs when SciPy is installed.
"""

from __future__ import annotations


import numpy as np

from .. import numpy as wnp
from ..core import Tracer, to_tracer
from ..errors import ShapeError, WireTypeError, WireValueError, at, user_location
from ..tracebacks import warn_at_user
from ._traced import traced as _traced
from ..ops.optional import module as _optional_module

_ss = _optional_module("scipy.signal")  # None without SciPy; imported on first use

__all__ = ["csd", "istft", "periodogram", "spectrogram", "stft", "welch"]


def _fail(msg, cls=WireValueError):
    raise cls(f"{msg}{at(user_location())}")


def _fft_sizes(nperseg, nfft, noverlap, nfft_default):
    """``(nfft, noverlap, step)`` checked as SciPy checks them (``nfft`` at least
    ``nperseg``, ``noverlap`` below it, half a segment by default)."""
    if nfft is None:
        nfft = nfft_default
    elif nfft < nperseg:
        _fail("nfft must be greater than or equal to nperseg.")
    noverlap = nperseg // 2 if noverlap is None else int(noverlap)
    if noverlap >= nperseg:
        _fail("noverlap must be less than nperseg.")
    return int(nfft), noverlap, nperseg - noverlap


def _cosine_window(coeffs, n):
    """A periodic generalized cosine window of length ``n`` (SciPy's ``fftbins=True``)."""
    if n == 1:
        return np.ones(1)
    fac = np.linspace(-np.pi, np.pi, n + 1)
    w = np.zeros(n + 1)
    for k, a in enumerate(coeffs):
        w += a * np.cos(k * fac)
    return w[:n]


def _tukey(n, alpha):
    if alpha <= 0 or n == 1:
        return np.ones(n)
    if alpha >= 1:
        return _cosine_window([0.5, 0.5], n)
    m = n + 1
    k = np.arange(m)
    width = int(np.floor(alpha * (m - 1) / 2.0))
    w = np.ones(m)
    w[: width + 1] = 0.5 * (1 + np.cos(np.pi * (-1 + 2.0 * k[: width + 1] / alpha / (m - 1))))
    tail = k[m - width - 1:]
    w[m - width - 1:] = 0.5 * (1 + np.cos(np.pi * (-2.0 / alpha + 1
                                                  + 2.0 * tail / alpha / (m - 1))))
    return w[:n]


_OWN = {"boxcar": lambda n: np.ones(n), "hann": lambda n: _cosine_window([0.5, 0.5], n),
        "hamming": lambda n: _cosine_window([0.54, 0.46], n),
        "blackman": lambda n: _cosine_window([0.42, 0.50, 0.08], n)}


def get_window(window, n):
    """The periodic window ``window`` (a name or ``(name, parameter)``) of length ``n``, as
    SciPy's ``get_window``; a ``'_periodic'`` suffix on the name is accepted with any SciPy."""
    name = window[0] if isinstance(window, tuple) else window
    if isinstance(name, str) and name.endswith("_periodic"):
        name = name[: -len("_periodic")]
        window = (name,) + tuple(window[1:]) if isinstance(window, tuple) else name
    if _ss is not None:
        return _ss.get_window(window, n)
    if name == "tukey":
        return _tukey(n, window[1] if isinstance(window, tuple) and len(window) > 1 else 0.5)
    if name in _OWN:
        return _OWN[name](n)
    _fail(f"window {window!r} needs SciPy installed (wire builds only boxcar, hann, hamming, "
          f"blackman and tukey itself)")


def _is_named(window):
    return isinstance(window, (str, tuple))


def _segments(window, nperseg, length):
    """SciPy's ``_triage_segments``: the window array and the segment length."""
    if nperseg is not None:
        nperseg = int(nperseg)
        if nperseg < 1:
            _fail(f"nperseg must be a positive integer, got {nperseg}")
    if _is_named(window):
        if nperseg is None:
            nperseg = 256
        if nperseg > length:
            warn_at_user(f"nperseg = {nperseg:d} is greater than input length  = {length:d}, "
                         f"using nperseg = {length:d}", UserWarning)
            nperseg = length
        return get_window(window, nperseg), nperseg
    win = window if isinstance(window, Tracer) else np.asarray(window)
    if win.ndim != 1:
        _fail("window must be 1-D")
    if length < win.shape[0]:
        _fail("window is longer than input signal")
    if nperseg is None:
        nperseg = win.shape[0]
    elif nperseg != win.shape[0]:
        _fail("value specified for nperseg is different from length of window")
    return win, nperseg


def _dtype(*xs):
    return np.result_type(*[x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype
                            for x in xs])


def _extend(x, n, kind):
    """SciPy's even/odd/constant/zeros extension of ``x`` by ``n`` on both ends (last axis)."""
    if n < 1:
        return x
    length = x.shape[-1]
    if kind in ("even", "odd") and n > length - 1:
        _fail(f"the extension length n ({n}) is too big: it must not exceed x.shape[axis]-1, "
              f"which is {length - 1}")
    pad = [(0, 0)] * (x.ndim - 1) + [(n, n)]
    if kind == "zeros":
        return wnp.pad(x, pad)
    if kind == "constant":
        return wnp.pad(x, pad, mode="edge")
    ext = wnp.pad(x, pad, mode="reflect")
    if kind == "even":
        return ext
    left, mid, right = ext[..., :n], ext[..., n:n + length], ext[..., n + length:]
    return wnp.concatenate([2 * x[..., :1] - left, mid, 2 * x[..., -1:] - right], axis=-1)


def _detrend_last(d, kind):
    """``signal.detrend(d, type=kind, axis=-1)`` without breakpoints: less the mean, or less
    the least-squares line (the closed form on centred positions)."""
    if kind not in ("linear", "l", "constant", "c"):
        _fail(f"detrend: type must be 'linear' or 'constant', got {kind!r}")
    resid = d - wnp.mean(d, -1, keepdims=True)
    m = d.shape[-1]
    if kind in ("constant", "c") or m < 2:
        return resid
    t = np.arange(m, dtype=np.float64) - (m - 1) / 2.0
    return resid - t * (wnp.sum(t * resid, -1, keepdims=True) / float(np.sum(t * t)))


def _detrender(detrend, axis, wrap=True):
    if detrend is False or detrend is None or (isinstance(detrend, str) and not detrend):
        return lambda d: d
    if not callable(detrend):
        return lambda d: _detrend_last(d, detrend)
    if wrap and axis != -1:  # the segments along the data's axis, as in SciPy's stft
        return lambda d: wnp.moveaxis(detrend(wnp.moveaxis(d, -1, axis)), axis, -1)
    return detrend


def _frequencies(nfft, fs, onesided):
    return np.fft.rfftfreq(nfft, 1 / fs) if onesided else np.fft.fftfreq(nfft, 1 / fs)


def _fft_segments(x, win, detrend_func, nperseg, noverlap, nfft, onesided):
    """The windowed FFTs of the segments of ``x`` (last axis): ``(..., nseg, nfreq)``."""
    step = nperseg - noverlap
    nseg = (x.shape[-1] - nperseg) // step + 1
    idx = np.arange(nseg)[:, None] * step + np.arange(nperseg)[None, :]
    seg = wnp.take(x, idx, axis=-1)
    seg = detrend_func(seg)
    seg = win * seg
    if onesided:
        return wnp.fft.rfft(wnp.real(seg) if _dtype(seg).kind == "c" else seg, n=nfft)
    return wnp.fft.fft(seg, n=nfft)


def _helper(x, y, fs, window, nperseg, noverlap, nfft, detrend, return_onesided, scaling,
            axis, mode, boundary=None, padded=False, wrap_detrend=True):
    """SciPy's ``_spectral_helper`` (``y is None``: the same data). Returns ``freqs``,
    ``time`` and the result with frequencies on ``axis`` and segments last."""
    if isinstance(fs, Tracer):
        _fail("the sampling frequency fs must be concrete (the frequencies are an output)",
              WireTypeError)
    fs = float(fs)
    if mode not in ("psd", "stft"):
        _fail(f"unknown mode {mode!r}")
    if boundary not in (None, "even", "odd", "constant", "zeros"):
        _fail(f"unknown boundary option {boundary!r}, must be one of: ['even', 'odd', "
              f"'constant', 'zeros', None]")
    same = y is None
    axis = int(axis)
    x = wnp.asarray(x)
    if not -x.ndim <= axis < x.ndim:
        _fail(f"axis {axis} is out of range for {x.ndim} dimensions", ShapeError)
    outdtype = np.result_type(_dtype(x) if same else _dtype(x, y), np.complex64)
    if not same:
        y = wnp.asarray(y)
        xo, yo = list(x.shape), list(y.shape)
        xo.pop(axis)
        yo.pop(axis)
        try:
            outer = np.broadcast_shapes(tuple(xo), tuple(yo))
        except ValueError:
            _fail("x and y cannot be broadcast together.", ShapeError)
        if x.size == 0 or y.size == 0:
            empty = np.moveaxis(np.empty(outer + (min(x.shape[axis], y.shape[axis]),)), -1,
                                axis)
            return empty, empty, empty
    elif x.size == 0:
        return np.empty(x.shape), np.empty(x.shape), np.empty(x.shape)
    x = wnp.moveaxis(x, axis, -1)
    if not same:
        y = wnp.moveaxis(y, axis, -1) if y.ndim > 1 else y
        if x.shape[-1] != y.shape[-1]:  # zero-pad the shorter
            n = max(x.shape[-1], y.shape[-1])
            x = wnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, n - x.shape[-1])])
            y = wnp.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, n - y.shape[-1])])
    win, nperseg = _segments(window, nperseg, x.shape[-1])
    nfft, noverlap, nstep = _fft_sizes(nperseg, nfft, noverlap, nperseg)
    if boundary is not None:
        x = _extend(x, nperseg // 2, boundary)
        if not same:
            y = _extend(y, nperseg // 2, boundary)
    if padded:
        nadd = (-(x.shape[-1] - nperseg) % nstep) % nperseg
        x = wnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, nadd)])
        if not same:
            y = wnp.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, nadd)])
    detrend_func = _detrender(detrend, axis, wrap_detrend)
    if not isinstance(win, Tracer) and np.result_type(win.dtype, np.complex64) != outdtype:
        win = win.astype(outdtype)
    if scaling == "density":
        scale = 1.0 / (fs * wnp.sum(win * win))
    elif scaling == "spectrum":
        scale = 1.0 / wnp.sum(win) ** 2
    else:
        _fail(f"Unknown scaling: {scaling!r}")
    if mode == "stft":
        scale = wnp.sqrt(scale)
    onesided = bool(return_onesided)
    if onesided and (_dtype(x).kind == "c" or (not same and _dtype(y).kind == "c")):
        warn_at_user("Input data is complex, switching to return_onesided=False", UserWarning)
        onesided = False
    freqs = _frequencies(nfft, fs, onesided)
    result = _fft_segments(x, win, detrend_func, nperseg, noverlap, nfft, onesided)
    if not same:
        result = wnp.conj(result) * _fft_segments(y, win, detrend_func, nperseg, noverlap,
                                                  nfft, onesided)
    elif mode == "psd":
        result = wnp.conj(result) * result
    result = result * scale
    if onesided and mode == "psd":
        double = np.full(result.shape[-1], 2.0)
        double[0] = 1.0
        if nfft % 2 == 0:
            double[-1] = 1.0  # the unpaired Nyquist frequency
        result = result * double
    time = np.arange(nperseg / 2, x.shape[-1] - nperseg / 2 + 1, nperseg - noverlap) / fs
    if boundary is not None:
        time -= (nperseg / 2) / fs
    result = wnp.asarray(result, outdtype)
    if same and mode != "stft":
        result = wnp.real(result)
    result = wnp.moveaxis(result, -1, axis - 1 if axis < 0 else axis)
    return freqs, time, result


def _median_bias(n):
    ii_2 = 2 * np.arange(1.0, (n - 1) // 2 + 1)
    return 1 + np.sum(1.0 / (ii_2 + 1) - 1.0 / ii_2)


def _average(pxy, average):
    if pxy.shape[-1] > 1:
        if average == "median":
            bias = float(_median_bias(pxy.shape[-1]))  # (a float64 would promote float32)
            if _dtype(pxy).kind == "c":
                pxy = (wnp.median(wnp.real(pxy), axis=-1)
                       + wnp.median(wnp.imag(pxy), axis=-1) * 1j)
            else:
                pxy = wnp.median(pxy, axis=-1)
            return pxy / bias
        if average == "mean":
            return wnp.mean(pxy, axis=-1)
        _fail(f"average must be 'median' or 'mean', got {average!r}")
    return wnp.reshape(pxy, tuple(pxy.shape[:-1]))


def _cross(x, y, fs, window, nperseg, noverlap, nfft, detrend, return_onesided, scaling,
           axis, average):
    if scaling not in ("density", "spectrum"):
        _fail(f"scaling must be 'density' or 'spectrum', got {scaling!r}")
    if average not in ("mean", "median"):
        _fail(f"average must be 'median' or 'mean', got {average!r}")
    # a callable detrend sees the segments on the last axis, as SciPy's csd gives them
    freqs, _, pxy = _helper(x, y, fs, window, nperseg, noverlap, nfft, detrend,
                            return_onesided, scaling, axis, "psd", wrap_detrend=False)
    if isinstance(pxy, np.ndarray) and pxy.size == 0:
        return freqs, pxy
    # the segments are last: average them, frequencies stay on axis
    return freqs, _average(pxy, average)


def csd(x, y, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,
        detrend="constant", return_onesided=True, scaling="density", axis=-1,
        average="mean"):
    """Cross power spectral density of ``x`` and ``y`` by Welch's method, SciPy's ``csd``:
    the average over overlapping windowed segments (``nperseg``, default 256 or the length;
    ``noverlap`` default ``nperseg // 2``) of ``conj(X) Y``, scaled to a density (or
    ``'spectrum'``). A callable ``detrend`` gets the segments on the last axis, as
    SciPy's ``csd`` gives them. Returns ``(f, Pxy)``.

    >>> import numpy as np
    >>> x = np.cos(np.arange(64.0))
    >>> f, p = csd(x, 2.0 * x, nperseg=16)
    >>> f.shape, p.dtype
    ((9,), dtype('complex128'))
    """
    if not _traced(x, y, window) and _ss is not None:
        return _ss.csd(x, y, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap,
                       nfft=nfft, detrend=detrend, return_onesided=return_onesided,
                       scaling=scaling, axis=axis, average=average)
    same = y is x
    return _cross(x, None if same else y, fs, window, nperseg, noverlap, nfft, detrend,
                  return_onesided, scaling, axis, average)


def welch(x, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,
          detrend="constant", return_onesided=True, scaling="density", axis=-1,
          average="mean"):
    """Power spectral density by Welch's method, SciPy's ``welch``: ``csd(x, x)``, real.
    Returns ``(f, Pxx)``.

    >>> import numpy as np, wire
    >>> x = np.sin(0.5 * np.arange(256.0))
    >>> f, p = welch(x, nperseg=64)
    >>> round(float(f[np.argmax(p)]), 4)                # the peak near 0.5 / (2 pi)
    0.0781
    >>> g = wire.grad(lambda x: welch(x, nperseg=64)[1].sum())(x)
    >>> g.shape
    (256,)
    """
    if not _traced(x, window) and _ss is not None:
        return _ss.welch(x, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap,
                         nfft=nfft, detrend=detrend, return_onesided=return_onesided,
                         scaling=scaling, axis=axis, average=average)
    freqs, pxx = _cross(x, None, fs, window, nperseg, noverlap, nfft, detrend,
                        return_onesided, scaling, axis, average)
    return freqs, wnp.real(pxx) if _dtype(pxx).kind == "c" else pxx


def periodogram(x, fs=1.0, window="boxcar", nfft=None, detrend="constant",
                return_onesided=True, scaling="density", axis=-1):
    """Power spectral density from one segment, the whole signal: SciPy's ``periodogram``
    (``welch`` with ``nperseg`` the length, no overlap, a boxcar window by default).

    >>> import numpy as np
    >>> f, p = periodogram(np.array([1.0, -1.0, 1.0, -1.0]))
    >>> p.tolist()                                      # all power at Nyquist
    [0.0, 0.0, 4.0]
    """
    if not _traced(x, window) and _ss is not None:
        return _ss.periodogram(x, fs=fs, window=window, nfft=nfft, detrend=detrend,
                               return_onesided=return_onesided, scaling=scaling, axis=axis)
    x = wnp.asarray(x)
    if x.size == 0:
        return np.empty(x.shape), np.empty(x.shape)
    if window is None:
        window = "boxcar"
    n = x.shape[axis]
    if nfft is None:
        nperseg = n
    elif nfft == n:
        nperseg = nfft
    elif nfft > n:
        nperseg = n
    else:
        x = wnp.take(x, np.arange(nfft), axis=axis)
        nperseg, nfft = nfft, None
    if not _is_named(window) and wnp.size(window) != nperseg:
        _fail("the size of the window must be the same size of the input on the specified "
              "axis")
    return welch(x, fs=fs, window=window, nperseg=nperseg, noverlap=0, nfft=nfft,
                 detrend=detrend, return_onesided=return_onesided, scaling=scaling, axis=axis)


def spectrogram(x, fs=1.0, window=("tukey_periodic", 0.25), nperseg=None, noverlap=None,
                nfft=None, detrend="constant", return_onesided=True, scaling="density",
                axis=-1, mode="psd"):
    """Spectrogram, SciPy's: the spectrum of each segment (``noverlap`` default
    ``nperseg // 8``), as ``mode`` ``'psd'``, ``'complex'``, ``'magnitude'``, ``'angle'`` or
    ``'phase'`` (unwrapped angle). Returns ``(f, t, Sxx)``, segments on the last axis.

    >>> import numpy as np
    >>> f, t, s = spectrogram(np.cos(np.arange(512.0)), nperseg=64)
    >>> f.shape, t.shape, s.shape
    ((33,), (9,), (33, 9))
    """
    if not _traced(x, window) and _ss is not None:
        return _ss.spectrogram(x, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap,
                               nfft=nfft, detrend=detrend, return_onesided=return_onesided,
                               scaling=scaling, axis=axis, mode=mode)
    modes = ["psd", "complex", "magnitude", "angle", "phase"]
    if mode not in modes:
        _fail(f"unknown value for mode {mode}, must be one of {modes}")
    x = wnp.asarray(x)
    if not -x.ndim <= axis < x.ndim:
        _fail(f"axis {axis} is out of range for {x.ndim} dimensions", ShapeError)
    window, nperseg = _segments(window, nperseg, x.shape[axis])
    if noverlap is None:
        noverlap = nperseg // 8
    freqs, time, sxx = _helper(x, None, fs, window, nperseg, noverlap, nfft, detrend,
                               return_onesided, scaling, axis,
                               "psd" if mode == "psd" else "stft")
    if mode == "magnitude":
        sxx = wnp.abs(sxx)
    elif mode in ("angle", "phase"):
        sxx = wnp.angle(sxx)
        if mode == "phase":
            sxx = wnp.unwrap(sxx, axis=axis - 1 if axis < 0 else axis)
    return freqs, time, sxx


def stft(x, fs=1.0, window="hann_periodic", nperseg=256, noverlap=None, nfft=None,
         detrend=False, return_onesided=True, boundary="zeros", padded=True, axis=-1,
         scaling="spectrum"):
    """Short-time Fourier transform, SciPy's ``stft``: the ends extended by ``nperseg // 2``
    (``boundary`` ``'zeros'``, ``'even'``, ``'odd'``, ``'constant'`` or None), zero-padded
    to whole segments (``padded``), each segment's windowed FFT scaled by ``1/Σw``
    (``scaling='spectrum'``) or ``1/sqrt(fs Σw²)`` (``'psd'``). Returns ``(f, t, Zxx)``.

    >>> import numpy as np
    >>> f, t, z = stft(np.ones(32), nperseg=8)
    >>> z.shape, round(float(abs(z[0, 2])), 12)          # a constant: only the 0 Hz bin
    ((5, 9), 1.0)
    """
    if not _traced(x, window) and _ss is not None:
        return _ss.stft(x, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap,
                        nfft=nfft, detrend=detrend, return_onesided=return_onesided,
                        boundary=boundary, padded=padded, axis=axis, scaling=scaling)
    if scaling == "psd":
        scaling = "density"
    elif scaling != "spectrum":
        _fail(f"scaling must be 'spectrum' or 'psd', got {scaling!r}")
    return _helper(x, None, fs, window, nperseg, noverlap, nfft, detrend, return_onesided,
                   scaling, axis, "stft", boundary=boundary, padded=padded)


def istft(Zxx, fs=1.0, window="hann_periodic", nperseg=None, noverlap=None, nfft=None,
          input_onesided=True, boundary=True, time_axis=-1, freq_axis=-2,
          scaling="spectrum"):
    """Inverse short-time Fourier transform, SciPy's ``istft``: the inverse FFT of each
    segment, windowed and overlap-added, divided by the overlap-added squared window where it
    exceeds 1e-10 (SciPy warns when it does not: the NOLA condition). Returns ``(t, x)``.

    >>> import numpy as np
    >>> x = np.sin(np.arange(64.0))
    >>> _, back = istft(stft(x, nperseg=16)[2], nperseg=16)
    >>> bool(np.allclose(back[:64], x))
    True
    """
    if not _traced(Zxx, window) and _ss is not None:
        return _ss.istft(Zxx, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap,
                         nfft=nfft, input_onesided=input_onesided, boundary=boundary,
                         time_axis=time_axis, freq_axis=freq_axis, scaling=scaling)
    if isinstance(fs, Tracer):
        _fail("the sampling frequency fs must be concrete", WireTypeError)
    z = wnp.asarray(Zxx)
    z = z + 0j if _dtype(z).kind != "c" else z
    freq_axis, time_axis = int(freq_axis), int(time_axis)
    if z.ndim < 2:
        _fail("Input stft must be at least 2d!")
    if freq_axis % z.ndim == time_axis % z.ndim:
        _fail("Must specify differing time and frequency axes!")
    nseg = z.shape[time_axis]
    n_default = 2 * (z.shape[freq_axis] - 1) if input_onesided else z.shape[freq_axis]
    if nperseg is None:
        nperseg = n_default
    else:
        nperseg = int(nperseg)
        if nperseg < 1:
            _fail("nperseg must be a positive integer")
    nfft, noverlap, nstep = _fft_sizes(
        nperseg, nfft, noverlap,
        nperseg if input_onesided and nperseg == n_default + 1 else n_default)
    nd, ft, tt = z.ndim, freq_axis, time_axis
    if tt != nd - 1 or ft != nd - 2:  # SciPy's rearrangement, its axis arithmetic included
        ft, tt = ft % nd, tt % nd
        outer = [a for a in range(nd) if a not in (ft, tt)]
        z = wnp.transpose(z, outer + [ft, tt])
    if _is_named(window):
        win = get_window(window, nperseg)
    else:
        win = window if isinstance(window, Tracer) else np.asarray(window)
        if win.ndim != 1:
            _fail("window must be 1-D")
        if win.shape[0] != nperseg:
            _fail(f"window must have length of {nperseg}")
    xsubs = (wnp.fft.irfft(z, n=nfft, axis=-2) if input_onesided
             else wnp.fft.ifft(z, n=nfft, axis=-2))[..., :nperseg, :]
    if not isinstance(win, Tracer) and np.result_type(win.dtype, _dtype(xsubs)) != _dtype(xsubs):
        win = win.astype(_dtype(xsubs))
    if scaling == "spectrum":
        xsubs = xsubs * wnp.sum(win)
    elif scaling == "psd":
        xsubs = xsubs * wnp.sqrt(fs * wnp.sum(win ** 2))
    else:
        _fail(f"scaling must be 'spectrum' or 'psd', got {scaling!r}")
    length = nperseg + (nseg - 1) * nstep
    idx = (np.arange(nseg)[:, None] * nstep + np.arange(nperseg)[None, :]).reshape(-1)
    # segment ii (windowed) lands on [ii * nstep, ii * nstep + nperseg): a scatter-add
    parts = wnp.swapaxes(xsubs, -1, -2) * win  # (..., nseg, nperseg)
    parts = wnp.reshape(parts, tuple(parts.shape[:-2]) + (nseg * nperseg,))
    acc = to_tracer(np.zeros(tuple(parts.shape[:-1]) + (length,), _dtype(parts)))
    x = acc.at[..., idx].add(parts)
    if isinstance(win, Tracer):
        norm = to_tracer(np.zeros(length, _dtype(win))).at[idx].add(
            wnp.reshape(wnp.broadcast_to(win ** 2, (nseg, nperseg)), (-1,)))
    else:
        norm = np.zeros(length, _dtype(xsubs))
        for ii in range(nseg):
            norm[ii * nstep:ii * nstep + nperseg] += win ** 2
    if boundary:
        x = x[..., nperseg // 2:-(nperseg // 2)]
        norm = norm[nperseg // 2:-(nperseg // 2)]
    if not isinstance(norm, Tracer) and np.sum(norm > 1e-10) != len(norm):
        warn_at_user("NOLA condition failed, STFT may not be invertible."
                     + (" Possibly due to missing boundary" if not boundary else ""), UserWarning)
    x = x / wnp.where(norm > 1e-10, norm, 1.0)
    if input_onesided:
        x = wnp.real(x) if _dtype(x).kind == "c" else x
    if x.ndim > 1 and tt != nd - 1:
        x = wnp.moveaxis(x, -1, tt - 1 if ft < tt else tt)
    time = np.arange(x.shape[0]) / float(fs)
    return time, x
