"""The Moore-Penrose pseudo-inverse ``pinv``, differentiated by Golub & Pereyra's formula."""

from __future__ import annotations

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
from .elementwise import convert
from .matmul import matmul
from .matrix_common import _cj, _eye, is_zero_cotangent, mH, mT
from .reductions import reduce_sum
from .optional import module as _optional_module
from .spectral import (
    _svdvals_jvp, _svdvals_vjp, _svdvals_xp, nonfinite_svd_guard, svdvals_p,
)

_sl = _optional_module("scipy.linalg")  # SciPy's routines, for wire.scipy.linalg only


# --------------------------------------------------------------------------- pinv


def _pinv_shape(a, *, rcond, hermitian=False, scipy=False):
    if a.ndim < 2:
        raise ShapeError(f"pinv: expected matrices (..., m, n), got {a!r}")
    return Aval(a.shape[:-2] + (a.shape[-1], a.shape[-2]), a.dtype)


def _identity_minus(x):
    return _eye(x.shape[-1], x.dtype) - x


def _pinv_jvp(ts, out, a, *, rcond, hermitian=False, scipy=False):
    # Golub & Pereyra (1973): exact wherever the rank is locally constant, ties included
    p, e = out, ts[0]
    eh = mH(e)
    q = _identity_minus(matmul(a, p))  # I - a p
    r = _identity_minus(matmul(p, a))  # I - p a
    return (-matmul(p, matmul(e, p)) + matmul(p, matmul(mH(p), matmul(eh, q)))
            + matmul(r, matmul(eh, matmul(mH(p), p))))


def _pinv_vjp(ct, out, a, *, rcond, hermitian=False, scipy=False):
    p, g = out, ct
    gh, pt, cp = mH(g), mT(out), _cj(out)
    q = _identity_minus(matmul(a, p))
    r = _identity_minus(matmul(p, a))
    return (-matmul(pt, matmul(g, pt)) + matmul(_cj(q), matmul(gh, matmul(cp, pt)))
            + matmul(pt, matmul(cp, matmul(gh, _cj(r)))),)


def _pinv_impl(a, *, rcond, hermitian=False, scipy=False):
    # hermitian (a Hermitian a): NumPy's pinv(hermitian=True), from eigh, whose last bits
    # differ from those of the SVD's. scipy: SciPy's pinv (pinvh, reading the lower triangle,
    # if hermitian) with atol 0 and rtol rcond: its own cutoff and products
    bad = nonfinite_svd_guard(a)
    if scipy and bad is None and np.isfinite(a).all():
        fn = _sl.pinvh if hermitian else _sl.pinv
        out = np.empty(a.shape[:-2] + a.shape[-1:] + a.shape[-2:-1], a.dtype)
        for i in np.ndindex(a.shape[:-2]):  # (SciPy's pinvh takes one matrix)
            out[i] = fn(a[i], rtol=rcond, check_finite=False)
        return out
    if hermitian and bad is None and a.size and not np.isfinite(a).all():
        bad = ~np.isfinite(a).all(axis=(-2, -1))  # eigh of ±inf may raise or not: NaN
    if bad is None:
        return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)
    # NaN, as the pseudo-inverse from the NaN singular values and vectors would be
    p = np.linalg.pinv(np.where(bad[..., None, None], 0, a), rcond=rcond, hermitian=hermitian)
    return np.where(bad[..., None, None], np.nan, p)


pinv_p = Primitive(
    "pinv",
    _pinv_impl,
    _pinv_shape,
    vjp=_pinv_vjp,
    jvp=_pinv_jvp,
    batch=trailing_batch(lambda: pinv_p, core_ndim=2),
    xp=XpImpl(lambda bk, a, *, rcond, hermitian=False, scipy=False: bk.xp.linalg.pinv(
        a, rtol=rcond), "linalg.pinv"),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 2, 4)][int(rng.integers(0, 3))])],
                        {"rcond": 1e-15}),
    doc="Moore-Penrose pseudo-inverse (singular values below rcond * max dropped); its "
    "derivative holds where the rank is locally constant, repeated singular values included",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def pinv(a, rcond, hermitian=False, scipy=False):
    """``hermitian``: ``a`` is Hermitian, and its pseudo-inverse is NumPy's from ``eigh``;
    ``scipy``: SciPy's ``pinv`` (``pinvh`` if ``hermitian``) with ``rtol=rcond``."""
    flags = {**({"hermitian": True} if hermitian else {}), **({"scipy": True} if scipy else {})}
    return bind(pinv_p, a, rcond=float(rcond), **flags)


# --------------------------------------------------------------------------- lstsq


def _lstsq_shape(a, b, *, rcond, driver=None):
    if a.ndim < 2 or b.ndim < 2 or a.shape[-2] != b.shape[-2]:
        raise ShapeError(f"lstsq: expected a (..., m, n) and b (..., m, k), got {a!r} and {b!r}")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], op="lstsq batch dimensions")
    m, n = a.shape[-2:]
    k = b.shape[-1]
    dt = np.result_type(a.dtype, b.dtype)
    real = np.empty((), dt).real.dtype
    return (Aval(batch + (n, k), dt), Aval(batch + (min(m, n),), real), Aval(batch + (k,), real))


def _lstsq_dtypes(dt):
    real = np.empty((), dt).real.dtype
    return dt, real, real


def _lstsq_one(a, b, rcond, driver):
    if not np.isfinite(a).all():
        # NumPy raises LinAlgError (where its LAPACK call may not return): the solution is
        # NaN, the singular values svdvals's (NaN for ±inf, LinAlgError for NaN)
        nan = np.full((a.shape[-1], b.shape[-1]), np.nan, np.result_type(a, b))
        s = svdvals_p.impl(a)
        return nan, s, np.full(b.shape[-1], np.nan, s.dtype)
    if driver is None:
        x, res, rank, s = np.linalg.lstsq(a, b, rcond=rcond)
    else:  # SciPy's, with that LAPACK driver ("gelsd", "gelss": those that give s)
        x, res, rank, s = _sl.lstsq(a, b, cond=rcond, lapack_driver=driver, check_finite=False)
        res, s = np.asarray(res), np.asarray(s).astype(np.empty((), x.dtype).real.dtype)
    if res.shape[-1:] != b.shape[-1:]:
        # NumPy has none where a is not tall or not of full rank: Σ|b - a x|² (what its
        # residuals are, to rounding), which the rules differentiate
        r = np.abs(b - a @ x)
        res = np.sum(r * r, axis=0).astype(s.dtype, copy=False)
    return x, s, res


def _lstsq_impl(a, b, *, rcond, driver=None):
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    if 0 in batch:
        m, n = a.shape[-2:]
        dt, real, _ = _lstsq_dtypes(np.result_type(a, b))
        k = b.shape[-1]
        return (np.zeros(batch + (n, k), dt), np.zeros(batch + (min(m, n),), real),
                np.zeros(batch + (k,), real))
    outs = [_lstsq_one(a[i], b[i], rcond, driver) for i in np.ndindex(batch)]
    if not batch:
        return outs[0]
    return tuple(np.stack(o).reshape(batch + o[0].shape) for o in zip(*outs))


def _residual(a, b, x):
    return b - matmul(a, x)


def _lstsq_jvp(ts, out, a, b, *, rcond, driver=None):
    # x = pinv(a) b with pinv's derivative (Golub & Pereyra); s as svdvals; res = Σ|b - a x|²
    x, s, res = out
    ta, tb = ts
    p = pinv(a, rcond)
    dx = None
    if ta is not None:
        dx = matmul(_pinv_jvp([ta], p, a, rcond=rcond), b)
    if tb is not None:
        dx = matmul(p, tb) if dx is None else dx + matmul(p, tb)
    ds = _svdvals_jvp([ta], s, a) if ta is not None else s * 0.0
    dr = -matmul(a, dx)
    if ta is not None:
        dr = dr - matmul(ta, x)
    if tb is not None:
        dr = dr + tb
    r = _residual(a, b, x)
    prod = _cj(r) * dr
    dres = reduce_sum(real(prod) if prod.dtype.kind == "c" else prod, (prod.ndim - 2,)) * 2.0
    return dx, ds, dres


def _lstsq_vjp(ct, out, a, b, *, rcond, driver=None):
    x, s, res = out
    ct_x, ct_s, ct_res = ct
    p = pinv(a, rcond)
    ct_a = ct_b = None
    if not is_zero_cotangent(ct_res):
        r = _residual(a, b, x)
        k = ct_res.shape[-1]
        ct_r = _cj(r) * S.reshape(ct_res, tuple(ct_res.shape[:-1]) + (1, k)) * 2.0
        ct_r = convert(ct_r, a.dtype)
        ct_b = ct_r
        ct_a = -matmul(ct_r, mT(x))
        ct_x = ct_x - matmul(mT(a), ct_r)
    if not is_zero_cotangent(ct_x):
        from_x = _pinv_vjp(matmul(ct_x, mT(b)), p, a, rcond=rcond)[0]
        ct_a = from_x if ct_a is None else ct_a + from_x
        via_b = matmul(mT(p), ct_x)
        ct_b = via_b if ct_b is None else ct_b + via_b
    if not is_zero_cotangent(ct_s):
        from_s = _svdvals_vjp(ct_s, s, a)[0]
        ct_a = from_s if ct_a is None else ct_a + from_s
    ct_a = S.full_like_(a, 0) if ct_a is None else ct_a
    ct_b = S.full_like_(b, 0) if ct_b is None else ct_b
    return ct_a, ct_b


def _lstsq_xp(bk, a, b, *, rcond, driver=None):
    # not in the Array API: pinv's solution and the residuals (NumPy's to rounding)
    xp = bk.xp
    x = xp.matmul(xp.linalg.pinv(a, rtol=rcond), b)
    s = _svdvals_xp(bk, a)
    r = xp.abs(b - xp.matmul(a, x))
    res = xp.sum(r * r, axis=-2)
    return x, s, res


def _lstsq_sample(rng):
    shapes = [((4, 2), (4, 3)), ((3, 3), (3, 1)), ((2, 4, 3), (4, 2))]
    sa, sb = shapes[int(rng.integers(0, 3))]
    return [rng.normal(size=sa), rng.normal(size=sb)], {"rcond": 1e-12}


lstsq_p = Primitive(
    "lstsq",
    _lstsq_impl,
    _lstsq_shape,
    dtype=lambda da, db, **params: _lstsq_dtypes(np.result_type(da, db)),
    vjp=_lstsq_vjp,
    jvp=_lstsq_jvp,
    batch=trailing_batch(lambda: lstsq_p, core_ndim=2, n_out=3),
    xp=XpImpl(_lstsq_xp, "linalg.pinv (lstsq)"),
    sample=_lstsq_sample,
    doc="least squares (x, s, residuals) as NumPy's lstsq (LAPACK's gelsd): x, the singular "
    "values, and the squared residual norms (where NumPy returns none, Σ|b - a x|²); x "
    "differentiates as pinv(a) b, s as svdvals",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def lstsq(a, b, rcond, driver=None):
    """(x, s, residuals) of NumPy's ``lstsq(a, b, rcond)`` for ``b`` of shape (..., m, k)
    (``driver``: of SciPy's ``lstsq(a, b, cond=rcond, lapack_driver=driver)``).

    >>> x, s, res = lstsq(np.array([[1.0], [1.0]]), np.array([[1.0], [3.0]]), 1e-15)
    >>> x.round(12).tolist(), res.round(12).tolist()
    ([[2.0]], [2.0])
    """
    if driver:
        return bind(lstsq_p, a, b, rcond=float(rcond), driver=driver)
    return bind(lstsq_p, a, b, rcond=float(rcond))
