"""Array backends: graphs evaluated on Dask (chunked, threaded, distributed), on a generic
Array-API namespace (array_api_strict) and on CuPy equal the NumPy results.

Dask tests skip with the reason when dask is not installed (``pip install -e '.[dask]'``);
CuPy tests skip unless CuPy and a CUDA device are present.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from corpus import _mlp as corpus_mlp
from corpus import graphs, mlp_args
from selection import skip_unless_slow
from wire.runtime import backends
from wire.api.registry import REGISTRY
from wire.core import bind

da = pytest.importorskip("dask.array", reason="dask is not installed: pip install -e '.[dask]'")
pytest.importorskip("array_api_compat", reason="array-api-compat is not installed")

RTOL = 1e-10


def close(ref, out, rtol=RTOL):
    """Equal pytrees of arrays: shapes, dtypes and values (to rtol)."""
    rl, rt = wire.tree.flatten(ref)
    ol, ot = wire.tree.flatten(out)
    assert rt == ot
    for r, o in zip(rl, ol):
        r, o = np.asarray(r), np.asarray(o)
        assert r.shape == o.shape and r.dtype == o.dtype, (r.shape, r.dtype, o.shape, o.dtype)
        tol = rtol if r.dtype.kind not in "fc" or r.dtype.itemsize >= 8 else 1e-5  # float32
        np.testing.assert_allclose(o, r, rtol=tol, atol=tol * 1e-2, equal_nan=True)


def on_dask(graph, *args, chunks=2):
    out = wire.evaluate(graph, *args, backend="dask", chunks=chunks)
    for leaf in wire.tree.flatten(out)[0]:
        assert isinstance(leaf, da.Array), type(leaf)  # lazy until computed
    return backends.compute(wire.tree.flatten(out)[0], "dask")


# --------------------------------------------------------------------------- every primitive

SAMPLED = sorted(n for n, p in REGISTRY.items() if p.sample is not None)


def _prim_graph(name, seed=0):
    p = REGISTRY[name]
    args, params = p.sample(np.random.default_rng(seed))
    return wire.trace(lambda *a: bind(p, *a, **params), *args), args


# two chunks take every path one chunk does, and the chunk boundaries: one chunk with -m slow
@pytest.mark.parametrize("chunks", [pytest.param(1, marks=pytest.mark.slow), 2])
@pytest.mark.parametrize("name", SAMPLED)
def test_every_primitive_on_dask(name, chunks, request):
    skip_unless_slow(request)
    g, args = _prim_graph(name)
    ref = wire.evaluate(g, *args)
    close(ref, wire.tree.unflatten(g.out_tree, on_dask(g, *args, chunks=chunks)))


# --------------------------------------------------------------------------- example graphs


_mlp = corpus_mlp


def _mlp_args(rng, n=40):
    return mlp_args(rng, sizes=(6, 5, 3), n=n)


CASES = {name: (graph, args) for name, graph, args in graphs(primitives=False)}



@pytest.mark.parametrize("name", sorted(CASES))
def test_example_graphs_on_dask(name):
    g, args = CASES[name]
    ref = wire.evaluate(g, *args)
    close(ref, wire.tree.unflatten(g.out_tree, on_dask(g, *args, chunks=3)))


def test_grad_of_function_of_a_chunked_array():
    rng = np.random.default_rng(2)
    xs = rng.normal(size=(1000, 8))
    w = rng.normal(size=8)
    x_dask = da.from_array(xs, chunks=(128, 8))  # 8 chunks, the last one short

    def loss(w, x):
        return wnp.sum(wnp.logaddexp(0.0, x @ w)) / x.shape[0]

    g = wire.jit(wire.grad(loss), backend="dask")
    out = g(w, x_dask)
    assert isinstance(out, da.Array)
    assert len(out.__dask_graph__()) > 8  # a task graph over the chunks, not one task
    close(wire.grad(loss)(w, xs), out.compute())
    assert g.cache_size() == 1
    close(wire.grad(loss)(w, xs), g(w, x_dask))  # cached entry reused
    assert g.cache_size() == 1


def test_jit_compute_and_chunks():
    rng = np.random.default_rng(3)
    params, x, y = _mlp_args(rng, n=64)
    f = wire.jit(wire.value_and_grad(_mlp), backend="dask", chunks={0: 16}, compute=True)
    value, grads = f(params, x, y)
    ref_value, ref_grads = wire.value_and_grad(_mlp)(params, x, y)
    assert type(value) is np.ndarray
    close((ref_value, ref_grads), (value, grads))
    lazy = wire.jit(wire.grad(_mlp), backend="dask", chunks={0: 16})(params, x, y)
    assert all(isinstance(leaf, da.Array) for leaf in wire.tree.flatten(lazy)[0])


def test_jit_inlines_inside_a_trace():
    f = wire.jit(lambda a: wnp.sin(a) * 2.0, backend="dask")
    xs = np.linspace(0.0, 1.0, 5)
    close(wire.grad(lambda a: wnp.sum(f(a)))(xs), 2.0 * np.cos(xs))


def test_feed_dict_form_on_dask():
    a, b = wire.var("a"), wire.var("b")
    av, bv = np.arange(6.0), np.ones(6)
    out = wire.evaluate([a * b + a], {a: da.from_array(av, chunks=2), "b": bv}, backend="dask")
    assert isinstance(out[0], da.Array)
    close(av * bv + av, out[0].compute())


def test_threaded_scheduler_runs_chunks_in_parallel():
    import dask

    xs = np.random.default_rng(4).normal(size=(4000, 16))
    g = wire.trace(wire.grad(lambda w, x: wnp.sum((x @ w) ** 2)), np.ones(16), xs)
    out = wire.evaluate(g, np.ones(16), xs, backend="dask", chunks={0: 500})
    with dask.config.set(scheduler="threads", num_workers=2):
        close(wire.evaluate(g, np.ones(16), xs), out.compute())


def test_distributed_local_cluster():
    distributed = pytest.importorskip("distributed", reason="distributed is not installed")
    rng = np.random.default_rng(5)
    params, x, y = _mlp_args(rng, n=200)
    f = wire.jit(wire.grad(_mlp), backend="dask", chunks={0: 50})
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:  # in-process workers: no sockets
        lazy = f(params, x, y)
        futures = client.compute(wire.tree.flatten(lazy)[0])
        out = client.gather(futures)
        assert len(client.scheduler_info()["workers"]) == 2
    close(wire.tree.flatten(wire.grad(_mlp)(params, x, y))[0], out)


# --------------------------------------------------------------------------- errors


def test_unknown_backend_is_a_wire_error():
    g = wire.trace(lambda a: a + 1.0, np.ones(2))
    with pytest.raises(wire.BackendError, match="unknown backend 'tpu'"):
        wire.evaluate(g, np.ones(2), backend="tpu")
    with pytest.raises(wire.WireError):
        wire.jit(lambda a: a, backend="tpu")


def test_missing_function_names_backend_primitive_and_function():
    strict = pytest.importorskip("array_api_strict")
    from wire.scipy.special import erf

    g = wire.trace(lambda a: erf(a) * 2.0, np.ones(3))
    with pytest.raises(wire.BackendError, match=r"'erf'.*'array_api_strict'") as e:
        wire.evaluate(g, np.ones(3), backend=strict)
    assert "test_backends.py" in str(e.value)  # the user's line
    repeated = wire.trace(wire.grad(lambda a: wnp.sum(a[np.array([0, 0, 1])] ** 2)), np.ones(3))
    with pytest.raises(wire.BackendError, match=r"scatter_add.*array_api_strict.*add\.at"):
        wire.evaluate(repeated, np.ones(3), backend=strict)


def test_missing_function_names_the_line_of_the_graph_run():
    # nodes are interned and the backend plan is memoized per graph (equal by structure): an
    # equal graph traced first at another line must not lend that line to this one's error
    strict = pytest.importorskip("array_api_strict")
    elsewhere = {}
    source = ("import numpy as np, wire\nfrom wire.scipy.special import erfc\n"
              "g = wire.trace(lambda a: erfc(a) + 3.5, np.ones(5))\n")
    exec(compile(source, "elsewhere.py", "exec"), elsewhere)  # noqa: S102
    with pytest.raises(wire.BackendError, match=r"elsewhere\.py:3"):
        wire.evaluate(elsewhere["g"], np.ones(5), backend=strict)
    from wire.scipy.special import erfc

    line = inspect.currentframe().f_lineno + 1
    g = wire.trace(lambda a: erfc(a) + 3.5, np.ones(5))
    assert g == elsewhere["g"]
    with pytest.raises(wire.BackendError, match=rf"test_backends\.py:{line}\b"):
        wire.evaluate(g, np.ones(5), backend=strict)


def test_shape_mismatch_on_backend():
    g = wire.trace(lambda a: a * 2.0, np.ones(3))
    with pytest.raises(wire.ShapeError, match="dask"):
        wire.evaluate(g, da.ones(4, chunks=2), backend="dask")


# --------------------------------------------------------------------------- generic namespace

STRICT_LACKS = {"erf", "erfc", "erfinv", "ndtri", "gammaln", "polygamma", "scatter_add", "getitem",
                "gammainc", "gammaincc", "gammainc_deriv", "gammainc_dx", "betainc", "betaincc", "betainc_deriv",
                "betainc_dx", "bessel", "erfcx", "expi", "exp1", "binom", "poch",
                "zeta", "riemann_zeta", "zeta_deriv", "riemann_zeta_deriv", "boxcox", "boxcox1p", "expn", "dawsn", "spence", "si", "ci",
                "fresnel_sin", "fresnel_cos", "fresnel_s", "fresnel_c", "hyp1f1", "hyp2f1", "owens_t",
                "wofz", "sph_harm_y",
                # x.at[...] updates: the standard has no integer-array __setitem__ / ufunc.at
                "scatter", "scatter_addto", "scatter_mul", "scatter_min", "scatter_max"}


@pytest.mark.parametrize("name", SAMPLED)
def test_every_primitive_on_array_api_strict(name):
    strict = pytest.importorskip("array_api_strict")
    g, args = _prim_graph(name)
    if name in STRICT_LACKS:
        with pytest.raises(wire.BackendError, match=name):
            wire.evaluate(g, *args, backend=strict)
        return
    out = wire.evaluate(g, *args, backend=strict)
    leaves = [np.asarray(v) for v in wire.tree.flatten(out)[0]]
    close(wire.evaluate(g, *args), wire.tree.unflatten(g.out_tree, leaves))


def test_numpy_backend_is_the_plain_path():
    g = wire.trace(lambda a: wnp.tanh(a).sum(), np.ones(3))
    assert wire.evaluate(g, np.ones(3), backend=np) == wire.evaluate(g, np.ones(3))
    assert backends.resolve(np) is backends.resolve("numpy")
    assert backends.resolve(da) is backends.resolve("dask")


# --------------------------------------------------------------------------- CuPy


def _cupy_or_skip():
    cupy = pytest.importorskip("cupy", reason="cupy is not installed: pip install -e '.[cupy]'")
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # noqa: BLE001 - CUDARuntimeError without a driver
        pytest.skip(f"no CUDA device: {e}")
    if n == 0:
        pytest.skip("no CUDA device")
    return cupy


@pytest.mark.parametrize("name", SAMPLED)
def test_every_primitive_on_cupy(name):
    cupy = _cupy_or_skip()
    g, args = _prim_graph(name)
    out = wire.evaluate(g, *args, backend="cupy")
    leaves = [cupy.asnumpy(v) for v in wire.tree.flatten(out)[0]]
    close(wire.evaluate(g, *args), wire.tree.unflatten(g.out_tree, leaves))


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_graphs_on_cupy(name):
    cupy = _cupy_or_skip()
    g, args = CASES[name]
    out = wire.evaluate(g, *args, backend="cupy")
    leaves = [cupy.asnumpy(v) for v in wire.tree.flatten(out)[0]]
    close(wire.evaluate(g, *args), wire.tree.unflatten(g.out_tree, leaves))


def test_missing_extra_names_the_install_command():
    from wire.runtime.backends._cupy import device_count

    if device_count() > 0:
        pytest.skip("CuPy and a device are present")
    g = wire.trace(lambda a: a * 2.0, np.ones(2))
    with pytest.raises(wire.BackendError, match=r"'cupy' is not available.*wire\[cupy\]"):
        wire.evaluate(g, np.ones(2), backend="cupy")
