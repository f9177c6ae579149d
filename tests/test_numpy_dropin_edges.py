"""``wire.numpy`` as a drop-in for NumPy where NumPy refuses an input or picks a narrow dtype:
each case runs traced-and-evaluated and under ``wire.jit`` and must give NumPy's value and
dtype, or raise a ``wire.WireError`` where NumPy raises (never a plausible number)."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf and NaN on purpose


def traced_and_jitted(f, *args):
    """``f(*args)`` traced then evaluated, and jitted."""
    return [wire.evaluate(wire.trace(f, *args), *args), wire.jit(f)(*args)]


def assert_same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)


def assert_refused(f, *args, error=wire.WireError, numpy_f=None):
    """NumPy refuses ``(numpy_f or f)(*args)`` on arrays, and wire refuses it traced and
    jitted with a WireError (of class ``error``)."""
    with pytest.raises((TypeError, ValueError, OverflowError)):
        (numpy_f or f)(*args)
    with pytest.raises(error):
        wire.trace(f, *args)
    with pytest.raises(error):
        wire.jit(f)(*args)


# --------------------------------------------------------------------------- refused inputs


def test_unary_plus_of_booleans_is_refused_as_numpy_does():
    b = np.array([True, False])
    assert_refused(lambda x: +x, b, error=wire.errors.WireTypeError)
    for got in traced_and_jitted(lambda x: +x, np.array([1, -2], np.int8)):
        assert_same(got, np.array([1, -2], np.int8))


def test_ldexp_refuses_what_numpy_refuses():
    x = np.array([1.0, 3.0])
    for k in (2**31, -2**31 - 1, 2**40):
        assert_refused(lambda x, k=k: wnp.ldexp(x, k), x, error=wire.errors.WireOverflowError,
                       numpy_f=lambda x, k=k: np.ldexp(x, k))
    # a Python-int argument of a jitted function is checked the same way
    with pytest.raises(wire.errors.WireOverflowError):
        wire.jit(wnp.ldexp)(x, 2**40)
    assert_same(wire.jit(wnp.ldexp)(x, 3), np.ldexp(x, 3))
    assert_refused(wnp.ldexp, x, np.array([1, 2], np.uint64), error=wire.errors.WireTypeError,
                   numpy_f=np.ldexp)
    assert_refused(wnp.ldexp, np.array([1 + 1j]), np.array([1]), error=wire.errors.WireTypeError,
                   numpy_f=np.ldexp)


def test_ldexp_of_a_python_float_and_a_traced_exponent():
    e = np.array([1, -1075, 1100])
    for got in traced_and_jitted(lambda e: wnp.ldexp(3.0, e), e):
        assert_same(got, np.ldexp(3.0, e))
    for got in traced_and_jitted(lambda e: wnp.ldexp(np.float32(3.0), e), e):
        assert_same(got, np.ldexp(np.float32(3.0), e))
    # a boolean mantissa takes NumPy's C-long loop: 2**31 is an exponent, not an overflow
    b = np.array([True, False])
    for got in traced_and_jitted(lambda b: wnp.ldexp(b, 2**31), b):
        assert_same(got, np.ldexp(b, 2**31))


@pytest.mark.parametrize("name", ["isneginf", "isposinf", "frexp"])
def test_complex_input_is_refused_where_numpy_has_no_meaning_for_it(name):
    z = np.array([1 + 1j, -np.inf + 0j, np.inf + 1j])
    assert_refused(getattr(wnp, name), z, error=wire.errors.WireTypeError,
                   numpy_f=getattr(np, name))


def test_convolve_and_correlate_refuse_shapes_numpy_refuses():
    m, v = np.ones((2, 2)), np.ones(2)
    for name in ("convolve", "correlate"):
        f, ref = getattr(wnp, name), getattr(np, name)
        assert_refused(f, m, v, error=wire.ShapeError, numpy_f=ref)
        assert_refused(f, v, m, error=wire.ShapeError, numpy_f=ref)
        assert_refused(f, np.ones(0), v, numpy_f=ref)
        assert_refused(lambda a, b, f=f: f(a, b, "middle"), v, v,
                       numpy_f=lambda a, b, ref=ref: ref(a, b, "middle"))
    assert_refused(wnp.correlate, np.array(2.0), v, error=wire.ShapeError,
                   numpy_f=np.correlate)
    # convolve takes a 0-d array as one element, as NumPy does
    for got in traced_and_jitted(wnp.convolve, np.array(2.0), np.array([1.0, 3.0])):
        assert_same(got, np.convolve(np.array(2.0), np.array([1.0, 3.0])))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("a,v", [
    (np.array([True, False, True]), np.array([True, True])),
    (np.array([1, 2, 3], np.int8), np.array([100, 100], np.int8)),  # wraps, as NumPy's
    (np.array([1, 2], np.uint8), np.array([-1, 5, 9], np.int8)),
    (np.array([1 + 1j, 2]), np.array([True, False])),
], ids=["bool", "int8", "uint8-int8", "complex-bool"])
def test_convolve_and_correlate_keep_numpys_dtype(a, v, mode):
    for name in ("convolve", "correlate"):
        f, ref = getattr(wnp, name), getattr(np, name)
        want = ref(a, v, mode)
        for got in traced_and_jitted(lambda a, v, f=f: f(a, v, mode), a, v):
            assert_same(got, want)


def test_searchsorted_refuses_what_numpy_refuses():
    v = np.array([0.5, 2.0])
    assert_refused(wnp.searchsorted, np.ones((2, 2)), v, error=wire.ShapeError,
                   numpy_f=np.searchsorted)
    assert_refused(wnp.searchsorted, np.array(1.0), v, error=wire.ShapeError,
                   numpy_f=np.searchsorted)
    a = np.array([3.0, 1.0, 2.0])
    for sorter in (np.array([[1, 2, 0]]), np.array([1, 2]), np.array([1.0, 2.0, 0.0])):
        assert_refused(lambda a, v, s: wnp.searchsorted(a, v, sorter=s), a, v, sorter,
                       error=wire.errors.WireTypeError,
                       numpy_f=lambda a, v, s: np.searchsorted(a, v, sorter=s))
    assert_refused(lambda a, v: wnp.searchsorted(a, v, side="l"), a, v,
                   numpy_f=lambda a, v: np.searchsorted(a, v, side="l"))
    s = np.array([1, 2, 0])
    for got in traced_and_jitted(lambda a, v, s: wnp.searchsorted(a, v, sorter=s), a, v, s):
        assert_same(got, np.searchsorted(a, v, sorter=s))


@pytest.mark.parametrize("n", [2**70, -2**63 - 1, -(2**100)])
def test_a_python_int_no_integer_dtype_holds_is_refused_naming_the_argument(n):
    assert np.asarray(n).dtype == object  # NumPy's answer: an object array
    for call in (wire.jit(lambda x, n: x * n), lambda x, n: wire.trace(lambda x, n: x * n, x, n)):
        with pytest.raises(wire.errors.WireOverflowError, match=r"argument leaf \[1\] is the"):
            call(1.0, n)
    with pytest.raises(wire.errors.WireOverflowError, match=r"argument leaf \[0\]\['a'\]"):
        wire.jit(lambda d: d["a"] * 2.0)({"a": n})
    # a non-differentiated argument of an eager transform is a value, as in NumPy
    assert wire.grad(lambda x, n: x * n)(1.0, n) == float(n)
    # as a static argument it is an ordinary Python value
    assert wire.jit(lambda x, n: x * n, static_argnums=1)(1.0, n) == float(n)


# --------------------------------------------------------------------------- values and dtypes


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("decimals", [309, 400, -309, -400])
def test_round_to_more_places_than_float64_holds_is_nan_as_numpy(dtype, decimals):
    x = np.array([0.5, -2.5, 0.0, np.inf, 1e300], dtype)
    want = np.round(x, decimals)
    for got in traced_and_jitted(lambda x: wnp.round(x, decimals), x):
        assert_same(got, want)


def test_complex_to_boolean_is_true_where_either_part_is_nonzero():
    z = np.array([6j, 0j, 1 + 0j, complex(0, -0.0), complex(np.nan, 0), complex(0, np.nan)],
                 np.complex64)
    for f in (lambda z: z.astype(bool), lambda z: wnp.where(z, 1, 2)):
        for got in traced_and_jitted(f, z):
            assert_same(got, f(z))


A8 = np.array([[100, 100, 100], [1, 2, 3]], np.int8)


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "var", "trace", "cumsum", "cumprod"])
@pytest.mark.parametrize("a", [A8, A8 > 1, A8.astype(np.float16), (A8 * 1j).astype(np.complex64)],
                         ids=["int8", "bool", "float16", "complex64"])
@pytest.mark.parametrize("kw", [{"dtype": bool}, {"dtype": np.int8, "axis": 0},
                                {"dtype": np.float32, "axis": 1}, {"dtype": np.uint8}],
                         ids=["bool", "int8", "float32", "uint8"])
def test_reductions_compute_in_the_dtype_asked_for(name, a, kw):
    if name == "trace":
        kw = {k: v for k, v in kw.items() if k != "axis"}
    f = lambda x: getattr(wnp, name)(x, **kw)  # noqa: E731
    try:
        with np.errstate(all="ignore"):
            want = getattr(np, name)(a, **kw)
    except TypeError:  # NumPy's booleans do not subtract (var)
        with pytest.raises(TypeError):
            wire.jit(f)(a)
        return
    for got in traced_and_jitted(f, a):
        assert_same(got, want)


def test_std_in_an_integer_dtype_is_refused():
    with pytest.raises(TypeError):
        np.std(A8, axis=0, dtype=np.int8)
    with pytest.raises(wire.errors.WireTypeError):
        wire.jit(lambda x: wnp.std(x, axis=0, dtype=np.int8))(A8)


def test_interp_computes_in_float64_as_numpy():
    xs = np.array([-np.inf, np.nan, 0.5, 2.0, 3.0], np.float32)
    xp, fp = np.array([0.0, 1.0, 2.0], np.float32), np.array([10.0, 20.0, 40.0], np.float32)
    for got in traced_and_jitted(wnp.interp, xs, xp, fp):
        assert_same(got, np.interp(xs, xp, fp))


@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("bins", [[0.0, 1.0, np.nan], [np.nan, 1.0, 0.0], [1.0, 1.0, 0.5],
                                  [0.5, 0.5, 1.0], [2.0]])
def test_digitize_takes_numpys_direction_of_the_bins(bins, right):
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan, np.inf])
    bins = np.array(bins)
    want = np.digitize(x, bins, right=right)
    for got in traced_and_jitted(lambda x, b: wnp.digitize(x, b, right=right), x, bins):
        assert_same(got, want)  # traced bins
    for got in traced_and_jitted(lambda x: wnp.digitize(x, bins, right=right), x):
        assert_same(got, want)  # concrete bins


def test_digitize_refuses_concrete_bins_numpy_refuses():
    bins = np.array([0.0, 2.0, 1.0])
    x = np.array([0.5])
    assert_refused(lambda x: wnp.digitize(x, bins), x, error=wire.errors.WireValueError,
                   numpy_f=lambda x: np.digitize(x, bins))


def test_diff_refuses_a_negative_order_and_a_0d_array():
    assert_refused(lambda x: wnp.diff(x, n=-1), np.ones(3), error=wire.errors.WireValueError,
                   numpy_f=lambda x: np.diff(x, n=-1))
    assert_refused(wnp.diff, np.array(1.0), error=wire.ShapeError, numpy_f=np.diff)


def test_a_python_int_a_narrow_where_cannot_hold_is_a_wire_overflow_error():
    c, x = np.array([True, False]), np.ones(2, np.int8)
    with pytest.raises(wire.errors.WireOverflowError):
        wire.jit(lambda c, x: wnp.where(c, x, 300))(c, x)
    for got in traced_and_jitted(lambda c, x: wnp.where(c, x, 100), c, x):
        assert_same(got, np.where(c, x, 100))


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_triu_of_a_row_broadcast_it_to_a_square(name, k):
    x = np.array([1.0, -2.0, 3.0])
    for got in traced_and_jitted(lambda x: getattr(wnp, name)(x, k), x):
        assert_same(got, getattr(np, name)(x, k))
    assert_refused(getattr(wnp, name), np.array(5.0), error=wire.ShapeError,
                   numpy_f=getattr(np, name))


# --------------------------------------------------------------------------- initial= and where=

R2 = np.array([[1.0, -2.0, np.nan], [4.0, 0.5, 3.0]])
W3 = np.array([True, False, True])


@pytest.mark.parametrize("call", [
    lambda m, x: m.sum(x, initial=5.0),
    lambda m, x: m.sum(x, axis=1, where=W3),
    lambda m, x: m.sum(x.astype(np.int8), axis=0, initial=2.5),  # cast to int64: 2
    lambda m, x: m.prod(x, axis=0, initial=-2.0, where=W3[:, None][:2]),
    lambda m, x: m.max(x, axis=1, initial=3.5),
    lambda m, x: m.min(x, axis=0, keepdims=True, initial=0.25, where=np.isfinite(R2)),
    lambda m, x: m.max(x[:, :0], axis=1, initial=-1.0),  # nothing to reduce: initial
    lambda m, x: m.mean(x, axis=1, where=W3),
    lambda m, x: m.mean(x.astype(np.float16), where=~np.isnan(R2)),
    lambda m, x: m.any(x > 3.0, axis=0, where=W3),
    lambda m, x: m.all(x > 0.0, axis=1, where=W3),
    lambda m, x: np.add.reduce(x, axis=1, initial=5.0),
    lambda m, x: np.maximum.reduce(x, axis=0, initial=3.0),
    lambda m, x: np.multiply.reduce(x, axis=1, where=W3),
    lambda m, x: x.max(initial=10.0) if m is wnp else x.max(initial=10.0),
    lambda m, x: x.sum(axis=1, where=W3),
], ids=lambda c: "")
def test_reductions_take_initial_and_where(call):
    want = call(np, R2)
    for got in traced_and_jitted(lambda x: call(wnp, x), R2):
        assert_same(got, want)


def test_reductions_refuse_what_they_cannot_do_with_initial_and_where():
    with pytest.raises(ValueError):
        np.max(R2, where=W3)
    with pytest.raises(wire.errors.WireValueError, match="initial"):
        wire.jit(lambda x: wnp.max(x, where=W3))(R2)
    with pytest.raises(wire.WireError, match="out="):
        wire.jit(lambda x: wnp.sum(x, out=np.zeros(())))(R2)
    # fmax.reduce with initial= is NumPy's value, zero signs included (it was refused)
    got = wire.jit(lambda x: np.fmax.reduce(x, initial=1.0))(R2)
    want = np.fmax.reduce(R2, initial=1.0)
    assert got.dtype == want.dtype and np.array_equal(np.signbit(got), np.signbit(want))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("call", [
    lambda m, x, o: m.quantile(x, 0.5, out=o),
    lambda m, x, o: m.percentile(x, 50, None, o),  # out by position
    lambda m, x, o: m.median(x, out=o),
    lambda m, x, o: m.nanquantile(x, 0.25, out=o),
    lambda m, x, o: m.nanpercentile(x, 75, out=o),
], ids=["quantile", "percentile", "median", "nanquantile", "nanpercentile"])
def test_out_is_written_or_refused_never_ignored(call):
    x = np.array([1.0, 2.0, 4.0, 8.0])
    want, got = np.zeros(()), np.zeros(())
    call(np, x, want)
    assert call(wnp, x, got) is got  # concrete arrays: NumPy writes into out
    assert_same(got, want)
    with pytest.raises(wire.WireError, match="out="):
        wire.jit(lambda x: call(wnp, x, np.zeros(())))(x)


def test_fft_out_is_written_or_refused():
    x = np.array([1.0, 2.0, 0.0, -1.0])
    want, got = np.zeros(4, complex), np.zeros(4, complex)
    np.fft.fft(x, out=want)
    wnp.fft.fft(x, out=got)
    assert_same(got, want)
    with pytest.raises(wire.WireError, match="out="):
        wire.jit(lambda x: wnp.fft.fft(x, out=np.zeros(4, complex)))(x)


@pytest.mark.parametrize("dtype", [int, np.int8, bool, np.float32, np.complex64])
@pytest.mark.parametrize("ends", [(3.0, 10.0), (-3.9, 3.9), (np.float32(0.1), np.float32(0.7))])
def test_linspace_computes_in_floats_then_takes_the_dtype(dtype, ends):
    start, stop = (np.asarray(e) for e in ends)
    want = np.linspace(start, stop, 7, dtype=dtype)
    for got in traced_and_jitted(lambda a, b: wnp.linspace(a, b, 7, dtype=dtype), start, stop):
        assert_same(got, want)


# --------------------------------------------------------------------------- complex parts

_PARTS = [0.0, -0.0, 1.0, -2.0, np.inf, -np.inf, np.nan, 1e308, 1e-310]
Z = np.array([complex(a, b) for a in _PARTS for b in _PARTS])


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_reciprocal_is_numpys_at_zeros_infinities_and_nan(dtype):
    z = Z.astype(dtype)
    with np.errstate(all="ignore"):
        want = np.reciprocal(z)
        for got in traced_and_jitted(wnp.reciprocal, z):
            assert_same(got, want)  # assert_array_equal: NaN where NumPy's, values exactly
            np.testing.assert_array_equal(np.signbit(got.real), np.signbit(want.real))
            np.testing.assert_array_equal(np.signbit(got.imag), np.signbit(want.imag))


def test_complex_reciprocal_derivative_is_minus_one_over_z_squared():
    z0 = np.array([1j, 2.0 + 0j, 1 + 1j, -3 + 0.5j, 0.25 - 4j])

    def f(re, im):
        w = wnp.reciprocal(re + 1j * im)
        return wnp.sum(wnp.real(w) + 2.0 * wnp.imag(w))

    d = -1 / z0**2  # d(1/z)/dz: the derivative along re is d, along im 1j * d
    for g in (wire.grad(f, argnums=(0, 1))(z0.real, z0.imag),
              wire.jit(wire.grad(f, argnums=(0, 1)))(z0.real, z0.imag)):
        np.testing.assert_allclose(g[0], d.real + 2 * d.imag, rtol=1e-12)
        np.testing.assert_allclose(g[1], (1j * d).real + 2 * (1j * d).imag, rtol=1e-12)


def test_complex_from_parts_keeps_infinite_and_signed_zero_parts():
    z = np.array([complex(1.0, np.inf), complex(-0.0, -0.0), complex(np.inf, 1.0),
                  complex(np.nan, -0.0)])
    for got in traced_and_jitted(wnp.nan_to_num, z):
        assert_same(got, np.nan_to_num(z))
        np.testing.assert_array_equal(np.signbit(got.imag), np.signbit(np.nan_to_num(z).imag))
    from wire.ops import complex_parts as C
    re, im = z.real.copy(), z.imag.copy()
    for got in traced_and_jitted(lambda a, b: C.complex_(wnp.asarray(a), wnp.asarray(b)), re, im):
        np.testing.assert_array_equal(got.real, re)
        np.testing.assert_array_equal(np.signbit(got.real), np.signbit(re))
        np.testing.assert_array_equal(got.imag, im)
        np.testing.assert_array_equal(np.signbit(got.imag), np.signbit(im))


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_square_and_power_two_are_numpys_bits(dtype):
    # np.square(z) is z * z, np.power(z, 2) and z ** 2.0 complex power (other last bits):
    # traced, all three were z * z
    rng = np.random.default_rng(7)
    z = (rng.normal(size=400) + 1j * rng.normal(size=400)).astype(dtype)
    for f, want in [(wnp.square, np.square(z)), (lambda v: wnp.power(v, 2), np.power(z, 2)),
                    (lambda v: v ** 2.0, z ** 2.0), (lambda v: v ** 2, z ** 2)]:
        for got in traced_and_jitted(f, z) + [wire.vmap(f)(z)]:
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_real_power_half_operator_is_sqrt(dtype):
    # ndarray's ** 0.5 is np.sqrt: in float16 np.power gives 0.0 at -0.0 and inf at -inf,
    # sqrt -0.0 and NaN (traced float16 x ** 0.5 gave power's)
    x = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, -1.0, 2.0, 1e-7], dtype)
    with np.errstate(all="ignore"):
        want = x ** 0.5
        for got in traced_and_jitted(lambda v: v ** 0.5, x):
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("p", [-1, 0.5, 2, -1.0, 3])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_power_operator_takes_ndarrays_fast_paths(p, dtype):
    z = Z.astype(dtype)
    with np.errstate(all="ignore"):
        want = z ** p  # -1: np.reciprocal, 0.5: np.sqrt, 2: np.square, else np.power
        for got in traced_and_jitted(lambda z: z ** p, z):
            assert_same(got, want)
            np.testing.assert_array_equal(np.signbit(got.imag), np.signbit(want.imag))


def test_indexing_by_an_empty_list_and_a_scalar_boolean():
    a = np.arange(24.0).reshape(2, 3, 4)
    for got in traced_and_jitted(lambda x: x[[]], a):
        assert_same(got, a[[]])
    for got in traced_and_jitted(lambda x: x[:, []], a):
        assert_same(got, a[:, []])
    for index in (True, False, (Ellipsis, np.True_), (np.array(False), 0)):  # NumPy's new axis
        for got in traced_and_jitted(lambda x: x[index], a):
            assert_same(got, a[index])


# --------------------------------------------------------------------------- quantile methods

METHODS = ["inverted_cdf", "averaged_inverted_cdf", "closest_observation",
           "interpolated_inverted_cdf", "hazen", "weibull", "linear", "median_unbiased",
           "normal_unbiased", "lower", "higher", "midpoint", "nearest"]
_rng = np.random.default_rng(1)
QDATA = {
    "f64 nan": np.array([[3.0, np.nan, 4.0, 1.0], [np.inf, 1.0, -np.inf, 2.0]]),
    "f32": _rng.standard_normal((3, 5)).astype(np.float32),
    "int8": _rng.integers(-60, 60, (3, 5)).astype(np.int8),
    "one": np.array([[2.0]]),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("data", list(QDATA), ids=list(QDATA))
def test_quantile_and_percentile_take_every_method(method, data):
    a = QDATA[data]
    for q, kw in ((0.25, {}), (np.array([0.0, 0.5, 1.0]), {"axis": 1}),
                  (np.float32(0.7), {"axis": 0, "keepdims": True}), (1, {"axis": 1})):
        want = np.quantile(a, q, method=method, **kw)
        for got in traced_and_jitted(lambda x: wnp.quantile(x, q, method=method, **kw), a):
            assert_same(got, want)
    want = np.percentile(a, [10, 50.5, 100], axis=1, method=method)
    for got in traced_and_jitted(
            lambda x: wnp.percentile(x, [10, 50.5, 100], axis=1, method=method), a):
        assert_same(got, want)


@pytest.mark.parametrize("method", ["hazen", "midpoint", "lower", "nearest", "weibull"])
def test_quantile_methods_derivative_matches_finite_differences(method):
    x0 = np.random.default_rng(2).standard_normal(7)
    g = wire.grad(lambda x: wnp.quantile(x, 0.3, method=method))(x0)
    eps, eye = 1e-6, np.eye(7)
    fd = [(np.quantile(x0 + eps * eye[i], 0.3, method=method)
           - np.quantile(x0 - eps * eye[i], 0.3, method=method)) / (2 * eps) for i in range(7)]
    np.testing.assert_allclose(g, fd, atol=1e-6)


def test_quantile_of_integers_differs_from_numpy_only_where_numpy_wraps():
    # NumPy subtracts int8 neighbours in int8 (100 - -100 wraps): its median here is 128.0
    a = np.array([-100, 100], np.int8)
    for got in traced_and_jitted(lambda x: wnp.quantile(x, np.float32(0.5)), a):
        assert_same(got, np.float32(0.0))
    with pytest.raises(wire.errors.WireValueError, match="not a valid method"):
        wire.jit(lambda x: wnp.quantile(x, 0.5, method="bogus"))(a)


@pytest.mark.parametrize("name", ["nanvar", "nanstd"])
@pytest.mark.parametrize("kw", [{}, {"axis": 1}, {"axis": 0, "ddof": 1}])
def test_nanvar_and_nanstd_of_complex_values_are_real(name, kw):
    z = np.array([[1 + 1j, complex(np.nan, 0), 3j], [2, 2 - 1j, 2]], np.complex64)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(z, **kw)
    for got in traced_and_jitted(lambda z: getattr(wnp, name)(z, **kw), z):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("call", [lambda m, z: m.quantile(z, 0.5),
                                  lambda m, z: m.percentile(z, 50, method="lower"),
                                  lambda m, z: m.nanquantile(z, 0.5),
                                  lambda m, z: m.nanpercentile(z, 50)])
def test_quantiles_of_complex_values_are_refused_as_numpy_does(call):
    z = np.array([1 + 1j, 2, 3j])
    assert_refused(lambda z: call(wnp, z), z, error=wire.errors.WireTypeError,
                   numpy_f=lambda z: call(np, z))


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_cov_and_corrcoef_of_complex_rows_conjugate(dtype):
    rng = np.random.default_rng(3)
    z = (rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))).astype(dtype)
    for name in ("cov", "corrcoef"):
        want = getattr(np, name)(z)
        for got in traced_and_jitted(getattr(wnp, name), z):
            assert got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.complex64 else 1e-12)


# --------------------------------------------------------------------------- gradient

_G = np.array([1.0, 2.0, 4.0, 7.0, 11.0, 3.0])
_X = np.array([0.0, 1.0, 1.5, 3.0, 3.5, 5.0])
_F2 = np.arange(20.0).reshape(4, 5) ** 2


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("f,args,kw", [
    (_G, (), {}), (_G, (2.0,), {}), (_G, (_X,), {}), (_G, (np.arange(6),), {}),
    (_G.astype(np.float32), (_X,), {}), (np.array([1, 5, 2, 9], np.int8), (), {}),
    (np.array([1 + 1j, 2, 3j, 4]), (_X[:4],), {}), (_G[:3], (), {}),
    (_F2, (np.array([0.0, 1, 3, 4]), 0.5), {}), (_F2, (np.array([0.0, 1, 3, 4, 9]),), {"axis": 1}),
], ids=["unit", "scalar", "coords", "int coords", "f32", "int8", "complex", "three", "2d",
        "2d axis"])
def test_gradient_takes_coordinates_and_second_order_edges(f, args, kw, edge_order):
    want = np.gradient(f, *args, edge_order=edge_order, **kw)
    for got in traced_and_jitted(lambda f: wnp.gradient(f, *args, edge_order=edge_order, **kw),
                                 f):
        if isinstance(want, tuple):
            assert isinstance(got, tuple) and len(got) == len(want)
            for g, w in zip(got, want):
                assert g.dtype == w.dtype
                np.testing.assert_allclose(g, w, rtol=1e-12)
        else:
            assert got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-6 if f.dtype == np.float32 else 1e-12)


def test_gradient_with_traced_coordinates_and_its_derivative():
    want = np.gradient(_G, _X, edge_order=2)
    for got in traced_and_jitted(lambda f, x: wnp.gradient(f, x, edge_order=2), _G, _X):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    g = wire.grad(lambda f: wnp.sum(wnp.gradient(f, _X, edge_order=2) ** 2))(_G)
    eps, eye = 1e-6, np.eye(6)
    fd = [(np.sum(np.gradient(_G + eps * eye[i], _X, edge_order=2) ** 2)
           - np.sum(np.gradient(_G - eps * eye[i], _X, edge_order=2) ** 2)) / (2 * eps)
          for i in range(6)]
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    with pytest.raises(wire.ShapeError):
        wire.jit(lambda f: wnp.gradient(f, _X[:3]))(_G)


N2 = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])


@pytest.mark.parametrize("call", [
    lambda m, x: m.nansum(x, axis=1, initial=5.0, where=W3),
    lambda m, x: m.nansum(x, dtype=np.float32),
    lambda m, x: m.nanprod(x, axis=0, initial=-2.0),
    lambda m, x: m.nanmax(x, axis=1, initial=2.0),  # the all-NaN row gives initial
    lambda m, x: m.nanmin(x, axis=0, keepdims=True, initial=0.5, where=W3),
    lambda m, x: m.nanmean(x, axis=1, where=W3),
    lambda m, x: m.nanmean(x.astype(np.float16), dtype=np.float32),
], ids=lambda c: "")
def test_nan_reductions_take_dtype_initial_and_where(call):
    with np.errstate(all="ignore"):
        want = call(np, N2)
    for got in traced_and_jitted(lambda x: call(wnp, x), N2):
        assert_same(got, want)
