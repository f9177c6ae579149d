"""``wire.numpy.fft``: NumPy's ``numpy.fft`` on arrays and tracers.

One primitive (``fft`` over a tuple of axes, forward or inverse) carries every transform:
``n=``/``s=`` crop or zero-pad first, ``norm=`` rescales, ``rfft`` keeps the first
``n // 2 + 1`` outputs of a complex transform, and ``irfft`` rebuilds the Hermitian-symmetric
spectrum before an inverse transform and keeps the real part — exactly NumPy's values, with
derivatives from the primitive's (JAX-convention) rules.

>>> import numpy as np, wire
>>> from wire.numpy import fft
>>> float(wire.grad(lambda x: fft.irfft(fft.rfft(x) * 2.0, 4).sum())(np.ones(4))[0])
2.0
"""

from __future__ import annotations

import builtins

import numpy as np

from ..errors import WireTypeError, WireValueError, at, user_location
from ..tracebacks import expose
from ..ops import fft as F
from ..core import Tracer
from ._elementwise_composed import conj, real
from ._rearranging import flip, pad, roll
from ._host_valued import numpy_valued
from ._promote import cast, refuse_out
from ._axes import normalize_axes
from ._shape import concatenate

__all__ = [
    "fft",
    "fft2",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "ihfft",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftfreq",
    "rfftn",
]

def _freq_dtypes(name: str, dtype, ints: bool):
    """``(work, out)``: the float dtype the frequencies are computed in and the one returned
    (``jax.numpy.fft``'s ``dtype=``: a float or complex dtype, or an integer one for
    ``fftfreq``, whose frequencies are then truncated toward zero, as JAX's)."""
    out = np.dtype(dtype)
    if out.kind == "f":
        return out, out
    if out.kind == "c":
        return np.finfo(out).dtype, out
    if ints and out.kind in "iu":
        return np.dtype(np.float64), out
    raise WireTypeError(f"wire.numpy.fft.{name}: dtype={out} is not supported (a floating or "
                        f"complex dtype{', or an integer one' if ints else ''})"
                        f"{at(user_location(3))}")


def _freq_args(name: str, n, d) -> None:
    if isinstance(n, (list, tuple)) or isinstance(d, (list, tuple)):
        raise WireTypeError(f"wire.numpy.fft.{name} takes an int n and one spacing d, got "
                            f"n={n!r}, d={d!r}{at(user_location(3))}")


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """NumPy's ``fftfreq``: the sample frequencies ``[0, 1, ..., -1] / (d * n)`` of an
    ``n``-point transform; ``dtype=`` (``jax.numpy.fft``'s keyword) computes them in that
    float dtype (as JAX: ``k / (d * n)`` rounded once), or casts them to a complex or integer
    one.

    >>> from wire.numpy import fft
    >>> fft.fftfreq(4, 0.5)
    array([ 0. ,  0.5, -1. , -0.5])
    >>> fft.fftfreq(3, dtype=np.float32)
    array([ 0.        ,  0.33333334, -0.33333334], dtype=float32)
    """
    _freq_args("fftfreq", n, d)
    if dtype is None:
        return np.fft.fftfreq(n, d, device=device)
    work, out = _freq_dtypes("fftfreq", dtype, True)
    n = int(n)
    i = np.arange(n, dtype=work)
    k = (i + n // 2) % n - n // 2
    return (k / np.asarray(d * n, work)).astype(out)


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """NumPy's ``rfftfreq``: the non-negative sample frequencies ``[0, 1, ..., n // 2] /
    (d * n)`` of an ``n``-point real transform; ``dtype=`` as in :func:`fftfreq` (a float or
    complex dtype).

    >>> from wire.numpy import fft
    >>> fft.rfftfreq(4, 0.5)
    array([0. , 0.5, 1. ])
    """
    _freq_args("rfftfreq", n, d)
    if dtype is None:
        return np.fft.rfftfreq(n, d, device=device)
    work, out = _freq_dtypes("rfftfreq", dtype, False)
    n = int(n)
    return (np.arange(n // 2 + 1, dtype=work) / np.asarray(d * n, work)).astype(out)


def _t(*xs) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


def _numpy(fn, *args, out=None):
    """NumPy's own transform on concrete input (``out=`` passed on only where given, so
    NumPy releases without that argument keep working)."""
    return fn(*args) if out is None else fn(*args, out=out)


def _real_output(y, a):
    """NumPy gives a real transform of float16 input back as float16 (complex results have
    no half-precision type and stay complex64)."""
    return cast(y, np.float16) if a.dtype == np.float16 else y


def _complex(x):
    if x.dtype.kind == "c":
        return x
    if x.dtype.kind != "f":
        x = cast(x, np.float64)
    return cast(x, np.result_type(x.dtype, np.complex64))


def _resize(x, axis, n):
    """Crop or zero-pad ``x`` along ``axis`` to length ``n``."""
    m = x.shape[axis]
    if n is not None and n < 1 or n is None and m < 1:
        raise WireValueError(f"fft: invalid number of data points {m if n is None else n} "
                             f"along axis {axis} of {x.aval!r} (NumPy refuses it too)"
                             f"{at(user_location())}")
    if n is None or n == m:
        return x
    if n < m:
        idx = [slice(None)] * x.ndim
        idx[axis] = slice(0, n)
        return x[tuple(idx)]
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, n - m)
    return pad(x, widths)


def _norm(norm):
    if norm not in (None, "backward", "ortho", "forward"):
        raise WireValueError(f"fft: invalid norm {norm!r}: 'backward', 'ortho' or 'forward'"
                             f"{at(user_location())}")
    return "backward" if norm is None else norm


def _axis(x, axis):
    """``axis`` of ``x`` normalized; out of range is a WireAxisError (an IndexError, as NumPy's
    fft raises)."""
    return normalize_axes(axis, x.ndim)[0]


def _axes_and_sizes(x, s, axes):
    """NumPy's ``_cook_nd_args``: the axes (normalized; a repeated axis stays repeated) and
    one length per axis (``-1`` or ``None`` in ``s``: the axis's own length)."""
    if axes is None:
        axes = range(x.ndim) if s is None else range(x.ndim - len(s), x.ndim)
    axes = [_axis(x, a) for a in axes]
    if s is None:
        s = [x.shape[a] for a in axes]
    elif len(s) != len(axes):
        raise WireValueError(f"fft: shape s={tuple(s)} and axes={tuple(axes)} have different "
                             f"lengths (NumPy refuses it too){at(user_location())}")
    s = [x.shape[a] if n is None or n == -1 else n for n, a in zip(s, axes)]
    return axes, s


def _cfftn(x, s, axes, norm, inverse, forward_order=False):
    axes, s = _axes_and_sizes(x, s, axes)
    if not axes:  # nothing transformed: NumPy returns the input as it is
        return x
    # float16/32/64 go to NumPy as they are: its transform of real input rounds otherwise
    # than that of the same numbers as complex, and it rounds float16's 1/n (1/sqrt(n))
    # scale to float16
    x = x if x.dtype in (np.float16, np.float32, np.float64) else _complex(x)
    if len(set(axes)) < len(axes):
        # a repeated axis is transformed once per mention, one axis at a time, as NumPy's
        # fftn (the last axis first; ifftn within irfftn the first first), with its own crop
        # or pad and normalization each time
        steps = list(zip(axes, s))
        for a, n in steps if forward_order else reversed(steps):
            x = F.fft(_resize(x, a, n), (a,), inverse, _norm(norm))
        return x
    for a, n in zip(axes, s):
        x = _resize(x, a, n)
    return F.fft(x, tuple(sorted(axes)), inverse, _norm(norm))


def fft(a, n=None, axis=-1, norm=None, out=None):
    """1-D discrete Fourier transform.

    >>> fft(np.array([1.0, 0.0, 0.0, 0.0]))
    array([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
    """
    if not _t(a):
        return _numpy(np.fft.fft, a, n, axis, norm, out=out)
    refuse_out(out, "fft.fft")
    return _cfftn(a, None if n is None else [n], [axis], norm, False)


def ifft(a, n=None, axis=-1, norm=None, out=None):
    """1-D inverse discrete Fourier transform."""
    if not _t(a):
        return _numpy(np.fft.ifft, a, n, axis, norm, out=out)
    refuse_out(out, "fft.ifft")
    return _cfftn(a, None if n is None else [n], [axis], norm, True)


def fftn(a, s=None, axes=None, norm=None, out=None):
    """N-D discrete Fourier transform (all axes by default)."""
    if not _t(a):
        return _numpy(np.fft.fftn, a, s, axes, norm, out=out)
    refuse_out(out, "fft.fftn")
    return _cfftn(a, s, axes, norm, False)


def ifftn(a, s=None, axes=None, norm=None, out=None):
    """N-D inverse discrete Fourier transform."""
    if not _t(a):
        return _numpy(np.fft.ifftn, a, s, axes, norm, out=out)
    refuse_out(out, "fft.ifftn")
    return _cfftn(a, s, axes, norm, True)


def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """2-D discrete Fourier transform over the last two axes."""
    if not _t(a):
        return _numpy(np.fft.fft2, a, s, axes, norm, out=out)
    refuse_out(out, "fft.fft2")
    return fftn(a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """2-D inverse discrete Fourier transform."""
    if not _t(a):
        return _numpy(np.fft.ifft2, a, s, axes, norm, out=out)
    refuse_out(out, "fft.ifft2")
    return ifftn(a, s, axes, norm)


def _real_input(a, name):
    if a.dtype.kind == "c":
        raise WireTypeError(f"fft.{name} of a complex array {a.aval!r}: it transforms real "
                            f"input (NumPy 2 refuses it too); use fft.fft{at(user_location())}")


def _output_points(n, name):
    if n < 1:
        raise WireValueError(f"fft.{name}: invalid number of output points {n} (a length-1 input "
                        f"gives 0 by default; pass n){at(user_location())}")
    return n


def _keep_half(x, axis, n):
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(0, n // 2 + 1)
    return x[tuple(idx)]


def rfft(a, n=None, axis=-1, norm=None, out=None):
    """Discrete Fourier transform of real input (the non-negative frequencies).

    >>> rfft(np.array([1.0, 2.0, 3.0, 4.0]))
    array([10.+0.j, -2.+2.j, -2.+0.j])
    """
    if not _t(a):
        return _numpy(np.fft.rfft, a, n, axis, norm, out=out)
    refuse_out(out, "fft.rfft")
    _real_input(a, "rfft")
    axis = _axis(a, axis)
    return _numpy_valued(np.fft.rfft, _rfft, a, n=n, axis=axis - a.ndim, norm=norm)


def _rfft(a, n, axis, norm):
    axis = _axis(a, axis)
    n = a.shape[axis] if n is None else n
    full = _cfftn(a, [n], [axis], norm, False)
    return _keep_half(full, axis, n)


def _hermitian_full(x, axis, n):
    """The length-``n`` spectrum whose non-negative half is ``x`` (first ``n//2 + 1`` used)."""
    m = n // 2 + 1
    x = _resize(x, axis, m)
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(1, n - m + 1)
    tail = conj(flip(x[tuple(idx)], axis))
    return concatenate([x, tail], axis=axis) if n - m > 0 else x


def irfft(a, n=None, axis=-1, norm=None, out=None):
    """Inverse of ``rfft`` (``n`` output points, ``2 * (m - 1)`` by default).

    >>> irfft(np.array([10.0, -2.0 + 2.0j, -2.0]))
    array([1., 2., 3., 4.])
    """
    if not _t(a):
        return _numpy(np.fft.irfft, a, n, axis, norm, out=out)
    refuse_out(out, "fft.irfft")
    axis = _axis(a, axis)
    n = _output_points(2 * (a.shape[axis] - 1) if n is None else n, "irfft")
    return _numpy_valued(np.fft.irfft, _irfft, a, n=n, axis=axis - a.ndim, norm=norm)


def _irfft(a, n, axis, norm):
    x = _complex(a)
    axis = _axis(x, axis)
    full = _hermitian_full(x, axis, n)
    return _real_output(real(F.fft(full, (axis,), True, _norm(norm))), a)


def rfftn(a, s=None, axes=None, norm=None, out=None):
    """N-D ``rfft``: complex transforms over all but the last axis, ``rfft`` over the last."""
    if not _t(a):
        return _numpy(np.fft.rfftn, a, s, axes, norm, out=out)
    refuse_out(out, "fft.rfftn")
    _real_input(a, "rfftn")
    axes, s = _axes_and_sizes(a, s, axes)
    if not axes:
        raise WireValueError(f"fft.rfftn: no axes to transform (NumPy raises IndexError)"
                             f"{at(user_location())}")
    return _numpy_valued(np.fft.rfftn, _rfftn, a, s=tuple(s),
                         axes=tuple(x - a.ndim for x in axes), norm=norm)


def _rfftn(a, s, axes, norm):
    axes, s = _axes_and_sizes(a, s, axes)
    out = _rfft(a, s[-1], axes[-1], norm)
    if len(axes) > 1:
        out = _cfftn(out, s[:-1], axes[:-1], norm, False)
    return out


def irfftn(a, s=None, axes=None, norm=None, out=None):
    """Inverse of ``rfftn``."""
    if not _t(a):
        return _numpy(np.fft.irfftn, a, s, axes, norm, out=out)
    refuse_out(out, "fft.irfftn")
    # the last length defaults to 2 (m - 1), also where s holds None there (NumPy's
    # deprecated spelling of the default; -1 takes the axis's own length m)
    shapeless = s is None or s[-1] is None
    axes, s = _axes_and_sizes(a, s, axes)
    if not axes:
        raise WireValueError(f"fft.irfftn: no axes to transform (NumPy raises IndexError)"
                             f"{at(user_location())}")
    if shapeless:
        s[-1] = 2 * (a.shape[axes[-1]] - 1)
    _output_points(s[-1], "irfftn")
    return _numpy_valued(np.fft.irfftn, _irfftn, a, s=tuple(s),
                         axes=tuple(x - a.ndim for x in axes), norm=norm)


def _irfftn(a, s, axes, norm):
    # (NumPy keeps float16 only where the last, real transform is the only one)
    axes = [_axis(a, x) for x in axes]
    if len(axes) > 1:
        a = _cfftn(a, s[:-1], axes[:-1], norm, True, forward_order=True)
    return _irfft(a, s[-1], axes[-1], norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """2-D ``rfft``."""
    if not _t(a):
        return _numpy(np.fft.rfft2, a, s, axes, norm, out=out)
    refuse_out(out, "fft.rfft2")
    return rfftn(a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """2-D ``irfft``."""
    if not _t(a):
        return _numpy(np.fft.irfft2, a, s, axes, norm, out=out)
    refuse_out(out, "fft.irfft2")
    return irfftn(a, s, axes, norm)


def hfft(a, n=None, axis=-1, norm=None, out=None):
    """Transform of a Hermitian-symmetric signal (real spectrum)."""
    if not _t(a):
        return _numpy(np.fft.hfft, a, n, axis, norm, out=out)
    refuse_out(out, "fft.hfft")
    axis = _axis(a, axis)
    n = _output_points(2 * (a.shape[axis] - 1) if n is None else n, "hfft")
    _norm(norm)
    return _numpy_valued(np.fft.hfft, _hfft, a, n=n, axis=axis - a.ndim, norm=norm)


def _hfft(a, n, axis, norm):
    x = _complex(a)
    axis = _axis(x, axis)
    inv = {"backward": "forward", "forward": "backward", "ortho": "ortho"}[_norm(norm)]
    return _real_output(_irfft(conj(x), n, axis, inv), a)


def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """Inverse of ``hfft``."""
    if not _t(a):
        return _numpy(np.fft.ihfft, a, n, axis, norm, out=out)
    refuse_out(out, "fft.ihfft")
    _real_input(a, "ihfft")
    axis = _axis(a, axis)
    _norm(norm)
    return _numpy_valued(np.fft.ihfft, _ihfft, a, n=n, axis=axis - a.ndim, norm=norm)


def _ihfft(a, n, axis, norm):
    inv = {"backward": "forward", "forward": "backward", "ortho": "ortho"}[_norm(norm)]
    return conj(_rfft(a, n, axis, inv))


def _numpy_valued(np_fn, composite, a, **statics):
    """``composite(a, **statics)`` (wire's composition of the transform) with NumPy's own
    ``np_fn`` computing the value (:mod:`wire.numpy._host_valued`): NumPy's real transforms
    (pocketfft's real-input and real-output kernels) round otherwise than the complex
    transform the composition is made of. The transforms are linear: the tangent is the
    composition of the tangent. ``statics`` hold negative axes, so that ``vmap`` can call
    ``np_fn`` on a batch."""
    return numpy_valued(_host, _composite, a, (np_fn, composite, tuple(statics.items())),
                        linear=True, vmap_method="expand_dims")


def _host(x, np_fn, composite, statics):
    return np_fn(x, **dict(statics))


def _composite(x, np_fn, composite, statics):
    return composite(x, **dict(statics))


def fftshift(x, axes=None):
    """Move the zero frequency to the middle."""
    if not _t(x):
        return np.fft.fftshift(x, axes)
    axes = list(range(x.ndim)) if axes is None else \
        [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    axes = [_axis(x, a) for a in axes]
    return roll(x, [x.shape[a] // 2 for a in axes], axes)


def ifftshift(x, axes=None):
    """Inverse of ``fftshift``."""
    if not _t(x):
        return np.fft.ifftshift(x, axes)
    axes = list(range(x.ndim)) if axes is None else \
        [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    axes = [_axis(x, a) for a in axes]
    return roll(x, [-(x.shape[a] // 2) for a in axes], axes)

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
