"""Complex numbers in ``wire.scipy.special`` (``logsumexp``, ``erf``/``erfc``/``ndtr``,
``digamma``, and every other name: right or refused, never silently real), in the implicit
derivatives of linear solves (``custom_linear_solve``, ``cg``/``gmres``/``bicgstab``), and in
``wire.scipy.linalg.qr_multiply``. Oracles: SciPy, NumPy, mpmath, JAX (x64), finite
differences."""

import inspect
import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as ws
from selection import slow_selected
from wire.errors import WireError, WireTypeError
from oracles import jax_x64

ss = pytest.importorskip("scipy.special")
mpmath = pytest.importorskip("mpmath")

RNG = np.random.default_rng(25)




def _close(got, want, rtol=1e-12, atol=1e-14):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype.kind == want.dtype.kind, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def _fd_complex(f, z, h=1e-6):
    """``∂f/∂x - i ∂f/∂y`` of a real ``f`` at each entry of complex ``z`` (JAX's and wire's
    gradient of a real function of a complex argument)."""
    out = np.zeros(z.shape, complex)
    for k in np.ndindex(z.shape):
        e = np.zeros(z.shape)
        e[k] = h
        dx = (f(z + e) - f(z - e)) / (2 * h)
        dy = (f(z + 1j * e) - f(z - 1j * e)) / (2 * h)
        out[k] = dx - 1j * dy
    return out


# --------------------------------------------------------------------------- logsumexp

A = RNG.normal(size=(3, 4)) + 3j * RNG.normal(size=(3, 4))
B = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))


@pytest.mark.parametrize("kw", [{}, {"axis": 1}, {"axis": 0, "keepdims": True},
                                {"axis": (0, 1)}, {"axis": -1, "keepdims": True}])
@pytest.mark.parametrize("weights", [None, "complex", "real"])
@pytest.mark.parametrize("jit", [False, True])
def test_logsumexp_complex_matches_scipy(kw, weights, jit):
    """The old code took the real path: the imaginary part came out as a multiple of ``i``
    (``logsumexp([1+2j, 3-1j, .5+.5j])`` was ``2.869-1j``, SciPy's ``2.869-0.885j``), NaN with
    weights, and ``return_sign``'s sign was the phase of the wrong sum."""
    b = None if weights is None else B if weights == "complex" else B.real
    f = (lambda a, b: ws.logsumexp(a, b=b, **kw)) if b is not None else \
        (lambda a, b: ws.logsumexp(a, **kw))
    fs = (lambda a, b: ws.logsumexp(a, b=b, return_sign=True, **kw)) if b is not None else \
        (lambda a, b: ws.logsumexp(a, return_sign=True, **kw))
    if jit:
        f, fs = wire.jit(f), wire.jit(fs)
    _close(f(A, b), ss.logsumexp(A, b=b, **kw))
    out, sign = fs(A, b)
    want_out, want_sign = ss.logsumexp(A, b=b, return_sign=True, **kw)
    _close(out, want_out)  # log|sum|: real
    _close(sign, want_sign)  # the phase: complex


def test_logsumexp_complex_weights_of_real_a():
    """Real ``a`` with complex weights is complex too (SciPy promotes)."""
    _close(ws.logsumexp(A.real, b=B, axis=1), ss.logsumexp(A.real, b=B, axis=1))
    _close(ws.logsumexp(A.real, b=1j * np.ones(4), axis=1),
           ss.logsumexp(A.real, b=1j * np.ones(4), axis=1))


@pytest.mark.parametrize("a, b", [
    ([0j, np.pi * 1j], None),  # the sum cancels to 1.2e-16j
    ([-1 + 0j], [-1.0]),  # on the negative real axis: imaginary part pi, not NaN
    ([-np.inf + 0j, 1 + 1j], None),
    ([-np.inf + 0j, -np.inf + 0j], None),  # log 0 = -inf
    ([np.inf + 0j, 0j], None),
    ([np.inf + 1j, 0j], None),
    ([np.nan + 0j, 0j], None),
    ([1 + 1j, np.nan + 0j], [1.0, 0.0]),  # a zero weight drops even NaN
])
def test_logsumexp_complex_special_values(a, b):
    a = np.array(a)
    with np.errstate(all="ignore"):
        _close(ws.logsumexp(a, b=b), ss.logsumexp(a, b=b))
        _close(wire.jit(lambda a: ws.logsumexp(a, b=b))(a), ss.logsumexp(a, b=b))
        out, sign = ws.logsumexp(a, b=b, return_sign=True)
        want_out, want_sign = ss.logsumexp(a, b=b, return_sign=True)
    _close(out, want_out)
    _close(sign, want_sign)


def test_logsumexp_complex_zero_sum_and_empty():
    out, sign = ws.logsumexp(np.array([0j, 0j]), b=np.array([1.0, -1.0]), return_sign=True)
    assert out == -np.inf and sign == 0 and np.asarray(sign).dtype == np.complex128
    assert ws.logsumexp(np.array([0j, 0j]), b=np.array([1.0, -1.0])) == -np.inf
    empty = ws.logsumexp(np.zeros((0, 2), complex), axis=0)
    _close(empty, np.full(2, -np.inf + 0j))
    assert ws.logsumexp(np.zeros(3, np.complex64)).dtype == np.complex64


def test_logsumexp_complex_derivatives():
    """Holomorphic in ``a`` (``d/da_i = b_i exp(a_i - out)``) and in ``b``
    (``exp(a_i - out)``); the gradient of a real loss against finite differences of SciPy."""
    out = ss.logsumexp(A, b=B, axis=1, keepdims=True)
    ga, gb = wire.grad(lambda a, b: wnp.sum(ws.logsumexp(a, b=b, axis=1)), argnums=(0, 1),
                       holomorphic=True)(A, B)
    _close(ga, B * np.exp(A - out), rtol=1e-12)
    _close(gb, np.exp(A - out), rtol=1e-12)
    a, b = A[1], B[1]
    got = wire.grad(lambda a: wnp.abs(ws.logsumexp(a, b=b)) ** 2)(a)
    _close(got, _fd_complex(lambda a: abs(ss.logsumexp(a, b=b)) ** 2, a), rtol=1e-7, atol=1e-9)
    got = wire.grad(lambda b: ws.logsumexp(a, b=b, return_sign=True)[0])(b)
    _close(got, _fd_complex(lambda b: ss.logsumexp(a, b=b, return_sign=True)[0], b),
           rtol=1e-7, atol=1e-9)


@pytest.mark.slow
def test_logsumexp_complex_derivatives_match_jax(request):
    """The same derivatives as JAX's (x64): holomorphic, of a real loss in complex and real
    ``a`` and complex ``b``, and of ``return_sign``'s ``log|sum|`` (JAX stops the phase's)."""
    if not slow_selected(request.config):
        pytest.skip("runs with -m slow (JAX compiles for seconds)")
    jax = jax_x64()
    jnp, jss = jax.numpy, jax.scipy.special
    g = wire.grad(lambda a: wnp.sum(ws.logsumexp(a, axis=1)), holomorphic=True)(A)
    want = jax.grad(lambda a: jnp.sum(jss.logsumexp(a, axis=1)), holomorphic=True)(A)
    _close(g, want)
    for a in (A, A.real):
        got = wire.grad(lambda a, b: wnp.sum(wnp.abs(ws.logsumexp(a, b=b, axis=1)) ** 2),
                        argnums=(0, 1))(a, B)
        want = jax.grad(lambda a, b: jnp.sum(jnp.abs(jss.logsumexp(a, b=b, axis=1)) ** 2),
                        argnums=(0, 1))(a, B)
        _close(got[0], want[0], rtol=1e-11)
        _close(got[1], want[1], rtol=1e-11)
    got = wire.grad(lambda a, b: wnp.sum(ws.logsumexp(a, b=b, axis=0, return_sign=True)[0]),
                    argnums=(0, 1))(A, B)
    want = jax.grad(lambda a, b: jnp.sum(jss.logsumexp(a, b=b, axis=0, return_sign=True)[0]),
                    argnums=(0, 1))(A, B)
    _close(got[0], want[0], rtol=1e-11)
    _close(got[1], want[1], rtol=1e-11)


def test_logsumexp_complex_sign_derivative():
    """The phase's derivative (JAX stops it; wire's is the phase's own), against finite
    differences of SciPy's."""
    a, b = A[0], B[0]
    got = wire.grad(lambda a: wnp.real(ws.logsumexp(a, b=b, return_sign=True)[1]))(a)
    want = _fd_complex(lambda a: np.real(ss.logsumexp(a, b=b, return_sign=True)[1]), a)
    _close(got, want, rtol=1e-7, atol=1e-9)


def test_nn_logsumexp_complex():
    from wire.nn import logsumexp

    _close(logsumexp(A, axis=-1), ss.logsumexp(A, axis=-1))
    _close(wire.jit(lambda a: logsumexp(a, axis=0, keepdims=True))(A),
           ss.logsumexp(A, axis=0, keepdims=True))


# --------------------------------------------------------------------------- erf, psi, ndtr

XS = np.concatenate([np.linspace(-30, 30, 21), [-1e-8, 1e-8, 0.0, -0.5, 0.5, 100.0, -100.0]])
YS = np.concatenate([np.linspace(-30, 30, 21), [-1e-8, 1e-8, 0.0, 200.0, -200.0]])
GRID = (XS[:, None] + 1j * YS[None, :]).ravel()


@pytest.mark.parametrize("name", ["erf", "erfc", "ndtr", "psi", "digamma"])
def test_complex_values_match_scipy(name):
    """The old code dropped the imaginary part (``erf(1+2j)`` was ``-0.537``, SciPy's
    ``-0.537-5.049j``; ``ndtr(1+2j)`` was ``0.841+0j``). Concrete: SciPy's own values;
    traced: the compositions (Faddeeva ``w``; the reflection, recurrence and asymptotic series
    of ψ), to 1e-12 wherever SciPy's value is finite."""
    f = getattr(ws, name)
    with np.errstate(all="ignore"):
        want = getattr(ss, name)(GRID)
        _close(f(GRID), want)
        got = np.asarray(wire.jit(f)(GRID))
    assert got.dtype == np.complex128
    finite = np.isfinite(want)
    _close(got[finite], want[finite], rtol=1e-12, atol=0)
    assert wire.jit(f)(GRID.astype(np.complex64)).dtype == np.complex64


@pytest.mark.parametrize("name, deriv", [
    ("erf", lambda z: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-z * z)),
    ("erfc", lambda z: -2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-z * z)),
    ("ndtr", lambda z: mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)),
    ("psi", lambda z: mpmath.polygamma(1, z)),
])
def test_complex_derivatives(name, deriv):
    """Holomorphic derivatives (two orders for ψ) against mpmath, and the gradient of a real
    loss against finite differences of SciPy."""
    f = getattr(ws, name)
    z = np.array([0.3 + 0.4j, -1.2 + 0.7j, 2.5 - 1.1j, -4.3 - 0.2j, 0.1 - 3j, 12 + 5j])
    got = wire.vmap(wire.grad(f, holomorphic=True))(z)
    _close(got, np.array([complex(deriv(complex(v))) for v in z]), rtol=1e-13, atol=0)
    if name == "psi":
        got = wire.vmap(wire.grad(wire.grad(f, holomorphic=True), holomorphic=True))(z)
        want = np.array([complex(mpmath.polygamma(2, complex(v))) for v in z])
        _close(got, want, rtol=1e-13, atol=0)
    loss = wire.grad(lambda z: wnp.sum(wnp.abs(f(z)) ** 2))(z[:3])
    fd = _fd_complex(lambda z: float(np.sum(np.abs(getattr(ss, name)(z)) ** 2)), z[:3])
    _close(loss, fd, rtol=1e-7, atol=1e-9)


def test_python_complex_scalars():
    """A Python complex is complex (it was cast to float64: a TypeError)."""
    assert complex(ws.psi(1j)) == complex(ss.psi(1j))
    assert complex(ws.erf(1j)) == complex(ss.erf(1j))
    with pytest.raises(WireTypeError, match="expit"):
        ws.expit(1j)


# the arguments of each function (real); the sweep makes each array argument complex in turn
_REAL_ARGS = {
    "bernoulli": (3,), "bessel_jn": ((0.7,), {"v": 1.0}), "comb": (5.0, 2.0),
    "binom": (5.0, 2.0), "expn": (2, 0.7), "factorial": (3.0,), "jn": (2, 0.7),
    "kn": (2, 0.7), "yn": (2, 0.7), "multigammaln": (3.5, 2), "polygamma": (1, 0.7),
    "sph_harm_y": (2, 1, 0.7, 0.3), "hyp2f1": (0.5, 0.3, 1.7, 0.2), "zeta": (1.7,),
}


def _real_args(name, f):
    spec = _REAL_ARGS.get(name)
    if spec is not None:
        args, kw = spec if len(spec) == 2 and isinstance(spec[1], dict) else (spec, {})
    else:
        params = inspect.signature(f).parameters.values()
        args, kw = tuple(0.3 for p in params if p.default is p.empty
                         and p.kind is p.POSITIONAL_OR_KEYWORD), {}
    return [np.full(3, a) if isinstance(a, float) else a for a in args], kw


def _outcome(f, args, kw):
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return f(*args, **kw), None
    except Exception as e:  # noqa: BLE001 - the kind of exception is what is tested
        return None, e


@pytest.mark.parametrize("name", sorted(ws.__all__))
def test_every_special_function_takes_complex_right_or_refuses(name):
    """Each array argument of each ``wire.scipy.special`` function made complex128 in turn
    (the others real), concrete and under ``jit``: the result matches SciPy's complex one,
    or wire raises a ``WireError`` (always where SciPy refuses). The old code returned a
    real-valued wrong answer for erf, erfc, psi and ndtr, a complex wrong one for expit,
    logit, beta, betaln, betainc, entr, rel_entr, kl_div and erfcinv (``expit(0.3+0.4j)`` was
    ``1.02+0.40j``, SciPy refuses it), and NumPy/SciPy's plain TypeError for the others."""
    f = getattr(ws, name)
    ref = getattr(ss, name, None)
    if name == "bessel_jn":  # (JAX's; SciPy's jv of each order)
        ref = lambda z, v: np.stack([ss.jv(float(k), z) for k in range(v + 1)])  # noqa: E731
    args, kw = _real_args(name, f)
    for k, a in enumerate(args):
        if not isinstance(a, np.ndarray):
            if isinstance(a, int) and name not in ("bernoulli", "factorial"):
                continue  # an integer order: complex is refused by its own check
            a = np.full(3, float(a))
        cargs = list(args)
        cargs[k] = a + np.array([0.2j, -0.1j, 0.05j])
        want, want_err = _outcome(ref, cargs, kw)
        for how, fn in (("concrete", f), ("jit", wire.jit(f, static_argnames=tuple(kw)))):
            got, err = _outcome(fn, cargs, kw)
            where_ = f"{name} with argument {k} complex, {how}"
            if err is not None:
                assert isinstance(err, WireError), f"{where_}: {type(err).__name__}: {err}"
                if want_err is None:  # refused though SciPy computes it: traced only
                    assert how == "jit", f"{where_}: {err}"
                continue
            assert want_err is None, f"{where_}: SciPy raises {want_err!r}, wire returned {got}"
            gots = got if isinstance(got, tuple) else (got,)
            wants = want if isinstance(want, tuple) else (want,)
            for g, w in zip(gots, wants):
                _close(g, w, rtol=1e-12, atol=1e-15)


_UFUNCS = sorted(n for n in dir(np) if isinstance(getattr(np, n), np.ufunc))


@pytest.mark.parametrize("jit", [False, True])
def test_every_numpy_ufunc_takes_complex_right_or_refuses(jit):
    """The same promise for ``wire.numpy``'s ufuncs against NumPy's."""
    z = np.array([0.3 + 0.4j, -1.2 + 0.7j, 2.5 - 1.1j])
    r = np.array([0.5, 1.5, -0.25])
    for name in _UFUNCS:
        uf, f = getattr(np, name), getattr(wnp, name)
        for k in range(uf.nin):
            args = [r] * uf.nin
            args[k] = z
            want, want_err = _outcome(uf, args, {})
            got, err = _outcome(wire.jit(f) if jit else f, args, {})
            where_ = f"{name} with argument {k} complex"
            if err is not None:
                assert isinstance(err, WireError), f"{where_}: {type(err).__name__}: {err}"
                assert want_err is not None, f"{where_}: refused, NumPy computes it: {err}"
                continue
            assert want_err is None, f"{where_}: NumPy raises {want_err!r}, wire gave {got}"
            gots = got if isinstance(got, tuple) else (got,)
            wants = want if isinstance(want, tuple) else (want,)
            for g, w in zip(gots, wants):
                _close(g, w, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- implicit solves

N = 4
_M = RNG.normal(size=(N, N)) + 1j * RNG.normal(size=(N, N))
HPD = _M @ _M.conj().T + N * np.eye(N)  # Hermitian positive definite
GEN = RNG.normal(size=(N, N)) + 1j * RNG.normal(size=(N, N)) + 3 * np.eye(N)
RHS = RNG.normal(size=N) + 1j * RNG.normal(size=N)


def _solvers():
    from wire.scipy.sparse.linalg import bicgstab, cg, gmres

    return {"cg": (cg, HPD), "gmres": (gmres, GEN), "bicgstab": (bicgstab, GEN)}


def _sq_norm_of_solve(a, b):
    return float(np.sum(np.abs(np.linalg.solve(a, b)) ** 2))


@pytest.mark.parametrize("name", ["cg", "gmres", "bicgstab"])
def test_krylov_complex_derivative_in_b(name):
    """The derivative of a complex solve raised ("reverse mode needs transpose_solve"): wire's
    transpose was real-only. Now the gradient of ``sum |x|²`` in complex ``b`` and in its real
    and imaginary parts, against finite differences of ``numpy.linalg.solve``."""
    fn, a = _solvers()[name]
    want = _fd_complex(lambda b: _sq_norm_of_solve(a, b), RHS)
    got = wire.grad(lambda b: wnp.sum(wnp.abs(fn(a, b, tol=1e-13)[0]) ** 2))(RHS)
    _close(got, want, rtol=1e-7, atol=1e-9)
    gr, gi = wire.grad(lambda br, bi: wnp.sum(wnp.abs(fn(a, br + 1j * bi, tol=1e-13)[0]) ** 2),
                       argnums=(0, 1))(RHS.real, RHS.imag)
    _close(gr + 1j * gi, np.conj(want), rtol=1e-7, atol=1e-9)
    # holomorphic: d sum(x) / db = A⁻ᵀ 1 (the transpose, no conjugation)
    got = wire.grad(lambda b: wnp.sum(fn(a, b, tol=1e-13)[0]), holomorphic=True)(RHS)
    _close(got, np.linalg.solve(a.T, np.ones(N)), rtol=1e-10, atol=1e-12)
    # forward mode: the Jacobian in the real part of b
    jac = wire.jacfwd(lambda br: fn(a, br + 1j * RHS.imag, tol=1e-13)[0])(RHS.real)
    _close(jac, np.linalg.inv(a), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["cg", "gmres", "bicgstab"])
def test_krylov_complex_derivative_in_matrix(name):
    """The gradient in the real and imaginary parts of ``A`` (``matvec`` closing over it),
    against finite differences; for ``cg`` ``A`` is made Hermitian inside."""
    fn, a = _solvers()[name]
    herm = name == "cg"

    def loss(ar, ai):
        m = ar + 1j * ai
        if herm:
            m = (m + wnp.conj(m.T)) / 2
        return wnp.sum(wnp.abs(fn(lambda v: m @ v, RHS, tol=1e-13)[0]) ** 2)

    def loss_np(m):
        return _sq_norm_of_solve((m + m.conj().T) / 2 if herm else m, RHS)

    gr, gi = wire.grad(loss, argnums=(0, 1))(a.real, a.imag)
    fd = _fd_complex(loss_np, a)  # ∂/∂Re - i ∂/∂Im
    _close(gr, fd.real, rtol=1e-6, atol=1e-8)
    _close(gi, -fd.imag, rtol=1e-6, atol=1e-8)


def test_krylov_complex_matrix_real_rhs():
    """Complex ``A`` with a real ``b``: a complex solution and a real gradient (JAX's solvers
    refuse this one)."""
    fn, a = _solvers()["gmres"]
    got = wire.grad(lambda b: wnp.sum(wnp.abs(fn(a, b, tol=1e-13)[0]) ** 2))(RHS.real)
    assert got.dtype == np.float64
    _close(got, _fd_complex(lambda b: _sq_norm_of_solve(a, b.real), RHS.real.astype(complex)).real,
           rtol=1e-7, atol=1e-9)


def test_krylov_complex_scaled_operator():
    """The case that raised before: the derivative in a real scale of a complex operator."""
    fn, a = _solvers()["cg"]
    got = wire.grad(lambda s: wnp.real(wnp.sum(fn(lambda v: s * (a @ v), RHS, tol=1e-13)[0])))(1.0)
    assert abs(got + np.real(np.sum(np.linalg.solve(a, RHS)))) < 1e-10


def test_custom_linear_solve_complex():
    """``lax.custom_linear_solve`` of a complex non-symmetric system with its own
    ``transpose_solve``: gradient in ``b`` and in the operator's parameter, and forward mode."""
    p0 = 0.7 + 0.2j

    def solve(a, b, p):
        mv = lambda x: a @ x + p * x  # noqa: E731
        return wire.lax.custom_linear_solve(
            mv, b, lambda mv, b: wnp.linalg.solve(a + p * np.eye(N), b),
            transpose_solve=lambda vm, b: wnp.linalg.solve((a + p * np.eye(N)).T, b))

    def loss(b, p):
        return wnp.sum(wnp.abs(solve(GEN, b, p)) ** 2)

    for arg in (0, 1):
        x0 = (RHS, p0)[arg]
        got = wire.grad(loss, argnums=arg)(RHS, p0)

        def loss_np(v):
            b, p = (v, p0) if arg == 0 else (RHS, v)
            return _sq_norm_of_solve(GEN + p * np.eye(N), b)

        want = _fd_complex(loss_np, np.asarray(x0, complex))
        _close(np.asarray(got), np.asarray(want).reshape(np.shape(got)), rtol=1e-7, atol=1e-9)
    jac = wire.jacfwd(lambda br: solve(GEN, br + 0j, p0))(RHS.real)
    _close(jac, np.linalg.inv(GEN + p0 * np.eye(N)), rtol=1e-10, atol=1e-12)


def test_transpose_of_complex_maps():
    """The transpose implicit differentiation uses: ``Aᵀ``, not ``Aᴴ``, for a complex-linear
    map; ``conj`` transposes to ``conj``."""
    from wire.implicit import _transpose

    ct = RNG.normal(size=N) + 1j * RNG.normal(size=N)
    got = _transpose(lambda x: GEN @ x + HPD @ wnp.conj(x), np.zeros(N, complex))(ct)
    _close(got, GEN.T @ ct + np.conj(HPD.T @ ct))


@pytest.mark.slow
def test_transpose_of_complex_maps_is_jax_linear_transpose(request):
    """The transpose implicit differentiation uses is JAX's ``linear_transpose``, also for
    a pytree mixing real and complex leaves (a real argument's cotangent: the real part)."""
    if not slow_selected(request.config):
        pytest.skip("runs with -m slow (JAX imports for seconds)")
    jax = jax_x64()
    jnp = jax.numpy
    from wire.implicit import _transpose

    a, b = GEN, HPD
    ct = RNG.normal(size=N) + 1j * RNG.normal(size=N)
    got = _transpose(lambda x: a @ x + b @ wnp.conj(x), np.zeros(N, complex))(ct)
    want = jax.linear_transpose(lambda x: a @ x + b @ jnp.conj(x), np.zeros(N, complex))(ct)[0]
    _close(got, np.asarray(want))
    like = {"c": np.zeros(N, complex), "r": np.zeros(N)}
    cts = {"u": ct, "v": RNG.normal(size=N)}
    got = _transpose(lambda t: {"u": a @ t["c"] + (1 + 2j) * t["r"], "v": wnp.real(t["c"])},
                     like)(cts)
    want = jax.linear_transpose(
        lambda t: {"u": a @ t["c"] + (1 + 2j) * t["r"], "v": jnp.real(t["c"])}, like)(cts)[0]
    _close(got["c"], np.asarray(want["c"]))
    _close(got["r"], np.asarray(want["r"]))


# --------------------------------------------------------------------------- qr_multiply

QA = RNG.normal(size=(4, 3))


def _q(a):
    return np.linalg.qr(a)[0]  # LAPACK's economic factor, as SciPy's


@pytest.mark.parametrize("mode, shape", [("right", (2, 4)), ("left", (3, 2)), ("right", (4,))])
@pytest.mark.parametrize("jit", [False, True])
def test_qr_multiply_real_a_complex_c(mode, shape, jit):
    """Real ``a``, complex ``c``: SciPy (and wire before, concrete and traced) cast ``c`` to
    ``a``'s dtype, dropping its imaginary part (``c @ Q`` came out real); now the complex
    product, which is SciPy's on each part (the product is linear in ``c``)."""
    from scipy.linalg import qr_multiply as sqm

    from wire.scipy.linalg import qr_multiply

    c = RNG.normal(size=shape) + 1j * RNG.normal(size=shape)
    f = (lambda a, c: qr_multiply(a, c, mode=mode))
    cq, r = (wire.jit(f) if jit else f)(QA, c)
    want = sqm(QA, c.real, mode=mode)[0] + 1j * sqm(QA, c.imag, mode=mode)[0]
    _close(cq, want)
    _close(r, sqm(QA, c.real, mode=mode)[1])
    q = _q(QA)
    _close(cq, (c @ q) if mode == "right" else (q @ c), rtol=1e-12, atol=1e-13)


def test_qr_multiply_real_a_complex_c_gradients():
    """Gradients of a real loss in ``a`` and in complex ``c``, against finite differences of
    ``c @ Q(a)``."""
    from wire.scipy.linalg import qr_multiply

    c = RNG.normal(size=(2, 4)) + 1j * RNG.normal(size=(2, 4))

    def loss(a, c):
        return wnp.sum(wnp.abs(qr_multiply(a, c)[0] - 0.3j) ** 2)

    def loss_np(a, c):
        return float(np.sum(np.abs(c @ _q(a) - 0.3j) ** 2))

    ga, gc = wire.grad(loss, argnums=(0, 1))(QA, c)
    _close(gc, _fd_complex(lambda c: loss_np(QA, c), c), rtol=1e-7, atol=1e-9)
    _close(ga, _fd_complex(lambda a: loss_np(a.real, c), QA.astype(complex)).real,
           rtol=1e-6, atol=1e-8)
