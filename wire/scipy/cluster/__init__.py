"""``wire.scipy.cluster``: ``vq`` (``jax.scipy.cluster.vq``).

>>> import numpy as np
>>> from wire.scipy.cluster import vq
>>> vq.vq(np.array([[0.0], [2.9]]), np.array([[0.0], [3.0]]))[0]
array([0, 1])
"""

from . import vq

__all__ = ["vq"]
