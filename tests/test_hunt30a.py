"""wire.lax against jax.lax (x64) at special inputs: integer_pow's derivative where the power
over- or underflows."""

import numpy as np
import pytest

import wire
from wire import lax

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jlax = jax.lax

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf and 0 on purpose

SPECIAL = np.array([0.0, -0.0, 1e-300, 1e-100, 0.3, -1.7, 1e100, 1e200, np.inf, -np.inf])


def _same(got, want, rtol):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=rtol, atol=0)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("y", [-3, -2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_integer_pow_derivative_where_the_power_overflows(y, dtype):
    # JAX's rule y * x ** (y - 1); the chain rule through the repeated squaring met 0 * inf:
    # d/dx x ** -3 at 0, 1e-300, 1e200 and inf was NaN (the truth -inf, -inf, -0.0, -0.0)
    x = SPECIAL.astype(dtype)
    rtol = 1e-13 if dtype == np.float64 else 1e-5
    jf = lambda v: jlax.integer_pow(v, y)  # noqa: E731
    want1 = jax.vmap(jax.grad(jf))(x)
    want2 = jax.vmap(jax.grad(jax.grad(jf)))(x)
    f = lambda v: lax.integer_pow(v, y)  # noqa: E731
    _same(wire.vmap(wire.grad(f))(x), want1, rtol)
    _same(wire.jit(wire.vmap(wire.grad(f)))(x), want1, rtol)
    _same(wire.vmap(wire.grad(wire.grad(f)))(x), want2, rtol)
    # the values keep JAX's roundings
    np.testing.assert_array_equal(lax.integer_pow(x, y), jlax.integer_pow(x, y))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.uint32, np.int64])
def test_full_of_a_float_into_integers_converts_as_xla(dtype):
    # full and full_like cast with NumPy, undefined for NaN, inf and out-of-range values:
    # full((2,), inf, int8) was [0, 0], full((2,), -3.7, uint8) [253, 253], full((2,), nan,
    # int32) INT_MIN; JAX converts as convert_element_type: truncated, NaN 0, saturated
    values = [np.nan, np.inf, -np.inf, 1e20, -1e20, 300.0, 255.5, -3.7, 3.7, -0.0]
    for v in values:
        want = jlax.full((3,), v, dtype)
        for got in (lax.full((3,), v, dtype), lax.full_like(np.zeros(3, dtype), v),
                    lax.full((3,), np.array(v), dtype),
                    wire.jit(lambda f: lax.full((3,), f, dtype))(v)):
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype
        np.testing.assert_array_equal(lax.full((3,), v, dtype),
                                      lax.convert_element_type(np.full(3, v), dtype))


@pytest.mark.parametrize("init", [2.5, np.float32(-0.5), 1e10, 300, -1])
def test_reduce_init_not_of_the_operands_dtype_raises(init):
    # a concrete init was cast with NumPy: 2.5 summed int32 windows from 2, 1e10 from
    # -2147483648, 300 uint8 ones from 44 (JAX refuses an init of another dtype)
    x = np.arange(6, dtype=np.uint8).reshape(2, 3)
    with pytest.raises(TypeError):
        jlax.reduce(x, init, jlax.max, (1,))
    with pytest.raises(wire.WireTypeError, match="init value"):
        lax.reduce_window(x, init, lax.add, (1, 2), (1, 1), "SAME")
    with pytest.raises(wire.WireTypeError, match="init value"):
        lax.reduce(x, init, lax.max, (1,))
    # a value the dtype holds exactly is taken as before
    np.testing.assert_array_equal(lax.reduce(x, 2.0, lax.add, (1,)), [5, 14])


def test_branch_returning_a_python_int_its_typed_sibling_cannot_hold():
    # the Python number took the other branch's dtype by a cast: switch(1, [int8, 300])
    # was 44, cond(True, uint8, -1) 255 (NumPy's promotion raises; JAX refuses the branches)
    with pytest.raises(TypeError):
        jlax.switch(1, [lambda: np.int8(1), lambda: 300])
    for index in (0, 1):  # raised whichever branch is taken, as the types are the same
        with pytest.raises(wire.WireOverflowError, match="300"):
            lax.switch(index, [lambda: np.int8(1), lambda: 300])
    with pytest.raises(wire.WireOverflowError, match="-1"):
        lax.cond(False, lambda: np.uint8(1), lambda: -1)
    f = wire.jit(lambda n: lax.cond(n > 0, lambda: np.int8(1), lambda: n))
    with pytest.raises(wire.WireOverflowError, match="300"):
        f(300)
    # a Python int the dtype holds still takes it
    got = lax.cond(False, lambda: (np.uint8(1), 2.0), lambda: (255, np.float32(3)))
    assert got[0] == 255 and got[0].dtype == np.uint8 and got[1].dtype == np.float32
    assert f(-3) == -3 and f(-3).dtype == np.int8


@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_cumprod_in_narrow_floats_stay_accurate(reverse):
    # NumPy's left-to-right cumsum in float16 / float32: 3000 float16 0.1s summed to 256 (the
    # truth 299.9; JAX 299), 1e5 float32 ones drifted 9e-6 relative (JAX 2e-7); now each
    # running sum is the float64 one rounded once
    for x, rtol in [(np.full(3000, 0.1, np.float16), 1e-3),
                    (np.random.default_rng(0).normal(3.0, 1.0, 100_000).astype(np.float32),
                     1e-7)]:
        x = x[::-1] if reverse else x
        truth = np.cumsum(x.astype(np.float64)[::-1])[::-1] if reverse else \
            np.cumsum(x.astype(np.float64))
        for got in (lax.cumsum(x, reverse=reverse), wire.jit(
                lambda v: lax.cumsum(v, reverse=reverse))(x)):
            assert got.dtype == x.dtype
            np.testing.assert_allclose(got, truth, rtol=rtol)
        # JAX's own sums are within a few roundings of the truth too
        np.testing.assert_allclose(jlax.cumsum(x, reverse=reverse), truth, rtol=5 * rtol)
    p = np.full(100, 1.01, np.float16)
    np.testing.assert_allclose(lax.cumprod(p, reverse=reverse)[0 if reverse else -1],
                               np.prod(p.astype(np.float64)), rtol=1e-3)


def test_sum_and_product_pools_in_narrow_floats_stay_accurate():
    # the windows were folded in the operand's dtype: a float16 sum pool of 3000 ones was
    # 2048 (2048 + 1 rounds back to 2048; JAX 3000), of 3000 0.1s 256 (the truth 299.9)
    ones = np.ones(3000, np.float16)
    for L in (jlax, lax):
        assert L.reduce_window(ones, np.float16(0), L.add, (3000,), (1,), "VALID")[0] == 3000
    got = lax.reduce_window(np.full(3000, 0.1, np.float16), np.float16(0), lax.add, (3000,),
                            (1,), "VALID")
    assert got.dtype == np.float16 and got[0] == np.float16(299.9)
    y = np.random.default_rng(1).normal(1000.0, 1.0, 2100).astype(np.float32)
    truth = np.convolve(y.astype(np.float64), np.ones(2000), "valid")
    f = lambda v, n=2000: lax.reduce_window(v, np.float32(0), lax.add, (n,), (1,),  # noqa: E731
                                            "VALID")
    np.testing.assert_allclose(f(y), truth, rtol=1e-7)
    g = wire.jit(wire.grad(lambda v: f(v, 30).sum()))(y[:40])
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, jax.grad(lambda v: jlax.reduce_window(
        v, np.float32(0), jlax.add, (30,), (1,), "VALID").sum())(y[:40]))
    p = np.full(100, 1.01, np.float16)
    np.testing.assert_allclose(lax.reduce_window(p, np.float16(1), lax.mul, (100,), (1,),
                                                 "VALID"), [np.prod(p.astype(float))],
                               rtol=1e-3)


def test_gather_fill_value_converts_as_full():
    # a float fill_value for an integer operand was NumPy's asarray: NaN raised a bare
    # ValueError, inf and -3.7 (into uint8) a bare OverflowError; now converted as lax.full
    # and convert_element_type convert (JAX's own casts here are NumPy's, undefined)
    x = np.arange(10, dtype=np.int32).reshape(2, 5)
    idx = np.array([[1], [2]], np.int32)
    dn = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,),
                                    start_index_map=(0,))
    for fill, want in [(np.nan, 0), (np.inf, 2**31 - 1), (-np.inf, -2**31), (2.7, 2)]:
        got = lax.gather(x, idx, dn, (1, 5), mode="fill", fill_value=fill)
        np.testing.assert_array_equal(got, [[5, 6, 7, 8, 9], [want] * 5])
    got = lax.gather(x.astype(np.uint8), idx, dn, (1, 5), mode="fill", fill_value=-3.7)
    np.testing.assert_array_equal(got[1], [0] * 5)
    with pytest.raises(wire.WireOverflowError):
        lax.gather(x.astype(np.uint8), idx, dn, (1, 5), mode="fill", fill_value=300)
    # the defaults are JAX's
    np.testing.assert_array_equal(lax.gather(x, idx, dn, (1, 5), mode="fill"),
                                  jlax.gather(x, idx, jlax.GatherDimensionNumbers(
                                      offset_dims=(1,), collapsed_slice_dims=(0,),
                                      start_index_map=(0,)), (1, 5), mode="fill"))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sum_pool_of_negative_zeros_is_positive_zero(dtype):
    # XLA's window sums start from +0.0: a window of -0.0s sums to +0.0 (of one element, to
    # -0.0, a trivial window); wire's fold started from the window's first element: -0.0
    x = np.array([[-0.0, -0.0, -0.0, 1.0]], dtype)
    for args in [(np.array(0, dtype), (1, 2), (1, 1), "VALID"),
                 (np.array(-0.0, dtype), (1, 2), (1, 1), "SAME"),
                 (np.array(0, dtype), (1, 1), (1, 1), "VALID")]:
        want = jlax.reduce_window(x, args[0], jlax.add, *args[1:])
        got = lax.reduce_window(x, args[0], lax.add, *args[1:])
        _same(got, want, 0)


def test_in_dim_functions_take_a_negative_axis():
    # JAX counts a negative axis of the *_in_dim functions from the end; wire raised
    # WireIndexError ("axes (-1,) must be in 0 .. 1")
    a = np.arange(6.0).reshape(2, 3)
    for name, args in [("slice_in_dim", (a, 1, 3, 1, -1)), ("index_in_dim", (a, 1, -1)),
                       ("dynamic_slice_in_dim", (a, 1, 2, -1)),
                       ("dynamic_index_in_dim", (a, 1, -1, False)),
                       ("dynamic_update_slice_in_dim", (a, np.ones((2, 1)), 1, -1)),
                       ("dynamic_update_index_in_dim", (a, np.ones(2), 1, -1)),
                       ("dynamic_update_index_in_dim", (a, np.ones(3), 0, -2))]:
        np.testing.assert_array_equal(getattr(lax, name)(*args), getattr(jlax, name)(*args))


def test_reductions_in_narrow_floats_stay_accurate():
    # reduce_sum / reduce_prod (and lax.reduce with add or mul) folded float16 and float32
    # in their dtype: the float16 sum of 3000 ones was 2048 (JAX 3000), the float32 sum of
    # 1e5 0.1s down a column 9998.557 (JAX 10000.002, the truth 10000.00015)
    h = np.ones((3000, 2), np.float16)
    for got in (lax.reduce_sum(h, (0,)), lax.reduce(h, np.float16(0), lax.add, (0,)),
                lax.reduce_sum(h.T, (1,)), wire.jit(lambda v: lax.reduce_sum(v, (0,)))(h)):
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got, [3000, 3000])
    np.testing.assert_array_equal(jlax.reduce_sum(h, (0,)), [3000, 3000])
    f = np.full((100_000, 2), 0.1, np.float32)
    truth = np.sum(f.astype(np.float64), 0)
    np.testing.assert_allclose(lax.reduce_sum(f, (0,)), truth, rtol=1e-7)
    p = np.random.default_rng(2).uniform(0.999, 1.001, 100_000).astype(np.float32)
    np.testing.assert_allclose(lax.reduce_prod(p, (0,)), np.prod(p.astype(np.float64)),
                               rtol=1e-7)
    g = wire.grad(lambda v: lax.reduce_sum(v * v, (0,)))(np.arange(3, dtype=np.float32))
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [0, 2, 4])


def test_python_int_carry_out_of_the_dtype_it_takes():
    # a Python-int init that the body turns into int8 (c + an int8 x) was cast: eagerly a
    # bare OverflowError, under jit a silent wrap (scan from 300 over int8 ones gave 47, as
    # JAX's weak types do); NumPy's promotion raises, so wire raises WireOverflowError
    xs = np.ones(3, np.int8)
    body = lambda c, x: (c + x, c)  # noqa: E731
    with pytest.raises(wire.WireOverflowError, match="300"):
        lax.scan(body, 300, xs)
    with pytest.raises(wire.WireOverflowError, match="-1"):
        lax.scan(body, -1, xs.astype(np.uint8))
    f = wire.jit(lambda c0: lax.scan(body, c0, xs))
    with pytest.raises(wire.WireOverflowError, match="300"):
        f(300)
    with pytest.raises(wire.WireOverflowError):
        lax.fori_loop(0, 3, lambda i, c: c + np.int8(1), 300)
    got = f(100)  # in range: as before, int8 from then on
    assert got[0] == 103 and got[0].dtype == np.int8


def test_sum_of_one_negative_zero_is_negative_zero():
    # XLA keeps a one-term sum as it is; NumPy's sum (which wire called) starts from +0.0:
    # reduce_sum([-0.0], (0,)) was 0.0, JAX's -0.0 (two or more -0.0s sum to +0.0 in both)
    for x, axes in [(np.array([-0.0]), (0,)), (np.array([[-0.0], [-0.0]]), (1,)),
                    (np.array([[-0.0], [-0.0]]), (0, 1)), (np.array([[-0.0, 1.0]]), (0,))]:
        _same(lax.reduce_sum(x, axes), jlax.reduce_sum(x, axes), 0)
        _same(wire.jit(lambda v: lax.reduce_sum(v, axes))(x), jlax.reduce_sum(x, axes), 0)
    _same(lax.reduce(np.array([-0.0]), 0.0, lax.add, (0,)), np.array(-0.0), 0)
    x = np.array([[-0.0, 1.0]])
    out = lax.reduce_sum(x, (0,))
    out[1] = 5.0  # a fresh array, not a view of x
    assert x[0, 1] == 1.0


@pytest.mark.parametrize("dtype", [np.int32, np.uint8])
def test_infinite_init_of_an_integer_max_or_min_pool(dtype):
    # JAX takes -inf for a max (inf for a min) over integers as the identity, the dtype's
    # extreme (a pattern of ported code); wire raised WireTypeError ("-inf has no int32 value")
    x = np.array([[0, 1, 2], [3, 4, 5]], dtype)
    for init, lop, jop in [(-np.inf, lax.max, jlax.max), (np.inf, lax.min, jlax.min)]:
        want = jlax.reduce_window(x, init, jop, (1, 2), (1, 1), "SAME")
        got = lax.reduce_window(x, init, lop, (1, 2), (1, 1), "SAME")
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(lax.reduce(x, init, lop, (1,)),
                                      jlax.reduce(x, init, jop, (1,)))
    with pytest.raises(wire.WireTypeError):  # not the identity of a sum
        lax.reduce(x, -np.inf, lax.add, (1,))
