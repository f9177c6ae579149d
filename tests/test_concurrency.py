"""16 threads running jitted gradients of different functions and shapes on shared caches.

Every thread draws (function, shape) pairs at random and checks each result against a
closed form; all threads share the same ``wire.jit`` objects (one small bounded cache per
function, so evictions and re-traces race with calls) and the global memo caches (plans,
interning). Runs 2 s in CI and 10 s under ``--fuzz`` / ``HYPOTHESIS_PROFILE=long``.
"""

import threading
import time

import numpy as np
import pytest

import wire
import wire.numpy as wnp
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
