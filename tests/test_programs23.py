"""Small programs a JAX or autograd user writes, run through the transforms with pytrees,
Python branches, signed zeros and NaNs, and checked against JAX's documented behaviour, closed
forms or finite differences. The first ones pin defects wire had before: an eager ``vmap``
whose examples take different Python branches kept the first group's value of an output with
``out_axes=None`` (the other groups' values were dropped), raised NumPy's bare ValueError for
branches returning different shapes, and a Python decision in a ``vmap`` of no examples raised
IndexError.
"""

from __future__ import annotations

import numpy as np
import pytest

import wire
import wire.numpy as wnp

EXAMPLES = np.array([1.0, -1.0, 2.0])


# ---------------------------------------------------------------- vmap over Python branches


def test_vmap_branches_disagreeing_on_an_unmapped_output_raise():
    # each example's second output is 1.0 or 2.0: no single value stands for all of them
    # (the old result was 1.0, the first group's, for every example)
    def f(v):
        return (v, 1.0) if v > 0 else (v, 2.0)

    with pytest.raises(wire.WireError, match="out_axes is None for output 1"):
        wire.vmap(f, out_axes=(0, None))(EXAMPLES)
    # mapped, the values are the examples' own: a plain loop's
    mapped = wire.vmap(f)(EXAMPLES)
    np.testing.assert_array_equal(mapped[1], [f(float(v))[1] for v in EXAMPLES])


def test_vmap_branches_agreeing_on_an_unmapped_output_keep_it():
    out = wire.vmap(lambda v: (v * 2, 1.5) if v > 0 else (-v, 1.5),
                    out_axes=(0, None))(EXAMPLES)
    np.testing.assert_array_equal(out[0], [2.0, 1.0, 4.0])
    assert out[1] == 1.5 and np.ndim(out[1]) == 0
    # the signed zeros of a constant tell two values apart
    with pytest.raises(wire.WireError, match="out_axes is None"):
        wire.vmap(lambda v: (v, 0.0) if v > 0 else (v, -0.0), out_axes=(0, None))(EXAMPLES)


def test_vmap_branches_under_grad_unmapped_traced_output():
    # the same traced value from every branch: its derivative (d/dy 3y = 3, of 3 * 2y = 6)
    def unmapped(g):
        return lambda y: wire.vmap(lambda v: (v * y, g(y)) if v > 0 else (v, g(y)),
                                   out_axes=(0, None))(EXAMPLES)[1] * 3

    assert float(wire.grad(unmapped(lambda y: y))(2.0)) == 3.0
    assert float(wire.grad(unmapped(lambda y: y * 2))(2.0)) == 6.0
    # 2y in one branch, y + 2 in the other: equal values at y = 2, unequal derivatives
    with pytest.raises(wire.WireError, match="out_axes is None"):
        wire.grad(lambda y: wire.vmap(lambda v: (v, y * 2) if v > 0 else (v, y + 2),
                                      out_axes=(0, None))(EXAMPLES)[1])(2.0)
    # mapped outputs of the branches: the derivative of the sum, as a Python loop's
    loss = lambda y: wnp.sum(wire.vmap(lambda v: v * y if v > 0 else v * y * y)(EXAMPLES))
    assert float(wire.grad(loss)(2.0)) == 1.0 + 2.0 - 2 * 2.0


def test_vmap_branches_returning_different_shapes_raise_a_wire_error():
    with pytest.raises(wire.WireError, match=r"different shapes \(\(2,\) and \(3,\) per example"):
        wire.vmap(lambda v: wnp.stack([v, v]) if v > 0 else wnp.stack([v, v, v]))(EXAMPLES)
    with pytest.raises(wire.WireError, match="different shapes"):
        wire.vmap(lambda v: wnp.stack([v, v]) if v > 0 else v, out_axes=0)(EXAMPLES)


def test_vmap_of_no_examples_with_a_python_decision_raises_tracer_bool_error():
    # no example to take the branch from (JAX raises for any Python branch under vmap)
    with pytest.raises(wire.TracerBoolError, match="no examples"):
        wire.vmap(lambda v: v if v > 0 else 0.0)(np.zeros(0))
    with pytest.raises(wire.TracerBoolError, match="no examples"):
        wire.vmap(lambda v: v * float(v))(np.zeros(0))
    # without one, an empty batch maps to an empty result
    assert wire.vmap(lambda v: v * 2)(np.zeros((0, 2))).shape == (0, 2)


# ---------------------------------------------------------------- JAX keywords that port as is


def test_jax_keywords_of_checkpoint_jit_and_vmap_are_accepted():
    # jax.checkpoint(f, prevent_cse=False), jax.jit(f, keep_unused=True, inline=True) and
    # jax.vmap(f, axis_name="batch") run unchanged (each raised TypeError 'unexpected
    # keyword argument'); the values are those without them
    f = lambda x: wnp.sum(wnp.sin(x) * x)
    x = np.arange(3.0)
    want = np.sin(x) + x * np.cos(x)
    for cse in (True, False):
        np.testing.assert_allclose(
            wire.grad(lambda y: f(wire.checkpoint(lambda z: z * 1.0, prevent_cse=cse)(y)))(x),
            want, rtol=1e-15)
    jitted = wire.jit(lambda a, unused: a * 2.0, keep_unused=True, inline=True)
    np.testing.assert_array_equal(jitted(x, 1.0), x * 2.0)
    np.testing.assert_array_equal(
        wire.vmap(lambda a: a * 2.0, axis_name="batch", spmd_axis_name=None)(x), x * 2.0)
    with pytest.raises(wire.WireError, match="prevent_cse must be True or False"):
        wire.checkpoint(f, prevent_cse="no")
    with pytest.raises(wire.WireError, match="inline must be True or False"):
        wire.jit(f, inline=None)
    with pytest.raises(wire.WireError, match="axis_name must be hashable"):
        wire.vmap(f, axis_name=["batch"])


def test_scan_and_fori_loop_take_unroll_zero_as_jax():
    # JAX: "unroll=0 unrolls the entire loop" (wire raised WireTypeError 'positive int');
    # the values are those of any other unroll
    body = lambda c, x: (c * x + 1.0, c)
    xs = np.arange(1.0, 5.0)
    want = wire.scan(body, 0.5, xs)
    got = wire.scan(body, 0.5, xs, unroll=0)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(wire.grad(lambda c: wire.scan(body, c, xs, unroll=0)[0])(0.5),
                                  24.0)  # d/dc: 1·2·3·4
    assert float(want[0]) == 53.0  # ((((0.5·1 + 1)·2 + 1)·3 + 1)·4 + 1)
    assert float(wire.fori_loop(0, 3, lambda i, c: c * 2 + i, 1.0, unroll=0)) == 12.0
    with pytest.raises(wire.WireError, match="non-negative int"):
        wire.scan(body, 0.5, xs, unroll=-1)
