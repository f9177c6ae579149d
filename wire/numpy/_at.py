"""Functional updates of traced arrays: ``x.at[index].set(v)`` and friends (JAX's API).

A tracer is immutable (``x[0] = 1`` raises); ``x.at[index]`` names the positions NumPy's
``x[index]`` would select, and each method returns a *new* array:

==========================  =================================================================
``x.at[i].get()``           ``x[i]``
``x.at[i].set(v)``          ``x`` with ``x[i] = v`` done (NumPy: the last of repeated indices
                            wins)
``x.at[i].add(v)``          ``np.add.at``: repeated indices accumulate
``x.at[i].mul(v)``          ``np.multiply.at`` (also ``x.at[i].multiply(v)``, JAX's name)
``x.at[i].min(v)``          ``np.minimum.at``
``x.at[i].max(v)``          ``np.maximum.at``
``x.at[i].divide(v)``       ``x[i] /= v`` (JAX's: ``x`` divided by ``ones.at[i].mul(v)``, so
                            repeated indices divide by the product; integers divide to float)
``x.at[i].power(v)``        ``x[i] **= v`` (JAX's: ``x ** ones.at[i].mul(v)``, so repeated
                            indices multiply the exponents)
==========================  =================================================================

``v`` broadcasts to the shape of ``x[i]`` and is cast to ``x``'s dtype, as NumPy's
assignment does. Indices follow NumPy: ints, slices, ``None``, ``...``, integer arrays
(concrete or traced) and concrete boolean masks; negative indices count from the end, and an
out-of-bounds index is an error (at trace time when the index is concrete, at run time when it
is traced). Every update is differentiable in ``x`` and ``v`` (exactly, with repeated indices
too) and works under ``jit`` and ``vmap``.
"""

from __future__ import annotations

import numpy as np

from ..core import Tracer, current_trace, to_tracer
from ..errors import ShapeError, WireTypeError, at, user_location
from ..ops.elementwise import convert
from ..ops.layout import broadcast_to
from ..ops.scatter import scatter
from ._math import divide as _divide
from ._math import power as _power
from ._shape import index_spec

_JAX_HINTS = ("indices_are_sorted", "unique_indices")  # accepted: they only help JAX's XLA


class At:
    """``x.at``: index it to name the positions to update."""

    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x

    def __getitem__(self, index) -> "AtIndex":
        return AtIndex(self.x, index)

    def __repr__(self):
        return f"<{self.x!r}.at>"


class AtIndex:
    """``x.at[index]``: ``get()``, ``set(v)``, ``add(v)``, ``mul(v)`` (``multiply(v)``), ``min(v)``,
    ``max(v)``, ``divide(v)``, ``power(v)``.

    >>> import numpy as np, wire
    >>> wire.jit(lambda x: x.at[np.array([0, 0, 2])].add(1.0))(np.zeros(3))
    array([2., 0., 1.])
    """

    __slots__ = ("x", "index")

    def __init__(self, x, index):
        self.x = x
        self.index = index

    def get(self, **hints):
        """``x[index]``."""
        _check_hints(hints, "get")
        return self.x[self.index]

    def set(self, values, **hints):
        """``x`` with ``x[index] = values`` (the last of repeated indices wins)."""
        return self._update("set", values, hints)

    def add(self, values, **hints):
        """``x`` with ``values`` added at ``index`` (repeated indices accumulate)."""
        return self._update("add", values, hints)

    def mul(self, values, **hints):
        """``x`` with ``x[index]`` multiplied by ``values`` (repeats multiply)."""
        return self._update("mul", values, hints)

    def multiply(self, values, **hints):
        """``mul`` under JAX's current name: ``x`` with ``x[index]`` multiplied by ``values``.

        >>> import numpy as np, wire
        >>> wire.jit(lambda x: x.at[np.array([1, 1])].multiply(3.0))(np.ones(2))
        array([1., 9.])
        """
        return self._update("mul", values, hints)

    def min(self, values, **hints):
        """``x`` with ``x[index]`` lowered to ``values`` where they are smaller."""
        return self._update("min", values, hints)

    def max(self, values, **hints):
        """``x`` with ``x[index]`` raised to ``values`` where they are larger."""
        return self._update("max", values, hints)

    def divide(self, values, **hints):
        """``x`` with ``x[index]`` divided by ``values``, as JAX's ``x.at[i].divide``: ``x``
        divided by ones multiplied by ``values`` at ``index`` (repeated indices divide by the
        product of their values; an integer ``x`` divides to float64, as ``/`` does).

        >>> import numpy as np, wire
        >>> wire.jit(lambda x: x.at[np.array([0, 0, 2])].divide(2.0))(np.ones(3))
        array([0.25, 1.  , 0.5 ])
        """
        return _divide(self.x, self._scale("divide", values, hints))

    def power(self, values, **hints):
        """``x`` with ``x[index]`` raised to ``values``, as JAX's ``x.at[i].power``: ``x`` to
        the power of ones multiplied by ``values`` at ``index`` (repeated indices multiply
        their exponents).

        >>> import numpy as np, wire
        >>> wire.jit(lambda x: x.at[np.array([1, 1])].power(3.0))(np.full(2, 2.0))
        array([  2., 512.])
        """
        return _power(self.x, self._scale("power", values, hints))

    def _scale(self, what: str, values, hints):
        """Ones of ``x``'s shape and dtype multiplied by ``values`` at the index (JAX's)."""
        _check_hints(hints, what)
        x = to_tracer(self.x)
        ones = broadcast_to(to_tracer(np.ones((), x.dtype)), x.shape)
        return AtIndex(ones, self.index)._update("mul", values, {}, what)

    def _update(self, mode: str, values, hints, what: str | None = None):
        _check_hints(hints, mode)
        x = self.x
        arrays, spec = index_spec(x, self.index)
        target = x[self.index]  # the positions (checks the index; its shape for values)
        v = to_tracer(values)
        if v.dtype != x.dtype:
            v = convert(v, x.dtype)
        if v.shape != target.shape:
            try:
                if np.broadcast_shapes(v.shape, target.shape) != target.shape:
                    raise ValueError
            except ValueError:
                raise ShapeError(
                    f"x.at[...].{what or mode}: values of shape {v.shape} do not broadcast to the "
                    f"shape {target.shape} of the {x.aval!r} array's selected positions"
                    f"{at(user_location())}"
                ) from None
            v = broadcast_to(v, target.shape)
        return scatter(x, v, arrays, spec, mode)

    def __repr__(self):
        return f"<{self.x!r}.at[{self.index!r}]>"


class ConcreteArray(np.ndarray):
    """A NumPy array made by a ``wire.numpy`` constructor (``zeros``, ``ones``, ``full``,
    ``arange``, ``eye``, ``array`` …) inside a transform: a plain ``ndarray`` (NumPy's
    operators, in-place assignment of plain values), plus JAX's ``x.at[...]`` functional
    updates, which return a traced array (so ``wnp.zeros(3).at[0].set(x)`` works in a
    ``grad``'ed function, as ``jnp.zeros(3).at[0].set(x)`` does). wire computes with it as
    with the plain array it views: it never reaches a result.

    >>> import wire, wire.numpy as wnp
    >>> float(wire.grad(lambda x: wnp.sum(wnp.zeros(3).at[1].set(x) ** 2))(1.5))
    3.0
    """

    __wire_plain__ = True  # (wire.core.to_node and the eager lift take its plain view)

    @property
    def at(self) -> At:
        return At(to_tracer(self.view(np.ndarray)))

    def __repr__(self):
        return repr(self.view(np.ndarray))


# (NumPy's own docstrings would be collected as this module's doctests, in NumPy's reprs)
_NUMPY_DOC = """NumPy's ``{name}``, the same arguments and result; called inside a transform
    its array also has JAX's ``.at[...]`` updates (:class:`ConcreteArray`).

    >>> import wire.numpy as wnp
    >>> wnp.{name}{example}
    """
_EXAMPLES = {
    "zeros": "(2)\n    array([0., 0.])", "ones": "(2)\n    array([1., 1.])",
    "empty": "(2)  # (zeros: results never vary)\n    array([0., 0.])",
    "eye": "(2)\n    array([[1., 0.],\n           [0., 1.]])",
    "identity": "(2)\n    array([[1., 0.],\n           [0., 1.]])",
    "arange": "(3)\n    array([0, 1, 2])",
}


def with_at(fn, name: str, module: str):
    """``fn`` (a NumPy constructor) returning a :class:`ConcreteArray` when called inside a
    transform (a trace is open), the plain array otherwise; ``module.name`` is where it is
    found (``pickle`` stores functions by it)."""

    def make(*args, **kwargs):
        out = fn(*args, **kwargs)
        if type(out) is np.ndarray and current_trace() is not None:
            return out.view(ConcreteArray)
        return out

    make.__name__ = make.__qualname__ = name
    make.__module__ = module
    make.__doc__ = _NUMPY_DOC.format(name=name, example=_EXAMPLES[name]) if (
        getattr(fn, "__module__", "") or "").startswith("numpy") else fn.__doc__
    make.__wrapped__ = fn
    return make


def _check_hints(hints, what):
    unknown = [k for k in hints if k not in _JAX_HINTS]
    if unknown:
        raise WireTypeError(
            f"x.at[...].{what}() got unexpected keyword(s) {unknown}; wire follows NumPy's "
            f"indexing (out-of-bounds indices are errors), so only {list(_JAX_HINTS)} are "
            f"accepted{at(user_location())}"
        )


def refuse_setitem(x: Tracer, index, value):
    """``x[index] = value`` on a tracer: an error that shows the functional form."""
    shown = repr(index) if not isinstance(index, Tracer) else "i"
    raise WireTypeError(
        f"a traced array {x.aval!r} cannot be assigned to in place (x[{shown}] = ...)"
        f"{at(user_location(2))}: wire's arrays are immutable values. Use the functional "
        f"form x = x.at[{shown}].set(value) (or .add/.mul/.min/.max), which returns the "
        "updated array"
    )
