"""Matrix-factorization primitives: ``solve``, ``inv``, ``det``, ``slogdet``, ``cholesky``,
``eigh``, ``svd``, ``qr``, and ``adjugate``/``inv_or_inf`` that the determinants'
derivatives are made of. (``matmul`` lives in ``linalg.py``.)

All act on the last two axes and broadcast over leading batch axes, like ``numpy.linalg``; a
singular matrix raises NumPy's ``LinAlgError`` when evaluated by ``solve``/``inv``/
``cholesky``. ``det`` and ``slogdet`` do not (nor do their derivatives): the gradient of
``det`` is the adjugate, and ``adjugate(a, t1, …, tk)`` (its k-th derivative) differentiates
to itself with one more direction, so every derivative of ``det`` is exact at every matrix.
Rules are written with wire ops (``matmul``, ``solve``, masks), so they differentiate again.

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

import functools
import itertools
import math

import numpy as np

from ..core import Tracer, bind
from ..core.lowering import MissingFunction, XpImpl
from ..core.primitive import Primitive, broadcast_shapes
from ..core.formula import ARRAYS_ONLY
from ..core.taylor import BY_JVP
from ..errors import ShapeError
from ..ir import Aval
from . import layout as S
from .batching import trailing_batch
from .complex_parts import conj, imag, real
from .elementwise import convert, eq, le, logical_and, select
from .indexing import getitem
from .matmul import matmul
from .reductions import argmax, reduce_max, reduce_sum

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


def _inv_taylor(series, out, a):
    """``a(t) x(t) = I``: ``x_k = -x_0 Σ_{j=1}^k C(k,j) a_j x_(k-j)`` (``x_0 = out``)."""
    sa = [a] + list(series[0])
    x = [out]
    for k in range(1, len(sa)):
        rest = _matmul_sum(sa, x, k)
        x.append(None if rest is None else -matmul(out, rest))
    return x[1:]


def _conj_transpose(bk, a):
    at = bk.xp.matrix_transpose(a)
    return bk.xp.conj(at) if bk.np_dtype(a).kind == "c" else at


def _xp_linalg(fname, sym=False, multi=False, **kw) -> XpImpl:
    """``xp.linalg.fname``; ``sym``: of the Hermitian part, as the primitive factors it."""

    def fn(bk, *args):
        xp = bk.xp
        if sym:
            a = args[0]
            args = (xp.divide(xp.add(a, _conj_transpose(bk, a)), 2),)
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
    sympy=ARRAYS_ONLY,
    taylor=_solve_taylor,
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
    sympy=ARRAYS_ONLY,
    taylor=_inv_taylor,
)


def inv(a):
    return bind(inv_p, a)


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
    suf = _xp_cumprod(xp, concat([one, s[..., :0:-1]], axis=-1))[..., ::-1]
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
    batch=trailing_batch(lambda: det_p, core_ndim=2),
    xp=_xp_linalg("det"),
    sample=_det_sample,
    doc="determinant; its gradient is the cofactor matrix adj(a)ᵀ, and every higher "
    "derivative is exact too (through adjugate), singular and tied a included",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
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


def _inv_or_inf_xp(bk, a):
    xp = bk.xp
    singular = (xp.linalg.slogdet(a)[0] == 0)[..., None, None]
    eye = xp.eye(a.shape[-1], dtype=a.dtype)
    regular = xp.linalg.inv(xp.where(singular, eye, a))
    if not bool(xp.any(singular)):
        return regular
    pole = xp.divide(adjugate_jet(xp, a), xp.zeros_like(a))
    return xp.where(singular, pole, regular)


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
    batch=trailing_batch(lambda: cholesky_p, core_ndim=2),
    xp=_xp_linalg("cholesky", sym=True),
    sample=lambda rng: ([_spd(rng, (2, 3, 3))], {}),
    doc="lower Cholesky factor of the Hermitian part of a; LinAlgError if not positive definite",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
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
    batch=trailing_batch(lambda: eigh_p, core_ndim=2, n_out=2),
    xp=_xp_linalg("eigh", sym=True, multi=True),
    sample=_eigh_sample,
    doc="(eigenvalues ascending, eigenvectors) of the Hermitian part of a; derivatives through "
    "the eigenvectors of tied eigenvalues are NaN",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
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
    batch=trailing_batch(lambda: svd_p, core_ndim=2, n_out=3),
    xp=_xp_linalg("svd", multi=True, full_matrices=False),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 4)][int(rng.integers(0, 3))])], {}),
    doc="reduced SVD (u, s, vh); derivatives through the vectors of tied or zero singular "
    "values are NaN",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
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
    batch=trailing_batch(lambda: pinv_p, core_ndim=2),
    xp=XpImpl(lambda bk, a, *, rcond: bk.xp.linalg.pinv(a, rtol=rcond), "linalg.pinv"),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 2, 4)][int(rng.integers(0, 3))])],
                        {"rcond": 1e-15}),
    doc="Moore-Penrose pseudo-inverse (singular values below rcond * max dropped); its "
    "derivative holds where the rank is locally constant, repeated singular values included",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
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
    batch=trailing_batch(lambda: qr_p, core_ndim=2, n_out=2),
    xp=_xp_linalg("qr", multi=True, mode="reduced"),
    sample=lambda rng: ([rng.normal(size=[(3, 3), (4, 2), (2, 4, 3), (2, 4), (2, 2, 3)][int(
        rng.integers(0, 5))])], {}),
    doc="reduced QR (q, r); derivatives need the leading min(m, n) columns to have full rank",
    sympy=ARRAYS_ONLY,
    taylor=BY_JVP,
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
