"""NumPy's dispatch protocols for tracers: ``np.sin(tracer)``, ``np.sum(tracer, axis=0)``,
``np.linalg.slogdet(tracer)`` and ``np.fft.fft(tracer)`` run the ``wire.numpy`` function of the
same name (``__array_function__``), ufuncs and their ``reduce``/``accumulate``/``outer``
methods run the matching ``wire.numpy`` function (``__array_ufunc__``). A NumPy function wire
does not have raises a ``WireError`` naming it and the closest supported name — never a
silent conversion of a tracer to an array.
"""

from __future__ import annotations

import difflib
import functools
import warnings

import numpy as np

from ..api import scan  # (the function, not its entry point wire.scan)
from ..core import Tracer
from ..errors import WireError, WireTypeError, at, user_location
from ..tracebacks import entry_point
from ._along_axis import accumulate
from ._names import _wire_error
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
    ("initial",): ("add", "multiply", "maximum", "minimum", "fmax", "fmin"),
    ("where",): ("add", "multiply", "logical_and", "logical_or"),
    ("where", "initial"): ("add", "multiply", "maximum", "minimum", "fmax", "fmin"),
}  # (the others with initial= or where=: NumPy's left fold, _fold_reduce)


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
    elif extras and method != "reduce":
        raise WireError(f"{label}(..., {', '.join(f'{k}=...' for k in extras)}) is not "
                        f"supported on traced values{at(user_location())}")
    casting = kwargs.pop("casting", None)
    kwargs.pop("order", None)
    kwargs.pop("subok", None)
    if method == "__call__":
        if dtype is not None or casting is not None or "signature" in kwargs:
            # wire.numpy's front takes them as NumPy does: dtype= is the output's, the
            # operands are cast to the loop NumPy picks for it (np.equal(i8, 3, dtype=bool)
            # compares integers), a cast the casting rule refuses raises
            fn = getattr(wnp, _UFUNC_ALIASES.get(name, name), fn)
            kwargs.update({k: v for k, v in (("dtype", dtype), ("casting", casting))
                           if v is not None})
        # the rest (a gufunc's axis=, keepdims= …) as NumPy's own parameters of the function,
        # which takes or refuses each (wire.numpy's functions take NumPy's parameters)
        return fn(*inputs, **kwargs)
    # NumPy's answer on stand-ins of the operands (its refusal, its result's dtype)
    want = _numpy_answer(ufunc, method, inputs, dict(kwargs, dtype=dtype, **(
        {} if method != "reduce" else {"where": where} if where is not True else {}),
        **({} if initial is None else {"initial": initial})), label)
    if method == "reduce":
        x = inputs[0]
        axis = kwargs.get("axis", 0)
        keepdims = kwargs.get("keepdims", False)
        if dtype is not None:
            x = wnp.asarray(x, dtype=dtype)
        if name in _REDUCERS and (not extras or name in _REDUCERS_TAKING.get(tuple(extras), ())):
            if name in ("add", "multiply"):  # in NumPy's dtype: sum and prod widen small ints
                extras["dtype"] = want.dtype  # and bool, np.add.reduce(x, dtype=int8) wraps
            return getattr(wnp, _REDUCERS[name])(x, axis=axis, keepdims=keepdims, **extras)
        if name == "logaddexp" and not extras and want.size and \
                _terms(x, axis) > _FOLD_AT_MOST:  # (fewer: NumPy's own fold, to the bit)
            return _logaddexp_reduce(wnp, x, axis, keepdims)
        return _fold_reduce(wnp, ufunc, fn, x, axis, keepdims, initial, where, want)
    if method == "accumulate":
        axis = kwargs.get("axis", 0)
        if name in ("add", "multiply", "maximum", "minimum"):
            return accumulate(name, inputs[0], axis, dtype)
        x = inputs[0] if dtype is None else wnp.asarray(inputs[0], dtype=dtype)
        return _fold_accumulate(wnp, ufunc, fn, x, axis, want)
    if method == "outer" and len(inputs) == 2:
        a, b = (wnp.asarray(v) for v in inputs)  # (NumPy's outer takes arrays)
        if dtype is not None:  # the loop NumPy selects for dtype (ldexp's exponent stays int)
            try:
                loop = ufunc.resolve_dtypes((a.dtype, b.dtype, None),
                                            signature=(None, None, np.dtype(dtype)))[:2]
            except (TypeError, ValueError):
                loop = (dtype, dtype)
            a, b = wnp.astype(a, loop[0]), wnp.astype(b, loop[1])
        out = fn(wnp.reshape(a, tuple(a.shape) + (1,) * b.ndim), b)
        if isinstance(want, tuple):  # divmod
            return tuple(wnp.astype(o, w.dtype) for o, w in zip(out, want))
        return wnp.astype(out, want.dtype)
    if method == "reduceat":
        return _reduceat(wnp, ufunc, inputs, kwargs, dtype, want)
    if method == "at":
        raise WireTypeError(f"{label}: traced arrays are immutable, so {label} cannot update "
                            f"one in place; use x.at[indices].add(v) (set/add/mul/min/max) or "
                            f"the ufunc on the selected entries{at(user_location())}")
    raise _unsupported(label, wnp, wnp)


# --------------------------------------------------------------------------- any ufunc's methods


def _terms(x, axis) -> int:
    """How many entries of ``x`` each result of a reduction over ``axis`` combines."""
    shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    axes = range(len(shape)) if axis is None else (
        axis if isinstance(axis, (tuple, list)) else (axis,))
    return int(np.prod([shape[int(a)] for a in axes], dtype=np.int64))


def _stand_in(v):
    """A concrete array of ``v``'s dtype and shape (ones, broadcast: no memory) for asking
    NumPy what it computes and what it refuses."""
    if isinstance(v, Tracer):
        if v.shape is None:
            raise WireError(f"a ufunc method on a value of unknown shape: give wire.var a "
                            f"shape{at(user_location())}")
        return np.broadcast_to(np.ones((), v.dtype), v.shape)
    if isinstance(v, (list, tuple)):
        return type(v)(_stand_in(e) for e in v)
    return v


def _numpy_answer(ufunc, method, inputs, kwargs, label):
    """NumPy's ``ufunc.method`` on stand-ins of the traced operands: its result (dtype and
    shape), or its refusal as a ``WireError`` (NumPy's message, the user's line)."""
    kwargs = {k: _stand_in(v) for k, v in kwargs.items()
              if v is not None or k not in ("dtype", "initial")}
    if method == "at":
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = getattr(ufunc, method)(*(_stand_in(v) for v in inputs), **kwargs)
            return tuple(map(np.asarray, out)) if isinstance(out, tuple) else np.asarray(out)
    except (ValueError, TypeError, IndexError, RuntimeError) as e:
        raise _wire_error(e, label) from e


_UNROLL_AT_MOST = 32  # longer folds are one wire.scan node
# float16 loops that reduce a row in float32 (add and multiply have reductions of their own)
_HALF_IN_SINGLE = (np.subtract, np.divide)


def _second_operand(ufunc, dt, own):
    """The dtype NumPy's loop takes each entry in, folding into a result of dtype ``dt``
    (``dt`` itself but for ``ldexp``, whose exponents stay integers)."""
    try:
        return np.dtype(ufunc.resolve_dtypes((dt, own, dt))[1])
    except (TypeError, ValueError):
        return dt


def _fold(wnp, fn, acc, ys, mask, out_dt, keep_all):
    """NumPy's left fold ``acc = fn(acc, y)`` over the leading axis of ``ys`` (where ``mask``,
    if given, holds), each step in ``out_dt``; ``keep_all``: every partial result, stacked."""

    def step(c, y, m=None):
        nxt = wnp.astype(fn(c, y), out_dt)
        return nxt if m is None else wnp.where(m, nxt, c)

    n = ys.shape[0]
    if n <= _UNROLL_AT_MOST:
        parts = []
        for i in range(n):
            acc = step(acc, ys[i], None if mask is None else mask[i])
            parts.append(acc)
        return wnp.stack(parts) if keep_all else acc
    xs = ys if mask is None else (ys, mask)
    body = (lambda c, y: (step(c, y),) * 2) if mask is None else (
        lambda c, ym: (step(c, *ym),) * 2)
    acc, partial = scan(body, acc, xs)
    return partial if keep_all else acc


def _fold_reduce(wnp, ufunc, fn, x, axis, keepdims, initial, where, want):
    """``ufunc.reduce`` of a ufunc without a reduction of its own: NumPy's left fold along
    the reduced axes (in C order), from the first entry, or from ``initial`` (the identity
    under ``where``)."""
    x = wnp.asarray(x)
    dt, x = want.dtype, wnp.astype(x, _second_operand(ufunc, want.dtype, x.dtype))
    axes = tuple(range(x.ndim)) if axis is None else tuple(
        int(a) % x.ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    kept = [i for i in range(x.ndim) if i not in axes]
    kept_shape = tuple(x.shape[i] for i in kept)
    n = int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    ys = wnp.reshape(wnp.transpose(x, list(axes) + kept), (n,) + kept_shape)
    mask = None
    if where is not True:
        mask = wnp.broadcast_to(wnp.asarray(where), x.shape)
        mask = wnp.reshape(wnp.transpose(mask, list(axes) + kept), (n,) + kept_shape)
    start = initial if initial is not None else ufunc.identity if (
        mask is not None or n == 0) else None
    if start is None:
        acc, ys = wnp.astype(ys[0], dt), ys[1:]
    else:
        acc = wnp.broadcast_to(wnp.asarray(start, dtype=dt), kept_shape)
    if dt == np.float16 and ufunc in _HALF_IN_SINGLE and mask is None and \
            axes == (x.ndim - 1,):  # NumPy's float16 loop along a row: float32, rounded once
        out = wnp.astype(_fold(wnp, fn, wnp.astype(acc, np.float32), wnp.astype(
            ys, np.float32), None, np.dtype(np.float32), keep_all=False), dt)
    else:
        out = _fold(wnp, fn, acc, ys, mask, dt, keep_all=False)
    if keepdims:
        out = wnp.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
    return wnp.astype(out, want.dtype)


def _fold_accumulate(wnp, ufunc, fn, x, axis, want):
    """``ufunc.accumulate``: every partial result of NumPy's left fold along ``axis``."""
    x = wnp.asarray(x)
    dt, x = want.dtype, wnp.astype(x, _second_operand(ufunc, want.dtype, x.dtype))
    ax = int(axis) % x.ndim
    ys = wnp.moveaxis(x, ax, 0)
    first = wnp.astype(ys[:1], dt)
    if ys.shape[0] <= 1:
        return wnp.moveaxis(first, 0, ax)
    rest = _fold(wnp, fn, first[0], ys[1:], None, dt, keep_all=True)
    out = wnp.concatenate([first, rest])
    return wnp.astype(wnp.moveaxis(out, 0, ax), want.dtype)


def _reduceat(wnp, ufunc, inputs, kwargs, dtype, want):
    """``ufunc.reduceat(a, indices, axis)``: the reduction of ``a[i:j]`` for each pair of
    consecutive indices (``a[i]`` where ``j <= i``; the last runs to the end)."""
    a, indices = (list(inputs) + [kwargs.get("indices")])[:2]
    axis = kwargs.get("axis", 0)
    if isinstance(indices, Tracer):
        raise WireTypeError(f"numpy.{ufunc.__name__}.reduceat with traced indices: the "
                            f"segments must be known while tracing{at(user_location())}")
    a = wnp.asarray(a if dtype is None else wnp.asarray(a, dtype=dtype))
    ax = int(axis) % a.ndim
    idx = [int(i) for i in np.asarray(indices).ravel()]
    n = a.shape[ax]
    parts = []
    for k, i in enumerate(idx):
        j = idx[k + 1] if k + 1 < len(idx) else n
        seg = a[(slice(None),) * ax + (slice(i, j if i < j else i + 1),)]
        if j - i >= 2 and ufunc is np.add and a.dtype.kind in "fc":  # NumPy's: first + rest
            first, rest = (seg[(slice(None),) * ax + (part,)]
                           for part in (slice(0, 1), slice(1, None)))
            wide = np.float32 if first.dtype == np.float16 else first.dtype  # (float16's loop)
            seg = wnp.astype(wnp.astype(first, wide) + wnp.sum(
                rest, axis=ax, keepdims=True, dtype=wide), first.dtype)
        elif i < j:
            seg = dispatch_ufunc(wnp, ufunc, "reduce", (seg,), {"axis": ax, "keepdims": True})
        parts.append(seg)
    return wnp.astype(wnp.concatenate(parts, axis=ax), want.dtype)


def ufunc_methods(namespace: dict, wnp) -> None:
    """Give every binary ufunc of ``namespace`` (``wire.numpy.add`` …) NumPy's methods
    ``reduce``, ``accumulate``, ``outer``, ``at`` and ``reduceat``: NumPy's own on concrete
    operands, else what ``numpy.<ufunc>.<method>`` on a tracer computes (with ``wnp``)."""
    for name, fn in list(namespace.items()):
        ufunc = getattr(np, name, None)
        if not isinstance(ufunc, np.ufunc) or ufunc.nin != 2 or not callable(fn) \
                or isinstance(fn, np.ufunc) or hasattr(fn, "reduce"):
            continue
        for method in ("reduce", "accumulate", "outer", "at", "reduceat"):
            setattr(fn, method, _method(ufunc, method, wnp))


def _method(ufunc, method, wnp):
    np_method = getattr(ufunc, method)

    @functools.wraps(np_method)
    def call(*args, **kwargs):
        if any(isinstance(v, Tracer) for v in args):
            # NumPy normalizes the arguments (positional axis, dtype …) and hands them to the
            # tracer's __array_ufunc__; what it refuses first (divmod.reduce) is a WireError
            try:
                return np_method(*args, **kwargs)
            except (ValueError, TypeError, IndexError, RuntimeError) as e:
                if isinstance(e, WireError):
                    raise
                raise _wire_error(e, f"numpy.{ufunc.__name__}.{method}") from e
        if _holds_tracer(args) or _holds_tracer(tuple(kwargs.values())):  # a list, a mask
            return dispatch_ufunc(wnp, ufunc, method, args, kwargs)
        if method in ("reduce", "reduceat") and args and \
                _folds_wrongly(ufunc, np.asarray(args[0]).dtype):
            return (_left_fold if method == "reduce" else _left_fold_at)(ufunc, *args, **kwargs)
        return np_method(*args, **kwargs)

    call.__name__, call.__qualname__ = method, f"{ufunc.__name__}.{method}"
    call.__doc__ = (f"NumPy's ``numpy.{ufunc.__name__}.{method}``: NumPy's own on concrete "
                    f"operands, a graph on traced ones (what ``numpy.{ufunc.__name__}."
                    f"{method}`` of a tracer computes).")
    return entry_point(call)


@functools.lru_cache(maxsize=None)
def _folds_wrongly(ufunc, dtype) -> bool:
    """Whether NumPy's ``ufunc.reduce`` in ``dtype`` is not its left fold here: NumPy 2.4's
    SIMD loops of float ``power`` and ``arctan2`` reduce to ``f(first, last)``
    (``np.power.reduce([2.0, 3.0, 2.0])`` is 4.0, not 64.0), on some machines."""
    if dtype.kind not in "fc" or dtype == np.float16 or ufunc.nin != 2 or ufunc.nout != 1:
        return False  # (float16: NumPy's own row loops reduce in float32, _HALF_IN_SINGLE)
    x = np.array([2.0, 3.0, 2.0, 1.5, 1.25] * 4, dtype)[:17]
    want = x[0]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            got = ufunc.reduce(x)
            for v in x[1:]:
                want = ufunc(want, v)
        except (TypeError, ValueError, RuntimeError):  # (no reduction: NumPy's refusal)
            return False
    return not np.array_equal(got, want, equal_nan=True)


def _left_fold(ufunc, a, axis=0, dtype=None, out=None, keepdims=False, initial=np._NoValue,
               where=True):
    """``ufunc.reduce`` of a concrete array as NumPy defines it, one ``ufunc`` call per
    entry along ``axis`` (where :func:`_folds_wrongly`)."""
    a = np.asarray(a)
    want = ufunc.reduce(a, axis=axis, dtype=dtype, keepdims=keepdims, initial=initial,
                        where=where)  # (NumPy's refusals, dtype and shape)
    if a.ndim == 0 or isinstance(axis, tuple) and len(axis) != 1:
        return want if out is None else ufunc.reduce(a, axis, dtype, out, keepdims, initial,
                                                      where)
    ax = 0 if axis is None else int(axis[0] if isinstance(axis, tuple) else axis) % a.ndim
    rows = np.moveaxis(a.reshape(-1) if axis is None else a, 0 if axis is None else ax, 0)
    mask = np.moveaxis(np.broadcast_to(where, a.shape).reshape(-1) if axis is None else
                       np.broadcast_to(where, a.shape), 0 if axis is None else ax, 0)
    dt = np.asarray(want).dtype
    if initial is np._NoValue and where is not True:  # (NumPy refused it without identity)
        initial = ufunc.identity
    acc = None if initial is np._NoValue else np.full(rows.shape[1:], initial, dt)
    for row, m in zip(rows, mask):
        row = np.asarray(row, dt)  # (0-d arrays, not scalars, for out=)
        acc = np.array(row) if acc is None else ufunc(acc, row, out=np.array(acc), where=m,
                                                      dtype=dt)
    result = np.asarray(want).copy() if acc is None else acc
    if keepdims:
        result = np.reshape(result, np.shape(want))
    if out is not None:
        out[...] = result
        return out
    return result[()] if np.ndim(result) == 0 and np.ndim(want) == 0 else result


def _left_fold_at(ufunc, a, indices, axis=0, dtype=None, out=None):
    """``ufunc.reduceat`` of a concrete array as NumPy defines it, each slice by
    :func:`_left_fold` (where :func:`_folds_wrongly`)."""
    a = np.asarray(a)
    want = ufunc.reduceat(a, indices, axis=axis, dtype=dtype)  # (NumPy's refusals, dtype)
    ax, idx = int(axis) % a.ndim, [int(i) for i in np.asarray(indices).ravel()]
    parts = []
    for k, i in enumerate(idx):
        j = idx[k + 1] if k + 1 < len(idx) else a.shape[ax]
        seg = np.take(a, np.arange(i, j) if i < j else [i], axis=ax)
        parts.append(np.expand_dims(_left_fold(ufunc, seg, axis=ax, dtype=want.dtype), ax))
    result = np.concatenate(parts, axis=ax).astype(want.dtype, copy=False)
    if out is not None:
        out[...] = result
        return out
    return result


def _holds_tracer(xs) -> bool:
    return any(isinstance(v, Tracer) or isinstance(v, (list, tuple)) and _holds_tracer(v)
               for v in xs)


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
