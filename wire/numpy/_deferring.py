"""``wire.numpy`` functions whose parameters depend on the operand's shape (axes, transposes,
reshapes, indexing) take shapeless ``wire.var`` s too: called on a value of unknown shape, the
call is recorded as a deferred node (:mod:`wire.core.deferred`) and made again once
``wire.evaluate`` or ``Executor.run`` feeds the shapes."""

from __future__ import annotations

import functools

import numpy as np

from ..core import Tracer, WeakTracer
from ..core.deferred import defer, has_unknown_shape
from ..core.debug import _NANS
from ._eager import check_nans
from ._promote import strong_out, weak_behind
from ._refusals import REFUSALS, refused

_nans_on = _NANS.get  # (a bound method: no attribute look-up per call)

# Functions that answer from the dtype or need concrete values: never deferred.
NOT_DEFERRED = frozenset({
    "allclose", "array_equal", "array_equiv", "can_cast", "common_type", "min_scalar_type",
    "result_type", "iscomplexobj", "isrealobj", "einsum_path", "vectorize", "shape", "ndim",
    "size",
})


def deferrable(name: str, fn) -> bool:
    """Whether ``wire.numpy``'s ``name`` is deferred on values of unknown shape: every public
    function but NumPy's elementwise ufuncs (which build nodes of unknown shape directly, and
    broadcast by the primitives' shape rules once made again) and :data:`NOT_DEFERRED`."""
    if name.startswith("_") or name in NOT_DEFERRED or not callable(fn) or isinstance(fn, type):
        return False
    ufunc = getattr(np, name, None)
    return not (isinstance(ufunc, np.ufunc) and ufunc.signature is None)


def install(namespace: dict, names) -> None:
    """Replace each deferrable function of ``namespace`` by its deferring form."""
    made = {}  # one deferring form per function: aliases (amax = max) stay one object
    for name in names:
        fn = namespace.get(name)
        if fn is not None and deferrable(name, fn) and not hasattr(fn, "__wire_deferring__"):
            if id(fn) not in made:
                made[id(fn)] = deferring(fn)
            namespace[name] = made[id(fn)]


def _any_unknown(args, kwargs) -> bool:
    """Whether a traced value of unknown shape is among the arguments (the hot path of every
    ``wire.numpy`` call: kept to a loop of type checks)."""
    for a in args:
        cls = a.__class__
        if cls is list or cls is tuple:
            for b in a:
                if isinstance(b, Tracer) and b.node.aval.shape is None:
                    return True
        elif isinstance(a, Tracer) and a.node.aval.shape is None:
            return True
    if kwargs:
        for v in kwargs.values():
            if isinstance(v, Tracer) and v.node.aval.shape is None:
                return True
    return False


def _split(args, kwargs):
    """The traced operands among ``args``/``kwargs`` (top level and inside lists/tuples), and
    a function putting replacements back in their places."""
    operands, places = [], []
    for i, a in enumerate(args):
        if isinstance(a, Tracer):
            places.append(("arg", i, None))
            operands.append(a)
        elif isinstance(a, (list, tuple)):
            for j, b in enumerate(a):
                if isinstance(b, Tracer):
                    places.append(("arg", i, j))
                    operands.append(b)
    for k, a in kwargs.items():
        if isinstance(a, Tracer):
            places.append(("kw", k, None))
            operands.append(a)

    def rebuild(new):
        args2 = [list(a) if isinstance(a, (list, tuple)) else a for a in args]
        kw2 = dict(kwargs)
        for (kind, i, j), x in zip(places, new):
            if kind == "kw":
                kw2[i] = x
            elif j is None:
                args2[i] = x
            else:
                args2[i][j] = x
        args2 = [type(a)(b) if isinstance(a, (list, tuple)) else b for a, b in zip(args, args2)]
        return args2, kw2

    return operands, rebuild


def deferring(fn):
    """``fn``, recorded as a deferred node when an operand has an unknown shape."""
    # fn is mostly strong_result's wrapper (wire.numpy._promote): its function is called
    # here, and its result made strongly typed here, one Python frame less on every call
    inner = weak_behind(fn)
    strong = inner is not fn

    @functools.wraps(fn)
    def deferring_call(*args, **kwargs):
        # the hot path of every wire.numpy call: a loop of type checks, no further call
        for a in args:
            if isinstance(a, Tracer):
                if a.node.aval.shape is None:
                    break
            elif (a.__class__ is list or a.__class__ is tuple) and _any_unknown(a, None):
                break
        else:
            if not kwargs or not _any_unknown((), kwargs):
                try:
                    out = inner(*args, **kwargs)
                    if strong and (type(out) is WeakTracer or type(out) is tuple):
                        out = strong_out(out)
                except REFUSALS as e:  # NumPy's refusal of concrete operands: wire's error
                    x = refused(fn.__name__, deferring_call, e, args, kwargs)
                    if x is None:
                        raise
                    raise x from None
                if _nans_on():  # (a concrete branch computing with NumPy is checked too)
                    check_nans(fn.__name__, (args, kwargs), out)
                return out
        return _deferred_call(fn, args, kwargs)

    deferring_call.__wire_deferring__ = True
    return deferring_call


def is_deferring(fn) -> bool:
    """Whether ``fn`` is a deferring form made by :func:`deferring` (not merely a function
    wrapping one, which ``functools.wraps`` gives its attributes)."""
    return getattr(fn, "__code__", None) is _DEFERRING_CODE


_DEFERRING_CODE = deferring(len).__code__


def _deferred_call(fn, args, kwargs):
    operands, rebuild = _split(args, kwargs)

    def made(*new):
        a, k = rebuild(new)
        return fn(*a, **k)

    return defer(made, operands, _describe(fn.__name__, args, kwargs))


def _describe(name, args, kwargs):
    static = [repr(a) for a in args if not isinstance(a, (Tracer, list, tuple))]
    static += [f"{k}={v!r}" for k, v in kwargs.items() if not isinstance(v, Tracer)]
    return f"{name}({', '.join(['...'] + static)})"


def getitem(getitem_fn):
    """``x[index]`` deferred when ``x`` has an unknown shape and ``index`` holds no tracer."""

    def f(x, index):
        if has_unknown_shape(x):
            parts = index if isinstance(index, tuple) else (index,)
            if not any(isinstance(p, Tracer) for p in parts):
                return defer(lambda y: getitem_fn(y, index), [x], f"getitem[{index!r}]")
        return getitem_fn(x, index)

    return f
