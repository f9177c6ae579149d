"""Every Python example in README.md and docs/ runs as written, each page in a fresh process.

A page's ```python blocks run in order in one namespace, in a new interpreter whose only
import of wire is the page's own (so a snippet cannot pass because another test imported a
subpackage first). A block containing ``# docs: skip`` (or the older ``# readme: skip``) is
left out; a page that needs an optional extra that is not installed is skipped.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))
SKIP_MARKS = ("# docs: skip", "# readme: skip")
MISSING_EXTRA = 77  # exit status of the runner when an optional import is missing

RUNNER = """
import sys
blocks = {blocks!r}
ns = {{"__name__": "__main__"}}
for i, block in enumerate(blocks):
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


def test_readme_has_examples():
    assert len(python_blocks(ROOT / "README.md")) >= 3


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_examples_run(page, tmp_path):
    blocks = python_blocks(page)
    if not blocks:
        pytest.skip("no Python examples on this page")
    script = RUNNER.format(blocks=blocks, page=page.name, missing=MISSING_EXTRA)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode == MISSING_EXTRA:
        pytest.skip(proc.stderr.strip())
    assert proc.returncode == 0, f"{page.name} examples failed:\n{proc.stderr[-4000:]}"
