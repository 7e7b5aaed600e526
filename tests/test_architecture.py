"""House rules that hold for the whole package: no import circles, the engine never imports UI.

Why: import circles are where one module holds what belongs to another (style.md), and the
engine must run with no JupyterLab, widgets or plotly installed. Both are read from the source
with ``ast`` (no import side effects), so a new circle or a new engine→UI import fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "symtorch_lab"
UI_PACKAGES = ("symtorch_lab.ui", "symtorch_lab.widgets")
UI_LIBRARIES = ("anywidget", "ipywidgets", "traitlets", "jupyterlab", "IPython", "ipykernel")


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _imports(name: str, path: Path, mods: dict[str, Path], top_level_only: bool) -> set[str]:
    """Modules of the package (and outside names) that ``name`` imports."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in mods else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return result


def test_no_import_circles():
    mods = _modules()
    graph = {
        name: {m for m in _imports(name, path, mods, top_level_only=False) if m in mods} - {name}
        for name, path in mods.items()
    }
    # a package's __init__ importing its own submodules lazily is not a circle of concerns
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    assert _cycles(graph) == []


def test_engine_never_imports_ui():
    mods = _modules()
    offenders = []
    for name, path in mods.items():
        if name == "symtorch_lab" or name.startswith(UI_PACKAGES):
            continue
        for target in _imports(name, path, mods, top_level_only=False):
            if target.startswith(UI_PACKAGES) or target.split(".")[0] in UI_LIBRARIES:
                offenders.append(f"{name} imports {target}")
    assert offenders == []
