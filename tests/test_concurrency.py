"""16 threads running jitted gradients of different functions and shapes on shared caches.

Every thread draws (function, shape) pairs at random and checks each result against a
closed form; all threads share the same ``wire.jit`` objects (one small bounded cache per
function, so evictions and re-traces race with calls) and the global memo caches (plans,
interning). Runs 2 s in CI and 10 s under ``--fuzz`` / ``HYPOTHESIS_PROFILE=long``.
"""

import sys
import threading
import time

import numpy as np
import pytest
from selection import slow_selected

import wire
import wire.numpy as wnp
import wire.scipy.special as wsp
from wire.core import plan_for

THREADS = 16
CACHE_LIMIT = 4  # smaller than the number of shapes: evictions happen all the time
SHAPES = [(2,), (3,), (5,), (2, 3), (4, 1), (3, 3), (7,)]

# (function, its gradient in closed form)
CASES = [
    (lambda x: wnp.sum(wnp.sin(x) * x), lambda x: np.cos(x) * x + np.sin(x)),
    (lambda x: wnp.sum(wnp.tanh(x) ** 2), lambda x: 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    (lambda x: wnp.sum(wnp.exp(-x * x)), lambda x: -2 * x * np.exp(-x * x)),
    (lambda x: wnp.log(wnp.sum(x * x) + 1.0), lambda x: 2 * x / (np.sum(x * x) + 1.0)),
    (lambda x: wnp.sum(wnp.cumsum(x, axis=-1) ** 2),
     lambda x: np.flip(np.cumsum(np.flip(2 * np.cumsum(x, axis=-1), -1), axis=-1), -1)),
]
GRADS = [wire.jit(wire.grad(f), cache_limit=CACHE_LIMIT) for f, _ in CASES]


def _soak(seconds: float):
    errors, counts = [], [0] * THREADS
    stop = time.monotonic() + seconds

    def worker(k):
        rng = np.random.default_rng(k)
        try:
            while True:  # at least one call per thread, however late the thread starts
                i = int(rng.integers(len(CASES)))
                shape = SHAPES[int(rng.integers(len(SHAPES)))]
                x = rng.normal(size=shape)
                got = GRADS[i](x)
                want = CASES[i][1](x)
                if got.shape != want.shape or not np.allclose(got, want, rtol=1e-12, atol=1e-12):
                    errors.append((k, i, shape, got, want))
                    return
                counts[k] += 1
                if time.monotonic() >= stop:
                    break
        except Exception as e:  # noqa: BLE001  reported below with the thread's id
            errors.append((k, repr(e)))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors, counts


def test_threads_share_jit_caches(long_run):
    seconds = 10.0 if long_run else 2.0
    errors, counts = _soak(seconds)
    assert not errors, errors[:3]
    assert all(c > 0 for c in counts), counts  # every thread made progress
    for g in GRADS:
        assert g.cache_size() <= CACHE_LIMIT
    info = plan_for.cache_info()
    assert info.currsize <= info.maxsize
    print(f"\nconcurrency: {sum(counts)} jitted gradients in {seconds} s over {THREADS} threads")


def test_one_graph_evaluated_from_many_threads():
    g = wire.trace(wire.grad(lambda x: wnp.sum(wnp.sin(x) ** 2)), np.ones(50))
    xs = [np.random.default_rng(k).normal(size=50) for k in range(THREADS)]
    out = [None] * THREADS

    def run(k):
        for _ in range(20):
            out[k] = wire.evaluate(g, xs[k])

    threads = [threading.Thread(target=run, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(THREADS):
        np.testing.assert_allclose(out[k], np.sin(2 * xs[k]), rtol=1e-13)


@pytest.mark.parametrize("n", [THREADS])
def test_concurrent_tracing_interns_consistently(n):
    graphs = [None] * n

    def run(k):
        graphs[k] = wire.trace(lambda x: wnp.sum(wnp.cos(x) * 3.0 + x), np.ones(4))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(g == graphs[0] for g in graphs)


def test_racing_threads_intern_one_node_and_one_aval():
    # nodes are entered with one setdefault, no lock (and avals under a lock only when new):
    # threads building the same new structure at the same moment must get the same objects
    from wire.ir import Aval
    from wire.ir.nodes import EMPTY_PARAMS, input_node, make_node
    from wire.ops.elementwise import mul_p, sin_p

    n, steps = 8, 300
    shape = (7, 1, 3, 1, 5)  # an aval no other test makes
    barrier = threading.Barrier(n)
    got = [None] * n

    def run(k):
        barrier.wait()
        aval = Aval(shape, np.float64)
        x = input_node(0, aval)
        chain = []
        for _ in range(steps):
            x = make_node(mul_p, (make_node(sin_p, (x,), EMPTY_PARAMS, aval), x),
                          EMPTY_PARAMS, aval)
            chain.append(x)
        got[k] = (aval, chain)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    aval, chain = got[0]
    for other_aval, other in got[1:]:
        assert other_aval is aval
        assert all(a is b for a, b in zip(other, chain))


# --------------------------------------------------------------------------- first calls
# Eight threads released by one Barrier make the FIRST call of fresh objects at the same
# moment (so they race through tracing, simplification, compilation, the memo caches and the
# disk cache), many rounds; every result must equal, bit for bit, what the same call gives
# when made alone. The switch interval is shortened so threads interleave inside those paths.

N = 8


@pytest.fixture
def interleaved():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def together(fn, n=N):
    """``[fn(0), …, fn(n-1)]`` run in n threads started at once; an exception is re-raised
    here, naming its thread."""
    barrier = threading.Barrier(n)
    out, errors = [None] * n, []

    def run(k):
        try:
            barrier.wait()
            out[k] = fn(k)
        except BaseException as e:  # noqa: BLE001  re-raised below
            errors.append((k, e))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        k, e = errors[0]
        raise AssertionError(f"thread {k} raised {e!r}") from e
    return out


def same_bits(got, want):
    """Equal pytrees of arrays: structure, shapes, dtypes and every bit (NaN payloads aside)."""
    gl, gt = wire.tree.flatten(got)
    wl, wt = wire.tree.flatten(want)
    assert gt == wt, (gt, wt)
    for g, w in zip(gl, wl):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_array_equal(g, w, strict=True)
        assert np.array_equal(np.signbit(g), np.signbit(w)) if g.dtype.kind == "f" else True


def _mlp_loss(params, x, y):
    h = wnp.tanh(x @ params["w1"] + params["b1"])
    z = h @ params["w2"] + params["b2"]
    return wnp.mean(wsp.logsumexp(z, axis=-1) - wnp.sum(z * y, axis=-1))


def _params(rng):
    return {"w1": rng.normal(size=(5, 7)), "b1": rng.normal(size=7),
            "w2": rng.normal(size=(7, 3)), "b2": rng.normal(size=3)}


# exact operations only (+ - * / sqrt abs max), so native kernels give NumPy's bits too
def _exact(x):
    return wnp.sqrt(x * x + 1.0) * 2.0 - wnp.abs(x) / 3.0 + wnp.maximum(x, 0.25)


def _smooth(x):
    return wnp.sum(wnp.sin(x) * wnp.exp(-x * x)) + wnp.log1p(wnp.sum(x ** 2))


JIT_CASES = {
    "elementwise": (lambda: _exact, lambda rng: (rng.normal(size=4000),)),
    "grad": (lambda: wire.grad(_smooth), lambda rng: (rng.normal(size=300),)),
    "value_and_grad_tree": (lambda: wire.value_and_grad(_mlp_loss),
                            lambda rng: (_params(rng), rng.normal(size=(4, 5)),
                                         np.eye(3)[[0, 2, 1, 1]])),
    "vmap_grad": (lambda: wire.vmap(wire.grad(_smooth)), lambda rng: (rng.normal(size=(6, 9)),)),
    "hessian": (lambda: wire.hessian(_smooth), lambda rng: (rng.normal(size=4),)),
}


@pytest.mark.parametrize("fuse", [True, False, "native"])
@pytest.mark.parametrize("case", sorted(JIT_CASES))
def test_first_calls_of_one_jitted_function(case, fuse, interleaved):
    make, args_of = JIT_CASES[case]
    args = [args_of(np.random.default_rng(k)) for k in range(N)]
    want = None
    for _ in range(4 if fuse is True else 2):
        # alone: a fresh function on each thread's arguments, in turn
        f = wire.jit(make(), fuse=fuse, disk_cache=False)
        want = [f(*a) for a in args]
        for disk in (False, True):
            f = wire.jit(make(), fuse=fuse, disk_cache=disk)
            got = together(lambda k, f=f: [f(*args[k]) for _ in range(3)])
            for k in range(N):
                for g in got[k]:
                    same_bits(g, want[k])
            if case == "elementwise" and fuse == "native" and wire.runtime.cbuild.available():
                assert next(iter(f._cache.values())).native is not None  # kernels did run


def test_first_calls_of_different_jitted_functions(interleaved):
    names = sorted(JIT_CASES)
    args = [JIT_CASES[names[k % len(names)]][1](np.random.default_rng(k)) for k in range(N)]
    for _ in range(3):
        alone = [wire.jit(JIT_CASES[names[k % len(names)]][0](), disk_cache=False)
                 for k in range(N)]
        want = [alone[k](*args[k]) for k in range(N)]
        fs = [wire.jit(JIT_CASES[names[k % len(names)]][0]()) for k in range(N)]
        got = together(lambda k, fs=fs: fs[k](*args[k]))
        for k in range(N):
            same_bits(got[k], want[k])


def test_first_calls_with_different_signatures_at_once(interleaved):
    # one fresh jitted function, eight threads with eight signatures (dtype, shape, Python
    # scalar, pytree structure): each must get its own trace, never another thread's
    def f(p, s):
        if isinstance(p, dict):
            return wnp.tanh(p["a"]) * s + p["b"]
        if isinstance(p, tuple):
            return p[0] @ p[1] * s
        return wnp.sin(p) * s

    rng = np.random.default_rng(4)
    args = [(rng.normal(size=3), 2.0), (rng.normal(size=3).astype(np.float32), 2.0),
            (rng.normal(size=(2, 3)), 2.0), (rng.normal(size=3).astype(np.float32), 2),
            ({"a": rng.normal(size=3), "b": rng.normal(size=3)}, 0.5),
            ({"a": rng.normal(size=3).astype(np.float32), "b": np.float32(1.0)}, 0.5),
            ((rng.normal(size=(2, 3)), rng.normal(size=3)), 1.5),
            (rng.normal(size=3), np.float32(3.0))]
    for _ in range(4):
        want = [wire.jit(f, disk_cache=False)(*a) for a in args]
        g = wire.jit(f)
        got = together(lambda k, g=g: g(*args[k]))
        for k in range(N):
            same_bits(got[k], want[k])
        assert g.cache_size() == N
    assert want[1].dtype == want[3].dtype == np.float32  # (Python scalars are weak)


def test_native_tier_built_in_the_background_while_threads_call(monkeypatch):
    # fuse=True: NumPy code first; once the calls took NATIVE_AFTER seconds a background
    # thread builds the native kernels and swaps them in while the others keep calling
    jit_module = sys.modules["wire.api.jit"]  # (wire.api.jit is the function)
    rng = np.random.default_rng(3)
    xs = [rng.normal(size=4000) for _ in range(N)]
    want = [wire.jit(_exact, fuse=False)(x) for x in xs]
    f = wire.jit(lambda x: _exact(x) * 1.5, fuse=True, disk_cache=False)
    want = [w * 1.5 for w in want]
    monkeypatch.setattr(jit_module, "NATIVE_AFTER", 0.0)  # (the first call starts the build)
    got = together(lambda k: [f(xs[k]) for _ in range(40)])
    entry = next(iter(f._cache.values()))
    assert entry.wait_native(30.0) or not wire.runtime.cbuild.available()
    for k in range(N):
        for g in got[k] + [f(xs[k])]:
            same_bits(g, want[k])


# --------------------------------------------------------------------------- eager transforms


def _branchy(x):
    # Python control flow on values: each thread's inputs take their own branch, and a memo
    # must never serve one branch's graph to the other
    if wnp.sum(x) > 0:
        return wnp.sum(wnp.sin(x) * x)
    return wnp.sum(wnp.cos(x) ** 2)


def test_eager_grad_vmap_hessian_memos_from_many_threads(interleaved):
    rng = np.random.default_rng(5)
    xs = [rng.normal(size=5) + (2.0 if k % 2 else -2.0) for k in range(N)]
    batches = [rng.normal(size=(3, 5)) for _ in range(N)]

    def calls(k, fs):
        g, vg, h, vjp_f = fs
        out, pull = wire.vjp(vjp_f, xs[k])
        return (g(xs[k]), vg(batches[k]), h(xs[k]), out, pull(np.ones(5)))

    def fresh():  # new function objects: the first call of each races in every round
        f = lambda x: _branchy(x)
        return (wire.grad(f), wire.vmap(wire.grad(lambda x: _smooth(x))),
                wire.hessian(lambda x: _branchy(x)), lambda x: wnp.tanh(x) * x)

    for _ in range(4):
        alone = fresh()
        want = [calls(k, alone) for k in range(N)]
        fs = fresh()
        got = together(lambda k, fs=fs: calls(k, fs))
        for k in range(N):
            same_bits(got[k], want[k])
    # and the branches' closed forms (the memo served each thread its own branch)
    for k in range(N):
        x = xs[k]
        g = np.sin(x) + x * np.cos(x) if x.sum() > 0 else -2 * np.cos(x) * np.sin(x)
        np.testing.assert_allclose(got[k][0], g, rtol=1e-13, atol=1e-15)


def test_eager_numpy_calls_from_many_threads(interleaved):
    rng = np.random.default_rng(6)
    xs = [rng.normal(size=(4, 6)) for _ in range(N)]

    def calls(k):
        x = xs[k]
        return (wnp.sin(x), wnp.cumsum(x, axis=1), wnp.linalg.solve(x[:, :4] + 4 * np.eye(4),
                                                                     x[:, 4]),
                wnp.sort(x, axis=0), wnp.einsum("ij,kj->ik", x, x), wsp.logsumexp(x, axis=0),
                wnp.where(x > 0, x, 0.0).sum())

    want = [calls(k) for k in range(N)]
    for _ in range(5):
        got = together(calls)
        for k in range(N):
            same_bits(got[k], want[k])


def test_random_keys_from_many_threads(interleaved):
    def draws(k):
        key = wire.random.key(k)
        a, b = wire.random.split(key)
        return (wire.random.normal(a, (5,)), wire.random.uniform(b, (3,), np.float32),
                wire.random.randint(wire.random.fold_in(key, 7), (4,), 0, 10),
                wire.random.permutation(a, 6),
                wire.jit(lambda kk: wire.random.normal(kk, (2, 2)))(b))

    want = [draws(k) for k in range(N)]
    for _ in range(5):
        got = together(draws)
        for k in range(N):
            same_bits(got[k], want[k])


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_debug_nans_in_one_thread_does_not_leak_to_others(interleaved):
    f = wire.jit(lambda x: wnp.log(x) * 2.0)
    x = np.array([1.0, -1.0])
    want = f(x)
    assert np.isnan(want[1])
    inside = threading.Barrier(N)  # every thread reaches here while thread 0 is in the block

    def run(k):
        if k == 0:
            with wire.debug_nans():
                inside.wait()
                with pytest.raises(wire.FloatingPointError):
                    f(x)
                with pytest.raises(wire.FloatingPointError):
                    wnp.log(x)
                inside.wait()
            return f(x)
        inside.wait()
        out = [f(x), wnp.log(x), wire.grad(lambda v: wnp.sum(wnp.sqrt(v)))(x)]
        inside.wait()
        return out[0]

    for _ in range(3):
        for got in together(run):
            same_bits(got, want)
    assert not wire.core.debug.nans_enabled()


# --------------------------------------------------------------------------- graphs on disk


def test_graph_save_and_load_from_many_threads(tmp_path, interleaved):
    rng = np.random.default_rng(8)
    params, x = _params(rng), rng.normal(size=(4, 5))
    y = np.eye(3)[[0, 1, 2, 0]]
    graph = wire.trace(wire.value_and_grad(_mlp_loss), params, x, y)
    shared = tmp_path / "shared.json"
    wire.save(graph, shared)
    want = wire.evaluate(graph, params, x, y)

    def run(k):
        own = tmp_path / f"g{k}.json"
        wire.save(graph, own)
        a, b = wire.load(own), wire.load(shared)
        assert a == graph and b == graph
        return wire.evaluate(a, params, x, y), wire.jit(b)(params, x, y)

    for _ in range(3):
        for got in together(run):
            same_bits(got[0], want)
            np.testing.assert_allclose(got[1][0], want[0], rtol=1e-13)


# --------------------------------------------------------------------------- no global state


def test_concurrent_special_functions_leave_the_warning_filters_alone(interleaved):
    # SciPy's expn warns when it truncates a float order; silencing that with
    # warnings.catch_warnings swapped the process-wide filter list, and threads leaving
    # their blocks out of order left RuntimeWarning ignored for the whole process
    import warnings

    f = wire.jit(lambda n, x: wsp.expn(n, x) + wsp.zeta(x + 1.5, 1.0))
    n, x = np.array([1.5, 2.0, -0.5]), np.array([0.5, 1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        import scipy.special as sp

        want = sp.expn(n, x) + sp.zeta(x + 1.5, 1.0)
    before = list(warnings.filters)
    for _ in range(5):
        got = together(lambda k: [f(n, x) for _ in range(100)])
        assert warnings.filters == before
        for g in got:
            np.testing.assert_allclose(g[-1], want, rtol=1e-14)


_TWO_PROCESSES = r"""
import sys
import numpy as np
import wire, wire.numpy as wnp
from wire.scipy.special import logsumexp

rng = np.random.default_rng(0)
x = rng.normal(size=600)
outs = {}
for i in range(6):
    f = wire.jit(lambda v, i=i: wnp.sum(wnp.sin(v * (i + 1.0)) ** 2) + logsumexp(v) * i)
    g = wire.jit(wire.grad(lambda v, i=i: wnp.sum(wnp.tanh(v) ** (i + 1)) / (i + 1.0)))
    h = wire.jit(lambda v, i=i: wnp.sqrt(v * v + i) - v / 3.0, fuse="native")
    outs[f"f{i}"], outs[f"g{i}"], outs[f"h{i}"] = f(x), g(x), h(np.tile(x, 8))
np.savez(sys.argv[1], **outs)
"""


@pytest.mark.slow
def test_disk_cache_filled_by_two_processes_at_once(tmp_path, monkeypatch, request):
    # (with -m slow only: tests/test_diskcache.py races two processes on one entry in every
    # run; this one races them on every entry of a whole program, native kernels included)
    if not slow_selected(request.config):
        pytest.skip("about 20 s of CPU: run with -m slow")
    import json
    import os
    import subprocess

    from wire.api import diskcache

    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    env = dict(os.environ, WIRE_CACHE_DIR=str(cache), PYTHONPATH=os.pathsep.join(sys.path))

    def start(name):
        return subprocess.Popen([sys.executable, "-c", _TWO_PROCESSES, str(tmp_path / name)],
                                env=env, stderr=subprocess.PIPE, text=True)

    procs = [start("a.npz"), start("b.npz")]  # cold, the same entries at the same time
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
    warm = start("c.npz")  # every entry from the disk
    assert warm.wait(timeout=300) == 0, warm.stderr.read()
    a, b, c = (np.load(tmp_path / n) for n in ("a.npz", "b.npz", "c.npz"))
    assert sorted(a.files) == sorted(b.files) == sorted(c.files)
    for name in a.files:
        same_bits(b[name], a[name])
        same_bits(c[name], a[name])
    monkeypatch.setenv("WIRE_CACHE_DIR", str(cache))
    root = diskcache.directory()
    files = os.listdir(root)
    assert not [f for f in files if f.startswith(".tmp-")], files  # no half-written file left
    entries = [f[:-5] for f in files if f.endswith(".json") and not f.endswith(".so.json")]
    assert len(entries) >= 18, files
    for key in entries:  # each one whole and valid
        with open(os.path.join(root, f"{key}.json")) as fh:
            name = json.load(fh)["name"]
        assert diskcache.load(key, name) is not None, key
    libraries = [f for f in files if f.endswith(".so")]
    assert libraries and all(f + ".json" in files for f in libraries)


def test_switching_signatures_while_other_threads_insert_them(interleaved):
    # a call that switches signature walks the cache to bound the arenas' bytes; it once did
    # so while other threads inserted and reordered entries ("OrderedDict mutated during
    # iteration", about one round in five here)
    sys.setswitchinterval(1e-6)
    args = [{"a": np.ones(k)} for k in range(1, N + 1)]
    for _ in range(25):
        f = wire.jit(lambda p: wnp.sum(p["a"]) * 2.0, disk_cache=False)
        got = together(lambda k, f=f: [float(f(args[(k + i) % N])) for i in range(12)])
        assert got == [[2.0 * ((k + i) % N + 1) for i in range(12)] for k in range(N)]
