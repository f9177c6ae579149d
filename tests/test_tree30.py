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
