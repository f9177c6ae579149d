"""Control flow and custom rules against JAX (float64), across transform compositions.

Each program below is written once over a namespace ``L`` that is either wire (``W``) or JAX
(``J``): the same structure, built from ``L.scan``, ``L.cond``, ``L.custom_vjp`` … Each uses
one construct on the inputs where it goes wrong if anywhere (a scan of length 0 or 1, a loop
that runs no step, a switch index out of range, NaN in the operand of the branch not taken, a
predicate comparing with NaN, a rule that returns zeros, a closure over a traced value …).
Every program runs under the transforms of ``TRANSFORMS`` (value, ``jit``, ``grad``, ``jvp``,
``vjp``, ``vmap`` with ``in_axes`` 0, None and 1, ``jit(grad)``, ``vmap(grad)``,
``grad(grad)``, ``jacfwd``, ``jacrev``), and:

* wire's eager result and ``wire.jit`` of the same transform agree to the bit (NaN equal to
  NaN, zeros by sign): a difference there is always a wire bug;
* wire's result is JAX's (NaN where JAX has NaN, the signs of zeros of values), except where
  :data:`TRIAGE` names the reason: a convention wire documents (docs/control-flow.md,
  docs/custom-rules.md), or a JAX result checked to be wrong;
* where JAX refuses (reverse mode through ``while_loop``), wire raises a ``wire.WireError``
  naming what to do, or computes the right answer (checked by finite differences).

CI runs every program under the transforms of ``CI_BITWISE`` and ``CI_JAX``; ``-m slow``
runs every transform (several minutes). ``python tests/test_control_flow_jax.py [programs]``
prints the counts by class and each difference.
"""

from __future__ import annotations

import functools
import math
import sys
import types
import warnings
from collections import Counter

import numpy as np
import pytest
from selection import slow_selected

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from oracles import exact_difference  # noqa: E402

import wire  # noqa: E402
import wire.numpy as wnp  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

inf, nan = math.inf, math.nan


# --------------------------------------------------------------------------- the two namespaces


def _jax_fixed_point(f, x0, *params):
    """The fixed point ``x = f(x, *params)`` by ``lax.custom_root`` (JAX has no fixed_point):
    iterate to convergence, differentiate by the implicit function theorem."""
    from jax.flatten_util import ravel_pytree

    tm = jax.tree_util.tree_map
    x0 = tm(lambda v: jnp.asarray(v, jnp.float64), x0)

    def residual(x):
        return tm(lambda a, b: a - b, f(x, *params), x)

    def solve(g, x):
        step = lambda v: tm(lambda a, b: a + b, g(v), v)  # noqa: E731

        def cond(c):
            d = ravel_pytree(c[1])[0] - ravel_pytree(c[0])[0]
            scale = jnp.maximum(1.0, jnp.abs(ravel_pytree(c[0])[0]))
            return (c[2] < 1000) & jnp.any(jnp.abs(d) > 1e-15 * scale)

        return jax.lax.while_loop(cond, lambda c: (c[1], step(c[1]), c[2] + 1),
                                  (x, step(x), 0))[1]

    def tangent_solve(g, y):
        flat, unravel = ravel_pytree(y)
        jac = jax.jacobian(lambda v: ravel_pytree(g(unravel(v)))[0])(flat)
        return unravel(jnp.linalg.solve(jac, flat))

    return jax.lax.custom_root(residual, x0, solve, tangent_solve)


def _jax_save_only(*names):
    return jax.checkpoint_policies.dots_with_no_batch_dims_saveable


W = types.SimpleNamespace(
    name="wire", np=wnp, cond=wire.cond, switch=wire.switch, scan=wire.scan,
    fori_loop=wire.fori_loop, while_loop=wire.while_loop, checkpoint=wire.checkpoint,
    custom_jvp=wire.custom_jvp, custom_vjp=wire.custom_vjp, custom_root=wire.custom_root,
    fixed_point=wire.fixed_point, pure_callback=wire.pure_callback,
    ShapeDtypeStruct=wire.ShapeDtypeStruct, stop_gradient=wire.stop_gradient,
    policies={"none": None, "nothing": wire.checkpoint_policies.nothing_saveable,
              "everything": wire.checkpoint_policies.everything_saveable,
              "dots": wire.checkpoint_policies.dots_saveable},
    grad=wire.grad, jvp=wire.jvp, vjp=wire.vjp, vmap=wire.vmap, jit=wire.jit,
    jacfwd=wire.jacfwd, jacrev=wire.jacrev, leaves=wire.tree.leaves,
)
J = types.SimpleNamespace(
    name="jax", np=jnp, cond=jax.lax.cond, switch=jax.lax.switch, scan=jax.lax.scan,
    fori_loop=jax.lax.fori_loop, while_loop=jax.lax.while_loop, checkpoint=jax.checkpoint,
    custom_jvp=jax.custom_jvp, custom_vjp=jax.custom_vjp, custom_root=jax.lax.custom_root,
    fixed_point=_jax_fixed_point, pure_callback=jax.pure_callback,
    ShapeDtypeStruct=jax.ShapeDtypeStruct, stop_gradient=jax.lax.stop_gradient,
    policies={"none": None, "nothing": jax.checkpoint_policies.nothing_saveable,
              "everything": jax.checkpoint_policies.everything_saveable,
              "dots": jax.checkpoint_policies.dots_saveable},
    grad=jax.grad, jvp=jax.jvp, vjp=jax.vjp, vmap=jax.vmap, jit=jax.jit,
    jacfwd=jax.jacfwd, jacrev=jax.jacrev, leaves=jax.tree_util.tree_leaves,
)


# --------------------------------------------------------------------------- programs

PROGRAMS = {}


def program(*cases, jax_build=None):
    """Register ``build(L) -> f`` with argument tuples ``cases`` (each a tuple of float64
    arrays of the same shapes: the batch of ``vmap`` stacks them). ``jax_build`` writes the
    JAX side differently, where JAX needs another spelling of the same meaning."""

    def deco(build):
        PROGRAMS[build.__name__] = (build, jax_build or build,
                                    [tuple(np.asarray(a, np.float64) for a in c)
                                     for c in cases])
        return build

    return deco


V3 = [(np.array([0.5, -1.0, 2.0]),), (np.array([0.0, -0.0, 1.0]),),
      (np.array([nan, 1.0, -2.0]),), (np.array([inf, 0.25, 3.0]),)]
S = [(2.0,), (-1.0,), (0.0,), (-0.0,), (nan,), (inf,), (-inf,)]
SPOS = [(0.3,), (1.0,), (2.0,), (0.0,), (1e-300,)]


# ---- scan


@program(*V3)
def scan_length0(L):
    def f(x):
        return L.scan(lambda c, xi: (c * xi + L.np.sin(c), c * xi), x[0], x[:0])
    return f


@program(*V3)
def scan_length1(L):
    def f(x):
        return L.scan(lambda c, xi: (c * xi + L.np.sin(c), c * xi), x[1], x[:1])
    return f


@program(*V3)
def scan_reverse(L):
    def f(x):
        return L.scan(lambda c, xi: (c * 0.5 + xi * xi, L.np.tanh(c) * xi), x[0], x,
                      reverse=True)
    return f


@program(*V3)
def scan_reverse_length0(L):
    def f(x):
        return L.scan(lambda c, xi: (c * xi, c + xi), x[2], x[3:], reverse=True)
    return f


@program(*V3)
def scan_pytree_carry(L):
    def step(c, xi):
        a, (b, none) = c["a"], c["b"]
        return {"a": a * xi + b, "b": (L.np.cos(b) * xi, none)}, {"y": a - b, "z": None}

    def f(x):
        return L.scan(step, {"a": x[0], "b": (x[1], None)}, x)
    return f


@program(*V3)
def scan_tuple_xs_none_ys(L):
    def step(c, xs):
        u, v = xs
        return c * u + v, None

    def f(x):
        return L.scan(step, x[0], (x, x * 2.0))
    return f


@program(*V3)
def scan_xs_none_length(L):
    def f(x):
        return L.scan(lambda c, _: (L.np.sin(c) + c * c, c), x, None, length=3)
    return f


@program(*V3)
def scan_unroll(L):
    def f(x):
        c1, y1 = L.scan(lambda c, xi: (c * xi + 1.0, c), x[0], x, unroll=2)
        c2, y2 = L.scan(lambda c, xi: (c * xi - 1.0, c), x[1], x, unroll=True)
        return c1, y1, c2, y2
    return f


@program(*V3)
def scan_closure(L):
    def f(x):
        w = L.np.sum(x * x)
        return L.scan(lambda c, xi: (c * w + xi, c * xi * w), 0.5, x)
    return f


@program(*V3)
def scan_cond_inside(L):
    # per step, the branch not taken (log of a negative) is NaN: its derivative must not leak
    def step(c, xi):
        y = L.cond(xi > 0, lambda v: L.np.log(v), lambda v: 2.0 * v, xi)
        return c + y * c, y
    return lambda x: L.scan(step, 1.0, x)


# ---- fori_loop


@program(*V3)
def fori_empty(L):
    return lambda x: L.fori_loop(2, 2, lambda i, v: v * v + i, x)


@program(*V3)
def fori_reversed_bounds(L):
    return lambda x: L.fori_loop(3, 1, lambda i, v: v * v + i, x)


@program(*V3)
def fori_index(L):
    return lambda x: L.fori_loop(-1, 3, lambda i, v: L.np.sin(v) * i + v, x)


@program(*S)
def fori_traced_bounds(L):
    # traced upper bound: a while_loop in both libraries
    def f(x):
        n = L.np.where(x > 0, 3, 0)
        return L.fori_loop(0, n, lambda i, v: v * 0.5 + L.np.sin(v), x)
    return f


@program(*S)
def fori_traced_bounds_empty(L):
    def f(x):
        n = L.np.where(x > 0, 0, 0)
        return L.fori_loop(n, n, lambda i, v: v * v, x)
    return f


# ---- while_loop


@program(*V3)
def while_false_at_once(L):
    def f(x):
        return L.while_loop(lambda c: c[0] < 0, lambda c: (c[0] + 1, c[1] * c[1]), (0, x))[1]
    return f


@program(*S)
def while_nan_predicate(L):
    # x < nan is False: no step
    def f(x):
        return L.while_loop(lambda v: v < x * nan, lambda v: v * 2.0, x)
    return f


@program((0.3,), (2.0,), (0.0,), (-0.5,), (nan,))
def while_countdown(L):
    def f(x):
        k, v = L.while_loop(lambda c: (c[0] < 5) & (L.np.abs(c[1]) < 100.0),
                            lambda c: (c[0] + 1, c[1] * 2.0 + 1.0), (0, x))
        return v * k
    return f


@program((2.5,), (0.0,), (-1.0,), (nan,), (-inf,))
def while_trip_count_only(L):
    # x reaches the loop through its predicate alone: the derivative is 0 (times the rest)
    def f(x):
        n = L.while_loop(lambda c: c < x, lambda c: c + 1.0, 0.0)
        return x * x * n
    return f


@program((2.5,), (0.0,), (7.0,))
def fori_traced_lower_bound(L):
    def f(x):
        return x * L.fori_loop(L.np.floor(x).astype(L.np.int64), 5, lambda i, c: c * 2.0, 1.0)
    return f


# ---- cond / switch


@program(*S)
def cond_basic(L):
    return lambda x: L.cond(x > 0, L.np.sin, lambda v: v * v, x)


@program((-1.0,), (0.0,), (-0.0,), (4.0,), (-inf,), (nan,))
def cond_nan_untaken_branch(L):
    # sqrt and log of the negative side are NaN in the branch not taken
    return lambda x: L.cond(x > 0, lambda v: L.np.sqrt(v) + L.np.log(v), lambda v: 3.0 * v, x)


@program((1.0, nan), (nan, 2.0), (-0.0, inf), (2.0, -3.0))
def cond_nan_operand(L):
    # the operand of the branch not taken is NaN: the gradient it gets is 0, not NaN
    def f(x, y):
        return L.cond(L.np.isfinite(y), lambda a, b: a * b, lambda a, b: a * 2.0, x, y)
    return f


@program((nan, 1.0), (1.0, nan), (nan, nan), (0.0, -0.0))
def cond_nan_predicate(L):
    def f(x, y):
        return L.cond(x >= y, lambda a, b: a - b * 2.0, lambda a, b: b * a, x, y)
    return f


@program(*V3)
def cond_pytree(L):
    def f(x):
        ops = {"a": x, "b": (x[0], None)}
        return L.cond(x[2] > 0, lambda d: (d["a"] * d["b"][0], {"c": d["b"][0]}),
                      lambda d: (d["a"] + 1.0, {"c": d["b"][0] * 3.0}), ops)
    return f


@program(*V3)
def cond_closure(L):
    def f(x):
        w = x[0] * x[1]
        return L.cond(x[2] > 1.0, lambda v: v * w, lambda v: v + w, x)
    return f


@program(*S)
def switch_index_clamped(L):
    def f(x):
        fs = [lambda v: v + 1.0, lambda v: v * v, lambda v: L.np.sin(v)]
        return (L.switch(5, fs, x), L.switch(-3, fs, x), L.switch(1, fs, x))
    return f


@program(*S)
def switch_traced_index(L):
    # the index is traced, out of range on both sides depending on x
    def f(x):
        i = L.np.where(x > 0, 7, -2) + L.np.where(L.np.isnan(x), 2, 0)
        fs = [lambda v: v * 3.0, lambda v: L.np.exp(v), lambda v: L.np.sqrt(v)]
        return L.switch(i, fs, x)
    return f


@program((-1.0,), (0.5,), (0.0,), (nan,), (-inf,))
def switch_nan_untaken(L):
    def f(x):
        i = (x >= 0).astype(L.np.int32)
        return L.switch(i, [lambda v: 2.0 * v, lambda v: L.np.log(v) + 1.0 / v], x)
    return f


# ---- custom_jvp


@program(*S)
def custom_jvp_basic(L):
    @L.custom_jvp
    def log1pexp(x):
        return L.np.log1p(L.np.exp(x))

    @log1pexp.defjvp
    def rule(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t * (1.0 / (1.0 + L.np.exp(-x)))

    return lambda x: log1pexp(x) * 2.0


@program(*V3)
def custom_jvp_nondiff(L):
    @functools.partial(L.custom_jvp, nondiff_argnums=(1,))
    def power(x, n):
        return x ** n

    @power.defjvp
    def rule(n, primals, tangents):
        (x,), (t,) = primals, tangents
        return power(x, n), n * x ** (n - 1) * t

    return lambda x: power(x, 3.0) + power(x, 1.0)


@program(*V3)
def custom_jvp_pytree(L):
    @L.custom_jvp
    def f(d):
        return {"s": L.np.sin(d["x"]) * d["y"][0], "t": (d["x"] * d["x"],)}

    @f.defjvp
    def rule(primals, tangents):
        (d,), (t,) = primals, tangents
        x, y = d["x"], d["y"][0]
        tx, ty = t["x"], t["y"][0]
        return f(d), {"s": L.np.cos(x) * y * tx + L.np.sin(x) * ty, "t": (2.0 * x * tx,)}

    return lambda x: f({"x": x, "y": (x[0] + 1.0,)})


@program(*V3)
def custom_jvp_zero_tangent(L):
    @L.custom_jvp
    def floor_like(x):
        return x - L.np.sin(x)

    @floor_like.defjvp
    def rule(primals, tangents):
        (x,), (t,) = primals, tangents
        return floor_like(x), L.np.zeros_like(t)

    return lambda x: floor_like(x) * x


def _jax_custom_jvp_closure(L):
    # JAX refuses a rule that closes over a traced value (UnexpectedTracerError): the closed
    # value is an argument here, differentiated through the function (docs/custom-rules.md)
    def model(x, y):
        @jax.custom_jvp
        def g(a, y):
            return jnp.sin(a) * y

        @g.defjvp
        def g_jvp(primals, tangents):
            (a, y), (t, ty) = primals, tangents
            return g(a, y), jnp.cos(a) * y * t + jnp.sin(a) * ty

        return g(x, y) + y
    return model


def _jax_custom_vjp_closure(L):
    def model(x, y):
        @jax.custom_vjp
        def g(a, y):
            return jnp.sin(a) * y

        g.defvjp(lambda a, y: (g(a, y), (jnp.cos(a), jnp.sin(a), y)),
                 lambda r, ct: (r[0] * r[2] * ct, r[1] * ct))
        return g(x, y) + y
    return model


CLOSURE_CASES = ((np.array([0.1, 0.7]), np.array([0.5, 2.0])),
                 (np.array([-0.0, nan]), np.array([1.0, -1.0])))


@program(*CLOSURE_CASES, jax_build=_jax_custom_jvp_closure)
def custom_jvp_closure(L):
    def model(x, y):
        @L.custom_jvp
        def g(a):
            return L.np.sin(a) * y

        @g.defjvp
        def g_jvp(primals, tangents):
            (a,), (t,) = primals, tangents
            return g(a), L.np.cos(a) * y * t

        return g(x) + y
    return model


# ---- custom_vjp


@program(*V3)
def custom_vjp_clip(L):
    @L.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (L.np.clip(g, -1.0, 1.0),))
    return lambda x: clip_gradient(x) * x * 3.0


@program(*V3)
def custom_vjp_nondiff(L):
    @functools.partial(L.custom_vjp, nondiff_argnums=(1,))
    def scaled_sin(x, s):
        return x * s + L.np.sin(x)

    scaled_sin.defvjp(lambda x, s: (scaled_sin(x, s), L.np.cos(x)),
                      lambda s, cos_x, g: (g * (s + cos_x),))
    return lambda x: scaled_sin(x, 2.5)


@program(*V3)
def custom_vjp_pytree_none(L):
    @L.custom_vjp
    def f(d, z):
        return (d["a"] * d["b"], {"c": L.np.sin(z)})

    def fwd(d, z):
        return f(d, z), (d, z)

    def bwd(res, ct):
        (d, z), (g0, gc) = res, ct
        # None for the sub-tree d["b"] and for z: zero cotangents
        return {"a": g0 * d["b"], "b": None}, None

    f.defvjp(fwd, bwd)
    return lambda x: f({"a": x, "b": x[::-1]}, x * 2.0)


@program(*V3)
def custom_vjp_zero_bwd(L):
    @L.custom_vjp
    def f(x):
        return L.np.exp(x)

    f.defvjp(lambda x: (f(x), x), lambda x, g: (L.np.zeros_like(g),))
    return lambda x: f(x) + x


@program(*CLOSURE_CASES, jax_build=_jax_custom_vjp_closure)
def custom_vjp_closure(L):
    def model(x, y):
        @L.custom_vjp
        def g(a):
            return L.np.sin(a) * y

        g.defvjp(lambda a: (g(a), L.np.cos(a)), lambda c, ct: (c * y * ct,))
        return g(x) + y
    return model


@program(*V3)
def custom_vjp_in_scan(L):
    @L.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (L.np.clip(g, -1.0, 1.0),))

    return lambda x: L.scan(lambda c, xi: (clip_gradient(c * xi) * 2.0, c), 1.5, x)


# ---- checkpoint


def _checkpoint_program(policy):
    def build(L):
        def block(h, w):
            return L.np.tanh(L.np.dot(w, h)) * h

        blk = L.checkpoint(block, policy=L.policies[policy])

        def f(x):
            w = L.np.outer(x, x) * 0.1 + 0.5
            return L.np.sum(blk(blk(x, w), w) ** 2)
        return f
    build.__name__ = f"checkpoint_{policy}"
    return program(*V3)(build)


for _p in ("none", "nothing", "everything", "dots"):
    _checkpoint_program(_p)


@program(*V3)
def checkpoint_in_scan(L):
    step = L.checkpoint(lambda c, xi: (L.np.sin(c) * xi + c, c * c))
    return lambda x: L.scan(step, x[0], x)


# ---- implicit


@program(*SPOS)
def custom_root_sqrt(L):
    def newton(f, x0):
        return L.fori_loop(0, 60, lambda i, x: x - f(x) / (2.0 * x), x0)

    def sqrt(a):
        return L.custom_root(lambda x: x * x - a, 1.0 + a, newton, lambda g, y: y / g(1.0))
    return sqrt


@program((0.5,), (1.0,), (0.0,), (-0.7,))
def fixed_point_cos(L):
    return lambda a: L.fixed_point(lambda x, a: a * L.np.cos(x), 0.0, a)


# ---- pure_callback with a custom derivative


@program(*V3)
def callback_custom_jvp(L):
    @L.custom_jvp
    def sin(x):
        return L.pure_callback(np.sin, L.ShapeDtypeStruct(x.shape, x.dtype), x,
                               vmap_method="sequential")

    @sin.defjvp
    def rule(primals, tangents):
        (x,), (t,) = primals, tangents
        return sin(x), L.np.cos(x) * t

    return lambda x: sin(x) * x


# ---- more compositions


@program(*V3)
def cond_constant_branches(L):
    # one branch ignores its operand, the other returns it unchanged
    return lambda x: L.cond(x[0] > 0, lambda v: L.np.ones_like(v) * 2.0, lambda v: v, x)


@program(*S)
def cond_closure_only(L):
    # no operands: the branches read x through their closures
    return lambda x: L.cond(x > 1.0, lambda: L.np.exp(x), lambda: x * x)


@program(*V3)
def cond_in_fori(L):
    def body(i, v):
        return L.cond(i % 2 == 0, lambda u: u * 0.5 + L.np.sin(u), lambda u: u - 1.0, v)
    return lambda x: L.fori_loop(0, 4, body, x)


@program(*V3)
def scan_in_scan(L):
    def inner(c, xi):
        return c * xi + 1.0, c

    def outer(c, xi):
        c2, ys = L.scan(inner, c, xi * L.np.arange(1.0, 3.0))
        return c2 * 0.5, L.np.sum(ys)
    return lambda x: L.scan(outer, 1.0, x)


@program(*V3)
def scan_carry_unused(L):
    return lambda x: L.scan(lambda c, xi: (c, L.np.sin(xi) * xi), x[0], x)


@program((np.array([[0.5, -1.0], [2.0, 0.0]]),), (np.array([[nan, 1.0], [-0.0, inf]]),),
         (np.array([[1.0, 2.0], [3.0, 4.0]]),))
def scan_matrix_xs(L):
    # rows of a matrix; vmap_axis1 batches the columns
    def step(c, row):
        return L.np.tanh(c * row[0] + row[1]), c * row
    return lambda m: L.scan(step, 0.25, m)


@program((0.3, 2.0), (2.0, 0.5), (0.0, -1.0), (nan, 1.0))
def while_closure_jvp(L):
    # the body closes over y: forward mode reaches it
    def f(x, y):
        return L.while_loop(lambda v: L.np.abs(v) < 10.0, lambda v: v * 2.0 + y, x)
    return f


@program(*S)
def switch_pytree(L):
    def f(x):
        fs = [lambda d: {"u": d["a"] * 2.0, "v": (d["a"],)},
              lambda d: {"u": L.np.cos(d["a"]), "v": (d["a"] * d["a"],)}]
        return L.switch((x > 0).astype(L.np.int32), fs, {"a": x})
    return f


@program(*V3)
def custom_jvp_in_cond_in_scan(L):
    @L.custom_jvp
    def safe_log(x):
        return L.np.log(x)

    @safe_log.defjvp
    def rule(primals, tangents):
        (x,), (t,) = primals, tangents
        return safe_log(x), t / x

    def step(c, xi):
        y = L.cond(xi > 0, safe_log, lambda v: v * 0.0, xi)
        return c + y, y
    return lambda x: L.scan(step, 0.0, x)


@program(*V3)
def custom_jvp_callable_nondiff(L):
    @functools.partial(L.custom_jvp, nondiff_argnums=(0,))
    def apply(fn, x):
        return fn(x)

    @apply.defjvp
    def rule(fn, primals, tangents):
        (x,), (t,) = primals, tangents
        return apply(fn, x), t * 2.0

    return lambda x: apply(L.np.sin, x) * x


@program(*V3)
def custom_vjp_residual_pytree(L):
    @L.custom_vjp
    def f(x):
        return L.np.sin(x) * 2.0

    def fwd(x):
        return f(x), {"c": L.np.cos(x), "none": None, "t": (x, 2.0)}

    def bwd(res, g):
        return (res["c"] * res["t"][1] * g,)

    f.defvjp(fwd, bwd)
    return lambda x: f(x) * x


@program(*V3)
def checkpoint_closure(L):
    def f(x):
        w = L.np.sum(x)
        blk = L.checkpoint(lambda h: {"a": L.np.sin(h * w), "b": (h * h,)})
        out = blk(x)
        return out["a"] + out["b"][0]
    return f


@program(*V3)
def checkpoint_grad_in_scan(L):
    # a checkpointed body differentiated inside the loop
    body = L.checkpoint(lambda c, xi: (c * L.np.cos(xi) + xi, c))
    return lambda x: L.scan(body, x[1], x[::-1])


@program((np.array([0.5, 0.2]),), (np.array([1.0, -0.3]),), (np.array([0.0, 0.0]),))
def fixed_point_pytree(L):
    def f(x):
        return L.fixed_point(lambda v, a: (a[0] * L.np.cos(v[0]), 0.5 * v[0] + a[1]),
                             (0.0, 0.0), x)
    return f


@program(*V3)
def callback_vmap_methods(L):
    @L.custom_jvp
    def exp(x):
        return L.pure_callback(np.exp, L.ShapeDtypeStruct(x.shape, x.dtype), x,
                               vmap_method="expand_dims")

    @exp.defjvp
    def rule(primals, tangents):
        (x,), (t,) = primals, tangents
        return exp(x), exp(x) * t

    return lambda x: exp(x) * x


# --------------------------------------------------------------------------- transforms


def _floats(L, out):
    return [v for v in L.leaves(out) if np.dtype(v.dtype).kind == "f"]


def _scalar(L, f):
    """The sum of every float leaf of ``f``'s result: what ``grad`` differentiates."""

    def s(*a):
        leaves = _floats(L, f(*a))
        return functools.reduce(lambda u, v: u + v, [L.np.sum(v) for v in leaves])
    return s


def _direction(shape, dtype, k=0):
    """A fixed tangent or cotangent (no special values: those are in the inputs)."""
    n = int(np.prod(shape))
    return (0.5 + 0.25 * ((np.arange(n) + k) % 5)).reshape(shape).astype(dtype)


def _all(args):
    return tuple(range(len(args)))


def t_value(L, f):
    return f


def t_jit(L, f):
    return L.jit(f)


def t_grad(L, f):
    return lambda *a: L.grad(_scalar(L, f), argnums=_all(a))(*a)


def t_jvp(L, f):
    def run(*a):
        tangents = tuple(_direction(np.shape(x), x.dtype, k) for k, x in enumerate(a))
        return L.jvp(f, a, tangents)
    return run


def t_vjp(L, f):
    def run(*a):
        out, fn = L.vjp(f, *a)
        leaves, treedef = jax.tree_util.tree_flatten(out)
        cts = [_direction(np.shape(v), v.dtype, k + 1) for k, v in enumerate(leaves)]
        return out, fn(jax.tree_util.tree_unflatten(treedef, cts))
    return run


def t_jit_grad(L, f):
    return L.jit(t_grad(L, f))


def t_grad_grad(L, f):
    def run(*a):
        g = t_grad(L, f)
        return L.grad(lambda *b: _scalar(L, g)(*b), argnums=_all(a))(*a)
    return run


def t_jacfwd(L, f):
    return lambda *a: L.jacfwd(f, argnums=_all(a))(*a)


def t_jacrev(L, f):
    return lambda *a: L.jacrev(f, argnums=_all(a))(*a)


def t_vmap(L, f):
    return lambda *a: L.vmap(f)(*a)


def t_vmap_none(L, f):
    # the program's own arguments are not batched; a dummy first one is
    def run(s, *a):
        return L.vmap(lambda s, *b: (f(*b), s), in_axes=(0,) + (None,) * len(a))(s, *a)
    return run


def t_vmap_axis1(L, f):
    def run(*a):
        axes = tuple(1 if np.ndim(x) > 1 else 0 for x in a)
        return L.vmap(f, in_axes=axes)(*a)
    return run


def t_vmap_mixed(L, f):
    # first argument batched, the others not
    def run(*a):
        return L.vmap(f, in_axes=(0,) + (None,) * (len(a) - 1))(*a)
    return run


def t_vmap_grad(L, f):
    return lambda *a: L.vmap(t_grad(L, f))(*a)


# name -> (transform, how its data is made: "point" per case, or a batch of every case)
TRANSFORMS = {
    "value": (t_value, "point"), "jit": (t_jit, "point"), "grad": (t_grad, "point"),
    "jvp": (t_jvp, "point"), "vjp": (t_vjp, "point"), "jit_grad": (t_jit_grad, "point"),
    "grad_grad": (t_grad_grad, "point"), "jacfwd": (t_jacfwd, "point"),
    "jacrev": (t_jacrev, "point"), "vmap": (t_vmap, "batch"),
    "vmap_none": (t_vmap_none, "dummy"), "vmap_axis1": (t_vmap_axis1, "axis1"),
    "vmap_mixed": (t_vmap_mixed, "mixed"), "vmap_grad": (t_vmap_grad, "batch"),
}


def data(kind, cases):
    """The argument tuples a transform runs on."""
    if kind == "point":
        return cases
    batch = tuple(np.stack(xs) for xs in zip(*cases))
    if kind == "batch":
        return [batch]
    if kind == "dummy":
        return [(np.arange(3.0),) + c for c in cases[:2]]
    if kind == "axis1":
        return [tuple(np.moveaxis(b, 0, 1) if b.ndim > 1 else b for b in batch)]
    if kind == "mixed":
        return [(batch[0],) + c[1:] for c in cases[:2]]
    raise ValueError(kind)


# --------------------------------------------------------------------------- comparison


def _leaves(out):
    return jax.tree_util.tree_flatten(out)


def _values(tname, out):
    """The part of a transform's result that is a value of the program (not a derivative):
    there the signs of zeros are compared too."""
    if tname in ("jvp", "vjp"):
        return out[0]
    if tname in ("value", "jit", "vmap", "vmap_none", "vmap_axis1", "vmap_mixed"):
        return out
    return None


def _close(got, want):
    """None if ``got`` is ``want`` to 1e-10 (NaN where NaN, infinities alike); else why."""
    g_leaves, g_tree = _leaves(got)
    w_leaves, w_tree = _leaves(want)
    if g_tree != w_tree:
        return f"structure: {g_tree} vs JAX {w_tree}"
    for k, (g, w) in enumerate(zip(g_leaves, w_leaves)):
        g, w = np.asarray(g), np.asarray(w)
        if g.shape != w.shape or g.dtype != w.dtype:
            return f"leaf {k}: {g.dtype}{g.shape} vs JAX {w.dtype}{w.shape}"
        if g.dtype.kind not in "fc":
            if not np.array_equal(g, w):
                return f"leaf {k}: {g!r} vs JAX {w!r}"
            continue
        with np.errstate(all="ignore"):
            ok = (g == w) | (np.isnan(g) & np.isnan(w)) | (
                np.isfinite(g) & np.isfinite(w) & (np.abs(g - w) <= 1e-12 + 1e-10 * np.abs(w)))
        if not ok.all():
            return f"leaf {k}: {g!r} vs JAX {w!r}"
    return None


def _zero_signs(got, want):
    for k, (g, w) in enumerate(zip(_leaves(got)[0], _leaves(want)[0])):
        g, w = np.asarray(g), np.asarray(w)
        zeros = (g == 0) & (w == 0)
        if g.dtype.kind == "f" and (np.signbit(g[zeros]) != np.signbit(w[zeros])).any():
            return f"signs of zero, leaf {k}: {g!r} vs JAX {w!r}"
    return None


def _bitwise(got, want):
    g_leaves, g_tree = _leaves(got)
    w_leaves, w_tree = _leaves(want)
    if g_tree != w_tree:
        return f"structure: {g_tree} vs {w_tree}"
    for k, (g, w) in enumerate(zip(g_leaves, w_leaves)):
        d = exact_difference(np.asarray(w), np.asarray(g))
        if d:
            return f"leaf {k}: {d}"
    return None


def _run(fn, args):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return jax.tree_util.tree_map(np.asarray, fn(*args)), None
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return None, e


def _fd_difference(f, args, tangents, tangent_out, h=1e-6):
    """Where JAX refuses forward mode: wire's tangent against central differences of the
    program's value (compared where both are finite), None if they agree."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        hi = f(*[a + h * t for a, t in zip(args, tangents)])
        lo = f(*[a - h * t for a, t in zip(args, tangents)])
        for k, (u, v, t) in enumerate(zip(_leaves(hi)[0], _leaves(lo)[0],
                                          _leaves(tangent_out)[0])):
            fd = (np.asarray(u) - np.asarray(v)) / (2 * h)
            t = np.asarray(t)
            both = np.isfinite(fd) & np.isfinite(t)
            if (np.abs(fd - t)[both] > 1e-5 * (1.0 + np.abs(fd[both]))).any():
                return f"leaf {k}: tangent {t!r}, central differences {fd!r}"
    return None


def _along(tname, result, tangents):
    """The tangent of the outputs along ``tangents``: ``jvp``'s, or ``jacfwd``'s Jacobian
    (one array per output leaf and argument) applied to them."""
    if tname == "jvp":
        return result[1]
    jac, n = _leaves(result)[0], len(tangents)
    return [sum(np.tensordot(jac[i * n + a], t, axes=np.ndim(t)) for a, t in enumerate(tangents))
            for i in range(len(jac) // n)]


@functools.lru_cache(maxsize=None)
def wire_results(prog, tname):
    """wire's eager and jitted results ``[(eager, error, jitted, error)]``, one per data."""
    build_w, _, cases = PROGRAMS[prog]
    transform, kind = TRANSFORMS[tname]
    f_w = build_w(W)
    return [_run(transform(W, f_w), args) + _run(W.jit(transform(W, f_w)), args)
            for args in data(kind, cases)]


def eager_vs_jit(prog, tname):
    """``[(case, message)]`` where ``wire.jit`` of the transform is not the eager result."""
    out = []
    for k, (w, w_err, wj, wj_err) in enumerate(wire_results(prog, tname)):
        if w_err is None and wj_err is None:
            d = _bitwise(wj, w)
            if d:
                out.append((k, d))
        elif (w_err is None) != (wj_err is None):
            out.append((k, f"eager: {w_err!r}, jit: {wj_err!r}"))
    return out


def compare(prog, tname):
    """``[(case, class, message)]`` for program ``prog`` under transform ``tname`` against
    JAX; the class is ``agree``, ``both raise``, ``wire raises``, ``jax raises``,
    ``differ``, ``sign of zero`` (of a value), ``sign of a zero derivative``, ``not a
    WireError`` or ``forward mode checked`` (JAX refuses, central differences agree)."""
    build_w, build_j, cases = PROGRAMS[prog]
    transform, kind = TRANSFORMS[tname]
    f_j = build_j(J)
    # JAX compiles its program once for every case (they have the same shapes)
    jax_fn = jax.jit(transform(J, f_j))
    out = []
    for k, (args, (w, w_err, _, _)) in enumerate(zip(data(kind, cases),
                                                       wire_results(prog, tname))):
        j, j_err = _run(jax_fn, args)
        if w_err is None and (j_err is not None or _close(w, j)):
            # XLA simplifies what JAX's own transforms leave (0 * nan to 0 in a Jacobian's
            # basis): JAX without jit is the reference then
            j, j_err = _run(transform(J, f_j), args)
        if w_err is not None and not isinstance(w_err, wire.WireError):
            out.append((k, "not a WireError", repr(w_err)))
        elif w_err is not None and j_err is not None:
            out.append((k, "both raise", f"{type(w_err).__name__} / {type(j_err).__name__}"))
        elif w_err is not None:
            out.append((k, "wire raises", f"{w_err!r}"[:400]))
        elif j_err is not None:
            if tname in ("jvp", "jacfwd") and "forward-mode" in str(j_err):
                tangents = tuple(_direction(np.shape(x), x.dtype, i) for i, x in enumerate(args))
                d = _fd_difference(build_w(W), args, tangents, _along(tname, w, tangents))
                out.append((k, "differ", d) if d else (k, "forward mode checked", ""))
            else:
                out.append((k, "jax raises", f"{j_err!r}"[:400]))
        elif _close(w, j):
            out.append((k, "differ", _close(w, j)))
        elif _values(tname, w) is not None and _zero_signs(_values(tname, w),
                                                           _values(tname, j)):
            out.append((k, "sign of zero", _zero_signs(_values(tname, w), _values(tname, j))))
        elif _zero_signs(w, j):
            out.append((k, "sign of a zero derivative", _zero_signs(w, j)))
        else:
            out.append((k, "agree", ""))
    return out


# --------------------------------------------------------------------------- triage

# (program, transform, case) -> why wire's result is right where JAX's is not, checked by hand
JAX_WRONG = {
    ("scan_length1", "jacrev", 3):
        "d carry/d x[1] = xs[0] + cos(c) = inf at xs[0] = inf; JAX's transposed scan also "
        "multiplies the zero cotangent of ys by xs[0] (0 * inf = NaN)",
    ("custom_jvp_nondiff", "grad_grad", 1):
        "the rule's 1.0 * x ** 0.0 is 1: its derivative at x = 0 is 0; JAX's power gives "
        "0 * x ** -1 = NaN",
}

# classes that need no entry: both refuse; JAX refuses forward mode through a custom_vjp
# (docs/custom-rules.md: wire differentiates the function, checked here by central
# differences); the sign of a zero derivative, which derivative graphs do not keep
# (docs/special-values.md: they are simplified)
FINE = {"agree", "both raise", "forward mode checked", "sign of a zero derivative"}

# what CI runs of every program (about 40 s of CPU); ``-m slow`` adds the other transforms
CI_BITWISE = ("value", "jit", "grad", "jvp", "vmap", "vmap_grad")
CI_JAX = ("value", "grad")


def _slow_selected(config) -> bool:
    return slow_selected(config)


def pytest_generate_tests(metafunc):
    """Every program under the CI transforms; under ``-m slow`` the rest of them too."""
    if "prog" not in metafunc.fixturenames:
        return
    ci = CI_BITWISE if metafunc.function is test_jit_is_eager_to_the_bit else CI_JAX
    slow = _slow_selected(metafunc.config)
    params = [pytest.param(p, t, id=f"{p}-{t}", marks=() if t in ci else pytest.mark.slow)
              for p in PROGRAMS for t in TRANSFORMS if slow or t in ci]
    metafunc.parametrize("prog, tname", params)


# wire bugs not fixed yet: (program, transform) -> the failing test that shows it alone
KNOWN_WIRE_BUGS: dict = {}


def test_jit_is_eager_to_the_bit(prog, tname):
    """``wire.jit`` of every transform of every program gives the eager result to the bit
    (NaN equal to NaN, zeros by sign), or the same error."""
    bad = eager_vs_jit(prog, tname)
    if bad and (prog, tname) in KNOWN_WIRE_BUGS:
        pytest.xfail(KNOWN_WIRE_BUGS[prog, tname])
    assert bad == []


def test_against_jax(prog, tname):
    bad = []
    for k, cls, msg in compare(prog, tname):
        if cls in FINE or (prog, tname, k) in JAX_WRONG:
            continue
        bad.append(f"case {k}: {cls}: {msg}")
    if bad and (prog, tname) in KNOWN_WIRE_BUGS:
        pytest.xfail(KNOWN_WIRE_BUGS[prog, tname])
    assert not bad, "\n".join(bad)


def test_jit_of_jacfwd_of_a_pytree_fixed_point_after_eager():
    """A memoized derivative graph of the eager call held a value of its trace (the leak
    raised UnexpectedTracerError here)."""
    def f(x):
        return wire.fixed_point(lambda v, a: (a[0] * wnp.cos(v[0]), 0.5 * v[0] + a[1]),
                                (0.0, 0.0), x)

    x = np.array([0.5, 0.2])
    want = wire.jacfwd(f)(x)
    np.testing.assert_allclose(wire.jit(wire.jacfwd(f))(x), want)


@pytest.mark.slow
def test_jax_wrong_entries_still_differ(request):
    """Each JAX_WRONG entry still names a difference (a fixed JAX or a changed program
    would leave a stale reason)."""
    if not _slow_selected(request.config):
        pytest.skip("runs with -m slow")
    for (prog, tname, k), why in JAX_WRONG.items():
        cls = compare(prog, tname)[k][1]
        assert cls == "differ", (prog, tname, k, cls)


X32 = np.array([1.5, 2.0, -0.5], np.float32)
WEAK_CARRY = {
    "scan of a float32 xs from 0.0": lambda L: L.scan(lambda c, x: (c * x + x, c), 0.5, X32),
    "fori_loop over a float32 value from 1.0": lambda L: L.fori_loop(
        0, 3, lambda i, v: v * L.np.take(X32, i), 1.0),
    "while_loop from the int 0 adding 1.5": lambda L: L.while_loop(
        lambda v: v < 3, lambda v: v + 1.5, 0),
    "while_loop from 1.0 times float32": lambda L: L.while_loop(
        lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * X32[0]), (0, 1.0)),
    "fori_loop adding its index to float32": lambda L: L.fori_loop(
        0, 3, lambda i, v: v * 0.5 + i, X32),
    "scan whose body casts a 1.0 carry": lambda L: L.scan(
        lambda c, x: (c.astype(np.float32) * x, None), 1.0, X32),
}


@pytest.mark.parametrize("name", list(WEAK_CARRY))
def test_a_python_number_carry_takes_the_loop_dtype(name):
    """A carry given as a Python number is weakly typed, as in JAX: a float32 body keeps the
    loop float32, and an int that the body makes a float becomes a float (the scan of
    float32 xs from 0.5 was float64; the while_loop adding 1.5 to 0 raised ShapeError). The
    index of a fori_loop with Python-int bounds is weakly typed too (i + a float32 value
    was float64: ShapeError). A carry the body keeps weak comes out of an eager loop as a
    Python number (JAX's is a weakly typed array): compared as np.asarray of it."""
    want = jax.tree_util.tree_map(np.asarray, WEAK_CARRY[name](J))
    got = WEAK_CARRY[name](W)
    jitted = wire.jit(lambda: WEAK_CARRY[name](W))()
    for g in (got, jitted):
        g_leaves, w_leaves = _leaves(g)[0], _leaves(want)[0]
        assert [np.asarray(v).dtype for v in g_leaves] == [v.dtype for v in w_leaves], \
            (g, want)
        for u, v in zip(g_leaves, w_leaves):
            np.testing.assert_allclose(u, v, rtol=1e-6)


def test_a_typed_carry_still_must_keep_its_dtype():
    with pytest.raises(wire.ShapeError, match="body_fn"):
        wire.while_loop(lambda c: c < 3, lambda c: c + 1.5, np.int64(0))
    with pytest.raises(wire.ShapeError, match="carry"):
        wire.scan(lambda c, x: (c.astype(np.float32), None), np.float64(1.0), X32)


def test_a_branch_keeps_its_work_on_closed_over_values():
    """A branch's work on values it closes over ran outside the cond, whichever branch was
    chosen, and its derivative met the branch's zero cotangent there: grad of
    cond(x > 1, exp(x), x * x) at inf was NaN (0 * inf from the branch not taken; JAX: inf),
    its second derivative at -inf and NaN was NaN (JAX: 2, the taken branch's)."""
    f = lambda x: wire.cond(x > 1.0, lambda: wnp.exp(x), lambda: x * x)  # noqa: E731
    for run in (lambda g, x: g(x), lambda g, x: wire.jit(g)(x)):
        assert run(wire.grad(f), inf) == inf
        assert run(wire.grad(wire.grad(f)), -inf) == 2.0
        assert run(wire.grad(wire.grad(f)), nan) == 2.0
    assert "exp" not in [n.op.name for n in wire.trace(f, 2.0).nodes]  # only in its branch


def test_a_scan_of_no_steps_lifts_nothing_out_of_its_body():
    """Loop-invariant work is lifted out of a loop body; for a scan of no steps its
    derivative met the zero cotangent of steps that never ran: d/dw of a scan over no
    steps of c + exp(w) * x was NaN at w = inf (JAX: 0)."""
    def f(w):
        return wire.scan(lambda c, xi: (c + wnp.exp(w) * xi, c), 1.0, np.zeros(0))[0]

    def g(w):
        return wire.fori_loop(3, 3, lambda i, c: c * wnp.exp(w), 1.0)

    for h in (f, g):
        assert wire.grad(h)(inf) == 0.0
        assert wire.jit(wire.grad(h))(inf) == 0.0


def test_while_loop_reverse_mode_through_its_trip_count_only():
    """A while_loop that x reaches only through its predicate (or an integer carry) is
    piecewise constant in x: its derivative is 0, as in JAX (it raised
    NonDifferentiableError); a float carry that depends on x still raises."""
    trips = lambda x: wire.while_loop(lambda c: c < x, lambda c: c + 1.0, 0.0)  # noqa: E731
    f = lambda x: x * x * trips(x)  # noqa: E731
    assert wire.grad(f)(2.5) == 15.0 and wire.jit(wire.grad(f))(2.5) == 15.0
    assert wire.grad(wire.grad(f))(2.5) == 6.0
    lower = lambda x: wire.fori_loop(x.astype(np.int64), 5, lambda i, c: c * 2.0, 1.0)  # noqa
    assert wire.grad(lower)(2.5) == 0.0
    with pytest.raises(wire.NonDifferentiableError, match="fori_loop"):
        wire.grad(lambda x: wire.while_loop(lambda c: c < 10, lambda c: c * x, 1.0))(2.5)


def main(names):
    counts = Counter()
    for prog in names or PROGRAMS:
        for tname in TRANSFORMS:
            for k, msg in eager_vs_jit(prog, tname):
                counts["jit differs from eager"] += 1
                print(f"{prog} {tname} case {k}: jit differs from eager: {msg}")
            for k, cls, msg in compare(prog, tname):
                counts[cls] += 1
                if cls not in ("agree", "both raise", "forward mode checked"):
                    print(f"{prog} {tname} case {k}: {cls}: {msg}")
    print(dict(counts))


if __name__ == "__main__":
    main(sys.argv[1:])
