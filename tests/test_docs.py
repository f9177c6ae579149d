"""Every Python example in README.md and docs/ runs as written, each page in a fresh process;
the docs site builds with ``mkdocs build --strict``; every API-reference entry shows an example.

A page's ```python blocks run in order in one namespace, in a new interpreter whose only
import of wire is the page's own (so a snippet cannot pass because another test imported a
subpackage first). A block containing ``# docs: skip`` (or the older ``# readme: skip``) is
left out; a block containing ``# docs: needs jax, autograd`` runs only where those modules are
installed (the comparisons with other libraries: the rest of its page runs everywhere); a page
that needs an optional extra that is not installed is skipped.
"""

import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from api_examples import entries, has_example

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))
SKIP_MARKS = ("# docs: skip", "# readme: skip")
NEEDS = re.compile(r"# docs: needs ([\w., ]+)")
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
MISSING_EXTRA = 77  # exit status of the runner when an optional import is missing

RUNNER = """
import importlib.util, sys
blocks = {blocks!r}
ns = {{"__name__": "__main__"}}
for i, (block, needs) in enumerate(blocks):
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    if missing:
        print("block %d left out: needs %s" % (i, ", ".join(missing)), file=sys.stderr)
        continue
    try:
        exec(compile(block, "{page} block %d" % i, "exec"), ns)
    except ImportError as e:
        if getattr(e, "name", None) and e.name.split(".")[0] != "wire":
            print("needs an optional dependency:", e, file=sys.stderr)
            sys.exit({missing})
        raise
"""


def python_blocks(page: Path) -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    return [b for b in blocks if not any(m in b for m in SKIP_MARKS)]


def needs(block: str) -> list[str]:
    """The modules a block declares it needs (``# docs: needs jax, autograd``)."""
    m = NEEDS.search(block)
    return [name.strip() for name in m.group(1).split(",")] if m else []


def test_readme_has_examples():
    assert len(python_blocks(ROOT / "README.md")) >= 3


def test_readme_links_resolve():
    """README's links into the repository (the docs pages above all) point at files."""
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", (ROOT / "README.md").read_text())
    local = [t for t in targets if "://" not in t]
    assert local, "README links no page"
    assert [t for t in local if not (ROOT / t).exists()] == []


def test_ci_runs_readmes_test_command():
    """.ci/run is exactly the test command README gives (CI tests what a user runs)."""
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"^pip install -e \"\.\[test[^\]]*\]\" && pytest -n auto$", readme, re.M)
    assert command, "README lost its test command"
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command.group(0) in ci_lines


def test_needs_marker():
    assert needs("import jax  # docs: needs jax, autograd\n") == ["jax", "autograd"]
    assert needs("import numpy\n") == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_examples_run(page, tmp_path):
    blocks = python_blocks(page)
    if not blocks:
        pytest.skip("no Python examples on this page")
    script = RUNNER.format(blocks=[(b, needs(b)) for b in blocks], page=page.name,
                           missing=MISSING_EXTRA)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    # the pages show wire's defaults: the caller's switches (a disk cache turned off, say)
    # must not change what they print; the cache lives in the test's own directory
    for var in ("WIRE_DISK_CACHE", "WIRE_NATIVE", "WIRE_TRACEBACK"):
        env.pop(var, None)
    env["WIRE_CACHE_DIR"] = str(tmp_path / "cache")
    for var in BLAS_THREADS:  # small matrices: threads only contend (as in examples/)
        env.setdefault(var, "1")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode == MISSING_EXTRA:
        pytest.skip(proc.stderr.strip())
    assert proc.returncode == 0, f"{page.name} examples failed:\n{proc.stderr[-4000:]}"


def test_site_builds_strict(tmp_path):
    """``mkdocs build --strict``: a broken link or anchor, a page missing from the nav, a
    reference to a name that does not exist or a docstring that does not render fails."""
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        if importlib.util.find_spec(module.split(".")[0]) is None:
            pytest.skip(f"the docs extra is not installed ({module}): pip install -e '.[docs]'")
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_MKDOCS_2_WARNING="1")
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-4000:]}"
    assert (site / "architecture.svg").exists()
    reference = (site / "api" / "wire" / "index.html").read_text()
    assert 'id="wire.grad"' in reference and 'id="wire.jit"' in reference


def test_api_reference_entries_have_examples():
    """Every callable the reference documents has a docstring with an example (a doctest or
    a code block): ``python tests/api_examples.py`` lists those without one."""
    without = [name for name, obj in entries().items() if not has_example(inspect.getdoc(obj))]
    assert without == [], f"API entries without an example in their docstring: {without}"
