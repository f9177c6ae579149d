"""Multi-head self-attention for ``wire.nn``.

Input ``(N, T, D)`` is projected to queries, keys and values for ``num_heads`` heads, each
head attends with scaled dot products (``causal=True`` masks the future), and the heads are
concatenated and projected back to ``D`` features.

>>> import numpy as np, wire
>>> init, apply = wire.nn.MultiHeadSelfAttention(2)
>>> p = init(wire.random.key(0), (-1, 5, 8))
>>> apply(p, np.ones((3, 5, 8))).shape
(3, 5, 8)
"""

from __future__ import annotations

import numpy as np
from pyrsistent import pmap

from .. import numpy as wnp
from .. import random
from ..errors import WireError, at, user_location
from . import initializers as I
from .activations import softmax
from .base import Layer, check_in_shape, check_input

__all__ = ["MultiHeadSelfAttention"]


def MultiHeadSelfAttention(num_heads: int, head_dim: int | None = None, causal: bool = False,
                           w_init=None) -> Layer:
    """Self-attention with ``num_heads`` heads of size ``head_dim`` (default ``D // num_heads``).

    >>> init, apply = MultiHeadSelfAttention(1, causal=True)
    >>> p = init(random.key(0), (1, 3, 2))
    >>> x = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    >>> bool(np.allclose(apply(p, x)[0, 0], apply(p, x[:, :1])[0, 0]))  # no peeking ahead
    True
    """
    num_heads = int(num_heads)
    w_init = I.glorot_uniform() if w_init is None else w_init
    name = f"MultiHeadSelfAttention({num_heads})"

    def dims(d):
        hd = head_dim if head_dim is not None else d // num_heads
        if hd < 1:
            raise WireError(f"{name}: {d} features cannot be split into {num_heads} heads"
                            f"{at(user_location())}")
        return int(hd)

    def init(key, in_shape):
        check_in_shape(name, in_shape, 3, "(batch, time, features)")
        d = int(in_shape[2])
        inner = num_heads * dims(d)
        kq, kk, kv, ko = random.split(key, 4)
        return pmap({"wq": w_init(kq, (d, inner)), "wk": w_init(kk, (d, inner)),
                     "wv": w_init(kv, (d, inner)), "wo": w_init(ko, (inner, d)),
                     "bq": np.zeros(inner), "bk": np.zeros(inner), "bv": np.zeros(inner),
                     "bo": np.zeros(d)})

    def apply(params, x, *, key=None, train=False):
        d = params["wq"].shape[0]
        check_input(name, x, ("N", "T", d))
        n, t, _ = x.shape
        hd = params["wq"].shape[1] // num_heads

        def heads(w, b):  # (N, T, D) -> (N, heads, T, hd)
            return wnp.transpose(wnp.reshape(x @ w + b, (n, t, num_heads, hd)), (0, 2, 1, 3))

        q = heads(params["wq"], params["bq"])
        k = heads(params["wk"], params["bk"])
        v = heads(params["wv"], params["bv"])
        # a Python float: weakly typed, so float32 scores stay float32
        scores = (q @ wnp.swapaxes(k, -1, -2)) * float(hd) ** -0.5
        if causal:
            scores = wnp.where(np.tril(np.ones((t, t), bool)), scores, -1e30)
        out = softmax(scores, axis=-1) @ v  # (N, heads, T, hd)
        out = wnp.reshape(wnp.transpose(out, (0, 2, 1, 3)), (n, t, num_heads * hd))
        return out @ params["wo"] + params["bo"]

    return Layer(init, apply, name=name, out_shape=lambda s: tuple(s))
