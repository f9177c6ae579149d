"""The whole ``WireError`` family, and how errors find the user's file:line.

Every error a user can cause is one of these classes. Each class docstring says the cause,
shows a short example, and gives the fix. Messages name the user's source location: the
first stack frame (or recorded node location) outside the ``wire`` package.
"""

from __future__ import annotations

import functools
import os
import sys

from numpy.exceptions import AxisError
from numpy.linalg import LinAlgError

_WIRE_DIR = os.path.dirname(os.path.abspath(__file__))
_SKIP_PREFIXES = (_WIRE_DIR + os.sep,)


@functools.lru_cache(maxsize=4096)
def _is_internal(filename: str) -> bool:
    # NumPy's dispatch frames (``np.sin(tracer)``) sit between the user and wire.
    return filename.startswith(_SKIP_PREFIXES) or f"{os.sep}numpy{os.sep}" in filename


@functools.lru_cache(maxsize=4096)
def _basename(filename: str) -> str:
    return os.path.basename(filename)


def user_location(depth: int = 1) -> str:
    """Return ``"file.py:line"`` of the innermost stack frame outside wire (and NumPy).

    >>> user_location().endswith(tuple("0123456789"))
    True
    """
    frame = sys._getframe(depth)
    files = _INTERNAL_FILES
    while True:
        try:
            while frame.f_code.co_filename in files:  # the hot loop: a string's cached hash
                frame = frame.f_back
        except AttributeError:  # frame is None: wire's own frames all the way up
            return "<unknown>"
        code = frame.f_code
        # the user's line by the instruction the frame is at: a dict look-up, where reading
        # f_lineno decodes the code's line table and the two functions below are called
        seen = _SEEN.get((id(code), frame.f_lasti))
        if seen is not None and seen[0] is code:
            return seen[1]
        if not _is_internal(code.co_filename):
            loc = _location(code.co_filename, frame.f_lineno)
            if len(_SEEN) >= _MAX_CODES:
                _SEEN.clear()
            _SEEN[(id(code), frame.f_lasti)] = (code, loc)
            return loc
        if len(files) >= _MAX_CODES:
            files.clear()
        files[code.co_filename] = True
        frame = frame.f_back


# The files of wire's (and NumPy's) frames met so far: every bind of a trace asks for its
# user's line, walking up through them (a cache of :func:`_is_internal`, a pure function of
# the file name). Keyed by the name, whose hash the string keeps, not by the code object,
# whose hash hashes its contents (about 0.4 µs, four or five times per bind).
_INTERNAL_FILES: dict = {}
_MAX_CODES = 4096
# (id of a user's code object, instruction offset) -> (the code, its "file.py:line"): the
# lines found so far (a cache of a pure function of the two; the code is held, so its id
# is not reused meanwhile). Cleared when full, as the files above.
_SEEN: dict = {}


@functools.lru_cache(maxsize=8192)
def _location(filename: str, line: int) -> str:
    # traces ask for the same few lines over and over (every bind records its line)
    return f"{_basename(filename)}:{line}"


class WireError(Exception):
    """Base class of every error wire raises because of how it was called.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> try:
    ...     wire.grad(lambda x: x * 2.0)(np.ones(3))
    ... except wire.WireError as e:
    ...     print(type(e).__name__)
    NonDifferentiableError
    """


class ShapeError(WireError, ValueError):
    """Shapes that cannot work together, found while tracing.

    Example::

        wnp.ones(3) @ wnp.ones(4)     # ShapeError: matmul contracts 3 with 4

    Fix: reshape, transpose or broadcast the operands so the named axes agree.
    """


class WireIndexError(WireError, IndexError):
    """A constant index outside the axis it indexes, found while tracing (NumPy raises
    ``IndexError`` too); the message names the index, the axis length and the user's line.

    Example::

        wire.jit(lambda x: x[5])(np.arange(3.0))   # WireIndexError: index 5 is out of bounds

    Fix: index inside ``-n .. n-1``, or use ``wnp.take(x, i, mode="clip")``/``"wrap"``.

    >>> import numpy as np, wire
    >>> try:
    ...     wire.jit(lambda x: x[5])(np.arange(3.0))
    ... except wire.WireIndexError as e:
    ...     print(isinstance(e, IndexError))
    True
    """


class TracerBoolError(WireError, TypeError):
    """Python control flow (``if``, ``while``, ``bool()``, ``int()``, ``float()``) on a traced value.

    Example::

        def f(x):
            if x > 0:          # TracerBoolError: the value of x is not known while tracing
                return x
            return -x

    Fix: use ``wire.numpy.where(x > 0, x, -x)``, ``wire.cond``, or mark the argument static
    (``wire.jit(f, static_argnums=...)``) if it really is a constant.
    """


class NonDifferentiableError(WireError, TypeError):
    """A derivative that does not exist or is not defined.

    Raised for gradients with respect to integer or boolean inputs, ``grad`` of a function
    whose output is not a scalar, and differentiation through an operation with no rule.

    Example::

        wire.grad(lambda x: x.sum())(np.arange(3))     # integer input

    Fix: pass floating-point inputs (``x.astype(float)``); for non-scalar outputs use
    ``wire.jacrev`` / ``wire.vjp``.
    """


class UnboundInputError(WireError, LookupError):
    """An input of a graph (or a ``wire.var``) got no value at evaluation.

    Example::

        x, y = wire.var("x"), wire.var("y")
        wire.evaluate(x + y, {x: 1.0})      # UnboundInputError: no value for var y

    Fix: pass a value for every input in the feed dict or argument list.
    """


class UnexpectedTracerError(WireError, TypeError):
    """A tracer used after the trace that made it has finished (a *leaked* tracer).

    While ``f`` is traced (by ``grad``, ``jit``, ``vmap`` …) its arguments are tracers:
    symbolic stand-ins that only mean something inside that trace. Storing one outside
    (in a list, a global, an attribute) and using it later, in another trace or an
    evaluation, would compute with a value that no longer exists; wire refuses, naming where
    the tracer was made and where it is used.

    Example::

        leak = []
        wire.grad(lambda x: (leak.append(x), x * 2.0)[1])(1.0)
        wire.grad(lambda y: leak[0] * y)(2.0)     # UnexpectedTracerError

    Fix: return the value from the traced function (``has_aux=True`` for side results), or
    pass it in as an argument; do not keep tracers after the call.
    """


class FloatingPointError(WireError, ArithmeticError):
    """Under ``wire.debug_nans()``, a node produced NaN or Inf; the message names it.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> with wire.debug_nans():
    ...     try:
    ...         wire.value_and_grad(lambda x: wnp.sum(wnp.log(x)))(np.array([1.0, -1.0]))
    ...     except wire.FloatingPointError as e:
    ...         print(str(e).split(":")[:2])
    ['debug_nans', ' log produced NaN']
    """


class WireTypeError(WireError, TypeError):
    """A value wire cannot treat as an array: a pytree leaf that is not an array or a number,
    or a tracer passed where a concrete value is needed (``np.asarray(tracer)``).

    Fix: pass NumPy arrays, Python numbers, or containers wire knows (tuple, list, dict,
    None, namedtuple, pyrsistent PMap/PVector/PRecord).

    >>> import wire
    >>> try:
    ...     wire.grad(lambda x: x)("1.0")
    ... except wire.WireTypeError as e:
    ...     print(isinstance(e, TypeError))
    True
    """


class WireValueError(WireError, ValueError):
    """An argument NumPy would refuse with ``ValueError`` too: an integer array raised to a
    negative integer power (``np.arange(3) ** -1``).

    Fix: make the base a float (``x.astype(float) ** -1``).

    >>> import numpy as np, wire
    >>> try:
    ...     wire.jit(lambda x: x ** -1)(np.arange(1, 3))
    ... except wire.errors.WireValueError as e:
    ...     print(isinstance(e, ValueError))
    True
    """


class WireNotImplementedError(WireError, NotImplementedError):
    """A combination JAX refuses too, for a choice only the user can make: ``vmap`` of a
    ``pure_callback`` without a ``vmap_method`` (wire cannot know whether the callback handles
    a batch axis).

    Fix: pass ``vmap_method="sequential"``, ``"expand_dims"`` or ``"broadcast_all"``.

    >>> import numpy as np, wire
    >>> f = lambda x: wire.pure_callback(np.sin, wire.ShapeDtypeStruct((), np.float64), x)
    >>> try:
    ...     wire.vmap(f)(np.zeros(2))
    ... except wire.WireNotImplementedError as e:
    ...     print(isinstance(e, NotImplementedError))
    True
    """


class WireOverflowError(WireError, OverflowError):
    """A Python integer promoted to an integer dtype that cannot hold it, which NumPy refuses
    too (``np.int8_array + 300``): also when the integer is an argument of a ``wire.jit``
    function or a ``wire.vmap``'d one, whose values are cast where NumPy's would raise.

    Fix: give the array a wider dtype (``x.astype(np.int16) + 300``).

    >>> import numpy as np, wire
    >>> add = wire.jit(lambda x, n: x + n)
    >>> add(np.ones(2, np.int8), 100)
    array([101, 101], dtype=int8)
    >>> try:
    ...     add(np.ones(2, np.int8), 300)
    ... except wire.errors.WireOverflowError as e:
    ...     print(isinstance(e, OverflowError))
    True
    """


class BackendError(WireError, TypeError):
    """An array backend (Dask, CuPy, an Array-API namespace) cannot run a primitive, or is not
    installed. The message names the backend, the primitive and the backend function.

    Example::

        wire.evaluate(g, x, backend=array_api_strict)   # BackendError: erf needs scipy.special

    Fix: install the extra named in the message, evaluate that part with ``backend="numpy"``,
    or pick a backend that has the function.
    """


class MissingNameError(WireError, AttributeError):
    """A NumPy name that ``wire.numpy`` does not provide; the message says whether it is
    planned or deliberately left out, and why. (An ``AttributeError``, so ``hasattr`` and
    ``getattr(wnp, name, default)`` work as for any module.)

    Example::

        wnp.test()      # MissingNameError: deliberately left out: runs NumPy's own test suite

    Fix: use NumPy's object directly, or the alternative the message names.
    """


def at(loc: str | None) -> str:
    """Suffix naming a source location, for messages: ``" (at model.py:12)"``.

    >>> at("model.py:12"), at(None)
    (' (at model.py:12)', '')
    """
    return f" (at {loc})" if loc else ""


class WireAxisError(WireError, AxisError):
    """An axis argument outside ``-ndim .. ndim-1`` (or repeated where axes must differ), as
    NumPy's ``AxisError`` (this is one), which is both a ``ValueError`` and an ``IndexError``.
    An axis out of range is never wrapped round silently.

    Example::

        wnp.roll(x, 1, axis=2)      # x of rank 2: WireAxisError: axis 2 is out of bounds

    Fix: pass an axis inside ``-x.ndim .. x.ndim-1``.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> try:
    ...     wire.jit(lambda x: wnp.sum(x, axis=2))(np.ones((2, 3)))
    ... except wire.WireAxisError as e:
    ...     print(isinstance(e, ValueError), isinstance(e, IndexError))
    True True
    """


class LinAlgShapeError(ShapeError, LinAlgError):
    """A matrix of a shape ``numpy.linalg`` refuses with ``LinAlgError``: a non-square matrix
    to ``det``/``inv``/``eig``/``cholesky``…, a vector where matrices are needed, an empty
    matrix to ``cond``. Both a ``wire.ShapeError`` and NumPy's ``LinAlgError`` (so code that
    catches either keeps working traced).

    Fix: pass (stacks of) square matrices, ``(..., n, n)``, where the function needs them.

    >>> import numpy as np, wire
    >>> try:
    ...     wire.jit(wire.numpy.linalg.inv)(np.ones((2, 3)))
    ... except np.linalg.LinAlgError as e:
    ...     print(isinstance(e, wire.ShapeError))
    True
    """



class WireLinAlgError(WireError, LinAlgError):
    """A matrix ``numpy.linalg`` cannot work with, found when the values are known: a singular
    matrix to ``inv``/``solve``, a matrix that is not positive definite to ``cholesky``.
    Both a ``wire.WireError`` and NumPy's ``LinAlgError``; the message names the primitive and
    the user's line.

    Fix: check the matrix (its condition number, its eigenvalues), or use ``lstsq``/``pinv``.

    >>> import numpy as np, wire
    >>> try:
    ...     wire.jit(wire.numpy.linalg.inv)(np.zeros((2, 2)))
    ... except np.linalg.LinAlgError as e:
    ...     print(isinstance(e, wire.WireError), "inv" in str(e))
    True True
    """


class ShapeTypeError(ShapeError, TypeError):
    """An operand of a rank NumPy refuses with ``TypeError`` (``np.tril`` of a 0-d array):
    both a ``wire.ShapeError`` and a ``TypeError``.

    Fix: pass an array of the rank the function needs (``wnp.atleast_2d(x)``).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> try:
    ...     wire.jit(wnp.tril)(np.float64(1.0))
    ... except TypeError as e:
    ...     print(isinstance(e, wire.ShapeError))
    True
    """


def _runtime_classes():
    return ((LinAlgError, WireLinAlgError), (AxisError, WireAxisError), (IndexError, WireIndexError),
            (TypeError, WireTypeError), (ValueError, WireValueError))


def run_time_error(e: BaseException, what: str, loc: str | None):
    """The ``WireError`` to raise for NumPy's exception ``e`` from evaluating ``what`` (a
    primitive's name) at the user's line ``loc``: of a class that is both a ``WireError`` and
    ``e``'s kind (``LinAlgError``, ``IndexError``, ``TypeError``, ``ValueError``), or None
    for anything else (a ``WireError`` already, ``MemoryError``, ``KeyboardInterrupt`` …).

    >>> import numpy as np
    >>> e = run_time_error(np.linalg.LinAlgError("Singular matrix"), "inv", "model.py:3")
    >>> type(e).__name__, str(e)
    ('WireLinAlgError', 'inv: Singular matrix (at model.py:3)')
    """
    if isinstance(e, WireError):
        return None
    for kind, cls in _runtime_classes():
        if isinstance(e, kind):
            return cls(f"{what}: {e}{at(loc)}")
    return None


class OutArgumentError(WireTypeError):
    """``out=`` given with traced values (``wnp.add(x, y, out=buf)`` under ``wire.grad`` or
    ``wire.jit``), or a ufunc's ``where=`` without ``out=``: wire's traced arrays are immutable,
    as JAX's are, so nothing can be written into ``out`` (and ignoring it would be a wrong
    answer). On concrete NumPy arrays outside any transform, ``wire.numpy`` computes such a
    call with NumPy itself, ``out`` included.

    Fix: use the returned value (``y = wnp.add(x, y)``); for ``where=``,
    ``wnp.where(mask, wnp.add(x, y), fill)``.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> try:
    ...     wire.grad(lambda x: wnp.sum(wnp.sin(x, out=np.zeros(2))))(np.ones(2))
    ... except wire.WireTypeError as e:
    ...     print(type(e).__name__)
    OutArgumentError
    """


class GemmUnavailableError(WireError, ImportError):
    """``wire.jit(f, gemm="torch")`` (or ``WIRE_GEMM=torch``) when torch cannot be imported:
    the matrix products of compiled code cannot run through torch's GEMM. Raised when the
    function is jitted, not at its first call.

    Fix: ``pip install torch`` (the ``torch`` extra), or use ``gemm="numpy"`` (NumPy's BLAS,
    the default) or ``gemm="auto"`` (torch where it is installed).

    >>> import wire
    >>> issubclass(GemmUnavailableError, (wire.WireError, ImportError))
    True
    """
