"""``wire.scipy``: SciPy functions on arrays and tracers: ``special``, ``stats``, ``linalg``,
``signal``, ``integrate``; ``ndimage``, ``fft``, ``optimize``, ``interpolate``, ``cluster``
(``jax.scipy``'s modules of those names).

>>> import wire.scipy.special as wsp
>>> float(wsp.expit(0.0))
0.5
"""

from . import integrate, linalg, signal, special, stats
from . import cluster, fft, interpolate, ndimage, optimize
from . import sparse, spatial

__all__ = ["integrate", "linalg", "signal", "special", "stats"]
__all__ += ["cluster", "fft", "interpolate", "ndimage", "optimize"]
__all__ += ["sparse", "spatial"]
