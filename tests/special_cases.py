"""Special-value cases for the differential oracle of ``tests/test_special_values.py``.

Every public function of ``wire.numpy``, ``wire.numpy.linalg``, ``wire.numpy.fft`` and
``wire.scipy.special`` (enumerated from the namespaces, as ``wire.catalog`` does) gets
*parts*: arrays of special values (NaN with both signs, ±inf, ±0.0, the dtype limits ``max``,
``tiny`` and the smallest denormal, ties between arguments) in float64/float32/float16, int and
bool, plus empty arrays, size-1 axes and 0-d arrays. A part is ``(label, arrays, call)``:
``call(fn, *arrays)`` runs either the NumPy/SciPy function or the wire one, with the part's
static arguments closed over, so the same ``call`` serves the reference and each wire mode.

How a function is called comes from one place:

* NumPy/SciPy ufuncs are elementwise by their ``nin``: :func:`unary` or :func:`binary` cases,
  all pairs of special values for binary ones (so every tie is there too);
* every other function has an entry in :data:`TABLE` (its signature, as a case builder);
* functions that cannot be compared are in :data:`EXCLUDED`, each with its reason.

Parts of one function are grouped so that one trace and one jit compile cover a whole group
(the outputs of all its parts as one tuple); a group that raises is re-run part by part.

``python tests/special_cases.py`` prints the case count and every disagreement.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections import Counter
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

import wire
import wire.numpy as wnp
import wire.scipy.special as wsp

FLOATS = (np.float64, np.float32, np.float16)
NEG_NAN = np.copysign(np.nan, -1.0)
MODES = ("eager", "traced", "jit")


class Part(NamedTuple):
    """One call: ``call(fn, *arrays)``; ``arrays`` are traced, everything else is static."""

    label: str
    arrays: tuple
    call: Callable
    values: bool = True  # False: compare shapes and dtypes only (``empty``)


# --------------------------------------------------------------------------- special values


@functools.cache
def _floats(dt) -> np.ndarray:
    fi = np.finfo(dt)
    v = [np.nan, NEG_NAN, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0,
         fi.max, -fi.max, fi.tiny, -fi.tiny, fi.smallest_subnormal, -fi.smallest_subnormal]
    a = np.array(v, dtype=dt)
    a.setflags(write=False)
    return a


def floats(dt=np.float64) -> np.ndarray:
    """The special values of float dtype ``dt`` (18 of them), a fresh array."""
    return _floats(np.dtype(dt).type).copy()


def ints(dt=np.int64) -> np.ndarray:
    ii = np.iinfo(dt)
    return np.array([0, 1, -1, 2, -3, 7, ii.max, ii.min], dtype=dt)


def bools() -> np.ndarray:
    return np.array([False, True, True, False])


def values(dt) -> np.ndarray:
    kind = np.dtype(dt).kind
    return floats(dt) if kind == "f" else bools() if kind == "b" else ints(dt)


def matrix(dt) -> np.ndarray:
    """A (5, n) array whose rows mix the special values: all of them, reversed, all -0.0,
    the finite ones (1.5 elsewhere) and all equal (a tie everywhere)."""
    s = values(dt)
    finite = np.where(np.isfinite(s), s, s.dtype.type(1)) if s.dtype.kind == "f" else s
    rows = [s, s[::-1], np.full_like(s, -0.0 if s.dtype.kind == "f" else 0), finite,
            np.full_like(s, 2 if s.dtype.kind != "b" else True)]
    return np.stack(rows)


@functools.cache
def _ties(dt) -> np.ndarray:
    nan, inf = np.nan, np.inf
    rows = [
        [0.0, -0.0, 0.0, -0.0], [-0.0, 0.0, -0.0, 0.0],  # a tie of zeros, both orders
        [1.0, 0.0, -0.0, 2.0], [-1.0, -0.0, 0.0, -2.0],  # the zeros tie at the min / max
        [nan, -0.0, 0.0, -0.0], [0.0, -0.0, 0.0, nan],  # NaN first, NaN last
        [nan, nan, nan, nan], [nan, -0.0, nan, 0.0],  # NaN only, NaN between zeros
        [inf, -inf, inf, -inf], [-inf, inf, -inf, -inf],  # infinities tied
        [2.0, 2.0, 2.0, 2.0], [1.0, -1.0, 1.0, -1.0],  # equal values
    ]
    a = np.array(rows, dtype=dt)
    a.setflags(write=False)
    return a


def ties(dt=np.float64) -> np.ndarray:
    """A (12, 4) float array of ties: rows of +-0.0 in both orders (alone, and tied at the
    minimum or the maximum), NaN first, last, only and between zeros, tied infinities and
    equal values; the columns mix them further. A fresh array."""
    return _ties(np.dtype(dt).type).copy()


DTYPES = (np.float64, np.float32, np.float16, np.int64, np.int32, np.bool_)


def per_dtype(make, dtypes=DTYPES):
    """One part per dtype: ``make(dt) -> (arrays, call)``."""
    return [Part(np.dtype(dt).name, *make(dt)) for dt in dtypes]


# --------------------------------------------------------------------------- case builders


def _apply(f, *a):
    return f(*a)


def unary(**kw):
    """Elementwise ``f(x, **kw)`` on every special value of every dtype, then shapes."""
    call = (lambda f, x: f(x, **kw)) if kw else _apply
    main = per_dtype(lambda dt: ((values(dt),), call))
    shapes = [
        Part("0-d", (np.array(-0.0),), call),
        Part("0-d nan f32", (np.array(np.nan, np.float32),), call),
        Part("empty", (np.zeros((0,)),), call),
        Part("empty 2-d f32", (np.zeros((0, 3), np.float32),), call),
        Part("size-1 f16", (np.full((1, 1), -0.0, np.float16),), call),
    ]
    return [main, shapes]


def _pairs(a, b):
    return a[:, None], b[None, :]


MIXED = ((np.float32, np.float64), (np.int64, np.float32), (np.bool_, np.float16),
         (np.int32, np.float64), (np.float16, np.int64), (np.float16, np.float32),
         (np.float32, np.float16), (np.int32, np.float16))


def binary(**kw):
    """Elementwise ``f(x, y)`` on all pairs of special values (ties on the diagonal)."""
    call = (lambda f, x, y: f(x, y, **kw)) if kw else _apply
    main = per_dtype(lambda dt: (_pairs(values(dt), values(dt)), call))
    mixed = [Part(f"{np.dtype(a).name}×{np.dtype(b).name}", _pairs(values(a), values(b)), call)
             for a, b in MIXED]
    shapes = [
        Part("0-d", (np.array(-0.0), np.array(0.0)), call),
        Part("empty", (np.zeros((0,)), np.ones((1,))), call),
        Part("empty 2-d f32", (np.zeros((0, 3), np.float32), np.ones(3, np.float32)), call),
        Part("size-1", (np.full((1,), -0.0), floats()), call),
    ]
    return [main, mixed, shapes]


def reduction(kws=({}, {"axis": 0}, {"axis": 1, "keepdims": True}), dtypes=DTYPES, extra=None):
    """``f(a, **kw)`` over a matrix of special values for each ``kw``; empty, size-1 and 0-d
    inputs in a second group. ``extra``: static positional arguments after ``a``."""
    ex = () if extra is None else extra

    def call_for(kw):
        return lambda f, a: f(a, *ex, **kw)

    main = [Part(f"{np.dtype(dt).name} {kw}", (matrix(dt),), call_for(kw))
            for dt in dtypes for kw in kws]
    # ties (+-0.0 in both orders, NaN first/last/only, infinities, equal values) in each float
    # dtype, also transposed and reversed (strided views, so each axis sees every tie)
    tied = [Part(f"ties {np.dtype(dt).name}{view} {kw}", (make(ties(dt)),), call_for(kw))
            for dt in dtypes if np.dtype(dt).kind == "f"
            for view, make in (("", lambda t: t), (" T", lambda t: t.T),
                               (" reversed", lambda t: t[::-1, ::-1]))
            for kw in kws]
    shapes = []
    for kw in kws:
        shapes.append(Part(f"empty {kw}", (np.zeros((0, 3)),), call_for(kw)))
        shapes.append(Part(f"size-1 {kw}", (matrix(np.float32)[:1],), call_for(kw)))
        shapes.append(Part(f"size-1 ties {kw}", (ties(np.float16)[:, :1],), call_for(kw)))
        shapes.append(Part(f"empty f16 {kw}", (np.zeros((3, 0), np.float16),), call_for(kw)))
    shapes.append(Part("0-d", (np.array(-0.0),), lambda f, a: f(a, *ex)))
    return [main, tied, shapes] if tied else [main, shapes]


def along(kws, dtypes=DTYPES):
    """``f(a, **kw)`` for functions that work along one axis (cumulative sums, sorting)."""
    return reduction(kws, dtypes)


def static(*calls):
    """Functions without array arguments: ``calls`` are ``(label, f -> result)``."""
    return [[Part(label, (), c) for label, c in calls]]


def custom(*parts):
    """Hand-made parts, one per group (each may raise on its own)."""
    return [[Part(label, tuple(arrays), call)] for label, arrays, call in parts]


def one_group(*parts):
    return [[Part(label, tuple(arrays), call) for label, arrays, call in parts]]


F, F32, F16 = floats(), floats(np.float32), floats(np.float16)
M, M32 = matrix(np.float64), matrix(np.float32)
MI = matrix(np.int64)
# Special values without +-max, for sums of products: NumPy adds them in BLAS's order, so
# whether max + max - max overflows is unspecified; every other special value (inf + -inf,
# nan) is order-independent.
M_PROD = np.where(np.abs(M) == np.finfo(np.float64).max, 3.0, M)


def _spd(dt=np.float64, n=3):
    r = np.random.default_rng(0).normal(size=(n, n))
    return (r @ r.T + n * np.eye(n)).astype(dt)


def _nan_matrix():
    a = _spd()
    a[1, 2] = a[2, 1] = np.nan
    return a


def _neg_zero_matrix():
    a = _spd()
    a[0, 1] = a[1, 0] = -0.0
    return a


def matrices(call, *, square=True):
    """Linear-algebra parts: well-conditioned (with -0.0 entries), float32, int, a NaN
    entry, a stack, 1x1 and empty; each part its own group (NumPy raises on some)."""
    parts = [
        ("f64 with -0.0", (_neg_zero_matrix(),)),
        ("f32", (_spd(np.float32),)),
        ("int", (np.array([[2, 1], [1, 3]]),)),
        ("nan entry", (_nan_matrix(),)),
        ("inf entry", (np.array([[np.inf, 1.0], [1.0, 2.0]]),)),
        ("stack", (np.stack([_spd(), _spd() * 2]),)),
        ("1x1 -0.0", (np.array([[-0.0]]),)),
        ("1x1", (np.array([[4.0]]),)),
        ("empty", (np.zeros((0, 0)),)),
    ]
    if not square:
        parts += [("wide", (np.arange(6.0).reshape(2, 3) - 2.5,)),
                  ("tall f32", (np.arange(6.0, dtype=np.float32).reshape(3, 2),))]
    return custom(*[(label, arrays, call) for label, arrays in parts])


def fft_parts(call, two_d=False):
    s = np.array([0.0, -0.0, 1.0, -2.0, 0.5, 3.0, -1.0, 2.0])
    parts = [("finite", (s,)), ("f32", (s.astype(np.float32),)), ("int", (np.arange(8),)),
             ("nan", (np.where(np.arange(8) == 3, np.nan, s),)),
             ("inf", (np.where(np.arange(8) == 2, np.inf, s),)),
             ("complex", (s + 1j * s[::-1],)), ("size-1", (np.array([-0.0]),))]
    if two_d:
        parts = [(label, (np.stack([a[0], a[0][::-1]]),)) for label, a in parts
                 if label != "size-1"]
        parts.append(("size-1", (np.array([[-0.0]]),)))
    return custom(*[(label, arrays, call) for label, arrays in parts])


# --------------------------------------------------------------------------- the table

_Q = np.array([0.0, 25.0, 50.0, 100.0])
_AX = ({}, {"axis": 0}, {"axis": 1, "keepdims": True})
_AX1 = ({}, {"axis": 0}, {"axis": -1})
_NOKEEP = ({}, {"axis": 0}, {"axis": 1})
_SORTED = np.sort(F)


def _stack_parts(call, n=2):
    """``f([a, b, ...])`` for stacking functions: specials, float32 with float64, ints."""
    return one_group(
        ("f64", (F, F[::-1]), lambda f, *a: call(f, list(a))),
        ("f32+f64", (F32, F), lambda f, *a: call(f, list(a))),
        ("int+bool", (ints(), np.array([True] * 8)), lambda f, *a: call(f, list(a))),
        ("2-d", (M, M32), lambda f, *a: call(f, list(a))),
        ("empty", (np.zeros((0,)), np.zeros((0,))), lambda f, *a: call(f, list(a))),
    )


def _lse(**kw):
    return lambda f, a: f(a, **kw)


def _lse_b(**kw):
    return lambda f, a, b: f(a, b=b, **kw)


def _complex(z):
    """``z`` as complex: NumPy's eig is real when every eigenvalue is, traced eig always
    complex (see KNOWN), so the values are compared in complex."""
    return z.astype(np.result_type(z.dtype, np.complex64))


def _cplx(re, im):
    """``re + i im`` without arithmetic (``1j * inf`` would put a NaN in the real part)."""
    z = np.empty(np.shape(re), np.complex128)
    z.real, z.imag = re, im
    return z


def _sides(x, k):
    """A partition of ``x`` at ``k`` (last axis), made comparable: the entry at ``k`` and the
    sorted entries on either side (their order inside each side is unspecified)."""
    return np.sort(x[..., :k], axis=-1), x[..., k], np.sort(x[..., k + 1:], axis=-1)


_COND = np.array([True, False, True, True, False])
_FIN = F[np.isfinite(F) & (np.abs(F) <= 3)]  # the special values an integer cast can hold
_BINS = np.array([-1.0, -0.0, 0.5, 2.0])
_XP = np.array([-1.0, 0.0, 2.0, 3.0])
# ldexp's exponents around float64's and float32's limits (and 2**-1074's)
_EXPONENTS = np.array([-5000, -2098, -1075, -1074, -1023, -150, -149, -1, 0, 1, 127, 128, 1023,
                       1024, 1074, 2098, 5000])
_MANTISSAS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -3.0, 5e-324, -2.2250738585072014e-308,
                       1.7976931348623157e308])


# Each entry: name -> builder of groups. A name may be qualified with its namespace
# ("linalg.norm") when it means something else there.
TABLE: dict[str, Callable[[], list]] = {
    # reductions
    **{n: (lambda: reduction(_AX)) for n in (
        "sum", "prod", "max", "min", "amax", "amin", "mean", "ptp", "any", "all",
        "nanmax", "nanmin", "nansum", "nanprod", "nanmean", "median", "nanmedian")},
    **{n: (lambda: reduction(_AX + ({"ddof": 1},))) for n in ("var", "std", "nanvar", "nanstd")},
    **{n: (lambda: reduction(_AX)) for n in ("argmax", "argmin", "nanargmax", "nanargmin")},
    "count_nonzero": lambda: reduction(_NOKEEP),
    "average": lambda: reduction(_NOKEEP) + one_group(
        ("weights", (M, M[::-1]), lambda f, a, w: f(a, axis=0, weights=w)),
        ("weights f32", (M32, np.abs(M32)), lambda f, a, w: f(a, axis=1, weights=w))),
    "percentile": lambda: reduction(({}, {"axis": 0}, {"axis": 1}), extra=(_Q,)) + one_group(
        ("scalar q", (M,), lambda f, a: f(a, 30.0, axis=1))),
    "quantile": lambda: reduction(({}, {"axis": 0}, {"axis": 1}), extra=(_Q / 100,)) + one_group(
        ("scalar q", (M,), lambda f, a: f(a, 0.3, axis=1))),
    # along an axis
    **{n: (lambda: along(({}, {"axis": 0}, {"axis": 1}))) for n in (
        "cumsum", "cumprod", "nancumsum", "nancumprod")},
    **{n: (lambda: along(({"axis": 0}, {"axis": 1}))) for n in (
        "cumulative_sum", "cumulative_prod")},
    "sort": lambda: along(({}, {"axis": 0}, {"axis": None})),
    "argsort": lambda: along(({}, {"axis": 0})),
    "diff": lambda: along(({}, {"axis": 0}, {"n": 2, "axis": 1})),
    "ediff1d": lambda: along(({},)),
    "gradient": lambda: along(({"axis": 1},), dtypes=FLOATS[:2] + (np.int64,)),
    "trapezoid": lambda: along(({}, {"axis": 0}), dtypes=FLOATS + (np.int64,)),
    "searchsorted": lambda: one_group(
        ("f64", (_SORTED, F), _apply), ("f32", (np.sort(F32), F32), _apply),
        ("int", (np.sort(ints()), ints()), _apply),
        ("right", (_SORTED, F), lambda f, a, v: f(a, v, side="right"))),
    # elementwise functions that are not ufuncs
    "round": lambda: unary() + unary(decimals=1),
    "around": lambda: unary() + unary(decimals=1),
    "rint": lambda: unary(),
    "fix": lambda: unary(),
    "sinc": lambda: unary(),
    "nan_to_num": lambda: unary() + unary(nan=-0.0, posinf=1.0, neginf=-1.0),
    "real": lambda: unary(), "imag": lambda: unary(), "angle": lambda: unary(),
    "iscomplex": lambda: unary(), "isreal": lambda: unary(),
    "iscomplexobj": lambda: unary(), "isrealobj": lambda: unary(),
    "stop_gradient": lambda: unary(),
    "copy": lambda: unary(), "asarray": lambda: unary(), "array": lambda: unary(),
    "ndim": lambda: unary(), "size": lambda: unary(), "shape": lambda: unary(),
    "isclose": lambda: binary() + binary(equal_nan=True),
    "clip": lambda: one_group(
        ("f64", (F, np.float64(-0.0), np.float64(0.5)), _apply),
        ("nan bounds", (F, np.float64(np.nan), np.float64(1.0)), _apply),
        ("f32 python bounds", (F32,), lambda f, a: f(a, -1.0, 0.0)),
        ("int", (ints(),), lambda f, a: f(a, -1, 2)),
        ("lower only", (F,), lambda f, a: f(a, 0.0, None))),
    "where": lambda: one_group(
        ("f64", (F != 0, F, F[::-1]), _apply), ("f32/int", (F32 > 0, F32, ints()[:1]), _apply),
        ("bool", (bools(), bools(), bools()[::-1]), _apply),
        ("numeric cond", (F, F[::-1], -F), _apply)),
    "select": lambda: one_group(
        ("f64", (F, F[::-1]), lambda f, a, b: f([a > 0, np.isnan(b)], [a, b], -0.0))),
    "float_power": lambda: binary(),
    # shapes, indexing, joining
    "reshape": lambda: one_group(
        ("f64", (M,), lambda f, a: f(a, (18, 5))), ("f16", (matrix(np.float16),),
                                                    lambda f, a: f(a, -1)),
        ("empty", (np.zeros((0, 3)),), lambda f, a: f(a, (3, 0)))),
    "ravel": lambda: along(({},)),
    "transpose": lambda: along(({},)) + one_group(
        ("axes", (M[None],), lambda f, a: f(a, (2, 0, 1)))),
    "swapaxes": lambda: one_group(("f64", (M,), lambda f, a: f(a, 0, 1)),
                                  ("int", (MI,), lambda f, a: f(a, 1, 0))),
    "moveaxis": lambda: one_group(("f64", (M[None],), lambda f, a: f(a, 0, -1))),
    "expand_dims": lambda: one_group(("f64", (F,), lambda f, a: f(a, 0)),
                                     ("bool", (bools(),), lambda f, a: f(a, -1))),
    "squeeze": lambda: one_group(("f64", (M[:1],), _apply), ("axis", (F[None],),
                                                             lambda f, a: f(a, 0))),
    "broadcast_to": lambda: one_group(("f64", (F,), lambda f, a: f(a, (2, 18))),
                                      ("0-d", (np.array(-0.0),), lambda f, a: f(a, (3,)))),
    "broadcast_arrays": lambda: one_group(("f64", (F[:, None], F32), _apply),
                                          ("0-d", (np.array(-0.0), ints()), _apply)),
    "concatenate": lambda: _stack_parts(lambda f, xs: f(xs)) + one_group(
        ("axis 1", (M, M32), lambda f, a, b: f([a, b], axis=1))),
    "stack": lambda: _stack_parts(lambda f, xs: f(xs)) + one_group(
        ("axis -1", (M, M32), lambda f, a, b: f([a, b], axis=-1))),
    "hstack": lambda: _stack_parts(lambda f, xs: f(xs)),
    "vstack": lambda: _stack_parts(lambda f, xs: f(xs)),
    "dstack": lambda: _stack_parts(lambda f, xs: f(xs)),
    "column_stack": lambda: _stack_parts(lambda f, xs: f(xs)),
    "append": lambda: one_group(("f64", (F, F32), _apply),
                                ("axis", (M, M[:1]), lambda f, a, b: f(a, b, axis=0))),
    "split": lambda: one_group(("f64", (M,), lambda f, a: f(a, 2, axis=1)),
                               ("indices", (F,), lambda f, a: f(a, [1, 5]))),
    "array_split": lambda: one_group(("f64", (M,), lambda f, a: f(a, 4, axis=1)),
                                     ("int", (ints(),), lambda f, a: f(a, 3))),
    "atleast_1d": lambda: unary(), "atleast_2d": lambda: unary(), "atleast_3d": lambda: unary(),
    "flip": lambda: along(({}, {"axis": 0})), "fliplr": lambda: along(({},)),
    "flipud": lambda: along(({},)),
    "rot90": lambda: along(({}, {"k": 3})),
    "roll": lambda: one_group(("f64", (F,), lambda f, a: f(a, 3)),
                              ("axis", (M,), lambda f, a: f(a, -2, axis=1)),
                              ("int", (MI,), lambda f, a: f(a, 1))),
    "tile": lambda: one_group(("f64", (F,), lambda f, a: f(a, 2)),
                              ("2-d", (M32,), lambda f, a: f(a, (2, 1)))),
    "repeat": lambda: one_group(("f64", (F,), lambda f, a: f(a, 2)),
                                ("axis", (M,), lambda f, a: f(a, 2, axis=0))),
    "delete": lambda: one_group(("f64", (F,), lambda f, a: f(a, [0, 4])),
                                ("axis", (M,), lambda f, a: f(a, 1, axis=0))),
    "take": lambda: one_group(("f64", (F,), lambda f, a: f(a, [5, 4, 0])),
                              ("axis", (M,), lambda f, a: f(a, [1, -1], axis=1))),
    "take_along_axis": lambda: one_group(
        ("f64", (M, np.argsort(M, axis=1)), lambda f, a, i: f(a, i, axis=1))),
    "diagonal": lambda: along(({}, {"offset": 1})),
    "diag": lambda: one_group(("vector", (F,), _apply), ("matrix", (M,), _apply),
                              ("k", (F32,), lambda f, a: f(a, k=-1))),
    "diagflat": lambda: one_group(("vector", (F,), _apply), ("k", (F32[:3],),
                                                             lambda f, a: f(a, k=1))),
    "trace": lambda: along(({}, {"offset": 1})),
    "tril": lambda: along(({}, {"k": 1})), "triu": lambda: along(({}, {"k": -1})),
    "pad": lambda: one_group(("f64", (F,), lambda f, a: f(a, 2)),
                             ("value", (M,), lambda f, a: f(a, 1, constant_values=-0.0)),
                             ("int", (ints(),), lambda f, a: f(a, (1, 2)))),
    "meshgrid": lambda: one_group(("f64", (F, F32[:4]), _apply),
                                  ("ij", (F, ints()), lambda f, a, b: f(a, b, indexing="ij"))),
    # products
    "dot": lambda: one_group(("vectors", (F, F[::-1]), _apply), ("matrices", (M, M.T), _apply),
                             ("int", (ints(), ints()), _apply), ("f32", (M32, F32), _apply),
                             # finite: np.dot(0-d, x) is BLAS's scal, which writes 0 for 0 * nan
                             ("scalar", (np.array(-0.0), np.nan_to_num(F)), _apply)),
    "vdot": lambda: one_group(("f64", (F, F[::-1]), _apply), ("f32", (M32, M32), _apply)),
    "inner": lambda: one_group(("f64", (F, F[::-1]), _apply), ("2-d", (M, M32), _apply)),
    "outer": lambda: one_group(("f64", (F, F[::-1]), _apply), ("f32/int", (F32, ints()), _apply)),
    "matmul": lambda: one_group(("f64", (M, M.T), _apply), ("vector", (M, F), _apply),
                                ("f32", (M32, M32.T), _apply), ("int", (MI, MI.T), _apply),
                                ("empty", (np.zeros((2, 0)), np.zeros((0, 3))), _apply)),
    "tensordot": lambda: one_group(("f64", (M, M), _apply),
                                   ("axes", (M, M32), lambda f, a, b: f(a, b, axes=([1], [1])))),
    "kron": lambda: one_group(("f64", (F[:6], F[6:12]), _apply), ("2-d", (M[:2, :3], M32[:2, :2]),
                                                                  _apply)),
    "cross": lambda: one_group(("f64", (F[:9].reshape(3, 3), F[9:].reshape(3, 3)), _apply)),
    "einsum": lambda: one_group(
        ("matmul", (M_PROD, M_PROD.T), lambda f, a, b: f("ij,jk->ik", a, b)),
        ("trace", (M[:, :5],), lambda f, a: f("ii->", a)),
        ("outer", (F, F32), lambda f, a, b: f("i,j->ij", a, b))),
    "convolve": lambda: one_group(("f64", (F, F[:3]), _apply),
                                  ("same", (F, F32[4:7]), lambda f, a, v: f(a, v, mode="same"))),
    "correlate": lambda: one_group(("f64", (F, F[:3]), _apply),
                                   ("full", (F, F32[4:7]), lambda f, a, v: f(a, v, mode="full"))),
    "cov": lambda: one_group(("f64", (M,), _apply), ("finite", (M[2:],), _apply),
                             ("f32", (M32[2:],), _apply)),
    "corrcoef": lambda: one_group(("f64", (M,), _apply), ("finite", (M[2:],), _apply)),
    # creation
    "zeros": lambda: static(("3", lambda f: f(3)), ("f32", lambda f: f((2, 0), np.float32))),
    "ones": lambda: static(("3", lambda f: f(3)), ("int", lambda f: f((2,), int))),
    "empty": lambda: [[p._replace(values=False) for p in static(
        ("3", lambda f: f(3)), ("f16", lambda f: f((2,), np.float16)))[0]]],
    "full": lambda: static(("-0.0", lambda f: f(3, -0.0)), ("nan", lambda f: f((2,), np.nan)),
                           ("f32 -inf", lambda f: f(2, -np.inf, np.float32)),
                           ("int", lambda f: f(2, 7))),
    "eye": lambda: static(("3", lambda f: f(3)), ("k", lambda f: f(3, 4, 1, np.float32))),
    "identity": lambda: static(("3", lambda f: f(3)), ("int", lambda f: f(2, int))),
    "tri": lambda: static(("3", lambda f: f(3)), ("k", lambda f: f(3, 2, -1))),
    "arange": lambda: static(("5", lambda f: f(5)), ("float", lambda f: f(-1.0, 1.0, 0.5)),
                             ("neg", lambda f: f(0.0, -2.0, -0.5))),
    "linspace": lambda: static(("5", lambda f: f(-1.0, 1.0, 5)),
                               ("zero", lambda f: f(-0.0, 0.0, 3))),
    "zeros_like": lambda: unary(), "ones_like": lambda: unary(),
    "empty_like": lambda: [[p._replace(values=False) for g in unary() for p in g]],
    # NaN filled into integers is undefined (NumPy casts it to whatever the platform gives)
    "full_like": lambda: unary(fill_value=-0.0) + [[p for p in g if p.arrays[0].dtype.kind == "f"]
                                                   for g in unary(fill_value=np.nan)],
    # bitwise on bools/ints (traced: bools only)
    # linalg
    "linalg.cholesky": lambda: matrices(_apply),
    "linalg.det": lambda: matrices(_apply),
    "linalg.slogdet": lambda: matrices(_apply),
    "linalg.inv": lambda: matrices(_apply),
    "linalg.eigh": lambda: matrices(_apply),
    "linalg.eigvalsh": lambda: matrices(_apply),
    "linalg.pinv": lambda: matrices(_apply, square=False),
    "linalg.svd": lambda: matrices(_apply, square=False),
    "linalg.svdvals": lambda: matrices(_apply, square=False),
    "linalg.qr": lambda: matrices(_apply, square=False),
    "linalg.matrix_rank": lambda: matrices(_apply, square=False),
    "linalg.cond": lambda: matrices(_apply),
    "linalg.matrix_norm": lambda: matrices(_apply, square=False),
    "linalg.matrix_power": lambda: matrices(lambda f, a: f(a, 3)) + matrices(lambda f, a: f(a, 0)),
    "linalg.matrix_transpose": lambda: matrices(_apply, square=False),
    "linalg.trace": lambda: matrices(_apply, square=False),
    "linalg.diagonal": lambda: matrices(_apply, square=False),
    "linalg.solve": lambda: matrices(lambda f, a: f(a, np.ones(a.shape[-1]))),
    "linalg.lstsq": lambda: custom(
        ("f64", (np.arange(6.0).reshape(3, 2) - 2.5, F[4:7]), lambda f, a, b: f(a, b)),
        ("nan", (np.arange(6.0).reshape(3, 2), F[:3]), lambda f, a, b: f(a, b))),
    "linalg.norm": lambda: reduction(({}, {"axis": 0}, {"axis": 1, "keepdims": True},
                                      {"ord": 1, "axis": 1}, {"ord": np.inf, "axis": 0},
                                      {"ord": 0, "axis": 1}), dtypes=FLOATS + (np.int64,)),
    "linalg.vector_norm": lambda: reduction(({}, {"axis": 0}, {"ord": 1, "axis": 1},
                                             {"ord": -np.inf, "axis": 0}),
                                            dtypes=FLOATS + (np.int64,)),
    "linalg.vecdot": lambda: one_group(("f64", (M, M[::-1]), _apply),
                                       ("f32", (M32, F32), _apply)),
    "linalg.outer": lambda: one_group(("f64", (F, F[::-1]), _apply)),
    "linalg.cross": lambda: one_group(("f64", (F[:9].reshape(3, 3), F[9:].reshape(3, 3)), _apply)),
    "linalg.multi_dot": lambda: one_group(("f64", (M, M.T, M), lambda f, *a: f(list(a)))),
    "linalg.matmul": lambda: one_group(("f64", (M, M.T), _apply), ("f32", (M32, M32.T), _apply)),
    "linalg.tensordot": lambda: one_group(("f64", (M, M), _apply)),
    # fft
    **{f"fft.{n}": (lambda: fft_parts(_apply)) for n in (
        "fft", "ifft", "rfft", "ihfft", "fftshift", "ifftshift")},
    **{f"fft.{n}": (lambda: fft_parts(_apply) + fft_parts(lambda f, a: f(a, n=4))) for n in (
        "irfft", "hfft")},
    **{f"fft.{n}": (lambda: fft_parts(_apply, two_d=True)) for n in (
        "fft2", "ifft2", "fftn", "ifftn", "rfft2", "rfftn", "irfft2", "irfftn")},
    "fft.fftfreq": lambda: static(("8", lambda f: f(8)), ("d", lambda f: f(5, 0.5))),
    "fft.rfftfreq": lambda: static(("8", lambda f: f(8)), ("d", lambda f: f(5, 0.5))),
    # scipy.special
    "special.logsumexp": lambda: reduction(_AX, dtypes=FLOATS + (np.int64,)) + one_group(
        ("-inf row", (np.full((2, 3), -np.inf),), _lse(axis=1)),
        ("inf and 0", (np.array([[np.inf, 0.0], [-np.inf, 0.0]]),), _lse(axis=1)),
        ("return_sign", (M,), _lse(axis=1, return_sign=True)),
        ("b", (M, M[::-1]), _lse_b(axis=0)),
        ("b sign", (M32, -M32), _lse_b(axis=1, return_sign=True)),
        ("b zeros", (M, np.zeros_like(M)), _lse_b(axis=1)),
        ("b negative", (np.zeros(3), np.array([1.0, -2.0, 0.5])), _lse_b(return_sign=True)),
    ),
    "special.softmax": lambda: reduction(({}, {"axis": 0}, {"axis": 1}),
                                         dtypes=FLOATS + (np.int64,)),
    "special.log_softmax": lambda: reduction(({}, {"axis": 0}, {"axis": 1}),
                                             dtypes=FLOATS + (np.int64,)),
    "special.betainc": lambda: [per_dtype(lambda dt: (
        (values(dt)[:, None, None], values(dt)[None, :, None], values(dt)[None, None, :]),
        _apply))] + one_group(
        ("0-d", (np.array(2.0), np.array(3.0), np.array(-0.0)), _apply),
        ("empty", (np.zeros((0,)), np.ones(1), np.ones(1)), _apply),
        ("f32×f64", (F32[:, None, None], F[None, :, None], F[None, None, :]), _apply)),
    "special.betaincc": lambda: TABLE["special.betainc"](),
    "special.polygamma": lambda: unary_n(lambda f, x: f(0, x)) + unary_n(lambda f, x: f(1, x))
    + unary_n(lambda f, x: f(3, x)),
    # Bessel functions of a static order (orders 0, 1 take the dedicated routines' siblings)
    **{f"special.{n}": (lambda: unary_n(lambda f, x: f(0, x)) + unary_n(lambda f, x: f(2.5, x))
                        + unary_n(lambda f, x: f(-1.5, x)))
       for n in ("jv", "jn", "yv", "iv", "ive", "kv", "kve")},
    **{f"special.{n}": (lambda: unary_n(lambda f, x: f(0, x)) + unary_n(lambda f, x: f(3, x)))
       for n in ("yn", "kn")},
    "special.factorial": lambda: unary(),
    "special.zeta": lambda: binary() + unary(),
    **{f"special.{n}": (lambda: unary()) for n in ("sici", "fresnel")},
    # hand-picked: SciPy 1.17's hyp1f1 does not return for large positive x (1e14, inf)
    "special.hyp1f1": lambda: [per_dtype(lambda dt: (
        (_HYP_P.astype(dt)[:, None, None], _HYP_P.astype(dt)[None, :, None],
         np.array([-np.inf, -1e4, -3.0, -0.0, 0.0, 1e-30, 0.5, 50.0, np.nan], dt)[None, None, :]),
        _apply), dtypes=FLOATS)] + one_group(
        ("0-d", (np.array(2.0), np.array(3.0), np.array(-0.0)), _apply)),
    # a hand-picked grid: SciPy 1.17's hyp2f1 crashes the interpreter at some huge and tiny
    # parameters (hyp2f1(max, 0.5, max, nan))
    "special.hyp2f1": lambda: [per_dtype(lambda dt: (
        (_HYP_P.astype(dt)[:, None, None, None], _HYP_P.astype(dt)[None, :, None, None],
         _HYP_P.astype(dt)[None, None, :, None], _HYP_Z.astype(dt)), _apply), dtypes=FLOATS)],
    "special.bessel_jn": lambda: unary_n(lambda f, x: f(x, v=3)),
    "special.sph_harm_y": lambda: one_group(
        ("grid", (np.array([0, 1, 2, 3, 2, -1])[:, None], np.array([0, 1, -1, 2, 3, 0])[:, None],
                  F[None, :], F[::-1][None, :]), _apply),
        ("f32", (np.array([2]), np.array([1]), F32, F32[::-1]), _apply)),
    "special.bernoulli": lambda: static(("0", lambda f: f(0)), ("5", lambda f: f(5))),
    "special.kl_div": lambda: binary(),  # its reference is no ufunc (REFERENCES)
    "special.comb": lambda: binary() + binary(repetition=True),
    "special.multigammaln": lambda: unary_n(lambda f, x: f(x, 1)) + unary_n(
        lambda f, x: f(np.abs(x) + 3.0, 3)),
    # the rest of the namespaces: logic and dtypes, creation, joining and splitting,
    # selection, ordering, polynomials, gufuncs, linalg's general eigenproblem and tensors
    "allclose": lambda: binary() + binary(equal_nan=True) + one_group(
        ("same", (F, F.copy()), lambda f, a, b: f(a, b, equal_nan=True)),
        ("infs", (np.array([np.inf, -0.0, 1.0]), np.array([np.inf, 0.0, 1.0 + 1e-9])), _apply),
        ("broadcast", (M, M[4]), _apply)),
    "array_equal": lambda: binary() + binary(equal_nan=True) + one_group(
        ("same nan", (F, F.copy()), lambda f, a, b: f(a, b, equal_nan=True)),
        ("f32 f64", (F32, F32.astype(np.float64)), _apply),
        ("shapes", (M, M[:2]), _apply)),
    "array_equiv": lambda: binary() + one_group(
        ("broadcast", (M[4:5], M[4]), _apply), ("shapes", (M, M[:2]), _apply)),
    "isin": lambda: one_group(
        ("f64", (F, F[::3]), _apply), ("invert", (M, F[:4]), lambda f, a, b: f(a, b, invert=True)),
        ("int", (ints(), ints()[:3]), _apply), ("f32 in int", (F32, ints()), _apply)),
    "can_cast": lambda: one_group(
        ("f64 to f32", (F,), lambda f, a: f(a, np.float32)),
        ("f16 to f64", (F16,), lambda f, a: f(a, np.float64)),
        ("int same_kind", (ints(),), lambda f, a: f(a, np.float16, casting="same_kind")),
        ("bool unsafe", (bools(),), lambda f, a: f(a, np.int8, casting="unsafe"))),
    "common_type": lambda: one_group(
        ("f32 f16", (F32, F16), lambda f, *a: np.zeros((), f(*a))),
        ("int f32", (ints(), F32), lambda f, *a: np.zeros((), f(*a))),
        ("f16", (F16,), lambda f, *a: np.zeros((), f(*a)))),
    "result_type": lambda: one_group(
        ("f32 int", (F32, ints()), lambda f, *a: np.zeros((), f(*a))),
        ("f16 python", (F16,), lambda f, a: np.zeros((), f(a, 1.0))),
        ("bool int8", (bools(),), lambda f, a: np.zeros((), f(a, np.int8)))),
    "min_scalar_type": lambda: one_group(
        ("f64", (F,), lambda f, a: np.zeros((), f(a))),
        ("int", (ints(np.int32),), lambda f, a: np.zeros((), f(a)))),
    "asanyarray": lambda: unary() + unary(dtype=np.float32),
    "ascontiguousarray": lambda: unary() + unary(dtype=np.float16),
    "asfortranarray": lambda: unary() + one_group(("2-d", (M,), _apply)),
    "require": lambda: unary() + unary(dtype=np.float32, requirements="C"),
    "astype": lambda: one_group(
        ("f64 f32", (F,), lambda f, a: f(a, np.float32)),
        ("f64 f16", (F,), lambda f, a: f(a, np.float16)),
        ("f64 bool", (F,), lambda f, a: f(a, bool)),
        ("f64 int", (_FIN,), lambda f, a: f(a, np.int32)),
        ("int f16", (ints(),), lambda f, a: f(a, np.float16)),
        ("bool int", (bools(),), lambda f, a: f(a, np.int64))),
    # the counted integers set the length, so they are static here (traced: KNOWN)
    "bincount": lambda: one_group(
        ("int", (), lambda f: f(np.array([0, 1, 1, 3, 2, 1, 7]), minlength=8)),
        ("weights", (F[:6],), lambda f, w: f(np.array([0, 1, 1, 3, 0, 2]), w, minlength=4)),
        ("weights f32", (F32[3:6],), lambda f, w: f(np.array([2, 2, 0]), w))) + custom(
        ("traced x", (np.array([0, 1, 1, 3]),), _apply)),
    "block": lambda: one_group(
        ("row", (F, F32), lambda f, a, b: f([a, b])),
        ("2-d", (M, M32), lambda f, a, b: f([[a, b], [b, a]])),
        ("int", (MI, M[:, :2]), lambda f, a, b: f([a, b]))),
    "choose": lambda: one_group(
        ("f64", (np.array([0, 1, 2, 1, 0]), F[:5], F[5:10], F[10:15]),
         lambda f, i, *c: f(i, list(c))),
        ("clip", (np.array([-1, 3, 0, 5, 1]), F[:5], F32[5:10]),
         lambda f, i, *c: f(i, list(c), mode="clip")),
        ("wrap", (np.array([-1, 3, 0, 5, 1]), F[:5], F[5:10]),
         lambda f, i, *c: f(i, list(c), mode="wrap"))),
    "compress": lambda: one_group(
        ("f64", (F,), lambda f, a: f(_COND, a[:5])),
        ("axis", (M,), lambda f, a: f(_COND, a, axis=0)),
        ("int", (MI,), lambda f, a: f(_COND[:3], a, axis=1))),
    "extract": lambda: one_group(("f64", (M,), lambda f, a: f(np.isfinite(M) & (M != 0), a)),
                                 ("int", (ints(),), lambda f, a: f(ints() > 0, a))),
    # JAX's fixed-size forms (size=), against NumPy's result padded (REFERENCES)
    "nonzero": lambda: one_group(("f64", (F,), lambda f, a: f(a, size=20, fill_value=-1)),
                                 ("2-d", (M32,), lambda f, a: f(a, size=9)),
                                 ("int", (ints(),), lambda f, a: f(a, size=3))),
    "flatnonzero": lambda: one_group(("f64", (M,), lambda f, a: f(a, size=7, fill_value=-1)),
                                     ("bool", (bools(),), lambda f, a: f(a, size=5))),
    "argwhere": lambda: one_group(("f64", (M,), lambda f, a: f(a, size=9, fill_value=-1)),
                                  ("f32", (F32,), lambda f, a: f(a, size=30))),
    **{n: (lambda n=n: one_group(
        ("f64", (F,), lambda f, a: f(a, size=25, fill_value=-7.0)),
        ("few", (M32,), lambda f, a: f(a, size=3)),
        ("int", (ints(),), lambda f, a: f(a, size=10)))) for n in (
            "unique", "unique_values", "unique_counts", "unique_inverse", "unique_all")},
    "union1d": lambda: one_group(("f64", (F, M32), lambda f, a, b: f(a, b, size=30)),
                                 ("int", (ints(),), lambda f, a: f(a, a + 1, size=12))),
    "setdiff1d": lambda: one_group(("f64", (F, M), lambda f, a, b: f(a, b[3], size=9)),
                                   ("int", (ints(),), lambda f, a: f(a, a[:3], size=8))),
    "fill_diagonal": lambda: one_group(
        ("f64", (M, F), lambda f, a, v: f(a, v, inplace=False)),
        ("f32", (M32,), lambda f, a: f(a, -0.0, inplace=False))),
    "concat": lambda: _stack_parts(lambda f, xs: f(xs)) + one_group(
        ("axis 1", (M, M32), lambda f, a, b: f([a, b], axis=1))),
    "row_stack": lambda: _stack_parts(lambda f, xs: f(xs)),
    "diag_indices_from": lambda: one_group(("f64", (M[:, :5],), _apply),
                                           ("3-d", (np.zeros((2, 2, 2)),), _apply)),
    "tril_indices_from": lambda: one_group(("f64", (M,), _apply),
                                           ("k", (M32,), lambda f, a: f(a, k=2))),
    "triu_indices_from": lambda: one_group(("f64", (M,), _apply),
                                           ("k", (M32,), lambda f, a: f(a, k=-1))),
    # traced integer positions, static shape (JAX's form)
    "unravel_index": lambda: one_group(
        ("int", (np.array([0, 5, 23, 7]),), lambda f, i: f(i, (2, 3, 4))),
        ("F", (np.array([[1, 2], [3, 0]], np.int32),), lambda f, i: f(i, (2, 3, 4), order="F")),
        ("empty", (np.zeros(0, np.int64),), lambda f, i: f(i, (3,)))),
    "ravel_multi_index": lambda: one_group(
        ("int", (np.array([0, 1, 1]), np.array([2, 0, 3])), lambda f, i, j: f((i, j), (2, 4))),
        ("wrap clip", (np.array([-1, 5, 2]), np.array([7, -3, 1])),
         lambda f, i, j: f((i, j), (3, 4), mode=("wrap", "clip"))),
        ("F", (np.array([1, 0]), np.array([[2], [3]])), lambda f, i, j: f((i, j), (2, 4), order="F"))),
    "digitize": lambda: one_group(
        ("f64", (F, _BINS), _apply), ("right", (F, _BINS), lambda f, x, b: f(x, b, right=True)),
        ("decreasing", (F32, _BINS[::-1].copy()), _apply),
        ("int", (ints(), np.array([-3, 0, 7])), _apply)),
    "divmod": lambda: binary(),
    "modf": lambda: unary(),
    "frexp": lambda: unary(),
    "isposinf": lambda: unary(), "isneginf": lambda: unary(),
    "i0": lambda: unary(),
    "dsplit": lambda: one_group(("f64", (M.reshape(5, 2, 9),), lambda f, a: f(a, 3)),
                                ("indices", (M32.reshape(5, 3, 6),), lambda f, a: f(a, [1, 4]))),
    "hsplit": lambda: one_group(("f64", (M,), lambda f, a: f(a, 3)),
                                ("1-d", (F,), lambda f, a: f(a, [2, 5]))),
    "vsplit": lambda: one_group(("f64", (M,), lambda f, a: f(a, [1, 3])),
                                ("int", (MI[:4],), lambda f, a: f(a, 2))),
    "geomspace": lambda: one_group(
        ("f64", (np.array(1.0), np.array(1000.0)), lambda f, a, b: f(a, b, 4)),
        ("negative", (np.array(-1.0), np.array(-16.0)), lambda f, a, b: f(a, b, 5)),
        ("inf", (np.array(1.0), np.array(np.inf)), lambda f, a, b: f(a, b, 3)),
        ("nan", (np.array(np.nan), np.array(2.0)), lambda f, a, b: f(a, b, 3)),
        ("f32 no endpoint", (np.float32(2.0), np.float32(32.0)),
         lambda f, a, b: f(a, b, 4, endpoint=False)),
        ("arrays", (np.array([1.0, -2.0]), np.array([8.0, -0.5])), lambda f, a, b: f(a, b, 3))),
    "logspace": lambda: one_group(
        ("f64", (np.array(-1.0), np.array(2.0)), lambda f, a, b: f(a, b, 4)),
        ("-inf", (np.array(-np.inf), np.array(0.0)), lambda f, a, b: f(a, b, 3)),
        ("nan", (np.array(np.nan), np.array(1.0)), lambda f, a, b: f(a, b, 3)),
        ("-0.0 base 2", (np.array(-0.0), np.array(3.0)), lambda f, a, b: f(a, b, 4, base=2.0)),
        ("f32", (np.float32(0.0), np.float32(1.0)), lambda f, a, b: f(a, b, 3)),
        ("int", (np.array(0), np.array(2)), lambda f, a, b: f(a, b, 3))),
    "insert": lambda: one_group(
        ("f64", (F, F32[:2]), lambda f, a, v: f(a, [1, 3], v)),
        ("scalar", (F,), lambda f, a: f(a, 0, -0.0)),
        ("axis", (M, M[0]), lambda f, a, v: f(a, 2, v, axis=0)),
        ("int", (ints(),), lambda f, a: f(a, -1, 5))),
    "interp": lambda: one_group(
        ("f64", (F, _XP, np.array([1.0, -0.0, np.inf, 2.0])), _apply),
        ("finite fp", (F, _XP, np.array([-0.0, 0.0, 1.0, -2.0])), _apply),
        ("left right", (F32, _XP, np.array([1.0, 2.0, 3.0, 4.0])),
         lambda f, x, xp, fp: f(x, xp, fp, left=-0.0, right=np.nan)),
        ("period", (_FIN, _XP, np.array([1.0, 2.0, 3.0, 4.0])),
         lambda f, x, xp, fp: f(x, xp, fp, period=4.0)),
        ("int", (ints()[:6], np.array([0, 1, 5]), np.array([0.0, 1.0, -1.0])), _apply)),
    "lexsort": lambda: one_group(
        ("f64", (F, F[::-1]), lambda f, a, b: f((a, b))),
        ("ties", (np.array([1.0, -0.0, 0.0, 1.0]), np.array([0.0, 0.0, 0.0, -0.0])),
         lambda f, a, b: f((a, b))),
        ("int", (ints(), bools().repeat(2)), lambda f, a, b: f((a, b))),
        ("2-d", (M,), lambda f, a: f(a))),
    "matrix_transpose": lambda: along(({},)),
    "permute_dims": lambda: along(({},)) + one_group(
        ("axes", (M[None],), lambda f, a: f(a, (2, 0, 1)))),
    "rollaxis": lambda: one_group(("f64", (M[None],), lambda f, a: f(a, 2)),
                                  ("start", (M32[None],), lambda f, a: f(a, 0, 3))),
    "unstack": lambda: one_group(("f64", (M,), _apply), ("axis", (M32,), lambda f, a: f(a, axis=1))),
    "resize": lambda: one_group(("f64", (F,), lambda f, a: f(a, (4, 5))),
                                ("2-d", (M,), lambda f, a: f(a, 7)),
                                ("int", (MI,), lambda f, a: f(a, (2, 2)))),
    "nanpercentile": lambda: reduction(({}, {"axis": 0}, {"axis": 1}), extra=(_Q,)) + one_group(
        ("scalar q", (M,), lambda f, a: f(a, 30.0, axis=1))),
    "nanquantile": lambda: reduction(({}, {"axis": 0}, {"axis": 1}), extra=(_Q / 100,)) + one_group(
        ("scalar q", (M,), lambda f, a: f(a, 0.3, axis=1))),
    "partition": lambda: one_group(
        ("f64", (F,), lambda f, a: _sides(f(a, 7), 7)),
        ("2-d", (M,), lambda f, a: _sides(f(a, 3), 3)),
        ("int", (ints(),), lambda f, a: _sides(f(a, 0), 0))),
    "argpartition": lambda: one_group(
        ("f64", (F,), lambda f, a: _sides(a[f(a, 7)], 7)),
        ("int", (ints(),), lambda f, a: _sides(a[f(a, 5)], 5))),
    "piecewise": lambda: one_group(
        ("f64", (F,), lambda f, x: f(x, [x < 0, x > 0], [lambda v: -v, lambda v: v * 2.0])),
        ("otherwise", (F32,), lambda f, x: f(x, [x < 0], [-1.0, lambda v: v + 1.0]))),
    "apply_along_axis": lambda: one_group(
        ("f64", (M,), lambda f, a: f(lambda v: v[::-1] * v[0], 1, a)),
        ("axis 0", (M32,), lambda f, a: f(lambda v: v[1:] - v[:-1], 0, a))),
    "apply_over_axes": lambda: one_group(
        ("f64", (M,), lambda f, a: f(lambda x, axis: x.sum(axis=axis, keepdims=True), a, [0])),
        ("both", (M32,), lambda f, a: f(lambda x, axis: x.max(axis=axis, keepdims=True), a,
                                        [0, 1]))),
    "poly": lambda: one_group(
        ("roots", (np.array([1.0, -0.0, 2.0, -3.0]),), _apply),
        ("inf root", (np.array([np.inf, 1.0]),), _apply),
        ("f32", (F32[4:8],), _apply),
        ("matrix", (_spd(),), _apply),
        ("rotation", (np.array([[0.0, -2.0], [1.0, 0.0]]),), _apply)),
    "polyadd": lambda: one_group(("f64", (F[:5], F[5:8]), _apply), ("f32 int", (F32, ints()), _apply)),
    "polysub": lambda: one_group(("f64", (F[:5], F[5:8]), _apply), ("f32 int", (F32, ints()), _apply)),
    "polymul": lambda: one_group(("f64", (F[6:11], F[10:13]), _apply),
                                 ("f32 int", (F32[6:], ints()[1:]), _apply),
                                 ("nan", (F[:4], F[6:9]), _apply)) + custom(
        ("leading zero", (F[:5], F[5:8]), _apply)),
    "polydiv": lambda: one_group(
        ("f64", (np.array([1.0, -0.0, 0.5, 2.0, -3.0, 1.5]), np.array([2.0, -0.0, 1.0])), _apply),
        ("specials", (F[4:12], np.array([-3.0, 0.5])), _apply)) + custom(
        ("f32", (np.array([2.0, -1.0, 0.5, -0.0], np.float32), np.array([-3.0, 0.5], np.float32)),
         _apply),
        ("nan", (F[4:12], np.array([np.nan, 1.0])), _apply)),
    "polyder": lambda: one_group(("f64", (F,), _apply), ("m", (F32,), lambda f, p: f(p, 2)),
                                 ("int", (ints(),), _apply)),
    "polyint": lambda: one_group(("f64", (F,), _apply), ("m", (F32,), lambda f, p: f(p, 2)),
                                 ("k", (F[4:9],), lambda f, p: f(p, 1, k=-0.0))),
    "polyval": lambda: one_group(
        ("f64", (np.array([1.0, -0.0, 2.0]), F), _apply),
        ("inf coef", (np.array([np.inf, 1.0]), F[4:8]), _apply),
        ("f32", (F32[4:7], F32), _apply),
        ("int", (ints()[:3], ints()[:4]), _apply)),
    "polyfit": lambda: one_group(
        ("f64", (np.arange(5.0) - 2.0, np.array([1.0, -0.0, 0.5, 2.0, -3.0])),
         lambda f, x, y: f(x, y, 2)),
        ("f32", (np.arange(4.0, dtype=np.float32), np.array([-0.0, 1, 4, 9], np.float32)),
         lambda f, x, y: f(x, y, 1))),
    "real_if_close": lambda: unary() + custom(
        ("complex", (_cplx(F, 1e-20),), _apply), ("not close", (_cplx(F, 1e-3),), _apply)),
    "sort_complex": lambda: unary() + one_group(("complex", (_cplx(F, F[::-1]),), _apply)),
    "unwrap": lambda: along(({}, {"axis": 0}), dtypes=FLOATS + (np.int64,)) + one_group(
        ("period", (_FIN * 3,), lambda f, p: f(p, period=4.0)),
        ("discont", (np.array([0.0, 3.5, 7.0, -0.0]),), lambda f, p: f(p, discont=4.0))),
    "vander": lambda: one_group(("f64", (F[:6],), _apply), ("N", (F32,), lambda f, x: f(x, 3)),
                                ("increasing", (ints()[:5],), lambda f, x: f(x, increasing=True))),
    "ldexp": lambda: binary() + one_group(
        ("exponents", (_MANTISSAS[:, None], _EXPONENTS[None, :]), _apply),
        ("f32", (F32[:, None], _EXPONENTS[None, :].astype(np.int32)), _apply),
        ("f16", (F16[:, None], _EXPONENTS[None, 4:-4]), _apply)),
    "vecdot": lambda: one_group(("f64", (M_PROD, M_PROD[::-1]), _apply),
                                ("broadcast", (M_PROD, M_PROD[4]), _apply),
                                ("f32 int", (M32, MI), _apply), ("bool", (bools(), bools()), _apply),
                                ("complex", (_cplx(M_PROD, M_PROD[::-1]), M_PROD), _apply),
                                ("empty", (np.zeros((2, 0)), np.zeros((2, 0))), _apply)) + custom(
        ("core mismatch", (F[:, None], F[None, :]), _apply)),
    "matvec": lambda: one_group(("f64", (M_PROD, M_PROD[0]), _apply),
                                ("f32 int", (M32.T, MI[:, 0]), _apply),
                                ("bool", (bools()[None], bools()), _apply)),
    "vecmat": lambda: one_group(("f64", (M_PROD[:, 0], M_PROD), _apply),
                                ("f32 int", (MI[:, 0], M32), _apply),
                                ("bool", (bools(), bools()[:, None]), _apply)),
    "linalg.eigvals": lambda: matrices(lambda f, a: _complex(f(a))) + custom(
        ("complex pair", (np.array([[0.0, -2.0], [1.0, 0.0]]),), _apply),
        ("real eigenvalues", (np.array([[2.0, 1.0], [-0.0, 3.0]]),), _apply)),
    "linalg.eig": lambda: matrices(lambda f, a: tuple(_complex(z) for z in f(a))) + custom(
        ("complex pair", (np.array([[0.0, -2.0], [1.0, 0.0]]),), _apply)),
    "linalg.tensorinv": lambda: custom(
        ("f64", (_spd(n=4).reshape(4, 2, 2) * np.where(np.eye(4) == 1, 1.0, -0.0).reshape(4, 2, 2),),
         lambda f, a: f(a, ind=1)),
        ("f32", (np.eye(6, dtype=np.float32).reshape(2, 3, 6) * 2,), lambda f, a: f(a, ind=2)),
        ("nan", (np.where(np.eye(4) == 1, np.nan, 1.0).reshape(4, 2, 2),), lambda f, a: f(a, 1)),
        ("singular", (np.ones((4, 2, 2)),), lambda f, a: f(a, 1))),
    "linalg.tensorsolve": lambda: custom(
        ("f64", ((2 * np.eye(6) + 0.5).reshape(6, 2, 3), F[4:10]), _apply),
        ("nan b", (np.eye(4).reshape(4, 2, 2), F[:4]), _apply),
        ("f32", (np.eye(4, dtype=np.float32).reshape(4, 2, 2), F32[:4]), _apply),
        ("axes", ((3 * np.eye(4) - 0.5).reshape(2, 2, 4), np.ones((2, 2))),
         lambda f, a, b: f(a, b, axes=(0,)))),
}


_HYP_P = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0, 1e-30])
_HYP_Z = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, 1.0, -3.0, 0.999])


def unary_n(call):
    """:func:`unary` cases with a custom call (a static first argument, say)."""
    return [[p._replace(call=call) for p in g] for g in unary()]


# Where NumPy itself does not specify the sign of a zero result: the comparison accepts either
# sign there (values, NaN and infinities are still compared exactly as elsewhere).
_TIE = ("NumPy returns either zero at a -0.0/0.0 tie, depending on its loop: fmax/fmin differ "
        "between array layouts, clip between scalar and array bounds, maximum/minimum between "
        "float16 and float32/64 and between CPUs' vector loops (jit keeps the operand order, "
        "so it matches eager NumPy: test_maximum_minimum_keep_their_operand_order_under_jit)")
_ORDER = ("-0.0 and 0.0 are equal keys: which one a sort puts first (and an order statistic "
          "picks or averages) is the sort algorithm's choice")
_NAN_ORDER = ("with equal_nan=False each NaN is its own value, and which one sorts first is "
              "the sort's choice: NumPy's unique_inverse numbers the second NaN of the input "
              "first, wire (a stable sort, as JAX's) the first")

ZERO_SIGN_UNSPECIFIED = {
    **{n: _TIE for n in ("maximum", "minimum", "fmax", "fmin", "clip")},
    "dot": ("np.dot of a 0-d array is BLAS's scal, which writes 0.0 for 0.0 * -x, where a "
            "product gives -0.0"),
    **{n: _ORDER for n in ("sort", "median", "nanmedian", "percentile", "quantile",
                           "nanpercentile", "nanquantile", "partition", "argpartition",
                           "sort_complex", "unique", "unique_values", "unique_counts",
                           "unique_inverse", "unique_all", "union1d", "setdiff1d")},
}

# FFTs: which outputs of a transform of inf/NaN are inf rather than NaN, and whether the NaN
# reaches the real or the imaginary part, depends on the FFT algorithm's butterflies; so is
# the rounding of an output that should be 0. For these, non-finite outputs are compared as
# a pattern (|z| finite or not), and finite ones with a tolerance relative to the largest.
FFT_LIKE = frozenset(f"fft.{n}" for n in (
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
    "rfftn", "irfftn", "hfft", "ihfft"))

# Deliberate differences: (function, part) -> (kinds, reason). The test checks each still
# happens (an entry whose difference is gone must be removed), and nothing else does.
_INT_DIV = ("integers and booleans become float64 (1 / x), not NumPy's integer reciprocal (0 "
            "for |x| > 1, undefined at 0); documented in its docstring")
_ZERO_WEIGHTS = ("weights that sum to 0 give NaN when traced (the values are unknown while "
                 "tracing); eager calls raise as NumPy")
_ALL_NAN = ("an all-NaN slice gives -1 when traced (JAX's choice; the values are unknown while "
            "tracing); eager calls raise ValueError as NumPy")
_FULL_SVD = ("full_matrices=True of a non-square traced matrix is refused with a WireError "
             "naming full_matrices=False (no derivative rule for the extra columns)")
_INT_SHIFT = ("integers become float64 before the shift by the maximum; SciPy subtracts them "
              "as int64, which wraps around at the extremes")
_LSE_EMPTY = ("an empty array gives -inf (the log of an empty sum, as SciPy gives for an empty "
              "axis); SciPy raises IndexError for axis=None on a 2-d one")
_LSE_ZERO_WEIGHTS = ("a slice whose weights are all 0 is -inf, the log of an empty sum; SciPy "
                     "gives NaN when that slice holds an inf or NaN (its fallback computes "
                     "0 * inf), though a zero weight drops the entry everywhere else")
_MGL_DOMAIN = ("a <= (d - 1) / 2 gives NaN when traced; eager calls raise ValueError as SciPy")

_TRACED_COUNTS = ("traced integers would set the result's length: wire raises a WireError that "
                  "names them (documented); NumPy counts them")
_REMAINDER = ("the traced remainder has len(v) - 1 coefficients (documented); NumPy also drops "
              "leading ones within 1e-8 of 0 (rounding residue), which depends on the values, "
              "and keeps them all when one is NaN")
_LEADING_ZERO = ("the traced product has len(a1) + len(a2) - 1 coefficients (documented); NumPy "
                 "first strips leading zero coefficients (np.poly1d), which depends on the values")
_REAL_IF_CLOSE = ("whether the result is real depends on the values: traced complex input raises "
                  "a WireError pointing to wire.numpy.real (documented)")
_EIG_COMPLEX = ("traced eigenvalues are complex (documented: the dtype cannot depend on the "
                "values); NumPy's are real when all of them are")
_FIRST_SLICE = ("NumPy's apply_along_axis allocates the result in the dtype of the first "
                "slice's result, float32 when that slice holds only NaN; wire gives every slice "
                "the result type of a and q")

# Deliberate differences: (function, part) -> (kinds, reason). The test checks each still
# happens (an entry whose difference is gone must be removed), and nothing else does.
_TINY_GAMMA = ("at a subnormal x lnΓ(x) is -ln x (744.44 at 5e-324), which SciPy's gammaln and "
               "loggamma give as inf (Γ(x) overflows, its logarithm does not)")
_BETA_INF = ("B(inf, 5e-324) is the limit Γ(b) a^-b -> 0 of a finite shape b (betaln -inf); "
             "SciPy gives NaN")

KNOWN = {
    **{(f"special.{n}", "float64"): ({"inf"}, _TINY_GAMMA) for n in ("gammaln", "loggamma")},
    ("special.betaln", "int32×float64"): ({"inf"}, _TINY_GAMMA),
    **{(f"special.{n}", p): ({"nan"}, _BETA_INF) for n in ("beta", "betaln")
       for p in ("float64", "float32×float64")},
    **{("unique_inverse", p): ({"value"}, _NAN_ORDER) for p in ("f64", "few")},
    **{("reciprocal", p): ({"dtype"}, _INT_DIV) for p in ("int64", "int32", "bool")},
    ("average", "weights f32"): ({"no error"}, _ZERO_WEIGHTS),
    **{(n, p): ({"no error"}, _ALL_NAN) for n in ("nanargmax", "nanargmin")
       for p in ("size-1 {'axis': 0}", "size-1 ties {'axis': 1, 'keepdims': True}",
                 *(f"ties {dt}{view} {kw}" for dt in ("float64", "float32", "float16")
                   for view, kw in (("", "{'axis': 1, 'keepdims': True}"), (" T", "{'axis': 0}"),
                                    (" reversed", "{'axis': 1, 'keepdims': True}"))))},
    **{("linalg.svd", p): ({"raises"}, _FULL_SVD) for p in ("wide", "tall f32")},
    **{(f"special.{n}", f"int64 {kw}"): ({"nan", "inf", "value"}, _INT_SHIFT)
       for n in ("softmax", "log_softmax") for kw in ("{}", "{'axis': 0}", "{'axis': 1}")},
    **{("special.logsumexp", p): ({"no error"}, _LSE_EMPTY) for p in ("empty {}", "empty f16 {}")},
    ("special.logsumexp", "b zeros"): ({"nan"}, _LSE_ZERO_WEIGHTS),
    **{("special.multigammaln", p): ({"no error"}, _MGL_DOMAIN)
       for p in ("float64", "float32", "float16", "int64", "int32", "bool", "0-d", "size-1 f16")},
    ("bincount", "traced x"): ({"raises"}, _TRACED_COUNTS),
    **{("special.factorial", p): ({"nan"}, "SciPy adds 1 to an integer n in its own dtype, "
                                   "which wraps at the largest integer (NaN); wire computes "
                                   "in float64 (inf)") for p in ("int64", "int32")},
    **{(f"special.{n}", "float64"): ({"value"}, "at a tiny shape a SciPy's P(a, x) is above 1, "
                                      "and at a subnormal one 0 with Q 0 or negative; wire "
                                      "gives Q = a E1(x), P = 1 - Q (P(5e-324, 1) = 1, SciPy "
                                      "0; Q(2.2e-308, 2) = 1.09e-309, SciPy 0)")
       for n in ("gammainc", "gammaincc")},
    **{("special.betainc", p): ({"value", "nan"}, "at tiny shapes SciPy's I_x(a, b) is 0 or 1; "
                                 "wire's is b/(a+b) (x^a - a ln(1-x)) where a and b are tiny "
                                 "and linear in b where b alone is (I_x(5e-324, 5e-324, 0.5) = "
                                 "0.5, SciPy 0); at a subnormal x it is x^a / (a B(a, b)) "
                                 "(I_{5e-324}(0.5, 2) = 3.33e-162, SciPy 2.89e-162), and "
                                 "at a huge b P(a, -b ln(1 - x)) (SciPy NaN); "
                                 "float32 is computed in float64 (SciPy's "
                                 "float32 loop is NaN at b = 3.4e38, and I_x(0.5, 2, 1e-45) "
                                 "5.13e-23, true 5.62e-23)")
       for p in ("float64", "float32", "f32×f64")},
    ("special.rgamma", "float64"): ({"value"}, "1/Γ(x) is x to first order: rgamma(-5e-324) "
                                    "is -5e-324 (SciPy rounds it to -0.0)"),
    **{(f"special.{n}", "float64"): ({"nan"}, "SciPy's iv and ive are NaN at x below 1e-308 "
                                    "(subnormal); wire's is the series' first term "
                                    "(x/2)^v / Γ(v + 1), as mpmath's rounded")
       for n in ("iv", "ive")},
    **{("polydiv", p): ({"shape"}, _REMAINDER) for p in ("f32", "nan")},
    ("polymul", "leading zero"): ({"shape"}, _LEADING_ZERO),
    **{("real_if_close", p): ({"raises"}, _REAL_IF_CLOSE) for p in ("complex", "not close")},
    ("linalg.eigvals", "real eigenvalues"): ({"dtype"}, _EIG_COMPLEX),
    **{(n, "size-1 {'axis': 0}"): ({"dtype"}, _FIRST_SLICE) for n in ("nanquantile",
                                                                     "nanpercentile")},
}


# Functions left out, with the reason. Every name of the namespaces is either callable as a
# ufunc, in TABLE or here.
EXCLUDED = {
    "einsum_path": "returns a contraction plan (strings and lists), no array semantics",
}

# NumPy/SciPy names whose reference is not the same name in the reference namespace.
def _pad(v, size, fill):
    """``v`` cut or padded to ``size`` entries along its first axis (with ``fill``)."""
    v = np.asarray(v)[:size]
    pad = np.full((size - len(v),) + v.shape[1:], fill).astype(v.dtype)
    return np.concatenate([v, pad])


def _nonzero_reference(a, *, size, fill_value=None):
    fill = 0 if fill_value is None else fill_value
    return tuple(_pad(i, size, fill) for i in np.nonzero(np.atleast_1d(a)))


def _unique_reference(kind):
    """JAX's ``unique*(x, size=, fill_value=)`` from NumPy's: values padded with the fill (or
    the smallest value), counts with 0, first indices with the smallest value's."""
    def ref(a, *, size, fill_value=None):
        out = getattr(np, kind)(a)
        parts = out if isinstance(out, tuple) else (out,)
        values = parts[0]
        fill = values[0] if fill_value is None else fill_value
        padded = [_pad(values, size, fill)]
        for name, part in zip(getattr(out, "_fields", ())[1:], parts[1:]):
            pad = {"counts": 0, "indices": part[0] if len(part) else 0}.get(name)
            padded.append(part if pad is None else _pad(part, size, pad))
        return type(out)(*padded) if isinstance(out, tuple) else padded[0]
    return ref


def _fill_diagonal_reference(a, val, *, inplace):
    out = np.array(a, copy=True)
    np.fill_diagonal(out, val)
    return out


REFERENCES = {
    "nonzero": _nonzero_reference,
    "flatnonzero": lambda a, *, size, fill_value=None: _nonzero_reference(
        np.ravel(a), size=size, fill_value=fill_value)[0],
    "argwhere": lambda a, *, size, fill_value=None: np.stack(_nonzero_reference(
        a, size=size, fill_value=fill_value), axis=1),
    **{n: _unique_reference(n) for n in ("unique_counts", "unique_inverse", "unique_all")},
    # (NumPy 2.3's unique_values need not sort; JAX's and wire's sort, as unique does)
    "unique_values": lambda a, *, size, fill_value=None: _pad(
        np.unique(a, equal_nan=False), size,
        np.unique(a)[0] if fill_value is None else fill_value),
    "unique": lambda a, *, size, fill_value=None: _pad(
        np.unique(a), size, np.unique(a)[0] if fill_value is None else fill_value),
    "union1d": lambda a, b, *, size: _pad(np.union1d(a, b), size, np.union1d(a, b)[0]),
    "setdiff1d": lambda a, b, *, size: _pad(np.setdiff1d(a, b), size, 0),
    "fill_diagonal": _fill_diagonal_reference,
    "stop_gradient": lambda x: x,
    "special.sinc": np.sinc,
    "special.bessel_jn": lambda z, *, v: _bessel_jn_reference(z, v),
    # SciPy's kl_div takes log(x / y) of a ratio that over- or underflows (inf where the
    # truth is 743.4 at x = 1, y = 5e-324); its own rel_entr takes log x - log y there
    "special.kl_div": lambda x, y: _kl_div_reference(x, y),
}


def _bessel_jn_reference(z, v):
    import scipy.special as ssp

    return np.stack([ssp.jv(k, z) for k in range(v + 1)])


def _kl_div_reference(x, y):
    import scipy.special as ssp

    with np.errstate(all="ignore"):
        inside = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
        return np.where(inside, ssp.rel_entr(x, y) - x + y, ssp.kl_div(x, y))


# --------------------------------------------------------------------------- enumeration


def namespaces():
    """``(prefix, wire namespace, reference namespace)`` for every namespace covered."""
    import scipy.special as ssp

    return [("", wnp, np), ("linalg.", wnp.linalg, np.linalg), ("fft.", wnp.fft, np.fft),
            ("special.", wsp, ssp)]


def functions(ns) -> list[str]:
    """Public callables of ``ns`` (its ``__all__``), as ``wire.catalog`` lists them."""
    return sorted(n for n in ns.__all__ if callable(getattr(ns, n))
                  and not inspect.isclass(getattr(ns, n)))


def reference(prefix: str, name: str, ref_ns):
    got = REFERENCES.get(prefix + name)
    if got is not None:
        return got
    return getattr(ref_ns, name, None)


def cases_for(prefix: str, name: str, ref):
    """The groups of parts for one function, or None when it has no declared way to call."""
    key = prefix + name
    builder = TABLE.get(key) or TABLE.get(name) if prefix in ("", "special.") else TABLE.get(key)
    if builder is not None:
        return builder()
    if isinstance(ref, np.ufunc) and ref.nout == 1:
        if ref.nin == 1:
            return unary()
        if ref.nin == 2:
            return binary()
    return None


class Entry(NamedTuple):
    qualname: str
    wire_fn: Callable
    ref_fn: Callable | None
    groups: list | None
    excluded: str | None


def catalogue() -> list[Entry]:
    """Every function of the namespaces with how it is exercised (or why it is not)."""
    out = []
    for prefix, ns, ref_ns in namespaces():
        for name in functions(ns):
            q = prefix + name
            ref = reference(prefix, name, ref_ns)
            reason = EXCLUDED.get(q)
            if reason is None and ref is None:
                reason = f"no {ref_ns.__name__}.{name} to compare with"
            groups = None if reason else cases_for(prefix, name, ref)
            if reason is None and groups is None:
                reason = "UNDECLARED: add its signature to TABLE or a reason to EXCLUDED"
            out.append(Entry(q, getattr(ns, name), ref, groups, reason))
    return out


# --------------------------------------------------------------------------- running


def _leaves(x) -> list:
    if isinstance(x, (tuple, list)):
        return [leaf for v in x for leaf in _leaves(v)]
    return [x]


_RTOL = {2: 4e-3, 4: 2e-5, 8: 1e-11}  # by float itemsize (complex: of the parts)


def _fft_problems(ref: np.ndarray, got: np.ndarray) -> list[str]:
    rf, gf = np.isfinite(ref), np.isfinite(got)
    if ref.dtype.kind == "c":
        rf = np.isfinite(ref.real) & np.isfinite(ref.imag)
        gf = np.isfinite(got.real) & np.isfinite(got.imag)
    if (rf != gf).any():
        i = np.flatnonzero(rf != gf)[0]
        return [f"nan: expected {ref.flat[i]!r}, got {got.flat[i]!r} at {i}"]
    r, g = ref[rf], got[rf]
    if not r.size:
        return []
    tol = _RTOL[np.finfo(ref.dtype).dtype.itemsize] * 8
    scale = np.max(np.abs(r))
    bad = np.abs(r - g) > tol * scale
    if bad.any():
        i = np.flatnonzero(bad)[0]
        return [f"value: expected {r[i]!r}, got {g[i]!r}"]
    return []


def _float_problems(ref: np.ndarray, got: np.ndarray, zero_sign: bool = True) -> list[str]:
    rn, gn = np.isnan(ref), np.isnan(got)
    out = []
    if (rn != gn).any():
        i = np.flatnonzero(rn != gn)[0]
        out.append(f"nan: expected {ref.flat[i]!r}, got {got.flat[i]!r} at {i}")
        return out
    ok = ~rn
    r, g = ref[ok], got[ok]
    ri, gi = np.isinf(r), np.isinf(g)
    if (ri | gi).any() and ((ri != gi) | (ri & (r != g))).any():
        i = np.flatnonzero((ri != gi) | (ri & (r != g)))[0]
        out.append(f"inf: expected {r[i]!r}, got {g[i]!r}")
        return out
    fin = ~ri
    r, g = r[fin].astype(np.float64), g[fin].astype(np.float64)
    tol = _RTOL[ref.dtype.itemsize]
    with np.errstate(all="ignore"):
        bad = np.abs(r - g) > tol * np.maximum(np.abs(r), np.abs(g))
    if bad.any():
        i = np.flatnonzero(bad)[0]
        out.append(f"value: expected {r[i]!r}, got {g[i]!r}")
        return out
    z = r == 0
    if zero_sign and z.any() and (np.signbit(r[z]) != np.signbit(g[z])).any():
        i = np.flatnonzero(np.signbit(r[z]) != np.signbit(g[z]))[0]
        out.append(f"signed zero: expected {r[z][i]!r}, got {g[z][i]!r}")
    return out


def compare(ref, got, check_values: bool = True, zero_sign: bool = True,
            fft: bool = False) -> list[tuple[str, str]]:
    """``(kind, detail)`` for each difference between a reference result and wire's.
    ``zero_sign=False``: either sign of a zero result is accepted; ``fft``: the comparison of
    :data:`FFT_LIKE`."""
    rl, gl = _leaves(ref), _leaves(got)
    if len(rl) != len(gl):
        return [("structure", f"{len(rl)} outputs expected, got {len(gl)}")]
    out = []
    for r, g in zip(rl, gl):
        if isinstance(g, wire.Tracer if hasattr(wire, "Tracer") else ()):
            out.append(("structure", "a tracer escaped"))
            continue
        r, g = np.asarray(r), np.asarray(g)
        if r.shape != g.shape:
            out.append(("shape", f"expected {r.shape}, got {g.shape}"))
            continue
        if r.dtype != g.dtype:
            out.append(("dtype", f"expected {r.dtype}, got {g.dtype}"))
            continue
        if not check_values or r.size == 0:
            continue
        if r.dtype.kind in "fc" and fft:
            out.extend((p.split(":")[0], p) for p in _fft_problems(r, g))
        elif r.dtype.kind in "fc":
            parts = [(r.real, g.real), (r.imag, g.imag)] if r.dtype.kind == "c" else [(r, g)]
            for a, b in parts:
                for p in _float_problems(a, b, zero_sign):
                    out.append((p.split(":")[0], p))
        elif (r != g).any():
            i = np.flatnonzero(r != g)[0]
            out.append(("value", f"expected {r.flat[i]!r}, got {g.flat[i]!r} at {i}"))
    return out


def _quiet(fn, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args)


def _batched(parts):
    """``(arrays, call)`` running all ``parts`` at once; the result is a tuple of theirs."""
    arrays, spans = [], []
    for p in parts:
        spans.append((len(arrays), len(arrays) + len(p.arrays)))
        arrays.extend(p.arrays)

    def call(f, *a):
        return tuple(p.call(f, *a[i:j]) for p, (i, j) in zip(parts, spans))

    return tuple(arrays), call


def run_mode(mode: str, wire_fn, arrays, call):
    def g(*a):
        return call(wire_fn, *a)

    if mode == "eager":
        return _quiet(g, *arrays)
    if mode == "traced":
        graph = wire.trace(g, *arrays)
        return _quiet(wire.evaluate, graph, *arrays)
    return _quiet(wire.jit(g), *arrays)


class Finding(NamedTuple):
    function: str
    part: str
    mode: str
    kind: str
    detail: str


def _error_name(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"


def run_group(entry: Entry, parts: list, findings: list, modes=MODES) -> int:
    """Run ``parts`` (batched, then one by one where something raises); append findings;
    return the number of (part, mode) cases run."""
    arrays, call = _batched(parts)
    try:
        ref = _quiet(call, entry.ref_fn, *arrays)
        ref_err = None
    except Exception as e:  # noqa: BLE001 - the reference's own error is part of its semantics
        ref, ref_err = None, e
    results = {}
    for mode in modes:
        try:
            results[mode] = (run_mode(mode, entry.wire_fn, arrays, call), None)
        except Exception as e:  # noqa: BLE001
            results[mode] = (None, e)
    if len(parts) > 1 and (ref_err or any(err for _, err in results.values())):
        return sum(run_group(entry, [p], findings, modes) for p in parts)
    for mode, (got, err) in results.items():
        if ref_err is not None:  # one part (a batch that raises is split above)
            if err is None:
                findings.append(Finding(entry.qualname, parts[0].label, mode, "no error",
                                        f"reference raised {_error_name(ref_err)}"))
            continue
        if err is not None:
            findings.append(Finding(entry.qualname, parts[0].label, mode, "raises",
                                    _error_name(err)))
            continue
        if not isinstance(got, tuple) or len(got) != len(parts):
            findings.append(Finding(entry.qualname, parts[0].label, mode, "structure",
                                    f"expected a tuple of {len(parts)}, got {type(got)}"))
            continue
        signs = entry.qualname not in ZERO_SIGN_UNSPECIFIED
        fft = entry.qualname in FFT_LIKE
        for p, r, g in zip(parts, ref, got):
            for kind, detail in compare(r, g, p.values, signs, fft):
                findings.append(Finding(entry.qualname, p.label, mode, kind, detail))
    return len(parts) * len(modes)


def count_elements(groups) -> int:
    """Number of input values over all parts (for the report)."""
    return sum(int(np.size(a)) for g in groups for p in g for a in p.arrays)


def run(entry: Entry, modes=MODES):
    """``(cases, findings)`` for one catalogue entry."""
    findings: list[Finding] = []
    cases = sum(run_group(entry, g, findings, modes) for g in entry.groups)
    return cases, findings


def report(names=None) -> tuple[int, list[Finding], list[Entry]]:
    """Run every (or the named) catalogue entries; print totals and findings."""
    entries = [e for e in catalogue() if names is None or e.qualname in names]
    total, findings = 0, []
    for e in entries:
        if e.groups is None:
            continue
        n, f = run(e)
        total += n
        findings.extend(f)
    return total, findings, entries


if __name__ == "__main__":
    import sys

    names = {a for a in sys.argv[1:] if not a.startswith("-")}
    total, findings, entries = report(names or None)
    ran = [e for e in entries if e.groups is not None]
    print(f"{len(ran)} functions, {total} (part, mode) cases, "
          f"{sum(count_elements(e.groups) for e in ran)} input values per mode")
    for e in entries:
        if e.excluded:
            print(f"excluded {e.qualname}: {e.excluded}")
    by_fn = Counter((f.function, f.kind) for f in findings)
    print(f"{len(findings)} disagreements in {len({f.function for f in findings})} functions")
    for (fn, kind), n in sorted(by_fn.items()):
        print(f"  {fn:28s} {kind:12s} {n}")
    if "-v" in sys.argv or names:
        for f in findings:
            print(f)
