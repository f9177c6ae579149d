"""Drop-in parity of wire's JAX/optax-compatible namespaces: JAX's and optax's argument
names, keywords and defaults on ``wire.lax``, ``wire.random``, ``wire.optim`` and the other
ported namespaces, each checked against JAX/optax themselves (values and derivatives)."""

import numpy as np
import pytest

from selection import skip_unless_slow

import wire
from wire import lax

S = pytest.mark.slow  # cases run with -m slow only (skip_unless_slow)

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jlax = jax.lax
jnp = jax.numpy


def close(got, want, rtol=1e-12, atol=0.0):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- wire.lax


def test_cond_jax_keywords():
    t, f = (lambda x: x * 3.0), (lambda x: x - 1.0)
    for pred in (True, False):
        want = jlax.cond(pred, true_fun=t, false_fun=f, operand=2.0)
        close(lax.cond(pred, true_fun=t, false_fun=f, operand=2.0), want)
        close(lax.cond(pred, t, f, operand=2.0), want)
        close(lax.cond(pred, true_fn=t, false_fn=f, operand=2.0), want)  # wire's names
        close(lax.cond(pred, t, f, 2.0), want)
    # JAX's deprecated five-argument form
    close(lax.cond(False, 1.0, t, 5.0, f), jlax.cond(False, 1.0, t, 5.0, f))
    g = wire.grad(lambda x: lax.cond(x > 0, true_fun=lambda v: v * v, false_fun=lambda v: -v,
                                     operand=x))
    close(g(3.0), jax.grad(lambda x: jlax.cond(x > 0, true_fun=lambda v: v * v,
                                               false_fun=lambda v: -v, operand=x))(3.0))
    with pytest.raises(wire.WireError, match="operand= and positional"):
        lax.cond(True, t, f, 1.0, operand=2.0)
    with pytest.raises(wire.WireError, match="name one argument"):
        lax.cond(True, t, f, true_fn=t)


def test_switch_operand_keyword():
    fs = [lambda x: x + 1.0, lambda x: x * 10.0, lambda x: -x]
    for i in (-1, 0, 1, 2, 7):
        close(lax.switch(i, fs, operand=2.0), jlax.switch(i, fs, operand=2.0))
        close(lax.switch(i, branches=fs, operand=2.0), jlax.switch(i, branches=fs, operand=2.0))
    with pytest.raises(wire.WireError, match="operand="):
        lax.switch(0, fs, 1.0, operand=2.0)


def test_while_and_fori_jax_names():
    c, b = (lambda v: v[0] < 5), (lambda v: (v[0] + 1, v[1] * 1.5))
    want = jlax.while_loop(cond_fun=c, body_fun=b, init_val=(0, 1.0))
    got = lax.while_loop(cond_fun=c, body_fun=b, init_val=(0, 1.0))
    close(got[1], want[1])
    assert int(got[0]) == int(want[0])
    close(lax.while_loop(cond_fn=c, body_fn=b, init=(0, 1.0))[1], want[1])
    body = lambda i, x: x * 2.0 + i  # noqa: E731
    want = jlax.fori_loop(0, 4, body_fun=body, init_val=1.0)
    close(lax.fori_loop(0, 4, body_fun=body, init_val=1.0), want)
    close(lax.fori_loop(0, 4, body_fn=body, init=1.0), want)
    close(lax.fori_loop(0, 4, body, init_val=1.0, unroll=2), want)
    f = lambda x: lax.fori_loop(0, 3, body_fun=lambda i, v: v * x, init_val=1.0)  # noqa: E731
    jf = lambda x: jlax.fori_loop(0, 3, body_fun=lambda i, v: v * x, init_val=1.0)  # noqa: E731
    close(wire.grad(f)(2.0), jax.grad(jf)(2.0))
    with pytest.raises(wire.WireError, match="missing argument 'init_val'"):
        lax.fori_loop(0, 3, body)
    # wire's top-level names keep their own signatures
    assert wire.fori_loop(0, 4, body_fn=body, init=1.0) == 27.0


def test_nextafter_names():
    x1, x2 = np.array([0.0, 1.0, -0.0, np.inf]), np.array([1.0, 0.0, -1.0, 0.0])
    close(lax.nextafter(x1=x1, x2=x2), jlax.nextafter(x1=x1, x2=x2))


@pytest.mark.parametrize("axis", [0, pytest.param(1, marks=S), pytest.param(-2, marks=S), -1,
                                  pytest.param(2, marks=S)])
def test_top_k_axis(axis, request):
    skip_unless_slow(request)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (3, 5, 4)).astype(float)
    x[0, 0, 0], x[1, 2, 3] = np.nan, -0.0
    got, want = lax.top_k(x, 2, axis=axis), jlax.top_k(x, 2, axis=axis)
    close(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert got[1].dtype == want[1].dtype
    g = wire.grad(lambda v: lax.top_k(v, 2, axis=axis)[0].sum())(x)
    close(g, jax.grad(lambda v: jlax.top_k(v, 2, axis=axis)[0].sum())(x))
    with pytest.raises(wire.WireError):
        lax.top_k(x, 2, axis=3)


DYN = [(lax.dynamic_slice, jlax.dynamic_slice, lambda s: ((s,), (2,))),
       (lax.dynamic_slice_in_dim, jlax.dynamic_slice_in_dim, lambda s: (s, 2)),
       (lax.dynamic_index_in_dim, jlax.dynamic_index_in_dim, lambda s: (s,)),
       (lax.dynamic_update_slice, jlax.dynamic_update_slice,
        lambda s: (np.array([-1.0, -2.0]), (s,))),
       (lax.dynamic_update_slice_in_dim, jlax.dynamic_update_slice_in_dim,
        lambda s: (np.array([-1.0, -2.0]), s, 0)),
       (lax.dynamic_update_index_in_dim, jlax.dynamic_update_index_in_dim,
        lambda s: (np.array(-1.0), s, 0))]


@pytest.mark.parametrize("k", [0, pytest.param(1, marks=S), 2, 3, pytest.param(4, marks=S),
                               pytest.param(5, marks=S)])
def test_allow_negative_indices(k, request):
    skip_unless_slow(request)
    wf, jf, args = DYN[k]
    x = np.arange(10.0)
    for start in (-3, 0, 4, 9, -12):
        want = jf(x, *args(start), allow_negative_indices=True)
        close(wf(x, *args(start), allow_negative_indices=True), want)
        close(wf(x, *args(start)), want)
        # traced starts: a negative one is clamped to 0, not counted from the end
        jw = jax.jit(lambda x, s: jf(x, *args(s), allow_negative_indices=False))
        ww = wire.jit(lambda x, s: wf(x, *args(s), allow_negative_indices=False))
        close(ww(x, np.int64(start)), jw(x, np.int64(start)))
        if start >= 0:
            close(wf(x, *args(start), allow_negative_indices=False),
                  jf(x, *args(start), allow_negative_indices=False))
        else:  # a concrete negative start with allow_negative_indices=False: an error
            # (JAX's as well, but for dynamic_index_in_dim, which traces it and clamps)
            with pytest.raises(wire.WireError, match="allow_negative_indices=False"):
                wf(x, *args(start), allow_negative_indices=False)


def test_allow_negative_indices_per_axis():
    x = np.arange(12.0).reshape(3, 4)
    f = wire.jit(lambda x, i, j: lax.dynamic_slice(x, (i, j), (1, 2),
                                                   allow_negative_indices=[True, False]))
    jf = jax.jit(lambda x, i, j: jlax.dynamic_slice(x, (i, j), (1, 2),
                                                    allow_negative_indices=[True, False]))
    close(f(x, np.int32(-1), np.int32(-1)), jf(x, np.int32(-1), np.int32(-1)))
    g = wire.grad(lambda x: lax.dynamic_slice(x, (-1, 1), (1, 2),
                                              allow_negative_indices=(True, False)).sum())(x)
    close(g, jax.grad(lambda x: jlax.dynamic_slice(
        x, (-1, 1), (1, 2), allow_negative_indices=(True, False)).sum())(x))
    with pytest.raises(wire.WireError, match="allow_negative_indices has 1 entries"):
        lax.dynamic_slice(x, (0, 0), (1, 1), allow_negative_indices=[True])


def test_mul_out_dtype():
    cases = [(np.float32(1.1), np.float32(3.0), np.float64),
             (np.int8(100), np.int8(3), np.int32),
             (np.float64(1.1), np.float64(3.0), np.float32),
             (np.array([1.5, -2.5], np.float32), np.array([2, 3], np.int32), np.float64)]
    for x, y, dt in cases:
        close(lax.mul(x, y, out_dtype=dt), jlax.mul(x, y, out_dtype=dt))
    x = np.array([1.5, 2.0], np.float32)
    g = wire.grad(lambda v: lax.mul(v, v, out_dtype=np.float64).sum())(x)
    close(g, jax.grad(lambda v: jlax.mul(v, v, out_dtype=jnp.float64).sum())(x))
    with pytest.raises(wire.WireError):
        lax.mul(np.ones(3), np.ones((1, 3)), out_dtype=np.float64)


def test_dot_dimension_numbers():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 5))
    dn = (((2,), (1,)), ((0,), (0,)))
    close(lax.dot(a, b, dimension_numbers=dn), jlax.dot(a, b, dimension_numbers=dn))
    m, v = rng.normal(size=(3, 4)), rng.normal(size=4)
    close(lax.dot(m, v), jlax.dot(m, v))
    g = wire.grad(lambda a: lax.dot(a, b, dimension_numbers=dn).sum())(a)
    close(g, jax.grad(lambda a: jlax.dot(a, b, dimension_numbers=dn).sum())(a))


# --------------------------------------------------------------------------- wire.random

random = wire.random


def test_random_new_defaults_keep_the_streams():
    """JAX's defaults (randint dtype=None, truncated_normal shape=None, bits dtype=None,
    permutation of a vector with independent=True) give the numbers wire gave before."""
    k = random.key(3)
    np.testing.assert_array_equal(random.randint(k, (7,), 0, 10),
                                  random.randint(k, (7,), 0, 10, np.int64))
    assert random.randint(k, (7,), 0, 10, None).dtype == np.int64
    np.testing.assert_array_equal(random.truncated_normal(k, -1.0, 1.0),
                                  random.truncated_normal(k, -1.0, 1.0, ()))
    assert random.truncated_normal(k, -1.0, 1.0, None).shape == ()
    np.testing.assert_array_equal(random.bits(k, (5,)), random.bits(k, (5,), np.uint64))
    x = np.arange(9.0)
    np.testing.assert_array_equal(random.permutation(k, x, independent=True),
                                  random.permutation(k, x))
    # array bounds broadcast as in JAX (shape=None: the bounds' shape)
    assert random.truncated_normal(k, np.zeros(2), 1.0).shape == (2,)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64])
def test_bits_dtype(dtype):
    k = random.key(1)
    b = random.bits(k, (4000,), dtype)
    assert b.dtype == dtype and b.shape == (4000,)
    np.testing.assert_array_equal(wire.jit(lambda k: random.bits(k, (4000,), dtype))(k), b)
    width = 8 * np.dtype(dtype).itemsize
    # each bit is 1 half of the time (4000 draws: 5 sigma is 0.04)
    ones = [(b >> np.array(i, dtype)) & np.array(1, dtype) for i in range(width)]
    assert np.all(np.abs(np.mean(ones, axis=1) - 0.5) < 0.04)
    with pytest.raises(wire.WireError, match="unsigned"):
        random.bits(k, (2,), np.int32)
    with pytest.raises(ValueError):
        jax.random.bits(jax.random.key(0), (2,), jnp.int32)


def test_categorical_without_replacement():
    logits = np.array([[0.0, -50, -100, -150, -200], [-200, -150, -100, -50, 0.0]])
    for shape, axis, lg in [((3, 2), -1, logits), ((2,), -1, logits), ((2, 2, 2), -1, logits),
                            ((2, 2), 0, logits.T)]:
        got = random.categorical(random.key(0), lg, axis=axis, shape=shape, replace=False)
        want = jax.random.categorical(jax.random.key(0), lg, axis=axis, shape=shape,
                                      replace=False)
        np.testing.assert_array_equal(got, want)  # the order is certain with these logits
    f = wire.jit(lambda k, lg: random.categorical(k, lg, shape=(3, 2), replace=False))
    np.testing.assert_array_equal(f(random.key(5), logits),
                                  random.categorical(random.key(5), logits, shape=(3, 2),
                                                     replace=False))
    # the distribution of ordered pairs: p_i p_j / (1 - p_i) (Plackett-Luce)
    p, n = np.array([0.5, 0.3, 0.2]), 20000
    draws = random.categorical(random.key(1), np.log(np.tile(p, (n, 1))), shape=(2, n),
                               replace=False)
    assert np.all(draws[0] != draws[1])
    for i in range(3):
        for j in range(3):
            if i != j:
                q = p[i] * p[j] / (1 - p[i])
                freq = np.mean((draws[0] == i) & (draws[1] == j))
                assert abs(freq - q) < 5 * np.sqrt(q * (1 - q) / n), (i, j, freq, q)
    with pytest.raises(wire.WireError, match="3 samples without replacement from 2"):
        random.categorical(random.key(0), np.zeros(2), shape=(3,), replace=False)
    with pytest.raises(wire.WireError, match="above -inf"):
        random.categorical(random.key(0), np.array([0.0, -np.inf, 0.0]), shape=(3,),
                           replace=False)


def test_permutation_independent():
    x = np.tile(np.arange(3), (6000, 1))
    got = random.permutation(random.key(2), x, axis=1, independent=True)
    np.testing.assert_array_equal(np.sort(got, axis=1), x)
    codes = got @ np.array([9, 3, 1])
    counts = np.array([np.sum(codes == c) for c in np.unique(codes)])
    assert len(counts) == 6 and np.all(np.abs(counts - 1000) < 5 * np.sqrt(1000 * 5 / 6))
    f = wire.jit(lambda k, x: random.permutation(k, x, axis=1, independent=True))
    np.testing.assert_array_equal(f(random.key(2), x), got)
    # along axis 0: each column its own permutation of the column
    y = np.arange(20.0).reshape(5, 4)
    got = random.permutation(random.key(2), y, 0, True)
    np.testing.assert_array_equal(np.sort(got, axis=0), y)
    assert not np.all(np.argsort(got, axis=0) == np.argsort(got[:, :1], axis=0))


def test_modes_and_impl():
    k = random.key(0)
    for mode in ("low", "high"):
        np.testing.assert_array_equal(random.bernoulli(k, 0.3, (5,), mode=mode),
                                      random.bernoulli(k, 0.3, (5,)))
        jax.random.bernoulli(jax.random.key(0), 0.3, (5,), mode=mode)
    for mode in (None, "low", "high", "highest"):
        np.testing.assert_array_equal(random.gumbel(k, (5,), mode=mode), random.gumbel(k, (5,)))
        np.testing.assert_array_equal(random.categorical(k, np.zeros(4), mode=mode),
                                      random.categorical(k, np.zeros(4)))
    # bernoulli is exact for small p: 53-bit uniforms (JAX's float32 "low" mode gives 0)
    assert np.mean(random.bernoulli(k, 1e-9, (100000,))) == 0.0
    assert np.mean(random.bernoulli(k, 0.999999, (100000,))) > 0.99
    with pytest.raises(wire.WireError, match="mode"):
        random.bernoulli(k, 0.5, mode="highest")
    with pytest.raises(ValueError):
        jax.random.bernoulli(jax.random.key(0), 0.5, mode="highest")
    with pytest.raises(wire.WireError, match="mode"):
        random.gumbel(k, mode="medium")
    np.testing.assert_array_equal(random.key(7, impl=None), random.key(7))
    np.testing.assert_array_equal(random.PRNGKey(7, impl=None), random.key(7))
    for f in (random.key, random.PRNGKey):
        with pytest.raises(wire.WireError, match="impl='threefry2x32' is not supported"):
            f(0, impl="threefry2x32")
    with pytest.raises(wire.WireError, match="dtype"):
        random.key(0, dtype="rbg")


# --------------------------------------------------------------------------- wire.optim

optax = pytest.importorskip("optax")
optim = wire.optim


@pytest.mark.parametrize("ord_, axis, keepdims", [
    (None, None, False), pytest.param(None, None, True, marks=S), (1, None, False),
    pytest.param(None, 1, False, marks=S), (2, 0, True), pytest.param(-np.inf, 1, False, marks=S),
    pytest.param("fro", (0, 1), True, marks=S), pytest.param("nuc", None, False, marks=S)])
def test_safe_norm_against_optax(ord_, axis, keepdims, request):
    skip_unless_slow(request)
    x = np.array([[3.0, -4.0, 0.5], [0.0, 0.0, 0.0], [1e-3, 2e-3, -1e-3]])
    for min_norm in (0.0, 0.01):
        want = optax.safe_norm(x, min_norm, ord=ord_, axis=axis, keepdims=keepdims)
        got = optim.safe_norm(x, min_norm, ord=ord_, axis=axis, keepdims=keepdims)
        close(got, want, rtol=1e-12)

        def loss(lib, nrm):
            return lambda v: (nrm(v, min_norm, ord=ord_, axis=axis, keepdims=keepdims)
                              * lib.arange(1.0, 1.0 + np.size(want)).reshape(np.shape(want))
                              ).sum()
        gw = jax.grad(loss(jnp, optax.safe_norm))(x)
        gg = wire.grad(loss(np, optim.safe_norm))(x)
        assert np.all(np.isfinite(gg))
        # where x is 0, |x|'s derivative is 0 in wire, 1 in JAX (both subgradients)
        close(np.where(x == 0, 0.0, gg), np.where(x == 0, 0.0, gw), rtol=1e-9, atol=1e-12)


def test_optax_argument_names():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    close(optim.global_norm(updates=g), optax.global_norm(updates=g))
    close(optim.global_norm(tree=g), optax.global_norm(g))
    with pytest.raises(wire.WireError, match="updates"):
        optim.global_norm(g, tree=g)
    for t, o in [(optim.scale_by_schedule(step_size_fn=lambda n: 0.5 ** n),
                  optax.scale_by_schedule(step_size_fn=lambda n: 0.5 ** n)),
                 (optim.scale_by_schedule(schedule=lambda n: 0.5 ** n),
                  optax.scale_by_schedule(lambda n: 0.5 ** n)),
                 (optim.scale_by_learning_rate(), optax.scale_by_learning_rate()),
                 (optim.scale_by_learning_rate(None, flip_sign=False),
                  optax.scale_by_learning_rate(None, flip_sign=False)),
                 (optim.scale_by_learning_rate(0.1), optax.scale_by_learning_rate(0.1))]:
        st, so = t.init(g), o.init(g)
        for _ in range(3):
            ut, st = t.update(g, st)
            uo, so = o.update(g, so)
            for k in g:
                close(ut[k], uo[k])
    for bs in (None, {}, {3: 0.5, 5: 0.0, 1: 2.0}):
        s, so = optim.piecewise_constant_schedule(0.3, bs), optax.piecewise_constant_schedule(
            0.3, bs)
        for step in range(8):
            np.testing.assert_allclose(float(s(step)), float(so(step)), rtol=1e-15)
    with pytest.raises(wire.WireError, match=">= 0"):
        optim.piecewise_constant_schedule(1.0, {2: -0.5})
    with pytest.raises(ValueError):
        optax.piecewise_constant_schedule(1.0, {2: -0.5})


# --------------------------------------------------------------------------- fft, signal, nn


@pytest.mark.parametrize("dtype", [None, np.float32, pytest.param(np.float16, marks=S),
                                   pytest.param(np.complex64, marks=S), np.int32])
def test_fftfreq_dtype(dtype, request):
    skip_unless_slow(request)
    from wire.numpy import fft
    for n, d in [(5, 0.3), (8, 1.0), (1, 2.0)]:
        want = jnp.fft.fftfreq(n, d, dtype=dtype)
        close(fft.fftfreq(n, d, dtype=dtype), want, rtol=1e-15)
        if dtype is None or np.dtype(dtype).kind != "i":
            close(fft.rfftfreq(n, d, dtype=dtype), jnp.fft.rfftfreq(n, d, dtype=dtype),
                  rtol=1e-15)
    np.testing.assert_array_equal(fft.fftfreq(7, 0.1), np.fft.fftfreq(7, 0.1))
    with pytest.raises(wire.WireError, match="dtype=int32"):
        fft.rfftfreq(4, dtype=np.int32)


def test_signal_precision_and_detrend_default():
    from wire.scipy import signal
    import jax.scipy.signal as jss
    rng = np.random.default_rng(3)
    a, k = rng.normal(size=(6, 5)), rng.normal(size=(3, 2))
    import scipy.signal as ss
    for f in ("convolve", "correlate", "convolve2d", "correlate2d"):
        want = getattr(ss, f)(a, k, mode="same")
        close(getattr(signal, f)(a, k, mode="same", precision="highest"), want, rtol=1e-12,
              atol=1e-14)
    g = wire.grad(lambda a: (signal.correlate2d(a, k, precision=None) ** 2).sum())(a)
    close(g, jax.grad(lambda a: (jss.correlate2d(a, k, precision=None) ** 2).sum())(a),
          rtol=1e-12)
    x = rng.normal(size=20)
    close(signal.detrend(x, overwrite_data=None), ss.detrend(x), rtol=1e-10, atol=1e-13)


FAN_CASES = [((4, 5), -2, -1, ()), ((3, 3, 4, 8), -2, -1, ()), ((6, 3, 7), 0, 1, ()),
             ((6, 3, 7), (0, 2), 1, ()), ((2, 6, 3, 7), 1, -1, 0), ((5, 4, 3), [0], [2], [1])]


@pytest.mark.parametrize("shape, in_axis, out_axis, batch_axis",
                         FAN_CASES[:1] + [pytest.param(*c, marks=S) for c in FAN_CASES[1:4]]
                         + FAN_CASES[4:])
def test_initializer_axes(shape, in_axis, out_axis, batch_axis, request):
    skip_unless_slow(request)
    from wire.nn import initializers as wi
    from jax._src.nn.initializers import _compute_fans
    fan_in, fan_out = _compute_fans(shape, in_axis, out_axis, batch_axis)
    np.testing.assert_allclose(wi._axis_fans(shape, in_axis, out_axis, batch_axis),
                               (fan_in, fan_out))
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
         "fan_geo_avg": np.sqrt(fan_in * fan_out)}
    for mode in n:
        init = wi.variance_scaling(3.0, mode, "uniform", in_axis, out_axis, batch_axis,
                                   np.float32)
        w = np.concatenate([init(wire.random.key(i), shape).ravel() for i in range(50)])
        assert w.dtype == np.float32
        lim = np.sqrt(3.0 * 3.0 / n[mode])  # JAX's bound: uniform(-1, 1) * sqrt(3 var)
        assert np.abs(w).max() <= lim and np.abs(w).max() > 0.9 * lim
    for name in ("glorot_uniform", "he_normal", "lecun_uniform", "xavier_normal",
                 "kaiming_uniform"):
        w = getattr(wi, name)(in_axis, out_axis, batch_axis, np.float32)(wire.random.key(0),
                                                                         shape)
        assert w.dtype == np.float32 and w.shape == shape


def test_initializer_defaults_and_orthogonal():
    from wire.nn import initializers as wi
    k = wire.random.key(0)
    # the default axes give the values they gave before
    np.testing.assert_array_equal(wi.glorot_uniform()(k, (3, 4, 5)),
                                  wi.variance_scaling(1.0, "fan_avg", "uniform")(k, (3, 4, 5)))
    for f in (wi.constant(2.5, np.float32), wi.normal(1.0, np.float32),
              wi.uniform(1.0, np.float32), wi.truncated_normal(1.0, np.float32),
              wi.orthogonal(2.0, 0, np.float32)):
        assert f(k, (3, 4)).dtype == np.float32
        assert f(k, (3, 4), np.float64).dtype == np.float64
    for axis in (0, 1, -1, 2, -3):
        q = wi.orthogonal(2.0, axis)(k, (3, 4, 5))
        m = np.moveaxis(q, axis, -1).reshape(-1, q.shape[axis]) / 2.0
        gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(gram, np.eye(len(gram)), atol=1e-12)
    np.testing.assert_array_equal(wi.orthogonal()(k, (4, 6)), wi.orthogonal(1.0, -1)(k, (4, 6)))
    assert wi.orthogonal()(k, (0, 3)).shape == (0, 3)
    # stddev is the untruncated one (JAX's): 0.5 * truncnorm(-1, 3)
    from scipy.stats import truncnorm
    t = wi.truncated_normal(0.5, lower=-1.0, upper=3.0)(k, (20000,))
    assert t.min() > -0.5 and t.max() < 1.5
    np.testing.assert_allclose(t.mean(), 0.5 * truncnorm.mean(-1, 3), atol=0.01)
    np.testing.assert_allclose(t.std(), 0.5 * truncnorm.std(-1, 3), atol=0.01)
    with pytest.raises(wire.WireError, match="complex64"):
        wi.normal(1.0)(k, (2,), np.complex64)


def test_split_tuple_num():
    k = random.key(4)
    keys = random.split(k, (2, 3))
    assert keys.shape == (2, 3, 4) and keys.dtype == np.uint32
    np.testing.assert_array_equal(keys.reshape(6, 4), random.split(k, 6))
    np.testing.assert_array_equal(wire.jit(lambda k: random.split(k, (2, 3)))(k), keys)
    assert jax.random.split(jax.random.key(0), (2, 3)).shape == (2, 3)
    assert random.split(k, (0, 2)).shape == (0, 2, 4)


SAMPLERS = [  # (wire call, scipy.stats distribution)
    (lambda k, n: random.exponential(k, (n,)), "expon", ()),
    (lambda k, n: random.laplace(k, (n,)), "laplace", ()),
    (lambda k, n: random.logistic(k, (n,)), "logistic", ()),
    (lambda k, n: random.cauchy(k, (n,)), "cauchy", ()),
    (lambda k, n: random.lognormal(k, 0.7, (n,)), "lognorm", (0.7,)),
    (lambda k, n: random.rayleigh(k, 2.0, (n,)), "rayleigh", (0.0, 2.0)),
    (lambda k, n: random.pareto(k, 3.0, (n,)), "pareto", (3.0,)),
    (lambda k, n: random.weibull_min(k, 2.0, 1.5, (n,)), "weibull_min", (1.5, 0.0, 2.0)),
    (lambda k, n: random.maxwell(k, (n,)), "maxwell", ()),
    (lambda k, n: random.double_sided_maxwell(k, 1.0, 2.0, (n,)), "dsm", ()),
]


@pytest.mark.parametrize("i", range(len(SAMPLERS)))
def test_more_samplers_distribution(i):
    from scipy import stats
    draw, name, args = SAMPLERS[i]
    x = draw(random.key(i), 4000)
    assert x.shape == (4000,) and x.dtype == np.float64 and np.all(np.isfinite(x))
    if name == "dsm":  # |x - loc| / scale is Maxwell
        x, name = np.abs(x - 1.0) / 2.0, "maxwell"
    assert stats.kstest(x, getattr(stats, name)(*args).cdf).pvalue > 1e-3
    # traced keys give the same draws
    np.testing.assert_array_equal(wire.jit(lambda k: draw(k, 4000))(random.key(i)),
                                  draw(random.key(i), 4000))


def test_more_samplers_parameters():
    k = random.key(0)
    assert random.rademacher(k, (50,)).dtype == np.int64
    assert set(random.rademacher(k, (50,), np.int8).tolist()) == {-1, 1}
    assert random.exponential(k, (3,), np.float32).dtype == np.float32
    # pathwise derivatives in the parameters
    z = random.normal(k, (5,))
    g = wire.grad(lambda s: random.lognormal(k, s, (5,)).sum())(0.5)
    np.testing.assert_allclose(g, np.sum(z * np.exp(0.5 * z)), rtol=1e-12)
    e = random.exponential(k, (5,))
    g = wire.grad(lambda b: random.pareto(k, b, (5,)).sum())(2.0)
    np.testing.assert_allclose(g, np.sum(np.exp(e / 2.0) * -e / 4.0), rtol=1e-12)
    assert random.lognormal(k, np.ones((2, 3))).shape == (2, 3)
    assert random.double_sided_maxwell(k, np.zeros(2), 1.0, (3,)).shape == (3, 2)  # JAX's
    with pytest.raises(wire.WireError, match="does not broadcast"):
        random.rayleigh(k, np.ones(3), (2,))


def test_choice():
    k = random.key(0)
    for a, shape, axis in [(5, (3,), 0), (np.arange(12.0).reshape(3, 4), (2, 2), 1),
                           (np.arange(12.0).reshape(3, 4), (2,), 0)]:
        for replace in (True, False):
            for p in (None, np.arange(1.0, 1.0 + (a if np.ndim(a) == 0 else
                                                   np.shape(a)[axis]))):
                got = random.choice(k, a, shape, replace, p, axis)
                sa = np.shape(a)
                assert got.shape == (shape if not sa else sa[:axis] + shape + sa[axis + 1:])
                if not replace:
                    flat = np.moveaxis(got, axis, 0).reshape(np.prod(shape), -1)
                    assert len({tuple(r) for r in flat}) == np.prod(shape)
                f = wire.jit(lambda k: random.choice(k, a, shape, replace, p, axis))
                np.testing.assert_array_equal(f(k), got)
    # frequencies: with p, with and without replacement
    p, n = np.array([0.1, 0.6, 0.3]), 20000
    x = random.choice(random.key(1), 3, (n,), p=p)
    freq = np.bincount(x, minlength=3) / n
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / n))
    first = wire.vmap(lambda k: random.choice(k, 3, (2,), False, p)[0])(
        random.split(random.key(2), 4000))
    freq = np.bincount(first, minlength=3) / 4000
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / 4000))
    want = jax.random.choice(jax.random.key(0), jnp.arange(12.0).reshape(3, 4), (2, 2), False,
                             axis=1)
    assert random.choice(k, np.arange(12.0).reshape(3, 4), (2, 2), False,
                         axis=1).shape == want.shape
    assert 0 not in random.choice(k, 3, (50,), p=np.array([0.0, 0.5, 0.5])).tolist()
    with pytest.raises(wire.WireError, match="without replacement"):
        random.choice(k, 3, (4,), replace=False)
    with pytest.raises(wire.WireError, match="only 1 entries"):
        random.choice(k, 3, (2,), False, np.array([0.0, 1.0, 0.0]))
    with pytest.raises(wire.WireError, match="p must be"):
        random.choice(k, 3, (2,), p=np.ones(2))


def test_tree_is_leaf_takes_path():
    import collections
    P = collections.namedtuple("P", "x y")
    tree = {"w": [1.0, (2.0, 3.0)], "b": P(4.0, [5.0, None]), "c": None}
    tests = [lambda p, x: len(p) == 2, lambda p, x: wire.tree.keystr(p) == "['w'][1]",
             lambda p, x: isinstance(x, list) and len(p) > 0, lambda p, x: x is None]
    for is_leaf in tests:
        got = wire.tree.leaves_with_path(tree, is_leaf, is_leaf_takes_path=True)
        want = jax.tree_util.tree_leaves_with_path(tree, is_leaf, is_leaf_takes_path=True)
        assert [wire.tree.keystr(p) for p, _ in got] == [jax.tree_util.keystr(p)
                                                          for p, _ in want]
        assert [x for _, x in got] == [x for _, x in want]
        got = wire.tree.map_with_path(lambda p, x: wire.tree.keystr(p), tree, is_leaf=is_leaf,
                                      is_leaf_takes_path=True)
        want = jax.tree.map_with_path(lambda p, x: jax.tree_util.keystr(p), tree,
                                      is_leaf=is_leaf, is_leaf_takes_path=True)
        assert got == want
    pairs, td = wire.tree.flatten_with_path(tree, tests[0], is_leaf_takes_path=True)
    assert wire.tree.unflatten(td, [x for _, x in pairs]) == tree
    shared = [1.0]
    with pytest.raises(wire.WireError, match="two paths"):
        wire.tree.leaves_with_path([shared, [shared]],
                                   lambda p, x: wire.tree.keystr(p) == "[0]",
                                   is_leaf_takes_path=True)
