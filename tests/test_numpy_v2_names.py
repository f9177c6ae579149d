"""NumPy 2's names (the Array API spellings and the new functions) exist in ``wire.numpy`` and
match NumPy's values (float64 and float32, with NaN and signed zeros; eager and under
``jit``) and their derivatives finite differences (and, with ``-m slow``, JAX's)."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from selection import slow_only

A = np.array([[0.5, -0.0, 0.0, -0.25], [0.9, np.nan, -1.0, 1.0], [0.0, 0.3, 2.0, -2.0]])
V = np.array([1.0, -2.0, 0.5, 3.0])
CALLS = {
    "unstack": lambda m, a: m.unstack(a, axis=1)[2],
    "unstack-axis0": lambda m, a: m.unstack(a)[1],
    "vecdot": lambda m, a: m.vecdot(a, V),
    "vecdot-axis0": lambda m, a: m.vecdot(a, a, axis=0),
    "matvec": lambda m, a: m.matvec(a, V),
    "vecmat": lambda m, a: m.vecmat(V[:3], a),
    "permute_dims": lambda m, a: m.permute_dims(a[None], (2, 0, 1)),
    "astype": lambda m, a: m.astype(a, np.float32),
    "concat": lambda m, a: m.concat([a, a[:1]], axis=0),
    "concat-axis-none": lambda m, a: m.concat([a, a[:1]], axis=None),
    "pow": lambda m, a: m.pow(m.abs(a), 1.5),
    "acos": lambda m, a: m.acos(a * 0.5),
    "asin": lambda m, a: m.asin(a * 0.5),
    "atan": lambda m, a: m.atan(a),
    "acosh": lambda m, a: m.acosh(a * a + 1.5),
    "asinh": lambda m, a: m.asinh(a),
    "atanh": lambda m, a: m.atanh(a * 0.5),
    "atan2": lambda m, a: m.atan2(a, -a[::-1]),
    "matrix_transpose": lambda m, a: m.matrix_transpose(a),
    "cumulative_sum": lambda m, a: m.cumulative_sum(a, axis=1, include_initial=True),
    "cumulative_prod": lambda m, a: m.cumulative_prod(a, axis=0),
}


def _same(got, ref):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape and got.dtype == ref.dtype, (got, ref)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_values_match_numpy(name, dtype):
    a = A.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (arcsin of 2.0 and the like: NaN and a warning)
        ref = CALLS[name](np, a)
        _same(CALLS[name](wnp, a), ref)
        _same(wire.jit(lambda x: CALLS[name](wnp, x))(a), ref)


SMOOTH = np.array([[0.5, -0.15, 0.35, -0.25], [0.9, 0.4, -1.1, 0.8], [0.2, 0.3, 1.7, -1.9]])


def _weights(name):
    shape = np.shape(CALLS[name](np, SMOOTH))
    return np.cos(np.arange(1.0, 1.0 + np.prod(shape))).reshape(shape)


def _derivatives(name):
    w = _weights(name)
    f = lambda x: wnp.sum(CALLS[name](wnp, x) * w)  # noqa: E731
    return SMOOTH, f, wire.grad(f)(SMOOTH), wire.jit(wire.grad(f))(SMOOTH)


@pytest.mark.parametrize("name", sorted(set(CALLS) - {"astype"}))
def test_derivatives_match_finite_differences(name):
    a, f, eager, jitted = _derivatives(name)
    np.testing.assert_array_equal(eager, jitted)
    h = 1e-6
    for i in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[i] = h
        fd = (float(f(a + e)) - float(f(a - e))) / (2 * h)
        assert abs(eager[i] - fd) <= 1e-6 * max(1.0, abs(fd)), (i, eager[i], fd)


@slow_only
def test_derivatives_match_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    for name in sorted(set(CALLS) - {"astype"}):
        a, _, eager, jitted = _derivatives(name)
        w = _weights(name)
        ref = np.asarray(jax.grad(lambda x: jnp.sum(CALLS[name](jnp, x) * w))(a))
        np.testing.assert_allclose(eager, ref, rtol=1e-13, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(jitted, ref, rtol=1e-13, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("x", [np.array([0, 1, 7, -1, -128, 127], np.int8),
                               np.array([0, 2**62, -1, 12345], np.int64),
                               np.array([0, 255, 3], np.uint8)], ids=str)
def test_integer_bit_functions(x):
    for name, args in [("bitwise_count", ()), ("bitwise_left_shift", (2,)),
                       ("bitwise_right_shift", (1,)), ("bitwise_invert", ())]:
        _same(getattr(wnp, name)(x, *args), getattr(np, name)(x, *args))
    _same(wire.jit(wnp.bitwise_invert)(x), np.bitwise_invert(x))
    _same(wire.jit(wnp.bitwise_count)(x), np.bitwise_count(x))  # (it refused traced values)


@pytest.mark.parametrize("dt", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                                np.uint32, np.uint64, np.bool_], ids=lambda d: np.dtype(d).name)
def test_bitwise_count_traces_as_numpys(dt):
    # NumPy counts the bits of |x| (-1 has one, the most negative integer one), as uint8
    if dt is np.bool_:
        x = np.array([True, False])
    else:
        info = np.iinfo(dt)
        rng = np.random.default_rng(0)
        x = np.concatenate([np.array([0, 1, 7, info.max, info.min, info.max - 1, info.min + 1,
                                      info.max // 3], dt),
                            rng.integers(info.min, info.max, 40, dtype=dt, endpoint=True)])
        if info.min < 0:
            x = np.concatenate([x, np.array([-1, -2, -3, -127, -128], dt)])
    ref = np.bitwise_count(x)
    for got in (wire.jit(wnp.bitwise_count)(x), wire.vmap(wnp.bitwise_count)(x),
                wire.jit(lambda v: np.bitwise_count(v))(x)):
        _same(got, ref)
    _same(wire.jit(wnp.bitwise_count)(x[:0]), ref[:0])
    with pytest.raises(wire.WireTypeError, match="bitwise_count"):
        wire.jit(wnp.bitwise_count)(np.array([1.0]))


def test_isdtype_is_numpys():
    for dt, kind in [(np.float32, "real floating"), (np.int8, ("integral", np.float64)),
                     (np.complex64, "numeric"), (np.bool_, "bool"), (np.uint16, "signed integer")]:
        assert wnp.isdtype(dt, kind) == np.isdtype(dt, kind)
