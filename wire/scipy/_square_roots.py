"""``sqrtm`` and ``polar`` of ``wire.scipy.linalg``: the principal square root of a real
matrix, and the polar decomposition, whose factor ``P = √(AᵀA)`` has the same derivative.

On traced values the root is the scaled product form of the Denman–Beavers iteration
(Higham, *Functions of Matrices*, 2008, eq. 6.29): ``M₀ = X₀ = A``,
``X ← μ X (I + μ⁻² M⁻¹) / 2``, ``M ← (I + (μ² M + μ⁻² M⁻¹) / 2) / 2`` with the determinant
scaling ``μ = |det M|^(-1/2n)``, until ``M`` is the identity (quadratic convergence, numerically
stable, unlike Newton's iteration). A symmetric ``A`` or one with a zero eigenvalue (where
``M`` would be singular) takes the root from its eigen-decomposition instead. Derivatives
are not the iterations': the tangent of ``X = √A`` solves ``X dX + dX X = dA``, a Sylvester
equation solved with the same ``solve_sylvester`` that is itself differentiable, so every
order of forward and reverse mode (its transpose, ``Xᵀ Y + Y Xᵀ = Ḡ``) works.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import numpy as wnp
from ..api.control_flow import while_loop
from ..api import jvp
from ..api.custom import custom_jvp
from ..errors import WireError, at, user_location
from ..ops.scipy_linalg_more import imag_tolerance, logm_error
from ._decomp import _probe_dtypes
from ._equations import _sylvester as solve_sylvester  # (its derivatives: the Kronecker form)
from ._traced import check_finite_values as _finite
from ._traced import over_stack
from ._triangular import _float, _square, _traced, scipy_valued
from ..ops.optional import module as _optional_module

_sl = _optional_module("scipy.linalg")  # None without SciPy; imported on first use

_MAX_STEPS = 100.0  # quadratic convergence: far more than any finite root needs
_POLISH = 2  # unscaled steps after M is within 1e-10 of I: quadratic, so then to rounding


def _step(x, m, eye, scale):
    n = m.shape[-1]
    minv = wnp.linalg.inv(m)
    if scale:
        mu = wnp.abs(wnp.linalg.det(m)) ** (-0.5 / n)
        mu = wnp.stop_gradient(wnp.where(wnp.isfinite(mu) & (mu > 0), mu, 1.0))
    else:
        mu = wnp.ones((), m.dtype)
    mu2 = mu * mu
    x = mu * (x @ (eye + minv / mu2)) * 0.5
    m = (eye + (mu2 * m + minv / mu2) * 0.5) * 0.5
    return x, m


def _dist(m, eye):
    return wnp.max(wnp.abs(m - eye))


def _eig_root(a, symmetric):
    """The principal root from an eigen-decomposition, for the matrices Denman–Beavers cannot
    take (a zero eigenvalue makes ``M`` singular): ``V √Λ Vᵀ`` by ``eigh`` for a symmetric
    ``a``, else ``V √Λ V⁻¹`` (whose residual ``|X X - a|`` the caller checks: a defective
    ``a`` has no eigenvector basis, and may have no root). Eigenvalues within rounding of 0
    off the positive real axis count as 0."""
    n = a.shape[-1]
    eps = np.finfo(a.dtype).eps
    w, v = wnp.linalg.eigh(wnp.where(symmetric, a, np.eye(n, dtype=a.dtype)))
    sym = (v * wnp.sqrt(wnp.where(w > 0, w, 0.0))) @ wnp.swapaxes(v, -1, -2)
    lam, u = wnp.linalg.eig(a)
    tiny = wnp.abs(lam) <= n * eps * wnp.max(wnp.abs(lam))
    lam = wnp.where(tiny & ((wnp.real(lam) < 0) | (wnp.imag(lam) != 0)), 0.0, lam)
    gen = wnp.real((u * wnp.sqrt(lam)) @ wnp.linalg.inv(u))
    return wnp.where(symmetric, sym, gen)


def _root_of_scaled(a):
    n = a.shape[-1]
    eye = np.eye(n, dtype=a.dtype)
    eps = np.finfo(a.dtype).eps
    finite = wnp.all(wnp.isfinite(a))
    a0 = wnp.stop_gradient(wnp.where(finite, a, eye))
    lam = wnp.linalg.eigvals(a0)
    tiny = wnp.abs(lam) <= n * eps * wnp.max(wnp.abs(lam))
    # an eigenvalue on the negative real axis: no real principal root (SciPy's is complex);
    # the iterations run on I instead
    bad = wnp.any((wnp.imag(lam) == 0) & (wnp.real(lam) < 0) & ~tiny) | ~finite
    # a zero eigenvalue (to rounding) makes Denman–Beavers' M singular; a symmetric matrix
    # (a covariance, a Gram matrix) has an exact root by eigh: both take the eigen route
    symmetric = wnp.all(a0 == wnp.swapaxes(a0, -1, -2))
    by_eig = ~bad & (symmetric | wnp.any(tiny))
    direct = _eig_root(wnp.where(by_eig, a0, eye), symmetric)  # (derivatives: _sqrtm_jvp)
    scale = wnp.max(wnp.abs(a0))
    residual = wnp.max(wnp.abs(direct @ direct - a0))
    direct_ok = residual <= 1e3 * n * eps * wnp.where(scale > 0, scale, 1.0)
    a = wnp.where(bad | by_eig, eye, a)

    def body(carry):
        i, x, m = carry
        x, m = _step(x, m, eye, True)
        return i + 1.0, x, m

    def more(carry):
        i, _, m = carry
        return (i < _MAX_STEPS) & (_dist(m, eye) > 1e-10)

    _, x, m = while_loop(more, body, (wnp.zeros((), a.dtype), a, a))
    for _ in range(_POLISH):
        x, m = _step(x, m, eye, False)
    x = wnp.where(bad | ~(_dist(m, eye) < 1e-6), np.nan, x)
    return wnp.where(by_eig, wnp.where(direct_ok, direct, np.nan), x)


def _root(a):
    """``√a = 2ᵏ √(a / 4ᵏ)`` with ``4ᵏ`` near ``max|a|`` (exact: powers of 2), so that the
    iteration's determinant scaling neither underflows nor overflows (a matrix of size
    1e-200 or 1e200 would run out of steps and be NaN)."""
    m = wnp.stop_gradient(wnp.max(wnp.abs(a)))
    k = wnp.where(wnp.isfinite(m) & (m > 0), wnp.round(wnp.log2(wnp.where(m > 0, m, 1.0)) / 2), 0.0)
    half = wnp.exp2(-k)  # (a * half * half: 4⁻ᵏ itself may be subnormal)
    return _root_of_scaled(a * half * half) / half


@custom_jvp
def _sqrtm(a):
    return _root(a)


@_sqrtm.defjvp
def _sqrtm_jvp(primals, tangents):
    """``X dX + dX X = dA``: a Sylvester equation, linear in ``dA`` (reverse mode is its
    transpose, ``Xᵀ Y + Y Xᵀ = Ḡ``). It is singular where two eigenvalues of ``X`` sum to 0,
    at a singular ``A`` (within ``√eps`` of one, as the root sees it): there the derivative
    is infinite in some directions, and the solve's numbers would be rounding noise, so every
    derivative entry is NaN."""
    (a,), (t,) = primals, tangents
    x = _sqrtm(a)
    n = a.shape[-1]
    mu = wnp.linalg.eigvals(wnp.stop_gradient(wnp.where(wnp.isfinite(x), x, 0.0)))
    gap = wnp.min(wnp.abs(mu[:, None] + mu[None, :]))
    singular = gap <= n * np.sqrt(np.finfo(a.dtype).eps) * wnp.max(wnp.abs(mu))
    # the solve with X itself would raise LinAlgError where it is exactly singular; and the
    # factor in a's dtype, so that a float32 tangent stays float32
    x_safe = wnp.where(singular, np.eye(n, dtype=a.dtype), x)
    nan = wnp.where(singular, np.array(np.nan, a.dtype), np.array(1.0, a.dtype))
    return x, solve_sylvester(x_safe, x_safe, t) * nan


def sqrtm(A, disp=True, blocksize=64):
    """The principal square root ``X`` of ``A`` (``X @ X = A``, eigenvalues of ``X`` in the
    right half-plane). Concrete arrays go to SciPy (complex where ``A`` has negative real
    eigenvalues); a traced real ``A`` gets ``NaN`` where it has one (a singular ``A`` has its
    root, as SciPy's). Derivatives of every order in both modes, by the Sylvester equation
    ``X dX + dX X = dA``; NaN at a singular ``A``, where some are infinite. A traced complex
    ``A`` gets SciPy's root too, with the derivatives of the principal root's
    Daleckii–Krein formula (NaN for a defective or singular ``A``).

    >>> import wire
    >>> A = np.array([[4.0, 1.0], [0.0, 9.0]])
    >>> np.round(sqrtm(A), 12)
    array([[2. , 0.2],
           [0. , 3. ]])
    >>> round(float(wire.grad(lambda A: sqrtm(A)[0, 0])(A)[0, 0]), 12)   # 1/(2√4)
    0.25
    """
    if not _traced(A) and _sl is not None:
        return _sl.sqrtm(A) if disp is True else _sl.sqrtm(A, disp=disp)
    if disp is not True:
        raise WireError(f"sqrtm: disp=False (an error estimate) is supported on concrete "
                        f"arrays only{at(user_location())}")
    A = _float(A)
    n = _square(A, "sqrtm")
    if n == 0 or 0 in tuple(A.shape):
        return A
    if A.dtype.kind == "c":
        # SciPy's root (Schur), the derivatives of the principal root's Daleckii–Krein
        # formula (NaN for a defective A, and at a singular one, where they are infinite)
        _finite("sqrtm", True, A)
        if _sl is None:  # pragma: no cover - exercised only without scipy
            return _sqrtm_complex_ref(A)
        return scipy_valued("sqrtm", _sqrtm_complex_ref, [A])
    if A.dtype.char in "fd" and _sl is not None:
        # SciPy's own sqrtm traced too (its bits; NaN where its root is complex), with the
        # derivatives of the iteration below
        return scipy_valued("sqrtm", _sqrtm_stack, [A])
    return _sqrtm_stack(A)


def _sqrtm_complex_ref(a):
    return _stack_of(lambda a1: _primary(a1, wnp.sqrt, a1.dtype), a)


def _sqrtm_stack(A):
    stacked = over_stack(_sqrtm_stack, [A], [2])
    if stacked is not None:  # a stack, as SciPy batches it
        return stacked
    return _sqrtm(A)


def _h(x):
    """The conjugate transpose of the last two axes (the transpose of a real ``x``)."""
    x = wnp.swapaxes(x, -1, -2)
    return wnp.conj(x) if x.dtype.kind == "c" else x


@custom_jvp
def _polar_right(a):
    a, ok = _finite_part(a, 0.0)  # (NaN factors for a non-finite a, where svd would raise)
    w, s, vh = wnp.linalg.svd(a, full_matrices=False)  # SciPy's construction, same values
    nan = np.asarray(np.nan, a.dtype)
    return (wnp.where(ok, w @ vh, nan),
            wnp.where(ok, (_h(vh) * wnp.asarray(s, vh.dtype)) @ vh, nan))


@_polar_right.defjvp
def _polar_jvp(primals, tangents):
    """``A = U P`` with ``P² = AᴴA``: ``P dP + dP P = dAᴴ A + Aᴴ dA`` (a Sylvester equation)
    and ``dU = (dA - U dP) P⁻¹``, linear in ``dA`` (reverse mode is the transpose). Neither
    exists where ``P`` is singular (``A`` of lower rank than its columns, to rounding): there
    every derivative entry is NaN, where the solves would give rounding noise."""
    (a,), (da,) = primals, tangents
    u, p = _polar_right(a)
    m, n = a.shape[-2:]
    s = wnp.linalg.svdvals(wnp.stop_gradient(wnp.where(wnp.isfinite(a), a, 0.0)))
    if n == 0:
        singular = False
    else:
        singular = (s[-1] <= max(m, n) * np.finfo(a.dtype).eps * s[0]) if m >= n else True
    singular = singular | ~wnp.all(wnp.isfinite(a))  # (NaN factors: NaN derivatives)
    nan = wnp.where(singular, np.array(np.nan, a.dtype), np.array(1.0, a.dtype))
    eye = np.eye(n, dtype=a.dtype)
    p_safe = wnp.where(singular, eye, p)  # (so that the inverse never raises)
    dp = solve_sylvester(p_safe, p_safe, _h(da) @ a + _h(a) @ da)
    du = _h(wnp.linalg.solve(p_safe, _h(da - u @ dp)))  # (da - u dp) P⁻¹, P Hermitian
    return (u, p), (du * nan, dp * nan)


def polar(a, side="right"):
    """The polar decomposition ``a = u p`` (``side="right"``) or ``a = p u`` (``"left"``):
    ``u`` with orthonormal columns (rows), ``p`` Hermitian positive semi-definite, from the
    SVD as SciPy builds them (real or complex ``a``). Derivatives of every order in both
    modes on traced values, by the Sylvester equation of ``p² = aᴴa``; they need ``p``
    nonsingular (``a`` of full rank, at least as many rows as columns for ``"right"``, at
    most for ``"left"``) and are NaN where it is not.

    >>> import wire
    >>> u, p = polar(np.array([[0.0, 2.0], [-3.0, 0.0]]))
    >>> u, p
    (array([[ 0.,  1.],
           [-1.,  0.]]), array([[3., 0.],
           [0., 2.]]))
    >>> g = wire.grad(lambda a: polar(a)[1][0, 0])(np.array([[0.0, 2.0], [-3.0, 0.0]]))
    >>> g + 0.0                                         # p[0, 0] = |column 0| of a
    array([[ 0.,  0.],
           [-1.,  0.]])
    """
    if side not in ("right", "left"):
        raise WireError(f"polar: side must be 'right' or 'left', got {side!r}"
                        f"{at(user_location())}")
    if not _traced(a) and _sl is not None:
        return _sl.polar(a, side=side)
    _finite("polar", True, a)  # SciPy's svd checks (a ValueError where values are known)
    a = _float(a)
    if a.ndim < 2:
        raise WireError(f"polar: a traced a must be a matrix (or a stack of them), got "
                        f"shape {tuple(a.shape)} {a.dtype}{at(user_location())}")
    if a.dtype.char in "fdFD" and _sl is not None and 0 not in tuple(a.shape):
        # SciPy's own polar traced too (its SVD's bits), the derivatives of the one below
        return scipy_valued("polar", _polar, [a], dict(side=side), ref_kw=dict(side=side))
    return _polar(a, side)


def _polar(a, side):
    stacked = over_stack(lambda a1: _polar(a1, side), [a], [2])
    if stacked is not None:  # a stack, as SciPy batches it
        return stacked
    if side == "right":
        return _polar_right(a)
    u, p = _polar_right(_h(a))  # a = p u  <=>  aᴴ = uᴴ p
    return _h(u), p


# --------------------------------------------------------------------------- primary matrix
# functions: funm, signm, fractional_matrix_power


def _like(a, x, dtype):
    """``x`` (complex) as the result of a function of ``a``: its real part for a real ``a``
    (SciPy's results of real matrices are real where they are defined), in ``dtype``."""
    if np.dtype(dtype).kind != "c":
        x = wnp.real(x)
    return wnp.asarray(x, dtype)


def _divided_differences(f, w):
    """``K[i, j] = f[λi, λj]``: ``(f(λi) - f(λj)) / (λi - λj)``, and ``f'`` at the midpoint
    where ``|λi - λj| <= eps^(1/3) max(1, |λi|, |λj|)`` (the difference quotient's
    cancellation and the midpoint's truncation error are both about ``eps^(2/3)`` there);
    ``f'`` is wire's derivative of ``f`` (elementwise on the flattened midpoints)."""
    n = w.shape[-1]
    wi, wj = w[..., :, None], w[..., None, :]
    d = wi - wj
    rdt = np.finfo(w.dtype).dtype
    scale = wnp.maximum(wnp.maximum(wnp.abs(wi), wnp.abs(wj)), np.ones((), rdt))
    close = wnp.abs(d) <= np.asarray(np.finfo(rdt).eps ** (1.0 / 3.0), rdt) * scale
    mid = wnp.reshape((wi + wj) / 2, tuple(w.shape[:-1]) + (n * n,))
    slope = jvp(f, (mid,), (wnp.ones_like(mid),))[1]
    slope = wnp.reshape(wnp.asarray(slope, w.dtype), tuple(w.shape[:-1]) + (n, n))
    fw = wnp.asarray(f(w), w.dtype)
    quotient = (fw[..., :, None] - fw[..., None, :]) / wnp.where(close, 1.0, d)
    return wnp.where(close, slope, quotient)


def _finite_part(a, stand_in):
    """``a`` with a matrix that has an inf or NaN replaced by ``stand_in`` (the
    decompositions raise on those), and where it was finite (``(..., 1, 1)``)."""
    ok = wnp.all(wnp.isfinite(a), axis=(-2, -1), keepdims=True)
    return wnp.where(ok, a, stand_in), ok


@functools.partial(custom_jvp, nondiff_argnums=(1, 2))
def _primary(a, f, dtype):
    """``f(a)`` for a primary matrix function ``f`` (a function of the eigenvalues), from the
    eigen-decomposition ``a = V Λ V⁻¹``: ``V f(Λ) V⁻¹`` (NaN for a non-finite ``a``)."""
    a, ok = _finite_part(a, np.eye(a.shape[-1], dtype=a.dtype))
    w, v = wnp.linalg.eig(a)
    x = _like(a, (v * wnp.asarray(f(w), w.dtype)[..., None, :]) @ wnp.linalg.inv(v), dtype)
    return wnp.where(ok, x, np.asarray(np.nan, x.dtype))


@_primary.defjvp
def _primary_jvp(f, dtype, primals, tangents):
    """The Daleckii–Krein formula ``L(a, E) = V (K ∘ (V⁻¹ E V)) V⁻¹`` with the divided
    differences ``K`` of ``f`` at the eigenvalues: exact for every diagonalizable ``a``,
    tied eigenvalues included (where ``K`` is ``f'``). A defective ``a`` (eigenvectors
    dependent to ``√eps``) has none of it: NaN there, never a wrong number. Linear in ``E``
    (reverse mode is its transpose); higher orders differentiate ``V``, ``Λ`` and ``f``."""
    (a,), (e,) = primals, tangents
    x = _primary(a, f, dtype)
    # a non-finite a: its value is NaN, and so is every derivative (the decomposition of
    # a stand-in, where eig would raise)
    a, ok = _finite_part(a, np.eye(a.shape[-1], dtype=a.dtype))
    w, v = wnp.linalg.eig(a)
    vi = wnp.linalg.inv(v)
    xc = (v * wnp.asarray(f(w), w.dtype)[..., None, :]) @ vi
    rdt = np.finfo(w.dtype).dtype
    s = wnp.linalg.svd(wnp.stop_gradient(v), compute_uv=False)
    tol = np.asarray(np.sqrt(np.finfo(rdt).eps), rdt)
    bad = (s[..., -1:] <= tol * s[..., :1]) | ~ok[..., 0]
    if np.dtype(dtype).kind != "c":
        # a real matrix whose f is complex (logm, a square root of a negative eigenvalue):
        # SciPy's value is complex and the traced one NaN, so is its derivative (not the
        # derivative of the real part); imaginary parts within the traced value's tolerance
        # are rounding (f real: the square root of [[1, -2], [2, 1]]), as for the value
        size = wnp.max(wnp.abs(wnp.stop_gradient(xc)), axis=(-2, -1), keepdims=True)
        imag = wnp.max(wnp.abs(wnp.imag(wnp.stop_gradient(xc))), axis=(-2, -1),
                       keepdims=True)
        bad = bad | (imag > imag_tolerance(xc.dtype) * size)[..., 0]
    nan = wnp.where(wnp.expand_dims(bad, -1), np.asarray(np.nan, rdt), np.ones((), rdt))
    k = _divided_differences(f, w)
    inner = k * (vi @ wnp.asarray(e, v.dtype) @ v)
    return x, _like(a, v @ inner @ vi, dtype) * wnp.asarray(nan, np.dtype(dtype))


def _matrix_function(name, ref, A, kw, ref_kw, what):
    """SciPy's ``name`` of a traced ``A`` (its values, stacks one call per matrix) with the
    derivatives of ``ref``; a 0x0 matrix gives a 0x0 result (SciPy raises)."""
    _finite(what, True, A)  # (SciPy's schur checks)
    A = _float(A)
    n = _square(A, what)
    dtype = _probe_dtypes(name, kw, [A], (2,))[0]
    if n == 0 or 0 in tuple(A.shape):
        empty = wnp.zeros(tuple(A.shape), dtype) + wnp.asarray(A, dtype)
        if name in ("funm", "logm"):
            return empty, wnp.zeros(tuple(A.shape[:-2]), np.float64)
        return empty
    if _sl is None:  # pragma: no cover - exercised only without scipy
        return ref(A, **ref_kw, dtype=dtype)
    return scipy_valued(name, ref, [A], kw, ref_kw=dict(ref_kw, dtype=dtype))


def _stack_of(fn, a):
    stacked = over_stack(fn, [a], [2])
    return stacked if stacked is not None else fn(a)


def funm(A, func, disp=True):
    """The matrix function ``f(A)`` of the scalar function ``func`` (applied to an array of
    eigenvalues, elementwise; ``func`` must take complex arrays), SciPy's (Schur–Parlett).
    ``disp=False`` returns ``(F, errest)``. Traced, SciPy's own values (NaN where SciPy's
    result of a real ``A`` is complex beyond rounding, which a traced dtype cannot follow;
    imaginary parts within ``1e6 eps`` of the result's size are dropped); derivatives of
    every order by the Daleckii–Krein formula with ``func``'s own derivative (wire's, so
    ``func`` should be written with ``wire.numpy`` or NumPy's ufuncs), exact for every
    diagonalizable ``A``, NaN for a defective one (JAX's ``funm`` has no derivative).

    >>> import wire
    >>> from wire.scipy.linalg import expm
    >>> a = np.array([[1.0, 2.0], [0.0, 3.0]])
    >>> bool(np.allclose(funm(a, np.exp), expm(a)))
    True
    >>> g = wire.grad(lambda a: funm(a, np.exp)[0, 1])(a)
    >>> bool(np.allclose(g, wire.grad(lambda a: expm(a)[0, 1])(a)))
    True
    """
    if not _traced(A) and _sl is not None:
        if np.ndim(A) == 2 and np.shape(A)[0] == np.shape(A)[1] == 0:
            empty = np.zeros((0, 0), np.result_type(np.asarray(A).dtype, np.float32))
            return empty if disp else (empty, 0.0)
        return _sl.funm(A, func, disp=disp)
    f, err = _matrix_function("funm", _funm_ref, A, dict(func=func), dict(func=func), "funm")
    return f if disp else (f, err)


def _funm_ref(a, func, dtype):
    """``funm``'s derivatives (and an error estimate of 0, which has none)."""
    f = _stack_of(lambda a1: _primary(a1, func, dtype), a)
    return f, wnp.zeros(tuple(a.shape[:-2]), np.float64)


def _signum(w):
    return wnp.asarray(wnp.sign(wnp.real(w)), w.dtype)


def signm(A, disp=True):
    """The matrix sign function (``A (A²)^(-1/2)``: eigenvalues ±1 by the sign of their real
    parts), SciPy's. Traced, SciPy's values; derivatives by the Daleckii–Krein formula
    (``(sign λi - sign λj) / (λi - λj)`` between the two half-planes, 0 within one), NaN
    for a defective ``A``.

    >>> signm(np.array([[2.0, 1.0], [0.0, -3.0]]))
    array([[ 1. ,  0.4],
           [ 0. , -1. ]])
    """
    if not _traced(A) and _sl is not None:
        if np.ndim(A) == 2 and np.shape(A)[0] == np.shape(A)[1] == 0:
            return np.zeros((0, 0), np.result_type(np.asarray(A).dtype, np.float64))
        return _sl.signm(A) if disp is True else _sl.signm(A, disp=disp)
    return _matrix_function("signm", _signm_ref, A, {}, {}, "signm")


def _signm_ref(a, dtype):
    return _stack_of(lambda a1: _primary(a1, _signum, dtype), a)


def logm(A, disp=True):
    """The principal matrix logarithm (``expm(logm(A)) == A``, eigenvalues of the result with
    imaginary parts in ``(-π, π]``), SciPy's (inverse scaling and squaring). ``disp=False``
    returns ``(L, errest)``, SciPy's error estimate ``‖expm(L) - A‖₁ / ‖A‖₁``. Traced,
    SciPy's values (NaN where SciPy's logarithm of a real ``A`` is complex, i.e. ``A`` has a
    negative real eigenvalue, which a traced dtype cannot follow: pass a complex ``A``);
    derivatives of every order by the Daleckii–Krein formula with ``log``'s divided
    differences, exact for every diagonalizable ``A``, NaN for a defective one. A float32 or
    complex64 ``A`` is computed in 64 bits (SciPy's result type; SciPy's own float32 path is
    off by about ``1e-6`` and can return complex for a real logarithm).

    >>> import wire
    >>> from wire.scipy.linalg import expm
    >>> a = np.array([[2.0, 1.0], [0.5, 3.0]])
    >>> bool(np.allclose(expm(logm(a)), a))
    True
    >>> g = wire.grad(lambda a: wnp.trace(logm(a)))(a)   # d tr log A = A⁻ᵀ
    >>> bool(np.allclose(g, np.linalg.inv(a).T))
    True
    """
    # SciPy's float32/complex64 logm is off by ~1e-6 and gives a complex result of some real
    # matrices with real logarithms; its dtype is 64-bit anyway: compute in 64 bits
    wide = np.result_type(wnp.asarray(A).dtype, np.float64)
    A = wnp.asarray(A, wide) if _traced(A) else np.asarray(A, wide)
    if not _traced(A) and _sl is not None:
        if np.ndim(A) == 2 and np.shape(A)[0] == np.shape(A)[1] == 0:
            empty = np.zeros((0, 0), wide)
            return empty if disp else (empty, 0.0)
        f = _sl.logm(A)
        return f if disp else (f, float(logm_error(A, f)))
    f, err = _matrix_function("logm", _logm_ref, A, {}, {}, "logm")
    return f if disp else (f, err)


def _logm_ref(a, dtype):
    """``logm``'s derivatives (and an error estimate of 0, which has none)."""
    f = _stack_of(lambda a1: _primary(a1, wnp.log, dtype), a)
    return f, wnp.zeros(tuple(a.shape[:-2]), np.float64)


def _power(w, t):
    return w ** t


def fractional_matrix_power(A, t):
    """``A`` to the power ``t`` (the principal branch), SciPy's (Schur–Padé). Traced,
    SciPy's values: of a real ``A``, real where the power is (SciPy returns complex with
    rounding-level imaginary parts for complex eigenvalues, ``[[1, -2], [2, 1]]``; within
    ``1e6 eps`` of the result's size they are dropped, as SciPy's ``logm`` does), NaN where
    it is complex (a negative real eigenvalue: pass a complex ``A``); derivatives of an
    integer power are ``matrix_power``'s, of a fractional one by the Daleckii–Krein formula
    (NaN for a defective ``A``, and where the value is NaN).

    >>> import wire
    >>> np.round(fractional_matrix_power(np.array([[4.0, 0.0], [0.0, 9.0]]), 0.5), 12)
    array([[2., 0.],
           [0., 3.]])
    >>> power = wire.jit(lambda a: fractional_matrix_power(a, 0.5))
    >>> np.round(power(np.array([[1.0, -2.0], [2.0, 1.0]])), 6)
    array([[ 1.27202 , -0.786151],
           [ 0.786151,  1.27202 ]])
    """
    if not _traced(A) and _sl is not None:
        if np.ndim(A) == 2 and np.shape(A)[0] == np.shape(A)[1] == 0:
            return np.zeros((0, 0), np.result_type(np.asarray(A).dtype, np.float64))
        return _sl.fractional_matrix_power(A, t)
    if _traced(t):
        raise WireError(f"fractional_matrix_power: the power t must be a concrete number"
                        f"{at(user_location())}")
    t = float(t) if np.isrealobj(t) else complex(t)
    return _matrix_function("fractional_matrix_power", _fmp_ref, A, dict(t=t), dict(t=t),
                            "fractional_matrix_power")


def _fmp_ref(a, t, dtype):
    if isinstance(t, float) and t == int(t):
        return wnp.asarray(wnp.linalg.matrix_power(a, int(t)), dtype)
    return _stack_of(lambda a1: _primary(a1, functools.partial(_power, t=t), dtype), a)


NAMES = ["fractional_matrix_power", "funm", "logm", "polar", "signm", "sqrtm"]
