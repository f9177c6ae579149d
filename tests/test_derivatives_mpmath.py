"""First and second derivatives of wire.scipy.special at special inputs (subnormal and huge
shape parameters, infinite parameters, points where a formula's terms cancel), against mpmath.

The default run checks a table of points where a derivative was NaN or wrong, against
mpmath's values written out (each found at the working precision its point needs: 700
digits where ``1 - 1e-300`` must not round to 1), by nested ``wire.grad`` and by ``jit``,
``vmap`` and ``jvp`` of the same derivative. ``-m slow`` recomputes every written value with
mpmath and sweeps a grid of shapes and ``x`` for ``betainc``'s first and second derivatives.

A derivative is right when it is within ``rel`` of the truth where that is a normal number,
exactly ``0``/``±inf`` where it is one of those (``inf``: the truth overflows), and at most
the smallest normal number where the truth underflows.
"""

import math

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as sp
from oracles import close_to
from selection import slow_only

mpmath = pytest.importorskip("mpmath")
mp = mpmath.mp

INF = math.inf


def _betainc(a, b, x):
    return mp.betainc(a, b, 0, x, regularized=True)


def _boxcox(x, lm):
    return (x ** lm - 1) / lm


def _gammaln(x):
    return mpmath.loggamma(x)


# name: (wire function, mpmath function)
FUNCTIONS = {
    "betainc": (sp.betainc, _betainc),
    "boxcox": (sp.boxcox, _boxcox),
    "gammaln": (sp.gammaln, _gammaln),
}

# (name, arguments, argnums of the nested grads (innermost first), mpmath's value, digits
# mpmath needs, relative tolerance); digits None: a limit mpmath cannot evaluate at the point
CASES = [
    # subnormal shapes: NaN (inf - inf in the log-derivatives of 1/B(a, b)) in every argument
    ("betainc", (5e-324, 5e-324, 0.5), (0,), "-5.0600563326827655e+322", 700, 1e-12),
    ("betainc", (5e-324, 5e-324, 0.5), (1,), "5.0600563326827655e+322", 700, 1e-12),
    ("betainc", (5e-324, 5e-324, 0.5), (2,), "9.8813129168249309e-324", 700, 1e-12),
    ("betainc", (2.0, 1e-310, 0.5), (0,), "-2.1611995010324062e-311", 700, 1e-12),
    ("betainc", (2.0, 1e-310, 0.5), (1,), "0.19314718055994531", 700, 1e-12),
    ("betainc", (2.0, 1e-310, 0.5), (2,), "9.9999999999999694e-311", 700, 1e-12),
    ("betainc", (1e-310, 2.0, 0.5), (0,), "-0.19314718055994531", 700, 1e-12),
    ("betainc", (1e-310, 2.0, 0.5), (1,), "2.1611995010324062e-311", 700, 1e-12),
    ("betainc", (1e-310, 2.0, 0.5), (2,), "9.9999999999999694e-311", 700, 1e-12),
    ("betainc", (1e-200, 1e-200, 0.3), (0,), "-2.5e+199", 700, 1e-12),
    # tiny shapes, second order: exp of a log-jet whose coefficients are ±1/b² cancelled
    ("betainc", (2.0, 1e-30, 0.3), (1, 1), "0.086787950729541536", 120, 1e-12),
    ("betainc", (1e-30, 2.0, 0.3), (0, 0), "-0.23601141249985182", 120, 1e-12),
    ("betainc", (1e-8, 1e-8, 0.3), (0, 1), "-21182445.897472686", 120, 1e-12),
    ("betainc", (2.0, 1e-5, 0.5), (1, 1), "0.21269029011481564", 120, 1e-12),
    # huge shapes: psi(a + b) - psi(b) was 0 (a sign error), and a continued fraction that
    # did not converge (NaN after a minute)
    ("betainc", (2.0, 1e20, 3e-20), (0,), "-0.19742541957920244", 120, 1e-12),
    ("betainc", (2.0, 1e20, 3e-20), (1,), "4.4808361531077544e-21", 120, 1e-12),
    ("betainc", (2.0, 1e20, 3e-20), (0, 0), "-0.079308616296455427", 120, 1e-12),
    ("betainc", (2.0, 1e20, 3e-20), (0, 1), "3.0282743276356836e-21", 120, 1e-12),
    ("betainc", (2.0, 1e20, 3e-20), (1, 2), "-0.14936120510359184", 120, 1e-12),
    ("betainc", (0.5, 1e20, 1e-21), (1, 2), "0.64573690348614479", 120, 1e-12),
    ("betainc", (3.0, 1e21, 1e-22), (1, 2), "0.013120142561521415", 120, 1e-11),
    ("betainc", (3.0, 1e21, 1e-22), (1, 1), "8.5959554713416171e-46", 120, 1e-12),
    # boxcox at infinite and huge lambda: the limits (NaN from 0 * inf in a branch not taken)
    ("boxcox", (2.0, INF), (1,), "inf", None, 0),
    ("boxcox", (2.0, INF), (1, 1), "inf", None, 0),
    ("boxcox", (0.5, INF), (1, 1), "0", None, 0),
    ("boxcox", (2.0, -INF), (1, 1), "0", None, 0),
    ("boxcox", (0.5, -INF), (1, 1), "-inf", None, 0),
    ("boxcox", (0.5, -INF), (1,), "inf", None, 0),
    ("boxcox", (1.0, INF), (1, 1), "0", None, 0),
    ("boxcox", (1.0, -INF), (1,), "0", None, 0),
    ("boxcox", (2.0, 1e300), (1,), "inf", None, 0),
    ("boxcox", (2.0, 1e300), (1, 1), "inf", None, 0),
    ("boxcox", (2.0, 1e10), (1, 1), "inf", None, 0),
    ("boxcox", (0.5, -1e300), (1, 1), "-inf", None, 0),
    ("boxcox", (2.0, 700.0), (1, 1), "3.5955033377213349e+207", 50, 1e-13),
    ("boxcox", (0.5, 700.0), (1, 0), "-2.6354725183275608e-211", 300, 1e-13),
    # lnΓ at a subnormal argument: SciPy's inf
    ("gammaln", (1e-310,), (), "713.80137882815417", 50, 1e-15),
    ("gammaln", (5e-324,), (), "744.44007192138126", 50, 1e-15),
    ("gammaln", (1e-310,), (0,), "-inf", None, 0),
]


def _derivative(fn, argnums):
    g = fn
    for k in argnums:
        g = wire.grad(g, k)
    return g


_ok = close_to


def _want(text):
    with mp.workdps(60):
        return mpmath.mpf(text)


def _ids(cases):
    return [f"{c[0]}{c[1]}d{''.join(map(str, c[2]))}" for c in cases]


@pytest.mark.parametrize("name,args,argnums,want,digits,rel", CASES, ids=_ids(CASES))
def test_derivative_at_a_special_point_agrees_with_mpmath(name, args, argnums, want, digits,
                                                          rel):
    fn = FUNCTIONS[name][0]
    g = _derivative(fn, argnums)
    w = _want(want)
    got = g(*args)
    assert np.asarray(got).dtype == np.float64
    assert _ok(got, w, rel), f"{name}{args} d{argnums}: got {float(got)!r}, mpmath {want}"
    # the same derivative under jit and vmap, bit for bit (NaN where NaN)
    np.testing.assert_array_equal(wire.jit(g)(*args), got)
    batch = [np.array([v, v]) for v in args]
    np.testing.assert_array_equal(wire.vmap(g)(*batch), [got, got])
    if argnums:  # the last derivative in forward mode, along that argument alone
        inner, k = _derivative(fn, argnums[:-1]), argnums[-1]

        def along(t):
            return inner(*(t if i == k else v for i, v in enumerate(args)))

        tangent = wire.jvp(along, (args[k],), (1.0,))[1]
        assert _ok(tangent, w, max(rel, 1e-13)), (float(tangent), want)


@pytest.mark.parametrize("args,argnums,want", [
    ((2.0, 1e-30, 0.3), (1, 1), "0.086787950729541536"),
    ((1e-30, 2.0, 0.3), (0,), "-0.50397280432593602"),
    ((2.0, 1e-30, 0.3), (1,), "0.056674943938732374"),
])
def test_float32_betainc_derivatives_at_tiny_shapes(args, argnums, want):
    g = _derivative(sp.betainc, argnums)
    got = g(*[np.float32(v) for v in args])
    assert np.asarray(got).dtype == np.float32
    # (the float32 inputs differ from the float64 ones by an ulp: 1e-6 covers that)
    assert _ok(got, _want(want), 1e-6, np.float32), (float(got), want)


def test_betainc_derivatives_of_a_batch_mixing_tiny_huge_and_plain_shapes():
    # the tiny- and huge-shape entries take other paths than their neighbours in one array
    a = np.array([5e-324, 2.0, 0.7, 2.0, 1e-310])
    b = np.array([5e-324, 1e20, 1.3, 1e-30, 2.0])
    x = np.array([0.5, 3e-20, 0.4, 0.3, 0.5])
    for k in (0, 1, 2):
        g = wire.grad(lambda *v: wnp.sum(sp.betainc(*v)), k)
        got = g(a, b, x)
        one = [float(wire.grad(sp.betainc, k)(a[i], b[i], x[i])) for i in range(5)]
        np.testing.assert_allclose(got, one, rtol=1e-15, atol=0)


# --------------------------------------------------------------------------- slow: mpmath


def _mp_derivative(ref, args, argnums, digits):
    """mpmath's nested derivative, steps relative to each argument (tiny shapes need steps
    far below the default)."""
    with mp.workdps(digits):
        point = [mpmath.mpf(v) for v in args]
        counts = [argnums.count(i) for i in range(len(args))]

        def nested(k, p):
            # differentiate ref(p) counts[k] times in argument k, then the next argument
            if k == len(p):
                return ref(*p)
            if not counts[k]:
                return nested(k + 1, p)
            h = abs(point[k]) * mpmath.mpf(10) ** (-digits // 4)

            def along(t):
                q = list(p)
                q[k] = t
                return nested(k + 1, q)
            return mpmath.diff(along, p[k], counts[k], h=h)
        return nested(0, point)


@slow_only
def test_written_values_are_mpmath_s():
    for name, args, argnums, want, digits, rel in CASES:
        if digits is None:
            continue
        got = _mp_derivative(FUNCTIONS[name][1], args, argnums, digits)
        w = _want(want)
        assert abs(got - w) <= abs(w) * 1e-15 + mpmath.mpf(10) ** -330, (name, args, argnums,
                                                                           got, want)


# (mpmath's hypergeometric series do not converge at a shape of 1e10; the huge shapes are in
# CASES, with values found at the precision they need)
_SHAPES = [1e-30, 1e-8, 0.5, 3.0]
_XS = [1e-10, 0.3, 0.7]


@slow_only
def test_betainc_first_and_second_derivatives_on_a_grid():
    bad = []
    for a in _SHAPES:
        for b in _SHAPES:
            for x in _XS:
                for argnums in [(0,), (1,), (2,), (0, 0), (0, 1), (1, 1), (0, 2), (1, 2)]:
                    want = _mp_derivative(_betainc, (a, b, x), argnums, 120)
                    got = _derivative(sp.betainc, argnums)(a, b, x)
                    if not _ok(got, want, 1e-9):
                        bad.append(((a, b, x), argnums, float(got), mpmath.nstr(want, 17)))
    assert not bad, bad
