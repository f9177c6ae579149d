"""wire's import graph, read from the source with ``ast``: which module imports which, where,
and whether the import sits inside a function. ``tests/test_layers.py`` checks it; run
``python tests/import_graph.py [path/to/wire]`` to print the structure figures:

* modules in import cycles (every import counted, also those inside functions);
* imports of a higher layer (the layer table is ``[tool.importlinter]`` in pyproject.toml);
* imports of wire modules made inside functions;
* the longest functions.
"""

from __future__ import annotations

import ast
import os
import sys
from typing import NamedTuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "wire")


class Import(NamedTuple):
    importer: str  # module name, e.g. "wire.ops.shape"
    imported: str  # the wire module it names (the deepest existing one)
    line: int
    in_function: bool


def modules(package: str = PACKAGE) -> dict[str, str]:
    """Every module of the package: dotted name -> file path."""
    found = {}
    base = os.path.dirname(package)
    for folder, _, files in os.walk(package):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                parts = os.path.relpath(path, base)[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                found[".".join(parts)] = path
    return found


def _targets(module: str, is_package: bool, node, known) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = module.split(".") if is_package else module.split(".")[:-1]
        if node.level:
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix
                 for a in node.names]
    out = []
    for name in names:
        if name.split(".")[0] != "wire":
            continue
        while name not in known and "." in name:
            name = name.rsplit(".", 1)[0]
        out.append(name)
    return out


def imports(package: str = PACKAGE) -> list[Import]:
    """Every import of one wire module by another (one entry per imported module)."""
    known = modules(package)
    found = []
    for module, path in sorted(known.items()):
        is_package = path.endswith("__init__.py")
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read())
        stack = [(tree, False)]
        while stack:
            node, in_function = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in dict.fromkeys(_targets(module, is_package, child, known)):
                        if target != module:
                            found.append(Import(module, target, child.lineno, in_function))
                nested = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                stack.append((child, in_function or nested))
    return sorted(found)


def cycles(edges) -> list[list[str]]:
    """Strongly connected groups of more than one module (iterative Tarjan)."""
    graph: dict[str, set] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack, stack, groups = set(), [], []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    group = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        group.append(w)
                        if w == v:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return groups


def layer_table(pyproject: str = os.path.join(ROOT, "pyproject.toml")) -> list[list[str]]:
    """The layers contract's layers, highest first, as lists of ``wire.x`` names."""
    try:
        import tomllib
    except ImportError:  # Python 3.10: the figure needs tomllib
        return []
    if not os.path.exists(pyproject):
        return []
    with open(pyproject, "rb") as f:
        config = tomllib.load(f).get("tool", {}).get("importlinter", {})
    for contract in config.get("contracts", []):
        if contract["type"] == "layers":
            container = contract["containers"][0]
            return [[f"{container}.{m.strip()}" for m in layer.replace(":", "|").split("|")]
                    for layer in contract["layers"]]
    return []


def layer_of(module: str, table) -> int | None:
    """Position of ``module``'s layer in ``table`` (0 = highest), or None (``wire`` itself)."""
    for k, layer in enumerate(table):
        if any(module == m or module.startswith(m + ".") for m in layer):
            return k
    return None


def upward(found: list[Import], table) -> list[Import]:
    """Imports of a module in a higher layer (or of a sibling in an independent layer)."""
    bad = []
    for imp in found:
        a, b = layer_of(imp.importer, table), layer_of(imp.imported, table)
        if a is None or b is None:
            continue
        same_layer_sibling = a == b and not any(
            imp.importer.startswith(m) and imp.imported.startswith(m) for m in table[a])
        if b < a or same_layer_sibling:
            bad.append(imp)
    return bad


def function_lengths(package: str = PACKAGE) -> list[tuple[int, str]]:
    """``(lines, "module.function")`` of every function, longest first."""
    out = []
    for module, path in modules(package).items():
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((node.end_lineno - node.lineno + 1, f"{module}.{node.name}"))
    return sorted(out, reverse=True)


def main(argv) -> None:
    package = os.path.abspath(argv[0]) if argv else PACKAGE  # another checkout's wire/
    found = imports(package)
    every = {(i.importer, i.imported) for i in found}
    module_level = {(i.importer, i.imported) for i in found if not i.in_function}
    in_functions = [i for i in found if i.in_function]
    groups = cycles(every)
    table = layer_table(os.path.join(os.path.dirname(package), "pyproject.toml"))
    print(f"modules: {len(modules(package))}")
    print(f"modules in import cycles (all imports): {sum(map(len, groups))} {groups}")
    print(f"modules in import cycles (module-level imports): "
          f"{sum(map(len, cycles(module_level)))}")
    if table:
        print(f"imports of a higher layer: {len(upward(found, table))}")
    print(f"imports of wire modules inside functions: {len(in_functions)}")
    for i in in_functions:
        print(f"    {i.importer}:{i.line} -> {i.imported}")
    print("longest functions:")
    for n, name in function_lengths(package)[:5]:
        print(f"    {n:4d}  {name}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
