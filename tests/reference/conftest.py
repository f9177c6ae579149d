"""Shared pieces of the reference-comparison suite (``tests/reference``).

Each test compares a ``wire.nn`` / ``wire.optim`` / ``wire.random`` component with a
reference implementation: ``torch.nn`` and ``torch.optim`` (weights copied, same inputs and
cotangents) or ``scipy.stats`` (goodness-of-fit on ~1e5 draws from fixed keys, so every run
is the same). The ``compare`` fixture asserts and records each ``(component, check)`` pair
with its discrepancy; ``stat_check`` does the same for a statistical test.

``WIRE_REFERENCE_REPORT=1 python -m pytest tests/reference`` ends with a table: the number
of pairs and, per component, the largest discrepancy (normwise relative error
``max|ours - ref| / (max|ref| + eps)`` in float64 and float32; the KS distance or the
chi-square statistic's p-value for distributions).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

_RESULTS = pytest.StashKey[dict]()
# (float64, float32) tolerances on the normwise relative error: torch and wire add and
# multiply in different orders, so a few ulps of the output scale are expected
TOL = {np.dtype(np.float64): 1e-11, np.dtype(np.float32): 2e-5}


def pytest_configure(config):
    config.stash[_RESULTS] = {}


def discrepancy(ours: np.ndarray, ref: np.ndarray, elementwise: bool, floor: float = 0.0
                ) -> float:
    """Normwise (or elementwise) relative error; equal NaNs and equal infinities agree.
    ``floor`` bounds the normwise denominator from below, for a quantity that is zero in
    exact arithmetic (then both sides are rounding noise of the size of their neighbours)."""
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    if ours.size == 0:
        return 0.0
    same = (ours == ref) | (np.isnan(ours) & np.isnan(ref))
    if same.all():
        return 0.0
    if (~same & ~(np.isfinite(ours) & np.isfinite(ref))).any():
        return float("inf")  # a NaN or inf on one side only
    eps = np.finfo(np.float64).eps
    diff = np.where(same, 0.0, np.abs(ours - ref))
    if elementwise:
        return float(np.max(diff / (np.abs(ref) + eps)))
    scale = max(float(np.max(np.abs(np.where(same, 0.0, ref)))), floor)
    return float(np.max(diff) / (scale + eps))


def _record(config, component: str, check: str, value: float, kind: str):
    table = config.stash[_RESULTS]
    key = (component, check)
    old = table.get(key, (kind, 0.0 if kind != "p" else 1.0))[1]
    table[key] = (kind, min(old, value) if kind == "p" else max(old, value))


@pytest.fixture
def compare(request):
    """``compare(component, check, ours, ref, tol=None, elementwise=False, floor=0)``: assert
    that ``ours`` matches the reference ``ref`` in shape, dtype and value, and record it."""

    def check(component, what, ours, ref, tol=None, elementwise=False, floor=0.0):
        ours, ref = np.asarray(ours), np.asarray(ref)
        assert ours.shape == ref.shape, f"{component} {what}: {ours.shape} vs {ref.shape}"
        assert ours.dtype == ref.dtype, f"{component} {what}: {ours.dtype} vs {ref.dtype}"
        err = discrepancy(ours, ref, elementwise, floor)
        dt = ref.dtype if ref.dtype.kind == "f" else np.dtype(np.float64)
        _record(request.config, component, f"{what} [{dt}]", err, str(dt))
        limit = TOL.get(np.dtype(dt), 1e-11) if tol is None else tol
        assert err <= limit, f"{component} {what}: discrepancy {err:.3g} > {limit:.3g}"

    return check


@pytest.fixture
def stat_check(request):
    """``stat_check(component, what, pvalue, distance=None)``: a goodness-of-fit p-value from
    fixed keys must exceed 1e-4 (a wrong distribution gives ~0 on 1e5 draws)."""

    def check(component, what, pvalue, distance=None):
        _record(request.config, component, what, float(pvalue), "p")
        if distance is not None:
            _record(request.config, component, what + " KS distance", float(distance), "ks")
        assert pvalue > 1e-4, f"{component} {what}: p-value {pvalue:.3g}"

    return check


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    table = config.stash.get(_RESULTS, {})
    if not table or not os.environ.get("WIRE_REFERENCE_REPORT"):
        return
    write = terminalreporter.write_line
    pairs = {(c, w.replace(" KS distance", "")) for c, w in table}
    write(f"reference comparison: {len(pairs)} (component, check) pairs")
    by_component: dict = {}
    for (component, _), (kind, value) in table.items():
        by_component.setdefault(component, {}).setdefault(kind, []).append(value)
    write(f"{'component':38s} {'float64':>10s} {'float32':>10s} {'min p':>9s} {'max KS':>9s}")
    for component in sorted(by_component):
        kinds = by_component[component]

        def cell(kind, fn, kinds=kinds):
            return f"{fn(kinds[kind]):10.2e}" if kind in kinds else f"{'':10s}"

        write(f"{component:38s} {cell('float64', max)} {cell('float32', max)}"
              f"{cell('p', min)[1:]}{cell('ks', max)[1:]}")
