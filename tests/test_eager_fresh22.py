"""Eager calls return arrays of their own: a loop of no steps, ``wire.checkpoint`` and custom
functions called on NumPy values, and optimizer states never hand back (or keep) the caller's
array, as ``jit``, ``vmap`` and ``cond`` already did — writing to a result must not change an
argument (JAX's arrays are immutable, so it never aliases observably)."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire import optim


def _custom_vjp_identity():
    f = wire.custom_vjp(lambda v: v)
    f.defvjp(lambda v: (v, None), lambda res, g: (g,))
    return f


def _custom_jvp_identity():
    f = wire.custom_jvp(lambda v: v)
    f.defjvp(lambda p, t: (p[0], t[0]))
    return f


def _custom_jvp_pair():
    f = wire.custom_jvp(lambda v: (v, v[:1]))
    f.defjvp(lambda p, t: ((p[0], p[0][:1]), (t[0], t[0][:1])))
    return f


XS = np.arange(6.0).reshape(3, 2)

EAGER = {
    "while_loop, no step": lambda x: wire.while_loop(lambda c: False, lambda c: c, x),
    "while_loop, no step, a pair": lambda x: wire.while_loop(
        lambda c: c[0] < 0, lambda c: (c[0] + 1, c[1]), (0, x)),
    "while_loop, one step, the carry kept": lambda x: wire.while_loop(
        lambda c: c[0] < 1, lambda c: (c[0] + 1, c[1]), (0, x)),
    "fori_loop, no step": lambda x: wire.fori_loop(0, 0, lambda i, c: c, x),
    "fori_loop, traced bounds, no step": lambda x: wire.jit(lambda n: wire.fori_loop(
        0, n, lambda i, c: c, XS[0]))(0),
    "fori_loop, a row of a closed-over array": lambda x: wire.fori_loop(
        0, 2, lambda i, c: XS[1], x),
    "scan, no step": lambda x: wire.scan(lambda c, y: (c, y), x, np.zeros(0)),
    "scan, no step, the same array twice": lambda x: wire.scan(
        lambda c, y: (c, y), (x, x), np.zeros(0)),
    "scan, the carry a slice of xs": lambda x: wire.scan(lambda c, y: (y, y), x, XS),
    "checkpoint of the identity": lambda x: wire.checkpoint(lambda v: v)(x),
    "checkpoint, a pair and a view": lambda x: wire.checkpoint(lambda v: (v, v, v.T))(x),
    "custom_vjp of the identity": lambda x: _custom_vjp_identity()(x),
    "custom_jvp of the identity": lambda x: _custom_jvp_identity()(x),
    "custom_jvp, an output and its view": lambda x: _custom_jvp_pair()(x),
    "cond (was fresh)": lambda x: wire.cond(True, lambda v: (v, v), lambda v: (v, v), x),
}


def _check_own(out, ins):
    leaves = [o for o in wire.tree.leaves(out) if isinstance(o, np.ndarray)]
    assert leaves
    for i, o in enumerate(leaves):
        assert o.flags.writeable
        for a in ins:
            assert o is not a and not np.shares_memory(o, a)
        for p in leaves[i + 1:]:
            assert not np.shares_memory(o, p)


@pytest.mark.parametrize("name", sorted(EAGER))
def test_eager_results_are_the_callers_own(name):
    x = XS[0].copy()
    out = EAGER[name](x)
    _check_own(out, [x, XS])
    for o in wire.tree.leaves(out):
        if isinstance(o, np.ndarray):
            o[...] = -7.0
    np.testing.assert_array_equal(x, XS[0])  # the argument is unchanged
    np.testing.assert_array_equal(XS, np.arange(6.0).reshape(3, 2))


def test_values_are_unchanged():
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(wire.while_loop(lambda c: False, lambda c: c, x), x)
    c, ys = wire.scan(lambda c, y: (c + y, c * y), x, np.zeros((0, 2)))
    np.testing.assert_array_equal(c, x)
    assert ys.shape == (0, 2)
    a, b, t = wire.checkpoint(lambda v: (v, v, v[::-1]))(x)
    np.testing.assert_array_equal(a, x)
    np.testing.assert_array_equal(b, x)
    np.testing.assert_array_equal(t, x[::-1])
    # a result the function made itself is not copied, and non-arrays are left as they are
    made = []
    same = wire.checkpoint(lambda v: made.append(v * 2) or (made[0], 3.0))(x)
    assert same[0] is made[0] and same[1] == 3.0
    # traced calls are unchanged (the gradient of a zero-step loop is the identity)
    np.testing.assert_array_equal(
        wire.grad(lambda v: wnp.sum(wire.scan(lambda c, y: (c * y, y), v, np.zeros(0))[0]))(x),
        np.ones(2))


def test_integer_and_0d_carries():
    i = np.array(3)
    out = wire.while_loop(lambda c: c > 5, lambda c: c + 1, i)
    assert out is not i and out == 3
    out[...] = 0
    assert i == 3


def _states_alias(state, arrays):
    return [p for p, leaf in zip(wire.tree.leaf_paths(wire.tree.flatten(state)[1]),
                                 wire.tree.leaves(state))
            if isinstance(leaf, np.ndarray) and any(np.shares_memory(leaf, a) for a in arrays)]


OPTIMIZERS = {
    "adan": lambda: optim.adan(0.1),
    "optimistic_gradient_descent": lambda: optim.optimistic_gradient_descent(0.1),
    "scale_by_lbfgs": lambda: optim.scale_by_lbfgs(),
    "adam": lambda: optim.adam(0.1),
    "ema": lambda: optim.ema(0.9),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_states_keep_no_caller_array(name):
    """A state lives from step to step: holding the caller's gradient (or params) array, it
    changed when the caller reused that buffer (``g[...] = ...``, ``params -= ...``)."""
    opt = OPTIMIZERS[name]()
    p = np.array([1.0, 3.0, -1.0])
    state = opt.init(p)
    seen = [p]
    for _ in range(2):
        g = 2.0 * (p - 2.0)
        seen.append(g)
        u, state = opt.update(g, state, p)
        assert not _states_alias(state, seen), _states_alias(state, seen)
        assert not _states_alias(u, [p])
        p = optim.apply_updates(p, u)
        seen.append(p)
    # reusing a gradient buffer in place leaves the next step's result unchanged
    g = 2.0 * (p - 2.0)
    u1, s1 = opt.update(g, state, p)
    g2 = g.copy()
    u2, s2 = opt.update(g2, state, p)
    g2[...] = 1e6
    for a, b in zip(wire.tree.leaves(opt.update(g, s1, p)), wire.tree.leaves(
            opt.update(g, s2, p))):
        np.testing.assert_array_equal(a, b)
