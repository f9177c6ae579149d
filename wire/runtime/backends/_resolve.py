"""Backend resolution: ``"numpy"``, ``"dask"``, ``"cupy"``, ``"torch"`` (``"torch:cuda"`` …),
an Array-API namespace or a ``Backend`` to the
:class:`~wire.runtime.backends._core.Backend` that runs graphs with it."""

from __future__ import annotations

import functools

from ...errors import BackendError, at, user_location
from ._core import Backend, NumpyBackend
from ._cupy import CupyBackend
from ._dask import DaskBackend
from ._torch import TorchBackend, is_torch_name, parse_device

_INSTALL = {"dask": "pip install 'wire[dask]'", "cupy": "pip install 'wire[cupy]'",
            "torch": "pip install 'wire[torch]'"}


def _missing(name: str, err: Exception) -> BackendError:
    extra = "torch" if is_torch_name(name) else name
    return BackendError(
        f"backend {name!r} is not available ({type(err).__name__}: {err}); install it with "
        f"`{_INSTALL[extra]}`{at(user_location(3))}"
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
    if is_torch_name(name):
        try:
            return TorchBackend(parse_device(name))
        except ImportError as e:
            raise _missing(name, e) from None
        except RuntimeError as e:  # torch.device("nonsense"), or no CUDA device
            raise BackendError(f"backend {name!r}: {e}{at(user_location(3))}") from None
    raise BackendError(
        f"unknown backend {name!r}: use 'numpy', 'dask', 'cupy', 'torch' ('torch:cuda' …) or "
        f"an Array-API namespace object (a module such as array_api_strict)"
        f"{at(user_location(3))}"
    )


def _torch_default() -> str:
    """``"torch:<device>"`` for torch's current default device (``"torch"`` when torch is
    missing, so that resolving it names the extra to install)."""
    try:
        import torch
    except ImportError:
        return "torch"
    return f"torch:{torch.get_default_device()}"


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
    if root[0] == "torch" or name == "array_api_compat.torch":
        return _named(_torch_default())
    return Backend(name, xp)


def resolve(backend) -> Backend:
    """The :class:`Backend` for ``"numpy"``, ``"dask"``, ``"cupy"``, ``"torch"`` (torch's
    default device) or ``"torch:<device>"``, an Array-API namespace (a module like
    ``array_api_strict``, ``dask.array`` or ``torch``) or a ``Backend``; ``None`` is NumPy.

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
        # "torch" is torch's default device now; the backend itself is one per device
        return _named(_torch_default() if backend == "torch" else backend)
    if not hasattr(backend, "asarray"):
        raise BackendError(
            f"backend must be 'numpy', 'dask', 'cupy', 'torch' or an Array-API namespace, got a "
            f"{type(backend).__name__}{at(user_location(2))}"
        )
    return _from_namespace(backend)
