"""The test every ``wire.scipy`` function makes first: on concrete arrays it calls SciPy
itself (SciPy's own values, dtypes and warnings); on traced values it builds wire's
primitives."""

from __future__ import annotations

import builtins
import functools

import numpy as np

from .. import numpy as wnp
from .. import tree
from ..api.concrete import BatchedDecision
from ..api.vmap import vmap
from ..core import Tracer
from ..errors import (TracerBoolError, WireError, WireTypeError, WireValueError, at,
                      user_location)
from ..ops.optional import module as _optional_module

_sp = _optional_module("scipy.special")  # None without SciPy; imported on first use

__all__ = ["check_finite_values", "over_stack", "scipy_special", "traced"]


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
    return _dtype_checked(name)


@functools.lru_cache(maxsize=None)
def _dtype_checked(name: str):
    """SciPy's ``name``, whose ``TypeError`` for arguments it has no loop for (a complex
    ``i0``, a complex order of ``jv``) becomes a ``WireTypeError`` naming the function and
    the dtypes (SciPy's message names neither the argument nor its dtype)."""
    fn = getattr(_sp, name)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            if isinstance(e, WireError):
                raise
            dts = ", ".join(str(getattr(a, "dtype", type(a).__name__)) for a in args)
            raise WireTypeError(f"{name}: SciPy's {name} does not take arguments of dtypes "
                                f"({dts}) ({e}){at(user_location())}") from None

    return call


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


def over_stack(fn, args, cores):
    """``fn`` (written for one matrix problem) over the stacked "batch" axes of ``args``, as
    SciPy (>= 1.15) batches its linear-algebra functions: argument ``i`` has ``cores[i]``
    core axes (the last ones), the axes before them are batch axes, broadcast between the
    arguments; an argument with none is shared by every problem. One ``wire.vmap`` over the
    flattened batch, so the graph does not grow with the batch, and each output gets the
    batch axes in front. ``None`` when there are no batch axes (then call ``fn`` itself).

    >>> import wire.numpy as wnp
    >>> over_stack(lambda m: wnp.trace(m), [np.ones((2, 3, 3))], [2])
    array([3., 3.])
    """
    shapes = [tuple(wnp.shape(a)) for a in args]
    batch = [s[: len(s) - c] for s, c in zip(shapes, cores)]
    if not builtins.any(batch):
        return None
    bshape = np.broadcast_shapes(*batch)
    size = int(np.prod(bshape, dtype=np.int64))
    flat, axes = [], []
    for a, s, b, c in zip(args, shapes, batch, cores):
        if not b:
            flat.append(a)
            axes.append(None)
            continue
        core = s[len(s) - c:]
        a = wnp.broadcast_to(a, bshape + core) if b != bshape else a
        flat.append(wnp.reshape(a, (size,) + core))
        axes.append(0)
    if size == 0:  # (vmap needs one example to trace): the shapes of one, batch of none
        one = [a if ax is None else wnp.zeros((1,) + tuple(wnp.shape(a))[1:], a.dtype)
               for a, ax in zip(flat, axes)]
        out = vmap(fn, in_axes=tuple(axes))(*one)
        return tree.map(lambda o: wnp.zeros(bshape + tuple(wnp.shape(o))[1:], o.dtype), out)
    out = vmap(fn, in_axes=tuple(axes))(*flat)
    return tree.map(lambda o: wnp.reshape(o, bshape + tuple(wnp.shape(o))[1:]), out)
