"""wire.numpy.fft and wire.numpy.linalg on traced values against NumPy's (values, dtypes,
shapes, refusals) and JAX's / finite differences (derivatives): repeated axes, ``s`` with
``-1``, mismatched ``s`` and ``axes``, ..."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from finite_differences import fd_grad

RNG = np.random.default_rng(31)
M = RNG.standard_normal((3, 4))
MC = M + 1j * RNG.standard_normal((3, 4))


# --------------------------------------------------------------------------- fft: axes and s


@pytest.mark.parametrize("fn, s, axes", [
    ("fftn", None, (0, 0)), ("ifftn", None, (1, -1)), ("fftn", (2, 3), (1, 1)),
    ("ifftn", (5, 2), (0, 0)), ("fftn", (2, 5, 3), (1, 0, 1)),
    # the real transforms' complex part (their values are NumPy's own; the derivative is not)
    ("rfftn", (2, 5, 3), (0, 0, 1)), ("irfftn", (2, 5, 3), (1, 1, 0))])
def test_fftn_repeated_axis_transforms_once_per_mention(fn, s, axes):
    # NumPy transforms a repeated axis once per mention (with its own crop/pad); wire
    # transformed it once (fftn(m, axes=(0, 0)) was fftn(m, axes=(0,)))
    x = MC if fn == "irfftn" else M
    want = getattr(np.fft, fn)(x, s, axes)
    f = lambda x: getattr(wnp.fft, fn)(x, s, axes)  # noqa: E731
    got = wire.jit(f)(x)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(wire.vmap(f)(np.stack([x, 2 * x]))[1], 2 * want,
                               rtol=1e-12, atol=1e-12)
    # the derivative of NumPy's function (the real part; the imaginary one for the complex)
    w = RNG.standard_normal(want.shape)
    loss = lambda x: wnp.sum(wnp.real(f(x)) * w + wnp.imag(f(x)) * w)  # noqa: E731
    ref = lambda x: np.sum(np.real(getattr(np.fft, fn)(x, s, axes)) * w  # noqa: E731
                           + np.imag(getattr(np.fft, fn)(x, s, axes)) * w)
    np.testing.assert_allclose(wire.grad(loss)(M), fd_grad(ref, M), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn", ["fftn", "ifftn", "fft2"])
def test_fft_s_and_axes_of_different_lengths_raise(fn):
    # NumPy: "Shape and axes have different lengths."; wire dropped the extra axis
    # (fft2(m, s=(5,)) transformed the last axis only, padded to 5)
    x = M
    with pytest.raises(ValueError):
        getattr(np.fft, fn)(x, (5,), (0, 1))
    with pytest.raises(wire.WireError, match="different lengths"):
        wire.jit(lambda x: getattr(wnp.fft, fn)(x, (5,), (0, 1)))(x)


@pytest.mark.parametrize("fn, s", [(fn, s) for fn in ("fftn", "ifftn", "rfftn", "irfftn")
                                   for s in ((-1, 6), (3, -1))] + [("irfftn", (None, None))])
def test_fft_s_minus_one_is_the_axis_length(fn, s):
    # NumPy's s[i] == -1 takes axis i whole (None, deprecated: the default length, 2 (m - 1)
    # for irfftn's last); wire raised 'invalid number of data points -1'
    x = MC if fn == "irfftn" else M
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        want = getattr(np.fft, fn)(x, s, (0, 1))
    got = wire.jit(lambda x: getattr(wnp.fft, fn)(x, s, (0, 1)))(x)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fftn_without_axes_returns_the_input(dtype):
    # NumPy transforms nothing and returns the array as it is (float stays float); wire
    # returned it cast to complex
    x = M.astype(dtype)
    for fn in ("fftn", "ifftn"):
        want = getattr(np.fft, fn)(x, axes=())
        got = wire.jit(lambda x: getattr(wnp.fft, fn)(x, axes=()))(x)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fn, n, norm", [("fft", 3, "ortho"), ("fft", 7, "forward"),
                                         ("ifft", 3, None), ("ifft", 5, "ortho")])
def test_fft_of_float16_scales_as_numpy(fn, n, norm):
    # NumPy rounds the 1/n (1/sqrt(n)) scale of a float16 input to float16: fft(x, 3,
    # norm='ortho')[0] of [1, 2, 3, 4] is 3.4628906 (wire's traced value was 3.4641016)
    x = np.arange(1, 5, dtype=np.float16)
    want = getattr(np.fft, fn)(x, n, norm=norm)
    got = wire.jit(lambda x: getattr(wnp.fft, fn)(x, n, norm=norm))(x)
    assert got.dtype == want.dtype == np.complex64
    np.testing.assert_array_equal(got, want)
    g = wire.grad(lambda x: wnp.sum(wnp.real(getattr(wnp.fft, fn)(x, n, norm=norm))))(x)
    assert g.dtype == np.float16


# --------------------------------------------------------------------------- linalg norms


@pytest.mark.parametrize("ord", [2, 1, 0, -1, 3, np.inf, -np.inf])
def test_vector_norm_over_no_axes_is_elementwise(ord):
    # NumPy: each entry its own vector (|x|, or x != 0 for ord=0); wire raised 'improper
    # number of dimensions to norm'
    x = np.array([[-2.0, 0.0, 3.0], [0.5, -0.0, -1.0]])
    with np.errstate(divide="ignore"):  # (ord=-1 of 0: 1 / 0 on the way to 0)
        want = np.linalg.vector_norm(x, axis=(), ord=ord)
        got = wire.jit(lambda x: wnp.linalg.vector_norm(x, axis=(), ord=ord))(x)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fn", ["fftshift", "ifftshift"])
def test_fftshift_of_a_numpy_integer_axis(fn):
    # NumPy takes axes=np.int64(0) as one axis; wire raised "'numpy.int64' object is not
    # iterable"
    want = getattr(np.fft, fn)(M, np.int64(0))
    np.testing.assert_array_equal(wire.jit(lambda x: getattr(wnp.fft, fn)(x, np.int64(0)))(M),
                                  want)


def test_matrix_rank_hermitian_counts_eigenvalues_as_numpy():
    # NumPy's hermitian rank counts |eigvalsh(a)| above the cutoff; wire counted singular
    # values, which differ in the last bits: this symmetric rank-1 matrix's small eigenvalue
    # is 1.1e-18 (below the cutoff 1.2e-18), its small singular value 1.4e-18 (above): wire's
    # rank was 2, NumPy's 1
    a = np.array([[0.0014513484629208237, 0.0013096462950533574],
                  [0.0013096462950533574, 0.0011817791949806594]])
    assert np.linalg.matrix_rank(a, hermitian=True) == 1
    f = lambda a: wnp.linalg.matrix_rank(a, hermitian=True)  # noqa: E731
    assert wire.jit(f)(a) == 1
    np.testing.assert_array_equal(wire.vmap(f)(np.stack([a, np.eye(2)])), [1, 2])


@pytest.mark.parametrize("rcond", [-1, 0, 2])
def test_lstsq_rcond_outside_0_1_is_machine_precision(rcond):
    # LAPACK's gelsd takes rcond <= 0 or >= 1 (NumPy's legacy rcond=-1) as 2**-53: NumPy's
    # rank of this rank-1 matrix is 1; wire counted s > rcond * max(s): 2 (rcond=2: 0), and
    # x's gradient kept the 8.9e-16 singular value (entries 4.6e29)
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    b = np.array([1.0, 0.0, 1.0])
    x, _, rank, s = np.linalg.lstsq(a, b, rcond=rcond)
    got = wire.jit(lambda a: wnp.linalg.lstsq(a, b, rcond=rcond))(a)
    assert int(got[2]) == rank == 1
    np.testing.assert_array_equal(got[0], x)
    assert np.isnan(got[1]).all()  # rank-deficient: NumPy has no residuals
    loss = lambda rc: lambda a: wnp.sum(wnp.linalg.lstsq(a, b, rcond=rc)[0])  # noqa: E731
    np.testing.assert_allclose(wire.grad(loss(rcond))(a), wire.grad(loss(None))(a), rtol=1e-12)
    # a full-rank matrix: NumPy's x, and the derivative of NumPy's function
    full = a + np.array([[0.0, 0.5], [0.0, 0.0], [0.0, -0.5]])
    np.testing.assert_array_equal(wire.jit(lambda a: wnp.linalg.lstsq(a, b, rcond=rcond))(full)[0],
                                  np.linalg.lstsq(full, b, rcond=rcond)[0])
    np.testing.assert_allclose(
        wire.grad(loss(rcond))(full),
        fd_grad(lambda a: np.sum(np.linalg.lstsq(a, b, rcond=rcond)[0]), full), rtol=1e-6)


@pytest.mark.parametrize("driver, cond, rank", [(None, -1, 1), ("gelsd", 0, 1), ("gelss", -1, 1)])
def test_scipy_lstsq_cond_machine_precision(driver, cond, rank):
    # the same LAPACK rule in wire.scipy.linalg.lstsq: rank 2 and a gradient of 4.6e29
    sl = pytest.importorskip("scipy.linalg")
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    b = np.array([1.0, 0.0, 1.0])
    want = sl.lstsq(a, b, cond=cond, lapack_driver=driver)
    f = lambda c: lambda a: wire.scipy.linalg.lstsq(a, b, cond=c, lapack_driver=driver)  # noqa
    got = wire.jit(f(cond))(a)
    assert int(got[2]) == want[2] == rank
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    loss = lambda c: lambda a: wnp.sum(f(c)(a)[0])  # noqa: E731
    np.testing.assert_allclose(wire.grad(loss(cond))(a), wire.grad(loss(None))(a), rtol=1e-9)


def test_scipy_lstsq_default_cond_of_float32_a_with_float64_b():
    # SciPy solves in float64 with float64's eps as the cutoff; wire took a's float32 eps:
    # the 5e-8 singular value was dropped (rank 3, SciPy's 4)
    sl = pytest.importorskip("scipy.linalg")
    a = np.diag([1.0, 0.5, 1.5e-7, 5e-8]).astype(np.float32)
    b = np.ones(4)
    want = sl.lstsq(a, b)
    got = wire.jit(lambda a: wire.scipy.linalg.lstsq(a, b))(a)
    assert int(got[2]) == want[2] == 4
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
