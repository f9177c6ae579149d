"""Reductions, ordering and selection of ``wire.numpy`` against NumPy on the inputs random
tests never reach: empty and size-1 arrays, all-NaN slices, mixed ``-0.0``/``0.0``, ``±inf``,
NaN first and last, ties, sums that overflow (``1e308``), float16/float32/int8/uint8/bool,
with ``axis``/``keepdims``/``where``/``dtype``. Each case runs eagerly, under ``wire.jit`` and
under ``wire.vmap`` and must give NumPy's value bits (NaN where NumPy's is NaN, the sign of
every zero), dtype and shape, or raise where NumPy raises. Then the regressions found so."""

import numpy as np
import pytest

from oracles import exact_difference

import wire
import wire.numpy as wnp

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN and inf on purpose

nan, inf = np.nan, np.inf
_FLOAT_ROWS = {
    "empty": [], "one": [2.5], "neg_zero": [-0.0], "all_nan": [nan, nan, nan],
    "zeros": [0.0, -0.0, -0.0], "infs": [inf, -inf, 1.0], "nan_first": [nan, 1.0, 2.0],
    "nan_last": [3.0, 1.0, nan], "ties": [2.0, 1.0, 2.0, 1.0],
    "huge": [1e308, 1e308, -1e308, 1e308],
    "matrix": [[-0.0, nan, 1.0], [0.0, 2.0, inf]], "empty_rows": np.zeros((2, 0)),
}
_NARROW_ROWS = {"neg_zero", "all_nan", "zeros", "nan_last", "ties", "huge", "matrix"}
with np.errstate(over="ignore"):  # 1e308 is inf in float32 and float16
    ARRAYS = [(f"{k}-{np.dtype(dt).name}", np.array(v, dt))
              for dt in (np.float64, np.float32, np.float16) for k, v in _FLOAT_ROWS.items()
              if dt == np.float64 or k in _NARROW_ROWS]
ARRAYS += [(f"ints-{np.dtype(dt).name}", np.array([3, -1, 3, 0, 127, -128]).astype(dt))
           for dt in (np.int8, np.uint8)]
ARRAYS += [("bools", np.array([True, False, True])), ("bool_matrix", np.eye(2, dtype=bool)),
           ("0-d", np.array(-0.0))]  # ufunc reductions take axis 0 of it, mean and sort refuse


def _every_other(a):
    return np.arange(a.size).reshape(a.shape) % 2 == 0


AXES = [{}, {"axis": 0}, {"axis": -1, "keepdims": True}]
WHERE = [{"where": _every_other}, {"axis": 0, "where": _every_other, "keepdims": True}]
# which zero NumPy returns at a tie with initial depends on its loops (by dtype, masked or not)
INITIAL = [{"initial": 0.0}, {"initial": -0.0}, {"initial": 0.0, "where": _every_other},
           {"axis": 0, "initial": -0.0, "where": _every_other}, {"initial": 5}]
CASES = {
    "sum": AXES + WHERE + [{"dtype": np.float32}, {"dtype": np.int64}, {"initial": -0.0},
                           {"initial": 1.0, "where": _every_other}, {"axis": 0, "initial": 2}],
    "prod": AXES + WHERE + [{"dtype": np.int64}, {"initial": -0.0},
                            {"initial": 2, "where": _every_other, "axis": 0}],
    "mean": AXES + WHERE + [{"dtype": np.float32}],
    "var": AXES + WHERE + [{"ddof": 1}, {"ddof": 5}, {"dtype": np.float32},
                           {"axis": 0, "where": _every_other, "ddof": 1}],
    "std": AXES + WHERE + [{"ddof": 1}, {"dtype": np.float64, "where": _every_other}],
    "nansum": AXES + WHERE + [{"dtype": np.float32}],
    "nanprod": AXES + WHERE,
    "nanmean": AXES + WHERE + [{"dtype": np.float32}, {"dtype": np.int64}],
    "nanvar": AXES + WHERE + [{"ddof": 1}, {"dtype": np.float32}, {"dtype": np.int64}],
    "nanstd": AXES + WHERE + [{"ddof": 2}, {"dtype": np.float64, "where": _every_other}],
    **{name: AXES + INITIAL for name in ("min", "max", "nanmin", "nanmax")}, "ptp": AXES,
    "argmin": AXES, "argmax": AXES,
    "cumsum": [{}, {"axis": 0}, {"dtype": np.float32}],
    "cumprod": [{}, {"axis": -1}], "nancumsum": [{}, {"axis": 0}], "nancumprod": [{}],
    "median": AXES, "nanmedian": AXES,
    # NumPy reads its quantiles from a partition, whose order of tied -0.0 and 0.0 is not a
    # sort's; booleans are refused only where a method would subtract them
    "quantile": [{"q": 0.3}, {"q": 1.0, "axis": 0}, {"q": np.array([0.0, 0.5])},
                 {"q": 0.5, "method": "midpoint"}, {"q": 0.3, "method": "lower"},
                 {"q": np.array([0.25, 0.75]), "method": "averaged_inverted_cdf"},
                 {"q": 0.4, "method": "median_unbiased", "axis": 0}],
    "percentile": [{"q": 50}, {"q": 37.5, "axis": -1}, {"q": 50, "method": "nearest"}],
    "sort": [{}, {"axis": 0}, {"axis": None}], "argsort": [{}, {"kind": "stable"}],
    "partition": [{"kth": 0}, {"kth": -1}, {"kth": [0, 2]}],
    "argpartition": [{"kth": 0}, {"kth": [1, -1]}],
    "searchsorted": [{"v": np.array([0.0, -0.0, nan, inf, 1.0])},
                     {"v": np.array([0.0, nan, 2.0]), "side": "right"}],
    "clip": [{"a_min": 0.0, "a_max": 1.0}, {"a_min": -0.0, "a_max": 0.0},
             {"a_min": nan, "a_max": 1.0}, {"a_min": None, "a_max": -0.0}],
    "count_nonzero": [{}, {"axis": 0}], "any": AXES + WHERE, "all": AXES + WHERE,
    "average": [{}, {"axis": 0}], "diff": [{}, {"n": 2}, {"prepend": -0.0}, {"append": nan}],
}


def _call(name, a, kw):
    """``f(namespace, x)`` for one case (static arguments closed over)."""
    kw = {k: v(a) if callable(v) else v for k, v in kw.items()}
    if name in ("quantile", "percentile"):
        q = kw.pop("q")
        return lambda ns, x: getattr(ns, name)(x, q, **kw)
    if name in ("partition", "argpartition"):  # NumPy's own: every entry, not just kth
        k = kw.pop("kth")
        return lambda ns, x: getattr(ns, name)(x, k, **kw)
    if name == "searchsorted":
        v = kw.pop("v")
        return lambda ns, x: ns.searchsorted(ns.sort(ns.ravel(x)), v.astype(x.dtype), **kw)
    if name == "clip":
        return lambda ns, x: ns.clip(x, kw["a_min"], kw["a_max"])
    return lambda ns, x: getattr(ns, name)(x, **kw)


_difference = exact_difference


def _runs(f, a):
    yield "eager", lambda: f(wnp, a)
    yield "jit", lambda: wire.jit(lambda x: f(wnp, x))(a)
    # a batch of two: each example must be the unbatched result
    yield "vmap", lambda: wire.vmap(lambda x: f(wnp, x))(np.stack([a, a[::-1] if a.ndim else a]))[0]


def _skip(name, a, kw):
    return name in ("partition", "argpartition") and (a.ndim != 1 or a.size == 0) or \
        name in ("partition", "argpartition", "argsort") and a.dtype.kind not in "fiu" or \
        name == "diff" and a.dtype == bool and "prepend" in kw


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_numpy_eagerly_under_jit_and_vmap(name):
    problems = []
    for kw in CASES[name]:
        for label, a in ARRAYS:
            if _skip(name, a, kw):
                continue
            f = _call(name, a, kw)
            try:
                want, err = f(np, a), None
            except Exception as e:  # noqa: BLE001 - NumPy's refusal is part of its meaning
                want, err = None, e
            for mode, run in _runs(f, a):
                try:
                    got = run()
                except Exception as e:  # noqa: BLE001
                    if err is None:
                        problems.append(f"{kw} {label} [{mode}]: raised {type(e).__name__}: {e}")
                    continue
                if err is not None:
                    problems.append(f"{kw} {label} [{mode}]: no error, NumPy raised {err!r}")
                    continue
                diff = _difference(want, got)
                if diff:
                    problems.append(f"{kw} {label} [{mode}]: {diff}")
    assert not problems, "\n".join(problems[:10])


# --------------------------------------------------------------------------- regressions


def test_var_std_and_nan_versions_take_where_and_dtype():
    x = np.array([[1.0, nan, 3.0, 4.0], [2.0, 2.0, -0.0, nan]], np.float32)
    w = np.array([True, False, True, True])
    for name in ("var", "std", "nanvar", "nanstd"):
        for kw in ({"where": w}, {"axis": 1, "where": w, "ddof": 1}, {"dtype": np.float64}):
            want = getattr(np, name)(x, **kw)
            for got in (wire.jit(lambda t: getattr(wnp, name)(t, **kw))(x),
                        wire.vmap(lambda t: getattr(wnp, name)(t, **kw))(x[None])[0]):
                assert _difference(want, got) is None, (name, kw)


def test_an_integer_dtype_for_float_data_is_refused_as_numpy_does():
    x = np.array([1.0, nan, 3.0])
    for name in ("nanmean", "nanvar"):
        with pytest.raises(TypeError):
            getattr(np, name)(x, dtype=int)
        with pytest.raises(wire.errors.WireTypeError):
            wire.jit(lambda t: getattr(wnp, name)(t, dtype=int))(x)


@pytest.mark.parametrize("index", [
    lambda x: wnp.asarray(x)[5], lambda x: x[1:][-3], lambda x: wnp.take(x, 5),
    lambda x: wnp.take_along_axis(x, np.array([-4]), 0)])
def test_a_constant_index_out_of_bounds_is_an_index_error(index):
    x = np.arange(3.0)
    for run, arg in ((wire.jit(index), x), (wire.vmap(index), np.stack([x, x]))):
        with pytest.raises(wire.WireIndexError, match=r"out of bounds.*size \d.*oracle.py:"):
            run(arg)
    assert issubclass(wire.WireIndexError, IndexError)


def test_std_derivatives_at_an_infinite_entry_are_nan():
    f = lambda t: wnp.std(wnp.stack([t, np.inf]))  # noqa: E731
    for _ in range(4):
        assert np.isnan(f(1.0)) and np.isnan(wire.jit(f)(1.0))
        f = wire.grad(f)
    g = lambda t: wnp.std(wnp.stack([t, 2.0]))  # noqa: E731 - equal entries: derivative 0
    assert wire.grad(g)(2.0) == 0.0 and wire.grad(g)(3.0) == 0.5


def test_a_graph_with_a_full_of_nan_equals_itself_traced_again_and_loaded():
    from wire.ops.layout import full

    f = lambda x: x + full((3,), np.nan, np.float64)  # noqa: E731
    g = wire.trace(f, np.ones(3))
    again, loaded = wire.trace(f, np.ones(3)), wire.loads(wire.dumps(g))
    assert g == again and g == loaded and hash(g) == hash(loaded)
    assert np.isnan(wire.evaluate(loaded, np.ones(3))).all()


def test_clip_keeps_the_zero_of_its_input_at_a_zero_bound():
    x = np.array([-0.0, 0.0, 2.0, -3.0])
    for lo, hi in ((0.0, 1.0), (-0.0, 0.0), (-1.0, -0.0)):
        want = np.clip(x, lo, hi)
        for got in (wnp.clip(x, lo, hi), wire.jit(lambda t: wnp.clip(t, lo, hi))(x)):
            assert _difference(want, got) is None, (lo, hi)


def test_average_over_an_empty_result_is_refused_as_numpy_does():
    x = np.zeros((2, 0))
    with pytest.raises(ZeroDivisionError):
        np.average(x, axis=0)
    with pytest.raises(wire.WireError):
        wire.jit(lambda t: wnp.average(t, axis=0))(x)


def test_sums_and_products_start_from_initial_in_numpy_order():
    x = np.array([1e308, 5.0, -1e308, 5.0])
    w = np.array([True, False, True, False])
    cases = [(np.sum, wnp.sum, {"initial": 1.0, "where": w}),      # (1 + 1e308) - 1e308 = 0
             (np.sum, wnp.sum, {"initial": 1.0}),                  # 1 + pairwise sum = 11
             (np.sum, wnp.sum, {"initial": -0.0, "where": ~w | w}),
             (np.prod, wnp.prod, {"initial": -0.0})]               # -0 * 1e308 ... = 0, not nan
    for ref, f, kw in cases:
        want = ref(x, **kw)
        got = wire.jit(lambda t: f(t, **kw))(x)
        assert _difference(want, got) is None, (ref.__name__, kw)
    assert _difference(np.sum(np.array([-0.0]), initial=-0.0),
                       wire.jit(lambda t: wnp.sum(t, initial=-0.0))(np.array([-0.0]))) is None
    # derivatives: 1 on the selected entries, the product of the others times initial
    m = np.array([[True, False, True], [True, True, True]])
    x2 = np.array([[1.0, 2.0, 0.0], [3.0, 0.0, 0.0]])
    g = wire.grad(lambda t: wnp.sum(wnp.sum(t, axis=1, initial=0.5, where=m)))(x2)
    np.testing.assert_array_equal(g, m.astype(float))
    g = wire.grad(lambda t: wnp.sum(wnp.prod(t, axis=1, initial=2.0, where=m)))(x2)
    np.testing.assert_array_equal(g, [[0.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
