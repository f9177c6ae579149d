"""Tracebacks that start with the user's code: wire's entry points and the filter they apply.

When an error leaves wire — a :class:`wire.WireError`, a user's own ``KeyError`` inside a
traced function, NumPy's ``LinAlgError`` from a singular matrix — the frames inside the
``wire`` package are removed from its traceback (and from the errors chained to it). What is
left is the user's frames (the call into wire, and their own functions wire traced), the
frames of other libraries, and the message. ``WIRE_TRACEBACK=full`` in the environment keeps
every frame; it is read when an error happens, so it can be set in a running session. Every
exception is treated alike, as in JAX: NumPy's C functions raise for bad user input from
wire's lines, so where an error was raised cannot tell a user's mistake from a bug in wire.
To report a bug in wire, rerun with ``WIRE_TRACEBACK=full``.

One mechanism marks where user code enters wire: :func:`entry_point`, a decorator. Every
public namespace applies it to all it exports with :func:`expose` (functions, and the
``__call__`` and public methods of its classes and objects), so a name added to a namespace is
covered without a word; classes whose instances users call (``grad(f)``, ``jit(f)``) carry it
on ``__call__``; and a wire function an entry point returns (an optimizer's ``update``, the
``vjp_fn`` of ``wire.vjp``, alone or in a tuple or namedtuple) is returned as an entry point.

Warnings are moved the same way: NumPy's floating-point warnings (``invalid value
encountered in log``) name the innermost Python frame, wire's line that called NumPy, so while
an entry point runs, NumPy's ``"warn"`` modes stand as ``"log"`` to a writer that issues the
warning at the user's frame (:class:`_Warner`); NumPy's ``np.errstate`` and the user's
``warnings`` filters decide as they do for NumPy's own calls.

Entry points nest (``jit`` traces ``f``, which calls ``wnp.matmul``, itself an entry point):
only the outermost one filters, so an error crosses wire's frames once, however deep the
transforms. This follows JAX's ``traceback_util.api_boundary``; unlike it, wire rebuilds the
traceback the same way under IPython and pytest (both print what the exception carries, and
both also skip frames that set ``__tracebackhide__``, as the entry points' own frames do) and
adds no note to the message, so doctests of errors keep working.

>>> import numpy as np, wire, wire.numpy as wnp
>>> try:
...     wire.grad(lambda x: wnp.sum(x @ np.ones((4, 2))))(np.ones(3))
... except wire.ShapeError as e:
...     tb = e.__traceback__  # filtered already, unless WIRE_TRACEBACK=full
>>> walk(filtered(tb))
['<doctest wire.tracebacks[1]>:2 in <module>', '<doctest wire.tracebacks[1]>:2 in <lambda>']
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import traceback
import types
import warnings
from collections.abc import Callable, Iterable

import numpy as np

__all__ = ["entry_point", "expose", "filtered", "internal", "is_entry_point", "is_wire_file",
           "mode", "operator_entry_point", "walk"]

_WIRE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# code wire compiles at run time (wire.jit's straight-line functions) is named "<wire.jit f>"
_GENERATED = "<wire."
_FunctionType = types.FunctionType


@functools.lru_cache(maxsize=4096)
def is_wire_file(filename: str) -> bool:
    """Whether code from ``filename`` is wire's own: a module of the package, or code wire
    generated (``"<wire.jit f>"``).

    >>> is_wire_file(__file__), is_wire_file("model.py")
    (True, False)
    """
    return filename.startswith(_WIRE_DIR) or filename.startswith(_GENERATED)


def mode() -> str:
    """``"full"`` when ``WIRE_TRACEBACK=full`` is set (keep every frame), else ``"filtered"``.

    >>> mode() in ("full", "filtered")
    True
    """
    return "full" if os.environ.get("WIRE_TRACEBACK", "").strip().lower() == "full" else "filtered"


# --------------------------------------------------------------------------- the filter


def filtered(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without wire's frames: a new chain of the others, in the same order.

    >>> filtered(None) is None
    True
    """
    kept = [(f, lasti, line) for f, lasti, line in _entries(tb)
            if not is_wire_file(f.f_code.co_filename)]
    out = None
    for frame, lasti, line in reversed(kept):
        out = types.TracebackType(out, frame, lasti, line)
    return out


def _entries(tb):
    while tb is not None:
        yield tb.tb_frame, tb.tb_lasti, tb.tb_lineno
        tb = tb.tb_next


def _strip(e: BaseException) -> None:
    """Remove wire's frames from ``e`` and from the errors chained to it (causes, contexts)."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        e.__traceback__ = filtered(e.__traceback__)
        e = e.__cause__ if e.__cause__ is not None else (
            None if e.__suppress_context__ else e.__context__)


def _inside_entry_point(frame) -> bool:
    """Whether an entry point is running further up the stack from ``frame``."""
    while frame is not None:
        code = frame.f_code
        if any(code is c for c in _ENTRY_CODES):
            return True
        frame = frame.f_back
    return False


def _leaving_wire(e: BaseException) -> None:
    # only the outermost entry point filters: it sees the whole way through wire
    if mode() == "full" or _inside_entry_point(sys._getframe(2)):
        return
    _strip(e)


# --------------------------------------------------------------------------- NumPy's warnings


class _Warner:
    """Where NumPy's floating-point warnings go while wire computes: NumPy's ``"log"`` error
    mode hands its message (``"Warning: invalid value encountered in log\\n"``) to ``write``,
    which issues it as NumPy would have, with ``warnings.warn_explicit`` (so the user's
    filters and the once-per-line registry apply), at the innermost frame outside wire (and
    the NumPy and SciPy code wire called) instead of the line of wire that called NumPy."""

    __slots__ = ()

    def write(self, message: str) -> None:
        warn_at_user(message.removeprefix("Warning: ").rstrip("\n"), RuntimeWarning)


def warn_at_user(message: str, category=UserWarning) -> None:
    """Issue a warning at the user's line: the innermost frame outside wire (and the NumPy
    and SciPy code it calls), as ``warnings.warn`` would from there (the user's filters and
    the once-per-line registry apply), rather than at a line of wire's own.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     warn_at_user("careful", RuntimeWarning)
    >>> seen[0].category.__name__, "doctest" in seen[0].filename  # this example's own line
    ('RuntimeWarning', True)
    """
    frame = sys._getframe(1)
    while frame is not None and _not_users(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:  # wire's own frames all the way up (a thread wire started)
        warnings.warn(message, category, stacklevel=2)
        return
    globals_ = frame.f_globals
    # (as warnings.warn does; no module_globals: linecache finds the line by file name)
    warnings.warn_explicit(message, category, frame.f_code.co_filename, frame.f_lineno,
                           module=globals_.get("__name__", "<string>"),
                           registry=globals_.setdefault("__warningregistry__", {}))


_WARNER = _Warner()


@functools.lru_cache(maxsize=4096)
def _not_users(filename: str) -> bool:
    # wire's files and generated code, and those of the libraries it computes with (NumPy's
    # np.mean, SciPy's expm: Python code of theirs between wire's frame and NumPy's C)
    return is_wire_file(filename) or any(d in filename for d in _LIBRARIES)


_LIBRARIES = tuple(f"{os.sep}{name}{os.sep}" for name in ("numpy", "scipy"))


class _Redirects(dict):
    """NumPy's error state (the value of its context variable) -> the same state with each
    ``"warn"`` mode made ``"log"`` to :data:`_WARNER`, or None where it has no ``"warn"``
    mode (``np.errstate(all="ignore")``, ``"raise"`` …, and the states made here) or where
    its ``call=`` is in use (a ``"call"`` or ``"log"`` mode: it is left as it is). A memo of a
    pure function of NumPy's state, keyed by the state object (compared by identity:
    ``np.errstate`` makes a new one on each entry, so the memo is emptied now and then, and
    the states made here are memoized by their modes)."""

    def __missing__(self, state):
        try:
            d = _state_dict()  # the current state's: the one asked for
            key = (d["divide"], d["over"], d["under"], d["invalid"], d["bufsize"])
        except Exception:  # noqa: BLE001 - (as below: NumPy's private helpers changed)
            self[state] = None
            return None
        ours = _MADE.get(key, _MISSING)
        if ours is _MISSING:
            ours = None
            if "warn" in key and "call" not in key and "log" not in key:
                try:
                    ours = _make_state(call=_WARNER, **{
                        k: "log" if m == "warn" else m
                        for k, m in zip(("divide", "over", "under", "invalid"), key)})
                except Exception:  # noqa: BLE001 - NumPy's private helper changed: NumPy's
                    ours = None  # warnings then stay where NumPy puts them
            if len(_MADE) >= 64:
                _MADE.clear()
            _MADE[key] = ours
        if len(self) >= 256:
            self.clear()
        self[state] = ours
        return ours


_REDIRECTS = _Redirects()
_MADE: dict = {}  # (modes, bufsize) -> the state made for them, or None
_MISSING = object()

try:  # NumPy >= 2: the error state is a context variable (per thread and context)
    from numpy._core._ufunc_config import (
        _extobj_contextvar as _contextvar, _get_extobj_dict as _state_dict,
        _make_extobj as _make_state,
    )

    _errstate, _set_errstate, _reset_errstate = (
        _contextvar.get, _contextvar.set, _contextvar.reset)
except ImportError:  # NumPy 1.x: its warnings stay where NumPy puts them
    _REDIRECTS[None] = None

    def _errstate():
        return None

    _set_errstate = _reset_errstate = None


# --------------------------------------------------------------------------- entry points


def entry_point(fn: Callable) -> Callable:
    """``fn`` as a place where user code enters wire: errors leave it with wire's frames
    removed (see the module docstring), and a wire function it returns is an entry point too.

    >>> import numpy as np
    >>> @entry_point
    ... def half(x):
    ...     return np.asarray(x) / 2
    >>> half(3.0), is_entry_point(half), half.__name__
    (np.float64(1.5), True, 'half')
    """
    return fn if is_entry_point(fn) else _entry(fn)


def _entry(fn):
    @functools.wraps(fn)
    def entry(*args, **kwargs):
        __tracebackhide__ = True  # noqa: F841 - pytest and IPython skip this frame
        ours = _REDIRECTS[_errstate()]  # NumPy's warnings at the user's line (see below)
        token = None if ours is None else _set_errstate(ours)
        try:
            out = fn(*args, **kwargs)
        except Exception as e:
            cause = e.__cause__
            if type(e) is ValueError and getattr(cause, "in_place", False):
                # NumPy's "setting an array element with a sequence" for `a[i] = tracer`:
                # wire's own error, which says what to write instead (wire.core.tracer)
                _leaving_wire(cause)
                raise cause from None
            _leaving_wire(e)
            raise  # a bare raise adds no frame: the traceback stays as filtered
        finally:
            if token is not None:
                _reset_errstate(token)
        if type(out) is _FunctionType or isinstance(out, tuple):
            return _returned(out)
        return out

    return entry


def operator_entry_point(fn: Callable) -> Callable:
    """:func:`entry_point` for ``fn`` of one or two positional arguments returning an array
    (Python's operators on a tracer: ``x * y``, ``-x``): the same filter, without packing and
    unpacking ``*args, **kwargs`` (a quarter of a microsecond, on every traced operator
    derivative rules and user code apply).

    >>> import operator
    >>> mul = operator_entry_point(operator.mul)
    >>> mul(2.0, 3.0), is_entry_point(mul), internal(mul) is operator.mul
    (6.0, True, True)
    """
    if is_entry_point(fn):
        return fn
    code = getattr(fn, "__code__", None)
    if (code is None or code.co_argcount not in (1, 2) or code.co_kwonlyargcount
            or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)
            or fn.__defaults__):
        return _entry(fn)  # another signature: the general entry point
    if code.co_argcount == 1:
        @functools.wraps(fn)
        def entry1(x):
            __tracebackhide__ = True  # pytest and IPython skip this frame
            try:
                return fn(x)
            except Exception as e:
                _leaving_wire(e)
                raise

        return entry1

    @functools.wraps(fn)
    def entry2(x, y):
        __tracebackhide__ = True  # pytest and IPython skip this frame
        try:
            return fn(x, y)
        except Exception as e:
            _leaving_wire(e)
            raise

    return entry2


_ENTRY_CODE = _entry(None).__code__  # the code every entry point runs ...
_ENTRY_CODES: tuple = (_ENTRY_CODE,)  # ... and the operators' (below)


def is_entry_point(fn) -> bool:
    """Whether ``fn`` (a function, or a method taken from its class) is an entry point.

    >>> import wire
    >>> is_entry_point(wire.grad), is_entry_point(entry_point(len)), is_entry_point(len)
    (True, True, False)
    """
    code = getattr(fn, "__code__", None)
    return code is not None and any(code is c for c in _ENTRY_CODES)


# (one code object per arity; operator_entry_point asks is_entry_point, hence the first value)
_ENTRY_CODES = (_ENTRY_CODE, operator_entry_point(lambda x: x).__code__,
                operator_entry_point(lambda x, y: x).__code__)


def _returned(out):
    """What an entry point returns, with the wire functions in it made entry points: a
    function, or a tuple or namedtuple holding some (other tuple types are left as they are)."""
    if type(out) is _FunctionType:
        return _entry(out) if _is_wires(out) else out
    for x in out:  # (a loop, not any(): this runs for every tuple of arrays returned)
        if type(x) is _FunctionType and _is_wires(x):
            break
    else:
        return out
    items = [_entry(x) if type(x) is _FunctionType and _is_wires(x) else x for x in out]
    if type(out) is tuple:
        return tuple(items)
    make = getattr(type(out), "_make", None)  # a namedtuple (GradientTransformation …)
    return make(items) if make is not None else out


def _is_wires(fn) -> bool:
    """A function of wire's own that is not an entry point yet."""
    return not is_entry_point(fn) and is_wire_file(fn.__code__.co_filename)


def _is_wire_class(cls) -> bool:
    return getattr(cls, "__module__", "").split(".")[0] == "wire"


def _expose_methods(cls) -> None:
    """Make ``__call__`` and the public methods of ``cls`` and its wire base classes entry
    points (in the classes themselves; properties and other dunders are left alone)."""
    for klass in cls.__mro__:
        if not _is_wire_class(klass):
            continue
        for name, attr in list(vars(klass).items()):
            if (name == "__call__" or not name.startswith("_")) and \
                    type(attr) is _FunctionType and not is_entry_point(attr):
                setattr(klass, name, entry_point(attr))


def _at_home(fn, entry, name: str, homes: _Homes):
    """``entry`` put in place of ``fn`` in the module that defines it too, so the function is
    one object wherever it is found, and named there so that ``pickle`` (which stores a
    function as its module and qualified name) finds this very object. ``fn`` may be local to
    a factory (``_float_unary.<locals>.f``) or wrap the function the module holds (the
    deferring forms of ``wire.numpy``): its public names there are rebound to ``entry`` all
    the same. Where the module already holds an entry point for the same function (exposed
    by another namespace: ``wire.numpy.linalg.matmul``), that one is returned instead, so
    both namespaces hold one object. Private aliases (``_matmul = matmul``) keep what they
    hold: they are how the module calls it itself without paying for an entry point (see
    :func:`internal`)."""
    home = sys.modules.get(fn.__module__)
    if home is None:
        return entry
    held = _wrapped_chain(fn)
    names = homes.holding(home, held)  # its name, public aliases
    if not names:
        found = homes.entry_point_of(home, held)
        return entry if found is None else found
    for n in names:
        setattr(home, n, entry)
        homes.bound(vars(home), n, entry)
    # (the module's own names, not getattr: wire.numpy's __getattr__ looks for near names)
    if vars(home).get(entry.__qualname__) is not entry:
        entry.__qualname__ = name if name in names else names[0]
    return entry


class _Homes:
    """Where the public names of the modules :func:`expose` rebinds stand: for each module
    (indexed on first use, then kept up to date as names are bound), the names holding each
    object, and the entry points wrapping each function (indexed when first asked for). A
    module's names are read once per :func:`expose`, not once per function it exposes
    (``wire.numpy``'s ~500 functions come from a dozen modules of up to hundreds of names)."""

    def __init__(self):
        self._holders = {}  # id(module dict) -> {id(value): [(position, name)]}, positions
        self._wrappers = {}  # id(module dict) -> {id(wrapped): [(position, name)]}

    def _index(self, namespace: dict):
        index = self._holders.get(id(namespace))
        if index is None:
            holders, positions = index = self._holders[id(namespace)] = ({}, {})
            for n, value in namespace.items():
                if not n.startswith("_"):
                    positions[n] = position = len(positions)
                    holders.setdefault(id(value), []).append((position, n))
        return index

    def bound(self, namespace: dict, n: str, value) -> None:
        """``namespace[n]`` was just set to ``value`` (by :func:`expose`)."""
        index = self._holders.get(id(namespace))
        if index is None or n.startswith("_"):
            return
        holders, positions = index
        position = positions.setdefault(n, len(positions))
        holders.setdefault(id(value), []).append((position, n))
        wrappers = self._wrappers.get(id(namespace))
        if wrappers is not None and is_entry_point(value):
            for i in _wrapped_chain(value):
                wrappers.setdefault(i, []).append((position, n))

    def holding(self, home, held: set) -> list:
        """``home``'s public names whose value is one of the objects ``held`` (ids), in the
        module's order."""
        namespace = vars(home)
        holders = self._index(namespace)[0]
        found = {(position, n) for i in held for position, n in holders.get(i, ())
                 if id(namespace.get(n)) in held}  # (a name may have been bound since)
        return [n for _, n in sorted(found)]

    def entry_point_of(self, home, held: set):
        """The first of ``home``'s public values that is an entry point wrapping one of the
        objects ``held`` (ids), or None."""
        namespace = vars(home)
        wrappers = self._wrappers.get(id(namespace))
        if wrappers is None:
            wrappers = self._wrappers[id(namespace)] = {}
            positions = self._index(namespace)[1]
            for n, value in namespace.items():
                if n in positions and is_entry_point(value):
                    for i in _wrapped_chain(value):
                        wrappers.setdefault(i, []).append((positions[n], n))
        for _, n in sorted(p for i in held for p in wrappers.get(i, ())):
            value = namespace.get(n)
            if is_entry_point(value) and _wrapped_chain(value) & held:
                return value
        return None


def _wrapped_chain(fn) -> set:
    """The ids of ``fn`` and of the functions it wraps (``__wrapped__``, transitively)."""
    ids = set()
    while fn is not None and id(fn) not in ids:
        ids.add(id(fn))
        fn = getattr(fn, "__wrapped__", None)
    return ids


def internal(fn: Callable) -> Callable:
    """The function behind entry point ``fn`` (``fn`` itself if it is none): what wire's own
    code calls, so that its calls to its public functions do not pass through the entry
    points meant for the user's (an error still leaves through the user's outermost one).

    >>> import wire
    >>> flatten = internal(wire.tree.flatten)
    >>> is_entry_point(flatten), flatten((1.0, 2.0))[0]
    (False, [1.0, 2.0])
    """
    return fn.__wrapped__ if is_entry_point(fn) else fn


def expose(namespace: dict, names: Iterable[str]) -> None:
    """Make every public callable of a namespace an entry point: its functions (replaced in
    ``namespace`` and in the module defining them), the ``__call__`` and public methods of its
    classes and of the objects it holds (``wire.scipy.stats.norm``). Only wire's own are
    touched; a module in it is not.

    >>> import wire
    >>> is_entry_point(wire.numpy.sum), is_entry_point(wire.scipy.stats.norm.logpdf)
    (True, True)
    """
    made = {}  # one entry point per function, so aliases stay one object (he_normal …)
    homes = _Homes()
    for name in names:
        obj = namespace.get(name)
        if isinstance(obj, types.ModuleType) or obj is None:
            continue
        if type(obj) is _FunctionType:
            if is_wire_file(obj.__code__.co_filename):
                if id(obj) not in made:
                    made[id(obj)] = _at_home(obj, entry_point(obj), name, homes)
                namespace[name] = made[id(obj)]
                homes.bound(namespace, name, made[id(obj)])
        elif isinstance(obj, type):
            if _is_wire_class(obj):
                _expose_methods(obj)
        elif _is_wire_class(type(obj)):
            _expose_methods(type(obj))


def walk(tb: types.TracebackType | None) -> list[str]:
    """``"file:line in name"`` of each frame of ``tb``, outermost first (for tests and docs).

    >>> walk(None)
    []
    """
    return [f"{os.path.basename(f.f_code.co_filename)}:{line} in {f.f_code.co_name}"
            for f, line in traceback.walk_tb(tb)]
