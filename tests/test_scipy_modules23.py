"""The ``jax.scipy`` modules wire.scipy adds: ``ndimage.map_coordinates``, ``fft``'s discrete
cosine transforms, ``optimize.minimize`` (BFGS), ``interpolate.RegularGridInterpolator`` and
``cluster.vq``. Values against JAX's (and SciPy's where they agree), special inputs (ties,
NaN, inf, out-of-range, empty), derivatives against JAX and finite differences, eager, jit,
vmap and grad."""

import numpy as np
import pytest

import wire
from finite_differences import fd_grad
from selection import skip_unless_slow, slow_only

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy as jsc  # noqa: E402
import jax.scipy.fft  # noqa: E402,F401
import jax.scipy.ndimage  # noqa: E402,F401
import jax.scipy.optimize  # noqa: E402,F401

from wire.scipy import ndimage as wnd  # noqa: E402

RNG = np.random.default_rng(23)
MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _same(got, want, rtol=1e-14, atol=1e-15):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- ndimage.map_coordinates

EDGE = np.array([-0.5, 0.5, 1.5, 2.5, 3.5, 4.5, -1.5, -2.5, 5.5, 6.5, -0.0, 0.0, 4.0, 4.2,
                 -3.3, -7.5, 11.5, 9.0, -9.0, 1e3 + 0.5, -1e3 - 0.5])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_1d_edges_and_ties_equal_jax(order, mode):
    """Half-integers (order 0 rounds halves away from zero, as JAX: -0.5 is index -1),
    out-of-range on both sides, exact integers, -0.0."""
    a = RNG.normal(size=5) * 3
    want = jsc.ndimage.map_coordinates(a, [EDGE], order, mode=mode, cval=-7.0)
    _same(wnd.map_coordinates(a, [EDGE], order, mode=mode, cval=-7.0), want, atol=1e-14)


def test_map_coordinates_ties_round_away_from_zero():
    a = np.array([10.0, 20.0, 30.0, 40.0])
    got = wnd.map_coordinates(a, [np.array([-0.5, 0.5, 1.5, 2.5])], 0, cval=-1.0)
    np.testing.assert_array_equal(got, [-1.0, 20.0, 30.0, 40.0])  # NumPy's round: 10, 30
    got = wnd.map_coordinates(a, [np.array([-0.5, 0.5, 2.5])], 0, mode="wrap")
    np.testing.assert_array_equal(got, [40.0, 20.0, 40.0])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_3d_random_equal_jax_and_jit(order, mode):
    a = RNG.normal(size=(4, 6, 3))
    cs = [RNG.uniform(-3, s + 3, size=(7, 2)) for s in a.shape]
    want = jsc.ndimage.map_coordinates(a, cs, order, mode=mode, cval=0.3)
    _same(wnd.map_coordinates(a, cs, order, mode=mode, cval=0.3), want, atol=1e-14)
    jitted = wire.jit(lambda a, c: wnd.map_coordinates(a, list(c), order, mode=mode, cval=0.3))
    _same(jitted(a, np.stack(cs)), want, atol=1e-14)


@pytest.mark.parametrize("mode", ["nearest", "mirror", "reflect"])
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_equals_scipy_inside_its_agreeing_modes(order, mode):
    """SciPy's 'nearest', 'mirror' and 'reflect' are JAX's; order 0 away from negative ties."""
    nd = pytest.importorskip("scipy.ndimage")
    a = RNG.normal(size=(5, 4))
    cs = [RNG.uniform(-4, s + 4, size=30) for s in a.shape]
    want = nd.map_coordinates(a, cs, order=order, mode=mode)
    _same(wnd.map_coordinates(a, cs, order, mode=mode), want, atol=1e-14)
    grid = {"constant": "grid-constant", "wrap": "grid-wrap"}
    for m in grid:
        want = nd.map_coordinates(a, cs, order=order, mode=grid[m], cval=0.5)
        _same(wnd.map_coordinates(a, cs, order, mode=m, cval=0.5), want, atol=1e-14)


@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_nan_and_inf_coordinates(order):
    """A NaN coordinate gives NaN (JAX's order 0 gives input[0]); inf gives cval outside in
    'constant', the edge in 'nearest' (order 0), NaN where it has no position."""
    a = np.array([1.0, 2.0, 4.0])
    c = np.array([np.nan, np.inf, -np.inf, 1.0])
    for mode in MODES:
        got = wnd.map_coordinates(a, [c], order, mode=mode, cval=-7.0)
        assert np.isnan(got[0]) and got[3] == 2.0, (mode, got)
        if order == 1 or mode in ("wrap", "mirror", "reflect"):
            assert np.isnan(got[1]) and np.isnan(got[2]), (mode, got)
    np.testing.assert_array_equal(wnd.map_coordinates(a, [c[1:3]], 0, cval=-7.0), [-7, -7])
    np.testing.assert_array_equal(wnd.map_coordinates(a, [c[1:3]], 0, mode="nearest"), [4, 1])
    g = wire.grad(lambda x: wnd.map_coordinates(x, [c], order).sum())(a)
    assert np.all(np.isfinite(g)) or order == 1


def test_map_coordinates_huge_coordinates_wrap_exactly():
    """Beyond 2**31 JAX's int32 indices saturate (1e10 wraps to input[2]); 1e10 % 5 is 0."""
    a = np.arange(5.0)
    got = wnd.map_coordinates(a, [np.array([1e10, 1e10 + 2, -1e10 - 1])], 0, mode="wrap")
    np.testing.assert_array_equal(got, [0.0, 2.0, 4.0])
    got = wnd.map_coordinates(a, [np.array([1e10 + 0.5])], 1, mode="mirror")
    np.testing.assert_array_equal(got, [0.5])  # period 8 and 1e10 % 8 == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_size_one_and_empty_axes(order, mode):
    x = np.array([3.0])
    c = np.array([-1.2, -0.5, 0.0, 0.4, 0.5, 1.7])
    want = jsc.ndimage.map_coordinates(x, [c], order, mode=mode, cval=0.1)
    _same(wnd.map_coordinates(x, [c], order, mode=mode, cval=0.1), want)
    if mode == "constant":
        got = wnd.map_coordinates(np.zeros((0, 2)), [np.array([0.0, 1.0])] * 2, order, cval=2.0)
        np.testing.assert_array_equal(got, [2.0, 2.0])
    else:
        with pytest.raises(wire.ShapeError, match=r"\(0, 2\)"):
            wnd.map_coordinates(np.zeros((0, 2)), [np.array([0.0])] * 2, order, mode=mode)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.complex128, np.int32, np.uint8,
                                   np.bool_])
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_dtypes_equal_jax(order, dtype):
    a = RNG.normal(size=(4, 5)) * 20 + 1j * RNG.normal(size=(4, 5))
    a = (a if np.dtype(dtype).kind == "c" else a.real).astype(dtype)
    cs = [RNG.uniform(-2, s + 2, size=9).astype(np.float32) for s in a.shape]
    for mode in ("constant", "wrap"):
        want = jsc.ndimage.map_coordinates(a, cs, order, mode=mode, cval=2.7)
        got = wnd.map_coordinates(a, cs, order, mode=mode, cval=2.7)
        _same(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", [pytest.param(m, marks=pytest.mark.slow if m in (
    "nearest", "reflect") else ()) for m in MODES])
def test_map_coordinates_gradients_equal_jax_and_finite_differences(mode, request):
    """Orders 0 and 1 together (one JAX compilation): in the input and the coordinates
    ('nearest' and 'reflect' with -m slow)."""
    skip_unless_slow(request)
    a = RNG.normal(size=(3, 4))
    cs = np.stack([RNG.uniform(-2, s + 2, size=4) for s in a.shape])
    cs = cs + 0.1 * (cs == np.round(cs))  # away from the kinks at integers

    def f(a, c):
        return sum((wnd.map_coordinates(a, list(c), k, mode=mode, cval=0.3) ** (2 + k)).sum()
                   for k in (0, 1))

    def g(a, c):
        return sum((jsc.ndimage.map_coordinates(a, list(c), k, mode=mode, cval=0.3) ** (2 + k)
                    ).sum() for k in (0, 1))

    want = jax.jit(jax.grad(g, argnums=(0, 1)))(a, cs)
    for got in (wire.grad(f, argnums=(0, 1))(a, cs),
                wire.jit(wire.grad(f, argnums=(0, 1)))(a, cs)):
        _same(got[0], want[0], atol=1e-14)
        _same(got[1], want[1], atol=1e-14)
    if mode in ("constant", "mirror"):
        np.testing.assert_allclose(got[1], fd_grad(lambda c: f(a, c), cs), atol=1e-7)
        np.testing.assert_allclose(got[0], fd_grad(lambda x: f(x, cs), a), atol=1e-7)


def test_map_coordinates_vmap_and_errors():
    a = RNG.normal(size=(4, 5))
    c = RNG.uniform(-1, 5, size=(2, 3))
    np.testing.assert_array_equal(  # a NumPy input indexed by traced coordinates
        wire.jit(lambda c: wnd.map_coordinates(a, c, 1))(c), wnd.map_coordinates(a, c, 1))
    cs = np.stack([RNG.uniform(-1, s, size=(3, 6)) for s in a.shape])
    for order in (0, 1):
        got = wire.vmap(lambda c: wnd.map_coordinates(a, c, order, mode="reflect"),
                        in_axes=1)(cs)
        want = jax.vmap(lambda c: jsc.ndimage.map_coordinates(a, list(c), order,
                                                              mode="reflect"), in_axes=1)(cs)
        _same(got, want, atol=1e-14)
        got = wire.vmap(lambda x: wnd.map_coordinates(x, cs[:, 0], order))(np.stack([a, 2 * a]))
        _same(got[1], 2 * got[0])
    with pytest.raises(wire.errors.WireNotImplementedError, match="order"):
        wnd.map_coordinates(a, cs, 3)
    with pytest.raises(wire.errors.WireNotImplementedError, match="grid-wrap"):
        wnd.map_coordinates(a, cs, 1, mode="grid-wrap")
    with pytest.raises(wire.ShapeError, match="length input.ndim"):
        wnd.map_coordinates(a, cs[:1], 1)
    with pytest.raises(wire.ShapeError, match="one shape"):
        wnd.map_coordinates(a, [cs[0, 0], cs[1, :2]], 1)


# ---------------------------------------------------------------- fft: dct, idct, dctn, idctn

from wire.scipy import fft as wfft  # noqa: E402

sfft = pytest.importorskip("scipy.fft")
NORMS = (None, "backward", "ortho", "forward")


def _close_normwise(got, want, tol=1e-14):
    """SciPy's pocketfft and wire's FFT round differently: entries agree to ``tol`` relative
    to the largest one (an entry near zero is a difference of large terms)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.dtype, want.dtype)
    scale = max(np.abs(want).max(), 1e-300) if want.size else 1.0
    assert np.abs(got - want).max(initial=0.0) <= tol * scale, np.abs(got - want).max() / scale


@pytest.mark.parametrize("type", [1, 2, 3, 4])
def test_dct_and_idct_equal_scipy_every_norm_and_length(type):
    for N in (1, 2, 3, 4, 7, 16, 17, 101):
        if type == 1 and N == 1:
            continue
        x = RNG.normal(size=(2, N))
        for norm in NORMS:
            _close_normwise(wfft.dct(x, type, norm=norm), sfft.dct(x, type, norm=norm))
            _close_normwise(wfft.idct(x, type, norm=norm), sfft.idct(x, type, norm=norm))
            _close_normwise(wfft.idct(wfft.dct(x, type, norm=norm), type, norm=norm), x)


@pytest.mark.parametrize("type", [1, 2, 3, 4])
def test_dct_n_axis_dtypes_and_nd_equal_scipy(type):
    x = RNG.normal(size=(4, 5, 6)) + 1j * RNG.normal(size=(4, 5, 6))
    for norm in (None, "ortho"):
        for n, axis in ((3, 0), (9, 1), (None, -1), (2, -2)):
            _close_normwise(wfft.dct(x, type, n, axis, norm), sfft.dct(x, type, n, axis, norm))
            _close_normwise(wfft.idct(x.real, type, n, axis, norm),
                            sfft.idct(x.real, type, n, axis, norm))
            x32 = x.real.astype(np.float32)
            _close_normwise(wfft.dct(x32, type, n, axis, norm),
                            sfft.dct(x32, type, n, axis, norm), tol=1e-6)
        for s, axes in ((None, None), ((3, 7), None), ((4,), (0,)), (None, (0, 2)),
                        ((5, 5), (2, 0))):
            _close_normwise(wfft.dctn(x, type, s, axes, norm), sfft.dctn(x, type, s, axes, norm))
            _close_normwise(wfft.idctn(x, type, s, axes, norm),
                            sfft.idctn(x, type, s, axes, norm))
    for dtype in (np.int64, np.float16, np.complex64):
        x = np.arange(6).astype(dtype)
        _close_normwise(wfft.dct(x, type), sfft.dct(x, type), tol=1e-6)
    assert wfft.dct(np.zeros((0, 4)), type).shape == (0, 4)


def test_dct_type2_gradients_equal_jax():
    """JAX has type 2 only: the gradient (the transpose) of dct and idct, both norms, with
    padding along a middle axis, and dctn's values; one JAX compilation each."""
    x = RNG.normal(size=(3, 4, 5))
    ws = RNG.normal(size=(4, 3, 7, 5))
    pairs = [(f, norm) for f in ("dct", "idct") for norm in (None, "ortho")]

    def total(mod, x):
        return sum((getattr(mod, f)(x, n=7, axis=1, norm=norm) * w).sum()
                   for (f, norm), w in zip(pairs, ws))

    want = jax.jit(jax.grad(lambda x: total(jsc.fft, x)))(x)
    _close_normwise(wire.grad(lambda x: total(wfft, x))(x), np.asarray(want), tol=1e-13)
    _close_normwise(wire.jit(wire.grad(lambda x: total(wfft, x)))(x), np.asarray(want),
                    tol=1e-13)
    want = jax.jit(lambda x: jsc.fft.dctn(x, s=(3, 7), norm="ortho"))(x)
    _close_normwise(wfft.dctn(x, s=(3, 7), norm="ortho"), np.asarray(want), tol=1e-13)


@pytest.mark.parametrize("type", [1, 2, 3, 4])
def test_dct_derivative_is_the_transpose_jit_vmap(type):
    N = 6
    for norm in NORMS:
        for f in (wfft.dct, wfft.idct):
            M = sfft.dct(np.eye(N), type, norm=norm, axis=0) if f is wfft.dct else \
                sfft.idct(np.eye(N), type, norm=norm, axis=0)
            v = RNG.normal(size=N)
            J = wire.jacobian(lambda v: f(v, type, norm=norm))(v)
            np.testing.assert_allclose(J, M, atol=1e-14)
            J = wire.jit(wire.jacobian(lambda v: f(v, type, norm=norm)))(v)
            np.testing.assert_allclose(J, M, atol=1e-14)
            np.testing.assert_allclose(wire.vmap(lambda v: f(v, type, norm=norm))(np.eye(N)),
                                       M.T, atol=1e-14)
            g = wire.grad(lambda v: (f(v, type, norm=norm) ** 2).sum())
            np.testing.assert_allclose(g(v), fd_grad(lambda v: (f(v, type, norm=norm) ** 2
                                                                ).sum(), v), atol=1e-7)


def test_dct_bad_arguments_raise():
    x = np.ones((2, 3))
    value = wire.WireValueError
    for kwargs, exc in ((dict(type=5), value), (dict(norm="x"), value), (dict(n=0), value),
                        (dict(axis=2), wire.errors.WireAxisError)):
        with pytest.raises(exc):
            wfft.dct(x, **kwargs)
    with pytest.raises(wire.WireValueError, match="type-1 transform needs length at least 2"):
        wfft.dct(np.ones(1), type=1)
    with pytest.raises(wire.WireValueError, match="same length"):
        wfft.dctn(x, s=(2, 2), axes=(0,))
    with pytest.raises(wire.WireTypeError):
        wfft.dct(np.array(["a"]))


# ---------------------------------------------------------------- optimize.minimize (BFGS)

import wire.numpy as wnp  # noqa: E402
from wire.scipy import optimize as wopt  # noqa: E402


def _rosen(np_):
    return lambda x: np_.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


_A = RNG.normal(size=(5, 5))
_A = _A @ _A.T + np.eye(5)
_B = RNG.normal(size=5)
_X = RNG.normal(size=(50, 3))
_Y = (_X @ np.array([1.0, -2.0, 0.5]) + RNG.normal(size=50) > 0).astype(float)


def _quadratic(np_):
    return lambda x: 0.5 * x @ _A @ x - _B @ x


def _logistic(np_):
    return lambda w: np_.sum(np_.logaddexp(0.0, _X @ w) - _Y * (_X @ w)) + 0.01 * np_.sum(w * w)


def _same_run(got, want, xtol=1e-10):
    np.testing.assert_allclose(got.x, np.asarray(want.x), rtol=0, atol=xtol)
    for field in ("nit", "nfev", "njev", "status", "success"):
        assert int(getattr(got, field)) == int(getattr(want, field)), field
    np.testing.assert_allclose(got.fun, float(want.fun), rtol=1e-12)
    np.testing.assert_allclose(got.jac, np.asarray(want.jac), atol=1e-9)
    np.testing.assert_allclose(got.hess_inv, np.asarray(want.hess_inv), rtol=1e-8, atol=1e-9)


def test_minimize_rosenbrock_iterates_equal_jax():
    """JAX's own run fails at iteration 8 (its zoom tests the signed bracket width, so a
    bracket from above always 'fails'); up to there the iterates and counts are JAX's,
    and wire's run goes on to the minimum."""
    x0 = np.array([-1.2, 1.0])
    want = jax.jit(lambda x0: jsc.optimize.minimize(_rosen(jnp), x0, method="BFGS",
                                                    options=dict(maxiter=7)))(x0)
    assert int(want.status) == 1
    _same_run(wopt.minimize(_rosen(wnp), x0, options=dict(maxiter=7)), want)
    got = wopt.minimize(_rosen(wnp), x0)
    assert bool(got.success) and int(got.status) == 0 and int(got.nit) == 34
    np.testing.assert_allclose(got.x, [1.0, 1.0], atol=1e-7)
    assert np.abs(got.jac).max() < 1e-5
    np.testing.assert_allclose(got.fun, _rosen(np)(got.x), rtol=1e-14)


@slow_only
def test_minimize_quadratic_and_logistic_equal_jax():
    for make, x0 in ((_quadratic, np.zeros(5)), (_logistic, np.zeros(3))):
        want = jax.jit(lambda x0: jsc.optimize.minimize(make(jnp), x0, method="BFGS"))(x0)
        assert bool(want.success)
        _same_run(wopt.minimize(make(wnp), x0), want)


def test_minimize_quadratic_and_logistic_solutions():
    """The minimiser of the quadratic is A^-1 b; the logistic regression's gradient is 0
    and its minimum is SciPy's; eager, jit and vmap give the same runs."""
    so = pytest.importorskip("scipy.optimize")
    r = wopt.minimize(_quadratic(wnp), np.zeros(5))
    assert bool(r.success) and int(r.nit) == 8
    np.testing.assert_allclose(r.x, np.linalg.solve(_A, _B), atol=1e-6)
    np.testing.assert_allclose(r.jac, _A @ r.x - _B, atol=1e-14)
    r = wopt.minimize(_logistic(wnp), np.zeros(3), tol=1e-7)

    def gradient(w):
        return _X.T @ (1 / (1 + np.exp(-_X @ w)) - _Y) + 0.02 * w

    want = so.minimize(_logistic(np), np.zeros(3), jac=gradient, method="BFGS", tol=1e-7)
    np.testing.assert_allclose(r.x, want.x, atol=1e-6)
    np.testing.assert_allclose(r.jac, gradient(r.x), atol=1e-13)
    assert np.abs(r.jac).max() < 1e-7 and int(r.status) == 0
    jitted = wire.jit(lambda x0: wopt.minimize(_logistic(wnp), x0, tol=1e-7))(np.zeros(3))
    np.testing.assert_array_equal(jitted.x, r.x)
    assert int(jitted.nit) == int(r.nit)
    x0s = np.array([[-1.2, 1.0], [0.0, 0.0], [2.0, -1.0]])
    batch = wire.vmap(lambda x0: wopt.minimize(_rosen(wnp), x0))(x0s)
    for i, x0 in enumerate(x0s):
        one = wopt.minimize(_rosen(wnp), x0)
        np.testing.assert_array_equal(batch.x[i], one.x)
        assert int(batch.nit[i]) == int(one.nit) and int(batch.nfev[i]) == int(one.nfev)


def test_minimize_failed_line_search_reports_a_consistent_point():
    """Where the zoom fails JAX moves x a full step but reports the old value (here
    fun = 0.5 at x = [2.71, 1.21], where the function is 1.93); wire keeps the point."""
    f = lambda x: wnp.sum(wnp.abs(x - 1.0))  # noqa: E731
    r = wopt.minimize(f, np.array([0.0, 0.5]))
    assert not bool(r.success) and int(r.status) == 3
    np.testing.assert_allclose(r.fun, np.sum(np.abs(r.x - 1.0)), rtol=1e-15)
    np.testing.assert_array_equal(r.jac, np.sign(r.x - 1.0))
    r = wopt.minimize(lambda x: -wnp.sum(x), np.array([0.0, 0.5]))  # unbounded below
    assert int(r.status) == 5 and not bool(r.success)
    np.testing.assert_array_equal(r.x, [0.0, 0.5])


def test_minimize_arguments_dtypes_and_errors():
    r = wopt.minimize(lambda x, a: ((x - a) ** 2).sum(), np.zeros((2, 2)),
                      args=(np.array([[1.0, 2.0], [3.0, 4.0]]),), tol=1e-12)
    assert r.x.shape == r.jac.shape == (2, 2) and r.hess_inv.shape == (4, 4)
    np.testing.assert_allclose(r.x, [[1.0, 2.0], [3.0, 4.0]], atol=1e-12)
    r = wopt.minimize(_rosen(wnp), np.array([-1.2, 1.0], np.float32))
    assert r.x.dtype == np.float32 and bool(r.success)
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-3)
    r = wopt.minimize(_rosen(wnp), np.array([-1, 1]), options=dict(maxiter=3))
    assert r.x.dtype == np.float64 and int(r.status) == 1 and int(r.nit) == 3
    assert isinstance(r, wopt.OptimizeResults)
    with pytest.raises(wire.WireTypeError, match="tuple"):
        wopt.minimize(_rosen(wnp), np.zeros(2), args=[1])
    with pytest.raises(wire.WireValueError, match="Nelder"):
        wopt.minimize(_rosen(wnp), np.zeros(2), method="Nelder-Mead")
    with pytest.raises(wire.WireValueError, match="unknown options"):
        wopt.minimize(_rosen(wnp), np.zeros(2), options=dict(maxfun=3))
    with pytest.raises(wire.ShapeError, match="one number"):
        wopt.minimize(lambda x: x, np.zeros(2))


# ---------------------------------------------------------------- interpolate, cluster.vq

import jax.scipy.cluster.vq  # noqa: E402,F401
import jax.scipy.interpolate  # noqa: E402,F401

from wire.scipy.cluster import vq as wvq  # noqa: E402
from wire.scipy.interpolate import RegularGridInterpolator as WRGI  # noqa: E402


def _grid_case():
    g = (np.sort(RNG.uniform(0, 5, 4)), np.sort(RNG.uniform(-1, 1, 6)))
    v = RNG.normal(size=(4, 6, 2))
    xi = np.stack([RNG.uniform(-0.5, 5.5, 30), RNG.uniform(-1.2, 1.2, 30)], -1)
    xi[0] = [g[0][1], g[1][2]]  # on grid points
    xi[1] = [(g[0][1] + g[0][2]) / 2, g[1][0]]  # a 'nearest' tie
    xi[2] = [np.nan, 0.0]
    xi[3] = [np.nan, 7.0]  # NaN and outside: NaN (JAX: fill_value)
    return g, v, xi


@pytest.mark.parametrize("method", ["linear", "nearest"])
def test_regular_grid_interpolator_equals_scipy_and_jax(method):
    si = pytest.importorskip("scipy.interpolate")
    g, v, xi = _grid_case()
    for fill in (np.nan, None, 1.5):
        got = WRGI(g, v, method, fill_value=fill)(xi)
        want = si.RegularGridInterpolator(g, v, method, bounds_error=False, fill_value=fill)(xi)
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
        jx = np.asarray(jsc.interpolate.RegularGridInterpolator(g, v, method,
                                                                fill_value=fill)(xi))
        np.testing.assert_allclose(got[4:], jx[4:], rtol=1e-14, atol=1e-15)
    assert np.isnan(got[2:4]).all()
    # a descending axis (JAX: silently wrong), a tuple of coordinate arrays, other shapes
    f = WRGI((np.array([2.0, 1.0, 0.0]),), np.array([1.0, 2.0, 4.0]), method)
    want = si.RegularGridInterpolator((np.array([2.0, 1.0, 0.0]),), np.array([1.0, 2.0, 4.0]),
                                      method)
    np.testing.assert_array_equal(f([[0.4], [1.7]]), want([[0.4], [1.7]]))
    f = WRGI(g, v, method)
    assert f((xi[4:7, 0], xi[4:7, 1])).shape == (3, 2)
    np.testing.assert_array_equal(f((xi[4:7, 0], xi[4:7, 1])), f(xi[4:7]))
    assert f(xi[4:10].reshape(3, 2, 2)).shape == (3, 2, 2)


def test_regular_grid_interpolator_gradients_jit_vmap():
    g, v, xi = _grid_case()
    v = v[..., 0]
    xi = xi[4:]
    f = WRGI(g, v, fill_value=None)
    want = jax.jit(jax.grad(lambda x: (jsc.interpolate.RegularGridInterpolator(
        g, v, fill_value=None)(x) ** 2).sum()))(xi)
    np.testing.assert_allclose(wire.grad(lambda x: (f(x) ** 2).sum())(xi), want, atol=1e-13)
    gv = wire.grad(lambda vv: (WRGI(g, vv)(xi) ** 2).sum())(v)
    np.testing.assert_allclose(gv, fd_grad(lambda vv: np.nansum(WRGI(g, vv)(xi) ** 2), v),
                               atol=1e-7)
    np.testing.assert_array_equal(wire.jit(lambda f, x: f(x))(f, xi), f(xi))
    np.testing.assert_array_equal(wire.vmap(lambda x: f(x[None]))(xi)[:, 0], f(xi))


def test_regular_grid_interpolator_errors():
    g = (np.arange(3.0),)
    with pytest.raises(wire.WireValueError, match="method"):
        WRGI(g, np.ones(3), "cubic")
    with pytest.raises(wire.WireValueError, match="strictly ascending or descending"):
        WRGI((np.array([0.0, 2.0, 1.0]),), np.ones(3))
    with pytest.raises(wire.ShapeError, match="length 3"):
        WRGI((np.arange(4.0),), np.ones(3))
    with pytest.raises(wire.ShapeError, match="at least 2"):
        WRGI((np.arange(1.0),), np.ones(1))
    np.testing.assert_array_equal(WRGI((np.arange(1.0),), np.ones(1), "nearest")([[0.0]]), [1])
    with pytest.raises(wire.ShapeError, match="dimension 2"):
        WRGI(g, np.ones(3))(np.ones((2, 2)))
    f = WRGI(g, np.arange(3.0), bounds_error=True)
    np.testing.assert_array_equal(f([[0.5]]), [0.5])
    with pytest.raises(wire.WireValueError, match="outside the grid"):
        f([[2.5]])
    with pytest.raises(wire.errors.WireNotImplementedError, match="bounds_error"):
        wire.jit(lambda x: f(x))(np.array([[0.5]]))


def test_vq_equals_scipy_and_jax():
    svq = pytest.importorskip("scipy.cluster.vq")
    obs, book = RNG.normal(size=(20, 3)), RNG.normal(size=(5, 3))
    obs[0] = book[2]
    book[4] = book[3]  # a tie: the first code
    for a, b in ((obs, book), (obs[:, 0], book[:, 0]),
                 (obs.astype(np.float32), book.astype(np.float32)),
                 (np.array([[1, 2], [3, 4]]), np.array([[0, 0], [3, 3], [1, 2]]))):
        code, dist = wvq.vq(a, b)
        want = svq.vq(a, b)
        np.testing.assert_array_equal(code, want[0])
        assert dist.dtype == want[1].dtype
        np.testing.assert_allclose(dist, want[1], rtol=1e-6 if a.dtype == np.float32 else 1e-14)
        jx = jsc.cluster.vq.vq(a, b)
        np.testing.assert_array_equal(code, np.asarray(jx[0]))
    g = wire.grad(lambda o: wvq.vq(o, book)[1].sum())(obs)
    want = jax.grad(lambda o: jsc.cluster.vq.vq(o, book)[1].sum())(obs)
    np.testing.assert_allclose(g[1:], np.asarray(want)[1:], atol=1e-14)
    np.testing.assert_array_equal(g[0], [0.0, 0.0, 0.0])  # JAX: NaN at distance 0
    np.testing.assert_array_equal(wire.jit(lambda o: wvq.vq(o, book))(obs)[0],
                                  svq.vq(obs, book)[0])
    with pytest.raises(wire.WireValueError, match="infs or NaNs"):
        wvq.vq(np.array([[np.nan]]), np.array([[0.0]]))
    code, dist = wvq.vq(np.array([[np.nan]]), np.array([[0.0]]), check_finite=False)
    assert code[0] == 0 and np.isnan(dist[0])
    with pytest.raises(wire.ShapeError, match="same rank"):
        wvq.vq(np.ones((2, 2)), np.ones(2))
