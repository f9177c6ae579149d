"""Term collection's work on the gradient of the deep scalar chain (benchmarks/chain.py):
counted, not timed. ``collect`` holds a polynomial of one term as a pair and makes its nodes
with few calls, so on the chain it makes a few Python calls per forward op, the same number
at every size (it used to make more than eight)."""

import sys

import pytest

import wire
import wire.transforms.simplify as simplify_module
from wire.ir import locating_by
from wire.transforms.polynomial import collect
from wire.transforms.rules import DERIVATIVES

from corpus import scalar_chain

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _collect_call(n: int, monkeypatch):
    """The graph and arguments ``wire.simplify`` hands ``collect`` on the chain's gradient."""
    seen = []

    def spy(graph, *args):
        seen.append((graph, args))
        return collect(graph, *args)

    d = wire.grad(wire.trace(scalar_chain(n), 0.3), simplify=False)
    with monkeypatch.context() as m:
        m.setattr(simplify_module, "collect", spy)
        wire.simplify(d, DERIVATIVES)
    assert seen, "simplify did not collect terms"
    return seen[0]


def _calls(graph, args) -> tuple[int, object]:
    """(Python function calls made by ``collect(graph, *args)``, its result)."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call":
            count += 1

    graph.nodes  # (the order, computed before counting)
    with locating_by(graph):
        sys.setprofile(profile)
        try:
            out = collect(graph, *args)
        finally:
            sys.setprofile(None)
    return count, out


def test_collect_calls_per_op_on_thescalar_chain(monkeypatch):
    small, large = 400, 1600
    counts = {}
    for n in (small, large):
        graph, args = _collect_call(n, monkeypatch)
        counts[n], (out, _) = _calls(graph, args)
        assert out is not graph and len(out) < len(graph)  # (it did collect)
    per_op = {n: c / n for n, c in counts.items()}
    assert per_op[large] <= 6.0, per_op  # (8.1 before)
    # linear: the same work per op at both sizes
    assert abs(per_op[large] - per_op[small]) <= 0.1 * per_op[large], per_op
