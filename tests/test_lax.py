"""JAX's names on wire (``wire.lax``, ``wire.tree``'s key paths, ``grad(allow_int=True)``,
``linear_transpose``), each checked against JAX itself on ordinary and special inputs."""

import collections
import warnings

import numpy as np
import pytest
from selection import skip_unless_slow

import wire
import wire.numpy as wnp
from wire import lax

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jlax = jax.lax
jnp = jax.numpy

# no subnormal numbers: XLA on CPU flushes them to zero (lax.add(5e-324, 0.0) is 0.0), wire
# keeps them as NumPy does
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1e-300,
                    -1e300, 3.0, 0.9999, 700.0, -40.0])
Point = collections.namedtuple("Point", "x y")


def same(got, want, ulps=0, atol=0.0):
    """``got`` (wire) equals ``want`` (JAX): dtype, shape, NaNs, signs of zeros, and values
    within ``ulps`` units in the last place or ``atol`` (0: bit for bit but NaN payloads)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if got.dtype.kind not in "fc":
        np.testing.assert_array_equal(got, want)
        return
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    g, w = got[ok], want[ok]
    np.testing.assert_array_equal(np.signbit(g[w == 0]), np.signbit(w[w == 0]))
    inf = np.isinf(w)
    np.testing.assert_array_equal(g[inf], w[inf])
    g, w = g[~inf], w[~inf]
    with np.errstate(over="ignore", invalid="ignore"):
        tol = np.maximum(ulps * np.spacing(np.abs(w).astype(w.dtype)), atol) if ulps else atol
        far = ~((g == w) | (np.abs(g - w) <= tol))
    assert not far.any(), np.stack([g, w])[:, far]


def jgrad(f, **kwargs):
    """JAX's gradient, jitted: one compilation instead of one per operation."""
    return jax.jit(jax.grad(f, **kwargs))


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)


# --------------------------------------------------------------------------- elementwise

EXACT_UNARY = ["abs", "neg", "sign", "floor", "ceil", "is_finite", "square", "round", "sqrt"]
# functions XLA computes with its own approximations: a few ulps apart, more where XLA's are
# less accurate (sinh(700), erf_inv(0.9999): wire's are NumPy's and SciPy's, within 1 ulp of
# mpmath)
CLOSE_UNARY = {"exp": 2, "exp2": 32, "expm1": 2, "log": 2, "log1p": 2, "sin": 2, "cos": 2,
               "tan": 4, "asin": 2, "acos": 2, "atan": 2, "sinh": 512, "cosh": 512, "tanh": 4,
               "asinh": 4, "acosh": 4, "atanh": 4, "cbrt": 2, "logistic": 4, "erf": 4,
               "erfc": 8, "erf_inv": 128, "rsqrt": 2, "lgamma": 2048, "digamma": 2048}
# XLA's lgamma and digamma are accurate to an absolute ~1e-13 (float32: ~1e-6) only
ABSOLUTE = {"lgamma", "digamma"}


def against_jax(names, dtype, args, ulps_of, atol_of=lambda n: 0.0):
    """Each ``wire.lax.<name>(*args)`` against ``jax.lax.<name>(*args)`` (JAX's all in one
    ``jit``: one compilation); the names that differ, with the first difference."""
    args = tuple(a.astype(dtype) for a in args)
    wants = jax.jit(lambda *a: {n: getattr(jlax, n)(*a) for n in names})(*args)
    bad = {}
    for n in names:
        try:
            same(quiet(getattr(lax, n), *args), np.asarray(wants[n]), ulps_of(n), atol_of(n))
        except AssertionError as e:
            bad[n] = str(e)[:300]
    return bad


@pytest.mark.parametrize("dtype", [np.float64, pytest.param(np.float32, marks=pytest.mark.slow)])
def test_unary_against_jax(dtype, request):
    skip_unless_slow(request)
    scale = 64 if dtype == np.float32 else 1
    bad = against_jax(EXACT_UNARY + sorted(CLOSE_UNARY), dtype, (SPECIAL,),
                      lambda n: CLOSE_UNARY.get(n, 0) * scale,
                      lambda n: (1e-13 if dtype == np.float64 else 2e-6) * (n in ABSOLUTE))
    assert not bad, bad


def test_unary_keep_float32():
    """(JAX's float32 values: the slow run above.) No function promotes float32."""
    x = SPECIAL.astype(np.float32)
    wrong = {n: quiet(getattr(lax, n), x).dtype for n in EXACT_UNARY + sorted(CLOSE_UNARY)}
    assert {n: d for n, d in wrong.items() if d != (bool if n == "is_finite" else np.float32)} \
        == {}


def test_round_methods_and_halves():
    x = np.array([0.5, 1.5, -0.5, 2.5, -2.5, 0.49999999999999994, -0.0, np.inf, np.nan,
                  4503599627370495.5, -4503599627370497.0])
    same(lax.round(x), jlax.round(x))
    same(lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN),
         jlax.round(x, jlax.RoundingMethod.TO_NEAREST_EVEN))
    same(lax.round(x, jlax.RoundingMethod.TO_NEAREST_EVEN),  # JAX's enum is accepted
         jlax.round(x, jlax.RoundingMethod.TO_NEAREST_EVEN))
    with pytest.raises(wire.WireValueError, match="rounding_method"):
        lax.round(x, 7)


def test_unary_on_integers_and_bool():
    i = np.array([-3, 0, 5, np.iinfo(np.int64).min])
    for name in ("abs", "neg", "sign", "square"):
        same(quiet(getattr(lax, name), i), getattr(jlax, name)(i))
    u = np.array([0, 7, 255], np.uint8)
    same(lax.neg(u), jlax.neg(u))
    same(lax.bitwise_not(np.array([True, False])), jlax.bitwise_not(np.array([True, False])))
    for name in ("exp", "sqrt", "floor", "is_finite"):
        with pytest.raises(TypeError):
            getattr(jlax, name)(i)
        with pytest.raises(wire.WireTypeError, match=f"lax.{name} does not accept dtype int64"):
            getattr(lax, name)(i)
    with pytest.raises(wire.WireNotImplementedError, match="complex"):
        lax.exp(np.array([1j]))


GRID = np.array(np.meshgrid(SPECIAL, SPECIAL)).reshape(2, -1)
EXACT_BINARY = ["add", "sub", "mul", "div", "rem", "max", "min", "atan2", "nextafter",
                "eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_against_jax(dtype):
    scale = 64 if dtype == np.float32 else 1
    bad = against_jax(EXACT_BINARY + ["pow"], dtype, tuple(GRID),
                      lambda n: {"atan2": 2, "pow": 2}.get(n, 0) * scale)
    assert not bad, bad


@pytest.mark.parametrize("dtype", [np.int64, pytest.param(np.int8, marks=pytest.mark.slow),
                                   np.uint8])
def test_integer_division_and_remainder(dtype, request):
    skip_unless_slow(request)
    info = np.iinfo(dtype)
    vals = np.array(sorted({0, 1, 2, 7, info.max, info.min} | (
        {-1, -2, -7} if info.min < 0 else set())), dtype)
    x, y = np.array(np.meshgrid(vals, vals)).reshape(2, -1)
    same(quiet(lax.div, x, y), jlax.div(x, y))
    same(quiet(lax.rem, x, y), jlax.rem(x, y))
    for name in ("max", "min", "add", "mul", "eq", "lt"):
        same(quiet(getattr(lax, name), x, y), getattr(jlax, name)(x, y))


@pytest.mark.parametrize("dtype", [np.int32, pytest.param(np.int8, marks=pytest.mark.slow),
                                   pytest.param(np.int64, marks=pytest.mark.slow), np.uint8])
def test_shifts_against_jax(dtype, request):
    skip_unless_slow(request)
    bits = np.dtype(dtype).itemsize * 8
    info = np.iinfo(dtype)
    vals = np.array(sorted({0, 1, 5, info.max, info.min} | ({-1, -8} if info.min else set())),
                    dtype)
    amounts = np.array([0, 1, 3, bits - 1, bits, bits + 7] + ([-1] if info.min else []), dtype)
    x, y = (a.astype(dtype) for a in np.array(np.meshgrid(vals, amounts)).reshape(2, -1))
    names = ["shift_left", "shift_right_logical"] + (
        ["shift_right_arithmetic"] if info.min else [])
    wants = jax.jit(lambda a, b: {n: getattr(jlax, n)(a, b) for n in names})(x, y)
    for n in names:
        same(quiet(getattr(lax, n), x, y), wants[n])


def test_complex_operands_against_jax():
    v = np.array([complex(a, b) for a in (0.0, -0.0, 1.5, np.inf, -np.inf, np.nan)
                  for b in (0.0, -0.0, -2.0, np.inf, np.nan)])
    w = v[::-1].copy()
    names = ["abs", "real", "imag"]
    wants = jax.jit(lambda a, b: ({n: getattr(jlax, n)(a) for n in names},
                                  {n: getattr(jlax, n)(a, b) for n in ("add", "sub", "eq", "ne")})
                    )(v, w)
    for n in names:
        same(quiet(getattr(lax, n), v), wants[0][n])
    for n, want in wants[1].items():
        got = quiet(getattr(lax, n), v, w)
        if got.dtype.kind == "c":
            same(got.real, np.asarray(want).real)
            same(got.imag, np.asarray(want).imag)
        else:
            same(got, want)
    for n in ("exp", "neg", "mul", "max", "reduce_sum"):
        args = {"mul": (v, v), "max": (v, v), "reduce_sum": (v, (0,))}.get(n, (v,))
        getattr(jlax, n)(*args)  # JAX takes them
        with pytest.raises(wire.WireNotImplementedError, match="complex"):
            getattr(lax, n)(*args)
    with pytest.raises(wire.WireTypeError, match="float64"):
        lax.reduce_xor(np.array([3.0, 5.0]), (0,))


def test_integer_clamp_against_jax():
    x = np.array([-5, 0, 3, 9, np.iinfo(np.int64).min])
    for lo, hi in [(0, 4), (4, 0), (-5, -5)]:
        same(lax.clamp(lo, x, hi), jlax.clamp(lo, x, hi))


def test_binary_needs_one_dtype_and_rank():
    f32, f64 = np.ones(3, np.float32), np.ones(3)
    cases = [(f32, f64), (f32, 2.0), (np.ones(3, np.int64), 2.0)]
    for x, y in cases:
        with pytest.raises(TypeError):
            jlax.add(x, y)
        with pytest.raises(wire.WireTypeError, match="same dtypes"):
            lax.add(x, y)
    with pytest.raises(TypeError):
        jlax.add(np.ones(3), np.ones((2, 3)))
    with pytest.raises(wire.ShapeError, match="same number of dimensions"):
        lax.add(np.ones(3), np.ones((2, 3)))
    # what JAX broadcasts: a 0-d operand, size-1 axes of the same rank, Python scalars
    same(lax.add(np.ones((1, 3)), np.ones((2, 3))), jlax.add(np.ones((1, 3)), np.ones((2, 3))))
    same(lax.mul(np.arange(3.0), np.array(2.0)), jlax.mul(np.arange(3.0), np.array(2.0)))
    same(lax.add(2, 3), jlax.add(2, 3))
    with pytest.raises(TypeError):
        lax.add([1.0], [2.0])  # lists are not arrays, as in JAX


def test_pow_with_integer_exponents_and_integer_pow():
    x = SPECIAL
    ks = (-3, -2, -1, 0, 1, 2, 3, 7, 10)
    for v in (x, x.astype(np.float32)):
        wants = jax.jit(lambda v: [jlax.integer_pow(v, k) for k in ks])(v)
        for k, want in zip(ks, wants):
            same(quiet(lax.integer_pow, v, k), want)
    same(lax.integer_pow(np.array([2, -3]), 3), jlax.integer_pow(np.array([2, -3]), 3))
    with pytest.raises(wire.WireTypeError, match="negative powers"):
        lax.integer_pow(np.array([2]), -1)
    with pytest.raises(wire.WireTypeError, match="Python int"):
        lax.integer_pow(x, 2.0)
    e = np.array([0, 1, 2, 3, -1, -2, 11])
    base = np.array([0.0, -0.0, 2.0, -2.0, np.inf, -np.inf, 1.5])
    xs, ys = np.array(np.meshgrid(base, e)).reshape(2, -1)
    same(quiet(lax.pow, xs, ys.astype(np.int64)), jlax.pow(xs, ys.astype(np.int64)), 2)
    with pytest.raises(wire.WireTypeError):
        lax.pow(np.array([2]), np.array([2]))


def test_grad_of_integer_pow_max_min_against_jax():
    x0 = np.array([0.5, -1.5, 3.0])
    for k in (-2, 2, 3):
        same(wire.elementwise_grad(lambda x: lax.integer_pow(x, k))(x0),
             jgrad(lambda x: jlax.integer_pow(x, k).sum())(x0), 2)
    a, b = np.array([[1.0, 0.0, -0.0, 2.0, np.nan], [1.0, -0.0, 0.0, 1.0, 1.0]])
    for w, j in [(lax.max, jlax.max), (lax.min, jlax.min)]:
        g = wire.grad(lambda x, y: w(x, y).sum(), argnums=(0, 1))(a, b)
        gj = jgrad(lambda x, y: j(x, y).sum(), argnums=(0, 1))(a, b)
        same(g[0], gj[0])
        same(g[1], gj[1])


def test_clamp_values_and_derivatives_against_jax():
    x = SPECIAL
    same(lax.clamp(0.0, x, 1.0), jlax.clamp(0.0, x, 1.0))
    same(lax.clamp(1.0, x, 0.0), jlax.clamp(1.0, x, 0.0))  # min > max: max
    lo, hi = np.full(x.shape, -1.0), np.linspace(-2, 3, x.size)
    same(lax.clamp(lo, x, hi), jlax.clamp(lo, x, hi))
    args = np.array([(0.0, 0.5, 1.0), (0.0, -1.0, 1.0), (0.0, 2.0, 1.0), (0.0, 0.0, 1.0),
                     (0.0, 1.0, 1.0), (1.0, 0.5, 0.0), (0.5, 0.5, 0.5)]).T
    g = wire.grad(lambda a, b, c: lax.clamp(a, b, c).sum(), argnums=(0, 1, 2))(*args)
    gj = jgrad(lambda a, b, c: jlax.clamp(a, b, c).sum(), argnums=(0, 1, 2))(*args)
    for u, v in zip(g, gj):
        same(u, v)
    with pytest.raises(wire.ShapeError, match="scalar or of x's shape"):
        lax.clamp(np.zeros(2), np.ones(3), 1.0)


# --------------------------------------------------------------------------- selection


def test_select_and_select_n_against_jax():
    p = np.array([True, False, True])
    a, b = np.array([1.0, np.nan, -0.0]), np.array([0.0, 2.0, 3.0])
    same(lax.select(p, a, b), jlax.select(p, a, b))
    same(lax.select(True, a, b), jlax.select(True, a, b))
    same(lax.select(np.array(False), a, b), jlax.select(np.array(False), a, b))
    which = np.array([0, 2, 1])
    cases = (np.zeros(3), np.ones(3), np.full(3, 2.0))
    same(lax.select_n(which, *cases), jlax.select_n(which, *cases))
    same(lax.select_n(np.array([], bool), np.zeros(0), np.ones(0)),
         jlax.select_n(np.array([], bool), np.zeros(0), np.ones(0)))
    for bad in [(np.array([True]), a, b), (p, a, b.astype(np.float32)), (p, a, 0.0)]:
        with pytest.raises(TypeError):
            jlax.select(*bad)
        with pytest.raises(wire.WireError):
            lax.select(*bad)
    with pytest.raises(wire.WireTypeError, match="`which`"):
        lax.select(np.array([1.0, 0.0, 1.0]), a, b)
    # the derivative goes to the case taken
    g = wire.grad(lambda u, v: lax.select(p, u, v).sum(), argnums=(0, 1))(a, b)
    gj = jgrad(lambda u, v: jlax.select(p, u, v).sum(), argnums=(0, 1))(a, b)
    same(g[0], gj[0])
    same(g[1], gj[1])


def test_stop_gradient_on_pytrees():
    tree = {"a": 2.0, "b": (3.0, None)}
    assert lax.stop_gradient(tree) == {"a": 2.0, "b": (3.0, None)}
    f = lambda t: t["a"] * lax.stop_gradient(t)["a"] + t["b"][0]  # noqa: E731
    jf = lambda t: t["a"] * jlax.stop_gradient(t)["a"] + t["b"][0]  # noqa: E731
    g, gj = wire.grad(f)(tree), jax.grad(jf)(tree)
    same(g["a"], gj["a"])
    same(g["b"][0], gj["b"][0])


# --------------------------------------------------------------------------- control flow


def test_cond_switch_while_fori_against_jax():
    for p in (True, False, 0, 3, 0.5, np.nan, np.float64(-0.0)):
        same(lax.cond(p, lambda x: x + 1, lambda x: x - 1, 2.0),
             jlax.cond(p, lambda x: x + 1, lambda x: x - 1, 2.0))
    with pytest.raises(wire.ShapeError):
        lax.cond(np.array([True]), lambda x: x, lambda x: -x, 1.0)
    branches = [lambda x: x * 2.0, lambda x: x - 1.0, lambda x: -x]
    for i in (-5, 0, 1, 2, 7):  # out of range: clamped, as in JAX
        same(lax.switch(i, branches, 3.0), jlax.switch(i, branches, 3.0))
        same(wire.jit(lambda i: lax.switch(i, branches, 3.0))(i),
             jax.jit(lambda i: jlax.switch(i, branches, 3.0))(i))
    same(lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 2.0), (0, 1.0))[1],
         jlax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 2.0), (0, 1.0))[1])
    # a traced upper bound under jit (a while loop in both)
    body = lambda i, x: x * 1.5 + i  # noqa: E731
    for n in (0, 1, 4):
        same(wire.jit(lambda n: lax.fori_loop(0, n, body, 1.0))(n),
             jax.jit(lambda n: jlax.fori_loop(0, n, body, 1.0))(n))
    same(wire.grad(lambda x: lax.fori_loop(0, 3, body, x))(2.0),
         jax.grad(lambda x: jlax.fori_loop(0, 3, body, x))(2.0))


def test_scan_on_pytrees_against_jax():
    def f(carry, x):
        c = {"s": carry["s"] + x["v"] * carry["t"][0], "t": (carry["t"][0] * 0.5, None)}
        return c, Point(x["v"] * 2.0, c["s"])

    init = {"s": 0.0, "t": (1.0, None)}
    xs = {"v": np.array([1.0, -0.0, np.inf, 3.0])}
    for reverse in (False, True):
        got = lax.scan(f, init, xs, reverse=reverse)
        want = jlax.scan(f, init, xs, reverse=reverse)
        same(got[0]["s"], want[0]["s"])
        assert got[0]["t"][1] is None and isinstance(got[1], Point)
        same(got[1].x, want[1].x)
        same(got[1].y, want[1].y)


@pytest.mark.parametrize("n,batch_size", [(5, 2), (3, 5), (0, 3), (4, None)])
def test_map_with_batches_against_jax(n, batch_size):
    xs = {"a": np.arange(n * 2.0).reshape(n, 2), "b": (np.linspace(-1, 1, n), None)}

    def f(x):
        return Point(x["a"].sum() * x["b"][0], {"c": x["a"] ** 2})

    got = lax.map(f, xs, batch_size=batch_size)
    want = jlax.map(f, xs, batch_size=batch_size)
    assert isinstance(got, Point)
    same(got.x, want.x)
    same(got.y["c"], want.y["c"])
    # the derivative through the batches
    g = wire.grad(lambda a: lax.map(lambda r: (r ** 3).sum(), a, batch_size=batch_size)
                  .sum())(xs["a"])
    gj = jgrad(lambda a: jlax.map(lambda r: (r ** 3).sum(), a, batch_size=batch_size)
                  .sum())(xs["a"])
    same(g, gj, 2)


def test_map_refuses_bad_batch_sizes():
    with pytest.raises(wire.WireValueError, match="batch_size"):
        lax.map(lambda x: x, np.ones(3), batch_size=0)
    with pytest.raises(IndexError):
        jlax.map(lambda x: x, np.float64(1.0))
    with pytest.raises(wire.ShapeError, match="leading axis"):
        lax.map(lambda x: x, {"a": np.ones(3), "b": np.float64(1.0)})


# --------------------------------------------------------------------------- reductions


REDUCE_INPUTS = [np.array([[1.0, np.nan, -0.0], [0.0, -np.inf, 2.0]]),
                 np.array([[-0.0, -0.0], [0.0, -0.0]]), np.zeros((0, 3)), np.ones((1, 1)),
                 np.arange(6.0).reshape(2, 3) - 2.5]


REDUCTIONS = ["reduce_sum", "reduce_prod", "reduce_max", "reduce_min"]
AXES = [(0,), (1,), (0, 1), ()]


def test_reductions_against_jax():
    for x in REDUCE_INPUTS + [np.array([[3, -1], [0, 7]], np.int32)]:
        wants = jax.jit(lambda v: {(n, a): getattr(jlax, n)(v, a)
                                   for n in REDUCTIONS for a in AXES})(x)
        for (n, a), want in wants.items():
            same(getattr(lax, n)(x, a), want)
    for n in REDUCTIONS:
        with pytest.raises(wire.WireIndexError):
            getattr(lax, n)(np.ones(3), (1,))


def test_logical_reductions_and_arg_extremes_against_jax():
    b = np.array([[True, False], [True, True]])
    ints = [np.array([[7, -3], [6, 5]]), np.array([[7, 3], [6, 255]], np.uint8),
            np.zeros((0, 2), np.int32), np.zeros((2, 0), np.uint16), np.zeros((0, 2), bool)]
    names = ("reduce_and", "reduce_or", "reduce_xor")
    for x in [b] + ints:
        wants = jax.jit(lambda x: {(n, a): getattr(jlax, n)(x, a) for n in names
                                   for a in [(1,), (0, 1)]})(x)
        for (n, a), want in wants.items():
            same(getattr(lax, n)(x, a), want)
    same(wire.jit(lambda x: lax.reduce_xor(x, (1,)))(ints[0]), jlax.reduce_xor(ints[0], (1,)))
    for x in [np.array([1.0, np.nan, 2.0, np.nan]), np.array([-0.0, 0.0, 0.0]),
              np.array([3.0, 3.0, 1.0, 1.0]), np.array([-np.inf, np.inf])]:
        for f, j in [(lax.argmax, jlax.argmax), (lax.argmin, jlax.argmin)]:
            same(f(x, 0, np.int32), j(x, 0, np.int32))


CUMULATIVE = ["cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"]


def test_cumulative_against_jax():
    for x in [np.array([[1.0, np.nan, -0.0], [0.0, -0.0, 2.0]]), np.array([[-0.0, 0.0, -0.0]]),
              np.zeros((0, 2))]:
        keys = [(n, a, r) for n in CUMULATIVE for a in range(x.ndim) for r in (False, True)]
        wants = jax.jit(lambda v: {k: getattr(jlax, k[0])(v, axis=k[1], reverse=k[2])
                                   for k in keys})(x)
        for (n, a, r), want in wants.items():
            same(getattr(lax, n)(x, a, r), want)
    v = np.array([1.0, 3.0, 2.0])
    g = wire.grad(lambda v: sum(getattr(lax, n)(v, 0, True) @ np.arange(1.0, 4.0) ** k
                                for k, n in enumerate(CUMULATIVE)))(v)
    gj = jgrad(lambda v: sum(getattr(jlax, n)(v, 0, reverse=True) @ np.arange(1.0, 4.0) ** k
                                for k, n in enumerate(CUMULATIVE)))(v)
    same(g, gj, 2)


def test_cumulative_ties_and_infinities_against_jax():
    """Which of tied maxima gets the gradient is JAX's (its rule differentiates an
    associative scan of lax.max: [1, 3, 3, 2, 3] gives 10, 8, 9 to the 3s with weights 1..7,
    reversed 0.75, 2.25, 12); cumlogsumexp's derivative at infinities is JAX's rule."""
    x = np.array([[1.0, 3.0, 3.0, 2.0, 3.0, -0.0, 0.0], [-0.0, 0.0, -0.0, -1.0, -0.0, 2.0, 2.0]])
    c = np.arange(1.0, 8.0)
    ls = np.array([[-np.inf, -np.inf, 1.0, np.inf, 0.0, 2.0, np.inf],
                   [0.0, np.inf, 1.0, -np.inf, 0.5, -1.0, 0.0]])
    keys = [(n, r) for n in ("cummax", "cummin", "cumlogsumexp") for r in (False, True)]
    arg = lambda n: (ls if n == "cumlogsumexp" else x).astype(np.float32)

    def grads(m, f):
        return {(n, r): f(lambda v, n=n, r=r: m.sum(getattr(m is wnp and lax or jlax, n)(
            v, axis=1, reverse=r) * c))(arg(n)) for n, r in keys}

    wants = jax.jit(lambda: grads(jnp, jax.grad))()
    for k, got in grads(wnp, wire.grad).items():  # (zero derivatives' signs may differ)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, wants[k], rtol=1e-6)
    t = np.linspace(-1.0, 1.0, 14).reshape(2, 7)
    for n in ("cummax", "cumlogsumexp"):
        f = lambda v: getattr(lax, n)(v, axis=1, reverse=True)
        jf = lambda v: getattr(jlax, n)(v, axis=1, reverse=True)
        np.testing.assert_allclose(wire.jvp(f, (arg(n),), (t.astype(np.float32),))[1],
                                   jax.jvp(jf, (arg(n),), (t.astype(np.float32),))[1], 1e-6)
        same(wire.jit(f)(arg(n)), jf(arg(n)), 4)
        same(wire.vmap(f)(arg(n)[:, None]), jax.vmap(jf)(arg(n)[:, None]), 4)


def test_sort_against_jax():
    x = np.array([0.0, -0.0, np.nan, -np.nan, 1.0, -np.inf, 1.0, np.inf, -0.0, 0.0])
    m = np.array([[3.0, -0.0, 0.0], [np.nan, 1.0, -1.0]])
    v = np.arange(10.0)
    wants = jax.jit(lambda x, m, v: (jlax.sort(x), jlax.sort(m, dimension=0), jlax.sort(m),
                                     jlax.sort_key_val(x, v), jlax.sort((x, v), num_keys=1),
                                     jlax.sort(np.zeros((2, 0)))))(x, m, v)
    gots = (lax.sort(x), lax.sort(m, dimension=0), lax.sort(m), lax.sort_key_val(x, v),
            lax.sort((x, v), num_keys=1), lax.sort(np.zeros((2, 0))))
    for got, want in zip(wire.tree.leaves(gots), jax.tree_util.tree_leaves(wants)):
        same(got, want)
    i = np.array([3, -1, 3, 0], np.int32)
    same(lax.sort(i), jlax.sort(i))
    g = wire.grad(lambda u: (lax.sort(u) * np.arange(4.0)).sum())(np.array([3.0, 1.0, 2.0, 1.0]))
    gj = jgrad(lambda u: (jlax.sort(u) * np.arange(4.0)).sum())(np.array([3.0, 1.0, 2.0, 1.0]))
    same(g, gj)
    for got, want in zip(lax.sort((x, v), num_keys=2), jlax.sort((x, v), num_keys=2)):
        same(got, want)  # (was refused: lexicographic on both keys now)


def test_top_k_against_jax():
    x = np.array([0.0, -0.0, np.nan, 1.0, -np.inf, 1.0, np.inf, -np.nan, -0.0, 0.0])
    m = np.array([[3.0, -0.0, 0.0, 3.0], [np.nan, 1.0, -1.0, -np.nan]])
    i = np.array([[3, np.iinfo(np.int32).min, 3, np.iinfo(np.int32).max, 0]], np.int32)
    ks = {"x": (0, 3, 10), "m": (2, 4), "i": (5,)}
    args = {"x": x, "m": m, "i": i}
    wants = jax.jit(lambda a: {(n, k): jlax.top_k(a[n], k) for n in ks for k in ks[n]})(args)
    for (n, k), want in wants.items():
        got = lax.top_k(args[n], k)
        same(got[0], want[0])
        same(got[1], want[1])
    u = np.array([3.0, 1.0, 3.0, 2.0])
    g = wire.grad(lambda v: (lax.top_k(v, 3)[0] * np.arange(1.0, 4.0)).sum())(u)
    gj = jgrad(lambda v: (jlax.top_k(v, 3)[0] * np.arange(1.0, 4.0)).sum())(u)
    same(g, gj)
    with pytest.raises(wire.WireValueError, match="k=5"):
        lax.top_k(u, 5)


# --------------------------------------------------------------------------- shapes


def test_structural_against_jax():
    x = np.arange(24.0).reshape(2, 3, 4)
    pairs = [
        (lambda m: m.reshape(x, (4, 6), (2, 0, 1)),),
        (lambda m: m.reshape(x, (6, 4)),),
        (lambda m: m.transpose(x, (2, 0, 1)),),
        (lambda m: m.broadcast(np.array([1.0, 2.0]), (3, 1)),),
        (lambda m: m.broadcast_in_dim(np.array([[1.0], [2.0]]), (2, 3, 5), (0, 2)),),
        (lambda m: m.concatenate([x, x[:, :1]], 1),),
        (lambda m: m.squeeze(np.ones((1, 3, 1)), (0, 2)),),
        (lambda m: m.expand_dims(np.ones(3), (0, 2)),),
        (lambda m: m.rev(x, (0, 2)),),
        (lambda m: m.slice(x, (0, 1, 0), (2, 3, 4), (1, 1, 3)),),
        (lambda m: m.slice(np.zeros((0, 2)), (0, 0), (0, 2)),),
        (lambda m: m.iota(np.int32, 5),),
        (lambda m: m.full((2, 2), 3, np.float32),),
        (lambda m: m.full_like(x, -0.0),),
        (lambda m: m.dynamic_slice(x, (1, 2, -1), (1, 2, 2)),),
        (lambda m: m.dynamic_slice(x, (-9, 5, 3), (2, 3, 1)),),
        (lambda m: m.slice_in_dim(x, -3, None, 2, axis=2),),
        (lambda m: m.slice_in_dim(x, None, -1, axis=0),),
        (lambda m: m.index_in_dim(x, -1, axis=1, keepdims=False),),
        (lambda m: m.index_in_dim(x, 0, axis=2),),
        (lambda m: m.broadcasted_iota(np.int32, (2, 3, 1), 1),),
        (lambda m: m.broadcasted_iota(np.float32, (0, 2), 1),),
        (lambda m: m.collapse(x, 1),),
        (lambda m: m.collapse(x, 0, 2),),
        (lambda m: m.collapse(x, -2),),
    ]
    for (f,) in pairs:
        same(f(lax), f(jlax))
    for bad in [lambda m: m.reshape(x, (5, 5)), lambda m: m.squeeze(x, (0,)),
                lambda m: m.broadcast_in_dim(np.ones(3), (2, 4), (1,))]:
        with pytest.raises((TypeError, ValueError)):
            bad(jlax)
        with pytest.raises(wire.ShapeError):
            bad(lax)
    with pytest.raises(wire.WireIndexError):  # JAX clamps; wire refuses
        lax.slice(np.arange(10.0), (1,), (11,))
    for i in (3, -4):
        with pytest.raises(IndexError):
            jlax.index_in_dim(np.ones(3), i)
        with pytest.raises(wire.WireIndexError):
            lax.index_in_dim(np.ones(3), i)


def test_dynamic_slice_with_traced_starts_under_jit_and_grad():
    x = np.arange(10.0) ** 2
    w_at = wire.jit(lambda i: lax.dynamic_slice(x, (i,), (3,)))
    j_at = jax.jit(lambda i: jlax.dynamic_slice(x, (i,), (3,)))
    w_grad = wire.grad(lambda v, i: (lax.dynamic_slice(v, (i,), (3,)) ** 2).sum())
    j_grad = jgrad(lambda v, i: (jlax.dynamic_slice(v, (i,), (3,)) ** 2).sum())
    for i in (-12, -3, 0, 4, 8, 20):
        same(w_at(i), j_at(i))
        same(w_grad(x, i), j_grad(x, i))


def test_dynamic_update_slice_and_in_dim_functions_against_jax():
    x = np.arange(12.0).reshape(3, 4)
    u = -np.arange(6.0).reshape(2, 3) - 1
    for starts in [(0, 0), (1, 1), (2, 3), (-1, -2), (-9, 9), (5, 0)]:
        same(lax.dynamic_update_slice(x, u, starts), jlax.dynamic_update_slice(x, u, starts))
    w_up = wire.jit(lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)))
    j_up = jax.jit(lambda x, u, i, j: jlax.dynamic_update_slice(x, u, (i, j)))
    w_g = wire.grad(lambda x, u, i: (lax.dynamic_update_slice(x, u, (i, 1)) ** 3).sum(),
                    argnums=(0, 1))
    j_g = jgrad(lambda x, u, i: (jlax.dynamic_update_slice(x, u, (i, 1)) ** 3).sum(),
                argnums=(0, 1))
    for i, j in [(0, 0), (2, 3), (-1, 1)]:
        same(w_up(x, u, i, j), j_up(x, u, i, j))
        for g, gj in zip(w_g(x, u, i), j_g(x, u, i)):
            same(g, gj)
    same(lax.dynamic_update_slice(np.zeros(0), np.zeros(0), (0,)),
         jlax.dynamic_update_slice(np.zeros(0), np.zeros(0), (0,)))
    with pytest.raises(wire.WireTypeError, match="dtype"):
        lax.dynamic_update_slice(x, u.astype(np.float32), (0, 0))
    with pytest.raises(wire.ShapeError, match="does not fit"):
        lax.dynamic_update_slice(x, np.ones((4, 1)), (0, 0))
    for axis in (0, 1):
        for i in (-5, -1, 0, 2, 7):
            same(lax.dynamic_slice_in_dim(x, i, 2, axis), jlax.dynamic_slice_in_dim(x, i, 2, axis))
            for keep in (True, False):
                same(lax.dynamic_index_in_dim(x, i, axis, keep),
                     jlax.dynamic_index_in_dim(x, i, axis, keep))


PADS = [[(1, -1, 1)], [(0, 0, 0)], [(-2, 3, 0)], [(2, 1, 2)], [(-3, -2, 1)], [(0, -4, 0)]]


def test_pad_against_jax():
    x = np.array([1.0, -0.0, np.nan, 4.0])
    for config in PADS:
        same(lax.pad(x, -0.0, config), jlax.pad(x, -0.0, config))
    m = np.arange(6.0).reshape(2, 3)
    config = [(1, 0, 1), (-1, 2, 2)]
    same(lax.pad(m, 9.0, config), jlax.pad(m, 9.0, config))
    same(lax.pad(np.zeros((0, 2)), 1.0, [(1, 1, 3), (0, 0, 1)]),
         jlax.pad(np.zeros((0, 2)), 1.0, [(1, 1, 3), (0, 0, 1)]))
    same(lax.pad(np.ones(1), 0.0, [(0, 0, 5)]), jlax.pad(np.ones(1), 0.0, [(0, 0, 5)]))
    g = wire.grad(lambda a, v: (lax.pad(a, v, config) ** 2).sum(), argnums=(0, 1))(m, 2.0)
    gj = jgrad(lambda a, v: (jlax.pad(a, v, config) ** 2).sum(), argnums=(0, 1))(m, 2.0)
    same(g[0], gj[0])
    same(g[1], gj[1])
    for bad in ([(-3, -2, 0)], [(0, 0, -1)], [(0, -5, 0)]):
        with pytest.raises((TypeError, ValueError)):
            jlax.pad(np.ones(4), 0.0, bad)
        with pytest.raises(wire.ShapeError):
            lax.pad(np.ones(4), 0.0, bad)
    with pytest.raises(wire.WireTypeError, match="padding_value"):
        lax.pad(np.ones(4), np.float32(0.0), [(1, 1, 0)])


def test_convert_element_type_against_jax():
    x = np.array([1.7, -1.7, np.nan, np.inf, -np.inf, 3e10, -3e10, 0.0, -0.0, 255.9, 128.0,
                  -129.0, 2.0 ** 63, -2.0 ** 63, 2.0 ** 31 - 1])
    dsts = (np.int32, np.int8, np.int64, np.bool_, np.float32, np.float64)
    for src in (np.float64, np.float32):
        wants = jax.jit(lambda v: [jlax.convert_element_type(v, d) for d in dsts])(x.astype(src))
        for dst, want in zip(dsts, wants):
            same(quiet(lax.convert_element_type, x.astype(src), dst), want)
    for src in (np.float64, np.float32):
        for dst in (np.uint8, np.uint32):
            same(quiet(lax.convert_element_type, x.astype(src), dst),
                 jlax.convert_element_type(x.astype(src), dst))
    i = np.array([-1, 300, 2 ** 40])
    for dst in (np.int8, np.uint8, np.float32, np.bool_):
        same(lax.convert_element_type(i, dst), jlax.convert_element_type(i, dst))


DOT_CASES = [
    ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),
    ((3, 4), (4, 5), (((1,), (0,)), ((), ()))),
    ((4, 3), (5, 4), (((0,), (1,)), ((), ()))),
    ((3,), (4,), (((), ()), ((), ()))),  # outer product
    ((2, 3, 4), (4, 3, 2), (((1, 2), (1, 0)), ((0,), (2,)))),
    ((0, 3), (3, 2), (((1,), (0,)), ((), ()))),
    ((2, 0), (0, 3), (((1,), (0,)), ((), ()))),
    ((1, 1), (1,), (((1,), (0,)), ((), ()))),
]


@pytest.mark.parametrize("ls,rs,dn", DOT_CASES[:1] + DOT_CASES[3:6] + [
    pytest.param(*c, marks=pytest.mark.slow) for c in DOT_CASES[1:3] + DOT_CASES[6:]])
def test_dot_general_against_jax(ls, rs, dn, request):
    skip_unless_slow(request)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=ls), rng.normal(size=rs)
    np.testing.assert_allclose(lax.dot_general(a, b, dn), jlax.dot_general(a, b, dn),
                               rtol=1e-13, atol=1e-13)
    assert lax.dot_general(a, b, dn).shape == jlax.dot_general(a, b, dn).shape
    ct = rng.normal(size=np.shape(jlax.dot_general(a, b, dn)))
    g = wire.grad(lambda u, v: (lax.dot_general(u, v, dn) * ct).sum(), argnums=(0, 1))(a, b)
    gj = jgrad(lambda u, v: (jlax.dot_general(u, v, dn) * ct).sum(), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(g[0], gj[0], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(g[1], gj[1], rtol=1e-13, atol=1e-13)


def test_dot_and_dot_general_errors():
    a = np.ones((3, 4))
    same(lax.dot(a, np.ones(4)), jlax.dot(a, np.ones(4)))
    same(lax.dot(np.arange(3.0), np.arange(3.0)), jlax.dot(np.arange(3.0), np.arange(3.0)))
    with pytest.raises(wire.ShapeError, match="dot_general"):
        lax.dot(np.ones((2, 3, 4)), np.ones(4))
    with pytest.raises(wire.ShapeError):
        lax.dot_general(a, np.ones((5, 2)), (((1,), (0,)), ((), ())))
    with pytest.raises(wire.WireTypeError, match="same dtype"):
        lax.dot(a, np.ones(4, np.float32))
    with pytest.raises(wire.WireNotImplementedError, match="preferred_element_type"):
        lax.dot(a, np.ones(4), preferred_element_type=np.float32)


def test_lax_names_exist_in_jax():
    """Every public name of wire.lax is a jax.lax name (no invented ones)."""
    missing = [n for n in lax.__all__ if not hasattr(jlax, n)]
    assert not missing, missing


# --------------------------------------------------------------------------- grad(allow_int=True)


def assert_float0_like(got, want):
    got_leaves, got_tree = wire.tree.flatten(got)
    want_leaves = jax.tree_util.tree_leaves(want)
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        w = np.asarray(w)
        if w.dtype == jax.dtypes.float0:
            assert g.dtype == wire.float0 == np.dtype([("float0", "V")]), g.dtype
            assert g.shape == w.shape
        else:
            same(g, w)


def test_grad_allow_int_gives_float0_zeros_as_jax():
    def f(d, k):
        return (d["w"] * d["i"][0] + k).sum() * 1.5

    args = ({"w": np.array([2.0, -0.0]), "i": (np.arange(2), None, True)}, 3)
    for argnums in (0, 1, (0, 1)):
        got = wire.grad(f, argnums=argnums, allow_int=True)(*args)
        want = jax.grad(f, argnums=argnums, allow_int=True)(*args)
        assert_float0_like(got, want)
        (v, g) = wire.value_and_grad(f, argnums=argnums, allow_int=True)(*args)
        (vj, gj) = jax.value_and_grad(f, argnums=argnums, allow_int=True)(*args)
        same(v, vj)
        assert_float0_like(g, gj)
    # has_aux, an integer argument alone, an empty integer array
    g, aux = wire.grad(lambda i: (i * 2.0, i), has_aux=True, allow_int=True)(np.int32(4))
    assert g.dtype == wire.float0 and g.shape == () and aux == 4
    g = wire.grad(lambda i: i.sum() * 1.0, allow_int=True)(np.zeros((0, 2), int))
    assert g.dtype == wire.float0 and g.shape == (0, 2)
    # floats only: the ordinary gradient
    same(wire.grad(lambda x: x ** 2, allow_int=True)(3.0), jax.grad(lambda x: x ** 2)(3.0))


def test_grad_of_an_integer_without_allow_int_names_it():
    f = lambda d: d["w"] * d["i"]  # noqa: E731
    with pytest.raises(TypeError):
        jax.grad(f)({"w": 1.0, "i": 2})
    with pytest.raises(wire.NonDifferentiableError, match=r"argument 0 leaf \['i'\].*allow_int"):
        wire.grad(f)({"w": 1.0, "i": 2})
    with pytest.raises(wire.WireNotImplementedError, match="allow_int"):
        wire.grad(wire.trace(lambda x: x * 2.0, 1.0), allow_int=True)


# --------------------------------------------------------------------------- linear_transpose

A = np.arange(12.0).reshape(3, 4) - 5.5
LINEAR = [
    (lambda x: A @ x, (np.zeros(4),), np.array([1.0, -0.0, 2.0])),
    (lambda x: (x.sum(), x[1:3], x.reshape(2, 2).T), (np.zeros(4),),
     (2.0, np.array([1.0, 5.0]), np.ones((2, 2)))),
    (lambda x, y: {"a": x @ A.T * 3.0 - y["m"][1], "b": None, "c": -x[::2]},
     (np.zeros(4), {"m": np.zeros((2, 3))}),
     {"a": np.array([1.0, 2.0, 3.0]), "b": None, "c": np.array([1.0, -1.0])}),
    (lambda p: Point(p.x - p.y, p.y * 2.0), (Point(np.zeros(3), np.zeros(3)),),
     Point(np.ones(3), np.arange(3.0))),
    (lambda x: x + 1.0, (1.0,), 2.0),  # the constant term is dropped, as in JAX
    (lambda x: x[0:0].sum() + 0.0 * x[0], (np.zeros(1),), 1.0),
    (lambda x: (wnp.where(np.array([True, False, True]), x, 0.0), wnp.cumsum(x),
                wnp.einsum("i,ij->j", x, A[:, :3]), wnp.pad(x, 1), wnp.zeros(5).at[1:4].set(x),
                x.astype(np.float32).astype(np.float64)),
     (np.zeros(3),), (np.ones(3), np.arange(3.0), np.ones(3), np.arange(5.0), np.arange(5.0),
                      np.full(3, 2.0)),
     lambda x: (jnp.where(np.array([True, False, True]), x, 0.0), jnp.cumsum(x),
                jnp.einsum("i,ij->j", x, A[:, :3]), jnp.pad(x, 1), jnp.zeros(5).at[1:4].set(x),
                x.astype(np.float32).astype(np.float64))),
]


@pytest.mark.parametrize("case", range(len(LINEAR)))
def test_linear_transpose_against_jax(case):
    f, primals, ct, *jf = LINEAR[case]
    got = wire.linear_transpose(f, *primals)(ct)
    want = jax.linear_transpose(jf[0] if jf else f, *primals)(ct)
    assert isinstance(got, tuple) and len(got) == len(primals)
    gl, gt = wire.tree.flatten(got)
    wl = jax.tree_util.tree_leaves(want)
    assert len(gl) == len(wl)
    for g, w in zip(gl, wl):
        np.testing.assert_allclose(g, w, rtol=1e-14, atol=1e-14)
        assert np.shape(g) == np.shape(w)


def test_linear_transpose_is_the_vjp_and_takes_shape_structs():
    rng = np.random.default_rng(1)
    M = rng.normal(size=(5, 3))
    t = wire.linear_transpose(lambda x: M @ x, wire.ShapeDtypeStruct((3,), np.float64))
    ct = rng.normal(size=5)
    np.testing.assert_allclose(t(ct)[0], M.T @ ct, rtol=1e-14)
    np.testing.assert_allclose(wire.jit(t)(ct)[0], M.T @ ct, rtol=1e-14)


def test_linear_transpose_refuses_nonlinear_functions_and_bad_cotangents():
    @wire.custom_jvp
    def twice(x):
        return 2.0 * x

    twice.defjvp(lambda p, t: (2.0 * p[0], 3.0 * t[0]))  # a rule that is not the derivative
    for f in (lambda x: x * x, wnp.sin, lambda x: wnp.maximum(x, 0.0), wnp.floor,
              lambda x: wnp.fmod(x, 1.0), lambda x: x + wire.stop_gradient(x), twice,
              lambda x: x / wnp.sum(x), lambda x: wnp.sign(x) * 0.0 + x):
        with pytest.raises(wire.NonDifferentiableError, match="not linear"):
            wire.linear_transpose(f, np.ones(2))
    with pytest.raises(wire.NonDifferentiableError, match="'mul'"):
        wire.linear_transpose(lambda x, y: (x + y, x * y), 1.0, 1.0)
    # (through scan it transposes, as JAX's: the exclusive prefix sum's transpose)
    got = wire.linear_transpose(lambda x: wire.scan(lambda c, v: (c + v, c), 0.0, x)[1],
                                np.ones(3))(np.ones(3))
    want = jax.linear_transpose(lambda x: jlax.scan(lambda c, v: (c + v, c), 0.0, x)[1],
                                np.ones(3))(np.ones(3))
    same(got[0], want[0])
    t = wire.linear_transpose(lambda x: 2.0 * x, 1.0)
    for bad in (np.float32(1.0), np.ones(2), (1.0,)):
        with pytest.raises(TypeError):
            jax.linear_transpose(lambda x: 2.0 * x, 1.0)(bad)
        with pytest.raises(wire.WireTypeError, match="cotangent"):
            t(bad)
    with pytest.raises(wire.WireNotImplementedError, match="floating-point"):
        wire.linear_transpose(lambda i: i * 2, 1)


# --------------------------------------------------------------------------- wire.tree paths


def _tree():
    return {"b": (1.0, None, [2.0, Point(3.0, {"z": 4.0})]), "a": np.zeros(2), "c": ()}


def test_key_paths_print_as_jax():
    pairs, td = wire.tree.flatten_with_path(_tree())
    jpairs, _ = jax.tree_util.tree_flatten_with_path(_tree())
    assert [wire.tree.keystr(p) for p, _ in pairs] == \
        [jax.tree_util.keystr(p) for p, _ in jpairs]
    for sep in ("/", "."):
        assert [wire.tree.keystr(p, simple=True, separator=sep) for p, _ in pairs] == \
            [jax.tree_util.keystr(p, simple=True, separator=sep) for p, _ in jpairs]
    assert [repr(k) for p, _ in pairs for k in p] == [repr(k) for p, _ in jpairs for k in p]
    assert [x for _, x in pairs][1:] == [x for _, x in jpairs][1:]
    assert wire.tree.leaves_with_path(5) == [((), 5)] and wire.tree.keystr(()) == ""
    assert wire.tree.leaves_with_path(None) == []
    # keys are leaves of wire.tree, hashable and equal by value
    path = pairs[-1][0]
    assert wire.tree.leaves(path) == list(path) and len({path, tuple(path)}) == 1


def test_map_with_path_as_jax():
    def fn(p, x, y):
        return (jax.tree_util.keystr(p) if isinstance(p[0], jax.tree_util.DictKey)
                else wire.tree.keystr(p), x + y)

    t1 = {"a": 1, "b": (2, Point(3, 4)), "n": None}
    t2 = {"a": 10, "b": (20, Point(30, 40)), "n": None}
    assert wire.tree.map_with_path(fn, t1, t2) == jax.tree_util.tree_map_with_path(fn, t1, t2)
    with pytest.raises(wire.WireError, match="structures differ"):
        wire.tree.map_with_path(fn, t1, {"a": 1})


def test_tree_transpose_as_jax():
    outer = wire.tree.structure([0, 0, 0])
    inner = wire.tree.structure({"a": 0, "b": (0, None)})
    t = [{"a": i, "b": (10 * i, None)} for i in range(3)]
    want = jax.tree_util.tree_transpose(jax.tree_util.tree_structure([0, 0, 0]),
                                        jax.tree_util.tree_structure({"a": 0, "b": (0, None)}), t)
    assert wire.tree.transpose(outer, inner, t) == want
    assert wire.tree.transpose(outer, None, t) == want
    nt = Point((1, 2), (3, 4))
    assert wire.tree.transpose(wire.tree.structure(Point(0, 0)), wire.tree.structure((0, 0)),
                               nt) == ((Point(1, 3)), Point(2, 4))
    # a subtree of another structure with as many leaves: JAX does not check, wire does
    with pytest.raises(wire.WireError, match="subtree 2"):
        wire.tree.transpose(outer, inner, t[:2] + [{"a": 1, "b": [2, None]}])


def test_lax_under_jit_and_vmap_as_eagerly():
    x = np.array([np.nan, -0.0, 0.0, 1.5, -2.5, np.inf])
    y = np.array([0.0, 0.0, -0.0, 1.5, 3.0, -np.inf])
    fs = [lambda a, b: lax.max(a, b), lambda a, b: lax.min(a, b),
          lambda a, b: lax.clamp(-1.0, a, 2.0), lambda a, b: lax.sign(a),
          lambda a, b: lax.round(a), lambda a, b: lax.select(a > b, a, b),
          lambda a, b: lax.reduce_max(lax.broadcast(a, (2,)), (1,)),
          lambda a, b: lax.cummax(a), lambda a, b: lax.cumsum(a, reverse=True),
          lambda a, b: lax.integer_pow(a, -3), lambda a, b: lax.erf_inv(a / 10),
          lambda a, b: lax.convert_element_type(a, np.int32), lambda a, b: lax.rem(a, b),
          lambda a, b: lax.div(lax.convert_element_type(a, np.int32), np.int32(2))]
    for f in fs:
        want = quiet(f, x, y)
        same(quiet(wire.jit(f), x, y), want)
        same(quiet(wire.vmap(f), np.stack([x, x]), np.stack([y, y]))[1], want)


def test_control_flow_names_are_wires_own():
    # scan is wire.scan; cond, switch, while_loop and fori_loop take JAX's parameter names
    # too (true_fun, operand=, cond_fun, body_fun, init_val), and compute what wire's do
    assert lax.scan is wire.scan
    x = np.float64(2.0)
    assert lax.cond(True, lambda v: v + 1, lambda v: v - 1, x) == wire.cond(
        True, lambda v: v + 1, lambda v: v - 1, x)
    assert lax.switch(1, [lambda v: v, lambda v: 2 * v], x) == wire.switch(
        1, [lambda v: v, lambda v: 2 * v], x)
    assert lax.while_loop(lambda v: v < 10, lambda v: 2 * v, x) == wire.while_loop(
        lambda v: v < 10, lambda v: 2 * v, x)
    assert lax.fori_loop(0, 3, lambda i, v: v + i, x) == wire.fori_loop(
        0, 3, lambda i, v: v + i, x)


def test_more_lax_names_against_jax():
    x = np.array([np.nan, 1.0, 3.0, -0.0, 0.0, 3.0, -np.inf])
    m = np.arange(12.0).reshape(3, 4)
    i = np.array([7, -1, 0, np.iinfo(np.int32).min], np.int32)

    def run(lx):
        return {"max_k": lx.approx_max_k(x, 4), "min_k": lx.approx_min_k(x, 4),
                "min_k_axis": lx.approx_min_k(m, 2, reduction_dimension=0),
                "recip": lx.reciprocal(x), "split": lx.split(m, (1, 3), axis=1),
                "tile": lx.tile(m, (2, 1)), "stack": lx.stack([m, -m], axis=1),
                "unstack": lx.unstack(m, axis=1), "rank": lx.broadcast_to_rank(x, 3),
                "bmm": lx.batch_matmul(m.reshape(3, 2, 2), m.reshape(3, 2, 2)),
                "dus": lx.dynamic_update_slice_in_dim(m, -m[:2], -1, 0),
                "dui": lx.dynamic_update_index_in_dim(m, -m[0], 2, 0),
                "dui_keep": lx.dynamic_update_index_in_dim(m, -m[:, :1], 1, 1),
                "popcount": lx.population_count(i), "barrier": lx.optimization_barrier((x, m))}

    want = jax.jit(lambda: run(jlax))()
    got = run(lax)
    for k in want:
        for g, w in zip(wire.tree.leaves(got[k]), jax.tree_util.tree_leaves(want[k])):
            same(quiet(np.asarray, g), w)
    assert lax.broadcast_shapes((2, 1), (3,)) == jlax.broadcast_shapes((2, 1), (3,))
    assert lax.padtype_to_pads((5, 6), (2, 3), (2, 1), "SAME") == jlax.padtype_to_pads(
        (5, 6), (2, 3), (2, 1), "SAME")
    g = wire.grad(lambda v: lax.approx_max_k(v, 2)[0] @ np.array([1.0, 2.0]))(np.array([1.0, 3.0, 2.0]))
    same(g, np.array([0.0, 1.0, 2.0]))
    same(wire.jit(lambda v: lax.dynamic_update_index_in_dim(m, v, 1, 0))(np.ones(4)),
         jlax.dynamic_update_index_in_dim(m, np.ones(4), 1, 0))
    with pytest.raises(wire.ShapeError, match=r"\(1, 2\).*\(3, 4\)"):
        lax.split(m, (1, 2), axis=1)
    with pytest.raises(wire.WireTypeError, match="float32"):
        lax.stack([m, m.astype(np.float32)])
    with pytest.raises(wire.WireIndexError, match="allow_negative_indices"):
        lax.dynamic_update_slice_in_dim(m, m[:1], -1, 0, allow_negative_indices=False)
