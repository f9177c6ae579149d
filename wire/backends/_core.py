"""The ``Backend`` record and how a ``backend=`` argument resolves to one.

A backend is an array namespace plus what wire needs around it: converting inputs and graph
constants to its arrays, the implementation of each primitive on it (the NumPy impl when that
dispatches through NumPy's protocols, else a namespace function from
:mod:`wire.backends._xp`), and materialising lazy results. ``resolve`` is memoized: one
``Backend`` per name or namespace object, created on first use and never changed.

Only ``"numpy"`` is always available; ``"dask"`` and ``"cupy"`` import their libraries (and
``array-api-compat``) lazily and say which extra to install when they are missing.
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import BackendError, at, user_location
from ._xp import XP_IMPLS

_INSTALL = {"dask": "pip install 'wire[dask]'", "cupy": "pip install 'wire[cupy]'"}


class Backend:
    """An array backend: ``name``, its Array-API namespace ``xp`` and the native module.

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
        self.overrides: dict[str, tuple] = {}

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
        """``(fn(bk, *args, **params), function name)`` for ``prim``, or ``None``."""
        found = self.overrides.get(prim.name) or XP_IMPLS.get(prim.name)
        if found is not None:
            return found
        if self.dispatches:
            return (lambda bk, *a, **p: prim.impl(*a, **p)), f"numpy impl of {prim.name}"
        return None

    def run(self, graph, values) -> list:
        """``graph`` evaluated on this backend (used by loops and branches)."""
        from ._run import run_flat

        return run_flat(graph, list(values), self)

    def __repr__(self):
        return f"<wire backend {self.name}>"


def _missing(name: str, err: Exception) -> BackendError:
    return BackendError(
        f"backend {name!r} is not available ({type(err).__name__}: {err}); install it with "
        f"`{_INSTALL[name]}`{at(user_location(3))}"
    )


class NumpyBackend(Backend):
    """NumPy itself: every primitive runs its own implementation (the default backend)."""

    dispatches = True

    def __init__(self):
        super().__init__("numpy", np)

    def impl(self, prim):
        return (lambda bk, *a, **p: prim.impl(*a, **p)), f"numpy impl of {prim.name}"

    def const(self, value):
        return value


@functools.cache
def _named(name: str) -> Backend:
    if name == "numpy":
        return NumpyBackend()
    if name == "dask":
        try:
            from ._dask import DaskBackend

            return DaskBackend()
        except ImportError as e:
            raise _missing(name, e) from None
    if name == "cupy":
        try:
            from ._cupy import CupyBackend

            return CupyBackend()
        except ImportError as e:
            raise _missing(name, e) from None
    raise BackendError(
        f"unknown backend {name!r}: use 'numpy', 'dask', 'cupy' or an Array-API namespace "
        f"object (a module such as array_api_strict){at(user_location(3))}"
    )


@functools.cache
def _from_namespace(xp) -> Backend:
    name = getattr(xp, "__name__", type(xp).__name__)
    root = name.split(".")
    if name in ("numpy", "array_api_compat.numpy"):
        return _named("numpy")
    if root[0] == "dask" or name == "array_api_compat.dask.array":
        return _named("dask")
    if root[0] == "cupy" or name == "array_api_compat.cupy":
        return _named("cupy")
    return Backend(name, xp)


def resolve(backend) -> Backend:
    """The :class:`Backend` for ``"numpy"``, ``"dask"``, ``"cupy"``, an Array-API namespace
    (a module like ``array_api_strict`` or ``dask.array``) or a ``Backend``; ``None`` is NumPy.

    >>> resolve("numpy").name
    'numpy'
    >>> resolve(np) is resolve("numpy")
    True
    """
    if backend is None:
        return _named("numpy")
    if isinstance(backend, Backend):
        return backend
    if isinstance(backend, str):
        return _named(backend)
    if not hasattr(backend, "asarray"):
        raise BackendError(
            f"backend must be 'numpy', 'dask', 'cupy' or an Array-API namespace, got a "
            f"{type(backend).__name__}{at(user_location(2))}"
        )
    return _from_namespace(backend)
