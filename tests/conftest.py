import atexit
import os
import shutil
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# wire.jit's disk cache: a fresh directory for each test run (inherited by the processes
# tests start), never the user's own cache
os.environ["WIRE_CACHE_DIR"] = _CACHE = tempfile.mkdtemp(prefix="wire-test-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "long", max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A failing test shows wire's own frames too (users get tracebacks without them; the tests of
# that, tests/test_tracebacks.py, unset this). Subprocesses the tests start inherit it.
os.environ.setdefault("WIRE_TRACEBACK", "full")


def pytest_addoption(parser):
    parser.addoption(
        "--fuzz", action="store_true", default=False,
        help="long fuzzing run: the 'long' Hypothesis profile (thousands of programs per "
             "property) and 10 s concurrency soak instead of 2 s",
    )


def pytest_configure(config):
    if config.getoption("--fuzz"):
        settings.load_profile("long")


@pytest.fixture
def long_run(request) -> bool:
    """True under ``--fuzz`` or ``HYPOTHESIS_PROFILE=long``: tests may run longer."""
    return bool(request.config.getoption("--fuzz")) or (
        os.environ.get("HYPOTHESIS_PROFILE") == "long"
    )


@pytest.fixture
def rng():
    return np.random.default_rng(0)
