"""``wire.numpy``: NumPy's names and semantics, on arrays and on tracers.

On concrete arrays these functions compute with NumPy right away; on tracers they build graph
nodes. Every name is defined explicitly in the submodules (no wrapping of NumPy's namespace);
most are compositions of a few primitives, like ``jax.numpy`` over ``lax``.

>>> import numpy as np, wire, wire.numpy as wnp
>>> wire.grad(lambda x: wnp.sum(wnp.tanh(x) ** 2))(np.zeros(3))
array([0., 0., 0.])
"""

import sys as _sys
from importlib import import_module as _import_module
from typing import TYPE_CHECKING as _TYPE_CHECKING

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
from ._ordering import *  # noqa: F401,F403
from ._ordering import __all__ as _ordering_all
from ._logic import *  # noqa: F401,F403
from ._logic import __all__ as _logic_all
from ._poly_interp import *  # noqa: F401,F403
from ._poly_interp import __all__ as _poly_interp_all
from ._selection import *  # noqa: F401,F403
from ._selection import __all__ as _selection_all
from ._functional import *  # noqa: F401,F403
from ._functional import __all__ as _functional_all
from ._static_size import *  # noqa: F401,F403
from ._static_size import __all__ as _static_size_all
from ._index_tricks import c_, r_  # noqa: F401
from . import _names
from . import fft, linalg  # noqa: E402
from . import _at, _deferring, _dispatch, _eager, _methods, _promote, _signatures
from ..core import Tracer as _Tracer
from ..tracebacks import expose as _expose

# NumPy's own constants, types, classes and configuration functions (see ``_names``)
for _name in _names.NUMPY_OBJECTS:
    globals()[_name] = getattr(_np, _name)
# NumPy's functions without a traced form, guarded against traced values
for _name in _names.CONCRETE_ONLY:
    globals()[_name] = _names.concrete_only(_name)
# NumPy's submodules, their functions guarded the same way
for _name in _names.CONCRETE_MODULES:
    globals()[_name] = _names.concrete_module(_name)
del _name


def __getattr__(name):
    """``wire.numpy.random``, imported on first use (it imports ``numpy.random``); any other
    name ``wire.numpy`` does not have: say whether it is planned or left out, and why."""
    if name == "random":
        return _import_module(f"{__name__}.random")
    raise _names.missing(name, globals())


def __dir__():
    return sorted(set(globals()) | {"random"})


if _TYPE_CHECKING:  # what type checkers and editors' completion read
    from . import random  # noqa: F401


__all__ = sorted(
    set(_creation_all) | set(_math_all) | set(_products_all) | set(_reductions_all) | set(_shape_all)
    | set(_elementwise_composed_all) | set(_rearranging_all) | set(_along_axis_all)
    | set(_einsum_all) | set(_ordering_all) | set(_logic_all) | set(_poly_interp_all)
    | set(_selection_all) | set(_functional_all) | set(_static_size_all)
)

# Shape-dependent functions take shapeless wire.var s too (made once the shapes are fed), and
# every function takes NumPy's parameters (order, names, out=, a ufunc's where=): those whose
# own differ are put behind a front, one per function where NumPy's signatures agree (amax is
# max, wire.numpy.linalg.matmul is wire.numpy.matmul).
# A function's result is strongly typed, as NumPy's (Python's operators on weakly typed
# values stay weak: they call the functions behind, see _methods)
_promote.install_strong(globals(), __all__)
_promote.install_strong(vars(linalg), linalg.__all__)
_promote.install_strong(vars(fft), fft.__all__)
_deferring.install(globals(), __all__)
_fronts = {}
_signatures.install(globals(), __all__, _np, _fronts)
for _name in ("array", "asarray", "asanyarray"):  # jnp.asarray(table)[traced_i] under jit
    globals()[_name] = _signatures.constant_under_jit(globals()[_name])
del _name
# On plain concrete arrays outside any transform, NumPy's own function at once (see _eager);
# the submodules' functions that are wire.numpy's (linalg.matmul) take the same front
_eager_fronts = {}
_eager.install(globals(), __all__, _np, _eager_fronts)
for _module, _np_module in ((linalg, _np.linalg), (fft, _np.fft)):
    _deferring.install(vars(_module), _module.__all__)
    _signatures.install(vars(_module), _module.__all__, _np_module, _fronts)
    _eager.install(vars(_module), _module.__all__, None, _eager_fronts)
    _expose(vars(_module), _module.__all__)
del _module, _np_module, _fronts, _eager_fronts
_shape.getitem = _deferring.getitem(_shape.getitem)

# Every public callable here is where user code enters wire (wire.tracebacks): the functions,
# NumPy's guarded ones (ConcreteOnly) and vectorize.
_expose(globals(), [_n for _n in globals() if not _n.startswith("_")])

# The Tracer's operators, methods and NumPy protocols compute with this namespace's functions
# themselves: they are entry points of their own, so they call no second one.
_internal_ns = _methods.internal_namespace(_sys.modules[__name__])
_methods.install(_Tracer, _internal_ns, _dispatch.protocols(_internal_ns))
# the binary ufuncs' methods (wire.numpy.logaddexp.reduce …), as numpy.<ufunc>.<method>
_dispatch.ufunc_methods(globals(), _internal_ns)
del _internal_ns
