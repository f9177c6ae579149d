"""One generic suite over every registered primitive: the shape rule agrees with the
implementation; VJP and JVP agree with central finite differences (float64); second-order
derivatives (the derivative of the VJP) agree with finite differences; zero-derivative
primitives produce zero gradients. Examples come from each primitive's own ``sample``."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import wire
from wire.ir import Aval, aval_of
from wire.ops.shape import proj_p
from wire.api.registry import REGISTRY
from wire.core import bind

PRIMS = sorted((p for p in REGISTRY.values() if p is not proj_p), key=lambda p: p.name)
EPS = 1e-6


def _float_positions(args):
    """Positions of the floating-point (real or complex) arguments."""
    return [i for i, a in enumerate(args) if np.asarray(a).dtype.kind in "fc"]


def _widen(a):
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def _as_tuple(x):
    return tuple(x) if isinstance(x, tuple) else (x,)


def _has_float_argument(prim) -> bool:
    args, _ = prim.sample(np.random.default_rng(0))
    return bool(_float_positions(args))


def _has_float_output(prim) -> bool:
    args, params = prim.sample(np.random.default_rng(0))
    return any(np.asarray(o).dtype.kind == "f" for o in _as_tuple(prim.impl(*args, **params)))


# Differentiable primitives whose samples hold no float argument: their derivatives are
# tested elsewhere (while_loop's forward mode in tests/test_control_flow.py); riemann_zeta has
# no derivative in its one argument (differentiating raises: tests/test_special_more.py).
NO_FLOAT_SAMPLE = {"while"}
SMOOTH = [p for p in PRIMS if not p.nondiff and p.name not in NO_FLOAT_SAMPLE]
ZERO_DERIVATIVE = [p for p in PRIMS if p.nondiff and _has_float_argument(p)
                   and _has_float_output(p)]


def test_every_primitive_is_covered():
    missing = [p.name for p in PRIMS if p.sample is None]
    assert not missing, f"primitives without a sampler (so untested): {missing}"
    assert len(PRIMS) >= 40
    no_float = {p.name for p in PRIMS if not p.nondiff and not _has_float_argument(p)}
    assert no_float == NO_FLOAT_SAMPLE, "differentiable primitives whose sample has no float "\
        f"argument (so no derivative check runs): {sorted(no_float)}"
    assert len(ZERO_DERIVATIVE) >= 7  # sign, floor, ceil, round, floor_divide, full_like, …


def _fn(prim, args, params, pos):
    """The primitive as a function of its float arguments (others fixed), outputs a tuple."""

    def f(*xs):
        full = list(args)
        for i, x in zip(pos, xs):
            full[i] = x
        return _as_tuple(bind(prim, *full, **params))

    return f


def _inner(outs, cts):
    """Real inner product <o, ct> = Re sum(o * conj(ct)) (complex outputs included)."""
    return sum(float(np.real(np.sum(np.asarray(o) * np.conj(c)))) for o, c in zip(outs, cts))


def _random_like(rng, o):
    o = np.asarray(o)
    if o.dtype.kind == "c":
        return rng.normal(size=o.shape) + 1j * rng.normal(size=o.shape)
    return rng.normal(size=o.shape)


def _traced_inner(outs, cts):
    total = 0.0
    for o, c in zip(outs, cts):
        if np.iscomplexobj(c):
            total = total + wire.numpy.sum(wire.numpy.real(o * np.conj(c)))
        else:
            total = total + wire.numpy.sum(o * c)
    return total


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
@settings(max_examples=6)
@given(seed=st.integers(0, 2**31 - 1))
def test_shape_rule_matches_impl(prim, seed):
    args, params = prim.sample(np.random.default_rng(seed))
    out = _as_tuple(prim.impl(*args, **params))
    avals = _as_tuple(prim.shape(*[aval_of(np.asarray(a)) for a in args], **params))
    for o, a in zip(out, avals):
        assert Aval(np.shape(o), np.asarray(o).dtype) == a, (prim.name, o, a)


def _numerical_directional(f, xs, vs, eps=EPS):
    plus = f(*[x + eps * v for x, v in zip(xs, vs)])
    minus = f(*[x - eps * v for x, v in zip(xs, vs)])
    return [(np.asarray(p) - np.asarray(m)) / (2 * eps) for p, m in zip(plus, minus)]


def _close(a, b, tol=2e-5):
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * scale)


def _problem(prim, seed):
    """(rng, f of the float arguments, float64 arguments, a random cotangent per output)."""
    rng = np.random.default_rng(seed)
    args, params = prim.sample(rng)
    args = [np.asarray(a) for a in args]
    pos = _float_positions(args)
    assert pos, f"{prim.name}: the sample has no float argument to differentiate"
    f = _fn(prim, args, params, pos)
    xs = [_widen(args[i]) for i in pos]
    cts = [_random_like(rng, o) for o in f(*xs)]
    return rng, f, xs, cts


@pytest.mark.parametrize("prim", SMOOTH, ids=lambda p: p.name)
@settings(max_examples=6)
@given(seed=st.integers(0, 2**31 - 1))
def test_vjp_and_jvp_match_finite_differences(prim, seed):
    rng, f, xs, cts = _problem(prim, seed)
    vs = [_random_like(rng, x) for x in xs]
    numeric = _numerical_directional(f, xs, vs)

    # reverse mode: <ct, J v> == <J^T ct, v> (JAX's convention for complex inputs: the
    # directional derivative along v is Re sum(grad * v))
    def s(*xs_):
        return _traced_inner(f(*xs_), cts)

    grads = wire.grad(s, argnums=tuple(range(len(xs))))(*xs)
    lhs = sum(float(np.real(np.sum(g * v))) for g, v in zip(grads, vs))
    _close(lhs, _inner(numeric, cts))

    # forward mode: J v
    _, tangents = wire.jvp(f, tuple(xs), tuple(vs))
    for t, n in zip(tangents, numeric):
        _close(np.real(t), np.real(n))
        _close(np.imag(t), np.imag(n))


@pytest.mark.parametrize("prim", SMOOTH, ids=lambda p: p.name)
@settings(max_examples=3)
@given(seed=st.integers(0, 2**31 - 1))
def test_second_order_matches_finite_differences(prim, seed):
    rng, f, xs, cts = _problem(prim, seed)
    vs = [_random_like(rng, x) for x in xs]
    ws = [_random_like(rng, x) for x in xs]
    nums = tuple(range(len(xs)))

    def s(*xs_):
        return _traced_inner(f(*xs_), cts)

    def directional(*xs_):  # <grad s(x), v>, a scalar function of x
        g = wire.grad(s, argnums=nums)(*xs_)
        return sum(wire.numpy.real(wire.numpy.sum(gi * v)) for gi, v in zip(g, vs))

    hess_w = wire.grad(directional, argnums=nums)(*xs)
    exact = sum(float(np.real(np.sum(h * w))) for h, w in zip(hess_w, ws))
    numeric = _numerical_directional(lambda *a: (directional(*a),), xs, ws, eps=1e-5)[0]
    _close(exact, numeric, tol=1e-4)


@pytest.mark.parametrize("prim", ZERO_DERIVATIVE, ids=lambda p: p.name)
def test_zero_derivative_primitives_give_zero_gradients(prim):
    args, params = prim.sample(np.random.default_rng(0))
    args = [np.asarray(a) for a in args]
    pos = _float_positions(args)
    f = _fn(prim, args, params, pos)

    def s(*xs):
        return sum(wire.numpy.sum(o) for o in f(*xs))

    grads = wire.grad(s, argnums=tuple(range(len(pos))))(*[args[i] for i in pos])
    for g in grads:
        assert not np.any(g)


ELEMENTWISE_BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "arctan2", "pow"]


@pytest.mark.parametrize("name", ELEMENTWISE_BINARY)
@settings(max_examples=10)
@given(data=st.data())
def test_broadcasting_gradients(name, data):
    """Gradients of broadcasting binary ops sum back to each operand's shape."""
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31 - 1)))
    prim = REGISTRY[name]
    x = rng.uniform(0.5, 2.0, size=shapes.input_shapes[0])
    y = rng.uniform(0.5, 2.0, size=shapes.input_shapes[1])
    ct = rng.normal(size=shapes.result_shape)

    def s(a, b):
        return wire.numpy.sum(bind(prim, a, b) * ct)

    gx, gy = wire.grad(s, argnums=(0, 1))(x, y)
    assert gx.shape == x.shape and gy.shape == y.shape
    for arr, g, k in ((x, gx, 0), (y, gy, 1)):
        v = rng.normal(size=arr.shape)

        def f(t):
            a, b = (x + t * v, y) if k == 0 else (x, y + t * v)
            return float(np.sum(prim.impl(a, b) * ct))

        numeric = (f(EPS) - f(-EPS)) / (2 * EPS)
        _close(np.sum(g * v), numeric)
