"""NumPy dtype promotion for mixed operands (tracers, arrays, Python scalars).

Python scalars are *weak*, as in NumPy 2 (NEP 50): ``f32_tracer * 2.0`` stays float32.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..ops.elementwise import convert
from ..core import Tracer


def dtype_of(x):
    """The dtype, or the Python scalar itself (weakly typed) for ``np.result_type``."""
    if isinstance(x, Tracer):
        return x.dtype
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        return x
    if isinstance(x, np.ndarray | np.generic):
        return x.dtype
    if isinstance(x, numbers.Number):
        return x
    return np.asarray(x).dtype


def result_dtype(*args):
    return np.result_type(*[dtype_of(a) for a in args])


def cast(x, dtype):
    """``x`` as ``dtype``: a convert node for tracers, an array otherwise."""
    if isinstance(x, Tracer):
        return convert(x, dtype)
    return np.asarray(x, dtype=dtype)


def promote(*args):
    """Operands cast to their common NumPy result dtype."""
    if len(args) == 2:
        x, y = args
        if isinstance(x, Tracer) and isinstance(y, Tracer) and x.dtype == y.dtype:
            return [x, y]
    dt = result_dtype(*args)
    return [cast(a, dt) for a in args]


def promote_float(*args):
    """Like :func:`promote`, but integers and booleans become float64 (for sin, log, …)."""
    dt = result_dtype(*args)
    if dt.kind not in "fc":
        dt = np.dtype(np.float64)
    return [cast(a, dt) for a in args]


def any_tracer(*args) -> bool:
    return any(isinstance(a, Tracer) for a in args)
