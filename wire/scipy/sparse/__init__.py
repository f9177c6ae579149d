"""``wire.scipy.sparse``: ``linalg``, the iterative solvers ``cg``, ``gmres`` and ``bicgstab``
(``jax.scipy.sparse``'s module of that name).

>>> import numpy as np
>>> from wire.scipy.sparse import linalg
>>> x, info = linalg.cg(np.array([[4.0, 1.0], [1.0, 3.0]]), np.array([1.0, 2.0]))
>>> np.round(x, 6), info
(array([0.090909, 0.636364]), None)
"""

from . import linalg

__all__ = ["linalg"]
