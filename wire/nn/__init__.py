"""``wire.nn``: neural-network building blocks as pure functions over pyrsistent pytrees.

- activations: ``relu gelu silu softplus sigmoid tanh leaky_relu elu log_softmax softmax`` …,
  and JAX's others: ``celu glu hard_sigmoid hard_silu hard_swish hard_tanh log1mexp
  logmeanexp mish one_hot soft_sign sparse_plus sparse_sigmoid squareplus standardize``
- ``dot_product_attention`` (JAX's signature: grouped-query heads, bias, masks, causal,
  padding lengths, local windows)
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
from .attention import MultiHeadSelfAttention, dot_product_attention
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
    "accuracy", "binary_cross_entropy_with_logits", "celu", "dot_product_attention", "elu",
    "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "huber", "identity",
    "initializers", "l2_norm_squared", "leaky_relu", "log1mexp", "log_sigmoid", "log_softmax",
    "logmeanexp", "logsumexp", "mish", "mse", "one_hot", "parallel", "relu", "relu6",
    "residual", "selu", "serial", "sigmoid", "silu", "soft_sign", "softmax",
    "softmax_cross_entropy", "softmax_cross_entropy_onehot", "softplus", "sparse_plus",
    "sparse_sigmoid", "squareplus", "standardize", "swish", "tanh", "trainable_mask"
]

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
