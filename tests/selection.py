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
