"""Backend resolution: ``"numpy"``, ``"dask"``, ``"cupy"``, an Array-API namespace or a
``Backend`` to the :class:`~wire.runtime.backends._core.Backend` that runs graphs with it."""

from __future__ import annotations

import functools

from ...errors import BackendError, at, user_location
from ._core import Backend, NumpyBackend
from ._cupy import CupyBackend
from ._dask import DaskBackend

_INSTALL = {"dask": "pip install 'wire[dask]'", "cupy": "pip install 'wire[cupy]'"}


def _missing(name: str, err: Exception) -> BackendError:
    return BackendError(
        f"backend {name!r} is not available ({type(err).__name__}: {err}); install it with "
        f"`{_INSTALL[name]}`{at(user_location(3))}"
    )


@functools.cache
def _named(name: str) -> Backend:
    if name == "numpy":
        return NumpyBackend()
    if name == "dask":
        try:
            return DaskBackend()
        except ImportError as e:
            raise _missing(name, e) from None
    if name == "cupy":
        try:
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
    >>> import numpy as np
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
