"""The Moore-Penrose pseudo-inverse ``pinv``, differentiated by Golub & Pereyra's formula."""

from __future__ import annotations

import numpy as np

from ..core import bind
from ..core.lowering import XpImpl
from ..core.primitive import Primitive
from ..core.formula import ARRAYS_ONLY
from ..core.taylor import BY_JVP
from ..errors import ShapeError
from ..ir import Aval
from .batching import trailing_batch
from .matmul import matmul
from .matrix_common import _cj, _eye, mH, mT
from .spectral import nonfinite_svd_guard


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


def _pinv_impl(a, *, rcond):
    bad = nonfinite_svd_guard(a)
    if bad is None:
        return np.linalg.pinv(a, rcond=rcond)
    # NaN, as the pseudo-inverse from the NaN singular values and vectors would be
    p = np.linalg.pinv(np.where(bad[..., None, None], 0, a), rcond=rcond)
    return np.where(bad[..., None, None], np.nan, p)


pinv_p = Primitive(
    "pinv",
    _pinv_impl,
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
