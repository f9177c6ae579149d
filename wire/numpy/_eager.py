"""``wire.numpy`` on concrete arrays outside any transform: NumPy's own function, called at once.

A script calls ``wnp.sum(x)``, ``wnp.add(x, 2.0)`` or ``wnp.reshape(a, (4, 3))`` on NumPy
arrays all the time (autograd users write their whole program with it), and there is nothing
to trace: the value is NumPy's. Wire's own way there (promotion, the deferring form, the
primitive's eager ``impl``) cost several times NumPy's call on small arrays. For the functions
:func:`eligible` names (NumPy's ufuncs and the common reductions, products and joins, whose
``wire.numpy`` value on concrete operands is NumPy's to the bit), the front that takes the
call decides, from the types of the arguments alone, whether wire has anything to do:

- every argument is *plain*: an exact ``np.ndarray`` of a numeric dtype (bool, integer,
  float, complex), a NumPy scalar of one, a Python number (an int within 64 bits), or a list
  or tuple of those (the arrays of ``concatenate``, an axis tuple, a shape), or else ``None``,
  a string, a dtype or a type (a missing bound, an order, ``dtype=``);
- no trace is open (inside ``wire.jit``, ``wire.grad`` … the call goes the traced way) and
  ``wire.debug_nans`` is off (its checks run in the primitives);

then NumPy's function of the same name gets the arguments as given (``out=``, ``where=`` and
``dtype=`` too, as NumPy takes them), and its result is returned if it is numeric (not an
object or string array NumPy made of a ``None`` or a string). A call NumPy refuses, and every
other call (a tracer anywhere, an ``np.matrix``, an object array, a list holding a tracer),
goes wire's own way, which gives wire's answer or wire's error (a ``wire.WireError`` naming the
user's line), as before.

The check is decided once per function from its signature: the fronts generated from NumPy's
signatures (``wire.numpy._signatures``) start with it (:func:`front_block`: each of NumPy's
parameters is tested by name, wire's own ones must be at their defaults), and an eligible
function with no such front (its parameters are NumPy's already) gets one of its own
(:func:`concrete_front`).

>>> import numpy as np, wire, wire.numpy as wnp
>>> wnp.sum(np.arange(4.0)), wnp.add(np.ones(2, np.float32), 2.0).dtype
(np.float64(6.0), dtype('float32'))
>>> with wire.debug_nans(), np.errstate(invalid="ignore"):  # its checks: the usual way
...     try:
...         wnp.log(np.array([-1.0]))
...     except wire.WireError as e:
...         print(type(e).__name__)
FloatingPointError
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from ..core.debug import _NANS
from ..core.tracer import _OPEN, check_eager_value
from ._refusals import REFUSALS, refused

_ndarray = np.ndarray

# NumPy's numeric scalar types, and Python's but int (whose range is checked: a larger one
# makes an object array)
_SCALARS = frozenset(
    {float, complex, bool}
    | {np.dtype(c).type for c in np.typecodes["All"] if np.dtype(c).kind in "biufc"}
)
# what an argument may be but not an entry of a list or tuple argument (an order, a dtype, a
# missing bound): NumPy may make an object or string array of one (np.where(m, x, None)), so
# the result is checked (numeric)
_OPTIONS = frozenset({str, type(None), type})
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1

# wire.numpy functions whose value differs from their NumPy namesake's on purpose, or whose
# NumPy namesake is another function: never NumPy's at once
_NOT_NUMPYS = frozenset({
    "reciprocal",  # integers become float64 (NumPy's integer reciprocal truncates)
})

# NumPy functions besides the ufuncs that wire.numpy computes as NumPy does on concrete
# operands (checked bit for bit, dtypes, shapes, scalars and warnings: tests/test_eager_numpy24)
# and whose way there is longer than NumPy's call (transpose, ravel, squeeze, swapaxes,
# expand_dims, moveaxis, tensordot call NumPy's at once on their own: a front would only add)
_FUNCTIONS = frozenset({
    "sum", "prod", "mean", "std", "var", "max", "min", "amax", "amin", "argmax", "argmin",
    "any", "all", "ptp", "cumsum", "cumprod", "count_nonzero", "nansum", "average",
    "dot", "vdot", "inner", "outer", "reshape", "concatenate", "stack", "hstack", "vstack",
    "where", "clip",
})


# functions whose Python-int operands NumPy casts to an integer result's dtype without the
# range check its ufuncs make (np.where(mask, int8_array, 300) wraps 300 to 44): there wire
# raises WireOverflowError as the ufuncs raise OverflowError, so such a call goes wire's way
_INTS_CAST = frozenset({"where"})


def eligible(name: str, np_fn) -> bool:
    """Whether ``wire.numpy``'s ``name`` computes with ``np_fn`` (NumPy's function of that
    name) at once on plain concrete arguments (see the module docstring).

    >>> eligible("sum", np.sum), eligible("add", np.add), eligible("reciprocal", np.reciprocal)
    (True, True, False)
    >>> eligible("sort", np.sort), eligible("outer", np.linalg.outer)
    (False, False)
    """
    if name in _NOT_NUMPYS or name.startswith("_") or getattr(np, name, None) is not np_fn:
        return False
    return name in _FUNCTIONS or isinstance(np_fn, np.ufunc)


def plain(a) -> bool:
    """Whether ``a`` is a plain argument (see the module docstring).

    >>> plain(np.ones(2)), plain([np.ones(2), (1.5, 2)]), plain(np.array(["a"])), plain(2**70)
    (True, True, False, False)
    >>> plain(np.ma.masked_array([1.0])), plain([None]), plain(None), plain(np.float32)
    (False, False, True, True)
    """
    t = type(a)
    if t is _ndarray:
        return a.dtype.kind in "biufc"
    if t in _SCALARS or t in _OPTIONS:
        return True
    if t is int:
        return _INT_MIN <= a <= _INT_MAX
    if t is list or t is tuple:
        return _plain_items(a)
    return isinstance(a, np.dtype)


def _plain_items(items) -> bool:
    """Whether each of ``items`` (a list's or tuple's) is a plain entry: an array or a scalar
    as above, or a list or tuple of them."""
    for a in items:
        t = type(a)
        if t is _ndarray:
            if a.dtype.kind not in "biufc":
                return False
        elif t is int:
            if not _INT_MIN <= a <= _INT_MAX:
                return False
        elif t not in _SCALARS:
            if not ((t is list or t is tuple) and _plain_items(a)):
                return False
    return True


def _plain_values(kwargs) -> bool:
    for a in kwargs.values():
        if not plain(a):
            return False
    return True


def numeric(out) -> bool:
    """Whether NumPy's result ``out`` is one wire gives too: a numeric array or scalar (or a
    tuple of them), not an object or string array made of an argument."""
    t = type(out)
    if t is _ndarray:
        return out.dtype.kind in "biufc"
    if t in _SCALARS or t is int:
        return True
    return t is tuple and all(numeric(o) for o in out)


def front_block(name, np_fn, kinds, np_defaults, own_defaults, extras, env) -> str:
    """The first lines of the front of ``wire.numpy``'s ``name`` taking NumPy's parameters
    (``wire.numpy._signatures``; ``kinds``: each of NumPy's parameters' name and kind, ``"*"``
    or ``"**"``; their defaults there, NumPy's or the function's own; ``extras``: wire's own
    keyword-only parameters, each ``(local, name)``): where the function is :func:`eligible`,
    plain arguments outside any trace go to ``np_fn`` at once, each of NumPy's parameters
    passed only where it is not at the front's default (so an own default other than
    NumPy's means NumPy's). Else nothing (``""``)."""
    if not eligible(name, np_fn) or name in _INTS_CAST:  # (those have no front: see install)
        return ""
    env.update({"_np_ndarray": _ndarray, "_np_plain": plain, "_np_plain_values": _plain_values,
                "_np_numeric": numeric, "_np_OPEN": _OPEN, "_np_NANS": _NANS,
                "_np_check": check_eager_value})
    tests, required, optional, plain_optional, given = [], [], [], [], []
    for i, (n, kind) in enumerate(kinds):
        if kind == "*":
            return ""  # (none of the eligible functions' fronts has NumPy's *args)
        if kind == "**":  # (NumPy's own **kwargs: clip's, a ufunc's)
            optional.append(f"not {n}")
            plain_optional.append(f"(not {n} or _np_plain_values({n}))")
            given.append(f"            _kw.update({n})\n")
            continue
        default = own_defaults[n] if n in own_defaults else np_defaults[n]
        if default is inspect.Parameter.empty:
            if optional:
                return ""
            tests.append(f"(type({n}) is _np_ndarray and {n}.dtype.kind in 'biufc' "
                         f"or _np_plain({n}))")
            required.append(n)
            continue
        if kind is inspect.Parameter.POSITIONAL_ONLY:
            return ""  # (a positional-only parameter with a default: none eligible has one)
        local = f"_v{i}"  # (the front's local holding that default)
        if env.get(local, inspect.Parameter.empty) is not default:
            return ""
        optional.append(f"{n} is {local}")
        plain_optional.append(f"({n} is {local} or _np_plain({n}))")
        given.append(f"            if {n} is not {local}:\n"
                     f"                _kw[{n!r}] = {n}\n")
    for local, n in extras:  # wire's own parameters: at their defaults
        tests.append(f"not {n}" if local == "**" else f"{n} is {local}")
    # the common call first: every optional parameter at its default. Under debug_nans the
    # call goes wire's way, and the front checks its result (``_np_chk``, see
    # wire.numpy._signatures: reductions, products and joins compute with NumPy there)
    # (the open trace first: inside one, where tracers are, the operands' tests are not run)
    lines = ["    _np_chk = False\n",
             f"    if _np_OPEN.get() is None and {' and '.join(tests)}:\n",
             "      if _np_NANS.get():\n",
             "        _np_chk = True\n",
             "      else:\n"]
    body = []
    call = f"_np_fn({', '.join(required)})"
    if optional:
        body += ["        _r = None\n",
                  f"        if {' and '.join(optional)}:\n",
                  "            try:\n",
                  f"                _r = {call}\n",
                  "            except Exception:  # NumPy's refusal: wire's answer or error\n",
                  "                pass\n",
                  f"        elif {' and '.join(plain_optional)}:\n",
                  "            _kw = {}\n"] + given + [
                  "            try:\n",
                  f"                _r = _np_fn({', '.join(required + ['**_kw'])})\n",
                  "            except Exception:\n",
                  "                pass\n"]
    else:
        body += ["        try:\n",
                  f"            _r = {call}\n",
                  "        except Exception:  # NumPy's refusal: wire's answer or its error\n",
                  "            _r = None\n"]
    body += ["        if type(_r) is _np_ndarray and _r.dtype.kind in 'biufc' "
             "or _np_numeric(_r):\n",
             "            return _r\n"]
    return "".join(lines) + "".join("  " + b for b in body)


# functions whose result holds whatever memory held (np.empty): no value to check
_UNCHECKED = frozenset({"empty", "empty_like"})


def check_nans(name: str, operands, out) -> None:
    """``wire.debug_nans`` on a ``wire.numpy`` function's result ``out`` from ``operands``
    (its arguments), where that is concrete (an array, a number, or a tuple or list of them)
    and no trace is open: raises the ``FloatingPointError`` where ``out`` holds a NaN or an
    Inf the operands did not (``check_eager_value``). The layers every call passes (the
    fronts, the deferring call) ask under ``debug_nans``, so a function whose concrete
    branch computes with NumPy (``einsum``, ``linalg.norm``, ``kron`` …) is checked as the
    primitives are.

    >>> import wire
    >>> with wire.debug_nans():
    ...     try:
    ...         check_nans("einsum", ((np.array([1e308]), np.array([1e308])), {}), np.inf)
    ...     except wire.WireError as e:
    ...         print(str(e)[:39])
    debug_nans: einsum produced Inf: output
    """
    if name in _UNCHECKED or _OPEN.get() is not None:
        return
    t = type(out)
    if t is list or t is tuple:
        out = tuple(out)
        if not all(type(o) is _ndarray or type(o) in _SCALARS or type(o) is int
                   for o in out):
            return
    elif not (t is _ndarray or t in _SCALARS or t is int):
        return
    if t is not tuple and t is not list and type(out) is _ndarray and out.dtype.kind not in "fc":
        return
    check_eager_value(name, operands, out)


def _ints_fit(out, args) -> bool:
    """Whether each Python int among ``args`` fits the dtype of ``out`` where that is an
    integer dtype (see ``_INTS_CAST``)."""
    dt = getattr(out, "dtype", None)
    if dt is None or dt.kind not in "iu":
        return True
    ints = [a for a in args if type(a) is int]
    if not ints:
        return True
    info = np.iinfo(dt)
    return all(info.min <= a <= info.max for a in ints)


def concrete_front(fn, np_fn, ints_cast: bool = False):
    """``fn`` (a ``wire.numpy`` function) calling ``np_fn`` (its NumPy namesake) at once where
    the arguments are plain and no trace is open (see the module docstring); ``__wrapped__``
    is ``fn``. ``ints_cast``: NumPy's function casts Python-int operands to an integer result
    unchecked (``_INTS_CAST``): a call with one that does not fit goes ``fn``'s way.

    >>> def slow(x):
    ...     return "wire's"
    >>> f = concrete_front(slow, np.negative)
    >>> f(np.ones(2)), f([1.0]), f(np.array(["a"])), f(np.ma.masked_array([1.0]))
    (array([-1., -1.]), array([-1.]), "wire's", "wire's")
    """

    @functools.wraps(fn)
    def front(*args, **kwargs):
        # (the hot path: type checks inline, the first traced operand leaves at once)
        for a in args:
            t = type(a)
            if t is _ndarray:
                if a.dtype.kind not in "biufc":
                    break
            elif t is int:  # (an axis)
                if not _INT_MIN <= a <= _INT_MAX:
                    break
            elif t not in _SCALARS and not plain(a):
                break
        else:
            if _NANS.get():  # wire's way, its result checked (NumPy computes some of it)
                if _OPEN.get() is None and (not kwargs or _plain_values(kwargs)):
                    out = fn(*args, **kwargs)
                    check_eager_value(fn.__name__, (args, kwargs), out)
                    return out
            elif (not kwargs or _plain_values(kwargs)) and _OPEN.get() is None:
                try:
                    out = np_fn(*args, **kwargs)
                except Exception:  # noqa: BLE001 - NumPy's refusal: wire's answer or error
                    pass
                else:
                    if (type(out) is _ndarray and out.dtype.kind in "biufc" or numeric(out)) \
                            and (not ints_cast or _ints_fit(out, args)):
                        return out
                try:  # NumPy's refusal: wire's answer, or wire's error (_refusals)
                    return fn(*args, **kwargs)
                except REFUSALS as e:
                    x = refused(fn.__name__, front, e, args, kwargs)
                    if x is None:
                        raise
                    raise x from None
        return fn(*args, **kwargs)

    front.__wire_eager__ = fn
    return front


def behind(fn):
    """The function behind a :func:`concrete_front` (``fn`` itself if it is none, or a
    wrapper of one: a copy of the attribute by ``functools.wraps`` does not count)."""
    inner = getattr(fn, "__wire_eager__", None)
    return inner if inner is not None and getattr(fn, "__wrapped__", None) is inner else fn


def install(namespace: dict, names, np_namespace, made: dict) -> None:
    """Put a :func:`concrete_front` before each :func:`eligible` function of ``namespace``
    that has no front taking NumPy's parameters (those fronts have the same block of their
    own: :func:`front_block`), and the one already in ``made`` (by the function behind it)
    before each function given one before: aliases stay one object (``amax`` is ``max``,
    ``wire.numpy.linalg.tensordot`` is ``wire.numpy.tensordot``). ``np_namespace`` None: only
    the functions given one before."""
    for name in names:
        fn = namespace.get(name)
        if fn is None or not callable(fn) or isinstance(fn, type) or hasattr(fn, "__wire_eager__"):
            continue
        if id(fn) not in made:
            np_fn = None if np_namespace is None else getattr(np_namespace, name, None)
            if np_fn is None or not eligible(name, np_fn) or hasattr(fn, "__wire_numpy_front__"):
                continue
            made[id(fn)] = concrete_front(fn, np_fn, name in _INTS_CAST)
        namespace[name] = made[id(fn)]
