"""Python-int arithmetic under ``jit`` never wraps silently: a Python-int argument's value
range follows ``-s``, ``s + 300``, ``s * 1000``, ``abs``, ``//``, ``%``, ``**``, shifts,
min/max, so that where the value meets an integer array of a dtype that cannot hold it, the
call raises ``OverflowError`` as NumPy's does (it wrapped: ``(-3) + uint8`` was 254); a weak
complex value has no order (``<``, ``>`` raise ``TypeError`` as Python's). Each case against
eager NumPy on the same Python ints."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from selection import slow_only


def _outcome(f, *args):
    """``("ok", dtype, values)`` or ``("raises", OverflowError/TypeError/…)``."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = np.asarray(f(*args))
    except (OverflowError, TypeError, ValueError, ZeroDivisionError) as e:
        for kind in (OverflowError, TypeError, ValueError, ZeroDivisionError):
            if isinstance(e, kind):
                return ("raises", kind)
    return ("ok", r.dtype, r.tolist())


def _same(want, got) -> bool:
    if want[0] != got[0] or want[1] != got[1]:
        return False
    if want[0] == "raises":
        return True
    return np.array_equal(np.asarray(want[2], want[1]), np.asarray(got[2], got[1]),
                          equal_nan=want[1].kind in "fc")


def test_the_reported_wraps_raise_as_numpy():
    """``jit(lambda s, x: (-s) + x)(3, uint8)`` was [254 254] and ``(s + 300) + int8`` [48 48]
    (the range was known for the argument itself only); NumPy raises OverflowError for the
    Python ints -3 and 303. The error is a WireError and an OverflowError naming the value,
    the dtype and the line."""
    cases = [(lambda s, x: (-s) + x, 3, np.ones(2, np.uint8), "-3", "uint8"),
             (lambda s, x: (s + 300) + x, 3, np.ones(2, np.int8), "303", "int8")]
    for f, s, x, value, dtype in cases:
        with pytest.raises(OverflowError):
            f(s, x)  # NumPy's own
        with pytest.raises(wire.WireError, match=value) as info:
            wire.jit(f)(s, x)
        assert isinstance(info.value, OverflowError)
        assert dtype in str(info.value) and "test_intwrap26.py:" in str(info.value)


def test_a_value_the_key_range_does_not_decide_is_traced_per_value():
    """``-s`` fits uint8 for ``s == 0`` only, ``s * 1000`` int16 for ``|s| <= 32``: the cache
    key's range of ``s`` cannot decide it, so those traces are keyed on the value — a trace
    for 0 is not reused for 3 (it would wrap), and each call agrees with NumPy."""
    f = lambda s, x: (-s) + x  # noqa: E731
    g = lambda s, x: (s * 1000) + x  # noqa: E731
    jf, jg = wire.jit(f), wire.jit(g)
    x8, x16 = np.ones(2, np.uint8), np.ones(2, np.int16)
    for s in (0, 3, 0, 5, 0):
        assert _same(_outcome(f, s, x8), _outcome(jf, s, x8)), s
    for s in (3, 30, 100, 3, -32, -33, 32, 33):
        assert _same(_outcome(g, s, x16), _outcome(jg, s, x16)), s
    # a range that decides it keeps one trace for the whole range
    jh = wire.jit(lambda s, x: (s + 1) + x)
    for s in range(0, 100, 7):
        np.testing.assert_array_equal(jh(s, x16), (s + 1) + x16)
    assert jh.cache_size() == 1


@pytest.mark.parametrize("path", ["jit", "jit(jit)", "jit of a jit on -s", "jit(grad)",
                                  "grad", "vmap", "jit(vmap)", "fori_loop body"])
def test_derived_ranges_on_every_path(path):
    """The same refusal (and the same values where it fits) through nested jit, grad, vmap
    and a loop body closing over the argument; eager wire.numpy is NumPy's own."""
    u8 = np.ones(2, np.uint8)
    inner = lambda s, x: (-s) + x  # noqa: E731
    fns = {
        "jit": wire.jit(inner),
        "jit(jit)": wire.jit(wire.jit(inner)),
        "jit of a jit on -s": wire.jit(lambda s, x: wire.jit(lambda t, y: t + y)(-s, x)),
        "jit(grad)": lambda s, x: wire.jit(wire.grad(
            lambda w, s: wnp.sum(w * inner(s, x))))(np.ones(2), s),
        "grad": lambda s, x: wire.grad(lambda w, s: wnp.sum(w * inner(s, x)))(np.ones(2), s),
        "vmap": lambda s, x: wire.vmap(lambda x, s: inner(s, x), in_axes=(0, None))(
            np.stack([x, x]), s)[0],
        "jit(vmap)": lambda s, x: wire.jit(wire.vmap(lambda x, s: inner(s, x), in_axes=(
            0, None)))(np.stack([x, x]), s)[0],
        "fori_loop body": wire.jit(lambda s, x: wire.fori_loop(
            0, 2, lambda i, c: c * 0 + inner(s, x), x)),
    }
    f = fns[path]
    want_ok = _outcome(lambda s, x: (-s) + x + 0 * x, 0, u8)
    assert _same(_outcome(inner, 3, u8), ("raises", OverflowError))
    for s, want in ((0, None), (3, ("raises", OverflowError)), (0, None)):
        got = _outcome(f, s, u8)
        if want is not None:
            assert got == want, (path, s, got)
        elif path not in ("jit(grad)", "grad"):
            assert _same(want_ok, got), (path, s, got)
        else:
            assert got[0] == "ok", (path, s, got)


def test_python_ints_beyond_int64_are_not_used_wrapped():
    """A Python int computed beyond int64 (traced in int64, so wrapped): returned, compared
    or divided it raises; meeting a float array it is NumPy's conversion of the Python int
    itself (``(s + 1) + float32`` was -9.2e18 for ``s = 2**63 - 1``, NumPy's +9.2e18)."""
    big = 2**63 - 1
    with pytest.raises(OverflowError):
        wire.jit(lambda s: s + 1)(big)
    with pytest.raises(OverflowError):
        wire.jit(lambda s: (s * 4) // 4)(big)  # (Python's: big itself; wrapped: -1)
    assert wire.jit(lambda s: s + 1)(big - 1) == big
    x = np.ones(2, np.float32)
    for f in (lambda s, x: (s + 1) + x, lambda s, x: (s * 2) + x, lambda s, x: s**2 + x,
              lambda s, x: (s - 1) + x):
        for s in (big, -big - 1):
            want, got = _outcome(f, s, x), _outcome(wire.jit(f), s, x)
            assert _same(want, got), (s, want, got)
    # meeting int64 it raises as NumPy's (too large for a C long), not a wrapped sum
    assert _outcome(wire.jit(lambda s, x: (s + 1) + x), big, np.ones(2, np.int64)) == \
        ("raises", OverflowError)
    # modular arithmetic back within range meets uint64 exactly, as NumPy's
    f = lambda s, x: (s + 1) + x  # noqa: E731
    assert _same(_outcome(f, big, np.ones(2, np.uint64)),
                 _outcome(wire.jit(f), big, np.ones(2, np.uint64)))


@pytest.mark.parametrize("order", ["<", "<=", ">", ">="])
def test_a_python_complex_has_no_order(order):
    """``wire.jit(lambda s: s > 0)(1.5 + 0.5j)`` was True; Python raises TypeError (complex
    numbers have no order), and so does wire (WireTypeError) under jit, eagerly traced and
    in wire.trace; == and != stay, and a NumPy operand compares as NumPy does."""
    cmp = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
           ">=": lambda a, b: a >= b}[order]
    s = 1.5 + 0.5j
    for f in (lambda s: cmp(s, 0), lambda s: cmp(0.5, s), lambda s: cmp(s, 2 * s)):
        with pytest.raises(TypeError):
            f(s)
        for run in (wire.jit(f), lambda s: wire.vmap(lambda x, s: x * f(s),
                                                       in_axes=(0, None))(np.ones(2), s),
                    lambda s: wire.trace(f, s)):
            with pytest.raises(wire.WireTypeError, match="no order"):
                run(s)
    with pytest.raises(wire.WireTypeError):
        wire.jit(lambda t: cmp(t, 1j))(1.5)  # a float with a complex: no order either
    assert wire.jit(lambda s: s == 0)(s) == (s == 0)
    assert wire.jit(lambda s: s != 1j)(s) == (s != 1j)
    assert bool(wire.jit(lambda s: cmp(s, np.float64(1.0)))(s)) == bool(cmp(s, np.float64(1.0)))
    assert wire.jit(lambda t: cmp(t, 0))(1.5) == cmp(1.5, 0)


# ---------------------------------------------------------------- the sweep

_INTS = [0, 1, -1, 127, 128, 255, 256, -129, 2**31, 2**63 - 1, -2**63, 2**64]
_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
           np.bool_, np.float16, np.float32]
_OPS = {
    "s + x": lambda s, x: s + x, "x - s": lambda s, x: x - s, "s * x": lambda s, x: s * x,
    "s // x": lambda s, x: s // x, "x % s": lambda s, x: x % s,
    "s**2 + x": lambda s, x: s**2 + x, "-s + x": lambda s, x: (-s) + x,
    "abs(s) + x": lambda s, x: abs(s) + x, "(s << 1) + x": lambda s, x: (s << 1) + x,
    "(s >> 1) + x": lambda s, x: (s >> 1) + x, "(s - 300) + x": lambda s, x: (s - 300) + x,
    "(s // 2) * x": lambda s, x: (s // 2) * x, "(s % 3) - x": lambda s, x: (s % 3) - x,
    "min(s, 5) + x": lambda s, x: np.minimum(s, 5) + x,
    "x < s + 1": lambda s, x: x < s + 1, "x == -s": lambda s, x: x == -s,
}


def _sweep(ints, dtypes, ops):
    bad = []
    for name, f in ops.items():
        jf = wire.jit(lambda s, x, f=f: f(s, x))
        for dt in dtypes:
            x = np.array([1, 2] if dt is not np.bool_ else [True, False], dt)
            for s in ints:
                want, got = _outcome(f, s, x), _outcome(jf, s, x)
                if s >= 2**64 and got == ("raises", OverflowError):
                    continue  # (beyond uint64: refused as an argument, clearly)
                if not _same(want, got):
                    bad.append((name, np.dtype(dt).name, s, want, got))
    return bad


def test_python_int_sweep_agrees_with_numpy():
    """Python ints at the dtypes' bounds x integer, boolean and float arrays x Python-int
    arithmetic: jit(f)(s, x) is eager NumPy's f(s, x) — value and dtype, or OverflowError
    (a compact grid; ``-m slow`` runs every int, dtype and operation)."""
    bad = _sweep([0, -1, 128, 256, -129, 2**63 - 1, -2**63],
                 [np.int8, np.uint8, np.int64, np.uint64, np.bool_, np.float32],
                 {k: _OPS[k] for k in ("s + x", "-s + x", "abs(s) + x", "s**2 + x",
                                       "(s << 1) + x", "(s // 2) * x", "(s - 300) + x",
                                       "x < s + 1")})
    assert not bad, bad[:5]


@slow_only
def test_python_int_sweep_agrees_with_numpy_everywhere():
    """The whole grid of :func:`test_python_int_sweep_agrees_with_numpy`."""
    bad = _sweep(_INTS, _DTYPES, _OPS)
    assert not bad, bad[:5]


def test_the_range_rules_hold_every_value():
    """Each interval rule holds ``op(a, b)`` for every ``a``, ``b`` in the operands' ranges
    (a range too narrow would let a trace be reused for a value that does not fit: the
    wrap again); sampled, with Python's (NumPy's, for a zero divisor) integer arithmetic."""
    import operator
    import random

    from wire.core import tracer as T

    def py(name, x, y):
        if name in ("floor_divide", "mod") and y == 0:
            return 0  # (NumPy's integer x // 0 and x % 0)
        return {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
                "floor_divide": operator.floordiv, "mod": operator.mod, "pow": operator.pow,
                "minimum": min, "maximum": max, "left_shift": operator.lshift,
                "right_shift": operator.rshift, "bitwise_and": operator.and_,
                "bitwise_or": operator.or_, "bitwise_xor": operator.xor}[name](x, y)

    rng = random.Random(26)

    def span(scale):
        lo = rng.randint(-scale, scale)
        return (lo, lo + rng.randint(0, scale))

    bad = []
    for name in ("add", "sub", "mul", "floor_divide", "mod", "pow", "minimum", "maximum",
                 "left_shift", "right_shift", "bitwise_and", "bitwise_or", "bitwise_xor"):
        small = name in ("pow", "left_shift", "right_shift")
        for _ in range(300):
            a = span(rng.choice([3, 300, 2**40]))
            b = span(rng.choice([3, 70])) if small else span(rng.choice([3, 300, 2**40]))
            out = T._RANGE_RULES[name](a, b)
            if out is None:
                continue
            for _ in range(4):
                x, y = rng.randint(*a), rng.randint(*b)
                try:
                    v = py(name, x, y)
                except ValueError:  # (a negative shift)
                    continue
                if not out[0] <= v <= out[1]:
                    bad.append((name, a, b, out, x, y, v))
    for name, f in (("neg", operator.neg), ("abs", abs), ("invert", operator.invert),
                    ("sign", lambda v: (v > 0) - (v < 0))):
        for _ in range(300):
            a = span(rng.choice([3, 300, 2**40]))
            x = rng.randint(*a)
            out = T._RANGE_RULES[name](a)
            if not out[0] <= f(x) <= out[1]:
                bad.append((name, a, out, x))
    for _ in range(300):
        a, n = span(rng.choice([3, 300, 2**40])), rng.randint(0, 6)
        x = rng.randint(*a)
        out = T._integer_pow(a, n)
        if not out[0] <= x**n <= out[1]:
            bad.append(("integer_pow", a, n, out, x))
    assert not bad, bad[:5]
