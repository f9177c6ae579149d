"""``wire.scipy.linalg``: SciPy's linear algebra, differentiable, on arrays and tracers.

* solvers and decompositions with SciPy's signatures: ``solve`` (``assume_a``, ``lower``,
  ``transposed``), ``inv``, ``det``, ``eigh``/``eigvalsh`` (also generalized),
  ``eig``/``eigvals``, ``eigh_tridiagonal``, ``svd``/``svdvals``, ``qr``, ``lu``/``lu_factor``
  /``lu_solve``, ``norm``, ``pinv``/``pinvh``, ``lstsq`` (in ``._decomp``);
* triangular solves and Cholesky: ``solve_triangular``, ``cholesky``, ``cho_factor``,
  ``cho_solve`` (in ``._triangular``: only the triangle SciPy reads carries a derivative);
* special matrices: ``block_diag``, ``toeplitz``, ``circulant``, ``hankel``, ``companion``,
  ``fiedler``, ``fiedler_companion``, ``leslie``, ``convolution_matrix`` and the constant ones
  ``hilbert``, ``invhilbert``, ``pascal``, ``invpascal``, ``hadamard``, ``helmert``, ``dft``
  (in ``._matrices``);
* ``solve_sylvester``, ``solve_continuous_lyapunov``, ``solve_discrete_lyapunov`` (in
  ``._equations``);
* ``sqrtm`` and ``polar`` (in ``._square_roots``: derivatives by a Sylvester equation);
* ``expm`` and ``expm_frechet`` (here). ``expm`` is scaling-and-squaring with the degree-13
Padé approximant (Higham 2005); its reverse-mode derivative is the Fréchet derivative at
``Aᵀ`` (the transpose of ``L(A, ·)`` under the pairing ``Re(sum(G * L))`` is ``L(Aᵀ, ·)``), computed as a block of ``expm([[Aᴴ, G], [0, Aᴴ]])`` by this
same function, so every order of reverse mode works. Forward mode differentiates the Padé
approximant and the squarings themselves; the squarings' loop has a reverse mode by
recomputation (``reversible_while``), so reverse over forward (``jacrev(jacfwd)``) works too.

On concrete arrays the SciPy functions are called when SciPy is installed. Traced (under
``jit``, ``vmap``, ``grad``), the values are SciPy's too, to the bit: its own routine runs
through the ``scipy_linalg`` primitive (``wire.ops.scipy_linalg``), and the derivatives are
those of the differentiable compositions described here (``scipy_valued`` in ``._triangular``).

>>> import numpy as np
>>> from wire.scipy.linalg import expm
>>> expm(np.zeros((2, 2)))
array([[1., 0.],
       [0., 1.]])
"""

from __future__ import annotations

import functools

import numpy as np

from .. import numpy as wnp
from ..higher_order.while_loop import reversible_while
from ..api.custom import custom_vjp
from ..errors import ShapeError, WireValueError, at, user_location
from ..tracebacks import expose
from ._decomp import (det, eig, eigh, eigh_tridiagonal, eigvals, eigvalsh,
                      eigvalsh_tridiagonal, inv, lstsq, lu, lu_factor, lu_solve, norm, pinv,
                      pinvh, qr, solve, svd, svdvals)
from ._decomp import (hessenberg, ldl, matrix_balance, qr_multiply, qz, rsf2csf, schur,
                      subspace_angles)
from ._decomp import NAMES as _DECOMP_NAMES
from ._decomp import scipy_valued
from ._equations import solve_continuous_lyapunov, solve_discrete_lyapunov, solve_sylvester
from ._equations import (solve_banded, solve_circulant, solve_toeplitz, solveh_banded)
from ._equations import NAMES as _EQUATION_NAMES
from ._matrices import block_diag, circulant, companion, hankel, toeplitz
from ._matrices import (convolution_matrix, dft, fiedler, fiedler_companion, hadamard,
                        helmert, hilbert, invhilbert, invpascal, leslie, pascal)
from ._matrices import bandwidth, ishermitian, issymmetric, khatri_rao
from ._matrices import NAMES as _MATRIX_NAMES
from ._square_roots import fractional_matrix_power, funm, logm, polar, signm, sqrtm
from ._subspaces import null_space, orth
from ._traced import check_finite_values as _finite
from ._triangular import _float, _square, _traced, cho_factor, cho_solve, cholesky
from ._triangular import solve_triangular
from ..ops.optional import module as _optional_module

_sl = _optional_module("scipy.linalg")  # None without SciPy; imported on first use

__all__ = ["cho_factor", "cho_solve", "cholesky", "coshm", "cosm", "expm", "expm_frechet",
           "fractional_matrix_power", "funm", "logm", "null_space", "orth", "polar", "signm", "sinhm", "sinm",
           "solve_triangular", "sqrtm", "tanhm", "tanm",
           *_DECOMP_NAMES, *_EQUATION_NAMES, *_MATRIX_NAMES]


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
    eye = np.eye(n, dtype=a.dtype)  # (float64 would promote a float32 a)
    norm = wnp.stop_gradient(_norm1(a))
    s = wnp.ceil(wnp.log2(wnp.where(norm > _THETA13, norm, _THETA13) / _THETA13))
    s = wnp.where(wnp.isfinite(s), wnp.clip(s, 0.0, _MAX_SQUARINGS), 0.0)
    scaled = a / wnp.expand_dims(wnp.exp2(s), (-1, -2))
    r = _pade13(scaled, eye)
    steps = wnp.expand_dims(s, (-1, -2))

    def body(consts, carry):
        (k, _), (i, x) = consts, carry
        return [i + 1.0, wnp.where(i < k, x @ x, x)]

    # the squarings: a loop whose reverse mode recomputes its steps (few: s is about
    # log2 of the norm), so the forward-mode derivative transposes too (jacrev(jacfwd),
    # the grad of a jvp, a custom JVP rule's transpose)
    _, r = reversible_while(lambda c, k: k[0] < c[1], body, [steps, wnp.max(s)],
                            [wnp.zeros((), r.dtype), r])
    return r


# forward mode differentiates the Padé form itself (the squarings' loop transposes, by
# recomputation), reverse mode is the Fréchet derivative at aᵀ; both give expm's derivative
@functools.partial(custom_vjp, forward="function")
def _expm(a):
    return _expm_pade(a)


def _expm_fwd(a):
    return _expm(a), a


def _expm_bwd(a, g):
    # the transpose of E -> L(a, E) under the pairing Re(sum(G * L)) (wire's and JAX's
    # convention for complex inputs) is L(aᵀ, ·): no conjugate (the conjugate was the
    # Hermitian adjoint, wrong for a complex a: the gradient of Re expm(a)[0, 0] at a
    # complex a was off)
    return (_frechet(wnp.swapaxes(a, -1, -2), g),)


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
    _square(A, "expm")
    if 0 in A.shape:  # 0x0 matrices, or none (an empty stack): nothing to exponentiate
        return A
    if A.dtype.char in "fdFD":  # SciPy's own expm traced too (its bits), these derivatives
        return scipy_valued("expm", _expm_traced, [A])
    return _expm_traced(A)


def _expm_traced(A):
    """``expm`` by the Padé approximant and squarings (its derivatives)."""
    n = A.shape[-1]
    out = _expm(A)
    # a diagonal A with an infinite entry: exp of the diagonal (inf, 0), as SciPy, where the
    # Padé approximant's inf - inf would make every entry NaN
    d = wnp.diagonal(A, axis1=-2, axis2=-1)
    off_zero = wnp.all((A == 0) | np.eye(n, dtype=bool), axis=(-2, -1))
    diagonal_inf = off_zero & wnp.any(wnp.isinf(d), axis=-1)
    exact = wnp.stop_gradient(wnp.where(np.eye(n, dtype=bool), wnp.expand_dims(wnp.exp(d), -1),
                                        wnp.zeros_like(A)))
    return wnp.where(wnp.expand_dims(diagonal_inf, (-1, -2)), exact, out)


# --------------------------------------------------------------------------- trigonometric
# and hyperbolic functions: SciPy's formulas in expm (and solve), so traced values are its
# bits, and derivatives of every order are expm's


def _trig_input(A, what):
    A = _float(A)
    _square(A, what)
    return A


def sinm(A):
    """Matrix sine, SciPy's: ``Im expm(iA)`` for a real ``A``, else
    ``-i (expm(iA) - expm(-iA)) / 2``.

    >>> import wire
    >>> bool(np.allclose(sinm(np.diag([0.5, 1.0])), np.diag(np.sin([0.5, 1.0]))))
    True
    >>> round(float(wire.grad(lambda a: sinm(a)[0, 0])(np.diag([0.5, 1.0]))[0, 0]), 10)
    0.8775825619
    """
    if not _traced(A) and _sl is not None:
        return _sl.sinm(A)
    A = _trig_input(A, "sinm")
    if A.dtype.kind == "c":
        return -0.5j * (expm(1j * A) - expm(-1j * A))
    return wnp.imag(expm(1j * A))


def cosm(A):
    """Matrix cosine, SciPy's: ``Re expm(iA)`` for a real ``A``, else
    ``(expm(iA) + expm(-iA)) / 2``.

    >>> bool(np.allclose(cosm(np.diag([0.5, 1.0])), np.diag(np.cos([0.5, 1.0]))))
    True
    """
    if not _traced(A) and _sl is not None:
        return _sl.cosm(A)
    A = _trig_input(A, "cosm")
    if A.dtype.kind == "c":
        return 0.5 * (expm(1j * A) + expm(-1j * A))
    return wnp.real(expm(1j * A))


def tanm(A):
    """Matrix tangent, SciPy's: ``solve(cosm(A), sinm(A))``.

    >>> bool(np.allclose(tanm(np.diag([0.5, 1.0])), np.diag(np.tan([0.5, 1.0]))))
    True
    """
    if not _traced(A) and _sl is not None:
        return _sl.tanm(A)
    A = _trig_input(A, "tanm")
    return solve(cosm(A), sinm(A), check_finite=False)


def sinhm(A):
    """Matrix hyperbolic sine, SciPy's: ``(expm(A) - expm(-A)) / 2``.

    >>> bool(np.allclose(sinhm(np.diag([0.5, 1.0])), np.diag(np.sinh([0.5, 1.0]))))
    True
    """
    if not _traced(A) and _sl is not None:
        return _sl.sinhm(A)
    A = _trig_input(A, "sinhm")
    return 0.5 * (expm(A) - expm(-A))


def coshm(A):
    """Matrix hyperbolic cosine, SciPy's: ``(expm(A) + expm(-A)) / 2``.

    >>> bool(np.allclose(coshm(np.diag([0.5, 1.0])), np.diag(np.cosh([0.5, 1.0]))))
    True
    """
    if not _traced(A) and _sl is not None:
        return _sl.coshm(A)
    A = _trig_input(A, "coshm")
    return 0.5 * (expm(A) + expm(-A))


def tanhm(A):
    """Matrix hyperbolic tangent, SciPy's: ``solve(coshm(A), sinhm(A))``.

    >>> bool(np.allclose(tanhm(np.diag([0.5, 1.0])), np.diag(np.tanh([0.5, 1.0]))))
    True
    """
    if not _traced(A) and _sl is not None:
        return _sl.tanhm(A)
    A = _trig_input(A, "tanhm")
    return solve(coshm(A), sinhm(A), check_finite=False)


def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    """``(expm(A), L(A, E))``, or only the Fréchet derivative with ``compute_expm=False``.

    >>> A = np.array([[1.0, 2.0], [0.0, 3.0]])
    >>> L = expm_frechet(A, np.eye(2), compute_expm=False)
    >>> np.allclose(L, expm(A))     # A commutes with I: L(A, I) = expm(A)
    True
    """
    _finite("expm_frechet", check_finite, A, E)
    if not _traced(A, E) and _sl is not None:
        return _sl.expm_frechet(A, E, method=method, compute_expm=compute_expm,
                                check_finite=False)
    A0, E0 = _float(A), _float(E)
    # SciPy computes in float64 (complex128) whatever the inputs' precision
    dtype = np.promote_types(np.promote_types(A0.dtype, E0.dtype), np.float64)
    A, E = wnp.asarray(A0, dtype), wnp.asarray(E0, dtype)
    n = _square(A, "expm_frechet")
    if tuple(wnp.shape(A)) != tuple(wnp.shape(E)):
        raise ShapeError(f"expm_frechet: A {tuple(wnp.shape(A))} and E {tuple(wnp.shape(E))} "
                         f"must have the same shape{at(user_location())}")
    if 0 in tuple(wnp.shape(A))[:-2]:  # SciPy's refusal (wire's norm scaling had no maximum)
        raise WireValueError(f"expm_frechet does not support zero-size batches, got "
                             f"{tuple(wnp.shape(A))}{at(user_location())}")
    if n == 0:  # (0x0: nothing to scale by a norm)
        return (expm(A), E) if compute_expm else E

    if _sl is not None and A0.dtype.char in "fdFD" and E0.dtype.char in "fdFD":
        # SciPy's own (its expm and L from one scaling and squaring, from the inputs as they
        # are), traced too
        return scipy_valued("expm_frechet", _expm_frechet, [A0, E0],
                            dict(method=method, compute_expm=bool(compute_expm)),
                            ref_kw=dict(compute_expm=bool(compute_expm)))
    return _expm_frechet(A, E, compute_expm)


def _expm_frechet(A, E, compute_expm):
    """``expm_frechet`` by the block ``expm`` (its derivatives), in double precision."""
    dtype = np.promote_types(np.promote_types(A.dtype, E.dtype), np.float64)
    A, E = wnp.asarray(A, dtype), wnp.asarray(E, dtype)
    L = _frechet(A, E)
    return (expm(A), L) if compute_expm else L

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
