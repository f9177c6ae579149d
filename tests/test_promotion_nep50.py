"""Binary ``wire.numpy`` functions give NumPy 2's result dtype (NEP 50) and value for mixes
of arrays, NumPy scalars, 0-d arrays and Python scalars (of the kinds that promote
differently), eager on concrete values and under ``jit`` with each operand a constant or an
argument; where NumPy raises, wire raises too."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

ARRAYS = {
    "f16": np.array([1.5, -2.0, 0.0], np.float16), "f32": np.array([1.5, -2.0, 0.0], np.float32),
    "i8": np.array([100, -3, 0], np.int8), "u8": np.array([200, 3, 0], np.uint8),
    "i16": np.array([1000, -3, 0], np.int16), "bool": np.array([True, False, True]),
}
SCALARS = {
    "int": 2, "float": 2.5, "-0.0": -0.0, "True": True, "np.uint8": np.uint8(250),
    "np.float32": np.float32(2.5), "0-d int": np.array(3),
}


def _operand_pairs(arrays, scalars):
    for an in arrays:
        a = ARRAYS[an]
        for sn in scalars:
            s = SCALARS[sn]
            yield f"{an} with {sn}", a, s
            yield f"{sn} with {an}", s, a
        for bn in arrays:
            yield f"{an} with {bn}", a, ARRAYS[bn]


# sizes, signedness and bool; weak and strong scalars
FEW_PAIRS = list(_operand_pairs(ARRAYS, SCALARS))
WITH_A_SCALAR = [p for p in FEW_PAIRS if np.ndim(p[1]) == 0 or np.ndim(p[2]) == 0]


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    if got.dtype != want.dtype or got.shape != want.shape:
        return False
    if want.dtype.kind == "f":
        return np.array_equal(got, want, equal_nan=True) and np.array_equal(
            np.signbit(got), np.signbit(want))
    return np.array_equal(got, want)


def _runs(fn, x, y):
    yield "eager", lambda: fn(x, y)
    yield "jit, both arguments", lambda: wire.jit(fn)(x, y)
    if np.ndim(x):
        yield "jit, second a constant", lambda: wire.jit(lambda a: fn(a, y))(x)
    if np.ndim(y):
        yield "jit, first a constant", lambda: wire.jit(lambda b: fn(x, b))(y)


@pytest.mark.parametrize("name", ["arctan2", "copysign"])
def test_float_ufuncs_compute_in_the_smallest_float_every_operand_casts_to(name):
    """``np.arctan2(int8, uint8)`` is float16 (each operand's own float, not the float32 of
    their common int16); a Python float with integers or booleans is float64, a Python int
    with booleans too (bool -> int64 -> float64)."""
    np_fn, fn = getattr(np, name), getattr(wnp, name)
    bad = []
    with np.errstate(all="ignore"):
        for label, x, y in FEW_PAIRS:
            want = np_fn(x, y)
            for mode, run in _runs(fn, x, y):
                got = run()
                if not _same(got, want):
                    bad.append((label, mode, np.asarray(got).dtype, want.dtype))
    assert not bad, bad[:10]


@pytest.mark.parametrize("name", ["dot", "inner", "kron", "vdot", "outer"])
def test_products_take_python_scalars_as_numpy_arrays(name):
    """``dot``, ``inner``, ``kron`` … are not ufuncs: NumPy passes their operands through
    ``np.asarray``, so a Python scalar is int64/float64 there, not weak
    (``np.dot(float16_array, 2)`` is float64)."""
    np_fn, fn = getattr(np, name), getattr(wnp, name)
    bad = []
    for label, x, y in WITH_A_SCALAR:
        if name in ("vdot",) and (np.ndim(x) == 0) != (np.ndim(y) == 0):
            continue  # (vdot needs equal sizes)
        with np.errstate(all="ignore"):
            try:
                want = np_fn(x, y)
            except (TypeError, ValueError):
                continue
            for mode, run in _runs(fn, x, y):
                got = run()
                if not _same(got, want):
                    bad.append((label, mode, np.asarray(got).dtype, want.dtype))
    assert not bad, bad[:10]


COMPARISONS = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
INT_ARRAYS = [np.array([0, 5, 2**64 - 1], np.uint64), np.array([-2**63, 0, 2**63 - 1]),
              np.array([0, 200, 255], np.uint8), np.array([-128, 0, 127], np.int8),
              np.array([0, 65535], np.uint16)]
OUT_OF_RANGE = [-1, 256, -129, 2**63 - 1, 2**63, -2**63, 2**64 - 1, 2**64, 10**30, -10**30]


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_with_python_ints_outside_the_dtype_compare_by_value(name):
    """NumPy 2 compares ``uint8_array < -1`` by value (all False), where a cast of ``-1`` to
    uint8 would raise (eager, a constant under jit) or wrap (a jit argument)."""
    np_fn, fn = getattr(np, name), getattr(wnp, name)
    bad = []
    for a in INT_ARRAYS:
        for v in OUT_OF_RANGE + [0, 3]:
            for x, y in ((a, v), (v, a)):
                want = np_fn(x, y)
                runs = {"eager": lambda: fn(x, y),
                        "constant": lambda: wire.jit(
                            lambda t: fn(t, y) if x is a else fn(x, t))(a)}
                if -2**63 <= v < 2**63:  # (a jit argument is an int64)
                    runs["argument"] = lambda: wire.jit(fn)(x, y)
                    runs["vmap"] = lambda: wire.vmap(
                        fn, in_axes=(0, None) if x is a else (None, 0))(x, y)
                for mode, run in runs.items():
                    got = run()
                    if not _same(got, want):
                        bad.append((a.dtype, v, x is a, mode, got, want))
    assert not bad, bad[:6]


ARITHMETIC = ["add", "subtract", "multiply", "floor_divide", "mod", "maximum", "minimum",
              "bitwise_and", "bitwise_or", "bitwise_xor"]


@pytest.mark.parametrize("name", ARITHMETIC)
def test_a_python_int_argument_outside_the_dtype_raises_as_numpy_does(name):
    """``int8_array + 300`` raises OverflowError in NumPy 2; as an argument of a jitted or
    vmapped function the 300 was cast to int8 and wrapped (44). In-range values, called
    before and after, still give NumPy's values: the cache keys the argument's range."""
    np_fn, fn = getattr(np, name), getattr(wnp, name)
    for dtype, bad_values, good in ((np.int8, (300, -129, 128), (3, 127, -128)),
                                    (np.uint8, (-1, 256), (0, 255, 7)),
                                    (np.int64, (2**63,), (2**62, -5))):
        a = np.array([1, 2, 3], dtype)
        jitted = wire.jit(fn)
        for v in good + bad_values + good:
            try:
                with np.errstate(all="ignore"):
                    want = np_fn(a, v)
            except OverflowError:
                want = None
            with np.errstate(all="ignore"):
                flipped = None if want is None else np_fn(v, a)
            runs = [(lambda: jitted(a, v), want), (lambda: jitted(v, a), flipped),
                    (lambda: wire.vmap(fn, in_axes=(0, None))(a, v), want)]
            for run, expected in runs:
                if want is None:
                    with pytest.raises(wire.errors.WireOverflowError, match=str(v)):
                        run()
                else:
                    with np.errstate(all="ignore"):
                        got = run()
                    assert _same(got, expected), (dtype, v, got, expected)


def test_python_int_arguments_through_nested_transforms_raise():
    a = np.array([1, 2], np.int8)
    inner = wire.jit(lambda x, n: x + n)
    for run in (lambda: wire.jit(lambda x, n: inner(x, n))(a, 300),
                lambda: wire.jit(inner)(a, 300),
                lambda: wire.jit(lambda x, n=0: x * n)(a, n=300),
                lambda: wire.jit(wire.grad(lambda w, x, n: wnp.sum(w * (x + n))))(
                    np.ones(2), a, 300)):
        with pytest.raises(OverflowError, match="300 out of bounds for int8"):
            run()
    np.testing.assert_array_equal(wire.jit(inner)(a, 100), a + 100)
    np.testing.assert_array_equal(
        wire.jit(wire.grad(lambda w, x, n: wnp.sum(w * (x + n))))(np.ones(2), a, 30), a + 30)


@pytest.mark.parametrize("bounds", [(0, 300), (-300, 50), (-5, 300), (None, 300), (-300, None),
                                    (300, 400), (-300, -200), (300, None)], ids=str)
@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
def test_clip_to_python_int_bounds_outside_the_dtype(bounds, dtype):
    """A bound beyond every value on its own side clips nothing (NumPy 2); one beyond every
    value on the other side raises (the result would not fit), as NumPy does."""
    a = np.array([0, 3, 100, np.iinfo(dtype).max], dtype)
    lo, hi = bounds
    try:
        want = np.clip(a, lo, hi)
    except OverflowError:
        want = None
    for run in (lambda: wnp.clip(a, lo, hi), lambda: wire.jit(lambda t: wnp.clip(t, lo, hi))(a),
                lambda: wire.jit(lambda t: t.clip(lo, hi))(a)):
        if want is None:
            with pytest.raises(wire.errors.WireOverflowError):
                run()
        else:
            assert _same(run(), want)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int64, bool, np.float16,
                                   np.float32])
@pytest.mark.parametrize("deg", [False, True])
def test_angle_of_real_arrays_has_numpys_dtype(dtype, deg):
    """``np.angle`` of a real array is ``arctan2(0, z)``: float16 for int8, float64 for bool."""
    z = np.array([1, 0, 1], dtype) if dtype is bool else np.array([1, 0, 2], dtype)
    want = np.angle(z, deg=deg)
    assert _same(wire.jit(lambda t: wnp.angle(t, deg=deg))(z), want)


@pytest.mark.parametrize("name", ["hypot", "logaddexp", "logaddexp2", "heaviside", "deg2rad",
                                  "rad2deg"])
def test_real_only_functions_refuse_complex_as_numpy_does(name):
    """NumPy's ``hypot`` has no complex loop; a real formula on complex operands would
    answer something else (``hypot(1.5, 1j)`` would be ``sqrt(1.5**2 - 1)``)."""
    z, r = np.array([1 + 2j, -1 - 0.5j]), np.array([0.5, -2.0])
    fn = getattr(wnp, name)
    pairs = [(z,), (r.astype(np.complex64),)] if name in ("deg2rad", "rad2deg") else \
        [(z, r), (r, z), (z, z), (r, 1j)]
    for args in pairs:
        with pytest.raises(TypeError):
            getattr(np, name)(*args)
        with pytest.raises(wire.WireTypeError, match="complex"):
            wire.jit(fn)(*args)


@pytest.mark.parametrize("make", ["asarray", "array", "asarray-astype", "asarray-dtype"])
@pytest.mark.parametrize("v", [3, 300, 2.5])
def test_an_array_made_of_a_python_scalar_argument_is_strongly_typed(make, v):
    """``np.asarray(3)`` is an int64 array (not weak): ``asarray(n) + int8_array`` is int64,
    ``asarray(2.5) * float32_array`` float64; ``asarray(300, dtype=int8)`` raises and
    ``asarray(300).astype(int8)`` wraps, as in NumPy."""
    other = np.ones(2, np.int8) if type(v) is int else np.ones(2, np.float32)

    def f(m, n):
        if make == "asarray-astype":
            return m.asarray(n).astype(other.dtype) * other
        if make == "asarray-dtype":
            return m.asarray(n, dtype=other.dtype) * other
        return getattr(m, make)(n) * other

    with np.errstate(all="ignore"):
        try:
            want = f(np, v)
        except OverflowError:
            want = None
    for run in (lambda: wire.jit(lambda n: f(wnp, n))(v),
                lambda: wire.vmap(lambda n, _: f(wnp, n), in_axes=(None, 0))(v, np.zeros(1))[0]):
        if want is None:
            with pytest.raises(OverflowError):
                run()
        else:
            with np.errstate(all="ignore"):
                assert _same(run(), want)
