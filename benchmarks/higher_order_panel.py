"""Higher derivatives of six scalar functions: graph size and trace time of grad^n, n = 1..8.

The panel (issue 17): two functions whose nested derivatives grow fast, ``sin(x)·exp(tanh(x))``
(the README's best case), a sum of ``tanh(k·x)**2·exp(-x)``, a rational function of degree 5
and a composition of ``log``, ``sqrt`` and ``erf`` (:data:`PANEL`). For each function and n:

* *wire nodes* — ``len(wire.trace(grad^n(f), 0.3))`` (``grad`` nested n times, as a user
  writes it), and *trace* — the time of that ``wire.trace`` call in a fresh process (so no
  memo cache from a smaller n helps); *simplified* — ``len(wire.simplify(graph))``;
* *SymPy cse* — the reference: ``sympy.diff`` applied n times, then ``sympy.cse``, and the
  operations counted, with the time of diff + cse (when SymPy is installed);
* *rel err* — wire's value of the n-th derivative at 0.3 against SymPy's, evaluated to 30
  digits (a wrong derivative would show here before anywhere else).

**How operations are counted, for both columns alike.** wire: ``len(graph)``, the number of
primitive nodes (inputs and constants are not nodes that count); on scalar graphs every wire
primitive is one unary or binary operation (``mul``, ``add``, ``sub``, ``div``, ``neg``,
``integer_pow``, ``sin``, ``exp`` …). SymPy: ``sympy.count_ops`` summed over the
right-hand sides of the ``cse`` replacements and the reduced expression, which counts a k-term
sum or product as k − 1 binary operations, a negation, subtraction, division, power or function
call as one, and numbers and symbols as zero. This reproduces issue 17's SymPy column (158 and
2 139 at n = 8 for its two functions). When ``wire.to_sympy`` exists, the wire graph is also
converted to SymPy and counted by the SymPy rule (*wire via SymPy*), so both columns can be
read on the very same rule.

Every cell runs in a fresh child process (:mod:`benchmarks.cells`) under the cell cap: a
function's row stops after a cell slower than the cap (60 s by default, ``--cell-cap``;
killed at 5× the cap).
"""

from __future__ import annotations

import time
import types

from . import cells, harness

X = 0.3
ORDERS = range(1, 9)
QUICK_ORDERS = range(1, 3)


def f_rational_log(ns, x):
    return (x**3 + 2 * x) / (1 + x**2) + ns.log1p(x**2) * ns.cos(3 * x)


def f_arctan_sinh(ns, x):
    return (ns.arctan(ns.sinh(x) * ns.sqrt(1 + x**2))
            + ns.exp(-x**2) * ns.tanh(2 * x) / (2 + ns.sin(x)))


def f_sin_exp_tanh(ns, x):
    return ns.sin(x) * ns.exp(ns.tanh(x))


def f_tanh_sum(ns, x):
    return sum(ns.tanh(k * x) ** 2 * ns.exp(-x) for k in range(1, 5))


def f_rational5(ns, x):
    return (x**5 - 3 * x**3 + 2 * x - 1) / (x**5 + 2 * x**4 + x**2 + 3)


def f_log_sqrt_erf(ns, x):
    return ns.log(2 + ns.erf(ns.sqrt(1 + x**2)))


PANEL = {
    "(x³+2x)/(1+x²) + log1p(x²)·cos(3x)": f_rational_log,
    "arctan(sinh(x)·√(1+x²)) + exp(−x²)·tanh(2x)/(2+sin x)": f_arctan_sinh,
    "sin(x)·exp(tanh(x))": f_sin_exp_tanh,
    "Σₖ₌₁⁴ tanh(kx)²·exp(−x)": f_tanh_sum,
    "(x⁵−3x³+2x−1)/(x⁵+2x⁴+x²+3)": f_rational5,
    "log(2 + erf(√(1+x²)))": f_log_sqrt_erf,
}


def _wire_ns():
    import wire.numpy as wnp
    from wire.scipy.special import erf

    return types.SimpleNamespace(**{k: getattr(wnp, k) for k in (
        "sin", "cos", "tan", "exp", "log", "log1p", "sqrt", "tanh", "sinh", "arctan")}, erf=erf)


def _sympy_ns():
    import sympy as sp

    return types.SimpleNamespace(sin=sp.sin, cos=sp.cos, exp=sp.exp, log=sp.log, sqrt=sp.sqrt,
                                 tanh=sp.tanh, sinh=sp.sinh, arctan=sp.atan, erf=sp.erf,
                                 log1p=lambda u: sp.log(1 + u))


def sympy_ops(exprs) -> int:
    """Operations of SymPy expressions after ``cse``, counted as the module docstring says."""
    import sympy as sp

    replacements, reduced = sp.cse(list(exprs))
    return (sum(sp.count_ops(e) for _, e in replacements)
            + sum(sp.count_ops(e) for e in reduced))


# --------------------------------------------------------------------------- child cells


def wire_cell(name: str, n: int) -> dict:
    """Trace grad^n of panel function ``name`` at X; node counts, seconds, value."""
    import wire

    ns = _wire_ns()
    fn = PANEL[name]

    def g(x):
        return fn(ns, x)

    for _ in range(n):
        g = wire.grad(g)
    graph, m = cells.measure(lambda: wire.trace(g, X))
    out = dict(m, nodes=len(graph), value=float(wire.evaluate(graph, X)))
    t0 = time.perf_counter()
    out["simplified"] = len(wire.simplify(graph))
    out["simplify_seconds"] = time.perf_counter() - t0
    to_sympy = getattr(wire, "to_sympy", None)
    if to_sympy is not None:
        try:
            out["via_sympy"] = sympy_ops([to_sympy(graph)])
        except Exception as e:  # noqa: BLE001 - a reference column only; say why it is missing
            out["via_sympy_error"] = type(e).__name__
    return out


def sympy_cell(name: str, n: int) -> dict:
    """SymPy's n-th derivative of panel function ``name``: cse operation count, seconds, value."""
    import sympy as sp

    x = sp.Symbol("x")
    d = PANEL[name](_sympy_ns(), x)
    t0 = time.perf_counter()
    for _ in range(n):
        d = sp.diff(d, x)
    ops = sympy_ops([d])
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "ops": ops, "value": float(d.evalf(30, subs={x: X}))}


def panel_cells(system: str, names: list[str], orders: list[int]) -> dict:
    """Several cells in one child (the quick mode): {name: {n: result}}."""
    cell = wire_cell if system == "wire" else sympy_cell
    return {name: {str(n): cell(name, n) for n in orders} for name in names}


# --------------------------------------------------------------------------- report


def _measure(quick: bool, cap: float, has_sympy: bool) -> tuple[dict, dict]:
    orders = list(QUICK_ORDERS if quick else ORDERS)
    names = list(PANEL)
    systems = ["wire"] + (["sympy"] if has_sympy else [])
    out: dict[str, dict] = {s: {} for s in systems}
    for system in systems:
        fn = "wire_cell" if system == "wire" else "sympy_cell"
        if quick:  # one child per system: a smoke test, not a measurement
            res = cells.run_cell("benchmarks.higher_order_panel", "panel_cells",
                                 cap * cells.HARD_CAP_FACTOR, system=system, names=names,
                                 orders=orders)
            out[system] = {name: {n: res[name][str(n)] if "error" not in res else res
                                  for n in orders} for name in names}
            continue
        for name in names:
            def one(n, hard, name=name, fn=fn):
                return cells.run_cell("benchmarks.higher_order_panel", fn, hard, name=name, n=n)

            out[system][name] = cells.sweep(orders, one, soft_cap=cap)
    return out.get("wire", {}), out.get("sympy", {})


def report(quick: bool = False, cell_cap: float = cells.DEFAULT_SOFT_CAP) -> str:
    has_sympy = harness.optional("sympy") is not None
    wire_res, sym_res = _measure(quick, cell_cap, has_sympy)
    orders = list(QUICK_ORDERS if quick else ORDERS)
    text = ""
    summary = []
    for name in PANEL:
        w, s = wire_res[name], sym_res.get(name, {})
        rows = []
        for n in orders:
            wr, sr = w.get(n), s.get(n)
            ratio = err = "—"
            if wr and sr and "nodes" in wr and "ops" in sr:
                ratio = f"{wr['nodes'] / sr['ops']:.2f}×"
                err = f"{abs(wr['value'] - sr['value']) / max(abs(sr['value']), 1e-300):.1e}"
            rows.append([
                str(n),
                cells.cell_text(wr, lambda r: f"{r['nodes']:,}"),
                cells.cell_text(wr, lambda r: harness.fmt_time(r["seconds"])),
                cells.cell_text(wr, lambda r: f"{r['simplified']:,}"),
                cells.cell_text(wr, lambda r: f"{r['via_sympy']:,}" if "via_sympy" in r
                                else r.get("via_sympy_error", "—")),
                cells.cell_text(sr, lambda r: f"{r['ops']:,}") if has_sympy else "—",
                cells.cell_text(sr, lambda r: harness.fmt_time(r["seconds"])) if has_sympy
                else "—",
                ratio, err,
            ])
        text += harness.table(f"f(x) = {name}", [
            "n", "wire nodes", "wire trace", "simplified", "wire via SymPy", "SymPy cse ops",
            "SymPy diff + cse", "wire ÷ SymPy", "rel err vs SymPy"], rows) + "\n"
        pick = [n for n in (4, 6, 8) if n in orders] or orders[-1:]
        summary.append([name] + [cells.cell_text(w.get(n), lambda r: f"{r['nodes']:,}")
                                 for n in pick]
                       + [cells.cell_text(s.get(pick[-1]), lambda r: f"{r['ops']:,}")
                          if has_sympy else "—",
                          cells.cell_text(w.get(pick[-1]), lambda r: harness.fmt_time(
                              r["seconds"]))])
    head = ["function"] + [f"n={n}" for n in pick] + [f"SymPy cse n={pick[-1]}",
                                                      f"trace n={pick[-1]}"]
    text = (harness.table("summary: wire nodes of trace(grad^n(f), 0.3)", head, summary)
            + "\n" + text)
    hard = cell_cap * cells.HARD_CAP_FACTOR
    text += (f"Issue 17 goals: wire nodes ≤ 2× SymPy cse at every n ≤ 8, trace ≤ 1 s at n = 8. "
             f"Cell cap {cell_cap:.0f} s (a child is stopped after {hard:.0f} s)."
             + ("" if has_sympy else " SymPy is not installed: no reference column.") + "\n")
    return text


TITLE = "Higher-order panel: nodes of trace(grad^n(f)) for six scalar functions, against SymPy cse"
