"""``vmap`` and control flow where random tests do not look: batches of 0 and 1, a batched
predicate whose untaken branch has an infinite or NaN derivative, and the derivatives of such
batched control flow, against a Python loop over the examples (the same values, bit for bit:
dtype, shape, NaN and the sign of zero)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp

INF = np.inf


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _bits_equal(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got, want)
    assert np.array_equal(got, want, equal_nan=True), (got, want)
    if want.dtype.kind == "f":
        assert np.array_equal(np.signbit(got), np.signbit(want)), (got, want)


def _loop(f, *args):
    """``f`` over the examples (axis 0 of every argument), stacked."""
    outs = [f(*[a[i] for a in args]) for i in range(len(args[0]))]
    return wire.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *outs)


# --------------------------------------------------------------------------- while_loop


def _doubling(limit, x):
    return wire.while_loop(lambda c: c[0] < limit, lambda c: (c[0] + 1, c[1] * 2.0), (0, x))


@pytest.mark.parametrize("transform", [lambda f: f, wire.jit], ids=["eager", "jit"])
def test_while_loop_with_a_batched_predicate_over_an_empty_batch(transform):
    """A batch of 0 runs no step and returns empty carries (it raised NumPy's "zero-size
    array to reduction operation maximum": the loop ran while the max of the predicates)."""
    got = transform(wire.vmap(_doubling))(np.zeros(0, np.int64), np.zeros(0))
    _bits_equal(got[0], np.zeros(0, np.int64))
    _bits_equal(got[1], np.zeros(0))


@pytest.mark.parametrize("limits", [[3], [3, 0, 1], [0, 0]])
def test_while_loop_with_a_batched_predicate_equals_a_loop(limits):
    limits = np.array(limits, dtype=np.int64)
    x = np.array([1.5, -0.0, INF][:len(limits)])
    got = wire.vmap(_doubling)(limits, x)
    want = _loop(_doubling, limits, x)
    for g, w in zip(got, want):
        _bits_equal(g, w)


# --------------------------------------------------------------------------- cond / switch


def _cond(x):
    return wire.cond(x > 0, lambda x: wnp.sqrt(x) * 2.0, lambda x: x * 3.0, x)


def _switch(x):
    i = wnp.where(x > 0, 0, 5)  # clipped to the last branch
    return wire.switch(i, [lambda x: wnp.sqrt(x) * 2.0, lambda x: wnp.log(x), lambda x: x * 3.0],
                       x)


XS = np.array([-1.0, 4.0, 0.0, -0.0, -INF, 0.25])
SLOPES = np.array([3.0, 0.5, 3.0, 3.0, 3.0, 2.0])  # per example, of the branch it takes


@pytest.mark.parametrize("f", [_cond, _switch], ids=["cond", "switch"])
def test_gradient_through_a_batched_predicate_ignores_the_untaken_branch(f):
    """``sqrt``'s derivative is NaN at -1 and inf at 0; the examples that take the other
    branch must not see it. Each example's gradient is its own branch's slope, as without
    vmap and as in JAX; reverse mode over vmap gave NaN (0 cotangent times NaN)."""
    per_example = _loop(wire.grad(f), XS)
    _bits_equal(per_example, SLOPES)
    for transform in (lambda g: g, wire.jit):
        _bits_equal(transform(wire.grad(lambda x: wire.vmap(f)(x).sum()))(XS), SLOPES)
        _bits_equal(transform(wire.vmap(wire.grad(f)))(XS), SLOPES)
    _bits_equal(wire.elementwise_grad(wire.vmap(f))(XS), SLOPES)
    _bits_equal(np.diag(wire.jacrev(wire.vmap(f))(XS)), SLOPES)
    _bits_equal(np.diag(wire.jacfwd(wire.vmap(f))(XS)), SLOPES)
    _bits_equal(wire.jvp(wire.vmap(f), (XS,), (np.ones_like(XS),))[1], SLOPES)


def test_second_derivative_through_a_batched_predicate():
    """``d²/dx² 2√x = -x^(-3/2)/2``: -1/16 at 4, 0 where the linear branch runs."""
    h = wire.hessian(lambda x: wire.vmap(_cond)(x).sum())(XS)
    want = np.diag([0.0, -0.0625, 0.0, 0.0, 0.0, -4.0])
    assert np.array_equal(h, want)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_batched_cond_values_equal_a_loop(n):
    x = XS[:n]
    got = wire.vmap(_cond)(x)
    want = _loop(_cond, x) if n else np.zeros(0)
    _bits_equal(got, want)


def test_gradient_of_a_shared_operand_through_a_batched_predicate():
    """``w`` is the same for every example (``in_axes=None``): its gradient is the sum of the
    examples' slopes in their own branches, ``-1 + 1 + 0`` (JAX: 0.0); it was NaN, the
    untaken ``sqrt(w·x)``'s partial at ``x = -1`` summed in with the others."""
    def f(w, x):
        return wire.cond(x > 0, lambda w, x: wnp.sqrt(w * x), lambda w, x: w * x, w, x)

    xs = np.array([-1.0, 4.0, 0.0])
    loss = lambda w: wire.vmap(f, in_axes=(None, 0))(w, xs).sum()  # noqa: E731
    per_example = sum(wire.grad(f)(1.0, x) for x in xs)
    assert float(per_example) == 0.0
    assert float(wire.grad(loss)(1.0)) == 0.0
    assert float(wire.jit(wire.grad(loss))(1.0)) == 0.0
    _bits_equal(wire.vmap(f, in_axes=(None, 0))(2.0, xs), _loop(lambda x: f(2.0, x), xs))
