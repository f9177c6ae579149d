"""``wire.numpy.linalg``: NumPy's ``numpy.linalg`` on arrays and tracers.

Factorizations are primitives (``wire.ops.factorizations``); ``norm``, ``pinv``,
``matrix_power``, ``cond``, ``lstsq``, ``multi_dot``, ``eigvalsh``… are compositions. Every
function takes real and complex matrices, and derivatives of complex ones follow JAX's
convention (see ``docs/linalg.md``). A
singular matrix raises ``numpy.linalg.LinAlgError`` when evaluated, as in NumPy. Results that
NumPy returns as named tuples (``slogdet``, ``eigh``, ``svd``, ``qr``) are named tuples here.

>>> import numpy as np, wire
>>> from wire.numpy import linalg
>>> float(wire.grad(lambda a: linalg.slogdet(a).logabsdet)(2 * np.eye(2))[0, 0])
0.5
"""

from __future__ import annotations

import builtins
import functools
import operator
from typing import NamedTuple

import numpy as np

from ..api.custom import custom_jvp
from ..errors import (
    LinAlgShapeError, ShapeError, WireAxisError, WireError, WireTypeError, WireValueError, at,
    user_location,
)
from ..tracebacks import expose
from ..core import Tracer
from ..ops import factorizations as LX
from ..ops.spectral import nonfinite_svd_guard
from ._creation import zeros_like
from ._along_axis import argsort
from ._elementwise_composed import conj, copysign, imag, real
from ._math import abs, isfinite, isnan, sign, sqrt, where
from ._products import matmul, tensordot, traced_vecdot
from ._products import outer as _outer
from ._promote import cast, promote
from ._rearranging import cross as _cross
from ._rearranging import flip, take_along_axis
from ._rearranging import diagonal as _diagonal
from ._reductions import any, max, min, normalize_axes, sum
from ._shape import expand_dims, moveaxis, ravel, reshape, swapaxes, transpose

LinAlgError = np.linalg.LinAlgError

__all__ = [
    "LinAlgError",
    "cholesky",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "lstsq",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "multi_dot",
    "norm",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "tensorinv",
    "tensorsolve",
    "trace",
    "vecdot",
    "vector_norm",
]


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


class QRResult(NamedTuple):
    Q: object
    R: object


def _t(*xs) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


def _mH(x):
    """Conjugate transpose of the last two axes."""
    x = swapaxes(x, -1, -2)
    return conj(x) if x.dtype.kind == "c" else x


def _float(a):
    return a if a.dtype.kind in "fc" else cast(a, np.float64)


def _common(a, b):
    """``a`` and ``b`` in NumPy linalg's common type: an integer or boolean operand counts as
    float64 before they promote (``solve(int_matrix, float32_b)`` is float64, as NumPy's)."""
    a, b = (x if isinstance(x, Tracer) else np.asarray(x) for x in (a, b))
    return promote(_float(a), _float(b))


def _nonfinite(a, what="SVD"):
    """For concrete ``a``, what :func:`wire.ops.spectral.nonfinite_svd_guard` says: ``None``
    if NumPy's SVD may be called on it (finite, or not a float matrix)."""
    a = np.asarray(a)
    if a.ndim < 2 or a.dtype.kind not in "fc":
        return None
    return nonfinite_svd_guard(a, what)


def _square(a, what):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise LinAlgShapeError(f"linalg.{what}: expected square matrices (..., n, n), got "
                               f"{a.aval!r}{at(user_location())}")


def inv(a):
    """Matrix inverse (``LinAlgError`` if singular).

    >>> inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    if not _t(a):
        return np.linalg.inv(a)
    a = _float(a)
    _square(a, "inv")
    return LX.inv(a)


def det(a):
    """Determinant. Its gradient is the cofactor matrix ``adj(a)ᵀ``, exact also where ``a``
    is singular (where ``det(a) * inv(a)ᵀ`` would divide 0 by 0), as in JAX. ``det`` is a
    polynomial, and every derivative of every order is exact at every matrix: singular,
    orthogonal, with tied or zero singular values (see ``docs/linalg.md``).

    >>> float(det(np.array([[1.0, 2.0], [3.0, 4.0]])))
    -2.0000000000000004
    >>> import wire
    >>> wire.grad(det)(np.array([[1.0, 2.0], [2.0, 4.0]])).tolist()  # singular
    [[4.0, -2.0], [-2.0, 1.0]]
    >>> d3 = wire.grad(wire.grad(wire.grad(lambda t: det(np.eye(3) + t * np.eye(3)))))
    >>> float(d3(0.0))  # det((1 + t) I) = (1 + t)³
    6.0
    """
    if not _t(a):
        return np.linalg.det(a)
    a = _float(a)
    _square(a, "det")
    return LX.det(a)


def slogdet(a):
    """Sign and log-absolute-determinant, as ``(sign, logabsdet)``. The gradient of
    ``logabsdet`` is ``inv(a)ᵀ`` (complex: with the phase of ``sign`` as in JAX); at an
    exactly singular matrix, where NumPy returns ``(0, -inf)``, it is ``adj(a)ᵀ / 0``: ±inf
    (NaN where a cofactor is 0), not an error. A real ``sign`` has zero derivative.

    >>> import wire
    >>> wire.grad(lambda a: slogdet(a).logabsdet)(np.diag([2.0, 4.0])).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    if not _t(a):
        return np.linalg.slogdet(a)
    a = _float(a)
    _square(a, "slogdet")
    return SlogdetResult(*LX.slogdet(a))


def solve(a, b):
    """Solve ``a x = b``; ``b`` is a vector only when it is 1-D (NumPy 2 rule).

    >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([1.0, 1.0]))
    array([0.5 , 0.25])
    """
    if not _t(a, b):
        return np.linalg.solve(a, b)
    a, b = _common(a, b)
    _square(a, "solve")
    if np.ndim(b) == 1 if not isinstance(b, Tracer) else b.ndim == 1:
        return LX.solve(a, expand_dims(b, -1))[..., 0]
    return LX.solve(a, b)


def _mirror_lower(a):
    """The Hermitian matrix NumPy factors: the lower triangle of ``a`` mirrored (conjugated
    for complex ``a``; the imaginary part of the diagonal is ignored by the factorization)."""
    n = a.shape[-1]
    low = np.tril(np.ones((n, n), bool), -1)
    diag = np.eye(n, dtype=bool)
    at_ = conj(swapaxes(a, -1, -2)) if a.dtype.kind == "c" else swapaxes(a, -1, -2)
    return where(low, a, where(diag, a, at_))


def _mirror(a, uplo):
    side = uplo.upper() if isinstance(uplo, str) else uplo
    if side not in ("L", "U"):  # NumPy's check: anything else is not silently "U"
        raise WireValueError(f"linalg: UPLO must be 'L' or 'U', got {uplo!r}{at(user_location())}")
    if side == "L":
        return _mirror_lower(a)
    # the upper triangle mirrored: the transpose of the lower one's, conjugated for complex a
    # (unconjugated, eigh's eigenvectors came out conjugated)
    h = _mirror_lower(swapaxes(a, -1, -2))
    return conj(h) if a.dtype.kind == "c" else h


def _upper(uplo):
    """Whether NumPy's LAPACK call reads the upper triangle (its values and vectors differ in
    the last bits from the lower one's, the vectors also in sign)."""
    return (uplo.upper() if isinstance(uplo, str) else uplo) == "U"


def _hermitian_input(a, what):
    """What NumPy's ``hermitian=True`` paths (``svd``, ``pinv``, ``matrix_rank``) factor: an
    ``eigh`` of the lower triangle, so the upper triangle and the imaginary part of the
    diagonal are never read. Traced, the same matrix is built, and factored as any other."""
    _square(a, what)
    a = _mirror_lower(a)
    if a.dtype.kind == "c":
        n = a.shape[-1]
        a = where(np.eye(n, dtype=bool), cast(real(a), a.dtype), a)
    return a


def cholesky(a, /, *, upper=False):
    """Cholesky factor (lower, or upper with ``upper=True``) of a symmetric (complex:
    Hermitian) positive-definite matrix; reads the lower (``upper=True``: upper) triangle, like
    NumPy. ``LinAlgError`` if not positive definite.

    >>> import wire
    >>> g = wire.grad(lambda a: wire.numpy.sum(cholesky(a)))(np.array([[4.0, 0.0], [0.0, 9.0]]))
    >>> g.round(4).tolist()
    [[0.25, 0.0], [0.5, 0.1667]]
    """
    if not _t(a):
        return np.linalg.cholesky(a, upper=upper)
    a = _float(a)
    _square(a, "cholesky")
    # upper: LAPACK's upper factorization, as NumPy's (not the lower one's transpose: its
    # last bits differ)
    return LX.cholesky(_mirror(a, "U" if upper else "L"), upper=upper)


def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix (reads one triangle,
    like NumPy, so the derivative with respect to the other triangle is zero).

    Repeated eigenvalues: eigenvalues closer than ``n * eps * max|λ|`` count as tied, and the
    eigenvectors of a tied cluster are not determined by the matrix, so the coupling
    ``1 / (λj - λi)`` between them has no value. A function of the eigenvalues alone (the
    eigenvectors unused: ``eigvalsh``, ``sum(f(λ))``, ``logdet``) never needs it, and its
    gradient is exact and finite, in float32 as in float64; for such a function that is not
    symmetric in the tied eigenvalues (the smallest one alone) it is the gradient along the
    eigenbasis LAPACK returned, an element of the subdifferential. Once the eigenvectors are
    used (``V f(Λ) Vᵀ``, a projector), and for forward-mode tangents of tied eigenvectors and
    second derivatives at ties, the derivative is NaN, as in JAX: never a silently wrong
    number.

    >>> import wire
    >>> g = wire.grad(lambda a: wire.numpy.sum(eigh(a)[0] ** 2))(np.eye(2, dtype=np.float32))
    >>> g.tolist(), g.dtype
    ([[2.0, 0.0], [0.0, 2.0]], dtype('float32'))
    """
    if not _t(a):
        return np.linalg.eigh(a, UPLO)
    a = _float(a)
    _square(a, "eigh")
    return EighResult(*LX.eigh(_mirror(a, UPLO), upper=_upper(UPLO)))


def eig(a):
    """Eigenvalues and right eigenvectors of a general square matrix, as NumPy's
    ``EigResult(eigenvalues, eigenvectors)``, each eigenvector with unit norm and its
    largest-modulus entry real (LAPACK's normalisation, which NumPy returns).

    On traced values both are always complex (NumPy returns real arrays when every
    eigenvalue happens to be real; a traced result cannot depend on the values). Derivatives:
    ``dλ_j = (v⁻¹ da v)_jj``, and the eigenvectors follow LAPACK's normalisation (as JAX does
    with ``enable_eigvec_derivs``), so finite differences of NumPy's eigenvectors match. Tied
    eigenvalues use :func:`eigh`'s rule: functions of the eigenvalues alone keep exact
    gradients (``sum``, at the identity); once the eigenvectors are used the derivative is
    NaN. A defective matrix (a Jordan block; eigenvectors dependent to working precision)
    has no derivative: NaN, also for functions of the eigenvalues alone.

    >>> import wire
    >>> a = np.array([[2.0, 1.0], [0.0, 3.0]])
    >>> eig(a).eigenvalues
    array([2., 3.])
    >>> wire.grad(lambda a: wire.numpy.real(eig(a).eigenvalues[1]))(a).tolist()  # u vᵀ / uᵀv
    [[0.0, 0.0], [1.0, 1.0]]
    """
    if not _t(a):
        return np.linalg.eig(a)
    a = _float(a)
    _square(a, "eig")
    return EigResult(*LX.eig(a))


def eigvals(a):
    """Eigenvalues of a general square matrix (complex on traced values; see :func:`eig`).

    >>> import wire
    >>> wire.grad(lambda a: wire.numpy.sum(wire.numpy.real(eigvals(a))))(np.eye(2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if not _t(a):
        return np.linalg.eigvals(a)
    return eig(a)[0]


def eigvalsh(a, UPLO="L"):
    """Eigenvalues of a symmetric matrix (ascending)."""
    if not _t(a):
        return np.linalg.eigvalsh(a, UPLO)
    a = _float(a)
    _square(a, "eigvalsh")
    return LX.eigvalsh(_mirror(a, UPLO), upper=_upper(UPLO))


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular value decomposition ``(U, S, Vh)``, real or complex; on traced non-square
    matrices pass ``full_matrices=False``.

    Each singular pair ``(u_i, vh_i)`` is fixed only up to sign (complex: a phase), so only
    functions invariant to it have derivatives (``U @ diag(S) @ Vh``, ``|U|``, projectors).
    Tied singular values, and singular values that are zero to working precision, follow
    :func:`eigh`'s rule: exact gradients for functions of ``S`` alone (the nuclear norm,
    whose gradient is ``U Vᵀ`` over the vectors LAPACK returned, a subgradient at a zero
    singular value), NaN once ``U`` or ``Vh`` are used. ``pinv`` has its own rule, exact at
    repeated singular values.

    >>> import wire
    >>> g = wire.grad(lambda a: wire.numpy.sum(svd(a, compute_uv=False)))(np.eye(2))
    >>> g.tolist()  # the nuclear norm at a tie: d = U Vᵀ
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if not _t(a):
        bad = _nonfinite(a) if not hermitian else None
        if bad is None:
            return np.linalg.svd(a, full_matrices, compute_uv, hermitian)
        if not compute_uv:  # the traced values' policy (NumPy's: NaN; LAPACK's may not return)
            return LX.svdvals_p.impl(np.asarray(a))
        u, s, vh = np.linalg.svd(np.where(bad[..., None, None], 0, a), full_matrices)
        return SVDResult(np.where(bad[..., None, None], np.nan, u),
                         np.where(bad[..., None], np.nan, s),
                         np.where(bad[..., None, None], np.nan, vh))
    a = _float(a)
    if a.ndim < 2:
        raise LinAlgShapeError(f"linalg.svd: expected matrices, got {a.aval!r}"
                               f"{at(user_location())}")
    if hermitian:
        a = _hermitian_input(a, "svd")
        if compute_uv:
            return _hermitian_svd(a)
        # NumPy's: |eigvalsh(a)| sorted descending
        s = abs(LX.eigvalsh(a))
        return take_along_axis(s, flip(argsort(s, axis=-1), axis=-1), axis=-1)
    if not compute_uv:
        # LAPACK's values without the vectors, NumPy's compute_uv=False: those with the
        # vectors differ in the last bits, and may hold -0.0 (diag(2, -0, 0): [2, 0, -0])
        return LX.svdvals(a)
    if full_matrices and a.shape[-1] != a.shape[-2]:
        raise WireError(
            f"linalg.svd(full_matrices=True) of the non-square traced {a.aval!r} is not "
            f"supported: pass full_matrices=False{at(user_location())}"
        )
    return SVDResult(*LX.svd(a))


def _hermitian_svd(a):
    """NumPy's ``svd(a, hermitian=True)``: from ``eigh``, ``s = |λ|`` in descending order,
    ``u`` the eigenvectors in that order and ``vh = (u · sign(λ))ᴴ`` (``copysign``, so a
    ``-0.0`` eigenvalue gives ``-1``). The same vectors as NumPy's, where a general SVD of
    the same matrix picks other signs (phases)."""
    w, u = LX.eigh(a)
    sgn = copysign(np.ones((), w.dtype), w)
    s = abs(w)
    order = flip(argsort(s, axis=-1), axis=-1)
    sgn = take_along_axis(sgn, order, axis=-1)
    s = take_along_axis(s, order, axis=-1)
    u = take_along_axis(u, expand_dims(order, -2), axis=-1)
    return SVDResult(u, s, _mH(u * expand_dims(cast(sgn, u.dtype), -2)))


def svdvals(x):
    """Singular values (descending)."""
    if not _t(x):
        return np.linalg.svdvals(x)
    return svd(x, full_matrices=False, compute_uv=False)


def qr(a, mode="reduced"):
    """QR decomposition, real or complex (modes "reduced", "r", and "complete" for square or
    wide matrices). ``r`` has a real diagonal, as LAPACK makes it, which also fixes the phases
    that the derivative follows. A wide matrix ``[a1 | a2]`` is differentiated as JAX does,
    through the QR of its leading square block ``a1``, which must be invertible.

    >>> import wire
    >>> wire.grad(lambda a: qr(a)[1][1, 1])(np.eye(2)).tolist()
    [[0.0, 0.0], [0.0, 1.0]]
    """
    if not _t(a):
        return np.linalg.qr(a, mode)
    a = _float(a)
    if a.ndim < 2:
        raise LinAlgShapeError(f"linalg.qr: expected matrices, got {a.aval!r}{at(user_location())}")
    m, n = a.shape[-2:]
    if mode == "complete" and m > n:
        raise WireError(f"linalg.qr(mode='complete') of a tall traced matrix is not supported"
                        f"{at(user_location())}")
    if mode not in ("reduced", "complete", "r"):
        raise WireValueError(f"linalg.qr: unrecognized mode {mode!r} (NumPy refuses it too)"
                        + at(user_location()))
    q, r = LX.qr(a)
    return r if mode == "r" else QRResult(q, r)


# --------------------------------------------------------------------------- norms


def _safe_sqrt(s):
    """sqrt with derivative 0 (not NaN) where s == 0."""
    zero = s == 0
    return where(zero, 0.0, sqrt(where(zero, 1.0, s)))


def _abs2(x):
    if x.dtype.kind == "c":
        return real(x) ** 2 + imag(x) ** 2
    return x * x


def _power_sum_norm(x, p, axis, keepdims):
    """``(Σ|x|ᵖ)^(1/p)`` over ``axis`` (an int or a tuple) as NumPy computes it: the powers
    underflow to 0 (or overflow to inf) for tiny (huge) ``x``, and so does the value."""
    if p == 2:
        return _safe_sqrt(sum(_abs2(x), axis=axis, keepdims=keepdims))
    total = sum(abs(x)**p, axis=axis, keepdims=keepdims)
    inverse = np.reciprocal(p, dtype=total.dtype)  # rounded in the dtype, as NumPy's
    if p > 1:
        # a p-norm (p > 1) at 0: the subgradient 0, as the 2-norm's (0 ** (1/p - 1) * 0
        # would be NaN); p < 1 is no norm, and its derivative at 0 truly has no value
        zero = total == 0
        return where(zero, 0.0, where(zero, 1.0, total) ** inverse)
    return total ** inverse


@functools.partial(custom_jvp, nondiff_argnums=(1, 2, 3))
def _pnorm(x, p, axis, keepdims):
    return _power_sum_norm(x, p, axis, keepdims)


@_pnorm.defjvp
def _pnorm_jvp(p, axis, keepdims, primals, tangents):
    """``d‖x‖ₚ = Σ (|xᵢ|/‖x‖)^(p-1) d|xᵢ|`` with both ``|xᵢ|`` and ``‖x‖`` divided by
    ``m = max|x|`` first: the value keeps NumPy's underflow (0 for ``1e-30 * ones(3)`` in
    float32) and overflow, the derivative does not (``x/‖x‖`` there, where the unscaled
    ratio is 0/0 or inf/inf). At ``x = 0`` it is 0 for ``p > 1`` (JAX: NaN). For ``p < 0``
    a zero entry makes the value 0 and the derivative NaN (it does not exist)."""
    (x,), (t,) = primals, tangents
    y = _pnorm(x, p, axis, keepdims)
    ax = abs(x)
    m = max(ax, axis=axis, keepdims=True)
    zero = m == 0
    m = where(isfinite(m) & ~zero, m, 1.0)  # 0: a zero x; inf/NaN: the ratios are NaN
    n = _power_sum_norm(x / m, p, axis, True)
    vanishes = n == 0
    n = where(vanishes, 1.0, n)
    if p == 2:
        w = (conj(x) if x.dtype.kind == "c" else x) / (m * n)
        w = where(zero, 0.0, w)  # +0.0 at x = 0 (-0.0 / 1 would be -0.0)
    else:
        phase = conj(x) / where(ax == 0, 1.0, ax) if x.dtype.kind == "c" else sign(x)
        w = ((ax / m) / n) ** (p - 1) * phase
        if p < 0:
            # a zero entry makes the value 0 (|0|ᵖ = inf) on a whole neighbourhood's slice,
            # and |t| along it: no derivative (it was 1 for the other entries)
            w = where(vanishes, np.nan, w)
    dy = w * t
    dy = sum(real(dy) if dy.dtype.kind == "c" else dy, axis=axis, keepdims=keepdims)
    return y, dy


def _p_norm(x, p, axis, keepdims):
    if np.ndim(axis) and builtins.any(x.shape[i] == 0 for i in axis) or \
            not np.ndim(axis) and x.shape[axis] == 0:
        return _power_sum_norm(x, p, axis, keepdims)  # no entries, no derivative
    return _pnorm(x, p, axis if not np.ndim(axis) else tuple(int(a) for a in axis), keepdims)


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _p_norm(x, 2, axis, keepdims)
    ax = abs(x)
    if ord in (np.inf, -np.inf):
        return _extreme(ord > 0, ax, axis, keepdims)
    if ord == 0:
        return sum(cast(x != 0, ax.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum(ax, axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise WireValueError(f"linalg.norm: invalid norm order {ord!r} for vectors"
                             f"{at(user_location())}")
    return _p_norm(x, ord, axis, keepdims)


def _extreme(largest, x, axis, keepdims=False):
    """max (``largest``) or min over one axis, as NumPy's norms take them: over an empty axis
    the max is 0 and the min has no value (NumPy raises ``ValueError`` too)."""
    if x.shape[axis] == 0:
        if not largest:
            raise ShapeError(f"linalg.norm: the minimum over an empty axis of {x.aval!r} has "
                             f"no value{at(user_location())}")
        return sum(x, axis=axis, keepdims=keepdims)
    return (max if largest else min)(x, axis=axis, keepdims=keepdims)


def _matrix_norm(x, ord, axes, keepdims):
    r, c = axes
    if ord in (None, "fro", "f"):
        out = _p_norm(x, 2, (r, c), False)
    elif ord in ("nuc", 2, -2):
        xm = moveaxis(x, (r, c), (-2, -1))
        s = svd(xm, full_matrices=False, compute_uv=False)
        out = sum(s, axis=-1) if ord == "nuc" else _extreme(ord == 2, s, s.ndim - 1)
    elif ord in (1, -1):
        out = _extreme(ord == 1, sum(abs(x), axis=r), c - 1 if c > r else c)
    elif ord in (np.inf, -np.inf):
        out = _extreme(ord > 0, sum(abs(x), axis=c), r - 1 if r > c else r)
    else:
        raise WireValueError(f"linalg.norm: invalid norm order {ord!r} for matrices"
                             f"{at(user_location())}")
    if keepdims:
        shape = list(x.shape)
        shape[r] = shape[c] = 1
        out = reshape(out, tuple(shape))
    return out


def _axis_index(axis, ndim):
    """``axis`` in ``0 .. ndim-1``; NumPy's ``AxisError`` outside ``-ndim .. ndim-1``."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise WireAxisError(f"axis {axis} is out of bounds for array of dimension {ndim}"
                            f"{at(user_location())}")
    return axis % ndim


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, every ``ord`` NumPy has (vectors: None/2, 1, inf, -inf, 0, any
    p; matrices: None/"fro", "nuc", 1, -1, 2, -2, inf, -inf). The 2-norm's derivative at 0 is 0.
    The value is NumPy's also where the squares underflow or overflow (0 for ``1e-30`` in
    float32); the derivative of the 2- and p-norms is scaled by ``max|x|`` and is not
    (``x / |x|``).

    >>> float(norm(np.array([3.0, 4.0])))
    5.0
    >>> float(norm(np.array([[1.0, -2.0], [3.0, 4.0]]), 1))
    6.0
    """
    if not _t(x):
        return np.linalg.norm(x, ord, axis, keepdims)
    x = _float(x)
    if axis is None:
        if ord is None:
            out = _p_norm(ravel(x), 2, 0, False)
            return reshape(out, (1,) * x.ndim) if keepdims else out
        if x.ndim == 1:
            axis = 0
        elif x.ndim == 2:
            axis = (0, 1)
        else:
            raise WireValueError(f"linalg.norm: improper number of dimensions to norm"
                                 f"{at(user_location())}")
    if isinstance(axis, (int, np.integer)):
        return _vector_norm(x, ord, normalize_axes(axis, x.ndim)[0], keepdims)
    if len(axis) == 1:
        return _vector_norm(x, ord, normalize_axes(axis[0], x.ndim)[0], keepdims)
    if len(axis) == 2:
        r, c = (_axis_index(a, x.ndim) for a in axis)
        if r == c:
            raise WireValueError(f"linalg.norm: duplicate axes given{at(user_location())}")
        return _matrix_norm(x, ord, (r, c), keepdims)
    raise WireValueError(f"linalg.norm: improper number of dimensions to norm{at(user_location())}")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Array-API vector norm (flattens when ``axis`` is None)."""
    if not _t(x):
        return np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    x = _float(x)
    if axis is None:
        out = _vector_norm(ravel(x), ord, 0, False)
        return reshape(out, (1,) * x.ndim) if keepdims else out
    if isinstance(axis, tuple) and not axis:
        # no axes: each entry is its own vector of one entry, as NumPy's (|x|; ord=0: x != 0)
        return _vector_norm(expand_dims(x, -1), ord, x.ndim, False)
    if isinstance(axis, tuple) and len(axis) > 1:
        axes = normalize_axes(axis, x.ndim)
        rest = [i for i in range(x.ndim) if i not in axes]
        # the flattened size spelled out: -1 has no value when another axis is empty
        flat = int(np.prod([x.shape[i] for i in axes]))
        y = reshape(transpose(x, rest + list(axes)), tuple(x.shape[i] for i in rest) + (flat,))
        out = _vector_norm(y, ord, y.ndim - 1, False)
        if keepdims:
            out = reshape(out, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
        return out
    return norm(x, ord, axis, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Array-API matrix norm over the last two axes."""
    if not _t(x):
        return np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    x = _float(x)
    _axis_index(-2, x.ndim)
    return _matrix_norm(x, ord, (x.ndim - 2, x.ndim - 1), keepdims)


# --------------------------------------------------------------------------- compositions


_UNSET = object()  # NumPy's "argument not given" for pinv's rtol (None means something else)


def pinv(a, rcond=None, hermitian=False, *, rtol=_UNSET):
    """Moore–Penrose pseudo-inverse, with NumPy's cutoff (singular values below
    ``rcond * max(s)`` are dropped; ``rcond`` defaults to 1e-15, ``rtol=None`` to
    ``max(m, n) * eps``). Its derivative (Golub & Pereyra) holds wherever the rank does not
    change, also at repeated singular values (an orthogonal matrix, the identity).

    >>> import wire
    >>> wire.grad(lambda a: wire.numpy.sum(pinv(a)))(np.eye(2)).tolist()
    [[-1.0, -1.0], [-1.0, -1.0]]
    """
    if not _t(a):
        kw = {} if rtol is _UNSET else {"rtol": rtol}
        bad = None if hermitian else _nonfinite(a)
        if bad is None:
            return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian, **kw)
        p = np.linalg.pinv(np.where(bad[..., None, None], 0, a), rcond=rcond, **kw)
        return np.where(bad[..., None, None], np.nan, p)
    a = _float(a)
    if a.ndim < 2:
        raise LinAlgShapeError(f"linalg.pinv: expected matrices, got {a.aval!r}"
                               f"{at(user_location())}")
    if rcond is None:
        if rtol is _UNSET:
            rcond = 1e-15
        else:
            rcond = builtins.max(a.shape[-2:]) * np.finfo(a.dtype).eps if rtol is None else rtol
    elif rtol is not _UNSET:
        raise WireValueError(f"linalg.pinv: rtol and rcond cannot both be set{at(user_location())}")
    if np.ndim(rcond):
        raise WireError(f"linalg.pinv: an array rcond is not supported on traced values"
                        f"{at(user_location())}")
    if 0 in a.shape[-2:]:
        return zeros_like(swapaxes(a, -1, -2))
    if hermitian:  # NumPy's from eigh (LAPACK's other routine: other last bits)
        return LX.pinv(_hermitian_input(a, "pinv"), rcond, hermitian=True)
    return LX.pinv(a, rcond)


def matrix_power(a, n):
    """``a`` to the integer power ``n`` by repeated squaring (``inv`` first when ``n < 0``).

    >>> matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
    array([[1., 3.],
           [0., 1.]])
    """
    if not _t(a):
        return np.linalg.matrix_power(a, n)
    _square(a, "matrix_power")
    try:
        n = operator.index(n)  # NumPy's test: 2.0 and 2.5 are refused, not truncated
    except TypeError:
        raise WireTypeError(f"linalg.matrix_power: the exponent must be an integer, got "
                            f"{n!r}{at(user_location())}") from None
    if n == 0:  # the identity, whatever a holds (0 * nan would not be 0)
        return zeros_like(a) + np.eye(a.shape[-1], dtype=a.dtype)
    if n < 0:
        a, n = inv(a), -n
    # NumPy's order of products (it decides where an inf meets a 0, and the rounding)
    if n <= 3:
        return a if n == 1 else matmul(a, a) if n == 2 else matmul(matmul(a, a), a)
    result = z = None
    while n:
        z = a if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """Rank from the singular values (an integer: no derivative)."""
    if not _t(A):
        return np.linalg.matrix_rank(A, tol=tol, hermitian=hermitian, rtol=rtol)
    A = _float(A)
    if A.ndim < 2:
        return cast(~(A == 0).all(), np.intp) if hasattr(A == 0, "all") else int(np.any(A))
    # hermitian: NumPy's |eigvalsh(A)| (LAPACK's symmetric eigensolver), not singular values:
    # the two differ in the last bits, which decide the rank of a matrix whose smallest
    # eigenvalue lies near the cutoff
    s = abs(LX.eigvalsh(_hermitian_input(A, "matrix_rank"))) if hermitian else svdvals(A)
    if s.shape[-1] == 0:  # an empty matrix has rank 0
        return sum(zeros_like(s) > 0, axis=-1)
    # an array tol/rtol holds one value per matrix of the stack: a new last axis lines it up
    # with the singular values, as NumPy does (and its own shape broadcasts in front)
    if tol is None:
        if rtol is None:
            r = builtins.max(A.shape[-2:]) * np.finfo(A.dtype).eps
        else:
            r = expand_dims(rtol, -1) if np.ndim(rtol) else rtol
        tol = max(s, axis=-1, keepdims=True) * r
    elif np.ndim(tol):
        tol = expand_dims(tol, -1)
    return sum(s > tol, axis=-1)


def _chain_order(shapes):
    """NumPy's multiplication order for a chain of 2-D shapes: ``split[i][j]`` is where the
    product of matrices ``i..j`` splits (the classic dynamic programme on flop counts, ties
    to the first split, as NumPy breaks them). The order decides the rounding."""
    n = len(shapes)
    p = [sh[0] for sh in shapes] + [shapes[-1][1]]
    cost = [[0.0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = float("inf")
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain_product(arrays, split, i, j):
    if i == j:
        return arrays[i]
    k = split[i][j]
    return matmul(_chain_product(arrays, split, i, k), _chain_product(arrays, split, k + 1, j))


def multi_dot(arrays, *, out=None):
    """Product of several matrices (vectors allowed at the ends), in NumPy's order: the one
    with the fewest flops, so the result rounds as NumPy's does.

    >>> import wire
    >>> a = np.arange(6.0).reshape(2, 3)
    >>> wire.jit(lambda a: multi_dot([a, a.T, a]))(a).shape
    (2, 3)
    """
    if not _t(*arrays):
        return np.linalg.multi_dot(arrays) if out is None else np.linalg.multi_dot(arrays, out=out)
    if out is not None:
        raise WireError(f"linalg.multi_dot: out= is not supported on traced values"
                        f"{at(user_location())}")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise WireValueError(f"linalg.multi_dot: expected at least two arrays{at(user_location())}")
    if len(arrays) == 2:
        return matmul(arrays[0], arrays[1])
    first_1d, last_1d = np.ndim(arrays[0]) == 1, np.ndim(arrays[-1]) == 1
    if first_1d:
        arrays[0] = reshape(arrays[0], (1, -1))
    if last_1d:
        arrays[-1] = reshape(arrays[-1], (-1, 1))
    for x in arrays:
        if np.ndim(x) != 2:
            raise LinAlgShapeError(f"linalg.multi_dot: expected 2-D arrays (1-D at the ends), "
                                   f"got shape {tuple(np.shape(x))}{at(user_location())}")
    result = _chain_product(arrays, _chain_order([np.shape(x) for x in arrays]), 0,
                            len(arrays) - 1)
    if first_1d and last_1d:
        return result[0, 0]
    return ravel(result) if first_1d or last_1d else result


def lstsq(a, b, rcond=None):
    """Least-squares solution ``(x, residuals, rank, s)``: NumPy's (LAPACK's ``gelsd``, in
    double precision also for float32) traced too, with NumPy's cutoff (singular values at
    most ``rcond * max(s)`` count as zero; ``rcond`` defaults to ``max(m, n)`` times
    float64's eps, also for float32; an ``rcond`` of at most 0 or at least 1, as ``-1``, is
    LAPACK's machine precision ``2**-53``). ``rank`` is that count, as NumPy's int32. ``x``
    differentiates as ``pinv(a) @ b`` (Golub & Pereyra: where the rank is locally constant).
    ``residuals`` (the squared residual norms) has NumPy's shape when ``a`` is tall: NumPy
    returns an empty array instead when ``a`` is rank-deficient, which a traced shape cannot
    depend on, so there it holds NaN. For a square or wide ``a`` it is empty, as in NumPy.

    >>> import wire
    >>> a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])  # rank 1
    >>> x, res, rank, s = wire.jit(lambda a: lstsq(a, np.ones(3)))(a)
    >>> int(rank), res.tolist()
    (1, [nan])
    """
    if not _t(a, b):
        if _nonfinite(a, "SVD") is not None:  # NumPy's error, where its LAPACK call may hang
            raise LinAlgError("SVD did not converge in Linear Least Squares")
        return np.linalg.lstsq(a, b, rcond=rcond)
    a, b = _common(a, b)
    if a.ndim != 2 or np.ndim(b) not in (1, 2) or np.shape(b)[0] != a.shape[0]:
        raise LinAlgShapeError(f"linalg.lstsq: a must be (m, n) and b (m,) or (m, k) with the "
                               f"same m, got {tuple(a.shape)} and {tuple(np.shape(b))}"
                               f"{at(user_location())}")
    m, n = a.shape[-2:]
    # NumPy computes in double precision (float32 too), and its default cutoff is double's
    cutoff = np.finfo(np.float64).eps * builtins.max(m, n) if rcond is None else rcond
    if cutoff <= 0 or cutoff >= 1:
        # LAPACK's gelsd takes such an rcond (NumPy's legacy rcond=-1, 0) as its machine
        # precision, 2**-53: the rank, and the pseudo-inverse x differentiates as, use it too
        cutoff = np.finfo(np.float64).epsneg
    if builtins.min(m, n) == 0:
        x = matmul(pinv(a, cutoff), b)
        s = svdvals(a)
        rank = np.int32(0)
        res = sum(_abs2(b - matmul(a, x)), axis=0)
        res = reshape(res, (1,)) if res.ndim == 0 else res
    else:
        # NumPy's own call (LAPACK's gelsd): x, s and the residuals to its bits; x
        # differentiates as pinv(a) b (where a holds ±inf or NaN, x is NaN: NumPy raises)
        x, s, res = LX.lstsq(a, expand_dims(b, -1) if np.ndim(b) == 1 else b, cutoff)
        if np.ndim(b) == 1:
            x = x[..., 0]
        rank = cast(sum(s > cutoff * max(s, axis=-1), axis=-1), np.int32)
    real_dtype = s.dtype
    if m > n:
        res = where(rank == n, res, np.array(np.nan, real_dtype))
    else:
        res = np.zeros((0,), real_dtype)
    return x, res, rank, s  # NumPy's rank is an int32


def cond(x, p=None):
    """Condition number (``p`` None/2/-2 via singular values, else ``norm(x) * norm(inv(x))``).
    A singular matrix has condition number inf (every ``p``, as NumPy), not an error.

    >>> import wire
    >>> float(wire.jit(lambda a: cond(a, 1))(np.array([[1.0, 2.0], [2.0, 4.0]])))
    inf
    """
    if not _t(x):
        return np.linalg.cond(x, p)
    x = _float(x)
    if x.ndim >= 2 and 0 in x.shape[-2:]:
        raise LinAlgShapeError(f"linalg.cond is not defined on empty matrices ({x.aval!r})"
                               f"{at(user_location())}")
    if p in (None, 2, -2):
        s = svdvals(x)
        big, small = max(s, axis=-1), min(s, axis=-1)
        r = big / small if p != -2 else small / big
    else:
        _square(x, "cond")
        # NumPy inverts with errors ignored: an exactly singular matrix has condition number
        # inf, not LinAlgError (inv_or_inf's ±inf/NaN entries make the norm inf or NaN)
        # NumPy inverts in double precision also for float32 (complex64) x, and rounds the
        # product of the norms to x's real dtype: the inverse of a tiny float32 matrix
        # would overflow (inf) where NumPy's condition number is finite
        inverse = LX.inv_or_inf(cast(x, np.promote_types(x.dtype, np.float64)))
        r = norm(x, p, axis=(-2, -1)) * norm(inverse, p, axis=(-2, -1))
        r = cast(r, np.finfo(x.dtype).dtype)
    # NumPy: a NaN condition number (a singular matrix, 0/0; an inf entry) is inf, unless the
    # matrix itself holds a NaN
    return _nan_cond_is_inf(r, cast(any(isnan(x), axis=(-2, -1)), r.dtype))


@custom_jvp
def _nan_cond_is_inf(r, x_has_nan):
    return where(isnan(r) & (x_has_nan == 0), np.inf, r)


@_nan_cond_is_inf.defjvp
def _nan_cond_is_inf_jvp(primals, tangents):
    """Where the condition number is inf (a singular matrix: a NaN ratio 0/0, or s_max / 0),
    it has no derivative: NaN, not the 0 of the constant inf nor the -inf of -s_max / 0²."""
    (r, x_has_nan), (dr, _) = primals, tangents
    return _nan_cond_is_inf(r, x_has_nan), where(~isfinite(r), np.nan, dr)


def tensorinv(a, ind=2):
    """Inverse of ``a`` seen as a linear map from its last ``a.ndim - ind`` axes to its first
    ``ind`` axes (NumPy's ``tensorinv``): ``inv`` of the reshaped square matrix.

    >>> tensorinv(np.eye(4).reshape(4, 2, 2), ind=1).shape
    (2, 2, 4)
    """
    if not _t(a):
        return np.linalg.tensorinv(a, ind)
    if ind <= 0:
        raise WireValueError(f"linalg.tensorinv: ind must be a positive integer, got {ind}"
                             f"{at(user_location())}")
    out_shape, in_shape = tuple(a.shape[ind:]), tuple(a.shape[:ind])
    rows, cols = int(np.prod(in_shape)), int(np.prod(out_shape))
    if rows != cols:
        raise LinAlgShapeError(f"linalg.tensorinv: {a.aval!r} is not square when split after "
                               f"axis {ind} ({rows} x {cols}){at(user_location())}")
    return reshape(inv(reshape(a, (rows, cols))), out_shape + in_shape)


def tensorsolve(a, b, axes=None):
    """The ``x`` with ``tensordot(a, x, x.ndim) == b`` (NumPy's ``tensorsolve``).

    >>> tensorsolve(2 * np.eye(6).reshape(6, 2, 3), np.ones(6)).shape
    (2, 3)
    """
    if not _t(a, b):
        return np.linalg.tensorsolve(a, b, axes)
    a, b = _common(a, b)
    if axes is not None:
        rest = [i for i in range(a.ndim) if i not in [int(k) % a.ndim for k in axes]]
        a = transpose(a, rest + [int(k) % a.ndim for k in axes])
    x_shape = tuple(a.shape[b.ndim:])
    n = int(np.prod(x_shape))
    if int(np.prod(a.shape)) != n * n:
        raise LinAlgShapeError(f"linalg.tensorsolve: shape {tuple(np.shape(a))} does not split "
                               f"into a square matrix for the right-hand side of shape "
                               f"{tuple(np.shape(b))}{at(user_location())}")
    return reshape(solve(reshape(a, (n, n)), ravel(b)), x_shape)


def vecdot(x1, x2, /, *, axis=-1):
    """Dot product along ``axis`` (conjugating ``x1``), broadcasting the rest."""
    if not _t(x1, x2):
        return np.linalg.vecdot(x1, x2, axis=axis)
    return traced_vecdot(x1, x2, axis, "linalg.vecdot")


def matrix_transpose(x, /):
    """Swap the last two axes (of an array with at least two, as NumPy).

    >>> matrix_transpose(np.arange(6.0).reshape(2, 3)).shape
    (3, 2)
    """
    if not _t(x):
        return np.linalg.matrix_transpose(x)
    if np.ndim(x) < 2:
        raise ShapeError(f"linalg.matrix_transpose: expected (a stack of) matrices, got shape "
                         f"{tuple(np.shape(x))}{at(user_location())}")
    return swapaxes(x, -1, -2)


def outer(x1, x2, /):
    """Outer product of two vectors; the Array-API ``linalg.outer`` takes 1-D inputs only
    (``numpy.outer`` flattens whatever it gets; this one, as NumPy's, refuses).

    >>> outer(np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])).shape
    (2, 3)
    """
    if not _t(x1, x2):
        return np.linalg.outer(x1, x2)
    if np.ndim(x1) != 1 or np.ndim(x2) != 1:
        raise ShapeError(f"linalg.outer: expected two vectors, got shapes {tuple(np.shape(x1))} "
                         f"and {tuple(np.shape(x2))}{at(user_location())}")
    return _outer(x1, x2)


def diagonal(x, /, *, offset=0):
    """Diagonals of the last two axes."""
    if not _t(x):
        return np.linalg.diagonal(x, offset=offset)
    if x.ndim < 2:
        raise WireValueError(f"linalg.diagonal: expected (a stack of) matrices, got {x.aval!r}"
                             f"{at(user_location())}")
    return _diagonal(x, offset, -2, -1)


def trace(x, /, *, offset=0, dtype=None):
    """Traces of the last two axes."""
    if not _t(x):
        return np.linalg.trace(x, offset=offset, dtype=dtype)
    return sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


def cross(x1, x2, /, *, axis=-1):
    """Cross product of 3-vectors along ``axis`` (``numpy.cross`` also takes 2-vectors; the
    Array-API ``linalg.cross`` does not, and neither does this one).

    >>> cross(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    array([0., 0., 1.])
    """
    if not _t(x1, x2):
        return np.linalg.cross(x1, x2, axis=axis)
    n1, n2 = (np.shape(x)[axis] if np.ndim(x) else 0 for x in (x1, x2))
    if n1 != 3 or n2 != 3:
        raise ShapeError(f"linalg.cross: both inputs must be (arrays of) 3-vectors along axis "
                         f"{axis}, got shapes {tuple(np.shape(x1))} and {tuple(np.shape(x2))}"
                         f"{at(user_location())}")
    return _cross(x1, x2, axis=axis)

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
