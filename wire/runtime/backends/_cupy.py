"""The CuPy backend: graphs run on an NVIDIA GPU through ``array_api_compat.cupy``.

Inputs and graph constants are copied to the device once (constants once per graph); results
stay CuPy arrays (``.get()`` copies one back). Primitives use their own Array-API
implementations (``Primitive.xp``); the special functions come from ``cupyx.scipy.special``,
index scatters with repeated indices from ``cupyx.scatter_add``, and the incomplete gamma/beta
family runs its NumPy implementation on host copies. A primitive with neither runs its NumPy
implementation, which CuPy's ``__array_function__``/``__array_ufunc__`` dispatch usually
takes; when it does not, the error names the primitive and the function.
"""

from __future__ import annotations

import numpy as np

from ...core.lowering import XpImpl
from ...ops import bessel as BES
from ...ops import incomplete as INC
from ...ops import special as SP
from ...ops import special_more as SM
from ...ops.indexing import build_index, scatter_add_p
from ._core import Backend


def device_count() -> int:
    """How many CUDA devices CuPy sees (0 when CuPy, a driver or a device is missing)."""
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except (ImportError, RuntimeError, AttributeError):  # CUDARuntimeError: no driver/device
        return 0


def overrides() -> dict:
    """What CuPy does its own way, keyed by the primitive (the rest use ``Primitive.xp``)."""
    ov = {}
    for prim, fname in ((SP.erf_p, "erf"), (SP.erfc_p, "erfc"), (SP.erfinv_p, "erfinv"),
                        (SP.ndtri_p, "ndtri"), (SP.gammaln_p, "gammaln")):
        ov[prim] = XpImpl(_special(fname), "cupyx.scipy.special." + fname)
    ov[SP.polygamma_p] = XpImpl(_polygamma, "cupyx.scipy.special.polygamma")
    ov[scatter_add_p] = XpImpl(_scatter_add, "cupyx.scatter_add")
    # the incomplete gamma/beta family: SciPy's values and dtypes, and Taylor arithmetic in
    # NumPy for the shape derivatives, which have no CUDA kernel
    for prim in (*INC.PRIMITIVES, *BES.PRIMITIVES, *SM.PRIMITIVES):  # SciPy's, likewise
        ov[prim] = XpImpl(_on_host(prim), f"numpy impl of {prim.name} (on the host)")
    return ov


class CupyBackend(Backend):
    """CuPy arrays on the current CUDA device (``ImportError`` without CuPy or a device)."""

    dispatches = True  # CuPy implements NumPy's dispatch protocols

    def __init__(self):
        import cupy
        from array_api_compat import cupy as xp

        if device_count() == 0:
            raise ImportError("CuPy is installed but no CUDA device is available")
        super().__init__("cupy", xp, cupy)
        self.overrides.update(overrides())

    def asarray(self, value, chunks=None):
        cupy = self.native
        return value if isinstance(value, cupy.ndarray) else cupy.asarray(np.asarray(value))

    def const(self, value):
        return self.native.asarray(value)

    def scalar(self, value):
        return value.item() if isinstance(value, self.native.ndarray) else value

    def is_array(self, value) -> bool:
        return isinstance(value, self.native.ndarray)


def _special(fname):
    def fn(bk, x):
        from cupyx.scipy import special

        return getattr(special, fname)(x)

    return fn


def _on_host(prim):
    """``prim``'s NumPy implementation on host copies of the operands, copied back."""

    def fn(bk, *args, **params):
        cupy = bk.native
        host = [a.get() if isinstance(a, cupy.ndarray) else a for a in args]
        return cupy.asarray(prim.impl(*host, **params))

    return fn


def _polygamma(bk, x, *, n):
    from cupyx.scipy import special

    return special.polygamma(n, x)


def _scatter_add(bk, ct, *idx, spec, shape):
    if not any(e[0] == "a" for e in spec):
        return scatter_add_p.xp.fn(bk, ct, *idx, spec=spec, shape=shape)
    import cupyx

    z = bk.native.zeros(tuple(shape), dtype=ct.dtype)
    cupyx.scatter_add(z, build_index(spec, list(idx)), ct)
    return z
