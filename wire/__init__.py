"""wire: exact, composable, inspectable automatic differentiation of NumPy code.

Functions are traced into persistent, immutable graphs; transforms map graphs to graphs.

>>> import numpy as np, wire, wire.numpy as wnp
>>> f = lambda x: wnp.sin(x) * x
>>> float(wire.grad(f)(0.0))
0.0
"""

from importlib import import_module as _import_module
from typing import TYPE_CHECKING as _TYPE_CHECKING

from . import tree
from .api import (
    REGISTRY, ShapeDtypeStruct, Variable, checkpoint, checkpoint_policies, cond, custom_jvp,
    eval_shape,
    custom_vjp, dumps, elementwise_grad, fori_loop, grad, grad_graph, gradients, hessian, hvp,
    jacfwd, jacrev, jet, jet_graph, jit, jvp, jvp_graph, linearize, load, loads, matmul_op, pure_callback, save,
    scan, switch, taylor,
    taylor_graph, value_and_grad, var, vjp, vjp_graph, vmap, vmap_graph, while_loop,
)
from .api.grad import float0, linear_transpose
from .api.checkpoint import checkpoint_name
from .core import Tracer, debug_nans, trace
from .errors import (
    BackendError,
    FloatingPointError,
    GemmUnavailableError,
    LinAlgShapeError,
    OutArgumentError,
    ShapeTypeError,
    MissingNameError,
    NonDifferentiableError,
    ShapeError,
    TracerBoolError,
    UnboundInputError,
    UnexpectedTracerError,
    WireAxisError,
    WireError,
    WireIndexError,
    WireLinAlgError,
    WireNotImplementedError,
    WireOverflowError,
    WireTypeError,
    WireValueError,
)
from .ir import Aval, Graph, Node, dot, to_dot  # wire.dot.render: Graphviz rendering
from .numpy import stop_gradient
from .runtime.evaluate import Executor, evaluate
from .transforms.simplify import simplify

from . import extend  # noqa: E402  isort: skip
from .formulas import to_latex, to_sympy  # noqa: E402  isort: skip
from .implicit import custom_root, fixed_point  # noqa: E402  isort: skip
from .extend import hessian_vector_product, holomorphic_grad, jacobian  # noqa: E402  isort: skip

remat = checkpoint  # JAX's other name for it

__version__ = "0.1.0"

__all__ = [
    "Aval", "Executor", "FloatingPointError", "Graph", "Node", "NonDifferentiableError",
    "REGISTRY", "ShapeError", "Tracer", "TracerBoolError", "UnboundInputError", "Variable",
    "WireError", "WireTypeError", "evaluate", "grad", "grad_graph", "gradients", "stop_gradient",
    "trace", "tree", "value_and_grad", "var", "matmul_op", "jvp", "jvp_graph", "linearize", "vjp",
    "vjp_graph", "jacfwd", "jacrev", "hessian", "hvp", "custom_jvp", "custom_vjp",
    "simplify", "to_dot", "vmap", "vmap_graph",
    "cond", "switch", "while_loop", "fori_loop", "scan", "jit",
]
# `random` stays out of __all__ so `from wire import *` cannot shadow the standard library's
__all__ += ["lax", "nn", "optim", "scipy", "testing"]
__all__ += ["debug_nans", "save", "load", "dumps", "loads"]
__all__ += ["BackendError", "UnexpectedTracerError"]
__all__ += ["MissingNameError", "WireOverflowError", "WireValueError"]
__all__ += ["WireIndexError", "WireNotImplementedError", "WireAxisError"]
__all__ += ["LinAlgShapeError", "WireLinAlgError", "ShapeTypeError", "OutArgumentError"]
__all__ += ["GemmUnavailableError"]
__all__ += ["to_sympy", "to_latex"]
__all__ += ["custom_root", "fixed_point"]
__all__ += ["elementwise_grad", "jacobian", "holomorphic_grad", "hessian_vector_product"]
__all__ += ["jet", "jet_graph", "taylor", "taylor_graph", "checkpoint", "checkpoint_policies"]
__all__ += ["pure_callback", "ShapeDtypeStruct", "remat", "eval_shape"]
__all__ += ["linear_transpose", "float0"]
__all__ += ["checkpoint_name"]

# Every public function here is where user code enters wire: errors leaving it lose wire's
# frames (WIRE_TRACEBACK=full keeps them; see wire.tracebacks).
from .tracebacks import expose as _expose  # noqa: E402  isort: skip

_expose(globals(), __all__)

# The library layer is imported on first use (PEP 562): ``import wire`` does not pay for
# SciPy, nor for wire.lax, wire.nn … until a script touches them (``wire.scipy.special``,
# ``import wire.lax``). wire.random is wire's, not the standard library's.
_SUBMODULES = frozenset({"lax", "nn", "optim", "random", "scipy", "testing"})

if _TYPE_CHECKING:  # what type checkers and editors' completion read
    from . import lax, nn, optim, random, scipy, testing  # noqa: F401


# JAX's top-level names a ported script reaches for that wire spells otherwise (or has no
# need of): what to write instead (see docs/from-jax.md)
_JAX_NAMES = {
    "make_jaxpr": "wire.trace(f, *args) is the graph make_jaxpr(f)(*args) shows (print it)",
    "tree_util": "wire.tree holds jax.tree_util's functions without the tree_ prefix "
                 "(tree_map -> wire.tree.map, tree_flatten -> wire.tree.flatten, "
                 "Partial -> wire.tree.Partial)",
    "config": "wire computes in float64 by default, as NumPy (no jax_enable_x64 to set); "
              "jax_debug_nans is `with wire.debug_nans():`",
    "block_until_ready": "wire's results are NumPy arrays, complete when returned: drop the "
                         "call",
    "device_put": "wire's values are NumPy arrays (np.asarray(x)); other array backends: "
                  "docs/backends.md",
    "devices": "wire runs on NumPy on the host (other array backends: docs/backends.md)",
    "closure_convert": "wire.implicit.closure_convert",
    "custom_gradient": "wire.custom_vjp (a forward rule returning the residuals and a "
                       "backward rule)",
    "debug": "print works outside wire.jit (transforms called on concrete values know them); "
             "under wire.jit use wire.pure_callback, and wire.debug_nans for NaNs",
    "disable_jit": "call the function without wire.jit (wire.grad, vmap … run eagerly on "
                   "concrete values)",
    "named_call": "not needed: every node already reports the file:line it was traced at",
}


def __getattr__(name):
    """``wire.lax``, ``wire.scipy`` …: the submodule, imported now (the import system then
    binds it here, so this runs once per name); a JAX name wire spells otherwise: a
    ``MissingNameError`` saying what to write.

    >>> import wire
    >>> try:
    ...     wire.make_jaxpr
    ... except wire.MissingNameError as e:
    ...     print(e)
    wire has no make_jaxpr (JAX's name): wire.trace(f, *args) is the graph make_jaxpr(f)(*args) shows (print it)
    """
    if name in _SUBMODULES:
        return _import_module(f"{__name__}.{name}")
    hint = _JAX_NAMES.get(name)
    if hint is not None:
        raise MissingNameError(f"wire has no {name} (JAX's name): {hint}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
