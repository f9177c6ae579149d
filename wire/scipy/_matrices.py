"""Special matrices of ``wire.scipy.linalg``: ``block_diag``, ``toeplitz``, ``circulant``,
``hankel``, ``companion``, built with ``wire.numpy`` gathers and concatenations (so they
differentiate for free: each entry's derivative goes to the input entry it copies). On
concrete arrays SciPy builds them."""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from ..errors import ShapeError, at, user_location
from ._traced import traced as _t

try:
    import scipy
    import scipy.linalg as _sl
except ImportError:  # pragma: no cover - exercised only without scipy
    _sl = None

# SciPy before 1.19 ravels a multidimensional c or r of hankel (with a FutureWarning);
# from 1.19 on, leading axes are batch axes, as toeplitz's already are
_HANKEL_RAVELS = _sl is not None and np.lib.NumpyVersion(scipy.__version__) < "1.19.0"


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
    if _HANKEL_RAVELS and (c.ndim > 1 or r.ndim > 1):
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


NAMES = ["block_diag", "circulant", "companion", "hankel", "toeplitz"]
