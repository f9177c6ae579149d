"""A slice bound read from a traced value: known in an eager transform (as in autograd and JAX
without jit), so the slice is taken; under jit, the TracerBoolError that names what to use
instead. It raised a bare WireError in both."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp


def test_an_eager_slice_bound_from_a_traced_value_is_taken():
    x = np.array([1.0, 3.0, 2.0, 5.0])
    # argmax(x[:3]) is 1: x[1:] ** 2 summed, derivative 2x there, 0 before
    g = wire.grad(lambda x: wnp.sum(x[wnp.argmax(x[:3]):] ** 2))(x)
    np.testing.assert_array_equal(g, [0.0, 6.0, 4.0, 10.0])
    g = wire.grad(lambda x: wnp.sum(x[:wnp.argmax(x[:3]) + 2:2] * 3.0))(x)
    np.testing.assert_array_equal(g, [3.0, 0.0, 3.0, 0.0])
    x2 = np.array([4.0, 3.0, 2.0, 5.0])  # the bound moves with the values: another slice
    np.testing.assert_array_equal(
        wire.grad(lambda x: wnp.sum(x[wnp.argmax(x[:3]):] ** 2))(x2), 2 * x2)


def test_a_traced_slice_bound_under_jit_says_what_to_use():
    x = np.array([1.0, 3.0, 2.0, 5.0])
    with pytest.raises(wire.TracerBoolError, match="static_argnums.*test_lead30|test_lead30.*static_argnums"):
        wire.jit(lambda x: wnp.sum(x[:wnp.argmax(x)]))(x)
    with pytest.raises(wire.WireTypeError, match="only integer values"):
        wire.grad(lambda x: wnp.sum(x[:x[1]]))(x)
