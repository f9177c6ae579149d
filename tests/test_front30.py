"""The short ways of ``wire.numpy`` calls on traced values give what the long ones give:
a front leaving out the function's own parameters at their defaults (``sum(a)``), the
deferring form and the fronts calling the function behind ``strong_result`` themselves,
``x ** k`` of a float array and a Python int straight to ``integer_pow``, and the user's
line found by the instruction a frame is at. Each against NumPy on the same values (dtypes,
weak types, errors and the lines they name)."""

import functools
import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from oracles import close
from wire.numpy._signatures import adapt

F32 = np.float32


def _reductions():
    """(name, call) pairs: the defaults (the short call) and each parameter set (the long)."""
    m = np.array([[True, False, True], [False, True, True]])
    return [
        ("sum", lambda a: wnp.sum(a)), ("sum axis", lambda a: wnp.sum(a, axis=0)),
        ("sum keepdims", lambda a: wnp.sum(a, keepdims=True)),
        ("sum dtype", lambda a: wnp.sum(a, dtype=np.float32)),
        ("sum where", lambda a: wnp.sum(a, where=m)),
        ("sum initial", lambda a: wnp.sum(a, initial=2.5)),
        ("sum axis=-1 positional", lambda a: wnp.sum(a, -1)),
        ("mean", lambda a: wnp.mean(a)), ("mean axis", lambda a: wnp.mean(a, 1)),
        ("max", lambda a: wnp.max(a)), ("amax axis", lambda a: wnp.amax(a, axis=1)),
        ("prod keepdims", lambda a: wnp.prod(a, axis=1, keepdims=True)),
        ("var ddof", lambda a: wnp.var(a, ddof=1)), ("std", lambda a: wnp.std(a)),
    ]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_reductions_with_and_without_parameters_traced_as_numpy(dtype):
    """Under ``jit`` and in an eager ``grad`` trace, each call's value and dtype are NumPy's:
    a parameter given is never left out (the short call is taken at the defaults only)."""
    a = np.array([[1.5, -0.0, 2.0], [np.inf, 3.0, -1.25]], dtype)[:, :3]
    a[1, 0] = 4.0
    for name, call in _reductions():
        want = call(a)  # (on NumPy arrays: NumPy's own function)
        got = wire.jit(call)(a)
        assert got.dtype == np.asarray(want).dtype and got.shape == np.shape(want), name
        close(got, want, rtol=1e-3 if dtype is np.float16 else 1e-6)
        seen = []
        wire.grad(lambda x: (seen.append(call(x)), wnp.sum(x))[1])(a.astype(np.float64))
        assert seen[0].dtype == np.asarray(call(a.astype(np.float64))).dtype, name


def test_a_front_passes_a_parameter_whose_layers_default_differs():
    """A front leaves a parameter out only where every layer behind it has the same
    default: here the layer's ``axis=None`` means 5, the function's own default 0, and the
    front's call at the default must reach the function as 0."""
    def own(a, axis=0):
        return axis

    @functools.wraps(own)
    def layer(a, axis=None):
        return own(a, 5 if axis is None else axis)

    def np_like(a, axis=None, keepdims=False):
        return a

    front = adapt("own", layer, np_like)
    assert front(object()) == 0 and front(object(), 3) == 3
    same = adapt("own", own, np_like)  # (no layer: left out, the same default)
    assert same(object()) == 0 and same(object(), axis=2) == 2


def test_a_front_never_passes_over_a_layer_wrapping_a_deferring_form():
    """The front calls past the deferring form only where it holds the deferring form
    itself: a layer made with ``functools.wraps`` around one (which copies its attributes)
    is called."""
    from wire.numpy._deferring import deferring

    def inner(a, axis=None):
        return a * 2.0

    d = deferring(inner)

    @functools.wraps(d)
    def layer(a, axis=None):
        return d(a, axis) + 1.0

    def np_like(a, axis=None, keepdims=False):
        return a

    front = adapt("inner", layer, np_like)
    x = np.array([1.0, -2.0])
    close(wire.jit(front)(x), 2.0 * x + 1.0)
    close(wire.grad(lambda t: wnp.sum(front(t) * t))(x), 4.0 * x + 1.0)


def test_a_shapeless_value_keeps_the_deferred_description():
    """The deferring form names a deferred node by the arguments it is given: a front's
    call on a ``wire.var`` of unknown shape passes them all, as before (never the short
    call, whose node would be named ``sum(...)``), and the value is made once fed."""
    v = wire.var("v")
    full = wnp.sum.__wrapped__.__wrapped__  # the deferring form, behind entry and front
    want = full(v, None, None, out=None, keepdims=False, initial=None, where=True,
                promote_integers=True)
    got = wnp.sum(v)
    assert repr(got.node.params["fn"]) == repr(want.node.params["fn"])
    assert wire.evaluate(got, {v: np.arange(4.0)}) == 6.0


@pytest.mark.parametrize("fn", [wnp.sum, wnp.tanh, wnp.mean, wnp.exp])
def test_results_of_python_scalar_arguments_are_strongly_typed(fn):
    """A Python float argument of ``jit`` is weakly typed; ``wnp`` functions' results are
    not (NumPy's ``np.tanh(1.0)`` is a float64 scalar): plus a float32 array, float64. The
    deferring form (``sum``, ``mean``) and the fronts (``tanh``, ``exp``) make it so."""
    x = np.ones(2, F32)
    want = fn(0.5) + x
    got = wire.jit(lambda s, x: fn(s) + x)(0.5, x)
    assert want.dtype == got.dtype == np.float64
    close(got, want)
    # Python's own arithmetic stays weak: s * 2.0 + float32 is float32, as in NumPy
    assert wire.jit(lambda s, x: s * 2.0 + x)(0.5, x).dtype == F32


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.complex128])
def test_integer_powers_as_numpy(dtype):
    """``x ** k`` and ``wnp.power(x, k)`` of a traced array and a Python int: NumPy's values
    and dtypes (the short way for real floats), signed zeros, infinities and NaN included;
    complex ``x ** 2`` is NumPy's ``x * x`` (not the short way); the derivative ``k x^(k-1)``."""
    x = np.array([1.5, -0.0, 0.0, -2.0, np.inf, -np.inf, np.nan, 3.0], dtype)
    if dtype is np.complex128:
        x = x + np.array([0.5, 0.0, -0.0, 1.0, 0.0, 1.0, 0.0, -2.0]) * 1j
    for k in (2, 3, 1, 0, -1, -2, 7, 2**40):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for f, want in ((lambda t: t ** k, x ** k), (lambda t: wnp.power(t, k),
                                                         np.power(x, k))):
                got = wire.jit(f)(x)
                assert got.dtype == want.dtype, (k, dtype)
                np.testing.assert_array_equal(np.signbit(got.real), np.signbit(want.real))
                np.testing.assert_allclose(got, want, rtol=1e-3 if dtype is np.float16
                                           else 1e-13)
    if dtype is np.float64:
        pts = np.array([0.5, -1.5, 2.0])
        for k in (2, 3, -1):
            close(wire.grad(lambda t: wnp.sum(t ** k))(pts), k * pts ** (k - 1))


def test_weak_base_to_an_int_power_stays_weak():
    """A Python-float argument to a Python-int power stays weakly typed (``s ** 2`` is a
    Python float): plus a float32 array, float32, as in NumPy."""
    x = np.ones(2, F32)
    got = wire.jit(lambda s, x: s ** 2 + x)(1.5, x)
    assert got.dtype == (1.5 ** 2 + x).dtype == F32
    close(got, 1.5 ** 2 + x)


def test_errors_name_each_call_s_own_line():
    """The user's line is found by the instruction the frame is at: one function failing at
    two lines, in turn, names each its own (a line found before is not given for another)."""
    def f(x, which):
        if which == 0:
            return x @ np.ones((5, 2))  # line A
        return x @ np.ones((6, 2))  # line B
    line_a = f.__code__.co_firstlineno + 2
    for which in (0, 1, 0, 1):
        with pytest.raises(wire.ShapeError) as info:
            wire.grad(lambda x: wnp.sum(f(x, which)))(np.ones(3))
        assert f"test_front30.py:{line_a + which}" in str(info.value)


def test_eager_trace_records_each_line():
    """An eager trace records each node's line; two calls of one function from two lines
    give two graphs whose errors (debug_nans) name the line of the call that made the NaN."""
    def g(x, bad):
        y = wnp.log(x)  # line C
        z = wnp.sqrt(x - bad)  # line D
        return wnp.sum(y + z)
    line_c = g.__code__.co_firstlineno + 1
    with wire.debug_nans(), np.errstate(invalid="ignore", divide="ignore"):
        for x, bad, line in ((np.array([-1.0]), 0.0, line_c), (np.array([1.0]), 2.0, line_c + 1),
                             (np.array([-1.0]), 0.0, line_c)):
            with pytest.raises(wire.WireError) as info:
                wire.grad(g)(x, bad)
            assert f"test_front30.py:{line}" in str(info.value), str(info.value)


def test_integer_and_boolean_bases_keep_numpy_s_rules():
    """Not the short way: an integer base keeps NumPy's dtype and refuses a negative power
    (NumPy's ValueError), a boolean squares as int8 (``np.square``)."""
    for x, k in ((np.arange(3, dtype=np.uint8), 2), (np.arange(3), 3), (np.array([True, False]), 2)):
        for f, want in ((lambda t: t ** k, x ** k), (lambda t: wnp.power(t, k), np.power(x, k))):
            got = wire.jit(f)(x)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError):
        np.arange(3) ** -1
    for f in (lambda t: t ** -1, lambda t: wnp.power(t, -1)):
        with pytest.raises(wire.WireValueError, match="negative integer powers"):
            wire.jit(f)(np.arange(3))


def test_lists_of_traced_values_and_0d_axes_in_reductions():
    """``ufunc_axis`` calls the function behind ``lifting`` at once for an array, and
    ``lifting`` itself for a list or tuple (stacked, as ``np.sum([a, b])``); a 0-d operand's
    ``axis=0`` is no axis, as NumPy's ufunc reductions take it."""
    a, b = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    for name in ("sum", "max", "prod", "cumsum", "argmin", "nanmax"):
        fn = getattr(wnp, name)
        for call in (lambda u, v: fn([u, v]), lambda u, v: fn((u, v), axis=0),
                     lambda u, v: fn([u, v], 1), lambda u, v: fn(u[0], axis=0),
                     lambda u, v: fn(u[0], -1)):
            want = call(a, b)
            got = wire.jit(call)(a, b)
            assert got.dtype == np.asarray(want).dtype, name
            np.testing.assert_array_equal(got, want)
    close(wire.grad(lambda u, v: wnp.sum(wnp.prod([u, v], axis=0)))(a, b), b)


def test_python_float_operands_are_constants_of_their_own_bits():
    """``bind`` makes a Python float operand its constant at once: ``0.0`` and ``-0.0`` stay
    two constants (``-0.0 + 0.0`` is ``0.0``, ``-0.0 + -0.0`` is ``-0.0``), NaN and infinities
    pass, a float32 tracer stays float32 (the float is weakly typed), and floats alone are
    computed at once, as NumPy computes them."""
    from wire.ops import elementwise as E

    x = np.array([-0.0, 1.5, np.inf])
    for c in (0.0, -0.0, np.nan, -np.inf, 2.5):
        for f in (lambda t: t + c, lambda t: c * t, lambda t: t - c):
            with np.errstate(all="ignore"):
                want = f(x)
                got = wire.jit(f)(x)
                np.testing.assert_array_equal(got, want)
                np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
                assert wire.jit(f)(x.astype(F32)).dtype == F32
    seen = []
    wire.grad(lambda t: (seen.append(t + -0.0), wnp.sum(t * 2.0))[1])(x[:1])
    assert seen[0].node.inputs[1].params["value"].array.tobytes() == np.float64(-0.0).tobytes()
    for out, want in ((E.add(1.5, 2.0), np.add(1.5, 2.0)), (E.mul(-0.0, 3.0), np.multiply(-0.0, 3.0))):
        assert type(out) is type(want) and out == want and np.signbit(out) == np.signbit(want)


def test_deferring_functions_on_traced_operands_called_from_the_front():
    """``dot``, ``sum``, ``amax`` on traced operands of known shape (the front calls the
    function behind the deferring form), on NumPy arrays inside a trace, and on a shapeless
    ``wire.var`` (deferred): NumPy's values and dtypes, and wire's error with its line."""
    a, b = np.array([[1.0, 2.0], [3.0, -4.0]]), np.array([0.5, -1.5])
    for f in (lambda u, v: wnp.dot(u, v), lambda u, v: wnp.dot(v, u), lambda u, v: wnp.dot(u, a),
              lambda u, v: wnp.amax(u) * v, lambda u, v: wnp.sum(a) * u + wnp.amax(a, 0)):
        want = f(a, b)
        got = wire.jit(f)(a, b)
        assert got.dtype == want.dtype
        close(got, want)
    close(wire.grad(lambda u, v: wnp.sum(wnp.dot(u, v)))(a, b), np.tile(b, (2, 1)))
    with pytest.raises(wire.ShapeError) as info:
        wire.grad(lambda u: wnp.sum(wnp.dot(u, np.ones(3))))(a)  # the line named
    assert "test_front30.py:" in str(info.value) and "3" in str(info.value)
    v = wire.var("v")
    assert wire.evaluate(wnp.dot(v, v), {v: b}) == b @ b
