"""wire.jit and the graph compiler.

The central check runs every graph of a representative set — every registered primitive on
its own sample, their gradients, and a dozen whole programs (MLP step, softmax, Hessians,
indexing, multi-output primitives) — through both the evaluator and the compiler and asks
for identical results, with the arguments left untouched. The rest covers the cache (retrace
on new shapes, static arguments, bound, threads), composition with the other transforms in
both orders, and the generated source.
"""

import re
import warnings
import threading

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from corpus import programs
from wire.runtime.compiler import compile_graph, schedule
from wire.ops.shape import proj_p
from wire.api.registry import REGISTRY
from wire.core import bind

PRIMS = sorted((p for p in REGISTRY.values() if p is not proj_p), key=lambda p: p.name)


# --------------------------------------------------------------------------- the fixture


def _leaves(x):
    return wire.tree.leaves(x)


def _identical(a, b, what=""):
    la, lb = _leaves(a), _leaves(b)
    assert len(la) == len(lb), what
    for x, y in zip(la, lb):
        assert type(x) is np.ndarray and type(y) is np.ndarray, (what, type(x), type(y))
        assert x.shape == y.shape and x.dtype == y.dtype, (what, x.shape, y.shape, x.dtype)
        if x.dtype.kind in "fc":
            assert np.array_equal(x, y, equal_nan=True), (what, x, y)
        else:
            assert np.array_equal(x, y), (what, x, y)


def check_graph(graph, *args):
    """Evaluate and compile ``graph`` on ``args``: same values, arguments unchanged."""
    copies = [np.array(a, copy=True) for a in _leaves(args)]
    expected = wire.evaluate(graph, *args)
    got = compile_graph(graph)(*args)
    _identical(got, expected, str(graph)[:2000])
    for before, after in zip(copies, _leaves(args)):
        np.testing.assert_array_equal(before, np.asarray(after), err_msg="argument was mutated")
    # and the simplified graph compiled by wire.jit agrees as well
    got2 = wire.jit(graph)(*args)
    for x, y in zip(_leaves(got2), _leaves(expected)):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)
    return got


def _prim_fn(prim, params):
    def f(*xs):
        return bind(prim, *xs, **params)

    return f


def _float_positions(args):
    return [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
def test_compiled_primitive_matches_evaluator(prim):
    for seed in range(3):
        rng = np.random.default_rng(seed)
        args, params = prim.sample(rng)
        args = [np.asarray(a) for a in args]
        f = _prim_fn(prim, params)
        check_graph(wire.trace(f, *args), *args)
        pos = _float_positions(args)
        if prim.nondiff or not pos:
            continue
        outs = prim.impl(*args, **params)
        outs = outs if isinstance(outs, tuple) else (outs,)
        if not all(np.asarray(o).dtype.kind == "f" for o in outs):
            continue
        cts = [rng.normal(size=np.shape(o)) for o in outs]

        def s(*xs, pos=pos, cts=cts, args=args, f=f):
            full = list(args)
            for i, x in zip(pos, xs):
                full[i] = x
            o = f(*full)
            o = o if isinstance(o, tuple) else (o,)
            return sum(wnp.sum(a * c) for a, c in zip(o, cts))

        xs = [args[i] for i in pos]
        nums = tuple(range(len(xs)))
        check_graph(wire.trace(wire.value_and_grad(s, argnums=nums), *xs), *xs)


_PROGRAMS = programs()


@pytest.mark.parametrize("name,f,args", _PROGRAMS, ids=[p[0] for p in _PROGRAMS])
def test_compiled_programs_match_evaluator(name, f, args):
    check_graph(wire.trace(f, *args), *args)
    floats = [i for i, a in enumerate(args) if np.asarray(_leaves(a)[0]).dtype.kind == "f"]
    out = f(*args)
    if not isinstance(out, (tuple, dict, list)) and np.shape(out) == () and floats:
        check_graph(wire.trace(wire.value_and_grad(f, argnums=tuple(floats)), *args), *args)
        if name in ("small_call", "chain", "softmax", "transposes"):
            g = wire.grad(lambda *a: wnp.sum(wire.grad(f)(*a) ** 2))
            check_graph(wire.trace(g, *args), *args)


def test_hessian_and_jvp_graphs_compile():
    x = np.random.default_rng(2).normal(size=4)
    f = lambda x: wnp.sum(wnp.sin(x) * wnp.exp(wnp.tanh(x)))
    check_graph(wire.trace(wire.hessian(f), x), x)
    check_graph(wire.trace(lambda x, v: wire.jvp(f, (x,), (v,)), x, x + 1.0), x, x + 1.0)


# --------------------------------------------------------------------------- the cache


def test_retrace_on_new_shape_and_dtype_only():
    traces = []

    @wire.jit
    def f(x):
        traces.append(x.shape)  # a Python side effect: runs at trace time only
        return wnp.sin(x) * 2.0

    for _ in range(3):
        np.testing.assert_allclose(f(np.ones(3)), np.sin(np.ones(3)) * 2)
    assert len(traces) == 1
    np.testing.assert_allclose(f(np.ones((2, 2))), np.sin(np.ones((2, 2))) * 2)
    assert len(traces) == 2
    f(np.ones(3, np.float32))
    assert len(traces) == 3
    f(np.ones(3))
    assert len(traces) == 3 and f.cache_size() == 3
    f(1.0)  # a Python scalar is its own signature
    assert len(traces) == 4


def test_static_arguments():
    traces = []

    def power(x, n, mode="sum"):
        traces.append(n)
        y = x
        for _ in range(n - 1):  # Python control flow on a static value
            y = y * x
        return wnp.sum(y)

    f = wire.jit(power, static_argnums=1)
    assert float(f(np.full(2, 2.0), 3)) == 16.0
    assert float(f(np.full(2, 2.0), 3)) == 16.0
    assert float(f(np.full(2, 2.0), 2)) == 8.0
    assert traces == [3, 2]
    g = wire.jit(power, static_argnums=(-1,))
    assert float(g(np.full(2, 2.0), 2)) == 8.0
    with pytest.raises(wire.WireError, match="static argument 1 .*list.*not hashable"):
        f(np.ones(2), [1, 2])
    with pytest.raises(wire.WireError, match="static_argnums"):
        wire.jit(power, static_argnums=5)(np.ones(2), 2)


def test_cache_is_bounded_and_clearable():
    f = wire.jit(lambda x: x * 2.0, cache_limit=3)
    for n in range(1, 7):
        np.testing.assert_array_equal(f(np.ones(n)), np.full(n, 2.0))
    assert f.cache_size() == 3
    f.clear_cache()
    assert f.cache_size() == 0
    np.testing.assert_array_equal(f(np.ones(2)), [2.0, 2.0])
    assert f.cache_size() == 1


def test_threads_share_one_jitted_function():
    traces = []

    @wire.jit
    def f(x, y):
        traces.append(1)
        return wnp.tanh(x @ y) * 2.0 - x.sum()

    rng = np.random.default_rng(0)
    cases = [(rng.normal(size=(n, 3)), rng.normal(size=(3, 2))) for n in (1, 2, 3, 4)]
    errors = []

    def work(k):
        try:
            for i in range(40):
                x, y = cases[(k + i) % len(cases)]
                np.testing.assert_allclose(f(x, y), np.tanh(x @ y) * 2.0 - x.sum())
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert f.cache_size() == 4 and len(traces) >= 4


def test_bad_backend_and_bad_function():
    with pytest.raises(wire.WireError, match="backend 'tpu'"):
        wire.jit(lambda x: x, backend="tpu")
    with pytest.raises(wire.WireError):
        wire.jit(3)


def test_kwargs_and_pytrees():
    @wire.jit
    def f(params, x, scale=1.0):
        return {"y": params["w"] @ x * scale, "n": [wnp.sum(params["b"])]}

    p = {"w": np.ones((2, 3)), "b": np.arange(3.0)}
    out = f(p, np.ones(3), scale=2.0)
    np.testing.assert_array_equal(out["y"], [6.0, 6.0])
    assert out["n"][0] == 3.0 and type(out["n"][0]) is np.ndarray


# --------------------------------------------------------------------------- composition


def _loss(w, x):
    return wnp.sum(wnp.tanh(x @ w + 1.0) ** 2)


def test_jit_of_grad_and_grad_of_jit():
    rng = np.random.default_rng(3)
    w, x = rng.normal(size=(4, 4)), rng.normal(size=4)
    ref = wire.grad(_loss)(w, x)
    np.testing.assert_allclose(wire.jit(wire.grad(_loss))(w, x), ref, rtol=1e-12)
    np.testing.assert_allclose(wire.grad(wire.jit(_loss))(w, x), ref, rtol=1e-12)
    np.testing.assert_allclose(wire.jit(wire.grad(wire.jit(_loss)))(w, x), ref, rtol=1e-12)
    h = wire.grad(lambda x: wnp.sum(wire.grad(wire.jit(lambda x: wnp.sum(wnp.sin(x) ** 3)))(x)))
    x3 = rng.normal(size=3)
    ref2 = wire.grad(lambda x: wnp.sum(wire.grad(lambda x: wnp.sum(wnp.sin(x) ** 3))(x)))(x3)
    np.testing.assert_allclose(h(x3), ref2, rtol=1e-12)
    np.testing.assert_allclose(wire.jit(h)(x3), ref2, rtol=1e-12)


def test_grad_of_jit_reuses_the_cached_graph():
    traces = []

    @wire.jit
    def f(x):
        traces.append(1)
        return wnp.sum(wnp.sin(x))

    g = wire.grad(f)
    for _ in range(3):
        np.testing.assert_allclose(g(np.ones(3)), np.cos(np.ones(3)))
    assert len(traces) == 1


def test_vmap_of_jit_and_jit_of_vmap():
    rng = np.random.default_rng(4)
    w, xs = rng.normal(size=(4, 4)), rng.normal(size=(5, 4))
    ref = np.stack([wire.grad(_loss)(w, x) for x in xs])
    got = wire.vmap(wire.jit(wire.grad(_loss)), in_axes=(None, 0))(w, xs)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    got = wire.jit(wire.vmap(wire.grad(_loss), in_axes=(None, 0)))(w, xs)
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_jit_closing_over_an_outer_tracer_is_inlined_not_cached():
    def outer(a):
        inner = wire.jit(lambda x: wnp.sin(x * a))  # closes over the tracer `a`
        return wnp.sum(inner(np.ones(3)))

    np.testing.assert_allclose(wire.grad(outer)(0.5), 3 * np.cos(0.5), rtol=1e-12)


def test_jit_of_a_graph():
    g = wire.trace(lambda x, y: (x * y, wnp.sum(x)), np.ones(3), np.ones(3))
    c = wire.jit(g)
    p, s = c(np.arange(3.0), np.full(3, 2.0))
    np.testing.assert_array_equal(p, [0.0, 2.0, 4.0])
    assert s == 3.0
    with pytest.raises(wire.ShapeError):
        c(np.ones(4), np.ones(4))
    # inlined when called on tracers
    np.testing.assert_allclose(wire.grad(lambda x: c(x, x)[1])(np.ones(3)), np.ones(3))


# --------------------------------------------------------------------------- generated code


def test_lower_shows_readable_source():
    f = wire.jit(wire.grad(_loss))
    w, x = np.ones((4, 4)) * 0.1, np.ones(4)
    low = f.lower(w, x)
    assert isinstance(low.graph, wire.Graph)
    src = low.source
    assert src.count("def compiled(a, b):") == 1
    body = [ln for ln in src.splitlines() if " = " in ln]
    assert len(body) <= len(low.graph)  # one line per node (constants folded, .T inlined)
    assert "np.tanh(" in src and ".T" in src
    assert _written_buffers(src)  # a dying temporary is reused
    np.testing.assert_array_equal(low(w, x), f(w, x))


def test_buffers_are_reused_only_when_dead():
    # t is an output, so it must not be overwritten by the later in-place candidates
    def g(x):
        t = wnp.tanh(x * 3.0)
        return t, t * 2.0, wnp.exp(t + 1.0)

    f = wire.jit(g)
    x = np.linspace(-1, 1, 5)
    t, t2, e = f(x)
    np.testing.assert_array_equal(t, np.tanh(x * 3.0))
    np.testing.assert_array_equal(t2, np.tanh(x * 3.0) * 2.0)
    np.testing.assert_array_equal(e, np.exp(np.tanh(x * 3.0) + 1.0))
    src = f.lower(x).source
    assert "a" not in _written_buffers(src)  # never into an argument
    np.testing.assert_array_equal(x, np.linspace(-1, 1, 5))


def _written_buffers(src: str) -> set:
    """Names the generated code passes as a ufunc's output buffer (the argument after its
    inputs: ``np.sin(b, b)``, ``np.add(b, c, b)``)."""
    out = set()
    for fn, args in re.findall(r"np\.(\w+)\(([^()]*)\)", src):
        ufunc = getattr(np, fn, None)
        parts = [a.strip() for a in args.split(",")]
        if isinstance(ufunc, np.ufunc) and len(parts) == ufunc.nin + 1:
            out.add(parts[-1])
        out.update(p[len("out="):] for p in parts if p.startswith("out="))
    return out


def test_maximum_and_minimum_name_their_output_buffer():
    # NumPy 2.4 deprecates a positional output for these two; compiled code must not warn
    def g(x, y):
        return wnp.maximum(wnp.sin(x), y) * wnp.minimum(x * 2.0, wnp.cos(y))

    x, y = np.linspace(-1, 1, 6), np.linspace(1, -1, 6)
    f = wire.jit(g, disk_cache=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = f(x, y)
    np.testing.assert_array_equal(
        got, np.maximum(np.sin(x), y) * np.minimum(x * 2.0, np.cos(y)))
    src = f.lower(x, y).source
    assert "np.maximum(" in src and "np.minimum(" in src
    for fn in ("maximum", "minimum"):
        for args in re.findall(rf"np\.{fn}\(([^()]*)\)", src):
            assert len(args.split(",")) == 2 or "out=" in args


_VIEWS = ("reshape", "swapaxes", "transpose", "broadcast_to", "stop_gradient")


def _peak_live_bytes(graph, order):
    """Largest sum of live buffers when running ``order`` (views share their input's buffer;
    outputs stay alive to the end)."""
    buf = {}
    for n in order:
        buf[n] = buf.get(n.inputs[0], n.inputs[0]) if n.op.name in _VIEWS else n
    last = {}
    for k, n in enumerate(order):
        for i in n.inputs:
            last[buf.get(i, i)] = k
    for o in graph.outputs:
        last[buf.get(o, o)] = len(order)
    live, peak = 0, 0
    for k, n in enumerate(order):
        if buf[n] is n:
            live += n.aval.size * n.aval.dtype.itemsize
        peak = max(peak, live)
        for b in {buf.get(i, i) for i in n.inputs}:
            if not b.is_leaf and last.get(b) == k:
                live -= b.aval.size * b.aval.dtype.itemsize
    return peak


def test_schedule_releases_activations_during_the_reverse_pass():
    depth, width = 8, 16
    rng = np.random.default_rng(0)
    ws = [rng.normal(size=(width, width)) / 4 for _ in range(depth)]
    x = rng.normal(size=(32, width))

    def loss(ws, x):
        h = x
        for w in ws:
            h = wnp.tanh(h @ w)
        return wnp.mean(h**2)

    graph = wire.simplify(wire.trace(wire.grad(loss), ws, x))
    order = schedule(graph)
    ops = [n for n in graph.nodes if not n.is_leaf]
    assert sorted(map(id, order)) == sorted(map(id, ops))
    pos = {n: k for k, n in enumerate(order)}
    assert all(pos[i] < pos[n] for n in order for i in n.inputs if not i.is_leaf)
    # the canonical order computes every weight gradient at the end, keeping every cotangent
    # alive; the schedule emits each one as soon as it can, close to grads + two buffers
    grads = sum(w.nbytes for w in ws)
    act = x.nbytes
    assert _peak_live_bytes(graph, order) < _peak_live_bytes(graph, ops)
    assert _peak_live_bytes(graph, order) <= grads + depth * act + 3 * act
    check_graph(graph, ws, x)


def test_side_effects_run_at_trace_time_only():
    log = []

    @wire.jit
    def f(x):
        log.append("traced")
        return x + 1.0

    f(np.ones(2))
    f(np.ones(2))
    assert log == ["traced"]


def test_outputs_are_writable_where_evaluate_gives_writable_arrays():
    def f(x):
        c = wnp.cos(wnp.zeros(3))  # folded at compile time, but an output: computed per call
        return x * 2.0, c, wnp.broadcast_to(c, (2, 3)) + x, wnp.zeros((2, 2))

    g = wire.trace(f, np.ones(3))
    want = [o.flags.writeable for o in wire.evaluate(g, np.ones(3))]
    compiled = compile_graph(g)
    for _ in range(2):
        outs = compiled(np.ones(3))
        assert [o.flags.writeable for o in outs] == want
        for o in outs:
            if o.flags.writeable:
                o += 1.0  # the caller may update results in place ...
    np.testing.assert_array_equal(compiled(np.ones(3))[1], np.ones(3))  # ... without effect
