"""Triangular solves and Cholesky factors of ``wire.scipy.linalg``: ``solve_triangular``,
``cholesky``, ``cho_factor``, ``cho_solve``.

Triangular solves reuse the general ``solve`` primitive on the masked triangle, so only the
triangle SciPy reads carries a derivative. On concrete arrays SciPy is called.
"""

from __future__ import annotations

import functools
import inspect
import sys

import numpy as np

from .. import numpy as wnp
from ..core import Tracer
from ..errors import LinAlgShapeError, ShapeError, WireError, at, user_location
from ._traced import check_finite_values as _finite
from ._traced import traced as _traced
from .. import tree
from ..api import custom_jvp, custom_vjp, eval_shape, jvp, vjp
from ..ops.optional import module as _optional_module
from ..ops.scipy_linalg import scipy_linalg as _scipy_linalg

_sl = _optional_module("scipy.linalg")  # None without SciPy; imported on first use


def _float(x):
    """``x`` in the dtype SciPy's LAPACK call computes in: integers and booleans in float64,
    float16 in float32 (LAPACK has no half precision)."""
    if isinstance(x, Tracer):
        if x.dtype == np.float16:
            return wnp.asarray(x, np.float32)
        return x if x.dtype.kind in "fc" else wnp.asarray(x, np.float64)
    x = np.asarray(x)
    if x.dtype == np.float16:
        return x.astype(np.float32)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def _square(a, what):
    shape = wnp.shape(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        # a ValueError as SciPy's, and the LinAlgError some of SciPy's functions raise
        raise LinAlgShapeError(f"{what} needs a square matrix (..., n, n), got shape "
                               f"{tuple(shape)}{at(user_location())}")
    return shape[-1]


def scipy_valued(fn, ref, args, kw=(), cores=None, ref_kw=(), linear=()):
    """``ref(*args, **ref_kw)`` with SciPy's values: the results of SciPy's own routine ``fn``
    (a key of ``wire.ops.scipy_linalg.CALLS``, called with the keyword arguments ``kw``), and
    the derivatives of ``ref``, a module-level differentiable composition computing the same
    thing within rounding: forward mode is ``ref``'s forward mode, reverse mode ``ref``'s
    reverse mode (the rules of before, unchanged). ``cores``: the core rank of each argument
    (2 each by default); leading axes are a stack, one SciPy call per matrix. Without SciPy,
    ``ref``. Everything static is plain data and ``ref`` is named by its module and name, so
    graphs holding these calls can be saved (``wire.save``). ``linear``: the positions of
    the arguments the result is linear in when the others are constants (a solve's
    right-hand side): its tangent there is the call on the tangent, and
    ``wire.linear_transpose`` transposes it by ``ref``'s reverse mode (the transposed
    solve)."""
    args = tuple(args)
    ref_kw = tuple(sorted(dict(ref_kw).items()))
    if _sl is None:
        return ref(*args, **dict(ref_kw))
    cores = (2,) * len(args) if cores is None else tuple(int(c) for c in cores)
    shapes, out_tree = tree.flatten(eval_shape(lambda *xs: ref(*xs, **dict(ref_kw)), *args))
    stack = len(np.broadcast_shapes(*[tuple(wnp.shape(x))[:wnp.ndim(x) - c]
                                      for x, c in zip(args, cores)]))
    outs = tuple((tuple(int(d) for d in sh.shape)[stack:], np.dtype(sh.dtype).str)
                 for sh in shapes)
    diff = tuple(i for i, x in enumerate(args) if wnp.asarray(x).dtype.kind in "fc")
    spec = (fn, tuple(sorted(dict(kw).items())), cores, outs, out_tree,
            (ref.__module__, ref.__qualname__), ref_kw, diff)
    if linear:
        spec += (tuple(int(i) for i in linear),)
    return _scipy_call(spec, *args)


def _ref(spec):
    """The ``ref`` of a ``scipy_valued`` spec, found again by its module and name."""
    module, qualname = spec[5]
    ref = sys.modules[module]
    for part in qualname.split("."):
        ref = getattr(ref, part)
    return ref


def _ref_of(spec):
    """``ref`` of a ``scipy_valued`` spec, found again by its module and name, as a function
    of the floating arguments ``xs[i]`` (``i`` in the spec's ``diff``) alone."""
    ref, ref_kw, diff = _ref(spec), dict(spec[6]), spec[7]

    def of_floats(xs):
        def part(*fl):
            full = list(xs)
            for i, v in zip(diff, fl):
                full[i] = v
            return ref(*full, **ref_kw)
        return part

    return of_floats


@functools.partial(custom_jvp, nondiff_argnums=(0,))
def _scipy_forward(spec, *args):
    fn, kw, cores, outs, out_tree = spec[:5]
    return tree.unflatten(out_tree, list(_scipy_linalg(fn, args, kw, cores, outs)))


@_scipy_forward.defjvp
def _scipy_forward_jvp(spec, primals, tangents):
    diff = spec[7]
    of = _ref_of(spec)(tuple(primals))
    fl = tuple(primals[i] for i in diff)
    return _scipy_forward(spec, *primals), jvp(of, fl, tuple(tangents[i] for i in diff))[1]


def _scipy_fwd(spec, *args):
    return _scipy_forward(spec, *args), args


def _scipy_bwd(spec, xs, ct):
    diff = spec[7]
    _, pull = vjp(_ref_of(spec)(xs), *[xs[i] for i in diff])
    found = [None] * len(xs)
    for i, c in zip(diff, pull(ct)):
        found[i] = c
    return tuple(found)


# reverse mode: ref's reverse mode (its forward mode may not be transposable: expm's loop);
# forward mode: _scipy_forward's rule, ref's forward mode
_scipy_call = custom_vjp(_scipy_forward, nondiff_argnums=(0,), forward="function")
_scipy_call.defvjp(_scipy_fwd, _scipy_bwd)


def _linear_args(spec):
    """``(name, positions, names)`` of the arguments a ``scipy_valued`` call is linear in
    (none: ``()``), for ``wire.linear_transpose``
    (:func:`wire.higher_order.linearity.linear_operands`)."""
    linear = spec[8] if len(spec) > 8 else ()
    if not linear:
        return spec[0], (), ""
    params = list(inspect.signature(_ref(spec)).parameters)
    names = " and ".join(params[i] for i in linear)
    return f"wire.scipy.linalg.{spec[0]}", linear, names


# a solve is linear in its right-hand side (scipy_valued's linear=): linear_transpose
# transposes it there
_scipy_call._linear_in = _linear_args


def _trans_code(trans) -> int:
    codes = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}
    if trans not in codes:
        raise WireError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got "
                        f"{trans!r}{at(user_location())}")
    return codes[trans]


def _triangle(a, lower: bool, unit_diagonal: bool):
    """The triangle of ``a`` SciPy reads (its diagonal replaced by ones if ``unit_diagonal``)."""
    n = wnp.shape(a)[-1]
    keep = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    if unit_diagonal:
        keep &= ~np.eye(n, dtype=bool)
    t = wnp.where(keep, a, 0.0)
    return t + np.eye(n, dtype=t.dtype) if unit_diagonal else t  # (float64 would promote)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) x = b`` for a triangular ``a`` (only its ``lower``/upper triangle is read;
    ``op`` is identity, transpose or conjugate transpose for ``trans`` 0/'N', 1/'T', 2/'C').

    >>> a = np.array([[2.0, 0.0], [1.0, 1.0]])
    >>> solve_triangular(a, np.array([2.0, 3.0]), lower=True)
    array([1., 2.])
    """
    code = _trans_code(trans)
    _finite("solve_triangular", check_finite, a, b)
    if not _traced(a, b) and _sl is not None and np.ndim(a) == 2:
        return _sl.solve_triangular(a, b, trans=code, lower=lower, unit_diagonal=unit_diagonal,
                                    check_finite=False)
    a, b = _float(a), _float(b)
    n = _square(a, "solve_triangular")
    b_shape = tuple(wnp.shape(b))
    if not b_shape or b_shape[-1 if len(b_shape) == 1 else -2] != n:
        raise ShapeError(f"solve_triangular: a is {n}x{n} but b has shape {b_shape}; b must be "
                         f"(n,) or (..., n, k){at(user_location())}")
    how = dict(trans=code, lower=bool(lower), unit_diagonal=bool(unit_diagonal))
    if _lapack_dtypes(a, b) and (len(b_shape) <= 2 or len(wnp.shape(a)) > 2):
        # SciPy's trtrs traced too (the general solve below rounds otherwise); a stack of
        # triangles takes b (n,) for every one, or (..., n, k), as SciPy batches them
        return scipy_valued("solve_triangular", _solve_triangular, [a, b], how,
                            cores=(2, 1 if len(b_shape) == 1 else 2),
                            ref_kw=dict(code=code, lower=bool(lower),
                                        unit_diagonal=bool(unit_diagonal)), linear=(1,))
    return _solve_triangular(a, b, code, lower, unit_diagonal)


def _lapack_dtypes(*xs) -> bool:
    """Whether SciPy computes in the dtype of every ``xs`` (one of LAPACK's four; float16
    and mixed precisions are converted by SciPy, not by the composition)."""
    dts = {wnp.asarray(x).dtype for x in xs}
    return _sl is not None and len(dts) == 1 and dts.pop().char in "fdFD"


def _solve_triangular(a, b, code, lower, unit_diagonal):
    """``solve_triangular`` by the general solve of the triangle (its derivatives)."""
    t = _triangle(a, lower, unit_diagonal)
    if not unit_diagonal:
        # a zero on the diagonal: SciPy raises LinAlgError. The general solve below finds an
        # exactly zero pivot only for some triangles (pivoting a lower one may round it away
        # and give huge finite numbers), so a singular triangle is solved as the zero matrix,
        # which raises when evaluated
        d = wnp.diagonal(t, axis1=-2, axis2=-1)
        singular = wnp.stop_gradient(wnp.any(d == 0, axis=-1))
        t = wnp.where(wnp.expand_dims(singular, (-1, -2)), 0.0, t)
    if code:
        t = wnp.swapaxes(t, -1, -2)
        if code == 2:
            t = wnp.conj(t)
    return wnp.linalg.solve(t, b)


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factor of a Hermitian positive-definite matrix: upper ``U`` with ``a = UᴴU``
    (SciPy's default), or lower ``L`` with ``a = L Lᴴ``. Reads only that triangle of ``a``.

    >>> cholesky(np.array([[4.0, 2.0], [2.0, 2.0]]))
    array([[2., 1.],
           [0., 1.]])
    """
    _finite("cholesky", check_finite, a)
    if not _traced(a) and _sl is not None and np.ndim(a) == 2:
        return _sl.cholesky(a, lower=lower, check_finite=False)
    a = _float(a)
    _square(a, "cholesky")
    if _lapack_dtypes(a):  # SciPy's potrf traced too (NumPy's computes float32 in double)
        return scipy_valued("cholesky", _cholesky, [a], dict(lower=bool(lower)),
                            ref_kw=dict(lower=bool(lower)))
    return _cholesky(a, lower)


def _cholesky(a, lower):
    return wnp.linalg.cholesky(a, upper=not lower)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` for :func:`cho_solve`: ``c`` holds the Cholesky factor in its ``lower``
    (or upper) triangle and, as in SciPy, ``a``'s own entries in the other triangle.

    >>> c, low = cho_factor(np.array([[4.0, 2.0], [2.0, 2.0]]))
    >>> c, low
    (array([[2., 1.],
           [2., 1.]]), False)
    """
    _finite("cho_factor", check_finite, a)
    if not _traced(a) and _sl is not None and np.ndim(a) == 2:
        return _sl.cho_factor(a, lower=lower, check_finite=False)
    a = _float(a)
    _square(a, "cho_factor")
    if _lapack_dtypes(a):  # SciPy's potrf traced too (NumPy's computes float32 in double)
        return scipy_valued("cho_factor", _cho_factor, [a], dict(lower=bool(lower)),
                            ref_kw=dict(lower=bool(lower))), lower
    return _cho_factor(a, lower), lower


def _cho_factor(a, lower):
    n = wnp.shape(a)[-1]
    factor = wnp.linalg.cholesky(a, upper=not lower)
    keep = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    return wnp.where(keep, factor, a)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` given ``(c, lower) = cho_factor(a)``.

    >>> a = np.array([[4.0, 2.0], [2.0, 2.0]])
    >>> cho_solve(cho_factor(a), np.array([6.0, 4.0]))
    array([1., 1.])
    """
    c, lower = c_and_lower
    _finite("cho_solve", check_finite, c, b)
    if not _traced(c, b) and _sl is not None and np.ndim(c) == 2:
        return _sl.cho_solve((c, lower), b, check_finite=False)
    c, b = _float(c), _float(b)
    if len(wnp.shape(c)) == 2 and 1 <= len(wnp.shape(b)) <= 2 and _lapack_dtypes(c, b):
        # SciPy's potrs traced too (two triangular solves round otherwise)
        return scipy_valued("cho_solve", _cho_solve, [c, b], dict(lower=bool(lower)),
                            cores=(2, len(wnp.shape(b))), ref_kw=dict(lower=bool(lower)),
                            linear=(1,))
    return _cho_solve(c, b, lower)


def _cho_solve(c, b, lower):
    """``cho_solve`` by two triangular solves (its derivatives)."""
    if lower:
        y = _solve_triangular(c, b, 0, True, False)
        return _solve_triangular(c, y, 2, True, False)
    y = _solve_triangular(c, b, 2, False, False)
    return _solve_triangular(c, y, 0, False, False)
