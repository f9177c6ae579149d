"""Matrix-factorization primitives: ``solve``, ``inv``, ``det``, ``slogdet``, ``cholesky``,
``eigh``, ``svd``, ``qr``. (``matmul`` lives in ``linalg.py``.)

All act on the last two axes and broadcast over leading batch axes, like ``numpy.linalg``; a
singular matrix raises NumPy's ``LinAlgError`` when evaluated. Rules are written with wire ops
(``matmul``, ``solve``, masks), so they differentiate again.

Symmetric inputs: ``cholesky`` and ``eigh`` factor the symmetric part ``(a + aᵀ) / 2`` and
their VJPs return symmetric cotangents; ``wire.numpy.linalg`` first mirrors the lower triangle
(NumPy reads only that), so values match NumPy exactly. ``eigh``/``svd`` derivatives assume
distinct eigen/singular values; ``qr`` derivatives need ``m >= n``. Factorizations are real;
``solve``/``inv``/``det``/``slogdet`` also take complex matrices (JAX's convention).
"""

from __future__ import annotations

import numpy as np

from ..errors import NonDifferentiableError, ShapeError, at, user_location
from ..ir import Aval
from ..core.primitive import Primitive, broadcast_shapes
from ..core import bind
from ..core.lowering import XpImpl
from . import layout as S
from .batching import trailing_batch
from .complex_parts import imag, real
from .indexing import getitem
from .matmul import matmul
from .reductions import reduce_sum

# --------------------------------------------------------------------------- helpers


def mT(x):
    return S.swapaxes(x, -1, -2)


def _sym(x):
    return (x + mT(x)) * 0.5


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


def _real_only(name, x):
    if x.dtype.kind == "c":
        raise NonDifferentiableError(f"{name}: derivatives of complex {name} are not supported"
                                     + at(user_location()))


def _well_conditioned(rng, shape):
    n = shape[-1]
    return rng.normal(size=shape) + n * np.eye(n) * rng.choice([-1.0, 1.0])


def _spd(rng, shape):
    b = rng.normal(size=shape)
    return b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])


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


def _xp_linalg(fname, sym=False, multi=False, **kw) -> XpImpl:
    """``xp.linalg.fname``; ``sym``: of the symmetric part, as the primitive factors it."""

    def fn(bk, *args):
        xp = bk.xp
        if sym:
            a = args[0]
            args = (xp.divide(xp.add(a, xp.matrix_transpose(a)), 2),)
        out = getattr(xp.linalg, fname)(*args, **kw)
        return tuple(out) if multi else out

    return XpImpl(fn, "linalg." + fname)


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
    batch=trailing_batch(lambda: inv_p, core_ndim=2),
    xp=_xp_linalg("inv"),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3))], {}),
    doc="matrix inverse; LinAlgError if singular",
)


def inv(a):
    return bind(inv_p, a)


# --------------------------------------------------------------------------- determinants


def _det_shape(a):
    _square("det", a)
    return Aval(a.shape[:-2], a.dtype)


det_p = Primitive(
    "det",
    np.linalg.det,
    _det_shape,
    vjp=lambda ct, out, a: (_expand2(ct * out) * mT(inv(a)),),
    jvp=lambda ts, out, a: out * trace(solve(a, ts[0])),
    batch=trailing_batch(lambda: det_p, core_ndim=2),
    xp=_xp_linalg("det"),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3))], {}),
    doc="determinant; its derivative out * inv(a)ᵀ needs a non-singular a",
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


def _slogdet_vjp(ct, out, a):
    ct_sign, ct_log = ct
    sign = out[0]
    w = ct_log
    if a.dtype.kind == "c":
        # d sign = sign * 1j * Im(tr(a⁻¹ da)); its transpose adds -1j * Re(1j sign ct_sign)
        w = ct_log + 1j * imag(sign * ct_sign)
    return (_expand2(w) * mT(inv(a)),)


def _slogdet_jvp(ts, out, a):
    tr = trace(solve(a, ts[0]))
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
    batch=trailing_batch(lambda: slogdet_p, core_ndim=2, n_out=2),
    xp=_xp_linalg("slogdet", multi=True),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3))], {}),
    doc="(sign, log|det|); the sign of a real matrix has zero derivative",
)


def slogdet(a):
    return bind(slogdet_p, a)


# --------------------------------------------------------------------------- cholesky


def _phi(x):
    """Lower triangle with the diagonal halved."""
    n = x.shape[-1]
    return x * (_tril_mask(n, x.dtype, -1) + 0.5 * _eye(n, x.dtype))


def _cholesky_vjp(ct, out, a):
    _real_only("cholesky", a)
    L = out
    p = _phi(matmul(mT(L), ct))
    y = solve(mT(L), p)  # L⁻ᵀ P
    s = mT(solve(mT(L), mT(y)))  # L⁻ᵀ P L⁻¹
    return (_sym(s),)


def _cholesky_jvp(ts, out, a):
    _real_only("cholesky", a)
    L = out
    x = solve(L, _sym(ts[0]))
    x = mT(solve(L, mT(x)))  # L⁻¹ sym(ta) L⁻ᵀ
    return matmul(L, _phi(x))


def _cholesky_shape(a):
    _square("cholesky", a)
    return a


cholesky_p = Primitive(
    "cholesky",
    lambda a: np.linalg.cholesky((a + np.swapaxes(a, -1, -2)) / 2),
    _cholesky_shape,
    vjp=_cholesky_vjp,
    jvp=_cholesky_jvp,
    batch=trailing_batch(lambda: cholesky_p, core_ndim=2),
    xp=_xp_linalg("cholesky", sym=True),
    sample=lambda rng: ([_spd(rng, (2, 3, 3))], {}),
    doc="lower Cholesky factor of the symmetric part of a; LinAlgError if not positive definite",
)


def cholesky(a):
    return bind(cholesky_p, a)


# --------------------------------------------------------------------------- eigh


def _eigh_shape(a):
    _square("eigh", a)
    real = np.empty((), a.dtype).real.dtype
    return (Aval(a.shape[:-1], real), a)


def _gap_matrix(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    n = w.shape[-1]
    eye = _eye(n, w.dtype)
    diff = S.reshape(w, w.shape[:-1] + (1, n)) - S.reshape(w, w.shape + (1,))
    return (1.0 - eye) / (diff + eye)


def _eigh_jvp(ts, out, a):
    _real_only("eigh", a)
    w, v = out
    m = matmul(mT(v), matmul(_sym(ts[0]), v))
    return (diagonal(m), matmul(v, _gap_matrix(w) * m))


def _eigh_vjp(ct, out, a):
    _real_only("eigh", a)
    w, v = out
    ct_w, ct_v = ct
    inner = diag_embed(ct_w) + _gap_matrix(w) * matmul(mT(v), ct_v)
    return (_sym(matmul(v, matmul(inner, mT(v)))),)


def _eigh_sample(rng):
    n = 3
    q, _ = np.linalg.qr(rng.normal(size=(2, n, n)))
    w = np.array([-1.5, 0.5, 2.0])
    return [q @ (w[:, None] * np.swapaxes(q, -1, -2))], {}


eigh_p = Primitive(
    "eigh",
    lambda a: tuple(np.linalg.eigh((a + np.swapaxes(a, -1, -2)) / 2)),
    _eigh_shape,
    dtype=lambda d: (np.empty((), d).real.dtype, d),
    vjp=_eigh_vjp,
    jvp=_eigh_jvp,
    batch=trailing_batch(lambda: eigh_p, core_ndim=2, n_out=2),
    xp=_xp_linalg("eigh", sym=True, multi=True),
    sample=_eigh_sample,
    doc="(eigenvalues ascending, eigenvectors) of the symmetric part of a",
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
    return (Aval(b + (m, k), a.dtype), Aval(b + (k,), a.dtype), Aval(b + (k, n), a.dtype))


def _svd_parts(s):
    k = s.shape[-1]
    eye = _eye(k, s.dtype)
    row = S.reshape(s, s.shape[:-1] + (1, k))  # s_j
    col = S.reshape(s, s.shape + (1,))  # s_i
    diff = (row + col) * (row - col)  # s_j² - s_i²
    f = (1.0 - eye) / (diff + eye)
    return f, row, col


def _svd_jvp(ts, out, a):
    _real_only("svd", a)
    u, s, vh = out
    da = ts[0]
    v = mT(vh)
    f, row, col = _svd_parts(s)
    ds_mat = matmul(mT(u), matmul(da, v))
    dss, sds = ds_mat * row, col * ds_mat
    du = matmul(u, f * (dss + mT(dss)))
    dv = matmul(v, f * (sds + mT(sds)))
    m, n = a.shape[-2:]
    if m > n:
        dav = matmul(da, v)
        du = du + (dav - matmul(u, matmul(mT(u), dav))) / row
    if n > m:
        dau = matmul(mT(da), u)
        dv = dv + (dau - matmul(v, matmul(vh, dau))) / row
    return (du, diagonal(ds_mat), mT(dv))


def _svd_vjp(ct, out, a):
    _real_only("svd", a)
    u, s, vh = out
    ct_u, ct_s, ct_vh = ct
    v, ct_v = mT(vh), mT(ct_vh)
    f, row, col = _svd_parts(s)
    g = f * matmul(mT(u), ct_u)
    h = f * matmul(mT(v), ct_v)
    ds_bar = diag_embed(ct_s) + (g + mT(g)) * row + col * (h + mT(h))
    ct_a = matmul(u, matmul(ds_bar, vh))
    m, n = a.shape[-2:]
    if m > n:
        ct_a = ct_a + matmul((ct_u - matmul(u, matmul(mT(u), ct_u))) / row, vh)
    if n > m:
        ct_a = ct_a + matmul(u, mT((ct_v - matmul(v, matmul(vh, ct_v))) / row))
    return (ct_a,)


svd_p = Primitive(
    "svd",
    lambda a: tuple(np.linalg.svd(a, full_matrices=False)),
    _svd_shape,
    dtype=lambda d: (d, np.empty((), d).real.dtype, d),
    vjp=_svd_vjp,
    jvp=_svd_jvp,
    batch=trailing_batch(lambda: svd_p, core_ndim=2, n_out=3),
    xp=_xp_linalg("svd", multi=True, full_matrices=False),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 4)][int(rng.integers(0, 3))])], {}),
    doc="reduced SVD (u, s, vh); derivatives assume distinct non-zero singular values",
)


def svd(a):
    return bind(svd_p, a)


# --------------------------------------------------------------------------- qr


def _qr_shape(a):
    if a.ndim < 2:
        raise ShapeError(f"qr: expected matrices (..., m, n), got {a!r}")
    m, n = a.shape[-2:]
    k = min(m, n)
    b = a.shape[:-2]
    return (Aval(b + (m, k), a.dtype), Aval(b + (k, n), a.dtype))


def _qr_check(a):
    _real_only("qr", a)
    m, n = a.shape[-2:]
    if m < n:
        raise NonDifferentiableError(f"qr: derivatives need rows >= columns, got {a.aval!r}"
                                     + at(user_location()))


def _qr_jvp(ts, out, a):
    _qr_check(a)
    q, r = out
    x = mT(solve(mT(r), mT(ts[0])))  # da r⁻¹
    c = matmul(mT(q), x)
    low = c * _tril_mask(c.shape[-1], c.dtype, -1)
    do = low - mT(low)
    return (matmul(q, do - c) + x, matmul(c - do, r))


def _qr_vjp(ct, out, a):
    _qr_check(a)
    q, r = out
    ct_q, ct_r = ct
    m = matmul(mT(q), ct_q) - matmul(ct_r, mT(r))
    k = m.shape[-1]
    c_bar = (m - mT(m)) * _tril_mask(k, m.dtype, -1) - m
    x_bar = ct_q + matmul(q, c_bar)
    return (mT(solve(r, mT(x_bar))),)


qr_p = Primitive(
    "qr",
    lambda a: tuple(np.linalg.qr(a, mode="reduced")),
    _qr_shape,
    dtype=lambda d: (d, d),
    vjp=_qr_vjp,
    jvp=_qr_jvp,
    batch=trailing_batch(lambda: qr_p, core_ndim=2, n_out=2),
    xp=_xp_linalg("qr", multi=True, mode="reduced"),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 4, 3)][int(rng.integers(0, 3))])], {}),
    doc="reduced QR (q, r); derivatives need m >= n and full column rank",
)


def qr(a):
    return bind(qr_p, a)
