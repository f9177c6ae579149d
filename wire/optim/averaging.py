"""Lookahead (Zhang et al., 2019; Optax's ``lookahead``): a fast optimizer takes
``sync_period`` steps, then the slow weights move ``slow_step_size`` of the way towards the
fast ones and the fast weights restart from there.

The params are a :class:`LookaheadParams` pair ``(fast, slow)``; the updates are a pair
too, and ``apply_updates`` applies them to both. Evaluate the loss (and the gradient) at the
fast params; the slow params are the ones to keep.

>>> import numpy as np, wire
>>> loss = lambda w: ((w - 3.0) ** 2).sum()
>>> opt = wire.optim.lookahead(wire.optim.sgd(0.1), sync_period=5, slow_step_size=0.5)
>>> params = wire.optim.LookaheadParams.init_synced(np.zeros(2))
>>> state = opt.init(params)
>>> for _ in range(100):
...     updates, state = opt.update(wire.grad(loss)(params.fast), state, params)
...     params = wire.optim.apply_updates(params, updates)
>>> np.round(params.slow, 2)
array([3., 3.])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from .. import tree as wtree
from ..errors import WireTypeError, WireValueError, at, user_location
from .base import GradientTransformation, check_trees

__all__ = ["LookaheadParams", "LookaheadState", "lookahead"]


class LookaheadState(NamedTuple):
    """The fast optimizer's state and the steps since the last synchronisation.

    >>> import numpy as np, wire
    >>> opt = wire.optim.lookahead(wire.optim.sgd(0.1), 2, 0.5)
    >>> opt.init(wire.optim.LookaheadParams.init_synced(np.zeros(1))).steps_since_sync
    array(0, dtype=int32)
    """

    fast_state: Any
    steps_since_sync: Any


class LookaheadParams(NamedTuple):
    """The fast and the slow params of :func:`lookahead`.

    >>> import numpy as np
    >>> LookaheadParams.init_synced(np.ones(1))
    LookaheadParams(fast=array([1.]), slow=array([1.]))
    """

    fast: Any
    slow: Any

    @classmethod
    def init_synced(cls, params) -> "LookaheadParams":
        """Fast and slow params both ``params``.

        >>> LookaheadParams.init_synced(1.0).slow
        1.0
        """
        return cls(fast=params, slow=params)


def lookahead(fast_optimizer: GradientTransformation, sync_period: int, slow_step_size: float,
              reset_state: bool = False) -> GradientTransformation:
    """Wrap ``fast_optimizer`` in Lookahead: every ``sync_period`` steps the slow params
    become ``slow + slow_step_size · (fast - slow)`` and the fast params the same; with
    ``reset_state`` the fast optimizer's state restarts from ``init`` then. ``update`` needs
    the :class:`LookaheadParams` and returns updates for both.

    >>> import numpy as np, wire
    >>> opt = lookahead(wire.optim.sgd(1.0), sync_period=2, slow_step_size=0.5)
    >>> p = LookaheadParams.init_synced(np.zeros(1)); s = opt.init(p)
    >>> u, s = opt.update(np.array([-1.0]), s, p); p = wire.optim.apply_updates(p, u)
    >>> u, s = opt.update(np.array([-1.0]), s, p); p = wire.optim.apply_updates(p, u)
    >>> p                                     # fast went to 2, both synced half way
    LookaheadParams(fast=array([1.]), slow=array([1.]))
    """
    if isinstance(sync_period, bool) or int(sync_period) != sync_period or sync_period < 1:
        raise WireValueError(f"lookahead: sync_period must be an integer >= 1, got "
                             f"{sync_period!r}{at(user_location())}")
    sync_period = int(sync_period)

    def init(params):
        fast = params.fast if isinstance(params, LookaheadParams) else params
        return LookaheadState(fast_optimizer.init(fast), np.zeros((), np.int32))

    def update(grads, state, params=None):
        if not isinstance(params, LookaheadParams):
            raise WireTypeError(f"lookahead: update needs the params as LookaheadParams(fast, "
                                f"slow), got {type(params).__name__}{at(user_location())}")
        check_trees("lookahead", params.fast, "params.fast", params.slow, "params.slow")
        updates, fast_state = fast_optimizer.update(grads, state.fast_state, params.fast)
        check_trees("lookahead", updates, "updates", params.fast, "params.fast")
        sync_next = state.steps_since_sync == sync_period - 1

        def as_leaf(flag, x):
            return wnp.asarray(flag, dtype=getattr(x, "dtype", None) or np.float64)

        diff = wtree.map(lambda f, u, s: f + u - s, params.fast, updates, params.slow)
        slow = wtree.map(lambda d: slow_step_size * as_leaf(sync_next, d) * d, diff)
        fast = wtree.map(lambda u, d: u - as_leaf(sync_next, d) * (1 - slow_step_size) * d,
                         updates, diff)
        if reset_state:
            fresh = fast_optimizer.init(params.fast)
            fast_state = wtree.map(lambda cur, new: wnp.where(sync_next, new, cur),
                                   fast_state, fresh)
        steps = wnp.asarray((state.steps_since_sync + 1) % sync_period, np.int32)
        return LookaheadParams(fast=fast, slow=slow), LookaheadState(fast_state, steps)

    return GradientTransformation(init, update)
