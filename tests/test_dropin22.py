"""Drop-in gaps closed: a ufunc's ``dtype=``/``signature=`` on traced values, integer bit
shifts on traced values, and ``wire.lax``'s ``reduce_precision``, ``bitcast_convert_type``,
``clz``, ``custom_root`` and multi-key ``sort`` — each against NumPy or JAX, derivatives
against finite differences or JAX."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from finite_differences import fd_grad

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


@pytest.mark.parametrize("dt", INT_DTYPES, ids=lambda d: d.__name__)
def test_lax_shifts_on_traced_values_match_jax(dt, jax):
    from wire import lax
    x, y = _shift_operands(dt, 1)
    for name in ["shift_left", "shift_right_logical", "shift_right_arithmetic"]:
        ref = np.asarray(getattr(jax.lax, name)(x, y))
        _same(wire.jit(getattr(lax, name))(x, y), ref)
