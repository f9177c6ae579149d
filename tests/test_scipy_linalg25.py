"""The scipy.linalg names wire lacked (schur, rsf2csf, hessenberg, funm, qz, ldl, the banded,
Toeplitz and circulant solvers, the matrix functions, matrix_balance, qr_multiply,
subspace_angles and the predicates): SciPy's signatures, SciPy's values to the bit traced
(under jit and vmap), derivatives against finite differences, errors at bad input."""

import numpy as np
import pytest
import scipy.linalg as sl

import wire
import wire.numpy as wnp
from finite_differences import fd_grad
from selection import sampled_grid, skip_unless_slow, slow_only
from wire.errors import NonDifferentiableError, ShapeError, WireValueError
from wire.scipy import linalg as L
from wire.testing import check_grads

NEW = ["schur", "rsf2csf", "hessenberg", "funm", "qr_multiply", "solve_banded",
       "solveh_banded", "solve_toeplitz", "solve_circulant", "fractional_matrix_power",
       "signm", "sinm", "cosm", "tanm", "sinhm", "coshm", "tanhm", "matrix_balance",
       "subspace_angles", "bandwidth", "issymmetric", "ishermitian", "khatri_rao", "ldl", "qz"]

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def _matrix(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n)) / 2
    if np.dtype(dtype).kind == "c":
        a = a + 0.5j * rng.normal(size=(n, n))
    return a.astype(dtype)


def _same(want, got):
    want = want if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(want) == len(got)
    for w, g in zip(want, got):
        w, g = np.asarray(w), np.asarray(g)
        assert w.dtype == g.dtype and w.shape == g.shape, (w.dtype, g.dtype, w.shape, g.shape)
        assert np.array_equal(w, g, equal_nan=True), np.max(np.abs(w - g))


def test_every_name_is_there():
    for name in NEW:
        assert name in L.__all__ and callable(getattr(L, name)), name


def _spd(a):
    return a @ np.conj(a.T) + np.eye(a.shape[0], dtype=a.dtype)


CASES = {  # name: (SciPy's call, wire's call, the input from a random matrix)
    "schur": (sl.schur, L.schur, None),
    "schur_complex_sorted": (lambda a: sl.schur(a, output="complex", sort="lhp"),
                             lambda a: L.schur(a, output="complex", sort="lhp"), None),
    "hessenberg": (lambda a: sl.hessenberg(a, calc_q=True),
                   lambda a: L.hessenberg(a, calc_q=True), None),
    "qz": (lambda a: sl.qz(a, a.T), lambda a: L.qz(a, a.T), None),
    "ldl": (sl.ldl, L.ldl, lambda a: a + np.conj(a.T)),
    "rsf2csf": (lambda a: sl.rsf2csf(*sl.schur(a)), None, None),
    "matrix_balance": (sl.matrix_balance, L.matrix_balance, None),
    "qr_multiply": (lambda a: sl.qr_multiply(a, a[:2]), lambda a: L.qr_multiply(a, a[:2]),
                    None),
    "subspace_angles": (lambda a: sl.subspace_angles(a[:, :2], a[:, 2:]),
                        lambda a: L.subspace_angles(a[:, :2], a[:, 2:]), None),
    "funm": (lambda a: sl.funm(a, np.exp), lambda a: L.funm(a, np.exp), None),
    "signm": (sl.signm, L.signm, None),
    "fractional_matrix_power": (lambda a: sl.fractional_matrix_power(a, 0.3),
                                lambda a: L.fractional_matrix_power(a, 0.3), _spd),
    "fractional_matrix_power_int": (lambda a: sl.fractional_matrix_power(a, -2),
                                    lambda a: L.fractional_matrix_power(a, -2), _spd),
    **{name: (getattr(sl, name), getattr(L, name), None)
       for name in ["sinm", "cosm", "tanm", "sinhm", "coshm", "tanhm"]},
}


@pytest.mark.parametrize("case, dtype", sampled_grid(
    [(c, d) for c in sorted(CASES) for d in DTYPES],
    key=lambda cd: cd[0]))
def test_traced_values_are_scipys_bits(case, dtype, request):
    skip_unless_slow(request)
    ref, fn, prep = CASES[case]
    a = _matrix(4, dtype)
    if prep is not None:
        a = prep(a)
    if case == "rsf2csf":
        t, z = sl.schur(a)
        _same(sl.rsf2csf(t, z), wire.jit(L.rsf2csf)(t, z))
        return
    want = ref(a)
    _same(want, wire.jit(fn)(a))
    _same(want, fn(a))  # eager: SciPy's own call


@pytest.mark.parametrize("dtype", DTYPES)
def test_banded_toeplitz_circulant_bits(dtype):
    rng = np.random.default_rng(1)
    n = 5
    for l, u in [(1, 1), (2, 1), (0, 0)]:
        ab = rng.normal(size=(l + u + 1, n)).astype(dtype)
        ab[u] += 5
        for b in (rng.normal(size=n).astype(dtype), rng.normal(size=(n, 2)).astype(dtype)):
            _same(sl.solve_banded((l, u), ab, b),
                  wire.jit(lambda ab, b: L.solve_banded((l, u), ab, b))(ab, b))
    for u, lower in [(1, False), (2, True), (0, False)]:
        ab = (0.3 * rng.normal(size=(u + 1, n))).astype(dtype)
        ab[0 if lower else u] = 4
        b = rng.normal(size=n).astype(dtype)
        _same(sl.solveh_banded(ab, b, lower=lower),
              wire.jit(lambda ab, b: L.solveh_banded(ab, b, lower=lower))(ab, b))
    c, r, b = (rng.normal(size=n).astype(dtype) for _ in range(3))
    c[0] += 4
    _same(sl.solve_toeplitz((c, r), b), wire.jit(lambda c, r, b: L.solve_toeplitz((c, r), b))(
        c, r, b))
    _same(sl.solve_toeplitz(c, b), wire.jit(lambda c, b: L.solve_toeplitz(c, b))(c, b))
    b2 = rng.normal(size=(n, 3)).astype(dtype)
    _same(sl.solve_circulant(c, b2), wire.jit(L.solve_circulant)(c, b2))


def test_vmap_batches():
    a = np.stack([_matrix(3, np.float64, s) for s in range(3)])
    got = wire.vmap(L.schur)(a)
    for i in range(3):
        _same(sl.schur(a[i]), tuple(g[i] for g in got))
    got = wire.vmap(lambda x: L.funm(x, np.exp))(a)
    for i in range(3):
        _same(sl.funm(a[i], np.exp), got[i])
    ab = np.tile(np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0, 0.0]]), (2, 1, 1))
    ab[1, 1] = 5.0
    got = wire.vmap(lambda ab: L.solve_banded((1, 1), ab, np.ones(3)))(ab)
    for i in range(2):
        _same(sl.solve_banded((1, 1), ab[i], np.ones(3)), got[i])


@pytest.mark.parametrize("name", ["schur", "hessenberg", "qz", "ldl"])
def test_no_derivative_names_the_function(name):
    a = _matrix(3, np.float64)
    call = {"qz": lambda x: L.qz(x, np.eye(3))[0]}.get(
        name, lambda x: wnp.asarray(getattr(L, name)(x) if name == "hessenberg"
                                    else getattr(L, name)(x)[0]))
    with pytest.raises(NonDifferentiableError, match=name):
        wire.grad(lambda x: wnp.sum(call(x)))(a)
    # a function of a held input is fine
    assert wire.grad(lambda x: wnp.sum(call(wire.stop_gradient(x))) + wnp.sum(x))(a).shape \
        == (3, 3)


def _fd_check(f, x, seed=0):
    """wire's gradient of ``sum(w * f(x))`` against central differences of the same."""
    w = np.random.default_rng(seed).normal(size=np.shape(f(x)))
    loss = lambda x: wnp.sum(w * f(x))  # noqa: E731
    got = wire.grad(loss)(x)
    want = fd_grad(lambda x: float(np.sum(w * np.asarray(f(x)))), x)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def _fd_cases():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 3)) / 2
    spd = a @ a.T + np.eye(3)
    b = rng.normal(size=(3, 2))
    ab = rng.normal(size=(3, 3))
    ab[1] += 5
    abh = 0.3 * rng.normal(size=(2, 3))
    abh[1] = 4
    c, r = rng.normal(size=3), rng.normal(size=3)
    c[0] += 4
    wide = rng.normal(size=(3, 4))
    return {
        "solve_banded": (lambda ab: L.solve_banded((1, 1), ab, b), ab),
        "solveh_banded": (lambda ab: L.solveh_banded(ab, b), abh),
        "solve_toeplitz_c": (lambda c: L.solve_toeplitz((c, r), b), c),
        "solve_toeplitz_r": (lambda r: L.solve_toeplitz((c, r), b), r),
        "solve_circulant": (lambda c: L.solve_circulant(c, b), c),
        # (2x2: SciPy's own call takes 70 ms)
        "fractional_matrix_power": (lambda a: L.fractional_matrix_power(a, 0.3), spd[:2, :2]),
        "funm_exp": (lambda a: L.funm(a, np.exp), a),
        "funm_poly_sin": (lambda a: L.funm(a, lambda x: x ** 3 + np.sin(x)), a),
        "signm": (L.signm, a),
        **{name: (getattr(L, name), a)
           for name in ["sinm", "cosm", "tanm", "sinhm", "coshm", "tanhm"]},
        "matrix_balance": (lambda a: L.matrix_balance(a)[0], a * [[1.0], [100.0], [0.01]]),
        "qr_multiply_a": (lambda a: L.qr_multiply(a, b.T)[0], a),
        "qr_multiply_c": (lambda b: L.qr_multiply(a, b.T)[0], b),
        "subspace_angles": (lambda w: L.subspace_angles(w[:, :2], w[:, 2:]), wide),
        "khatri_rao": (lambda x: L.khatri_rao(x, a[:2]), a),
    }


_FAST_FD = ("solve_banded", "solveh_banded", "solve_toeplitz_c", "solve_circulant",
            "fractional_matrix_power", "funm_poly_sin", "signm", "tanhm", "matrix_balance",
            "qr_multiply_a", "subspace_angles")


@pytest.mark.parametrize("name", _FAST_FD)
def test_derivatives_against_finite_differences(name):
    f, x = _fd_cases()[name]
    _fd_check(f, x)


@slow_only
def test_derivatives_against_finite_differences_all():
    for f, x in _fd_cases().values():
        _fd_check(f, x)


def test_second_derivatives():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 3)) / 2
    b = rng.normal(size=3)
    ab = rng.normal(size=(3, 3))
    ab[1] += 5
    check_grads(lambda ab, b: L.solve_banded((1, 1), ab, b), (ab, b), order=2)
    check_grads(lambda c, b: L.solve_circulant(c, b), (b + [4.0, 0, 0], b), order=2)
    check_grads(lambda a: L.funm(a, np.exp), (a,), order=2)
    check_grads(lambda a: L.fractional_matrix_power(a, 0.5), (a @ a.T + np.eye(3),), order=2)
    check_grads(L.sinm, (a,), order=2)


def test_complex_derivatives():
    z = _matrix(3, np.complex128)
    check_grads(L.expm, (z,), order=1)  # (its reverse mode used L(Aᴴ, ·): wrong)
    check_grads(L.sinm, (z.real,), order=1)
    check_grads(L.tanhm, (z,), order=1)
    check_grads(lambda z: L.funm(z, wnp.sin), (z,), order=1)


def test_rsf2csf_derivative_along_the_real_schur_form():
    # rsf2csf reads the quasi-triangle; perturb it (and Z) where the form is not zero
    a = _matrix(5, np.float64, 4)
    t, z = sl.schur(a)
    rng = np.random.default_rng(5)
    dt, dz = rng.normal(size=t.shape) * (t != 0), rng.normal(size=z.shape)
    h = 1e-6
    for k in range(2):
        f = lambda s: sl.rsf2csf(t + s * dt, z + s * dz)[k]  # noqa: E731
        want = (f(h) - f(-h)) / (2 * h)
        got = wire.jvp(lambda s: L.rsf2csf(t + s * dt, z + s * dz)[k], (0.0,), (1.0,))[1]
        np.testing.assert_allclose(got, want, atol=1e-8)


def test_matrix_functions_at_ties_and_defective_matrices():
    for a in (np.eye(3), np.diag([2.0, 2.0, 3.0])):
        # exact at tied eigenvalues of a diagonalizable matrix: expm's derivative, sqrtm's
        np.testing.assert_allclose(wire.jacrev(lambda a: L.funm(a, np.exp))(a),
                                   wire.jacrev(L.expm)(a), atol=1e-12)
        np.testing.assert_allclose(wire.jacfwd(lambda a: L.fractional_matrix_power(a, 0.5))(a),
                                   wire.jacfwd(L.sqrtm)(a), atol=1e-12)
    # a Jordan block: no eigenvector basis, NaN (never a wrong number)
    g = wire.grad(lambda a: wnp.sum(L.funm(a, np.exp)))(np.array([[1.0, 1.0], [0.0, 1.0]]))
    assert np.isnan(g).all()


def test_special_inputs():
    for fn in (L.funm, L.signm, L.fractional_matrix_power):
        args = (np.exp,) if fn is L.funm else (0.5,) if fn is L.fractional_matrix_power else ()
        assert fn(np.zeros((0, 0)), *args).shape == (0, 0)  # (SciPy raises IndexError)
        assert wire.jit(lambda a: fn(a, *args))(np.zeros((0, 0))).shape == (0, 0)
    for nm in ("schur", "hessenberg", "ldl", "sinm", "signm"):
        one = np.array([[2.0]], np.float32)
        _same(getattr(sl, nm)(one), wire.jit(getattr(L, nm))(one))
    assert [x.shape for x in L.qz(np.zeros((0, 0)), np.zeros((0, 0)))] == [(0, 0)] * 4
    nan = np.array([[1.0, np.nan], [0.0, 1.0]])
    for nm in ("schur", "hessenberg", "ldl", "funm", "signm"):
        fn = (lambda a: L.funm(a, np.exp)) if nm == "funm" else getattr(L, nm)
        with pytest.raises(WireValueError, match=nm) as info:
            wire.vmap(fn)(nan[None])
        assert isinstance(info.value, ValueError)
    # float32 stays float32 where SciPy's does
    assert wire.jit(L.sinm)(np.eye(2, dtype=np.float32)).dtype == np.float32


def test_shape_errors_name_the_shapes():
    with pytest.raises(ShapeError, match=r"\(2, 3\)"):
        wire.jit(L.schur)(np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"l\+u\+1 \(2\) does not equal ab.shape\[0\] \(3\)"):
        wire.jit(lambda ab: L.solve_banded((1, 0), ab, np.ones(3)))(np.ones((3, 3)))
    with pytest.raises(ShapeError, match=r"\(3, 3\) and b \(4,\)"):
        wire.jit(lambda ab: L.solve_banded((1, 1), ab, np.ones(4)))(np.ones((3, 3)))
    with pytest.raises(ShapeError, match="incompatible"):
        wire.jit(lambda c: L.solve_circulant(c, np.ones(4)))(np.ones(3))
    with pytest.raises(ShapeError, match="same number of rows"):
        wire.jit(lambda a: L.subspace_angles(a, np.ones((4, 1))))(np.ones((3, 1)))
    with pytest.raises(ShapeError, match="columns"):
        wire.jit(lambda a: L.khatri_rao(a, np.ones((2, 2))))(np.ones((2, 3)))


def test_singular_systems():
    near = np.array([1.0, 1.0])  # circulant [[1, 1], [1, 1]]
    with pytest.raises(np.linalg.LinAlgError):
        wire.grad(lambda c: wnp.sum(L.solve_circulant(c, np.ones(2))))(near)
    assert np.isnan(wire.jit(lambda c: L.solve_circulant(c, np.ones(2)))(near)).all()
    _same(sl.solve_circulant(near, np.ones(2), singular="lstsq"),
          wire.jit(lambda c: L.solve_circulant(c, np.ones(2), singular="lstsq"))(near))
    with pytest.raises(np.linalg.LinAlgError):
        wire.jit(lambda ab: L.solve_banded((1, 1), ab, np.ones(3)))(np.zeros((3, 3)))
    with pytest.raises(np.linalg.LinAlgError):  # not positive definite
        wire.jit(lambda ab: L.solveh_banded(ab, np.ones(3)))(np.array([[0, 1.0, 1], [-1] * 3]))


PREDICATE_INPUTS = [np.zeros((3, 3)), np.zeros((0, 0)), np.array([[1, 0], [2, 0.0]]),
                    np.ones((2, 4)), np.array([[np.nan, 0], [0, 1.0]]),
                    np.array([[1, np.nan], [np.nan, 1.0]]), np.array([[1, 1j], [-1j, 1]]),
                    np.array([[1j, 0], [0, 1]]), np.array([[complex(np.nan, 0), 0], [0, 1]]),
                    np.array([[1, 2.0], [2 + 1e-9, 1]]), np.ones((2, 3, 3))]


@pytest.mark.parametrize("i", range(len(PREDICATE_INPUTS)))
def test_predicates(i):
    a = PREDICATE_INPUTS[i]
    want, got = sl.bandwidth(a), wire.jit(L.bandwidth)(a)
    assert np.array_equal(np.asarray(want[0]), got[0])
    assert np.array_equal(np.asarray(want[1]), got[1])
    if a.shape[-1] != a.shape[-2]:
        return
    for kw in ({}, dict(atol=1e-8), dict(rtol=1e-8)):
        for name in ("issymmetric", "ishermitian"):
            want = getattr(sl, name)(a, **kw)
            with np.errstate(invalid="ignore"):
                got = wire.jit(lambda a: getattr(L, name)(a, **kw))(a)
            assert np.array_equal(np.asarray(want), got), (name, kw)


def test_khatri_rao():
    rng = np.random.default_rng(6)
    for a, b in [(rng.normal(size=(2, 3)), rng.normal(size=(4, 3))),
                 (rng.normal(size=(2, 2, 3)).astype(np.float32), rng.normal(size=(4, 3))),
                 (np.ones((0, 3), np.float32), np.ones((2, 3)))]:
        _same(sl.khatri_rao(a, b), wire.jit(L.khatri_rao)(a, b))


# the triangle convention of cholesky and eigh (docs/linalg.md): wire's gradient is the exact
# derivative of the function computed, which reads one triangle as NumPy's and SciPy's do; it
# agrees with JAX's symmetrised one along every symmetric direction, and symmetrising inside
# the function gives JAX's exactly

def _triangle_functions():
    rng = np.random.default_rng(7)
    w = rng.normal(size=(3, 3))
    return w, {
        "numpy.cholesky": (lambda a, m: m.sum(w * m.linalg.cholesky(a)), wnp, np),
        "numpy.eigh": (lambda a, m: m.sum(w * m.linalg.eigh(a)[1] ** 2)
                       + m.sum(m.linalg.eigh(a)[0] * w[0]), wnp, np),
        "scipy.cholesky": (lambda a, m: wnp.sum(w * m.cholesky(a)), L, sl),
        "scipy.cho_factor": (lambda a, m: wnp.sum(w * m.cho_factor(a, lower=True)[0]), L, sl),
        "scipy.eigh": (lambda a, m: wnp.sum(m.eigh(a)[0] * w[0])
                       + wnp.sum(w * m.eigh(a)[1] ** 2), L, sl),
    }


@pytest.mark.parametrize("name", ["numpy.cholesky", "numpy.eigh", "scipy.cholesky",
                                  "scipy.cho_factor", "scipy.eigh"])
def test_triangle_convention(name):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(3, 3))
    a = x @ x.T + np.eye(3)
    _, fns = _triangle_functions()
    f, wmod, ref = fns[name]
    g = wire.grad(lambda a: f(a, wmod))(a)
    h = 1e-6
    general = rng.normal(size=(3, 3))
    for e in (general, general + general.T):  # every direction: NumPy's (SciPy's) function
        fd = (float(f(a + h * e, ref)) - float(f(a - h * e, ref))) / (2 * h)
        assert abs(np.sum(g * e) - fd) < 1e-7 * max(1.0, abs(fd))
    # JAX's convention is the gradient of the function of the symmetric part
    g_sym = wire.grad(lambda a: f((a + a.T) / 2, wmod))(a)
    np.testing.assert_allclose(g_sym, (g + g.T) / 2, atol=1e-12)
