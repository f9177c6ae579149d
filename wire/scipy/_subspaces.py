"""SciPy's ``orth`` and ``null_space``: orthonormal bases of a matrix's range and null space
from its SVD, with SciPy's rank rule (singular values above ``rcond · max(s)``, ``rcond``
``eps · max(M, N)`` by default).

The number of columns depends on the values, so a traced matrix needs its value: under
eager transforms (whose tracers carry it) the rank is read from it and the basis is wire's
SVD, with the SVD's derivatives; under ``jit`` it raises, naming the function.
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from ..errors import WireTypeError, at, user_location
from ..ops.optional import module as _optional_module
from ._decomp import _concrete, _float, _scipy_only
from ._traced import check_finite_values as _finite

_sl = _optional_module("scipy.linalg")


def _value(x, what):
    """The value of ``x`` (a tracer of an eager transform carries it), or a clear error."""
    try:
        return np.asarray(wnp.stop_gradient(x))
    except WireTypeError:
        raise WireTypeError(
            f"{what} got a traced matrix under jit{at(user_location())}: its number of "
            f"columns is the matrix's rank, which is not known while tracing; call it outside "
            f"jit, or use wire.numpy.linalg.svd and a fixed number of columns") from None


def _rank(s, shape, rcond, what):
    """SciPy's numerical rank of the singular values ``s`` of an ``shape`` matrix."""
    values = _value(s, what)
    if rcond is None:
        rcond = np.finfo(values.dtype).eps * max(shape[-2:])
    return int(np.sum(values > np.amax(values, initial=0.0) * rcond))


def orth(A, rcond=None):
    """An orthonormal basis of the range of ``A`` (``M x rank``), SciPy's: the left singular
    vectors of the singular values above ``rcond · max(s)``. Under eager ``grad`` the basis
    is differentiable (the SVD's derivatives; distinct singular values needed); under ``jit``
    it raises ``WireTypeError`` (its shape is the rank).

    >>> orth(np.array([[1.0, 1.0], [1.0, 1.0]])).shape
    (2, 1)
    """
    _finite("orth", True, A)
    if _concrete(A):
        return _sl.orth(A, rcond=rcond)
    A = _float(A)
    u, s, _ = wnp.linalg.svd(A, full_matrices=False)
    return u[:, :_rank(s, tuple(A.shape), rcond, "orth")]


def null_space(A, rcond=None):
    """An orthonormal basis of the null space of ``A`` (``N x (N - rank)``), SciPy's: the
    conjugated right singular vectors past the rank. Under eager transforms the values are
    SciPy's (read from the matrix's value) and it has no derivative (the basis of a null space
    of dimension > 1 is not unique; differentiating raises ``NonDifferentiableError``: the
    projector ``I - orth(A) orth(A)ᴴ`` is differentiable); under ``jit`` it raises
    ``WireTypeError``.

    >>> ns = null_space(np.array([[1.0, 1.0], [1.0, 1.0]]))
    >>> ns.shape, bool(np.allclose(np.array([[1.0, 1.0]]) @ ns, 0))
    ((2, 1), True)
    """
    _finite("null_space", True, A)
    if _concrete(A):
        return _sl.null_space(A, rcond=rcond)
    A = _float(A)
    kw = dict(rcond=None if rcond is None else float(rcond))
    basis = _sl.null_space(_value(A, "null_space"), check_finite=False, **kw)
    return _scipy_only("null_space", [A], kw, (2,), [(basis.shape, basis.dtype)])[0]


NAMES = ["null_space", "orth"]
