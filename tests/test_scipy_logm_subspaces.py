"""wire.scipy.linalg.logm (SciPy's values eager, traced and stacked; Daleckii–Krein
derivatives against closed forms and finite differences; special inputs) and orth /
null_space (SciPy's bases; the rank read from values under eager transforms, an error
under jit)."""

import numpy as np
import pytest
import scipy.linalg as sl

import wire
import wire.numpy as wnp
from wire.errors import NonDifferentiableError, WireError, WireTypeError
from wire.scipy import linalg as L
from wire.testing import check_grads


def _nonsym(dtype=np.float64):
    return np.array([[2.0, 1.0, 0.3], [0.5, 3.0, -0.2], [0.1, 0.4, 1.5]], dtype)


ROTATION = np.array([[0.0, -2.0], [2.0, 0.0]]) + np.eye(2)  # eigenvalues 1 ± 2i


@pytest.mark.parametrize("a", [_nonsym(), _nonsym(np.float32), ROTATION,
                               _nonsym() + 1j * np.eye(3)[::-1]])
def test_values_are_scipys(a):
    want = sl.logm(a.astype(np.result_type(a.dtype, np.float64)))  # (see the docstring)
    for got in (L.logm(a), wire.jit(L.logm)(a)):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_disp_false_and_stacks():
    a = _nonsym()
    got, err = wire.jit(lambda a: L.logm(a, disp=False))(a)
    np.testing.assert_array_equal(got, sl.logm(a))
    assert 0 <= float(err) < 1e-12
    stack = np.stack([a, a.T, 2 * a])
    np.testing.assert_allclose(wire.jit(L.logm)(stack), [sl.logm(m) for m in stack],
                               rtol=1e-14)


def test_derivative_closed_forms():
    a = _nonsym()
    # d tr log A / dA = A⁻ᵀ
    g = wire.grad(lambda a: wnp.trace(L.logm(a)))(a)
    np.testing.assert_allclose(g, np.linalg.inv(a).T, rtol=1e-12)
    # expm ∘ logm is the identity: its Jacobian is the identity map
    j = wire.jacfwd(lambda a: L.expm(L.logm(a)))(a)
    np.testing.assert_allclose(j.reshape(9, 9), np.eye(9), atol=1e-11)
    # tied eigenvalues of a diagonalizable matrix: the derivative of log at 2 is 1/2
    j = wire.jacrev(L.logm)(2.0 * np.eye(2))
    np.testing.assert_allclose(j.reshape(4, 4), np.eye(4) / 2, atol=1e-14)


def test_derivatives_against_finite_differences():
    check_grads(L.logm, (_nonsym(),), order=2)
    check_grads(L.logm, (ROTATION,), order=1)
    check_grads(L.logm, (_nonsym() + 0.5j * np.eye(3)[::-1],), order=1)


def test_special_inputs():
    # a negative eigenvalue: SciPy's result of a real matrix is complex, which a traced real
    # result cannot be: NaN (never a wrong real number); complex input gives SciPy's
    neg = np.diag([-1.0, 2.0])
    assert np.iscomplexobj(L.logm(neg))
    assert np.isnan(wire.jit(L.logm)(neg)).all()
    np.testing.assert_array_equal(wire.jit(L.logm)(neg.astype(complex)), sl.logm(neg))
    # ... and so is its derivative (it was the derivative of the complex logarithm's real
    # part); the same for every primary matrix function whose value is complex there
    two = np.array([[1.0, 2.0], [3.0, 4.0]])  # eigenvalues -0.37 and 5.37
    for fn in (L.logm, lambda a: L.fractional_matrix_power(a, 0.5),
               lambda a: L.funm(a, wnp.sqrt)):
        assert np.isnan(wire.grad(lambda a: wnp.sum(fn(a)))(two)).all()
    assert np.isfinite(wire.grad(lambda a: wnp.sum(L.logm(a)))(ROTATION)).all()
    # a Jordan block has no eigenvector basis: NaN derivative, never a wrong number
    g = wire.grad(lambda a: wnp.sum(L.logm(a)))(np.array([[1.0, 1.0], [0.0, 1.0]]))
    assert np.isnan(g).all()
    assert L.logm(np.zeros((0, 0))).shape == (0, 0)
    assert wire.jit(L.logm)(np.zeros((0, 0))).shape == (0, 0)
    np.testing.assert_array_equal(wire.jit(L.logm)(np.array([[3.0]])), [[np.log(3.0)]])


def _rank2():
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 2)) @ rng.normal(size=(2, 3))


@pytest.mark.parametrize("name", ["orth", "null_space"])
@pytest.mark.parametrize("a", [_rank2(), _rank2().T, np.eye(3), np.zeros((2, 3)),
                               _rank2() + 1j * _rank2()])
def test_bases_are_scipys(name, a):
    want = getattr(sl, name)(a)
    np.testing.assert_array_equal(getattr(L, name)(a), want)
    seen = []
    # under an eager transform the tracer carries its value: the rank is read from it
    wire.grad(lambda x: seen.append(np.asarray(wire.stop_gradient(getattr(L, name)(x + a)))) or
              wnp.sum(wnp.real(x)))(np.zeros(a.shape))
    np.testing.assert_allclose(seen[0], want, atol=1e-15)
    assert seen[0].shape == want.shape
    with pytest.raises(WireTypeError, match=name):
        wire.jit(getattr(L, name))(a)


def test_rcond_decides_the_rank():
    a = np.diag([1.0, 1e-3, 1e-9])
    for rcond in (None, 1e-6, 1e-2):
        for name in ("orth", "null_space"):
            want = getattr(sl, name)(a, rcond=rcond)
            got = wire.vmap(lambda x: getattr(L, name)(x, rcond=rcond))(a[None])[0]
            np.testing.assert_array_equal(got, want)


def test_derivatives():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 3))
    w = np.arange(16.0).reshape(4, 4)
    # the range projector of a full-rank matrix, against central differences of SciPy's
    g = wire.grad(lambda a: wnp.sum((L.orth(a) @ L.orth(a).T) * w))(a)
    e, h = rng.normal(size=a.shape), 1e-6
    p = lambda a: np.sum((sl.orth(a) @ sl.orth(a).T) * w)  # noqa: E731
    np.testing.assert_allclose(np.vdot(g, e), (p(a + h * e) - p(a - h * e)) / (2 * h),
                               rtol=1e-7)
    with pytest.raises(NonDifferentiableError, match="null_space"):
        wire.grad(lambda a: wnp.sum(L.null_space(a)))(a.T)
    # lanes of different rank cannot be one batch
    d = a.copy()
    d[:, 2] = d[:, 0]
    with pytest.raises(WireError, match="different shapes"):
        wire.vmap(L.orth)(np.stack([a, d]))
