"""README's Python examples run as written (in order, sharing one namespace)."""

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    text = README.read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_examples():
    assert len(python_blocks()) >= 3


def test_readme_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "readme"}
    for i, block in enumerate(python_blocks()):
        if "# readme: skip" in block:
            continue
        try:
            exec(compile(block, f"README.md block {i}", "exec"), namespace)
        except ImportError as e:  # an optional extra that is not installed
            pytest.skip(f"block {i} needs an optional dependency: {e}")
