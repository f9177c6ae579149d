"""L-BFGS in ``wire.optim`` (Optax's ``scale_by_lbfgs`` and ``lbfgs``).

``lbfgs()`` is ``chain(scale_by_lbfgs(), scale(-1), scale_by_zoom_linesearch(20, "one"))``:
the gradient is multiplied by the inverse-Hessian estimate built from the last
``memory_size`` pairs ``(s, y) = (Δparams, Δgrads)`` (Nocedal & Wright's two-loop recursion,
algorithm 7.4), and the line search picks the step. The memory is a ring of stacked arrays
in the state, so a step runs under ``wire.jit``.

>>> import numpy as np, wire
>>> f = lambda x: ((x - np.arange(3.0)) ** 2).sum() + (x ** 4).sum()
>>> opt = wire.optim.lbfgs()
>>> x = np.ones(3); state = opt.init(x)
>>> vg = wire.optim.value_and_grad_from_state(f)
>>> for _ in range(10):
...     v, g = vg(x, state=state)
...     u, state = opt.update(g, state, x, value=v, grad=g, value_fn=f)
...     x = wire.optim.apply_updates(x, u)
>>> np.round(x, 6)
array([0.      , 0.589755, 0.835122])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from ..api import scan  # (the function, not its entry point wire.scan)
from .. import tree as wtree
from ..errors import WireValueError, at, user_location
from .base import GradientTransformation, GradientTransformationExtraArgs, chain, identity
from .linesearch import _value_dtype, scale_by_zoom_linesearch
from .transforms import check_trees, safe_increment, scale, scale_by_learning_rate
from .tree_utils import tree_add_scale, tree_norm, tree_scale, tree_sub, tree_vdot

__all__ = ["ScaleByLBFGSState", "scale_by_lbfgs", "lbfgs"]


class ScaleByLBFGSState(NamedTuple):
    """The step count, the last params and gradients, and the memory: ``memory_size`` stacked
    differences of params and of gradients (a ring, the newest at ``(count - 1) % size``)
    and their weights ``1 / ⟨s, y⟩``.

    >>> import wire
    >>> wire.optim.scale_by_lbfgs(3).init(np.zeros(2)).diff_params_memory.shape
    (3, 2)
    """

    count: Any
    params: Any
    updates: Any
    diff_params_memory: Any
    diff_updates_memory: Any
    weights_memory: Any



def _row(memory, idx):
    return wnp.take(memory, idx, axis=0)


def _precondition(updates, dparams, dupdates, rhos, identity_scale, memory_idx, m):
    """The two-loop recursion (N&W algorithm 7.4) over the ring, oldest pair first."""
    indices = (memory_idx + wnp.arange(m, dtype=np.int32)) % m

    def right(vec, idx):
        dwi = wtree.map(lambda x: _row(x, idx), dparams)
        dui = wtree.map(lambda x: _row(x, idx), dupdates)
        alpha = _row(rhos, idx) * wnp.real(tree_vdot(dwi, vec))
        return _like(tree_add_scale(vec, -alpha, dui), vec), alpha

    vec, alphas = scan(right, updates, indices, reverse=True)
    vec = tree_scale(identity_scale, vec)

    def left(vec, idx_alpha):
        idx, alpha = idx_alpha
        dwi = wtree.map(lambda x: _row(x, idx), dparams)
        dui = wtree.map(lambda x: _row(x, idx), dupdates)
        beta = _row(rhos, idx) * wnp.real(tree_vdot(dui, vec))
        return _like(tree_add_scale(vec, alpha - beta, dwi), vec), beta

    vec, _ = scan(left, vec, (indices, alphas))
    return vec


def _like(tree, other):
    """``tree`` in the dtypes of ``other``, as arrays of its own (a state keeps them: never
    the caller's params or grads, which the caller may write to)."""
    return wtree.map(lambda x, o: wnp.array(x, dtype=o.dtype), tree, other)


def scale_by_lbfgs(memory_size: int = 10, scale_init_precond: bool = True
                   ) -> GradientTransformation:
    """Multiply the gradient by L-BFGS's inverse-Hessian estimate from the last
    ``memory_size`` pairs of differences of params and gradients. The initial estimate is
    ``γ I`` with ``γ = ⟨s, y⟩ / ⟨y, y⟩`` of the newest pair (N&W eq. 7.20), and at the first
    step ``min(1, 1/‖g‖)`` (``1`` with ``scale_init_precond=False``). A pair with
    ``⟨s, y⟩ = 0`` gets weight 0 (it is left out). Needs the params in ``update``.

    >>> import numpy as np
    >>> t = scale_by_lbfgs()
    >>> u, s = t.update(np.array([3.0, 4.0]), t.init(np.zeros(2)), np.zeros(2))
    >>> u                                             # g / |g| at the first step
    array([0.6, 0.8])
    """
    if int(memory_size) != memory_size or memory_size < 1:
        raise WireValueError(f"scale_by_lbfgs: memory_size must be an integer >= 1, got "
                             f"{memory_size!r}{at(user_location())}")
    m = int(memory_size)

    def init(params):
        dt = _value_dtype(params, "scale_by_lbfgs")
        stacked = wtree.map(lambda x: wnp.zeros((m,) + tuple(np.shape(x)),
                                                dtype=wnp.asarray(x).dtype), params)
        zeros = wtree.map(wnp.zeros_like, params)
        return ScaleByLBFGSState(np.zeros((), np.int32), zeros, zeros, stacked, stacked,
                                 np.zeros(m, dt))

    def update(updates, state, params=None):
        if params is None:
            raise WireValueError(f"scale_by_lbfgs: update needs the params (L-BFGS remembers "
                                 f"their differences){at(user_location())}")
        check_trees("scale_by_lbfgs", updates, "updates", params, "params")
        check_trees("scale_by_lbfgs", updates, "updates", state.params, "the state's params")
        dt = np.dtype(state.weights_memory.dtype)
        count = state.count
        memory_idx = count % m
        prev_idx = (count - 1) % m
        started = count > 0
        diff_params = tree_sub(params, state.params)
        diff_updates = tree_sub(updates, state.updates)
        sy = wnp.asarray(wnp.real(tree_vdot(diff_updates, diff_params)), dt)
        weight = wnp.where(sy == 0.0, 0.0, 1.0 / wnp.where(sy == 0.0, 1.0, sy))
        diff_params = wtree.map(lambda x: wnp.where(started, x, wnp.zeros_like(x)), diff_params)
        diff_updates = wtree.map(lambda x: wnp.where(started, x, wnp.zeros_like(x)),
                                 diff_updates)
        weight = wnp.asarray(wnp.where(started, weight, 0.0), dt)
        slot = wnp.arange(m) == prev_idx

        def put(memory, new):
            mask = wnp.reshape(slot, (m,) + (1,) * (wnp.ndim(memory) - 1))
            return wnp.asarray(wnp.where(mask, wnp.expand_dims(new, 0), memory),
                               dtype=memory.dtype)

        dparams = wtree.map(put, state.diff_params_memory, diff_params)
        dupdates = wtree.map(put, state.diff_updates_memory, diff_updates)
        rhos = put(state.weights_memory, weight)
        if scale_init_precond:
            num = wnp.real(tree_vdot(diff_updates, diff_params))
            den = tree_norm(diff_updates, squared=True)
            gamma = wnp.where(den > 0.0, num / wnp.where(den > 0.0, den, 1.0), 1.0)
            norm = tree_norm(updates)
            # (min(1, 1/‖g‖), 1 at ‖g‖ = 0 without dividing by it; NaN stays NaN as in Optax)
            capped = wnp.where(norm == 0.0, 1.0,
                               wnp.minimum(1.0, 1.0 / wnp.where(norm == 0.0, 1.0, norm)))
            identity_scale = wnp.asarray(wnp.where(started, gamma, capped), dt)
        else:
            identity_scale = 1.0
        precond = _precondition(updates, dparams, dupdates, rhos, identity_scale, memory_idx, m)
        new_state = ScaleByLBFGSState(
            wnp.asarray(safe_increment(count), np.int32), _like(params, state.params),
            _like(updates, state.updates), dparams, dupdates, rhos)
        return precond, new_state

    return GradientTransformation(init, update)


def lbfgs(learning_rate=None, memory_size: int = 10, scale_init_precond: bool = True,
          linesearch="zoom") -> GradientTransformationExtraArgs:
    """L-BFGS: :func:`scale_by_lbfgs`, then ``-learning_rate`` (``-1`` by default), then
    ``linesearch`` (by default ``scale_by_zoom_linesearch(20, initial_guess_strategy="one")``;
    ``None`` for none). ``update`` takes ``value=``, ``grad=`` and ``value_fn=`` for the line
    search (see :func:`value_and_grad_from_state` for the loop).

    >>> import numpy as np, wire
    >>> f = lambda x: ((x - 2.0) ** 2).sum()
    >>> opt = lbfgs(); x = np.zeros(2); state = opt.init(x)
    >>> for _ in range(2):
    ...     v, g = wire.value_and_grad(f)(x)
    ...     u, state = opt.update(g, state, x, value=v, grad=g, value_fn=f)
    ...     x = wire.optim.apply_updates(x, u)
    >>> x
    array([2., 2.])
    """
    if isinstance(linesearch, str) and linesearch == "zoom":
        linesearch = scale_by_zoom_linesearch(max_linesearch_steps=20,
                                              initial_guess_strategy="one")
    base_scaling = scale(-1.0) if learning_rate is None else scale_by_learning_rate(
        learning_rate)
    return chain(scale_by_lbfgs(memory_size, scale_init_precond), base_scaling,
                 identity() if linesearch is None else linesearch)
