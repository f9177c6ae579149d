"""wire.save/load/dumps/loads: exact round trips, validation of tampered files, pickling."""

import collections
import copy
import json
import multiprocessing
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wire
import wire.numpy as wnp

HERE = "test_serialize.py:"


def _roundtrip(g):
    text = wire.dumps(g)
    g2 = wire.loads(text)
    assert g2 == g
    assert wire.dumps(g2) == text
    return g2


def _same_values(g, g2, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = wire.tree.leaves(wire.evaluate(g, *args))
        b = wire.tree.leaves(wire.evaluate(g2, *args))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


# --------------------------------------------------------------------------- round trips


def test_simple_roundtrip_and_header():
    g = wire.trace(lambda x: wnp.sum(wnp.sin(x) * 2.0), np.ones(3))
    text = wire.dumps(g)
    doc = json.loads(text)
    assert doc["format"] == "wire.graph" and doc["version"] == 1
    ops = [n["op"] for n in doc["graph"]["nodes"]]
    assert ops[0] == "input" and "sin" in ops and ops[-1] == "reduce_sum"
    assert all(n["id"] == k for k, n in enumerate(doc["graph"]["nodes"]))
    assert any(HERE in (n["loc"] or "") for n in doc["graph"]["nodes"])
    g2 = _roundtrip(g)
    _same_values(g, g2, np.arange(3.0))


def test_one_node_per_line():
    g = wire.trace(lambda x: wnp.exp(x) + 1.0, np.ones(2))
    lines = wire.dumps(g).splitlines()
    assert sum('"op": ' in ln for ln in lines) == len(g.nodes)


def test_pytrees_and_namedtuples():
    Point = collections.namedtuple("Point", "x y")

    def f(p, d):
        return {"s": p.x * p.y, "l": [d["a"] + 1.0, None]}

    g = wire.trace(f, Point(np.ones(2), np.ones(2)), {"a": np.ones(3)})
    g2 = wire.loads(wire.dumps(g))
    # namedtuples are saved as plain tuples (documented)
    assert g2.in_tree.children[0].kind == "tuple" and g2.out_tree == g.out_tree
    out = wire.evaluate(g2, (np.ones(2) * 2, np.ones(2) * 3), {"a": np.zeros(3)})
    assert out["l"][1] is None and np.allclose(out["s"], 6.0)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool",
                                   "complex128", "uint8", "float16"])
def test_constants_of_every_dtype(dtype):
    c = (np.arange(6).reshape(2, 3) % 3).astype(dtype)
    g = wire.trace(lambda x: x + c, np.ones((2, 3), dtype=dtype))
    g2 = _roundtrip(g)
    _same_values(g, g2, np.ones((2, 3), dtype=dtype))


def test_special_floats_params_and_dtypes():
    big = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-308, 5e-324])

    def f(x):
        y = wnp.full((2,), np.inf, dtype=np.float32)
        return x * big, y.astype(np.float64), wnp.where(x > 0, x, -1.5), x[::-2, None]

    g = wire.trace(f, np.ones(6))
    g2 = _roundtrip(g)
    _same_values(g, g2, np.linspace(-1, 1, 6))


def test_gradient_graph_with_multi_output_nodes():
    def f(x):
        q, r = wnp.linalg.qr(x)
        return wnp.sum(q * r) + wnp.sum(wnp.cumsum(x, axis=1) ** 3)

    g = wire.trace(wire.grad(f), np.eye(3) + 0.1)
    g2 = _roundtrip(g)
    _same_values(g, g2, np.eye(3) + 0.3)


def test_control_flow_subgraphs_are_shared_and_nested():
    def f(x):
        def body(c, xi):
            inner = wire.cond(xi > 0, lambda v: v * 2.0, lambda v: v - 1.0, c)
            return inner + xi, wnp.sin(c)

        c, ys = wire.scan(body, 0.0, x)
        w = wire.while_loop(lambda s: s[0] < 5, lambda s: (s[0] + 1, s[1] * 1.1), (0, c))
        return wnp.sum(ys) + w[1]

    g = wire.trace(f, np.ones(4))
    doc = json.loads(wire.dumps(g))
    assert len(doc["subgraphs"]) >= 3
    g2 = _roundtrip(g)
    _same_values(g, g2, np.array([0.5, -1.0, 2.0, 0.1]))
    def h(x):  # reverse mode needs a fixed trip count: no while_loop here
        return wnp.sum(wire.scan(lambda c, xi: (wire.cond(xi > 0, wnp.sin, wnp.cos, c) * xi,
                                                 c), 1.0, x)[1])

    gg = wire.trace(wire.grad(h), np.ones(4))
    _same_values(gg, _roundtrip(gg), np.array([0.5, -1.0, 2.0, 0.1]))


def test_var_graphs():
    x, y = wire.var("x", shape=(2,)), wire.var("y")
    z = x * y + 1.0
    g = wire.Graph([x.node, y.node], [z.node])
    g2 = _roundtrip(g)
    _same_values(g, g2, np.ones(2), np.array(3.0))


def test_save_and_load_file(tmp_path):
    g = wire.trace(lambda x: wnp.tanh(x) @ np.ones((3, 2)), np.ones((4, 3)))
    path = tmp_path / "model.json"
    wire.save(g, path)
    assert wire.load(str(path)) == g
    with pytest.raises(wire.WireError, match="cannot load graph from"):
        wire.load(tmp_path / "missing.json")


# --------------------------------------------------------------------------- cannot save


@wire.custom_jvp
def _twice_slope_sin(x):
    return wnp.sin(x)


@_twice_slope_sin.defjvp
def _twice_slope_sin_jvp(primals, tangents):
    return _twice_slope_sin(primals[0]), 2.0 * tangents[0]  # deliberately not cos(x)


def _scale_grad_impl(x, k):
    return x * k


_scale_grad = wire.custom_vjp(_scale_grad_impl, nondiff_argnums=(1,))  # no decorator syntax
_scale_grad.defvjp(lambda x, k: (_scale_grad(x, k), None), lambda k, _, g: (g * k * 10.0,))


def test_custom_rules_are_saved_by_reference():
    def f(x):
        return wnp.sum(_twice_slope_sin(x) * _scale_grad(x, 3.0))

    x = np.array([0.3, -1.2])
    g = wire.trace(f, x)
    text = wire.dumps(g)
    assert '"qualname": "_twice_slope_sin"' in text and '"qualname": "_scale_grad"' in text
    g2 = _roundtrip(g)
    _same_values(g, g2, x)
    # the loaded graph still differentiates with the user's rules
    expected = wire.grad(f)(x)
    np.testing.assert_allclose(expected, 2.0 * 3.0 * x + np.sin(x) * 30.0)
    np.testing.assert_array_equal(wire.evaluate(wire.grad(g2), x), expected)
    # and a vmapped call (a batched rule) too
    gv = wire.trace(wire.vmap(lambda v: _twice_slope_sin(v) * _scale_grad(v, 2.0)), np.ones((3, 2)))
    gv2 = _roundtrip(gv)
    xs = np.linspace(-1, 1, 6).reshape(3, 2)
    np.testing.assert_array_equal(wire.evaluate(gv2, xs), wire.evaluate(gv, xs))
    ct = np.ones((3, 2))
    np.testing.assert_array_equal(wire.evaluate(wire.vjp(gv2), xs, ct),
                                  wire.evaluate(wire.vjp(gv), xs, ct))


def test_custom_rules_that_cannot_be_found_by_name_cannot_be_saved():
    @wire.custom_jvp
    def f(x):
        return wnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        return f(primals[0]), tangents[0] * wnp.cos(primals[0])

    g = wire.trace(lambda x: f(x) * 2.0, np.ones(2))
    with pytest.raises(wire.WireError) as e:
        wire.dumps(g)
    msg = str(e.value)
    assert "custom_jvp_call" in msg and "rule" in msg and "module level" in msg
    assert "<locals>.f" in msg and HERE in msg

    def closing(y):
        @wire.custom_vjp
        def h(x):
            return x * y

        h.defvjp(lambda x: (h(x), None), lambda _, ct: (ct * y,))
        return h(2.0 * y)

    with pytest.raises(wire.WireError, match="closes over 1 traced value"):
        wire.dumps(wire.trace(closing, 1.0))


def _custom_doc():
    return json.loads(wire.dumps(wire.trace(_twice_slope_sin, np.ones(2))))


def _rule(doc):
    node = next(n for n in doc["graph"]["nodes"] if n["op"] == "custom_jvp_call")
    return node["params"]["rule"]["custom_rule"]


@pytest.mark.parametrize("field,value,message", [
    ("module", "this", "module 'this' is not imported"),
    ("module", "os; import this", "must be a dotted Python name"),
    ("qualname", "_scale_grad", "is not a custom_jvp function"),
    ("qualname", "np", "is not a custom_jvp function"),
    ("kind", "custom_hessian", "kind must be one of"),
    ("static", {"tuple": [{"int": 1}]}, r"static must be a tuple of 0 value\(s\)"),
])
def test_loading_a_custom_rule_validates_the_reference_and_imports_nothing(field, value,
                                                                           message):
    import sys
    doc = _custom_doc()
    _rule(doc)[field] = value
    already = "this" in sys.modules
    with pytest.raises(wire.WireError, match=message):
        wire.loads(json.dumps(doc))
    assert ("this" in sys.modules) == already  # wire.load never imports a module


def test_not_a_graph():
    with pytest.raises(wire.WireError, match="takes a wire.Graph"):
        wire.dumps(lambda x: x)


# --------------------------------------------------------------------------- tampering

BASE = wire.trace(lambda x, y: wnp.sum(wnp.sin(x) * y + np.array([1.0, 2.0])),
                  np.ones(2), np.ones(2))


def _doc():
    return json.loads(wire.dumps(BASE))


def _node(doc, op):
    return next(n for n in doc["graph"]["nodes"] if n["op"] == op)


def _load_error(doc_or_text) -> str:
    text = doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text)
    with pytest.raises(wire.WireError) as e:
        wire.loads(text)
    return str(e.value)


def test_tampered_unknown_op():
    d = _doc()
    _node(d, "sin")["op"] = "os.system"
    assert "unknown operation 'os.system'" in _load_error(d)


def test_tampered_arity():
    d = _doc()
    _node(d, "sin")["inputs"] = [0, 1]
    assert "sin takes 1 operand(s), got 2" in _load_error(d)


def test_tampered_forward_reference_and_cycle():
    d = _doc()
    n = _node(d, "sin")
    n["inputs"] = [n["id"]]
    assert "not defined before it" in _load_error(d)
    d = _doc()
    _node(d, "sin")["inputs"] = [len(d["graph"]["nodes"]) + 5]
    assert "not defined before it" in _load_error(d)


def test_tampered_ids():
    d = _doc()
    d["graph"]["nodes"][1]["id"] = 7
    assert "ids must be 0, 1, 2" in _load_error(d)
    d = _doc()
    d["graph"]["outputs"] = [99]
    assert "refers to node 99" in _load_error(d)


def test_tampered_dtype_strings():
    d = _doc()
    _node(d, "sin")["aval"]["dtype"] = "object"
    assert "'object' is not one of" in _load_error(d)
    d = _doc()
    _node(d, "const")["params"]["value"]["array"]["dtype"] = "<f8; rm -rf"
    assert "is not one of" in _load_error(d)


def test_tampered_base64():
    d = _doc()
    arr = _node(d, "const")["params"]["value"]["array"]
    arr["shape"] = [3]
    assert "data has 16 bytes but shape [3] of float64 needs 24" in _load_error(d)
    d = _doc()
    _node(d, "const")["params"]["value"]["array"]["data"] = "!!not base64!!"
    assert "not valid base64" in _load_error(d)


def test_tampered_aval_is_rederived():
    d = _doc()
    _node(d, "mul")["aval"]["shape"] = [5]
    msg = _load_error(d)
    assert "records aval f64[5], but mul of f64[2], f64[2] gives f64[2]" in msg
    d = _doc()
    _node(d, "reduce_sum")["params"]["axes"] = {"tuple": [{"int": 4}]}
    assert "shape rule" in _load_error(d)


def test_tampered_params():
    d = _doc()
    _node(d, "sin")["params"] = {"out": {"none": None}}
    assert "unknown param(s) ['out']" in _load_error(d)
    d = _doc()
    del _node(d, "reduce_sum")["params"]["axes"]
    assert "missing param(s) ['axes']" in _load_error(d)
    d = _doc()
    _node(d, "reduce_sum")["params"]["axes"] = {"pickle": "gASV"}
    assert "unknown tag 'pickle'" in _load_error(d)
    d = _doc()
    _node(d, "reduce_sum")["params"]["axes"] = {"list": [{"int": 0}]}
    msg = _load_error(d)
    assert "hashable" in msg or "shape rule" in msg


def test_tampered_header_and_text():
    d = _doc()
    d["version"] = 2
    assert "version 2 is not supported" in _load_error(d)
    d = _doc()
    d["format"] = "pickle"
    assert "expected 'wire.graph'" in _load_error(d)
    text = wire.dumps(BASE)
    assert "not valid JSON" in _load_error(text[: len(text) // 2])
    assert "NaN is not JSON" in _load_error(text.replace('{"int": 0}', "NaN", 1))
    assert "not valid JSON" in _load_error("[" * 100000)
    assert "must be a JSON object" in _load_error("[]")
    with pytest.raises(wire.WireError, match="not UTF-8"):
        wire.loads(b"\xff\xfe\x00")


def test_tampered_trees_and_leaves():
    d = _doc()
    d["graph"]["in_tree"] = {"tuple": ["*"]}
    assert "in_tree has 1 leaves for 2 inputs" in _load_error(d)
    d = _doc()
    d["graph"]["out_tree"] = {"namedtuple": ["*"]}
    assert "unknown tree kind 'namedtuple'" in _load_error(d)
    d = _doc()
    d["graph"]["nodes"][0]["op"] = "arg"
    assert "open trace" in _load_error(d)


def test_huge_and_impossible_shapes():
    for shape in ([2 ** 70], [2 ** 40, 2 ** 40], [2 ** 63], [1] * 65):
        d = _doc()
        d["graph"]["nodes"][0]["aval"]["shape"] = shape
        msg = _load_error(d)
        assert "graph node 0" in msg and ("elements" in msg or "axes" in msg), msg
    d = _doc()
    const = next(n for n in d["graph"]["nodes"] if n["op"] == "const"
                 and n["aval"]["shape"] != [])
    const["params"]["value"]["array"]["shape"] = [2 ** 70]
    const["aval"]["shape"] = [2 ** 70]
    assert "more elements than any array" in _load_error(d)


def test_two_inputs_with_one_index_are_refused():
    d = _doc()
    nodes = d["graph"]["nodes"]
    first, second = (n for n in nodes if n["op"] == "input")
    second["params"]["index"] = copy.deepcopy(first["params"]["index"])
    second["aval"] = copy.deepcopy(first["aval"])
    assert "twice among its inputs" in _load_error(d)  # interned: one node listed twice
    second["aval"]["shape"] = [1]  # broadcasts like [2]: only the index is wrong
    assert "both have index 0" in _load_error(d)
    d = _doc()
    d["graph"]["inputs"] = d["graph"]["inputs"][:1]
    d["graph"]["in_tree"] = {"tuple": ["*"]}
    assert "is not one of its inputs" in _load_error(d)
    d = _doc()
    d["graph"]["inputs"][0] = d["graph"]["outputs"][0]
    assert "graph inputs must be 'input'" in _load_error(d)


# ---- hypothesis: mutated, truncated and garbage documents never crash the loader

_BIG = st.sampled_from([2 ** 31, 2 ** 63, 2 ** 64, 2 ** 70, -2 ** 70, 10 ** 400])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 300) | _BIG | st.floats(allow_nan=False)
    | st.text(max_size=8) | st.sampled_from(["*", "float64", "int64", "add", "const"]),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
        st.sampled_from(["int", "tuple", "array", "graph", "id", "op", "shape", "dtype",
                         "data", "none", "str", "float", "x"]), kids, max_size=3),
    max_leaves=12,
)

SAMPLE_DOCS = [
    wire.dumps(BASE),
    wire.dumps(wire.trace(lambda xs: wire.scan(lambda c, x: (c * x, c + x), 1.0, xs)[1],
                          np.ones(3))),
    wire.dumps(wire.trace(lambda x: (x[1:, None] + 1, wnp.full((2,), 3, np.int32)),
                          np.ones(3))),
    wire.dumps(wire.trace(lambda d: {"s": wnp.linalg.svd(d["a"])[1], "v": d["b"] @ d["a"]},
                          {"a": np.ones((2, 2)), "b": np.arange(2.0)})),
    wire.dumps(wire.trace(lambda x: wire.cond(x.sum() > 0, lambda v: v * 2.0,
                                              lambda v: v - np.arange(3.0), x), np.ones(3))),
]
# Mutated documents per CI run (``--fuzz`` runs the 'long' profile's count).
LOADER_FUZZ_EXAMPLES = max(settings.default.max_examples, 150)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


def _load_or_wire_error(text):
    try:
        g = wire.loads(text)
    except wire.WireError:
        return None
    assert isinstance(g, wire.Graph)
    return g


@settings(max_examples=LOADER_FUZZ_EXAMPLES)
@given(st.sampled_from(SAMPLE_DOCS), st.data())
def test_fuzz_mutated_documents(text, data):
    doc = json.loads(text)
    deep = None
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        path = data.draw(st.sampled_from(paths[1:]))
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        action = data.draw(st.sampled_from(["replace", "delete", "dup", "deep"]))
        if action == "replace":
            parent[path[-1]] = data.draw(_JSON)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "dup":
            parent[path[-1]] = copy.deepcopy(doc if isinstance(parent, dict) else parent)
        else:  # a value nested deeper than Python's recursion limit
            deep = data.draw(st.sampled_from([900, 5000]))
            parent[path[-1]] = "@@deep@@"
    text = json.dumps(doc)
    if deep:
        text = text.replace('"@@deep@@"', "[" * deep + "0" + "]" * deep, 1)
    _load_or_wire_error(text)


@given(st.sampled_from(SAMPLE_DOCS), st.integers(0, 10**6), st.binary(max_size=20))
def test_fuzz_truncated_and_spliced_text(text, cut, junk):
    cut = cut % (len(text) + 1)
    _load_or_wire_error(text[:cut])
    _load_or_wire_error(text[:cut].encode() + junk + text[cut:].encode())


@given(_JSON)
def test_fuzz_garbage(doc):
    _load_or_wire_error(json.dumps(doc))
    _load_or_wire_error(json.dumps({"format": "wire.graph", "version": 1, "graph": doc}))


# --------------------------------------------------------------------------- pickling


def test_pickle_deep_graph_does_not_recurse():
    def f(x):
        for _ in range(5000):
            x = wnp.sin(x)
        return x

    g = wire.trace(f, np.ones(2))
    g2 = pickle.loads(pickle.dumps(g))
    assert g2 == g


def _worker(g, x):
    import wire as w

    return w.evaluate(g, x)


@pytest.mark.slow
def test_multiprocessing_spawn():
    g = wire.trace(lambda x: wnp.sum(wnp.sin(x) ** 2), np.ones(3))
    gg = wire.trace(wire.grad(lambda x: wnp.sum(wnp.sin(x) ** 2)), np.ones(3))
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        got = pool.starmap(_worker, [(g, np.arange(3.0)), (gg, np.arange(3.0))])
    np.testing.assert_allclose(got[0], np.sum(np.sin(np.arange(3.0)) ** 2))
    np.testing.assert_allclose(got[1], np.sin(2 * np.arange(3.0)))


def test_float_params_keep_the_sign_of_nan_and_inf():
    # a node param that is a NaN of either sign, or an infinity, loads as itself: the sign of a
    # NaN is what np.copysign and np.signbit read (it once loaded as +nan, flipping the result)
    from wire.ops.layout import full

    x0 = np.array([1.0, 2.0])
    for value in (-float("nan"), float("nan"), float("inf"), -float("inf"), -0.0):
        g = wire.trace(lambda x: wnp.copysign(1.0, x * full((2,), value, np.float64)), x0)
        h = _roundtrip(g)
        np.testing.assert_array_equal(wire.evaluate(h, x0), wire.evaluate(g, x0))


def test_complex_params_with_nan_parts_compare_equal_across_traces_and_round_trips():
    # a complex hashes and compares NaN parts by identity: two traces of one function (and a
    # loaded graph) were unequal graphs, so memo caches missed
    from wire.ops.layout import full

    x0 = np.array([1.0, 2.0])
    for value in (complex(float("nan"), 1.0), complex(1.0, -float("nan")),
                  complex(-0.0, float("nan"))):
        def f(x):
            return x * full((2,), value, np.complex128)

        g = wire.trace(f, x0)
        assert wire.trace(f, x0) == g
        _roundtrip(g)



@wire.custom_vjp
def _simplifiable(x):
    return wnp.sin(-(-x)) * 1.0


_simplifiable.defvjp(lambda x: (_simplifiable(x), wnp.cos(x)), lambda c, g: (g * c,))


def test_a_simplified_custom_call_loads_again():
    # simplify replaced a custom call's graph param by its simplified graph but left the
    # rule holding the old one, so wire.loads refused every gradient graph through a custom
    # function whose body simplifies ("its rule does not fit a custom_vjp_call node")
    x = np.array([0.3, 0.7])
    loss = lambda v: wnp.sum(_simplifiable(v) ** 2)  # noqa: E731
    for g in (wire.trace(wire.grad(loss), x),
              wire.trace(wire.vmap(wire.grad(lambda v: _simplifiable(v) ** 2)), x)):
        h = wire.loads(wire.dumps(g))
        np.testing.assert_array_equal(wire.evaluate(h, x), wire.evaluate(g, x))
        np.testing.assert_allclose(wire.evaluate(h, x), 2 * np.sin(x) * np.cos(x), rtol=1e-15)
