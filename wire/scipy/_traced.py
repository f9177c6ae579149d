"""The test every ``wire.scipy`` function makes first: on concrete arrays it calls SciPy
itself (SciPy's own values, dtypes and warnings); on traced values it builds wire's
primitives."""

from __future__ import annotations

import builtins

import numpy as np

from .. import numpy as wnp
from ..api.concrete import BatchedDecision
from ..core import Tracer
from ..errors import TracerBoolError, WireError, WireValueError, at, user_location

try:
    from scipy import special as _sp
except ImportError:  # pragma: no cover - exercised only without scipy
    _sp = None

__all__ = ["check_finite_values", "scipy_special", "traced"]


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


def check_finite_values(what: str, check: bool, *xs) -> None:
    """SciPy's ``check_finite=True``: a ``WireValueError`` (a ``ValueError``, as SciPy's)
    when an entry of ``xs`` is inf or NaN. Concrete arrays and the tracers of eager
    transforms (``wire.grad(f)(x)``, ``wire.vmap``), whose values wire knows, are checked
    (for a tracer the check is one more decision of the trace, like a Python ``if``); under
    ``wire.jit`` and ``wire.trace`` values are not known and nothing is checked, so NaN and
    inf flow through to the result as with ``check_finite=False``.

    >>> check_finite_values("solve", True, np.array([1.0, np.nan]))
    Traceback (most recent call last):
    ...
    wire.errors.WireValueError: solve: array must not contain infs or NaNs ...
    """
    if not check:
        return
    for x in xs:
        if isinstance(x, Tracer):
            if x.dtype.kind not in "fc":
                continue
            try:
                ok = bool(wnp.all(wnp.isfinite(x)))
            except BatchedDecision:  # examples that differ: vmap runs each group apart
                raise
            except TracerBoolError:  # values unknown (jit): not checked
                continue
        else:
            arr = np.asarray(x)
            ok = arr.dtype.kind not in "fc" or bool(np.isfinite(arr).all())
        if not ok:
            raise WireValueError(
                f"{what}: array must not contain infs or NaNs (check_finite=True, as SciPy); "
                f"pass check_finite=False to skip the check{at(user_location())}")
