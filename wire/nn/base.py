"""The ``Layer`` record shared by every ``wire.nn`` layer, and the input checks layers use.

A layer is a pair ``(init, apply)``:

- ``init(key, in_shape) -> params``: a pyrsistent pytree (``pmap``/``pvector``) of arrays.
  ``in_shape`` is the shape of the input ``x`` that ``apply`` will see, batch axis included;
  the batch size is irrelevant and may be given as ``-1`` or ``None``.
- ``apply(params, x, *, key=None, train=False) -> y``. Layers with state (``BatchNorm``)
  return ``(y, new_params)`` when ``train=True``: the new running statistics come back in a
  new tree, the old one is never touched.

``Layer`` is a tuple subclass, so ``init, apply = wire.nn.Dense(10)`` works; it also carries
``name``, ``out_shape(in_shape)`` and ``stateful`` for the combinators and error messages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from .. import numpy as wnp
from .. import random
from ..errors import ShapeError, WireError, WireTypeError, at, user_location
from ..tracebacks import entry_point

__all__ = ["Layer", "out_shape_of", "check_input", "shape_str", "check_index_range",
           "nan_where_invalid", "known_value"]


class Layer(tuple):
    """An ``(init, apply)`` pair with a ``name``, an ``out_shape`` function and ``stateful``.

    >>> import wire
    >>> layer = wire.nn.Dense(3)
    >>> init, apply = layer
    >>> layer.out_shape((None, 5)), layer.name
    ((None, 3), 'Dense(3)')
    """

    def __new__(cls, init: Callable, apply: Callable, *, name: str,
                out_shape: Callable | None = None, stateful: bool = False):
        # users call init and apply: each is where user code enters wire (wire.tracebacks)
        self = super().__new__(cls, (entry_point(_taking_a_shape(init, name)),
                                     entry_point(apply)))
        self.name = name
        self._out_shape = out_shape
        self.stateful = stateful
        return self

    @property
    def init(self) -> Callable:
        return self[0]

    @property
    def apply(self) -> Callable:
        return self[1]

    def out_shape(self, in_shape):
        """The output shape for input shape ``in_shape`` (batch placeholder kept).

        >>> import wire
        >>> wire.nn.serial(wire.nn.Flatten(), wire.nn.Dense(5)).out_shape((-1, 2, 3))
        (-1, 5)
        """
        if self._out_shape is not None:
            return self._out_shape(in_shape)
        return _probe_out_shape(self, in_shape)

    def __repr__(self) -> str:
        return f"<Layer {self.name}>"


def _taking_a_shape(init, name):
    """``init`` refusing an array where the input's shape belongs (Flax's ``init`` takes the
    input itself; a layer's here takes ``x.shape``): without this check a float array fails
    deep inside, with NumPy's message about converting arrays to Python scalars."""

    @functools.wraps(init)
    def checked(*args, **kwargs):
        if len(args) >= 2:
            in_shape = args[1]
            dtype = getattr(in_shape, "dtype", None)
            if dtype is not None and (np.ndim(in_shape) != 1 or np.dtype(dtype).kind not in "iu"):
                raise WireTypeError(
                    f"{name}: init(key, in_shape) takes the input's shape (x.shape, or a tuple "
                    f"such as (-1, 4) with -1 or None for the batch), not the input: got an "
                    f"array {np.dtype(dtype).name}{list(np.shape(in_shape))}"
                    f"{at(user_location())}")
        return init(*args, **kwargs)

    return checked


def _concrete_shape(shape):
    return tuple(1 if (s is None or s == -1) else int(s) for s in shape)


def _probe_out_shape(layer, in_shape):
    """Output shape found by running ``layer`` once on zeros (for plain user pairs)."""
    params = layer[0](random.key(0), in_shape)
    y = layer[1](params, np.zeros(_concrete_shape(in_shape)))
    if isinstance(y, tuple):
        y = y[0]
    shape = tuple(np.shape(y))
    if in_shape and shape and (in_shape[0] is None or in_shape[0] == -1):
        shape = (in_shape[0],) + shape[1:]
    return shape


def out_shape_of(layer, in_shape):
    """``layer.out_shape(in_shape)``, also for plain ``(init, apply)`` pairs.

    >>> import wire
    >>> out_shape_of(wire.nn.Flatten(), (-1, 2, 3))
    (-1, 6)
    """
    if isinstance(layer, Layer):
        return layer.out_shape(in_shape)
    return _probe_out_shape(layer, in_shape)


def shape_str(spec) -> str:
    """Render an expected shape: ints, and names (strings) for free axes.

    >>> shape_str(("N", 8, 8, 1))
    '(N, 8, 8, 1)'
    """
    return "(" + ", ".join(str(s) for s in spec) + ("," if len(spec) == 1 else "") + ")"


def check_input(name: str, x, expected, *, ndim_at_least: bool = False):
    """Raise ``ShapeError`` naming the layer unless ``x``'s shape matches ``expected``.

    ``expected`` is a tuple of ints (must match) and strings (any size, used as the name of
    the axis in the message). With ``ndim_at_least``, extra leading axes are allowed.

    >>> check_input("Dense(3)", np.zeros((2, 4)), ("...", 4))
    >>> check_input("Dense(3)", np.zeros((2, 5)), ("...", 4))
    Traceback (most recent call last):
    ...
    wire.errors.ShapeError: Dense(3): expected input of shape (..., 4), got (2, 5)...
    """
    shape = getattr(x, "shape", None)
    if shape is None:
        if hasattr(x, "node"):  # a seed-style var of unknown shape: nothing to check
            return
        shape = np.shape(x)
    shape = tuple(shape)
    spec = tuple(expected)
    if spec and spec[0] == "...":
        tail = spec[1:]
        ok = len(shape) >= len(tail) and all(
            isinstance(e, str) or s == e for s, e in zip(shape[len(shape) - len(tail):], tail)
        )
    else:
        ok = (len(shape) >= len(spec) if ndim_at_least else len(shape) == len(spec)) and all(
            isinstance(e, str) or s == e for s, e in zip(shape[len(shape) - len(spec):], spec)
        )
    if not ok:
        raise ShapeError(
            f"{name}: expected input of shape {shape_str(spec)}, got {shape}{at(user_location())}"
        )


def check_in_shape(name: str, in_shape, ndim: int, what: str):
    """At ``init``: the given ``in_shape`` must have ``ndim`` axes (described by ``what``)."""
    if len(tuple(in_shape)) != ndim:
        raise ShapeError(
            f"{name}: init needs an input shape {what}, got {tuple(in_shape)}{at(user_location())}"
        )


def need_key(name: str, key):
    if key is None:
        raise WireError(
            f"{name}: apply(..., train=True) needs a random key (key=wire.random.key(...)); "
            f"pass train=False for evaluation{at(user_location())}"
        )


def known_value(x):
    """The concrete value of ``x`` as an array, or None while it is only known at run time
    (a traced argument under ``jit``). A tracer that carries its value answers with it.

    >>> known_value([1, 2])
    array([1, 2])
    """
    try:
        return np.asarray(x)
    except WireTypeError:  # a tracer without a value refuses np.asarray
        return None


def check_index_range(what: str, values: np.ndarray, n: int, noun: str):
    """Raise ``WireError`` naming the first entry of concrete ``values`` outside ``[0, n)``.

    >>> check_index_range("loss", np.array([0, 3]), 3, "label")
    Traceback (most recent call last):
    ...
    wire.errors.WireError: loss: label 3 at position (1,) is outside [0, 3)...
    """
    bad = (values < 0) | (values >= n)
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        raise WireError(
            f"{what}: {noun} {values[pos]} at position {pos} is outside [0, {n})"
            f"{at(user_location())}. Traced {noun}s cannot be checked; there an out-of-range "
            f"{noun} gives NaN."
        )


def nan_where_invalid(valid, dtype):
    """``1`` where ``valid``, NaN elsewhere, in ``dtype``: multiplying by it makes both a value
    and its derivative NaN where an index was out of range (under tracing, where the index
    cannot be checked)."""
    return wnp.where(valid, np.ones((), dtype), np.full((), np.nan, dtype))
