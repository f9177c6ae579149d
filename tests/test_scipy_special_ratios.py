"""binom, comb and poch of wire.scipy.special: traced values against SciPy's (bit for bit,
huge, tiny, negative and integer arguments, NaN and inf), derivatives against mpmath and
finite differences."""

import numpy as np
import pytest

import wire
from wire.scipy import special

sp = pytest.importorskip("scipy.special")
mp = pytest.importorskip("mpmath")

HUGE = [9.2e18, 1e10, 1e300, -1e10]
ARGS = np.array([0.0, -0.0, 1.0, 2.0, 3.0, 5.0, 20.0, 21.0, 0.5, 2.5, -0.5, -1.0, -2.0,
                 -2.5, 1e-9, -1e-9, 1e-300, 1e4, 1.5e4, 1e8, *HUGE, np.nan, np.inf,
                 -np.inf])


def _grid():
    n, k = np.meshgrid(ARGS, ARGS, indexing="ij")
    return n.ravel(), k.ravel()


@pytest.mark.parametrize("name", ["binom", "poch"])
def test_traced_values_are_scipys(name):
    a, b = _grid()
    got = wire.jit(getattr(special, name))(a, b)
    with np.errstate(all="ignore"):
        want = getattr(sp, name)(a, b)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.float64


@pytest.mark.parametrize("name", ["binom", "poch"])
def test_float32_stays(name):
    a, b = np.float32([4.0, 2.5, -1.5]), np.float32([2.0, 0.5, 3.0])
    got = wire.jit(getattr(special, name))(a, b)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, getattr(sp, name)(a, b))


def test_huge_arguments():
    assert float(wire.jit(special.binom)(9.2e18, 1.0)) == 9.2e18
    assert float(wire.grad(special.binom)(9.2e18, 1.0)) == 1.0
    # d/da Γ(a + 1/2)/Γ(a) = √a (1/(2a) - 1/(8a²) + …): the leading term alone is 1e-8 off
    want = 0.5 / np.sqrt(1e7) * (1.0 + 1.0 / (8 * 1e7))
    assert float(wire.grad(special.poch)(1e7, 0.5)) == pytest.approx(want, rel=1e-12)


def _mp_binom(n, k):
    return mp.gamma(n + 1) / (mp.gamma(k + 1) * mp.gamma(n - k + 1))


def _mp_poch(a, m):
    return mp.gamma(a + m) / mp.gamma(a)


POINTS = {
    "binom": [(5.0, 2.0), (50.0, 20.0), (9.2e18, 1.0), (1e10, 3.5), (-2.5, 3.0), (0.3, -0.7),
              (4.5, 7.25), (1e3, 400.0), (30.0, 0.5)],
    "poch": [(2.5, 1.5), (1e7, 0.5), (1e5, 3.0), (-1.5, 2.0), (0.1, -0.5), (3.0, -2.5),
             (20.0, 10.0)],
}


@pytest.mark.parametrize("name,mp_fn", [("binom", _mp_binom), ("poch", _mp_poch)])
def test_first_derivatives_against_mpmath(name, mp_fn):
    fn = getattr(special, name)
    mp.mp.dps = 40
    for x, y in POINTS[name]:
        gx, gy = wire.grad(fn, argnums=(0, 1))(x, y)
        want_x = mp.diff(lambda t: mp_fn(t, mp.mpf(y)), mp.mpf(x))
        want_y = mp.diff(lambda t: mp_fn(mp.mpf(x), t), mp.mpf(y))
        assert float(gx) == pytest.approx(float(want_x), rel=1e-12, abs=0), (x, y)
        assert float(gy) == pytest.approx(float(want_y), rel=1e-12, abs=0), (x, y)


@pytest.mark.parametrize("name,mp_fn", [("binom", _mp_binom), ("poch", _mp_poch)])
def test_second_derivatives_against_mpmath(name, mp_fn):
    fn = getattr(special, name)
    mp.mp.dps = 40
    for x, y in [(4.5, 1.25), (-2.5, 3.0)]:
        h = wire.hessian(lambda v: fn(v[0], v[1]))(np.array([x, y]))
        at = (mp.mpf(x), mp.mpf(y))
        want = [[float(mp.diff(mp_fn, at, (int(i == 0) + int(j == 0), i + j)))
                 for j in (0, 1)] for i in (0, 1)]
        np.testing.assert_allclose(h, want, rtol=1e-10)


def test_derivatives_against_finite_differences():
    n, k = np.array([6.0, 7.5, 3.2]), np.array([2.0, 3.25, -0.4])
    for fn in (special.binom, special.poch, special.comb):
        g = wire.grad(lambda n, k: wire.numpy.sum(fn(n, k)), argnums=(0, 1))(n, k)
        h = 1e-6
        np.testing.assert_allclose(g[0], (sp_of(fn)(n + h, k) - sp_of(fn)(n - h, k)) / (2 * h),
                                   rtol=1e-6)
        np.testing.assert_allclose(g[1], (sp_of(fn)(n, k + h) - sp_of(fn)(n, k - h)) / (2 * h),
                                   rtol=1e-6)


def sp_of(fn):
    return getattr(sp, fn.__name__)


@pytest.mark.parametrize("repetition", [False, True])
def test_comb_against_scipy(repetition):
    a, b = _grid()
    with np.errstate(all="ignore"):  # inf + -inf in N + k - 1, as in SciPy
        got = wire.jit(lambda a, b: special.comb(a, b, repetition=repetition))(a, b)
        want = sp.comb(a, b, repetition=repetition)
    np.testing.assert_array_equal(got, want)
    f32 = wire.jit(special.comb)(np.float32([5.0]), np.float32([2.0]))
    assert f32.dtype == sp.comb(np.float32([5.0]), np.float32([2.0])).dtype


def test_comb_exact_needs_concrete_integers():
    assert special.comb(10, 3, exact=True) == 120
    with pytest.raises(wire.WireError, match="exact=True"):
        wire.grad(lambda n: special.comb(n, 3.0, exact=True))(10.0)
