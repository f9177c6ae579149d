"""Eigen and singular value decompositions: ``eigh``, ``svd`` and ``eig``; derivatives through
the vectors of tied (or zero singular) values follow :func:`matrix_common._divide_gaps`."""

from __future__ import annotations

import numpy as np

from ..core import bind
from ..core.lowering import MissingFunction, XpImpl
from ..core.primitive import Primitive
from ..core.formula import ARRAYS_ONLY
from ..core.taylor import BY_JVP
from ..errors import ShapeError
from ..ir import Aval
from . import layout as S
from .batching import trailing_batch
from .complex_parts import conj, imag, real
from .elementwise import convert, eq, le, select
from .matmul import matmul
from .reductions import argmax, reduce_max, reduce_min, reduce_sum
from .matrix_common import (
    _abs2, _cj, diag_embed, diagonal, _divide_gaps, _hermitian_part, _i_imag_diag,
    is_zero_cotangent, mH, mT, _over_s, _pairwise_diff, _row, _square, _sym, _ties, _xp_linalg,
)
from .decompositions import solve
from .optional import module as _optional_module

_sl = _optional_module("scipy.linalg")  # SciPy's routines, for wire.scipy.linalg only


# --------------------------------------------------------------------------- eigh


def _eigh_shape(a, values_only=False, upper=False, driver=None):
    _square("eigh", a)
    real = np.empty((), a.dtype).real.dtype
    return (Aval(a.shape[:-1], real), a)


def _eigh_coupling(w, m):
    """``m[i, j] / (w[j] - w[i])``, the eigenvector coupling, with the tie rule of
    :func:`_divide_gaps`."""
    diff = _pairwise_diff(w)
    return _divide_gaps(m, diff, _ties(w, diff))


def _eigh_jvp(ts, out, a, values_only=False, upper=False, driver=None):
    w, v = out
    m = matmul(mH(v), matmul(_sym(ts[0]), v))
    dw = diagonal(m)
    return (real(dw) if dw.dtype.kind == "c" else dw, matmul(v, _eigh_coupling(w, m)))


def _eigh_vjp(ct, out, a, values_only=False, upper=False, driver=None):
    w, v = out
    ct_w, ct_v = ct
    inner = diag_embed(ct_w)
    if not is_zero_cotangent(ct_v):
        inner = inner + _eigh_coupling(w, matmul(mT(v), ct_v))
    return (_sym(matmul(_cj(v), matmul(inner, mT(v)))),)


def _eigh_sample(rng):
    n = 3
    q, _ = np.linalg.qr(rng.normal(size=(2, n, n)))
    w = np.array([-1.5, 0.5, 2.0])
    return [q @ (w[:, None] * np.swapaxes(q, -1, -2))], {}


def _eigh_impl(a, values_only=False, upper=False, driver=None):
    # upper: LAPACK reads the upper triangle (NumPy's UPLO="U"): its values and vectors differ
    # from the lower one's in the last bits (the vectors in sign too). driver: SciPy's eigh
    # with that LAPACK driver ("evr", its default, "evd", "ev", "evx"), whose vectors may have
    # other signs than NumPy's, and which computes float32 in float32
    h, uplo = _hermitian_part(a), "U" if upper else "L"
    if driver is not None and np.isfinite(h).all():  # (SciPy's may not return on inf/NaN)
        kw = dict(lower=not upper, driver=driver, check_finite=False)
        if values_only:
            return _sl.eigh(h, eigvals_only=True, **kw), _sl.eigh(h, **kw)[1]
        return tuple(_sl.eigh(h, **kw))
    if values_only:  # (eigvalsh's values, raising as it does; the vectors for the rules)
        return np.linalg.eigvalsh(h, uplo), np.linalg.eigh(h, uplo)[1]
    return tuple(np.linalg.eigh(h, uplo))


def _eigh_xp(bk, a, values_only=False, upper=False, driver=None):
    return _xp_linalg("eigh", sym=True, multi=True).fn(bk, a)


eigh_p = Primitive(
    "eigh",
    _eigh_impl,
    _eigh_shape,
    dtype=lambda d: (np.empty((), d).real.dtype, d),
    vjp=_eigh_vjp,
    jvp=_eigh_jvp,
    batch=trailing_batch(lambda: eigh_p, core_ndim=2, n_out=2),
    xp=XpImpl(_eigh_xp, "linalg.eigh"),
    sample=_eigh_sample,
    doc="(eigenvalues ascending, eigenvectors) of the Hermitian part of a; derivatives through "
    "the eigenvectors of tied eigenvalues are NaN",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def _eigh_params(upper, driver):
    """Only the parameters that are not the defaults (graphs of NumPy's eigh stay as before)."""
    return {**({"upper": True} if upper else {}), **({"driver": driver} if driver else {})}


def eigh(a, upper=False, driver=None):
    """``driver``: SciPy's eigh with that LAPACK driver (None: NumPy's)."""
    return bind(eigh_p, a, **_eigh_params(upper, driver))


def eigvalsh(a, upper=False, driver=None):
    """The eigenvalues of ``eigh(a)`` as LAPACK computes them without the vectors (NumPy's
    ``eigvalsh``: their last bits differ, and it raises for some non-finite input where
    ``eigh`` gives NaN); the derivatives are ``eigh``'s."""
    return bind(eigh_p, a, values_only=True, **_eigh_params(upper, driver))[0]


# --------------------------------------------------------------------------- svd


def _svd_shape(a, lapack_driver=None):
    if a.ndim < 2:
        raise ShapeError(f"svd: expected matrices (..., m, n), got {a!r}")
    m, n = a.shape[-2:]
    k = min(m, n)
    b = a.shape[:-2]
    real = np.empty((), a.dtype).real.dtype
    return (Aval(b + (m, k), a.dtype), Aval(b + (k,), real), Aval(b + (k, n), a.dtype))


def _svd_parts(s):
    """(gaps, row, col) for singular values ``s``: ``gaps(x)`` is ``x / (s_j² - s_i²)`` with
    the tie rule of :func:`_divide_gaps`; ``row[..., 0, j] = s_j``, ``col[..., i, 0] = s_i``."""
    k = s.shape[-1]
    row = S.reshape(s, s.shape[:-1] + (1, k))
    col = S.reshape(s, s.shape + (1,))
    diff = (row + col) * (row - col)
    ties = _ties(s, row - col)
    return (lambda x: _divide_gaps(x, diff, ties)), row, col


def _svd_jvp(ts, out, a, lapack_driver=None):
    u, s, vh = out
    da = ts[0]
    v = mH(vh)
    gaps, row, col = _svd_parts(s)
    ds_mat = matmul(mH(u), matmul(da, v))
    dss, sds = ds_mat * row, col * ds_mat
    du = matmul(u, gaps(dss + mH(dss)))
    dv = matmul(v, gaps(sds + mH(sds)))
    ds = diagonal(ds_mat)
    if a.dtype.kind == "c":
        ds = real(ds)
        du = du + matmul(u, _over_s(_i_imag_diag(ds_mat), row))
    m, n = a.shape[-2:]
    if m > n:
        dav = matmul(da, v)
        du = du + _over_s(dav - matmul(u, matmul(mH(u), dav)), row)
    if n > m:
        dau = matmul(mH(da), u)
        dv = dv + _over_s(dau - matmul(v, matmul(vh, dau)), row)
    return (du, ds, mH(dv))


def _svd_vjp(ct, out, a, lapack_driver=None):
    u, s, vh = out
    ct_u, ct_s, ct_vh = ct
    gaps, row, col = _svd_parts(s)
    ds_bar = diag_embed(ct_s)
    cu, cvh = _cj(u), _cj(vh)
    m, n = a.shape[-2:]
    ct_a = None
    if not is_zero_cotangent(ct_u):
        gu = matmul(mT(u), ct_u)
        ds_bar = ds_bar + gaps(gu - mH(gu)) * row
        if a.dtype.kind == "c":
            ds_bar = ds_bar + _over_s(_i_imag_diag(gu), row)
        if m > n:
            x = ct_u - matmul(cu, matmul(mT(u), ct_u))
            ct_a = matmul(_over_s(x, row), cvh)
    if not is_zero_cotangent(ct_vh):
        v, ct_v = mH(vh), mH(ct_vh)
        gv = matmul(mT(v), ct_v)
        ds_bar = ds_bar + col * gaps(gv - mH(gv))
        if n > m:
            w = mT(ct_vh)
            extra = matmul(cu, mT(_over_s(w - matmul(v, matmul(vh, w)), row)))
            ct_a = extra if ct_a is None else ct_a + extra
    main = matmul(cu, matmul(ds_bar, cvh))
    return (main if ct_a is None else main + ct_a,)


def nonfinite_svd_guard(a, what="SVD"):
    """``None`` where LAPACK's SVD may be called on ``a``; else the mask of its matrices
    holding ±inf.

    LAPACK's SVD iterates on non-finite data and may never return (NumPy's ``svd`` of a 3x3
    with an inf at ``[0, 0]`` hangs), so such matrices of 3x3 and larger are never passed to
    it. Smaller ones returned in thousands of random trials: they get NumPy's values, whatever
    LAPACK makes of them. A NaN entry is NumPy's ``LinAlgError`` ("did not converge"); for ±inf
    NumPy's singular values are NaN, and so are the vectors here (LAPACK's are whatever its
    iteration left, finite or NaN)."""
    a = np.asarray(a)
    if a.size == 0 or min(a.shape[-2:]) <= 2 or np.isfinite(a).all():
        return None
    if np.isnan(a).any():
        raise np.linalg.LinAlgError(f"{what} did not converge")
    return ~np.isfinite(a).all(axis=(-2, -1))


def _scipy_svd(a, lapack_driver, compute_uv):
    """SciPy's svd with ``lapack_driver`` (float32 computed in float32, where NumPy computes
    in double); None where NumPy's is called (no driver, or a non-finite entry: SciPy's
    LAPACK call may not return on it, and NumPy's guard below decides)."""
    if lapack_driver is None or not np.isfinite(a).all():
        return None
    return _sl.svd(a, full_matrices=False, compute_uv=compute_uv, lapack_driver=lapack_driver,
                  check_finite=False)


def _svd_impl(a, lapack_driver=None):
    sci = _scipy_svd(a, lapack_driver, True)
    if sci is not None:
        return tuple(sci)
    bad = nonfinite_svd_guard(a)
    if bad is None:
        return tuple(np.linalg.svd(a, full_matrices=False))
    u, s, vh = np.linalg.svd(np.where(bad[..., None, None], 0, a), full_matrices=False)
    return (np.where(bad[..., None, None], np.nan, u), np.where(bad[..., None], np.nan, s),
            np.where(bad[..., None, None], np.nan, vh))


svd_p = Primitive(
    "svd",
    _svd_impl,
    _svd_shape,
    dtype=lambda d: (d, np.empty((), d).real.dtype, d),
    vjp=_svd_vjp,
    jvp=_svd_jvp,
    batch=trailing_batch(lambda: svd_p, core_ndim=2, n_out=3),
    xp=XpImpl(lambda bk, a, lapack_driver=None: _xp_linalg(
        "svd", multi=True, full_matrices=False).fn(bk, a), "linalg.svd"),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 4)][int(rng.integers(0, 3))])], {}),
    doc="reduced SVD (u, s, vh); derivatives through the vectors of tied or zero singular "
    "values are NaN",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def svd(a, lapack_driver=None):
    """``lapack_driver``: SciPy's svd with that driver ("gesdd", "gesvd"; None: NumPy's)."""
    return bind(svd_p, a, lapack_driver=lapack_driver) if lapack_driver else bind(svd_p, a)


# --------------------------------------------------------------------------- svdvals


def _svdvals_shape(a, lapack_driver=None):
    return _svd_shape(a)[1]


def _svdvals_jvp(ts, out, a, lapack_driver=None):
    # ds = Re diag(Uᴴ dA V), the singular-value part of svd's rule (its vectors, not its
    # values: LAPACK's values with vectors may differ from these in the last bits)
    u, _, vh = svd(a, lapack_driver)
    ds = diagonal(matmul(mH(u), matmul(ts[0], mH(vh))))
    return real(ds) if a.dtype.kind == "c" else ds


def _svdvals_vjp(ct, out, a, lapack_driver=None):
    # ct_A = conj(U) diag(ct_s) conj(Vh): svd's rule at zero cotangents of the vectors, so
    # exact at tied and zero singular values (a subgradient along LAPACK's vectors)
    u, _, vh = svd(a, lapack_driver)
    return (matmul(_cj(u), matmul(diag_embed(ct), _cj(vh))),)


def _svdvals_impl(a, lapack_driver=None):
    sci = _scipy_svd(a, lapack_driver, False)
    if sci is not None:
        return sci
    bad = nonfinite_svd_guard(a)
    if bad is None:
        return np.linalg.svd(a, compute_uv=False)
    # NumPy's values of a matrix with ±inf are NaN (LAPACK's iteration may not return)
    s = np.linalg.svd(np.where(bad[..., None, None], 0, a), compute_uv=False)
    return np.where(bad[..., None], np.nan, s)


def _svdvals_xp(bk, a, lapack_driver=None):
    fn = getattr(bk.xp.linalg, "svdvals", None)  # the Array API's; else svd's middle output
    return fn(a) if fn is not None else bk.xp.linalg.svd(a, full_matrices=False)[1]


svdvals_p = Primitive(
    "svdvals",
    _svdvals_impl,
    _svdvals_shape,
    dtype=lambda d: np.empty((), d).real.dtype,
    vjp=_svdvals_vjp,
    jvp=_svdvals_jvp,
    batch=trailing_batch(lambda: svdvals_p, core_ndim=2),
    xp=XpImpl(_svdvals_xp, "linalg.svdvals"),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 4)][int(rng.integers(0, 3))])], {}),
    doc="singular values (descending) as LAPACK computes them without the vectors (NumPy's "
    "svd(compute_uv=False); their last bits may differ from svd's); derivatives are svd's, "
    "exact at tied and zero singular values",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def svdvals(a, lapack_driver=None):
    """The singular values of ``a`` as ``numpy.linalg.svd(a, compute_uv=False)`` computes
    them (LAPACK without the vectors: the last bits may differ from ``svd(a)[1]``);
    ``lapack_driver``: as SciPy's svd with that driver.

    >>> svdvals(np.diag([3.0, -4.0]))
    array([4., 3.])
    """
    if lapack_driver:
        return bind(svdvals_p, a, lapack_driver=lapack_driver)
    return bind(svdvals_p, a)


# --------------------------------------------------------------------------- eig


def _complex_of(dtype):
    return np.result_type(dtype, np.complex64)


def _eig_impl(a):
    w, v = np.linalg.eig(a)
    c = _complex_of(np.asarray(a).dtype)
    return w.astype(c, copy=False), v.astype(c, copy=False)


def _eig_xp(bk, a):
    # not in the Array API; namespaces that follow numpy.linalg (CuPy's, NumPy's) have it
    fn = getattr(bk.xp.linalg, "eig", None)
    if fn is None:
        raise MissingFunction(f"{bk.name} has no linalg.eig")
    w, v = fn(a)
    c = bk.dtype(_complex_of(bk.np_dtype(a)))
    return bk.xp.astype(w, c), bk.xp.astype(v, c)


def _eig_shape(a):
    _square("eig", a)
    c = _complex_of(a.dtype)
    return (Aval(a.shape[:-1], c), Aval(a.shape, c))


def _eig_gauge(v):
    """(mask, r): ``mask[..., i, j]`` is 1 at the largest-modulus entry ``k_j`` of each
    eigenvector (column) and ``r[..., j] = Re v[k_j, j]``. LAPACK scales each eigenvector to
    unit 2-norm with that entry real, and the derivative follows the same choice."""
    n = v.shape[-1]
    k = argmax(_abs2(v), v.ndim - 2)  # (..., n)
    rows = np.arange(n).reshape((n, 1))
    mask = convert(eq(S.reshape(k, tuple(k.shape[:-1]) + (1, n)), rows), v.dtype)
    r = real(reduce_sum(mask * v, (v.ndim - 2,)))
    return mask, r


def _defective(v):
    """(..., 1, 1) bool: the eigenvectors ``v`` (unit columns) are linearly dependent to
    working precision (smallest singular value at most ``n * eps`` times the largest), so the
    matrix is defective (a Jordan block), or as good as defective. There an eigenvalue is not
    differentiable, and the rules' ``v⁻¹ … v`` miss the nilpotent part of the derivative of
    even a smooth function of the eigenvalues (the gradient of ``sum(λ²) = tr(a²)`` is
    ``2 aᵀ``, off-diagonal terms included): NaN, never that wrong number."""
    n = v.shape[-1]
    if n == 0:
        return np.zeros(tuple(v.shape[:-2]) + (1, 1), bool)
    sv = svd(v)[1]
    rdt = sv.dtype
    big = reduce_max(sv, (sv.ndim - 1,))
    small = reduce_min(sv, (sv.ndim - 1,))
    out = le(small, big * np.asarray(n * np.finfo(rdt).eps, rdt))
    return S.reshape(out, tuple(out.shape) + (1, 1))


def _nan_where(x, mask):
    return select(mask, np.full((), np.nan, x.dtype), x)


def _eig_jvp(ts, out, a):
    w, v = out
    bad = _defective(v)
    dw, dv = _eig_jvp_diagonalizable(ts, w, v)
    return _nan_where(dw, S.reshape(bad, tuple(bad.shape[:-1]))), _nan_where(dv, bad)


def _eig_jvp_diagonalizable(ts, w, v):
    da = convert(ts[0], v.dtype)
    p = matmul(solve(v, da), v)  # v⁻¹ da v
    u = matmul(v, _divide_gaps(p, _pairwise_diff(w), _ties(w, _pairwise_diff(w))))
    # dv_j = u_j + c_j v_j; the normalisation fixes c_j: Re(v_jᴴ dv_j) = 0, Im(dv[k_j, j]) = 0
    mask, r = _eig_gauge(v)
    axis = v.ndim - 2
    c_re = -real(reduce_sum(conj(v) * u, (axis,)))
    c_im = -imag(reduce_sum(mask * u, (axis,))) / r
    c = convert(c_re, v.dtype) + convert(c_im, v.dtype) * np.asarray(1j, v.dtype)
    return (diagonal(p), u + v * _row(c))


def _eig_vjp(ct, out, a):
    w, v = out
    ct_w, ct_v = ct
    ct_p = diag_embed(ct_w)
    if not is_zero_cotangent(ct_v):
        mask, r = _eig_gauge(v)
        s = reduce_sum(ct_v * v, (v.ndim - 2,))  # diag(vᵀ ct_v)
        re_s = convert(real(s), v.dtype)
        im_s = convert(imag(s) / r, v.dtype)
        ct_u = ct_v - conj(v) * _row(re_s) - mask * _row(im_s) * np.asarray(1j, v.dtype)
        diff = _pairwise_diff(w)
        ct_p = ct_p + _divide_gaps(matmul(mT(v), ct_u), diff, _ties(w, diff))
    return (_nan_where(solve(mT(v), matmul(ct_p, mT(v))), _defective(v)),)  # v⁻ᵀ ct_p vᵀ


def _eig_sample(rng):
    # a complex pair near 0.5 ± 1j and a real eigenvalue near -1.5, with a clear largest entry
    # in each eigenvector (so LAPACK's normalisation is smooth at the sample)
    base = np.array([[0.5, 2.0, 0.0], [-0.5, 0.5, 0.0], [0.0, 0.0, -1.5]])
    return [base + 0.15 * rng.normal(size=(2, 3, 3))], {}


eig_p = Primitive(
    "eig",
    _eig_impl,
    _eig_shape,
    dtype=lambda d: (_complex_of(d), _complex_of(d)),
    vjp=_eig_vjp,
    jvp=_eig_jvp,
    batch=trailing_batch(lambda: eig_p, core_ndim=2, n_out=2),
    xp=XpImpl(_eig_xp, "linalg.eig"),
    sample=_eig_sample,
    doc="(eigenvalues, right eigenvectors) of a general square matrix, always complex; "
    "eigenvectors have unit norm and a real largest entry (LAPACK's choice)",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def eig(a):
    return bind(eig_p, a)
