"""``REGISTRY``: every primitive by name, collected once at import from the ``wire.ops`` and
``wire.higher_order`` modules (and ``proj`` from ``wire.core``).

It is a read-only ``pmap``; nothing registers primitives at run time (user-defined rules go
through ``custom_vjp``/``custom_jvp`` params, not new registry entries). Deserialising is the
one place where a primitive is found by its name: pickled primitives (in pickled graphs) are
looked up here, by :func:`primitive_named`.
"""

from __future__ import annotations

import copyreg
from types import ModuleType

from pyrsistent import pmap

from ..higher_order import checkpoint, cond, custom, scan, while_loop
from ..ops import elementwise, indexing, layout, matmul, reductions
from ..ops import complex_parts, cumulative, fft, incomplete, scatter, sorting, special
from ..ops import bessel, decompositions, determinants, float_bits, pinv, random_bits, spectral
from ..ops import random_params, scipy_linalg, special_more
from ..core import primitive as core_primitive
from ..core.primitive import Primitive

PRIMITIVE_MODULES: tuple[ModuleType, ...] = (
    core_primitive, elementwise, layout, indexing, reductions, matmul, custom,
    complex_parts, cumulative, sorting, decompositions, determinants, spectral, pinv, fft, special,
    bessel, incomplete, scatter, cond, scan, while_loop, checkpoint, float_bits, random_bits,
    special_more, scipy_linalg, random_params,
)


def _collect(modules) -> dict:
    found: dict[str, Primitive] = {}
    for mod in modules:
        for value in vars(mod).values():
            if isinstance(value, Primitive):
                if value.name in found and found[value.name] is not value:
                    raise RuntimeError(f"two primitives named {value.name!r}")
                found[value.name] = value
    return found


REGISTRY = pmap(_collect(PRIMITIVE_MODULES))


def primitive_named(name: str) -> Primitive:
    """The registered primitive called ``name`` (what unpickling a primitive calls)."""
    return REGISTRY[name]


def _reduce_primitive(prim: Primitive):
    return primitive_named, (prim.name,)


copyreg.pickle(Primitive, _reduce_primitive)
