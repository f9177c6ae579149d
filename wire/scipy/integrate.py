"""``wire.scipy.integrate``: ``trapezoid`` and ``cumulative_trapezoid`` (the trapezoidal
rule on samples), and ``odeint``.

``odeint``: SciPy's ``odeint`` interface on an adaptive
Dormand–Prince 5(4) solver written with wire's control-flow primitives (so it runs under
``jit`` and ``vmap``), differentiated in reverse mode by the adjoint method.

The reverse pass does not differentiate the solver's steps. It solves the adjoint system
backwards in time, from each output time to the previous one (Pontryagin; Chen et al. 2018,
"Neural ordinary differential equations"):

    d/dt [y, a, ā_θ, ā_t] = [f, -aᵀ∂f/∂y, -aᵀ∂f/∂θ, -aᵀ∂f/∂t],   a(t_N) = ∂L/∂y(t_N),

with the same solver (by calling ``odeint`` itself on the augmented system, so the backward
pass is differentiable again: ``grad(grad(...))`` works). Memory is independent of the number
of steps; the price is a second integration. Forward mode (``jvp``, ``jacfwd``)
differentiates the solver's steps.

>>> import numpy as np, wire
>>> from wire.scipy.integrate import odeint
>>> t = np.linspace(0.0, 1.0, 3)
>>> ys = odeint(lambda y, t, k: -k * y, 1.0, t, 2.0)          # y' = -k y
>>> np.allclose(ys, np.exp(-2.0 * t), rtol=1e-7)
True
>>> dk = wire.grad(lambda k: odeint(lambda y, t, k: -k * y, 1.0, t, k)[-1])(2.0)
>>> bool(abs(dk - (-np.exp(-2.0))) < 1e-7)                    # d/dk e^(-k) at t = 1
True
"""

from __future__ import annotations

import functools

import numpy as np

from .. import numpy as wnp
from .. import tree
from ..api import cond as cond_, scan, vjp, while_loop  # (not their entry points)
from ..api.custom import custom_vjp
from ..api.concrete import BatchedDecision
from ..errors import (ShapeError, TracerBoolError, WireError, WireTypeError, at,
                      user_location)
from ..tracebacks import expose
from ..implicit import closure_convert
from ..core import Tracer

__all__ = ["cumulative_trapezoid", "odeint", "trapezoid"]

_SCIPY_TOL = 1.49012e-8  # SciPy's default rtol and atol
_DEFAULT_MXSTEP = 10_000  # per output interval; Dormand–Prince takes more steps than LSODA

# Dormand–Prince 5(4) tableau (Hairer, Nørsett & Wanner, Table II.5.2); the 7th stage is
# the derivative at the new point (first-same-as-last)
_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_B = _A[6] + (0.0,)
_B_LOW = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)
_E = tuple(b - c for b, c in zip(_B, _B_LOW))


# --------------------------------------------------------------------------- the solver


def _rms(x):
    ms = wnp.mean(x * x)
    # (its derivative at 0 is taken as 0, not 1/0: a zero step, or a finished example under
    # vmap, warned divide by zero in forward mode)
    return wnp.where(ms > 0, wnp.sqrt(wnp.where(ms > 0, ms, 1.0)), ms)  # (0, or NaN)


def _initial_step(f, y0, t0, f0, rtol, atol, span):
    """Hairer's starting step: small enough that an Euler step changes y by ~1% of its
    scale, and matched to the second derivative's size."""
    scale = atol + wnp.abs(y0) * rtol
    d0, d1 = _rms(y0 / scale), _rms(f0 / scale)
    h0 = wnp.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / wnp.where(d1 > 0, d1, 1.0))
    h0 = wnp.minimum(h0, span)
    f1 = f(y0 + h0 * f0, t0 + h0)
    d2 = _rms((f1 - f0) / scale) / h0
    big = wnp.maximum(d1, d2)
    h1 = wnp.where(big <= 1e-15, wnp.maximum(1e-6, h0 * 1e-3),
                   (0.01 / wnp.where(big > 1e-15, big, 1.0)) ** 0.2)
    return wnp.minimum(100.0 * h0, h1)


def _dopri_step(f, y, t, h, k1):
    ks = [k1]
    for i in range(1, 7):
        dy = sum(a * k for a, k in zip(_A[i], ks) if a != 0.0)
        ks.append(f(y + h * dy, t + _C[i] * h))
    y_new = y + h * sum(b * k for b, k in zip(_B, ks) if b != 0.0)
    err = h * sum(e * k for e, k in zip(_E, ks) if e != 0.0)
    return y_new, err, ks[6]


def _solve(f, y0, ts, rtol, atol, mxstep, hmax):
    """``(ys, status)`` at the increasing times ``ts``; ``y0`` is a 1-D state. ``status``
    per output time: 0 reached, 1 more than ``mxstep`` steps, 2 a non-finite error estimate
    (func returned NaN/inf), 3 a time before the previous one, 4 a NaN time. Failed rows
    are NaN."""
    dtype = y0.dtype
    t0 = ts[0]
    f0 = f(y0, t0)
    span = wnp.maximum(wnp.abs(ts[-1] - t0), np.finfo(dtype).tiny)
    span = wnp.where(wnp.isnan(span), np.inf, span)  # (a NaN last time fails only its row)
    # (a control quantity: its derivative is not the solution's, and with t0 = t1 it is 1/tiny²)
    h = wnp.stop_gradient(_initial_step(f, y0, t0, f0, rtol, atol, span))
    if hmax > 0:
        h = wnp.minimum(h, hmax)
    h_cap = hmax if hmax > 0 else np.inf

    def interval(carry, target):
        y, fy, t, h, failed = carry

        def cond(c):
            _, _, t_, _, n, bad = c
            return (t_ < target) & (n < mxstep) & ~bad

        def body(c):
            y_, fy_, t_, h_, n, bad = c
            room = target - t_
            clipped = h_ >= room
            step = wnp.where(clipped, room, h_)
            y_new, err, f_new = _dopri_step(f, y_, t_, step, fy_)
            scale = atol + rtol * wnp.maximum(wnp.abs(y_), wnp.abs(y_new))
            e = _rms(err / scale)
            ok = e <= 1.0
            bad = ~wnp.isfinite(e)
            factor = wnp.where(e == 0.0, 10.0,
                               wnp.clip(0.9 * wnp.where(e > 0, e, 1.0) ** -0.2, 0.2, 10.0))
            h_next = wnp.minimum(step * factor, h_cap)
            # a step shortened to land on the output time says nothing about the next one
            h_next = wnp.where(ok & clipped, wnp.maximum(h_next, h_), h_next)
            t_new = wnp.where(clipped, target, t_ + step)
            return (wnp.where(ok, y_new, y_), wnp.where(ok, f_new, fy_),
                    wnp.where(ok, t_new, t_), h_next, n + 1, bad)

        start = (y, fy, t, h, np.int64(0), np.bool_(False))
        y, fy, t_end, h, steps, bad = while_loop(cond, body, start)
        status = wnp.where(failed > 0, failed,
                           wnp.where(target < t, 3, wnp.where(bad, 2, wnp.where(t_end < target,
                                                                                  1, 0))))
        status = wnp.where((failed == 0) & (wnp.isnan(target) | wnp.isnan(t)), 4, status)
        status = status.astype(np.int64)
        keep = status == 0
        # reached: t_end is target, but an empty interval (a repeated time) took no step and
        # t_end is the previous time; moving target moves y along f (0 in value, so forward
        # mode sees d y/d target = f and the next interval starts at target)
        gap = wnp.where(keep, target - t_end, wnp.zeros_like(t_end))
        y = y + gap * wnp.where(keep, fy, wnp.zeros_like(fy))
        t_end = t_end + gap
        # (and f there, the next interval's first stage: the same value, its derivative)
        fy = cond_(keep & (steps == 0), lambda y_, t_, fy_: f(y_, t_),
                   lambda y_, t_, fy_: fy_, y, t_end, fy)
        y_out = wnp.where(keep, y, np.nan)
        return (y_out, fy, t_end, h, status), (y_out, status)

    start = (y0, f0, t0, h, np.int64(0))
    _, (ys, status) = scan(interval, start, ts[1:])
    ys = wnp.concatenate([wnp.reshape(y0, (1, -1)), ys], axis=0)
    return ys, status


# --------------------------------------------------------------------------- adjoint


def _odeint_flat(fn, y0, ts, args, rtol, atol, mxstep, hmax):
    """Solution rows at increasing ``ts`` of ``y' = fn(y, t, *args)`` for a 1-D ``y0``,
    reverse-differentiated by the adjoint method (every differentiable quantity is an
    explicit argument of the custom rule)."""

    # forward mode differentiates the solver itself (the adjoint solve is not transposable)
    @functools.partial(custom_vjp, forward="function")
    def solve(y0_, ts_, *args_):
        return _solve(lambda y, t: fn(y, t, *args_), y0_, ts_, rtol, atol, mxstep, hmax)[0]

    def fwd(y0_, ts_, *args_):
        ys = solve(y0_, ts_, *args_)
        return ys, (ys, ts_, args_)

    def bwd(res, g):
        ys, ts_, args_ = res
        return _adjoint(fn, ys, ts_, args_, g, rtol, atol, mxstep, hmax)

    solve.defvjp(fwd, bwd)
    return solve(y0, ts, *args)


def _adjoint(fn, ys, ts, args, g, rtol, atol, mxstep, hmax):
    """Cotangents of ``(y0, ts, *args)`` from the output cotangent ``g``: the augmented
    system is integrated backwards over each interval (in the time ``s = -t``), picking up
    ``g`` at every output time on the way."""
    n = ys.shape[1]
    a_leaves, a_tree = tree.flatten(tuple(args))
    sizes = [int(np.prod(np.shape(v) if not isinstance(v, Tracer) else v.shape, dtype=np.int64))
             for v in a_leaves]

    def split(aug):
        y, y_bar, t_bar = aug[:n], aug[n:2 * n], aug[2 * n]
        return y, y_bar, t_bar, aug[2 * n + 1:]

    def aug_dynamics(aug, s, *args_):
        y, y_bar, _, _ = split(aug)
        y_dot, pullback = vjp(lambda y_, t_, *a: fn(y_, t_, *a), y, -s, *args_)
        y_bar_dot, t_dot, *args_dot = pullback(y_bar)
        flat_args = [wnp.reshape(v, (-1,)) for v in tree.leaves(tuple(args_dot))]
        return wnp.concatenate([-y_dot, y_bar_dot, wnp.reshape(t_dot, (1,))] + flat_args)

    dtype = ys.dtype
    zeros_args = np.zeros(sum(sizes), dtype)

    def back(carry, i):
        y_bar, t0_bar, args_bar = carry
        # moving an output time moves the output along f
        t_bar = wnp.sum(fn(ys[i], ts[i], *args) * g[i])
        t0_bar = t0_bar - t_bar
        aug0 = wnp.concatenate([ys[i], y_bar, wnp.reshape(t0_bar, (1,)), args_bar])
        s_pair = wnp.stack([-ts[i], -ts[i - 1]])
        aug1 = _odeint_flat(aug_dynamics, aug0, s_pair, args, rtol, atol, mxstep, hmax)[1]
        _, y_bar, t0_bar, args_bar = split(aug1)
        return (y_bar + g[i - 1], t0_bar, args_bar), t_bar

    count = ts.shape[0]
    init = (g[-1], wnp.zeros((), dtype), zeros_args)
    (y_bar, t0_bar, args_bar), rev_t_bar = scan(back, init, np.arange(count - 1, 0, -1))
    ts_bar = wnp.concatenate([wnp.reshape(t0_bar, (1,)), wnp.flip(rev_t_bar)])
    cts, off = [], 0
    for v, size in zip(a_leaves, sizes):
        shape = v.shape if isinstance(v, Tracer) else np.shape(v)
        cts.append(wnp.reshape(args_bar[off:off + size], shape))
        off += size
    return (y_bar, ts_bar) + tuple(tree.unflatten(a_tree, cts))


# --------------------------------------------------------------------------- interface


def _as_state(y0):
    """SciPy's ``y0`` is array_like: a flat list or tuple of numbers is one 1-D array (not
    a pytree of scalars, as it would be in JAX); nested containers stay pytrees."""
    if isinstance(y0, (list, tuple)) and y0 and all(
            not isinstance(v, (list, tuple, dict)) and wnp.ndim(v) == 0 for v in y0):
        if any(isinstance(v, Tracer) for v in y0):
            return wnp.stack([wnp.asarray(v) for v in y0])
        return np.asarray(y0, dtype=np.result_type(*[np.asarray(v).dtype for v in y0], 0.0))
    if isinstance(y0, list) and not y0:  # (SciPy: an empty state)
        return np.zeros(0)
    return y0


def _flatten_state(y0):
    leaves, y_tree = tree.flatten(_as_state(y0))
    leaves = [v if isinstance(v, Tracer) else np.asarray(v) for v in leaves]
    leaves = [v if v.dtype.kind in "fc" else wnp.asarray(v, np.float64) for v in leaves]
    shapes = [tuple(v.shape) for v in leaves]
    flat = wnp.concatenate([wnp.reshape(v, (-1,)) for v in leaves]) if len(leaves) > 1 \
        else wnp.reshape(leaves[0], (-1,))

    def unflatten_rows(rows):
        """(T, n) rows back to the pytree with a leading time axis on every leaf."""
        out, off = [], 0
        for s in shapes:
            size = int(np.prod(s, dtype=np.int64))
            out.append(wnp.reshape(rows[..., off:off + size], tuple(rows.shape[:-1]) + s))
            off += size
        return tree.unflatten(y_tree, out)

    def unflatten_one(vec):
        return tree.map(lambda v: v[0], unflatten_rows(wnp.reshape(vec, (1, -1))))

    return flat, unflatten_rows, unflatten_one, shapes


def _check_derivative(dy_leaves, shapes):
    """func's values must match the state: as many entries as an array state (SciPy's rule;
    a list is fine), or for a pytree state a leaf of the same size for every leaf (else they
    would be paired with the wrong components, or broadcast)."""
    sizes = [int(np.prod(wnp.shape(v), dtype=np.int64)) for v in dy_leaves]
    want = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    if len(shapes) == 1 and sum(sizes) == want[0] or sizes == want:
        return
    got = [tuple(wnp.shape(v)) for v in dy_leaves]
    raise ShapeError(f"odeint: func returned values of shapes {got} ({sum(sizes)} entries), "
                     f"but the state y0 has shapes {shapes} ({sum(want)} entries); func must "
                     f"return the derivative of every component of y{at(user_location())}")


def _unsupported(options):
    defaults = {"Dfun": None, "col_deriv": 0, "full_output": 0, "ml": None, "mu": None,
                "tcrit": None, "h0": 0.0, "hmin": 0.0, "ixpr": 0, "mxhnil": 0, "mxordn": 12,
                "mxords": 5, "printmessg": 0}
    for k, v in options.items():
        if k not in defaults:
            raise WireError(f"odeint got an unexpected keyword {k!r}{at(user_location())}")
        if v is not defaults[k] and not (v is not None and v == defaults[k]):
            raise WireError(
                f"odeint: the LSODA option {k}={v!r} has no counterpart in wire's "
                f"Dormand–Prince solver; leave it at its default{at(user_location())}")


def odeint(func, y0, t, *args, rtol=None, atol=None, mxstep=0, hmax=0.0, tfirst=False,
           **options):
    """Integrate ``dy/dt = func(y, t, *args)`` from ``y(t[0]) = y0``; rows of the result are
    ``y`` at the times ``t`` (monotonically increasing or decreasing, repeats allowed).

    Extra arguments go after ``t`` (JAX's ``odeint(func, y0, t, *args)``) or, as in SciPy,
    in ``args=(...)``. ``y0`` may be an array of any shape, a flat list of numbers (an array,
    as in SciPy) or a pytree such as a dict (the result then has a leading time axis on every
    leaf); the state, the times and ``func``'s values are real (complex ones raise
    ``WireTypeError``, as SciPy refuses them). ``rtol``/``atol`` (default 1.49012e-8, SciPy's)
    bound each step's local error (rtol is at least 4 ulps of the dtype: float32 inputs
    integrate in float32); ``mxstep`` (0: 10000) bounds the steps per output
    interval; ``hmax`` (0: none) bounds the step size; ``tfirst=True`` calls
    ``func(t, y, *args)``.

    Reverse mode uses the adjoint method (see the module docstring); it differentiates with
    respect to ``y0``, ``t`` and every argument, including values ``func`` closes over.
    Failed intervals (too many steps, NaN from ``func``) give NaN rows under ``wire.jit``;
    where the values are known (concrete inputs, and eager ``grad``, ``jvp``, ``vmap``) a
    ``WireError`` explains the failure instead.

    ``func`` is traced (that is what makes it differentiable): build its result with
    ``wire.numpy`` (``wnp.stack``) or return a list, as SciPy allows, not ``np.array([...])``.

    >>> import numpy as np
    >>> ys = odeint(lambda y, t: [y[1], -y[0]], [1.0, 0.0], [0.0, np.pi])
    >>> np.round(ys[-1], 7) + 0.0                                   # cos π, -sin π
    array([-1.,  0.])
    """
    if "args" in options:
        extra = options.pop("args")
        if args:
            raise WireError("odeint: give extra arguments after t or as args=(...), not both"
                            + at(user_location()))
        args = tuple(extra) if isinstance(extra, (tuple, list)) else (extra,)
    _unsupported(options)
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if isinstance(tol, Tracer):
            raise WireError(f"odeint: {name} must be a concrete number, not a traced value"
                            f"{at(user_location())}")
        if tol is not None and np.ndim(tol) != 0:
            raise WireError(f"odeint: {name} must be one number (SciPy's per-component "
                            f"tolerances are not supported), got {name} of shape "
                            f"{np.shape(tol)}{at(user_location())}")
    rtol = _SCIPY_TOL if rtol is None else float(rtol)
    atol = _SCIPY_TOL if atol is None else float(atol)
    mxstep = _DEFAULT_MXSTEP if not mxstep else int(mxstep)
    hmax = float(hmax or 0.0)
    user = (lambda y, t_, *a: func(t_, y, *a)) if tfirst else func

    if not isinstance(t, Tracer):
        t = np.asarray(t)
        if t.dtype.kind == "c":
            raise WireTypeError(f"odeint: the times t must be real, got dtype {t.dtype}"
                                f"{at(user_location())}")
        t = t if t.dtype.kind == "f" else t.astype(np.float64)
        if np.isnan(t).any():
            first = int(np.argmax(np.isnan(t)))
            raise WireError(f"odeint: t must not contain NaN, got t[{first}] = nan"
                            f"{at(user_location())}")
    if t.ndim != 1 or t.shape[0] < 1:
        raise WireError(f"odeint: t must be a 1-D sequence of times, got shape "
                        f"{tuple(t.shape)}{at(user_location())}")
    flat0, unflatten_rows, unflatten_one, shapes = _flatten_state(y0)
    if flat0.dtype.kind == "c" or t.dtype.kind == "c":
        # (the step control and the adjoint are real; SciPy's odeint refuses them too)
        raise WireTypeError(f"odeint: y0 and t must be real, got dtypes {flat0.dtype} and "
                            f"{t.dtype}; integrate the real and imaginary parts as two real "
                            f"states{at(user_location())}")
    dtype = np.result_type(flat0.dtype, t.dtype)
    flat0 = wnp.asarray(flat0, dtype) if flat0.dtype != dtype else flat0
    t = wnp.asarray(t, dtype) if t.dtype != dtype else t
    if tuple(flat0.shape) == (0,):  # nothing to integrate (the step control's mean is NaN)
        return unflatten_rows(wnp.zeros((t.shape[0], 0), dtype))
    # below a few ulps the error estimate is rounding noise and steps would shrink forever
    rtol = max(rtol, 4.0 * float(np.finfo(dtype).eps))

    def rhs(y_flat, time, *a):
        dy = user(unflatten_one(y_flat), time, *a)
        dy_leaves = tree.leaves(dy)
        _check_derivative(dy_leaves, shapes)
        flat = wnp.concatenate([wnp.reshape(v, (-1,)) for v in dy_leaves]) \
            if len(dy_leaves) > 1 else wnp.reshape(dy_leaves[0], (-1,))
        if np.dtype(flat.dtype).kind == "c":  # (its imaginary part would be dropped)
            raise WireTypeError(f"odeint: func returned complex values (dtype {flat.dtype}) "
                                f"for a real state; odeint integrates real states only"
                                f"{at(user_location())}")
        return wnp.asarray(flat, dtype) if flat.dtype != dtype else flat

    # values func closes over become explicit arguments, so the adjoint reaches them
    closed, consts = closure_convert(rhs, flat0, t[0], *args)

    def fn(y, time, *a):
        return closed(a[:len(consts)], y, time, *a[len(consts):])

    # integrate in s = d·t with d = ±1, so that s increases
    d = wnp.stop_gradient(wnp.where(t[-1] < t[0], -1.0, 1.0).astype(dtype))

    def forward(y, s, d_, *a):
        return d_ * fn(y, d_ * s, *a)

    all_args = (d,) + tuple(consts) + tuple(args)
    leaves = [flat0, t] + tree.leaves(all_args)
    if not any(isinstance(v, Tracer) for v in leaves):
        with np.errstate(all="ignore"):  # a blow-up is reported below, by status
            ys, status = _solve(lambda y, s: forward(y, s, d, *all_args[1:]), flat0, d * t,
                                rtol, atol, mxstep, hmax)
        _raise_on_failure(np.asarray(status), np.asarray(t), mxstep)
    else:
        ys = _odeint_flat(forward, flat0, d * t, all_args, rtol, atol, mxstep, hmax)
        if _known_to_fail(ys):  # eager transforms know the values: explain, as for arrays
            sg = wnp.stop_gradient
            fixed = tree.map(sg, all_args)
            with np.errstate(all="ignore"):
                _, status = _solve(lambda y, s: forward(y, s, *fixed), sg(flat0), sg(d * t),
                                   rtol, atol, mxstep, hmax)
            _raise_on_failure(np.array([int(v) for v in status]),
                              np.array([float(v) for v in sg(t)]), mxstep)
    return unflatten_rows(ys)


def _known_to_fail(ys):
    """Whether the rows hold a NaN (a failed interval), where the values are known (not
    under ``wire.jit``)."""
    try:
        return bool(wnp.any(wnp.isnan(ys)))
    except BatchedDecision:  # examples that differ: vmap runs each group apart
        raise
    except TracerBoolError:
        return False


def _raise_on_failure(status, t, mxstep):
    bad = np.flatnonzero(status)
    if not bad.size:
        return
    i = int(bad[0]) + 1
    why = {1: f"more than mxstep={mxstep} steps were needed (a stiff problem, or raise "
              "mxstep / loosen rtol, atol)",
           2: "the solution or func became NaN or inf (a singularity?)",
           3: "the times in t are not monotonic",
           4: "a time in t is NaN"}[int(status[bad[0]])]
    raise WireError(f"odeint: integration from t={float(t[i - 1]):g} to t={float(t[i]):g} "
                    f"failed: {why}"
                    f"{at(user_location())}")

def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of the samples ``y`` along ``axis`` by the trapezoidal rule, at the
    points ``x`` (or spaced ``dx``): ``scipy.integrate.trapezoid`` and
    ``jax.scipy.integrate.trapezoid`` (differentiable in ``y`` and ``x``).

    >>> import numpy as np, wire
    >>> x = np.linspace(0.0, 1.0, 5)
    >>> float(trapezoid(x ** 2, x))
    0.34375
    >>> wire.grad(lambda x: trapezoid(x ** 2, x))(x)      # as jax.grad of JAX's
    array([-0.03125,  0.     ,  0.     ,  0.     ,  1.03125])
    """
    return wnp.trapezoid(y, x=x, dx=dx, axis=axis)


def cumulative_trapezoid(y, x=None, dx=1.0, axis=-1, initial=None):
    """The running integrals of ``y`` along ``axis`` by the trapezoidal rule (SciPy's
    ``cumulative_trapezoid``): one value fewer than ``y`` has along ``axis``, or as many
    with ``initial`` (SciPy allows only ``initial=0``; it is put first).

    >>> import numpy as np
    >>> cumulative_trapezoid(np.array([1.0, 2.0, 3.0, 4.0]), dx=0.5)
    array([0.75, 2.  , 3.75])
    >>> cumulative_trapezoid(np.array([1.0, 2.0, 3.0]), initial=0)
    array([0. , 1.5, 4. ])
    """
    y = y if isinstance(y, Tracer) else wnp.asarray(y)
    nd = len(wnp.shape(y))
    if nd == 0:
        raise WireError(f"cumulative_trapezoid: y must have at least one dimension, got a "
                        f"scalar{at(user_location())}")
    if not -nd <= axis < nd:
        raise WireError(f"cumulative_trapezoid: axis {axis} is out of range for y of shape "
                        f"{tuple(wnp.shape(y))}{at(user_location())}")
    axis = axis % nd
    n = wnp.shape(y)[axis]
    if n == 0:  # (with initial=0 it made up a first value)
        raise WireError(f"cumulative_trapezoid: at least one point is required along axis "
                        f"{axis}, got y of shape {tuple(wnp.shape(y))}{at(user_location())}")
    lo = wnp.take(y, np.arange(0, max(n - 1, 0)), axis=axis)
    hi = wnp.take(y, np.arange(1, n), axis=axis)
    if x is None:
        d = dx
    else:
        x = x if isinstance(x, Tracer) else wnp.asarray(x)
        if len(wnp.shape(x)) == 1:
            if wnp.shape(x)[0] != n:
                raise WireError(f"cumulative_trapezoid: x has {wnp.shape(x)[0]} points but "
                                f"y has {n} along axis {axis}{at(user_location())}")
            shape = [1] * nd
            shape[axis] = n - 1
            d = wnp.reshape(wnp.diff(x), tuple(shape))
        else:  # (as SciPy: x of y's dimensions whose steps broadcast against y's)
            xs = tuple(wnp.shape(x))
            steps = xs[:axis] + (xs[axis] - 1,) + xs[axis + 1:] if len(xs) == nd else None
            try:
                np.broadcast_shapes(steps, tuple(wnp.shape(lo)))
            except (TypeError, ValueError):
                raise WireError(f"cumulative_trapezoid: x of shape {xs} must be "
                                f"one-dimensional or broadcast against y's shape "
                                f"{tuple(wnp.shape(y))}{at(user_location())}") from None
            d = wnp.diff(x, axis=axis)
    out = wnp.cumsum(d * (lo + hi) / 2.0, axis=axis)
    if initial is not None:
        if not (np.ndim(initial) == 0 and float(initial) == 0.0):
            raise WireError(f"cumulative_trapezoid: initial must be 0 or None (SciPy's rule), "
                            f"got {initial!r}{at(user_location())}")
        shape = list(wnp.shape(out))
        shape[axis] = 1
        out = wnp.concatenate([wnp.zeros(tuple(shape), wnp.result_type(out)), out], axis=axis)
    return out


# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
