"""Drop-in gaps closed: a ufunc's ``dtype=``/``signature=`` on traced values, integer bit
shifts on traced values, and ``wire.lax``'s ``reduce_precision``, ``bitcast_convert_type``,
``clz``, ``custom_root`` and multi-key ``sort`` — each against NumPy or JAX, derivatives
against finite differences or JAX."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from finite_differences import fd_grad
from selection import slow_only

X = np.array([0.5, 1.5, -2.25, 3.0])


@pytest.fixture
def jax():
    """JAX with 64-bit types (the oracle)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax
XI = np.array([1, 2, -3, 4])

# ---------------------------------------------------------------- 1. a ufunc's dtype=

DTYPE_CASES = [  # (name, operands, keywords)
    ("add", (X, X), dict(dtype=np.float32)),
    ("multiply", (X, 2), dict(dtype=np.float32)),
    ("add", (XI, 2.5), dict(dtype=np.float32)),
    ("add", (X.astype(np.float32), 1), dict(dtype=np.float64)),
    ("multiply", (X, 2), dict(dtype=np.complex64)),
    ("sqrt", (np.abs(XI),), dict(dtype=np.float32)),
    ("exp", (X,), dict(dtype=np.float16)),
    ("less", (X, 1), dict(dtype=bool)),
    ("true_divide", (XI, 2), dict(dtype=np.float32)),
    ("power", (X, 2), dict(dtype=np.float32)),
    ("add", (X, X), dict(signature="ff->f")),
    ("add", (X, 2), dict(dtype=np.int64, casting="unsafe")),
    ("divmod", (X, 2), dict(dtype=np.float32)),
    ("modf", (X,), dict(dtype=np.float32)),
    ("matmul", (X, X), dict(dtype=np.float32)),
]


def _same(got, ref):
    if isinstance(ref, tuple):
        assert isinstance(got, tuple) and len(got) == len(ref)
        for g, r in zip(got, ref):
            _same(g, r)
        return
    got = np.asarray(got)
    assert got.dtype == np.asarray(ref).dtype, (got.dtype, np.asarray(ref).dtype)
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("name, args, kw", DTYPE_CASES,
                         ids=[f"{c[0]}-{'-'.join(map(str, c[2].values()))}" for c in DTYPE_CASES])
def test_ufunc_dtype_on_traced_values_matches_numpy(name, args, kw):
    ref = getattr(np, name)(*args, **kw)

    def f(*a):
        return getattr(wnp, name)(*a, **kw)

    _same(wire.jit(f)(*args), ref)                                   # jit
    _same(f(*args), ref)                                             # concrete: NumPy's
    rest = args[1:]
    if name != "matmul":                                             # vmap over the arrays
        axes = tuple(0 if np.ndim(a) else None for a in args)
        _same(wire.vmap(f, in_axes=axes)(*args), ref)
    # eager trace (the first operand differentiated when it is a float)
    if X.dtype == np.asarray(args[0]).dtype:
        out = wire.jvp(lambda a: f(a, *rest), (args[0],), (np.ones_like(args[0]),))[0]
        _same(out, ref)


def test_ufunc_dtype_derivatives_flow_through_the_cast():
    def loss(x):
        y = wnp.multiply(x, x, dtype=np.float32) + wnp.add(x, 1, dtype=np.float32)
        return wnp.sum(wnp.sin(y)).astype(np.float64)

    g = wire.grad(loss)(X)
    assert g.dtype == np.float64
    ref = fd_grad(lambda x: float(np.sum(np.sin((x * x).astype(np.float32)
                                                + (x + 1).astype(np.float32)))), X, 1e-3)
    np.testing.assert_allclose(g, ref, rtol=2e-3, atol=2e-3)
    # exactly: d/dx sin(f32(x^2) + f32(x + 1)) = cos(.)(2x + 1), computed in float32
    y = (X * X).astype(np.float32) + (X + 1).astype(np.float32)
    np.testing.assert_allclose(g, np.cos(y) * (2 * X.astype(np.float32) + 1), rtol=1e-6)
    # the same through NumPy's own ufunc on a tracer, and under jit(grad) and vmap(grad)
    f = lambda x: wnp.sum(np.multiply(x, 3, dtype=np.float32))  # noqa: E731
    np.testing.assert_array_equal(wire.jit(wire.grad(f))(X), np.full(4, 3.0))
    np.testing.assert_array_equal(wire.vmap(wire.grad(f))(np.stack([X, X])), np.full((2, 4), 3.0))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_ufunc_dtype_float16_rounding_is_numpys():
    x = np.array([0.1, 1 / 3, 1e-5, 70000.0, np.inf, -0.0, np.nan])
    ref = np.exp(x, dtype=np.float16)
    _same(wire.jit(lambda a: wnp.exp(a, dtype=np.float16))(x), ref)
    got = wire.jit(lambda a: wnp.add(a, a, dtype=np.float16))(x)
    _same(got, np.add(x, x, dtype=np.float16))


def test_ufunc_dtype_python_scalar_arguments_of_jit():
    _same(wire.jit(lambda a: wnp.add(a, 1, dtype=np.float32))(2), np.add(2, 1, dtype=np.float32))
    _same(wire.jit(lambda a: wnp.multiply(a, 2.5, dtype=np.int64, casting="unsafe"))(2.0),
          np.multiply(2.0, 2.5, dtype=np.int64, casting="unsafe"))


@pytest.mark.parametrize("call, error", [
    (lambda x: wnp.add(x, x, dtype=np.int32), "Cannot cast ufunc 'add' input 0"),
    (lambda x: wnp.add(x, x, dtype=np.float32, signature="ff->f"), "both"),
    (lambda x: wnp.frexp(x, dtype=np.float32), "No loop"),
    (lambda x: wnp.add(x, x, dtype=np.float32, casting="nope"), "casting must be"),
    (lambda x: wnp.add(x, x, dtype="nonsense"), "not understood"),
])
def test_ufunc_dtype_refusals_are_numpys(call, error):
    with pytest.raises(Exception):
        call(X)  # NumPy refuses it on concrete values
    with pytest.raises(wire.WireTypeError, match=error):
        wire.jit(call)(X)


def test_ufunc_dtype_python_int_out_of_range_raises_as_numpy():
    a = np.ones(2, np.int8)
    with pytest.raises(OverflowError):
        np.add(a, 1000, dtype=np.int8)
    with pytest.raises(wire.WireOverflowError):
        wire.jit(lambda x: wnp.add(x, 1000, dtype=np.int8))(a)
    _same(wire.jit(lambda x: wnp.add(x, 1000, dtype=np.int16))(a),
          np.add(a, 1000, dtype=np.int16))


# ---------------------------------------------------------------- 2. bit shifts

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


def _shift_operands(dt, seed=0):
    rng = np.random.default_rng(seed)
    info, bits = np.iinfo(dt), np.dtype(dt).itemsize * 8
    x = np.concatenate([rng.integers(info.min, info.max, 16, dtype=dt, endpoint=True),
                        np.array([info.min, info.max, 0, 1, info.min, info.max], dt)])
    # amounts inside, at and past the width, and negative ones (signed dtypes)
    y = rng.integers(-3 if info.min < 0 else 0, bits + 5, x.size).astype(dt)
    y[-6:] = [bits - 1, bits - 1, bits, bits + 1, 0, bits]
    if info.min < 0:
        y[-2:] = [-1, -2]
    return x, y


@pytest.mark.parametrize("dt", INT_DTYPES, ids=lambda d: d.__name__)
def test_shifts_on_traced_integers_match_numpy_and_jax(dt, jax):
    x, y = _shift_operands(dt)
    for name, op in [("left_shift", lambda a, b: a << b), ("right_shift", lambda a, b: a >> b)]:
        ref = getattr(np, name)(x, y)
        np.testing.assert_array_equal(np.asarray(getattr(jax.numpy, name)(x, y)), ref)
        for got in (wire.jit(getattr(wnp, name))(x, y), wire.vmap(getattr(wnp, name))(x, y),
                    wire.jit(op)(x, y), wire.jit(getattr(wnp, f"bitwise_{name}"))(x, y),
                    wire.jit(lambda a, b: getattr(np, name)(a, b))(x, y)):
            _same(got, ref)


def test_shift_promotion_is_numpys():
    i8 = np.array([1, -3, 100], np.int8)
    cases = [(i8, 2), (2, i8), (i8, np.int64(3)), (np.array([True, False]), True),
             (np.array([True, False]), 3), (np.uint8(200), np.int8(1)), (i8, np.uint8(1))]
    for a, b in cases:
        for name in ("left_shift", "right_shift"):
            ref = getattr(np, name)(a, b)
            _same(wire.jit(getattr(wnp, name))(a, b), ref)
            _same(wire.jit(lambda u: getattr(wnp, name)(u, b))(a), ref)  # b a constant
    # Python ints as jit arguments (weakly typed)
    _same(wire.jit(lambda a, b: a << b)(3, 4), np.left_shift(3, 4))


@pytest.mark.parametrize("a, b", [(np.ones(2), np.ones(2, np.int64)),
                                  (np.ones(2, np.uint64), np.ones(2, np.int64)),
                                  (np.ones(2, np.int64), 1.5)])
def test_shifts_of_non_integers_raise_as_numpy(a, b):
    with pytest.raises(TypeError):
        np.left_shift(a, b)
    for fn in (wnp.left_shift, wnp.right_shift):
        with pytest.raises(wire.WireTypeError, match="needs integers"):
            wire.jit(fn)(a, b)


def test_shift_python_int_out_of_range_raises_as_numpy():
    with pytest.raises(OverflowError):
        np.left_shift(np.ones(2, np.int8), 300)
    with pytest.raises(wire.WireOverflowError):
        wire.jit(lambda a: a << 300)(np.ones(2, np.int8))


def test_shifts_carry_no_derivative_and_leave_others_alone():
    # an integer shifted index inside a differentiated function: d/dx sum(x * (k >> 1))
    k = np.arange(5)
    g = wire.grad(lambda x: wnp.sum(x * wnp.right_shift(k + (x > 0).astype(int), 1)))(np.ones(5))
    np.testing.assert_array_equal(g, (k + 1) >> 1)
    # x.astype(int) << 1 in a gradient: the float path's derivative is unchanged
    g = wire.grad(lambda x: wnp.sum(x * x + (x.astype(np.int64) << 1)))(np.arange(3.0))
    np.testing.assert_array_equal(g, 2 * np.arange(3.0))


@pytest.mark.parametrize("dt", [d if d in (np.int8, np.int64, np.uint8, np.uint64) else
                                pytest.param(d, marks=pytest.mark.slow) for d in INT_DTYPES],
                         ids=lambda d: d.__name__)
def test_lax_shifts_on_traced_values_match_jax(dt, jax, request):
    from selection import skip_unless_slow
    from wire import lax
    skip_unless_slow(request)
    x, y = _shift_operands(dt, 1)
    for name in ["shift_left", "shift_right_logical", "shift_right_arithmetic"]:
        ref = np.asarray(getattr(jax.lax, name)(x, y))
        _same(wire.jit(getattr(lax, name))(x, y), ref)


# ---------------------------------------------------------------- 3. wire.lax additions


def _bits_equal(got, ref):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.dtype == ref.dtype and got.shape == ref.shape, (got.dtype, got.shape, ref.shape)
    assert got.tobytes() == ref.tobytes(), (got, ref)


def _float_specials(dt, rng):
    info = np.finfo(dt)
    x = np.concatenate([rng.standard_normal(60) * 10.0 ** rng.integers(-12, 12, 60),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1 + 2 ** -11,
                         1 + 3 * 2 ** -11, 65504.0, 65520.0, 2 ** -14, 2 ** -24, 2 ** -25]])
    x = x.astype(dt)
    extra = [info.max, info.tiny, info.smallest_subnormal, -info.tiny]
    nan_payloads = np.array([0x7C01, 0xFE01, 0x7FFF], np.uint16).view(np.float16).astype(dt)
    return np.concatenate([x, np.array(extra, dt), nan_payloads])


def _precisions(dt, everything):
    info = np.finfo(dt)
    pairs = [(2, 1), (5, 10), (8, 7), (info.nexp, info.nmant)]
    if everything:
        pairs += [(1, 0), (3, 0), (5, 2), (8, 23), (4, 3), (11, 52),
                  (info.nexp + 1, info.nmant + 2)]
    return pairs


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("dt, everything", [
    (np.float16, False), (np.float32, False), (np.float64, False),
    pytest.param(np.float16, True, marks=pytest.mark.slow),
    pytest.param(np.float32, True, marks=pytest.mark.slow),
    pytest.param(np.float64, True, marks=pytest.mark.slow)], ids=str)
def test_reduce_precision_is_jaxs_bit_for_bit(dt, everything, jax, request):
    from selection import slow_selected
    from wire import lax
    if everything and not slow_selected(request.config):
        pytest.skip("runs with -m slow")
    x = _float_specials(dt, np.random.default_rng(3))
    for e, m in _precisions(dt, everything):
        ref = jax.lax.reduce_precision(x, exponent_bits=e, mantissa_bits=m)
        _bits_equal(lax.reduce_precision(x, e, m), ref)
        _bits_equal(wire.jit(lambda a: lax.reduce_precision(a, e, m))(x), ref)
    _bits_equal(wire.vmap(lambda a: lax.reduce_precision(a, 5, 10))(x.reshape(-1, 1)),
                jax.lax.reduce_precision(x.reshape(-1, 1), 5, 10))
    if dt is not np.float16:  # float16's own format: float16's rounding
        y = x.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            half = y.astype(np.float16).astype(np.float64)
        normal = np.abs(half) >= 2 ** -14
        got = np.asarray(lax.reduce_precision(y, 5, 10))
        np.testing.assert_array_equal(got[normal], half[normal])


def test_reduce_precision_derivatives_are_jaxs(jax):
    from wire import lax
    jnp = jax.numpy

    def f(a):
        return wnp.sum(wnp.sin(lax.reduce_precision(a * 3.0, 5, 10)))

    def jf(a):
        return jnp.sum(jnp.sin(jax.lax.reduce_precision(a * 3.0, 5, 10)))

    x, t = np.array([0.1, 0.7, -1.3]), np.array([1 / 3, 0.1, 1.0])
    _bits_equal(wire.grad(f)(x), jax.grad(jf)(x))
    np.testing.assert_allclose(wire.jvp(f, (x,), (t,))[1], jax.jvp(jf, (x,), (t,))[1], rtol=1e-14)
    np.testing.assert_allclose(wire.jit(wire.grad(f))(x), jax.grad(jf)(x), rtol=1e-14)
    # the cotangent is rounded: 3 * rp(cos(rp(3 x))), not 3 cos(rp(3 x))
    y = lax.reduce_precision(3.0 * x, 5, 10)
    _bits_equal(wire.grad(f)(x), 3.0 * lax.reduce_precision(np.cos(y), 5, 10))


@slow_only
def test_reduce_precision_second_derivatives_are_jaxs():
    import jax
    from wire import lax
    jax.config.update("jax_enable_x64", True)
    x = np.array([0.1, 0.7, -1.3])
    np.testing.assert_allclose(
        wire.hessian(lambda a: wnp.sum(wnp.sin(lax.reduce_precision(a * 3.0, 5, 10))))(x),
        jax.hessian(lambda a: jax.numpy.sum(jax.numpy.sin(
            jax.lax.reduce_precision(a * 3.0, 5, 10))))(x), rtol=1e-14)


@pytest.mark.parametrize("bad, error", [
    (lambda lax: lax.reduce_precision(np.ones(2), 0, 3), "exponent_bits must be positive"),
    (lambda lax: lax.reduce_precision(np.ones(2), 3, -1), "mantissa_bits non-negative"),
    (lambda lax: lax.reduce_precision(np.ones(2, int), 3, 3), "floating"),
])
def test_reduce_precision_refusals(bad, error):
    from wire import lax
    with pytest.raises(wire.WireError, match=error):
        bad(lax)


BITCAST_FROM = [np.float32(1.0), np.float32(-2.5), np.float32(np.nan), np.float32(-0.0),
                np.float32(np.inf), np.float32(1e-45)]


@pytest.mark.parametrize("new", [np.int32, np.uint32, np.uint8, np.int16, np.float16,
                                 np.float32], ids=lambda d: d.__name__)
def test_bitcast_convert_type_is_jaxs(new, jax):
    from wire import lax
    x = np.array(BITCAST_FROM, np.float32)
    ref = jax.lax.bitcast_convert_type(x, new)
    _bits_equal(lax.bitcast_convert_type(x, new), ref)
    _bits_equal(wire.jit(lambda a: lax.bitcast_convert_type(a, new))(x), ref)
    _bits_equal(wire.vmap(lambda a: lax.bitcast_convert_type(a, new))(x), ref)


def test_bitcast_convert_type_to_a_wider_dtype_takes_the_last_axis(jax):
    from wire import lax
    y = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    ref = jax.lax.bitcast_convert_type(y, np.float32)
    _bits_equal(lax.bitcast_convert_type(y, np.float32), ref)
    _bits_equal(wire.jit(lambda a: lax.bitcast_convert_type(a, np.float32))(y), ref)
    # batched along an axis other than the last: the bytes stay the last axis
    _bits_equal(wire.vmap(lambda a: lax.bitcast_convert_type(a, np.float32), in_axes=1)(y),
                np.asarray(ref).transpose(1, 0))
    # round trip through bytes and back
    x = np.array([[1.5, -np.inf], [np.pi, 2 ** -1074]])
    back = wire.jit(lambda a: lax.bitcast_convert_type(lax.bitcast_convert_type(a, np.uint16),
                                                       np.float64))(x)
    _bits_equal(back, x)
    with pytest.raises(wire.ShapeError, match="last axis of length 2"):
        wire.jit(lambda a: lax.bitcast_convert_type(a, np.float64))(np.ones((2, 3), np.float32))
    with pytest.raises(wire.WireTypeError, match="bool and complex"):
        lax.bitcast_convert_type(np.ones(2, bool), np.uint8)


def test_bitcast_convert_type_has_no_derivative_as_jaxs(jax):
    from wire import lax
    x = np.array([1.0, 2.0], np.float32)

    def f(a):
        return wnp.sum(lax.bitcast_convert_type(a, np.int32).astype(np.float32))

    g = wire.grad(f)(x)
    jg = jax.grad(lambda a: jax.numpy.sum(
        jax.lax.bitcast_convert_type(a, np.int32).astype(np.float32)))(x)
    _bits_equal(g, jg)


@pytest.mark.parametrize("dt", INT_DTYPES, ids=lambda d: d.__name__)
def test_clz_is_jaxs(dt, jax):
    from wire import lax
    info = np.iinfo(dt)
    vals = [0, 1, 2, 3, 127, 128, 255, 256, int(info.max), int(info.min), int(info.max) // 3,
            -1, -2, -128, -129]
    x = np.array([a for a in vals if info.min <= a <= info.max], dt)
    ref = jax.lax.clz(x)
    _bits_equal(lax.clz(x), ref)
    _bits_equal(wire.jit(lax.clz)(x), ref)
    _bits_equal(wire.vmap(lax.clz)(x), ref)
    with pytest.raises(wire.WireTypeError):
        lax.clz(np.ones(2))


def test_sort_with_several_keys_is_jaxs(jax):
    from wire import lax
    k1 = np.array([1, 0, 1, 0, 1, 1, 0])
    k2 = np.array([np.nan, 2.0, -0.0, 2.0, 0.0, np.nan, -np.inf])
    v = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    for n in (1, 2, 3):
        ref = jax.lax.sort((k1, k2, v), num_keys=n)
        for got in (lax.sort((k1, k2, v), num_keys=n),
                    wire.jit(lambda a, b, c: lax.sort((a, b, c), num_keys=n))(k1, k2, v)):
            for g, r in zip(got, ref):
                _bits_equal(g, r)
    # along an axis, batched
    m = np.array([[3, 1, 3, 1], [2, 2, 1, 1]])
    w = np.array([[0.5, 0.4, 0.3, 0.2], [0.1, 0.9, 0.8, 0.7]])
    for axis in (0, 1):
        ref = jax.lax.sort((m, w, -w), dimension=axis, num_keys=2)
        got = wire.vmap(lambda a, b, c: lax.sort((a, b, c), dimension=axis - 1 if axis else 0,
                                                 num_keys=2), in_axes=1 - axis,
                        out_axes=1 - axis)(m, w, -w)
        for g, r in zip(got, ref):
            _bits_equal(g, r)
    with pytest.raises(wire.WireValueError, match="num_keys=3"):
        lax.sort((k1, v), num_keys=3)


def test_sort_with_several_keys_derivatives_are_jaxs(jax):
    from wire import lax
    k1 = np.array([1, 0, 1, 0, 1, 1])
    v = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    w = np.arange(6.0)

    def f(c):
        a, b, d = lax.sort((k1, c, v * c), num_keys=2)
        return wnp.sum(b * w + d ** 2 * w)

    def jf(c):
        a, b, d = jax.lax.sort((k1, c, v * c), num_keys=2)
        return jax.numpy.sum(b * w + d ** 2 * w)

    c = np.array([0.3, -1.0, 0.2, 0.25, 0.9, -0.5])
    # d/dc of the sorted values: each entry's weight w at its sorted place (keys k1, then c)
    order = np.lexsort((c, k1))
    place = np.empty(6, int)
    place[order] = np.arange(6)
    exact = w[place] + 2 * v ** 2 * c * w[place]
    np.testing.assert_allclose(wire.grad(f)(c), exact, rtol=1e-14)
    np.testing.assert_allclose(wire.grad(f)(c), fd_grad(f, c), rtol=1e-7)
    np.testing.assert_allclose(wire.grad(f)(c), jax.grad(jf)(c), rtol=1e-14)


def _newton_root(np_, lax_, jacfwd, solve, fori):
    """x with A(p) x + x**3 / 10 = b(p), found by Newton's method, through custom_root."""

    def root(p):
        a = np_.array([[3.0, 1.0], [0.5, 4.0]]) * p[0]
        b = np_.stack([p[1], p[2] ** 2])

        def f(x):
            return a @ x + x ** 3 / 10 - b

        def newton(f, x0):
            return fori(0, 25, lambda i, x: x - solve(jacfwd(f)(x), f(x)), x0)

        def tangent_solve(g, y):  # g is linear: its Jacobian is its matrix
            return solve(jacfwd(g)(y), y)

        return lax_.custom_root(f, np_.zeros(2), newton, tangent_solve)

    return root


P_ROOT = np.array([1.2, 0.7, -0.4])


def _implicit_jacobian(p, x):
    """dx/dp = -(df/dx)^-1 df/dp at the root x, written out."""
    a = np.array([[3.0, 1.0], [0.5, 4.0]])
    df_dx = a * p[0] + np.diag(3 * x ** 2 / 10)
    df_dp = np.stack([a @ x, [-1.0, 0.0], [0.0, -2 * p[2]]], axis=1)
    return -np.linalg.solve(df_dx, df_dp)


def test_lax_custom_root_implicit_derivatives():
    from wire import lax
    root = _newton_root(wnp, lax, wire.jacfwd, wnp.linalg.solve, wire.fori_loop)
    p = P_ROOT
    x = root(p)
    a = np.array([[3.0, 1.0], [0.5, 4.0]]) * p[0]
    np.testing.assert_allclose(a @ x + x ** 3 / 10, [p[1], p[2] ** 2], rtol=1e-14)
    jac = _implicit_jacobian(p, x)
    np.testing.assert_allclose(wire.jacrev(root)(p), jac, rtol=1e-13)
    np.testing.assert_allclose(wire.jacfwd(root)(p), jac, rtol=1e-13)
    np.testing.assert_allclose(wire.jit(wire.jacrev(root))(p), jac, rtol=1e-13)
    fd = np.stack([fd_grad(lambda q: float(root(q)[i]), p) for i in range(2)])
    np.testing.assert_allclose(wire.jacrev(root)(p), fd, rtol=1e-6, atol=1e-9)
    # second derivatives: the finite differences of the exact Jacobian
    loss_grad = wire.grad(lambda q: wnp.sum(root(q) ** 2))
    hess = wire.hessian(lambda q: wnp.sum(root(q) ** 2))(p)
    fd2 = np.stack([fd_grad(lambda q: float(loss_grad(q)[i]), p) for i in range(3)])
    np.testing.assert_allclose(hess, fd2, rtol=1e-6, atol=1e-8)
    ps = np.stack([p, 1.1 * p])
    np.testing.assert_allclose(wire.vmap(wire.grad(lambda q: wnp.sum(root(q))))(ps),
                               [wire.grad(lambda q: wnp.sum(root(q)))(q) for q in ps],
                               rtol=1e-14)


@slow_only
def test_lax_custom_root_is_jaxs():
    import jax
    from wire import lax
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    root = _newton_root(wnp, lax, wire.jacfwd, wnp.linalg.solve, wire.fori_loop)
    jroot = _newton_root(jnp, jax.lax, jax.jacfwd, jnp.linalg.solve, jax.lax.fori_loop)
    p = P_ROOT
    np.testing.assert_allclose(root(p), jroot(p), rtol=1e-14)
    np.testing.assert_allclose(wire.jacrev(root)(p), jax.jacrev(jroot)(p), rtol=1e-12)
    hess = jax.hessian(lambda q: jnp.sum(jroot(q) ** 2))(p)
    np.testing.assert_allclose(wire.hessian(lambda q: wnp.sum(root(q) ** 2))(p), hess,
                               rtol=1e-10, atol=1e-14)


def test_lax_custom_root_scalar_with_aux(jax):
    from wire import lax

    def sqrt(a, lax_, grad, fori):
        def newton(f, x0):
            x = fori(0, 30, lambda i, x: x - f(x) / grad(f)(x), x0)
            return x, x * 0 + 30
        return lax_.custom_root(lambda x: x * x - a, 1.0, newton, lambda g, y: y / g(1.0),
                                has_aux=True)

    x, aux = sqrt(2.0, lax, wire.grad, wire.fori_loop)
    jx, jaux = sqrt(2.0, jax.lax, jax.grad, jax.lax.fori_loop)
    np.testing.assert_allclose([x, aux], [jx, jaux], rtol=1e-15)
    g = wire.grad(lambda a: sqrt(a, lax, wire.grad, wire.fori_loop)[0])(2.0)
    jg = jax.grad(lambda a: sqrt(a, jax.lax, jax.grad, jax.lax.fori_loop)[0])(2.0)
    np.testing.assert_allclose(g, jg, rtol=1e-14)
    np.testing.assert_allclose(g, 1 / (2 * np.sqrt(2.0)), rtol=1e-14)


@pytest.mark.parametrize("dt", INT_DTYPES, ids=lambda d: d.__name__)
def test_lax_population_count_traces_and_is_jaxs(dt, jax):
    # (it went through numpy.bitwise_count, which refuses traced values)
    from wire import lax
    info = np.iinfo(dt)
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.integers(info.min, info.max, 20, dtype=dt, endpoint=True),
                        np.array([info.min, info.max, 0, 1], dt)])
    ref = jax.lax.population_count(x)
    _bits_equal(wire.jit(lax.population_count)(x), ref)
    _bits_equal(wire.vmap(lax.population_count)(x), ref)
    _bits_equal(lax.population_count(x), ref)
