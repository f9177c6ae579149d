"""Feed-forward layers of ``wire.nn``: ``Dense``, ``Conv2D``, ``MaxPool``/``AvgPool``,
``Flatten``, ``Dropout``, ``Embedding``, ``Lambda`` and activation layers (``Relu`` …).

Each constructor returns a :class:`~wire.nn.base.Layer` ``(init, apply)``. Convolution is
im2col: the ``kh * kw`` shifted (strided, dilated) views of the padded input are basic slices,
concatenated along channels and multiplied by the reshaped kernel in one matmul — no Python
loop over pixels, and the backward pass is slices, concatenation and one more matmul.

>>> import numpy as np, wire
>>> init, apply = wire.nn.Conv2D(4, (3, 3), padding="SAME")
>>> params = init(wire.random.key(0), (-1, 8, 8, 1))
>>> apply(params, np.zeros((2, 8, 8, 1))).shape
(2, 8, 8, 4)
"""

from __future__ import annotations

import numpy as np
from pyrsistent import pmap

from .. import numpy as wnp
from .. import random
from ..errors import ShapeError, WireError, at, user_location
from . import activations as A
from . import initializers as I
from .base import (
    Layer,
    check_in_shape,
    check_index_range,
    check_input,
    known_value,
    nan_where_invalid,
    need_key,
)

__all__ = [
    "Dense", "Conv2D", "MaxPool", "AvgPool", "Flatten", "Dropout", "Embedding", "Lambda",
    "Relu", "Gelu", "Silu", "Tanh", "Sigmoid", "Softplus", "LogSoftmax", "Softmax", "Identity",
]


def _pair(v, what: str) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    t = tuple(int(a) for a in v)
    if len(t) != 2:
        raise WireError(f"{what} must be an int or a pair, got {v!r}{at(user_location())}")
    return t


# --------------------------------------------------------------------------- Dense


def Dense(features: int, w_init=None, b_init=I.zeros, use_bias: bool = True) -> Layer:
    """Fully connected layer ``x @ w + b`` on the last axis; ``w`` is glorot-uniform by default.

    >>> init, apply = Dense(3)
    >>> p = init(random.key(0), (-1, 5))
    >>> sorted(p.keys()), p["w"].shape
    (['b', 'w'], (5, 3))
    """
    features = int(features)
    w_init = I.glorot_uniform() if w_init is None else w_init
    name = f"Dense({features})"

    def init(key, in_shape):
        if len(tuple(in_shape)) < 1:
            check_in_shape(name, in_shape, 2, "(batch, features)")
        k1, k2 = random.split(key)
        p = {"w": w_init(k1, (int(in_shape[-1]), features))}
        if use_bias:
            p["b"] = b_init(k2, (features,))
        return pmap(p)

    def apply(params, x, *, key=None, train=False):
        w = params["w"]
        check_input(name, x, ("...", w.shape[0]))
        y = x @ w
        return y + params["b"] if use_bias else y

    return Layer(init, apply, name=name, out_shape=lambda s: tuple(s[:-1]) + (features,))


# --------------------------------------------------------------------------- convolution


def _same_pads(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _resolve_padding(padding, hw, ksize, strides, dilation, name):
    if isinstance(padding, str):
        p = padding.upper()
        if p == "VALID":
            return ((0, 0), (0, 0))
        if p == "SAME":
            return tuple(_same_pads(hw[i], ksize[i], strides[i], dilation[i]) for i in range(2))
        raise WireError(f"{name}: padding must be 'SAME', 'VALID' or pairs, got {padding!r}"
                        + at(user_location()))
    pads = tuple(tuple(int(a) for a in p) for p in padding)
    if len(pads) != 2 or any(len(p) != 2 for p in pads):
        raise WireError(f"{name}: explicit padding must be ((top, bottom), (left, right))"
                        + at(user_location()))
    return pads


def _out_size(size, k, s, d, pad) -> int:
    return (size + pad[0] + pad[1] - (k - 1) * d - 1) // s + 1


def _pad_hw(x, pads, value=0.0):
    """Pad axes 1 and 2 of an NHWC array by concatenating constant blocks."""
    (t, b), (lft, r) = pads
    if t or b:
        n, _, w, c = x.shape
        parts = ([np.full((n, t, w, c), value, x.dtype)] if t else []) + [x]
        parts += [np.full((n, b, w, c), value, x.dtype)] if b else []
        x = wnp.concatenate(parts, axis=1)
    if lft or r:
        n, h, _, c = x.shape
        parts = ([np.full((n, h, lft, c), value, x.dtype)] if lft else []) + [x]
        parts += [np.full((n, h, r, c), value, x.dtype)] if r else []
        x = wnp.concatenate(parts, axis=2)
    return x


def _windows(x, ksize, strides, dilation, out_hw):
    """The ``kh*kw`` strided views ``x[:, i*d : ... : s, j*d : ... : s, :]``, row-major."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = ksize, strides, dilation, out_hw
    views = []
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dh, j * dw
            views.append(x[:, r0 : r0 + (oh - 1) * sh + 1 : sh, c0 : c0 + (ow - 1) * sw + 1 : sw, :])
    return views


def Conv2D(features: int, kernel_size=(3, 3), strides=1, padding="VALID", dilation=1,
           w_init=None, b_init=I.zeros, use_bias: bool = True) -> Layer:
    """2-D convolution on NHWC inputs with an HWIO kernel (``he_normal`` by default).

    ``padding`` is ``"VALID"``, ``"SAME"`` or ``((top, bottom), (left, right))``; ``strides``
    and ``dilation`` are ints or pairs.

    >>> init, apply = Conv2D(2, (3, 3), strides=2, padding="SAME")
    >>> p = init(random.key(0), (-1, 7, 7, 3))
    >>> p["w"].shape, apply(p, np.ones((1, 7, 7, 3))).shape
    ((3, 3, 3, 2), (1, 4, 4, 2))
    """
    features = int(features)
    ksize = _pair(kernel_size, "kernel_size")
    strides, dilation = _pair(strides, "strides"), _pair(dilation, "dilation")
    w_init = I.he_normal() if w_init is None else w_init
    name = f"Conv2D({features}, {ksize})"

    def geometry(in_shape):
        hw = (int(in_shape[1]), int(in_shape[2]))
        pads = _resolve_padding(padding, hw, ksize, strides, dilation, name)
        out_hw = tuple(_out_size(hw[i], ksize[i], strides[i], dilation[i], pads[i]) for i in range(2))
        if min(out_hw) < 1:
            raise ShapeError(
                f"{name}: input {hw[0]}x{hw[1]} is smaller than the (dilated) kernel"
                f"{at(user_location())}"
            )
        return pads, out_hw

    def init(key, in_shape):
        check_in_shape(name, in_shape, 4, "(batch, height, width, channels)")
        geometry(in_shape)
        k1, k2 = random.split(key)
        p = {"w": w_init(k1, ksize + (int(in_shape[3]), features))}
        if use_bias:
            p["b"] = b_init(k2, (features,))
        return pmap(p)

    def apply(params, x, *, key=None, train=False):
        w = params["w"]
        cin = w.shape[2]
        check_input(name, x, ("N", "H", "W", cin))
        n = x.shape[0]
        pads, (oh, ow) = geometry(x.shape)
        xp = _pad_hw(x, pads)
        views = _windows(xp, ksize, strides, dilation, (oh, ow))
        cols = views[0] if len(views) == 1 else wnp.concatenate(views, axis=3)
        k = ksize[0] * ksize[1] * cin
        y = wnp.reshape(cols, (n * oh * ow, k)) @ wnp.reshape(w, (k, features))
        if use_bias:
            y = y + params["b"]
        return wnp.reshape(y, (n, oh, ow, features))

    def out_shape(s):
        _, (oh, ow) = geometry(s)
        return (s[0], oh, ow, features)

    return Layer(init, apply, name=name, out_shape=out_shape)


# --------------------------------------------------------------------------- pooling


def _padding_only_window(size: int, window: int, stride: int, pad, out: int):
    """The first output index along an axis whose window covers no cell of the input (only
    padding), or None."""
    for j in range(out):
        start = j * stride - pad[0]
        if start + window <= 0 or start >= size:
            return j
    return None


def _max_pool_fill(dtype):
    """The padding value of a max pool: the least value of ``dtype``, so padding never wins
    (``-inf`` for floats; an integer dtype's minimum, as JAX's ``reduce_window`` takes it;
    ``-inf`` cast to ``int8`` or ``int16`` is 0, which beat every negative input at the
    border)."""
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        return np.iinfo(dt).min
    if dt.kind == "b":
        return False
    return -np.inf


def _pool(kind: str, window, strides, padding, count_include_pad: bool = False) -> Layer:
    window = _pair(window, "window")
    strides = window if strides is None else _pair(strides, "strides")
    name = f"{kind}({window})"
    ones = (1, 1)

    def geometry(in_shape):
        hw = (int(in_shape[1]), int(in_shape[2]))
        pads = _resolve_padding(padding, hw, window, strides, ones, name)
        out_hw = tuple(_out_size(hw[i], window[i], strides[i], 1, pads[i]) for i in range(2))
        if min(out_hw) < 1:
            raise ShapeError(f"{name}: input {hw} is smaller than the window{at(user_location())}")
        if kind == "AvgPool" and not count_include_pad:
            for i in range(2):
                empty = _padding_only_window(hw[i], window[i], strides[i], pads[i], out_hw[i])
                if empty is not None:
                    # the average of no cells is 0/0: refused, as torch refuses such padding
                    raise ShapeError(
                        f"{name}: with padding {tuple(pads)} on input {hw}, the window at "
                        f"output index {empty} of axis {i} holds padding only, whose average "
                        f"over the input's cells would be 0/0 = NaN; pad less, or pass "
                        f"count_include_pad=True to count padding as zeros"
                        f"{at(user_location())}")
        return pads, out_hw

    def init(key, in_shape):
        check_in_shape(name, in_shape, 4, "(batch, height, width, channels)")
        geometry(in_shape)
        return pmap()

    def apply(params, x, *, key=None, train=False):
        check_input(name, x, ("N", "H", "W", "C"))
        n, h, w, c = x.shape
        pads, (oh, ow) = geometry(x.shape)
        if pads == ((0, 0), (0, 0)) and strides == window:
            # non-overlapping windows: crop and reshape, one reduction over two axes
            x = x[:, : oh * window[0], : ow * window[1], :]
            blocks = wnp.reshape(x, (n, oh, window[0], ow, window[1], c))
            if kind == "MaxPool":
                return wnp.max(blocks, axis=(2, 4))
            return wnp.mean(blocks, axis=(2, 4))
        fill = _max_pool_fill(x.dtype) if kind == "MaxPool" else 0.0
        views = _windows(_pad_hw(x, pads, fill), window, strides, ones, (oh, ow))
        stacked = wnp.stack(views, axis=0)
        if kind == "MaxPool":
            return wnp.max(stacked, axis=0)
        if count_include_pad:
            counts = float(window[0] * window[1])
        else:  # the window's cells that lie inside the input
            inside = _pad_hw(np.ones((1, h, w, 1), x.dtype), pads)
            counts = sum(_windows(inside, window, strides, ones, (oh, ow)))
        if np.dtype(x.dtype) == np.float16:
            # summed in float32 and rounded once, as the mean of the reshaping path above
            # (and torch) does: a float16 window sum of 4 x 6e4 overflowed, the average inf
            total = wnp.sum(wnp.asarray(stacked, np.float32), axis=0)
            return wnp.asarray(total / counts, np.float16)
        return wnp.sum(stacked, axis=0) / counts

    def out_shape(s):
        _, (oh, ow) = geometry(s)
        return (s[0], oh, ow, s[3])

    return Layer(init, apply, name=name, out_shape=out_shape)


def MaxPool(window=(2, 2), strides=None, padding="VALID") -> Layer:
    """Max pooling over NHWC windows (``strides`` defaults to the window).

    Padding cells hold ``-inf``, so they never win (torch and JAX pad the same way). Where
    several cells of a window tie for the maximum, the gradient is shared equally among them
    (``wire.numpy.max``'s rule, as ``jnp.max``'s); torch's ``max_pool2d`` and JAX's
    ``reduce_window`` give it all to one of them. Both are valid subgradients; they agree
    whenever the maximum is unique.

    >>> init, apply = MaxPool((2, 2))
    >>> apply(init(None, (1, 4, 4, 1)), np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return _pool("MaxPool", window, strides, padding)


def AvgPool(window=(2, 2), strides=None, padding="VALID", count_include_pad: bool = False
            ) -> Layer:
    """Average pooling over NHWC windows (``strides`` defaults to the window).

    With padding (``"SAME"`` or explicit pairs), the average is over the window's cells inside
    the input by default: ``count_include_pad=False``, as TensorFlow/Keras do for ``"SAME"``
    and torch's ``avg_pool2d(count_include_pad=False)``. ``count_include_pad=True`` divides
    by the whole window instead, counting padding as zeros: the default of torch's
    ``avg_pool2d`` and of Flax's ``avg_pool``. Padding so wide that a window holds no cell of
    the input raises a ``ShapeError`` without ``count_include_pad`` (its average would be
    0/0; torch refuses such padding, Flax returns NaN). A float16 input is summed in float32
    and the average rounded to float16 once (as torch; a float16 sum of a window of 6e4
    overflows to inf).

    >>> init, apply = AvgPool((2, 2))
    >>> apply(init(None, (1, 2, 2, 1)), np.arange(4.0).reshape(1, 2, 2, 1)).ravel()
    array([1.5])
    >>> init, apply = AvgPool((2, 2), strides=1, padding=((1, 0), (1, 0)), count_include_pad=True)
    >>> float(apply(init(None, (1, 1, 1, 1)), np.ones((1, 1, 1, 1))).ravel()[0])
    0.25
    """
    return _pool("AvgPool", window, strides, padding, bool(count_include_pad))


# --------------------------------------------------------------------------- reshaping, noise


def Flatten() -> Layer:
    """Flatten every axis but the first (batch).

    >>> init, apply = Flatten()
    >>> apply(init(None, (2, 3, 4)), np.zeros((2, 3, 4))).shape
    (2, 12)
    >>> apply(init(None, (0, 3, 4)), np.zeros((0, 3, 4))).shape      # an empty batch
    (0, 12)
    """

    def apply(params, x, *, key=None, train=False):
        check_input("Flatten()", x, ("N",), ndim_at_least=True)
        # the size explicitly, not -1: an empty batch has no -1 to infer (NumPy refuses)
        return wnp.reshape(x, (x.shape[0], int(np.prod(x.shape[1:], dtype=np.int64))))

    def out_shape(s):
        return (s[0], int(np.prod(s[1:], dtype=np.int64)))

    return Layer(lambda key, in_shape: pmap(), apply, name="Flatten()", out_shape=out_shape)


def Dropout(rate: float) -> Layer:
    """Zero each element with probability ``rate`` when ``train=True`` (scaling the rest by
    ``1 / (1 - rate)``); the identity otherwise. The mask is drawn from ``key`` (concrete, or
    traced inside ``jit``/``vmap``; see ``wire.random``): same key, same mask.

    The mask is multiplied in, as torch does: a NaN (or inf) in a dropped element stays NaN
    rather than turning into 0, so a NaN in the input always shows in the output whatever the
    mask (Flax's ``Dropout`` selects 0 there and hides it).

    ``rate`` is in ``[0, 1]``: ``rate=1`` drops everything (``x * 0``, gradient 0, no key
    needed), as torch's ``dropout(p=1)`` and Flax's ``Dropout(rate=1.0)`` do.

    >>> init, apply = Dropout(0.5)
    >>> y = apply(init(None, (2, 4)), np.ones((2, 4)), key=random.key(0), train=True)
    >>> sorted(set(y.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise WireError(f"Dropout rate must be in [0, 1], got {rate}{at(user_location())}")
    name = f"Dropout({rate})"

    def apply(params, x, *, key=None, train=False):
        if not train or rate == 0.0:
            return x
        dt = np.dtype(getattr(x, "dtype", np.float64))
        dt = dt if dt.kind in "fc" else np.dtype(np.float64)
        if rate == 1.0:  # every element dropped (torch and Flax; it raised)
            return x * np.zeros(wnp.shape(x), dt)
        need_key(name, key)
        keep = random.bernoulli(key, 1.0 - rate, wnp.shape(x))
        return x * np.where(keep, 1.0 / (1.0 - rate), 0.0).astype(dt)

    return Layer(lambda key, in_shape: pmap(), apply, name=name, out_shape=lambda s: tuple(s))


def Embedding(vocab_size: int, features: int, init_fn=None) -> Layer:
    """Look up rows of a ``(vocab_size, features)`` table by integer ids (normal(1) init).

    An id outside ``[0, vocab_size)`` is an error, as in torch: ``wire.WireError`` when the
    ids are concrete (``-1`` does not wrap to the last row as NumPy indexing would). Traced
    ids whose values are unknown (arguments of a jitted or transformed function) cannot
    raise, so such an id's row is NaN, and so is its gradient.

    >>> init, apply = Embedding(10, 3)
    >>> apply(init(random.key(0), (2, 5)), np.zeros((2, 5), int)).shape
    (2, 5, 3)
    >>> apply(init(random.key(0), (1,)), np.array([-1]))
    Traceback (most recent call last):
    ...
    wire.errors.WireError: Embedding(10, 3): id -1 at position (0,) is outside [0, 10)...
    """
    vocab_size, features = int(vocab_size), int(features)
    init_fn = I.normal(1.0) if init_fn is None else init_fn
    name = f"Embedding({vocab_size}, {features})"

    def apply(params, ids, *, key=None, train=False):
        dt = np.dtype(ids.dtype if hasattr(ids, "dtype") else np.asarray(ids).dtype)
        if dt.kind not in "iu":
            raise WireError(f"{name}: ids must be integers, got {dt}{at(user_location())}")
        table = params["table"]
        n = table.shape[0]
        values = known_value(ids)
        if values is not None:
            check_index_range(name, values, n, "id")
            return wnp.take(table, values, axis=0)
        valid = wnp.logical_and(ids >= 0, ids < n)
        rows = wnp.take(table, wnp.where(valid, ids, 0), axis=0)
        return rows * wnp.expand_dims(nan_where_invalid(valid, table.dtype), -1)

    return Layer(
        lambda key, in_shape: pmap({"table": init_fn(key, (vocab_size, features))}),
        apply, name=name, out_shape=lambda s: tuple(s) + (features,),
    )


# --------------------------------------------------------------------------- function layers


def Lambda(fn, name: str | None = None) -> Layer:
    """A parameter-free layer applying ``fn(x)``; its output shape is found by running it.

    >>> init, apply = Lambda(lambda x: 2 * x)
    >>> apply(init(None, (1,)), np.ones(1))
    array([2.])
    """
    label = name or f"Lambda({getattr(fn, '__name__', 'fn')})"
    return Layer(lambda key, in_shape: pmap(), lambda params, x, *, key=None, train=False: fn(x),
                 name=label)


def _elementwise(fn, label):
    def make() -> Layer:
        return Layer(lambda key, in_shape: pmap(),
                     lambda params, x, *, key=None, train=False: fn(x),
                     name=f"{label}()", out_shape=lambda s: tuple(s))

    make.__name__ = label
    make.__doc__ = (
        f"Layer applying ``wire.nn.{fn.__name__}`` elementwise (no parameters).\n\n"
        f"    >>> import numpy as np, wire\n"
        f"    >>> init, apply = wire.nn.{label}()\n"
        f"    >>> params = init(wire.random.key(0), (-1, 3))\n"
        f"    >>> apply(params, np.array([[-1.0, 0.0, 2.0]])).shape\n"
        f"    (1, 3)\n"
    )
    return make


Relu = _elementwise(A.relu, "Relu")
Gelu = _elementwise(A.gelu, "Gelu")
Silu = _elementwise(A.silu, "Silu")
Tanh = _elementwise(A.tanh, "Tanh")
Sigmoid = _elementwise(A.sigmoid, "Sigmoid")
Softplus = _elementwise(A.softplus, "Softplus")
LogSoftmax = _elementwise(A.log_softmax, "LogSoftmax")
Softmax = _elementwise(A.softmax, "Softmax")
Identity = _elementwise(A.identity, "Identity")
