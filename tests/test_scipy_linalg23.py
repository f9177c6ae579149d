"""``wire.scipy.linalg`` traced (``jit``, ``vmap``) gives SciPy's own bits: the routines that
compute the same quantity differ in their last bits (``solve`` with ``assume_a=None`` picks its
LAPACK routine from the structure it finds; float32 LU, QR, eig and Cholesky round otherwise
than NumPy's double-precision calls or a composition of wire operations), so the traced
functions call SciPy's routine through the ``scipy_linalg`` primitive, and keep the derivatives
of the compositions they used before (``scipy_valued``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg as sl
from oracles import exact_difference

import wire
import wire.numpy as wnp
import wire.scipy.linalg as wl
from wire.scipy import _decomp

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning",
                                        "ignore::scipy.linalg.LinAlgWarning")

_rng = np.random.default_rng(23)


def _c(shape):
    return _rng.normal(size=shape) + 1j * _rng.normal(size=shape)


def _spd(a):
    return a @ np.conj(a.T) + a.shape[-1] * np.eye(a.shape[-1])


def _sym(a):
    return a + a.T


MATS = {
    "random": _rng.normal(size=(5, 5)),
    "ill": np.vander(np.linspace(1.0, 2.0, 6)),
    "rank2": np.arange(1.0, 10.0).reshape(3, 3),
    "f32": _rng.normal(size=(5, 5)).astype(np.float32),
    "complex": _c((4, 4)),
    "c64": _c((4, 4)).astype(np.complex64),
    "sym": _sym(_rng.normal(size=(5, 5))),
    "sym32": _sym(_rng.normal(size=(5, 5))).astype(np.float32),
    "spd": _spd(_rng.normal(size=(5, 5))),
    "spd32": _spd(_rng.normal(size=(5, 5))).astype(np.float32),
    "hpd": _spd(_c((4, 4))),
    "upper": np.triu(_rng.normal(size=(5, 5))) + 3 * np.eye(5),
    "lower32": (np.tril(_rng.normal(size=(5, 5))) + 3 * np.eye(5)).astype(np.float32),
    "stack": _rng.normal(size=(3, 4, 4)),
}
RECT = {"tall": _rng.normal(size=(6, 4)), "wide": _rng.normal(size=(3, 5)),
        "tall32": _rng.normal(size=(6, 4)).astype(np.float32)}
GENERAL = [k for k in MATS if k not in ("stack",)]
POSITIVE = ["spd", "spd32", "hpd"]
HERMITIAN = ["sym", "sym32", "spd", "hpd"]
TRIANGULAR = ["upper", "lower32"]


def _vec(a):
    return np.linspace(1.0, 2.0, a.shape[-1]).astype(a.dtype)


def _two(a):
    return np.linspace(-1.0, 2.0, 2 * a.shape[-1]).reshape(a.shape[-1], 2).astype(a.dtype)


# name: (wire function, SciPy function, inputs, extra arguments made from the matrix)
CASES = {
    "det": (wl.det, sl.det, GENERAL, []),
    "solve": (wl.solve, sl.solve, GENERAL, [_vec]),
    "solve[k]": (wl.solve, sl.solve, GENERAL, [_two]),
    "solve[pos]": (lambda a, b: wl.solve(a, b, assume_a="pos"),
                   lambda a, b: sl.solve(a, b, assume_a="pos"), POSITIVE, [_vec]),
    "solve[sym]": (lambda a, b: wl.solve(a, b, assume_a="sym"),
                   lambda a, b: sl.solve(a, b, assume_a="sym"), ["sym", "sym32"], [_vec]),
    "solve[transposed]": (lambda a, b: wl.solve(a, b, transposed=True),
                          lambda a, b: sl.solve(a, b, transposed=True),
                          ["random", "f32", "ill"], [_vec]),
    "lu": (wl.lu, sl.lu, GENERAL, []),
    "lu[permute_l]": (lambda a: wl.lu(a, permute_l=True), lambda a: sl.lu(a, permute_l=True),
                      ["random", "complex", "f32"], []),
    "lu[p_indices]": (lambda a: wl.lu(a, p_indices=True), lambda a: sl.lu(a, p_indices=True),
                      ["random", "complex", "f32"], []),
    "lu_factor": (wl.lu_factor, sl.lu_factor, GENERAL, []),
    "lu_solve": (lambda a, b: wl.lu_solve(wl.lu_factor(a), b),
                 lambda a, b: sl.lu_solve(sl.lu_factor(a), b),
                 ["random", "ill", "rank2", "f32", "complex", "c64", "upper"], [_vec]),
    "lu_solve[trans]": (lambda a, b: wl.lu_solve(wl.lu_factor(a), b, trans=1),
                        lambda a, b: sl.lu_solve(sl.lu_factor(a), b, trans=1),
                        ["random", "f32", "ill"], [_two]),
    "expm": (wl.expm, sl.expm, ["random", "ill", "f32", "complex", "c64", "spd32"], []),
    "qr": (wl.qr, sl.qr, GENERAL, []),
    "qr[economic]": (lambda a: wl.qr(a, mode="economic"), lambda a: sl.qr(a, mode="economic"),
                     GENERAL, []),
    "qr[r]": (lambda a: wl.qr(a, mode="r"), lambda a: sl.qr(a, mode="r"), GENERAL, []),
    "eigvals": (wl.eigvals, sl.eigvals, GENERAL, []),
    "eigh[b]": (wl.eigh, sl.eigh, HERMITIAN,
                [lambda a: (np.eye(a.shape[-1]) + 0.1).astype(a.dtype)]),
    "eigvalsh[b]": (wl.eigvalsh, sl.eigvalsh, HERMITIAN,
                    [lambda a: (np.eye(a.shape[-1]) + 0.1).astype(a.dtype)]),
    "eigh[subset]": (lambda a: wl.eigh(a, subset_by_index=[1, 2]),
                     lambda a: sl.eigh(a, subset_by_index=[1, 2]), HERMITIAN, []),
    "cholesky": (wl.cholesky, sl.cholesky, POSITIVE, []),
    "cho_factor": (lambda a: wl.cho_factor(a, lower=True)[0],
                   lambda a: sl.cho_factor(a, lower=True)[0], POSITIVE, []),
    # (check_finite=False: reading the factor's values under an eager vmap fails, see
    # test_reading_a_multi_output_value_under_eager_vmap)
    "cho_solve": (lambda a, b: wl.cho_solve(wl.cho_factor(a), b, check_finite=False),
                  lambda a, b: sl.cho_solve(sl.cho_factor(a), b), POSITIVE, [_vec]),
    "solve_triangular": (wl.solve_triangular, sl.solve_triangular, TRIANGULAR + ["complex"],
                         [_vec]),
    "solve_triangular[lower]": (lambda a, b: wl.solve_triangular(a, b, lower=True, trans=1),
                                lambda a, b: sl.solve_triangular(a, b, lower=True, trans=1),
                                TRIANGULAR, [_two]),
    "sqrtm": (wl.sqrtm, sl.sqrtm, ["spd", "spd32"], []),
    "polar": (wl.polar, sl.polar, ["random", "f32"], []),
    "solve_sylvester": (lambda a, b: wl.solve_sylvester(a, b, a),
                        lambda a, b: sl.solve_sylvester(a, b, a), ["random", "f32", "complex"],
                        [lambda a: np.ascontiguousarray(a.T)]),
    "solve_continuous_lyapunov": (wl.solve_continuous_lyapunov, sl.solve_continuous_lyapunov,
                                  ["random", "f32", "complex"],
                                  [lambda a: np.eye(a.shape[-1], dtype=a.dtype)]),
    "solve_discrete_lyapunov": (lambda a, q: wl.solve_discrete_lyapunov(0.1 * a, q),
                                lambda a, q: sl.solve_discrete_lyapunov(0.1 * a, q),
                                ["complex"], [lambda a: np.eye(a.shape[-1], dtype=a.dtype)]),
    "expm_frechet": (wl.expm_frechet, sl.expm_frechet, ["random", "f32", "complex"],
                     [lambda a: np.ones_like(a)]),
    "norm": (wl.norm, sl.norm, ["random", "ill", "f32"], []),
    "norm[1]": (lambda a: wl.norm(a, 1), lambda a: sl.norm(a, 1), ["random", "f32"], []),
    "norm[vector]": (lambda a: wl.norm(a[0]), lambda a: sl.norm(a[0]),
                     ["random", "f32", "complex"], []),
    "eigh_tridiagonal": (lambda a: wl.eigh_tridiagonal(a[0], a[1, :-1]),
                         lambda a: sl.eigh_tridiagonal(a[0], a[1, :-1]), ["random", "f32"], []),
}
STACKED = {"det", "solve", "solve[k]", "lu", "lu_factor", "lu_solve", "expm", "qr", "qr[economic]",
           "eigvals"}


def _leaves(r):
    return [np.asarray(x) for x in (r if isinstance(r, (tuple, list)) else (r,))]


def _assert_bits(want, got, what):
    want, got = _leaves(want), _leaves(got)
    assert len(want) == len(got), what
    for i, (w, g) in enumerate(zip(want, got)):
        d = exact_difference(w, g)
        assert d is None, f"{what} [{i}]: {d}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_jit_vmap_and_scipy_agree_to_the_bit(name):
    f, sf, keys, extra = CASES[name]
    keys = keys + (["stack"] if name in STACKED else [])
    for key in keys:
        a = MATS[key]
        args = (a,) + tuple(e(a) for e in extra)
        try:
            want = sf(*args)
        except np.linalg.LinAlgError:  # SciPy's error (a singular matrix), traced too
            for g in (f, wire.jit(f)):
                with pytest.raises(np.linalg.LinAlgError):
                    g(*args)
            continue
        _assert_bits(want, f(*args), f"eager {name} at {key}")
        _assert_bits(want, wire.jit(f)(*args), f"jit {name} at {key}")
        pair = wire.vmap(f)(*[np.stack([x, 2 * x]) for x in args])
        _assert_bits(want, [x[0] for x in _leaves(pair)], f"vmap {name} at {key}")


@pytest.mark.parametrize("name, f, sf", [
    ("lu", wl.lu, sl.lu), ("lu_factor", wl.lu_factor, sl.lu_factor),
    ("qr[economic]", lambda a: wl.qr(a, mode="economic"), lambda a: sl.qr(a, mode="economic")),
    ("qr[r]", lambda a: wl.qr(a, mode="r"), lambda a: sl.qr(a, mode="r")),
    ("pinv", wl.pinv, sl.pinv), ("norm", wl.norm, sl.norm),
])
def test_rectangular_matrices(name, f, sf):
    for key, a in RECT.items():
        _assert_bits(sf(a), wire.jit(f)(a), f"jit {name} at {key}")


def test_eig_is_scipys_with_complex_vectors():
    """Traced, ``eig``'s vectors are complex whatever the values (SciPy's are real when every
    eigenvalue is): the same numbers, exactly."""
    for key in GENERAL:
        a = MATS[key]
        w, v = sl.eig(a)
        jw, jv = wire.jit(wl.eig)(a)
        _assert_bits(w, jw, f"eigenvalues at {key}")
        _assert_bits(v.astype(jv.dtype), jv, f"eigenvectors at {key}")


def test_solve_with_assume_a_none_calls_the_routine_of_the_structure():
    """The reported case: SciPy 1.17's ``solve`` detects a triangular, symmetric or positive
    definite matrix and calls trtrs, sysv or posv; traced, a general LU solve was called."""
    for key in ("upper", "sym", "spd", "hpd"):
        a = MATS[key]
        b = _vec(a)
        _assert_bits(sl.solve(a, b), wire.jit(wl.solve)(a, b), key)


def test_det_of_float32_is_scipys_double():
    a = MATS["f32"]
    want = sl.det(a)
    assert want.dtype == np.float64
    _assert_bits(want, wire.jit(wl.det)(a), "det")
    _assert_bits(sl.det(MATS["c64"]), wire.jit(wl.det)(MATS["c64"]), "det complex64")


def test_float16_is_computed_in_float32_as_scipy_does():
    a16 = MATS["random"].astype(np.float16)
    for f, sf in [(wl.lu, sl.lu), (wl.det, sl.det), (wl.expm, sl.expm), (wl.qr, sl.qr),
                  (lambda a: wl.solve(a, _vec(a)), lambda a: sl.solve(a, _vec(a)))]:
        _assert_bits(sf(a16), wire.jit(f)(a16), "float16")


def test_norm_is_a_double_where_scipys_blas_and_lapack_calls_return_one():
    a = MATS["f32"]
    for f in (lambda a: wl.norm(a[0]), lambda a: wl.norm(a, 1), lambda a: wl.norm(a, np.inf)):
        assert wire.jit(f)(a).dtype == np.float64
    assert wire.jit(wl.norm)(a).dtype == np.float32  # NumPy's Frobenius norm: float32


def test_lu_of_a_complex_1x1_has_scipys_dtypes():
    a = np.array([[2.0 - 1.0j]])
    _assert_bits(sl.lu(a), wire.jit(wl.lu)(a), "lu")
    _assert_bits(sl.lu(a, p_indices=True), wire.jit(lambda a: wl.lu(a, p_indices=True))(a),
                 "p_indices")


def test_lu_solve_of_an_exactly_singular_factor_is_scipys_inf_nan():
    """SciPy's getrs divides by the zero pivot (inf/NaN, no error); traced, the triangular
    solves raised ``LinAlgError``. The derivatives there are NaN."""
    a = MATS["rank2"]
    b = np.ones(3)
    f = lambda a: wl.lu_solve(wl.lu_factor(a), b)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_bits(sl.lu_solve(sl.lu_factor(a), b), wire.jit(f)(a), "value")
    g = wire.grad(lambda a: wnp.sum(f(a)))(a)
    assert np.isnan(g).any() and not np.isfinite(g).all()
    assert np.isfinite(wire.grad(lambda a: wnp.sum(f(a)))(a + np.eye(3))).all()


# the derivatives are the compositions' of before: the same rules, given the same values
DERIVATIVES = {
    "lu": (lambda a: wl.lu(a)[1:], lambda a: _decomp._lu(a, False, False)[1:], "random"),
    "lu_factor": (lambda a: wl.lu_factor(a)[0], lambda a: _decomp._lu_factor_steps(a)[0],
                  "random"),
    "solve": (lambda a: wl.solve(a, np.arange(5.0)),
              lambda a: _decomp._solve(a, np.arange(5.0), False, None, False), "spd"),
    "qr": (lambda a: wl.qr(a), lambda a: _decomp._qr(a, "full"), "random"),
    "expm": (wl.expm, lambda a: wl._expm_traced(a), "random"),
}


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_derivatives_are_the_compositions(name):
    f, ref, key = DERIVATIVES[name]
    a = 0.3 * MATS[key]
    w = np.cos(np.arange(a.size)).reshape(a.shape)

    def scalar(fn):
        return lambda a: sum(wnp.sum(wnp.real(x) * w[:x.shape[0], :x.shape[-1]])
                             if x.ndim == 2 else wnp.sum(x) for x in
                             (fn(a) if isinstance(fn(a), tuple) else (fn(a),)))

    np.testing.assert_allclose(wire.grad(scalar(f))(a), wire.grad(scalar(ref))(a),
                               rtol=1e-9, atol=1e-12)
    t = np.sin(np.arange(a.size)).reshape(a.shape)
    got = _leaves(wire.jvp(f, (a,), (t,))[1])
    want = _leaves(wire.jvp(ref, (a,), (t,))[1])
    for x, y in zip(got, want):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(wire.jit(wire.grad(scalar(f)))(a), wire.grad(scalar(f))(a),
                               rtol=1e-12, atol=1e-14)


def test_second_derivatives_pass_through():
    a = 0.3 * MATS["random"]
    f = lambda a: wnp.sum(wl.expm(a) ** 2)  # noqa: E731
    ref = lambda a: wnp.sum(wl._expm_traced(a) ** 2)  # noqa: E731
    v = np.cos(np.arange(25.0)).reshape(5, 5)
    np.testing.assert_allclose(wire.jvp(wire.grad(f), (a,), (v,))[1],
                               wire.jvp(wire.grad(ref), (a,), (v,))[1], rtol=1e-8, atol=1e-10)


def test_the_primitive_on_an_array_api_backend():
    strict = pytest.importorskip("array_api_strict")
    a = MATS["random"]
    g = wire.trace(lambda a: wl.lu_factor(a)[0], a)
    out = wire.evaluate(g, a, backend=strict)
    _assert_bits(sl.lu_factor(a)[0], np.asarray(out), "array_api_strict")


def test_reading_a_multi_output_value_under_eager_vmap():
    a = np.stack([MATS["spd"], 2 * MATS["spd"]])
    got = wire.vmap(lambda a: wl.cho_solve(wl.cho_factor(a), np.ones(5)))(a)
    _assert_bits(sl.cho_solve(sl.cho_factor(a[1]), np.ones(5)), got[1], "vmap")
    # a Python decision on one output of a multi-output node (eigh's eigenvalues), per
    # example: it raised AttributeError ('tuple' object has no attribute 'reshape')
    f = wire.vmap(lambda m: m * 2.0 if wnp.linalg.eigh(m)[0][0] > 0.5 else -m)
    b = np.stack([np.eye(2), 0.1 * np.eye(2)])
    np.testing.assert_array_equal(f(b), np.stack([2.0 * np.eye(2), -0.1 * np.eye(2)]))


def test_stacks_are_scipys_batches():
    """A stack is one SciPy call per matrix, as SciPy batches it: the same bits."""
    a = MATS["stack"]
    s = a @ np.swapaxes(a, -1, -2) + 4 * np.eye(4)
    t = np.triu(a) + 3 * np.eye(4)
    cases = [
        (wl.cholesky, sl.cholesky, (s,)),
        (lambda s: wl.cho_factor(s)[0], lambda s: sl.cho_factor(s)[0], (s,)),
        (wl.eigh, sl.eigh, (s, s[::-1].copy())),
        (wl.solve_triangular, sl.solve_triangular, (t, np.ones(4))),
        (wl.solve_triangular, sl.solve_triangular, (t[0], np.ones((3, 4, 2)))),
        (wl.expm_frechet, sl.expm_frechet, (0.5 * a, a[::-1].copy())),
        (wl.sqrtm, sl.sqrtm, (s,)),
        (wl.polar, sl.polar, (a,)),  # (traced, polar refused stacks)
        (lambda a: wl.polar(a, side="left"), lambda a: sl.polar(a, side="left"), (a,)),
    ]
    for f, sf, args in cases:
        _assert_bits(tuple(sf(*args)) if not isinstance(sf(*args), np.ndarray) else sf(*args),
                     wire.jit(f)(*args), f"jit {sf.__name__ if hasattr(sf, '__name__') else sf}")


def test_graphs_with_scipys_calls_can_be_saved():
    """The derivatives' reference is named by module and name, the rest is plain data, so a
    traced graph (and its gradient's) saves and loads, and gives SciPy's values again."""
    a = MATS["random"]
    for f in (lambda a: wl.lu_factor(a)[0], lambda a: wl.norm(a, np.inf),
              wl.expm, wire.grad(lambda a: wnp.sum(wl.lu(a)[2])),
              lambda a: wl.eigh(_spd(a), np.eye(5) + 0.1)[1]):
        g = wire.trace(f, a)
        _assert_bits(wire.evaluate(g, a), wire.evaluate(wire.loads(wire.dumps(g)), a), "loaded")


@pytest.mark.parametrize("dtype,scales", [(np.float64, (1e200, 1e-200, 1e139, 1e-139)),
                                          (np.float32, (1e15, 1e-20)),
                                          (np.complex128, (1e250,))])
def test_eig_beyond_lapack_safe_range_is_right(dtype, scales):
    # SciPy 1.17's geev does not scale the eigenvalues back for a matrix whose largest entry
    # is beyond LAPACK's safe range: eigvals(1e200 * a) was ~1e138 (eager, as SciPy, and
    # traced); eig(c * a) must be c * eig(a), its vectors those of a
    a = np.random.default_rng(3).normal(size=(4, 4)).astype(dtype)

    def ordered(w):  # (a conjugate pair's real parts may differ in their last bits)
        w = np.asarray(w, np.complex128)
        return w[np.lexsort((w.imag, np.round(w.real / np.abs(w).max(), 4)))]

    want = ordered(np.linalg.eigvals(a.astype(np.complex128)))
    tol = 1e-12 if np.finfo(dtype).eps < 1e-10 else 2e-5
    for c in scales:
        m = (a * dtype(c)).astype(dtype)
        for got in (wl.eigvals(m), wire.jit(wl.eigvals)(m), wire.vmap(wl.eigvals)(m[None])[0]):
            got = ordered(np.asarray(got, np.complex128) / c)
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())
        w, vl, vr = wl.eig(m, left=True)
        mm = m.astype(np.complex128)
        np.testing.assert_allclose(mm @ vr, vr * w, rtol=0, atol=tol * c * 10)
        np.testing.assert_allclose(vl.conj().T @ mm, w[:, None] * vl.conj().T, rtol=0,
                                   atol=tol * c * 10)
        ab = wl.eig(m, right=False, homogeneous_eigvals=True)
        np.testing.assert_allclose(ordered(ab[0] / ab[1] / c), want, rtol=tol,
                                   atol=tol * np.abs(want).max())
    # inside the range: SciPy's own bits
    assert np.array_equal(wl.eigvals(a), sl.eigvals(a))
