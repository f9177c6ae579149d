"""Matrix-factorization primitives: ``solve``, ``inv``, ``det``, ``slogdet``, ``cholesky``,
``eigh``, ``svd``, ``qr``, and ``adjugate``/``inv_or_inf`` that the determinants'
derivatives are made of. (``matmul`` lives in ``linalg.py``.)

All act on the last two axes and broadcast over leading batch axes, like ``numpy.linalg``; a
singular matrix raises NumPy's ``LinAlgError`` when evaluated by ``solve``/``inv``/
``cholesky``. ``det`` and ``slogdet`` do not (nor do their derivatives): the gradient of
``det`` is the adjugate, exact at singular matrices. Rules are written with wire ops
(``matmul``, ``solve``, masks), so they differentiate again.

Symmetric inputs: ``cholesky`` and ``eigh`` factor the symmetric part ``(a + aᵀ) / 2`` and
their VJPs return symmetric cotangents; ``wire.numpy.linalg`` first mirrors the lower triangle
(NumPy reads only that), so values match NumPy exactly. ``eigh`` derivatives at tied
eigenvalues follow :func:`_divide_gaps` (exact for functions of the eigenvalues alone, NaN
once the eigenvectors are used); ``svd`` treats tied singular values, and singular
values that are zero to working precision, by the same rule; ``qr`` of a wide matrix is
differentiated through the QR of its leading square block, as in JAX.

Complex matrices: every primitive here takes them, with JAX's convention (a VJP is the
transpose of the R-linear tangent map under the pairing ``Re(sum(a * b))``; see
``complex_parts``). ``cholesky``/``eigh`` factor the Hermitian part ``(a + aᴴ) / 2``. The
phase of each complex eigen/singular vector is not determined by the matrix; the rules fix it
as JAX does (``Im(vᴴ dv) = 0`` for ``eigh`` and for ``svd``'s right vectors), so only
phase-invariant functions of those vectors have meaningful derivatives. ``qr`` follows
LAPACK's real diagonal of ``r``, which does fix the phases.
"""

from __future__ import annotations

import numpy as np

from ..batching import trailing_batch
from ..errors import ShapeError
from ..ir import Aval
from ..primitive import Primitive, broadcast_shapes
from ..tracer import Tracer, bind
from . import shape as S
from .complex_parts import conj, imag, real
from .elementwise import convert, eq, le, logical_and, select
from .linalg import matmul
from .reductions import argmax, reduce_max, reduce_prod, reduce_sum

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
    return S.getitem(x, [i, i], (("e",), ("a", 0), ("a", 1)))


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


# --------------------------------------------------------------------------- solve / inv


def _solve_shape(a, b):
    _square("solve", a)
    if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise ShapeError(f"solve: right-hand side {b!r} does not match matrix {a!r}")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], op="solve batch dimensions")
    return Aval(batch + b.shape[-2:], np.result_type(a.dtype, b.dtype))


def _solve_vjp(ct, out, a, b):
    ct_b = solve(mT(a), ct)
    return -matmul(ct_b, mT(out)), ct_b


def _solve_jvp(ts, out, a, b):
    ta, tb = ts
    rhs = tb if ta is None else (-matmul(ta, out) if tb is None else tb - matmul(ta, out))
    return solve(a, rhs)


solve_p = Primitive(
    "solve",
    np.linalg.solve,
    _solve_shape,
    vjp=_solve_vjp,
    jvp=_solve_jvp,
    batch=trailing_batch("solve", core_ndim=(2, 2)),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3)), rng.normal(size=(3, 2))], {}),
    doc="a⁻¹ b for square a (..., n, n) and b (..., n, k); LinAlgError if a is singular",
)


def solve(a, b):
    return bind(solve_p, a, b)


def _inv_shape(a):
    _square("inv", a)
    return a


inv_p = Primitive(
    "inv",
    np.linalg.inv,
    _inv_shape,
    vjp=lambda ct, out, a: (-matmul(mT(out), matmul(ct, mT(out))),),
    jvp=lambda ts, out, a: -matmul(out, matmul(ts[0], out)),
    batch=trailing_batch("inv", core_ndim=2),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3))], {}),
    doc="matrix inverse; LinAlgError if singular",
)


def inv(a):
    return bind(inv_p, a)


# --------------------------------------------------------------------------- determinants


def _excluded_products(s):
    """``p[..., i] = prod(s[..., k] for k != i)`` on NumPy arrays, without dividing (zeros
    in ``s`` are fine): prefix products times suffix products."""
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    pre = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    suf = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return pre * suf


def _adjugate_impl(a):
    """adj(a) from the SVD a = u diag(s) vh: adj(a) = c · vhᴴ diag(p) uᴴ, where p are the
    products of all singular values but one and c = det(u) det(vh) has modulus 1. Exact for
    every matrix, singular ones included (nothing is divided)."""
    a = np.asarray(a)
    n = a.shape[-1]
    if n <= 2:  # closed forms: exact to the last bit
        if n < 2:
            return np.ones(a.shape, a.dtype)
        out = np.empty_like(a)
        out[..., 0, 0], out[..., 1, 1] = a[..., 1, 1], a[..., 0, 0]
        out[..., 0, 1], out[..., 1, 0] = -a[..., 0, 1], -a[..., 1, 0]
        return out
    u, s, vh = np.linalg.svd(a)
    c = np.linalg.det(u) * np.linalg.det(vh)
    v_p = np.conj(np.swapaxes(vh, -1, -2)) * _excluded_products(s)[..., None, :]
    adj = c[..., None, None] * (v_p @ np.conj(np.swapaxes(u, -1, -2)))
    return adj.astype(a.dtype, copy=False)


def _pair_excluded_products(s):
    """``q[..., i, j] = prod(s[..., k] for k not in {i, j})`` for ``i != j``, 0 on the
    diagonal; a product (no division), so exact when some ``s`` are 0, and so are its
    derivatives."""
    k = s.shape[-1]
    off = 1.0 - _eye(k, s.dtype)
    if k < 3:  # no third index: every product is empty
        return np.broadcast_to(off, tuple(s.shape[:-1]) + (k, k))
    idx = np.arange(k)
    skip = (idx[:, None, None] == idx) | (idx[None, :, None] == idx)  # [i, j, k]: k in {i, j}
    t = select(skip, np.ones((), s.dtype), S.reshape(s, tuple(s.shape[:-1]) + (1, 1, k)))
    return reduce_prod(t, (t.ndim - 1,)) * off


def _adjugate_parts(a):
    """(c, v, q, uh) with adj(a + e) = c · v · adj(diag(s) + uᴴ e v) · uh for a = u diag(s) vh:
    the frame in which the derivative of the adjugate is a product formula."""
    u, s, vh = svd(a)
    c = det(u) * det(vh)
    return _expand2(c), mH(vh), _pair_excluded_products(s), mH(u)


def _adjugate_of_diagonal_jvp(x, q):
    """d adj(diag(s))[x]: diagonal ``sum_{k != i} q_ik x_kk``, off-diagonal ``-q_ij x_ij``.
    As a linear map of ``x`` it is its own transpose (``q`` is symmetric)."""
    d = S.reshape(diagonal(x), tuple(x.shape[:-1]) + (1,))
    return diag_embed(S.reshape(matmul(q, d), tuple(x.shape[:-1]))) - q * x


def _adjugate_jvp(ts, out, a):
    c, v, q, uh = _adjugate_parts(a)
    x = matmul(uh, matmul(ts[0], v))  # uᴴ e v
    return c * matmul(v, matmul(_adjugate_of_diagonal_jvp(x, q), uh))


def _adjugate_vjp(ct, out, a):
    c, v, q, uh = _adjugate_parts(a)
    h = c * matmul(mT(v), matmul(ct, mT(uh)))
    return (matmul(mT(uh), matmul(_adjugate_of_diagonal_jvp(h, q), mT(v))),)


def _adjugate_sample(rng):
    n = int(rng.integers(1, 4))
    a = rng.normal(size=(2, n, n))
    if n == 3 and rng.random() < 0.5:  # rank n - 1: det is 0, adj is not
        a[..., 2, :] = a[..., 0, :] - 2 * a[..., 1, :]
    return [a], {}


adjugate_p = Primitive(
    "adjugate",
    _adjugate_impl,
    lambda a: (_square("adjugate", a), a)[1],
    vjp=_adjugate_vjp,
    jvp=_adjugate_jvp,
    batch=trailing_batch("adjugate", core_ndim=2),
    sample=_adjugate_sample,
    doc="adj(a), the transposed cofactor matrix (det(a) inv(a) where a is invertible); exact "
    "for singular a, and so is its first derivative",
)


def adjugate(a):
    return bind(adjugate_p, a)


def _det_shape(a):
    _square("det", a)
    return Aval(a.shape[:-2], a.dtype)


def _det_sample(rng):
    a = _well_conditioned(rng, (2, 3, 3))
    if rng.random() < 0.5:  # singular: the gradient is the cofactor matrix
        a[..., 2, :] = a[..., 0, :] + a[..., 1, :]
    return [a], {}


det_p = Primitive(
    "det",
    np.linalg.det,
    _det_shape,
    vjp=lambda ct, out, a: (_expand2(ct) * mT(adjugate(a)),),
    jvp=lambda ts, out, a: trace(matmul(adjugate(a), ts[0])),
    batch=trailing_batch("det", core_ndim=2),
    sample=_det_sample,
    doc="determinant; its gradient is the cofactor matrix adj(a)ᵀ, singular a included",
)


def det(a):
    return bind(det_p, a)


def _slogdet_impl(a):
    sign, logabs = np.linalg.slogdet(a)
    return sign, logabs


def _slogdet_shape(a):
    _square("slogdet", a)
    real = np.empty((), a.dtype).real.dtype
    return (Aval(a.shape[:-2], a.dtype), Aval(a.shape[:-2], real))


def _inv_or_inf_impl(a):
    a = np.asarray(a)
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        singular = (np.linalg.slogdet(a)[0] == 0)[..., None, None]
        regular = np.linalg.inv(np.where(singular, np.eye(a.shape[-1], dtype=a.dtype), a))
        with np.errstate(divide="ignore", invalid="ignore"):
            pole = _adjugate_impl(a) / np.zeros((), a.dtype)
        return np.where(singular, pole, regular)


inv_or_inf_p = Primitive(
    "inv_or_inf",
    _inv_or_inf_impl,
    _inv_shape,
    vjp=lambda ct, out, a: (-matmul(mT(out), matmul(ct, mT(out))),),
    jvp=lambda ts, out, a: -matmul(out, matmul(ts[0], out)),
    batch=trailing_batch("inv_or_inf", core_ndim=2),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3))], {}),
    doc="inv(a), and adj(a) / 0 (±inf, NaN where a cofactor is 0) for exactly singular a "
    "instead of LinAlgError: the gradient of log|det(a)|ᵀ, which has a pole there",
)


def inv_or_inf(a):
    return bind(inv_or_inf_p, a)


def _slogdet_vjp(ct, out, a):
    ct_sign, ct_log = ct
    sign = out[0]
    w = ct_log
    if a.dtype.kind == "c":
        # d sign = sign * 1j * Im(tr(a⁻¹ da)); its transpose adds -1j * Re(1j sign ct_sign)
        w = ct_log + 1j * imag(sign * ct_sign)
    return (_expand2(w) * mT(inv_or_inf(a)),)


def _slogdet_jvp(ts, out, a):
    tr = trace(matmul(inv_or_inf(a), ts[0]))
    if a.dtype.kind != "c":
        return (None, tr)
    return (out[0] * (1j * imag(tr)), real(tr))


slogdet_p = Primitive(
    "slogdet",
    _slogdet_impl,
    _slogdet_shape,
    dtype=lambda d: (d, np.empty((), d).real.dtype),
    vjp=_slogdet_vjp,
    jvp=_slogdet_jvp,
    batch=trailing_batch("slogdet", core_ndim=2, n_out=2),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3))], {}),
    doc="(sign, log|det|); the sign of a real matrix has zero derivative; at a singular matrix "
    "the gradient of log|det| is ±inf (NaN where a cofactor is 0), not LinAlgError",
)


def slogdet(a):
    return bind(slogdet_p, a)


# --------------------------------------------------------------------------- cholesky


def _phi(x):
    """Lower triangle with the diagonal halved."""
    n = x.shape[-1]
    return x * (_tril_mask(n, x.dtype, -1) + 0.5 * _eye(n, x.dtype))


def _cholesky_vjp(ct, out, a):
    L = out
    p = _phi(matmul(mT(L), ct))
    y = solve(mT(L), p)  # L⁻ᵀ P
    s = mT(solve(mH(L), mT(y)))  # L⁻ᵀ P conj(L)⁻¹
    return (_sym(s),)


def _cholesky_jvp(ts, out, a):
    L = out
    x = solve(L, _sym(ts[0]))
    x = mH(solve(L, mH(x)))  # L⁻¹ sym(ta) L⁻ᴴ
    return matmul(L, _phi(x))


def _cholesky_shape(a):
    _square("cholesky", a)
    return a


cholesky_p = Primitive(
    "cholesky",
    lambda a: np.linalg.cholesky(_hermitian_part(a)),
    _cholesky_shape,
    vjp=_cholesky_vjp,
    jvp=_cholesky_jvp,
    batch=trailing_batch("cholesky", core_ndim=2),
    sample=lambda rng: ([_spd(rng, (2, 3, 3))], {}),
    doc="lower Cholesky factor of the Hermitian part of a; LinAlgError if not positive definite",
)


def cholesky(a):
    return bind(cholesky_p, a)


# --------------------------------------------------------------------------- eigh


def _eigh_shape(a):
    _square("eigh", a)
    real = np.empty((), a.dtype).real.dtype
    return (Aval(a.shape[:-1], real), a)


def _eigh_coupling(w, m):
    """``m[i, j] / (w[j] - w[i])``, the eigenvector coupling, with the tie rule of
    :func:`_divide_gaps`."""
    diff = _pairwise_diff(w)
    return _divide_gaps(m, diff, _ties(w, diff))


def _eigh_jvp(ts, out, a):
    w, v = out
    m = matmul(mH(v), matmul(_sym(ts[0]), v))
    dw = diagonal(m)
    return (real(dw) if dw.dtype.kind == "c" else dw, matmul(v, _eigh_coupling(w, m)))


def _eigh_vjp(ct, out, a):
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


eigh_p = Primitive(
    "eigh",
    lambda a: tuple(np.linalg.eigh(_hermitian_part(a))),
    _eigh_shape,
    dtype=lambda d: (np.empty((), d).real.dtype, d),
    vjp=_eigh_vjp,
    jvp=_eigh_jvp,
    batch=trailing_batch("eigh", core_ndim=2, n_out=2),
    sample=_eigh_sample,
    doc="(eigenvalues ascending, eigenvectors) of the Hermitian part of a; derivatives through "
    "the eigenvectors of tied eigenvalues are NaN",
)


def eigh(a):
    return bind(eigh_p, a)


# --------------------------------------------------------------------------- svd


def _svd_shape(a):
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


def _svd_jvp(ts, out, a):
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


def _svd_vjp(ct, out, a):
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


svd_p = Primitive(
    "svd",
    lambda a: tuple(np.linalg.svd(a, full_matrices=False)),
    _svd_shape,
    dtype=lambda d: (d, np.empty((), d).real.dtype, d),
    vjp=_svd_vjp,
    jvp=_svd_jvp,
    batch=trailing_batch("svd", core_ndim=2, n_out=3),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 4)][int(rng.integers(0, 3))])], {}),
    doc="reduced SVD (u, s, vh); derivatives through the vectors of tied or zero singular "
    "values are NaN",
)


def svd(a):
    return bind(svd_p, a)


# --------------------------------------------------------------------------- pinv


def _pinv_shape(a, *, rcond):
    if a.ndim < 2:
        raise ShapeError(f"pinv: expected matrices (..., m, n), got {a!r}")
    return Aval(a.shape[:-2] + (a.shape[-1], a.shape[-2]), a.dtype)


def _identity_minus(x):
    return _eye(x.shape[-1], x.dtype) - x


def _pinv_jvp(ts, out, a, *, rcond):
    # Golub & Pereyra (1973): exact wherever the rank is locally constant, ties included
    p, e = out, ts[0]
    eh = mH(e)
    q = _identity_minus(matmul(a, p))  # I - a p
    r = _identity_minus(matmul(p, a))  # I - p a
    return (-matmul(p, matmul(e, p)) + matmul(p, matmul(mH(p), matmul(eh, q)))
            + matmul(r, matmul(eh, matmul(mH(p), p))))


def _pinv_vjp(ct, out, a, *, rcond):
    p, g = out, ct
    gh, pt, cp = mH(g), mT(out), _cj(out)
    q = _identity_minus(matmul(a, p))
    r = _identity_minus(matmul(p, a))
    return (-matmul(pt, matmul(g, pt)) + matmul(_cj(q), matmul(gh, matmul(cp, pt)))
            + matmul(pt, matmul(cp, matmul(gh, _cj(r)))),)


pinv_p = Primitive(
    "pinv",
    lambda a, *, rcond: np.linalg.pinv(a, rcond=rcond),
    _pinv_shape,
    vjp=_pinv_vjp,
    jvp=_pinv_jvp,
    batch=trailing_batch("pinv", core_ndim=2),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 2, 4)][int(rng.integers(0, 3))])],
                        {"rcond": 1e-15}),
    doc="Moore-Penrose pseudo-inverse (singular values below rcond * max dropped); its "
    "derivative holds where the rank is locally constant, repeated singular values included",
)


def pinv(a, rcond):
    return bind(pinv_p, a, rcond=float(rcond))


# --------------------------------------------------------------------------- qr


def _qr_shape(a):
    if a.ndim < 2:
        raise ShapeError(f"qr: expected matrices (..., m, n), got {a!r}")
    m, n = a.shape[-2:]
    k = min(m, n)
    b = a.shape[:-2]
    return (Aval(b + (m, k), a.dtype), Aval(b + (k, n), a.dtype))


def _thin_qr_jvp(q, r, da):
    """Tangents of (q, r) for a = q r with square, invertible r (m >= n)."""
    x = mT(solve(mT(r), mT(da)))  # da r⁻¹
    c = matmul(mH(q), x)
    low = c * _tril_mask(c.shape[-1], c.dtype, -1)
    do = low - mH(low)
    if c.dtype.kind == "c":  # LAPACK's R has a real diagonal: that fixes the phases
        do = do + _i_imag_diag(c)
    return matmul(q, do - c) + x, matmul(c - do, r)


def _thin_qr_vjp(q, r, ct_q, ct_r):
    """The transpose of :func:`_thin_qr_jvp`."""
    m = matmul(mT(q), ct_q) - matmul(ct_r, mT(r))
    k = m.shape[-1]
    c_bar = (m - mH(m)) * _tril_mask(k, m.dtype, -1) - m
    if m.dtype.kind == "c":
        c_bar = c_bar + _i_imag_diag(m)
    x_bar = ct_q + matmul(_cj(q), c_bar)
    return mT(solve(r, mT(x_bar)))


def _wide_split(a):
    """Selectors (e1, e2) with a = [a e1 | a e2]: the first m columns of a wide (m < n) a,
    and the rest. A wide a = q [r1 | r2] is the QR of its square part a e1 = q r1, and then
    r2 = qᴴ (a e2) (as JAX differentiates it)."""
    m, n = a.shape[-2:]
    eye = np.eye(n, dtype=a.dtype)
    return eye[:, :m], eye[:, m:]


def _qr_jvp(ts, out, a):
    q, r = out
    m, n = a.shape[-2:]
    if m >= n:
        return _thin_qr_jvp(q, r, ts[0])
    e1, e2 = _wide_split(a)
    dq, dr1 = _thin_qr_jvp(q, matmul(r, e1), matmul(ts[0], e1))
    dr2 = matmul(mH(dq), matmul(a, e2)) + matmul(mH(q), matmul(ts[0], e2))
    return dq, matmul(dr1, mT(e1)) + matmul(dr2, mT(e2))


def _qr_vjp(ct, out, a):
    q, r = out
    ct_q, ct_r = ct
    m, n = a.shape[-2:]
    if m >= n:
        return (_thin_qr_vjp(q, r, ct_q, ct_r),)
    e1, e2 = _wide_split(a)
    ct_r1, ct_r2 = matmul(ct_r, e1), matmul(ct_r, e2)
    ct_q = ct_q + matmul(_cj(matmul(a, e2)), mH(ct_r2))  # from dr2 = dqᴴ a2
    ct_a1 = _thin_qr_vjp(q, matmul(r, e1), ct_q, ct_r1)
    ct_a2 = matmul(_cj(q), ct_r2)  # from dr2 = qᴴ da2
    return (matmul(ct_a1, mT(e1)) + matmul(ct_a2, mT(e2)),)


qr_p = Primitive(
    "qr",
    lambda a: tuple(np.linalg.qr(a, mode="reduced")),
    _qr_shape,
    dtype=lambda d: (d, d),
    vjp=_qr_vjp,
    jvp=_qr_jvp,
    batch=trailing_batch("qr", core_ndim=2, n_out=2),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 4, 3), (2, 4), (2, 2, 3)][int(
        rng.integers(0, 5))])], {}),
    doc="reduced QR (q, r); derivatives need the leading min(m, n) columns to have full rank",
)


def qr(a):
    return bind(qr_p, a)


# --------------------------------------------------------------------------- eig


def _complex_of(dtype):
    return np.result_type(dtype, np.complex64)


def _eig_impl(a):
    w, v = np.linalg.eig(a)
    c = _complex_of(np.asarray(a).dtype)
    return w.astype(c, copy=False), v.astype(c, copy=False)


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


def _eig_jvp(ts, out, a):
    w, v = out
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
    return (solve(mT(v), matmul(ct_p, mT(v))),)  # v⁻ᵀ ct_p vᵀ


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
    batch=trailing_batch("eig", core_ndim=2, n_out=2),
    sample=_eig_sample,
    doc="(eigenvalues, right eigenvectors) of a general square matrix, always complex; "
    "eigenvectors have unit norm and a real largest entry (LAPACK's choice)",
)


def eig(a):
    return bind(eig_p, a)
