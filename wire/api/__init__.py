"""The user-facing transforms and tools: ``grad`` and friends, ``vmap``, the Jacobian family,
``jit``, ``custom_jvp``/``custom_vjp``, control flow, the primitive registry and the JSON
form of graphs. Each function form traces, transforms the graph, and calls the result."""

from . import checkpoint_policies
from .callback import ShapeDtypeStruct, pure_callback
from .checkpoint import checkpoint
from .control_flow import cond, fori_loop, scan, switch, while_loop
from .custom import custom_jvp, custom_vjp
from .derivatives import hessian, hvp, jacfwd, jacrev, jvp, jvp_graph, linearize, vjp, vjp_graph
from .grad import (
    Variable, call, elementwise_grad, grad, grad_graph, gradients, matmul_op, trace_args,
    value_and_grad, var,
)
from .jit import jit
from .registry import REGISTRY
from .shapes import eval_shape
from .serialize import dumps, load, loads, save
from .taylor import jet, jet_graph, taylor, taylor_graph
from .vmap import vmap, vmap_graph

__all__ = [
    "REGISTRY", "Variable", "call", "cond", "custom_jvp", "custom_vjp", "dumps",
    "elementwise_grad", "fori_loop",
    "grad", "grad_graph", "gradients", "hessian", "hvp", "jacfwd", "jacrev", "jit", "jvp",
    "jvp_graph", "linearize", "load", "loads", "matmul_op", "save", "scan", "switch", "trace_args",
    "value_and_grad", "var", "vjp", "vjp_graph", "vmap", "vmap_graph", "while_loop",
    "jet", "jet_graph", "taylor", "taylor_graph", "checkpoint", "checkpoint_policies",
    "pure_callback", "ShapeDtypeStruct", "eval_shape",
]
