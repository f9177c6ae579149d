import atexit
import importlib
import os
import shutil
import sys
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

# Each docs page, example, benchmark and cache race runs in a fresh interpreter that imports
# wire: with PYTHONDONTWRITEBYTECODE (set in some environments) every one of them compiles
# wire's ~60 000 lines again (~1.3 s of CPU each). The run caches bytecode as Python does by
# default (in the __pycache__ directories .gitignore lists), so only the first process
# compiles; the xdist workers and the processes tests start inherit this.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

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


def _is_numpy_front(name: str) -> bool:
    module, _, attr = name.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError):
        return False
    return getattr(obj, "__wire_numpy_front__", None) is not None


def pytest_collection_modifyitems(config, items):
    # wire.numpy puts NumPy-signature fronts in place of many of its functions: a front
    # carries its function's docstring but belongs to wire.numpy (so pickle finds it there),
    # so --doctest-modules would collect its examples again there, in a namespace they were
    # not written for (``bool`` is NumPy's there); they run where the function is defined
    kept = [item for item in items
            if not (type(item).__name__ == "DoctestItem" and _is_numpy_front(item.dtest.name))]
    if len(kept) != len(items):
        kept_ids = set(map(id, kept))  # (a list's ``in`` made this quadratic in the items)
        config.hook.pytest_deselected(items=[i for i in items if id(i) not in kept_ids])
        items[:] = kept
