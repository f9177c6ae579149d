"""``Partial``: ``functools.partial`` as a pytree (JAX's ``jax.tree_util.Partial``)."""

from __future__ import annotations

import functools

from ..errors import WireTypeError, at, user_location
from .kinds import register

__all__ = ["Partial"]


class Partial(functools.partial):
    """A ``functools.partial`` whose bound arguments are pytree children and whose function
    is static structure, so a function with some of its arguments (arrays, tracers) passes
    through ``wire.jit``, ``vmap``, ``scan`` carries and ``tree.map`` like any pytree
    (``jax.tree_util.Partial``). Two ``Partial`` of the same function have the same
    structure; the function is compared by identity (a new lambda is a new structure).

    >>> import numpy as np, wire
    >>> scale = Partial(lambda a, x: a * x, np.array(2.0))
    >>> wire.tree.leaves(scale)
    [array(2.)]
    >>> float(wire.jit(lambda f, x: f(x))(scale, 3.0))
    6.0
    >>> float(wire.grad(lambda a: wire.jit(lambda f: f(3.0))(Partial(scale.func, a)))(2.0))
    3.0
    """

    def __new__(cls, func, *args, **kwargs):
        if not callable(func):
            raise WireTypeError(f"Partial needs a callable first, got {type(func).__name__}"
                                f"{at(user_location())}")
        return super().__new__(cls, func, *args, **kwargs)


def _flatten(p: Partial):
    return (p.args, p.keywords), p.func


def _unflatten(func, children):
    args, keywords = children
    return Partial(func, *args, **keywords)


register(Partial, _flatten, _unflatten)
