"""Matrix-factorization primitives: ``solve``, ``inv``, ``det``, ``slogdet``, ``cholesky``,
``eigh``, ``svd``, ``svdvals``, ``qr``, ``eig``, ``pinv``, ``lstsq``, and
``adjugate``/``inv_or_inf`` that the determinants' derivatives are made of, gathered in one
namespace. (``matmul`` lives in ``matmul.py``.) They are declared by concept:
``decompositions`` (solve, inv, cholesky, qr), ``determinants`` (det, slogdet, adjugate,
inv_or_inf), ``spectral`` (eigh, svd, svdvals, eig) and ``pinv`` (pinv, lstsq), on the
helpers of ``matrix_common``.

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

from .decompositions import cholesky, cholesky_p, inv, inv_p, qr, qr_p, solve, solve_p
from .determinants import (
    adjugate, adjugate_jet, adjugate_p, det, det_p, inv_or_inf, inv_or_inf_p, slogdet, slogdet_p,
)
from .matrix_common import diag_embed, diagonal, is_zero_cotangent, mH, mT, trace
from .pinv import lstsq, lstsq_p, pinv, pinv_p
from .spectral import (
    eig, eig_p, eigh, eigh_p, eigvalsh, svd, svd_p, svdvals, svdvals_p,
)

__all__ = [
    "adjugate", "adjugate_jet", "adjugate_p", "cholesky", "cholesky_p", "det", "det_p",
    "diag_embed", "diagonal", "eig", "eig_p", "eigh", "eigh_p", "eigvalsh", "inv",
    "inv_or_inf", "inv_or_inf_p", "inv_p", "is_zero_cotangent", "lstsq", "lstsq_p", "mH", "mT",
    "pinv", "pinv_p",
    "qr", "qr_p", "slogdet", "slogdet_p", "solve", "solve_p", "svd", "svd_p", "svdvals",
    "svdvals_p", "trace",
]
