"""Two calls that trace differently never share a cached graph: static data that Python
calls equal (``1 == 1.0``, ``0.0 == -0.0``) inside the containers static data comes in —
pyrsistent maps and vectors, frozen dataclasses, slices — keys apart, in ``wire.jit``'s
cache and in every memo keyed by a pytree structure. Each pair is called in both orders and
compared with a fresh function's result."""

import dataclasses

import numpy as np
import pytest
from pyrsistent import pmap, pvector

import wire
import wire.numpy as wnp
from wire.tree import strict_key


class Holder:
    """A registered node whose aux data is the static value under test."""

    def __init__(self, v, aux):
        self.v, self.aux = v, aux


wire.tree.register(Holder, lambda h: ((h.v,), h.aux), lambda aux, kids: Holder(kids[0], aux))


@dataclasses.dataclass(frozen=True)
class Config:
    scale: object


def _scale(aux):
    if isinstance(aux, Config):
        return aux.scale
    if isinstance(aux, slice):
        return aux.stop
    return aux["k"] if hasattr(aux, "keys") else aux[0]


PAIRS = [
    (pmap({"k": 0.0}), pmap({"k": -0.0})),
    (pmap({"k": 1}), pmap({"k": 1.0})),
    (pvector([0.0]), pvector([-0.0])),
    (pvector([2]), pvector([2.0])),
    (Config(1), Config(1.0)),
    (Config(0.0), Config(-0.0)),
]
try:
    hash(slice(0, 1))  # (slices are hashable from Python 3.12)
    PAIRS.append((slice(0, 1), slice(0, 1.0)))
except TypeError:
    pass


def _results(make, a, b):
    fresh_a, fresh_b = make()(a), make()(b)
    f = make()
    ab = (f(a), f(b))
    g = make()
    ba = (g(b), g(a))[::-1]
    return (fresh_a, fresh_b), ab, ba


def _same(x, y):
    x, y = np.asarray(x), np.asarray(y)
    return (x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)
            and np.array_equal(np.signbit(x), np.signbit(y)))


@pytest.mark.parametrize("a,b", PAIRS, ids=repr)
def test_strict_key_tells_apart_what_equality_merges(a, b):
    assert a == b and hash(a) == hash(b)
    assert strict_key(a) != strict_key(b)
    assert strict_key(a) == strict_key(a)
    assert wire.tree.structure(Holder(1.0, a)) != wire.tree.structure(Holder(1.0, b))


def _zeros(a):
    return _scale(a) == 0


CASES = [(a, b, how) for a, b in PAIRS for how in ("jit", "jit_grad", "jit_static")
         if how != "jit_grad" or _zeros(a)]  # (a gradient has no int dtype to tell apart)


@pytest.mark.parametrize("a,b,how", CASES, ids=repr)
def test_static_data_equal_under_eq_gets_its_own_graph(a, b, how):
    x = np.array([1, 2]) if how != "jit_grad" else np.array([1.0, 2.0])

    def f(h):
        s = _scale(h.aux)
        y = h.v / s if _zeros(h.aux) else h.v * s  # signed infinities, or the int dtype
        return y if how != "jit_grad" else wnp.sum(y)

    if how == "jit":
        def make():
            j = wire.jit(f)
            return lambda aux: j(Holder(x, aux))
    elif how == "jit_grad":
        def make():
            j = wire.jit(wire.grad(f))
            return lambda aux: j(Holder(x, aux)).v
    else:
        def make():
            j = wire.jit(lambda v, aux: f(Holder(v, aux)), static_argnums=1)
            return lambda aux: j(x, aux)
    with np.errstate(divide="ignore"):
        fresh, ab, ba = _results(make, a, b)
    for got in (ab, ba):
        for g, want in zip(got, fresh):
            assert _same(g, want), (got, fresh)
    assert not _same(*fresh)  # the pair really traces to different results


def test_a_dataclass_with_its_own_equality_still_hits_the_cache():
    @dataclasses.dataclass(frozen=True)
    class Opts:
        n: int

    f = wire.jit(lambda x, o: x * o.n, static_argnums=1)
    f(np.ones(2), Opts(2))
    f(np.ones(2), Opts(2))
    f(np.ones(2), Opts(3))
    assert f.cache_size() == 2
