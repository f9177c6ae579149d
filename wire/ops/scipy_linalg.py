"""``scipy_linalg``: one primitive whose value is a call of SciPy's own ``scipy.linalg``
routine, so that ``wire.scipy.linalg`` traced (under ``jit``, ``vmap``, ``grad``) gives SciPy's
values to the bit. The routines that compute the same quantity differ in their last bits
(``solve`` with ``assume_a=None`` picks its LAPACK routine from the matrix's structure, float32
LU and QR round otherwise than a composition of wire operations), so the eager call is the only
reference. The primitive has no derivative of its own: ``wire.scipy.linalg`` attaches the
derivatives of a composition of differentiable primitives to it (a ``custom_jvp``).

The call is named by ``fn``, a key of :data:`CALLS` (a function of one matrix's operands and
SciPy's keyword arguments ``kw`` returning a tuple of arrays); ``cores`` is the core rank of each
operand, ``outs`` the core shape and dtype of each result. Leading axes beyond the cores are a
stack: broadcast over the operands and computed one matrix at a time (SciPy's own batching does
the same calls).

>>> import numpy as np
>>> from wire.core import bind
>>> bind(scipy_linalg_p, np.array([[1.0, 2.0], [3.0, 4.0]]), fn="det", kw=(), cores=(2,),
...      outs=(((), "<f8"),))
(array(-2.),)
"""

from __future__ import annotations

import numpy as np

from ..core import bind
from ..core.formula import NoFormula
from ..core.lowering import XpImpl, host_arrays
from ..core.primitive import Primitive
from ..errors import ShapeError, WireError, WireValueError
from ..ir import Aval
from .batching import example_ndim, expand_rank, to_front
from .optional import module as _optional_module

_sl = _optional_module("scipy.linalg")


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def eig_in_range(a, **kw):
    """``scipy.linalg.eig(a, **kw)`` of the standard problem, right where SciPy is wrong:
    SciPy 1.17's ``geev`` scales a matrix whose largest entry lies outside LAPACK's safe range
    (above about 1.5e138 or below 6.7e-139 in float64, 1.1e12 and 9.1e-13 in float32) but
    does not scale the eigenvalues back (``eigvals(1e200 * a)`` came out near 1e138, and
    the eigenvectors wrong too). Such a matrix is first multiplied by a power of two that
    brings its largest entry near 1 (exact), and the eigenvalues by its inverse; the
    eigenvectors are those of the scaled matrix (normalized, as SciPy's). Inside the range
    the call is SciPy's own, to the bit.

    >>> a = np.array([[2.0, 1.0], [0.0, 3.0]])
    >>> eig_in_range(1e200 * a, right=False) / 1e200
    array([2.+0.j, 3.+0.j])
    """
    a = np.asarray(a)
    if a.size == 0 or a.dtype.kind not in "fc":
        return _sl.eig(a, **kw)
    real = np.finfo(a.dtype)
    small = np.sqrt(real.tiny) / real.eps  # LAPACK's smlnum; its bignum is 1 / small
    big = 1.0 / small
    m = np.max(np.abs(a), axis=(-2, -1))
    out_of_range = np.isfinite(m) & (m > 0) & ((m > big / 16) | (m < 16 * small))
    if not out_of_range.any():
        return _sl.eig(a, **kw)
    k = np.where(out_of_range, -np.frexp(np.where(out_of_range, m, 1.0))[1], 0)
    scale = np.ldexp(np.ones((), real.dtype), k)[..., None, None]  # (exact: powers of two)
    got = _sl.eig((a * scale).astype(a.dtype, copy=False), **kw)
    w = got[0] if isinstance(got, tuple) else got
    back = np.ldexp(np.ones((), np.result_type(real.dtype, np.float32)), -k)
    if kw.get("homogeneous_eigvals"):  # (..., 2, n): alpha, beta; alpha carries the scale
        w = w.copy()
        w[..., 0, :] = w[..., 0, :] * back[..., None]
    else:
        w = w * back[..., None]
    return (w,) + got[1:] if isinstance(got, tuple) else w


def _eig(a, right=True):
    # SciPy's eig, with w and vr complex whatever the values (a traced dtype cannot depend on
    # whether every eigenvalue is real); the cast of a real vr is exact
    c = np.result_type(a.dtype, np.complex64)
    if right:
        w, v = eig_in_range(a, check_finite=False)
        return w.astype(c, copy=False), v.astype(c, copy=False)
    return (eig_in_range(a, right=False, check_finite=False).astype(c, copy=False),)


def _sqrtm(a):
    # SciPy's sqrtm; where its root of a real matrix is complex (a negative eigenvalue) or
    # not finite, or the matrix is not finite (SciPy's LAPACK call fails), the traced root
    # is NaN
    if not np.isfinite(a).all():
        return (np.full(a.shape, np.nan, a.dtype),)
    x = _sl.sqrtm(a)
    if x.dtype != a.dtype or not np.isfinite(x).all():
        # no real root, or none at all (SciPy's inf and zeros for a nilpotent Jordan block,
        # which are no root): NaN, never numbers that are not the root
        x = np.full(a.shape, np.nan, a.dtype)
    return (x,)


# One matrix's call of SciPy's routine: fn(*operands, **kw) -> tuple of arrays.
CALLS = {
    "det": lambda a: (_sl.det(a, check_finite=False),),
    "solve": lambda a, b, **kw: (_sl.solve(a, b, check_finite=False, **kw),),
    "lu": lambda a, **kw: _tuple(_sl.lu(a, check_finite=False, **kw)),
    "lu_factor": lambda a: _tuple(_sl.lu_factor(a, check_finite=False)),
    "lu_solve": lambda lu, piv, b, trans=0: (
        _sl.lu_solve((lu, piv), b, trans=trans, check_finite=False),),
    "expm": lambda a: (_sl.expm(a),),
    "norm": lambda a, **kw: (np.asarray(_sl.norm(a, check_finite=False, **kw)),),
    "qr": lambda a, **kw: _tuple(_sl.qr(a, check_finite=False, **kw)),
    "eig": _eig,
    "eigh": lambda a, b=None, **kw: _tuple(_sl.eigh(a, b, check_finite=False, **kw)),
    "eigh_tridiagonal": lambda d, e, **kw: _tuple(_sl.eigh_tridiagonal(d, e, check_finite=False,
                                                                       **kw)),
    "cholesky": lambda a, lower=False: (_sl.cholesky(a, lower=lower, check_finite=False),),
    "cho_factor": lambda a, lower=False: (
        _sl.cho_factor(a, lower=lower, check_finite=False)[0],),
    "cho_solve": lambda c, b, lower=False: (
        _sl.cho_solve((c, lower), b, check_finite=False),),
    "solve_triangular": lambda a, b, **kw: (
        _sl.solve_triangular(a, b, check_finite=False, **kw),),
    "sqrtm": _sqrtm,
    "polar": lambda a, side="right": _tuple(_sl.polar(a, side=side)),
    "solve_sylvester": lambda a, b, q: (_sl.solve_sylvester(a, b, q),),
    "solve_continuous_lyapunov": lambda a, q: (_sl.solve_continuous_lyapunov(a, q),),
    "solve_discrete_lyapunov": lambda a, q, method=None: (
        _sl.solve_discrete_lyapunov(a, q, method=method),),
    "expm_frechet": lambda a, e, **kw: _tuple(_sl.expm_frechet(a, e, check_finite=False,
                                                               **kw)),
}


def _stack(shapes, cores):
    try:
        return tuple(np.broadcast_shapes(*[tuple(s)[:len(s) - c] for s, c in zip(shapes, cores)]))
    except ValueError:
        raise ShapeError(f"scipy_linalg: the stacks of shapes {[tuple(s) for s in shapes]} "
                         f"(core ranks {cores}) cannot be broadcast together") from None


def _shape(*avals, fn, kw, cores, outs):
    if fn not in CALLS or len(avals) != len(cores):
        raise WireError(f"scipy_linalg: unknown call {fn!r} or {len(avals)} operands for "
                        f"core ranks {cores}")
    stack = _stack([a.shape for a in avals], cores)
    return tuple(Aval(stack + tuple(s), np.dtype(d)) for s, d in outs)


def _one(fn, kw, args, outs):
    # C-ordered operands, as the arrays of an eager call usually are (SciPy's norm picks
    # its routine by the memory order)
    try:
        res = CALLS[fn](*[np.ascontiguousarray(a) for a in args], **dict(kw))
    except ValueError as e:
        finite = all(np.isfinite(a).all() for a in args if np.asarray(a).dtype.kind in "fc")
        if finite:
            raise
        if all(np.dtype(d).kind in "fc" for _, d in outs):
            # SciPy's own check of a non-finite matrix (its schur's, in logm, funm …): the
            # traced values were not known to be checked, so NaN flows through to the
            # result, as with check_finite=False elsewhere (was an error of the whole call,
            # every matrix of a stack, naming no function)
            return [np.full(tuple(s), np.nan, np.dtype(d)) for s, d in outs]
        raise WireValueError(f"{fn}: {e} (SciPy's check of the values, which under jit are "
                             f"known only now)") from None
    if len(res) != len(outs):
        raise WireError(f"scipy_linalg: SciPy's {fn} returned {len(res)} arrays, expected "
                        f"{len(outs)}")
    found = []
    for r, (s, d) in zip(res, outs):
        r = np.asarray(r)
        if r.dtype.kind == "c" and np.dtype(d).kind == "f" and not np.imag(r).any() \
                and np.real(r).dtype == np.dtype(d):
            r = np.real(r)  # a SciPy quirk (the complex P of a complex 1x1 lu): exact
        if r.dtype != np.dtype(d) or r.shape != tuple(s):
            raise WireError(f"scipy_linalg: SciPy's {fn} returned {r.shape} {r.dtype} where "
                            f"{tuple(s)} {np.dtype(d)} was declared")
        found.append(r)
    return found


def _impl(*args, fn, kw, cores, outs):
    args = [np.asarray(a) for a in args]
    stack = _stack([a.shape for a in args], cores)
    if not stack:
        return tuple(_one(fn, kw, args, outs))
    full = [np.broadcast_to(a, stack + a.shape[a.ndim - c:]) for a, c in zip(args, cores)]
    res = [np.empty(stack + tuple(s), np.dtype(d)) for s, d in outs]
    for i in np.ndindex(*stack):
        for r, x in zip(res, _one(fn, kw, [np.ascontiguousarray(a[i]) for a in full], outs)):
            r[i] = x
    return tuple(res)


def _batch(args, dims, *, fn, kw, cores, outs):
    stack = max(example_ndim(x, d) - c for x, d, c in zip(args, dims, cores))
    new = [x if d is None else expand_rank(to_front(x, d), stack + c)
           for x, d, c in zip(args, dims, cores)]
    return bind(scipy_linalg_p, *new, fn=fn, kw=kw, cores=cores, outs=outs), (0,) * len(outs)


def _xp(bk, *args, fn, kw, cores, outs):
    """SciPy's routine on host copies of the operands (SciPy computes on NumPy arrays)."""
    host = host_arrays(args)
    return tuple(bk.const(r) for r in _impl(*host, fn=fn, kw=kw, cores=cores, outs=outs))


def _sample(rng):
    a = rng.normal(size=(2, 3, 3)) + 3.0 * np.eye(3)
    return [a], dict(fn="lu_factor", kw=(), cores=(2,), outs=(((3, 3), "<f8"), ((3,), "<i4")))


scipy_linalg_p = Primitive(
    "scipy_linalg",
    _impl,
    _shape,
    dtype=lambda *dtypes, fn, kw, cores, outs: tuple(np.dtype(d) for _, d in outs),
    nondiff=True,
    batch=_batch,
    xp=XpImpl(_xp, "scipy.linalg (on the host)"),
    sample=_sample,
    doc="SciPy's own scipy.linalg routine fn on a stack of matrices (values only: "
    "wire.scipy.linalg attaches the derivatives of a differentiable composition)",
    sympy=NoFormula("calls SciPy's routine on arrays"),
)


def scipy_linalg(fn, args, kw, cores, outs):
    """The results (a tuple) of SciPy's ``fn`` on ``args`` (see the module's docstring)."""
    return bind(scipy_linalg_p, *args, fn=fn, kw=tuple(kw), cores=tuple(cores),
                outs=tuple((tuple(s), np.dtype(d).str) for s, d in outs))
