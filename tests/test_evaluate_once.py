"""The one-shot evaluator (``wire.core.evaluate_once``): a graph of 0-d values walked without a
plan, on NumPy scalars, must give what the planned evaluator gives, bit for bit, warnings too."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.core import evaluate_flat, evaluate_once

SPECIAL = [0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 1e308, 5e-324]


def _bits(values):
    return [np.asarray(v).tobytes() for v in values]


def _both(graph, leaves):
    """(planned, one-shot) outputs and the warnings each raised."""
    out = []
    for run in (evaluate_flat, evaluate_once):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            values = run(graph, leaves)
        out.append((values, sorted({type(w.message).__name__ for w in caught})))
    return out


def _scalar_mix(x, y):
    a = x * y - y / x + wnp.sin(x) * 2.0
    b = wnp.tanh(a) - (-x) + wnp.exp(y * 0.5) / (y - y)
    return a * b, wnp.sqrt(x) + y, x  # an output that is an input


@pytest.mark.parametrize("x", SPECIAL)
@pytest.mark.parametrize("y", [0.0, -0.0, 3.0, np.nan, -np.inf])
def test_scalar_graph_bits_and_warnings_match_the_planned_evaluator(x, y):
    g = wire.trace(_scalar_mix, 1.0, 1.0)
    leaves = [np.asarray(x), np.asarray(y)]
    (flat, w1), (once, w2) = _both(g, leaves)
    assert _bits(flat) == _bits(once)
    assert [type(v) for v in flat] == [type(v) for v in once]
    assert w1 == w2
    assert once[2] is not leaves[0]  # an output that is an input is a copy the caller owns


def test_derivative_graph_of_a_scalar_chain_matches():
    def chain(x):
        for _ in range(50):
            x = wnp.tanh(wnp.sin(x) * 1.01) * 0.99
        return x

    d = wire.grad(wire.trace(chain, 0.3), simplify=False)
    for x in (0.3, -0.0, np.nan):
        assert _bits(evaluate_flat(d, [np.asarray(x)])) == _bits(evaluate_once(d, [np.asarray(x)]))


def test_float32_and_integer_scalars_keep_their_dtypes():
    g = wire.trace(lambda x, i: (x * x - x / 3, i * i + 1), np.float32(1.0), np.int64(2))
    leaves = [np.asarray(np.float32(1.1)), np.asarray(np.int64(7))]
    (flat, _), (once, _) = _both(g, leaves)
    assert _bits(flat) == _bits(once) and [v.dtype for v in flat] == [v.dtype for v in once]


def test_other_graphs_and_calls_take_the_planned_evaluator():
    g = wire.trace(lambda x: wnp.sum(x * 2.0), np.ones(3))  # a vector inside
    np.testing.assert_array_equal(evaluate_once(g, [np.arange(3.0)]), [np.asarray(6.0)])
    with pytest.raises(wire.WireError, match="graph takes 1 inputs, got 2"):
        evaluate_once(g, [np.ones(3), np.ones(3)])
    s = wire.trace(lambda x: wnp.log(x), 1.0)
    with pytest.raises(wire.ShapeError):
        evaluate_once(s, [np.ones(2)])
    with wire.debug_nans(), pytest.raises(wire.FloatingPointError, match="log"):
        evaluate_once(s, [np.asarray(-1.0)])
    free = wire.grad(lambda x: x * wire.var("c", shape=()))
    with pytest.raises(wire.UnboundInputError):
        evaluate_once(wire.trace(free, 1.0), [np.asarray(1.0)])


def test_eager_grad_of_a_new_scalar_function_is_exact():
    def f(x):
        return wnp.tanh(wnp.sin(x) * 1.5) / (x * x + 0.25)

    g = wire.grad(f)
    first = g(0.7)  # runs once, without a plan
    again = [g(0.7) for _ in range(3)]  # the planned evaluator, then compiled code
    ref = evaluate_flat(wire.grad(wire.trace(f, 0.7)), [np.asarray(0.7)])[0]
    assert first.tobytes() == ref.tobytes()
    assert all(np.isclose(a, first, rtol=1e-15, atol=0) for a in again)


def test_scalar_operators_give_the_ufuncs_bits_on_every_pair_of_special_values():
    from wire.core.evaluate import _SCALAR_OPERATORS

    specials = SPECIAL + [-np.nan, -1e308, -5e-324]
    for ufunc, fn in _SCALAR_OPERATORS.items():
        for a in specials:
            for b in specials:
                with np.errstate(all="ignore"):
                    want = ufunc(np.asarray(a), np.asarray(b))
                    got = fn(np.float64(a), np.float64(b))
                assert np.asarray(got).tobytes() == np.asarray(want).tobytes(), (ufunc, a, b)
