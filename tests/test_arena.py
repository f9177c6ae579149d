"""Scratch arenas of compiled functions (wire.runtime.arena): the same bits as fresh arrays,
outputs that are the caller's alone (across calls, threads and re-entrant calls), and the
disk cache's handling of arena code."""

import sys
import threading
import weakref

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from corpus import graphs, mlp_args
from wire.core import bind
from wire.core.primitive import Primitive, elementwise_shape
from wire.runtime import arena
from wire.runtime.compiler import compile_graph, compile_native

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _leaves(x):
    return wire.tree.leaves(x)


def _same_bits(a, b, what=""):
    la, lb = _leaves(a), _leaves(b)
    assert len(la) == len(lb), what
    for x, y in zip(la, lb):
        assert type(x) is type(y), (what, type(x), type(y))
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape and x.dtype == y.dtype, (what, x.shape, y.shape, x.dtype)
        assert x.tobytes() == y.tobytes(), (what, x, y)


def _copy(out):
    return [np.array(x, copy=True) for x in _leaves(out)]


def _check_fresh(first, kept, second):
    """``first`` (a result held across another call) still holds its values (``kept``),
    and shares no memory with ``second``."""
    _same_bits(first, kept_tree(first, kept))
    for x in _leaves(first):
        for y in _leaves(second):
            if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
                assert not np.shares_memory(x, y)


def kept_tree(tree, kept):
    return wire.tree.unflatten(wire.tree.flatten(tree)[1], kept)


def _mlp_data(dtype, seed=0):
    sys.path.insert(0, ".")
    from benchmarks import mlp

    return mlp, mlp.make_data(dtype, seed)


# --------------------------------------------------------------------------- same bits


CORPUS = graphs()


def test_corpus_same_bits_with_every_value_in_the_arena():
    """Every example graph compiled with every eligible value in the arena (and every output
    recycled) gives the bits of the code without arenas, on the first call and on later
    ones (which reuse the buffers and recycle dropped outputs), and a result held across a
    call keeps its values."""
    used = 0
    for name, g, args in CORPUS:
        with np.errstate(all="ignore"):
            try:
                want = compile_graph(g, reuse_buffers=False)(*args)
            except Exception:  # noqa: BLE001 - a graph whose sample raises: nothing to compare
                continue
            c = compile_graph(g, reuse_buffers=1)
            used += "_take(_arena" in c.source
            first = c(*args)
            _same_bits(first, want, name)
            kept = _copy(first)
            second = c(*args)
            _same_bits(second, want, name)
            _check_fresh(first, kept, second)
            del first, kept
            _same_bits(c(*args), want, name)  # (a recycled output, if any)
    assert used >= 40, used  # the test reaches arena code


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_same_bits_and_fresh_outputs(dtype):
    mlp, args = _mlp_data(dtype)
    g = wire.trace(wire.value_and_grad(mlp.wire_loss), *args)
    want = compile_graph(g, reuse_buffers=False)(*args)
    c = compile_graph(g)
    assert c.arena_bytes == 3 * 256 * 512 * np.dtype(dtype).itemsize
    assert "out=R0" in c.source  # the weight gradients are recycled
    first = c(*args)
    _same_bits(first, want)
    kept = _copy(first)
    other = mlp.make_data(dtype, seed=1)
    second = c(*other)
    _same_bits(second, compile_graph(g, reuse_buffers=False)(*other))
    _check_fresh(first, kept, second)
    _same_bits(c(*args), want)


def test_native_kernels_write_into_the_arena():
    mlp, args = _mlp_data(np.float64)
    g = wire.trace(wire.value_and_grad(mlp.wire_loss), *args)
    c = compile_native(g, min_elements=256)
    if c is None:
        pytest.skip("no C compiler with libmvec")
    assert any("_k0(" in line and "W" in line.split("_k0(")[1] for line in c.code.splitlines())
    want = compile_native(g, min_elements=256, reuse_buffers=False)(*args)
    for _ in range(3):
        _same_bits(c(*args), want)


def test_blocked_regions_write_into_the_arena():
    f = lambda x: wnp.sum(wnp.tanh(x * 2.0 + 1.0) * wnp.sin(x) @ x.T)
    x = np.random.default_rng(0).normal(size=(256, 256))
    g = wire.trace(wire.value_and_grad(f), x)
    c = compile_graph(g, fuse=1000)
    assert "else W" in c.source
    want = compile_graph(g, fuse=1000, reuse_buffers=False)(x)
    for _ in range(3):
        _same_bits(c(x), want)


# --------------------------------------------------------------------------- what it holds


def test_small_functions_have_no_arena_code():
    f = wire.jit(lambda x: wnp.tanh(x) * 2.0 + 1.0)
    x = np.ones(1000)
    f(x)
    assert "_take" not in f.lower(x).source and "_give" not in f.lower(x).source
    assert f.lower(x).compiled.arena_bytes == 0


def test_reuse_buffers_false_turns_it_off():
    f = lambda x: wnp.sum(wnp.tanh(x @ x) ** 2)
    x = np.random.default_rng(0).normal(size=(200, 200))
    on, off = wire.jit(wire.grad(f)), wire.jit(wire.grad(f), reuse_buffers=False)
    assert "_take(_arena" in on.lower(x).source
    assert "_take(" not in off.lower(x).source
    _same_bits(on(x), off(x))


def test_buffers_are_shared_by_liveness():
    # four 320 KB intermediates in a chain, each dead before the next but one: two buffers
    f = lambda x: wnp.sum(wnp.tanh(wnp.tanh(wnp.tanh(x @ x) @ x) @ x) @ x)
    x = np.random.default_rng(0).normal(size=(200, 200)) / 20
    c = compile_graph(wire.trace(f, x))
    assert c.arena_bytes == 2 * x.nbytes
    _same_bits(c(x), compile_graph(wire.trace(f, x), reuse_buffers=False)(x))


def test_held_memory_is_bounded(monkeypatch):
    f = lambda x: wnp.sum(wnp.tanh(x @ x) ** 2)
    x = np.random.default_rng(0).normal(size=(200, 200)) / 20
    g = wire.trace(wire.value_and_grad(f), x)
    # two buffer sets of two buffers, but not two arrays of the recycled output too
    monkeypatch.setattr(arena, "HELD_BYTES", 5 * x.nbytes)
    c = compile_graph(g)
    a = c.fn.__globals__["_arena"]
    assert a.keep and not a.kept and "R0" not in c.source
    monkeypatch.setattr(arena, "HELD_BYTES", x.nbytes)  # not even a set
    c = compile_graph(g)
    a = c.fn.__globals__["_arena"]
    want = compile_graph(g, reuse_buffers=False)(x)
    for _ in range(2):
        _same_bits(c(x), want)
    assert not a.keep and not a.free


def test_held_memory_is_bounded_over_all_signatures(monkeypatch):
    # a jitted function called on many shapes keeps the bound over all of them, not per
    # shape: the most recently called signatures keep their buffers, the others drop them
    f = wire.jit(lambda x: wnp.sum(wnp.tanh(x) * x), tiered=False)
    sizes = [(1 << 17) + k for k in range(5)]  # a 1 MiB intermediate each (float64)
    xs = [np.linspace(-1.0, 1.0, n) for n in sizes]
    fns = []
    for x in xs:
        f(x)
        fns.append(f.lower(x).compiled.fn)
    assert all(arena.held(fn) >= x.nbytes for fn, x in zip(fns, xs))  # the default bound
    monkeypatch.setattr(arena, "HELD_BYTES", 2 * xs[0].nbytes + 4096)  # two signatures' worth
    for _ in range(2):
        for x in xs:
            assert f(x) == np.sum(np.tanh(x) * x)
    held = [arena.held(fn) for fn in fns]
    assert sum(held) <= arena.HELD_BYTES, held
    assert held[-1] > 0 and held[-2] > 0 and held[0] == 0, held  # the last two kept theirs
    f(xs[0])  # calling an old signature again: it gets buffers, the oldest one drops its
    held = [arena.held(fn) for fn in fns]
    assert held[0] > 0 and held[-2] == 0 and sum(held) <= arena.HELD_BYTES, held


def _deep_loss(ws, x):
    h = x
    for w in ws:
        h = wnp.tanh(h @ w)
    return wnp.mean(h * h)


def _peak(fn, *args) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_arena_does_not_raise_the_peak(monkeypatch):
    """Activations die one by one in the backward pass while the gradients are allocated:
    arena buffers for all of them would exist at the end, doubling the peak."""
    monkeypatch.setattr(arena, "PEAK_SLACK_BYTES", 0)
    rng = np.random.default_rng(0)
    ws = [rng.normal(size=(128, 128)) / 12 for _ in range(12)]
    x = rng.normal(size=(256, 128))
    g = wire.trace(wire.value_and_grad(_deep_loss), ws, x)
    plain, c = compile_graph(g, reuse_buffers=False), compile_graph(g)
    assert 0 < c.arena_bytes < 12 * x.nbytes
    _same_bits(c(ws, x), plain(ws, x))
    c.fn.__globals__["_arena"].free.clear()  # (its buffers are allocated in the call measured)
    assert _peak(c, ws, x) <= _peak(plain, ws, x) + (64 << 10)


def test_release_drops_what_is_kept():
    f, x = _recycling_function()
    f(x)
    fn = f.lower(x).compiled.fn
    a = fn.__globals__["_arena"]
    fn(x)
    assert a.free and any(a.kept)
    arena.release(fn)
    assert not a.free and not any(a.kept)
    arena.release(lambda: None)  # (no arena: nothing to do)


def test_arena_keeps_at_most_two_sets():
    a = arena.Arena(arena.Layout((("float64", 4),), ((0, (2, 2)),)))
    sets = [arena.take(a) for _ in range(4)]
    assert len({id(s[0]) for s in sets}) == 4  # a re-entrant take gets its own buffers
    for s in sets:
        arena.give(a, s)
    assert len(a.free) == arena.KEEP


# --------------------------------------------------------------------------- recycling


def _recycling_function():
    f = lambda x: wnp.sum(wnp.tanh(x @ x) ** 2)
    x = np.random.default_rng(0).normal(size=(200, 200)) / 20
    # no native kernels: their background build, once the function is hot, swaps in code
    # with buffers of its own between two calls (under load, in the middle of these tests)
    return wire.jit(wire.value_and_grad(f), fuse=False), x


@pytest.mark.skipif(not arena.RECYCLE, reason="outputs are not recycled here")
def test_dropped_output_is_recycled_held_one_is_not():
    f, x = _recycling_function()
    assert "out=R0" in f.lower(x).source
    _, g1 = f(x)
    address = g1.ctypes.data
    del g1
    _, g2 = f(x)
    assert g2.ctypes.data == address  # the dropped array came back
    held = {}
    for how in ("view", "weak", "memoryview", "list"):
        _, g = f(x)
        kept = g.copy()
        if how == "view":
            held[how] = g[1:3]
        elif how == "weak":
            held[how] = weakref.ref(g)
            keep_alive = g  # (a weak reference alone: the array would be freed)
        elif how == "memoryview":
            held[how] = memoryview(g)
        else:
            held[how] = [g]
        del g
        for _ in range(3):
            _, other = f(x + 1.0)
            assert not np.shares_memory(other, kept)
        if how == "view":
            np.testing.assert_array_equal(held[how], kept[1:3])
        elif how == "weak":
            np.testing.assert_array_equal(held[how](), kept)
            del keep_alive
        elif how == "memoryview":
            np.testing.assert_array_equal(np.asarray(held[how]), kept)
        else:
            np.testing.assert_array_equal(held[how][0], kept)


@pytest.mark.skipif(not arena.RECYCLE, reason="outputs are not recycled here")
def test_outputs_changed_by_the_caller_are_not_recycled():
    f, x = _recycling_function()
    want = f(x)[1].copy()
    for change in ("shape", "dtype", "readonly"):
        for _ in range(3):  # (both kept arrays changed and dropped)
            _, g = f(x)
            if change == "shape":
                g.shape = (-1,)
            elif change == "dtype":
                g.dtype = np.int64
            else:
                g.flags.writeable = False
            del g
        for _ in range(2):
            _, g = f(x)
            np.testing.assert_array_equal(g, want)


@pytest.mark.skipif(not arena.RECYCLE, reason="outputs are not recycled here")
def test_training_loop_recycles_the_output_before_last():
    f, x = _recycling_function()
    seen = []
    grads = None
    for _ in range(6):
        _, grads = f(x)  # (the previous grads are held until this call returns)
        seen.append(grads.ctypes.data)
    assert len(set(seen[2:])) <= 2


def test_subclass_arguments_get_no_buffers():
    class Tagged(np.ndarray):
        pass

    f = lambda x: wnp.tanh(x @ x) * 2.0
    x = np.random.default_rng(0).normal(size=(200, 200)) / 20
    g = wire.trace(f, x)
    c, plain = compile_graph(g), compile_graph(g, reuse_buffers=False)
    t = x.view(Tagged)
    for _ in range(2):
        got, want = c(t), plain(t)
        assert type(got) is type(want) is Tagged
        np.testing.assert_array_equal(got, want)


# --------------------------------------------------------------------------- exposure


_SEEN = []


def _keeps_its_argument(x):
    _SEEN.append(x)  # code outside wire keeping an intermediate
    return x + 0.0


_KEEP = Primitive("arena_test_keep", _keeps_its_argument, elementwise_shape("arena_test_keep"))


def test_values_shown_to_outside_code_never_live_in_the_arena():
    f = lambda x: wnp.sum(bind(_KEEP, wnp.tanh(x @ x)) * 2.0)
    x = np.random.default_rng(0).normal(size=(200, 200)) / 20
    c = compile_graph(wire.trace(f, x), reuse_buffers=1)
    _SEEN.clear()
    c(x)
    first = _SEEN[0].copy()
    c(x + 1.0)
    np.testing.assert_array_equal(_SEEN[0], first)
    assert not np.shares_memory(_SEEN[0], _SEEN[1])


# --------------------------------------------------------------------------- calls at once


def test_threads_get_their_own_buffers():
    mlp_small = lambda p, x, y: wnp.sum(wnp.tanh(x @ p[0][0] + p[0][1]) ** 2) + \
        wnp.sum(y) * 0.0
    datas = [mlp_args(np.random.default_rng(k), sizes=(64, 64, 64, 8), n=64) for k in range(8)]
    g = wire.trace(wire.value_and_grad(mlp_small), *datas[0])
    c = compile_graph(g, reuse_buffers=1)
    assert "_take(_arena" in c.source
    want = [compile_graph(g, reuse_buffers=False)(*d) for d in datas]
    errors = []

    def worker(k):
        try:
            for r in range(150):
                i = (k + r) % len(datas)
                got = c(*datas[i])
                _same_bits(got, want[i])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((k, repr(e)))

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors[:3]


def test_reentrant_call_gets_its_own_arena():
    x = np.random.default_rng(0).normal(size=(200, 200)) / 20
    inner = {}

    def call_again(v):
        if not inner.get("busy"):
            inner["busy"] = True
            inner["out"] = inner["fn"](x + 1.0)  # the same compiled function, re-entered
            inner["busy"] = False
        return v * 1.0

    again = Primitive("arena_test_reenter", call_again, elementwise_shape("arena_test_reenter"))
    f = lambda x: wnp.tanh(bind(again, wnp.tanh(x @ x)) @ wnp.tanh(x @ x.T))
    g = wire.trace(f, x)
    c = compile_graph(g, reuse_buffers=1)
    inner["fn"] = c
    plain = compile_graph(g, reuse_buffers=False)
    inner["busy"] = True
    want_inner = plain(x + 1.0)
    inner["busy"] = False
    want = plain(x)
    _same_bits(c(x), want)
    _same_bits(inner["out"], want_inner)


def test_a_call_that_raises_drops_its_arena():
    f = lambda x: wnp.sum(wnp.exp(x @ x))
    x = np.random.default_rng(0).normal(size=(200, 200))
    g = wire.trace(f, x)
    c = compile_graph(g)
    a = c.fn.__globals__["_arena"]
    want = c(x / 100)
    assert len(a.free) == 1
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        c(x * 100)
    assert not a.free  # (dropped: the failed call's buffers are not reused)
    _same_bits(c(x / 100), want)
    assert len(a.free) == 1


# --------------------------------------------------------------------------- disk cache


def test_disk_cache_round_trip_with_an_arena(tmp_path, monkeypatch):
    from wire.api import diskcache

    monkeypatch.setenv("WIRE_CACHE_DIR", str(tmp_path))
    mlp, args = _mlp_data(np.float32)
    g = wire.trace(wire.value_and_grad(mlp.wire_loss), *args)
    c = compile_graph(g)
    assert diskcache.store("cd" * 32, c)
    loaded = diskcache.load("cd" * 32)
    assert loaded is not None and loaded.__globals__["_arena"] is not c.fn.__globals__["_arena"]
    leaves = _leaves(args)
    want = compile_graph(g, reuse_buffers=False)(*args)
    for _ in range(3):
        _same_bits(loaded(*leaves), want)


def test_disk_cache_refuses_a_bad_arena_layout(tmp_path, monkeypatch):
    import json

    from wire.api import diskcache

    monkeypatch.setenv("WIRE_CACHE_DIR", str(tmp_path))
    f = lambda x: wnp.sum(wnp.tanh(x @ x) ** 2)
    x = np.ones((200, 200))
    c = compile_graph(wire.trace(wire.grad(f), x))
    assert diskcache.store("ef" * 32, c)
    path = tmp_path / "jit-v2" / ("ef" * 32 + ".json")
    doc = json.loads(path.read_text())
    name = next(k for k, v in doc["globals"].items() if "arena" in v)
    doc["globals"][name]["arena"][1][0][1] = [200, 201]  # a view bigger than its buffer
    doc["checksum"] = diskcache._checksum(doc)
    path.write_text(json.dumps(doc))
    assert diskcache.load("ef" * 32) is None


def test_jitted_function_through_the_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_CACHE_DIR", str(tmp_path))
    f = lambda x: wnp.sum(wnp.tanh(x @ x) ** 2)
    x = np.random.default_rng(0).normal(size=(200, 200)) / 20
    want = wire.jit(wire.grad(f), disk_cache=False, reuse_buffers=False)(x)
    for _ in range(2):  # the second function loads the first one's code
        h = wire.jit(wire.grad(f))
        for _ in range(2):
            _same_bits(h(x), want)
