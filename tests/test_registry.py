"""One declaration per primitive: every per-primitive fact is a field of the ``Primitive`` or a
table keyed by the ``Primitive`` object. Tables name only registered primitives, every
primitive has what it needs, and a new primitive declared in one place works everywhere."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.api.registry import REGISTRY
from wire.core import Primitive, bind, proj_p
from wire.core.formula import NoFormula
from wire.core.taylor import SeriesRule
from wire.core.lowering import Emitter, XpImpl
from wire.ops.elementwise import unary
from wire.ops.reductions import reduce_sum
from wire.runtime.backends import _cupy, _dask
from wire.transforms import rules

PRIMS = set(REGISTRY.values())


def _keys(table):
    return [k for k in table if k != rules.EVERY and k != rules.COLLECT]


@pytest.mark.parametrize("name, table", [
    ("ALGEBRA", rules.ALGEBRA), ("UNSAFE", rules.UNSAFE), ("CANONICAL", rules.CANONICAL),
    ("DERIVATIVES", rules.DERIVATIVES),
    ("IDENTITIES", rules.IDENTITIES), ("dask overrides", _dask.overrides()),
    ("cupy overrides", _cupy.overrides()),
])
def test_tables_name_registered_primitives_only(name, table):
    keys = _keys(table)
    assert keys, name
    assert all(isinstance(k, Primitive) for k in keys), name
    assert set(keys) <= PRIMS, f"{name} names unregistered primitives {set(keys) - PRIMS}"
    assert set(rules.ELEMENTWISE) <= PRIMS and set(rules.COMMUTATIVE) <= PRIMS


def test_the_registry_holds_each_primitive_once_by_its_name():
    assert all(REGISTRY[p.name] is p for p in PRIMS)
    assert len(PRIMS) == len(REGISTRY) > 90


@pytest.mark.parametrize("prim", sorted(PRIMS, key=lambda p: p.name), ids=lambda p: p.name)
def test_every_primitive_has_what_it_needs(prim):
    assert prim.batch is not None, "a batching rule"
    assert callable(prim.taylor) or isinstance(prim.taylor, SeriesRule), \
        "a Taylor rule (wire.jet), or a marker of wire.core.taylor"
    if not prim.nondiff and prim is not proj_p:  # the drivers differentiate proj themselves
        assert prim.jvp is not None and prim.vjp is not None, "derivative rules"
    if prim.name != "proj":  # proj is sampled through every multi-output primitive
        assert prim.sample is not None, "a sampler for the generic tests"
    assert prim.emit is None or isinstance(prim.emit, Emitter)
    assert callable(prim.sympy) or isinstance(prim.sympy, NoFormula), \
        "a SymPy formula (wire.to_sympy), or the reason it has none"
    backends_cover = prim in _dask.overrides() and prim in _cupy.overrides()
    assert isinstance(prim.xp, XpImpl) or backends_cover, \
        "an Array-API implementation (or its own implementation on every array backend)"
    if prim.call_graph is not None:
        assert prim.sample is not None
        args, params = prim.sample(np.random.default_rng(0))
        assert isinstance(params[prim.call_graph], wire.Graph)


def test_no_table_or_module_keys_primitives_by_name():
    """Only deserialising finds a primitive by its name (wire.api.registry.primitive_named)."""
    from import_graph import PACKAGE  # the package's source, read as text
    import os

    offenders = []
    for folder, _, files in os.walk(PACKAGE):
        for f in files:
            if f.endswith(".py"):
                text = open(os.path.join(folder, f), encoding="utf-8").read()
                if "REGISTRY[" in text or "REGISTRY.get(" in text:
                    offenders.append(os.path.relpath(os.path.join(folder, f), PACKAGE))
    assert offenders == ["api/registry.py"], offenders


def test_a_new_primitive_is_one_declaration():
    """A new elementwise primitive declared in one place (here, in this test) differentiates,
    batches, simplifies, compiles, runs on an Array-API backend and prints as a formula with no
    other change."""
    softsign_p = unary("softsign_test", lambda x: x / (1.0 + np.abs(x)),
                       lambda x, out: 1.0 / ((1.0 + wnp.abs(x)) * (1.0 + wnp.abs(x))),
                       xp=XpImpl(lambda bk, x: bk.xp.divide(x, 1.0 + bk.xp.abs(x)), "abs"),
                       sympy=lambda sp, node, x: x / (1 + sp.Abs(x)))

    def f(x):
        return reduce_sum(bind(softsign_p, x) * 2.0, None)

    x = np.array([-1.5, 0.3, 2.0])
    want = 2.0 / (1.0 + np.abs(x)) ** 2
    np.testing.assert_allclose(wire.grad(f)(x), want)
    np.testing.assert_allclose(wire.jit(wire.grad(f))(x), want)
    np.testing.assert_allclose(wire.jvp(f, (x,), (np.ones(3),))[1], want.sum())
    per_row = wire.vmap(wire.grad(f))(np.stack([x, -x]))
    np.testing.assert_allclose(per_row, np.stack([want, want]))
    np.testing.assert_allclose(wire.grad(wire.grad(lambda v: f(v[None])))(0.3),
                               -4.0 / 1.3 ** 3)
    derivs = wire.taylor(lambda v: f(v[None]), 3)(0.3)  # Taylor mode from its derivative
    np.testing.assert_allclose(derivs[1:], [2.0 / 1.3 ** 2, -4.0 / 1.3 ** 3, 12.0 / 1.3 ** 4])
    strict = pytest.importorskip("array_api_strict")
    g = wire.trace(f, x)
    np.testing.assert_allclose(np.asarray(wire.evaluate(g, x, backend=strict)), f(x))
    sp = pytest.importorskip("sympy")
    t = sp.Symbol("t", real=True)
    formula = wire.to_sympy(wire.trace(lambda v: bind(softsign_p, v) * 2.0, 0.5), names=[t])
    assert sp.simplify(formula - 2 * t / (1 + sp.Abs(t))) == 0
