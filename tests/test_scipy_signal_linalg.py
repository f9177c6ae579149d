"""wire.scipy.signal (convolve, correlate) and wire.scipy.linalg (solve_triangular,
cholesky, cho_factor/cho_solve, expm, expm_frechet) against SciPy, with derivatives against
finite differences and SciPy's own Fréchet derivative."""

import itertools

import numpy as np
import pytest
from finite_differences import fd_grad as _fd_grad

import wire
import wire.numpy as wnp
from wire.scipy import linalg as wl
from wire.scipy import signal as wsig

ss = pytest.importorskip("scipy.signal")
sl = pytest.importorskip("scipy.linalg")


# --------------------------------------------------------------------------- signal

SHAPES = [((5,), (3,)), ((4,), (6,)), ((1,), (2,)), ((3, 4), (2, 2)), ((2, 5), (3, 1)),
          ((3, 4), (3, 6)), ((4, 3, 2), (2, 3, 1)), ((4, 3, 2), (1, 1, 2))]


@pytest.mark.parametrize("s1,s2", SHAPES)
def test_convolve_and_correlate_match_scipy(s1, s2):
    rng = np.random.default_rng(len(s1) * 7 + s2[0])
    a, v = rng.normal(size=s1), rng.normal(size=s2)
    for mode, method in itertools.product(["full", "same", "valid"], ["direct", "fft", "auto"]):
        for fn, ref in ((wsig.convolve, ss.convolve), (wsig.correlate, ss.correlate)):
            try:
                expected = ref(a, v, mode=mode)
            except ValueError:
                with pytest.raises(wire.ShapeError, match="at least as large"):
                    wire.jit(lambda x, y: fn(x, y, mode=mode, method=method))(a, v)
                continue
            got = wire.jit(lambda x, y: fn(x, y, mode=mode, method=method))(a, v)
            assert got.shape == expected.shape, (fn.__name__, mode, method)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13)


def test_convolve_special_inputs():
    a = np.array([1.0, 2.0, 3.0])
    # integers keep their dtype (direct method), complex inputs conjugate in correlate
    ai, vi = np.arange(6).reshape(2, 3), np.array([[1, 2], [3, 4]])
    got = wire.jit(lambda x: wsig.convolve(x, vi))(ai)
    assert got.dtype == ss.convolve(ai, vi).dtype
    np.testing.assert_array_equal(got, ss.convolve(ai, vi))
    rng = np.random.default_rng(3)
    c1 = rng.normal(size=5) + 1j * rng.normal(size=5)
    c2 = rng.normal(size=3) + 1j * rng.normal(size=3)
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(wire.jit(lambda x, y: wsig.correlate(x, y, mode))(c1, c2),
                                   ss.correlate(c1, c2, mode), atol=1e-14)
    # 0-d inputs multiply; a NaN spreads only to the outputs that see it (direct method)
    assert wire.jit(lambda x: wsig.convolve(x, 3.0))(np.array(2.0)) == 6.0
    out = wire.jit(lambda x: wsig.convolve(x, np.ones(2), method="direct"))(
        np.array([1.0, np.nan, 1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(np.isnan(out), [False, True, True, False, False, False])
    with pytest.raises(wire.ShapeError, match="same number of dimensions"):
        wire.jit(lambda x: wsig.convolve(x, np.ones((2, 2))))(a)
    with pytest.raises(wire.WireError, match="mode must be"):
        wire.jit(lambda x: wsig.convolve(x, a, mode="circular"))(a)
    # concrete inputs run SciPy's own function
    np.testing.assert_array_equal(wsig.convolve(a, a, "same"), ss.convolve(a, a, "same"))


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.bool_])
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_integer_and_bool_inputs_keep_scipys_dtype_for_every_method(dtype, name):
    rng = np.random.default_rng(4)
    a, v = rng.integers(0, 3, size=7).astype(dtype), rng.integers(0, 3, size=3).astype(dtype)
    for mode, method in itertools.product(["full", "same", "valid"], ["direct", "fft", "auto"]):
        expected = getattr(ss, name)(a, v, mode=mode, method=method)
        got = wire.jit(lambda x, y: getattr(wsig, name)(x, y, mode=mode, method=method))(a, v)
        assert got.dtype == expected.dtype, (mode, method)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("s1,s2", [((0,), (3,)), ((3,), (0,)), ((0, 2), (3, 2))])
def test_empty_inputs_raise_rather_than_return_a_made_up_shape(s1, s2):
    with pytest.raises(wire.WireValueError, match="empty"):
        wire.jit(lambda x, y: wsig.convolve(x, y, "same"))(np.zeros(s1), np.ones(s2))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_convolve_gradients_in_both_inputs(mode, method):
    rng = np.random.default_rng(1)
    a, v = rng.normal(size=(4, 5)), rng.normal(size=(2, 3))
    for fn, ref in ((wsig.convolve, ss.convolve), (wsig.correlate, ss.correlate)):
        w = rng.normal(size=ref(a, v, mode=mode).shape)
        ga, gv = wire.grad(lambda x, y: wnp.sum(fn(x, y, mode, method) * w), argnums=(0, 1))(a, v)
        np.testing.assert_allclose(ga, _fd_grad(lambda x: np.sum(ref(x, v, mode) * w), a),
                                   rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(gv, _fd_grad(lambda y: np.sum(ref(a, y, mode) * w), v),
                                   rtol=1e-7, atol=1e-8)
    # second order: convolution is bilinear, so d²/da dv of <conv(a, v), w> is constant
    hvp = wire.jvp(wire.grad(lambda x, y: wnp.sum(wsig.convolve(x, y, mode, method) * w)),
                   (a, v), (np.zeros_like(a), np.ones_like(v)))[1]
    np.testing.assert_allclose(
        hvp, _fd_grad(lambda x: np.sum(ss.convolve(x, np.ones_like(v), mode) * w), a),
        rtol=1e-7, atol=1e-8)


def test_convolve_under_vmap():
    rng = np.random.default_rng(2)
    a, v = rng.normal(size=(3, 6)), rng.normal(size=(3, 2))
    got = wire.vmap(lambda x, y: wsig.convolve(x, y, "same"))(a, v)
    np.testing.assert_allclose(got, np.stack([ss.convolve(x, y, "same") for x, y in zip(a, v)]),
                               rtol=1e-13)


# --------------------------------------------------------------------------- triangular / Cholesky


@pytest.mark.parametrize("lower,trans,unit", [(True, 0, False), (False, "T", True),
                                               (True, 2, True), (False, "C", False)])
def test_solve_triangular_matches_scipy(lower, trans, unit):
    rng = np.random.default_rng(4)
    a = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    for b in (rng.normal(size=4), rng.normal(size=(4, 3))):
        ref = sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
        got = wire.jit(lambda x, y: wl.solve_triangular(x, y, trans, lower, unit))(a, b)
        np.testing.assert_allclose(got, ref, rtol=1e-13)
        w = rng.normal(size=ref.shape)
        ga, gb = wire.grad(lambda x, y: wnp.sum(wl.solve_triangular(x, y, trans, lower, unit) * w),
                           argnums=(0, 1))(a, b)
        fa = _fd_grad(lambda x: np.sum(sl.solve_triangular(x, b, trans, lower, unit) * w), a)
        np.testing.assert_allclose(ga, fa, rtol=1e-6, atol=1e-8)
        fb = _fd_grad(lambda y: np.sum(sl.solve_triangular(a, y, trans, lower, unit) * w), b)
        np.testing.assert_allclose(gb, fb, rtol=1e-6, atol=1e-8)
        # only the triangle SciPy reads carries a derivative
        unread = ~(np.tril(np.ones((4, 4), bool)) if lower else np.triu(np.ones((4, 4), bool)))
        if unit:
            unread |= np.eye(4, dtype=bool)
        assert np.all(ga[unread] == 0.0)


def test_cholesky_cho_factor_cho_solve():
    rng = np.random.default_rng(5)
    m = rng.normal(size=(4, 4))
    a = m @ m.T + 4 * np.eye(4)
    b = rng.normal(size=(4, 2))
    for lower in (True, False):
        np.testing.assert_allclose(wire.jit(lambda x: wl.cholesky(x, lower=lower))(a),
                                   sl.cholesky(a, lower=lower), rtol=1e-13)
        c, low = wire.jit(lambda x: wl.cho_factor(x, lower=lower))(a)
        c_ref, low_ref = sl.cho_factor(a, lower=lower)
        assert low == low_ref
        np.testing.assert_allclose(c, c_ref, rtol=1e-13)  # other triangle: a's entries, as SciPy
        x = wire.jit(lambda x, y: wl.cho_solve(wl.cho_factor(x, lower=lower), y))(a, b)
        np.testing.assert_allclose(x, sl.cho_solve((c_ref, lower), b), rtol=1e-12)
    # the gradient of a solve through cho_factor/cho_solve equals that of np.linalg.solve
    # (symmetrised: cho_factor reads one triangle)
    w = rng.normal(size=(4, 2))
    g = wire.grad(lambda x: wnp.sum(wl.cho_solve(wl.cho_factor(x, lower=True), b) * w))(a)
    e = rng.normal(size=(4, 4))
    e = e + e.T
    num = (np.sum(np.linalg.solve(a + 1e-6 * e, b) * w)
           - np.sum(np.linalg.solve(a - 1e-6 * e, b) * w)) / 2e-6
    assert np.sum(g * e) == pytest.approx(num, rel=1e-6)


# --------------------------------------------------------------------------- expm


@pytest.mark.parametrize("n,scale", [(1, 1.0), (2, 0.01), (3, 1.0), (5, 4.0), (4, 40.0)])
def test_expm_values_and_derivatives(n, scale):
    rng = np.random.default_rng(n)
    a = scale * rng.normal(size=(n, n))
    ref = sl.expm(a)
    np.testing.assert_allclose(wire.jit(wl.expm)(a), ref, rtol=1e-12 * max(1.0, scale),
                               atol=1e-13 * np.abs(ref).max())
    v, w = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    frechet = sl.expm_frechet(a, v, compute_expm=False)
    _, tangent = wire.jvp(wl.expm, (a,), (v,))  # forward: through the Padé approximant
    np.testing.assert_allclose(tangent, frechet, rtol=1e-10, atol=1e-12 * np.abs(frechet).max())
    g = wire.grad(lambda x: wnp.sum(wl.expm(x) * w))(a)  # reverse: L(Aᵀ, W)
    adjoint = sl.expm_frechet(a.T, w, compute_expm=False)
    np.testing.assert_allclose(g, adjoint, rtol=1e-10, atol=1e-12 * np.abs(adjoint).max())


def test_expm_second_order_and_batches():
    rng = np.random.default_rng(7)
    a, v, w = rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))

    def f(x):
        return wnp.sum(wl.expm(x) * w)

    exact = lambda x: sl.expm_frechet(x.T, w, compute_expm=False)
    fd = (exact(a + 1e-5 * v) - exact(a - 1e-5 * v)) / 2e-5
    rev_rev = wire.grad(lambda x: wnp.sum(wire.grad(f)(x) * v))(a)
    fwd_rev = wire.hvp(f)(a, v)
    np.testing.assert_allclose(rev_rev, fd, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(fwd_rev, fd, rtol=1e-7, atol=1e-8)
    stack = rng.normal(size=(4, 3, 3))
    expected = np.stack([sl.expm(x) for x in stack])
    np.testing.assert_allclose(wire.jit(wl.expm)(stack), expected, rtol=1e-13)
    np.testing.assert_allclose(wire.vmap(wl.expm)(stack), expected, rtol=1e-13)
    # rotation generator: expm(θ J) = [[cos, sin], [-sin, cos]]
    J = np.array([[0.0, 1.0], [-1.0, 0.0]])
    d = wire.grad(lambda t: wl.expm(J * t)[0, 1])(0.7)
    assert d == pytest.approx(np.cos(0.7), rel=1e-14)
    L = wl.expm_frechet(a, v, compute_expm=False)
    np.testing.assert_allclose(L, sl.expm_frechet(a, v, compute_expm=False), rtol=1e-11)
    with pytest.raises(wire.ShapeError, match="square"):
        wire.jit(wl.expm)(np.ones((2, 3)))
    assert np.isnan(wire.jit(wl.expm)(np.array([[np.nan, 0.0], [0.0, 1.0]]))).any()
