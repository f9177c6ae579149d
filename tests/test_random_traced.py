"""wire.random with traced keys: under jit, vmap and eager transforms every sampler gives
bit for bit what eager sampling gives for the same key; the raw-bits primitive is NumPy's
Philox; a jitted function takes its key as an input (never a cached constant, in memory or on
disk); gradients flow around samples, never through them; degenerate parameters raise."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire import random as wr
from wire.api import diskcache
from wire.ops import random_bits as R

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOATS = [np.float16, np.float32, np.float64]
SHAPES = [(), (0,), (1,), (3, 4)]
LOGITS = np.log(np.array([0.2, 0.5, 0.3]))

# name -> sampler(key, shape, dtype); the dtype is None for samplers without one
FLOAT_SAMPLERS = {
    "uniform": lambda k, s, dt: wr.uniform(k, s, dt),
    "uniform(1, 2)": lambda k, s, dt: wr.uniform(k, s, dt, 1.0, 2.0),
    "uniform(-3, 5e4)": lambda k, s, dt: wr.uniform(k, s, dt, -3.0, 5e4),
    "uniform(whole range)": lambda k, s, dt: wr.uniform(
        k, s, dt, -np.finfo(dt).max, np.finfo(dt).max),
    "normal": lambda k, s, dt: wr.normal(k, s, dt),
    "gumbel": lambda k, s, dt: wr.gumbel(k, s, dt),
    "truncated_normal(-1, 1)": lambda k, s, dt: wr.truncated_normal(k, -1.0, 1.0, s, dt),
    "truncated_normal(3, inf)": lambda k, s, dt: wr.truncated_normal(k, 3.0, np.inf, s, dt),
}
OTHER_SAMPLERS = {
    "bits": lambda k, s, dt: wr.bits(k, s),
    "bernoulli": lambda k, s, dt: wr.bernoulli(k, 0.3, s),
    "categorical": lambda k, s, dt: wr.categorical(k, LOGITS, shape=s),
    "randint(0, 10)": lambda k, s, dt: wr.randint(k, s, 0, 10),
    "randint(-5, 2**40, int64)": lambda k, s, dt: wr.randint(k, s, -5, 2**40),
    "randint(0, 256, uint8)": lambda k, s, dt: wr.randint(k, s, 0, 256, dtype=np.uint8),
    "permutation": lambda k, s, dt: wr.permutation(k, int(np.prod(s, dtype=int))),
    "permutation of an array": lambda k, s, dt: wr.permutation(
        k, np.arange(np.prod(s, dtype=int) * 2.0).reshape((-1, 2))),
    "split": lambda k, s, dt: wr.split(k, 1 + int(np.prod(s, dtype=int))),
    "fold_in": lambda k, s, dt: wr.fold_in(k, np.arange(-2, np.prod(s, dtype=int) - 2).reshape(s)),
}
CASES = [(name, f, dt) for name, f in FLOAT_SAMPLERS.items() for dt in FLOATS] + [
    (name, f, None) for name, f in OTHER_SAMPLERS.items()]


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, a.shape, b.dtype, b.shape)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name, f, dt", CASES, ids=lambda c: c if isinstance(c, str) else "")
def test_eager_jit_and_vmap_sample_the_same_bits(name, f, dt, shape):
    keys = wr.split(wr.key(7), 3)
    fn = lambda k: f(k, shape, dt)
    eager = np.stack([fn(k) for k in keys])
    jitted = wire.jit(fn)
    same(np.stack([jitted(k) for k in keys]), eager)
    same(wire.vmap(fn)(keys), eager)
    same(wire.jit(wire.vmap(fn))(keys), eager)


@pytest.mark.parametrize("dtype", FLOATS + [np.longdouble])
def test_vmap_of_uniform_converts_all_keys_at_once_exactly(dtype):
    keys = wr.split(wr.key(8), 5)
    for n in (1, 7, 100):  # few words per key: the cipher over all keys; many: NumPy's
        f = lambda k, n=n: wr.uniform(k, (n,), dtype, -2.0, 3.0)
        same(wire.vmap(f)(keys), np.stack([f(k) for k in keys]))


@pytest.mark.parametrize("dtype", FLOATS)
def test_vmap_of_normal_over_many_keys_gives_each_keys_draws(dtype):
    """vmap of normal takes every key's words at once (it made a Philox generator per key),
    then each row through the eager code: the same bits as the keys one by one."""
    keys = wr.split(wr.key(9), 23)
    for shape in [(), (3,), (2, 5), (0,), (130,)]:
        f = lambda k, shape=shape: wr.normal(k, shape, dtype)
        same(wire.vmap(f)(keys), np.stack([f(k) for k in keys]))
        same(wire.jit(wire.vmap(f))(keys), np.stack([f(k) for k in keys]))


def test_jit_of_a_training_step_with_dropout():
    """The JAX idiom: the key is threaded through a jitted step and split inside it."""

    def step(w, key, x):
        key, sub = wr.split(key)
        mask = wr.bernoulli(sub, 0.9, x.shape)
        loss = lambda w: wnp.sum(wnp.where(mask, x * w, 0.0) / 0.9) ** 2
        return w - 0.01 * wire.grad(loss)(w), key

    x = np.linspace(-1.0, 1.0, 16)
    w1, k1 = 0.5, wr.key(0)
    w2, k2 = 0.5, wr.key(0)
    jstep = wire.jit(step)
    for _ in range(3):
        w1, k1 = step(w1, k1, x)
        w2, k2 = jstep(w2, k2, x)
        same(k2, k1)
        np.testing.assert_allclose(w2, w1, rtol=1e-14)
    # the masks really differ between steps (a sample is not a cached constant)
    _, sub1 = wr.split(wr.key(0))
    _, sub2 = wr.split(wr.split(wr.key(0))[0])
    assert not np.array_equal(wr.bernoulli(sub1, 0.9, (16,)), wr.bernoulli(sub2, 0.9, (16,)))


def test_vmap_over_keys_nested_moved_and_of_sizes_0_and_1():
    f = lambda k: wr.normal(k, (3,))
    keys = wr.split(wr.key(1), 6).reshape(2, 3, 4)
    eager = np.stack([np.stack([f(k) for k in row]) for row in keys])
    same(wire.vmap(wire.vmap(f))(keys), eager)
    same(wire.vmap(f, in_axes=1)(keys[0].T), eager[0])  # batch axis after the key words
    same(wire.vmap(f)(keys[0][:1]), eager[0][:1])
    none = np.zeros((0, 4), np.uint32)
    same(wire.vmap(f)(none), np.zeros((0, 3)))
    same(wire.vmap(lambda k: wr.uniform(k, (3,)))(none), np.zeros((0, 3)))  # were errors
    same(wire.vmap(lambda k: wr.bits(k, (3,)))(none), np.zeros((0, 3), np.uint64))
    same(wire.vmap(wr.split)(none), np.zeros((0, 2, 4), np.uint32))
    same(wire.vmap(lambda k: wr.permutation(k, 3))(none), np.zeros((0, 3), np.intp))
    # split and fold_in inside vmap, then a sample from the new keys
    g = lambda k: wr.uniform(wr.fold_in(wr.split(k)[1], 5), (2,))
    same(wire.vmap(g)(keys[1]), np.stack([g(k) for k in keys[1]]))


def test_fold_in_traced_data():
    k = wr.key(9)
    data = np.array([0, -1, 2**62, -(2**63), 12345678901234567])
    same(wire.jit(wr.fold_in)(k, data), wr.fold_in(k, data))
    same(wire.vmap(lambda d: wr.fold_in(k, d))(data), wr.fold_in(k, data))
    keys = wr.split(k, 5)
    same(wire.vmap(wr.fold_in)(keys, data), np.stack([wr.fold_in(a, d) for a, d in zip(keys, data)]))
    same(wire.jit(wr.fold_in)(k, np.int8(-1)), wr.fold_in(k, -1))
    same(wire.jit(lambda k: wr.fold_in(k, 2**64 - 1))(k), wr.fold_in(k, -1))


def test_the_bits_primitive_is_numpys_philox():
    keys = wr.split(wr.key(2**127 + 5), 3)
    for n in (0, 1, 3, 4, 5, 63, 64, 65, 130):  # the vectorised cipher up to 64, then NumPy
        for domain, stream in ((0, 0), (1, 0), (2, 2**64 - 1), (2**63 + 1, 7)):
            want = np.stack([np.random.Philox(
                key=R.key_int(k), counter=(domain << 192) | (stream << 128)).random_raw(n)
                for k in keys]).reshape(3, n)
            got = R.bits_impl(keys, shape=(n,), domain=domain, stream=stream, dtype=np.uint64)
            same(got, want)
            f = lambda k, n=n, d=domain, s=stream: R.bits(k, (n,), d, s)
            same(wire.vmap(f)(keys), want)


def test_jit_takes_the_key_as_an_input():
    traces = []

    def f(k):
        traces.append(1)
        return wr.normal(k, (4,))

    jf = wire.jit(f)
    a, b, a2 = jf(wr.key(1)), jf(wr.key(2)), jf(wr.key(1))
    assert len(traces) == 1
    assert not np.array_equal(a, b)
    same(a, wr.normal(wr.key(1), (4,)))
    same(b, wr.normal(wr.key(2), (4,)))
    same(a2, a)


CHILD = textwrap.dedent("""
    import sys, numpy as np, wire
    from wire import random as wr
    from wire.api import jit as jit_module
    if sys.argv[1] == "cached":
        def refuse(*a, **k):
            raise AssertionError("compiled although the disk cache had the code")
        jit_module.compile_graph = refuse
    f = wire.jit(lambda k, x: x * wr.normal(k, (3,)) + wr.uniform(wr.split(k)[1], (3,)))
    print(repr([f(wr.key(s), np.ones(3)).tolist() for s in (5, 6)]))
""")


@pytest.mark.slow
def test_the_disk_cache_keeps_the_key_an_input(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, WIRE_CACHE_DIR=str(tmp_path))
    env.pop("WIRE_DISK_CACHE", None)

    def run(mode):
        done = subprocess.run([sys.executable, "-c", CHILD, mode], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return eval(done.stdout)  # noqa: S307 - our own child's repr of lists of floats

    want = [(wr.normal(wr.key(s), (3,)) + wr.uniform(wr.split(wr.key(s))[1], (3,))).tolist()
            for s in (5, 6)]
    assert run("fresh") == want
    cache = tmp_path / f"jit-v{diskcache.VERSION}"
    assert [p for p in os.listdir(cache) if p.endswith(".json")]
    assert run("cached") == want  # a second process, served from the disk cache


def test_gradients_flow_around_samples():
    k = wr.key(4)
    z = wr.normal(k, (3,))

    def loss(w, key):
        return wnp.sum(w * wr.normal(key, (3,))) + wnp.sum(w**2)

    w = np.array([0.5, -1.0, 2.0])
    same(wire.grad(loss)(w, k), z + 2 * w)
    same(wire.jit(wire.grad(loss))(w, k), z + 2 * w)
    with pytest.raises(wire.NonDifferentiableError):
        wire.grad(loss, argnums=1)(w, k)  # a key has no gradient


def test_categorical_with_traced_logits_has_no_gradient_through_the_sample():
    k = wr.key(11)
    logits = np.array([0.3, -1.0, 2.0, -np.inf])

    def f(lg, key):
        i = wr.categorical(key, lg)
        return lg[i] + wnp.sum(wnp.where(wnp.isfinite(lg), lg, 0.0) ** 2)

    i = int(wr.categorical(k, logits))
    want = np.where(np.isfinite(logits), 2 * logits, 0.0)
    want[i] += 1.0
    for g in (wire.grad(f), wire.jit(wire.grad(f))):
        same(g(logits, k), want)
    draws = wire.vmap(lambda kk: wr.categorical(kk, logits))(wr.split(k, 2000))
    assert (draws != 3).all()  # a -inf logit is never drawn
    assert (wr.categorical(k, np.array([0.0, np.inf, 5.0]), shape=(50,)) == 1).all()
    np.testing.assert_allclose(np.bincount(draws, minlength=4)[:3] / 2000,
                               np.exp(logits[:3]) / np.exp(logits[:3]).sum(), atol=0.04)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the whole range
@pytest.mark.parametrize("dtype", FLOATS)
def test_traced_uniform_bounds_give_the_same_bits_and_their_gradient(dtype):
    k = wr.key(6)
    lo, hi = np.array([-3.0, 0.0, 1.0, 1.0], dtype), np.array([5e4, 0.0, 2.0, 1.0 + 2**-8], dtype)
    f = lambda lo, hi, k: wr.uniform(k, (5000, 4), dtype, lo, hi)
    eager = f(lo, hi, k)
    assert (eager >= lo).all() and (eager < np.maximum(hi, np.nextafter(lo, 1))).all()
    same(wire.jit(f)(lo, hi, k), eager)
    same(f(lo, hi, wire.stop_gradient(k)), eager)
    same(wire.jit(lambda lo, hi: f(lo, hi, k))(lo, hi), eager)
    same(wire.vmap(f, in_axes=(0, 0, None))(np.stack([lo, lo]), np.stack([hi, hi]), k),
         np.stack([eager, eager]))
    big = np.finfo(dtype).max
    same(wire.jit(lambda a: wr.uniform(k, (7,), dtype, -a, a))(big),
         wr.uniform(k, (7,), dtype, -big, big))  # a span beyond the range is interpolated
    u = wr.uniform(k, (3,), dtype)
    loss = lambda lo, hi: wnp.sum(wr.uniform(k, (3,), dtype, lo, hi))
    glo, ghi = wire.grad(loss, argnums=(0, 1))(dtype(-1.0), dtype(2.0))
    np.testing.assert_allclose([glo, ghi], [np.sum(1 - u), np.sum(u)], rtol=1e-3)


def test_traced_bernoulli_probabilities():
    k = wr.key(2)
    p = np.array([0.0, 1.0, 0.25, 0.75])
    same(wire.jit(lambda p: wr.bernoulli(k, p))(p), wr.bernoulli(k, p))
    same(wire.jit(lambda p, k: wr.bernoulli(k, p, (5, 4)))(p.astype(np.float32), k),
         wr.bernoulli(k, p.astype(np.float32), (5, 4)))
    b = wr.bernoulli(k, p, (5000, 4))
    assert not b[:, 0].any() and b[:, 1].all()  # p = 0 and p = 1 are exact


def test_a_graph_with_samples_saves_and_loads(tmp_path):
    g = wire.trace(lambda k: wr.normal(wr.split(k)[0], (2,)) + wr.randint(k, (2,), 0, 7), wr.key(0))
    path = tmp_path / "g.json"
    wire.save(g, path)
    same(wire.evaluate(wire.load(path), wr.key(3)),
         wr.normal(wr.split(wr.key(3))[0], (2,)) + wr.randint(wr.key(3), (2,), 0, 7))


# ------------------------------------------------------------------ wrong answers, fixed


def test_randint_with_a_power_of_two_span():
    # every span dividing 2**64 raised OverflowError
    for lo, hi, dt in ((0, 2, np.int64), (0, 256, np.uint8), (-128, 128, np.int8),
                       (0, 2**32, np.uint32), (-4, 4, np.int64)):
        x = wr.randint(wr.key(0), (4000,), lo, hi, dtype=dt)
        assert x.dtype == dt and x.min() >= lo and x.max() <= hi - 1
        if hi - lo <= 256:
            assert len(np.unique(x)) == hi - lo
        same(x, (lo + (wr.bits(wr.key(0), (4000,)) % np.uint64(hi - lo)).astype(np.int64))
             .astype(dt))


def test_degenerate_parameters_raise():
    k = wr.key(0)
    bad = [
        lambda: wr.uniform(k, (3,), minval=0.0, maxval=np.inf),  # was 1.8e308 every time
        lambda: wr.uniform(k, (3,), minval=-np.inf, maxval=0.0),  # was -inf every time
        lambda: wr.uniform(k, (2,), np.float16, 0.0, 1e5),  # maxval overflows float16
        lambda: wr.uniform(k, (), minval=np.zeros(3)),  # 3 copies of one draw
        lambda: wr.bernoulli(k, np.nan, (3,)),  # was all False
        lambda: wr.bernoulli(k, 1.5, (3,)),
        lambda: wr.bernoulli(k, -0.5, (3,)),
        lambda: wr.bernoulli(k, np.array([0.1, 0.9]), ()),  # 2 copies of one draw
        lambda: wr.categorical(k, np.array([-np.inf, -np.inf])),  # was 0
        lambda: wr.categorical(k, np.array([0.0, np.nan])),  # was 1
        lambda: wr.categorical(k, np.array([np.inf, 0.0, np.inf])),  # was always 0
        lambda: wr.categorical(k, np.zeros((2, 0))),
        lambda: wr.categorical(k, np.zeros((2, 3)), shape=(4,)),
        lambda: wr.truncated_normal(k, 1.0, 1.0004, (3,), np.float16),  # was 0.9995 < 1
        lambda: wr.permutation(k, -1),
        lambda: wr.permutation(k, np.array(4.0)),
        lambda: wr.normal(k, (-1,)),  # was an empty array
    ]
    for f in bad:
        with pytest.raises(wire.WireError):
            f()
    with pytest.raises(wire.WireTypeError, match="concrete"):
        wr.split(k, 2.5)  # was split(k, 2)


def test_permutation_sizes_0_1_and_0d_integers():
    k = wr.key(3)
    same(wr.permutation(k, 0), np.zeros(0, np.intp))
    same(wr.permutation(k, 1), np.zeros(1, np.intp))
    same(wr.permutation(k, np.array(5)), wr.permutation(k, 5))  # an IndexError before
    same(wr.permutation(k, np.zeros((0, 3))), np.zeros((0, 3)))
    p = wr.permutation(k, np.arange(12).reshape(3, 4), axis=1)
    assert sorted(p[0].tolist()) == [0, 1, 2, 3] and (p[1] == p[0] + 4).all()
