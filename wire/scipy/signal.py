"""``wire.scipy.signal``: N-dimensional ``convolve`` and ``correlate`` with SciPy's modes
(``full``, ``same``, ``valid``) and methods (``direct``, ``fft``, ``auto``), differentiable in
both inputs; ``fftconvolve`` (also along chosen ``axes``), ``convolve2d`` and ``correlate2d``
(with SciPy's ``boundary`` ``'fill'``/``'wrap'``/``'symm'`` and ``fillvalue``),
``detrend`` (``'constant'`` or piecewise ``'linear'`` with breakpoints ``bp``), and spectral
analysis with SciPy's defaults: ``stft``, ``istft``, ``welch``, ``csd``, ``periodogram``,
``spectrogram`` (differentiable in the signal; see ``wire.scipy._spectral``).

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
from ..errors import ShapeError, WireError, WireTypeError, WireValueError, at, user_location
from ..tracebacks import expose
from ..core import Tracer
from ._traced import traced as _traced
from ..ops.optional import module as _optional_module

_ss = _optional_module("scipy.signal")  # None without SciPy; imported on first use

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "detrend", "fftconvolve",
           "csd", "istft", "periodogram", "spectrogram", "stft", "welch"]

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
    pos = o_idx[:, :, None] + k_idx[:, None, :]
    flat = np.ravel_multi_index(tuple(pos), ps)
    source = wnp.reshape(padded, (-1,))
    kernel = wnp.reshape(wnp.flip(v), (-1,))
    inside = np.ones(flat.shape, bool)
    for d in range(nd):
        inside &= (pos[d] >= sv[d] - 1) & (pos[d] < sv[d] - 1 + sa[d])
    whole = inside.all(axis=1)  # outputs whose window lies in a: one matrix product
    if whole.all():
        return wnp.reshape(wnp.take(source, flat) @ kernel, so)
    # the others sum only the overlapping terms, as SciPy: a padding 0 times an inf in v is
    # not a NaN term (float16 products in float32, as the matrix product sums them)
    dtype = _result_type(a, v)
    work = np.float32 if dtype == np.float16 else None
    edge_windows = wnp.take(source, flat[~whole])
    k = kernel.astype(work) if work else kernel
    k = wnp.where(inside[~whole], k, wnp.zeros((), k.dtype))  # (per term: 0 on the padding)
    edge = wnp.sum((edge_windows.astype(work) if work else edge_windows) * k, axis=-1)
    if edge.dtype != dtype:  # (a sum of booleans counts; SciPy's is their OR)
        edge = edge != 0 if dtype.kind == "b" else edge.astype(dtype)
    parts = [edge]
    if whole.any():
        parts.insert(0, (wnp.take(source, flat[whole]) @ kernel).astype(dtype))
    order = np.argsort(np.concatenate([np.flatnonzero(whole), np.flatnonzero(~whole)]),
                       kind="stable")
    return wnp.reshape(wnp.take(wnp.concatenate(parts), order), so)


def _full_fft(a, v):
    sa, sv = tuple(wnp.shape(a)), tuple(wnp.shape(v))
    so = tuple(x + y - 1 for x, y in zip(sa, sv))
    axes = tuple(range(len(so)))
    if np.dtype(_result_type(a, v)).kind == "c":
        return wnp.fft.ifftn(wnp.fft.fftn(a, so, axes) * wnp.fft.fftn(v, so, axes), so, axes)
    spectrum = wnp.fft.rfftn(a, so, axes) * wnp.fft.rfftn(v, so, axes)
    return wnp.fft.irfftn(spectrum, so, axes)


def convolve(in1, in2, mode="full", method="auto", precision=None):
    """N-dimensional convolution of ``in1`` and ``in2`` (same number of dimensions).

    ``mode``: ``'full'`` (every overlap), ``'same'`` (the size of ``in1``, centred as in
    SciPy) or ``'valid'`` (full overlaps only). ``method='auto'`` computes directly while
    the windows stay small and by FFT otherwise (real and complex floats only).
    ``precision`` (``jax.scipy.signal``'s) is accepted and changes nothing: wire computes at
    the inputs' full precision (JAX's ``'highest'``), here and in :func:`correlate`,
    :func:`convolve2d` and :func:`correlate2d`.

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
        elif _result_type(full) != kind:  # (float16: the FFT computes in float32)
            full = full.astype(kind)
    else:
        full = _full_direct(big, small)
    if mode == "full":
        return full
    if mode == "same":
        return _centered(full, s1)
    return _centered(full, tuple(a - b + 1 for a, b in zip(s1, s2)))


def correlate(in1, in2, mode="full", method="auto", precision=None):
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

def fftconvolve(in1, in2, mode="full", axes=None):
    """Convolution by FFT, SciPy's ``fftconvolve``: over every axis (``axes=None``, the same
    as ``convolve(..., method='fft')``), or over ``axes`` only, the other axes broadcast
    (equal or 1). Integer inputs give a float result (no rounding, as SciPy).

    >>> import numpy as np
    >>> fftconvolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5])).round(12) + 0.0
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> a, k = np.ones((2, 4)), np.array([[1.0, -1.0]])
    >>> fftconvolve(a, k, mode="valid", axes=1).round(12) + 0.0   # each row on its own
    array([[0., 0., 0.],
           [0., 0., 0.]])
    """
    if not _traced(in1, in2) and _ss is not None:
        return _ss.fftconvolve(in1, in2, mode=mode, axes=axes)
    s1, s2 = _check(in1, in2, mode, "fft", "fftconvolve")
    nd = len(s1)
    if axes is None:
        axes = tuple(range(nd))
    else:
        axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
        if any(not -nd <= a < nd for a in axes):
            raise ShapeError(f"fftconvolve: axes {axes} out of range for {nd} dimensions"
                             f"{at(user_location())}")
        if not axes or len({int(a) % nd for a in axes}) != len(axes):  # (as SciPy)
            raise WireValueError(f"fftconvolve: axes must be unique and, when given, not "
                                 f"empty, got {axes}{at(user_location())}")
        axes = tuple(sorted({int(a) % nd for a in axes}))
    if not s1:
        return in1 * in2
    for a in range(nd):
        if a not in axes and s1[a] != s2[a] and 1 not in (s1[a], s2[a]):
            raise ShapeError(f"fftconvolve: in1 {s1} and in2 {s2} must agree (or be 1) on the "
                             f"axes not convolved{at(user_location())}")
    if any(s1[a] == 0 or s2[a] == 0 for a in range(nd)):
        raise WireValueError(f"fftconvolve of an empty input: in1 {s1}, in2 {s2}"
                             f"{at(user_location())}")
    if mode == "valid":
        ok1 = all(s1[a] >= s2[a] for a in axes)
        ok2 = all(s2[a] >= s1[a] for a in axes)
        if not (ok1 or ok2):
            raise ShapeError(f"fftconvolve: for mode 'valid' one input must be at least as large "
                             f"as the other on every axis convolved, got {s1} and {s2}"
                             f"{at(user_location())}")
        if not ok1:
            in1, in2, s1, s2 = in2, in1, s2, s1
    kind = np.dtype(_result_type(in1, in2))
    if kind.kind not in "fc":
        in1, in2 = wnp.asarray(in1, np.float64), wnp.asarray(in2, np.float64)
    full = [s1[a] + s2[a] - 1 for a in axes]
    if kind.kind == "c":
        out = wnp.fft.ifftn(wnp.fft.fftn(in1, full, axes) * wnp.fft.fftn(in2, full, axes),
                            full, axes)
    else:
        out = wnp.fft.irfftn(wnp.fft.rfftn(in1, full, axes) * wnp.fft.rfftn(in2, full, axes),
                             full, axes)
    if mode == "full":
        return out
    shape = list(wnp.shape(out))
    for a in axes:
        shape[a] = s1[a] if mode == "same" else s1[a] - s2[a] + 1
    return _centered(out, tuple(shape))


_BOUNDARIES = {"fill": "constant", "pad": "constant", "wrap": "wrap", "circular": "wrap",
               "symm": "symmetric", "symmetric": "symmetric"}


def _check_2d(in1, in2, mode, boundary, what):
    if mode not in _MODES:
        raise WireError(f"{what}: mode must be 'full', 'same' or 'valid', got {mode!r}"
                        f"{at(user_location())}")
    if boundary not in _BOUNDARIES:
        raise WireValueError(f"{what}: boundary must be 'fill', 'wrap' or 'symm', got "
                             f"{boundary!r}{at(user_location())}")
    s1, s2 = tuple(wnp.shape(in1)), tuple(wnp.shape(in2))
    if len(s1) != 2 or len(s2) != 2:
        raise ShapeError(f"{what}: in1 {s1} and in2 {s2} must both be 2-D"
                         f"{at(user_location())}")
    if 0 in s1 or 0 in s2:
        raise WireValueError(f"{what} of an empty input: in1 {s1}, in2 {s2}"
                             f"{at(user_location())}")
    return s1, s2


def _full_2d(in1, in2, boundary, fillvalue):
    """The 'full' 2-D convolution of ``in1``, extended past its edges by ``boundary``, with
    ``in2``: the valid convolution of the extended ``in1``."""
    s1, s2 = tuple(wnp.shape(in1)), tuple(wnp.shape(in2))
    pad = [(k - 1, k - 1) for k in s2]
    kind = _BOUNDARIES[boundary]
    if kind != "constant":
        return convolve(wnp.pad(in1, pad, mode=kind), in2, "valid", "direct")
    # SciPy's rule: in1 and the fill value in the output's dtype (in1 int, in2 float: 1.5
    # is 1.5, not int 1; an integer output truncates it; a complex one for a real output
    # is refused)
    dtype = np.dtype(_result_type(in1, in2))
    fv = fillvalue if _traced(fillvalue) else np.asarray(fillvalue)
    if wnp.size(fv) != 1:
        raise WireValueError(f"convolve2d: fillvalue must be a single number"
                             f"{at(user_location())}")
    if np.dtype(_result_type(fv)).kind == "c" and dtype.kind != "c":
        raise WireTypeError(f"convolve2d: a complex fillvalue ({_result_type(fv)}) for a "
                            f"real output ({dtype}), which SciPy refuses too"
                            f"{at(user_location())}")
    in1 = wnp.asarray(in1, dtype) if _result_type(in1) != dtype else in1
    if _traced(fv):
        inside = wnp.pad(wnp.ones(s1, dtype), pad)  # 1 on in1, 0 on the padding
        padded = wnp.pad(in1, pad) + (1 - inside) * wnp.reshape(fv, ()).astype(dtype)
    else:
        fv = fv.reshape(()).astype(dtype).item()
        padded = wnp.pad(in1, pad, constant_values=fv) if fv != 0 else wnp.pad(in1, pad)
    return convolve(padded, in2, "valid", "direct")


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    """2-D convolution with SciPy's ``boundary``: ``'fill'`` pads ``in1`` with ``fillvalue``
    (differentiable too), ``'wrap'`` periodically, ``'symm'`` by reflection (edge repeated);
    the output is ``'full'``, ``'same'`` (``in1``'s size) or ``'valid'``.

    >>> import numpy as np
    >>> convolve2d(np.eye(2), np.ones((2, 2)))
    array([[1., 1., 0.],
           [1., 2., 1.],
           [0., 1., 1.]])
    >>> convolve2d(np.eye(2), np.ones((2, 2)), mode="same", boundary="wrap")
    array([[2., 2.],
           [2., 2.]])
    """
    if not _traced(in1, in2, fillvalue) and _ss is not None:
        return _ss.convolve2d(in1, in2, mode=mode, boundary=boundary, fillvalue=fillvalue)
    s1, s2 = _check_2d(in1, in2, mode, boundary, "convolve2d")
    if mode == "valid":
        return convolve(in1, in2, "valid", "direct")
    full = _full_2d(in1, in2, boundary, fillvalue)
    return full if mode == "full" else _centered(full, s1)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    """2-D cross-correlation: ``in1`` (extended by ``boundary``) against ``in2`` conjugated,
    with SciPy's modes; ``'same'`` is centred as SciPy's ``correlate2d`` centres it (for an
    even kernel one place later than ``correlate``'s).

    >>> import numpy as np
    >>> correlate2d(np.eye(2), np.array([[1.0, 2.0]]), mode="same")
    array([[1., 0.],
           [2., 1.]])
    """
    if not _traced(in1, in2, fillvalue) and _ss is not None:
        return _ss.correlate2d(in1, in2, mode=mode, boundary=boundary, fillvalue=fillvalue)
    s1, s2 = _check_2d(in1, in2, mode, boundary, "correlate2d")

    def flipped_conj(x):
        x = wnp.flip(x)
        return wnp.conj(x) if np.dtype(_result_type(x)).kind == "c" else x

    if mode == "valid":
        if _swap_for_valid(s1, s2, "correlate2d"):
            # SciPy swaps the inputs: the correlation of in2 with in1, reversed
            return wnp.flip(convolve(in2, flipped_conj(in1), "valid", "direct"))
        return convolve(in1, flipped_conj(in2), "valid", "direct")
    full = _full_2d(in1, flipped_conj(in2), boundary, fillvalue)
    if mode == "full":
        return full
    start = [k - 1 - (k - 1) // 2 for k in s2]
    return full[tuple(slice(b, b + n) for b, n in zip(start, s1))]


def detrend(data, axis=-1, type="linear", bp=0, overwrite_data=None):
    """``data`` less its mean (``type='constant'``) or less its least-squares line
    (``'linear'``; with breakpoints ``bp``, a separate line on each piece between them) along
    ``axis``, as SciPy's. The line's fit is the closed form on centred positions.
    ``overwrite_data`` (None, JAX's default, is False) is SciPy's: True lets SciPy detrend
    a concrete float array in place.

    >>> import numpy as np
    >>> detrend(np.array([1.0, 2.0, 4.0])).round(6)
    array([ 0.166667, -0.333333,  0.166667])
    >>> detrend(np.array([1.0, 2.0, 4.0]), type="constant")
    array([-1.33333333, -0.33333333,  1.66666667])
    """
    if not _traced(data) and _ss is not None:
        return _ss.detrend(data, axis=axis, type=type, bp=bp,
                          overwrite_data=bool(overwrite_data))
    if type not in ("linear", "l", "constant", "c"):
        raise WireValueError(f"detrend: type must be 'linear' or 'constant', got {type!r}"
                             f"{at(user_location())}")
    data = wnp.asarray(data)
    if type in ("constant", "c"):
        return data - wnp.mean(data, axis, keepdims=True)
    nd = data.ndim
    if not -nd <= axis < nd:
        raise ShapeError(f"detrend: axis {axis} out of range for {nd} dimensions"
                         f"{at(user_location())}")
    n = data.shape[axis]
    if data.dtype.kind not in "fc" or data.dtype.itemsize < 4:
        data = wnp.asarray(data, np.float64)
    bps = np.sort(np.unique(np.concatenate([[0], np.atleast_1d(np.asarray(bp, np.int64)), [n]])))
    if bps[0] < 0 or bps[-1] > n:
        raise WireValueError(f"detrend: breakpoints must lie in [0, {n}], got {bp!r}"
                             f"{at(user_location())}")
    moved = wnp.moveaxis(data, axis, 0)
    pieces = []
    for lo, hi in zip(bps[:-1], bps[1:]):
        y = moved[lo:hi]
        m = hi - lo
        shape = (m,) + (1,) * (nd - 1)
        t = (np.arange(m, dtype=np.float64) - (m - 1) / 2.0).reshape(shape)
        resid = y - wnp.mean(y, 0, keepdims=True)
        if m > 1:
            tt = float(np.sum(t * t))
            slope = wnp.sum(t * resid, 0, keepdims=True) / tt
            resid = resid - wnp.asarray(t, np.float64) * slope
        pieces.append(wnp.asarray(resid, data.dtype))
    return wnp.moveaxis(wnp.concatenate(pieces, 0), 0, axis)


from ._spectral import csd, istft, periodogram, spectrogram, stft, welch  # noqa: E402

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
