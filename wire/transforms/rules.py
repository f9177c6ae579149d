"""Algebraic rewrite rules for :func:`wire.simplify`, as tables keyed by the ``Primitive``.

A rule is ``fn(node, rw) -> Node | None``: ``node``'s inputs are already simplified, ``rw`` is
the :class:`~wire.transforms.simplify.Rewriter` (``rw.make`` builds and simplifies new nodes).
A rule returns the replacement — always with ``node``'s exact aval, re-broadcast or re-cast
when needed (:func:`fit`) — or ``None``. The key :data:`EVERY` holds rules tried on every node.

Tables:

* :data:`FOLD` — constant folding.
* :data:`CANONICAL` — operand order of commutative primitives.
* :data:`ALGEBRA` — the default set: the two above plus identities that hold for every input,
  NaN, inf and the sign of zero included (``x * 1``, ``x + (-0.0)``, ``x - 0.0``, ``--x``,
  reshape/transpose/broadcast chains …). ``x + 0.0 -> x`` is *not* one of them: it turns
  ``-0.0 + 0.0 = 0.0`` into ``-0.0`` (likewise ``0.0 - x -> -x`` and ``-(x - y) -> y - x``),
  so for floats those rewrites only fire where the sign of a zero cannot change. Complex
  values keep ``z * 1``, ``z / 1`` and ``(-z) * w`` (NumPy's complex product has cross terms),
  and a sum of ``n`` copies of a value becomes ``value * n`` only where that is NumPy's sum to
  the bit (``n <= 3``, or a constant whose multiples are exact).
* :data:`UNSAFE` — opt-in rules that change NaN/inf results: ``x * 0 -> 0`` is wrong for
  ``x = inf`` or ``nan`` (``inf * 0 = nan``), ``x - x -> 0`` and ``x / x -> 1`` likewise.
  ``ALGEBRA`` applies ``x * 0 -> 0`` only when ``x`` is a finite constant. It also holds the
  :data:`COLLECT` pass (below).
* :data:`DERIVATIVES` — what the transforms simplify their derivative graphs with:
  ``ALGEBRA``, any sum of copies as one product (:func:`reduce_sum_copies`) and ``COLLECT``.
* :data:`COLLECT` — not a rule but a key asking :func:`wire.simplify` to collect like terms
  of sums and products (:mod:`wire.transforms.polynomial`). That re-associates arithmetic: it
  keeps accuracy at the tails (sums with a constant term, cancellation sites like
  ``1 + erf(x)``, are kept as written) but may change rounding where other terms nearly
  cancel, the sign of an exactly-zero result, and a NaN into an infinity where an infinite
  value is factored out (``b - b*t`` as ``b*(1 - t)``). So it is opt-in for graphs users
  trace (``jit`` does not use it); the transforms use :data:`DERIVATIVES` on the derivative
  graphs they build, where it is what keeps higher derivatives small.
"""

from __future__ import annotations

import numpy as np

from ..ir import Aval, Node, all_same, const_node, const_op, make_node
from ..ir.keys import constant_scalar
from ..ops import elementwise as ew
from ..ops import reductions as red
from ..ops import shape as sh
from ..core.primitive import Primitive

EVERY = "*"  # the key of rules tried on every node (no primitive is named "*")
COLLECT = "collect_terms"  # a table key: simplify also collects terms (see the docstring)
ELEMENTWISE = frozenset(v for v in vars(ew).values() if isinstance(v, Primitive))
# the primitives declared commutative (add, mul, eq, ne, and, or, xor). Not maximum/minimum:
# at a tie of -0.0 and 0.0 NumPy returns one operand by its place, the second in float32/64
# and the first in float16, so swapping them changes the zero's sign
COMMUTATIVE = tuple(v for v in vars(ew).values() if isinstance(v, Primitive) and v.commutative)
FOLD_MAX_SIZE = 1 << 12  # larger non-uniform results are not materialised as constants


# --------------------------------------------------------------------------- helpers


def param(n: Node, name: str):
    """``n.params[name]`` read from the node's sorted items (a pmap lookup costs more, and
    rules ask for constants' values at every node)."""
    for k, v in n._items:
        if k == name:
            return v
    raise KeyError(name)


# the single value of a constant node whose entries are all equal, else None (the one
# definition, which wire.core's bind also reads)
uniform = constant_scalar


def is_const(n: Node) -> bool:
    op = n.op
    return op is const_op or op is sh.full_p


def is_value(n: Node, v) -> bool:
    u = uniform(n)
    return u is not None and not isinstance(u, bool) and u == v


def is_signed_zero(n: Node, negative: bool) -> bool:
    """``n`` is uniformly ``-0.0`` (``negative``) or ``+0.0``; integer zeros count as both
    (they have no sign, so either identity holds for them). A complex zero must have that
    sign in both parts (``x + complex(-0.0, 0.0)`` turns an imaginary ``-0.0`` into ``0.0``)."""
    u = uniform(n)
    if u is None or isinstance(u, bool) or u != 0:
        return False
    if isinstance(u, complex):
        return bool(np.signbit(u.real)) == negative == bool(np.signbit(u.imag))
    if not isinstance(u, float):
        return True
    return bool(np.signbit(u)) == negative


def _signless(node: Node) -> bool:
    """``node``'s dtype has no signed zeros (integers, booleans)."""
    return node.aval.dtype.kind not in "fc"


def _complex(node: Node) -> bool:
    """NumPy multiplies and divides complex numbers by the textbook formulas, whose cross
    terms (``b * 0``, ``0 - 0``) can make a NaN of an infinity and ``0.0`` of ``-0.0``: so
    ``z * 1``, ``z / 1`` and ``(-z) * w`` are not ``z``, ``z`` and ``-(z * w)`` bit for bit."""
    return node.aval.dtype.kind == "c"


def constant(value, aval: Aval, loc=None) -> Node:
    """A node holding ``value`` everywhere: a ``const`` leaf for scalars, else ``full``."""
    if aval.shape == ():
        return const_node(np.asarray(value, dtype=aval.dtype), loc)
    value = aval.dtype.type(value).item()
    params = {"shape": aval.shape, "dtype": aval.dtype, "value": value}  # pmap if new
    return make_node(sh.full_p, (), params, aval, loc)


def array_constant(a: np.ndarray, aval: Aval, loc=None):
    """A node for the concrete array ``a`` (uniform -> ``full``/scalar const), or None if big."""
    a = np.asarray(a)
    if a.shape != aval.shape:
        return None
    if a.dtype != aval.dtype:
        a = a.astype(aval.dtype)
    if a.size and all_same(a):
        return constant(a.flat[0].item(), aval, loc)
    if a.size > FOLD_MAX_SIZE:
        return None
    return const_node(a, loc)


def concrete(n: Node):
    """The array value of a constant node, or None (full nodes bigger than FOLD_MAX_SIZE)."""
    if n.op is const_op:
        return n.params["value"].array
    if n.aval.size <= FOLD_MAX_SIZE:
        return np.full(n.aval.shape, n.params["value"], dtype=n.aval.dtype)
    return None


def fit(x: Node, aval: Aval, rw) -> Node | None:
    """``x`` cast and broadcast to ``aval`` (None when shapes are unknown and differ)."""
    if x.aval == aval:
        return x
    if x.aval.shape is None or aval.shape is None:
        return None
    if x.aval.dtype != aval.dtype:
        x = rw.make(ew.convert_p, (x,), dtype=aval.dtype)
    if x.aval.shape != aval.shape:
        x = rw.make(sh.broadcast_to_p, (x,), shape=aval.shape)
    return x


def _same_shape(*nodes) -> bool:
    s = nodes[0].aval.shape
    return s is not None and all(n.aval.shape == s for n in nodes)


# --------------------------------------------------------------------------- folding


def fold_constant(node: Node, rw):
    """A node whose inputs are all constants is replaced by its value."""
    op = node.op
    if op is sh.full_p:
        if node.aval.shape == ():
            return constant(node.params["value"], node.aval, node.loc)
        return None
    ins = node.inputs
    if not ins or isinstance(node.aval, tuple) or node.aval.shape is None:
        return None
    for i in ins:  # (is_const, inline: this runs at every node)
        if i.op is not const_op and i.op is not sh.full_p:
            return None
    with np.errstate(all="ignore"):
        try:
            if op in ELEMENTWISE:
                vals = [uniform(i) for i in ins]
                if all(v is not None for v in vals):
                    args = [_uniform_operand(v, i, node) for v, i in zip(vals, ins)]
                    out = np.asarray(op.impl(*args, **node.params))
                    return constant(out.astype(node.aval.dtype).item(), node.aval, node.loc)
            if node.aval.size > FOLD_MAX_SIZE:
                return None
            args = [concrete(i) for i in ins]
            if any(a is None for a in args):
                return None
            return array_constant(op.impl(*args, **node.params), node.aval, node.loc)
        except Exception:  # noqa: BLE001 - a primitive that cannot run on these constants: leave it
            return None


def _uniform_operand(v, operand: Node, node: Node) -> np.ndarray:
    """The uniform value ``v`` of ``operand`` as NumPy's loop would see it: a 0-d array (a
    stride of 0) where the operand is broadcast against the result, one element of a
    contiguous array where it has the result's shape. NumPy's ``power`` loop takes ``sqrt``
    for an exponent of 0.5 given with stride 0 (``(-inf) ** 0.5`` is then NaN, not inf)."""
    shape = operand.aval.shape
    if shape == () or shape != node.aval.shape:
        return np.asarray(v, dtype=operand.aval.dtype)
    return np.full(1, v, dtype=operand.aval.dtype)


# --------------------------------------------------------------------------- canonical order


def sort_operands(node: Node, rw):
    """Commutative operands in a canonical order, so ``a*b`` and ``b*a`` are one node
    (the primitives in :data:`COMMUTATIVE`: those whose result, signed zeros included, does
    not depend on the operands' order; complex ones keep theirs, as NumPy's complex product
    rounds through an asymmetric fused multiply-add). A constant (``const``, ``full``) goes
    last, as traced code mostly writes it (``x * 2.0``: such nodes are already in order, and
    a rewrite need not rebuild them and everything after them); otherwise the operand of
    smaller structural key goes first."""
    x, y = node.inputs
    if x is not y and x.aval.dtype.kind != "c" and y.aval.dtype.kind != "c":
        cx = x.op in _CONSTANTS
        if (rw.skey(y) < rw.skey(x)) if cx is (y.op in _CONSTANTS) else cx:
            return rw.remake(node, (y, x))
    return None


# --------------------------------------------------------------------------- arithmetic


def add_zero(node, rw):
    """``x + (-0.0) -> x`` (exact for every x); ``x + 0.0`` is not ``x`` for ``x = -0.0``."""
    x, y = node.inputs
    if is_signed_zero(y, True):
        return fit(x, node.aval, rw)
    if is_signed_zero(x, True):
        return fit(y, node.aval, rw)
    return None


def add_neg(node, rw):
    """``x + (-y) -> x - y`` and ``(-x) + y -> y - x``."""
    x, y = node.inputs
    if y.op is ew.neg_p:
        return rw.make(ew.sub_p, (x, y.inputs[0]), node.loc)
    if x.op is ew.neg_p:
        return rw.make(ew.sub_p, (y, x.inputs[0]), node.loc)
    return None


def sub_zero(node, rw):
    """``x - 0.0 -> x`` and ``-0.0 - y -> -y`` (exact, signed zeros included)."""
    x, y = node.inputs
    if is_signed_zero(y, False):
        return fit(x, node.aval, rw)
    if is_signed_zero(x, True):
        return fit(rw.make(ew.neg_p, (y,), node.loc), node.aval, rw)
    return None


def sub_neg(node, rw):
    """``x - (-y) -> x + y``; for integers also ``(-x) - y -> -(x + y)`` (for floats that
    turns the ``+0.0`` of ``(-x) - x`` into ``-0.0``)."""
    x, y = node.inputs
    if y.op is ew.neg_p:
        return rw.make(ew.add_p, (x, y.inputs[0]), node.loc)
    if x.op is ew.neg_p and _signless(node):
        return rw.make(ew.neg_p, (rw.make(ew.add_p, (x.inputs[0], y), node.loc),), node.loc)
    return None


def mul_one(node, rw):
    """``x * 1 -> x`` and ``x * -1 -> -x`` (not for complex values: see :func:`_complex`)."""
    x, y = node.inputs
    if _complex(node):
        return None
    for a, b in ((x, y), (y, x)):
        if b.op is not const_op and b.op is not sh.full_p:  # (not a constant: no uniform)
            continue
        u = uniform(b)
        if u is None or isinstance(u, bool):
            continue
        if u == 1:
            return fit(a, node.aval, rw)
        if u == -1:
            return fit(rw.make(ew.neg_p, (a,), node.loc), node.aval, rw)
    return None


def negations_up(node, rw):
    """For ``*`` and ``/``: ``(-x) op (-y) -> x op y``; ``(-x) op y -> -(x op y)`` (negations
    float to the top, where ``neg_neg`` and ``sub_neg`` can cancel them); not for complex
    values (see :func:`_complex`)."""
    x, y = node.inputs
    if _complex(node):
        return None
    xn, yn = x.op is ew.neg_p, y.op is ew.neg_p
    if not (xn or yn):
        return None
    a = x.inputs[0] if xn else x
    b = y.inputs[0] if yn else y
    inner = rw.make(node.op, (a, b), node.loc)
    return inner if xn and yn else rw.make(ew.neg_p, (inner,), node.loc)


def div_one(node, rw):
    """``x / 1 -> x`` and ``x / -1 -> -x`` (not for complex values: see :func:`_complex`)."""
    x, y = node.inputs
    if _complex(node):
        return None
    if is_value(y, 1):
        return fit(x, node.aval, rw)
    if is_value(y, -1):
        return fit(rw.make(ew.neg_p, (x,), node.loc), node.aval, rw)
    return None


def neg_neg(node, rw):
    """``--x -> x``; for integers also ``-(x - y) -> y - x`` (for floats ``-(x - x)`` is
    ``-0.0`` but ``x - x`` is ``+0.0``)."""
    (x,) = node.inputs
    if x.op is ew.neg_p:
        return fit(x.inputs[0], node.aval, rw)
    if x.op is ew.sub_p and _signless(node):
        return rw.make(ew.sub_p, (x.inputs[1], x.inputs[0]), node.loc)
    return None


def integer_pow_trivial(node, rw):
    """``x ** 1 -> x`` (not for complex values, which NumPy raises to a power by complex
    arithmetic), ``x ** 0 -> ones``."""
    y = node.params["y"]
    (x,) = node.inputs
    if y == 1 and not _complex(node):
        return fit(x, node.aval, rw)
    if y == 0 and node.aval.shape is not None:
        return constant(1, node.aval, node.loc)
    return None


def mul_zero_finite(node, rw):
    """``x * 0 -> 0`` when ``x`` is a finite constant (no NaN/inf to lose), with the sign
    the product has (``-2 * 0.0 = -0.0``)."""
    x, y = node.inputs
    if not (is_const(x) and is_const(y)):  # (both must be: the usual case ends here)
        return None
    for a, b in ((x, y), (y, x)):
        if is_value(b, 0) and is_const(a) and node.aval.shape is not None:
            va = concrete(a)
            if va is not None and np.isfinite(va).all():
                with np.errstate(all="ignore"):
                    out = np.multiply(va, np.asarray(uniform(b), dtype=b.aval.dtype))
                out = np.broadcast_to(out.astype(node.aval.dtype), node.aval.shape)
                return array_constant(out, node.aval, node.loc)
    return None


# --------------------------------------------------------------------------- NaN-changing


def mul_zero(node, rw):
    """UNSAFE: ``x * 0 -> 0`` for any ``x`` (wrong when ``x`` is inf or nan)."""
    x, y = node.inputs
    if (is_value(x, 0) or is_value(y, 0)) and node.aval.shape is not None:
        return constant(0, node.aval, node.loc)
    return None


def sub_self(node, rw):
    """UNSAFE: ``x - x -> 0`` (wrong when ``x`` is inf or nan)."""
    x, y = node.inputs
    if x is y and node.aval.shape is not None:
        return constant(0, node.aval, node.loc)
    return None


def div_self(node, rw):
    """UNSAFE: ``x / x -> 1`` (wrong when ``x`` is 0, inf or nan)."""
    x, y = node.inputs
    if x is y and node.aval.shape is not None:
        return constant(1, node.aval, node.loc)
    return None


# --------------------------------------------------------------------------- select / convert


def convert_same(node, rw):
    (x,) = node.inputs
    if x.aval.dtype == node.params["dtype"]:
        return fit(x, node.aval, rw)
    return None


def select_known(node, rw):
    """``where(True, x, y) -> x``; ``where(c, x, x) -> x``."""
    c, x, y = node.inputs
    if x is y:
        return fit(x, node.aval, rw)
    u = uniform(c)
    if u is None:
        return None
    return fit(x if u else y, node.aval, rw)


# --------------------------------------------------------------------------- shapes


def reshape_chain(node, rw):
    """Reshape to the same shape is ``x``; reshape of a reshape is one reshape; of full, full."""
    (x,) = node.inputs
    if x.aval.shape == node.aval.shape:
        return x
    if x.op is sh.reshape_p:
        return rw.remake(node, x.inputs)
    if x.op is sh.full_p:
        return constant(x.params["value"], node.aval, node.loc)
    return None


def transpose_chain(node, rw):
    """Identity permutations vanish; two transposes compose; transposed full is full."""
    (x,) = node.inputs
    perm = node.params["perm"]
    if perm == tuple(range(len(perm))):
        return x
    if x.op is sh.transpose_p:
        inner = x.params["perm"]
        composed = tuple(inner[p] for p in perm)
        if composed == tuple(range(len(composed))):
            return x.inputs[0]
        return rw.make(sh.transpose_p, x.inputs, node.loc, perm=composed)
    if x.op is sh.full_p:
        return constant(x.params["value"], node.aval, node.loc)
    return None


def transpose_unit_axes(node, rw):
    """A transpose that only moves size-1 axes keeps the data order: it is a (free) reshape."""
    (x,) = node.inputs
    shape = x.aval.shape
    if shape is None:
        return None
    moved = [p for p in node.params["perm"] if shape[p] != 1]
    if moved == sorted(moved):
        return rw.make(sh.reshape_p, (x,), node.loc, shape=node.aval.shape)
    return None


def swapaxes_trivial(node, rw):
    (x,) = node.inputs
    nd = x.aval.ndim
    if nd is None:
        return None
    a1, a2 = node.params["axis1"] % max(nd, 1), node.params["axis2"] % max(nd, 1)
    if a1 == a2:
        return x
    if x.op is sh.swapaxes_p:
        b1, b2 = x.params["axis1"] % nd, x.params["axis2"] % nd
        if {a1, a2} == {b1, b2}:
            return x.inputs[0]
    return None


def broadcast_chain(node, rw):
    """Broadcast to the same shape is ``x``; of a broadcast, one broadcast; of full, full."""
    (x,) = node.inputs
    if x.aval.shape == node.aval.shape:
        return x
    if x.op is sh.broadcast_to_p:
        return rw.remake(node, x.inputs)
    if x.op is sh.full_p:
        return constant(x.params["value"], node.aval, node.loc)
    return None


def reduce_sum_trivial(node, rw):
    """Sum over size-1 axes is a reshape; the sum of ``n <= 3`` copies of a real scalar is
    ``scalar * n`` (``s + s`` is ``2 s`` exactly, so ``s + s + s`` rounds ``3 s`` once, as the
    product does; for more copies the rounding differs: :func:`reduce_sum_copies`).

    NumPy's sums start from ``+0.0``: the sum of ``-0.0`` alone is ``0.0``, so for floats the
    reshape becomes ``reshape(x) + 0.0`` and the product ``scalar * n + 0.0``; a sum over an
    empty axis is ``0`` whatever is summed (not ``inf * 0``)."""
    return _reduce_sum_rewrite(node, rw, max_copies=3)


def reduce_sum_copies(node, rw):
    """The sum of any number ``n`` of copies of a real scalar as ``scalar * n``: one
    rounding, so as accurate as NumPy's sum or more, but not its bits for ``n > 3`` (the
    derivative tables only: :data:`DERIVATIVES`, whose collection of terms re-rounds too)."""
    return _reduce_sum_rewrite(node, rw, max_copies=None)


def _reduce_sum_rewrite(node: Node, rw, max_copies: int | None):
    (x,) = node.inputs
    axes = node.params["axes"]
    shape = x.aval.shape
    if shape is None:
        return None
    axes = tuple(range(len(shape))) if axes is None else axes
    floats = node.aval.dtype.kind in "fc"
    if not axes and not floats:
        return x
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    if n == 0:
        return constant(0, node.aval, node.loc)
    if x.op is sh.full_p:
        v = x.params["value"]
        if max_copies is not None and n > max_copies and not _copies_add_exactly(v, n, node):
            return None
        with np.errstate(all="ignore"):
            total = np.multiply(np.asarray(v, node.aval.dtype),
                                np.asarray(n, node.aval.dtype)) + np.zeros((), node.aval.dtype)
        return constant(total.item(), node.aval, node.loc)
    if all(shape[a] == 1 for a in axes):
        out = rw.make(sh.reshape_p, (x,), node.loc, shape=node.aval.shape)
        return _plus_zero(out, node, rw) if floats else out
    src = x.inputs[0] if x.op is sh.broadcast_to_p else None
    # (not complex: ``z * (n + 0j)`` has cross terms, ``inf * 0`` among them)
    if src is not None and src.aval.shape == () and node.aval.dtype.kind == "f" \
            and (max_copies is None or n <= max_copies):
        s = fit(src, node.aval, rw)
        out = rw.make(ew.mul_p, (s, constant(n, Aval((), node.aval.dtype))), node.loc)
        return _plus_zero(out, node, rw)
    return None


def _copies_add_exactly(v, n: int, node: Node) -> bool:
    """Every partial sum of ``n`` copies of ``v`` (in any order) is exact in the node's dtype,
    so NumPy's sum is ``v * n`` to the bit: integers, 0, inf, NaN, and floats ``m 2**e``
    whose odd integer ``m`` times ``n`` fits the significand (``0.5 * 10``, not ``0.1 * 10``)."""
    dt = node.aval.dtype
    if dt.kind not in "fc":
        return True
    if dt.kind == "c":
        return False
    v = float(v)
    if v == 0 or not np.isfinite(v):
        return True
    m = abs(v.as_integer_ratio()[0])
    fi = np.finfo(dt)
    return m * n < 2 ** (fi.nmant + 1) and abs(v) * n <= float(fi.max)


def _plus_zero(x: Node, node: Node, rw) -> Node:
    """``x + 0.0``: ``-0.0`` becomes ``0.0``, everything else stays."""
    return rw.make(ew.add_p, (x, constant(0, Aval((), node.aval.dtype))), node.loc)


def full_like_known(node, rw):
    """``full_like(x, v)`` of a known shape is a ``full`` node."""
    if node.aval.shape is None:
        return None
    return constant(node.params["value"], node.aval, node.loc)


# --------------------------------------------------------------------------- tables


def combine(*tables) -> dict:
    """One table from several: the rules for each primitive, in order."""
    out: dict = {}
    for t in tables:
        for k, rules in t.items():
            out[k] = out.get(k, ()) + tuple(rules)
    return out


# fmt: off
FOLD = {EVERY: (fold_constant,)}
CANONICAL = {prim: (sort_operands,) for prim in COMMUTATIVE}
IDENTITIES = {
    ew.add_p:           (add_zero, add_neg),
    ew.sub_p:           (sub_zero, sub_neg),
    ew.mul_p:           (mul_one, mul_zero_finite, negations_up),
    ew.div_p:           (div_one, negations_up),
    ew.neg_p:           (neg_neg,),
    ew.integer_pow_p:   (integer_pow_trivial,),
    ew.convert_p:       (convert_same,),
    ew.select_p:        (select_known,),
    sh.reshape_p:       (reshape_chain,),
    sh.transpose_p:     (transpose_chain, transpose_unit_axes),
    sh.swapaxes_p:      (swapaxes_trivial,),
    sh.broadcast_to_p:  (broadcast_chain,),
    red.reduce_sum_p:   (reduce_sum_trivial,),
    sh.full_like_p:     (full_like_known,),
}
UNSAFE = {
    ew.mul_p: (mul_zero,),
    ew.sub_p: (sub_self,),
    ew.div_p: (div_self,),
    COLLECT: (True,),
}
# fmt: on

# Rules that can fire only at a node with an operand made by one of the given ops (each reads
# its operands' values or ops first): the rewrite skips a node none of whose operands is one,
# without calling them (most nodes of a large graph). Rules not listed are always called.
_CONSTANTS = frozenset((const_op, sh.full_p))  # (both declared constant=True)
OPERAND_OPS = {
    fold_constant: _CONSTANTS,  # (at a node with inputs: all of them constants)
    add_zero: _CONSTANTS,
    sub_zero: _CONSTANTS,
    mul_one: _CONSTANTS,
    mul_zero_finite: _CONSTANTS,
    div_one: _CONSTANTS,
    add_neg: frozenset((ew.neg_p,)),
    sub_neg: frozenset((ew.neg_p,)),
    negations_up: frozenset((ew.neg_p,)),
    neg_neg: frozenset((ew.neg_p, ew.sub_p)),
}

# Rules whose answer at a node depends only on the node's primitive, params and aval, on its
# operands' primitives and avals, and on which constants its constant operands are (not on
# deeper nodes, nor on two operands being one node): where none of a node's rules fired and
# they made nothing, the rewrite remembers that combination and calls no rule at the next
# node of the same one (the steps of a long chain: ``x * 1.01`` for 100 000 different ``x``).
# Rules of OPERAND_OPS not listed here are fine too at a node with no operand of their ops.
CONSTANT_OPS = _CONSTANTS
SHALLOW = frozenset((
    fold_constant, add_zero, sub_zero, mul_one, mul_zero_finite, div_one, mul_zero,
    integer_pow_trivial, convert_same, full_like_known,
))

ALGEBRA = combine(FOLD, IDENTITIES, CANONICAL)
# what the transforms simplify with
DERIVATIVES = combine(ALGEBRA, {red.reduce_sum_p: (reduce_sum_copies,), COLLECT: (True,)})


