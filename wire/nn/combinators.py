"""Combinators of ``wire.nn``: build models from layers.

- ``serial(*layers)``: apply in order; params are a ``pvector`` of each layer's params.
- ``parallel(*layers)``: apply the i-th layer to the i-th element of a tuple input.
- ``residual(layer)``: ``x + layer(x)``.

A random ``key`` given to a combinator is split so each child gets its own. If a child is
stateful (``BatchNorm``), the combinator is too: with ``train=True`` it returns
``(y, new_params)`` with every child's new state in place.

>>> import numpy as np, wire
>>> from wire import nn
>>> init, apply = nn.serial(nn.Dense(8), nn.Relu(), nn.Dense(2))
>>> params = init(wire.random.key(0), (-1, 4))
>>> apply(params, np.ones((3, 4))).shape
(3, 2)
"""

from __future__ import annotations

from pyrsistent import pvector

from .. import numpy as wnp
from .. import random
from ..errors import WireError, at, user_location
from .base import Layer, out_shape_of

__all__ = ["serial", "parallel", "residual"]


def _is_stateful(layer) -> bool:
    return bool(getattr(layer, "stateful", False))


def _name(layer) -> str:
    return getattr(layer, "name", "layer")


def _keys(key, n):
    return [None] * n if key is None else list(random.split(key, n))


def _check_params(name, params, n):
    if len(params) != n:
        raise WireError(f"{name}: expected params for {n} layers, got {len(params)}"
                        f"{at(user_location())}")


def serial(*layers) -> Layer:
    """Compose layers left to right.

    >>> from wire import nn
    >>> nn.serial(nn.Dense(8), nn.Relu()).out_shape((None, 3))
    (None, 8)
    """
    layers = tuple(layers)
    stateful = any(_is_stateful(layer) for layer in layers)
    name = "serial(" + ", ".join(_name(layer) for layer in layers) + ")"

    def init(key, in_shape):
        params, shape = [], tuple(in_shape)
        for layer, k in zip(layers, _keys(key, len(layers))):
            params.append(layer[0](k, shape))
            shape = out_shape_of(layer, shape)
        return pvector(params)

    def apply(params, x, *, key=None, train=False):
        _check_params(name, params, len(layers))
        new_params = []
        for layer, p, k in zip(layers, params, _keys(key, len(layers))):
            if train and _is_stateful(layer):
                x, p = layer[1](p, x, key=k, train=True)
            else:
                x = layer[1](p, x, key=k, train=train)
            new_params.append(p)
        if train and stateful:
            return x, pvector(new_params)
        return x

    def out_shape(in_shape):
        shape = tuple(in_shape)
        for layer in layers:
            shape = out_shape_of(layer, shape)
        return shape

    return Layer(init, apply, name=name, out_shape=out_shape, stateful=stateful)


def parallel(*layers) -> Layer:
    """Apply layer ``i`` to element ``i`` of a tuple input; the output is a tuple.

    >>> import numpy as np
    >>> from wire import nn
    >>> init, apply = nn.parallel(nn.Dense(2), nn.Identity())
    >>> p = init(random.key(0), ((None, 3), (None, 5)))
    >>> [y.shape for y in apply(p, (np.ones((1, 3)), np.ones((1, 5))))]
    [(1, 2), (1, 5)]
    """
    layers = tuple(layers)
    stateful = any(_is_stateful(layer) for layer in layers)
    name = "parallel(" + ", ".join(_name(layer) for layer in layers) + ")"

    def init(key, in_shapes):
        if len(in_shapes) != len(layers):
            raise WireError(f"{name}: expected {len(layers)} input shapes, got {len(in_shapes)}"
                            f"{at(user_location())}")
        return pvector([layer[0](k, s) for layer, k, s in
                        zip(layers, _keys(key, len(layers)), in_shapes)])

    def apply(params, xs, *, key=None, train=False):
        _check_params(name, params, len(layers))
        if not isinstance(xs, (tuple, list)) or len(xs) != len(layers):
            raise WireError(f"{name}: expected a tuple of {len(layers)} inputs"
                            f"{at(user_location())}")
        outs, new_params = [], []
        for layer, p, x, k in zip(layers, params, xs, _keys(key, len(layers))):
            if train and _is_stateful(layer):
                y, p = layer[1](p, x, key=k, train=True)
            else:
                y = layer[1](p, x, key=k, train=train)
            outs.append(y)
            new_params.append(p)
        if train and stateful:
            return tuple(outs), pvector(new_params)
        return tuple(outs)

    def out_shape(in_shapes):
        return tuple(out_shape_of(layer, s) for layer, s in zip(layers, in_shapes))

    return Layer(init, apply, name=name, out_shape=out_shape, stateful=stateful)


def residual(layer) -> Layer:
    """``x + layer(x)`` (the layer must keep the shape).

    >>> import numpy as np
    >>> from wire import nn
    >>> init, apply = residual(nn.Dense(3, w_init=nn.initializers.zeros))
    >>> apply(init(random.key(0), (1, 3)), np.ones((1, 3)))
    array([[1., 1., 1.]])
    """
    stateful = _is_stateful(layer)

    def apply(params, x, *, key=None, train=False):
        if train and stateful:
            y, params = layer[1](params, x, key=key, train=True)
            return wnp.add(x, y), params
        return x + layer[1](params, x, key=key, train=train)

    return Layer(layer[0], apply, name=f"residual({_name(layer)})",
                 out_shape=lambda s: out_shape_of(layer, s), stateful=stateful)
