"""Optional libraries (SciPy), imported when a function first needs them, not with wire.

``import scipy.special`` alone costs more than the whole of ``import wire`` (SciPy's
special, linalg, signal and stats bring most of SciPy, NumPy's f2py and more along), and
a script that never calls a SciPy-backed function should not pay for it. A module here is
a stand-in whose attributes are the real module's, imported on the first one read (under
Python's import lock, as any import); where the library is not installed the stand-in is
``None``, so ``if _sp is None`` tests read as with a plain ``try: import`` guard.

>>> special = module("scipy.special")  # nothing imported yet
>>> special is None or round(float(special.gammaln(4.0)), 12) == round(math.lgamma(4.0), 12)
True
"""

from __future__ import annotations

import importlib
import importlib.util
import math  # noqa: F401 - the example's
import sys

__all__ = ["Module", "module"]


class Module:
    """The module ``name``, imported the first time one of its attributes is read.

    >>> linalg = Module("scipy.linalg")
    >>> linalg
    <module 'scipy.linalg', imported on first use>
    """

    __slots__ = ("_name", "__weakref__")

    def __init__(self, name: str):
        object.__setattr__(self, "_name", name)

    def _module(self):
        # once imported, a sys.modules look-up (import_module costs ten times more); a
        # module another thread is still importing is waited for by import_module
        found = sys.modules.get(self._name)
        if found is None or getattr(getattr(found, "__spec__", None), "_initializing", False):
            found = importlib.import_module(self._name)
        return found

    def __getattr__(self, attr: str):
        # every read goes to the module itself: what a test patches on it is seen, as with
        # a plain import
        return getattr(self._module(), attr)

    def __setattr__(self, attr, value):
        setattr(self._module(), attr, value)

    def __delattr__(self, attr):
        delattr(self._module(), attr)

    def __dir__(self):
        return dir(self._module())

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"

    def __reduce__(self):
        return module, (self._name,)


def module(name: str) -> Module | None:
    """A stand-in for the module ``name`` (:class:`Module`), or None where its top-level
    package is not installed. Nothing is imported here (``find_spec`` of a top-level name
    only looks along ``sys.path``).

    >>> module("a_package_that_is_not_there.sub") is None
    True
    """
    try:
        found = importlib.util.find_spec(name.split(".", 1)[0])
    except (ImportError, ValueError):  # pragma: no cover - a broken sys.modules entry
        found = None
    return None if found is None else Module(name)
