"""The Dask backend: walking a graph with ``dask.array`` values builds a Dask task graph.

Most primitives run through their own Array-API implementation (``Primitive.xp``) with
``array_api_compat.dask.array`` as the namespace, which maps one-to-one onto ``dask.array``'s
blocked algorithms: elementwise ops per chunk, reductions as tree reductions across chunks,
``matmul`` with a chunked contraction dimension as blocked products summed. The overrides
below cover what Dask does not do blockwise:

* NumPy inputs become Dask arrays with the caller's ``chunks=``; constants stay NumPy (Dask
  embeds them); integer index arrays are made concrete (they decide the output chunks).
* special functions run per chunk (``map_blocks``) with their NumPy implementation;
* ``fft`` first puts each transformed axis in one chunk;
* small dense linear algebra (``det``, ``slogdet``, ``eigh``, ``svd``, batched solves), index
  scatters with repeated indices, and any primitive Dask has no blocked algorithm for run as
  **one task** holding the primitive's NumPy implementation (``dask.delayed`` +
  ``from_delayed`` with the node's known shape and dtype), so the result stays lazy and
  the rest of the graph stays parallel.

Dask itself is imported when the backend is first resolved, not with wire.
"""

from __future__ import annotations

import numpy as np

from ...ops.indexing import build_index
from ._core import Backend
from ...core.lowering import XpImpl
from ...ops import bessel as BES
from ...ops import factorizations as F
from ...ops import incomplete as INC
from ...ops import scatter as SC
from ...ops import special as SP
from ...ops import special_more as SM
from ...ops.fft import fft_p
from ...ops.indexing import getitem_p, scatter_add_p
from ...ops.layout import reshape_p

# primitives whose NumPy implementation is elementwise: per chunk with map_blocks
_BLOCKWISE = (SP.erf_p, SP.erfc_p, SP.erfinv_p, SP.ndtri_p, SP.gammaln_p, SP.polygamma_p,
              *BES.UNARY)
# primitives with no blocked algorithm in Dask (or only for some chunkings): one task
_ONE_TASK = (
    F.det_p, F.slogdet_p, F.eigh_p, F.svd_p, F.qr_p, F.eig_p, F.adjugate_p, F.inv_or_inf_p,
    F.pinv_p, F.svdvals_p, F.lstsq_p,
    # elementwise, but of several operands (map_blocks would need them chunked alike)
    *INC.PRIMITIVES, *BES.BINARY, *SM.PRIMITIVES,
    # x.at[index] updates: ufunc.at has no blocked Dask algorithm
    SC.scatter_p, SC.scatter_addto_p, SC.scatter_mul_p, SC.scatter_min_p, SC.scatter_max_p,
)


def overrides() -> dict:
    """What Dask does its own way, keyed by the primitive (the rest use ``Primitive.xp``)."""
    ov = {}
    for prim in _BLOCKWISE:
        ov[prim] = XpImpl(_blockwise, "map_blocks")
    for prim in _ONE_TASK:
        ov[prim] = XpImpl(_one_task, "delayed (one task)")
    for prim in (F.solve_p, F.inv_p, F.cholesky_p):
        ov[prim] = XpImpl(_native_or_one_task(prim.xp.fn), prim.xp.function)
    ov[getitem_p] = XpImpl(_native_or_one_task(_getitem), "__getitem__")
    ov[scatter_add_p] = XpImpl(_native_or_one_task(_scatter_add), "__setitem__")
    ov[fft_p] = XpImpl(_fft, "fft.fftn")
    ov[reshape_p] = XpImpl(_reshape, "reshape")
    return ov


class DaskBackend(Backend):
    """Dask arrays: lazy, chunked, run by the threaded scheduler or a ``distributed`` Client."""

    lazy = True

    def __init__(self):
        # Dask is optional and slow to import: imported when the backend is first resolved
        import dask
        import dask.array as da
        from array_api_compat.dask import array as xp

        super().__init__("dask", xp, da)
        self.dask = dask
        self.overrides.update(overrides())

    def impl(self, prim):
        found = super().impl(prim)
        if found is None:  # a primitive newer than this table: its NumPy impl, as one task
            return XpImpl(_one_task, "delayed (one task)")
        return found

    def asarray(self, value, chunks=None):
        if isinstance(value, self.native.Array):
            return value
        value = np.asarray(value)
        return self.native.from_array(value, chunks=_chunks_for(chunks, value.ndim))

    def const(self, value):
        return value

    def index(self, value):
        return self.scalar(value)

    def scalar(self, value):
        return value.compute() if isinstance(value, self.native.Array) else value

    def is_array(self, value) -> bool:
        return isinstance(value, self.native.Array)

    def compute(self, values: list) -> list:
        return [np.asarray(v) if not isinstance(v, tuple) else tuple(map(np.asarray, v))
                for v in self.dask.compute(*values)]


def _chunks_for(chunks, ndim: int):
    """The caller's ``chunks=`` for one input: dicts skip missing axes, tuples need the rank."""
    if chunks is None:
        return "auto"
    if isinstance(chunks, dict):
        return {k: v for k, v in chunks.items() if -ndim <= k < ndim}
    if isinstance(chunks, (tuple, list)) and len(chunks) != ndim:
        return -1
    return chunks


# --------------------------------------------------------------------------- fallbacks
# Functions marked ``wants_node`` get the node (its NumPy impl and aval) as ``_node=``.


def _wants_node(fn):
    fn.wants_node = True
    return fn


@_wants_node
def _one_task(bk, *args, _node, **params):
    """``_node``'s NumPy implementation run as one Dask task on ``args`` (lazy)."""
    impl, aval = _node.op.impl, _node.aval
    multi = isinstance(aval, tuple)

    def call(*a):
        out = impl(*a, **params)
        if multi:
            return tuple(np.asarray(o, dtype=v.dtype) for o, v in zip(out, aval))
        return np.asarray(out, dtype=aval.dtype)

    dask, da = bk.dask, bk.native
    task = dask.delayed(call, pure=True, nout=len(aval) if multi else None)(*args)
    if multi:
        return tuple(da.from_delayed(t, shape=v.shape, dtype=v.dtype) for t, v in zip(task, aval))
    return da.from_delayed(task, shape=aval.shape, dtype=aval.dtype)


@_wants_node
def _blockwise(bk, x, *, _node, **params):
    """``_node``'s elementwise NumPy implementation mapped over the chunks of ``x``."""
    impl, da = _node.op.impl, bk.native
    x = x if isinstance(x, da.Array) else da.from_array(np.asarray(x))
    return da.map_blocks(lambda b: impl(b, **params), x, dtype=_node.aval.dtype)


class NoBlockedAlgorithm(Exception):
    """These operands have no chunked Dask algorithm: run the NumPy impl as one lazy task."""


def _native_or_one_task(fn):
    """``fn`` (a blocked Dask algorithm); when it or Dask refuses these operands, one task."""

    @_wants_node
    def run(bk, *args, _node, **params):
        try:
            return fn(bk, *args, **params)
        # Dask's own refusals (it raises NotImplementedError for unsupported index mixes)
        except (NoBlockedAlgorithm, NotImplementedError, ValueError, TypeError, IndexError):
            return _one_task(bk, *args, _node=_node, **params)

    return run


def _getitem(bk, x, *idx, spec):
    """One index array: basic part first, then the array along its axis (Dask mishandles
    some mixes of an index array with new axes in one step). Several: Dask's own rules."""
    idx = [bk.index(i) for i in idx]
    arrays = [k for k, e in enumerate(spec) if e[0] == "a"]
    if len(arrays) != 1 or len(spec) == 1:
        return x[build_index(spec, idx)]
    spec = tuple(_expand_ellipsis(spec, x.ndim))
    advanced = [k for k, e in enumerate(spec) if e[0] in "ia"]
    if advanced[-1] - advanced[0] != len(advanced) - 1:
        # NumPy moves the index dims to the front here; leave that to NumPy, in one task
        raise NoBlockedAlgorithm("integer and array indices that are not adjacent")
    k = next(k for k, e in enumerate(spec) if e[0] == "a")
    basic = spec[:k] + (("s", None, None, None),) + spec[k + 1:]
    pos = sum(1 for e in spec[:k] if e[0] in "sn")  # result axes made before the array's
    y = x[build_index(basic, idx)]
    return y[(slice(None),) * pos + (idx[spec[k][1]],)]


def _scatter_add(bk, ct, *idx, spec, shape):
    """Basic indexing only (each element written once): ``zeros[index] = ct`` in Dask."""
    if any(e[0] == "a" for e in spec):
        raise NoBlockedAlgorithm("repeated-index accumulation has no blocked Dask algorithm")
    # Dask's __setitem__ does not take None: drop new axes from the index and from ct
    index, keep, dim = [], [], 0
    for e in _expand_ellipsis(spec, len(shape)):
        if e[0] == "n":
            dim += 1
            continue
        if e[0] == "s":
            index.append(slice(e[1], e[2], e[3]))
            keep.append(dim)
            dim += 1
        else:
            index.append(e[1])
    squeezed = tuple(ct.shape[d] for d in keep)
    z = bk.native.zeros(tuple(shape), dtype=ct.dtype)
    z[tuple(index)] = bk.native.reshape(ct, squeezed) if tuple(ct.shape) != squeezed else ct
    return z


def _expand_ellipsis(spec, ndim):
    used = sum(1 for e in spec if e[0] in "sia")
    out = []
    for e in spec:
        if e[0] == "e":
            out.extend([("s", None, None, None)] * (ndim - used))
        else:
            out.append(e)
    out.extend([("s", None, None, None)] * (ndim - sum(1 for e in out if e[0] in "sia")))
    return out


def _fft(bk, x, *, axes, inverse, norm="backward"):
    if isinstance(x, bk.native.Array):
        x = x.rechunk({ax: -1 for ax in axes})
    return fft_p.xp.fn(bk, x, axes=axes, inverse=inverse, norm=norm)


def _reshape(bk, x, *, shape):
    """Dask reshapes by merging or splitting whole chunks; otherwise first merge the trailing
    axes (rows stay chunked), and as a last resort the whole array."""
    da = bk.native
    x = da.asarray(x)
    try:  # da.reshape raises NotImplementedError/ValueError for chunkings it cannot reshape
        return da.reshape(x, tuple(shape))
    except (NotImplementedError, ValueError):
        pass
    if x.ndim > 1:
        try:
            return da.reshape(x.rechunk({ax: -1 for ax in range(1, x.ndim)}), tuple(shape))
        except (NotImplementedError, ValueError):
            pass
    return da.reshape(x.rechunk(-1), tuple(shape))
