"""Attention for ``wire.nn``: the layer ``MultiHeadSelfAttention`` and the function
``dot_product_attention`` (JAX's ``jax.nn.dot_product_attention``).

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
from ..errors import ShapeError, WireError, WireValueError, at, user_location
from ..scipy.special import logsumexp
from . import initializers as I
from .activations import softmax
from .base import Layer, check_in_shape, check_input

__all__ = ["MultiHeadSelfAttention", "dot_product_attention"]


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
            # -1e30, or the dtype's least value where that is larger (float16: -65504;
            # -1e30 cast to float16 warned of an overflow)
            masked = max(-1e30, float(np.finfo(scores.dtype).min))
            scores = wnp.where(np.tril(np.ones((t, t), bool)), scores, masked)
        out = softmax(scores, axis=-1) @ v  # (N, heads, T, hd)
        out = wnp.reshape(wnp.transpose(out, (0, 2, 1, 3)), (n, t, num_heads * hd))
        return out @ params["wo"] + params["bo"]

    return Layer(init, apply, name=name, out_shape=lambda s: tuple(s))


def _as_4d(t):
    t = wnp.asarray(t)
    return wnp.reshape(t, (1,) * (4 - t.ndim) + tuple(t.shape)) if t.ndim < 4 else t


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None,
                          is_causal=False, query_seq_lengths=None, key_value_seq_lengths=None,
                          local_window_size=None, implementation=None, return_residual=False):
    """Scaled dot-product attention, ``softmax(Q Kᵀ · scale + bias) V`` per head, with JAX's
    signature and layout: ``query`` is ``(B, T, N, H)`` or ``(T, N, H)``, ``key`` and
    ``value`` ``(B, S, K, H)`` or ``(S, K, H)``; ``N`` a multiple of ``K`` (grouped-query
    attention; ``K = 1`` is multi-query). ``scale`` defaults to ``1 / sqrt(H)``.

    ``bias`` (added to the logits) and ``mask`` (boolean, ``True`` attends) broadcast to
    ``(B, N, T, S)``; ``is_causal`` masks the future; ``query_seq_lengths`` and
    ``key_value_seq_lengths`` (``(B,)`` integers) mask padding, and query rows past their
    length come out 0; ``local_window_size`` (an int or ``(left, right)``) limits each query
    to the keys within that many positions. Masked logits are set to ``-0.7 ×`` float32's
    largest value, as JAX's: a row with every key masked averages all of them. With
    ``return_residual=True`` the result is ``(out, lse)``, ``lse`` the logsumexp of each
    row's logits, shape ``(B, T, N)`` (no derivative, as JAX's).

    The logits and softmax are computed in ``query``'s dtype promoted with float32 (JAX
    always takes the softmax in float32, so its float64 results agree with these to about
    1e-7). ``implementation`` may be ``None`` or ``'xla'`` (the same computation here).

    >>> import numpy as np, wire
    >>> q, k = np.zeros((1, 2, 1, 4)), np.ones((1, 3, 1, 4))
    >>> v = np.arange(3.0).reshape(1, 3, 1, 1) * np.ones(4)
    >>> dot_product_attention(q, k, v)[0, :, 0, 0]           # equal logits: the mean of v
    array([1., 1.])
    >>> dot_product_attention(q, k, v, is_causal=True)[0, :, 0, 0]
    array([0. , 0.5])
    """
    if implementation not in (None, "xla"):
        raise WireValueError(f"dot_product_attention: implementation must be None or 'xla' "
                             f"(cuDNN is not available), got {implementation!r}"
                             f"{at(user_location())}")
    out_shape = tuple(wnp.shape(query))
    q, k, v = _as_4d(query), _as_4d(key), _as_4d(value)
    B, S, K, H = tuple(k.shape)
    where = "dot_product_attention"
    if tuple(v.shape) != (B, S, K, H):
        raise ShapeError(f"{where}: value's shape {tuple(v.shape)} must equal key's "
                         f"{(B, S, K, H)}{at(user_location())}")
    if q.ndim != 4 or q.shape[0] != B or q.shape[3] != H:
        raise ShapeError(f"{where}: query's shape {tuple(q.shape)} must be (B, T, N, H) with "
                         f"B = {B} and H = {H} as key's{at(user_location())}")
    T, N = q.shape[1], q.shape[2]
    if N % K:
        raise ShapeError(f"{where}: the number of query heads ({N}) must be a multiple of the "
                         f"number of key/value heads ({K}){at(user_location())}")
    G = N // K
    for name, t in (("bias", bias), ("mask", mask)):
        if t is not None and wnp.ndim(t) > 4:
            raise ShapeError(f"{where}: {name} must have at most 4 dimensions (B, N, T, S), "
                             f"got shape {tuple(wnp.shape(t))}{at(user_location())}")
    for name, t in (("bias", bias), ("mask", mask)):
        if t is not None:
            shape = tuple(wnp.shape(t))
            try:
                fits = np.broadcast_shapes((1,) * (4 - len(shape)) + shape,
                                           (B, N, T, S)) == (B, N, T, S)
            except ValueError:
                fits = False
            if not fits:
                raise ShapeError(f"{where}: {name} of shape {shape} does not broadcast to the "
                                 f"logits' shape (B, N, T, S) = {(B, N, T, S)} (query "
                                 f"{tuple(q.shape)}, key {(B, S, K, H)}){at(user_location())}")
    if mask is not None and np.dtype(wnp.asarray(mask).dtype) != np.bool_:
        raise WireValueError(f"{where}: mask must be boolean (an additive mask goes to bias)"
                             f"{at(user_location())}")
    scale = 1.0 / float(np.sqrt(H)) if scale is None else scale
    logits_dtype = np.promote_types(q.dtype, np.float32)

    def grouped(t):  # (tB, tN, tT, tS) -> (tB, K, G, tT, tS), broadcastable
        t = _as_4d(t)
        tb, tn, tt, ts = tuple(t.shape)
        if tn == 1:
            return t[:, :, None]
        if tn != N:
            raise ShapeError(f"{where}: bias and mask need 1 or N = {N} heads on axis 1, got "
                             f"shape {tuple(t.shape)}{at(user_location())}")
        return wnp.reshape(t, (tb, K, G, tt, ts))

    qg = wnp.reshape(q, (B, T, K, G, H))
    logits = wnp.asarray(wnp.einsum("btkgh,bskh->bkgts", qg, k), logits_dtype) * scale
    if bias is not None:
        logits = wnp.asarray(logits + grouped(bias), logits_dtype)
    keep = None

    def both(a, b):
        return b if a is None else wnp.logical_and(a, b)

    if mask is not None:
        keep = both(keep, grouped(mask))
    t_pos, s_pos = np.arange(T)[:, None], np.arange(S)[None, :]
    if is_causal:
        keep = both(keep, t_pos >= s_pos)
    if local_window_size is not None:
        left, right = ((local_window_size, local_window_size)
                       if isinstance(local_window_size, (int, np.integer)) else local_window_size)
        keep = both(keep, np.logical_and(t_pos <= s_pos + left, t_pos >= s_pos - right))
    q_len = None if query_seq_lengths is None else wnp.asarray(query_seq_lengths)
    kv_len = None if key_value_seq_lengths is None else wnp.asarray(key_value_seq_lengths)
    for name, t in (("query_seq_lengths", q_len), ("key_value_seq_lengths", kv_len)):
        if t is not None and (tuple(t.shape) != (B,) or np.dtype(t.dtype).kind not in "iu"):
            raise ShapeError(f"{where}: {name} must be integers of shape ({B},), got "
                             f"{t.dtype} of shape {tuple(t.shape)}{at(user_location())}")
    if q_len is not None:
        keep = both(keep, np.arange(T)[None, None, None, :, None]
                    < q_len[:, None, None, None, None])
    if kv_len is not None:
        keep = both(keep, np.arange(S)[None, None, None, None, :]
                    < kv_len[:, None, None, None, None])
    if keep is not None:
        large_negative = -0.7 * float(np.finfo(np.float32).max)
        logits = wnp.where(keep, logits, wnp.asarray(large_negative, logits_dtype))
    probs = wnp.asarray(softmax(logits, axis=-1), k.dtype)
    out = wnp.einsum("bkgts,bskh->btkgh", probs, v)
    if q_len is not None:
        rows = np.arange(T)[None, :, None, None, None] < q_len[:, None, None, None, None]
        out = out * wnp.asarray(rows, out.dtype)
    out = wnp.reshape(out, out_shape)
    if not return_residual:
        return out
    lse = wnp.asarray(logsumexp(logits, axis=-1), k.dtype)  # (B, K, G, T)
    lse = wnp.reshape(wnp.transpose(lse, (0, 3, 1, 2)), out_shape[:-1])
    return out, wnp.stop_gradient(lse)
