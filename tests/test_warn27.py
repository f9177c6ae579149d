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


@pytest.mark.parametrize("kind", list(_calls()))
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
