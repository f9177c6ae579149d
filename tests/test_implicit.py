"""wire.fixed_point and wire.custom_root: values and implicit-function-theorem derivatives
against closed forms and finite differences, in every transform (grad, grad∘grad, jvp,
jacfwd, jacrev, hessian, jit, vmap), with parameters passed or closed over."""

import math

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.implicit import dense_tangent_solve


def kepler(x, a):
    return a * wnp.cos(x)


def solution(a):
    return wire.fixed_point(kepler, 0.0, a)


def exact_slope(a):
    """dx/da for x = a cos x: cos x / (1 + a sin x)."""
    x = float(solution(a))
    return math.cos(x) / (1.0 + a * math.sin(x))


def test_fixed_point_value_and_derivatives():
    x = float(solution(0.5))
    assert x == pytest.approx(0.5 * math.cos(x), abs=1e-15)
    assert wire.grad(solution)(0.5) == pytest.approx(exact_slope(0.5), rel=1e-13)
    assert wire.jvp(solution, (0.5,), (1.0,))[1] == pytest.approx(exact_slope(0.5), rel=1e-13)
    second = (exact_slope(0.5 + 1e-5) - exact_slope(0.5 - 1e-5)) / 2e-5
    assert wire.grad(wire.grad(solution))(0.5) == pytest.approx(second, rel=1e-7)
    assert wire.hessian(solution)(0.5) == pytest.approx(second, rel=1e-7)
    assert wire.jit(wire.grad(solution))(0.5) == pytest.approx(exact_slope(0.5), rel=1e-13)
    a = np.array([0.3, 0.5, 0.9])
    np.testing.assert_allclose(wire.vmap(wire.grad(solution))(a), [exact_slope(v) for v in a],
                               rtol=1e-13)
    # a parameter the function closes over is differentiated just the same
    closed = wire.grad(lambda a: wire.fixed_point(lambda x: a * wnp.cos(x), 0.0))(0.5)
    assert closed == pytest.approx(exact_slope(0.5), rel=1e-13)


def test_fixed_point_vectors_and_pytrees():
    rng = np.random.default_rng(0)
    W, u = 0.3 * rng.normal(size=(3, 3)), rng.normal(size=3)

    def layer(x, W, u):  # a small deep-equilibrium layer x = tanh(W x + u)
        return wnp.tanh(W @ x + u)

    def equilibrium(W, u):
        return wire.fixed_point(layer, np.zeros(3), W, u)

    x = equilibrium(W, u)
    np.testing.assert_allclose(x, np.tanh(W @ x + u), atol=1e-15)
    D = np.diag(1.0 - np.tanh(W @ x + u) ** 2)
    exact = np.linalg.solve(np.eye(3) - D @ W, D)  # dx/du
    np.testing.assert_allclose(wire.jacrev(equilibrium, argnums=1)(W, u), exact, atol=1e-14)
    np.testing.assert_allclose(wire.jacfwd(equilibrium, argnums=1)(W, u), exact, atol=1e-14)
    gW = wire.grad(lambda W: wnp.sum(equilibrium(W, u)))(W)
    fd = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[i] = 1e-6
        fd[i] = (np.sum(equilibrium(W + e, u)) - np.sum(equilibrium(W - e, u))) / 2e-6
    np.testing.assert_allclose(gW, fd, rtol=1e-7, atol=1e-9)

    def pair(a):
        return wire.fixed_point(lambda s, a: {"p": a * wnp.cos(s["q"]), "q": 0.5 * wnp.sin(s["p"])},
                                {"p": 0.0, "q": 0.0}, a)

    s = pair(0.7)
    assert float(s["p"]) == pytest.approx(0.7 * math.cos(float(s["q"])), abs=1e-15)
    g = wire.grad(lambda a: pair(a)["p"])(0.7)
    assert g == pytest.approx((float(pair(0.7 + 1e-6)["p"]) - float(pair(0.7 - 1e-6)["p"])) / 2e-6,
                              rel=1e-7)


def test_fixed_point_without_convergence():
    with pytest.raises(wire.WireError, match="no convergence"):
        wire.fixed_point(lambda x: 2.0 * x + 1.0, 1.0)  # repelling: iterates run away
    assert np.isnan(wire.jit(lambda a: wire.fixed_point(lambda x: a * x + 1.0, 0.0))(2.0))
    assert wire.fixed_point(lambda x: 0.5 * x + 1.0, 0.0, max_iter=5000) == pytest.approx(2.0, rel=1e-14)
    x32 = wire.fixed_point(lambda x: 0.5 * wnp.cos(x), np.float32(0.0))
    assert x32.dtype == np.float32 and abs(x32 - 0.5 * np.cos(x32)) < 1e-6


def newton(f, x0):
    step = lambda x: x - f(x) / wire.grad(f)(x)
    return wire.fori_loop(0, 40, lambda i, x: step(x), x0)


def scalar_solve(g, y):
    return y / g(1.0)


def sqrt_root(a):
    return wire.custom_root(lambda x: x * x - a, 1.0, newton, scalar_solve)


def test_custom_root_scalar_newton():
    assert sqrt_root(2.0) == pytest.approx(math.sqrt(2.0), rel=1e-15)
    assert wire.grad(sqrt_root)(2.0) == pytest.approx(0.5 / math.sqrt(2.0), rel=1e-14)
    assert wire.grad(wire.grad(sqrt_root))(2.0) == pytest.approx(-0.25 * 2.0 ** -1.5, rel=1e-13)
    assert wire.jit(wire.grad(sqrt_root))(9.0) == pytest.approx(1.0 / 6.0, rel=1e-14)
    np.testing.assert_allclose(wire.vmap(wire.grad(sqrt_root))(np.array([1.0, 4.0, 9.0])),
                               [0.5, 0.25, 1.0 / 6.0], rtol=1e-14)
    assert wire.jvp(sqrt_root, (4.0,), (1.0,))[1] == pytest.approx(0.25, rel=1e-14)


def test_custom_root_never_differentiates_the_solver():
    """The solve may be anything, even opaque to wire (stop_gradient): the derivative comes
    from the implicit function theorem at the root it returns."""

    def opaque(f, x0):
        return wire.stop_gradient(newton(f, x0))

    root = lambda a: wire.custom_root(lambda x: x ** 3 - a, 1.0, opaque, scalar_solve)
    assert wire.grad(root)(8.0) == pytest.approx(1.0 / 12.0, rel=1e-14)  # (1/3) a^(-2/3)


def test_custom_root_vectors_and_aux():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])

    def solve(f, x0):
        x = newton_vec(f, x0)
        return x, wnp.sum(f(x) ** 2)  # aux: the residual, not differentiated

    def newton_vec(f, x0):
        step = lambda x: x - wnp.linalg.solve(wire.jacfwd(f)(x), f(x))
        return wire.fori_loop(0, 30, lambda i, x: step(x), x0)

    def tangent_solve(g, y):  # g's matrix: one batched JVP
        return wnp.linalg.solve(g.matrix(), y)

    def root(b):  # x³ (elementwise) + A x = b
        return wire.custom_root(lambda x: x ** 3 + A @ x - b, np.zeros(2), solve, tangent_solve,
                                has_aux=True)

    b = np.array([1.0, 2.0])
    x, residual = root(b)
    np.testing.assert_allclose(x ** 3 + A @ x, b, atol=1e-14)
    assert residual < 1e-25
    exact = np.linalg.inv(np.diag(3 * x ** 2) + A)
    np.testing.assert_allclose(wire.jacrev(lambda b: root(b)[0])(b), exact, atol=1e-14)
    np.testing.assert_allclose(wire.jacfwd(lambda b: root(b)[0])(b), exact, atol=1e-14)
    # the same with the library's dense solve, and a matrix argument (a square parameter is
    # the case where a closure over the rule's inputs would collide with a batch input)
    def root_m(M):
        return wire.custom_root(lambda x: x ** 3 + M @ x - b, np.zeros(2),
                                lambda f, x0: solve(f, x0)[0], dense_tangent_solve)

    np.testing.assert_allclose(root_m(A), x, atol=1e-15)
    E = np.array([[0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(wire.jvp(root_m, (A,), (E,))[1], -exact @ E @ x, atol=1e-14)
    gA = wire.grad(lambda M: wnp.sum(root_m(M)))(A)
    np.testing.assert_allclose(gA, -np.outer(exact.T @ np.ones(2), x), atol=1e-14)
    with pytest.raises(wire.ShapeError, match="structure"):
        wire.custom_root(lambda x: (x, x), 1.0, newton, scalar_solve)


# Each case has a coefficient of its own, so its graphs are new to the derivative memos
# (which key them by structure): the first call of the case is the first derivation.
_PYTREE_CASES = {("tuple", True): 0.5, ("tuple", False): 0.25, ("dict", True): 0.75,
                 ("dict", False): 0.125}


@pytest.mark.parametrize("kind, jit_first", list(_PYTREE_CASES))
def test_pytree_fixed_point_derivatives_eager_and_jit_in_either_order(kind, jit_first):
    """Eager and jitted jacfwd/jacrev/jvp of a fixed_point with a tuple or dict x0 agree
    with finite differences whichever runs first (an eager jacfwd left a memoized JVP graph
    holding a value of its trace: a later jit of it, or eager jvp, raised
    UnexpectedTracerError)."""
    c = _PYTREE_CASES[kind, jit_first]
    if kind == "tuple":
        x0, step = (0.0, 0.0), lambda v, a: (a[0] * wnp.cos(v[0]), c * v[0] + a[1])
    else:
        x0 = {"p": 0.0, "q": 0.0}
        step = lambda v, a: {"p": a[0] * wnp.cos(v["p"]), "q": c * v["p"] + a[1]}

    def f(x):
        out = wire.fixed_point(step, x0, x)
        return wnp.stack(list(out) if kind == "tuple" else [out["p"], out["q"]])

    x, u = np.array([0.5, 0.2]), np.array([0.3, -0.7])
    h = 1e-6
    fd = np.stack([(np.asarray(f(x + h * e)) - np.asarray(f(x - h * e))) / (2 * h)
                   for e in np.eye(2)], axis=1)
    exact = math.cos(float(f(x)[0])) / (1.0 + 0.5 * math.sin(float(f(x)[0])))
    np.testing.assert_allclose(fd, [[exact, 0.0], [c * exact, 1.0]], rtol=1e-8, atol=1e-8)

    def jvp_tangent(x):
        return wire.jvp(f, (x,), (u,))[1]

    eager = [wire.jacfwd(f), wire.jacrev(f), jvp_tangent]
    jitted = [wire.jit(g) for g in eager]
    order = jitted + eager if jit_first else eager + jitted
    for g in order + order:  # and again, from the memos
        want = fd @ u if g in (jvp_tangent, jitted[2]) else fd
        np.testing.assert_allclose(np.asarray(g(x)), want, rtol=1e-7, atol=1e-9)
