"""wire.scipy.stats's sem, mode, rankdata and gaussian_kde on traced values: against SciPy
(every rankdata method and axis, ties, NaN slices, integer dtypes; mode's ties and NaNs and
keepdims; sem's ddof and too-small samples; the KDE's bandwidth rules, weights, several
dimensions, far-tail logpdf, integrate_box_1d), derivatives against finite differences, jit
and vmap."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.scipy import stats as ws
from wire.testing import check_grads

st = pytest.importorskip("scipy.stats")

RNG = np.random.default_rng(11)
TIES = RNG.integers(0, 4, size=(3, 7)).astype(float)


@pytest.mark.parametrize("method", ["average", "min", "max", "dense", "ordinal"])
def test_rankdata(method):
    for axis in (None, 0, 1, -1):
        got = wire.jit(lambda a: ws.rankdata(a, method, axis=axis))(TIES)
        want = st.rankdata(TIES, method, axis=axis)
        np.testing.assert_array_equal(got, want)
        assert got.shape == want.shape
    ints = TIES.astype(np.int64)
    got = wire.jit(lambda a: ws.rankdata(a, method))(ints)
    want = st.rankdata(ints, method)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    nan = TIES.copy()
    nan[1, 2] = np.nan
    got = wire.jit(lambda a: ws.rankdata(a, method, axis=1))(nan)
    np.testing.assert_array_equal(got, st.rankdata(nan, method, axis=1))
    assert np.isnan(got[1]).all() and not np.isnan(got[[0, 2]]).any()
    # ±0 tie, ±inf ranked at the ends
    x = np.array([0.0, -0.0, np.inf, -np.inf, 1.0])
    np.testing.assert_array_equal(wire.jit(lambda a: ws.rankdata(a, method))(x),
                                  st.rankdata(x, method))
    # ranks are constant: derivative 0
    g = wire.grad(lambda a: wnp.sum(ws.rankdata(a, method) * a))(x[[0, 4]])
    np.testing.assert_array_equal(g, st.rankdata(x[[0, 4]], method))
    with pytest.raises(wire.WireError):
        ws.rankdata(TIES, "mean")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_mode():
    for axis in (None, 0, 1):
        for keepdims in (False, True):
            got = wire.jit(lambda a: ws.mode(a, axis, keepdims=keepdims))(TIES)
            want = st.mode(TIES, axis, keepdims=keepdims)
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g, w)
                assert np.shape(g) == np.shape(w)
    nan = np.array([[np.nan, 1, 1, 2], [np.nan, np.nan, 1, 2], [np.nan, np.nan, np.nan, 5.0]])
    got = wire.jit(lambda a: ws.mode(a, 1))(nan)
    want = st.mode(nan, 1)
    np.testing.assert_array_equal(got.mode, want.mode)
    np.testing.assert_array_equal(got.count, want.count)
    # the mode's derivative goes to one entry holding it
    g = wire.grad(lambda a: ws.mode(a).mode)(np.array([3.0, 1.0, 2.0, 2.0, 1.0]))
    assert g.sum() == 1.0 and g[1] + g[4] == 1.0  # ties: the smaller value, 1
    ints = TIES.astype(np.int8)
    got = wire.jit(lambda a: ws.mode(a, 1))(ints)
    np.testing.assert_array_equal(got.mode, st.mode(ints, 1).mode)
    with pytest.raises(wire.WireError):
        wire.jit(lambda a: ws.mode(a, 0))(np.zeros((0, 3)))
    with pytest.raises(wire.WireError):
        wire.jit(lambda a: ws.mode(a, 0, nan_policy="omit"))(TIES)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_sem():
    x = RNG.normal(size=(4, 5))
    for kw in ({}, {"axis": 1}, {"axis": None}, {"ddof": 0}, {"axis": 1, "keepdims": True},
               {"axis": None, "keepdims": True}):
        got = wire.jit(lambda a: ws.sem(a, **kw))(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = st.sem(x, **kw)
        np.testing.assert_allclose(got, want, rtol=1e-13)
        assert np.shape(got) == np.shape(want)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a, kw in ((np.ones((1, 3)), {}), (np.array([1.0, np.nan, 2.0]), {}),
                      (np.ones(3), {"ddof": 3})):
            np.testing.assert_array_equal(wire.jit(lambda a: ws.sem(a, **kw))(a), st.sem(a, **kw))
    assert wire.jit(ws.sem)(x.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(wire.jit(ws.sem)(np.arange(6).reshape(3, 2)),
                               st.sem(np.arange(6).reshape(3, 2)), rtol=1e-14)
    check_grads(lambda a: ws.sem(a, axis=1), (x,), order=2)
    np.testing.assert_allclose(wire.vmap(lambda r: ws.sem(r, axis=None))(x), st.sem(x, axis=1),
                               rtol=1e-13)


@pytest.mark.parametrize("bw", [None, "scott", "silverman", 0.4, "callable"])
def test_gaussian_kde_one_dimension(bw):
    x = RNG.normal(size=25)
    w = RNG.random(25)
    bw_ = (lambda k: 0.3) if bw == "callable" else bw
    pts = np.array([-30.0, -2.0, -0.3, 0.0, 1.1, 4.0])
    for weights in (None, w):
        want = st.gaussian_kde(x, bw_, weights)
        got = ws.gaussian_kde(x, bw_, weights)
        np.testing.assert_allclose(got.factor, want.factor, rtol=1e-14)
        np.testing.assert_allclose(got.neff, want.neff, rtol=1e-14)
        np.testing.assert_allclose(got.covariance, want.covariance, rtol=1e-13)
        np.testing.assert_allclose(got(pts), want(pts), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(got.pdf(pts), want.pdf(pts), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(got.logpdf(pts), want.logpdf(pts), rtol=1e-12)
        np.testing.assert_allclose(got.integrate_box_1d(-0.5, 2.0),
                                   want.integrate_box_1d(-0.5, 2.0), rtol=1e-12)
        if weights is None:
            traced = wire.jit(lambda x, p: ws.gaussian_kde(x, bw_).logpdf(p))(x, pts)
        else:
            traced = wire.jit(lambda x, w, p: ws.gaussian_kde(x, bw_, w).logpdf(p))(x, w, pts)
        np.testing.assert_allclose(traced, want.logpdf(pts), rtol=1e-12)


def test_gaussian_kde_several_dimensions_far_tail_and_derivatives():
    x = RNG.normal(size=(2, 40))
    pts = RNG.normal(size=(2, 6))
    want, got = st.gaussian_kde(x), ws.gaussian_kde(x)
    np.testing.assert_allclose(got(pts), want(pts), rtol=1e-12)
    np.testing.assert_allclose(got([0.1, 0.2]), want([0.1, 0.2]), rtol=1e-12)  # one point
    # far out the density underflows, the log-density does not
    far = np.array([[60.0], [-60.0]])
    assert float(got(far)[0]) == 0.0
    np.testing.assert_allclose(got.logpdf(far), want.logpdf(far), rtol=1e-12)
    assert np.isfinite(got.logpdf(far)).all()
    # derivatives in the data, the weights, the bandwidth and the points
    x1 = RNG.normal(size=6)
    w1 = RNG.random(6) + 0.5
    check_grads(lambda x, w, p, h: ws.gaussian_kde(x, h, w).logpdf(p),
                (x1, w1, np.array([-0.5, 0.7]), 0.6), order=2, rtol=1e-5)
    check_grads(lambda x, p: ws.gaussian_kde(x).logpdf(p), (x[:, :8], pts[:, :2]), order=1,
                rtol=1e-5)
    for bad in (lambda: ws.gaussian_kde(np.ones(1)), lambda: ws.gaussian_kde(x, "wide"),
                lambda: ws.gaussian_kde(x[:, :1]), lambda: got.logpdf(np.ones((3, 2))),
                lambda: got.integrate_box_1d(0.0, 1.0), lambda: ws.gaussian_kde(x1, None, w1[:3])):
        with pytest.raises(wire.WireError):
            bad()
