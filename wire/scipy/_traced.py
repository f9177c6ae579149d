"""The test every ``wire.scipy`` function makes first: on concrete arrays it calls SciPy
itself (SciPy's own values, dtypes and warnings); on traced values it builds wire's
primitives."""

from __future__ import annotations

import builtins

from ..core import Tracer

__all__ = ["traced"]


def traced(*xs) -> bool:
    """Whether any of ``xs`` is a value being traced (a ``Tracer``).

    >>> import numpy as np, wire
    >>> traced(np.ones(2), 1.0), wire.grad(lambda x: float(traced(x)) * x)(2.0)
    (False, array(1.))
    """
    return builtins.any(isinstance(x, Tracer) for x in xs)
