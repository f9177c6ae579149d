"""Doctest collection of wire's own modules (``pytest --doctest-modules``).

wire.numpy puts NumPy-signature fronts in place of many of its functions. A front carries its
function's docstring but belongs to ``wire.numpy`` (so ``pickle`` finds it there), so doctest
would collect the examples again there, to run in a namespace they were not written for
(``bool`` is NumPy's there): they run where the function behind the front is defined."""

import importlib


def _is_front(name: str) -> bool:
    module, _, attr = name.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError):
        return False
    return getattr(obj, "__wire_numpy_front__", None) is not None


def pytest_collection_modifyitems(config, items):
    kept = [item for item in items
            if not (type(item).__name__ == "DoctestItem" and _is_front(item.dtest.name))]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
