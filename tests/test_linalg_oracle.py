"""Every function of ``wire.numpy.linalg`` and ``wire.scipy.linalg`` against NumPy/SciPy on the
inputs random tests miss: empty matrices and stacks, 1x1, singular and rank-deficient,
non-square, batched, float32/complex64/complex128, NaN and inf entries, huge and tiny scales.

Traced (under ``jit``, and eagerly under ``jvp`` where SciPy checks finiteness) wire must give
NumPy's value, dtype and shape; where NumPy raises, wire raises an exception of NumPy's class
(at trace time also a ``wire.WireError``). Derivatives: ``grad`` and ``jvp`` against central
differences on well-conditioned inputs, and NaN/inf (never a wrong finite number) at singular
points. Differences NumPy's own API forces are named where they are allowed (``eig`` traced is
always complex, ``lstsq``'s residuals of a rank-deficient tall matrix are NaN).
"""

import zlib

import numpy as np
import pytest
import scipy.linalg as sl
from selection import skip_unless_slow

import wire
import wire.numpy as wnp
from wire.scipy import linalg as wsl

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/NaN on purpose

la = wnp.linalg
# float32 and complex128 run with the slow tests (the dtype rules are the same)
DTYPE_IDS = ["float64", "complex64", "float32", "complex128"]
DTYPES = [np.float64, np.complex64,
          pytest.param(np.float32, marks=pytest.mark.slow),
          pytest.param(np.complex128, marks=pytest.mark.slow)]
# NumPy raises these while evaluating: wire's primitives run the same LAPACK call
RUNTIME = ("singular", "positive definite", "converge", "infs or nans")


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _random(shape, dtype, key):
    rng = _rng(shape, np.dtype(dtype).name, key)
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a


def _regular(shape, dtype, key=0):
    """Well-conditioned: a random matrix plus n times the identity where it is square."""
    a = _random(shape, dtype, key)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        a = a + shape[-1] * np.eye(shape[-1])
    return a.astype(dtype)


def _hpd(shape, dtype, key=0):
    b = _random(shape, dtype, key)
    return (b @ np.conj(np.swapaxes(b, -1, -2)) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _scale(dtype):
    return (1e200, 1e-200) if np.finfo(dtype).bits in (64, 128) else (1e30, 1e-30)


def _with(a, idx, value):
    a = a.copy()
    a[idx] = value
    return a


SQUARE = {
    "1x1": lambda dt: np.array([[2.5]], dt),
    "3x3": lambda dt: _regular((3, 3), dt),
    "stack": lambda dt: _regular((2, 3, 3), dt),
    "hpd": lambda dt: _hpd((3, 3), dt),
    "0x0": lambda dt: np.zeros((0, 0), dt),
    "stack_of_0x0": lambda dt: np.zeros((3, 0, 0), dt),
    "empty_stack": lambda dt: np.zeros((0, 2, 2), dt),
    "singular": lambda dt: np.array([[1.0, 2.0], [2.0, 4.0]], dt),
    "zero": lambda dt: np.zeros((2, 2), dt),
    "rank_deficient": lambda dt: np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
                                          dt),
    "nan": lambda dt: _with(_regular((3, 3), dt), (1, 2), np.nan),
    "inf": lambda dt: _with(_regular((3, 3), dt), (0, 0), np.inf),
    "inf_2x2": lambda dt: np.array([[np.inf, 1.0], [1.0, 2.0]], dt),  # NumPy's values
    "inf_in_stack": lambda dt: _with(_regular((2, 3, 3), dt), (1, 0, 0), -np.inf),
    "huge": lambda dt: (_regular((3, 3), dt) * _scale(dt)[0]).astype(dt),
    "tiny": lambda dt: (_regular((3, 3), dt) * _scale(dt)[1]).astype(dt),
}
GENERAL = dict(SQUARE, **{
    "tall": lambda dt: _regular((4, 2), dt),
    "wide": lambda dt: _regular((2, 4), dt),
    "stack_tall": lambda dt: _regular((2, 3, 2), dt),
    "no_rows": lambda dt: np.zeros((0, 3), dt),
    "no_cols": lambda dt: np.zeros((3, 0), dt),
    "rank_one_tall": lambda dt: np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], dt),
    "inf_tall": lambda dt: _with(_regular((4, 3), dt), (0, 0), np.inf),
})
BAD_SHAPES = {"vector": lambda dt: np.ones(3, dt), "non_square": lambda dt: np.ones((2, 3), dt)}


# --------------------------------------------------------------------------- comparison


def _run(f, *args):
    try:
        return f(*args), None
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return None, e


def _tol(dtype):
    return 2e-3 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-8


def _assert_same(got, want, rtol, what):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), what
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, rtol, f"{what}[{i}]")
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, NumPy's {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, NumPy's {want.dtype}"
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what}: NaN")
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want), err_msg=f"{what}: inf")
    finite = np.isfinite(want)
    scale = np.max(np.abs(want[finite]), initial=0.0)
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=rtol * scale,
                               err_msg=what)


def _phase(v, axis):
    """Columns (axis=-2) or rows (axis=-1) divided by the phase of their largest entry: the
    gauge LAPACK leaves free, fixed so vectors can be compared."""
    if v.size == 0 or not np.isfinite(v).all():
        return v
    idx = np.expand_dims(np.argmax(np.abs(v), axis=axis), axis)
    p = np.take_along_axis(v, idx, axis=axis)
    p = p / np.where(np.abs(p) == 0, 1, np.abs(p))
    return (v / p).astype(v.dtype)


def check(np_fn, wire_fn, args, *, rtol=None, canon=None, eager=False):
    """wire's ``wire_fn`` traced (jit, or eagerly under jvp) against ``np_fn`` on ``args``."""
    rtol = rtol if rtol is not None else _tol(np.result_type(*[np.asarray(a) for a in args]))
    want, np_err = _run(np_fn, *args)
    if eager:
        f = lambda *a: wire.jvp(lambda *b: wire_fn(*b), a,  # noqa: E731
                                tuple(np.zeros_like(x) for x in a))[0]
    else:
        f = wire.jit(wire_fn)
    got, w_err = _run(f, *args)
    if np_err is not None:
        assert w_err is not None, f"NumPy raised {np_err!r}; wire returned {got!r}"
        assert isinstance(w_err, type(np_err)), f"NumPy raised {np_err!r}; wire {w_err!r}"
        if not any(m in str(np_err).lower() for m in RUNTIME):
            assert isinstance(w_err, wire.WireError), f"{w_err!r} is not a wire.WireError"
        return
    assert w_err is None, f"NumPy returned {want!r}; wire raised {w_err!r}"
    if canon is not None:
        got, want = canon(got), canon(want)
    _assert_same(_plain(got), _plain(want), rtol, getattr(np_fn, "__name__", "value"))


def _plain(x):
    return tuple(_plain(v) for v in x) if isinstance(x, tuple) else np.asarray(x)


# --------------------------------------------------------------------------- numpy.linalg


def _eig_canon(r):
    w, v = (r, None) if not isinstance(r, tuple) else r
    w = np.asarray(w)
    w = w.astype(np.result_type(w.dtype, np.complex64))  # traced eig is always complex
    if v is None:
        return w
    v = np.asarray(v)
    return w, _phase(v.astype(np.result_type(v.dtype, np.complex64)), -2)


def _svd_canon(r):
    """Singular values and ``u diag(s) vh``: the vectors of zero (or tied) singular values are
    any basis of their space."""
    if not isinstance(r, tuple):
        return r
    u, s, vh = (np.asarray(x) for x in r)
    k = s.shape[-1]
    return s, (u[..., :k] * s[..., None, :].astype(u.dtype)) @ vh[..., :k, :]


def _vectors_canon(r):
    return (r[0], _phase(np.asarray(r[1]), -2))


def _lstsq_canon(r):
    x, res, rank, s = r
    res = np.asarray(res)
    # NumPy's residuals of a rank-deficient tall a are empty; a traced shape cannot depend on
    # the rank, so wire's hold NaN there (documented)
    return x, res if res.size and not np.isnan(res).all() else np.zeros(0, res.dtype), rank, s


def _has_inf(a):
    """An inf entry in a matrix LAPACK's SVD may never return on (3x3 and larger)."""
    a = np.asarray(a)
    return (a.dtype.kind in "fc" and a.ndim >= 2 and min(a.shape[-2:]) >= 3
            and np.isinf(a).any() and not np.isnan(a).any())


def _svd_oracle(a, full_matrices=False):
    """NumPy's SVD, except where LAPACK may iterate without end (an inf entry: NumPy's own
    ``svd`` of a 3x3 with an inf at [0, 0] never returns). There NumPy's singular values are
    NaN (``compute_uv=False`` returns), and the vectors are taken as NaN (NumPy's are whatever
    LAPACK's iteration left, finite or NaN, by position)."""
    if not _has_inf(a):
        return np.linalg.svd(a, full_matrices=full_matrices)
    s = np.linalg.svd(a, compute_uv=False)
    bad = np.isinf(a).any(axis=(-2, -1))
    assert np.isnan(s[bad]).all()
    u, _, vh = np.linalg.svd(np.where(bad[..., None, None], 0, a), full_matrices=full_matrices)
    return (np.where(bad[..., None, None], np.nan, u), s,
            np.where(bad[..., None, None], np.nan, vh))


def _pinv_oracle(a, **kw):
    if not _has_inf(a):
        return np.linalg.pinv(a, **kw)
    bad = np.isinf(a).any(axis=(-2, -1))
    p = np.linalg.pinv(np.where(bad[..., None, None], 0, a), **kw)
    return np.where(bad[..., None, None], np.nan, p)


def _lstsq_oracle(a, b):
    if _has_inf(a):  # NumPy's error wherever its call returns
        raise np.linalg.LinAlgError("SVD did not converge in Linear Least Squares")
    return np.linalg.lstsq(a, b)


NP_SQUARE = {
    "det": (np.linalg.det, la.det, None),
    "slogdet": (np.linalg.slogdet, la.slogdet, None),
    "inv": (np.linalg.inv, la.inv, None),
    "eig": (np.linalg.eig, la.eig, _eig_canon),
    "eigvals": (np.linalg.eigvals, la.eigvals, _eig_canon),
    "eigh": (np.linalg.eigh, la.eigh, _vectors_canon),
    "eigh_U": (lambda a: np.linalg.eigh(a, "U"), lambda a: la.eigh(a, "U"), _vectors_canon),
    "eigvalsh": (np.linalg.eigvalsh, la.eigvalsh, None),
    "eigvalsh_U": (lambda a: np.linalg.eigvalsh(a, "U"), lambda a: la.eigvalsh(a, "U"), None),
    "cholesky": (np.linalg.cholesky, la.cholesky, None),
    "cholesky_upper": (lambda a: np.linalg.cholesky(a, upper=True),
                       lambda a: la.cholesky(a, upper=True), None),
    "matrix_power_3": (lambda a: np.linalg.matrix_power(a, 3),
                       lambda a: la.matrix_power(a, 3), None),
    "matrix_power_0": (lambda a: np.linalg.matrix_power(a, 0),
                       lambda a: la.matrix_power(a, 0), None),
    "matrix_power_-2": (lambda a: np.linalg.matrix_power(a, -2),
                        lambda a: la.matrix_power(a, -2), None),
    "solve_vector": (lambda a: np.linalg.solve(a, np.ones(a.shape[-1], a.dtype)),
                     lambda a: la.solve(a, np.ones(a.shape[-1], a.dtype)), None),
    "solve_matrix": (lambda a: np.linalg.solve(a, np.ones(a.shape[-1:] + (2,), a.dtype)),
                     lambda a: la.solve(a, np.ones(a.shape[-1:] + (2,), a.dtype)), None),
    "pinv_hermitian": (lambda a: np.linalg.pinv(a, hermitian=True),
                       lambda a: la.pinv(a, hermitian=True), None),
    "matrix_rank_hermitian": (lambda a: np.linalg.matrix_rank(a, hermitian=True),
                              lambda a: la.matrix_rank(a, hermitian=True), None),
    "svd_hermitian": (lambda a: np.linalg.svd(a, hermitian=True),
                      lambda a: la.svd(a, hermitian=True), _svd_canon),
    "tensorinv": (lambda a: np.linalg.tensorinv(a, ind=1), lambda a: la.tensorinv(a, ind=1),
                  None),
}
for _p in [None, 1, -1, 2, -2, "fro", np.inf, -np.inf]:
    NP_SQUARE[f"cond_{_p}"] = (lambda a, p=_p: np.linalg.cond(a, p),
                               lambda a, p=_p: la.cond(a, p), None)

NP_GENERAL = {
    "svd": (_svd_oracle,
            lambda a: la.svd(a, full_matrices=False), _svd_canon),
    "svd_values": (lambda a: np.linalg.svd(a, compute_uv=False),
                   lambda a: la.svd(a, compute_uv=False), None),
    "svdvals": (np.linalg.svdvals, la.svdvals, None),
    "pinv": (_pinv_oracle, la.pinv, None),
    "pinv_rtol": (lambda a: _pinv_oracle(a, rtol=None), lambda a: la.pinv(a, rtol=None),
                  None),
    "matrix_rank": (np.linalg.matrix_rank, la.matrix_rank, None),
    "matrix_rank_tol": (lambda a: np.linalg.matrix_rank(a, tol=0.5),
                        lambda a: la.matrix_rank(a, tol=0.5), None),
    "qr": (np.linalg.qr, la.qr, None),
    "qr_r": (lambda a: np.linalg.qr(a, "r"), lambda a: la.qr(a, "r"), None),
    "matrix_transpose": (np.linalg.matrix_transpose, la.matrix_transpose, None),
    "diagonal": (np.linalg.diagonal, la.diagonal, None),
    "trace": (np.linalg.trace, la.trace, None),
    "matrix_norm_fro": (np.linalg.matrix_norm, la.matrix_norm, None),
    "matrix_norm_nuc": (lambda a: np.linalg.matrix_norm(a, ord="nuc"),
                        lambda a: la.matrix_norm(a, ord="nuc"), None),
}
for _p in [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]:
    NP_GENERAL[f"norm_{_p}"] = (lambda a, p=_p: np.linalg.norm(a, p, axis=(-2, -1)),
                                lambda a, p=_p: la.norm(a, p, axis=(-2, -1)), None)


def _sweep(inputs, one, dtype):
    """``one(name, a)`` for every input; all failures reported together."""
    failures = []
    for name, make in inputs.items():
        try:
            one(name, make(dtype))
        except AssertionError as e:
            failures.append(f"{name}: {str(e).strip()[:600]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("fname", list(NP_SQUARE))
def test_numpy_linalg_square(fname, dtype, request):
    skip_unless_slow(request)
    np_fn, w_fn, canon = NP_SQUARE[fname]

    def one(iname, a):
        if fname == "tensorinv" and (a.ndim != 2 or a.size == 0):
            return  # NumPy's tensorinv fails to reshape an empty matrix (its own error)
        if "hermitian" in fname and np.isinf(a).any():
            # NumPy factors with eigh, which on an inf entry raises "did not converge" for
            # some matrices and gives NaN eigenvalues for others; wire factors the Hermitian
            # matrix by the SVD (NaN, or LAPACK's values for 2x2), and returns
            r = wire.jit(w_fn)(a)
            r = np.asarray(r[1] if fname.startswith("svd") else r)
            bad = np.isinf(a).any(axis=(-2, -1))
            assert (r[bad] == 0).all() if r.dtype.kind in "iu" else np.isnan(r[bad]).all() \
                or not _has_inf(a)
            return
        check(np_fn, w_fn, (a,), canon=canon)

    _sweep({**SQUARE, **BAD_SHAPES}, one, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("fname", list(NP_GENERAL))
def test_numpy_linalg_general(fname, dtype, request):
    skip_unless_slow(request)
    np_fn, w_fn, canon = NP_GENERAL[fname]
    _sweep({**GENERAL, **BAD_SHAPES}, lambda _, a: check(np_fn, w_fn, (a,), canon=canon), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_lstsq(dtype, request):
    skip_unless_slow(request)
    def one(iname, a):
        b = np.ones(a.shape[:1], a.dtype)
        if np.isinf(a).any():
            # NumPy raises LinAlgError (where its call returns): so does wire on arrays;
            # traced, a value-dependent error cannot be raised, and x and s are NaN
            with pytest.raises(np.linalg.LinAlgError):
                la.lstsq(a, b)
            x, _, rank, s = wire.jit(la.lstsq)(a, b)
            assert np.isnan(x).all() and np.isnan(s).all() and rank == 0
            return
        check(_lstsq_oracle, la.lstsq, (a, b), canon=_lstsq_canon)

    inputs = {k: v for k, v in {**GENERAL, **BAD_SHAPES}.items() if "stack" not in k}
    _sweep(inputs, one, dtype)


VECTORS = {
    "3": lambda dt: _random((3,), dt, 1).astype(dt),
    "1": lambda dt: np.array([-2.0], dt),
    "empty": lambda dt: np.zeros(0, dt),
    "zero": lambda dt: np.zeros(3, dt),
    "nan": lambda dt: np.array([1.0, np.nan, 2.0], dt),
    "inf": lambda dt: np.array([1.0, -np.inf, 2.0], dt),
    "huge": lambda dt: (np.array([3.0, 4.0, 1.0]) * _scale(dt)[0]).astype(dt),
    "tiny": lambda dt: (np.array([3.0, 4.0, 1.0]) * _scale(dt)[1]).astype(dt),
    "stack": lambda dt: _random((2, 3), dt, 2).astype(dt),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("ord", [None, 0, 1, 2, 3, 0.5, -1, np.inf, -np.inf])
def test_vector_norms(ord, dtype, request):
    skip_unless_slow(request)
    def one(_, x):
        check(lambda x: np.linalg.vector_norm(x, ord=2 if ord is None else ord),
              lambda x: la.vector_norm(x, ord=2 if ord is None else ord), (x,))
        check(lambda x: np.linalg.norm(x, ord, axis=-1), lambda x: la.norm(x, ord, axis=-1),
              (x,))

    _sweep(VECTORS, one, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_products(dtype, request):
    skip_unless_slow(request)
    _sweep(VECTORS, _products, dtype)


def _products(iname, x):
    dtype = x.dtype
    y = _random(x.shape, dtype, 3).astype(dtype)
    if iname == "inf" and x.dtype.kind == "c":
        return  # complex inf products: NumPy's BLAS and its ufuncs differ (NaN or inf)
    check(np.linalg.vecdot, la.vecdot, (x, y))
    check(np.linalg.outer, la.outer, (x, y))
    check(np.linalg.matmul, la.matmul, (x, y))
    check(lambda x, y: np.linalg.tensordot(x, y, axes=x.ndim),
          lambda x, y: la.tensordot(x, y, axes=x.ndim), (x, y))
    if x.shape[-1:] == (3,):
        check(np.linalg.cross, la.cross, (x, y))
    m = np.ones(x.shape[-1:] * 2, dtype)
    check(lambda x, m, y: np.linalg.multi_dot([x, m, y]),
          lambda x, m, y: la.multi_dot([x, m, y]), (x[..., :], m, y) if x.ndim == 1 else (
              np.ones((2, 2), dtype), np.ones((2, 3), dtype), x))


@pytest.mark.parametrize("iname", ["3x3", "singular", "nan", "0x0"])
def test_tensorsolve(iname):
    a = SQUARE[iname](np.float64)
    n = a.shape[-1]
    a4 = np.kron(a, np.eye(2)).reshape(2 * n, 2, n) if n else np.zeros((0, 2, 0))
    b = np.ones(2 * n)
    check(np.linalg.tensorsolve, la.tensorsolve, (a4, b))


# --------------------------------------------------------------------------- scipy.linalg


def _cho(a, lower=False):
    return sl.cho_solve(sl.cho_factor(a, lower=lower), np.ones(a.shape[-1], a.dtype))


def _wcho(a, lower=False):
    return wsl.cho_solve(wsl.cho_factor(a, lower=lower), np.ones(a.shape[-1], a.dtype))


def _lus(a):
    return sl.lu_solve(sl.lu_factor(a), np.ones(a.shape[-1], a.dtype))


def _wlus(a):
    return wsl.lu_solve(wsl.lu_factor(a), np.ones(a.shape[-1], a.dtype))


SL_SQUARE = {
    "det": (sl.det, wsl.det, None),
    "inv": (sl.inv, wsl.inv, None),
    "eig": (sl.eig, wsl.eig, _eig_canon),
    "eigvals": (sl.eigvals, wsl.eigvals, _eig_canon),
    "eigh": (sl.eigh, wsl.eigh, _vectors_canon),
    "eigh_upper": (lambda a: sl.eigh(a, lower=False), lambda a: wsl.eigh(a, lower=False),
                   _vectors_canon),
    "eigvalsh": (sl.eigvalsh, wsl.eigvalsh, None),
    "cholesky": (sl.cholesky, wsl.cholesky, None),
    "cholesky_lower": (lambda a: sl.cholesky(a, lower=True),
                       lambda a: wsl.cholesky(a, lower=True), None),
    "cho_solve": (_cho, _wcho, None),
    "lu_solve": (_lus, _wlus, None),
    "lu": (sl.lu, wsl.lu, None),
    "solve": (lambda a: sl.solve(a, np.ones(a.shape[-1], a.dtype)),
              lambda a: wsl.solve(a, np.ones(a.shape[-1], a.dtype)), None),
    "solve_pos": (lambda a: sl.solve(a, np.ones(a.shape[-1], a.dtype), assume_a="pos"),
                  lambda a: wsl.solve(a, np.ones(a.shape[-1], a.dtype), assume_a="pos"), None),
    "solve_triangular": (lambda a: sl.solve_triangular(a, np.ones(a.shape[-1], a.dtype)),
                         lambda a: wsl.solve_triangular(a, np.ones(a.shape[-1], a.dtype)),
                         None),
    "expm": (sl.expm, wsl.expm, None),
    "sqrtm": (sl.sqrtm, wsl.sqrtm, None),
    "pinvh": (sl.pinvh, wsl.pinvh, None),
}
SL_GENERAL = {
    "svd": (lambda a: sl.svd(a, full_matrices=False), lambda a: wsl.svd(a, full_matrices=False),
            _svd_canon),
    "svdvals": (sl.svdvals, wsl.svdvals, None),
    "pinv": (sl.pinv, wsl.pinv, None),
    "qr": (lambda a: sl.qr(a, mode="economic"), lambda a: wsl.qr(a, mode="economic"), None),
    "polar": (sl.polar, wsl.polar, None),
    "norm": (sl.norm, wsl.norm, None),
    "norm_2": (lambda a: sl.norm(a, 2), lambda a: wsl.norm(a, 2), None),
    "lstsq": (lambda a: sl.lstsq(a, np.ones(a.shape[0], a.dtype))[0],
              lambda a: wsl.lstsq(a, np.ones(a.shape[0], a.dtype))[0], None),
}
SL_INPUTS = ["1x1", "3x3", "hpd", "0x0", "singular", "zero", "rank_deficient", "nan", "inf",
             "huge", "tiny", "non_square"]


@pytest.mark.parametrize("dtype", [DTYPES[0]] + [pytest.param(DTYPES[1], marks=pytest.mark.slow)]
                         + DTYPES[2:], ids=DTYPE_IDS)
@pytest.mark.parametrize("fname", list(SL_SQUARE) + list(SL_GENERAL))
def test_scipy_linalg(fname, dtype, request):
    skip_unless_slow(request)
    inputs = SL_INPUTS + (["tall", "wide"] if fname in SL_GENERAL else [])

    def one(iname, a):
        np_fn, w_fn, canon = {**SL_SQUARE, **SL_GENERAL}[fname]
        if iname in ("huge", "tiny") and fname in ("eig", "eigvals", "det"):
            # SciPy's own eigenvalues of 1e200 * A are ~1e138 (NumPy's and wire's 1e200),
            # and its complex det overflows to NaN where NumPy's is inf-infj: NumPy decides
            np_fn = {"eig": np.linalg.eig, "eigvals": np.linalg.eigvals,
                     "det": lambda a: np.linalg.det(a.astype(sl.det(a).dtype))}[fname]
        if _SCIPY_LIMITS(fname, iname, a):
            return
        # SciPy checks finiteness: wire does where values are known (eager tracers), not
        # under jit
        check(np_fn, w_fn, (a,), canon=canon, eager=iname in ("nan", "inf"),
              rtol=1e-5 if fname in ("sqrtm", "polar") else None)

    _sweep({k: v for k, v in {**GENERAL, **BAD_SHAPES}.items() if k in inputs}, one, dtype)


def _SCIPY_LIMITS(fname, iname, a):  # noqa: N802 - a table, written as a function
    """Documented differences from SciPy, each a limitation of the traced function."""
    complex_ = a.dtype.kind == "c"
    if fname in ("sqrtm", "polar") and complex_:
        return "traced sqrtm and polar take real matrices"
    if fname == "sqrtm" and iname in ("rank_deficient", "singular", "zero", "huge", "tiny"):
        return "traced sqrtm is real: SciPy's is complex where an eigenvalue is negative"
    if fname == "polar" and iname == "non_square":
        return "u of the rank-one ones((2, 3)) is any of many: float32 SVDs pick another"
    if fname == "sqrtm" and iname == "nan":
        return "SciPy's sqrtm of a NaN matrix raises an internal LAPACK error; wire's is NaN"
    if fname == "lu" and iname == "1x1" and complex_:
        return "SciPy's P of a complex 1x1 is complex (float for every other size)"
    return None


# --------------------------------------------------------------------------- derivatives


def _sym(a):
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2


A3 = _regular((3, 3), np.float64, 7)
HPD = _hpd((3, 3), np.float64, 8)
TALL = _regular((4, 3), np.float64, 9)
# name: (wire function, NumPy/SciPy function, input); each gauge-invariant where a
# decomposition leaves a sign (phase) free
SMOOTH = {
    "det": (la.det, np.linalg.det, A3),
    "slogdet": (lambda a: la.slogdet(a)[1], lambda a: np.linalg.slogdet(a)[1], A3),
    "inv": (la.inv, np.linalg.inv, A3),
    "solve": (lambda a: la.solve(a, np.arange(3.0)), lambda a: np.linalg.solve(a, np.arange(3.0)),
              A3),
    "matrix_power_-2": (lambda a: la.matrix_power(a, -2), lambda a: np.linalg.matrix_power(a, -2),
                        A3),
    "eigvalsh": (la.eigvalsh, np.linalg.eigvalsh, HPD),
    "eigh_projector": (lambda a: la.eigh(a)[1][:, :1] @ la.eigh(a)[1][:, :1].T,
                       lambda a: np.linalg.eigh(a)[1][:, :1] @ np.linalg.eigh(a)[1][:, :1].T,
                       HPD),
    "eigvals": (lambda a: wnp.real(la.eigvals(a)) + wnp.imag(la.eigvals(a)),
                lambda a: np.sort_complex(np.linalg.eigvals(a)).real * 0 + (
                    np.linalg.eigvals(a).real + np.linalg.eigvals(a).imag), A3),
    "cholesky": (la.cholesky, np.linalg.cholesky, HPD),
    "svdvals": (la.svdvals, np.linalg.svdvals, TALL),
    "svd_reconstruction": (lambda a: (la.svd(a, full_matrices=False)[0] ** 2),
                           lambda a: np.linalg.svd(a, full_matrices=False)[0] ** 2, TALL),
    "pinv": (la.pinv, np.linalg.pinv, TALL),
    "lstsq": (lambda a: la.lstsq(a, np.arange(4.0))[0],
              lambda a: np.linalg.lstsq(a, np.arange(4.0))[0], TALL),
    "qr": (lambda a: la.qr(a)[1], lambda a: np.linalg.qr(a)[1], TALL),
    "tensorinv": (lambda a: la.tensorinv(a, ind=1), lambda a: np.linalg.tensorinv(a, ind=1), A3),
    "cond": (la.cond, np.linalg.cond, A3),
    "cond_1": (lambda a: la.cond(a, 1), lambda a: np.linalg.cond(a, 1), A3),
    "norm_nuc": (lambda a: la.norm(a, "nuc"), lambda a: np.linalg.norm(a, "nuc"), TALL),
    "norm_2": (lambda a: la.norm(a, 2), lambda a: np.linalg.norm(a, 2), TALL),
    "norm_-2": (lambda a: la.norm(a, -2), lambda a: np.linalg.norm(a, -2), TALL),
    "norm_fro": (la.norm, np.linalg.norm, TALL),
    "sl_expm": (wsl.expm, sl.expm, A3 / 3),
    "sl_sqrtm": (wsl.sqrtm, sl.sqrtm, HPD),
    "sl_polar": (lambda a: wsl.polar(a)[1], lambda a: sl.polar(a)[1], TALL),
    "sl_lu_solve": (lambda a: wsl.lu_solve(wsl.lu_factor(a), np.arange(3.0)),
                    lambda a: sl.lu_solve(sl.lu_factor(a), np.arange(3.0)), A3),
    "sl_cho_solve": (lambda a: wsl.cho_solve(wsl.cho_factor(a), np.arange(3.0)),
                     lambda a: sl.cho_solve(sl.cho_factor(a), np.arange(3.0)), HPD),
    "sl_solve_triangular": (lambda a: wsl.solve_triangular(a, np.arange(3.0)),
                            lambda a: sl.solve_triangular(a, np.arange(3.0)), A3),
    "sl_pinvh": (wsl.pinvh, sl.pinvh, HPD),
    "sl_eigh": (lambda a: wsl.eigh(a, eigvals_only=True),
                lambda a: sl.eigh(a, eigvals_only=True), HPD),
    "sl_sylvester": (lambda a: wsl.solve_sylvester(a, a.T + 1, np.eye(3)),
                     lambda a: sl.solve_sylvester(a, a.T + 1, np.eye(3)), A3),
}


def _central(f, a, t, h=1e-6):
    return (np.asarray(f(a + h * t)) - np.asarray(f(a - h * t))) / (2 * h)


@pytest.mark.parametrize("name", list(SMOOTH))
def test_grad_and_jvp_against_finite_differences(name):
    w_fn, np_fn, a = SMOOTH[name]
    rng = _rng("derivative", name)
    out = np.asarray(np_fn(a))
    wts = rng.standard_normal(out.shape)
    t = rng.standard_normal(a.shape)
    scalar = lambda f: lambda a: (wnp if f is w_fn else np).sum(wts * f(a))  # noqa: E731
    g = wire.grad(scalar(w_fn))(a)
    fd = np.array([_central(scalar(np_fn), a, e) for e in np.eye(a.size).reshape((-1,) + a.shape)])
    np.testing.assert_allclose(g.ravel(), fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())
    value, tangent = wire.jvp(w_fn, (a,), (t,))
    np.testing.assert_allclose(value, out, rtol=1e-10, atol=1e-12)
    fd_t = _central(np_fn, a, t)
    np.testing.assert_allclose(tangent, fd_t, rtol=1e-5, atol=1e-6 * np.abs(fd_t).max())


COMPLEX = {
    "det": (la.det, np.linalg.det, _regular((3, 3), np.complex128, 10)),
    "inv": (la.inv, np.linalg.inv, _regular((3, 3), np.complex128, 11)),
    "eigvalsh_U": (lambda a: la.eigvalsh(a, "U"), lambda a: np.linalg.eigvalsh(a, "U"),
                   _hpd((3, 3), np.complex128, 12)),
    "cholesky_upper": (lambda a: la.cholesky(a, upper=True),
                       lambda a: np.linalg.cholesky(a, upper=True), _hpd((3, 3), np.complex128, 13)),
    "svdvals": (la.svdvals, np.linalg.svdvals, _regular((4, 2), np.complex128, 14)),
    "pinv": (la.pinv, np.linalg.pinv, _regular((4, 2), np.complex128, 15)),
    "norm_2": (lambda a: la.norm(a, 2), lambda a: np.linalg.norm(a, 2),
               _regular((3, 3), np.complex128, 16)),
    "expm": (wsl.expm, sl.expm, _regular((3, 3), np.complex128, 17) / 4),
}


@pytest.mark.parametrize("name", list(COMPLEX))
def test_jvp_of_complex_inputs_against_finite_differences(name):
    w_fn, np_fn, a = COMPLEX[name]
    rng = _rng("complex", name)
    t = rng.standard_normal(a.shape) + 1j * rng.standard_normal(a.shape)
    if name in ("eigvalsh_U", "cholesky_upper"):
        t = _sym(t)  # stay Hermitian, as the triangle read is
    value, tangent = wire.jvp(w_fn, (a,), (t,))
    np.testing.assert_allclose(value, np_fn(a), rtol=1e-10)
    fd = _central(np_fn, a, t)
    np.testing.assert_allclose(tangent, fd, rtol=1e-5, atol=1e-7 * np.abs(fd).max())


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])


def _derivatives(f, a):
    return [wire.jacfwd(f)(a), wire.jacrev(f)(a)]


def test_derivatives_at_singular_matrices_are_nan_or_inf_not_wrong_numbers():
    # log|det| has no derivative at a singular matrix: every entry adj(a)ᵀ / 0 is ±inf
    for d in _derivatives(lambda a: la.slogdet(a)[1], SINGULAR):
        assert not np.isfinite(d).any()
    # cond is inf at the zero matrix (0/0): NaN in both modes (jacfwd gave 0)
    for p in (None, 2, 1, "fro", np.inf):
        for d in _derivatives(lambda a: la.cond(a, p), np.zeros((2, 2))):
            assert np.isnan(d).all(), (p, d)
    # the symmetric square root at a singular matrix: d sqrt(w) = dw / (2 sqrt(w)) at w = 0
    for d in _derivatives(wsl.sqrtm, np.array([[1.0, 0.0], [0.0, 0.0]])):
        assert not np.isfinite(d[1, 1, 1, 1])
    # polar at a rank-deficient matrix: NaN
    for d in _derivatives(lambda a: wsl.polar(a)[1], SINGULAR):
        assert np.isnan(d).all()
    # eigenvectors at a tie: NaN; the eigenvalues alone keep their gradient
    for d in _derivatives(lambda a: la.eigh(a)[1], np.eye(2)):
        assert np.isnan(d[..., [0, 1, 1], [0, 0, 1]]).all()  # (the upper triangle is not read)
    np.testing.assert_array_equal(wire.grad(lambda a: wnp.sum(la.eigvalsh(a) ** 2))(np.eye(2)),
                                  2 * np.eye(2))
    # inv raises at a singular matrix, in every mode, as NumPy
    for f in (wire.grad(lambda a: wnp.sum(la.inv(a))), wire.jit(la.inv)):
        with pytest.raises(np.linalg.LinAlgError):
            f(SINGULAR)
    # det is a polynomial: its gradient at a singular matrix is the cofactor matrix, exactly
    for d in _derivatives(la.det, SINGULAR):
        np.testing.assert_array_equal(d, [[4.0, -2.0], [-2.0, 1.0]])


def test_derivatives_of_a_matrix_with_an_inf_entry_are_nan_and_return():
    a = _with(_regular((3, 3), np.float64), (0, 0), np.inf)  # LAPACK's SVD of it never ended
    for f in (la.svdvals, la.pinv, lambda a: la.norm(a, 2), la.cond):
        for d in _derivatives(f, a):
            assert np.isnan(d).all()


def test_eigh_of_the_upper_triangle_of_a_complex_matrix_is_numpys():
    # the upper triangle mirrored without conjugation gave the conjugate eigenvectors
    a = _with(_hpd((3, 3), np.complex128, 20), (2, 0), 99.0 + 5j)  # junk below the diagonal
    w, v = np.linalg.eigh(a, "U")
    for gw, gv in (wire.jit(lambda a: la.eigh(a, "U"))(a),
                   wire.jvp(lambda a: la.eigh(a, "U"), (a,), (np.zeros_like(a),))[0]):
        np.testing.assert_allclose(gw, w, rtol=1e-12)
        # (each eigenvector up to its phase, which LAPACK fixes by the triangle it is given)
        np.testing.assert_allclose(_phase(gv, -2), _phase(v, -2), rtol=1e-10, atol=1e-12)
