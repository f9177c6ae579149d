"""wire.simplify: every rule keeps values and avals, graphs shrink, meaning never changes."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import wire
import wire.numpy as wnp
from wire.api import call, grad_graph, trace_args
from wire.ir import Aval
from wire.transforms import rules as R
from wire.transforms.polynomial import collect_terms
from wire.transforms.simplify import cse, dce, fold_constants, rewrite, simplify


def _args(graph, rng, lo=-1.5, hi=1.5):
    return [rng.uniform(lo, hi, size=a.shape).astype(a.dtype) for a in graph.in_avals]


def assert_same_meaning(graph, rng, trials=3, rtol=1e-9, atol=1e-11, lo=-1.5, hi=1.5):
    """simplify(graph) has the same inputs, output avals and values; returns it."""
    s = simplify(graph)
    assert s.inputs == graph.inputs
    assert s.in_tree == graph.in_tree and s.out_tree == graph.out_tree
    assert s.out_avals == graph.out_avals
    assert len(s) <= len(graph)
    for _ in range(trials):
        args = _args(graph, rng, lo, hi)
        before = wire.tree.leaves(wire.evaluate(graph, *args))
        after = wire.tree.leaves(wire.evaluate(s, *args))
        for b, a in zip(before, after):
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    return s


# --------------------------------------------------------------------------- individual rules

X3 = np.ones(3)

# (function of one array argument, expected node count after simplify)
REDUNDANT = [
    ("mul_one", lambda x: x * 1.0, 0),
    ("one_mul", lambda x: 1.0 * x, 0),
    ("add_zero", lambda x: x + 0.0, 1),  # kept: -0.0 + 0.0 is 0.0
    ("add_neg_zero", lambda x: x + -0.0, 0),
    ("zero_add", lambda x: 0.0 + x, 1),
    ("neg_zero_add", lambda x: -0.0 + x, 0),
    ("sub_zero", lambda x: x - 0.0, 0),
    ("zero_sub", lambda x: 0.0 - x, 1),  # kept: 0.0 - 0.0 is 0.0, -(0.0) is -0.0
    ("neg_zero_sub", lambda x: -0.0 - x, 1),  # -x
    ("div_one", lambda x: x / 1.0, 0),
    ("neg_neg", lambda x: wnp.negative(wnp.negative(x)), 0),
    ("mul_minus_one", lambda x: x * -1.0, 1),
    ("integer_pow_1", lambda x: wnp.power(x, 1), 0),
    ("integer_pow_0", lambda x: wnp.sin(x) * 0 + wnp.power(x, 0), 4),
    ("add_neg", lambda x: wnp.sin(x) + (-wnp.cos(x)), 3),
    ("sub_neg", lambda x: wnp.sin(x) - (-wnp.cos(x)), 3),
    ("mul_ones_array", lambda x: x * wnp.ones_like(x), 0),
    ("full_times_full", lambda x: x + wnp.ones_like(x) * wnp.full_like(x, 3.0), 2),
    ("reshape_reshape", lambda x: x.reshape(3, 1).reshape(1, 3), 1),
    ("reshape_same", lambda x: x.reshape(3, 1).reshape(3), 0),
    ("transpose_transpose", lambda x: x.reshape(1, 3).T.T, 1),
    ("broadcast_broadcast", lambda x: wnp.broadcast_to(wnp.broadcast_to(x, (2, 3)), (4, 2, 3)), 1),
    ("sum_size_one", lambda x: wnp.sum(x.reshape(3, 1), axis=1), 1),  # x + 0.0, as NumPy
    ("convert_same", lambda x: x.astype(np.float64) * 2.0, 1),
    ("select_const", lambda x: wnp.where(wnp.ones(3) > 0, x, wnp.sin(x)), 0),
    ("select_same", lambda x: wnp.where(x > 0, x, x), 0),
    ("commutative", lambda x: wnp.sin(x) * wnp.cos(x) + wnp.cos(x) * wnp.sin(x), 4),
    ("like_terms", lambda x: x * x + x * x + x * x, 3),  # collected by rules.DERIVATIVES only
    ("constants", lambda x: x + wnp.exp(wnp.zeros_like(x)) * 2.0, 2),
]


@pytest.mark.parametrize("name,f,expected", REDUNDANT, ids=[r[0] for r in REDUNDANT])
def test_redundant_graphs_shrink(name, f, expected, rng):
    g = wire.trace(f, X3)
    s = assert_same_meaning(g, rng)
    assert len(s) == expected, s
    if len(g) > expected:
        assert len(s) < len(g)


def test_like_terms_are_collected_on_request(rng):
    g = wire.trace(lambda x: x * x + x * x + x * x, X3)
    s = simplify(g, R.DERIVATIVES)
    assert len(s) == 2  # 3 * x**2
    np.testing.assert_allclose(wire.evaluate(s, X3 * 2.0), 12.0)
    assert len(simplify(g, R.combine(R.ALGEBRA, R.UNSAFE))) == 2


def test_sum_of_broadcast_scalar(rng):
    """20 copies summed round otherwise than one product: the default table keeps NumPy's
    sum, the derivative tables make it the product; 3 copies are the product's bits."""
    g = wire.trace(lambda x: wnp.sum(wnp.broadcast_to(wnp.sin(x), (4, 5))), 1.0)
    s = assert_same_meaning(g, rng)
    assert [n.op.name for n in s.nodes if not n.is_leaf] == ["sin", "broadcast_to", "reduce_sum"]
    s = simplify(g, R.DERIVATIVES)
    assert [n.op.name for n in s.nodes if not n.is_leaf] == ["sin", "mul", "add"]  # + 0.0
    g = wire.trace(lambda x: wnp.sum(wnp.broadcast_to(wnp.sin(x), (3, 1))), 1.0)
    s = assert_same_meaning(g, rng)
    assert [n.op.name for n in s.nodes if not n.is_leaf] == ["sin", "mul", "add"]


def test_rules_keep_aval_when_broadcasting_and_casting(rng):
    # x * ones((2, 3)) must stay (2, 3); an int array times 1.0 must become float
    g = wire.trace(lambda x: x * wnp.ones((2, 3)), np.ones(3))
    s = assert_same_meaning(g, rng)
    assert s.out_avals == (Aval((2, 3), np.float64),)
    gi = wire.trace(lambda k: k * 1.0 + 0.0, np.arange(3))
    si = simplify(gi)
    assert si.out_avals == (Aval((3,), np.float64),)
    np.testing.assert_array_equal(wire.evaluate(si, np.arange(3)), np.arange(3.0))


def test_rule_that_changes_the_aval_is_caught():
    def bad(node, rw):
        return node.inputs[0].inputs[0] if node.inputs[0].op.name == "reshape" else None

    g = wire.trace(lambda x: wnp.sin(x.reshape(3, 1)), X3)
    with pytest.raises(AssertionError, match="avals differ"):
        rewrite({wire.ops.elementwise.sin_p: (bad,)})(g)
    with pytest.raises(wire.WireError, match="keyed by Primitive objects"):
        rewrite({"sin": (bad,)})


def test_each_pass_alone_keeps_values(rng):
    f = wire.grad(lambda x: wnp.sum(wnp.sin(x) * wnp.exp(wnp.tanh(x)) * 1.0 + 0.0))
    g = wire.trace(f, X3)
    args = _args(g, rng)
    ref = wire.evaluate(g, *args)
    for p in (dce, fold_constants, rewrite(R.ALGEBRA), cse, collect_terms):
        h = p(g)
        assert h.out_avals == g.out_avals
        np.testing.assert_allclose(wire.evaluate(h, *args), ref, rtol=1e-10)


# --------------------------------------------------------------------------- NaN / inf semantics


@pytest.fixture(autouse=True)
def _quiet_nan():
    with np.errstate(invalid="ignore", over="ignore"):
        yield


def test_mul_by_zero_keeps_nan_by_default():
    g = wire.trace(lambda x: x * 0.0, 1.0)
    assert len(simplify(g)) == 1
    assert np.isnan(wire.evaluate(simplify(g), np.inf))
    unsafe = simplify(g, R.combine(R.ALGEBRA, R.UNSAFE))
    assert len(unsafe) == 0 and wire.evaluate(unsafe, np.inf) == 0.0


def test_mul_by_zero_of_finite_constant_folds():
    g = wire.trace(lambda x: x - wnp.full_like(x, 2.0) * 0.0, X3)
    assert len(simplify(g)) == 0


def test_cancellation_keeps_non_finite_results():
    # x*y - y*x cancels, but an inf/nan in x or y must still give a non-finite result
    g = wire.trace(lambda x, y: x * y - y * x + wnp.sin(x), 1.0, 2.0)
    s = simplify(g)
    assert len(s) < len(g)
    assert np.isfinite(wire.evaluate(s, 0.5, 2.0))
    np.testing.assert_allclose(wire.evaluate(s, 0.5, 2.0), np.sin(0.5))
    assert not np.isfinite(wire.evaluate(s, 0.5, np.inf))
    assert not np.isfinite(wire.evaluate(s, 0.5, np.nan))


def test_x_minus_x_is_kept():
    g = wire.trace(lambda x: x - x, 1.0)
    assert np.isnan(wire.evaluate(simplify(g), np.inf))


# --------------------------------------------------------------------------- whole graphs


def f_bench(x):
    return wnp.sin(x) * wnp.exp(wnp.tanh(x))


SCALAR_FUNCS = [
    f_bench,
    lambda x: wnp.log1p(x * x) / (1.0 + x * x),
    lambda x: wnp.sqrt(x * x + 1.0) * wnp.cos(x),
    lambda x: wnp.tanh(wnp.tanh(x)) ** 3,
    lambda x: wnp.arctan(x) * x - wnp.exp(-x * x),
]


@pytest.mark.parametrize("k", range(len(SCALAR_FUNCS)))
def test_higher_derivatives_keep_values(k, rng):
    g = SCALAR_FUNCS[k]
    for n in range(1, 5):
        g = wire.grad(g)
        graph = wire.trace(g, 1.0)
        raw = wire.trace(_raw_grad_n(SCALAR_FUNCS[k], n), 1.0)
        s = assert_same_meaning(raw, rng, rtol=1e-8, atol=1e-9)
        for x in (-0.7, 0.3, 1.1):
            np.testing.assert_allclose(
                wire.evaluate(graph, x), wire.evaluate(raw, x), rtol=1e-8, atol=1e-9
            )
        assert len(s) <= len(raw)


def _grad_level(h, simp):
    """grad of h, simplified explicitly (simp=True) or not at all (simp=False)."""

    def g(x):
        graph = grad_graph(trace_args(h, (x,)), simplify=False)
        return call(simplify(graph, R.DERIVATIVES) if simp else graph, (x,))

    return g


def _raw_grad_n(f, n):
    for _ in range(n):
        f = _grad_level(f, False)
    return f


def test_simplify_is_idempotent(rng):
    graphs = [wire.trace(f, X3) for name, f, _ in REDUNDANT]
    for f in SCALAR_FUNCS:
        graphs += [wire.trace(_raw_grad_n(f, n), 1.0) for n in (2, 4)]
    for graph in graphs:
        once = simplify(graph)
        assert simplify(once) == once


def test_higher_order_benchmark_counts():
    g = f_bench
    counts = []
    xla = [11, 25, 61, 135, 318, 786]
    for n in range(1, 7):
        g = _grad_level(g, True)
        counts.append(len(simplify(wire.trace(g, 1.0), R.DERIVATIVES)))
    assert all(c < r for c, r in zip(counts, xla)), counts
    assert counts[-1] < 205  # SymPy's count after cse at n = 6


def _mlp_loss(params, x, y):
    h = wnp.tanh(x @ params["w1"] + params["b1"])
    out = h @ params["w2"] + params["b2"]
    return wnp.mean((out - y) ** 2) + 1e-3 * wnp.sum(params["w1"] ** 2)


def test_mlp_loss_gradients(rng):
    params = {
        "w1": rng.normal(size=(4, 5)), "b1": np.zeros(5),
        "w2": rng.normal(size=(5, 2)), "b2": np.zeros(2),
    }
    x, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    graph = grad_graph(wire.trace(_mlp_loss, params, x, y), simplify=False)
    s = simplify(graph)
    assert len(s) < len(graph)
    want = wire.tree.leaves(wire.evaluate(graph, params, x, y))
    got = wire.tree.leaves(wire.evaluate(s, params, x, y))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


ARRAY_FUNCS = [
    ("indexing", lambda x: wnp.sum(x[1:, ::-1] ** 2) + x[0, 2] * x[2, 0]),
    ("fancy_index", lambda x: wnp.sum(x[np.array([0, 2, 2]), :] * 3.0)),
    ("reductions", lambda x: wnp.max(x, axis=0).sum() + wnp.prod(x[0]) - x.min()),
    ("broadcasting", lambda x: wnp.sum((x[:, None, :] - x[None, :, :]) ** 2)),
    ("softmax", lambda x: wnp.sum(wnp.exp(x) / wnp.sum(wnp.exp(x), axis=1, keepdims=True))),
    ("matmul", lambda x: wnp.sum(wnp.tanh(x @ x.T) * 2.0)),
    ("mean_var", lambda x: wnp.var(x, axis=0).sum() + wnp.mean(x) ** 2),
]


@pytest.mark.parametrize("name,f", ARRAY_FUNCS, ids=[a[0] for a in ARRAY_FUNCS])
def test_array_graphs_and_their_gradients(name, f, rng):
    x = rng.normal(size=(3, 4))
    g = wire.trace(f, x)
    assert_same_meaning(g, rng)
    dg = grad_graph(g, simplify=False)
    assert_same_meaning(dg, rng)
    ddg = wire.trace(lambda x: wnp.sum(call(dg, (x,)) ** 2), x)
    assert_same_meaning(grad_graph(ddg, simplify=False), rng)


def test_float32_graphs_keep_dtype(rng):
    x = np.ones(3, np.float32)
    f = wire.grad(lambda x: wnp.sum(wnp.sin(x) * x * 2.0 + 0.0))
    g = wire.trace(f, x)
    s = assert_same_meaning(g, rng, rtol=1e-5, atol=1e-6)
    assert all(n.aval.dtype == np.float32 for n in s.nodes if n.aval.dtype.kind == "f")


def test_deep_chain_no_recursion():
    depth = 20000

    def f(x):
        for i in range(depth):
            x = wnp.sin(x) * 1.0 if i % 2 else x - 0.0
        return x

    g = wire.trace(f, 1.0)
    s = simplify(g)
    assert len(s) == depth // 2
    np.testing.assert_allclose(wire.evaluate(s, 0.3), wire.evaluate(g, 0.3))


def test_locations_follow_the_replaced_node():
    def f(x, y):
        y = wnp.arcsinh(y) * 1.0
        return x - wnp.negative(y)  # becomes add x y, located here

    shape = (5, 7, 3)  # unusual, so these nodes are new to the intern table
    g = wire.trace(f, np.ones(shape), np.ones(shape))
    s = simplify(g)
    add = [n for n in s.nodes if not n.is_leaf and n.op.name == "add"]
    sub = [n for n in g.nodes if not n.is_leaf and n.op.name == "sub"]
    assert len(add) == 1 and add[0].loc == sub[0].loc
    assert add[0].loc.startswith("test_simplify.py:")


@pytest.mark.parametrize("concrete_ones", [False, True])
def test_big_constants_stay_full(concrete_ones):
    n = 10**6

    def f(x):
        ones = wnp.ones(n) if concrete_ones else wnp.ones_like(x)
        return x + wnp.exp(ones * 2.0 * wnp.full_like(x, 3.0) - 6.0)

    s = simplify(wire.trace(f, np.ones(n)))
    (full,) = [m for m in s.nodes if m.op.name == "full"]
    assert full.params["value"] == 1.0 and len(s) == 2
    assert all(m.op.name != "const" or m.aval.size == 1 for m in s.nodes)


# --------------------------------------------------------------------------- random DAGs

UNARY = ["sin", "cos", "tanh", "exp", "neg", "arctan", "sinh"]
BINARY = ["add", "sub", "mul", "maximum", "minimum"]
CONSTS = [0.0, 1.0, -1.0, 2.0, 0.5]


@st.composite
def expression_dags(draw):
    """(ops list) describing a DAG over 2 inputs, constants and the elementwise registry."""
    n = draw(st.integers(1, 14))
    steps = []
    for i in range(n):
        avail = i + 2
        kind = draw(st.sampled_from(["u", "b", "c", "p"]))
        a = draw(st.integers(0, avail - 1))
        b = draw(st.integers(0, avail - 1))
        if kind == "u":
            steps.append(("u", draw(st.sampled_from(UNARY)), a))
        elif kind == "b":
            steps.append(("b", draw(st.sampled_from(BINARY)), a, b))
        elif kind == "c":
            steps.append(("c", draw(st.sampled_from(BINARY)), a, draw(st.sampled_from(CONSTS))))
        else:
            steps.append(("p", draw(st.integers(0, 3)), a))
    outs = draw(st.lists(st.integers(0, n + 1), min_size=1, max_size=3))
    return steps, outs


def _build(steps, outs):
    from wire.api.registry import REGISTRY

    def f(x, y):
        vals = [x, y]
        for s in steps:
            if s[0] == "u":
                v = wire.core.bind(REGISTRY[s[1]], vals[s[2]])
            elif s[0] == "b":
                v = wire.core.bind(REGISTRY[s[1]], vals[s[2]], vals[s[3]])
            elif s[0] == "c":
                v = wire.core.bind(REGISTRY[s[1]], vals[s[2]], np.float64(s[3]))
            else:
                v = vals[s[2]] ** s[1]
            vals.append(wnp.clip(v, -4.0, 4.0) if s[0] == "u" and s[1] in ("exp", "sinh") else v)
        return tuple(vals[o] for o in outs)

    return f


@given(expression_dags())
def test_random_dags_keep_values(dag):
    steps, outs = dag
    rng = np.random.default_rng(1)
    g = wire.trace(_build(steps, outs), np.ones(3), np.ones((2, 3)))
    s = assert_same_meaning(g, rng, trials=2, rtol=1e-9, atol=1e-9)
    assert simplify(s) == s


def test_simplify_grad_chain_stays_small():
    # How long this takes is a benchmark figure (benchmarks/higher_order.py), not a test.
    g = f_bench
    for _ in range(8):
        g = _grad_level(g, True)
    graph = simplify(wire.trace(g, 1.0), R.DERIVATIVES)
    # XLA's optimised count (SymPy's cse reaches 933: wire keeps sums with a constant term,
    # like tanh's 1 - t**2, as written, which costs nodes but keeps the tails accurate)
    assert len(graph) < 5026
    assert math.isfinite(float(wire.evaluate(graph, 0.5)))



def _inner_sizes(graph):
    sizes = []
    for n in graph.nodes:
        for v in n.params.values():
            gs = v if isinstance(v, tuple) else (v,)
            sizes += [len(g) for g in gs if isinstance(g, wire.Graph)]
    return sizes


def test_graphs_in_params_are_simplified(rng):
    def f(x):
        return wire.cond(x > 0, lambda y: (y * 1.0 + 0.0) * wnp.sin(y), wnp.negative, x)

    g = wire.trace(f, 1.0)
    s = simplify(g)
    assert sum(_inner_sizes(s)) < sum(_inner_sizes(g))
    for x in (-0.5, 0.5):
        np.testing.assert_allclose(wire.evaluate(s, x), wire.evaluate(g, x))
    assert simplify(s) == s


# --------------------------------------------------------------------------- term collection's
# edges on chains of products (the walk decides these products and offsets without
# polynomial arithmetic: the results must be those the arithmetic gives)

def _ops(graph):
    return [n.op.name for n in graph.nodes if not n.is_leaf]


def _same_values(graph, collected, points):
    for x in points:
        b = float(wire.evaluate(graph, np.float64(x)))
        a = float(wire.evaluate(collected, np.float64(x)))
        if math.isnan(b):
            assert math.isnan(a), x
        else:
            assert a == pytest.approx(b, rel=1e-14, abs=0), x


def test_collect_terms_products_of_a_chain_keep_their_meaning():
    def f(x):  # 30 distinct factors and constants: more atoms than one monomial holds
        y = x * 1.01
        for k in range(30):
            y = y * wnp.sin(x * (k + 2.0)) * 0.99
        return y

    g = wire.trace(f, 0.3)
    c = collect_terms(g)
    assert len(c) <= len(g)
    _same_values(g, c, [0.3, -1.7, 2.5, 0.0, -0.0, np.inf, np.nan])

    # the coefficients are merged: one product by a non-integer constant per emitted
    # product (31 in the trace)
    def scalings(graph):
        return sum(1 for n in graph.nodes if n.op.name == "mul" and any(
            i.op.name == "const" and float(R.uniform(i)) % 1 for i in n.inputs))

    assert scalings(g) == 31 and scalings(c) <= 3


def test_collect_terms_constant_offsets_stay_as_written():
    g = wire.trace(lambda t: (1.0 - t * t) * wnp.cos(t) + (t * t - 2.0) * wnp.sin(t), 0.4)
    c = collect_terms(g)
    assert _ops(c).count("sub") == 2  # both offsets kept (tails: see the module docstring)
    _same_values(g, c, [0.4, 1.0, -1.0, 0.0, np.inf, np.nan])


def test_collect_terms_coefficient_underflow_and_big_exponents():
    # coefficient 1e-400 underflows to 0.0: the products stay as written (at x = 1e300 they
    # give 1e-100, not 0; inf and nan still give nan)
    g = wire.trace(lambda x: (x * 1e-200) * 1e-200, 2.0)
    c = collect_terms(g)
    assert float(wire.evaluate(c, np.float64(1e300))) == pytest.approx(1e-100, rel=1e-15)
    _same_values(g, c, [3.0, 1e300, -1e250, np.inf, -np.inf, np.nan])
    h = wire.trace(lambda x: (x ** 20) * (x ** 20), 1.01)  # x**40: past the exponent guard
    d = collect_terms(h)
    assert "integer_pow" in _ops(d)
    _same_values(h, d, [1.01, -0.99, 0.0, np.inf, np.nan])
