"""L-BFGS, the zoom and backtracking line searches and ``value_and_grad_from_state`` of
``wire.optim`` against Optax 0.2.8 (float64 with ``jax_enable_x64``), in Optax's loop::

    value, grad = value_and_grad_from_state(f)(params, state=state, **data)
    updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=f, **data)

Optax's iterates are stored in test_optim_lbfgs_optax.json (compiling Optax's line search
takes about 10 s a problem); ``-m slow`` computes them again with Optax and checks the file.
wire's steps run eagerly and under ``wire.jit``. Problems: Rosenbrock, a quadratic, a small
logistic regression (data passed as extra arguments, params a dict), a tuple of params with a
size-1 and an empty leaf, float32, the start at the minimum, an infinite and a NaN gradient; and the
line searches' failure paths: NaN and +inf values at trial steps, too few steps, an ascent
direction. The arithmetic is Optax's in the same order, so the iterates agree to rounding
(float64: 1e-15 to 1e-13 relative, except Rosenbrock, whose 25 steps amplify rounding to ~3e-11).

On failure Optax takes a fallback step that Nocedal & Wright's algorithms 3.5/3.6 (which stop
only at a step meeting the Wolfe conditions) do not define, and wire takes the same: the best
step with sufficient decrease seen, else no step when the last trial's value was NaN/inf,
else the last trial step even though it raises the value (``zoom_fail_few_steps`` goes up to
6e105 as Optax's does; ``backtracking_ascent`` likewise).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from selection import slow_only

import wire
import wire.numpy as wnp
from wire import optim


def rosenbrock(m):
    return lambda x: m.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

def quadratic(m):
    A = np.diag(np.arange(1.0, 6.0)) + 0.1
    return lambda x: 0.5 * x @ (A.astype(x.dtype) @ x) - x.sum()

def _data():
    r = np.random.default_rng(0)
    X = r.normal(size=(20, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3 * r.normal(size=20) > 0).astype(float)
    return X, y

def logistic(m):
    # data as extra keyword arguments: they reach value_fn through update(..., X=, y=)
    def f(p, X, y):
        z = X @ p["w"] + p["b"]
        return m.mean(m.logaddexp(0.0, z) - y * z) + 0.01 * m.sum(p["w"] ** 2)
    return f

def nan_domain(m):
    # NaN beyond x = 1 (sqrt of a negative): the first trial step lands there
    return lambda x: m.sum((x - 3.0) ** 2) - m.sum(m.sqrt(1.0 - x))

def inf_domain(m):
    # +inf at and beyond x = 1 (-log 0): the first trial steps land there
    return lambda x: m.sum((x - 3.0) ** 2) - m.sum(m.log(m.maximum(1.0 - x, 0.0)))

X, Y = _data()
SCENARIOS = {
    # name: (function factory, x0, optimizer factory(lib), steps, extra kwargs)
    "lbfgs_rosenbrock": (rosenbrock, np.array([-1.2, 1.0, -0.5, 0.8]), lambda o: o.lbfgs(), 25, {}),
    "lbfgs_quadratic": (quadratic, np.ones(5), lambda o: o.lbfgs(memory_size=3), 12, {}),
    "lbfgs_logistic": (logistic, {"w": np.zeros(3), "b": np.array(0.0)}, lambda o: o.lbfgs(), 12, {"X": X, "y": Y}),
    "lbfgs_nan": (nan_domain, np.array([0.0, -1.0]), lambda o: o.lbfgs(), 6, {}),
    "lbfgs_inf": (inf_domain, np.array([0.0, -1.0]), lambda o: o.lbfgs(), 6, {}),
    "zoom_keep_maxlr": (rosenbrock, np.array([-1.2, 1.0]), lambda o: o.chain(o.sgd(1e-3), o.scale_by_zoom_linesearch(
        15, max_learning_rate=50.0, initial_guess_strategy="keep")), 10, {}),
    "zoom_fail_few_steps": (rosenbrock, np.array([-1.2, 1.0]), lambda o: o.chain(o.sgd(1.0), o.scale_by_zoom_linesearch(2)), 5, {}),
    "zoom_ascent_direction": (quadratic, np.ones(5), lambda o: o.chain(o.scale(1.0), o.scale_by_zoom_linesearch(8)), 3, {}),
    "backtracking_rosenbrock": (rosenbrock, np.array([-1.2, 1.0]), lambda o: o.chain(o.sgd(1.0), o.scale_by_backtracking_linesearch(
        30, store_grad=True)), 15, {}),
    "backtracking_logistic": (logistic, {"w": np.zeros(3), "b": np.array(0.0)}, lambda o: o.chain(o.sgd(1.0), o.scale_by_backtracking_linesearch(
        10, max_learning_rate=10.0)), 8, {"X": X, "y": Y}),
    "backtracking_nan": (nan_domain, np.array([0.0, -1.0]), lambda o: o.chain(o.sgd(1.0), o.scale_by_backtracking_linesearch(
        3, store_grad=True)), 4, {}),
    "backtracking_ascent": (quadratic, np.ones(5), lambda o: o.chain(o.scale(1.0), o.scale_by_backtracking_linesearch(
        4, store_grad=True)), 3, {}),
}

def tuple_tree(m):
    return lambda p: m.sum((p[0] - 1.0) ** 2) + m.sum(p[1] ** 2) + m.sum((p[2] + 0.5) ** 4)

def sqrt_abs(m):
    # gradient +-inf at 0, NaN value nowhere: the start has an infinite gradient
    return lambda x: m.sum(m.sqrt(m.abs(x)))

A_Q = np.diag(np.arange(1.0, 6.0)) + 0.1
SCENARIOS.update({
    "lbfgs_float32": (quadratic, np.ones(5, np.float32), lambda o: o.lbfgs(), 8, {}),
    "lbfgs_tuple_size1_empty": (tuple_tree, (np.array([3.0]), np.zeros((0, 2)), np.array([[1.0, 2.0]])), lambda o: o.lbfgs(), 8, {}),
    "lbfgs_at_minimum": (quadratic, np.linalg.solve(A_Q, np.ones(5)), lambda o: o.lbfgs(), 3, {}),
    "lbfgs_infinite_grad": (sqrt_abs, np.array([0.0, 1.0]), lambda o: o.lbfgs(), 3, {}),
})


def sqrt_squared(m):
    # value 0 at 0, gradient 0 * inf = NaN there: NaN params, as Optax's
    return lambda x: m.sum(m.sqrt(m.abs(x)) ** 2 * 0.5) + m.sum((x - 1.0) ** 2)


SCENARIOS["lbfgs_nan_grad"] = (sqrt_squared, np.array([0.0, 2.0]), lambda o: o.lbfgs(), 3, {})

with open(os.path.join(os.path.dirname(__file__), "test_optim_lbfgs_optax.json")) as fh:
    REFERENCE = json.load(fh)


def _run(m, lib, name, jit=False, value_and_grad=None, apply_updates=None):
    """The scenario's iterates and values with library ``lib`` (wire.optim or optax)."""
    fac, x0, ofac, n, kw = SCENARIOS[name]
    f = fac(m)
    opt = ofac(lib)
    x = x0
    state = opt.init(x)
    vg = lib.value_and_grad_from_state(f)
    if lib.tree_utils.tree_get(state, "grad") is None:  # backtracking without store_grad
        vg = lambda x, state, **kw: value_and_grad(f)(x, **kw)  # noqa: E731

    def step(x, state, kw):
        v, g = vg(x, state=state, **kw)
        u, state = opt.update(g, state, x, value=v, grad=g, value_fn=f, **kw)
        return apply_updates(x, u), state, v

    if jit is not False:
        step = jit(step)
    out = []
    for _ in range(n):
        x, state, v = step(x, state, kw)
        out.append({"x": [np.asarray(a).ravel().tolist() for a in wire.tree.leaves(x)],
                    "value": float(v)})
    return out, state


def _wire(name, jit=False):
    return _run(wnp, optim, name, wire.jit if jit else False, wire.value_and_grad,
                optim.apply_updates)


def _check(got, want, name):
    f32 = "float32" in name
    # float32: XLA's and NumPy's dot products sum in different orders, and the order (so the
    # last bits) also depends on the CPU's kernels: ~10 ulps apart after a few steps on some
    rtol = 4e-6 if f32 else (5e-11 if "rosenbrock" in name else 1e-12)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        a = np.concatenate([np.ravel(t) for t in g["x"]] + [[g["value"]]])
        b = np.concatenate([np.ravel(t) for t in w["x"]] + [[w["value"]]])
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * max(1.0, np.nanmax(np.abs(b))),
                                   err_msg=f"{name}, step {k + 1}")


EAGER = ["lbfgs_nan", "lbfgs_tuple_size1_empty", "backtracking_logistic",
         "zoom_fail_few_steps"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_jitted_steps_match_optax(name):
    got, state = _wire(name, jit=True)
    _check(got, REFERENCE[name], name)
    if "float32" in name:
        for leaf in wire.tree.leaves(state):
            assert np.asarray(leaf).dtype in (np.float32, np.int32, np.bool_), leaf


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", EAGER)
def test_eager_steps_match_optax(name):
    _check(_wire(name)[0], REFERENCE[name], name)


@slow_only
def test_the_stored_iterates_are_optax_s():
    """Optax computes the stored iterates again (about 3 minutes)."""
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    for name in SCENARIOS:
        got, _ = _run(jax.numpy, optax, name, jax.jit, jax.value_and_grad, optax.apply_updates)
        _check(got, REFERENCE[name], name)
