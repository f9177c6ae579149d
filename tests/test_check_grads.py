"""``wire.testing.check_grads`` catches a derivative that is off by a small relative error
(a rule with a wrong constant), and passes correct rules of every order."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.testing import check_grads

X = (np.array([0.3, 0.7, -1.2]),)


def _sin_with_jvp_scaled(factor):
    @wire.custom_jvp
    def f(x):
        return wnp.sin(x)

    f.defjvp(lambda p, t: (wnp.sin(p[0]), wnp.cos(p[0]) * t[0] * factor))
    return f


def _sin_with_vjp_scaled(factor):
    @wire.custom_vjp
    def f(x):
        return wnp.sin(x)

    f.defvjp(lambda x: (wnp.sin(x), x), lambda x, g: (g * wnp.cos(x) * factor,))
    return f


@pytest.mark.parametrize("make", [_sin_with_jvp_scaled, _sin_with_vjp_scaled])
@pytest.mark.parametrize("factor", [1.0001, 1.001, 0.99])
def test_a_rule_off_by_a_small_factor_is_caught(make, factor):
    # (at the old tolerances, 1e-5 absolute at values below 1, an error of 1e-4 passed)
    with pytest.raises(AssertionError):
        check_grads(make(factor), X, order=1)


@pytest.mark.parametrize("make", [_sin_with_jvp_scaled, _sin_with_vjp_scaled])
def test_exact_rules_pass(make):
    check_grads(make(1.0), X, order=1)


@pytest.mark.parametrize("f", [
    lambda x: wnp.exp(x).sum(), lambda x: wnp.tanh(x) * x, lambda x: wnp.log1p(x * x),
    lambda x: wnp.sin(x) * wnp.exp(wnp.tanh(x)),
], ids=["exp", "tanh", "log1p", "sin_exp_tanh"])
def test_correct_derivatives_pass_to_third_order(f):
    check_grads(f, X, order=3)
