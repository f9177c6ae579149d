"""Primitive implementations written once against an Array-API namespace ``xp``.

Each entry of :data:`XP_IMPLS` is ``(fn, function)``: ``fn(bk, *args, **params)`` computes the
primitive with ``bk.xp`` (``bk`` is the :class:`~wire.backends.Backend`, for loops that run
sub-graphs on it), and ``function`` names the namespace function it needs, for error messages.
Dask, CuPy and any other namespace (``array_api_strict``, array-api-compat's wrappers) share
this table; :mod:`wire.backends._dask` and :mod:`wire.backends._cupy` override a few entries.
The NumPy backend never reads it: it runs the primitives' own NumPy implementations.
"""

from __future__ import annotations

import numpy as np

from ...ops.shape import build_index

XP_IMPLS: dict[str, tuple] = {}


class MissingFunction(Exception):
    """A namespace lacks what a primitive needs; the evaluator turns it into a
    :class:`wire.errors.BackendError` naming the primitive, the backend and the function."""


def xp_impl(name: str, function: str):
    """Register ``fn(bk, *args, **params)`` as primitive ``name``'s namespace implementation."""

    def register(fn):
        XP_IMPLS[name] = (fn, function)
        return fn

    return register


# --------------------------------------------------------------------------- elementwise
# wire name -> Array-API name (the two agree for most; NumPy's spellings differ for a few)
# fmt: off
_ELEMENTWISE = {
    "abs": "abs", "add": "add", "and": "logical_and", "arccos": "acos", "arccosh": "acosh",
    "arcsin": "asin", "arcsinh": "asinh", "arctan": "atan", "arctan2": "atan2",
    "arctanh": "atanh", "ceil": "ceil", "conj": "conj", "cos": "cos", "cosh": "cosh",
    "div": "divide", "eq": "equal", "exp": "exp", "expm1": "expm1", "floor": "floor",
    "floor_divide": "floor_divide", "ge": "greater_equal", "gt": "greater", "imag": "imag",
    "isfinite": "isfinite", "isinf": "isinf", "isnan": "isnan", "le": "less_equal",
    "log": "log", "log10": "log10", "log1p": "log1p", "log2": "log2", "lt": "less",
    "matmul": "matmul", "maximum": "maximum", "minimum": "minimum", "mod": "remainder",
    "mul": "multiply", "ne": "not_equal", "neg": "negative", "not": "logical_not",
    "or": "logical_or", "pow": "pow", "real": "real", "round": "round", "sign": "sign",
    "sin": "sin", "sinh": "sinh", "sqrt": "sqrt", "sub": "subtract", "tan": "tan",
    "tanh": "tanh", "xor": "logical_xor",
}
# fmt: on


def _elementwise(fname):
    def fn(bk, *args):
        return getattr(bk.xp, fname)(*args)

    return fn


def _logical(fname):
    def fn(bk, *args):  # NumPy takes any dtype (nonzero is True); the Array API wants bools
        xp = bk.xp
        args = [a if bk.np_dtype(a) == np.bool_ else xp.astype(a, xp.bool) for a in args]
        return getattr(xp, fname)(*args)

    return fn


for _name, _fname in _ELEMENTWISE.items():
    make = _logical if _fname.startswith("logical_") else _elementwise
    xp_impl(_name, _fname)(make(_fname))


@xp_impl("exp2", "exp2 (or pow)")
def _exp2(bk, x):
    xp = bk.xp
    if hasattr(xp, "exp2"):
        return xp.exp2(x)
    return xp.pow(xp.asarray(2.0, dtype=x.dtype), x)


@xp_impl("integer_pow", "multiply / pow")
def _integer_pow(bk, x, *, y):
    xp = bk.xp
    if y == 2:
        return xp.multiply(x, x)
    if y < 0 and bk.np_dtype(x).kind not in "fc":
        x = xp.astype(x, bk.dtype(np.float64))
    return xp.pow(x, y)


@xp_impl("select", "where")
def _select(bk, c, x, y):
    return bk.xp.where(c, x, y)


@xp_impl("convert", "astype")
def _convert(bk, x, *, dtype):
    xp = bk.xp
    if bk.np_dtype(x).kind == "c" and np.dtype(dtype).kind != "c":
        x = xp.real(x)
    return xp.astype(x, bk.dtype(dtype))


@xp_impl("complex", "multiply / add")
def _complex(bk, re, im):
    xp = bk.xp
    dt = np.result_type(bk.np_dtype(re), bk.np_dtype(im), np.complex64)
    j = xp.asarray(1j, dtype=bk.dtype(dt))
    return xp.add(xp.astype(re, bk.dtype(dt)), xp.multiply(j, xp.astype(im, bk.dtype(dt))))


@xp_impl("stop_gradient", "(identity)")
def _identity(bk, x):
    return x


# --------------------------------------------------------------------------- reductions


def _reduction(fname):
    def fn(bk, x, *, axes):
        return getattr(bk.xp, fname)(x, axis=None if axes is None else tuple(axes))

    return fn


for _name, _fname in {"reduce_sum": "sum", "reduce_max": "max", "reduce_min": "min",
                      "reduce_prod": "prod"}.items():
    xp_impl(_name, _fname)(_reduction(_fname))


@xp_impl("argmax", "argmax")
def _argmax(bk, x, *, axis):
    return bk.xp.argmax(x, axis=axis)


@xp_impl("argmin", "argmin")
def _argmin(bk, x, *, axis):
    return bk.xp.argmin(x, axis=axis)


@xp_impl("cumsum", "cumulative_sum")
def _cumsum(bk, x, *, axis, reverse):
    xp = bk.xp
    if reverse:
        return xp.flip(xp.cumulative_sum(xp.flip(x, axis=axis), axis=axis, dtype=x.dtype), axis=axis)
    return xp.cumulative_sum(x, axis=axis, dtype=x.dtype)


@xp_impl("argsort", "argsort")
def _argsort(bk, x, *, axis, descending, stable):
    return bk.xp.argsort(x, axis=axis, descending=descending, stable=stable)


# --------------------------------------------------------------------------- shapes


@xp_impl("full", "full")
def _full(bk, *, shape, dtype, value):
    return bk.xp.full(tuple(shape), value, dtype=bk.dtype(dtype))


@xp_impl("full_like", "full_like")
def _full_like(bk, x, *, value):
    return bk.xp.full_like(x, value)


@xp_impl("reshape", "reshape")
def _reshape(bk, x, *, shape):
    return bk.xp.reshape(x, tuple(shape))


@xp_impl("transpose", "permute_dims")
def _transpose(bk, x, *, perm):
    return bk.xp.permute_dims(x, tuple(perm))


@xp_impl("swapaxes", "permute_dims")
def _swapaxes(bk, x, *, axis1, axis2):
    perm = list(range(x.ndim))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return bk.xp.permute_dims(x, tuple(perm))


@xp_impl("broadcast_to", "broadcast_to")
def _broadcast_to(bk, x, *, shape):
    return bk.xp.broadcast_to(x, tuple(shape))


@xp_impl("broadcast_like", "broadcast_to")
def _broadcast_like(bk, x, like):
    return bk.xp.broadcast_to(x, tuple(like.shape))


@xp_impl("sum_to_like", "sum / reshape")
def _sum_to_like(bk, x, like):
    shape = tuple(like.shape)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1
    )
    y = bk.xp.sum(x, axis=axes) if axes else x
    return bk.xp.reshape(y, shape)


@xp_impl("concatenate", "concat")
def _concatenate(bk, *xs, axis):
    dt = np.result_type(*[bk.np_dtype(x) for x in xs])
    xs = [x if bk.np_dtype(x) == dt else bk.xp.astype(x, bk.dtype(dt)) for x in xs]
    return bk.xp.concat(xs, axis=axis)


@xp_impl("proj", "(tuple item)")
def _proj(bk, t, *, index):
    return t[index]


@xp_impl("getitem", "__getitem__")
def _getitem(bk, x, *idx, spec):
    return x[build_index(spec, [bk.index(i) for i in idx])]


@xp_impl("scatter_add", "zeros / __setitem__ (index arrays: add.at)")
def _scatter_add(bk, ct, *idx, spec, shape):
    xp = bk.xp
    z = xp.zeros(tuple(shape), dtype=ct.dtype)
    index = build_index(spec, [bk.index(i) for i in idx])
    if any(e[0] == "a" for e in spec):
        add = getattr(xp, "add", None)
        if not hasattr(add, "at"):
            raise MissingFunction(f"{bk.name} has no add.at for repeated-index accumulation")
        add.at(z, index, ct)
    else:  # basic indexing selects each element at most once
        z[index] = ct
    return z


# --------------------------------------------------------------------------- linalg / fft


def _linalg(fname, sym=False, multi=False, **kw):
    def fn(bk, *args):
        xp = bk.xp
        if sym:
            a = args[0]
            args = (xp.divide(xp.add(a, xp.matrix_transpose(a)), 2),)
        out = getattr(xp.linalg, fname)(*args, **kw)
        return tuple(out) if multi else out

    return fn


# fmt: off
xp_impl("solve", "linalg.solve")(_linalg("solve"))
xp_impl("inv", "linalg.inv")(_linalg("inv"))
xp_impl("det", "linalg.det")(_linalg("det"))
xp_impl("slogdet", "linalg.slogdet")(_linalg("slogdet", multi=True))
xp_impl("cholesky", "linalg.cholesky")(_linalg("cholesky", sym=True))
xp_impl("eigh", "linalg.eigh")(_linalg("eigh", sym=True, multi=True))
xp_impl("svd", "linalg.svd")(_linalg("svd", multi=True, full_matrices=False))
xp_impl("qr", "linalg.qr")(_linalg("qr", multi=True, mode="reduced"))
# fmt: on


@xp_impl("fft", "fft.fftn / fft.ifftn")
def _fft(bk, x, *, axes, inverse):
    xp = bk.xp
    if bk.np_dtype(x).kind != "c":
        dt = np.result_type(bk.np_dtype(x), np.complex64)
        x = xp.astype(x, bk.dtype(dt))
    f = xp.fft.ifftn if inverse else xp.fft.fftn
    return f(x, axes=tuple(axes))


# --------------------------------------------------------------------------- control flow
# Loop and branch bodies are graphs: they run on the same backend, through its evaluator.


@xp_impl("cond", "(branch on a scalar)")
def _cond(bk, index, *ops, branches):
    i = int(np.clip(int(bk.scalar(index)), 0, len(branches) - 1))
    return tuple(bk.run(branches[i], ops))


@xp_impl("while", "(loop on a scalar predicate)")
def _while(bk, *args, cond, body, cond_nconsts, body_nconsts):
    cc, bc = list(args[:cond_nconsts]), list(args[cond_nconsts:cond_nconsts + body_nconsts])
    carry = list(args[cond_nconsts + body_nconsts:])
    while bool(bk.scalar(bk.run(cond, cc + carry)[0])):
        carry = list(bk.run(body, bc + carry))
    return tuple(carry)


@xp_impl("scan", "stack")
def _scan(bk, *args, body, length, reverse, num_consts, num_carry):
    consts = list(args[:num_consts])
    carry = list(args[num_consts:num_consts + num_carry])
    xs = list(args[num_consts + num_carry:])
    ys: list[list] = [[] for _ in body.outputs[num_carry:]]
    steps = range(length - 1, -1, -1) if reverse else range(length)
    for i in steps:
        outs = bk.run(body, consts + carry + [x[i, ...] for x in xs])
        carry = list(outs[:num_carry])
        for y, v in zip(ys, outs[num_carry:]):
            y.append(v)
    if reverse:
        ys = [y[::-1] for y in ys]
    stacked = []
    for y, a in zip(ys, body.out_avals[num_carry:]):
        stacked.append(bk.xp.stack(y) if y else bk.xp.zeros((0,) + a.shape, dtype=bk.dtype(a.dtype)))
    return tuple(carry) + tuple(stacked)


def _run_graph(bk, *args, graph, **_):
    return tuple(bk.run(graph, list(args)))


xp_impl("custom_jvp_call", "(sub-graph)")(_run_graph)
xp_impl("custom_vjp_call", "(sub-graph)")(_run_graph)
