"""wire.scipy.linalg's matrix constructors: hilbert, invhilbert, pascal, invpascal, hadamard,
helmert, dft (NumPy arrays built without SciPy: exact integers and dtypes against SciPy's,
and against exact rational arithmetic where SciPy's float path rounds more), and fiedler,
fiedler_companion, leslie, convolution_matrix traced (values against SciPy, batches,
integer dtypes, derivatives against finite differences, jit and vmap)."""

from fractions import Fraction

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.scipy import linalg as wl
from wire.testing import check_grads

sl = pytest.importorskip("scipy.linalg")

RNG = np.random.default_rng(12)


def _same(got, want, exact=True, rtol=1e-14):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype,
                                                                got.shape, want.shape)
    if got.dtype.kind == "f":
        assert (np.signbit(got) == np.signbit(want)).all()
    if exact:
        assert (got == want).all()
    else:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 14, 15, 34, 35, 40])
def test_integer_constructors_equal_scipys(n):
    _same(wl.hilbert(n), sl.hilbert(n))
    _same(wl.invhilbert(n, exact=True), sl.invhilbert(n, exact=True))
    for kind in ("symmetric", "lower", "upper"):
        _same(wl.pascal(n, kind), sl.pascal(n, kind))
        _same(wl.pascal(n, kind, exact=False), sl.pascal(n, kind, exact=False), exact=n < 30)
        _same(wl.invpascal(n, kind), sl.invpascal(n, kind))
        # lower/upper: SciPy's -0.0 where the alternating signs meet zeros, kept
        _same(wl.invpascal(n, kind, exact=False), sl.invpascal(n, kind, exact=False),
              exact=n < 30)
    if n:
        _same(wl.helmert(n), sl.helmert(n))
        _same(wl.helmert(n, full=True), sl.helmert(n, full=True))
    for scale in (None, "sqrtn", "n") if n else (None,):
        # SciPy's entries are powers of a rounded root of unity (~n·1e-16 off); ours are
        # exp of the exact angle (checked against mpmath below)
        _same(wl.dft(n, scale), sl.dft(n, scale), exact=False, rtol=1e-13)


def test_float_inverses_are_the_exact_integers_rounded_once():
    # the entries of invhilbert(n) and invpascal(n) are integers; SciPy's float path
    # multiplies and sums rounded binomials (invhilbert(20): relative error ~1e-15)
    for n in (12, 20):
        h = [[Fraction(1, i + j + 1) for j in range(n)] for i in range(n)]
        got = wl.invhilbert(n)
        exact = wl.invhilbert(n, exact=True)
        assert all(float(exact[i, j]) == got[i, j] for i in range(n) for j in range(n))
        # and exact is the inverse: H @ exact is the identity in rational arithmetic
        row = [sum(h[0][k] * int(exact[k, j]) for k in range(n)) for j in range(n)]
        assert row == [1] + [0] * (n - 1)
    p = wl.invpascal(40, exact=False)
    e = wl.invpascal(40)
    assert all(float(e[i, j]) == p[i, j] for i in range(40) for j in range(40))
    assert (sl.pascal(40).dot(e) == np.eye(40, dtype=int).astype(object)).all()


def test_hadamard_and_dft():
    for n in (1, 2, 8, 64):
        _same(wl.hadamard(n), sl.hadamard(n))
        _same(wl.hadamard(n, np.float32), sl.hadamard(n, np.float32))
        h = wl.hadamard(n)
        assert (h @ h.T == n * np.eye(n)).all()
    x = RNG.normal(size=37)
    np.testing.assert_allclose(wl.dft(37) @ x, np.fft.fft(x), rtol=1e-13, atol=1e-13)
    # entries reduced mod n: exactly 1 on the first row and column, conjugate symmetry
    m = wl.dft(1000)
    mpmath = pytest.importorskip("mpmath")
    for j, k in ((1, 999), (999, 999), (500, 333), (7, 123)):
        with mpmath.workdps(40):
            want = complex(mpmath.expjpi(mpmath.mpf(-2 * j * k) / 1000))
        assert abs(want - m[j, k]) < 4.5e-16
    assert (m[0] == 1).all() and (m[:, 0] == 1).all()
    assert (m[1, 1:] == np.conj(m[1, :0:-1])).all()
    np.testing.assert_allclose(wl.dft(6, "sqrtn") @ np.conj(wl.dft(6, "sqrtn")).T, np.eye(6),
                               atol=1e-15)


@pytest.mark.parametrize("call", [lambda: wl.hadamard(0), lambda: wl.hadamard(6),
                                  lambda: wl.hadamard(2.0), lambda: wl.hilbert(-1),
                                  lambda: wl.helmert(0), lambda: wl.dft(3, "bad"),
                                  lambda: wl.pascal(3, "middle"), lambda: wl.invpascal(3, "x"),
                                  lambda: wl.convolution_matrix(np.ones(2), 0),
                                  lambda: wl.convolution_matrix(np.ones(2), 2, "circular")])
def test_bad_arguments_raise_value_errors(call):
    with pytest.raises(ValueError):
        call()
    with pytest.raises(wire.WireError):
        call()


_TRACED = [
    ("fiedler", lambda a: wl.fiedler(a), (RNG.normal(size=5),)),
    ("fiedler batched", lambda a: wl.fiedler(a), (RNG.normal(size=(2, 3, 4)),)),
    ("fiedler_companion", lambda a: wl.fiedler_companion(a), (RNG.normal(size=6),)),
    ("fiedler_companion odd", lambda a: wl.fiedler_companion(a), (RNG.normal(size=5),)),
    ("fiedler_companion 3", lambda a: wl.fiedler_companion(a), (RNG.normal(size=3),)),
    ("fiedler_companion batched", lambda a: wl.fiedler_companion(a), (RNG.normal(size=(3, 5)),)),
    ("leslie", lambda f, s: wl.leslie(f, s), (RNG.normal(size=4), RNG.normal(size=3))),
    ("leslie batched", lambda f, s: wl.leslie(f, s),
     (RNG.normal(size=(2, 3)), RNG.normal(size=2))),
] + [(f"convolution_matrix {m} {n}", (lambda m, n: lambda a: wl.convolution_matrix(a, n, m))(m, n),
      (RNG.normal(size=k),))
     for m in ("full", "same", "valid") for n in (1, 3, 6) for k in (1, 2, 4)] + [
    ("convolution_matrix batched", lambda a: wl.convolution_matrix(a, 4, "same"),
     (RNG.normal(size=(2, 3)),)),
]


@pytest.mark.parametrize("name,f,args", _TRACED, ids=[t[0] for t in _TRACED])
def test_traced_constructors_equal_scipys(name, f, args):
    want = f(*args)  # concrete: SciPy's
    got = wire.jit(f)(*args)
    assert isinstance(want, np.ndarray)
    _same(got, want, exact=False)


@pytest.mark.parametrize("name,f,args", [t for t in _TRACED if "fiedler " not in t[0]
                                         and t[0] != "fiedler"],
                         ids=[t[0] for t in _TRACED if "fiedler " not in t[0]
                              and t[0] != "fiedler"])
def test_traced_constructors_derivatives(name, f, args):
    w = RNG.normal(size=np.shape(f(*args)))
    check_grads(lambda *a: wnp.sum(f(*a) * w), args, order=2)


def test_fiedler_derivative_and_kinks():
    a = np.array([0.3, -1.2, 2.0, 0.7])
    check_grads(lambda a: wnp.sum(wl.fiedler(a) * np.arange(16.0).reshape(4, 4)), (a,))
    # the diagonal |a_i - a_i| has its kink at 0 for every a: derivative 0 there; a tie
    # a_0 = a_3 contributes sign(0) = 0 too
    g = wire.grad(lambda a: wnp.sum(wl.fiedler(a)))(np.array([2.0, 1.0, 3.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, -6.0, 6.0, 0.0])


def test_integer_and_float32_inputs_keep_scipys_dtypes():
    for a in (np.array([1, -4, 2]), np.array([1.0, 2.0, 3.0], np.float32)):
        for mode in ("full", "same", "valid"):
            _same(wire.jit(lambda a: wl.convolution_matrix(a, 4, mode))(a),
                  sl.convolution_matrix(a, 4, mode))
        _same(wire.jit(wl.fiedler)(a), sl.fiedler(a))
        _same(wire.jit(wl.leslie)(a, a[1:]), sl.leslie(a, a[1:]))
    a = np.array([2.0, 1.0, 3.0], np.float32)
    _same(wire.jit(wl.fiedler_companion)(a), sl.fiedler_companion(a), exact=False)
    # convolution_matrix is the convolution: A @ v == convolve(a, v, mode)
    a, v = RNG.normal(size=5), RNG.normal(size=3)
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(wire.jit(lambda a: wl.convolution_matrix(a, 3, mode))(a) @ v,
                                   np.convolve(a, v, mode), rtol=1e-13, atol=1e-14)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")
def test_fiedler_companion_roots_and_zero_leading_coefficient():
    p = np.poly([1.0, 3.0, 5.0, 7.0])
    roots = wire.jit(lambda p: wnp.sort(wnp.real(wl.eigvals(wl.fiedler_companion(p)))))(p)
    np.testing.assert_allclose(roots, [1.0, 3.0, 5.0, 7.0], rtol=1e-10)
    with pytest.raises(ValueError):
        wl.fiedler_companion(np.array([0.0, 1.0, 2.0]))  # concrete: SciPy's error
    # traced, a zero leading coefficient is not silently finite
    out = wire.jit(wl.fiedler_companion)(np.array([0.0, 1.0, 2.0, 3.0]))
    assert not np.isfinite(out).all()
    out = wire.jit(wl.fiedler_companion)(np.array([0.0, 2.0]))
    assert not np.isfinite(out).all()


def test_vmap_matches_batch():
    a = RNG.normal(size=(3, 4))
    for f in (wl.fiedler, wl.fiedler_companion, lambda a: wl.convolution_matrix(a, 3, "same"),
              lambda a: wl.leslie(a, a[1:])):
        np.testing.assert_allclose(wire.vmap(f)(a), np.stack([f(r) for r in a]), rtol=1e-14)


def test_leslie_shape_errors():
    with pytest.raises(wire.WireError):
        wire.jit(wl.leslie)(np.ones(3), np.ones(3))
    with pytest.raises(wire.WireError):
        wire.jit(wl.leslie)(np.ones(1), np.ones(0))
