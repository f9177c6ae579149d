"""``**``, ``wire.numpy.power`` and ``float_power`` give NumPy's dtype and value, eager, under
``jit`` with the exponent a constant and with it an argument: a NumPy integer exponent is not
weak (``uint8 ** np.int8(3)`` is int16), ``bool ** 2`` squares (int8) but ``np.power(bool,
2)`` is int64, an integer to a negative integer power raises, and ``float_power`` computes in
float64 (complex128) whatever the operands' kinds."""

import operator

import numpy as np
import pytest

import wire
import wire.numpy as wnp

BASES = [np.array([200, 3, 0], np.uint8), np.array([100, -3, 0], np.int8),
         np.array([True, False]), np.array([1.5, -2.0, 0.0], np.float16),
         np.array([1.5, -2.0], np.float32), np.array([7, -3, 0])]
EXPONENTS = [2, 3, 0, 1, 2.0, 0.5, np.int8(3), np.int64(2), np.uint8(2), np.float32(2.0),
             np.array(3), np.array(2, np.int16), True]


def _modes(fn, x, y):
    yield "eager", lambda: fn(x, y)
    yield "jit, exponent constant", lambda: wire.jit(lambda a: fn(a, y))(x)
    yield "jit, exponent argument", lambda: wire.jit(fn)(x, y)
    yield "jit, base constant", lambda: wire.jit(lambda b: fn(x, b))(np.asarray(y))


def _check(np_fn, fn, x, y):
    with np.errstate(all="ignore"):
        want = np_fn(x, y)
        for mode, run in _modes(fn, x, y):
            if mode.endswith("base constant") and not isinstance(y, np.ndarray):
                continue
            if mode.endswith("exponent argument") and np_fn is operator.pow \
                    and x.dtype == bool and type(y) is int and y == 2:
                continue  # (ndarray's ``** 2`` squares: a dtype by value, unknown under jit)
            got = run()
            assert np.asarray(got).dtype == want.dtype, (mode, x.dtype, y)
            np.testing.assert_array_equal(got, want, err_msg=f"{mode} {x.dtype} {y!r}")


@pytest.mark.parametrize("x", BASES, ids=lambda a: str(a.dtype))
@pytest.mark.parametrize("how", ["operator", "power"])
def test_power_dtype_and_value_match_numpy(x, how):
    np_fn, fn = (operator.pow, operator.pow) if how == "operator" else (np.power, wnp.power)
    for y in EXPONENTS:
        _check(np_fn, fn, x, y)


@pytest.mark.parametrize("x", BASES, ids=lambda a: str(a.dtype))
def test_float_power_computes_in_float64(x):
    for y in [2, -1, 0.5, np.float16(1.5), np.array([2.0, 1.0], np.float16)[:1], 1j]:
        with np.errstate(all="ignore"):
            want = np.float_power(x, y)
            for got, ref in ((wire.jit(wnp.float_power)(x, y), want),
                             (wire.jit(lambda a: wnp.float_power(a, y))(x), want),
                             (wire.jit(wnp.float_power)(y, x), np.float_power(y, x))):
                assert got.dtype == ref.dtype, (x.dtype, y)
                np.testing.assert_allclose(got, ref, rtol=1e-15)


@pytest.mark.parametrize("x", [np.array([2, 3], np.int8), np.array([True, False]),
                               np.array([4, 5], np.int16)], ids=str)
def test_integer_to_a_negative_integer_power_raises_as_in_numpy(x):
    with pytest.raises(ValueError, match="negative integer powers"):
        x ** -1
    for run in (lambda: wire.jit(lambda a: a ** -1)(x),
                lambda: wire.jit(lambda a: wnp.power(a, np.int8(-2)))(x)):
        with pytest.raises(wire.errors.WireValueError, match="negative integer powers"):
            run()
