"""Primitives of the floating-point grid: ``nextafter`` (the next representable number from
``x1`` toward ``x2``) and ``spacing`` (the distance from ``x`` to its neighbour away from
zero). Their values are NumPy's; each is a step function of its arguments on the grid, so its
derivative is zero (as ``floor``'s).
"""

from __future__ import annotations

import numpy as np

from ..core.formula import NoFormula
from ..core.lowering import XpImpl
from ..core import bind
from .elementwise import zero_derivative

_GRID = NoFormula("a neighbour on the floating-point grid: SymPy's numbers have no grid")


def _xp_spacing(bk, x):
    # NumPy's spacing: toward -inf for negative x (so -0.0 has the positive 5e-324), NaN at
    # ±inf and NaN
    xp = bk.xp
    inf = xp.asarray(np.inf, dtype=x.dtype)
    return xp.nextafter(x, xp.where(x < 0, -inf, inf)) - x


nextafter_p = zero_derivative(
    "nextafter", np.nextafter, 2, sympy=_GRID,
    doc="the next floating-point number after x1 toward x2 (NumPy's nextafter); zero derivative")
spacing_p = zero_derivative(
    "spacing", np.spacing, 1, sympy=_GRID, xp=XpImpl(_xp_spacing, "nextafter"),
    doc="distance from x to the adjacent floating-point number away from zero (NumPy's "
        "spacing); zero derivative")


def nextafter(x1, x2):
    return bind(nextafter_p, x1, x2)


def spacing(x):
    return bind(spacing_p, x)
