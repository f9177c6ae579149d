"""Differential test of linear algebra against NumPy/SciPy and JAX (float64) on special inputs.

Random matrices are invertible, distinct-eigenvalued and finite; real programs are not. Every
function of ``wire.numpy.linalg`` and ``wire.scipy.linalg`` with a JAX counterpart runs (as a
*program*: the function, then the quantities it determines uniquely, such as ``V diag(w) Vᵀ``
for ``eigh``, not the sign of each eigenvector) on the matrices of ``INPUTS``: empty, 1×1, 2×2
and 3×3, rank-deficient, zero, with ±inf and NaN entries, symmetric with a repeated
eigenvalue, the identity, diagonal with ±0.0 (invertible and singular), nearly singular
(a 1e-300 pivot), a stack of two, and float32. For each:

* where NumPy/SciPy raise ``LinAlgError``, eager wire does (it calls them) and traced wire
  (``jit``, ``grad``) raises ``wire.WireLinAlgError``, never a value;
* the eager value is NumPy's (SciPy's) within rounding; ``wire.jit`` gives the eager value to
  the bit, ``vmap`` over a stack the eager stack, and ``jit(grad)`` the gradient;
* ``grad`` of a weighted sum of the program's outputs and ``jvp`` along a fixed direction
  are JAX's, except where :func:`triage` names the reason: a convention docs/linalg.md
  documents (NaN where tied eigenvectors are used, ``slogdet`` of a singular matrix), a NaN
  or infinite input, or a JAX result checked to be wrong (``JAX_WRONG``, with the true value).

CI runs every program on a sample of the inputs (``CI_INPUTS``), and compares the derivatives
of the programs of ``CORE`` with JAX's (JAX compiles each program, about a second apiece);
``-m slow`` runs every program on every input against JAX (several minutes).
``python tests/test_differential_jax_linalg.py [names]`` prints the counts by class and each
unexplained difference.
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest
from selection import slow_selected

jax = pytest.importorskip("jax")
sl = pytest.importorskip("scipy.linalg")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402
from oracles import DifferenceReport, exact_difference  # noqa: E402

import wire  # noqa: E402
import wire.numpy as wnp  # noqa: E402
import wire.scipy.linalg as wsl  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

inf, nan = math.inf, math.nan
LinAlgError = np.linalg.LinAlgError

# --------------------------------------------------------------------------- inputs

_A3 = np.array([[4.0, 1.0, -2.0], [2.0, 3.0, 1.0], [-1.0, 0.5, 5.0]])
_SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])


def _with(a, i, j, v):
    a = a.copy()
    a[i, j] = v
    return a


# infinities off [0, 0]: LAPACK's SVD of a 3x3 with inf at [0, 0] does not return (NumPy's, JAX's)
INPUTS = {
    "0x0": np.zeros((0, 0)),
    "1x1": np.array([[2.0]]),
    "2x2": np.array([[4.0, 1.0], [2.0, 3.0]]),
    "3x3": _A3,
    "spd": _SPD,
    "rank2": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
    "zero": np.zeros((3, 3)),
    "inf": _with(_SPD, 0, 1, inf),       # in the upper triangle: eigh/cholesky do not read it
    "-inf": _with(_SPD, 1, 1, -inf),
    "nan": _with(_SPD, 2, 0, nan),
    "ties": np.array([[2.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 2.0]]),   # eigenvalues 1, 1, 4
    "eye": np.eye(3),
    "diag±0": np.array([[1.0, -0.0, 0.0], [0.0, 2.0, -0.0], [-0.0, -0.0, 3.0]]),
    "diag0": np.array([[2.0, 0.0, 0.0], [0.0, -0.0, 0.0], [0.0, 0.0, 0.0]]),
    "tiny": np.array([[1e-300, 0.0, 0.0], [0.0, 1.0, 0.5], [0.0, 0.5, 2.0]]),
    "batch": np.stack([_A3, _SPD]),
    "f32": _SPD.astype(np.float32),
}
# JAX's derivatives in CI: one compiled function per program for these (all 3x3 float64)
# ("3x3" and "tiny" run with -m slow: "rank2", "ties" and "diag0" are 3x3 matrices too)
CI_JAX_INPUTS = ("rank2", "ties", "diag0")
CI_INPUTS = ("0x0", "rank2", "inf", "nan", "ties", "diag0", "batch", "f32")


def _weights(shape, dtype):
    """Fixed weights of ``shape`` (no two equal, none zero) for a scalar summary."""
    n = math.prod(shape)
    return (np.cos(np.arange(n) + 1.0) + 1.5).reshape(shape).astype(dtype)


def _direction(a):
    return _weights(a.shape, a.dtype)[..., ::-1, :].copy()


# --------------------------------------------------------------------------- programs


class NS:
    """One library's names: ``np``, ``la`` (numpy.linalg) and ``sl`` (scipy.linalg)."""

    def __init__(self, name, np_, la, sla):
        self.name, self.np, self.la, self.sl = name, np_, la, sla


N = NS("numpy", np, np.linalg, sl)
W = NS("wire", wnp, wnp.linalg, wsl)
J = NS("jax", jnp, jnp.linalg, jsl)


def _b(M, a):
    """A right-hand side for ``a``: (..., n, 2)."""
    n = a.shape[-1]
    return M.np.asarray(_weights(a.shape[:-1] + (2,), a.dtype))


def _recon(M, v, w):
    """``V diag(w) Vᴴ``: determined by the matrix even where the eigenvectors are not."""
    return (v * w[..., None, :]) @ M.np.swapaxes(M.np.conj(v), -1, -2)


def _svd_parts(M, r):
    u, s, vh = r
    return s, (u * s[..., None, :]) @ vh, (u * (s ** 2)[..., None, :]) @ vh


def _sym(M, a):
    """The symmetric matrix of ``a``'s lower triangle. NumPy and wire read one triangle of the
    input of ``eigh``/``cholesky``; JAX symmetrizes ``(a + aᵀ) / 2``: on a symmetric input (and
    along symmetric tangents) they agree, and these are the derivatives compared."""
    return M.np.tril(a) + M.np.swapaxes(M.np.tril(a, -1), -1, -2)


def _cho_solve(M, a):
    c = M.np.tril(a) + M.np.eye(a.shape[-1], dtype=a.dtype)
    return (M.sl.cho_solve((c, True), _b(M, a)),)


# name -> (program (M, a) -> tuple of outputs, square only, real input needed, 2-D only)
PROGRAMS = {
    "det": lambda M, a: (M.la.det(a),),
    "slogdet": lambda M, a: tuple(M.la.slogdet(a)),
    "inv": lambda M, a: (M.la.inv(a),),
    "solve": lambda M, a: (M.la.solve(a, _b(M, a)),),
    "cholesky": lambda M, a: (M.la.cholesky(_sym(M, a)),),
    "eigh": lambda M, a: (lambda r: (r[0], _recon(M, r[1], r[0])))(M.la.eigh(_sym(M, a))),
    "eigh.v": lambda M, a: (lambda r: (_recon(M, r[1], r[0] ** 3),))(M.la.eigh(_sym(M, a))),
    "eigvalsh": lambda M, a: (M.la.eigvalsh(_sym(M, a)),),
    "svd": lambda M, a: _svd_parts(M, M.la.svd(a, full_matrices=False)),
    "svdvals": lambda M, a: (M.la.svd(a, compute_uv=False),),
    "qr": lambda M, a: tuple(M.la.qr(a)),
    "pinv": lambda M, a: (M.la.pinv(a),),
    "matrix_rank": lambda M, a: (M.la.matrix_rank(a),),
    "lstsq": lambda M, a: (lambda r: (r[0], r[2], r[3]))(M.la.lstsq(a, _b(M, a))),
    "cond": lambda M, a: (M.la.cond(a),),
    "trace": lambda M, a: (M.np.trace(a, axis1=-2, axis2=-1),),
    "multi_dot": lambda M, a: (M.la.multi_dot([a, a.T, a]),),
    "eigvals": lambda M, a: (M.np.sort(M.np.real(M.la.eigvals(a))),),
    **{f"norm[{o}]": (lambda o: lambda M, a: (M.la.norm(a, o, axis=(-2, -1)),))(o)
       for o in (None, "fro", "nuc", 1, -1, 2, -2, inf, -inf)},
    **{f"vector_norm[{o}]": (lambda o: lambda M, a: (M.la.norm(a, o, axis=-1),))(o)
       for o in (None, 0, 1, 2, 3, 0.5, -1, inf, -inf)},
    **{f"matrix_power[{k}]": (lambda k: lambda M, a: (M.la.matrix_power(a, k),))(k)
       for k in (0, 1, 2, 3, -1, -2)},
    "sl.det": lambda M, a: (M.sl.det(a),),
    "sl.inv": lambda M, a: (M.sl.inv(a),),
    "sl.solve": lambda M, a: (M.sl.solve(a, _b(M, a)),),
    "sl.solve[pos]": lambda M, a: (M.sl.solve(_sym(M, a), _b(M, a), assume_a="pos"),),
    "sl.cholesky": lambda M, a: (M.sl.cholesky(_sym(M, a), lower=True),),
    "sl.eigh": lambda M, a: (lambda r: (r[0], _recon(M, r[1], r[0])))(M.sl.eigh(_sym(M, a))),
    "sl.svd": lambda M, a: _svd_parts(M, M.sl.svd(a, full_matrices=False)),
    "sl.qr": lambda M, a: tuple(M.sl.qr(a)),
    "sl.lu": lambda M, a: tuple(M.sl.lu(a)),
    "sl.lu_solve": lambda M, a: (M.sl.lu_solve(M.sl.lu_factor(a), _b(M, a)),),
    "sl.solve_triangular[lower]": lambda M, a: (M.sl.solve_triangular(a, _b(M, a), lower=True),),
    "sl.solve_triangular[upper]": lambda M, a: (M.sl.solve_triangular(a, _b(M, a)),),
    "sl.cho_solve": _cho_solve,
    "sl.expm": lambda M, a: (M.sl.expm(a),),
    "sl.sqrtm": lambda M, a: (M.sl.sqrtm(a),),
    "sl.polar": lambda M, a: tuple(M.sl.polar(a)),
    "sl.expm_frechet": lambda M, a: tuple(M.sl.expm_frechet(a, M.np.ones_like(a))),
    "sl.solve_sylvester": lambda M, a: (M.sl.solve_sylvester(a, a.T + 2 * M.np.eye(
        a.shape[-1], dtype=a.dtype), M.np.ones_like(a)),),
    "sl.eigh_tridiagonal": lambda M, a: (M.sl.eigh_tridiagonal(
        M.np.diagonal(a), M.np.diagonal(a, 1), eigvals_only=True),),
    "sl.block_diag": lambda M, a: (M.sl.block_diag(a, a[:1, :1]),),
    "sl.toeplitz": lambda M, a: (M.sl.toeplitz(a[0], a[:, 0]),),
    "sl.hankel": lambda M, a: (M.sl.hankel(a[0], a[:, -1]),),
    "sl.circulant": lambda M, a: (M.sl.circulant(a[0]),),
    "sl.companion": lambda M, a: (M.sl.companion(a[0]),),
    "tensorinv": lambda M, a: (M.la.tensorinv(a, ind=1),),
    "eig.values": lambda M, a: (M.np.real(M.np.sum(M.la.eigvals(a) ** 2)),),
}
# programs of one matrix only (no stacks): NumPy/SciPy take no stack there, or JAX does not
NO_STACK = {"multi_dot", "sl.det", "sl.inv", "sl.solve", "sl.solve[pos]", "sl.cholesky",
            "sl.eigh", "sl.svd", "sl.qr", "sl.lu", "sl.lu_solve", "sl.solve_triangular[lower]",
            "sl.solve_triangular[upper]", "sl.cho_solve", "sl.expm", "sl.sqrtm", "sl.polar",
            "trace", "sl.expm_frechet", "sl.solve_sylvester", "sl.eigh_tridiagonal",
            "sl.block_diag", "sl.toeplitz", "sl.hankel", "sl.circulant", "sl.companion",
            "tensorinv"}
# traced, a composition of primitives whose last bits differ from the eager call (SciPy's
# own drivers, NumPy's lstsq/cond through its gesdd): within rounding of it
COMPOSED = {p for p in PROGRAMS if p.startswith("sl.")} | {
    "cond", "lstsq", "norm[2]", "norm[-2]", "svdvals"}
# compared with JAX's derivatives in CI too (the others with -m slow)
CORE = {"det", "slogdet", "inv", "cholesky", "eigh", "svd", "qr", "norm[1]",
        "vector_norm[-1]"}
# no derivative (integer results), or the value only
NO_DERIVATIVE = {"matrix_rank"}
# uses the eigenvectors (or singular vectors) of a tied cluster: docs/linalg.md gives NaN
USES_VECTORS = {"eigh", "eigh.v", "sl.eigh", "svd", "sl.svd", "sl.sqrtm", "sl.polar"}
# functions of SVD: NaN for an inf entry in wire (docs/linalg.md), NumPy's LAPACK differs
SVD_BASED = {"svd", "sl.svd", "svdvals", "pinv", "matrix_rank", "lstsq", "cond", "norm[nuc]",
             "norm[2]", "norm[-2]", "sl.polar"}


# --------------------------------------------------------------------------- comparing


def _run(f, *a):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return f(*a), None
    except Exception as e:  # noqa: BLE001  compared: either both raise or neither does
        return None, e


def _leaves(r):
    return [np.asarray(x) for x in r]


def _normwise(got, want, tol):
    """``|got - want| <= tol * max|want|`` entrywise over finite entries; NaN and infinities
    (and their signs) in the same places."""
    got, want = np.asarray(got, np.complex128), np.asarray(want, np.complex128)
    if got.shape != want.shape:
        return False
    fw, fg = np.isfinite(want), np.isfinite(got)
    if (fw != fg).any() or (np.isnan(want) != np.isnan(got)).any():
        return False
    if (want[np.isinf(want)] != got[np.isinf(got)]).any():
        return False
    if not fw.any():
        return True
    scale = float(np.max(np.abs(want[fw]), initial=0.0))
    return bool(np.all(np.abs(got[fw] - want[fw]) <= tol * scale + 1e-300))


def _tol(a):
    return 1e-4 if a.dtype == np.float32 else 1e-9


# wire differences outside linear algebra, reported: check -> what
KNOWN = {
    "jit(jvp) eig.values at batch": "the compiled sum of the (2, 3) complex tangents differs "
    "1 ulp apart from the eager one (70.75117720001892 vs ...893); the tangents agree",
}

# --------------------------------------------------------------------------- triage

# JAX results checked to be wrong (finite differences, or the exact value in the reason):
# program -> (rule(input name, wire, jax), reason); the regression tests below check wire's
JAX_WRONG = {
    "slogdet": (lambda k, w, j: k == "rank2",
                "log|det| at a singular matrix: adj(a)ᵀ / 0, ±inf wherever a cofactor is "
                "non-zero (every one of [[1..9]]); JAX NaN in a row"),
    "sl.lu": (lambda k, w, j: k == "rank2",
              "a zero last pivot divides nothing: L and U have derivatives (finite "
              "differences agree with wire's); JAX NaN"),
    "qr": (lambda k, w, j: k == "rank2",
           "a square matrix whose only zero pivot is the last: q's last column is the unit "
           "vector orthogonal to the others, smooth (finite differences agree with wire's, "
           "tests/test_qr_rank_deficient.py); JAX's q derivative cancels the 1e16-sized last "
           "column of da r⁻¹ (dq[0, 2] 1.78125 for 1.69996)"),
    "lstsq": (lambda k, w, j: k in ("ties", "eye") and not np.isfinite(j).all(),
              "lstsq of an invertible matrix is solve: -a⁻¹ da x, finite; JAX's SVD rule "
              "gives NaN/inf at its tied singular values"),
    "sl.lu_solve": (lambda k, w, j: k == "rank2" and np.isnan(j).all(),
                    "singular to working precision: SciPy's LU has u33 = 0 (inf/NaN "
                    "solution), wire's traced elimination u33 = 1e-16 (a solution of 1e16)"),
}
JAX_WRONG["sl.qr"] = JAX_WRONG["qr"]
for _p in [p for p in PROGRAMS if "norm[" in p and p.split("[")[1] in ("2]", "None]", "fro]",
                                                                    "3]")]:
    JAX_WRONG[_p] = (lambda k, w, j: k in ("zero", "diag0", "tiny", "0x0")
                     and not np.isfinite(j).all(),
                     "the 2-norm (p > 1) of a zero row: gradient 0 (documented), of a tiny one "
                     "x / ‖x‖ computed from x / max|x|; JAX 0/0 or an underflowed ‖x‖: "
                     "NaN/inf; of an empty matrix: no entries, tangent 0")

TIED = ("ties", "eye", "zero", "rank2", "diag0", "diag±0")


def triage(prog, key, a, w, j) -> str | None:
    """The class of a difference between wire's derivative ``w`` and JAX's ``j`` of ``prog``
    at the input ``key``, or None if it is unexplained (a wire bug until shown otherwise)."""
    if not np.isfinite(a).all():
        return "nan or inf in: the derivative is not defined"
    if prog in JAX_WRONG and JAX_WRONG[prog][0](key, w, j):
        return "jax wrong: " + JAX_WRONG[prog][1]
    if prog in USES_VECTORS and key in TIED and np.isnan(w).any():
        return "convention: tied eigenvectors (singular vectors) used: NaN"
    if "norm[" in prog and (key in TIED or key in ("tiny", "0x0")):
        return ("convention: a norm's kink (docs/linalg.md): abs'(0) = 0 (JAX 1), a tie in "
                "max/min or of singular values split evenly, p < 1 NaN at 0")
    if prog in ("qr", "sl.qr") and key in ("rank2", "tiny", "diag0") and np.isnan(w).any():
        return ("documented: QR from the first pivot that is zero to working precision on: "
                "rounding noise, NaN derivatives (JAX differentiates the noise)")
    if prog == "sl.lu" and key in ("zero", "diag0") and np.isnan(w).any():
        return "a zero pivot with rows below it: no derivative, NaN (JAX NaN too, elsewhere)"
    if prog in ("lstsq", "pinv") and key in ("zero", "diag0", "rank2"):
        return ("documented: lstsq/pinv where a perturbation changes the rank: the "
                "derivative along rank-preserving directions (Golub-Pereyra); JAX NaN")
    if prog == "cond" and key in TIED and np.isnan(w).all():
        return "documented: cond is inf at a singular matrix, its derivative NaN"
    if prog == "cond" and key in ("ties", "eye"):
        return ("convention: tied extreme singular values: a subgradient along LAPACK's "
                "basis (0 at the identity, cond's minimum)")
    if key == "tiny" and (not np.isfinite(j).all() or not np.isfinite(w).all()
                          or np.nanmax(np.abs(np.asarray(w, complex)), initial=0) > 1e280):
        return ("overflow: derivatives of size 1e600 through a 1e-300 pivot (wire ±inf, JAX "
                "NaN)")
    return None


# --------------------------------------------------------------------------- the check


def _applies(prog, a):
    return not (a.ndim > 2 and prog in NO_STACK)


def _leaf_summary(M, f, i):
    """The weighted sum of output ``i`` of ``f``: a scalar whose gradient JAX's is compared
    with (one per output, so that a NaN in one does not hide the others)."""
    def s(a):
        x = f(M, a)[i]
        return M.np.sum(M.np.asarray(_weights(x.shape, x.dtype)) * x)
    return s


def _float_outputs(r):
    return [i for i, x in enumerate(_leaves(r)) if x.dtype.kind == "f"]


def jax_derivatives(prog, keys):
    """JAX's gradients (one per float output) and ``jvp`` tangents of ``prog`` at each input
    of ``keys``: one compiled, vmapped function per shape and dtype (JAX compiles each)."""
    f = PROGRAMS[prog]
    groups = {}
    for k in keys:
        a = INPUTS[k]
        if _applies(prog, a):
            groups.setdefault((a.shape, a.dtype.str), []).append(k)
    out = {}
    for ks in groups.values():
        stack = np.stack([INPUTS[k] for k in ks])
        dirs = np.stack([_direction(INPUTS[k]) for k in ks])
        first, e = _run(lambda a: f(N, a), INPUTS[ks[0]])
        nout = len(_leaves(first)) if e is None else None
        if nout is None:  # NumPy refuses this shape: count the outputs on the identity
            nout = len(_leaves(_run(lambda a: f(N, a), np.eye(3))[0] or ()))
        floats = [i for i, x in enumerate(_leaves(_run(lambda a: f(W, a), np.eye(3))[0]))
                  if x.dtype.kind == "f"]

        def one(a, d):
            gs = tuple(jax.grad(_leaf_summary(J, f, i))(a) for i in floats)
            return gs, jax.jvp(lambda a: f(J, a), (a,), (d,))[1]

        r, e = _run(jax.jit(jax.vmap(one)), stack, dirs)
        for n, k in enumerate(ks):
            out[k] = (None, e) if e is not None else (
                ({i: np.asarray(g[n]) for i, g in zip(floats, r[0])},
                 [np.asarray(t[n]) for t in r[1]]), None)
    return out


def check(prog, key, rep: DifferenceReport, jax_results=None):
    a = INPUTS[key]
    f = PROGRAMS[prog]
    if not _applies(prog, a):
        return
    label = f"{prog} at {key}"
    want, e_ref = _run(lambda a: f(N, a), a)
    val, e = _run(lambda a: f(W, a), a)
    traced, e_t = _run(wire.jit(lambda a: f(W, a)), a)
    if e_ref is not None:
        rep.compared += 1
        if isinstance(e_ref, LinAlgError):
            if not isinstance(e, LinAlgError):
                rep.differ(label, None, f"NumPy raised {e_ref!r:.100}, eager wire {e!r:.100}")
            if not (isinstance(e_t, LinAlgError) and isinstance(e_t, wire.WireError)):
                nan_out = e_t is None and np.isnan(_leaves(traced)[0]).all()
                documented = (
                    "documented: traced lstsq of a matrix with ±inf is NaN (NumPy: "
                    "LinAlgError)" if prog == "lstsq" and np.isinf(a).any() and nan_out
                    else "documented: under jit non-finite input is not checked, NaN flows "
                    "through (SciPy: LinAlgError)" if prog.startswith("sl.") and nan_out
                    and not np.isfinite(a).all() else None)
                rep.differ(label, documented,
                           f"NumPy raised {e_ref!r:.100}, jit {e_t!r:.100} "
                           f"{'' if e_t else _leaves(traced)}")
                return
            if prog not in NO_DERIVATIVE:
                eg = _run(wire.grad(_leaf_summary(W, f, 0)), a)[1]
                if not isinstance(eg, LinAlgError):
                    rep.differ(label, None, f"grad did not raise LinAlgError: {eg!r:.100}")
                elif not isinstance(eg, wire.WireLinAlgError):
                    rep.differ(label, "wire (compiled eager graph): NumPy's LinAlgError, "
                               "not WireLinAlgError", "")
            return
        if e is None or e_t is None:  # the reference refused the input (a shape, a dtype)
            rep.differ(label, "reference refused", f"{e_ref!r:.100}")
        return
    if e is not None or e_t is not None:
        stricter = (e is None and isinstance(e_t, wire.WireLinAlgError)
                    and not np.isfinite(_leaves(want)[0]).all())
        rep.differ(label, "wire stricter: WireLinAlgError where SciPy warns and returns "
                   "inf/NaN" if stricter else None,
                   f"wire raised {e!r:.200} / jit {e_t!r:.200}, NumPy did not")
        return
    # the value: NumPy's, within rounding where wire's own composition computes it
    for i, (w, v) in enumerate(zip(_leaves(want), _leaves(val))):
        rep.compared += max(w.size, 1)
        if exact_difference(w, v) is None:
            continue
        if w.dtype != v.dtype or w.shape != v.shape:
            rep.differ(f"value {label} [{i}]", None, exact_difference(w, v))
        elif _normwise(v, w, _tol(a)):
            rep.classes["value within rounding of NumPy/SciPy"] += 1
        else:
            doc = prog in SVD_BASED and np.isinf(a).any() and np.isnan(v).all()
            rep.differ(f"value {label} [{i}]", "documented: a 3x3 with ±inf never reaches "
                       "LAPACK's SVD: NaN" if doc else None, f"NumPy {w!r}, wire {v!r}")
    # traced, a composition may differ in the last bits from the eager NumPy/SciPy call: then
    # jit, vmap and jvp must give the traced value to the bit
    ref = val
    if prog in COMPOSED and any(exact_difference(x, y) for x, y in
                                zip(_leaves(val), _leaves(traced))):
        ok = all(x.dtype == y.dtype and _normwise(y, x, _tol(a))
                 for x, y in zip(_leaves(val), _leaves(traced)))
        cls = "composed: the traced value within rounding of the eager (NumPy's/SciPy's)"
        if not ok and key == "rank2" and prog in ("sl.lu_solve", "sl.solve", "sl.inv"):
            cls = ("singular to working precision: SciPy's LU has u33 = 0 (inf/NaN), wire's "
                   "traced elimination 1e-16 (1e16): both rounding noise")
        elif not ok and prog == "sl.sqrtm" and np.iscomplexobj(_leaves(val)[0]) \
                and np.isnan(_leaves(traced)[0]).all():
            cls = ("documented: traced sqrtm of a matrix with a negative eigenvalue is NaN "
                   "(SciPy's is complex)")
        elif not ok:
            cls = None
        rep.differ(f"jit {label}", cls, f"{_leaves(val)} {_leaves(traced)}")
        ref = wire.evaluate(wire.trace(lambda a: f(W, a), a), a)
    rep.bit(f"jit {label}", ref, traced)
    if a.ndim > 2:
        rep.bit(f"vmap {label}", [np.stack(x) for x in zip(*[_leaves(wire.jit(
            lambda m: f(W, m))(m)) for m in a])], wire.vmap(lambda m: f(W, m))(a))
    if prog in NO_DERIVATIVE:
        return
    _derivatives(prog, key, a, f, rep, label, (jax_results or {}).get(key), ref)


def _derivatives(prog, key, a, f, rep, label, jr, ref):
    jr, ej = jr if jr is not None else (None, None)
    if ej is not None:
        rep.classes["jax: raised"] += 1
    for i in _float_outputs(f(W, a)):
        ws = _leaf_summary(W, f, i)
        gw, e = _run(wire.grad(ws), a)
        if e is not None:
            rep.differ(f"grad[{i}] {label}", None, f"wire raised {e!r:.300}")
            continue
        rep.bit(f"jit(grad) {label}", [gw], [wire.jit(wire.grad(ws))(a)])
        if a.ndim > 2 and i == 0:
            rep.bit(f"vmap(grad) {label}", [np.stack([wire.grad(ws)(m) for m in a])],
                    [wire.vmap(wire.grad(ws))(a)])
        if jr is not None:
            _compare(prog, key, a, f"grad[{i}] {label}", gw, jr[0][i], rep)
    d = _direction(a)
    r, e = _run(lambda a: wire.jvp(lambda a: f(W, a), (a,), (d,)), a)
    if e is not None:
        rep.differ(f"jvp {label}", None, f"wire raised {e!r:.300}")
        return
    pw, tw = r
    rep.bit(f"jvp-value {label}", _leaves(ref), pw)
    rep.bit(f"jit(jvp) {label}", tw,
            wire.jit(lambda a: wire.jvp(lambda a: f(W, a), (a,), (d,))[1])(a))
    if jr is None:
        return
    for i, (x, y) in enumerate(zip(_leaves(tw), jr[1])):
        if x.dtype.kind in "fc":
            _compare(prog, key, a, f"jvp[{i}] {label}", x, y, rep)


def _compare(prog, key, a, what, w, j, rep):
    w, j = np.asarray(w), np.asarray(j)
    rep.compared += max(w.size, 1)
    if w.shape != j.shape:
        rep.differ(what, None, f"shape {w.shape}, JAX {j.shape}")
        return
    if _normwise(w, j, 1e-3 if a.dtype == np.float32 else 1e-7):
        return
    rep.differ(what, triage(prog, key, a, w, j), f"wire {w!r}, JAX {j!r}")


def run_program(prog, keys, rep: DifferenceReport, jax_keys=None):
    """Every check of ``prog`` at ``keys``; JAX's derivatives at ``jax_keys`` (all of
    ``keys`` if None)."""
    jax_keys = keys if jax_keys is None else jax_keys
    jr = jax_derivatives(prog, jax_keys) if prog not in NO_DERIVATIVE and jax_keys else {}
    for key in keys:
        check(prog, key, rep, jr)


# --------------------------------------------------------------------------- tests


def test_programs_cover_the_shared_names():
    """Every name of numpy.linalg / scipy.linalg that JAX has is a program here, or listed as
    covered elsewhere (linear, or a constructor of special matrices)."""
    covered = {p.split("[")[0].split(".")[-1] for p in PROGRAMS if not p.startswith("sl.")}
    elsewhere = {"matmul", "tensordot", "outer", "vecdot", "cross", "diagonal",
                 "matrix_transpose", "matrix_norm", "vector_norm", "tensorinv", "tensorsolve",
                 "eig"}
    import jax.numpy.linalg as jla
    shared = {k for k in dir(wnp.linalg) if not k.startswith("_") and hasattr(jla, k)
              and callable(getattr(np.linalg, k, None))
              and not isinstance(getattr(np.linalg, k), type)}
    assert shared - covered - elsewhere == set()


def _assert_clean(rep: DifferenceReport):
    assert not rep.unexplained, "\n".join(rep.unexplained[:30])


@pytest.mark.parametrize("prog", sorted(PROGRAMS))
def test_linalg_matches_numpy_and_itself(prog):
    """Values (NumPy's), errors, jit/vmap/jvp against eager, jit(grad) against grad; JAX's
    derivatives for the programs of ``CORE`` (JAX compiles each program: about a second)."""
    rep = DifferenceReport(KNOWN)
    run_program(prog, CI_INPUTS, rep, CI_JAX_INPUTS if prog in CORE else ())
    _assert_clean(rep)


@pytest.mark.slow
@pytest.mark.parametrize("prog", sorted(PROGRAMS))
def test_linalg_every_input(prog, request):
    if not slow_selected(request.config):
        pytest.skip("every input runs with -m slow (CI runs the sample)")
    rep = DifferenceReport(KNOWN)
    run_program(prog, list(INPUTS), rep)
    _assert_clean(rep)


def main(names):
    rep = DifferenceReport(KNOWN)
    for prog in PROGRAMS:
        if not names or prog in names or prog.split("[")[0] in names:
            n = len(rep.unexplained)
            run_program(prog, list(INPUTS), rep)
            for u in rep.unexplained[n:]:
                print(u[:600], flush=True)
    print("compared", rep.compared)
    for c, n in rep.classes.most_common():
        print(f"{n:6d}  {c}")


if __name__ == "__main__":
    main(sys.argv[1:])


# --------------------------------------------------------------------------- regressions


@pytest.mark.parametrize("a", [INPUTS["rank2"], INPUTS["zero"], INPUTS["diag0"], np.eye(3)])
def test_slogdet_sign_alone_has_derivative_zero(a):
    """The sign of a real determinant is piecewise constant: its derivative is 0 (JAX's too).
    At a singular matrix it was NaN, 0 · adj(a)ᵀ / 0 through log|det|'s rule."""
    def f(a):
        return 2.0 * wnp.linalg.slogdet(a).sign

    for g in (wire.grad(f), wire.jit(wire.grad(f))):
        np.testing.assert_array_equal(g(a), np.zeros((3, 3)))
    np.testing.assert_array_equal(jax.grad(lambda a: 2.0 * jnp.linalg.slogdet(a)[0])(a), 0.0)
    # log|det| keeps its pole: ±inf where a cofactor is non-zero
    g = wire.grad(lambda a: wnp.linalg.slogdet(a).logabsdet)(INPUTS["rank2"])
    assert np.isinf(g).all()


@pytest.mark.parametrize("p", [-1, -2, -0.5])
@pytest.mark.parametrize("x", [[1.0, 0.0, 0.0], [-2.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
def test_negative_order_norm_at_a_zero_entry_has_no_derivative(p, x):
    """``(Σ|xᵢ|ᵖ)^(1/p)`` for p < 0 is 0 wherever an entry is 0, on that whole slice, and
    |t| along it: no derivative, NaN. It was 1 for the other entries ([1, 0, 0], p = -1:
    gradient [1, nan, nan]; the partial derivative there is 0)."""
    x = np.array(x)
    f = lambda x: wnp.linalg.norm(x, p)  # noqa: E731
    assert f(x) == np.linalg.norm(x, p) == 0.0
    assert np.isnan(wire.grad(f)(x)).all()
    assert np.isnan(wire.jit(wire.grad(f))(x)).all()
    assert np.isnan(wire.jvp(f, (x,), (np.ones(3),))[1])
    y = np.array([1.0, 0.5, 2.0])  # elsewhere, JAX's gradient
    np.testing.assert_allclose(wire.grad(f)(y), jax.grad(lambda x: jnp.linalg.norm(x, p))(y),
                               rtol=1e-14)


def test_lu_at_a_zero_pivot_before_the_last_has_no_derivative():
    """At a zero pivot with rows below it, the multipliers of a perturbed matrix are
    e_ij / e_jj and partial pivoting may pick another row: L and U have no derivative past
    it, and wire says NaN (it gave 0 for the multipliers: jvp of L[2, 1] at diag(2, 0, 0)
    was 0, finite differences run off to 6e7). A zero last pivot divides nothing: those
    derivatives exist (finite differences), where JAX gives NaN."""
    d = np.cos(np.arange(9.0)).reshape(3, 3)
    lu = lambda a: wsl.lu(a)[1:]  # noqa: E731
    tl, tu = wire.jvp(lu, (INPUTS["diag0"],), (d,))[1]
    assert np.isnan(tl[2, 1]) and np.isnan(tu[2, 2])
    assert tl[1, 0] == d[1, 0] / 2  # the first column is regular: d a10 / a00
    g = wire.grad(lambda a: wnp.sum(wsl.lu(a)[1]))(np.zeros((3, 3)))
    assert np.isnan(g[1:, 0]).all()
    a = INPUTS["rank2"]  # only the last pivot is zero
    tl, tu = wire.jvp(lu, (a,), (d,))[1]
    h = 1e-7
    fl, fu = [(x - y) / (2 * h) for x, y in zip(sl.lu(a + h * d)[1:], sl.lu(a - h * d)[1:])]
    np.testing.assert_allclose(tl, fl, atol=1e-6)
    np.testing.assert_allclose(tu, fu, atol=1e-6)
    for dt in (np.float32, np.complex64):  # the NaN scale keeps the tangent's dtype
        a = INPUTS["3x3"].astype(dt)
        assert {t.dtype for t in wire.jvp(lu, (a,), (d.astype(dt),))[1]} == {np.dtype(dt)}
    gl = wire.grad(lambda a: wnp.sum(wsl.lu(a)[1] * d))(INPUTS["3x3"])
    np.testing.assert_allclose(gl, jax.grad(lambda a: jnp.sum(jsl.lu(a)[1] * d))(INPUTS["3x3"]),
                               rtol=1e-12, atol=1e-15)


def test_cond_of_a_singular_matrix_with_a_negative_zero_is_inf_traced():
    """Traced svdvals went through LAPACK's SVD with vectors, whose singular values of
    diag(2, -0, 0) are [2, 0, -0]: cond was 2 / -0 = -inf under jit (NumPy: inf), and the
    derivative of cond where it is inf was -inf (s_max / 0²), not NaN as documented."""
    a = INPUTS["diag0"]
    for p in (None, 2, 1, inf, "fro"):
        f = lambda a, p=p: wnp.linalg.cond(a, p)  # noqa: E731
        assert f(a) == wire.jit(f)(a) == np.linalg.cond(a, p) == inf
        assert np.isnan(wire.jvp(f, (a,), (np.ones((3, 3)),))[1])
        assert np.isnan(wire.grad(f)(a)).all()
    s = wire.jit(wnp.linalg.svdvals)(a)
    assert exact_difference(np.linalg.svdvals(a), s) is None  # [2, 0, 0], no -0
    b = np.eye(3) + 0.1  # elsewhere, JAX's derivative
    np.testing.assert_allclose(wire.grad(wnp.linalg.cond)(b), jax.grad(jnp.linalg.cond)(b),
                               rtol=1e-12)


@pytest.mark.parametrize("key", ["3x3", "spd", "rank2", "inf", "batch", "f32"])
def test_traced_eigvalsh_is_numpys_to_the_bit(key):
    """Traced eigvalsh took eigh's eigenvalues, which LAPACK computes with the vectors
    ([1.8800869, 2.39834302, 4.72157008] of ``spd`` differed from NumPy's in the last bits);
    now NumPy's eigvalsh's, with eigh's derivatives."""
    a = INPUTS[key]
    assert exact_difference(np.linalg.eigvalsh(a), wire.jit(wnp.linalg.eigvalsh)(a)) is None
    g = wire.grad(lambda a: wnp.sum(wnp.linalg.eigvalsh(a) * np.arange(1.0, 4.0)))(a)
    gh = wire.grad(lambda a: wnp.sum(wnp.linalg.eigh(a)[0] * np.arange(1.0, 4.0)))(a)
    np.testing.assert_array_equal(g, gh)


@pytest.mark.parametrize("key", ["-inf", "nan"])
def test_traced_eigvalsh_raises_where_numpy_does(key):
    """NumPy's eigvalsh raises LinAlgError for these (its eigh returns NaN for ``-inf``);
    traced eigvalsh returned NaN."""
    a = INPUTS[key]
    with pytest.raises(LinAlgError):
        np.linalg.eigvalsh(a)
    with pytest.raises(wire.WireLinAlgError):
        wire.jit(wnp.linalg.eigvalsh)(a)
    with pytest.raises(wire.WireLinAlgError):
        wire.grad(lambda a: wnp.sum(wnp.linalg.eigvalsh(a)))(a)


def test_grad_of_a_singular_matrix_raises_wire_linalg_error_after_compiling():
    g = wire.grad(lambda a: wnp.sum(wnp.linalg.inv(a)))
    for _ in range(3):
        g(np.eye(3))
    with pytest.raises(wire.WireLinAlgError):
        g(np.zeros((3, 3)))


@pytest.mark.parametrize("key", ["ties", "eye"])
def test_lstsq_of_an_invertible_matrix_with_tied_singular_values_is_solves(key):
    """JAX_WRONG["lstsq"]: at tied singular values JAX's lstsq derivative is NaN/inf; the
    matrix is invertible, so lstsq is solve and its derivative ``-a⁻¹ da x`` (wire's)."""
    a, b = INPUTS[key], _b(N, INPUTS[key])
    w = np.cos(np.arange(6.0)).reshape(3, 2)
    g = wire.grad(lambda a: wnp.sum(wnp.linalg.lstsq(a, b)[0] * w))(a)
    np.testing.assert_allclose(g, wire.grad(lambda a: wnp.sum(wnp.linalg.solve(a, b) * w))(a),
                               rtol=1e-12, atol=1e-14)
    # JAX's: NaN/inf, or (where its SVD splits the tie by rounding, as on some CPUs) finite but
    # wrong (0.2 off at "ties")
    gj = np.asarray(jax.grad(lambda a: jnp.sum(jnp.linalg.lstsq(a, b)[0] * w))(a))
    assert not np.isfinite(gj).all() or not np.allclose(gj, g, rtol=1e-3, atol=1e-3)
