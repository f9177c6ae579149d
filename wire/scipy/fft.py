"""``wire.scipy.fft``: the discrete cosine transforms ``dct``, ``idct``, ``dctn``, ``idctn``
of ``jax.scipy.fft`` with SciPy's definitions, types 1 to 4 (JAX has type 2 only) and norms
``None``/``'backward'``, ``'ortho'`` and ``'forward'``.

Each transform is one FFT (``wire.numpy.fft.fft``) of length ``2N`` (type 1: of the even
extension, length ``2(N-1)``) times fixed twiddle factors, so it costs O(N log N), agrees with
SciPy to rounding, and its derivative is its transpose, made by the FFT's own rules (eager,
``jit``, ``vmap``, any order). Complex inputs transform their real and imaginary parts.

>>> import numpy as np
>>> from wire.scipy.fft import dct, idct
>>> y = dct(np.array([1.0, 2.0, 3.0]))
>>> np.round(y, 12) + 0.0              # (+ 0.0: no -0.0)
array([12.        , -3.46410162,  0.        ])
>>> idct(y)
array([1., 2., 3.])
"""

from __future__ import annotations

import operator

import numpy as np

from .. import numpy as wnp
from ..core import Tracer
from ..errors import WireAxisError, WireTypeError, WireValueError, at, user_location
from ..tracebacks import expose

__all__ = ["dct", "dctn", "idct", "idctn"]

_INVERSE_TYPE = {1: 1, 2: 3, 3: 2, 4: 4}


def _dtype(x):
    return x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype


def _float_type(dtype):
    """SciPy's working precision: float32 for float16/float32 (complex64), else float64."""
    return np.dtype(np.float32) if dtype in (np.float16, np.float32, np.complex64) \
        else np.dtype(np.float64)


def _along(values, axis, ndim):
    """A 1-d constant shaped to broadcast along ``axis`` of an ``ndim``-d array."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.reshape(values, shape)


def _resize(x, n, axis):
    """Zero-pad or truncate ``x`` to length ``n`` along ``axis`` (SciPy's ``n=``)."""
    size = tuple(wnp.shape(x))[axis]
    if n == size:
        return x
    if n < size:
        return x[(slice(None),) * axis + (slice(0, n),)]
    pad = [(0, 0)] * len(wnp.shape(x))
    pad[axis] = (0, n - size)
    return wnp.pad(x, pad)


def _raw(x, type, axis):
    """SciPy's unnormalised DCT of the real ``x`` along ``axis`` (non-negative)."""
    ndim = len(wnp.shape(x))
    N = tuple(wnp.shape(x))[axis]
    ftype = _float_type(_dtype(x))
    if type == 1:  # the real FFT of the even extension [x0 .. x_{N-1}, x_{N-2} .. x1]
        inner = x[(slice(None),) * axis + (slice(N - 2, 0, -1),)]
        ext = wnp.concatenate([x, inner], axis=axis)
        return wnp.real(wnp.fft.fft(ext, axis=axis)[(slice(None),) * axis + (slice(0, N),)])
    n = np.arange(N)
    if type in (2, 4):  # sum_n x_n e^{-i pi n k / N} (times a twiddle), k < N
        z = x if type == 2 else x * _along(np.exp(-0.5j * np.pi * n / N).astype(
            np.result_type(ftype, np.complex64)), axis, ndim)
    else:  # type 3: x_0 + 2 sum_{n>0} x_n e^{-i pi n (2k + 1) / (2N)}
        w = np.exp(-0.5j * np.pi * n / N) * np.where(n == 0, 1.0, 2.0)
        z = x * _along(w.astype(np.result_type(ftype, np.complex64)), axis, ndim)
    spectrum = wnp.fft.fft(z, n=2 * N, axis=axis)[(slice(None),) * axis + (slice(0, N),)]
    if type == 2:
        twiddle = 2 * np.exp(-0.5j * np.pi * n / N)
    elif type == 4:
        twiddle = 2 * np.exp(-0.25j * np.pi * (2 * n + 1) / N)
    else:
        return wnp.real(spectrum)
    twiddle = twiddle.astype(np.result_type(ftype, np.complex64))
    return wnp.real(spectrum * _along(twiddle, axis, ndim))


def _ortho(x, type, axis):
    """SciPy's orthonormal DCT of the real ``x`` along ``axis``."""
    ndim = len(wnp.shape(x))
    N = tuple(wnp.shape(x))[axis]
    ftype = _float_type(_dtype(x))
    if type == 1:
        ends = np.ones(N)
        ends[[0, -1]] = np.sqrt(2.0)
        y = _raw(x * _along(ends.astype(ftype), axis, ndim), 1, axis)
        return y * _along((1 / ends / np.sqrt(2.0 * (N - 1))).astype(ftype), axis, ndim)
    if type == 2:
        f = np.full(N, 1 / np.sqrt(2.0 * N))
        f[0] = 1 / np.sqrt(4.0 * N)
        return _raw(x, 2, axis) * _along(f.astype(ftype), axis, ndim)
    if type == 3:
        f = np.full(N, 1 / np.sqrt(2.0 * N))
        f[0] = 1 / np.sqrt(1.0 * N)
        return _raw(x * _along(f.astype(ftype), axis, ndim), 3, axis)
    return _raw(x, 4, axis) * ftype.type(1 / np.sqrt(2.0 * N))


def _check(what, x, type, norm):
    if isinstance(type, bool) or type not in (1, 2, 3, 4):
        raise WireValueError(f"{what}: type must be 1, 2, 3 or 4, got {type!r}"
                             f"{at(user_location())}")
    if norm not in (None, "backward", "ortho", "forward"):
        raise WireValueError(f"{what}: norm must be None, 'backward', 'ortho' or 'forward', "
                             f"got {norm!r}{at(user_location())}")
    kind = _dtype(x).kind
    if kind not in "biufc":
        raise WireTypeError(f"{what}: x must be numeric, got dtype {_dtype(x)}"
                            f"{at(user_location())}")


def _axis(what, axis, ndim):
    try:
        axis = operator.index(axis)
    except TypeError:
        raise WireTypeError(f"{what}: axis must be an integer, got {axis!r}"
                            f"{at(user_location())}") from None
    if not -ndim <= axis < ndim:
        raise WireAxisError(f"{what}: axis {axis} is out of bounds for an array of dimension "
                            f"{ndim}{at(user_location())}")
    return axis % ndim


def _one(what, x, type, n, axis, norm, inverse):
    """One transform along one axis (``x`` already checked)."""
    ndim = len(wnp.shape(x))
    axis = _axis(what, axis, ndim)
    if n is not None:
        n = operator.index(n)
        if n < 1:
            raise WireValueError(f"{what}: n must be at least 1, got {n}{at(user_location())}")
        x = _resize(x, n, axis)
    N = tuple(wnp.shape(x))[axis]
    if N < (2 if type == 1 else 1):
        raise WireValueError(f"{what}: a type-{type} transform needs length at least "
                             f"{2 if type == 1 else 1} along axis {axis}, got shape "
                             f"{tuple(wnp.shape(x))}{at(user_location())}")
    dtype = _dtype(x)
    ftype = _float_type(dtype)
    if dtype.kind == "c":
        re = _one(what, wnp.real(x), type, None, axis, norm, inverse)
        im = _one(what, wnp.imag(x), type, None, axis, norm, inverse)
        return re + 1j * im
    if dtype != ftype:
        x = x.astype(ftype)
    kind = _INVERSE_TYPE[type] if inverse else type
    if norm == "ortho":
        return _ortho(x, kind, axis)
    y = _raw(x, kind, axis)
    scale = 2 * (N - 1) if type == 1 else 2 * N
    if (norm == "forward") != inverse:  # forward dct or backward idct divide
        y = y / ftype.type(scale)
    return y


def dct(x, type=2, n=None, axis=-1, norm=None):
    """The discrete cosine transform of ``x`` along ``axis``, SciPy's ``scipy.fft.dct`` (and
    ``jax.scipy.fft.dct``, which has type 2 only): ``type`` 1 to 4, ``n`` pads with zeros or
    truncates, ``norm`` ``None``/``'backward'`` (unscaled), ``'ortho'`` (orthonormal) or
    ``'forward'`` (divided by ``2N``, type 1: ``2(N-1)``). float32 stays float32, integers
    become float64, complex inputs transform their real and imaginary parts.

    >>> import numpy as np
    >>> dct(np.array([1.0, 0.0, 0.0, 0.0]), type=4, norm="ortho").round(6)
    array([0.69352 , 0.587938, 0.392847, 0.13795 ])
    >>> import wire                       # linear: the gradient is the transpose
    >>> wire.grad(lambda x: dct(x)[1])(np.zeros(3)).round(6)
    array([ 1.732051,  0.      , -1.732051])
    """
    _check("dct", x, type, norm)
    return _one("dct", x, type, n, axis, norm, inverse=False)


def idct(x, type=2, n=None, axis=-1, norm=None):
    """The inverse of ``dct`` with the same ``type``, ``n`` and ``norm`` (SciPy's
    ``scipy.fft.idct``: the DCT of the inverse type, scaled as ``norm`` says).

    >>> import numpy as np
    >>> x = np.array([0.5, -1.0, 2.0, 4.0])
    >>> [np.allclose(idct(dct(x, type=t), type=t), x) for t in (1, 2, 3, 4)]
    [True, True, True, True]
    """
    _check("idct", x, type, norm)
    return _one("idct", x, type, n, axis, norm, inverse=True)


def _axes_and_sizes(what, x, s, axes):
    ndim = len(wnp.shape(x))
    if s is not None:
        s = [operator.index(k) for k in (s if np.ndim(s) else [s])]
        if len(s) > ndim:
            raise WireValueError(f"{what}: s must have at most x.ndim ({ndim}) elements, got "
                                 f"{len(s)}{at(user_location())}")
    if axes is None:
        axes = list(range(ndim - len(s), ndim)) if s is not None else list(range(ndim))
    else:
        axes = [_axis(what, a, ndim) for a in (axes if np.ndim(axes) else [axes])]
        if len(set(axes)) != len(axes):
            raise WireValueError(f"{what}: repeated axes {axes}{at(user_location())}")
    if s is not None and len(s) != len(axes):
        raise WireValueError(f"{what}: s {s} and axes {axes} must have the same length"
                             f"{at(user_location())}")
    return axes, (s if s is not None else [None] * len(axes))


def dctn(x, type=2, s=None, axes=None, norm=None):
    """The DCT along several axes (SciPy's ``scipy.fft.dctn``): ``axes`` default to the
    last ``len(s)`` axes, or all axes without ``s``; ``s`` gives each one's length.

    >>> import numpy as np
    >>> dctn(np.ones((2, 3))).round(12) + 0.0
    array([[24.,  0.,  0.],
           [ 0.,  0.,  0.]])
    """
    _check("dctn", x, type, norm)
    for axis, n in zip(*_axes_and_sizes("dctn", x, s, axes)):
        x = _one("dctn", x, type, n, axis, norm, inverse=False)
    return x


def idctn(x, type=2, s=None, axes=None, norm=None):
    """The inverse of ``dctn`` (SciPy's ``scipy.fft.idctn``).

    >>> import numpy as np
    >>> idctn(dctn(np.arange(6.0).reshape(2, 3), norm="ortho"), norm="ortho").round(12) + 0.0
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    _check("idctn", x, type, norm)
    for axis, n in zip(*_axes_and_sizes("idctn", x, s, axes)):
        x = _one("idctn", x, type, n, axis, norm, inverse=True)
    return x


expose(globals(), __all__)
