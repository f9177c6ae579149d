"""Structural primitives in one namespace: constants of a shape, reshape, transpose, broadcast,
concatenate (:mod:`wire.ops.layout`), indexing and scatter-add (:mod:`wire.ops.indexing`),
un-broadcasting (:mod:`wire.ops.reductions`) and multi-output projection (``wire.core``).

``wire.numpy`` builds on this namespace (``S.reshape``, ``S.getitem``…); the primitives and
their rules are declared in the modules named above.
"""

from ..core import proj_p, to_tracer
from .indexing import build_index, getitem, getitem_p, scatter_add, scatter_add_p
from .layout import (
    broadcast_to, broadcast_to_p, concatenate, concatenate_p, full, full_like_, full_like_p,
    full_p, ones_like_, reshape, reshape_p, swapaxes, swapaxes_p, transpose, transpose_p,
    zeros_like_,
)
from .reductions import (
    broadcast_like, broadcast_like_p, sum_to_like, sum_to_like_p, sum_to_shape,
)

__all__ = [
    "broadcast_like", "broadcast_like_p", "broadcast_to", "broadcast_to_p", "build_index",
    "concatenate", "concatenate_p", "full", "full_like_", "full_like_p", "full_p", "getitem",
    "getitem_p", "ones_like_", "proj_p", "reshape", "reshape_p", "scatter_add", "scatter_add_p",
    "sum_to_like", "sum_to_like_p", "sum_to_shape", "swapaxes", "swapaxes_p", "to_tracer",
    "transpose", "transpose_p", "zeros_like_",
]
