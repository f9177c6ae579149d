"""What a primitive declares for the stages that run graphs: how the compiler writes it as code
(:class:`Emitter`, the ``emit`` field) and how it runs on an Array-API namespace
(:class:`XpImpl`, the ``xp`` field), with the small helpers declarations use.

An emitter's ``expr(ctx, node, args, out)`` returns a Python expression computing ``node``
from the argument expressions ``args``; ``ctx`` is the compiler's naming context
(``ctx.bind_numpy(fn)`` names a NumPy function, ``ctx.bind_impl(node)`` the primitive's own
implementation with its params bound, ``ctx.is_array(node)`` tells whether a value is known to
be an ndarray, ``ctx.as_float(expr)`` reads a NumPy scalar back as a Python float). An ``XpImpl``'s ``fn(bk, *args, **params)`` computes the primitive with
``bk.xp`` (``bk`` is the backend, for loops that run sub-graphs on it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class Emitter(NamedTuple):
    """How one primitive becomes code.

    ``kind`` tells the buffer analysis what the result is: ``"fresh"`` (a new writable array of
    the node's shape when it has rank >= 1), ``"view"`` (may share memory with its first
    input) or ``"opaque"`` (may share memory with any input). ``inplace``: ``expr`` may write
    into the dead buffer ``out``. The optional facts let the compiler fold work away:

    * ``matrix_transpose(node)`` — the node is the plain ``.T`` of a 2-D array, which a
      consumer that ``reads_transposes`` (``matmul``: BLAS takes transposed operands) reads
      directly, so the transpose is never emitted;
    * ``broadcast_scalar(node)`` — the 0-d value the node repeats (``full``): compiled as a
      read-only broadcast view of that scalar, which costs no memory;
    * ``scalar(ctx, node, args)`` — the node on Python floats (``args`` name floats), giving
      a float with exactly the bits NumPy's float64 result has; a graph of float64 scalars
      whose every node has one compiles to float arithmetic (``None``: it has none).

    ``writes_out``: ``expr`` may write the result into ``out``, a buffer of the node's aval
    that no operand shares (a scratch arena's, :mod:`wire.runtime.arena`), giving the same
    bits as a fresh result (``inplace`` emitters may too).
    """

    expr: Callable
    kind: str = "opaque"
    inplace: bool = False
    matrix_transpose: Callable | None = None
    reads_transposes: bool = False
    broadcast_scalar: Callable | None = None
    scalar: Callable | None = None
    writes_out: bool = False


def call_expr(fn: str, args, out=None, **kw) -> str:
    """``fn(a, b, k=v, out=o)`` as source text.

    >>> call_expr("np.add", ["a", "b"], out="c")
    'np.add(a, b, out=c)'
    """
    parts = list(args) + [f"{k}={v}" for k, v in kw.items()]
    if out is not None:
        parts.append(f"out={out}")
    return f"{fn}({', '.join(parts)})"


def ufunc_call_expr(fn: str, args, out=None) -> str:
    """``fn(a, b, o)``: a one-output ufunc with its output buffer ``out`` passed positionally,
    which NumPy parses faster than ``out=o`` (about 0.1 µs a call) and Python's ``compile()``
    reads faster too.

    >>> ufunc_call_expr("np.add", ["a", "b"], out="c")
    'np.add(a, b, c)'
    """
    return f"{fn}({', '.join(args if out is None else [*args, out])})"


def rank(node) -> int | None:
    """Rank of ``node``'s value (None: unknown, or a multi-output node)."""
    a = node.aval
    return None if isinstance(a, tuple) or a.shape is None else len(a.shape)


# NumPy 2.4 deprecates a positional output for these two (it plans n-ary forms)
_OUT_BY_KEYWORD = frozenset({np.maximum, np.minimum})


def _ufunc_expr(ctx, node, args, out):
    fn = node.op.impl
    if fn.nout == 1 and fn not in _OUT_BY_KEYWORD:
        return ufunc_call_expr(ctx.bind_numpy(fn), args, out)
    return call_expr(ctx.bind_numpy(fn), args, out)


# IEEE 754 rounds these exactly as NumPy's float64 loops do (a division by zero raises in
# Python: the compiled function then runs its NumPy code instead)
_PY_OPERATORS = {np.add: "{} + {}", np.subtract: "{} - {}", np.multiply: "{} * {}",
                 np.true_divide: "{} / {}", np.negative: "-{}"}


def ufunc_scalar_expr(ctx, node, args):
    """A ufunc on floats: Python's operator for exactly rounded arithmetic, else the ufunc
    itself (its float64 loop, so the same bits) read back as a float."""
    fn = node.op.impl
    op = _PY_OPERATORS.get(fn)
    if op is not None:
        return op.format(*args)
    return ctx.as_float(call_expr(ctx.bind_numpy(fn), args))


def impl_call_expr(ctx, node, args, out):
    """Any primitive: a call of its ``impl`` with the params bound."""
    return call_expr(ctx.bind_impl(node), args)


UFUNC = Emitter(_ufunc_expr, "fresh", True, scalar=ufunc_scalar_expr)  # impl is a ufunc
IMPL_CALL = Emitter(impl_call_expr, "opaque")  # any other primitive without an emitter
VIEW_OF_INPUT = Emitter(lambda ctx, node, args, out: args[0], "view")  # the identity


# --------------------------------------------------------------------------- Array API


class XpImpl(NamedTuple):
    """``fn(bk, *args, **params)`` computing a primitive with ``bk.xp``; ``function`` names
    what it needs from the namespace, for error messages."""

    fn: Callable
    function: str


def host_arrays(args) -> list:
    """``args`` (arrays of an Array-API backend) as NumPy arrays on the host, for primitives
    that compute with NumPy or SciPy whatever the backend: CuPy's ``get``, torch's
    ``detach().cpu().numpy()``, else ``np.asarray``.

    >>> host_arrays([np.ones(2), 3.0])[1]
    array(3.)
    """
    host = []
    for a in args:
        if hasattr(a, "get") and not isinstance(a, np.ndarray):  # CuPy
            a = a.get()
        elif hasattr(a, "detach"):  # torch
            a = a.detach().cpu().numpy()
        host.append(np.asarray(a))
    return host


class MissingFunction(Exception):
    """A namespace lacks what a primitive needs; the evaluator turns it into a
    :class:`wire.errors.BackendError` naming the primitive, the backend and the function."""


def xp_function(fname: str) -> XpImpl:
    """The namespace function ``fname`` applied to the operands (``xp.sin(x)``).

    >>> import numpy as np, types
    >>> xp_function("sin").fn(types.SimpleNamespace(xp=np), 0.0)
    np.float64(0.0)
    """

    def fn(bk, *args):
        return getattr(bk.xp, fname)(*args)

    return XpImpl(fn, fname)


def xp_logical(fname: str) -> XpImpl:
    """A logical namespace function; NumPy takes any dtype (nonzero is True), the Array API
    wants bools, so operands are converted first."""

    def fn(bk, *args):
        xp = bk.xp
        args = [a if bk.np_dtype(a) == np.bool_ else xp.astype(a, xp.bool) for a in args]
        return getattr(xp, fname)(*args)

    return XpImpl(fn, fname)


def xp_run_graph(param: str) -> XpImpl:
    """Run the sub-graph held in param ``param`` on the backend (sub-graph calls)."""

    def fn(bk, *args, **params):
        return tuple(bk.run(params[param], list(args)))

    return XpImpl(fn, "(sub-graph)")
