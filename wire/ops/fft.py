"""The discrete Fourier transform primitive ``fft`` over a tuple of axes (forward or inverse,
unnormalized forward / ``1/n`` inverse, as NumPy's default ``norm="backward"``).

``norm`` is NumPy's (``"backward"``, ``"ortho"``, ``"forward"``) and NumPy applies it: its
scale multiplies the real and imaginary parts of each 1-D transform's result (so an infinite
part does not make the other one NaN, as a complex product would) with NumPy's rounding.

The DFT matrix is symmetric, so under JAX's convention (transpose, not conjugate transpose)
the VJP of ``fft`` is ``fft`` again (with the same ``norm``), and of ``ifft`` is ``ifft``. A real
input receives the real part of that. ``rfft``/``irfft``/``fft2``/``fftn`` and the ``n=``
option are compositions in ``wire.numpy.fft``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval
from ..core.taylor import COEFFICIENTWISE
from ..core.primitive import Primitive
from ..core import bind
from ..core.lowering import XpImpl
from ..core.formula import ARRAYS_ONLY
from .complex_parts import real
from .layout import shift_axis


def _complex_dtype(dt):
    return np.result_type(np.dtype(dt), np.complex64)


def _fft_impl(x, *, axes, inverse, norm="backward"):
    x = np.asarray(x)
    out = (np.fft.ifftn if inverse else np.fft.fftn)(x, axes=axes, norm=norm)
    return out.astype(_complex_dtype(x.dtype), copy=False)


def _fft_shape(a, *, axes, inverse, norm="backward"):
    for ax in axes:
        if not 0 <= ax < a.ndim:
            raise ShapeError(f"fft: axis {ax} is out of range for {a!r}")
    return Aval(a.shape, _complex_dtype(a.dtype))


def _fft_vjp(ct, out, x, *, axes, inverse, norm="backward"):
    g = fft(ct, axes, inverse, norm)
    if x.dtype.kind != "c":
        g = real(g)
    return (g,)


def _fft_batch(args, dims, *, axes, inverse, norm="backward"):
    (x,), (d,) = args, dims
    return fft(x, tuple(shift_axis(a, d) for a in axes), inverse, norm), d


def _fft_sample(rng):
    x = rng.normal(size=(3, 4))
    axes = [(1,), (0,), (0, 1)][int(rng.integers(0, 3))]
    return [x], {"axes": axes, "inverse": bool(rng.integers(0, 2)),
                 "norm": ("backward", "ortho", "forward")[int(rng.integers(0, 3))]}


def _fft_xp(bk, x, *, axes, inverse, norm="backward"):
    xp = bk.xp
    if bk.np_dtype(x).kind != "c":
        dt = np.result_type(bk.np_dtype(x), np.complex64)
        x = xp.astype(x, bk.dtype(dt))
    f = xp.fft.ifftn if inverse else xp.fft.fftn
    return f(x, axes=tuple(axes), norm=norm)


fft_p = Primitive(
    "fft",
    _fft_impl,
    _fft_shape,
    dtype=lambda d, **params: _complex_dtype(d),
    linear=True,
    vjp=_fft_vjp,
    jvp=lambda ts, out, x, *, axes, inverse, norm="backward": fft(ts[0], axes, inverse, norm),
    batch=_fft_batch,
    xp=XpImpl(_fft_xp, "fft.fftn / fft.ifftn"),
    sample=_fft_sample,
    doc="n-dimensional DFT over axes (inverse=True: inverse DFT), scaled as NumPy's norm "
        "(backward: 1/n on the inverse; ortho: 1/sqrt(n) both ways; forward: 1/n forward)",
    sympy=ARRAYS_ONLY,
    taylor=COEFFICIENTWISE,
)


def fft(x, axes, inverse: bool = False, norm: str = "backward"):
    """Bind ``fft_p``; the default ``norm`` is left out of the params, so graphs without a
    scale are the ones they always were."""
    params = {} if norm in (None, "backward") else {"norm": str(norm)}
    return bind(fft_p, x, axes=tuple(int(a) for a in axes), inverse=bool(inverse), **params)
