"""``import wire.numpy as np`` as a drop-in: every public name of ``numpy`` resolves.

``test_every_numpy_name_is_accounted_for`` walks ``dir(numpy)``: each name is traced by wire,
is NumPy's own object (constants, types, configuration), is a NumPy function guarded against
traced values, a guarded NumPy submodule, or is excluded with a reason. The other tests check
each kind: traced functions against NumPy's values and central-difference derivatives,
guarded ones on concrete values and on traced ones (the error names the function, the line
and what to use instead), and the error of a missing name.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.errors import MissingNameError
from wire.numpy import _names
from wire.testing import check_grads

R = np.random.default_rng(7)
PUBLIC = sorted(n for n in dir(np) if not n.startswith("_"))
TRACED_OBJECTS = {"r_", "c_", "vectorize", "linalg", "fft", "random"}
# constructors whose arguments are sizes: NumPy's own (a traced size is refused by NumPy's
# conversion, with TracerBoolError naming the line)
SIZE_CONSTRUCTORS = {"zeros", "ones", "eye", "identity", "arange", "einsum_path"}
HERE = re.escape(__file__.rsplit("/", 1)[-1])


def traced(f, *args):
    """``f`` evaluated through a trace (the wire path, not NumPy's)."""
    return wire.evaluate(wire.trace(f, *args), *args)


def kind_of(name: str) -> str:
    if name in _names.EXCLUDED:
        return "excluded"
    if name in _names.NUMPY_OBJECTS:
        return "numpy object"
    if name in _names.CONCRETE_ONLY:
        return "concrete only"
    if name in _names.CONCRETE_MODULES:
        return "concrete module"
    return "traced"


# --------------------------------------------------------------------------- the walk


def test_every_numpy_name_is_accounted_for():
    groups = [set(_names.EXCLUDED), set(_names.NUMPY_OBJECTS), set(_names.CONCRETE_ONLY),
              set(_names.CONCRETE_MODULES), set(wnp.__all__) | TRACED_OBJECTS]
    for i, a in enumerate(groups):
        for b in groups[i + 1:]:
            assert not a & b, f"names in two groups: {sorted(a & b)}"
    listed = set().union(*groups[:4])
    assert not listed - set(PUBLIC) - {"bool_", "float16", "float32", "float64", "int32",
                                       "int64"}, "tables name things NumPy does not have"
    for name in PUBLIC:
        kind = kind_of(name)
        if kind == "excluded":
            assert not hasattr(wnp, name)
            with pytest.raises(MissingNameError, match=r"deliberately left out|planned"):
                getattr(wnp, name)
            continue
        obj = getattr(wnp, name)
        if kind == "numpy object":
            assert obj is getattr(np, name), name
        elif kind == "concrete only":
            assert isinstance(obj, _names.ConcreteOnly) and obj.__wrapped__ is getattr(np, name)
        elif kind == "concrete module":
            assert isinstance(obj, _names.ConcreteModule), name
        else:
            assert name in wnp.__all__ or name in TRACED_OBJECTS, f"{name} is not classified"
            assert (obj is not getattr(np, name)) or name in SIZE_CONSTRUCTORS, name


def namespace_figures() -> dict:
    """How many public NumPy names resolve in wire.numpy, by kind, and how many are excluded."""
    counts: dict = {}
    for name in PUBLIC:
        counts[kind_of(name)] = counts.get(kind_of(name), 0) + 1
    counts["resolve"] = len(PUBLIC) - counts.get("excluded", 0)
    return counts


def test_namespace_figures():
    fig = namespace_figures()
    assert fig["resolve"] + fig["excluded"] == len(PUBLIC)
    assert fig["excluded"] == len(_names.EXCLUDED) <= 5
    assert fig["traced"] > 250


# --------------------------------------------------------------------------- guarded names


@pytest.mark.parametrize("name", sorted(_names.CONCRETE_ONLY))
def test_concrete_only_function_refuses_a_traced_value_naming_itself(name):
    # under jit always; in an eager trace where its result would cut a derivative (the
    # functions returning positions run on the known values instead: next test)
    def f(x):
        getattr(wnp, name)(x)
        return x.sum()

    match = (rf"numpy\.{name} got a traced value \(at {HERE}:\d+\): it works on concrete "
             "values only, as ")
    with pytest.raises(wire.WireTypeError, match=match):
        wire.jit(wire.grad(f))(np.ones(3))
    if name not in _names._INDEX_RESULTS:
        with pytest.raises(wire.WireTypeError, match=match):
            wire.grad(f)(np.ones(3))


@pytest.mark.parametrize("name", sorted(_names._INDEX_RESULTS))
def test_position_functions_read_an_eager_traces_values(name):
    # as in JAX and autograd without jit: positions carry no derivative, so nonzero(x > 0.5)
    # of a differentiated x is NumPy's on x's value, and the graph follows it
    def f(x):
        pos = getattr(wnp, name)(x > 0.5)
        pos = pos[0] if isinstance(pos, tuple) else pos.ravel()
        return wnp.sum(x[pos] ** 2)

    for x in (np.array([0.2, 0.7, 0.9, -1.0]), np.array([0.9, 0.1, 0.0, 0.6])):
        np.testing.assert_array_equal(wire.grad(f)(x), np.where(x > 0.5, 2 * x, 0.0))


def test_concrete_only_functions_are_numpys_on_concrete_values():
    x = np.array([3.0, 1.0, 3.0, 2.0])
    np.testing.assert_array_equal(wnp.unique(x), np.unique(x))
    np.testing.assert_array_equal(wnp.histogram(x, 3)[0], np.histogram(x, 3)[0])
    np.testing.assert_array_equal(wnp.nonzero(x > 1.5)[0], np.nonzero(x > 1.5)[0])
    assert wnp.gcd(12, 18) == 6 and wnp.gcd.reduce([12, 18, 8]) == 2  # ufunc methods too
    np.testing.assert_array_equal(wnp.hanning(5), np.hanning(5))
    assert wnp.base_repr(10, 2) == "1010"
    y = np.zeros(3)
    wnp.copyto(y, 1.0)
    np.testing.assert_array_equal(y, np.ones(3))
    assert "numpy.unique" in wnp.unique.__doc__ and "shape depends" in wnp.unique.__doc__


def test_numpy_objects_are_numpys():
    assert wnp.float64 is np.float64 and wnp.dtype is np.dtype and wnp.newaxis is None
    assert wnp.finfo(np.float32).eps == np.finfo(np.float32).eps
    assert wnp.longdouble is np.longdouble and wnp.euler_gamma == np.euler_gamma
    old = wnp.seterr(all="ignore")
    try:
        assert wnp.geterr()["divide"] == "ignore"
    finally:
        wnp.seterr(**old)
    with wnp.errstate(divide="ignore"):
        assert np.isinf(np.float64(1.0) / np.float64(0.0))
    assert wnp.s_[1:2] == np.s_[1:2] and wnp.mgrid[0:2].tolist() == [0, 1]


def test_numpy_random_is_numpys_for_concrete_values_and_points_to_wire_random():
    import wire.numpy.random as npr

    assert sys.modules["wire.numpy.random"] is npr is wnp.random
    npr.seed(3)
    a = npr.randn(4)
    np.random.seed(3)
    np.testing.assert_array_equal(a, np.random.randn(4))
    assert npr.RandomState is np.random.RandomState
    assert npr.default_rng.__wrapped__ is np.random.default_rng
    assert npr.default_rng(0).normal(size=3).shape == (3,)
    assert npr.normal(0.0, 1.0, size=2).shape == (2,)
    with pytest.raises(wire.WireTypeError, match=r"numpy\.random\.normal got a traced value.*"
                       r"wire\.random\.normal\(key"):
        wire.grad(lambda m: npr.normal(m, 1.0) * m)(0.5)


def test_numpy_submodules_are_guarded_views():
    import wire.numpy.ma as wma

    assert wma is wnp.ma
    m = wnp.ma.masked_where(np.array([True, False]), np.array([1.0, 2.0]))
    assert isinstance(m, np.ma.MaskedArray) and m.sum() == 2.0
    assert wnp.ma.MaskedArray is np.ma.MaskedArray
    with pytest.raises(wire.WireTypeError, match=r"numpy\.ma\.masked_where got a traced value"):
        wire.grad(lambda x: wnp.ma.masked_where(x > 0, x).sum())(np.ones(2))
    wnp.testing.assert_allclose(np.ones(2), np.ones(2))
    with pytest.raises(wire.WireTypeError, match=r"numpy\.testing\.assert_allclose"):
        wire.grad(lambda x: wnp.testing.assert_allclose(x, 1.0) or x.sum())(np.ones(2))
    assert wnp.polynomial.Polynomial is np.polynomial.Polynomial
    # numpy.emath is an alias of numpy.lib.scimath, not a module file import_module finds
    assert wnp.emath.sqrt(-4.0) == np.emath.sqrt(-4.0) == 2j
    assert not hasattr(wnp.emath, "no_such_name")


def test_a_missing_name_says_why():
    with pytest.raises(MissingNameError, match=r"wire\.numpy\.test is deliberately left out: "
                       r"it runs NumPy's own test suite"):
        wnp.test()
    with pytest.raises(AttributeError, match=r"no attribute 'lingspace'.*wire\.numpy\.linspace"):
        wnp.lingspace  # noqa: B018
    assert getattr(wnp, "f2py", None) is None and not hasattr(wnp, "core")
    assert isinstance(MissingNameError("x"), wire.WireError)


# --------------------------------------------------------------------------- new traced names

x4 = R.normal(size=4)
m34 = R.normal(size=(3, 4))
c444 = R.normal(size=(4, 4, 4))
pos4 = R.uniform(0.2, 0.9, size=4)
ints = np.array([0, 2, 1, 2])

# name, wire function, NumPy function, arguments, index of float args to differentiate
# fmt: off
TRACED = [
    ("fabs", wnp.fabs, np.fabs, (x4,), (0,)),
    ("modf", lambda a: wnp.modf(a)[0], lambda a: np.modf(a)[0], (x4 * 3,), (0,)),
    ("frexp", lambda a: wnp.frexp(a)[0], lambda a: np.frexp(a)[0], (x4 * 10,), (0,)),
    ("ldexp", lambda a: wnp.ldexp(a, ints), lambda a: np.ldexp(a, ints), (x4,), (0,)),
    ("divmod", lambda a: wnp.divmod(a, 0.7)[1], lambda a: np.divmod(a, 0.7)[1], (x4,), (0,)),
    ("acos", wnp.acos, np.acos, (pos4,), (0,)), ("asin", wnp.asin, np.asin, (pos4,), (0,)),
    ("atan", wnp.atan, np.atan, (x4,), (0,)), ("acosh", wnp.acosh, np.acosh, (pos4 + 1,), (0,)),
    ("asinh", wnp.asinh, np.asinh, (x4,), (0,)), ("atanh", wnp.atanh, np.atanh, (pos4,), (0,)),
    ("atan2", wnp.atan2, np.atan2, (x4, pos4), (0, 1)), ("pow", wnp.pow, np.pow, (pos4, x4), (0, 1)),
    ("concat", lambda a: wnp.concat([a, a], axis=1), lambda a: np.concat([a, a], axis=1), (m34,), (0,)),
    ("permute_dims", lambda a: wnp.permute_dims(a, (2, 0, 1)), lambda a: np.permute_dims(a, (2, 0, 1)),
     (c444,), (0,)),
    ("matrix_transpose", wnp.matrix_transpose, np.matrix_transpose, (c444,), (0,)),
    ("rollaxis", lambda a: wnp.rollaxis(a, 2, 1), lambda a: np.rollaxis(a, 2, 1), (c444,), (0,)),
    ("hsplit", lambda a: wnp.hsplit(a, [1, 3])[1], lambda a: np.hsplit(a, [1, 3])[1], (c444,), (0,)),
    ("vsplit", lambda a: wnp.vsplit(a, 2)[1], lambda a: np.vsplit(a, 2)[1], (c444,), (0,)),
    ("dsplit", lambda a: wnp.dsplit(a, 2)[0], lambda a: np.dsplit(a, 2)[0], (c444,), (0,)),
    ("row_stack", lambda a: wnp.row_stack([a, a]), lambda a: np.vstack([a, a]), (x4,), (0,)),
    ("unstack", lambda a: wnp.unstack(a, axis=1)[2], lambda a: np.unstack(a, axis=1)[2], (m34,), (0,)),
    ("block", lambda a, b: wnp.block([[a, b], [b, a]]), lambda a, b: np.block([[a, b], [b, a]]),
     (m34, m34 * 2), (0, 1)),
    ("resize", lambda a: wnp.resize(a, (3, 3)), lambda a: np.resize(a, (3, 3)), (x4,), (0,)),
    ("astype", lambda a: wnp.astype(a, np.float32), lambda a: np.astype(a, np.float32), (x4,), ()),
    ("matvec", wnp.matvec, np.matvec, (m34, x4), (0, 1)),
    ("vecmat", wnp.vecmat, np.vecmat, (x4[:3], m34), (0, 1)),
    ("vecdot", wnp.vecdot, np.vecdot, (m34, x4), (0, 1)),
    ("partition", lambda a: wnp.partition(a, 2)[2], lambda a: np.partition(a, 2)[2], (x4,), (0,)),
    ("argpartition", lambda a: wnp.argpartition(a, 1)[1], lambda a: np.argpartition(a, 1)[1], (x4,), ()),
    ("lexsort", lambda a, b: wnp.lexsort((a, b)), lambda a, b: np.lexsort((a, b)),
     (np.array([1.0, 0.0, 1.0, 0.0]), np.array([2.0, 2.0, 1.0, 1.0])), ()),
    ("sort_complex", wnp.sort_complex, np.sort_complex, (x4 + 1j * x4[::-1],), ()),
    ("digitize", lambda a: wnp.digitize(a, [-1.0, 0.0, 1.0]), lambda a: np.digitize(a, [-1.0, 0.0, 1.0]),
     (x4,), ()),
    ("bincount", lambda w: wnp.bincount(ints, w, minlength=5), lambda w: np.bincount(ints, w, 5), (x4,), (0,)),
    ("nanquantile", lambda a: wnp.nanquantile(a, [0.2, 0.9], axis=1),
     lambda a: np.nanquantile(a, [0.2, 0.9], axis=1), (np.where(m34 > 1.0, np.nan, m34),), (0,)),
    ("nanpercentile", lambda a: wnp.nanpercentile(a, 40.0), lambda a: np.nanpercentile(a, 40.0),
     (np.where(m34 > 1.0, np.nan, m34),), (0,)),
    ("allclose", lambda a: wnp.allclose(a, a + 1e-12), lambda a: np.allclose(a, a + 1e-12), (x4,), ()),
    ("array_equal", lambda a: wnp.array_equal(a, a), lambda a: np.array_equal(a, a), (x4,), ()),
    ("array_equiv", lambda a: wnp.array_equiv(a, m34[0]), lambda a: np.array_equiv(a, m34[0]), (x4,), ()),
    ("isin", lambda a: wnp.isin(a, a[:2]), lambda a: np.isin(a, a[:2]), (x4,), ()),
    ("isposinf", wnp.isposinf, np.isposinf, (np.array([np.inf, -np.inf, 1.0]),), ()),
    ("isneginf", wnp.isneginf, np.isneginf, (np.array([np.inf, -np.inf, 1.0]),), ()),
    ("real_if_close", wnp.real_if_close, np.real_if_close, (x4,), (0,)),
    ("interp", lambda a, xp, fp: wnp.interp(a, xp, fp), np.interp,
     (x4, np.array([-1.0, 0.0, 2.0]), np.array([1.0, -1.0, 3.0])), (0, 1, 2)),
    ("interp(period)", lambda a, fp: wnp.interp(a, [0.0, 1.0, 2.0], fp, period=2.5),
     lambda a, fp: np.interp(a, [0.0, 1.0, 2.0], fp, period=2.5), (x4 * 3, np.array([1.0, 0.0, 2.0])),
     (0, 1)),
    ("unwrap", wnp.unwrap, np.unwrap, (x4 * 4,), (0,)),
    ("vander", lambda a: wnp.vander(a, 3), lambda a: np.vander(a, 3), (x4,), (0,)),
    ("polyval", wnp.polyval, np.polyval, (x4[:3], x4), (0, 1)),
    ("polyadd", wnp.polyadd, np.polyadd, (x4, x4[:2]), (0, 1)),
    ("polysub", wnp.polysub, np.polysub, (x4[:2], x4), (0, 1)),
    ("polymul", wnp.polymul, np.polymul, (x4, x4[:3]), (0, 1)),
    ("polyder", lambda a: wnp.polyder(a, 2), lambda a: np.polyder(a, 2), (x4,), (0,)),
    ("polyint", lambda a: wnp.polyint(a, 2, [1.0, 2.0]), lambda a: np.polyint(a, 2, [1.0, 2.0]), (x4,), (0,)),
    ("polydiv", lambda u, v: wnp.polydiv(u, v)[0], lambda u, v: np.polydiv(u, v)[0], (x4, x4[:2] + 2), (0, 1)),
    ("polyfit", lambda a, b: wnp.polyfit(a, b, 2), lambda a, b: np.polyfit(a, b, 2),
     (np.arange(5.0), R.normal(size=5)), (0, 1)),
    ("poly", wnp.poly, np.poly, (x4[:3],), (0,)),
    ("i0", wnp.i0, np.i0, (x4 * 20,), (0,)),
    ("choose", lambda a, b: wnp.choose(ints % 2, [a, b]), lambda a, b: np.choose(ints % 2, [a, b]),
     (x4, x4 * 2), (0, 1)),
    ("compress", lambda a: wnp.compress([True, False, True], a, axis=0),
     lambda a: np.compress([True, False, True], a, axis=0), (m34,), (0,)),
    ("extract", lambda a: wnp.extract(m34 > 0, a), lambda a: np.extract(m34 > 0, a), (m34,), (0,)),
    ("insert", lambda a, v: wnp.insert(a, [0, 2], v, axis=1), lambda a, v: np.insert(a, [0, 2], v, axis=1),
     (m34, x4[:3, None]), (0, 1)),
    ("piecewise", lambda a: wnp.piecewise(a, [a < 0, a > 1], [lambda t: -t, lambda t: t * t, 0.5]),
     lambda a: np.piecewise(a, [a < 0, a > 1], [lambda t: -t, lambda t: t * t, 0.5]), (x4 * 2,), (0,)),
    ("vectorize", lambda a: wnp.vectorize(lambda t: wnp.sin(t) * t)(a),
     lambda a: np.vectorize(lambda t: np.sin(t) * t)(a), (m34,), (0,)),
    ("vectorize(signature)", lambda a: wnp.vectorize(lambda r: r @ r, signature="(n)->()")(a),
     lambda a: np.vectorize(lambda r: r @ r, signature="(n)->()")(a), (m34,), (0,)),
    ("apply_along_axis", lambda a: wnp.apply_along_axis(lambda r: wnp.outer(r, r), 1, a),
     lambda a: np.apply_along_axis(lambda r: np.outer(r, r), 1, a), (m34,), (0,)),
    ("apply_over_axes", lambda a: wnp.apply_over_axes(wnp.sum, a, [0, 2]),
     lambda a: np.apply_over_axes(np.sum, a, [0, 2]), (c444,), (0,)),
    ("r_", lambda a: wnp.r_[a, 0.0, 1:3, a], lambda a: np.r_[a, 0.0, 1:3, a], (x4,), (0,)),
    ("r_('0,2')", lambda a: wnp.r_["0,2", a, a], lambda a: np.r_["0,2", a, a], (x4,), (0,)),
    ("c_", lambda a: wnp.c_[a, a * 2], lambda a: np.c_[a, a * 2], (x4,), (0,)),
    ("linspace", lambda a: wnp.linspace(a, 2.0, 5), lambda a: np.linspace(a, 2.0, 5), (x4,), (0,)),
    ("full", lambda v: wnp.full((2, 3), v), lambda v: np.full((2, 3), v), (np.float64(1.5),), (0,)),
]
# fmt: on


@pytest.mark.parametrize("name, fn, ref, args, diff", TRACED, ids=[t[0] for t in TRACED])
def test_new_traced_function_matches_numpy_and_differentiates(name, fn, ref, args, diff):
    want = ref(*args)
    got = traced(fn, *args)
    assert np.shape(got) == np.shape(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, equal_nan=True)
    if diff:
        fixed = list(args)

        def f(*dyn):
            full = list(fixed)
            for k, v in zip(diff, dyn):
                full[k] = v
            return fn(*full)

        check_grads(f, tuple(args[k] for k in diff), order=1)


def test_numpy_calls_on_tracers_reach_the_new_functions():
    def f(x):
        y = np.modf(x)[0] + np.frexp(x)[0] + np.ldexp(x, 2) + np.divmod(x, 2.0)[1] + np.fabs(x)
        y = y + np.interp(x, [0.0, 1.0], [1.0, 3.0]) + np.i0(x) + np.polyval([1.0, 2.0], x)
        return np.sum(y + np.unwrap(x) + np.partition(x, 1) + np.resize(x, 3))

    x = np.array([0.3, -1.2, 2.5])
    np.testing.assert_allclose(traced(f, x), f(x), rtol=1e-13)
    check_grads(f, (x,), order=1)


def test_index_helpers_read_only_the_shape_of_traced_values():
    for name in ("tril_indices_from", "triu_indices_from"):
        got = traced(lambda a, name=name: a[getattr(wnp, name)(a, 1)], m34[:, :3])
        np.testing.assert_array_equal(got, m34[:, :3][getattr(np, name)(m34[:, :3], 1)])
    got = traced(lambda a: a[wnp.diag_indices_from(a)], m34[:, :3])
    np.testing.assert_array_equal(got, np.diag(m34[:, :3]))


def test_traced_functions_refuse_what_depends_on_values():
    with pytest.raises(wire.WireError, match="real_if_close of a traced complex"):
        wire.grad(lambda a: wnp.real(wnp.real_if_close(a + 0j)).sum())(x4)
    with pytest.raises(wire.WireError, match="compress/extract with a traced condition"):
        wire.jit(wire.grad(lambda a: wnp.compress(a > 0, a).sum()))(x4)
    # an eager trace knows the condition (as JAX and autograd without jit)
    np.testing.assert_array_equal(wire.grad(lambda a: wnp.compress(a > 0, a).sum())(x4),
                                  (x4 > 0).astype(float))
    with pytest.raises(wire.WireError, match="bincount: the counted integers"):
        wire.grad(lambda a: wnp.bincount(wnp.astype(a > 0, np.int64)).sum() * a.sum())(x4)
    with pytest.raises(wire.WireError, match="partition: kth 7 is out of bounds"):
        wire.grad(lambda a: wnp.partition(a, 7).sum())(x4)
    with pytest.raises(wire.WireTypeError, match="fabs is not defined for complex"):
        wire.jit(wnp.fabs)(x4 + 1j)


def test_derivative_conventions_of_new_functions():
    knots, values = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 0.0])
    grad_interp = wire.grad(lambda t: wnp.interp(t, knots, values))
    assert grad_interp(1.0) == -1.0  # the segment to the right of a knot
    assert grad_interp(3.0) == -1.0  # the last segment at the last knot
    assert grad_interp(-2.0) == 0.0 and grad_interp(5.0) == 0.0
    assert wire.grad(lambda t: wnp.modf(t)[0])(2.0) == 1.0
    assert wire.grad(lambda t: wnp.frexp(t)[0])(3.0) == 0.25
