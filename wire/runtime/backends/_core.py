"""The ``Backend`` record and how a ``backend=`` argument resolves to one.

A backend is an array namespace plus what wire needs around it: converting inputs and graph
constants to its arrays, the implementation of each primitive on it (the NumPy impl when that
dispatches through NumPy's protocols, else a namespace function from
``Primitive.xp``), and materialising lazy results. ``resolve`` is memoized: one
``Backend`` per name or namespace object, created on first use and never changed.

Only ``"numpy"`` is always available; ``"dask"`` and ``"cupy"`` import their libraries (and
``array-api-compat``) lazily and say which extra to install when they are missing.
"""

from __future__ import annotations

import numpy as np

from ._run import run_flat


class Backend:
    """An array backend: ``name``, its Array-API namespace ``xp`` and the native module.

    >>> from wire.runtime.backends import resolve
    >>> b = resolve("numpy")
    >>> b.name, b.lazy
    ('numpy', False)
    """

    lazy = False  # results are task graphs until computed (Dask)
    dispatches = False  # NumPy functions dispatch to its arrays (__array_function__)

    def __init__(self, name: str, xp, native=None):
        self.name = name
        self.xp = xp
        self.native = native if native is not None else xp
        self.overrides: dict = {}  # Primitive -> XpImpl, what this backend does its own way

    # ---- values in and out
    def asarray(self, value, chunks=None):
        """An input value as an array of this backend (``chunks`` is Dask's business)."""
        if self.is_array(value):
            return value
        return self.xp.asarray(np.asarray(value))

    def const(self, value):
        """A graph constant (a NumPy array) as this backend wants it."""
        return self.xp.asarray(value)

    def index(self, value):
        """An integer index array as ``__getitem__`` of this backend accepts it."""
        return value

    def scalar(self, value):
        """A 0-d array as a concrete Python-convertible scalar (computes a lazy one)."""
        return value

    def is_array(self, value) -> bool:
        return type(value).__module__.split(".")[0] == self.native.__name__.split(".")[0]

    def compute(self, values: list) -> list:
        """Materialised results (one pass for lazy backends; eager ones return them as is)."""
        return values

    # ---- dtypes
    def dtype(self, dt):
        """This namespace's dtype object for a NumPy dtype."""
        dt = np.dtype(dt)
        return getattr(self.xp, dt.name, dt)

    def np_dtype(self, value) -> np.dtype:
        """The NumPy dtype of one of this backend's arrays."""
        dt = value.dtype
        try:
            return np.dtype(dt)
        except TypeError:
            return np.dtype(str(dt).rsplit(".", 1)[-1])

    # ---- primitives
    def impl(self, prim):
        """``(fn(bk, *args, **params), function name)`` for ``prim``, or ``None``: this
        backend's override, else the primitive's own Array-API implementation (``xp``)."""
        found = self.overrides.get(prim) or prim.xp
        if found is not None:
            return found
        if self.dispatches:
            return (lambda bk, *a, **p: prim.impl(*a, **p)), f"numpy impl of {prim.name}"
        return None

    def run(self, graph, values) -> list:
        """``graph`` evaluated on this backend (used by loops and branches)."""
        return run_flat(graph, list(values), self)

    def __repr__(self):
        return f"<wire backend {self.name}>"


class NumpyBackend(Backend):
    """NumPy itself: every primitive runs its own implementation (the default backend)."""

    dispatches = True

    def __init__(self):
        super().__init__("numpy", np)

    def impl(self, prim):
        return (lambda bk, *a, **p: prim.impl(*a, **p)), f"numpy impl of {prim.name}"

    def const(self, value):
        return value
