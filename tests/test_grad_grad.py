"""``grad(grad(f))`` of a function of one scalar: the eager call differentiates the memoized
derivative graph of ``f`` directly (``wire.api.grad.second_derivative``) instead of tracing
``grad(f)`` and inlining it. Oracles: the general path (``grad`` nested through plain
lambdas, which are not recognised as a tower), closed forms, and a hand-written second-order
forward recurrence for the deep scalar chain of the benchmarks.
"""

import math

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as wsp

# the deep scalar chain of the benchmarks (benchmarks/chain.py), written out here: the tests
# run from an installed wire, where the benchmarks folder is not importable
A, B = 1.01, 0.99


def chain(n_ops: int, ns):
    def f(x):
        for _ in range(n_ops // 4):
            x = ns.tanh(ns.sin(x) * A) * B
        return x

    return f


def second_derivative(n_ops: int, x: float = 0.3) -> float:
    """f''(x) of the chain by a forward recurrence on (value, f', f'') through each step."""
    d, dd = 1.0, 0.0
    for _ in range(n_ops // 4):
        s, c = math.sin(x), math.cos(x)
        du, ddu = c * d * A, (c * dd - s * d * d) * A
        t = math.tanh(s * A)
        w = 1.0 - t * t
        d, dd = w * du * B, (w * ddu - 2.0 * t * w * du * du) * B
        x = t * B
    return dd


def _general(f):
    """``grad(grad(f))`` through plain lambdas: the general (trace-and-inline) path."""
    inner = (lambda h: wire.grad(lambda x: h(x)))(f)
    return wire.grad(lambda x: inner(x))


FUNCTIONS = [
    ("rational_log", lambda x: (x**3 + 2 * x) / (1 + x**2) + wnp.log1p(x**2) * wnp.cos(3 * x)),
    ("arctan_sinh", lambda x: wnp.arctan(wnp.sinh(x) * wnp.sqrt(1 + x**2))
     + wnp.exp(-x**2) * wnp.tanh(2 * x) / (2 + wnp.sin(x))),
    ("sin_exp_tanh", lambda x: wnp.sin(x) * wnp.exp(wnp.tanh(x))),
    ("log_sqrt_erf", lambda x: wnp.log(2 + wsp.erf(wnp.sqrt(1 + x**2)))),
    ("closure", lambda x: wnp.sum(np.arange(1.0, 4.0) * wnp.sin(x * np.arange(3.0)))),
    ("branch", lambda x: x**3 if x > 0 else -x * x),
]


@pytest.mark.parametrize("name, f", FUNCTIONS, ids=[t[0] for t in FUNCTIONS])
@pytest.mark.parametrize("x", [0.3, -1.2, np.array(0.7), np.float32(0.5),
                               np.array(-0.25, np.float32)])
def test_matches_the_general_path_exactly(name, f, x):
    got = wire.grad(wire.grad(f))(x)
    want = _general(f)(x)
    assert got.dtype == want.dtype and got.shape == want.shape == ()
    assert got.dtype == (np.float32 if np.asarray(x).dtype == np.float32 else np.float64)
    np.testing.assert_array_equal(got, want)


def test_closed_forms():
    x = 0.4
    assert float(wire.grad(wire.grad(wnp.sin))(x)) == pytest.approx(-math.sin(x), rel=1e-15)
    assert float(wire.grad(wire.grad(lambda t: t**4))(2.0)) == 48.0
    w = np.arange(1.0, 4.0)  # a closure over an array (lifted to an input of the graph)
    want = -np.sum(w * np.arange(3.0) ** 2 * np.sin(x * np.arange(3.0)))
    got = wire.grad(wire.grad(lambda t: wnp.sum(w * wnp.sin(t * np.arange(3.0)))))(x)
    assert float(got) == pytest.approx(want, rel=1e-14)
    # a Python branch on the value: each side's own second derivative
    f = wire.grad(wire.grad(lambda t: t**3 if t > 0 else wnp.cos(t)))
    assert float(f(0.5)) == 3.0 and float(f(-0.5)) == pytest.approx(-math.cos(-0.5))


@pytest.mark.parametrize("n", [4, 400, 2000])
def test_deep_chain_against_its_recurrence(n):
    got = float(wire.grad(wire.grad(chain(n, wnp)))(0.3))
    assert got == pytest.approx(second_derivative(n), rel=1e-12)


def test_composes_with_jit_vmap_and_an_outer_grad():
    f = FUNCTIONS[2][1]
    gg = wire.grad(wire.grad(f))
    xs = np.array([0.1, 0.5, 1.3])
    want = [float(wire.taylor(f, 2)(x)[2]) for x in xs]
    np.testing.assert_allclose(wire.vmap(gg)(xs), want, rtol=1e-12)
    np.testing.assert_allclose(wire.jit(gg)(0.5), want[1], rtol=1e-12)
    # inside another trace (the argument is a tracer): inlined there
    third = wire.grad(lambda x: gg(x) * 2.0)(0.5)
    assert float(third) == pytest.approx(2 * float(wire.taylor(f, 3)(0.5)[3]), rel=1e-12)
    assert float(wire.grad(wire.grad(f, simplify=False), simplify=False)(0.5)) == \
        pytest.approx(want[1], rel=1e-12)


def test_other_arguments_take_the_general_path_and_its_errors():
    with pytest.raises(wire.NonDifferentiableError, match="dtype int64"):
        wire.grad(wire.grad(wnp.sin))(np.int64(1))
    with pytest.raises(wire.NonDifferentiableError, match="scalar output"):
        wire.grad(wire.grad(wnp.sin))(np.ones(2))  # the gradient of an array is not a scalar
    with pytest.raises(wire.NonDifferentiableError, match="scalar output"):
        wire.grad(wire.grad(lambda x: x * np.ones(2)))(0.5)  # f itself is not scalar
    # size-1 arrays, as the general path
    np.testing.assert_allclose(wire.grad(wire.grad(lambda v: wnp.sum(wnp.sin(v))))(
        np.array([0.3])), [-math.sin(0.3)])
    # keyword arguments are passed through, as the general path does
    k = wire.grad(wire.grad(lambda x, p=2.0: x**p))
    assert float(k(3.0, p=3.0)) == 18.0


def test_leaked_tracer_is_reported():
    kept = []

    def f(x):
        kept.append(x)
        return wnp.sin(x)

    wire.grad(wire.grad(f))(0.3)
    with pytest.raises(wire.UnexpectedTracerError):
        wnp.cos(kept[0]) + 1.0


# --------------------------------------------------------------------------- values path
# Above the eager budget's threshold (derivative graphs of more than 4 096 nodes of small
# values) the outer derivative is not built: reverse mode runs on the values
# (wire.transforms.vjp_values.gradient_at), which must give the graph's value bit for bit.


def _evaluated(d1, x, *extra):
    return wire.evaluate(wire.grad(d1, simplify=False), x, *extra)


def _long(f, steps=1500):
    """``f`` iterated: a derivative graph past the budget's threshold."""

    def g(x):
        for _ in range(steps):
            x = f(x)
        return x

    return g


@pytest.mark.parametrize("n", [2000, 6000])
def test_deep_chain_above_the_budget_is_exactly_the_graph_value(n):
    f = chain(n, wnp)
    got = wire.grad(wire.grad(f))(0.3)
    np.testing.assert_array_equal(got, _general(f)(0.3))
    assert got.shape == () and got.dtype == np.float64
    assert float(got) == pytest.approx(second_derivative(n), rel=1e-12)


LONG = [
    ("fan_in", _long(lambda x: x * wnp.tanh(x) * 0.5 + wnp.sin(x) * 0.5)),
    ("broadcast_closure", _long(
        lambda x: wnp.sum(np.array([0.2, 0.3, 0.5]) * wnp.cos(x * np.array([1.0, 0.5, 0.25]))),
        800)),
    ("quotients_and_powers", _long(lambda x: x / (1.0 + x**2) + wnp.exp(-x) * 0.1, 1000)),
    ("wheres", _long(lambda x: wnp.where(x > 0.1, wnp.sin(x), x * x + 0.1), 1500)),
]


@pytest.mark.parametrize("name, f", LONG, ids=[t[0] for t in LONG])
@pytest.mark.parametrize("x", [0.4, np.float32(0.4)])
def test_values_path_matches_the_derivative_graph_exactly(name, f, x):
    from wire.transforms.vjp_values import gradient_at

    d1 = wire.grad(wire.trace(f, x), simplify=False)
    assert len(d1) > 4096
    got = gradient_at(d1, [x], 0)
    want = _evaluated(d1, x)
    assert got is not None and got.dtype == want.dtype == np.asarray(x).dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(wire.grad(wire.grad(f))(x), _general(f)(x))


def test_values_path_special_cases():
    from wire.transforms.vjp_values import gradient_at

    # a first derivative that is a constant: no cotangent reaches x
    d1 = wire.grad(wire.trace(lambda x: x * 3.0, 0.5), simplify=False)
    got = gradient_at(d1, [0.5], 0)
    assert got.shape == () and got.dtype == np.float64 and float(got) == 0.0
    # the identity: f = x²/2, f' = x; the result is a new array, never the argument
    x = np.array(0.5)
    d1 = wire.grad(wire.trace(lambda t: t * t * 0.5, x), simplify=False)
    got = gradient_at(d1, [x], 0)
    assert float(got) == 1.0 and got is not x
    # NaN and infinities propagate as in the graph
    d1 = wire.grad(wire.trace(lambda t: wnp.sqrt(t) * wnp.log(t), 1.0), simplify=False)
    with np.errstate(all="ignore"):
        for v in (0.0, -1.0, np.inf, np.nan):
            np.testing.assert_array_equal(gradient_at(d1, [v], 0), _evaluated(d1, v))


def test_values_path_declines_what_needs_the_graph():
    from wire.transforms.vjp_values import gradient_at

    @wire.custom_vjp
    def clipped(x):
        return wnp.sin(x)

    clipped.defvjp(lambda x: (wnp.sin(x), x), lambda x, ct: (ct * wnp.cos(x) * 2.0,))
    looped = lambda x: wire.fori_loop(0, 3, lambda i, c: wnp.sin(c) * 1.1, x)  # noqa: E731
    # a custom rule applies once: the first derivative graph holds its bwd as ordinary code
    d1 = wire.grad(wire.trace(lambda x: clipped(x) * x, 0.3), simplify=False)
    np.testing.assert_array_equal(gradient_at(d1, [0.3], 0), _evaluated(d1, 0.3))
    # a loop's derivative is a loop (a node with sub-graphs): the graph is needed
    d1 = wire.grad(wire.trace(lambda x: looped(x) * x, 0.3), simplify=False)
    assert gradient_at(d1, [0.3], 0) is None
    # and grad(grad) of such functions above the threshold: the graph path's values
    long = _long(lambda x: wnp.sin(x) * 0.9, 1200)
    for big in (_long(lambda x: wnp.sin(clipped(x)) * 0.9, 1200),
                lambda x: looped(long(x))):
        np.testing.assert_array_equal(wire.grad(wire.grad(big))(0.3), _general(big)(0.3))
    # two outputs: not a gradient
    two = wire.trace(lambda x: (wnp.sin(x), x), 0.3)
    assert gradient_at(two, [0.3], 0) is None


def test_values_path_under_debug_nans_takes_the_graph_path():
    f = chain(2000, wnp)
    with wire.debug_nans():
        got = wire.grad(wire.grad(f))(0.3)
    assert float(got) == pytest.approx(second_derivative(2000), rel=1e-12)
