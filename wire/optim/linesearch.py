"""Line searches of ``wire.optim`` (Optax's): ``scale_by_backtracking_linesearch`` (Armijo's
sufficient decrease), ``scale_by_zoom_linesearch`` (the strong Wolfe conditions, Nocedal &
Wright's algorithms 3.5 and 3.6) and ``value_and_grad_from_state``.

A line search is a :class:`GradientTransformationExtraArgs`: its ``update`` takes the loss
``value`` and ``grad`` at the params and the function ``value_fn`` itself, and scales the
incoming direction by the step it finds. The search is one ``wire.while_loop``, so a whole
step runs under ``wire.jit``; each trial step evaluates ``value_fn`` once (with its gradient
for the zoom search). The value and gradient at the accepted step stay in the state, where
``value_and_grad_from_state`` finds them for the next step.

>>> import numpy as np, wire
>>> f = lambda x: ((x - 1.0) ** 2).sum()
>>> opt = wire.optim.chain(wire.optim.sgd(1.0), wire.optim.scale_by_zoom_linesearch(10))
>>> x = np.zeros(2); state = opt.init(x)
>>> v, g = wire.value_and_grad(f)(x)
>>> u, state = opt.update(g, state, x, value=v, grad=g, value_fn=f)
>>> wire.optim.apply_updates(x, u)
array([1., 1.])
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from ..api import cond as wire_cond, value_and_grad, while_loop  # (not their entry points)
from .. import tree as wtree
from ..errors import WireError, WireTypeError, WireValueError, at, user_location
from .base import GradientTransformationExtraArgs, check_trees
from .transforms import safe_increment
from .tree_utils import tree_add_scale, tree_get, tree_scale, tree_vdot, tree_zeros_like

__all__ = ["BacktrackingLinesearchInfo", "ScaleByBacktrackingLinesearchState",
           "scale_by_backtracking_linesearch", "ZoomLinesearchInfo", "ZoomLinesearchState",
           "ScaleByZoomLinesearchState", "scale_by_zoom_linesearch", "zoom_linesearch",
           "value_and_grad_from_state"]



def _value_dtype(params, what):
    leaves = wtree.leaves(params)
    if not leaves:
        raise WireValueError(f"{what}: the params have no leaves; a line search needs at "
                             f"least one array{at(user_location())}")
    dt = np.dtype(getattr(leaves[0], "dtype", None) or np.asarray(leaves[0]).dtype)
    if dt.kind == "c":
        return np.finfo(dt).dtype
    if dt.kind != "f":
        raise WireTypeError(f"{what}: params must be floating point, got dtype {dt}"
                            f"{at(user_location())}")
    return dt


def _scalar(x, dt):
    return wnp.asarray(x, dtype=dt)


def _count0():
    return np.zeros((), dtype=np.int32)


def _extract_fn_kwargs(what, fn, extra_args: dict) -> dict:
    """The extra arguments ``fn`` takes by name; any other is an error (Optax's rule)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}
    names = set(params)
    kw = {k: v for k, v in extra_args.items() if k in names}
    rest = sorted(k for k in extra_args if k not in names)
    if rest:
        raise WireTypeError(f"{what}: unexpected keyword arguments {rest}: value_fn does not "
                            f"take them{at(user_location())}")
    return kw


def _check_extra(what, updates, params, value, grad, value_fn):
    missing = [k for k, v in (("value", value), ("grad", grad), ("value_fn", value_fn))
               if v is None]
    if missing:
        raise WireTypeError(f"{what}: update needs the keyword arguments value= (the loss at "
                            f"the params), grad= (its gradient) and value_fn= (the loss "
                            f"function); missing {missing}{at(user_location())}")
    if params is None:
        raise WireValueError(f"{what}: update needs the params (the line search evaluates "
                             f"value_fn along the direction from them){at(user_location())}")
    if not callable(value_fn):
        raise WireTypeError(f"{what}: value_fn must be a function of the params, got "
                            f"{type(value_fn).__name__}{at(user_location())}")
    check_trees(what, updates, "updates", params, "params")
    check_trees(what, grad, "grad", params, "params")
    shape = tuple(getattr(value, "shape", np.shape(value)))
    if shape != ():
        raise WireValueError(f"{what}: value must be a scalar (the loss at the params), got "
                             f"shape {shape}{at(user_location())}")


def _real_vdot(a, b):
    return wnp.real(tree_vdot(a, b))


# --------------------------------------------------------------------------- backtracking


class BacktrackingLinesearchInfo(NamedTuple):
    """What the last backtracking search did: its trial count and the final decrease error
    (0 when the Armijo condition held).

    >>> BacktrackingLinesearchInfo(np.int32(2), np.float64(0.0)).num_linesearch_steps
    np.int32(2)
    """

    num_linesearch_steps: Any
    decrease_error: Any


class ScaleByBacktrackingLinesearchState(NamedTuple):
    """The step taken last, the value (and, with ``store_grad``, the gradient) there.

    >>> import wire
    >>> wire.optim.scale_by_backtracking_linesearch(5).init(np.zeros(1)).learning_rate
    array(1.)
    """

    learning_rate: Any
    value: Any
    grad: Any
    info: BacktrackingLinesearchInfo


class _BacktrackingSearch(NamedTuple):
    learning_rate: Any
    new_value: Any
    new_grad: Any
    decrease_error: Any
    iter_num: Any


def scale_by_backtracking_linesearch(
        max_backtracking_steps: int, slope_rtol: float = 1e-4, decrease_factor: float = 0.8,
        increase_factor: float = 1.5, max_learning_rate: float = 1.0, atol: float = 0.0,
        rtol: float = 0.0, store_grad: bool = False, verbose: bool = False
) -> GradientTransformationExtraArgs:
    """Scale the direction ``u`` by the largest ``η`` tried that gives Armijo's sufficient
    decrease ``f(x + η u) ≤ (1 + rtol) f(x) + η · slope_rtol · ⟨u, ∇f(x)⟩ + atol``.

    The first trial is ``min(increase_factor · η_prev, max_learning_rate)``; each failure
    multiplies ``η`` by ``decrease_factor``, for at most ``max_backtracking_steps`` trials.
    When none gives the decrease the last ``η`` is taken all the same, unless ``f`` was NaN
    or infinite there: then the step is 0 (the params stay put). ``update`` takes
    ``value=f(x)``, ``grad=∇f(x)`` and ``value_fn=f``; other keyword arguments go to
    ``value_fn``. With ``store_grad`` the gradient at the new params is kept in the state
    (for :func:`value_and_grad_from_state`). ``verbose`` is accepted and ignored.

    >>> import numpy as np, wire
    >>> f = lambda x: (x ** 2).sum()
    >>> opt = wire.optim.chain(wire.optim.sgd(1.0),
    ...                        wire.optim.scale_by_backtracking_linesearch(15))
    >>> x = np.array([1.0]); s = opt.init(x)
    >>> v, g = wire.value_and_grad(f)(x)
    >>> u, s = opt.update(g, s, x, value=v, grad=g, value_fn=f)
    >>> float(f(x + u)) < float(v)
    True
    """
    what = "scale_by_backtracking_linesearch"
    if int(max_backtracking_steps) < 0:
        raise WireValueError(f"{what}: max_backtracking_steps must be >= 0, got "
                             f"{max_backtracking_steps}{at(user_location())}")

    def init(params):
        dt = _value_dtype(params, what)
        return ScaleByBacktrackingLinesearchState(
            learning_rate=np.asarray(1.0, dt), value=np.asarray(np.inf, dt),
            grad=tree_zeros_like(params) if store_grad else None,
            info=BacktrackingLinesearchInfo(_count0(), np.asarray(np.inf, dt)))

    def update(updates, state, params=None, *, value=None, grad=None, value_fn=None,
               **extra_args):
        _check_extra(what, updates, params, value, grad, value_fn)
        fn_kwargs = _extract_fn_kwargs(what, value_fn, extra_args)
        dt = np.dtype(state.value.dtype)
        value = _scalar(value, dt)
        slope = _scalar(_real_vdot(updates, grad), dt)
        fn = functools.partial(value_fn, **fn_kwargs)

        def decrease_error(stepsize, new_value):
            err = new_value - (1.0 + rtol) * value - stepsize * slope_rtol * slope
            err = wnp.where(wnp.isnan(err), np.inf, err)
            return wnp.maximum(err, 0.0)

        def cond_fn(s):
            return wnp.logical_and(~(s.decrease_error <= atol),
                                   s.iter_num <= max_backtracking_steps)

        def body_fn(s):
            lr = wnp.where(s.iter_num > 0, decrease_factor * s.learning_rate, s.learning_rate)
            new_params = tree_add_scale(params, lr, updates)
            if store_grad:
                new_value, g = value_and_grad(fn)(new_params)
                err = decrease_error(lr, new_value)
                keep = wnp.logical_or(err <= atol, s.iter_num == max_backtracking_steps)
                new_grad = wtree.map(lambda a, b: wnp.where(keep, a, b), g, s.new_grad)
            else:
                new_value = fn(new_params)
                err = decrease_error(lr, new_value)
                new_grad = s.new_grad
            return _BacktrackingSearch(
                _scalar(lr, dt), _scalar(new_value, dt),
                wtree.map(lambda a, b: wnp.asarray(a, dtype=b.dtype), new_grad, s.new_grad),
                _scalar(err, dt), wnp.asarray(s.iter_num + 1, np.int32))

        lr0 = wnp.minimum(increase_factor * state.learning_rate, max_learning_rate)
        search = _BacktrackingSearch(_scalar(lr0, dt), value, tree_zeros_like(params),
                                     np.asarray(np.inf, dt), _count0())
        search = while_loop(cond_fn, body_fn, search)
        new_lr = _scalar(wnp.where(wnp.isinf(search.decrease_error), 0.0,
                                   search.learning_rate), dt)
        info = BacktrackingLinesearchInfo(search.iter_num, search.decrease_error)
        new_state = ScaleByBacktrackingLinesearchState(
            new_lr, search.new_value, search.new_grad if store_grad else None, info)
        return tree_scale(new_lr, updates), new_state

    return GradientTransformationExtraArgs(init, update)


# --------------------------------------------------------------------------- zoom


class ZoomLinesearchState(NamedTuple):
    """The state of one zoom line search (Optax's fields), carried by its ``while_loop``.

    >>> "safe_stepsize" in ZoomLinesearchState._fields
    True
    """

    count: Any
    params: Any
    updates: Any
    stepsize_guess: Any
    stepsize: Any
    value: Any
    grad: Any
    slope: Any
    value_init: Any
    slope_init: Any
    decrease_error: Any
    curvature_error: Any
    error: Any
    interval_found: Any
    done: Any
    failed: Any
    low: Any
    value_low: Any
    slope_low: Any
    high: Any
    value_high: Any
    slope_high: Any
    cubic_ref: Any
    value_cubic_ref: Any
    safe_stepsize: Any
    safe_value: Any
    safe_grad: Any


def _where(c, a, b):
    """``where`` over matching lists of scalars/trees."""
    return [wtree.map(lambda x, y: wnp.where(c, x, y), p, q) for p, q in zip(a, b)]


def _cubicmin(a, fa, fpa, b, fb, c, fc):
    """The minimizer of the cubic through ``(a, fa)`` with slope ``fpa`` at ``a``, ``(b, fb)``
    and ``(c, fc)``, and whether it exists (Optax's and SciPy's formula; where Optax divides by
    zero or takes the root of a negative number its NaN is the "does not exist" here)."""
    C = fpa
    db = b - a
    dc = c - a
    denom = (db * dc) ** 2 * (db - dc)
    ok = denom != 0
    den = wnp.where(ok, denom, 1.0)
    v1 = fb - fa - C * db
    v2 = fc - fa - C * dc
    A = (dc ** 2 * v1 + -db ** 2 * v2) / den
    B = (-dc ** 3 * v1 + db ** 3 * v2) / den
    radical = B * B - 3.0 * A * C
    ok = ok & (A != 0) & (radical >= 0)
    xmin = a + (-B + wnp.sqrt(wnp.where(ok, radical, 0.0))) / (3.0 * wnp.where(ok, A, 1.0))
    return xmin, ok


def _quadmin(a, fa, fpa, b, fb):
    """The minimizer of the quadratic through ``(a, fa)`` with slope ``fpa`` there and
    ``(b, fb)``, and whether it exists (``B ≠ 0``)."""
    D = fa
    C = fpa
    db = b - a
    db2 = db ** 2
    ok = db2 != 0
    B = (fb - D - C * db) / wnp.where(ok, db2, 1.0)
    ok = ok & (B != 0)
    xmin = a - C / (2.0 * wnp.where(ok, B, 1.0))
    return xmin, ok


def zoom_linesearch(max_linesearch_steps: int, max_stepsize=None, tol: float = 0.0,
                    increase_factor: float = 2.0, slope_rtol: float = 1e-4,
                    curv_rtol: float = 0.9, approx_dec_rtol: float | None = 1e-6,
                    interval_threshold: float = 1e-5, verbose: bool = False):
    """The pieces of the zoom line search, ``(init, step, cond)`` (Optax's): run
    ``state = step(state, value_and_grad_fn=..., fn_kwargs=...)`` while ``cond(state)``.
    :func:`scale_by_zoom_linesearch` is the transformation made of them.

    >>> import numpy as np, wire
    >>> init, step, cond = zoom_linesearch(10)
    >>> f = lambda x: ((x - 2.0) ** 2).sum()
    >>> x = np.zeros(1); v, g = wire.value_and_grad(f)(x)
    >>> s = init(-g, x, value=v, grad=g)
    >>> while cond(s):
    ...     s = step(s, value_and_grad_fn=wire.value_and_grad(f), fn_kwargs={})
    >>> float(s.stepsize)
    0.5
    """

    def on_line(value_and_grad_fn, params, stepsize, updates, fn_kwargs):
        step = tree_add_scale(params, stepsize, updates)
        value_step, grad_step = value_and_grad_fn(step, **fn_kwargs)
        return value_step, grad_step, _real_vdot(grad_step, updates)

    def dec_error(stepsize, value_step, slope_step, value_init, slope_init):
        err = value_step - value_init - slope_rtol * stepsize * slope_init
        if approx_dec_rtol is not None:
            # the approximate Wolfe condition of Hager & Zhang
            approx = slope_step - (2 * slope_rtol - 1.0) * slope_init
            delta = value_step - value_init - approx_dec_rtol * wnp.abs(value_init)
            err = wnp.minimum(wnp.maximum(approx, delta), err)
        err = wnp.maximum(err, 0.0)
        return wnp.where(wnp.isnan(err), np.inf, err)

    def curv_error(slope_step, slope_init):
        err = wnp.maximum(wnp.abs(slope_step) - curv_rtol * wnp.abs(slope_init), 0.0)
        return wnp.where(wnp.isnan(err), np.inf, err)

    def init(updates, params, *, value, grad, prev_stepsize=1.0,
             initial_guess_strategy: str = "one"):
        dt = _value_dtype(params, "zoom_linesearch")
        if initial_guess_strategy == "one":
            guess = np.asarray(1.0, dt)
        elif initial_guess_strategy == "keep":
            guess = _scalar(prev_stepsize, dt)
        else:
            raise WireValueError(f"zoom_linesearch: initial_guess_strategy must be 'one' or "
                                 f"'keep', got {initial_guess_strategy!r}{at(user_location())}")
        value = _scalar(value, dt)
        slope = _scalar(_real_vdot(updates, grad), dt)
        zero, inf = np.asarray(0.0, dt), np.asarray(np.inf, dt)
        false = np.asarray(False)
        return ZoomLinesearchState(
            count=_count0(), params=params, updates=updates, stepsize_guess=guess,
            stepsize=zero, value=value, grad=grad, slope=slope, value_init=value,
            slope_init=slope, decrease_error=inf, curvature_error=inf, error=inf,
            interval_found=false, done=false, failed=false, low=zero, value_low=value,
            slope_low=slope, high=zero, value_high=value, slope_high=slope, cubic_ref=zero,
            value_cubic_ref=value, safe_stepsize=zero, safe_value=value, safe_grad=grad)

    def step(state, *, value_and_grad_fn, fn_kwargs):
        s = state
        dt = np.dtype(s.stepsize.dtype)
        it = s.count
        # ---- the trial step of either phase: Optax branches with a cond and evaluates the
        # function in each branch; both branches are computed here and one is selected, so
        # the function is traced once per search.
        # (a) searching an interval (N&W algorithm 3.5): grow the step
        new_stepsize = wnp.where(it == 0, s.stepsize_guess, increase_factor * s.stepsize)
        if max_stepsize is not None:
            max_reached = new_stepsize >= max_stepsize
            new_stepsize = wnp.minimum(new_stepsize, max_stepsize)
        else:
            max_reached = np.asarray(False)
        # (b) zooming into [low, high] (N&W algorithm 3.6): cubic, quadratic or bisection
        low, high = s.low, s.high
        delta = wnp.abs(high - low)
        left, right = wnp.minimum(high, low), wnp.maximum(high, low)
        cubic_chk, quad_chk = 0.2 * delta, 0.1 * delta
        too_small_int = delta <= interval_threshold
        mid_cubic, cubic_ok = _cubicmin(low, s.value_low, s.slope_low, high, s.value_high,
                                        s.cubic_ref, s.value_cubic_ref)
        use_cubic = cubic_ok & (mid_cubic > left + cubic_chk) & (mid_cubic < right - cubic_chk)
        mid_quad, quad_ok = _quadmin(low, s.value_low, s.slope_low, high, s.value_high)
        use_quad = ~use_cubic & quad_ok & (mid_quad > left + quad_chk) & (
            mid_quad < right - quad_chk)
        middle = wnp.where(use_cubic, mid_cubic, (low + high) / 2.0)
        middle = wnp.where(use_quad, mid_quad, middle)
        zooming = s.interval_found
        t = _scalar(wnp.where(zooming, middle, new_stepsize), dt)
        v, g, sl = on_line(value_and_grad_fn, s.params, t, s.updates, fn_kwargs)
        v, sl = _scalar(v, dt), _scalar(sl, dt)
        g = wtree.map(lambda a, b: wnp.asarray(a, dtype=b.dtype), g, s.grad)
        d_err = dec_error(t, v, sl, s.value_init, s.slope_init)
        c_err = curv_error(sl, s.slope_init)
        err = wnp.maximum(d_err, c_err)
        safe_decrease = d_err <= tol

        # ---- (a) after a search step
        a_safe = _where(safe_decrease, [t, v, g], [s.safe_stepsize, s.safe_value, s.safe_grad])
        set_high_to_new = (d_err > 0.0) | ((v >= s.value) & (it > 0))
        set_low_to_new = (sl >= 0.0) & ~set_high_to_new
        a_bounds = _where(set_low_to_new, [t, v, sl, s.stepsize, s.value, s.slope],
                          [s.stepsize, s.value, s.slope, t, v, sl])
        a_found = set_high_to_new | set_low_to_new | (err <= tol)
        a_done = (err <= tol) | (max_reached & ~a_found)
        a_state = [a_found, a_done, *a_bounds, a_bounds[0], a_bounds[1], *a_safe]

        # ---- (b) after a zoom step
        update_safe = safe_decrease & (v < s.safe_value)
        b_safe = _where(update_safe, [t, v, g], [s.safe_stepsize, s.safe_value, s.safe_grad])
        b_done = err <= tol
        set_high_to_mid = (d_err > 0.0) | (v >= s.value_low)
        set_high_to_low = (sl * (high - low) >= 0.0) & ~set_high_to_mid
        set_low_to_mid = ~set_high_to_mid
        hi = _where(set_high_to_mid, [t, v, sl], [high, s.value_high, s.slope_high])
        hi = _where(set_high_to_low, [low, s.value_low, s.slope_low], hi)
        lo = _where(set_low_to_mid, [t, v, sl], [low, s.value_low, s.slope_low])
        ref = _where(set_high_to_mid | set_high_to_low, [high, s.value_high], [low, s.value_low])
        b_state = [s.interval_found, b_done, *lo, *hi, *ref, *b_safe]

        (found, done, low, value_low, slope_low, high, value_high, slope_high, cubic_ref,
         value_cubic_ref, safe_stepsize, safe_value, safe_grad) = _where(
            zooming, b_state, a_state)
        max_iter_reached = it + 1 >= max_linesearch_steps
        failed = wnp.where(zooming,
                           (max_iter_reached | (too_small_int & (b_safe[0] > 0.0))) & ~b_done,
                           max_iter_reached & ~a_done)
        # ---- a failed search falls back on the best step with sufficient decrease, or on
        # no step at all when the function was NaN/inf at the last trial
        outside_domain = wnp.isinf(d_err)
        fallback = failed & ((safe_stepsize > 0.0) | outside_domain)
        t, v, g = _where(fallback, [safe_stepsize, safe_value, safe_grad], [t, v, g])
        as_dt = functools.partial(_scalar, dt=dt)
        return ZoomLinesearchState(
            count=wnp.asarray(safe_increment(it), np.int32), params=s.params,
            updates=s.updates, stepsize_guess=s.stepsize_guess, stepsize=as_dt(t),
            value=as_dt(v), grad=g, slope=sl, value_init=s.value_init,
            slope_init=s.slope_init, decrease_error=as_dt(d_err),
            curvature_error=as_dt(c_err), error=as_dt(err),
            interval_found=wnp.asarray(found, bool), done=wnp.asarray(done, bool),
            failed=wnp.asarray(failed, bool), low=as_dt(low), value_low=as_dt(value_low),
            slope_low=as_dt(slope_low), high=as_dt(high), value_high=as_dt(value_high),
            slope_high=as_dt(slope_high), cubic_ref=as_dt(cubic_ref),
            value_cubic_ref=as_dt(value_cubic_ref), safe_stepsize=as_dt(safe_stepsize),
            safe_value=as_dt(safe_value), safe_grad=safe_grad)

    def cond(state):
        return ~(state.done | state.failed)

    return init, step, cond


class ZoomLinesearchInfo(NamedTuple):
    """What the last zoom search did: its trial count and the final errors of the
    sufficient-decrease and curvature conditions (0 when they held).

    >>> ZoomLinesearchInfo(0, 0.0, 0.0).curvature_error
    0.0
    """

    num_linesearch_steps: Any
    decrease_error: Any
    curvature_error: Any


class ScaleByZoomLinesearchState(NamedTuple):
    """The step taken last and the value and gradient of the function there.

    >>> import wire
    >>> float(wire.optim.scale_by_zoom_linesearch(5).init(np.zeros(1)).value)
    inf
    """

    learning_rate: Any
    value: Any
    grad: Any
    info: ZoomLinesearchInfo


def scale_by_zoom_linesearch(
        max_linesearch_steps: int, max_learning_rate=None, tol: float = 0.0,
        increase_factor: float = 2.0, slope_rtol: float = 1e-4, curv_rtol: float = 0.9,
        approx_dec_rtol: float | None = 1e-6, stepsize_precision: float = 1e-5,
        initial_guess_strategy: str = "keep", verbose: bool = False
) -> GradientTransformationExtraArgs:
    """Scale the direction ``u`` by a step ``η`` meeting the strong Wolfe conditions,
    ``f(x + η u) ≤ f(x) + slope_rtol · η ⟨u, ∇f(x)⟩`` and
    ``|⟨u, ∇f(x + η u)⟩| ≤ curv_rtol · |⟨u, ∇f(x)⟩|`` (or Hager & Zhang's approximate
    decrease, with ``approx_dec_rtol``), found by Nocedal & Wright's bracketing and zoom
    (cubic or quadratic interpolation, else bisection), at most ``max_linesearch_steps``
    evaluations of ``value_fn`` and its gradient.

    The first trial is 1 (``initial_guess_strategy="one"``) or the previous step (``"keep"``).
    A search that does not finish takes the best step with sufficient decrease seen; without
    one, the last trial, or no step at all when ``value_fn`` was NaN or infinite there.
    ``update`` takes ``value=f(x)``, ``grad=∇f(x)`` and ``value_fn=f``; other keyword
    arguments go to ``value_fn``. ``verbose`` is accepted and ignored.

    >>> import numpy as np, wire
    >>> f = lambda x: ((x - 3.0) ** 2).sum()
    >>> opt = wire.optim.chain(wire.optim.sgd(1.0), scale_by_zoom_linesearch(15))
    >>> x = np.zeros(1); s = opt.init(x)
    >>> v, g = wire.value_and_grad(f)(x)
    >>> u, s = opt.update(g, s, x, value=v, grad=g, value_fn=f)
    >>> float(s[1].learning_rate), wire.optim.apply_updates(x, u)
    (0.5, array([3.]))
    """
    what = "scale_by_zoom_linesearch"
    if int(max_linesearch_steps) < 1:
        raise WireValueError(f"{what}: max_linesearch_steps must be >= 1, got "
                             f"{max_linesearch_steps}{at(user_location())}")
    if initial_guess_strategy not in ("one", "keep"):
        raise WireValueError(f"{what}: initial_guess_strategy must be 'one' or 'keep', got "
                             f"{initial_guess_strategy!r}{at(user_location())}")
    init_ls, step_ls, cond_ls = zoom_linesearch(
        max_linesearch_steps=max_linesearch_steps, max_stepsize=max_learning_rate, tol=tol,
        increase_factor=increase_factor, slope_rtol=slope_rtol, curv_rtol=curv_rtol,
        approx_dec_rtol=approx_dec_rtol, interval_threshold=stepsize_precision)

    def init(params):
        dt = _value_dtype(params, what)
        inf = np.asarray(np.inf, dt)
        return ScaleByZoomLinesearchState(
            learning_rate=np.asarray(1.0, dt), value=inf, grad=tree_zeros_like(params),
            info=ZoomLinesearchInfo(_count0(), inf, inf))

    def update(updates, state, params=None, *, value=None, grad=None, value_fn=None,
               **extra_args):
        _check_extra(what, updates, params, value, grad, value_fn)
        fn_kwargs = _extract_fn_kwargs(what, value_fn, extra_args)
        value_and_grad_fn = value_and_grad(value_fn)
        dt = np.dtype(state.learning_rate.dtype)
        grad = wtree.map(lambda g, p: wnp.asarray(g, dtype=getattr(p, "dtype", None)), grad,
                         params)
        s = init_ls(updates, params, value=value, grad=grad, prev_stepsize=state.learning_rate,
                    initial_guess_strategy=initial_guess_strategy)
        s = while_loop(cond_ls, functools.partial(step_ls, value_and_grad_fn=(
            value_and_grad_fn), fn_kwargs=fn_kwargs), s)
        lr = _scalar(s.stepsize, dt)
        info = ZoomLinesearchInfo(s.count, s.decrease_error, s.curvature_error)
        return tree_scale(lr, updates), ScaleByZoomLinesearchState(lr, s.value, s.grad, info)

    return GradientTransformationExtraArgs(init, update)


def value_and_grad_from_state(value_fn: Callable) -> Callable:
    """``value_and_grad(value_fn)``, but taking the value and gradient a line search left in
    the optimizer state (``state=``) when they are there (finite), instead of evaluating
    ``value_fn`` again: ``value, grad = vg(params, *args, state=state, **kwargs)``.

    >>> import numpy as np, wire
    >>> f = lambda x: (x ** 2).sum()
    >>> opt = wire.optim.lbfgs()
    >>> x = np.array([1.0, -2.0]); state = opt.init(x)
    >>> vg = value_and_grad_from_state(f)
    >>> v, g = vg(x, state=state)             # the state holds none yet: evaluated
    >>> u, state = opt.update(g, state, x, value=v, grad=g, value_fn=f)
    >>> x = wire.optim.apply_updates(x, u)
    >>> vg(x, state=state)[0] == state[-1].value   # taken from the state
    np.True_
    """
    if not callable(value_fn):
        raise WireTypeError(f"value_and_grad_from_state: value_fn must be a function, got "
                            f"{type(value_fn).__name__}{at(user_location())}")

    def from_state(params, *fn_args, state, **fn_kwargs):
        value = tree_get(state, "value")
        grad = tree_get(state, "grad")
        if value is None or grad is None:
            raise WireError("value_and_grad_from_state: the optimizer state holds no 'value' "
                            "and 'grad' (use a line search that keeps them, e.g. "
                            f"scale_by_zoom_linesearch){at(user_location())}")
        stored = wnp.isfinite(value)

        def fresh(p, a, kw):
            v, g = value_and_grad(value_fn)(p, *a, **kw)
            check_trees("value_and_grad_from_state", g, "value_fn's gradient", grad,
                        "the state's grad")
            # in the state's dtypes, which the branch taken from the state has
            return (wnp.asarray(v, dtype=value.dtype),
                    wtree.map(lambda x, y: wnp.asarray(x, dtype=y.dtype), g, grad))

        def kept(p, a, kw):
            return value, grad

        return wire_cond(stored, kept, fresh, params, fn_args, fn_kwargs)

    return from_state
