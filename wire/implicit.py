"""Implicit differentiation: ``fixed_point`` and ``custom_root``.

The solution of ``x = f(x, θ)`` or ``g(x, θ) = 0`` depends on ``θ`` smoothly wherever the
implicit function theorem applies, with derivative ``dx = -(∂g/∂x)⁻¹ ∂g/∂θ dθ``. These
functions differentiate by that formula — a linear solve at the solution — and never through
the iterations that found it, so derivatives cost one linear solve whatever the number of
iterations, and are exact at the solution (not the derivative of a truncated iteration).

Both are ``custom_jvp`` functions: forward mode applies the formula; reverse mode transposes
it (the adjoint linear solve); higher orders differentiate the formula again. Values the
user's function closes over (outer tracers: the parameters) are found by tracing it and
become explicit arguments of the rule (closure conversion), so they are differentiated too.

>>> import numpy as np, wire, wire.numpy as wnp
>>> x = wire.fixed_point(lambda x, a: a * wnp.cos(x), 0.0, 0.5)
>>> round(float(x - 0.5 * np.cos(x)), 14)
0.0
>>> dxda = wire.grad(lambda a: wire.fixed_point(lambda x, a: a * wnp.cos(x), 0.0, a))(0.5)
>>> bool(abs(dxda - np.cos(x) / (1 + 0.5 * np.sin(x))) < 1e-12)
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import numpy as wnp
from . import tree
from .api.vmap import vmap
from .api.control_flow import trace_closed, while_loop
from .api.custom import custom_jvp, custom_vjp
from .api.derivatives import jvp, vjp
from .api.grad import linear_transpose
from .api.shapes import eval_shape
from .errors import ShapeError, WireError, at, user_location
from .core import Tracer, call_graph_flat, flat_avals

__all__ = ["Linearized", "closure_convert", "custom_linear_solve", "custom_root",
           "dense_tangent_solve", "fixed_point"]


def closure_convert(fn: Callable, *example_args):
    """``(closed, consts)`` with ``closed(consts, *args) == fn(*args)``: ``consts`` are the
    traced values ``fn`` closes over (the parameters a derivative must reach), found by
    tracing ``fn`` at the shapes of ``example_args``. Without outer tracers ``consts`` is
    empty. (JAX's ``closure_convert``.)

    >>> import numpy as np
    >>> closed, consts = closure_convert(lambda x: 2.0 * x, np.ones(2))
    >>> consts, closed(consts, np.ones(2))
    ([], array([2., 2.]))
    """
    closed, consts, _ = _closure_convert(fn, example_args)
    return closed, consts


def _closure_convert(fn, example_args):
    """``closure_convert`` plus the output's ``(treedef, avals)``."""
    leaves, in_tree = tree.flatten(tuple(example_args))
    graph, consts, out_tree = trace_closed(fn, flat_avals(leaves, in_tree), in_tree,
                                           f"{getattr(fn, '__name__', 'function')}")

    def closed(consts_, *args):
        outs = call_graph_flat(graph, list(consts_) + tree.leaves(tuple(args)))
        return tree.unflatten(out_tree, list(outs))

    return closed, list(consts), (out_tree, list(graph.out_avals))


def _same_structure(what, got, like):
    """Raise unless pytree ``got`` has ``like``'s structure and leaf shapes (``got`` may be
    given as ``(treedef, avals)``)."""
    if isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], tree.TreeDef):
        g_tree, g_shapes = got[0], [a.shape for a in got[1]]
    else:
        g_leaves, g_tree = tree.flatten(got)
        g_shapes = [tuple(wnp.shape(g)) for g in g_leaves]
    l_leaves, l_tree = tree.flatten(like)
    if g_tree != l_tree:
        raise ShapeError(f"{what} returned structure {g_tree!r}, but the initial guess has "
                         f"{l_tree!r}{at(user_location())}")
    for g, v in zip(g_shapes, l_leaves):
        if tuple(g) != tuple(wnp.shape(v)):
            raise ShapeError(f"{what} returned a leaf of shape {tuple(g)} where the initial "
                             f"guess has {tuple(wnp.shape(v))}{at(user_location())}")


def custom_root(f: Callable, initial_guess, solve: Callable, tangent_solve: Callable,
                has_aux: bool = False):
    """The root ``x`` of ``f(x) = 0`` found by ``solve(f, initial_guess)``, differentiated by
    the implicit function theorem with respect to everything ``f`` closes over (JAX's
    signature and semantics).

    ``tangent_solve(g, y)`` solves the linear system ``g(x) = y`` for ``x``, where ``g`` is
    the Jacobian-vector product of ``f`` at the root (a :class:`Linearized`); reverse mode
    transposes it, so it must be built from differentiable linear operations (for a scalar:
    ``lambda g, y: y / g(1.0)``; for vectors: :func:`dense_tangent_solve`, or
    ``wnp.linalg.solve(g.matrix(), y)``). With ``has_aux``,
    ``solve`` returns ``(root, aux)`` and so does ``custom_root``; ``aux`` is not
    differentiated.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> def newton(f, x0):
    ...     step = lambda x: x - f(x) / wire.grad(f)(x)
    ...     return wire.fori_loop(0, 30, lambda i, x: step(x), x0)
    >>> def sqrt(a):
    ...     return wire.custom_root(lambda x: x * x - a, 1.0, newton, lambda g, y: y / g(1.0))
    >>> round(float(sqrt(2.0)), 15), round(float(wire.grad(sqrt)(2.0)), 15)   # 1 / (2 sqrt a)
    (1.414213562373095, 0.353553390593274)
    """
    guess_leaves = tree.leaves(initial_guess)
    if not guess_leaves:
        raise WireError(f"custom_root: the initial guess has no arrays{at(user_location())}")
    f_closed, consts, f_out = _closure_convert(f, (initial_guess,))
    _same_structure("custom_root: f", f_out, initial_guess)

    def at_params(c):
        return lambda x: f_closed(c, x)

    @custom_jvp
    def root(c, guess):
        out = solve(at_params(c), guess)
        return _checked_solution(out, guess, has_aux)

    @root.defjvp
    def root_jvp(primals, tangents):
        c, guess = primals
        dc, _ = tangents
        out = root(c, guess)
        x = out[0] if has_aux else out
        # F(c, x(c)) = 0  ⇒  ∂ₓF · dx = -∂_c F · dc. Every traced value enters the JVPs as
        # an explicit argument, never through a closure: inside a rule they are the inputs
        # of the graph being transformed, which a nested transform must not capture.
        _, rhs = jvp(f_closed, (c, x), (dc, tree.map(wnp.zeros_like, x)))
        dx = tree.map(lambda v: -v, tangent_solve(Linearized(f_closed, c, x), rhs))
        _same_structure("custom_root: tangent_solve", dx, x)
        if has_aux:
            return out, (dx, tree.map(wnp.zeros_like, out[1]))
        return out, dx

    return root(tuple(consts), initial_guess)


def custom_linear_solve(matvec: Callable, b, solve: Callable, transpose_solve=None,
                        symmetric: bool = False, has_aux: bool = False):
    """``x = solve(matvec, b)``, the solution of the linear system ``matvec(x) = b``,
    differentiated as ``A⁻¹ b`` without differentiating ``solve`` (JAX's
    ``lax.custom_linear_solve``): the derivative in ``b`` and in whatever ``matvec`` closes
    over (the parameters of ``A``) takes one more solve.

    ``solve(matvec, b)`` may be any solver (conjugate gradients in a ``while_loop``, a
    factorisation); ``matvec`` must be linear in its argument (``b``'s pytree structure).
    Reverse mode solves the transposed system with ``transpose_solve(vecmat, ct)``
    (``vecmat`` is ``matvec``'s transpose), or with ``solve`` itself when ``symmetric``:
    ``b̄ = A⁻ᵀ x̄`` and ``Ā = -b̄ xᵀ``, pulled back through ``matvec``. That transposed solve
    is itself a ``custom_linear_solve``, so forward mode (the rule transposed: wire's
    ``custom_vjp``) and higher orders never differentiate or transpose the solvers either:
    ``jacfwd`` and ``hessian`` work with a conjugate-gradient loop. Without
    ``transpose_solve`` (and not ``symmetric``) only the value is available; a derivative
    raises. Complex systems are transposed as JAX transposes them (``Aᵀ``, not ``Aᴴ``: the
    derivative of a holomorphic solve). Values the solvers close over are constants (not
    differentiated, as JAX's).
    ``has_aux`` (``solve`` returning ``(x, aux)``) is not supported.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> a = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> def f(b, s):
    ...     mv = lambda x: s * (a @ x)                    # A = s a: closes over s
    ...     return wire.lax.custom_linear_solve(mv, b, lambda mv, b: wnp.linalg.solve(s * a, b),
    ...                                         symmetric=True)
    >>> b = np.array([1.0, 2.0])
    >>> f(b, 2.0)
    array([0.04545455, 0.31818182])
    >>> float(wire.grad(lambda s: wnp.sum(f(b, s)))(2.0))   # -sum(A⁻¹ b) / s
    -0.18181818181818182
    """
    if has_aux:
        raise WireError("custom_linear_solve: has_aux=True is not supported; return the "
                        "auxiliary values from a separate call of your solver"
                        + at(user_location()))
    b_leaves = tree.leaves(b)
    if not b_leaves:
        raise WireError(f"custom_linear_solve: b has no arrays{at(user_location())}")
    mv_closed, consts, mv_out = _closure_convert(matvec, (b,))
    _same_structure("custom_linear_solve: matvec", mv_out, b)
    consts = tuple(consts)

    def operator(c):
        return lambda x: mv_closed(c, x)

    def transposed(c, like):
        return _transpose(operator(c), like)

    # the solvers' own closed-over values are constants of the rule, never differentiated
    # (JAX's): they become explicit arguments with their gradient stopped
    solve_closed, solve_consts, solve_out = _closure_convert(
        lambda c, rhs: solve(operator(c), rhs), (consts, b))
    _same_structure("custom_linear_solve: solve", solve_out, b)
    t_closed, t_consts = None, []
    if not symmetric and transpose_solve is not None:
        t_closed, t_consts, t_out = _closure_convert(
            lambda c, x, ct: transpose_solve(transposed(c, x), ct), (consts, b, b))
        _same_structure("custom_linear_solve: transpose_solve", t_out, b)
    frozen = tuple(wnp.stop_gradient(v) for v in solve_consts)
    t_frozen = tuple(wnp.stop_gradient(v) for v in t_consts)

    @custom_vjp
    def lsolve(c, rhs, k, tk):
        return solve_closed(k, c, rhs)

    def lsolve_fwd(c, rhs, k, tk):
        x = lsolve(c, rhs, k, tk)
        return x, (c, x, k, tk)

    def lsolve_bwd(res, ct):
        c, x, k, tk = res
        # b̄ = A⁻ᵀ x̄ is itself a custom linear solve (of the transposed system), so that
        # differentiating this rule again (forward mode, Hessians) never differentiates
        # or transposes the solvers either
        if symmetric:
            u = custom_linear_solve(operator(c), ct, lambda mv, r: solve_closed(k, c, r),
                                    symmetric=True)
        elif t_closed is None:
            raise WireError("custom_linear_solve: reverse mode needs transpose_solve (or "
                            "symmetric=True when matvec is symmetric)" + at(user_location()))
        else:
            u = custom_linear_solve(transposed(c, x), ct,
                                    lambda vm, r: t_closed(tk, c, x, r),
                                    transpose_solve=lambda mv, r: solve_closed(k, c, r))
        # b̄ = A⁻ᵀ x̄; the parameters: -(∂(A x)/∂c)ᵀ b̄ at the solution
        _, pull = vjp(lambda c_: mv_closed(c_, x), c)
        (c_bar,) = pull(u)
        return (tree.map(lambda v: -v, c_bar), u, tree.map(wnp.zeros_like, k),
                tree.map(wnp.zeros_like, tk))

    lsolve.defvjp(lsolve_fwd, lsolve_bwd)
    # linear in b (the other arguments constants): linear_transpose transposes it by its
    # reverse mode, the transposed solve (wire.higher_order.linearity.linear_operands)
    lsolve._linear_in = _linear_in_b
    return lsolve(consts, b, frozen, t_frozen)


def _linear_in_b():
    """What ``custom_linear_solve`` is linear in, for ``wire.linear_transpose``."""
    return "wire.lax.custom_linear_solve", (1,), "b"


def _dtype_of(v):
    return v.dtype if isinstance(v, Tracer) else np.asarray(v).dtype


def _transpose(f: Callable, like):
    """``ct ↦ Jᵀ ct``, the transpose of the linear ``f`` (a pytree like ``like`` to a pytree),
    by ``linear_transpose``, which takes complex data as ``jax.linear_transpose`` does: the
    transpose, not the adjoint (``A x`` transposes to ``Aᵀ ct``, no conjugation; a
    non-holomorphic ``conj(x)`` transposes to ``conj``), and a real leaf's cotangent the real
    part of its complex one. Each cotangent leaf is first cast to its output's dtype (a real
    output takes the real part of a complex cotangent)."""
    f_t = linear_transpose(f, like)
    out_leaves, out_tree = tree.flatten(eval_shape(f, like))

    def cast(ct, o):
        dt = np.dtype(o.dtype)
        if dt.kind != "c" and _dtype_of(ct).kind == "c":
            ct = wnp.real(ct)
        return wnp.asarray(ct, dt)

    def transposed(y):
        ct_leaves, got = tree.flatten(y)
        if got == out_tree:  # (a different structure: linear_transpose names it)
            ct_leaves = [cast(ct, o) for ct, o in zip(ct_leaves, out_leaves)]
        return f_t(tree.unflatten(got, ct_leaves))[0]

    return transposed


class Linearized:
    """The linear map ``u ↦ ∂ₓF(c, x) · u`` that ``tangent_solve`` inverts: call it on a
    tangent ``u`` (a pytree like ``x``); :meth:`matrix` gives its matrix over the flattened
    unknowns in one batched JVP."""

    def __init__(self, f_closed, c, x):
        self.f_closed, self.c, self.x = f_closed, c, x

    def __call__(self, u):
        zeros = tree.map(wnp.zeros_like, self.c)
        return jvp(self.f_closed, (self.c, self.x), (zeros, u))[1]

    def matrix(self):
        """``(n, n)``: column k is the map applied to the k-th unit vector."""
        x_leaves, x_tree = tree.flatten(self.x)
        n = sum(int(np.prod(tuple(wnp.shape(v)), dtype=np.int64)) for v in x_leaves)
        f_closed = self.f_closed

        def column(c, x, e):
            zeros = tree.map(wnp.zeros_like, c)
            u = _unravel_like(e, x_leaves, x_tree)
            return _ravel(tree.leaves(jvp(f_closed, (c, x), (zeros, u))[1]))

        eye = np.eye(n, dtype=_leaf_dtype(x_leaves))
        return wnp.swapaxes(vmap(column, in_axes=(None, None, 0))(self.c, self.x, eye), 0, 1)


def _checked_solution(out, guess, has_aux):
    if has_aux:
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise WireError("custom_root(has_aux=True): solve must return (root, aux)"
                            + at(user_location()))
        x, aux = out
        _same_structure("custom_root: solve", x, guess)
        return x, tree.map(wnp.stop_gradient, aux)
    _same_structure("custom_root: solve", out, guess)
    return out


# --------------------------------------------------------------------------- fixed_point


def _ravel(leaves):
    return wnp.concatenate([wnp.reshape(v, (-1,)) for v in leaves]) if len(leaves) > 1 \
        else wnp.reshape(leaves[0], (-1,))


def _unravel_like(flat, like_leaves, like_tree):
    out, off = [], 0
    for v in like_leaves:
        shape = tuple(wnp.shape(v))
        n = int(np.prod(shape, dtype=np.int64))
        out.append(wnp.reshape(flat[off:off + n], shape))
        off += n
    return tree.unflatten(like_tree, out)


def _leaf_dtype(leaves):
    dt = np.result_type(*[v.dtype if isinstance(v, Tracer) else np.asarray(v).dtype
                          for v in leaves])
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def dense_tangent_solve(g: Callable, y):
    """Solve the linear system ``g(x) = y`` (pytrees) by forming ``g``'s matrix and one
    dense ``solve``: exact, transposable, O(n³) for n unknowns. The ``tangent_solve`` that
    ``fixed_point`` uses; pass it to ``custom_root`` for vector-valued roots.

    >>> import numpy as np
    >>> dense_tangent_solve(lambda x: 2.0 * x, np.array([2.0, 4.0]))
    array([1., 2.])
    """
    y_leaves, y_tree = tree.flatten(y)
    y_flat = _ravel(y_leaves)
    n = wnp.shape(y_flat)[0]
    if n == 1 and len(y_leaves) == 1:
        one = wnp.ones_like(y_leaves[0])
        return tree.unflatten(y_tree, [y_leaves[0] / g(tree.unflatten(y_tree, [one]))])
    if isinstance(g, Linearized):
        matrix = g.matrix()
    else:  # a plain linear function: apply it to the unit vectors
        eye = np.eye(n, dtype=_leaf_dtype(y_leaves))
        matrix = wnp.stack([_ravel(tree.leaves(g(_unravel_like(eye[k], y_leaves, y_tree))))
                            for k in range(n)], axis=1)
    return _unravel_like(wnp.linalg.solve(matrix, y_flat), y_leaves, y_tree)


def _default_tol(leaves) -> float:
    dts = [v.dtype if isinstance(v, Tracer) else np.asarray(v).dtype for v in leaves]
    dt = np.result_type(*dts)
    dt = dt if dt.kind in "fc" else np.dtype(np.float64)
    return 4.0 * float(np.finfo(dt).eps)


def fixed_point(f: Callable, x0, *params, tol: float | None = None, max_iter: int = 1000):
    """The ``x`` with ``x = f(x, *params)``, found by iterating ``x ← f(x, *params)`` from
    ``x0`` until the error, estimated from the steps, is below ``tol`` (relative to each
    component's size, at least 1; by default a few ulps, estimated from the observed rate of
    convergence), differentiated in ``params`` (and in anything ``f``
    closes over) by the implicit function theorem: ``dx = (I - ∂ₓf)⁻¹ ∂_θ f dθ``, one dense
    linear solve at the fixed point.

    ``x0`` and the result may be pytrees. The iteration converges when ``f`` is a
    contraction near the fixed point; after ``max_iter`` steps without convergence the
    result is NaN (and, when every input is concrete, a ``WireError`` says so). Works under
    ``jit`` and ``vmap``; ``grad(grad(...))`` differentiates the formula again.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> # the fixed point of x = a cos x, and its derivative in a
    >>> round(float(wire.fixed_point(lambda x, a: a * wnp.cos(x), 0.0, 1.0)), 14)
    0.73908513321516
    """
    if tol is None:
        tol = _default_tol(tree.leaves(x0))
    x0 = tree.map(lambda v: v if isinstance(v, Tracer) else np.asarray(v, dtype=float)
                  if np.asarray(v).dtype.kind not in "fc" else np.asarray(v), x0)

    def residual(x):
        return tree.map(lambda a, b: a - b, f(x, *params), x)

    def solve(g, guess):
        return _iterate(lambda x: tree.map(lambda a, b: a + b, g(x), x), guess, tol, max_iter)

    out = custom_root(residual, x0, solve, dense_tangent_solve)
    leaves = tree.leaves(out)
    if not any(isinstance(v, Tracer) for v in leaves) and any(
            np.isnan(np.asarray(v)).any() for v in leaves) and not any(
            np.isnan(np.asarray(v)).any() for v in tree.leaves(x0)):
        raise WireError(
            f"fixed_point: no convergence to tol={tol:g} within max_iter={max_iter} "
            "iterations (or f returned NaN); is f a contraction near the fixed point? Raise "
            f"max_iter or tol, or start closer{at(user_location())}")
    return out


def _iterate(step, x0, tol, max_iter):
    """``x ← step(x)`` until the error estimate ``d q / (1 - q)`` is below ``tol`` (``d`` the
    last relative step, ``q`` the observed contraction ratio of steps), or the steps stop
    shrinking at rounding level; NaN if neither happens within ``max_iter`` steps."""
    floor = float(np.sqrt(tol))  # steps this small that no longer shrink are rounding noise

    def moved(x, y):
        return wnp.max(wnp.stack([
            wnp.max(wnp.abs(a - b) / wnp.maximum(1.0, wnp.abs(a))).astype(np.float64)
            for a, b in zip(tree.leaves(y), tree.leaves(x))
        ]))

    def converged(d, d_prev):
        known = wnp.isfinite(d_prev) & (d_prev > 0)  # a ratio needs two finite steps
        q = wnp.where(known, d / wnp.where(known, d_prev, 1.0), np.inf)
        estimate = wnp.where(q < 1.0, d * q / wnp.where(q < 1.0, 1.0 - q, 1.0), np.inf)
        return (d == 0) | (estimate <= tol) | ((q >= 1.0) & (d <= floor))

    def cond(carry):
        k, _, d, d_prev = carry
        return (k < max_iter) & ~converged(d, d_prev)

    def body(carry):
        k, x, d, _ = carry
        y = step(x)
        return k + 1, y, moved(x, y), d

    inf = np.float64(np.inf)
    _, x, d, d_prev = while_loop(cond, body, (np.int64(0), x0, inf, inf))
    ok = converged(d, d_prev)
    return tree.map(lambda v: wnp.where(ok, v, np.nan), x)
