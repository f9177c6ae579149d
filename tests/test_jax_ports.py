"""JAX programs ported by changing imports: ``static_argnames``, ``pure_callback``, storing a
tracer into a NumPy array, ``jvp`` tangents of integer primals under ``vmap``. Oracles: JAX
(x64), NumPy/SciPy, finite differences."""

import functools
import pickle

import numpy as np
import pytest
import scipy.special as sp

import wire
import wire.numpy as wnp
from wire.api import diskcache

S = wire.ShapeDtypeStruct


# ---------------------------------------------------------------- static_argnames


def _counted():
    calls = []

    def f(x, mode="scale", n=2):
        calls.append((mode, n))
        return x * n if mode == "scale" else x - n

    return f, calls


def test_jit_static_argnames_keyword_and_positional():
    f, calls = _counted()
    jf = wire.jit(f, static_argnames=("mode",))
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(jf(x, mode="scale"), [2.0, 4.0])
    np.testing.assert_array_equal(jf(x, mode="shift"), [-1.0, 0.0])
    np.testing.assert_array_equal(jf(x, "shift"), [-1.0, 0.0])  # positional: static too
    np.testing.assert_array_equal(jf(x, mode="scale"), [2.0, 4.0])  # cached
    assert [m for m, _ in calls] == ["scale", "shift", "shift"]


def test_jit_static_argnames_decorator_with_argnums():
    @functools.partial(wire.jit, static_argnums=2, static_argnames="mode")
    def f(x, mode, n):
        return x * n if mode == "scale" else x - n

    x = np.ones(2)
    np.testing.assert_array_equal(f(x, "shift", 3), [-2.0, -2.0])
    np.testing.assert_array_equal(f(x, n=4, mode="scale"), [4.0, 4.0])  # argnums by keyword


def test_jit_static_argnums_passed_by_keyword_is_static():
    # as jax.jit: a parameter in static_argnums is static when passed by name too
    f, _ = _counted()
    jf = wire.jit(f, static_argnums=1)
    np.testing.assert_array_equal(jf(np.ones(2), mode="shift"), [-1.0, -1.0])


def test_jit_static_argnames_unhashable_names_it():
    jf = wire.jit(lambda x, mode: x, static_argnames="mode")
    with pytest.raises(wire.WireTypeError, match=r"'mode'.*list.*not hashable"):
        jf(np.ones(1), mode=[1, 2])
    with pytest.raises(wire.WireTypeError, match=r"static argument 1.*list"):
        jf(np.ones(1), [1, 2])


def test_static_argnames_on_other_transforms():
    f, _ = _counted()
    assert float(wire.grad(f, static_argnames="mode")(3.0, "scale")) == 2.0
    assert float(wire.grad(f, static_argnames="mode")(3.0, "shift")) == 1.0
    v, g = wire.value_and_grad(f, static_argnames="mode")(3.0, "shift", 1)
    assert (float(v), float(g)) == (2.0, 1.0)
    np.testing.assert_array_equal(wire.vmap(f, static_argnames="mode")(np.ones(3), "shift"),
                                  [-1.0, -1.0, -1.0])
    np.testing.assert_array_equal(wire.jacfwd(f, static_argnames="mode")(np.ones(2), "scale"),
                                  2 * np.eye(2))
    np.testing.assert_array_equal(wire.jacrev(f, static_argnames="mode")(np.ones(2), "scale"),
                                  2 * np.eye(2))
    jg = wire.jit(wire.grad(f, static_argnames="mode"), static_argnames="mode")
    assert float(jg(3.0, "scale")) == 2.0


# ---------------------------------------------------------------- pure_callback


def _i0(x, method="expand_dims", record=None):
    def host(v):
        if record is not None:
            record.append(np.shape(v))
        assert type(v) is np.ndarray
        return sp.i0(v)

    return wire.pure_callback(host, S(np.shape(x), np.result_type(x)), x,
                              vmap_method=method)


def test_pure_callback_eager_jit_and_code():
    x = np.array([0.0, 0.5, 3.0])
    np.testing.assert_array_equal(_i0(x), sp.i0(x))
    f = wire.jit(lambda x: _i0(x) * 2.0)
    np.testing.assert_array_equal(f(x), 2.0 * sp.i0(x))
    assert "pure_callback" in f.lower(x).source
    out = wire.jit(lambda x: wire.pure_callback(
        lambda v: (v, {"a": 2 * v}), (S((3,), np.float64), {"a": S((3,), np.float64)}), x))(x)
    np.testing.assert_array_equal(out[1]["a"], 2 * x)


@pytest.mark.parametrize("method,shapes", [
    ("sequential", [((3,), (3,)), ((3,), (3,))]),
    ("expand_dims", [((2, 3), (1, 3))]),
    ("broadcast_all", [((2, 3), (2, 3))]),
])
def test_pure_callback_vmap_methods(method, shapes):
    # the shapes the callback sees are JAX's (jax 0.10, the same program)
    record = []

    def host(x, y):
        record.append((np.shape(x), np.shape(y)))
        return x * sp.i0(y)

    def f(a, b):
        return wire.pure_callback(host, S(a.shape, a.dtype), a, b, vmap_method=method)

    a, b = np.array([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]]), np.array([0.5, 1.5, 2.5])
    out = wire.vmap(f, in_axes=(0, None))(a, b)
    np.testing.assert_array_equal(out, a * sp.i0(b))
    assert record == shapes
    np.testing.assert_array_equal(wire.jit(wire.vmap(f, in_axes=(0, None)))(a, b), out)
    np.testing.assert_array_equal(wire.vmap(f, in_axes=(1, None))(a.T, b), out)


def test_pure_callback_vmap_without_method_refuses():
    with pytest.raises(NotImplementedError, match="vmap_method"):
        wire.vmap(lambda x: _i0(x, None))(np.ones((2, 3)))


def test_pure_callback_checks_result():
    x = np.ones(3)
    with pytest.raises(wire.WireTypeError, match=r"dtype float32.*declared dtype float64"):
        wire.pure_callback(lambda v: v.astype(np.float32), S((3,), np.float64), x)
    with pytest.raises(wire.ShapeError, match=r"shape \(2,\).*declared shape \(3,\)"):
        wire.jit(lambda v: wire.pure_callback(lambda a: a[:2], S((3,), np.float64), v))(x)
    with pytest.raises(wire.WireError, match="vmap_method"):
        wire.pure_callback(np.sin, S((3,), np.float64), x, vmap_method="loop")


def test_pure_callback_has_no_derivative():
    with pytest.raises(wire.NonDifferentiableError, match=r"pure_callback\(.*host.*custom_vjp"):
        wire.grad(lambda x: _i0(x).sum())(np.ones(2))


def test_pure_callback_graph_cannot_be_saved():
    g = wire.trace(lambda x: _i0(x) * 2.0, np.ones(3))
    with pytest.raises(wire.WireError, match="pure_callback"):
        wire.dumps(g)
    with pytest.raises(wire.WireError, match="cannot be saved or pickled"):
        pickle.dumps(g)
    assert diskcache.graph_digest(g) is None  # never in jit's disk cache


def _callback(fn):
    return lambda x: wire.pure_callback(fn, S(np.shape(x), np.result_type(x)), x,
                                        vmap_method="expand_dims")


@wire.custom_vjp
def bessel_i0(x):
    return _callback(sp.i0)(x)


bessel_i0.defvjp(lambda x: (bessel_i0(x), x), lambda x, g: (g * _callback(sp.i1)(x),))


def test_pure_callback_inside_custom_vjp_against_finite_differences():
    def loss(x):
        return wnp.sum(wnp.sin(bessel_i0(x)) * x)

    x = np.array([0.5, 1.0, 2.0])
    h = 1e-6
    fd = np.array([(loss(x + h * e) - loss(x - h * e)) / (2 * h) for e in np.eye(3)])
    g = wire.grad(loss)(x)
    np.testing.assert_allclose(g, fd, rtol=1e-8)
    np.testing.assert_allclose(wire.jit(wire.grad(loss))(x), g, rtol=1e-15)
    per = wire.vmap(wire.grad(lambda x: wnp.sin(bessel_i0(x)) * x))(x)
    np.testing.assert_allclose(per, g, rtol=1e-15)
    # its bwd is a callback too: no second derivative
    with pytest.raises(wire.NonDifferentiableError, match="i1"):
        wire.grad(wire.grad(lambda x: bessel_i0(x)))(1.5)


@wire.custom_jvp
def j_i0(x):
    return _callback(sp.i0)(x)


@wire.custom_jvp
def j_i1(x):
    return _callback(sp.i1)(x)


j_i0.defjvp(lambda p, t: (j_i0(p[0]), j_i1(p[0]) * t[0]))
j_i1.defjvp(lambda p, t: (j_i1(p[0]), (j_i0(p[0]) - j_i1(p[0]) / p[0]) * t[0]))


def test_pure_callback_custom_jvp_second_derivative():
    x = 1.5
    want = sp.i0(x) - sp.i1(x) / x  # I0'' = I1' = I0 - I1/x
    assert float(wire.grad(wire.grad(j_i0))(x)) == pytest.approx(want, rel=1e-15)
    assert float(wire.jit(wire.grad(wire.grad(j_i0)))(x)) == pytest.approx(want, rel=1e-15)
    xs = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(wire.hessian(lambda v: wnp.sum(j_i0(v)))(xs),
                               np.diag(sp.i0(xs) - sp.i1(xs) / xs), rtol=1e-14)


# ---------------------------------------------------------------- item assignment


def test_storing_a_tracer_into_numpy_array_points_to_functional_form():
    def f(x):
        a = np.zeros(3)
        a[0] = x  # the line the error names
        return a.sum()

    for transform in (wire.grad, wire.jit):
        with pytest.raises(wire.WireTypeError, match=r"in place.*test_jax_ports.py:\d+.*\.at\[i\]"):
            transform(f)(1.0)

    def g(x, n):  # a value with no derivative still stores, as before
        a = np.zeros(2)
        a[0] = n
        return (a * x).sum()

    assert float(wire.grad(g)(1.0, 2.0)) == 2.0


def test_assigning_into_a_traced_array_points_to_at():
    def f(x):
        a = x * np.ones(3)
        a[0] = x
        return a.sum()

    with pytest.raises(wire.WireTypeError, match=r"test_jax_ports.py:\d+.*x\.at\[0\]\.set"):
        wire.grad(f)(1.0)


# ---------------------------------------------------------------- jvp of integer primals


def test_vmap_of_jvp_refuses_nonzero_tangent_of_int_primal():
    # jax.jvp raises for a float tangent of an int primal, under vmap too
    f = lambda x, v: wire.jvp(lambda y: y * 2, (x,), (v,))
    with pytest.raises(wire.WireTypeError, match="integer"):
        wire.vmap(f)(np.array([1, 2]), np.array([1.0, 1.0]))
    with pytest.raises(wire.WireTypeError, match="integer"):
        wire.vmap(f)(np.array([1, 2]), np.array([0.0, 1.0]))  # one example nonzero
    with pytest.raises(wire.WireTypeError, match="integer"):
        wire.vmap(f, in_axes=(None, 0))(np.array([1, 2]), np.array([[0.0, 0.0], [0.0, 1.0]]))
    y, t = wire.vmap(f)(np.array([1, 2]), np.zeros(2))  # zero tangents: fine, as eagerly
    np.testing.assert_array_equal(y, [2, 4])
    assert t.dtype == wire.float0 and t.shape == (2,)  # an integer output's, as jax.jvp's


# ---------------------------------------------------------------- rules reading values


@wire.custom_vjp
def _piecewise(x):
    if x > 0:  # the primal reads its value too
        return x * 2.0
    return x ** 3


def _piecewise_fwd(x):
    if x > 0:
        return _piecewise(x), (x, 1.0)
    return _piecewise(x), (x, -1.0)


def _piecewise_bwd(res, g):
    x, side = res
    if side > 0:
        return (g * 2.0,)
    return (g * 3.0 * x ** 2,)


_piecewise.defvjp(_piecewise_fwd, _piecewise_bwd)


@wire.custom_jvp
def _soft_sin(x):
    return wnp.sin(x)


@_soft_sin.defjvp
def _soft_sin_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    if x > 0:
        return _soft_sin(x), wnp.cos(x) * t
    return _soft_sin(x), 5.0 * t


def test_custom_vjp_rules_read_values_under_eager_grad():
    # jax.grad gives the same (checked: jax 0.10, x64): d/dx is 2 for x > 0, 3 x^2 else
    g = wire.grad(lambda x: _piecewise(x) * 1.0)
    got = [float(g(v)) for v in (1.0, -1.0, 2.0, -2.0, 1.0, 0.0)]
    assert got == [2.0, 3.0, 2.0, 12.0, 2.0, 0.0]  # memoized graphs never cross branches
    assert float(wire.grad(wire.grad(_piecewise))(-1.5)) == -9.0  # d/dx 3x^2
    assert float(wire.grad(wire.grad(_piecewise))(1.5)) == 0.0
    with pytest.raises(wire.TracerBoolError, match="test_jax_ports.py"):
        wire.jit(wire.grad(_piecewise))(1.0)


def test_custom_jvp_rule_reads_values_under_eager_transforms():
    for x in (1.5, -1.5, 0.0):
        want = np.cos(x) if x > 0 else 5.0
        assert float(wire.grad(_soft_sin)(x)) == want
        assert float(wire.jvp(_soft_sin, (x,), (1.0,))[1]) == want
        want2 = -np.sin(x) if x > 0 else 0.0  # the rule's own derivative
        assert float(wire.grad(wire.grad(_soft_sin))(x)) == want2
    # the product rule through both custom functions (jax.grad: -23.608091159577366)
    assert float(wire.grad(lambda x: _piecewise(x) * _soft_sin(x))(-1.5)) == pytest.approx(
        3 * 1.5 ** 2 * np.sin(-1.5) + (-1.5) ** 3 * 5.0, rel=1e-15)
    with pytest.raises(wire.TracerBoolError):
        wire.jit(wire.grad(_soft_sin))(1.0)


# ---------------------------------------------------------------- .at on constructors' arrays


def _updates(np_):
    def f(x):
        a = np_.zeros(4).at[0].set(x).at[1:3].add(x ** 2)
        b = np_.arange(4.0).at[np_.array([0, 0, 3])].add(x)
        c = np_.full((2,), 3.0).at[-1].mul(x)
        d = np_.eye(2).at[0, 1].set(x)
        return np_.sum(a * b) + np_.sum(c) + np_.sum(d @ d)

    return f


def test_at_on_arrays_wnp_constructors_make_inside_transforms():
    f = _updates(wnp)
    # jax.grad and grad of grad of the same program with jnp (jax 0.10, x64): 20 and 10 at
    # 1.5; 0 and 10 at -0.5
    for x, d1, d2 in ((1.5, 20.0, 10.0), (-0.5, 0.0, 10.0)):
        assert float(wire.grad(f)(x)) == d1
        assert float(wire.jit(wire.grad(f))(x)) == d1
        assert float(wire.grad(wire.grad(f))(x)) == d2
    np.testing.assert_array_equal(wire.vmap(wire.grad(f))(np.array([1.5, -0.5])), [20.0, 0.0])


def test_constructors_arrays_stay_numpy_arrays():
    def g(x):
        z = wnp.zeros(3)
        z[0] = 5.0  # a plain value stores in place, as in NumPy (and autograd)
        return wnp.sum(z * x), wnp.ones(2)

    grad, aux = wire.grad(g, has_aux=True)(np.ones(3))
    np.testing.assert_array_equal(grad, [5.0, 0.0, 0.0])
    assert type(aux) is np.ndarray  # never a subclass in a result
    out = wire.jit(lambda x: (wnp.arange(2.0), x))(1.0)
    assert type(out[0]) is np.ndarray
    assert type(wnp.zeros(2)) is np.ndarray  # outside transforms: NumPy's own


# ---------------------------------------------------------------- wire.extend black boxes


def _kv_primitive():
    from wire.extend import defvjp, primitive

    @primitive
    def kv(x):  # SciPy code wire cannot trace, as autograd users wrap it
        return sp.kv(1.5, x)

    defvjp(kv, lambda ans, x: lambda g: -g * (sp.kv(0.5, x) + sp.kv(2.5, x)) / 2)
    return kv


def test_extend_primitive_wraps_black_box_code():
    kv = _kv_primitive()

    def loss(x):
        return wnp.sum(kv(x) * x)

    x = np.array([0.5, 1.0, 2.0])
    h = 1e-6
    fd = np.array([(loss(x + h * e) - loss(x - h * e)) / (2 * h) for e in np.eye(3)])
    g = wire.grad(loss)(x)
    np.testing.assert_allclose(g, fd, rtol=1e-8)
    # d/dx (x K(x)) = K(x) + x K'(x), K' = -(K_{1/2} + K_{5/2}) / 2
    np.testing.assert_allclose(
        g, sp.kv(1.5, x) - x * (sp.kv(0.5, x) + sp.kv(2.5, x)) / 2, rtol=1e-15)
    np.testing.assert_allclose(wire.vmap(wire.grad(lambda v: kv(v) * v))(x), g, rtol=1e-15)
    with pytest.raises(wire.WireTypeError, match=r"@primitive kv.*pure_callback"):
        wire.jit(wire.grad(loss))(x)
