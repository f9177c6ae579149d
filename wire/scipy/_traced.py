"""The test every ``wire.scipy`` function makes first: on concrete arrays it calls SciPy
itself (SciPy's own values, dtypes and warnings); on traced values it builds wire's
primitives."""

from __future__ import annotations

import builtins

from ..core import Tracer
from ..errors import WireError, at, user_location

try:
    from scipy import special as _sp
except ImportError:  # pragma: no cover - exercised only without scipy
    _sp = None

__all__ = ["scipy_special", "traced"]


def traced(*xs) -> bool:
    """Whether any of ``xs`` is a value being traced (a ``Tracer``).

    >>> import numpy as np, wire
    >>> traced(np.ones(2), 1.0), wire.grad(lambda x: float(traced(x)) * x)(2.0)
    (False, array(1.))
    """
    return builtins.any(isinstance(x, Tracer) for x in xs)


def scipy_special(name: str):
    """SciPy's ``scipy.special.<name>`` (the values wire's special-function primitives
    compute), or a ``WireError`` saying SciPy is needed.

    >>> scipy_special("i0")(0.0)
    np.float64(1.0)
    """
    if _sp is None:  # pragma: no cover - exercised only without scipy
        raise WireError(f"{name} needs SciPy (pip install scipy){at(user_location())}")
    return getattr(_sp, name)
