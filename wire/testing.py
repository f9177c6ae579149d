"""Derivative checks against finite differences, for tests of wire and of user code.

``check_grads(f, args)`` compares wire's forward mode (JVP) and reverse mode (VJP) of ``f``
with central differences along random directions, and then does the same for the derivative
functions themselves up to ``order`` (like ``autograd.test_util.check_grads``). ``f`` takes
and returns pytrees of arrays; integer and boolean leaves are held fixed. Complex leaves are
perturbed in complex directions, and values pair as ``Re(sum(a * b))`` (JAX's convention).

>>> import numpy as np, wire.numpy as wnp
>>> from wire.testing import check_grads
>>> check_grads(lambda x: wnp.sin(x) * x, (np.linspace(0.1, 1.0, 4),))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import tree
from .ops.shape import to_tracer, zeros_like_
from .core import Tracer, call_graph_flat, flat_avals, trace_flat
from .transforms.jvp import forward
from .transforms.vjp import backward
from .tracebacks import expose

__all__ = ["check_grads", "inner", "jvp", "numerical_jvp", "vjp"]


def _is_diff(x) -> bool:
    return np.asarray(x).dtype.kind in "fc" if not isinstance(x, Tracer) else x.dtype.kind in "fc"


def inner(a, b) -> float:
    """``Re(sum(a * b))`` summed over matching pytree leaves (None counts as zero).

    >>> inner({"a": np.ones(2), "b": None}, {"a": np.arange(2.0), "b": np.ones(3)})
    1.0
    """
    total = 0.0
    for x, y in zip(tree.leaves(a), tree.leaves(b)):
        if x is None or y is None:
            continue
        total += float(np.real(np.sum(np.asarray(x) * np.asarray(y))))
    return total


def numerical_jvp(f: Callable, args: Sequence, tangents: Sequence, eps: float = 1e-6):
    """Central difference ``(f(args + eps t) - f(args - eps t)) / (2 eps)``, leaf by leaf.

    >>> [round(float(d), 6) for d in numerical_jvp(lambda x: x ** 2, (3.0,), (1.0,))]
    [6.0]
    """
    leaves, treedef = tree.flatten(tuple(args))
    tleaves = tree.leaves(tuple(tangents)) if tangents is not None else []

    def shifted(sign):
        moved = [
            x if t is None or not _is_diff(x) else np.asarray(x) + sign * eps * np.asarray(t)
            for x, t in zip(leaves, _align(leaves, tangents))
        ]
        return tree.leaves(f(*tree.unflatten(treedef, moved)))

    del tleaves
    plus, minus = shifted(1.0), shifted(-1.0)
    out = [(np.asarray(p) - np.asarray(m)) / (2 * eps) for p, m in zip(plus, minus)]
    return out


def _align(leaves, tangents):
    """Tangent leaves aligned with ``leaves`` (None where a leaf has no tangent)."""
    if tangents is None:
        return [None] * len(leaves)
    t_leaves, _ = tree.flatten(tuple(tangents))
    return t_leaves if len(t_leaves) == len(leaves) else [None] * len(leaves)


def _traced(inner_fn, leaves, treedef_leaves):
    """Evaluate (concrete leaves) or inline (traced leaves) ``inner_fn`` over flat ``leaves``."""
    graph = trace_flat(inner_fn, flat_avals(leaves, treedef_leaves), treedef_leaves)
    return call_graph_flat(graph, leaves)


def jvp(f: Callable, args: Sequence, tangents: Sequence) -> list:
    """Flat list of output tangents of ``f`` at ``args`` along ``tangents`` (forward mode).

    >>> jvp(lambda x: x ** 2, (3.0,), (1.0,))
    [array(6.)]
    """
    leaves, treedef = tree.flatten(tuple(args))
    tl = _align(leaves, tangents)
    diff = [i for i, (x, t) in enumerate(zip(leaves, tl)) if t is not None and _is_diff(x)]
    n = len(leaves)
    all_leaves = leaves + [tl[i] for i in diff]
    _, flat_tree = tree.flatten(tuple(all_leaves))

    def inner_fn(*flat):
        xs, ts = list(flat[:n]), list(flat[n:])
        outs = [to_tracer(o) for o in tree.leaves(f(*tree.unflatten(treedef, xs)))]
        nodes = [to_tracer(xs[i]).node for i in diff]
        got = forward([o.node for o in outs], nodes, ts)
        return [zeros_like_(o) if t is None else t for t, o in zip(got, outs)]

    return _traced(inner_fn, all_leaves, flat_tree)


def vjp(f: Callable, args: Sequence, cotangents: Sequence) -> list:
    """Flat list of input cotangents of ``f`` at ``args`` for output ``cotangents`` (reverse).

    >>> vjp(lambda x, y: x * y, (3.0, 2.0), (1.0,))
    [array(2.), array(3.)]
    """
    leaves, treedef = tree.flatten(tuple(args))
    ct_leaves = tree.leaves(cotangents)
    n = len(leaves)
    diff = [i for i, x in enumerate(leaves) if _is_diff(x)]
    all_leaves = leaves + list(ct_leaves)
    _, flat_tree = tree.flatten(tuple(all_leaves))

    def inner_fn(*flat):
        xs, cts = list(flat[:n]), list(flat[n:])
        outs = [to_tracer(o) for o in tree.leaves(f(*tree.unflatten(treedef, xs)))]
        wrt = [to_tracer(xs[i]) for i in diff]
        got = backward([o.node for o in outs], cts, [w.node for w in wrt])
        return [zeros_like_(w) if g is None else g for g, w in zip(got, wrt)]

    return _traced(inner_fn, all_leaves, flat_tree)


def _random_like(rng, x):
    x = np.asarray(x)
    if x.dtype.kind == "c":
        return (rng.normal(size=x.shape) + 1j * rng.normal(size=x.shape)).astype(x.dtype)
    return rng.normal(size=x.shape).astype(x.dtype)


def _close(a, b, rtol, atol, what):
    a, b = np.asarray(a), np.asarray(b)
    if not np.allclose(a, b, rtol=rtol, atol=atol):
        raise AssertionError(f"{what}: {a!r} != {b!r} (rtol={rtol}, atol={atol})")


def check_grads(
    f: Callable,
    args: Sequence | None = None,
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Assert that ``f``'s derivatives at ``args`` match central differences, up to ``order``.

    For a random direction ``t``: forward mode must give the numerical JVP; reverse mode, for
    a random output cotangent ``u``, must satisfy ``<vjp(u), t> == <u, numerical_jvp(t)>``.
    Higher orders apply the same checks to ``x -> jvp(f, x, t)`` and ``x -> vjp(f, x, u)``.
    Use float64 inputs; raises ``AssertionError`` naming the mode and order that failed.
    Without ``args`` it returns the check as a function of them, as autograd's does
    (``check_grads(f, modes=["rev"])(x)``).

    >>> import numpy as np, wire.numpy as wnp
    >>> check_grads(lambda x: wnp.exp(x).sum(), (np.array([0.5, -0.2]),), order=2)
    >>> check_grads(lambda x: wnp.exp(x).sum(), modes=["rev"])(np.array([0.5, -0.2]))
    """
    if args is None:
        return lambda *args: check_grads(f, args, order, modes, eps, rtol, atol, seed)
    rng = np.random.default_rng(seed)
    args = tuple(args)
    leaves, treedef = tree.flatten(args)
    ts = [_random_like(rng, x) if _is_diff(x) else None for x in leaves]
    t_tree = tree.unflatten(treedef, ts)
    num = numerical_jvp(f, args, t_tree, eps)
    scale = 1.0 + max((float(np.max(np.abs(v))) for v in num if np.size(v)), default=0.0)
    tol = atol * scale
    if "fwd" in modes:
        got = jvp(f, args, t_tree)
        for k, (g, n) in enumerate(zip(got, num)):
            _close(g, n, rtol, tol, f"forward mode (order {order}), output {k}")
        if order > 1:
            check_grads(
                lambda *a: jvp(f, a, t_tree), args, order - 1, ("fwd",), eps, rtol, atol, seed + 1
            )
    if "rev" in modes:
        outs = tree.leaves(f(*args))
        us = [_random_like(rng, o) for o in outs]
        got = vjp(f, args, us)
        diff_ts = [t for t in ts if t is not None]
        lhs = inner(got, diff_ts)
        rhs = inner(us, num)
        _close(lhs, rhs, rtol, tol * (1 + len(diff_ts)), f"reverse mode (order {order})")
        if order > 1:
            check_grads(
                lambda *a: vjp(f, a, us), args, order - 1, ("rev",), eps, rtol, atol, seed + 1
            )

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
