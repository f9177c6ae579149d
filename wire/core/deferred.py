"""Operations on values of unknown shape (shapeless ``wire.var``), made once the shapes are fed.

A ``wire.var`` declared without a shape has an aval of unknown shape. Elementwise operations
and plain matrix products build ordinary nodes on it (their avals are of unknown shape too);
an operation whose parameters depend on the shape (``x.T``, ``x.sum(axis=1)``, ``x[0]``, a
reshape, ``wire.gradients`` of such a graph) is recorded as a *deferred* node: the function
itself and its traced operands, with the rank-independent arguments bound in the function.

:func:`specialise` re-makes such a node-level graph for the shapes a feed dict gives: each
shapeless var becomes a var of the fed shape, each ordinary node is bound again through its
primitive's shape rule (a genuine conflict raises ``wire.ShapeError`` at the node's own line),
and each deferred node calls its function on the re-made operands. The result is an ordinary
graph of known shapes; ``wire.evaluate`` memoizes it per feed signature.
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import MissingNameError, WireError, at, user_location
from ..ir import Aval, make_node, toposort, var_node, var_op
from .locations import site
from .primitive import proj_p
from .tracer import Tracer, bind, to_node


class DeferredOp:
    """The op of a deferred node: not a primitive, since it never reaches a transform or the
    evaluator (:func:`specialise` replaces it first). Asking it for a primitive's rule says so."""

    __slots__ = ()
    name = "deferred"

    def impl(self, *args, **params):
        raise WireError(f"{params.get('fn')!r} on a value of unknown shape runs only once the "
                        "shapes are known: evaluate it with wire.evaluate or Executor.run")

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise MissingNameError(
            f"an operation on a shapeless wire.var ({attr} asked for) is made only when "
            "wire.evaluate or Executor.run feeds the shapes; to transform, jit or compile it, "
            "give wire.var a shape"
        )

    def __repr__(self):
        return "deferred"

    def __reduce__(self):
        return "deferred_op"


deferred_op = DeferredOp()


class DeferredFn:
    """A function with its static arguments bound, named for graph listings; hashed by identity
    (each deferred call is its own node)."""

    __slots__ = ("fn", "what")

    def __init__(self, fn, what: str):
        self.fn = fn
        self.what = what

    def __call__(self, *operands):
        return self.fn(*operands)

    def __repr__(self):
        return self.what


def has_unknown_shape(x) -> bool:
    return isinstance(x, Tracer) and x.aval.shape is None


def defer(fn, operands, what: str, dtype=None) -> Tracer:
    """A tracer of unknown shape standing for ``fn(*operands)``, made when shapes are fed.

    ``dtype`` is the result's; by default it is found by running ``fn`` on arrays of ones of
    the operands' dtypes at ranks 0 to 4 (a dtype does not depend on the rank).

    >>> import wire, numpy as np, wire.numpy as wnp
    >>> a = wire.var("a")
    >>> s = defer(lambda x: wnp.sum(x, axis=1), [a], "sum(axis=1)")
    >>> s.aval, wire.evaluate(s, {a: np.ones((2, 3))})
    (f64[?], array([3., 3.]))
    """
    operands = [o if isinstance(o, Tracer) else Tracer(to_node(o)) for o in operands]
    if dtype is None:
        dtype = _probe_dtype(fn, operands)
    loc = user_location()
    node = make_node(deferred_op, tuple(o.node for o in operands),
                     {"fn": DeferredFn(fn, what)}, Aval(None, dtype), loc)
    return Tracer(node)


def _probe_dtype(fn, operands):
    for rank in range(5):
        arrays = [np.ones((1,) * rank if o.aval.shape is None else o.aval.shape, o.dtype)
                  for o in operands]
        try:
            with np.errstate(all="ignore"):
                out = fn(*arrays)
        except Exception:  # this rank does not fit the operation: try the next
            continue
        dtype = getattr(out, "dtype", None)
        if dtype is not None:
            return dtype
    return next(o.dtype for o in operands if o.aval.shape is None)


def uses_unknown_shapes(nodes) -> bool:
    """Whether ``nodes`` use a value of unknown shape (so they are made again once fed)."""
    return any(n.op is var_op and n.aval.shape is None for n in toposort(nodes))


def specialise(outputs, fed: dict):
    """``(outputs', {old var: new var})``: ``outputs`` re-made with each var of unknown shape
    given the aval in ``fed`` ({var node: Aval}).

    >>> import wire, numpy as np
    >>> a = wire.var("a")
    >>> (out,), _ = specialise([a.T.node], {a.node: Aval((2, 3), np.float64)})
    >>> out.aval
    f64[3,2]
    """
    mapping, multi = {}, {}
    for old, aval in fed.items():
        mapping[old] = var_node(old.params["name"], aval, old.loc)
    for n in toposort(outputs):
        if n in mapping:
            continue
        if n.is_leaf:
            mapping[n] = n
            continue
        ins = [mapping[i] for i in n.inputs]
        if all(a is b for a, b in zip(ins, n.inputs)) and n.op is not deferred_op:
            mapping[n] = n
            continue
        if n.op is proj_p:
            mapping[n] = multi[n.inputs[0]][n.params["index"]]
            continue
        with site(n.loc):
            if n.op is deferred_op:
                mapping[n] = _run_deferred(n, ins)
                continue
            out = bind(n.op, *[Tracer(i) for i in ins], **n.params)
        if isinstance(out, tuple):
            multi[n] = [o.node for o in out]
            mapping[n] = out[0].node.inputs[0]
        else:
            mapping[n] = out.node
    return [mapping[o] for o in outputs], {k: mapping[k] for k in fed}


def _run_deferred(n, ins):
    fn = n.params["fn"]
    try:
        out = fn(*[Tracer(i) for i in ins])
    except WireError as e:
        where = at(n.loc)
        if where and where not in str(e):
            raise type(e)(f"{e}; the operation {fn!r} on shapeless vars was written"
                          f"{where}") from None
        raise
    if isinstance(out, (tuple, list)):
        raise WireError(f"{fn!r} on a value of unknown shape returned {len(out)} values; give "
                        f"wire.var a shape{at(n.loc)}")
    return to_node(out)


@functools.lru_cache(maxsize=256)
def specialised(outputs: tuple, signature: tuple):
    """Memo of :func:`specialise` per feed signature ``((var, shape), ...)``."""
    fed = {v: Aval(shape, v.aval.dtype) for v, shape in signature}
    return specialise(list(outputs), fed)
