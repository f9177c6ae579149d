"""SciPy's names for the decompositions and solvers of ``wire.numpy.linalg``, with SciPy's
signatures and defaults (``solve(a, b, assume_a=..., lower=...)``, ``eigh(a, lower=True,
eigvals_only=False)``, ``qr(a, mode="full")``, ``lu(a, permute_l=False)`` …), and the LU
factorisation.

LU is Gaussian elimination with partial pivoting written with ``wire.numpy`` operations (one
step per column; the pivot is LAPACK's, the first largest ``|entry|``), so its derivatives
of every order come from the steps themselves, exact wherever the pivot order does not
change. On concrete arrays SciPy is called; on traced ones the values are SciPy's own too
(its ``getrf``, ``solve``, ``qr``…, through :func:`scipy_valued`), with the derivatives of
these compositions.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import numpy as wnp
from ..api.custom import custom_jvp
from ..errors import (NonDifferentiableError, ShapeError, WireError, WireTypeError,
                      WireValueError, at, user_location)
from ._traced import check_finite_values as _finite
from ._traced import over_stack
from ._traced import traced as _t
from ._triangular import cho_solve, cholesky, scipy_valued, solve_triangular
from ..ops import factorizations as LX
from ..ops.optional import module as _optional_module
from ..ops import scipy_linalg_more as _more  # (registers SciPy's schur, qz, ldl… calls)
from ..ops.scipy_linalg import CALLS as _CALLS
from ..ops.scipy_linalg import eig_in_range, scipy_linalg as _scipy_linalg

_sl = _optional_module("scipy.linalg")  # None without SciPy; imported on first use

LA = wnp.linalg
_EIGH_DRIVERS = ("ev", "evd", "evr", "evx")  # SciPy's for the standard problem


def _concrete(*xs) -> bool:
    return _sl is not None and not _t(*xs)


def _float(x):
    """``x`` in the dtype SciPy's LAPACK call computes in: integers and booleans in float64,
    float16 in float32 (LAPACK has no half precision)."""
    x = wnp.asarray(x)
    if x.dtype == np.float16:
        return wnp.asarray(x, np.float32)
    return x if x.dtype.kind in "fc" else wnp.asarray(x, np.float64)


def _square(a, what):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{what} needs a square matrix (..., n, n), got shape "
                         f"{tuple(a.shape)}{at(user_location())}")
    return a.shape[-1]


def _mH(a):
    return wnp.conj(wnp.swapaxes(a, -1, -2))


def _hermitian_from(a, lower: bool):
    """The Hermitian matrix whose ``lower`` (or upper) triangle is ``a``'s (the diagonal's
    real part): what LAPACK's symmetric routines read."""
    n = a.shape[-1]
    keep = np.tril(np.ones((n, n), bool), -1) if lower else np.triu(np.ones((n, n), bool), 1)
    half = wnp.where(keep, a, 0.0)
    diag = wnp.real(a) if a.dtype.kind == "c" else a
    return half + _mH(half) + wnp.where(np.eye(n, dtype=bool), diag, 0.0)


def _refuse(what, **given):
    for name, value in given.items():
        if value is not None and value is not False:
            raise WireError(f"{what}: {name}={value!r} is supported on concrete arrays only"
                            f"{at(user_location())}")


def inv(a, overwrite_a=False, check_finite=True):
    """Matrix inverse (``LinAlgError`` if singular, on concrete arrays).

    >>> inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    _finite("inv", check_finite, a)
    if _concrete(a):
        return _sl.inv(a, check_finite=False)
    a = _float(a)
    _square(a, "inv")
    return LX.inv(a, scipy=_sl is not None)  # SciPy's LAPACK calls (NumPy's: other bits)


def det(a, overwrite_a=False, check_finite=True):
    """Determinant (its gradient is the cofactor matrix, exact also where ``a`` is singular).

    >>> float(det(np.array([[1.0, 2.0], [3.0, 4.0]])))
    -2.0
    """
    _finite("det", check_finite, a)
    if _concrete(a):
        return _sl.det(a, check_finite=False)
    a = _float(a)  # SciPy's det is float64 (complex128) also for float32 (complex64) a
    _square(a, "det")
    if a.dtype.char in "fF":  # SciPy's det of the float32 LU (in double it is LX.det's own)
        return scipy_valued("det", _det_double, [a])
    return _det_double(a)


def _det_double(a):
    # SciPy's own det traced too (NumPy's rounds otherwise)
    return LX.det(wnp.asarray(a, np.promote_types(a.dtype, np.float64)), scipy=_sl is not None)


_ASSUME = {"gen": "gen", "general": "gen", "sym": "sym", "symmetric": "sym", "her": "her",
           "hermitian": "her", "pos": "pos", "positive definite": "pos", "diagonal": "diagonal",
           "upper triangular": "upper", "lower triangular": "lower", "tridiagonal": "gen",
           "banded": "gen"}


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """Solve ``a x = b`` (or ``aᵀ x = b`` with ``transposed=True``) reading what SciPy reads
    for ``assume_a``: the ``lower`` (or upper) triangle for ``"sym"``, ``"her"`` and
    ``"pos"`` (a Cholesky solve), the diagonal for ``"diagonal"``, one triangle for
    ``"upper triangular"``/``"lower triangular"``, the whole matrix otherwise. Only what is
    read gets a derivative.

    >>> a = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> solve(a, np.array([1.0, 2.0]), assume_a="pos")
    array([0.09090909, 0.63636364])
    """
    _finite("solve", check_finite, a, b)
    if _concrete(a, b):
        return _sl.solve(a, b, lower=lower, assume_a=assume_a, transposed=transposed,
                         check_finite=False)
    if assume_a is not None and assume_a not in _ASSUME:
        raise WireError(f"solve: unknown assume_a={assume_a!r}; expected one of "
                        f"{sorted(_ASSUME)}{at(user_location())}")
    a, b = _float(a), _float(b)
    _square(a, "solve")
    if b.ndim == 0 or a.dtype.char not in "fdFD" or b.dtype.char not in "fdFD":
        return _solve(a, b, lower, assume_a, transposed)  # (its shape errors)
    # SciPy's own solve traced too: with assume_a=None it calls the LAPACK routine of the
    # structure it finds (triangular, symmetric, positive definite, general), and float32
    # rounds otherwise than the composition below (whose derivatives these are)
    how = dict(lower=bool(lower), assume_a=assume_a, transposed=bool(transposed))
    return scipy_valued("solve", _solve, [a, b], how, cores=(2, 1 if b.ndim == 1 else 2),
                        ref_kw=how, linear=(1,))


def _solve(a, b, lower, assume_a, transposed):
    n = a.shape[-1]
    # stacks, as SciPy batches them: a (..., n, n), b (n,) for every matrix or (..., n, k)
    stacked = over_stack(lambda a1, b1: _solve(a1, b1, lower, assume_a, transposed), [a, b],
                         [2, 1 if b.ndim == 1 else 2])
    if stacked is not None:
        return stacked
    if b.ndim == 0 or b.shape[0] != n:
        raise ShapeError(f"solve: a is {n}x{n} but b has shape {tuple(b.shape)}; b must be "
                         f"(n,) or (n, k){at(user_location())}")
    if transposed and a.dtype.kind == "c":
        raise WireError(f"solve: transposed=True is not supported for complex a (SciPy raises "
                        f"NotImplementedError too); solve with wire.numpy.swapaxes(a, 0, 1) "
                        f"instead{at(user_location())}")
    kind = _ASSUME.get(assume_a, "gen")
    if kind in ("upper", "lower"):
        return solve_triangular(a, b, trans=1 if transposed else 0, lower=kind == "lower",
                                check_finite=False)
    if kind == "diagonal":
        # a solve of the diagonal matrix (not b / d): a zero on the diagonal raises
        # LinAlgError when evaluated, as SciPy, where a division would give inf
        return solve_triangular(wnp.where(np.eye(n, dtype=bool), a, 0.0), b, lower=False,
                                check_finite=False)
    if assume_a == "tridiagonal":  # SciPy's gtsv reads the three diagonals only
        band = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1
        a = wnp.where(band, a, 0.0)
    if kind in ("sym", "her", "pos"):
        a = _hermitian_from(a, lower) if kind != "sym" else _symmetric_from(a, lower)
    if transposed:
        a = wnp.swapaxes(a, -1, -2)
    if kind == "pos":
        return cho_solve((cholesky(a, lower=True, check_finite=False), True), b,
                         check_finite=False)
    return LA.solve(a, b)


def _symmetric_from(a, lower: bool):
    n = a.shape[-1]
    keep = np.tril(np.ones((n, n), bool), -1) if lower else np.triu(np.ones((n, n), bool), 1)
    half = wnp.where(keep, a, 0.0)
    return half + wnp.swapaxes(half, -1, -2) + wnp.where(np.eye(n, dtype=bool), a, 0.0)


def eigh(a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """Eigenvalues (ascending) and eigenvectors of a Hermitian ``a``, reading its ``lower``
    (or upper) triangle; with ``b``, of the generalized problem ``a v = w b v`` (``type=1``,
    by the Cholesky factor of ``b``; eigenvectors normalised to ``vᴴ b v = I``, as SciPy's).
    ``subset_by_index=[lo, hi]`` keeps eigenvalues ``lo..hi``. Traced, the standard problem
    calls SciPy's ``driver`` (``"evr"`` by default) as the eager call does, so ``jit`` gives
    SciPy's values and eigenvectors (whose signs may differ from NumPy's); with ``b`` or
    ``subset_by_index`` the eigenvectors are those of LAPACK's ``evd`` driver (NumPy's), and
    SciPy's may have the opposite sign (another phase).

    >>> w, v = eigh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> w
    array([1., 3.])
    """
    _finite("eigh", check_finite, a, b)
    if _concrete(a, b):
        return _sl.eigh(a, b, lower=lower, eigvals_only=eigvals_only, type=type,
                        subset_by_index=subset_by_index, subset_by_value=subset_by_value,
                        driver=driver, check_finite=False)
    _refuse("eigh", subset_by_value=subset_by_value)
    if type != 1:
        raise WireError(f"eigh: only type=1 (a v = w b v) is supported on traced values, got "
                        f"type={type}{at(user_location())}")
    a = _float(a)
    _square(a, "eigh")
    if b is None and subset_by_index is None and _sl is not None:
        # SciPy's driver traced too ("evr" by default): NumPy's ("evd") may give other signs
        # of the eigenvectors and other last bits (float32: SciPy computes in float32)
        driver = "evr" if driver is None else driver
        if driver not in _EIGH_DRIVERS:
            raise WireValueError(f"eigh: driver must be one of {_EIGH_DRIVERS} for the standard "
                                 f"problem, got {driver!r}{at(user_location())}")
        h = _hermitian_from(a, lower)
        if eigvals_only:
            return LX.eigvalsh(h, upper=not lower, driver=driver)
        return tuple(LX.eigh(h, upper=not lower, driver=driver))
    args = [a] if b is None else [a, _float(b)]
    subset = None if subset_by_index is None else \
        tuple(_subset_indices(subset_by_index, a.shape[-1], "eigh"))
    how = dict(lower=bool(lower), eigvals_only=bool(eigvals_only), subset_by_index=subset)
    if _sl is not None and all(x.dtype == a.dtype for x in args) and a.dtype.char in "fdFD":
        # SciPy's own call traced too (the generalized problem's sygvd/hegvd, a subset's evr):
        # its values and its eigenvectors' signs; the derivatives are those of the
        # composition below
        return scipy_valued("eigh", _eigh, args, dict(how, driver=driver), ref_kw=how)
    return _eigh(*args, **how)


def _eigh(a, b=None, *, lower, eigvals_only, subset_by_index):
    """The generalized or subset ``eigh`` by NumPy's ``eigh`` (its derivatives)."""
    uplo = "L" if lower else "U"
    if b is None:
        w, v = LA.eigh(a, UPLO=uplo)
    else:
        L = LA.cholesky(_hermitian_from(_float(b), lower))
        # C = L⁻¹ A L⁻ᴴ, then v = L⁻ᴴ u
        half = solve_triangular(L, _hermitian_from(a, lower), lower=True, check_finite=False)
        c = solve_triangular(L, _mH(half), lower=True, check_finite=False)
        w, u = LA.eigh(c)
        v = solve_triangular(L, u, trans=2, lower=True, check_finite=False)
    if subset_by_index is not None:
        lo, hi = _subset_indices(subset_by_index, a.shape[-1], "eigh")
        w, v = w[..., lo:hi + 1], v[..., :, lo:hi + 1]
    return w if eigvals_only else (w, v)


def _subset_indices(subset, n, what):
    """``(lo, hi)`` of ``subset_by_index``, or SciPy's ``ValueError`` where they do not name
    eigenvalues ``0 <= lo <= hi < n`` (a slice would quietly give fewer or none)."""
    subset = [int(i) for i in np.ravel(subset)]
    if len(subset) != 2 or not 0 <= subset[0] <= subset[1] < n:
        raise WireValueError(f"{what}: requested eigenvalue indices {subset} are not valid for "
                             f"a {n}x{n} matrix; they must be [lo, hi] with 0 <= lo <= hi <= "
                             f"{n - 1}{at(user_location())}")
    return subset[0], subset[1]


def eigvalsh(a, b=None, *, lower=True, overwrite_a=False, overwrite_b=False, type=1,
             check_finite=True, subset_by_index=None, subset_by_value=None, driver=None):
    """Eigenvalues of a Hermitian ``a`` (of ``a v = w b v`` with ``b``), ascending.

    >>> eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    array([1., 3.])
    """
    _finite("eigvalsh", check_finite, a, b)
    return eigh(a, b, lower=lower, eigvals_only=True, type=type, check_finite=False,
                subset_by_index=subset_by_index, subset_by_value=subset_by_value,
                driver=driver)


def eig(a, b=None, left=False, right=True, overwrite_a=False, overwrite_b=False,
        check_finite=True, homogeneous_eigvals=False):
    """Eigenvalues ``w`` and right eigenvectors ``vr`` of a square matrix (``w`` alone with
    ``right=False``); complex, as SciPy's. Traced values: the standard problem only.

    >>> w, vr = eig(np.array([[2.0, 0.0], [0.0, 3.0]]))
    >>> w
    array([2.+0.j, 3.+0.j])
    """
    _finite("eig", check_finite, a, b)
    if _concrete(a, b):
        if b is None:  # (SciPy's, but right beyond LAPACK's safe range: see eig_in_range)
            return eig_in_range(a, left=left, right=right,
                                homogeneous_eigvals=homogeneous_eigvals, check_finite=False)
        return _sl.eig(a, b, left=left, right=right, homogeneous_eigvals=homogeneous_eigvals,
                       check_finite=False)
    _refuse("eig", b=None if b is None else "an array", left=left,
            homogeneous_eigvals=homogeneous_eigvals)
    a = _float(a)
    if a.dtype.char in "fdFD" and a.ndim >= 2:
        # SciPy's geev traced too (NumPy's computes float32 in double; without the vectors
        # the eigenvalues' last bits differ from those computed with them)
        return scipy_valued("eig", _eig, [a], dict(right=bool(right)),
                            ref_kw=dict(right=bool(right)))
    return _eig(a, right)


def _eig(a, right):
    """``eig`` by NumPy's ``eig`` (its derivatives)."""
    w, vr = LA.eig(a)
    return (w, vr) if right else w


def eigvals(a, b=None, overwrite_a=False, check_finite=True, homogeneous_eigvals=False):
    """Eigenvalues of a square matrix (complex).

    >>> eigvals(np.array([[0.0, 1.0], [-1.0, 0.0]]))
    array([0.+1.j, 0.-1.j])
    """
    _finite("eigvals", check_finite, a, b)
    return eig(a, b, right=False, homogeneous_eigvals=homogeneous_eigvals, check_finite=False)


def eigh_tridiagonal(d, e, eigvals_only=False, select="a", select_range=None,
                     check_finite=True, tol=0.0, lapack_driver="auto"):
    """Eigen-decomposition of the symmetric tridiagonal matrix with diagonal ``d`` and
    off-diagonal ``e`` (formed densely and passed to :func:`eigh`; ``select="i"`` takes
    eigenvalues ``select_range[0]..select_range[1]``).

    >>> eigh_tridiagonal(np.array([2.0, 2.0]), np.array([1.0]), eigvals_only=True)
    array([1., 3.])
    """
    _finite("eigh_tridiagonal", check_finite, d, e)
    if _concrete(d, e):
        return _sl.eigh_tridiagonal(d, e, eigvals_only=eigvals_only, select=select,
                                    select_range=select_range, tol=tol,
                                    lapack_driver=lapack_driver, check_finite=False)
    if select not in ("a", "i"):
        raise WireError(f"eigh_tridiagonal: select={select!r} is supported on concrete arrays "
                        f"only ('a' and 'i' on traced values){at(user_location())}")
    d, e = _float(d), _float(e)
    if d.dtype.kind == "c" or e.dtype.kind == "c":
        raise WireTypeError(f"eigh_tridiagonal: only real d and e are supported (as SciPy), got "
                            f"{d.dtype} and {e.dtype}{at(user_location())}")
    if d.ndim != 1 or e.shape != (d.shape[0] - 1,):
        raise ShapeError(f"eigh_tridiagonal: d must be (n,) and e (n - 1,), got "
                         f"{tuple(d.shape)} and {tuple(e.shape)}{at(user_location())}")
    index = None if select == "a" else \
        tuple(_subset_indices(select_range, d.shape[0], "eigh_tridiagonal"))
    how = dict(eigvals_only=bool(eigvals_only), index=index)
    if _sl is not None and d.dtype == e.dtype and d.dtype.char in "fd":
        # SciPy's own tridiagonal routine (stemr, stebz, ...) traced too, the derivatives of
        # the dense eigh
        return scipy_valued("eigh_tridiagonal", _tridiagonal_dense, [d, e],
                            dict(eigvals_only=bool(eigvals_only), select=select,
                                 select_range=index, tol=tol, lapack_driver=lapack_driver),
                            cores=(1, 1), ref_kw=how)
    return _tridiagonal_dense(d, e, **how)


def _tridiagonal_dense(d, e, eigvals_only, index):
    """``eigh_tridiagonal`` by the dense ``eigh`` (its derivatives)."""
    t = wnp.diag(d) + wnp.diag(e, -1)  # eigh reads the lower triangle
    return eigh(t, eigvals_only=eigvals_only, subset_by_index=index, check_finite=False)


def eigvalsh_tridiagonal(d, e, select="a", select_range=None, check_finite=True, tol=0.0,
                         lapack_driver="auto"):
    """Eigenvalues of the symmetric tridiagonal matrix (see :func:`eigh_tridiagonal`).

    >>> eigvalsh_tridiagonal(np.array([2.0, 2.0]), np.array([1.0]))
    array([1., 3.])
    """
    _finite("eigvalsh_tridiagonal", check_finite, d, e)
    return eigh_tridiagonal(d, e, eigvals_only=True, select=select, select_range=select_range,
                            tol=tol, lapack_driver=lapack_driver, check_finite=False)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """Singular value decomposition ``(U, s, Vh)`` (``s`` alone with ``compute_uv=False``).

    >>> svd(np.array([[3.0, 0.0], [0.0, -2.0]]), compute_uv=False)
    array([3., 2.])
    """
    _finite("svd", check_finite, a)
    if _concrete(a):
        return _sl.svd(a, full_matrices=full_matrices, compute_uv=compute_uv,
                       lapack_driver=lapack_driver, check_finite=False)
    if lapack_driver not in ("gesdd", "gesvd"):
        raise WireValueError(f"svd: lapack_driver must be 'gesdd' or 'gesvd', got "
                             f"{lapack_driver!r}{at(user_location())}")
    if lapack_driver == "gesvd" and compute_uv:
        # the singular values agree; the vectors of gesvd may have other signs (phases)
        # than those of gesdd, which the traced SVD computes
        raise WireError(f"svd: lapack_driver='gesvd' with compute_uv=True is supported on "
                        f"concrete arrays only (traced, the singular vectors are gesdd's, "
                        f"whose signs can differ); use the default 'gesdd'"
                        f"{at(user_location())}")
    a = _float(a)
    if _sl is not None and a.ndim >= 2 and (not compute_uv or not full_matrices
                                            or a.shape[-1] == a.shape[-2]):
        # SciPy's driver traced too (float32 in float32, where NumPy computes in double)
        if not compute_uv:
            return LX.svdvals(a, lapack_driver)
        return tuple(LX.svd(a, lapack_driver))
    return LA.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)


def svdvals(a, overwrite_a=False, check_finite=True):
    """Singular values, descending.

    >>> svdvals(np.array([[3.0, 0.0], [0.0, -2.0]]))
    array([3., 2.])
    """
    _finite("svdvals", check_finite, a)
    if _concrete(a):
        return _sl.svdvals(a, check_finite=False)
    return svd(a, compute_uv=False, check_finite=False)


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """QR decomposition with SciPy's modes: ``"full"`` (``Q`` is m×m), ``"economic"``
    (m×k), ``"r"`` (the tuple ``(R,)``, as SciPy). Traced values: no pivoting, and
    ``"full"`` only for square or wide matrices (the extra columns of a tall ``Q`` have no
    unique derivative; use ``"economic"``).

    >>> q, r = qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
    >>> np.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]])
    True
    """
    _finite("qr", check_finite, a)
    if _concrete(a):
        return _sl.qr(a, mode=mode, pivoting=pivoting, check_finite=False)
    _refuse("qr", pivoting=pivoting)
    modes = {"full": "complete", "economic": "reduced", "r": "r"}
    if mode not in modes:
        raise WireError(f"qr: mode={mode!r} is supported on concrete arrays only (traced: "
                        f"'full', 'economic', 'r'){at(user_location())}")
    a = _float(a)
    if a.dtype.char in "fdFD":
        # SciPy's geqrf/orgqr traced too (NumPy's qr computes float32 in double)
        return scipy_valued("qr", _qr, [a], dict(mode=mode), ref_kw=dict(mode=mode))
    return _qr(a, mode)


def _qr(a, mode):
    """``qr`` by NumPy's ``qr`` (its derivatives)."""
    modes = {"full": "complete", "economic": "reduced", "r": "r"}
    if mode == "r":
        r = LA.qr(a, mode="r")
        m = a.shape[-2]
        if m > r.shape[-2]:  # SciPy's full R is m×n: zero rows below
            pad = wnp.zeros(tuple(r.shape[:-2]) + (m - r.shape[-2], r.shape[-1]), r.dtype)
            r = wnp.concatenate([r, pad], axis=-2)
        return (r,)
    if mode == "full" and a.shape[-2] > a.shape[-1]:
        raise WireError(f"qr: mode='full' of a tall {a.shape[-2]}x{a.shape[-1]} matrix is "
                        f"supported on concrete arrays only (its extra columns of Q have no "
                        f"unique derivative); use mode='economic'{at(user_location())}")
    q, r = LA.qr(a, mode=modes[mode])
    return q, r


def norm(a, ord=None, axis=None, keepdims=False, check_finite=True):
    """Vector or matrix norm, every ``ord`` SciPy has (as ``numpy.linalg.norm``).

    >>> float(norm(np.array([3.0, 4.0])))
    5.0
    """
    _finite("norm", check_finite, a)
    if _concrete(a):
        return _sl.norm(a, ord=ord, axis=axis, keepdims=keepdims, check_finite=False)
    a = wnp.asarray(a)
    if _sl is None or not a.size or a.dtype.char not in "fdFD" or a.ndim == 0:
        return _norm(a, ord, axis, keepdims)
    # SciPy's own norm traced too: BLAS nrm2 for vectors, LAPACK lange for the 1 and inf
    # norms of a matrix (both a double also for float32), NumPy's norm otherwise, whose
    # bits a composition does not give; the derivatives are the composition's
    how = dict(ord=ord, axis=_hashable(axis), keepdims=bool(keepdims))
    return scipy_valued("norm", _norm, [a], how, cores=(a.ndim,), ref_kw=how)


def _hashable(axis):
    return tuple(int(i) for i in axis) if isinstance(axis, (list, tuple)) else axis


def _norm(a, ord, axis, keepdims):
    """``norm`` composed of differentiable operations (its derivatives)."""
    if a.ndim == 1 and a.shape[0] and ord in (None, 2) and axis is None and not keepdims \
            and a.dtype.char in "fdFD":
        # SciPy's BLAS nrm2, which scales: no underflow or overflow of the squares (NumPy's
        # norm of 1e200 * ones(3) is inf, SciPy's 1.7e200); a double, as SciPy's
        m = wnp.stop_gradient(wnp.max(wnp.abs(a)))
        m = wnp.where(wnp.isfinite(m) & (m > 0), m, 1.0)
        return wnp.asarray(m * LA.norm(a / m), np.float64)
    a = a if a.dtype.kind in "fc" else wnp.asarray(a, np.float64)  # (float16 stays: NumPy's)
    out = LA.norm(a, ord=ord, axis=axis, keepdims=keepdims)
    if a.ndim == 2 and axis is None and not keepdims and a.dtype.char in "fdFD" \
            and (ord == 1 or ord == np.inf):
        return wnp.asarray(out, np.float64)  # SciPy's LAPACK lange returns a double
    return out


def pinv(a, *, atol=None, rtol=None, return_rank=False, check_finite=True):
    """Moore–Penrose pseudo-inverse: singular values up to ``atol + rtol · max(s)`` are
    dropped (``rtol`` defaults to ``max(m, n) · eps``); its derivative holds wherever the
    rank does not change. Traced values: ``atol`` 0 or None.

    >>> pinv(np.array([[2.0, 0.0], [0.0, 0.0]]))
    array([[0.5, 0. ],
           [0. , 0. ]])
    """
    _finite("pinv", check_finite, a)
    if _concrete(a):
        return _sl.pinv(a, atol=atol, rtol=rtol, return_rank=return_rank,
                        check_finite=False)
    if atol:
        raise WireError(f"pinv: atol={atol!r} is supported on concrete arrays only (use "
                        f"rtol){at(user_location())}")
    a = _float(a)
    if rtol is None:
        rtol = max(a.shape[-2:]) * np.finfo(a.dtype).eps
    return _pinv(a, rtol, return_rank, hermitian=False)


def _pinv(a, rtol, return_rank, hermitian):
    """SciPy's pinv (``hermitian``: pinvh of the Hermitian ``a``) traced: its own cutoff and
    products (NumPy's round otherwise), and its rank from the singular values (eigenvalues)
    it drops or keeps."""
    if _sl is not None and a.ndim >= 2 and min(a.shape[-2:]) and not np.ndim(rtol):
        out = LX.pinv(a, rtol, hermitian=hermitian, scipy=True)
    else:
        out = LA.pinv(a, rtol=rtol)
    if not return_rank:
        return out
    if hermitian and min(a.shape[-2:]):
        s = wnp.abs(eigh(a, check_finite=False, driver="ev")[0])  # pinvh's
    else:
        s = LA.svdvals(a) if _sl is None or a.ndim < 2 else svd(a, full_matrices=False,
                                                                 check_finite=False)[1]
    if s.shape[-1] == 0:  # no singular values: rank 0 (max over them has no value)
        return out, wnp.zeros(tuple(s.shape[:-1]), np.int64)
    return out, wnp.sum(s > rtol * wnp.max(s, axis=-1, keepdims=True), axis=-1)


def pinvh(a, atol=None, rtol=None, lower=True, return_rank=False, check_finite=True):
    """Pseudo-inverse of a Hermitian matrix given by its ``lower`` (or upper) triangle.

    >>> pinvh(np.array([[2.0, 0.0], [0.0, 0.0]]))
    array([[0.5, 0. ],
           [0. , 0. ]])
    """
    _finite("pinvh", check_finite, a)
    if _concrete(a):
        return _sl.pinvh(a, atol=atol, rtol=rtol, lower=lower, return_rank=return_rank,
                         check_finite=False)
    a = _float(a)
    _square(a, "pinvh")
    if atol:
        raise WireError(f"pinvh: atol={atol!r} is supported on concrete arrays only (use "
                        f"rtol){at(user_location())}")
    h = _hermitian_from(a, lower)
    if rtol is None:
        rtol = max(a.shape[-2:]) * np.finfo(a.dtype).eps
    return _pinv(h, rtol, return_rank, hermitian=True)


def lstsq(a, b, cond=None, overwrite_a=False, overwrite_b=False, check_finite=True,
          lapack_driver=None):
    """Least-squares solution ``(x, residues, rank, s)``: ``x`` minimises ``|b - a x|``
    (minimum norm; singular values below ``cond · max(s)`` dropped, ``cond`` defaulting to
    eps), ``residues`` the squared residual norms when ``a`` is tall and of full rank (a
    scalar for 1-D ``b``, as SciPy's), else an empty array.

    >>> x, res, rank, s = lstsq(np.array([[1.0], [1.0]]), np.array([1.0, 3.0]))
    >>> x, round(float(res), 12), int(rank)
    (array([2.]), 2.0, 1)
    """
    _finite("lstsq", check_finite, a, b)
    if _concrete(a, b):
        return _sl.lstsq(a, b, cond=cond, lapack_driver=lapack_driver,
                         check_finite=False)
    a, b = _float(a), _float(b)
    if a.ndim >= 2:  # stacks, as SciPy batches them: b (m,) for every matrix or (..., m, k)
        stacked = over_stack(lambda a1, b1: lstsq(a1, b1, cond=cond, check_finite=False),
                             [a, b], [2, 1 if b.ndim == 1 else 2])
        if stacked is not None:
            return stacked
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ShapeError(f"lstsq: a must be (m, n) and b (m,) or (m, k) with the same m, got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}{at(user_location())}")
    m, n = a.shape
    # SciPy's default: the eps of the dtype LAPACK computes in, a's and b's common one
    cutoff = np.finfo(np.result_type(a.dtype, b.dtype)).eps if cond is None else cond
    if _sl is not None and min(m, n) and lapack_driver in (None, "gelsd", "gelss"):
        # SciPy's own call traced too (x, s and the residues to its bits); x differentiates
        # as pinv(a) b
        dt = np.result_type(a.dtype, b.dtype)
        a, b = wnp.asarray(a, dt), wnp.asarray(b, dt)
        # LAPACK takes cond <= 0 or >= 1 as its machine precision (gelsd's 2**-53 in double;
        # gelss: cond < 0, 2**-52), and so do the rank and x's derivative
        if lapack_driver in (None, "gelsd") and (cutoff <= 0 or cutoff >= 1):
            cutoff = np.finfo(dt).epsneg
        elif lapack_driver == "gelss" and cutoff < 0:
            cutoff = np.finfo(dt).eps
        x, s, res = LX.lstsq(a, b[:, None] if b.ndim == 1 else b, cutoff,
                             lapack_driver or "gelsd")
        x, res = (x[:, 0], res[0]) if b.ndim == 1 else (x, res)
    else:
        s = LA.svdvals(a)
        x = LA.pinv(a, rtol=cutoff) @ b
        r = b - a @ x
        res = wnp.sum(wnp.real(r * wnp.conj(r)), axis=0)
    rank = wnp.sum(s > cutoff * wnp.max(s), axis=-1) if min(m, n) else np.int32(0)
    if m > n:
        # SciPy: residues only at full rank, else an empty array; traced, NaN marks the
        # rank-deficient case (the shape cannot depend on a value)
        res = wnp.where(rank == n, res, np.nan)
    else:
        res = np.zeros((0,), x.dtype)  # SciPy's empty residues have x's dtype (complex too)
    return x, res, rank, s


# --------------------------------------------------------------------------- LU


@custom_jvp
def _tangent_times(x, s):
    """``x``, with its tangent scaled by ``s`` (not differentiated): NaN where ``s`` is,
    in forward and reverse mode, without ``0 * NaN`` reaching the other entries."""
    return x


@_tangent_times.defjvp
def _tangent_times_jvp(primals, tangents):
    return primals[0], tangents[0] * primals[1]


def _lu_steps(a):
    """Gaussian elimination with partial pivoting of an (m, n) matrix: the packed factors
    (``U`` on and above the diagonal, ``L``'s multipliers below) and the row permutation
    ``perm`` with ``a[perm] = L U``, plus LAPACK's pivot swaps."""
    m, n = a.shape
    k = min(m, n)
    rows = np.arange(m)
    perm = rows
    swaps = []
    for j in range(k):
        col = a[j:, j]
        # LAPACK's i?amax: |re| + |im| for complex entries
        col = wnp.abs(wnp.real(col)) + wnp.abs(wnp.imag(col)) if col.dtype.kind == "c" \
            else wnp.abs(col)
        p = wnp.stop_gradient(wnp.argmax(col)) + j  # LAPACK: the first largest |entry|
        swaps.append(p)
        # swap rows j and p (a gather: the derivative follows the rows)
        order = wnp.where(rows == j, p, wnp.where(rows == p, j, rows))
        a, perm = a[order], wnp.take(perm, order)
        pivot = a[j, j]
        safe = wnp.where(pivot == 0, 1.0, pivot)  # LAPACK leaves a zero column's multipliers
        # a zero pivot (the whole column below is 0): the multipliers a_ij / a_jj of a
        # perturbed matrix are e_ij / e_jj, and the pivot row jumps: they have no derivative
        col = a[j + 1:, j]
        real = np.finfo(a.dtype).dtype  # (a float32 tangent stays float32)
        nan_at_zero = wnp.stop_gradient(wnp.where(pivot == 0, np.array(np.nan, real),
                                                  np.array(1.0, real)))
        mult = wnp.where(pivot == 0, _tangent_times(col, nan_at_zero) * 0.0 + 0.0, col / safe)
        below = a[j + 1:, j + 1:] - mult[:, None] * a[j, j + 1:][None, :]
        a = wnp.concatenate([
            a[:j + 1],
            wnp.concatenate([a[j + 1:, :j], mult[:, None], below], axis=1),
        ], axis=0)
    return a, perm, swaps


def _lu_input(a, what):
    a = _float(a)
    if a.ndim < 2:
        raise ShapeError(f"{what}: traced values must be an (m, n) matrix or a stack of them, "
                         f"got shape {tuple(a.shape)}{at(user_location())}")
    return a


def lu_factor(a, overwrite_a=False, check_finite=True):
    """``(lu, piv)``: the packed LU factors of a square or rectangular matrix with partial
    pivoting and LAPACK's pivot indices (row ``i`` was swapped with row ``piv[i]``), for
    :func:`lu_solve`.

    >>> lu, piv = lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> piv
    array([1, 1], dtype=int32)
    """
    _finite("lu_factor", check_finite, a)
    if _concrete(a):
        return _sl.lu_factor(a, check_finite=False)
    a = _lu_input(a, "lu_factor")
    if a.dtype.char not in "fdFD":
        return _lu_factor_steps(a)
    return scipy_valued("lu_factor", _lu_factor_steps, [a])  # SciPy's getrf, traced too


def _lu_factor_steps(a):
    """``lu_factor`` by the elimination steps (its derivatives)."""
    stacked = over_stack(_lu_factor_steps, [a], [2])
    if stacked is not None:  # a stack, as SciPy batches it
        return stacked
    packed, _, swaps = _lu_steps(a)
    piv = wnp.stack([wnp.asarray(p, np.int32) for p in swaps]) if swaps else \
        np.zeros((0,), np.int32)
    return packed, piv


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` (``trans`` 1: ``aᵀ x = b``, 2: ``aᴴ x = b``) from
    ``lu_factor(a)``'s ``(lu, piv)``: the pivot swaps, then two triangular solves.

    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> lu_solve(lu_factor(a), np.array([5.0, 11.0]))
    array([1., 2.])
    """
    lu, piv = lu_and_piv
    _finite("lu_solve", check_finite, b)  # (SciPy checks b only)
    if _concrete(lu, piv, b):
        return _sl.lu_solve((lu, piv), b, trans=trans, check_finite=False)
    lu, b = _float(lu), _float(b)
    n = _square(lu, "lu_solve")
    piv = wnp.asarray(piv)
    # b (n,) for every matrix of a stack, or (..., n, k), as SciPy batches them
    if b.ndim == 0 or b.shape[-1 if b.ndim == 1 else -2] != n \
            or tuple(piv.shape) != tuple(lu.shape[:-1]):
        raise ShapeError(f"lu_solve: lu {tuple(lu.shape)} and piv {tuple(piv.shape)} do not "
                         f"match b {tuple(b.shape)}; b must be (n,) or (..., n, k)"
                         f"{at(user_location())}")
    cores = (2, 1, 1 if b.ndim == 1 else 2)

    if lu.dtype == b.dtype and lu.dtype.char in "fdFD" and trans in (0, 1, 2, "N", "T", "C"):
        # SciPy's getrs traced too (two triangular solves round otherwise in float32)
        return scipy_valued("lu_solve", _lu_solve_stack, [lu, piv, b], dict(trans=trans),
                            cores=cores, ref_kw=dict(trans=trans), linear=(2,))
    return _lu_solve_stack(lu, piv, b, trans)


def _lu_solve_stack(lu, piv, b, trans):
    cores = [2, 1, 1 if b.ndim == 1 else 2]
    stacked = over_stack(lambda *x: _lu_solve(*x, trans), [lu, piv, b], cores)
    return stacked if stacked is not None else _lu_solve(lu, piv, b, trans)


def _lu_solve(lu, piv, b, trans):
    """``lu_solve`` by the pivot swaps and two triangular solves (its derivatives)."""
    n = lu.shape[-1]
    rows = np.arange(n)
    perm = rows
    for j in range(n):  # apply LAPACK's swaps in order: a[perm] = L U
        p = piv[j]
        perm = wnp.take(perm, wnp.where(rows == j, p, wnp.where(rows == p, j, rows)))
    code = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}.get(trans)
    if code is None:
        raise WireError(f"lu_solve: trans must be 0, 1 or 2, got {trans!r}{at(user_location())}")
    # a zero pivot (an exactly singular U): SciPy's getrs divides by it (inf/NaN, no error),
    # and every derivative is NaN (solve_triangular would raise on the zero instead)
    eye = np.eye(n, dtype=bool)
    zero = wnp.stop_gradient(wnp.where(eye, lu, 1.0) == 0)
    singular = wnp.any(zero)
    lu = wnp.where(zero, 1.0, lu)
    if code == 0:
        y = solve_triangular(lu, wnp.take(b, perm, axis=0), lower=True, unit_diagonal=True,
                             check_finite=False)
        x = solve_triangular(lu, y, lower=False, check_finite=False)
    else:
        # aᵀ = Uᵀ Lᵀ Pᵀ: solve Uᵀ z = b, Lᵀ y = z, then undo the permutation
        z = solve_triangular(lu, b, trans=code, lower=False, check_finite=False)
        y = solve_triangular(lu, z, trans=code, lower=True, unit_diagonal=True,
                             check_finite=False)
        x = wnp.take(y, wnp.argsort(perm), axis=0)
    nan = np.array(np.nan, np.finfo(x.dtype).dtype)
    return x * wnp.stop_gradient(wnp.where(singular, nan, np.ones((), nan.dtype)))


def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """``(P, L, U)`` with ``a = P @ L @ U`` (``L`` unit lower trapezoidal, ``U`` upper), or
    ``(P @ L, U)`` with ``permute_l=True``; ``p_indices=True`` gives ``P`` as the row
    indices ``perm`` with ``a = L[perm] @ U`` ... as SciPy, where ``P = I[:, perm]``.

    >>> p, l, u = lu(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> p
    array([[0., 1.],
           [1., 0.]])
    >>> np.allclose(p @ l @ u, [[1.0, 2.0], [3.0, 4.0]])
    True
    """
    _finite("lu", check_finite, a)
    if _concrete(a):
        return _sl.lu(a, permute_l=permute_l, p_indices=p_indices, check_finite=False)
    a = _lu_input(a, "lu")
    how = dict(permute_l=bool(permute_l), p_indices=bool(p_indices))
    if a.dtype.char not in "fdFD":
        return _lu(a, **how)
    # SciPy's getrf traced too (the elimination steps round otherwise)
    return scipy_valued("lu", _lu, [a], how, ref_kw=how)


def _lu(a, permute_l, p_indices):
    """``lu`` by the elimination steps (its derivatives)."""
    stacked = over_stack(lambda a1: _lu(a1, permute_l, p_indices), [a], [2])
    if stacked is not None:  # a stack, as SciPy batches it
        return stacked
    m, n = a.shape
    k = min(m, n)
    packed, perm, _ = _lu_steps(a)
    eye = np.eye(m, k, dtype=a.dtype)
    low = wnp.where(np.tril(np.ones((m, k), bool), -1), packed[:, :k], 0.0) + eye
    up = wnp.where(np.triu(np.ones((k, n), bool)), packed[:k], 0.0)
    # a[perm] = L U, so a = Pᵀ-gather: P[perm[i], i] = 1, i.e. a = L[inv] U with inv = argsort
    inverse = wnp.argsort(perm)
    if permute_l:
        return low[inverse], up
    one = (m, n) == (1, 1)  # SciPy's 1x1 shortcut: int64 indices, P of a's own dtype
    if p_indices:
        return wnp.asarray(inverse, np.int64 if one else np.int32), low, up
    # a permutation matrix of the real dtype, also for complex a (as SciPy's)
    p = wnp.asarray(np.arange(m)[:, None] == perm[None, :],
                    a.dtype if one else np.finfo(a.dtype).dtype)
    return p, low, up


# --------------------------------------------------------------------------- Schur, Hessenberg,
# QZ and LDL forms: SciPy's own LAPACK calls, also traced; no derivative (as JAX's schur and
# hessenberg: the forms are not unique, and LAPACK's choice among them is not smooth)


def _core_outs(x, core):
    """The core shape of ``x`` (its last ``core`` axes)."""
    shape = tuple(wnp.shape(x))
    return shape[len(shape) - core:]


@functools.partial(custom_jvp, nondiff_argnums=(0,))
def _underivable(spec, *args):
    fn, kw, cores, outs = spec
    return _scipy_linalg(fn, args, kw, cores, outs)


@_underivable.defjvp
def _underivable_jvp(spec, primals, tangents):
    raise NonDifferentiableError(
        f"{spec[0]} has no derivative (as in JAX): its factors are not unique, and LAPACK's "
        f"choice among them is not a smooth function of the matrix; differentiate a function "
        f"of the matrix that does not depend on that choice (eigvals, funm, expm…), or hold "
        f"the input with wire.stop_gradient{at(user_location())}")


def _scipy_only(fn, args, kw, cores, outs):
    """SciPy's ``fn`` on traced ``args`` (its values to the bit, stacks one call per
    matrix); differentiating it raises ``NonDifferentiableError`` naming ``fn``."""
    if _sl is None:  # pragma: no cover - exercised only without scipy
        raise WireError(f"{fn} needs SciPy on traced values (pip install scipy)"
                        f"{at(user_location())}")
    outs = tuple((tuple(int(d) for d in sh), np.dtype(dt).str) for sh, dt in outs)
    spec = (fn, tuple(sorted(dict(kw).items())), tuple(cores), outs)
    return tuple(_underivable(spec, *args))


def _probe_dtypes(fn, kw, args, cores):
    """The dtypes of SciPy's results of ``fn`` for operands of ``args``' dtypes (a call on
    small well-conditioned stand-ins: SciPy's dtype rules are its own)."""
    stand = []
    for x, c in zip(args, cores):
        shape = tuple(max(int(d), 1) for d in _core_outs(x, c))
        dt = wnp.asarray(x).dtype
        stand.append(np.eye(*shape, dtype=dt) + np.eye(*shape, k=1, dtype=dt) / 2
                     if c == 2 else np.ones(shape, dt))
    with np.errstate(all="ignore"):
        return [np.asarray(g).dtype for g in _CALLS[fn](*stand, **dict(kw))]


def _schur_output(output, what):
    if output not in ("real", "complex", "r", "c"):
        raise WireValueError(f"{what}: argument must be 'real', or 'complex', got "
                             f"{output!r}{at(user_location())}")
    return output in ("complex", "c")


def schur(a, output="real", lwork=None, overwrite_a=False, sort=None, check_finite=True):
    """Schur decomposition ``a = Z T Zᴴ``, SciPy's: ``T`` upper (quasi-)triangular
    (``output="real"``: 2x2 blocks for complex pairs; ``"complex"``: triangular), ``Z``
    unitary; with ``sort`` (``"lhp"``, ``"rhp"``, ``"iuc"``, ``"ouc"`` or a callable of the
    eigenvalue), also ``sdim``, the number of eigenvalues sorted to the top. Traced, SciPy's
    own ``gees`` computes it (the same bits); it has no derivative (as JAX's), and
    differentiating it raises ``NonDifferentiableError``.

    >>> t, z = schur(np.array([[1.0, 2.0], [0.0, 3.0]]))
    >>> t
    array([[1., 2.],
           [0., 3.]])
    """
    _finite("schur", check_finite, a)
    if _concrete(a):
        return _sl.schur(a, output=output, lwork=lwork, sort=sort, check_finite=False)
    cplx = _schur_output(output, "schur")
    if sort is not None and not callable(sort) and sort not in ("lhp", "rhp", "iuc", "ouc"):
        raise WireValueError(f"schur: sort must be None, a callable or one of ('lhp', "
                             f"'rhp', 'iuc', 'ouc'), got {sort!r}{at(user_location())}")
    a = _float(a)
    n = _square(a, "schur")
    if cplx and a.dtype.kind != "c":  # (SciPy converts, and factors the complex matrix)
        a = wnp.asarray(a, np.result_type(a.dtype, np.complex64))
    kw = dict(output="complex" if cplx else "real", sort=sort)
    outs = [((n, n), a.dtype), ((n, n), a.dtype)] + ([((), np.int64)] if sort else [])
    return _scipy_only("schur", [a], kw, (2,), outs)


def hessenberg(a, calc_q=False, overwrite_a=False, check_finite=True):
    """Hessenberg form ``H`` of ``a`` (zero below the first subdiagonal), and with
    ``calc_q=True`` also ``Q`` with ``a = Q H Qᴴ``, SciPy's (its ``gehrd``/``orghr``, also
    traced). No derivative (as JAX's): differentiating it raises
    ``NonDifferentiableError``.

    >>> h = hessenberg(np.array([[2.0, 5.0, 8.0], [4.0, 2.0, 2.0], [4.0, 1.0, 1.0]]))
    >>> bool(np.allclose(np.tril(h, -2), 0))
    True
    """
    _finite("hessenberg", check_finite, a)
    if _concrete(a):
        return _sl.hessenberg(a, calc_q=calc_q, check_finite=False)
    a = _float(a)
    n = _square(a, "hessenberg")
    kw = dict(calc_q=bool(calc_q))
    dts = _probe_dtypes("hessenberg", kw, [a], (2,))
    got = _scipy_only("hessenberg", [a], kw, (2,), [((n, n), d) for d in dts])
    return got if calc_q else got[0]


def qz(A, B, output="real", lwork=None, sort=None, overwrite_a=False, overwrite_b=False,
       check_finite=True):
    """Generalized Schur (QZ) decomposition ``A = Q AA Zᴴ``, ``B = Q BB Zᴴ``, SciPy's
    (``gges``, also traced); returns ``(AA, BB, Q, Z)``. ``sort`` must be None (SciPy's
    ``ordqz`` sorts). No derivative: differentiating it raises ``NonDifferentiableError``.

    >>> aa, bb, q, z = qz(np.array([[1.0, 2.0], [3.0, 4.0]]), np.eye(2))
    >>> bool(np.allclose(q @ aa @ z.T, [[1.0, 2.0], [3.0, 4.0]]))
    True
    """
    _finite("qz", check_finite, A, B)
    if np.shape(A)[-2:] == (0, 0) and np.shape(B)[-2:] == (0, 0) and not _t(A, B):
        # (SciPy 1.17's gges call fails on 0x0 with an lwork error: four empty factors)
        dt = np.result_type(_float(A).dtype, _float(B).dtype,
                            np.complex64 if output in ("complex", "c") else np.float32)
        return tuple(np.zeros(np.broadcast_shapes(np.shape(A), np.shape(B)), dt)
                     for _ in range(4))
    if _concrete(A, B):
        return _sl.qz(A, B, output=output, lwork=lwork, sort=sort, check_finite=False)
    if sort is not None:
        raise WireValueError(f"qz: the 'sort' input of qz() has to be None (use ordqz on "
                             f"concrete arrays){at(user_location())}")
    cplx = _schur_output(output, "qz")
    A, B = _float(A), _float(B)
    n = _square(A, "qz")
    if _square(B, "qz") != n:
        raise ShapeError(f"qz: A {tuple(A.shape)} and B {tuple(B.shape)} must be square "
                         f"matrices of the same size{at(user_location())}")
    dt = np.result_type(A.dtype, B.dtype)
    if cplx:
        dt = np.result_type(dt, np.complex64)
    A, B = wnp.asarray(A, dt), wnp.asarray(B, dt)
    if n == 0:
        shape = np.broadcast_shapes(tuple(A.shape), tuple(B.shape))
        return tuple(wnp.zeros(shape, dt) for _ in range(4))
    kw = dict(output="complex" if cplx else "real")
    return _scipy_only("qz", [A, B], kw, (2, 2), [((n, n), dt)] * 4)


def ldl(A, lower=True, hermitian=True, overwrite_a=False, check_finite=True):
    """LDLᵀ (or LDLᴴ) factorisation with Bunch–Kaufman pivoting, SciPy's (``sytrf``/
    ``hetrf``, also traced): ``(lu, d, perm)`` with ``A = lu d luᴴ`` (``luᵀ`` for
    ``hermitian=False``) and ``lu[perm]`` triangular. Only the ``lower`` (or upper)
    triangle is read. No derivative (the pivoting is not smooth): differentiating it raises
    ``NonDifferentiableError``.

    >>> a = np.array([[2.0, -1.0, 3.0], [-1.0, 2.0, 0.0], [3.0, 0.0, 1.0]])
    >>> lu, d, perm = ldl(a)
    >>> bool(np.allclose(lu @ d @ lu.T, a))
    True
    """
    _finite("ldl", check_finite, A)
    if _concrete(A):
        return _sl.ldl(A, lower=lower, hermitian=hermitian, check_finite=False)
    A = _float(A)
    n = _square(A, "ldl")
    kw = dict(lower=bool(lower), hermitian=bool(hermitian))
    dts = _probe_dtypes("ldl", kw, [A], (2,))
    return _scipy_only("ldl", [A], kw, (2,), [((n, n), dts[0]), ((n, n), dts[1]),
                                              ((n,), np.int64)])


def rsf2csf(T, Z, check_finite=True):
    """The complex Schur form ``(T, Z)`` from the real one (``schur(a)``'s), SciPy's: each
    2x2 block of a complex pair is made triangular by a Givens rotation. Traced, SciPy's own
    values; the derivatives are those of the same rotations written with wire's operations
    (as JAX's ``rsf2csf``, which is differentiable).

    >>> t, z = rsf2csf(np.array([[0.0, 1.0], [-1.0, 0.0]]), np.eye(2))
    >>> bool(np.allclose(np.sort_complex(np.diag(t)), [-1j, 1j]))
    True
    """
    _finite("rsf2csf", check_finite, T, Z)
    if _concrete(T, Z):
        return _sl.rsf2csf(T, Z, check_finite=False)
    T, Z = _float(T), _float(Z)
    n = _square(T, "rsf2csf")
    if _square(Z, "rsf2csf") != n:
        raise ShapeError(f"rsf2csf: input array shapes must match: Z {tuple(Z.shape)} vs. T "
                         f"{tuple(T.shape)}{at(user_location())}")
    return scipy_valued("rsf2csf", _rsf2csf, [T, Z])


def _rsf2csf(T, Z):
    """``rsf2csf`` by SciPy's rotations (its derivatives): for ``m = n-1 … 1`` where the
    subdiagonal ``T[m, m-1]`` is not negligible, the rotation ``G`` from the first eigenvalue
    ``μ`` of the 2x2 block (minus ``T[m, m]``), applied to rows ``m-1, m`` (columns from
    ``m-1``), to columns ``m-1, m`` (rows to ``m``) and to ``Z``'s columns."""
    dt = np.result_type(T.dtype, Z.dtype, np.complex64)
    T, Z = wnp.asarray(T, dt), wnp.asarray(Z, dt)
    n = T.shape[-1]
    eps = np.finfo(np.float64).eps  # (SciPy's, whatever the dtype)
    rows = np.arange(n)[:, None]
    cols = np.arange(n)[None, :]
    for m in range(n - 1, 0, -1):
        sub = T[..., m, m - 1]
        act = wnp.abs(sub) > eps * (wnp.abs(T[..., m - 1, m - 1]) + wnp.abs(T[..., m, m]))
        a, b = T[..., m - 1, m - 1], T[..., m - 1, m]
        c, d = sub, T[..., m, m]
        # where the block is left alone, a stand-in with distinct eigenvalues (±i) keeps the
        # unused derivatives finite
        a = wnp.where(act, a, 0.0)
        b = wnp.where(act, b, 1.0)
        c = wnp.where(act, c, -1.0)
        d = wnp.where(act, d, 0.0)
        root = wnp.sqrt(((a - d) / 2) ** 2 + b * c)
        # SciPy's μ is eigvals' first eigenvalue of the block: the root it is closest to
        blk = wnp.stack([wnp.stack([a, b], -1), wnp.stack([c, d], -1)], -2)
        first = wnp.stop_gradient(eigvals(wnp.stop_gradient(blk), check_finite=False)[..., 0])
        plus, minus = (a + d) / 2 + root, (a + d) / 2 - root
        mu = wnp.where(wnp.abs(first - plus) <= wnp.abs(first - minus), plus, minus) - d
        r = wnp.sqrt(wnp.real(mu * wnp.conj(mu)) + wnp.real(c * wnp.conj(c)))
        cs, sn = mu / r, c / r
        # G = [[conj(c), s], [-s, c]] embedded at rows/columns m-1, m of the identity
        g = np.eye(n, dtype=dt) + wnp.zeros(tuple(wnp.shape(cs)) + (n, n), dt)
        e = lambda i, j: np.asarray((rows == i) & (cols == j), dt)
        x = lambda v: wnp.expand_dims(v, (-1, -2))
        g = (g * (1 - e(m - 1, m - 1) - e(m, m)) + x(wnp.conj(cs)) * e(m - 1, m - 1)
             + x(sn) * e(m - 1, m) - x(sn) * e(m, m - 1) + x(cs) * e(m, m))
        gh = wnp.conj(wnp.swapaxes(g, -1, -2))
        on = x(act)
        left = ((rows == m - 1) | (rows == m)) & (cols >= m - 1)
        T = wnp.where(on & left, g @ T, T)
        right = (rows <= m) & ((cols == m - 1) | (cols == m))
        T = wnp.where(on & right, T @ gh, T)
        Z = wnp.where(on & ((cols == m - 1) | (cols == m)), Z @ gh, Z)
        T = wnp.where((rows == m) & (cols == m - 1), wnp.zeros((), dt), T)
    return T, Z


def matrix_balance(A, permute=True, scale=True, separate=False, overwrite_a=False):
    """Balance ``A`` (LAPACK's ``gebal``, as SciPy): ``B = T⁻¹ A T`` with ``T`` a
    permutation times a diagonal of powers of two, returned as ``(B, T)``, or
    ``(B, (scale, perm))`` with ``separate=True``. The derivative of ``B`` is
    ``T⁻¹ dA T`` (``T`` is piecewise constant in ``A``: its derivative is 0).

    >>> b, t = matrix_balance(np.array([[1.0, 100.0], [0.01, 1.0]]))
    >>> bool(np.allclose(np.linalg.solve(t, np.array([[1.0, 100.0], [0.01, 1.0]]) @ t), b))
    True
    """
    if _concrete(A):
        return _sl.matrix_balance(A, permute=permute, scale=scale, separate=separate)
    A = _float(A)
    _square(A, "matrix_balance")
    if A.ndim != 2:
        raise ShapeError(f"matrix_balance: expected a 2-D square matrix, got shape "
                         f"{tuple(A.shape)}{at(user_location())}")
    kw = dict(permute=bool(permute), scale=bool(scale), separate=bool(separate))
    b, *rest = scipy_valued("matrix_balance", _balance, [A], kw, ref_kw=kw)
    return (b, tuple(rest)) if separate else (b, rest[0])


def _balance(a, permute, scale, separate):
    """``matrix_balance`` as ``T⁻¹ A T`` with SciPy's ``T`` (held constant): its
    derivative."""
    n = a.shape[-1]
    dts = _probe_dtypes("matrix_balance", dict(permute=permute, scale=scale,
                                                separate=separate), [a], (2,))
    outs = [((n, n), d) for d in dts] if not separate else \
        [((n, n), dts[0]), ((n,), dts[1]), ((n,), np.int64)]
    got = _scipy_linalg("matrix_balance", [wnp.stop_gradient(a)],
                       tuple(sorted(dict(permute=permute, scale=scale,
                                         separate=separate).items())), (2,), outs)
    if separate:
        s, p = got[1], got[2]
        t = wnp.asarray(np.arange(n)[:, None] == p[None, :], s.dtype) * s[None, :]
    else:
        t = got[1]
    t = wnp.asarray(t, a.dtype)
    b = LA.solve(t, a @ t)
    return (b, got[1], got[2]) if separate else (b, got[1])


def qr_multiply(a, c, mode="right", pivoting=False, conjugate=False, overwrite_a=False,
                overwrite_c=False):
    """``c @ Q`` (``mode="right"``) or ``Q @ c`` (``"left"``) with ``Q`` the economic QR
    factor of ``a`` (``conj(Q)`` with ``conjugate=True``), and ``R``: SciPy's
    ``(CQ, R)`` (``(CQ, R, P)`` with ``pivoting=True``, concrete arrays only). Traced,
    SciPy's own values (``ormqr``) with the derivatives of ``qr``'s factors. A complex ``c``
    with a real ``a`` gives the complex product (SciPy drops ``c``'s imaginary part).

    >>> a = np.array([[3.0, 1.0], [4.0, 2.0]])
    >>> cq, r = qr_multiply(a, np.eye(2))
    >>> bool(np.allclose(cq @ r, a))
    True
    """
    if mode not in ("left", "right"):
        raise WireValueError(f"qr_multiply: mode argument can only be 'left' or 'right' but "
                             f"not {mode!r}{at(user_location())}")
    if _kind(c) == "c" and _kind(a) != "c":
        # SciPy multiplies by a real a's factor in a's dtype, discarding c's imaginary part
        # (with a ComplexWarning): wire multiplies both parts, c @ Q being linear in c
        kw = dict(mode=mode, pivoting=pivoting, conjugate=conjugate)
        re = qr_multiply(a, wnp.real(c), **kw)
        im = qr_multiply(a, wnp.imag(c), **kw)
        return (re[0] + 1j * im[0], *re[1:])
    _finite("qr_multiply", True, c)
    if _concrete(a, c):
        return _sl.qr_multiply(a, c, mode=mode, pivoting=pivoting, conjugate=conjugate)
    _refuse("qr_multiply", pivoting=pivoting)
    _finite("qr_multiply", True, a)
    a, c = _float(a), _float(c)
    if a.ndim != 2 or c.ndim not in (1, 2):
        raise ShapeError(f"qr_multiply: traced, a must be 2-D and c 1-D or 2-D, got "
                         f"{tuple(a.shape)} and {tuple(c.shape)}{at(user_location())}")
    m, n = a.shape
    k = min(m, n)
    c2 = c if c.ndim == 2 else (c[None, :] if mode == "right" else c[:, None])
    if mode == "left" and c2.shape[0] != k:
        raise ShapeError(f"qr_multiply: array shapes are not compatible for Q @ c "
                         f"operation: {(m, n)} vs {tuple(c2.shape)}{at(user_location())}")
    if mode == "right" and c2.shape[1] != m:
        raise ShapeError(f"qr_multiply: array shapes are not compatible for c @ Q "
                         f"operation: {tuple(c2.shape)} vs {(m, n)}{at(user_location())}")
    kw = dict(mode=mode, conjugate=bool(conjugate))
    if 0 in tuple(c2.shape) or 0 in (m, n):  # SciPy's empty c (2-D) and R
        r = qr(a, mode="r", check_finite=False)[0][:k]
        return wnp.zeros(tuple(c2.shape), c.dtype), r
    cq, r = scipy_valued("qr_multiply", _qr_multiply, [a, c], kw, cores=(2, c.ndim),
                         ref_kw=kw)
    return cq, r


def _kind(x) -> str:
    return x.dtype.kind if hasattr(x, "dtype") else np.asarray(x).dtype.kind


def _qr_multiply(a, c, mode, conjugate):
    """``qr_multiply`` by ``qr``'s economic factors (its derivatives), in the dtype of
    SciPy's ``ormqr`` (the factor's: ``c`` is converted to it)."""
    dt = a.dtype
    q, r = qr(a, mode="economic", check_finite=False)
    if conjugate:
        q = wnp.conj(q)
    c = wnp.asarray(c, dt)
    if mode == "right":
        return c @ q, r
    return q @ c, r


def subspace_angles(A, B):
    """Principal angles (radians, descending) between the column spaces of ``A`` and
    ``B``, SciPy's (Knyazev & Argentati's cosine/sine formulas). Traced, SciPy's values; the
    derivatives are those of the formulas with ``svd`` bases, which assume both have full
    column rank (a rank-deficient one gives NaN angles traced, where SciPy's are fewer).

    >>> round(float(subspace_angles(np.array([[1.0], [0.0]]), np.array([[1.0], [1.0]]))[0]), 12)
    0.785398163397
    """
    _finite("subspace_angles", True, A, B)
    if _concrete(A, B):
        return _sl.subspace_angles(A, B)
    A, B = _float(A), _float(B)
    if A.ndim != 2 or B.ndim != 2:
        raise ShapeError(f"subspace_angles: expected 2D arrays, got shapes {tuple(A.shape)} "
                         f"and {tuple(B.shape)}{at(user_location())}")
    if A.shape[0] != B.shape[0]:
        raise ShapeError(f"subspace_angles: A and B must have the same number of rows, got "
                         f"{A.shape[0]} and {B.shape[0]}{at(user_location())}")
    return scipy_valued("subspace_angles", _subspace_angles, [A, B])


def _subspace_angles(A, B):
    """SciPy's formulas, with the bases of full rank (its derivatives)."""
    dt = np.result_type(A.dtype, B.dtype)
    qa = svd(wnp.asarray(A, dt), full_matrices=False, check_finite=False)[0]
    qb = svd(wnp.asarray(B, dt), full_matrices=False, check_finite=False)[0]
    qa_h_qb = _mH(qa) @ qb
    sigma = svdvals(qa_h_qb, check_finite=False)
    if qa.shape[1] >= qb.shape[1]:
        b = qb - qa @ qa_h_qb
    else:
        b = qa - qb @ _mH(qa_h_qb)
    mask = sigma ** 2 >= 0.5
    # (the arcsin branch's svdvals only where SciPy takes it: the cosines otherwise)
    mu = wnp.arcsin(wnp.clip(svdvals(b, check_finite=False), -1.0, 1.0))
    return wnp.where(mask, mu, wnp.arccos(wnp.clip(sigma[::-1], -1.0, 1.0)))


NAMES = ["det", "eig", "eigh", "eigh_tridiagonal", "eigvals", "eigvalsh",
         "eigvalsh_tridiagonal", "hessenberg", "inv", "ldl", "lstsq", "lu", "lu_factor",
         "lu_solve", "matrix_balance", "norm", "pinv", "pinvh", "qr", "qr_multiply", "qz",
         "rsf2csf", "schur", "solve", "subspace_angles", "svd", "svdvals"]
