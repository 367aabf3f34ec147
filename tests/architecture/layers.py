"""The import rules that keep emflow's layers apart, checked by reading the source (nothing is imported).

* Only ``engine/bpmn/`` imports SpiffWorkflow (the BPMN boundary).
* ``engine/`` and ``rules/`` import no web framework (Flask, Werkzeug, marshmallow); ``rules/`` imports neither
  ``engine`` nor ``api``; ``engine`` does not import ``api``.
* Inside ``engine/`` the layers only look down: the foundation modules (``engine/*.py`` but ``services.py``)
  < ``bpmn`` and ``store`` < ``definitions`` < ``runtime`` < ``audit`` < ``services.py`` (the composition root).
* No import cycles between the engine's modules (imports at module level, ``TYPE_CHECKING`` blocks included).

docs/ARCHITECTURE.md describes the layers these rules protect.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

WEB = ("flask", "werkzeug", "marshmallow")
RANK = {"foundation": 0, "bpmn": 1, "store": 1, "definitions": 2, "runtime": 3, "audit": 4, "services": 5}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.imported}: {self.rule}"


@dataclass(frozen=True)
class Import:
    module: str
    line: int
    top_level: bool


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> list[Import]:
    """Absolute names imported by a file (``from a import b`` yields ``a.b`` and ``a``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top = {id(node) for node in _module_level(tree)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                package = module.split(".")
                package = package[: len(package) - node.level + (1 if path.name == "__init__.py" else 0)]
                base = ".".join([*package, base] if base else package)
            found.append(Import(base, node.lineno, id(node) in top))
            found += [Import(f"{base}.{alias.name}", node.lineno, id(node) in top) for alias in node.names]
    return found


def _module_level(tree: ast.Module) -> list[ast.stmt]:
    """Statements that run when the module is imported (``if``/``try`` blocks at top level included)."""
    out: list[ast.stmt] = []
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.If | ast.Try):
            stack += node.body + node.orelse + getattr(node, "finalbody", [])
            for handler in getattr(node, "handlers", []):
                stack += handler.body
    return out


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "engine" or len(parts) < 2:
        return None
    if parts[1] == "services":
        return "services"
    return parts[1] if parts[1] in RANK else "foundation"


def check(root: Path) -> list[Violation]:
    """Every violation of the rules above in the tree at ``root`` (which holds engine/, rules/, api/)."""
    violations = []
    graph: dict[str, set[str]] = {}
    engine_modules = (
        {module_name(root, p) for p in (root / "engine").rglob("*.py")} if (root / "engine").exists() else set()
    )
    for package in ("engine", "rules", "api"):
        for path in sorted((root / package).rglob("*.py")) if (root / package).exists() else []:
            if "node_modules" in path.parts:
                continue
            module = module_name(root, path)
            rel = str(path.relative_to(root))
            for imp in imports_of(path, module):
                top = imp.module.split(".")[0]
                rule = None
                if top == "SpiffWorkflow" and not module.startswith("engine.bpmn"):
                    rule = "only engine/bpmn/ may import SpiffWorkflow"
                elif package in ("engine", "rules") and top in WEB:
                    rule = f"{package}/ imports no web framework"
                elif package == "rules" and top in ("engine", "api"):
                    rule = "rules/ imports neither engine nor api"
                elif package == "engine" and top == "api":
                    rule = "engine/ does not import api"
                elif package == "engine" and top == "engine":
                    mine, theirs = layer_of(module), layer_of(imp.module)
                    if mine and theirs and mine != theirs and RANK[theirs] >= RANK[mine]:
                        rule = f"engine layer '{mine}' may not import layer '{theirs}' (layers only look down)"
                    if imp.top_level and imp.module in engine_modules and imp.module != module:
                        graph.setdefault(module, set()).add(imp.module)
                if rule:
                    violations.append(Violation(rel, imp.line, imp.module, rule))
    violations += [Violation(c[0], 0, " -> ".join(c), "import cycle") for c in cycles(graph)]
    one_per_line = {(v.path, v.line, v.rule): v for v in sorted(violations, key=lambda v: len(v.imported))}
    return sorted(one_per_line.values(), key=lambda v: (v.path, v.line, v.imported))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan), as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
