"""``wire.scipy.cluster.vq``: ``vq``, the nearest code of a code book for each observation
(``jax.scipy.cluster.vq.vq``, ``scipy.cluster.vq.vq``), differentiable in the distances.

>>> import numpy as np
>>> from wire.scipy.cluster.vq import vq
>>> codes, dist = vq(np.array([[1.1, 2.1, 3.1], [5.9, 4.8, 6.2]]),
...                  np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [4.0, 5.0, 6.0]]))
>>> codes, dist.round(6)
(array([0, 2]), array([0.173205, 1.920937]))
"""

from __future__ import annotations

import numpy as np

from ... import numpy as wnp
from ...core import Tracer
from ...errors import ShapeError, WireTypeError, at, user_location
from ...tracebacks import expose
from .._traced import check_finite_values

__all__ = ["vq"]


def _dtype(x):
    return x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype


def vq(obs, code_book, check_finite=True):
    """``(code, dist)``: for each row of ``obs`` (``(M, N)``; 1-d: ``M`` observations of
    length 1) the index of the nearest row of ``code_book`` (``(K, N)``; the first one on a
    tie, as SciPy) and the Euclidean distance to it. ``check_finite`` (SciPy's; JAX ignores
    it) raises for inf or NaN in values wire knows (not under ``wire.jit``). The distance is
    differentiable in both inputs (its derivative at distance 0 is 0).

    >>> import numpy as np, wire
    >>> book = np.array([[0.0, 0.0], [3.0, 4.0]])
    >>> wire.grad(lambda x: vq(x, book)[1].sum())(np.array([[3.0, 5.0], [0.0, 0.0]]))
    array([[0., 1.],
           [0., 0.]])
    """
    if not isinstance(obs, Tracer):
        obs = np.asarray(obs)
    if not isinstance(code_book, Tracer):
        code_book = np.asarray(code_book)
    for name, x in (("obs", obs), ("code_book", code_book)):
        if _dtype(x).kind not in "biuf":
            raise WireTypeError(f"vq: {name} must be real, got dtype {_dtype(x)}"
                                f"{at(user_location())}")
    check_finite_values("vq", check_finite, obs, code_book)
    dtype = np.result_type(_dtype(obs), _dtype(code_book))
    if dtype.kind != "f":  # integers and booleans: float64 (as SciPy and JAX)
        dtype = np.dtype(np.float64)
    obs, code_book = obs.astype(dtype), code_book.astype(dtype)
    so, sc = tuple(wnp.shape(obs)), tuple(wnp.shape(code_book))
    if len(so) != len(sc):
        raise ShapeError(f"vq: observation {so} and code_book {sc} should have the same rank"
                         f"{at(user_location())}")
    if len(so) == 1:
        obs, code_book = obs[:, None], code_book[:, None]
    elif len(so) != 2:
        raise ShapeError(f"vq: obs and code_book must be 1-d or 2-d, got {so} and {sc}"
                         f"{at(user_location())}")
    if wnp.shape(obs)[1] != wnp.shape(code_book)[1]:
        raise ShapeError(f"vq: obs {so} and code_book {sc} have different numbers of "
                         f"features{at(user_location())}")
    if wnp.shape(code_book)[0] == 0:
        raise ShapeError(f"vq: the code book {sc} is empty{at(user_location())}")
    sq = wnp.sum((obs[:, None, :] - code_book[None, :, :]) ** 2, axis=-1)
    code = wnp.argmin(sq, axis=-1)
    best = wnp.take_along_axis(sq, code[:, None], axis=-1)[:, 0]
    positive = best > 0  # sqrt's derivative at 0 is infinite: the distance's is 0 there
    dist = wnp.where(positive, wnp.sqrt(wnp.where(positive, best, 1.0)), 0.0 * best)
    return code, dist


expose(globals(), __all__)
