"""The torch backend: graphs run on PyTorch tensors, on the CPU or a CUDA device, through
``array_api_compat.torch``.

``backend="torch"`` runs on torch's default device (the CPU unless the program chose another
with ``torch.set_default_device``) at the time the backend is first resolved;
``"torch:cpu"``, ``"torch:cuda"``, ``"torch:cuda:1"`` name a device. NumPy arguments and the
graph's constants are copied to that device once (constants once per graph; a writable
C-contiguous NumPy array on the CPU is shared, not copied, and never written); torch tensors
must already be there, and results are torch tensors. Every dtype is kept: a float64 graph
computes in float64 on the device.

Primitives use their own Array-API implementations (``Primitive.xp``); the overrides below
cover what torch does its own way: the special functions come from ``torch.special``,
indexing with negative steps flips the axis first (torch slices only forwards), scatters with
repeated indices accumulate with ``index_add_``, and the incomplete gamma/beta family (whose
shape derivatives torch lacks) and the ``x.at[...]`` updates (NumPy's ``ufunc.at`` order and
negative-step slices) run their NumPy implementations on host copies. Three keep
NumPy's special values where torch's differ: ``log1p`` of a subnormal (torch flushes it to
0), ``erfinv(-0.0)`` (+0.0 in SciPy) and the signed zeros of ``complex(re, im)``.

torch is imported when the backend is first resolved, not with wire.
"""

from __future__ import annotations

import numpy as np

from ...core.lowering import XpImpl
from ...errors import BackendError
from ...ops import bessel as BES
from ...ops import special_more as SM
from ...ops import incomplete as INC
from ...ops import scatter as SC
from ...ops import special as SP
from ...ops.complex_parts import complex_p
from ...ops.elementwise import fmod_p, log1p_p, mod_p
from ...ops.indexing import build_index, getitem_p, scatter_add_p
from ._core import Backend


def overrides() -> dict:
    """What torch does its own way, keyed by the primitive (the rest use ``Primitive.xp``)."""
    ov = {}
    for prim, fname in ((SP.erf_p, "erf"), (SP.erfc_p, "erfc"), (SP.ndtri_p, "ndtri"),
                        (SP.gammaln_p, "gammaln")):
        ov[prim] = XpImpl(_special(fname), "torch.special." + fname)
    ov[SP.erfinv_p] = XpImpl(_erfinv, "torch.special.erfinv")
    ov[SP.polygamma_p] = XpImpl(_polygamma, "torch.special.polygamma")
    ov[log1p_p] = XpImpl(_log1p, "log1p")
    ov[fmod_p] = XpImpl(_fmod, "fmod")
    ov[mod_p] = XpImpl(_mod, "remainder")
    ov[complex_p] = XpImpl(_complex, "complex")
    ov[getitem_p] = XpImpl(_getitem, "__getitem__ (flip for negative steps)")
    ov[scatter_add_p] = XpImpl(_scatter_add, "index_add_")
    for prim in (INC.gammainc_p, INC.gammaincc_p, INC.gammainc_deriv_p, INC.gammainc_dx_p,
                 INC.betainc_p, INC.betaincc_p, INC.betainc_deriv_p, INC.betainc_dx_p,
                 *BES.PRIMITIVES, *SM.PRIMITIVES):
        ov[prim] = XpImpl(_on_host(prim), f"numpy impl of {prim.name} (on the host)")
    for prim in (SC.scatter_p, SC.scatter_addto_p, SC.scatter_mul_p, SC.scatter_min_p,
                 SC.scatter_max_p):
        ov[prim] = XpImpl(_on_host(prim), f"numpy impl of {prim.name} (on the host)")
    return ov


def parse_device(name: str) -> str | None:
    """The device in a backend name: ``"torch"`` -> None (torch's default), ``"torch:cuda:1"``
    -> ``"cuda:1"``; None for a name that is not torch's.

    >>> parse_device("torch"), parse_device("torch:cuda:1"), parse_device("dask")
    (None, 'cuda:1', None)
    """
    if name == "torch":
        return None
    head, _, device = name.partition(":")
    return device if head == "torch" and device else None


def is_torch_name(name: str) -> bool:
    """Whether ``name`` is ``"torch"`` or ``"torch:<device>"``.

    >>> is_torch_name("torch:cpu"), is_torch_name("torchvision")
    (True, False)
    """
    return name == "torch" or name.startswith("torch:") and len(name) > len("torch:")


class TorchBackend(Backend):
    """PyTorch tensors on one device (``ImportError`` without torch, ``RuntimeError`` for a
    device torch does not have)."""

    def __init__(self, device: str | None = None):
        import torch
        from array_api_compat import torch as xp

        dev = torch.get_default_device() if device is None else torch.device(device)
        if dev.type == "cuda":
            if not torch.cuda.is_available():
                raise RuntimeError("torch has no CUDA device here (torch.cuda.is_available() "
                                   "is False); use 'torch:cpu'")
            if dev.index is None:  # tensors report "cuda:0": compare devices with the index
                dev = torch.device("cuda", torch.cuda.current_device())
        super().__init__(f"torch:{dev}", xp, torch)
        self.device = dev
        self.overrides.update(overrides())
        # dtype conversions run once per operation: tables, not exceptions
        self._to_torch = {}
        self._to_numpy = {}
        for name in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                     "uint64", "float16", "float32", "float64", "complex64", "complex128"):
            if hasattr(torch, name):
                self._to_torch[np.dtype(name)] = getattr(torch, name)
                self._to_numpy[getattr(torch, name)] = np.dtype(name)

    # ---- values in and out
    def asarray(self, value, chunks=None):
        torch = self.native
        if isinstance(value, torch.Tensor):
            if value.device != self.device:
                raise BackendError(
                    f"a torch tensor on {value.device} was passed to backend {self.name!r}; "
                    f"move it (tensor.to({str(self.device)!r})) or pick the backend of its "
                    f"device (backend='torch:{value.device}')"
                )
            return value
        return self._tensor(np.asarray(value))

    def const(self, value):
        return self._tensor(np.asarray(value))

    def _tensor(self, a: np.ndarray):
        torch = self.native
        if a.dtype not in self._to_torch:
            raise TypeError(f"torch has no dtype for NumPy's {a.dtype}")
        if a.flags.c_contiguous and a.flags.writeable and self.device.type == "cpu":
            return torch.from_numpy(a)  # shared with the caller: wire never writes inputs
        return torch.tensor(a.copy(order="C"), device=self.device)

    def scalar(self, value):
        return value.item() if isinstance(value, self.native.Tensor) else value

    def index(self, value):
        return value

    def is_array(self, value) -> bool:
        return isinstance(value, self.native.Tensor)

    # ---- dtypes
    def dtype(self, dt):
        return self._to_torch[np.dtype(dt)]

    def np_dtype(self, value) -> np.dtype:
        return self._to_numpy[value.dtype]


# --------------------------------------------------------------------------- overrides


def _special(fname):
    def fn(bk, x):
        return getattr(bk.native.special, fname)(x)

    return fn


def _erfinv(bk, x):
    # SciPy's erfinv(-0.0) is +0.0 (torch's is -0.0): adding +0.0 turns -0.0 into +0.0 only
    return bk.native.special.erfinv(x) + 0.0


def _log1p(bk, x):
    # torch's log1p flushes subnormal x to 0; log1p(x) is x itself there
    torch = bk.native
    return torch.where(torch.abs(x) < torch.finfo(x.dtype).tiny, x, torch.log1p(x))


def _reduced(bk, x, y):
    """``x`` less a multiple of ``y`` small enough that ``x / y`` cannot overflow: torch's
    vectorised fmod and remainder divide first and give NaN where it does (``max / 0.5``).
    ``x`` modulo ``y * 2**k`` (exact: a power-of-two multiple of ``y``) leaves the same
    remainders; ``k`` is 0 wherever the quotient is in range already."""
    torch = bk.native
    _, ex = torch.frexp(x)
    _, ey = torch.frexp(y)
    k = torch.clamp(ex - ey - (np.finfo(bk.np_dtype(x)).maxexp - 2), min=0).to(y.dtype)
    half = torch.floor(k / 2)  # torch's ldexp multiplies by 2**k, which overflows past maxexp
    return torch.fmod(x, torch.ldexp(torch.ldexp(y, half), k - half))


def _fmod(bk, x, y):
    """C's fmod, also where ``x / y`` overflows."""
    torch = bk.native
    if not x.dtype.is_floating_point:
        return torch.fmod(x, y)
    return torch.fmod(_reduced(bk, x, y), y)


def _mod(bk, x, y):
    """NumPy's mod: the sign of the divisor, zeros included (torch's remainder gives a zero
    the sign of ``x``), also where ``x / y`` overflows."""
    torch = bk.native
    if not x.dtype.is_floating_point:
        return torch.remainder(x, y)
    r = torch.remainder(_reduced(bk, x, y), y)
    return torch.where(r == 0, torch.copysign(torch.zeros_like(r), y), r)


def _complex(bk, re, im):
    """The complex tensor with parts ``re`` and ``im`` exactly (infinite parts and signed
    zeros kept), as the NumPy impl writes them."""
    torch = bk.native
    real = torch.float64 if torch.float64 in (re.dtype, im.dtype) else torch.float32
    re, im = torch.broadcast_tensors(re.to(real), im.to(real))
    return torch.complex(re, im)


def _polygamma(bk, x, *, n):
    return bk.native.special.polygamma(int(n), x)


def _on_host(prim):
    """``prim``'s NumPy implementation on host copies of the operands, copied back."""

    def fn(bk, *args, **params):
        host = [a.detach().cpu().numpy() if bk.is_array(a) else a for a in args]
        out = prim.impl(*host, **params)
        if isinstance(out, tuple):
            return tuple(bk.const(o) for o in out)
        return bk.const(out)

    return fn


def _getitem(bk, x, *idx, spec):
    x, spec = _forward_slices(bk, x, spec)
    return x[build_index(spec, list(idx))]


def _forward_slices(bk, x, spec):
    """``x`` and ``spec`` with every negative-step slice made a forward one over the flipped
    axis (torch slices only forwards): the selected elements and their order are the same."""
    if not any(e[0] == "s" and e[3] is not None and e[3] < 0 for e in spec):
        return x, spec
    consumed = sum(1 for e in spec if e[0] in "sia")
    axis, out = 0, []
    for e in spec:
        if e[0] == "e":
            axis += x.ndim - consumed
        elif e[0] == "s" and e[3] is not None and e[3] < 0:
            picked = range(*slice(e[1], e[2], e[3]).indices(x.shape[axis]))
            if len(picked):  # picked[-1] is the smallest index: forward from it, then flip
                cut = [slice(None)] * x.ndim
                cut[axis] = slice(picked[-1], picked[0] + 1, -e[3])
                x = bk.native.flip(x[tuple(cut)], dims=(axis,))
                e = ("s", None, None, None)
            else:
                e = ("s", 0, 0, None)
        if e[0] in "sia":
            axis += 1
        out.append(e)
    return x, tuple(out)


def _scatter_add(bk, ct, *idx, spec, shape):
    """``zeros(shape)`` with ``ct`` added at ``index`` (repeated positions accumulate): the
    flat positions ``index`` picks from ``arange`` are where ``index_add_`` adds ``ct``."""
    torch = bk.native
    size = int(np.prod(shape, dtype=np.int64))
    where = _getitem(bk, torch.arange(size, device=ct.device).reshape(tuple(shape)), *idx,
                     spec=spec)
    z = torch.zeros(size, dtype=ct.dtype, device=ct.device)
    z.index_add_(0, where.reshape(-1), ct.reshape(-1))
    return z.reshape(tuple(shape))
