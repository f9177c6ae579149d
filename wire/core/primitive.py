"""The ``Primitive`` record and the helpers that declare primitives in one place.

A primitive holds everything about one operation side by side: NumPy implementation,
shape/dtype rule, VJP rule, JVP rule, batching rule, flags, and a sampler of valid example
inputs used by the generic test over the registry. Rules receive and return ``Tracer``s and
are written with wire's own operations, so derivative graphs are graphs of primitives and can
be differentiated again.

Rule signatures (``*xs`` are the primal inputs, ``out`` the primal output, params keyword)::

    impl(*arrays, **params) -> array
    shape(*avals, **params) -> Aval            # raises ShapeError on bad input
    vjp(ct, out, *xs, **params) -> tuple        # one cotangent (or None = zero) per input
    vjp_parts: one rule (ct, out, *xs, **params) -> cotangent per input (optional)
    jvp(ts, out, *xs, **params) -> tangent      # ts: one tangent (or None = zero) per input
    batch(args, dims, **params) -> (out, out_dim)
        # vmap rule: args are the operands (tracers or arrays) with their batch axis at
        # dims[i] (None = not batched); returns the batched result and where its batch axis
        # is (a tuple of dims for multi-output primitives).

``vjp_parts`` splits ``vjp`` by input, for primitives whose inputs' cotangents are built
apart (``mul``: ``ct * y`` and ``ct * x``): the reverse-mode driver then builds only those of
the inputs that depend on what is differentiated (PyTorch's ``needs_input_grad``), not a
product for a constant operand that it would throw away. ``vjp`` stays the whole rule.

The reverse-mode driver, not the rules, sums fan-in, skips ``None`` and un-broadcasts
cotangents to their input's shape, so most rules are one line. A rule that cannot give an
input's cotangent returns :class:`NoCotangent` for it: the driver raises its error only if
that input depends on what is differentiated.

Facts for the later stages sit in the same record, so a primitive is declared in one place:

* ``emit`` — how the compiler writes it as code (a :class:`wire.core.lowering.Emitter`;
  ``None``: its ufunc, or a call of ``impl``);
* ``xp`` — its implementation against an Array-API namespace, for the Dask/CuPy/Array-API
  backends (a :class:`wire.core.lowering.XpImpl`);
* ``call_graph`` — for a primitive that only calls the sub-graph held in that param (with
  rules of its own attached, like ``custom_vjp_call``): the param's name, so the node can be
  replaced by the sub-graph once only its value matters (before compiling);
* ``simplify_pass`` — a ``Graph -> Graph`` pass ``wire.simplify`` runs on graphs holding
  this primitive (``scan`` merges and prunes loops this way);
* ``sympy`` — how ``wire.to_sympy`` writes it: a rule ``(sp, node, *operands) -> expression``
  or a :class:`wire.core.formula.NoFormula` with the reason it has none;
* ``taylor`` — how truncated Taylor series pass through it (``wire.jet``, ``wire.taylor``): a
  rule ``(series, out, *xs, **params) -> coefficients`` or one of the markers of
  :mod:`wire.core.taylor` (a ``nondiff`` primitive's series is zero unless it says otherwise).
* ``commutative`` — its result, signed zeros included, does not depend on the order of its
  two operands (real ones: complex operands keep theirs, see :mod:`wire.ir.keys`): graphs
  hold such nodes with their operands in one canonical order (``a*b`` and ``b*a`` are one
  node);
* ``constant`` — its value is its params' alone (``full``, whose ``value`` param is its one
  value): a constant operand, which that order puts last, and which the simplifier folds;
* ``identity`` — for a binary primitive, the value ``e`` with ``x op e == x`` bit for bit for
  every real float ``x`` (``mul``: 1; ``add``: -0.0, as ``-0.0 + 0.0`` is ``0.0``): a
  transform's rule applying it to ``e`` makes no node (a seed cotangent of ones times a
  partial derivative is the partial derivative).
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from ..errors import ShapeError
from ..ir import make_aval
from .lowering import Emitter, XpImpl
from .taylor import COEFFICIENTWISE, ZERO


class Primitive:
    """One operation and all its rules. Instances are immutable after construction."""

    __slots__ = (
        "name", "impl", "shape", "dtype", "vjp", "vjp_parts", "jvp", "batch",
        "linear", "nondiff", "sample", "doc", "emit", "xp", "call_graph", "simplify_pass",
        "sympy", "taylor", "commutative", "constant", "identity",
    )

    def __init__(
        self,
        name: str,
        impl: Callable,
        shape: Callable,
        *,
        vjp: Optional[Callable] = None,
        vjp_parts: Optional[tuple] = None,
        jvp: Optional[Callable] = None,
        batch: Optional[Callable] = None,
        dtype: Optional[Callable] = None,
        linear: bool = False,
        nondiff: bool = False,
        sample: Optional[Callable] = None,
        doc: str = "",
        emit=None,
        xp=None,
        call_graph: Optional[str] = None,
        simplify_pass: Optional[Callable] = None,
        sympy=None,
        taylor=None,
        commutative: bool = False,
        constant: bool = False,
        identity=None,
    ):
        sa = object.__setattr__
        sa(self, "name", name)
        sa(self, "impl", impl)
        sa(self, "shape", shape)
        sa(self, "dtype", dtype or default_dtype)
        sa(self, "vjp", vjp)
        sa(self, "vjp_parts", None if vjp_parts is None else tuple(vjp_parts))
        sa(self, "jvp", jvp)
        sa(self, "batch", batch)
        sa(self, "linear", linear)
        sa(self, "nondiff", nondiff)
        sa(self, "sample", sample)
        sa(self, "doc", doc)
        sa(self, "emit", emit)
        sa(self, "xp", xp)
        sa(self, "call_graph", call_graph)
        sa(self, "simplify_pass", simplify_pass)
        sa(self, "sympy", sympy)
        sa(self, "taylor", ZERO if taylor is None and nondiff else taylor)
        sa(self, "commutative", commutative)
        sa(self, "constant", constant)
        sa(self, "identity", identity)

    def __setattr__(self, name, value):
        raise AttributeError("primitives are immutable")

    def __repr__(self):
        return self.name



def default_dtype(*dtypes, **params):
    return np.result_type(*dtypes)


# --------------------------------------------------------------------------- shape helpers


def broadcast_shapes(*shapes, op="operation") -> tuple:
    """NumPy broadcasting of ``shapes``, raising ``ShapeError`` that names them all."""
    first = shapes[0]
    if all(s == first for s in shapes):
        return tuple(first)
    if len(shapes) == 2:  # an array with a scalar: the array's shape
        if first == ():
            return tuple(shapes[1])
        if shapes[1] == ():
            return tuple(first)
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        pretty = " and ".join(str(tuple(s)) for s in shapes)
        raise ShapeError(f"{op}: shapes {pretty} cannot be broadcast together") from None


def elementwise_shape(name, out_dtype=None):
    """Shape rule for elementwise ops: broadcast the inputs, promote (or fix) the dtype."""

    def rule(*avals, **params):
        first = avals[0]
        if first.shape is not None:
            for a in avals:
                if a is not first:
                    break
            else:  # one aval throughout (the common case): nothing to broadcast
                if out_dtype is None:
                    return first
                dt = out_dtype(first.dtype)
                return first if dt == first.dtype else make_aval(first.shape, dt)
            if out_dtype is None and len(avals) == 2:  # an array and a scalar of its dtype
                second = avals[1]
                if second.dtype is first.dtype and second.shape is not None:
                    if second.shape == ():
                        return first
                    if first.shape == ():
                        return second
        shape = broadcast_shapes(*[a.shape for a in avals], op=name)
        dtypes = [a.dtype for a in avals]
        if out_dtype:
            dt = out_dtype(*dtypes)
        elif all(d == dtypes[0] for d in dtypes):
            dt = dtypes[0]
        else:
            dt = np.result_type(*dtypes)
        return make_aval(shape, dt)

    return rule


def float_dtype(*dtypes, **params):
    """Output dtype of a floating-point function (ints promote to float64, as NumPy does)."""
    dt = dtypes[0] if len(dtypes) == 1 else np.result_type(*dtypes)
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def bool_dtype(*dtypes, **params):
    return np.dtype(np.bool_)


# --------------------------------------------------------------------------- samplers
# Samplers feed the generic registry test: sample(rng) -> (args, params).


def random_shapes(rng, n: int, max_rank: int = 3) -> list[tuple]:
    """``n`` mutually broadcastable shapes (some axes 1 or missing), for sampling."""
    rank = int(rng.integers(0, max_rank + 1))
    base = [int(rng.integers(1, 4)) for _ in range(rank)]
    shapes = []
    for _ in range(n):
        r = int(rng.integers(0, rank + 1))
        dims = base[rank - r:]
        shapes.append(tuple(1 if rng.random() < 0.25 else d for d in dims))
    return shapes


def uniform_in(lo, hi):
    """Domain sampler: values uniform in ``(lo, hi)``."""

    def draw(rng, shape):
        return rng.uniform(lo, hi, size=shape)

    return draw


def away_from_zero(lo, hi):
    """Domain sampler: magnitudes in ``(lo, hi)`` with random sign."""

    def draw(rng, shape):
        return rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)

    return draw


REALS = uniform_in(-2.0, 2.0)
POSITIVE = uniform_in(0.2, 3.0)
UNIT = uniform_in(-0.9, 0.9)
NONZERO = away_from_zero(0.3, 2.0)


def elementwise_sampler(domains):
    """Sampler for an elementwise primitive whose inputs follow ``domains`` (one per input)."""

    def sample(rng):
        shapes = random_shapes(rng, len(domains))
        return [d(rng, s) for d, s in zip(domains, shapes)], {}

    return sample


# --------------------------------------------------------------------------- projection

proj_p = Primitive(
    "proj",
    lambda t, *, index: t[index],
    lambda a, *, index: a[index],
    batch=lambda args, dims, *, index: (args[0][index], dims[0][index]),
    doc="the index-th output of a multi-output primitive (rules live in the drivers)",
    emit=Emitter(lambda ctx, node, args, out: f"{args[0]}[{node.params['index']!r}]", "view"),
    xp=XpImpl(lambda bk, t, *, index: t[index], "(tuple item)"),
    sympy=lambda sp, node, t: t[node.params["index"]],
    taylor=COEFFICIENTWISE,  # the driver picks the index-th output's series itself
)


class NoCotangent:
    """What a VJP rule returns for an input whose cotangent it cannot build (a
    ``while_loop``'s carry): the reverse-mode driver raises ``error`` if that input depends
    on what is differentiated, and ignores it otherwise.

    >>> NoCotangent(ValueError("no")).error
    ValueError('no')
    """

    __slots__ = ("error",)

    def __init__(self, error: Exception):
        self.error = error
