"""Native fused kernels (wire.runtime.native): the same bits as the NumPy code for arithmetic,
within ULP_BOUND ulps for libmvec's functions, NumPy's warnings through the fallback, the
on-disk cache of compiled libraries, the switch, and the background swap under threads."""

import os
import re
import subprocess
import sys
import threading
import warnings

import corpus
import numpy as np
import pytest
from selection import slow_selected

import wire
import wire.numpy as wnp
from wire.api import diskcache
from wire.runtime import cbuild, native
from wire.runtime.compiler import compile_graph, compile_native

pytestmark = pytest.mark.skipif(not cbuild.available(),
                                reason="no C compiler with libmvec on x86-64 Linux")

N = 1000
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
                    1.7976931348623157e308, -1.7976931348623157e308, 1.0, -1.0, 0.5, 710.0,
                    -745.5, 1e-300, 3.0, -2.5])


def _ulps(a, b):
    """Distance in units of the last place (NaN against NaN: 0)."""
    a, b = np.asarray(a), np.asarray(b)
    it = np.int64 if a.dtype == np.float64 else np.int32
    ia, ib = a.view(it).astype(np.int64), b.view(it).astype(np.int64)
    top = np.int64(np.iinfo(it).min)
    ia = np.where(ia < 0, top - ia, ia)
    ib = np.where(ib < 0, top - ib, ib)
    same = (np.isnan(a) & np.isnan(b)) | (a == b) & (np.signbit(a) == np.signbit(b))
    return np.where(same, 0, np.abs(ia - ib))


def _both(f, *args):
    g = wire.trace(f, *args)
    c = compile_native(g, min_elements=1)  # (every region, whether the cost model picks it)
    assert c is not None and "_k0(" in c.source
    return c, compile_graph(g)


def _inputs(dtype, lo=-3.0, hi=3.0, n=N):
    x = np.random.default_rng(1).uniform(lo, hi, n).astype(dtype)
    return x


ARITH = [
    lambda x, y: x + y * 2.0 - y / x,
    lambda x, y: -(x * x) + wnp.sqrt(wnp.abs(y)),
    lambda x, y: wnp.maximum(x, y) - wnp.minimum(y, x) * 0.5,
    lambda x, y: wnp.floor(x) + wnp.ceil(y) + wnp.trunc(x * y) + wnp.rint(y),
    lambda x, y: 1.0 / (x * y + 0.25) + x ** 2,
]


def _unchecked(c):
    """``c``'s function with its kernels' flags ignored (their own results on any input)."""
    glb = dict(c.fn.__globals__)
    for name, kernel in c.fn.__globals__.items():
        if isinstance(kernel, native.Kernel):
            glb[name] = lambda *a, k=kernel: k.run(*a)[0]
    return type(c.fn)(c.fn.__code__, glb)


def _run(c, ref, *args):
    """The native code's result, or (a kernel raised a flag) the NumPy code's, as jit does."""
    try:
        return c(*args)
    except native.Fallback:
        return ref(*args)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_arithmetic_gives_numpys_bits(dtype):
    x, y = _inputs(dtype), _inputs(dtype, -2.0, 5.0)[::-1].copy()
    c, ref = _both(lambda x, y: tuple(f(x, y) for f in ARITH), x, y)
    for got, want in zip(c(x, y), ref(x, y)):
        np.testing.assert_array_equal(got, want)
    with np.errstate(all="ignore"):  # (the float64 limits overflow to ±inf in float32)
        xs = np.resize(SPECIAL, N).astype(dtype)
        ys = np.roll(xs, 7)
        for got, want in zip(_run(c, ref, xs, ys), ref(xs, ys)):
            assert (_ulps(got, want) == 0).all()
        # the kernel's own results, flags or not
        for g, want in zip(_unchecked(c)(xs, ys), ref(xs, ys)):
            assert (_ulps(g, want) == 0).all()


UNARY = ["sin", "cos", "tan", "tanh", "exp", "log", "log1p", "expm1", "sinh", "cosh", "arctan",
         "arcsin", "arccos", "arcsinh", "arccosh", "arctanh", "exp2", "log2", "log10"]
DOMAIN = {"log": (1e-3, 50.0), "log1p": (-0.9, 50.0), "log2": (1e-3, 50.0),
          "log10": (1e-3, 50.0), "arcsin": (-1.0, 1.0), "arccos": (-1.0, 1.0),
          "arctanh": (-0.99, 0.99), "arccosh": (1.0, 50.0), "exp": (-80.0, 80.0),
          "sinh": (-80.0, 80.0), "cosh": (-80.0, 80.0), "exp2": (-100.0, 100.0)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transcendental_functions_within_the_ulp_bound(dtype):
    fns = [getattr(wnp, name) for name in UNARY]
    xs = [_inputs(dtype, *DOMAIN.get(name, (-20.0, 20.0)), n=4000) for name in UNARY]

    def all_of(*xs):
        return tuple(f(x) for f, x in zip(fns, xs))

    c, ref = _both(all_of, *xs)
    bound = native.ULP_BOUND[np.dtype(dtype)]
    for name, got, want in zip(UNARY, c(*xs), ref(*xs)):
        assert _ulps(got, want).max() <= bound, name
    with np.errstate(all="ignore"):  # NaN, ±inf, ±0.0, the limits, subnormals
        sp = np.resize(SPECIAL, 4000).astype(dtype)
        outs = _unchecked(c)(*[sp] * len(UNARY))
        for name, got, want in zip(UNARY, outs, ref(*[sp] * len(UNARY))):
            assert _ulps(got, want).max() <= bound, name
            assert (np.isnan(got) == np.isnan(want)).all(), name


def test_every_libmvec_function_is_checked():
    mvec = {f for f in native.C_OPS if native._MVEC.get(f)}
    assert {f.__name__ for f in mvec} == set(UNARY)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transcendental_functions_within_the_ulp_bound_at_every_magnitude(dtype):
    """Finite inputs of every magnitude (log-uniform between the smallest subnormal and the
    largest float, both signs) where NumPy's result is finite: libmvec's stays within the
    bound, and NaN where NumPy's is NaN."""
    fi = np.finfo(dtype)
    rng = np.random.default_rng(3)
    lo, hi = np.log10(float(fi.smallest_subnormal)), np.log10(float(fi.max))
    x = (10.0 ** rng.uniform(lo, hi, 4000) * rng.choice([-1.0, 1.0], 4000)).astype(dtype)
    x = x[np.isfinite(x)]
    fns = [getattr(wnp, name) for name in UNARY]
    c, ref = _both(lambda x: tuple(f(x) for f in fns), x)
    with np.errstate(all="ignore"):
        outs, wants = _unchecked(c)(x), ref(x)
    for name, got, want in zip(UNARY, outs, wants):
        fin = np.isfinite(want)
        assert _ulps(got[fin], want[fin]).max() <= native.ULP_BOUND[np.dtype(dtype)], name
        assert (np.isnan(got) == np.isnan(want)).all(), name


def test_the_chain_gradient_is_close_to_numpys_and_jit_uses_kernels():
    from benchmarks.compile_latency import chain_wire

    x = np.linspace(-1.0, 1.0, N)
    f = wire.jit(wire.grad(chain_wire(1.01)), fuse="native")
    plain = wire.jit(wire.grad(chain_wire(1.01)), fuse=False)
    got, want = f(x), plain(x)
    assert f.wait_native() == 1
    assert np.abs(got - want).max() <= 1e-12 * np.abs(want).max()


def test_a_flagged_call_runs_numpys_code_with_its_warnings():
    f = wire.jit(lambda x: wnp.log(x) * 2.0 + wnp.sin(x), fuse="native")
    x = np.linspace(0.5, 3.0, N)
    f(x)
    assert f.wait_native() == 1
    bad = x.copy()
    bad[10], bad[500] = 0.0, -1.0
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        out = f(bad)
    with warnings.catch_warnings(record=True) as want:
        warnings.simplefilter("always")
        ref = np.log(bad) * 2.0 + np.sin(bad)
    assert sorted(str(w.message) for w in got) == sorted(str(w.message) for w in want)
    np.testing.assert_array_equal(out, ref)
    with np.errstate(divide="raise", invalid="ignore"), pytest.raises(FloatingPointError):
        f(bad)
    with np.errstate(under="raise"), pytest.raises(FloatingPointError):
        g = wire.jit(lambda x: wnp.exp(x) * wnp.sin(x), fuse="native")
        g(np.full(N, -740.0))
    assert g.wait_native() == 1


def test_debug_nans_uses_the_checking_evaluator():
    f = wire.jit(lambda x: wnp.log(x) + wnp.sin(x), fuse="native")
    x = np.linspace(0.5, 3.0, N)
    f(x)
    assert f.wait_native() == 1
    with wire.debug_nans(), pytest.raises(wire.WireError):
        f(np.full(N, -1.0))


@pytest.mark.parametrize("n", [0, 1, 7, 257, 1001, 4099])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sizes_and_tails(n, dtype):
    # below native.MIN_ELEMENTS no region is made: the NumPy code runs
    x = _inputs(dtype, n=n)
    f = wire.jit(lambda x: wnp.sin(wnp.cos(x) * 2.0) - x, fuse="native")
    ref = wire.jit(lambda x: wnp.sin(wnp.cos(x) * 2.0) - x, fuse=False)
    got = f(x)
    assert got.dtype == dtype and got.shape == (n,)
    # (the cost model: float64 sin and cos pay from a hundred elements on, float32 never)
    assert f.wait_native() == (1 if n >= native.MIN_ELEMENTS and dtype == np.float64 else 0)
    # (sin(…) - x cancels: a few ulps of sin are more ulps of the difference)
    np.testing.assert_allclose(got, ref(x), rtol=0, atol=1e-14)
    # a non-contiguous argument is copied first
    y = _inputs(dtype, n=2 * n)[::2]
    np.testing.assert_allclose(f(y), ref(y), rtol=0, atol=1e-14)


def test_switch_off(monkeypatch):
    monkeypatch.setenv("WIRE_NATIVE", "0")
    f = wire.jit(lambda x: wnp.sin(x) * 2.0, fuse="native")
    x = np.linspace(0.0, 1.0, N)
    np.testing.assert_array_equal(f(x), np.sin(x) * 2.0)
    assert f.wait_native() == 0
    assert compile_native(wire.trace(lambda x: wnp.sin(x) * 2.0, x)) is None
    g = wire.jit(lambda x: wnp.sin(x) * 2.0, fuse=False)
    np.testing.assert_array_equal(g(x), np.sin(x) * 2.0)
    assert g.wait_native() == 0
    with pytest.raises(wire.WireError, match="fuse"):
        wire.jit(lambda x: x, fuse="fast")


def test_a_failed_compile_keeps_the_numpy_code(monkeypatch):
    def broken(source, path):
        raise cbuild.BuildError("no")

    monkeypatch.setattr(cbuild, "compile_library", broken)
    f = wire.jit(lambda x: wnp.cos(x) + 1.5, fuse="native", disk_cache=False)
    x = np.linspace(0.0, 1.0, N)
    np.testing.assert_array_equal(f(x), np.cos(x) + 1.5)
    assert f.wait_native() == 0


def test_the_disk_cache_keeps_and_checks_libraries(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("WIRE_DISK_CACHE", raising=False)  # (on, whatever the caller's setting)
    src = native.source([]) + "int wire_k0(long n) { return (int) (2 * n); }\n"
    builds = []
    real = cbuild.compile_library

    def counting(source, path):
        builds.append(path)
        real(source, path)

    monkeypatch.setattr(cbuild, "compile_library", counting)
    assert diskcache.native_library(src).wire_k0(4) == 8 and len(builds) == 1
    assert diskcache.native_library(src).wire_k0(5) == 10 and len(builds) == 1  # read back
    so = os.path.join(diskcache.directory(), diskcache.native_key(src) + ".so")
    with open(so, "r+b") as f:  # tampered: rejected, compiled again
        f.seek(100)
        f.write(b"\x00\x01\x02\x03")
    assert diskcache.native_library(src).wire_k0(6) == 12 and len(builds) == 2
    with open(so + ".json", "w") as f:  # a foreign entry: rejected too
        f.write('{"format": "x"}')
    assert diskcache.native_library(src).wire_k0(1) == 2 and len(builds) == 3
    assert diskcache.native_library(src).wire_k0(1) == 2 and len(builds) == 3


_PROCESS = (
    "import sys, numpy as np, wire, wire.numpy as wnp\n"
    "from wire.runtime import cbuild\n"
    "def never(source, path):\n"
    "    raise AssertionError('compiled again')\n"
    "if sys.argv[1] == 'load':\n"
    "    cbuild.compile_library = never\n"
    "f = wire.jit(lambda x: wnp.tanh(wnp.sin(x) * 1.5) + x, fuse='native')\n"
    "y = f(np.linspace(-1.0, 1.0, 1000))\n"
    "print(f.wait_native(), y.tobytes().hex())\n")


@pytest.mark.slow
def test_a_new_process_loads_the_kernels_without_compiling(tmp_path, request):
    if not slow_selected(request.config):  # (two fresh interpreters and a C compiler run)
        pytest.skip("runs with -m slow")
    # both processes are fresh: what one stores, the next loads (nothing of this test
    # process's own memos or earlier tests' kernels can stand in for the disk)
    env = dict(os.environ, WIRE_CACHE_DIR=str(tmp_path), PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("WIRE_DISK_CACHE", None)

    def run(mode):
        return subprocess.run([sys.executable, "-c", _PROCESS, mode], capture_output=True,
                              text=True, env=env, check=True).stdout.split()

    built = run("build")
    assert built[0] == "1" and any(p.suffix == ".so" for p in tmp_path.rglob("*"))
    x = np.linspace(-1.0, 1.0, 1000)
    np.testing.assert_allclose(np.frombuffer(bytes.fromhex(built[1])),
                               np.tanh(np.sin(x) * 1.5) + x, rtol=1e-15, atol=0)
    assert run("load") == built  # the same kernels: the same bits


def test_background_swap_under_threads(monkeypatch):
    jit_module = sys.modules["wire.api.jit"]
    monkeypatch.setattr(jit_module, "NATIVE_AFTER", 0.0)
    f = wire.jit(lambda x: wnp.tanh(wnp.sin(x) * 1.5) * 0.5 + x, disk_cache=False)
    x = np.linspace(-1.0, 1.0, N)
    plain = wire.jit(lambda x: wnp.tanh(wnp.sin(x) * 1.5) * 0.5 + x, fuse=False)(x)
    results, errors = [], []

    def work():
        try:
            for _ in range(40):
                results.append(f(x))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 160
    assert f.wait_native(timeout=120) == 1
    entry = next(iter(f._cache.values()))
    assert entry.native is not None and entry.fn.__name__ == "native_code"
    final = f(x)
    for r in results + [final]:  # (sin, tanh and exact arithmetic: a few ulps at most)
        assert _ulps(r, plain).max() <= 2 * native.ULP_BOUND[r.dtype]


@pytest.mark.slow
def test_corpus_native_against_numpy():
    """Every corpus graph with every region made native, however small: the same bits where
    its kernels are arithmetic, close (libmvec's last bits, carried on) where they call
    transcendental functions, NaN and inf where NumPy has them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graphs = list(corpus.graphs())
        sources: dict[str, int] = {}

        def collect(src):  # a first pass only gathers the C sources...
            sources.setdefault(src, len(sources))
            raise cbuild.BuildError("collecting")

        for _, g, _ in graphs:
            assert compile_native(g, library=collect, min_elements=1) is None
        # ...which one compiler run builds, each under its own prefix
        lib = native.private_library("\n".join(
            re.sub(r"\bwire_k(\d+)", f"s{i}_wire_k\\1", src) for src, i in sources.items()))

        class Part:
            def __init__(self, i):
                self.prefix = f"s{i}_"

            def __getattr__(self, name):
                return getattr(lib, self.prefix + name)

        checked = exact = 0
        for name, g, args in graphs:
            c = compile_native(g, library=lambda src: Part(sources[src]), min_elements=1)
            if c is None:
                continue
            plain = compile_graph(g, fuse=False)
            want = wire.tree.leaves(plain(*args))
            got = wire.tree.leaves(_run(c, plain, *args))
            mvec = any(k.transcendental for k in c.fn.__globals__.values()
                       if isinstance(k, native.Kernel))
            for a, b in zip(got, want):
                a, b = np.asarray(a), np.asarray(b)
                assert a.dtype == b.dtype and a.shape == b.shape, name
                if not mvec or a.dtype.kind != "f":
                    assert (_ulps(a, b) == 0).all() if a.dtype.kind == "f" else \
                        np.array_equal(a, b), name
                else:
                    assert (np.isnan(a) == np.isnan(b)).all(), name
                    assert (np.isinf(a) == np.isinf(b)).all(), name
                    tol = 1e-11 if a.dtype == np.float64 else 2e-5
                    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)
            checked += 1
            exact += not mvec
    assert checked >= 40 and exact >= 10


def test_blocked_numpy_regions_stay_where_no_kernel_pays():
    def f(x):
        a = wnp.sin(x) * 2.0 + 1.0  # float64 sin: a kernel
        b = wnp.where(a > 0.0, a, -a)  # (not native: ends the run)
        return wnp.tanh(b * 3.0) * b - 0.5  # tanh and arithmetic: NumPy's loops, blocked

    x = np.linspace(-3.0, 3.0, 1 << 20)
    g = wire.trace(f, x)
    c, ref = compile_native(g), compile_graph(g, fuse=False)
    assert "_k0(" in c.source and "_k1(" not in c.source and "# fused:" in c.source
    np.testing.assert_allclose(c(x), ref(x), rtol=0, atol=1e-14)


def test_an_entry_that_keeps_falling_back_returns_to_numpy():
    jit_module = sys.modules["wire.api.jit"]
    f = wire.jit(lambda x: wnp.log(x) + wnp.sin(x), fuse="native")
    x = np.linspace(0.0, 3.0, N)  # log(0): every call raises divide-by-zero
    with np.errstate(divide="ignore"):
        first = f(x)
        assert f.wait_native() == 1
        entry = next(iter(f._cache.values()))
        for _ in range(jit_module.NATIVE_GIVE_UP - 1):  # (the first call fell back too)
            assert entry.fn.__name__ == "native_code"
            np.testing.assert_array_equal(f(x), first)  # (NumPy's code: its bits)
    assert entry.fn.__name__ == "compiled"  # the NumPy code itself, from now on


def test_long_runs_make_several_regions():
    from wire.runtime.compiler import _generate

    def f(x):
        for _ in range(native.MAX_LINES // 2 + 10):
            x = wnp.sin(x) * 0.9
        return x

    found = []
    _generate(wire.trace(f, np.linspace(-1.0, 1.0, 300)), "f", True, (found, None))
    assert len(found) == 2 and all(r.c.count("const double v") <= native.MAX_LINES
                                   for r in found)
