"""Taylor mode (``wire.jet``, ``wire.taylor``) and derivative towers (nested ``grad`` of a
function of one scalar), against independent oracles:

* every primitive of the registry, on its own sampler, against nested forward mode along a
  polynomial path ``x(t) = x0 + x1 t + … + xn t**n`` (``jvp`` nested ``n`` times: the rules
  the generic suite of ``tests/test_prims.py`` checks against finite differences);
* every smooth elementwise function to order 8 against mpmath's derivatives (30 digits);
* nested reverse mode (``grad`` of ``grad``, the path before Taylor mode) to order 8;
* JAX's ``jet`` where JAX has the rules.
"""

import math

import numpy as np
import pytest
from selection import slow_selected

import wire
import wire.numpy as wnp
import wire.scipy.special as wsp
from wire.api.registry import REGISTRY
from wire.core import bind, proj_p

mpmath = pytest.importorskip("mpmath")

PRIMS = sorted((p for p in REGISTRY.values() if p is not proj_p), key=lambda p: p.name)
# while: below; riemann_zeta: differentiable in no operand (its rule raises
# NonDifferentiableError, tests/test_special_more.py)
SMOOTH = [p for p in PRIMS if not p.nondiff and p.name not in ("while", "riemann_zeta")]
# the orders the nested-jvp oracle reaches in a few seconds; Taylor mode itself is cheap
HEAVY = {"betainc", "betainc_deriv", "gammainc", "gammainc_deriv", "gammaincc", "scan", "eig",
         "svd", "pinv", "qr", "cond", "adjugate", "cumprod", "reduce_prod", "inv_or_inf"}


def _as_tuple(x):
    return tuple(x) if isinstance(x, tuple) else (x,)


def _random_like(rng, x):
    x = np.asarray(x)
    v = rng.normal(size=x.shape)
    if x.dtype.kind == "c":
        v = v + 1j * rng.normal(size=x.shape)
    return (0.3 * v).astype(x.dtype)


def _nested_jvp(g, order):
    """Derivatives 1..order at t = 0 of ``g(t)`` (a tuple of arrays) by nested forward mode."""
    out, d = [], g
    for _ in range(order):
        d = (lambda h: lambda t: wire.jvp(h, (t,), (1.0,))[1])(d)
        out.append(d(0.0))
    return out


def _close(got, want, tol, what):
    got, want = np.asarray(got), np.asarray(want)
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, err_msg=what)


def _check_primitive(prim, order, seed, scaled):
    rng = np.random.default_rng(seed)
    args, params = prim.sample(rng)
    args = [np.asarray(a) for a in args]
    pos = [i for i, a in enumerate(args) if a.dtype.kind in "fc"]
    xs = [args[i] for i in pos]
    series = [[_random_like(rng, x) for _ in range(order)] for x in xs]

    def f(*vals):
        full = list(args)
        for i, v in zip(pos, vals):
            full[i] = v
        return _as_tuple(bind(prim, *full, **params))

    y, ys = wire.jet(f, tuple(xs), tuple(series), factorial_scaled=scaled)
    want_y = f(*xs)
    # the oracle: x(t) = Σ c_k t^k / k! (scaled) or Σ c_k t^k, derivatives by nested jvp

    def path(t):
        return f(*[x + sum(c * (t ** (k + 1) / (math.factorial(k + 1) if scaled else 1))
                           for k, c in enumerate(cs)) for x, cs in zip(xs, series)])

    ref = _nested_jvp(path, order)
    for o, (yo, so, wo) in enumerate(zip(y, ys, want_y)):
        _close(yo, wo, 1e-12, f"{prim.name} output {o}")
        if np.asarray(wo).dtype.kind not in "fc":
            continue
        for k in range(order):
            want = ref[k][o] if scaled else ref[k][o] / math.factorial(k + 1)
            tol = 1e-4 if np.asarray(wo).dtype == np.float32 else 1e-9
            _close(so[k], want, tol, f"{prim.name} output {o}, order {k + 1}")


@pytest.mark.parametrize("prim", SMOOTH, ids=lambda p: p.name)
def test_every_primitive_series_matches_nested_forward_mode(prim):
    order = 2 if prim.name in HEAVY else 4
    _check_primitive(prim, order, seed=0, scaled=True)
    _check_primitive(prim, 2, seed=1, scaled=False)


# jvp nested six deep (the oracle) takes 0.5-7 s on these (binom 7 s, half the test's time):
# every run checks them to order 4 above, -m slow to order 6 as well
SLOW_ORDER_6 = {"binom", "erfcx", "betainc_dx", "erf", "poch", "sph_harm_y", "boxcox",
                "owens_t", "hypot", "float_power", "boxcox1p"}


@pytest.mark.slow
@pytest.mark.parametrize("prim", SMOOTH, ids=lambda p: p.name)
def test_every_primitive_series_matches_nested_forward_mode_to_order_6(prim, request):
    if prim.name in SLOW_ORDER_6 and not slow_selected(request.config):
        pytest.skip("runs with -m slow")
    _check_primitive(prim, 3 if prim.name in HEAVY else 6, seed=2, scaled=True)


def test_every_primitive_declares_its_taylor_rule():
    assert all(p.taylor is not None for p in PRIMS)


def test_nondifferentiable_primitives_have_zero_series():
    x = np.array([0.3, -1.7, 2.5])
    y, (s1, s2) = wire.jet(lambda v: wnp.floor(v) + wnp.sign(v) * 2.0, (x,),
                           ([np.ones(3), np.ones(3)],))
    np.testing.assert_array_equal(y, np.floor(x) + np.sign(x) * 2)
    assert not np.any(s1) and not np.any(s2)


def test_while_loop_series_match_nested_forward_mode():
    def f(x):
        return wire.while_loop(lambda c: c[1] < 4, lambda c: (wnp.sin(c[0]) * 1.5, c[1] + 1),
                               (x, 0))[0]

    x, c = 0.7, [0.4, -0.2, 0.1]
    y, ys = wire.jet(f, (x,), (c,))
    ref = _nested_jvp(lambda t: (f(x + c[0] * t + c[1] * t**2 / 2 + c[2] * t**3 / 6),), 3)
    for k in range(3):
        _close(ys[k], ref[k][0], 1e-10, f"order {k + 1}")


# --------------------------------------------------------------------------- mpmath

# (wire function, mpmath function, point) — the closed forms, derivatives to order 8
MP = [
    (wnp.exp, mpmath.exp, 0.7), (wnp.exp2, lambda x: mpmath.power(2, x), 0.7),
    (wnp.expm1, mpmath.expm1, -0.4), (wnp.log, mpmath.log, 1.3),
    (wnp.log2, lambda x: mpmath.log(x, 2), 1.3), (wnp.log10, mpmath.log10, 1.3),
    (wnp.log1p, mpmath.log1p, 0.4), (wnp.sqrt, mpmath.sqrt, 1.7),
    (wnp.sin, mpmath.sin, 0.7), (wnp.cos, mpmath.cos, 0.7), (wnp.tan, mpmath.tan, 0.7),
    (wnp.arcsin, mpmath.asin, 0.4), (wnp.arccos, mpmath.acos, 0.4),
    (wnp.arctan, mpmath.atan, 0.4), (wnp.sinh, mpmath.sinh, 0.7),
    (wnp.cosh, mpmath.cosh, 0.7), (wnp.tanh, mpmath.tanh, 0.7),
    (wnp.arcsinh, mpmath.asinh, 0.7), (wnp.arccosh, mpmath.acosh, 1.7),
    (wnp.arctanh, mpmath.atanh, 0.4), (wnp.abs, abs, -0.7),
    (wsp.erf, mpmath.erf, 0.6), (wsp.erfc, mpmath.erfc, 0.6),
    (wsp.erfinv, mpmath.erfinv, 0.3), (wsp.gammaln, mpmath.loggamma, 2.3),
    (lambda x: wsp.polygamma(1, x), lambda x: mpmath.psi(1, x), 2.3),
    (wsp.ndtri, lambda p: mpmath.sqrt(2) * mpmath.erfinv(2 * p - 1), 0.3),
    (lambda x: x ** 2.5, lambda x: x ** mpmath.mpf(2.5), 1.4),
    (lambda x: 1.0 / (1.0 + x * x), lambda x: 1 / (1 + x * x), 0.6),
    (lambda x: x ** -3, lambda x: x ** -3, 0.9),
    (lambda x: wnp.arctan2(x, 1.3 - x), lambda x: mpmath.atan2(x, 1.3 - x), 0.4),
]


@pytest.mark.parametrize("fn, mp, x", MP, ids=[f"{m.__name__ if hasattr(m, '__name__') else i}"
                                              for i, (_, m, _) in enumerate(MP)])
def test_derivatives_to_order_8_match_mpmath(fn, mp, x):
    got = wire.taylor(fn, 8)(x)
    with mpmath.workdps(30):
        want = [mpmath.diff(mp, mpmath.mpf(x), k) for k in range(9)]
    for k, (g, w) in enumerate(zip(got, want)):
        assert float(g) == pytest.approx(float(w), rel=1e-10, abs=1e-12), k


# --------------------------------------------------------------------------- nested grad


def _nested_reverse(f, n):
    """``grad`` nested ``n`` times through plain lambdas, so each level differentiates the
    graph of the level below in reverse mode (what nested ``grad`` did before towers)."""
    g = f
    for _ in range(n):
        g = (lambda h: wire.grad(lambda x: h(x)))(g)
    return g


TOWER = [
    ("rational_log", lambda x: (x**3 + 2 * x) / (1 + x**2) + wnp.log1p(x**2) * wnp.cos(3 * x)),
    ("arctan_sinh", lambda x: wnp.arctan(wnp.sinh(x) * wnp.sqrt(1 + x**2))
     + wnp.exp(-x**2) * wnp.tanh(2 * x) / (2 + wnp.sin(x))),
    ("sin_exp_tanh", lambda x: wnp.sin(x) * wnp.exp(wnp.tanh(x))),
    ("rational5", lambda x: (x**5 - 3 * x**3 + 2 * x - 1) / (x**5 + 2 * x**4 + x**2 + 3)),
    ("log_sqrt_erf", lambda x: wnp.log(2 + wsp.erf(wnp.sqrt(1 + x**2)))),
]


@pytest.mark.parametrize("name, f", TOWER, ids=[t[0] for t in TOWER])
def test_taylor_and_grad_towers_match_nested_reverse_mode(name, f):
    x = 0.3
    derivs = wire.taylor(f, 8)(x)
    g = f
    for n in range(1, 9):
        g = wire.grad(g)
        tower = g(x)
        assert float(tower) == pytest.approx(float(derivs[n]), rel=1e-12), n
        if n <= 4:  # the old path grows fast with n
            assert float(tower) == pytest.approx(float(_nested_reverse(f, n)(x)), rel=1e-9), n


def test_grad_tower_graphs_stay_small():
    """grad^8 is one Taylor pass: a few hundred nodes, where nested reverse mode made 9 246
    for the first panel function (issue 17)."""
    f = TOWER[0][1]
    g = f
    for _ in range(8):
        g = wire.grad(g)
    assert len(wire.trace(g, 0.3)) < 250


def test_polynomial_derivatives_are_exact():
    # factorial-scaled series: integer constants only, so these come out exactly
    f = lambda x: (x**5 - 3 * x**3 + 2 * x - 1) * (x**2 + 1)  # noqa: E731
    p = np.polymul([1, 0, -3, 0, 2, -1], [1, 0, 1])  # integer coefficients: exact
    want = [int(np.polyval(np.polyder(p, k) if k else p, 2)) for k in range(9)]
    assert [float(d) for d in wire.taylor(f, 8)(2.0)] == want


def test_grad_towers_fall_back_where_they_do_not_apply():
    f = lambda x, y: wnp.sin(x) * y**3  # noqa: E731  two arguments
    assert float(wire.grad(wire.grad(f))(0.5, 2.0)) == pytest.approx(-np.sin(0.5) * 8)
    h = lambda v: wnp.sum(wnp.sin(v) ** 2)  # noqa: E731  an array argument
    want = np.diag([2 * np.cos(2 * t) for t in (0.1, 0.2)])
    np.testing.assert_allclose(wire.jacfwd(wire.grad(h))(np.array([0.1, 0.2])), want)
    aux = wire.grad(wire.grad(lambda x: (wnp.sin(x), 2.0), has_aux=True), has_aux=True)
    np.testing.assert_allclose(aux(0.4), (-np.sin(0.4), 2.0))
    k = wire.grad(wire.grad(wnp.sin, simplify=False))  # mixed simplify flags
    assert float(wire.grad(k)(0.4)) == pytest.approx(-np.cos(0.4))


def test_grad_towers_compose_with_jit_vmap_and_float32():
    f = TOWER[2][1]
    g3 = wire.grad(wire.grad(wire.grad(f)))
    xs = np.array([0.1, 0.5, 1.3])
    want = [float(wire.taylor(f, 3)(x)[3]) for x in xs]
    np.testing.assert_allclose(wire.vmap(g3)(xs), want, rtol=1e-12)
    np.testing.assert_allclose(wire.jit(g3)(0.5), want[1], rtol=1e-12)
    got32 = g3(np.float32(0.5))
    assert got32.dtype == np.float32 and float(got32) == pytest.approx(want[1], rel=1e-5)
    with pytest.raises(wire.NonDifferentiableError):
        g3(np.int64(1))


# --------------------------------------------------------------------------- special values


def test_special_values_follow_nested_derivatives():
    with np.errstate(all="ignore"):
        assert all(np.isnan(float(d)) for d in wire.taylor(wnp.sin, 3)(np.nan))
        assert [float(d) for d in wire.taylor(wnp.exp, 3)(-np.inf)] == [0.0] * 4
        assert [float(d) for d in wire.taylor(lambda x: x**3, 4)(0.0)] == [0, 0, 0, 6, 0]
        assert [float(d) for d in wire.taylor(wnp.sqrt, 3)(0.0)] == [0, np.inf, -np.inf,
                                                                    np.inf]
        assert [float(d) for d in wire.taylor(lambda x: x**0.5, 3)(0.0)] == [0, np.inf,
                                                                            -np.inf, np.inf]
        assert float(wire.taylor(lambda x: x**-2, 1)(-0.0)[1]) == np.inf
    # a tie of maximum splits the derivative, at every order (as nested jvp does)
    y, s = wire.jet(lambda a, b: wnp.maximum(a, b), (1.0, 1.0), ([2.0, 1.0], [0.0, 3.0]))
    np.testing.assert_allclose(s, [1.0, 2.0])
    # abs at 0: sign(0) = 0, as its jvp
    assert [float(d) for d in wire.taylor(wnp.abs, 2)(0.0)] == [0.0, 0.0, 0.0]
    assert [float(d) for d in wire.taylor(wnp.abs, 2)(-0.0)] == [0.0, 0.0, 0.0]


def test_empty_and_size_one_arrays():
    y, s = wire.jet(wnp.tanh, (np.zeros((0, 3)),), ([np.zeros((0, 3))] * 2,))
    assert y.shape == (0, 3) and [c.shape for c in s] == [(0, 3), (0, 3)]
    d = wire.taylor(lambda v: wnp.sum(wnp.exp(v)), 2)(np.array([0.5]))
    np.testing.assert_allclose(d, [np.exp(0.5)] * 3)


# --------------------------------------------------------------------------- the API


def test_jet_takes_pytrees_and_returns_lists_per_output_leaf():
    def f(p):
        return {"s": wnp.sin(p["x"]) * p["y"], "t": (p["x"] * p["y"],)}

    p = {"x": np.array([0.2, 0.4]), "y": 1.5}
    terms = [{"x": np.ones(2), "y": 0.5}, {"x": np.zeros(2), "y": 0.0}]
    y, s = wire.jet(f, (p,), (terms,))
    assert set(s) == {"s", "t"} and len(s["s"]) == 2 and len(s["t"][0]) == 2
    x, v = p["x"], 1.5
    np.testing.assert_allclose(s["s"][0], np.cos(x) * v + np.sin(x) * 0.5)
    np.testing.assert_allclose(s["t"][0][1], 2 * 0.5 * np.ones(2))


def test_jet_factorial_scaling_matches_jax_convention():
    y, d = wire.jet(wnp.exp, (0.0,), ([1.0, 0.0, 0.0],))
    np.testing.assert_allclose(d, [1.0, 1.0, 1.0])
    y, c = wire.jet(wnp.exp, (0.0,), ([1.0, 0.0, 0.0],), factorial_scaled=False)
    np.testing.assert_allclose(c, [1.0, 0.5, 1 / 6])


def test_jet_errors_name_the_problem():
    with pytest.raises(wire.WireError, match="same length"):
        wire.jet(wnp.add, (1.0, 2.0), ([1.0, 2.0], [1.0]))
    with pytest.raises(wire.ShapeError, match="term 1"):
        wire.jet(wnp.sin, (np.ones(3),), ([np.ones(2)],))
    with pytest.raises(wire.WireError, match="tuples"):
        wire.jet(wnp.sin, 1.0, [1.0])
    with pytest.raises(wire.WireError, match="order"):
        wire.taylor(wnp.sin, -1)
    with pytest.raises(wire.WireError, match="floating-point"):
        wire.taylor(lambda i: i * 2.0, 2)(np.int64(3))


def test_jet_composes_with_grad_vmap_and_jit():
    def third(x):  # third derivative of sin(x)·x² by jet
        return wire.jet(lambda v: wnp.sin(v) * v * v, (x,), ([1.0, 0.0, 0.0],))[1][2]

    def want3(x):
        return -np.cos(x) * x * x - 6 * np.sin(x) * x + 6 * np.cos(x)

    def want4(x):
        return np.sin(x) * x * x - 8 * np.cos(x) * x - 12 * np.sin(x)

    assert float(wire.grad(third)(0.7)) == pytest.approx(want4(0.7), rel=1e-12)
    xs = np.array([0.1, 0.7, 2.0])
    np.testing.assert_allclose(wire.vmap(third)(xs), want3(xs), rtol=1e-12)
    np.testing.assert_allclose(wire.jit(third)(0.7), want3(0.7), rtol=1e-12)
    # jet of a gradient
    y, s = wire.jet(wire.grad(lambda v: wnp.sin(v) * v), (0.3,), ([1.0, 0.0],))
    np.testing.assert_allclose([y, *s], [np.sin(.3) + .3 * np.cos(.3),
                                         2 * np.cos(.3) - .3 * np.sin(.3),
                                         -3 * np.sin(.3) - .3 * np.cos(.3)])


def test_taylor_of_arrays_is_along_ones_and_keeps_float32():
    x = np.array([0.2, 0.5], dtype=np.float32)
    d = wire.taylor(wnp.sin, 3)(x)
    assert all(v.dtype == np.float32 for v in d)
    np.testing.assert_allclose(d[3], -np.cos(x), rtol=1e-6)
    d = wire.taylor(lambda a, b: wnp.sum(a * b), 2, argnums=1)(np.ones(2), np.arange(2.0))
    np.testing.assert_allclose(d, [1.0, 2.0, 0.0])
    g = wire.taylor(wnp.exp, 2)
    assert len(wire.trace(g, 1.0)) <= 2  # exp(x) three times: one node, plus its uses


# --------------------------------------------------------------------------- JAX's jet


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    from jax.experimental.jet import jet as jax_jet  # noqa: PLC0415
    import jax.scipy.special as jsp  # noqa: PLC0415

    return jax.numpy, jsp, jax_jet


JAX_CASES = [  # (name, f(numpy-like, special) -> function, primal shapes): JAX has the rules
    ("elementwise", lambda ns, sp: lambda x: ns.sin(x) * ns.exp(ns.tanh(x))
     + ns.log1p(x * x) / ns.cosh(x), [(3,)]),
    ("matmul", lambda ns, sp: lambda a, b: ns.tanh(a @ b).sum(axis=0), [(2, 3), (3, 4)]),
    ("powers", lambda ns, sp: lambda x: ns.sqrt(1.0 + x**2) * x**3 + ns.abs(x) ** 1.5, [(4,)]),
    ("special", lambda ns, sp: lambda x: sp.erf(x) + ns.expm1(-x) * ns.arcsinh(x)
     + ns.arctanh(x / 3.0) + sp.erfinv(x / 2.0), [(3,)]),
    ("binary", lambda ns, sp: lambda x, y: ns.arctan2(x, y) + ns.maximum(x, y) * x / y,
     [(3,), (3,)]),
    ("reductions", lambda ns, sp: lambda x: ns.cumsum(ns.sin(x), axis=1).max(axis=0)
     + ns.concatenate([x[0], x[1, ::-1]])[1:4], [(2, 3)]),
]


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if i > 1 else c
                                  for i, c in enumerate(JAX_CASES)], ids=[c[0] for c in JAX_CASES])
def test_jet_matches_jax_jet(case):
    jnp, jsp, jax_jet = _jax()
    name, make, shapes = case
    rng = np.random.default_rng(len(name))
    xs = tuple(rng.uniform(0.5, 1.5, size=s) for s in shapes)
    series = tuple([rng.normal(size=s) * 0.5 for _ in range(4)] for s in shapes)
    y, s = wire.jet(make(wnp, wsp), xs, series)
    jy, js = jax_jet(make(jnp, jsp), xs, series)
    np.testing.assert_allclose(y, np.asarray(jy), rtol=1e-12, err_msg=name)
    for k in range(4):
        np.testing.assert_allclose(s[k], np.asarray(js[k]), rtol=1e-9, atol=1e-11,
                                   err_msg=f"{name} order {k + 1}")
