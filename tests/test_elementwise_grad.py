"""``wire.elementwise_grad`` and ``grad`` of single-element outputs, as autograd has them
(issues 12 and 15); autograd itself is the oracle where installed."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

X = np.array([[0.3, -1.2, 2.0], [0.5, 0.0, -0.7]])

FUNCTIONS = {
    "tanh": (wnp.tanh, lambda anp: anp.tanh),
    "square": (lambda x: x ** 2, lambda anp: lambda x: x ** 2),
    "sin*exp": (lambda x: wnp.sin(x) * wnp.exp(x), lambda anp: lambda x: anp.sin(x) * anp.exp(x)),
    "mixing": (lambda x: x * x[::-1], lambda anp: lambda x: x * x[::-1]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_elementwise_grad_matches_autograd(name):
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    ours, theirs = FUNCTIONS[name]
    want = autograd.elementwise_grad(theirs(anp))(X)
    np.testing.assert_allclose(wire.elementwise_grad(ours)(X), want, rtol=1e-13)
    np.testing.assert_allclose(wire.jit(wire.elementwise_grad(ours))(X), want, rtol=1e-13)
    if name != "mixing":  # (mixing reverses the rows: per row it is another function)
        np.testing.assert_allclose(wire.vmap(wire.elementwise_grad(ours))(X), want, rtol=1e-13)
    # it is the gradient of the sum
    np.testing.assert_allclose(wire.grad(lambda x: wnp.sum(ours(x)))(X), want, rtol=1e-13)


def test_elementwise_grad_argnums_graphs_and_errors():
    f = lambda x, y: x * y ** 2  # noqa: E731
    x, y = np.arange(3.0), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(wire.elementwise_grad(f, argnums=1)(x, y), 2 * x * y)
    np.testing.assert_allclose(wire.elementwise_grad(f, argnums=(0, 1))(x, y)[0], y ** 2)
    g = wire.elementwise_grad(wire.trace(wnp.sin, x))
    np.testing.assert_allclose(wire.evaluate(g, x), np.cos(x))
    with pytest.raises(wire.NonDifferentiableError, match="one array"):
        wire.elementwise_grad(lambda x: (x, x))(x)
    with pytest.raises(wire.NonDifferentiableError, match="floating-point"):
        wire.elementwise_grad(lambda x: x > 0)(x)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_grad_of_a_single_element_output(shape):
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    x = np.array([0.5, -1.5, 2.0])
    ours = lambda x: wnp.reshape(wnp.sum(wnp.sin(x) * x), shape)  # noqa: E731
    theirs = lambda x: anp.reshape(anp.sum(anp.sin(x) * x), shape)  # noqa: E731
    want = autograd.grad(theirs)(x)
    np.testing.assert_allclose(wire.grad(ours)(x), want, rtol=1e-14)
    np.testing.assert_allclose(wire.jit(wire.grad(ours))(x), want, rtol=1e-14)
    value, g = wire.value_and_grad(ours)(x)
    assert value.shape == shape
    np.testing.assert_allclose(g, want, rtol=1e-14)
    np.testing.assert_allclose(wire.grad(wire.grad(lambda v: wnp.sum(ours(v))))(0.7),
                               autograd.grad(autograd.grad(lambda v: anp.sum(theirs(v))))(0.7))


def test_grad_still_refuses_several_elements():
    with pytest.raises(wire.NonDifferentiableError, match="one element"):
        wire.grad(lambda x: x * 2)(np.ones(2))
