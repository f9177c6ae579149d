"""NumPy's own routine for the value of a traced ``wire.numpy`` function, wire's composition for
its derivatives.

Some NumPy functions compute their value with an algorithm whose rounding (or order of tied
``-0.0`` and ``0.0``) a composition of wire's primitives does not reproduce: ``np.i0``'s
Chebyshev expansions, the real FFTs' real-input kernels, ``nanquantile``'s partition of the
slice with its NaNs moved out. Eagerly ``wire.numpy`` calls NumPy's function; under ``jit``,
``grad`` and ``vmap`` :func:`numpy_valued` calls it too (a ``pure_callback``), so a compiled
function gives eager's bits, and differentiates wire's composition instead (a ``custom_jvp``:
the composition's tangent, which for a linear ``composite`` is the composition of the tangent).
"""

from __future__ import annotations

import functools

import numpy as np

from ..api import ShapeDtypeStruct, custom_jvp, eval_shape, jvp, pure_callback


def numpy_valued(host, composite, x, statics: tuple, *, linear: bool = False,
                 vmap_method: str = "sequential"):
    """``composite(x, *statics)`` with the value ``host(x_array, *statics)`` computes (on
    NumPy arrays; its result is cast to the composition's dtype), the derivatives the
    composition's. ``host`` and ``composite`` are module-level functions and ``statics``
    hashable (the made function is memoized on them). ``linear``: ``composite`` is linear
    in ``x`` (its tangent is ``composite`` of the tangent). ``vmap_method``: as
    ``wire.pure_callback``'s (``"expand_dims"`` where ``host`` maps over a leading axis).

    >>> import numpy as np, wire
    >>> f = lambda x: numpy_valued(_example_host, _example_composite, x, ())
    >>> float(wire.jit(f)(np.float64(2.0))), float(wire.grad(f)(2.0))
    (4.0, 4.0)
    """
    return _made(host, composite, statics, linear, vmap_method)(x)


def _example_host(x):
    return x * x


def _example_composite(x):
    return x * x


@functools.lru_cache(maxsize=None)
def _made(host, composite, statics, linear, vmap_method):
    def value(x):
        want = eval_shape(lambda v: composite(v, *statics), ShapeDtypeStruct(x.shape, x.dtype))

        def call(v):
            return np.asarray(host(v, *statics), dtype=want.dtype)

        return pure_callback(call, want, x, vmap_method=vmap_method)

    f = custom_jvp(value)
    # a linear composite transposes through the rule's tangent: wire.linear_transpose reads
    # this (wire.higher_order.linearity.linear_operands)
    f._linear_in = linear

    @f.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        if linear:
            return f(x), composite(t, *statics)
        return f(x), jvp(lambda v: composite(v, *statics), (x,), (t,))[1]

    return f
