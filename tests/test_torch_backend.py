"""The torch backend: graphs evaluated on PyTorch tensors equal the NumPy results.

CPU always (torch is in the ``reference`` and ``torch`` extras); CUDA when a device is present
(skipped with the reason otherwise). Oracles: wire's NumPy evaluation of the same graph — every
primitive on its samples, every program of the example corpus and its value-and-gradient, to
1e-12 in float64 (relative; absolute 1e-12 times the output's largest magnitude, at least 1),
and the corpus in float32 (1e-5) and float16 (5e-3); special values (NaN, ±inf, ±0.0, subnormals, the dtype limits) through every
elementwise primitive, signed zeros included; dtypes always kept.
"""

from __future__ import annotations

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import special_cases
from corpus import graphs, programs
from wire.api.registry import REGISTRY
from wire.core import bind
from wire.runtime import backends

torch = pytest.importorskip("torch", reason="torch is not installed: pip install -e '.[torch]'")
pytest.importorskip("array_api_compat", reason="array-api-compat is not installed")

CUDA = pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device (torch.cuda.is_available() is False)"))
DEVICES = ["cpu", CUDA]

# eigenvectors and singular vectors are defined up to a sign (a phase for eig): two LAPACKs
# may pick either. Per primitive: (output, axis along which each vector runs).
PHASE_FREE = {"eig": {1: -2}, "eigh": {1: -2}, "svd": {0: -2, 2: -1}}
# tolerances below float64's
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.complex64): 1e-5, np.dtype(np.float16): 5e-3}


def host(value):
    assert isinstance(value, torch.Tensor), type(value)
    return value.detach().cpu().numpy()


def _same_phase(ref, out, axis):
    """``out``'s vectors (running along ``axis``) turned to the phase of ``ref``'s: each is
    multiplied by the unit number that makes its largest entry agree with ``ref``'s."""
    k = np.argmax(np.abs(ref), axis=axis, keepdims=True)
    r = np.take_along_axis(ref, k, axis=axis)
    o = np.take_along_axis(out, k, axis=axis)
    turn = r / np.where(o == 0, 1, o)
    return out * (turn / np.where(turn == 0, 1, np.abs(turn)))


def close(ref, out, rtol=1e-12, phase_free=None):
    """Equal pytrees: shapes, dtypes and values: to ``rtol`` relative, and ``rtol`` times
    the output's largest finite magnitude (at least 1) absolute."""
    rl, rt = wire.tree.flatten(ref)
    ol, ot = wire.tree.flatten(out)
    assert rt == ot
    for i, (r, o) in enumerate(zip(rl, ol)):
        r, o = np.asarray(r), host(o)
        assert r.shape == o.shape and r.dtype == o.dtype, (r.shape, r.dtype, o.shape, o.dtype)
        if i in (phase_free or {}):
            o = _same_phase(r, o, phase_free[i])
        tol = max(rtol, RTOL.get(r.dtype, rtol))
        finite = np.abs(r[np.isfinite(r)]) if r.dtype.kind in "fc" else np.zeros(0)
        scale = max(1.0, float(np.max(finite, initial=0.0)))  # absolute below 1
        np.testing.assert_allclose(o, r, rtol=tol, atol=tol * scale, equal_nan=True)


def on(device):
    return f"torch:{device}"


# --------------------------------------------------------------------------- every primitive

SAMPLED = sorted(n for n, p in REGISTRY.items() if p.sample is not None)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", SAMPLED)
def test_every_primitive(name, device):
    p = REGISTRY[name]
    args, params = p.sample(np.random.default_rng(0))
    g = wire.trace(lambda *a: bind(p, *a, **params), *args)
    out = wire.evaluate(g, *args, backend=on(device))
    close(wire.evaluate(g, *args), out, phase_free=PHASE_FREE.get(name))


# --------------------------------------------------------------------------- the corpus

CASES = {name: (graph, args) for name, graph, args in graphs(primitives=False)}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_example_graphs(name, device):
    g, args = CASES[name]
    close(wire.evaluate(g, *args), wire.evaluate(g, *args, backend=on(device)))


def _cast(args, dtype):
    return wire.tree.map(lambda a: a.astype(dtype) if isinstance(a, np.ndarray)
                         and a.dtype.kind == "f" else a, args)


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float16, 5e-3)])
def test_corpus_in_lower_precision(dtype, rtol):
    checked = 0
    for name, f, args in programs():
        args = _cast(args, dtype)
        for fn in (f, wire.value_and_grad(f)):
            try:
                g = wire.trace(fn, *args)
                ref = wire.evaluate(g, *args)
            except (wire.WireError, np.linalg.LinAlgError):
                continue  # not a float program, or not one NumPy runs at this precision
            close(ref, wire.evaluate(g, *args, backend="torch"), rtol=rtol)
            checked += 1
    assert checked > 40


# --------------------------------------------------------------------------- special values


def _elementwise(dtype):
    """(name, graph, inputs): each float primitive on every special value (binary ones: on
    every pair), for the primitives whose sample is elementwise float arrays."""
    v = special_cases.floats(dtype)
    a, b = (x.ravel() for x in np.meshgrid(v, v))
    for name in sorted(set(SAMPLED) - ON_HOST):
        p = REGISTRY[name]
        args, params = p.sample(np.random.default_rng(0))
        if not 1 <= len(args) <= 2 or not all(np.asarray(x).dtype.kind == "f" for x in args):
            continue
        ins = (v,) if len(args) == 1 else (a, b)
        try:
            g = wire.trace(lambda *x, p=p, params=params: bind(p, *x, **params), *ins)
            ref = wire.evaluate(g, *ins)
        except (wire.WireError, ValueError, TypeError, IndexError):
            continue  # not elementwise at these shapes
        if all(np.shape(r) == ins[0].shape for r in wire.tree.leaves(ref)):
            yield name, g, ins, ref


# NaN in an FFT's input: torch spreads it into the imaginary part of the zero frequency, where
# NumPy's keeps an exact 0 (both are NaN elsewhere); searchsorted is not elementwise (its
# sample's shapes only look so), and these inputs are not sorted, where its answer is each
# library's own binary search's
SPECIAL_EXCEPTIONS = {"fft", "searchsorted"}
# the incomplete gamma/beta family runs NumPy's own implementation on host copies (identical by
# construction, and its shape derivatives take seconds at the extreme values)
ON_HOST = {"gammainc", "gammaincc", "gammainc_deriv", "betainc", "betainc_deriv"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_special_values_of_elementwise_primitives(dtype):
    seen = []
    with np.errstate(all="ignore"):
        for name, g, ins, ref in _elementwise(dtype):
            seen.append(name)
            if name in SPECIAL_EXCEPTIONS:
                continue
            out = wire.evaluate(g, *ins, backend="torch")
            for r, o in zip(wire.tree.flatten(ref)[0], wire.tree.flatten(out)[0]):
                r, o = np.asarray(r), host(o)
                assert r.dtype == o.dtype, (name, r.dtype, o.dtype)
                if r.dtype.kind == "c":
                    r, o = np.stack([r.real, r.imag]), np.stack([o.real, o.imag])
                r, o = r.astype(np.float64), o.astype(np.float64)
                tol = 1e-12 if dtype == np.float64 else 1e-5
                same = (np.isnan(r) & np.isnan(o)) | (r == o) | (np.abs(o - r) <= tol * np.abs(r))
                zeros = (r == 0) & (np.signbit(r) != np.signbit(o))
                bad = np.nonzero(~same | zeros)[0]
                assert bad.size == 0, (name, [(tuple(x[i % x.size] for x in ins), r[i], o[i])
                                              for i in bad[:5]])
    assert {"exp", "log1p", "erfinv", "complex", "add", "maximum", "arctan2"} <= set(seen)


def test_empty_and_size_one_arrays_and_integers():
    f = lambda a, k: (wnp.sum(a * 2.0, axis=0), a.T @ a, k * 3 + k.sum(), wnp.max(a, axis=1))
    for a, k in [(np.ones((0, 3)), np.arange(0)), (np.ones((1, 1)), np.array([7])),
                 (np.ones((2, 3), np.float32), np.arange(4, dtype=np.int32))]:
        g = wire.trace(f, a, k)
        try:
            ref = wire.evaluate(g, a, k)
        except ValueError:  # max of an empty axis: NumPy refuses, so must torch
            with pytest.raises(wire.BackendError):
                wire.evaluate(g, a, k, backend="torch")
            continue
        close(ref, wire.evaluate(g, a, k, backend="torch"))


# --------------------------------------------------------------------------- the API


def test_jit_takes_numpy_and_tensors_and_returns_tensors():
    def loss(w, x):
        return wnp.sum(wnp.logaddexp(0.0, x @ w)) / x.shape[0]

    rng = np.random.default_rng(2)
    w, x = rng.normal(size=8), rng.normal(size=(100, 8))
    g = wire.jit(wire.grad(loss), backend="torch")
    ref = wire.grad(loss)(w, x)
    out = g(w, x)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    close(ref, out)
    close(ref, g(torch.from_numpy(w), torch.from_numpy(x)))
    close(ref, g(torch.from_numpy(w), x))  # a mix
    assert g.cache_size() == 2  # NumPy arguments are keyed apart (jit's fast path)
    close(ref, g(torch.from_numpy(w), torch.from_numpy(x)))
    assert g.cache_size() == 2
    f32 = g(w.astype(np.float32), torch.from_numpy(x.astype(np.float32)))
    assert f32.dtype == torch.float32


def test_jit_of_a_graph_and_inside_a_trace():
    g = wire.trace(lambda a: wnp.sin(a) * 2.0, np.ones(5))
    prog = wire.jit(g, backend="torch")
    xs = np.linspace(0.0, 1.0, 5)
    close(2.0 * np.sin(xs), prog(xs))
    f = wire.jit(lambda a: wnp.sin(a) * 2.0, backend="torch")
    inlined = wire.grad(lambda a: wnp.sum(f(a)))(xs)  # traced through: NumPy, like the rest
    assert isinstance(inlined, np.ndarray)
    np.testing.assert_allclose(inlined, 2.0 * np.cos(xs), rtol=1e-14)


def test_evaluate_feed_dict_and_pytrees():
    a, b = wire.var("a"), wire.var("b")
    av, bv = np.arange(6.0), np.ones(6)
    out = wire.evaluate([a * b + a], {a: torch.from_numpy(av), "b": bv}, backend="torch")
    close([av * bv + av], out)
    g = wire.trace(lambda d: {"s": d["a"] * 2.0, "t": [d["b"] + 1.0, None]},
                   {"a": av, "b": np.eye(2)})
    out = wire.evaluate(g, {"a": av, "b": np.eye(2)}, backend="torch")
    assert out["t"][1] is None
    close(wire.evaluate(g, {"a": av, "b": np.eye(2)}), out)


def test_backend_names_resolve_to_one_backend_per_device():
    cpu = backends.resolve("torch:cpu")
    assert backends.resolve("torch") is cpu  # torch's default device is the CPU here
    assert backends.resolve(torch) is cpu
    from array_api_compat import torch as xp

    assert backends.resolve(xp) is cpu
    assert cpu.name == "torch:cpu"


def test_inputs_are_not_written_and_constants_are_shared_once():
    x = np.arange(6.0).reshape(2, 3)
    keep = x.copy()
    g = wire.trace(wire.grad(lambda a: wnp.sum(a[np.array([0, 0, 1])] ** 2)), x)
    out = wire.evaluate(g, x, backend="torch")
    np.testing.assert_array_equal(x, keep)
    close(wire.evaluate(g, x), out)


def test_errors_name_the_backend_and_device():
    g = wire.trace(lambda a: a * 2.0, np.ones(3))
    with pytest.raises(wire.ShapeError, match="torch:cpu"):
        wire.evaluate(g, torch.ones(4, dtype=torch.float64), backend="torch")
    with pytest.raises(wire.BackendError, match="meta"):  # a tensor on another device
        wire.evaluate(g, torch.ones(3, dtype=torch.float64, device="meta"), backend="torch")
    with pytest.raises(wire.BackendError, match="torch:nowhere"):
        wire.evaluate(g, np.ones(3), backend="torch:nowhere")
    if not torch.cuda.is_available():
        with pytest.raises(wire.BackendError, match="CUDA"):
            wire.evaluate(g, np.ones(3), backend="torch:cuda")


@pytest.mark.parametrize("device", [CUDA])
def test_cuda_results_stay_on_the_device(device):
    f = wire.jit(wire.grad(lambda a: wnp.sum(wnp.tanh(a) ** 2)), backend="torch:cuda")
    out = f(np.linspace(-1.0, 1.0, 7))
    assert out.device.type == "cuda"
    close(wire.grad(lambda a: wnp.sum(wnp.tanh(a) ** 2))(np.linspace(-1.0, 1.0, 7)), out)


def test_torch_autograd_records_the_graph():
    f = lambda v: wnp.sum(wnp.sin(v) * v[np.array([0, 0, 1])])  # noqa: E731
    a = torch.tensor([0.3, 0.5, 0.7], dtype=torch.float64, requires_grad=True)
    out = wire.evaluate(wire.trace(f, np.ones(3)), a, backend="torch")
    out.backward()
    np.testing.assert_allclose(host(a.grad), wire.grad(f)(host(a)), rtol=1e-14)
