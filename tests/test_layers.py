"""wire's modules import one way only: the import-linter contracts in pyproject.toml hold (no
import of a higher layer, no cycle between the modules of a package), and no wire module is
imported inside a function (only optional third-party libraries are). The import graph comes
from ``tests/import_graph.py``, which also prints the figures."""

import os
import subprocess
import sys

import pytest

import import_graph

# Imports still made inside a function, each with its reason. The list may only shrink: a
# new entry fails below, and so does an entry that no longer exists. (Empty: |z| of a complex
# tracer, the last one, found hypot beside abs in wire.numpy._math.)
PENDING: set = set()


@pytest.fixture(scope="module")
def found():
    return import_graph.imports()


def test_import_linter_contracts_hold():
    pytest.importorskip("importlinter.cli")
    config = os.path.join(import_graph.ROOT, "pyproject.toml")
    # in a child process: import-linter logs through the logging module, and a library an
    # earlier test imported (absl, through optax) can have bound a handler to a stream that
    # pytest has since closed, which then kills the whole session ("lost sys.stderr")
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={config!r}, no_cache=True))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=import_graph.ROOT, timeout=300)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    assert "2 kept, 0 broken" in report, report


def test_no_wire_module_is_imported_inside_a_function(found):
    inside = {(i.importer, i.imported) for i in found if i.in_function}
    where = [f"{i.importer}:{i.line} imports {i.imported}" for i in found
             if i.in_function and (i.importer, i.imported) not in PENDING]
    assert not where, "move these imports to module level (or split the module):\n" + \
        "\n".join(where)
    assert PENDING <= inside, f"no longer imported inside a function: {PENDING - inside}"


def test_no_import_cycles(found):
    module_level = {(i.importer, i.imported) for i in found if not i.in_function}
    assert import_graph.cycles(module_level) == []
    every = {(i.importer, i.imported) for i in found}
    pending_modules = sorted({m for pair in PENDING for m in pair})
    assert all(group == pending_modules for group in import_graph.cycles(every))


def test_no_import_of_a_higher_layer(found):
    table = import_graph.layer_table()
    if not table:
        pytest.skip("reading pyproject.toml needs tomllib (Python 3.11+)")
    assert import_graph.layer_of("wire.ops.shape", table) > import_graph.layer_of(
        "wire.numpy._math", table)
    bad = [f"{i.importer}:{i.line} imports {i.imported}"
           for i in import_graph.upward(found, table)]
    assert not bad, "\n".join(bad)


def test_the_graph_reader_sees_what_it_must(found, tmp_path):
    """The reader resolves relative imports and tells function-level ones apart."""
    pairs = {(i.importer, i.imported, i.in_function) for i in found}
    assert ("wire.ops.elementwise", "wire.ops.batching", False) in pairs
    package = tmp_path / "wire"  # no function-level import is left in wire: a made-up one
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("X = 1\n")
    (package / "high.py").write_text("from . import low\n\n\ndef f():\n"
                                     "    from .low import X\n\n    return X\n")
    made_up = {(i.importer, i.imported, i.in_function)
               for i in import_graph.imports(str(package))}
    assert made_up == {("wire.high", "wire.low", False), ("wire.high", "wire.low", True)}
    assert import_graph.cycles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [
        ["a", "b", "c"]]
    table = [["wire.api"], ["wire.ops"]]
    up = import_graph.upward([import_graph.Import("wire.ops.x", "wire.api.y", 1, False)], table)
    assert len(up) == 1
