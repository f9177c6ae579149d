"""``wire.numpy.fft`` traced and under ``jit`` gives NumPy's dtypes and values, writes ``out=``
where NumPy does (concrete input) and refuses it on traced input; gradients match finite
differences for every transform, norm and length."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_D = ["fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "rfftn"}
DTYPES = [np.float16, np.float32, np.float64, np.int8, np.bool_, np.complex64, np.complex128]


def _input(dtype, shape=(4, 6)):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.normal(size=shape)
    return x.astype(dtype)


def _kwargs(name):
    if name in ONE_D:
        return [{}, {"norm": "ortho"}, {"norm": "forward"}, {"n": 3}, {"n": 9}]
    return [{}, {"norm": "ortho"}, {"norm": "forward"}, {"s": (3, 5), "axes": (0, 1)}, {"s": (5, 9), "axes": (0, 1)}]


@pytest.mark.parametrize("name", ONE_D + N_D)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_traced_and_jitted_dtype_and_values_are_numpys(name, dtype):
    if name in REAL_ONLY and np.dtype(dtype).kind == "c":
        pytest.skip("NumPy 2 refuses complex input here; wire raises too (tested elsewhere)")
    x = _input(dtype)
    for kw in _kwargs(name):
        ref = getattr(np.fft, name)(x, **kw)
        jitted = wire.jit(lambda x: getattr(wnp.fft, name)(x, **kw))(x)
        traced = wire.evaluate(wire.trace(lambda x: getattr(wnp.fft, name)(x, **kw), x), x)
        tol = {np.dtype(np.float16): 3e-3, np.dtype(np.float32): 1e-4,
               np.dtype(np.complex64): 1e-4}.get(ref.dtype, 1e-12)
        for got in (jitted, traced):
            got = np.asarray(got)
            assert (got.dtype, got.shape) == (ref.dtype, ref.shape), (kw, got.dtype, ref.dtype)
            np.testing.assert_allclose(got, ref, rtol=tol, atol=10 * tol)


@pytest.mark.parametrize("name", ONE_D + N_D)
def test_out_is_written_on_concrete_input_and_refused_on_traced_input(name):
    x = _input(np.float64)
    theirs = np.zeros_like(getattr(np.fft, name)(x))
    ref = getattr(np.fft, name)(x, out=theirs)
    buf = np.zeros_like(theirs)
    got = getattr(wnp.fft, name)(x, out=buf)
    # exactly NumPy's behaviour, whatever it is (its hfft returns a new array, for one)
    assert (got is buf) == (ref is theirs)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(buf, theirs)
    with pytest.raises(wire.WireError, match="out="):
        wire.jit(lambda x: getattr(wnp.fft, name)(x, out=np.zeros_like(ref)))(x)


def _weighted(fft, real, imag, iscomplex, x, kw, weights):
    y = fft(x, **kw)
    w = weights[: y.shape[0], : y.shape[1]]
    if iscomplex(y):
        v = weights[-y.shape[0]:, -y.shape[1]:]
        return (real(y) * w).sum() + (imag(y) * v).sum()
    return (y * w).sum()


@pytest.mark.parametrize("name", ONE_D + N_D)
def test_gradients_match_finite_differences(name):
    rng = np.random.default_rng(1)
    x, weights = rng.normal(size=(3, 6)), rng.normal(size=(20, 20))
    extra = [{"axis": 0}] if name in ONE_D else [{"axes": (0,)}]
    for kw in _kwargs(name) + extra:
        def ours(x):
            return _weighted(getattr(wnp.fft, name), wnp.real, wnp.imag, wnp.iscomplexobj, x,
                             kw, weights)

        def theirs(x):
            return _weighted(getattr(np.fft, name), np.real, np.imag, np.iscomplexobj, x, kw,
                             weights)

        eps, fd = 1e-6, np.zeros_like(x)
        for i in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[i] = eps
            fd[i] = (theirs(x + e) - theirs(x - e)) / (2 * eps)
        np.testing.assert_allclose(wire.grad(ours)(x), fd, rtol=1e-6, atol=1e-6)


def test_ortho_keeps_single_precision_through_the_gradient():
    x = _input(np.float32)
    g = wire.grad(lambda x: wnp.real(wnp.fft.fft(x, norm="ortho")).sum())(x)
    assert g.dtype == np.float32


@pytest.mark.parametrize("norm", ["ortho", "forward"])
@pytest.mark.parametrize("name", ["fft", "ifft", "fftn", "ifftn", "fft2", "ifft2"])
def test_norm_scales_each_part_as_numpy_so_an_infinity_stays_finite_elsewhere(name, norm):
    # a complex product with the scale turned inf + 0.5j into inf + nanj; NumPy multiplies
    # each part by the real scale, per transformed axis: its bits, not just its values
    for dtype in (np.float64, np.complex128, np.float32, np.complex64):
        x = _input(dtype, (3, 5))
        x[0, 0] = np.inf
        ref = getattr(np.fft, name)(x, norm=norm)
        got = wire.jit(lambda x: getattr(wnp.fft, name)(x, norm=norm))(x)
        assert got.dtype == ref.dtype
        np.testing.assert_array_equal(got, ref)
        finite = np.isfinite(_input(dtype, (3, 5)))
        assert np.isfinite(ref.imag[finite]).any()


@pytest.mark.parametrize("name", ONE_D + N_D)
def test_bad_lengths_axes_and_norms_raise_numpys_error_classes(name):
    one_d = name in ONE_D
    f = lambda **kw: wire.jit(lambda x: getattr(wnp.fft, name)(x, **kw))  # noqa: E731
    empty = np.zeros((0,) if one_d else (0, 3))
    with pytest.raises(ValueError):
        getattr(np.fft, name)(empty)
    with pytest.raises(wire.WireError) as err:
        f()(empty)
    assert isinstance(err.value, ValueError)
    with pytest.raises(ValueError):
        wire.jit(lambda x: getattr(wnp.fft, name)(x, norm="bogus"))(np.ones((4, 4)))
    if one_d:
        with pytest.raises(IndexError):
            np.fft.fft(np.ones(4), axis=1)
        with pytest.raises(wire.WireError) as err:
            f(axis=1)(np.ones(4))
    else:  # the default axes (-2, -1) of a 1-D array: NumPy refuses, wire used to wrap them
        with pytest.raises(IndexError):
            getattr(np.fft, name)(np.ones(4), axes=(-2, -1))
        with pytest.raises(wire.WireError) as err:
            f(axes=(-2, -1))(np.ones(4))
    assert isinstance(err.value, IndexError)
