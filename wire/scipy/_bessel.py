"""Bessel functions and the exponential integrals of ``wire.scipy.special``: SciPy's values
(its own routine for each name, so ``j0`` and ``jv(0, ·)`` keep their last digits apart, as in
SciPy) and derivatives of every order in ``x`` by the family recurrences of
``wire.ops.bessel``. The order is a concrete number, as in autograd (which differentiates
these in ``x`` only).

On concrete arrays SciPy is called directly; on traced values the argument is cast to the
dtype SciPy's ufunc would compute in (found by calling it on an empty array of that dtype),
so float32 stays float32 and integers become float64, as in SciPy.
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from ..core import Tracer
from ..errors import WireError, at, user_location
from ..ops import bessel as BES
from ._traced import scipy_special as _scipy


def _scipy_dtype(name, x, *static) -> np.dtype:
    """The dtype SciPy's ufunc ``name`` gives for an argument of ``x``'s dtype (and the
    concrete ``static`` leading arguments)."""
    return np.asarray(_scipy(name)(*static, np.empty(0, x.dtype))).dtype


def _real_traced(name, x, *static):
    """``x`` cast to SciPy's dtype for ``name``; complex traced values are refused."""
    if x.dtype.kind == "c":
        raise WireError(f"{name}: complex arguments are supported on concrete arrays only, "
                        f"got a traced {x.dtype}{at(user_location())}")
    dt = _scipy_dtype(name, x, *static)
    return x if x.dtype == dt else wnp.asarray(x, dt)


def _concrete_order(name, v, integer=False) -> float:
    if isinstance(v, Tracer):
        raise WireError(f"{name}: the order must be a concrete number (derivatives are taken "
                        f"in the argument only), got a traced {v.dtype} {tuple(v.shape)}"
                        f"{at(user_location())}")
    arr = np.asarray(v)
    if arr.ndim:
        raise WireError(f"{name}: on a traced argument the order must be one number, got "
                        f"shape {arr.shape}{at(user_location())}")
    if integer and arr.dtype.kind not in "iub" and float(arr) != int(arr):
        raise WireError(f"{name}: the order n must be an integer, got {v!r}"
                        f"{at(user_location())}")
    return float(arr)


def _fixed_order(routine, order, doc):
    kind = BES.ROUTINES[routine]

    def f(x):
        if not isinstance(x, Tracer):
            return _scipy(routine)(x)
        return BES.bessel(_real_traced(routine, x), kind, order, routine)

    f.__name__ = f.__qualname__ = routine
    f.__doc__ = doc
    return f


def _any_order(routine, doc, integer=False):
    kind = BES.ROUTINES[routine]

    def f(v, x):
        if not isinstance(x, Tracer) and not isinstance(v, Tracer):
            return _scipy(routine)(v, x)
        order = _concrete_order(routine, v, integer)
        static = int(order) if integer else v
        return BES.bessel(_real_traced(routine, wnp.asarray(x), static), kind, order, routine)

    f.__name__ = f.__qualname__ = routine
    f.__doc__ = doc
    return f


def _doc(what, name, deriv, call):
    return (f"{what} (SciPy's ``{name}``); derivative {deriv}.\n\n"
            f"    >>> import wire\n"
            f"    >>> from wire.scipy.special import {name}\n"
            f"    >>> h = 1e-6\n"
            f"    >>> fd = ({call.format('1.3 + h')} - {call.format('1.3 - h')}) / (2 * h)\n"
            f"    >>> bool(abs(wire.grad(lambda x: {call.format('x')})(1.3) - fd) < 1e-8)\n"
            f"    True\n")


# fmt: off
j0  = _fixed_order("j0", 0.0, _doc("Bessel function of the first kind of order 0", "j0", "``-j1``", "j0({})"))
j1  = _fixed_order("j1", 1.0, _doc("Bessel function of the first kind of order 1", "j1", "``(j0 - jv(2, x)) / 2``", "j1({})"))
y0  = _fixed_order("y0", 0.0, _doc("Bessel function of the second kind of order 0", "y0", "``-y1``", "y0({})"))
y1  = _fixed_order("y1", 1.0, _doc("Bessel function of the second kind of order 1", "y1", "``(y0 - yn(2, x)) / 2``", "y1({})"))
i0  = _fixed_order("i0", 0.0, _doc("Modified Bessel function of the first kind of order 0", "i0", "``i1``", "i0({})"))
i1  = _fixed_order("i1", 1.0, _doc("Modified Bessel function of the first kind of order 1", "i1", "``(i0 + iv(2, x)) / 2`` (``1/2`` at 0)", "i1({})"))
i0e = _fixed_order("i0e", 0.0, _doc("Exponentially scaled ``i0(x) e^-|x|``", "i0e", "``i1e - sign(x) i0e`` (0 at 0)", "i0e({})"))
i1e = _fixed_order("i1e", 1.0, _doc("Exponentially scaled ``i1(x) e^-|x|``", "i1e", "``(i0e + ive(2, x)) / 2 - sign(x) i1e``", "i1e({})"))
k0  = _fixed_order("k0", 0.0, _doc("Modified Bessel function of the second kind of order 0", "k0", "``-k1``", "k0({})"))
k1  = _fixed_order("k1", 1.0, _doc("Modified Bessel function of the second kind of order 1", "k1", "``-(k0 + kn(2, x)) / 2``", "k1({})"))
k0e = _fixed_order("k0e", 0.0, _doc("Exponentially scaled ``k0(x) e^x``", "k0e", "``k0e - k1e``", "k0e({})"))
k1e = _fixed_order("k1e", 1.0, _doc("Exponentially scaled ``k1(x) e^x``", "k1e", "``k1e - (k0e + kve(2, x)) / 2``", "k1e({})"))

jv  = _any_order("jv", _doc("Bessel function of the first kind of real order ``v``", "jv", "``(jv(v-1, x) - jv(v+1, x)) / 2``", "jv(2.5, {})"))
yv  = _any_order("yv", _doc("Bessel function of the second kind of real order ``v``", "yv", "``(yv(v-1, x) - yv(v+1, x)) / 2``", "yv(2.5, {})"))
iv  = _any_order("iv", _doc("Modified Bessel function of the first kind of real order ``v``", "iv", "``(iv(v-1, x) + iv(v+1, x)) / 2``", "iv(2.5, {})"))
ive = _any_order("ive", _doc("Exponentially scaled ``iv(v, x) e^-|x|``", "ive", "``(ive(v-1, x) + ive(v+1, x)) / 2 - sign(x) ive(v, x)``", "ive(2.5, {})"))
kv  = _any_order("kv", _doc("Modified Bessel function of the second kind of real order ``v``", "kv", "``-(kv(v-1, x) + kv(v+1, x)) / 2``", "kv(2.5, {})"))
kve = _any_order("kve", _doc("Exponentially scaled ``kv(v, x) e^x``", "kve", "``kve(v, x) - (kve(v-1, x) + kve(v+1, x)) / 2``", "kve(2.5, {})"))
yn  = _any_order("yn", _doc("Bessel function of the second kind of integer order ``n``", "yn", "``(yn(n-1, x) - yn(n+1, x)) / 2``", "yn(3, {})"), integer=True)
kn  = _any_order("kn", _doc("Modified Bessel function of the second kind of integer order ``n``", "kn", "``-(kn(n-1, x) + kn(n+1, x)) / 2``", "kn(3, {})"), integer=True)
# fmt: on
jn = jv  # as in SciPy, where ``jn`` is ``jv``


def _elementary(name, bind, doc):
    def f(x):
        if not isinstance(x, Tracer):
            return _scipy(name)(x)
        return bind(_real_traced(name, x))

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


erfcx = _elementary("erfcx", BES.erfcx, _doc(
    "Scaled complementary error function ``exp(x²) erfc(x)``, accurate where ``erfc`` "
    "underflows", "erfcx", "``2x erfcx(x) - 2/√π``", "erfcx({})"))
expi = _elementary("expi", BES.expi, _doc(
    "Exponential integral ``Ei(x)``", "expi", "``e^x / x``", "expi({})"))
exp1 = _elementary("exp1", BES.exp1, _doc(
    "Exponential integral ``E1(x)`` (NaN for real ``x < 0``, as SciPy's)", "exp1",
    "``-e^-x / x``", "exp1({})"))

NAMES = ["erfcx", "exp1", "expi", "i0", "i0e", "i1", "i1e", "iv", "ive", "j0", "j1", "jn",
         "jv", "k0", "k0e", "k1", "k1e", "kn", "kv", "kve", "y0", "y1", "yn", "yv"]
