"""Python operators, ndarray-style methods and NumPy's dispatch protocols of ``Tracer``,
bound to ``wire.numpy``.

The tracer (``wire.core``) sits below the NumPy layer and knows nothing of it; ``install``
runs once, at the end of ``wire/numpy/__init__.py``.
"""

from __future__ import annotations

import operator

import types

import numpy as np

from ..core import Tracer, WeakTracer
from ..ops.elementwise import integer_pow
from ..errors import WireTypeError, at, user_location
from ..tracebacks import entry_point, internal, operator_entry_point
from ._promote import cast
from ._eager import behind
from ._signatures import operator_of as own


def internal_namespace(wnp) -> types.SimpleNamespace:
    """The names of namespace ``wnp`` with each entry point replaced by the function behind it
    (``wire.tracebacks.internal``): what a tracer's operators and methods, entry points
    themselves, call."""
    # (and past the front computing concrete arrays with NumPy at once: a tracer's own
    # methods have a traced operand)
    return types.SimpleNamespace(**{name: behind(internal(value))
                                    for name, value in vars(wnp).items()})


def install(cls, wnp, protocols) -> None:
    """Give ``cls`` (the Tracer) operators and methods computing with namespace ``wnp``, and
    the NumPy protocols ``(array_ufunc, array_function)``."""
    before = dict(vars(cls))
    cls.__array_ufunc__, cls.__array_function__ = protocols
    _install_operators(cls, wnp)
    _install_array_methods(cls, wnp)
    _as_entry_points(cls, before)
    weak_before = dict(vars(WeakTracer))
    _install_weak_bool_arithmetic(cls, WeakTracer)
    _as_entry_points(WeakTracer, weak_before)


# Python's arithmetic on bools is on ints (True + True is 2, -True is -1, True // True is 1);
# NumPy's on booleans is logical or refused. A weakly typed boolean (a Python-bool argument
# of jit, vmap or grad) with weak operands only gets Python's, as eagerly.
_INT_ARITHMETIC = ("add", "sub", "mul", "floordiv", "mod", "divmod", "pow", "lshift", "rshift")
# (not ``~``: wire's own code inverts masks it computed from weak values, as NumPy and JAX
# invert booleans; Python's ``~True == -2`` is not followed)
_INT_UNARY = ("neg", "pos", "abs")


def _weak_bool_as_int(v):
    if type(v) is bool:
        return int(v)
    if isinstance(v, Tracer) and v.weak and v.dtype == np.bool_:
        return cast(v, np.int64)  # (stays weak)
    return v


def _all_weak(other) -> bool:
    return type(other) in (bool, int, float, complex) or (isinstance(other, Tracer) and other.weak)


def _install_weak_bool_arithmetic(cls, weak_cls) -> None:
    """Operators of ``weak_cls`` (the weakly typed tracer) that, on a boolean with weak
    operands only, compute as Python does on its bools (as ints); otherwise ``cls``'s."""
    for name in _INT_ARITHMETIC:
        for method in (f"__{name}__", f"__r{name}__"):
            base = internal(getattr(cls, method))

            def op(self, other, base=base):
                if (self.node.aval.dtype == np.bool_ or type(other) is bool or (
                        isinstance(other, Tracer) and other.dtype == np.bool_)) \
                        and _all_weak(other):
                    return base(_weak_bool_as_int(self), _weak_bool_as_int(other))
                return base(self, other)

            op.__name__ = method
            setattr(weak_cls, method, op)
    for name in _INT_UNARY:
        method = f"__{name}__"
        base = internal(getattr(cls, method))

        def op1(self, base=base):
            return base(_weak_bool_as_int(self) if self.node.aval.dtype == np.bool_ else self)

        op1.__name__ = method
        setattr(weak_cls, method, op1)


def _as_entry_points(cls, before: dict) -> None:
    """What ``install`` gave ``cls`` is where user code enters wire (``x @ w`` on a
    ``wire.var`` runs outside any transform), so each is a ``wire.tracebacks`` entry point."""
    for name, attr in list(vars(cls).items()):
        if before.get(name) is attr:
            continue
        if type(attr) is types.FunctionType:
            setattr(cls, name, entry_point(attr))
        elif isinstance(attr, property):
            setattr(cls, name, property(entry_point(attr.fget), doc=attr.__doc__))


def _pow(wnp):
    """``x ** y`` as ndarray's operator: a Python ``2`` squares (``np.square``), so booleans
    give int8 there, where ``np.power`` gives int64, and complex values ``x * x``, where
    ``np.power`` rounds otherwise; a Python ``0.5`` is ``np.sqrt`` on inexact arrays (in float16
    ``np.power(-0.0, 0.5)`` is ``0.0`` and of ``-inf`` ``inf``, ``sqrt``'s ``-0.0`` and NaN),
    and on complex arrays a Python ``-1`` is ``np.reciprocal`` (NumPy's fast paths, whose
    infinities, NaNs, signed zeros and last bits differ from ``np.power``'s there)."""
    power, square, reciprocal, sqrt = (own(wnp.power), own(wnp.square), own(wnp.reciprocal),
                                       own(wnp.sqrt))

    def pow_(x, y):
        if type(y) is int and type(x) is Tracer and x.node.aval.dtype.kind == "f":
            return integer_pow(x, y)  # a real float to a Python int: ``power``'s own first way
        kind = x.dtype.kind if getattr(x, "dtype", None) is not None else None
        if type(y) is int and y == 2 and (kind == "b" or kind == "c"):
            return square(x)
        if type(y) is float and y == 0.5 and (kind == "f" or kind == "c"):
            return sqrt(x)
        if kind == "c" and type(y) is int and y == -1:
            return reciprocal(x)
        return power(x, y)

    return pow_


def _install_operators(cls, wnp) -> None:
    """Python's arithmetic, comparison, unary and indexing operators."""

    def binop(fn):  # a function of (x, y) is its own forward method: one call less per op
        fn = own(fn)  # (and without the front taking NumPy's out=, where=, …)
        return (operator_entry_point(fn),
                operator_entry_point(lambda self, other: fn(other, self)))

    for name, fn in [
        ("add", wnp.add), ("sub", wnp.subtract), ("mul", wnp.multiply),
        ("truediv", wnp.divide), ("floordiv", wnp.floor_divide), ("mod", wnp.mod),
        ("divmod", wnp.divmod), ("pow", _pow(wnp)), ("matmul", wnp.matmul), ("and", wnp.bitwise_and),
        ("or", wnp.bitwise_or), ("xor", wnp.bitwise_xor), ("lshift", wnp.left_shift),
        ("rshift", wnp.right_shift),
    ]:  # fmt: skip
        fwd, rev = binop(fn)
        setattr(cls, f"__{name}__", fwd)
        setattr(cls, f"__r{name}__", rev)

    for name, fn in [
        ("eq", wnp.equal), ("ne", wnp.not_equal), ("lt", wnp.less), ("le", wnp.less_equal),
        ("gt", wnp.greater), ("ge", wnp.greater_equal),
    ]:  # fmt: skip
        setattr(cls, f"__{name}__", operator_entry_point(own(fn)))

    # (the operators whose functions take exactly these arguments are those functions, made
    # entry points of their own kind: every traced operation pays for its entry point)
    cls.__neg__ = operator_entry_point(own(wnp.negative))
    cls.__pos__ = operator_entry_point(own(wnp.positive))
    cls.__abs__ = operator_entry_point(own(wnp.abs))
    cls.__invert__ = operator_entry_point(own(wnp.invert))

    def round_(self, ndigits=None):  # Python's round(), as JAX's: traced, half to even
        if ndigits is None:  # round(7.5) is an int in Python: here of the default int dtype
            return wnp.round(self).astype(int)
        return wnp.round(self, operator.index(ndigits))

    cls.__round__ = round_
    cls.__getitem__ = operator_entry_point(lambda self, index: wnp._shape.getitem(self, index))
    cls.__setitem__ = lambda self, index, value: wnp._at.refuse_setitem(self, index, value)
    cls.at = property(lambda self: wnp._at.At(self), doc="functional updates: x.at[i].set(v)")


def _astype(wnp):
    """ndarray's ``astype(dtype, order, casting, subok, copy)``: a traced array has no layout
    and is never copied; ``casting`` other than NumPy's default ``"unsafe"`` is checked as
    NumPy checks it."""

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        if casting != "unsafe" and not np.can_cast(self.dtype, dtype, casting):
            raise WireTypeError(f"astype: cannot cast {self.aval!r} to {np.dtype(dtype)} with "
                                f"casting={casting!r} (NumPy refuses it too)"
                                f"{at(user_location())}")
        return wnp.asarray(self, dtype=dtype)

    return astype


def _method(fn):
    """ndarray's method of NumPy function ``fn``: ``fn`` with the array first."""

    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = fn.__name__
    return method


def _install_array_methods(cls, wnp) -> None:
    """ndarray's attributes and methods (``x.T``, ``x.sum()``, ``x.real`` …)."""
    cls.T = property(lambda self: wnp.transpose(self))
    cls.mT = property(lambda self: wnp.swapaxes(self, -1, -2))

    def reshape(self, *shape, order="C", copy=None):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return wnp.reshape(self, shape, order=order, copy=copy)

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return wnp.transpose(self, axes or None)

    cls.reshape = reshape
    cls.transpose = transpose
    cls.astype = _astype(wnp)
    # the reductions take ndarray's parameters, which are their functions' after ``a``
    # (NumPy's order: ``x.sum(axis, dtype, out, keepdims)``, ``x.max(axis, out, keepdims)``)
    for name in ("sum", "mean", "prod", "max", "min", "var", "std", "argmax", "argmin", "any",
                 "all"):
        setattr(cls, name, _method(getattr(wnp, name)))
    cls.clip = lambda self, min=None, max=None, out=None, **kw: wnp.clip(self, min, max, out, **kw)
    cls.dot = lambda self, other: wnp.dot(self, other)
    cls.ravel = lambda self, order="C": wnp.ravel(self, order)
    cls.flatten = lambda self, order="C": wnp.ravel(self, order)
    cls.squeeze = lambda self, axis=None: wnp.squeeze(self, axis)
    cls.swapaxes = lambda self, axis1, axis2: wnp.swapaxes(self, axis1, axis2)
    cls.copy = lambda self, order="C": self

    # complex parts and the wider wire.numpy library as methods, like ndarray's
    cls.real = property(lambda self: wnp.real(self))
    cls.imag = property(lambda self: wnp.imag(self))
    cls.conj = lambda self: wnp.conj(self)
    cls.conjugate = lambda self: wnp.conj(self)
    cls.cumsum = _method(wnp.cumsum)
    cls.cumprod = _method(wnp.cumprod)
    cls.round = _method(wnp.round)
    cls.trace = _method(wnp.trace)
    cls.diagonal = lambda self, offset=0, axis1=0, axis2=1: wnp.diagonal(self, offset, axis1, axis2)
    cls.take = lambda self, indices, axis=None, out=None, mode=None, unique_indices=False, \
        indices_are_sorted=False, fill_value=None: wnp.take(self, indices, axis, out, mode,
                                                            fill_value=fill_value)
    cls.repeat = lambda self, repeats, axis=None, *, total_repeat_length=None: wnp.repeat(
        self, repeats, axis, total_repeat_length=total_repeat_length)
    cls.compress = lambda self, condition, axis=None, *, out=None, size=None, fill_value=0: \
        wnp.compress(condition, self, axis, out, size=size, fill_value=fill_value)
    cls.choose = lambda self, choices, out=None, mode="raise": wnp.choose(self, choices, out,
                                                                          mode)
    # without size: in an eager trace (a shape from the values); with it, JAX's padded form
    cls.nonzero = lambda self, *, size=None, fill_value=None: wnp.nonzero(
        self, size=size, fill_value=fill_value)
    cls.put = lambda self, indices, values, mode="raise": wnp.put(  # refused: it writes
        self, indices, values, mode)
    cls.argsort = lambda self, axis=-1, kind=None, order=None, *, stable=None, \
        descending=False: wnp.argsort(self, axis, kind, order, stable=stable,
                                      descending=descending)
    cls.ptp = _method(wnp.ptp)
