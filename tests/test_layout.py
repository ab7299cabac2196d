"""The package tree shows the architecture: commands on top, library folders below, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import stance

PACKAGE = Path(stance.__file__).resolve().parent
LIBRARY = ("data", "modeling", "inference", "evaluation", "runs", "analysis", "annotation")
COMMANDS = ("prepare", "train", "evaluate", "predict", "export", "aggregate", "trend", "annotate")
EDGE = {*(f"stance.{c}" for c in COMMANDS), "stance.cli", "stance.config"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every stance module a file imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found.update(n for n in names if n in known)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, set(modules)) - {name} for name, path in modules.items()}


def test_no_two_modules_import_each_other_directly_or_through_others():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            # the package's own __init__ re-exports the public API; importing it from below is not a cycle of code
            if len([m for m in component if m != "stance"]) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


def test_library_folders_never_import_the_command_layer_or_hydra():
    graph = _graph()
    for name, path in _modules().items():
        if name.split(".")[1:2] and name.split(".")[1] in LIBRARY:
            assert not (graph[name] & EDGE), f"{name} imports the CLI layer: {graph[name] & EDGE}"
            source = path.read_text(encoding="utf-8")
            assert "omegaconf" not in source and "import hydra" not in source, f"{name} knows about Hydra"


def test_every_folder_has_a_docstring_and_module_names_are_unique():
    for folder in LIBRARY:
        init = PACKAGE / folder / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{init} has no docstring"
    stems = [p.stem for p in PACKAGE.rglob("*.py") if p.stem != "__init__"]
    assert sorted(stems) == sorted(set(stems)), "a module name appears twice"
    for command in COMMANDS:
        assert (PACKAGE / f"{command}.py").exists()
