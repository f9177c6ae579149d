"""Differential test against JAX (float64) on special inputs, across transforms.

Random points never land on a tie, a signed zero or an infinity; real programs do. Every
elementwise function of ``wire.numpy`` / ``wire.scipy.special`` that has a ``jax.numpy`` /
``jax.scipy.special`` counterpart of the same name (found from the namespaces: NumPy and SciPy
ufuncs of one or two inputs) runs on the grid ``SPECIAL`` (all pairs of it for binary ones, so
every tie ``x == y`` is there), and a table of reductions runs on rows with ties, NaN and
infinities, in shapes (), (0,), (1,), (3,) and (2, 3). For each:

* the value is NumPy's to the bit (NaN equal to NaN, zeros by sign); SciPy's within 1e-13;
* ``wire.jit``, ``wire.vmap`` and ``wire.jit`` of every derivative give the eager result to
  the bit: a difference there is always a wire bug;
* ``grad`` of the sum, ``jvp``, and ``grad(grad)`` of elementwise functions are JAX's, except
  where :func:`triage` names the reason: a convention wire documents (docs/numpy.md,
  *Conventions where a function has a kink*), a limit where JAX computes ``inf * 0``, JAX
  flushing subnormals to zero on the CPU, or a JAX result checked to be wrong (``JAX_WRONG``).

CI runs values, ``jit``, ``vmap``, ``grad`` and ``jit(grad)`` of every function and ``jvp`` and
``grad(grad)`` of the ones with kinks and ties; ``-m slow`` runs every transform of every
function (several minutes; a plain ``pytest`` skips it). ``python tests/test_differential_jax.py [names]`` prints the counts by class
and each unexplained difference.
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest
from selection import slow_selected

jax = pytest.importorskip("jax")
ssp = pytest.importorskip("scipy.special")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy.special as jsp  # noqa: E402
from oracles import DifferenceReport, exact_difference  # noqa: E402

import wire  # noqa: E402
import wire.numpy as wnp  # noqa: E402
import wire.scipy.special as wsp  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

inf, nan = math.inf, math.nan
SPECIAL = np.array([-inf, -1e308, -2.0, -1.0, -0.5, -0.0, 0.0, 5e-324, 0.5, 1.0, 2.0, 1e308,
                    inf, nan])
SHAPES = [(), (0,), (1,), (3,), (2, 3)]
TINY = np.finfo(np.float64).tiny

# Functions whose derivatives CI checks in every mode (kinks, ties, limits at infinity).
CORE = {"abs", "maximum", "fmin", "hypot", "arctan2", "copysign", "logaddexp", "power",
        "divide", "special.xlogy"}
# Not elementwise on floats, or no float result to compare (integer/bit functions).
SKIP = {"bitwise_and", "bitwise_count", "bitwise_invert", "bitwise_left_shift", "bitwise_not",
        "bitwise_or", "bitwise_right_shift", "bitwise_xor", "gcd", "lcm", "invert", "ldexp",
        "left_shift", "right_shift", "matmul", "vecdot", "vecmat", "matvec",
        # JAX's derivatives of these at the grid's points ran for minutes (over 20)
        "special.gammainc", "special.gammaincc",
        # an integer order n: wire has no derivative in it (NonDifferentiableError), JAX does
        "special.expn"}


# --------------------------------------------------------------------------- discovery


def elementwise_functions():
    """``(name, wire fn, jax fn, reference, nin)`` for every NumPy/SciPy ufunc of one or two
    inputs that wire and JAX both have under that name."""
    out = []
    for prefix, wns, jns, ref in (("", wnp, jnp, np), ("special.", wsp, jsp, ssp)):
        for k in sorted(dir(wns)):
            r = getattr(ref, k, None)
            name = prefix + k
            if (k.startswith("_") or name in SKIP or not hasattr(jns, k)
                    or not isinstance(r, np.ufunc) or r.nin not in (1, 2)):
                continue
            out.append((name, getattr(wns, k), getattr(jns, k), r, r.nin))
    return out


# --------------------------------------------------------------------------- triage

# Documented conventions (docs/numpy.md, "Conventions where a function has a kink", and
# docs/special-values.md): ``rule(x, w, j)`` over the scalar inputs ``x``.
def _tie(x, w, j):
    return x[0] == x[1]


def _x_zero(x, w, j):
    return x[0] == 0


CONVENTIONS = {
    "maximum": (_tie, "a tie: 1/2 to each argument"),
    "minimum": (_tie, "a tie: 1/2 to each argument"),
    "fmax": (_tie, "a tie: 1/2 to each argument"),
    "fmin": (_tie, "a tie: 1/2 to each argument"),
    "abs": (_x_zero, "abs'(0) = 0"), "absolute": (_x_zero, "abs'(0) = 0"),
    "fabs": (_x_zero, "abs'(0) = 0"),
    "copysign": (_x_zero, "copysign(x1, x2) at x1 = 0: derivative 0"),
    "hypot": (lambda x, w, j: (x[0] == 0 and x[1] == 0) or np.isinf(x).any(),
              "hypot at the origin: 0; at an infinite argument: its limit"),
    "power": (_x_zero, "power(0, y): 0 in x where y > 0, 0 in y"),
    "pow": (_x_zero, "power(0, y): 0 in x where y > 0, 0 in y"),
    "float_power": (_x_zero, "power(0, y): 0 in x where y > 0, 0 in y"),
    "logaddexp": (lambda x, w, j: x[0] == x[1] and np.isinf(x[0]), "both the same infinity"),
    "logaddexp2": (lambda x, w, j: x[0] == x[1] and np.isinf(x[0]), "both the same infinity"),
    "arctan2": (lambda x, w, j: np.isinf(x).any(), "an infinite argument: 0 (the limit)"),
    "atan2": (lambda x, w, j: np.isinf(x).any(), "an infinite argument: 0 (the limit)"),
    **{f"special.{k}": (_x_zero, "held at 0 where x = 0")
       for k in ("xlogy", "xlog1py", "entr", "rel_entr", "kl_div")},
}

# JAX results checked by hand to be wrong (the true value in the reason).
JAX_WRONG = {
    "hypot": (lambda x, w, j: abs(x[0]) == abs(x[1]) and np.isfinite(x).all(),
              "at |x| == |y| JAX's second derivatives are 0 (y²/h³ = 0.1768 at (2, 2)) and "
              "its first ones overflow at 1e308 (1.06, not 1/√2)"),
    "logaddexp": (lambda x, w, j: x[0] == x[1] and abs(x[0]) >= 1e308,
                  "logaddexp(x, x) for |x| = 1e308: JAX gives 1 to each argument, not 1/2"),
    "logaddexp2": (lambda x, w, j: (x[0] == x[1] and abs(x[0]) >= 1e308)
                   or (np.isinf(x).any() and w == 0),
                   "logaddexp2: 1 to each argument at a huge tie; beside +inf the other "
                   "argument's derivative is 2**y / inf = 0, JAX gives 2**y"),
    "special.boxcox": (lambda x, w, j: True, "no derivative in lmbda in JAX: "
                       "d/dλ boxcox(2, 0) = log(2)²/2 = 0.2402, JAX 0"),
    "special.boxcox1p": (lambda x, w, j: True, "no derivative in lmbda in JAX"),
    "special.beta": (lambda x, w, j: True, "JAX's second derivatives: d²/da² beta(1, 1) = "
                     "(ψ(1) - ψ(2))² + ψ1(1) - ψ1(2) = 2, JAX 1.18; beta'(0.5, 1e308) "
                     "= -1.26e-151, JAX -2.08e-151"),
    "special.i0": (lambda x, w, j: x[0] == 0, "i0 is even: i0'(0) = i1(0) = 0 and i0''(0) = "
                   "1/2; JAX (i0e(x) e^|x|, |x|' = 1 at 0) gives 1 and 1.5"),
    "special.i1": (lambda x, w, j: x[0] == 0, "i1 is odd: i1''(0) = 0; JAX 1"),
    "special.poch": (lambda x, w, j: x[0] <= 0 and x[0] == math.floor(x[0]) and math.isnan(j),
                     "at a non-positive integer z, poch(z, m) = Γ(z+m)/Γ(z) is a smooth "
                     "limit: d/dz poch(z, 1) = 1, d/dz poch(-2, 2) = 2z + 1 = -3, d/dz "
                     "poch(0, -2) = 3/4; JAX NaN (the poles of Γ)"),
    "special.spence": (lambda x, w, j: x[0] in (0.0, 1.0, 2.0),
                       "spence'(x) = log(x)/(1 - x): -inf at 0, -1 at 1 (the limit), -log 2 "
                       "at 2; spence''(0+) = +inf; JAX 0 or NaN"),
    "special.betaln": (lambda x, w, j: True, "JAX's second derivatives: d²/da² betaln(1, 1) "
                       "= ψ1(1) - ψ1(2) = 1, JAX 0.18; d/da betaln(0.5, 1e308) = ψ(0.5) - "
                       "ψ(1e308) = -711.16, JAX -710.16"),
}


def _value(ref, x):
    with np.errstate(all="ignore"):
        v = ref(*x)
    return float(v[0] if isinstance(v, tuple) else v)


def triage(name, ref, x, w, j) -> str | None:
    """The class of a difference between wire's derivative ``w`` and JAX's ``j`` at the
    scalar inputs ``x``, or None if it is unexplained (a wire bug until shown otherwise)."""
    x = np.array(x, dtype=float)
    v = _value(ref, x) if ref is not None else nan
    if any(0 < abs(t) < TINY for t in x):
        return "jax: flushes subnormals to zero"
    if np.isnan(x).any() and math.isnan(w):
        return "nan in, nan out"
    if math.isnan(v) and (math.isnan(w) or not np.isnan(x).any()):
        return "outside the domain (the value is NaN)"
    if name in CONVENTIONS and CONVENTIONS[name][0](x, w, j):
        return "convention: " + CONVENTIONS[name][1]
    if name in JAX_WRONG and JAX_WRONG[name][0](x, w, j):
        return "jax wrong: " + JAX_WRONG[name][1]
    if math.isnan(j) and not math.isnan(w) and (np.isinf(x).any() or (abs(x) >= 1e308).any()):
        return "jax: inf * 0 or inf - inf where wire takes the limit"
    if math.isinf(v) or (abs(x) >= 1e308).any():
        return "overflow: the value or an input at the float limit"
    return None


def close(w, j, scale=1.0) -> np.ndarray:
    w, j = np.asarray(w, float), np.asarray(j, float)
    with np.errstate(all="ignore"):
        return ((w == j) | (np.isnan(w) & np.isnan(j))
                | (np.abs(w - j) <= 1e-9 * np.abs(j) + 1e-14 * scale))


# --------------------------------------------------------------------------- the checks


class Report(DifferenceReport):
    """:class:`DifferenceReport` with the triage of derivatives against JAX's."""

    def bit(self, what, want, got):
        super().bit(what, [want], [got])

    def deriv(self, name, ref, what, xs, w, j):
        w, j = np.asarray(w, float), np.asarray(j, float)
        self.compared += max(w.size, 1)
        if w.shape != j.shape:
            self.unexplained.append(f"{name} {what}: shape {w.shape} vs JAX {j.shape}")
            return
        with np.errstate(all="ignore"):
            v = np.abs(np.asarray(ref(*xs) if ref else 1.0, float))
        scale = float(np.max(v[np.isfinite(v)], initial=1.0)) if np.size(v) else 1.0
        for k in np.flatnonzero(~close(w, j, scale).ravel()):
            x = tuple(float(np.ravel(np.broadcast_to(a, w.shape))[k]) for a in xs)
            c = triage(name, ref, x, float(w.ravel()[k]), float(j.ravel()[k]))
            self.classes[c or "unexplained"] += 1
            if c is None:
                self.unexplained.append(f"{name} {what} at {x}: wire {w.ravel()[k]!r}, "
                                        f"JAX {j.ravel()[k]!r}")


def _run(f, *a):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return f(*a), None
    except Exception as e:  # noqa: BLE001  compared: either both raise or neither does
        return None, e


def _grid(nin):
    if nin == 1:
        return (SPECIAL.copy(),)
    a, b = np.meshgrid(SPECIAL, SPECIAL, indexing="ij")
    return (a.ravel(), b.ravel())


def check_elementwise(name, wf, jf, ref, nin, full, rep: Report):
    xs = _grid(nin)
    exact = not name.startswith("special.")
    want, e_ref = _run(ref, *xs)
    val, e = _run(wf, *xs)
    if e is not None:
        if e_ref is None:
            rep.unexplained.append(f"{name}: wire raised {e!r:.200}, the reference did not")
        return
    first = (lambda v: v[0]) if isinstance(val, tuple) else (lambda v: v)
    if e_ref is None and exact:
        rep.bit(f"value {name}", first(want), first(val))
    elif e_ref is None:
        rep.compared += first(val).size
        ok = close(first(val), first(want), 0.0) | (np.abs(first(val) - first(want))
                                                    <= 1e-13 * np.abs(first(want)))
        if not ok.all():
            rep.classes["scipy: within 1e-9"] += int((~ok).sum())
    if not exact:  # eager calls SciPy itself; traced, some are compositions within ulps of
        # it (log_ndtr(0.5): ...646 traced, SciPy ...635): jit must be the traced value
        traced = first(wire.evaluate(wire.trace(wf, *xs), *xs))
        if exact_difference(first(val), traced) is not None:
            rep.classes["scipy: traced composition within 1e-13 of SciPy's own"] += 1
        val = traced if not isinstance(val, tuple) else val
    rep.bit(f"jit {name}", first(val), first(wire.jit(wf)(*xs)))
    rep.bit(f"vmap {name}", first(val), first(wire.vmap(wf)(*xs)))
    if isinstance(val, tuple) or val.dtype.kind != "f":
        return
    argnums = tuple(range(nin))

    def ws(*a):
        return wnp.sum(wf(*a))

    def js(*a):
        return jnp.sum(jf(*a))

    gw, e = _run(wire.grad(ws, argnums=argnums), *xs)
    gj, ej = _run(jax.jit(jax.grad(js, argnums=argnums)), *xs)
    if (e is None) != (ej is None):
        if e is not None:  # JAX lacking a rule is not wire's problem
            rep.unexplained.append(f"{name} grad: wire raised {e!r:.200}")
        rep.classes["jax: no derivative rule" if e is None else "wire: raised"] += 1
        return
    if e is not None:
        return
    for i in argnums:
        rep.deriv(name, ref, f"grad{i}", xs, gw[i], gj[i])
    gjit = wire.jit(wire.grad(ws, argnums=argnums))(*xs)
    for i in argnums:
        rep.bit(f"jit(grad) {name} {i}", gw[i], gjit[i])
    for shape in SHAPES if full else ():  # every shape (values from the grid, cycled)
        n = math.prod(shape)
        a = [np.resize(np.roll(SPECIAL, 3 * i + 1), n).reshape(shape) for i in range(nin)]
        v, e = _run(wf, *a)
        if e is not None:
            rep.unexplained.append(f"{name} {shape}: wire raised {e!r:.200}")
            continue
        if exact:
            rep.bit(f"value {name} {shape}", _run(ref, *a)[0], v)
        g = wire.grad(ws, argnums=argnums)(*a)
        for i in argnums:
            if np.shape(g[i]) != shape:
                rep.unexplained.append(f"{name} grad of shape {np.shape(g[i])} at {shape}")
        rep.bit(f"jit(grad) {name} {shape}", g, wire.jit(wire.grad(ws, argnums=argnums))(*a))
    if not full:
        return
    rep.bit(f"vmap(grad) {name}", gw,
            wire.vmap(wire.grad(wf, argnums=argnums))(*xs))
    for i in argnums:
        t = tuple(np.ones_like(xs[0]) if k == i else np.zeros_like(xs[0]) for k in argnums)
        primal, tw = wire.jvp(wf, xs, t)
        rep.bit(f"jvp-value {name}", val, primal)
        tj = jax.jit(lambda *a, t=t: jax.jvp(jf, a, t)[1])(*xs)
        rep.deriv(name, ref, f"jvp{i}", xs, tw, tj)
        rep.bit(f"jit(jvp) {name} {i}", tw, wire.jit(lambda *a, t=t: wire.jvp(wf, a, t)[1])(*xs))
        # J·t is grad's partial wherever the other partials are finite (else inf * 0)
        others = [gw[k] for k in argnums if k != i]
        fin = np.all([np.isfinite(o) for o in others], axis=0) if others else True
        # forward mode divides by a subnormal before it multiplies (x * (t / y) in xlogy's
        # product rule: 0 * inf), reverse mode after ((g * x) / y): J·t may be NaN there
        normal = np.all([(a == 0) | ~(np.abs(a) < TINY) for a in xs], axis=0)
        bad = fin & normal & ~close(tw, gw[i])
        if np.any(bad):
            rep.unexplained.append(f"{name} jvp{i} != grad{i} at "
                                   f"{[tuple(float(a[k]) for a in xs) for k in np.flatnonzero(bad)[:4]]}")
        # second derivatives

        def gi(*a, i=i):
            return wnp.sum(wire.grad(ws, argnums=i)(*a))

        def gij(*a, i=i):
            return jnp.sum(jax.grad(js, argnums=i)(*a))

        hw, e = _run(wire.grad(gi, argnums=argnums), *xs)
        hj, ej = _run(jax.jit(jax.grad(gij, argnums=argnums)), *xs)
        if e is not None or ej is not None:
            if e is not None and ej is None:
                rep.unexplained.append(f"{name} grad(grad): wire raised {e!r:.200}")
            continue
        for k in argnums:
            rep.deriv(name, ref, f"grad{i}grad{k}", xs, hw[k], hj[k])
        rep.bit(f"jit(grad(grad)) {name}", hw, wire.jit(wire.grad(gi, argnums=argnums))(*xs))


# --------------------------------------------------------------------------- reductions

TIES = np.array([
    [0.0, -0.0, 0.0, -0.0], [-0.0, 0.0, -0.0, 0.0], [1.0, 0.0, -0.0, 2.0],
    [-1.0, -0.0, 0.0, -2.0], [nan, -0.0, 0.0, -0.0], [0.0, -0.0, 0.0, nan],
    [nan, nan, nan, nan], [nan, -0.0, nan, 0.0], [inf, -inf, inf, -inf],
    [-inf, inf, -inf, -inf], [2.0, 2.0, 2.0, 2.0], [1.0, -1.0, 1.0, -1.0],
    [1.0, 2.0, 2.0, 0.5], [3.0, 1.0, 2.0, 0.5], [-1e308, 1e308, -1e308, 1.0],
])


def _ns(np_mod, sp_mod, name):
    mod, _, k = name.rpartition(".")
    return getattr({"": np_mod, "special": sp_mod}[mod], k)


# name -> (keyword arguments, classes of documented differences: "ties" (which tied entry
# gets the derivative), "flat" (std/var of equal entries: 0, JAX NaN), "overflow")
REDUCTIONS = {
    "sum": {}, "prod": {}, "max": {}, "min": {}, "amax": {}, "amin": {}, "mean": {},
    "nanmax": {}, "nanmin": {}, "nansum": {}, "nanmean": {}, "ptp": {}, "std": {}, "var": {},
    "nanstd": {}, "nanvar": {}, "median": {}, "sort": {}, "cumsum": {}, "cumprod": {},
    "quantile": {"q": 0.3}, "percentile": {"q": 30.0}, "argmax": {}, "argmin": {},
    "nanmedian": {},
    "special.logsumexp": {}, "special.softmax": {}, "special.log_softmax": {},
}
SORTING = {"median", "sort", "quantile", "percentile", "nanmedian"}
FLAT = {"std", "var", "nanstd", "nanvar"}


def reduction_triage(name, row, w, j):
    if np.isnan(row).any() and np.isnan(w).all():
        return "nan in, nan out (jitted JAX gives max's derivative 0 there, eager JAX NaN)"
    if np.isinf(row).any() or (np.abs(row) >= 1e308).any():
        return "overflow or inf - inf at infinite entries"
    finite = row[np.isfinite(row)]
    if name in SORTING and len(np.unique(finite)) < finite.size:
        return "convention: a tie goes to the entry the sort puts in that place"
    if name in FLAT and np.unique(finite).size <= 1:
        return "convention: std of equal entries has derivative 0 (JAX NaN)"
    if name == "nanstd" and np.unique(finite).size <= 1:
        return "convention: std of equal entries has derivative 0 (JAX NaN)"
    return None


def check_reduction(name, kw, rep: Report, axes=(None, 1)):
    wf0, jf0, nf0 = _ns(wnp, wsp, name), _ns(jnp, jsp, name), _ns(np, ssp, name)
    for axis in axes:
        k = dict(kw, **({} if axis is None else {"axis": axis}))

        def wf(a, k=k):
            return wf0(a, **k)

        def jf(a, k=k):
            return jf0(a, **k)

        # each row of TIES is one reduction along axis 1 (one trace for all of them)
        rows = ([SPECIAL, np.zeros(0), np.array([-0.0]), np.array(-0.0),
                 SPECIAL[:6].reshape(2, 3)] if axis is None
                else [TIES, TIES.T.copy(), np.zeros((2, 0))])
        for x in rows:
            label = f"{name}{k} {x.tolist() if x.size <= 16 else x.shape}"
            want, e_ref = _run(lambda a: nf0(a, **k), x)
            val, e = _run(wf, x)
            if e is not None:
                if e_ref is None:
                    rep.unexplained.append(f"{label}: wire raised {e!r:.200}")
                continue
            if e_ref is None and not name.startswith("special."):
                zero_tie = (name in SORTING or name.startswith("nan")) and (x == 0).sum() > 1
                if zero_tie:  # docs/special-values.md: NumPy leaves that zero open
                    want, val_cmp = np.abs(want), np.abs(val)
                else:
                    val_cmp = val
                rep.bit(f"value {label}", want, val_cmp)
            rep.bit(f"jit {label}", val, wire.jit(wf)(x))
            if x.ndim == 2 and axis is None:
                rep.bit(f"vmap {label}", np.stack([wf(r) for r in x]), wire.vmap(wf)(x))
            if axis == 1 and x is rows[0]:  # vmap over the rows of TIES: wire eager, row by row
                rep.bit(f"vmap {name} rows", np.stack([wf0(r, **kw) for r in x]),
                        wire.vmap(lambda r: wf0(r, **kw))(x))
            if np.asarray(val).dtype.kind != "f" or x.size == 0:
                continue

            def ws(a):
                return wnp.sum(wf(a))

            def js(a):
                return jnp.sum(jf(a))

            gw, e = _run(wire.grad(ws), x)
            gj, ej = _run(jax.jit(jax.grad(js)), x)
            if e is not None:
                if ej is None:
                    rep.unexplained.append(f"{label} grad: wire raised {e!r:.200}")
                continue
            rep.bit(f"jit(grad) {label}", gw, wire.jit(wire.grad(ws))(x))
            if ej is not None:
                continue
            gw2, gj2 = np.atleast_2d(gw), np.atleast_2d(np.asarray(gj))
            xr = np.atleast_2d(x) if axis is not None or x.ndim < 2 else x.reshape(1, -1)
            gw2, gj2 = gw2.reshape(len(xr), -1), gj2.reshape(len(xr), -1)
            for r, wr, jr in zip(xr, gw2, gj2):
                rep.compared += wr.size
                if close(wr, jr).all() or any(0 < abs(t) < TINY for t in r):
                    continue
                c = reduction_triage(name, r, wr, jr)
                rep.classes[c or "unexplained"] += 1
                if c is None:
                    rep.unexplained.append(f"{label} grad at row {r.tolist()}: wire "
                                           f"{wr.tolist()}, JAX {jr.tolist()}")


# --------------------------------------------------------------------------- tests

FUNCTIONS = elementwise_functions()


def test_discovery_finds_the_shared_names():
    names = {f[0] for f in FUNCTIONS}
    assert len(FUNCTIONS) >= 120, len(FUNCTIONS)
    assert {"maximum", "fmin", "hypot", "arctan2", "copysign", "logaddexp", "special.xlogy",
            "special.erf", "special.expit"} <= names
    assert CORE <= names, CORE - names


def _assert_clean(rep: Report):
    assert not rep.unexplained, "\n".join(rep.unexplained[:30])


@pytest.mark.parametrize("fn", [f for f in FUNCTIONS if not f[0].startswith("special.")
                                or f[0] in CORE], ids=lambda f: f[0])
def test_elementwise_matches_numpy_and_jax(fn):
    rep = Report()
    check_elementwise(*fn, full=fn[0] in CORE, rep=rep)
    _assert_clean(rep)


@pytest.mark.slow
@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f[0])
def test_elementwise_every_transform(fn, request):
    if not slow_selected(request.config):
        pytest.skip("the every-transform sweep runs with -m slow (CI runs the sample)")
    rep = Report()
    check_elementwise(*fn, full=True, rep=rep)
    _assert_clean(rep)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_with_ties_match_numpy_and_jax(name):
    rep = Report()
    check_reduction(name, REDUCTIONS[name], rep)
    _assert_clean(rep)


# --------------------------------------------------------------------------- regressions


@pytest.mark.parametrize(("a", "lo", "hi", "want"), [
    (-0.0, -2.0, 0.0, (0.5, 0.0, 0.5)),   # a ties the upper bound (-0.0 == 0.0)
    (0.0, -2.0, -0.0, (0.5, 0.0, 0.5)),
    (-0.0, 0.0, 2.0, (0.5, 0.5, 0.0)),    # a ties the lower bound
    (-inf, 0.0, -0.0, (0.0, 0.5, 0.5)),   # both bounds tie, a below them
    (1.0, -2.0, 1.0, (0.5, 0.0, 0.5)),    # the same without zeros
])
def test_clip_at_a_zero_bound_splits_the_derivative(a, lo, hi, want):
    """clip kept a's zero at a zero bound by selecting ``a``, which gave ``a`` the whole
    derivative (1, not 1/2) at a tie of zeros; the value keeps a's zero as before."""
    args = tuple(np.array(v) for v in (a, lo, hi))
    g = wire.grad(wnp.clip, argnums=(0, 1, 2))(*args)
    assert tuple(float(v) for v in g) == want
    gj = jax.grad(jnp.clip, argnums=(0, 1, 2))(*args)
    assert tuple(float(v) for v in gj) == want  # JAX's convention too
    assert tuple(float(v) for v in wire.jit(wire.grad(wnp.clip, argnums=(0, 1, 2)))(*args)) \
        == want
    v = wire.jit(wnp.clip)(*args)
    assert v == np.clip(*args) and np.signbit(v) == np.signbit(wnp.clip(*args))


@pytest.mark.parametrize("x", [np.full(4, nan), np.array(nan), np.array([[nan, nan], [1.0, 3.0]])])
def test_nanmedian_of_only_nan_has_derivative_zero(x):
    """A slice of only NaN: nanmedian is NaN with derivative 0 (as nanmax's, and JAX's); it
    was 1 for the entry that sorted first."""
    def f(a):
        return wnp.sum(wnp.nanmedian(a, axis=-1 if a.ndim else None))

    want = np.where(np.isnan(x), 0.0, 0.5)
    np.testing.assert_array_equal(wire.grad(f)(x), want)
    np.testing.assert_array_equal(wire.jit(wire.grad(f))(x), want)
    np.testing.assert_array_equal(jax.grad(lambda a: jnp.sum(jnp.nanmedian(
        a, axis=-1 if a.ndim else None)))(x), want)
    assert float(wire.jvp(f, (x,), (np.ones_like(x),))[1]) == want.sum()


def main(names):
    rep = Report()
    for fn in FUNCTIONS:
        if not names or fn[0] in names:
            check_elementwise(*fn, full=True, rep=rep)
    for name in REDUCTIONS:
        if not names or name in names:
            check_reduction(name, REDUCTIONS[name], rep)
    print("compared", rep.compared)
    for c, n in rep.classes.most_common():
        print(f"{n:6d}  {c}")
    print("\n".join(rep.unexplained))


if __name__ == "__main__":
    main(sys.argv[1:])


@pytest.mark.parametrize("x", [[-0.0, 0.0, -0.0, 0.0], [0.0, -0.0, 0.0, -0.0], [0.0, -0.0],
                               [0.0, 0.0, -0.0, -0.0],
                               [[-0.0, 0.0, -0.0, 0.0], [1.0, 0.0, -0.0, 2.0]]])
@pytest.mark.parametrize("q", [0.5, 0.3, [0.25, 0.5]])
def test_nanquantile_without_nan_has_numpys_zero(x, q):
    """A slice without NaN is NumPy's quantile of it, which reads NumPy's partition (tied
    -0.0 and 0.0 in its order): traced nanquantile([-0., 0., -0., 0.], 0.5) was -0.0 (from a
    sort), NumPy's and eager 0.0."""
    x = np.array(x)
    for f in (lambda a: wnp.nanquantile(a, q, axis=-1),
              lambda a: wnp.nanpercentile(a, np.multiply(q, 100), axis=-1)):
        assert exact_difference(f(x), wire.jit(f)(x)) is None
        assert exact_difference(f(x), wire.evaluate(wire.trace(f, x), x)) is None
    assert exact_difference(np.nanquantile(x, q, axis=-1),
                            wire.jit(lambda a: wnp.nanquantile(a, q, axis=-1))(x)) is None
