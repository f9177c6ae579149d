"""A Python number carried through ``scan`` / ``fori_loop`` / ``while_loop`` keeps its weak
type, and a Python int its value range, as in NumPy's own Python loop: where the carry meets
a narrower integer array (in the body or after the loop) a value that does not fit raises
``OverflowError`` (``wire.WireOverflowError``) instead of wrapping (the scan's third row was
[-55 -55]), and a value that fits gives the narrow dtype instead of int64. Each case against
the same loop run by Python over NumPy values, eager and under ``jit``."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import wire
import wire.numpy as wnp
from finite_differences import fd_grad
from oracles import close

I8 = np.ones(2, np.int8)


def _outcome(f, *args):
    """``("ok", values as a pytree of (dtype, list))`` or ``("raises", OverflowError)``."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = f(*args)
    except OverflowError:
        return ("raises", OverflowError)
    leaves = r if isinstance(r, tuple) else (r,)
    return ("ok", [(np.asarray(v).dtype, np.asarray(v).tolist()) for v in leaves])


# the same loop three ways: wire's primitive, and Python's loop over NumPy values
def _py_scan(f, init, xs):
    c, ys = init, []
    for x in xs:
        c, y = f(c, x)
        ys.append(y)
    return c, np.stack(ys)


def _py_fori(lo, hi, body, init):
    c = init
    for i in range(lo, hi):
        c = body(i, c)
    return c


def _py_while(cond, body, init):
    c = init
    while cond(c):
        c = body(c)
    return c


def test_the_reported_scan_wrap_raises_as_numpy():
    """``scan(lambda c, i: (c + 100, c + x), 0, arange(3))`` with an int8 ``x`` gave rows
    [1 1], [101 101], [-55 -55]: the Python int 200 wrapped. NumPy's loop raises
    OverflowError at c = 200; so does wire, eager and under jit, naming the value, the dtype,
    the loop and the line."""
    f = lambda s, x: wire.scan(lambda c, i: (c + 100, c + x), s, wnp.arange(3))[1]  # noqa
    with pytest.raises(OverflowError):
        _py_scan(lambda c, i: (c + 100, c + I8), 0, np.arange(3))
    for g in (f, wire.jit(f)):
        with pytest.raises(wire.WireOverflowError) as info:
            g(0, I8)
        msg = str(info.value)
        assert "200" in msg and "int8" in msg and "scan" in msg, msg
        assert "test_carry27.py:" in msg, msg
    # the rows before the overflow are NumPy's where the steps fit (two steps: 0, 100)
    g = lambda s, x: wire.scan(lambda c, i: (c + 100, c + x), s, wnp.arange(2))  # noqa
    want = _py_scan(lambda c, i: (c + 100, c + I8), 0, np.arange(2))
    for h in (g, wire.jit(g)):
        assert _outcome(h, 0, I8) == _outcome(lambda: want), h


def test_the_reported_fori_loop_result_is_a_python_int():
    """``fori_loop(0, 3, lambda i, c: c + 100, 0) + int8`` was int64 [301 301]: the carry
    came out int64. NumPy's loop leaves the Python int 300, which int8 refuses; a carry that
    fits (``c + 1``: 3) gives int8 [4 4], as NumPy and JAX."""
    over = lambda x: wire.fori_loop(0, 3, lambda i, c: c + 100, 0) + x  # noqa: E731
    fits = lambda x: wire.fori_loop(0, 3, lambda i, c: c + 1, 0) + x  # noqa: E731
    assert wire.fori_loop(0, 3, lambda i, c: c + 100, 0) == 300
    assert type(wire.fori_loop(0, 3, lambda i, c: c + 100, 0)) is int
    with pytest.raises(OverflowError):
        _py_fori(0, 3, lambda i, c: c + 100, 0) + I8
    for g in (over, wire.jit(over)):
        with pytest.raises(OverflowError, match="300"):
            g(I8)
    want = jax.lax.fori_loop(0, 3, lambda i, c: c + 1, 0) + jnp.ones(2, jnp.int8)
    assert want.dtype == np.int8
    for g in (fits, wire.jit(fits)):
        got = g(I8)
        assert got.dtype == np.int8 and got.tolist() == [4, 4], got


# (loop, where the carry meets the int8 array): each a function of (step, x) run by wire and
# by Python over NumPy values; the carry starts at the Python int 0
def _cases(L):
    """The loops on the namespace ``L`` (wire's, or Python's own over NumPy)."""
    scan, fori, whl = L
    return {
        ("scan", "body"): lambda k, x: scan(lambda c, i: (c + k, c + x), 0, np.arange(4))[1],
        ("scan", "after"): lambda k, x: scan(lambda c, i: (c + k, i), 0, np.arange(4))[0] + x,
        ("fori_loop", "body"): lambda k, x: fori(0, 4, lambda i, c: (c[0] + k, c[0] + x),
                                                 (0, x))[1],
        ("fori_loop", "after"): lambda k, x: fori(0, 4, lambda i, c: c + k, 0) + x,
        ("while_loop", "body"): lambda k, x: whl(lambda c: c[0] < 4 * k,
                                                 lambda c: (c[0] + k, c[0] + x), (0, x))[1],
        ("while_loop", "after"): lambda k, x: whl(lambda c: c < 4 * k, lambda c: c + k, 0) + x,
    }


_WIRE = _cases((wire.scan, wire.fori_loop, wire.while_loop))
_PY = _cases((_py_scan, _py_fori, _py_while))


@pytest.mark.parametrize("case", list(_WIRE), ids="-".join)
def test_fitting_and_overflowing_carries_agree_with_numpy(case):
    """Steps of 1 (fits int8), 31 (the carry reaches 93 in the body, 124 after: fits) and 43
    (129 in the body, 172 after: NumPy's loop raises), eager and under jit with the step a
    Python-int argument; int8 results where NumPy's are int8 (were int64 after the loop),
    OverflowError where NumPy's loop raises (the body wrapped to -127)."""
    f, want_f = _WIRE[case], _PY[case]
    jf = wire.jit(f)
    for k in (1, 31, 43, 1):
        want = _outcome(want_f, k, I8)
        assert _outcome(f, k, I8) == want, (k, want)
        assert _outcome(jf, k, I8) == want, (k, want)


def test_a_python_int_argument_carried_keeps_one_trace_where_its_range_decides():
    """``fori_loop(0, 3, c + 1, s) + int16`` fits for every ``s`` of the key's range
    [0, 127]: one trace; ``+ int8`` fits for ``s <= 124`` only, so those traces are keyed on
    the value, and 125 raises as NumPy's loop does."""
    x16 = np.ones(2, np.int16)
    f = wire.jit(lambda s, x: wire.fori_loop(0, 3, lambda i, c: c + 1, s) + x)
    for s in (0, 5, 100, 127):
        got = f(s, x16)
        assert got.dtype == np.int16 and got.tolist() == [s + 4] * 2
    assert f.cache_size() == 1
    for s in (3, 124, 125):
        assert _outcome(f, s, I8) == _outcome(lambda: _py_fori(0, 3, lambda i, c: c + 1, s) + I8)


def test_a_while_loop_without_a_bound_refuses_with_a_workaround():
    """A counter whose growth the predicate does not bound (it tests a float) has no range:
    where it meets int8 that raises at trace time saying what to carry instead, rather than
    wrapping unchecked; carried as np.int64 it is NumPy's modular int64, and a counter its
    predicate bounds (``c < 5``) gives int8 as NumPy."""
    def f(x, carry0):
        return wire.while_loop(lambda c: c[1] < 5.0, lambda c: (c[0] + 1, c[1] + 1.0),
                               (carry0, 0.0))[0] + x

    with pytest.raises(wire.WireOverflowError, match=r"np\.int64\(0\)") as info:
        wire.jit(f)(I8, 0)
    assert "while_loop" in str(info.value) and "test_carry27.py:" in str(info.value)
    got = wire.jit(f)(I8, np.int64(0))
    assert got.dtype == np.int64 and got.tolist() == [6, 6]
    # eager, the loop's value is a Python int: NumPy's own promotion decides
    assert f(I8, 0).dtype == np.int8 and f(I8, 0).tolist() == [6, 6]
    bounded = wire.jit(lambda x: wire.while_loop(lambda c: c < 5, lambda c: c + 1, 0) + x)
    assert bounded(I8).dtype == np.int8 and bounded(I8).tolist() == [6, 6]


def test_a_carry_beyond_int64_is_never_returned_wrapped():
    """``fori_loop(0, 70, lambda i, c: c * 2, 1)`` is 2**70 in Python; its int64 value
    wrapped to 0. It raises WireOverflowError naming the value, eager and under jit (with
    the factor a Python-int argument too)."""
    f = lambda: wire.fori_loop(0, 70, lambda i, c: c * 2, 1)  # noqa: E731
    g = wire.jit(lambda s: wire.fori_loop(0, 70, lambda i, c: c * s, 1))
    for h, args in ((f, ()), (wire.jit(f), ()), (g, (2,))):
        with pytest.raises(wire.WireOverflowError, match=str(2 ** 70)):
            h(*args)
    assert wire.fori_loop(0, 62, lambda i, c: c * 2, 1) == 2 ** 62


def test_float_and_numpy_integer_carries():
    """A Python-float carry kept weak gives float32 beside a float32 array, as NumPy's loop
    (was float64); one the body makes float32 is float32 as before; NumPy-integer carries are
    strongly typed and wrap as NumPy's scalars do, unchanged."""
    x32 = np.ones(2, np.float32)
    f = lambda x: wire.fori_loop(0, 3, lambda i, c: c + 0.5, 0.0) + x  # noqa: E731
    for g in (f, wire.jit(f)):
        got = g(x32)
        assert got.dtype == np.float32 and got.tolist() == [2.5, 2.5]
    got = wire.scan(lambda c, x: (c * 0.5 + x, None), 1.0, np.ones(3, np.float32))[0]
    assert got.dtype == np.float32 and got == np.float32(1.875)
    with np.errstate(over="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c0 in (np.int8(0), np.int64(0)):
            want = _py_fori(0, 3, lambda i, c: c + 100, c0)
            for g in (lambda: wire.fori_loop(0, 3, lambda i, c: c + 100, c0),
                      wire.jit(lambda: wire.fori_loop(0, 3, lambda i, c: c + 100, c0))):
                got = g()
                assert got.dtype == want.dtype and got == want, (got, want)


def test_grad_and_vmap_through_loops_with_a_python_int_carry():
    """A counter carried beside a float: grad matches finite differences and the counter
    stays a Python int; vmap of the fitting loop is int8 (was int64) and of the overflowing
    scan raises as the loop does per example."""
    def f(x):
        n, v = wire.fori_loop(0, 3, lambda i, c: (c[0] + 1, c[1] * x + c[0]), (0, 1.0))
        return v * n

    x = np.float64(1.3)
    close(wire.grad(f)(x), fd_grad(f, x), rtol=1e-7)
    close(wire.jit(wire.grad(f))(x), fd_grad(f, x), rtol=1e-7)
    assert type(wire.fori_loop(0, 3, lambda i, c: (c[0] + 1, c[1] * x), (0, 1.0))[0]) is int
    fits = wire.vmap(lambda x: wire.fori_loop(0, 3, lambda i, c: c + 1, 0) + x)
    got = fits(np.ones((2, 2), np.int8))
    assert got.dtype == np.int8 and got.tolist() == [[4, 4], [4, 4]]
    over = wire.vmap(lambda x: wire.scan(lambda c, i: (c + 100, c + x), 0, wnp.arange(3))[1])
    with pytest.raises(wire.WireOverflowError, match="200"):
        over(np.ones((2, 2), np.int8))


def test_a_trip_count_decided_by_an_argument_keys_the_trace_on_it():
    """``while c < s`` runs its body for s = 1 but not for s = 0: the trace for s = 0 checks
    nothing in the body (NumPy's loop raises nothing there) and is keyed on the value, so
    s = 1 traces again and raises as NumPy's loop does at 0 + 200 (it reused the trace and
    wrapped to -55)."""
    def f(s, x):
        return wire.while_loop(lambda c: c[0] < s, lambda c: (c[0] + 200, c[0] + 200 + c[1]),
                               (0, x))[1]

    jf = wire.jit(f)
    for s in (0, 1, 0, 1):
        want = _outcome(lambda: _py_while(lambda c: c[0] < s,
                                          lambda c: (c[0] + 200, c[0] + 200 + c[1]), (0, I8))[1])
        assert _outcome(f, s, I8) == want, s
        assert _outcome(jf, s, I8) == want, s


def test_long_counters_against_numpy():
    """3000 steps of ``c + k`` (followed as a counter's drift eagerly, step by step under
    jit): 9000 fits int16, 33000 does not; the fori_loop's index meeting int8 in the body
    raises at the first index past 127, as NumPy's loop does."""
    x16 = np.ones(2, np.int16)
    for k in (3, 11):
        f = lambda x, k=k: wire.fori_loop(0, 3000, lambda i, c: c + k, 0) + x  # noqa: E731
        want = _outcome(lambda: _py_fori(0, 3000, lambda i, c: c + k, 0) + x16)
        assert _outcome(f, x16) == want == _outcome(wire.jit(f), x16), k
    g = lambda x: wire.fori_loop(0, 3000, lambda i, c: c + (i + x), x)  # noqa: E731
    assert _outcome(g, I8) == ("raises", OverflowError) == _outcome(wire.jit(g), I8)
    h = lambda x: wire.fori_loop(0, 100, lambda i, c: c + (i + x), x)  # noqa: E731
    assert _outcome(h, I8) == _outcome(lambda: _py_fori(0, 100, lambda i, c: c + (i + I8), I8))


_BODIES = [lambda c, a, b: c * a + b, lambda c, a, b: (c + a) % (b + 1) - a,
           lambda c, a, b: ((c - a) & 63) - b, lambda c, a, b: -c + a * b,
           lambda c, a, b: (c >> 1) + a * a]


def test_sampled_loops_agree_with_numpy():
    """Random carries (c * a + b, (c + a) % (b + 1) - a, ((c - a) & 63) - b, -c + a * b,
    (c >> 1) + a * a) over 0 to 6 steps, meeting int8 in the body and after the loop: the
    outcome (int8 values, or OverflowError) is NumPy's loop's, eager and under jit with the
    initial carry a Python-int argument."""
    rng = np.random.default_rng(27)
    for _ in range(40):
        body = _BODIES[rng.integers(len(_BODIES))]
        a, b, c0, n = (int(v) for v in (rng.integers(-5, 6), rng.integers(0, 40),
                                        rng.integers(-60, 61), rng.integers(0, 7)))
        step = lambda c, a=a, b=b, body=body: body(c, a, b)  # noqa: E731
        py_step = lambda c, a=a, b=b, body=body: body(c, a, b)  # noqa: E731
        f = lambda c0, x: (wire.scan(lambda c, i: (step(c), c + x), c0, wnp.arange(n))[1],  # noqa
                           wire.fori_loop(0, n, lambda i, c: step(c), c0) + x)
        def want(c0, x):
            ys, c = [], c0
            for _ in range(n):
                ys.append(c + x)
                c = py_step(c)
            return (np.stack(ys) if ys else np.zeros((0, 2), np.int8)), c + x
        expect = _outcome(want, c0, I8)
        assert _outcome(f, c0, I8) == expect, (body, a, b, c0, n)
        assert _outcome(wire.jit(f), c0, I8) == expect, (body, a, b, c0, n)


def test_a_fori_loop_whose_bound_is_a_python_int_argument_under_jit():
    """Under jit a Python-int bound is traced, so the fori_loop is a while_loop whose index
    is int64; the carry's values follow the index's (the argument's value decides the trip
    count, and the trace is keyed on it): int8 where NumPy's loop gives int8 (was int64),
    OverflowError from 128 on (127 + 1 wraps in int8 arithmetic, as NumPy's)."""
    f = lambda n, x: wire.fori_loop(0, n, lambda i, c: c + 1, 0) + x  # noqa: E731
    jf = wire.jit(f)
    for n in (3, 127, 128, 200, 3):
        want = _outcome(lambda: _py_fori(0, n, lambda i, c: c + 1, 0) + I8)
        assert _outcome(jf, n, I8) == want == _outcome(f, n, I8), n
    # the counter's range over the key's range of n ([0, 127]) fits: one trace for all of
    # them, even after n = 0 (no step: a trace keyed on the value would retrace every n)
    g = wire.jit(lambda n, x: wire.fori_loop(0, n, lambda i, c: c + 1, 0) + x)
    for n in (0, 7, 100):
        assert g(n, I8).tolist() == [n + 1] * 2
    assert g.cache_size() == 1
