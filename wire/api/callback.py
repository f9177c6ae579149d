"""``wire.pure_callback``: call black-box host code (a C extension, a SciPy routine) from
traced code, as ``jax.pure_callback`` does.

The call is one node of the ``pure_callback`` primitive. Its params hold the callback (a
:class:`Callback`: the user's function, the pytree structure of its arguments and the shapes
and dtypes it declares it returns), so tracing needs no call of it: evaluating the node, in
the evaluator or in ``jit``'s compiled code, calls the function with NumPy arrays and checks
that what it returns has the declared structure, shapes and dtypes.

The callback is taken to be *pure* (its result depends only on its arguments, it has no side
effects): ``wire.simplify`` may compute it once for equal arguments, or not at all when its
result is unused, and ``vmap`` calls it as ``vmap_method`` says:

============================  ==================================================================
``"sequential"``              once per example (``"sequential_unrolled"``: the same)
``"expand_dims"``             once, the mapped arguments with the batch axis first and the
                              others with a new leading axis of size 1; it returns results
                              with the batch axis first
``"broadcast_all"``           likewise, the others broadcast to the batch size
``"legacy_vectorized"``       once, the mapped arguments with the batch axis first, the others
                              as they are
``None`` (the default)        ``vmap`` refuses it (``NotImplementedError``, JAX's message)
============================  ==================================================================

It has no derivative of its own (``wire.NonDifferentiableError`` names it); wrap it in
``wire.custom_vjp`` or ``wire.custom_jvp`` to give one, as in JAX. A graph holding a
callback cannot be saved (``wire.dumps``) nor put in ``jit``'s disk cache: a function is not
data.
"""

from __future__ import annotations

import numpy as np

from .. import tree
from ..core import Tracer, bind
from ..core.primitive import Primitive
from ..errors import (
    NonDifferentiableError,
    ShapeError,
    WireNotImplementedError,
    WireError,
    WireTypeError,
    at,
    user_location,
)
from ..ir import Aval
from ..ops.layout import broadcast_to, moveaxis, reshape

__all__ = ["ShapeDtypeStruct", "pure_callback", "pure_callback_p"]

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all",
                "legacy_vectorized", None)


class ShapeDtypeStruct:
    """A shape and a dtype (``jax.ShapeDtypeStruct``): what a callback declares it returns.
    Anything with ``shape`` and ``dtype`` attributes (a NumPy array too) serves as well.

    >>> ShapeDtypeStruct((3,), np.float32)
    ShapeDtypeStruct(shape=(3,), dtype=float32)
    """

    __slots__ = ("dtype", "shape")

    def __init__(self, shape, dtype):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)

    def __repr__(self):
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype})"

    def __eq__(self, other):
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))


class Callback:
    """The ``callback`` param of a ``pure_callback`` node: the user's function ``fn`` of the
    arguments' pytree ``in_tree`` (``(args, kwargs)``) and ``out_tree``, the structure of
    what it returns. Equal (and hashed alike) for the same function and structures, so
    tracing a function again builds equal nodes. ``looped``: for the node ``vmap`` made with
    ``"sequential"``, which of the flat arguments carry the batch axis (first); ``None``
    otherwise. A function is not data: pickling one refuses."""

    __slots__ = ("__qualname__", "fn", "in_tree", "looped", "out_tree")

    def __init__(self, fn, in_tree, out_tree, looped=None):
        self.fn = fn
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.looped = looped
        self.__qualname__ = f"pure_callback({name_of(fn)})"

    def _key(self):
        return (self.fn, self.in_tree, self.out_tree, self.looped)

    def __eq__(self, other):
        return type(other) is Callback and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __call__(self, *flat):
        args, kwargs = tree.unflatten(self.in_tree, list(flat))
        return self.fn(*args, **kwargs)

    def __repr__(self):
        return self.__qualname__

    def __reduce__(self):
        raise WireError(f"{self.__qualname__} cannot be saved or pickled: it calls a Python "
                        "function, which is not data")


def name_of(fn) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


# --------------------------------------------------------------------------- the primitive


def _impl(*args, callback, result_avals, vmap_method):
    if callback.looped is not None:
        return _looped(args, callback, result_avals)
    arrays = [np.asarray(a) for a in args]
    out = callback(*arrays)
    return _checked(out, callback, result_avals)


def _looped(args, callback, result_avals):
    """The ``"sequential"`` batching: the inner callback once per example, stacked."""
    inner = Callback(callback.fn, callback.in_tree, callback.out_tree, callback.looped[1])
    mapped = callback.looped[0]
    size = result_avals[0].shape[0] if result_avals else next(
        np.shape(a)[0] for a, m in zip(args, mapped) if m)
    example_avals = tuple(Aval(a.shape[1:], a.dtype) for a in result_avals)
    rows = []
    for i in range(size):
        ex = [a[i] if m else a for a, m in zip(args, mapped)]
        rows.append(_impl(*ex, callback=inner, result_avals=example_avals, vmap_method=None))
    return tuple(np.stack([r[k] for r in rows]) if rows else np.zeros(a.shape, a.dtype)
                 for k, a in enumerate(result_avals))


def _checked(out, callback, result_avals) -> tuple:
    """The callback's result as a tuple of arrays, checked against what it declared."""
    what = callback.__qualname__
    try:
        leaves, out_tree = tree.flatten(out)
    except Exception:  # noqa: BLE001 - a value the pytree registry cannot take apart
        leaves, out_tree = None, None
    if out_tree != callback.out_tree:
        raise WireTypeError(
            f"{what} returned {_describe(out)}, but result_shape_dtypes declared the "
            f"structure {callback.out_tree!r}")
    got = []
    for k, (leaf, aval) in enumerate(zip(leaves, result_avals)):
        arr = np.asarray(leaf)
        where = "" if len(result_avals) == 1 else f" (result {k})"
        if arr.shape != aval.shape:
            raise ShapeError(
                f"{what} returned an array of shape {arr.shape} and dtype {arr.dtype}{where}, "
                f"but result_shape_dtypes declared shape {aval.shape} and dtype {aval.dtype}")
        if arr.dtype != aval.dtype:
            # a Python number takes the declared dtype (NumPy would cast it on assignment);
            # an array must have it
            if isinstance(leaf, (bool, int, float, complex)) and \
                    not isinstance(leaf, np.generic) and \
                    np.can_cast(arr.dtype, aval.dtype, "same_kind"):
                arr = arr.astype(aval.dtype)
            else:
                raise WireTypeError(
                    f"{what} returned an array of dtype {arr.dtype} and shape {arr.shape}"
                    f"{where}, but result_shape_dtypes declared dtype {aval.dtype} and shape "
                    f"{aval.shape}; cast the result in the callback (e.g. "
                    f"np.asarray(r, dtype=np.{aval.dtype}))")
        got.append(arr)
    return tuple(got)


def _describe(out) -> str:
    try:
        return f"a value of structure {tree.flatten(out)[1]!r}"
    except Exception:  # noqa: BLE001
        return f"a {type(out).__name__}"


def _shape(*avals, callback, result_avals, vmap_method):
    return tuple(result_avals)


def _no_derivative(*args, callback, **params):
    raise NonDifferentiableError(
        f"{callback.__qualname__} has no derivative: wire cannot see inside a Python "
        "callback. Wrap the function calling it in wire.custom_vjp (or wire.custom_jvp) "
        f"and give its derivative there (which may be another pure_callback){at(user_location())}")


def _batch(args, dims, *, callback, result_avals, vmap_method):
    size = next(np.shape(a)[d] for a, d in zip(args, dims) if d is not None)
    front = [a if d is None else moveaxis(a, d, 0) for a, d in zip(args, dims)]
    batched_avals = tuple(Aval((size,) + tuple(a.shape), a.dtype) for a in result_avals)
    if vmap_method in ("sequential", "sequential_unrolled"):
        looped = Callback(callback.fn, callback.in_tree, callback.out_tree,
                          (tuple(d is not None for d in dims), callback.looped))
        ops = front
        callback = looped
    elif vmap_method in ("expand_dims", "broadcast_all"):
        n = size if vmap_method == "broadcast_all" else 1
        ops = []
        for a, d in zip(front, dims):
            if d is None:
                s = tuple(np.shape(a))
                a = broadcast_to(reshape(a, (1,) + s), (n,) + s)
            ops.append(a)
    elif vmap_method == "legacy_vectorized":
        ops = front
    else:
        raise WireNotImplementedError(
            "vmap is only supported for the pure_callback primitive when vmap_method is one "
            "of 'sequential', 'sequential_unrolled', 'expand_dims', 'broadcast_all', or "
            f"'legacy_vectorized' ({callback.__qualname__}){at(user_location())}")
    outs = bind(pure_callback_p, *ops, callback=callback, result_avals=batched_avals,
                vmap_method=vmap_method)
    return outs, (0,) * len(batched_avals)


pure_callback_p = Primitive(
    "pure_callback",
    _impl,
    _shape,
    vjp=_no_derivative,
    jvp=_no_derivative,
    batch=_batch,
    doc="a call of a pure Python function on NumPy arrays (wire.pure_callback)",
)


# --------------------------------------------------------------------------- the function


def pure_callback(callback, result_shape_dtypes, *args, vmap_method=None, **kwargs):
    """Call the pure Python function ``callback(*args, **kwargs)`` on NumPy arrays, from
    traced code too (``jax.pure_callback``).

    ``result_shape_dtypes``: a pytree whose leaves have ``shape`` and ``dtype`` (a
    :class:`ShapeDtypeStruct`, an array), the structure of what ``callback`` returns; a
    result of another shape or dtype raises ``wire.ShapeError``/``wire.WireTypeError`` naming
    both. Under ``jit`` the compiled code calls it; under ``vmap``, ``vmap_method`` says how
    (see :mod:`wire.api.callback`). It has no derivative: give one with ``wire.custom_vjp``.

    >>> import numpy as np, scipy.special, wire
    >>> def i0(x):
    ...     return wire.pure_callback(scipy.special.i0, wire.ShapeDtypeStruct(x.shape, x.dtype),
    ...                               x, vmap_method="expand_dims")
    >>> wire.jit(lambda x: i0(x) * 2.0)(np.array([0.0, 1.0]))
    array([2.        , 2.53213176])
    """
    if vmap_method not in VMAP_METHODS:
        raise WireError(f"pure_callback: vmap_method must be one of {list(VMAP_METHODS)}, "
                        f"got {vmap_method!r}{at(user_location())}")
    if not callable(callback):
        raise WireTypeError(f"pure_callback needs a callable, got {type(callback).__name__}"
                            f"{at(user_location())}")
    flat, in_tree = tree.flatten((args, kwargs))
    decl, out_tree = tree.flatten(result_shape_dtypes)
    avals = []
    for k, d in enumerate(decl):
        if not (hasattr(d, "shape") and hasattr(d, "dtype")):
            raise WireTypeError(
                f"pure_callback: result_shape_dtypes leaf {k} is a {type(d).__name__}; each "
                "leaf needs shape and dtype (wire.ShapeDtypeStruct(shape, dtype))"
                f"{at(user_location())}")
        avals.append(Aval(tuple(int(s) for s in d.shape), np.dtype(d.dtype)))
    cb = Callback(callback, in_tree, out_tree)
    params = {"callback": cb, "result_avals": tuple(avals), "vmap_method": vmap_method}
    if not any(isinstance(x, Tracer) for x in flat):
        outs = _impl(*flat, **params)  # concrete: called now, checked alike
    else:
        outs = bind(pure_callback_p, *flat, **params)
    return tree.unflatten(out_tree, list(outs))
