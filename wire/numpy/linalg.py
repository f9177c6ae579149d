"""``wire.numpy.linalg``: NumPy's ``numpy.linalg`` on arrays and tracers.

Factorizations are primitives (``wire.ops.factorizations``); ``norm``, ``pinv``,
``matrix_power``, ``cond``, ``lstsq``, ``multi_dot``, ``eigvalsh``… are compositions. A
singular matrix raises ``numpy.linalg.LinAlgError`` when evaluated, as in NumPy. Results that
NumPy returns as named tuples (``slogdet``, ``eigh``, ``svd``, ``qr``) are named tuples here.

>>> import numpy as np, wire
>>> from wire.numpy import linalg
>>> float(wire.grad(lambda a: linalg.slogdet(a).logabsdet)(2 * np.eye(2))[0, 0])
0.5
"""

from __future__ import annotations

import builtins
from typing import NamedTuple

import numpy as np

from ..errors import ShapeError, WireError, at, user_location
from ..ops import factorizations as LX
from ..core import Tracer
from ._elementwise_composed import conj, imag, real
from ._math import abs, sqrt, where
from ._products import matmul, outer, tensordot
from ._promote import cast, promote
from ._reductions import max, min, normalize_axes, sum
from ._shape import expand_dims, moveaxis, ravel, reshape, swapaxes, transpose
from ._rearranging import cross as _cross, diagonal as _diagonal

LinAlgError = np.linalg.LinAlgError

__all__ = [
    "LinAlgError",
    "cholesky",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "lstsq",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "multi_dot",
    "norm",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "trace",
    "vecdot",
    "vector_norm",
]


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


class QRResult(NamedTuple):
    Q: object
    R: object


def _t(*xs) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


def _float(a):
    return a if a.dtype.kind in "fc" else cast(a, np.float64)


def _square(a, what):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"linalg.{what}: expected square matrices (..., n, n), got {a.aval!r}"
                         f"{at(user_location())}")


def _real(a, what):
    if a.dtype.kind == "c":
        raise WireError(f"linalg.{what} of complex traced matrices is not supported (real only)"
                        f"{at(user_location())}")


def inv(a):
    """Matrix inverse (``LinAlgError`` if singular).

    >>> inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    if not _t(a):
        return np.linalg.inv(a)
    a = _float(a)
    _square(a, "inv")
    return LX.inv(a)


def det(a):
    """Determinant.

    >>> float(det(np.array([[1.0, 2.0], [3.0, 4.0]])))
    -2.0000000000000004
    """
    if not _t(a):
        return np.linalg.det(a)
    a = _float(a)
    _square(a, "det")
    return LX.det(a)


def slogdet(a):
    """Sign and log-absolute-determinant, as ``(sign, logabsdet)``."""
    if not _t(a):
        return np.linalg.slogdet(a)
    a = _float(a)
    _square(a, "slogdet")
    return SlogdetResult(*LX.slogdet(a))


def solve(a, b):
    """Solve ``a x = b``; ``b`` is a vector only when it is 1-D (NumPy 2 rule).

    >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([1.0, 1.0]))
    array([0.5 , 0.25])
    """
    if not _t(a, b):
        return np.linalg.solve(a, b)
    a, b = promote(a, b)
    a, b = _float(a), _float(b)
    _square(a, "solve")
    if np.ndim(b) == 1 if not isinstance(b, Tracer) else b.ndim == 1:
        return LX.solve(a, expand_dims(b, -1))[..., 0]
    return LX.solve(a, b)


def _mirror_lower(a):
    """The symmetric matrix NumPy factors: the lower triangle of ``a`` mirrored."""
    n = a.shape[-1]
    low = np.tril(np.ones((n, n), bool), -1)
    diag = np.eye(n, dtype=bool)
    at_ = swapaxes(a, -1, -2)
    return where(low, a, where(diag, a, at_))


def _mirror(a, uplo):
    return _mirror_lower(a) if uplo.upper() == "L" else _mirror_lower(swapaxes(a, -1, -2))


def cholesky(a, /, *, upper=False):
    """Cholesky factor (lower, or upper with ``upper=True``) of a positive-definite matrix;
    reads the lower (``upper=True``: upper) triangle, like NumPy. ``LinAlgError`` if not positive definite."""
    if not _t(a):
        return np.linalg.cholesky(a, upper=upper)
    a = _float(a)
    _square(a, "cholesky")
    _real(a, "cholesky")
    L = LX.cholesky(_mirror(a, "U" if upper else "L"))
    return swapaxes(L, -1, -2) if upper else L


def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix (reads one triangle).
    Derivatives assume distinct eigenvalues."""
    if not _t(a):
        return np.linalg.eigh(a, UPLO)
    a = _float(a)
    _square(a, "eigh")
    _real(a, "eigh")
    return EighResult(*LX.eigh(_mirror(a, UPLO)))


def eigvalsh(a, UPLO="L"):
    """Eigenvalues of a symmetric matrix (ascending)."""
    if not _t(a):
        return np.linalg.eigvalsh(a, UPLO)
    return eigh(a, UPLO)[0]


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular value decomposition ``(U, S, Vh)``; on traced non-square matrices pass
    ``full_matrices=False``. Derivatives assume distinct non-zero singular values."""
    if not _t(a):
        return np.linalg.svd(a, full_matrices, compute_uv, hermitian)
    a = _float(a)
    _real(a, "svd")
    if a.ndim < 2:
        raise ShapeError(f"linalg.svd: expected matrices, got {a.aval!r}{at(user_location())}")
    if full_matrices and compute_uv and a.shape[-1] != a.shape[-2]:
        raise WireError(
            f"linalg.svd(full_matrices=True) of the non-square traced {a.aval!r} is not "
            f"supported: pass full_matrices=False{at(user_location())}"
        )
    u, s, vh = LX.svd(a)
    return SVDResult(u, s, vh) if compute_uv else s


def svdvals(x):
    """Singular values (descending)."""
    if not _t(x):
        return np.linalg.svdvals(x)
    return svd(x, full_matrices=False, compute_uv=False)


def qr(a, mode="reduced"):
    """QR decomposition (modes "reduced", "r", and "complete" for square or wide matrices)."""
    if not _t(a):
        return np.linalg.qr(a, mode)
    a = _float(a)
    _real(a, "qr")
    m, n = a.shape[-2:]
    if mode == "complete" and m > n:
        raise WireError(f"linalg.qr(mode='complete') of a tall traced matrix is not supported"
                        f"{at(user_location())}")
    if mode not in ("reduced", "complete", "r"):
        raise WireError(f"linalg.qr: mode {mode!r} is not supported on traced values"
                        + at(user_location()))
    q, r = LX.qr(a)
    return r if mode == "r" else QRResult(q, r)


# --------------------------------------------------------------------------- norms


def _safe_sqrt(s):
    """sqrt with derivative 0 (not NaN) where s == 0."""
    zero = s == 0
    return where(zero, 0.0, sqrt(where(zero, 1.0, s)))


def _abs2(x):
    if x.dtype.kind == "c":
        return real(x) ** 2 + imag(x) ** 2
    return x * x


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _safe_sqrt(sum(_abs2(x), axis=axis, keepdims=keepdims))
    ax = abs(x)
    if ord == np.inf:
        return max(ax, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return min(ax, axis=axis, keepdims=keepdims)
    if ord == 0:
        return sum(cast(x != 0, ax.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum(ax, axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise WireError(f"linalg.norm: invalid norm order {ord!r} for vectors{at(user_location())}")
    return sum(ax**ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _matrix_norm(x, ord, axes, keepdims):
    r, c = axes
    if ord in (None, "fro", "f"):
        out = _safe_sqrt(sum(_abs2(x), axis=(r, c)))
    elif ord in ("nuc", 2, -2):
        xm = moveaxis(x, (r, c), (-2, -1))
        s = svd(xm, full_matrices=False, compute_uv=False)
        out = sum(s, axis=-1) if ord == "nuc" else (max if ord == 2 else min)(s, axis=-1)
    elif ord in (1, -1):
        red = max if ord == 1 else min
        out = red(sum(abs(x), axis=r), axis=c - 1 if c > r else c)
    elif ord in (np.inf, -np.inf):
        red = max if ord == np.inf else min
        out = red(sum(abs(x), axis=c), axis=r - 1 if r > c else r)
    else:
        raise WireError(f"linalg.norm: invalid norm order {ord!r} for matrices{at(user_location())}")
    if keepdims:
        shape = list(x.shape)
        shape[r] = shape[c] = 1
        out = reshape(out, tuple(shape))
    return out


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, every ``ord`` NumPy has (vectors: None/2, 1, inf, -inf, 0, any
    p; matrices: None/"fro", "nuc", 1, -1, 2, -2, inf, -inf). The 2-norm's derivative at 0 is 0.

    >>> float(norm(np.array([3.0, 4.0])))
    5.0
    >>> float(norm(np.array([[1.0, -2.0], [3.0, 4.0]]), 1))
    6.0
    """
    if not _t(x):
        return np.linalg.norm(x, ord, axis, keepdims)
    x = _float(x)
    if axis is None:
        if ord is None:
            out = _safe_sqrt(sum(_abs2(ravel(x))))
            return reshape(out, (1,) * x.ndim) if keepdims else out
        if x.ndim == 1:
            axis = 0
        elif x.ndim == 2:
            axis = (0, 1)
        else:
            raise WireError(f"linalg.norm: improper number of dimensions to norm{at(user_location())}")
    if isinstance(axis, (int, np.integer)):
        return _vector_norm(x, ord, normalize_axes(axis, x.ndim)[0], keepdims)
    if len(axis) == 1:
        return _vector_norm(x, ord, normalize_axes(axis[0], x.ndim)[0], keepdims)
    if len(axis) == 2:
        r, c = (int(a) % x.ndim for a in axis)
        if r == c:
            raise WireError(f"linalg.norm: duplicate axes given{at(user_location())}")
        return _matrix_norm(x, ord, (r, c), keepdims)
    raise WireError(f"linalg.norm: improper number of dimensions to norm{at(user_location())}")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Array-API vector norm (flattens when ``axis`` is None)."""
    if not _t(x):
        return np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    x = _float(x)
    if axis is None:
        out = _vector_norm(ravel(x), ord, 0, False)
        return reshape(out, (1,) * x.ndim) if keepdims else out
    if isinstance(axis, tuple) and len(axis) > 1:
        axes = normalize_axes(axis, x.ndim)
        rest = [i for i in range(x.ndim) if i not in axes]
        y = reshape(transpose(x, rest + list(axes)), tuple(x.shape[i] for i in rest) + (-1,))
        out = _vector_norm(y, ord, y.ndim - 1, False)
        if keepdims:
            out = reshape(out, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
        return out
    return norm(x, ord, axis, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Array-API matrix norm over the last two axes."""
    if not _t(x):
        return np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    x = _float(x)
    return _matrix_norm(x, ord, (x.ndim - 2, x.ndim - 1), keepdims)


# --------------------------------------------------------------------------- compositions


def pinv(a, rcond=None, hermitian=False, *, rtol=None):
    """Moore–Penrose pseudo-inverse via the SVD; singular values below
    ``rcond * max(s)`` are dropped (derivative assumes distinct singular values)."""
    if not _t(a):
        return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian, rtol=rtol)
    a = _float(a)
    m, n = a.shape[-2:]
    if rcond is None:
        rcond = rtol if rtol is not None else builtins.max(m, n) * np.finfo(a.dtype).eps
    u, s, vh = LX.svd(a)
    cutoff = rcond * max(s, axis=-1, keepdims=True)
    keep = s > cutoff
    s_inv = where(keep, 1.0 / where(keep, s, 1.0), 0.0)
    return matmul(swapaxes(vh, -1, -2) * expand_dims(s_inv, -2), swapaxes(u, -1, -2))


def matrix_power(a, n):
    """``a`` to the integer power ``n`` by repeated squaring (``inv`` first when ``n < 0``).

    >>> matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
    array([[1., 3.],
           [0., 1.]])
    """
    if not _t(a):
        return np.linalg.matrix_power(a, n)
    _square(a, "matrix_power")
    n = int(n)
    if n == 0:
        return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape) + 0 * a
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """Rank from the singular values (an integer: no derivative)."""
    if not _t(A):
        return np.linalg.matrix_rank(A, tol=tol, hermitian=hermitian, rtol=rtol)
    A = _float(A)
    if A.ndim < 2:
        return cast(~(A == 0).all(), np.intp) if hasattr(A == 0, "all") else int(np.any(A))
    s = svdvals(A)
    if tol is None:
        r = rtol if rtol is not None else builtins.max(A.shape[-2:]) * np.finfo(A.dtype).eps
        tol = max(s, axis=-1, keepdims=True) * r
    return sum(s > tol, axis=-1)


def multi_dot(arrays, *, out=None):
    """Product of several matrices (vectors allowed at the ends), left to right."""
    if not _t(*arrays):
        return np.linalg.multi_dot(arrays)
    result = arrays[0]
    for m in arrays[1:]:
        result = matmul(result, m)
    return result


def lstsq(a, b, rcond=None):
    """Least-squares solution ``(x, residuals, rank, s)`` through the pseudo-inverse
    (``residuals`` is computed when ``a`` is tall; rank deficiency is not detected)."""
    if not _t(a, b):
        return np.linalg.lstsq(a, b, rcond=rcond)
    a, b = promote(a, b)
    a = _float(a)
    x = matmul(pinv(a, rcond if rcond is not None else None), b)
    m, n = a.shape[-2:]
    s = svdvals(a)
    if m > n:
        r = b - matmul(a, x)
        res = sum(r * r, axis=0)
        res = reshape(res, (1,)) if res.ndim == 0 else res
    else:
        res = np.zeros((0,), a.dtype)
    return x, res, builtins.min(m, n), s


def cond(x, p=None):
    """Condition number (``p`` None/2/-2 via singular values, else ``norm(x) * norm(inv(x))``)."""
    if not _t(x):
        return np.linalg.cond(x, p)
    x = _float(x)
    if p in (None, 2, -2):
        s = svdvals(x)
        big, small = max(s, axis=-1), min(s, axis=-1)
        return big / small if p != -2 else small / big
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


def vecdot(x1, x2, /, *, axis=-1):
    """Dot product along ``axis`` (conjugating ``x1``), broadcasting the rest."""
    if not _t(x1, x2):
        return np.linalg.vecdot(x1, x2, axis=axis)
    return sum(conj(x1) * x2, axis=axis)


def matrix_transpose(x, /):
    """Swap the last two axes."""
    if not _t(x):
        return np.linalg.matrix_transpose(x)
    return swapaxes(x, -1, -2)


def diagonal(x, /, *, offset=0):
    """Diagonals of the last two axes."""
    if not _t(x):
        return np.linalg.diagonal(x, offset=offset)
    return _diagonal(x, offset, -2, -1)


def trace(x, /, *, offset=0, dtype=None):
    """Traces of the last two axes."""
    if not _t(x):
        return np.linalg.trace(x, offset=offset, dtype=dtype)
    return sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


def cross(x1, x2, /, *, axis=-1):
    """Cross product of 3-vectors along ``axis``."""
    return _cross(x1, x2, axis=axis)
