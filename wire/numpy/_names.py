"""How every public name of ``numpy`` appears in ``wire.numpy``, besides the functions wire
traces (the ``__all__`` of its submodules).

- ``NUMPY_OBJECTS``: constants, scalar types, classes and configuration functions that never
  see an array value. ``wire.numpy`` holds NumPy's own object.
- ``CONCRETE_ONLY``: functions with no derivative and no traced form (value-dependent
  shapes, integer bit operations, I/O, in-place writes, printing). On concrete arguments they
  are NumPy's; given a traced value they raise ``wire.WireTypeError`` that names the function,
  the user's file:line and what to use instead.
- ``CONCRETE_MODULES``: NumPy's submodules, whose functions are guarded the same way
  (``wire.numpy.random``, which has its own module, points to ``wire.random``).
- ``EXCLUDED``: names deliberately left out or planned; reaching one raises
  ``wire.errors.MissingNameError`` saying which, and why.

``tests/test_numpy_namespace.py`` walks ``dir(numpy)`` and checks that each name is in
exactly one of these groups or traced by wire.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import sys
import types

import numpy as np

from ..errors import (
    MissingNameError, WireAxisError, WireIndexError, WireTypeError, WireValueError, at,
    user_location,
)
from ..core import Tracer
from ._promote import holds_tracer, known
from ._refusals import REFUSALS, refused

# fmt: off
_SCALAR_TYPES = (
    "bool", "bool_", "byte", "bytes_", "cdouble", "character", "clongdouble", "complex128",
    "complex256", "complex64", "complexfloating", "csingle", "datetime64", "double", "flexible",
    "float128", "float16", "float32", "float64", "floating", "generic", "half", "inexact",
    "int16", "int32", "int64", "int8", "int_", "intc", "integer", "intp", "long", "longdouble",
    "longlong", "number", "object_", "record", "short", "signedinteger", "single", "str_",
    "timedelta64", "ubyte", "uint", "uint16", "uint32", "uint64", "uint8", "uintc", "uintp",
    "ulong", "ulonglong", "unsignedinteger", "ushort", "void",
)
NUMPY_OBJECTS = _SCALAR_TYPES + (
    # constants
    "e", "pi", "inf", "nan", "newaxis", "euler_gamma", "little_endian", "False_", "True_",
    "ScalarType", "sctypeDict", "typecodes",
    # classes (array-like values passed to them are converted by NumPy, which a traced
    # value refuses with a WireTypeError naming the line)
    "ndarray", "dtype", "broadcast", "busdaycalendar", "errstate", "finfo", "flatiter",
    "iinfo", "matrix", "memmap", "ndenumerate", "ndindex", "nditer", "poly1d", "recarray",
    "ufunc",
    # index expressions
    "s_", "index_exp", "mgrid", "ogrid",
    # floating-point error handling, printing and buffer configuration (no array arguments)
    "seterr", "geterr", "seterrcall", "geterrcall", "setbufsize", "getbufsize",
    "set_printoptions", "get_printoptions", "printoptions",
    # dtype and shape arithmetic on dtypes and tuples only
    "promote_types", "issubdtype", "isdtype", "typename", "mintypecode", "broadcast_shapes",
    "isscalar", "iterable",
    # NumPy's build and documentation
    "show_config", "show_runtime", "get_include", "info",
    # modules of types only
    "dtypes", "exceptions", "typing",
)

_SHAPE = ("its result's shape depends on the values, which are not known while tracing; "
          "compute it on concrete data (outside the traced function), or use a fixed-shape "
          "form such as wire.numpy.where(mask, x, 0)")
_BITS = ("integer bit operations have no derivative and no traced form; apply them to "
         "concrete integers")
_MUTATES = ("it writes into its argument, and traced values are immutable; use "
            "x.at[index].set(value) or wire.numpy.where(mask, value, x), which return the "
            "updated array")
_IO = "it reads or writes files and buffers of concrete arrays; evaluate the function first"
_PRINT = "format the value after evaluation (outside the traced function)"
_SIZES = "its arguments are sizes or indices, which must be concrete integers"
_DATES = "datetime and business-day values are not traced; compute them on concrete arrays"
_MEMORY = "a traced value has no memory layout; ask the concrete array"
_MATRIX = ("wire traces 2-D ndarrays, not the np.matrix subclass (pending deprecation in NumPy); "
           "use arrays with @")

CONCRETE_ONLY = {
    **dict.fromkeys(("intersect1d", "setxor1d", "trim_zeros",
                     "histogram", "histogram2d", "histogramdd", "histogram_bin_edges"),
                    _SHAPE),
    **dict.fromkeys(("gcd", "lcm", "packbits", "unpackbits"), _BITS),
    **dict.fromkeys(("copyto", "place", "put", "putmask", "put_along_axis"), _MUTATES),
    **dict.fromkeys(("save", "savetxt", "savez", "savez_compressed", "load", "loadtxt",
                     "genfromtxt", "fromfile", "frombuffer", "fromiter", "fromregex",
                     "fromstring", "from_dlpack"), _IO),
    **dict.fromkeys(("array2string", "array_repr", "array_str", "format_float_positional",
                     "format_float_scientific", "base_repr", "binary_repr"), _PRINT),
    **dict.fromkeys(("bartlett", "blackman", "hamming", "hanning", "kaiser", "indices", "ix_",
                     "diag_indices", "tril_indices", "triu_indices", "mask_indices",
                     "fromfunction"), _SIZES),
    **dict.fromkeys(("datetime_as_string", "datetime_data", "busday_count", "busday_offset",
                     "is_busday", "isnat"), _DATES),
    **dict.fromkeys(("may_share_memory", "shares_memory", "isfortran"), _MEMORY),
    **dict.fromkeys(("asmatrix", "bmat"), _MATRIX),
    "asarray_chkfinite": ("it checks values, which are not known while tracing; check the "
                          "concrete input before tracing, or use wire.numpy.isfinite(x).all()"),
    "frompyfunc": "it makes object-array ufuncs; use wire.numpy.vectorize, which traces",
    "nested_iters": ("it iterates over concrete arrays; use wire.vmap, wire.scan or "
                     "wire.numpy.vectorize on traced values"),
    "roots": ("planned: it needs the eigenvalues of a companion matrix (numpy.linalg.eig, "
              "issue 15's linear-algebra part); use concrete coefficients until then"),
}

_RANDOM_HINT = ("numpy.random draws concrete samples; inside traced code use wire.random with "
                "explicit keys, e.g. loc + scale * wire.random.normal(key, shape)")
CONCRETE_MODULES = {
    "ma": "masked arrays are not traced; use wire.numpy.where(mask, x, fill) on traced values",
    "char": "string arrays are not traced",
    "strings": "string arrays are not traced",
    "rec": "record arrays are not traced",
    "polynomial": ("the polynomial classes are not traced; use wire.numpy.polyval, polyfit, "
                   "polyder … on traced values"),
    "testing": "compare concrete results (evaluate the function first)",
    "emath": ("its functions switch to complex results depending on the values; use "
              "wire.numpy.sqrt/log of a complex array on traced values"),
    "lib": "use the wire.numpy function of the same name on traced values",
    "ctypeslib": "ctypes pointers need concrete arrays",
}

EXCLUDED = {
    "test": ("deliberately left out",
             ("it runs NumPy's own test suite, not wire's; call numpy.test()")),
    "f2py": ("deliberately left out",
             ("it is NumPy's Fortran-binding build tool, not an array function; use "
              "numpy.f2py")),
    "core": ("deliberately left out",
             ("numpy.core is NumPy's deprecated private module (numpy._core since NumPy 2); "
              "use the public names")),
}
# fmt: on


def _traced_arg(args, kwargs) -> bool:
    return holds_tracer(list(args)) or holds_tracer(list(kwargs.values()))


# concrete-only functions whose results are positions (integers, no derivative): in an eager
# trace they read the values even of differentiated arguments (``nonzero(x > 0)``)
_INDEX_RESULTS = frozenset(("argwhere", "nonzero", "flatnonzero"))


def _all_known(*xs) -> bool:
    return all(known(leaf) for leaf in _tracers(xs))


def _tracers(x):
    if isinstance(x, Tracer):
        yield x
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from _tracers(v)
    elif isinstance(x, dict):
        for v in x.values():
            yield from _tracers(v)


def _known_values(x, what: str, drops: bool):
    """``x`` (nested lists/tuples/dicts) with every tracer replaced by its value."""
    if isinstance(x, Tracer):
        return x._value(what, drops=drops)
    if isinstance(x, (list, tuple)):
        return type(x)(_known_values(v, what, drops) for v in x)
    if isinstance(x, dict):
        return {k: _known_values(v, what, drops) for k, v in x.items()}
    return x


class ConcreteOnly:
    """NumPy's function ``fn`` for concrete arguments; a ``WireTypeError`` naming it, the
    user's line and ``hint`` for traced ones. Attributes (``ufunc.reduce`` …) are ``fn``'s."""

    def __init__(self, fn, qualname: str, hint: str):
        self.__wrapped__, self._qualname, self._hint = fn, qualname, hint
        self.__name__ = getattr(fn, "__name__", qualname.rsplit(".", 1)[-1])
        self.__doc__ = (f"NumPy's ``{qualname}`` on concrete values (not traced: {hint}).\n\n"
                        + (getattr(fn, "__doc__", None) or ""))

    def __call__(self, *args, **kwargs):
        if _traced_arg(args, kwargs):
            # an eager trace knows the values (as JAX's and autograd's eager tracers do): the
            # function runs on them unless that would cut a derivative (positions never do)
            if not _all_known(args, kwargs):
                raise self._refused()
            drops = self.__name__ not in _INDEX_RESULTS
            try:
                args, kwargs = _known_values((args, kwargs), self._qualname, drops)
            except WireTypeError:  # the value depends on an argument being differentiated
                raise self._refused() from None
            try:
                return self.__wrapped__(*args, **kwargs)
            except (ValueError, IndexError, TypeError) as e:  # NumPy's refusal, as a WireError
                raise _wire_error(e, self._qualname) from e
        try:
            return self.__wrapped__(*args, **kwargs)
        except REFUSALS as e:  # NumPy's refusal of bad input: a WireError of its kind
            x = refused(self._qualname, None, e, args, kwargs)
            if x is None:
                raise
            raise x from None

    def _refused(self) -> WireTypeError:
        return WireTypeError(
            f"{self._qualname} got a traced value{at(user_location())}: it works on "
            f"concrete values only, as {self._hint}"
        )

    def __getattr__(self, name):
        return getattr(self.__wrapped__, name)

    def __reduce__(self):
        # pickled by its public name (``wire.numpy.random.normal``), as NumPy's functions are
        return _public_object, ("wire." + self._qualname,)

    def __repr__(self):
        return f"<wire.numpy concrete-only {self._qualname}>"


def _wire_error(e: Exception, qualname: str) -> Exception:
    """NumPy's exception ``e`` as the ``WireError`` of its class (``AxisError`` is both a
    ``ValueError`` and an ``IndexError``)."""
    if isinstance(e, ValueError) and isinstance(e, IndexError):
        cls = WireAxisError
    elif isinstance(e, IndexError):
        cls = WireIndexError
    elif isinstance(e, ValueError):
        cls = WireValueError
    else:
        cls = WireTypeError
    return cls(f"{qualname}: {e}{at(user_location())}")


def _public_object(path: str):
    """The object at dotted ``path`` (``"wire.numpy.random.normal"``): what an unpickled
    :class:`ConcreteOnly` becomes."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def concrete_only(name: str) -> ConcreteOnly:
    return ConcreteOnly(getattr(np, name), f"numpy.{name}", CONCRETE_ONLY[name])


def _guard(value, qualname: str, hint: str):
    """``value`` itself if it is a class, a module or data; anything else callable (functions,
    ufuncs, the bound methods of ``numpy.random``'s global generator) gets guarded."""
    if callable(value) and not isinstance(value, (type, types.ModuleType)):
        return ConcreteOnly(value, qualname, hint)
    return value


class ConcreteModule(types.ModuleType):
    """A view of a NumPy submodule: its classes, constants and nested modules as NumPy's, its
    functions guarded by :class:`ConcreteOnly`. The NumPy module is imported on first use."""

    def __init__(self, name: str, numpy_name: str, hint: str):
        super().__init__(name)
        self.__numpy_name, self.__hint = numpy_name, hint

    @functools.cached_property
    def _numpy_module(self):
        try:
            return importlib.import_module(self.__numpy_name)
        except ModuleNotFoundError:  # an alias, not a module file: numpy.emath is lib.scimath
            return getattr(np, self.__numpy_name.partition(".")[2])

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._numpy_module, name)
        wrapped = _guard(value, f"{self.__numpy_name}.{name}", self.__hint)
        object.__setattr__(self, name, wrapped)  # a memo of this pure lookup
        return wrapped

    def __dir__(self):
        return dir(self._numpy_module)


def concrete_module(name: str) -> ConcreteModule:
    qual = f"wire.numpy.{name}"
    mod = sys.modules.get(qual)
    if not isinstance(mod, ConcreteModule):
        mod = ConcreteModule(qual, f"numpy.{name}", CONCRETE_MODULES[name])
        sys.modules[qual] = mod  # so that ``import wire.numpy.ma`` finds it
    return mod


def missing(name: str, present) -> MissingNameError:
    """The error for a name ``wire.numpy`` does not have (``present``: the names it has)."""
    if name in EXCLUDED:
        kind, why = EXCLUDED[name]
        return MissingNameError(f"wire.numpy.{name} is {kind}: {why}")
    if hasattr(np, name):
        return MissingNameError(
            f"wire.numpy.{name} is not provided: numpy.{name} is not a public NumPy name that "
            f"wire knows (NumPy {np.__version__}); use numpy.{name} on concrete values"
        )
    close = difflib.get_close_matches(name, [n for n in present if not n.startswith("_")], n=1)
    hint = f"; did you mean wire.numpy.{close[0]}?" if close else ""
    return MissingNameError(f"module 'wire.numpy' has no attribute {name!r}{hint}")
