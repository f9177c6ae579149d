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
