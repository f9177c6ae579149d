"""``wire.numpy``'s statistics and ufunc methods compute what NumPy computes, bit for bit,
eagerly, under ``jit`` and under ``vmap``: NumPy's dtype policy for float16 (``mean`` sums in
float32, ``var`` and the nan-functions in float16) and its division by an integer count (in
float64, never by a count rounded to float16), the summation order under ``where=``, and
the ``reduce``/``accumulate``/``outer``/``at``/``reduceat`` methods of the binary ufuncs."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from finite_differences import fd_grad
from oracles import exact_difference
from selection import slow_selected


def _agree(fn, np_fn, x, batched=True):
    """``fn`` eagerly, under jit and (``batched``) under vmap over three examples is
    ``np_fn``'s result bit for bit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np_fn(x)
        for how, got in (("eager", fn(x)), ("jit", wire.jit(fn)(x))):
            diff = exact_difference(want, got)
            assert diff is None, f"{how}: {diff}"
        if batched:
            xs = np.stack([x, x[::-1], x * 2])
            want = np.stack([np.asarray(np_fn(v)) for v in xs])
            diff = exact_difference(want, wire.vmap(fn)(xs))
            assert diff is None, f"vmap: {diff}"


# --------------------------------------------------------------------------- float16 statistics

BIG = np.full((5000, 20), 20, np.float16)  # its float16 sum overflows: NumPy's var is inf


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("kw", [{}, {"axis": 0}, {"axis": (0, 1)}, {"ddof": 1}])
def test_float16_var_sums_in_float16_as_numpy(name, kw):
    # NumPy's var of float16 takes the mean of the float16 sum (inf here, 0.4995 over
    # axis 0), not the float32 mean (was 0 under jit)
    _agree(lambda a: getattr(wnp, name)(a, **kw), lambda a: getattr(np, name)(a, **kw), BIG)


def test_float16_var_of_ordinary_values():
    x = (np.random.default_rng(1).normal(size=(6, 5)) * 3).astype(np.float16)
    for kw in ({}, {"axis": 0}, {"ddof": 1}, {"axis": 1, "keepdims": True}):
        _agree(lambda a: wnp.var(a, **kw), lambda a: np.var(a, **kw), x)
        _agree(lambda a: wnp.std(a, **kw), lambda a: np.std(a, **kw), x)


def test_float16_nanmean_divides_by_the_exact_count():
    # 2572 numbers: the count rounded to float16 (2572 -> 2572, but 2573 -> 2572) made the
    # mean 0.999 where NumPy's is 0.9995
    rng = np.random.default_rng(0)
    x = (1 + rng.normal(size=3000) * 1e-3).astype(np.float16)
    x[::7] = np.nan
    want = np.nanmean(x)
    assert exact_difference(want, wire.jit(wnp.nanmean)(x)) is None
    _agree(wnp.nanmean, np.nanmean, x, batched=False)
    for name in ("nanvar", "nanstd"):
        _agree(getattr(wnp, name), getattr(np, name), x * np.float16(30), batched=False)


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.complex64])
def test_mean_divides_as_numpy(dt):
    rng = np.random.default_rng(5)
    x = (rng.normal(size=(3, 2051)) + 3).astype(dt)
    for kw in ({}, {"axis": 1}, {"axis": 1, "keepdims": True}, {"dtype": dt}):
        _agree(lambda a: wnp.mean(a, **kw), lambda a: np.mean(a, **kw), x)
    _agree(lambda a: wnp.var(a, dtype=dt), lambda a: np.var(a, dtype=dt), x)


@pytest.mark.parametrize("dt", [np.float16, np.float32])
def test_where_masks_sum_in_numpy_order(dt):
    # the mean under where= is NumPy's masked sum (not a plain sum with zeros in the
    # unselected places); nanmean sums under the caller's where, not under ~isnan
    rng = np.random.default_rng(2)
    x = (1 + rng.normal(size=(3, 700)) * 1e-2).astype(dt)
    w = rng.random(x.shape) < 0.7
    _agree(lambda a: wnp.mean(a, where=w), lambda a: np.mean(a, where=w), x, batched=False)
    x[:, ::7] = np.nan
    _agree(lambda a: wnp.nanmean(a, where=w), lambda a: np.nanmean(a, where=w), x,
           batched=False)
    _agree(lambda a: wnp.nanmean(a, dtype=dt), lambda a: np.nanmean(a, dtype=dt), x)


# --------------------------------------------------------------------------- ufunc methods

BINARY_UFUNCS = sorted(n for n in dir(np) if isinstance(getattr(np, n), np.ufunc)
                       and getattr(np, n).nin == 2)
METHODS = ("reduce", "accumulate", "outer", "at", "reduceat")


def test_every_binary_ufunc_has_numpys_methods():
    x = np.array([[1.5, 2.0, 3.0], [0.5, 4.0, 1.0]])
    for name in BINARY_UFUNCS:
        fn = getattr(wnp, name)
        for method in METHODS:
            assert callable(getattr(fn, method)), f"wire.numpy.{name}.{method}"
    # on concrete operands they are NumPy's own
    assert exact_difference(np.logaddexp.reduce(x, axis=1), wnp.logaddexp.reduce(x, axis=1)) \
        is None
    a = np.zeros(3)
    wnp.add.at(a, [0, 0, 2], 1.0)
    assert a.tolist() == [2.0, 0.0, 1.0]


RNG = np.random.default_rng(0)
OPERANDS = {
    "f64": RNG.random((3, 4)) + 0.5, "f16": (RNG.random((3, 4)) + 0.5).astype(np.float16),
    "i8": RNG.integers(1, 5, (3, 4)).astype(np.int8), "b": RNG.random((3, 4)) < 0.5,
}
MASK = np.array([True, False, True, True])
CALLS = {
    "reduce": lambda u, a: u.reduce(a, axis=1),
    "reduce_axis0_keepdims": lambda u, a: u.reduce(a, axis=0, keepdims=True),
    "reduce_initial_where": lambda u, a: u.reduce(a, axis=1, initial=1, where=MASK),
    "reduce_empty": lambda u, a: u.reduce(a[:, :0], axis=1),
    "accumulate": lambda u, a: u.accumulate(a, axis=1),
    "outer": lambda u, a: u.outer(a[0], a[:, 1]),
    "outer_dtype": lambda u, a: u.outer(a[0], a[:, 1], dtype=np.float32),
    "reduceat": lambda u, a: u.reduceat(a, [0, 2, 1, 3], axis=1),
}
SOME = ["subtract", "divide", "logaddexp", "logaddexp2", "arctan2", "hypot", "power",
        "copysign", "nextafter", "bitwise_xor", "logical_xor", "fmax", "maximum", "add",
        "multiply"]


def _method_cases(names):
    for name in names:
        for kind in OPERANDS:
            for call in CALLS:
                yield name, kind, call


@pytest.mark.parametrize("name,kind,call", [
    ("logaddexp", "f64", "reduce"), ("logaddexp", "f16", "reduce_empty"),
    ("subtract", "f16", "reduce"), ("divide", "i8", "accumulate"),
    ("logaddexp2", "b", "reduce_initial_where"), ("arctan2", "f64", "reduceat"),
    ("add", "f64", "reduceat"), ("fmax", "f64", "reduce_initial_where"),
    ("nextafter", "i8", "outer"), ("power", "f16", "reduce_axis0_keepdims"),
    ("add", "f64", "outer_dtype"), ("ldexp", "i8", "outer_dtype"),
])
def test_ufunc_methods_on_traced_values_are_numpys(name, kind, call):
    _check_method(name, kind, call)


@pytest.mark.slow
@pytest.mark.parametrize("name,kind,call", list(_method_cases(SOME)))
def test_ufunc_methods_sweep(name, kind, call, request):
    if not slow_selected(request.config):
        pytest.skip("runs with -m slow")
    _check_method(name, kind, call)


def _check_method(name, kind, call):
    x, c = OPERANDS[kind], CALLS[call]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            want = c(getattr(np, name), x)
    except (TypeError, ValueError):  # NumPy refuses: so does wire, with a WireError
        with pytest.raises(wire.WireError):
            wire.jit(lambda a: c(getattr(wnp, name), a))(x)
        return
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for how, u in (("wire.numpy", getattr(wnp, name)), ("numpy on a tracer",
                                                              getattr(np, name))):
            got = wire.jit(lambda a: c(u, a))(x)
            assert exact_difference(want, got) is None, (how, exact_difference(want, got))
        xs = np.stack([x, x[::-1], x])
        got = wire.vmap(lambda a: c(getattr(wnp, name), a))(xs)
        want = np.stack([np.asarray(c(getattr(np, name), v)) for v in xs])
        assert exact_difference(want, got) is None


def test_long_folds_are_one_scan_with_numpys_value():
    x = np.random.default_rng(3).random((2, 50)) + 0.5
    for f, g in ((lambda a: wnp.subtract.reduce(a, axis=1),
                  lambda a: np.subtract.reduce(a, axis=1)),
                 (lambda a: wnp.logaddexp2.accumulate(a, axis=1),
                  lambda a: np.logaddexp2.accumulate(a, axis=1))):
        _agree(f, g, x, batched=True)


def test_complex_minimum_accumulate_has_no_padding_value():
    # the log-depth scan padded complex entries with 1: values above 1 became 1
    x = np.array([[1.7 + 1.2j, 0.1 + 0.8j], [1.7 + 1.4j, 1.1 + 1.3j], [0.05 + 0.3j, 2 + 1j]])
    for name in ("minimum", "maximum"):
        _agree(lambda a: getattr(wnp, name).accumulate(a, axis=0),
               lambda a: getattr(np, name).accumulate(a, axis=0), x)


def test_ufunc_methods_refuse_as_numpy_does():
    x = np.ones((2, 3))
    with pytest.raises(wire.errors.WireValueError, match="not reorderable"):
        wire.jit(lambda a: wnp.subtract.reduce(a, axis=(0, 1)))(x)
    with pytest.raises(wire.errors.WireValueError, match="no identity"):
        wire.jit(lambda a: wnp.divide.reduce(a[:, :0], axis=1))(x)
    with pytest.raises(wire.WireError):
        wire.jit(lambda a: wnp.divmod.reduce(a))(x)
    with pytest.raises(wire.WireTypeError, match="immutable"):
        wire.jit(lambda a: wnp.add.at(a, [0], 1.0))(x)
    with pytest.raises(wire.WireTypeError, match="indices"):
        wire.jit(lambda a, i: wnp.add.reduceat(a, i, axis=1))(x, np.array([0, 1]))


def test_ufunc_method_derivatives_match_finite_differences():
    x = np.random.default_rng(4).random((3, 4)) + 0.5
    for f in (lambda a: wnp.sum(wnp.logaddexp.reduce(a, axis=1)),
              lambda a: wnp.logaddexp.reduce(a, axis=(0, 1)),
              lambda a: wnp.sum(wnp.subtract.reduce(a, axis=1) ** 2),
              lambda a: wnp.sum(wnp.divide.accumulate(a, axis=1)),
              lambda a: wnp.sum(wnp.hypot.reduce(a, axis=None)),
              lambda a: wnp.sum(wnp.add.reduceat(a, [0, 2, 1], axis=1) ** 2),
              lambda a: wnp.sum(wnp.arctan2.reduce(a, axis=1, initial=0.7, where=MASK))):
        g = wire.grad(f)(x)
        np.testing.assert_allclose(g, fd_grad(f, x), rtol=1e-6, atol=1e-8)
        assert exact_difference(g, wire.jit(wire.grad(f))(x)) is None


# --------------------------------------------------------------------------- axes NumPy refuses


def test_cumulative_functions_take_one_axis_as_numpy():
    x = np.arange(12.0).reshape(3, 4)
    # an axis tuple was taken as its first axis: cumsum(x, axis=(0, -1)) summed along axis 0
    for name in ("cumsum", "cumprod", "nancumsum", "nancumprod"):
        with pytest.raises(wire.WireTypeError, match="tuple"):
            wire.jit(lambda a: getattr(wnp, name)(a, axis=(0, -1)))(x)
    for name in ("cumulative_sum", "cumulative_prod"):
        with pytest.raises(wire.errors.WireValueError, match="axis"):
            wire.jit(getattr(wnp, name))(x)  # NumPy needs axis beyond one dimension
        with pytest.raises(wire.errors.WireValueError, match="multiple axes"):
            wire.jit(lambda a: getattr(wnp, name)(a, axis=(0, 1)))(x)
        _agree(lambda a: getattr(wnp, name)(a, axis=(-1,)),
               lambda a: getattr(np, name)(a, axis=(-1,)), x)


def test_axis_tuples_of_zero_dimensional_arrays_are_refused_as_numpy():
    x = np.array(1.5)
    for name in ("sum", "prod", "max", "any", "nansum", "count_nonzero"):
        with pytest.raises(wire.WireError):
            wire.jit(lambda a: getattr(wnp, name)(a, axis=(-1,)))(x)
        _agree(lambda a: getattr(wnp, name)(a, axis=-1), lambda a: getattr(np, name)(a, axis=-1),
               x, batched=False)


def test_nanvar_of_complex_squares_as_numpy():
    # NumPy's nanvar takes |x|**2 as real(x * conj(x)) (var: re**2 + im**2)
    rng = np.random.default_rng(7)
    x = (rng.normal(size=(3, 4)) + 1j * rng.normal(size=(3, 4))).astype(np.complex64)
    x[0, 1] = np.nan
    for kw in ({"dtype": np.complex128}, {"axis": 0, "ddof": 2.5}):
        _agree(lambda a: wnp.nanvar(a, **kw), lambda a: np.nanvar(a, **kw), x)
    with pytest.raises(wire.WireTypeError):  # NumPy cannot hold the root in int16 either
        wire.jit(lambda a: wnp.nanstd(a, axis=1, dtype=np.int16))(np.arange(6).reshape(2, 3))


def test_ldexp_of_a_python_number_takes_numpys_loop():
    # ldexp(2, int8 array) is float16 in NumPy (was float64); a complex mantissa is refused
    e = np.array([1, 2, 3], np.int8)
    for x1 in (2, -1, 300, 2.5, True):
        _agree(lambda a: wnp.ldexp(x1, a), lambda a: np.ldexp(x1, a), e)
    with pytest.raises(wire.WireTypeError):
        wire.jit(lambda a: wnp.ldexp(3j, a))(e)


def test_sums_into_a_wider_dtype_are_numpys_buffered_sums():
    # NumPy casts float16 into float32 in buffers of 8192 entries as its sum reads them:
    # past that, sum(x, dtype=float32) is not the sum of x cast whole (it was, under jit)
    rng = np.random.default_rng(0)
    x = rng.random(20000).astype(np.float16)
    assert np.sum(x, dtype=np.float32) != np.sum(x.astype(np.float32))  # the premise
    _agree(lambda a: wnp.sum(a, dtype=np.float32), lambda a: np.sum(a, dtype=np.float32), x)
    y = rng.random((2, 9000)).astype(np.float32)
    _agree(lambda a: wnp.sum(a, axis=1, dtype=np.float64, keepdims=True),
           lambda a: np.sum(a, axis=1, dtype=np.float64, keepdims=True), y)
    g = wire.grad(lambda a: wnp.sum(a * a, dtype=np.float64))(y)
    assert g.dtype == np.float32 and exact_difference(2 * y, g) is None


@pytest.mark.parametrize("dt", [np.float16, np.complex64])
def test_prod_under_where_is_numpys_masked_product(dt):
    # NumPy multiplies each run of selected entries in float32 for float16 (complex by its
    # reduction loop): the product of the entries with 1 in the unselected places differs
    rng = np.random.default_rng(3)
    x = (1 + rng.normal(size=(3, 70)) * 0.1).astype(dt)
    w = rng.random(x.shape) < 0.7
    for kw in ({}, {"axis": 1}, {"axis": 0, "initial": 2.0}):
        _agree(lambda a: wnp.prod(a, where=w, **kw), lambda a: np.prod(a, where=w, **kw), x,
               batched=False)
        _agree(lambda a: wnp.nanprod(a, where=w, **kw), lambda a: np.nanprod(a, where=w, **kw),
               x, batched=False)


def test_prod_under_where_derivatives_match_finite_differences():
    x = np.array([[0.5, 0.0, 2.0, -1.5], [1.5, 3.0, 0.0, 0.0]])
    w = np.array([[True, True, False, True], [True, False, True, True]])
    for kw in ({"axis": 1}, {"axis": None, "initial": 0.5}):
        def f(a):
            return wnp.sum(wnp.prod(a, where=w, **kw) ** 2)
        np.testing.assert_allclose(wire.grad(f)(x), fd_grad(f, x), rtol=1e-6, atol=1e-8)
        assert exact_difference(wire.grad(f)(x), wire.jit(wire.grad(f))(x)) is None
        t = np.ones_like(x)
        np.testing.assert_allclose(wire.jvp(f, (x,), (t,))[1], np.sum(fd_grad(f, x)),
                                   rtol=1e-6)


def test_average_weights_lie_along_axis_as_numpy():
    # 1-D weights with axis=0 were broadcast along the last axis: a square a gave a wrong
    # average ([3, 4, 5] where NumPy's is [4.5, 5.5, 6.5]), others a ShapeError
    w = np.array([1.0, 2.0, 5.0])
    for x in (np.arange(9.0).reshape(3, 3), np.arange(12.0).reshape(3, 4)):
        _agree(lambda a: wnp.average(a, axis=0, weights=w),
               lambda a: np.average(a, axis=0, weights=w), x, batched=False)
    x = np.arange(24.0).reshape(2, 3, 4)
    w2 = np.arange(1.0, 13.0).reshape(4, 3)
    for f, g in ((lambda a: wnp.average(a, axis=(2, 1), weights=w2, returned=True)[k],
                  lambda a: np.average(a, axis=(2, 1), weights=w2, returned=True)[k])
                 for k in (0, 1)):
        _agree(f, g, x)
    # integer data with float32 weights: NumPy's float64
    xi = np.arange(12, dtype=np.int8).reshape(3, 4)
    w4 = np.arange(1, 5, dtype=np.float32)
    _agree(lambda a: wnp.average(a, axis=-1, weights=w4),
           lambda a: np.average(a, axis=-1, weights=w4), xi)
    with pytest.raises(wire.WireTypeError):
        wire.jit(lambda a: wnp.average(a, weights=w))(np.ones((3, 3)))
    with pytest.raises(wire.errors.WireValueError):
        wire.jit(lambda a: wnp.average(a, axis=1, weights=w))(np.ones((3, 4)))
    f = lambda v: wnp.average(x, axis=(2, 1), weights=v)[1]  # noqa: E731
    np.testing.assert_allclose(wire.grad(f)(w2), fd_grad(f, w2), rtol=1e-6, atol=1e-9)


def test_ediff1d_casts_its_ends_as_numpy():
    x = np.array([1, 4, 9], np.int64)
    with pytest.raises(wire.WireTypeError, match="same_kind"):
        wire.jit(lambda a: wnp.ediff1d(a, to_begin=2.5))(x)
    _agree(lambda a: wnp.ediff1d(a, to_begin=np.int8(7), to_end=[1, 2]),
           lambda a: np.ediff1d(a, to_begin=np.int8(7), to_end=[1, 2]), x, batched=False)
    y = np.array([1.0, 4.0, 9.0], np.float32)
    assert wire.jit(lambda a, b: wnp.ediff1d(a, to_begin=b))(y, np.float64(2.0)).dtype == \
        np.float32  # a traced end is cast to ary's dtype too


def test_zero_dimensional_and_axis_none_refusals_as_numpy():
    # NumPy's nan-functions take axis 0 of a 0-d float array (ufuncs) but not of an integer
    # or boolean one (they call mean/var): wire took both
    for x in (np.array(3, np.int8), np.array(True)):
        for name in ("nanmean", "nanvar", "nanstd"):
            with pytest.raises(wire.WireError):
                wire.jit(lambda a: getattr(wnp, name)(a, axis=0))(x)
    for name in ("nanmean", "nanvar"):
        _agree(lambda a: getattr(wnp, name)(a, axis=0), lambda a: getattr(np, name)(a, axis=0),
               np.array(2.5, np.float16), batched=False)
    with pytest.raises(wire.WireTypeError):  # diff's axis=None was the last axis
        wire.jit(lambda a: wnp.diff(a, axis=None))(np.ones((2, 3)))


def test_ufunc_methods_take_numpys_positional_arguments():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    for f, g in ((lambda a: wnp.subtract.reduce(a, 1, np.float32, None, True),
                  lambda a: np.subtract.reduce(a, 1, np.float32, None, True)),
                 (lambda a: wnp.add.reduceat(a, [0, 2], 1), lambda a: np.add.reduceat(a, [0, 2], 1)),
                 (lambda a: wnp.logaddexp.accumulate(a, 1), lambda a: np.logaddexp.accumulate(a, 1)),
                 (lambda a: wnp.add.reduce([a[0], a[1]]), lambda a: np.add.reduce([a[0], a[1]])),
                 (lambda a: wnp.power.outer(2.0, a[0]), lambda a: np.power.outer(2.0, a[0]))):
        _agree(f, g, x)
    w = np.array([True, False, True])
    got = wire.jit(lambda m: wnp.add.reduce(x, axis=1, where=m))(w)  # a traced mask alone
    assert exact_difference(np.add.reduce(x, axis=1, where=w), got) is None


def test_complex_reciprocal_of_concrete_values_is_numpys():
    # eagerly 1 / x: reciprocal(0.3j) was -0-3.33j where NumPy's is 0-3.33j
    x = np.array([0.3j, 100j, 0.5 + 1e-5j, 2 + 0j], np.complex64)
    for got in (wnp.reciprocal(x), wire.jit(wnp.reciprocal)(x)):
        for part in ("real", "imag"):  # (exact_difference sees no signs of complex zeros)
            want = getattr(np.reciprocal(x), part)
            assert exact_difference(want, getattr(got, part)) is None


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_complex_fmax_fmin_keep_the_first_operand_when_both_have_nan(name):
    # NumPy's loop takes x where y has a NaN: fmax(nan+1j, nan+infj) is nan+1j (was y)
    x = np.array([complex(np.nan, 1), complex(np.nan, -2), complex(1, 2)], np.complex64)
    y = np.array([complex(np.nan, np.inf), complex(np.nan, np.nan), complex(np.nan, 0)],
                 np.complex64)
    for got in (getattr(wnp, name)(wnp.asarray(x), y),
                wire.jit(lambda a, b: getattr(wnp, name)(a, b))(x, y)):
        want = getattr(np, name)(x, y)
        for part in ("real", "imag"):
            assert exact_difference(getattr(want, part), getattr(got, part)) is None


def test_expand_dims_takes_a_numpy_integer_axis():
    x = np.ones((2, 3), np.float32)
    for ax in (np.int64(1), np.int8(-1)):  # a TypeError (not iterable) before
        _agree(lambda a: wnp.expand_dims(a, ax), lambda a: np.expand_dims(a, ax), x)
