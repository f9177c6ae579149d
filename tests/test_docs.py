"""Every Python example in README.md and docs/ runs as written, each page in a fresh process;
the docs site builds with ``mkdocs build --strict`` (once, with its checks but without the search
index and highlighting; as published with ``-m slow``); every API-reference entry shows an
example.

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
import tempfile
from pathlib import Path

import pytest

from api_examples import entries, has_example
from selection import slow_only

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


# Every run builds the site with mkdocs's --strict checks, without the parts that check
# nothing: the search index, Pygments' highlighting, and the line numbers griffe reads with
# inspect.getsourcelines for every object it documents (only a "show source" would use them).
# The same pages come out (the API reference the same to the byte) in under half the CPU
# time; -m slow builds the site exactly as `mkdocs build --strict` does.
CHECKING_BUILD = """
import sys
try:  # griffe's own module (a private path): where it has moved, the lines are read again
    from griffe._internal.agents.inspector import Inspector
    Inspector._get_linenos = lambda self, node: (None, None)
except (ImportError, AttributeError):
    pass
from mkdocs.__main__ import cli
sys.argv[0] = "mkdocs"
cli()
"""


def checking_config(tmp_path: Path) -> Path:
    """mkdocs.yml without the search plugin and Pygments, written into ``tmp_path`` (its
    relative paths made absolute: they are relative to the config file's folder)."""
    import yaml  # (mkdocs's own dependency)

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    config["docs_dir"] = str(ROOT / config.get("docs_dir", "docs"))
    plugins = []
    for plugin in config["plugins"]:
        name = plugin if isinstance(plugin, str) else next(iter(plugin))
        if name == "search":
            continue
        if name == "mkdocstrings":
            python = plugin["mkdocstrings"]["handlers"]["python"]
            python["paths"] = [str(ROOT / path) for path in python.get("paths", ["."])]
            options = python.get("options", {})
            options["extensions"] = [str(ROOT / e) if isinstance(e, str) else e
                                     for e in options.get("extensions", [])]
        plugins.append(plugin)
    config["plugins"] = plugins
    config["markdown_extensions"] = [
        {"pymdownx.highlight": {"use_pygments": False}} if e == "pymdownx.highlight" else e
        for e in config["markdown_extensions"]]
    path = tmp_path / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def build_site(site: Path, config: Path | None = None) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` into ``site``: the checking build with ``config``, else the
    site exactly as mkdocs.yml makes it."""
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        if importlib.util.find_spec(module.split(".")[0]) is None:
            pytest.skip(f"the docs extra is not installed ({module}): pip install -e '.[docs]'")
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_MKDOCS_2_WARNING="1")
    command = ["-m", "mkdocs"] if config is None else ["-c", CHECKING_BUILD]
    options = [] if config is None else ["--config-file", str(config)]
    return subprocess.run([sys.executable, *command, "build", "--strict", *options,
                           "--site-dir", str(site)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site, built once per session by the checking build (its process, and its path)."""
    tmp = tmp_path_factory.mktemp("docs")
    site = tmp / "site"
    return build_site(site, checking_config(tmp)), site


def _check_site(proc, site):
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-4000:]}"
    assert (site / "architecture.svg").exists()
    reference = (site / "api" / "wire" / "index.html").read_text()
    assert 'id="wire.grad"' in reference and 'id="wire.jit"' in reference


def test_site_builds_strict(built_site):
    """``mkdocs build --strict``: a broken link or anchor, a page missing from the nav, a
    reference to a name that does not exist or a docstring that does not render fails."""
    _check_site(*built_site)


@slow_only
def test_site_builds_strict_as_published():
    """The same, exactly as ``mkdocs build --strict`` builds the site (search index,
    highlighting and all)."""
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        _check_site(build_site(site), site)


def test_checking_build_fails_on_a_broken_link_anchor_and_reference(tmp_path):
    """The checking build's configuration keeps mkdocs's validation and autorefs: a page
    with a missing page, a missing anchor and a missing API name fails it (a site of two
    pages, built in a second or two)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(
        "# Home\n\n[a page](no-such-page.md), [an anchor](other.md#no-such-anchor), "
        "[a name][wire.no_such_function]\n")
    (docs / "other.md").write_text("# Other\n")
    config = checking_config(tmp_path)
    import yaml

    text = yaml.safe_load(config.read_text())
    text["docs_dir"], text["nav"] = str(docs), ["index.md", "other.md"]
    config.write_text(yaml.safe_dump(text))
    proc = build_site(tmp_path / "site", config)
    assert proc.returncode != 0
    for warning in ("'no-such-page.md', but the target is not found",
                    "does not contain an anchor '#no-such-anchor'",
                    "Could not find cross-reference target 'wire.no_such_function'"):
        assert warning in proc.stderr, proc.stderr[-4000:]


def test_api_reference_entries_have_examples():
    """Every callable the reference documents has a docstring with an example (a doctest or
    a code block): ``python tests/api_examples.py`` lists those without one."""
    without = [name for name, obj in entries().items() if not has_example(inspect.getdoc(obj))]
    assert without == [], f"API entries without an example in their docstring: {without}"
