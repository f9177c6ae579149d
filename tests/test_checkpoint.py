"""``wire.checkpoint``: values and derivatives equal the plain function's (every policy, with
jit, vmap, scan, grad of grad, closures, pytrees); the recomputation is really there after
simplification and compilation (not merged back into the forward pass), and it waits for the
cotangent."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.api.checkpoint import saved_nodes
from wire.ir import toposort
from wire.transforms.inline import inline_calls

P = wire.checkpoint_policies


def layer2(h, w):
    return wnp.tanh(wnp.tanh(h @ w) @ w)


def loss_with(block, ws, x):
    h = x
    for w in ws:
        h = block(h, w)
    return wnp.sum(h * h)


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    ws = [rng.normal(size=(4, 4)) / 2 for _ in range(3)]
    return ws, rng.normal(size=(5, 4))


POLICIES = [None, P.nothing_saveable, P.dots_saveable, P.everything_saveable,
            P.save_only("tanh"), lambda node: node.aval.shape == (5, 4)]


@pytest.mark.parametrize("policy", POLICIES, ids=["default", "nothing", "dots", "everything",
                                                  "save_only", "predicate"])
def test_gradients_equal_the_plain_function(problem, policy):
    ws, x = problem
    block = wire.checkpoint(layer2, policy=policy)
    want_v, want_g = wire.value_and_grad(lambda w: loss_with(layer2, w, x))(ws)
    for fn in (wire.value_and_grad, lambda f: wire.jit(wire.value_and_grad(f))):
        v, g = fn(lambda w: loss_with(block, w, x))(ws)
        np.testing.assert_allclose(v, want_v, rtol=1e-13)
        for a, b in zip(g, want_g):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_policies_choose_what_is_saved():
    # tanh(tanh(h @ w) @ w): the backward pass reads a = tanh(h @ w) only (the outer tanh's
    # derivative uses the output, the matmuls' their inputs); the policy says whether a is
    # kept, or the matmul it is recomputed from
    g = wire.trace(layer2, np.ones((5, 4)), np.ones((4, 4)))
    names = {None: [], P.nothing_saveable: [], P.dots_saveable: ["matmul"],
             P.save_only("tanh"): ["tanh"], P.everything_saveable: ["tanh"],
             P.save_only("exp"): []}
    for policy, want in names.items():
        assert [n.op.name for n in saved_nodes(g, policy)] == want, policy


def test_the_recomputation_survives_simplify_and_jit(problem):
    ws, x = problem
    block = wire.checkpoint(layer2)
    remat = wire.trace(wire.grad(lambda w: loss_with(block, w, x)), ws)
    plain = wire.trace(wire.grad(lambda w: loss_with(layer2, w, x)), ws)
    barriers = [n for n in remat.nodes if n.op.name == "remat_barrier"]
    assert len(barriers) == 2 * len(ws)  # h and w of every block
    flat = inline_calls(remat)

    def tanhs(g):
        return sum(n.op.name == "tanh" for n in g.nodes)

    # each block's inner tanh runs twice (forward, then again in the backward pass); no
    # recomputation is needed of the outer one, an output of the forward pass
    assert tanhs(flat) == tanhs(plain) + len(ws)
    source = wire.jit(wire.grad(lambda w: loss_with(block, w, x))).lower(ws).source
    plain_source = wire.jit(wire.grad(lambda w: loss_with(layer2, w, x))).lower(ws).source
    assert source.count("tanh(") == plain_source.count("tanh(") + len(ws)


def test_the_recomputation_waits_for_the_cotangent(problem):
    """No forward value of the loss depends on a recomputed node, and every barrier's second
    operand is a cotangent: a value the forward pass cannot compute."""
    ws, x = problem
    block = wire.checkpoint(layer2)
    g = inline_calls(wire.trace(wire.value_and_grad(lambda w: loss_with(block, w, x)), ws))
    value = g.outputs[0]
    forward = set(toposort([value]))
    barriers = [n for n in g.nodes if n.op.name == "remat_barrier"]
    assert barriers and not any(b in forward for b in barriers)
    for b in barriers:
        assert b.inputs[1] not in forward


def test_composes_with_vmap_both_ways(problem):
    ws, x = problem
    block = wire.checkpoint(layer2)
    xs = np.stack([x, 2 * x, -x])

    def per_example(w, xe):
        return loss_with(block, w, xe)

    def plain(w, xe):
        return loss_with(layer2, w, xe)

    got = wire.vmap(wire.grad(per_example), in_axes=(None, 0))(ws, xs)
    want = wire.vmap(wire.grad(plain), in_axes=(None, 0))(ws, xs)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    batched = wire.grad(lambda w: wnp.sum(wire.vmap(per_example, in_axes=(None, 0))(w, xs)))
    for a, b in zip(batched(ws), [sum(t) for t in zip(*[wire.grad(plain)(ws, e) for e in xs])]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_composes_with_scan(problem):
    ws, x = problem
    w = ws[0]

    def run(body):
        def loss(w):
            h, _ = wire.scan(lambda c, _: (body(c, w), None), x, None, length=4)
            return wnp.sum(h * h)
        return loss

    g = wire.grad(run(wire.checkpoint(layer2)))(w)
    np.testing.assert_allclose(g, wire.grad(run(layer2))(w), rtol=1e-12)
    np.testing.assert_allclose(wire.jit(wire.grad(run(wire.checkpoint(layer2))))(w), g,
                               rtol=1e-12)


def test_composes_with_grad_of_grad_and_jvp():
    f = wire.checkpoint(lambda v: wnp.sin(v) * wnp.exp(v))
    plain = lambda v: wnp.sin(v) * wnp.exp(v)  # noqa: E731
    for n in (2, 3):
        a, b = f, plain
        for _ in range(n):
            a, b = (lambda h: wire.grad(lambda v: wnp.sum(h(v))))(a), \
                (lambda h: wire.grad(lambda v: wnp.sum(h(v))))(b)
        assert float(a(0.3)) == pytest.approx(float(b(0.3)), rel=1e-12)
    rng = np.random.default_rng(1)
    w, x, v = rng.normal(size=(4, 4)) / 2, rng.normal(size=(3, 4)), rng.normal(size=(4, 4))
    block = wire.checkpoint(layer2, policy=P.dots_saveable)
    hv = wire.hvp(lambda w: wnp.sum(block(x, w) ** 2))(w, v)
    np.testing.assert_allclose(hv, wire.hvp(lambda w: wnp.sum(layer2(x, w) ** 2))(w, v),
                               rtol=1e-11)
    t = wire.jvp(lambda w: block(x, w), (w,), (v,))[1]
    np.testing.assert_allclose(t, wire.jvp(lambda w: layer2(x, w), (w,), (v,))[1], rtol=1e-12)


def test_closures_pytrees_and_static_arguments(problem):
    ws, x = problem

    def loss(w):
        # the block closes over w (an outer tracer) and takes a pytree
        block = wire.checkpoint(lambda d, k: {"y": wnp.tanh(d["h"] @ w) * k},
                                static_argnums=1)
        return wnp.sum(block({"h": x}, 3)["y"])

    want = wire.grad(lambda w: wnp.sum(wnp.tanh(x @ w) * 3))(ws[0])
    np.testing.assert_allclose(wire.grad(loss)(ws[0]), want, rtol=1e-12)
    # called on concrete values, a checkpointed function is the function
    np.testing.assert_allclose(wire.checkpoint(layer2)(x, ws[0]), layer2(x, ws[0]))


def test_bad_use_raises_clear_errors():
    with pytest.raises(wire.WireError, match="policy"):
        wire.checkpoint(layer2, policy="dots")
    with pytest.raises(wire.WireError, match="function"):
        wire.checkpoint(wire.trace(wnp.sin, 1.0))
