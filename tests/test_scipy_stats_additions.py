"""wire.scipy.stats additions against SciPy: traced ``mode``/``rankdata`` through a sort,
``vonmises.cdf``/``sf``, ``betabinom`` cdf/sf/logcdf/logsf, ``truncnorm`` quantiles and
moments, ``gaussian_kde.resample``."""

import numpy as np
import pytest
import scipy.stats as st

import wire
from wire.scipy.stats import mode, rankdata

RNG = np.random.default_rng(0)
SHAPES = [(7,), (3, 5), (2, 3, 4), (1,), (4, 1), (0, 3), (3, 0)]
DTYPES = [np.float64, np.int64, np.float32, np.int8, np.uint8]


def _data(i):
    shape, dt = SHAPES[i % len(SHAPES)], DTYPES[i % len(DTYPES)]
    x = RNG.integers(0, 4, shape).astype(dt)
    if x.dtype.kind == "f" and x.size:
        if i % 3 == 0:
            x.flat[RNG.integers(0, x.size)] = np.nan
        if i % 4 == 1:
            x.flat[0] = -0.0  # ties with 0.0
    return x


@pytest.mark.parametrize("i", range(21))
def test_traced_rankdata_and_mode_match_scipy(i):
    x = _data(i)
    for axis in (None, 0, -1):
        for m in ("average", "min", "max", "dense", "ordinal"):
            want = st.rankdata(x, method=m, axis=axis)
            got = wire.jit(lambda v: rankdata(v, m, axis=axis))(x)
            assert got.shape == want.shape
            np.testing.assert_array_equal(np.asarray(got, float), np.asarray(want, float))
        if x.size and (axis is None or x.shape[axis]):
            for kd in (False, True):
                w = st.mode(x, axis=axis, keepdims=kd)
                g = wire.jit(lambda v: mode(v, axis=axis, keepdims=kd))(x)
                np.testing.assert_array_equal(g.mode, w.mode)
                np.testing.assert_array_equal(g.count, w.count)
                assert np.shape(g.mode) == np.shape(w.mode)


def test_traced_rankdata_and_mode_are_n_log_n():
    # before: an n x n comparison matrix (9e6 entries for n = 3000)
    x = RNG.integers(0, 100, 3000).astype(float)
    for fn in (lambda v: rankdata(v), lambda v: mode(v).mode,
               lambda v: rankdata(v, "dense"), lambda v: rankdata(v, "ordinal")):
        g = wire.trace(fn, x)
        sizes = [int(np.prod(n.aval.shape)) for n in g.nodes
                 if not isinstance(n.aval, tuple) and n.aval.shape is not None]
        assert max(sizes) <= 2 * x.size
    np.testing.assert_array_equal(wire.jit(rankdata)(x), st.rankdata(x))
    np.testing.assert_array_equal(wire.jit(lambda v: mode(v).mode)(x), st.mode(x).mode)


def test_traced_rankdata_and_mode_under_vmap_and_grad():
    x = np.array([[3.0, 1.0, 3.0, 2.0], [5.0, 5.0, 1.0, np.nan]])
    np.testing.assert_array_equal(wire.vmap(lambda r: rankdata(r))(x),
                                  st.rankdata(x, axis=1))
    np.testing.assert_array_equal(wire.vmap(lambda r: mode(r).mode)(x), st.mode(x, axis=1).mode)
    # the mode's derivative goes to the first entry holding it
    np.testing.assert_array_equal(wire.grad(lambda v: mode(v).mode)(np.array([2., 1., 2., 1.])),
                                  [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(wire.grad(lambda v: (rankdata(v) * v).sum())(x[0]),
                                  st.rankdata(x[0]))
