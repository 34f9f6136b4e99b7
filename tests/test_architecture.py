"""The arrows between packages point one way, and no module imports itself in a circle.

docs/ARCHITECTURE.md draws the packages and their arrows; this test is what keeps that picture
true. Every import counts for the arrows, including imports inside functions (a lazy import is
still a dependency); cycles are looked for among module-level imports (the ones that run when a
module loads), with `if TYPE_CHECKING:` blocks left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("verify", "archive", "search", "ingest", "qrtools", "web", "diia_inbox")

#: What each package may import of ours (docs/ARCHITECTURE.md, "Packages and arrows").
ALLOWED: dict[str, set[str]] = {
    "verify": set(),
    "archive": set(),
    "search": {"archive"},
    "qrtools": {"archive"},
    "ingest": {"verify", "archive", "search", "qrtools"},
    "web": {"verify", "archive", "search", "qrtools", "ingest"},
    "diia_inbox": {"verify", "archive", "search", "qrtools", "ingest", "web"},
}


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return mods


def _targets(mod: str, node: ast.Import | ast.ImportFrom, mods: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:
        here = mod.split(".") if mods[mod].name == "__init__.py" else mod.split(".")[:-1]
        here = here[: len(here) - (node.level - 1)]
        base = ".".join([*here, base] if base else here)
    return [base, *(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods)]


def _known(name: str, mods: dict[str, Path]) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def _module_level(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    out: list[ast.Import | ast.ImportFrom] = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        body = node.body if isinstance(node, ast.Try) else [node]
        out += [n for n in body if isinstance(n, ast.Import | ast.ImportFrom)]
    return out


def test_package_arrows_point_one_way() -> None:
    mods = _modules()
    wrong = []
    for mod, path in mods.items():
        pkg = mod.split(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _targets(mod, node, mods):
                top = target.split(".")[0]
                if top in PACKAGES and top != pkg and top not in ALLOWED[pkg]:
                    wrong.append(f"{mod} imports {target} (line {node.lineno})")
    assert wrong == []


def test_no_import_cycle_between_modules() -> None:
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for mod, path in mods.items():
        deps = set()
        for node in _module_level(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(mod, node, mods):
                known = _known(target, mods)
                if known and known != mod:
                    deps.add(known)
        graph[mod] = deps
    cycles = _strongly_connected(graph)
    assert cycles == []


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_cycles() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []
