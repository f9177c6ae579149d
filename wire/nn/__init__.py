"""``wire.nn``: neural-network building blocks as pure functions over pyrsistent pytrees.

- activations: ``relu gelu silu softplus sigmoid tanh leaky_relu elu log_softmax softmax`` …
- losses: ``softmax_cross_entropy`` (integer labels), ``binary_cross_entropy_with_logits``,
  ``mse``, ``huber``
- ``initializers``: glorot/he/lecun uniform and normal, orthogonal, …
- layers, each an ``(init, apply)`` pair: ``Dense``, ``Conv2D``, ``MaxPool``, ``AvgPool``,
  ``BatchNorm``, ``LayerNorm``, ``Dropout``, ``Embedding``, ``LSTM``, ``GRU``,
  ``MultiHeadSelfAttention``, ``Flatten``, activation layers; combinators ``serial``,
  ``parallel``, ``residual``.

>>> import numpy as np, wire
>>> from wire import nn
>>> init, apply = nn.serial(nn.Dense(16), nn.Relu(), nn.Dense(3))
>>> params = init(wire.random.key(0), (-1, 4))
>>> x, y = np.ones((5, 4)), np.array([0, 1, 2, 0, 1])
>>> loss = lambda p: nn.softmax_cross_entropy(apply(p, x), y)
>>> grads = wire.grad(loss)(params)
>>> grads[0]["w"].shape
(4, 16)
"""

from . import initializers
from .activations import *  # noqa: F401,F403
from .activations import __all__ as _act_all
from .attention import MultiHeadSelfAttention
from .base import Layer
from .combinators import parallel, residual, serial
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layers_all
from .losses import *  # noqa: F401,F403
from .losses import __all__ as _losses_all
from .normalization import BatchNorm, LayerNorm, trainable_mask
from .recurrent import GRU, LSTM

__all__ = sorted(
    set(_act_all) | set(_layers_all) | set(_losses_all)
    | {"initializers", "MultiHeadSelfAttention", "Layer", "parallel", "residual", "serial",
       "BatchNorm", "LayerNorm", "trainable_mask", "GRU", "LSTM"}
)
