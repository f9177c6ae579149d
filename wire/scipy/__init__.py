"""``wire.scipy``: SciPy functions on arrays and tracers: ``special``, ``stats``, ``linalg``,
``signal``, ``integrate``.

>>> import wire.scipy.special as wsp
>>> float(wsp.expit(0.0))
0.5
"""

from . import special
from . import linalg
from . import integrate, signal, stats

__all__ = ["integrate", "linalg", "signal", "special", "stats"]
