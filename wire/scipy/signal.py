"""``wire.scipy.signal``: N-dimensional ``convolve`` and ``correlate`` with SciPy's modes
(``full``, ``same``, ``valid``) and methods (``direct``, ``fft``, ``auto``), differentiable in
both inputs.

The direct method is one gather and one matrix product (every output element is a dot
product of a window of the zero-padded larger input with the flipped smaller one), so its
derivative is a scatter-add and a matrix product; the FFT method multiplies spectra. On
concrete arrays SciPy's own function runs when SciPy is installed.

>>> import numpy as np
>>> from wire.scipy.signal import convolve
>>> convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
array([0. , 1. , 2.5, 4. , 1.5])
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from ..errors import ShapeError, WireError, WireValueError, at, user_location
from ..tracebacks import expose
from ..core import Tracer
from ._traced import traced as _traced

try:
    import scipy.signal as _ss
except ImportError:  # pragma: no cover - exercised only without scipy
    _ss = None

__all__ = ["convolve", "correlate"]

_MODES = ("full", "same", "valid")
_METHODS = ("auto", "direct", "fft")
# 'auto' uses the direct method while the gathered windows stay this small (elements)
_DIRECT_LIMIT = 1 << 22


def _result_type(*xs):
    return np.result_type(*[x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype
                            for x in xs])


def _check(in1, in2, mode, method, what):
    if mode not in _MODES:
        raise WireError(f"{what}: mode must be 'full', 'same' or 'valid', got {mode!r}"
                        f"{at(user_location())}")
    if method not in _METHODS:
        raise WireError(f"{what}: method must be 'auto', 'direct' or 'fft', got {method!r}"
                        f"{at(user_location())}")
    s1, s2 = tuple(wnp.shape(in1)), tuple(wnp.shape(in2))
    if len(s1) != len(s2):
        raise ShapeError(f"{what}: in1 {s1} and in2 {s2} should have the same number of "
                         f"dimensions{at(user_location())}")
    return s1, s2


def _swap_for_valid(s1, s2, what):
    """SciPy's rule: 'valid' needs one input at least as large as the other on every axis;
    the larger one goes first (convolution commutes)."""
    ok1 = all(a >= b for a, b in zip(s1, s2))
    ok2 = all(b >= a for a, b in zip(s1, s2))
    if not (ok1 or ok2):
        raise ShapeError(f"{what}: for mode 'valid' one input must be at least as large as the "
                         f"other on every axis, got {s1} and {s2}{at(user_location())}")
    return not ok1


def _centered(x, shape):
    full = tuple(wnp.shape(x))
    start = [(f - s) // 2 for f, s in zip(full, shape)]
    return x[tuple(slice(b, b + s) for b, s in zip(start, shape))]


def _full_direct(a, v):
    """Full N-d convolution: out[o] = Σ_k pad(a)[o + k] · flip(v)[k] as gather + matmul."""
    sa, sv = tuple(wnp.shape(a)), tuple(wnp.shape(v))
    so = tuple(x + y - 1 for x, y in zip(sa, sv))
    padded = wnp.pad(a, [(k - 1, k - 1) for k in sv])
    ps = tuple(x + 2 * (k - 1) for x, k in zip(sa, sv))
    nd = len(sa)
    o_idx = np.indices(so).reshape(nd, -1)
    k_idx = np.indices(sv).reshape(nd, -1)
    flat = np.ravel_multi_index(tuple(o_idx[:, :, None] + k_idx[:, None, :]), ps)
    windows = wnp.take(wnp.reshape(padded, (-1,)), flat)
    kernel = wnp.reshape(wnp.flip(v), (-1,))
    return wnp.reshape(windows @ kernel, so)


def _full_fft(a, v):
    sa, sv = tuple(wnp.shape(a)), tuple(wnp.shape(v))
    so = tuple(x + y - 1 for x, y in zip(sa, sv))
    axes = tuple(range(len(so)))
    if np.dtype(_result_type(a, v)).kind == "c":
        return wnp.fft.ifftn(wnp.fft.fftn(a, so, axes) * wnp.fft.fftn(v, so, axes), so, axes)
    spectrum = wnp.fft.rfftn(a, so, axes) * wnp.fft.rfftn(v, so, axes)
    return wnp.fft.irfftn(spectrum, so, axes)


def convolve(in1, in2, mode="full", method="auto"):
    """N-dimensional convolution of ``in1`` and ``in2`` (same number of dimensions).

    ``mode``: ``'full'`` (every overlap), ``'same'`` (the size of ``in1``, centred as in
    SciPy) or ``'valid'`` (full overlaps only). ``method='auto'`` computes directly while
    the windows stay small and by FFT otherwise (real and complex floats only).

    >>> import wire
    >>> g = wire.grad(lambda k: convolve(np.arange(4.0), k, mode="valid").sum())
    >>> g(np.array([1.0, 1.0]))       # k0 meets a[1:], k1 meets a[:3]
    array([6., 3.])
    """
    if not _traced(in1, in2) and _ss is not None:
        return _ss.convolve(in1, in2, mode=mode, method=method)
    s1, s2 = _check(in1, in2, mode, method, "convolve")
    if not s1:
        return in1 * in2
    if 0 in s1 or 0 in s2:  # SciPy raises for most of these and its shapes disagree by method
        raise WireValueError(f"convolve/correlate of an empty input: in1 {s1}, in2 {s2}"
                             f"{at(user_location())}")
    if mode == "valid" and _swap_for_valid(s1, s2, "convolve"):
        in1, in2, s1, s2 = in2, in1, s2, s1
    small, big = (in2, in1) if np.prod(s2) <= np.prod(s1) else (in1, in2)
    so = tuple(x + y - 1 for x, y in zip(s1, s2))
    floating = np.dtype(_result_type(in1, in2)).kind in "fc"
    if method == "fft" or (method == "auto" and floating
                           and np.prod(so) * np.prod(wnp.shape(small)) > _DIRECT_LIMIT):
        full = _full_fft(big, small)
        kind = np.dtype(_result_type(in1, in2))
        if kind.kind in "uib":  # SciPy rounds an integer convolution computed by FFT
            full = wnp.round(full).astype(kind) if kind.kind != "b" else full != 0
    else:
        full = _full_direct(big, small)
    if mode == "full":
        return full
    if mode == "same":
        return _centered(full, s1)
    return _centered(full, tuple(a - b + 1 for a, b in zip(s1, s2)))


def correlate(in1, in2, mode="full", method="auto"):
    """N-dimensional cross-correlation: ``convolve(in1, conj(in2) reversed on every axis)``,
    with SciPy's modes and shapes.

    >>> correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]), mode="same")
    array([2. , 3.5, 3. ])
    """
    if not _traced(in1, in2) and _ss is not None:
        return _ss.correlate(in1, in2, mode=mode, method=method)
    s1, _ = _check(in1, in2, mode, method, "correlate")
    if not s1:
        return in1 * wnp.conj(in2)
    flipped = wnp.flip(in2)
    if np.dtype(_result_type(in2)).kind == "c":  # (NumPy's conj of bool is int8)
        flipped = wnp.conj(flipped)
    return convolve(in1, flipped, mode, method)

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
