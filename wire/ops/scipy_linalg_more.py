"""More calls of SciPy's own ``scipy.linalg`` routines for the ``scipy_linalg`` primitive
(:mod:`wire.ops.scipy_linalg`): the Schur and Hessenberg forms, ``qz``, ``ldl``, the banded
and Toeplitz solvers, the matrix functions built on the Schur form (``funm``, ``signm``, ``logm``,
``fractional_matrix_power``) and ``matrix_balance``, ``qr_multiply``, ``subspace_angles``.

Each entry is one matrix problem's call, ``fn(*operands, **kw) -> tuple of arrays``, with the
dtypes a traced result can have: where SciPy's result type depends on the values (a real
matrix whose ``funm`` or ``fractional_matrix_power`` is complex, a rank-deficient matrix's
shorter ``subspace_angles``), the entries are NaN instead, never other numbers.

>>> import numpy as np
>>> t, z = MORE["schur"](np.array([[1.0, 2.0], [0.0, 3.0]]))
>>> t
array([[1., 2.],
       [0., 3.]])
"""

from __future__ import annotations

import numpy as np

from .optional import module as _optional_module
from .scipy_linalg import CALLS as _CALLS

_sl = _optional_module("scipy.linalg")


def _schur(a, output="real", sort=None):
    got = _sl.schur(a, output=output, sort=sort, check_finite=False)
    if sort is None:
        return tuple(got)
    t, z, sdim = got
    return t, z, np.asarray(sdim, np.int64)


def _hessenberg(a, calc_q=False):
    got = _sl.hessenberg(a, calc_q=calc_q, check_finite=False)
    return tuple(got) if calc_q else (got,)


def imag_tolerance(dtype):
    """The largest ``max|imag X| / max|X|`` of a complex result ``X`` of a real matrix that
    counts as rounding (``X`` is then real): SciPy's own tolerance for dropping imaginary parts
    (``logm``, ``funm``: ``1e6 eps``, ``1e3 eps`` in single precision), relative to the
    result's size rather than absolute, so that it does not depend on the matrix's scale.

    >>> imag_tolerance(np.complex128)
    2.220446049250313e-10
    """
    single = np.finfo(dtype).dtype == np.float32
    return float(np.finfo(dtype).eps * (1e3 if single else 1e6))


def _real_or_nan(a, x):
    """``x`` in ``a``'s kind: a complex result of a real ``a`` (SciPy's type depends on the
    values there) is its real part where the imaginary parts are rounding (within
    :func:`imag_tolerance` of its size: a real ``a`` whose function is real, such as the
    square root of ``[[1, -2], [2, 1]]``, which SciPy's ``fractional_matrix_power`` returns
    with ``5e-17j`` entries), else NaN, as a traced result cannot be complex then."""
    if a.dtype.kind != "c" and x.dtype.kind == "c":
        re = np.real(x)
        with np.errstate(all="ignore"):
            size = np.max(np.abs(x), initial=0.0)
            if np.max(np.abs(np.imag(x)), initial=0.0) <= imag_tolerance(x.dtype) * size:
                return re
        return np.full(x.shape, np.nan, re.dtype)
    return x


def _funm(a, func):
    f, err = _sl.funm(a, func, disp=False)
    want = np.result_type(a.dtype, np.float32)  # (SciPy's result of a real float32 a)
    f = _real_or_nan(a, f)
    return f.astype(np.result_type(want, f.dtype) if f.dtype.kind == "c" else want,
                    copy=False), np.asarray(err, np.float64)


def _fractional_matrix_power(a, t):
    x = _real_or_nan(a, np.asarray(_sl.fractional_matrix_power(a, t)))
    return (x,)


def logm_error(a, f):
    """SciPy's error estimate of ``f = logm(a)``, ``‖expm(f) - a‖₁ / ‖a‖₁`` (what ``logm``'s
    ``disp=False`` returned; that argument is deprecated in SciPy 1.17)."""
    with np.errstate(all="ignore"):
        return np.asarray(np.linalg.norm(_sl.expm(f) - a, 1) / np.linalg.norm(a, 1),
                          np.float64)


def _logm(a):
    f = np.asarray(_sl.logm(a))
    return _real_or_nan(a, f), logm_error(a, f)


def _signm(a):
    # SciPy's type is its funm's (float32 for float32), but its iteration for a defective
    # matrix returns float64: cast to the first, whatever the branch
    x = _real_or_nan(a, np.asarray(_sl.signm(a)))
    return (x.astype(np.result_type(a.dtype, np.float32), copy=False),)


def _subspace_angles(a, b):
    theta = _sl.subspace_angles(a, b)
    k = min(a.shape[1], b.shape[1])
    if theta.shape[0] != k:  # rank-deficient: SciPy's is shorter
        theta = np.full(k, np.nan)
    return (theta,)


def _matrix_balance(a, permute=True, scale=True, separate=False):
    got = _sl.matrix_balance(a, permute=permute, scale=scale, separate=separate)
    if separate:
        b, (s, p) = got
        return b, s, np.asarray(p, np.int64)
    return tuple(got)


def _qr_multiply(a, c, mode="right", pivoting=False, conjugate=False):
    got = _sl.qr_multiply(a, c, mode=mode, pivoting=pivoting, conjugate=conjugate)
    return tuple(np.asarray(g, np.int64) if i == 2 else g for i, g in enumerate(got))


def _ldl(a, lower=True, hermitian=True):
    lu, d, perm = _sl.ldl(a, lower=lower, hermitian=hermitian, check_finite=False)
    return lu, d, np.asarray(perm, np.int64)


# One matrix's call of SciPy's routine: fn(*operands, **kw) -> tuple of arrays.
MORE = {
    "schur": _schur,
    "hessenberg": _hessenberg,
    "rsf2csf": lambda t, z: tuple(_sl.rsf2csf(t, z, check_finite=False)),
    "qz": lambda a, b, output="real": tuple(_sl.qz(a, b, output=output, check_finite=False)),
    "ldl": _ldl,
    "funm": _funm,
    "fractional_matrix_power": _fractional_matrix_power,
    "signm": _signm,
    "logm": _logm,
    "subspace_angles": _subspace_angles,
    "matrix_balance": _matrix_balance,
    "qr_multiply": _qr_multiply,
    "null_space": lambda a, rcond=None: (_sl.null_space(a, rcond=rcond, check_finite=False),),
    "solve_banded": lambda ab, b, l=0, u=0: (
        _sl.solve_banded((l, u), ab, b, check_finite=False),),
    "solveh_banded": lambda ab, b, lower=False: (
        _sl.solveh_banded(ab, b, lower=lower, check_finite=False),),
    "solve_toeplitz": lambda c, r, b: (_sl.solve_toeplitz((c, r), b, check_finite=False),),
}

# registered with the primitive's calls on import (wire.scipy.linalg imports this module)
_CALLS.update(MORE)
