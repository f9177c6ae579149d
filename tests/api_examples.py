"""How many entries of the API reference show an example: ``python tests/api_examples.py``.

An entry is a public callable of a namespace the reference documents (docs/api/): the names
in the namespace's ``__all__`` (every public name of ``wire.errors``), functions and classes,
each counted once under its first name, and the public methods written in those classes. An
entry has an example when its docstring holds a doctest (``>>>``) or a code block (a reST
``::`` block or a Markdown fence). ``wire.numpy``'s ~300 functions are NumPy's names with
NumPy's documentation; the reference documents the module and its wire-specific function, and
they are counted on a line of their own.
"""

from __future__ import annotations

import importlib
import inspect
import re

# the namespaces of docs/api/*.md, in page order
REFERENCE = [
    "wire", "wire.nn", "wire.optim", "wire.random", "wire.scipy.special", "wire.scipy.stats",
    "wire.scipy.linalg", "wire.scipy.signal", "wire.scipy.integrate", "wire.scipy.optimize",
    "wire.scipy.ndimage", "wire.scipy.fft", "wire.scipy.interpolate", "wire.scipy.cluster.vq",
    "wire.tree",
    "wire.lax",
    "wire.testing", "wire.errors", "wire.api.checkpoint_policies",
]
# namespaces of which the reference documents only some names
REFERENCE_CURATED = {"wire.numpy": ["stop_gradient"], "wire.ir.dot": ["render"]}

_CODE = re.compile(r"^\s*>>>|::\s*$|^\s*```", re.M)


def has_example(doc: str | None) -> bool:
    """Whether a docstring shows code.

    >>> has_example(">>> f(1)"), has_example("Example::\\n\\n    f(1)"), has_example("Adds.")
    (True, True, False)
    """
    return bool(doc and _CODE.search(doc))


def _public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_")
                 and getattr(v, "__module__", None) == module.__name__]
    return list(names)


def _defined_in(method, cls) -> bool:
    """Whether ``method`` is written in ``cls``'s body (not one of the ndarray methods
    ``wire.numpy`` installs on ``Tracer``, which are NumPy's, documented by NumPy)."""
    method = inspect.unwrap(method)
    return getattr(method, "__qualname__", "").startswith(cls.__qualname__ + ".")


def entries(namespaces=None) -> dict[str, object]:
    """``{qualified name: object}`` for every callable entry of ``namespaces``."""
    if namespaces is None:
        namespaces = {name: None for name in REFERENCE} | REFERENCE_CURATED
    out: dict[str, object] = {}
    seen: set[int] = set()
    for modname, names in namespaces.items():
        module = importlib.import_module(modname)
        for name in names or _public_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            out[f"{modname}.{name}"] = obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and callable(member) and _defined_in(member, obj):
                        out[f"{modname}.{name}.{attr}"] = member
    return out


def count(namespaces=None) -> tuple[list[str], list[str]]:
    """The entries with an example and those without one."""
    with_example, without = [], []
    for name, obj in entries(namespaces).items():
        (with_example if has_example(inspect.getdoc(obj)) else without).append(name)
    return with_example, without


if __name__ == "__main__":
    yes, no = count()
    print(f"API reference: {len(yes) + len(no)} entries, {len(yes)} with an example, "
          f"{len(no)} without")
    for name in no:
        print("  without:", name)
    import wire.numpy as wnp

    yes, no = count({"wire.numpy": wnp.__all__})
    print(f"wire.numpy functions: {len(yes) + len(no)}, {len(yes)} with an example")
