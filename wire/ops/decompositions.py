"""Solvers and triangular factorizations: ``solve``, ``inv``, ``cholesky`` and ``qr`` (see
``wire.ops.factorizations`` for the conventions all matrix primitives share)."""

from __future__ import annotations

import math

import numpy as np

from ..core import bind
from ..core.lowering import XpImpl
from ..core.primitive import Primitive, broadcast_shapes
from ..core.formula import ARRAYS_ONLY
from ..core.taylor import BY_JVP
from ..errors import ShapeError
from ..ir import Aval
from . import layout as S
from .batching import trailing_batch
from .complex_parts import real
from .elementwise import gt, le, logical_and, logical_or, ne, select
from .matmul import matmul
from .matrix_common import (
    _abs2, _cj, _conj_transpose, _eye, _hermitian_part, _i_imag_diag, diag_embed, diagonal, mH,
    mT, _spd, _square, _sym, _tril_mask, _well_conditioned, _xp_linalg,
)
from .reductions import reduce_max
from .optional import module as _optional_module
# SciPy's own routines as one primitive (registered with this module's primitives)
from .scipy_linalg import scipy_linalg, scipy_linalg_p  # noqa: F401

_sl = _optional_module("scipy.linalg")  # SciPy's routines, for wire.scipy.linalg only


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


def _matmul_sum(a: list, y: list, k: int):
    """``Σ_{j=1}^k C(k,j) a_j y_(k-j)`` (Leibniz's rule for matrix products, without the
    ``j = 0`` term; ``None`` terms skipped)."""
    total = None
    for j in range(1, k + 1):
        if a[j] is not None and y[k - j] is not None:
            term = matmul(a[j], y[k - j])
            if math.comb(k, j) != 1:
                term = term * float(math.comb(k, j))
            total = term if total is None else total + term
    return total


def _solve_taylor(series, out, a, b):
    """``a(t) y(t) = b(t)``: ``y_k = a_0⁻¹ (b_k - Σ_{j=1}^k C(k,j) a_j y_(k-j))`` (derivative
    coefficients), one solve per order."""
    n = len(next(s for s in series if s is not None))
    sa = [a] + (list(series[0]) if series[0] is not None else [None] * n)
    sb = [b] + (list(series[1]) if series[1] is not None else [None] * n)
    y = [out]
    for k in range(1, n + 1):
        rest = _matmul_sum(sa, y, k)
        rhs = sb[k] if rest is None else (-rest if sb[k] is None else sb[k] - rest)
        y.append(None if rhs is None else solve(a, rhs))
    return y[1:]


def _inv_taylor(series, out, a, scipy=False):
    """``a(t) x(t) = I``: ``x_k = -x_0 Σ_{j=1}^k C(k,j) a_j x_(k-j)`` (``x_0 = out``)."""
    sa = [a] + list(series[0])
    x = [out]
    for k in range(1, len(sa)):
        rest = _matmul_sum(sa, x, k)
        x.append(None if rest is None else -matmul(out, rest))
    return x[1:]


solve_p = Primitive(
    "solve",
    np.linalg.solve,
    _solve_shape,
    vjp=_solve_vjp,
    jvp=_solve_jvp,
    batch=trailing_batch(lambda: solve_p, core_ndim=(2, 2)),
    xp=_xp_linalg("solve"),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3)), rng.normal(size=(3, 2))], {}),
    doc="a⁻¹ b for square a (..., n, n) and b (..., n, k); LinAlgError if a is singular",
    sympy=ARRAYS_ONLY,
    taylor=_solve_taylor,
)


def solve(a, b):
    return bind(solve_p, a, b)


def _inv_shape(a, scipy=False):
    _square("inv", a)
    return a


def _inv_impl(a, scipy=False):
    # scipy: SciPy's inv (LAPACK's getrf and getri; NumPy's solves a x = I: other last bits)
    if scipy:
        return _sl.inv(a, check_finite=False)
    return np.linalg.inv(a)


inv_p = Primitive(
    "inv",
    _inv_impl,
    _inv_shape,
    vjp=lambda ct, out, a, scipy=False: (-matmul(mT(out), matmul(ct, mT(out))),),
    jvp=lambda ts, out, a, scipy=False: -matmul(out, matmul(ts[0], out)),
    batch=trailing_batch(lambda: inv_p, core_ndim=2),
    xp=XpImpl(lambda bk, a, scipy=False: bk.xp.linalg.inv(a), "linalg.inv"),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3))], {}),
    doc="matrix inverse; LinAlgError if singular",
    sympy=ARRAYS_ONLY,
    taylor=_inv_taylor,
)


def inv(a, scipy=False):
    """``scipy``: SciPy's inverse (its LAPACK calls), else NumPy's."""
    return bind(inv_p, a, scipy=True) if scipy else bind(inv_p, a)


# --------------------------------------------------------------------------- cholesky


def _phi(x):
    """Lower triangle with the diagonal halved."""
    n = x.shape[-1]
    return x * (_tril_mask(n, x.dtype, -1) + 0.5 * _eye(n, x.dtype))


def _cholesky_vjp(ct, out, a, upper=False):
    # upper: U = Lᴴ, and the cotangent of L is ct_Uᴴ (the pairing Re(sum(a * b)) is
    # invariant under conjugating and transposing both)
    L, ct = (mH(out), mH(ct)) if upper else (out, ct)
    p = _phi(matmul(mT(L), ct))
    y = solve(mT(L), p)  # L⁻ᵀ P
    s = mT(solve(mH(L), mT(y)))  # L⁻ᵀ P conj(L)⁻¹
    return (_sym(s),)


def _cholesky_jvp(ts, out, a, upper=False):
    L = mH(out) if upper else out
    x = solve(L, _sym(ts[0]))
    x = mH(solve(L, mH(x)))  # L⁻¹ sym(ta) L⁻ᴴ
    dl = matmul(L, _phi(x))
    return mH(dl) if upper else dl


def _cholesky_shape(a, upper=False):
    _square("cholesky", a)
    return a


def _cholesky_impl(a, upper=False):
    # upper: LAPACK's upper factorization (NumPy's upper=True), whose last bits differ from
    # the conjugate transpose of the lower one's
    return np.linalg.cholesky(_hermitian_part(a), upper=upper)


def _cholesky_xp(bk, a, upper=False):
    h = bk.xp.divide(bk.xp.add(a, _conj_transpose(bk, a)), 2)
    return bk.xp.linalg.cholesky(h, upper=True) if upper else bk.xp.linalg.cholesky(h)


cholesky_p = Primitive(
    "cholesky",
    _cholesky_impl,
    _cholesky_shape,
    vjp=_cholesky_vjp,
    jvp=_cholesky_jvp,
    batch=trailing_batch(lambda: cholesky_p, core_ndim=2),
    xp=XpImpl(_cholesky_xp, "linalg.cholesky"),
    sample=lambda rng: ([_spd(rng, (2, 3, 3))], {}),
    doc="lower (upper=True: upper) Cholesky factor of the Hermitian part of a; LinAlgError if "
    "not positive definite",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def cholesky(a, upper=False):
    return bind(cholesky_p, a, upper=True) if upper else bind(cholesky_p, a)


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


def _square_qr_jvp(q, r, r_solve, da):
    """Tangents of (q, r) for a = q r with square q (m == n, or a wide a's square part):
    ``dq = q do`` and ``dr = triu(qᴴ da - do r)``. These are :func:`_thin_qr_jvp`'s with
    ``q qᴴ = I`` used, exactly where that form cancels: ``do`` reads only the strictly lower
    part of ``c = qᴴ da r⁻¹``, that is the first k - 1 columns of ``r⁻¹``, which never divide
    by the last pivot (a complex ``do``'s phase term does). ``r_solve`` is ``r`` for those
    solves (for a real ``r`` its last pivot may differ from ``r``'s: no result reads it)."""
    c = matmul(mH(q), mT(solve(mT(r_solve), mT(da))))
    k = c.shape[-1]
    low = c * _tril_mask(k, c.dtype, -1)
    do = low - mH(low)
    if c.dtype.kind == "c":  # the phases (LAPACK's real diagonal of r): these read 1 / r_kk
        do = do + _i_imag_diag(c)
    dr = (matmul(mH(q), da) - matmul(do, r)) * np.triu(np.ones((k, k), c.dtype))
    return matmul(q, do), dr


def _square_qr_vjp(q, r, r_solve, ct_q, ct_r):
    """The transpose of :func:`_square_qr_jvp`: ``conj(q) (c̄ r⁻ᵀ + triu(ct_r))`` with
    ``c̄`` the cotangent of ``c``."""
    k = r.shape[-1]
    ct_r = ct_r * np.triu(np.ones((k, k), ct_r.dtype))
    m = matmul(mT(q), ct_q) - matmul(ct_r, mT(r))  # the cotangent of do
    c_bar = (m - mH(m)) * _tril_mask(k, m.dtype, -1)
    if m.dtype.kind == "c":
        c_bar = c_bar + _i_imag_diag(m)
    return matmul(_cj(q), mT(solve(r_solve, mT(c_bar))) + ct_r)


def _wide_split(a):
    """Selectors (e1, e2) with a = [a e1 | a e2]: the first m columns of a wide (m < n) a,
    and the rest. A wide a = q [r1 | r2] is the QR of its square part a e1 = q r1, and then
    r2 = qᴴ (a e2) (as JAX differentiates it)."""
    m, n = a.shape[-2:]
    eye = np.eye(n, dtype=a.dtype)
    return eye[:, :m], eye[:, m:]


def _last_pivot_free(r, m):
    """True where ``q`` is square (k = m) and real: its last column is then the unit vector
    orthogonal to the others, smooth in ``a`` wherever the earlier pivots are nonzero (the
    last Householder reflector, 1×1, is the identity), whatever the last pivot ``r_kk``;
    ``r``'s last row ``q_kᵀ a`` is then smooth too. A complex ``q_k`` has the phase that
    makes ``r_kk`` real: noise where ``r_kk`` is."""
    return r.shape[-2] == m and r.dtype.kind != "c"


def _rank_deficiency(r, m):
    """``bad`` (..., 1, k) bool and ``r_safe`` for the reduced ``r`` (..., k, n) of an
    (m, n) matrix.

    A diagonal entry ``r_jj`` that is zero to working precision (at most
    ``max(m, n) * eps * max|r|``, the rounding of a QR) says column ``j`` depends on the
    columns before it: ``q_j`` is then rounding noise, and so is every later column of ``q``
    and every row of ``r`` from ``j`` on, where ``bad`` is True; except a zero last pivot
    of a real square ``q`` (see :func:`_last_pivot_free`), which leaves everything
    differentiable. The leading columns of ``q`` and rows of ``r`` stay differentiable; the
    rules see them through ``r_safe``, ``r`` with the deficient diagonal entries moved to the
    tolerance: a perturbation of ``a`` at the rounding level, on which the leading factors
    depend continuously (an exact zero would make the rules' triangular solves singular).
    Where the last pivot is free, ``r_safe``'s is ``max|r|`` instead, whatever ``r_kk``:
    the square rules never read it, and a tiny pivot would make the (pivoting) solves lose
    the leading columns to rounding."""
    k, n = r.shape[-2:]
    rdt = np.empty((), r.dtype).real.dtype
    zero, one = np.zeros((), rdt), np.ones((), rdt)
    scale = reduce_max(_abs2(r), (r.ndim - 2, r.ndim - 1))
    tol2 = S.reshape(scale * np.asarray(float(max(m, n) * np.finfo(rdt).eps) ** 2, rdt),
                     tuple(scale.shape) + (1,))
    d = diagonal(r if k == n else matmul(r, np.eye(n, k, dtype=r.dtype)))
    deficient = le(_abs2(d), tol2)
    tol = select(gt(tol2, zero), tol2, one) ** 0.5  # an all-zero r: any nonzero pivot will do
    shift = select(deficient, tol - real(d), zero)
    if _last_pivot_free(r, m):
        last = np.arange(k) == k - 1
        deficient = logical_and(deficient, ~last)
        big = S.reshape(select(gt(scale, zero), scale, one) ** 0.5, tuple(scale.shape) + (1,))
        shift = select(last, big - d, shift)
    before = matmul(S.reshape(select(deficient, one, zero), tuple(d.shape[:-1]) + (1, k)),
                    np.triu(np.ones((k, k), rdt)))
    bad = gt(before, zero)  # a deficient pivot at or before j
    if r.dtype.kind == "c":
        shift = shift * np.ones((), r.dtype)
    shift = diag_embed(shift)
    if k != n:
        shift = matmul(shift, np.eye(k, n, dtype=r.dtype))
    return bad, r + shift


def _uses(ct, mask):
    """(..., 1, 1) bool: ``ct`` is nonzero (or NaN) somewhere ``mask`` is True."""
    rdt = np.empty((), ct.dtype).real.dtype
    hit = select(logical_and(ne(ct, np.zeros((), ct.dtype)), mask), np.ones((), rdt),
                 np.zeros((), rdt))
    top = reduce_max(hit, (hit.ndim - 2, hit.ndim - 1))
    return gt(S.reshape(top, tuple(top.shape) + (1, 1)), np.zeros((), rdt))


def _with_nan(x, where_):
    """``x`` with NaN where ``where_`` (broadcasting) is True."""
    return select(where_, np.full((), np.nan, x.dtype), x)


def _qr_jvp(ts, out, a):
    q, r = out
    if 0 in r.shape[-2:]:
        return _qr_jvp_full_rank(ts, q, r, r, a)
    bad, r_safe = _rank_deficiency(r, a.shape[-2])
    dq, dr = _qr_jvp_full_rank(ts, q, r, r_safe, a)
    # the tangents of the noise columns of q and rows of r have no value
    return _with_nan(dq, bad), _with_nan(dr, mT(bad))


def _qr_jvp_full_rank(ts, q, r, r_safe, a):
    m, n = a.shape[-2:]
    if m > n:
        return _thin_qr_jvp(q, r_safe, ts[0])
    if m == n:
        return _square_qr_jvp(q, r, r_safe, ts[0])
    e1, e2 = _wide_split(a)
    dq, dr1 = _square_qr_jvp(q, matmul(r, e1), matmul(r_safe, e1), matmul(ts[0], e1))
    dr2 = matmul(mH(dq), matmul(a, e2)) + matmul(mH(q), matmul(ts[0], e2))
    return dq, matmul(dr1, mT(e1)) + matmul(dr2, mT(e2))


def _qr_vjp(ct, out, a):
    q, r = out
    ct_q, ct_r = ct
    if 0 in r.shape[-2:]:
        return (_qr_vjp_full_rank(q, r, r, ct_q, ct_r, a),)
    bad, r_safe = _rank_deficiency(r, a.shape[-2])
    k, n = r.shape[-2:]
    # a function that reads a noise column of q or row of r (its upper triangle) has no
    # derivative: NaN, never a number made of rounding noise
    upper = np.triu(np.ones((k, n), bool))
    used = logical_or(_uses(ct_q, bad), _uses(ct_r, logical_and(mT(bad), upper)))
    return (_with_nan(_qr_vjp_full_rank(q, r, r_safe, ct_q, ct_r, a), used),)


def _qr_vjp_full_rank(q, r, r_safe, ct_q, ct_r, a):
    m, n = a.shape[-2:]
    if m > n:
        return _thin_qr_vjp(q, r_safe, ct_q, ct_r)
    if m == n:
        return _square_qr_vjp(q, r, r_safe, ct_q, ct_r)
    e1, e2 = _wide_split(a)
    ct_r1, ct_r2 = matmul(ct_r, e1), matmul(ct_r, e2)
    ct_q = ct_q + matmul(_cj(matmul(a, e2)), mH(ct_r2))  # from dr2 = dqᴴ a2
    ct_a1 = _square_qr_vjp(q, matmul(r, e1), matmul(r_safe, e1), ct_q, ct_r1)
    ct_a2 = matmul(_cj(q), ct_r2)  # from dr2 = qᴴ da2
    return matmul(ct_a1, mT(e1)) + matmul(ct_a2, mT(e2))


qr_p = Primitive(
    "qr",
    lambda a: tuple(np.linalg.qr(a, mode="reduced")),
    _qr_shape,
    dtype=lambda d: (d, d),
    vjp=_qr_vjp,
    jvp=_qr_jvp,
    batch=trailing_batch(lambda: qr_p, core_ndim=2, n_out=2),
    xp=_xp_linalg("qr", multi=True, mode="reduced"),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 4, 3), (2, 4), (2, 2, 3)][int(
        rng.integers(0, 5))])], {}),
    doc="reduced QR (q, r); from the first column that depends on earlier ones (a zero "
    "pivot of r to working precision) the columns of q and rows of r are rounding noise, and "
    "derivatives through them are NaN; the leading factors keep theirs. A real square q "
    "(m <= n) with only its last pivot zero is smooth: everything keeps its derivative",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def qr(a):
    return bind(qr_p, a)
