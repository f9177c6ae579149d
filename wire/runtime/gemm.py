"""GEMM providers: which library runs the large matrix products of compiled code.

``wire.jit(f, gemm=...)`` chooses, for the NumPy backend's generated code:

* ``"numpy"`` (the default): every ``matmul`` line calls ``np.matmul`` (NumPy's BLAS,
  OpenBLAS in the PyPI wheels), so compiled code gives the bits eager evaluation gives;
* ``"torch"``: each float32/float64 matrix product of at least :data:`MIN_WORK`
  multiply-adds (``batch * m * n * k``; fewer for thin ones) with a contraction of 2 or
  more and no side ``m`` or ``n`` of 1 calls :func:`compiled_matmul`: ``torch.mm``
  (``torch.matmul`` for batches) on zero-copy views of the NumPy arrays (transposed and
  strided views included; negative strides are copied), writing into the function's
  scratch buffer when it has one, its result handed back as a NumPy array. torch's CPU
  build links Intel MKL, whose kernels ran the GEMMs of an MLP step in 0.86-0.89×
  (float32) and 0.89-0.90× (float64) of OpenBLAS's time here (docs/performance.md).
  Every other product (integers, float16, complex, mixed dtypes, small ones) stays on
  NumPy;
* ``"auto"``: ``"torch"`` for a function that has such a product when torch is installed,
  else ``"numpy"`` — the same choice in every process of one environment, and torch is
  imported only for a function that has a product large enough for it.

``WIRE_GEMM`` (``numpy``, ``torch`` or ``auto``) sets the default of :func:`wire.jit`.
Results differ from NumPy's only by the order of the sums (bounded in tests by
``k * eps * |A| |B|``); NaN and infinities propagate as NumPy's do. torch's intra-op
thread count (``torch.set_num_threads``) is torch's own: wire never changes it.

:func:`routed` tells how many lines of a compiled function call torch's GEMM.

>>> import numpy as np
>>> resolve("numpy"), qualifies(np.dtype("float64"), (256, 512), (512, 512))
('numpy', True)
>>> qualifies(np.dtype("float32"), (8, 8), (8, 8))
False
>>> qualifies(np.dtype("int64"), (512, 512), (512, 512))
False
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import math
import os

import numpy as np

from ..errors import GemmUnavailableError, WireValueError

__all__ = ["MIN_WORK", "MIN_WORK_THIN", "PROVIDERS", "THIN", "cache_key", "choose",
           "compiled_matmul", "default", "node_qualifies", "qualifies", "resolve", "routed",
           "torch_available", "torch_matmul"]

PROVIDERS = ("numpy", "torch", "auto")

MIN_WORK = {np.dtype(np.float32): 1 << 22, np.dtype(np.float64): 1 << 21}
"""Multiply-adds (``batch * m * n * k``) from which a product of that dtype runs on torch:
where torch's fixed cost per call (viewing two arrays and the result, dispatch: 8-12 µs on
this loaded machine against NumPy's 2.5) stops outweighing MKL's faster kernels. Measured
with 1 thread each, CPU time, paired medians of torch ÷ NumPy writing into a buffer:
float32 1.18× at 128³ (2^21), 1.04× at 160³, 0.95× at 192³, 0.89× at 256×784×512;
float64 1.63× at 96³, 1.02× at 128³ (2^21), 0.86× at 160³ (docs/performance.md)."""

MIN_WORK_THIN = 1 << 20
"""Multiply-adds from which a product with a side (``m``, ``n`` or ``k``) of at most
:data:`THIN` runs on torch in either dtype: there MKL leads OpenBLAS most (256×512 @ 512×10:
0.87-0.95× in float32, 0.63-0.65× in float64)."""
THIN = 16
"""The side below which a product counts as thin (see :data:`MIN_WORK_THIN`)."""

_NAME = "_gemm_torch"  # the global the generated code calls


def default() -> str:
    """The process's default provider: ``WIRE_GEMM`` when set, else ``"numpy"``.

    >>> default() in PROVIDERS
    True
    """
    value = os.environ.get("WIRE_GEMM", "").strip().lower() or "numpy"
    if value not in PROVIDERS:
        raise WireValueError(f"WIRE_GEMM must be one of {', '.join(PROVIDERS)}, got "
                             f"{os.environ.get('WIRE_GEMM')!r}")
    return value


def resolve(gemm: str | None) -> str:
    """``gemm`` checked (``None``: :func:`default`); ``"torch"`` raises
    :class:`wire.errors.GemmUnavailableError` when torch is not installed.

    >>> resolve("auto")
    'auto'
    """
    value = default() if gemm is None else gemm
    if value not in PROVIDERS:
        raise WireValueError(f"gemm must be one of {', '.join(map(repr, PROVIDERS))}, got "
                             f"{gemm!r}")
    if value == "torch" and not torch_available():
        raise GemmUnavailableError(
            "gemm='torch' needs torch, which is not installed: pip install torch, or use "
            "gemm='numpy' (or gemm='auto', NumPy where torch is missing)"
            + (" (the option came from WIRE_GEMM=torch)" if gemm is None else ""))
    return value


@functools.lru_cache(maxsize=1)
def torch_available() -> bool:
    """Whether torch is installed (found, not imported: that costs about 2 s).

    >>> torch_available() in (True, False)
    True
    """
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def qualifies(dtype, a_shape, b_shape, out_dtype=None) -> bool:
    """Whether a ``matmul`` of operands of ``dtype`` (both) and these shapes runs on torch:
    float32 or float64 (``out_dtype`` the same), a contraction of 2 or more (torch writes
    ``-0.0`` where NumPy's sum of one product is ``+0.0``), no matrix-vector product
    (``m`` or ``n`` of 1: no faster in MKL), and at least :data:`MIN_WORK` multiply-adds
    (:data:`MIN_WORK_THIN` for a thin product).

    >>> qualifies("float32", (256, 784), (784, 512)), qualifies("float32", (1, 4096), (4096, 512))
    (True, False)
    """
    dtype = np.dtype(dtype)
    floor = MIN_WORK.get(dtype)
    if floor is None or (out_dtype is not None and np.dtype(out_dtype) != dtype):
        return False
    if a_shape is None or b_shape is None or len(a_shape) < 2 or len(b_shape) < 2:
        return False
    m, k, n = a_shape[-2], a_shape[-1], b_shape[-1]
    if k < 2 or b_shape[-2] != k or m < 2 or n < 2:
        return False
    try:
        batch = math.prod(np.broadcast_shapes(tuple(a_shape[:-2]), tuple(b_shape[:-2])))
    except ValueError:
        return False
    if min(m, n, k) <= THIN:
        floor = min(floor, MIN_WORK_THIN)
    return batch * m * n * k >= floor


def node_qualifies(node) -> bool:
    """Whether the ``matmul`` node ``node`` runs on torch (see :func:`qualifies`).

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda a: a @ a, np.ones((256, 256)))
    >>> [node_qualifies(n) for n in g.nodes if not n.is_leaf]
    [True]
    """
    a, b = (x.aval for x in node.inputs)
    out = node.aval
    if isinstance(a, tuple) or isinstance(b, tuple) or isinstance(out, tuple):
        return False
    if a.dtype != b.dtype:
        return False
    return qualifies(a.dtype, a.shape, b.shape, out.dtype)


def choose(gemm: str, products) -> str:
    """The provider a function whose ``matmul`` nodes are ``products`` uses: ``"auto"``
    becomes ``"torch"`` when one of them qualifies and torch is installed, else ``"numpy"``.

    >>> choose("auto", []), choose("numpy", [])
    ('numpy', 'numpy')
    """
    if gemm == "numpy":
        return "numpy"
    if gemm == "auto" and not torch_available():
        return "numpy"
    if any(node_qualifies(n) for n in products):
        return "torch"
    return "numpy"


@functools.lru_cache(maxsize=1)
def _torch():
    try:
        return importlib.import_module("torch")
    except ImportError as e:
        raise GemmUnavailableError(f"gemm='torch' needs torch, which failed to import: {e}"
                                   ) from None


def load() -> None:
    """Import torch now (raising :class:`wire.errors.GemmUnavailableError` when it fails).

    >>> load() if torch_available() else None
    """
    _torch()


_F32 = np.dtype(np.float32)
_FLOATS = (_F32, np.dtype(np.float64))
_ndarray = np.ndarray


def _tensor(torch, a):
    """A torch tensor viewing ``a`` (no copy), or of a copy where torch cannot view it:
    negative strides, or data or strides not aligned to the item size (NumPy's ``aligned``
    flag; torch aborts the process on some of these rather than raising)."""
    flags = a.flags
    if not flags.aligned or min(a.strides) < 0:
        return torch.from_numpy(a.copy())
    if flags.writeable:
        return torch.from_numpy(a)
    # (from_numpy warns on a read-only array; DLPack carries the flag)
    return torch.from_dlpack(a)


def _out_fits(out, a, b, apart: bool) -> bool:
    """Whether torch can write ``a @ b`` into ``out`` as it is: an ndarray of their dtype,
    C-contiguous and writable, of the result's shape (torch would resize it), sharing no
    memory with them (NumPy buffers such an overlap; torch would read what it writes; not
    looked at when ``apart``: the compiler's scratch buffers share nothing)."""
    if (type(out) is not _ndarray or out.dtype != a.dtype or not out.flags.c_contiguous
            or not out.flags.writeable):
        return False
    if a.ndim == b.ndim == 2:
        shape = (a.shape[0], b.shape[1])
    else:
        try:
            shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
        except ValueError:
            return False
    return out.shape == shape and (apart or not (np.may_share_memory(out, a)
                                                 or np.may_share_memory(out, b)))


def _matmul(a, b, out, apart: bool):
    if (type(a) is not _ndarray or type(b) is not _ndarray or a.dtype != b.dtype
            or a.dtype not in _FLOATS or a.ndim < 2 or b.ndim < 2 or a.shape[-1] < 2
            or (out is not None and not _out_fits(out, a, b, apart))):
        return np.matmul(a, b, out=out)
    torch = _torch()
    if a.dtype == _F32 and torch.get_float32_matmul_precision() != "highest":
        return np.matmul(a, b, out=out)  # (TF32/bfloat16 kernels would not be NumPy's sums)
    try:
        ta, tb = _tensor(torch, a), _tensor(torch, b)
        # (torch.mm: the 2-D case without matmul's dispatch, a microsecond or two less)
        mm = torch.mm if a.ndim == b.ndim == 2 else torch.matmul
        if out is None:
            return mm(ta, tb).numpy()
        mm(ta, tb, out=torch.from_numpy(out))
        return out
    except RuntimeError:  # shapes that do not fit: NumPy's own error
        return np.matmul(a, b, out=out)


def torch_matmul(a, b, out=None):
    """``np.matmul(a, b, out=out)`` computed by torch (``torch.mm``, or ``torch.matmul``
    for batches) when both are float32 or float64 ndarrays of one dtype and a contraction
    of 2 or more (else by NumPy itself): the result is ``out`` when given (written in
    place), else a new NumPy array.

    >>> import numpy as np
    >>> a, b = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
    >>> torch_matmul(a, b)
    array([[ 3.,  3.],
           [12., 12.]])
    """
    return _matmul(a, b, out, False)


def compiled_matmul(a, b, out=None):
    """:func:`torch_matmul` for generated code, whose ``out`` (a scratch buffer or a recycled
    output, :mod:`wire.runtime.arena`) shares no memory with ``a`` or ``b``.

    >>> import numpy as np
    >>> out = np.empty((2, 2))
    >>> compiled_matmul(np.eye(2), np.ones((2, 2)), out) is out
    True
    """
    return _matmul(a, b, out, True)


def cache_key(gemm: str) -> tuple:
    """What a compile cache key adds for the provider ``gemm`` (nothing for NumPy's; for
    ``"auto"``, whether torch is installed, which decides what it compiles to).

    >>> cache_key("numpy"), cache_key("torch")
    ((), ('gemm=torch',))
    """
    if gemm == "numpy":
        return ()
    if gemm == "auto":
        return (f"gemm=auto:{'torch' if torch_available() else 'numpy'}",)
    return (f"gemm={gemm}",)


def bind(ctx) -> str:
    """The name of :func:`torch_matmul` among the globals of generated code (``ctx``: the
    compiler's naming context); imports torch.

    >>> from wire.runtime.compiler import _Ctx
    >>> bind(_Ctx()) if torch_available() else "_gemm_torch"
    '_gemm_torch'
    """
    load()
    ctx.set_global(_NAME, compiled_matmul, ("helper", "gemm_torch"))
    return _NAME


def routed(compiled) -> int:
    """How many lines of the compiled function ``compiled`` (a :class:`wire.Compiled`,
    what ``wire.jit(f).lower(x).compiled`` is) run a matrix product on torch.

    >>> import numpy as np, wire
    >>> routed(wire.jit(lambda a: a @ a).lower(np.ones((2, 2))).compiled)
    0
    """
    return sum(line.count(f"{_NAME}(") for line in compiled.code.splitlines())
