"""JAX's fixed-shape forms (``size=``, ``fill_value=``) of ``nonzero``, one-argument
``where``, ``argwhere``, ``flatnonzero``, ``unique`` and ``unique_*``, ``union1d``,
``setdiff1d``, ``compress`` and ``extract`` (and ``repeat``'s ``total_repeat_length=``), on
special inputs: NaN, ±0.0, ±inf, ties, empty and size-1 arrays, too few and
too many matches, ``size=0``; float64 and float32.

Each case runs on concrete arrays, under ``wire.jit`` and in an eager trace: CI checks that
the three agree bit for bit (NaN equal to NaN, zeros by sign, shapes and dtypes) and that
key cases give JAX's results (written out below, from ``jax.numpy`` with x64); ``-m slow``
compares every case, derivative and ``vmap`` with ``jax.numpy`` itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from selection import slow_selected

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import wire  # noqa: E402
import wire.numpy as wnp  # noqa: E402

nan, inf = math.nan, math.inf
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

SPECIAL = np.array([1.0, -0.0, nan, 0.0, 2.0, inf, -inf, nan, -0.0, 1.0, 2.0])
TIES = np.array([3.0, 1.0, 3.0, 3.0, 1.0])
GRID = np.array([[0.0, 1.5, -0.0], [nan, 0.0, -2.0]])
INPUTS = {
    "special": SPECIAL, "ties": TIES, "grid": GRID, "empty": np.zeros(0), "one": np.array([0.0]),
    "one_nz": np.array([-3.0]), "zeros": np.zeros(4), "negzeros": np.array([-0.0, 0.0, -0.0]),
    "nans": np.array([nan, nan, nan]), "empty2d": np.zeros((2, 0)),
}

# (name, function of (namespace, x), inputs)
CASES = [
    ("nonzero", lambda ns, x: ns.nonzero(x, size=3), "special grid one one_nz zeros empty"),
    ("nonzero k=n", lambda ns, x: ns.nonzero(x, size=x.size, fill_value=-1), "special grid ties"),
    ("nonzero k>n", lambda ns, x: ns.nonzero(x, size=x.size + 3, fill_value=-1),
     "special grid one zeros nans"),
    ("nonzero k=0", lambda ns, x: ns.nonzero(x, size=0, fill_value=7), "special grid empty"),
    ("nonzero empty fill", lambda ns, x: ns.nonzero(x, size=2, fill_value=7), "empty empty2d"),
    ("nonzero fill tuple", lambda ns, x: ns.nonzero(x, size=6, fill_value=(-1, -2)), "grid"),
    ("nonzero float fill", lambda ns, x: ns.nonzero(x, size=5, fill_value=2.5), "special ties"),
    ("nonzero bool", lambda ns, x: ns.nonzero(x > 0, size=4, fill_value=-1), "special grid ties"),
    ("where", lambda ns, x: ns.where(x, size=4), "special grid negzeros"),
    ("where fill", lambda ns, x: ns.where(x < 1, size=4, fill_value=9), "special grid"),
    ("argwhere", lambda ns, x: ns.argwhere(x, size=5, fill_value=-1), "special grid empty2d"),
    ("argwhere default", lambda ns, x: ns.argwhere(x, size=2), "grid one zeros"),
    ("argwhere 0-d", lambda ns, x: ns.argwhere(x[0], size=2), "special one"),
    ("flatnonzero", lambda ns, x: ns.flatnonzero(x, size=4, fill_value=-1), "special grid"),
    ("flatnonzero 0-d", lambda ns, x: ns.flatnonzero(x[0], size=2), "one_nz one"),
    ("unique", lambda ns, x: ns.unique(x, size=4), "special ties grid negzeros nans one"),
    ("unique fill", lambda ns, x: ns.unique(x, size=8, fill_value=-7), "special ties grid"),
    ("unique few", lambda ns, x: ns.unique(x, size=2, fill_value=-7), "special ties"),
    ("unique k=0", lambda ns, x: ns.unique(x, size=0, return_index=True, return_inverse=True,
                                           return_counts=True), "special ties empty"),
    ("unique all", lambda ns, x: ns.unique(x, size=6, return_index=True, return_inverse=True,
                                           return_counts=True), "special ties grid nans"),
    ("unique all fill", lambda ns, x: ns.unique(x, size=9, fill_value=0.5, return_index=True,
                                                return_inverse=True, return_counts=True),
     "special ties empty"),
    ("unique no equal_nan", lambda ns, x: ns.unique(x, size=9, equal_nan=False,
                                                    return_counts=True), "special nans"),
    ("unique axis 0", lambda ns, x: ns.unique(ns.stack([x, x[::-1], x]), axis=0, size=4,
                                              return_index=True, return_inverse=True,
                                              return_counts=True), "ties special"),
    ("unique axis 1 fill", lambda ns, x: ns.unique(ns.stack([x, x * 0]), axis=1, size=7,
                                                   fill_value=9, return_inverse=True),
     "ties special"),
    ("unique_values", lambda ns, x: ns.unique_values(x, size=9, fill_value=-1),
     "special nans"),
    ("unique_counts", lambda ns, x: tuple(ns.unique_counts(x, size=7)), "special ties"),
    ("unique_inverse", lambda ns, x: tuple(ns.unique_inverse(x, size=3)), "special grid"),
    ("unique_all", lambda ns, x: tuple(ns.unique_all(x, size=12, fill_value=0)),
     "special grid nans"),
    ("unique bool", lambda ns, x: ns.unique(x > 0, size=3, return_counts=True), "special"),
    ("unique complex", lambda ns, x: ns.unique(x + 1j * x[::-1], size=6,
                                               return_counts=True), "special ties"),
    ("union1d", lambda ns, x: ns.union1d(x, x[::2] + 1, size=6, fill_value=-1),
     "special ties empty"),
    ("setdiff1d", lambda ns, x: ns.setdiff1d(x, x[:2], size=4), "special ties grid nans"),
    ("setdiff1d fill", lambda ns, x: ns.setdiff1d(x, x[::3], size=3, fill_value=9),
     "special ties empty"),
    ("repeat", lambda ns, x: ns.repeat(x, (x > 0).astype(int) * 2, total_repeat_length=9),
     "special ties grid zeros"),
    ("repeat axis", lambda ns, x: ns.repeat(x, ns.array([2, 0]), axis=0,
                                            total_repeat_length=3), "grid"),
    ("extract", lambda ns, x: ns.extract(x > 0, x, size=3), "special ties grid"),
    ("extract fill", lambda ns, x: ns.extract(x != x, x, size=x.size, fill_value=-1.5),
     "special grid empty"),
    ("extract short", lambda ns, x: ns.extract(x[:2] >= 0, x, size=2), "special ties"),
    ("compress", lambda ns, x: ns.compress(x[0] >= x[0], x, axis=1, size=2,
                                           fill_value=5), "grid"),
    ("compress rows", lambda ns, x: ns.compress(x[:, 0] == x[:, 0], x, axis=0, size=2), "grid"),
    ("compress flat", lambda ns, x: ns.compress(x > 1, x, size=3, fill_value=nan), "ties special"),
]
PARAMS = [(name, f, key) for name, f, keys in CASES for key in keys.split()]


def same(w, j, what=""):
    """``w`` is ``j`` bit for bit: structure, shapes, dtypes, NaNs and signs of zeros."""
    if isinstance(j, (tuple, list)):
        assert isinstance(w, tuple) and len(w) == len(j), f"{what}: {w!r} vs {j!r}"
        for a, b in zip(w, j):
            same(a, b, what)
        return
    w, j = np.asarray(w), np.asarray(j)
    assert w.shape == j.shape and w.dtype == j.dtype, \
        f"{what}: {w.dtype}{list(w.shape)} vs JAX's {j.dtype}{list(j.shape)}\n{w}\n{j}"
    if w.dtype.kind == "c":
        same(w.real, j.real, what), same(w.imag, j.imag, what)
        return
    ok = (w == j) | ((w != w) & (j != j))
    if w.dtype.kind == "f":
        ok &= np.signbit(w) == np.signbit(j)
    assert ok.all(), f"{what}:\nwire {w}\nJAX  {j}"


def _slow_selected(config) -> bool:
    return slow_selected(config)


def _needs_slow(request):
    if not _slow_selected(request.config):
        pytest.skip("runs with -m slow")


def _three_ways(f, x):
    """``f(wnp, x)`` on concrete values, under ``wire.jit`` and in an eager trace."""
    _, eager = wire.grad(lambda v: (wnp.sum(v * 0.0), f(wnp, v)), has_aux=True)(x)
    return f(wnp, x), wire.jit(lambda v: f(wnp, v))(x), eager


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,f,key", PARAMS, ids=[f"{n}-{k}" for n, _, k in PARAMS])
def test_concrete_jit_and_eager_trace_agree_to_the_bit(name, f, key, dtype):
    concrete, jitted, eager = _three_ways(f, INPUTS[key].astype(dtype))
    same(jitted, concrete, f"{name} under wire.jit")
    same(eager, concrete, f"{name} in an eager trace")


I64, F64 = (lambda v: np.array(v, np.int64)), (lambda v: np.array(v, np.float64))
JAXS = {  # (case, input): JAX's result (jax.numpy 0.10, x64)
    ("nonzero k>n", "special"): (I64([0, 2, 4, 5, 6, 7, 9, 10] + [-1] * 6),),
    ("nonzero fill tuple", "grid"): (I64([0, 1, 1, -1, -1, -1]), I64([1, 0, 2, -2, -2, -2])),
    ("argwhere", "grid"): I64([[0, 1], [1, 0], [1, 2], [-1, -1], [-1, -1]]),
    ("unique", "negzeros"): F64([-0.0, -0.0, -0.0, -0.0]),
    ("unique all", "special"): (F64([-inf, -0.0, 1.0, 2.0, inf, nan]), I64([6, 1, 0, 4, 5, 2]),
                                I64([2, 1, 5, 1, 3, 4, 0, 5, 1, 2, 3]), I64([1, 3, 2, 2, 1, 2])),
    ("unique all fill", "empty"): (F64([0.5] * 9), I64([]), I64([]), I64([])),
    ("unique axis 0", "ties"): (F64([[1.0, 3.0, 3.0, 1.0, 3.0], [3.0, 1.0, 3.0, 3.0, 1.0],
                                     [1.0, 3.0, 3.0, 1.0, 3.0], [1.0, 3.0, 3.0, 1.0, 3.0]]),
                                I64([1, 0, 1, 1]), I64([1, 0, 1]), I64([1, 2, 0, 0])),
    ("unique_all", "special"): (F64([-inf, -0.0, 1.0, 2.0, inf, nan, nan] + [0.0] * 5),
                                I64([6, 1, 0, 4, 5, 2, 7, 6, 6, 6, 6, 6]),
                                I64([2, 1, 5, 1, 3, 4, 0, 6, 1, 2, 3]),
                                I64([1, 3, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0])),
    ("unique complex", "ties"): (np.array([1 + 3j, 3 + 1j, 3 + 3j, 1 + 3j, 1 + 3j, 1 + 3j]),
                                 I64([2, 2, 1, 0, 0, 0])),
    ("extract fill", "special"): F64([nan, nan] + [-1.5] * 9),
    ("setdiff1d", "special"): F64([-inf, 2.0, inf, nan]),
    ("union1d", "ties"): F64([1.0, 2.0, 3.0, 4.0, -1.0, -1.0]),
    ("compress", "grid"): F64([[0.0, 1.5], [nan, 0.0]]),
}


@pytest.mark.parametrize("name,key", sorted(JAXS), ids=[f"{n}-{k}" for n, k in sorted(JAXS)])
def test_key_cases_are_jaxs(name, key):
    f = {n: g for n, g, _ in CASES}[name]
    for out in _three_ways(f, INPUTS[key]):
        same(out, JAXS[name, key], f"{name} of {key}")


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,f,key", PARAMS, ids=[f"{n}-{k}" for n, _, k in PARAMS])
def test_every_case_is_jaxs(request, name, f, key, dtype):
    _needs_slow(request)
    x = INPUTS[key].astype(dtype)
    expected = f(jnp, jnp.asarray(x))
    for how, out in zip(("on concrete values", "under wire.jit", "in an eager trace"),
                        _three_ways(f, x)):
        same(out, expected, f"{name} {how}")


GRADS = [  # functions of x whose gradient flows through the selected values
    ("nonzero gather", lambda ns, x: ns.sum(x[ns.nonzero(x, size=4)] ** 2)),
    ("nonzero gather 2-d", lambda ns, x: ns.sum(ns.sin(x.reshape(2, 3)[ns.nonzero(
        x.reshape(2, 3) > 0.5, size=5)]))),
    ("argwhere gather", lambda ns, x: ns.sum(x[ns.argwhere(x > 0.0, size=6)[:, 0]] * x)),
    ("unique", lambda ns, x: ns.sum(ns.unique(x, size=4) * ns.arange(4.0))),
    ("unique fill", lambda ns, x: ns.sum(ns.unique(x, size=5, fill_value=2.0) ** 3)),
    ("unique_values", lambda ns, x: ns.sum(ns.unique_values(x, size=3) ** 2)),
    ("extract", lambda ns, x: ns.sum(ns.extract(x > 0.5, x, size=4, fill_value=3.0) ** 2)),
    ("compress", lambda ns, x: ns.sum(ns.compress(x < 1.0, x * x, size=2) * ns.array([1.0, 2.0]))),
]


GRAD_X = np.array([0.7, 0.0, 2.0, -1.0, 2.0, 0.7])
JAX_GRADS = {  # JAX's gradients at GRAD_X
    "nonzero gather": [1.4, 0.0, 4.0, -2.0, 4.0, 0.0],
    "argwhere gather": [4.1000000000000005, 2.0, 2.0, 0.7, 2.7, -0.30000000000000004],
    "unique": [2.0, 1.0, 3.0, 0.0, 0.0, 0.0],
    "unique fill": [1.4699999999999998, 0.0, 12.0, 3.0, 0.0, 0.0],
    "extract": [1.4, 0.0, 4.0, 0.0, 4.0, 1.4],
    "compress": [1.4, 0.0, 0.0, -0.0, 0.0, 0.0],
}


@pytest.mark.parametrize("name", sorted(JAX_GRADS))
def test_derivatives_are_jaxs(name):
    f = dict(GRADS)[name]
    same(wire.grad(lambda v: f(wnp, v))(GRAD_X), F64(JAX_GRADS[name]), f"grad of {name}")
    same(wire.jit(wire.grad(lambda v: f(wnp, v)))(GRAD_X), F64(JAX_GRADS[name]),
         f"jit(grad) of {name}")


@pytest.mark.slow
@pytest.mark.parametrize("name,f", GRADS, ids=[g[0] for g in GRADS])
def test_every_derivative_is_jaxs(request, name, f):
    _needs_slow(request)
    expected = jax.grad(lambda v: f(jnp, v))(jnp.asarray(GRAD_X))
    same(wire.grad(lambda v: f(wnp, v))(GRAD_X), expected, f"grad of {name}")
    same(wire.jit(wire.grad(lambda v: f(wnp, v)))(GRAD_X), expected, f"jit(grad) of {name}")


VMAPPED = [
    ("nonzero", lambda ns, x: ns.nonzero(x, size=3, fill_value=-1)),
    ("unique", lambda ns, x: ns.unique(x, size=3, return_counts=True)),
    ("flatnonzero", lambda ns, x: ns.flatnonzero(x > 0, size=2)),
    ("extract", lambda ns, x: ns.extract(x > 0, x, size=2, fill_value=-1.0)),
]
VMAP_X = np.array([[1.0, 0.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.0], [nan, -0.0, 3.0, nan]])
JAX_VMAPS = {
    "nonzero": (I64([[0, 2, 3], [-1, -1, -1], [0, 2, 3]]),),
    "unique": (F64([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0], [-0.0, 3.0, nan]]),
               I64([[1, 2, 1], [4, 0, 0], [1, 1, 2]])),
}


@pytest.mark.parametrize("name", sorted(JAX_VMAPS))
def test_vmap_is_jaxs(name):
    f = dict(VMAPPED)[name]
    same(wire.vmap(lambda v: f(wnp, v))(VMAP_X), JAX_VMAPS[name], f"vmap of {name}")
    same(wire.jit(wire.vmap(lambda v: f(wnp, v)))(VMAP_X), JAX_VMAPS[name],
         f"jit(vmap) of {name}")


@pytest.mark.slow
@pytest.mark.parametrize("name,f", VMAPPED, ids=[v[0] for v in VMAPPED])
def test_every_vmap_is_jaxs(request, name, f):
    _needs_slow(request)
    expected = jax.vmap(lambda v: f(jnp, v))(jnp.asarray(VMAP_X))
    same(wire.vmap(lambda v: f(wnp, v))(VMAP_X), expected, f"vmap of {name}")
    same(wire.jit(wire.vmap(lambda v: f(wnp, v)))(VMAP_X), expected, f"jit(vmap) of {name}")


def test_traced_fill_value_and_method_forms():
    x = np.array([1.0, 0.0, 0.0, 2.0])  # JAX's results below
    out = wire.jit(lambda v, f: wnp.nonzero(v, size=4, fill_value=f))(x, 9)
    same(out, (I64([0, 3, 9, 9]),))
    same(wire.jit(lambda v: v.nonzero(size=3, fill_value=-1))(x), (I64([0, 3, -1]),))
    same(wire.jit(lambda v: v.compress(v > 0, size=3, fill_value=-1.0))(x), F64([1, 2, -1]))


def test_without_size_numpys_results_and_under_jit_an_error_that_suggests_size():
    x = np.array([3.0, 1.0, 3.0, 0.0])
    same(wnp.unique(x, return_counts=True), np.unique(x, return_counts=True))
    same(wnp.nonzero(x), np.nonzero(x))
    same(tuple(wnp.unique_all(x)), tuple(np.unique_all(x)))
    for f in (wnp.nonzero, wnp.argwhere, wnp.flatnonzero, wnp.unique, wnp.unique_values,
              lambda v: wnp.where(v), lambda v: wnp.extract(v > 0, v)):
        with pytest.raises(wire.WireError, match="size="):
            wire.jit(f)(x)


@pytest.mark.parametrize("call,error,match", [
    (lambda x: wnp.nonzero(x, size=-1), wire.WireValueError, "non-negative"),
    (lambda x: wnp.nonzero(x, size=2.0), wire.WireTypeError, "size must be an int"),
    (lambda x: wnp.unique(x, size=True), wire.WireTypeError, "size must be an int"),
    (lambda x: wnp.nonzero(x[0], size=2), wire.WireValueError, "0-d"),
    (lambda x: wnp.nonzero(x, size=2, fill_value=(1, 2)), wire.WireValueError, "1 scalars"),
    (lambda x: wnp.nonzero(x, size=2, fill_value=np.ones(2)), wire.WireValueError, "scalar"),
    (lambda x: wnp.where(x > 0, x, 0.0, size=2), wire.WireValueError, "one-argument"),
    (lambda x: wnp.unique(x[:0], size=2), wire.WireValueError, "needs fill_value"),
    (lambda x: wnp.unique(x, size=2, axis=1), wire.WireValueError, "out of bounds"),
    (lambda x: wnp.compress(x > 0, x, size=9), wire.WireValueError, r"size=9 .* 4 entries"),
    (lambda x: wnp.compress(wnp.stack([x, x]) > 0, x, size=1), wire.WireValueError, "1-D"),
    (lambda x: wnp.compress(x > 0, x, axis=2, size=1), wire.WireAxisError, "axis 2"),
])
def test_bad_arguments_raise_wire_errors(call, error, match):
    x = np.array([1.0, 0.0, 2.0, 3.0])
    with pytest.raises(error, match=match):
        call(x)
    with pytest.raises(error, match=match):
        wire.jit(call)(x)


def test_a_traced_size_is_refused_naming_it():
    with pytest.raises(wire.WireTypeError, match="size must be a concrete int"):
        wire.jit(lambda x: wnp.nonzero(x, size=wnp.sum(x > 0)))(np.ones(3))
