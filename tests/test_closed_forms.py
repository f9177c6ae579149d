"""Closed-form results that must come out exactly (to 1e-12)."""

import math

import numpy as np
import pytest

import wire
import wire.numpy as wnp

A = np.arange(6.0).reshape(2, 3)
B = np.arange(15.0).reshape(3, 5)
D_A = [[1070, 3445, 5820], [350, 1150, 1950]]
D_B = [[78, 87, 96, 105, 114], [175, 199, 223, 247, 271], [272, 311, 350, 389, 428]]


def test_seed_example_function_style():
    y, (g1, g2) = wire.value_and_grad(lambda x1, x2: x1 * x2 + x1, argnums=(0, 1))(2.0, 3.0)
    assert (y, g1, g2) == (8.0, 4.0, 2.0)


def test_seed_example_node_style():
    x1, x2 = wire.var("x1"), wire.var("x2")
    y = x1 * x2 + x1
    g1, g2 = wire.gradients(y, [x1, x2])
    vals = wire.evaluate([y, g1, g2], {x1: np.array([2.0]), x2: np.array([3.0])})
    np.testing.assert_array_equal(vals, [[8.0], [4.0], [2.0]])


def test_seed_readme_runs_unchanged():
    import wire as gw

    x1 = gw.Variable(name="x1")
    x2 = gw.Variable(name="x2")
    y = x1 * x2 + x1
    grad_x1, grad_x2 = gw.gradients(y, [x1, x2])
    executor = gw.Executor([y, grad_x1, grad_x2])
    x1_val, x2_val = 2 * np.ones(3), 3 * np.ones(3)
    y_val, grad_x1_val, grad_x2_val = executor.run(feed_dict={x1: x1_val, x2: x2_val})
    np.testing.assert_array_equal(y_val, x1_val * x2_val + x1_val)
    np.testing.assert_array_equal(grad_x1_val, x2_val + np.ones_like(x1_val))
    np.testing.assert_array_equal(grad_x2_val, x1_val)


def test_matmul_gradient_and_gradient_of_gradient():
    f = lambda a, b: (a @ b).sum()  # noqa: E731
    np.testing.assert_allclose(wire.grad(f)(A, B), [[10, 35, 60], [10, 35, 60]], atol=1e-12)
    gg = wire.grad(lambda a, b: wire.grad(f)(a, b).sum(), argnums=1)(A, B)
    np.testing.assert_allclose(gg, np.full((3, 5), 2.0), atol=1e-12)


def test_matmul_gradients_node_style_with_unknown_shapes():
    a, b = wire.var("A"), wire.var("B")
    c = a @ b
    (ga,) = wire.gradients(c, [a])
    (gb,) = wire.gradients(ga, [b])
    ga_v, gb_v = wire.evaluate([ga, gb], {a: A, b: B})
    np.testing.assert_allclose(ga_v, [[10, 35, 60], [10, 35, 60]])
    np.testing.assert_allclose(gb_v, np.full((3, 5), 2.0))


def test_backprop_from_two_outputs_function_style():
    def f(a, b):
        c = a @ b
        return c.sum(axis=1).sum() + c.prod(axis=0).sum()

    ga, gb = wire.grad(f, argnums=(0, 1))(A, B)
    np.testing.assert_allclose(ga, D_A, atol=1e-12)
    np.testing.assert_allclose(gb, D_B, atol=1e-12)


def test_backprop_from_two_outputs_node_style():
    a, b = wire.var("A", shape=(2, 3)), wire.var("B", shape=(3, 5))
    c = a @ b
    d, e = c.sum(axis=1), c.prod(axis=0)
    ga, gb = wire.gradients([d, e], [a, b])
    ga_v, gb_v = wire.evaluate([ga, gb], {a: A, b: B})
    np.testing.assert_allclose(ga_v, D_A, atol=1e-12)
    np.testing.assert_allclose(gb_v, D_B, atol=1e-12)


def test_given_output_gradients():
    x = wire.var("x", shape=(3,))
    y = x * x
    (g,) = wire.gradients(y, [x], dys=[np.array([1.0, 2.0, 3.0])])
    np.testing.assert_allclose(wire.evaluate(g, {x: np.array([1.0, 1.0, 2.0])}), [2, 4, 12])


def test_gradient_wrt_itself_and_unrelated():
    x, z = wire.var("x", shape=(2,)), wire.var("z", shape=(2,))
    gx, gz = wire.gradients(x, [x, z])
    vals = wire.evaluate([gx, gz], {x: np.ones(2)})
    np.testing.assert_array_equal(vals[0], np.ones(2))
    np.testing.assert_array_equal(vals[1], np.zeros(2))


def _nth(f, n):
    for _ in range(n):
        f = wire.grad(f)
    return f


@pytest.mark.parametrize("n", range(1, 7))
def test_nth_derivatives(n):
    x = 0.7
    np.testing.assert_allclose(_nth(lambda t: wnp.exp(2 * t), n)(x), 2**n * np.exp(2 * x), rtol=1e-12)
    np.testing.assert_allclose(_nth(wnp.sin, n)(x), np.sin(x + n * np.pi / 2), rtol=1e-12, atol=1e-12)
    expected = math.perm(5, n) * x ** (5 - n) if n <= 5 else 0.0
    np.testing.assert_allclose(_nth(lambda t: t**5, n)(x), expected, rtol=1e-12, atol=1e-12)


def test_third_and_fourth_derivatives_closed_forms():
    x = 0.3
    # d^3/dx^3 tanh = -2 sech^2 (1 - 3 tanh^2)... check via known series values numerically
    t, s2 = np.tanh(x), 1 / np.cosh(x) ** 2
    np.testing.assert_allclose(_nth(wnp.tanh, 3)(x), -2 * s2 * (s2 - 2 * t * t), rtol=1e-12)
    np.testing.assert_allclose(_nth(wnp.log, 4)(x), -6 / x**4, rtol=1e-12)
    np.testing.assert_allclose(_nth(lambda t: 1 / t, 3)(x), -6 / x**4, rtol=1e-12)
    np.testing.assert_allclose(_nth(wnp.exp, 4)(x), np.exp(x), rtol=1e-12)
