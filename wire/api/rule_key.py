"""Python functions held in node params, compared by what they compute rather than by identity.

A ``custom_jvp``/``custom_vjp`` node holds the user's rule functions in its params, and nodes
(so graphs, so the memos of eager transforms) compare by their params. Library code that
defines its custom rule inside the function it serves (``odeint``, the numeric quantiles of
``wire.scipy.stats``, ``custom_root``) makes new closures at every call, so equal graphs
compared unequal and every eager call derived its graph again. A :class:`RuleKey` wraps such
a function and compares equal to another one for a function that must behave the same: the
same code object, equal defaults and closure cells compared the same way, recursively —
tracers by their node, graphs by structure, arrays and other objects by identity, numbers by
type and bits (so ``-0.0`` is not ``0.0``). Anything not understood compares by identity,
which only costs a memo miss. Calling a ``RuleKey`` calls the function.
"""

from __future__ import annotations

import functools
import struct
import types

import numpy as np

from ..core import Tracer
from ..ir import Graph

_ATOMS = (str, bytes, bool, int, type(None), type(Ellipsis), np.dtype, range, slice)


class RuleKey:
    """A callable standing for ``fn`` whose equality and hash are structural (see module).

    >>> def make(k):
    ...     return lambda x: x * k
    >>> RuleKey(make(2)) == RuleKey(make(2)), RuleKey(make(2)) == RuleKey(make(3))
    (True, False)
    >>> RuleKey(make(2))(5)
    10
    """

    __slots__ = ("fn", "_hash")

    def __init__(self, fn):
        while isinstance(fn, RuleKey):
            fn = fn.fn
        self.fn = fn
        self._hash = _hash(fn, 0)

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        if not isinstance(other, __class__):  # (not the global: gone at interpreter exit)
            return NotImplemented
        return self is other or (self._hash == other._hash and same(self.fn, other.fn, set()))

    def __getattr__(self, name):  # __name__, __wrapped__ … of the function
        return getattr(self.fn, name)

    def __repr__(self):
        return f"<rule {getattr(self.fn, '__qualname__', self.fn)!r}>"


def same(a, b, seen: set) -> bool:
    """Whether ``a`` and ``b`` must behave the same (``seen``: pairs assumed so, for cycles)."""
    if a is b:
        return True
    ta = type(a)
    if ta is not type(b):
        return False
    if ta is float or ta is complex:
        return _bits(a) == _bits(b)
    if ta in _ATOMS:
        return a == b
    if isinstance(a, Tracer):
        return a.node is b.node
    if isinstance(a, Graph):
        return a == b
    pair = (id(a), id(b))
    if pair in seen:
        return True
    seen.add(pair)
    if ta is tuple or ta is list:
        return len(a) == len(b) and all(same(x, y, seen) for x, y in zip(a, b))
    if ta is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k], seen) for k in a)
    if ta is types.FunctionType:
        return _same_function(a, b, seen)
    if ta is types.MethodType:
        return same(a.__func__, b.__func__, seen) and same(a.__self__, b.__self__, seen)
    if ta is functools.partial:
        return (same(a.func, b.func, seen) and same(a.args, b.args, seen)
                and same(a.keywords, b.keywords, seen))
    if ta is RuleKey:
        return same(a.fn, b.fn, seen)
    if getattr(ta, "__wire_rule_state__", False):  # custom_jvp/custom_vjp functions
        return same(vars(a), vars(b), seen)
    return False


def _same_function(a, b, seen: set) -> bool:
    if a.__code__ is not b.__code__ or a.__globals__ is not b.__globals__:
        return False
    if not same(a.__defaults__, b.__defaults__, seen):
        return False
    if not same(a.__kwdefaults__, b.__kwdefaults__, seen):
        return False
    ca, cb = a.__closure__ or (), b.__closure__ or ()
    if len(ca) != len(cb):
        return False
    for x, y in zip(ca, cb):
        try:
            vx, vy = x.cell_contents, y.cell_contents
        except ValueError:  # an empty cell (a name bound later): compare emptiness
            if _empty(x) != _empty(y):
                return False
            continue
        if not same(vx, vy, seen):
            return False
    return True


def _empty(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return True
    return False


def _bits(x) -> bytes:
    if type(x) is complex:
        return struct.pack("<dd", x.real, x.imag)
    return struct.pack("<d", x)


def _hash(x, depth: int) -> int:
    """A hash consistent with :func:`same` (coarse: equal objects always hash equal)."""
    t = type(x)
    if t is float or t is complex:
        return hash(_bits(x))
    if t in _ATOMS:
        try:
            return hash(x)
        except TypeError:
            return hash(t)
    if depth > 3:
        return hash(t)
    if t is types.FunctionType:
        cells = tuple(_hash(c.cell_contents, depth + 1) if not _empty(c) else 0
                      for c in (x.__closure__ or ()))
        return hash((x.__code__, cells))
    if t is tuple or t is list:
        return hash((t, tuple(_hash(v, depth + 1) for v in x)))
    if t is types.MethodType:
        return hash((t, _hash(x.__func__, depth + 1)))
    if t is functools.partial:
        return hash((t, _hash(x.func, depth + 1)))
    if isinstance(x, Tracer):
        return hash(x.node)
    if isinstance(x, Graph):
        return hash(x)
    return hash(t)  # compared by identity or by its state: the type is all the hash knows
