"""Recurrent layers of ``wire.nn``: ``LSTM`` and ``GRU`` over ``wire.scan``.

Inputs are batch-major ``(N, T, F)``; outputs ``(N, T, H)``. The input projection of all
time steps is one matmul before the loop; the loop body is the recurrent cell alone. The loop
is ``wire.scan`` (re-exported here as ``scan``).

Beyond the common keywords, ``apply`` takes ``initial_state=`` (a carry as returned) and
``return_state=True`` (return ``(ys, final_state)``), which is how a sampler feeds one step at
a time.

>>> import numpy as np, wire
>>> init, apply = wire.nn.LSTM(4)
>>> p = init(wire.random.key(0), (-1, 5, 3))
>>> apply(p, np.zeros((2, 5, 3))).shape
(2, 5, 4)
"""

from __future__ import annotations

import numpy as np
from pyrsistent import pmap

from .. import numpy as wnp
from .. import random
from ..api import scan  # (the function, not its entry point wire.scan)
from . import initializers as I
from .activations import sigmoid, tanh
from ..errors import WireValueError, at, user_location
from .base import Layer, check_in_shape, check_input

__all__ = ["LSTM", "GRU", "scan"]


def _recurrent(kind: str, hidden: int, gates: int, cell, w_init, h_init, b_init,
               extra=None, name=None) -> Layer:
    name = name or f"{kind}({hidden})"

    def init(key, in_shape):
        check_in_shape(name, in_shape, 3, "(batch, time, features)")
        k1, k2 = random.split(key)
        params = {"wi": w_init(k1, (int(in_shape[2]), gates * hidden)),
                  "wh": h_init(k2, (hidden, gates * hidden)),
                  "b": b_init(None, (gates * hidden,))}
        params.update(extra or {})
        return pmap(params)

    def apply(params, x, *, key=None, train=False, initial_state=None, return_state=False):
        check_input(name, x, ("N", "T", params["wi"].shape[0]))
        n = x.shape[0]
        xs = wnp.swapaxes(x @ params["wi"] + params["b"], 0, 1)  # (T, N, gates*H)
        if initial_state is None:
            zero = np.zeros((n, hidden), dtype=np.result_type(x.dtype, params["wh"].dtype))
            initial_state = (zero, zero) if kind == "LSTM" else zero
        wh = params["wh"]
        if extra:
            for k in extra:
                if k not in params:
                    raise WireValueError(f"{name}: params lack {k!r} (made by a layer without "
                                         f"it?); they have {sorted(params)}{at(user_location())}")
            wh = (wh,) + tuple(params[k] for k in extra)
        carry, hs = scan(lambda c, xt: cell(c, xt, wh), initial_state, xs)
        ys = wnp.swapaxes(hs, 0, 1)
        return (ys, carry) if return_state else ys

    return Layer(init, apply, name=name, out_shape=lambda s: (s[0], s[1], hidden))


def LSTM(hidden: int, w_init=None, forget_bias: float = 1.0) -> Layer:
    """Long short-term memory over ``(N, T, F)``; carry ``(h, c)``; gates ``i, f, g, o``.

    Recurrent weights start orthogonal, the forget-gate bias at ``forget_bias``.

    >>> LSTM(8).out_shape((None, 10, 3))
    (None, 10, 8)
    """
    hidden = int(hidden)

    def b_init(key, shape):
        b = np.zeros(shape)
        b[hidden : 2 * hidden] = forget_bias
        return b

    def cell(carry, xt, wh):
        h, c = carry
        z = xt + h @ wh
        i = sigmoid(z[:, :hidden])
        f = sigmoid(z[:, hidden : 2 * hidden])
        g = tanh(z[:, 2 * hidden : 3 * hidden])
        o = sigmoid(z[:, 3 * hidden :])
        c = f * c + i * g
        h = o * tanh(c)
        return (h, c), h

    return _recurrent("LSTM", hidden, 4, cell, w_init or I.glorot_uniform(), I.orthogonal(),
                      b_init)


def GRU(hidden: int, w_init=None, *, b_hn: bool = False) -> Layer:
    """Gated recurrent unit over ``(N, T, F)``; carry ``h``; gates ``r, z`` and candidate ``n``:
    ``n = tanh(x W_in + b_n + r * (h W_hn + b_hn))``, ``h' = (1 - z) * n + z * h``.

    Params ``wi`` ``(F, 3H)``, ``wh`` ``(H, 3H)`` and ``b`` ``(3H,)`` in gate order ``r, z,
    n``. ``b_hn=True`` adds the bias ``b_hn`` ``(H,)`` *inside* the reset gate's product (zero
    at init), the cuDNN and ``torch.nn.GRU`` cell: torch's ``bias_ih + bias_hh`` is ``b`` for
    ``r`` and ``z``, its ``bias_ih`` is ``b`` for ``n`` and its ``bias_hh[2H:]`` is
    ``b_hn``. Without it (the default) a torch GRU with ``bias_hh[2H:] = 0`` is the same.

    >>> init, apply = GRU(3)
    >>> apply(init(random.key(0), (1, 4, 2)), np.ones((1, 4, 2))).shape
    (1, 4, 3)
    >>> sorted(GRU(3, b_hn=True).init(random.key(0), (1, 4, 2)))
    ['b', 'b_hn', 'wh', 'wi']
    """
    hidden = int(hidden)

    def cell(h, xt, wh):
        wh, bias = wh if b_hn else (wh, None)
        hh = h @ wh
        r = sigmoid(xt[:, :hidden] + hh[:, :hidden])
        z = sigmoid(xt[:, hidden : 2 * hidden] + hh[:, hidden : 2 * hidden])
        hn = hh[:, 2 * hidden :] if bias is None else hh[:, 2 * hidden :] + bias
        n = tanh(xt[:, 2 * hidden :] + r * hn)
        h = (1.0 - z) * n + z * h
        return h, h

    extra = {"b_hn": np.zeros(hidden)} if b_hn else None
    return _recurrent("GRU", hidden, 3, cell, w_init or I.glorot_uniform(), I.orthogonal(),
                      I.zeros, extra, name=f"GRU({hidden}, b_hn=True)" if b_hn else None)
