"""Drop-in gaps: ``unravel_index`` / ``ravel_multi_index`` of traced integer positions (under
``jit``, ``vmap`` and eager traces; NumPy's dtypes, structure and out-of-range errors, where
JAX clips), ``x.at[i].divide(v)`` / ``.power(v)`` (JAX's), and tracers' ``nbytes`` /
``itemsize``. Values against NumPy, updates and their gradients against JAX in float64."""

import inspect
import re

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from oracles import both, close, jax_x64


def _same_tuple(got, want):
    assert isinstance(got, tuple) and len(got) == len(want)
    for g, w in zip(got, want):
        g = np.asarray(g)
        assert g.dtype == np.intp and g.shape == np.shape(w)
        np.testing.assert_array_equal(g, w)


# --------------------------------------------------------------------------- unravel_index


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape, i", [
    ((2, 3, 4), np.array([0, 5, 23, 7, 12])),
    ((2, 3, 4), np.arange(24).reshape(4, 6)),
    ((5,), np.int64(3)),
    ((1, 1), np.array(0)),
    ((3, 2), np.zeros(0, np.int64)),
    ((4, 3), np.array([11, 0], np.int32)),
    ((), np.int64(0)),
])
def test_unravel_index_traced_matches_numpy(shape, i, order):
    want = np.unravel_index(i, shape, order=order)
    for f in both(lambda i: wnp.unravel_index(i, shape, order=order)):
        _same_tuple(f(i), want)
    # the standard idiom: the coordinates of argmax, under jit
    batch = np.atleast_1d(i)
    got = wire.jit(wire.vmap(lambda i: wnp.unravel_index(i, shape, order=order)))(batch)
    want = [np.unravel_index(v, shape, order=order) for v in batch]  # NumPy, one by one
    _same_tuple(got, tuple(np.array([w[k] for w in want], np.intp).reshape(
        batch.shape[:1] + np.shape(i)[1:]) for k in range(len(shape))))


def test_unravel_argmax_idiom_jit_vmap_grad():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    f = lambda x: wnp.unravel_index(wnp.argmax(x), x.shape)  # noqa: E731
    _same_tuple(wire.jit(f)(x), np.unravel_index(np.argmax(x), x.shape))
    xs = rng.normal(size=(5, 2, 3))
    want = np.array([np.unravel_index(np.argmax(v), v.shape) for v in xs]).T
    _same_tuple(wire.jit(wire.vmap(f))(xs), tuple(want))

    jax = jax_x64()
    jnp = jax.numpy
    g = lambda x: x[wnp.unravel_index(wnp.argmax(x), x.shape)] ** 3  # noqa: E731
    jg = jax.grad(lambda x: x[jnp.unravel_index(jnp.argmax(x), x.shape)] ** 3)
    for gr in both(wire.grad(g)):
        close(gr(x), jg(x), rtol=1e-14, atol=0)


@pytest.mark.parametrize("i", [6, -1, np.array([0, 7])])
def test_unravel_index_out_of_range_raises_as_numpy(i):
    with pytest.raises(ValueError) as np_err:
        np.unravel_index(i, (2, 3))
    # known values (an eager trace): NumPy's error at trace time, as a WireError
    f = lambda x: x[wnp.unravel_index(wnp.argmax(x) * 0 + i, (2, 3))].sum()  # noqa: E731
    line = inspect.currentframe().f_lineno - 1
    with pytest.raises(wire.WireValueError, match=rf"test_dropin29\.py:{line}\b"):
        wire.grad(f)(np.ones((2, 3)))
    # traced (jit): when the graph runs, naming unravel_index, the value, the size and the line
    g = wire.jit(lambda i: wnp.unravel_index(i, (2, 3)))
    line = inspect.currentframe().f_lineno - 1
    with pytest.raises(wire.WireValueError) as e:
        g(np.asarray(i))
    assert isinstance(e.value, ValueError)
    msg = str(e.value)
    assert msg.startswith("unravel_index: ") and str(np_err.value) in msg
    assert re.search(rf"test_dropin29\.py:{line}\b", msg)


def test_unravel_index_refusals():
    f = wire.jit(lambda i: wnp.unravel_index(i * 1.0, (2, 3)))
    with pytest.raises(wire.WireTypeError, match="only int indices"):
        f(np.int64(1))
    with pytest.raises(wire.WireValueError, match="order"):
        wire.jit(lambda i: wnp.unravel_index(i, (2, 3), order="K"))(np.int64(1))
    with pytest.raises(wire.WireValueError, match="non-negative"):
        wire.jit(lambda i: wnp.unravel_index(i, (2, -3)))(np.int64(1))
    with pytest.raises(TypeError):
        np.unravel_index(1, (2.5, 3))
    with pytest.raises(wire.WireTypeError, match="must be integers"):  # not truncated to 2
        wire.jit(lambda i: wnp.unravel_index(i, (2.5, 3)))(np.int64(1))
    with pytest.raises(wire.WireTypeError, match="must be integers"):
        wire.jit(lambda i: wnp.ravel_multi_index((i, i), (3, 4.0)))(np.int64(1))
    _same_tuple(wire.jit(lambda i: wnp.unravel_index(i, np.int64(6)))(np.int64(4)),
                np.unravel_index(4, np.int64(6)))


# --------------------------------------------------------------------------- ravel_multi_index


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("mode", ["raise", "wrap", "clip", ("wrap", "clip"), ("clip", "raise")])
def test_ravel_multi_index_traced_matches_numpy(mode, order):
    i = np.array([[0, 2, 1], [1, 0, 2]])
    j = np.array([3, 0, 1])
    if mode != "raise" and mode != ("clip", "raise"):
        i = i + np.array([[-4, 5, 0], [0, 3, -1]])
    if isinstance(mode, tuple) or mode != "raise":
        j = j + np.array([0, -9, 6]) * (mode != ("clip", "raise"))
    want = np.ravel_multi_index((i, j), (3, 4), mode=mode, order=order)
    for f in both(lambda i, j: wnp.ravel_multi_index((i, j), (3, 4), mode=mode, order=order)):
        got = np.asarray(f(i, j))
        assert got.dtype == np.intp and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    vm = wire.jit(wire.vmap(lambda i: wnp.ravel_multi_index((i, j), (3, 4), mode=mode,
                                                            order=order)))
    np.testing.assert_array_equal(vm(i), want)


def test_ravel_unravel_round_trip_and_edges():
    i = np.arange(24)
    f = wire.jit(lambda i: wnp.ravel_multi_index(wnp.unravel_index(i, (2, 3, 4)), (2, 3, 4)))
    np.testing.assert_array_equal(f(i), i)
    # scalar coordinates, an int32 and a bool coordinate (NumPy takes both)
    g = wire.jit(lambda a, b: wnp.ravel_multi_index((a, b), (2, 5)))
    assert int(g(np.int32(1), np.True_)) == np.ravel_multi_index((np.int32(1), True), (2, 5))


def test_ravel_multi_index_out_of_range_and_refusals():
    f = wire.jit(lambda i, j: wnp.ravel_multi_index((i, j), (3, 4)))
    with pytest.raises(wire.WireValueError, match=r"ravel_multi_index.*-1 .*axis 0 with size 3"
                                                  r".*test_dropin29\.py"):
        f(np.array([0, -1]), np.array([0, 1]))
    with pytest.raises(wire.WireValueError, match=r"4 is out of bounds for axis 1 with size 4"):
        f(np.array([0, 1]), np.array([0, 4]))
    assert isinstance(pytest.raises(ValueError, f, np.array([3]), np.array([0])).value,
                      wire.WireError)
    with pytest.raises(wire.WireValueError, match="sequence of length 2"):
        wire.jit(lambda i: wnp.ravel_multi_index((i,), (3, 4)))(np.array([0]))
    with pytest.raises(wire.WireValueError, match="clipmode"):
        wire.jit(lambda i: wnp.ravel_multi_index((i, i), (3, 4), mode="bogus"))(np.array([0]))
    with pytest.raises(wire.WireValueError, match="wrong length"):
        wire.jit(lambda i: wnp.ravel_multi_index((i, i), (3, 4), mode=("wrap",)))(np.array([0]))
    with pytest.raises(wire.WireTypeError, match="only int indices"):
        wire.jit(lambda i: wnp.ravel_multi_index((i, i * 0.5), (3, 4)))(np.array([0]))


# --------------------------------------------------------------------------- .at[].divide / .power


def _traced(fn):
    """``fn`` traced and evaluated, and under ``wire.jit`` (``.at`` is a tracer's)."""
    return [lambda *a: wire.evaluate(wire.trace(fn, *a), *a), wire.jit(fn)]

_IDX = [np.array([0, 2, 0]), np.array([3, 1]), slice(1, None), 2, (np.array([], np.int64),)]


@pytest.mark.parametrize("method", ["divide", "power"])
@pytest.mark.parametrize("k", range(len(_IDX)))
def test_at_divide_power_values_match_jax(method, k):
    jax = jax_x64()
    jnp = jax.numpy
    idx = _IDX[k]
    x = np.array([2.0, 0.5, -1.5, 4.0])
    v = np.array([2.0, 0.5, 3.0][:np.asarray(x[idx]).size]).reshape(np.shape(x[idx]))
    want = np.asarray(getattr(jnp.asarray(x).at[idx], method)(v))
    with np.errstate(invalid="ignore"):
        for f in _traced(lambda x, v: getattr(x.at[idx], method)(v)):
            got = np.asarray(f(x, v))
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)  # NaN of (-1.5) ** 0.5 included


@pytest.mark.parametrize("method", ["divide", "power"])
def test_at_divide_power_dtypes_and_special_values_as_jax(method):
    jax = jax_x64()
    jnp = jax.numpy
    cases = [
        (np.arange(4), 1, 2),                                        # int: divide gives float
        (np.array([1.5, -2.0, 3.0], np.float32), np.array([0, 0]), 2.0),  # repeats, float32
        (np.array([0.0, -0.0, np.inf, np.nan]), np.array([0, 1, 2, 3]),
         np.array([0.0, -0.0, -np.inf, 0.0])),
    ]
    with np.errstate(all="ignore"):
        for x, idx, v in cases:
            want = np.asarray(getattr(jnp.asarray(x).at[idx], method)(v))
            for f in _traced(lambda x: getattr(x.at[idx], method)(v)):
                got = np.asarray(f(x))
                assert got.dtype == want.dtype, (x.dtype, got.dtype, want.dtype)
                np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("method", ["divide", "power"])
def test_at_divide_power_gradients_match_jax(method):
    jax = jax_x64()
    idx = np.array([3, 0])
    x = np.array([1.5, 0.5, 2.0, 0.8])
    v = np.array([1.7, -0.6])

    def f(x, v, **kw):
        return (getattr(x.at[idx], method)(v, **kw) ** 2).sum()

    want = jax.grad(lambda x, v: f(x, v, unique_indices=True), argnums=(0, 1))(x, v)
    for g in both(wire.grad(f, argnums=(0, 1))):
        for got, w in zip(g(x, v), want):
            close(got, w, rtol=1e-13, atol=0)
    # repeated indices (JAX has no scatter_mul gradient for them): against the closed form
    # x / (v0 v1) and x ** (v0 v1) at the repeated position
    rep = np.array([1, 1])
    h = lambda x, v: getattr(x.at[rep], method)(v)[1]  # noqa: E731
    gx, gv = wire.grad(h, argnums=(0, 1))(x, v)
    p = v[0] * v[1]
    if method == "divide":
        dx, dp = 1 / p, -x[1] / p**2
    else:
        dx, dp = p * x[1] ** (p - 1), x[1] ** p * np.log(x[1])
    close(gx, [0, dx, 0, 0], rtol=1e-13, atol=0)
    close(gv, [dp * v[1], dp * v[0]], rtol=1e-13, atol=0)


def test_at_divide_power_vmap_and_refusals():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    i = np.array([2, 0])
    got = wire.jit(wire.vmap(lambda r, j: r.at[j].divide(4.0)))(x, i)
    want = x.copy()
    want[[0, 1], i] /= 4.0
    np.testing.assert_array_equal(got, want)
    with pytest.raises(wire.ShapeError, match=r"x\.at\[\.\.\.\]\.power"):
        wire.jit(lambda x: x.at[0].power(np.ones(2)))(x)
    with pytest.raises(wire.WireTypeError, match="divide.*mode"):
        wire.jit(lambda x: x.at[0].divide(2.0, mode="clip"))(x)


# --------------------------------------------------------------------------- nbytes / itemsize


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int8, np.complex64,
                                   np.bool_])
@pytest.mark.parametrize("shape", [(), (0,), (2, 3)])
def test_tracer_nbytes_itemsize_as_numpy(dtype, shape):
    a = np.zeros(shape, dtype)
    seen = []
    wire.jit(lambda x: seen.append((x.nbytes, x.itemsize)) or x)(a)
    assert seen == [(a.nbytes, a.itemsize)]
    assert all(type(n) is int for n in seen[0])
    # under vmap, one example's, as JAX's batched tracers
    if shape:
        b = np.zeros((5,) + shape, dtype)
        wire.vmap(lambda x: seen.append((x.nbytes, x.itemsize)) or x)(b)
        assert seen[-1] == (a.nbytes, a.itemsize)


def test_array_backends_give_numpys_positions_and_refuse_out_of_range():
    # (the Array-API form: the same coordinates, and the same error, not a clip)
    pytest.importorskip("torch")
    g = wire.trace(lambda i: wnp.unravel_index(i, (2, 3), order="F"), np.arange(6))
    got = wire.evaluate(g, np.arange(6), backend="torch")
    want = np.unravel_index(np.arange(6), (2, 3), order="F")
    assert all(np.array_equal(np.asarray(a), b) for a, b in zip(got, want))
    with pytest.raises(wire.WireValueError, match="unravel_index: index 6 is out of bounds"):
        wire.evaluate(g, np.arange(1, 7), backend="torch")
    h = wire.trace(lambda a, b: wnp.ravel_multi_index((a, b), (3, 4), mode=("clip", "wrap")),
                   np.array([0, 5]), np.array([-1, 9]))
    got = wire.evaluate(h, np.array([0, 5]), np.array([-1, 9]), backend="torch")
    want = np.ravel_multi_index((np.array([0, 5]), np.array([-1, 9])), (3, 4),
                                mode=("clip", "wrap"))
    assert np.array_equal(np.asarray(got), want)
