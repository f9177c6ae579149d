"""Rematerialisation: the ``checkpoint`` primitive and the ``remat_barrier`` that keeps its
recomputation apart from the forward pass.

``checkpoint`` calls the closed sub-graph in its ``body`` param (inputs: closed-over values,
then the arguments; outputs: the function's ``n_out`` outputs, then the intermediates the
policy chose to *save*). Its value is the body's; its VJP rule is the point: instead of
differentiating the body in place (which keeps every intermediate the backward pass reads
alive from the forward pass until then), it inlines the body again on its inputs passed
through ``remat_barrier(x, ct)`` — an identity that also takes the incoming cotangent — with
the saved intermediates and the outputs taken from the forward node, and differentiates that
copy. Two things follow from the barrier:

* the copy is made of *new* nodes (their inputs differ), so interning, ``wire.simplify`` and
  inlining before compiling can never merge the recomputation back into the forward pass;
* the copy depends on the cotangent, so no schedule can run it before the backward pass
  reaches it: the body's intermediates live during its forward run and again during its
  backward step, not in between.

Forward mode and Taylor mode see through the call (they store nothing); ``vmap`` batches the
body and keeps the checkpoint, so a gradient taken after ``vmap`` recomputes too.
"""

from __future__ import annotations

import numpy as np

from ..core import Tracer, bind, evaluate_flat, to_tracer
from ..core.formula import call_graph as call_graph_formula
from ..core.lowering import VIEW_OF_INPUT, XpImpl, xp_run_graph
from ..core.primitive import Primitive, REALS, elementwise_sampler
from ..core.taylor import COEFFICIENTWISE
from ..ir import Aval, Graph, const_op, substitute
from ..ops.batching import batch_size, to_front
from ..ops.elementwise import tanh
from ..ops.layout import full_p
from ..ops.matmul import matmul
from ..transforms.jvp import forward
from ..transforms.vjp import backward
from ..transforms.vmap import vmap_flat
from .subgraph import closed_graph, jet_inline

__all__ = ["checkpoint_bind", "checkpoint_p", "remat_barrier", "remat_barrier_p"]


# --------------------------------------------------------------------------- the barrier


def _barrier_batch(args, dims):
    x, token = args
    return bind(remat_barrier_p, x, token), dims[0]


remat_barrier_p = Primitive(
    "remat_barrier",
    lambda x, token: x,
    lambda x, token: x,
    dtype=lambda x, token: x,
    vjp=lambda ct, out, x, token: (ct, None),
    jvp=lambda ts, out, x, token: ts[0],
    batch=_barrier_batch,
    emit=VIEW_OF_INPUT,
    xp=XpImpl(lambda bk, x, token: x, "(identity)"),
    sample=lambda rng: (elementwise_sampler([REALS, REALS])(rng)[0], {}),
    doc="x, once token is computed: an identity that orders a recomputation after the "
    "cotangent it needs and keeps it distinct from the forward pass (wire.checkpoint)",
    sympy=lambda sp, node, x, token: x,
    taylor=COEFFICIENTWISE,
)


def remat_barrier(x, token):
    return bind(remat_barrier_p, x, token)


# --------------------------------------------------------------------------- checkpoint


def _run(*args, body, n_out):
    return tuple(evaluate_flat(body, list(args)))


def _shape(*avals, body, n_out):
    return tuple(body.out_avals)


def _inline(body: Graph, xs) -> list:
    return substitute(list(body.outputs), {i: to_tracer(x).node for i, x in zip(body.inputs, xs)})


def _token(cts):
    """A cotangent the recomputation waits for: one computed by the backward pass if any
    (a constant one would let a schedule run the recomputation at any time)."""
    for c in cts:
        node = to_tracer(c).node
        if node.op is not const_op and node.op is not full_p:
            return c
    return cts[0]


def _checkpoint_vjp(ct, out, *xs, body, n_out):
    # the saved outputs have cotangents too when a derivative of the backward pass (which
    # reads them) is taken: grad of grad
    cts = list(ct)
    token = _token(cts)
    held = [remat_barrier(x, token) for x in xs]
    again = _inline(body, held)
    # outputs and saved intermediates come from the forward node, the rest is recomputed
    known = {a: o.node for a, o in zip(again, out)}
    found = backward(again, cts, [h.node for h in held])
    live = [f.node for f in found if f is not None]
    swapped = dict(zip(live, substitute(live, known))) if live else {}
    # one value passed in twice (an argument that is also closed over) is one node: its
    # cotangent is already the total, so it goes to its first position only
    first = {}
    for i, h in enumerate(held):
        first.setdefault(h.node, i)
    return tuple(None if f is None or first[h.node] != i else Tracer(swapped[f.node])
                 for i, (f, h) in enumerate(zip(found, held)))


def _checkpoint_jvp(ts, out, *xs, body, n_out):
    outs = _inline(body, xs)
    tangents = forward(outs, [to_tracer(x).node for x in xs], list(ts))
    return tuple(tangents)


def _checkpoint_taylor(series, out, *xs, body, n_out):
    order = len(next(s for s in series if s is not None))
    _, found = jet_inline(body, xs, series, order)
    return tuple(found)


def _checkpoint_batch(args, dims, *, body, n_out):
    size = batch_size(args, dims)
    xs = [x if d is None else to_front(x, d) for x, d in zip(args, dims)]
    in_dims = [None if d is None else 0 for d in dims]
    out_dims = [0] * len(body.outputs)
    batched = vmap_flat(body, in_dims, size, out_dims)
    return checkpoint_bind(xs, batched, n_out), tuple(out_dims)


def _sample(rng):
    avals = [Aval((3, 4), np.float64), Aval((4, 4), np.float64)]

    def layer(h, w):
        z = matmul(h, w)
        return [tanh(z), z]  # one output, one saved matmul

    body = closed_graph(layer, avals)
    return [rng.normal(size=(3, 4)), rng.normal(size=(4, 4)) / 2], {"body": body, "n_out": 1}


checkpoint_p = Primitive(
    "checkpoint",
    _run,
    _shape,
    jvp=_checkpoint_jvp,
    vjp=_checkpoint_vjp,
    batch=_checkpoint_batch,
    sample=_sample,
    call_graph="body",
    xp=xp_run_graph("body"),
    doc="the body's outputs (n_out of them, then the saved intermediates); its VJP recomputes "
    "the body from its inputs instead of keeping its intermediates (wire.checkpoint)",
    sympy=call_graph_formula,
    taylor=_checkpoint_taylor,
)


def checkpoint_bind(args, body: Graph, n_out: int) -> tuple:
    """Bind ``checkpoint_p`` on ``args`` (closed-over values first); all its outputs."""
    return bind(checkpoint_p, *args, body=body, n_out=int(n_out))


# --------------------------------------------------------------------------- names
# (wire.checkpoint_name: an identity that marks a value for the checkpoint policies)

def _name_batch(args, dims, *, name):
    return bind(name_p, args[0], name=name), dims[0]


def _name_sample(rng):
    return [elementwise_sampler([REALS])(rng)[0][0]], {"name": "h"}


name_p = Primitive(
    "checkpoint_name",
    lambda x, *, name: x,
    lambda a, *, name: a,
    dtype=lambda d, *, name: d,
    vjp=lambda ct, out, x, *, name: (ct,),
    jvp=lambda ts, out, x, *, name: ts[0],
    batch=_name_batch,
    linear=True,
    emit=VIEW_OF_INPUT,
    xp=XpImpl(lambda bk, x, *, name: x, "(identity)"),
    sample=_name_sample,
    doc="x, named for the policies of wire.checkpoint (wire.checkpoint_name)",
    sympy=lambda sp, node, x: x,
    taylor=COEFFICIENTWISE,
)
