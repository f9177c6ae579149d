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
from ..errors import ShapeError, at, user_location
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
        return scipy_valued("solve_sylvester", _sylvester, [a, b, q])
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
        return scipy_valued("solve_continuous_lyapunov", _lyapunov, [a, q])
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
        return scipy_valued("solve_discrete_lyapunov", _discrete, [a, q], dict(method=method))
    return _discrete(a, q)


def _discrete(a, q):
    """``solve_discrete_lyapunov`` by the Kronecker form (its derivatives)."""
    n = a.shape[0]
    system = np.eye(n * n) - wnp.kron(a, wnp.conj(a))  # float64, as SciPy's result
    return _solve_vec(system, q)


NAMES = ["solve_continuous_lyapunov", "solve_discrete_lyapunov", "solve_sylvester"]
