"""``hypot``, ``logaddexp`` and ``logaddexp2`` are primitives whose values are NumPy's ufuncs to
the bit (traced, jitted, batched, in float16/32/64), with the derivatives of the smooth
function: oracles NumPy for values, mpmath's closed forms for derivatives. The conventions
at ties, infinities and NaN are pinned in tests/test_smooth_derivatives.py (``KINKS``) and
tests/test_derivatives_at_special_points.py."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire import nn

mpmath = pytest.importorskip("mpmath")

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.4, 2.5, -3.0, 1e-20, 1e-300, 5e-324, 700.0, -745.0, 1e300,
           1e308, -1e308, np.inf, -np.inf, np.nan]
FUNCS = {"hypot": wnp.hypot, "logaddexp": wnp.logaddexp, "logaddexp2": wnp.logaddexp2}


def _pairs(dtype):
    with np.errstate(over="ignore"):
        v = np.array(SPECIAL).astype(dtype)
    a, b = (x.ravel() for x in np.meshgrid(v, v))
    return a, b


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_values_are_numpys_to_the_bit(name, dtype):
    """The compositions were 1-8 ulps from NumPy at 119 of these 2 601 results (hypot(1, 0.4)
    in float64, logaddexp(0, 1) in float32 …); jit, the eager trace of grad (its value) and
    vmap give NumPy's bits now."""
    f, ref_fn = FUNCS[name], getattr(np, name)
    a, b = _pairs(dtype)
    with np.errstate(all="ignore"):
        want = ref_fn(a, b)
    got = {
        "jit": wire.jit(f)(a, b),
        "vmap": wire.vmap(f)(a, b),
        "value_and_grad": wire.value_and_grad(lambda x, y: wnp.sum(f(x, y) * 1.0))(
            a[:1], b[:1])[0],
    }
    for route, g in got.items():
        g = np.asarray(g)
        w = want[:1].sum() if route == "value_and_grad" else want
        assert g.dtype == np.asarray(w).dtype, route
        assert g.tobytes() == np.asarray(w).tobytes(), (route, g, w)


def _hypot_truth(x, y):
    X, Y = mpmath.mpf(x), mpmath.mpf(y)
    h = mpmath.sqrt(X * X + Y * Y)
    return {(0,): X / h, (1,): Y / h, (0, 0): Y * Y / h**3, (0, 1): -X * Y / h**3,
            (1, 1): X * X / h**3, (0, 0, 0): -3 * X * Y * Y / h**5}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hypot_derivatives_against_closed_forms(dtype):
    """``∂²/∂y² hypot(1e-20, 1) = x²/h³ = 1e-40`` (the composition gave -3e-41 in float32, and
    ``-2.9e-49`` for ``+2.9e-49`` at (1e-20, 700)); ``∂/∂x`` at (1e308, 1e308), where the
    value overflows, is ``1/√2``. Every finite pair off the origin, to 16 ulps."""
    eps = np.finfo(dtype).eps
    pts = [(1.0, 0.4), (2.5, -3.0), (1e-20, 1.0), (1e-20, 700.0), (700.0, 1.0), (0.4, -745.0),
           (1e308, 1e308), (-1e-150, 1e-150), (3.0, 4.0), (1.0, 1e-20)]
    for x, y in pts:
        with np.errstate(over="ignore"):
            a, b = dtype(x), dtype(y)
        if not (np.isfinite(a) and np.isfinite(b)) or (a == 0 and b == 0):
            continue
        truth = _hypot_truth(float(a), float(b))
        for path, t in truth.items():
            d = wnp.hypot
            for argnum in path:
                d = wire.grad(d, argnums=argnum)
            got = float(d(a, b))
            with np.errstate(all="ignore"):
                want = float(dtype(float(t)))
            tol = 16 * eps * abs(want) + (np.finfo(dtype).tiny if want == 0 else 0.0)
            assert abs(got - want) <= tol, (x, y, path, got, want)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_transforms_agree(name):
    """vmap of grad, jvp, jacfwd and the jitted second derivative give the eager nested
    grad's numbers, at ties and infinities too."""
    f = FUNCS[name]
    a, b = _pairs(np.float64)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    g1 = wire.grad(f)
    g2 = wire.grad(g1, argnums=1)
    eager = np.array([[float(g1(x, y)), float(g2(x, y))] for x, y in zip(a, b)])
    batched = np.stack([np.asarray(wire.vmap(g1)(a, b)),
                        np.asarray(wire.jit(wire.vmap(g2))(a, b))], 1)
    fwd = np.array([float(wire.jvp(lambda u, y=y: f(u, y), (x,), (1.0,))[1])
                    for x, y in zip(a, b)])
    np.testing.assert_array_equal(batched, eager)
    np.testing.assert_allclose(fwd, eager[:, 0], rtol=1e-15, atol=0)


@pytest.mark.parametrize("x, want", [
    ([np.inf, 1.0], [1.0, 0.0]),           # the lone +inf takes it all (softmax's limit)
    ([np.inf, np.inf], [0.5, 0.5]),
    ([-np.inf, -np.inf], [0.5, 0.5]),     # logaddexp's tie of equal infinities
    ([1.0, 1.0], [0.5, 0.5]),
])
def test_logaddexp_reduce_derivative_at_infinities(x, want):
    """``np.logaddexp.reduce`` folds the primitive as NumPy does: its gradient is the binary
    function's (the max-shifted log-sum-exp gave NaN at ``[inf, 1]`` and ``[-inf, -inf]``)."""
    got = wire.grad(lambda v: np.logaddexp.reduce(v))(np.array(x))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_logaddexp_reduce_is_numpys_fold(dtype):
    rng = np.random.default_rng(1)
    for n in (1, 2, 7, 32):
        x = (rng.normal(size=(n, 3)) * 30).astype(dtype)
        for axis, keepdims in [(0, False), (1, True), (-1, False), (None, False), (None, True)]:
            if axis is None and x.size > 32:
                continue
            want = np.logaddexp.reduce(x, axis=axis, keepdims=keepdims)
            got = wire.jit(lambda v, a=axis, k=keepdims: np.logaddexp.reduce(v, axis=a, keepdims=k))(x)
            assert np.asarray(got).tobytes() == np.asarray(want).tobytes(), (n, axis)
            assert np.shape(got) == np.shape(want)


def test_softplus_is_numpys_logaddexp():
    x = np.concatenate([np.linspace(-800.0, 800.0, 4001), [0.0, -0.0, np.inf, -np.inf, 5e-324]])
    for dtype in (np.float64, np.float32):
        v = x.astype(dtype)
        assert np.asarray(wire.jit(nn.softplus)(v)).tobytes() == np.logaddexp(v, dtype(0)).tobytes()


@pytest.mark.parametrize("a, b", list(itertools.product([1.0, np.inf, -np.inf, np.nan], repeat=2)))
def test_logaddexp2_on_the_array_api_backend_is_numpys(a, b):
    """The Array API has no ``logaddexp2``: the backend computes NumPy's formula (torch's own
    gives ``logaddexp2(-1, -1) = -5e-17``)."""
    strict = pytest.importorskip("array_api_strict")
    x, y = np.array([a, -1.0, 3.0]), np.array([b, -1.0, 2.5])
    g = wire.trace(wnp.logaddexp2, x, y)
    got = np.asarray(wire.evaluate(g, x, y, backend=strict))
    np.testing.assert_array_equal(got, np.logaddexp2(x, y))
