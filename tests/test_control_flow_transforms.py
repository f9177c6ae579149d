"""Control flow under transforms: ``vmap`` of scan/fori_loop/cond/switch/while_loop whose
outputs partly do not depend on the batch (every axis choice, against a Python loop), their
higher derivatives, and dtypes kept through ``cond`` (a Python int operand is weakly typed).
"""

import itertools

import numpy as np
import pytest

import wire
import wire.numpy as wnp

RNG = np.random.default_rng(19)


def _scan_counter(x, w):
    # the carry and ys count steps: neither depends on x
    return wire.scan(lambda c, v: (c + 1.0, c), 0.0, x)


def _scan_mixed(x, w):
    def step(c, v):
        n, s = c
        return (n + 1.0, s + v * w), (n * 2.0, s)

    return wire.scan(step, (0.0, 0.0), x)


def _scan_consts_only(x, w):
    # xs unbatched (a constant), the batch enters through a closed-over value only
    return wire.scan(lambda c, v: (c * w + v, w), 1.0, np.arange(3.0))


def _fori_mixed(x, w):
    return wire.fori_loop(0, 3, lambda i, v: (v[0] * 2.0, v[1] + x * i), (1.0, x * w))


def _cond_mixed(x, w):
    return wire.cond(w > 0, lambda a, b: (a * 2.0, b), lambda a, b: (-a, b + 1.0), x, 3.0)


def _cond_batched_pred(x, w):
    return wire.cond(x.sum() > 0, lambda a, b: (a * 2.0, b), lambda a, b: (-a, b), x, 5.0)


def _switch_mixed(x, w):
    branches = [lambda a: (a, 1.0), lambda a: (a * a, 2.0), lambda a: (-a, 3.0)]
    return wire.switch((w > 0).astype(int) + 1, branches, x)


def _while_counter(x, w):
    return wire.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * w + x), (0, x * 0.0))


def _while_batched_pred(x, w):
    return wire.while_loop(lambda c: c[1] < 4.0, lambda c: (c[0] + 1, c[1] + wnp.abs(w) + 0.5),
                           (0, 0.0))


PROGRAMS = [_scan_counter, _scan_mixed, _scan_consts_only, _fori_mixed, _cond_mixed,
            _cond_batched_pred, _switch_mixed, _while_counter, _while_batched_pred]


def _loop(f, xs, ws, in_axes):
    n = xs.shape[in_axes[0]] if in_axes[0] is not None else ws.shape[0]
    outs = []
    for i in range(n):
        x = xs if in_axes[0] is None else np.take(xs, i, axis=in_axes[0])
        w = ws if in_axes[1] is None else ws[i]
        outs.append(f(x, w))
    return wire.tree.map(lambda *v: np.stack(v), *outs)


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("in_axes", [(0, 0), (1, 0), (0, None), (None, 0)], ids=str)
@pytest.mark.parametrize("out_axes", [0, -1], ids=lambda a: f"out{a}")
def test_vmap_of_control_flow_with_outputs_independent_of_the_batch(f, in_axes, out_axes):
    xs = RNG.normal(size=(4, 3)) if in_axes[0] != 1 else RNG.normal(size=(3, 4))
    xs_one = xs if in_axes[0] is not None else xs[0]
    ws = RNG.normal(size=(4,))
    ws_one = ws if in_axes[1] is not None else ws[0]
    expected = _loop(f, xs_one, ws_one, in_axes)
    got = wire.vmap(f, in_axes=in_axes, out_axes=out_axes)(xs_one, ws_one)
    for g, e in zip(wire.tree.leaves(got), wire.tree.leaves(expected)):
        np.testing.assert_allclose(g, np.moveaxis(e, 0, out_axes), rtol=1e-12, atol=1e-14)
    jitted = wire.jit(wire.vmap(f, in_axes=in_axes))(xs_one, ws_one)
    for g, e in zip(wire.tree.leaves(jitted), wire.tree.leaves(expected)):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


def _linear_scan(x):
    return wire.scan(lambda c, a: (c + 2.0 * a, c), 0.0, x)[0]


def _linear_cond(x):
    return wire.cond(True, lambda v: 2.0 * v, lambda v: -v, x)


def _nested_scans(x):
    def outer(c, a):
        return wire.scan(lambda ci, b: (ci * b, None), c, a * x[:2])[0], None

    return wire.scan(outer, 1.0, np.ones((2, 2)))[0]


def _nested_fd(f, x, h=1e-5):
    """Hessian of scalar f by central differences of its gradient."""
    g = wire.grad(f)
    cols = [(g(x + h * e) - g(x - h * e)) / (2 * h) for e in np.eye(x.size)]
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("name,jac", [
    ("jacrev∘jacrev scan", lambda: wire.jacrev(wire.jacrev(_linear_scan))(np.ones(3))),
    ("jacfwd∘jacfwd scan", lambda: wire.jacfwd(wire.jacfwd(_linear_scan))(np.ones(3))),
    ("jacfwd∘jacfwd cond", lambda: wire.jacfwd(wire.jacfwd(_linear_cond))(np.ones(3))),
    ("jacrev∘jacrev cond", lambda: wire.jacrev(wire.jacrev(_linear_cond))(np.ones(3))),
])
def test_second_derivatives_of_linear_control_flow_are_zero(name, jac):
    got = jac()
    assert got.shape in ((3, 3), (3, 3, 3))
    np.testing.assert_array_equal(got, np.zeros(got.shape))


def test_hessian_of_nested_scans():
    x = np.array([1.1, 0.9, 0.5])
    h = wire.hessian(_nested_scans)(x)
    # f = (x0 x1)^2: the closed form
    a, b = x[0], x[1]
    expected = np.array([[2 * b * b, 4 * a * b, 0], [4 * a * b, 2 * a * a, 0], [0, 0, 0]])
    np.testing.assert_allclose(h, expected, rtol=1e-12)
    np.testing.assert_allclose(wire.jacrev(wire.jacrev(_nested_scans))(x), expected, rtol=1e-12)
    np.testing.assert_allclose(_nested_fd(_nested_scans, x), expected, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------- dtypes


def _cond_int_operand(x):
    return wire.cond(x.sum() > 0, lambda a, k: a * 2.0 + k, lambda a, k: a - k, x, 3)


def _switch_int_operand(x):
    return wire.switch(1, [lambda a, k: a * k, lambda a, k: a - k], x, 2)


@pytest.mark.parametrize("f", [_cond_int_operand, _switch_int_operand],
                         ids=lambda f: f.__name__)
def test_a_python_int_operand_keeps_float32(f):
    x = np.array([1.0, -0.5, 2.0], np.float32)
    results = {
        "value": f(x),
        "jit": wire.jit(f)(x),
        "grad": wire.grad(lambda v: f(v).sum())(x),
        "vmap": wire.vmap(f)(np.stack([x, x])),
        "jvp": wire.jvp(f, (x,), (x,))[1],
        "jacrev": wire.jacrev(f)(x),
        "jacfwd": wire.jacfwd(f)(x),
        "hessian": wire.hessian(lambda v: f(v).sum())(x),
    }
    for name, r in results.items():
        assert r.dtype == np.float32, name
    out, pullback = wire.vjp(f, x)
    assert out.dtype == np.float32 and pullback(out)[0].dtype == np.float32
    # jit(vjp) takes the cotangent the function itself returned, and one of another float
    # dtype as the eager pullback does
    via_jit = wire.jit(lambda v, c: wire.vjp(f, v)[1](c))
    np.testing.assert_array_equal(via_jit(x, out)[0], pullback(out)[0])
    np.testing.assert_array_equal(via_jit(x, out.astype(np.float64))[0], pullback(out)[0])


def test_cotangents_and_tangents_are_cast_alike_eagerly_and_under_jit():
    f = lambda v: wnp.sin(v) * 2.0  # noqa: E731
    x = np.array([0.5, 1.0], np.float32)
    _, pullback = wire.vjp(f, x)
    ct = np.array([1.0, 2.0])
    eager = pullback(ct)[0]
    jitted = wire.jit(lambda v, c: wire.vjp(f, v)[1](c))(x, ct)[0]
    assert eager.dtype == jitted.dtype == np.float32
    np.testing.assert_array_equal(eager, jitted)
    with pytest.raises(wire.WireTypeError, match="bool"):
        pullback(np.array([True, False]))
    t = np.array([1.0, 1.0])
    assert wire.jvp(f, (x,), (t,))[1].dtype == np.float32
    np.testing.assert_array_equal(wire.jvp(f, (x,), (t,))[1],
                                  wire.jit(lambda v, s: wire.jvp(f, (v,), (s,))[1])(x, t))
    _, f_jvp = wire.linearize(f, x)
    assert f_jvp(t).dtype == np.float32


def test_every_axis_combination_of_a_scan_in_a_vmap_of_grad():
    def loss(w, xs):
        return wire.scan(lambda c, v: (c * w + v, c), 0.0, xs)[0] ** 2

    ws, xss = RNG.normal(size=(5,)), RNG.normal(size=(5, 4))
    for in_axes in itertools.product([0, None], [0, None]):
        if in_axes == (None, None):
            continue
        w_ = ws if in_axes[0] == 0 else ws[0]
        x_ = xss if in_axes[1] == 0 else xss[0]
        got = wire.vmap(wire.grad(loss), in_axes=in_axes)(w_, x_)
        expected = np.stack([wire.grad(loss)(w_[i] if in_axes[0] == 0 else w_,
                                              x_[i] if in_axes[1] == 0 else x_)
                             for i in range(5)])
        np.testing.assert_allclose(got, expected, rtol=1e-12)
