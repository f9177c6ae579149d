"""The special-value oracle: every ``wire.numpy``, ``wire.numpy.linalg``, ``wire.numpy.fft`` and
``wire.scipy.special`` function, on NaN, ±inf, ±0.0, the dtype limits, empty and size-1 arrays
and float32/float16/int/bool inputs, run eagerly, traced-and-evaluated and jitted, must give
NumPy's/SciPy's values, dtypes, shapes and signs of zero (``tests/special_cases.py`` builds the
cases and says where NumPy itself leaves a result unspecified). Then the constant caches that
merged ``-0.0`` into ``0.0`` (issue 12, item 4), the rewrite rules on signed zeros, and
``logsumexp`` of infinities with its derivatives (issue 19, item 4).
"""

import functools

import numpy as np
import pytest
import special_cases as sc

import wire
import wire.numpy as wnp
import wire.scipy.special as wsp
from wire.ir import const_op

scipy_special = pytest.importorskip("scipy.special")  # the reference for wire.scipy.special
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN and inf on purpose

CATALOGUE = sc.catalogue()
RUN = [e for e in CATALOGUE if e.groups is not None]


# --------------------------------------------------------------------------- the oracle


def test_every_function_is_exercised_or_excluded_with_a_reason():
    undeclared = [e.qualname for e in CATALOGUE if e.groups is None
                  and (e.excluded or "").startswith("UNDECLARED")]
    assert not undeclared, (
        f"functions with no declared way to call them: {undeclared}; add a TABLE entry (or an "
        "EXCLUDED reason) in tests/special_cases.py")
    excluded = [e for e in CATALOGUE if e.groups is None]
    assert all(e.excluded for e in excluded)
    assert len(RUN) + len(excluded) == len(CATALOGUE)
    assert len(RUN) >= 270 and len(excluded) <= 5, (len(RUN), [e.qualname for e in excluded])


def test_known_differences_and_relaxations_name_real_functions():
    names = {e.qualname for e in CATALOGUE}
    for fn, _ in sc.KNOWN:
        assert fn in names, fn
    assert set(sc.ZERO_SIGN_UNSPECIFIED) <= names
    assert sc.FFT_LIKE <= names


def _known(f: sc.Finding) -> bool:
    hit = sc.KNOWN.get((f.function, f.part))
    return hit is not None and f.kind in hit[0]


@pytest.mark.parametrize("entry", RUN, ids=lambda e: e.qualname)
def test_special_values_match_numpy_and_scipy(entry):
    cases, findings = sc.run(entry)
    assert cases >= 3
    unexpected = [f for f in findings if not _known(f)]
    assert not unexpected, "\n".join(f"{f.part} [{f.mode}] {f.kind}: {f.detail}"
                                     for f in unexpected[:12])
    for (fn, part), (kinds, reason) in sc.KNOWN.items():
        if fn == entry.qualname:
            assert any(f.part == part and f.kind in kinds for f in findings), (
                f"the known difference of {fn} on {part!r} ({reason}) no longer happens: "
                "remove it from KNOWN in tests/special_cases.py")


def test_comparison_sees_each_kind_of_difference():
    """The comparison cannot pass everything: each kind of difference is reported."""
    x = np.array([np.nan, 1.0, -0.0, np.inf])
    assert sc.compare(x, x.copy()) == []
    assert sc.compare(x, np.array([0.0, 1.0, -0.0, np.inf]))[0][0] == "nan"
    assert sc.compare(x, np.array([np.nan, 1.0, -0.0, 1e308]))[0][0] == "inf"
    assert sc.compare(x, np.array([np.nan, 1.0 + 1e-9, -0.0, np.inf]))[0][0] == "value"
    assert sc.compare(x, np.array([np.nan, 1.0, 0.0, np.inf]))[0][0] == "signed zero"
    assert sc.compare(x, np.array([np.nan, 1.0, 0.0, np.inf]), zero_sign=False) == []
    assert sc.compare(x, x.astype(np.float32))[0][0] == "dtype"
    assert sc.compare(x, x[:3])[0][0] == "shape"
    assert sc.compare((x, x), (x,))[0][0] == "structure"


# --------------------------------------------------------------------------- issue 12, item 5

EXAMPLES = [
    ("median with a NaN", lambda x: wnp.median(x), np.median, [np.array([1.0, np.nan, 3.0, 4.0])]),
    ("percentile with a NaN", lambda x: wnp.percentile(x, 50), lambda x: np.percentile(x, 50),
     [np.array([1.0, np.nan, 3.0, 4.0])]),
    ("hypot(1, inf)", wnp.hypot, np.hypot, [np.array(1.0), np.array(np.inf)]),
    ("signbit(-0.0)", wnp.signbit, np.signbit, [np.array([-0.0, 0.0, -np.nan])]),
    ("copysign(x, -0.0)", wnp.copysign, np.copysign, [np.array(2.0), np.array(-0.0)]),
    ("heaviside(nan, y)", wnp.heaviside, np.heaviside, [np.array(np.nan), np.array(0.5)]),
    ("fmod's sign of zero", wnp.fmod, np.fmod, [np.array([-4.0, 4.0]), np.array([2.0, -2.0])]),
]


@pytest.mark.parametrize("name,f,ref,args", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_issue_examples_under_trace_and_jit(name, f, ref, args):
    want = np.asarray(ref(*args))
    for got in (wire.evaluate(wire.trace(f, *args), *args), wire.jit(f)(*args)):
        got = np.asarray(got)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        assert (np.signbit(got) == np.signbit(want)).all() or want.dtype == bool


# --------------------------------------------------------------------------- issue 12, item 4


def test_negative_zero_constant_stays_apart_from_zero():
    x = np.array(2.0)
    wire.trace(lambda x: x * 0.0, x)  # 0.0 traced first: -0.0 must not become it
    f = lambda x: 1.0 / (x * -0.0)
    assert wire.evaluate(wire.trace(f, x), x) == -np.inf
    assert wire.jit(f)(x) == -np.inf
    assert wire.jit(lambda x: 1.0 / (x * 0.0))(x) == np.inf
    # the derivative of x / -0.0 is 1 / -0.0
    assert wire.grad(lambda x: x / 0.0)(x) == np.inf
    assert wire.grad(lambda x: x / -0.0)(x) == -np.inf
    assert np.signbit(wire.grad(lambda x: x * -0.0)(x))


def test_negative_zero_fill_stays_apart_from_zero():
    """``full`` nodes keep their value in params, compared with ``==`` where ``0.0 == -0.0``."""
    x = np.ones(3)
    a = wire.jit(lambda x: 1.0 / wnp.full_like(x, 0.0))(x)
    b = wire.jit(lambda x: 1.0 / wnp.full_like(x, -0.0))(x)
    c = wire.jit(lambda x: (1.0 / wnp.full_like(x, -0.0), 1.0 / wnp.full_like(x, 0.0)))(x)
    np.testing.assert_array_equal(a, np.inf)
    np.testing.assert_array_equal(b, -np.inf)
    np.testing.assert_array_equal(c[0], -np.inf)
    np.testing.assert_array_equal(c[1], np.inf)


def test_static_negative_zero_is_its_own_jit_signature():
    f = wire.jit(lambda x, s: x / s, static_argnums=1)
    x = np.ones(2)
    np.testing.assert_array_equal(f(x, 0.0), np.inf)
    np.testing.assert_array_equal(f(x, -0.0), -np.inf)  # not the cached 0.0 entry
    np.testing.assert_array_equal(f(x, 0.0), np.inf)


def test_nan_payloads_stay_apart():
    quiet = np.frombuffer(np.uint64(0x7FF8000000000001).tobytes(), np.float64)[0]
    other = np.frombuffer(np.uint64(0x7FF8000000000002).tobytes(), np.float64)[0]

    def consts(v):
        g = wire.trace(lambda x: x + np.float64(v), 1.0)
        return [n.params["value"].array.tobytes() for n in g.nodes if n.op is const_op]

    assert consts(quiet) != consts(other)
    assert consts(quiet) == [np.float64(quiet).tobytes()]


# --------------------------------------------------------------------------- rewrite rules

SIGNED_ZERO_PROGRAMS = [
    ("x + 0.0", lambda x, y: x + 0.0),
    ("0.0 + x", lambda x, y: 0.0 + x),
    ("x + -0.0", lambda x, y: x + -0.0),
    ("x - 0.0", lambda x, y: x - 0.0),
    ("0.0 - x", lambda x, y: 0.0 - x),
    ("-0.0 - x", lambda x, y: -0.0 - x),
    ("-(x - y)", lambda x, y: -(x - y)),
    ("(-x) - y", lambda x, y: (-x) - y),
    ("x * 0.0 with a constant", lambda x, y: x + np.array([-2.0, 3.0]) * 0.0),
    ("x - x + y", lambda x, y: x - x + y),
    ("(x + y) - y", lambda x, y: (x + y) - y),
    ("sum over a size-1 axis", lambda x, y: wnp.sum(wnp.reshape(x, (2, 1)), axis=1)),
    ("sum of a 0-d value", lambda x, y: wnp.sum(x[0])),
    ("sum of a broadcast scalar", lambda x, y: wnp.sum(wnp.broadcast_to(x[0], (3,)))),
    ("mean of -0.0", lambda x, y: wnp.mean(x)),
]


@pytest.mark.parametrize("name,f", SIGNED_ZERO_PROGRAMS, ids=[p[0] for p in SIGNED_ZERO_PROGRAMS])
def test_simplified_graphs_keep_the_sign_of_zero(name, f):
    """``jit`` simplifies (rules, constant folding, like-term collection): its results on
    zeros of both signs must be NumPy's, bit for bit."""
    for x, y in [(np.array([-0.0, -0.0]), np.array([0.0, -0.0])),
                 (np.array([0.0, -0.0]), np.array([-0.0, -0.0])),
                 (np.array([-3.0, np.inf]), np.array([3.0, 1.0]))]:
        with np.errstate(invalid="ignore"):
            want = np.asarray(f(x, y))
            got = np.asarray(wire.jit(f)(x, y))
        assert got.tobytes() == want.tobytes(), (x, y, want, got)


_Z = np.array([complex(r, i) for r in (0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan)
               for i in (0.0, -0.0, -1.0, np.inf, np.nan)])
COMPLEX_PROGRAMS = [
    ("z * 1", lambda z, w: z * 1.0), ("1 * z", lambda z, w: 1 * z), ("z * -1", lambda z, w: z * -1),
    ("z / 1", lambda z, w: z / 1.0), ("z / -1", lambda z, w: z / -1.0),
    ("z + -0.0", lambda z, w: z + -0.0), ("-0.0 - z", lambda z, w: -0.0 - z),
    ("z ** 1", lambda z, w: z ** 1), ("(-z) * w", lambda z, w: (-z) * w),
    ("z * (-w)", lambda z, w: z * (-w)), ("(-z) / w", lambda z, w: (-z) / w),
    ("(-z) / (-w)", lambda z, w: (-z) / (-w)),
    ("sum of 3 copies", lambda z, w: wnp.sum(wnp.broadcast_to(z[20, 0], (3,)))),
]


def _same_bits(want, got) -> bool:
    """One dtype, NaN at the same places (of either sign: NumPy leaves it open), the same bits
    everywhere else."""
    want, got = np.asarray(want), np.asarray(got)
    if want.dtype != got.dtype or want.shape != got.shape:
        return False
    parts = [(want.real, got.real), (want.imag, got.imag)] if want.dtype.kind == "c" else [
        (want, got)]
    for w, g in parts:
        w, g = np.ascontiguousarray(w), np.ascontiguousarray(g)
        nan = np.isnan(w)
        if not np.array_equal(nan, np.isnan(g)) or w[~nan].tobytes() != g[~nan].tobytes():
            return False
    return True


@pytest.mark.parametrize("name,f", COMPLEX_PROGRAMS, ids=[p[0] for p in COMPLEX_PROGRAMS])
def test_simplified_complex_arithmetic_keeps_numpy_s_bits(name, f):
    """NumPy multiplies and divides complex numbers by the textbook formulas, whose cross
    terms turn ``inf * 0`` into NaN and ``0.0 - 0.0`` into ``+0.0``: ``z * 1``, ``z / 1`` and
    ``(-z) * w`` are not ``z``, ``z`` and ``-(z * w)`` there, so jit must not rewrite them."""
    z, w = _Z[:, None], _Z[None, :]
    with np.errstate(all="ignore"):
        want = np.asarray(f(z, w))
        got = np.asarray(wire.jit(f)(z, w))
    assert _same_bits(want, got), (want, got)


SUMS_OF_COPIES = [
    ("broadcast scalar", lambda x, n: wnp.sum(wnp.broadcast_to(x, (n,)))),
    ("broadcast scalar, 2-d", lambda x, n: wnp.sum(wnp.broadcast_to(x, (2, n)), axis=(0, 1))),
    ("full_like", lambda x, n: wnp.sum(wnp.full_like(wnp.broadcast_to(x, (n,)), 0.1))),
    ("mean of a broadcast scalar", lambda x, n: wnp.mean(wnp.broadcast_to(x, (n,)))),
]


@pytest.mark.parametrize("name,f", SUMS_OF_COPIES, ids=[p[0] for p in SUMS_OF_COPIES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_sums_of_copies_are_numpy_s_sums_under_jit(name, f, dtype):
    """NumPy adds n copies of a value one rounding at a time (``0.1`` ten times is
    ``0.9999999999999999``), not as one product ``0.1 * 10``: jit keeps its sum."""
    for v in (0.1, 1 / 3, 0.7, 0.75, -0.0, np.inf, np.nan, 6e4):
        x = np.asarray(v, dtype)
        for n in (2, 3, 10, 37, 100):
            with np.errstate(all="ignore"):
                want = np.asarray(f(x, n))
                got = np.asarray(wire.jit(lambda x, n=n: f(x, n))(x))
            assert _same_bits(want, got), (v, n, want, got)


FULL_EXPONENTS = [
    ("x ** full_like(x, 0.5)", lambda x: x ** wnp.full_like(x, 0.5)),
    ("x ** (ones_like(x) * 0.5)", lambda x: wnp.power(x, wnp.ones_like(x) * 0.5)),
    ("full ** full", lambda x: x + wnp.full_like(x, -np.inf) ** wnp.full_like(x, 0.5)),
    ("-0.0 full ** full", lambda x: x * 0.0 + wnp.full_like(x, -0.0) ** wnp.full_like(x, 0.5)),
    ("x ** 0.5", lambda x: x ** 0.5),
]


@pytest.mark.parametrize("name,f", FULL_EXPONENTS, ids=[p[0] for p in FULL_EXPONENTS])
def test_power_with_an_array_of_one_exponent_is_numpy_s(name, f):
    """NumPy's ``power`` takes ``sqrt`` for an exponent 0.5 given as a scalar (``x ** 0.5``:
    ``(-inf) ** 0.5`` is NaN, ``(-0.0) ** 0.5`` is ``-0.0``) but C's ``pow`` for an array of
    0.5 (``inf``, ``0.0``). A ``full`` node is such an array: neither constant folding nor
    the compiled code (which reads ``full`` nodes as broadcast scalars) may make it a scalar."""
    x = np.array([-np.inf, -0.0, 0.0, 4.0, -4.0, np.inf, 2.0, 0.5])
    with np.errstate(all="ignore"):
        want = np.asarray(f(x))
        for got in (wire.evaluate(wire.trace(f, x), x), wire.jit(f)(x)):
            assert _same_bits(want, got), (want, got)


MAX_MIN = [("maximum", wnp.maximum, np.maximum), ("minimum", wnp.minimum, np.minimum)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("name,wf,nf", MAX_MIN, ids=[m[0] for m in MAX_MIN])
def test_maximum_minimum_keep_their_operand_order_under_jit(name, wf, nf, dtype):
    """At a tie of -0.0 and 0.0 NumPy's ``maximum``/``minimum`` return one operand by its
    place (the second in float32/64 here, the first in float16), so the simplifier must not
    put their operands in a canonical order: ``jit`` gives the bits eager NumPy gives, for
    both orders, against a constant (``relu``) and with NaN."""
    x = np.array([-0.0, 0.0, -0.0, 0.0, np.nan, 1.0, -0.0], dtype)
    y = np.array([0.0, -0.0, -0.0, 0.0, 0.0, np.nan, 0.0], dtype)
    programs = [lambda a, b: wf(a, b), lambda a, b: wf(b, a),
                lambda a, b: wf(a, 0.0), lambda a, b: wf(0.0, a),
                lambda a, b: wf(a, b) * wf(b, a), lambda a, b: 1.0 / wf(a, -0.0)]
    for f in programs:
        with np.errstate(divide="ignore"):
            want = np.asarray(f(x, y))  # eager: NumPy's own loop on these operands
            got = np.asarray(wire.jit(f)(x, y))
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), (want, got)
    assert nf(x, y).tobytes() == np.asarray(wf(x, y)).tobytes()


# --------------------------------------------------------------------------- issue 19, item 4

LSE_FUNCTIONS = [("scipy", wsp.logsumexp), ("nn", lambda a: wire.nn.logsumexp(a, axis=None))]


@pytest.mark.parametrize("label,lse", LSE_FUNCTIONS, ids=[f[0] for f in LSE_FUNCTIONS])
def test_logsumexp_of_infinities(label, lse):
    for a, want in [([-np.inf, -np.inf], -np.inf), ([np.inf, 0.0], np.inf),
                    ([np.inf, np.inf], np.inf), ([-np.inf, 1.0], 1.0), ([np.nan, 0.0], np.nan)]:
        a = np.array(a)
        for got in (lse(a), wire.jit(lse)(a)):
            np.testing.assert_array_equal(got, want)


def test_logsumexp_weights_and_sign_as_scipy():
    a = np.array([[0.0, 1.0, np.inf], [2.0, -np.inf, 3.0]])
    b = np.array([[1.0, -2.0, 0.0], [0.5, 1.0, -1.0]])
    for kw in [{}, {"axis": 1}, {"axis": 0, "keepdims": True}]:
        for sign in (False, True):
            want = scipy_special.logsumexp(a, b=b, return_sign=sign, **kw)
            f = functools.partial(wsp.logsumexp, return_sign=sign, **kw)
            got = wire.jit(lambda a, b, f=f: f(a, b=b))(a, b)
            for g, w in zip(*((got, want) if sign else ((got,), (want,)))):
                np.testing.assert_allclose(g, w, rtol=1e-12)


def _softmax(a, b=None):
    e = np.exp(a - np.max(a[np.isfinite(a)], initial=-np.inf))
    e = e if b is None else b * e
    return e / e.sum()


@pytest.mark.parametrize("label,lse", LSE_FUNCTIONS, ids=[f[0] for f in LSE_FUNCTIONS])
def test_logsumexp_gradient_is_finite_where_the_value_is(label, lse):
    """d logsumexp / da = softmax: 0 for -inf entries (JAX's and SciPy's convention), at any
    order of magnitude, and through jit."""
    for a in [np.array([0.0, -np.inf]), np.array([1000.0, 1000.0, -np.inf]),
              np.array([-1000.0, -1e300, 3.0])]:
        for g in (wire.grad(lse)(a), wire.jit(wire.grad(lse))(a)):
            assert np.isfinite(g).all()
            np.testing.assert_allclose(g, _softmax(a), rtol=1e-12, atol=0)
    # a zero weight drops its entry, inf included: value and derivatives stay finite
    a, b = np.array([np.inf, 0.0, 1.0]), np.array([0.0, 1.0, 2.0])
    ga, gb = wire.grad(lambda a, b: wsp.logsumexp(a, b=b), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, [0.0, 1 / (1 + 2 * np.e), 2 * np.e / (1 + 2 * np.e)])
    np.testing.assert_allclose(gb[1:], [1 / (1 + 2 * np.e), np.e / (1 + 2 * np.e)])


LSE_POINTS = [np.array([0.0, -np.inf, 2.0]), np.array([-np.inf, -np.inf]),
              np.array([np.inf, 0.0]), np.array([3.0, 3.0, 3.0])]


def _jax_rule(a):
    """JAX's derivative of logsumexp (jax/_src/ops/special.py, a custom JVP): ``exp(a - out)``,
    which is NaN where the result is +-inf."""
    with np.errstate(invalid="ignore"):
        return np.exp(a - scipy_special.logsumexp(a))


@pytest.mark.parametrize("a", LSE_POINTS, ids=lambda a: str(a.tolist()))
def test_logsumexp_gradient_follows_jax_where_jax_is_finite(a):
    want = _jax_rule(a)
    got = wire.grad(wsp.logsumexp)(a)
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-12)
    # where JAX's derivative is NaN (a result of +-inf), wire's is too: no made-up number
    assert np.isnan(got[~finite]).all()


@pytest.mark.slow
def test_logsumexp_gradient_rule_is_jax_s():
    """The rule above, checked against JAX itself (slow: importing and compiling JAX)."""
    jax = pytest.importorskip("jax")
    from jax.scipy.special import logsumexp as jlse

    with jax.enable_x64(True):
        for a in LSE_POINTS:
            want = np.asarray(jax.grad(jlse)(a))
            np.testing.assert_array_equal(np.isnan(want), np.isnan(_jax_rule(a)))
            np.testing.assert_allclose(want, _jax_rule(a), rtol=1e-12)


# --------------------------------------------------------------------------- nanmax / nanmin

NAN_EXTREMA = [("nanmax", wnp.nanmax, np.nanmax), ("nanmin", wnp.nanmin, np.nanmin)]


@pytest.mark.parametrize("name,wf,nf", NAN_EXTREMA, ids=[m[0] for m in NAN_EXTREMA])
def test_nan_extrema_keep_numpy_s_zero_and_split_their_derivative(name, wf, nf):
    """``np.nanmax`` is ``np.fmax.reduce``, which keeps another zero at a tie of 0.0 and -0.0
    than ``np.max`` does: traced and jitted values are its bits. The derivative is split among
    the entries equal to the result, 0 for NaN entries and for a slice of NaN only."""
    a = np.array([[0.0, -0.0, np.nan], [-0.0, np.nan, 0.0], [np.nan, np.nan, np.nan],
                  [2.0, np.nan, 2.0]])
    for dt in sc.FLOATS:
        x = a.astype(dt)
        for kw in ({"axis": 1}, {"axis": 0, "keepdims": True}, {}):
            want = nf(x, **kw)
            f = lambda x, kw=kw: wf(x, **kw)
            for got in (wire.evaluate(wire.trace(f, x), x), wire.jit(f)(x)):
                got = np.asarray(got)
                assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), (kw, got, want)
    g = wire.grad(lambda x: wnp.sum(wf(x, axis=1)))(a)
    np.testing.assert_array_equal(g, [[0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0, 0], [0.5, 0, 0.5]])
    np.testing.assert_array_equal(wire.jit(wire.grad(lambda x: wnp.sum(wf(x, axis=1))))(a), g)
    _, t = wire.jvp(lambda x: wf(x, axis=1), (a,), (np.arange(12.0).reshape(4, 3),))
    np.testing.assert_array_equal(t, [0.5, 4.0, 0.0, 10.0])
    rows = wire.vmap(lambda r: wf(r))(a)
    np.testing.assert_array_equal(np.asarray(rows).tobytes(), nf(a, axis=1).tobytes())


# --------------------------------------------------------------------------- scalar code


@pytest.mark.parametrize("name,f,x", [
    ("overflow", lambda x: x * 1e300 + wnp.sin(x), 1e10),
    ("inf - inf", lambda x: x * 1e300 - x * 1e300, 1e10),
    ("inf * 0", lambda x: (x * 1e300) * (x - x), 1e10),
], ids=lambda v: v if isinstance(v, str) else "")
def test_jit_of_float_scalars_warns_and_raises_as_numpy(name, f, x):
    """jit computes graphs of float64 scalars on Python floats, which neither warn nor raise
    on an overflow or an invalid operation: a non-finite result runs the NumPy code instead,
    so ``np.errstate`` is obeyed (a silent inf or NaN under ``all="raise"`` was a wrong
    answer) and the values are NumPy's."""
    import warnings

    x = np.array(x)
    with np.errstate(all="ignore"):
        want = np.asarray(f(x))
    j = wire.jit(f)
    with np.errstate(all="ignore"):
        assert _same_bits(want, j(x))
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        j(x)
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)
    with np.errstate(all="raise"), pytest.raises(FloatingPointError):
        j(x)


ACCUMULATE = [np.maximum, np.minimum, np.add, np.multiply]


@pytest.mark.parametrize("ufunc", ACCUMULATE, ids=lambda u: u.__name__)
@pytest.mark.parametrize("dtype", sc.FLOATS, ids=lambda d: np.dtype(d).name)
def test_ufunc_accumulate_keeps_numpy_s_zero_at_ties(ufunc, dtype):
    """``np.maximum.accumulate(a)`` is ``out[i] = maximum(out[i-1], a[i])``: at a tie of 0.0
    and -0.0 NumPy's ``maximum`` keeps an operand by its place (the second in float32/64, the
    first in float16), so the traced scan must combine in that order."""
    for a in (sc.ties(dtype), sc.ties(dtype).T, sc.matrix(dtype)):
        for axis in (0, 1):
            want = ufunc.accumulate(a, axis=axis)
            f = lambda a, axis=axis: ufunc.accumulate(a, axis=axis)
            with np.errstate(all="ignore"):
                for got in (wire.evaluate(wire.trace(f, a), a), wire.jit(f)(a)):
                    assert _same_bits(want, got), (a, axis, want, got)


INT_REDUCTIONS = [
    ("sum int8", lambda m, a: m.sum(a, dtype=np.int8), np.array([100, 100], np.int8)),
    ("prod int8", lambda m, a: m.prod(a, dtype=np.int8), np.array([100, 100], np.int8)),
    ("sum uint8 axis", lambda m, a: m.sum(a, axis=0, dtype=np.uint8),
     np.array([[200], [200]], np.uint8)),
    ("sum int16", lambda m, a: m.sum(a, dtype=np.int16), np.array([300, 32767], np.int16)),
    ("prod int8 default", lambda m, a: m.prod(a), np.array([100, 100], np.int8)),
    ("prod bool", lambda m, a: m.prod(a), np.array([True, True])),
    ("prod uint8 keepdims", lambda m, a: m.prod(a, axis=1, keepdims=True),
     np.array([[200, 200]], np.uint8)),
    ("nanprod int8", lambda m, a: m.nanprod(a), np.array([100, 3], np.int8)),
]


@pytest.mark.parametrize("name,f,a", INT_REDUCTIONS, ids=[r[0] for r in INT_REDUCTIONS])
def test_integer_sums_and_products_wrap_in_numpy_s_dtype(name, f, a):
    """A sum or product in a narrow integer dtype wraps around in it (``sum(a, dtype=int8)``),
    and one without a dtype accumulates in the platform's integer (``prod(int8_array)``),
    as NumPy's do: traced and jitted (NumPy's kernels widen narrow integers by default), also
    through the disk cache's code."""
    want = np.asarray(f(np, a))
    g = wire.trace(lambda a: f(wnp, a), a)
    for got in (f(wnp, a), wire.evaluate(g, a), wire.jit(lambda a: f(wnp, a))(a)):
        got = np.asarray(got)
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want), (
            name, got, want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cbrt_is_numpy_s_under_jit_and_tracing(dtype):
    # (it was a power of |x|: cbrt(27.0) was 3 - 4e-16 once traced)
    rng = np.random.default_rng(5)
    x = np.concatenate([np.arange(-5.0, 6.0) ** 3, rng.normal(size=200) * 10.0 ** rng.integers(
        -300 if dtype == np.float64 else -30, 300 if dtype == np.float64 else 30, 200),
        [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324 if dtype == np.float64 else 1e-45]]
    ).astype(dtype)
    ref = np.cbrt(x)
    for got in (wire.jit(wnp.cbrt)(x), wire.evaluate(wire.trace(wnp.cbrt, x), x)):
        assert got.dtype == ref.dtype and got.tobytes() == ref.tobytes()
    # NumPy's own cbrt of a scalar (3.0, or 3.0000000000000004 where NumPy calls a libm that
    # rounds it so), never the power's 3 - 4e-16
    assert np.asarray(wire.jit(wnp.cbrt)(27.0)).tobytes() == np.asarray(np.cbrt(27.0)).tobytes()
    assert abs(float(wire.jit(wnp.cbrt)(27.0)) - 3.0) <= 4.5e-16 and wire.jit(wnp.cbrt)(27.0) >= 3.0
    assert wire.grad(wnp.cbrt)(0.0) == wire.grad(wnp.cbrt)(-0.0) == np.inf


@pytest.mark.parametrize("name,args", [
    ("float_power", 2), ("rad2deg", 1), ("deg2rad", 1), ("degrees", 1), ("radians", 1),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_scaled_and_float_power_are_numpy_s_bits_under_jit(name, args, dtype):
    # (float_power ran np.power, whose vectorised loop rounds otherwise than float_power's;
    # rad2deg of float32 multiplied by 180/pi rounded from float64, not float32(180)/float32(pi))
    rng = np.random.default_rng(6)
    xs = [np.concatenate([rng.normal(size=300) * 10.0 ** rng.integers(-3, 3, 300),
                          [0.0, -0.0, np.inf, -np.inf, np.nan]]).astype(dtype)
          for _ in range(args)]
    if name == "float_power":
        xs[0] = np.abs(xs[0])
    ref = getattr(np, name)(*xs)
    got = wire.jit(getattr(wnp, name))(*xs)
    assert got.dtype == ref.dtype and got.tobytes() == ref.tobytes()
