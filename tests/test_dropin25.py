"""Drop-in gaps closed: weak types through ``wire.numpy`` functions (a function's result is
strongly typed, as NumPy's; Python's operators on Python-scalar values stay weak), on every
path (eager, ``jit``, ``vmap``, ``grad``) — each against NumPy on the same Python scalars."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

# ---------------------------------------------------------------- 1. weak types

SCALARS = [3, 1.5, 1.5 + 0.5j, True]
ARRAYS = [np.ones(3, np.float16), np.ones(3, np.float32), np.ones(3, np.int8)]

WEAK_CASES = {  # name: f(m, s, x) with m numpy or wire.numpy, s a Python scalar
    "sin(s) + x": lambda m, s, x: m.sin(s) + x,
    "abs(s) + x": lambda m, s, x: m.abs(s) + x,
    "add(s, 1) + x": lambda m, s, x: m.add(s, 1) + x,
    "square(s) + x": lambda m, s, x: m.square(s) + x,
    "sum(s) + x": lambda m, s, x: m.sum(s) + x,
    "maximum(s, 0) + x": lambda m, s, x: m.maximum(s, 0) + x,
    "real(s) + x": lambda m, s, x: m.real(s) + x,
    "imag(s) + x": lambda m, s, x: m.imag(s) + x,
    "s * 2 + x": lambda m, s, x: s * 2 + x,
    "s ** 2 + x": lambda m, s, x: s**2 + x,
    "s / 2 + x": lambda m, s, x: s / 2 + x,
    "(s > 0) + x": lambda m, s, x: (s > 0) + x if not isinstance(s, complex) else x,
}


def _dtype_or_error(f):
    try:
        return np.asarray(f()).dtype
    except (TypeError, ValueError, OverflowError) as e:
        return type(e).__mro__[-2 if isinstance(e, wire.WireError) else 0]


@pytest.mark.parametrize("name", list(WEAK_CASES))
def test_weak_scalars_give_numpys_dtype_on_every_path(name):
    """``wire.jit(lambda s, x: wnp.sin(s) + x)(1.0, float32_array)`` was float32 (the sine of
    a weak argument stayed weak), ``s * 2 + x`` float64 (the 2 became a strong array): NumPy's
    are float64 (``np.sin(1.0)`` is a strong ``np.float64``) and float32 (``1.0 * 2`` is a
    Python float). Eager, jit, vmap and jit of vmap agree with NumPy."""
    case = WEAK_CASES[name]
    f = lambda s, x: case(wnp, s, x)  # noqa: E731
    bad = []
    for s in SCALARS:
        for x in ARRAYS:
            want = _dtype_or_error(lambda: case(np, s, x))
            if not isinstance(want, np.dtype):
                continue  # (NumPy refuses it: not a weak-type question)
            xs = np.stack([x, x])
            got = {
                "eager": _dtype_or_error(lambda: f(s, x)),
                "jit": _dtype_or_error(lambda: wire.jit(f)(s, x)),
                "vmap": _dtype_or_error(lambda: wire.vmap(f, in_axes=(None, 0))(s, xs)[0]),
                "jit(vmap)": _dtype_or_error(
                    lambda: wire.jit(wire.vmap(f, in_axes=(None, 0)))(s, xs)[0]),
            }
            bad += [(name, s, x.dtype, path, g, want) for path, g in got.items() if g != want]
    assert not bad, bad[:5]


def test_weak_scalar_values_under_jit_are_numpys():
    """The values too: ``sin(1.0)`` in float64 then added (not sin in float32)."""
    x = np.array([0.1, 2.0, -3.0], np.float32)
    f = lambda s, x: wnp.sin(s) + x  # noqa: E731
    want = np.sin(1.0) + x
    for got in (f(1.0, x), wire.jit(f)(1.0, x)):
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_weak_scalars_through_grad():
    """``value_and_grad`` under jit and eagerly: NumPy's value dtype, the argument's gradient
    dtype."""
    x = np.ones(3, np.float32)
    f = lambda x, s: wnp.sum(wnp.sin(s) * x)  # noqa: E731
    for s in (1.0, 2):
        want = np.sum(np.sin(s) * x)
        for vg in (wire.value_and_grad(f), wire.jit(wire.value_and_grad(f))):
            v, g = vg(x, s)
            assert np.asarray(v).dtype == want.dtype and g.dtype == np.float32
            assert np.asarray(v) == want and np.array_equal(g, np.full(3, np.sin(s), np.float32))


def test_python_operators_on_weak_values_stay_weak():
    """``s * 2`` on a Python-float argument is a Python float, so float16 data stays float16;
    a function of it (``wnp.multiply``) is a NumPy float64."""
    x = np.ones(2, np.float16)
    assert wire.jit(lambda s, x: s * 2 + x)(1.5, x).dtype == np.float16
    assert wire.jit(lambda s, x: (-s) ** 2 / 3 + x)(1.5, x).dtype == np.float16
    assert wire.jit(lambda s, x: wnp.multiply(s, 2) + x)(1.5, x).dtype == np.float64
    assert wire.jit(lambda s, x: wnp.abs(s) + x)(2, np.ones(2, np.int8)).dtype == np.int64
