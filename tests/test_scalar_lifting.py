"""Float and complex NumPy scalars and 0-d arrays that meet a tracer in an eager trace are
lifted to graph inputs, as arrays with axes are: a script whose closure (or non-differentiated
argument) holds such a value that changes every call — an annealing weight, a learning rate,
the result of a NumPy reduction — reuses one derivative graph instead of deriving a new one
for every value. Python numbers stay constants (the literals of the code)."""

import sys

import numpy as np
import pytest

import wire
import wire.numpy as wnp

_GRAD = sys.modules["wire.api.grad"]
W = np.random.default_rng(0).normal(size=(5, 5))


def _loss(w, lam):
    h = wnp.tanh(W @ w)
    return wnp.sum(h ** 2) + lam * wnp.sum(w ** 2)


def _expected(w, lam):
    h = np.tanh(W @ w)
    return W.T @ (2 * h * (1 - h ** 2)) + 2 * lam * w


def _misses():
    return _GRAD.eager_grad_graph.cache_info()[1]


@pytest.mark.parametrize("make", [np.float64, np.float32, lambda v: np.array(v),
                                  lambda v: np.array(v, np.float32), np.longdouble])
def test_a_closure_over_a_changing_numpy_scalar_derives_once(make):
    w = np.linspace(-1.0, 1.0, 5)
    first = None
    for i in range(6):
        lam = make(0.37 / (1 + i))
        got = wire.grad(lambda w: _loss(w, lam))(w)
        np.testing.assert_allclose(got, _expected(w, np.float64(lam)), rtol=1e-6)
        if first is None:
            first = _misses()
    assert _misses() == first  # one derivation for the first value, none for the others


def test_a_changing_numpy_scalar_argument_derives_once():
    g = wire.grad(_loss)
    w = np.linspace(-1.0, 1.0, 5)
    g(w, np.float64(0.5))
    before = _misses()
    for lam in (0.25, 0.125, 3.0, -2.0):
        np.testing.assert_allclose(g(w, np.float64(lam)), _expected(w, lam), rtol=1e-12)
    assert _misses() == before


def test_python_floats_stay_constants_of_the_graph():
    w = np.ones(5)
    lam = 0.5
    assert "0.5" in str(wire.trace(lambda w: w * lam, w))
    for lam in (0.5, 0.25):  # eager: a literal's value is the simplifier's to use
        np.testing.assert_array_equal(wire.grad(lambda w: wnp.sum(w * lam))(w), np.full(5, lam))


def test_lifted_scalars_keep_numpy_dtypes_and_special_values():
    w32 = np.linspace(-1.0, 1.0, 5).astype(np.float32)
    for lam in (np.float64(2.0), np.float32(2.0), np.float16(2.0), np.array(2.0, np.float32)):
        got = wire.grad(lambda w: wnp.sum(lam * w * w).astype(np.float32))(w32)
        assert got.dtype == np.float32
        want_dtype = (lam * w32).dtype  # NumPy's promotion of the strong scalar
        out = wire.jvp(lambda w: lam * w, (w32,), (w32,))[0]
        assert out.dtype == want_dtype
    w = np.array([1.0, -1.0, 0.0])
    for lam in (np.float64(-0.0), np.float64(np.inf), np.float64(np.nan)):
        with np.errstate(invalid="ignore"):
            got = wire.grad(lambda w: wnp.sum(lam * w * w))(w)
            want = 2 * lam * w
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_python_control_flow_on_a_lifted_scalar_follows_each_value():
    w = np.linspace(0.5, 1.5, 5)

    def loss(w, lam):
        if lam > 1.0:  # a decision on the lifted value: recorded, the branch flips
            return wnp.sum(wnp.sin(w)) * lam
        return wnp.sum(wnp.cos(w)) * lam

    g = wire.grad(loss)
    for lam in (0.5, 2.0, 0.25, 3.0):
        want = (np.cos(w) if lam > 1.0 else -np.sin(w)) * lam
        np.testing.assert_allclose(g(w, np.float64(lam)), want, rtol=1e-12)
        np.testing.assert_allclose(wire.grad(lambda w: loss(w, np.float64(lam)))(w), want,
                                   rtol=1e-12)


def test_a_complex_scalar_is_lifted_too():
    w = np.linspace(-1.0, 1.0, 4)
    for c in (np.complex128(1 + 2j), np.complex128(-0.5j)):
        got = wire.grad(lambda w: wnp.real(wnp.sum(c * w * w)))(w)
        np.testing.assert_allclose(got, 2 * c.real * w, rtol=1e-12)
