"""``wire.scipy.linalg``: ``solve_triangular``, ``cholesky``, ``cho_factor``, ``cho_solve``,
``expm`` (and ``expm_frechet``), differentiable, on arrays and tracers.

Triangular solves reuse the general ``solve`` primitive on the masked triangle, so only the
triangle SciPy reads carries a derivative. ``expm`` is scaling-and-squaring with the degree-13
Padé approximant (Higham 2005); its reverse-mode derivative is the Fréchet derivative at
``Aᴴ`` (``L(A, ·)* = L(Aᴴ, ·)``), computed as a block of ``expm([[Aᴴ, G], [0, Aᴴ]])`` by this
same function, so every order of reverse mode works. Forward mode differentiates the Padé
approximant and the squarings themselves.

On concrete arrays the SciPy functions are called when SciPy is installed.

>>> import numpy as np
>>> from wire.scipy.linalg import expm
>>> expm(np.zeros((2, 2)))
array([[1., 0.],
       [0., 1.]])
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import numpy as wnp
from ..api.control_flow import while_loop
from ..api.custom import custom_vjp
from ..errors import ShapeError, WireError, at, user_location
from ..tracebacks import expose
from ..core import Tracer

try:
    import scipy.linalg as _sl
except ImportError:  # pragma: no cover - exercised only without scipy
    _sl = None

__all__ = ["cho_factor", "cho_solve", "cholesky", "expm", "expm_frechet", "solve_triangular"]


def _traced(*xs) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


def _float(x):
    if isinstance(x, Tracer):
        return x if x.dtype.kind in "fc" else wnp.asarray(x, np.float64)
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def _square(a, what):
    shape = wnp.shape(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(f"{what} needs a square matrix (..., n, n), got shape {tuple(shape)}"
                         f"{at(user_location())}")
    return shape[-1]


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
    return t + np.eye(n) if unit_diagonal else t


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) x = b`` for a triangular ``a`` (only its ``lower``/upper triangle is read;
    ``op`` is identity, transpose or conjugate transpose for ``trans`` 0/'N', 1/'T', 2/'C').

    >>> a = np.array([[2.0, 0.0], [1.0, 1.0]])
    >>> solve_triangular(a, np.array([2.0, 3.0]), lower=True)
    array([1., 2.])
    """
    code = _trans_code(trans)
    if not _traced(a, b) and _sl is not None and np.ndim(a) == 2:
        return _sl.solve_triangular(a, b, trans=code, lower=lower, unit_diagonal=unit_diagonal)
    a, b = _float(a), _float(b)
    n = _square(a, "solve_triangular")
    b_shape = tuple(wnp.shape(b))
    if not b_shape or b_shape[-1 if len(b_shape) == 1 else -2] != n:
        raise ShapeError(f"solve_triangular: a is {n}x{n} but b has shape {b_shape}; b must be "
                         f"(n,) or (..., n, k){at(user_location())}")
    t = _triangle(a, lower, unit_diagonal)
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
    if not _traced(a) and _sl is not None and np.ndim(a) == 2:
        return _sl.cholesky(a, lower=lower)
    a = _float(a)
    _square(a, "cholesky")
    return wnp.linalg.cholesky(a, upper=not lower)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` for :func:`cho_solve`: ``c`` holds the Cholesky factor in its ``lower``
    (or upper) triangle and, as in SciPy, ``a``'s own entries in the other triangle.

    >>> c, low = cho_factor(np.array([[4.0, 2.0], [2.0, 2.0]]))
    >>> c, low
    (array([[2., 1.],
           [2., 1.]]), False)
    """
    if not _traced(a) and _sl is not None and np.ndim(a) == 2:
        return _sl.cho_factor(a, lower=lower)
    a = _float(a)
    n = _square(a, "cho_factor")
    factor = cholesky(a, lower=lower)
    keep = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    return wnp.where(keep, factor, a), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` given ``(c, lower) = cho_factor(a)``.

    >>> a = np.array([[4.0, 2.0], [2.0, 2.0]])
    >>> cho_solve(cho_factor(a), np.array([6.0, 4.0]))
    array([1., 1.])
    """
    c, lower = c_and_lower
    if not _traced(c, b) and _sl is not None and np.ndim(c) == 2:
        return _sl.cho_solve((c, lower), b)
    if lower:
        y = solve_triangular(c, b, lower=True)
        return solve_triangular(c, y, trans=2, lower=True)
    y = solve_triangular(c, b, trans=2, lower=False)
    return solve_triangular(c, y, lower=False)


# --------------------------------------------------------------------------- expm

# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# coefficients of the degree-13 Padé approximant and the 1-norm below which it is accurate
# to double precision without scaling.
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0,
           1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152
_MAX_SQUARINGS = 1100  # 2^1100 exceeds every finite float64 norm ratio


def _norm1(a):
    return wnp.max(wnp.sum(wnp.abs(a), axis=-2), axis=-1)


def _pade13(a, eye):
    b = _PADE13
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
             + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    return wnp.linalg.solve(v - u, v + u)


def _expm_pade(a):
    n = wnp.shape(a)[-1]
    eye = np.eye(n)
    norm = wnp.stop_gradient(_norm1(a))
    s = wnp.ceil(wnp.log2(wnp.where(norm > _THETA13, norm, _THETA13) / _THETA13))
    s = wnp.where(wnp.isfinite(s), wnp.clip(s, 0.0, _MAX_SQUARINGS), 0.0)
    scaled = a / wnp.expand_dims(wnp.exp2(s), (-1, -2))
    r = _pade13(scaled, eye)
    steps = wnp.expand_dims(s, (-1, -2))

    def body(carry):
        i, x = carry
        return i + 1.0, wnp.where(i < steps, x @ x, x)

    _, r = while_loop(lambda c: c[0] < wnp.max(s), body, (wnp.zeros((), r.dtype), r))
    return r


@custom_vjp
def _expm(a):
    return _expm_pade(a)


def _expm_fwd(a):
    return _expm(a), a


def _expm_bwd(a, g):
    return (_frechet(wnp.conj(wnp.swapaxes(a, -1, -2)), g),)


_expm.defvjp(_expm_fwd, _expm_bwd)


def _frechet(a, e):
    """``L(a, e)``, the Fréchet derivative of expm at ``a`` in direction ``e``: the upper-right
    block of ``expm([[a, e], [0, a]])``. ``e`` is scaled to ``a``'s norm first (L is linear
    in ``e``) so a large direction does not force extra squarings on the ``a`` blocks."""
    n = wnp.shape(a)[-1]
    na = wnp.stop_gradient(_norm1(a))
    ne = wnp.stop_gradient(_norm1(e))
    c = wnp.where((ne > 0) & (na > 0), na / wnp.where(ne > 0, ne, 1.0), 1.0)
    c = wnp.expand_dims(c, (-1, -2))
    top = wnp.concatenate([a, e * c], axis=-1)
    bottom = wnp.concatenate([wnp.zeros_like(a), a], axis=-1)
    big = _expm(wnp.concatenate([top, bottom], axis=-2))
    return big[..., :n, n:] / c


def expm(A):
    """Matrix exponential of ``A`` (``(..., n, n)``), differentiable to every order.

    >>> import wire
    >>> f = lambda t: expm(np.array([[0.0, 1.0], [-1.0, 0.0]]) * t)[0, 0]    # cos t
    >>> bool(abs(wire.grad(f)(0.5) + np.sin(0.5)) < 1e-14)
    True
    """
    if not _traced(A) and _sl is not None:
        A = np.asarray(A)
        if A.ndim >= 2 and A.shape[-1] == A.shape[-2] and A.shape[-1] > 0:
            return _sl.expm(A)
    A = _float(A)
    n = _square(A, "expm")
    if n == 0:
        return A
    return _expm(A)


def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    """``(expm(A), L(A, E))``, or only the Fréchet derivative with ``compute_expm=False``.

    >>> A = np.array([[1.0, 2.0], [0.0, 3.0]])
    >>> L = expm_frechet(A, np.eye(2), compute_expm=False)
    >>> np.allclose(L, expm(A))     # A commutes with I: L(A, I) = expm(A)
    True
    """
    A, E = _float(A), _float(E)
    _square(A, "expm_frechet")
    if tuple(wnp.shape(A)) != tuple(wnp.shape(E)):
        raise ShapeError(f"expm_frechet: A {tuple(wnp.shape(A))} and E {tuple(wnp.shape(E))} "
                         f"must have the same shape{at(user_location())}")
    L = _frechet(A, E)
    return (expm(A), L) if compute_expm else L

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
