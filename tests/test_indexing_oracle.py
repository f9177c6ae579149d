"""Indexing, selection and layout of ``wire.numpy`` against NumPy, the oracle.

Every case is a function ``f(ns, x)`` of a namespace (``numpy`` or ``wire.numpy``) and an
array, drawn from tables below and run on a family of inputs (0-d, empty, size 1, float32,
float64, int, bool, complex, NaN and inf). For each input wire must give NumPy's values,
dtype and shape exactly, under an eager trace and under ``wire.jit``; where NumPy raises,
wire must raise a ``wire.WireError`` that is also NumPy's exception class (NumPy's
``AxisError`` is both a ``ValueError`` and an ``IndexError``). On float64 inputs the
derivative (one reverse-mode pullback) is checked against central differences.
"""

from __future__ import annotations

import numpy as np
import pytest

from oracles import exact_difference

import wire
import wire.numpy as wnp

RNG = np.random.default_rng(15)


def _arrays():
    f = RNG.normal(size=(3, 4))
    nan = f.copy()
    nan[0, 1], nan[1, 2], nan[2, 0] = np.nan, np.inf, -np.inf
    nan[2, 3] = -0.0
    return {
        "f64": f,
        "f32": RNG.normal(size=(3, 4)).astype(np.float32),
        "int": np.arange(-5, 7).reshape(3, 4),
        "bool": RNG.normal(size=(3, 4)) > 0,
        "complex": (RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))),
        "nan": nan,
    }


_A2 = _arrays()
# input families: each case names one
INPUTS = {
    "2d": [(k, v) for k, v in _A2.items()] + [
        ("empty03", np.zeros((0, 3))), ("empty30", np.zeros((3, 0), np.int32)),
        ("one", np.full((1, 1), 2.5))],
    "1d": [(k, v[0]) for k, v in _A2.items()] + [
        ("empty", np.zeros(0)), ("one", np.array([1.5])), ("i8", np.arange(5, dtype=np.int8))],
    "3d": [("f64", RNG.normal(size=(2, 3, 4))), ("int", np.arange(24).reshape(2, 3, 4)),
           ("f32", RNG.normal(size=(2, 3, 4)).astype(np.float32)),
           ("bool", RNG.normal(size=(2, 3, 4)) > 0), ("empty", np.zeros((2, 0, 4)))],
    "0d": [("f64", np.array(1.25)), ("int", np.array(3)), ("bool", np.array(True)),
           ("complex", np.array(1 - 2j)), ("nan", np.array(np.nan))],
    "sq": [("f64", RNG.normal(size=(4, 4))), ("int", np.arange(16).reshape(4, 4)),
           ("bool", RNG.normal(size=(4, 4)) > 0), ("complex", RNG.normal(size=(4, 4)) * 1j),
           ("one", np.ones((1, 1), np.float32))],
}
INPUTS["any"] = INPUTS["2d"] + INPUTS["0d"] + INPUTS["1d"][:2] + INPUTS["3d"][:2]


# --------------------------------------------------------------------------- comparison


def _leaves(out):
    if isinstance(out, (tuple, list)):
        return [leaf for o in out for leaf in _leaves(o)]
    return [out]


def _difference(want, got):
    if isinstance(want, (tuple, list)) != isinstance(got, (tuple, list)) or \
            isinstance(want, (tuple, list)) and len(want) != len(got):
        return f"{type(want).__name__} of {len(_leaves(want))} expected, got {got!r}"
    for w, g in zip(_leaves(want), _leaves(got)):
        problem = exact_difference(w, g)
        if problem:
            return problem
    return None


def _error_problem(err, e):
    """None if wire's exception ``e`` stands for NumPy's ``err`` (a WireError of its class)."""
    if not isinstance(e, wire.WireError):
        return f"raised {type(e).__name__} (not a WireError): {e}"
    need = [c for c in (IndexError, ValueError, TypeError) if isinstance(err, c)]
    if not need:  # any other NumPy exception: its own class
        need = [type(err)]
    missing = [c.__name__ for c in need if not isinstance(e, c)]
    if missing:
        return f"raised {type(e).__name__} ({e}), NumPy raised {err!r}: not a {missing}"
    return None


def _eager(f, a):
    # an eager trace: tracers that carry their values (vjp keeps integer inputs)
    return wire.vjp(lambda x: f(wnp, x), a)[0]


def _jit(f, a):
    return wire.jit(lambda x: f(wnp, x))(a)


def _flat(ns, out):
    return ns.concatenate([ns.ravel(o) for o in _leaves(out)]) if isinstance(out, (tuple, list)) \
        else out


def _grad_problem(f, a, want):
    """<pullback(w), d> against central differences of NumPy's f along d."""
    if not _leaves(want):
        return None
    flat = _flat(np, want)
    if flat.dtype != np.float64 or flat.size == 0 or not np.isfinite(a).all() or \
            not np.isfinite(flat).all():
        return None
    rng = np.random.default_rng(0)
    w, d = rng.normal(size=flat.shape), rng.normal(size=a.shape)
    out, pull = wire.vjp(lambda x: _flat(wnp, f(wnp, x)), a)
    (g,) = pull(w)
    eps = 1e-6
    fd = np.sum(w * (_flat(np, f(np, a + eps * d)) - _flat(np, f(np, a - eps * d)))) / (2 * eps)
    got = np.sum(np.asarray(g) * d)
    if not np.isclose(got, fd, rtol=1e-5, atol=1e-6):
        return f"grad: <g, d> = {got}, finite differences {fd}"
    return None


def run_case(f, inputs, *, jit=True, grad=True, value_dependent=False):
    """Problems of one case on every input of a family (an empty list when wire agrees)."""
    problems = []
    for label, a in inputs:
        try:
            want, err = f(np, a), None
        except Exception as e:  # noqa: BLE001 - NumPy's refusal is part of its meaning
            want, err = None, e
        modes = [("eager", _eager)] + ([("jit", _jit)] if jit else [])
        for mode, run in modes:
            try:
                got = run(f, a)
            except Exception as e:  # noqa: BLE001
                if err is not None and mode == "jit" and value_dependent and \
                        isinstance(e, wire.WireError):
                    p = None  # refused under jit, where the values NumPy checks are unknown
                elif err is not None:
                    p = _error_problem(err, e)
                elif mode == "jit" and value_dependent and isinstance(e, wire.WireError):
                    p = None  # a shape that depends on values: refused clearly under jit
                elif isinstance(e, wire.WireIndexError) and not any(
                        np.size(w) for w in _leaves(want)):
                    p = None  # NumPy checks no index when it gathers nothing; wire still does
                else:
                    p = f"raised {type(e).__name__}: {e}"
                if p:
                    problems.append(f"{label} [{mode}]: {p}")
                continue
            if err is not None:
                problems.append(f"{label} [{mode}]: no error, NumPy raised {err!r}")
                continue
            diff = _difference(want, got)
            if diff:
                problems.append(f"{label} [{mode}]: {diff}")
        if grad and err is None and label == "f64":
            try:
                p = _grad_problem(f, a, want)
            except Exception as e:  # noqa: BLE001
                p = f"grad raised {type(e).__name__}: {e}"
            if p:
                problems.append(f"{label}: {p}")
    return problems


# --------------------------------------------------------------------------- x[index]

I = np.array
E = I([], dtype=np.intp)
M3 = I([True, False, True])
M4 = I([False, True, True, False])

INDEX_2D = [
    0, -1, 2, -3, 3, -4, (1, -1), (1, 4), (-4, 0), (0, -5),
    slice(None, None, -1), slice(-1, None, -2), slice(2, 0, -1), slice(5, 1, -1), slice(1, 1),
    slice(-10, 10), slice(10, 20), slice(None, None, 3), (slice(None), slice(None, None, -2)),
    slice(None, -5, -1), (slice(-2, None), slice(None, -1)), slice(2, -10, -1),
    None, (None, 0), (0, None, slice(None)), (None, Ellipsis, None), (slice(None), None, 1),
    Ellipsis, (Ellipsis, 0), (0, Ellipsis), (Ellipsis, None), (Ellipsis, -1, None), (),
    I(True), I(False), (I(True), 0), (0, I(False)), M3, (slice(None), M4), (M3, 1), (M3, M4[1:3]),
    I([[True, False, True, False]] * 3), np.zeros((3, 4), bool), (M3, I([0, -1])),
    I([0, -1, 2]), I([[0, 1], [2, -3]]), (I([0, 2]), I([1, -1])), (I([[0], [2]]), I([1, 3])),
    (slice(None), I([3, 0])), (I([1, 0]), slice(None)), I([3]), I([-4]), (0, I([4])), E, (E, E),
    (E, slice(None)), (slice(None), E), [0, 2], [[0, 1]], [True, False, True], ([0, 1], [1, 2]),
    (0, [1, 2]), [-1], (1, slice(None), None), (I([0, 1]), None, I([2, 3])),
    (slice(1, None), I([[0], [1]])), (I(1), slice(None)), (np.int64(-1), np.int32(2)),
    I(1.0), 1.0, "a", slice(None, None, 0), (slice(None), slice(1, None, 0)),
    I([0, 2], dtype=np.int8), I([1, 0], dtype=np.uint64), (I([2], dtype=np.uint8), -1),
    (Ellipsis, None, slice(None, None, -1)), (-1, slice(None, None, -3)), [[0, 1], [2]],
    (I([[0, 1], [1, 2]]), I([[3], [0]])), (slice(None), None, I([0, 0]), None),
    ([0], [1], [2]), (0, 1, None), (I([1]), I([[1], [2]])), (slice(3, 0, -2), I([2, -2])),
]
INDEX_3D = [
    (I([0, 1]), slice(None), I([1, 2])), (slice(None), I([0, 1]), I([1, 2])),
    (0, slice(None), I([1, 2])), (Ellipsis, I([0, 3])), (I([1]), Ellipsis, I([0])),
    (None, I([0, 1]), slice(None), 0), (I([[0], [1]]), slice(1, 3), I([0, 3, 2])),
    (slice(None), 1, slice(None), None), (I([0, 1]), I([1, 2]), slice(None, None, -1)),
    (0, I([0, 2]), slice(None)), (slice(None), slice(None), I([[1, 2]])), (-1, -1, -1),
    (0, None, I([1]), None, I([2])), (Ellipsis, None, 0), (0, 0, 0, 0), (Ellipsis, Ellipsis),
    (I(True), slice(None), I([0, 1]), 0), (np.ones((2, 3), bool), I([1, 1, 1, 1, 1, 1])),
    (slice(None), np.ones((3, 4), bool)), (0, np.ones((3, 4), bool)),
]
INDEX_0D = [(), None, Ellipsis, I(True), I(False), (None, Ellipsis), 0, I([0]), slice(None)]
INDEX_1D = [0, -1, 5, slice(None, None, -1), I([0, 0, 0]), I([-1, 1]), E, [True] * 4 + [False],
            I(False), (None, slice(1, 3)), (I([[0, 1]]), None)]


def _getitem(index):
    return lambda ns, x: (x if ns is np else wnp.asarray(x))[index]


GETITEM = [("2d", i) for i in INDEX_2D] + [("3d", i) for i in INDEX_3D] + \
    [("0d", i) for i in INDEX_0D] + [("1d", i) for i in INDEX_1D]


@pytest.mark.parametrize("k", range(len(GETITEM)))
def test_getitem_matches_numpy(k):
    family, index = GETITEM[k]
    inputs = [(lab, a) for lab, a in INPUTS[family] if family != "1d" or a.shape == (4,)
              or a.shape == (5,) or a.size == 0]
    problems = run_case(_getitem(index), inputs)
    assert not problems, f"x[{index!r}]:\n" + "\n".join(problems[:8])


# --------------------------------------------------------------------------- .at[index]


def _numpy_update(x, index, mode, v):
    z = np.array(x, copy=True)
    if mode == "get":
        return z[index]
    v = np.broadcast_to(np.asarray(v).astype(z.dtype), z[index].shape)
    if mode == "set":
        z[index] = v
    else:
        {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}[mode].at(
            z, index, v)
    return z


def _at(index, mode, v):
    def f(ns, x):
        if ns is np:
            return _numpy_update(x, index, mode, v)
        ref = x.at[index]
        return ref.get() if mode == "get" else getattr(ref, mode)(v)
    return f


AT_INDEX = [0, -1, (1, -2), I([0, 2, 2, 0]), I([-1, -1, 1]), (I([2, 2]), I([3, 3])),
            (slice(None), I([3, 0, 3])), slice(None, None, -1), (Ellipsis, -1), M3, (None, 1),
            E, [0, 0], (I([[0], [2]]), I([1, 3])), 3, (0, -5), I([0, 3]), (slice(None), I([4]))]
AT_MODES = ["set", "add", "multiply", "min", "max", "get"]
AT = [(i, m) for i in AT_INDEX for m in AT_MODES]


@pytest.mark.parametrize("k", range(len(AT)))
def test_at_updates_match_numpy(k):
    index, mode = AT[k]
    try:
        sel = _A2["f64"][index]
    except IndexError:
        sel = np.zeros(())  # NumPy refuses the index: so must wire, whatever the values
    v = np.array([2.0, -1.5, 0.5])[: sel.shape[-1]] if mode != "get" and sel.ndim and \
        sel.shape[-1] <= 3 else 1.5
    inputs = [(lab, a) for lab, a in INPUTS["2d"] if lab in ("f64", "f32", "int", "nan",
                                                              "bool", "complex")]
    problems = run_case(_at(index, mode, v), inputs)
    assert not problems, f"x.at[{index!r}].{mode}({v!r}):\n" + "\n".join(problems[:8])


# index values as traced integers under jit
TRACED = [
    ("x[i]", lambda ns, x, i: x[i], [0, -1, 2, -3, 3, -4]),
    ("x[i, j]", lambda ns, x, i: x[i, -i - 1], [0, -1, 1]),
    ("x[:, i]", lambda ns, x, i: x[:, i], [0, -1, -4, 3, -5]),
    ("x[arr]", lambda ns, x, i: x[i], [I([0, -1, 2]), I([[-3, -2], [1, 1]]), I([0, -4])]),
    ("x[arr, arr]", lambda ns, x, i: x[i, i], [I([0, -1, 2]), I([-3, -2])]),
    ("set", lambda ns, x, i: _upd(ns, x, i, "set", 7.0), [0, -1, -3, I([-1, 0, -1]), -4, 3]),
    ("add", lambda ns, x, i: _upd(ns, x, i, "add", 1.0), [-1, I([-1, 2, -1, -1]), I([0, -4])]),
    ("max", lambda ns, x, i: _upd(ns, x, i, "max", 0.5), [-2, I([-1, 2, -1])]),
    ("take", lambda ns, x, i: ns.take(x, i), [-1, -12, 11, I([-1, -12, 5]), -13, I([0, 12])]),
    ("take wrap", lambda ns, x, i: ns.take(x, i, mode="wrap"), [-1, -13, 25, I([-1, -14, 30])]),
    ("take clip", lambda ns, x, i: ns.take(x, i, mode="clip"), [-1, 13, I([-1, -14, 30, 3])]),
    ("take axis", lambda ns, x, i: ns.take(x, i, axis=-1), [-1, I([-4, 3, -1])]),
    ("take axis wrap", lambda ns, x, i: ns.take(x, i, axis=0, mode="wrap"), [-1, I([-4, 3, 7])]),
    ("choose", lambda ns, x, i: ns.choose(i, [x[0], x[1], x[2]]),
     [I([0, 1, 2, 1]), I([2, 2, 0, 0]), I([-1, 0, 0, 0]), I([0, 3, 0, 0])]),
    ("choose wrap", lambda ns, x, i: ns.choose(i, [x[0], x[1], x[2]], mode="wrap"),
     [I([-1, 4, 2, -5])]),
    ("choose clip", lambda ns, x, i: ns.choose(i, [x[0], x[1], x[2]], mode="clip"),
     [I([-1, 4, 2, -5])]),
    ("take_along_axis", lambda ns, x, i: ns.take_along_axis(x, i, axis=1),
     [I([[0], [-1], [-4]]), I([[0, -1, 3, -2]] * 3), I([[0], [-5], [0]]), I([[4], [0], [0]])]),
    ("roll", lambda ns, x, i: ns.roll(x, i, axis=1), [1, -1, 7]),
]


def _upd(ns, x, i, mode, v):
    if ns is np:
        return _numpy_update(x, i, mode, v)
    return getattr(x.at[i], mode)(v)


@pytest.mark.parametrize("k", range(len(TRACED)))
def test_traced_integer_indices_under_jit(k):
    name, f, values = TRACED[k]
    x = _A2["f64"]
    problems = []
    for i in values:
        try:
            want, err = f(np, x, i), None
        except Exception as e:  # noqa: BLE001
            want, err = None, e
        for mode, fn in [("jit", wire.jit(lambda x, i: f(wnp, x, i))),
                         ("eager", lambda x, i: wire.vjp(lambda x: f(wnp, x, i), x)[0])]:
            try:
                got = fn(x, i)
            except Exception as e:  # noqa: BLE001
                # where NumPy refuses the index, wire must too (under jit, when it runs)
                if err is None:
                    problems.append(f"i={i!r} [{mode}]: raised {type(e).__name__}: {e}")
                continue
            if err is not None:
                problems.append(f"i={i!r} [{mode}]: no error, NumPy raised {err!r}")
                continue
            diff = _difference(want, got)
            if diff:
                problems.append(f"i={i!r} [{mode}]: {diff}")
    assert not problems, f"{name}:\n" + "\n".join(problems)


# --------------------------------------------------------------------------- functions

PAD_MODES = ["constant", "edge", "linear_ramp", "maximum", "minimum", "mean", "median",
             "reflect", "symmetric", "wrap", "empty"]
PAD_WIDTHS = [1, (1, 2), ((0, 2), (3, 1)), ((1,), (2,)), 0, ((2, 0),)]


def _pad(width, mode, **kw):
    def f(ns, x):
        y = ns.pad(x, width, mode=mode, **kw)
        if mode == "empty":  # only the shape, dtype and the kept values are defined
            inner = tuple(slice(p[0], p[0] + n) for p, n in
                          zip(np.broadcast_to(np.asarray(width), (x.ndim, 2)), x.shape))
            return y.shape, y[inner]
        return y
    return f


def _ns_name(name, *args, **kw):
    return lambda ns, x: getattr(ns, name)(x, *args, **kw)


N = _ns_name
FUNCS = [
    # take
    ("1d", N("take", I([0, -1, 4]))), ("2d", N("take", I([0, -1, 11]))),
    ("2d", N("take", I([12]))), ("2d", N("take", I([-13]))), ("2d", N("take", 3, axis=-1)),
    ("2d", N("take", I([[0, 2], [-1, 1]]), axis=0)), ("2d", N("take", I([5, -6]), mode="wrap")),
    ("2d", N("take", I([5, -6]), axis=1, mode="clip")), ("2d", N("take", I([5, -6]), axis=1)),
    ("2d", N("take", I([0]), axis=2)), ("2d", N("take", I([0]), axis=-3)), ("2d", N("take", E)),
    ("2d", N("take", E, axis=1)), ("0d", N("take", 0)), ("2d", N("take", I([1, 3]), axis=-2, mode="wrap")),
    # take_along_axis / put_along_axis
    ("2d", lambda ns, x: ns.take_along_axis(x, I([[0], [-1], [1]])[: x.shape[0]], axis=1)),
    ("2d", lambda ns, x: ns.take_along_axis(x, I([[0, 2, 1, 0]]), axis=0)),
    ("2d", lambda ns, x: ns.take_along_axis(x, I([0, 5]), axis=None)),
    ("2d", lambda ns, x: ns.take_along_axis(x, I([[0]]), axis=2)),
    ("2d", lambda ns, x: ns.take_along_axis(x, I([[4]]), axis=1)),
    # choose / compress / extract / select / where / nonzero
    ("1d", lambda ns, x: ns.choose(I([0, 1, 1, 0]), [x[:4], x[:4] * 2])),
    ("2d", lambda ns, x: ns.choose(I([[0], [1], [2]]), [x, x * 2, x[0]])),
    ("2d", lambda ns, x: ns.choose(I([0, 3, -1, 1]), [x, x[::-1]], mode="wrap")),
    ("2d", lambda ns, x: ns.choose(I([0, 3, -1, 1]), [x, x[::-1]], mode="clip")),
    ("2d", lambda ns, x: ns.choose(I([0, 3, -1, 1]), [x, x[::-1]])),
    ("2d", lambda ns, x: ns.compress(I([True, False, True]), x, axis=0)),
    ("2d", lambda ns, x: ns.compress(I([False, True]), x, axis=1)),
    ("2d", lambda ns, x: ns.compress(I([False, True, True]), x)),
    ("2d", lambda ns, x: ns.compress(I([True] * 5), x, axis=0)),
    ("2d", lambda ns, x: ns.compress(I([True]), x, axis=2)),
    ("2d", lambda ns, x: ns.extract(np.arange(x.size).reshape(x.shape) % 3 == 0, x)),
    ("2d", lambda ns, x: ns.select([np.arange(x.size).reshape(x.shape) % 2 == 0,
                                    np.arange(x.size).reshape(x.shape) % 3 == 0], [x, x * 2], 7)),
    ("2d", lambda ns, x: ns.select([], [], x)), ("2d", lambda ns, x: ns.select([x > 0], [x, x])),
    ("2d", lambda ns, x: ns.select([np.ones(x.shape)], [x])),
    ("2d", lambda ns, x: ns.where(x)), ("1d", lambda ns, x: ns.where(x)),
    ("any", N("nonzero")), ("any", N("argwhere")), ("any", N("flatnonzero")),
    # diag / diagonal / tril / triu
    ("1d", N("diag")), ("1d", N("diag", 2)), ("1d", N("diag", -1)), ("2d", N("diag")),
    ("2d", N("diag", 1)), ("2d", N("diag", -2)), ("2d", N("diag", 7)), ("2d", N("diag", -7)),
    ("0d", N("diag")), ("3d", N("diag")),
    ("2d", N("diagonal")), ("2d", N("diagonal", 2)), ("2d", N("diagonal", -1)),
    ("2d", N("diagonal", 9)), ("3d", N("diagonal", 0, 0, 2)), ("3d", N("diagonal", 1, -1, 1)),
    ("3d", N("diagonal", -1, 2, 0)), ("3d", N("diagonal", 0, 1, 1)), ("3d", N("diagonal", 0, 0, 3)),
    ("1d", N("diagonal")),
    ("2d", N("tril")), ("2d", N("tril", 1)), ("2d", N("tril", -2)), ("3d", N("triu", 1)),
    ("2d", N("triu", -1)), ("2d", N("triu", 5)), ("1d", N("tril")), ("1d", N("triu", 1)),
    # roll
    ("2d", N("roll", 1)), ("2d", N("roll", -5)), ("2d", N("roll", 1, 0)), ("2d", N("roll", -7, 1)),
    ("2d", N("roll", (1, 2), (0, 1))), ("2d", N("roll", (1, -3), (1, 1))),
    ("2d", N("roll", 2, (0, 1))), ("2d", N("roll", (1, 2), 1)), ("2d", N("roll", (1, 2, 3), (0, 1))),
    ("2d", N("roll", 1, 2)), ("2d", N("roll", 1, -3)), ("3d", N("roll", (5, -1, 2), (-1, 0, -1))),
    ("0d", N("roll", 1)), ("1d", N("roll", 13)), ("2d", N("roll", (1, 2))),
    # flip / rot90 / axes
    ("2d", N("flip")), ("2d", N("flip", 0)), ("2d", N("flip", -1)), ("3d", N("flip", (0, 2))),
    ("2d", N("flip", 2)), ("2d", N("flip", (0, 0))), ("0d", N("flip")),
    ("2d", N("rot90")), ("2d", N("rot90", 2)), ("2d", N("rot90", -1)), ("2d", N("rot90", 7)),
    ("3d", N("rot90", 1, (2, 0))), ("2d", N("rot90", 1, (0, 0))), ("2d", N("rot90", 1, (0, 2))),
    ("3d", N("rot90", 3, (-1, -2))), ("1d", N("rot90")),
    ("3d", N("moveaxis", 0, -1)), ("3d", N("moveaxis", (0, 1), (2, 0))), ("3d", N("moveaxis", 3, 0)),
    ("3d", N("moveaxis", (0, 0), (1, 2))), ("3d", N("moveaxis", -4, 0)),
    ("3d", N("swapaxes", 0, 2)), ("3d", N("swapaxes", -1, 1)), ("3d", N("swapaxes", 0, 3)),
    ("3d", N("transpose")), ("3d", N("transpose", (2, 0, 1))), ("3d", N("transpose", (-1, 0, 1))),
    ("3d", N("transpose", (0, 1))), ("3d", N("transpose", (0, 0, 1))), ("3d", N("transpose", (0, 1, 3))),
    ("3d", lambda ns, x: ns.asarray(x).transpose(1, 0, 2)),
    ("2d", N("expand_dims", 0)), ("2d", N("expand_dims", -1)), ("2d", N("expand_dims", (0, 3))),
    ("2d", N("expand_dims", (0, -1))), ("2d", N("expand_dims", 3)), ("2d", N("expand_dims", (1, 1))),
    ("2d", N("expand_dims", -4)), ("0d", N("expand_dims", (0, 1))),
    ("2d", lambda ns, x: ns.squeeze(x[:1, None])), ("2d", lambda ns, x: ns.squeeze(x[:1], 0)),
    ("2d", N("squeeze", 0)), ("2d", N("squeeze", 2)), ("0d", N("squeeze")), ("0d", N("squeeze", 0)),
    ("2d", lambda ns, x: ns.squeeze(x[:1, :1], (0, 1))), ("2d", lambda ns, x: ns.squeeze(x[:1], -2)),
    # reshape / ravel
    ("2d", N("reshape", -1)), ("2d", N("reshape", (2, -1))), ("2d", N("reshape", (4, -1), order="F")),
    ("2d", N("reshape", -1, order="F")), ("3d", N("reshape", (4, -1), order="F")),
    ("2d", N("reshape", (5, -1))), ("2d", N("reshape", (-1, -1))), ("0d", N("reshape", (1, 1))),
    ("2d", N("reshape", (-1, 3, 0))), ("2d", N("ravel")), ("2d", N("ravel", order="F")),
    ("3d", N("ravel", "F")), ("3d", N("ravel", order="C")),
    ("2d", lambda ns, x: ns.asarray(x).reshape(2, -1, order="F")),
    ("2d", lambda ns, x: ns.asarray(x).ravel("F")), ("2d", lambda ns, x: ns.asarray(x).flatten("F")),
    # repeat / tile
    ("2d", N("repeat", 2)), ("2d", N("repeat", 2, 1)), ("2d", N("repeat", I([1, 0, 2]), 0)),
    ("1d", lambda ns, x: ns.repeat(x, np.arange(x.size) % 3)), ("2d", N("repeat", 0)),
    ("2d", N("repeat", I([1, 2]), 0)), ("2d", N("repeat", 2, -3)), ("2d", N("repeat", I([-1, 1, 1]), 0)),
    ("2d", N("tile", 2)), ("2d", N("tile", (2, 1, 2))), ("0d", N("tile", (2, 3))), ("2d", N("tile", 0)),
    ("1d", N("tile", (1, 2))), ("2d", N("tile", ())),
]
# pad: every mode, widths as int, pairs, per axis (the second half of the widths: slow)
_PAD_START = len(FUNCS)
FUNCS += [("2d", _pad(w, m)) for m in PAD_MODES for w in PAD_WIDTHS]
_SLOW = {_PAD_START + i for i in range(len(PAD_MODES) * len(PAD_WIDTHS)) if i % len(PAD_WIDTHS) >= 3}
FUNCS += [("1d", _pad(3, m)) for m in PAD_MODES] + [("0d", _pad(0, m)) for m in ("constant", "edge")]
FUNCS += [
    ("2d", _pad(2, "reflect", reflect_type="odd")), ("2d", _pad((1, 3), "symmetric", reflect_type="odd")),
    ("1d", _pad(9, "reflect")), ("1d", _pad(9, "symmetric")), ("1d", _pad(9, "wrap")),
    ("1d", _pad(7, "reflect", reflect_type="odd")), ("1d", _pad(7, "symmetric", reflect_type="odd")),
    ("2d", _pad(2, "constant", constant_values=((1, 2), (3, 4)))),
    ("2d", _pad(2, "linear_ramp", end_values=((1, 2), (-3, 4)))),
    ("2d", _pad(2, "maximum", stat_length=1)), ("2d", _pad(2, "mean", stat_length=((1, 2), (2, 1)))),
    ("2d", _pad(3, "median", stat_length=2)), ("2d", _pad(2, "minimum", stat_length=0)),
    ("2d", _pad(-1, "constant")), ("2d", _pad(((1, 1), (1, 1), (1, 1)), "constant")),
    ("2d", _pad(1, "nonsense")),
]
FUNCS += [
    # joining
    ("2d", lambda ns, x: ns.concatenate([x, x[:1]])), ("2d", lambda ns, x: ns.concatenate([x, x], 1)),
    ("2d", lambda ns, x: ns.concatenate([x, x], axis=None)),
    ("2d", lambda ns, x: ns.concatenate([x, x], axis=2)),
    ("2d", lambda ns, x: ns.concatenate([x, x[:, :1]], axis=0)),
    ("2d", lambda ns, x: ns.concatenate([x, np.ones((1, x.shape[1]), np.float32)], axis=-2)),
    ("2d", lambda ns, x: ns.concatenate([x, np.ones(x.shape, np.int8)], axis=-1)),
    ("2d", lambda ns, x: ns.stack([x, x])), ("2d", lambda ns, x: ns.stack([x, x], -1)),
    ("2d", lambda ns, x: ns.stack([x, x], 3)), ("2d", lambda ns, x: ns.stack([x, x[:1]])),
    ("2d", lambda ns, x: ns.stack([x, x], axis=-3)),
    ("1d", lambda ns, x: ns.hstack([x, x])), ("2d", lambda ns, x: ns.hstack([x, x])),
    ("0d", lambda ns, x: ns.hstack([x, x])), ("1d", lambda ns, x: ns.vstack([x, x])),
    ("2d", lambda ns, x: ns.vstack([x, x])), ("0d", lambda ns, x: ns.vstack([x, x])),
    ("1d", lambda ns, x: ns.dstack([x, x])), ("2d", lambda ns, x: ns.dstack([x, x])),
    ("1d", lambda ns, x: ns.column_stack([x, x])), ("2d", lambda ns, x: ns.column_stack([x, x])),
    ("0d", lambda ns, x: ns.column_stack([x, x])),
    ("2d", lambda ns, x: ns.block([[x, x], [x, x]])), ("2d", lambda ns, x: ns.block([x, x])),
    ("1d", lambda ns, x: ns.block([x, [x, x]])), ("0d", lambda ns, x: ns.block([[x, x]])),
    # splitting
    ("2d", lambda ns, x: ns.split(x, 3)), ("2d", lambda ns, x: ns.split(x, 2, axis=1)),
    ("2d", lambda ns, x: ns.split(x, [1, 2])), ("2d", lambda ns, x: ns.split(x, [2, 1, 5], 1)),
    ("2d", lambda ns, x: ns.split(x, 2)), ("2d", lambda ns, x: ns.split(x, [-1])),
    ("2d", lambda ns, x: ns.split(x, 1, axis=2)), ("2d", lambda ns, x: ns.split(x, [], axis=0)),
    ("2d", lambda ns, x: ns.array_split(x, 2)), ("2d", lambda ns, x: ns.array_split(x, 3, axis=1)),
    ("2d", lambda ns, x: ns.array_split(x, 5)), ("2d", lambda ns, x: ns.array_split(x, [1, 1, -1], -1)),
    ("2d", lambda ns, x: ns.array_split(x, 0)),
    ("2d", lambda ns, x: ns.hsplit(x, 2)), ("1d", lambda ns, x: ns.hsplit(x, [1, 3])),
    ("2d", lambda ns, x: ns.vsplit(x, [1])), ("1d", lambda ns, x: ns.vsplit(x, 1)),
    ("0d", lambda ns, x: ns.hsplit(x, 1)),
    # broadcasting and rank
    ("2d", N("broadcast_to", (2, 3, 4))), ("1d", N("broadcast_to", (3, 4))),
    ("2d", N("broadcast_to", (4, 3))), ("0d", N("broadcast_to", (2, 0))), ("0d", N("broadcast_to", ())),
    ("2d", N("broadcast_to", (3,))),
    ("any", N("atleast_1d")), ("any", N("atleast_2d")), ("any", N("atleast_3d")),
    ("any", lambda ns, x: ns.atleast_2d(x, x)),
    # more edges
    ("2d", N("take", I([0, 1]), axis=1, mode="wrap")), ("2d", N("take", I([0, 1]), axis=1, mode="clip")),
    ("2d", N("take", I([0]), mode="nonsense")), ("2d", N("take", I([[1]]), axis=None, mode="wrap")),
    ("2d", N("diagonal", 0, 1, 0)), ("2d", N("diagonal", -5)), ("3d", N("tril", -1)),
    ("2d", N("flip", (0, 1))), ("2d", N("flip", -3)), ("2d", N("expand_dims", ())),
    ("2d", N("swapaxes", 0, -3)), ("2d", N("moveaxis", [0, 1], [1])),
    ("2d", N("reshape", (4, 3), order="A")), ("2d", N("ravel", order="K")), ("2d", N("ravel", order="A")),
    ("2d", N("repeat", I([1, 2] * 6))), ("2d", N("tile", -1)), ("2d", N("tile", (2, 0, 1))),
    ("2d", lambda ns, x: ns.compress(I([True, False]), x)),
    ("2d", N("roll", np.int64(2), np.int64(1))), ("2d", N("roll", I([1, 2]), I([0, 1]))),
    ("2d", N("roll", I([[1]]), 0)), ("2d", N("squeeze", (0, 0))),
    ("2d", lambda ns, x: ns.split(x, [3, 1], axis=1)), ("2d", lambda ns, x: ns.vsplit(x, [1, 5])),
    ("2d", lambda ns, x: ns.concatenate([x])), ("0d", lambda ns, x: ns.dstack([x, x])),
    ("1d", lambda ns, x: ns.block([[[x]], [[x]]])), ("2d", N("broadcast_to", (-1, 4))),
    ("3d", N("atleast_3d")), ("2d", lambda ns, x: ns.stack([x, x], axis=1)),
    ("2d", lambda ns, x: ns.hsplit(x, 3)), ("1d", lambda ns, x: ns.array_split(x, [2, 10, 1])),
    ("2d", lambda ns, x: ns.diag(x[0], -2)), ("sq", N("diagonal")), ("sq", N("tril", 1)),
    ("sq", N("rot90", 3, (1, 0))), ("sq", N("triu", -1)), ("sq", N("diag", -3)),
    ("2d", lambda ns, x: ns.where(x, x, 0)),
    ("2d", lambda ns, x: ns.extract(np.ones(12, bool), x)),
    ("2d", lambda ns, x: ns.pad(x, ((1, 2), (0, 1)), mode="constant", constant_values=(7, -1))),
    # an axis out of range is refused, never wrapped round
    ("2d", lambda ns, x: ns.fft.fft(x, axis=2)), ("2d", lambda ns, x: ns.fft.fftn(x, axes=(0, 2))),
    ("2d", lambda ns, x: ns.fft.rfft(ns.real(x), axis=-3)), ("2d", lambda ns, x: ns.fft.fftshift(x, axes=2)),
    ("2d", lambda ns, x: ns.insert(x, 0, 1, axis=2)), ("2d", lambda ns, x: ns.insert(x, 9, 1, axis=1)),
    ("2d", N("sum", axis=2)), ("2d", N("cumsum", axis=-3)), ("2d", N("flip", (0, 2))),
    ("2d", lambda ns, x: ns.delete(x, 0, axis=2)), ("2d", lambda ns, x: ns.append(x, x, axis=2)),
    ("2d", lambda ns, x: ns.take_along_axis(x, I([[0.0]]), axis=1)), ("2d", N("take", I([0.0]))),
    ("2d", N("take", I([], float))), ("2d", N("take", [])), ("2d", N("take", I([True, False]))),
    ("2d", lambda ns, x: ns.split(x, 2.0, axis=1)), ("2d", _pad(1, "reflect", reflect_type="bad")),
    ("2d", _pad(1, "constant", constant_values=np.nan)), ("2d", _pad(1, "constant", constant_values=2.7)),
    ("2d", _pad(2, "linear_ramp", end_values=-2.5)), ("2d", _pad(9, "wrap")),
    ("2d", lambda ns, x: ns.delete(x, [0, -1], axis=1)), ("2d", lambda ns, x: ns.delete(x, 5, axis=1)),
    ("2d", lambda ns, x: ns.delete(x, slice(0, None, 2), axis=-1)), ("2d", N("rollaxis", 1, 4)),
    ("2d", lambda ns, x: ns.insert(x, [1, 1, -1], 7, axis=1)), ("2d", lambda ns, x: ns.diagflat(x, -2)),
    # the same as array methods
    ("2d", lambda ns, x: ns.asarray(x).compress([True, False, True], axis=0)),
    ("2d", lambda ns, x: ns.asarray(x).nonzero()), ("2d", lambda ns, x: ns.asarray(x).swapaxes(0, 2)),
    ("2d", lambda ns, x: ns.asarray(x).take([0, -1], axis=1)), ("2d", lambda ns, x: ns.asarray(x).T),
    ("2d", lambda ns, x: ns.asarray(x).repeat(2, axis=-3)), ("2d", lambda ns, x: ns.asarray(x).diagonal(-1)),
    ("1d", lambda ns, x: (ns.asarray(x) > 0).astype(int).choose([x, x * 2])),
]


@pytest.mark.parametrize("k", [pytest.param(k, marks=pytest.mark.slow) if k in _SLOW else k
                               for k in range(len(FUNCS))])
def test_functions_match_numpy(k):
    family, f = FUNCS[k]
    names = set(f.__code__.co_names) | {c.cell_contents for c in f.__closure__ or ()
                                        if isinstance(c.cell_contents, str)}
    value_dependent = bool(names & {"where", "nonzero", "argwhere", "flatnonzero"})
    problems = run_case(f, INPUTS[family], value_dependent=value_dependent)
    assert not problems, f"case {k}:\n" + "\n".join(problems[:8])


# --------------------------------------------------------------------------- index tricks

TRICKS = [  # (function of the index values x, inputs)
    (lambda ns, x: ns.unravel_index(x, (3, 4)), [I([0, 5, 11]), I(7), I([12]), I([-1]), E]),
    (lambda ns, x: ns.unravel_index(x, (3, 4), order="F"), [I([0, 5, 11]), I(7)]),
    (lambda ns, x: ns.ravel_multi_index((x, x[::-1]), (3, 4)), [I([0, 2]), I([3, 1]), E]),
    (lambda ns, x: ns.ravel_multi_index((x, x), (3, 4), order="F"), [I([0, 2, 1])]),
    (lambda ns, x: ns.ravel_multi_index((x, x + 2), (3, 4), mode="wrap"), [I([3, -1, 7])]),
    (lambda ns, x: ns.ravel_multi_index((x, x), (3, 4), mode=("clip", "wrap")), [I([3, -1, 7])]),
    (lambda ns, x: ns.ix_(x, x[:1]), [I([0, 2]), I([True, False, True]), E]),
    (lambda ns, x: ns.ix_(), [I([0])]), (lambda ns, x: ns.ix_(x), [I([[0]])]),
    (lambda ns, x: ns.indices((2, 3)), [I([0])]), (lambda ns, x: ns.indices((2, 0)), [I([0])]),
    (lambda ns, x: ns.indices(()), [I([0])]), (lambda ns, x: ns.indices((2, 3), sparse=True), [I([0])]),
    (lambda ns, x: ns.indices((2, 3), dtype=np.int8), [I([0])]),
]


@pytest.mark.parametrize("k", range(len(TRICKS)))
def test_index_tricks_match_numpy(k):
    f, values = TRICKS[k]
    # index values are concrete (sizes are): under jit wire refuses traced ones clearly
    problems = run_case(f, [(repr(v), v) for v in values], grad=False, value_dependent=True)
    assert not problems, f"trick {k}:\n" + "\n".join(problems[:8])


MESH = [dict(), dict(indexing="ij"), dict(indexing="xy"), dict(sparse=True),
        dict(sparse=True, indexing="ij"), dict(indexing="nope")]


@pytest.mark.parametrize("k", range(len(MESH)))
def test_meshgrid_matches_numpy(k):
    kw = MESH[k]
    inputs = [(lab, a) for lab, a in INPUTS["1d"]]
    problems = run_case(lambda ns, x: ns.meshgrid(x, x[:2] * 2, x[:1], **kw), inputs)
    problems += run_case(lambda ns, x: ns.meshgrid(x, **kw), inputs)
    problems += run_case(lambda ns, x: ns.meshgrid(**kw), inputs[:1])
    assert not problems, f"meshgrid {kw}:\n" + "\n".join(problems[:8])


PUT_ALONG = [(I([[0], [3], [-1]]), 9.0, 1), (I([[0, 1, 2, 0]]), I([[1.0, 2.0, 3.0, 4.0]]), 0),
             (I([1, -1, 1]), 5.0, None)]


@pytest.mark.parametrize("k", range(len(PUT_ALONG)))
def test_put_along_axis_is_refused_on_traced_values_and_at_set_does_it(k):
    """NumPy's put_along_axis writes into its argument: on a traced value wire refuses it
    clearly, and ``x.at[...].set`` with the matching index gives NumPy's result."""
    idx, v, axis = PUT_ALONG[k]
    x = _A2["f64"]
    want = x.copy()
    np.put_along_axis(want, idx, v, axis)
    with pytest.raises(wire.WireTypeError, match="put_along_axis"):
        wire.jit(lambda x: wnp.put_along_axis(x, idx, v, axis))(x)
    if axis is None:
        index = np.unravel_index(idx % x.size, x.shape)
    else:
        index = list(np.ix_(*[np.arange(n) for n in idx.shape]))
        index = [np.broadcast_to(i, idx.shape) for i in index]
        index[axis] = idx
        index = tuple(index)
    got = wire.jit(lambda x: x.at[index].set(np.broadcast_to(v, idx.shape).ravel()
                                             if axis is None else v))(x)
    assert _difference(want, got) is None

