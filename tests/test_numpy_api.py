"""wire.numpy / wire.scipy breadth: values against NumPy/SciPy on random inputs (with
broadcasting), and first- and second-order derivatives against central differences."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as wsp
from wire.testing import check_grads

R = np.random.default_rng(0)


def rn(*shape):
    return R.normal(size=shape)


def pos(*shape):
    return R.uniform(0.5, 2.0, size=shape)


def spd(n, batch=()):
    b = R.normal(size=batch + (n, n))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def well(n, batch=()):
    return R.normal(size=batch + (n, n)) + n * np.eye(n)


def traced(f, *args):
    """Evaluate ``f`` through a trace (so the wire path, not the NumPy fast path, runs)."""
    return wire.evaluate(wire.trace(f, *args), *args)


# name, wire function, reference, args, check gradients
CASES = [
    ("logaddexp", wnp.logaddexp, np.logaddexp, (rn(3, 1), rn(4)), True),
    ("logaddexp2", wnp.logaddexp2, np.logaddexp2, (rn(3), rn(2, 3)), True),
    ("hypot", wnp.hypot, np.hypot, (rn(3, 4), rn(4)), True),
    ("sinc", wnp.sinc, np.sinc, (np.array([0.0, 0.3, -1.2, 2.5]),), True),
    ("fmod", wnp.fmod, np.fmod, (rn(5) * 3, np.array([1.3, -1.7, 2.1, 0.9, -0.8])), True),
    ("mod", wnp.mod, np.mod, (rn(5) * 3, np.array([1.3, -1.7, 2.1, 0.9, -0.8])), True),
    ("copysign", wnp.copysign, np.copysign, (rn(4), rn(4)), True),
    ("nan_to_num", wnp.nan_to_num, np.nan_to_num, (np.array([np.nan, np.inf, -np.inf, 1.5]),), False),
    ("nan_to_num_grad", wnp.nan_to_num, np.nan_to_num, (rn(4),), True),
    ("floor", wnp.floor, np.floor, (rn(4) * 3,), True),
    ("ceil", wnp.ceil, np.ceil, (rn(4) * 3,), True),
    ("rint", wnp.rint, np.rint, (rn(4) * 3,), True),
    ("trunc", wnp.trunc, np.trunc, (rn(4) * 3,), True),
    ("round2", lambda x: wnp.round(x, 2), lambda x: np.round(x, 2), (rn(4),), False),
    ("cumsum", lambda x: wnp.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1), (rn(3, 4),), True),
    ("cumsum_flat", wnp.cumsum, np.cumsum, (rn(3, 4),), True),
    ("cumprod", lambda x: wnp.cumprod(x, 0), lambda x: np.cumprod(x, 0), (rn(5, 2),), True),
    ("cumprod_zero", wnp.cumprod, np.cumprod, (np.array([1.5, 0.0, 2.0, -1.0, 0.5]),), True),
    ("diff", wnp.diff, np.diff, (rn(3, 5),), True),
    ("diff2", lambda x: wnp.diff(x, 2, axis=0), lambda x: np.diff(x, 2, axis=0), (rn(5, 3),), True),
    ("diff_prepend", lambda x: wnp.diff(x, prepend=0.0), lambda x: np.diff(x, prepend=0.0), (rn(4),), True),
    ("ediff1d", wnp.ediff1d, np.ediff1d, (rn(2, 3),), True),
    ("gradient", wnp.gradient, np.gradient, (rn(6),), True),
    ("trapezoid", wnp.trapezoid, np.trapezoid, (rn(3, 6),), True),
    ("sort", lambda x: wnp.sort(x, axis=0), lambda x: np.sort(x, axis=0), (rn(4, 3),), True),
    ("sort_flat", lambda x: wnp.sort(x, axis=None), lambda x: np.sort(x, axis=None), (rn(2, 3),), True),
    ("argsort", wnp.argsort, np.argsort, (rn(3, 5),), False),
    ("searchsorted", lambda v: wnp.searchsorted(np.arange(5.0), v),
     lambda v: np.searchsorted(np.arange(5.0), v), (rn(4) * 3,), False),
    ("median", wnp.median, np.median, (rn(6),), True),
    ("median_axis", lambda x: wnp.median(x, axis=1), lambda x: np.median(x, axis=1), (rn(3, 5),), True),
    ("quantile", lambda x: wnp.quantile(x, [0.1, 0.75], axis=0),
     lambda x: np.quantile(x, [0.1, 0.75], axis=0), (rn(7, 2),), True),
    ("percentile", lambda x: wnp.percentile(x, 30), lambda x: np.percentile(x, 30), (rn(9),), True),
    ("max", lambda x: wnp.max(x, axis=1), lambda x: np.max(x, axis=1), (rn(3, 4),), True),
    ("argmax", lambda x: wnp.argmax(x, axis=0), lambda x: np.argmax(x, axis=0), (rn(3, 4),), False),
    ("nanmax", wnp.nanmax, np.nanmax, (np.array([1.0, np.nan, 3.0]),), False),
    ("nanmean", lambda x: wnp.nanmean(x, axis=0), lambda x: np.nanmean(x, axis=0),
     (np.array([[1.0, np.nan], [3.0, 4.0]]),), False),
    ("nanstd", wnp.nanstd, np.nanstd, (np.array([1.0, np.nan, 3.0, 7.0]),), False),
    ("take", lambda x: wnp.take(x, [2, 0, 2], axis=1), lambda x: np.take(x, [2, 0, 2], axis=1),
     (rn(2, 3),), True),
    ("take_flat", lambda x: wnp.take(x, [[5, 1], [0, 0]]), lambda x: np.take(x, [[5, 1], [0, 0]]),
     (rn(2, 3),), True),
    ("take_along_axis", lambda x: wnp.take_along_axis(x, np.array([[1, 0, 1]]), 0),
     lambda x: np.take_along_axis(x, np.array([[1, 0, 1]]), 0), (rn(2, 3),), True),
    ("int_array_gather", lambda x: x[np.array([0, 2]), 1:], lambda x: x[np.array([0, 2]), 1:],
     (rn(3, 3),), True),
    ("diag_vec", lambda v: wnp.diag(v, 1), lambda v: np.diag(v, 1), (rn(3),), True),
    ("diag_mat", lambda m: wnp.diag(m, -1), lambda m: np.diag(m, -1), (rn(3, 4),), True),
    ("diagonal", lambda m: wnp.diagonal(m, 0, 1, 2), lambda m: np.diagonal(m, 0, 1, 2), (rn(2, 3, 3),), True),
    ("trace", wnp.trace, np.trace, (rn(3, 3),), True),
    ("triu", lambda m: wnp.triu(m, 1), lambda m: np.triu(m, 1), (rn(2, 3, 4),), True),
    ("tril", wnp.tril, np.tril, (rn(4, 3),), True),
    ("tile", lambda x: wnp.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), (rn(2, 3),), True),
    ("repeat", lambda x: wnp.repeat(x, 2, axis=0), lambda x: np.repeat(x, 2, axis=0), (rn(2, 3),), True),
    ("repeat_counts", lambda x: wnp.repeat(x, [1, 0, 3]), lambda x: np.repeat(x, [1, 0, 3]), (rn(3),), True),
    ("roll", lambda x: wnp.roll(x, 2, axis=1), lambda x: np.roll(x, 2, axis=1), (rn(2, 5),), True),
    ("roll_flat", lambda x: wnp.roll(x, -1), lambda x: np.roll(x, -1), (rn(2, 3),), True),
    ("flip", wnp.flip, np.flip, (rn(2, 3),), True),
    ("fliplr", wnp.fliplr, np.fliplr, (rn(2, 3),), True),
    ("rot90", wnp.rot90, np.rot90, (rn(2, 3),), True),
    ("rot90_3", lambda x: wnp.rot90(x, 3), lambda x: np.rot90(x, 3), (rn(2, 3),), True),
    ("pad_constant", lambda x: wnp.pad(x, ((1, 2), (0, 1)), constant_values=3.0),
     lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=3.0), (rn(2, 3),), True),
    ("pad_edge", lambda x: wnp.pad(x, 2, mode="edge"), lambda x: np.pad(x, 2, mode="edge"), (rn(2, 3),), True),
    ("pad_reflect", lambda x: wnp.pad(x, (1, 3), mode="reflect"),
     lambda x: np.pad(x, (1, 3), mode="reflect"), (rn(4),), True),
    ("pad_symmetric", lambda x: wnp.pad(x, 2, mode="symmetric"),
     lambda x: np.pad(x, 2, mode="symmetric"), (rn(3),), True),
    ("pad_wrap", lambda x: wnp.pad(x, 2, mode="wrap"), lambda x: np.pad(x, 2, mode="wrap"), (rn(3),), True),
    ("meshgrid", lambda x, y: wnp.meshgrid(x, y), lambda x, y: np.meshgrid(x, y), (rn(3), rn(2)), True),
    ("meshgrid_ij", lambda x, y: wnp.meshgrid(x, y, indexing="ij"),
     lambda x, y: np.meshgrid(x, y, indexing="ij"), (rn(3), rn(2)), True),
    ("select", lambda x: wnp.select([x < -0.5, x > 0.5], [x * 2, x ** 2], 0.0),
     lambda x: np.select([x < -0.5, x > 0.5], [x * 2, x ** 2], 0.0), (rn(6),), True),
    ("kron", wnp.kron, np.kron, (rn(2, 3), rn(2, 2)), True),
    ("inner", wnp.inner, np.inner, (rn(2, 3), rn(4, 3)), True),
    ("outer", wnp.outer, np.outer, (rn(3), rn(2)), True),
    ("cross", wnp.cross, np.cross, (rn(4, 3), rn(3)), True),
    ("append", lambda x: wnp.append(x, [1.0, 2.0]), lambda x: np.append(x, [1.0, 2.0]), (rn(2, 2),), True),
    ("delete", lambda x: wnp.delete(x, [0, 2], axis=1), lambda x: np.delete(x, [0, 2], axis=1), (rn(2, 4),), True),
    ("atleast_2d", wnp.atleast_2d, np.atleast_2d, (rn(3),), True),
    ("atleast_3d", wnp.atleast_3d, np.atleast_3d, (rn(3, 2),), True),
    ("convolve", lambda a, v: wnp.convolve(a, v), np.convolve, (rn(5), rn(3)), True),
    ("convolve_same", lambda a, v: wnp.convolve(a, v, "same"), lambda a, v: np.convolve(a, v, "same"),
     (rn(3), rn(5)), True),
    ("correlate", wnp.correlate, np.correlate, (rn(6), rn(3)), True),
    ("cov", wnp.cov, np.cov, (rn(3, 6),), True),
    ("corrcoef", wnp.corrcoef, np.corrcoef, (rn(3, 6),), True),
    ("einsum_matmul", lambda a, b: wnp.einsum("ij,jk->ik", a, b), lambda a, b: np.einsum("ij,jk->ik", a, b),
     (rn(2, 3), rn(3, 4)), True),
    ("einsum_implicit", lambda a, b: wnp.einsum("ij,kj", a, b), lambda a, b: np.einsum("ij,kj", a, b),
     (rn(2, 3), rn(4, 3)), True),
    ("einsum_ellipsis", lambda a, b: wnp.einsum("...ij,...jk->...ik", a, b),
     lambda a, b: np.einsum("...ij,...jk->...ik", a, b), (rn(2, 1, 2, 3), rn(4, 3, 2)), True),
    ("einsum_trace", lambda a: wnp.einsum("ii", a), lambda a: np.einsum("ii", a), (rn(3, 3),), True),
    ("einsum_diag", lambda a: wnp.einsum("iji->j", a), lambda a: np.einsum("iji->j", a), (rn(3, 2, 3),), True),
    ("einsum_three", lambda a, b, c: wnp.einsum("ab,bc,cd->da", a, b, c),
     lambda a, b, c: np.einsum("ab,bc,cd->da", a, b, c), (rn(2, 3), rn(3, 4), rn(4, 2)), True),
    ("einsum_outer_sum", lambda a, b: wnp.einsum("i,j->", a, b), lambda a, b: np.einsum("i,j->", a, b),
     (rn(3), rn(2)), True),
    # complex numbers
    ("real_imag", lambda z: wnp.real(z) * wnp.imag(z), lambda z: np.real(z) * np.imag(z),
     (rn(3) + 1j * rn(3),), True),
    ("abs_complex", wnp.abs, np.abs, (rn(4) + 1j * rn(4),), True),
    ("angle", wnp.angle, np.angle, (rn(4) + 1j * rn(4),), True),
    ("conj_mul", lambda z: wnp.real(z * wnp.conj(z)), lambda z: np.real(z * np.conj(z)),
     (rn(3) + 1j * rn(3),), True),
    ("complex_exp", lambda z: wnp.exp(z * 1j), lambda z: np.exp(z * 1j), (rn(3),), True),
    # linalg
    ("inv", wnp.linalg.inv, np.linalg.inv, (well(3, (2,)),), True),
    ("det", wnp.linalg.det, np.linalg.det, (well(3),), True),
    ("slogdet", lambda a: tuple(wnp.linalg.slogdet(a)), lambda a: tuple(np.linalg.slogdet(a)), (well(3, (2,)),), True),
    ("solve_vec", wnp.linalg.solve, np.linalg.solve, (well(3), rn(3)), True),
    ("solve_mat", wnp.linalg.solve, np.linalg.solve, (well(3, (2,)), rn(2, 3, 2)), True),
    ("cholesky", wnp.linalg.cholesky, np.linalg.cholesky, (spd(3),), True),
    ("cholesky_upper", lambda a: wnp.linalg.cholesky(a, upper=True),
     lambda a: np.linalg.cholesky(a, upper=True), (spd(3),), True),
    ("eigvalsh", wnp.linalg.eigvalsh, np.linalg.eigvalsh, (spd(3),), True),
    ("svdvals", lambda a: wnp.linalg.svd(a, compute_uv=False), lambda a: np.linalg.svd(a, compute_uv=False),
     (rn(4, 3),), True),
    ("pinv", wnp.linalg.pinv, np.linalg.pinv, (rn(4, 3),), True),
    ("matrix_power", lambda a: wnp.linalg.matrix_power(a, 3), lambda a: np.linalg.matrix_power(a, 3),
     (rn(3, 3),), True),
    ("matrix_power_neg", lambda a: wnp.linalg.matrix_power(a, -2), lambda a: np.linalg.matrix_power(a, -2),
     (well(3),), True),
    ("multi_dot", lambda a, b, c: wnp.linalg.multi_dot([a, b, c]), lambda a, b, c: np.linalg.multi_dot([a, b, c]),
     (rn(2, 3), rn(3, 4), rn(4)), True),
    ("cond", wnp.linalg.cond, np.linalg.cond, (well(3),), True),
    ("lstsq", lambda a, b: wnp.linalg.lstsq(a, b)[0], lambda a, b: np.linalg.lstsq(a, b)[0], (rn(5, 3), rn(5)), True),
    ("matrix_rank", wnp.linalg.matrix_rank, np.linalg.matrix_rank, (rn(3, 2) @ rn(2, 4),), False),
    # fft
    ("fft", wnp.fft.fft, np.fft.fft, (rn(2, 5),), True),
    ("fft_n", lambda x: wnp.fft.fft(x, 8, axis=0), lambda x: np.fft.fft(x, 8, axis=0), (rn(5, 2),), True),
    ("ifft", wnp.fft.ifft, np.fft.ifft, (rn(4) + 1j * rn(4),), True),
    ("fft_ortho", lambda x: wnp.fft.fft(x, norm="ortho"), lambda x: np.fft.fft(x, norm="ortho"), (rn(4),), True),
    ("rfft", wnp.fft.rfft, np.fft.rfft, (rn(3, 6),), True),
    ("rfft_odd", lambda x: wnp.fft.rfft(x, 5), lambda x: np.fft.rfft(x, 5), (rn(7),), True),
    ("irfft", wnp.fft.irfft, np.fft.irfft, (rn(4) + 1j * rn(4),), True),
    ("irfft_odd", lambda x: wnp.fft.irfft(x, 7), lambda x: np.fft.irfft(x, 7), (rn(4) + 1j * rn(4),), True),
    ("fft2", wnp.fft.fft2, np.fft.fft2, (rn(3, 4),), True),
    ("ifft2", wnp.fft.ifft2, np.fft.ifft2, (rn(3, 4),), True),
    ("fftn", lambda x: wnp.fft.fftn(x, axes=(0, 2)), lambda x: np.fft.fftn(x, axes=(0, 2)), (rn(2, 3, 4),), True),
    ("rfftn", wnp.fft.rfftn, np.fft.rfftn, (rn(3, 4),), True),
    ("irfftn", lambda x: wnp.fft.irfftn(x, (3, 4), (0, 1)), lambda x: np.fft.irfftn(x, (3, 4), (0, 1)),
     (rn(3, 3) + 1j * rn(3, 3),), True),
    ("hfft", wnp.fft.hfft, np.fft.hfft, (rn(4) + 1j * rn(4),), True),
    ("fftshift", wnp.fft.fftshift, np.fft.fftshift, (rn(5, 4),), True),
    ("ifftshift", wnp.fft.ifftshift, np.fft.ifftshift, (rn(5, 4),), True),
    # scipy.special
    ("logsumexp", lambda x: wsp.logsumexp(x, axis=1), None, (rn(3, 4),), True),
    ("logsumexp_b", lambda x: wsp.logsumexp(x, b=np.array([1.0, 2.0, 0.5])), None, (rn(3),), True),
    ("gammaln", wsp.gammaln, None, (pos(4),), True),
    ("digamma", wsp.digamma, None, (pos(4),), True),
    ("polygamma", lambda x: wsp.polygamma(2, x), None, (pos(4),), True),
    ("erf", wsp.erf, None, (rn(4),), True),
    ("erfc", wsp.erfc, None, (rn(4),), True),
    ("erfinv", wsp.erfinv, None, (R.uniform(-0.9, 0.9, 4),), True),
    ("expit", wsp.expit, None, (rn(4) * 5,), True),
    ("logit", wsp.logit, None, (R.uniform(0.1, 0.9, 4),), True),
    ("softmax", lambda x: wsp.softmax(x, axis=-1), None, (rn(2, 4),), True),
    ("log_softmax", lambda x: wsp.log_softmax(x, axis=0), None, (rn(3, 2),), True),
    ("xlogy", wsp.xlogy, None, (rn(4), pos(4)), True),
    ("betaln", wsp.betaln, None, (pos(3), pos(3)), True),
    ("ndtr", wsp.ndtr, None, (rn(4),), True),
    ("gamma", wsp.gamma, None, (pos(3) + np.array([0.0, -3.1, -2.5]),), True),
]


def _scipy_ref(name):
    sp = pytest.importorskip("scipy.special")
    return {
        "logsumexp": lambda x: sp.logsumexp(x, axis=1),
        "logsumexp_b": lambda x: sp.logsumexp(x, b=np.array([1.0, 2.0, 0.5])),
        "polygamma": lambda x: sp.polygamma(2, x),
        "softmax": lambda x: sp.softmax(x, axis=-1),
        "log_softmax": lambda x: sp.log_softmax(x, axis=0),
    }.get(name) or getattr(sp, name)


@pytest.mark.parametrize("name,fn,ref,args,diff", CASES, ids=[c[0] for c in CASES])
def test_values_match_numpy(name, fn, ref, args, diff):
    ref = ref or _scipy_ref(name)
    want = ref(*args)
    got = traced(fn, *args)
    eager = fn(*args)
    for g in (got, eager):
        if isinstance(want, (tuple, list)):
            for a, b in zip(g, want):
                np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
        else:
            np.testing.assert_allclose(g, want, rtol=1e-7, atol=1e-9)
            assert np.shape(g) == np.shape(want)


@pytest.mark.parametrize("name,fn,ref,args,diff", [c for c in CASES if c[4]],
                         ids=[c[0] for c in CASES if c[4]])
def test_gradients_match_finite_differences(name, fn, ref, args, diff):
    check_grads(fn, args, order=2, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------- factorizations


def test_eigh_values_vectors_and_gradients():
    a = spd(3, (2,))
    w, v = traced(lambda a: tuple(wnp.linalg.eigh(a)), a)
    w0, v0 = np.linalg.eigh(a)
    np.testing.assert_allclose(w, w0)
    np.testing.assert_allclose(np.abs(v), np.abs(v0), atol=1e-10)
    # invariant functions of the vectors: projections v v^T
    check_grads(lambda a: wnp.linalg.eigh(a)[0], (a,), rtol=1e-4)
    def weighted_squares(a):
        w, v = wnp.linalg.eigh(a)
        return (v * v) @ w[..., None]

    check_grads(weighted_squares, (a,), rtol=1e-4)


def test_eigh_reads_lower_triangle_like_numpy():
    a = rn(3, 3) + 3 * np.eye(3)
    w = traced(lambda a: wnp.linalg.eigvalsh(a), a)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(a))
    np.testing.assert_allclose(traced(lambda a: wnp.linalg.eigvalsh(a, "U"), a), np.linalg.eigvalsh(a, "U"))
    sym = a + a.T + 6 * np.eye(3)
    np.testing.assert_allclose(traced(wnp.linalg.cholesky, sym - np.triu(sym, 1) + 9 * np.triu(rn(3, 3), 1)),
                               np.linalg.cholesky(sym))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_svd_and_qr(shape):
    a = rn(*shape)
    u, s, vh = traced(lambda a: tuple(wnp.linalg.svd(a, full_matrices=False)), a)
    np.testing.assert_allclose((u * s) @ vh, a, atol=1e-10)
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False))
    def sign_invariant(a):
        u, s, vh = wnp.linalg.svd(a, False)
        return (u * s[..., None, :]) @ (vh * vh)

    check_grads(sign_invariant, (a,), rtol=1e-4)
    if shape[0] >= shape[1]:
        q, r = traced(lambda a: tuple(wnp.linalg.qr(a)), a)
        q0, r0 = np.linalg.qr(a)
        np.testing.assert_allclose(q, q0)
        np.testing.assert_allclose(r, r0)
        check_grads(lambda a: tuple(wnp.linalg.qr(a)), (a,), rtol=1e-4)


NORMS = [
    (None, None), (2, None), (1, None), (np.inf, None), (-np.inf, None), (0, None), (3, None),
    (0.5, None), (-1, None), (None, 1),
]
MATRIX_NORMS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("ord,axis", NORMS)
def test_vector_norms(ord, axis):
    x = rn(3, 4) if axis is not None else rn(5)
    got = traced(lambda x: wnp.linalg.norm(x, ord, axis), x)
    np.testing.assert_allclose(got, np.linalg.norm(x, ord, axis))
    if ord != 0:
        check_grads(lambda x: wnp.linalg.norm(x, ord, axis), (x,), rtol=1e-4)


@pytest.mark.parametrize("ord", MATRIX_NORMS)
def test_matrix_norms(ord):
    x = rn(3, 4)
    for axis, keep in [(None, False), ((1, 0), True)]:
        got = traced(lambda x, axis=axis, keep=keep: wnp.linalg.norm(x, ord, axis, keep), x)
        np.testing.assert_allclose(got, np.linalg.norm(x, ord, axis, keep))
    check_grads(lambda x: wnp.linalg.norm(x, ord), (x,), rtol=1e-4)


def test_norm_gradient_at_zero_is_zero():
    np.testing.assert_array_equal(wire.grad(wnp.linalg.norm)(np.zeros(3)), np.zeros(3))


# --------------------------------------------------------------------------- semantics


def test_ties_split_evenly_in_max_and_maximum():
    g = wire.grad(lambda x: wnp.max(x))(np.array([1.0, 3.0, 3.0]))
    np.testing.assert_allclose(g, [0.0, 0.5, 0.5])
    g = wire.grad(lambda x: wnp.sum(wnp.maximum(x, 1.0)))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [0.5, 1.0])
    g = wire.grad(lambda x: wnp.min(x, axis=0).sum())(np.array([[1.0, 2.0], [1.0, 0.0]]))
    np.testing.assert_allclose(g, [[0.5, 0.0], [0.5, 1.0]])


def test_rounding_has_zero_derivative_and_predicates_are_nondifferentiable():
    x = np.array([0.3, 1.7, -2.2])
    for f in (wnp.floor, wnp.ceil, wnp.round, wnp.rint, wnp.trunc, wnp.fix):
        np.testing.assert_array_equal(wire.grad(lambda x, f=f: f(x).sum())(x), np.zeros(3))
    f = lambda x: wnp.sum(wnp.where(wnp.isnan(x) | wnp.isinf(x) | ~wnp.isfinite(x), 0.0, x))
    np.testing.assert_array_equal(wire.grad(f)(x), np.ones(3))


def test_sort_gradient_goes_through_the_permutation():
    x = np.array([3.0, 1.0, 2.0])
    g = wire.grad(lambda x: wnp.sum(wnp.sort(x) * np.array([1.0, 10.0, 100.0])))(x)
    np.testing.assert_allclose(g, [100.0, 1.0, 10.0])


def test_integer_and_boolean_arrays_flow_without_error():
    def f(x):
        idx = wnp.argsort(x)
        ranks = wnp.argsort(idx)
        counts = wnp.cumsum(x > 0)
        big = wnp.searchsorted(np.array([-1.0, 0.0, 1.0]), x)
        w = (ranks + counts + big + wnp.argmax(x)).astype(float)
        return wnp.sum(x * w) + wnp.sum(wnp.take(x, idx[:2]))

    x = rn(5)
    check_grads(f, (x,), order=1)
    ints = traced(lambda i: wnp.cumsum(i) + wnp.roll(i, 1) + wnp.sort(i), np.array([3, 1, 2]))
    np.testing.assert_array_equal(ints, np.cumsum([3, 1, 2]) + np.roll([3, 1, 2], 1) + [1, 2, 3])


def test_singular_matrix_raises_linalgerror_at_evaluation():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    g = wire.trace(lambda a: wnp.linalg.inv(a).sum(), a)  # tracing is fine
    with pytest.raises(np.linalg.LinAlgError):
        wire.evaluate(g, a)
    with pytest.raises(np.linalg.LinAlgError):
        wire.grad(lambda a: wnp.linalg.solve(a, np.ones(2)).sum())(a)
    with pytest.raises(np.linalg.LinAlgError):
        wire.grad(lambda a: wnp.linalg.cholesky(a).sum())(-np.eye(2))
    assert traced(wnp.linalg.det, a) == 0.0


def test_complex_gradient_convention_is_jax():
    z = np.array(3.0 + 4.0j)
    g = wire.grad(lambda z: wnp.abs(z) ** 2)(z)
    np.testing.assert_allclose(g, 6.0 - 8.0j)  # 2 * conj(z), as jax.grad
    g = wire.grad(lambda z: wnp.real(z * z))(z)
    np.testing.assert_allclose(g, 2 * z)  # holomorphic: f'(z)


def test_constructors_are_constants():
    assert isinstance(wnp.linspace(0, 1, 5), np.ndarray)
    assert wnp.eye(3).shape == (3, 3) and wnp.arange(4).dtype.kind == "i"
    assert wnp.zeros((2,)).sum() == 0 and wnp.ones(3).sum() == 3


def test_special_fallbacks_without_scipy(monkeypatch):
    import wire.ops.special as S

    sp = pytest.importorskip("scipy.special")
    monkeypatch.setattr(S, "_sp", None)
    x = np.array([0.3, 1.0, 4.5, 30.0])
    np.testing.assert_allclose(S._gammaln(x), sp.gammaln(x), rtol=1e-12)
    for n in range(3):
        np.testing.assert_allclose(S._polygamma(x, n=n), sp.polygamma(n, x), rtol=1e-10)
    np.testing.assert_allclose(S._erf(x), sp.erf(x), rtol=1e-12)
    np.testing.assert_allclose(S._erfinv(np.array([-0.7, 0.2])), sp.erfinv([-0.7, 0.2]), rtol=1e-10)


# --------------------------------------------------------------------------- dispatch


def test_numpy_calls_on_tracers_dispatch():
    def f(x):
        y = np.sin(x) + np.sum(x, axis=0) + x @ np.ones(3) + np.ones(3) @ x
        y = y + np.linalg.slogdet(np.outer(x, x) + np.eye(3))[1] + np.fft.fft(x).real
        y = y + np.add.reduce(x) + np.multiply.accumulate(x) + np.maximum.accumulate(x)
        y = y + np.subtract.outer(x, x).sum(axis=0) + np.logaddexp.reduce(x)
        return np.sum(y ** 2)

    x = rn(3)
    np.testing.assert_allclose(traced(f, x), f(x))
    check_grads(f, (x,), order=1)


def test_unsupported_numpy_function_names_it_and_suggests():
    # functions with no traced form name themselves, the line, and what to use instead
    with pytest.raises(wire.WireTypeError, match=r"numpy\.unique got a traced value \(at "
                       r"test_numpy_api\.py:\d+\).*shape depends on the values"):
        wire.grad(lambda x: np.unique(x).sum())(np.ones(3))
    with pytest.raises(wire.WireTypeError, match=r"numpy\.gcd got a traced value"):
        wire.jit(lambda n: np.gcd(n, 2))(np.arange(3))
    with pytest.raises(wire.WireError, match="asarray|np.array"):
        wire.grad(lambda x: np.asarray(x).sum())(np.ones(3))


# --------------------------------------------------------------------------- docs/numpy.md list


def test_docs_coverage_list_matches_generator():
    import pathlib

    from wire import catalog as _catalog

    page = (pathlib.Path(__file__).parent.parent / "docs" / "numpy.md").read_text()
    start, end = page.index(_catalog.START), page.index(_catalog.END)
    block = page[start + len(_catalog.START) + 1 : end]
    assert block == _catalog.markdown(), "regenerate with: python -m wire.catalog"


def test_functions_marked_as_a_primitive_bind_it():
    """The list's ᵖ: the function is the primitive of its name. Checked by tracing it on the
    primitive's own samples (those without params: a function's keywords differ)."""
    from wire import catalog as _catalog
    from wire.api.registry import REGISTRY

    checked = []
    for label, ns in _catalog._namespaces():
        for name in _catalog.functions(ns):
            if not _catalog.is_primitive(label, name):
                continue
            prim = REGISTRY[name]
            ops = None
            for seed in range(6):
                args, params = prim.sample(np.random.default_rng(seed))
                if params:
                    break
                try:
                    g = wire.trace(getattr(ns, name), *args)
                except wire.WireError:  # e.g. a full svd of a wide traced matrix
                    continue
                ops = {n.op for n in g.nodes}
                break
            if ops is not None:
                assert prim in ops, f"{label}.{name} does not bind the primitive {name}"
                checked.append(name)
    assert len(checked) > 50 and "signbit" in checked and "eig" in checked
    assert not _catalog.is_primitive("wire.numpy.linalg", "cond")


def test_every_public_name_is_callable_on_tracers_or_constant():
    from wire import catalog as _catalog

    assert _catalog.counts()["differentiable"] >= 150
    for label, ns in _catalog._namespaces():
        for name in _catalog.functions(ns):
            assert getattr(ns, name).__doc__, f"{label}.{name} has no docstring"


def test_vmap_of_new_functions_and_their_gradients_equals_a_loop():
    a = well(3, (4,))

    def f(a):
        return wnp.linalg.slogdet(a)[1] + wnp.sum(wnp.sort(wnp.fft.rfft(a[0]).real)) + wnp.median(
            wnp.cumprod(a[1]))

    for fn in (f, wire.grad(f)):
        got = wire.vmap(fn)(a)
        want = np.stack([fn(a[i]) for i in range(4)])
        np.testing.assert_allclose(got, want, rtol=1e-10)


# --------------------------------------------------------------------------- drop-in gaps (issue 15)


def test_lists_of_traced_values_in_array_and_reductions_match_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")

    def make(np_):
        def f(a, b):
            v = np_.array([a, b * a, 2.0])
            return (np_.mean([a, b]) + np_.sum(np_.asarray([a, b]) ** 2) + np_.std([a, b, 1.0])
                    + np_.prod(np_.array([[a, 1.0], [b, a]])) + np_.max([a, b]) * v[1])
        return f

    for args in [(0.3, -1.2), (2.0, 0.5)]:
        assert np.isclose(make(wnp)(*args), make(np)(*args))
        for k in (0, 1):
            np.testing.assert_allclose(wire.grad(make(wnp), argnums=k)(*args),
                                       autograd.grad(make(anp), k)(*args), rtol=1e-12)
    assert wire.grad(lambda a: wnp.array([a, a], ndmin=3).sum())(1.0) == 2.0
    assert wnp.array([wire.var("x", shape=())]).shape == (1,)


def test_elementwise_functions_take_lists_of_traced_values():
    f = lambda a: wnp.sum(wnp.logaddexp([a, 2 * a], 0.0) + wnp.sin([a, a]))  # noqa: E731
    check_grads(f, (0.7,), order=2)


def test_full_with_a_traced_fill_value():
    for shape, dtype in [((2, 3), None), (4, np.float32), ((), None)]:
        out = wire.jit(lambda v, shape=shape, dtype=dtype: wnp.full(shape, v, dtype))(1.5)
        want = np.full(shape, 1.5, dtype)
        np.testing.assert_array_equal(out, want)
        assert out.dtype == want.dtype
    assert wire.grad(lambda v: wnp.full((2, 3), v).sum())(1.0) == 6.0
    assert wire.grad(lambda v: wnp.full_like(np.zeros(4), v).sum())(1.0) == 4.0
    np.testing.assert_array_equal(wnp.full((2,), 3), np.full((2,), 3))


def test_linspace_logspace_geomspace_with_traced_ends():
    for a, b, n, endpoint in [(0.1, 0.7, 7, True), (-3.3, 1e3, 13, False),
                              (np.array([0.0, 1.0]), np.array([1.0, -3.0]), 9, True)]:
        got = wire.jit(lambda a, b, n=n, e=endpoint: wnp.linspace(a, b, n, endpoint=e))(a, b)
        np.testing.assert_array_equal(got, np.linspace(a, b, n, endpoint=endpoint))
    got = wire.jit(lambda a, b: wnp.linspace(a, b, 3, axis=1, retstep=True))(np.zeros(2), np.ones(2))
    want = np.linspace(np.zeros(2), np.ones(2), 3, axis=1, retstep=True)
    np.testing.assert_allclose(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1])
    np.testing.assert_allclose(wire.jit(lambda a: wnp.logspace(a, 2.0, 4))(0.5), np.logspace(0.5, 2, 4))
    np.testing.assert_allclose(wire.jit(lambda a: wnp.geomspace(a, 8.0, 4))(1.0), np.geomspace(1, 8, 4))
    check_grads(lambda a, b: wnp.linspace(a, b, 5), (0.3, 1.7), order=2)
    check_grads(lambda a, b: wnp.geomspace(a, b, 5), (0.3, 1.7), order=2)


def test_einsum_operand_sublist_form_as_autograd_tests_it():
    # autograd's test_einsum2_*: the transpose-only form used to recurse forever
    cases = [
        (rn(3, 4), [0, 1], [1, 0]), (rn(1, 1), [0, 1], [1, 0]),
        (rn(2, 3), [0, 1], rn(3, 4), [1, 2], [0, 2]), (rn(2, 3), [0, 1], rn(3, 4), [1, 2]),
        (rn(2, 2, 3), [Ellipsis, 0, 1], rn(2, 3, 4), [Ellipsis, 1, 2], [Ellipsis, 0, 2]),
        (rn(3, 4, 4), [0, 1, 2], rn(4, 4, 3), [3, 1, 0], rn(4, 4, 3), [3, 3, 0], [3, 2, 0]),
    ]
    for args in cases:
        arrays = [a for a in args if isinstance(a, np.ndarray)]

        def make(einsum, args=args):
            def f(*arrays):
                it = iter(arrays)
                return einsum(*[next(it) if isinstance(a, np.ndarray) else a for a in args])
            return f

        want = np.einsum(*args)
        np.testing.assert_allclose(make(wnp.einsum)(*arrays), want)
        np.testing.assert_allclose(traced(make(wnp.einsum), *arrays), want, rtol=1e-12)
        np.testing.assert_allclose(traced(make(np.einsum), *arrays), want, rtol=1e-12)
        check_grads(make(wnp.einsum), tuple(arrays), order=1)
    with pytest.raises(wire.WireError, match="sublist entries"):
        wire.grad(lambda a: wnp.einsum(a, [0, "i"]).sum())(np.ones((2, 2)))


def test_std_of_equal_values_has_derivative_zero_not_nan():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    for x in (np.array([2.0]), np.array([[1.5], [3.0]])):
        got = wire.grad(lambda a: wnp.sum(wnp.std(a, axis=-1)))(x)
        np.testing.assert_array_equal(got, np.zeros_like(x))
        np.testing.assert_array_equal(autograd.grad(lambda a: anp.sum(anp.std(a, axis=-1)))(x), got)
    np.testing.assert_array_equal(wire.grad(wnp.std)(np.ones(3)), np.zeros(3))
    np.testing.assert_array_equal(wire.grad(wnp.nanstd)(np.ones(3)), np.zeros(3))
    assert np.isnan(traced(wnp.std, np.array([np.nan, 1.0])))
    check_grads(wnp.std, (rn(5),), order=2)


def test_var_of_complex_input_is_real_with_a_real_tangent():
    z = rn(5) + 1j * rn(5)
    t = rn(5) + 1j * rn(5)
    out, tan = wire.jvp(wnp.var, (z,), (t,))
    assert out.dtype == np.float64 and tan.dtype == np.float64
    np.testing.assert_allclose(out, np.var(z), rtol=1e-13)
    h = 1e-6
    np.testing.assert_allclose(tan, (np.var(z + h * t) - np.var(z - h * t)) / (2 * h), rtol=1e-7)
    assert traced(lambda a: wnp.var(a, ddof=1), z) == pytest.approx(np.var(z, ddof=1), rel=1e-13)
    assert traced(wnp.std, z) == pytest.approx(np.std(z), rel=1e-13)
    # var = mean((re - mean re)^2 + (im - mean im)^2): the gradient in each part is 2 d / n
    g = wire.grad(lambda r, i: wnp.var(r + 1j * i), argnums=(0, 1))(z.real, z.imag)
    for part, gk in zip((z.real, z.imag), g):
        np.testing.assert_allclose(gk, 2 * (part - part.mean()) / 5, rtol=1e-12)


# --------------------------------------------------------------------------- JAX's keywords


def _bitwise(w, j):
    w, j = np.asarray(w), np.asarray(j)
    assert w.shape == j.shape and w.dtype == j.dtype, (w, j)
    ok = (w == j) | ((w != w) & (j != j))
    if w.dtype.kind == "f":
        ok &= np.signbit(w) == np.signbit(j)
    assert ok.all(), (w, j)


SORT_X = np.array([1.0, np.nan, -0.0, 0.0, 3.0, 1.0])


@pytest.mark.parametrize("call,want", [  # JAX's results (jax.numpy 0.10, x64)
    (lambda ns, x: ns.sort(x, descending=True), [np.nan, 3.0, 1.0, 1.0, 0.0, -0.0]),
    (lambda ns, x: ns.argsort(x, descending=True), np.array([1, 4, 0, 5, 2, 3])),
    (lambda ns, x: ns.argsort(x, descending=True, stable=False), np.array([1, 4, 5, 0, 3, 2])),
    (lambda ns, x: ns.argsort(x[:2], dtype=np.int32), np.array([0, 1], np.int32)),
    (lambda ns, x: ns.sort(ns.reshape(x, (2, 3)), axis=0, descending=True),
     [[1.0, np.nan, 1.0], [0.0, 3.0, -0.0]]),
    (lambda ns, x: ns.argsort(x[[0, 2, 4, 5]] > 0.5, descending=True), np.array([0, 2, 3, 1])),
    (lambda ns, x: ns.clip(x, min=-0.5, max=0.5), [0.5, np.nan, -0.0, 0.0, 0.5, 0.5]),
    (lambda ns, x: ns.clip(x, max=0.5), [0.5, np.nan, -0.0, 0.0, 0.5, 0.5]),
    (lambda ns, x: ns.clip(x, min=2.0), [2.0, np.nan, 2.0, 2.0, 3.0, 2.0]),
])
def test_jax_keywords_of_sort_argsort_clip(call, want):
    want = np.asarray(want) if isinstance(want, np.ndarray) else np.array(want, np.float64)
    _bitwise(call(wnp, SORT_X), want)
    _bitwise(wire.jit(lambda x: call(wnp, x))(SORT_X), want)


def test_descending_sort_derivative_and_clip_keyword_errors():
    x = np.array([1.0, 3.0, 1.0, 2.0])
    g = wire.grad(lambda v: wnp.sum(wnp.sort(v, descending=True) * wnp.arange(4.0)))(x)
    _bitwise(g, np.array([3.0, 0.0, 2.0, 1.0]))  # JAX's
    with pytest.raises(wire.WireTypeError, match="both a_min and min="):
        wnp.clip(x, 0.0, min=1.0)
    with pytest.raises(wire.WireTypeError, match="dtype must be an integer"):
        wnp.argsort(x, dtype=np.float32)


TAKE_A, TAKE_I = np.array([10.0, 11.0, 12.0]), np.array([-4, -3, -1, 0, 2, 3, 7])
GRID6 = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("call,want", [  # JAX's results (jax.numpy 0.10, x64)
    (lambda ns, a, i: ns.take(a, i, mode="fill"), [np.nan, 10, 12, 10, 12, np.nan, np.nan]),
    (lambda ns, a, i: ns.take(a, i, fill_value=-0.0), [-0.0, 10, 12, 10, 12, -0.0, -0.0]),
    (lambda ns, a, i: ns.take(a.astype(np.int8), i, mode="fill"),
     np.array([-128, 10, 12, 10, 12, -128, -128], np.int8)),
    (lambda ns, a, i: ns.take(a > 10.5, i, mode="fill"),
     np.array([True, False, True, False, True, True, True])),
    (lambda ns, a, i: ns.take(GRID6, i, axis=1, fill_value=-1),
     [[-1, 0, 2, 0, 2, -1, -1], [-1, 3, 5, 3, 5, -1, -1]]),
    (lambda ns, a, i: ns.take_along_axis(GRID6, i[None, [0, 3, 5, 2]], axis=1, mode="clip"),
     [[0, 0, 2, 2], [3, 3, 5, 5]]),
    (lambda ns, a, i: ns.take_along_axis(GRID6, i[None, [0, 3, 5, 2]], axis=1, fill_value=-1),
     [[-1, 0, -1, 2], [-1, 3, -1, 5]]),
])
def test_jax_fill_modes_of_take(call, want):
    want = np.asarray(want) if isinstance(want, np.ndarray) else np.array(want, np.float64)
    _bitwise(call(wnp, TAKE_A, TAKE_I), want)
    _bitwise(wire.jit(lambda a, i: call(wnp, a, i))(TAKE_A, TAKE_I), want)


def test_take_fill_derivative_and_errors():
    f = lambda x: wnp.sum(wnp.take(x, np.array([0, 5, 2, -1]), fill_value=0.0))  # noqa: E731
    _bitwise(wire.grad(f)(TAKE_A), np.array([1.0, 0.0, 2.0]))  # JAX's
    _bitwise(wire.jit(wire.grad(f))(TAKE_A), np.array([1.0, 0.0, 2.0]))
    with pytest.raises(wire.WireIndexError, match="empty axis"):
        wnp.take(np.zeros(0), [1], fill_value=2.0)
    with pytest.raises(wire.WireValueError, match="mode must be one of"):
        wnp.take(TAKE_A, [1], mode="promise_in_bounds")
    with pytest.raises(wire.WireValueError, match="fill_value must be a scalar"):
        wnp.take(TAKE_A, [1], fill_value=np.ones(2))


def test_jax_keywords_of_var_std_and_bincount():
    x = np.array([[1.0, 2.0, 4.0], [3.0, np.nan, 9.0]])
    m = np.nanmean(x, axis=1, keepdims=True)
    for f in (lambda v: wnp.var(v, correction=1), lambda v: wnp.std(v[0], mean=2.0, ddof=1),
              lambda v: wnp.nanvar(v, axis=1, mean=m), lambda v: wnp.nanstd(v, correction=1)):
        np.testing.assert_allclose(wire.jit(f)(x), f(x), rtol=1e-14)  # NumPy 2's on arrays
    np.testing.assert_allclose(wnp.nanvar(x, axis=1, mean=m), [1.5555555555555556, 9.0])
    with pytest.raises(wire.WireValueError, match="ddof and correction"):
        wire.jit(lambda v: wnp.var(v, ddof=1, correction=1))(x)
    # JAX's bincount(length=): bins past the end dropped, negatives in bin 0, weights' dtype
    ints = np.array([0, 1, 1, 5, -1, -3])
    for f, want in ((lambda v: wnp.bincount(v, length=3), np.array([3, 2, 0])),
                    (lambda v: wnp.bincount(v, np.arange(6.0, dtype=np.float32), length=2),
                     np.array([9.0, 3.0], np.float32))):
        _bitwise(f(ints), want)
        _bitwise(wire.jit(f)(ints), want)
    g = wire.grad(lambda w: wnp.sum(wnp.bincount(ints, w, length=2) ** 2))(np.arange(6.0))
    _bitwise(g, np.array([18.0, 6.0, 6.0, 0.0, 18.0, 18.0]))  # JAX's
    with pytest.raises(wire.WireTypeError, match="length must be a concrete int"):
        wire.jit(lambda v: wnp.bincount(v, length=v[0]))(ints)


def test_more_jax_keywords_accepted_under_jit():
    x = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    w = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    cases = [  # each against NumPy 2's own keywords (JAX's agree)
        (lambda v: wnp.average(v, axis=1, weights=w, returned=True, keepdims=True),
         np.average(x, axis=1, weights=w, returned=True, keepdims=True)),
        (lambda v: wnp.average(v, axis=0, returned=True), np.average(x, axis=0, returned=True)),
        (lambda v: wnp.count_nonzero(v > 2, axis=1, keepdims=True),
         np.count_nonzero(x > 2, axis=1, keepdims=True)),
        (lambda v: wnp.concatenate([v, v[:1].astype(np.float32)], dtype=np.float32),
         np.concatenate([x, x[:1].astype(np.float32)], dtype=np.float32)),
        (lambda v: wnp.stack([v, v], dtype=np.int32, casting="unsafe"),
         np.stack([x, x], dtype=np.int32, casting="unsafe")),
        (lambda v: wnp.vstack([v, v], dtype=np.float32), np.vstack([x, x], dtype=np.float32)),
        (lambda v: wnp.reshape(v, shape=(3, 2)), np.reshape(x, shape=(3, 2))),
        (lambda v: wnp.size(v, axis=1) + 0 * v[0, 0], np.float64(3)),
        (lambda v: wnp.sum(np.array([100, 100], np.int8) + 0 * v[0, :2].astype(np.int8),
                           promote_integers=False), np.int8(-56)),  # JAX's
        (lambda v: wnp.searchsorted(v[0], v[1], method="compare_all"),
         np.searchsorted(x[0], x[1])),
        (lambda v: wnp.isin(v, [2.0, 9.0], method="binary_search"), np.isin(x, [2.0, 9.0])),
        (lambda v: wnp.nanmedian(v, axis=1, overwrite_input=True), np.nanmedian(x, axis=1)),
    ]
    for f, want in cases:
        for got in (f(x), wire.jit(f)(x)):
            for g, e in zip(got if isinstance(want, tuple) else (got,),
                            want if isinstance(want, tuple) else (want,)):
                assert np.shape(g) == np.shape(e) and np.asarray(g).dtype == np.asarray(e).dtype
                np.testing.assert_allclose(g, e, rtol=1e-15)
    with pytest.raises(wire.WireTypeError, match="cannot cast an array of float64 to int32"):
        wire.jit(lambda v: wnp.stack([v, v], dtype=np.int32))(x)
    with pytest.raises(wire.WireValueError, match="method must be one of"):
        wnp.searchsorted(x[0], x[1], method="bisect")


def test_fill_diagonal_inplace_false_is_jaxs():
    cases = [  # (a, val, JAX's result)
        (np.zeros((3, 4)), np.array([1.0, 2.0]), [[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 1, 0]]),
        (np.zeros((3, 2)), 7.0, [[7, 0], [0, 7], [0, 0]]),
        (np.zeros((2, 2), int), 2.7, np.array([[2, 0], [0, 2]])),
    ]
    for a, v, want in cases:
        want = np.asarray(want) if isinstance(want, np.ndarray) else np.array(want, float)
        _bitwise(wnp.fill_diagonal(a, v, inplace=False), want)
        _bitwise(wire.jit(lambda a, v: wnp.fill_diagonal(a, v, inplace=False))(a, v), want)
    g = wire.grad(lambda a, v: 2 * wnp.sum(wnp.fill_diagonal(a, v, inplace=False)),
                  argnums=(0, 1))(np.ones((2, 3)), np.array([1.0, 2.0, 3.0]))
    _bitwise(g[0], np.array([[0.0, 2.0, 2.0], [2.0, 0.0, 2.0]]))  # JAX's
    _bitwise(g[1], np.array([2.0, 2.0, 0.0]))
    x = np.zeros((2, 2))
    wnp.fill_diagonal(x, 3.0)  # NumPy's in-place form on a concrete array
    _bitwise(x, np.diag([3.0, 3.0]))
    with pytest.raises(wire.WireTypeError, match="inplace=False"):
        wire.jit(lambda a: wnp.fill_diagonal(a, 1.0))(np.zeros((2, 2)))
    with pytest.raises(wire.WireValueError, match="equal dimensions"):
        wnp.fill_diagonal(np.zeros((2, 3, 3)), 1.0, inplace=False)
