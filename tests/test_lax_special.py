"""``wire.lax``'s complex constructors and special functions (``complex``, ``conj``,
``igamma``, ``igammac``, ``igamma_grad_a``, ``random_gamma_grad``, ``polygamma``, ``zeta``,
``bessel_i0e``, ``bessel_i1e``, ``betainc``), checked against ``jax.lax`` on special inputs,
eagerly and under ``wire.jit``, values and derivatives.

XLA compiles its incomplete gamma and beta functions for seconds each: CI checks those
against a few of JAX's values written here, and ``-m slow`` against JAX on every pair of
special inputs."""

import warnings

import numpy as np
import pytest
from selection import slow_only

import wire
from wire import lax

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jlax = jax.lax

V = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, 0.5, 1.0, 2.5, 10.0, 100.0, -1.0,
              -2.5, -3.0])


def quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with np.errstate(all="ignore"):
            return fn(*args)


def grid(*axes):
    return [g.ravel() for g in np.meshgrid(*axes, indexing="ij")]


def close(got, want, rtol=1e-12, skip=None):
    """Equal dtypes; NaN where JAX is NaN, equal infinities and zero signs, values within
    ``rtol``; ``skip`` masks the points where wire's value is documented to differ."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype)
    keep = np.ones(got.shape, bool) if skip is None else ~skip
    g, w = got[keep], want[keep]
    np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
    ok = ~np.isnan(w)
    g, w = g[ok], w[ok]
    np.testing.assert_array_equal(np.signbit(g[w == 0]), np.signbit(w[w == 0]))
    np.testing.assert_allclose(g, w, rtol=rtol, atol=0)


def both(fn, *args):
    """``fn(*args)`` eagerly, checked equal to it under ``wire.jit``."""
    eager = quiet(fn, *args)
    jitted = quiet(wire.jit(fn), *args)
    np.testing.assert_array_equal(np.asarray(jitted), np.asarray(eager))
    return eager


# --------------------------------------------------------------------------- complex


def test_complex_keeps_signed_zeros_and_infinities():
    x = np.array([1.0, -0.0, 0.0, np.nan, np.inf, 2.0])
    y = np.array([-0.0, 0.0, np.inf, 1.0, -np.inf, np.nan])
    got, want = both(lax.complex, x, y), np.asarray(jlax.complex(x, y))
    assert got.dtype == want.dtype == np.complex128
    close(got.real, want.real)
    close(got.imag, want.imag)
    f32 = lax.complex(x.astype(np.float32), y.astype(np.float32))
    assert f32.dtype == np.complex64


def test_conj_of_complex_and_of_real():
    z = np.array([1 + 2j, -0.0 - 0.0j, complex(np.inf, np.nan)])
    close(both(lax.conj, z).imag, np.asarray(jlax.conj(z)).imag)
    x = np.array([1.0, -0.0, np.inf], np.float32)
    got, want = both(lax.conj, x), np.asarray(jlax.conj(x))
    assert got.dtype == want.dtype == np.complex64
    close(got.real, want.real)
    close(got.imag, want.imag)


def test_complex_and_conj_derivatives_match_jax():
    def f(lx, x, y):
        z = lx.complex(x, y)
        return lx.real(z * lx.conj(z) * lx.complex(y, x)) + lx.imag(lx.conj(x) * z)

    args = (np.array(1.5), np.array(-0.5))
    got = wire.grad(lambda x, y: f(lax, x, y), (0, 1))(*args)
    want = jax.jit(jax.grad(lambda x, y: f(jlax, x, y), (0, 1)))(*args)
    for g, w in zip(got, want):
        close(g, w, 1e-15)
    got = wire.jit(wire.grad(lambda x, y: f(lax, x, y), (0, 1)))(*args)
    for g, w in zip(got, want):
        close(g, w, 1e-15)


def test_complex_and_conj_reject_bad_dtypes():
    with pytest.raises(wire.WireTypeError, match="float32, float64"):
        lax.complex(np.float32(1), np.float64(2))
    with pytest.raises(wire.WireTypeError, match="int64"):
        lax.complex(np.array([1]), np.array([2]))
    with pytest.raises(wire.WireTypeError, match="int64"):
        lax.conj(np.array([1]))


# --------------------------------------------------------------------------- special functions


def test_incomplete_gamma_and_beta_at_special_points():
    """(JAX's values on every pair of special inputs: the slow run below.)"""
    a = np.array([np.nan, 1.0, -1.0, 2.5, 1e-300, 0.0, np.inf, 1.0, 2.5])
    x = np.array([1.0, -0.5, 1.0, 0.0, 0.5, 0.5, 0.5, np.inf, 1e-300])
    same = np.testing.assert_array_equal
    same(both(lax.igamma, a, x), [np.nan, np.nan, np.nan, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    # Q(1e-300, 0.5) = 1e-300 E1(0.5) = 5.597735947761608e-301 (mpmath; SciPy and JAX
    # ...714e-301, 19 ulps off)
    same(both(lax.igammac, a, x), [np.nan, np.nan, np.nan, 1.0, 5.597735947761608e-301, 0.0,
                                   1.0, 0.0, 1.0])
    got = both(lax.igamma_grad_a, a, x)
    same(got, [np.nan, np.nan, np.nan, 0.0, got[4], np.nan, np.nan, np.nan, -0.0])
    np.testing.assert_allclose(got[4], -0.5597735947761714, rtol=1e-12)
    assert np.signbit(got[8]) and not np.signbit(got[3])
    got = both(lax.random_gamma_grad, a, x)
    np.testing.assert_allclose(got[[3, 4, 8]], [0.0, 4.614553e+299, 2.76751474e-298],
                               rtol=1e-7)
    assert np.isnan(got[[0, 1, 2, 5, 6, 7]]).all()
    b = np.array([1.0, 2.0, 0.5, 1.0, -1.0, np.inf])
    xb = np.array([0.25, 0.4, 1.0, 1.5, 0.5, 0.5])
    same(both(lax.betainc, b, np.array([1.0, 3.0, 0.5, 1.0, 1.0, 1.0]), xb)[[0, 2]], [0.25, 1.0])
    assert np.isnan(quiet(lax.betainc, b, b, xb)[3:]).all()


@slow_only
def test_igamma_igammac_against_jax():
    a, x = grid(V, V)
    # documented: the limits at a = 0 and a = inf (XLA's depend on its expansion), and
    # XLA's wrong igammac for tiny a (-2.4e-14 at a = x = 1e-300)
    edge = (a == 0) | (a == np.inf)
    close(both(lax.igamma, a, x), jlax.igamma(a, x), 1e-12, edge)
    close(both(lax.igammac, a, x), jlax.igammac(a, x), 1e-12, edge | (a == 1e-300))
    np.testing.assert_array_equal(quiet(lax.igamma, np.array([0.0, np.inf]), np.array([0.5, 1.0])),
                                  [1.0, 0.0])
    assert 0 < lax.igammac(np.array(1e-300), np.array(1e-300)) < 1e-297


@slow_only
def test_igamma_grad_a_and_random_gamma_grad_against_jax():
    a, x = grid(V, V)
    # documented: XLA's underflows to -0.0 at a = 1e-300, x = 100 (it is -3.68e-46)
    close(both(lax.igamma_grad_a, a, x), jlax.igamma_grad_a(a, x), 1e-9,
          (a == 1e-300) & (x == 100))
    np.testing.assert_allclose(lax.igamma_grad_a(np.array(1e-300), np.array(100.0)),
                               -3.6835977616820e-46, rtol=1e-12)
    # (JAX's is 2e-6 off at a = 1e-300, x = 100: checked against mpmath below)
    close(both(lax.random_gamma_grad, a, x), jlax.random_gamma_grad(a, x), 1e-9,
          (a == 1e-300) & (x == 100))
    # where the density or dP/da underflow, against mpmath (50 digits): JAX's is 1% off at
    # (1000, 10)
    a = np.array([1e-300, 100.0, 1000.0, 2.5, 1e-300])
    x = np.array([100.0, 1e-5, 10.0, 1e-300, 1e-20])
    want = [9.90194228673302e+299, 1.6123088915034e-6, 0.0465215478787437, 2.76751473815544e-298,
            4.54744862e+281]
    np.testing.assert_allclose(quiet(lax.random_gamma_grad, a, x), want, rtol=1e-8)


@slow_only
def test_igamma_derivatives_match_jax():
    a = np.array([0.3, 1.0, 2.5, 10.0, 1e-3])
    x = np.array([0.7, 1e-5, 2.5, 12.0, 3.0])
    for name in ("igamma", "igammac"):
        for argnum in (0, 1):
            g = wire.grad(lambda a, x: getattr(lax, name)(a, x).sum(), argnum)(a, x)
            w = jax.grad(lambda a, x: getattr(jlax, name)(a, x).sum(), argnum)(a, x)
            close(g, w, 1e-9)
    # JAX has no derivative of igamma_grad_a: against central differences
    h = 1e-6 * x
    d = wire.grad(lambda x: lax.igamma_grad_a(a, x).sum())(x)
    fd = (quiet(lax.igamma_grad_a, a, x + h) - quiet(lax.igamma_grad_a, a, x - h)) / (2 * h)
    np.testing.assert_allclose(d, fd, rtol=1e-5)


def test_polygamma_against_jax():
    m, x = grid(np.array([0.0, 1.0, 2.0, 3.0, 0.5, -1.0, np.nan, np.inf]), V)
    # documented: polygamma(m >= 1, inf) is the limit 0 (XLA: NaN)
    close(both(lambda x: lax.polygamma(m, x), x), jlax.polygamma(m, x), 1e-11,
          (x == np.inf) & (m >= 1))
    assert quiet(lax.polygamma, np.array(2.0), np.array(np.inf)) == 0
    xs = np.array([0.3, 2.5, -2.5, 7.0])
    orders = (0.0, 1.0, 2.0)
    wants = jax.jit(lambda xs: [jax.grad(lambda x: jlax.polygamma(np.full(4, n), x).sum())(xs)
                                for n in orders])(xs)
    for n, w in zip(orders, wants):
        g = wire.grad(lambda x: lax.polygamma(np.full(4, n), x).sum())(xs)
        close(g, w, 1e-10)
    with pytest.raises(wire.WireNotImplementedError, match="concrete"):
        wire.jit(lax.polygamma)(np.ones(2), np.ones(2))


def test_zeta_against_jax():
    x, q = grid(np.concatenate([V, [2.0, 3.0, 4.0, -2.0, -4.0]]), V)
    # documented: the limit at q = inf (XLA: NaN)
    close(both(lax.zeta, x, q), jlax.zeta(x, q), 1e-12, (q == np.inf) & (x > 1) & (x < np.inf))
    np.testing.assert_array_equal(lax.zeta(np.array([2.0, 1.5]), np.array([np.inf, np.inf])),
                                  [0.0, 0.0])
    # the derivative in q (JAX has none): -x zeta(x + 1, q)
    xs, qs = np.array([2.0, 3.5]), np.array([0.5, 4.0])
    g = wire.grad(lambda q: lax.zeta(xs, q).sum())(qs)
    close(g, -xs * np.asarray(jlax.zeta(xs + 1, qs)), 1e-12)


def test_bessel_i0e_i1e_against_jax():
    x = np.concatenate([V, [1e-8, -7.0, 700.0]])
    xs = np.array([-3.0, -0.0, 0.0, 0.5, 40.0])
    names = ("bessel_i0e", "bessel_i1e")
    wants = jax.jit(lambda x, xs: [(getattr(jlax, n)(x),
                                    jax.grad(lambda x: getattr(jlax, n)(x).sum())(xs))
                                   for n in names])(x, xs)
    for name, (want, want_grad) in zip(names, wants):
        close(both(getattr(lax, name), x), want, 1e-13)
        g = wire.grad(lambda x: getattr(lax, name)(x).sum())(xs)
        close(g, want_grad, 1e-12)


@slow_only
def test_betainc_against_jax():
    b = np.array([np.nan, np.inf, 0.0, 0.5, 1.0, 2.5, -1.0, 30.0])
    a, b, x = grid(b, b, np.array([np.nan, -0.5, 0.0, -0.0, 0.3, 0.5, 1.0, 1.5, np.inf]))
    close(both(lax.betainc, a, b, x), jlax.betainc(a, b, x), 1e-11)
    av, bv, xv = np.array([0.5, 2.0, 30.0]), np.array([3.0, 0.7, 25.0]), np.array([0.2, 0.9, 0.5])
    g = wire.grad(lambda x: lax.betainc(av, bv, x).sum())(xv)
    close(g, jax.grad(lambda x: jlax.betainc(av, bv, x).sum())(xv), 1e-10)


# the float64 values (JAX's float32 ones are within 2e-6 of them)
FLOAT32 = {
    "igamma": [0.6321205588285577, 0.584119813004492, 0.6826894921370859],
    "igammac": [0.36787944117144245, 0.4158801869955079, 0.31731050786291115],
    "igamma_grad_a": [-0.43172971063489873, -0.26084496236866933, -0.6472003523777539],
    "random_gamma_grad": [1.173563027224727, 1.0686730199876302, 1.3373525943353346],
    "betainc": [1.0, np.nan, 0.5],
}


@pytest.mark.parametrize("name, arity", [
    ("igamma", 2), ("igammac", 2), ("igamma_grad_a", 2), ("random_gamma_grad", 2),
    ("polygamma", 2), ("zeta", 2), ("bessel_i0e", 1), ("bessel_i1e", 1), ("betainc", 3)])
def test_special_float32_and_bad_dtypes(name, arity):
    fn = getattr(lax, name)
    args = [np.array([1.0, 2.5, 0.5], np.float32)] * arity
    got = quiet(fn, *args)
    want = np.array(FLOAT32[name], np.float32) if name in FLOAT32 else np.asarray(
        getattr(jlax, name)(*args))
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-5)
    if name != "polygamma":  # (its order must be concrete)
        np.testing.assert_array_equal(quiet(wire.jit(fn), *args), got)
    mixed = [np.array([1.0, 2.0])] + [np.array([1.0, 2.0], np.float32)] * (arity - 1)
    if arity > 1:
        with pytest.raises(wire.WireTypeError, match="same dtypes.*float64.*float32"):
            fn(*mixed)
    with pytest.raises(wire.WireTypeError, match="int64"):
        fn(*[np.array([1, 2])] * arity)
    if arity > 1:
        with pytest.raises(wire.ShapeError, match=r"\(2,\).*\(3,\)"):
            fn(np.ones(2), *[np.ones(3)] * (arity - 1))
