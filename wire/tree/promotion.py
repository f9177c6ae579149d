"""JAX's type-promotion lattice (with 64-bit types enabled), for :func:`wire.tree.ravel`.

JAX promotes by the least upper bound in a small lattice rather than by NumPy's table:
``int32`` with ``float16`` is ``float16`` (NumPy: ``float64``), ``uint64`` with ``int64`` is
``float64``, and Python scalars are *weak* (``i*``, ``f*``, ``c*``): a Python float meets a
``float32`` array as ``float32``. A weak result becomes the default type of its kind
(``int64``, ``float64``, ``complex128``).

>>> promote_types([np.dtype(np.int32), np.dtype(np.float16)])
dtype('float16')
>>> promote_types([np.dtype(np.float32), "f*"])
dtype('float32')
"""

from __future__ import annotations

import numpy as np

_EDGES = {
    "b": ("i*",),
    "u1": ("i2", "u2"), "u2": ("i4", "u4"), "u4": ("i8", "u8"), "u8": ("f*",),
    "i*": ("u1", "i1"), "i1": ("i2",), "i2": ("i4",), "i4": ("i8",), "i8": ("f*",),
    "f*": ("f2", "c*"), "f2": ("f4",), "f4": ("f8", "c8"), "f8": ("c16",),
    "c*": ("c8",), "c8": ("c16",), "c16": (),
}
_WEAK_DEFAULT = {"i*": np.dtype(np.int64), "f*": np.dtype(np.float64),
                 "c*": np.dtype(np.complex128)}


def _upper_sets() -> dict:
    ups = {}
    for start in _EDGES:
        seen, todo = {start}, [start]
        while todo:
            for nxt in _EDGES[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        ups[start] = frozenset(seen)
    return ups


_UP = _upper_sets()


def lattice_name(dtype) -> str:
    """The lattice node of a dtype, or a weak name (``"i*"``, ``"f*"``, ``"c*"``) unchanged."""
    if isinstance(dtype, str) and dtype in _EDGES:
        return dtype
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return "b"
    if dt.kind not in "iufc":
        raise TypeError(f"no promotion for dtype {dt}")
    return f"{dt.kind}{dt.itemsize}"


def promote_types(dtypes) -> np.dtype:
    """The least upper bound of ``dtypes`` (NumPy dtypes or weak names) in JAX's lattice."""
    names = [lattice_name(d) for d in dtypes]
    if not names:
        return np.dtype(np.float64)
    common = frozenset.intersection(*[_UP[n] for n in names])
    # the least element of the common upper bounds: the one every other bound is above
    best = next(c for c in common if _UP[c] == common)
    return _WEAK_DEFAULT.get(best) or np.dtype(_to_numpy(best))


def _to_numpy(name: str) -> str:
    return "?" if name == "b" else f"{name[0]}{name[1:]}"


def leaf_dtype(leaf) -> np.dtype:
    """A leaf's dtype as ``ravel_pytree`` sees it: an array's own; a Python number's
    canonical 64-bit type (``int64``, ``float64``, ``complex128``; ``bool``) — not weak."""
    dt = getattr(leaf, "dtype", None)
    return np.dtype(dt) if dt is not None else np.result_type(leaf)
