"""Functional updates ``x.at[index].get/set/add/mul/min/max`` (issue 12): NumPy's indexing
and its ``ufunc.at`` semantics (the oracle: NumPy itself on a copy), derivatives against
finite differences (repeated indices included), ``jit``, ``vmap``, and the error for
``x[i] = v`` on a tracer."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

MODES = ["set", "add", "mul", "min", "max"]


def numpy_update(x, index, mode, v):
    """The oracle: NumPy on a copy (``x[index] = v`` / ``np.<ufunc>.at``)."""
    z = np.array(x, copy=True)
    v = np.broadcast_to(np.asarray(v).astype(z.dtype), z[index].shape)
    if mode == "set":
        z[index] = v
    else:
        {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}[mode].at(
            z, index, v)
    return z


def update(x, index, mode, v):
    return getattr(x.at[index], mode)(v)


RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 5))
INDICES = [
    0, -1, (1, 2), slice(1, None, 2), (Ellipsis, 3), (None, 2), np.array([0, 2, 2, 3]),
    (np.array([3, 0, 3]), np.array([1, 1, 1])), (slice(None), np.array([4, 0, 4, 4])),
    np.array([[0, 1], [1, 1]]), X[:, 0] > 0, (np.array([-1, -4, -1]), slice(None, 3)),
]


def _values(index, mode, rng):
    shape = X[index].shape
    v = rng.normal(size=shape)
    if mode == "mul":
        v = 1.0 + 0.5 * np.tanh(v)
    return v


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("k", range(len(INDICES)))
def test_values_match_numpy_traced_and_jitted(mode, k):
    index = INDICES[k]
    v = _values(index, mode, np.random.default_rng(k))
    want = numpy_update(X, index, mode, v)
    f = lambda x, v: update(x, index, mode, v)  # noqa: E731
    np.testing.assert_array_equal(wire.jit(f)(X, v), want)
    np.testing.assert_array_equal(wire.evaluate(wire.trace(f, X, v), X, v), want)
    # broadcasting a scalar, and a value of another dtype (cast as NumPy's assignment)
    np.testing.assert_array_equal(wire.jit(lambda x: update(x, index, mode, 2))(X),
                                  numpy_update(X, index, mode, 2))
    xi = np.arange(20, dtype=np.int32).reshape(4, 5)
    got = wire.jit(lambda x: update(x, index, mode, 3.7))(xi)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, numpy_update(xi, index, mode, 3.7))
    np.testing.assert_array_equal(wire.jit(lambda x: x.at[index].get())(X), X[index])


def _directional(fn, args, dirs, eps):
    up = fn(*[a + eps * d for a, d in zip(args, dirs)])
    dn = fn(*[a - eps * d for a, d in zip(args, dirs)])
    return (up - dn) / (2 * eps)


def _fd_check(f, args):
    """grad (reverse and forward mode) of s = sum(w * f(args)) against central differences
    along random directions, and its second derivative likewise."""
    rng = np.random.default_rng(1)
    w = rng.normal(size=wire.jit(f)(*args).shape)
    nums = tuple(range(len(args)))
    s = lambda *a: wnp.sum(f(*a) * w)  # noqa: E731
    dirs = [rng.normal(size=np.shape(a)) for a in args]
    grads = wire.grad(s, argnums=nums)(*args)
    exact = sum(np.sum(g * d) for g, d in zip(grads, dirs))
    np.testing.assert_allclose(exact, _directional(wire.jit(s), args, dirs, 1e-6), rtol=1e-6)
    np.testing.assert_allclose(wire.jvp(s, tuple(args), tuple(dirs))[1], exact, rtol=1e-9)
    # second order: the derivative of <grad s, dirs> along other directions
    others = [rng.normal(size=np.shape(a)) for a in args]
    along = lambda *a: sum(wnp.sum(g * d) for g, d in  # noqa: E731
                           zip(wire.grad(lambda *b: wnp.sum(f(*b) ** 3 * w), argnums=nums)(*a),
                               dirs))
    second = wire.grad(along, argnums=nums)(*args)
    exact2 = sum(np.sum(g * d) for g, d in zip(second, others))
    np.testing.assert_allclose(exact2, _directional(wire.jit(along), args, others, 1e-5),
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("index", [np.array([0, 2, 2, 3, 2]), (slice(None), 1),
                                   (np.array([1, 1]), np.array([4, 4]))],
                         ids=["repeated rows", "a column", "one element twice"])
def test_derivatives_match_finite_differences(mode, index):
    v = _values(index, mode, np.random.default_rng(5))
    _fd_check(lambda x, v: update(x, index, mode, v), [X, v])


def test_set_with_repeats_gives_the_last_writer_the_derivative():
    v = np.array([1.0, 2.0, 3.0])
    g = wire.grad(lambda x, v: wnp.sum(x.at[np.array([0, 0, 0])].set(v)), argnums=(0, 1))(
        np.zeros(3), v)
    np.testing.assert_array_equal(g[1], [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(g[0], [0.0, 1.0, 1.0])


def test_min_max_ties_split_the_derivative():
    x = np.array([1.0, 5.0])
    g = wire.grad(lambda x, v: wnp.sum(x.at[np.array([0, 0])].max(v)), argnums=(0, 1))(
        x, np.array([1.0, 1.0]))
    np.testing.assert_allclose(g[0], [1 / 3, 1.0])
    np.testing.assert_allclose(g[1], [1 / 3, 1 / 3])


def test_mul_by_zero_updates_has_the_exact_derivative():
    x = np.array([2.0, 3.0])
    v = np.array([0.0, 4.0, 5.0])
    idx = np.array([0, 0, 1])
    g = wire.grad(lambda x, v: wnp.sum(x.at[idx].mul(v)), argnums=(0, 1))(x, v)
    np.testing.assert_allclose(g[1], [2.0 * 4.0, 0.0, 3.0])  # d(x0 v0 v1)/dv0 = x0 v1
    np.testing.assert_allclose(g[0], [0.0, 5.0])


@pytest.mark.parametrize("mode", MODES)
def test_under_vmap_matches_a_loop(mode):
    xs = RNG.normal(size=(3, 4, 5))
    vs = 1.0 + 0.5 * np.tanh(RNG.normal(size=(3, 4, 5)))
    idx = np.array([0, 2, 2, 3])
    traced_idx = np.array([[1, 1, 0, 3], [3, 2, 2, 2], [0, 0, 0, 0]])
    f = lambda x, v: update(x, idx, mode, v)  # noqa: E731
    want = np.stack([numpy_update(x, idx, mode, v) for x, v in zip(xs, vs)])
    np.testing.assert_allclose(wire.vmap(f)(xs, vs), want)
    np.testing.assert_allclose(wire.jit(wire.vmap(f, in_axes=(0, None)))(xs, vs[0]),
                               np.stack([numpy_update(x, idx, mode, vs[0]) for x in xs]))
    g = lambda x, i, v: update(x, i, mode, v)  # noqa: E731
    want = np.stack([numpy_update(x, i, mode, v) for x, i, v in zip(xs, traced_idx, vs)])
    np.testing.assert_allclose(wire.vmap(g)(xs, traced_idx, vs), want)
    np.testing.assert_allclose(wire.vmap(g, in_axes=(None, 0, 0))(xs[0], traced_idx, vs),
                               np.stack([numpy_update(xs[0], i, mode, v)
                                         for i, v in zip(traced_idx, vs)]))
    # per-example gradients
    per = wire.vmap(wire.grad(lambda x, v: wnp.sum(f(x, v) ** 2)))(xs, vs)
    loop = np.stack([wire.grad(lambda x: wnp.sum(f(x, v) ** 2))(x) for x, v in zip(xs, vs)])
    np.testing.assert_allclose(per, loop, rtol=1e-12)


def test_against_jax_where_semantics_agree():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    idx = np.array([3, 0, 2])  # unique: JAX leaves the winner of repeated sets unspecified
    v = np.array([1.0, -2.0, 0.5])
    for mode in MODES:
        want = np.asarray(getattr(jnp.asarray(X[:, 0]).at[idx], mode)(v))
        got = wire.jit(lambda x: update(x, idx, mode, v))(X[:, 0])
        np.testing.assert_allclose(got, want, rtol=1e-15)
    rep = np.array([1, 1, 1])
    for mode in ("add", "mul", "min", "max"):  # repeats combine in both
        want = np.asarray(getattr(jnp.asarray(X[:, 0]).at[rep], mode)(v))
        np.testing.assert_allclose(wire.jit(lambda x: update(x, rep, mode, v))(X[:, 0]), want)


def test_assigning_to_a_tracer_is_an_error_that_shows_the_fix():
    def f(x):
        x[0] = 1.0
        return x

    with pytest.raises(wire.WireError) as e:
        wire.jit(f)(np.zeros(3))
    msg = str(e.value)
    assert "x.at[0].set(value)" in msg and "test_at_updates.py" in msg
    assert isinstance(e.value, TypeError)


def test_bad_updates_name_the_problem():
    with pytest.raises(wire.ShapeError, match=r"shape \(3,\) do not broadcast to the shape \(2,\)"):
        wire.jit(lambda x: x.at[:2].set(np.ones(3)))(np.zeros(4))
    with pytest.raises(wire.WireError, match="out of bounds|index 7"):
        wire.jit(lambda x: x.at[7].set(1.0))(np.zeros(4))
    with pytest.raises(wire.WireError, match="mode"):
        wire.jit(lambda x: x.at[0].set(1.0, mode="clip"))(np.zeros(4))
    out = wire.jit(lambda x: x.at[0].add(1.0, unique_indices=True))(np.zeros(2))
    np.testing.assert_array_equal(out, [1.0, 0.0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own, for NaN/inf: the same
def test_special_values_and_empty_selections():
    x = np.array([np.nan, 1.0, -0.0, np.inf])
    for mode in MODES:
        for v in (np.nan, -0.0, -np.inf):
            got = wire.jit(lambda x: update(x, np.array([0, 2, 2]), mode, v))(x)
            want = numpy_update(x, np.array([0, 2, 2]), mode, v)
            np.testing.assert_array_equal(got, want)
            assert np.signbit(got).tolist() == np.signbit(want).tolist()
        got = wire.jit(lambda x: update(x, np.array([], np.intp), mode, 5.0))(x)
        np.testing.assert_array_equal(got, x)
