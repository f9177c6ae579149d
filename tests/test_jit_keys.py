"""``wire.jit``'s cache key is the whole signature: the arguments' pytree structure, every
leaf's shape and dtype, and the static values — on the fast path too (issue 12 item 1). The
other memos keyed by graphs and options are strict as well."""

import collections
import dataclasses

import numpy as np
import pytest

import wire
import wire.numpy as wnp

Pair = collections.namedtuple("Pair", "a b")


def test_the_issue_examples():
    ident = wire.jit(lambda p: p)
    assert isinstance(ident({"a": np.ones(2)}), dict)
    out = ident([np.zeros(2)])
    assert isinstance(out, list) and np.array_equal(out[0], np.zeros(2))
    pick = wire.jit(lambda p: p["w"] if "w" in p else p["k"] * 10)
    np.testing.assert_array_equal(pick({"w": np.ones(2)}), np.ones(2))
    np.testing.assert_array_equal(pick({"k": np.ones(2)}), np.full(2, 10.0))


@dataclasses.dataclass
class Box:
    x: object


STRUCTURES = [
    lambda a: a, lambda a: (a,), lambda a: [a], lambda a: {"a": a}, lambda a: {"b": a},
    lambda a: {1: a}, lambda a: {1.0: a}, lambda a: {True: a}, lambda a: Pair(a, None),
    lambda a: (a, None), lambda a: collections.OrderedDict(a=a), lambda a: Box(a),
    lambda a: [[a]], lambda a: ((a,),),
]


def test_each_structure_gets_its_own_entry_and_comes_back_as_itself():
    ident = wire.jit(lambda p: p)
    x = np.arange(3.0)
    for _ in range(2):  # the second round hits the cache (fast path included)
        for make in STRUCTURES:
            arg = make(x)
            out = ident(arg)
            assert type(out) is type(arg)
            assert wire.tree.structure(out) == wire.tree.structure(arg)
            if isinstance(arg, dict):
                assert [type(k) for k in out] == [type(k) for k in arg]
    assert ident.cache_size() == len(STRUCTURES)


def test_positional_arrays_and_one_container_of_them_are_different_calls():
    f = wire.jit(lambda *a: a)
    x = np.ones(2)
    assert isinstance(f(x, x), tuple) and len(f(x, x)) == 2
    g = wire.jit(lambda a: a)
    assert isinstance(g((x, x)), tuple) and isinstance(g([x, x]), list)
    assert isinstance(g(x), np.ndarray)


def _scale(s):
    """What a static value multiplies by (its first entry for a tuple, 1 for others)."""
    if isinstance(s, tuple):
        return s[0] if s and not isinstance(s[0], str) else 1.0
    return s if isinstance(s, (int, float)) else 1.0


@pytest.mark.parametrize("a, b", [(2, 2.0), (0.0, -0.0), (1, True), ((1,), (1.0,)),
                                  ((0.0,), (-0.0,)), ("a", ("a",)), (None, ())])
def test_static_values_that_compare_equal_but_trace_differently(a, b):
    f = wire.jit(lambda x, s: x * _scale(s), static_argnums=1)
    for x in (np.ones(2, np.float32), np.ones(2, np.int32)):
        ra, rb = f(x, a), f(x, b)
        for got, s in ((ra, a), (rb, b)):
            ref = x * _scale(s)
            assert got.dtype == ref.dtype
            np.testing.assert_array_equal(got, ref)
            assert np.signbit(got).tolist() == np.signbit(ref).tolist()
    assert f.cache_size() == 4


def test_static_nan_hits_the_cache():
    calls = []
    f = wire.jit(lambda x, s: (calls.append(1), x + s)[1], static_argnums=1)
    for _ in range(3):
        f(np.ones(2), float("nan"))
    assert len(calls) == 1 and f.cache_size() == 1


def test_dtypes_and_shapes_stay_in_the_key():
    f = wire.jit(lambda p: p["x"] * 2)
    for dt in (np.float64, np.float32, np.int64, np.int32, np.float16):
        for shape in ((), (1,), (2,), (2, 1)):
            out = f({"x": np.ones(shape, dt)})
            assert out.dtype == (np.ones(shape, dt) * 2).dtype and out.shape == shape


def test_grad_memo_keys_are_strict_and_take_lists():
    f = lambda a, b: (a * b).sum()  # noqa: E731
    x, y = np.ones(2), np.full(2, 3.0)
    as_list = wire.grad(f, argnums=[0, 1])(x, y)
    as_tuple = wire.grad(f, argnums=(0, 1))(x, y)
    as_int = wire.grad(f, argnums=0)(x, y)
    assert isinstance(as_list, tuple) and isinstance(as_int, np.ndarray)
    np.testing.assert_array_equal(as_list[1], as_tuple[1])
    np.testing.assert_array_equal(as_int, y)


def test_structures_compare_strictly_and_without_recursion():
    s = wire.tree.structure
    assert s({1: 0}) != s({1.0: 0}) != s({True: 0})
    assert s([0]) != s((0,)) and s(Pair(0, 0)) != s((0, 0))
    deep = 0
    for _ in range(10_000):
        deep = [deep]
    assert s(deep) == s(deep) and hash(s(deep)) == hash(s(deep))
    f = wire.jit(lambda p: wnp.sum(wire.tree.leaves(p)[0]))
    assert f(deep) == 0.0


@pytest.mark.parametrize("zero, signed", [(0.0, -0.0), (0j, -0j), (np.float64(0.0), np.float64(-0.0)),
                                          (complex(0.0, 0.0), complex(-0.0, -0.0)),
                                          (complex(0.0, 0.0), complex(0.0, -0.0)),
                                          (np.float32(0.0), np.float32(-0.0))])
def test_interned_fill_values_keep_the_sign_of_zero(zero, signed):
    # node params are interned by value, and 0.0 == -0.0: complex and NumPy-scalar zeros too
    dtype = np.asarray(signed).dtype
    x = np.full(3, signed, dtype)
    kept = wire.jit(lambda x: x + wnp.full_like(x, zero))  # its graph stays alive meanwhile
    first = kept(x)
    got = wire.jit(lambda x: x + wnp.full_like(x, signed))(x)
    want = x + np.full_like(x, signed)
    np.testing.assert_array_equal(np.signbit(np.real(got)), np.signbit(np.real(want)))
    np.testing.assert_array_equal(np.signbit(np.imag(got)), np.signbit(np.imag(want)))
    assert not np.signbit(np.real(first)).any()
    assert kept.cache_size() == 1
