"""``wire.optim.second_order``: diagonals of the Hessian and of the empirical Fisher of a loss
``loss(params, inputs, targets)``, over the parameters raveled into one vector, as
``optax.second_order`` (deprecated there, to be removed in Optax 0.2.9).

>>> import numpy as np
>>> from wire.optim import second_order
>>> loss = lambda p, x, y: ((p["w"] * x - y) ** 2).sum()
>>> second_order.hessian_diag(loss, {"w": np.array([1.0, 2.0])}, np.array([1.0, 3.0]),
...                           np.zeros(2))
array([ 2., 18.])
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from .. import tree as wtree
from ..api import grad, jvp
from ..tracebacks import expose

__all__ = ["hvp", "hessian_diag", "fisher_diag"]


def hvp(loss, v, params, inputs, targets):
    """The Hessian of ``loss`` in ``params`` times the raveled vector ``v``, as a tree of
    ``params``' structure (``optax.second_order.hvp``).

    >>> loss = lambda p, x, y: (p ** 3).sum()
    >>> hvp(loss, np.array([1.0, 0.0]), np.array([1.0, 2.0]), None, None)
    array([6., 0.])
    """
    _, unravel = wtree.ravel(params)
    return jvp(grad(lambda p: loss(p, inputs, targets)), (params,), (unravel(v),))[1]


def hessian_diag(loss, params, inputs, targets):
    """The diagonal of the Hessian of ``loss`` in the raveled ``params``, one
    Hessian-vector product per parameter (``optax.second_order.hessian_diag``).

    >>> hessian_diag(lambda p, x, y: (p ** 3).sum(), np.array([1.0, 2.0]), None, None)
    array([ 6., 12.])
    """
    flat, _ = wtree.ravel(params)
    n = int(np.size(flat))
    eye = np.eye(n, dtype=flat.dtype)
    out = []
    for k in range(n):
        hv, _ = wtree.ravel(hvp(loss, eye[k], params, inputs, targets))
        out.append(hv[k])
    return wnp.stack(out) if out else np.zeros(0, flat.dtype)


def fisher_diag(negative_log_likelihood, params, inputs, targets):
    """The squared gradient of ``negative_log_likelihood`` in the raveled ``params``: the
    diagonal of the empirical Fisher of one batch (``optax.second_order.fisher_diag``).

    >>> fisher_diag(lambda p, x, y: (p * x).sum(), np.array([1.0, 2.0]), np.array([3.0, -1.0]),
    ...             None)
    array([9., 1.])
    """
    g, _ = wtree.ravel(grad(negative_log_likelihood)(params, inputs, targets))
    return g * g


expose(globals(), __all__)
