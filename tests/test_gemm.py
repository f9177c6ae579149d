"""The GEMM provider of compiled code (wire.runtime.gemm): ``wire.jit(f, gemm="torch")`` runs
large float32/float64 matrix products through torch.matmul on views of the NumPy arrays.

Oracle: ``np.matmul``. The values differ only by the order of the sums: each entry within
``4 * k * eps * (|A| @ |B|)`` (a sum of k products, each rounded once, accumulated in
some order); NaN, infinities (with their signs) and the zeros' signs exactly as NumPy's.
The tests count torch.mm and torch.matmul calls, so a provider that quietly runs NumPy fails them."""

import threading
import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.errors import GemmUnavailableError
from wire.runtime import gemm
from wire.runtime.compiler import compile_graph

torch = pytest.importorskip("torch")

F32, F64 = np.float32, np.float64
# (m, k, n) at or above MIN_WORK in each dtype
BIG = {F32: (160, 192, 160), F64: (128, 136, 128)}


@pytest.fixture
def calls(monkeypatch):
    """Counts torch.mm and torch.matmul calls (gemm.torch_matmul looks them up at each call)."""
    n = [0]

    def counting(orig):
        def call(*a, **k):
            n[0] += 1
            return orig(*a, **k)
        return call

    monkeypatch.setattr(torch, "matmul", counting(torch.matmul))
    monkeypatch.setattr(torch, "mm", counting(torch.mm))
    return n


def close(got, a, b):
    """``got`` equals ``np.matmul(a, b)`` up to the order of the sums (see the docstring)."""
    with np.errstate(invalid="ignore", over="ignore"):
        want = np.matmul(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    inf = np.isinf(want)
    np.testing.assert_array_equal(np.isinf(got), inf)
    np.testing.assert_array_equal(np.signbit(got[inf]), np.signbit(want[inf]))
    zero = want == 0
    finite = np.isfinite(want)
    k = a.shape[-1]
    with np.errstate(invalid="ignore", over="ignore"):
        bound = 4 * k * np.finfo(want.dtype).eps * np.matmul(np.abs(a), np.abs(b))
        err = np.abs(got.astype(np.float64) - want)
    assert np.all(err[finite] <= bound[finite]), float(np.max(err[finite] - bound[finite]))
    # a zero result of NumPy's (a sum starting at +0.0) is +0.0 here too
    both = zero & (got == 0)
    np.testing.assert_array_equal(np.signbit(got[both]), np.signbit(want[both]))


def rand(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_values_and_layouts(dtype, calls):
    m, k, n = BIG[dtype]
    a, b = rand((m, k), dtype, 1), rand((k, n), dtype, 2)
    cases = [
        (a, b),
        (np.asfortranarray(a), b),                       # transposed layouts
        (a, np.asfortranarray(b)),
        (rand((k, m), dtype, 3).T, rand((n, k), dtype, 4).T),
        (rand((2 * m, k), dtype, 5)[::2], b),            # row stride 2
        (rand((m, 2 * k), dtype, 6)[:, ::2], b),         # column stride 2
        (a[::-1], b),                                    # negative strides: copied
        (a, b[:, ::-1]),
        (np.broadcast_to(rand((1, k), dtype, 7), (m, k)), b),  # stride 0, read-only
    ]
    for x, y in cases:
        before = calls[0]
        close(gemm.torch_matmul(x, y), x, y)
        assert calls[0] == before + 1


@pytest.mark.parametrize("dtype", [F32, F64])
def test_nan_inf_and_zeros_as_numpy(dtype, calls):
    m, k, n = BIG[dtype]
    a, b = rand((m, k), dtype, 1), rand((k, n), dtype, 2)
    a[3, :] = 0.0
    b[7, 5] = np.inf           # 0 * inf in row 3: NaN (a kernel skipping zeros would miss it)
    b[9, 0] = -np.inf
    b[11, 2] = np.nan
    a[10, 20] = np.nan
    a[20, :] = -0.0            # row 20 times b: products of both signs, the sum +0.0
    a[21, :] = -0.0
    b[:, 40] = 1.0             # (21, 40): every product -0.0, NumPy's sum +0.0
    a[30, 4] = np.inf
    with np.errstate(invalid="ignore"):
        got = gemm.torch_matmul(a, b)
    close(got, a, b)
    # a row of zeros times finite: +0.0 everywhere, as NumPy
    z = np.full((m, k), -0.0, dtype)
    got = gemm.torch_matmul(z, np.abs(rand((k, n), dtype, 3)) + 1)
    assert not np.signbit(got).any() and calls[0] == 2
    # a contraction of 1 stays on NumPy (torch's outer product gives -0.0 there)
    got = gemm.torch_matmul(np.full((300, 1), -0.0, dtype), np.ones((1, 300), dtype))
    assert not np.signbit(got).any() and calls[0] == 2


def test_empty_size_one_and_batched(calls):
    rng = np.random.default_rng(3)
    for a_shape, b_shape in [((0, 64), (64, 32)), ((5, 0, 64), (64, 32)), ((1, 2048), (2048, 1024)),
                             ((1024, 2048), (2048, 1)), ((3, 1, 64, 128), (4, 128, 96)),
                             ((2, 64, 128), (1, 128, 96)), ((1, 1, 128), (1, 128, 1))]:
        for dtype in (F32, F64):
            a = rng.standard_normal(a_shape).astype(dtype)
            b = rng.standard_normal(b_shape).astype(dtype)
            close(gemm.torch_matmul(a, b), a, b)
    assert calls[0] == 14


def test_other_dtypes_stay_on_numpy(calls):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((128, 160)), rng.standard_normal((160, 128))
    for x, y in [(a.astype(np.int64), b.astype(np.int64)),
                 (a.astype(np.float16), b.astype(np.float16)),
                 (a + 1j * a, b - 2j * b), (a.astype(F32), b),
                 (a.astype(np.complex64), b.astype(np.complex64)),
                 (a.astype(">f8"), b.astype(">f8"))]:
        got = gemm.torch_matmul(x, y)
        np.testing.assert_array_equal(got, np.matmul(x, y))
        assert got.dtype == np.matmul(x, y).dtype
        if x.dtype != y.dtype or not x.dtype.isnative:
            continue  # (traced: converted to one native dtype first)
        f = wire.jit(lambda p, q: p @ q, gemm="torch")
        np.testing.assert_array_equal(f(x, y), np.matmul(x, y))
        assert gemm.routed(f.lower(x, y).compiled) == 0
    assert calls[0] == 0
    # float32 @ float64 is traced as a float64 product, which qualifies
    f = wire.jit(lambda p, q: p @ q, gemm="torch")
    close(f(a.astype(F32), b), a.astype(F32).astype(F64), b)
    assert calls[0] == 1


def test_read_only_inputs_are_neither_warned_about_nor_mutated(calls):
    a, b = rand((128, 160), F32, 1), rand((160, 128), F32, 2)
    a.setflags(write=False)
    a0, b0 = a.copy(), b.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        close(gemm.torch_matmul(a, b), a, b)
        close(gemm.torch_matmul(b.T, a.T), b.T, a.T)
    out = np.empty((128, 128), F32)
    assert gemm.torch_matmul(a, b, out) is out  # written in place
    close(out, a, b)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
    assert calls[0] == 3


def mlp_loss(params, x, y):
    w1, w2, w3 = params
    h = wnp.tanh(x @ w1)
    h = wnp.tanh(h @ w2)
    return wnp.mean((h @ w3 - y) ** 2)


def mlp_args(dtype):
    rng = np.random.default_rng(5)
    params = [rng.standard_normal(s).astype(dtype) * 0.05
              for s in [(196, 256), (256, 256), (256, 10)]]
    x = rng.standard_normal((128, 196)).astype(dtype)
    return params, x, rng.standard_normal((128, 10)).astype(dtype)


@pytest.mark.parametrize("dtype", [F32, F64])
def test_jit_mlp_gradient_runs_on_torch(dtype, calls):
    params, x, y = mlp_args(dtype)
    keep = [p.copy() for p in params] + [x.copy(), y.copy()]
    step = wire.jit(wire.value_and_grad(mlp_loss), gemm="torch")
    ref = wire.jit(wire.value_and_grad(mlp_loss))
    (v, g), (v0, g0) = step(params, x, y), ref(params, x, y)
    # the 196-256-256 products qualify (forward 2, backward 3); the 10-wide ones do not
    lowered = step.lower(params, x, y).compiled
    assert gemm.routed(lowered) >= 5
    assert calls[0] >= 5
    eps = np.finfo(dtype).eps
    assert abs(v - v0) <= 1e3 * eps * abs(v0)
    for a, b in zip(g, g0):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=1e3 * eps * np.abs(b).max())
    n = calls[0]
    step(params, x, y)  # (the arena's buffers: written in place the second time)
    assert calls[0] == n + gemm.routed(lowered)
    for a, b in zip(params + [x, y], keep):
        np.testing.assert_array_equal(a, b)
    # the default provider is NumPy's, bit for bit
    assert gemm.routed(ref.lower(params, x, y).compiled) == 0
    (v1, g1) = wire.jit(wire.value_and_grad(mlp_loss), gemm="numpy")(params, x, y)
    assert v1 == v0 and all(np.array_equal(a, b) for a, b in zip(g1, g0))


def test_outputs_are_fresh_and_threads_do_not_share_buffers(calls):
    f = wire.jit(lambda a, b: wnp.tanh(a @ b) @ b.T, gemm="torch")
    rng = np.random.default_rng(6)
    b = rng.standard_normal((256, 256)).astype(F32)
    xs = [rng.standard_normal((64, 256)).astype(F32) for _ in range(4)]
    want = [np.tanh(x @ b) @ b.T for x in xs]
    first = f(xs[0], b)
    second = f(xs[1], b)  # (the first is still held: not recycled, not overwritten)
    assert first.flags.writeable and not np.shares_memory(first, second)
    np.testing.assert_allclose(first, want[0], rtol=1e-4, atol=1e-3)
    errors = []

    def work(k):
        try:
            for _ in range(15):
                for j in (k, k + 2):
                    got = f(xs[j], b)
                    if not np.allclose(got, want[j], rtol=1e-4, atol=1e-3):
                        errors.append(j)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert gemm.routed(f.lower(xs[0], b).compiled) == 2 and calls[0] >= 124


def test_auto_numpy_and_options(monkeypatch, calls):
    small = wire.jit(lambda a: a @ a, gemm="auto")
    x = np.ones((8, 8))
    with monkeypatch.context() as m:
        m.setattr(gemm, "_torch", lambda: pytest.fail("torch imported for a small product"))
        assert np.array_equal(small(x), x @ x)
        assert gemm.routed(small.lower(x).compiled) == 0
    big = wire.jit(lambda a: a @ a, gemm="auto")
    y = rand((128, 128), F64)
    close(big(y), y, y)
    assert gemm.routed(big.lower(y).compiled) == 1 and calls[0] == 1
    # WIRE_GEMM sets the default; bad values are named
    monkeypatch.setenv("WIRE_GEMM", "torch")
    assert wire.jit(lambda a: a @ a).gemm == "torch"
    monkeypatch.setenv("WIRE_GEMM", "blas")
    with pytest.raises(wire.WireError, match="WIRE_GEMM"):
        wire.jit(lambda a: a @ a)
    monkeypatch.delenv("WIRE_GEMM")
    with pytest.raises(wire.WireError, match="gemm must be one of"):
        wire.jit(lambda a: a @ a, gemm="mkl")
    # compile_graph and jit(Graph) take it too
    g = wire.trace(lambda a: a @ a, y)
    assert gemm.routed(compile_graph(g, gemm="torch")) == 1
    assert gemm.routed(compile_graph(g)) == 0
    close(wire.jit(g, gemm="torch")(y), y, y)


def test_missing_torch_is_an_error_at_jit_time(monkeypatch):
    monkeypatch.setattr(gemm, "torch_available", lambda: False)
    with pytest.raises(GemmUnavailableError, match="gemm='torch'") as e:
        wire.jit(lambda a: a @ a, gemm="torch")
    assert isinstance(e.value, wire.WireError) and isinstance(e.value, ImportError)
    # "auto" then compiles to NumPy's code
    f = wire.jit(lambda a: a @ a, gemm="auto")
    y = rand((128, 128), F64)
    assert np.array_equal(f(y), y @ y) and gemm.routed(f.lower(y).compiled) == 0


def test_disk_cache_keys_differ(calls):
    def f(a):
        return wnp.sin(a @ a)

    y = rand((128, 128), F64, 9)
    np.testing.assert_array_equal(wire.jit(f)(y), np.sin(y @ y))
    before = calls[0]  # (NumPy's code, stored on disk, is not loaded for torch's)
    got = wire.jit(f, gemm="torch")(y)
    assert calls[0] == before + 1
    np.testing.assert_allclose(got, np.sin(y @ y), rtol=0, atol=1e-12)


def test_code_on_torch_is_stored_on_disk_and_loaded_with_its_provider(tmp_path, monkeypatch,
                                                                      calls):
    monkeypatch.setenv("WIRE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("WIRE_DISK_CACHE", raising=False)
    jit_module = __import__("sys").modules["wire.api.jit"]

    def f(a, s):
        return wnp.tanh(a @ a * s)

    y = rand((128, 128), F64, 11)
    first = wire.jit(f, gemm="torch")(y, 0.5)
    stored = list((tmp_path).rglob("*.json"))
    assert len(stored) == 1  # (code calling the provider was never written)

    def refuse(*args, **kwargs):
        raise AssertionError("compiled although the disk cache had the code")

    monkeypatch.setattr(jit_module, "compile_graph", refuse)
    before = calls[0]
    again = wire.jit(f, gemm="torch")(y, 0.5)  # a new function: loaded from disk
    assert calls[0] == before + 1  # the loaded code calls torch as the compiled did
    np.testing.assert_array_equal(again, first)


def test_reduced_precision_and_odd_out_stay_on_numpy(monkeypatch, calls):
    a, b = rand((128, 160), F32, 1), rand((160, 128), F32, 2)
    with monkeypatch.context() as m:
        m.setattr(torch, "get_float32_matmul_precision", lambda: "medium")
        np.testing.assert_array_equal(gemm.torch_matmul(a, b), np.matmul(a, b))  # (no TF32)
    out = np.empty((128, 128), F32).T  # not C-contiguous
    assert gemm.torch_matmul(a, b, out) is out
    # (NumPy's own product into a transposed buffer: on some CPUs its bits differ from the
    # product into a C-ordered one, as BLAS is then called on the transposed problem)
    np.testing.assert_array_equal(out, np.matmul(a, b, out=np.empty((128, 128), F32).T))
    assert calls[0] == 0


def test_native_tier_keeps_the_provider(calls):
    from wire.runtime.compiler import compile_native

    w, x = rand((128, 128), F64, 1), rand((128, 128), F64, 2)
    g = wire.trace(lambda w, x: wnp.sin(x @ w) * 2.0 + 1.0, w, x)
    c = compile_native(g, min_elements=1, gemm="torch")
    if c is None:
        pytest.skip("no C compiler with libmvec here")
    assert gemm.routed(c) == 1
    np.testing.assert_allclose(c(w, x), np.sin(x @ w) * 2.0 + 1.0, rtol=0, atol=1e-13)
    assert calls[0] == 1


def layouts(base):
    """Views torch cannot always take as they are: reversed, transposed, broadcast, strided,
    unaligned, strides that are no multiple of the item size (a structured field)."""
    m, k = base.shape
    yield base
    yield base[::-1]
    yield base[:, ::-1]
    yield np.asfortranarray(base)[::-1]
    yield np.broadcast_to(base[:1], base.shape)
    yield np.broadcast_to(base[:1], base.shape)[::-1]
    big = np.zeros((2 * m, 2 * k), base.dtype)
    big[::2, ::2] = base
    yield big[::2, ::2]
    raw = np.zeros(base.nbytes + 1, np.uint8)[1:].view(base.dtype).reshape(base.shape)
    raw[...] = base
    yield raw
    field = np.zeros(base.shape, dtype=[("x", base.dtype), ("y", np.int8)])
    field["x"] = base
    yield field["x"]


def test_every_layout_writable_or_read_only(calls):
    # (torch aborts the whole process on a read-only array with negative strides handed to
    # from_dlpack: such operands must be copied before torch sees them)
    a, b = rand((64, 160), F64, 1), rand((160, 48), F64, 2)
    n = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for read_only in (False, True):
            for x in layouts(a):
                for y in layouts(b):
                    x, y = x.view(), y.view()
                    if read_only:
                        x.flags.writeable = y.flags.writeable = False
                    x0, y0 = x.copy(), y.copy()
                    got = gemm.torch_matmul(x, y)
                    assert got.flags.writeable
                    close(got, x, y)
                    assert np.array_equal(x, x0) and np.array_equal(y, y0)
                    n += 1
    assert calls[0] == n == 162


def test_outs_torch_cannot_take_go_to_numpy(calls):
    a, b = rand((128, 160), F64, 1), rand((160, 160), F64, 2)
    want = np.matmul(a, b)
    x = a.copy()
    assert gemm.torch_matmul(x, b, x) is x  # out is an operand: NumPy buffers the overlap
    np.testing.assert_array_equal(x, want)
    with pytest.raises(ValueError):  # a wrong shape: NumPy's error, not a resized tensor
        gemm.torch_matmul(a, b, np.empty((128, 161)))
    out = np.empty((2, 128, 160))  # (NumPy broadcasts the result into it)
    assert gemm.torch_matmul(a, b, out) is out
    np.testing.assert_array_equal(out, np.matmul(a, b, out=np.empty((2, 128, 160))))
    assert calls[0] == 0
    batched = np.empty((2, 128, 160))
    assert gemm.torch_matmul(np.stack([a, a]), b, batched) is batched
    close(batched, np.stack([a, a]), b)
    assert calls[0] == 1


def test_batched_products_write_into_scratch_buffers(calls):
    f = wire.jit(lambda a, b: wnp.sum(wnp.tanh(a @ b), axis=0), gemm="torch")
    for sa, sb in [((4, 64, 256), (256, 256)), ((3, 1, 64, 128), (4, 128, 96))]:
        a, b = rand(sa, F32, 1), rand(sb, F32, 2)
        for _ in range(2):
            got = f(a, b)
        code = f.lower(a, b).compiled
        assert gemm.routed(code) == 1 and "W0)" in code.code  # (out= a scratch buffer)
        np.testing.assert_allclose(got, np.tanh(a @ b).sum(0), rtol=1e-5, atol=1e-5)
    assert calls[0] == 4
