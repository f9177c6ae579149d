"""Custom rules whose traced dependence hides in an object: a bound method's ``self``, an
instance attribute, a pmap of parameters. The rule must see them under ``jit`` too (they were
missed by closure conversion and reported as a tracer leaked by the user)."""

import numpy as np
import pytest
from pyrsistent import pmap

import wire
import wire.numpy as wnp


class _Scaled:
    def __init__(self, y):
        self.y = y

    def fwd(self, x):
        return wnp.sin(x) * 2.0, wnp.cos(x)

    def bwd(self, c, g):
        return (g * c * self.y,)


def _method_rule(x, y):
    m = _Scaled(y)
    f = wire.custom_vjp(lambda x: wnp.sin(x) * 2.0)
    f.defvjp(m.fwd, m.bwd)
    return f(x)


def _attribute_rule(x, y):
    m = _Scaled(y)
    f = wire.custom_vjp(lambda x: wnp.sin(x) * 2.0)
    f.defvjp(lambda x: (f(x), wnp.cos(x)), lambda c, g: (g * c * m.y,))
    return f(x)


def _pmap_rule(x, y):
    params = pmap({"w": y})
    f = wire.custom_jvp(lambda x: wnp.sin(x) * 2.0)
    f.defjvp(lambda p, t: (f(p[0]), t[0] * wnp.cos(p[0]) * params["w"]))
    return f(x)


@pytest.mark.parametrize("fn", [_method_rule, _attribute_rule, _pmap_rule])
def test_rules_see_tracers_held_in_objects(fn):
    x, y = 0.3, 3.0
    want_dx = np.cos(x) * y  # the rule's derivative, which uses y
    for tr in (lambda f: f, wire.jit):
        np.testing.assert_allclose(tr(wire.grad(fn))(x, y), want_dx, rtol=1e-14)
        # the rule's derivative in x depends on y: d/dy of it is cos(x)
        np.testing.assert_allclose(tr(wire.grad(wire.grad(fn), argnums=1))(x, y), np.cos(x),
                                   rtol=1e-14)
        got = tr(wire.vmap(wire.grad(fn)))(np.full(2, x), np.array([2.0, 3.0]))
        np.testing.assert_allclose(got, np.cos(x) * np.array([2.0, 3.0]), rtol=1e-14)
