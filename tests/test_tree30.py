"""Pytrees through the transforms against JAX's behaviour: structures that must not be
confused with one another (namedtuple and dataclass types with the same fields)."""

import collections
import dataclasses

import numpy as np
import pytest

import wire
import wire.numpy as wnp

AB = collections.namedtuple("AB", "a b")
BA = collections.namedtuple("BA", "b a")  # the same fields, declared the other way round


@dataclasses.dataclass
class P:
    a: object
    b: object


@dataclasses.dataclass
class Q:
    a: object
    b: object


def test_vmap_axes_of_another_namedtuple_type_refused():
    # in_axes BA(b=0, a=1) for an AB argument: jax.vmap refuses (a different type); wire
    # matched it by position, mapping a over axis 0 and b over axis 1 (transposed: a silent
    # wrong answer on square arrays)
    x = np.arange(9.0).reshape(3, 3)
    arg = AB(x, 10 * x)
    with pytest.raises(wire.WireError, match="does not match the structure"):
        wire.vmap(lambda t: t.a + t.b, in_axes=(BA(b=0, a=1),))(arg)
    with pytest.raises(wire.WireError, match="does not match the structure"):
        wire.vmap(lambda t: t, out_axes=BA(b=0, a=1))(arg)
    with pytest.raises(wire.WireError, match="does not match the structure"):
        wire.vmap(lambda t: t.a * t.b, in_axes=(Q(a=0, b=1),))(P(x, x))
    # the same type: the fields as named
    got = wire.vmap(lambda t: t.a + t.b, in_axes=(AB(a=1, b=0),))(arg)
    np.testing.assert_array_equal(got, x.T + 10 * x)
    got = wire.vmap(lambda t: t, out_axes=AB(a=1, b=0))(arg)
    np.testing.assert_array_equal(got.a, x.T)
    np.testing.assert_array_equal(got.b, 10 * x)


def _product_rule(rule_type):
    """custom_vjp of t.a * t.b whose bwd returns its cotangent as ``rule_type(a=..., b=...)``."""

    @wire.custom_vjp
    def f(t):
        return t.a * t.b

    def bwd(t, g):
        return (rule_type(a=g * t.b, b=g * t.a),)

    f.defvjp(lambda t: (f(t), t), bwd)
    return f


def _output_rule(rule_type):
    """custom_jvp of t -> AB(2 a, 3 b) whose jvp returns its tangent as ``rule_type``."""

    @wire.custom_jvp
    def f(t):
        return AB(2.0 * t.a, 3.0 * t.b)

    @f.defjvp
    def f_jvp(primals, tangents):
        (t,), (dt,) = primals, tangents
        return f(t), rule_type(a=2.0 * dt.a, b=3.0 * dt.b)

    return f


def test_custom_rules_of_another_namedtuple_type_refused():
    # jax.custom_vjp / custom_jvp refuse a rule's result of another pytree type; wire took
    # BA(b=.., a=..) by position for AB, so the gradients of a and b were swapped: grad of
    # sum(a * b) at AB(a=[1, 2], b=[3, 4]) gave AB(a=[1, 2], b=[3, 4]), not AB([3, 4], [1, 2])
    t = AB(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    loss = lambda f: lambda t: wnp.sum(f(t))  # noqa: E731
    g = wire.grad(loss(_product_rule(AB)))(t)
    np.testing.assert_array_equal(g.a, [3.0, 4.0])
    np.testing.assert_array_equal(g.b, [1.0, 2.0])
    for arg, other in ((t, BA), (P(*t), Q)):  # (dataclasses with the same fields too)
        with pytest.raises(wire.WireError, match="cotangent 0 has structure"):
            wire.grad(loss(_product_rule(other)))(arg)
    # (the jvp's tangent as BA: b's tangent was taken for a's, [3, 3] for [2, 2])
    _, tan = wire.jvp(_output_rule(AB), (t,), (AB(np.ones(2), np.ones(2)),))
    np.testing.assert_array_equal(tan.a, [2.0, 2.0])
    np.testing.assert_array_equal(tan.b, [3.0, 3.0])
    with pytest.raises(wire.WireError, match="tangent output has structure"):
        wire.jvp(_output_rule(BA), (t,), (AB(np.ones(2), np.ones(2)),))
