"""``wire.scipy.sparse.linalg``: the Krylov solvers ``cg``, ``gmres`` and ``bicgstab`` for
``A x = b`` (``jax.scipy.sparse.linalg``'s signatures and semantics; SciPy's numerics).

``A`` is a square 2-d array, an object with ``@``, or a function ``x -> A x`` that maps a
pytree like ``b`` to one of the same structure and shapes; ``b``, ``x0`` and the solution
``x`` may be pytrees. The loops are ``wire.lax.while_loop``\\ s, so the solvers run eagerly and
under ``wire.jit`` and ``wire.vmap``. Derivatives are implicit (``wire.lax.custom_linear_solve``,
as JAX's): the derivative in ``b`` and in whatever ``A`` closes over (its parameters) is one
more solve of the transposed system (for ``cg`` on real data, ``A`` itself: ``A`` is
symmetric), never a derivative of the iterations. They are exact to the tolerance when both
solves converge.

Convergence is ``norm(b - A x) <= max(tol * norm(b), atol)`` (SciPy's rule since 1.12, no
"legacy" tolerance). Like JAX, when ``maxiter`` runs out first the last iterate is returned
without notice (``info`` is ``None`` for ``cg`` and ``bicgstab``; ``gmres``'s is ``-1`` only for
a non-finite result); check the residual if it matters. Unlike JAX, which returns ``x0``
there, a NaN or infinity in ``b`` (or reached by the iteration) gives NaN, as SciPy does.
The system is solved scaled by ``max |b|``: squared norms neither underflow nor overflow, so
``|b|`` from ``1e-300`` to ``1e300`` is solved as well as ``|b| = 1``.

>>> import numpy as np, wire
>>> a = np.array([[4.0, 1.0], [1.0, 3.0]])
>>> x, _ = cg(a, np.array([1.0, 2.0]), tol=1e-10)
>>> np.allclose(a @ x, [1.0, 2.0])
True
>>> g = wire.grad(lambda b: cg(a, b, tol=1e-10)[0].sum())(np.array([1.0, 2.0]))
>>> np.allclose(g, np.linalg.solve(a.T, np.ones(2)))
True
"""

from __future__ import annotations

import operator
from functools import partial

import numpy as np

from ... import numpy as wnp
from ... import tree
from ...api.control_flow import fori_loop, while_loop
from ...api.shapes import eval_shape
from ...core import Tracer
from ...errors import ShapeError, WireTypeError, WireValueError, at, user_location
from ...implicit import custom_linear_solve
from ...tracebacks import expose
from ...numpy._at import At as _at
from .._triangular import solve_triangular

__all__ = ["bicgstab", "cg", "gmres"]


# --------------------------------------------------------------------------- pytree algebra


def _dtype(x):
    return x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype


def _result_dtype(leaves):
    return np.result_type(*[_dtype(v) for v in leaves])


def _vdot_real_part(x, y):
    """``Re(x^H y)`` without the cross terms: real for the Hermitian forms cg needs."""
    result = wnp.vdot(wnp.real(x), wnp.real(y))
    if _dtype(x).kind == "c" or _dtype(y).kind == "c":
        result = result + wnp.vdot(wnp.imag(x), wnp.imag(y))
    return result


def _vdot_real_tree(x, y):
    return sum(tree.leaves(tree.map(_vdot_real_part, x, y)))


def _vdot_tree(x, y):
    return sum(tree.leaves(tree.map(wnp.vdot, x, y)))


def _norm(x):
    xs = tree.leaves(x)
    return wnp.sqrt(sum(_vdot_real_part(v, v) for v in xs))


def _mul(scalar, x):
    return tree.map(lambda v: scalar * v, x)


_add = partial(tree.map, operator.add)
_sub = partial(tree.map, operator.sub)


def _identity(x):
    return x


def _cast(x, dtype):
    return wnp.asarray(x).astype(dtype)


# --------------------------------------------------------------------------- arguments


def _shapes(x):
    return [tuple(wnp.shape(v)) for v in tree.leaves(x)]


def _describe(x):
    """``structure [shapes]`` of a pytree for error messages."""
    leaves, td = tree.flatten(x)
    if td == tree.structure(0):
        return f"shape {tuple(wnp.shape(leaves[0]))}"
    return f"structure {td!r} with leaf shapes {_shapes(x)}"


def _normalize_matvec(name, f, what):
    """``f`` as a function ``x -> f x``: callables as they are, square matrices by ``@``."""
    if callable(f) and not isinstance(f, (np.ndarray, Tracer)):
        return f
    if isinstance(f, (np.ndarray, Tracer, list, tuple)) or hasattr(f, "__matmul__"):
        if isinstance(f, (list, tuple)):
            f = np.asarray(f)
        shape = tuple(f.shape) if hasattr(f, "shape") else None
        if shape is None or len(shape) != 2 or shape[0] != shape[1]:
            raise ShapeError(f"{name}: the linear operator {what} must be a square matrix, "
                             f"but has shape {shape}{at(user_location())}")
        if isinstance(f, (np.ndarray, Tracer)):
            if _dtype(f).kind not in "biufc":
                raise WireTypeError(f"{name}: {what} must be numeric, got dtype {_dtype(f)}"
                                    f"{at(user_location())}")
            return partial(wnp.dot, f)
        return partial(operator.matmul, f)
    raise WireTypeError(f"{name}: the linear operator {what} must be a function or a 2-d "
                        f"array, got {type(f).__name__}{at(user_location())}")


def _as_inexact(x):
    """Leaves as arrays; integers and booleans become float64 (SciPy's and NumPy's rule)."""
    def one(v):
        if not isinstance(v, Tracer):
            v = np.asarray(v)
        kind = _dtype(v).kind
        if kind in "biu":
            return v.astype(np.float64)
        if kind not in "fc":
            raise WireTypeError(f"expected numeric arrays, got dtype {_dtype(v)}"
                                f"{at(user_location())}")
        return v
    return tree.map(one, x)


def _check_operator_output(name, f, b, what):
    """``f(b)``'s ``ShapeDtypeStruct`` leaves; a ``ShapeError`` naming both when ``f(b)`` is
    not shaped like ``b``."""
    out = eval_shape(f, b)
    b_tree = tree.structure(b)
    o_leaves, o_tree = tree.flatten(out)
    if o_tree != b_tree or [tuple(o.shape) for o in o_leaves] != _shapes(b):
        got = (f"shape {tuple(o_leaves[0].shape)}" if o_tree == tree.structure(0)
               else f"structure {o_tree!r} with leaf shapes "
                    f"{[tuple(o.shape) for o in o_leaves]}")
        raise ShapeError(f"{name}: {what} maps b ({_describe(b)}) to {got}; it must return "
                         f"the structure and shapes of b{at(user_location())}")
    return o_leaves


def _prepare(name, A, b, x0, M, maxiter):
    b = _as_inexact(b)
    if not tree.leaves(b):
        raise WireValueError(f"{name}: b has no arrays{at(user_location())}")
    if x0 is not None:
        x0 = _as_inexact(x0)
        if tree.structure(x0) != tree.structure(b) or _shapes(x0) != _shapes(b):
            raise ShapeError(f"{name}: x0 ({_describe(x0)}) and b ({_describe(b)}) must "
                             f"have the same structure and shapes{at(user_location())}")
    for what, op in (("A", A), ("M", M)):
        if op is not None and not callable(op) and tree.structure(b) != tree.structure(0):
            raise ShapeError(f"{name}: {what} is a matrix, so b must be one array (a "
                             f"function {what} takes pytrees); b has {_describe(b)}"
                             f"{at(user_location(2))}")
    A = _normalize_matvec(name, A, "A")
    M = _identity if M is None else _normalize_matvec(name, M, "M")
    out = _check_operator_output(name, A, b, "A")
    # one working dtype per leaf for b, x0 and A x (complex A with real b: complex, as SciPy)
    b_leaves, b_tree = tree.flatten(b)
    x_leaves = b_leaves if x0 is None else tree.leaves(x0)
    dtypes = [np.result_type(_dtype(v), _dtype(w), o.dtype)
              for v, w, o in zip(b_leaves, x_leaves, out)]
    b = tree.unflatten(b_tree, [_cast(v, d) for v, d in zip(b_leaves, dtypes)])
    x0 = tree.unflatten(b_tree, [wnp.zeros(tuple(wnp.shape(v)), d) if x0 is None else
                                 _cast(v, d) for v, d in zip(x_leaves, dtypes)])
    if M is not _identity:
        _check_operator_output(name, M, b, "the preconditioner M")
    size = sum(int(np.prod(s, dtype=np.int64)) for s in _shapes(b))
    if maxiter is None:
        maxiter = 10 * size  # SciPy's default
    if isinstance(maxiter, Tracer) or int(maxiter) != maxiter:
        raise WireTypeError(f"{name}: maxiter must be a Python int, got {maxiter!r}"
                            f"{at(user_location())}")
    return A, b, x0, M, max(int(maxiter), 0), size


def _poison(x, residual_sq):
    """NaN where the final residual is not finite (NaN or inf in ``b``, ``A`` or on the
    way): the loops stop at once on a NaN tolerance, which would return ``x0``."""
    bad = ~wnp.isfinite(residual_sq)
    return tree.map(lambda v: wnp.where(bad, wnp.asarray(np.nan, dtype=_dtype(v)), v), x)


# --------------------------------------------------------------------------- cg, bicgstab


def _cg_solve(A, b, x0, *, maxiter, tol, atol, M):
    # tolerances as SciPy's cg without its legacy rule (JAX's)
    bs = _vdot_real_tree(b, b)
    atol2 = wnp.maximum(tol * tol * bs, atol * atol)
    r0 = _sub(b, A(x0))
    p0 = z0 = M(r0)
    dtype = _result_dtype(tree.leaves(p0))
    gamma0 = _cast(_vdot_real_tree(r0, z0), dtype)

    def cond_fun(value):
        _, r, gamma, _, k = value
        rs = wnp.real(gamma) if M is _identity else _vdot_real_tree(r, r)
        return (rs > atol2) & (k < maxiter)

    def body_fun(value):
        x, r, gamma, p, k = value
        Ap = A(p)
        alpha = gamma / _cast(_vdot_real_tree(p, Ap), dtype)
        x_ = _add(x, _mul(alpha, p))
        r_ = _sub(r, _mul(alpha, Ap))
        z_ = M(r_)
        gamma_ = _cast(_vdot_real_tree(r_, z_), dtype)
        p_ = _add(z_, _mul(gamma_ / gamma, p))
        return x_, r_, gamma_, p_, k + 1

    x, r, *_ = while_loop(cond_fun, body_fun, (x0, r0, gamma0, p0, wnp.asarray(0)))
    return _poison(x, _vdot_real_tree(r, r))


def _bicgstab_solve(A, b, x0, *, maxiter, tol, atol, M):
    bs = _vdot_real_tree(b, b)
    atol2 = wnp.maximum(tol * tol * bs, atol * atol)

    def cond_fun(value):
        _, r, *_, k = value
        # k < 0 flags a breakdown (rho = 0: -10; omega or alpha = 0: -11)
        return (_vdot_real_tree(r, r) > atol2) & (k < maxiter) & (k >= 0)

    def body_fun(value):
        x, r, rhat, alpha, omega, rho, p, q, k = value
        rho_ = _vdot_tree(rhat, r)
        beta = rho_ / rho * alpha / omega
        p_ = _add(r, _mul(beta, _sub(p, _mul(omega, q))))
        phat = M(p_)
        q_ = A(phat)
        alpha_ = rho_ / _vdot_tree(rhat, q_)
        s = _sub(r, _mul(alpha_, q_))
        exit_early = _vdot_real_tree(s, s) < atol2
        shat = M(s)
        t = A(shat)
        omega_ = _vdot_tree(t, s) / _vdot_tree(t, t)
        x_ = tree.map(partial(wnp.where, exit_early), _add(x, _mul(alpha_, phat)),
                      _add(x, _add(_mul(alpha_, phat), _mul(omega_, shat))))
        r_ = tree.map(partial(wnp.where, exit_early), s, _sub(s, _mul(omega_, t)))
        k_ = wnp.where((omega_ == 0) | (alpha_ == 0), -11, k + 1)
        k_ = wnp.where(rho_ == 0, -10, k_)
        return x_, r_, rhat, alpha_, omega_, rho_, p_, q_, k_

    r0 = _sub(b, A(x0))
    one = _cast(1, _result_dtype(tree.leaves(b)))
    init = (x0, r0, r0, one, one, one, r0, r0, wnp.asarray(0))
    x, r, *_ = while_loop(cond_fun, body_fun, init)
    return _poison(x, _vdot_real_tree(r, r))


def _isolve(name, solve, A, b, x0, *, tol, atol, maxiter, M, check_symmetric):
    A, b, x0, M, maxiter, size = _prepare(name, A, b, x0, M, maxiter)
    if size == 0:
        return x0, None
    def isolve_solve(A, b):
        return _scaled(lambda b, x0, atol: solve(A, b, x0, maxiter=maxiter, tol=tol,
                                                 atol=atol, M=M), b, x0, atol)
    # a real positive definite operator is symmetric: the transposed solve is the same one
    symmetric = check_symmetric and all(_dtype(v).kind != "c" for v in tree.leaves(b))
    x = custom_linear_solve(A, b, solve=isolve_solve, transpose_solve=_transpose_solve(
        isolve_solve, b), symmetric=symmetric)
    return x, None


def _scaled(solve, b, x0, atol):
    """``solve(b, x0, atol)`` on the system scaled by ``s = max |b|``, its solution scaled
    back: the loops compare squared norms, which underflow to 0 for ``|b| < 1e-154`` (the
    loop would stop at once and return ``x0``) and overflow beyond ``1e154``."""
    leaves = tree.leaves(b)
    s = wnp.max(wnp.stack([wnp.max(wnp.abs(v)) for v in leaves]))
    s = wnp.where((s > 0) & wnp.isfinite(s), s, wnp.ones_like(s))
    x = solve(tree.map(lambda v: v / s, b), tree.map(lambda v: v / s, x0), atol / s)
    return tree.map(lambda v: v * s, x)


def _transpose_solve(solve, b):
    """The transposed system's solver: the same one (as JAX's). For complex data the
    transposed system is ``Aᵀ``, not ``Aᴴ`` (JAX's convention: the derivative of a
    holomorphic solve), for ``cg`` ``conj(A)``: Hermitian positive definite as ``A``."""
    return solve


def cg(A, b, x0=None, *, tol=1e-5, atol=0.0, maxiter=None, M=None):
    """``(x, None)``: the conjugate-gradient solution of ``A x = b`` for Hermitian positive
    definite ``A`` (``jax.scipy.sparse.linalg.cg``; ``scipy.sparse.linalg.cg``'s numerics).

    ``A`` and the preconditioner ``M`` (an approximation of ``A⁻¹``): a square matrix or a
    function ``x -> A x`` on pytrees shaped like ``b``. Stops when
    ``norm(b - A x) <= max(tol * norm(b), atol)`` or after ``maxiter`` iterations (default
    ``10 * size(b)``), returning the last iterate either way. Differentiable in ``b`` and in
    the values ``A`` closes over by one more ``cg`` solve (implicit differentiation; ``x0``
    and ``M`` are not differentiated).

    >>> import numpy as np, wire
    >>> a = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> x, info = cg(lambda v: a @ v, np.array([1.0, 2.0]), tol=1e-12)
    >>> x, info
    (array([0.09090909, 0.63636364]), None)
    >>> float(wire.grad(lambda s: cg(lambda v: s * (a @ v), np.array([1.0, 2.0]))[0].sum())(1.0))
    -0.7272727...
    """
    return _isolve("cg", _cg_solve, A, b, x0, tol=tol, atol=atol, maxiter=maxiter, M=M,
                   check_symmetric=True)


def bicgstab(A, b, x0=None, *, tol=1e-5, atol=0.0, maxiter=None, M=None):
    """``(x, None)``: the BiCGSTAB solution of ``A x = b`` for a general square ``A``
    (``jax.scipy.sparse.linalg.bicgstab``; ``scipy.sparse.linalg.bicgstab``'s numerics).

    Arguments and stopping rule as :func:`cg`; a breakdown (``rho``, ``alpha`` or ``omega``
    reaching 0) stops the loop with the current iterate. Derivatives: one more ``bicgstab``
    solve of the transposed system.

    >>> import numpy as np
    >>> a = np.array([[3.0, 1.0], [-1.0, 2.0]])
    >>> x, _ = bicgstab(a, np.array([1.0, 1.0]), tol=1e-12)
    >>> np.allclose(x, [1 / 7, 4 / 7], rtol=1e-12)
    True
    """
    return _isolve("bicgstab", _bicgstab_solve, A, b, x0, tol=tol, atol=atol,
                   maxiter=maxiter, M=M, check_symmetric=False)


# --------------------------------------------------------------------------- gmres


def _safe_normalize(x, thresh=None):
    """``(x / norm(x), norm(x))``, or zeros and 0 when the norm is at most ``thresh``
    (default: the dtype's epsilon)."""
    norm = _norm(x)
    dtype = _result_dtype(tree.leaves(x))
    if thresh is None:
        thresh = np.finfo(_dtype(norm)).eps
    thresh = wnp.real(_cast(thresh, dtype))
    use_norm = norm > thresh
    norm_cast = _cast(norm, dtype)
    safe = wnp.where(use_norm, norm_cast, _cast(1, dtype))
    normalized = tree.map(lambda y: wnp.where(use_norm, y / safe, _cast(0, dtype)), x)
    return normalized, wnp.where(use_norm, norm, wnp.zeros_like(norm))


def _project_on_columns(Q, v):
    """``Q^H v`` summed over the leaves (the Krylov basis is the last axis)."""
    parts = tree.map(lambda X, y: wnp.einsum("...n,...->n", wnp.conj(X), y), Q, v)
    return sum(tree.leaves(parts))


def _iterative_classical_gram_schmidt(Q, x, xnorm, max_iterations=2):
    """``(q, r)``: ``x`` orthogonalised against the columns of ``Q`` ("twice is enough":
    repeated while ``norm(r) < norm(x) / sqrt 2``), with the overlaps ``r``."""
    Q0 = tree.leaves(Q)[0]
    r = wnp.zeros(wnp.shape(Q0)[-1], dtype=_dtype(Q0))
    xnorm_scaled = xnorm / np.sqrt(2.0)

    def body_function(carry):
        k, q, r, qnorm_scaled = carry
        h = _project_on_columns(Q, q)
        q = _sub(q, tree.map(lambda X: wnp.dot(X, h), Q))
        r = r + h
        _, qnorm = _safe_normalize(q)
        return k + 1, q, r, qnorm / np.sqrt(2.0)

    def cond_function(carry):
        k, _, r, qnorm_scaled = carry
        _, rnorm = _safe_normalize(r)
        return (k < max_iterations - 1) & (rnorm < qnorm_scaled)

    carry = body_function((wnp.asarray(0), x, r, xnorm_scaled))
    _, q, r, _ = while_loop(cond_function, body_function, carry)
    return q, r


def _kth_arnoldi_iteration(k, A, M, V, H):
    """Step ``k`` of Arnoldi: ``M(A(V[:, k]))`` orthonormalised into ``V[:, k + 1]``, its
    overlaps into ``H[k, :]``; ``breakdown`` when the new vector vanishes (an invariant
    subspace)."""
    dtype = _result_dtype(tree.leaves(V))
    eps = np.finfo(dtype).eps
    v = M(A(tree.map(lambda X: X[..., k], V)))
    _, v_norm_0 = _safe_normalize(v)
    v, h = _iterative_classical_gram_schmidt(V, v, v_norm_0, max_iterations=2)
    unit_v, v_norm_1 = _safe_normalize(v, thresh=eps * v_norm_0)
    V = tree.map(lambda X, y: _at(X)[..., k + 1].set(y), V, unit_v)
    h = _at(h)[k + 1].set(_cast(v_norm_1, dtype))
    H = _at(H)[k, :].set(h)
    return V, H, v_norm_1 == 0


def _rotate_vectors(H, i, cs, sn):
    x1, y1 = H[i], H[i + 1]
    H = _at(H)[i].set(wnp.conj(cs) * x1 - wnp.conj(sn) * y1)
    return _at(H)[i + 1].set(sn * x1 + cs * y1)


def _givens_rotation(a, b):
    b_zero = wnp.abs(b) == 0
    a_lt_b = wnp.abs(a) < wnp.abs(b)
    num = wnp.where(a_lt_b, a, b)
    den = wnp.where(a_lt_b, b, a)
    t = -num / wnp.where(den == 0, wnp.ones_like(den), den)
    r = _cast(1 / wnp.sqrt(1 + wnp.abs(t) ** 2), _dtype(t))
    cs = wnp.where(b_zero, _cast(1, _dtype(t)), wnp.where(a_lt_b, r * t, r))
    sn = wnp.where(b_zero, _cast(0, _dtype(t)), wnp.where(a_lt_b, r, r * t))
    return cs, sn


def _apply_givens_rotations(H_row, givens, k):
    """The rotations ``givens[:k]`` applied to ``H_row``, then a new one that zeroes its
    element ``k + 1``."""
    R_row = fori_loop(0, k, lambda i, row: _rotate_vectors(row, i, givens[i, 0], givens[i, 1]),
                      H_row)
    cs, sn = _givens_rotation(R_row[k], R_row[k + 1])
    givens = _at(_at(givens)[k, 0].set(cs))[k, 1].set(sn)
    return _rotate_vectors(R_row, k, cs, sn), givens


def _krylov_basis(unit_residual, restart):
    return tree.map(
        lambda x: wnp.pad(x[..., None], ((0, 0),) * len(wnp.shape(x)) + ((0, restart),)),
        unit_residual)


def _gmres_incremental(A, b, x0, unit_residual, residual_norm, ptol, restart, M):
    """One restart of GMRES: the QR factorisation of the Hessenberg matrix is built by
    Givens rotations during Arnoldi, so the residual is known at every step and the restart
    stops early once it is below ``ptol``."""

    V = _krylov_basis(unit_residual, restart)
    dtype = _result_dtype(tree.leaves(b))
    R = wnp.eye(restart, restart + 1, dtype=dtype)  # eye, not zeros: early exits stay solvable
    givens = wnp.zeros((restart, 2), dtype=dtype)
    beta_vec = _at(wnp.zeros(restart + 1, dtype=dtype))[0].set(_cast(residual_norm, dtype))

    def loop_cond(carry):
        k, err, *_ = carry
        return (k < restart) & (err > ptol)

    def arnoldi_qr_step(carry):
        k, _, V, R, beta_vec, givens = carry
        V, H, _ = _kth_arnoldi_iteration(k, A, M, V, R)
        R_row, givens = _apply_givens_rotations(H[k, :], givens, k)
        R = _at(R)[k, :].set(R_row)
        beta_vec = _rotate_vectors(beta_vec, k, givens[k, 0], givens[k, 1])
        return k + 1, wnp.abs(beta_vec[k + 1]), V, R, beta_vec, givens

    carry = (wnp.asarray(0), residual_norm, V, R, beta_vec, givens)
    _, _, V, R, beta_vec, _ = while_loop(loop_cond, arnoldi_qr_step, carry)
    y = solve_triangular(wnp.transpose(R[:, :-1]), beta_vec[:-1])
    x = _add(x0, tree.map(lambda X: wnp.dot(X[..., :-1], y), V))
    unit_residual, residual_norm = _safe_normalize(M(_sub(b, A(x))))
    return x, unit_residual, residual_norm


def _gmres_batched(A, b, x0, unit_residual, residual_norm, ptol, restart, M):
    """One restart of GMRES: the whole Arnoldi basis, then one dense least-squares solve."""
    V = _krylov_basis(unit_residual, restart)
    dtype = _result_dtype(tree.leaves(b))
    H = wnp.eye(restart, restart + 1, dtype=dtype)

    def loop_cond(carry):
        _, _, breakdown, k = carry
        return (k < restart) & ~breakdown

    def arnoldi_process(carry):
        V, H, _, k = carry
        V, H, breakdown = _kth_arnoldi_iteration(k, A, M, V, H)
        return V, H, breakdown, k + 1

    V, H, _, _ = while_loop(loop_cond, arnoldi_process,
                            (V, H, wnp.asarray(False), wnp.asarray(0)))
    beta_vec = _at(wnp.zeros(restart + 1, dtype=dtype))[0].set(_cast(residual_norm, dtype))
    # least squares by the normal equations, H Hᴴ y = H β (JAX's; H has full rank here)
    Ht = wnp.transpose(H)
    y = wnp.linalg.solve(wnp.dot(wnp.conj(wnp.transpose(Ht)), Ht),
                         wnp.dot(wnp.conj(wnp.transpose(Ht)), beta_vec))
    x = _add(x0, tree.map(lambda X: wnp.dot(X[..., :-1], y), V))
    unit_residual, residual_norm = _safe_normalize(M(_sub(b, A(x))))
    return x, unit_residual, residual_norm


def _gmres_solve(A, b, x0, atol, ptol, restart, maxiter, M, gmres_func):
    """Restarts of ``gmres_func`` from the last solution until ``norm(M(b - A x)) <= atol``
    or ``maxiter`` restarts."""
    unit_residual, residual_norm = _safe_normalize(M(_sub(b, A(x0))))

    def cond_fun(value):
        _, k, _, residual_norm = value
        return (k < maxiter) & (residual_norm > atol)

    def body_fun(value):
        x, k, unit_residual, residual_norm = value
        x, unit_residual, residual_norm = gmres_func(A, b, x, unit_residual, residual_norm,
                                                     ptol, restart, M)
        return x, k + 1, unit_residual, residual_norm

    x, *_ = while_loop(cond_fun, body_fun, (x0, wnp.asarray(0), unit_residual, residual_norm))
    r = _sub(b, A(x))
    return _poison(x, _vdot_real_tree(r, r))


def gmres(A, b, x0=None, *, tol=1e-5, atol=0.0, restart=20, maxiter=None, M=None,
          solve_method="batched"):
    """``(x, info)``: the GMRES solution of ``A x = b`` for a general square ``A``
    (``jax.scipy.sparse.linalg.gmres``; ``scipy.sparse.linalg.gmres``'s numerics).

    Builds Krylov spaces of dimension ``restart`` (at most ``size(b)``) up to ``maxiter``
    times (default ``10 * size(b)``), each from the last solution, until
    ``norm(b - A x) <= max(tol * norm(b), atol)`` (with a preconditioner ``M``, the
    preconditioned residual is tested, as JAX does). ``solve_method='incremental'`` builds
    the QR factorisation by Givens rotations as it goes and stops a restart early;
    ``'batched'`` (the default) solves one least-squares problem per restart. ``info`` is
    ``-1`` when ``x`` is not finite and ``0`` otherwise, as JAX's (it does not report
    non-convergence). Derivatives: one more ``gmres`` solve of the transposed system.

    >>> import numpy as np
    >>> a = np.array([[3.0, 1.0], [-1.0, 2.0]])
    >>> x, info = gmres(a, np.array([1.0, 1.0]), tol=1e-12, solve_method="incremental")
    >>> np.allclose(x, [1 / 7, 4 / 7], rtol=1e-12), int(info)
    (True, 0)
    """
    if solve_method == "incremental":
        gmres_func = _gmres_incremental
    elif solve_method == "batched":
        gmres_func = _gmres_batched
    else:
        raise WireValueError(f"gmres: solve_method must be 'incremental' or 'batched', got "
                             f"{solve_method!r}{at(user_location())}")
    if isinstance(restart, Tracer) or int(restart) != restart or restart < 1:
        raise WireValueError(f"gmres: restart must be a positive int, got {restart!r}"
                             f"{at(user_location())}")
    A, b, x0, M, maxiter, size = _prepare("gmres", A, b, x0, M, maxiter)
    if size == 0:
        return x0, wnp.asarray(0)
    restart = min(int(restart), size)

    def scaled_solve(A, b, x0, atol):
        # JAX's tolerances: atol between restarts, ptol (of the preconditioned residual)
        # within one; from the right-hand side being solved (JAX's transposed solve uses
        # b's, whatever the cotangent's size)
        b_norm = _norm(b)
        atol = wnp.maximum(tol * b_norm, atol)
        safe_b_norm = wnp.where(b_norm > 0, b_norm, wnp.ones_like(b_norm))
        ptol = _norm(M(b)) * wnp.minimum(1.0, atol / safe_b_norm)
        return _gmres_solve(A, b, x0, atol, ptol, restart, maxiter, M, gmres_func)

    def solve(A, b):
        return _scaled(lambda b, x0, atol_: scaled_solve(A, b, x0, atol_), b, x0, atol)

    x = custom_linear_solve(A, b, solve=solve, transpose_solve=_transpose_solve(solve, b))
    info = wnp.where(wnp.isnan(_norm(x)), -1, 0)
    return x, info


expose(globals(), __all__)
