"""A node's reported location is where *this* graph's trace made it (issue 12 item 7).

Nodes are interned: two functions building the same expression on different lines share one
node. Printing, ``debug_nans``, compiled listings, error messages and save/load must still
name each function's own line, through every transform and cache.
"""

import os
import re

import numpy as np
import pytest

import wire
import wire.numpy as wnp

HERE = os.path.basename(__file__)


def model_b(x):
    return wnp.sqrt(x) * 2.0  # LINE_B


def model_a(x):
    return wnp.sqrt(x) * 2.0  # LINE_A


def _line(marker: str) -> str:
    with open(__file__) as f:
        for k, text in enumerate(f, 1):
            if text.rstrip().endswith("# " + marker):
                return f"{HERE}:{k}"
    raise AssertionError(marker)


A, B = _line("LINE_A"), _line("LINE_B")


def _locs_printed(graph) -> set:
    return set(re.findall(r"# (\S+:\d+)", str(graph)))


def test_the_two_models_share_their_nodes():
    gb = wire.trace(model_b, np.ones(2))
    ga = wire.trace(model_a, np.ones(2))
    assert ga == gb and ga.outputs[0] is gb.outputs[0]  # interning stays
    assert _locs_printed(gb) == {B}
    assert _locs_printed(ga) == {A}


@pytest.mark.parametrize("first", ["a", "b"])
def test_debug_nans_names_the_function_that_ran(first):
    models = {"a": model_a, "b": model_b}
    where = {"a": A, "b": B}
    order = [first, "b" if first == "a" else "a"]
    bad = np.array([-1.0, 1.0])
    for name in order:
        f = models[name]
        calls = [(lambda x: wire.evaluate(wire.trace(f, x), x), bad), (wire.jit(f), bad),
                 (wire.grad(lambda x: f(x).sum()), bad),
                 (wire.jit(wire.grad(lambda x: f(x).sum())), bad), (wire.vmap(f), bad[None])]
        for call, arg in calls:
            with wire.debug_nans(), pytest.raises(wire.FloatingPointError) as e:
                call(arg)
            assert where[name] in str(e.value), (name, str(e.value))


def test_derivative_nodes_report_the_line_of_the_op_they_differentiate():
    for f, loc in ((model_b, B), (model_a, A)):
        g = wire.trace(wire.grad(lambda x: f(x).sum()), np.ones(2))
        assert _locs_printed(g) == {loc}
        h = wire.jvp(wire.trace(f, np.ones(2)))
        assert loc in _locs_printed(h)
        v = wire.trace(wire.vmap(f), np.ones((3, 2)))
        assert _locs_printed(v) == {loc}


def test_inlined_graphs_keep_their_lines_in_the_enclosing_trace():
    def outer(x):
        return wire.grad(lambda y: model_a(y).sum())(x) * 3.0  # LINE_OUTER

    printed = _locs_printed(wire.trace(outer, np.ones(2)))
    assert printed == {A, _line("LINE_OUTER")}


def test_compiled_listing_and_save_load_keep_the_lines(tmp_path):
    wire.jit(model_b).lower(np.ones(2))
    src = wire.jit(model_a).lower(np.ones(2)).source
    assert A in src and B not in src
    ga = wire.trace(model_a, np.ones(2))
    wire.trace(model_b, np.ones(2))
    path = tmp_path / "a.json"
    wire.save(ga, path)
    back = wire.load(path)
    assert back == ga and _locs_printed(back) == {A}
    import pickle

    assert _locs_printed(pickle.loads(pickle.dumps(ga))) == {A}


def test_memoized_transforms_do_not_hand_back_another_trace_s_lines():
    # grad's graph memo is keyed by structure: equal graphs traced on other lines must
    # still get their own locations back
    gb = wire.grad(lambda x: model_b(x).sum()).__wire_graph__(
        [wire.Aval((2,), np.float64)], wire.tree.structure((np.ones(2),)))
    ga = wire.grad(lambda x: model_a(x).sum()).__wire_graph__(
        [wire.Aval((2,), np.float64)], wire.tree.structure((np.ones(2),)))
    assert ga == gb
    assert _locs_printed(ga) == {A} and _locs_printed(gb) == {B}


def test_errors_in_transforms_name_this_trace_s_line():
    # out_axes=None for an output that depends on the mapped input: the error names the
    # line of the node, in the function being mapped
    for f, loc in ((model_b, B), (model_a, A)):
        with pytest.raises(wire.WireError) as e:
            wire.vmap(f, out_axes=None)(np.ones((3, 2)))
        assert loc in str(e.value), str(e.value)


# Sub-graphs (a cond's branches, a scan's body) are node params: interning shares them between
# equal control-flow nodes traced at different lines, so the enclosing graph keeps their lines.


def cond_b(x):
    return wire.cond(x[0] > 0, lambda v: wnp.sqrt(v) * 2.0, lambda v: v, x)  # COND_B


def cond_a(x):
    return wire.cond(x[0] > 0, lambda v: wnp.sqrt(v) * 2.0, lambda v: v, x)  # COND_A


def scan_b(x):
    return wire.scan(lambda c, v: (c + wnp.sqrt(v), c), 0.0, x)[0]  # SCAN_B


def scan_a(x):
    return wire.scan(lambda c, v: (c + wnp.sqrt(v), c), 0.0, x)[0]  # SCAN_A


WL = wire.while_loop


def while_b(x):
    return WL(lambda c: c[0] < 2, lambda c: (c[0] + 1, wnp.sqrt(c[1])), (0, x))[1]  # WHILE_B


def while_a(x):
    return WL(lambda c: c[0] < 2, lambda c: (c[0] + 1, wnp.sqrt(c[1])), (0, x))[1]  # WHILE_A


SUB = {"cond_a": (cond_a, "COND_A"), "cond_b": (cond_b, "COND_B"),
       "scan_a": (scan_a, "SCAN_A"), "scan_b": (scan_b, "SCAN_B"),
       "while_a": (while_a, "WHILE_A"), "while_b": (while_b, "WHILE_B")}


@pytest.mark.parametrize("pair", [("cond_a", "cond_b"), ("cond_b", "cond_a"),
                                  ("scan_a", "scan_b"), ("scan_b", "scan_a")])
def test_sub_graphs_report_the_lines_of_the_trace_that_used_them(pair):
    graphs = {}
    for name in pair:
        f, marker = SUB[name]
        graphs[name] = wire.trace(f, np.ones(2))
        assert _locs_printed(graphs[name]) == {_line(marker)}, str(graphs[name])
    assert graphs[pair[0]] == graphs[pair[1]]  # one interned node, one set of sub-graphs
    for name in pair:
        f, marker = SUB[name]
        nan_in_value = np.array([1.0, -1.0])  # sqrt(-1) in the body
        inf_in_grad = np.array([1.0, 0.0])  # sqrt'(0) in the body's derivative
        total = lambda x: f(x).sum()  # noqa: E731
        calls = [(lambda x: wire.evaluate(wire.trace(f, x), x), nan_in_value),
                 (wire.jit(f), nan_in_value), (wire.vmap(f), nan_in_value[None]),
                 (wire.grad(total), inf_in_grad), (wire.jit(wire.grad(total)), inf_in_grad),
                 (lambda x: wire.jvp(f, (x,), (np.ones(2),)), inf_in_grad),
                 (lambda x: wire.linearize(total, x)[1](np.ones(2)), inf_in_grad),
                 (wire.hessian(total), inf_in_grad),
                 (wire.vmap(wire.grad(total)), inf_in_grad[None])]
        for call, arg in calls:
            with wire.debug_nans(), pytest.raises(wire.FloatingPointError) as e:
                call(arg)
            assert _line(marker) in str(e.value), (name, str(e.value))
            other = SUB[pair[1] if name == pair[0] else pair[0]][1]
            assert _line(other) not in str(e.value)


@pytest.mark.parametrize("first", ["cond_a", "cond_b"])
def test_sub_graph_lines_survive_printing_pickling_and_save_load(first):
    import pickle

    second = "cond_b" if first == "cond_a" else "cond_a"
    wire.trace(SUB[first][0], np.ones(2))
    g = wire.trace(SUB[second][0], np.ones(2))  # its cond node is the first one's
    want, other = _line(SUB[second][1]), _line(SUB[first][1])
    for copy in (g, pickle.loads(pickle.dumps(g)), wire.loads(wire.dumps(g)),
                 wire.simplify(g), wire.jvp_graph(g), wire.vjp_graph(g)):
        printed = str(copy)
        assert want in printed and other not in printed, printed


@pytest.mark.parametrize("pair", [("while_a", "while_b"), ("while_b", "while_a")])
def test_while_loop_bodies_report_the_lines_of_the_trace_that_used_them(pair):
    for name in pair:
        f, marker = SUB[name]
        other = SUB[pair[1] if name == pair[0] else pair[0]][1]
        g = wire.trace(f, np.ones(2))
        assert _locs_printed(g) == {_line(marker)}, str(g)
        bad, zero = np.array([1.0, -1.0]), np.array([1.0, 0.0])
        for call, arg in ((wire.jit(f), bad), (wire.vmap(f), bad[None]),
                          (lambda x: wire.jvp(f, (x,), (np.ones(2),)), zero)):
            with wire.debug_nans(), pytest.raises(wire.FloatingPointError) as e:
                call(arg)
            assert _line(marker) in str(e.value) and _line(other) not in str(e.value)


def test_location_key_and_tables_count_only_the_graph_s_own_nodes():
    from wire.ir import Graph, live_locs

    g = wire.trace(lambda x: wnp.sin(x) * 2.0 + 1.0, 1.0)
    (add,) = g.outputs
    dead = wire.trace(lambda x: wnp.cos(x), 1.0).outputs[0]
    padded = g.with_locs({**g.locs, dead: "elsewhere.py:1"})
    assert padded.locs_key == g.with_locs(dict(g.locs)).locs_key  # a dead entry: same key
    moved = g.with_locs({**g.locs, add: "elsewhere.py:2"})
    assert moved.locs_key != g.locs_key  # a live one: another key
    assert dict(live_locs(padded).locs) == dict(g.locs)
    assert live_locs(g) is g
    # simplify's result carries only its own nodes' lines, and keeps reporting them
    s = wire.simplify(Graph(g.inputs, g.outputs, locs=padded.locs))
    assert dead not in s.locs and all(s.loc(n) == g.loc(n) for n in s.nodes if not n.is_leaf)
