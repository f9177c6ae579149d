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
    (each deferred call is its own node). For a function returning ``count`` arrays, the node
    stands for the one at ``index``."""

    __slots__ = ("fn", "what", "index", "count")

    def __init__(self, fn, what: str, index=None, count=None):
        self.fn = fn
        self.what = what
        self.index = index
        self.count = count

    def __call__(self, *operands):
        return self.fn(*operands)

    def __repr__(self):
        return self.what if self.index is None else f"{self.what}[{self.index}]"


def has_unknown_shape(x) -> bool:
    return isinstance(x, Tracer) and x.aval.shape is None


def defer(fn, operands, what: str, dtype=None):
    """A tracer of unknown shape standing for ``fn(*operands)``, made when shapes are fed (a
    tuple of them when ``fn`` returns several arrays).

    ``dtype`` is the result's; by default it is found by running ``fn`` on arrays of ones of
    the operands' dtypes at ranks 0 to 4 (a dtype does not depend on the rank); so is the
    number of results (evaluation raises if the fed shapes give another number).

    >>> import wire, numpy as np, wire.numpy as wnp
    >>> a = wire.var("a")
    >>> s = defer(lambda x: wnp.sum(x, axis=1), [a], "sum(axis=1)")
    >>> s.aval, wire.evaluate(s, {a: np.ones((2, 3))})
    (f64[?], array([3., 3.]))
    """
    operands = [o if isinstance(o, Tracer) else Tracer(to_node(o)) for o in operands]
    dtypes = [dtype] if dtype is not None else _probe_dtypes(fn, operands)
    loc = user_location()
    ins = tuple(o.node for o in operands)
    if dtypes is None:  # one array
        dtypes = [next(o.dtype for o in operands if o.aval.shape is None)]
    if isinstance(dtypes, list):
        return Tracer(make_node(deferred_op, ins, {"fn": DeferredFn(fn, what)},
                                Aval(None, dtypes[0]), loc))
    count = len(dtypes)
    return tuple(Tracer(make_node(deferred_op, ins, {"fn": DeferredFn(fn, what, k, count)},
                                  Aval(None, d), loc)) for k, d in enumerate(dtypes))


def _probe_dtypes(fn, operands):
    """``[dtype]`` of ``fn``'s one result, a tuple of dtypes for several, or ``None``."""
    for size, rank in [(1, r) for r in range(5)] + [(6, r) for r in range(1, 4)]:
        arrays = [np.ones((size,) * rank if o.aval.shape is None else o.aval.shape, o.dtype)
                  for o in operands]
        try:
            with np.errstate(all="ignore"):
                out = fn(*arrays)
        except Exception:  # this rank does not fit the operation: try the next
            continue
        if isinstance(out, (tuple, list)):
            if all(hasattr(o, "dtype") for o in out):
                return tuple(np.asarray(o).dtype for o in out)
            return None
        if hasattr(out, "dtype"):
            return [out.dtype]
        return None
    return None


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
    if isinstance(out, (tuple, list)) and fn.index is not None and len(out) == fn.count:
        out = out[fn.index]
    elif isinstance(out, (tuple, list)) or fn.index is not None:
        got = len(out) if isinstance(out, (tuple, list)) else 1
        raise WireError(
            f"{fn.what} on a value of unknown shape gave {got} results for the fed shapes, "
            f"{fn.count or 1} when it was written; give wire.var a shape{at(n.loc)}"
        )
    if not isinstance(out, Tracer) and not hasattr(out, "dtype"):
        raise WireError(f"{fn!r} on a value of unknown shape gave {type(out).__name__}, not an "
                        f"array; give wire.var a shape{at(n.loc)}")
    return to_node(out)


@functools.lru_cache(maxsize=256)
def specialised(outputs: tuple, signature: tuple):
    """Memo of :func:`specialise` per feed signature ``((var, shape), ...)``."""
    fed = {v: Aval(shape, v.aval.dtype) for v, shape in signature}
    return specialise(list(outputs), fed)
