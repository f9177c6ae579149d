"""``wire.numpy`` on concrete arrays outside any transform: NumPy's refusal of bad input is
raised as wire's error (a ``WireError`` of NumPy's kind, naming the operands and the user's
line, as the traced path raises), ``wire.debug_nans`` checks every eager fast path, and eager,
``wire.jit`` and NumPy agree bit for bit at special values."""

import os

import numpy as np
import pytest

import wire
import wire.numpy as wnp

HERE = os.path.basename(__file__)
o3, o32 = np.ones(3), np.ones((3, 2))

# (name, call, NumPy's kind of error): bad input to the eager fast paths
BAD = [
    ("reshape", lambda: wnp.reshape(o3, (2,)), ValueError),
    ("add", lambda: wnp.add(o3, np.ones(2)), ValueError),
    ("sum", lambda: wnp.sum(o3, axis=2), np.exceptions.AxisError),
    ("concatenate", lambda: wnp.concatenate([o3, np.ones((2, 2))]), ValueError),
    ("dot", lambda: wnp.dot(o3, np.ones(2)), ValueError),
    ("clip", lambda: wnp.clip(o3, np.ones(2), 3), ValueError),
    ("where", lambda: wnp.where(o3 > 0, np.ones(2), 0.0), ValueError),
    ("stack", lambda: wnp.stack([o3, np.ones(2)]), ValueError),
    ("argmax", lambda: wnp.argmax(o3, axis=1), np.exceptions.AxisError),
    ("einsum", lambda: wnp.einsum("i,i->", o3, np.ones(2)), ValueError),
    ("transpose", lambda: wnp.transpose(o32, (0,)), ValueError),
    ("squeeze", lambda: wnp.squeeze(o32, 0), ValueError),
    ("swapaxes", lambda: wnp.swapaxes(o32, 0, 3), np.exceptions.AxisError),
    ("tensordot", lambda: wnp.tensordot(o32, o3, 1), ValueError),
    ("matmul", lambda: wnp.matmul(o3, np.ones(2)), ValueError),
    ("mean", lambda: wnp.mean(o3, axis=(0, 0)), ValueError),
    ("expand_dims", lambda: wnp.expand_dims(o3, 3), np.exceptions.AxisError),
    ("moveaxis", lambda: wnp.moveaxis(o3, 0, 2), np.exceptions.AxisError),
    ("inner", lambda: wnp.inner(o3, np.ones(2)), ValueError),
    ("vdot", lambda: wnp.vdot(o3, np.ones(2)), ValueError),
    ("hstack", lambda: wnp.hstack([o32, np.ones((2, 3))]), ValueError),
    ("cumsum", lambda: wnp.cumsum(o3, axis=1), np.exceptions.AxisError),
    ("average", lambda: wnp.average(o3, weights=np.ones(2)), TypeError),
    ("max", lambda: wnp.max(np.ones(0)), ValueError),
    ("argmin", lambda: wnp.argmin(np.ones(0)), ValueError),
    ("broadcast_to", lambda: wnp.broadcast_to(o3, (2,)), ValueError),
    ("take", lambda: wnp.take(o3, 5), IndexError),
    ("take", lambda: wnp.take(o3, np.array([5])), IndexError),
    ("split", lambda: wnp.split(o3, 2), ValueError),
    ("repeat", lambda: wnp.repeat(o3, [1, 2]), ValueError),
    ("flip", lambda: wnp.flip(o3, 1), np.exceptions.AxisError),
    ("sort", lambda: wnp.sort(o3, 1), np.exceptions.AxisError),
    ("roll", lambda: wnp.roll(o3, 1, axis=1), np.exceptions.AxisError),
    ("diagonal", lambda: wnp.diagonal(o3), ValueError),
    ("linalg.norm", lambda: wnp.linalg.norm(o3, axis=2), np.exceptions.AxisError),
    ("power", lambda: wnp.power(np.arange(3), -1), ValueError),
]


@pytest.mark.parametrize("name, call, kind", BAD, ids=[b[0] for b in BAD])
def test_numpys_refusal_is_wires_error_at_the_users_line(name, call, kind):
    with pytest.raises(Exception) as info:
        call()
    e = info.value
    with pytest.raises(kind):  # the input is bad: NumPy's own namespace raises too
        _numpy_raises(call)
    assert isinstance(e, wire.WireError), (type(e), e)
    assert isinstance(e, kind), (type(e), e)
    assert f"(at {HERE}:" in str(e), str(e)


def _numpy_raises(call):
    """The same call with NumPy's own namespace: it raises too (the input is bad)."""
    code = call.__code__
    glob = dict(call.__globals__, wnp=np)
    type(call)(code, glob)()


def test_refusal_names_shapes_as_the_traced_path():
    with pytest.raises(wire.ShapeError) as eager:
        wnp.reshape(o3, (2,))
    with pytest.raises(wire.ShapeError) as traced:
        wire.jit(lambda x: wnp.reshape(x, (2,)))(o3)
    assert str(eager.value).split(" (at ")[0] == str(traced.value).split(" (at ")[0]
    assert "f64[3]" in str(eager.value)
    with pytest.raises(wire.WireIndexError, match=r"take of f64\[3\], i64\[1\]: index 5"):
        wnp.take(o3, np.array([5]))


def test_users_own_errors_and_errstate_pass_unchanged():
    def f(row):
        raise ValueError("the user's own")

    with pytest.raises(ValueError, match="the user's own") as info:
        wnp.apply_along_axis(f, 0, np.ones((2, 2)))
    assert not isinstance(info.value, wire.WireError)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError) as info:
        wnp.divide(np.ones(2), 0.0)
    assert not isinstance(info.value, wire.WireError)


# --------------------------------------------------------------------------- debug_nans

BIG = np.array([1e308, 1e308])
SPREAD = np.array([-1e308, 1e308])
MADE = [
    ("einsum", lambda: wnp.einsum("i,i->", BIG, BIG)),
    ("einsum", lambda: wnp.einsum("i,i->", np.array([np.inf, 1.0]), np.array([0.0, 1.0]))),
    ("linalg.norm", lambda: wnp.linalg.norm(BIG)),
    ("linalg.norm", lambda: wnp.linalg.norm(BIG, 1)),
    ("tensordot", lambda: wnp.tensordot(BIG, BIG, 1)),
    ("kron", lambda: wnp.kron(BIG, BIG)),
    ("trace", lambda: wnp.trace(np.diag(BIG))),
    ("diff", lambda: wnp.diff(SPREAD)),
    ("cross", lambda: wnp.cross(np.array([1e308, 1e308, 1.0]), np.array([1e308, -1e308, 1.0]))),
    ("convolve", lambda: wnp.convolve(BIG, BIG)),
    ("polyval", lambda: wnp.polyval(BIG, 1e308)),
    ("fft.fft", lambda: wnp.fft.fft(BIG)),
    ("percentile", lambda: wnp.percentile(SPREAD, 50)),
    ("cov", lambda: wnp.cov(BIG)),
    ("trapezoid", lambda: wnp.trapezoid(BIG)),
    ("add out=", lambda: wnp.add(BIG, BIG, out=np.empty(2))),
]


@pytest.mark.parametrize("name, call", MADE, ids=[m[0] for m in MADE])
def test_debug_nans_checks_every_eager_fast_path(name, call):
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(call()))  # (the value made is not finite)
        with wire.debug_nans(), pytest.raises(wire.FloatingPointError,
                                              match=rf"debug_nans: .*called at {HERE}:"):
            call()


def test_debug_nans_leaves_given_nonfinite_and_empty_alone():
    with wire.debug_nans():
        assert wnp.linalg.norm(np.array([np.inf, 1.0])) == np.inf  # carried, not made
        assert np.isnan(wnp.einsum("i,i->", np.array([np.nan]), np.ones(1)))
        assert wnp.empty(3).shape == (3,)  # whatever memory held: nothing to check
        out = np.full(2, np.inf)
        assert wnp.add(np.ones(2), 1.0, out=out) is out  # out= held Inf before: not given


# --------------------------------------------------------------------------- eager = jit = NumPy


def _bits(v):
    """Value, dtype, shape and the signs of zeros of ``v``, NaN's payload left out."""
    a = np.asarray(v)
    parts = [a.real, a.imag] if a.dtype.kind == "c" else [a]
    return (a.dtype, a.shape) + tuple(
        (np.signbit(p).tobytes(), np.isnan(p).tobytes(), np.where(np.isnan(p), 0, p).tobytes())
        if p.dtype.kind == "f" else (p.tobytes(),) for p in parts)


def _three(f, *args):
    """``f(np, *args)``, ``f(wnp, *args)`` and ``wire.jit`` of the latter, as bits, or the
    builtin kind of error each raised."""
    out = []
    for g in (lambda *a: f(np, *a), lambda *a: f(wnp, *a), wire.jit(lambda *a: f(wnp, *a))):
        try:
            out.append(_bits(g(*args)))
        except (ValueError, TypeError, OverflowError, IndexError) as e:
            out.append(next(c for c in type(e).__mro__ if c.__module__ == "builtins"))
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.complex128,
                                   np.complex64])
def test_products_of_one_element_keep_numpys_zero(dtype):
    """NumPy's dot, inner and tensordot of one element each (BLAS's, float32/64, complex) is
    the product as it is, so -0.0 * 1.0 is -0.0; jit summed it onto +0.0."""
    z = np.array(complex(-0.0, -0.0) if np.dtype(dtype).kind == "c" else -0.0, dtype)
    for xs, ys in [((1,), (1,)), ((1, 1), (1,)), ((1,), (1, 1)), ((1, 1), (1, 1)),
                   ((1, 1, 1), (1, 1, 1)), ((1,), (1, 1, 1)), ((1, 1, 1), (1,)), ((2,), (2,)),
                   ((2, 1), (1, 2))]:
        x, y = np.full(xs, z), np.ones(ys, dtype)
        for f in (lambda m, a, b: m.dot(a, b), lambda m, a, b: m.inner(a, b.T),
                  lambda m, a, b: m.tensordot(a, b, 1), lambda m, a, b: m.vdot(a, b),
                  lambda m, a, b: m.matmul(a, b)):
            r = _three(f, x, y)
            assert r[0] == r[1] == r[2], (xs, ys, r)


def test_clip_of_complex_takes_the_bound_at_a_tie():
    vals = [0.0, -0.0, 1.0, -1.0, np.nan, np.inf]
    zs = np.array([complex(a, b) for a in vals for b in vals])
    bounds = [0j, complex(-0.0, -0.0), complex(-0.0, 0.0), -0.0, complex(1, np.nan), 1 + 0j]
    for lo in bounds:
        for hi in bounds:
            r = _three(lambda m, x: m.clip(x, lo, hi), zs)
            assert r[0] == r[1] == r[2], (lo, hi)


def test_clip_computes_in_the_dtype_of_all_three():
    b = np.array([True, False])
    for lo, hi in [(0.5, np.float16(1)), (1, np.float32(0.25)), (-1, np.int8(1)),
                   (np.nan, np.zeros(2, np.float16)), (-1, np.uint8(1))]:
        r = _three(lambda m, x: m.clip(x, lo, hi), b)
        assert r[0] == r[1] == r[2], (lo, hi, r)
    u = np.array([0, 200], np.uint8)  # a Python-int bound the other bound makes fit
    r = _three(lambda m, x: m.clip(x, np.float16(0), -1), u)
    assert r[0] == r[1] == r[2], r


def test_clip_zero_ties_with_varying_bounds_are_the_bounds():
    x = np.array([-0.0, 0.0, np.nan, 1.0, -1.0])
    for dt in (np.float64, np.float32, np.float16):
        for lo in (0.0, -0.0, np.zeros(1), np.zeros(5), np.full(5, -0.0), np.array(0.0)):
            for hi in (1.0, 0.0, -0.0, np.zeros(5), np.full(5, np.nan)):
                r = _three(lambda m, v: m.clip(v, lo, hi), x.astype(dt))
                assert r[0] == r[1] == r[2], (dt, lo, hi)
    g = wire.grad(lambda v: wnp.sum(wnp.clip(v, np.zeros(3), 1.0)))(np.array([-1.0, 0.0, 0.5]))
    assert g.tolist() == [0.0, 0.5, 1.0]  # (a tie still splits the derivative)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_of_a_python_int_beyond_a_c_long_raises_as_numpy(name):
    x = np.array([1.5, 0.0])
    for v in (2**63, 2**70, -2**63 - 1):
        r = _three(lambda m, a: getattr(m, name)(a, v), x)
        assert r == [OverflowError] * 3, (v, r)
        with pytest.raises(OverflowError):
            wire.jit(getattr(wnp, name))(x, v)
    for v in (2**63 - 1, -2**63):
        r = _three(lambda m, a: getattr(m, name)(a, v), x)
        assert r[0] == r[1] == r[2]


def test_inner_and_dot_with_a_scalar_at_nan_and_inf():
    for s in (np.nan, np.inf, -np.inf, -0.0, np.float32(np.inf), np.float16(-0.0)):
        for x in (np.array([0.0, 2.0, -0.0]), np.array([np.inf, -1.0], np.float32),
                  np.array(-0.0), np.arange(3)):
            for f in (lambda m, a: m.inner(a, s), lambda m, a: m.inner(s, a),
                      lambda m, a: m.dot(a, s), lambda m, a: m.dot(s, a)):
                with np.errstate(all="ignore"):
                    r = _three(f, x)
                assert r[0] == r[1] == r[2], (s, x)


# --------------------------------------------------------------------------- the hunt's finds

F16 = np.array([-0.0, 1.5, np.inf, np.nan, -2.0], np.float16)


@pytest.mark.parametrize("f", [
    lambda m, v: m.dot(v, True),  # float16: NumPy's own loop, the products as they are
    lambda m, v: m.inner(True, v),
    lambda m, v: m.isclose(v, 2**40),  # a Python-int b is float(b), weakly typed
    lambda m, v: m.isclose(v, 1e300),
    lambda m, v: m.polyval(v, True),  # x = asanyarray(x): float16, not float64
    lambda m, v: m.polyval(v, 1j),  # complex, not refused
    lambda m, v: m.polyval(v.astype(np.float32), np.int8(3)),
], ids=["dot f16 True", "inner True f16", "isclose 2**40", "isclose 1e300", "polyval True",
        "polyval 1j", "polyval int8"])
def test_python_scalars_with_arrays_as_numpy(f):
    with np.errstate(all="ignore"):
        r = _three(f, F16)
    assert r[0] == r[1] == r[2], r


def test_power_of_uint8_to_minus_one_overflows_as_numpy():
    u = np.array([1, 2], np.uint8)
    assert _three(lambda m, v: m.power(v, -1), u) == [OverflowError] * 3


def test_polyval_of_0d_coefficients_is_a_type_error():
    p = np.array(1.5, np.float32)
    assert _three(lambda m, v: m.polyval(v, 2.0), p)[1:] == [ValueError] * 2  # (both kinds)
    with pytest.raises(TypeError):
        wire.jit(lambda v: wnp.polyval(v, 2.0))(p)
    with pytest.raises(TypeError):
        wnp.polyval(p, 2.0)


def test_numpys_own_functions_refusal_is_wires_error():
    """A NumPy function wire.numpy passes through (no traced form: gcd) refuses as wire."""
    with pytest.raises(TypeError) as info:
        wnp.gcd(np.array([1.5]), np.array([2.0]))
    assert isinstance(info.value, wire.WireError) and f"(at {HERE}:" in str(info.value)


@pytest.mark.parametrize("name", ["sum", "mean", "std", "var", "nansum", "nanmean", "nanstd",
                                  "nanvar"])
def test_reduction_with_dtype_of_a_python_scalar_argument(name):
    """jit(f)(1.0): dtype= makes the result float32 (a weakly typed float32 went back to
    float64 when it met the sum's +0.0)."""
    f = lambda m, v: getattr(m, name)(v, dtype=np.float32)
    for s in (-0.0, 3, True):
        want = _bits(f(np, s))
        assert _bits(f(wnp, s)) == want and _bits(wire.jit(lambda v: f(wnp, v))(s)) == want


def test_sinc_of_complex_under_jit_is_numpys():
    z = np.array([-0.0, 1j, complex(np.nan, 1), np.inf, -2.0, 0j, 0.3 + 0.2j, 5 - 2j])
    with np.errstate(all="ignore"):
        r = _three(lambda m, v: m.sinc(v), z)
    assert r[0] == r[1] == r[2]


def test_median_of_complex_slices_holding_nan_is_the_nan_entry():
    x = np.array([[-0.0, 1j, complex(np.nan, 1)], [np.inf, -2.0, 0j]])
    for kw in ({}, {"axis": 0}, {"axis": 1}):
        with np.errstate(all="ignore"):
            r = _three(lambda m, v: m.median(v, **kw), x)
        assert r[0] == r[1] == r[2], kw


def test_unwrap_axis_none_refused_as_numpy():
    for a in (np.array(1.0), np.ones(3)):
        r = _three(lambda m, v: m.unwrap(v, axis=None), a)
        assert r[0] == r[1] == r[2], r


def test_string_operands_are_refused_eagerly_as_under_jit():
    """NumPy's ufuncs of a float array and a string: wire computes with numbers only (jit
    refused, eager gave NumPy's string array for add and a KeyError for sin)."""
    for f in (lambda m, v: m.add(v, "a"), lambda m, v: m.sin("a"),
              lambda m, v: m.multiply(v, np.array(["a"]))):
        for g in (lambda v: f(wnp, v), wire.jit(lambda v: f(wnp, v))):
            with pytest.raises(wire.WireTypeError):
                g(np.ones(3))
