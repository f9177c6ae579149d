"""NumPy's dispatch protocols for tracers: ``np.sin(tracer)``, ``np.sum(tracer, axis=0)``,
``np.linalg.slogdet(tracer)`` and ``np.fft.fft(tracer)`` run the ``wire.numpy`` function of the
same name (``__array_function__``), ufuncs and their ``reduce``/``accumulate``/``outer``
methods run the matching ``wire.numpy`` function (``__array_ufunc__``). A NumPy function wire
does not have raises a ``WireError`` naming it and the closest supported name — never a
silent conversion of a tracer to an array.
"""

from __future__ import annotations

import difflib

import numpy as np

from ..errors import WireError, at, user_location
from ._along_axis import accumulate
from ._promote import refuse_out

_UFUNC_ALIASES = {
    "absolute": "abs", "true_divide": "divide", "conjugate": "conj",
    "bitwise_not": "invert", "bitwise_invert": "invert",
}
_REDUCERS = {
    "add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min", "fmax": "nanmax",
    "fmin": "nanmin", "logical_and": "all", "logical_or": "any",
}


# the reducers of _REDUCERS that take initial=/where= (NumPy's identity-less ones need both)
_REDUCERS_TAKING = {
    ("initial",): ("add", "multiply", "maximum", "minimum"),
    ("where",): ("add", "multiply", "logical_and", "logical_or"),
    ("where", "initial"): ("add", "multiply", "maximum", "minimum"),
}


def protocols(wnp):
    """``(__array_ufunc__, __array_function__)`` for tracers, computing with namespace ``wnp``
    (``wire.numpy``, which installs them on ``Tracer``)."""

    def array_ufunc(self, ufunc, method, *inputs, **kwargs):
        return dispatch_ufunc(wnp, ufunc, method, inputs, kwargs)

    def array_function(self, func, types, args, kwargs):
        return dispatch_function(wnp, func, args, kwargs)

    return array_ufunc, array_function


def _namespace_for(module: str, wnp):
    parts = (module or "numpy").split(".")[1:]
    ns = wnp
    for p in parts:
        if p.startswith("_"):  # numpy._core.fromnumeric etc. are the main namespace
            break
        ns = getattr(ns, p, None)
        if ns is None:
            return None
    return ns


def _public_names(ns) -> list:
    names = getattr(ns, "__all__", None)
    return list(names) if names is not None else [n for n in dir(ns) if not n.startswith("_")]


def _unsupported(qualname: str, ns, wnp) -> WireError:
    short = qualname.rsplit(".", 1)[-1].split(".")[0]
    prefix = "wire.numpy" if ns is None or ns is wnp else ns.__name__
    names = _public_names(ns) if ns is not None else _public_names(wnp)
    close = difflib.get_close_matches(short, names, n=1)
    if not close and ns is not wnp:
        close = difflib.get_close_matches(short, _public_names(wnp), n=1)
        prefix = "wire.numpy"
    hint = f"; the closest supported function is {prefix}.{close[0]}" if close else ""
    return WireError(
        f"{qualname} is not supported on traced values by wire{hint}. "
        f"See the supported-function list in docs/numpy.md{at(user_location())}"
    )


def _ufunc_fn(name, wnp):
    if name == "vecdot":
        return wnp.linalg.vecdot
    if name == "divmod":
        return lambda x, y: (wnp.floor_divide(x, y), wnp.mod(x, y))
    return getattr(wnp, _UFUNC_ALIASES.get(name, name), None)


def dispatch_ufunc(wnp, ufunc, method, inputs, kwargs):
    """Run ``ufunc.method(*inputs, **kwargs)`` with ``wnp`` (``wire.numpy``; some input is a
    tracer)."""
    refuse_out(kwargs.get("out"), f"numpy.{ufunc.__name__}")
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    name = ufunc.__name__
    fn = _ufunc_fn(name, wnp)
    label = f"numpy.{name}" + ("" if method == "__call__" else f".{method}")
    if fn is None:
        raise _unsupported(label, wnp, wnp)
    dtype = kwargs.pop("dtype", None)
    where = kwargs.pop("where", True)
    initial = kwargs.pop("initial", np._NoValue)
    initial = None if initial is np._NoValue else initial
    extras = {k: v for k, v in (("where", where), ("initial", initial))
              if v is not None and v is not True}
    if method == "__call__" and where is not True:  # the function's front refuses it
        kwargs["where"] = where
    elif extras and not (method == "reduce" and name in _REDUCERS_TAKING.get(tuple(extras), ())):
        raise WireError(f"{label}(..., {', '.join(f'{k}=...' for k in extras)}) is not "
                        f"supported on traced values{at(user_location())}")
    kwargs.pop("casting", None)
    kwargs.pop("order", None)
    kwargs.pop("subok", None)
    if method == "__call__":
        if dtype is not None:
            inputs = [wnp.asarray(x, dtype=dtype) for x in inputs]
        # the rest (a gufunc's axis=, keepdims= …) as NumPy's own parameters of the function,
        # which takes or refuses each (wire.numpy's functions take NumPy's parameters)
        return fn(*inputs, **kwargs)
    if method == "reduce":
        x = inputs[0]
        axis = kwargs.get("axis", 0)
        keepdims = kwargs.get("keepdims", False)
        if dtype is not None:
            x = wnp.asarray(x, dtype=dtype)
        if name in _REDUCERS:
            return getattr(wnp, _REDUCERS[name])(x, axis=axis, keepdims=keepdims, **extras)
        if name == "logaddexp":
            return _logaddexp_reduce(wnp, x, axis, keepdims)
    if method == "accumulate" and name in ("add", "multiply", "maximum", "minimum"):
        return accumulate(name, inputs[0], kwargs.get("axis", 0), dtype)
    if method == "outer" and len(inputs) == 2:
        a, b = inputs
        na = a.ndim if hasattr(a, "ndim") else np.ndim(a)
        nb = b.ndim if hasattr(b, "ndim") else np.ndim(b)
        sa = tuple(a.shape) if hasattr(a, "shape") else np.shape(a)
        return fn(wnp.reshape(a, sa + (1,) * nb), b) if na else fn(a, b)
    raise _unsupported(label, wnp, wnp)


_FOLD_AT_MOST = 32  # np.logaddexp.reduce over at most this many terms: NumPy's own fold


def _logaddexp_reduce(wnp, x, axis, keepdims):
    """``np.logaddexp.reduce``. Over one axis (or all, ``axis=None``) of at most
    ``_FOLD_AT_MOST`` terms, NumPy's own left fold of the ``logaddexp`` primitive: its value
    to the bit, and the binary function's derivatives (1/2 each at two equal infinities, 1 in
    a lone ``+inf``). Longer: log(sum(exp(x))), the maximum factored out and held constant (as
    ``wire.scipy.special.logsumexp`` does), within a few ulps of NumPy's fold."""
    x = wnp.asarray(x)
    if axis is None or isinstance(axis, (int, np.integer)):
        flat = wnp.reshape(x, (-1,)) if axis is None else x
        ax = 0 if axis is None else int(axis) % max(x.ndim, 1)
        n = flat.shape[ax] if flat.ndim else 1
        if flat.ndim and 1 <= n <= _FOLD_AT_MOST:
            out = wnp.take(flat, 0, axis=ax)
            for i in range(1, n):
                out = wnp.logaddexp(out, wnp.take(flat, i, axis=ax))
            if keepdims:
                out = wnp.reshape(out, (1,) * x.ndim) if axis is None else wnp.expand_dims(out, ax)
            return out
    m = wnp.stop_gradient(wnp.max(x, axis=axis, keepdims=True))
    m = wnp.where(wnp.isfinite(m), m, 0.0)
    out = wnp.log(wnp.sum(wnp.exp(x - m), axis=axis, keepdims=True)) + m
    if keepdims:
        return out
    return wnp.reshape(out, ()) if axis is None else wnp.squeeze(out, axis)


def dispatch_function(wnp, func, args, kwargs):
    """Run NumPy function ``func`` with the ``wnp`` (``wire.numpy``) function of the same
    name."""
    module = getattr(func, "__module__", None) or "numpy"
    ns = _namespace_for(module, wnp)
    name = func.__name__
    fn = getattr(ns, name, None) if ns is not None else None
    if fn is None or fn is func or not callable(fn):
        public = "numpy" if module.startswith("numpy._") or module == "numpy" else module
        raise _unsupported(f"{public}.{name}", ns, wnp)
    return fn(*args, **kwargs)
