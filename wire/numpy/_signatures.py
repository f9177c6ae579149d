"""``wire.numpy``'s functions take NumPy's parameters: NumPy's positional order, NumPy's
keyword names, ``out=`` and (for ufuncs) ``where=``.

A function whose own parameters differ from its NumPy namesake's (``add(x, y)`` against
``np.add(x1, x2, /, out=None, *, where=True, ...)``, ``sum`` with ``keepdims`` before ``out``)
is wrapped once, when ``wire.numpy`` is imported, in a front generated from NumPy's signature
(its code is written when it is first called or its signature first read): it maps each
NumPy parameter onto the function's own (same name, or same place), and wire's parameters
NumPy does not have become keyword-only. NumPy's parameters the function does not
take (``out=``, a ufunc's ``where=``, ``casting=``, ``order=`` …) cost one identity test each
while they hold NumPy's defaults; otherwise, on concrete values NumPy's own function computes
the call as given (so ``np.add(a, b, out=c)`` writes into ``c`` exactly as NumPy does), and on
traced values the call is refused with a ``WireError``: a traced array is immutable, so ``out``
is never silently ignored. A ufunc's ``dtype=`` and ``signature=`` (with ``casting=``) are the
exception, and so is ``casting=`` on its own: on traced values the operands are cast to the
loop NumPy selects, checked by the casting rule (:func:`_ufunc_loop`).
"""

from __future__ import annotations

import collections
import functools
import inspect
import sys
import threading
import types

import numpy as np

from .. import tracebacks
from ..core import Tracer, WeakTracer, current_trace, to_tracer
from ..core.debug import _NANS
from ..errors import OutArgumentError, WireNotImplementedError, WireTypeError, at, user_location
from ..tracebacks import is_wire_file
from . import _deferring, _eager, _refusals
from ._promote import cast, dtype_of, strong, strong_out, weak_behind

_P = inspect.Parameter
_POSITIONAL = (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD)
_NO_VALUE = np._NoValue


def numpy_signature(np_fn):
    """NumPy's signature of ``np_fn``, or None where it has none to read (see
    :func:`signature`)."""
    return signature(np_fn)


class Parameters:
    """The parameters of a callable as ``inspect.signature`` gives them, as far as
    :func:`covers`, :func:`adapt` and the fronts read them (each one's name, kind and
    default, in ``parameters``, by name): :func:`signature`'s answer for plain functions.

    >>> def f(a, /, b=1, *args, c, d=2, **kw): pass
    >>> [tuple(p) for p in signature(f).parameters.values()] == [
    ...     (p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]
    True
    """

    __slots__ = ("parameters",)

    def __init__(self, parameters: dict):
        self.parameters = parameters

    def __eq__(self, other):
        if not isinstance(other, Parameters):
            return NotImplemented
        return list(self.parameters.values()) == list(other.parameters.values())

    __hash__ = None


_Param = collections.namedtuple("_Param", "name kind default")


def signature(obj):
    """``obj``'s signature (``inspect.signature``'s, or None where it has none to read);
    where ``obj`` is a plain function, or wraps one (``__wrapped__``: NumPy's
    ``array_function_dispatch`` …) with no ``__signature__`` on the way, its
    :class:`Parameters` read from the code object, as ``inspect`` reads them but without
    making a ``Parameter`` of each (which was most of reading ~350 signatures at import)."""
    f = obj
    for _ in range(100):
        if isinstance(f, types.MethodType) or hasattr(f, "__signature__"):
            break
        wrapped = getattr(f, "__wrapped__", None)
        if wrapped is not None:
            f = wrapped
            continue
        if type(f) is types.FunctionType and not hasattr(f, "_partialmethod") \
                and not getattr(f, "__text_signature__", None):
            return _from_code(f)
        break
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _from_code(f) -> Parameters:
    code = f.__code__
    names, n_pos, n_kw = code.co_varnames, code.co_argcount, code.co_kwonlyargcount
    defaults, kwdefaults = f.__defaults__ or (), f.__kwdefaults__ or {}
    first_default = n_pos - len(defaults)
    params = []
    for i, name in enumerate(names[:n_pos]):
        kind = _P.POSITIONAL_ONLY if i < code.co_posonlyargcount else _P.POSITIONAL_OR_KEYWORD
        params.append(_Param(name, kind, defaults[i - first_default] if i >= first_default
                             else _P.empty))
    at = n_pos + n_kw
    if code.co_flags & inspect.CO_VARARGS:
        params.append(_Param(names[at], _P.VAR_POSITIONAL, _P.empty))
        at += 1
    for name in names[n_pos:n_pos + n_kw]:
        params.append(_Param(name, _P.KEYWORD_ONLY, kwdefaults.get(name, _P.empty)))
    if code.co_flags & inspect.CO_VARKEYWORDS:
        params.append(_Param(names[at], _P.VAR_KEYWORD, _P.empty))
    return Parameters({p.name: p for p in params})


def covers(np_sig: inspect.Signature, own: inspect.Signature) -> bool:
    """Whether a function of signature ``own`` already takes every call ``np_sig`` takes,
    meaning the same: NumPy's positional parameters first, in NumPy's order and with NumPy's
    names, and each of NumPy's keyword parameters by name.

    >>> import numpy as np
    >>> covers(inspect.signature(np.tensordot), inspect.signature(lambda a, b, axes=2: 0))
    True
    >>> covers(inspect.signature(np.add), inspect.signature(lambda x, y: 0))
    False
    """
    np_params = list(np_sig.parameters.values())
    own_params = list(own.parameters.values())
    np_pos = [p for p in np_params if p.kind in _POSITIONAL]
    own_pos = [p for p in own_params if p.kind in _POSITIONAL]
    if len(own_pos) < len(np_pos) or any(  # (the name of a positional-only one is no matter)
            p.name != q.name and p.kind is not _P.POSITIONAL_ONLY for p, q in zip(np_pos, own_pos)):
        return False
    if any(q.default is _P.empty for q in own_pos[len(np_pos):]):
        return False
    names = {q.name for q in own_params if q.kind is not _P.POSITIONAL_ONLY}
    var_kw = any(q.kind is _P.VAR_KEYWORD for q in own_params)
    for p in np_params:
        if p.kind is _P.VAR_POSITIONAL:
            if not any(q.kind is _P.VAR_POSITIONAL for q in own_params):
                return False
        elif p.kind is _P.KEYWORD_ONLY and p.name not in names and not var_kw:
            return False
    return True


def _plan(np_sig, own_sig):
    """How each of NumPy's parameters reaches the function: ``{numpy name: own name}`` for
    those it takes (by name, else the positional parameter at the same place under another
    name), and the list of NumPy's parameters it does not take. None where no front can be
    made (NumPy's ``*args`` against none, a required parameter NumPy does not have)."""
    np_params = list(np_sig.parameters.values())
    own_params = list(own_sig.parameters.values())
    own_by_name = {q.name: q for q in own_params}
    np_names = {p.name for p in np_params}
    own_pos = [q for q in own_params if q.kind in _POSITIONAL]
    to_own, unsupported, used = {}, [], set()
    for i, p in enumerate(np_params):
        if p.kind is _P.VAR_POSITIONAL:
            star = [q for q in own_params if q.kind is _P.VAR_POSITIONAL]
            if not star:
                return None
            to_own[p.name] = star[0].name
            used.add(star[0].name)
        elif p.kind is _P.VAR_KEYWORD:
            unsupported.append(p)
        elif p.name in own_by_name and own_by_name[p.name].kind not in (
                _P.VAR_POSITIONAL, _P.VAR_KEYWORD):
            to_own[p.name] = p.name
            used.add(p.name)
        elif (p.kind in _POSITIONAL and i < len(own_pos) and own_pos[i].name not in np_names
              and own_pos[i].name not in used):
            to_own[p.name] = own_pos[i].name
            used.add(own_pos[i].name)
        else:
            unsupported.append(p)
    if any(p.default is _P.empty for p in unsupported if p.kind is not _P.VAR_KEYWORD):
        return None
    extras = [q for q in own_params if q.name not in used and q.kind is not _P.VAR_POSITIONAL]
    if any(q.default is _P.empty for q in extras if q.kind is not _P.VAR_KEYWORD):
        return None
    return to_own, unsupported, extras


def adapt(name: str, fn, np_fn, module: str | None = None):
    """``fn`` (``wire.numpy``'s ``name``) behind a front taking ``np_fn``'s parameters, or
    ``fn`` itself where it takes them already (or where NumPy's cannot be read). The front
    belongs to ``module`` (the namespace it is put in, where ``pickle`` finds it by name),
    not to ``fn``'s: ``fn``'s own module keeps calling ``fn`` with ``fn``'s parameters.

    >>> import numpy as np
    >>> def add(x, y):
    ...     return np.add(x, y)
    >>> front = adapt("add", add, np.add)
    >>> import inspect; list(inspect.signature(front).parameters)[:4]
    ['x1', 'x2', 'out', 'where']
    >>> out = np.zeros(2)
    >>> front(np.ones(2), 2.0, out) is out, out
    (True, array([3., 3.]))
    """
    np_sig = numpy_signature(np_fn)
    own_sig = signature(fn)
    if np_sig is None or own_sig is None or covers(np_sig, own_sig):
        return fn
    plan = _plan(np_sig, own_sig)
    if plan is None:
        return fn
    return _generate(name, fn, np_fn, module, np_sig, own_sig, *plan)


def _generate(name, fn, np_fn, module, np_sig, own_sig, to_own, unsupported, extras):
    """The front: a stand-in until it is first called or its signature first read (most of
    NumPy's names are never called in a given program, and writing and compiling ~150
    fronts was an eighth of ``import wire``); then :class:`_Making` gives it its code."""
    env = {}
    exec(_STAND_IN, env)  # noqa: S102
    front = env["front"]
    making = _Making(front, env, (name, fn, np_fn, np_sig, own_sig, to_own, unsupported,
                                  extras))
    env["_made"] = making.made
    front.__module__ = module or fn.__module__
    front.__name__ = front.__qualname__ = name
    front.__doc__ = fn.__doc__
    front.__wrapped__ = fn
    front.__wire_numpy_front__ = fn
    front.__signature__ = _Signature(making)
    return front


# a front until it is made: the same function object then takes the generated code
_STAND_IN = compile("def front(*args, **kwargs):\n    return _made()(*args, **kwargs)\n",
                    __file__, "exec")
_MAKING = threading.Lock()


class _Making:
    """Gives a stand-in front its code, once: the generated function's code, defaults and
    signature (its defaults first, the code last, so that a call in another thread meanwhile
    runs either the stand-in, which waits here, or the whole front)."""

    __slots__ = ("front", "env", "spec", "signature")

    def __init__(self, front, env, spec):
        self.front, self.env, self.spec, self.signature = front, env, spec, None

    def made(self):
        if self.signature is None:
            with _MAKING:
                if self.signature is None:
                    made = _made_front(self.env, *self.spec)
                    front = self.front
                    front.__defaults__ = made.__defaults__
                    front.__kwdefaults__ = made.__kwdefaults__
                    front.__code__ = made.__code__
                    self.env["front"] = front
                    self.signature = inspect.signature(made)
        return self.front


class _Signature(inspect.Signature):
    """A front's signature (NumPy's parameters, see :func:`adapt`), read from its generated
    code when first asked for: equal to it, printed the same (``help``), bound the same."""

    __slots__ = ("_making",)

    def __init__(self, making: _Making):  # (inspect.Signature's own slots stay unset)
        self._making = making

    def _made(self) -> inspect.Signature:
        self._making.made()
        return self._making.signature

    @property
    def _parameters(self):
        return self._made().parameters

    @property
    def _return_annotation(self):
        return self._made().return_annotation

    def replace(self, **changes):
        return self._made().replace(**changes)

    def __reduce__(self):
        return self._made().__reduce__()

    def __repr__(self):
        return repr(self._made())


def _made_front(env, name, fn, np_fn, np_sig, own_sig, to_own, unsupported, extras):
    """The front's function, generated from the two signatures into ``env``."""
    own_params = own_sig.parameters
    own_pos = [q.name for q in own_params.values() if q.kind in _POSITIONAL]
    env.update({"_fn": fn, "_np_fn": np_fn, "_slow": _slow, "_name": name})
    params, call_pos, call_kw, checks, all_names = [], [], [], [], []
    state = None  # the kind of the last parameter written (to place "/" and "*")
    positional_ok = True  # the call passes NumPy's leading parameters by position

    def add_param(text, kind):
        nonlocal state
        if state is _P.POSITIONAL_ONLY and kind is not _P.POSITIONAL_ONLY:
            params.append("/")
        if kind is _P.KEYWORD_ONLY and state in (None, _P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD):
            params.append("*")
        params.append(text)
        state = kind

    np_defaults, own_defaults = {}, {}
    np_var_kw = None
    # the function's own optional parameters the call may leave out while they hold the
    # front's default (the function's own default: the same call)
    droppable = {}  # generated name -> the local holding its default
    for i, p in enumerate(np_sig.parameters.values()):
        local = f"_v{i}"  # the generated parameter names are NumPy's (valid identifiers)
        if p.kind is _P.VAR_POSITIONAL:
            add_param(f"*{p.name}", _P.VAR_POSITIONAL)
            state = _P.KEYWORD_ONLY  # after *args, the rest are keyword-only already
            call_pos.append(f"*{p.name}")
            all_names.append((p.name, "*"))
            continue
        if p.kind is _P.VAR_KEYWORD:  # (written last, after wire's keyword-only extras)
            np_var_kw = p.name
            continue
        own_name = to_own.get(p.name)
        if own_name is not None:
            q = own_params[own_name]
            default = p.default if q.default is _P.empty or p.default is _P.empty else q.default
            if p.default is _P.empty:
                default = _P.empty
            own_defaults[p.name] = default
        else:
            default = p.default
            np_defaults[p.name] = p.default
        if default is _P.empty:
            add_param(p.name, p.kind)
        else:
            env[local] = default
            add_param(f"{p.name}={local}", p.kind)
            if own_name is not None and default is own_params[own_name].default:
                droppable[p.name] = local
        all_names.append((p.name, p.kind))
        if own_name is None:
            checks.append(f"{p.name} is {local}" if default is not None else f"{p.name} is None")
            continue
        if positional_ok and len(call_pos) < len(own_pos) and own_pos[len(call_pos)] == own_name \
                and p.kind in _POSITIONAL:
            call_pos.append(p.name)
        else:
            positional_ok = False
            call_kw.append(f"{own_name}={p.name}")
    extra_names = []
    own_var_kw = None
    for j, q in enumerate(extras):
        if q.kind is _P.VAR_KEYWORD:
            own_var_kw = q.name
            continue
        local = f"_e{j}"
        env[local] = q.default
        add_param(f"{q.name}={local}", _P.KEYWORD_ONLY)
        call_kw.append(f"{q.name}={q.name}")
        droppable[q.name] = local
        extra_names.append((local, q.name))
    if own_var_kw is not None:  # the function's **kwargs take NumPy's too, if it has any
        add_param(f"**{own_var_kw}", _P.VAR_KEYWORD)
        call_kw.append(f"**{own_var_kw}")
        extra_names.append(("**", own_var_kw))
    elif np_var_kw is not None:
        add_param(f"**{np_var_kw}", _P.VAR_KEYWORD)
        checks.append(f"not {np_var_kw}")
        all_names.append((np_var_kw, "**"))
    if state is _P.POSITIONAL_ONLY:
        params.append("/")
    env["_np_defaults"] = np_defaults
    env["_own_defaults"] = own_defaults
    env["_kinds"] = tuple(all_names)
    env["_extras"] = tuple(extra_names)
    call = ", ".join(call_pos + call_kw)
    # the call again with NumPy's positional-only operands replaced (a ufunc's inputs, cast
    # to the loop ``dtype=`` or ``signature=`` selects)
    operands = [n for n, kind in all_names if kind is _P.POSITIONAL_ONLY]
    redo = f"lambda {', '.join(f'{n}={n}' for n in operands)}: _fn({call})"
    values = ", ".join(f"{n!r}: {n}" for n, _ in all_names)
    extra_values = ", ".join(f"{n!r}: {n}" for _, n in extra_names)
    fast = " and ".join(checks) or "True"
    invoke = (f"    if {fast}:\n"
              f"{_fast_call(fn, call, call_pos, call_kw, droppable, env)}"
              f"    else:\n"
              f"        _r = ")  # (then the slow call, below)
    block = _eager.front_block(name, np_fn, all_names, np_defaults, own_defaults,
                               extra_names, env)
    slow = (f"_slow(_name, _fn, _np_fn, _kinds, _np_defaults, _own_defaults,\n"
            f"                 {{{values}}},\n"
            f"                 _extras, {{{extra_values}}}, {redo})")
    if block:  # (under debug_nans the block sets _np_chk: the result is checked)
        tail = (f"{invoke}{slow}\n"
                f"    if _np_chk:\n"
                f"        _np_check(_name, {{{values}}}, _r)\n"
                f"    return _r\n")
    else:  # (under debug_nans a concrete result is checked: see _eager.check_nans)
        env.update({"_np_nans_on": _NANS.get, "_np_check_nans": _eager.check_nans})
        tail = (f"{invoke}{slow}\n"
                f"    if _np_nans_on():\n"
                f"        _np_check_nans(_name, {{{values}}}, _r)\n"
                f"    return _r\n")
    # NumPy's refusal of concrete operands (its ValueError, AxisError …): wire's error
    # instead (wire.numpy._refusals); a try costs a call that succeeds nothing
    kinds_all = tuple(all_names) + tuple((n, "**" if local == "**" else "extra")
                                         for local, n in extra_names)
    env.update({"_np_refusals": _refusals.REFUSALS, "_np_refused": _refused_call,
                "_kinds_all": kinds_all})
    body = "".join("    " + line + "\n" for line in (block + tail).splitlines())
    src = (f"def front({', '.join(params)}):\n"
           f"    try:\n{body}"
           f"    except _np_refusals as _np_e:\n"
           f"        _np_x = _np_refused(_name, front, _np_e, _kinds_all,\n"
           f"                            {{{', '.join(f'{n!r}: {n}' for n, _ in kinds_all)}}})\n"
           f"        if _np_x is None:\n"
           f"            raise\n"
           f"        raise _np_x from None\n")
    exec(_compiled(src), env)  # noqa: S102
    return env["front"]


def _fast_call(fn, call, call_pos, call_kw, droppable, env) -> str:
    """The front's call of ``fn`` while NumPy's parameters it does not take hold their
    defaults (``call``: every parameter passed), as lines setting ``_r``, made short where
    that is the same call (the layers' packing and unpacking of arguments, and their frames,
    were most of a traced ``wnp.sum``):

    - ``fn``'s own optional parameters at their defaults are left out (``_fn(a)`` for
      ``sum(a)``, not ``_fn(a, axis, dtype, out=out, keepdims=...)``), where every layer
      behind the front has the same default;
    - the function behind ``strong_result`` is called, its result made strongly typed here;
    - behind the deferring form (``_deferring``), which names a deferred node by the
      arguments it is given, the short call is made only for operands that are not deferred
      (a traced array of known shape, a NumPy array); for traced operands of known shape
      the deferring form is passed (it has nothing to defer), doing here what it does:
      NumPy's refusal as wire's error (``_refusals.refused``, of the function's own name),
      the ``debug_nans`` check of a concrete result."""
    droppable = {n: local for n, local in droppable.items()
                 if _same_default_behind(fn, _own_name(n, call_pos, call_kw), env[local])}
    kept = [n for n in call_pos if n not in droppable]
    left_out = call_pos[len(kept):] + [kw.split("=", 1)[1] for kw in call_kw]
    if kept != call_pos[:len(kept)] or any(n.startswith("*") for n in call_pos) or any(
            kw.startswith("**") or kw.split("=", 1)[1] not in droppable for kw in call_kw):
        kept, left_out = None, []  # (a parameter required after an optional one, or *args)
    short = ", ".join(kept) if kept is not None else call
    defaults = [f"{n} is {droppable[n]}" for n in left_out]
    deferring = _deferring.is_deferring(fn)
    behind = weak_behind(fn.__wrapped__) if deferring else weak_behind(fn)
    strong = behind is not (fn.__wrapped__ if deferring else fn)
    env.update({"_np_Tracer": Tracer, "_np_ndarray": np.ndarray, "_np_behind": behind,
                "_np_WeakTracer": WeakTracer, "_np_strong_out": strong_out})
    made_strong = ["if type(_r) is _np_WeakTracer or type(_r) is tuple:",
                   "    _r = _np_strong_out(_r)"] if strong else []
    if not deferring:
        if not left_out:
            return _lines(8, [f"_r = _np_behind({call})"] + made_strong)
        return _lines(8, [f"if {' and '.join(defaults)}:", f"    _r = _np_behind({short})",
                          "else:", f"    _r = _np_behind({call})"] + made_strong)
    if kept is None:
        return _lines(8, [f"_r = _fn({call})"])
    env.update({"_np_dname": fn.__name__, "_np_drefused": _refusals.refused,
                "_np_dnans_on": _NANS.get, "_np_dcheck_nans": _eager.check_nans})
    traced = [f"type({n}) is _np_Tracer and {n}.node.aval.shape is not None" for n in kept]
    arrays = [f"(type({n}) is _np_Tracer and {n}.node.aval.shape is not None "
              f"or type({n}) is _np_ndarray)" for n in kept]
    args = f"({short},)" if kept else "()"
    lines = [f"if {' and '.join(defaults + traced) or 'True'}:",
             "    try:",
             f"        _r = _np_behind({short})"] + [f"        {t}" for t in made_strong] + [
             "    except _np_refusals as _np_e:",
             f"        _np_x = _np_drefused(_np_dname, _fn, _np_e, {args}, {{}})",
             "        if _np_x is None:",
             "            raise",
             "        raise _np_x from None",
             "    if _np_dnans_on():",
             f"        _np_dcheck_nans(_np_dname, ({args}, {{}}), _r)"]
    if left_out:
        lines += [f"elif {' and '.join(defaults + arrays)}:", f"    _r = _fn({short})"]
    return _lines(8, lines + ["else:", f"    _r = _fn({call})"])


def _lines(indent: int, lines) -> str:
    return "".join(" " * indent + line + "\n" for line in lines)


def _own_name(n, call_pos, call_kw):
    """The function's name (or place, an int) of the front's parameter ``n``."""
    if n in call_pos:
        return call_pos.index(n)
    return next(kw.split("=", 1)[0] for kw in call_kw if kw.split("=", 1)[1] == n)


def _same_default_behind(fn, which, default) -> bool:
    """Whether every layer behind ``fn`` (``fn`` and its ``__wrapped__`` functions) that has
    parameter ``which`` (a name, or a place among the positional ones) gives it ``default``:
    leaving it out of a call is then passing it."""
    f = fn
    for _ in range(100):
        if type(f) is not types.FunctionType:
            return False
        for i, p in enumerate(_from_code(f).parameters.values()):
            if p.kind in (_P.VAR_POSITIONAL, _P.VAR_KEYWORD):
                continue
            if (p.name == which if isinstance(which, str) else
                    (i == which and p.kind in _POSITIONAL)) and p.default is not default:
                return False
        f = getattr(f, "__wrapped__", None)
        if f is None:
            return True
    return False


@functools.lru_cache(maxsize=None)
def _compiled(src: str):
    """``src`` compiled (the ufuncs' fronts share a few texts), as this file's code: wire's
    own frame, which tracebacks leave out."""
    return compile(src, __file__, "exec")


def _refused_call(name, front, e, kinds, values):
    """:func:`wire.numpy._refusals.refused` for a front's call, rebuilt from its parameters'
    ``values`` (``kinds``: each one's kind, wire's own keyword-only ones ``"extra"``)."""
    args, kwargs = [], {}
    for n, kind in kinds:
        if n not in values:
            continue
        v = values[n]
        if kind == "*":
            args.extend(v)
        elif kind == "**":
            kwargs.update(v)
        elif kind is _P.POSITIONAL_ONLY:
            args.append(v)
        else:
            kwargs[n] = v
    return _refusals.refused(name, front, e, tuple(args), kwargs)


def own(fn):
    """The function behind a front made by :func:`adapt` (``fn`` itself if it is none, or a
    wrapper of a front: a copy of the attribute by ``functools.wraps`` does not count)."""
    behind = getattr(fn, "__wire_numpy_front__", None)
    return behind if behind is not None and getattr(fn, "__wrapped__", None) is behind else fn


def operator_of(fn):
    """The function behind :func:`own` ``(fn)`` that Python's operators call: past the
    strongly typed result of the public function too (``wire.numpy._promote.strong_result``:
    an operator on weakly typed operands stays weak, as Python's arithmetic)."""
    return weak_behind(own(fn))


def _holds_tracer(v) -> bool:
    if isinstance(v, Tracer):
        return True
    if isinstance(v, (list, tuple)):
        return any(_holds_tracer(b) for b in v)
    if isinstance(v, dict):
        return any(_holds_tracer(b) for b in v.values())
    return False


def _at_default(value, default) -> bool:
    if value is default:
        return True
    if default is _NO_VALUE or value is _NO_VALUE:
        return False
    if isinstance(default, tuple) and all(d is None for d in default):  # out=(None, None)
        return value is None or (isinstance(value, tuple) and all(v is None for v in value))
    if isinstance(default, (str, bool, int)) and type(value) is type(default):
        return value == default
    return False


def _slow(name, fn, np_fn, kinds, np_defaults, own_defaults, values, extras, extra_values,
          call_own):
    """A call with one of NumPy's parameters the function does not take set (``out=``,
    ``where=``, ``casting=`` …): NumPy's own function computes it on concrete values;
    traced, the call is refused (a traced array cannot be written into, and the others have
    no traced form)."""
    set_ = {n: values[n] for n, d in np_defaults.items() if not _at_default(values[n], d)}
    for n, kind in kinds:
        if kind == "**" and values[n]:
            set_.update(values[n])
    if not set_:
        return call_own()
    own_extras_set = any(
        (local != "**" and extra_values[n] is not _extra_default(fn, n)) or
        (local == "**" and extra_values[n]) for local, n in extras)
    if isinstance(np_fn, np.ufunc) and set_.keys() <= _LOOP_PARAMETERS and not own_extras_set \
            and _holds_tracer(values):
        return _ufunc_loop(name, np_fn, kinds, values, call_own)
    if not _holds_tracer(values) and not own_extras_set:
        args, kwargs = [], {}
        for n, kind in kinds:
            v = values[n]
            if kind == "*":
                args.extend(v)
            elif kind == "**":
                kwargs.update(v)
            elif kind is _P.POSITIONAL_ONLY:
                args.append(v)
            elif (n in np_defaults and _at_default(v, np_defaults[n])) or (
                    n in own_defaults and v is own_defaults[n]):
                continue  # (NumPy's own default, where the function's differs)
            else:
                kwargs[n] = v
        return np_fn(*args, **kwargs)
    where = f"wire.numpy.{name}(..., {', '.join(f'{k}=...' for k in set_)})"
    if "out" in set_:
        raise OutArgumentError(
            f"{where}: wire's traced arrays are immutable, so out= cannot be written into; "
            f"use the returned value (y = wnp.{name}(...) rather than wnp.{name}(..., out=y))"
            f"{at(user_location())}")
    if "where" in set_:
        raise OutArgumentError(
            f"{where}: a ufunc's where= without out= leaves NumPy's result undefined where "
            f"it is False, and wire's traced arrays cannot be written into; write "
            f"wnp.where(mask, wnp.{name}(...), fill) instead{at(user_location())}")
    raise WireNotImplementedError(
        f"{where}: NumPy's parameter{'s' if len(set_) > 1 else ''} "
        f"{', '.join(f'{k}={v!r}' for k, v in set_.items())} "
        f"{'are' if len(set_) > 1 else 'is'} not supported on traced values (only "
        f"NumPy's default){at(user_location())}")


# a ufunc's parameters choosing the loop it computes with (and the casting rule its operands
# are checked by), which wire follows on traced values by casting the operands to the loop
# (out=, where=, order=, subok= are refused there)
_LOOP_PARAMETERS = frozenset(("dtype", "signature", "casting"))


def _loop_dtype(v):
    """What ``ufunc.resolve_dtypes`` takes for operand ``v``: its dtype, or the type of a
    Python scalar (weakly typed, NEP 50) — a weakly typed tracer counts as one."""
    d = dtype_of(v)
    if isinstance(d, np.dtype):
        return d
    return np.dtype(bool) if type(d) is bool else type(d)


def _ufunc_loop(name, ufunc, kinds, values, call_own):
    """``ufunc``'s call with ``dtype=``, ``signature=`` or ``casting=`` on traced operands, as
    NumPy computes it: the loop NumPy selects for the operands' dtypes (``resolve_dtypes``,
    which also checks the operands' casting to it by the casting rule, ``same_kind`` by
    default), each operand cast to its input dtype (a ``convert`` node: derivatives flow
    through it), the function on the cast operands, its results cast to the loop's output
    dtypes.

    >>> import wire, wire.numpy as wnp
    >>> wire.grad(lambda x: wnp.sum(wnp.multiply(x, 3, dtype=np.float32)))(np.ones(2))
    array([3., 3.])
    >>> wire.jit(lambda x: wnp.add(x, 1, dtype=np.float32))(np.arange(2))
    array([1., 2.], dtype=float32)
    >>> wire.jit(lambda x: wnp.add(x, 1.5, casting="no"))(np.arange(2.0))
    array([1.5, 2.5])
    """
    dtype = values.get("dtype")
    signature = values.get("signature")
    casting = values.get("casting", "same_kind")
    where = f"wire.numpy.{name}"
    if dtype is not None and signature is not None:
        raise WireTypeError(f"{where}: cannot specify both 'signature' and 'dtype' (NumPy "
                            f"refuses it too){at(user_location())}")
    nin, nout = ufunc.nin, ufunc.nout
    operands = [values[n] for n, _ in kinds[:nin]]
    try:
        if dtype is not None:
            signature = (None,) * nin + (np.dtype(dtype),) * nout
        elif isinstance(signature, (tuple, list)):
            signature = tuple(None if s is None else np.dtype(s) for s in signature)
        have = tuple(_loop_dtype(v) for v in operands)
        if casting == "equiv":  # NumPy's resolve_dtypes crashes on a Python scalar's type
            # under 'equiv'; its ufuncs cast one under 'equiv' only to its own default dtype
            have = tuple(d if isinstance(d, np.dtype) else np.dtype(d) for d in have)
        chosen = {} if signature is None else {"signature": signature}  # (None refused)
        loop = ufunc.resolve_dtypes(have + (None,) * nout, casting=casting, **chosen)
        fixed = signature[:nin] if dtype is None and isinstance(signature, tuple) else ()
        for v, d in zip(operands, fixed):  # an input dtype the signature names converts a
            if type(v) is complex and d is not None and d.kind != "c":  # Python complex as
                raise TypeError(f"a Python complex cannot become {d} "  # float(v) would:
                                f"(the signature's input dtype)")      # never

    except (TypeError, ValueError) as e:
        given = ", ".join(f"{k}={values[k]!r}" for k in ("dtype", "signature", "casting")
                          if k in values and not _at_default(values[k], _UFUNC_DEFAULTS[k]))
        raise WireTypeError(
            f"{where}(..., {given}) of {', '.join(str(d) for d in map(_show, operands))}: "
            f"{e} (NumPy refuses it too){at(user_location())}") from None
    if dtype is None and signature is None:  # casting= alone only checks the operands'
        return call_own()                       # casting: the call is the default one
    out = call_own(*[strong(cast(_python_complex_part(v, d), d))
                     for v, d in zip(operands, loop[:nin])])
    outs = out if nout > 1 else (out,)
    fixed = tuple(o if o.dtype == d else strong(cast(o, d)) for o, d in zip(outs, loop[nin:]))
    return fixed if nout > 1 else fixed[0]


def _python_complex_part(v, dtype):
    """A Python complex ``v`` cast to a real ``dtype`` (``casting='unsafe'``) as NumPy casts
    it: its real part, with NumPy's ``ComplexWarning``; any other ``v`` as it is."""
    if type(v) is complex and dtype.kind != "c":
        return np.complex128(v).astype(dtype)
    return v


_UFUNC_DEFAULTS = {"dtype": None, "signature": None, "casting": "same_kind"}


def _show(v):
    d = dtype_of(v)
    return d if isinstance(d, np.dtype) else f"Python {type(d).__name__}"


def _extra_default(fn, name):
    return inspect.signature(fn).parameters[name].default


def install(namespace: dict, names, np_namespace, fronts: dict) -> None:
    """Put a front taking NumPy's parameters (:func:`adapt`) in place of each function of
    ``namespace`` whose parameters differ from those of its namesake in ``np_namespace``.
    ``fronts`` holds the fronts made so far by the function behind them: one that takes
    the namesake's parameters is used again (``amax`` is ``max``; ``np.linalg.matmul``'s
    parameters are some of ``np.matmul``'s), so aliases stay one object."""
    for name in names:
        fn = namespace.get(name)
        np_fn = getattr(np_namespace, name, None)
        if not callable(fn) or isinstance(fn, type) or np_fn is None or not callable(np_fn) \
                or isinstance(np_fn, type):
            continue
        behind = inspect.unwrap(fn)
        np_sig = numpy_signature(np_fn)
        if not inspect.isfunction(behind) or np_sig is None:
            continue
        for front, made_for in fronts.get(id(behind), ()):
            # (a front takes the parameters of the signature it was made for: its own
            # signature, read only where the two differ, makes the front at once)
            if _equal(np_sig, made_for) or covers(np_sig, inspect.signature(front)):
                namespace[name] = front
                break
        else:
            front = adapt(name, fn, np_fn, namespace.get("__name__"))
            if front is not fn:
                fronts.setdefault(id(behind), []).append((front, np_sig))
                namespace[name] = front


def _equal(a: inspect.Signature, b: inspect.Signature) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - a default whose == is not a bool (an array)
        return False


# the files of the layers between a user's call and a function (entry points, deferring
# forms, the fronts and wrappers here)
_PASSED_THROUGH = frozenset((tracebacks.__file__, _deferring.__file__, __file__))


def _called_by_user() -> bool:
    """Whether the caller found past those layers is the user's code, not wire's own."""
    passed = _PASSED_THROUGH
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename in passed:
        frame = frame.f_back
    return frame is not None and not is_wire_file(frame.f_code.co_filename)


def _under_abstract_trace(state) -> bool:
    """Whether a trace without values is open: the innermost one, or one an eager transform
    runs inside (``grad`` inside ``jit`` or a loop body, whose own trace carries values)."""
    while state is not None:
        if state.values is None:
            return True
        state = state.parent
    return False


def constant_under_jit(fn):
    """``fn`` (``array``, ``asarray``) giving a constant traced array for concrete data when the
    user calls it inside ``wire.jit`` or ``wire.trace``, as ``jnp.asarray`` gives a JAX array
    there: a traced integer can index it (``wnp.asarray(table)[i]`` gathers from the
    constant; a NumPy array would have to convert ``i`` to an index, which has no value yet).
    Outside such a trace, and for wire's own calls, it stays a NumPy array.

    >>> import wire
    >>> table = np.array([10.0, 20.0, 30.0])
    >>> wire.jit(lambda i: constant_under_jit(np.asarray)(table)[i])(np.int64(2))
    array(30.)
    """

    @functools.wraps(fn)
    def made(*args, **kwargs):
        out = fn(*args, **kwargs)
        if isinstance(out, np.ndarray) and out.dtype.kind in "biufc":
            if _under_abstract_trace(current_trace()) and _called_by_user():
                return to_tracer(out)
        return out

    return made
