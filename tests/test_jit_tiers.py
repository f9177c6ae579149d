"""wire.jit's two tiers: a derivative graph whose final simplification keeps every bit (the
linear passes, above ``COMPILE_COLLECT_LIMIT`` nodes) runs unsimplified first and is compiled
again, simplified, once hot. These tests lower the limit to 0, so that every gradient of the
example corpus goes through both tiers, and check that the tiers agree bit for bit with each
other and with the NumPy evaluator (special values included), that the recompile happens, that
the disk cache keeps the tiers apart, and that threads calling one function while it re-tiers
get the right values."""

from __future__ import annotations

import importlib
import os
import threading

import numpy as np
import pytest
from corpus import _float_argnums, _scalar_float, programs

import wire
import wire.numpy as wnp
from wire.api import diskcache
from wire.transforms import budget

# (wire.api's names `grad` and `jit` are the functions; these are their modules)
grad_module = importlib.import_module("wire.api.grad")
jit_module = importlib.import_module("wire.api.jit")


def _clear_memos():
    grad_module._grad_graph.cache_clear()
    grad_module._simplified.cache_clear()


@pytest.fixture
def tiers_everywhere(monkeypatch):
    """Every derivative graph made for compiling gets only the linear passes (so it tiers)."""
    monkeypatch.setenv("WIRE_DISK_CACHE", "0")
    monkeypatch.setattr(budget, "COMPILE_COLLECT_LIMIT", 0)
    monkeypatch.setattr(jit_module, "TIER_UP_PER_NODE", 0.0)  # hot after one call
    monkeypatch.setattr(jit_module, "all_small", lambda graph: True)  # arrays too
    _clear_memos()  # graphs simplified in full earlier must not be served from the memo
    yield
    _clear_memos()


@pytest.fixture
def compiles(monkeypatch):
    """The graphs jit compiles, in order."""
    seen = []
    real = jit_module.compile_graph

    def counting(graph, name="compiled", fuse=True, **options):
        seen.append(graph)
        return real(graph, name, fuse, **options)

    monkeypatch.setattr(jit_module, "compile_graph", counting)
    return seen


def _bits(a, b) -> bool:
    """Same values bit for bit (NaNs equal, but -0.0 is not 0.0)."""
    la, lb = wire.tree.leaves(a), wire.tree.leaves(b)
    if len(la) != len(lb):
        return False
    for x, y in zip(la, lb):
        if type(x) is not type(y) or x.shape != y.shape or x.dtype != y.dtype:
            return False
        if not np.array_equal(x, y, equal_nan=True):
            return False
        if x.dtype.kind == "f" and not np.array_equal(np.signbit(x[x == 0]), np.signbit(y[y == 0])):
            return False
    return True


def _until_final(j, *args):
    """Call ``j`` until its entry runs the final tier (TIER_UP_PER_NODE is 0 here: the second
    call); the values of every call."""
    return [j(*args) for _ in range(4)]


def _entry(j):
    (entry,) = j._cache.values()
    return entry


_GRADS = [(name, f, args, _float_argnums(args)) for name, f, args in programs()
          if _float_argnums(args) and name != "while" and _scalar_float(f(*args))]


@pytest.mark.parametrize("name,f,args,nums", _GRADS, ids=[g[0] for g in _GRADS])
def test_tiers_agree_with_each_other_and_the_evaluator(tiers_everywhere, compiles, name, f,
                                                       args, nums):
    j = wire.jit(wire.value_and_grad(f, argnums=nums))
    first = j(*args)
    assert compiles == [], "the first tier evaluates"
    raw = _entry(j).raw
    assert raw == wire.grad_graph(wire.trace(f, *args), nums, with_value=True, simplify=False)
    outs = [first] + [j(*args) for _ in range(3)]
    assert len(compiles) == 1 and _entry(j).raw is None, "then the final tier is compiled"
    (final,) = compiles
    assert final == j.lower(*args).graph == wire.trace(wire.value_and_grad(f, argnums=nums), *args)
    assert final != raw
    for out in outs[1:]:
        assert _bits(out, first), name
    assert _bits(first, wire.evaluate(raw, *args)), name
    assert _bits(outs[-1], wire.evaluate(final, *args)), name


SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e308, -1e-308, 5e-324, 0.5,
                    -2.0, 710.0, -745.0])


def _special_program(x):
    y = x
    for _ in range(4):
        y = wnp.tanh(wnp.sin(y) * 1.01) + wnp.exp(-y * y) - wnp.sqrt(wnp.abs(y) + 0.0)
    return wnp.sum(y * x - x / (1.0 + x * x) + wnp.log1p(wnp.abs(x)))


@pytest.mark.parametrize("x", list(SPECIAL), ids=[repr(v) for v in SPECIAL])
def test_tiers_agree_on_special_values(tiers_everywhere, compiles, x):
    arg = np.full(3, x)
    with np.errstate(all="ignore"):
        j = wire.jit(wire.grad(_special_program))
        raw_out = j(arg)
        raw = _entry(j).raw
        outs = [raw_out] + [j(arg) for _ in range(3)]
        (final,) = compiles
        assert _bits(raw_out, wire.evaluate(raw, arg))
        assert _bits(outs[-1], wire.evaluate(final, arg))
        assert _bits(outs[-1], wire.jit(wire.grad(_special_program), tiered=False)(arg))
    for out in outs[1:]:
        assert _bits(out, raw_out), (x, out, raw_out)


def test_scalar_arguments_and_pytrees(tiers_everywhere, compiles):
    def f(p, x):
        return wnp.sin(p["w"] * x) * p["b"][0] + p["b"][1] * 1.0

    p = {"w": 0.7, "b": (np.float64(2.0), np.array(-0.5))}
    j = wire.jit(wire.grad(f))
    outs = [j(p, 1.5) for _ in range(3)]
    assert len(compiles) == 1
    for out in outs[1:]:
        assert _bits(out, outs[0])
    assert _bits(outs[0], wire.grad(f)(p, 1.5))


def test_the_recompile_happens_once(tiers_everywhere, compiles):
    x = np.linspace(-1.0, 1.0, 5)
    j = wire.jit(wire.grad(lambda x: wnp.sum(wnp.sin(x) * x * 1.0)))
    j(x)
    assert compiles == []
    j(x)
    assert len(compiles) == 1
    for _ in range(20):
        j(x)
    assert len(compiles) == 1
    entry = _entry(j)
    assert entry.fn is entry.compiled.fn and entry.raw is None
    assert j.lower(x).graph == compiles[0] and len(compiles) == 1


def test_hot_means_as_long_as_compiling(monkeypatch, compiles):
    monkeypatch.setenv("WIRE_DISK_CACHE", "0")
    monkeypatch.setattr(budget, "COMPILE_COLLECT_LIMIT", 0)
    monkeypatch.setattr(jit_module, "TIER_UP_PER_NODE", 3600.0)  # an hour per node
    monkeypatch.setattr(jit_module, "all_small", lambda graph: True)
    _clear_memos()
    try:
        x = np.linspace(-1.0, 1.0, 5)
        j = wire.jit(wire.grad(lambda x: wnp.sum(wnp.sin(x) * x * 1.0)))
        outs = [j(x) for _ in range(30)]
        assert compiles == [] and _entry(j).raw is not None
        assert all(_bits(o, outs[0]) for o in outs)
    finally:
        _clear_memos()


def test_lower_before_any_call_compiles_only_the_final_tier(tiers_everywhere, compiles):
    x = np.linspace(-1.0, 1.0, 5)
    j = wire.jit(wire.grad(lambda x: wnp.sum(wnp.sin(x) * x * 1.0)))
    low = j.lower(x)
    assert compiles == [low.graph]
    assert _bits(j(x), low(x)) and len(compiles) == 1
    assert _entry(j).fn is low.compiled.fn


def test_tiered_false_compiles_the_final_graph_at_once(tiers_everywhere, compiles):
    x = np.linspace(-1.0, 1.0, 5)
    f = lambda x: wnp.sum(wnp.sin(x) * x * 1.0)
    j = wire.jit(wire.grad(f), tiered=False)
    j(x)
    assert compiles == [wire.trace(wire.grad(f), x)]


def test_small_graphs_are_not_tiered(compiles, monkeypatch):
    # below the limit term collection may re-associate: one tier, so every call has one value
    monkeypatch.setenv("WIRE_DISK_CACHE", "0")
    x = np.linspace(-1.0, 1.0, 5)
    f = lambda x: wnp.sum(wnp.sin(x) * x * 1.0)
    wire.jit(wire.grad(f))(x)
    assert compiles == [wire.trace(wire.grad(f), x)]
    assert np.array_equal(wire.jit(wire.grad(f))(x), wire.grad(f)(x))


def test_only_graphs_of_scalars_are_tiered(monkeypatch, compiles):
    # (the generated code of array graphs runs in a memory-saving order; the evaluator's not)
    monkeypatch.setenv("WIRE_DISK_CACHE", "0")
    monkeypatch.setattr(budget, "COMPILE_COLLECT_LIMIT", 0)
    monkeypatch.setattr(jit_module, "TIER_UP_PER_NODE", 0.0)
    _clear_memos()
    try:
        f = lambda x: wnp.sum(wnp.sin(x) * x * 1.0)
        wire.jit(wire.grad(f))(np.linspace(-1.0, 1.0, 5))
        assert len(compiles) == 1  # arrays: compiled at once
        s = wire.jit(wire.grad(f))
        out = s(0.5)
        assert len(compiles) == 1 and _entry(s).raw is not None  # scalars: evaluated first
        assert _bits(s(0.5), out) and len(compiles) == 2
    finally:
        _clear_memos()


def test_inside_other_transforms_the_final_graph_is_inlined(tiers_everywhere, compiles):
    x = np.linspace(-1.0, 1.0, 5)
    f = lambda x: wnp.sum(wnp.sin(x) * x * 1.0)
    j = wire.jit(wire.grad(f))
    j(x)  # a first-tier entry
    hess_diag = wire.grad(lambda x: wnp.sum(j(x)))(x)
    np.testing.assert_allclose(hess_diag, 2 * np.cos(x) - x * np.sin(x), rtol=1e-13)
    assert wire.trace(j, x) == wire.trace(wire.grad(f), x)


def test_threads_calling_while_it_re_tiers(tiers_everywhere):
    x = np.linspace(-2.0, 2.0, 64)
    f = lambda x: wnp.sum(wnp.tanh(wnp.sin(x) * 1.01 + x * x) * 1.0)
    want = wire.evaluate(wire.grad_graph(wire.trace(f, x), simplify=False), x)
    for _ in range(3):
        j = wire.jit(wire.grad(f))
        errors, wrong = [], []
        start = threading.Barrier(4)

        def work(j=j, errors=errors, wrong=wrong, start=start):
            try:
                start.wait()
                for _ in range(40):
                    got = j(x)
                    if not _bits(got, want):
                        wrong.append(got)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors and not wrong, (errors, wrong[:1])
        entry = _entry(j)
        assert entry.compiled is not None and entry.fn is entry.compiled.fn


# --------------------------------------------------------------------------- the disk cache


@pytest.fixture
def disk(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    d.mkdir(mode=0o700)
    monkeypatch.setenv("WIRE_CACHE_DIR", str(d))
    monkeypatch.setenv("WIRE_DISK_CACHE", "1")
    monkeypatch.setattr(budget, "COMPILE_COLLECT_LIMIT", 0)
    monkeypatch.setattr(jit_module, "TIER_UP_PER_NODE", 0.0)
    monkeypatch.setattr(jit_module, "all_small", lambda graph: True)
    _clear_memos()
    yield d / f"jit-v{diskcache.VERSION}"
    _clear_memos()


def _chain(c):
    def f(x):
        for _ in range(5):
            x = wnp.tanh(wnp.sin(x) * c) * 1.0 + 0.5
        return wnp.sum(x)

    return f


def _stored(path) -> set:
    return {p for p in os.listdir(path) if p.endswith(".json")} if path.exists() else set()


def test_the_disk_cache_stores_the_final_tier_only(disk, compiles):
    x = np.linspace(-1.0, 1.0, 7)
    f = _chain(1.01)
    what = "grad(argnums=0, has_aux=False, value=False, simplify=True)"
    key = diskcache.entry_key(("jit", what, diskcache.graph_digest(wire.trace(f, x)), "fuse=True"))
    j = wire.jit(wire.grad(f))
    first = j(x)
    assert _stored(disk) == set() and diskcache.load(key) is None  # evaluated: nothing stored
    # another function of the same structure, before the first is hot: a first tier too
    k = wire.jit(wire.grad(_chain(1.01)))
    assert _bits(k(x), first) and _entry(k).raw is not None and compiles == []
    assert _bits(j(x), first)  # hot: compiled, and stored
    (final,) = compiles
    assert final == wire.trace(wire.grad(f), x) and len(_stored(disk)) == 1
    stored = diskcache.load(key)
    assert stored.__code__.co_code == jit_module.compile_graph(final).fn.__code__.co_code
    # a new function of the same structure loads the final code: no tiers, no compile
    m = wire.jit(wire.grad(_chain(1.01)))
    assert _bits(m(x), first) and len(compiles) == 2  # (the one just above)
    entry = _entry(m)
    assert entry.raw is None and entry.fn.__code__.co_code == stored.__code__.co_code
