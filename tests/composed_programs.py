"""The catalogue of the composed-transform suite (tests/test_composed.py): small programs
written once against a namespace ``L`` that is either wire or JAX, so the same program runs
through both libraries' transforms.

``L.np`` is ``wire.numpy`` or ``jax.numpy``; ``L.cond``, ``L.switch``, ``L.scan``,
``L.fori_loop``, ``L.while_loop``, ``L.stop_gradient``, ``L.custom_jvp``, ``L.custom_vjp``,
``L.logsumexp`` and the transforms (``L.grad``, ``L.vmap``, …) are the library's own.

Every program differentiates its first argument; its other arguments are fixed parameters
(floats, integers, pytrees). ``expect`` says where the two libraries are *meant* to differ:
``{transform: (kind, reason)}`` with kind ``"convention"`` (both are right, by different
rules), ``"jax-lacks"`` (JAX refuses what wire does) or ``"both-refuse"`` (neither
differentiates it, e.g. reverse mode through a while loop). A transform named ``"*fwd"``
covers every forward-mode transform (jvp, linearize, jacfwd). Anything else must agree.
"""

from __future__ import annotations

import functools
import itertools
from typing import Callable, NamedTuple

import numpy as np


class Lib:
    """The names a program may use, from wire or from JAX."""

    def __init__(self, name: str):
        self.name = name
        if name == "wire":
            import wire
            import wire.numpy as wnp

            self.np, self.t = wnp, wire
            self.cond, self.switch, self.scan = wire.cond, wire.switch, wire.scan
            self.fori_loop, self.while_loop = wire.fori_loop, wire.while_loop
            self.stop_gradient = wire.stop_gradient
            self.custom_jvp = _module_level(wire.custom_jvp)
            self.custom_vjp = _module_level(wire.custom_vjp)
            self.logsumexp = wire.scipy.special.logsumexp
        else:
            import jax
            import jax.numpy as jnp
            import jax.scipy.special

            self.np, self.t = jnp, jax
            lax = jax.lax
            self.cond, self.switch, self.scan = lax.cond, lax.switch, lax.scan
            self.fori_loop, self.while_loop = lax.fori_loop, lax.while_loop
            self.stop_gradient = jax.lax.stop_gradient
            self.custom_jvp, self.custom_vjp = jax.custom_jvp, jax.custom_vjp
            self.logsumexp = jax.scipy.special.logsumexp


_SAVED = itertools.count()


def _module_level(kind):
    """``kind`` (wire.custom_jvp/custom_vjp) whose objects are also bound to a name of this
    module, as a custom function defined at module level is: wire.save keeps a custom rule
    by reference to its module and name, so the programs' rules can be saved and loaded."""

    def make(fun, nondiff_argnums=()):
        obj = kind(fun, nondiff_argnums=nondiff_argnums)
        globals()[f"_custom_{fun.__name__}_{next(_SAVED)}"] = obj
        return obj

    return make


class Program(NamedTuple):
    name: str
    tags: tuple
    build: Callable  # build(L) -> f
    args: Callable  # args(rng, dtype) -> tuple of arguments
    expect: dict = {}
    nondiff: bool = False  # no derivative transforms at all (integer outputs)


PROGRAMS: list[Program] = []


def program(name, tags, args, expect=None):
    def register(build):
        PROGRAMS.append(Program(name, tuple(tags.split()), build, args, expect or {}))
        return build

    return register


def vec(n=3, lo=-1.5, hi=1.5):
    def make(rng, dt):
        return (rng.uniform(lo, hi, size=n).astype(dt),)

    return make


def vec_and(*extra):
    """A vector to differentiate, then fixed arguments made by ``extra`` (rng, dtype)."""

    def make(rng, dt):
        return (rng.uniform(-1.5, 1.5, size=3).astype(dt),) + tuple(e(rng, dt) for e in extra)

    return make


def spd(n):
    def make(rng, dt):
        a = rng.normal(size=(n, n))
        return (a @ a.T + n * np.eye(n)).astype(dt)

    return make


def mat(shape, lo=-1.0, hi=1.0):
    return lambda rng, dt: rng.uniform(lo, hi, size=shape).astype(dt)


def scalar(lo=-1.0, hi=1.0):
    return lambda rng, dt: np.asarray(rng.uniform(lo, hi), dtype=dt)


# fmt: off
# --------------------------------------------------------------------------- elementwise

@program("sin_times_x", "elementwise", vec())
def _(L):
    return lambda x: L.np.sin(x) * x


@program("softplus_chain", "elementwise", vec(4))
def _(L):
    return lambda x: L.np.log1p(L.np.exp(L.np.tanh(x) * 2.0 + 0.5))


@program("powers_and_division", "elementwise", vec_and(mat((3,))))
def _(L):
    return lambda x, y: (x ** 3 - 2.0 * x ** 2) / (1.0 + y ** 2)


@program("where_select", "elementwise control", vec(5, 0.2, 1.5))
def _(L):
    return lambda x: L.np.where(x > 0.7, x ** 2, L.np.sin(x))


@program("maximum_clip", "elementwise", vec_and(mat((3,))))
def _(L):
    return lambda x, y: L.np.maximum(x, y + 0.05) + L.np.clip(x, -0.4, 0.6) * y


@program("sqrt_abs_hypot", "elementwise", vec(3, 0.3, 1.5))
def _(L):
    return lambda x: L.np.sqrt(L.np.abs(x) + 1.0) + L.np.hypot(x, 2.0 * x + 1.0)


@program("arctan2_expm1", "elementwise", vec_and(mat((3,), 0.5, 1.5)))
def _(L):
    return lambda x, y: L.np.arctan2(x, y) * L.np.expm1(x / 2.0)


# --------------------------------------------------------------------------- broadcasting edges

@program("outer_broadcast", "broadcasting", vec_and(mat((4,))))
def _(L):
    return lambda x, y: L.np.tanh(x[:, None] * y[None, :]) - x[:, None]


@program("size_one_axes", "broadcasting", lambda rng, dt: (rng.normal(size=(3, 1)).astype(dt),
                                                             rng.normal(size=(1, 4)).astype(dt)))
def _(L):
    return lambda x, y: L.np.sin(x + y) * x


@program("zero_d_input", "broadcasting", lambda rng, dt: (np.asarray(0.7, dt), mat((2, 3))(rng, dt)))
def _(L):
    return lambda s, m: L.np.exp(s * m) + s ** 2


@program("weak_python_scalars", "broadcasting dtypes", vec())
def _(L):
    return lambda x: x * 2 + 0.5 * x ** 2 - 3


@program("keepdims_normalize", "broadcasting reductions", lambda rng, dt: (mat((4, 3))(rng, dt),))
def _(L):
    def f(x):
        c = x - L.np.mean(x, axis=0, keepdims=True)
        return c / L.np.sqrt(L.np.mean(c * c, axis=0, keepdims=True) + 1e-3)
    return f


# --------------------------------------------------------------------------- reductions, indexing

@program("logsumexp_softmax", "reductions", vec(5))
def _(L):
    def f(x):
        z = x - L.stop_gradient(L.np.max(x))
        return L.np.exp(z) / L.np.sum(L.np.exp(z)) + L.logsumexp(x)
    return f


@program("prod_cumsum_cumprod", "reductions", vec(4, 0.5, 1.5))
def _(L):
    return lambda x: L.np.cumsum(x) * L.np.cumprod(x) + L.np.prod(x)


@program("sort_and_weights", "reductions", vec(5))
def _(L):
    return lambda x: L.np.sort(x) * L.np.arange(5.0, dtype=x.dtype)


@program("var_std_max", "reductions", lambda rng, dt: (mat((3, 4))(rng, dt),))
def _(L):
    return lambda x: L.np.var(x, axis=1) + L.np.std(x) + L.np.max(x, axis=0).sum()


@program("strided_slices_gather", "indexing", vec(6))
def _(L):
    idx = np.array([4, 0, 0, 2])
    return lambda x: x[::2] * x[1::2] + x[idx][:3] ** 2


@program("fancy_indexing_and_take", "indexing", vec(5))
def _(L):
    idx = np.array([[0, 4], [2, 2]])
    return lambda x: x[idx] * x[-1] + L.np.take(x, np.array([3, 1, 1])).sum() * x[1:3, None]


@program("concat_stack_reshape", "shape", vec(6))
def _(L):
    def f(x):
        m = L.np.reshape(x, (2, 3))
        s = L.np.stack([m, m * 2.0])
        return L.np.concatenate([s.reshape(-1), L.np.transpose(m).reshape(-1) ** 2])
    return f


@program("einsum_tensordot", "linalg", lambda rng, dt: (mat((3, 4))(rng, dt), mat((4, 2))(rng, dt)))
def _(L):
    return lambda a, b: L.np.einsum("ij,jk->ik", a, b) + L.np.tensordot(a, a, axes=([1], [1]))[:, :2]


@program("quadratic_form", "linalg", lambda rng, dt: (vec(4)(rng, dt)[0], mat((4, 4))(rng, dt)))
def _(L):
    return lambda x, a: x @ a @ x + L.np.sum((a @ x) ** 2)


# --------------------------------------------------------------------------- linear algebra

@program("solve_inv", "linalg", lambda rng, dt: (spd(3)(rng, dt), mat((3,))(rng, dt)))
def _(L):
    return lambda a, b: L.np.linalg.solve(a, b) + L.np.linalg.inv(a) @ b


@program("det_slogdet", "linalg", lambda rng, dt: (spd(3)(rng, dt),))
def _(L):
    return lambda a: L.np.linalg.det(a) + L.np.linalg.slogdet(a)[1]


@program("cholesky", "linalg", lambda rng, dt: (spd(3)(rng, dt),))
def _(L):
    # symmetrised first: JAX's cholesky symmetrises its input, NumPy's (and wire's) reads
    # the lower triangle only, so they differ in the non-symmetric directions
    return lambda a: L.np.linalg.cholesky((a + a.T) / 2.0)


@program("eigh_spectrum", "linalg", lambda rng, dt: (spd(3)(rng, dt),))
def _(L):
    def f(a):
        w, v = L.np.linalg.eigh((a + a.T) / 2.0)
        return w ** 2, (v * v) @ w  # squares: invariant under the eigenvectors' signs
    return f


@program("svd_values_norm", "linalg", lambda rng, dt: (mat((3, 2))(rng, dt) + np.eye(3, 2).astype(dt),))
def _(L):
    return lambda a: L.np.linalg.svd(a, compute_uv=False) + L.np.linalg.norm(a)


@program("qr_r_diagonal", "linalg", lambda rng, dt: (spd(3)(rng, dt),))
def _(L):
    def f(a):
        q, r = L.np.linalg.qr(a)
        return L.np.abs(L.np.diagonal(r)) + (q @ r).sum(0)
    return f


# --------------------------------------------------------------------------- control flow

@program("cond_scalar_pred", "control", vec_and(scalar(0.2, 1.0)))
def _(L):
    return lambda x, p: L.cond(p > 0.5, lambda v: L.np.sin(v) * v, lambda v: v ** 3, x)


@program("cond_int_operand", "control dtypes", vec())
def _(L):
    return lambda x: L.cond(x.sum() > -10.0, lambda a, k: a * 2.0 + k, lambda a, k: a - k, x, 3)


@program("switch_three", "control", vec())
def _(L):
    fs = [lambda v: v * 2.0, lambda v: L.np.exp(v), lambda v: -v ** 2]
    return lambda x: L.switch(1, fs, x) + L.switch(5, fs, x)


@program("scan_rnn", "control", lambda rng, dt: (mat((3, 3), -0.6, 0.6)(rng, dt), mat((4, 3))(rng, dt)))
def _(L):
    def f(w, xs):
        def step(h, x):
            h = L.np.tanh(w @ h + x)
            return h, h.sum()
        return L.scan(step, L.np.zeros(3, dtype=w.dtype), xs)
    return f


@program("scan_reverse_ys", "control", vec_and(mat((4,))))
def _(L):
    return lambda x, ys: L.scan(lambda c, y: (c * y + x, c * x), x, ys, reverse=True)


_WEAK_CARRY = {"dtype32": ("convention", "a Python-float scan carry meets float32 data: wire "
                                         "keeps the carry float64 (it has no weakly typed "
                                         "traced values), JAX makes it float32")}


@program("scan_unbatched_counter", "control dtypes", vec(), expect=_WEAK_CARRY)
def _(L):
    def f(x):
        def step(c, v):
            n, s = c
            return (n + 1.0, s + v * n), n
        return L.scan(step, (0.0, 0.0), x)
    return f


@program("fori_loop_static", "control", vec())
def _(L):
    # the index cast: an int64 index times a Python float is float64 by NumPy's promotion
    # (wire), float32 beside float32 data by JAX's
    return lambda x: L.fori_loop(0, 4, lambda i, v: L.np.sin(v) * 1.5 + i.astype(v.dtype) * 0.1, x)


@program("nested_scans", "control dtypes", vec(), expect=_WEAK_CARRY)
def _(L):
    def f(x):
        def outer(c, a):
            return L.scan(lambda ci, b: (ci * b + 0.1, None), c, a * x[:2])[0], None
        return L.scan(outer, 1.0, L.np.ones((2, 2), dtype=x.dtype))[0]
    return f


@program("cond_inside_scan", "control dtypes", vec(4), expect=_WEAK_CARRY)
def _(L):
    def f(x):
        def step(c, v):
            return L.cond(v > 0, lambda a: a * v, lambda a: a + v ** 2, c), c
        return L.scan(step, 1.0, x)
    return f


@program("while_loop_forward", "control", vec(3, 0.2, 0.9),
         expect={"*rev": ("both-refuse", "reverse mode through a while_loop: the trip count "
                                         "depends on the data; both libraries refuse")})
def _(L):
    def f(x):
        def body(c):
            k, v = c
            return k + 1, v * 1.1 + 0.1
        return L.while_loop(lambda c: c[0] < 5, body, (0, x))[1]
    return f


# --------------------------------------------------------------------------- custom rules

@program("custom_jvp_log1pexp", "custom", vec(4, -3.0, 3.0))
def _(L):
    @L.custom_jvp
    def log1pexp(x):
        return L.np.log1p(L.np.exp(x))

    @log1pexp.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t / (1.0 + L.np.exp(-x))

    return lambda x: log1pexp(x) * x


@program("custom_jvp_inexact_primal", "custom", vec())
def _(L):
    @L.custom_jvp
    def s(x):
        return L.np.sin(x)

    s.defjvp(lambda p, t: (L.np.sin(p[0]) + 0.0, 2.0 * t[0]))
    return lambda x: x * s(x)


_FWD_OF_CUSTOM_VJP = {"*fwd": ("jax-lacks", "forward mode through a custom_vjp: JAX refuses, "
                                            "wire transposes bwd (tests/test_custom_rules.py "
                                            "checks it against reverse mode)")}
# a bwd that clips its cotangent is not linear in it: no forward derivative to transpose
_FWD_OF_NONLINEAR_BWD = {"*fwd": ("both-refuse", "forward mode through a custom_vjp whose bwd "
                                                 "is not linear in the cotangent")}


@program("custom_vjp_clip_gradient", "custom", vec(3, -0.3, 0.3), expect=_FWD_OF_NONLINEAR_BWD)
def _(L):
    @L.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (L.np.clip(g, -1.0, 1.0),))
    return lambda x: clip_gradient(x) * x * 3.0


@program("custom_vjp_gradient_reversal", "custom", vec(), expect=_FWD_OF_CUSTOM_VJP)
def _(L):
    @L.custom_vjp
    def reverse(x):
        return x

    reverse.defvjp(lambda x: (x, None), lambda _, g: (-g,))
    return lambda x: x * reverse(x) + L.np.sin(x)


@program("custom_jvp_nondiff_power", "custom", vec(3, 0.5, 1.5))
def _(L):
    @functools.partial(L.custom_jvp, nondiff_argnums=(1,))
    def power(x, n):
        return x ** n

    @power.defjvp
    def _jvp(n, primals, tangents):
        (x,), (t,) = primals, tangents
        return power(x, n), n * x ** (n - 1) * t

    return lambda x: power(x, 3.0) + x


@program("custom_vjp_nondiff_scale", "custom", vec(), expect={
    **_FWD_OF_CUSTOM_VJP,
    "hessian": ("jax-lacks", "fwd calls the custom function again, which JAX's forward mode "
                            "(the outer jacfwd) refuses")})
def _(L):
    @functools.partial(L.custom_vjp, nondiff_argnums=(1,))
    def f(x, s):
        return x * s + L.np.sin(x)

    f.defvjp(lambda x, s: (f(x, s), L.np.cos(x)), lambda s, c, g: (g * (s + c),))
    return lambda x: f(x, 2.5)


@program("custom_vjp_in_cond", "custom control", vec(3, 0.05, 0.3), expect=_FWD_OF_NONLINEAR_BWD)
def _(L):
    @L.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (L.np.clip(g, -1.0, 1.0),))
    return lambda x: x * L.cond(x.sum() > 0, lambda v: clip_gradient(v) * 3.0, lambda v: v, x)


# --------------------------------------------------------------------------- stop_gradient

@program("stop_gradient_mix", "stop_gradient", vec())
def _(L):
    return lambda x: x * L.stop_gradient(x ** 2) + L.np.sin(L.stop_gradient(x)) * x


@program("stop_gradient_pytree", "stop_gradient pytrees", vec())
def _(L):
    def f(x):
        p, q = L.stop_gradient((x, 2.0 * x))
        return p * q + x ** 2
    return f


# --------------------------------------------------------------------------- pytrees, dtypes

@program("dict_argument", "pytrees",
         lambda rng, dt: ({"w": mat((2, 3))(rng, dt), "b": mat((2,))(rng, dt)}, mat((3,))(rng, dt)))
def _(L):
    return lambda p, x: L.np.tanh(p["w"] @ x + p["b"])


@program("tuple_outputs", "pytrees", vec())
def _(L):
    return lambda x: (L.np.sin(x), {"sq": x ** 2, "sum": L.np.sum(x)})


@program("int_parameter", "dtypes", vec_and(lambda rng, dt: np.array([1, 2, 3])),
         expect={"dtype32": ("convention", "float32 times an int64 array: wire promotes as "
                                           "NumPy (float64), JAX keeps float32")})
def _(L):
    return lambda x, n: x * n + x ** 2


@program("float32_meets_float64", "dtypes", vec_and(lambda rng, dt: np.array([0.5, 1.5, 2.0])))
def _(L):
    return lambda x, y: L.np.sin(x) * y
# fmt: on
