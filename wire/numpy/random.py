"""``wire.numpy.random``: NumPy's ``numpy.random`` for concrete arrays, so that code written
as ``import autograd.numpy.random as npr`` runs with ``import wire.numpy.random as npr``.

Its functions draw concrete samples from NumPy's global generator (``seed``, ``randn``,
``normal`` …); the generator classes (``default_rng``, ``RandomState``, ``Generator``) are
NumPy's. Given a traced value (``normal(loc=traced)``) a function raises ``WireTypeError``:
traced code draws with ``wire.random`` and explicit keys, e.g.
``loc + scale * wire.random.normal(key, shape)``, which keeps the derivative in ``loc`` and
``scale``.

>>> import wire.numpy.random as npr
>>> npr.seed(0); npr.randn(2).shape
(2,)
"""

from __future__ import annotations

import numpy as _np

from ._names import _RANDOM_HINT, _guard

__all__ = list(_np.random.__all__)

for _name in __all__:  # NumPy's module, name by name: classes as they are, functions guarded
    globals()[_name] = _guard(getattr(_np.random, _name), f"numpy.random.{_name}", _RANDOM_HINT)
del _name
