"""NumPy's dispatch protocols for tracers: ``np.sin(tracer)`` and ``np.sum(tracer)`` run the
``wire.numpy`` function of the same name. A NumPy function wire does not have raises a
``WireError`` naming it and the closest supported name — never a silent conversion."""

from __future__ import annotations

import difflib

from ..errors import WireError, at, user_location

_UFUNC_ALIASES = {"absolute": "abs", "true_divide": "divide", "conjugate": "conj"}


def _namespace_for(module: str):
    import wire.numpy as wnp

    parts = (module or "numpy").split(".")[1:]
    ns = wnp
    for p in parts:
        if p.startswith("_"):  # numpy._core.fromnumeric etc. are the main namespace
            break
        ns = getattr(ns, p, None)
        if ns is None:
            return None
    return ns


def _unsupported(qualname: str, ns) -> WireError:
    names = [n for n in dir(ns) if not n.startswith("_")] if ns is not None else []
    short = qualname.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(short, names, n=1)
    hint = f"; the closest supported function is wire.numpy.{close[0]}" if close else ""
    return WireError(
        f"{qualname} is not supported on traced values by wire{hint}. "
        f"See README's list of wire.numpy functions{at(user_location())}"
    )


def dispatch_ufunc(ufunc, method, inputs, kwargs):
    import wire.numpy as wnp

    if kwargs.get("out") is not None:
        raise WireError(f"numpy.{ufunc.__name__}(..., out=...) cannot write into a traced value")
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    name = _UFUNC_ALIASES.get(ufunc.__name__, ufunc.__name__)
    fn = getattr(wnp, name, None)
    if method == "__call__" and fn is not None:
        return fn(*inputs, **kwargs)
    if method == "reduce" and name in ("add", "multiply", "maximum", "minimum"):
        reducer = {"add": wnp.sum, "multiply": wnp.prod, "maximum": wnp.max, "minimum": wnp.min}
        return reducer[name](inputs[0], axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
    raise _unsupported(f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"), wnp)


def dispatch_function(func, args, kwargs):
    ns = _namespace_for(getattr(func, "__module__", "numpy"))
    name = func.__name__
    fn = getattr(ns, name, None) if ns is not None else None
    if fn is None or fn is func:
        module = getattr(func, "__module__", "numpy")
        public = "numpy" if module.startswith("numpy._") or module == "numpy" else module
        raise _unsupported(f"{public}.{name}", ns)
    return fn(*args, **kwargs)
