"""``wire.numpy``: NumPy's names and semantics, on arrays and on tracers.

On concrete arrays these functions compute with NumPy right away; on tracers they build graph
nodes. Every name is defined explicitly in the submodules (no wrapping of NumPy's namespace);
most are compositions of a few primitives, like ``jax.numpy`` over ``lax``.

>>> import numpy as np, wire, wire.numpy as wnp
>>> wire.grad(lambda x: wnp.sum(wnp.tanh(x) ** 2))(np.zeros(3))
array([0., 0., 0.])
"""

import sys as _sys

import numpy as _np

from . import _shape
from ._creation import *  # noqa: F401,F403
from ._creation import __all__ as _creation_all
from ._math import *  # noqa: F401,F403
from ._math import __all__ as _math_all
from ._products import *  # noqa: F401,F403
from ._products import __all__ as _products_all
from ._reductions import *  # noqa: F401,F403
from ._reductions import __all__ as _reductions_all
from ._shape import *  # noqa: F401,F403
from ._shape import __all__ as _shape_all
from ._elementwise_composed import *  # noqa: F401,F403
from ._elementwise_composed import __all__ as _elementwise_composed_all
from ._rearranging import *  # noqa: F401,F403
from ._rearranging import __all__ as _rearranging_all
from ._along_axis import *  # noqa: F401,F403
from ._along_axis import __all__ as _along_axis_all
from ._einsum import *  # noqa: F401,F403
from ._einsum import __all__ as _einsum_all
from . import fft, linalg  # noqa: E402
from . import _dispatch, _methods
from ..core import Tracer as _Tracer

pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, None
float16, float32, float64, int32, int64, bool_ = (
    _np.float16, _np.float32, _np.float64, _np.int32, _np.int64, _np.bool_,
)
ndarray = _np.ndarray

__all__ = sorted(
    set(_creation_all) | set(_math_all) | set(_products_all) | set(_reductions_all) | set(_shape_all)
    | set(_elementwise_composed_all) | set(_rearranging_all) | set(_along_axis_all) | set(_einsum_all)
)

# The Tracer's operators, methods and NumPy protocols compute with this namespace.
_methods.install(_Tracer, _sys.modules[__name__], _dispatch.protocols(_sys.modules[__name__]))
