"""``REGISTRY``: every primitive by name, collected once at import from ``wire.ops`` modules.

It is a read-only ``pmap``; nothing registers primitives at run time (user-defined rules go
through ``custom_vjp``/``custom_jvp`` params, not new registry entries).
"""

from __future__ import annotations

from types import ModuleType

from pyrsistent import pmap

from .ops import custom, elementwise, matmul, reductions, shape
from .ops import complex_parts, cumulative, factorizations, fft, sorting, special
from .ops import control
from .primitive import Primitive

PRIMITIVE_MODULES: tuple[ModuleType, ...] = (
    elementwise, shape, reductions, matmul, custom,
    complex_parts, cumulative, sorting, factorizations, fft, special, control,
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
