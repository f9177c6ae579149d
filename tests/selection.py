"""Which tests a run selects: the heavy sweeps run only when ``-m slow`` asks for them (CI's
plain run keeps to about ten minutes; docs/testing.md lists what ``-m slow`` adds)."""

import pytest


def slow_selected(config) -> bool:
    """Whether the run's ``-m`` expression asks for the slow tests (``-m slow``, not
    ``-m "not slow"``)."""
    return "slow" in config.getoption("markexpr").replace("not slow", "")


def slow_only(test):
    """``test`` (taking no arguments) marked slow and run only when ``-m slow`` selects it."""

    @pytest.mark.slow
    def run(request):
        if not slow_selected(request.config):
            pytest.skip("runs with -m slow")
        test()

    run.__name__, run.__doc__ = test.__name__, test.__doc__
    return run


def sampled_grid(cases, key):
    """``cases`` (tuples) as ``pytest.param``s of a grid of near-identical cases: the first
    case of each ``key(case)`` runs in every run, the others are marked slow and run with
    ``-m slow`` (the test calls ``skip_unless_slow(request)`` first)."""
    seen, params = set(), []
    for case in cases:
        k = key(case)
        params.append(pytest.param(*case, marks=pytest.mark.slow if k in seen else ()))
        seen.add(k)
    return params


def skip_unless_slow(request):
    """Skip a case ``sampled_grid`` marked slow unless ``-m slow`` selects it."""
    callspec = getattr(request.node, "callspec", None)
    marked = callspec is not None and any(m.name == "slow" for m in callspec.marks)
    if marked and not slow_selected(request.config):
        pytest.skip("runs with -m slow")
