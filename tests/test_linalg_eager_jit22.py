"""Eager and traced linear algebra call the same LAPACK routine, so ``wire.jit``/``vmap`` give
the eager (NumPy's) bits: singular values alone (``svd(compute_uv=False)``, ``svdvals``, the
nuclear/2/-2 norms, ``cond``, ``matrix_rank``) come from LAPACK's SVD without the vectors, the
Hermitian paths (``hermitian=True``) from ``eigh``/``eigvalsh``, and ``UPLO="U"`` /
``upper=True`` from LAPACK's upper-triangle routines. Their last bits (and the signs of
eigenvectors) differ from the other routine's, so a traced path that took another one gave
other numbers than the eager call. The derivatives are the rules' of before."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from finite_differences import fd_grad
from oracles import exact_difference

import wire
import wire.numpy as wnp

la = wnp.linalg
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

_rng = np.random.default_rng(22)


def _hermitian(x):
    return x + np.conj(np.swapaxes(x, -1, -2))


def _complex(shape):
    return _rng.normal(size=shape) + 1j * _rng.normal(size=shape)


# a stack of many matrices, so that some of LAPACK's values with and without the vectors
# differ in the last bits on any CPU; ties, rank deficiency, float32 and complex
MATS = {
    "stack": _rng.normal(size=(24, 5, 5)),
    "tall": _rng.normal(size=(12, 6, 3)),
    "wide": _rng.normal(size=(12, 3, 6)),
    "sym": _hermitian(_rng.normal(size=(12, 5, 5))),
    "ties": np.array([[2.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 2.0]]),
    "rank2": np.arange(1.0, 10.0).reshape(3, 3),
    "diag0": np.diag([2.0, -0.0, 0.0]),
    "f32": _hermitian(_rng.normal(size=(12, 5, 5))).astype(np.float32),
    "complex": _complex((12, 4, 4)),
    "herm": _hermitian(_complex((12, 4, 4))),
    "c64": _hermitian(_complex((12, 4, 4))).astype(np.complex64),
}


def _spd(a):
    return a @ np.conj(np.swapaxes(a, -1, -2)) + a.shape[-1] * np.eye(a.shape[-1])


FUNCS = {
    "svd(compute_uv=False)": lambda a: la.svd(a, compute_uv=False),
    "svdvals": la.svdvals,
    "norm[nuc]": lambda a: la.norm(a, "nuc", axis=(-2, -1)),
    "norm[2]": lambda a: la.norm(a, 2, axis=(-2, -1)),
    "norm[-2]": lambda a: la.norm(a, -2, axis=(-2, -1)),
    "matrix_norm[nuc]": lambda a: la.matrix_norm(a, ord="nuc"),
    "cond": la.cond,
    "cond[-2]": lambda a: la.cond(a, -2),
    "matrix_rank": la.matrix_rank,
    "svd(hermitian, compute_uv=False)": lambda a: la.svd(a, compute_uv=False, hermitian=True),
    "matrix_rank(hermitian)": lambda a: la.matrix_rank(a, hermitian=True),
    "pinv(hermitian)": lambda a: la.pinv(a, hermitian=True),
    "eigvalsh[U]": lambda a: la.eigvalsh(a, "U"),
    "eigh[U]": lambda a: la.eigh(a, "U"),
    "cholesky(upper)": lambda a: la.cholesky(_spd(a), upper=True),
}
SQUARE = {"svd(hermitian, compute_uv=False)", "matrix_rank(hermitian)", "pinv(hermitian)",
          "eigvalsh[U]", "eigh[U]", "cholesky(upper)"}


def _leaves(r):
    return [np.asarray(x) for x in (r if isinstance(r, (tuple, list)) else (r,))]


def _assert_bits(want, got, what):
    for i, (w, g) in enumerate(zip(_leaves(want), _leaves(got))):
        d = exact_difference(w, g)
        assert d is None, f"{what} [{i}]: {d}"


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_jit_and_vmap_give_the_eager_bits(name):
    f = FUNCS[name]
    for key, a in MATS.items():
        if name in SQUARE and a.shape[-1] != a.shape[-2]:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eager = f(a)
            _assert_bits(eager, wire.jit(f)(a), f"jit {name} at {key}")
            if a.ndim > 2:
                _assert_bits(eager, wire.vmap(f)(a), f"vmap {name} at {key}")


def test_nuclear_norm_traced_is_numpys_values_only_svd():
    """The reported case: traced, the nuclear norm summed the singular values of the SVD with
    vectors (``12.162218433965844`` where NumPy's is ``...839`` on some CPUs)."""
    a = np.stack([np.array([[4.0, 1.0, -2.0], [2.0, 3.0, 1.0], [-1.0, 0.5, 5.0]]),
                  np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])])
    want = np.linalg.norm(a, "nuc", axis=(-2, -1))
    f = lambda m: la.norm(m, "nuc", axis=(-2, -1))  # noqa: E731
    _assert_bits(want, f(a), "eager")
    _assert_bits(want, wire.jit(f)(a), "jit")
    _assert_bits(want, wire.vmap(f)(a), "vmap")


def test_svdvals_derivatives_are_svds():
    """``grad`` of ``sum(w * s)`` is ``U diag(w) Vᴴ`` (conjugated for complex, JAX's
    convention), the ``jvp`` is ``Re diag(Uᴴ dA V)``; both match finite differences."""
    a = MATS["stack"][0]
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    f = lambda m: wnp.sum(w * la.svdvals(m))  # noqa: E731
    u, _, vh = np.linalg.svd(a)
    g = wire.grad(f)(a)
    np.testing.assert_allclose(g, (u * w) @ vh, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, fd_grad(lambda m: np.sum(w * np.linalg.svdvals(m)), a),
                               rtol=1e-6, atol=1e-7)
    _assert_bits(g, wire.jit(wire.grad(f))(a), "jit(grad)")
    d = MATS["stack"][1]
    t = wire.jvp(la.svdvals, (a,), (d,))[1]
    np.testing.assert_allclose(t, np.diagonal(u.T @ d @ vh.T), rtol=1e-12, atol=1e-12)
    c = MATS["complex"][0]
    gc = wire.grad(lambda m: wnp.sum(la.svdvals(m)))(c)
    uc, _, vhc = np.linalg.svd(c)
    np.testing.assert_allclose(gc, np.conj(uc @ vhc), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("key", ["ties", "diag0"])
def test_nuclear_norm_gradient_at_ties_and_zeros_is_u_vh(key):
    """At tied or zero singular values the nuclear norm's gradient is ``U Vᴴ`` over LAPACK's
    vectors (a subgradient), finite, as svd's docstring says; at the identity it is ``I``."""
    a = MATS[key]
    g = wire.grad(lambda m: la.norm(m, "nuc"))(a)
    u, _, vh = np.linalg.svd(a)
    np.testing.assert_allclose(g, u @ vh, rtol=1e-12, atol=1e-12)
    assert wire.grad(lambda m: wnp.sum(la.svdvals(m)))(np.eye(3)).tolist() == np.eye(3).tolist()


def test_svdvals_of_non_finite_matrices_is_numpys():
    """±inf: NumPy's values alone are NaN (no LAPACK call on a 3x3 with inf, which may not
    return); NaN: LinAlgError, eager and traced."""
    a = np.eye(3)
    a[0, 1] = np.inf
    for f in (la.svdvals, wire.jit(la.svdvals)):
        assert np.isnan(f(a)).all()
    a[0, 1] = np.nan
    with pytest.raises(np.linalg.LinAlgError):
        wire.jit(la.svdvals)(a)
    with pytest.raises(np.linalg.LinAlgError):
        la.svdvals(a)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_upper_cholesky_derivatives_match_finite_differences(dtype):
    a = _spd(MATS["stack"][2] if dtype == np.float64 else MATS["complex"][1])
    w = np.cos(np.arange(a.size) + 1.0).reshape(a.shape)

    def f(m, lib=la):
        u = lib.cholesky(m, upper=True)
        return (wnp if lib is la else np).real(np.sum(w * u) if lib is not la else wnp.sum(w * u))

    g = wire.grad(f)(a)
    # the upper triangle is read: perturb it and its mirror together (Hermitian directions)
    for i, j in [(0, 0), (0, 2), (1, 3)]:
        e = np.zeros(a.shape, dtype)
        e[i, j] = 1.0
        e = e + np.conj(e.T) if i != j else e
        fd = (f(a + 1e-6 * e, np.linalg) - f(a - 1e-6 * e, np.linalg)) / 2e-6
        assert abs(np.real(np.sum(g * e)) - fd) < 1e-6 * max(1.0, abs(fd))
    # the same derivative as through the lower factor of aᴴ (U = Lᴴ), within rounding
    lower = wire.grad(lambda m: wnp.real(wnp.sum(w * la.cholesky(m.conj().T).conj().T)))(a)
    np.testing.assert_allclose(g, lower, rtol=1e-12, atol=1e-12)


def test_eigh_upper_derivatives_are_the_lower_ones():
    """``eigh(a, "U")`` of the mirrored upper triangle: the eigenvalues' gradient and the
    reconstruction ``V diag(λ³) Vᵀ`` differentiate as through the lower triangle's ``eigh``."""
    a = MATS["sym"][0]
    w = np.cos(np.arange(25) + 1.0).reshape(5, 5)

    def rec(uplo):
        def f(m):
            lam, v = la.eigh(m, uplo)
            return wnp.sum(w * ((v * lam ** 3) @ v.T)) + wnp.sum(w[0] * lam)
        return f

    gu = wire.grad(rec("U"))(a)
    gl = wire.grad(rec("L"))(a.T)  # the upper triangle of a is the lower one of a.T
    np.testing.assert_allclose(gu, gl.T, rtol=1e-10, atol=1e-10)


LSTSQ = {
    "tall": (_rng.normal(size=(6, 3)), _rng.normal(size=6)),
    "tall2": (_rng.normal(size=(6, 3)), _rng.normal(size=(6, 2))),
    "square": (_rng.normal(size=(4, 4)), _rng.normal(size=4)),
    "wide": (_rng.normal(size=(3, 5)), _rng.normal(size=(3, 2))),
    "rank1": (np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]), np.ones(3)),
    "complex": (_complex((5, 3)), _complex((5,))),
    "f32": (_rng.normal(size=(6, 3)).astype(np.float32), np.ones(6, np.float32)),
}


@pytest.mark.parametrize("key", sorted(LSTSQ))
def test_lstsq_traced_is_numpys_to_the_bit(key):
    """Traced, lstsq made x from pinv and s from the SVD: NumPy's LAPACK driver (gelsd) gives
    other last bits. Now the primitive is NumPy's call (x, residuals, rank, s)."""
    a, b = LSTSQ[key]
    want = np.linalg.lstsq(a, b)
    got = wire.jit(la.lstsq)(a, b)
    for i, (w, g) in enumerate(zip(want, got)):
        if i == 1 and w.size == 0 and a.shape[0] > a.shape[1]:
            assert np.isnan(g).all()  # rank-deficient: NumPy returns none (documented: NaN)
            continue
        assert exact_difference(np.asarray(w), np.asarray(g)) is None, (i, w, g)
    stack = np.stack([a, a[::-1]])
    xs = wire.vmap(lambda m: la.lstsq(m, b)[0])(stack)
    _assert_bits(np.stack([np.linalg.lstsq(m, b)[0] for m in stack]), xs, "vmap")


def test_float32_lstsq_uses_numpys_double_precision_cutoff():
    """NumPy solves float32 systems in double precision with double's default cutoff: this
    matrix has rank 2 for it (x of size 8e5). Traced, the cutoff was float32's: rank 1 and
    the minimum-norm solution [0.086, 0.171], another answer."""
    a = np.array([[1, 2], [2, 4.0000005], [3, 6]], np.float32)
    b = np.ones(3, np.float32)
    x, res, rank, s = np.linalg.lstsq(a, b)
    assert rank == 2
    tx, tres, trank, ts = wire.jit(la.lstsq)(a, b)
    assert int(trank) == 2
    _assert_bits(x, tx, "x")
    _assert_bits(s, ts, "s")


@pytest.mark.parametrize("key", ["tall2", "wide", "complex"])
def test_lstsq_derivatives_match_finite_differences(key):
    a, b = LSTSQ[key]
    wx = np.cos(np.arange(a.shape[1] * (b.shape[1] if b.ndim == 2 else 1)) + 1.0)

    def f(m, rhs=b, lib=la):
        x, res, _, s = lib.lstsq(m, rhs)
        tot = np.sum(wx.reshape(x.shape) * x) + np.sum(s[:2]) * 0.5
        if a.shape[0] > a.shape[1]:
            tot = tot + np.sum(res) * 0.25
        return np.real(tot) if lib is not la else wnp.real(tot)

    ga, gb = wire.grad(f, argnums=(0, 1))(a, b)
    eps = 1e-6
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        e = np.zeros(a.shape, a.dtype)
        e[i, j] = 1.0
        fd = (f(a + eps * e, b, np.linalg) - f(a - eps * e, b, np.linalg)) / (2 * eps)
        assert abs(np.real(np.sum(ga * e)) - fd) < 1e-6 * max(1.0, abs(fd)), (i, j)
    e = np.zeros(b.shape, b.dtype)
    e[(1,) * b.ndim] = 1.0
    fd = (f(a, b + eps * e, np.linalg) - f(a, b - eps * e, np.linalg)) / (2 * eps)
    assert abs(np.real(np.sum(gb * e)) - fd) < 1e-6 * max(1.0, abs(fd))
    _assert_bits(ga, wire.jit(wire.grad(f))(a), "jit(grad)")


sl = pytest.importorskip("scipy.linalg")
import wire.scipy.linalg as wsl  # noqa: E402

SCIPY_MATS = {
    "sym": _hermitian(_rng.normal(size=(6, 6))),
    "rand": _rng.normal(size=(5, 5)),
    "tall": _rng.normal(size=(6, 4)),
    "f32": _hermitian(_rng.normal(size=(5, 5))).astype(np.float32),
    "herm": _hermitian(_complex((4, 4))),
    "stack": _hermitian(_rng.normal(size=(3, 5, 5))),
}
SCIPY_FUNCS = {
    "eigh": wsl.eigh,
    "eigh(lower=False)": lambda a: wsl.eigh(a, lower=False),
    "eigh(driver=evd)": lambda a: wsl.eigh(a, driver="evd"),
    "eigvalsh": wsl.eigvalsh,
    "svd": lambda a: wsl.svd(a, full_matrices=False),
    "svd(compute_uv=False)": lambda a: wsl.svd(a, compute_uv=False),
    "svd(gesvd, values)": lambda a: wsl.svd(a, compute_uv=False, lapack_driver="gesvd"),
    "svdvals": wsl.svdvals,
    "inv": wsl.inv,
    "det": wsl.det,
    "pinv": wsl.pinv,
    "pinv(return_rank)": lambda a: wsl.pinv(a, return_rank=True),
    "pinvh": wsl.pinvh,
    "lstsq": lambda a: wsl.lstsq(a, np.ones(a.shape[0], a.dtype)),
}
SCIPY_SQUARE = {"eigh", "eigh(lower=False)", "eigh(driver=evd)", "eigvalsh", "inv", "det",
                "pinvh"}
SCIPY_ONE_MATRIX = {"pinvh", "lstsq"}  # SciPy's take no stack


@pytest.mark.parametrize("name", sorted(SCIPY_FUNCS))
def test_scipy_linalg_jit_gives_scipys_bits(name):
    """wire.scipy.linalg traced calls SciPy's routine (eigh's "evr" driver, whose eigenvectors
    may have other signs than NumPy's "evd"; float32 computed in float32; SciPy's inv, det,
    pinv, pinvh and lstsq), as the eager call does."""
    f = SCIPY_FUNCS[name]
    for key, a in SCIPY_MATS.items():
        if name in SCIPY_SQUARE and a.shape[-1] != a.shape[-2] or \
                name in SCIPY_ONE_MATRIX and a.ndim > 2:
            continue
        if name == "det" and a.dtype == np.float32:
            continue  # SciPy's float32 det is float64 from a float32 LU: not yet traced
        _assert_bits(f(a), wire.jit(f)(a), f"jit {name} at {key}")


def test_scipy_eigh_derivatives_are_the_rules():
    """The eigenvalues' gradient and a sign-free function of the eigenvectors through SciPy's
    driver are those through NumPy's (the rules do not depend on the routine)."""
    a = SCIPY_MATS["sym"]
    w = np.cos(np.arange(36) + 1.0).reshape(6, 6)

    def f(m, eig):
        lam, v = eig(m)
        return wnp.sum(w * ((v * lam ** 3) @ v.T)) + wnp.sum(w[0] * lam)

    g = wire.grad(lambda m: f(m, wsl.eigh))(a)
    np.testing.assert_allclose(g, wire.grad(lambda m: f(m, la.eigh))(a), rtol=1e-10,
                               atol=1e-10)
    gi = wire.grad(lambda m: wnp.sum(w * wsl.inv(m)))(a)
    np.testing.assert_allclose(gi, wire.grad(lambda m: wnp.sum(w * la.inv(m)))(a),
                               rtol=1e-10, atol=1e-12)
