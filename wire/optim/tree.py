"""``wire.optim.tree``: ``wire.optim.tree_utils`` under ``optax.tree``'s short names
(``add``, ``sub``, ``scale``, ``vdot``, ``norm`` …), the same functions.

>>> import numpy as np
>>> from wire.optim import tree as otree
>>> float(otree.norm({"a": np.array([3.0]), "b": np.array([4.0])}))
5.0
"""

from __future__ import annotations

from . import tree_utils as _tu
from .extras import tree_map_params as map_params

__all__ = ["add", "add_scale", "allclose", "batch_shape", "bias_correction", "cast",
           "cast_like", "clip", "conj", "div", "dtype", "full_like", "get", "max", "min", "mul",
           "norm", "ones_like", "real", "scale", "size", "sub", "sum", "update_infinity_moment",
           "update_moment", "update_moment_per_elem_norm", "vdot", "where", "zeros_like",
           "map_params"]

for _name in __all__[:-1]:
    globals()[_name] = getattr(_tu, "tree_" + _name)
del _name
