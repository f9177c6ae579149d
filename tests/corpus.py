"""The example-graph corpus: every whole program the test suite uses as an example, in one
place, so that each engine is checked on all of them — evaluator vs compiler
(tests/test_jit.py), simplification, serialization (tests/test_corpus.py) and the Dask
backend (tests/test_backends.py).

``programs()`` gives ``(name, function, args)``; ``graphs()`` gives ``(name, graph, args)``
for each program, its gradient (where the output is a float scalar) and each registered
primitive on its own sample.
"""

from __future__ import annotations

import itertools

import numpy as np

import wire
import wire.numpy as wnp
from wire.ops.shape import proj_p
from wire.api.registry import REGISTRY
from wire.core import bind


def _mlp(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = wnp.tanh(h @ w + b)
    w, b = params[-1]
    z = h @ w + b
    z = z - wire.stop_gradient(wnp.max(z, axis=1, keepdims=True))
    logp = z - wnp.log(wnp.sum(wnp.exp(z), axis=1, keepdims=True))
    return -wnp.mean(wnp.sum(logp * y, axis=1))


def mlp_args(rng, dtype=np.float64, sizes=(6, 5, 4, 3), n=7):
    params = [
        ((rng.normal(size=(m, k)) * 0.5).astype(dtype), (rng.normal(size=k) * 0.1).astype(dtype))
        for m, k in itertools.pairwise(sizes)
    ]
    x = rng.normal(size=(n, sizes[0])).astype(dtype)
    y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], n)]
    return params, x, y


def _alias_outputs(a):
    t = a * 2.0
    return t + 1.0, t.T


@wire.custom_vjp
def _clip_grad(x):
    return wnp.sin(x)


_clip_grad.defvjp(lambda x: (wnp.sin(x), x),
                  lambda res, g: (wnp.clip(g * wnp.cos(res), -0.5, 0.5),))


def scalar_chain(n: int):
    """``benchmarks/chain.py``'s deep scalar chain: ``x = tanh(sin(x) * 1.01) * 0.99``,
    ``n // 4`` times (four primitives per step)."""

    def f(x):
        for _ in range(n // 4):
            x = wnp.tanh(wnp.sin(x) * 1.01) * 0.99
        return x

    return f


def programs(seed: int = 1) -> list:
    """``(name, function, args)`` of representative whole programs."""
    rng = np.random.default_rng(seed)
    x3 = rng.normal(size=3)
    m = rng.normal(size=(4, 3))
    w = rng.normal(size=(4, 4))
    x, y = rng.normal(size=(13, 7)), rng.normal(size=(7, 5))
    v = rng.normal(size=13)
    idx = np.array([0, 3, 3, 12, 5])
    return [
        ("small_call", lambda w, x: wnp.sum(wnp.tanh(x @ w + 1.0) ** 2), (w, rng.normal(size=4))),
        ("chain", lambda x: wnp.sum(wnp.tanh(wnp.sin(x) * 1.01 + 0.5)), (x3,)),
        ("reuse_output", lambda x: (wnp.tanh(x), wnp.tanh(x) * 2.0, x), (x3,)),
        ("broadcast", lambda a, b: wnp.sum((a[:, None] * b) ** 2), (x3, rng.normal(size=5))),
        ("softmax", lambda z: wnp.sum(wnp.exp(z) / wnp.sum(wnp.exp(z), axis=1, keepdims=True)
                                      * wnp.arange(3.0)), (m,)),
        ("transposes", lambda a: wnp.sum(a.T @ a @ a.T), (m,)),
        ("index", lambda a: wnp.sum(a[1:, ::2] ** 2) + a[0, 1] * a[2, 0], (m,)),
        ("concat", lambda a, b: wnp.sum(wnp.concatenate([a, b * 2.0]) ** 3), (x3, x3 + 1.0)),
        ("maxmin", lambda a: wnp.max(a, axis=0) - wnp.min(a, axis=1).sum(), (m,)),
        ("where", lambda a: wnp.sum(wnp.where(a > 0, a ** 2, -a)), (m,)),
        ("float32", lambda a: wnp.sum(wnp.tanh(a * 2.0) @ a.T), (m.astype(np.float32),)),
        ("int_and_float", lambda a, k: a * k + k, (x3, np.arange(3))),
        ("scalars", lambda a, b: a * b + 1.0, (2.0, 3.0)),
        ("mlp", _mlp, mlp_args(rng)),
        ("mlp32", _mlp, mlp_args(rng, np.float32)),
        ("mlp_wide", _mlp, mlp_args(rng, sizes=(7, 5, 3), n=40)),
        ("inplace_alias", _alias_outputs, (m,)),
        ("pytree_out", lambda d: {"s": d["a"] * 2.0, "t": [d["b"] + 1.0, None]},
         ({"a": x3, "b": m},)),
        ("reductions_across_chunks", lambda a: (
            a.sum(), a.sum(axis=0), a.max(axis=1), wnp.prod(a[:4], axis=0),
            wnp.mean(a, axis=(0, 1)), a.min()), (x,)),
        ("matmul_contraction", lambda a, b: a @ b, (x, y)),
        ("sin_matmul", lambda a, b: wnp.sum(wnp.sin(a @ b)), (x, y)),
        ("broadcast_sub", lambda a, b, c: a * b[:, None] + c - a.mean(axis=0), (x, v, x[0])),
        ("broadcast_sq", lambda a, b: wnp.sum((a - b[:, None]) ** 2), (x, v)),
        ("indexing", lambda a: (a[idx], a[2:11:3, ::-1], a[idx, 2], a[..., None, 1]), (x,)),
        ("repeated_index", lambda a: wnp.sum(a[idx] ** 2) + a[1, 2], (x,)),
        ("take_rows", lambda a: wnp.sum(wnp.cos(a[idx, 1:4])), (x,)),
        ("concat_reshape_transpose",
         lambda a: wnp.concatenate([a, a * 2], axis=0).reshape(7, 26).T, (x,)),
        ("cumsum_sort", lambda a: (wnp.cumsum(a, axis=0), wnp.sort(a, axis=1)), (x,)),
        ("leaky", lambda a: wnp.sum(wnp.where(a > 0, a, 0.1 * a) ** 2), (x,)),
        ("fancy_index", lambda a: wnp.sum(a[np.array([0, 2, 2]), :] * 3.0), (m,)),
        ("pairwise", lambda a: wnp.sum((a[:, None, :] - a[None, :, :]) ** 2), (m,)),
        ("mean_var", lambda a: wnp.var(a, axis=0).sum() + wnp.mean(a) ** 2, (m,)),
        ("linalg", lambda a: wnp.linalg.slogdet(a.T @ a + np.eye(7))[1]
         + wnp.sum(wnp.linalg.inv(a.T @ a + np.eye(7))), (x,)),
        ("scan", lambda w: wire.scan(lambda c, r: (wnp.tanh(c * w + r), c), 0.0 * v[:3],
                                     x[:, :3])[0].sum(), (v[:3],)),
        ("cond", lambda a: wire.cond(a.sum() > 0, lambda t: t * 2, lambda t: -t, a), (x,)),
        ("while", lambda a: wire.while_loop(lambda c: c[1] < 3, lambda c: (c[0] * 1.5, c[1] + 1),
                                            (a, 0))[0], (v,)),
        ("custom_vjp", lambda a: wnp.sum(_clip_grad(a * 3.0)), (x,)),
        ("hessian", wire.hessian(lambda a: wnp.sum(wnp.sin(a) * wnp.exp(wnp.tanh(a)))), (x3,)),
        ("jvp", lambda a, t: wire.jvp(lambda u: wnp.sum(wnp.sin(u) * u), (a,), (t,)),
         (x3, x3 + 1.0)),
    ]


def _scalar_float(out) -> bool:
    return (not isinstance(out, (tuple, list, dict)) and np.shape(out) == ()
            and np.asarray(out).dtype.kind == "f")


def _float_argnums(args) -> tuple:
    return tuple(i for i, a in enumerate(args)
                 if all(np.asarray(leaf).dtype.kind == "f" for leaf in wire.tree.leaves(a)))


def graphs(seed: int = 1, primitives: bool = True) -> list:
    """``(name, graph, args)``: each program, its value-and-gradient, each primitive."""
    out = []
    for name, f, args in programs(seed):
        out.append((name, wire.trace(f, *args), args))
        nums = _float_argnums(args)
        if nums and _scalar_float(f(*args)) and name != "while":
            out.append((f"grad_{name}", wire.trace(wire.value_and_grad(f, argnums=nums), *args),
                        args))
    if primitives:
        for p in sorted((p for p in REGISTRY.values() if p is not proj_p), key=lambda p: p.name):
            args, params = p.sample(np.random.default_rng(seed))
            g = wire.trace(lambda *a, p=p, params=params: bind(p, *a, **params), *args)
            out.append((f"prim_{p.name}", g, tuple(args)))
    return out
