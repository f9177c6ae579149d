"""``det`` and ``slogdet``, and the ``adjugate``/``inv_or_inf`` primitives their derivatives
are made of: every derivative of ``det`` is exact at every matrix, singular included."""

from __future__ import annotations

import functools
import itertools

import numpy as np

from ..core import bind
from ..core.lowering import XpImpl
from ..core.primitive import Primitive, broadcast_shapes
from ..core.formula import ARRAYS_ONLY
from ..core.taylor import BY_JVP
from ..errors import ShapeError
from ..ir import Aval
from .batching import trailing_batch
from .complex_parts import imag, real
from .matmul import matmul
from .matrix_common import (_expand2, is_zero_cotangent, mT, _square, trace, _well_conditioned,
                            _xp_linalg)
from .decompositions import _inv_shape, _inv_taylor
from .optional import module as _optional_module

_sl = _optional_module("scipy.linalg")  # SciPy's routines, for wire.scipy.linalg only


# --------------------------------------------------------------------------- determinants


# The adjugate and all its derivatives, by one division-free formula. For a = u diag(s) vᴴ,
# det(a + e) = c · det(diag(s) + uᴴ e v) with c = det(u) det(vᴴ), and for a diagonal S,
# det(S + T) = Σ_C prod(s_j, j ∉ C) · det(T[C, C]) over index sets C. So the m-th derivative of
# det is a sum over m-tuples of distinct indices of (the product of the singular values outside
# the tuple) × (a signed product of direction entries at the tuple): products only, exact at
# zero, tied and repeated singular values alike. The SVD is a frame of reference in the
# implementation, never differentiated: the derivative of ``adjugate(a, t1, …, tk)`` is
# ``adjugate`` with one more direction, so every order is exact.
#
# The implementation is written once against an array namespace ``xp`` (NumPy here; the
# Array-API backends pass theirs), using only functions both have, or a fallback.


def _xp_fn(xp, *names):
    """The first of ``names`` that namespace ``xp`` has (NumPy 1.x and the Array API spell
    some functions differently)."""
    for name in names:
        fn = getattr(xp, name, None)
        if fn is not None:
            return fn
    raise AttributeError(f"the array namespace has none of {', '.join(names)}")


def _xp_is_complex(xp, x):
    isdtype = getattr(xp, "isdtype", None)
    if isdtype is not None:
        return bool(isdtype(x.dtype, "complex floating"))
    return np.dtype(x.dtype).kind == "c"


def _xp_mT(xp, x):
    mt = getattr(xp, "matrix_transpose", None)
    return mt(x) if mt is not None else xp.swapaxes(x, -1, -2)


def _xp_mH(xp, x):
    x = _xp_mT(xp, x)
    return xp.conj(x) if _xp_is_complex(xp, x) else x


def _xp_astype(xp, x, dtype):
    astype = getattr(xp, "astype", None)
    return astype(x, dtype) if astype is not None else x.astype(dtype)


def _xp_fit(xp, x, shape, dtype):
    """``x`` cast to ``dtype`` and broadcast to ``shape`` (no copy when it already is)."""
    if x.dtype != dtype:
        x = _xp_astype(xp, x, dtype)
    return x if tuple(x.shape) == shape else xp.broadcast_to(x, shape)


def _xp_cumprod(xp, x):
    """Cumulative product along the last axis (a doubling scan where the namespace has none)."""
    fn = getattr(xp, "cumulative_prod", None) or getattr(xp, "cumprod", None)
    if fn is not None:
        return fn(x, axis=-1)
    concat = _xp_fn(xp, "concat", "concatenate")
    step = 1
    while step < x.shape[-1]:
        ones = xp.ones(tuple(x.shape[:-1]) + (step,), dtype=x.dtype)
        x = x * concat([ones, x[..., :-step]], axis=-1)
        step *= 2
    return x


def _excluded_products(xp, s):
    """``(pre, suf)`` for values ``s`` (..., n): ``pre[i] = Π_{j<i} s_j`` and
    ``suf[i] = Π_{j>i} s_j``. Products only, so zeros in ``s`` are exact."""
    concat = _xp_fn(xp, "concat", "concatenate")
    one = xp.ones(tuple(s.shape[:-1]) + (1,), dtype=s.dtype)
    pre = _xp_cumprod(xp, concat([one, s[..., :-1]], axis=-1))
    # xp.flip, not a negative-step slice: torch tensors slice only forwards
    suf = xp.flip(_xp_cumprod(xp, concat([one, xp.flip(s[..., 1:], axis=-1)], axis=-1)),
                  axis=-1)
    return pre, suf


def _between_products(xp, s):
    """``mid[..., i, l] = Π_{i<j<l} s_j`` for ``i < l``, and 0 for ``i >= l``."""
    n, batch = s.shape[-1], tuple(s.shape[:-1])
    concat = _xp_fn(xp, "concat", "concatenate")
    idx = xp.arange(n)
    after = xp.reshape(idx, (1, n)) > xp.reshape(idx, (n, 1))  # [i, j]: j > i
    rows = xp.broadcast_to(xp.reshape(s, batch + (1, n)), batch + (n, n))
    ones = xp.ones(batch + (n, n), dtype=s.dtype)
    upto = _xp_cumprod(xp, xp.where(after, rows, ones))  # [i, l] = Π_{i<j<=l} s_j
    below = concat([ones[..., :1], upto[..., :-1]], axis=-1)  # [i, l] = Π_{i<j<l} s_j
    return xp.where(after, below, xp.zeros_like(ones))


def _parity(perm):
    return sum(1 for i in range(len(perm)) for j in range(i) if perm[j] > perm[i]) % 2


def _placed(xp, g, row, col, m, eye):
    """``g[..., d_row, d_col]`` as an array over ``m`` index axes (size 1 on the others)."""
    n, batch = g.shape[-1], tuple(g.shape[:-2])
    if row == col:
        d = xp.sum(g * eye, axis=-1)  # the diagonal
        return xp.reshape(d, batch + (1,) * col + (n,) + (1,) * (m - 1 - col))
    if row > col:
        g, row, col = _xp_mT(xp, g), col, row
    return xp.reshape(g, batch + (1,) * row + (n,) + (1,) * (col - row - 1) + (n,)
                      + (1,) * (m - 1 - col))


def _diagonal_frame_adjugate(xp, s, gs):
    """``y`` with ``tr(y x) = D^m det(diag(s))[g_1, …, g_{m-1}, x]`` for every ``x``
    (``m = len(gs) + 1 <= n``): ``adj(diag(s))`` for ``m = 1``.

    The m-th derivative of det at ``diag(s)`` is ``Σ_d r(d) Σ_π sgn(π) Π_i h_i[d_π(i), d_i]``
    over m-tuples ``d`` of distinct indices, with ``r(d)`` the product of the ``s_j`` for
    ``j`` outside ``d``; ``y[d_m, d_π(m)]`` collects the terms of ``x = h_m``. ``r`` is built
    over increasing tuples from gap products and then symmetrised."""
    n, m, batch = s.shape[-1], len(gs) + 1, tuple(s.shape[:-1])
    nb = len(batch)
    pre, suf = _excluded_products(xp, s)
    eye = xp.eye(n, dtype=s.dtype)
    if m == 1:  # adj(diag(s)) = diag(Π_{j≠i} s_j)
        return xp.reshape(pre * suf, batch + (n, 1)) * eye
    mid = _between_products(xp, s)
    r = xp.reshape(pre, batch + (n,) + (1,) * (m - 1))
    for axis in range(m - 1):
        r = r * xp.reshape(mid, batch + (1,) * axis + (n, n) + (1,) * (m - 2 - axis))
    r = r * xp.reshape(suf, batch + (1,) * (m - 1) + (n,))  # zero unless d_1 < … < d_m
    permute = _xp_fn(xp, "permute_dims", "transpose")
    r = sum(permute(r, tuple(range(nb)) + tuple(nb + a for a in order))
            for order in itertools.permutations(range(m)))
    y = None
    for perm in itertools.permutations(range(m)):
        term = r
        for i, g in enumerate(gs):
            term = term * _placed(xp, g, perm[i], i, m, eye)
        keep = {m - 1, perm[m - 1]}
        axes = tuple(a - m for a in range(m) if a not in keep)
        if axes:
            term = xp.sum(term, axis=axes)
        if perm[m - 1] == m - 1:  # x on the diagonal
            term = xp.reshape(term, tuple(term.shape) + (1,)) * eye
        else:  # axes (d_π(m), d_m) left: y[d_m, d_π(m)] is the transpose
            term = _xp_mT(xp, term)
        if _parity(perm):
            term = -term
        y = term if y is None else y + term
    return y


def adjugate_jet(xp, a, ts=()):
    """``D^k adj(a)[t_1, …, t_k]``, the k-th derivative of the adjugate along ``ts`` (``adj(a)``
    for ``k = 0``), with the functions of namespace ``xp``: so
    ``tr(adjugate_jet(xp, a, ts) @ x) = D^{k+1} det(a)[t_1, …, t_k, x]``. Exact for every
    matrix (singular, tied and zero singular values included); 0 for ``k >= n`` (``adj`` has
    degree ``n - 1``); NaN for a matrix with a NaN or infinite entry. Broadcasts over leading
    axes. Costs an SVD plus ``O((k + 1)!² n^(k + 1))``.

    >>> adjugate_jet(np, np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[4.0, -2.0], [-3.0, 1.0]]
    >>> a, t = np.diag([2.0, 3.0, 5.0]), np.eye(3)
    >>> np.round(adjugate_jet(np, a, [t]), 12).tolist()  # d/dh adj(a + h t) = diag(8, 7, 5)
    [[8.0, 0.0, 0.0], [0.0, 7.0, 0.0], [0.0, 0.0, 5.0]]
    """
    n, k = a.shape[-1], len(ts)
    batch = tuple(np.broadcast_shapes(tuple(a.shape[:-2]), *[tuple(t.shape[:-2]) for t in ts]))
    dtype = xp.result_type(a, *ts)
    if k >= n:
        return xp.zeros(batch + (n, n), dtype=dtype)
    if n <= 2:  # closed forms, exact to the last bit: adj of a 2×2 matrix is linear
        if n == 1:
            out = xp.ones_like(a)
        else:
            x = ts[0] if k else a
            out = xp.reshape(xp.stack([x[..., 1, 1], -x[..., 0, 1], -x[..., 1, 0],
                                       x[..., 0, 0]], axis=-1), tuple(x.shape))
        return _xp_fit(xp, out, batch + (n, n), dtype)
    all_finite = bool(xp.all(xp.isfinite(a)))
    if not all_finite:  # the SVD refuses NaN; the adjugate of such a matrix is NaN
        finite = xp.all(xp.isfinite(a), axis=(-2, -1))
        a = xp.where(finite[..., None, None], a, xp.zeros_like(a))
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    v, uh = _xp_mH(xp, vh), _xp_mH(xp, u)
    c = xp.linalg.det(u) * xp.linalg.det(vh)
    if k == 0:  # adj(a) = c · v diag(Π_{j≠i} s_j) uᴴ
        pre, suf = _excluded_products(xp, s)
        y = xp.matmul(v * xp.reshape(pre * suf, tuple(s.shape[:-1]) + (1, n)), uh)
    else:
        gs = [xp.matmul(uh, xp.matmul(t, v)) for t in ts]
        y = xp.matmul(v, xp.matmul(_diagonal_frame_adjugate(xp, s, gs), uh))
    y = xp.reshape(c, tuple(c.shape) + (1, 1)) * y
    if not all_finite:
        y = xp.where(finite[..., None, None], y, xp.full_like(y, float("nan")))
    return _xp_fit(xp, y, batch + (n, n), dtype)


def _adjugate_impl(a, *ts):
    return adjugate_jet(np, np.asarray(a), [np.asarray(t) for t in ts])


def _adjugate_shape(a, *ts):
    _square("adjugate", a)
    n = a.shape[-1]
    for t in ts:
        if t.ndim < 2 or tuple(t.shape[-2:]) != (n, n):
            raise ShapeError(f"adjugate: direction {t!r} does not match the matrix {a!r}")
    batch = broadcast_shapes(a.shape[:-2], *[t.shape[:-2] for t in ts],
                             op="adjugate batch dimensions")
    return Aval(batch + (n, n), np.result_type(a.dtype, *[t.dtype for t in ts]))


def _adjugate_jvp(ts, out, a, *dirs):
    n, k = a.shape[-1], len(dirs)
    if k >= n:  # a zero (adj has degree n - 1)
        return None
    terms = [adjugate(a, *dirs[:i], t, *dirs[i + 1:])
             for i, t in enumerate(ts[1:]) if t is not None]  # multilinear in the directions
    if ts[0] is not None and k + 1 < n:
        terms.append(adjugate(a, *dirs, ts[0]))
    if not terms:
        return None
    return functools.reduce(lambda x, y: x + y, terms)


def _adjugate_vjp(ct, out, a, *dirs):
    # <ct, adjugate(a, dirs)> = D^{k+1} det(a)[dirs, ctᵀ], symmetric in all its arguments
    n, k = a.shape[-1], len(dirs)
    if k >= n:
        return (None,) * (k + 1)
    c = mT(ct)
    ct_a = mT(adjugate(a, *dirs, c)) if k + 1 < n else None
    return (ct_a,) + tuple(mT(adjugate(a, *dirs[:i], *dirs[i + 1:], c)) for i in range(k))


def _adjugate_sample(rng):
    n = int(rng.integers(1, 5))
    k = int(rng.integers(0, min(n, 3)))
    a = rng.normal(size=(2, n, n))
    if n >= 3 and rng.random() < 0.5:  # rank n - 1: det is 0, adj is not
        a[..., -1, :] = a[..., 0, :] - 2 * a[..., 1, :]
    dirs = [rng.normal(size=(n, n) if rng.random() < 0.5 else (2, n, n)) for _ in range(k)]
    return [a, *dirs], {}


adjugate_p = Primitive(
    "adjugate",
    _adjugate_impl,
    _adjugate_shape,
    vjp=_adjugate_vjp,
    jvp=_adjugate_jvp,
    batch=trailing_batch(lambda: adjugate_p, core_ndim=2),
    # the same division-free algorithm, written against any namespace
    xp=XpImpl(lambda bk, a, *ts: adjugate_jet(bk.xp, a, ts), "linalg.svd / linalg.det"),
    sample=_adjugate_sample,
    doc="adjugate(a) = adj(a), the transposed cofactor matrix (det(a) inv(a) where a is "
    "invertible); adjugate(a, t1, …, tk) is its k-th derivative along t1 … tk, 0 for k >= n. "
    "Division-free, exact for every a and every k",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def adjugate(a, *dirs):
    """``adj(a)``, or with directions its derivative ``D^k adj(a)[t_1, …, t_k]``."""
    return bind(adjugate_p, a, *dirs)


def _det_shape(a, scipy=False):
    _square("det", a)
    return Aval(a.shape[:-2], a.dtype)


def _det_sample(rng):
    a = _well_conditioned(rng, (2, 3, 3))
    if rng.random() < 0.5:  # singular: the gradient is the cofactor matrix
        a[..., 2, :] = a[..., 0, :] + a[..., 1, :]
    return [a], {}


def _det_impl(a, scipy=False):
    # scipy: SciPy's det (its own LU product; NumPy's rounds otherwise)
    if scipy:
        return np.asarray(_sl.det(a, check_finite=False))
    return np.linalg.det(a)


det_p = Primitive(
    "det",
    _det_impl,
    _det_shape,
    vjp=lambda ct, out, a, scipy=False: (_expand2(ct) * mT(adjugate(a)),),
    jvp=lambda ts, out, a, scipy=False: trace(matmul(adjugate(a), ts[0])),
    batch=trailing_batch(lambda: det_p, core_ndim=2),
    xp=XpImpl(lambda bk, a, scipy=False: bk.xp.linalg.det(a), "linalg.det"),
    sample=_det_sample,
    doc="determinant; its gradient is the cofactor matrix adj(a)ᵀ, and every higher "
    "derivative is exact too (through adjugate), singular and tied a included",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def det(a, scipy=False):
    """``scipy``: SciPy's determinant, else NumPy's."""
    return bind(det_p, a, scipy=True) if scipy else bind(det_p, a)


def _slogdet_impl(a):
    sign, logabs = np.linalg.slogdet(a)
    return sign, logabs


def _slogdet_shape(a):
    _square("slogdet", a)
    real = np.empty((), a.dtype).real.dtype
    return (Aval(a.shape[:-2], a.dtype), Aval(a.shape[:-2], real))


def _nan_where_nan(a, inv):
    """NaN for every matrix holding a NaN: its log|det| is NaN, so is every derivative
    (LAPACK's inverse of such a matrix keeps some finite entries)."""
    bad = np.isnan(a).any(axis=(-2, -1))[..., None, None]
    return np.where(bad, np.asarray(np.nan, inv.dtype), inv) if bad.any() else inv


def _inv_or_inf_impl(a):
    a = np.asarray(a)
    try:
        return _nan_where_nan(a, np.linalg.inv(a))
    except np.linalg.LinAlgError:
        singular = (np.linalg.slogdet(a)[0] == 0)[..., None, None]
        regular = np.linalg.inv(np.where(singular, np.eye(a.shape[-1], dtype=a.dtype), a))
        with np.errstate(divide="ignore", invalid="ignore"):
            pole = _adjugate_impl(a) / np.zeros((), a.dtype)
        return _nan_where_nan(a, np.where(singular, pole, regular))


def _inv_or_inf_xp(bk, a):
    xp = bk.xp
    singular = (xp.linalg.slogdet(a)[0] == 0)[..., None, None]
    eye = xp.eye(a.shape[-1], dtype=a.dtype)
    regular = xp.linalg.inv(xp.where(singular, eye, a))
    if bool(xp.any(singular)):
        pole = xp.divide(adjugate_jet(xp, a), xp.zeros_like(a))
        regular = xp.where(singular, pole, regular)
    bad = xp.any(xp.isnan(a), axis=(-2, -1))[..., None, None]
    return xp.where(bad, xp.asarray(float("nan"), dtype=regular.dtype), regular)


inv_or_inf_p = Primitive(
    "inv_or_inf",
    _inv_or_inf_impl,
    _inv_shape,
    vjp=lambda ct, out, a: (-matmul(mT(out), matmul(ct, mT(out))),),
    jvp=lambda ts, out, a: -matmul(out, matmul(ts[0], out)),
    batch=trailing_batch(lambda: inv_or_inf_p, core_ndim=2),
    xp=XpImpl(_inv_or_inf_xp, "linalg.inv / linalg.slogdet"),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3))], {}),
    doc="inv(a), and adj(a) / 0 (±inf, NaN where a cofactor is 0) for exactly singular a "
    "instead of LinAlgError: the gradient of log|det(a)|ᵀ, which has a pole there",
    sympy=ARRAYS_ONLY,
    taylor=_inv_taylor,
)


def inv_or_inf(a):
    return bind(inv_or_inf_p, a)


def _slogdet_vjp(ct, out, a):
    ct_sign, ct_log = ct
    sign = out[0]
    w = ct_log
    if a.dtype.kind != "c" and is_zero_cotangent(ct_log):
        # only the (piecewise constant) sign is used: derivative 0, not 0 * adj(a)ᵀ / 0 = NaN
        # at a singular matrix
        return (None,)
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
    batch=trailing_batch(lambda: slogdet_p, core_ndim=2, n_out=2),
    xp=_xp_linalg("slogdet", multi=True),
    sample=lambda rng: ([_well_conditioned(rng, (2, 3, 3))], {}),
    doc="(sign, log|det|); the sign of a real matrix has zero derivative; at a singular matrix "
    "the gradient of log|det| is ±inf (NaN where a cofactor is 0), not LinAlgError",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
)


def slogdet(a):
    return bind(slogdet_p, a)
