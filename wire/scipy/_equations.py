"""Matrix equations of ``wire.scipy.linalg``: ``solve_sylvester`` (``A X + X B = Q``),
``solve_continuous_lyapunov`` (``A X + X Aᴴ = Q``), ``solve_discrete_lyapunov``
(``A X Aᴴ - X + Q = 0``).

On traced values each is one dense linear solve of its Kronecker form (row-major
vectorisation: ``vec(A X B) = (A ⊗ Bᵀ) vec(X)``), so its derivative is that of ``solve``;
the system has ``(n m)²`` entries, fine for the small systems these equations usually hold
(SciPy's Bartels–Stewart is used on concrete arrays).
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from ..api.concrete import BatchedDecision
from ..errors import (ShapeError, TracerBoolError, WireLinAlgError, WireValueError, at,
                      user_location)
from ._matrices import toeplitz
from ._traced import check_finite_values as _finite
from ._traced import traced as _t
from ._triangular import scipy_valued
from ..ops.optional import module as _optional_module

_sl = _optional_module("scipy.linalg")  # None without SciPy; imported on first use


def _float(x):
    x = wnp.asarray(x)
    if x.dtype == np.float16:  # SciPy's: LAPACK has no half precision
        return wnp.asarray(x, np.float32)
    return x if x.dtype.kind in "fc" else wnp.asarray(x, np.float64)


def _square(a, name, what):
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ShapeError(f"{what}: {name} must be a square matrix, got shape {tuple(a.shape)}"
                         f"{at(user_location())}")
    return a.shape[0]


def _solve_vec(system, q):
    x = wnp.linalg.solve(system, wnp.reshape(q, (-1,)))
    return wnp.reshape(x, q.shape)


def solve_sylvester(a, b, q):
    """``X`` with ``A X + X B = Q`` (``A`` n×n, ``B`` m×m, ``Q`` n×m).

    >>> a, b = np.array([[2.0, 0.0], [0.0, 3.0]]), np.array([[1.0]])
    >>> solve_sylvester(a, b, np.array([[3.0], [8.0]]))
    array([[1.],
           [2.]])
    """
    if _sl is not None and not _t(a, b, q):
        return _sl.solve_sylvester(a, b, q)
    a, b, q = _float(a), _float(b), _float(q)
    n, m = _square(a, "a", "solve_sylvester"), _square(b, "b", "solve_sylvester")
    if tuple(q.shape) != (n, m):
        raise ShapeError(f"solve_sylvester: q must be ({n}, {m}) for a {tuple(a.shape)} and b "
                         f"{tuple(b.shape)}, got {tuple(q.shape)}{at(user_location())}")
    if _same_lapack_dtype(a, b, q):  # SciPy's Bartels–Stewart traced too (its bits)
        return scipy_valued("solve_sylvester", _sylvester, [a, b, q], linear=(2,))
    return _sylvester(a, b, q)


def _same_lapack_dtype(*xs) -> bool:
    dts = {x.dtype for x in xs}
    return _sl is not None and len(dts) == 1 and dts.pop().char in "fdFD"


def _sylvester(a, b, q):
    """``solve_sylvester`` as one solve of its Kronecker form (its derivatives)."""
    n, m = a.shape[0], b.shape[0]
    # (identities in the inputs' dtypes: a float64 one would promote float32 inputs)
    system = wnp.kron(a, np.eye(m, dtype=b.dtype)) + wnp.kron(np.eye(n, dtype=a.dtype),
                                                               wnp.swapaxes(b, 0, 1))
    return _solve_vec(system, q)


def solve_continuous_lyapunov(a, q):
    """``X`` with ``A X + X Aᴴ = Q``.

    >>> solve_continuous_lyapunov(np.array([[-1.0]]), np.array([[-2.0]]))
    array([[1.]])
    """
    if _sl is not None and not _t(a, q):
        return _sl.solve_continuous_lyapunov(a, q)
    a, q = _float(a), _float(q)
    ref = lambda a, q: solve_sylvester(a, wnp.conj(wnp.swapaxes(a, 0, 1)), q)  # noqa: E731
    if _same_lapack_dtype(a, q) and a.ndim == 2 and q.ndim == 2:
        # SciPy's own call traced too (its Schur form of a, not a solve_sylvester of a, aᴴ)
        return scipy_valued("solve_continuous_lyapunov", _lyapunov, [a, q], linear=(1,))
    return ref(a, q)


def _lyapunov(a, q):
    """``solve_continuous_lyapunov`` by the Kronecker form (its derivatives)."""
    return _sylvester(a, wnp.conj(wnp.swapaxes(a, 0, 1)), q)


def solve_discrete_lyapunov(a, q, method=None):
    """``X`` with ``A X Aᴴ - X + Q = 0``.

    >>> solve_discrete_lyapunov(np.array([[0.5]]), np.array([[3.0]]))
    array([[4.]])
    """
    if _sl is not None and not _t(a, q):
        return _sl.solve_discrete_lyapunov(a, q, method=method)
    a, q = _float(a), _float(q)
    n = _square(a, "a", "solve_discrete_lyapunov")
    if tuple(q.shape) != (n, n):
        raise ShapeError(f"solve_discrete_lyapunov: q must be ({n}, {n}), got "
                         f"{tuple(q.shape)}{at(user_location())}")
    if _same_lapack_dtype(a, q):  # SciPy's own call traced too (its bits)
        return scipy_valued("solve_discrete_lyapunov", _discrete, [a, q], dict(method=method),
                            linear=(1,))
    return _discrete(a, q)


def _discrete(a, q):
    """``solve_discrete_lyapunov`` by the Kronecker form (its derivatives)."""
    n = a.shape[0]
    system = np.eye(n * n) - wnp.kron(a, wnp.conj(a))  # float64, as SciPy's result
    return _solve_vec(system, q)


# --------------------------------------------------------------------------- banded, Toeplitz
# and circulant systems: SciPy's own solvers traced (gbsv/gtsv, pbsv/ptsv, Levinson's
# recursion: their bits), with the derivatives of the dense solve of the same matrix


def _rhs(b, n, what, ab_shape):
    if b.ndim not in (1, 2) or b.shape[0] != n:
        raise ShapeError(f"{what}: shapes of ab {ab_shape} and b {tuple(b.shape)} are not "
                         f"compatible: b must be ({n},) or ({n}, k){at(user_location())}")


def _result_dtype(*xs):
    return np.result_type(*[x.dtype for x in xs], np.float32)


def _banded_dense(ab, l, u):
    """The n×n matrix whose band is stored in ``ab`` (``(l + u + 1, n)``, LAPACK's layout:
    ``a[i, j] = ab[u + i - j, j]``), zero outside it."""
    n = ab.shape[-1]
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    k = u + i - j
    inside = (k >= 0) & (k <= l + u)
    return wnp.where(inside, ab[np.clip(k, 0, l + u), np.broadcast_to(j, (n, n))], 0.0)


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` for a banded ``a`` stored in ``ab`` (``(l + u + 1, n)``:
    ``a[i, j] = ab[u + i - j, j]``), SciPy's (``gtsv`` for a tridiagonal one, else
    ``gbsv``; traced too). The derivatives are the dense solve's, in the band entries only
    (the unused corners of ``ab`` have none).

    >>> ab = np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0, 0.0]])
    >>> solve_banded((1, 1), ab, np.array([5.0, 6.0, 5.0]))
    array([1., 1., 1.])
    """
    _finite("solve_banded", check_finite, ab, b)
    if not _t(ab, b) and _sl is not None:
        return _sl.solve_banded(l_and_u, ab, b, check_finite=False)
    l, u = (int(v) for v in l_and_u)
    ab, b = _float(ab), _float(b)
    if ab.ndim != 2:
        raise ShapeError(f"solve_banded: ab must be 2-D (l + u + 1, n) when traced, got "
                         f"{tuple(ab.shape)}{at(user_location())}")
    n = ab.shape[1]
    _rhs(b, n, "solve_banded", tuple(ab.shape))
    if l + u + 1 != ab.shape[0]:
        raise ShapeError(f"solve_banded: invalid values for the number of lower and upper "
                         f"diagonals: l+u+1 ({l + u + 1}) does not equal ab.shape[0] "
                         f"({ab.shape[0]}){at(user_location())}")
    dt = _result_dtype(ab, b)
    if n == 0:
        return wnp.zeros(tuple(b.shape), dt)
    ab, b = wnp.asarray(ab, dt), wnp.asarray(b, dt)
    return scipy_valued("solve_banded", _banded_solve, [ab, b], dict(l=l, u=u),
                        cores=(2, b.ndim), ref_kw=dict(l=l, u=u), linear=(1,))


def _banded_solve(ab, b, l, u):
    """``solve_banded`` by the dense solve (its derivatives)."""
    return wnp.linalg.solve(_banded_dense(ab, l, u), b)


def solveh_banded(ab, b, overwrite_ab=False, overwrite_b=False, lower=False,
                  check_finite=True):
    """Solve ``a x = b`` for a Hermitian positive definite banded ``a`` stored in ``ab``
    (``(u + 1, n)``; upper form ``a[i, j] = ab[u + i - j, j]`` for ``i <= j``, or with
    ``lower=True`` ``a[i, j] = ab[i - j, j]`` for ``i >= j``), SciPy's (``ptsv``/``pbsv``,
    traced too; not positive definite: ``LinAlgError``). The derivatives are the dense
    solve's, in the stored band (the diagonal's real part).

    >>> ab = np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0]])
    >>> solveh_banded(ab, np.array([5.0, 6.0, 5.0]))
    array([1., 1., 1.])
    """
    _finite("solveh_banded", check_finite, ab, b)
    if not _t(ab, b) and _sl is not None:
        return _sl.solveh_banded(ab, b, lower=lower, check_finite=False)
    ab, b = _float(ab), _float(b)
    if ab.ndim != 2:
        raise ShapeError(f"solveh_banded: ab must be 2-D (u + 1, n) when traced, got "
                         f"{tuple(ab.shape)}{at(user_location())}")
    n = ab.shape[1]
    _rhs(b, n, "solveh_banded", tuple(ab.shape))
    dt = _result_dtype(ab, b)
    if n == 0:
        return wnp.zeros(tuple(b.shape), dt)
    ab, b = wnp.asarray(ab, dt), wnp.asarray(b, dt)
    return scipy_valued("solveh_banded", _hermitian_banded_solve, [ab, b],
                        dict(lower=bool(lower)), cores=(2, b.ndim),
                        ref_kw=dict(lower=bool(lower)), linear=(1,))


def _hermitian_banded_solve(ab, b, lower):
    """``solveh_banded`` by the dense solve of the Hermitian matrix (its derivatives)."""
    u = ab.shape[0] - 1
    n = ab.shape[1]
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    if lower:  # a[i, j] = ab[i - j, j], i >= j
        k = i - j
        tri = wnp.where((k >= 1) & (k <= u), ab[np.clip(k, 0, u), np.broadcast_to(j, (n, n))],
                        0.0)
    else:  # a[i, j] = ab[u + i - j, j], i <= j
        k = u + i - j
        tri = wnp.where((k >= 0) & (k < u), ab[np.clip(k, 0, u), np.broadcast_to(j, (n, n))],
                        0.0)
    d = ab[0 if lower else u]
    d = wnp.real(d) if d.dtype.kind == "c" else d
    full = tri + wnp.conj(wnp.swapaxes(tri, 0, 1)) + wnp.where(np.eye(n, dtype=bool), d, 0.0)
    return wnp.linalg.solve(full, b)


def solve_toeplitz(c_or_cr, b, check_finite=True):
    """Solve ``T x = b`` for the Toeplitz ``T`` of first column ``c`` and first row ``r``
    (``c_or_cr`` is ``c`` or ``(c, r)``; ``r = conj(c)`` by default, ``r[0]`` ignored),
    SciPy's (Levinson's recursion, in double precision as SciPy; traced too). The
    derivatives are the dense solve's.

    >>> solve_toeplitz((np.array([4.0, 1.0, 0.0]), np.array([4.0, 2.0, 0.0])),
    ...                np.array([6.0, 7.0, 5.0]))
    array([1., 1., 1.])
    """
    c, r = c_or_cr if isinstance(c_or_cr, tuple) else (c_or_cr, None)
    _finite("solve_toeplitz", check_finite, c, b, *(() if r is None else (r,)))
    if not _t(c, r, b) and _sl is not None:
        return _sl.solve_toeplitz(c_or_cr, b, check_finite=False)
    c, b = _float(c), _float(b)
    r = wnp.conj(c) if r is None else _float(r)
    if c.ndim != 1 or r.ndim != 1 or c.shape != r.shape:
        raise ShapeError(f"solve_toeplitz: c and r must be 1-D of the same length when "
                         f"traced, got {tuple(c.shape)} and {tuple(r.shape)}"
                         f"{at(user_location())}")
    n = c.shape[0]
    _rhs(b, n, "solve_toeplitz", tuple(c.shape))
    dt = np.result_type(_result_dtype(c, r, b), np.float64)  # (Levinson's, in double)
    c, r, b = wnp.asarray(c, dt), wnp.asarray(r, dt), wnp.asarray(b, dt)
    if n == 0:
        return wnp.zeros(tuple(b.shape), dt)
    return scipy_valued("solve_toeplitz", _toeplitz_solve, [c, r, b], cores=(1, 1, b.ndim),
                        linear=(2,))


def _toeplitz_solve(c, r, b):
    """``solve_toeplitz`` by the dense solve (its derivatives)."""
    return wnp.linalg.solve(toeplitz(c, r), b)


def solve_circulant(c, b, singular="raise", tol=None, caxis=-1, baxis=0, outaxis=0):
    """Solve ``C x = b`` for the circulant ``C`` of first column ``c`` by FFTs, SciPy's
    own formula (NumPy's FFTs: its bits, traced too), so the derivatives are exact (they are
    the FFT formula's). A near-singular ``C`` (an eigenvalue ``|fft(c)|`` at most ``tol``,
    by default ``n · eps · max|fft(c)|``) raises ``LinAlgError`` with ``singular="raise"``
    (under ``jit``, where the values are unknown, its solution is NaN instead), or takes
    the least-squares solution with ``singular="lstsq"``.

    >>> np.round(solve_circulant(np.array([2.0, 1.0, 0.0]), np.array([2.0, 3.0, 1.0])), 12)
    array([1., 1., 0.])
    """
    if not _t(c, b) and _sl is not None:
        return _sl.solve_circulant(c, b, singular=singular, tol=tol, caxis=caxis,
                                   baxis=baxis, outaxis=outaxis)
    if singular not in ("raise", "lstsq"):
        raise WireValueError(f"solve_circulant: singular must be 'raise' or 'lstsq', got "
                             f"{singular!r}{at(user_location())}")
    c, b = wnp.atleast_1d(wnp.asarray(c)), wnp.atleast_1d(wnp.asarray(b))
    for name, x, axis in (("c", c, caxis), ("b", b, baxis)):
        if not -x.ndim <= axis < x.ndim:
            raise ShapeError(f"solve_circulant: axis {axis} is out of bounds for {name} of "
                             f"shape {tuple(x.shape)}{at(user_location())}")
    nc, nb = c.shape[caxis], b.shape[baxis]
    if nc != nb:
        raise ShapeError(f"solve_circulant: shapes of c {tuple(c.shape)} and b "
                         f"{tuple(b.shape)} are incompatible{at(user_location())}")
    complex_in = c.dtype.kind == "c" or b.dtype.kind == "c"
    if b.size == 0:
        dt = np.result_type(c.dtype, b.dtype, np.float32 if c.dtype.itemsize < 8 else 1.0)
        return wnp.zeros(tuple(b.shape), np.result_type(dt, np.complex64) if complex_in
                         else dt)
    fc = wnp.fft.fft(wnp.moveaxis(c, caxis, -1), axis=-1)
    abs_fc = wnp.abs(fc)
    if tol is None:
        tol = wnp.max(abs_fc, axis=-1, keepdims=True) * nc * np.finfo(np.float64).eps
    near = wnp.stop_gradient(abs_fc <= tol)
    unknown = False
    if singular == "raise":
        try:
            hit = bool(wnp.any(near))
        except BatchedDecision:  # examples that differ: vmap runs each group apart
            raise
        except TracerBoolError:  # under jit: NaN where SciPy raises
            hit, unknown = False, True
        if hit:
            raise WireLinAlgError(f"solve_circulant: near singular circulant matrix"
                                  f"{at(user_location())}")
    fc = wnp.where(near, wnp.ones((), fc.dtype), fc)
    fb = wnp.fft.fft(wnp.moveaxis(b, baxis, -1), axis=-1)
    q = fb / fc
    q = wnp.where(near, wnp.zeros((), q.dtype), q)
    x = wnp.fft.ifft(q, axis=-1)
    if not complex_in:
        x = wnp.real(x)
    if unknown:
        x = wnp.where(wnp.any(near), np.asarray(np.nan, x.dtype), x)
    if outaxis != -1:
        x = wnp.moveaxis(x, -1, outaxis)
    return x


NAMES = ["solve_banded", "solve_circulant", "solve_continuous_lyapunov", "solve_discrete_lyapunov",
         "solve_sylvester", "solve_toeplitz", "solveh_banded"]
