"""What the matrix primitives (``decompositions``, ``determinants``, ``spectral``, ``pinv``)
share: transposes, diagonals, sample matrices, ``numpy.linalg``-style Array-API
implementations, and the tie rule (:func:`_divide_gaps`) for the vectors of tied or zero
eigen/singular values."""

from __future__ import annotations

import numpy as np

from ..core import Tracer
from ..core.lowering import XpImpl
from ..errors import ShapeError
from . import layout as S
from .complex_parts import conj, imag, real
from .elementwise import le, logical_and, select
from .indexing import getitem
from .reductions import reduce_max, reduce_sum


# --------------------------------------------------------------------------- helpers


def mT(x):
    return S.swapaxes(x, -1, -2)


def _cj(x):
    """Complex conjugate; real values pass through without a node."""
    return conj(x) if x.dtype.kind == "c" else x


def mH(x):
    """Conjugate transpose of the last two axes (the transpose for real ``x``)."""
    return _cj(mT(x))


def _sym(x):
    """Hermitian part ``(x + xᴴ) / 2`` (the symmetric part for real ``x``)."""
    return (x + mH(x)) * 0.5


def _i_imag_diag(x):
    """``diag(1j * Im(diag(x)))`` for complex square ``x``: the phase (gauge) terms."""
    d = imag(diagonal(x))
    return diag_embed(d) * np.asarray(1j, x.dtype)


def _eye(n, dtype):
    return np.eye(n, dtype=dtype)


def _tril_mask(n, dtype, k=0):
    return np.tril(np.ones((n, n), dtype=dtype), k)


def diagonal(x):
    """The diagonal of the last two axes of a square ``x``: shape ``(..., n)``."""
    n = x.shape[-1]
    i = np.arange(n)
    return getitem(x, [i, i], (("e",), ("a", 0), ("a", 1)))


def diag_embed(v):
    """Square matrices with ``v`` (shape ``(..., n)``) on the diagonal."""
    n = v.shape[-1]
    return S.reshape(v, v.shape + (1,)) * _eye(n, v.dtype)


def trace(x):
    d = diagonal(x)
    return reduce_sum(d, (d.ndim - 1,))


def _expand2(x):
    """(...,) -> (..., 1, 1), to scale matrices by one value per batch entry."""
    return S.reshape(x, tuple(x.shape) + (1, 1))


def _square(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{name}: expected square matrices (..., n, n), got {a!r}")


def _well_conditioned(rng, shape):
    n = shape[-1]
    return rng.normal(size=shape) + n * np.eye(n) * rng.choice([-1.0, 1.0])


def _hermitian_part(a):
    """``(a + aᴴ) / 2`` on NumPy arrays: the matrix ``cholesky`` and ``eigh`` factor."""
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2


def _spd(rng, shape):
    b = rng.normal(size=shape)
    return b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])


def _abs2(x):
    """|x|² as a real array (x * x for real x)."""
    if x.dtype.kind == "c":
        return real(x) * real(x) + imag(x) * imag(x)
    return x * x


def _pairwise_diff(v):
    """D[..., i, j] = v[..., j] - v[..., i]."""
    k = v.shape[-1]
    return S.reshape(v, v.shape[:-1] + (1, k)) - S.reshape(v, v.shape + (1,))


def _tolerance2(v):
    """(k * eps * max|v|)², the squared tie tolerance of values ``v`` along the last axis,
    with that axis kept (size 1) so it broadcasts against ``v``."""
    k = v.shape[-1]
    real = np.empty((), v.dtype).real.dtype
    scale = reduce_max(_abs2(v), (v.ndim - 1,))
    return S.reshape(scale, tuple(scale.shape) + (1,)) * np.asarray(
        float(k * np.finfo(real).eps) ** 2, real)


def _ties(v, diff):
    """Boolean (..., k, k): v[i] and v[j] are equal to working precision, that is
    |v[j] - v[i]| <= k * eps * max|v| (the diagonal is always a tie). Eigen/singular vectors
    of tied values are not determined by the matrix, so their coupling is not either."""
    k = v.shape[-1]
    if k == 0:
        return np.zeros(tuple(v.shape) + (0,), dtype=bool)
    return le(_abs2(diff), S.reshape(_tolerance2(v), tuple(v.shape[:-1]) + (1, 1)))


def _divide_or_nan(x, d, drop, undefined):
    """``x / d`` where not ``drop``; where ``drop``: NaN where ``undefined``, else 0. The
    reciprocal never sees the dropped entries, so derivatives stay finite there too."""
    dt = np.result_type(x.dtype, d.dtype)
    one, zero, nan = np.ones((), dt), np.zeros((), dt), np.full((), np.nan, dt)
    return select(drop, select(undefined, nan, zero), x / select(drop, one, d))


def is_zero_cotangent(ct) -> bool:
    """Whether ``ct`` is a zero that the reverse sweep made up for an output nobody used (a
    ``full`` node of 0, or a concrete all-zero array), as opposed to a cotangent that is 0
    only at this point. Only the first kind says the function does not depend on an output."""
    if isinstance(ct, Tracer):
        node = ct.node
        return node.op in (S.full_p, S.full_like_p) and node.params["value"] == 0
    return not np.any(ct)


def _divide_gaps(m, diff, ties):
    """``m / diff`` elementwise for the pairs that are not ``ties``; 0 on the diagonal, NaN
    for tied pairs.

    The vectors of tied eigen/singular values are not determined by the matrix, so their
    coupling has no value: a derivative that needs it is NaN, never a silently wrong number.
    Rules skip the coupling altogether when the vectors' cotangent :func:`is_zero_cotangent`
    (the function uses the values only: eigenvalue sums, norms): that derivative is exact.
    A cotangent that merely vanishes at the point is not enough (``V diag(λ) Vᵀ`` at a
    matrix with a repeated zero eigenvalue has zero cotangent columns there, and a coupling
    that matters)."""
    k = m.shape[-1]
    undefined = logical_and(ties, ~np.eye(k, dtype=bool))
    return _divide_or_nan(m, diff, ties, undefined)


def _over_s(x, row):
    """``x[..., i, j] / s_j`` with ``row[..., 0, j] = s_j``, the singular values. A singular
    value that is zero to working precision has undetermined singular vectors: NaN there,
    as for :func:`_divide_gaps`."""
    if row.shape[-1] == 0:
        return x
    small = le(_abs2(row), _tolerance2(row))
    return _divide_or_nan(x, row, small, small)


def _row(x):
    """(..., n) -> (..., 1, n): one value per column."""
    return S.reshape(x, tuple(x.shape[:-1]) + (1, x.shape[-1]))



def _conj_transpose(bk, a):
    at = bk.xp.matrix_transpose(a)
    return bk.xp.conj(at) if bk.np_dtype(a).kind == "c" else at


def _xp_linalg(fname, sym=False, multi=False, **kw) -> XpImpl:
    """``xp.linalg.fname``; ``sym``: of the Hermitian part, as the primitive factors it."""

    def fn(bk, *args):
        xp = bk.xp
        if sym:
            a = args[0]
            args = (xp.divide(xp.add(a, _conj_transpose(bk, a)), 2),)
        out = getattr(xp.linalg, fname)(*args, **kw)
        return tuple(out) if multi else out

    return XpImpl(fn, "linalg." + fname)
