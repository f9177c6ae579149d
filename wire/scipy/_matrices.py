"""Special matrices of ``wire.scipy.linalg``: ``block_diag``, ``toeplitz``, ``circulant``,
``hankel``, ``companion``, ``fiedler``, ``fiedler_companion``, ``leslie``,
``convolution_matrix``, built with ``wire.numpy`` gathers and concatenations (so they
differentiate for free: each entry's derivative goes to the input entry it copies). On
concrete arrays SciPy builds them.

The constructors of an order ``n`` alone (``hilbert``, ``invhilbert``, ``pascal``,
``invpascal``, ``hadamard``, ``helmert``, ``dft``) have nothing to differentiate; they are
NumPy arrays built here (exact integers where SciPy's are, with SciPy's dtypes), so they do
not need SciPy."""

from __future__ import annotations

import math

import numpy as np

from .. import numpy as wnp
from ..errors import ShapeError, WireValueError, at, user_location
from ._traced import traced as _t
from ..ops.optional import module as _optional_module

_scipy = _optional_module("scipy")  # None without SciPy; imported on first use
_sl = _optional_module("scipy.linalg")


def _hankel_ravels() -> bool:
    """Whether SciPy ravels a multidimensional c or r of hankel (before 1.19, with a
    FutureWarning); from 1.19 on, leading axes are batch axes, as toeplitz's already are."""
    return _sl is not None and np.lib.NumpyVersion(_scipy.__version__) < "1.19.0"


def _concrete(*xs) -> bool:
    return _sl is not None and not _t(*xs)


def block_diag(*arrs):
    """The block-diagonal matrix of ``arrs`` (scalars and 1-D arrays are 1-row blocks, as in
    SciPy), of their common dtype.

    >>> import numpy as np
    >>> block_diag(np.eye(2), 3.0)
    array([[1., 0., 0.],
           [0., 1., 0.],
           [0., 0., 3.]])
    """
    if _concrete(*arrs):
        return _sl.block_diag(*arrs)
    blocks = [wnp.atleast_2d(a) for a in arrs]
    for a in blocks:
        if a.ndim > 2:
            raise ShapeError(f"block_diag: blocks are at most 2-D, got shape {tuple(a.shape)}"
                             f"{at(user_location())}")
    dtype = np.result_type(*[a.dtype for a in blocks])
    cols = sum(a.shape[1] for a in blocks)
    rows, left = [], 0
    for a in blocks:
        r, c = a.shape
        parts = [wnp.zeros((r, left), dtype), wnp.asarray(a, dtype),
                 wnp.zeros((r, cols - left - c), dtype)]
        rows.append(wnp.concatenate(parts, axis=1))
        left += c
    return wnp.concatenate(rows, axis=0)


def _last_axis(x):
    return wnp.asarray(x) if _t(x) else np.asarray(x)


def toeplitz(c, r=None):
    """The Toeplitz matrix with first column ``c`` and first row ``r`` (``r[0]`` is ignored;
    by default ``r = conj(c)``); leading axes of ``c`` and ``r`` are batch axes, as in
    SciPy 1.17.

    >>> import numpy as np
    >>> toeplitz(np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0]))
    array([[1., 4.],
           [2., 1.],
           [3., 2.]])
    """
    if _concrete(c, r):
        return _sl.toeplitz(c, r)
    c = _last_axis(c)
    r = wnp.conj(c) if r is None else _last_axis(r)
    m, n = c.shape[-1], r.shape[-1]
    # vals = [c reversed, r[1:]]: entry (i, j) is vals[m - 1 - i + j]
    c, r = _broadcast_batches(c, r)
    vals = wnp.concatenate([wnp.flip(c, axis=-1), r[..., 1:]], axis=-1)
    index = m - 1 - np.arange(m)[:, None] + np.arange(n)[None, :]
    return vals[..., index]


def _broadcast_batches(c, r):
    batch = np.broadcast_shapes(tuple(c.shape[:-1]), tuple(r.shape[:-1]))
    c = wnp.broadcast_to(c, batch + tuple(c.shape[-1:]))
    r = wnp.broadcast_to(r, batch + tuple(r.shape[-1:]))
    return c, r


def circulant(c):
    """The circulant matrix whose first column is ``c``: entry ``(i, j)`` is
    ``c[(i - j) % n]`` (leading axes are batch axes).

    >>> import numpy as np
    >>> circulant(np.array([1.0, 2.0, 3.0]))
    array([[1., 3., 2.],
           [2., 1., 3.],
           [3., 2., 1.]])
    """
    if _concrete(c):
        return _sl.circulant(c)
    c = _last_axis(c)
    n = c.shape[-1]
    return c[..., (np.arange(n)[:, None] - np.arange(n)[None, :]) % n]


def hankel(c, r=None):
    """The Hankel matrix with first column ``c`` and last row ``r`` (``r[0]`` is ignored; by
    default zeros): entry ``(i, j)`` is ``c[i + j]`` above the anti-diagonal's end, else
    ``r[i + j - m + 1]``. A multidimensional ``c`` or ``r`` is raveled before SciPy 1.19,
    as SciPy's (leading axes are batch axes from 1.19 on).

    >>> import numpy as np
    >>> hankel(np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0]))
    array([[1., 2.],
           [2., 3.],
           [3., 4.]])
    """
    if _concrete(c, r):
        return _sl.hankel(c, r)
    c = _last_axis(c)
    r = wnp.zeros_like(c) if r is None else _last_axis(r)
    if (c.ndim > 1 or r.ndim > 1) and _hankel_ravels():
        c, r = wnp.ravel(c), wnp.ravel(r)
    m, n = c.shape[-1], r.shape[-1]
    c, r = _broadcast_batches(c, r)
    vals = wnp.concatenate([c, r[..., 1:]], axis=-1)
    return vals[..., np.arange(m)[:, None] + np.arange(n)[None, :]]


def companion(a):
    """The companion matrix of the polynomial with coefficients ``a`` (highest degree
    first): first row ``-a[1:] / a[0]``, ones below the diagonal. Its eigenvalues are the
    polynomial's roots.

    >>> import numpy as np
    >>> companion(np.array([1.0, -3.0, 2.0]))      # x² - 3x + 2
    array([[ 3., -2.],
           [ 1.,  0.]])
    """
    if _concrete(a):
        return _sl.companion(a)
    a = _last_axis(a)
    n = a.shape[-1]
    if n < 2:
        raise ShapeError(f"companion: the polynomial needs at least 2 coefficients, got "
                         f"shape {tuple(a.shape)}{at(user_location())}")
    a = a if a.dtype.kind in "fc" else wnp.asarray(a, np.float64)
    first = -a[..., 1:] / a[..., :1]
    below = np.eye(n - 2, n - 1, dtype=a.dtype)
    below = wnp.broadcast_to(below, tuple(a.shape[:-1]) + below.shape)
    return wnp.concatenate([first[..., None, :], below], axis=-2)



def _order(n, what, least=0):
    """``n`` as a Python int (an integral NumPy scalar too), at least ``least``."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < least:
        raise WireValueError(f"{what}: n must be an integer >= {least}, got {n!r}"
                             f"{at(user_location())}")
    return int(n)


def _integer_matrix(rows, dtype):
    """A matrix of Python ints as ``dtype`` (``object`` keeps them exact)."""
    n = len(rows)
    out = np.empty((n, n), dtype=dtype)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            out[i, j] = v
    return out


def hilbert(n):
    """The Hilbert matrix of order ``n``: entry ``(i, j)`` is ``1 / (i + j + 1)``.

    >>> hilbert(3)
    array([[1.        , 0.5       , 0.33333333],
           [0.5       , 0.33333333, 0.25      ],
           [0.33333333, 0.25      , 0.2       ]])
    """
    n = _order(n, "hilbert")
    i = np.arange(n, dtype=np.float64)
    return 1.0 / (i[:, None] + i[None, :] + 1.0)


def invhilbert(n, exact=False):
    """The inverse of the Hilbert matrix of order ``n`` (its entries are integers):
    float64 by default (each entry the exact integer, rounded once), int64 with
    ``exact=True`` up to ``n = 14`` and an object array of Python ints beyond, as SciPy.

    >>> invhilbert(2)
    array([[ 4., -6.],
           [-6., 12.]])
    >>> invhilbert(2, exact=True).dtype
    dtype('int64')
    """
    n = _order(n, "invhilbert")
    comb = math.comb
    rows = [[(-1) ** (i + j) * (i + j + 1) * comb(n + i, n - j - 1) * comb(n + j, n - i - 1)
             * comb(i + j, i) ** 2 for j in range(n)] for i in range(n)]
    if not exact:
        return _integer_matrix(rows, object).astype(np.float64)
    return _integer_matrix(rows, object if n > 14 else np.int64)


def _pascal_kind(kind, what):
    if kind not in ("symmetric", "lower", "upper"):
        raise WireValueError(f"{what}: kind must be 'symmetric', 'lower' or 'upper', got "
                             f"{kind!r}{at(user_location())}")


def pascal(n, kind="symmetric", exact=True):
    """The Pascal matrix of order ``n``: binomial coefficients ``C(i + j, i)``
    (``kind='symmetric'``), or ``C(i, j)`` (``'lower'``) and its transpose (``'upper'``).
    ``exact=True`` gives uint64 below ``n = 35`` and Python ints beyond, as SciPy;
    ``exact=False`` float64 (each entry the exact integer, rounded once).

    >>> pascal(4)
    array([[ 1,  1,  1,  1],
           [ 1,  2,  3,  4],
           [ 1,  3,  6, 10],
           [ 1,  4, 10, 20]], dtype=uint64)
    """
    n = _order(n, "pascal")
    _pascal_kind(kind, "pascal")
    comb = math.comb
    if kind == "symmetric":
        rows = [[comb(i + j, i) for j in range(n)] for i in range(n)]
    else:
        rows = [[comb(i, j) for j in range(n)] for i in range(n)]
    out = _integer_matrix(rows, (np.uint64 if n < 35 else object) if exact else object)
    out = out if exact else out.astype(np.float64)
    return out.T if kind == "upper" else out


def invpascal(n, kind="symmetric", exact=True):
    """The inverse of ``pascal(n, kind)``: int64 with ``exact=True`` (Python ints from
    ``n = 35`` on), float64 otherwise, as SciPy (whose float triangular inverse has ``-0.0``
    where its alternating signs meet a zero: so has this one).

    >>> invpascal(3)
    array([[ 3, -3,  1],
           [-3,  5, -2],
           [ 1, -2,  1]])
    """
    n = _order(n, "invpascal")
    _pascal_kind(kind, "invpascal")
    comb = math.comb
    if kind == "symmetric":
        rows = [[(-1) ** abs(i - j) * sum(comb(max(i, j) + k, k) * comb(max(i, j) + k,
                                                                     max(i, j) + k - min(i, j))
                                       for k in range(n - max(i, j)))
                 for j in range(n)] for i in range(n)]
        if not exact:
            return _integer_matrix(rows, object).astype(np.float64)
        return _integer_matrix(rows, object if n > 34 else np.int64)
    p = pascal(n, kind, exact)
    signs = (-1) ** np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    if p.dtype == object:
        return p * signs.astype(object)
    return p.astype(np.int64 if exact else np.float64) * signs


def hadamard(n, dtype=int):
    """The Sylvester–Hadamard matrix of order ``n`` (a power of 2): entries ±1, rows
    orthogonal.

    >>> hadamard(2)
    array([[ 1,  1],
           [ 1, -1]])
    """
    if (isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1
            or n & (n - 1)):
        raise WireValueError(f"hadamard: n must be a positive power of 2, got {n!r}"
                             f"{at(user_location())}")
    h = np.array([[1]], dtype=dtype)
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


def helmert(n, full=False):
    """The Helmert matrix of order ``n``: orthogonal, its first row ``1/√n``; ``full=False``
    (the default, as SciPy) drops that row, leaving ``n - 1`` rows orthogonal to the ones.

    >>> helmert(2, full=True).round(6)
    array([[ 0.707107,  0.707107],
           [ 0.707107, -0.707107]])
    """
    n = _order(n, "helmert", 1)
    h = np.tril(np.ones((n, n)), -1) - np.diag(np.arange(n))
    d = np.arange(n) * np.arange(1, n + 1)
    h[0] = 1
    d[0] = n
    h = h / np.sqrt(d)[:, np.newaxis]
    return h if full else h[1:]


def dft(n, scale=None):
    """The discrete Fourier transform matrix: ``dft(n) @ x`` is ``fft(x)``. ``scale``:
    ``None`` (no scaling), ``'sqrtn'`` (unitary) or ``'n'``. Entry ``(j, k)`` is
    ``exp(-2πi (jk mod n) / n)``, the angle reduced to ``[-π, π]`` before the exponential
    (SciPy raises a rounded root of unity to the power ``k``, about ``1e-16·n`` off).

    >>> dft(2)
    array([[ 1.+0.j,  1.+0.j],
           [ 1.+0.j, -1.+0.j]])
    """
    n = _order(n, "dft")
    if scale not in (None, "sqrtn", "n"):
        raise WireValueError(f"dft: scale must be None, 'sqrtn' or 'n', got {scale!r}"
                             f"{at(user_location())}")
    k = np.arange(n)
    r = (k[:, None] * k[None, :]) % max(n, 1)
    r = np.where(2 * r > n, r - n, r)  # |angle| <= π: conjugate pairs are exact conjugates
    m = np.exp(-2j * np.pi * r / max(n, 1))
    m[2 * r == n] = -1.0  # exp(-iπ), without the imaginary part π's rounding leaves
    if scale == "sqrtn":
        m = m / math.sqrt(n)
    elif scale == "n":
        m = m / n
    return m


def fiedler(a):
    """The symmetric Fiedler matrix ``|a[i] - a[j]|`` (leading axes are batch axes). Its
    derivative on the diagonal, where ``|·|`` has its kink, is 0.

    >>> import numpy as np
    >>> fiedler(np.array([1.0, 4.0, 12.0]))
    array([[ 0.,  3., 11.],
           [ 3.,  0.,  8.],
           [11.,  8.,  0.]])
    """
    if _concrete(a):
        return _sl.fiedler(a)
    a = wnp.atleast_1d(a)
    size = int(np.prod(a.shape))
    if size == 0:
        return np.asarray([], dtype=np.float64)
    if size == 1:
        return np.asarray([[0.0]])
    return wnp.abs(a[..., :, None] - a[..., None, :])


def _fiedler_companion_index(n):
    """Entry ``(i, j)`` of the ``n x n`` Fiedler companion matrix as an index into
    ``[0, 1, -a[1], -a[2], …]`` (``a`` monic)."""
    idx = np.zeros((n, n), dtype=np.intp)
    neg = lambda k: 1 + k  # noqa: E731  (-a[k] is at 1 + k)
    for i, j in zip(range(3, n, 2), range(1, n - 2, 2)):
        idx[i, j] = 1
    for i, j, k in zip(range(2, n, 2), range(1, n - 1, 2), range(3, n + 1, 2)):
        idx[i, j] = neg(k)
    for i, j in zip(range(0, n - 2, 2), range(2, n, 2)):
        idx[i, j] = 1
    for i, j, k in zip(range(0, n - 1, 2), range(1, n, 2), range(2, n + 1, 2)):
        idx[i, j] = neg(k)
    idx[0, 0], idx[1, 0] = neg(1), 1
    return idx


def fiedler_companion(a):
    """The Fiedler companion matrix of the polynomial ``a`` (highest degree first): a
    pentadiagonal matrix with the polynomial's roots as eigenvalues. Leading axes are batch
    axes. A zero leading coefficient raises on a concrete array (as SciPy); traced, it gives
    inf or NaN entries.

    >>> import numpy as np
    >>> fiedler_companion(np.array([1.0, -3.0, 2.0]))       # x² - 3x + 2
    array([[ 3., -2.],
           [ 1.,  0.]])
    """
    if _concrete(a):
        return _sl.fiedler_companion(a)
    a = wnp.atleast_1d(a)
    size = a.shape[-1]
    if size <= 2:
        if size == 2:
            return wnp.reshape(-(a[..., -1:] / a[..., :1]), tuple(a.shape[:-1]) + (1, 1))
        return wnp.zeros(tuple(a.shape[:-1]) + (0,), a.dtype)
    a = a / a[..., :1]
    n = size - 1
    batch = tuple(a.shape[:-1])
    vals = wnp.concatenate([wnp.zeros(batch + (1,), a.dtype), wnp.ones(batch + (1,), a.dtype),
                            -a[..., 1:]], axis=-1)
    return vals[..., _fiedler_companion_index(n)]


def leslie(f, s):
    """The Leslie matrix of fecundities ``f`` (length ``N``, the first row) and survival
    rates ``s`` (length ``N - 1``, the first subdiagonal); leading axes are batch axes.

    >>> import numpy as np
    >>> leslie(np.array([0.1, 2.0, 1.0]), np.array([0.2, 0.8]))
    array([[0.1, 2. , 1. ],
           [0.2, 0. , 0. ],
           [0. , 0.8, 0. ]])
    """
    if _concrete(f, s):
        return _sl.leslie(f, s)
    f, s = wnp.atleast_1d(f), wnp.atleast_1d(s)
    if f.shape[-1] != s.shape[-1] + 1 or s.shape[-1] == 0:
        raise ShapeError(f"leslie: s must be one shorter than f on the last axis and at least "
                         f"1 long, got shapes {tuple(f.shape)} and {tuple(s.shape)}"
                         f"{at(user_location())}")
    n = f.shape[-1]
    dtype = np.result_type(f.dtype, s.dtype)
    batch = np.broadcast_shapes(tuple(f.shape[:-1]), tuple(s.shape[:-1]))
    f = wnp.broadcast_to(wnp.asarray(f, dtype), batch + (n,))
    s = wnp.broadcast_to(wnp.asarray(s, dtype), batch + (n - 1,))
    vals = wnp.concatenate([wnp.zeros(batch + (1,), dtype), f, s], axis=-1)
    idx = np.zeros((n, n), dtype=np.intp)
    idx[0] = 1 + np.arange(n)
    idx[np.arange(1, n), np.arange(n - 1)] = 1 + n + np.arange(n - 1)
    return vals[..., idx]


def convolution_matrix(a, n, mode="full"):
    """The Toeplitz matrix ``A`` with ``A @ v == convolve(a, v, mode)`` for ``v`` of length
    ``n`` (``mode``: ``'full'``, ``'same'``, ``'valid'``); leading axes of ``a`` are batch
    axes.

    >>> import numpy as np
    >>> convolution_matrix(np.array([1.0, 2.0]), 3)
    array([[1., 0., 0.],
           [2., 1., 0.],
           [0., 2., 1.],
           [0., 0., 2.]])
    """
    n = _order(n, "convolution_matrix", 1)
    if mode not in ("full", "valid", "same"):
        raise WireValueError(f"convolution_matrix: mode must be 'full', 'valid' or 'same', "
                             f"got {mode!r}{at(user_location())}")
    if _concrete(a):
        return _sl.convolution_matrix(a, n, mode)
    a = wnp.asarray(a)
    if a.ndim == 0 or a.shape[-1] == 0 or 0 in a.shape:
        raise WireValueError(f"convolution_matrix: a must have at least one entry on its last "
                             f"axis, got shape {tuple(a.shape)}{at(user_location())}")
    m = a.shape[-1]
    pad = [(0, 0)] * (a.ndim - 1) + [(0, n - 1)]
    az = wnp.pad(a, pad)
    raz = wnp.pad(wnp.flip(a, axis=-1), pad)
    length = m + n - 1
    if mode == "full":
        col0, row0 = az, raz[..., length - n:]
    else:
        trim = min(n, m) - 1
        tb = trim // 2 if mode == "same" else trim
        te = trim - tb if mode == "same" else trim
        col0 = az[..., tb:length - te]
        row0 = raz[..., length - n - tb:length - tb]
    rows, cols = col0.shape[-1], row0.shape[-1]
    vals = wnp.concatenate([wnp.flip(col0, axis=-1), row0[..., 1:]], axis=-1)
    return vals[..., rows - 1 - np.arange(rows)[:, None] + np.arange(cols)[None, :]]


def _square_2d(a, what):
    if a.ndim < 2:
        raise ShapeError(f"{what}: input array must be a 2D NumPy array, got shape "
                         f"{tuple(a.shape)}{at(user_location())}")
    if a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{what}: input array must be square, got shape {tuple(a.shape)}"
                         f"{at(user_location())}")


def bandwidth(a):
    """``(lower, upper)``: how far below and above the diagonal ``a``'s non-zero entries
    reach (SciPy's; a stack gives arrays). Traced, integer arrays.

    >>> bandwidth(np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 0.0], [4.0, 0.0, 5.0]]))
    (2, 1)
    """
    if _concrete(a):
        return _sl.bandwidth(a)
    a = wnp.asarray(a)
    if a.ndim < 2:
        raise ShapeError(f"bandwidth: input array must be a 2D NumPy array, got shape "
                         f"{tuple(a.shape)}{at(user_location())}")
    m, n = a.shape[-2:]
    offset = np.arange(m)[:, None] - np.arange(n)[None, :]  # i - j
    nonzero = a != 0
    zero = np.zeros((), np.int64)
    lower = wnp.max(wnp.where(nonzero, offset, zero), axis=(-2, -1), initial=0)
    upper = wnp.max(wnp.where(nonzero, -offset, zero), axis=(-2, -1), initial=0)
    return lower, upper


def _is_symmetric(a, atol, rtol, hermitian, what):
    if _concrete(a):
        fn = _sl.ishermitian if hermitian else _sl.issymmetric
        return fn(a, atol=atol, rtol=rtol)
    a = wnp.asarray(a)
    _square_2d(a, what)
    t = wnp.swapaxes(a, -1, -2)
    if hermitian and a.dtype.kind == "c":
        t = wnp.conj(t)
    if atol is None and rtol is None:  # exact; SciPy skips the diagonal unless it is
        n = a.shape[-1]                # complex and Hermitian-ness is asked
        same = a == t
        if not (hermitian and a.dtype.kind == "c"):
            same = same | np.eye(n, dtype=bool)
        return wnp.all(same, axis=(-2, -1))
    # numpy.allclose with the tolerance not given as 0
    close = wnp.isclose(a, t, rtol=0.0 if rtol is None else rtol,
                        atol=0.0 if atol is None else atol)
    return wnp.all(close, axis=(-2, -1))


def issymmetric(a, atol=None, rtol=None):
    """Whether the square ``a`` equals its transpose, SciPy's: exactly, off the diagonal
    (NaN is never equal), or within ``numpy.allclose``'s ``atol``/``rtol`` if either is
    given. Traced, a boolean array (one per matrix of a stack).

    >>> issymmetric(np.array([[1.0, 2.0], [2.0, 3.0]]))
    True
    """
    return _is_symmetric(a, atol, rtol, False, "issymmetric")


def ishermitian(a, atol=None, rtol=None):
    """Whether the square ``a`` equals its conjugate transpose, SciPy's (a complex diagonal
    must be real), exactly or within ``numpy.allclose``'s ``atol``/``rtol``.

    >>> ishermitian(np.array([[1.0, 1j], [-1j, 2.0]]))
    True
    """
    return _is_symmetric(a, atol, rtol, True, "ishermitian")


def khatri_rao(a, b):
    """Khatri–Rao product, the column-wise Kronecker product: column ``k`` is
    ``kron(a[:, k], b[:, k])`` (leading axes are batch axes, as SciPy 1.17).

    >>> khatri_rao(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 10.0]]))
    array([[ 1., 20.],
           [ 3., 40.]])
    """
    if _concrete(a, b):
        return _sl.khatri_rao(a, b)
    a, b = wnp.asarray(a), wnp.asarray(b)
    if a.ndim < 2 or b.ndim < 2:
        raise ShapeError(f"khatri_rao: both arrays should be 2-dimensional, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}{at(user_location())}")
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"khatri_rao: the number of columns for both arrays should be "
                         f"equal, got shapes {tuple(a.shape)} and {tuple(b.shape)}"
                         f"{at(user_location())}")
    c = a[..., :, None, :] * b[..., None, :, :]
    shape = tuple(c.shape)
    out = wnp.reshape(c, shape[:-3] + (shape[-3] * shape[-2], shape[-1]))
    if a.size == 0 or b.size == 0:  # (SciPy's empty result has a's dtype)
        return wnp.asarray(out, a.dtype)
    return out


NAMES = ["bandwidth", "block_diag", "circulant", "companion", "convolution_matrix", "dft",
         "fiedler", "fiedler_companion", "hadamard", "hankel", "helmert", "hilbert",
         "invhilbert", "invpascal", "ishermitian", "issymmetric", "khatri_rao", "leslie",
         "pascal", "toeplitz"]
