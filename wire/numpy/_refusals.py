"""NumPy's refusal of a ``wire.numpy`` call on concrete arrays, raised as wire's error.

On concrete operands ``wire.numpy`` computes with NumPy (at once, by :mod:`._eager`'s fronts,
or in the function's own concrete branch), so bad input (``wnp.reshape(np.ones(3), (2,))``,
an axis out of range, shapes that do not broadcast) makes NumPy raise its own ``ValueError``,
``AxisError``, ``TypeError`` …, with neither wire's class nor the user's line. Wire's contract
is the traced path's error: a ``wire.WireError`` of a class that is also NumPy's
(``ShapeError`` is a ``ValueError``, ``WireAxisError`` an ``AxisError``), naming the shapes
and dtypes and the user's file:line. The layers every ``wire.numpy`` function is called
through (the fronts of ``_signatures`` and ``_eager``, the deferring call of ``_deferring``)
catch such an error, at no cost to a call that succeeds, and ask :func:`refused` for the
error to raise instead:

- the traced path's own error, where tracing the call at the arrays' shapes and dtypes (the
  same call, the arrays abstract) raises one of wire's errors of NumPy's kind (so eager and
  ``wire.jit`` say the same);
- else NumPy's message as a ``WireError`` of its kind, naming the function, the operands'
  dtypes and shapes, and the user's line (an index out of bounds in an index *array*, which
  tracing cannot see).

An error raised in the user's own code (a function given to ``apply_along_axis``, an
``__array_function__``) passes unchanged, as does one NumPy raises by the user's request
(``np.errstate(all="raise")``'s ``FloatingPointError``).

>>> import numpy as np, wire, wire.numpy as wnp
>>> try:
...     wnp.reshape(np.ones(3), (2,))
... except ValueError as e:
...     print(type(e).__name__, "|", str(e).split(" (at ")[0])
ShapeError | reshape: cannot reshape f64[3] (size 3) to (2,)
"""

from __future__ import annotations

import os

import numpy as np
from numpy.exceptions import AxisError
from numpy.linalg import LinAlgError

from .. import tree
from ..core.tracer import trace_flat
from ..errors import (
    NonDifferentiableError, OutArgumentError, ShapeError, TracerBoolError, UnexpectedTracerError,
    WireAxisError, WireError, WireIndexError, WireLinAlgError, WireNotImplementedError,
    WireOverflowError, WireTypeError, WireValueError, at, user_location)
from ..ir import Aval

# what NumPy raises for bad input (a FloatingPointError under np.errstate is not bad input)
REFUSALS = (ValueError, TypeError, IndexError, OverflowError)

# NumPy's kinds of error, each with wire's class of that kind (the first that matches)
_KINDS = ((LinAlgError, WireLinAlgError), (AxisError, WireAxisError),
          (IndexError, WireIndexError), (OverflowError, WireOverflowError),
          (TypeError, WireTypeError), (ValueError, WireValueError))

# wire's errors a trace raises that say something about tracing, not about the input
_NOT_THE_INPUTS = (TracerBoolError, UnexpectedTracerError, NonDifferentiableError,
                   WireNotImplementedError, OutArgumentError)

_WIRE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep


def _raised_by_wire_or_numpy(tb) -> bool:
    """Whether every frame of traceback ``tb`` (from the layer that caught it on) is wire's
    or NumPy's: the error is NumPy's refusal of the input, not the user's own code's."""
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if not (name.startswith(_WIRE_DIR) or name.startswith(_NUMPY_DIR)
                or name.startswith("<wire.") or name.startswith("<__array_function__")):
            return False
        tb = tb.tb_next
    return True


def _arrays(value, found: list):
    """``value`` with each concrete array and NumPy scalar in it (in lists and tuples too)
    replaced by its place in ``found`` (a rebuild: ``_Slot``)."""
    t = type(value)
    if (t is np.ndarray and value.dtype.kind in "biufc") or (
            isinstance(value, np.generic) and value.dtype.kind in "biufc"):
        found.append(value)
        return _Slot(len(found) - 1)
    if t is list or t is tuple:
        items = [_arrays(v, found) for v in value]
        if any(type(v) is _Slot or type(v) is _Rebuilt for v in items):
            return _Rebuilt(t, items)
    return value


class _Slot:
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


class _Rebuilt:
    __slots__ = ("kind", "items")

    def __init__(self, kind, items):
        self.kind, self.items = kind, items


def _put(value, new):
    t = type(value)
    if t is _Slot:
        return new[value.i]
    if t is _Rebuilt:
        return value.kind(_put(v, new) for v in value.items)
    return value


def _traced_error(call, args, kwargs):
    """The error ``call(*args, **kwargs)`` raises traced, its arrays abstract (None if the
    trace raises none, or another kind of error)."""
    found = []
    a2 = [_arrays(a, found) for a in args]
    k2 = {k: _arrays(v, found) for k, v in kwargs.items()}
    if not found:
        return None
    leaves, in_tree = tree.flatten(tuple(found))
    avals = [Aval(np.shape(a), np.asarray(a).dtype) for a in leaves]

    def again(*new):
        return call(*[_put(a, new) for a in a2], **{k: _put(v, new) for k, v in k2.items()})

    try:
        trace_flat(again, avals, in_tree)
    except WireError as e:
        return e
    except Exception:  # noqa: BLE001 - the trace's own trouble: NumPy's message then
        return None
    return None


def _operands(args, kwargs) -> str:
    found = []
    for a in args:
        _arrays(a, found)
    for v in kwargs.values():
        _arrays(v, found)
    return ", ".join(str(Aval(np.shape(a), np.asarray(a).dtype)) for a in found)


def refused(name: str, call, e: BaseException, args, kwargs):
    """The ``WireError`` to raise in place of ``e``, NumPy's refusal of ``wire.numpy``'s
    ``name`` called (as ``call``, the layer that caught ``e``, traced again for its error;
    None: NumPy's message) with ``args`` and ``kwargs``;
    None where ``e`` is to pass unchanged (a ``WireError`` already, another kind, raised in
    the user's own code). See the module docstring.

    >>> import numpy as np
    >>> try:
    ...     np.sum(np.ones(3), axis=2)
    ... except Exception as e:
    ...     err = refused("sum", None, e, (np.ones(3),), {"axis": 2})
    >>> type(err).__name__, str(err).split(" (at ")[0]
    ('WireAxisError', 'sum of f64[3]: axis 2 is out of bounds for array of dimension 1')
    """
    if isinstance(e, WireError) or not isinstance(e, REFUSALS) \
            or not _raised_by_wire_or_numpy(e.__traceback__.tb_next):
        return None
    for kind, cls in _KINDS:
        if isinstance(e, kind):
            break
    else:
        return None
    if call is not None:
        traced = _traced_error(call, args, kwargs)
        if isinstance(traced, kind) and not isinstance(traced, _NOT_THE_INPUTS) \
                and "trace" not in str(traced):
            traced.__traceback__ = None
            return traced
    operands = _operands(args, kwargs)
    message = f"{name}{' of ' + operands if operands else ''}: {e}{at(user_location())}"
    if cls is WireValueError and ("shape" in str(e) or "broadcast" in str(e)):
        cls = ShapeError
    return cls(message)
