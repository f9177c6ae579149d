"""Transforms composed as users compose them, at the inputs where they went wrong: each test
here failed before its fix (the commit that added it says what the answer was).

Oracles: JAX in float64 where its answer is right, and the closed forms."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp


# --------------------------------------------------------------------------- Python scalars


@pytest.mark.parametrize("transform", [
    lambda f: wire.grad(f),
    lambda f: wire.grad(wire.grad(f)),
    lambda f: wire.grad(wire.grad(wire.grad(f))),
    lambda f: lambda x: wire.value_and_grad(f)(x)[1],
    lambda f: wire.jit(wire.grad(f)),
], ids=["grad", "grad2", "grad3", "value_and_grad", "jit_grad"])
def test_python_float_zero_over_zero_is_nan(transform):
    # d/dx (x / x) = 1/x - x/x² is NaN at 0 (as JAX's): the eager evaluator of a scalar
    # derivative computed 0.0 / 0.0 with Python's operator on a Python float argument and
    # raised ZeroDivisionError
    with np.errstate(all="ignore"):
        g = transform(lambda x: x / x)(0.0)
        assert np.isnan(g)
        assert np.isnan(transform(lambda x: (x - 1.0) / (x - 1.0))(1.0))
