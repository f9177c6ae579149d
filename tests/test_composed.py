"""The composed-transform suite: every program of tests/composed_programs.py through value,
grad, grad∘grad, jacfwd, jacrev, hessian, hvp, jvp, vjp, linearize and vmap (several axes),
each eagerly, under ``jit`` and after ``save``/``load`` of its graph, in float64 and float32.

The reference is JAX (``pip install "jax[cpu]"``, the ``reference`` extra) run eagerly in the
same dtype; without JAX it is finite differences (float64) and wire's own float64 result (for
float32). A check is one (program, transform, variant, dtype); its outcome is ``agree`` or one
of the differences the catalogue declares (``convention``, ``jax-lacks``, ``both-refuse``,
``unsavable``: a custom function defined inside a function is saved by reference only from
module level). Anything else fails the test.

CI runs a deterministic sample (a few seconds); ``-m slow`` runs the whole cross product
(only then: a plain ``pytest`` skips it),
and ``WIRE_COMPOSED_REPORT=1`` prints the counts by outcome, transform and tag
(``WIRE_COMPOSED_REFERENCE=fd`` uses the finite-difference reference even with JAX).
"""

from __future__ import annotations

import collections
import functools
import os
import warnings

import numpy as np
import pytest
from selection import slow_selected

import wire
from composed_programs import PROGRAMS, Lib

try:
    if os.environ.get("WIRE_COMPOSED_REFERENCE") == "fd":  # force the fallback
        raise ImportError
    import jax

    jax.config.update("jax_enable_x64", True)
    HAVE_JAX = True
except ImportError:  # the finite-difference fallback
    HAVE_JAX = False

FORWARD = {"jvp", "linearize", "jacfwd"}
REVERSE = {"grad", "grad_grad", "jacrev", "hessian", "hvp", "vjp", "vmap_grad"}
TRANSFORMS = ["value", "grad", "grad_grad", "jacfwd", "jacrev", "hessian", "hvp", "jvp", "vjp",
              "linearize", "vmap_in0", "vmap_last", "vmap_grad", "vmap_params"]
VARIANTS = ["eager", "jit", "saveload"]
DTYPES = [np.float64, np.float32]
# normwise: |ours - ref| <= ATOL + RTOL * max|ref| (libraries round differently)
RTOL = {np.float64: 1e-9, np.float32: 2e-4}
ATOL = {np.float64: 1e-12, np.float32: 1e-5}


@functools.lru_cache(maxsize=None)
def lib(name: str) -> Lib:
    return Lib(name)


# --------------------------------------------------------------------------- the transforms


def _float_leaves(tree_):
    return [leaf for leaf in wire.tree.leaves(tree_) if np.asarray(leaf).dtype.kind in "fc"]


class Case:
    """One program at one dtype: its arguments and the fixed random pieces the transforms
    use (scalarising weights, a direction ``v``, an output cotangent, a batch)."""

    def __init__(self, prog, dtype):
        self.prog, self.dtype = prog, np.dtype(dtype)
        rng = np.random.default_rng(abs(hash(prog.name)) % 2**32)
        self.args = prog.args(rng, self.dtype)
        self.x0, self.rest = self.args[0], self.args[1:]
        out = prog.build(lib("wire"))(*self.args)
        self.out_tree = wire.tree.flatten(out)[1]
        self.weights = [rng.uniform(0.5, 1.5, size=np.shape(o)).astype(np.asarray(o).dtype)
                        if np.asarray(o).dtype.kind in "fc" else None
                        for o in wire.tree.leaves(out)]
        self.ct = wire.tree.unflatten(self.out_tree, [
            rng.normal(size=np.shape(o)).astype(np.asarray(o).dtype)
            for o in wire.tree.leaves(out)])
        self.v = wire.tree.map(lambda a: rng.normal(size=np.shape(a)).astype(a.dtype), self.x0)
        self.batch = _batch_like(lib("wire"), self.x0)
        self.rest_batch = tuple(
            wire.tree.map(lambda a: np.stack([a, a * 0.8 + 0.1, a * 1.2]).astype(a.dtype)
                          if np.asarray(a).dtype.kind in "fc" else a, r) for r in self.rest)

    def fn(self, L):
        f = self.prog.build(L)
        rest = self.rest
        f0 = lambda x0: f(x0, *rest)  # noqa: E731  (the first argument is differentiated)

        def scalar(x0):
            leaves = wire.tree.leaves(f0(x0))
            total = 0.0
            for o, w in zip(leaves, self.weights):
                if w is not None:
                    total = total + L.np.sum(o * w)
            return total

        return f, f0, scalar


def _vdot(L, a, b):
    return sum(L.np.sum(x * y) for x, y in zip(wire.tree.leaves(a), wire.tree.leaves(b)))


def run_transform(L, case: Case, name: str, x0):
    """``name`` applied to the case's program in library ``L`` at first argument ``x0``."""
    t = L.t
    f, f0, scalar = case.fn(L)
    if name == "value":
        return f0(x0)
    if name == "grad":
        return t.grad(scalar)(x0)
    if name == "grad_grad":
        return t.grad(lambda x: _vdot(L, t.grad(scalar)(x), case.v))(x0)
    if name == "jacfwd":
        return t.jacfwd(f0)(x0)
    if name == "jacrev":
        return t.jacrev(f0)(x0)
    if name == "hessian":
        return t.hessian(scalar)(x0)
    if name == "hvp":
        if L.name == "wire":
            return wire.hvp(scalar)(x0, case.v)
        return t.jvp(t.grad(scalar), (x0,), (case.v,))[1]
    if name == "jvp":
        return t.jvp(f0, (x0,), (case.v,))
    if name == "vjp":
        out, pullback = t.vjp(f0, x0)
        # the cotangent in each library's own output dtypes (they may differ: conventions)
        ct = wire.tree.map(lambda c, o: c.astype(o.dtype), case.ct, out)
        return out, pullback(ct)
    if name == "linearize":
        out, f_jvp = t.linearize(f0, x0)
        return out, f_jvp(case.v)
    if name == "vmap_in0":
        return t.vmap(f0)(_batch_like(L, x0))
    if name == "vmap_last":
        return t.vmap(f0, in_axes=-1, out_axes=-1)(
            wire.tree.map(lambda b: L.np.moveaxis(b, 0, -1), _batch_like(L, x0)))
    if name == "vmap_grad":
        return t.vmap(t.grad(scalar))(_batch_like(L, x0))
    if name == "vmap_params":
        axes = (None,) + tuple(0 if _has_float(r) else None for r in case.rest)
        return t.vmap(f, in_axes=axes)(x0, *case.rest_batch)
    raise AssertionError(name)


def _batch_like(L, x0):
    """Three examples made from ``x0`` (computed from it, so a jitted reference closes over
    no constant array)."""
    return wire.tree.map(lambda a: L.np.stack([a, a * 0.9 + 0.05, a * 1.1 - 0.03]), x0)


def _has_float(tree_) -> bool:
    return bool(_float_leaves(tree_))


def applies(case: Case, name: str) -> bool:
    if name == "vmap_params":
        return any(_has_float(r) for r in case.rest)
    if name == "vmap_last":
        return all(np.ndim(leaf) >= 0 for leaf in wire.tree.leaves(case.x0))
    return True


# --------------------------------------------------------------------------- references


def _numeric_jacobian(fn, x0, h=1e-6):
    """d fn / d x0 by central differences: leaves out.shape + x.shape, nested (out, in)."""
    x_leaves, x_tree = wire.tree.flatten(x0)
    out_leaves, out_tree = wire.tree.flatten(fn(x0))
    blocks = [[None] * len(x_leaves) for _ in out_leaves]
    for j, x in enumerate(x_leaves):
        x = np.asarray(x, np.float64)
        cols = []
        for k in range(x.size):
            e = np.zeros(x.size)
            e[k] = h * max(1.0, abs(x.reshape(-1)[k]))
            step = e.reshape(x.shape)

            def at(s, j=j):
                leaves = list(x_leaves)
                leaves[j] = x + s
                return [np.asarray(o, np.float64)
                        for o in wire.tree.leaves(fn(wire.tree.unflatten(x_tree, leaves)))]

            plus, minus = at(step), at(-step)
            cols.append([(p - m) / (2 * e[k]) for p, m in zip(plus, minus)])
        for i, o in enumerate(out_leaves):
            stacked = np.stack([c[i] for c in cols], axis=-1) if cols else \
                np.zeros(np.shape(o) + (0,))
            blocks[i][j] = stacked.reshape(np.shape(o) + x.shape)
    return out_tree, x_tree, blocks


def _fd_reference(case: Case, name: str):
    """Finite differences of wire's float64 value (or gradient): the JAX-less reference."""
    W = lib("wire")
    _, f0, scalar = case.fn(W)
    x0 = case.x0
    if name == "value":
        return f0(x0)
    if name in ("vmap_in0", "vmap_grad", "vmap_last", "vmap_params"):
        return run_transform(W, case, name, x0)  # compared with a loop below
    if name in ("grad", "jacfwd", "jacrev", "jvp", "vjp", "linearize"):
        fn = scalar if name == "grad" else f0
        out_tree, x_tree, blocks = _numeric_jacobian(fn, x0)
        if name == "grad":
            return wire.tree.unflatten(x_tree, blocks[0])
        if name in ("jacfwd", "jacrev"):
            rows = [wire.tree.unflatten(x_tree, row) for row in blocks]
            return wire.tree.unflatten(out_tree, rows)
        v_leaves = wire.tree.leaves(case.v)
        if name in ("jvp", "linearize"):
            tan = [sum(np.tensordot(b, np.asarray(v, np.float64), axes=np.ndim(v))
                       for b, v in zip(row, v_leaves)) for row in blocks]
            return f0(x0), wire.tree.unflatten(out_tree, tan)
        ct_leaves = wire.tree.leaves(case.ct)
        cts = []
        for j in range(len(wire.tree.leaves(x0))):
            cts.append(sum(np.tensordot(np.asarray(c, np.float64), blocks[i][j],
                                        axes=(list(range(np.ndim(c))),) * 2)
                           for i, c in enumerate(ct_leaves)))
        return f0(x0), wire.tree.unflatten(x_tree, cts)
    g = wire.grad(scalar)
    out_tree, x_tree, blocks = _numeric_jacobian(g, x0)
    if name == "hessian":
        rows = [wire.tree.unflatten(x_tree, row) for row in blocks]
        return wire.tree.unflatten(out_tree, rows)
    v_leaves = wire.tree.leaves(case.v)
    hv = [sum(np.tensordot(b, np.asarray(v, np.float64), axes=np.ndim(v))
              for b, v in zip(row, v_leaves)) for row in blocks]
    return wire.tree.unflatten(out_tree, hv)


@functools.lru_cache(maxsize=None)
def references(prog_index: int, dtype) -> dict:
    """``{transform: (result, refusal)}`` for one program at one dtype: JAX's (every
    transform in one ``jax.jit``, which compiles once: JAX's eager dispatch and per-transform
    compiles would dominate the suite's time), or the JAX-less fallback."""
    case = _case(prog_index, dtype)
    names = [n for n in TRANSFORMS if applies(case, n)]
    if HAVE_JAX:
        refused = {}

        def every(x0):
            out = {}
            for n in names:
                try:
                    out[n] = run_transform(lib("jax"), case, n, x0)
                except Exception as e:  # noqa: BLE001  any refusal by JAX is an outcome
                    refused[n] = f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
            return out

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                got = jax.jit(every)(case.x0)
            except Exception:  # noqa: BLE001  a refusal JAX only notices when compiling
                got, refused = {}, {}
                for n in names:
                    try:
                        got[n] = jax.jit(functools.partial(run_transform, lib("jax"), case,
                                                           n))(case.x0)
                    except Exception as e:  # noqa: BLE001
                        refused[n] = f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
        return {n: (wire.tree.map(np.asarray, got[n]), None) if n in got
                else (None, refused[n]) for n in names}
    if np.dtype(dtype) == np.float32:  # wire's own float64 result, at float32 tolerance
        return references(prog_index, np.dtype(np.float64))
    out = {}
    for n in names:
        try:
            out[n] = (_fd_reference(case, n), None)
        except wire.WireError as e:
            out[n] = (None, f"{type(e).__name__}: {e}")
    return out


@functools.lru_cache(maxsize=None)
def _case(prog_index: int, dtype) -> Case:
    return Case(PROGRAMS[prog_index], dtype)


# --------------------------------------------------------------------------- one check


def _wire_result(case: Case, name: str, variant: str):
    W = lib("wire")
    if variant == "eager":
        return run_transform(W, case, name, case.x0)
    fn = functools.partial(run_transform, W, case, name)
    if variant == "jit":
        return wire.jit(fn)(case.x0)
    graph = wire.trace(fn, case.x0)
    text = wire.dumps(graph)
    return wire.evaluate(wire.loads(text), case.x0)


def _mismatch(got, ref, dtype) -> str | None:
    g_leaves, g_tree = wire.tree.flatten(got)
    r_leaves, r_tree = wire.tree.flatten(ref)
    if len(g_leaves) != len(r_leaves):
        return f"structure {g_tree!r} vs {r_tree!r}"
    for k, (g, r) in enumerate(zip(g_leaves, r_leaves)):
        g, r = np.asarray(g), np.asarray(r)
        if g.shape != r.shape:
            return f"leaf {k}: shape {g.shape} vs {r.shape}"
        if HAVE_JAX and g.dtype != r.dtype:
            return f"dtype: leaf {k} is {g.dtype}, the reference {r.dtype}"
        if g.size == 0:
            continue
        gf, rf = g.astype(np.complex128 if g.dtype.kind == "c" else np.float64), \
            r.astype(np.complex128 if r.dtype.kind == "c" else np.float64)
        same_special = (~np.isfinite(gf) & (gf == rf)) | (np.isnan(gf) & np.isnan(rf))
        diff = np.where(same_special, 0.0, np.abs(gf - rf))
        scale = float(np.max(np.where(np.isfinite(rf), np.abs(rf), 0.0)))
        tol = (ATOL if HAVE_JAX else _FD_ATOL)[_key(dtype)] + \
            (RTOL if HAVE_JAX else _FD_RTOL)[_key(dtype)] * scale
        if not np.all(diff <= tol):
            return f"leaf {k}: max |diff| {np.nanmax(diff):.3g} > {tol:.3g} (scale {scale:.3g})"
    return None


_FD_RTOL = {np.float64: 2e-5, np.float32: 2e-4}
_FD_ATOL = {np.float64: 1e-7, np.float32: 1e-5}


def _key(dtype):
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def _declared(prog, name: str, dtype, what: str):
    """The catalogue's declaration covering ``name`` (or a dtype difference), if any."""
    keys = [name]
    keys += ["*fwd"] if name in FORWARD else []
    keys += ["*rev"] if name in REVERSE or (name == "hvp") else []
    if what == "dtype":
        keys = ["dtype32" if np.dtype(dtype) == np.float32 else "dtype64"]
    for k in keys:
        if k in prog.expect:
            return prog.expect[k]
    return None


def check(prog_index: int, name: str, variant: str, dtype) -> tuple[str, str]:
    """Run one check; returns ``(outcome, detail)``, raising AssertionError on a failure."""
    prog = PROGRAMS[prog_index]
    case = _case(prog_index, dtype)
    label = f"{prog.name} / {name} / {variant} / {np.dtype(dtype).name}"
    ref, ref_err = references(prog_index, np.dtype(dtype))[name]
    if not HAVE_JAX and {"custom", "stop_gradient"} & set(prog.tags) and name != "value" \
            and not name.startswith("vmap"):
        # finite differences see the function's value, not its custom rule or stop_gradient
        return "needs-jax", "a custom rule or stop_gradient is not the function's derivative"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got = _wire_result(case, name, variant)
        got_err = None
    except wire.WireError as e:
        got, got_err = None, f"{type(e).__name__}: {e}"
        if variant == "saveload" and "module level" in str(e) and "custom" in prog.tags:
            return "unsavable", "a custom function defined inside a function"
    if not HAVE_JAX and name.startswith("vmap") and got_err is None:
        ref = _loop_reference(case, name)
    if got_err is not None and ref_err is not None:
        declared = _declared(prog, name, dtype, "refuse")
        assert declared and declared[0] == "both-refuse", \
            f"{label}: both refuse, undeclared:\n  wire: {got_err}\n  ref: {ref_err}"
        return "both-refuse", declared[1]
    if got_err is not None:
        declared = _declared(prog, name, dtype, "refuse")
        if not HAVE_JAX and declared and declared[0] == "both-refuse":
            return "both-refuse", declared[1]  # finite differences never refuse
        raise AssertionError(f"{label}: wire raised where the reference gives a value:\n"
                             f"  {got_err}")
    if ref_err is not None:
        declared = _declared(prog, name, dtype, "refuse")
        assert declared and declared[0] == "jax-lacks", \
            f"{label}: the reference refuses, wire does not (undeclared): {ref_err}"
        return "jax-lacks", declared[1]
    problem = _mismatch(got, ref, dtype)
    if problem is None:
        return "agree", ""
    what = "dtype" if problem.startswith("dtype") else "value"
    declared = _declared(prog, name, dtype, what)
    if declared and declared[0] == "convention":
        return "convention", declared[1]
    raise AssertionError(f"{label}: {problem}")


def _loop_reference(case, name):
    """vmap's reference without JAX: the unbatched transform, example by example."""
    W = lib("wire")
    f, f0, scalar = case.fn(W)
    n = 3
    if name == "vmap_params":
        outs = []
        for i in range(n):
            rest = tuple(wire.tree.map(lambda b: b[i], r) if _has_float(r) else r
                         for r in case.rest_batch)
            outs.append(f(case.x0, *rest))
    else:
        one = f0 if name != "vmap_grad" else wire.grad(scalar)
        outs = [one(wire.tree.map(lambda b: b[i], case.batch)) for i in range(n)]
    axis = -1 if name == "vmap_last" else 0
    return wire.tree.map(lambda *o: np.stack([np.asarray(v) for v in o], axis=axis), *outs)


# --------------------------------------------------------------------------- the runs


def all_checks():
    for p in range(len(PROGRAMS)):
        for name in TRANSFORMS:
            for variant in VARIANTS:
                for dtype in DTYPES:
                    yield p, name, variant, dtype


# CI's sample: whole programs (every transform, variant) at one dtype each, chosen to cover
# every tag; a reference costs one JAX compile per (program, dtype), the comparisons little
SAMPLE = [("outer_broadcast", np.float32), ("custom_vjp_clip_gradient", np.float64),
          ("cond_int_operand", np.float32), ("quadratic_form", np.float64),
          ("stop_gradient_pytree", np.float64)]


# without JAX: finite differences cannot check custom rules or stop_gradient, but are cheap
SAMPLE_FD = [("outer_broadcast", np.float32), ("cond_int_operand", np.float32),
             ("quadratic_form", np.float64), ("dict_argument", np.float64),
             ("scan_rnn", np.float64), ("solve_inv", np.float32), ("eigh_spectrum", np.float64)]


def sampled_checks():
    index = {p.name: k for k, p in enumerate(PROGRAMS)}
    return [(index[name], t, variant, dtype) for name, dtype in (SAMPLE if HAVE_JAX else SAMPLE_FD)
            for t in TRANSFORMS for variant in VARIANTS]


def _run(checks):
    outcomes = collections.Counter()
    details = collections.defaultdict(collections.Counter)
    failures = []
    for p, name, variant, dtype in checks:
        if not applies(_case(p, dtype), name):
            continue
        try:
            outcome, _ = check(p, name, variant, dtype)
        except AssertionError as e:
            failures.append(str(e))
            outcome = "FAIL"
        outcomes[outcome] += 1
        details[("transform", name)][outcome] += 1
        details[("variant", variant)][outcome] += 1
        details[("dtype", np.dtype(dtype).name)][outcome] += 1
        for tag in PROGRAMS[p].tags:
            details[("tag", tag)][outcome] += 1
    return outcomes, details, failures


def _report(outcomes, details):
    if not os.environ.get("WIRE_COMPOSED_REPORT"):
        return
    ref = "JAX " + jax.__version__ if HAVE_JAX else "finite differences"
    total = sum(outcomes.values())
    print(f"\ncomposed-transform suite against {ref}: {len(PROGRAMS)} programs, "
          f"{total} comparisons")
    for k, n in outcomes.most_common():
        print(f"  {k:12s} {n}")
    for key in sorted(details):
        row = ", ".join(f"{k} {n}" for k, n in sorted(details[key].items()))
        print(f"  {key[0]:9s} {key[1]:24s} {row}")


def test_catalogue_covers_the_issue():
    tags = collections.Counter(t for p in PROGRAMS for t in p.tags)
    for needed in ("control", "custom", "stop_gradient", "broadcasting", "linalg", "dtypes",
                   "pytrees"):
        assert tags[needed] >= 2, needed
    assert len(PROGRAMS) >= 40
    assert len({p.name for p in PROGRAMS}) == len(PROGRAMS)


def test_composed_transforms_sample():
    outcomes, details, failures = _run(sampled_checks())
    _report(outcomes, details)
    assert not failures, f"{len(failures)} of {sum(outcomes.values())} checks failed:\n" + \
        "\n".join(failures[:30])
    assert outcomes["agree"] > 0.8 * (sum(outcomes.values()) - outcomes["needs-jax"])


@pytest.mark.slow
def test_composed_transforms_full_sweep(request):
    # minutes long: CI's plain ``pytest`` runs the sample above; the sweep runs when asked for
    if not slow_selected(request.config):
        pytest.skip("the full sweep runs with -m slow (CI runs the sample)")
    outcomes, details, failures = _run(all_checks())
    _report(outcomes, details)
    assert not failures, f"{len(failures)} of {sum(outcomes.values())} checks failed:\n" + \
        "\n".join(failures[:60])
