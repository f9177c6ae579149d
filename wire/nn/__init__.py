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
from .activations import *
from .attention import MultiHeadSelfAttention
from .base import Layer
from .combinators import parallel, residual, serial
from .layers import *
from .losses import *
from .normalization import BatchNorm, LayerNorm, trainable_mask
from .recurrent import GRU, LSTM
from ..tracebacks import expose

__all__ = [
    "AvgPool", "BatchNorm", "Conv2D", "Dense", "Dropout", "Embedding", "Flatten", "GRU", "Gelu",
    "Identity", "LSTM", "Lambda", "Layer", "LayerNorm", "LogSoftmax", "MaxPool",
    "MultiHeadSelfAttention", "Relu", "Sigmoid", "Silu", "Softmax", "Softplus", "Tanh",
    "accuracy", "binary_cross_entropy_with_logits", "elu", "gelu", "huber", "identity",
    "initializers", "l2_norm_squared", "leaky_relu", "log_sigmoid", "log_softmax", "logsumexp",
    "mse", "parallel", "relu", "relu6", "residual", "selu", "serial", "sigmoid", "silu",
    "softmax", "softmax_cross_entropy", "softmax_cross_entropy_onehot", "softplus", "swish",
    "tanh", "trainable_mask"
]

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
