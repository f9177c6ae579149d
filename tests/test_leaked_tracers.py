"""Tracers from a finished trace raise ``wire.UnexpectedTracerError`` (issue 12 item 8), and
graph inputs keep their identity: a custom rule's nested transform never merges the rule's
inputs with its own (the silent wrong answer of issue 12's custom-rule report).

Legitimate closures over *open* traces (nested transforms, custom rules of functions that
close over an enclosing trace's values) keep working, and give the right numbers.
"""

import os

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.core import Tracer
from wire.ir import Aval, Graph, TraceTag, arg_node, input_node

HERE = os.path.basename(__file__)


# --------------------------------------------------------------------------- leaked tracers


def _leak():
    """A list holding a finished trace's argument and a value computed from it."""
    leak = []
    wire.grad(lambda x: (leak.append(x), leak.append(wnp.sin(x) * 3.0), x * 2.0)[2])(1.0)
    return leak


def test_the_issue_example_raises_naming_both_lines():
    leak = []
    wire.grad(lambda x: (leak.append(x), x * 2.0)[1])(1.0)
    made = f"{HERE}:{_lineno() - 1}"
    with pytest.raises(wire.UnexpectedTracerError) as e:
        wire.grad(lambda y: leak[0] * y)(2.0)
    used = f"{HERE}:{_lineno() - 1}"
    msg = str(e.value)
    assert f"traced at {made}" in msg and f"used at {used}" in msg, msg
    assert isinstance(e.value, wire.WireError)


def _lineno():
    import sys

    return sys._getframe(1).f_lineno


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("use", ["grad", "jit", "vmap", "jvp", "evaluate", "argument",
                                 "eager", "scan"])
def test_every_later_use_raises(which, use):
    leak = _leak()
    t = leak[which]
    calls = {
        "grad": lambda: wire.grad(lambda y: t * y)(2.0),
        "jit": lambda: wire.jit(lambda y: t * y)(np.ones(2)),
        "vmap": lambda: wire.vmap(lambda y: t * y)(np.ones(2)),
        "jvp": lambda: wire.jvp(lambda y: t + y, (1.0,), (1.0,)),
        "evaluate": lambda: wire.evaluate(t * 2.0 if which == 0 else t),
        "argument": lambda: wire.grad(lambda y: y * 2.0)(t),
        "eager": lambda: wire.evaluate(wnp.cos(t)),
        "scan": lambda: wire.scan(lambda c, x: (c + t * x, None), 0.0, np.ones(3)),
    }
    with pytest.raises(wire.UnexpectedTracerError) as e:
        calls[use]()
    assert "leaked tracer" in str(e.value) and "traced at" in str(e.value)


def test_a_direct_leak_raises_at_its_first_use_even_outside_a_trace():
    leak = _leak()
    with pytest.raises(wire.UnexpectedTracerError):
        leak[0] + 1.0


def test_nested_transforms_closing_over_open_traces_still_work():
    f = lambda x: x ** 3  # noqa: E731
    assert wire.grad(wire.grad(f))(2.0) == 12.0
    # d/dx [grad_y(x * y**2)](y=x) = d/dx (2 x^2) = 4x
    assert wire.grad(lambda x: wire.grad(lambda y: x * y ** 2)(x))(2.0) == 8.0
    # vmap, jit and control flow inside grad closing over the outer x
    g = wire.grad(lambda x: wire.vmap(lambda v: v * x)(np.arange(3.0)).sum())(2.0)
    assert g == 3.0
    g = wire.grad(lambda x: wire.jit(lambda v: v * x)(np.ones(2)).sum())(2.0)
    assert g == 2.0
    g = wire.grad(lambda x: wire.scan(lambda c, s: (c + s * x, None), 0.0, np.ones(4))[0])(1.0)
    assert g == 4.0
    g = wire.grad(lambda x: wire.cond(x > 0, lambda v: v * x, lambda v: -v, x))(3.0)
    assert g == 6.0
    np.testing.assert_allclose(wire.hessian(lambda x: (x ** 3).sum())(np.ones(2)),
                               6.0 * np.eye(2))


XS = np.linspace(0.1, 1.0, 6)


def _custom_vjp_outer(y):
    @wire.custom_vjp
    def h(x):
        return wnp.sin(x) * y

    h.defvjp(lambda x: (h(x), x), lambda x, g: (10.0 * g * y,))
    return h(XS * y).sum()


def _custom_jvp_outer(y):
    @wire.custom_jvp
    def h(x):
        return wnp.sin(x) * y

    @h.defjvp
    def rule(p, t):
        return h(p[0]), 10.0 * t[0] * y

    return h(XS * y).sum()


@pytest.mark.parametrize("outer", [_custom_vjp_outer, _custom_jvp_outer])
def test_custom_rules_closing_over_an_enclosing_trace_see_its_current_values(outer):
    # the rules run after the trace of `outer` finished; the y they close over stands for the
    # custom call's operand. The rule gives x's derivative (10 y per unit of x = XS y); y's own
    # use in h is differentiated through h (closure conversion, as JAX does):
    # d/dy sum(h(XS * y)) = sum(10 y XS) + sum(sin(XS y))
    want = lambda y: (10.0 * y * XS).sum() + np.sin(XS * y).sum()  # noqa: E731
    assert np.isclose(wire.grad(outer)(2.0), want(2.0))
    assert np.isclose(wire.jit(wire.grad(outer))(2.0), want(2.0))
    np.testing.assert_allclose(wire.vmap(wire.grad(outer))(np.array([2.0, 3.0])),
                               [want(2.0), want(3.0)])
    if outer is _custom_jvp_outer:  # forward mode uses the rule too (custom_vjp's does not)
        assert np.isclose(wire.jvp(outer, (2.0,), (1.0,))[1], want(2.0))
        assert np.isclose(wire.jacfwd(outer)(2.0), want(2.0))
        # second order through the rule: d/dy of want
        assert np.isclose(wire.grad(wire.grad(outer))(2.0),
                          10.0 * XS.sum() + (XS * np.cos(2.0 * XS)).sum())


# --------------------------------------------------------------------------- input identity

X = np.arange(3.0)
W = np.random.default_rng(0).normal(size=(3, 3))
EYE = np.eye(3)


def _nested_vmap(w):
    return wire.vmap(lambda v: w @ v)(EYE)  # row i = w @ e_i: w.T


def _nested_jvp(w):
    return wire.jvp(lambda v: w @ v, (EYE,), (EYE,))[1]  # w


def _nested_vjp(w):
    _, pullback = wire.vjp(lambda v: w @ v, EYE)
    return pullback(EYE)[0]  # w.T


def _nested_linearize(w):
    _, lin = wire.linearize(lambda v: w @ v, EYE)
    return lin(EYE)  # w (linearize runs partial evaluation)


@pytest.mark.parametrize("nested", [_nested_vmap, _nested_jvp, _nested_vjp, _nested_linearize])
def test_a_custom_rule_s_nested_transform_keeps_the_rule_s_inputs_apart(nested):
    # The rule's W, its tangent and the nested transform's own inputs are all f64[3,3]: with
    # equal indices they used to be one interned node, and the rule computed with EYE or the
    # tangent instead of W.
    @wire.custom_jvp
    def f(w):
        return w @ X

    @f.defjvp
    def rule(p, t):
        (w,), (tw,) = p, t
        return f(w), nested(w) @ X + tw @ X

    want_m = nested(W)  # concrete: no transform is running, nothing to merge
    tangent = np.random.default_rng(1).normal(size=(3, 3))
    got = wire.jvp(f, (W,), (tangent,))[1]
    np.testing.assert_allclose(got, want_m @ X + tangent @ X, rtol=1e-12)


def test_the_reported_reproduction():
    @wire.custom_jvp
    def f(w):
        return w @ X

    @f.defjvp
    def r(p, t):
        w = p[0]
        m = wire.vmap(lambda v: w @ v)(np.eye(3))  # m = w.T, so m.T @ X = w @ X
        return f(w), m.T @ X

    np.testing.assert_allclose(wire.jvp(f, (W,), (np.zeros((3, 3)),))[1], W @ X, rtol=1e-12)


def test_custom_vjp_rules_nested_transform_keeps_the_inputs_apart():
    @wire.custom_vjp
    def f(w):
        return w @ X

    f.defvjp(lambda w: (f(w), w), lambda w, g: (wnp.outer(g, X) + _nested_jvp(w) * 0.0
                                                + wnp.outer(_nested_vmap(w)[0], X),))
    got = wire.grad(lambda w: f(w).sum())(W)
    np.testing.assert_allclose(got, np.outer(np.ones(3), X) + np.outer(W.T[0], X), rtol=1e-12)


def _foreign_graph(index: int, shape: tuple):
    """A graph over its own argument ``a`` (f64[3]) that also uses ``input(index)`` of another
    graph, of ``shape``: the index and aval a transform would give one of its new inputs."""
    own = arg_node(0, Aval((3,), np.float64), TraceTag())
    foreign = input_node(index, Aval(shape, np.float64))
    out = (Tracer(own) * Tracer(foreign)).node
    return Graph([own], [out]), foreign


# each site, and the foreign input its first new input would be equal to
SITES = {
    "vmap": (0, (2, 3)),  # the batched argument: input(0) of f64[2,3]
    "jvp": (1, (3,)),  # the tangent of the argument: input(1) of f64[3]
    "vjp": (1, (3,)),  # the cotangent of the output: input(1) of f64[3]
    "partial_eval": (0, (3,)),  # the known graph's first input: input(0) of f64[3]
}


@pytest.mark.parametrize("site", sorted(SITES))
def test_derived_graphs_never_take_another_graph_s_input_as_their_own(site):
    g, foreign = _foreign_graph(*SITES[site])
    if site == "vmap":
        d = wire.vmap_graph(g, axis_size=2)
    elif site == "jvp":
        d = wire.jvp_graph(g, simplify=False)
    elif site == "vjp":
        d = wire.vjp_graph(g, simplify=False)
    else:
        from wire.transforms.partial_eval import partial_eval

        d = partial_eval(wire.jvp_graph(g, simplify=False), [True, False]).known
    assert foreign not in d.inputs  # interning would have made them one node
    assert foreign in d.free_vars  # still the other graph's value
    # plug values in: the other graph's input stays a value of its own
    other = np.arange(1.0, 1.0 + np.prod(foreign.aval.shape)).reshape(foreign.aval.shape)
    own = np.array([2.0, 3.0, 5.0])
    args = {"vmap": [np.stack([own, own])], "jvp": [own, np.ones(3)],
            "vjp": [own, np.ones(3)], "partial_eval": [own]}[site]
    closed = Graph(list(d.inputs) + [foreign], d.outputs)
    from wire.core.evaluate import evaluate_flat

    outs = evaluate_flat(closed, args + [other])
    want = {"vmap": np.stack([own * other, own * other]), "jvp": np.ones(3) * other,
            "vjp": np.ones(3) * other, "partial_eval": own * other}[site]
    np.testing.assert_allclose(outs[-1] if site != "partial_eval" else outs[0], want)


def test_a_rule_closing_over_its_inputs_only_in_a_nested_rule():
    # The outer rule's w reaches the nested transform only through the inner rule's Python
    # closure (f2 itself does not use it), so no graph shows the closure: the outer rule's
    # inputs must be unique to its call for jvp(f2) not to take w for f2's own input.
    @wire.custom_jvp
    def g(w):
        return w @ X

    @g.defjvp
    def rule(p, t):
        w, tw = p[0], t[0]

        @wire.custom_jvp
        def f2(v):
            return v * 1.0

        @f2.defjvp
        def r2(pp, tt):
            return f2(pp[0]), w @ tt[0]

        _, m = wire.jvp(f2, (EYE,), (EYE,))  # w @ EYE = w
        return g(w), m @ X + tw @ X

    tangent = np.random.default_rng(2).normal(size=(3, 3))
    np.testing.assert_allclose(wire.jvp(g, (W,), (tangent,))[1], W @ X + tangent @ X,
                               rtol=1e-12)
