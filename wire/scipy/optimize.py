"""``wire.scipy.optimize``: ``minimize`` with ``jax.scipy.optimize``'s BFGS and its result
``OptimizeResults``.

The algorithm is JAX's (Nocedal and Wright, *Numerical Optimization*, algorithm 6.1, with
the strong-Wolfe line search of algorithms 3.5 and 3.6: cubic, then quadratic, then bisection
steps in the zoom), step by step, so iterates, counts and statuses are JAX's. Each loop is a
``wire.while_loop``, so ``minimize`` runs eagerly and under ``wire.jit`` and ``wire.vmap``
(over ``x0`` or ``args``). The gradient of ``fun`` comes from ``wire.value_and_grad``.

Differences from JAX, where JAX's result is wrong: when the line search fails
(``success`` is False, ``status`` 3 to 5) ``x`` stays at the last accepted point, so ``fun``
and ``jac`` are ``fun``'s value and gradient at ``x`` (JAX moves ``x`` a full step but reports
the old value and gradient); a trial step where ``fun`` is NaN is too long, as one where it
rises (JAX compares NaN as false and doubles the step into it: ``-log(x) + x`` from 5 stops
at 3.4); and ``tol`` is SciPy's ``gtol`` (JAX ignores it), unless ``options`` gives ``gtol``.

>>> import numpy as np
>>> from wire.scipy.optimize import minimize
>>> r = minimize(lambda x: ((x - 3.0) ** 2).sum(), np.zeros(2))
>>> r.x.round(8), bool(r.success), int(r.nit)
(array([3., 3.]), True, 3)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from ..api import value_and_grad, while_loop  # (the functions, not their entry points)
from ..core import Tracer
from ..errors import ShapeError, WireTypeError, WireValueError, at, user_location
from ..tracebacks import expose

__all__ = ["OptimizeResults", "minimize"]


class OptimizeResults(NamedTuple):
    """The result of :func:`minimize` (``jax.scipy.optimize.OptimizeResults``).

    ``x`` the solution; ``success`` whether the gradient's norm fell below ``gtol`` with no
    line-search failure; ``status`` 0 converged, 1 ``maxiter`` reached, 3 zoom failed (the
    bracket shrank below 1e-10, 1e-5 in float32, or 30 zoom steps), 5 line search reached
    ``line_search_maxiter``, -1 undefined; ``fun`` and ``jac`` the value and gradient at
    ``x``; ``hess_inv`` the BFGS estimate of the inverse Hessian; ``nfev``, ``njev`` the
    evaluations of ``fun`` and of its gradient (counted together, as JAX); ``nit`` the BFGS
    iterations.

    >>> r = OptimizeResults(np.zeros(1), True, 0, 0.0, np.zeros(1), np.eye(1), 1, 1, 0)
    >>> r.status, r._fields[:3]
    (0, ('x', 'success', 'status'))
    """

    x: Any
    success: Any
    status: Any
    fun: Any
    jac: Any
    hess_inv: Any
    nfev: Any
    njev: Any
    nit: Any


class _Zoom(NamedTuple):
    done: Any
    failed: Any
    j: Any
    a_lo: Any
    phi_lo: Any
    dphi_lo: Any
    a_hi: Any
    phi_hi: Any
    dphi_hi: Any
    a_rec: Any
    phi_rec: Any
    a_star: Any
    phi_star: Any
    dphi_star: Any
    g_star: Any
    nfev: Any


class _Search(NamedTuple):
    done: Any
    failed: Any
    i: Any
    a_i1: Any
    phi_i1: Any
    dphi_i1: Any
    nfev: Any
    a_star: Any
    phi_star: Any
    dphi_star: Any
    g_star: Any


class _BFGS(NamedTuple):
    converged: Any
    failed: Any
    k: Any
    nfev: Any
    x_k: Any
    f_k: Any
    g_k: Any
    H_k: Any
    old_old_fval: Any
    ls_status: Any


def _pick(bit, old: NamedTuple, **new):
    """``old`` with the fields ``new`` taken where ``bit`` holds."""
    return old._replace(**{k: wnp.where(bit, v, getattr(old, k)) for k, v in new.items()})


def _cubicmin(a, fa, fpa, b, fb, c, fc):
    """The minimiser of the cubic through (a, fa) with slope fpa, (b, fb) and (c, fc); NaN
    where there is none (then the zoom does not use it), computed without warnings."""
    C = fpa
    db, dc = b - a, c - a
    denom = (db * dc) ** 2 * (db - dc)
    ok = denom != 0
    denom = wnp.where(ok, denom, 1.0)
    e1, e2 = fb - fa - C * db, fc - fa - C * dc
    A = (dc ** 2 * e1 + (-db ** 2) * e2) / denom
    B = ((-dc ** 3) * e1 + db ** 3 * e2) / denom
    radical = B * B - 3.0 * A * C
    ok = ok & (A != 0) & (radical >= 0)
    xmin = a + (-B + wnp.sqrt(wnp.where(ok, radical, 0.0))) / (3.0 * wnp.where(ok, A, 1.0))
    return wnp.where(ok, xmin, np.nan)


def _quadmin(a, fa, fpa, b, fb):
    """The minimiser of the quadratic through (a, fa) with slope fpa and (b, fb); NaN where
    there is none."""
    db = b - a
    ok = db != 0
    B = (fb - fa - fpa * db) / wnp.where(ok, db, 1.0) ** 2
    ok = ok & (B != 0)
    return wnp.where(ok, a - fpa / (2.0 * wnp.where(ok, B, 1.0)), np.nan)


def _zoom(phi_dphi, wolfe_one, wolfe_two, lo, hi, g_0, skip, threshold):
    """Algorithm 3.6: shrink the bracket ``[lo, hi]`` (each ``(a, phi, dphi)``) to a step
    meeting the strong Wolfe conditions; nothing when ``skip``."""
    one = wnp.ones_like(lo[0])
    state = _Zoom(done=wnp.asarray(False), failed=wnp.asarray(False), j=wnp.asarray(0),
                  a_lo=lo[0], phi_lo=lo[1], dphi_lo=lo[2], a_hi=hi[0], phi_hi=hi[1],
                  dphi_hi=hi[2], a_rec=(lo[0] + hi[0]) / 2.0, phi_rec=(lo[1] + hi[1]) / 2.0,
                  a_star=one, phi_star=lo[1], dphi_star=lo[2], g_star=g_0,
                  nfev=wnp.asarray(0))

    def body(s):
        dalpha = s.a_hi - s.a_lo
        a = wnp.minimum(s.a_hi, s.a_lo)
        b = wnp.maximum(s.a_hi, s.a_lo)
        cchk, qchk = 0.2 * dalpha, 0.1 * dalpha
        # the bracket is too narrow (JAX tests the signed width, so every search that
        # brackets from above fails)
        s = s._replace(failed=s.failed | (wnp.abs(dalpha) <= threshold))
        a_cubic = _cubicmin(s.a_lo, s.phi_lo, s.dphi_lo, s.a_hi, s.phi_hi, s.a_rec, s.phi_rec)
        use_cubic = (s.j > 0) & (a_cubic > a + cchk) & (a_cubic < b - cchk)
        a_quad = _quadmin(s.a_lo, s.phi_lo, s.dphi_lo, s.a_hi, s.phi_hi)
        use_quad = ~use_cubic & (a_quad > a + qchk) & (a_quad < b - qchk)
        a_j = wnp.where(use_cubic, a_cubic, s.a_rec)
        a_j = wnp.where(use_quad, a_quad, a_j)
        a_j = wnp.where(~use_cubic & ~use_quad, (s.a_lo + s.a_hi) / 2.0, a_j)
        phi_j, dphi_j, g_j = phi_dphi(a_j)
        s = s._replace(nfev=s.nfev + 1)
        hi_to_j = wolfe_one(a_j, phi_j) | (phi_j >= s.phi_lo) | wnp.isnan(phi_j)
        star_to_j = wolfe_two(dphi_j) & ~hi_to_j
        hi_to_lo = (dphi_j * (s.a_hi - s.a_lo) >= 0.0) & ~hi_to_j & ~star_to_j
        lo_to_j = ~hi_to_j & ~star_to_j
        s = _pick(hi_to_j, s, a_hi=a_j, phi_hi=phi_j, dphi_hi=dphi_j, a_rec=s.a_hi,
                  phi_rec=s.phi_hi)
        s = _pick(star_to_j, s, a_star=a_j, phi_star=phi_j, dphi_star=dphi_j, g_star=g_j)
        s = s._replace(done=star_to_j | s.done)
        s = _pick(hi_to_lo, s, a_hi=s.a_lo, phi_hi=s.phi_lo, dphi_hi=s.dphi_lo, a_rec=s.a_hi,
                  phi_rec=s.phi_hi)
        s = _pick(lo_to_j & ~hi_to_lo, s, a_rec=s.a_lo, phi_rec=s.phi_lo)
        s = _pick(lo_to_j, s, a_lo=a_j, phi_lo=phi_j, dphi_lo=dphi_j)
        s = s._replace(j=s.j + 1)
        return s._replace(failed=s.failed | (s.j >= 30))

    return while_loop(lambda s: ~s.done & ~skip & ~s.failed, body, state)


def _line_search(fun, xk, pk, phi_0, old_old_fval, gfk, maxiter, c1=1e-4, c2=0.9):
    """Algorithm 3.5 (strong Wolfe conditions) along ``pk`` from ``xk``, as JAX's
    ``line_search`` given the value and gradient at ``xk``. Returns
    ``(failed, nfev, a_k, f_k, g_k, status)``."""
    dtype = xk.dtype

    def phi_dphi(t):
        phi, g = value_and_grad(fun)(xk + t * pk)
        return phi.astype(dtype), wnp.dot(g, pk).astype(dtype), g.astype(dtype)

    dphi_0 = wnp.dot(gfk, pk)
    flat = dphi_0 == 0  # (not a descent direction: JAX divides by zero; here step 1)
    candidate = 1.01 * 2 * (phi_0 - old_old_fval) / wnp.where(flat, 1.0, dphi_0)
    start = wnp.where((candidate > 1) | flat, wnp.ones_like(candidate), candidate)

    def wolfe_one(a_i, phi_i):  # the sufficient decrease fails
        return phi_i > phi_0 + c1 * a_i * dphi_0

    def wolfe_two(dphi_i):  # the curvature condition holds
        return wnp.abs(dphi_i) <= -c2 * dphi_0

    bits = np.finfo(dtype).bits
    threshold = dtype.type(1e-10 if bits >= 64 else 1e-5)
    zero = wnp.zeros_like(phi_0)
    state = _Search(done=wnp.asarray(False), failed=wnp.asarray(False), i=wnp.asarray(1),
                    a_i1=zero, phi_i1=phi_0, dphi_i1=dphi_0, nfev=wnp.asarray(0),
                    a_star=zero, phi_star=phi_0, dphi_star=dphi_0, g_star=gfk)

    def body(s):
        a_i = wnp.where(s.i == 1, start, s.a_i1 * 2.0)
        phi_i, dphi_i, g_i = phi_dphi(a_i)
        s = s._replace(nfev=s.nfev + 1)
        # a NaN value (fun undefined there) is a step too far, as one that rises (JAX
        # compares NaN as false and doubles the step into it until the search gives up)
        to_zoom1 = wolfe_one(a_i, phi_i) | ((phi_i >= s.phi_i1) & (s.i > 1)) | wnp.isnan(phi_i)
        to_i = wolfe_two(dphi_i) & ~to_zoom1
        to_zoom2 = (dphi_i >= 0.0) & ~to_zoom1 & ~to_i
        here, before = (a_i, phi_i, dphi_i), (s.a_i1, s.phi_i1, s.dphi_i1)
        z1 = _zoom(phi_dphi, wolfe_one, wolfe_two, before, here, gfk, ~to_zoom1, threshold)
        z2 = _zoom(phi_dphi, wolfe_one, wolfe_two, here, before, gfk, ~to_zoom2, threshold)
        s = s._replace(nfev=s.nfev + z1.nfev + z2.nfev)
        for bit, z in ((to_zoom1, z1), (to_i, None), (to_zoom2, z2)):
            if z is None:
                s = _pick(bit, s, a_star=a_i, phi_star=phi_i, dphi_star=dphi_i, g_star=g_i)
            else:
                s = _pick(bit, s, a_star=z.a_star, phi_star=z.phi_star,
                          dphi_star=z.dphi_star, g_star=z.g_star)
                s = s._replace(failed=(bit & z.failed) | s.failed)
            s = s._replace(done=bit | s.done)
        return s._replace(i=s.i + 1, a_i1=a_i, phi_i1=phi_i, dphi_i1=dphi_i)

    s = while_loop(lambda s: ~s.done & (s.i <= maxiter) & ~s.failed, body, state)
    status = wnp.where(s.failed, 1, wnp.where(s.i > maxiter, 3, 0))
    a_k = s.a_star
    if bits != 64:  # JAX's floor on the step, against a zero direction in low precision
        a_k = wnp.where(wnp.abs(a_k) < 1e-8, wnp.sign(a_k) * dtype.type(1e-8), a_k)
    return s.failed | ~s.done, s.nfev, a_k, s.phi_star, s.g_star, status


def _bfgs(fun, x0, maxiter, norm, gtol, line_search_maxiter):
    d = x0.shape[0]
    dtype = x0.dtype
    f_0, g_0 = value_and_grad(fun)(x0)
    f_0, g_0 = f_0.astype(dtype), g_0.astype(dtype)
    state = _BFGS(converged=wnp.linalg.norm(g_0, ord=norm) < gtol, failed=wnp.asarray(False),
                  k=wnp.asarray(0), nfev=wnp.asarray(1), x_k=x0, f_k=f_0, g_k=g_0,
                  H_k=wnp.eye(d, dtype=dtype),
                  old_old_fval=f_0 + wnp.linalg.norm(g_0) / 2, ls_status=wnp.asarray(0))

    def body(s):
        p_k = -(s.H_k @ s.g_k)
        failed, nfev, a_k, f_kp1, g_kp1, ls_status = _line_search(
            fun, s.x_k, p_k, s.f_k, s.old_old_fval, s.g_k, line_search_maxiter)
        # a failed search keeps the point (JAX steps by a_k but keeps the old value)
        a_k = wnp.where(failed, wnp.zeros_like(a_k), a_k)
        f_kp1 = wnp.where(failed, s.f_k, f_kp1)
        g_kp1 = wnp.where(failed, s.g_k, g_kp1)
        # (0 times an infinite direction is NaN: a failed search keeps x_k as it is)
        s_k = wnp.where(failed, wnp.zeros_like(p_k), a_k * p_k)
        y_k = g_kp1 - s.g_k
        ys = wnp.dot(y_k, s_k)
        rho = 1.0 / wnp.where(ys == 0, 1.0, ys)  # no update when ys is 0 (JAX: rho = inf)
        sy = s_k[:, None] * y_k[None, :]
        w = wnp.eye(d, dtype=dtype) - rho * sy
        H = w @ s.H_k @ w.T + rho * s_k[:, None] * s_k[None, :]
        H = wnp.where(wnp.isfinite(rho) & (ys != 0), H, s.H_k)
        return _BFGS(converged=wnp.linalg.norm(g_kp1, ord=norm) < gtol, failed=failed,
                     k=s.k + 1, nfev=s.nfev + nfev, x_k=s.x_k + s_k, f_k=f_kp1, g_k=g_kp1,
                     H_k=H, old_old_fval=s.f_k, ls_status=ls_status)

    s = while_loop(lambda s: ~s.converged & ~s.failed & (s.k < maxiter), body, state)
    status = wnp.where(s.converged, 0, wnp.where(s.k == maxiter, 1,
                                                 wnp.where(s.failed, 2 + s.ls_status, -1)))
    return s, status


_OPTIONS = ("maxiter", "norm", "gtol", "line_search_maxiter")


def minimize(fun, x0, args=(), *, method="BFGS", tol=None, options=None):
    """Minimise ``fun(x, *args)`` (a real number) from ``x0``, as
    ``jax.scipy.optimize.minimize``; the gradient comes from ``wire.value_and_grad``.

    ``method``: ``'BFGS'`` (the default here; JAX requires it). ``options``: ``maxiter``
    (default ``200 * x0.size``), ``gtol`` (stop when ``norm(jac, ord=norm) < gtol``, default
    1e-5), ``norm`` (default ``inf``), ``line_search_maxiter`` (default 10). ``tol`` is
    ``gtol`` when ``options`` gives none (SciPy's meaning; JAX ignores ``tol``). ``x0`` may
    have any shape (JAX: one dimension): ``x`` and ``jac`` have its shape, ``hess_inv`` is
    ``(x0.size, x0.size)``. Runs eagerly, under ``wire.jit`` and ``wire.vmap``; not
    differentiable (the loop's trip count depends on the data).

    >>> import numpy as np
    >>> rosen = lambda x: 100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2
    >>> r = minimize(rosen, np.array([-1.2, 1.0]))
    >>> r.x.round(5), bool(r.success), int(r.status), int(r.nit)
    (array([1., 1.]), True, 0, 34)
    >>> import wire                                  # a batch of starting points
    >>> wire.vmap(lambda x0: minimize(rosen, x0).x)(np.array([[0.0, 0.0], [2.0, 2.0]])).round(5)
    array([[1., 1.],
           [1., 1.]])
    """
    if not isinstance(args, tuple):
        raise WireTypeError(f"minimize: args must be a tuple, got {type(args).__name__}"
                            f"{at(user_location())}")
    if not isinstance(method, str) or method.lower() != "bfgs":
        raise WireValueError(f"minimize: method {method!r} is not supported; wire has 'BFGS' "
                             f"(as jax.scipy.optimize.minimize){at(user_location())}")
    options = dict(options or {})
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise WireValueError(f"minimize: unknown options {unknown}; BFGS takes {_OPTIONS}"
                             f"{at(user_location())}")
    if tol is not None and "gtol" not in options:
        options["gtol"] = tol
    if not isinstance(x0, Tracer):
        x0 = np.asarray(x0)
    if x0.dtype.kind not in "biuf":
        raise WireTypeError(f"minimize: x0 must be real, got dtype {x0.dtype}"
                            f"{at(user_location())}")
    if x0.dtype.kind != "f":
        x0 = x0.astype(np.float64)
    shape = tuple(x0.shape)
    if 0 in shape:
        raise ShapeError(f"minimize: x0 has no elements (shape {shape}){at(user_location())}")
    size = int(np.prod(shape))
    flat = wnp.reshape(x0, (size,))

    def objective(x):
        value = fun(wnp.reshape(x, shape), *args)
        if tuple(wnp.shape(value)) != ():
            raise ShapeError(f"minimize: fun must return one number, got shape "
                             f"{tuple(wnp.shape(value))}{at(user_location())}")
        return value

    s, status = _bfgs(objective, flat, maxiter=options.get("maxiter", size * 200),
                      norm=options.get("norm", np.inf), gtol=options.get("gtol", 1e-5),
                      line_search_maxiter=options.get("line_search_maxiter", 10))
    return OptimizeResults(x=wnp.reshape(s.x_k, shape), success=s.converged & ~s.failed,
                           status=status, fun=s.f_k, jac=wnp.reshape(s.g_k, shape),
                           hess_inv=s.H_k, nfev=s.nfev, njev=s.nfev, nit=s.k)


expose(globals(), __all__)
