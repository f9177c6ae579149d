"""The NaN-aware reductions, quantiles and medians agree with NumPy under ``jit`` (values,
dtypes, shapes, and the exception class where NumPy raises) on arrays with NaN and inf
entries, complex ones, empty and size-1 axes, and float16/float32."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp

SHAPES = [(0,), (1,), (5,), (3, 4), (2, 0), (3, 1)]
MOMENTS = {"nanvar", "nanstd", "var", "std"}
FUNCTIONS = ["nanvar", "nanstd", "nanmean", "var", "std", "nanmedian", "median", "nanquantile",
             "nanpercentile", "nansum", "nanprod", "nanmax", "nanmin", "nancumsum"]


def _inputs(dt, rng):
    for k, shape in enumerate(SHAPES * 2):
        x = rng.normal(size=shape).astype(dt)
        if np.dtype(dt).kind == "c":
            x = x + 1j * rng.normal(size=shape)
        x[rng.random(shape) < 0.4] = np.nan
        if k % 3 == 0 and x.size:
            x.flat[0] = np.inf
        yield x


def _run(fn, x, kw):
    extra = (0.3,) if "quant" in fn else (30,) if "perc" in fn else ()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = np.asarray(getattr(np, fn)(x, *extra, **kw))
    except Exception as e:  # noqa: BLE001 - NumPy's class is the oracle
        ref = type(e)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = np.asarray(wire.jit(lambda x: getattr(wnp, fn)(x, *extra, **kw))(x))
    except wire.WireError as e:
        got = type(e)
    return ref, got


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_nan_reductions_match_numpy_under_jit(fn):
    rng = np.random.default_rng(0)
    kws = [{}, {"axis": 0}, {"axis": -1, "keepdims": True}]
    if fn in MOMENTS:
        kws.append({"ddof": 1})
    if "cum" in fn:
        kws = kws[:2]
    bad = []
    for dt in (np.float64, np.float32, np.complex128, np.float16):
        for x in _inputs(dt, rng):
            for kw in kws:
                ref, got = _run(fn, x, kw)
                if isinstance(ref, type) or isinstance(got, type):
                    ok = (isinstance(ref, type) and isinstance(got, type)
                          and issubclass(got, ref))
                else:
                    tol = 1e-2 if dt == np.float16 else 1e-5
                    ok = (got.shape == ref.shape and got.dtype == ref.dtype
                          and np.allclose(got, ref, rtol=tol, equal_nan=True))
                if not ok:
                    bad.append((np.dtype(dt).name, x.shape, kw, ref, got))
    assert not bad, bad[:4]


def test_median_of_one_complex_infinity_is_numpys():
    # np.mean divides the middle entry by the count: (inf+0j)/1 is inf+nanj
    x = np.array([np.inf + 0j])
    np.testing.assert_array_equal(wire.jit(wnp.median)(x), np.median(x))
    np.testing.assert_array_equal(wire.jit(wnp.nanmedian)(x), np.nanmedian(x))
