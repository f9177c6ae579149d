"""wire: exact, composable, inspectable automatic differentiation of NumPy code.

Functions are traced into persistent, immutable graphs; transforms map graphs to graphs.

>>> import numpy as np, wire, wire.numpy as wnp
>>> f = lambda x: wnp.sin(x) * x
>>> float(wire.grad(f)(0.0))
0.0
"""

from . import tree
from .api import Variable, grad, grad_graph, gradients, value_and_grad, var
from .api_vmap import vmap, vmap_graph
from .control_flow import cond, fori_loop, scan, switch, while_loop
from .errors import (
    FloatingPointError,
    NonDifferentiableError,
    ShapeError,
    TracerBoolError,
    UnboundInputError,
    WireError,
    WireTypeError,
)
from .errors import BackendError
from .custom import custom_jvp, custom_vjp
from .core.debug import debug_nans
from .derivatives import hessian, hvp, jacfwd, jacrev, jvp, jvp_graph, linearize, vjp, vjp_graph
from .dot import to_dot
from .runtime.evaluate import Executor, evaluate
from .ir import Aval, Graph, Node
from .jit import jit
from .numpy import stop_gradient
from .registry import REGISTRY
from .serialize import dumps, load, loads, save
from .core import Tracer, trace
from .transforms.simplify import simplify

# libraries built only on the public API above (wire.random is wire's, not the stdlib's)
from . import nn, optim, random, scipy, testing  # noqa: E402  isort: skip

__version__ = "0.1.0"

__all__ = [
    "Aval", "Executor", "FloatingPointError", "Graph", "Node", "NonDifferentiableError",
    "REGISTRY", "ShapeError", "Tracer", "TracerBoolError", "UnboundInputError", "Variable",
    "WireError", "WireTypeError", "evaluate", "grad", "grad_graph", "gradients", "stop_gradient",
    "trace", "tree", "value_and_grad", "var", "jvp", "jvp_graph", "linearize", "vjp",
    "vjp_graph", "jacfwd", "jacrev", "hessian", "hvp", "custom_jvp", "custom_vjp",
    "simplify", "to_dot", "vmap", "vmap_graph",
    "cond", "switch", "while_loop", "fori_loop", "scan", "jit",
]
# `random` stays out of __all__ so `from wire import *` cannot shadow the standard library's
__all__ += ["nn", "optim", "scipy", "testing"]
__all__ += ["debug_nans", "save", "load", "dumps", "loads"]
__all__ += ["BackendError"]
