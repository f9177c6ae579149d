"""Native fused kernels: a run of elementwise lines of the compiled schedule becomes one C
loop over the elements, vectorised with glibc's ``libmvec``, called through ctypes.

A *native region* is a run of consecutive lines whose nodes are elementwise primitives this
module can write in C (:data:`C_OPS`: arithmetic, ``sqrt``, ``abs``, rounding, ``maximum`` /
``minimum``, ``x**2`` and the transcendental functions ``libmvec`` vectorises), all of one
shape and one float dtype (float64 or float32), reading only values of that shape and dtype
or 0-d constants. Each region becomes one C function: straight-line code per element, in
blocks of a vector's width (the last block padded, so every element goes through the same
vector code), returning the floating-point exception flags it raised.

Exactness: ``+ - * /``, negation, ``sqrt``, ``abs``, rounding and ``maximum``/``minimum``
(NumPy's NaN propagation and its choice between ±0) give NumPy's bits; the transcendental
functions are ``libmvec``'s, within :data:`ULP_BOUND` ulps of NumPy's (4 in float64, 8 in
float32; measured on random and special inputs; the tests check the bound).

Warnings: when a kernel raised *invalid*, *divide-by-zero* or *overflow* (or *underflow*
while ``np.errstate`` does not ignore it), :class:`Fallback` is raised, and the caller runs
the call's NumPy code instead, which gives NumPy's own warnings, errors and bits.

>>> import numpy as np, wire, wire.numpy as wnp
>>> from wire.runtime.compiler import compile_native
>>> g = wire.trace(lambda x: wnp.tanh(wnp.sin(x) * 2.0) + x, np.ones(1000))
>>> c = compile_native(g)          # None where no C toolchain with libmvec is available
>>> c is None or "_k0(" in c.source
True
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import tempfile

import numpy as np

from ..ops.elementwise import integer_pow_p
from . import cbuild, fusion
from .schedule import Slot

__all__ = [
    "C_OPS",
    "MAX_LINES",
    "MIN_ELEMENTS",
    "ULP_BOUND",
    "Fallback",
    "Kernel",
    "Region",
    "private_library",
    "region_lines",
    "regions",
    "source",
]

MIN_ELEMENTS = 256  # smaller values run on NumPy (a ctypes call costs a few µs)
MAX_LINES = 1024  # longer runs are cut (the C compiler's time grows with a function's size)
ULP_BOUND = {np.dtype(np.float64): 4, np.dtype(np.float32): 8}
"""How far (in ulps) libmvec's functions may be from NumPy's, per dtype (measured on 200 000
random inputs per function: at most 3 in float64, 5 in float32 (``log``), where NumPy's
own float32 functions are up to 3 ulps from the correctly rounded result; tests check it)."""
_FE_INVALID, _FE_DIVBYZERO, _FE_OVERFLOW, _FE_UNDERFLOW = 1, 4, 8, 16  # x86-64 <fenv.h>
_WARN_FLAGS = _FE_INVALID | _FE_DIVBYZERO | _FE_OVERFLOW

_DTYPES = {np.dtype(np.float64): ("double", "", 8), np.dtype(np.float32): ("float", "f", 16)}

# how each ufunc is written in C: a template over its operands ({f}: the float32 suffix of a
# libm name, {one}: the constant 1 in the dtype); `True` in the second place: a libmvec call
_ARITH = {
    np.add: "({0} + {1})", np.subtract: "({0} - {1})", np.multiply: "({0} * {1})",
    np.true_divide: "({0} / {1})", np.negative: "(-{0})", np.square: "({0} * {0})",
    np.reciprocal: "({one} / {0})", np.sqrt: "sqrt{f}({0})", np.absolute: "fabs{f}({0})",
    np.floor: "floor{f}({0})", np.ceil: "ceil{f}({0})", np.trunc: "trunc{f}({0})",
    np.rint: "rint{f}({0})", np.copysign: "copysign{f}({0}, {1})",
    # NumPy's loops: the first operand when it is greater (smaller) or NaN, else the second
    # (so maximum(0.0, -0.0) is -0.0, and a NaN in either place comes out)
    np.maximum: "(({0} > {1} || {0} != {0}) ? {0} : {1})",
    np.minimum: "(({0} < {1} || {0} != {0}) ? {0} : {1})",
}
_MVEC = {
    np.sin: "sin", np.cos: "cos", np.tan: "tan", np.tanh: "tanh", np.exp: "exp",
    np.log: "log", np.log1p: "log1p", np.expm1: "expm1", np.sinh: "sinh", np.cosh: "cosh",
    np.arctan: "atan", np.arcsin: "asin", np.arccos: "acos", np.arcsinh: "asinh",
    np.arccosh: "acosh", np.arctanh: "atanh", np.exp2: "exp2", np.log2: "log2",
    np.log10: "log10",
}  # (not cbrt: libmvec's is up to 120 ulps from NumPy's at large and tiny magnitudes)
C_OPS = frozenset(_ARITH) | frozenset(_MVEC)
"""The NumPy ufuncs a native kernel computes (and ``integer_pow`` with exponent 2)."""


@functools.cache
def data_offset() -> int | None:
    """Where an ndarray object holds its data pointer (NumPy's ``PyArrayObject``: right
    after the object header), found and checked on two arrays; None if not found (then no
    kernel is built)."""
    probes = [np.arange(3.0), np.zeros(5, np.float32)]
    for off in range(8, 72, 8):
        if all(ctypes.c_void_p.from_address(id(a) + off).value == a.ctypes.data
               for a in probes):
            return off
    return None


class Fallback(Exception):
    """A kernel raised a floating-point exception NumPy would warn about: run NumPy's code."""


def _template(s: Slot) -> tuple[str, str | None] | None:
    """(C template, libmvec function or None) of the node of ``s``, or None."""
    node = s.node
    aval = node.aval
    if (isinstance(aval, tuple) or aval.shape is None or not aval.shape
            or aval.dtype not in _DTYPES or s.emitter.kind != "fresh"
            or s.emitter.scalar is None):
        return None
    op = node.op
    if op is integer_pow_p:
        return ("({0} * {0})", None) if node.params.get("y") == 2 else None
    if node.params:
        return None
    fn = op.impl
    if not isinstance(fn, np.ufunc) or fn.nout != 1:
        return None
    t = _ARITH.get(fn)
    if t is not None:
        return t, None
    name = _MVEC.get(fn)
    return (name + "{f}({0})", name) if name is not None else None


def _operand(slots: list[Slot], j: int, shape, dtype, inside) -> str | None:
    """How a region reads slot ``j``: "in" (inside the region), "scalar" (a 0-d constant),
    "array" (an array of the region's shape and dtype), or None (it cannot)."""
    if j in inside:
        return "in"
    o = slots[j]
    if o.scalar is not None:
        return "scalar" if np.asarray(o.scalar).dtype == dtype else None
    if o.known:
        v = o.value
        if not isinstance(v, np.ndarray) or v.dtype != dtype:
            return None
        return "scalar" if v.shape == () else ("array" if v.shape == shape else None)
    aval = o.node.aval
    if isinstance(aval, tuple) or o.folded or aval.shape != shape or aval.dtype != dtype:
        return None
    return "array"


# The cost model deciding whether a region is worth a kernel (measured on an AMD EPYC with
# AVX-512, NumPy 2.4, glibc 2.36; nanoseconds): what the kernel saves per element of each of
# its lines against NumPy's own loop (NumPy computes float64 sin and cos one element at a
# time, but has SIMD loops of its own for most other functions, several faster than
# libmvec's; an arithmetic line saves a pass over memory), what a NumPy call of the
# generated code costs, and what a kernel call costs.
_GAIN_NS = {
    np.dtype(np.float64): {np.sin: 8.0, np.cos: 8.0, np.arcsin: 0.8, np.cosh: 0.6,
                           np.arcsinh: 0.6, np.arctanh: 0.3, np.log1p: 0.3, np.tan: 0.2},
    np.dtype(np.float32): {},
}
_MVEC_LOSS_NS = {np.dtype(np.float64): -0.5, np.dtype(np.float32): -0.1}
_ARITH_GAIN_NS = 0.1
_NUMPY_CALL_NS = 600.0
_KERNEL_CALL_NS = 4000.0


def _saving_ns(slots: list[Slot], lines: list[int], size: int, dtype) -> float:
    """Estimated time a kernel saves over the NumPy calls of ``lines`` (negative: it costs)."""
    gains = _GAIN_NS[dtype]
    total = -_KERNEL_CALL_NS
    for i in lines:
        _, fn = _template(slots[i])
        if fn is None:
            per = _ARITH_GAIN_NS
        else:
            per = gains.get(slots[i].node.op.impl, _MVEC_LOSS_NS[dtype])
        total += _NUMPY_CALL_NS + size * per
    return total


def regions(slots: list[Slot], emitted: list[int], min_elements: int | None = None):
    """``{first: last}`` line numbers (indices into ``emitted``) of each native region: runs
    of consecutive lines of one shape and float dtype that :data:`C_OPS` covers. With
    ``min_elements=None``, runs of :data:`MIN_ELEMENTS` elements or more that the cost model
    says are worth a kernel (float64 ``sin``/``cos``, or enough arithmetic); with an int,
    every run of two lines or more (or one libmvec call) of that many elements or more."""
    floor = MIN_ELEMENTS if min_elements is None else min_elements
    found = {}
    k, n = 0, len(emitted)
    while k < n:
        s = slots[emitted[k]]
        t = _template(s)
        if t is None or math.prod(s.node.aval.shape) < floor:
            k += 1
            continue
        shape, dtype = s.node.aval.shape, s.node.aval.dtype
        inside: set[int] = set()
        start, mvec = k, False
        while k < n and k - start < MAX_LINES:
            s = slots[emitted[k]]
            t = _template(s)
            if (t is None or s.node.aval.shape != shape or s.node.aval.dtype != dtype
                    or any(_operand(slots, j, shape, dtype, inside) is None for j in s.ins)):
                break
            mvec = mvec or t[1] is not None
            inside.add(s.index)
            k += 1
        if k == start:
            k += 1
        elif (k - start >= 2 or mvec) and (  # (one arithmetic line alone: nothing to fuse)
                min_elements is not None
                or _saving_ns(slots, emitted[start:k], math.prod(shape), dtype) > 0):
            found[start] = k - 1
    return found


class Region:
    """One region's C function (``c``, named ``name``) and how Python calls it: the slots
    it reads as arrays (``arrays``) and as scalars (``scalars``: their values), the slots it
    returns (``outs``), their ``shape`` and ``dtype``, and the libmvec functions it calls."""

    __slots__ = ("arrays", "c", "dtype", "mvec", "name", "outs", "scalars", "shape", "values")

    def __init__(self, name, c, arrays, scalars, values, outs, shape, dtype, mvec):
        self.name, self.c, self.arrays, self.scalars = name, c, arrays, scalars
        self.values = values  # of the scalar operands (constants: passed at every call)
        self.outs, self.shape, self.dtype, self.mvec = outs, shape, dtype, mvec


def _region(slots: list[Slot], members: list[int], keep: list[int], name: str) -> Region:
    first = slots[members[0]].node.aval
    shape, dtype = first.shape, first.dtype
    ctype, suffix, width = _DTYPES[dtype]
    one = "1.0" if suffix == "" else "1.0f"
    inside = set(members)
    arrays: list[int] = []
    scalars: list[int] = []
    body, mvec = [], set()

    def read(j: int) -> str:
        if j in inside:
            return f"v{j}"
        how = _operand(slots, j, shape, dtype, ())
        if how == "scalar":
            if j not in scalars:
                scalars.append(j)
            return f"s{scalars.index(j)}"
        if j not in arrays:
            arrays.append(j)
        return f"a{arrays.index(j)}[i]"

    for i in members:
        template, fn = _template(slots[i])
        if fn is not None:
            mvec.add(fn + suffix)
        expr = template.format(*[read(j) for j in slots[i].ins], f=suffix, one=one)
        body.append(f"      const {ctype} v{i} = {expr};")
    for k, i in enumerate(keep):
        body.append(f"      o{k}[i] = v{i};")
    params = ([f"const {ctype} *restrict a{k}" for k in range(len(arrays))]
              + [f"const {ctype} s{k}" for k in range(len(scalars))]
              + [f"{ctype} *restrict o{k}" for k in range(len(keep))])
    args_at = ([f"a{k} + i0" for k in range(len(arrays))]
               + [f"s{k}" for k in range(len(scalars))]
               + [f"o{k} + i0" for k in range(len(keep))])
    tail_args = ([f"t{k}" for k in range(len(arrays))] + [f"s{k}" for k in range(len(scalars))]
                 + [f"u{k}" for k in range(len(keep))])
    # the function takes the NumPy arrays themselves (PyObject pointers: ctypes passes them
    # as they are, where fetching each data pointer in Python would cost a microsecond) and
    # reads their data pointers at WIRE_DATA, the offset checked by `data_offset()`
    outer = ([f"const char *p{k}" for k in range(len(arrays))]
             + [f"const {ctype} s{k}" for k in range(len(scalars))]
             + [f"const char *q{k}" for k in range(len(keep))])
    unpack = ([f"  const {ctype} *restrict a{k} = *(const {ctype} *const *)(p{k} + WIRE_DATA);"
               for k in range(len(arrays))]
              + [f"  {ctype} *restrict o{k} = *({ctype} *const *)(q{k} + WIRE_DATA);"
                 for k in range(len(keep))])
    c = [f"static inline void {name}_block({', '.join(params)}) {{",
         "  #pragma omp simd",
         f"  for (long i = 0; i < {width}; i++) {{", *body, "  }", "}",
         f"int {name}(long n{''.join(', ' + p for p in outer)}) {{",
         *unpack,
         "  feclearexcept(FE_ALL_EXCEPT);",
         "  long i0 = 0;",
         f"  for (; i0 + {width} <= n; i0 += {width})",
         f"    {name}_block({', '.join(args_at)});",
         "  if (i0 < n) {  /* the last block, padded with its first element */",
         "    const long r = n - i0;"]
    for k in range(len(arrays)):
        c.append(f"    {ctype} t{k}[{width}];")
        c.append(f"    for (long j = 0; j < {width}; j++) t{k}[j] = a{k}[i0 + (j < r ? j : 0)];")
    for k in range(len(keep)):
        c.append(f"    {ctype} u{k}[{width}];")
    c.append(f"    {name}_block({', '.join(tail_args)});")
    for k in range(len(keep)):
        c.append(f"    for (long j = 0; j < r; j++) o{k}[i0 + j] = u{k}[j];")
    c += ["  }", "  return fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW);",
          "}"]
    values = tuple(slots[j].scalar if slots[j].scalar is not None else slots[j].value
                   for j in scalars)
    return Region(name, "\n".join(c), tuple(arrays), tuple(scalars), values, tuple(keep),
                  shape, dtype, mvec)


def source(found: list[Region]) -> str:
    """The C source of a library holding the functions of ``found``."""
    decls = sorted({fn for r in found for fn in r.mvec})
    head = ["#include <fenv.h>", "#include <math.h>", f"#define WIRE_DATA {data_offset()}"]
    for fn in decls:  # (libmvec's vector variants are found through these declarations)
        ctype = "float" if fn.endswith("f") and fn[:-1] in _MVEC.values() else "double"
        head += ["#pragma omp declare simd notinbranch", f"extern {ctype} {fn}({ctype});"]
    return "\n".join(head + [r.c for r in found]) + "\n"


def region_lines(slots: list[Slot], emitted: list[int], first: int, last: int, ctx, ref,
                 found: list[Region], buffers: dict | None = None):
    """The lines calling region ``emitted[first..last]``'s kernel (added to ``found``), and
    the node of each line. Its results read later (or returned) are bound to their slots'
    names, written into the scratch buffers ``buffers`` names for some (see
    :meth:`Kernel.run`); its operands read for the last time are released after it."""
    members = emitted[first:last + 1]
    keep = [i for i in members if slots[i].is_output or slots[i].last > last]
    if not keep:  # (dead code is removed before: a region always has a result)
        keep = [members[-1]]
    region = _region(slots, members, keep, f"wire_k{len(found)}")
    found.append(region)
    kname = f"_k{len(found) - 1}"
    ctx.set_global(kname, None, ("kernel", region.name))  # bound once the library is built
    args = [ref(j, members[0]) for j in region.arrays]
    outs = [(buffers or {}).get(i) for i in keep]
    if any(outs):
        args += [o or "None" for o in outs]
    names = ", ".join(slots[i].name for i in keep) + ("," if len(keep) == 1 else "")
    lines = [f"    {names} = {kname}({', '.join(args)})  # native: {len(members)} lines"]
    nodes = [None]
    fusion.release(slots, members, first, last, lines, nodes)
    return lines, nodes


class Kernel:
    """A region's compiled C function, called on NumPy arrays: ``kernel(*arrays)`` returns
    the tuple of its results (fresh arrays), or raises :class:`Fallback`."""

    __slots__ = ("_fixed", "_fn", "_n", "dtype", "n_in", "n_out", "shape", "transcendental")

    def __init__(self, library: ctypes.CDLL, region: Region):
        ctype = ctypes.c_double if region.dtype == np.float64 else ctypes.c_float
        fn = getattr(library, region.name)
        fn.restype = ctypes.c_int
        fn.argtypes = ([ctypes.c_long] + [ctypes.py_object] * len(region.arrays)
                       + [ctype] * len(region.scalars) + [ctypes.py_object] * len(region.outs))
        self._fn = fn
        self._fixed = tuple(float(v) for v in region.values)
        self.shape, self.dtype = region.shape, region.dtype
        self._n = math.prod(region.shape)
        self.n_in = len(region.arrays)
        self.n_out = len(region.outs)
        self.transcendental = bool(region.mvec)  # (else its results are NumPy's bits)

    def run(self, *arrays) -> tuple[tuple, int]:
        """(results, the floating-point exception flags the kernel raised). ``arrays``: the
        operands, then optionally a buffer per result to write it into (``None``, or one that
        is not a writable C-contiguous aligned array of the result's shape and dtype: a new
        array)."""
        dtype, shape = self.dtype, self.shape
        n_in = self.n_in
        given = arrays[n_in:]
        arrays = arrays[:n_in]
        ok = []
        for a in arrays:  # (C-contiguous, aligned arrays of the dtype: what the C reads)
            if type(a) is not np.ndarray or a.dtype != dtype:
                a = np.ascontiguousarray(a, dtype)
            else:
                f = a.flags
                if not (f.c_contiguous and f.aligned):
                    a = np.ascontiguousarray(a, dtype)
            ok.append(a)
        outs = []
        for k in range(self.n_out):
            o = given[k] if k < len(given) else None
            if not (type(o) is np.ndarray and o.dtype == dtype and o.shape == shape
                    and o.flags.c_contiguous and o.flags.aligned and o.flags.writeable):
                o = np.empty(shape, dtype)
            outs.append(o)
        return tuple(outs), self._fn(self._n, *ok, *self._fixed, *outs)

    def __call__(self, *arrays):
        outs, flags = self.run(*arrays)
        if flags and (flags & _WARN_FLAGS or np.geterr()["under"] != "ignore"):
            raise Fallback(flags)
        return outs


def private_library(c_source: str) -> ctypes.CDLL:
    """``c_source`` compiled in a temporary directory and loaded (no cache)."""
    with tempfile.TemporaryDirectory(prefix="wire-native-") as folder:
        path = os.path.join(folder, "kernels.so")
        cbuild.compile_library(c_source, path)
        return cbuild.load_library(path)  # (the loaded library outlives its file)
