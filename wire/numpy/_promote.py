"""NumPy dtype promotion for mixed operands (tracers, arrays, Python scalars).

Python scalars are *weak*, as in NumPy 2 (NEP 50): ``f32_tracer * 2.0`` stays float32.
"""

from __future__ import annotations

import functools
import numbers
import operator
import types

import numpy as np

from ..core import (
    Tracer, WeakTracer, check_plain_array, constant_value, to_node, int_loop, weak_int_range,
)
from ..core.tracer import check_numeric
from ..errors import (
    OutArgumentError, ShapeError, WireOverflowError, WireTypeError, WireValueError, at, user_location,
)
from ..ops.elementwise import convert
from ..ops.shape import concatenate, reshape


def holds_tracer(x) -> bool:
    """Whether ``x`` is a tracer or a (nested) list/tuple holding one."""
    if isinstance(x, Tracer):
        return True
    if isinstance(x, (list, tuple)):
        return any(holds_tracer(v) for v in x)
    return False


def known(x: Tracer) -> bool:
    """Whether tracer ``x``'s value is known while tracing: in an eager trace
    (``wire.grad(f)(x)`` on concrete arrays), or as a constant. Under ``jit`` it is not."""
    state = x._state.concrete_state() if x._state is not None else None
    return state is not None or constant_value(x.node) is not None


def lift(x):
    """A list or tuple holding tracers as one stacked tracer, as ``np.array([a, b])`` does
    for arrays (autograd and JAX accept such lists too); anything else unchanged.

    The entries keep NumPy's dtypes as ``np.array`` sees them (a Python float is float64
    there, not weak), and must all have one shape. (Stacking is written here, on the
    primitives, because promotion itself lifts lists: ``wire.numpy.array`` builds on it.)

    >>> import wire
    >>> wire.trace(lambda a: lift([a, 2.0]), np.float32(1.0)).out_avals
    (f64[2],)
    """
    if not (isinstance(x, (list, tuple)) and holds_tracer(x)):
        return x
    items = [lift(v) if holds_tracer(v) else np.asarray(v) for v in x]
    shapes = {tuple(v.shape) for v in items}
    if len(shapes) != 1:
        raise ShapeError(f"array: the entries of a list must have one shape, got "
                         f"{sorted(shapes)}{at(user_location())}")
    dt = np.result_type(*[v.dtype for v in items])
    shape = (1,) + shapes.pop()
    return concatenate([reshape(convert(v, dt), shape) if isinstance(v, Tracer)
                        else np.asarray(v, dt).reshape(shape) for v in items], 0)


def lifting(fn):
    """Decorate a function whose first argument is an array so that it also takes a list of
    traced values (``np.mean([a, b])``)."""

    @functools.wraps(fn)
    def f(a, *args, **kwargs):
        if isinstance(a, (list, tuple)):
            a = lift(a)  # (the one kind lift changes: not called for an array, every time)
        return fn(a, *args, **kwargs)

    f.__wire_lifting__ = fn  # (a layer above may call it for an operand not a list or tuple)
    return f


_PY_SCALARS = (bool, int, float, complex)
# a Python scalar of each kind: what a weakly typed tracer promotes like (NEP 50)
_WEAK_LIKE = {"b": False, "i": 0, "u": 0, "f": 0.0, "c": 0j}


def dtype_of(x):
    """The dtype, or the Python scalar itself (weakly typed) for ``np.result_type``; a weakly
    typed tracer (a Python scalar argument) promotes like a Python scalar of its kind."""
    x = lift(x)
    if isinstance(x, Tracer):
        return _WEAK_LIKE.get(x.dtype.kind, x.dtype) if x.weak else x.dtype
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        return x
    if isinstance(x, np.ndarray | np.generic):
        return x.dtype
    if isinstance(x, numbers.Number):
        return x
    return np.asarray(x).dtype


def result_dtype(*args):
    return np.result_type(*[dtype_of(a) for a in args])


def _check_int_fits(x: Tracer, dtype: np.dtype) -> None:
    """Raise as NumPy does when a Python integer (the weakly typed tracer ``x``: an argument
    of ``jit`` or ``vmap``) is promoted to an integer ``dtype`` that cannot hold it; a cast
    would wrap it silently. Its range is followed through Python's integer arithmetic
    (``-s``, ``s + 300``: :func:`wire.core.weak_int_range`)."""
    info = np.iinfo(dtype)
    span = weak_int_range(x, (int(info.min), int(info.max)))
    if span is None:
        loop, unbounded = int_loop(x)
        if unbounded and (info.min > np.iinfo(x.dtype).min or info.max < np.iinfo(x.dtype).max):
            raise WireOverflowError(
                f"a Python integer carried through {loop} meets {dtype}"
                f"{at(user_location())}, but no bound was found for its range over the "
                f"loop's steps (a while_loop whose predicate does not bound it, or a scan "
                f"too long to follow step by step), so it cannot be checked to fit {dtype} "
                f"as NumPy checks it (a wrapped value would be wrong); carry a NumPy integer "
                f"of the dtype you mean instead (np.int64(0), or np.{dtype}(0) for {dtype}'s "
                f"modular arithmetic), or bound the carry in the loop's predicate "
                f"(c < 100)")
        return
    lo, hi, value = span
    if lo < info.min or hi > info.max:
        what = f"Python integer {value}" if value is not None else \
            f"a Python integer in [{lo}, {hi}]"
        loop = int_loop(x)[0]
        via = "" if loop is None else f"; this one is carried through {loop}"
        raise WireOverflowError(
            f"{what} out of bounds for {dtype}, as NumPy raises (a Python int takes "
            f"the dtype of the array it meets{via}){at(user_location())}; give the array a "
            f"wider dtype")


def _beyond_traced(x: Tracer) -> int | None:
    """The value of the weakly typed integer ``x`` (a Python int computed from Python-int
    arguments: ``s + 1``) where it lies beyond the dtype it is traced in (int64), so that the
    traced value has wrapped around, and is known (the trace is then keyed on the
    arguments' values); else None."""
    info = np.iinfo(x.dtype)
    span = weak_int_range(x, (int(info.min), int(info.max)))
    if span is None or (info.min <= span[0] and span[1] <= info.max) or span[0] != span[1]:
        return None
    return span[0]


def refuse_out(out, name: str) -> None:
    """``out=`` given to ``name`` with traced input: a traced result cannot be written into
    an array (on concrete input, NumPy's own function takes it)."""
    if out is not None:
        raise OutArgumentError(
            f"{name}(..., out=...): wire's traced arrays are immutable, so a traced result "
            f"cannot be written into out; use the returned value{at(user_location())}")


def cast(x, dtype, keep_weak: bool = False):
    """``x`` as ``dtype``: a convert node for tracers, an array otherwise. A weakly typed
    tracer stays weak (promotion moved it to another kind, as for a Python scalar), and with
    ``keep_weak`` so does a Python scalar cast to the default type of a higher kind (an
    int to float64 is a Python float: :func:`promote` of weak operands only)."""
    x = lift(x)
    if isinstance(x, Tracer):
        if x.weak and x.dtype != dtype:
            dtype = np.dtype(dtype)
            if x.dtype.kind in "iu":
                if dtype.kind in "iu":
                    _check_int_fits(x, dtype)
                elif dtype.kind in "fc":
                    big = _beyond_traced(x)
                    if big is not None:  # NumPy converts the Python int itself
                        return WeakTracer(to_node(np.asarray(float(big), dtype)), x._state)
            y = convert(x, dtype)
            return WeakTracer(y.node, y._state)
        return convert(x, dtype)
    if type(x) in _PY_SCALARS:
        dtype = np.dtype(dtype)
        py = _PY_OF_DEFAULT.get(dtype)
        if (py is type(x) and (py is not int or -2**63 <= x < 2**63)) or (
                py is None and type(x) is not bool and np.result_type(x) == dtype):
            return x  # a Python scalar stays one (weakly typed) where its own dtype is meant
        if keep_weak and py is not None and _PY_SCALARS.index(type(x)) < _PY_SCALARS.index(py):
            # promoted to the default type of a higher kind (all operands weak: ``s * 2``
            # with ``s`` a Python-float argument): still a Python scalar, so still weak, as
            # ``1.0 * 2`` is a Python float
            return py(x)
    if type(x) is not np.ndarray and isinstance(x, np.ndarray):
        check_plain_array(x, "an operand")  # np.asarray would drop a mask
    if type(x) is int:
        try:
            return np.asarray(x, dtype=dtype)
        except OverflowError:
            raise WireOverflowError(f"Python integer {x} out of bounds for {np.dtype(dtype)} "
                                    f"(NumPy's arithmetic raises OverflowError for it)"
                                    f"{at(user_location())}; give the array a wider dtype"
                                    ) from None
    return np.asarray(x, dtype=dtype)


# the default dtype of each kind and its Python type: a Python scalar cast up to it stays weak
_PY_OF_DEFAULT = {np.dtype(np.bool_): bool, np.dtype(np.int64): int,
                  np.dtype(np.float64): float, np.dtype(np.complex128): complex}


def strong_result(fn):
    """``fn`` (a public ``wire.numpy`` function) with a strongly typed result: NumPy's
    functions return NumPy arrays and scalars (``np.sin(1.0)`` is a strong ``np.float64``,
    so ``np.sin(1.0) + float32_array`` is float64), where a traced value made from weakly
    typed operands only (Python-scalar arguments of ``jit``, ``vmap`` …) would stay weak.
    Python's operators on such values stay weak (``s * 2.0`` is a Python float): they call
    the function behind (``__wire_strong__``).

    >>> import wire
    >>> f = lambda s, x: strong_result(lambda v: v)(s) + x
    >>> wire.jit(f)(1.0, np.ones(2, np.float32)).dtype
    dtype('float64')
    """

    @functools.wraps(fn)
    def f(*args, **kwargs):
        out = fn(*args, **kwargs)
        t = type(out)
        if t is WeakTracer or t is tuple:
            return strong_out(out)
        return out

    f.__wire_strong__ = fn
    return f


def strong_out(out):
    """A result of the function behind :func:`strong_result` as it returns it: a weakly typed
    tracer (or one in a tuple) as a plain one. (Its callers test for the two types first;
    the layers that call the function behind themselves, one frame less on every call, use
    this too: ``wire.numpy._deferring``, the fronts of ``wire.numpy._signatures``.)"""
    if type(out) is WeakTracer:
        return Tracer(out.node, out._state)
    if type(out) is tuple:
        return tuple(Tracer(o.node, o._state) if type(o) is WeakTracer else o for o in out)
    return out


# NumPy's functions that return a Python scalar's own attribute (``np.real(3)`` is
# ``(3).real``, the Python int 3): weakly typed
_PYTHON_ATTRIBUTES = frozenset({"real", "imag"})


def install_strong(namespace: dict, names) -> None:
    """Put :func:`strong_result` around each public function of ``namespace`` (one per
    function: aliases stay one object)."""
    made = {}
    for name in names:
        fn = namespace.get(name)
        if type(fn) is not types.FunctionType or hasattr(fn, "__wire_strong__") \
                or name in _PYTHON_ATTRIBUTES:
            continue
        if id(fn) not in made:
            made[id(fn)] = strong_result(fn)
        namespace[name] = made[id(fn)]


def weak_behind(fn):
    """The function behind :func:`strong_result` (``fn`` itself if it is none)."""
    inner = getattr(fn, "__wire_strong__", None)
    return inner if inner is not None and getattr(fn, "__wrapped__", None) is inner else fn


def strong(x):
    """``x`` strongly typed: a Python scalar as the NumPy array ``np.asarray`` makes of it,
    a weakly typed tracer as a plain one of its dtype. NumPy's functions that are not
    ufuncs (``dot``, ``inner``, ``kron`` …) take their operands through ``np.asarray``:
    there ``np.dot(float16_array, 2)`` is float64.

    >>> strong(2).dtype, strong(np.float16(1.0)).dtype
    (dtype('int64'), dtype('float16'))
    """
    if isinstance(x, Tracer):
        return Tracer(x.node, x._state) if x.weak else x
    if type(x) in _PY_SCALARS:
        return np.asarray(x)
    return x


def promote(*args):
    """Operands cast to their common NumPy result dtype."""
    if len(args) == 2:
        x, y = args
        if isinstance(x, Tracer) and isinstance(y, Tracer) and x.dtype == y.dtype:
            return [x, y]
    dt = result_dtype(*args)
    if dt.kind not in _KIND_ORDER:  # a string operand: NumPy's ufuncs have no numeric loop
        check_numeric(dt, "an operand")
    weak = all_weak_traced(args)
    return [cast(a, dt, weak) for a in args]


def all_weak_traced(args) -> bool:
    """Whether ``args`` are weakly typed tracers and Python scalars only, a tracer among them
    (``s * 2`` on a Python-scalar argument ``s`` of ``jit``): their result stays weak, so the
    Python scalars promoted stay Python scalars."""
    traced = False
    for a in args:
        if isinstance(a, Tracer):
            if not a.weak:
                return False
            traced = True
        elif type(a) not in _PY_SCALARS:
            return False
    return traced


def float_of(dt) -> np.dtype:
    """The float dtype NumPy's float ufuncs (sin, log, arctan2, hypot …) give for ``dt``: the
    smallest that holds it exactly — bool/int8/uint8 -> float16, int16 -> float32, wider
    integers -> float64; floats and complex stay."""
    dt = np.dtype(dt)
    return dt if dt.kind in "fc" else np.promote_types(dt, np.float16)


def float_result_dtype(*args) -> np.dtype:
    """The dtype NumPy's float ufuncs (``arctan2``, ``hypot``, ``logaddexp`` …) compute
    ``args`` in: the smallest float every operand casts to safely — each array's own
    :func:`float_of`, so ``arctan2(int8, uint8)`` is float16 (not the float32 of their
    common int16) — with Python scalars weak, as in NEP 50.

    >>> float_result_dtype(np.int8(1), np.uint8(1)), float_result_dtype(np.int16(1), 2.5)
    (dtype('float16'), dtype('float64'))
    """
    kinds = [dtype_of(a) for a in args]
    strong = [k for k in kinds if isinstance(k, np.dtype)]
    for k in strong:  # (a string operand: NumPy's float ufuncs have no loop for it either)
        if k.kind not in _KIND_ORDER:
            check_numeric(k, "an operand")
    common = np.result_type(*kinds)
    if not strong or _KIND_ORDER[common.kind] > max(_KIND_ORDER[k.kind] for k in strong):
        return float_of(common)  # a Python scalar of a higher kind: its default (float64)
    return float_of(np.result_type(*[float_of(k) if isinstance(k, np.dtype) else k
                                     for k in kinds]))


_KIND_ORDER = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote_float(*args):
    """Like :func:`promote`, then integers and booleans become a float as in NumPy's float
    ufuncs (:func:`float_result_dtype`: ``np.sin(int8)`` is float16, ``np.sin(int64)``
    float64, ``np.arctan2(int8, uint8)`` float16)."""
    dt = float_result_dtype(*args)
    weak = all_weak_traced(args)
    return [cast(a, dt, weak) for a in args]


def promote_real_float(name: str, *args):
    """:func:`promote_float` for a function NumPy defines on real numbers only (``hypot``,
    ``logaddexp`` …: their ufuncs have no complex loop): a complex operand raises, as in
    NumPy, rather than going through a real formula that means something else for it."""
    out = promote_float(*args)
    dt = getattr(out[0], "dtype", None) if out else None
    if dt is not None and np.dtype(dt).kind == "c":
        raise WireTypeError(
            f"{name} is not defined for complex inputs ({', '.join(str(dtype_of(a)) for a in args)}), "
            f"as NumPy's {name} has no complex loop{at(user_location())}")
    return out


def promote_true_divide(*args):
    """Like :func:`promote`, but integers and booleans become float64 (``np.divide``)."""
    dt = result_dtype(*args)
    if dt.kind not in "fc":
        dt = np.dtype(np.float64)
    weak = all_weak_traced(args)
    return [cast(a, dt, weak) for a in args]


def any_tracer(*args) -> bool:
    return any(holds_tracer(a) for a in args)


def static_size(size, name: str, what: str = "size") -> int:
    """``size`` as a non-negative Python int (it sets the result's shape: JAX's ``size=``,
    ``length=``)."""
    if isinstance(size, Tracer) or holds_tracer(size):
        raise WireTypeError(f"{name}: {what} must be a concrete int (it sets the result's "
                            f"shape), got a traced value{at(user_location())}")
    if isinstance(size, (bool, np.bool_)):
        raise WireTypeError(f"{name}: {what} must be an int, got {size!r}{at(user_location())}")
    try:
        k = operator.index(size)
    except TypeError:
        raise WireTypeError(f"{name}: {what} must be an int, got {type(size).__name__} "
                            f"{size!r}{at(user_location())}") from None
    if k < 0:
        raise WireValueError(f"{name}: {what} must be non-negative, got {k}{at(user_location())}")
    return k
