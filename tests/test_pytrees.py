"""Pytrees (issue 12): ``wire.tree.register`` (JAX's ``register_pytree_node``), dataclasses,
namedtuples, ``wire.tree.ravel`` (JAX's ``ravel_pytree``, checked against JAX), walks with no
recursion limit, a thread-safe append-only registry — and the oracle: ``jit``-compiled
functions called with random pytree structures over the same leaves agree with the
un-jitted functions."""

import collections
import dataclasses
import threading
import typing

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wire
import wire.numpy as wnp
from wire import tree


# --------------------------------------------------------------------------- registered classes


class Pair:
    """A user container: two children, and a static label."""

    def __init__(self, a, b, label="p"):
        self.a, self.b, self.label = a, b, label

    def __eq__(self, other):
        return (type(other) is Pair and self.label == other.label
                and _same(self.a, other.a) and _same(self.b, other.b))


def _same(x, y):
    lx, tx = tree.flatten(x)
    ly, ty = tree.flatten(y)
    return tx == ty and all(np.array_equal(a, b) for a, b in zip(lx, ly))


tree.register(Pair, lambda p: ((p.a, p.b), p.label),
              lambda label, kids: Pair(kids[0], kids[1], label))


@dataclasses.dataclass(frozen=True)
class Params:
    w: typing.Any
    b: typing.Any
    act: str = tree.static(default="tanh")
    scale: float = dataclasses.field(default=0.0, init=False)

    def __post_init__(self):  # a derived, non-init field: recomputed on rebuild
        object.__setattr__(self, "scale", 2.0)


Point = collections.namedtuple("Point", "x y")


class TPoint(typing.NamedTuple):
    x: typing.Any
    y: typing.Any


def test_register_follows_jax_semantics():
    p = Pair(np.ones(2), (np.zeros(1), None), "q")
    leaves, td = tree.flatten(p)
    assert len(leaves) == 2 and td.kind == "custom" and td.aux == "q"
    back = tree.unflatten(td, leaves)
    assert back == p
    assert tree.flatten(Pair(1, 2, "q"))[1] != tree.flatten(Pair(1, 2, "r"))[1]  # aux in key
    assert tree.is_registered(Pair) and not tree.is_registered(dict)
    m = tree.map(lambda x: x * 2, p)
    assert isinstance(m, Pair) and m.label == "q" and np.array_equal(m.a, [2.0, 2.0])


def test_registration_is_once_and_never_for_builtins():
    class C:
        pass

    tree.register(C, lambda c: ((), None), lambda aux, kids: C())
    with pytest.raises(wire.WireError, match="already registered"):
        tree.register(C, lambda c: ((), None), lambda aux, kids: C())
    for builtin in (tuple, list, dict, type(None), np.ndarray, float):
        with pytest.raises(wire.WireError, match="built in"):
            tree.register(builtin, lambda c: ((), None), lambda aux, kids: None)
    with pytest.raises(wire.WireTypeError):
        tree.register("not a class", lambda c: ((), None), lambda aux, kids: None)


def test_unhashable_static_data_is_a_clear_error():
    class Holder:
        def __init__(self, x, meta):
            self.x, self.meta = x, meta

    tree.register(Holder, lambda h: ((h.x,), h.meta), lambda meta, kids: Holder(kids[0], meta))
    with pytest.raises(wire.WireTypeError, match="not hashable"):
        tree.flatten(Holder(1.0, [1, 2]))


def test_registration_from_many_threads():
    classes = [type(f"T{i}", (), {"__init__": lambda self, v: setattr(self, "v", v)})
               for i in range(32)]
    errors = []

    def work(cls):
        try:
            tree.register(cls, lambda o: ((o.v,), None), lambda aux, kids, c=cls: c(kids[0]))
            for _ in range(50):
                leaves, td = tree.flatten([cls(1.0), cls(2.0)])
                assert leaves == [1.0, 2.0] and type(tree.unflatten(td, leaves)[0]) is cls
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(c,)) for c in classes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(tree.is_registered(c) for c in classes)


def test_transforms_take_and_return_registered_classes_dataclasses_and_namedtuples():
    p = Pair(np.array([1.0, 2.0]), Params(np.array(3.0), np.array([0.5])), "z")
    loss = lambda p: wnp.sum(p.a ** 2) + p.b.w * wnp.sum(p.b.b)  # noqa: E731
    g = wire.grad(loss)(p)
    assert isinstance(g, Pair) and isinstance(g.b, Params) and g.b.act == "tanh"
    np.testing.assert_allclose(g.a, [2.0, 4.0])
    np.testing.assert_allclose(g.b.w, 0.5)
    np.testing.assert_allclose(g.b.b, [3.0])
    assert g.b.scale == 2.0  # recomputed by __post_init__, not a leaf
    j = wire.jit(lambda p: tree.map(lambda x: x + 1, p))(p)
    assert j == tree.map(lambda x: x + 1, p)
    for nt in (Point(np.ones(2), np.zeros(2)), TPoint(np.ones(2), np.zeros(2))):
        out = wire.vmap(lambda q: type(q)(q.y, q.x))(nt)
        assert type(out) is type(nt) and np.array_equal(out.x, np.zeros(2))


def test_dataclass_static_fields_are_part_of_the_jit_key():
    calls = []

    def f(p):
        calls.append(p.act)
        return wnp.tanh(p.w) if p.act == "tanh" else wnp.sin(p.w)

    j = wire.jit(f)
    x = np.array([0.5])
    np.testing.assert_allclose(j(Params(x, x)), np.tanh(x))
    np.testing.assert_allclose(j(Params(x, x, act="sin")), np.sin(x))
    np.testing.assert_allclose(j(Params(x, x)), np.tanh(x))
    assert calls == ["tanh", "sin"]
    with pytest.raises(wire.WireError, match=r"\.act|str"):
        wire.jit(lambda p: p)(Point(np.ones(1), "text"))  # non-array leaves are named


# --------------------------------------------------------------------------- deep trees


def test_ten_thousand_levels_deep():
    deep = np.array(1.0)
    for _ in range(10_000):
        deep = [deep]
    leaves, td = tree.flatten(deep)
    assert len(leaves) == 1 and td.num_leaves == 1
    assert tree.structure(tree.unflatten(td, [2.0])) == td
    assert tree.leaf_paths(td) == ["[0]" * 10_000]
    assert len(repr(td)) == 20_001
    twice = tree.map(lambda x: x * 2, deep)
    assert tree.leaves(twice)[0] == 2.0
    out = wire.jit(lambda t: tree.map(lambda x: x + 1, t))(deep)
    assert tree.structure(out) == td and tree.leaves(out)[0] == 2.0
    import pickle

    assert pickle.loads(pickle.dumps(td)) == td


def test_a_container_holding_itself_is_an_error():
    loop = [1.0]
    loop.append(loop)
    with pytest.raises(wire.WireTypeError, match="contains itself"):
        tree.flatten(loop)


def test_shared_subtrees_are_fine():
    shared = [np.ones(1)]
    assert len(tree.leaves([shared, shared, {"a": shared}])) == 3


# --------------------------------------------------------------------------- ravel


RAVEL_CASES = [
    {"b": np.ones(2, np.float32), "w": np.zeros((1, 2))},
    {"a": np.ones(2, np.float32), "b": 1.0},
    [np.ones(2, np.int32), np.ones(1, np.float16)],
    [np.arange(2, dtype=np.uint64), np.ones(1, np.int64)],
    [True, 2],
    [np.ones(2, bool), np.int8(3)],
    (np.ones((2, 2), np.complex64), np.ones(3, np.float64)),
    [np.float32(1.5)],
    Point(np.ones(3), (np.zeros(0), np.ones((2, 1), np.float32))),
]


@pytest.mark.parametrize("k", range(len(RAVEL_CASES)))
def test_ravel_matches_jax(k):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    from jax.flatten_util import ravel_pytree

    t = RAVEL_CASES[k]
    flat, unravel = tree.ravel(t)
    jflat, junravel = ravel_pytree(t)
    assert flat.dtype == jflat.dtype and flat.shape == jflat.shape
    np.testing.assert_array_equal(flat, np.asarray(jflat))
    back = unravel(flat)
    jback = junravel(jflat)
    assert tree.structure(back) == tree.structure(t)
    for a, b in zip(tree.leaves(back), tree.leaves(jback)):
        a = np.asarray(a)
        assert a.dtype == np.asarray(b).dtype, (a.dtype, np.asarray(b).dtype)
        np.testing.assert_array_equal(a, np.asarray(b))
    if not all(np.asarray(x).dtype == flat.dtype for x in tree.leaves(t)):
        with pytest.raises(wire.WireTypeError, match="dtype"):
            unravel(np.zeros(flat.shape, np.int8 if flat.dtype != np.int8 else np.float64))
    with pytest.raises(wire.ShapeError):
        unravel(np.zeros(flat.size + 1, flat.dtype))


def test_ravel_empty_and_under_transforms():
    flat, unravel = tree.ravel({})
    assert flat.shape == (0,) and flat.dtype == np.float64 and unravel(flat) == {}
    p = {"w": np.arange(3.0), "b": np.array(2.0)}

    def loss(p):
        v, _ = tree.ravel(p)
        return wnp.sum(v ** 2)

    g = wire.grad(loss)(p)
    np.testing.assert_allclose(g["w"], 2 * p["w"])
    np.testing.assert_allclose(g["b"], 4.0)
    flat, unravel = tree.ravel(p)
    back = wire.jit(lambda v: unravel(v * 2))(flat)
    np.testing.assert_allclose(back["w"], 2 * p["w"])
    assert not np.shares_memory(tree.ravel([p["w"]])[0], p["w"])  # a copy, not a view


# --------------------------------------------------------------------------- the oracle

# Leaves of one shape and dtype, so that structure is all that tells calls apart.
LEAVES = [np.full((2,), float(i + 1)) for i in range(12)]
KEYS = st.sampled_from(["a", "b", "w", "k", 0, 1, 2.5])


@dataclasses.dataclass
class Cell:
    h: typing.Any
    c: typing.Any
    tag: str = tree.static(default="x")


class Box:
    """A registered class whose static data is its arity."""

    def __init__(self, *items):
        self.items = items

    def __eq__(self, other):
        return type(other) is Box and _same(self.items, other.items)


tree.register(Box, lambda b: (b.items, len(b.items)), lambda n, kids: Box(*kids))

STRUCTURES = st.recursive(
    st.just("*") | st.none(),
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.lists(kids, max_size=3).map(tuple)
        | st.dictionaries(KEYS, kids, max_size=3)
        | st.tuples(kids, kids).map(lambda t: Point(*t))
        | st.tuples(kids, kids).map(lambda t: TPoint(*t))
        | st.tuples(kids, kids, st.sampled_from(["x", "y"])).map(lambda t: Cell(*t))
        | st.lists(kids, max_size=3).map(lambda k: Box(*k))
        | st.dictionaries(st.sampled_from(["a", "b"]), kids, max_size=2).map(
            collections.OrderedDict)
    ),
    max_leaves=8,
)


def _fill(structure):
    """The structure with its "*" replaced by arrays, in order."""
    it = iter(LEAVES)
    return tree.map(lambda s: next(it) if isinstance(s, str) and s == "*" else s, structure)


def _shape_dependent(p):
    """A function whose result depends on the structure it is given, not only the leaves."""
    leaves, td = tree.flatten(p)
    out = {"n": np.float64(len(leaves)), "total": wnp.zeros(2)}
    for i, x in enumerate(leaves):
        out["total"] = out["total"] + x * (i + 1)
    if isinstance(p, dict) and "w" in p:
        out["w"] = p["w"]
    elif isinstance(p, (list, tuple)) and p:
        out["first"] = p[0]
    elif isinstance(p, Cell):
        out["cell"] = (p.c, p.tag == "x")
    return out


FUNCTIONS = {
    "identity": lambda p: p,
    "map": lambda p: tree.map(lambda x: x * 2.0 + 1.0, p),
    "structure": _shape_dependent,
}
# One jitted function each, shared by every example: its cache sees all the structures.
JITTED = {name: wire.jit(f) for name, f in FUNCTIONS.items()}

# Random pytree structures called per CI run (the figure issue 12 asks for); ``--fuzz`` runs
# the 'long' profile's count.
ORACLE_STRUCTURES = max(settings.default.max_examples, 100)


def _equal(a, b):
    la, ta = tree.flatten(a)
    lb, tb = tree.flatten(b)
    assert ta == tb, (ta, tb)
    assert type(a) is type(b)
    for x, y in zip(la, lb):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
        assert np.asarray(x).dtype == np.asarray(y).dtype


@settings(max_examples=ORACLE_STRUCTURES)
@given(STRUCTURES)
def test_jit_with_random_structures_agrees_with_the_function(structure):
    p = _fill(structure)
    for name, f in FUNCTIONS.items():
        want = f(p)
        for _ in range(2):  # tracing, then the cache (the fast path for a bare array)
            _equal(JITTED[name](p), want)
    # as positional arguments too: a top-level tuple spreads into several arguments
    if isinstance(p, tuple) and not hasattr(p, "_fields"):
        _equal(wire.jit(lambda *a: a)(*p), p)
