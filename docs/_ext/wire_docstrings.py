"""A Griffe extension for the API reference: wire's docstrings as Markdown.

wire's docstrings are written for ``help()`` and doctest: examples are bare ``>>>`` runs and
names are reStructuredText roles (``:func:`wire.grad```). Rendered as Markdown, a ``>>>`` line
would become a nested block quote and ``[...][...]`` in an example a broken cross-reference, so
before mkdocstrings renders a docstring this extension fences every doctest run (a ``>>>``
line and the lines after it up to a blank line) as a ``pycon`` code block and turns roles into
code spans. Nothing else in the text changes.

Loaded by inspection (the public namespaces are built at import time: layers made by
factories, distributions that are instances), classes and modules also show Python's own
attributes (``__doc__``, ``__module__``, ``__slots__`` …); the extension drops every
underscored member, which the reference never documents. An attribute whose only docstring
is its value's class's (``REGISTRY``, a pyrsistent map) has none of its own and is left out.
"""

from __future__ import annotations

import inspect
import re

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|obj|exc|const):`~?([^`]+)`")


def markdown(text: str) -> str:
    """``text`` with its doctest runs fenced and its reST roles as code spans."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            run = []
            while i < len(lines) and lines[i].strip():
                run.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
                i += 1
            out += [indent + "```pycon", *(indent + r for r in run), indent + "```"]
            continue
        line = _ROLE.sub(r"`\1`", line)
        if line.endswith("::") and (i + 1 == len(lines) or not lines[i + 1].strip()):
            line = line[:-1]  # reST's "Example::" introduces the indented code block after it
        out.append(line)
        i += 1
    return "\n".join(out)


class WireDocstrings(griffe.Extension):
    """Renders wire's docstrings as Markdown and leaves out what the reference does not document."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)

    def on_attribute_instance(self, *, node, attr: griffe.Attribute, **kwargs) -> None:
        value = getattr(node, "obj", None)  # the runtime value, when loaded by inspection
        if attr.docstring is not None and value is not None and not inspect.isclass(value):
            inherited = inspect.getdoc(type(value)) or ""
            if attr.docstring.value in (inherited, markdown(inherited)):
                attr.docstring = None

    def on_members(self, *, obj: griffe.Object, **kwargs) -> None:
        for name in [n for n in obj.members if n.startswith("_") and n != "__all__"]:
            del obj.members[name]
