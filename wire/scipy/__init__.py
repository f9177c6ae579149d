"""``wire.scipy``: SciPy functions on arrays and tracers (``wire.scipy.special``).

>>> import wire.scipy.special as wsp
>>> float(wsp.expit(0.0))
0.5
"""

from . import special

__all__ = ["special"]
