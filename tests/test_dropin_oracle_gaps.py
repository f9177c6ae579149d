"""Places where wire gave another answer (or none) than NumPy, SciPy or JAX: integer primals
in forward mode, tie order of sorts under ``vmap``/``jit``, floating-point neighbours under
transforms, more pytree containers, complex products at overflow under ``jit``, masked
arrays named by their leaf, ``check_finite`` and stacked matrices in ``wire.scipy.linalg``.
Each case compares with the oracle's own answer (value, dtype, sign of zero, NaN bits) or
with its error."""

import collections

import numpy as np
import pytest

import wire
import wire.numpy as wnp

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf and NaN on purpose


def bits(x):
    """The bytes of ``x`` with its dtype and shape: equal bits, equal sign of zero, same NaN."""
    x = np.asarray(x)
    return x.dtype, x.shape, x.tobytes()


# --------------------------------------------------------------------------- integer primals


@pytest.mark.parametrize("primal", [np.int64(3), np.array([1, 2], np.int8), np.array(True)])
def test_jvp_refuses_a_nonzero_tangent_for_an_integer_primal(primal):
    # JAX: "int/bool primal dtype the tangent dtype must be float0"; a nonzero tangent was
    # dropped without a word (tangent output 0.0)
    f = lambda x: x * 2.0
    t = np.ones(np.shape(primal))
    with pytest.raises(wire.WireTypeError, match=r"tangent \[0\]"):
        wire.jvp(f, (primal,), (t,))
    y, lin = wire.linearize(f, primal)
    with pytest.raises(wire.WireTypeError, match=r"tangent \[0\]"):
        lin(t)
    # a zero tangent is the meaningful one, and is accepted
    out, tan = wire.jvp(f, (primal,), (np.zeros(np.shape(primal)),))
    np.testing.assert_array_equal(out, np.asarray(primal) * 2.0)
    np.testing.assert_array_equal(tan, np.zeros(np.shape(primal)))


def test_jvp_names_the_integer_leaf_in_a_pytree():
    f = lambda d: d["w"] * d["n"]
    primals = ({"w": np.ones(2), "n": np.array([1, 2])},)
    with pytest.raises(wire.WireTypeError, match=r"\[0\]\['n'\]"):
        wire.jvp(f, primals, ({"w": np.ones(2), "n": np.array([0.0, 1.0])},))
    _, tan = wire.jvp(f, primals, ({"w": np.ones(2), "n": np.zeros(2)},))
    np.testing.assert_array_equal(tan, [1.0, 2.0])


def test_jacrev_of_an_integer_valued_function_raises_as_jax_and_jacfwd_gives_int_zeros():
    # JAX: jacrev raises TypeError ("requires real-valued outputs"); jacfwd gives int64 zeros
    g = lambda x: (x * 2).astype(np.int64)
    with pytest.raises(wire.NonDifferentiableError, match="int64"):
        wire.jacrev(g)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError):
        wire.hessian(lambda x: g(x).sum())(np.array([1.0, 2.0]))
    jf = wire.jacfwd(g)(np.array([1.0, 2.0]))
    assert bits(jf) == bits(np.zeros((2, 2), np.int64))


# --------------------------------------------------------------------------- sort ties


TIES = np.array([
    [0.0, -0.0, 0.0, -0.0, np.nan, 1.0, -np.nan],
    [-0.0, 0.0, np.nan, -0.0, 0.0, -1.0, 2.0],
    [np.nan, -0.0, -np.nan, 0.0, np.inf, -np.inf, -0.0],
])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kind", [None, "stable"])
def test_batched_and_jitted_sort_are_numpy_sort_per_example_bit_for_bit(dtype, kind):
    # ties of -0.0 and 0.0 and NaNs of either sign: the order (and NaN bits) are np.sort's;
    # a gather by argsort ordered them otherwise, (-1, -0, 0, -0, 0, 2, nan) for np.sort's
    # (-1, -0, -0, 0, 0, 2, nan)
    x = TIES.astype(dtype)
    sort = lambda a: wnp.sort(a, kind=kind)
    want = np.stack([np.sort(r, kind=kind) for r in x])
    assert bits(wire.vmap(sort)(x)) == bits(want)
    assert bits(wire.jit(wire.vmap(sort))(x)) == bits(want)
    for r in x:
        assert bits(wire.jit(sort)(r)) == bits(np.sort(r, kind=kind))
    assert bits(wire.vmap(lambda c: wnp.sort(c), in_axes=1)(x)) == bits(np.sort(x, axis=0).T)


def test_batched_argsort_and_lexsort_are_numpy_per_example():
    x = TIES
    for kind in [None, "stable"]:
        want = np.stack([np.argsort(r, kind=kind) for r in x])
        assert bits(wire.vmap(lambda a: wnp.argsort(a, kind=kind))(x)) == bits(want)
        assert bits(wire.jit(wire.vmap(lambda a: wnp.argsort(a, kind=kind)))(x)) == bits(want)
    keys = np.stack([x, x[::-1]], axis=1)  # (batch, 2 keys, n)
    want = np.stack([np.lexsort(k) for k in keys])
    assert bits(wire.vmap(wnp.lexsort)(keys)) == bits(want)


def test_sort_derivative_follows_the_permutation():
    x = np.array([[0.3, -1.2, 2.5, 0.7], [1.0, -2.0, 0.5, -0.1]])
    w = np.arange(4.0)
    g = wire.grad(lambda a: wnp.sum(wnp.sort(a, axis=1) ** 2 * w))(x)
    perm = np.argsort(x, axis=1)
    want = np.zeros_like(x)
    np.put_along_axis(want, perm, 2 * np.take_along_axis(x, perm, 1) * w, 1)
    np.testing.assert_allclose(g, want)
    _, t = wire.jvp(lambda a: wnp.sort(a, axis=0), (x,), (np.arange(8.0).reshape(2, 4),))
    np.testing.assert_array_equal(t, np.take_along_axis(np.arange(8.0).reshape(2, 4),
                                                        np.argsort(x, axis=0), 0))


# --------------------------------------------------------------------------- complex products


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_jitted_complex_product_keeps_the_operand_order_numpy_rounds_in(dtype):
    # NumPy's complex product rounds through an asymmetric fused multiply-add, so a*b and
    # b*a differ at overflow: (1e308+1e308j)*(1-2j) is inf-1e308j, the other order inf-infj.
    # Under jit, canonical operand order made a*b into b*a.
    big = 1e308 if dtype == np.complex128 else 3e38
    a = np.full(4, big + big * 1j, dtype)
    b = np.full(4, 1 - 2j, dtype)
    c = np.array([1.0, 2.0, -3.0, 0.5])
    for f in [lambda a, b, c: a * b, lambda a, b, c: b * a, lambda a, b, c: c * a * b,
              lambda a, b, c: a * b + b * a, lambda a, b, c: wnp.multiply(b, a) * c]:
        want = f(a, b, c)
        assert bits(wire.jit(f)(a, b, c)) == bits(want)
        assert bits(wire.evaluate(wire.simplify(wire.trace(f, a, b, c)), a, b, c)) == bits(want)


# --------------------------------------------------------------------------- masked arrays


MASKED = np.ma.array([1.0, 2.0], mask=[0, 1])


@pytest.mark.parametrize("call, name", [
    (lambda: wire.grad(lambda x, m: wnp.sum(x * m))(np.ones(2), MASKED), r"argument leaf \[1\]"),
    (lambda: wire.grad(lambda x, m: wnp.sum(x + m), argnums=0)(1.0, MASKED),
     r"argument leaf \[1\]"),
    (lambda: wire.grad(lambda x, d: wnp.sum(x * d["m"]))(np.ones(2), {"m": MASKED}),
     r"argument leaf \[1\]\['m'\]"),
    (lambda: wire.grad(lambda x, m=None: wnp.sum(x * m))(np.ones(2), m=MASKED),
     "keyword argument 'm'"),
    (lambda: wire.vmap(lambda x, m: x * m, in_axes=(0, None))(np.ones((3, 2)), MASKED),
     r"argument leaf \[1\]"),
    (lambda: wire.jacrev(lambda x, m: x * m)(np.ones(2), MASKED), r"argument leaf \[1\]"),
])
def test_a_masked_non_differentiated_argument_is_named_by_its_leaf(call, name):
    # it was "an operand is a NumPy masked array", which names no argument
    with pytest.raises(wire.WireTypeError, match=name + " is a NumPy masked array"):
        call()
    # one the function does not compute with is no error
    assert wire.grad(lambda x, m: x * 3.0)(1.0, MASKED) == 3.0


# --------------------------------------------------------------------------- check_finite

import scipy.linalg as sl  # noqa: E402

import wire.scipy.linalg as wsl  # noqa: E402

SPD = np.array([[4.0, 1.0], [1.0, 3.0]])
VEC = np.array([1.0, 2.0])
LU = sl.lu_factor(SPD)

# (name, arguments, which of them are arrays a NaN may be put in, keywords)
CHECKED = [
    ("inv", (SPD,), (0,), {}), ("det", (SPD,), (0,), {}), ("solve", (SPD, VEC), (0, 1), {}),
    ("solve", (SPD, VEC), (0, 1), {"assume_a": "pos"}), ("eigh", (SPD,), (0,), {}),
    ("eigh", (SPD, SPD + np.eye(2)), (0, 1), {}), ("eig", (SPD,), (0,), {}),
    ("eigvals", (SPD,), (0,), {}), ("eigvalsh", (SPD,), (0,), {}),
    ("eigh_tridiagonal", (VEC, VEC[:1]), (0, 1), {}), ("svd", (SPD,), (0,), {}),
    ("svdvals", (SPD,), (0,), {}), ("qr", (SPD,), (0,), {}), ("norm", (VEC,), (0,), {}),
    ("pinv", (SPD,), (0,), {}), ("pinvh", (SPD,), (0,), {}), ("lstsq", (SPD, VEC), (0, 1), {}),
    ("lu_factor", (SPD,), (0,), {}), ("lu", (SPD,), (0,), {}),
    ("lu_solve", (LU, VEC), (1,), {}), ("solve_triangular", (SPD, VEC), (0, 1), {}),
    ("cholesky", (SPD,), (0,), {}), ("cho_factor", (SPD,), (0,), {}),
    ("cho_solve", ((np.linalg.cholesky(SPD), True), VEC), (1,), {}),
    ("expm_frechet", (SPD, SPD), (0, 1), {}),
]


def _with_bad(args, k, bad):
    args = list(args)
    x = np.array(args[k], dtype=float)
    x.flat[-1] = bad
    args[k] = x
    return tuple(args)


def _first_leaf(out):
    return wire.tree.leaves(out)[0]


@pytest.mark.parametrize("name, args, arrays, kw", CHECKED,
                         ids=[f"{c[0]}{'-' + str(c[3]) if c[3] else ''}" for c in CHECKED])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_check_finite_is_honoured_as_scipy_on_values_wire_knows(name, args, arrays, kw, bad):
    # SciPy raises ValueError for NaN/inf input; a traced call that knows the values (an
    # eager wire.grad) returned NaN instead
    for k in arrays:
        bad_args = _with_bad(args, k, bad)
        with pytest.raises(ValueError):
            getattr(sl, name)(*bad_args, **kw)
        with pytest.raises(wire.WireValueError, match="infs or NaNs"):
            getattr(wsl, name)(*bad_args, **kw)  # concrete
        fn = getattr(wsl, name)
        loss = lambda x: wnp.real(wnp.sum(_first_leaf(
            fn(*[x if i == k else a for i, a in enumerate(bad_args)], **kw))))
        with pytest.raises(wire.WireValueError, match=f"{name}: array must not contain"):
            wire.grad(loss)(bad_args[k])
        # check_finite=False: no check (SciPy's LAPACK may then raise or return NaN)
        loss_unchecked = lambda x: wnp.real(wnp.sum(_first_leaf(
            fn(*[x if i == k else a for i, a in enumerate(bad_args)], **kw,
               check_finite=False))))
        try:
            wire.grad(loss_unchecked)(bad_args[k])
        except wire.WireValueError:
            pytest.fail("check_finite=False still checked")
        except Exception:  # (a LinAlgError of the computation itself is fine)
            pass


def test_check_finite_under_vmap_and_jit():
    a = np.stack([SPD, SPD])
    a[1, 0, 0] = np.nan
    with pytest.raises(wire.WireValueError):  # the one example with a NaN raises
        wire.vmap(lambda m: wsl.solve(m, VEC))(a)
    np.testing.assert_allclose(wire.vmap(lambda m: wsl.solve(m, VEC))(a[:1]),
                               sl.solve(SPD, VEC)[None])
    # under jit the values are unknown: not checked, NaN flows through (documented)
    assert np.isnan(wire.jit(lambda m: wsl.solve(m, VEC))(a[1])).any()
    assert wire.jit(lambda m: wsl.solve(m, VEC))(SPD) == pytest.approx(sl.solve(SPD, VEC))


# --------------------------------------------------------------------------- nextafter, spacing

GRID = [1.0, -1.0, 0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e308, 65504.0, 3.4e38]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.bool_])
def test_nextafter_and_spacing_trace_jit_and_vmap_as_numpy(dtype):
    # they worked on concrete values only (WireTypeError on a tracer)
    with np.errstate(all="ignore"):
        x = np.array(GRID).astype(dtype)
    for y in [x[::-1].copy(), 2.0, -np.inf]:
        want = np.nextafter(x, y)
        assert bits(wire.jit(lambda a: wnp.nextafter(a, y))(x)) == bits(want)
        assert bits(wire.vmap(lambda a: wnp.nextafter(a, 2.0))(x)) == bits(np.nextafter(x, 2.0))
        assert bits(wire.jit(lambda a: np.nextafter(a, y))(x)) == bits(want)  # NumPy's name
    assert bits(wire.jit(wnp.spacing)(x)) == bits(np.spacing(x))
    assert bits(wire.vmap(wnp.spacing)(x)) == bits(np.spacing(x))


def test_nextafter_and_spacing_have_zero_derivative():
    f = lambda x: wnp.sum(wnp.spacing(x) * 1e10 + wnp.nextafter(x, 2.0) * 3.0 + x)
    x = np.array([1.0, -2.5, 0.0])
    np.testing.assert_array_equal(wire.grad(f)(x), np.ones(3))
    np.testing.assert_array_equal(wire.jit(wire.grad(f))(x), np.ones(3))
    np.testing.assert_array_equal(wire.jvp(f, (x,), (np.ones(3),))[1], 3.0)


# --------------------------------------------------------------------------- pytree containers


def test_defaultdict_is_a_pytree_and_keeps_its_default_factory():
    # JAX registers defaultdict (keys sorted, default_factory static); wire refused it as a
    # leaf ("argument leaf [0] is a collections.defaultdict")
    dd = collections.defaultdict(list, {"b": 2.0, "a": np.array([1.0, 3.0])})
    g = wire.grad(lambda d: wnp.sum(d["a"]) * d["b"])(dd)
    assert type(g) is collections.defaultdict and g.default_factory is list
    assert list(g) == ["a", "b"]
    np.testing.assert_array_equal(g["a"], [2.0, 2.0])
    assert g["b"] == 4.0
    out = wire.jit(lambda d: d)(dd)
    assert type(out) is collections.defaultdict and out.default_factory is list
    leaves, td = wire.tree.flatten(dd)
    assert wire.tree.leaf_paths(td) == ["['a']", "['b']"]
    # another default factory is another structure (as in JAX)
    assert td != wire.tree.flatten(collections.defaultdict(int, dd))[1]
    assert wire.tree.unflatten(td, leaves).default_factory is list


def test_ordereddict_and_namedtuple_gradients_keep_their_types():
    od = collections.OrderedDict([("b", 1.0), ("a", 2.0)])
    g = wire.grad(lambda d: d["a"] * d["b"])(od)
    assert type(g) is collections.OrderedDict and list(g) == ["b", "a"]
    NT = collections.namedtuple("NT", "x y")
    g = wire.grad(lambda t: t.x * t.y)(NT(1.0, 2.0))
    assert type(g) is NT and (g.x, g.y) == (2.0, 1.0)


# --------------------------------------------------------------------------- stacked linalg

_R = np.random.default_rng(7)
STACK = _R.normal(size=(3, 4, 4)) + 4 * np.eye(4)
SPD_STACK = STACK @ STACK.transpose(0, 2, 1)

STACKED = [
    ("solve", lambda a, b: wsl.solve(a, b), lambda a, b: sl.solve(a, b), (STACK, np.ones(4))),
    ("solve-k", lambda a, b: wsl.solve(a, b), lambda a, b: sl.solve(a, b),
     (STACK, _R.normal(size=(2, 3, 4, 2)))),
    ("solve-shared-a", lambda a, b: wsl.solve(a, b), lambda a, b: sl.solve(a, b),
     (STACK[0], _R.normal(size=(3, 4, 2)))),
    ("solve-pos", lambda a, b: wsl.solve(a, b, assume_a="pos"),
     lambda a, b: sl.solve(a, b, assume_a="pos"), (SPD_STACK, np.ones((3, 4, 1)))),
    ("lu", wsl.lu, sl.lu, (STACK,)),
    ("lu-rect-p_indices", lambda a: wsl.lu(a, p_indices=True),
     lambda a: sl.lu(a, p_indices=True), (_R.normal(size=(2, 3, 5, 2)),)),
    ("lu_factor", wsl.lu_factor, sl.lu_factor, (STACK,)),
    ("lstsq", wsl.lstsq, sl.lstsq, (STACK, np.ones((3, 4, 1)))),
    ("lstsq-tall", wsl.lstsq, sl.lstsq, (_R.normal(size=(3, 5, 2)), _R.normal(size=(3, 5, 2)))),
    ("sqrtm", wsl.sqrtm, sl.sqrtm, (SPD_STACK,)),
    ("solve-empty-batch", lambda a, b: wsl.solve(a, b), lambda a, b: sl.solve(a, b),
     (np.ones((0, 4, 4)), np.ones(4))),
]


@pytest.mark.parametrize("f, ref, args", [c[1:] for c in STACKED], ids=[c[0] for c in STACKED])
def test_traced_stacks_are_batched_as_scipy_does(f, ref, args):
    # SciPy >= 1.15 batches a (..., m, n) stack; traced wire refused it (ShapeError)
    want = wire.tree.leaves(ref(*args))
    for got in [wire.jit(f)(*args), wire.evaluate(wire.trace(f, *args), *args)]:
        got = wire.tree.leaves(got)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert (np.shape(g), np.asarray(g).dtype) == (np.shape(w), np.asarray(w).dtype)
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["solve", "lu", "lu_factor", "lstsq", "sqrtm"])
def test_gradients_over_a_stack_are_the_per_matrix_gradients(name):
    f = {
        "solve": lambda a: wnp.sum(wsl.solve(a, VEC.repeat(2)) ** 2),
        "lu": lambda a: wnp.sum(wsl.lu(a)[2] ** 2),
        "lu_factor": lambda a: wnp.sum(wsl.lu_factor(a)[0] ** 2),
        "lstsq": lambda a: wnp.sum(wsl.lstsq(a, VEC.repeat(2))[0] ** 2),
        "sqrtm": lambda a: wnp.sum(wsl.sqrtm(a) ** 2),
    }[name]
    a = SPD_STACK if name == "sqrtm" else STACK
    loop = np.stack([wire.grad(f)(m) for m in a])
    np.testing.assert_allclose(wire.grad(f)(a), loop, rtol=1e-10)
    np.testing.assert_allclose(wire.jit(wire.grad(f))(a), loop, rtol=1e-10)


# --------------------------------------------------------------------------- signed zeros


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_median_and_quantile_give_numpys_sign_of_zero(dtype):
    # np.median's mean sums from +0.0 and np.quantile's weight at the last position is
    # pos + 1: wire gave -0.0 for median([-0.0, -0.0]), nanmedian of a 2-D stack of zeros
    # and quantile([-0.0], q), where NumPy gives +0.0 / -0.0 / -0.0
    x = np.array([[0.0, -0.0, np.nan, 1.5], [-np.inf, 2.0, -0.0, 3.0],
                  [-0.0, -0.0, np.nan, -0.0]], dtype)
    cases = [
        (lambda m, a: m.median(a), x[2, [0, 1]]), (lambda m, a: m.median(a), x[2, [0, 1, 3]]),
        (lambda m, a: m.nanmedian(a, axis=1), x), (lambda m, a: m.nanmedian(a, axis=0), x),
        (lambda m, a: m.nanmedian(a, axis=(0, 1)), x),
        (lambda m, a: m.nanmedian(a, axis=1, keepdims=True), x),
    ]
    for q in [0.0, 0.5, 1.0, [0.1, 0.9, 1.0]]:
        for a in [np.array([-0.0], dtype), np.array([-0.0, -0.0], dtype), x[2]]:
            cases.append((lambda m, a, q=q: m.quantile(a, q), a))
            cases.append((lambda m, a, q=q: m.nanquantile(a, q), a))
    for f, a in cases:
        assert bits(wire.jit(lambda v: f(wnp, v))(a)) == bits(f(np, a))
