"""Two drop-in gaps. NumPy's floating-point warnings raised while wire computes a user's call
(eager ``wire.numpy``/``wire.scipy``, ``wire.evaluate``, eager ``grad``/``vjp``, ``jit``) name
the user's line, with NumPy's message and category, once per line, under the user's filters
and ``np.errstate``. And ``wire.linear_transpose`` through the real FFTs (``rfft``, ``irfft``,
``rfftn``, ``irfftn``, ``hfft``, ``ihfft`` and what is built on them, ``fftconvolve``): JAX's
values and dtypes, and the dot-product identity."""

import inspect
import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy as wsp
from oracles import jax_x64, random_array

NEG = np.array([-1.0])
ZERO = np.array([0.0])


def _numpys_message(fn, *args):
    """The message NumPy's own ``fn`` warns with on ``args``."""
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        fn(*args)
    (w,) = got
    return w.category, str(w.message)


def _line():
    """The line of the caller that calls this."""
    return inspect.currentframe().f_back.f_lineno


def _host(v):
    return np.log(v)


_HOST_LINE = inspect.getsourcelines(_host)[1] + 1


# --------------------------------------------------------------------------- NumPy's warnings


def _calls():
    log_sum = lambda x: wnp.sum(wnp.log(x))  # noqa: E731
    graph = wire.trace(wnp.log, NEG)
    jitted = wire.jit(lambda x: wnp.log(x) * 2.0)
    with np.errstate(all="ignore"):
        _, pullback = wire.vjp(wnp.log, ZERO)
    return {  # each: (the call, the array NumPy computes the warning's function on)
        "eager": (lambda: wnp.log(NEG), (np.log, NEG)),
        "evaluate": (lambda: wire.evaluate(graph, NEG), (np.log, NEG)),
        "jit": (lambda: jitted(NEG), (np.log, NEG)),
        "grad": (lambda: wire.grad(log_sum)(ZERO), (np.log, ZERO)),
        "pullback": (lambda: pullback(np.ones(1)), (np.divide, 1.0, ZERO)),
        "scipy": (lambda: wsp.linalg.expm(np.array([[1000.0]])), (np.exp, np.array([1000.0]))),
    }


@pytest.mark.parametrize("kind", ["eager", "evaluate", "jit", "grad", "pullback", "scipy"])
def test_numpys_warning_names_the_users_line(kind):
    # was wire's (or SciPy's) file: .../wire/core/evaluate.py:162, <wire.jit compiled>:4,
    # .../wire/numpy/_signatures.py:11, .../scipy/linalg/_matfuncs.py:321
    call, (np_fn, *np_args) = _calls()[kind]
    category, message = _numpys_message(np_fn, *np_args)
    line = call.__code__.co_firstlineno  # the lambda's line calls wire
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        call()
    assert [(w.category, str(w.message), w.filename, w.lineno) for w in got][:1] == [
        (category, message, __file__, line)]
    assert {(w.filename, w.lineno) for w in got} == {(__file__, line)}


def test_once_per_line_as_numpy_does():
    # Python's default filter shows a warning once per location: once per line of the user's
    # (was once for all of them: the location was wire's one line)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("default")
        for _ in range(3):
            wnp.log(NEG); first = _line()  # noqa: E702
        wnp.log(NEG); second = _line()  # noqa: E702
        np.log(NEG); third = _line()  # noqa: E702
    assert [(w.lineno, str(w.message)) for w in got] == [
        (line, "invalid value encountered in log") for line in (first, second, third)]


def test_the_users_error_state_and_filters_hold():
    state = np.geterr()
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            wnp.log(np.array([-1.0, 0.0]))
            wire.jit(wnp.log)(np.array([-1.0, 0.0]))
        with np.errstate(divide="ignore"):  # the other modes warn still, at the user's line
            wnp.log(np.array([-1.0, 0.0])); line = _line()  # noqa: E702
        with np.errstate(invalid="raise"):
            with pytest.raises(FloatingPointError, match="invalid value encountered in log"):
                wnp.log(NEG)
            wnp.log(ZERO); zero_line = _line()  # noqa: E702
        # a pure_callback's own NumPy call warns at its line, as NumPy does
        wire.jit(lambda x: wire.pure_callback(_host, wire.ShapeDtypeStruct((1,), float), x))(NEG)
    assert [(w.filename, w.lineno, str(w.message)) for w in got] == [
        (__file__, line, "invalid value encountered in log"),
        (__file__, zero_line, "divide by zero encountered in log"),
        (__file__, _HOST_LINE, "invalid value encountered in log")]
    assert np.geterr() == state
    with warnings.catch_warnings():  # a filter on the user's module applies (was wire's)
        warnings.filterwarnings("error", category=RuntimeWarning, module=__name__)
        with pytest.raises(RuntimeWarning, match="invalid value encountered in log"):
            wnp.log(NEG)
        with pytest.raises(RuntimeWarning, match="divide by zero encountered in divide"):
            wire.grad(lambda x: wnp.sum(wnp.sqrt(x)))(ZERO)
    assert np.geterr() == state


# --------------------------------------------------------------------------- linear_transpose






FFTS = [  # (name, keywords, argument's shape, dtype)
    ("rfft", {}, (5,), np.float64),
    ("rfft", {"n": 8, "norm": "ortho"}, (5,), np.float64),
    ("rfft", {"n": 3, "axis": 0, "norm": "forward"}, (6, 2), np.float64),
    ("rfft", {}, (6,), np.float32),
    ("irfft", {"n": 7, "norm": "ortho"}, (4,), np.complex128),
    ("irfft", {"axis": 0}, (3, 2), np.complex64),
    ("irfft", {"n": 6}, (4,), np.float64),  # a real argument: a real cotangent
    ("rfft2", {"norm": "ortho"}, (2, 4, 5), np.float64),
    ("irfftn", {"s": (4, 5), "axes": (0, 1)}, (4, 3), np.complex128),
    ("hfft", {"n": 7, "norm": "ortho"}, (4,), np.complex128),
    ("ihfft", {"n": 5}, (6,), np.float64),
]


@pytest.mark.parametrize("name, kw, shape, dtype", FFTS)
def test_linear_transpose_of_the_real_ffts_is_jaxs(name, kw, shape, dtype):
    # was NonDifferentiableError "... applies 'custom_jvp_call' ...": NumPy computes their
    # values, wire's composition of fft their derivatives, and the transpose is that one's
    jax = jax_x64()
    rng = np.random.default_rng(27)
    x = random_array(rng, shape, dtype)
    f = lambda v: getattr(wnp.fft, name)(v, **kw)  # noqa: E731
    y = np.asarray(f(x))
    ct = random_array(rng, y.shape, y.dtype)
    (got,) = wire.linear_transpose(f, x)(ct)
    (want,) = jax.linear_transpose(lambda v: getattr(jax.numpy.fft, name)(v, **kw),
                                   jax.numpy.asarray(x))(jax.numpy.asarray(ct))
    want = np.asarray(want)
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
    tol = 1e-5 if np.finfo(dtype).bits <= 32 or np.dtype(dtype) == np.complex64 else 1e-13
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())
    # <T(ct), x> = Re <ct, f(x)>, paired as JAX pairs complex values (no conjugate)
    lhs, rhs = np.real(np.sum(got * x)), np.real(np.sum(ct * y))
    assert abs(lhs - rhs) <= tol * (np.abs(got).sum() * np.abs(x).max() + 1)


def test_linear_transpose_through_what_the_real_ffts_make():
    jax = jax_x64()
    jnp = jax.numpy
    rng = np.random.default_rng(28)
    x, kernel, ct = rng.standard_normal(5), rng.standard_normal(3), rng.standard_normal(7)
    (got,) = wire.linear_transpose(lambda v: wsp.signal.fftconvolve(v, kernel), x)(ct)
    (want,) = jax.linear_transpose(lambda v: jax.scipy.signal.fftconvolve(v, kernel), x)(ct)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)
    X = rng.standard_normal((3, 4))
    CT = random_array(rng, (3, 3), np.complex128)
    want = np.asarray(jax.linear_transpose(jax.vmap(jnp.fft.rfft), X)(CT)[0])
    np.testing.assert_allclose(wire.linear_transpose(wire.vmap(wnp.fft.rfft), X)(CT)[0], want,
                               rtol=1e-13)  # through vmap's rule
    rows_t = wire.linear_transpose(wnp.fft.rfft, X[0])
    np.testing.assert_allclose(wire.jit(wire.vmap(lambda c: rows_t(c)[0]))(CT), want, rtol=1e-13)
    summed = lambda v: wire.scan(  # noqa: E731
        lambda c, r: (c + 2.0 * wnp.fft.rfft(r), None), wnp.zeros(3, complex), v)[0]
    np.testing.assert_allclose(wire.linear_transpose(summed, X)(CT[0])[0],
                               np.broadcast_to(2.0 * want[0], X.shape), rtol=1e-13)
    # still refused where it is not linear: the message names the operation, not the FFT
    for f, op in [(lambda v: wnp.abs(wnp.fft.rfft(v)), "hypot"),
                  (lambda v: wnp.fft.rfft(v) * wnp.fft.rfft(v), "mul"),
                  (lambda v: wnp.fft.irfft(wnp.fft.rfft(v) * wnp.fft.rfft(v)), "mul")]:
        with pytest.raises(wire.NonDifferentiableError, match=f"applies '{op}'"):
            wire.linear_transpose(f, x)
    # a user's custom_jvp is transposed by neither: its rule may be anything (here a
    # straight-through estimator's, linear in the tangent for a function that is not)
    ste = wire.custom_jvp(lambda v: wnp.round(v))
    ste.defjvp(lambda p, t: (ste(p[0]), t[0]))
    with pytest.raises(wire.NonDifferentiableError, match="custom_jvp_call"):
        wire.linear_transpose(ste, x)
