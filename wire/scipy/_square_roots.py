"""``sqrtm`` and ``polar`` of ``wire.scipy.linalg``: the principal square root of a real
matrix, and the polar decomposition, whose factor ``P = √(AᵀA)`` has the same derivative.

On traced values the root is the scaled product form of the Denman–Beavers iteration
(Higham, *Functions of Matrices*, 2008, eq. 6.29): ``M₀ = X₀ = A``,
``X ← μ X (I + μ⁻² M⁻¹) / 2``, ``M ← (I + (μ² M + μ⁻² M⁻¹) / 2) / 2`` with the determinant
scaling ``μ = |det M|^(-1/2n)``, until ``M`` is the identity (quadratic convergence, numerically
stable, unlike Newton's iteration). Its reverse-mode derivative is not the iteration's: the
cotangent ``Ḡ`` of ``X = √A`` is the solution ``Y`` of ``Xᵀ Y + Y Xᵀ = Ḡ`` (the adjoint of
``X dX + dX X = dA``), a Sylvester equation solved with the same ``solve_sylvester`` that is
itself differentiable, so every order of reverse mode works.
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from ..api.control_flow import while_loop
from ..api.custom import custom_vjp
from ..errors import WireError, at, user_location
from ._equations import solve_sylvester
from ._triangular import _float, _square, _traced

try:
    import scipy.linalg as _sl
except ImportError:  # pragma: no cover - exercised only without scipy
    _sl = None

_MAX_STEPS = 100.0  # quadratic convergence: far more than any finite root needs
_POLISH = 2  # unscaled steps after M is within 1e-10 of I: quadratic, so then to rounding


def _step(x, m, eye, scale):
    n = m.shape[-1]
    minv = wnp.linalg.inv(m)
    if scale:
        mu = wnp.abs(wnp.linalg.det(m)) ** (-0.5 / n)
        mu = wnp.stop_gradient(wnp.where(wnp.isfinite(mu) & (mu > 0), mu, 1.0))
    else:
        mu = wnp.ones((), m.dtype)
    mu2 = mu * mu
    x = mu * (x @ (eye + minv / mu2)) * 0.5
    m = (eye + (mu2 * m + minv / mu2) * 0.5) * 0.5
    return x, m


def _dist(m, eye):
    return wnp.max(wnp.abs(m - eye))


def _root(a):
    eye = np.eye(a.shape[-1], dtype=a.dtype)
    # an eigenvalue on the closed negative real axis: no real principal root (SciPy's is
    # complex), and M would become singular on the way; the iteration runs on I instead
    finite = wnp.all(wnp.isfinite(a))
    lam = wnp.linalg.eigvals(wnp.stop_gradient(wnp.where(finite, a, eye)))
    bad = wnp.any((wnp.imag(lam) == 0) & (wnp.real(lam) <= 0)) | ~finite
    a = wnp.where(bad, eye, a)

    def body(carry):
        i, x, m = carry
        x, m = _step(x, m, eye, True)
        return i + 1.0, x, m

    def more(carry):
        i, _, m = carry
        return (i < _MAX_STEPS) & (_dist(m, eye) > 1e-10)

    _, x, m = while_loop(more, body, (wnp.zeros((), a.dtype), a, a))
    for _ in range(_POLISH):
        x, m = _step(x, m, eye, False)
    return wnp.where(bad | ~(_dist(m, eye) < 1e-6), np.nan, x)


@custom_vjp
def _sqrtm(a):
    return _root(a)


def _sqrtm_fwd(a):
    x = _sqrtm(a)
    return x, x


def _sqrtm_bwd(x, g):
    xt = wnp.swapaxes(x, -1, -2)
    return (solve_sylvester(xt, xt, g),)


_sqrtm.defvjp(_sqrtm_fwd, _sqrtm_bwd)


def sqrtm(A, disp=True, blocksize=64):
    """The principal square root ``X`` of ``A`` (``X @ X = A``, eigenvalues of ``X`` in the
    right half-plane). Concrete arrays go to SciPy (complex where ``A`` has negative real
    eigenvalues); a traced ``A`` must be a real ``(n, n)`` matrix with none, and gets ``NaN``
    where it has one. Reverse-mode derivatives of every order, by the Sylvester equation
    ``X dX + dX X = dA``.

    >>> import wire
    >>> A = np.array([[4.0, 1.0], [0.0, 9.0]])
    >>> np.round(sqrtm(A), 12)
    array([[2. , 0.2],
           [0. , 3. ]])
    >>> round(float(wire.grad(lambda A: sqrtm(A)[0, 0])(A)[0, 0]), 12)   # 1/(2√4)
    0.25
    """
    if not _traced(A) and _sl is not None:
        return _sl.sqrtm(A) if disp is True else _sl.sqrtm(A, disp=disp)
    if disp is not True:
        raise WireError(f"sqrtm: disp=False (an error estimate) is supported on concrete "
                        f"arrays only{at(user_location())}")
    A = _float(A)
    if A.dtype.kind == "c":
        raise WireError(f"sqrtm: a traced A must be real, got {A.dtype}{at(user_location())}")
    n = _square(A, "sqrtm")
    if A.ndim != 2:
        raise WireError(f"sqrtm: a traced A must be one (n, n) matrix, got shape "
                        f"{tuple(A.shape)}{at(user_location())}")
    if n == 0:
        return A
    return _sqrtm(A)


@custom_vjp
def _polar_right(a):
    w, s, vh = wnp.linalg.svd(a, full_matrices=False)  # SciPy's construction, same values
    return w @ vh, (wnp.swapaxes(vh, -1, -2) * s) @ vh


def _polar_fwd(a):
    u, p = _polar_right(a)
    return (u, p), (a, u, p)


def _polar_bwd(res, g):
    """``A = U P`` with ``P² = AᵀA``: ``P dP + dP P = dAᵀ A + Aᵀ dA`` and
    ``dU = (dA - U dP) P⁻¹``. Pulled back: ``Ḡp' = Ḡp - Uᵀ Ḡu P⁻¹``, ``Y`` solving
    ``P Y + Y P = Ḡp'``, and ``Ā = Ḡu P⁻¹ + A (Y + Yᵀ)``."""
    a, u, p = res
    gu, gp = g
    pinv = wnp.linalg.inv(p)
    gu_pinv = gu @ pinv
    y = solve_sylvester(p, p, gp - wnp.swapaxes(u, -1, -2) @ gu_pinv)
    return (gu_pinv + a @ (y + wnp.swapaxes(y, -1, -2)),)


_polar_right.defvjp(_polar_fwd, _polar_bwd)


def polar(a, side="right"):
    """The polar decomposition ``a = u p`` (``side="right"``) or ``a = p u`` (``"left"``):
    ``u`` with orthonormal columns (rows), ``p`` symmetric positive semi-definite, from the
    SVD as SciPy builds them. Reverse-mode derivatives of every order on traced values, by
    the Sylvester equation of ``p² = aᵀa`` (they need ``p`` nonsingular: ``a`` of full rank,
    at least as many rows as columns for ``"right"``, at most for ``"left"``).

    >>> import wire
    >>> u, p = polar(np.array([[0.0, 2.0], [-3.0, 0.0]]))
    >>> u, p
    (array([[ 0.,  1.],
           [-1.,  0.]]), array([[3., 0.],
           [0., 2.]]))
    >>> g = wire.grad(lambda a: polar(a)[1][0, 0])(np.array([[0.0, 2.0], [-3.0, 0.0]]))
    >>> g + 0.0                                         # p[0, 0] = |column 0| of a
    array([[ 0.,  0.],
           [-1.,  0.]])
    """
    if side not in ("right", "left"):
        raise WireError(f"polar: side must be 'right' or 'left', got {side!r}"
                        f"{at(user_location())}")
    if not _traced(a) and _sl is not None:
        return _sl.polar(a, side=side)
    a = _float(a)
    if a.ndim != 2 or a.dtype.kind == "c":
        raise WireError(f"polar: a traced a must be one real 2-d matrix, got shape "
                        f"{tuple(a.shape)} {a.dtype}{at(user_location())}")
    if side == "right":
        return _polar_right(a)
    u, p = _polar_right(wnp.swapaxes(a, 0, 1))  # a = p u  <=>  aᵀ = uᵀ p
    return wnp.swapaxes(u, 0, 1), p


NAMES = ["polar", "sqrtm"]
